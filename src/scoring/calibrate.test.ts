import { describe, expect, test } from "vitest";
import { readLoggedOutputs } from "../data/read";
import { calibrate, calibrateTask } from "./calibrate";
import { Rng } from "../math/prng";
import { computeDimensions } from "./score";
import { QA_SAMPLE, SUMMARIZATION_SAMPLE } from "./testing";

const qa = readLoggedOutputs(QA_SAMPLE);
const summaries = readLoggedOutputs(SUMMARIZATION_SAMPLE);

describe("calibration", () => {
  test("behaviour: drops a dimension built to be anti-correlated and keeps a reliable one", () => {
    const table = computeDimensions({ items: qa, modelPriors: {}, useReferences: true });
    const r = Rng.of(11);
    const rng = () => r.next();
    table.costPrior = Float64Array.from(qa, (it) => 1 - it.label! + 0.3 * rng());
    table.modelPrior = Float64Array.from(qa, (it) => it.label! * 0.5 + 0.5 * rng());
    const tp = calibrateTask({ task: "qa", items: qa, table }, { bootstrap: 100 });
    expect(tp.dropped).toContain("costPrior");
    expect(tp.audit!.costPrior!.ci[1]).toBeLessThan(0);
    expect(tp.weights.costPrior ?? 0).toBe(0);
    expect(tp.dropped).not.toContain("modelPrior");
    expect(tp.dropped).not.toContain("semantic");
    const total = Object.values(tp.weights).reduce((s, w) => s + (w ?? 0), 0);
    expect(total).toBeCloseTo(1, 9);
    for (const w of Object.values(tp.weights)) expect(w).toBeGreaterThanOrEqual(0);
  });

  test("behaviour: reports Kendall for graded labels and point-biserial for 0/1 labels, with intervals", () => {
    const p = calibrate([...qa, ...summaries], { bootstrap: 50 });
    expect(p.tasks.qa!.metric).toBe("auroc");
    expect(p.tasks.summarization!.metric).toBe("spearman");
    const a = p.tasks.qa!.audit!.semantic!;
    expect(a.auroc).toBeGreaterThan(0.8);
    expect(a.pointBiserial).toBeGreaterThan(0);
    expect(a.ci[0]).toBeLessThanOrEqual(a.primary);
    expect(a.ci[1]).toBeGreaterThanOrEqual(a.primary);
    expect(p.tasks.summarization!.audit!.agreement!.kendall).toBeTypeOf("number");
  });

  test("behaviour: the model prior is learned from the training labels", () => {
    const p = calibrate(qa, { bootstrap: 20 });
    const models = Object.keys(p.tasks.qa!.modelPrior.models);
    expect(models.sort()).toEqual([...new Set(qa.map((it) => it.model))].sort());
  });

  test("behaviour: refuses unlabelled training outputs", () => {
    const { label: _label, ...unlabelled } = qa[0];
    expect(() => calibrate([unlabelled])).toThrow(/has no label/);
  });
});

describe("calibration under shift", () => {
  test("behaviour: a dimension whose relation to quality reverses between models loses its weight under shift folds", () => {
    const table = computeDimensions({ items: qa, modelPriors: {}, useReferences: false });
    const r = Rng.of(5);
    const rng = () => r.next();
    const models = [...new Set(qa.map((it) => it.model))].sort();
    // Strongly right on three models, reversed on the other two: a random-fold fit trusts it, held-out models do not.
    table.costPrior = Float64Array.from(qa, (it) => {
      const sign = models.indexOf(it.model) < 3 ? 1 : -1;
      return 0.5 + 0.4 * sign * (it.label! - 0.5) + 0.2 * rng();
    });
    table.modelPrior = Float64Array.from(qa, () => 0.5);
    const random = calibrateTask({ task: "qa", items: qa, table }, { bootstrap: 50, innerSplits: "random", innerAggregate: "mean" });
    const shift = calibrateTask({ task: "qa", items: qa, table }, { bootstrap: 50 });
    expect(random.weights.costPrior ?? 0).toBeGreaterThan(0.05);
    expect(shift.weights.costPrior ?? 0).toBe(0);
    expect(Object.keys(shift.candidates!)).toEqual(expect.arrayContaining(["single/rank", "equal/rank"]));
  });
});
