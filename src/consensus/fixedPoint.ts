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

/**
 * The reserved reveal value 0xFFFF: "I could not fetch this output". Not a score: it is never used in consensus, never
 * counted as a deviation, and a reveal made of scores and UNAVAILABLE values is a valid reveal.
 */
export const UNAVAILABLE = 65_535;

/** True for what a reveal entry may carry: a score 0..10000 or UNAVAILABLE. */
export function isRevealEntry(x: unknown): x is number {
  return isScore(x) || x === UNAVAILABLE;
}

/**
 * floor(a * b / d) for a safe non-negative integer a and integers 0 <= b, d <= 2^26, d > 0, exact even where a * b
 * exceeds 2^53 (the product is split at 2^26).
 */
export function mulDivFloor(a: number, b: number, d: number): number {
  const hi = Math.floor(a / 67_108_864);
  const lo = a - hi * 67_108_864;
  // a * b / d = (hi * 2^26 * b + lo * b) / d
  const hiPart = hi * b; // < 2^53 / 2^26 * 2^26
  const q1 = floorDiv(hiPart, d);
  const r1 = hiPart - q1 * d;
  // q1 * 2^26 + floor((r1 * 2^26 + lo * b) / d)
  return q1 * 67_108_864 + floorDiv(r1 * 67_108_864 + lo * b, d);
}

/** Decays a signed integer toward zero: sign(x) * floor(|x| * ppm / 1e6). Symmetric, so decay never favours a sign. */
export function decayToward0(x: number, ppm: number): number {
  return x < 0 ? -mulDivFloor(-x, ppm, PPM) : mulDivFloor(x, ppm, PPM);
}
