import type { ConsensusParams } from "./params";
import type { RoundScores } from "./round";

/** What a rule sees for one round. Arrays are indexed by evaluator (trust, stakeUnits, nonRevealed) or task (gold). */
export type RuleInput = {
  round: RoundScores;
  /** Trust before this round (ppm), one per evaluator. */
  trust: Int32Array;
  /** Stake weight units (>= 1), one per evaluator. */
  stakeUnits: Int32Array;
  /** Known quality of gold tasks (0..10000), -1 for ordinary tasks. */
  gold: Int32Array;
  /** 1 for an evaluator that was assigned (or committed) but did not reveal. */
  nonRevealed: Uint8Array;
  params: ConsensusParams;
};

export type RuleOutput = {
  /** Consensus per task (0..10000), -1 where no score was revealed. */
  consensus: Int32Array;
  /** Trust after this round (ppm), one per evaluator; stateless rules return it unchanged. */
  trust: Int32Array;
};

/** An aggregation rule with its trust update. Pure: the same input gives the same output on every machine. */
export interface ConsensusRule {
  readonly name: string;
  readonly description: string;
  /** False for stateless rules (mean, median, trimmed), which never move trust and so never slash for low trust. */
  readonly usesTrust: boolean;
  run(input: RuleInput): RuleOutput;
}

/** Applies a per-task aggregator to every task of the round. */
export function perTask(round: RoundScores, aggregate: (scores: Int32Array, t: number) => number): Int32Array {
  const out = new Int32Array(round.taskCount);
  for (let t = 0; t < round.taskCount; t++) {
    const a = round.start[t];
    const b = round.start[t + 1];
    out[t] = b > a ? aggregate(round.score.subarray(a, b), t) : -1;
  }
  return out;
}
