import { roundDiv } from "./fixedPoint";

/** Median of an integer array that the caller allows to be sorted in place; even count: midpoint rounded half up. */
function medianInPlace(a: Int32Array): number {
  a.sort();
  const n = a.length;
  const m = n >> 1;
  return n % 2 === 1 ? a[m] : roundDiv(a[m - 1] + a[m], 2);
}

/**
 * Robust spread of integer residuals: 1.4826 * MAD (the normal-consistent median absolute deviation from the
 * median), rounded half up, never below `floor`. Half the residuals can be arbitrary without moving it far.
 */
export function robustSpread(residuals: ArrayLike<number>, floor: number): number {
  const n = residuals.length;
  if (n === 0) return floor;
  const a = Int32Array.from(residuals as ArrayLike<number>);
  const center = medianInPlace(a);
  for (let i = 0; i < n; i++) a[i] = Math.abs(a[i] - center);
  const mad = medianInPlace(a);
  const sigma = roundDiv(mad * 14_826, 10_000);
  return sigma > floor ? sigma : floor;
}
