import { nonNegativeQuadratic } from "./nnls";

/**
 * Logistic regression with non-negative weights and a free intercept, for 0/1 labels: the weights of a composite
 * whose ranking maximises the likelihood of the labels. Fitted by iteratively reweighted least squares, each
 * step a small non-negative quadratic programme over the d dimensions (d x d, solved by coordinate descent).
 * A small ridge term keeps the fit finite when the classes are separable. Deterministic.
 */
export type LogisticParameters = {
  columns: readonly ArrayLike<number>[];
  y: ArrayLike<number>;
  /** Ridge strength per output (default 1e-4): the penalty is `ridge * n * |w|^2`. */
  ridge?: number;
  iterations?: number;
};

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

export function nonNegativeLogistic({ columns, y, ridge = 1e-4, iterations = 30 }: LogisticParameters): number[] {
  const d = columns.length;
  const n = y.length;
  if (d === 0 || n === 0) return [];
  const X = columns.map((c) => (c instanceof Float64Array ? c : Float64Array.from(c)));
  let w: Float64Array = new Float64Array(d);
  let ym = 0;
  for (let i = 0; i < n; i++) ym += y[i];
  ym = Math.min(1 - 1e-6, Math.max(1e-6, ym / n));
  let b = Math.log(ym / (1 - ym));
  const eta = new Float64Array(n);
  const W = new Float64Array(n);
  const sqrtW = new Float64Array(n);
  const z = new Float64Array(n);
  const U = X.map(() => new Float64Array(n));
  for (let it = 0; it < iterations; it++) {
    eta.fill(b);
    for (let k = 0; k < d; k++) {
      const c = X[k];
      const wk = w[k];
      if (wk !== 0) for (let i = 0; i < n; i++) eta[i] += wk * c[i];
    }
    let sw = 0;
    let zm = 0;
    for (let i = 0; i < n; i++) {
      const p = 1 / (1 + Math.exp(-eta[i]));
      const wi = Math.max(p * (1 - p), 1e-6);
      W[i] = wi;
      sqrtW[i] = Math.sqrt(wi);
      z[i] = eta[i] + (y[i] - p) / wi;
      sw += wi;
      zm += wi * z[i];
    }
    zm /= sw;
    // Weighted, centred working columns: the normal equations are their dot products.
    const means = X.map((c) => dot(W, c) / sw);
    for (let i = 0; i < n; i++) z[i] = (z[i] - zm) * sqrtW[i];
    for (let k = 0; k < d; k++) {
      const c = X[k];
      const u = U[k];
      const m = means[k];
      for (let i = 0; i < n; i++) u[i] = (c[i] - m) * sqrtW[i];
    }
    const G = Array.from({ length: d }, () => new Float64Array(d));
    const rhs = new Float64Array(d);
    for (let a = 0; a < d; a++) {
      rhs[a] = dot(U[a], z);
      for (let c = a; c < d; c++) G[a][c] = G[c][a] = dot(U[a], U[c]);
      G[a][a] += ridge * n;
    }
    const next = nonNegativeQuadratic(G, rhs, w);
    let nb = zm;
    for (let k = 0; k < d; k++) nb -= next[k] * means[k];
    let change = Math.abs(nb - b);
    for (let k = 0; k < d; k++) change = Math.max(change, Math.abs(next[k] - w[k]));
    w = next;
    b = nb;
    if (change < 1e-6) break;
  }
  return Array.from(w);
}
