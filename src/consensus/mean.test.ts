import { describe, expect, test } from "vitest";
import { meanScore } from "./mean";

describe("meanScore", () => {
  test("behavior: integer mean rounded half up", () => {
    expect(meanScore([1000, 2000])).toBe(1500);
    expect(meanScore([0, 1])).toBe(1);
    expect(meanScore([0, 0, 1])).toBe(0);
    expect(meanScore([])).toBe(-1);
  });

  test("behavior: one extreme score moves it (no robustness)", () => {
    expect(meanScore([5000, 5000, 5000, 5000, 10_000])).toBe(6000);
  });
});
