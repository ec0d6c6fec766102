import type { RoundScores } from "../consensus/round";
import type { EvidenceState } from "../consensus/rule";
import { getRule } from "../consensus/rules";
import { meanOf } from "../consensus/robustTrust";
import { evaluatorWeights } from "./evaluatorRewards";
import { inferenceWeights } from "./inferenceRewards";
import type { SettlementParams } from "./params";
import { applySlashingPolicy, type Breaker, type SlashReason } from "./slashing";
import { splitPool } from "./splitPool";

/**
 * One round's consensus, trust, rewards and slashes on evaluator and inference-node indexes (no addresses, no
 * hashing): the computational core of buildSettlement. The simulator reaches it only through buildSettlement.
 */
export type RoundCoreInput = {
  /** Valid scores of the round's included tasks (UNAVAILABLE entries and excluded tasks removed), with seats. */
  round: RoundScores;
  /** Per task: index of its inference node (0..nodeCount-1). */
  taskNode: Int32Array;
  /** Per task: cost units. */
  taskCost: readonly bigint[];
  nodeCount: number;
  /** Per task: known quality 0..10000 of a gold task, -1 otherwise. */
  gold: Int32Array;
  /** Per task: 1 when the task is excluded (most of its revealers could not fetch the output). */
  excluded: Uint8Array;
  /** Per evaluator, before this round. */
  trust: Int32Array;
  lowStreak: Int32Array;
  evidence: readonly (EvidenceState | undefined)[];
  /** Stake units per evaluator (yardstick weights, capped) and exact stake (breaker). */
  stakeUnits: Int32Array;
  stake: readonly bigint[];
  /** Per evaluator: 1 when it revealed a valid reveal. */
  revealed: Uint8Array;
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
  /** Evidence after the round, per evaluator (robust rule; carried over unchanged by the others). */
  evidence: (EvidenceState | undefined)[];
  /** Per evaluator (ppm): this round's score q and push significance (milli-z); null for rules without them. */
  q: Int32Array | null;
  pushMilli: Int32Array | null;
  flagged: Uint8Array;
  /** Per inference node. */
  inferenceAmounts: bigint[];
  /** Per evaluator. */
  evaluatorAmounts: bigint[];
  inferencePaid: bigint;
  evaluatorPaid: bigint;
  slashes: { evaluator: number; reason: SlashReason }[];
  breaker: Breaker;
  /** Seat-weighted median gold residual of the round (score units). */
  goldDrift: number;
  /** Per task: the cost-aware weight alpha*q - beta*c (ppm^2, floored at 0); 0 for gold and excluded tasks. */
  inferenceTaskWeights: number[];
  /** Per score entry: trust * (bonus - penalty) (ppm). */
  evaluationPayoffPpm: Int32Array;
  /** Per evaluator: seat-weighted peer-prediction score (ppm) before the floor and the trust factor. */
  evaluatorScorePpm: number[];
};

function sum(xs: readonly bigint[]): bigint {
  let s = 0n;
  for (const x of xs) s += x;
  return s;
}

export function settleRoundCore(input: RoundCoreInput): RoundCoreOutput {
  const { params, round } = input;
  const rule = getRule(params.rule);
  const out = rule.run({
    round,
    trust: input.trust,
    stakeUnits: input.stakeUnits,
    gold: input.gold,
    nonRevealed: input.nonRevealed,
    params: params.consensus,
    taskNode: input.taskNode,
    evidence: input.evidence,
  });
  const { consensus, trust } = out;
  for (let t = 0; t < consensus.length; t++) if (input.excluded[t]) consensus[t] = -1;

  const taskWeights = inferenceWeights(consensus, input.gold, input.taskCost, params.alphaPpm, params.betaPpm);
  const nodeWeights = new Array<bigint>(input.nodeCount).fill(0n);
  for (let t = 0; t < taskWeights.length; t++) if (taskWeights[t] > 0) nodeWeights[input.taskNode[t]] += BigInt(taskWeights[t]);
  const inferenceAmounts = splitPool(input.inferencePool, nodeWeights);

  // Without a rule's leave-one-out references (stateless baselines), each score is compared with its task's consensus.
  const reference = out.detail?.reference ?? Int32Array.from(round.evaluator, (_, p) => p);
  if (!out.detail) for (let t = 0; t < round.taskCount; t++) for (let p = round.start[t]; p < round.start[t + 1]; p++) reference[p] = consensus[t];
  const taskReference = out.detail?.taskMedian ?? consensus;
  const ev = evaluatorWeights(round, consensus, taskReference, reference, input.gold, input.taskNode, trust, out.detail?.q ?? new Int32Array(trust.length).fill(1_000_000), input.nonRevealed, params.agreementTolerance, params.payCapPpm, params.payZMilli, (out.detail?.evidence ?? []).map((x) => x?.info), params.consensus.evidenceDecayPpm);
  const evidence = out.detail ? out.detail.evidence.map((x, e) => (x ? { ...x, info: ev.info[e] ?? x.info } : x)) : [...input.evidence];
  const evaluatorAmounts = splitPool(input.evaluatorPool, ev.weights);

  const flagged = out.detail?.flagged ?? new Uint8Array(trust.length);
  const confirmed = out.detail?.confirmed ?? new Uint8Array(trust.length);
  const suspect = out.detail?.suspect ?? flagged;
  const slashing = applySlashingPolicy({
    confirmed,
    suspect,
    trust,
    lowStreak: input.lowStreak,
    revealed: input.revealed,
    flagged,
    stake: input.stake,
    usesTrust: rule.usesTrust,
    thresholdPpm: params.slashThresholdPpm,
    afterRounds: params.slashAfterRounds,
    maxSlashes: params.maxSlashes,
    breakerPpm: params.breakerPpm,
    meanResidual: out.detail ? out.detail.evidence.map((x) => (x ? meanOf(x.all, params.consensus) : null)) : undefined,
    // Two camps further apart than the confirmation band, each with at least breakerPpm of the stake: see campSplit.
    // Only evaluators outside both camps' bands (3 MADs, at least confirmBand, at most honestBand + confirmBand) can
    // then be slashed.
    splitGap: rule.usesTrust ? params.consensus.confirmBand : 0,
    campBandMin: params.consensus.confirmBand,
    campBandMax: params.consensus.honestBand + params.consensus.confirmBand,
  });

  return {
    consensus,
    trust,
    lowStreak: slashing.lowStreak,
    evidence,
    q: out.detail?.q ?? null,
    pushMilli: out.detail?.pushMilli ?? null,
    flagged,
    inferenceAmounts,
    evaluatorAmounts,
    inferencePaid: sum(inferenceAmounts),
    evaluatorPaid: sum(evaluatorAmounts),
    slashes: slashing.slashes,
    breaker: slashing.breaker,
    goldDrift: out.detail?.goldDrift ?? 0,
    inferenceTaskWeights: taskWeights,
    evaluationPayoffPpm: ev.payoffPpm,
    evaluatorScorePpm: ev.scorePpm,
  };
}
