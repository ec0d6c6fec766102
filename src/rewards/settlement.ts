import type { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { type Address, type Hex, getAddress } from "viem";
import { PPM, SCORE_MAX, isScore } from "../consensus/fixedPoint";
import { buildRoundScores, type ScoreEntry } from "../consensus/round";
import { InputError } from "../errors";
import { computeInputsHash, type CanonicalInputs } from "./inputsHash";
import { ZERO_ROOT, rewardsTree, trustTree } from "./merkle";
import { validateSettlementParams, type SettlementParams } from "./params";
import { settleRoundCore } from "./settleRound";
import type { SlashReason } from "./slashing";

export type TrustRecord = { trustPpm: number; lowStreak: number };

export type SettlementTask = { index: number; inferenceNode: Address; costUnits: bigint };

export type SettlementInput = {
  roundId: bigint;
  /** The round's tasks, index 0..T-1. */
  tasks: SettlementTask[];
  /** From assignEvaluators; byEvaluator, when given, must agree with byTask. */
  assignment: { byTask: Address[][]; byEvaluator?: Map<Address, number[]> };
  /** Revealed scores per evaluator, in its assignment order (ascending task index). Missing = did not reveal. */
  reveals: Map<Address, number[]>;
  /** Evaluators that committed and did not reveal (assigned evaluators without a reveal count as such anyway). */
  committedNotRevealed?: Address[];
  /** Trust state after the previous round; evaluators not listed start at params.consensus.initialTrustPpm. */
  trust: Map<Address, TrustRecord>;
  /** Evaluator stakes (wei) at round open. */
  stakes: Map<Address, bigint>;
  /** Cumulative amounts of every account after the previous round. */
  previousCumulative: Map<Address, bigint>;
  /** Gold tasks: task index -> known quality 0..10000. */
  gold?: Map<number, number>;
  inferencePool: bigint;
  evaluatorPool: bigint;
  params: SettlementParams;
};

export type SettlementPayload = {
  roundId: bigint;
  /** Per task 0..10000; 0 where no score was revealed. */
  consensus: number[];
  /** New trust state of every evaluator known to the round (assigned, committed or previously tracked). */
  trust: Map<Address, TrustRecord>;
  /** This round's amounts, non-zero only, sorted by address. */
  rewards: { account: Address; amount: bigint }[];
  /** Cumulative amounts of every account, sorted by address. */
  cumulative: { account: Address; cumulativeAmount: bigint }[];
  /** Null when no account was ever paid (then rewardsRoot is the zero hash). */
  rewardsTree: StandardMerkleTree<[string, bigint]> | null;
  rewardsRoot: Hex;
  cumulativeTotal: bigint;
  inferencePaid: bigint;
  evaluatorPaid: bigint;
  trustRoot: Hex;
  /** Sorted by address, at most params.maxSlashes. */
  slashes: { evaluator: Address; reason: SlashReason }[];
  inputsHash: Hex;
  paramsVersion: number;
};

const byLower = (a: string, b: string): number => {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  return x < y ? -1 : x > y ? 1 : 0;
};

/** Checksums addresses once each. */
class Addresses {
  private readonly cache = new Map<string, Address>();
  norm(a: string, what: string): Address {
    const hit = this.cache.get(a);
    if (hit) return hit;
    let out: Address;
    try {
      out = getAddress(a);
    } catch {
      throw new InputError(`invalid ${what} address ${String(a)}`);
    }
    this.cache.set(a, out);
    return out;
  }
}

function requireBigint(v: unknown, what: string): bigint {
  if (typeof v !== "bigint" || v < 0n) throw new InputError(`${what} must be a non-negative bigint`);
  return v;
}

function normMap<V>(m: Map<Address, V>, addrs: Addresses, what: string): Map<Address, V> {
  const out = new Map<Address, V>();
  for (const [k, v] of m) {
    const a = addrs.norm(k, what);
    if (out.has(a)) throw new InputError(`${what} ${a} listed twice`);
    out.set(a, v);
  }
  return out;
}

/**
 * Computes a round's settlement payload from public data alone: consensus per task, new trust, this round's
 * rewards and the cumulative rewards Merkle tree, the slash list, the trust root and the inputs hash. Pure and
 * deterministic: integers and bigints only, canonical orderings everywhere.
 *
 * Pools: inferencePaid equals inferencePool exactly when at least one task has a positive cost-aware weight, and
 * evaluatorPaid equals evaluatorPool exactly when at least one revealing evaluator has a positive weight. Otherwise
 * that pool is not allocated (paid = 0) and stays with the distributor for a later round. A reveal of the wrong
 * length or with a score outside 0..10000 counts as no reveal: settlement never fails on evaluator-controlled data.
 */
export function buildSettlement(input: SettlementInput): SettlementPayload {
  const params = validateSettlementParams(input.params);
  if (typeof input.roundId !== "bigint" || input.roundId < 0n) throw new InputError("roundId must be a non-negative bigint");
  const inferencePool = requireBigint(input.inferencePool, "inferencePool");
  const evaluatorPool = requireBigint(input.evaluatorPool, "evaluatorPool");
  const addrs = new Addresses();

  // Tasks.
  const T = input.tasks.length;
  const tasks = input.tasks.map((t, i) => {
    if (t.index !== i) throw new InputError(`tasks must be listed by index 0..${T - 1}; position ${i} has index ${t.index}`);
    return { inferenceNode: addrs.norm(t.inferenceNode, "inference node"), costUnits: requireBigint(t.costUnits, `costUnits of task ${i}`) };
  });
  if (input.assignment.byTask.length !== T) {
    throw new InputError(`assignment covers ${input.assignment.byTask.length} tasks, the round has ${T}`);
  }
  const byTask = input.assignment.byTask.map((row, t) => {
    const r = row.map((a) => addrs.norm(a, "evaluator"));
    if (new Set(r).size !== r.length) throw new InputError(`task ${t}: an evaluator is assigned twice`);
    return r;
  });
  const assignedTasks = new Map<Address, number[]>();
  byTask.forEach((row, t) => {
    for (const a of row) {
      const l = assignedTasks.get(a);
      if (l) l.push(t);
      else assignedTasks.set(a, [t]);
    }
  });
  if (input.assignment.byEvaluator) {
    for (const [k, v] of input.assignment.byEvaluator) {
      const mine = assignedTasks.get(addrs.norm(k, "evaluator")) ?? [];
      if (mine.length !== v.length || mine.some((t, i) => t !== v[i])) {
        throw new InputError(`assignment.byEvaluator disagrees with byTask for ${k}`);
      }
    }
  }

  // Gold tasks.
  const goldList: { index: number; quality: number }[] = [];
  for (const [idx, q] of input.gold ?? new Map<number, number>()) {
    if (!Number.isInteger(idx) || idx < 0 || idx >= T) throw new InputError(`gold task index ${idx} out of range`);
    if (!isScore(q)) throw new InputError(`gold quality of task ${idx} must be an integer in 0..${SCORE_MAX}`);
    goldList.push({ index: idx, quality: q });
  }
  goldList.sort((a, b) => a.index - b.index);

  // Evaluator universe: assigned, committed, or carried over in the trust state; sorted by address.
  const prevTrust = normMap(input.trust, addrs, "trust entry");
  const stakesIn = normMap(input.stakes, addrs, "stake entry");
  const prevCum = normMap(input.previousCumulative, addrs, "cumulative entry");
  const committed = [...new Set((input.committedNotRevealed ?? []).map((a) => addrs.norm(a, "committed evaluator")))].sort(byLower);
  const evaluators = [...new Set<Address>([...assignedTasks.keys(), ...prevTrust.keys(), ...committed])].sort(byLower);
  const evIndex = new Map<Address, number>(evaluators.map((a, i) => [a, i]));
  const M = evaluators.length;

  // Valid reveals.
  const reveals = normMap(input.reveals, addrs, "reveal");
  const validReveals: { evaluator: Address; scores: number[] }[] = [];
  const perTask: ScoreEntry[][] = byTask.map(() => []);
  const revealed = new Uint8Array(M);
  for (const a of evaluators) {
    const mine = assignedTasks.get(a);
    const scores = reveals.get(a);
    if (!mine || !scores) continue;
    if (!Array.isArray(scores) || scores.length !== mine.length || !scores.every(isScore)) continue;
    const e = evIndex.get(a)!;
    revealed[e] = 1;
    validReveals.push({ evaluator: a, scores: [...scores] });
    mine.forEach((t, i) => perTask[t].push({ evaluator: e, score: scores[i] }));
  }
  const participated = new Uint8Array(M);
  const nonRevealed = new Uint8Array(M);
  for (const a of assignedTasks.keys()) participated[evIndex.get(a)!] = 1;
  for (const a of committed) participated[evIndex.get(a)!] = 1;
  for (let e = 0; e < M; e++) if (participated[e] && !revealed[e]) nonRevealed[e] = 1;

  // Trust state and stake units.
  const trust = new Int32Array(M);
  const lowStreak = new Int32Array(M);
  const stakeUnits = new Int32Array(M);
  const { stakeUnitWei, stakeCapUnits, initialTrustPpm } = params.consensus;
  evaluators.forEach((a, e) => {
    const rec = prevTrust.get(a);
    if (rec) {
      if (!Number.isInteger(rec.trustPpm) || rec.trustPpm < 0 || rec.trustPpm > PPM) throw new InputError(`trust of ${a} must be an integer ppm`);
      if (!Number.isInteger(rec.lowStreak) || rec.lowStreak < 0) throw new InputError(`lowStreak of ${a} must be a non-negative integer`);
    }
    trust[e] = rec ? rec.trustPpm : initialTrustPpm;
    lowStreak[e] = rec ? rec.lowStreak : 0;
    const stake = stakesIn.has(a) ? requireBigint(stakesIn.get(a), `stake of ${a}`) : 0n;
    const units = stake / stakeUnitWei;
    stakeUnits[e] = units < 1n ? 1 : units > BigInt(stakeCapUnits) ? stakeCapUnits : Number(units);
  });

  // Inference nodes, sorted by address.
  const nodes = [...new Set(tasks.map((t) => t.inferenceNode))].sort(byLower);
  const nodeIndex = new Map<Address, number>(nodes.map((a, i) => [a, i]));
  const gold = new Int32Array(T).fill(-1);
  for (const g of goldList) gold[g.index] = g.quality;

  const core = settleRoundCore({
    round: buildRoundScores(M, perTask),
    taskNode: Int32Array.from(tasks.map((t) => nodeIndex.get(t.inferenceNode)!)),
    taskCost: tasks.map((t) => t.costUnits),
    nodeCount: nodes.length,
    gold,
    trust,
    lowStreak,
    stakeUnits,
    participated,
    nonRevealed,
    inferencePool,
    evaluatorPool,
    params,
  });

  // Rewards per account (an address may be both an inference node and an evaluator).
  const amounts = new Map<Address, bigint>();
  const add = (a: Address, v: bigint): void => {
    if (v > 0n) amounts.set(a, (amounts.get(a) ?? 0n) + v);
  };
  nodes.forEach((a, i) => add(a, core.inferenceAmounts[i]));
  evaluators.forEach((a, e) => add(a, core.evaluatorAmounts[e]));
  const rewards = [...amounts.entries()].sort((x, y) => byLower(x[0], y[0])).map(([account, amount]) => ({ account, amount }));
  const cumAccounts = [...new Set<Address>([...prevCum.keys(), ...amounts.keys()])].sort(byLower);
  const cumulative = cumAccounts.map((account) => ({
    account,
    cumulativeAmount: requireBigint(prevCum.get(account) ?? 0n, `previous cumulative of ${account}`) + (amounts.get(account) ?? 0n),
  }));
  const cumulativeTotal = cumulative.reduce((s, c) => s + c.cumulativeAmount, 0n);
  const tree = rewardsTree(cumulative);

  const newTrust = new Map<Address, TrustRecord>();
  evaluators.forEach((a, e) => newTrust.set(a, { trustPpm: core.trust[e], lowStreak: core.lowStreak[e] }));
  const tTree = trustTree(evaluators.map((a, e) => ({ evaluator: a, trustPpm: core.trust[e] })));

  const canonical: CanonicalInputs = {
    roundId: input.roundId,
    params,
    tasks,
    byTask,
    reveals: validReveals,
    committedNotRevealed: committed,
    previousTrust: [...prevTrust.entries()].sort((x, y) => byLower(x[0], y[0])).map(([evaluator, r]) => ({ evaluator, ...r })),
    stakes: [...stakesIn.entries()].sort((x, y) => byLower(x[0], y[0])).map(([account, stake]) => ({ account, stake })),
    previousCumulative: [...prevCum.entries()].sort((x, y) => byLower(x[0], y[0])).map(([account, amount]) => ({ account, amount })),
    gold: goldList,
    inferencePool,
    evaluatorPool,
  };

  return {
    roundId: input.roundId,
    consensus: Array.from(core.consensus, (c) => (c < 0 ? 0 : c)),
    trust: newTrust,
    rewards,
    cumulative,
    rewardsTree: tree,
    rewardsRoot: tree ? (tree.root as Hex) : ZERO_ROOT,
    cumulativeTotal,
    inferencePaid: core.inferencePaid,
    evaluatorPaid: core.evaluatorPaid,
    trustRoot: tTree ? (tTree.root as Hex) : ZERO_ROOT,
    slashes: core.slashes.map((s) => ({ evaluator: evaluators[s.evaluator], reason: s.reason })),
    inputsHash: computeInputsHash(canonical),
    paramsVersion: params.paramsVersion,
  };
}
