import { describe, expect, test } from "vitest";
import { readLoggedOutputs } from "../data/read";
import { applyStageMap, fitCascade, fitStageMap, runCascade } from "./cascade";
import { outOfFoldModelPrior } from "./calibrate";
import { metricValue } from "./metrics";
import { computeDimensions } from "./score";
import { QA_SAMPLE } from "./testing";

const qa = readLoggedOutputs(QA_SAMPLE);

describe("cascade", () => {
  test("behaviour: the stage map is monotone and its uncertainty is the labels' spread", () => {
    const x = Array.from({ length: 200 }, (_, i) => i / 200);
    const y = x.map((v, i) => (v > 0.5 ? 1 : i % 3 === 0 ? 1 : 0));
    const map = fitStageMap(x, y);
    for (let b = 1; b < map.mean.length; b++) expect(map.mean[b]).toBeGreaterThanOrEqual(map.mean[b - 1]);
    const { quality, uncertainty } = applyStageMap(map, [0.9, 0.2]);
    expect(quality[0]).toBeGreaterThan(quality[1]);
    expect(uncertainty[0]).toBe(0);
    expect(uncertainty[1]).toBeGreaterThan(0.4);
  });

  const table = computeDimensions({ items: qa, modelPriors: {}, useReferences: true });
  table.modelPrior = outOfFoldModelPrior(qa, 5, 1);
  const costs = { "priors+structure": 1, "source+references": 2, agreement: 4 };
  const { cascade, stageCosts } = fitCascade("qa", qa, table, (s) => costs[s as keyof typeof costs] ?? 0, { bootstrap: 20 });

  test("behaviour: stages add dimensions in order, and costs add up over the stages an output reached", () => {
    expect(cascade.stages.map((s) => s.name)).toEqual(["priors+structure", "source+references", "agreement"]);
    expect(cascade.stages[2].dims).toEqual(["modelPrior", "costPrior", "structure", "semantic", "alignment", "agreement"]);
    const everything = runCascade(cascade, table, stageCosts, [-1, -1, Infinity]);
    expect(everything.costPerOutput).toBe(7);
    expect(everything.reached).toEqual([qa.length, qa.length, qa.length]);
    const first = runCascade(cascade, table, stageCosts, [Infinity, Infinity, Infinity]);
    expect(first.costPerOutput).toBe(1);
    expect([...first.stopped].every((s) => s === 0)).toBe(true);
  });

  test("behaviour: the fitted cascade keeps its training accuracy within the tolerance at no more than the full cost", () => {
    const y = qa.map((it) => it.label!);
    const all = runCascade(cascade, table, stageCosts, [-1, -1, Infinity]);
    const run = runCascade(cascade, table, stageCosts);
    expect(metricValue("auroc", run.scores, y)).toBeGreaterThanOrEqual(metricValue("auroc", all.scores, y) - 0.005 - 1e-12);
    expect(run.costPerOutput).toBeLessThanOrEqual(all.costPerOutput);
  });
});
