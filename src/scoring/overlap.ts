/**
 * Token-overlap measures over interned token ids: token F1, ROUGE-N, ROUGE-L (LCS) and n-gram support.
 * Inputs are `Int32Array`s of ids from one `Vocabulary`; everything is allocation-light because the audit runs
 * them on every output against every reference.
 */

/** Precision, recall and F1 of an overlap. */
export type PRF = { p: number; r: number; f: number };

const ZERO: PRF = { p: 0, r: 0, f: 0 };

function prf(overlap: number, candTotal: number, refTotal: number): PRF {
  if (overlap === 0 || candTotal === 0 || refTotal === 0) return ZERO;
  const p = overlap / candTotal;
  const r = overlap / refTotal;
  return { p, r, f: (2 * p * r) / (p + r) };
}

/** Exact numeric key of the n-gram starting at i (n is 1 or 2; ids < 2^26 keep keys below 2^53). */
function gramKey(ids: Int32Array, i: number, n: number): number {
  return n === 1 ? ids[i] : ids[i] * 67108864 + ids[i + 1];
}

/** Multiset of n-grams. */
export function ngramCounts(ids: Int32Array, n: number): Map<number, number> {
  const m = new Map<number, number>();
  for (let i = 0; i + n <= ids.length; i++) {
    const k = gramKey(ids, i, n);
    m.set(k, (m.get(k) ?? 0) + 1);
  }
  return m;
}

/** Set of n-grams. */
export function ngramSet(ids: Int32Array, n: number): Set<number> {
  const s = new Set<number>();
  for (let i = 0; i + n <= ids.length; i++) s.add(gramKey(ids, i, n));
  return s;
}

/** Clipped n-gram overlap between a candidate and a reference multiset. */
export function rougeN(cand: Int32Array, ref: Map<number, number>, refTotal: number, n: number): PRF {
  const candTotal = Math.max(0, cand.length - n + 1);
  if (candTotal === 0 || refTotal === 0) return ZERO;
  const used = new Map<number, number>();
  let overlap = 0;
  for (let i = 0; i + n <= cand.length; i++) {
    const k = gramKey(cand, i, n);
    const avail = ref.get(k);
    if (avail === undefined) continue;
    const u = used.get(k) ?? 0;
    if (u < avail) {
      used.set(k, u + 1);
      overlap++;
    }
  }
  return prf(overlap, candTotal, refTotal);
}

/** Token-level F1 (SQuAD style): clipped unigram overlap. */
export function tokenF1(cand: Int32Array, ref: Int32Array): PRF {
  return rougeN(cand, ngramCounts(ref, 1), ref.length, 1);
}

let lcsRow = new Int32Array(256);

/** Length of the longest common subsequence (two-row dynamic programme over the shorter side). */
export function lcsLength(a: Int32Array, b: Int32Array): number {
  if (a.length < b.length) [a, b] = [b, a];
  const m = b.length;
  if (m === 0) return 0;
  if (lcsRow.length < m + 1) lcsRow = new Int32Array(2 * (m + 1));
  const row = lcsRow;
  row.fill(0, 0, m + 1);
  for (let i = 0; i < a.length; i++) {
    const ai = a[i];
    let diag = 0;
    for (let j = 1; j <= m; j++) {
      const up = row[j];
      row[j] = ai === b[j - 1] ? diag + 1 : up > row[j - 1] ? up : row[j - 1];
      diag = up;
    }
  }
  return row[m];
}

/** ROUGE-L: LCS-based precision, recall and F1. */
export function rougeL(cand: Int32Array, ref: Int32Array): PRF {
  return prf(lcsLength(cand, ref), cand.length, ref.length);
}

/** Fraction of the candidate's n-grams present in `source` (a set); 0 for a candidate shorter than n. */
export function support(cand: Int32Array, source: Set<number>, n: number): number {
  const total = cand.length - n + 1;
  if (total <= 0) return 0;
  let hit = 0;
  for (let i = 0; i + n <= cand.length; i++) if (source.has(gramKey(cand, i, n))) hit++;
  return hit / total;
}

/** Fraction of distinct ids of `a` that occur in `b`. */
export function containment(a: Int32Array, b: Set<number> | Int32Array): number {
  if (a.length === 0) return 0;
  const bs = b instanceof Set ? b : new Set(b);
  const seen = new Set<number>();
  let hit = 0;
  for (const x of a) {
    if (seen.has(x)) continue;
    seen.add(x);
    if (bs.has(x)) hit++;
  }
  return hit / seen.size;
}
