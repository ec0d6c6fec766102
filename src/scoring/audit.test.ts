import { describe, expect, test } from "vitest";
import { readLoggedOutputs } from "../data/read";
import { auditCrossValidated, auditTrainEval } from "./audit";
import { renderJson, renderTable } from "./format";
import { QA_SAMPLE, SUMMARIZATION_SAMPLE } from "./testing";

const qa = readLoggedOutputs(QA_SAMPLE);
const summaries = readLoggedOutputs(SUMMARIZATION_SAMPLE);

describe("audit", () => {
  test("behaviour: cross-validation reports every dimension, both composites, best single and consensus", () => {
    const [r] = auditCrossValidated(qa, 4, { bootstrap: 30 });
    expect(r.task).toBe("qa");
    expect(r.metric).toBe("auroc");
    expect(r.n).toBe(qa.length);
    expect(Object.keys(r.dimensions)).toEqual(["modelPrior", "costPrior", "structure", "semantic", "alignment", "agreement"]);
    for (const v of [r.composite.default, r.composite.calibrated, r.consensus, r.bestSingle.value]) {
      expect(v).toBeGreaterThan(0.5);
      expect(v).toBeLessThanOrEqual(1);
    }
    expect(r.bestSingle.value).toBe(Math.max(...Object.values(r.dimensions).filter(Number.isFinite)));
    expect(r.detail.calibrations).toBe(4);
  });

  test("behaviour: a mixed file gives one result per task and a JSON array", () => {
    const results = auditTrainEval([...qa, ...summaries], [...summaries, ...qa], { bootstrap: 30 });
    expect(results.map((r) => r.task)).toEqual(["summarization", "qa"]);
    const json = JSON.parse(renderJson(results));
    expect(Array.isArray(json)).toBe(true);
    expect(Object.keys(json[0])).toEqual(["task", "metric", "n", "dimensions", "composite", "bestSingle", "consensus"]);
    expect(json[0].metric).toBe("spearman");
    expect(renderTable(results, { useReferences: true, source: "test" })).toContain("composite (calibrated)");
  });

  test("behaviour: too few queries for the folds is an input error", () => {
    expect(() => auditCrossValidated(summaries, 5)).toThrow(/only 3 distinct queries/);
  });

  test("behaviour: a task missing from the training set is an input error", () => {
    expect(() => auditTrainEval(qa, summaries)).toThrow(/no "summarization" outputs/);
  });
});
