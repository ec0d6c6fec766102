import fc from "fast-check";
import { DEFAULT_CONSENSUS_PARAMS } from "./params";
import { buildRoundScores, type ScoreEntry } from "./round";
import type { RuleInput } from "./rule";

/** Test helper: a rule input from per-task [evaluator, score] lists. */
export function ruleInput(
  evaluatorCount: number,
  perTask: [number, number][][],
  overrides: Partial<Omit<RuleInput, "round">> = {},
): RuleInput {
  const entries: ScoreEntry[][] = perTask.map((t) => t.map(([evaluator, score]) => ({ evaluator, score })));
  return {
    round: buildRoundScores(evaluatorCount, entries),
    trust: new Int32Array(evaluatorCount).fill(DEFAULT_CONSENSUS_PARAMS.initialTrustPpm),
    stakeUnits: new Int32Array(evaluatorCount).fill(1),
    gold: new Int32Array(perTask.length).fill(-1),
    nonRevealed: new Uint8Array(evaluatorCount),
    params: DEFAULT_CONSENSUS_PARAMS,
    ...overrides,
  };
}

/** Arbitrary round: M evaluators, tasks with distinct evaluators each, scores, trust and gold. */
export const arbRound = fc
  .integer({ min: 2, max: 9 })
  .chain((M) =>
    fc.record({
      M: fc.constant(M),
      tasks: fc.array(
        fc.shuffledSubarray(
          Array.from({ length: M }, (_, i) => i),
          { minLength: 1, maxLength: Math.min(M, 7) },
        ).chain((evs) => fc.tuple(...evs.map((e) => fc.tuple(fc.constant(e), fc.integer({ min: 0, max: 10_000 }))))),
        { minLength: 1, maxLength: 8 },
      ),
      trust: fc.array(fc.integer({ min: 0, max: 1_000_000 }), { minLength: M, maxLength: M }),
      gold: fc.array(fc.option(fc.integer({ min: 0, max: 10_000 }), { freq: 4 }), { minLength: 8, maxLength: 8 }),
    }),
  )
  .map(({ M, tasks, trust, gold }) => ({
    M,
    tasks: tasks as [number, number][][],
    trust,
    gold: tasks.map((_, t) => gold[t] ?? -1),
  }));
