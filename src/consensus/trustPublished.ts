import { PPM, clampInt, floorDiv, roundDiv } from "./fixedPoint";
import { meanScore } from "./mean";
import { perTask, type ConsensusRule, type RuleInput, type RuleOutput } from "./rule";

/**
 * The published adaptive trust-weighted consensus (arXiv 2601.21189, Eq. 21), kept as a baseline:
 * consensus c = sum(w s) / sum(w), then for each evaluator w <- clip(w (1 + lambda (0.5 - d)), w_min, w_max) with
 * d = |s - c| / 10 averaged over the evaluator's tasks of the round. A non-revealer counts as d = 1.
 *
 * Known weakness: c is built from the scores it judges, so any evaluator within 5 points of consensus gains weight;
 * coordinated attackers drift to w_max next to honest ones and are never separated (see docs/consensus.md).
 */
export function runTrustPublished(input: RuleInput): RuleOutput {
  const { round, params } = input;
  const { publishedMinPpm: wMin, publishedMaxPpm: wMax, publishedLambdaPpm: lambda } = params;
  const w = new Int32Array(input.trust.length);
  for (let e = 0; e < w.length; e++) w[e] = clampInt(input.trust[e], wMin, wMax);

  const consensus = perTask(round, (scores, seats, evaluators) => {
    let num = 0;
    let den = 0;
    for (let i = 0; i < scores.length; i++) {
      const we = w[evaluators[i]] * seats[i];
      num += we * scores[i];
      den += we;
    }
    return den > 0 ? roundDiv(num, den) : meanScore(scores);
  });

  // d in ppm of the 10-point scale: |s - c| (score units, 0..10000) * 100.
  const devSum = new Float64Array(w.length);
  const devCount = new Int32Array(w.length);
  for (let t = 0; t < round.taskCount; t++) {
    for (let i = round.start[t]; i < round.start[t + 1]; i++) {
      const e = round.evaluator[i];
      devSum[e] += Math.abs(round.score[i] - consensus[t]) * 100;
      devCount[e] += 1;
    }
  }
  const trust = Int32Array.from(input.trust);
  for (let e = 0; e < w.length; e++) {
    let d: number;
    if (input.nonRevealed[e]) d = PPM;
    else if (devCount[e] > 0) d = floorDiv(devSum[e], devCount[e]);
    else continue;
    const factor = PPM + floorDiv(lambda * (PPM / 2 - d), PPM);
    trust[e] = clampInt(floorDiv(w[e] * factor, PPM), wMin, wMax);
  }
  return { consensus, trust };
}

export const trustPublishedRule: ConsensusRule = {
  name: "trust-published",
  description: "published trust-weighted mean with w <- clip(w(1 + lambda(0.5 - d)), w_min, w_max), d = |s - c|/10",
  usesTrust: true,
  run: runTrustPublished,
};
