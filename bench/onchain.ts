/**
 * On-chain gas, side by side, on one in-process Hardhat chain: whole PoQ rounds (signed batched reveals and
 * per-evaluator reveals) and the naive baseline (bench/contracts/NaiveSettlement.sol: one transaction per score,
 * rewards pushed per participant), for the same tasks, assignment and scores.
 */
import { getAddress, keccak256, stringToBytes, toHex, type Abi, type Address, type EIP1193Provider, type Hex } from "viem";
import { privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import { encodeFunctionData, zeroHash } from "viem";
import { poQSettlementAbi, poQTimelockAbi, rewardDistributorAbi, settlementConfigAbi, stakeVaultAbi, testTokenAbi } from "../src/chain/abis";
import {
  buildAssignmentTree,
  buildSumTree,
  buildTaskTree,
  compactSignature,
  hashSettlement,
  packScores,
  revealTypedData,
  rewardProof,
  scoreCommitment,
  settlementCommitment,
  type Settlement,
  type SignedReveal,
  type TaskLeaf,
} from "../src/chain/encoding";
import { assignEvaluators } from "../src/consensus/assignment";
import { planRevealBatches } from "../src/agents/revealBatch";
import { BenchChain, type Tx } from "./chain";

export type OnchainOptions = {
  evaluators: number;
  nodes: number;
  /** Task counts of the task sweep (at `baseK`). */
  tasks: number[];
  /** k values of the k sweep (at `baseTasks`). */
  ks: number[];
  baseTasks: number;
  baseK: number;
  /** Naive rounds with more score transactions than this send an evenly spread sample of `naiveSample` of them. */
  naiveMaxTxs: number;
  naiveSample: number;
  progress: (line: string) => void;
};

/** Gas of one PoQ round by phase (sums of receipts). */
export type RoundGas = {
  tasks: number;
  k: number;
  mode: "batch" | "direct";
  pairs: number;
  evaluators: number;
  registerTasks: bigint;
  proposeAssignment: bigint;
  commits: bigint;
  reveals: bigint;
  revealTxs: number;
  /** Reveals per batch transaction (batch mode). */
  batchSizes: number[];
  commitSettlement: bigint;
  revealSettlement: bigint;
  finalize: bigint;
  claims: bigint;
  claimCount: number;
  /** Everything but claims: what the issue's "on-chain gas for a round" counts. */
  total: bigint;
  /** The relayers' own protocol transactions: register, propose, settle, finalize (not relayed reveals). */
  relayer: bigint;
  txs: Record<string, Tx[]>;
};

export type NaiveGas = {
  tasks: number;
  k: number;
  pairs: number;
  registerTasks: bigint;
  scores: bigint;
  scoreTxsSent: number;
  sampled: boolean;
  pushRewards: bigint;
  accounts: number;
  total: bigint;
  scoreTx: { median: bigint; min: bigint; max: bigint };
};

export type OnchainResult = {
  rounds: RoundGas[];
  naive: NaiveGas[];
  warmup: RoundGas;
  evaluators: number;
  nodes: number;
  accounts: number;
  hardfork: string;
  /** Deployed code size of PoQSettlement (bytes; the limit is 24,576). */
  settlementBytes: number;
};

const TOKEN = 10n ** 18n;
const INFERENCE_POOL = 1_000n * TOKEN;
const EVALUATOR_POOL = 400n * TOKEN;
const Role = { Inference: 1, Evaluator: 2, Relayer: 3 } as const;
const BOND = 5_000n * TOKEN;
const TIMELOCK_DELAY = 40n * 24n * 3600n;

type Hre = {
  run: (task: string, args?: Record<string, unknown>) => Promise<unknown>;
  network: { provider: unknown; config: { hardfork?: string } };
  artifacts: { readArtifactSync: (name: string) => { abi: Abi; bytecode: Hex; deployedBytecode: Hex } };
};

const label = (s: string): Hex => keccak256(stringToBytes(`poq-bench/${s}`));

/** Score of evaluator `e` for task `t`: spread over 2000..10000 like real qualities (two nonzero bytes mostly). */
const scoreOf = (e: number, t: number): number => 2_000 + ((Math.imul(t + 1, 2654435761) ^ Math.imul(e + 1, 40503)) >>> 0) % 8_001;

const median = (xs: bigint[]): bigint => {
  const s = [...xs].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return s.length ? s[s.length >> 1] : 0n;
};
const sum = (txs: Tx[]): bigint => txs.reduce((a, t) => a + t.gasUsed, 0n);

export async function runOnchain(hre: Hre, o: OnchainOptions): Promise<OnchainResult> {
  const chain = new BenchChain(hre.network.provider as EIP1193Provider);
  const accounts = (await (hre.network.provider as EIP1193Provider).request({ method: "eth_accounts" })) as Address[];
  const [owner, relayer0, relayer1, guardian, funder, treasury] = accounts.map((a) => getAddress(a));
  const zeroAddress = "0x0000000000000000000000000000000000000000";

  async function deploy(name: string, args: readonly unknown[]): Promise<Address> {
    const art = hre.artifacts.readArtifactSync(name);
    const { encodeDeployData } = await import("viem");
    const data = encodeDeployData({ abi: art.abi, bytecode: art.bytecode, args } as never);
    const hash = (await (hre.network.provider as EIP1193Provider).request({
      method: "eth_sendTransaction",
      params: [{ from: owner, data, gas: toHex(16_000_000n) }],
    } as never)) as Hex;
    const r = (await (hre.network.provider as EIP1193Provider).request({ method: "eth_getTransactionReceipt", params: [hash] } as never)) as {
      contractAddress: Address;
    };
    return getAddress(r.contractAddress);
  }

  /* SYSTEM */
  o.progress("deploying the contracts and the naive baseline");
  const baseParams = {
    assignDuration: 600,
    commitDuration: 600,
    revealDuration: 600,
    settleWindow: 3_600,
    settleCommitDuration: 300,
    settleRevealDuration: 300,
    challengeDuration: 600,
    responseDuration: 600,
    maxTasks: 100_000,
    seedDelay: 1,
    k: o.baseK,
    quorum: 2,
    maxVetoes: 2,
    maxExtensions: 3,
    maxOpenRounds: 8,
    nonRevealSlashBps: 1_000,
    lowTrustSlashBps: 500,
    maxLowTrustSlashes: 16,
    challengeRewardBps: 5_000,
    failedChallengeBps: 5_000,
    maxRoundPools: 10_000n * TOKEN,
    minRelayerBond: BOND,
    minChallengeBond: 100n * TOKEN,
    policyHash: label("policy"),
    goldPoolRoot: zeroHash,
    goldPoolSize: 0,
  };
  const token = await deploy("TestToken", [owner]);
  const timelock = await deploy("PoQTimelock", [TIMELOCK_DELAY, [owner], [owner], zeroAddress]);
  const config = await deploy("SettlementConfig", [timelock, guardian, [relayer0, relayer1], baseParams]);
  const vault = await deploy("StakeVault", [timelock, token, treasury, 7 * 24 * 3600, 2_000, [100n * TOKEN, 100n * TOKEN, BOND]]);
  const distributor = await deploy("RewardDistributor", [token]);
  const settlement = await deploy("PoQSettlement", [config, vault, distributor]);
  const challenges = await deploy("SettlementChallenges", [settlement, distributor, token]);
  await chain.write(owner, vault, stakeVaultAbi, "setSettlement", [settlement]);
  await chain.write(owner, distributor, rewardDistributorAbi, "setSettlement", [settlement]);
  await chain.write(owner, settlement, poQSettlementAbi, "setChallenges", [challenges]);
  await chain.write(owner, config, settlementConfigAbi, "setVault", [vault]);
  for (const r of [relayer0, relayer1]) {
    await chain.write(owner, token, testTokenAbi, "mint", [r, BOND]);
    await chain.write(r, token, testTokenAbi, "approve", [vault, BOND]);
    await chain.write(r, vault, stakeVaultAbi, "stake", [Role.Relayer, BOND]);
  }

  /** A parameter change goes through the timelock: scheduled, then executed after its delay. */
  async function setParams(params: typeof baseParams) {
    const data = encodeFunctionData({ abi: settlementConfigAbi, functionName: "setParams", args: [params] });
    await chain.write(owner, timelock, poQTimelockAbi, "schedule", [config, 0n, data, zeroHash, zeroHash, TIMELOCK_DELAY]);
    const now = (await chain.read(timelock, poQTimelockAbi, "getTimestamp", [await chain.read(timelock, poQTimelockAbi, "hashOperation", [config, 0n, data, zeroHash, zeroHash])])) as bigint;
    await chain.timeTo(now);
    await chain.write(owner, timelock, poQTimelockAbi, "execute", [config, 0n, data, zeroHash, zeroHash]);
  }
  const naiveArt = hre.artifacts.readArtifactSync("NaiveSettlement");
  const naiveAbi = naiveArt.abi;
  const naive = await deploy("NaiveSettlement", [token, relayer0]);

  await chain.write(owner, token, testTokenAbi, "mint", [funder, 10n ** 12n * TOKEN]);
  await chain.write(funder, token, testTokenAbi, "approve", [distributor, 2n ** 255n]);

  /* PARTICIPANTS: evaluators sign with their own keys; every account already holds tokens (as in production). */
  const evaluatorKeys: PrivateKeyAccount[] = Array.from({ length: o.evaluators }, (_, i) => privateKeyToAccount(label(`evaluator/${i}`)));
  const evaluators = evaluatorKeys.map((a) => a.address);
  const keyOf = new Map(evaluatorKeys.map((a) => [a.address, a]));
  const nodes = Array.from({ length: o.nodes }, (_, i) => privateKeyToAccount(label(`node/${i}`)).address);
  const stakes = new Map<Address, bigint>();
  for (const [i, e] of evaluators.entries()) {
    await chain.unlock(e);
    const stake = (1_000n + 20n * BigInt(i)) * TOKEN;
    await chain.write(owner, token, testTokenAbi, "mint", [e, stake + TOKEN]);
    await chain.write(e, token, testTokenAbi, "approve", [vault, stake]);
    await chain.write(e, vault, stakeVaultAbi, "stake", [Role.Evaluator, stake]);
    stakes.set(e, stake);
  }
  for (const n of nodes) {
    await chain.unlock(n);
    await chain.write(owner, token, testTokenAbi, "mint", [n, TOKEN]);
  }
  const pool = evaluators.map((address) => ({ address, stake: stakes.get(address)! }));
  const chainId = BigInt((await (hre.network.provider as EIP1193Provider).request({ method: "eth_chainId" })) as Hex);

  /* PoQ ROUNDS */
  let currentK = o.baseK;
  const cumulative = new Map<Address, bigint>();
  let claimedSoFar = new Map<Address, bigint>();

  function makeTasks(n: number, tag: string): TaskLeaf[] {
    return Array.from({ length: n }, (_, i) => ({
      index: i,
      node: nodes[i % nodes.length],
      modelId: label(`model/${i % 3}`),
      contentHash: label(`${tag}/output/${i}`),
      costUnits: BigInt(100 + (i % 900)),
    }));
  }

  async function poqRound(tasks: number, k: number, mode: "batch" | "direct", tag: string): Promise<RoundGas> {
    const txs: Record<string, Tx[]> = {};
    const batchSizes: number[] = [];
    const rec = (key: string, tx: Tx) => (txs[key] ??= []).push(tx);
    if (k !== currentK) {
      await setParams({ ...baseParams, k });
      currentK = k;
    }
    const leaves = makeTasks(tasks, tag);
    const taskRoot = buildTaskTree(leaves).root as Hex;
    const registration = { taskRoot, taskCount: tasks, goldCommitment: zeroHash, manifestCid: label(`manifest/${tag}`) };
    rec("registerTasks", await chain.write(relayer0, settlement, poQSettlementAbi, "registerTasks", [registration]));
    const roundId = await chain.read(settlement, poQSettlementAbi, "roundCount", []);
    await chain.write(funder, distributor, rewardDistributorAbi, "fundRound", [roundId, INFERENCE_POOL, EVALUATOR_POOL]);
    // The seed block is mined (the funding above); the first vote records the seed.
    rec("drawSeed", await chain.write(relayer1, settlement, poQSettlementAbi, "drawSeed", [roundId]));
    const r0 = await chain.read(settlement, poQSettlementAbi, "getRound", [roundId]);
    const { byEvaluator } = assignEvaluators({ seed: r0.seed, taskCount: tasks, k, evaluators: pool });
    const tree = buildAssignmentTree(byEvaluator);
    rec("proposeAssignment", await chain.write(relayer0, settlement, poQSettlementAbi, "proposeAssignment", [roundId, tree.root as Hex]));
    rec("proposeAssignmentQuorum", await chain.write(relayer1, settlement, poQSettlementAbi, "proposeAssignment", [roundId, tree.root as Hex]));

    // Evaluators commit (one transaction each).
    const proofOf = new Map<Address, { tasksHash: Hex; proof: Hex[] }>();
    for (const [i, v] of tree.entries()) proofOf.set(getAddress(v[0]), { tasksHash: v[2], proof: tree.getProof(i) as Hex[] });
    const prepared: { evaluator: Address; scores: Hex; salt: Hex }[] = [];
    for (const [ei, e] of evaluators.entries()) {
      const mine = byEvaluator.get(e);
      if (!mine || mine.length === 0) continue;
      const scores = packScores(mine.map((t) => scoreOf(ei, t)));
      const salt = label(`salt/${tag}/${e}`);
      const commitment = scoreCommitment({ chainId, contract: settlement, roundId, evaluator: e, scores, salt });
      rec("commitScores", await chain.write(e, settlement, poQSettlementAbi, "commitScores", [roundId, commitment]));
      prepared.push({ evaluator: e, scores, salt });
    }
    await chain.timeTo(BigInt((await chain.read(settlement, poQSettlementAbi, "getRound", [roundId])).commitDeadline));

    // Reveals: each evaluator by itself, or signed and relayed in batches.
    if (mode === "direct") {
      for (const p of prepared) {
        const a = proofOf.get(p.evaluator)!;
        rec("revealScores", await chain.write(p.evaluator, settlement, poQSettlementAbi, "revealScores", [roundId, p.scores, p.salt, a.tasksHash, a.proof]));
      }
    } else {
      const signed: { evaluator: Address; reveal: SignedReveal }[] = [];
      for (const p of prepared) {
        const a = proofOf.get(p.evaluator)!;
        const typed = revealTypedData({ chainId, contract: settlement, roundId, scores: p.scores, salt: p.salt });
        const signature = await keyOf.get(p.evaluator)!.signTypedData(typed);
        signed.push({ evaluator: p.evaluator, reveal: { scores: p.scores, salt: p.salt, tasksHash: a.tasksHash, assignmentProof: a.proof, ...compactSignature(signature) } });
      }
      for (const batch of planRevealBatches(signed)) {
        rec("revealScoresBatch", await chain.write(relayer0, settlement, poQSettlementAbi, "revealScoresBatch", [roundId, batch.map((b) => b.reveal)]));
        batchSizes.push(batch.length);
      }
    }
    await chain.timeTo(BigInt((await chain.read(settlement, poQSettlementAbi, "getRound", [roundId])).revealDeadline));

    // Settlement: nodes share the inference pool by tasks served, evaluators the evaluator pool by tasks scored.
    const rewards = new Map<Address, bigint>();
    const split = (pot: bigint, weights: Map<Address, number>) => {
      const total = [...weights.values()].reduce((s, w) => s + w, 0);
      let left = pot;
      const entries = [...weights.entries()];
      entries.forEach(([a, w], i) => {
        const amount = i === entries.length - 1 ? left : (pot * BigInt(w)) / BigInt(total);
        left -= amount;
        rewards.set(a, (rewards.get(a) ?? 0n) + amount);
      });
    };
    const served = new Map<Address, number>();
    for (const l of leaves) served.set(l.node, (served.get(l.node) ?? 0) + 1);
    split(INFERENCE_POOL, served);
    split(EVALUATOR_POOL, new Map(prepared.map((p) => [p.evaluator, byEvaluator.get(p.evaluator)!.length])));
    for (const [a, v] of rewards) cumulative.set(a, (cumulative.get(a) ?? 0n) + v);
    const rewardsTree = buildSumTree([...cumulative.entries()].map(([account, amount]) => ({ account, amount })));
    const s: Settlement = {
      rewardsRoot: rewardsTree.root,
      cumulativeTotal: rewardsTree.total,
      inferencePaid: INFERENCE_POOL,
      evaluatorPaid: EVALUATOR_POOL,
      trustRoot: label(`trust/${tag}`),
      inputsHash: label(`inputs/${tag}`),
      goldRoot: zeroHash,
      goldSalt: zeroHash,
      goldCount: 0,
      paramsVersion: Number(r0.paramsVersion),
      flags: 0,
      lowTrustSlashes: [],
    };
    const hash = hashSettlement(s);
    const salts = [relayer0, relayer1].map((r) => label(`settle/${tag}/${r}`));
    for (const [i, r] of [relayer0, relayer1].entries()) {
      const commitment = settlementCommitment({ chainId, contract: settlement, roundId, attempt: 1, relayer: r, settlementHash: hash, salt: salts[i] });
      rec("commitSettlement", await chain.write(r, settlement, poQSettlementAbi, "commitSettlement", [roundId, commitment]));
    }
    const [, commitsClose] = await chain.read(settlement, poQSettlementAbi, "settlementAttempt", [roundId]);
    await chain.timeTo(commitsClose);
    const cid = label(`payload/${tag}`);
    rec("revealSettlement", await chain.write(relayer0, settlement, poQSettlementAbi, "revealSettlement", [roundId, s, salts[0], cid]));
    rec("revealSettlementQuorum", await chain.write(relayer1, settlement, poQSettlementAbi, "revealSettlement", [roundId, s, salts[1], cid]));
    await chain.timeTo(BigInt((await chain.read(settlement, poQSettlementAbi, "getRound", [roundId])).challengeEnd));
    rec("finalize", await chain.write(relayer0, settlement, poQSettlementAbi, "finalize", [roundId, s]));

    // Every account this round paid claims (itself): a first claim the first time, a repeat claim later.
    for (const a of rewards.keys()) {
      const p = rewardProof(rewardsTree, a)!;
      const key = claimedSoFar.has(a) ? "claimRepeat" : "claimFirst";
      rec(key, await chain.write(a, distributor, rewardDistributorAbi, "claim", [a, p.cumulativeAmount, BigInt(p.index), p.proof]));
    }
    claimedSoFar = new Map(cumulative);

    const g = (k: string) => sum(txs[k] ?? []);
    const revealKey = mode === "direct" ? "revealScores" : "revealScoresBatch";
    const out: RoundGas = {
      tasks,
      k,
      mode,
      pairs: tasks * k,
      evaluators: prepared.length,
      registerTasks: g("registerTasks") + g("drawSeed"),
      proposeAssignment: g("proposeAssignment") + g("proposeAssignmentQuorum"),
      commits: g("commitScores"),
      reveals: g(revealKey),
      revealTxs: (txs[revealKey] ?? []).length,
      batchSizes,
      commitSettlement: g("commitSettlement"),
      revealSettlement: g("revealSettlement") + g("revealSettlementQuorum"),
      finalize: g("finalize"),
      claims: g("claimFirst") + g("claimRepeat"),
      claimCount: (txs.claimFirst ?? []).length + (txs.claimRepeat ?? []).length,
      total: 0n,
      relayer: 0n,
      txs,
    };
    out.relayer = out.registerTasks + out.proposeAssignment + out.commitSettlement + out.revealSettlement + out.finalize;
    out.total = out.relayer + out.commits + out.reveals;
    return out;
  }

  /* NAIVE ROUNDS: the same tasks, assignment and scores, one transaction per score. */
  let naiveCount = 0;

  async function naiveRound(tasks: number, k: number, tag: string): Promise<NaiveGas> {
    const leaves = makeTasks(tasks, tag);
    const register = await chain.write(relayer0, naive, naiveAbi, "registerTasks" as never, [buildTaskTree(leaves).root, BigInt(tasks)] as never);
    const roundId = BigInt(++naiveCount);
    const { byEvaluator } = assignEvaluators({ seed: label(`naive-seed/${tag}`), taskCount: tasks, k, evaluators: pool });
    const pairs: [number, number][] = []; // (evaluator index, task), in task order as evaluators would send them
    for (const [ei, e] of evaluators.entries()) for (const t of byEvaluator.get(e) ?? []) pairs.push([ei, t]);
    pairs.sort((a, b) => a[1] - b[1] || a[0] - b[0]);
    const sampled = pairs.length > o.naiveMaxTxs;
    const chosen = sampled ? Array.from({ length: o.naiveSample }, (_, i) => pairs[Math.floor((i * pairs.length) / o.naiveSample)]) : pairs;
    const gas: bigint[] = [];
    for (const [i, [ei, t]] of chosen.entries()) {
      const tx = await chain.write(evaluators[ei], naive, naiveAbi, "submitScore" as never, [roundId, BigInt(t), BigInt(scoreOf(ei, t))] as never);
      gas.push(tx.gasUsed);
      if (i > 0 && i % 5_000 === 0) o.progress(`  naive ${tasks}x${k}: ${i}/${chosen.length} score transactions`);
    }
    const sent = gas.reduce((a, b) => a + b, 0n);
    const scores = sampled ? (sent * BigInt(pairs.length)) / BigInt(chosen.length) : sent;
    // Rewards pushed to every participant (the same split as the PoQ round: nodes by tasks, evaluators by scores).
    const recipients = [...nodes, ...evaluators.filter((e) => (byEvaluator.get(e) ?? []).length > 0)];
    const amounts = recipients.map(() => TOKEN);
    await chain.write(funder, token, testTokenAbi, "transfer", [naive, TOKEN * BigInt(recipients.length)]);
    const push = await chain.write(relayer0, naive, naiveAbi, "pushRewards" as never, [roundId, recipients, amounts] as never);
    const sorted = [...gas].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return {
      tasks,
      k,
      pairs: pairs.length,
      registerTasks: register.gasUsed,
      scores,
      scoreTxsSent: chosen.length,
      sampled,
      pushRewards: push.gasUsed,
      accounts: recipients.length,
      total: register.gasUsed + scores + push.gasUsed,
      scoreTx: { median: median(gas), min: sorted[0], max: sorted[sorted.length - 1] },
    };
  }

  const configs: { tasks: number; k: number }[] = [];
  for (const t of o.tasks) configs.push({ tasks: t, k: o.baseK });
  for (const k of o.ks) if (!configs.some((c) => c.tasks === o.baseTasks && c.k === k)) configs.push({ tasks: o.baseTasks, k });

  o.progress(`warm-up round (every account's first claim), then ${configs.length} configurations x 2 reveal paths`);
  const warmup = await poqRound(Math.min(o.baseTasks, 100), o.baseK, "batch", "warmup");
  const rounds: RoundGas[] = [];
  for (const c of configs) {
    for (const mode of ["batch", "direct"] as const) {
      const t0 = performance.now();
      const r = await poqRound(c.tasks, c.k, mode, `${c.tasks}x${c.k}/${mode}`);
      rounds.push(r);
      o.progress(`  PoQ ${c.tasks}x${c.k} ${mode}: ${Number(r.total).toLocaleString("en-US")} gas, ${(Number(r.total) / r.pairs).toFixed(0)} per pair (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
    }
  }
  const naiveRounds: NaiveGas[] = [];
  for (const c of configs) {
    const t0 = performance.now();
    const n = await naiveRound(c.tasks, c.k, `naive/${c.tasks}x${c.k}`);
    naiveRounds.push(n);
    o.progress(`  naive ${c.tasks}x${c.k}: ${(Number(n.total) / n.pairs).toFixed(0)} per pair${n.sampled ? ` (${n.scoreTxsSent} of ${n.pairs} score transactions sent)` : ""} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  }
  const hardfork = hre.network.config.hardfork ?? "default";
  const settlementBytes = (hre.artifacts.readArtifactSync("PoQSettlement").deployedBytecode.length - 2) / 2;
  return { rounds, naive: naiveRounds, warmup, evaluators: o.evaluators, nodes: o.nodes, accounts: o.evaluators + o.nodes, hardfork, settlementBytes };
}
