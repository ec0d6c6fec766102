import { roundDiv } from "./fixedPoint";
import { trimmedMeanScore } from "./trimmedMean";
import { weightedMedianScore } from "./weightedMedian";
import { weightedTrimmedMeanScore } from "./robustTrust";
import { perTask, type ConsensusRule } from "./rule";

const allOnes = (s: Int32Array): boolean => s.every((x) => x === 1);

/** Seat-weighted mean, rounded half up (each seat of the task's k draws is one vote). */
function seatMean(scores: Int32Array, seats: Int32Array): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < scores.length; i++) {
    num += scores[i] * seats[i];
    den += seats[i];
  }
  return roundDiv(num, den);
}

/** Plain mean: the baseline every attack moves. */
export const meanRule: ConsensusRule = {
  name: "mean",
  description: "arithmetic mean of the task's scores (one vote per seat)",
  usesTrust: false,
  run: ({ round, trust }) => ({ consensus: perTask(round, seatMean), trust: Int32Array.from(trust) }),
};

/** Median: breakdown point 1/2 per task. */
export const medianRule: ConsensusRule = {
  name: "median",
  description: "median of the task's scores, one vote per seat (even count: midpoint of the two middle scores)",
  usesTrust: false,
  run: ({ round, trust }) => ({ consensus: perTask(round, (s, w) => weightedMedianScore(s, w)), trust: Int32Array.from(trust) }),
};

/** Trimmed mean: drops floor(fraction * n) scores at each end (seat-weighted when an evaluator holds several seats). */
export const trimmedRule: ConsensusRule = {
  name: "trimmed",
  description: "trimmed mean: drop floor(trimFraction * n) scores at each end, average the rest",
  usesTrust: false,
  run: ({ round, trust, params }) => ({
    consensus: perTask(round, (s, w) => (allOnes(w) ? trimmedMeanScore(s, params.trimFractionPpm) : weightedTrimmedMeanScore(s, w, params.trimFractionPpm))),
    trust: Int32Array.from(trust),
  }),
};
