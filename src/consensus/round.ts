import { InputError } from "../errors";
import { isScore } from "./fixedPoint";

/**
 * The revealed scores of one round in compressed-row form: the entries of task t are
 * `start[t] .. start[t + 1] - 1`, each an (evaluator index, score) pair. Evaluators are indexed 0..evaluatorCount-1
 * (the settlement orders them by address). Only revealed scores appear; a task may have fewer than k entries.
 */
export type RoundScores = {
  taskCount: number;
  evaluatorCount: number;
  start: Int32Array;
  evaluator: Int32Array;
  score: Int32Array;
  /**
   * Seats of each entry: how many of the task's k stake-weighted draws picked its evaluator (the weight of its one
   * score). Absent: one seat each.
   */
  seats?: Int32Array;
};

export type ScoreEntry = { evaluator: number; score: number; seats?: number };

/** Seats of entry p (1 when the round carries none). */
export function seatsOf(round: RoundScores, p: number): number {
  return round.seats ? round.seats[p] : 1;
}

/** Builds a RoundScores from per-task lists of entries; checks indexes, scores and duplicate evaluators per task. */
export function buildRoundScores(evaluatorCount: number, perTask: ScoreEntry[][]): RoundScores {
  const taskCount = perTask.length;
  const start = new Int32Array(taskCount + 1);
  let total = 0;
  for (let t = 0; t < taskCount; t++) {
    start[t] = total;
    total += perTask[t].length;
  }
  start[taskCount] = total;
  const evaluator = new Int32Array(total);
  const score = new Int32Array(total);
  const seats = new Int32Array(total);
  let p = 0;
  for (let t = 0; t < taskCount; t++) {
    const seen = new Set<number>();
    for (const e of perTask[t]) {
      if (!Number.isInteger(e.evaluator) || e.evaluator < 0 || e.evaluator >= evaluatorCount) {
        throw new InputError(`task ${t}: evaluator index ${e.evaluator} out of range`);
      }
      if (seen.has(e.evaluator)) throw new InputError(`task ${t}: evaluator ${e.evaluator} scored twice`);
      if (!isScore(e.score)) throw new InputError(`task ${t}: score ${e.score} is not an integer in 0..10000`);
      seen.add(e.evaluator);
      const st = e.seats ?? 1;
      if (!Number.isInteger(st) || st < 1 || st > 65_535) throw new InputError(`task ${t}: seats ${st} must be an integer in 1..65535`);
      evaluator[p] = e.evaluator;
      score[p] = e.score;
      seats[p] = st;
      p++;
    }
  }
  return { taskCount, evaluatorCount, start, evaluator, score, seats };
}

/** The scores of task t (a view, no copy). */
export function taskScores(round: RoundScores, t: number): Int32Array {
  return round.score.subarray(round.start[t], round.start[t + 1]);
}

/** The evaluator indexes of task t (a view, no copy). */
export function taskEvaluators(round: RoundScores, t: number): Int32Array {
  return round.evaluator.subarray(round.start[t], round.start[t + 1]);
}
