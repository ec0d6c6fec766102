import { describe, expect, test } from "vitest";
import { applyQuantiles, fitQuantiles } from "./normalize";
import { nnls } from "./nnls";
import { nonNegativeLogistic } from "./logistic";
import { mulberry32 } from "./prng";
import { auroc, expand, kendall, pearson, spearman } from "./stats";

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
    const rng = mulberry32(7);
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

  test("quantile normalisation is monotone and within [0, 1]", () => {
    const knots = fitQuantiles([0, 0, 0, 1, 2, 3, 10]);
    let last = -1;
    for (const v of [-1, 0, 0.5, 1, 2, 2.5, 3, 9, 10, 11]) {
      const u = applyQuantiles(knots, v);
      expect(u).toBeGreaterThanOrEqual(last);
      expect(u).toBeGreaterThanOrEqual(0);
      expect(u).toBeLessThanOrEqual(1);
      last = u;
    }
    expect(applyQuantiles([], 0.3)).toBe(0.3);
  });

  test("non-negative fits zero out a harmful column and keep useful ones", () => {
    const rng = mulberry32(3);
    const n = 400;
    const a = Array.from({ length: n }, () => rng());
    const b = Array.from({ length: n }, () => rng());
    const y = a.map((v, i) => (v + 0.5 * b[i] + 0.1 * rng() > 0.8 ? 1 : 0));
    const bad = y.map((v) => 1 - v + 0.3 * rng());
    const w = nnls({ columns: [a, b, bad], y });
    expect(w[0]).toBeGreaterThan(w[1]);
    expect(w[1]).toBeGreaterThan(0);
    expect(w[2]).toBe(0);
    const l = nonNegativeLogistic({ columns: [a, b, bad], y });
    expect(l[0]).toBeGreaterThan(l[1]);
    expect(l[2]).toBe(0);
  });
});
