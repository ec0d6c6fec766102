import { describe, expect, test } from "vitest";
import { readLoggedOutputs } from "../data/read";
import { InputError } from "../errors";
import { DEFAULT_SCENARIO, buildScenario, prepareData } from "./scenario";

const data = prepareData(readLoggedOutputs("data/samples/qa-sample.jsonl"), "label", "qa-sample");
const cfg = { ...DEFAULT_SCENARIO, rounds: 3, tasksPerRound: 40 };

describe("buildScenario", () => {
  test("behavior: exact share of malicious evaluators, k stake-weighted draws per task, gold tasks per round", () => {
    const s = buildScenario(data, { ...cfg, maliciousRatio: 0.3 });
    expect(s.maliciousCount).toBe(15);
    expect(s.malicious.reduce((a, b) => a + b, 0)).toBe(15);
    for (const r of s.rounds) {
      for (let t = 0; t < 40; t++) {
        expect(r.draws[t]).toHaveLength(7);
        expect(Array.from(r.members[t])).toEqual([...new Set(r.draws[t])]);
      }
      expect(Array.from(r.gold).filter((g) => g >= 0)).toHaveLength(2);
    }
  });

  test("behavior: the shared-scorer model gives every honest evaluator the shared signal exactly", () => {
    const s = buildScenario(data, { ...cfg, honestModel: "shared", maliciousRatio: 0 });
    const r = s.rounds[0];
    for (let t = 0; t < 40; t++) for (const h of r.honest[t]) expect(h).toBe(Math.min(10, Math.max(0, data.base[r.item[t]])));
  });

  test("behavior: the same seed draws the same scenario; another seed does not", () => {
    const a = buildScenario(data, cfg);
    const b = buildScenario(data, cfg);
    const c = buildScenario(data, { ...cfg, seed: "2" });
    expect(b.rounds[2].honest.map((x) => Array.from(x))).toEqual(a.rounds[2].honest.map((x) => Array.from(x)));
    expect(c.rounds[2].honest.map((x) => Array.from(x))).not.toEqual(a.rounds[2].honest.map((x) => Array.from(x)));
  });

  test("behavior: default tasks per round cover the file: max(200, items / rounds)", () => {
    expect(buildScenario(data, { ...cfg, tasksPerRound: 0 }).config.tasksPerRound).toBe(200);
  });

  test("behavior: bad input is an InputError with a clear message", () => {
    expect(() => buildScenario(data, { ...cfg, k: 0 })).toThrow(/--k must be/);
    expect(() => buildScenario(data, { ...cfg, sybil: 1 })).toThrow(/--sybil/);
    expect(() => buildScenario(data, { ...cfg, maliciousRatio: 1.2 })).toThrow(/ratio in \[0, 1\]/);
    expect(() => buildScenario(data, { ...cfg, maliciousRatio: -0.1 })).toThrow(InputError);
    expect(() => buildScenario(data, { ...cfg, attack: "bribe" as never })).toThrow(/unknown attack/);
    expect(() => buildScenario(data, { ...cfg, rounds: 0 })).toThrow(InputError);
  });
});
