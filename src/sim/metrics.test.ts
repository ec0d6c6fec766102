import { describe, expect, test } from "vitest";
import { cvOf, maeOf, precisionRecall, ranks, spearmanOf, varianceOf } from "./metrics";

describe("metrics", () => {
  test("behavior: MAE, variance and CV", () => {
    expect(maeOf([1, 2, 3], [2, 2, 5])).toBeCloseTo(1);
    expect(varianceOf([1, 3])).toBe(1);
    expect(cvOf([1, 3])).toBeCloseTo(0.5);
  });

  test("behavior: Spearman uses tie-averaged ranks", () => {
    expect(Array.from(ranks([10, 20, 20, 5]))).toEqual([2, 3.5, 3.5, 1]);
    expect(spearmanOf([1, 2, 3, 4], [10, 20, 30, 40])).toBeCloseTo(1);
    expect(spearmanOf([1, 2, 3, 4], [4, 3, 2, 1])).toBeCloseTo(-1);
  });

  test("behavior: precision and recall, null where undefined", () => {
    expect(precisionRecall(new Set([1, 2, 3]), new Set([1, 2, 4, 5]))).toEqual({ precision: 2 / 3, recall: 0.5 });
    expect(precisionRecall(new Set(), new Set([1]))).toEqual({ precision: null, recall: 0 });
    expect(precisionRecall(new Set([1]), new Set())).toEqual({ precision: 0, recall: null });
  });
});
