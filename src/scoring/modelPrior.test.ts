import { describe, expect, test } from "vitest";
import { fitModelPrior, modelPrior, normalizeLabel } from "./modelPrior";
import { item } from "./testing";

describe("model prior", () => {
  const train = [
    ...Array.from({ length: 30 }, (_, i) => item({ output: "a", model: "good", label: i < 27 ? 1 : 0 })),
    ...Array.from({ length: 30 }, (_, i) => item({ output: "a", model: "bad", label: i < 9 ? 1 : 0 })),
    item({ output: "a", model: "rare", label: 1 }),
  ];
  const table = fitModelPrior(train);

  test("behaviour: learns each model's track record", () => {
    expect(modelPrior(table, "good")).toBeGreaterThan(modelPrior(table, "bad"));
    expect(table.models.good).toEqual({ n: 30, mean: 0.9 });
  });

  test("behaviour: smoothing keeps rare models near the global mean and unseen models at it", () => {
    expect(modelPrior(table, "unseen")).toBeCloseTo(table.globalMean);
    expect(Math.abs(modelPrior(table, "rare") - table.globalMean)).toBeLessThan(0.1);
    expect(modelPrior(table, "__proto__")).toBeCloseTo(table.globalMean);
  });

  test("normalizeLabel maps the task's range to [0, 1]", () => {
    expect(normalizeLabel("summarization", 1)).toBe(0);
    expect(normalizeLabel("summarization", 5)).toBe(1);
    expect(normalizeLabel("qa", 1)).toBe(1);
  });
});
