import { InputError, shown } from "../errors";
import { PPM, SCORE_MAX } from "./fixedPoint";

/**
 * Parameters of the aggregation rules and trust updates. Integers only (ppm, score units, milli-z), so that a
 * settlement is byte-identical on every machine. See docs/consensus.md for how each value was chosen.
 */
export type ConsensusParams = {
  /** Trust of an evaluator seen for the first time (ppm). */
  initialTrustPpm: number;
  /** Trimmed mean: fraction dropped at each end (ppm). */
  trimFractionPpm: number;

  /** Published rule: step size lambda (ppm) in w <- clip(w (1 + lambda (0.5 - d)), w_min, w_max). */
  publishedLambdaPpm: number;
  /** Published rule: w_min (ppm). */
  publishedMinPpm: number;
  /** Published rule: w_max (ppm). */
  publishedMaxPpm: number;

  /** Robust rule: EMA step when the round's evidence is above the current trust (ppm); slow on purpose. */
  etaUpPpm: number;
  /** Robust rule: EMA step when the round's evidence is below the current trust (ppm). */
  etaDownPpm: number;
  /** Robust rule: deviation relative to the round's median evaluator (ppm) at or below which the scatter score is 1. */
  relLoPpm: number;
  /** Robust rule: relative deviation (ppm) at or above which the scatter score is 0. */
  relHiPpm: number;
  /** Robust rule: floor of the median evaluator's deviation (milli-z) used as the yardstick. */
  deviationFloorMilli: number;
  /** Robust rule: dead zone (milli-z): only the part of a standardized deviation beyond it counts as a push. */
  pushDeadZoneMilli: number;
  /** Robust rule: floor of the median evaluator's mean push up or down (milli-z) used as the yardstick. */
  pushFloorMilli: number;
  /** Robust rule: push relative to the median evaluator's (ppm) at or below which the push score is 1. */
  pushLoPpm: number;
  /** Robust rule: relative push (ppm) at or above which the push score is 0. */
  pushHiPpm: number;
  /** Robust rule: cap on one standardized deviation (milli-z), so one wild score cannot dominate a round. */
  zCapMilli: number;
  /** Robust rule: floor of the robust spread (score units), so a round of near-identical scores is not hair-trigger. */
  sigmaFloor: number;
  /** Robust rule: evidence passes per round (the first uses history only, later ones re-weight with this round's scores). */
  passes: number;
  /** Robust rule: weight of a gold-task deviation relative to an ordinary task's (integer). */
  goldWeight: number;
  /** Robust rule: weight fraction cut from each end of a task's scores before the weighted mean (ppm; 500000 = weighted median). */
  consensusTrimPpm: number;
  /** Robust rule: stake (wei) that counts as one weight unit in the consensus weights. */
  stakeUnitWei: bigint;
  /** Robust rule: cap on an evaluator's stake units, so a whale cannot outvote the rest. */
  stakeCapUnits: number;
};

export const DEFAULT_CONSENSUS_PARAMS: Readonly<ConsensusParams> = Object.freeze({
  initialTrustPpm: 500_000,
  trimFractionPpm: 200_000,
  publishedLambdaPpm: 500_000,
  publishedMinPpm: 100_000,
  publishedMaxPpm: 1_000_000,
  etaUpPpm: 250_000,
  etaDownPpm: 250_000,
  relLoPpm: 1_500_000,
  relHiPpm: 3_000_000,
  deviationFloorMilli: 250,
  pushDeadZoneMilli: 1_000,
  pushFloorMilli: 50,
  pushLoPpm: 4_000_000,
  pushHiPpm: 8_000_000,
  zCapMilli: 6_000,
  sigmaFloor: 500,
  passes: 2,
  goldWeight: 3,
  consensusTrimPpm: 200_000,
  stakeUnitWei: 10n ** 18n,
  stakeCapUnits: 10,
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
  intIn("relLoPpm", p.relLoPpm, 0, 100 * PPM);
  intIn("relHiPpm", p.relHiPpm, p.relLoPpm + 1, 100 * PPM);
  intIn("deviationFloorMilli", p.deviationFloorMilli, 1, 100_000);
  intIn("pushDeadZoneMilli", p.pushDeadZoneMilli, 0, 20_000);
  intIn("pushFloorMilli", p.pushFloorMilli, 1, 20_000);
  intIn("pushLoPpm", p.pushLoPpm, 0, 1000 * PPM);
  intIn("pushHiPpm", p.pushHiPpm, p.pushLoPpm + 1, 1000 * PPM);
  intIn("zCapMilli", p.zCapMilli, 1, 20_000);
  intIn("sigmaFloor", p.sigmaFloor, 1, SCORE_MAX);
  intIn("passes", p.passes, 1, 5);
  intIn("goldWeight", p.goldWeight, 0, 1000);
  intIn("consensusTrimPpm", p.consensusTrimPpm, 0, PPM / 2);
  if (typeof p.stakeUnitWei !== "bigint" || p.stakeUnitWei <= 0n) throw new InputError("consensus parameter stakeUnitWei must be a positive bigint");
  intIn("stakeCapUnits", p.stakeCapUnits, 1, 1_000_000);
  return p;
}
