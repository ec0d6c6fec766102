
import { describe, expect, test } from "vitest";
import { assignEvaluators } from "../consensus/assignment";
import { readLoggedOutputs } from "../data/read";
import { settlementParams } from "../rewards/params";
import { type SettlementInput, type SettlementPayload, buildSettlement } from "../rewards/settlement";
import { DEFAULT_SCENARIO, buildScenario, prepareData, simRoundSeed } from "./scenario";
import { simulateRule, simulateRules } from "./simulate";

const data = prepareData(readLoggedOutputs("data/samples/summarization-sample.jsonl"), "label", "summ-sample");
const cfg = { ...DEFAULT_SCENARIO, rounds: 8, tasksPerRound: 100 };

describe("simulateRules", () => {
  test("behavior: the same seed gives byte-identical results", () => {
    const a = JSON.stringify(simulateRules(data, buildScenario(data, { ...cfg, attack: "collusion" }), ["robust-trust", "mean"]));
    const b = JSON.stringify(simulateRules(data, buildScenario(data, { ...cfg, attack: "collusion" }), ["robust-trust", "mean"]));
    expect(b).toBe(a);
    const c = JSON.stringify(simulateRules(data, buildScenario(data, { ...cfg, attack: "collusion", seed: "9" }), ["robust-trust", "mean"]));
    expect(c).not.toBe(a);
  });

  test("behavior: one settlement path: a simulated round settles to the same bytes as the relayer's inputs (assignEvaluators from the round seed)", () => {
    const scenario = buildScenario(data, { ...cfg, rounds: 2, attack: "boosting" });
    const seen: { input: SettlementInput; payload: SettlementPayload }[] = [];
    simulateRule(data, scenario, "robust-trust", {}, { onRound: (_, input, payload) => seen.push({ input, payload }) });
    const { addresses, stakes } = scenario.population;
    for (const [r, { input, payload }] of seen.entries()) {
      // What a relayer computes: the assignment from the chain's seed and the stakes at round open.
      const assignment = assignEvaluators({ seed: simRoundSeed(cfg.seed, r), taskCount: input.tasks.length, k: cfg.k, evaluators: addresses.map((address, i) => ({ address, stake: stakes[i] })) });
      expect(assignment.byTask).toEqual(input.assignment.byTask);
      const relayer = buildSettlement({ ...input, assignment, params: settlementParams() });
      expect(relayer.inputsHash).toBe(payload.inputsHash);
      expect(relayer.rewardsRoot).toBe(payload.rewardsRoot);
      expect(relayer.trustRoot).toBe(payload.trustRoot);
      expect(relayer.slashes).toEqual(payload.slashes);
    }
  });

  test("behavior: under sabotage the default rule stays closer to the truth than the mean, and slashes the saboteurs", () => {
    const res = simulateRules(data, buildScenario(data, { ...cfg, rounds: 10, attack: "sabotage" }), ["mean", "robust-trust"]);
    const d = res["robust-trust"]!;
    expect(d.mae).toBeLessThan(res.mean!.mae);
    expect(d.maliciousSlashed).toBeGreaterThan(0);
    expect(d.honestSlashed).toBe(0);
    expect(res.mean!.maliciousSlashed).toBe(0);
  });

  test("behavior: without attackers nobody is slashed and the coalition's fair share is 0", () => {
    const d = simulateRules(data, buildScenario(data, { ...cfg, maliciousRatio: 0, attack: "none" }), ["robust-trust"])["robust-trust"]!;
    expect(d.honestSlashed).toBe(0);
    expect(d.slashPrecision).toBeNull();
    expect(d.fairShare).toBe(0);
  });

  test("behavior: --sybil splits the coalition's stake across identities; fairShare stays its share of stake", () => {
    const whole = buildScenario(data, { ...cfg, rounds: 1, attack: "copy-bloc" });
    const split = buildScenario(data, { ...cfg, rounds: 1, attack: "copy-bloc", sybil: 0.56 });
    expect(whole.population.fairShare).toBe(0.3);
    expect(split.population.fairShare).toBeCloseTo(0.3, 5);
    expect(split.maliciousCount / split.population.addresses.length).toBeCloseTo(0.56, 1);
    const m = simulateRule(data, split, "robust-trust");
    expect(m.fairShare).toBeCloseTo(0.3, 5);
  });

  test("behavior: reports every metric the CLI promises", () => {
    const m = simulateRules(data, buildScenario(data, { ...cfg, rounds: 2 }), ["median"]).median!;
    for (const key of ["mae", "spearman", "honestSlashed", "maliciousSlashed", "maliciousPoolShare", "fairShare", "slashPrecision", "slashRecall", "breakerRounds", "maeMeanSameReports", "maeMedianSameReports"]) {
      expect(m).toHaveProperty(key);
    }
  });

  test("behavior: a coalition reporting UNAVAILABLE (abstain) earns nothing and is never treated as non-revealing", () => {
    const m = simulateRule(data, buildScenario(data, { ...cfg, rounds: 4, attack: "abstain" }), "robust-trust");
    expect(m.maliciousPoolShare).toBe(0);
    expect(m.maliciousSlashed).toBe(0);
  });
});

