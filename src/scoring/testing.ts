import path from "node:path";
import { expect } from "vitest";
import type { LoggedOutput } from "../data/logged";

/** Test helpers: hand-made logged outputs and the bundled samples. Not used by production code. */
let counter = 0;

export function item(partial: Partial<LoggedOutput> & { output: string }): LoggedOutput {
  counter++;
  return {
    id: partial.id ?? `t${counter}`,
    task: partial.task ?? "qa",
    queryId: partial.queryId ?? `q${counter}`,
    query: partial.query ?? "Who wrote Hamlet?",
    model: partial.model ?? "m",
    ...partial,
  };
}

export const SAMPLES = path.join(__dirname, "..", "..", "data", "samples");
export const QA_SAMPLE = path.join(SAMPLES, "qa-sample.jsonl");
export const SUMMARIZATION_SAMPLE = path.join(SAMPLES, "summarization-sample.jsonl");

/** What a test expects of a score: exactly `is`, or strictly below `below` or above `above`. */
export type Expected = { is: number } | { below: number } | { above: number };

/** Checks `score` against `expected`; a failure names `output`, the text scored. */
export function expectScore(score: number, expected: Expected, output: string): void {
  if ("is" in expected) expect(score, output).toBe(expected.is);
  else if ("below" in expected) expect(score, output).toBeLessThan(expected.below);
  else expect(score, output).toBeGreaterThan(expected.above);
}
