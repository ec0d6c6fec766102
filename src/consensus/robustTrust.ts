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
 *    task, otherwise the leave-one-out weighted median of the other evaluators of that task. Residuals are
 *    standardized by the round's robust spread (1.4826 * MAD, floored) and capped, so a coalition cannot make its
 *    own scores the yardstick and one wild score cannot dominate.
 * 3. Round score per evaluator, from two statistics of its capped z (gold deviations weigh goldWeight times more):
 *    scatter, the root mean square of z relative to the round's median evaluator (rel = D / median(D)), and bias,
 *    the distance of its mean signed z from the median evaluator's in robust spreads (1.4826 * MAD) across
 *    evaluators. Each maps linearly to [0, 1] between a "lo" (1) and a "hi" (0) threshold; q is the smaller.
 *    Squares punish a few large deviations (an attack) more than steady small noise; the sign catches attackers
 *    that push one way (boosting, sabotage, collusion) even where clamping at 0 or 10 hides their size; the
 *    median evaluator is the yardstick, so a round that is hard for everyone is nobody's fault.
 *    Steps 1-3 run `passes` times, starting from q = 1: the first pass finds the round's outliers with history
 *    alone, later passes measure everyone against a reference those outliers no longer move.
 * 4. Consensus: per task, the weighted median with the final weights, so an evaluator that turns malicious loses
 *    its influence in the round it attacks, not rounds later.
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

export type RobustEvidence = {
  consensus: Int32Array;
  /** Root mean square of the capped standardized residuals per evaluator (milli-z), -1 without evidence. */
  deviationMilli: Int32Array;
  /** deviationMilli relative to the round's median evaluator (ppm: 1e6 = typical), -1 without evidence. */
  relativePpm: Int32Array;
  /** How far the evaluator's mean signed z is from the median evaluator's, in robust spreads across evaluators (milli), -1 without evidence. */
  biasZMilli: Int32Array;
  /** Robust spread of the round (score units). */
  sigma: number;
};

/** Steps 2-3 for given weights: weighted-median consensus and each evaluator's deviation D (milli-z). */
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

  const consensus = new Int32Array(round.taskCount);
  const residual = new Int32Array(score.length);
  const hasRef = new Uint8Array(score.length);
  const ordinary: number[] = [];
  for (let t = 0; t < round.taskCount; t++) {
    const a = start[t];
    const b = start[t + 1];
    if (a === b) {
      consensus[t] = -1;
      continue;
    }
    const n = sortEntries(score, a, b, scratch.order);
    consensus[t] = sortedWeightedMedian(score, wOf, scratch.order, n, -1, scratch);
    if (!withEvidence) continue;
    const g = gold[t];
    for (let p = a; p < b; p++) {
      const ref = g >= 0 ? g : n > 1 ? sortedWeightedMedian(score, wOf, scratch.order, n, p, scratch) : -1;
      if (ref < 0) continue;
      residual[p] = score[p] - ref;
      hasRef[p] = 1;
      if (g < 0) ordinary.push(residual[p]);
    }
  }
  const sigma = robustSpread(ordinary, params.sigmaFloor);

  // Per evaluator: all its residuals (gold weighted) judge it; its ordinary residuals alone feed the yardsticks,
  // so the known quality of a gold task is never outvoted by the evaluators it is meant to check.
  const M = round.evaluatorCount;
  const sqAcc = new Float64Array(M);
  const signedAcc = new Float64Array(M);
  const cnt = new Int32Array(M);
  const sqOrd = new Float64Array(M);
  const signedOrd = new Float64Array(M);
  const cntOrd = new Int32Array(M);
  for (let t = 0; t < round.taskCount; t++) {
    const isGold = gold[t] >= 0;
    const g = isGold ? params.goldWeight : 1;
    for (let p = start[t]; p < start[t + 1]; p++) {
      if (!hasRef[p]) continue;
      const e = evaluator[p];
      const z = Math.min(params.zCapMilli, floorDiv(Math.abs(residual[p]) * 1000, sigma));
      const zs = residual[p] < 0 ? -z : z;
      sqAcc[e] += z * z * g;
      signedAcc[e] += zs * g;
      cnt[e] += g;
      if (!isGold) {
        sqOrd[e] += z * z;
        signedOrd[e] += zs;
        cntOrd[e] += 1;
      }
    }
  }
  const meanSigned = (sum: number, n: number): number => (sum < 0 ? -floorDiv(-sum, n) : floorDiv(sum, n));
  const deviationMilli = new Int32Array(M).fill(-1);
  const biasMilli = new Int32Array(M);
  const rmsList: number[] = [];
  const biasList: number[] = [];
  const weightList: number[] = [];
  for (let e = 0; e < M; e++) {
    if (cnt[e] === 0) continue;
    deviationMilli[e] = isqrt(floorDiv(sqAcc[e], cnt[e]));
    biasMilli[e] = meanSigned(signedAcc[e], cnt[e]);
    if (cntOrd[e] === 0) continue;
    rmsList.push(isqrt(floorDiv(sqOrd[e], cntOrd[e])));
    biasList.push(meanSigned(signedOrd[e], cntOrd[e]));
    weightList.push(weights[e]);
  }
  // The yardsticks (typical scatter, center and spread of biases) are weighted medians over evaluators, with the
  // pass's weights capped at their median: evaluators already distrusted do not set them, and the most trusted
  // few cannot narrow them into a clique. Equal weights in a first round.
  const cap = weightList.length ? medianScore(weightList) : 0;
  for (let i = 0; i < weightList.length; i++) weightList[i] = cap > 0 ? Math.min(weightList[i], cap) : 1;
  const typical = Math.max(params.deviationFloorMilli, rmsList.length ? weightedMedianScore(rmsList, weightList) : 0);
  const biasCenter = biasList.length ? weightedMedianScore(biasList, weightList) : 0;
  const biasAbs = biasList.map((b) => Math.abs(b - biasCenter));
  const biasSpread = Math.max(params.biasSpreadFloorMilli, biasAbs.length ? roundDiv(weightedMedianScore(biasAbs, weightList) * 14_826, 10_000) : 0);
  const relativePpm = new Int32Array(M).fill(-1);
  const biasZMilli = new Int32Array(M).fill(-1);
  for (let e = 0; e < M; e++) {
    if (deviationMilli[e] < 0) continue;
    relativePpm[e] = floorDiv(deviationMilli[e] * PPM, typical);
    biasZMilli[e] = floorDiv(Math.abs(biasMilli[e] - biasCenter) * 1000, biasSpread);
  }
  return { consensus, deviationMilli, relativePpm, biasZMilli, sigma };
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

/** q = the smaller of the scatter score and the bias score (ppm). */
function roundScore(ev: RobustEvidence, e: number, params: ConsensusParams): number {
  const scatter = roundScorePpm(ev.relativePpm[e], params.relLoPpm, params.relHiPpm);
  const bias = roundScorePpm(ev.biasZMilli[e] * 1000, params.biasLoMilli * 1000, params.biasHiMilli * 1000);
  return Math.min(scatter, bias);
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
    "trust- and stake-weighted median; trust = slow EMA of leave-one-out (or gold) deviations normalized by the round's MAD",
  usesTrust: true,
  run: runRobustTrust,
};
