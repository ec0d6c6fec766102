import type { LoggedOutput } from "../../data/logged";
import { agreementScores, peerAgreementStats } from "../agreement";
import { alignmentScores } from "../alignment";
import { prepareBatch } from "../batch";
import { costScores } from "../cost";
import { BINS, BUCKETS, JUDGE_INPUTS, judgeFeatures, judgeScore, type JudgeTaskWeights } from "../learnedJudge";
import { structureScores } from "../structure";
import { faithfulnessScores, semanticScores } from "../semantic";

/**
 * CPU time of each cascade stage per output, measured here in the command layer (scoring itself reads no
 * clock). Each stage's dimension functions run `repeats` times over the batch; the fastest run counts.
 */
export type StageCosts = Record<string, number>;

function cpuMicros<T>(f: () => T, repeats: number): { value: T; micros: number } {
  let best = Infinity;
  let value!: T;
  for (let r = 0; r < repeats; r++) {
    const t0 = process.cpuUsage();
    value = f();
    const t = process.cpuUsage(t0);
    best = Math.min(best, t.user + t.system);
  }
  return { value, micros: best };
}

/**
 * Measured CPU microseconds per output of every built-in stage on `items` (tokenisation counts in the first
 * stage, as every later stage reuses it), plus the LLM judge's configured cost per call.
 */
export function measureStageCosts(items: readonly LoggedOutput[], useReferences: boolean, llmJudgeMicros = 0, repeats = 3): StageCosts {
  const n = Math.max(1, items.length);
  // Tokenising outputs and queries serves every stage; references and sources only the second.
  const bare = items.map(({ references: _r, context: _c, ...rest }) => rest);
  const base = cpuMicros(() => prepareBatch(bare, { useReferences }), repeats);
  const prep = cpuMicros(() => prepareBatch(items, { useReferences }), repeats);
  const batch = prep.value;
  const cheap = cpuMicros(() => {
    costScores(batch);
    structureScores(batch);
  }, repeats);
  const semantic = cpuMicros(() => {
    semanticScores(batch);
    alignmentScores(batch);
  }, repeats);
  const agreement = cpuMicros(() => agreementScores(batch), repeats);
  const inputs = { ...((st) => ({ agreementMax: st.max, agreementShare: st.share }))(peerAgreementStats(batch)), costPrior: costScores(batch), structure: structureScores(batch), faithfulness: faithfulnessScores(batch), alignment: alignmentScores(batch), agreement: agreementScores(batch) };
  // Inference costs the same whatever the weights: time it with zero weights (no labels are read here).
  const zero: JudgeTaskWeights = { bias: 0, ngrams: new Array<number>(BUCKETS).fill(0), inputs: {} as JudgeTaskWeights["inputs"], enabled: true };
  for (const d of JUDGE_INPUTS) zero.inputs[d] = new Array<number>(BINS + 1).fill(0);
  const judge = cpuMicros(() => {
    const st = peerAgreementStats(batch);
    const f = judgeFeatures(batch, { ...inputs, agreementMax: st.max, agreementShare: st.share, faithfulness: faithfulnessScores(batch) });
    for (let i = 0; i < items.length; i++) judgeScore(zero, f[i]);
  }, repeats);
  return {
    "priors+structure": (base.micros + cheap.micros) / n,
    "source+references": (Math.max(0, prep.micros - base.micros) + semantic.micros) / n,
    agreement: agreement.micros / n,
    "learned judge": judge.micros / n,
    "LLM judge": llmJudgeMicros,
  };
}
