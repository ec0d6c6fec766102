import { quantileSorted } from "../math/stats";

/**
 * Rank-based normalisation: a dimension's raw value is mapped to its empirical CDF on the training outputs of
 * the task, stored as `KNOTS` quantiles. Values between knots interpolate linearly; a value equal to a run of
 * tied knots maps to the middle of the run; values outside the range clamp to 0 or 1. Monotone, in [0, 1],
 * independent of the batch being scored, so dimensions with different scales combine on equal terms.
 */
export const KNOTS = 41;

/** Quantile knots of `values` (finite values only); empty when there are none. */
export function fitQuantiles(values: ArrayLike<number>, knots = KNOTS): number[] {
  const v = Array.from(values).filter(Number.isFinite).sort((a, b) => a - b);
  if (v.length === 0) return [];
  const out: number[] = [];
  for (let k = 0; k < knots; k++) out.push(quantileSorted(v, k / (knots - 1)));
  return out;
}

/** Empirical CDF from knots; identity (clamped to [0, 1]) without knots. */
export function applyQuantiles(knots: readonly number[] | undefined, x: number): number {
  if (!Number.isFinite(x)) return 0.5;
  if (!knots || knots.length < 2) return Math.min(1, Math.max(0, x));
  const k = knots.length;
  if (x < knots[0]) return 0;
  if (x > knots[k - 1]) return 1;
  // first index with knot >= x
  let lo = 0;
  let hi = k - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (knots[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  const first = lo;
  if (knots[first] === x) {
    let last = first;
    while (last + 1 < k && knots[last + 1] === x) last++;
    return (first + last) / 2 / (k - 1);
  }
  const a = knots[first - 1];
  const b = knots[first];
  return (first - 1 + (x - a) / (b - a)) / (k - 1);
}
