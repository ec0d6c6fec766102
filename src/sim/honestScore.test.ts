import { describe, expect, test } from "vitest";
import { readLoggedOutputs } from "../data/read";
import { groundTruth } from "./groundTruth";
import { applyMonotone, compositeSignal, crossFitCalibration, honestSignal, isotonicMedianFit, matchMoments, queryFolds } from "./honestScore";
import { Rng } from "../math/prng";

const qa = readLoggedOutputs("data/samples/qa-sample.jsonl");
const summ = readLoggedOutputs("data/samples/summarization-sample.jsonl");

describe("honest signal", () => {
  test("behavior: ground truth maps QA 0/1 to 0/10 and summary ratings 1..5 to 0..10", () => {
    expect(groundTruth({ ...qa[0], label: 1 })).toBe(10);
    expect(groundTruth({ ...qa[0], label: 0 })).toBe(0);
    expect(groundTruth({ ...summ[0], label: 3 })).toBe(5);
  });

  test("behavior: label mode is the ground truth", () => {
    const s = honestSignal(qa, "label", null);
    expect(s.source).toBe("label");
    expect(Array.from(s.base)).toEqual(qa.map(groundTruth));
  });

  test("behavior: auto falls back to the label without the scoring library", () => {
    expect(honestSignal(qa, "auto", null).source).toBe("label");
    expect(() => honestSignal(qa, "composite", null)).toThrow(/scoring library/);
  });

  test("behavior: composite mode uses the scorer's composite, calibrated to the label scale; moments and raw modes remain", () => {
    const scoring = { scoreOutputs: (items: unknown[]) => items.map((_, i) => ({ composite: (i % 10) / 10 })), defaultProfile: () => ({}) };
    expect(Array.from(compositeSignal(qa.slice(0, 3), scoring))).toEqual([0, 1, 2]);
    const s = honestSignal(qa, "composite", scoring);
    expect(s.source).toBe("composite");
    const truth = qa.map(groundTruth);
    expect(Array.from(s.base)).toEqual(Array.from(crossFitCalibration(compositeSignal(qa, scoring), Float64Array.from(truth), qa.map((i) => i.task), qa.map((i) => i.queryId))));
    for (const v of s.base) expect(v >= 0 && v <= 10).toBe(true);
    const mean = (xs: ArrayLike<number>) => Array.from(xs).reduce((a, b) => a + b, 0) / xs.length;
    expect(Math.abs(mean(honestSignal(qa, "composite-moments", scoring).base) - mean(truth))).toBeLessThan(1);
    expect(honestSignal(qa, "composite-raw", scoring).base[5]).toBe(5);
  });

  test("behavior: isotonic median regression is the non-decreasing fit with the least absolute error", () => {
    const fit = isotonicMedianFit([1, 2, 3, 4], [1, 3, 2, 4]);
    expect([1, 2, 3, 4].map((x) => applyMonotone(fit, x))).toEqual([1, 2.5, 2.5, 4]);
    // ties in x form one block; a decreasing relation becomes one flat block at the median
    expect([0, 1].map((x) => applyMonotone(isotonicMedianFit([0, 0, 1, 1], [0, 10, 0, 0]), x))).toEqual([0, 0]);
    expect(applyMonotone(isotonicMedianFit([1, 2, 3], [9, 5, 1]), 2)).toBe(5);
    // binary labels: the fit is the majority label on each side of the boundary (the conditional median)
    const bin = isotonicMedianFit([1, 2, 3, 4, 5, 6], [0, 0, 10, 0, 10, 10]);
    expect(applyMonotone(bin, 1)).toBe(0);
    expect(applyMonotone(bin, 6)).toBe(10);
  });

  test("property: the fitted map is monotone, stays within the labels' range and beats any constant in absolute error", () => {
    for (let trial = 0; trial < 30; trial++) {
      const rng = Rng.of("iso", trial);
      const n = 5 + rng.int(60);
      const x = Array.from({ length: n }, () => Math.round(rng.next() * 20) / 2);
      const y = x.map((v) => Math.max(0, Math.min(10, v / 2 + 3 * rng.normal())));
      const map = isotonicMedianFit(x, y);
      for (let i = 1; i < map.x.length; i++) expect(map.x[i] >= map.x[i - 1] && map.y[i] >= map.y[i - 1]).toBe(true);
      let prev = -Infinity;
      for (let v = -1; v <= 11; v += 0.25) {
        const f = applyMonotone(map, v);
        expect(f).toBeGreaterThanOrEqual(prev);
        expect(f >= Math.min(...y) && f <= Math.max(...y)).toBe(true);
        prev = f;
      }
      const l1 = (f: (v: number) => number) => x.reduce((s, v, i) => s + Math.abs(y[i] - f(v)), 0);
      const sorted = [...y].sort((a, b) => a - b);
      const med = sorted[Math.floor(n / 2)];
      expect(l1((v) => applyMonotone(map, v))).toBeLessThanOrEqual(l1(() => med) + 1e-9);
    }
  });

  test("behavior: folds split queries in two balanced halves, independent of order, one fold per query", () => {
    const ids = summ.map((i) => i.queryId);
    const f = queryFolds(ids);
    ids.forEach((q, i) => ids.forEach((r, j) => q === r && expect(f[i]).toBe(f[j])));
    const distinct = [...new Set(ids)];
    const perFold = [0, 1].map((k) => distinct.filter((q) => f[ids.indexOf(q)] === k).length);
    expect(Math.abs(perFold[0] - perFold[1])).toBeLessThanOrEqual(1);
    const reversed = queryFolds([...ids].reverse());
    expect(Array.from(reversed).reverse()).toEqual(Array.from(f));
  });

  test("property: cross-fitting: no output's calibrated score depends on the labels of its own fold", () => {
    const values = Float64Array.from(qa, (_, i) => (i * 37) % 11);
    const truth = Float64Array.from(qa, groundTruth);
    const task = qa.map((i) => i.task);
    const ids = qa.map((i) => i.queryId);
    const folds = queryFolds(ids);
    const base = crossFitCalibration(values, truth, task, ids);
    for (const fold of [0, 1]) {
      const flipped = Float64Array.from(truth, (t, i) => (folds[i] === fold ? 10 - t : t));
      const out = crossFitCalibration(values, flipped, task, ids);
      for (let i = 0; i < qa.length; i++) if (folds[i] === fold) expect(out[i]).toBe(base[i]);
      expect(Array.from(out)).not.toEqual(Array.from(base));
    }
    expect(() => crossFitCalibration([1, 2], [0, 10], ["qa", "qa"], ["q1", "q1"])).toThrow(/two distinct queries/);
  });

  test("behavior: matchMoments gives each group the target's mean and spread", () => {
    const out = matchMoments(Float64Array.from([0, 1, 2, 10, 10]), Float64Array.from([2, 4, 6, 7, 7]), ["a", "a", "a", "b", "b"]);
    expect(Array.from(out.slice(0, 3)).map((x) => Math.round(x * 1000) / 1000)).toEqual([2, 4, 6]);
    expect(Array.from(out.slice(3))).toEqual([7, 7]);
  });
});
