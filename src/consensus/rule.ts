import type { ConsensusParams } from "./params";
import type { RoundScores } from "./round";

/** Decayed sufficient statistics of an evaluator's residuals: n in milli-counts, s1 = sum r, s2 = sum r^2 (score units). */
export type PushStat = { n: number; s1: number; s2: number };

/**
 * Evidence an evaluator carries from round to round (integers only): its residuals against the references of its
 * tasks, all of them (`all`), those with room to push up (`up`, residuals as they are) and down (`down`, residuals
 * negated), and the same two per inference node (`nodes`, keyed by the node's index in the round).
 */
export type EvidenceState = {
  all: PushStat;
  up: PushStat;
  down: PushStat;
  nodes: Map<number, { up: PushStat; down: PushStat }>;
  /** Informativeness for the payment: n = milli-seats, s1 = seat-weighted sum of peer-prediction scores (ppm), s2 = of their squares / 1000. */
  info: PushStat;
};

/** What a rule sees for one round. Arrays are indexed by evaluator (trust, stakeUnits, nonRevealed) or task (gold). */
export type RuleInput = {
  round: RoundScores;
  /** Trust before this round (ppm), one per evaluator. */
  trust: Int32Array;
  /** Stake units per evaluator (stake / stakeUnitWei, capped): the weights of stake-weighted yardsticks. */
  stakeUnits: Int32Array;
  /** Known quality of gold tasks (0..10000), -1 for ordinary tasks. */
  gold: Int32Array;
  /** 1 for an evaluator that was assigned (or committed) but did not reveal. */
  nonRevealed: Uint8Array;
  params: ConsensusParams;
  /** Inference node index per task, for the per-(evaluator, node) push tests; absent: one node. */
  taskNode?: Int32Array;
  /** Evidence from earlier rounds, per evaluator; absent or undefined: none yet. */
  evidence?: readonly (EvidenceState | undefined)[];
};

/** Per-round detail of a trust rule (the robust rule fills it; others leave it out). */
export type RuleDetail = {
  /** Round score per evaluator (ppm); PPM for evaluators without evidence. */
  q: Int32Array;
  /** Largest push significance per evaluator (milli-z), -1e9 without evidence. */
  pushMilli: Int32Array;
  /** 1 for an evaluator whose push significance lowered its round score (q < 1). */
  flagged: Uint8Array;
  /** 1 for an evaluator whose push significance reaches zLo - breakerZSlack: the circuit breaker counts their stake. */
  suspect: Uint8Array;
  /** 1 for an evaluator whose push also stands apart from the confirmation quantile evaluator's (see confirm()). */
  confirmed: Uint8Array;
  /** Per task: the weighted median of all its scores with the final weights (-1: none). */
  taskMedian: Int32Array;
  /** Per score entry: the leave-one-out reference it was measured against (-1: none). */
  reference: Int32Array;
  /** Evidence after this round, per evaluator. */
  evidence: EvidenceState[];
  /** Seat-weighted median of the round's gold residuals (score units), 0 without gold scores: population drift. */
  goldDrift: number;
};

export type RuleOutput = {
  /** Consensus per task (0..10000), -1 where no score was revealed. */
  consensus: Int32Array;
  /** Trust after this round (ppm), one per evaluator; stateless rules return it unchanged. */
  trust: Int32Array;
  detail?: RuleDetail;
};

/** An aggregation rule with its trust update. Pure: the same input gives the same output on every machine. */
export interface ConsensusRule {
  readonly name: string;
  readonly description: string;
  /** False for stateless rules (mean, median, trimmed), which never move trust and so never slash for low trust. */
  readonly usesTrust: boolean;
  run(input: RuleInput): RuleOutput;
}

/**
 * Applies a per-task aggregator to every task of the round; it gets the task's scores, their seats (ones when the
 * round carries none) and their evaluator indexes. A task without scores gets -1.
 */
export function perTask(round: RoundScores, aggregate: (scores: Int32Array, seats: Int32Array, evaluators: Int32Array) => number): Int32Array {
  const out = new Int32Array(round.taskCount);
  const seats = round.seats ?? new Int32Array(round.score.length).fill(1);
  for (let t = 0; t < round.taskCount; t++) {
    const a = round.start[t];
    const b = round.start[t + 1];
    out[t] = b > a ? aggregate(round.score.subarray(a, b), seats.subarray(a, b), round.evaluator.subarray(a, b)) : -1;
  }
  return out;
}
