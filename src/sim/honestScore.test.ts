import { describe, expect, test } from "vitest";
import { readLoggedOutputs } from "../data/logged";
import { groundTruth } from "./groundTruth";
import { compositeSignal, honestSignal, matchMoments } from "./honestScore";

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

  test("behavior: composite mode uses the scorer's composite, put on the label scale", () => {
    const scoring = { scoreOutputs: (items: unknown[]) => items.map((_, i) => ({ composite: (i % 10) / 10 })), defaultProfile: () => ({}) };
    expect(Array.from(compositeSignal(qa.slice(0, 3), scoring))).toEqual([0, 1, 2]);
    const s = honestSignal(qa, "composite", scoring);
    expect(s.source).toBe("composite");
    const truth = qa.map(groundTruth);
    const mean = (xs: ArrayLike<number>) => Array.from(xs).reduce((a, b) => a + b, 0) / xs.length;
    expect(Math.abs(mean(s.base) - mean(truth))).toBeLessThan(1);
    expect(honestSignal(qa, "composite-raw", scoring).base[5]).toBe(5);
  });

  test("behavior: matchMoments gives each group the target's mean and spread", () => {
    const out = matchMoments(Float64Array.from([0, 1, 2, 10, 10]), Float64Array.from([2, 4, 6, 7, 7]), ["a", "a", "a", "b", "b"]);
    expect(Array.from(out.slice(0, 3)).map((x) => Math.round(x * 1000) / 1000)).toEqual([2, 4, 6]);
    expect(Array.from(out.slice(3))).toEqual([7, 7]);
  });
});
