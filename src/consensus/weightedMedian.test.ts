import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { weightedMedianScore } from "./weightedMedian";

describe("weightedMedianScore", () => {
  test("behavior: the heavier side wins", () => {
    expect(weightedMedianScore([1000, 9000], [1, 3])).toBe(9000);
    expect(weightedMedianScore([1000, 9000, 5000], [5, 1, 1])).toBe(1000);
  });

  test("behavior: exactly half the weight gives the midpoint", () => {
    expect(weightedMedianScore([1000, 9000], [2, 2])).toBe(5000);
  });

  test("behavior: zero-weight scores are ignored; all-zero weights fall back to the median", () => {
    expect(weightedMedianScore([1000, 9000, 9000], [1, 0, 0])).toBe(1000);
    expect(weightedMedianScore([1000, 9000, 8000], [0, 0, 0])).toBe(8000);
  });

  test("property: equal weights give the plain median", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 10_000 }), { minLength: 1, maxLength: 11 }), (xs) => {
        const s = [...xs].sort((a, b) => a - b);
        const n = s.length;
        const median = n % 2 ? s[n >> 1] : Math.floor((s[n / 2 - 1] + s[n / 2] + 1) / 2);
        expect(weightedMedianScore(xs, xs.map(() => 7))).toBe(median);
      }),
    );
  });

  test("property: scores holding less than half the weight cannot move it outside the rest's range", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 1, max: 1000 })), { minLength: 1, maxLength: 10 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 1, max: 1000 })), { maxLength: 10 }),
        (honest, bad) => {
          const hw = honest.reduce((s, [, w]) => s + w, 0);
          const bw = bad.reduce((s, [, w]) => s + w, 0);
          fc.pre(bw < hw);
          const all = [...honest, ...bad];
          const m = weightedMedianScore(all.map((x) => x[0]), all.map((x) => x[1]));
          expect(m).toBeGreaterThanOrEqual(Math.min(...honest.map((x) => x[0])));
          expect(m).toBeLessThanOrEqual(Math.max(...honest.map((x) => x[0])));
        },
      ),
    );
  });
});
