import { roundDiv } from "./fixedPoint";

/** Sorts integer scores ascending into a fresh typed array (never mutates the input). */
export function sortedScores(values: ArrayLike<number>): Int32Array {
  const a = Int32Array.from(values as ArrayLike<number>);
  a.sort();
  return a;
}

/**
 * Inserts position `p` into `order[0..n-1]`, sorted by `score` ascending, keeping it sorted (order must have room for
 * n + 1); equal scores keep their insertion order. Inserting positions one by one is an insertion sort: the right
 * sort for the k scores of one task, with no allocation.
 */
export function insertByScore(score: ArrayLike<number>, order: Int32Array, n: number, p: number): void {
  const s = score[p];
  let j = n - 1;
  while (j >= 0 && score[order[j]] > s) {
    order[j + 1] = order[j];
    j--;
  }
  order[j + 1] = p;
}

/** Median of integer scores; for an even count the two middle values are averaged, rounded half up. -1 if empty. */
export function medianScore(values: ArrayLike<number>): number {
  const n = values.length;
  if (n === 0) return -1;
  const a = sortedScores(values);
  const m = n >> 1;
  return n % 2 === 1 ? a[m] : roundDiv(a[m - 1] + a[m], 2);
}
