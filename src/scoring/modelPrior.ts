import { LABEL_RANGE, type LoggedOutput, type TaskType } from "../data/logged";
import type { Batch } from "./batch";

/**
 * Model prior: the track record of the model that produced the output, learned from labelled history of one
 * task type. The score is the smoothed mean normalised label of the model,
 * `(n * mean + m * globalMean) / (n + m)`, so a model seen rarely stays near the global mean and an unseen
 * model gets the global mean. Labels are normalised to [0, 1] with the task's label range.
 */
export type ModelPriorTable = {
  /** Mean normalised label over all training outputs of the task. */
  globalMean: number;
  /** Pseudo-count m of the smoothing. */
  smoothing: number;
  /** Per model: number of labelled outputs and their mean normalised label. */
  models: Record<string, { n: number; mean: number }>;
};

export const DEFAULT_SMOOTHING = 10;

/** Label mapped to [0, 1] with the task's range. */
export function normalizeLabel(task: TaskType, label: number): number {
  const [lo, hi] = LABEL_RANGE[task];
  return (label - lo) / (hi - lo);
}

/** An empty table: every model gets 0.5. */
export function emptyModelPrior(): ModelPriorTable {
  return { globalMean: 0.5, smoothing: DEFAULT_SMOOTHING, models: {} };
}

/** Learns the table from labelled outputs of one task (outputs without a label are ignored). */
export function fitModelPrior(train: readonly LoggedOutput[], smoothing = DEFAULT_SMOOTHING): ModelPriorTable {
  const sums = new Map<string, { n: number; s: number }>();
  let total = 0;
  let n = 0;
  for (const it of train) {
    if (it.label === undefined) continue;
    const v = normalizeLabel(it.task, it.label);
    const e = sums.get(it.model) ?? { n: 0, s: 0 };
    e.n++;
    e.s += v;
    sums.set(it.model, e);
    total += v;
    n++;
  }
  const models: ModelPriorTable["models"] = {};
  for (const name of [...sums.keys()].sort()) {
    const e = sums.get(name)!;
    models[name] = { n: e.n, mean: e.s / e.n };
  }
  return { globalMean: n ? total / n : 0.5, smoothing, models };
}

/** Smoothed prior of one model. */
export function modelPrior(table: ModelPriorTable, model: string): number {
  const e = Object.prototype.hasOwnProperty.call(table.models, model) ? table.models[model] : undefined;
  if (!e) return table.globalMean;
  return (e.n * e.mean + table.smoothing * table.globalMean) / (e.n + table.smoothing);
}

/** Model prior in [0, 1] for every output of the batch, from the task's table. */
export function modelPriorScores(batch: Batch, tables: Partial<Record<TaskType, ModelPriorTable>>): Float64Array {
  return Float64Array.from(batch.items, (p) => {
    const t = tables[p.item.task];
    return t ? modelPrior(t, p.item.model) : 0.5;
  });
}
