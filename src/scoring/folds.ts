import { Rng, shuffled } from "../math/prng";

/**
 * Deterministic k-fold assignment grouped by key (queryId): every output of one query lands in the same fold.
 * Keys are shuffled with a seeded generator (a stream named by the seed and the number of keys), then dealt round-robin.
 * Returns the fold (0..k-1) of each row.
 */
export function groupFolds(keys: readonly string[], k: number, seed: number): Int32Array {
  const distinct: string[] = [];
  const seen = new Set<string>();
  for (const key of keys) {
    if (!seen.has(key)) {
      seen.add(key);
      distinct.push(key);
    }
  }
  const order = shuffled(distinct, Rng.of(seed, "folds", distinct.length));
  const foldOf = new Map<string, number>();
  order.forEach((key, i) => foldOf.set(key, i % k));
  return Int32Array.from(keys, (key) => foldOf.get(key)!);
}

/** Dense cluster ids (0..G-1) of keys, in first-appearance order. */
export function clusterIds(keys: readonly string[]): { ids: Int32Array; count: number } {
  const m = new Map<string, number>();
  const ids = Int32Array.from(keys, (key) => {
    let v = m.get(key);
    if (v === undefined) {
      v = m.size;
      m.set(key, v);
    }
    return v;
  });
  return { ids, count: m.size };
}
