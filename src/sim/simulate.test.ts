
import path from "node:path";
import { describe, expect, test } from "vitest";
import { expectGolden } from "../../test/helpers/golden";
import { assignEvaluators } from "../consensus/assignment";
import { readLoggedOutputs } from "../data/read";
import { settlementParams } from "../rewards/params";
import { type SettlementInput, type SettlementPayload, buildSettlement } from "../rewards/settlement";
import { DEFAULT_SCENARIO, buildScenario, prepareData, simRoundSeed } from "./scenario";
import { type RuleMetrics, simulateRule, simulateRules } from "./simulate";

const data = prepareData(readLoggedOutputs("data/samples/summarization-sample.jsonl"), "label", "summ-sample");
const cfg = { ...DEFAULT_SCENARIO, rounds: 8, tasksPerRound: 100 };

describe("simulateRules", () => {
  test("behavior: the metrics of a fixed scenario are the committed ones (golden/simulate.json); another seed changes them", () => {
    const run = (seed: string) => simulateRules(data, buildScenario(data, { ...cfg, attack: "collusion", seed }), ["robust-trust", "mean"]);
    const a = run(cfg.seed);
    expectGolden(path.join(__dirname, "golden", "simulate.json"), a);
    expect(run("9")).not.toEqual(a);
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

  test("behavior: reports every metric the CLI promises, each a finite number in its range (null only where documented)", () => {
    const res = simulateRules(data, buildScenario(data, { ...cfg, rounds: 4, attack: "boosting" }), ["median", "robust-trust"]);
    const inRange = (lo: number, hi: number) => (v: unknown) => typeof v === "number" && Number.isFinite(v) && v >= lo && v <= hi;
    const count = (v: unknown) => typeof v === "number" && Number.isInteger(v) && v >= 0;
    const nullOr = (check: (v: unknown) => boolean) => (v: unknown) => v === null || check(v);
    const spec: Record<keyof RuleMetrics, (v: unknown) => boolean> = {
      mae: inRange(0, 10),
      spearman: nullOr(inRange(-1, 1)),
      evaluatorRewardMean: inRange(0, Number.MAX_VALUE),
      evaluatorRewardVar: inRange(0, Number.MAX_VALUE),
      trustMean: inRange(0, 1),
      inferenceRewardCv: inRange(0, Number.MAX_VALUE),
      slashPrecision: nullOr(inRange(0, 1)),
      slashRecall: nullOr(inRange(0, 1)),
      honestSlashed: count,
      maliciousSlashed: count,
      roundsToSlash: nullOr(count),
      slashRecallAt10: nullOr(inRange(0, 1)),
      maliciousPoolShare: inRange(0, 1),
      fairShare: inRange(0, 1),
      breakerRounds: count,
      maxFlaggedStakePpm: inRange(0, 1_000_000),
      maeMeanSameReports: inRange(0, 10),
      maeMedianSameReports: inRange(0, 10),
    };
    for (const [rule, m] of Object.entries(res)) {
      expect(Object.keys(m!).sort(), rule).toEqual(Object.keys(spec).sort());
      for (const [key, ok] of Object.entries(spec)) expect(ok(m![key as keyof RuleMetrics]), `${rule}.${key} = ${m![key as keyof RuleMetrics]}`).toBe(true);
    }
    // The checks themselves refuse what a broken metric would be.
    expect(spec.mae(Number.NaN)).toBe(false);
    expect(spec.spearman(Number.NaN)).toBe(false);
    expect(spec.maliciousPoolShare(undefined)).toBe(false);
  });

  test("behavior: camp-shield: a camp with a steady offset splits the evaluators in two, and the boosters beside it are still slashed; no honest evaluator is", () => {
    // 50% coalition: 36% of the stake forms a camp at +1 (inside the honest band), 14% boosts by 3. Honest offsets +-0.1,
    // so the camp stands apart from them and the two-camp test holds in most rounds.
    const scenario = buildScenario(data, {
      ...cfg,
      rounds: 20,
      evaluators: 50,
      k: 7,
      honestBias: 0.1,
      honestSigmaMin: 0.3,
      honestSigmaMax: 0.6,
      maliciousRatio: 0.5,
      attack: "camp-shield",
      attackParams: { ...cfg.attackParams, shieldShare: 0.28 },
    });
    const m = simulateRule(data, scenario, "robust-trust");
    // Without the camp rule (a split froze all low-trust slashing) the boosters kept their stake: recall 0.
    expect(m.breakerRounds).toBeGreaterThanOrEqual(10);
    expect(m.honestSlashed).toBe(0);
    expect(m.slashRecallAt10).toBeGreaterThanOrEqual(0.9);
  });

  test("behavior: a coalition reporting UNAVAILABLE (abstain) earns nothing and is never treated as non-revealing", () => {
    const m = simulateRule(data, buildScenario(data, { ...cfg, rounds: 4, attack: "abstain" }), "robust-trust");
    expect(m.maliciousPoolShare).toBe(0);
    expect(m.maliciousSlashed).toBe(0);
  });
});

