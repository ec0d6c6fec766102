import type { DimensionAudit, Metric } from "./profile";
import { Rng } from "../math/prng";
import { argsort, auroc, kendall, pearson, quantileSorted, spearman } from "../math/stats";

/** AUROC for 0/1 labels, Spearman otherwise. */
export function metricFor(labels: ArrayLike<number>): Metric {
  for (let i = 0; i < labels.length; i++) if (labels[i] !== 0 && labels[i] !== 1) return "spearman";
  return "auroc";
}

/** The reported value of a metric: AUROC itself, or Spearman's rho. NaN when undefined. */
export function metricValue(metric: Metric, x: ArrayLike<number>, y: ArrayLike<number>): number {
  return metric === "auroc" ? auroc(x, y) : spearman(x, y);
}

/** Centred version used for reliability decisions: AUROC - 0.5, or Spearman. */
export function centred(metric: Metric, value: number): number {
  return metric === "auroc" ? value - 0.5 : value;
}

export type BootstrapOptions = {
  /** Bootstrap replicates (default 200). */
  replicates?: number;
  seed?: number;
};

/**
 * Cluster-bootstrap weights: each replicate draws `count` clusters (queries) with replacement; an output's
 * weight is the number of times its cluster was drawn. Deterministic for a seed.
 */
export function bootstrapWeights(clusters: Int32Array, count: number, replicates: number, seed: number): Int32Array[] {
  const rng = Rng.of(seed, "bootstrap");
  const out: Int32Array[] = [];
  for (let b = 0; b < replicates; b++) {
    const draws = new Int32Array(count);
    for (let c = 0; c < count; c++) draws[rng.int(count)]++;
    const w = new Int32Array(clusters.length);
    for (let i = 0; i < clusters.length; i++) w[i] = draws[clusters[i]];
    out.push(w);
  }
  return out;
}

/**
 * Reliability audit of one dimension: the primary statistic (AUROC - 0.5 or Spearman) with a 95% percentile
 * interval over bootstrap replicates, and the secondary statistics (Kendall tau-b for graded labels,
 * point-biserial correlation for 0/1 labels). A dimension is kept when the interval lies above zero.
 */
export function auditDimension(
  metric: Metric,
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  replicateWeights: readonly Int32Array[],
): DimensionAudit {
  const ox = argsort(x);
  const oy = argsort(y);
  const stat = (w?: Int32Array) =>
    metric === "auroc" ? auroc(x, y, w, ox) - 0.5 : spearman(x, y, w, { x: ox, y: oy });
  const primary = stat();
  const reps = replicateWeights.map((w) => stat(w)).map((v) => (Number.isNaN(v) ? 0 : v));
  reps.sort((a, b) => a - b);
  const ci: [number, number] = reps.length ? [quantileSorted(reps, 0.025), quantileSorted(reps, 0.975)] : [NaN, NaN];
  const audit: DimensionAudit = { primary, ci, kept: Number.isFinite(primary) && ci[0] > 0 };
  if (metric === "auroc") {
    audit.auroc = primary + 0.5;
    audit.pointBiserial = pearson(x, y);
  } else {
    audit.spearman = primary;
    audit.kendall = kendall(x, y);
  }
  return audit;
}

