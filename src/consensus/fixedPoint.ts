/**
 * Fixed-point conventions shared by consensus and rewards. Everything that reaches a settlement is an integer:
 * scores are quality 0..10 scaled by 1000 (0..10000, a uint16 on chain), trust and fractions are parts per million.
 * Intermediate products stay below 2^53, so plain JavaScript numbers are exact; the helpers below make integer
 * division exact as well (a float quotient can round across an integer boundary).
 */

/** One quality point in score units (quality 0..10 scaled by 1000). */
export const SCORE_SCALE = 1000;
/** Highest score (quality 10). */
export const SCORE_MAX = 10_000;
/** Parts per million: the unit of trust and of every fraction parameter. */
export const PPM = 1_000_000;

/** floor(a / b) for safe integers, b > 0. Exact where a float quotient may not be. */
export function floorDiv(a: number, b: number): number {
  let q = Math.floor(a / b);
  if (q * b > a) q -= 1;
  else if ((q + 1) * b <= a) q += 1;
  return q;
}

/** a / b rounded half up, for safe integers, b > 0: floor((2a + b) / 2b). */
export function roundDiv(a: number, b: number): number {
  return floorDiv(2 * a + b, 2 * b);
}

/** Clamps an integer into [lo, hi]. */
export function clampInt(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

/** True for an integer score 0..10000 (what a reveal may carry). */
export function isScore(x: unknown): x is number {
  return typeof x === "number" && Number.isInteger(x) && x >= 0 && x <= SCORE_MAX;
}
