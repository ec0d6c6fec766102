import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { splitPool } from "./splitPool";

describe("splitPool", () => {
  test("behavior: proportional shares; the leftover wei goes to the largest remainders, lower index on ties", () => {
    expect(splitPool(10n, [1n, 1n, 1n])).toEqual([4n, 3n, 3n]);
    expect(splitPool(100n, [1n, 3n])).toEqual([25n, 75n]);
    expect(splitPool(7n, [2n, 1n])).toEqual([5n, 2n]); // 4.67 / 2.33 -> remainder to the larger fraction
  });

  test("behavior: zero weights get nothing; all-zero weights leave the pool unallocated", () => {
    expect(splitPool(10n, [0n, 5n])).toEqual([0n, 10n]);
    expect(splitPool(10n, [0n, 0n])).toEqual([0n, 0n]);
    expect(splitPool(10n, [])).toEqual([]);
  });

  test("property: conserves the pool exactly whenever some weight is positive, and never pays a zero weight", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 30n }), fc.array(fc.bigInt({ min: 0n, max: 10n ** 24n }), { minLength: 1, maxLength: 40 }), (pool, weights) => {
        const out = splitPool(pool, weights);
        const total = out.reduce((s, x) => s + x, 0n);
        if (weights.some((w) => w > 0n)) expect(total).toBe(pool);
        else expect(total).toBe(0n);
        weights.forEach((w, i) => {
          if (w === 0n) expect(out[i]).toBe(0n);
          expect(out[i] >= 0n).toBe(true);
        });
      }),
    );
  });

  test("property: each share is within one wei of the exact proportion", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: 10n ** 24n }), fc.array(fc.bigInt({ min: 1n, max: 10n ** 12n }), { minLength: 1, maxLength: 20 }), (pool, weights) => {
        const W = weights.reduce((s, x) => s + x, 0n);
        splitPool(pool, weights).forEach((a, i) => {
          const floor = (pool * weights[i]) / W;
          expect(a === floor || a === floor + 1n).toBe(true);
        });
      }),
    );
  });
});
