/** Test helpers for the content backends and the DAG code. Not used by production code. */

/** `n` bytes from xorshift32 started at `state` (0 starts at 1): they look random and do not compress; the same state gives the same bytes. */
export function xorshiftBytes(n: number, state: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = state || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** {@link xorshiftBytes} from a state spread out from `seed` (Knuth's multiplicative hash), so nearby seeds give unrelated bytes. */
export const noise = (n: number, seed: number): Uint8Array => xorshiftBytes(n, seed * 2654435761);
