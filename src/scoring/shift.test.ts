import { describe, expect, test } from "vitest";
import { readLoggedOutputs } from "../data/read";
import { computeDimensions } from "./score";
import { pairedBootstrap, shiftSplits } from "./shift";
import { calibrators, runShiftSplits } from "./shiftAudit";
import { Rng } from "../math/prng";
import { QA_SAMPLE } from "./testing";

const qa = readLoggedOutputs(QA_SAMPLE);

describe("shift splits", () => {
  const { splits } = shiftSplits(qa, { families: { qa: { gpt: ["gpt35", "chatgpt", "gpt4"] } } });

  test("behaviour: every kind of split is there, and no split shares a query between calibration and evaluation", () => {
    expect(new Set(splits.map((s) => s.kind))).toEqual(new Set(["in-domain", "references", "models", "length", "difficulty"]));
    for (const s of splits) {
      for (const part of s.parts) {
        const train = new Set(part.train.map((r) => qa[r].queryId));
        expect(part.eval.length).toBeGreaterThan(0);
        expect(part.eval.some((r) => train.has(qa[r].queryId))).toBe(false);
      }
    }
  });

  test("behaviour: a held-out family is evaluated only on its own models and calibrated only on the others", () => {
    const s = splits.find((x) => x.kind === "models")!;
    for (const part of s.parts) {
      expect(part.eval.every((r) => ["gpt35", "chatgpt", "gpt4"].includes(qa[r].model))).toBe(true);
      expect(part.train.some((r) => ["gpt35", "chatgpt", "gpt4"].includes(qa[r].model))).toBe(false);
    }
  });

  test("behaviour: the difficulty strata both hold right and wrong answers", () => {
    for (const s of splits.filter((x) => x.kind === "difficulty")) {
      const labels = new Set(s.parts[0].eval.map((r) => qa[r].label));
      expect(labels).toEqual(new Set([0, 1]));
    }
  });

  test("behaviour: the runner reports every calibrator against the best single dimension, with an interval", () => {
    const tables = { references: computeDimensions({ items: qa, modelPriors: {}, useReferences: true }), none: computeDimensions({ items: qa, modelPriors: {}, useReferences: false }) };
    const results = runShiftSplits(qa, tables, splits.slice(0, 2), calibrators({ bootstrap: 20 }).slice(0, 3), { bootstrap: 30 });
    expect(results.length).toBe(3);
    for (const r of results) {
      expect(Object.keys(r.calibrated)).toHaveLength(3);
      for (const c of Object.values(r.calibrated)) {
        expect(c.value).toBeGreaterThan(0.5);
        expect(c.diffCi[0]).toBeLessThanOrEqual(c.diffCi[1]);
      }
    }
    expect(results[2].split.kind).toBe("references");
    expect(results[2].dimensions.semantic).toBe(0.5);
  });
});

describe("paired bootstrap", () => {
  test("behaviour: a score against itself differs by exactly zero; a noisier score loses", () => {
    const r = Rng.of(3);
    const rng = () => r.next();
    const y = Array.from({ length: 300 }, (_, i) => i % 2);
    const good = y.map((v) => v + rng());
    const noisy = y.map((v) => v + 3 * rng());
    const q = y.map((_, i) => `q${i >> 2}`);
    const same = pairedBootstrap(q, y, good, good, 50);
    expect(same.diffCi).toEqual([0, 0]);
    const worse = pairedBootstrap(q, y, noisy, good, 100);
    expect(worse.value).toBeLessThan(worse.baseline);
    expect(worse.diffCi[1]).toBeLessThan(0);
  });
});
