import { PPM, floorDiv } from "../consensus/fixedPoint";
import type { RoundScores } from "../consensus/round";

export type EvaluatorWeights = {
  /** Per evaluator: trust (ppm) * sum of its agreements (ppm), the weight of its share of the evaluator pool. */
  weights: bigint[];
  /** Per score entry: trust * agreement / 1e6 (ppm), the evaluation's payoff in normalized units. */
  payoffPpm: Int32Array;
};

/**
 * Evaluator reward weights. Each revealed score earns an agreement with its task's reference (the known quality
 * on a gold task, the consensus otherwise): agreement = max(0, 1 - |s - ref| / tolerance), in ppm. An evaluator's
 * weight is trust * (sum of its agreements), with trust taken after this round's update; non-revealers weigh 0.
 */
export function evaluatorWeights(
  round: RoundScores,
  consensus: Int32Array,
  gold: Int32Array,
  trust: Int32Array,
  nonRevealed: Uint8Array,
  tolerance: number,
): EvaluatorWeights {
  const sumAgreement = new Float64Array(round.evaluatorCount);
  const payoffPpm = new Int32Array(round.score.length);
  for (let t = 0; t < round.taskCount; t++) {
    const ref = gold[t] >= 0 ? gold[t] : consensus[t];
    if (ref < 0) continue;
    for (let p = round.start[t]; p < round.start[t + 1]; p++) {
      const e = round.evaluator[p];
      const gap = Math.abs(round.score[p] - ref);
      const agreement = gap >= tolerance ? 0 : PPM - floorDiv(gap * PPM, tolerance);
      sumAgreement[e] += agreement;
      payoffPpm[p] = floorDiv(trust[e] * agreement, PPM);
    }
  }
  const weights = new Array<bigint>(round.evaluatorCount);
  for (let e = 0; e < weights.length; e++) {
    weights[e] = nonRevealed[e] ? 0n : BigInt(sumAgreement[e]) * BigInt(trust[e]);
  }
  return { weights, payoffPpm };
}
