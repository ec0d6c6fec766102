import { meanScore } from "./mean";
import { medianScore } from "./median";
import { trimmedMeanScore } from "./trimmedMean";
import { perTask, type ConsensusRule } from "./rule";

/** Plain mean: the baseline every attack moves. */
export const meanRule: ConsensusRule = {
  name: "mean",
  description: "arithmetic mean of the task's scores",
  usesTrust: false,
  run: ({ round, trust }) => ({ consensus: perTask(round, (s) => meanScore(s)), trust: Int32Array.from(trust) }),
};

/** Median: breakdown point 1/2 per task. */
export const medianRule: ConsensusRule = {
  name: "median",
  description: "median of the task's scores (even count: midpoint of the two middle scores)",
  usesTrust: false,
  run: ({ round, trust }) => ({ consensus: perTask(round, (s) => medianScore(s)), trust: Int32Array.from(trust) }),
};

/** Trimmed mean: drops floor(fraction * n) scores at each end. */
export const trimmedRule: ConsensusRule = {
  name: "trimmed",
  description: "trimmed mean: drop floor(trimFraction * n) scores at each end, average the rest",
  usesTrust: false,
  run: ({ round, trust, params }) => ({
    consensus: perTask(round, (s) => trimmedMeanScore(s, params.trimFractionPpm)),
    trust: Int32Array.from(trust),
  }),
};
