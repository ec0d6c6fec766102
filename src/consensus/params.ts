import { InputError, shown } from "../errors";
import { PPM, SCORE_MAX } from "./fixedPoint";

/**
 * Parameters of the aggregation rules and trust updates. Integers only (ppm, score units, milli-z, milli-counts), so
 * that a settlement is byte-identical on every machine. docs/consensus.md says how each value was chosen.
 */
export type ConsensusParams = {
  /** Trust of an evaluator seen for the first time (ppm). */
  initialTrustPpm: number;
  /** Trimmed-mean baseline: fraction dropped at each end (ppm). */
  trimFractionPpm: number;

  /** Published rule: step size lambda (ppm) in w <- clip(w (1 + lambda (0.5 - d)), w_min, w_max). */
  publishedLambdaPpm: number;
  /** Published rule: w_min (ppm). */
  publishedMinPpm: number;
  /** Published rule: w_max (ppm). */
  publishedMaxPpm: number;

  /** Robust rule: EMA step when the round score q is above the current trust (ppm). */
  etaUpPpm: number;
  /** Robust rule: EMA step when q is below the current trust (ppm). */
  etaDownPpm: number;
  /**
   * Robust rule: the honest band (score units): a steady offset up to this size, in either direction, is a scoring
   * style, never evidence. Push tests measure how far an evaluator's mean residual lies beyond it.
   */
  honestBand: number;
  /**
   * Robust rule: headroom (score units). The upward test uses only tasks whose reference is at most
   * 10000 - headroom (room for a push to show before the score hits 10), the downward test only tasks whose
   * reference is at least headroom.
   */
  headroom: number;
  /** Robust rule: residuals are winsorized to +-residualCap (score units), so one wild score cannot dominate. */
  residualCap: number;
  /** Robust rule: floor of an evaluator's residual standard deviation (score units) in its push tests. */
  sdFloor: number;
  /** Robust rule: per-round decay of the accumulated evidence (ppm; 0 = this round only). */
  evidenceDecayPpm: number;
  /** Robust rule: a push test needs at least this much (decayed) evidence (milli-counts of scores). */
  minEvidenceMilli: number;
  /** Robust rule: node statistics with less evidence than this (milli-counts) are dropped from the state. */
  evidencePruneMilli: number;
  /** Robust rule: push significance (milli-z) at or below which the round score q is 1. */
  zLoMilli: number;
  /** Robust rule: push significance (milli-z) at or above which q is 0. */
  zHiMilli: number;
  /** Robust rule: extra significance (milli-z) a per-(evaluator, inference node) test needs (it is one of many). */
  nodeZExtraMilli: number;
  /**
   * Robust rule: a LowTrust slash needs, in each round of its streak, the push confirmed from the push of the
   * evaluator at the confirmQuantile stake quantile (not from zero), beyond confirmBand, with significance zLo minus
   * this (milli-z).
   */
  confirmZSlackMilli: number;
  /**
   * Robust rule: confirmation quantile (ppm of stake): a slash needs the push to stand apart from the push of the
   * evaluator at this stake quantile (at least 1 - breakerPpm, so that a camp the breaker would not catch cannot be it).
   */
  confirmQuantilePpm: number;
  /** Robust rule: the band (score units) the confirmation measures beyond that evaluator's push. */
  confirmBand: number;
  /**
   * Circuit breaker: evaluators whose push significance reaches zLo minus this (milli-z) count as suspects; the
   * breaker trips when suspects hold more than breakerPpm of the revealed stake.
   */
  breakerZSlackMilli: number;
  /** Robust rule: evidence passes per round (later passes use references the earlier ones cleaned). */
  passes: number;
  /** Robust rule: weight fraction cut from each end of a task's scores before the weighted mean (ppm; 500000 = weighted median). */
  consensusTrimPpm: number;
  /** Robust rule: prior weight (milli-counts) shrinking an evaluator's offset estimate toward 0 before it is corrected. */
  offsetShrinkMilli: number;
  /** Robust rule: where a task's weighted median lies within this of 0 or 10000 (score units), it is the consensus. */
  censorWindow: number;
  /** Robust rule: lower bound of the precision factor (ppm of the median evaluator's precision). */
  precisionMinPpm: number;
  /** Robust rule: upper bound of the precision factor (ppm of the median evaluator's precision). */
  precisionMaxPpm: number;
  /** Stake (wei) that counts as one unit in stake-weighted yardsticks. */
  stakeUnitWei: bigint;
  /** Cap on one identity's stake units in yardsticks (an overflow guard; split-proof only for stakes below it). */
  stakeCapUnits: number;
};

export const DEFAULT_CONSENSUS_PARAMS: Readonly<ConsensusParams> = Object.freeze({
  initialTrustPpm: 500_000,
  trimFractionPpm: 200_000,
  publishedLambdaPpm: 500_000,
  publishedMinPpm: 100_000,
  publishedMaxPpm: 1_000_000,
  etaUpPpm: 250_000,
  etaDownPpm: 500_000,
  honestBand: 1_500,
  headroom: 2_000,
  residualCap: 6_000,
  sdFloor: 500,
  evidenceDecayPpm: 850_000,
  minEvidenceMilli: 5_000,
  evidencePruneMilli: 500,
  zLoMilli: 2_000,
  zHiMilli: 4_000,
  nodeZExtraMilli: 500,
  confirmZSlackMilli: 1_000,
  confirmQuantilePpm: 650_000,
  confirmBand: 500,
  breakerZSlackMilli: 1_000,
  passes: 2,
  consensusTrimPpm: 100_000,
  offsetShrinkMilli: 10_000,
  censorWindow: 500,
  precisionMinPpm: 250_000,
  precisionMaxPpm: 1_000_000,
  stakeUnitWei: 10n ** 18n,
  stakeCapUnits: 1_000_000,
});

function intIn(name: string, v: number, lo: number, hi: number): void {
  if (!Number.isInteger(v) || v < lo || v > hi) throw new InputError(`consensus parameter ${name} must be an integer in [${lo}, ${hi}], got ${shown(v)}`);
}

/** Checks every parameter's range; throws InputError naming the first bad one. */
export function validateConsensusParams(p: ConsensusParams): ConsensusParams {
  intIn("initialTrustPpm", p.initialTrustPpm, 0, PPM);
  intIn("trimFractionPpm", p.trimFractionPpm, 0, PPM / 2);
  intIn("publishedLambdaPpm", p.publishedLambdaPpm, 0, 2 * PPM);
  intIn("publishedMinPpm", p.publishedMinPpm, 0, PPM);
  intIn("publishedMaxPpm", p.publishedMaxPpm, p.publishedMinPpm, PPM);
  intIn("etaUpPpm", p.etaUpPpm, 0, PPM);
  intIn("etaDownPpm", p.etaDownPpm, 0, PPM);
  intIn("honestBand", p.honestBand, 0, SCORE_MAX);
  intIn("headroom", p.headroom, 0, SCORE_MAX);
  intIn("residualCap", p.residualCap, 1, SCORE_MAX);
  intIn("sdFloor", p.sdFloor, 1, SCORE_MAX);
  intIn("evidenceDecayPpm", p.evidenceDecayPpm, 0, 990_000);
  intIn("minEvidenceMilli", p.minEvidenceMilli, 1, 1_000_000_000);
  intIn("evidencePruneMilli", p.evidencePruneMilli, 0, 1_000_000_000);
  intIn("zLoMilli", p.zLoMilli, 0, 100_000);
  intIn("zHiMilli", p.zHiMilli, p.zLoMilli + 1, 100_000);
  intIn("nodeZExtraMilli", p.nodeZExtraMilli, 0, 100_000);
  intIn("confirmZSlackMilli", p.confirmZSlackMilli, 0, p.zLoMilli);
  intIn("confirmQuantilePpm", p.confirmQuantilePpm, PPM / 2, PPM);
  intIn("confirmBand", p.confirmBand, 0, SCORE_MAX);
  intIn("breakerZSlackMilli", p.breakerZSlackMilli, 0, 100_000);
  intIn("passes", p.passes, 1, 5);
  intIn("consensusTrimPpm", p.consensusTrimPpm, 0, PPM / 2);
  intIn("offsetShrinkMilli", p.offsetShrinkMilli, 0, 1_000_000_000);
  intIn("censorWindow", p.censorWindow, 0, SCORE_MAX / 2);
  intIn("precisionMinPpm", p.precisionMinPpm, 1, PPM);
  intIn("precisionMaxPpm", p.precisionMaxPpm, PPM, 100 * PPM);
  if (typeof p.stakeUnitWei !== "bigint" || p.stakeUnitWei <= 0n) throw new InputError("consensus parameter stakeUnitWei must be a positive bigint");
  intIn("stakeCapUnits", p.stakeCapUnits, 1, 1_000_000);
  return p;
}
