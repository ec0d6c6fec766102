import { describe, expect, test } from "vitest";
import { inferenceWeights } from "./inferenceRewards";

describe("inferenceWeights", () => {
  test("behavior: R = alpha * quality - beta * cost with cost normalized by the round's largest cost", () => {
    const w = inferenceWeights(Int32Array.from([10_000, 5000]), Int32Array.from([-1, -1]), [100n, 50n], 1_000_000, 500_000);
    // task 0: 1.0 * 1.0 - 0.5 * 1.0 = 0.5; task 1: 0.5 - 0.5 * 0.5 = 0.25 (ppm^2)
    expect(w).toEqual([500_000_000_000, 250_000_000_000]);
  });

  test("behavior: floored at zero; gold tasks and tasks without consensus earn nothing", () => {
    const w = inferenceWeights(Int32Array.from([1000, 9000, -1]), Int32Array.from([-1, 9000, -1]), [100n, 1n, 1n], 1_000_000, 500_000);
    expect(w).toEqual([0, 0, 0]);
  });

  test("behavior: with equal quality the cheaper output earns more", () => {
    const [a, b] = inferenceWeights(Int32Array.from([8000, 8000]), Int32Array.from([-1, -1]), [10n, 40n], 1_000_000, 300_000);
    expect(a).toBeGreaterThan(b);
  });
});
