import { PPM, SCORE_MAX, clampInt, decayToward0, floorDiv, mulDivFloor, roundDiv } from "./fixedPoint";
import { insertByScore, medianScore } from "./median";
import type { ConsensusParams } from "./params";
import type { ConsensusRule, EvidenceState, PushStat, RuleDetail, RuleInput, RuleOutput } from "./rule";

/**
 * This project's default rule ("robust-trust", paramsVersion 2). docs/consensus.md gives the reasoning and the
 * measurements, under the same step numbers; in short:
 *
 * 1. References. Each score is compared with the weighted median of the *other* scores of its task (weights: seats x
 *    trust^2 x q x precision), so an evaluator never judges itself and a bloc must hold the majority of a task's
 *    seats to set a reference.
 * 2. Evidence: one-sided push tests against an honest band. Upward: the mean residual on tasks with room to push up
 *    (the task's weighted median <= 10000 - headroom); downward: the same with room below. The statistic is how far
 *    that mean lies beyond the band, in the evaluator's own standard errors: t = (mean - band) sqrt(n) / sd, on this
 *    round's residuals and on residuals accumulated over rounds with a decay; the larger counts. The same tests run
 *    per (evaluator, inference node) with `nodeZExtra` more significance required, so a pump on one node is not
 *    diluted. A steady offset inside the band is a scoring style, never evidence; identical scores (a shared
 *    deterministic scorer) give residuals of zero and are never evidence of anything. Round score q = 1 at or below
 *    zLo, 0 at or above zHi, linear between. Steps 1-2 run `passes` times: later passes measure everyone against
 *    references the flagged evaluators no longer move.
 * 3. Heterogeneity (Dawid-Skene/GLAD-style): each evaluator's steady offset (its accumulated mean residual, shrunk,
 *    measured from the weighted median evaluator's, bounded by the band) is taken out of its scores before they are
 *    aggregated, censoring-aware at the bounds; a precision factor (the typical mean squared residual over its own,
 *    bounded) weighs precise scorers more.
 * 4. Consensus: per task, the weighted trimmed mean of the corrected scores, or, where the task's weighted median lies
 *    within censorWindow of 0 or 10 (scores there are censored), the weighted median.
 * 5. Trust: asymmetric EMA of q (a non-revealer gets q = 0). With q = 1 the trust after a round is at least etaUp,
 *    whatever it was before.
 * 6. For the slashing policy (`applySlashingPolicy`): `flagged` (q < 1), `suspect` (t >= zLo - breakerZSlack: the
 *    breaker's count) and `confirmed` (the push also stands apart from the push of the evaluator at the
 *    confirmQuantile stake quantile: trust-free, so a bloc that captured trust cannot get the other camp slashed).
 * Steps 7 (evaluator rewards, src/rewards/evaluatorRewards.ts) and 8 (gold tasks, whose residuals enter step 2 like
 * ordinary ones) complete the settlement in src/rewards/.
 */

const NO_T = -1_000_000_000;

const zeroStat = (): PushStat => ({ n: 0, s1: 0, s2: 0 });
export const emptyEvidence = (): EvidenceState => ({ all: zeroStat(), up: zeroStat(), down: zeroStat(), nodes: new Map(), info: zeroStat() });

function decayStat(s: PushStat, ppm: number): PushStat {
  return { n: mulDivFloor(s.n, ppm, PPM), s1: decayToward0(s.s1, ppm), s2: mulDivFloor(s.s2, ppm, PPM) };
}

function addStat(a: PushStat, b: PushStat): PushStat {
  return { n: a.n + b.n, s1: a.s1 + b.s1, s2: a.s2 + b.s2 };
}

/** Push significance of accumulated evidence (milli-z): (mean - band) sqrt(n) / sd; NO_T below minEvidence. */
export function pushSignificance(s: PushStat, params: ConsensusParams): number {
  return significance(s.n, s.s1, s.s2, params);
}

function significance(n: number, s1: number, s2: number, params: ConsensusParams): number {
  if (n < params.minEvidenceMilli || n <= 0) return NO_T;
  const mean = floorDiv(s1 * 1000, n);
  const variance = Math.max(0, floorDiv(s2 * 1000, n) - mean * mean);
  const sd = Math.max(params.sdFloor, isqrt(variance));
  return floorDiv((mean - params.honestBand) * isqrt(n * 1000), sd);
}

/** Mean squared residual of accumulated evidence (score units^2), -1 without enough evidence. */
function meanSquare(s: PushStat, params: ConsensusParams): number {
  return s.n >= params.minEvidenceMilli && s.n > 0 ? floorDiv(s.s2 * 1000, s.n) : -1;
}

/** Integer square root: floor(sqrt(n)) for a safe non-negative integer, exact. */
export function isqrt(n: number): number {
  let r = Math.floor(Math.sqrt(n));
  while (r * r > n) r--;
  while ((r + 1) * (r + 1) <= n) r++;
  return r;
}

/** Round score q (ppm) from a significance (milli-z): 1 at or below lo, 0 at or above hi, linear between. */
export function roundScorePpm(zMilli: number, loMilli: number, hiMilli: number): number {
  if (zMilli <= loMilli) return PPM;
  if (zMilli >= hiMilli) return 0;
  return clampInt(floorDiv((hiMilli - zMilli) * PPM, hiMilli - loMilli), 0, PPM);
}

/** Slow asymmetric EMA, rounded down (toward distrust). */
export function emaTrust(trust: number, q: number, etaUpPpm: number, etaDownPpm: number): number {
  const eta = q >= trust ? etaUpPpm : etaDownPpm;
  return clampInt(trust + floorDiv(eta * (q - trust), PPM), 0, PPM);
}

type Scratch = { order: Int32Array; vals: Int32Array };

/** Sorts the task's entry positions a..b-1 by score (insertion sort: a task has at most k entries). */
function sortEntries(score: Int32Array, a: number, b: number, order: Int32Array): number {
  const n = b - a;
  for (let i = 0; i < n; i++) insertByScore(score, order, i, a + i);
  return n;
}

/**
 * Weighted median over the sorted entries `order[0..n-1]`, skipping position `skip` (-1 for none): the smallest
 * score whose cumulative weight reaches half the total; exactly half: the midpoint with the next positive-weight
 * score. All weights zero: the plain median. -1 when nothing is left.
 */
function sortedWeightedMedian(score: Int32Array, wOf: (p: number) => number, order: Int32Array, n: number, skip: number, scratch: Scratch): number {
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
  return -1;
}

/**
 * Weighted trimmed mean over sorted entries: lay the weights end to end in score order (total W), cut
 * floor(W trim / 1e6) from each end (an entry straddling a cut keeps the part inside), average the rest, rounded
 * half up. Trim 0.5 is the weighted median; all weights zero: the plain median. -1 if empty. Weights are safe
 * integers (their sum times 10000 stays below 2^53).
 */
export function sortedWeightedTrimmedMean(score: Int32Array, wOf: (p: number) => number, order: Int32Array, n: number, trimPpm: number, scratch: Scratch): number {
  let total = 0;
  for (let i = 0; i < n; i++) total += wOf(order[i]);
  if (total === 0 || trimPpm >= PPM / 2) return sortedWeightedMedian(score, wOf, order, n, -1, scratch);
  const lo = mulDivFloor(total, trimPpm, PPM);
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

/** Evaluator weights (ppm-scaled safe integers): floor(trust^2 / 1e6) * q / 1e6 * precision / 1e6. */
export function robustWeights(trust: Int32Array, q: Int32Array, precision: Int32Array): Float64Array {
  const w = new Float64Array(trust.length);
  for (let e = 0; e < w.length; e++) w[e] = floorDiv(floorDiv(floorDiv(trust[e] * trust[e], PPM) * q[e], PPM) * precision[e], PPM);
  return w;
}

/** Stake-weighted median of integer values (weights: stake units); -1 if empty. */
function stakeMedian(values: number[], weights: number[]): number {
  return stakeQuantile(values, weights, PPM / 2);
}

/** Weighted quantile (ppm): the smallest value whose cumulative weight reaches q of the total; -1 if empty. */
function stakeQuantile(values: number[], weights: number[], qPpm: number): number {
  const idx = values.map((_, i) => i).sort((a, b) => values[a] - values[b] || a - b);
  let total = 0;
  for (const w of weights) total += w;
  if (total === 0) return idx.length ? values[idx[Math.min(idx.length - 1, floorDiv((idx.length - 1) * qPpm + PPM - 1, PPM))]] : -1;
  let cum = 0;
  for (const i of idx) {
    cum += weights[i];
    if (cum * PPM >= total * qPpm) return values[i];
  }
  return values[idx[idx.length - 1]];
}

type RoundEvidence = {
  reference: Int32Array;
  combined: EvidenceState[];
  hasEntries: Uint8Array;
  pushMilli: Int32Array;
  q: Int32Array;
  precision: Int32Array;
};

/** One pass: leave-one-out references with the given weights, this round's residual sums, combined with history, tests. */
/**
 * One pass. `decayed` is the history already decayed by one round (computed once per round); `history` is the
 * history as carried (kept as it is by evaluators without entries). Full combined states are built only when `final`.
 */
function evidencePass(input: RuleInput, history: EvidenceState[], decayed: EvidenceState[], weights: Float64Array, final: boolean): RoundEvidence {
  const { round, params } = input;
  const { score, evaluator, start } = round;
  const seats = round.seats;
  const M = round.evaluatorCount;
  const wOf = (p: number): number => (seats ? seats[p] : 1) * weights[evaluator[p]];
  let maxK = 0;
  for (let t = 0; t < round.taskCount; t++) maxK = Math.max(maxK, start[t + 1] - start[t]);
  const scratch: Scratch = { order: new Int32Array(maxK), vals: new Int32Array(maxK) };
  const reference = new Int32Array(score.length).fill(-1);
  const upMax = SCORE_MAX - params.headroom;
  const cap = params.residualCap;

  const roundStats: { all: PushStat; up: PushStat; down: PushStat; nodes: Map<number, Float64Array> }[] = Array.from({ length: M }, () => ({
    all: zeroStat(),
    up: zeroStat(),
    down: zeroStat(),
    nodes: new Map<number, Float64Array>(),
  }));
  const hasEntries = new Uint8Array(M);
  for (let t = 0; t < round.taskCount; t++) {
    const a = start[t];
    const b = start[t + 1];
    if (b - a < 2) {
      for (let p = a; p < b; p++) hasEntries[evaluator[p]] = 1;
      continue;
    }
    const n = sortEntries(score, a, b, scratch.order);
    const node = input.taskNode ? input.taskNode[t] : 0;
    // Room to push is judged by the task's weighted median with every score in it: a reference that leaves the
    // evaluator out would select tasks where the others happened to score low and bias an honest residual upward
    // (selection on the reference's own noise); with the evaluator in, the bias runs the other way, in its favour.
    const full = sortedWeightedMedian(score, wOf, scratch.order, n, -1, scratch);
    const canUp = full <= upMax;
    const canDown = full >= params.headroom;
    for (let p = a; p < b; p++) {
      const e = evaluator[p];
      hasEntries[e] = 1;
      const ref = sortedWeightedMedian(score, wOf, scratch.order, n, p, scratch);
      if (ref < 0) continue;
      reference[p] = ref;
      const r = clampInt(score[p] - ref, -cap, cap);
      const st = roundStats[e];
      const r2 = r * r;
      st.all.n += 1000;
      st.all.s1 += r;
      st.all.s2 += r2;
      let ns = st.nodes.get(node);
      if (!ns) st.nodes.set(node, (ns = new Float64Array(6)));
      if (canUp) {
        st.up.n += 1000;
        st.up.s1 += r;
        st.up.s2 += r2;
        ns[0] += 1000;
        ns[1] += r;
        ns[2] += r2;
      }
      if (canDown) {
        st.down.n += 1000;
        st.down.s1 -= r;
        st.down.s2 += r2;
        ns[3] += 1000;
        ns[4] -= r;
        ns[5] += r2;
      }
    }
  }

  const combined: EvidenceState[] = new Array(M);
  const pushMilli = new Int32Array(M).fill(NO_T);
  const q = new Int32Array(M).fill(PPM);
  const ms: number[] = [];
  const msW: number[] = [];
  const msOf = new Float64Array(M).fill(-1);
  for (let e = 0; e < M; e++) {
    const h = history[e];
    if (!hasEntries[e]) {
      combined[e] = h;
      continue;
    }
    const d = decayed[e];
    const rs = roundStats[e];
    const c: EvidenceState = { all: addStat(d.all, rs.all), up: addStat(d.up, rs.up), down: addStat(d.down, rs.down), nodes: d.nodes, info: h.info };
    // A fresh push shows in this round's evidence before it dominates the decayed history: the larger counts.
    let t = Math.max(pushSignificance(c.up, params), pushSignificance(c.down, params), pushSignificance(rs.up, params), pushSignificance(rs.down, params));
    const nodeT = (up: number, down: number): void => {
      if (up > NO_T || down > NO_T) t = Math.max(t, Math.max(up, down) - params.nodeZExtraMilli);
    };
    for (const [k, dn] of d.nodes) {
      const rn = rs.nodes.get(k);
      nodeT(
        significance(dn.up.n + (rn ? rn[0] : 0), dn.up.s1 + (rn ? rn[1] : 0), dn.up.s2 + (rn ? rn[2] : 0), params),
        significance(dn.down.n + (rn ? rn[3] : 0), dn.down.s1 + (rn ? rn[4] : 0), dn.down.s2 + (rn ? rn[5] : 0), params),
      );
    }
    for (const [k, rn] of rs.nodes) if (!d.nodes.has(k)) nodeT(significance(rn[0], rn[1], rn[2], params), significance(rn[3], rn[4], rn[5], params));
    if (final) {
      const nodes = new Map<number, { up: PushStat; down: PushStat }>();
      const keys = new Set<number>([...d.nodes.keys(), ...rs.nodes.keys()]);
      for (const k of [...keys].sort((x, y) => x - y)) {
        const dn = d.nodes.get(k);
        const rn = rs.nodes.get(k);
        const up = { n: (dn ? dn.up.n : 0) + (rn ? rn[0] : 0), s1: (dn ? dn.up.s1 : 0) + (rn ? rn[1] : 0), s2: (dn ? dn.up.s2 : 0) + (rn ? rn[2] : 0) };
        const down = { n: (dn ? dn.down.n : 0) + (rn ? rn[3] : 0), s1: (dn ? dn.down.s1 : 0) + (rn ? rn[4] : 0), s2: (dn ? dn.down.s2 : 0) + (rn ? rn[5] : 0) };
        if (up.n + down.n > params.evidencePruneMilli) nodes.set(k, { up, down });
      }
      c.nodes = nodes;
    }
    combined[e] = c;
    pushMilli[e] = t;
    q[e] = t > NO_T ? roundScorePpm(t, params.zLoMilli, params.zHiMilli) : PPM;
    const m = meanSquare(c.all, params);
    if (m >= 0) {
      msOf[e] = m;
      ms.push(m);
      msW.push(input.stakeUnits[e]);
    }
  }
  // Precision factor: the stake-weighted median evaluator's mean squared residual over this one's, bounded.
  const precision = new Int32Array(M).fill(PPM);
  const typical = ms.length ? stakeMedian(ms, msW) : -1;
  const floorMs = params.sdFloor * params.sdFloor;
  if (typical >= 0) {
    for (let e = 0; e < M; e++) {
      if (msOf[e] < 0) continue;
      precision[e] = clampInt(mulDivFloor(Math.max(typical, floorMs), PPM, Math.max(msOf[e], floorMs)), params.precisionMinPpm, params.precisionMaxPpm);
    }
  }
  return { reference, combined, hasEntries, pushMilli, q, precision };
}

/** Mean residual of accumulated evidence (score units), null below minEvidence. */
export function meanOf(s: PushStat, params: ConsensusParams): number | null {
  return s.n >= params.minEvidenceMilli && s.n > 0 ? floorDiv(s.s1 * 1000, s.n) : null;
}

/**
 * Confirmation for a LowTrust slash: the evaluator's push, measured from the push of the evaluator at the
 * confirmQuantile stake quantile (same direction) instead of from zero, still lies beyond the honest band with
 * significance zLo - auditZSlack. Under a minority attack (less stake than 1 - confirmQuantile) that evaluator is
 * honest and this changes little. When a bloc near half of the stake has captured the trust-weighted references, the
 * honest camp is accused, but the evaluator at that quantile is then one of the accused honest camp, so the
 * accusation is not confirmed and nobody is slashed: a slash needs the accused to stand apart from evaluators holding
 * confirmQuantile of the stake, not only from the references. Trust plays no part here, so it cannot be captured.
 */
function confirm(ev: EvidenceState[], hasEntries: Uint8Array, stakeUnits: Int32Array, params: ConsensusParams): Uint8Array {
  const M = ev.length;
  const centerOf = (pick: (x: EvidenceState) => PushStat): number => {
    const v: number[] = [];
    const w: number[] = [];
    for (let e = 0; e < M; e++) {
      if (!hasEntries[e]) continue;
      const m = meanOf(pick(ev[e]), params);
      if (m === null) continue;
      v.push(m);
      w.push(stakeUnits[e]);
    }
    return v.length ? Math.max(0, stakeQuantile(v, w, params.confirmQuantilePpm)) : 0;
  };
  const upC = centerOf((x) => x.up);
  const downC = centerOf((x) => x.down);
  const z = params.zLoMilli - params.confirmZSlackMilli;
  const cp = { ...params, honestBand: params.confirmBand };
  const shifted = (s: PushStat, c: number): number => pushSignificance({ n: s.n, s1: s.s1 - mulDivFloor(c, s.n, 1000), s2: s.s2 }, cp);
  const out = new Uint8Array(M);
  for (let e = 0; e < M; e++) {
    if (!hasEntries[e]) continue;
    let t = Math.max(shifted(ev[e].up, upC), shifted(ev[e].down, downC));
    for (const ns of ev[e].nodes.values()) t = Math.max(t, Math.max(shifted(ns.up, upC), shifted(ns.down, downC)) - params.nodeZExtraMilli);
    if (t >= z) out[e] = 1;
  }
  return out;
}

/** Copies index-based evidence so a caller's state is never mutated. */
function historyOf(input: RuleInput): EvidenceState[] {
  const M = input.round.evaluatorCount;
  return Array.from({ length: M }, (_, e) => input.evidence?.[e] ?? emptyEvidence());
}

export function runRobustTrust(input: RuleInput): RuleOutput {
  const { round, params } = input;
  const M = round.evaluatorCount;
  const history = historyOf(input);
  let q: Int32Array = new Int32Array(M).fill(PPM);
  let precision: Int32Array = new Int32Array(M).fill(PPM);
  const decay = params.evidenceDecayPpm;
  const decayed: EvidenceState[] = history.map((h) => {
    const nodes = new Map<number, { up: PushStat; down: PushStat }>();
    for (const [k, v] of h.nodes) nodes.set(k, { up: decayStat(v.up, decay), down: decayStat(v.down, decay) });
    return { all: decayStat(h.all, decay), up: decayStat(h.up, decay), down: decayStat(h.down, decay), nodes, info: h.info };
  });
  let ev: RoundEvidence | null = null;
  for (let pass = 0; pass < params.passes; pass++) {
    ev = evidencePass(input, history, decayed, robustWeights(input.trust, q, precision), pass === params.passes - 1);
    q = ev.q;
    precision = ev.precision;
  }
  const finalEv = ev!;
  const w = robustWeights(input.trust, q, precision);
  const seats = round.seats;
  const wOf = (p: number): number => (seats ? seats[p] : 1) * w[round.evaluator[p]];
  // Steady offsets (Dawid-Skene/GLAD-style heterogeneity): each evaluator's mean residual, shrunk toward 0 with
  // offsetShrink counts of prior weight, measured from the median evaluator's (weighted by stake x the round's weight)
  // and bounded by the honest
  // band, is taken out of its scores before they are averaged. A score at a bound stays there when the correction
  // would pull it inward (it is censored: the evaluator may have meant more).
  const offsets: number[] = [];
  const offW: number[] = [];
  const rawOff = new Float64Array(M);
  const hasOff = new Uint8Array(M);
  for (let e = 0; e < M; e++) {
    const a = finalEv.combined[e].all;
    if (!finalEv.hasEntries[e] || a.n < params.minEvidenceMilli) continue;
    rawOff[e] = floorDiv(a.s1 * 1000, a.n + params.offsetShrinkMilli);
    hasOff[e] = 1;
    offsets.push(rawOff[e]);
    // Weighted by stake and by the round's weight (trust, q, precision): flagged evaluators do not set the level.
    offW.push(input.stakeUnits[e] * w[e]);
  }
  const center = offsets.length ? stakeMedian(offsets, offW) : 0;
  const corr = new Int32Array(M);
  for (let e = 0; e < M; e++) if (hasOff[e]) corr[e] = clampInt(rawOff[e] - center, -params.honestBand, params.honestBand);
  const corrected = new Int32Array(round.score.length);
  const censorKept = new Int32Array(round.score.length);
  for (let p = 0; p < corrected.length; p++) {
    const s0 = round.score[p];
    const c = corr[round.evaluator[p]];
    corrected[p] = clampInt(s0 - c, 0, SCORE_MAX);
    censorKept[p] = (s0 === SCORE_MAX && c > 0) || (s0 === 0 && c < 0) ? s0 : corrected[p];
  }
  let maxK = 0;
  for (let t = 0; t < round.taskCount; t++) maxK = Math.max(maxK, round.start[t + 1] - round.start[t]);
  const scratch: Scratch = { order: new Int32Array(maxK), vals: new Int32Array(maxK) };
  const consensus = new Int32Array(round.taskCount);
  const taskMedian = new Int32Array(round.taskCount).fill(-1);
  const goldRes: number[] = [];
  const goldW: number[] = [];
  for (let t = 0; t < round.taskCount; t++) {
    const a = round.start[t];
    const b = round.start[t + 1];
    if (a === b) {
      consensus[t] = -1;
      continue;
    }
    let n = sortEntries(round.score, a, b, scratch.order);
    taskMedian[t] = sortedWeightedMedian(round.score, wOf, scratch.order, n, -1, scratch);
    // Near a bound the scores are censored (nobody can say more than 10): a mean is biased toward the middle, the
    // median is not, and a score at the bound is kept there rather than corrected inward. There the consensus is the
    // weighted median of those scores; elsewhere the weighted trimmed mean of the corrected scores.
    const mRaw = taskMedian[t];
    if (mRaw <= params.censorWindow || mRaw >= SCORE_MAX - params.censorWindow) {
      n = sortEntries(censorKept, a, b, scratch.order);
      consensus[t] = sortedWeightedMedian(censorKept, wOf, scratch.order, n, -1, scratch);
    } else {
      n = sortEntries(corrected, a, b, scratch.order);
      consensus[t] = sortedWeightedTrimmedMean(corrected, wOf, scratch.order, n, params.consensusTrimPpm, scratch);
    }
    if (input.gold[t] >= 0) {
      for (let p = a; p < b; p++) {
        goldRes.push(round.score[p] - input.gold[t]);
        goldW.push(seats ? seats[p] : 1);
      }
    }
  }
  const trust = Int32Array.from(input.trust);
  const flagged = new Uint8Array(M);
  const suspect = new Uint8Array(M);
  for (let e = 0; e < M; e++) {
    if (finalEv.hasEntries[e] && !input.nonRevealed[e] && finalEv.pushMilli[e] >= params.zLoMilli - params.breakerZSlackMilli) suspect[e] = 1;
    if (input.nonRevealed[e]) trust[e] = emaTrust(trust[e], 0, params.etaUpPpm, params.etaDownPpm);
    else if (finalEv.hasEntries[e]) {
      trust[e] = emaTrust(trust[e], q[e], params.etaUpPpm, params.etaDownPpm);
      if (q[e] < PPM) flagged[e] = 1;
    }
  }
  const detail: RuleDetail = {
    q,
    pushMilli: finalEv.pushMilli,
    flagged,
    suspect,
    confirmed: confirm(finalEv.combined, finalEv.hasEntries, input.stakeUnits, params),
    taskMedian,
    reference: finalEv.reference,
    evidence: finalEv.combined,
    goldDrift: goldRes.length ? stakeMedian(goldRes, goldW) : 0,
  };
  return { consensus, trust, detail };
}

export const robustTrustRule: ConsensusRule = {
  name: "robust-trust",
  description:
    "seat-, trust- and precision-weighted trimmed mean; trust = EMA of one-sided push tests beyond an honest band (per evaluator and per inference node, leave-one-out references, accumulated evidence)",
  usesTrust: true,
  run: runRobustTrust,
};
