import { expect } from "chai";
import { ethers } from "hardhat";
import { mine, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import type { Address, Hex } from "viem";
import {
  buildAssignmentTree,
  buildGoldTree,
  buildSumTree,
  buildTaskTree,
  compactSignature,
  deriveSalt,
  goldCommitment,
  hashSettlement,
  packScores,
  revealTypedData,
  rewardProof,
  scoreCommitment,
  settlementCommitment,
  tasksHash,
  type GoldItem,
  type GoldPoolItem,
  type Settlement,
  type SignedReveal,
  type SumTree,
  type TaskLeaf,
} from "../../src/chain/encoding";
import { GOLD_POOL, GOLD_POOL_TREE, Role, type System } from "./fixtures";

export const ZERO32 = ethers.ZeroHash as Hex;
export const addr = (a: string): Address => ethers.getAddress(a) as Address;

/* GOLD */

export type GoldCtx = {
  items: GoldItem[];
  tree: StandardMerkleTree<[number, number, Hex, number]>;
  root: Hex;
  salt: Hex;
  count: number;
  commitment: Hex;
};

/** A round's gold set: task `taskIndex` carries pool item `poolIndex` (content and quality from `pool`). */
export function makeGold(
  placements: readonly { taskIndex: number; poolIndex: number; quality?: number; contentHash?: Hex }[],
  pool: readonly GoldPoolItem[] = GOLD_POOL,
  tag = "gold",
): GoldCtx {
  const items: GoldItem[] = placements.map((p) => ({
    taskIndex: p.taskIndex,
    poolIndex: p.poolIndex,
    contentHash: p.contentHash ?? pool[p.poolIndex]?.contentHash ?? (ethers.id(`no-such-item/${p.poolIndex}`) as Hex),
    quality: p.quality ?? pool[p.poolIndex]?.quality ?? 0,
  }));
  const tree = buildGoldTree(items);
  const salt = ethers.id(`gold-salt/${tag}`) as Hex;
  const root = tree.root as Hex;
  return { items, tree, root, salt, count: items.length, commitment: goldCommitment(root, items.length, salt) };
}

/** The proof of gold item `i` of `gold` under its root. */
export function goldProof(gold: GoldCtx, i: number): Hex[] {
  for (const [j, v] of gold.tree.entries()) {
    const it = gold.items[i];
    if (Number(v[0]) === it.taskIndex && Number(v[1]) === it.poolIndex && v[2] === it.contentHash && Number(v[3]) === it.quality) {
      return gold.tree.getProof(j) as Hex[];
    }
  }
  throw new Error(`gold item ${i} not in its tree`);
}

/** What answers a challenge of gold `item`: its proof in the committed pool, its task leaf and that leaf's proof. */
export function goldAnswer(ctx: Pick<RoundCtx, "tasks" | "taskTree">, item: GoldItem): { poolProof: Hex[]; task: TaskLeaf; taskProof: Hex[] } {
  return { poolProof: GOLD_POOL_TREE.getProof(item.poolIndex) as Hex[], task: ctx.tasks[item.taskIndex], taskProof: ctx.taskTree.getProof(item.taskIndex) as Hex[] };
}

/* ROUND CONTEXT */

export type RoundCtx = {
  roundId: bigint;
  tasks: TaskLeaf[];
  taskTree: StandardMerkleTree<[number, Address, Hex, Hex, bigint]>;
  seedBlock: bigint;
  gold?: GoldCtx;
  seed?: Hex;
  /** Evaluator (checksummed) → ascending task indexes. */
  assignment?: Map<Address, number[]>;
  tree?: StandardMerkleTree<[Address, bigint, Hex]>;
};

/** A batch of `n` tasks served round-robin by the system's inference nodes; gold tasks carry their pool item's content. */
export function makeTasks(sys: System, n: number, salt = "batch", gold?: GoldCtx): TaskLeaf[] {
  const goldAt = new Map((gold?.items ?? []).map((g) => [g.taskIndex, g.contentHash]));
  return Array.from({ length: n }, (_, i) => ({
    index: i,
    node: addr(sys.acc.nodes[i % sys.acc.nodes.length].address),
    modelId: ethers.id(`model-${i % 2}`) as Hex,
    contentHash: goldAt.get(i) ?? (ethers.id(`${salt}/output-${i}`) as Hex),
    costUnits: BigInt(100 + i),
  }));
}

export type RegisterOptions = { n?: number; salt?: string; gold?: GoldCtx; relayer?: HardhatEthersSigner; cid?: string };

/** Registers a task batch (by the first relayer unless told); the round is then in phase Seeding. */
export async function registerRound(sys: System, opts: RegisterOptions = {}): Promise<RoundCtx> {
  const n = opts.n ?? 10;
  const tasks = makeTasks(sys, n, opts.salt ?? `batch-${(await sys.settlement.roundCount()) + 1n}`, opts.gold);
  const taskTree = buildTaskTree(tasks);
  const relayer = opts.relayer ?? sys.relayers[0];
  await sys.settlement.connect(relayer).registerTasks({
    taskRoot: taskTree.root,
    taskCount: n,
    goldCommitment: opts.gold?.commitment ?? ZERO32,
    manifestCid: ethers.toUtf8Bytes(opts.cid ?? "bafy-manifest"),
  });
  const roundId = await sys.settlement.roundCount();
  const round = await sys.settlement.getRound(roundId);
  return { roundId, tasks, taskTree, seedBlock: round.seedBlock, gold: opts.gold };
}

/** Mines up to the seed block (so the next transaction can draw the seed). */
export async function mineToSeed(sys: System, ctx: Pick<RoundCtx, "seedBlock">) {
  const now = BigInt(await ethers.provider.getBlockNumber());
  if (now < ctx.seedBlock) await mine(Number(ctx.seedBlock - now));
}

/** Draws the round's seed (mining to the seed block first) and records it in `ctx`. */
export async function drawSeed(sys: System, ctx: RoundCtx, caller: HardhatEthersSigner = sys.acc.outsider): Promise<Hex> {
  await mineToSeed(sys, ctx);
  await sys.settlement.connect(caller).drawSeed(ctx.roundId);
  ctx.seed = (await sys.settlement.getRound(ctx.roundId)).seed as Hex;
  return ctx.seed;
}

/**
 * Deterministic stake-weighted sampling without replacement (a stand-in for the production assignment): for each
 * task, draw `k` evaluators one by one with probability proportional to stake among those not yet drawn, using
 * `keccak256(abi.encode(seed, task, draw))` as the random number.
 */
export function sampleAssignment(
  seed: string,
  pool: readonly { address: string; stake: bigint }[],
  taskCount: number,
  k: number,
): Map<Address, number[]> {
  const sorted = pool
    .filter((p) => p.stake > 0n)
    .map((p) => ({ address: addr(p.address), stake: p.stake }))
    .sort((a, b) => (a.address.toLowerCase() < b.address.toLowerCase() ? -1 : 1));
  const out = new Map<Address, number[]>(sorted.map((p) => [p.address, []]));
  const coder = ethers.AbiCoder.defaultAbiCoder();
  for (let t = 0; t < taskCount; t++) {
    const candidates = [...sorted];
    for (let j = 0; j < k && candidates.length > 0; j++) {
      const total = candidates.reduce((s, c) => s + c.stake, 0n);
      let r = BigInt(ethers.keccak256(coder.encode(["bytes32", "uint256", "uint256"], [seed, t, j]))) % total;
      let idx = 0;
      while (r >= candidates[idx].stake) r -= candidates[idx++].stake;
      out.get(candidates[idx].address)!.push(t);
      candidates.splice(idx, 1);
    }
  }
  for (const [a, ts] of out) if (ts.length === 0) out.delete(a);
  return out;
}

/** The eligible evaluators among `evaluators` with their active stake. */
export async function evaluatorPool(sys: System, evaluators = sys.acc.evaluators) {
  const pool: { address: string; stake: bigint }[] = [];
  for (const e of evaluators) {
    if (await sys.vault.isEligible(e.address, Role.Evaluator)) {
      pool.push({ address: e.address, stake: (await sys.vault.stakeOf(e.address, Role.Evaluator)).active });
    }
  }
  return pool;
}

export type AssignOptions = {
  relayers?: HardhatEthersSigner[];
  k?: number;
  evaluators?: HardhatEthersSigner[];
  assignment?: Map<Address, number[]>;
};

/** Draws the seed, samples the assignment and has `relayers` (the first `quorum` by default) vote for it. */
export async function assign(sys: System, ctx: RoundCtx, opts: AssignOptions = {}): Promise<RoundCtx> {
  if (!ctx.seed) await drawSeed(sys, ctx);
  const assignment =
    opts.assignment ?? sampleAssignment(ctx.seed!, await evaluatorPool(sys, opts.evaluators), ctx.tasks.length, opts.k ?? sys.params.k);
  const tree = buildAssignmentTree(assignment);
  ctx.assignment = assignment;
  ctx.tree = tree;
  for (const r of opts.relayers ?? sys.relayers.slice(0, sys.params.quorum)) {
    await sys.settlement.connect(r).proposeAssignment(ctx.roundId, tree.root);
  }
  return ctx;
}

/** Registers and assigns a round: phase Commit. */
export async function openRound(sys: System, opts: RegisterOptions & AssignOptions = {}): Promise<RoundCtx> {
  return assign(sys, await registerRound(sys, opts), opts);
}

/** The evaluators assigned in `ctx`, as signers of the system. */
export function assignedSigners(sys: System, ctx: RoundCtx): HardhatEthersSigner[] {
  return sys.acc.evaluators.filter((e) => (ctx.assignment?.get(addr(e.address))?.length ?? 0) > 0);
}

/* EVALUATORS */

/** The assignment leaf and proof of `evaluator`. */
export function assignmentProof(ctx: Pick<RoundCtx, "assignment" | "tree">, evaluator: string) {
  const a = addr(evaluator);
  const tasks = ctx.assignment?.get(a);
  if (!tasks || tasks.length === 0) throw new Error(`${a} has no tasks`);
  const th = tasksHash(tasks);
  for (const [i, v] of ctx.tree!.entries()) {
    if (v[0] === a) return { count: tasks.length, tasksHash: th, proof: ctx.tree!.getProof(i) as Hex[] };
  }
  throw new Error(`${a} is not in the assignment tree`);
}

/** A test secret per account (stands in for the key an agent derives its salts from). */
export const secretOf = (account: string): Hex => ethers.keccak256(ethers.toUtf8Bytes(`secret/${addr(account)}`)) as Hex;

export async function scoresSalt(sys: System, evaluator: string, roundId: bigint): Promise<Hex> {
  return deriveSalt(secretOf(evaluator), {
    chainId: sys.chainId,
    contract: addr(await sys.settlement.getAddress()),
    roundId,
    purpose: "scores",
  });
}

/** Scores for the evaluator's tasks, in assignment order; `f` maps a task index to a score. */
export function scoresFor(ctx: Pick<RoundCtx, "assignment">, evaluator: string, f: (task: number) => number): number[] {
  return (ctx.assignment?.get(addr(evaluator)) ?? []).map(f);
}

export type Commit = { packed: Hex; salt: Hex; commitment: Hex; scores: number[] };

/** The commitment of `scores` for `evaluator` in `roundId` with its derived salt. */
export async function makeCommit(sys: System, roundId: bigint, evaluator: string, scores: number[]): Promise<Commit> {
  const packed = packScores(scores);
  const salt = await scoresSalt(sys, evaluator, roundId);
  const commitment = scoreCommitment({
    chainId: sys.chainId,
    contract: addr(await sys.settlement.getAddress()),
    roundId,
    evaluator: addr(evaluator),
    scores: packed,
    salt,
  });
  return { packed, salt, commitment, scores };
}

/** Commits `scores` for `evaluator`. */
export async function commit(sys: System, ctx: Pick<RoundCtx, "roundId">, evaluator: HardhatEthersSigner, scores: number[]): Promise<Commit> {
  const c = await makeCommit(sys, ctx.roundId, evaluator.address, scores);
  await sys.settlement.connect(evaluator).commitScores(ctx.roundId, c.commitment);
  return c;
}

/** Reveals a commit with the evaluator's assignment proof. */
export async function reveal(sys: System, ctx: RoundCtx, evaluator: HardhatEthersSigner, c: Commit) {
  const p = assignmentProof(ctx, evaluator.address);
  return sys.settlement.connect(evaluator).revealScores(ctx.roundId, c.packed, c.salt, p.tasksHash, p.proof);
}

/** The evaluator's EIP-712 signed reveal of a commit (signed by `signer`, the evaluator unless a test forges). */
export async function signedReveal(
  sys: System,
  ctx: RoundCtx,
  evaluator: HardhatEthersSigner,
  c: Pick<Commit, "packed" | "salt">,
  signer: HardhatEthersSigner = evaluator,
): Promise<SignedReveal> {
  const p = assignmentProof(ctx, evaluator.address);
  const typed = revealTypedData({
    chainId: sys.chainId,
    contract: addr(await sys.settlement.getAddress()),
    roundId: ctx.roundId,
    scores: c.packed,
    salt: c.salt,
  });
  const signature = (await signer.signTypedData(typed.domain, { Reveal: [...typed.types.Reveal] }, typed.message)) as Hex;
  return { scores: c.packed, salt: c.salt, tasksHash: p.tasksHash, assignmentProof: p.proof, ...compactSignature(signature) };
}

/** A score per task: deterministic, in [2000, 9000]. */
export const honestScore = (t: number) => 2_000 + ((t * 737) % 7_001);

/** Every assigned evaluator (or `who`) commits honest scores. */
export async function commitAll(sys: System, ctx: RoundCtx, who = assignedSigners(sys, ctx)): Promise<Map<Address, Commit>> {
  const out = new Map<Address, Commit>();
  for (const e of who) out.set(addr(e.address), await commit(sys, ctx, e, scoresFor(ctx, e.address, honestScore)));
  return out;
}

/** Every committed evaluator reveals, except those in `except`. */
export async function revealAll(sys: System, ctx: RoundCtx, commits: Map<Address, Commit>, except: string[] = []) {
  const skip = new Set(except.map(addr));
  for (const e of sys.acc.evaluators) {
    const c = commits.get(addr(e.address));
    if (c && !skip.has(addr(e.address))) await reveal(sys, ctx, e, c);
  }
}

/** Expects `tx` to revert with `SettlementWrongPhase(roundId, expected, actual)`: a call made in the wrong phase. */
export function expectWrongPhase(sys: System, tx: Promise<unknown>, roundId: bigint, expected: number, actual: number) {
  return expect(tx).to.be.revertedWithCustomError(sys.settlement, "SettlementWrongPhase").withArgs(roundId, expected, actual);
}

/* TIME */

export async function now(): Promise<bigint> {
  return BigInt((await ethers.provider.getBlock("latest"))!.timestamp);
}

/**
 * Pins the next block's timestamp to one second after the latest and returns it: automined blocks otherwise follow
 * the wall clock, so a prediction of "the next block" would drift on a loaded machine.
 */
export async function pinNextTimestamp(): Promise<bigint> {
  const t = (await now()) + 1n;
  await time.setNextBlockTimestamp(t);
  return t;
}

/** Moves time forward to `t` (no-op if it has passed). */
export async function advanceTo(t: bigint) {
  if ((await now()) < t) await time.increaseTo(t);
}
const increaseTo = advanceTo;

export async function toReveal(sys: System, roundId: bigint) {
  await increaseTo((await sys.settlement.getRound(roundId)).commitDeadline);
}

export async function toSettle(sys: System, roundId: bigint) {
  await increaseTo((await sys.settlement.getRound(roundId)).revealDeadline);
}

export async function toChallengeEnd(sys: System, roundId: bigint) {
  await increaseTo((await sys.settlement.getRound(roundId)).challengeEnd);
}

export async function toExpiry(sys: System, roundId: bigint) {
  await increaseTo((await sys.settlement.getRound(roundId)).expiresAt);
}

export async function toAssignDeadline(sys: System, roundId: bigint) {
  await increaseTo((await sys.settlement.getRound(roundId)).assignDeadline);
}

/* SETTLEMENT */

export type Built = { settlement: Settlement; tree: SumTree; hash: Hex; ledger: Map<Address, bigint> };

/**
 * A settlement over the cumulative ledger `ledger` (every account's amount over all finalized rounds plus this one;
 * its sum is the cumulative total unless `cumulativeTotal` says otherwise).
 */
export function buildSettlement(args: {
  ledger: ReadonlyMap<string, bigint>;
  inferencePaid: bigint;
  evaluatorPaid: bigint;
  paramsVersion?: number;
  lowTrustSlashes?: string[];
  flags?: number;
  gold?: GoldCtx;
  cumulativeTotal?: bigint;
  tag?: string;
}): Built {
  const ledger = new Map([...args.ledger.entries()].map(([a, v]) => [addr(a), v] as [Address, bigint]));
  const tree = buildSumTree([...ledger.entries()].map(([account, amount]) => ({ account, amount })));
  const settlement: Settlement = {
    rewardsRoot: tree.root,
    cumulativeTotal: args.cumulativeTotal ?? tree.total,
    inferencePaid: args.inferencePaid,
    evaluatorPaid: args.evaluatorPaid,
    trustRoot: ethers.id(`trust/${args.tag ?? ""}`) as Hex,
    inputsHash: ethers.id(`inputs/${args.tag ?? ""}`) as Hex,
    goldRoot: args.gold?.root ?? ZERO32,
    goldSalt: args.gold?.salt ?? ZERO32,
    goldCount: args.gold?.count ?? 0,
    paramsVersion: args.paramsVersion ?? 1,
    flags: args.flags ?? 0,
    lowTrustSlashes: sortAddresses(args.lowTrustSlashes ?? []),
  };
  return { settlement, tree, hash: hashSettlement(settlement), ledger };
}

/** Strictly ascending by address, as the contract requires of a low-trust list. */
export function sortAddresses(list: readonly string[]): Address[] {
  return [...list].map(addr).sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0));
}

/** `ledger` plus `extra` (both cumulative maps). */
export function addToLedger(ledger: ReadonlyMap<string, bigint>, extra: ReadonlyMap<string, bigint>): Map<Address, bigint> {
  const out = new Map<Address, bigint>([...ledger.entries()].map(([a, v]) => [addr(a), v]));
  for (const [a, v] of extra) out.set(addr(a), (out.get(addr(a)) ?? 0n) + v);
  return out;
}

/** The sum-tree proof of `account` under `built`. */
export function claimProof(built: Pick<Built, "tree">, account: string) {
  const p = rewardProof(built.tree, addr(account));
  if (!p) throw new Error(`${account} has no leaf`);
  return p;
}

export async function settlementSalt(sys: System, relayer: string, roundId: bigint, attempt: number | bigint): Promise<Hex> {
  return deriveSalt(secretOf(relayer), {
    chainId: sys.chainId,
    contract: addr(await sys.settlement.getAddress()),
    roundId,
    purpose: "settlement",
    attempt: Number(attempt),
  });
}

/** The attempt a settlement commit sent in the next block would join (or start). */
export async function nextAttempt(sys: System, roundId: bigint): Promise<bigint> {
  const [attempt, , revealsClose] = await sys.settlement.settlementAttempt(roundId);
  const t = (await now()) + 1n; // the attempt only changes at a window's end, minutes away: no pinning needed
  return revealsClose === 0n || t >= revealsClose ? attempt + 1n : attempt;
}

export type SettleCommit = { salt: Hex; commitment: Hex; attempt: bigint };

/** The commitment `relayer` posts for `s` in the attempt a commit now would join. */
export async function makeSettlementCommit(sys: System, relayer: string, roundId: bigint, s: Settlement, attempt?: bigint): Promise<SettleCommit> {
  const a = attempt ?? (await nextAttempt(sys, roundId));
  const salt = await settlementSalt(sys, relayer, roundId, a);
  const commitment = settlementCommitment({
    chainId: sys.chainId,
    contract: addr(await sys.settlement.getAddress()),
    roundId,
    attempt: a,
    relayer: addr(relayer),
    settlementHash: hashSettlement(s),
    salt,
  });
  return { salt, commitment, attempt: a };
}

export async function commitSettlement(sys: System, relayer: HardhatEthersSigner, roundId: bigint, s: Settlement): Promise<SettleCommit> {
  const c = await makeSettlementCommit(sys, relayer.address, roundId, s);
  await sys.settlement.connect(relayer).commitSettlement(roundId, c.commitment);
  return c;
}

/** Moves time to the current attempt's reveal window. */
export async function toSettleReveals(sys: System, roundId: bigint) {
  const [, commitsClose] = await sys.settlement.settlementAttempt(roundId);
  await increaseTo(commitsClose);
}

/** Moves time past the current attempt's reveal window. */
export async function toAttemptEnd(sys: System, roundId: bigint) {
  const [, , revealsClose] = await sys.settlement.settlementAttempt(roundId);
  await increaseTo(revealsClose);
}

export const PAYLOAD_CID = ethers.toUtf8Bytes("bafy-payload");

/** Each relayer commits `s`, then each reveals it: at quorum the settlement is accepted (phase Challenge). */
export async function settle(sys: System, roundId: bigint, s: Settlement, relayers = sys.relayers.slice(0, sys.params.quorum)) {
  const commits: SettleCommit[] = [];
  for (const r of relayers) commits.push(await commitSettlement(sys, r, roundId, s));
  await toSettleReveals(sys, roundId);
  for (const [i, r] of relayers.entries()) await sys.settlement.connect(r).revealSettlement(roundId, s, commits[i].salt, PAYLOAD_CID);
  return commits;
}

/** Settles, waits out the challenge window and finalizes. */
export async function settleAndFinalize(sys: System, roundId: bigint, s: Settlement, relayers?: HardhatEthersSigner[]) {
  await settle(sys, roundId, s, relayers);
  await toChallengeEnd(sys, roundId);
  return sys.settlement.finalize(roundId, s);
}

export async function fund(sys: System, roundId: bigint, inference: bigint, evaluator: bigint, funder = sys.acc.funder) {
  await sys.distributor.connect(funder).fundRound(roundId, inference, evaluator);
}

/** The distributor's current allocation (cumulative total of the installed root). */
export async function allocated(sys: System): Promise<bigint> {
  return (await sys.distributor.totals()).allocated;
}

/**
 * This round's honest payments: the inference pool split evenly over the tasks (each task's share to its node), the
 * evaluator pool split evenly over the revealers; what does not divide stays unpaid.
 */
export function honestPayout(ctx: RoundCtx, inferencePool: bigint, evaluatorPool: bigint, revealers: readonly string[]) {
  const pay = new Map<Address, bigint>();
  const perTask = inferencePool / BigInt(ctx.tasks.length);
  let inferencePaid = 0n;
  for (const t of ctx.tasks) {
    if (perTask === 0n) break;
    pay.set(t.node, (pay.get(t.node) ?? 0n) + perTask);
    inferencePaid += perTask;
  }
  let evaluatorPaid = 0n;
  if (revealers.length > 0) {
    const per = evaluatorPool / BigInt(revealers.length);
    for (const e of revealers) {
      if (per === 0n) break;
      pay.set(addr(e), (pay.get(addr(e)) ?? 0n) + per);
      evaluatorPaid += per;
    }
  }
  return { pay, inferencePaid, evaluatorPaid };
}

/** The pools a round is funded with unless a test says otherwise. */
export const ROUND_POOLS = { inference: 600n * 10n ** 18n, evaluator: 300n * 10n ** 18n };

export type EvaluateOptions = { n?: number; inference?: bigint; evaluator?: bigint; nonRevealers?: string[]; gold?: GoldCtx };
export type Evaluated = { ctx: RoundCtx; commits: Map<Address, Commit>; revealers: Address[] };

/**
 * Registers `n` tasks (default 6, with `gold`), assigns, funds the pools (default {@link ROUND_POOLS}), and has every
 * assigned evaluator commit and (except `nonRevealers`) reveal. The round stays in its Reveal phase.
 */
export async function evaluatedRound(sys: System, opts: EvaluateOptions = {}): Promise<Evaluated> {
  const ctx = await openRound(sys, { n: opts.n ?? 6, gold: opts.gold });
  const inference = opts.inference ?? ROUND_POOLS.inference;
  const evaluator = opts.evaluator ?? ROUND_POOLS.evaluator;
  if (inference + evaluator > 0n) await fund(sys, ctx.roundId, inference, evaluator);
  const commits = await commitAll(sys, ctx);
  await toReveal(sys, ctx.roundId);
  await revealAll(sys, ctx, commits, opts.nonRevealers);
  const skip = new Set((opts.nonRevealers ?? []).map(addr));
  return { ctx, commits, revealers: [...commits.keys()].filter((a) => !skip.has(a)) };
}

export type HonestOptions = { inference?: bigint; evaluator?: bigint; gold?: GoldCtx; lowTrustSlashes?: string[]; tag?: string };

/**
 * The honest settlement of a round whose `revealers` revealed, on top of the cumulative `ledger`: the honest payout
 * of its pools (default {@link ROUND_POOLS}) under the round's parameter version, tagged `r<roundId>` by default.
 */
export async function honestSettlement(sys: System, ctx: RoundCtx, revealers: readonly string[], ledger: ReadonlyMap<string, bigint>, opts: HonestOptions = {}): Promise<Built> {
  const { pay, inferencePaid, evaluatorPaid } = honestPayout(ctx, opts.inference ?? ROUND_POOLS.inference, opts.evaluator ?? ROUND_POOLS.evaluator, revealers);
  return buildSettlement({
    ledger: addToLedger(ledger, pay),
    inferencePaid,
    evaluatorPaid,
    gold: opts.gold,
    lowTrustSlashes: opts.lowTrustSlashes,
    paramsVersion: Number((await sys.settlement.getRound(ctx.roundId)).paramsVersion),
    tag: opts.tag ?? `r${ctx.roundId}`,
  });
}

export type RoundOptions = EvaluateOptions & Omit<HonestOptions, "tag"> & { tag?: string | ((roundId: bigint) => string) };

/** {@link evaluatedRound}, then its Settle phase, with its honest settlement on top of `ledger` built (not proposed). */
export async function roundAtSettle(sys: System, ledger: ReadonlyMap<string, bigint>, opts: RoundOptions = {}): Promise<Evaluated & { honest: Built }> {
  const r = await evaluatedRound(sys, opts);
  await toSettle(sys, r.ctx.roundId);
  const tag = typeof opts.tag === "function" ? opts.tag(r.ctx.roundId) : opts.tag;
  const honest = await honestSettlement(sys, r.ctx, r.revealers, ledger, { ...opts, tag });
  return { ...r, honest };
}

export type FullRound = { ctx: RoundCtx; built: Built; commits: Map<Address, Commit>; revealers: Address[] };

/**
 * {@link roundAtSettle}, then the quorum accepts the honest settlement (or what `make` builds from it): the round is in
 * its Challenge phase.
 */
export async function acceptedRound(sys: System, ledger: ReadonlyMap<string, bigint>, opts: RoundOptions & { make?: (honest: Built) => Built } = {}): Promise<FullRound> {
  const { honest, ...r } = await roundAtSettle(sys, ledger, opts);
  const built = opts.make ? opts.make(honest) : honest;
  await settle(sys, r.ctx.roundId, built.settlement);
  return { ...r, built };
}

/**
 * One honest round from registration to finalization: registers `n` tasks, assigns, funds, every assigned evaluator
 * commits and (except `nonRevealers`) reveals, the quorum settles the honest payout on top of `ledger` (tagged
 * `round-<roundId>` by default), and it finalizes. Returns the new cumulative ledger in `built.ledger`.
 */
export async function fullRound(sys: System, ledger: ReadonlyMap<string, bigint>, opts: RoundOptions = {}): Promise<FullRound> {
  const r = await acceptedRound(sys, ledger, { ...opts, tag: opts.tag ?? ((id) => `round-${id}`) });
  await toChallengeEnd(sys, r.ctx.roundId);
  await sys.settlement.finalize(r.ctx.roundId, r.built.settlement);
  return r;
}
