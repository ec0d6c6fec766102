import { describe, expect, test } from "vitest";
import { type AcceptanceReport, type AcceptanceRow, acceptanceMarkdown, rowPasses, signalQuality } from "./acceptance";
import type { SimData } from "./scenario";

const row = (over: Partial<AcceptanceRow> = {}): AcceptanceRow => ({
  seed: "1",
  data: "d",
  attack: "boosting",
  maeDefault: 1,
  maeNoAttack: 0.95,
  ratio: 1.053,
  maeMean: 1.2,
  maeMeanNoAttack: 1.1,
  maePublished: 1.2,
  slashPrecision: 1,
  slashRecallAt10: 1,
  roundsToSlash: 6,
  pass: { maeRatio: true, beatsMean: true, beatsPublished: true, slashing: true },
  ...over,
});

describe("acceptance report", () => {
  test("behavior: a point passes only when every criterion holds; slashing counts only for persistent attacks", () => {
    expect(rowPasses(row())).toBe(true);
    expect(rowPasses(row({ attack: "intermittent", pass: { maeRatio: true, beatsMean: true, beatsPublished: true, slashing: null } }))).toBe(true);
    expect(rowPasses(row({ pass: { maeRatio: true, beatsMean: false, beatsPublished: true, slashing: true } }))).toBe(false);
    expect(rowPasses(row({ pass: { maeRatio: true, beatsMean: true, beatsPublished: true, slashing: false } }))).toBe(false);
  });

  test("behavior: the markdown lists every point with its seed, counts failures and states the k finding with numbers", () => {
    const k = (mean: number, v: number) => ({ evaluatorRewardMean: mean, evaluatorRewardVar: v, agreementMean: mean, agreementVar: v, trustMean: 1, inferenceRewardCv: 0.3 });
    const r: AcceptanceReport = {
      signal: [{ data: "d", source: "composite", mae: 1.234, spearman: 0.5 }],
      noAttack: [{ seed: "1", data: "d", maeDefault: 0.95, maeMean: 1.1, honestSlashed: false }],
      rows: [row(), row({ seed: "2", pass: { maeRatio: false, beatsMean: true, beatsPublished: true, slashing: true } })],
      kFinding: [{ seed: "1", data: "d", rule: "mean", cvChange: 0.02, rows: [{ k: 3, ...k(0.5, 0.01) }, { k: 5, ...k(0.4, 0.02) }] }],
    };
    const md = acceptanceMarkdown(r);
    expect(md).toMatch(/Honest signal on d \(composite\): MAE 1\.234/);
    expect(md).toMatch(/\| 1 \| d \| boosting \| 1\.000 \| 0\.950 \| 1\.053 yes \| 1\.200 \| 1\.100 \|/);
    expect(md).toMatch(/1 of 2 acceptance points fail\./);
    expect(md).toMatch(/\| 1 \| d \| 0\.950 \| 1\.100 \| none \|/);
    expect(md).toMatch(/evaluator reward falls \(0\.500 -> 0\.400\), its variance rises \(0\.0100 -> 0\.0200\)/);
    expect(md).toMatch(/inference reward CV changes by 2\.0% across k/);
  });

  test("behavior: signal quality is the MAE and Spearman of the shared honest signal against the truth", () => {
    const data = { name: "x", source: "composite", truth: Float64Array.from([0, 5, 10]), base: Float64Array.from([1, 5, 9]) } as unknown as SimData;
    expect(signalQuality(data)).toEqual({ data: "x", source: "composite", mae: 0.667, spearman: 1 });
  });
});
