import { roundDiv } from "./fixedPoint";

/** Arithmetic mean of integer scores, rounded half up. Throws nothing; returns -1 for no scores. */
export function meanScore(values: ArrayLike<number>): number {
  const n = values.length;
  if (n === 0) return -1;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += values[i];
  return roundDiv(sum, n);
}
