import type { LoggedOutput, TaskType } from "../data/logged";
import { presentDimensions, type AnyDimension, type DimensionTable } from "./dimensions";
import { clusterIds, groupFolds } from "./folds";
import { bootstrapWeights, metricFor } from "./metrics";
import { fnv1a, Rng } from "../math/prng";
import { argsort, auroc, quantileSorted, spearman } from "../math/stats";

/**
 * Domain-shift splits of labelled data: calibration on one part, evaluation on a part that differs in a way a
 * network meets in production (another data set, no references, unseen model families, other lengths or
 * difficulties). Pure: the splits are functions of the items (and of the labels for the difficulty strata,
 * which only decide membership).
 */
export type ShiftKind = "in-domain" | "dataset" | "references" | "models" | "length" | "difficulty";

/** One calibration / evaluation pair of row sets (indices into the items). */
export type ShiftPart = { train: number[]; eval: number[] };

export type ShiftSplit = {
  name: string;
  kind: ShiftKind;
  /** Task type of the training rows (the evaluation rows may be of another task for "dataset"). */
  trainTask: TaskType;
  evalTask: TaskType;
  /** Reference use in calibration and in evaluation. */
  trainReferences: boolean;
  evalReferences: boolean;
  /** The reported value is the mean over parts (two query halves where a split could otherwise leak queries). */
  parts: ShiftPart[];
};

/** Per-query value of a function of the query's outputs. */
function perQuery(items: readonly LoggedOutput[], rows: readonly number[], f: (group: LoggedOutput[]) => number): Map<string, number> {
  const groups = new Map<string, LoggedOutput[]>();
  for (const r of rows) {
    const it = items[r];
    const g = groups.get(it.queryId);
    if (g) g.push(it);
    else groups.set(it.queryId, [it]);
  }
  const out = new Map<string, number>();
  for (const [q, g] of groups) out.set(q, f(g));
  return out;
}

/**
 * Rows split into two halves of the queries ordered by a per-query value (ties broken by a hash of the query id,
 * so that many equal values, e.g. questions every system answered correctly, still split evenly):
 * [lower half, upper half].
 */
function strata(items: readonly LoggedOutput[], rows: readonly number[], value: Map<string, number>): [number[], number[]] {
  const order = [...value.keys()].sort((a, b) => value.get(a)! - value.get(b)! || fnv1a(a) - fnv1a(b) || (a < b ? -1 : a > b ? 1 : 0));
  const upper = new Set(order.slice(Math.floor(order.length / 2)));
  const lo: number[] = [];
  const hi: number[] = [];
  for (const r of rows) (upper.has(items[r].queryId) ? hi : lo).push(r);
  return [lo, hi];
}

/**
 * Difficulty strata: queries below the median of the per-query mean label against the rest, where the median is
 * taken over the queries whose outputs were not all rated alike (so that, when most questions were answered
 * correctly by every system, the strata still both hold right and wrong answers).
 */
function difficultyStrata(items: readonly LoggedOutput[], rows: readonly number[], value: Map<string, number>): [number[], number[]] {
  const values = [...value.values()];
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const inner = values.filter((v) => v > lo && v < hi).sort((a, b) => a - b);
  if (inner.length < 10) return strata(items, rows, value);
  const m = quantileSorted(inner, 0.5);
  const hard: number[] = [];
  const easy: number[] = [];
  for (const r of rows) (value.get(items[r].queryId)! < m ? hard : easy).push(r);
  return [hard, easy];
}

function wordCount(text: string): number {
  return text.split(/\s+/).filter((w) => w.length > 0).length;
}

export type ShiftSplitOptions = {
  /** Model families per task type: each family is held out in turn (default: none). */
  families?: Partial<Record<TaskType, Record<string, readonly string[]>>>;
  seed?: number;
};

/**
 * The shift splits of a labelled set (one or two task types). For every task type: in-domain (query halves, the
 * reference point), references (calibrated with references, evaluated without), model families (each family
 * held out, on the other query half), length strata (source length for summaries, question length for QA;
 * both directions) and difficulty strata (queries whose outputs the people rated high or low on average; both
 * directions). With two task types: each data set against the other.
 */
export function shiftSplits(items: readonly LoggedOutput[], options: ShiftSplitOptions = {}): { splits: ShiftSplit[]; refModes: boolean[] } {
  const seed = options.seed ?? 20260517;
  const byTask = new Map<TaskType, number[]>();
  items.forEach((it, i) => (byTask.get(it.task) ?? byTask.set(it.task, []).get(it.task)!).push(i));
  const splits: ShiftSplit[] = [];
  const same = (task: TaskType, name: string, kind: ShiftKind, parts: ShiftPart[], refs = true): ShiftSplit => ({
    name,
    kind,
    trainTask: task,
    evalTask: task,
    trainReferences: refs,
    evalReferences: refs,
    parts,
  });
  for (const [task, rows] of byTask) {
    const fold = groupFolds(
      rows.map((r) => items[r].queryId),
      2,
      seed,
    );
    const half: [number[], number[]] = [[], []];
    rows.forEach((r, k) => half[fold[k]].push(r));
    const crossed = (keepTrain: (r: number) => boolean, keepEval: (r: number) => boolean): ShiftPart[] => [
      { train: half[0].filter(keepTrain), eval: half[1].filter(keepEval) },
      { train: half[1].filter(keepTrain), eval: half[0].filter(keepEval) },
    ];
    const all = () => true;
    splits.push(same(task, `${task}: query halves`, "in-domain", crossed(all, all)));
    splits.push({ ...same(task, `${task}: references -> none`, "references", crossed(all, all)), evalReferences: false });
    for (const [family, models] of Object.entries(options.families?.[task] ?? {})) {
      const inFamily = (r: number) => models.includes(items[r].model);
      splits.push(same(task, `${task}: unseen family ${family}`, "models", crossed((r) => !inFamily(r), inFamily)));
    }
    const length = perQuery(items, rows, (g) => wordCount(g[0].context ?? g[0].query));
    const [short, long] = strata(items, rows, length);
    const what = task === "summarization" ? "source" : "question";
    splits.push(same(task, `${task}: short ${what} -> long`, "length", [{ train: short, eval: long }]));
    splits.push(same(task, `${task}: long ${what} -> short`, "length", [{ train: long, eval: short }]));
    const difficulty = perQuery(items, rows, (g) => g.reduce((s, it) => s + (it.label ?? 0), 0) / g.length);
    const [hard, easy] = difficultyStrata(items, rows, difficulty);
    splits.push(same(task, `${task}: easy queries -> hard`, "difficulty", [{ train: easy, eval: hard }]));
    splits.push(same(task, `${task}: hard queries -> easy`, "difficulty", [{ train: hard, eval: easy }]));
  }
  const tasks = [...byTask.keys()];
  if (tasks.length === 2) {
    for (const [a, b] of [tasks, [tasks[1], tasks[0]]]) {
      splits.push({
        name: `${a} -> ${b}`,
        kind: "dataset",
        trainTask: a,
        evalTask: b,
        trainReferences: true,
        evalReferences: true,
        parts: [{ train: byTask.get(a)!, eval: byTask.get(b)! }],
      });
    }
  }
  return { splits, refModes: [true, false] };
}

/** A value and its paired cluster-bootstrap interval against a baseline. */
export type PairedComparison = {
  value: number;
  baseline: number;
  /** 95% percentile interval of value - baseline over query-cluster bootstrap replicates. */
  diffCi: [number, number];
  /** 95% percentile interval of the baseline itself. */
  baselineCi: [number, number];
  /** The replicates' differences, in replicate order (NaN where a replicate left the metric undefined). */
  replicateDiffs: number[];
  replicateBaselines: number[];
};

function metricOf(metric: "auroc" | "spearman", x: ArrayLike<number>, y: ArrayLike<number>, w?: Int32Array, orders?: { x: Int32Array; y: Int32Array }) {
  return metric === "auroc" ? auroc(x, y, w, orders?.x) : spearman(x, y, w, orders);
}

/**
 * Compares a score with a baseline score on the same labelled rows: both metrics, the 95% interval of their
 * difference and of the baseline, from `replicates` cluster-bootstrap replicates (queries resampled).
 */
export function pairedBootstrap(
  queryIds: readonly string[],
  labels: ArrayLike<number>,
  score: ArrayLike<number>,
  baseline: ArrayLike<number>,
  replicates = 200,
  seed = 7,
): PairedComparison {
  const metric = metricFor(labels);
  const oy = argsort(labels);
  const os = { x: argsort(score), y: oy };
  const ob = { x: argsort(baseline), y: oy };
  const value = metricOf(metric, score, labels, undefined, os);
  const base = metricOf(metric, baseline, labels, undefined, ob);
  const clusters = clusterIds(queryIds);
  const reps = bootstrapWeights(clusters.ids, clusters.count, replicates, seed);
  const replicateDiffs: number[] = [];
  const replicateBaselines: number[] = [];
  for (const w of reps) {
    const a = metricOf(metric, score, labels, w, os);
    const b = metricOf(metric, baseline, labels, w, ob);
    replicateDiffs.push(a - b);
    replicateBaselines.push(b);
  }
  return { value, baseline: base, ...percentileIntervals(replicateDiffs, replicateBaselines), replicateDiffs, replicateBaselines };
}

/** 95% percentile intervals of replicate differences and baselines (undefined replicates skipped). */
export function percentileIntervals(diffs: readonly number[], bases: readonly number[]): { diffCi: [number, number]; baselineCi: [number, number] } {
  const d = diffs.filter(Number.isFinite).sort((a, b) => a - b);
  const b = bases.filter(Number.isFinite).sort((x, y) => x - y);
  return { diffCi: [quantileSorted(d, 0.025), quantileSorted(d, 0.975)], baselineCi: [quantileSorted(b, 0.025), quantileSorted(b, 0.975)] };
}

/** Rows of a table. */
export function sliceTable(table: DimensionTable, rows: readonly number[]): DimensionTable {
  const out: DimensionTable = {};
  for (const d of presentDimensions(table)) out[d] = Float64Array.from(rows, (r) => table[d]![r]);
  return out;
}

/** Deterministic subsample of rows (for quick checks). */
export function subsample(rows: readonly number[], n: number, seed: number): number[] {
  if (rows.length <= n) return rows.slice();
  const rng = Rng.of(seed);
  const a = rows.slice();
  for (let i = 0; i < n; i++) {
    const j = i + rng.int(a.length - i);
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a.slice(0, n).sort((x, y) => x - y);
}

export type { AnyDimension };
