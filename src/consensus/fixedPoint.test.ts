import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { floorDiv, roundDiv } from "./fixedPoint";

describe("fixedPoint", () => {
  test("behavior: floorDiv is exact floor division for safe integers, negatives included", () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 40), max: 2 ** 40 }), fc.integer({ min: 1, max: 2 ** 12 }), (a, b) => {
        const q = floorDiv(a, b);
        expect(q * b <= a && a < (q + 1) * b).toBe(true);
      }),
    );
  });

  test("behavior: roundDiv rounds half up", () => {
    expect(roundDiv(5, 2)).toBe(3);
    expect(roundDiv(7, 4)).toBe(2);
    expect(roundDiv(5, 4)).toBe(1);
    expect(roundDiv(-5, 2)).toBe(-2);
  });
});
