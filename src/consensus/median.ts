import { roundDiv } from "./fixedPoint";

/** Sorts integer scores ascending into a fresh typed array (never mutates the input). */
export function sortedScores(values: ArrayLike<number>): Int32Array {
  const a = Int32Array.from(values as ArrayLike<number>);
  a.sort();
  return a;
}

/** Median of integer scores; for an even count the two middle values are averaged, rounded half up. -1 if empty. */
export function medianScore(values: ArrayLike<number>): number {
  const n = values.length;
  if (n === 0) return -1;
  const a = sortedScores(values);
  const m = n >> 1;
  return n % 2 === 1 ? a[m] : roundDiv(a[m - 1] + a[m], 2);
}
