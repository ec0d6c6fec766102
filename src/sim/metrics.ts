/** Floating-point metrics of the simulator (never used in settlements). */

export function meanOf(xs: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i];
  return xs.length ? s / xs.length : Number.NaN;
}

/** Population variance. */
export function varianceOf(xs: ArrayLike<number>): number {
  const m = meanOf(xs);
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += (xs[i] - m) ** 2;
  return xs.length ? s / xs.length : Number.NaN;
}

/** Coefficient of variation: population standard deviation over mean. */
export function cvOf(xs: ArrayLike<number>): number {
  return Math.sqrt(varianceOf(xs)) / meanOf(xs);
}

export function maeOf(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i] - b[i]);
  return a.length ? s / a.length : Number.NaN;
}

/** Ranks with ties averaged (1-based). */
export function ranks(xs: ArrayLike<number>): Float64Array {
  const n = xs.length;
  const idx = Array.from({ length: n }, (_, i) => i).sort((i, j) => xs[i] - xs[j]);
  const r = new Float64Array(n);
  let i = 0;
  while (i < n) {
    let j = i;
    while (j + 1 < n && xs[idx[j + 1]] === xs[idx[i]]) j++;
    const avg = (i + j) / 2 + 1;
    for (let q = i; q <= j; q++) r[idx[q]] = avg;
    i = j + 1;
  }
  return r;
}

export function pearsonOf(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const ma = meanOf(a);
  const mb = meanOf(b);
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < a.length; i++) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) ** 2;
    sbb += (b[i] - mb) ** 2;
  }
  return saa === 0 || sbb === 0 ? Number.NaN : sab / Math.sqrt(saa * sbb);
}

/** Spearman rank correlation (Pearson on tie-averaged ranks). */
export function spearmanOf(a: ArrayLike<number>, b: ArrayLike<number>): number {
  return pearsonOf(ranks(a), ranks(b));
}

/** Precision and recall of a predicted set against a true set; null where undefined (empty denominator). */
export function precisionRecall(predicted: ReadonlySet<number>, actual: ReadonlySet<number>): { precision: number | null; recall: number | null } {
  let hit = 0;
  for (const x of predicted) if (actual.has(x)) hit++;
  return {
    precision: predicted.size ? hit / predicted.size : null,
    recall: actual.size ? hit / actual.size : null,
  };
}
