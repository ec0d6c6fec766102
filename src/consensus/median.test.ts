import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { medianScore } from "./median";

const scores = (min: number, max: number) => fc.array(fc.integer({ min: 0, max: 10_000 }), { minLength: min, maxLength: max });

describe("medianScore", () => {
  test("behavior: odd count gives the middle score, even count the rounded midpoint", () => {
    expect(medianScore([3, 1, 2])).toBe(2);
    expect(medianScore([1, 2, 3, 10])).toBe(3); // (2 + 3) / 2 = 2.5 rounds half up
    expect(medianScore([])).toBe(-1);
  });

  test("behavior: does not mutate its input", () => {
    const xs = [5, 1, 3];
    medianScore(xs);
    expect(xs).toEqual([5, 1, 3]);
  });

  test("property: stays within the honest range while fewer than half the scores are malicious", () => {
    fc.assert(
      fc.property(scores(1, 15), fc.array(fc.integer({ min: 0, max: 10_000 }), { maxLength: 14 }), (honest, bad) => {
        fc.pre(bad.length < honest.length);
        const m = medianScore([...honest, ...bad]);
        expect(m).toBeGreaterThanOrEqual(Math.min(...honest));
        expect(m).toBeLessThanOrEqual(Math.max(...honest));
      }),
    );
  });
});
