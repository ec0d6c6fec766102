import { describe, expect, test } from "vitest";
import { Rng } from "../math/prng";
import { nonNegativeLogistic } from "./logistic";
import { applyQuantiles, fitQuantiles } from "./normalize";
import { nnls } from "./nnls";

describe("fitting", () => {
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
    const r = Rng.of(3);
    const rng = () => r.next();
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
