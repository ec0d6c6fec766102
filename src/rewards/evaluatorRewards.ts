import { PPM, floorDiv } from "../consensus/fixedPoint";
import { mulDivFloor } from "../consensus/fixedPoint";
import type { RoundScores } from "../consensus/round";
import type { PushStat } from "../consensus/rule";

export type EvaluatorWeights = {
  /** Per evaluator: trust (ppm) * max(0, its seat-weighted peer-prediction score), the weight of its pool share. */
  weights: bigint[];
  /** Per score entry: trust * (bonus - penalty) / 1e6 (ppm, may be negative): the evaluation's payoff in normalized units. */
  payoffPpm: Int32Array;
  /** Per evaluator: its seat-weighted sum of bonus - penalty (ppm) this round, before the floor at 0 and the trust factor. */
  scorePpm: number[];
  /** Per evaluator: informativeness accumulated with this round (undefined where none was carried in). */
  info: (PushStat | undefined)[];
};

/** Integer square root of a non-negative bigint (Newton). */
function isqrtBig(n: bigint): bigint {
  if (n < 2n) return n;
  let x = BigInt(Math.floor(Math.sqrt(Number(n))));
  while (x * x > n) x -= 1n;
  while ((x + 1n) * (x + 1n) <= n) x += 1n;
  return x;
}

/**
 * Lower confidence bound of the per-seat score (ppm): mean - z * standard error, from n (milli-seats), s1 (sum of
 * seat-weighted scores, ppm) and s2 (sum of seat-weighted squared scores / 1000, ppm^2 / 1000). Exact (bigint).
 */
export function lowerBound(n: number, s1: number, s2: number, zMilli: number): number {
  if (n <= 0) return 0;
  const N = BigInt(n);
  const mean = (BigInt(s1) * 1000n) / N - (BigInt(s1) * 1000n < 0n && (BigInt(s1) * 1000n) % N !== 0n ? 1n : 0n);
  // E[x^2] in ppm^2 = s2 * 1000 * 1000 / n; variance of one seat's score, then of the mean over n / 1000 seats.
  let variance = (BigInt(s2) * 1_000_000n) / N - mean * mean;
  if (variance < 0n) variance = 0n;
  const se = isqrtBig((variance * 1000n) / N);
  return Number(mean - (se * BigInt(zMilli)) / 1000n);
}

/** Agreement kernel in score units: max(0, tolerance - |s - r|). */
const kernel = (s: number, r: number, tolerance: number): number => {
  const d = s > r ? s - r : r - s;
  return d >= tolerance ? 0 : tolerance - d;
};

/**
 * Evaluator reward weights: a correlated-agreement peer-prediction payment (Shnayder et al. 2016), stratified by
 * inference node. Each revealed score s of evaluator e on ordinary task t earns
 *
 *     bonus - penalty,  bonus = f(s, r(e, t)),  penalty = mean over the other paid tasks t' of the same inference
 *                                                          node of f(s, r(e, t'))
 *
 * with f(s, r) = max(0, 1 - |s - r| / tolerance), r(e, t) the leave-one-out reference of e on t (the weighted median
 * of the other scores; where e did not score t', the weighted median of all of t''s scores, `taskReference`, which
 * is distributed like a leave-one-out median, unlike a mean). In expectation the penalty is what a report
 * earns by chance: a constant, last round's consensus, or a node's average quality (what a node-copier reports)
 * scores as well on another task of the same node as on its own, so their expected payment is zero; a report that
 * carries information about the output in front of it scores better on its own task. An evaluator's score is the
 * seat-weighted sum over its entries, accumulated per seat over rounds (decayed like the push evidence). What counts
 * is the lower confidence bound of its score per seat (mean - payZ standard errors: a report that earns by chance
 * does not clear it), capped at payCap x the seat-weighted median evaluator's bound. Its weight is its seats this
 * round x that capped bound x trust x q^2 (q: this round's score of the rule, 1 without evidence), floored at 0.
 * Gold tasks, tasks without a consensus, and entries without a reference or without another task of the same node
 * earn nothing. Non-revealers weigh 0.
 */
export function evaluatorWeights(
  round: RoundScores,
  consensus: Int32Array,
  taskReference: Int32Array,
  reference: Int32Array,
  gold: Int32Array,
  taskNode: Int32Array,
  trust: Int32Array,
  q: Int32Array,
  nonRevealed: Uint8Array,
  tolerance: number,
  payCapPpm: number,
  payZMilli: number,
  infoIn: readonly (PushStat | undefined)[] = [],
  decayPpm = 0,
): EvaluatorWeights {
  const T = round.taskCount;
  const M = round.evaluatorCount;
  const paid = (t: number): boolean => consensus[t] >= 0 && taskReference[t] >= 0 && gold[t] < 0;
  // Per node: the consensus values of its paid tasks.
  const nodeTasks = new Map<number, number[]>();
  for (let t = 0; t < T; t++) {
    if (!paid(t)) continue;
    const l = nodeTasks.get(taskNode[t]);
    if (l) l.push(t);
    else nodeTasks.set(taskNode[t], [t]);
  }
  // Per node: its paid tasks' references sorted, with prefix sums, so the sum of kernel(s, r) over a node's tasks is
  // two binary searches: sum over r in [s - tol, s] of (tol - s + r) plus over r in (s, s + tol] of (tol + s - r).
  const nodeSorted = new Map<number, { v: Int32Array; prefix: Float64Array }>();
  for (const [node, ts] of nodeTasks) {
    const v = Int32Array.from(ts, (t) => taskReference[t]).sort();
    const prefix = new Float64Array(v.length + 1);
    for (let i = 0; i < v.length; i++) prefix[i + 1] = prefix[i] + v[i];
    nodeSorted.set(node, { v, prefix });
  }
  const lowerIndex = (v: Int32Array, x: number): number => {
    let lo = 0;
    let hi = v.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (v[mid] < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const kernelSum = (node: number, s: number): number => {
    const { v, prefix } = nodeSorted.get(node)!;
    const a = lowerIndex(v, s - tolerance + 1); // r > s - tol
    const m = lowerIndex(v, s + 1); // r <= s
    const b = lowerIndex(v, s + tolerance); // r < s + tol
    return (m - a) * (tolerance - s) + (prefix[m] - prefix[a]) + (b - m) * (tolerance + s) - (prefix[b] - prefix[m]);
  };
  // Per evaluator: its entries on paid tasks with a reference.
  const mine: number[][] = Array.from({ length: M }, () => []);
  const taskOf = new Int32Array(round.score.length);
  for (let t = 0; t < T; t++) {
    for (let p = round.start[t]; p < round.start[t + 1]; p++) {
      taskOf[p] = t;
      if (paid(t) && reference[p] >= 0) mine[round.evaluator[p]].push(p);
    }
  }
  const payoffPpm = new Int32Array(round.score.length);
  const scorePpm = new Array<number>(M).fill(0);
  const squares = new Array<number>(M).fill(0);
  for (let e = 0; e < M; e++) {
    const entries = mine[e];
    for (const p of entries) {
      const t = taskOf[p];
      const node = taskNode[t];
      const peers = nodeTasks.get(node)!;
      const m = peers.length - 1;
      if (m <= 0) continue;
      const s = round.score[p];
      let pen = kernelSum(node, s) - kernel(s, taskReference[t], tolerance);
      // Where e scored t2 itself, its reference there is the leave-one-out one.
      for (const p2 of entries) {
        const t2 = taskOf[p2];
        if (t2 === t || taskNode[t2] !== node) continue;
        pen += kernel(s, reference[p2], tolerance) - kernel(s, taskReference[t2], tolerance);
      }
      const bonus = floorDiv(kernel(s, reference[p], tolerance) * PPM, tolerance);
      const penalty = floorDiv(pen * PPM, m * tolerance);
      const ca = bonus - penalty;
      const st = round.seats ? round.seats[p] : 1;
      scorePpm[e] += ca * st;
      squares[e] += st * floorDiv(ca * ca, 1000);
      payoffPpm[p] = floorDiv(trust[e] * ca, PPM);
    }
  }
  // Informativeness per seat, accumulated over rounds with the evidence decay (one round's score is noisy: on
  // summaries an honest evaluator's per-seat score is about 0.06 with a round-to-round sd as large).
  const seatsOf = new Array<number>(M).fill(0);
  for (let e = 0; e < M; e++) for (const p of mine[e]) seatsOf[e] += round.seats ? round.seats[p] : 1;
  const info: (PushStat | undefined)[] = new Array(M);
  const perSeatOf = new Array<number>(M).fill(0);
  const perSeat: { v: number; w: number }[] = [];
  const decay = (x: number): number => (x < 0 ? -mulDivFloor(-x, decayPpm, PPM) : mulDivFloor(x, decayPpm, PPM));
  for (let e = 0; e < M; e++) {
    const h = infoIn[e];
    if (seatsOf[e] === 0) {
      info[e] = h;
      continue;
    }
    const n = (h ? decay(h.n) : 0) + seatsOf[e] * 1000;
    const s1 = (h ? decay(h.s1) : 0) + scorePpm[e];
    const s2 = (h ? decay(h.s2) : 0) + squares[e];
    info[e] = { n, s1, s2 };
    if (nonRevealed[e]) continue;
    perSeatOf[e] = lowerBound(n, s1, s2, payZMilli);
    perSeat.push({ v: perSeatOf[e], w: seatsOf[e] });
  }
  // Cap: payCap x the seat-weighted median evaluator's score per seat. Above it, extra agreement is more likely
  // coordination (a bloc averaging its members' reports) than skill, so it earns nothing more.
  perSeat.sort((a, b) => a.v - b.v);
  let totalSeats = 0;
  for (const x of perSeat) totalSeats += x.w;
  let median = 0;
  let cum = 0;
  for (const x of perSeat) {
    cum += x.w;
    if (2 * cum >= totalSeats) {
      median = x.v;
      break;
    }
  }
  const capPerSeat = Math.max(0, floorDiv(median * payCapPpm, PPM));
  const weights = new Array<bigint>(M);
  for (let e = 0; e < M; e++) {
    const capped = seatsOf[e] * Math.min(perSeatOf[e], capPerSeat);
    weights[e] = nonRevealed[e] || capped <= 0 ? 0n : (BigInt(capped) * BigInt(trust[e]) * BigInt(q[e]) * BigInt(q[e])) / 1_000_000_000_000n;
  }
  return { weights, payoffPpm, scorePpm, info };
}
