import { describe, expect, test } from "vitest";
import { buildRoundScores } from "../consensus/round";
import { evaluatorWeights, lowerBound } from "./evaluatorRewards";

const PPM = 1_000_000;

/** T tasks on 2 inference nodes, 4 evaluators on every task; evaluator 3 reports `other(t)` instead of the truth. */
function setup(T: number, other: (t: number, truth: number) => number) {
  const truth = (t: number): number => 1000 + ((t * 3719) % 8000);
  const tasks = Array.from({ length: T }, (_, t) =>
    [0, 1, 2, 3].map((e) => ({ evaluator: e, score: e === 3 ? other(t, truth(t)) : Math.min(10_000, truth(t) + e * 100) })),
  );
  const round = buildRoundScores(4, tasks);
  const consensus = Int32Array.from({ length: T }, (_, t) => truth(t) + 100);
  // Leave-one-out references: the others' middle score, close to the truth.
  const reference = new Int32Array(round.score.length);
  for (let t = 0; t < T; t++) for (let p = round.start[t]; p < round.start[t + 1]; p++) reference[p] = truth(t) + 100;
  return { round, consensus, reference, gold: new Int32Array(T).fill(-1), node: Int32Array.from({ length: T }, (_, t) => t % 2) };
}

const run = (x: ReturnType<typeof setup>, over: { nonRevealed?: Uint8Array; trust?: Int32Array; payCap?: number } = {}) =>
  evaluatorWeights(x.round, x.consensus, x.consensus, x.reference, x.gold, x.node, over.trust ?? new Int32Array(4).fill(PPM), new Int32Array(4).fill(PPM), over.nonRevealed ?? new Uint8Array(4), 3000, over.payCap ?? 600_000, 1000);

describe("evaluatorWeights (correlated agreement, stratified by inference node)", () => {
  test("behavior: informative reports earn; a constant report earns nothing", () => {
    const out = run(setup(60, () => 5000));
    expect(out.weights[0] > 0n && out.weights[1] > 0n && out.weights[2] > 0n).toBe(true);
    expect(out.weights[3]).toBe(0n);
  });

  test("behavior: a report that only knows the node's average quality (a node copier) earns nothing", () => {
    const x = setup(60, () => 0);
    // The node copier reports, on every task of a node, that node's mean consensus.
    const mean = [0, 1].map((n) => {
      let s = 0;
      let c = 0;
      for (let t = n; t < 60; t += 2) (s += x.consensus[t]), c++;
      return Math.round(s / c);
    });
    for (let t = 0; t < 60; t++) x.round.score[x.round.start[t] + 3] = mean[t % 2];
    expect(run(x).weights[3]).toBe(0n);
  });

  test("behavior: agreement beyond the cap earns nothing more: the cap is payCap x the median evaluator's bound", () => {
    const x = setup(60, (t, truth) => truth + 100); // evaluator 3 matches the references exactly
    const capped = run(x);
    const uncapped = run(x, { payCap: 100 * PPM });
    expect(uncapped.weights[3] > capped.weights[3]).toBe(true);
    expect(capped.weights[3]).toBe(capped.weights[0]);
  });

  test("behavior: weights scale with trust; non-revealers weigh nothing", () => {
    const x = setup(60, (t, truth) => truth);
    const half = run(x, { trust: Int32Array.from([PPM, PPM, PPM, PPM / 2]) });
    const full = run(x);
    expect(half.weights[3] * 2n).toBe(full.weights[3]);
    expect(run(x, { nonRevealed: Uint8Array.from([1, 0, 0, 0]) }).weights[0]).toBe(0n);
  });

  test("behavior: gold tasks pay nothing", () => {
    const x = setup(20, (t, truth) => truth);
    x.gold.fill(5000);
    expect(run(x).weights).toEqual([0n, 0n, 0n, 0n]);
  });

  test("behavior: the lower confidence bound is mean - z standard errors", () => {
    // 100 seats, each scoring 0.1 (100000 ppm) exactly: sd 0, bound = mean.
    expect(lowerBound(100_000, 100 * 100_000, 100 * (100_000 * 100_000) / 1000, 1000)).toBe(100_000);
    // Scores alternating 0 and 0.2: mean 0.1, sd 0.1, se over 100 seats 0.01: bound 0.09.
    expect(lowerBound(100_000, 100 * 100_000, 50 * (200_000 * 200_000) / 1000, 1000)).toBe(90_000);
  });
});
