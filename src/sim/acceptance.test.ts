import { describe, expect, test } from "vitest";
import { type AcceptanceReport, type RunRow, acceptanceMarkdown, checksOf, signalQuality } from "./acceptance";
import { runCell } from "./cli/acceptanceGrid";
import type { SimData } from "./scenario";
import type { RuleMetrics } from "./simulate";

const metrics = (over: Partial<RuleMetrics> = {}): RuleMetrics => ({
  mae: 1,
  spearman: 0.5,
  evaluatorRewardMean: 0.2,
  evaluatorRewardVar: 0.01,
  trustMean: 0.9,
  inferenceRewardCv: 0.3,
  slashPrecision: 1,
  slashRecall: 1,
  honestSlashed: 0,
  maliciousSlashed: 15,
  roundsToSlash: 5,
  slashRecallAt10: 1,
  maliciousPoolShare: 0.01,
  fairShare: 0.3,
  breakerRounds: 0,
  maxFlaggedStakePpm: 300_000,
  maeMeanSameReports: 1.2,
  maeMedianSameReports: 1.1,
  ...over,
});
const row = (over: Omit<Partial<RunRow>, "m"> & { m?: Partial<RuleMetrics> } = {}): RunRow => ({
  file: "f",
  data: "d",
  honest: "h",
  gold: 0,
  seed: "1",
  kind: "attack30",
  attack: "boosting",
  ratio: 0.3,
  sybil: 0,
  ...over,
  m: metrics(over.m),
});

describe("acceptance checks", () => {
  const clean = row({ kind: "clean", attack: "none", ratio: 0, m: { mae: 0.95, maliciousPoolShare: 0, fairShare: 0 } as Partial<RuleMetrics> });

  test("behavior: every target of the issue is checked per run, and a miss is reported with its value", () => {
    const report = {
      rows: [
        clean,
        row(),
        row({ attack: "lazy", m: { maliciousPoolShare: 0.1 } }),
        row({ attack: "pump", m: { slashRecallAt10: 0.5, mae: 1.3 } }),
        row({ kind: "attack50", ratio: 0.5, m: { honestSlashed: 2 } }),
        row({ kind: "sybil", sybil: 0.56, m: { maliciousPoolShare: 0.05 } }),
      ],
    } as AcceptanceReport;
    const misses = checksOf(report).filter((c) => !c.pass);
    const targets = misses.map((c) => c.target);
    expect(targets).toContain("uninformative earn <= 25% of fair share");
    expect(targets).toContain("detection recall >= 0.9 within 10 rounds");
    expect(targets).toContain("MAE <= 1.10 x attack-free");
    expect(targets).toContain("MAE <= mean's and median's");
    expect(targets).toContain("no honest evaluator slashed");
    expect(targets).toContain("sybil split gains <= 2 points");
    expect(misses.find((c) => c.target === "sybil split gains <= 2 points")!.value).toBe("5.0% vs 1.0% whole");
    expect(checksOf({ rows: [clean, row()] } as AcceptanceReport).every((c) => c.pass)).toBe(true);
  });

  test("behavior: the markdown summarises each target with its count of misses and lists every miss", () => {
    const r: AcceptanceReport = {
      seeds: ["1"],
      files: ["f"],
      honest: [],
      sensitivity: null,
      signal: [{ data: "d", source: "composite", mae: 1.234, spearman: 0.5 }],
      cells: [],
      rows: [clean, row({ m: { honestSlashed: 1 } })],
      kFinding: [{ data: "d", seed: "1", cvChange: 0.02, rows: [{ k: 3, evaluatorRewardMean: 0.5, evaluatorRewardVar: 0.01, trustMean: 1, inferenceRewardCv: 0.3 }, { k: 5, evaluatorRewardMean: 0.4, evaluatorRewardVar: 0.02, trustMean: 1, inferenceRewardCv: 0.3 }] }],
    };
    const md = acceptanceMarkdown(r);
    expect(md).toMatch(/\| no honest evaluator slashed \| 2 \| 1 \|/);
    expect(md).toMatch(/## Misses \(1\)/);
    expect(md).toMatch(/per-evaluation reward falls \(0\.500, 0\.400\)/);
    expect(md).toMatch(/d: composite, MAE 1\.234/);
  });

  test("behavior: signal quality is the MAE and Spearman of the shared honest signal against the truth", () => {
    const data = { name: "x", source: "composite", truth: Float64Array.from([0, 5, 10]), base: Float64Array.from([1, 5, 9]) } as unknown as SimData;
    expect(signalQuality(data)).toEqual({ data: "x", source: "composite", mae: 0.667, spearman: 1 });
  });

  test("behavior: a cell runs the no-attack runs (shipped policy too), every attack at 30%, the sybil splits and the 50% runs", () => {
    const res = runCell({ file: "data/samples/qa-sample.jsonl", honest: { label: "shared scorer", model: "shared", bias: 0, sigmaMin: 0, sigmaMax: 0 }, gold: 0.05, seed: "1", mode: "label", rounds: 3, tasksPerRound: 60 });
    const kinds = new Set(res.rows.map((r) => `${r.kind}:${r.attack}`));
    for (const k of ["clean:none", "policy:none", "attack30:pump", "attack30:node-copier", "attack50:boosting", "sybil:copy-bloc"]) expect(kinds).toContain(k);
    expect(res.rows.filter((r) => r.kind === "clean" || r.kind === "policy").every((r) => r.m.honestSlashed === 0)).toBe(true);
  }, 120_000);
});
