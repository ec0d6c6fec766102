import { createTestClient, erc20Abi, getAddress, keccak256, toHex, type Abi, type Address, type EIP1193Provider, type Hex } from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { poQSettlementAbi, poQTimelockAbi, rewardDistributorAbi, settlementChallengesAbi, stakeVaultAbi, testTokenAbi } from "../chain/abis";
import { connect, walletFor, type Clients } from "../chain/client";
import type { Deployment } from "../chain/deployment";
import { buildAssignmentTree, buildTaskTree, hashSettlement, packScores, scoreCommitment, settlementCommitment, type Settlement, type TaskLeaf } from "../chain/encoding";
import { evaluatorStakesBefore, readRound } from "../chain/reader";
import { assignEvaluators } from "../consensus/assignment";

/**
 * Test helpers: the in-process Hardhat network (a fresh chain per test file, since vitest runs each file in its own
 * process), a PoQLocal deployment on it, a JSON-RPC server over it so other processes (`poq explorer --rpc`) can read
 * the same chain, and the protocol's steps driven by hand (register, seed and assign, vote, settle, challenge,
 * schedule through the timelock) for the tests that need a state the agents never produce.
 */

type Hre = {
  run: (task: string, args?: object) => Promise<unknown>;
  network: { provider: EIP1193Provider };
  ignition: { deploy: (mod: unknown, o: object) => Promise<Record<string, { getAddress(): Promise<string> }>> };
};

export function hardhat(): Hre {
  // The TypeScript hardhat.config.ts needs a require hook inside vitest.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require("tsx/cjs");
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require("hardhat") as Hre;
}

/** The deployment's addresses from Ignition's deployed futures. */
export async function deploymentOf(deployed: Record<string, { getAddress(): Promise<string> }>, chainId: number): Promise<Deployment> {
  const at = async (k: string) => getAddress(await deployed[k].getAddress());
  return {
    chainId,
    token: await at("token"),
    vault: await at("vault"),
    distributor: await at("distributor"),
    settlement: await at("settlement"),
    config: await at("config"),
    challenges: await at("challenges"),
    timelock: await at("timelock"),
  };
}

/** Deploys PoQLocal (test token, timelock and the core contracts) on the in-process network. */
export async function deployLocal(parameters: Record<string, unknown> = {}): Promise<{ provider: EIP1193Provider; clients: Clients; deployment: Deployment }> {
  const hre = hardhat();
  await hre.run("compile", { quiet: true });
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require("../../deploy/modules/PoQLocal").default;
  const deployed = await hre.ignition.deploy(mod, { parameters: { PoQLocal: parameters }, displayUi: false });
  const provider = hre.network.provider;
  const clients = await connect({ provider }, 50);
  return { provider, clients, deployment: await deploymentOf(deployed, clients.chain.id) };
}

/** Serves an EIP-1193 provider over HTTP JSON-RPC (Hardhat's own server), on a free port of 127.0.0.1. */
export async function serveRpc(provider: EIP1193Provider): Promise<{ url: string; close: () => Promise<void> }> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { JsonRpcServer } = require("hardhat/internal/hardhat-network/jsonrpc/server") as {
    JsonRpcServer: new (c: { hostname: string; port: number; provider: EIP1193Provider }) => { listen(): Promise<{ address: string; port: number }>; close(): Promise<void> };
  };
  const server = new JsonRpcServer({ hostname: "127.0.0.1", port: 0, provider });
  const { port } = await server.listen();
  return { url: `http://127.0.0.1:${port}`, close: () => server.close() };
}

/* DRIVING THE PROTOCOL BY HAND */

const MNEMONIC = "test test test test test test test test test test test junk";
const keys = new Map<number, Hex>();

/** Private key of local development account `i`. */
export function keyOf(i: number): Hex {
  let k = keys.get(i);
  if (!k) keys.set(i, (k = toHex(mnemonicToAccount(MNEMONIC, { addressIndex: i }).getHdKey().privateKey!)));
  return k;
}

/** A local chain with its deployment, driven by development accounts (0 deploys, proposes and executes; 19 guards). */
export class LocalChain {
  readonly test: ReturnType<typeof createTestClient>;
  constructor(
    readonly clients: Clients,
    readonly d: Deployment,
  ) {
    this.test = createTestClient({ mode: "hardhat", chain: clients.chain, transport: clients.transport });
  }

  get client() {
    return this.clients.publicClient;
  }

  address(i: number): Address {
    return walletFor(this.clients, keyOf(i)).account.address;
  }

  /** Sends a call as account `who` and waits for it; throws when it reverts. */
  async send(who: number, address: Address, abi: Abi, functionName: string, args: readonly unknown[]): Promise<Hex> {
    const wallet = walletFor(this.clients, keyOf(who));
    // The nonce read from the chain, not a cached one: tests revert the chain to snapshots under the nonce manager.
    const nonce = await this.client.getTransactionCount({ address: wallet.account.address, blockTag: "pending" });
    const hash = await wallet.writeContract({ address, abi, functionName, args, nonce } as never);
    const rc = await this.client.waitForTransactionReceipt({ hash });
    if (rc.status !== "success") throw new Error(`${functionName} reverted`);
    return hash;
  }

  async passTime(seconds: number) {
    await this.test.increaseTime({ seconds: Math.max(1, Math.ceil(seconds)) });
    await this.test.mine({ blocks: 1 });
  }

  /** Moves the chain's clock to just past `at` (Unix seconds). */
  async passUntil(at: bigint | number) {
    const now = (await this.client.getBlock()).timestamp;
    if (BigInt(at) >= now) await this.passTime(Number(BigInt(at) - now) + 1);
  }

  /** Mints `amount` to `who` and approves `spender` for it. */
  async fund(who: number, amount: bigint, spender: Address) {
    await this.send(0, this.d.token, testTokenAbi as Abi, "mint", [this.address(who), amount]);
    await this.send(who, this.d.token, erc20Abi as Abi, "approve", [spender, amount]);
  }

  /** Stakes `amount` for `role` (1 inference, 2 evaluator, 3 relayer: its bond) as `who`. */
  async stake(who: number, role: 1 | 2 | 3, amount: bigint): Promise<Hex> {
    await this.fund(who, amount, this.d.vault);
    return this.send(who, this.d.vault, stakeVaultAbi as Abi, "stake", [role, amount]);
  }

  /** Registers a batch of `n` tasks as relayer `who`; returns the round id, its tasks and the task root. */
  async register(who: number, n: number, o: { salt?: string; manifestCid?: Hex; goldCommitment?: Hex; node?: Address } = {}): Promise<{ id: bigint; tasks: TaskLeaf[]; root: Hex }> {
    const tasks: TaskLeaf[] = Array.from({ length: n }, (_, i) => ({
      index: i,
      node: o.node ?? this.address(3 + (i % 2)),
      modelId: keccak256(toHex(`model-${i % 2}`)),
      contentHash: keccak256(toHex(`${o.salt ?? "batch"}/${i}`)),
      costUnits: BigInt(100 + i),
    }));
    const root = buildTaskTree(tasks).root as Hex;
    const reg = { taskRoot: root, taskCount: n, goldCommitment: o.goldCommitment ?? `0x${"00".repeat(32)}`, manifestCid: o.manifestCid ?? "0x" };
    await this.send(who, this.d.settlement, poQSettlementAbi as Abi, "registerTasks", [reg]);
    const id = await this.client.readContract({ address: this.d.settlement, abi: poQSettlementAbi, functionName: "roundCount" });
    return { id, tasks, root };
  }

  /** Mines past the seed block and has `relayers` vote the assignment recomputed from public data (quorum opens the commit window). */
  async assign(id: bigint, relayers: number[]): Promise<Map<Address, number[]>> {
    let r = await readRound(this.client, this.d, id);
    const head = await this.client.getBlockNumber();
    if (head <= r.seedBlock) await this.test.mine({ blocks: Number(r.seedBlock - head) + 1 });
    await this.send(relayers[0], this.d.settlement, poQSettlementAbi as Abi, "drawSeed", [id]);
    r = await readRound(this.client, this.d, id);
    const stakes = await evaluatorStakesBefore(this.client, { ...this.d, fromBlock: 0n }, r.registeredBlock);
    const { byEvaluator } = assignEvaluators({ seed: r.seed, taskCount: r.taskCount, k: r.params.k, evaluators: [...stakes.entries()].map(([address, stake]) => ({ address, stake })) });
    const root = buildAssignmentTree(byEvaluator).root as Hex;
    for (const rel of relayers) await this.send(rel, this.d.settlement, poQSettlementAbi as Abi, "proposeAssignment", [id, root]);
    return byEvaluator;
  }

  /**
   * Each evaluator of `byEvaluator` (by account index) commits `score(task, who)` for its tasks; the `silent` ones never
   * reveal. Passes the commit window, reveals, and passes the reveal window.
   */
  async vote(id: bigint, byEvaluator: Map<Address, number[]>, accounts: number[], o: { silent?: number[]; score?: (task: number, who: number) => number } = {}) {
    const tree = buildAssignmentTree(byEvaluator);
    const reveals: { who: number; scores: Hex; salt: Hex; tasksHash: Hex; proof: Hex[] }[] = [];
    for (const who of accounts) {
      const me = this.address(who);
      const tasks = byEvaluator.get(me);
      if (!tasks?.length) continue;
      const scores = packScores(tasks.map((t) => (o.score ?? ((x, w) => 5_000 + 100 * x + w))(t, who)));
      const salt = keccak256(toHex(`eval-salt/${id}/${who}`));
      const commitment = scoreCommitment({ chainId: this.d.chainId, contract: this.d.settlement, roundId: id, evaluator: me, scores, salt });
      await this.send(who, this.d.settlement, poQSettlementAbi as Abi, "commitScores", [id, commitment]);
      let proof: Hex[] = [];
      let tasksHash: Hex = "0x";
      for (const [i, v] of tree.entries()) if (v[0] === me) ((proof = tree.getProof(i) as Hex[]), (tasksHash = v[2]));
      if (!o.silent?.includes(who)) reveals.push({ who, scores, salt, tasksHash, proof });
    }
    const r = await readRound(this.client, this.d, id);
    await this.passUntil(r.commitDeadline);
    for (const x of reveals) await this.send(x.who, this.d.settlement, poQSettlementAbi as Abi, "revealScores", [id, x.scores, x.salt, x.tasksHash, x.proof]);
    await this.passUntil(r.revealDeadline);
    return reveals.map((x) => x.who);
  }

  /** A settlement that pays nothing new: the current rewards root and allocation, the round's parameter version. */
  async emptySettlement(id: bigint, inputs: string): Promise<Settlement> {
    const [root, [, allocated], r] = await Promise.all([
      this.client.readContract({ address: this.d.distributor, abi: rewardDistributorAbi, functionName: "root" }),
      this.client.readContract({ address: this.d.distributor, abi: rewardDistributorAbi, functionName: "totals" }),
      readRound(this.client, this.d, id),
    ]);
    const zero = `0x${"00".repeat(32)}` as Hex;
    return {
      rewardsRoot: root,
      cumulativeTotal: allocated,
      inferencePaid: 0n,
      evaluatorPaid: 0n,
      trustRoot: zero,
      inputsHash: keccak256(toHex(inputs)),
      goldRoot: zero,
      goldSalt: zero,
      goldCount: 0,
      paramsVersion: r.paramsVersion,
      flags: 0,
      lowTrustSlashes: [],
    };
  }

  /** `relayers` commit `s` in a new attempt, then reveal it with `payloadCid` once the commit window closed (quorum accepts it). */
  async settle(id: bigint, s: Settlement, relayers: number[], payloadCid: Hex = "0x"): Promise<Hex> {
    const hash = hashSettlement(s);
    const salt = keccak256(toHex(`salt/${hash}`));
    let attempt = 0n;
    for (const rel of relayers) {
      const [current, , revealsClose] = await this.client.readContract({ address: this.d.settlement, abi: poQSettlementAbi, functionName: "settlementAttempt", args: [id] });
      const now = (await this.client.getBlock()).timestamp;
      attempt = rel === relayers[0] && (revealsClose === 0n || now >= revealsClose) ? current + 1n : current;
      const commitment = settlementCommitment({ chainId: this.d.chainId, contract: this.d.settlement, roundId: id, attempt, relayer: this.address(rel), settlementHash: hash, salt });
      await this.send(rel, this.d.settlement, poQSettlementAbi as Abi, "commitSettlement", [id, commitment]);
    }
    const [, commitsClose] = await this.client.readContract({ address: this.d.settlement, abi: poQSettlementAbi, functionName: "settlementAttempt", args: [id] });
    await this.passUntil(commitsClose - 1n);
    for (const rel of relayers) await this.send(rel, this.d.settlement, poQSettlementAbi as Abi, "revealSettlement", [id, s, salt, payloadCid]);
    return hash;
  }

  /** Opens an Account challenge as `who` against the accepted settlement `s` of round `id`, posting the bond. */
  async challengeAccount(who: number, id: bigint, s: Settlement, leaf: { account: Address; amount: bigint; index: number; proof: Hex[] }): Promise<bigint> {
    const r = await readRound(this.client, this.d, id);
    await this.fund(who, r.params.minChallengeBond, this.d.challenges);
    await this.send(who, this.d.challenges, settlementChallengesAbi as Abi, "challengeAccount", [id, s, leaf.account, leaf.amount, BigInt(leaf.index), leaf.proof]);
    return this.client.readContract({ address: this.d.challenges, abi: settlementChallengesAbi, functionName: "challengeCount" });
  }

  /** Schedules `data` on `target` through the timelock (account 0 proposes) with its minimum delay; returns the operation id. */
  async schedule(target: Address, data: Hex, salt: string): Promise<{ id: Hex; hash: Hex; args: readonly unknown[] }> {
    const delay = await this.client.readContract({ address: this.d.timelock, abi: poQTimelockAbi, functionName: "getMinDelay" });
    const zero = `0x${"00".repeat(32)}` as Hex;
    const saltHash = keccak256(toHex(salt));
    const args = [target, 0n, data, zero, saltHash] as const;
    const hash = await this.send(0, this.d.timelock, poQTimelockAbi as Abi, "schedule", [...args, delay]);
    const id = await this.client.readContract({ address: this.d.timelock, abi: poQTimelockAbi, functionName: "hashOperation", args: [...args] });
    return { id, hash, args };
  }
}
