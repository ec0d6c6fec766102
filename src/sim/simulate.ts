import type { Address } from "viem";
import { SCORE_MAX, UNAVAILABLE } from "../consensus/fixedPoint";
import { weightedMedianScore } from "../consensus/weightedMedian";
import { RULE_NAMES, type RuleName, getRule } from "../consensus/rules";
import { inferenceWeights } from "../rewards/inferenceRewards";
import { type SettlementParams, settlementParams } from "../rewards/params";
import { type SettlementInput, type SettlementPayload, type TrustRecord, buildSettlement } from "../rewards/settlement";
import { SlashReason } from "../rewards/slashing";
import { getAttack } from "../adversary/attacks";
import { coefficientOfVariation, mean, meanAbsoluteError, precisionRecall, spearman, variance } from "../math/stats";
import { type Scenario, type SimData } from "./scenario";

/** What the simulator reports per rule (floats; null where undefined). */
export type RuleMetrics = {
  /** Mean absolute error of consensus against ground truth (0..10 scale), ordinary tasks of all rounds. */
  mae: number;
  spearman: number | null;
  /**
   * Per-evaluation reward: an evaluator's round amount divided by its evaluations, as a fraction of the per-task
   * evaluator budget (pool / tasks); mean and variance over the honest evaluators' (evaluator, round) pairs.
   */
  evaluatorRewardMean: number;
  evaluatorRewardVar: number;
  /** Mean trust after the round over the honest evaluators' (evaluator, round) pairs. */
  trustMean: number;
  /** Coefficient of variation of the per-task cost-aware inference reward max(0, alpha q - beta c). */
  inferenceRewardCv: number;
  /** Over evaluators slashed for low trust at least once in the run; null when nobody (precision) or no attacker (recall). */
  slashPrecision: number | null;
  slashRecall: number | null;
  /** Honest evaluators slashed at least once (count). */
  honestSlashed: number;
  /** Coalition evaluators slashed at least once (count). */
  maliciousSlashed: number;
  /** First round (1-based) by which 90% of the attackers were slashed; null if never. */
  roundsToSlash: number | null;
  /** Share of attackers slashed within 10 rounds of their first attack (null without attackers). */
  slashRecallAt10: number | null;
  /** Share of the evaluator pool paid to the coalition over the run. */
  maliciousPoolShare: number;
  /** The coalition's share of evaluator stake: its fair share of the pool. */
  fairShare: number;
  /**
   * Rounds in which the circuit breaker held (low-trust slashing frozen, or limited to evaluators outside both camps
   * of a split round); the largest flagged stake share seen (ppm).
   */
  breakerRounds: number;
  maxFlaggedStakePpm: number;
  /** MAE of the plain (seat-weighted) mean and median of the very same reports (baselines for the acceptance). */
  maeMeanSameReports: number;
  maeMedianSameReports: number;
};

const round6 = (x: number): number => Math.round(x * 1e6) / 1e6;
const finiteOrNull = (x: number | null): number | null => (x === null || !Number.isFinite(x) ? null : round6(x));

/** Pools the simulator settles each round. */
export const SIM_EVALUATOR_POOL = 10n ** 20n;
export const SIM_INFERENCE_POOL = 10n ** 21n;

/** One simulated round as buildSettlement sees it, and what the attackers did. */
export type SimRoundTrace = { slashed: Address[]; breakerTripped: boolean; flaggedStakePpm: number };

/**
 * Runs every round of the scenario under one rule, through buildSettlement, the function the relayer calls, with the
 * same inputs: addresses, stakes, the assignment drawn by assignEvaluators, reveals, gold tasks, the carried trust
 * state and the policy. Deterministic.
 */
export type SimHooks = {
  /** Called with every round's settlement input and payload (tests compare them with the relayer's path). */
  onRound?: (round: number, input: SettlementInput, payload: SettlementPayload) => void;
};

export function simulateRule(data: SimData, scenario: Scenario, rule: RuleName, overrides: Partial<SettlementParams> = {}, hooks: SimHooks = {}): RuleMetrics {
  const { config, population } = scenario;
  const params = settlementParams({ ...overrides, rule, consensus: overrides.consensus });
  const attack = getAttack(config.attack);
  const { addresses, stakes, malicious } = population;
  const M = addresses.length;
  const T = config.tasksPerRound;
  const stakeMap = new Map<Address, bigint>(addresses.map((a, i) => [a, stakes[i]]));
  const index = new Map<Address, number>(addresses.map((a, i) => [a, i]));
  let trust = new Map<Address, TrustRecord>();
  let cumulative = new Map<Address, bigint>();
  const firstSlash = new Int32Array(M).fill(-1);
  // Each attacker's rank in the coalition (address order) and the coalition's size, for attacks that split roles.
  const rank = new Int32Array(M);
  let coalition = 0;
  for (let e = 0; e < M; e++) if (malicious[e]) rank[e] = coalition++;

  const truths: number[] = [];
  const consensusValues: number[] = [];
  const meanValues: number[] = [];
  const medianValues: number[] = [];
  const rewardsPerEval: number[] = [];
  let trustSum = 0;
  let trustCount = 0;
  const inference: number[] = [];
  let maliciousPaid = 0n;
  let evaluatorPaid = 0n;
  let lastConsensus: number | null = null;
  let lastNodeConsensus = new Map<number, number>();
  let breakerRounds = 0;
  let maxFlagged = 0;
  const nodeAddr = scenario.nodeAddresses;

  for (let r = 0; r < scenario.rounds.length; r++) {
    const plan = scenario.rounds[r];
    const reveals = new Map<Address, number[]>();
    const evaluations = new Int32Array(M);
    const baseMean = new Float64Array(T);
    const baseMedian = new Float64Array(T);
    for (let t = 0; t < T; t++) {
      const m = plan.members[t];
      const taskScores: number[] = [];
      const taskSeats: number[] = [];
      const node = data.node[plan.item[t]];
      let blocSum = 0;
      let blocN = 0;
      for (let j = 0; j < m.length; j++) {
        if (malicious[m[j]]) {
          blocSum += plan.honest[t][j];
          blocN++;
        }
      }
      for (let j = 0; j < m.length; j++) {
        const e = m[j];
        evaluations[e]++;
        let s = plan.honest[t][j];
        if (malicious[e]) {
          s = attack.score({
            honest: s,
            z: plan.z[t][j],
            u: plan.u[t][j],
            targetNode: node === scenario.targetNode,
            lastConsensus,
            lastNodeConsensus: lastNodeConsensus.get(node) ?? null,
            blocMean: blocN ? blocSum / blocN : s,
            gold: plan.gold[t] >= 0,
            round: r,
            member: rank[e],
            coalition,
            params: config.attackParams,
          });
        }
        const score = Number.isNaN(s) ? UNAVAILABLE : Math.max(0, Math.min(SCORE_MAX, Math.round(s * 1000)));
        const list = reveals.get(addresses[e]);
        if (list) list.push(score);
        else reveals.set(addresses[e], [score]);
        if (score === UNAVAILABLE) continue;
        let seats = 0;
        for (const d of plan.draws[t]) if (d === e) seats++;
        taskScores.push(score);
        taskSeats.push(seats);
      }
      let num = 0;
      let den = 0;
      for (let i = 0; i < taskScores.length; i++) {
        num += taskScores[i] * taskSeats[i];
        den += taskSeats[i];
      }
      baseMean[t] = den > 0 ? num / den / 1000 : 0;
      baseMedian[t] = den > 0 ? weightedMedianScore(taskScores, taskSeats) / 1000 : 0;
    }
    const gold = new Map<number, number>();
    for (let t = 0; t < T; t++) if (plan.gold[t] >= 0) gold.set(t, plan.gold[t]);
    const settlementInput: SettlementInput = {
      roundId: BigInt(r + 1),
      tasks: Array.from(plan.item, (it, i) => ({ index: i, inferenceNode: nodeAddr[data.node[it]], costUnits: data.cost[it] })),
      assignment: { byTask: plan.draws.map((row) => Array.from(row, (e) => addresses[e])) },
      reveals,
      trust,
      stakes: stakeMap,
      previousCumulative: cumulative,
      gold,
      inferencePool: SIM_INFERENCE_POOL,
      evaluatorPool: SIM_EVALUATOR_POOL,
      params,
    };
    const out = buildSettlement(settlementInput);
    hooks.onRound?.(r, settlementInput, out);
    trust = out.trust;
    cumulative = new Map(out.cumulative.map((c) => [c.account, c.cumulativeAmount]));
    if (out.breaker.tripped || out.breaker.split) breakerRounds++;
    maxFlagged = Math.max(maxFlagged, out.breaker.flaggedStakePpm);

    const cons = Int32Array.from(out.consensus);
    const taskW = inferenceWeights(cons, plan.gold, Array.from(plan.item, (it) => data.cost[it]), params.alphaPpm, params.betaPpm);
    let csum = 0;
    let ccount = 0;
    const nodeSum = new Map<number, [number, number]>();
    const excluded = new Set(out.excludedTasks);
    for (let t = 0; t < T; t++) {
      if (plan.gold[t] >= 0 || excluded.has(t)) continue;
      const c = out.consensus[t];
      truths.push(data.truth[plan.item[t]]);
      consensusValues.push(c / 1000);
      meanValues.push(baseMean[t]);
      medianValues.push(baseMedian[t]);
      inference.push(taskW[t] / 1e12);
      csum += c;
      ccount++;
      const node = data.node[plan.item[t]];
      const ns = nodeSum.get(node) ?? [0, 0];
      nodeSum.set(node, [ns[0] + c, ns[1] + 1]);
    }
    lastConsensus = ccount ? csum / ccount / 1000 : null;
    lastNodeConsensus = new Map([...nodeSum].map(([k, [s, n]]) => [k, s / n / 1000]));
    const amount = new Map(out.rewards.map((x) => [x.account, x.amount]));
    const perTaskBudget = Number(SIM_EVALUATOR_POOL) / T;
    for (let e = 0; e < M; e++) {
      const a = amount.get(addresses[e]) ?? 0n;
      evaluatorPaid += a;
      if (malicious[e]) maliciousPaid += a;
      else if (evaluations[e] > 0) {
        rewardsPerEval.push(Number(a) / evaluations[e] / perTaskBudget);
        trustSum += out.trust.get(addresses[e])!.trustPpm / 1e6;
        trustCount++;
      }
    }
    for (const s of out.slashes) {
      const e = index.get(s.evaluator)!;
      if (s.reason === SlashReason.LowTrust && firstSlash[e] < 0) firstSlash[e] = r + 1;
    }
  }

  const attackers = new Set<number>();
  for (let e = 0; e < M; e++) {
    if (!malicious[e] || config.attack === "none") continue;
    if (!attack.detectable || attack.detectable(rank[e], coalition, config.attackParams)) attackers.add(e);
  }
  const slashed = new Set<number>();
  let honestSlashed = 0;
  let maliciousSlashed = 0;
  for (let e = 0; e < M; e++) {
    if (firstSlash[e] <= 0) continue;
    slashed.add(e);
    if (malicious[e]) maliciousSlashed++;
    else honestSlashed++;
  }
  const { precision, recall } = precisionRecall(slashed, attackers);
  let roundsToSlash: number | null = null;
  let recallAt10: number | null = null;
  if (attackers.size > 0) {
    for (let r = 1; r <= scenario.rounds.length && roundsToSlash === null; r++) {
      let c = 0;
      for (const e of attackers) if (firstSlash[e] > 0 && firstSlash[e] <= r) c++;
      if (c >= 0.9 * attackers.size) roundsToSlash = r;
    }
    const limit = attack.firstAttackRound(config.attackParams) + 10;
    let c10 = 0;
    for (const e of attackers) if (firstSlash[e] > 0 && firstSlash[e] <= limit) c10++;
    recallAt10 = c10 / attackers.size;
  }
  return {
    mae: round6(meanAbsoluteError(consensusValues, truths)),
    spearman: finiteOrNull(spearman(consensusValues, truths)),
    evaluatorRewardMean: round6(mean(rewardsPerEval)),
    evaluatorRewardVar: round6(variance(rewardsPerEval)),
    trustMean: round6(trustCount ? trustSum / trustCount : 0),
    inferenceRewardCv: round6(coefficientOfVariation(inference)),
    slashPrecision: finiteOrNull(precision),
    slashRecall: finiteOrNull(recall),
    honestSlashed,
    maliciousSlashed,
    roundsToSlash,
    slashRecallAt10: finiteOrNull(recallAt10),
    maliciousPoolShare: round6(evaluatorPaid > 0n ? Number(maliciousPaid) / Number(evaluatorPaid) : 0),
    fairShare: round6(population.fairShare),
    breakerRounds,
    maxFlaggedStakePpm: maxFlagged,
    maeMeanSameReports: round6(meanAbsoluteError(meanValues, truths)),
    maeMedianSameReports: round6(meanAbsoluteError(medianValues, truths)),
  };
}

export type SimulationResult = { default: RuleName; rules: Partial<Record<RuleName, RuleMetrics>> };

export function simulateRules(data: SimData, scenario: Scenario, rules: readonly RuleName[] = RULE_NAMES, overrides: Partial<SettlementParams> = {}): Partial<Record<RuleName, RuleMetrics>> {
  const out: Partial<Record<RuleName, RuleMetrics>> = {};
  for (const r of rules) {
    getRule(r);
    out[r] = simulateRule(data, scenario, r, overrides);
  }
  return out;
}
