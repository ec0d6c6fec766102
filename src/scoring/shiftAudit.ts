import type { LoggedOutput, TaskType } from "../data/logged";
import { calibrateTask, outOfFoldModelPrior, withLearnedJudge, type CalibrateOptions } from "./calibrate";
import { presentDimensions, type AnyDimension, type DimensionTable } from "./dimensions";
import { metricFor, metricValue } from "./metrics";
import { fitModelPrior, modelPrior } from "./modelPrior";
import type { Metric } from "./profile";
import { compositeOf } from "./score";
import { judgeColumn, type JudgeFeatures } from "./learnedJudge";
import { percentileIntervals, pairedBootstrap, sliceTable, type ShiftSplit } from "./shift";

/** What a calibration method sees of its training rows. */
export type CalibrationInput = {
  task: TaskType;
  items: readonly LoggedOutput[];
  /** Dimension values of `items` (model prior out of fold). */
  table: DimensionTable;
  useReferences: boolean;
  /** The learned judge's features of `items`, when the run computed them. */
  features?: readonly JudgeFeatures[];
};

/** Scores an evaluation batch (dimension values with the model prior from the training rows). */
export type BatchScorer = (table: DimensionTable, items: readonly LoggedOutput[], useReferences: boolean, features?: readonly JudgeFeatures[]) => Float64Array;

/** A calibration method under test: fits on training rows, returns a scorer for any batch. */
export type Calibrator = { name: string; fit: (input: CalibrationInput) => BatchScorer };

export type ShiftResult = {
  split: ShiftSplit;
  /** References used in this run (the split's own setting for "references" splits). */
  references: boolean;
  metric: Metric;
  /** Evaluated outputs (summed over parts). */
  n: number;
  /** Mean over parts of each dimension's metric. */
  dimensions: Partial<Record<AnyDimension, number>>;
  /** The dimension with the best mean metric on the evaluation rows (an optimistic baseline). */
  bestSingle: { name: AnyDimension; value: number; ci: [number, number] };
  /** Per calibrator: mean metric over parts and the interval of its difference to the best single dimension. */
  calibrated: Record<string, { value: number; diffCi: [number, number] }>;
};

export type ShiftRunOptions = {
  seed?: number;
  bootstrap?: number;
  priorFolds?: number;
  onProgress?: (message: string) => void;
};

/**
 * Runs every split in every reference mode: calibrates each method on the training rows alone (the model prior
 * out of fold, every fitted part refitted inside the split) and evaluates on the split's evaluation rows.
 * `tables` holds the dimension values of all items with and without references (no dimension but the model
 * prior depends on labels or on outputs of other queries, so they are computed once).
 */
export function runShiftSplits(
  items: readonly LoggedOutput[],
  tables: { references: DimensionTable; none: DimensionTable; features?: readonly JudgeFeatures[] },
  splits: readonly ShiftSplit[],
  calibrators: readonly Calibrator[],
  options: ShiftRunOptions = {},
): ShiftResult[] {
  const results: ShiftResult[] = [];
  const seed = options.seed ?? 20260301;
  for (const split of splits) {
    const modes = split.kind === "references" ? [true] : [true, false];
    for (const refs of modes) {
      const trainRefs = split.kind === "references" ? split.trainReferences : refs;
      const evalRefs = split.kind === "references" ? split.evalReferences : refs;
      options.onProgress?.(`${split.name} (references ${refs ? "yes" : "no"})`);
      const perPart = split.parts.map((part, p) => {
        const tItems = part.train.map((r) => items[r]);
        const eItems = part.eval.map((r) => items[r]);
        const tTable = sliceTable(trainRefs ? tables.references : tables.none, part.train);
        tTable.modelPrior = outOfFoldModelPrior(tItems, options.priorFolds ?? 5, seed + 2);
        const prior = fitModelPrior(tItems);
        const eTable = sliceTable(evalRefs ? tables.references : tables.none, part.eval);
        eTable.modelPrior = Float64Array.from(eItems, (it) => modelPrior(prior, it.model));
        const y = Float64Array.from(eItems, (it) => it.label!);
        const metric = metricFor(y);
        const dims: Partial<Record<AnyDimension, number>> = {};
        for (const d of presentDimensions(eTable)) dims[d] = metricValue(metric, eTable[d]!, y);
        const scores: Record<string, Float64Array> = {};
        for (const c of calibrators) {
          const f = tables.features;
          const scorer = c.fit({ task: split.trainTask, items: tItems, table: tTable, useReferences: trainRefs, features: f && part.train.map((r) => f[r]) });
          scores[c.name] = scorer(eTable, eItems, evalRefs, f && part.eval.map((r) => f[r]));
        }
        return { eItems, eTable, y, metric, dims, scores, part: p };
      });
      const metric = perPart[0].metric;
      const dimensions: Partial<Record<AnyDimension, number>> = {};
      for (const d of Object.keys(perPart[0].dims) as AnyDimension[]) {
        dimensions[d] = perPart.reduce((s, q) => s + q.dims[d]!, 0) / perPart.length;
      }
      let best: AnyDimension | undefined;
      for (const d of Object.keys(dimensions) as AnyDimension[]) {
        if (Number.isFinite(dimensions[d]!) && (best === undefined || dimensions[d]! > dimensions[best]!)) best = d;
      }
      if (best === undefined) {
        options.onProgress?.(`${split.name}: no dimension has a defined metric on the evaluation rows; skipped`);
        continue;
      }
      const calibrated: ShiftResult["calibrated"] = {};
      let bestCi: [number, number] = [NaN, NaN];
      for (const c of calibrators) {
        const comps = perPart.map((q) =>
          pairedBootstrap(
            q.eItems.map((it) => it.queryId),
            q.y,
            q.scores[c.name],
            q.eTable[best!]!,
            options.bootstrap ?? 200,
            seed + q.part,
          ),
        );
        const reps = comps[0].replicateDiffs.length;
        const diffs: number[] = [];
        const bases: number[] = [];
        for (let r = 0; r < reps; r++) {
          diffs.push(comps.reduce((s, k) => s + k.replicateDiffs[r], 0) / comps.length);
          bases.push(comps.reduce((s, k) => s + k.replicateBaselines[r], 0) / comps.length);
        }
        const ci = percentileIntervals(diffs, bases);
        bestCi = ci.baselineCi;
        calibrated[c.name] = { value: comps.reduce((s, k) => s + k.value, 0) / comps.length, diffCi: ci.diffCi };
      }
      results.push({
        split,
        references: refs,
        metric,
        n: perPart.reduce((s, q) => s + q.eItems.length, 0),
        dimensions,
        bestSingle: { name: best!, value: dimensions[best!]!, ci: bestCi },
        calibrated,
      });
    }
  }
  return results;
}

/**
 * The calibrations compared on the shift splits: the weighting picked by inner validation on random query folds
 * (the earlier method), on shift folds by their mean, on shift folds by the worst family (the default), and the
 * default with the learned judge trained inside the split.
 */
export function calibrators(options: CalibrateOptions = {}): Calibrator[] {
  const make = (name: string, innerSplits: "random" | "shift", innerAggregate: "mean" | "min"): Calibrator => ({
    name,
    fit: (input) => {
      const tp = calibrateTask({ task: input.task, items: input.items, table: input.table }, { ...options, innerSplits, innerAggregate });
      return (table, items) =>
        compositeOf(
          table,
          items.map((_, i) => i),
          tp,
        );
    },
  });
  const judged: Calibrator = {
    name: "shift folds, worst + learned judge",
    fit: (input) => {
      const table: DimensionTable = { ...input.table };
      const weights = input.features ? withLearnedJudge({ items: input.items, features: input.features, table }, undefined, input.useReferences, options.seed ?? 20260301) : undefined;
      const tp = calibrateTask({ task: input.task, items: input.items, table }, options);
      return (evalTable, items, _refs, features) => {
        const t = weights && features ? { ...evalTable, learnedJudge: judgeColumn(weights, items, features, true) } : evalTable;
        return compositeOf(
          t,
          items.map((_, i) => i),
          tp,
        );
      };
    },
  };
  return [make("random folds", "random", "mean"), make("shift folds, mean", "shift", "mean"), make("shift folds, worst", "shift", "min"), judged];
}
