import type { LoggedOutput, TaskType } from "../data/logged";
import { InputError } from "../errors";
import { presentDimensions, type AnyDimension, type DimensionTable } from "./dimensions";
import { clusterIds, groupFolds } from "./folds";
import { fnv1a } from "../math/prng";
import { BINS, BUCKETS, SCALE, judgeColumn, judgeWeightsHash, outOfFoldJudge, trainJudge, type JudgeFeatures, type JudgeWeights } from "./learnedJudge";
import { auditDimension, bootstrapWeights, centred, metricFor, metricValue } from "./metrics";
import { fitModelPrior, modelPrior, normalizeLabel } from "./modelPrior";
import { nnls } from "./nnls";
import { nonNegativeLogistic } from "./logistic";
import { applyQuantiles, fitQuantiles } from "./normalize";
import { DEFAULT_WEIGHTS, type DimensionAudit, type Metric, type QualityProfile, type TaskProfile, type Scale, type WeightMethod, type Weights } from "./profile";
import { compositeOf, computeDimensionsAndFeatures, rowsByTask } from "./score";

export type CalibrateOptions = {
  /** Use references (default true). */
  useReferences?: boolean;
  /** Bootstrap replicates for the reliability intervals (default 200). */
  bootstrap?: number;
  /** Seed of the bootstrap and of the fold assignments (default `DEFAULT_SEED`). */
  seed?: number;
  /** Folds for the out-of-fold model prior and the inner cross-validation of the weights (default 5 and 3). */
  priorFolds?: number;
  innerFolds?: number;
  /**
   * How the inner validation that picks the weighting is split: "random" query folds only, or "shift" (default):
   * random query folds plus held-out models, difficulty halves and length halves of the training set, so that a
   * weighting wins only if it also holds off its training domain (see `innerAggregate`).
   */
  innerSplits?: "random" | "shift";
  /**
   * How fold families combine into a candidate's score: their worst (default: a minimax choice, so that a
   * weighting wins only if it holds in every kind of shift) or their mean.
   */
  innerAggregate?: "mean" | "min";
  /**
   * Train the learned judge inside the calibration (default false: it did not pass its gate, see
   * docs/quality.md): out-of-fold judge scores on the training outputs, kept as a dimension only where they beat
   * every reference-free dimension there.
   */
  learnedJudge?: boolean;
  /** Receives the learned judge that `calibrate` trained on all training outputs (when some task uses it). */
  onLearnedJudge?: (weights: JudgeWeights) => void;
  /** LLM-judge scores by output id, when the judge dimension is enabled. */
  judge?: ReadonlyMap<string, number>;
  onProgress?: (message: string) => void;
};

export const DEFAULT_SEED = 20260301;

/** Everything calibration derives for one task, on the training rows. */
export type TaskCalibrationInput = {
  task: TaskType;
  items: readonly LoggedOutput[];
  /** Dimension values of `items` (modelPrior already out-of-fold). */
  table: DimensionTable;
};

/** Labels of a task normalised to [0, 1]. */
function normalisedLabels(task: TaskType, items: readonly LoggedOutput[]): Float64Array {
  return Float64Array.from(items, (it) => normalizeLabel(task, it.label!));
}

/** Sum-to-one copy of weights restricted to `dims` (zero and missing weights dropped). */
export function renormalise(weights: Weights, dims: readonly AnyDimension[]): Weights {
  const total = dims.reduce((s, d) => s + (weights[d] ?? 0), 0);
  const out: Weights = {};
  if (total <= 0) return out;
  for (const d of dims) if ((weights[d] ?? 0) > 0) out[d] = weights[d]! / total;
  return out;
}

/** A candidate composite: weights and each dimension's share of the rank part. */
type Spec = { weights: Weights; rankShare: Partial<Record<AnyDimension, number>> };
type FittedMethod = Exclude<WeightMethod, "default">;
type Candidate = { method: FittedMethod; scale: Scale; fit: (rows: readonly number[]) => Spec };

/**
 * The candidate weightings over the kept dimensions: reliability (default weights, renormalised), non-negative
 * least squares, and for 0/1 labels non-negative logistic regression; on raw values, on ranks, and (fitted
 * methods) on both at once, where a dimension's raw and rank coefficients become its weight and rank share.
 */
function candidates(
  kept: readonly AnyDimension[],
  raw: DimensionTable,
  rank: DimensionTable,
  y: Float64Array,
  metric: Metric,
  audit: Partial<Record<AnyDimension, DimensionAudit>>,
): Candidate[] {
  // Columns are sliced once per row set (the inner folds and the full set) and shared by every candidate.
  const cache = new Map<DimensionTable, WeakMap<readonly number[], Float64Array[]>>();
  const cols = (table: DimensionTable, rows: readonly number[]) => {
    let byRows = cache.get(table);
    if (!byRows) cache.set(table, (byRows = new WeakMap()));
    let c = byRows.get(rows);
    if (!c) {
      c = kept.map((d) => {
        const src = table[d]!;
        const col = new Float64Array(rows.length);
        for (let k = 0; k < rows.length; k++) col[k] = src[rows[k]];
        return col;
      });
      byRows.set(rows, c);
    }
    return c;
  };
  const layout = (scale: Scale, rows: readonly number[]) =>
    scale === "raw" ? cols(raw, rows) : scale === "rank" ? cols(rank, rows) : [...cols(raw, rows), ...cols(rank, rows)];
  const toSpec = (scale: Scale, c: number[]): Spec => {
    const weights: Weights = {};
    const rankShare: Spec["rankShare"] = {};
    kept.forEach((d, k) => {
      const a = scale === "rank" ? 0 : c[k];
      const b = scale === "raw" ? 0 : scale === "rank" ? c[k] : c[kept.length + k];
      weights[d] = a + b;
      if (a + b > 0 && b > 0) rankShare[d] = b / (a + b);
    });
    const w = renormalise(weights, kept);
    for (const d of Object.keys(rankShare) as AnyDimension[]) if (!(d in w)) delete rankShare[d];
    return { weights: w, rankShare };
  };
  const labels = new WeakMap<readonly number[], Float64Array>();
  const label = (rows: readonly number[]) => {
    let l = labels.get(rows);
    if (!l) labels.set(rows, (l = Float64Array.from(rows, (r) => y[r])));
    return l;
  };
  const out: Candidate[] = [];
  // The robust priors: the most trusted dimension alone (highest lower bound of its interval), and the equal-weight
  // rank average of the kept dimensions.
  const single = kept.reduce((a, b) => (audit[b]!.ci[0] > audit[a]!.ci[0] ? b : a));
  out.push({ method: "single", scale: "rank", fit: () => ({ weights: { [single]: 1 }, rankShare: { [single]: 1 } }) });
  const equal: Weights = {};
  const equalShare: Spec["rankShare"] = {};
  for (const d of kept) {
    equal[d] = 1 / kept.length;
    equalShare[d] = 1;
  }
  out.push({ method: "equal", scale: "rank", fit: () => ({ weights: equal, rankShare: equalShare }) });
  for (const scale of ["raw", "rank"] as const) {
    const rankShare: Spec["rankShare"] = {};
    if (scale === "rank") for (const d of kept) rankShare[d] = 1;
    out.push({ method: "reliability", scale, fit: () => ({ weights: renormalise(DEFAULT_WEIGHTS, kept), rankShare }) });
  }
  // Pure-rank fits are left out: the mixed fit contains them.
  for (const scale of ["raw", "mixed"] as const) {
    out.push({ method: "nnls", scale, fit: (rows) => toSpec(scale, nnls({ columns: layout(scale, rows), y: label(rows) })) });
    if (metric === "auroc") {
      out.push({
        method: "logistic",
        scale,
        fit: (rows) => toSpec(scale, nonNegativeLogistic({ columns: layout(scale, rows), y: label(rows) })),
      });
    }
  }
  return out;
}

function allRows(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/** The dimensions' scales a fit may use: raw values, ranks (the training CDF), or both mixed per dimension. */
export const SCALES = ["raw", "rank", "mixed"] as const;

/** One inner validation fold: rows to fit on, rows to test on, and whether the test rows' models count as unseen. */
type InnerFold = { family: string; fit: number[]; test: number[]; unseenModels?: boolean };

/** Splits a list of queries into halves by a per-query value (ties broken by a hash of the query). */
function halves(items: readonly LoggedOutput[], value: (group: LoggedOutput[]) => number): [Set<string>, Set<string>] {
  const groups = new Map<string, LoggedOutput[]>();
  for (const it of items) (groups.get(it.queryId) ?? groups.set(it.queryId, []).get(it.queryId)!).push(it);
  const v = new Map<string, number>();
  for (const [q, g] of groups) v.set(q, value(g));
  const order = [...v.keys()].sort((a, b) => v.get(a)! - v.get(b)! || fnv1a(a) - fnv1a(b) || (a < b ? -1 : a > b ? 1 : 0));
  const cut = Math.floor(order.length / 2);
  return [new Set(order.slice(0, cut)), new Set(order.slice(cut))];
}

/**
 * The inner validation folds of a training set: k random query folds, and with `shift` also each model held out
 * (when there are at least three), and both directions of the difficulty halves (mean label of a query's
 * outputs) and of the length halves (source or question length).
 */
function innerFolds(items: readonly LoggedOutput[], y: Float64Array, options: CalibrateOptions): InnerFold[] {
  const k = options.innerFolds ?? 3;
  const inner = groupFolds(
    items.map((it) => it.queryId),
    k,
    (options.seed ?? DEFAULT_SEED) + 1,
  );
  const folds: InnerFold[] = [];
  for (let f = 0; f < k; f++) {
    const fit: number[] = [];
    const test: number[] = [];
    inner.forEach((fold, r) => (fold === f ? test : fit).push(r));
    folds.push({ family: "random", fit, test });
  }
  if ((options.innerSplits ?? "shift") === "random") return folds;
  const models = [...new Set(items.map((it) => it.model))].sort();
  if (models.length >= 3) {
    for (const m of models) {
      const fit: number[] = [];
      const test: number[] = [];
      items.forEach((it, r) => (it.model === m ? test : fit).push(r));
      folds.push({ family: "models", fit, test, unseenModels: true });
    }
  }
  const index = new Map(items.map((it, r) => [it, r]));
  const strata: [string, (g: LoggedOutput[]) => number][] = [
    ["difficulty", (g) => g.reduce((s, it) => s + y[index.get(it)!], 0) / g.length],
    ["length", (g) => (g[0].context ?? g[0].query).length],
  ];
  for (const [family, value] of strata) {
    const [lo, hi] = halves(items, value);
    for (const [a, b] of [
      [lo, hi],
      [hi, lo],
    ]) {
      const fit: number[] = [];
      const test: number[] = [];
      items.forEach((it, r) => (a.has(it.queryId) ? fit : b.has(it.queryId) ? test : undefined)?.push(r));
      folds.push({ family, fit, test });
    }
  }
  return folds;
}

/**
 * Inner validated score (centred metric) of every candidate, keyed "method/scale": the mean over fold families
 * of the mean over each family's folds. A fold whose test rows leave a candidate's metric undefined is skipped.
 */
function innerCrossValidation(
  table: DimensionTable,
  normalizers: TaskProfile["normalizers"],
  folds: readonly InnerFold[],
  y: Float64Array,
  metric: Metric,
  cands: readonly Candidate[],
  aggregate: "mean" | "min" = "min",
): Map<string, number> {
  const byFamily = new Map<string, { sums: Map<string, number>; n: number }>();
  for (const fold of folds) {
    const { fit: fitRows, test: testRows } = fold;
    if (testRows.length < 2 || fitRows.length < 2) continue;
    const yTest = Float64Array.from(testRows, (r) => y[r]);
    let view = table;
    if (fold.unseenModels && table.modelPrior) {
      // The held-out model is unknown to the fit: its prior is the fit rows' mean prior, a constant.
      let m = 0;
      for (const r of fitRows) m += table.modelPrior[r];
      m /= fitRows.length;
      const prior = Float64Array.from(table.modelPrior);
      for (const r of testRows) prior[r] = m;
      view = { ...table, modelPrior: prior };
    }
    const values = cands.map((c) => {
      const spec = c.fit(fitRows);
      if (Object.keys(spec.weights).length === 0) return NaN;
      return centred(metric, metricValue(metric, compositeOf(view, testRows, { ...spec, normalizers }), yTest));
    });
    if (values.some((v) => !Number.isFinite(v))) continue;
    const fam = byFamily.get(fold.family) ?? byFamily.set(fold.family, { sums: new Map(), n: 0 }).get(fold.family)!;
    cands.forEach((c, i) => fam.sums.set(`${c.method}/${c.scale}`, (fam.sums.get(`${c.method}/${c.scale}`) ?? 0) + values[i]));
    fam.n++;
  }
  const out = new Map<string, number>();
  for (const { sums, n } of byFamily.values()) {
    for (const [key, v] of sums) {
      if (aggregate === "min") out.set(key, Math.min(out.get(key) ?? Infinity, v / n));
      else out.set(key, (out.get(key) ?? 0) + v / n / byFamily.size);
    }
  }
  return out;
}

/**
 * Calibrates one task: reliability audit with cluster-bootstrap intervals, the dropped dimensions, then the
 * composite over the kept dimensions, chosen among the candidates of `candidates()` by inner cross-validation on
 * the training rows (split by queryId). Ties keep the earlier, simpler candidate.
 */
export function calibrateTask(input: TaskCalibrationInput, options: CalibrateOptions = {}): TaskProfile {
  const { task, items, table } = input;
  const seed = options.seed ?? DEFAULT_SEED;
  const y = normalisedLabels(task, items);
  const metric = metricFor(Float64Array.from(items, (it) => it.label!));
  const dims = presentDimensions(table);
  const queryIds = items.map((it) => it.queryId);

  const normalizers: TaskProfile["normalizers"] = {};
  const rank: DimensionTable = {};
  for (const d of dims) {
    normalizers[d] = fitQuantiles(table[d]!);
    rank[d] = Float64Array.from(table[d]!, (v) => applyQuantiles(normalizers[d], v));
  }

  const clusters = clusterIds(queryIds);
  const reps = bootstrapWeights(clusters.ids, clusters.count, options.bootstrap ?? 200, seed);
  const audit: Partial<Record<AnyDimension, DimensionAudit>> = {};
  for (const d of dims) audit[d] = auditDimension(metric, table[d]!, y, reps);
  // Keep the dimensions whose interval lies above zero. When none does (small training sets), fall back to
  // those with a positive point estimate rather than to the defaults, which would include harmful dimensions.
  let kept = dims.filter((d) => audit[d]!.kept);
  if (kept.length === 0) kept = dims.filter((d) => audit[d]!.primary > 0);
  const dropped = dims.filter((d) => !kept.includes(d));
  for (const d of dims) audit[d]!.kept = kept.includes(d);

  const base = { metric, dropped, normalizers, modelPrior: fitModelPrior(items), n: items.length, audit };
  const fallback: TaskProfile = { ...base, weights: { ...DEFAULT_WEIGHTS }, method: "default", scale: "raw", rankShare: {} };
  if (kept.length === 0) return fallback;

  const cands = candidates(kept, table, rank, y, metric, audit);
  const scores = innerCrossValidation(table, normalizers, innerFolds(items, y, options), y, metric, cands, options.innerAggregate);
  const all = allRows(items.length);
  const results: NonNullable<TaskProfile["candidates"]> = {};
  let best: (Spec & { method: FittedMethod; scale: Scale; score: number }) | undefined;
  for (const c of cands) {
    const spec = c.fit(all);
    const innerCv = scores.get(`${c.method}/${c.scale}`) ?? NaN;
    results[`${c.method}/${c.scale}`] = { weights: spec.weights, innerCv };
    if (Object.keys(spec.weights).length > 0 && (!best || innerCv > best.score + 1e-9)) {
      best = { ...spec, method: c.method, scale: c.scale, score: innerCv };
    }
  }
  if (!best) return { ...fallback, candidates: results };
  return { ...base, weights: best.weights, rankShare: best.rankShare, method: best.method, scale: best.scale, candidates: results };
}

/** Checks that every training output carries a label. */
export function requireLabels(items: readonly LoggedOutput[], what: string): void {
  if (items.length === 0) throw new InputError(`${what}: no outputs`);
  const missing = items.find((it) => it.label === undefined);
  if (missing) throw new InputError(`${what}: output "${missing.id}" has no label`);
}

/**
 * Out-of-fold model prior for labelled rows: each query's outputs get the prior learned without that query's
 * fold, so the calibration never sees a prior fitted on the label it predicts.
 */
export function outOfFoldModelPrior(items: readonly LoggedOutput[], folds: number, seed: number): Float64Array {
  const fold = groupFolds(
    items.map((it) => it.queryId),
    folds,
    seed,
  );
  const out = new Float64Array(items.length);
  for (let f = 0; f < folds; f++) {
    const table = fitModelPrior(items.filter((_, i) => fold[i] !== f));
    items.forEach((it, i) => {
      if (fold[i] === f) out[i] = modelPrior(table, it.model);
    });
  }
  return out;
}

/**
 * Calibrates a profile on labelled training outputs, per task type. Pure and deterministic.
 */
export function calibrate(train: readonly LoggedOutput[], options: CalibrateOptions = {}): QualityProfile {
  requireLabels(train, "training set");
  const useReferences = options.useReferences ?? true;
  const seed = options.seed ?? DEFAULT_SEED;
  const { table, features } = computeDimensionsAndFeatures({
    items: train,
    modelPriors: {},
    useReferences,
    judge: options.judge,
    withFeatures: options.learnedJudge === true,
  });
  const profile: QualityProfile = { kind: "poq-quality-profile", version: 1, useReferences, tasks: {} };
  const judges: JudgeWeights["tasks"] = {};
  for (const [task, rows] of rowsByTask(train)) {
    options.onProgress?.(`calibrating ${task} on ${rows.length} outputs`);
    const items = rows.map((r) => train[r]);
    const sub: DimensionTable = {};
    for (const d of presentDimensions(table)) sub[d] = Float64Array.from(rows, (r) => table[d]![r]);
    sub.modelPrior = outOfFoldModelPrior(items, options.priorFolds ?? 5, seed + 2);
    if (features) {
      const j = withLearnedJudge({ items, features: rows.map((r) => features[r]), table: sub }, undefined, useReferences, seed);
      if (j) judges[task] = j.tasks[task];
    }
    profile.tasks[task] = calibrateTask({ task, items, table: sub }, options);
  }
  if (Object.keys(judges).length > 0) {
    const weights: JudgeWeights = { kind: "poq-judge-weights", version: 1, buckets: BUCKETS, scale: SCALE, bins: BINS, tasks: judges };
    profile.judgeWeightsHash = judgeWeightsHash(weights);
    options.onLearnedJudge?.(weights);
  }
  return profile;
}

/** The dimensions that never read references (the semantic dimension does when references are used). */
function referenceFree(table: DimensionTable, useReferences: boolean): AnyDimension[] {
  return presentDimensions(table).filter((d) => d !== "learnedJudge" && d !== "judge" && !(useReferences && d === "semantic"));
}

/**
 * Trains the learned judge on one task's training outputs: its out-of-fold scores (3 folds by query), whether
 * they beat every reference-free dimension of the training table (the gate that makes it a dimension), and the
 * judge trained on all of them.
 */
export function learnedJudgeForTask(
  items: readonly LoggedOutput[],
  features: readonly JudgeFeatures[],
  table: DimensionTable,
  useReferences: boolean,
  seed: number,
): { oof: Float64Array; enabled: boolean; weights: JudgeWeights; value: number; best: number } {
  const fold = groupFolds(
    items.map((it) => it.queryId),
    3,
    seed + 3,
  );
  const oof = outOfFoldJudge(items, features, fold, 3);
  const y = Float64Array.from(items, (it) => it.label!);
  const metric = metricFor(y);
  const value = metricValue(metric, oof, y);
  let best = -Infinity;
  for (const d of referenceFree(table, useReferences)) {
    const v = metricValue(metric, table[d]!, y);
    if (Number.isFinite(v) && v > best) best = v;
  }
  const weights = trainJudge(items, features);
  return { oof, enabled: Number.isFinite(value) && value > best, weights, value, best };
}

/** Adds the learned judge's column to a training table (out of fold) and to an evaluation table, when enabled. */
export function withLearnedJudge(
  train: { items: readonly LoggedOutput[]; features: readonly JudgeFeatures[]; table: DimensionTable },
  evaluation: { items: readonly LoggedOutput[]; features: readonly JudgeFeatures[]; table: DimensionTable } | undefined,
  useReferences: boolean,
  seed: number,
): JudgeWeights | undefined {
  const j = learnedJudgeForTask(train.items, train.features, train.table, useReferences, seed);
  if (!j.enabled) return undefined;
  train.table.learnedJudge = j.oof;
  if (evaluation) evaluation.table.learnedJudge = judgeColumn(j.weights, evaluation.items, evaluation.features, true);
  return j.weights;
}
