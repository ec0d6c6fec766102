/**
 * Splits `pool` among recipients in proportion to non-negative integer weights, exactly: the amounts always add
 * up to the pool when at least one weight is positive (largest-remainder method).
 *
 * Each recipient first gets floor(pool * w_i / W). The remainder (fewer wei than recipients) goes one wei each to
 * the recipients with the largest fractional parts (pool * w_i mod W); ties go to the lower index, and callers
 * order recipients by address, so the rule is "lowest address first". No wei is lost or created.
 *
 * If every weight is zero nothing is paid and every amount is 0 (the caller reports the pool as unallocated).
 */
export function splitPool(pool: bigint, weights: readonly bigint[]): bigint[] {
  if (pool < 0n) throw new RangeError("pool must be non-negative");
  const n = weights.length;
  let total = 0n;
  for (const w of weights) {
    if (w < 0n) throw new RangeError("weights must be non-negative");
    total += w;
  }
  const amounts = new Array<bigint>(n).fill(0n);
  if (total === 0n || pool === 0n) return amounts;
  const rems = new Array<bigint>(n);
  let paid = 0n;
  for (let i = 0; i < n; i++) {
    const x = pool * weights[i];
    amounts[i] = x / total;
    rems[i] = x % total;
    paid += amounts[i];
  }
  let left = pool - paid;
  if (left > 0n) {
    const order = Array.from({ length: n }, (_, i) => i).filter((i) => weights[i] > 0n);
    order.sort((a, b) => (rems[a] > rems[b] ? -1 : rems[a] < rems[b] ? 1 : a - b));
    for (let j = 0; left > 0n; j++, left--) amounts[order[j]] += 1n;
  }
  return amounts;
}
