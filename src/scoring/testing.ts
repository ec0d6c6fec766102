import path from "node:path";
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
