import type { RoundScores } from "../consensus/round";
import { getRule } from "../consensus/rules";
import { evaluatorWeights } from "./evaluatorRewards";
import { inferenceWeights } from "./inferenceRewards";
import type { SettlementParams } from "./params";
import { applySlashingPolicy, type SlashReason } from "./slashing";
import { splitPool } from "./splitPool";

/**
 * One round's consensus, trust, rewards and slashes on evaluator and inference-node indexes (no addresses, no
 * hashing): the computational core shared by buildSettlement and the simulator, so both produce the same numbers.
 */
export type RoundCoreInput = {
  /** Revealed scores (valid reveals only). */
  round: RoundScores;
  /** Per task: index of its inference node (0..nodeCount-1). */
  taskNode: Int32Array;
  /** Per task: cost units. */
  taskCost: readonly bigint[];
  nodeCount: number;
  /** Per task: known quality 0..10000 of a gold task, -1 otherwise. */
  gold: Int32Array;
  /** Per evaluator, before this round. */
  trust: Int32Array;
  lowStreak: Int32Array;
  stakeUnits: Int32Array;
  /** Per evaluator: 1 when assigned at least one task this round (or committed). */
  participated: Uint8Array;
  /** Per evaluator: 1 when it was due to reveal and did not (or revealed something invalid). */
  nonRevealed: Uint8Array;
  inferencePool: bigint;
  evaluatorPool: bigint;
  params: SettlementParams;
};

export type RoundCoreOutput = {
  consensus: Int32Array;
  trust: Int32Array;
  lowStreak: Int32Array;
  /** Per inference node. */
  inferenceAmounts: bigint[];
  /** Per evaluator. */
  evaluatorAmounts: bigint[];
  inferencePaid: bigint;
  evaluatorPaid: bigint;
  slashes: { evaluator: number; reason: SlashReason }[];
  /** Per task: the cost-aware weight alpha*q - beta*c (ppm^2, floored at 0); 0 for gold tasks. */
  inferenceTaskWeights: number[];
  /** Per score entry: trust * agreement (ppm). */
  evaluationPayoffPpm: Int32Array;
};

function sum(xs: readonly bigint[]): bigint {
  let s = 0n;
  for (const x of xs) s += x;
  return s;
}

export function settleRoundCore(input: RoundCoreInput): RoundCoreOutput {
  const { params, round } = input;
  const rule = getRule(params.rule);
  const { consensus, trust } = rule.run({
    round,
    trust: input.trust,
    stakeUnits: input.stakeUnits,
    gold: input.gold,
    nonRevealed: input.nonRevealed,
    params: params.consensus,
  });

  const taskWeights = inferenceWeights(consensus, input.gold, input.taskCost, params.alphaPpm, params.betaPpm);
  const nodeWeights = new Array<bigint>(input.nodeCount).fill(0n);
  for (let t = 0; t < taskWeights.length; t++) if (taskWeights[t] > 0) nodeWeights[input.taskNode[t]] += BigInt(taskWeights[t]);
  const inferenceAmounts = splitPool(input.inferencePool, nodeWeights);

  const ev = evaluatorWeights(round, consensus, input.gold, trust, input.nonRevealed, params.agreementTolerance);
  const evaluatorAmounts = splitPool(input.evaluatorPool, ev.weights);

  const slashing = applySlashingPolicy({
    trust,
    lowStreak: input.lowStreak,
    participated: input.participated,
    nonRevealed: input.nonRevealed,
    usesTrust: rule.usesTrust,
    thresholdPpm: params.slashThresholdPpm,
    afterRounds: params.slashAfterRounds,
    maxSlashes: params.maxSlashes,
  });

  return {
    consensus,
    trust,
    lowStreak: slashing.lowStreak,
    inferenceAmounts,
    evaluatorAmounts,
    inferencePaid: sum(inferenceAmounts),
    evaluatorPaid: sum(evaluatorAmounts),
    slashes: slashing.slashes,
    inferenceTaskWeights: taskWeights,
    evaluationPayoffPpm: ev.payoffPpm,
  };
}
