import { ethers } from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import type { Address, Hex } from "viem";
import {
  buildAssignmentTree,
  buildRewardsTree,
  buildTaskTree,
  compactSignature,
  deriveSalt,
  hashSettlement,
  packScores,
  revealTypedData,
  scoreCommitment,
  settlementCommitment,
  tasksHash,
  type Settlement,
  type SignedReveal,
  type SlashEntry,
  type TaskLeaf,
} from "../../src/chain/encoding";
import { Role, type System } from "./fixtures";

/* ROUND CONTEXT */

export type RoundCtx = {
  roundId: bigint;
  seed: Hex;
  tasks: TaskLeaf[];
  taskTree: StandardMerkleTree<[number, Address, Hex, Hex, bigint]>;
  /** Evaluator (checksummed) → ascending task indexes. */
  assignment: Map<Address, number[]>;
  tree: StandardMerkleTree<[Address, bigint, Hex]>;
};

export const addr = (a: string): Address => ethers.getAddress(a) as Address;

/** A batch of `n` tasks served round-robin by the system's inference nodes. */
export function makeTasks(sys: System, n: number, salt = "batch"): TaskLeaf[] {
  return Array.from({ length: n }, (_, i) => ({
    index: i,
    node: addr(sys.acc.nodes[i % sys.acc.nodes.length].address),
    modelId: ethers.id(`model-${i % 2}`) as Hex,
    contentHash: ethers.id(`${salt}/output-${i}`) as Hex,
    costUnits: BigInt(100 + i),
  }));
}

/** Registers a task batch of `n` tasks (by the first relayer); the round is then in phase Assigning. */
export async function registerRound(sys: System, n: number, salt = "batch") {
  const tasks = makeTasks(sys, n, salt);
  const taskTree = buildTaskTree(tasks);
  await sys.settlement.connect(sys.acc.relayers[0]).registerTasks(taskTree.root, n);
  const roundId = await sys.settlement.roundCount();
  const round = await sys.settlement.getRound(roundId);
  return { roundId, seed: round.seed as Hex, tasks, taskTree };
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
  return out;
}

/** The evaluator pool at the current block: the system's evaluators that are eligible, with their active stake. */
export async function evaluatorPool(sys: System, evaluators = sys.acc.evaluators) {
  const pool: { address: string; stake: bigint }[] = [];
  for (const e of evaluators) {
    if (await sys.vault.isEligible(e.address, Role.Evaluator)) {
      pool.push({ address: e.address, stake: (await sys.vault.stakeOf(e.address, Role.Evaluator)).active });
    }
  }
  return pool;
}

/** Both relayers propose `root`; at quorum 2 the commit window opens. */
export async function acceptAssignment(sys: System, roundId: bigint, root: string, relayers = sys.acc.relayers) {
  for (const r of relayers) await sys.settlement.connect(r).proposeAssignment(roundId, root);
}

/** Registers `n` tasks, samples the assignment from the eligible evaluators and accepts it: phase Commit. */
export async function openRound(sys: System, n = 10, opts: { k?: number; salt?: string } = {}): Promise<RoundCtx> {
  const reg = await registerRound(sys, n, opts.salt);
  const pool = await evaluatorPool(sys);
  const assignment = sampleAssignment(reg.seed, pool, n, opts.k ?? sys.params.k);
  const tree = buildAssignmentTree(assignment);
  await acceptAssignment(sys, reg.roundId, tree.root);
  return { ...reg, assignment, tree };
}

/* EVALUATORS */

/** The assignment leaf and proof of `evaluator`. */
export function assignmentProof(ctx: Pick<RoundCtx, "assignment" | "tree">, evaluator: string) {
  const a = addr(evaluator);
  const tasks = ctx.assignment.get(a);
  if (!tasks || tasks.length === 0) throw new Error(`${a} has no tasks`);
  const th = tasksHash(tasks);
  for (const [i, v] of ctx.tree.entries()) {
    if (v[0] === a) return { count: tasks.length, tasksHash: th, proof: ctx.tree.getProof(i) as Hex[] };
  }
  throw new Error(`${a} is not in the assignment tree`);
}

/** A test secret per account (stands in for the key an agent would derive its salts from). */
export const secretOf = (account: string): Hex => ethers.keccak256(ethers.toUtf8Bytes(`secret/${addr(account)}`)) as Hex;

export async function scoresSalt(sys: System, evaluator: string, roundId: bigint): Promise<Hex> {
  return deriveSalt(secretOf(evaluator), {
    chainId: sys.chainId,
    contract: addr(await sys.settlement.getAddress()),
    roundId,
    purpose: "scores",
  });
}

/** Scores for the evaluator's tasks, in assignment order; `f` maps a task index to a score in [0, 10000]. */
export function scoresFor(ctx: Pick<RoundCtx, "assignment">, evaluator: string, f: (task: number) => number): number[] {
  return (ctx.assignment.get(addr(evaluator)) ?? []).map(f);
}

export type Commit = { packed: Hex; salt: Hex; commitment: Hex; scores: number[]; gasUsed: bigint };

/** Commits `scores` for `evaluator` in `roundId` with its derived salt. */
export async function commit(sys: System, roundId: bigint, evaluator: HardhatEthersSigner, scores: number[]): Promise<Commit> {
  const packed = packScores(scores);
  const salt = await scoresSalt(sys, evaluator.address, roundId);
  const commitment = scoreCommitment({
    chainId: sys.chainId,
    contract: addr(await sys.settlement.getAddress()),
    roundId,
    evaluator: addr(evaluator.address),
    scores: packed,
    salt,
  });
  const tx = await sys.settlement.connect(evaluator).commitScores(roundId, commitment);
  const gasUsed = (await tx.wait())!.gasUsed;
  return { packed, salt, commitment, scores, gasUsed };
}

/** Reveals a commit with the evaluator's assignment proof. */
export async function reveal(sys: System, ctx: RoundCtx, evaluator: HardhatEthersSigner, c: Commit) {
  const p = assignmentProof(ctx, evaluator.address);
  return sys.settlement.connect(evaluator).revealScores(ctx.roundId, c.packed, c.salt, p.tasksHash, p.proof);
}

/**
 * The evaluator's EIP-712 signed reveal of a commit, with its assignment proof: what it hands a relayer for
 * `revealScoresBatch`. `signer` signs (the evaluator itself unless a test forges).
 */
export async function signedReveal(
  sys: System,
  ctx: Pick<RoundCtx, "roundId" | "assignment" | "tree">,
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

/* TIME */

export async function toReveal(sys: System, roundId: bigint) {
  await time.increaseTo((await sys.settlement.getRound(roundId)).commitDeadline);
}

export async function toSettle(sys: System, roundId: bigint) {
  await time.increaseTo((await sys.settlement.getRound(roundId)).revealDeadline);
}

export async function toFinalizable(sys: System, roundId: bigint) {
  await time.increaseTo((await sys.settlement.getRound(roundId)).challengeEnd);
}

/* SETTLEMENT */

export type Built = { settlement: Settlement; tree: StandardMerkleTree<[Address, bigint]>; hash: Hex };

/** Sorts a slash list strictly ascending by address, as the contract requires. */
export function sortSlashes(slashes: SlashEntry[]): SlashEntry[] {
  return [...slashes]
    .map((s) => ({ evaluator: addr(s.evaluator), reason: s.reason }))
    .sort((a, b) => (BigInt(a.evaluator) < BigInt(b.evaluator) ? -1 : 1));
}

/**
 * A settlement from cumulative amounts. `cumulative` must hold every account's cumulative amount over all rounds
 * (its sum is the cumulative total). An empty ledger gets one zero leaf (a tree needs a leaf).
 */
export function buildSettlement(args: {
  cumulative: ReadonlyMap<string, bigint>;
  inferencePaid: bigint;
  evaluatorPaid: bigint;
  paramsVersion?: number;
  slashes?: SlashEntry[];
  cumulativeTotal?: bigint;
  tag?: string;
}): Built {
  let entries = [...args.cumulative.entries()].map(([a, v]) => ({ account: addr(a), cumulativeAmount: v }));
  if (entries.length === 0) entries = [{ account: addr(ethers.ZeroAddress), cumulativeAmount: 0n }];
  const tree = buildRewardsTree(entries);
  const total = args.cumulativeTotal ?? entries.reduce((s, e) => s + e.cumulativeAmount, 0n);
  const settlement: Settlement = {
    rewardsRoot: tree.root as Hex,
    cumulativeTotal: total,
    inferencePaid: args.inferencePaid,
    evaluatorPaid: args.evaluatorPaid,
    trustRoot: ethers.id(`trust/${args.tag ?? ""}`) as Hex,
    inputsHash: ethers.id(`inputs/${args.tag ?? ""}`) as Hex,
    paramsVersion: args.paramsVersion ?? 1,
    slashes: sortSlashes(args.slashes ?? []),
  };
  return { settlement, tree, hash: hashSettlement(settlement) };
}

export async function settlementSalt(sys: System, relayer: string, roundId: bigint, attempt: number): Promise<Hex> {
  return deriveSalt(secretOf(relayer), {
    chainId: sys.chainId,
    contract: addr(await sys.settlement.getAddress()),
    roundId,
    purpose: "settlement",
    attempt,
  });
}

export async function settlementCommit(sys: System, relayer: string, roundId: bigint, s: Settlement) {
  const attempt = Number((await sys.settlement.getRound(roundId)).attempt);
  const salt = await settlementSalt(sys, relayer, roundId, attempt);
  const commitment = settlementCommitment({
    chainId: sys.chainId,
    contract: addr(await sys.settlement.getAddress()),
    roundId,
    relayer: addr(relayer),
    settlementHash: hashSettlement(s),
    salt,
  });
  return { salt, commitment };
}

/** Each relayer commits, then each reveals: at quorum the settlement is accepted (phase Challenge). */
export async function settle(sys: System, roundId: bigint, s: Settlement, relayers = sys.acc.relayers) {
  const commits = [];
  for (const r of relayers) {
    const c = await settlementCommit(sys, r.address, roundId, s);
    await sys.settlement.connect(r).commitSettlement(roundId, c.commitment);
    commits.push(c);
  }
  for (const [i, r] of relayers.entries()) {
    await sys.settlement.connect(r).revealSettlement(roundId, s, commits[i].salt);
  }
}

/** Settles, waits out the challenge window and finalizes. */
export async function settleAndFinalize(sys: System, roundId: bigint, s: Settlement) {
  await settle(sys, roundId, s);
  await toFinalizable(sys, roundId);
  return sys.settlement.finalize(roundId, s);
}

export async function fund(sys: System, roundId: bigint, inference: bigint, evaluator: bigint) {
  await sys.distributor.connect(sys.acc.funder).fundRound(roundId, inference, evaluator);
}

/** The distributor's current allocation (cumulative total of the installed root). */
export async function allocated(sys: System): Promise<bigint> {
  return (await sys.distributor.totals()).allocated;
}

/** Runs a round with no evaluator activity to the end: opens, funds nothing, settles paying nothing, finalizes. */
export async function emptyRound(sys: System, cumulative: ReadonlyMap<string, bigint> = new Map()) {
  const ctx = await openRound(sys, 1);
  await toSettle(sys, ctx.roundId);
  const b = buildSettlement({ cumulative, inferencePaid: 0n, evaluatorPaid: 0n, cumulativeTotal: await allocated(sys) });
  await settleAndFinalize(sys, ctx.roundId, b.settlement);
  return { ctx, built: b };
}
