import { describe, expect, test } from "vitest";
import { Rng } from "./prng";
import { auroc, coefficientOfVariation, expand, kendall, meanAbsoluteError, pearson, precisionRecall, spearman, variance, weightedRanks, argsort } from "./stats";

describe("rank statistics", () => {
  test("spearman and kendall on known values", () => {
    expect(spearman([1, 2, 3, 4, 5], [5, 6, 7, 8, 7])).toBeCloseTo(0.8207826816681233, 10);
    expect(kendall([1, 2, 3, 4, 5], [5, 6, 7, 8, 7])).toBeCloseTo(0.7378647873726218, 10);
    expect(kendall([1, 2, 3], [3, 2, 1])).toBeCloseTo(-1);
    expect(Number.isNaN(spearman([1, 1, 1], [1, 2, 3]))).toBe(true);
  });

  test("auroc counts ties half and is NaN with one class", () => {
    expect(auroc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])).toBeCloseTo(0.75);
    expect(auroc([1, 1, 1, 1], [0, 1, 0, 1])).toBe(0.5);
    expect(Number.isNaN(auroc([1, 2], [1, 1]))).toBe(true);
  });

  test("behaviour: integer weights equal the expanded sample", () => {
    const r = Rng.of(7);
    const rng = () => r.next();
    const x = Array.from({ length: 50 }, () => Math.round(rng() * 10));
    const y = Array.from({ length: 50 }, () => (rng() < 0.4 ? 1 : 0));
    const w = Array.from({ length: 50 }, () => Math.floor(rng() * 3));
    const idx = expand(w);
    const xs = Array.from(idx, (i) => x[i]);
    const ys = Array.from(idx, (i) => y[i]);
    expect(auroc(x, y, w)).toBeCloseTo(auroc(xs, ys), 12);
    expect(spearman(x, y, w)).toBeCloseTo(spearman(xs, ys), 12);
    expect(pearson(x, y, w)).toBeCloseTo(pearson(xs, ys), 12);
  });

  test("behavior: mid-ranks average ties", () => {
    const x = [10, 20, 20, 5];
    expect(Array.from(weightedRanks(x, argsort(x)))).toEqual([2, 3.5, 3.5, 1]);
    expect(spearman([1, 2, 3, 4], [10, 20, 30, 40])).toBeCloseTo(1);
    expect(spearman([1, 2, 3, 4], [4, 3, 2, 1])).toBeCloseTo(-1);
  });
});

describe("moments and errors", () => {
  test("behavior: MAE, variance and CV", () => {
    expect(meanAbsoluteError([1, 2, 3], [2, 2, 5])).toBeCloseTo(1);
    expect(variance([1, 3])).toBe(1);
    expect(coefficientOfVariation([1, 3])).toBeCloseTo(0.5);
    expect(Number.isNaN(meanAbsoluteError([], []))).toBe(true);
  });

  test("behavior: precision and recall, null where undefined", () => {
    expect(precisionRecall(new Set([1, 2, 3]), new Set([1, 2, 4, 5]))).toEqual({ precision: 2 / 3, recall: 0.5 });
    expect(precisionRecall(new Set(), new Set([1]))).toEqual({ precision: null, recall: 0 });
    expect(precisionRecall(new Set([1]), new Set())).toEqual({ precision: 0, recall: null });
  });
});
