import type { LoggedOutput, TaskType } from "../data/logged";
import { calibrateTask, DEFAULT_SEED, type CalibrateOptions } from "./calibrate";
import { groupFolds } from "./folds";
import { presentDimensions, type AnyDimension, type DimensionTable } from "./dimensions";
import { metricFor, metricValue } from "./metrics";
import { normalizeLabel } from "./modelPrior";
import type { TaskProfile } from "./profile";
import { compositeOf } from "./score";
import { argsort } from "../math/stats";

/**
 * The scoring cascade: cheap stages first, the expensive ones only for the outputs whose score is still
 * uncertain. Each stage adds dimensions; after each stage an output's composite (calibrated on the dimensions
 * computed so far) is mapped to a calibrated quality (isotonic on the training outputs: the expected normalised
 * label at that composite), and its uncertainty is the training labels' spread there. An output stops at the first
 * stage where its uncertainty is at most the stage's threshold; the last stage takes the rest. Pure: costs come in
 * as numbers (the command layer measures CPU time per output, and an LLM judge's price per call is configured).
 */
export const CASCADE_STAGES: readonly { name: string; dims: readonly AnyDimension[] }[] = [
  { name: "priors+structure", dims: ["modelPrior", "costPrior", "structure"] },
  { name: "source+references", dims: ["semantic", "alignment"] },
  { name: "agreement", dims: ["agreement"] },
  { name: "learned judge", dims: ["learnedJudge"] },
  { name: "LLM judge", dims: ["judge"] },
];

/** A monotone map from a composite to the mean normalised label, and the label spread, by quantile bin. */
export type StageMap = { edges: number[]; mean: number[]; spread: number[] };

export type CascadeStage = { name: string; dims: AnyDimension[]; profile: TaskProfile; map: StageMap; threshold: number };

export type Cascade = { task: TaskType; stages: CascadeStage[] };

const MAP_BINS = 20;

/** Isotonic (pool-adjacent-violators) fit of bin means, weighted by bin counts. */
function isotonic(values: number[], weights: number[]): number[] {
  const blocks: { v: number; w: number; n: number }[] = [];
  values.forEach((v, i) => {
    blocks.push({ v, w: weights[i], n: 1 });
    while (blocks.length > 1 && blocks[blocks.length - 2].v > blocks[blocks.length - 1].v) {
      const b = blocks.pop()!;
      const a = blocks.pop()!;
      blocks.push({ v: (a.v * a.w + b.v * b.w) / (a.w + b.w || 1), w: a.w + b.w, n: a.n + b.n });
    }
  });
  return blocks.flatMap((b) => new Array<number>(b.n).fill(b.v));
}

/** Fits the stage map on training composites `x` and normalised labels `y`. */
export function fitStageMap(x: ArrayLike<number>, y: ArrayLike<number>): StageMap {
  const order = argsort(x);
  const n = order.length;
  const edges: number[] = [];
  const sums: number[] = [];
  const sq: number[] = [];
  const counts: number[] = [];
  for (let b = 0; b < MAP_BINS; b++) {
    const lo = Math.floor((b * n) / MAP_BINS);
    const hi = Math.floor(((b + 1) * n) / MAP_BINS);
    let s = 0;
    let s2 = 0;
    for (let k = lo; k < hi; k++) {
      s += y[order[k]];
      s2 += y[order[k]] ** 2;
    }
    if (hi > lo) {
      edges.push(x[order[hi - 1]]);
      sums.push(s);
      sq.push(s2);
      counts.push(hi - lo);
    }
  }
  const mean = isotonic(
    sums.map((s, b) => s / counts[b]),
    counts,
  );
  const spread = sq.map((s2, b) => Math.sqrt(Math.max(0, s2 / counts[b] - (sums[b] / counts[b]) ** 2)));
  return { edges, mean, spread };
}

function binOf(map: StageMap, v: number): number {
  let lo = 0;
  let hi = map.edges.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (map.edges[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Calibrated quality and uncertainty of composites under a stage map. */
export function applyStageMap(map: StageMap, x: ArrayLike<number>): { quality: Float64Array; uncertainty: Float64Array } {
  const quality = new Float64Array(x.length);
  const uncertainty = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const b = binOf(map, x[i]);
    // A small tie-breaker keeps the stage composite's order inside a bin.
    quality[i] = map.mean[b] + 1e-6 * x[i];
    uncertainty[i] = map.spread[b];
  }
  return { quality, uncertainty };
}

export type CascadeRun = {
  /** The final score of every output (the calibrated quality of its last stage). */
  scores: Float64Array;
  /** The stage each output stopped at. */
  stopped: Int32Array;
  /** Outputs that reached each stage. */
  reached: number[];
  /** Cost per output: sum over outputs of the costs of the stages they reached, divided by the outputs. */
  costPerOutput: number;
};

/** Runs a cascade on a batch whose dimension table holds every stage's dimensions (for measurement). */
export function runCascade(cascade: Cascade, table: DimensionTable, costs: readonly number[], thresholds?: readonly number[]): CascadeRun {
  const n = table[presentDimensions(table)[0]]!.length;
  const rows = Array.from({ length: n }, (_, i) => i);
  const scores = new Float64Array(n);
  const stopped = new Int32Array(n).fill(-1);
  const reached = cascade.stages.map(() => 0);
  let cost = 0;
  cascade.stages.forEach((stage, s) => {
    const { quality, uncertainty } = applyStageMap(stage.map, compositeOf(table, rows, stage.profile));
    const last = s === cascade.stages.length - 1;
    const threshold = thresholds?.[s] ?? stage.threshold;
    for (let i = 0; i < n; i++) {
      if (stopped[i] >= 0) continue;
      reached[s]++;
      cost += costs[s];
      if (last || uncertainty[i] <= threshold) {
        stopped[i] = s;
        scores[i] = quality[i];
      }
    }
  });
  return { scores, stopped, reached, costPerOutput: cost / n };
}

/** Stage calibrations and maps fitted on some rows of a training set. */
function fitStages(task: TaskType, items: readonly LoggedOutput[], table: DimensionTable, options: CalibrateOptions): { stages: CascadeStage[]; names: string[] } {
  const present = presentDimensions(table);
  const y = Float64Array.from(items, (it) => normalizeLabel(task, it.label!));
  const rows = items.map((_, i) => i);
  const stages: CascadeStage[] = [];
  const dims: AnyDimension[] = [];
  for (const st of CASCADE_STAGES) {
    const added = st.dims.filter((d) => present.includes(d));
    if (added.length === 0) continue;
    dims.push(...added);
    const sub: DimensionTable = {};
    for (const d of dims) sub[d] = table[d];
    const profile = calibrateTask({ task, items, table: sub }, options);
    const map = fitStageMap(compositeOf(sub, rows, profile), y);
    stages.push({ name: st.name, dims: dims.slice(), profile, map, threshold: Infinity });
  }
  return { stages, names: stages.map((s) => s.name) };
}

/** Per stage, the uncertainty at quantile level q of the given rows (q = 0: nobody stops early). */
function thresholdsAt(stages: readonly CascadeStage[], table: DimensionTable, q: number): number[] {
  const n = table[presentDimensions(table)[0]]!.length;
  const rows = Array.from({ length: n }, (_, i) => i);
  return stages.map((st) => {
    if (q === 0) return -1;
    const u = Float64Array.from(applyStageMap(st.map, compositeOf(table, rows, st.profile)).uncertainty).sort();
    return u[Math.min(u.length - 1, Math.floor(q * (u.length - 1)))];
  });
}

function subset(table: DimensionTable, rows: readonly number[]): DimensionTable {
  const out: DimensionTable = {};
  for (const d of presentDimensions(table)) out[d] = Float64Array.from(rows, (r) => table[d]![r]);
  return out;
}

/**
 * Fits a cascade on one task's training outputs. The thresholds are chosen on held-out training queries: the
 * stages are fitted on one half of the queries and scored on the other, both ways round, and the cheapest
 * uncertainty quantile (the same level at every stage, on a grid of 5% steps) whose metric stays within
 * `tolerance` of scoring every output with every stage on both halves is kept. The stages are then refitted on all
 * training outputs, with thresholds at that quantile.
 */
export function fitCascade(
  task: TaskType,
  items: readonly LoggedOutput[],
  table: DimensionTable,
  costs: (stage: string) => number,
  options: CalibrateOptions & { tolerance?: number } = {},
): { cascade: Cascade; stageCosts: number[] } {
  const tolerance = options.tolerance ?? 0.005;
  const fold = groupFolds(
    items.map((it) => it.queryId),
    2,
    (options.seed ?? DEFAULT_SEED) + 5,
  );
  const halves = [0, 1].map((h) => items.flatMap((_, i) => (fold[i] === h ? [i] : [])));
  const present = presentDimensions(table);
  const stageCosts = CASCADE_STAGES.filter((st) => st.dims.some((d) => present.includes(d))).map((st) => costs(st.name));
  // For each uncertainty level, the cost and whether the tolerance holds, with each half fitted and the other
  // scored; a level is eligible only if it holds both ways.
  const ok = new Array<boolean>(21).fill(true);
  const cost = new Array<number>(21).fill(0);
  for (const [fitRows, testRows] of [
    [halves[0], halves[1]],
    [halves[1], halves[0]],
  ]) {
    const fitted = fitStages(
      task,
      fitRows.map((r) => items[r]),
      subset(table, fitRows),
      options,
    );
    const held = subset(table, testRows);
    const raw = testRows.map((r) => items[r].label!);
    const metric = metricFor(raw);
    const half: Cascade = { task, stages: fitted.stages };
    const last = fitted.stages.length - 1;
    const full = metricValue(metric, runCascade(half, held, stageCosts, fitted.stages.map((_, s) => (s === last ? Infinity : -1))).scores, raw);
    for (let k = 0; k <= 20; k++) {
      const run = runCascade(half, held, stageCosts, thresholdsAt(fitted.stages, held, k / 20));
      if (!(metricValue(metric, run.scores, raw) >= full - tolerance)) ok[k] = false;
      cost[k] += run.costPerOutput / 2;
    }
  }
  let best = 0;
  for (let k = 1; k <= 20; k++) if (ok[k] && cost[k] < cost[best]) best = k;
  const { stages } = fitStages(task, items, table, options);
  const thresholds = thresholdsAt(stages, table, best / 20);
  stages.forEach((s, k) => (s.threshold = thresholds[k]));
  return { cascade: { task, stages }, stageCosts };
}
