import { describe, expect, test } from "vitest";
import { readLoggedOutputs } from "../data/logged";
import { DEFAULT_SCENARIO, buildScenario, prepareData } from "./scenario";
import { simulateRules } from "./simulate";

const data = prepareData(readLoggedOutputs("data/samples/summarization-sample.jsonl"), "label", "summ-sample");
const cfg = { ...DEFAULT_SCENARIO, rounds: 8, tasksPerRound: 100 };

describe("simulateRules", () => {
  test("behavior: the same seed gives byte-identical results", () => {
    const a = JSON.stringify(simulateRules(data, buildScenario(data, { ...cfg, attack: "collusion" })));
    const b = JSON.stringify(simulateRules(data, buildScenario(data, { ...cfg, attack: "collusion" })));
    expect(b).toBe(a);
    const c = JSON.stringify(simulateRules(data, buildScenario(data, { ...cfg, attack: "collusion", seed: "9" })));
    expect(c).not.toBe(a);
  });

  test("behavior: under sabotage the default rule stays closer to the truth than the mean and the published rule, and slashes the saboteurs", () => {
    const res = simulateRules(data, buildScenario(data, { ...cfg, attack: "sabotage" }), ["mean", "trust-published", "robust-trust"]);
    const d = res["robust-trust"]!;
    expect(d.mae).toBeLessThan(res.mean!.mae);
    expect(d.mae).toBeLessThan(res["trust-published"]!.mae);
    expect(d.slashRecall).toBeGreaterThanOrEqual(0.9);
    expect(d.slashPrecision).toBe(1);
    expect(res["trust-published"]!.slashRecall).toBe(0);
  });

  test("behavior: without attackers nobody is slashed and recall is undefined", () => {
    const d = simulateRules(data, buildScenario(data, { ...cfg, maliciousRatio: 0, attack: "none" }), ["robust-trust"])["robust-trust"]!;
    expect(d.slashPrecision).toBeNull();
    expect(d.slashRecall).toBeNull();
    expect(d.mae).toBeLessThan(1);
  });

  test("behavior: reports every metric the CLI promises", () => {
    const m = simulateRules(data, buildScenario(data, { ...cfg, rounds: 2 }), ["median"]).median!;
    for (const key of ["mae", "spearman", "evaluatorRewardMean", "evaluatorRewardVar", "inferenceRewardCv", "slashPrecision", "slashRecall"]) expect(m).toHaveProperty(key);
  });

  test("property: across seeds, no honest evaluator is slashed (bounded QA and summary scores), and persistent saboteurs are", () => {
    for (const file of ["qa-sample", "summarization-sample"]) {
      const d = prepareData(readLoggedOutputs(`data/samples/${file}.jsonl`), "label", file);
      for (const seed of ["1", "2", "3"]) {
        for (const attack of ["none", "boosting", "sabotage", "collusion"] as const) {
          const scenario = buildScenario(d, { ...DEFAULT_SCENARIO, rounds: 12, seed, attack, maliciousRatio: attack === "none" ? 0 : 0.3 });
          const m = simulateRules(d, scenario, ["robust-trust"])["robust-trust"]!;
          if (attack === "none") expect(m.slashPrecision).toBeNull();
          else expect(m.slashPrecision).toBe(1);
          if (attack === "sabotage" || attack === "collusion") expect(m.slashRecallAt10).toBe(1);
        }
      }
    }
  }, 30_000);
});
