import { type Address, type Hex, getAddress } from "viem";
import { PPM, SCORE_MAX, UNAVAILABLE, isRevealEntry, isScore } from "../consensus/fixedPoint";
import { buildRoundScores, type ScoreEntry } from "../consensus/round";
import type { EvidenceState, PushStat } from "../consensus/rule";
import { InputError } from "../errors";
import { computeInputsHash, type CanonicalInputs } from "./inputsHash";
import { ZERO_ROOT, trustTree } from "./merkle";
import { buildSumTree, type SumTree } from "./sumTree";
import { validateSettlementParams, type SettlementParams } from "./params";
import { settleRoundCore } from "./settleRound";
import type { Breaker, SlashReason } from "./slashing";

/** [n (milli-counts), sum of residuals, sum of squared residuals] (score units), decayed across rounds. */
export type StatRecord = [n: number, s1: number, s2: number];

/**
 * Push evidence an evaluator carries between rounds (see src/consensus/robustTrust.ts): all residuals, those with
 * room to push up, those with room to push down, and the same two per inference node (sorted by node address).
 */
export type EvidenceRecord = {
  all: StatRecord;
  up: StatRecord;
  down: StatRecord;
  /** Informativeness for the payment: [milli-seats, seat-weighted sum of peer-prediction scores (ppm), of their squares / 1000]. */
  info: StatRecord;
  nodes: { node: Address; up: StatRecord; down: StatRecord }[];
};

/** An evaluator's state after a round. `evidence` absent = none yet (a relayer must carry it over with the rest). */
export type TrustRecord = { trustPpm: number; lowStreak: number; evidence?: EvidenceRecord };

export type SettlementTask = { index: number; inferenceNode: Address; costUnits: bigint };

export type SettlementInput = {
  roundId: bigint;
  /** The round's tasks, index 0..T-1. */
  tasks: SettlementTask[];
  /**
   * From assignEvaluators: per task the k stake-weighted draws in draw order (an address drawn twice appears twice
   * and its one score weighs 2: its seats). byEvaluator, when given, must list each evaluator's distinct tasks
   * ascending, as byTask implies.
   */
  assignment: { byTask: Address[][]; byEvaluator?: Map<Address, number[]> };
  /**
   * Revealed entries per evaluator, one per distinct assigned task in ascending task order: a score 0..10000 or
   * UNAVAILABLE (65535). Missing = did not reveal; a reveal of the wrong length or with any other value counts as no
   * reveal, so settlement never fails on evaluator-controlled data.
   */
  reveals: Map<Address, number[]>;
  /** Evaluators that committed and did not reveal (assigned evaluators without a reveal count as such anyway). */
  committedNotRevealed?: Address[];
  /** State after the previous round; evaluators not listed start at params.consensus.initialTrustPpm. */
  trust: Map<Address, TrustRecord>;
  /** Evaluator stakes (wei) at round open: the breaker's weights and the yardsticks' (in stake units). */
  stakes: Map<Address, bigint>;
  /** Cumulative amounts of every account after the previous round. */
  previousCumulative: Map<Address, bigint>;
  /** Gold tasks revealed by the registrar: task index -> known quality 0..10000. Never paid to an inference node. */
  gold?: Map<number, number>;
  inferencePool: bigint;
  evaluatorPool: bigint;
  params: SettlementParams;
};

export type SettlementPayload = {
  roundId: bigint;
  /** Per task 0..10000; 0 where no score was revealed or the task was excluded. */
  consensus: number[];
  /** Tasks excluded from the round (a strict majority of their revealed seats reported UNAVAILABLE), ascending. */
  excludedTasks: number[];
  /** New state of every evaluator known to the round (assigned, committed or previously tracked). */
  trust: Map<Address, TrustRecord>;
  /** This round's amounts, non-zero only, sorted by address. */
  rewards: { account: Address; amount: bigint }[];
  /** Cumulative amounts of every account, sorted by address. */
  cumulative: { account: Address; cumulativeAmount: bigint }[];
  /** LowTrust slashes only (reason 2), strictly ascending by address, revealers only, at most params.maxSlashes. */
  slashes: { evaluator: Address; reason: SlashReason }[];
  /** Circuit breaker: tripped = no LowTrust slash this round (on chain: flags bit 0). */
  breaker: Breaker;
  /** Settlement flags: bit 0 = low-trust slashing frozen by the breaker this round. */
  flags: number;
  /** Seat-weighted median gold residual of the round (score units; 0 without gold): an alert metric, not a payout input. */
  goldDrift: number;
  /** Evaluators flagged this round (significant push evidence), ascending by address: the breaker's numerator. */
  flagged: Address[];
  inferencePaid: bigint;
  evaluatorPaid: bigint;
  inputsHash: Hex;
  paramsVersion: number;
  // --- Struct-shaped fields (trees and roots): see the block at the end of buildSettlement. ---
  /** The cumulative rewards sum tree (empty, with the zero root, when no account was ever paid). */
  rewardsTree: SumTree;
  rewardsRoot: Hex;
  cumulativeTotal: bigint;
  trustRoot: Hex;
};

/** Settlement flag bit 0: low-trust slashing frozen by the circuit breaker. */
export const FLAG_BREAKER_TRIPPED = 1;

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

const STAT_LIMIT = 2 ** 50;
function statIn(s: unknown, what: string): PushStat {
  if (!Array.isArray(s) || s.length !== 3 || !s.every((x) => Number.isSafeInteger(x) && Math.abs(x) < STAT_LIMIT) || s[0] < 0 || s[2] < 0) {
    throw new InputError(`${what} must be [n >= 0, s1, s2 >= 0], safe integers below 2^50`);
  }
  return { n: s[0], s1: s[1], s2: s[2] };
}
const statOut = (s: PushStat): StatRecord => [s.n, s.s1, s.s2];

/**
 * Computes a round's settlement payload from public data alone: consensus per task, new trust and evidence, this
 * round's rewards and the cumulative rewards Merkle tree, the LowTrust slash list, the circuit breaker, the trust
 * root and the inputs hash. Pure and deterministic: integers and bigints only, canonical orderings everywhere.
 *
 * Pools: inferencePaid equals inferencePool exactly when at least one task has a positive cost-aware weight, and
 * evaluatorPaid equals evaluatorPool exactly when at least one revealing evaluator has a positive weight. Otherwise
 * that pool is not allocated (paid = 0) and stays in the reward vault.
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
  if (T > 2 ** 32 - 1) throw new InputError("too many tasks");
  // Draws per task (repeats allowed); seats = multiplicity of an address in its task's draws.
  const byTask = input.assignment.byTask.map((row, t) => {
    if (row.length > 65_535) throw new InputError(`task ${t}: more than 65535 draws`);
    return row.map((a) => addrs.norm(a, "evaluator"));
  });
  const assignedTasks = new Map<Address, number[]>();
  const seatsOf: Map<Address, number>[] = byTask.map((row, t) => {
    const m = new Map<Address, number>();
    for (const a of row) {
      const prev = m.get(a);
      m.set(a, (prev ?? 0) + 1);
      if (prev === undefined) {
        const l = assignedTasks.get(a);
        if (l) l.push(t);
        else assignedTasks.set(a, [t]);
      }
    }
    return m;
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

  // Valid reveals: one entry per distinct assigned task, each a score or UNAVAILABLE.
  const reveals = normMap(input.reveals, addrs, "reveal");
  const validReveals: { evaluator: Address; scores: number[] }[] = [];
  const perTaskAll: ScoreEntry[][] = byTask.map(() => []);
  const unavailableSeats = new Int32Array(T);
  const revealedSeats = new Int32Array(T);
  const revealed = new Uint8Array(M);
  for (const a of evaluators) {
    const mine = assignedTasks.get(a);
    const scores = reveals.get(a);
    if (!mine || !scores) continue;
    if (!Array.isArray(scores) || scores.length !== mine.length || !scores.every(isRevealEntry)) continue;
    const e = evIndex.get(a)!;
    revealed[e] = 1;
    validReveals.push({ evaluator: a, scores: [...scores] });
    mine.forEach((t, i) => {
      const seats = seatsOf[t].get(a)!;
      revealedSeats[t] += seats;
      if (scores[i] === UNAVAILABLE) unavailableSeats[t] += seats;
      else perTaskAll[t].push({ evaluator: e, score: scores[i], seats });
    });
  }
  // A task most of whose revealed seats could not fetch the output is excluded: no consensus, no pay, no trust move.
  const excluded = new Uint8Array(T);
  const excludedTasks: number[] = [];
  for (let t = 0; t < T; t++) {
    if (2 * unavailableSeats[t] > revealedSeats[t]) {
      excluded[t] = 1;
      excludedTasks.push(t);
    }
  }
  const perTask = perTaskAll.map((l, t) => (excluded[t] ? [] : l));
  const participated = new Uint8Array(M);
  const nonRevealed = new Uint8Array(M);
  for (const a of assignedTasks.keys()) participated[evIndex.get(a)!] = 1;
  for (const a of committed) participated[evIndex.get(a)!] = 1;
  for (let e = 0; e < M; e++) if (participated[e] && !revealed[e]) nonRevealed[e] = 1;

  // Inference nodes: this round's and those named in carried evidence, sorted by address.
  const roundNodes = new Set(tasks.map((t) => t.inferenceNode));
  const evidenceNodes = new Set<Address>();
  for (const rec of prevTrust.values()) for (const n of rec?.evidence?.nodes ?? []) evidenceNodes.add(addrs.norm(n.node, "evidence node"));
  const nodes = [...new Set<Address>([...roundNodes, ...evidenceNodes])].sort(byLower);
  const nodeIndex = new Map<Address, number>(nodes.map((a, i) => [a, i]));

  // Trust state, evidence and stake.
  const trust = new Int32Array(M);
  const lowStreak = new Int32Array(M);
  const stakeUnits = new Int32Array(M);
  const stake: bigint[] = new Array(M);
  const evidence: (EvidenceState | undefined)[] = new Array(M);
  const { stakeUnitWei, stakeCapUnits, initialTrustPpm } = params.consensus;
  evaluators.forEach((a, e) => {
    const rec = prevTrust.get(a);
    if (rec) {
      if (!Number.isInteger(rec.trustPpm) || rec.trustPpm < 0 || rec.trustPpm > PPM) throw new InputError(`trust of ${a} must be an integer ppm`);
      if (!Number.isInteger(rec.lowStreak) || rec.lowStreak < 0 || rec.lowStreak > 2 ** 32 - 1) throw new InputError(`lowStreak of ${a} must be a uint32`);
      if (rec.evidence) {
        const ev = rec.evidence;
        const nodesMap = new Map<number, { up: PushStat; down: PushStat }>();
        for (const n of ev.nodes ?? []) {
          const k = nodeIndex.get(addrs.norm(n.node, "evidence node"))!;
          if (nodesMap.has(k)) throw new InputError(`evidence of ${a} lists node ${n.node} twice`);
          nodesMap.set(k, { up: statIn(n.up, `evidence of ${a}`), down: statIn(n.down, `evidence of ${a}`) });
        }
        evidence[e] = {
          all: statIn(ev.all, `evidence of ${a}`),
          up: statIn(ev.up, `evidence of ${a}`),
          down: statIn(ev.down, `evidence of ${a}`),
          nodes: nodesMap,
          info: statIn(ev.info, `evidence of ${a}`),
        };
      }
    }
    trust[e] = rec ? rec.trustPpm : initialTrustPpm;
    lowStreak[e] = rec ? rec.lowStreak : 0;
    stake[e] = stakesIn.has(a) ? requireBigint(stakesIn.get(a), `stake of ${a}`) : 0n;
    const units = stake[e] / stakeUnitWei;
    stakeUnits[e] = units > BigInt(stakeCapUnits) ? stakeCapUnits : Number(units);
  });

  const gold = new Int32Array(T).fill(-1);
  for (const g of goldList) gold[g.index] = g.quality;

  const core = settleRoundCore({
    round: buildRoundScores(M, perTask),
    taskNode: Int32Array.from(tasks.map((t) => nodeIndex.get(t.inferenceNode)!)),
    taskCost: tasks.map((t) => t.costUnits),
    nodeCount: nodes.length,
    gold,
    excluded,
    trust,
    lowStreak,
    evidence,
    stakeUnits,
    stake,
    revealed,
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

  const newTrust = new Map<Address, TrustRecord>();
  evaluators.forEach((a, e) => {
    const ev = core.evidence[e];
    const rec: TrustRecord = { trustPpm: core.trust[e], lowStreak: core.lowStreak[e] };
    if (ev) {
      rec.evidence = {
        all: statOut(ev.all),
        up: statOut(ev.up),
        down: statOut(ev.down),
        info: statOut(ev.info),
        nodes: [...ev.nodes.entries()].sort((x, y) => x[0] - y[0]).map(([k, v]) => ({ node: nodes[k], up: statOut(v.up), down: statOut(v.down) })),
      };
    }
    newTrust.set(a, rec);
  });

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
    excludedTasks,
    inferencePool,
    evaluatorPool,
  };
  const flagged = evaluators.filter((_, e) => core.flagged[e] === 1);

  // The cumulative rewards sum tree (src/rewards/sumTree.ts) and the trust tree.
  const tree = buildSumTree(cumulative.map((c) => ({ account: c.account, amount: c.cumulativeAmount })));
  const tTree = trustTree(evaluators.map((a, e) => ({ evaluator: a, trustPpm: core.trust[e] })));

  return {
    roundId: input.roundId,
    consensus: Array.from(core.consensus, (c) => (c < 0 ? 0 : c)),
    excludedTasks,
    trust: newTrust,
    rewards,
    cumulative,
    slashes: core.slashes.map((s) => ({ evaluator: evaluators[s.evaluator], reason: s.reason })),
    breaker: core.breaker,
    flags: core.breaker.tripped ? FLAG_BREAKER_TRIPPED : 0,
    goldDrift: core.goldDrift,
    flagged,
    inferencePaid: core.inferencePaid,
    evaluatorPaid: core.evaluatorPaid,
    inputsHash: computeInputsHash(canonical),
    paramsVersion: params.paramsVersion,
    rewardsTree: tree,
    rewardsRoot: tree.root,
    cumulativeTotal: tree.total,
    trustRoot: tTree ? (tTree.root as Hex) : ZERO_ROOT,
  };
}
