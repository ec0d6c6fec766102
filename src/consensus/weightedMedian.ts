import { roundDiv } from "./fixedPoint";
import { insertByScore, medianScore } from "./median";

/**
 * Weighted median of integer scores with non-negative integer weights. Scores are sorted; the result is the
 * smallest score whose cumulative weight reaches half the total. When the cumulative weight equals exactly half,
 * it is the midpoint (rounded half up) of that score and the next score with positive weight. Zero-weight scores
 * are ignored; if every weight is zero it falls back to the plain median. The result depends only on the multiset
 * of (score, weight) pairs, never on their order. -1 if empty.
 *
 * `scratch` (optional, length >= n) avoids allocation in hot loops.
 */
export function weightedMedianScore(
  values: ArrayLike<number>,
  weights: ArrayLike<number>,
  scratch?: { idx: Int32Array },
): number {
  const n = values.length;
  if (n === 0) return -1;
  const idx = scratch && scratch.idx.length >= n ? scratch.idx : new Int32Array(n);
  let total = 0;
  let m = 0;
  // The positive-weight scores, sorted by score as they are taken (m is small: the k evaluators of one task).
  for (let i = 0; i < n; i++) {
    if (weights[i] > 0) {
      insertByScore(values, idx, m++, i);
      total += weights[i];
    }
  }
  if (total === 0) return medianScore(values);
  let cum = 0;
  for (let i = 0; i < m; i++) {
    cum += weights[idx[i]];
    if (2 * cum >= total) {
      if (2 * cum === total && i + 1 < m) return roundDiv(values[idx[i]] + values[idx[i + 1]], 2);
      return values[idx[i]];
    }
  }
  return values[idx[m - 1]];
}
