/**
 * Non-negative least squares with a small ridge term: minimise ||y - X w||^2 + lambda ||w||^2 subject to
 * w >= 0, with X and y centred (an implicit intercept). Columns of X are given as arrays of equal length.
 * Deterministic; d is small (the dimensions), so the d x d normal equations are solved by coordinate descent.
 */
export type NnlsParameters = {
  columns: readonly ArrayLike<number>[];
  y: ArrayLike<number>;
  /** Ridge strength relative to the mean column variance (default 1e-3). */
  ridge?: number;
};

/**
 * Minimises 0.5 w'Gw - b'w subject to w >= 0 (G symmetric positive semi-definite) by cyclic coordinate
 * descent, from `start` (default zeros).
 */
export function nonNegativeQuadratic(G: readonly Float64Array[], b: ArrayLike<number>, start?: ArrayLike<number>, iterations = 1000): Float64Array {
  const d = b.length;
  const w = start ? Float64Array.from(start) : new Float64Array(d);
  for (let it = 0; it < iterations; it++) {
    let change = 0;
    for (let a = 0; a < d; a++) {
      if (G[a][a] <= 0) continue;
      let r = b[a];
      for (let c = 0; c < d; c++) if (c !== a) r -= G[a][c] * w[c];
      const next = Math.max(0, r / G[a][a]);
      change = Math.max(change, Math.abs(next - w[a]));
      w[a] = next;
    }
    if (change < 1e-12) break;
  }
  return w;
}

export function nnls({ columns, y, ridge = 1e-3 }: NnlsParameters): number[] {
  const d = columns.length;
  const n = y.length;
  if (d === 0 || n === 0) return [];
  const means = columns.map((c) => {
    let s = 0;
    for (let i = 0; i < n; i++) s += c[i];
    return s / n;
  });
  let ym = 0;
  for (let i = 0; i < n; i++) ym += y[i];
  ym /= n;
  const G = Array.from({ length: d }, () => new Float64Array(d));
  const b = new Float64Array(d);
  for (let a = 0; a < d; a++) {
    const ca = columns[a];
    for (let i = 0; i < n; i++) b[a] += (ca[i] - means[a]) * (y[i] - ym);
    for (let c = a; c < d; c++) {
      const cc = columns[c];
      let s = 0;
      for (let i = 0; i < n; i++) s += (ca[i] - means[a]) * (cc[i] - means[c]);
      G[a][c] = s;
      G[c][a] = s;
    }
  }
  let meanVar = 0;
  for (let a = 0; a < d; a++) meanVar += G[a][a] / d;
  const lambda = ridge * Math.max(meanVar, 1e-12);
  for (let a = 0; a < d; a++) G[a][a] += lambda;
  return Array.from(nonNegativeQuadratic(G, b));
}
