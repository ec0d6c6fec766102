import { describe, expect, test } from "vitest";
import { buildRoundScores } from "../consensus/round";
import { evaluatorWeights } from "./evaluatorRewards";

describe("evaluatorWeights", () => {
  const round = buildRoundScores(3, [
    [{ evaluator: 0, score: 5000 }, { evaluator: 1, score: 6500 }, { evaluator: 2, score: 9000 }],
  ]);

  test("behavior: agreement = 1 - |s - consensus| / tolerance, times trust", () => {
    const out = evaluatorWeights(round, Int32Array.from([5000]), Int32Array.from([-1]), Int32Array.from([1_000_000, 500_000, 1_000_000]), new Uint8Array(3), 3000);
    expect(out.weights).toEqual([1_000_000n * 1_000_000n, 500_000n * 500_000n, 0n]);
    expect(Array.from(out.payoffPpm)).toEqual([1_000_000, 250_000, 0]);
  });

  test("behavior: a gold task is judged against its known quality", () => {
    const out = evaluatorWeights(round, Int32Array.from([5000]), Int32Array.from([9000]), Int32Array.from([1_000_000, 1_000_000, 1_000_000]), new Uint8Array(3), 3000);
    expect(out.weights[2]).toBe(1_000_000n * 1_000_000n);
    expect(out.weights[0]).toBe(0n);
  });

  test("behavior: non-revealers weigh nothing", () => {
    const out = evaluatorWeights(round, Int32Array.from([5000]), Int32Array.from([-1]), Int32Array.from([1_000_000, 1_000_000, 1_000_000]), Uint8Array.from([1, 0, 0]), 3000);
    expect(out.weights[0]).toBe(0n);
  });
});
