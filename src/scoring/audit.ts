import type { LoggedOutput, TaskType } from "../data/logged";
import { InputError } from "../errors";
import { calibrateTask, DEFAULT_SEED, outOfFoldModelPrior, requireLabels, withLearnedJudge, type CalibrateOptions } from "./calibrate";
import { judgeColumn, judgeWeightsHash, type JudgeWeights } from "./learnedJudge";
import { fitCascade, runCascade } from "./cascade";
import { presentDimensions, type AnyDimension, type DimensionTable } from "./dimensions";
import { groupFolds } from "./folds";
import { metricFor, metricValue } from "./metrics";
import { modelPrior } from "./modelPrior";
import { DEFAULT_WEIGHTS, type Metric, type QualityProfile, type TaskProfile, type Weights } from "./profile";
import { compositeOf, computeDimensionsAndFeatures, rowsByTask } from "./score";

/** What `poq audit` reports for one task type (the JSON object of `--json`, plus details for the table). */
export type TaskAuditResult = {
  task: TaskType;
  metric: Metric;
  /** Evaluated outputs. */
  n: number;
  /** The metric of each dimension on the evaluated outputs (NaN when undefined). */
  dimensions: Partial<Record<AnyDimension, number>>;
  composite: { default: number; calibrated: number };
  bestSingle: { name: AnyDimension; value: number };
  /** Unweighted mean of all dimensions (raw values). */
  consensus: number;
  /** With `cascadeCosts`: the cascade's accuracy and cost (train/eval audits). */
  cascade?: CascadeReport;
  detail: AuditDetail;
};

export type AuditDetail = {
  /** Folds of cross-validation, or 0 for a train/eval audit. */
  folds: number;
  /** Standard deviation over folds of each reported value (cross-validation only). */
  sd?: Record<string, number>;
  /** The calibration of the last (or only) training set. */
  profile: TaskProfile;
  /** How many folds chose each weighting method. */
  methods: Record<string, number>;
  /** Mean calibrated weights over folds. */
  weights: Weights;
  /** In how many calibrations (folds) each dimension was kept. */
  kept: Partial<Record<AnyDimension, number>>;
  /** Calibrations run (folds, or 1). */
  calibrations: number;
};

/**
 * Calibration options; `judge` holds LLM-judge scores by id for the training and the evaluated outputs;
 * `learnedJudgeWeights` the learned judge of a saved profile (`auditWithProfile`).
 */
export type AuditOptions = CalibrateOptions & {
  learnedJudgeWeights?: JudgeWeights;
  /** Run the cascade too, with these costs per output of each stage (by stage name, in any one unit). */
  cascadeCosts?: Record<string, number>;
};

/** The cascade's report: each stage alone, scoring every output with every stage, and the cascade. */
export type CascadeReport = {
  stages: { name: string; dims: AnyDimension[]; value: number; costPerOutput: number; reached: number }[];
  all: { value: number; costPerOutput: number };
  cascade: { value: number; costPerOutput: number; costShare: number };
};

function cascadeReport(
  task: TaskType,
  train: { items: readonly LoggedOutput[]; table: DimensionTable },
  evaluation: { items: readonly LoggedOutput[]; table: DimensionTable },
  costs: Record<string, number>,
  options: AuditOptions,
): CascadeReport {
  const { cascade, stageCosts } = fitCascade(task, train.items, train.table, (name) => costs[name] ?? 0, options);
  const y = evaluation.items.map((it) => it.label!);
  const metric = metricFor(y);
  const rows = evaluation.items.map((_, i) => i);
  const run = runCascade(cascade, evaluation.table, stageCosts);
  const everything = runCascade(
    cascade,
    evaluation.table,
    stageCosts,
    cascade.stages.map((_, s) => (s === cascade.stages.length - 1 ? Infinity : -1)),
  );
  let cum = 0;
  const stages = cascade.stages.map((st, s) => {
    cum += stageCosts[s];
    return { name: st.name, dims: st.dims, value: metricValue(metric, compositeOf(evaluation.table, rows, st.profile), y), costPerOutput: cum, reached: run.reached[s] };
  });
  const all = { value: metricValue(metric, everything.scores, y), costPerOutput: everything.costPerOutput };
  const value = metricValue(metric, run.scores, y);
  return { stages, all, cascade: { value, costPerOutput: run.costPerOutput, costShare: all.costPerOutput > 0 ? run.costPerOutput / all.costPerOutput : NaN } };
}

type Evaluation = { dimensions: Partial<Record<AnyDimension, number>>; def: number; cal: number; consensus: number };

function slice(table: DimensionTable, rows: readonly number[]): DimensionTable {
  const out: DimensionTable = {};
  for (const d of presentDimensions(table)) out[d] = Float64Array.from(rows, (r) => table[d]![r]);
  return out;
}

/** Evaluates a calibrated task profile on rows of a dimension table (modelPrior already from the profile). */
function evaluate(table: DimensionTable, items: readonly LoggedOutput[], tp: TaskProfile): Evaluation {
  const metric = metricFor(items.map((it) => it.label!));
  const y = Float64Array.from(items, (it) => it.label!);
  const rows = items.map((_, i) => i);
  const dims = presentDimensions(table);
  const dimensions: Evaluation["dimensions"] = {};
  for (const d of dims) dimensions[d] = metricValue(metric, table[d]!, y);
  const def = metricValue(metric, compositeOf(table, rows, { weights: DEFAULT_WEIGHTS }), y);
  const cal = metricValue(metric, compositeOf(table, rows, tp), y);
  const equal: Weights = {};
  for (const d of dims) equal[d] = 1;
  const consensus = metricValue(metric, compositeOf(table, rows, { weights: equal }), y);
  return { dimensions, def, cal, consensus };
}

function withModelPrior(table: DimensionTable, items: readonly LoggedOutput[], tp: TaskProfile): DimensionTable {
  return { ...table, modelPrior: Float64Array.from(items, (it) => modelPrior(tp.modelPrior, it.model)) };
}

function meanSd(values: number[]): [number, number] {
  const v = values.filter(Number.isFinite);
  if (v.length === 0) return [NaN, NaN];
  const m = v.reduce((s, x) => s + x, 0) / v.length;
  const sd = Math.sqrt(v.reduce((s, x) => s + (x - m) ** 2, 0) / v.length);
  return [m, sd];
}

function summarise(task: TaskType, items: readonly LoggedOutput[], evals: Evaluation[], profiles: TaskProfile[], folds: number): TaskAuditResult {
  const metric = metricFor(items.map((it) => it.label!));
  const sd: Record<string, number> = {};
  const dimensions: TaskAuditResult["dimensions"] = {};
  const dims = Object.keys(evals[0].dimensions) as AnyDimension[];
  for (const d of dims) {
    const [m, s] = meanSd(evals.map((e) => e.dimensions[d]!));
    dimensions[d] = m;
    sd[d] = s;
  }
  const stat = (key: "def" | "cal" | "consensus", name: string) => {
    const [m, s] = meanSd(evals.map((e) => e[key]));
    sd[name] = s;
    return m;
  };
  const def = stat("def", "composite.default");
  const cal = stat("cal", "composite.calibrated");
  const consensus = stat("consensus", "consensus");
  let best: AnyDimension = dims[0];
  for (const d of dims) if (!(dimensions[best]! >= dimensions[d]!) && Number.isFinite(dimensions[d]!)) best = d;
  const methods: Record<string, number> = {};
  const weights: Weights = {};
  const kept: AuditDetail["kept"] = {};
  for (const p of profiles) {
    const key = p.method === "default" ? "default" : `${p.method}/${p.scale}`;
    methods[key] = (methods[key] ?? 0) + 1;
    for (const d of dims) if (!p.dropped.includes(d)) kept[d] = (kept[d] ?? 0) + 1;
    for (const [d, w] of Object.entries(p.weights)) {
      weights[d as AnyDimension] = (weights[d as AnyDimension] ?? 0) + (w ?? 0) / profiles.length;
    }
  }
  return {
    task,
    metric,
    n: items.length,
    dimensions,
    composite: { default: def, calibrated: cal },
    bestSingle: { name: best, value: dimensions[best]! },
    consensus,
    detail: {
      folds,
      sd: folds > 0 ? sd : undefined,
      profile: profiles[profiles.length - 1],
      methods,
      weights,
      kept,
      calibrations: profiles.length,
    },
  };
}

/**
 * Calibrates on `train` and reports on `evalItems`, per task type present in the evaluation set.
 */
export function auditTrainEval(train: readonly LoggedOutput[], evalItems: readonly LoggedOutput[], options: AuditOptions = {}): TaskAuditResult[] {
  requireLabels(train, "training set");
  requireLabels(evalItems, "evaluation set");
  const useReferences = options.useReferences ?? true;
  const seed = options.seed ?? DEFAULT_SEED;
  const withFeatures = options.learnedJudge === true;
  const tr = computeDimensionsAndFeatures({ items: train, modelPriors: {}, useReferences, judge: options.judge, withFeatures });
  const ev = computeDimensionsAndFeatures({ items: evalItems, modelPriors: {}, useReferences, judge: options.judge, withFeatures });
  const [trainTable, evalTable] = [tr.table, ev.table];
  const trainRows = rowsByTask(train);
  const results: TaskAuditResult[] = [];
  for (const [task, rows] of rowsByTask(evalItems)) {
    const tRows = trainRows.get(task);
    if (!tRows) throw new InputError(`the training set has no "${task}" outputs to calibrate the evaluation set's "${task}" outputs`);
    options.onProgress?.(`calibrating ${task} on ${tRows.length} training outputs`);
    const tItems = tRows.map((r) => train[r]);
    const tTable = slice(trainTable, tRows);
    tTable.modelPrior = outOfFoldModelPrior(tItems, options.priorFolds ?? 5, seed + 2);
    const eItems = rows.map((r) => evalItems[r]);
    const eTable = slice(evalTable, rows);
    if (tr.features && ev.features) {
      const tf = tRows.map((r) => tr.features![r]);
      const ef = rows.map((r) => ev.features![r]);
      withLearnedJudge({ items: tItems, features: tf, table: tTable }, { items: eItems, features: ef, table: eTable }, useReferences, seed);
    }
    const tp = calibrateTask({ task, items: tItems, table: tTable }, options);
    options.onProgress?.(`evaluating ${task} on ${rows.length} outputs`);
    const withPrior = withModelPrior(eTable, eItems, tp);
    const result = evaluate(withPrior, eItems, tp);
    const summary = summarise(task, eItems, [result], [tp], 0);
    if (options.cascadeCosts) summary.cascade = cascadeReport(task, { items: tItems, table: tTable }, { items: eItems, table: withPrior }, options.cascadeCosts, options);
    results.push(summary);
  }
  return results;
}

/**
 * k-fold cross-validation split by queryId: each fold is calibrated on the other folds and evaluated on itself;
 * the reported values are means over folds. Dimension values other than the model prior depend only on the
 * outputs of the same query, so they are computed once.
 */
export function auditCrossValidated(items: readonly LoggedOutput[], k: number, options: AuditOptions = {}): TaskAuditResult[] {
  requireLabels(items, "evaluation set");
  if (!Number.isInteger(k) || k < 2) throw new InputError(`--cv needs an integer number of folds >= 2 (got ${k})`);
  const useReferences = options.useReferences ?? true;
  const seed = options.seed ?? DEFAULT_SEED;
  const { table, features } = computeDimensionsAndFeatures({ items, modelPriors: {}, useReferences, judge: options.judge, withFeatures: options.learnedJudge === true });
  const results: TaskAuditResult[] = [];
  for (const [task, rows] of rowsByTask(items)) {
    const taskItems = rows.map((r) => items[r]);
    const taskTable = slice(table, rows);
    const fold = groupFolds(
      taskItems.map((it) => it.queryId),
      k,
      seed,
    );
    const distinctQueries = new Set(taskItems.map((it) => it.queryId)).size;
    if (distinctQueries < k) {
      throw new InputError(`--cv ${k}: the "${task}" outputs answer only ${distinctQueries} distinct queries; use fewer folds`);
    }
    const evals: Evaluation[] = [];
    const profiles: TaskProfile[] = [];
    for (let f = 0; f < k; f++) {
      options.onProgress?.(`${task}: fold ${f + 1}/${k}`);
      const trainRows: number[] = [];
      const testRows: number[] = [];
      fold.forEach((fd, r) => (fd === f ? testRows : trainRows).push(r));
      const tItems = trainRows.map((r) => taskItems[r]);
      const tTable = slice(taskTable, trainRows);
      tTable.modelPrior = outOfFoldModelPrior(tItems, options.priorFolds ?? 5, seed + 2);
      const eItems = testRows.map((r) => taskItems[r]);
      const eTable = slice(taskTable, testRows);
      if (features) {
        const f = (r: number) => features[rows[r]];
        withLearnedJudge({ items: tItems, features: trainRows.map(f), table: tTable }, { items: eItems, features: testRows.map(f), table: eTable }, useReferences, seed);
      }
      const tp = calibrateTask({ task, items: tItems, table: tTable }, options);
      evals.push(evaluate(withModelPrior(eTable, eItems, tp), eItems, tp));
      profiles.push(tp);
    }
    results.push(summarise(task, taskItems, evals, profiles, k));
  }
  return results;
}

/** Reports on `evalItems` with an already calibrated profile (no training set). */
export function auditWithProfile(evalItems: readonly LoggedOutput[], profile: QualityProfile, options: AuditOptions = {}): TaskAuditResult[] {
  requireLabels(evalItems, "evaluation set");
  const useReferences = options.useReferences ?? profile.useReferences;
  let learnedJudge: JudgeWeights | undefined;
  if (profile.judgeWeightsHash !== undefined) {
    learnedJudge = options.learnedJudgeWeights;
    if (!learnedJudge) throw new InputError(`the profile uses the learned judge ${profile.judgeWeightsHash}: give its weights (--judge-weights FILE)`);
    const hash = judgeWeightsHash(learnedJudge);
    if (hash !== profile.judgeWeightsHash) throw new InputError(`learned judge weights ${hash} differ from the profile's ${profile.judgeWeightsHash}`);
  }
  const { table: evalTable, features } = computeDimensionsAndFeatures({ items: evalItems, modelPriors: {}, useReferences, judge: options.judge, withFeatures: !!learnedJudge });
  if (learnedJudge && features) {
    const col = judgeColumn(learnedJudge, evalItems, features, true);
    const usedBy = Object.keys(learnedJudge.tasks);
    evalTable.learnedJudge = Float64Array.from(evalItems, (it, i) => (usedBy.includes(it.task) ? col[i] : 0.5));
  }
  const results: TaskAuditResult[] = [];
  for (const [task, rows] of rowsByTask(evalItems)) {
    const tp = profile.tasks[task];
    if (!tp) throw new InputError(`the profile has no calibration for task "${task}"`);
    const eItems = rows.map((r) => evalItems[r]);
    const ev = evaluate(withModelPrior(slice(evalTable, rows), eItems, tp), eItems, tp);
    results.push(summarise(task, eItems, [ev], [tp], 0));
  }
  return results;
}
