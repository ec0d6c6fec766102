import type { LoggedOutput } from "../data/logged";
import { LABEL_RANGE } from "../data/logged";
import { InputError } from "../errors";

/**
 * Ground truth on the 0..10 quality scale from the human label: QA correct = 10, incorrect = 0; a summary's mean
 * expert rating 1..5 maps linearly to 0..10.
 */
export function groundTruth(item: LoggedOutput): number {
  if (item.label === undefined) throw new InputError(`${item.id}: the simulator needs a human label`);
  const [lo, hi] = LABEL_RANGE[item.task];
  return ((item.label - lo) / (hi - lo)) * 10;
}

/** Cost units of an output: its token count where logged, else an estimate of 1 token per 4 characters. */
export function costUnits(item: LoggedOutput): bigint {
  const tokens = item.tokens ?? Math.ceil(item.output.length / 4);
  return BigInt(Math.max(1, Math.round(tokens)));
}
