import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { trimCount, trimmedMeanScore } from "./trimmedMean";

describe("trimmedMeanScore", () => {
  test("behavior: drops floor(fraction * n) at each end", () => {
    expect(trimCount(7, 200_000)).toBe(1);
    expect(trimCount(10, 200_000)).toBe(2);
    expect(trimCount(3, 500_000)).toBe(1);
    expect(trimmedMeanScore([0, 5000, 5000, 5000, 10_000], 200_000)).toBe(5000);
  });

  test("behavior: always keeps at least one score", () => {
    expect(trimCount(2, 500_000)).toBe(0);
    expect(trimmedMeanScore([1000, 3000], 500_000)).toBe(2000);
  });

  test("property: stays within the honest range while malicious scores are at most the trim count", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 10_000 }), { minLength: 1, maxLength: 15 }),
        fc.array(fc.integer({ min: 0, max: 10_000 }), { maxLength: 7 }),
        fc.integer({ min: 0, max: 500_000 }),
        (honest, bad, frac) => {
          const n = honest.length + bad.length;
          fc.pre(bad.length <= trimCount(n, frac));
          const m = trimmedMeanScore([...honest, ...bad], frac);
          expect(m).toBeGreaterThanOrEqual(Math.min(...honest));
          expect(m).toBeLessThanOrEqual(Math.max(...honest));
        },
      ),
    );
  });

  test("property: with the largest trim fraction it tolerates any minority, like the median", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 10_000 }), { minLength: 1, maxLength: 15 }),
        fc.array(fc.integer({ min: 0, max: 10_000 }), { maxLength: 14 }),
        (honest, bad) => {
          fc.pre(bad.length < honest.length);
          const m = trimmedMeanScore([...honest, ...bad], 500_000);
          expect(m).toBeGreaterThanOrEqual(Math.min(...honest));
          expect(m).toBeLessThanOrEqual(Math.max(...honest));
        },
      ),
    );
  });
});
