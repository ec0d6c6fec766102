import { SCORE_MAX } from "../consensus/fixedPoint";
import type { RoundScores } from "../consensus/round";
import { RULE_NAMES, type RuleName, getRule } from "../consensus/rules";
import { type SettlementParams, settlementParams } from "../rewards/params";
import { settleRoundCore } from "../rewards/settleRound";
import { SlashReason } from "../rewards/slashing";
import { getAttack } from "./attacks";
import { cvOf, maeOf, meanOf, precisionRecall, spearmanOf, varianceOf } from "./metrics";
import { type Scenario, type SimData } from "./scenario";

/** What the simulator reports per rule (floats; null where undefined). */
export type RuleMetrics = {
  /** Mean absolute error of consensus against ground truth (0..10 scale), ordinary tasks of all rounds. */
  mae: number;
  spearman: number | null;
  /** Mean and variance of the per-evaluation payoff trust * agreement in [0, 1] (all evaluations of all rounds). */
  evaluatorRewardMean: number;
  evaluatorRewardVar: number;
  /** Mean and variance of the per-evaluation agreement max(0, 1 - |s - ref| / tolerance) alone (the payoff without trust). */
  agreementMean: number;
  agreementVar: number;
  /** Mean trust after the round over all evaluations (the payoff's other factor). */
  trustMean: number;
  /** Coefficient of variation of the per-task cost-aware inference reward max(0, alpha q - beta c). */
  inferenceRewardCv: number;
  /** Over evaluators slashed for low trust at least once in the run; null when nobody (precision) or no attacker (recall). */
  slashPrecision: number | null;
  slashRecall: number | null;
  /** First round (1-based) by which 90% of the attackers were slashed; null if never. */
  roundsToSlash: number | null;
  /** Median over attackers of the first round (1-based) their trust fell below the slash threshold; null if most never did. */
  roundsToThreshold: number | null;
  /** Slash recall after 10 rounds (null without attackers). */
  slashRecallAt10: number | null;
  /** Share of the evaluator pool paid to malicious evaluators. */
  maliciousPoolShare: number;
  /** Mean per-evaluation token reward as a fraction of the per-task evaluator budget (pool / tasks). */
  evaluationTokenShare: number;
};

const round6 = (x: number): number => Math.round(x * 1e6) / 1e6;
const finiteOrNull = (x: number | null): number | null => (x === null || !Number.isFinite(x) ? null : round6(x));

/** Runs every round of the scenario under one rule. Deterministic. */
export function simulateRule(data: SimData, scenario: Scenario, rule: RuleName, overrides: Partial<SettlementParams> = {}): RuleMetrics {
  const { config, malicious } = scenario;
  const params = settlementParams({ ...overrides, rule, consensus: overrides.consensus });
  const usesTrust = getRule(rule).usesTrust;
  const attack = getAttack(config.attack);
  const M = config.evaluators;
  const T = config.tasksPerRound;
  let trust: Int32Array = new Int32Array(M).fill(params.consensus.initialTrustPpm);
  let lowStreak: Int32Array = new Int32Array(M);
  const stakeUnits = new Int32Array(M).fill(1);
  const nonRevealed = new Uint8Array(M);
  const firstSlash = new Int32Array(M).fill(-1);
  const firstBelow = new Int32Array(M).fill(-1);

  const truths: number[] = [];
  const consensusValues: number[] = [];
  const payoffs: number[] = [];
  const agreements: number[] = [];
  let trustSum = 0;
  const inference: number[] = [];
  let maliciousPaid = 0n;
  let evaluatorPaid = 0n;
  let tokenShareSum = 0;
  let tokenShareCount = 0;
  let lastConsensus: number | null = null;
  const evaluatorPool = 10n ** 20n;
  const inferencePool = 10n ** 21n;

  for (let r = 0; r < scenario.rounds.length; r++) {
    const plan = scenario.rounds[r];
    const n = plan.evaluator.length;
    const score = new Int32Array(n);
    const participated = new Uint8Array(M);
    const evaluations = new Int32Array(M);
    for (let p = 0; p < n; p++) {
      const e = plan.evaluator[p];
      participated[e] = 1;
      evaluations[e]++;
      let s = plan.honest[p];
      if (malicious[e]) {
        const t = Math.floor(p / config.k);
        s = attack.score({
          honest: s,
          z: plan.z[p],
          u: plan.u[p],
          targetNode: data.node[plan.item[t]] === scenario.targetNode,
          lastConsensus,
          params: config.attackParams,
        });
      }
      score[p] = Math.max(0, Math.min(SCORE_MAX, Math.round(s * 1000)));
    }
    const round: RoundScores = { taskCount: T, evaluatorCount: M, start: plan.start, evaluator: plan.evaluator, score };
    const out = settleRoundCore({
      round,
      taskNode: Int32Array.from(plan.item, (i) => data.node[i]),
      taskCost: Array.from(plan.item, (i) => data.cost[i]),
      nodeCount: data.nodeNames.length,
      gold: plan.gold,
      trust,
      lowStreak,
      stakeUnits,
      participated,
      nonRevealed,
      inferencePool,
      evaluatorPool,
      params,
    });
    trust = out.trust;
    lowStreak = out.lowStreak;

    let csum = 0;
    let ccount = 0;
    for (let t = 0; t < T; t++) {
      if (plan.gold[t] >= 0 || out.consensus[t] < 0) continue;
      truths.push(data.truth[plan.item[t]]);
      consensusValues.push(out.consensus[t] / 1000);
      inference.push(out.inferenceTaskWeights[t] / 1e12);
      csum += out.consensus[t];
      ccount++;
    }
    lastConsensus = ccount ? csum / ccount / 1000 : null;
    for (let p = 0; p < n; p++) payoffs.push(out.evaluationPayoffPpm[p] / 1e6);
    for (let t = 0; t < T; t++) {
      const ref = plan.gold[t] >= 0 ? plan.gold[t] : out.consensus[t];
      if (ref < 0) continue;
      for (let p = plan.start[t]; p < plan.start[t + 1]; p++) {
        agreements.push(Math.max(0, 1 - Math.abs(score[p] - ref) / params.agreementTolerance));
        trustSum += out.trust[plan.evaluator[p]] / 1e6;
      }
    }
    for (let e = 0; e < M; e++) {
      evaluatorPaid += out.evaluatorAmounts[e];
      if (malicious[e]) maliciousPaid += out.evaluatorAmounts[e];
      if (firstBelow[e] < 0 && participated[e] && trust[e] < params.slashThresholdPpm) firstBelow[e] = r + 1;
    }
    for (const s of out.slashes) if (s.reason === SlashReason.LowTrust && firstSlash[s.evaluator] < 0) firstSlash[s.evaluator] = r + 1;
    // Token reward per evaluation, relative to the per-task evaluator budget (pool / T).
    const perTask = Number(evaluatorPool) / T;
    for (let e = 0; e < M; e++) {
      tokenShareSum += Number(out.evaluatorAmounts[e]) / perTask;
      tokenShareCount += evaluations[e];
    }
  }

  const attackers = new Set<number>();
  for (let e = 0; e < M; e++) if (malicious[e] && config.attack !== "none") attackers.add(e);
  const slashed = new Set<number>();
  for (let e = 0; e < M; e++) if (firstSlash[e] > 0) slashed.add(e);
  const { precision, recall } = precisionRecall(slashed, attackers);

  let roundsToSlash: number | null = null;
  let recallAt10: number | null = null;
  if (attackers.size > 0) {
    for (let r = 1; r <= scenario.rounds.length && roundsToSlash === null; r++) {
      let c = 0;
      for (const e of attackers) if (firstSlash[e] > 0 && firstSlash[e] <= r) c++;
      if (c >= 0.9 * attackers.size) roundsToSlash = r;
    }
    let c10 = 0;
    for (const e of attackers) if (firstSlash[e] > 0 && firstSlash[e] <= 10) c10++;
    recallAt10 = c10 / attackers.size;
  }
  let roundsToThreshold: number | null = null;
  if (attackers.size > 0 && usesTrust) {
    const firsts = [...attackers].map((e) => (firstBelow[e] > 0 ? firstBelow[e] : Number.POSITIVE_INFINITY)).sort((a, b) => a - b);
    const med = firsts[Math.floor((firsts.length - 1) / 2)];
    roundsToThreshold = Number.isFinite(med) ? med : null;
  }

  return {
    mae: round6(maeOf(consensusValues, truths)),
    spearman: finiteOrNull(spearmanOf(consensusValues, truths)),
    evaluatorRewardMean: round6(meanOf(payoffs)),
    evaluatorRewardVar: round6(varianceOf(payoffs)),
    agreementMean: round6(meanOf(agreements)),
    agreementVar: round6(varianceOf(agreements)),
    trustMean: round6(agreements.length ? trustSum / agreements.length : 0),
    inferenceRewardCv: round6(cvOf(inference)),
    slashPrecision: finiteOrNull(precision),
    slashRecall: finiteOrNull(recall),
    roundsToSlash,
    roundsToThreshold,
    slashRecallAt10: finiteOrNull(recallAt10),
    maliciousPoolShare: round6(evaluatorPaid > 0n ? Number(maliciousPaid) / Number(evaluatorPaid) : 0),
    evaluationTokenShare: round6(tokenShareCount ? tokenShareSum / tokenShareCount : 0),
  };
}

export type SimulationResult = { default: RuleName; rules: Partial<Record<RuleName, RuleMetrics>> };

export function simulateRules(data: SimData, scenario: Scenario, rules: readonly RuleName[] = RULE_NAMES, overrides: Partial<SettlementParams> = {}): Partial<Record<RuleName, RuleMetrics>> {
  const out: Partial<Record<RuleName, RuleMetrics>> = {};
  for (const r of rules) out[r] = simulateRule(data, scenario, r, overrides);
  return out;
}
