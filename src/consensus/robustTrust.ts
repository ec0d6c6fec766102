import { PPM, clampInt, floorDiv, roundDiv } from "./fixedPoint";
import { medianScore } from "./median";
import { weightedMedianScore } from "./weightedMedian";
import { robustSpread } from "./robustSpread";
import type { ConsensusParams } from "./params";
import type { RoundScores } from "./round";
import type { ConsensusRule, RuleInput, RuleOutput } from "./rule";

/**
 * This project's default rule ("robust-trust"):
 *
 * 1. Weights: floor(trust^2 / 1e6) * q / 1e6 * stakeUnits, with q this round's score of the evaluator (below);
 *    squaring trust makes a distrusted evaluator count quadratically less; stake units are capped.
 * 2. Evidence: each score is compared with a reference that does not contain it: the known quality on a gold
 *    task, otherwise the leave-one-out weighted median of the other evaluators of that task. Residuals on ordinary
 *    tasks are standardized by their robust spread (1.4826 * MAD, floored), residuals on gold tasks by theirs (never
 *    below the ordinary one: a gold residual also carries the honest scorer's own error against the known
 *    quality, which every honest evaluator shares), and capped, so a coalition cannot make its own scores the
 *    yardstick and one wild score cannot dominate.
 * 3. Round score per evaluator, from two statistics of its capped z (gold deviations weigh goldWeight times more),
 *    each relative to the round's median evaluator:
 *    - scatter: the root mean square of z, rel = D / median(D); squares punish a few large deviations (an attack)
 *      more than steady small noise;
 *    - push: the mean part of its upward deviations beyond a dead zone (|z| > pushDeadZone), and separately of its
 *      downward ones, each relative to the median evaluator's (floored): push = max(up / median(up), down /
 *      median(down)). An attack must push scores one way to have an effect, and it shows as an excess of large
 *      deviations in that direction even where clamping at 0 or 10 hides most of its size. An honest evaluator's
 *      noise near a bound also shifts its mean (near 10 it can only err downward), but by small deviations, which
 *      the dead zone ignores; and testing each direction on its own keeps that drift from masking or mimicking a
 *      push the other way.
 *    Each maps linearly to [0, 1] between a "lo" (1) and a "hi" (0) threshold; q is the smaller. The median
 *    evaluator is the yardstick, so a round that is hard for everyone is nobody's fault.
 *    Steps 1-3 run `passes` times, starting from q = 1: the first pass finds the round's outliers with history
 *    alone, later passes measure everyone against a reference those outliers no longer move.
 * 4. Consensus: per task, the weighted trimmed mean with the final weights (consensusTrim of the weight cut at each
 *    end; 0.5 would be the weighted median): robust to the scores the weights have not caught, and nearly as
 *    efficient as a mean on honest scores. An evaluator that turns malicious loses its influence in the round it
 *    attacks, not rounds later.
 * 5. Trust: a slow, asymmetric exponential moving average of q, trust += eta (q - trust) with eta = etaUp when q
 *    is above trust, etaDown below: trust is earned slowly and lost faster. A non-revealer gets q = 0.
 */

/** Weights: floor(floor(trust^2 / 1e6) * q / 1e6) * stakeUnits (q: this round's score, ppm). */
export function robustWeights(trust: Int32Array, q: Int32Array, stakeUnits: Int32Array): Int32Array {
  const w = new Int32Array(trust.length);
  for (let e = 0; e < w.length; e++) w[e] = floorDiv(floorDiv(trust[e] * trust[e], PPM) * q[e], PPM) * stakeUnits[e];
  return w;
}

type TaskScratch = { order: Int32Array; vals: Int32Array };

/** Sorts the task's entry positions a..b-1 by score (insertion sort: a task has k entries). */
function sortEntries(score: Int32Array, a: number, b: number, order: Int32Array): number {
  const n = b - a;
  for (let i = 0; i < n; i++) {
    const p = a + i;
    const s = score[p];
    let j = i - 1;
    while (j >= 0 && score[order[j]] > s) {
      order[j + 1] = order[j];
      j--;
    }
    order[j + 1] = p;
  }
  return n;
}

/**
 * Weighted median over the sorted entries `order[0..n-1]`, skipping position `skip` (-1 for none). Same
 * definition as weightedMedianScore; falls back to the plain median when the weights left are all zero.
 */
function sortedWeightedMedian(
  score: Int32Array,
  wOf: (p: number) => number,
  order: Int32Array,
  n: number,
  skip: number,
  scratch: TaskScratch,
): number {
  let total = 0;
  for (let i = 0; i < n; i++) if (order[i] !== skip) total += wOf(order[i]);
  if (total === 0) {
    let m = 0;
    for (let i = 0; i < n; i++) if (order[i] !== skip) scratch.vals[m++] = score[order[i]];
    return m === 0 ? -1 : medianScore(scratch.vals.subarray(0, m));
  }
  let cum = 0;
  for (let i = 0; i < n; i++) {
    const p = order[i];
    if (p === skip) continue;
    const w = wOf(p);
    if (w === 0) continue;
    cum += w;
    if (2 * cum >= total) {
      if (2 * cum === total) {
        for (let j = i + 1; j < n; j++) {
          const q = order[j];
          if (q !== skip && wOf(q) > 0) return roundDiv(score[p] + score[q], 2);
        }
      }
      return score[p];
    }
  }
  return -1; // unreachable: total > 0
}

/**
 * Weighted trimmed mean over the sorted entries `order[0..n-1]`: lay the entries' weights end to end in score
 * order (total W), cut floor(W * trim / 1e6) of weight from each end (an entry straddling a cut keeps the part
 * inside) and average the scores over the weight that remains, rounded half up. Trim 0.5 (or all weight cut) is the
 * weighted median. Zero-weight entries do not count; all zero falls back to the plain median. -1 if empty.
 */
export function sortedWeightedTrimmedMean(
  score: Int32Array,
  wOf: (p: number) => number,
  order: Int32Array,
  n: number,
  trimPpm: number,
  scratch: TaskScratch,
): number {
  let total = 0;
  for (let i = 0; i < n; i++) total += wOf(order[i]);
  if (total === 0 || trimPpm >= PPM / 2) return sortedWeightedMedian(score, wOf, order, n, -1, scratch);
  const lo = floorDiv(total * trimPpm, PPM);
  const hi = total - lo;
  let cum = 0;
  let sum = 0;
  let kept = 0;
  for (let i = 0; i < n; i++) {
    const p = order[i];
    const w = wOf(p);
    const a = Math.max(cum, lo);
    const b = Math.min(cum + w, hi);
    if (b > a) {
      sum += (b - a) * score[p];
      kept += b - a;
    }
    cum += w;
  }
  return kept > 0 ? roundDiv(sum, kept) : sortedWeightedMedian(score, wOf, order, n, -1, scratch);
}

/** Weighted trimmed mean of integer scores with non-negative integer weights (see sortedWeightedTrimmedMean). */
export function weightedTrimmedMeanScore(values: ArrayLike<number>, weights: ArrayLike<number>, trimPpm: number): number {
  const n = values.length;
  if (n === 0) return -1;
  const score = Int32Array.from(values as ArrayLike<number>);
  const order = new Int32Array(n);
  sortEntries(score, 0, n, order);
  return sortedWeightedTrimmedMean(score, (p) => weights[p], order, n, trimPpm, { order: new Int32Array(n), vals: new Int32Array(n) });
}

export type RobustEvidence = {
  consensus: Int32Array;
  /** Root mean square of the capped standardized residuals per evaluator (milli-z), -1 without evidence. */
  deviationMilli: Int32Array;
  /** deviationMilli relative to the round's median evaluator (ppm: 1e6 = typical), -1 without evidence. */
  relativePpm: Int32Array;
  /** Mean excess of the evaluator's upward deviations beyond the dead zone (milli-z), -1 without evidence. */
  upMilli: Int32Array;
  /** The same for downward deviations (milli-z), -1 without evidence. */
  downMilli: Int32Array;
  /** max(up / median evaluator's up, down / median evaluator's down), medians floored (ppm), -1 without evidence. */
  pushPpm: Int32Array;
  /** Robust spread of the round's ordinary residuals (score units). */
  sigma: number;
  /** Robust spread of the round's gold residuals, at least sigma (score units). */
  sigmaGold: number;
};

/** Steps 2-3 for given weights: consensus (weighted trimmed mean) and each evaluator's scatter and push statistics. */
export function robustEvidence(
  round: RoundScores,
  weights: Int32Array,
  gold: Int32Array,
  params: ConsensusParams,
  withEvidence = true,
): RobustEvidence {
  const { score, evaluator, start } = round;
  const wOf = (p: number): number => weights[evaluator[p]];
  let maxK = 0;
  for (let t = 0; t < round.taskCount; t++) maxK = Math.max(maxK, start[t + 1] - start[t]);
  const scratch: TaskScratch = { order: new Int32Array(maxK), vals: new Int32Array(maxK) };

  const M = round.evaluatorCount;
  const consensus = new Int32Array(round.taskCount);
  const residual = new Int32Array(score.length);
  const hasRef = new Uint8Array(score.length);
  const ordinary: number[] = [];
  const goldResiduals: number[] = [];
  for (let t = 0; t < round.taskCount; t++) {
    const a = start[t];
    const b = start[t + 1];
    if (a === b) {
      consensus[t] = -1;
      continue;
    }
    const n = sortEntries(score, a, b, scratch.order);
    consensus[t] = sortedWeightedTrimmedMean(score, wOf, scratch.order, n, params.consensusTrimPpm, scratch);
    if (!withEvidence) continue;
    const g = gold[t];
    for (let p = a; p < b; p++) {
      const ref = g >= 0 ? g : n > 1 ? sortedWeightedMedian(score, wOf, scratch.order, n, p, scratch) : -1;
      if (ref < 0) continue;
      residual[p] = score[p] - ref;
      hasRef[p] = 1;
      if (g < 0) ordinary.push(residual[p]);
      else goldResiduals.push(residual[p]);
    }
  }
  const none = (): Int32Array => new Int32Array(M).fill(-1);
  if (!withEvidence) {
    return { consensus, deviationMilli: none(), relativePpm: none(), upMilli: none(), downMilli: none(), pushPpm: none(), sigma: 0, sigmaGold: 0 };
  }
  const sigma = robustSpread(ordinary, params.sigmaFloor);
  const sigmaGold = Math.max(sigma, robustSpread(goldResiduals, params.sigmaFloor));

  // Per evaluator: all its residuals (gold weighted) judge it; its ordinary residuals alone feed the yardsticks,
  // so the known quality of a gold task is never outvoted by the evaluators it is meant to check.
  const sq = new Float64Array(M);
  const up = new Float64Array(M);
  const down = new Float64Array(M);
  const cnt = new Int32Array(M);
  const sqOrd = new Float64Array(M);
  const upOrd = new Float64Array(M);
  const downOrd = new Float64Array(M);
  const cntOrd = new Int32Array(M);
  for (let t = 0; t < round.taskCount; t++) {
    const isGold = gold[t] >= 0;
    const g = isGold ? params.goldWeight : 1;
    for (let p = start[t]; p < start[t + 1]; p++) {
      if (!hasRef[p]) continue;
      const e = evaluator[p];
      const z = Math.min(params.zCapMilli, floorDiv(Math.abs(residual[p]) * 1000, isGold ? sigmaGold : sigma));
      const excess = Math.max(0, z - params.pushDeadZoneMilli);
      const u = residual[p] > 0 ? excess : 0;
      const d = residual[p] < 0 ? excess : 0;
      sq[e] += z * z * g;
      up[e] += u * g;
      down[e] += d * g;
      cnt[e] += g;
      if (!isGold) {
        sqOrd[e] += z * z;
        upOrd[e] += u;
        downOrd[e] += d;
        cntOrd[e] += 1;
      }
    }
  }
  const deviationMilli = none();
  const upMilli = none();
  const downMilli = none();
  const rmsList: number[] = [];
  const upList: number[] = [];
  const downList: number[] = [];
  const weightList: number[] = [];
  for (let e = 0; e < M; e++) {
    if (cnt[e] === 0) continue;
    deviationMilli[e] = isqrt(floorDiv(sq[e], cnt[e]));
    upMilli[e] = floorDiv(up[e], cnt[e]);
    downMilli[e] = floorDiv(down[e], cnt[e]);
    if (cntOrd[e] === 0) continue;
    rmsList.push(isqrt(floorDiv(sqOrd[e], cntOrd[e])));
    upList.push(floorDiv(upOrd[e], cntOrd[e]));
    downList.push(floorDiv(downOrd[e], cntOrd[e]));
    weightList.push(weights[e]);
  }
  // The yardsticks (the median evaluator's scatter, up and down) are weighted medians over evaluators, with the
  // pass's weights capped at their median: evaluators already distrusted do not set them, and the most trusted
  // few cannot narrow them into a clique. Equal weights in a first round.
  const cap = weightList.length ? medianScore(weightList) : 0;
  for (let i = 0; i < weightList.length; i++) weightList[i] = cap > 0 ? Math.min(weightList[i], cap) : 1;
  const yardstick = (list: number[], floor: number): number => Math.max(floor, list.length ? weightedMedianScore(list, weightList) : 0);
  const typical = yardstick(rmsList, params.deviationFloorMilli);
  const typicalUp = yardstick(upList, params.pushFloorMilli);
  const typicalDown = yardstick(downList, params.pushFloorMilli);
  const relativePpm = none();
  const pushPpm = none();
  for (let e = 0; e < M; e++) {
    if (deviationMilli[e] < 0) continue;
    relativePpm[e] = floorDiv(deviationMilli[e] * PPM, typical);
    pushPpm[e] = Math.max(floorDiv(upMilli[e] * PPM, typicalUp), floorDiv(downMilli[e] * PPM, typicalDown));
  }
  return { consensus, deviationMilli, relativePpm, upMilli, downMilli, pushPpm, sigma, sigmaGold };
}

/** Integer square root: floor(sqrt(n)) for a safe non-negative integer, exact. */
export function isqrt(n: number): number {
  let r = Math.floor(Math.sqrt(n));
  while (r * r > n) r--;
  while ((r + 1) * (r + 1) <= n) r++;
  return r;
}

/** Round score q (ppm) from a relative deviation (ppm): 1 at or below lo, 0 at or above hi, linear between. */
export function roundScorePpm(relativePpm: number, loPpm: number, hiPpm: number): number {
  return clampInt(floorDiv((hiPpm - relativePpm) * PPM, hiPpm - loPpm), 0, PPM);
}

/** Step 4: slow asymmetric EMA, rounded down (toward distrust). */
export function emaTrust(trust: number, q: number, etaUpPpm: number, etaDownPpm: number): number {
  const eta = q >= trust ? etaUpPpm : etaDownPpm;
  return clampInt(trust + floorDiv(eta * (q - trust), PPM), 0, PPM);
}

/** q = the smaller of the scatter score and the push score (ppm). */
export function roundScore(ev: RobustEvidence, e: number, params: ConsensusParams): number {
  const scatter = roundScorePpm(ev.relativePpm[e], params.relLoPpm, params.relHiPpm);
  const push = roundScorePpm(ev.pushPpm[e], params.pushLoPpm, params.pushHiPpm);
  return Math.min(scatter, push);
}

export function runRobustTrust(input: RuleInput): RuleOutput {
  const { params, round, gold } = input;
  const M = input.trust.length;
  const q = new Int32Array(M).fill(PPM);
  let ev: RobustEvidence | null = null;
  for (let pass = 0; pass < params.passes; pass++) {
    ev = robustEvidence(round, robustWeights(input.trust, q, input.stakeUnits), gold, params);
    for (let e = 0; e < M; e++) q[e] = ev.relativePpm[e] >= 0 ? roundScore(ev, e, params) : PPM;
  }
  const consensus = robustEvidence(round, robustWeights(input.trust, q, input.stakeUnits), gold, params, false).consensus;
  const trust = Int32Array.from(input.trust);
  for (let e = 0; e < M; e++) {
    if (input.nonRevealed[e]) trust[e] = emaTrust(trust[e], 0, params.etaUpPpm, params.etaDownPpm);
    else if (ev && ev.deviationMilli[e] >= 0) trust[e] = emaTrust(trust[e], q[e], params.etaUpPpm, params.etaDownPpm);
  }
  return { consensus, trust };
}

export const robustTrustRule: ConsensusRule = {
  name: "robust-trust",
  description:
    "trust- and stake-weighted trimmed mean; trust = slow EMA of leave-one-out (or gold) deviations normalized by the round's MAD: scatter and one-directional push",
  usesTrust: true,
  run: runRobustTrust,
};
