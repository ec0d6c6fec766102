import { PPM, floorDiv, roundDiv } from "./fixedPoint";
import { sortedScores } from "./median";

/**
 * Number of scores dropped at each end for a trim fraction (ppm): floor(fraction * n), at most (n - 1) / 2 so that
 * at least one score remains. A trim count g tolerates up to g malicious scores on one side.
 */
export function trimCount(n: number, trimFractionPpm: number): number {
  return Math.min(floorDiv(trimFractionPpm * n, PPM), (n - 1) >> 1);
}

/** Trimmed mean: sort, drop trimCount scores at each end, average the rest (rounded half up). -1 if empty. */
export function trimmedMeanScore(values: ArrayLike<number>, trimFractionPpm: number): number {
  const n = values.length;
  if (n === 0) return -1;
  const a = sortedScores(values);
  const g = trimCount(n, trimFractionPpm);
  let sum = 0;
  for (let i = g; i < n - g; i++) sum += a[i];
  return roundDiv(sum, n - 2 * g);
}
