/**
 * The project's one statistics module (floating point; never used in settlements). Rank statistics for the audit
 * and the simulator: Spearman, Kendall tau-b, AUROC and point-biserial (Pearson) correlation, with optional integer
 * weights so that a bootstrap replicate is a weight vector (multiplicities) over the same items and never needs
 * re-sorting; and the simulator's moments and error measures. Pure and deterministic; every function returns NaN
 * when undefined (constant input, one class only, fewer than two items, no items).
 */

/** Indices of `x` sorted ascending (stable, ties keep index order). */
export function argsort(x: ArrayLike<number>): Int32Array {
  const idx = Int32Array.from({ length: x.length }, (_, i) => i);
  idx.sort((a, b) => x[a] - x[b] || a - b);
  return idx;
}

/**
 * Mid-ranks (1-based) of `x` under integer weights: an item of weight w counts as w copies. Items of weight 0
 * get rank NaN. `order` is `argsort(x)`.
 */
export function weightedRanks(x: ArrayLike<number>, order: Int32Array, w?: ArrayLike<number>): Float64Array {
  const n = x.length;
  const r = new Float64Array(n);
  let cum = 0;
  let i = 0;
  while (i < n) {
    let j = i;
    let wsum = 0;
    const v = x[order[i]];
    while (j < n && x[order[j]] === v) {
      wsum += w ? w[order[j]] : 1;
      j++;
    }
    const mid = cum + (wsum + 1) / 2;
    for (let k = i; k < j; k++) r[order[k]] = mid;
    cum += wsum;
    i = j;
  }
  return r;
}

/** Weighted Pearson correlation. */
export function pearson(x: ArrayLike<number>, y: ArrayLike<number>, w?: ArrayLike<number>): number {
  const n = x.length;
  let sw = 0;
  let sx = 0;
  let sy = 0;
  for (let i = 0; i < n; i++) {
    const wi = w ? w[i] : 1;
    if (wi === 0) continue;
    sw += wi;
    sx += wi * x[i];
    sy += wi * y[i];
  }
  if (sw < 2) return NaN;
  const mx = sx / sw;
  const my = sy / sw;
  let cxy = 0;
  let cxx = 0;
  let cyy = 0;
  for (let i = 0; i < n; i++) {
    const wi = w ? w[i] : 1;
    if (wi === 0) continue;
    const dx = x[i] - mx;
    const dy = y[i] - my;
    cxy += wi * dx * dy;
    cxx += wi * dx * dx;
    cyy += wi * dy * dy;
  }
  if (cxx <= 1e-300 || cyy <= 1e-300) return NaN;
  return cxy / Math.sqrt(cxx * cyy);
}

/** Spearman rank correlation (Pearson of mid-ranks); pass precomputed orders to avoid re-sorting. */
export function spearman(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  w?: ArrayLike<number>,
  orders?: { x: Int32Array; y: Int32Array },
): number {
  const ox = orders?.x ?? argsort(x);
  const oy = orders?.y ?? argsort(y);
  return pearson(weightedRanks(x, ox, w), weightedRanks(y, oy, w), w);
}

/**
 * Area under the ROC curve of score `x` for binary labels `y` (1 positive, else negative), ties counted half.
 * `order` is `argsort(x)`.
 */
export function auroc(x: ArrayLike<number>, y: ArrayLike<number>, w?: ArrayLike<number>, order?: Int32Array): number {
  const o = order ?? argsort(x);
  const n = x.length;
  let negBelow = 0;
  let totalPos = 0;
  let totalNeg = 0;
  let acc = 0;
  let i = 0;
  while (i < n) {
    let j = i;
    let pos = 0;
    let neg = 0;
    const v = x[o[i]];
    while (j < n && x[o[j]] === v) {
      const k = o[j];
      const wk = w ? w[k] : 1;
      if (y[k] === 1) pos += wk;
      else neg += wk;
      j++;
    }
    acc += pos * (negBelow + neg / 2);
    negBelow += neg;
    totalPos += pos;
    totalNeg += neg;
    i = j;
  }
  if (totalPos === 0 || totalNeg === 0) return NaN;
  return acc / (totalPos * totalNeg);
}

/** Counts pairs tied in both arrays' sorted runs and the number of exchanges needed to sort (merge sort). */
function mergeCount(a: Float64Array, tmp: Float64Array, lo: number, hi: number): number {
  if (hi - lo < 2) return 0;
  const mid = (lo + hi) >> 1;
  let swaps = mergeCount(a, tmp, lo, mid) + mergeCount(a, tmp, mid, hi);
  let i = lo;
  let j = mid;
  let k = lo;
  while (i < mid && j < hi) {
    if (a[j] < a[i]) {
      tmp[k++] = a[j++];
      swaps += mid - i;
    } else tmp[k++] = a[i++];
  }
  while (i < mid) tmp[k++] = a[i++];
  while (j < hi) tmp[k++] = a[j++];
  for (let t = lo; t < hi; t++) a[t] = tmp[t];
  return swaps;
}

function tiedPairs(sorted: ArrayLike<number>): number {
  let t = 0;
  let run = 1;
  for (let i = 1; i <= sorted.length; i++) {
    if (i < sorted.length && sorted[i] === sorted[i - 1]) run++;
    else {
      t += (run * (run - 1)) / 2;
      run = 1;
    }
  }
  return t;
}

/** Kendall tau-b in O(n log n) (Knight's algorithm). */
export function kendall(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = x.length;
  if (n < 2) return NaN;
  const idx = Int32Array.from({ length: n }, (_, i) => i);
  idx.sort((a, b) => x[a] - x[b] || y[a] - y[b]);
  const ys = new Float64Array(n);
  for (let i = 0; i < n; i++) ys[i] = y[idx[i]];
  const n0 = (n * (n - 1)) / 2;
  // pairs tied in x, and tied in both
  let n1 = 0;
  let n3 = 0;
  let i = 0;
  while (i < n) {
    let j = i;
    while (j < n && x[idx[j]] === x[idx[i]]) j++;
    const run = j - i;
    n1 += (run * (run - 1)) / 2;
    n3 += tiedPairs(ys.subarray(i, j));
    i = j;
  }
  const swaps = mergeCount(ys, new Float64Array(n), 0, n);
  const n2 = tiedPairs(ys);
  const denom = Math.sqrt((n0 - n1) * (n0 - n2));
  if (denom === 0) return NaN;
  return (n0 - n1 - n2 + n3 - 2 * swaps) / denom;
}

/** Expands integer weights into an index list (a materialised bootstrap sample). */
export function expand(w: ArrayLike<number>): Int32Array {
  let total = 0;
  for (let i = 0; i < w.length; i++) total += w[i];
  const out = new Int32Array(total);
  let k = 0;
  for (let i = 0; i < w.length; i++) for (let c = 0; c < w[i]; c++) out[k++] = i;
  return out;
}

/** Linear-interpolated quantile of sorted values, q in [0, 1]. */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const pos = q * (n - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

export function mean(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i];
  return x.length ? s / x.length : NaN;
}

/** Population variance. */
export function variance(x: ArrayLike<number>): number {
  const m = mean(x);
  let s = 0;
  for (let i = 0; i < x.length; i++) s += (x[i] - m) ** 2;
  return x.length ? s / x.length : NaN;
}

/** Coefficient of variation: population standard deviation over mean. */
export function coefficientOfVariation(x: ArrayLike<number>): number {
  return Math.sqrt(variance(x)) / mean(x);
}

/** Mean absolute error of `a` against `b` (same length). */
export function meanAbsoluteError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i] - b[i]);
  return a.length ? s / a.length : NaN;
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
