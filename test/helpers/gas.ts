import { ethers } from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import type { ContractTransactionResponse } from "ethers";
import type { Address } from "viem";
import { buildAssignmentTree, buildTaskTree } from "../../src/chain/encoding";
import { buildSumTree, sumTreeProof } from "../../src/rewards/sumTree";
import { GOLD_POOL, INITIAL_BALANCE, TOKEN, deploySystem, getAccounts, mint, stakeAll, type Params, type System } from "./fixtures";
import {
  PAYLOAD_CID,
  ZERO32,
  acceptedRound,
  addToLedger,
  addr,
  buildSettlement,
  claimProof,
  commit,
  fullRound,
  fund,
  goldAnswer,
  goldProof,
  makeCommit,
  makeGold,
  makeSettlementCommit,
  makeTasks,
  mineToSeed,
  openRound,
  registerRound,
  reveal,
  revealAll,
  settle,
  signedReveal,
  toChallengeEnd,
  toReveal,
  toSettle,
  toSettleReveals,
  type GoldCtx,
  type RoundCtx,
} from "./round";

/**
 * The gas scenarios behind docs/gas.md: each deploys a fresh system and performs exactly the measured operations,
 * reading `receipt.gasUsed` (which includes the 21,000 base cost and calldata). Shared by test/Gas.test.ts (which
 * asserts the budgets) and scripts/gas-table.ts (which writes the document).
 */

/** The budgets of issue 12. */
export const GAS_BUDGETS: Record<string, number> = {
  commitScores: 55_000,
  revealScores100: 60_000,
  claimFirst: 75_000,
};

export type GasRow = { key: string; operation: string; gasUsed: bigint; budget?: number };
/** Claim costs for a rewards tree of `leaves` accounts (proof of `depth` levels). */
export type ClaimRow = { leaves: number; depth: number; first: bigint; firstFresh: bigint; repeat: bigint };

export const CLAIM_TREE_SIZES = [8, 16, 64, 256, 1024, 4096, 16384];
/** Accounts in the rewards tree of the round scenario (the budget's 1,024). */
export const ROUND_TREE_LEAVES = 1024;
const ASSIGNMENT_LEAVES = 64;

async function gasOf(tx: Promise<ContractTransactionResponse>): Promise<bigint> {
  return (await (await tx).wait())!.gasUsed;
}

/** A filler address that is nobody's signer and holds no tokens. */
const filler = (i: number): Address => addr(ethers.toBeHex(0xf00000 + i, 20));

class Rows {
  rows: GasRow[] = [];
  add(key: string, operation: string, gasUsed: bigint) {
    this.rows.push({ key, operation, gasUsed, budget: GAS_BUDGETS[key] });
  }
}

/** Round operations: registration to claims, with a 1,024-account rewards tree. */
export async function measureRound(): Promise<GasRow[]> {
  const sys = await stakedSystem();
  const { settlement, distributor, acc } = sys;
  const [e0, e1, e2, e3] = acc.evaluators;
  const out = new Rows();

  /* ROUND 1 */
  const tasks = makeTasks(sys, 100, "gas-1");
  const taskTree = buildTaskTree(tasks);
  const reg = { taskRoot: taskTree.root, taskCount: 100, goldCommitment: ZERO32, manifestCid: PAYLOAD_CID };
  out.add("registerTasks", "registerTasks (100 tasks)", await gasOf(settlement.connect(sys.relayers[0]).registerTasks(reg)));
  const roundId = await settlement.roundCount();
  const ctx: RoundCtx = { roundId, tasks, taskTree, seedBlock: (await settlement.getRound(roundId)).seedBlock };
  await mineToSeed(sys, ctx);
  out.add("drawSeed", "drawSeed", await gasOf(settlement.connect(acc.outsider).drawSeed(ctx.roundId)));
  const assignment = new Map<Address, number[]>([
    [addr(e0.address), Array.from({ length: 10 }, (_, i) => i)],
    [addr(e1.address), Array.from({ length: 100 }, (_, i) => i)],
    [addr(e2.address), Array.from({ length: 100 }, (_, i) => i)],
    [addr(e3.address), Array.from({ length: 90 }, (_, i) => i + 10)],
  ]);
  for (let i = assignment.size; i < ASSIGNMENT_LEAVES; i++) assignment.set(filler(i), [i % 100]);
  ctx.assignment = assignment;
  ctx.tree = buildAssignmentTree(assignment);
  out.add("proposeAssignment", "proposeAssignment (first vote)", await gasOf(settlement.connect(sys.relayers[0]).proposeAssignment(ctx.roundId, ctx.tree.root)));
  out.add("proposeAssignmentQuorum", "proposeAssignment (quorum vote: opens the commit window)", await gasOf(settlement.connect(sys.relayers[1]).proposeAssignment(ctx.roundId, ctx.tree.root)));
  await fund(sys, ctx.roundId, 10_000n * TOKEN - 1n, 0n);
  const scores = (n: number, a: number) => Array.from({ length: n }, (_, i) => (a + 37 * i) % 10_001);
  const c0p = await makeCommit(sys, ctx.roundId, e0.address, scores(10, 9_000));
  out.add("commitScoresFirst", "commitScores (the account's first commitment ever: its book slot is new)", await gasOf(settlement.connect(e0).commitScores(ctx.roundId, c0p.commitment)));
  const c1 = await commit(sys, ctx, e1, scores(100, 5_000));
  const c2 = await commit(sys, ctx, e2, scores(100, 4_000));
  await commit(sys, ctx, e3, scores(90, 3_000));
  await toReveal(sys, ctx.roundId);
  out.add("revealScores10", "revealScores (10 scores, assignment proof of 6)", await gasOf(reveal(sys, ctx, e0, c0p)));
  out.add("revealScores100", "revealScores (100 scores, assignment proof of 6)", await gasOf(reveal(sys, ctx, e1, c1)));
  const sr = await signedReveal(sys, ctx, e2, c2);
  out.add("revealScoresBatch1", "revealScoresBatch (one signed reveal of 100 scores)", await gasOf(settlement.connect(sys.relayers[2]).revealScoresBatch(ctx.roundId, [sr])));
  await toSettle(sys, ctx.roundId);
  out.add("slashNonRevealer", "slashNonRevealer", await gasOf(settlement.connect(acc.outsider).slashNonRevealer(ctx.roundId, e3.address)));

  // Rewards: nodes, revealers and fillers up to 1,024 accounts.
  const ledger = new Map<string, bigint>();
  for (const [i, n] of acc.nodes.entries()) ledger.set(n.address, BigInt(1_000 + 100 * i) * TOKEN);
  for (const e of [e0, e1, e2]) ledger.set(e.address, 500n * TOKEN);
  for (let i = ledger.size; i < ROUND_TREE_LEAVES; i++) ledger.set(filler(10_000 + i), TOKEN);
  const paid = [...ledger.values()].reduce((a, b) => a + b, 0n);
  const b1 = buildSettlement({ ledger, inferencePaid: paid, evaluatorPaid: 0n, tag: "gas-1" });
  const [r0, r1] = sys.relayers;
  const k0 = await makeSettlementCommit(sys, r0.address, ctx.roundId, b1.settlement);
  out.add("commitSettlement", "commitSettlement (first of the round: starts attempt 1)", await gasOf(settlement.connect(r0).commitSettlement(ctx.roundId, k0.commitment)));
  const k1 = await makeSettlementCommit(sys, r1.address, ctx.roundId, b1.settlement);
  out.add("commitSettlementJoin", "commitSettlement (joins the attempt)", await gasOf(settlement.connect(r1).commitSettlement(ctx.roundId, k1.commitment)));
  await toSettleReveals(sys, ctx.roundId);
  out.add("revealSettlement", "revealSettlement (first reveal, 0 low-trust slashes)", await gasOf(settlement.connect(r0).revealSettlement(ctx.roundId, b1.settlement, k0.salt, PAYLOAD_CID)));
  out.add("revealSettlementQuorum", "revealSettlement (quorum reveal: accepts)", await gasOf(settlement.connect(r1).revealSettlement(ctx.roundId, b1.settlement, k1.salt, PAYLOAD_CID)));
  await toChallengeEnd(sys, ctx.roundId);
  out.add("finalize0", "finalize (0 slashes; installs the root and moves the payment)", await gasOf(settlement.connect(acc.outsider).finalize(ctx.roundId, b1.settlement)));

  // Claims under the 1,024-account root: a holder that has tokens; an account that holds none (its token balance slot
  // is new too: the worst case); the first claim of the whole distributor was the node's, measured first.
  const n0 = acc.nodes[0];
  const p0 = claimProof(b1, n0.address);
  out.add("claimFirst", `claim (first claim of an account that holds tokens; ${ROUND_TREE_LEAVES} accounts, proof of 10; the distributor's first claim)`, await gasOf(distributor.connect(n0).claim(n0.address, p0.cumulativeAmount, p0.index, p0.proof)));
  const f = filler(10_100);
  const pf = claimProof(b1, f);
  out.add("claimFirstFresh", `claim (first claim into an account that holds no tokens: worst case; ${ROUND_TREE_LEAVES} accounts)`, await gasOf(distributor.connect(acc.outsider).claim(f, pf.cumulativeAmount, pf.index, pf.proof)));

  /* ROUND 2: every evaluator reveals; five low-trust slashes. */
  const ctx2 = await openRound(sys, { n: 10, assignment: new Map(acc.evaluators.map((e) => [addr(e.address), Array.from({ length: 10 }, (_, i) => i)])) });
  const cs = new Map<Address, Awaited<ReturnType<typeof makeCommit>>>();
  const steady = await makeCommit(sys, ctx2.roundId, e0.address, scores(10, 100));
  out.add("commitScores", "commitScores (an evaluator that committed before)", await gasOf(settlement.connect(e0).commitScores(ctx2.roundId, steady.commitment)));
  cs.set(addr(e0.address), steady);
  for (const e of acc.evaluators.slice(1)) cs.set(addr(e.address), await commit(sys, ctx2, e, scores(10, 200)));
  await toReveal(sys, ctx2.roundId);
  await revealAll(sys, ctx2, cs);
  await toSettle(sys, ctx2.roundId);
  const b2 = buildSettlement({ ledger: b1.ledger, inferencePaid: 0n, evaluatorPaid: 0n, lowTrustSlashes: acc.evaluators.map((e) => e.address), tag: "gas-2" });
  const j0 = await makeSettlementCommit(sys, r0.address, ctx2.roundId, b2.settlement);
  await settlement.connect(r0).commitSettlement(ctx2.roundId, j0.commitment);
  const j1 = await makeSettlementCommit(sys, r1.address, ctx2.roundId, b2.settlement);
  await settlement.connect(r1).commitSettlement(ctx2.roundId, j1.commitment);
  await toSettleReveals(sys, ctx2.roundId);
  await settlement.connect(r0).revealSettlement(ctx2.roundId, b2.settlement, j0.salt, PAYLOAD_CID);
  out.add("revealSettlementQuorum5", "revealSettlement (quorum reveal: accepts, 5 low-trust slashes)", await gasOf(settlement.connect(r1).revealSettlement(ctx2.roundId, b2.settlement, j1.salt, PAYLOAD_CID)));
  await toChallengeEnd(sys, ctx2.roundId);
  out.add("finalize5", "finalize (5 low-trust slashes, nothing paid)", await gasOf(settlement.finalize(ctx2.roundId, b2.settlement)));

  /* ROUND 3: node 0 earns more; its second claim. */
  const ctx3 = await openRound(sys, { n: 1, assignment: new Map([[addr(e0.address), [0]]]) });
  await fund(sys, ctx3.roundId, 5n * TOKEN, 0n);
  await toSettle(sys, ctx3.roundId);
  const b3 = buildSettlement({ ledger: addToLedger(b1.ledger, new Map([[n0.address, 5n * TOKEN]])), inferencePaid: 5n * TOKEN, evaluatorPaid: 0n, tag: "gas-3" });
  await settle(sys, ctx3.roundId, b3.settlement);
  await toChallengeEnd(sys, ctx3.roundId);
  await settlement.finalize(ctx3.roundId, b3.settlement);
  const p3 = claimProof(b3, n0.address);
  out.add("claimRepeat", `claim (repeat claim of the same account under a later root; ${ROUND_TREE_LEAVES} accounts)`, await gasOf(distributor.connect(n0).claim(n0.address, p3.cumulativeAmount, p3.index, p3.proof)));

  /* Cancellation. */
  const ctx4 = await registerRound(sys, { n: 1 });
  out.add("cancelRound", "cancelRound (guardian, before the seed block)", await gasOf(settlement.connect(acc.guardian).cancelRound(ctx4.roundId)));
  return out.rows;
}

/** A fresh system (with `params`) with every role staked. */
async function stakedSystem(params?: Partial<Params>): Promise<System> {
  const sys = await deploySystem({ params });
  await stakeAll(sys);
  return sys;
}

/** Opens, evaluates and has the quorum accept a round of 4 tasks (with `gold`) on top of `ledger`. */
function accepted(sys: System, ledger: ReadonlyMap<string, bigint>, gold?: GoldCtx) {
  return acceptedRound(sys, ledger, { n: 4, inference: 400n * TOKEN, evaluator: 100n * TOKEN, gold, tag: (id) => `acc-${id}` });
}

/** A staked system whose round 1 (with `gold1`) finalized and whose round 2 (with `gold2`) is accepted on top of it. */
async function afterFinalizedRound(opts: { params?: Partial<Params>; gold1?: GoldCtx; gold2?: GoldCtx } = {}) {
  const sys = await stakedSystem(opts.params);
  const r1 = await fullRound(sys, new Map(), { gold: opts.gold1 });
  return { sys, r1, ...(await accepted(sys, r1.built.ledger, opts.gold2)) };
}

/** The cost of each challenge call. */
export async function measureChallenges(): Promise<GasRow[]> {
  const out = new Rows();
  {
    const g2 = makeGold([{ taskIndex: 0, poolIndex: 2 }], GOLD_POOL, "gas-g2");
    const { sys, r1, ctx, built } = await afterFinalizedRound({ gold1: makeGold([{ taskIndex: 1, poolIndex: 0 }], GOLD_POOL, "gas-g1"), gold2: g2 });
    const ch = sys.challenges.connect(sys.acc.challenger);
    const [n0, n1, n2] = sys.acc.nodes.map((n) => n.address);
    const p0 = claimProof(r1.built, n0);
    out.add("challengeAccount", "challengeAccount (open: earlier leaf proven, bond posted)", await gasOf(ch.challengeAccount(ctx.roundId, built.settlement, n0, p0.cumulativeAmount, p0.index, p0.proof)));
    const a0 = claimProof(built, n0);
    out.add("answerAccount", "answerAccount (refuted: responder paid, challenger refunded the rest)", await gasOf(sys.challenges.connect(sys.relayers[2]).answerAccount(1, a0.cumulativeAmount, a0.index, a0.proof)));
    out.add("challengeGoldItem", "challengeGoldItem (open)", await gasOf(ch.challengeGoldItem(ctx.roundId, built.settlement, g2.items[0], goldProof(g2, 0))));
    const it = g2.items[0];
    const { poolProof, task, taskProof } = goldAnswer(ctx, it);
    out.add("answerGoldItem", "answerGoldItem (pool proof and task proof)", await gasOf(sys.challenges.connect(sys.relayers[2]).answerGoldItem(2, it, poolProof, task, taskProof)));
    const p1 = claimProof(r1.built, n1);
    await ch.challengeAccount(ctx.roundId, built.settlement, n1, p1.cumulativeAmount, p1.index, p1.proof);
    await sys.settlement.connect(sys.acc.guardian).vetoSettlement(ctx.roundId);
    out.add("resolveMoot", "resolve (moot: the settlement was vetoed; bond back)", await gasOf(sys.challenges.resolve(3)));
    await settle(sys, ctx.roundId, built.settlement);
    const p2 = claimProof(r1.built, n2);
    await ch.challengeAccount(ctx.roundId, built.settlement, n2, p2.cumulativeAmount, p2.index, p2.proof);
    await time.increaseTo((await sys.challenges.getChallenge(4)).deadline);
    out.add("resolveUpheld2", "resolve (upheld: rejects, seizes 2 relayer bonds, pays the challenger)", await gasOf(sys.challenges.resolve(4)));
  }
  {
    const { sys, r1, ctx, built } = await afterFinalizedRound({ params: { quorum: 3 } });
    const n0 = sys.acc.nodes[0].address;
    const p0 = claimProof(r1.built, n0);
    await sys.challenges.connect(sys.acc.challenger).challengeAccount(ctx.roundId, built.settlement, n0, p0.cumulativeAmount, p0.index, p0.proof);
    await time.increaseTo((await sys.challenges.getChallenge(1)).deadline);
    out.add("resolveUpheld3", "resolve (upheld: rejects, seizes 3 relayer bonds, pays the challenger)", await gasOf(sys.challenges.resolve(1)));
  }
  {
    const sys = await stakedSystem();
    const g = makeGold([{ taskIndex: 0, poolIndex: 5 }, { taskIndex: 2, poolIndex: 5 }], GOLD_POOL, "gas-reuse");
    const { ctx, built } = await accepted(sys, new Map(), g);
    out.add(
      "proveGoldReuseSame",
      "proveGoldReuse (two gold tasks of the round; rejects, seizes 2 bonds)",
      await gasOf(sys.challenges.connect(sys.acc.challenger).proveGoldReuse(ctx.roundId, built.settlement, g.items[0], goldProof(g, 0), 0, built.settlement, g.items[1], goldProof(g, 1))),
    );
  }
  {
    const g1 = makeGold([{ taskIndex: 2, poolIndex: 7 }], GOLD_POOL, "gas-first");
    const g2 = makeGold([{ taskIndex: 0, poolIndex: 7 }], GOLD_POOL, "gas-again");
    const { sys, r1, ctx, built } = await afterFinalizedRound({ gold1: g1, gold2: g2 });
    out.add(
      "proveGoldReuseEarlier",
      "proveGoldReuse (an earlier finalized round's item; rejects, seizes 2 bonds)",
      await gasOf(sys.challenges.connect(sys.acc.challenger).proveGoldReuse(ctx.roundId, built.settlement, g2.items[0], goldProof(g2, 0), r1.ctx.roundId, r1.built.settlement, g1.items[0], goldProof(g1, 0))),
    );
  }
  {
    const sys = await stakedSystem();
    const g = makeGold([{ taskIndex: 0, poolIndex: GOLD_POOL.length }], GOLD_POOL, "gas-range");
    const { ctx, built } = await accepted(sys, new Map(), g);
    out.add(
      "proveGoldOutOfRange",
      "proveGoldOutOfRange (pool index beyond the pool; rejects, seizes 2 bonds)",
      await gasOf(sys.challenges.connect(sys.acc.challenger).proveGoldOutOfRange(ctx.roundId, built.settlement, g.items[0], goldProof(g, 0))),
    );
  }
  return out.rows;
}

/**
 * Claims against rewards trees of each size, on a distributor behind a stub settlement: the first claim of an account
 * that holds tokens, the first claim into an account that holds none, and a repeat claim under a later root.
 */
export async function measureClaimsByTreeSize(sizes: number[] = CLAIM_TREE_SIZES): Promise<ClaimRow[]> {
  const acc = await getAccounts();
  const out: ClaimRow[] = [];
  for (const leaves of sizes) {
    const token = await ethers.deployContract("TestToken", [acc.deployer.address]);
    const d = await ethers.deployContract("RewardDistributor", [await token.getAddress()]);
    const stub = await ethers.deployContract("SettlementStub", [await d.getAddress()]);
    await d.setSettlement(await stub.getAddress());
    await mint(token, acc.deployer, acc.funder.address, INITIAL_BALANCE);
    await token.connect(acc.funder).approve(await d.getAddress(), ethers.MaxUint256);
    for (const id of [1, 2]) await stub.setWindow(id, true, 2n ** 127n);
    // The holder already holds tokens (its balance slot exists); `fresh` holds none.
    const holder = acc.nodes[0];
    if ((await token.balanceOf(holder.address)) === 0n) await mint(token, acc.deployer, holder.address, 1n);
    const fresh = filler(50_000);
    const ledger = (extra: bigint) => {
      const m: { account: string; amount: bigint }[] = [
        { account: holder.address, amount: 100n * TOKEN + extra },
        { account: fresh, amount: 100n * TOKEN },
      ];
      for (let i = 2; i < leaves; i++) m.push({ account: filler(60_000 + i), amount: 1n });
      return buildSumTree(m);
    };
    const t1 = ledger(0n);
    await d.connect(acc.funder).fundRound(1, t1.total, 0);
    await stub.applySettlement(1, t1.root, t1.total, t1.total, 0);
    const hi = t1.leaves.findIndex((l) => l.account === addr(holder.address));
    const fi = t1.leaves.findIndex((l) => l.account === fresh);
    const first = await gasOf(d.connect(holder).claim(holder.address, t1.leaves[hi].amount, hi, sumTreeProof(t1, hi)));
    const firstFresh = await gasOf(d.connect(holder).claim(fresh, t1.leaves[fi].amount, fi, sumTreeProof(t1, fi)));
    const t2 = ledger(5n * TOKEN);
    await d.connect(acc.funder).fundRound(2, 5n * TOKEN, 0);
    await stub.applySettlement(2, t2.root, t2.total, 5n * TOKEN, 0);
    const hj = t2.leaves.findIndex((l) => l.account === addr(holder.address));
    const repeat = await gasOf(d.connect(holder).claim(holder.address, t2.leaves[hj].amount, hj, sumTreeProof(t2, hj)));
    out.push({ leaves, depth: t1.depth, first, firstFresh, repeat });
  }
  return out;
}

/** A gas amount with thousands separators. */
export const formatGas = (g: bigint) => Number(g).toLocaleString("en-US");
const fmt = formatGas;

/** What one more proof level adds to a first claim: from the smallest to the largest tree measured. */
export function gasPerProofLevel(claims: ClaimRow[]): number {
  const [lo, hi] = [claims[0], claims[claims.length - 1]];
  return Number(hi.first - lo.first) / (hi.depth - lo.depth);
}

/** What seizing one more relayer bond adds to an upheld challenge's resolution. */
export function gasPerSeizedBond(challenges: GasRow[]): bigint {
  return gasOfKey(challenges, "resolveUpheld3") - gasOfKey(challenges, "resolveUpheld2");
}

/** A markdown table of gas rows. */
export function formatGasTable(rows: GasRow[]): string {
  const lines = ["| operation | gas used | budget | within budget |", "|---|---:|---:|:---:|"];
  for (const r of rows) {
    const budget = r.budget === undefined ? "" : `≤ ${r.budget.toLocaleString("en-US")}`;
    const ok = r.budget === undefined ? "" : r.gasUsed <= BigInt(r.budget) ? "yes" : "**no**";
    lines.push(`| ${r.operation} | ${fmt(r.gasUsed)} | ${budget} | ${ok} |`);
  }
  return lines.join("\n");
}

/** A markdown table of claim costs by tree size. */
export function formatClaimTable(rows: ClaimRow[]): string {
  const b = BigInt(GAS_BUDGETS.claimFirst);
  const mark = (g: bigint) => `${fmt(g)}${g <= b ? "" : " (over)"}`;
  const lines = [
    "| accounts in the rewards tree | proof levels | first claim (holder with tokens) | first claim (account without tokens) | repeat claim |",
    "|---:|---:|---:|---:|---:|",
  ];
  for (const r of rows) lines.push(`| ${r.leaves.toLocaleString("en-US")} | ${r.depth} | ${mark(r.first)} | ${mark(r.firstFresh)} | ${mark(r.repeat)} |`);
  return lines.join("\n");
}

export function gasOfKey(rows: GasRow[], key: string): bigint {
  const r = rows.find((x) => x.key === key);
  if (!r) throw new Error(`no gas row ${key}`);
  return r.gasUsed;
}

export type SumTreeVariantRow = { leaves: number; depth: number; library: bigint; scratch: bigint };

/**
 * The sum tree's verification cost per proof depth, as the library does it and as a loop hashing in scratch memory
 * would (contracts/test/SumTreeGasHarness.sol): execution gas of each (calldata, which both share, excluded). Both
 * must compute the tree's root.
 */
/** The tree sizes of the sum-tree variant comparison. */
export const SUM_TREE_VARIANT_SIZES = [8, 64, 1024, 16384];

export async function measureSumTreeVariants(sizes: number[] = SUM_TREE_VARIANT_SIZES): Promise<SumTreeVariantRow[]> {
  const h = await ethers.deployContract("SumTreeGasHarness");
  const out: SumTreeVariantRow[] = [];
  for (const leaves of sizes) {
    const t = buildSumTree(Array.from({ length: leaves }, (_, i) => ({ account: filler(70_000 + i), amount: 10n ** 18n + BigInt(i) })));
    for (const i of [0, leaves - 1]) {
      const args = [t.leaves[i].account, t.leaves[i].amount, i, sumTreeProof(t, i)] as const;
      const [a, b] = [await h.viaLibrary(...args), await h.viaScratchMemory(...args)];
      if (a[0] !== b[0] || a[1] !== b[1] || a[0] !== t.root || a[1] !== t.total) throw new Error("sum-tree variants disagree");
    }
    const i = leaves - 1;
    const [library, scratch] = await h.executionGas(t.leaves[i].account, t.leaves[i].amount, i, sumTreeProof(t, i));
    out.push({ leaves, depth: t.depth, library, scratch });
  }
  return out;
}

export function formatSumTreeVariants(rows: SumTreeVariantRow[], claims: ClaimRow[]): string {
  const lines = [
    "| accounts | proof levels | verification, SumTreeLib | verification, scratch-memory loop | saved | first claim now | first claim with the loop |",
    "|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const r of rows) {
    const c = claims.find((x) => x.leaves === r.leaves);
    const saved = r.library - r.scratch;
    lines.push(
      `| ${r.leaves.toLocaleString("en-US")} | ${r.depth} | ${fmt(r.library)} | ${fmt(r.scratch)} | ${fmt(saved)} | ${c ? fmt(c.first) : ""} | ${c ? `≈ ${fmt(c.first - saved)}` : ""} |`,
    );
  }
  return lines.join("\n");
}
