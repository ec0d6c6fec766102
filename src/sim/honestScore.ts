import type { LoggedOutput } from "../data/logged";
import { InputError } from "../errors";
import { groundTruth } from "./groundTruth";

/**
 * The honest evaluators' shared signal per output, on 0..10, before each evaluator's own bias and noise.
 *
 * - "composite": the composite quality score of the scoring library (src/scoring: scoreOutputs(items, profile) with
 *   defaultProfile()), calibrated to the label's 0..10 scale: a monotone map fitted by isotonic median regression
 *   of the labels on the composite, per task type, cross-fitted (queries split into two halves by a hash of their
 *   queryId; each half is mapped by the fit on the other half, so no output is scored by a map fitted on its own
 *   label or on another output of its query). The conditional median is the report that minimizes the expected
 *   absolute error, the error the simulator measures: what an honest, calibrated evaluator node would say.
 * - "composite-moments": the composite put on the label scale by matching its mean and standard deviation per
 *   task type (the earlier mapping; errors stay skewed, so an attack that pushes scores up can lower MAE).
 * - "composite-raw": the composite scaled from [0, 1] to 0..10 as it is (its level is arbitrary: the default
 *   profile scores summaries about 1.5 points below the experts, so an attack that raises scores can lower MAE).
 * - "label": the ground truth itself (the human label on 0..10): honest evaluators that are right on average.
 * - "auto": "composite" when the scoring library is present, otherwise "label".
 */
export type HonestMode = "auto" | "composite" | "composite-moments" | "composite-raw" | "label";
export const HONEST_MODES: readonly HonestMode[] = ["auto", "composite", "composite-moments", "composite-raw", "label"];

export type HonestSignal = { source: "composite" | "composite-moments" | "composite-raw" | "label"; base: Float64Array };

type ScoringModule = {
  scoreOutputs: (items: LoggedOutput[], profile: unknown) => unknown;
  defaultProfile: () => unknown;
};

let cachedModule: ScoringModule | null | undefined;

/** The scoring library if it is built yet (it is developed in parallel), else null. */
export function loadScoring(): ScoringModule | null {
  if (cachedModule !== undefined) return cachedModule;
  try {
    const path = "../scoring";
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(path) as Partial<ScoringModule>;
    cachedModule = typeof mod.scoreOutputs === "function" && typeof mod.defaultProfile === "function" ? (mod as ScoringModule) : null;
  } catch {
    cachedModule = null;
  }
  return cachedModule;
}

/** Reads one composite value out of whatever shape the scoring library returns per item. */
function compositeOf(x: unknown): number {
  if (typeof x === "number") return x;
  if (x && typeof x === "object") {
    const o = x as Record<string, unknown>;
    for (const key of ["composite", "score", "quality", "value"]) if (typeof o[key] === "number") return o[key] as number;
  }
  return Number.NaN;
}

/** Composite scores of the items on 0..10, from a scoring module (injectable for tests). */
export function compositeSignal(items: LoggedOutput[], scoring: ScoringModule): Float64Array {
  const raw = scoring.scoreOutputs(items, scoring.defaultProfile());
  const list = Array.isArray(raw) ? raw : raw && typeof raw === "object" && Array.isArray((raw as { items?: unknown[] }).items) ? (raw as { items: unknown[] }).items : null;
  if (!list || list.length !== items.length) throw new InputError("scoring library returned an unexpected result (expected one score per item)");
  const values = list.map(compositeOf);
  if (values.some((v) => !Number.isFinite(v))) throw new InputError("scoring library returned a non-numeric composite");
  const max = Math.max(...values);
  const scale = max <= 1 ? 10 : 1;
  return Float64Array.from(values, (v) => Math.max(0, Math.min(10, v * scale)));
}

/**
 * Linear map of `values` onto the scale of `target` within each group (task type): same mean and standard
 * deviation, clamped to 0..10. A constant group maps to the target's mean.
 */
export function matchMoments(values: Float64Array, target: Float64Array, group: readonly string[]): Float64Array {
  const out = new Float64Array(values.length);
  for (const g of new Set(group)) {
    const idx = group.flatMap((x, i) => (x === g ? [i] : []));
    const stats = (xs: Float64Array) => {
      const m = idx.reduce((s, i) => s + xs[i], 0) / idx.length;
      const sd = Math.sqrt(idx.reduce((s, i) => s + (xs[i] - m) ** 2, 0) / idx.length);
      return { m, sd };
    };
    const v = stats(values);
    const t = stats(target);
    for (const i of idx) out[i] = Math.max(0, Math.min(10, v.sd > 0 ? t.m + (t.sd * (values[i] - v.m)) / v.sd : t.m));
  }
  return out;
}

/** A monotone map given by knots (x ascending, y non-decreasing), linear between knots, flat beyond the ends. */
export type MonotoneMap = { x: number[]; y: number[] };

/** Median of a sorted list; even count: midpoint of the two middle values. */
function sortedMedian(a: readonly number[]): number {
  const n = a.length;
  return n % 2 === 1 ? a[(n - 1) / 2] : (a[n / 2 - 1] + a[n / 2]) / 2;
}

/**
 * Isotonic median regression of y on x (pool adjacent violators with block medians): the non-decreasing step
 * function of x that minimizes the sum of |y - f(x)|. Equal x values form one block. Returns the knots of the
 * fitted steps (each block's first and last x, at the block's median); deterministic for the same input multiset.
 */
export function isotonicMedianFit(x: ArrayLike<number>, y: ArrayLike<number>): MonotoneMap {
  const n = x.length;
  if (n === 0 || y.length !== n) throw new InputError("isotonic fit needs equally long, non-empty x and y");
  const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => x[a] - x[b] || y[a] - y[b]);
  type Block = { x0: number; x1: number; ys: number[]; v: number };
  const blocks: Block[] = [];
  const valueOf = (ys: number[]): number => sortedMedian(ys.sort((a, b) => a - b));
  for (let i = 0; i < n; ) {
    let j = i;
    const ys: number[] = [];
    while (j < n && x[idx[j]] === x[idx[i]]) ys.push(y[idx[j++]]);
    let block: Block = { x0: x[idx[i]], x1: x[idx[j - 1]], ys, v: valueOf(ys) };
    while (blocks.length && blocks[blocks.length - 1].v >= block.v) {
      const prev = blocks.pop()!;
      const merged = prev.ys.concat(block.ys);
      block = { x0: prev.x0, x1: block.x1, ys: merged, v: valueOf(merged) };
    }
    blocks.push(block);
    i = j;
  }
  const out: MonotoneMap = { x: [], y: [] };
  for (const b of blocks) {
    out.x.push(b.x0);
    out.y.push(b.v);
    if (b.x1 > b.x0) {
      out.x.push(b.x1);
      out.y.push(b.v);
    }
  }
  return out;
}

/** Evaluates a monotone map at v: linear between knots, the end values beyond them. */
export function applyMonotone(map: MonotoneMap, v: number): number {
  const { x, y } = map;
  const n = x.length;
  if (v <= x[0]) return y[0];
  if (v >= x[n - 1]) return y[n - 1];
  let lo = 0;
  let hi = n - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (x[mid] <= v) lo = mid;
    else hi = mid;
  }
  return y[lo] + ((y[hi] - y[lo]) * (v - x[lo])) / (x[hi] - x[lo]);
}

/** FNV-1a 32-bit hash of a string (UTF-16 code units): a fixed, platform-independent key for the fold split. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/**
 * Two folds by query: the distinct queryIds sorted by (hash, id) and dealt alternately to folds 0 and 1, so the
 * folds are balanced, all outputs of a query share a fold, and the split depends neither on the file's order nor
 * on the simulation seed.
 */
export function queryFolds(queryIds: readonly string[]): Uint8Array {
  const distinct = [...new Set(queryIds)].map((q) => ({ q, h: fnv1a(q) }));
  distinct.sort((a, b) => a.h - b.h || (a.q < b.q ? -1 : a.q > b.q ? 1 : 0));
  const fold = new Map(distinct.map((d, i) => [d.q, i % 2]));
  return Uint8Array.from(queryIds, (q) => fold.get(q)!);
}

/**
 * Cross-fitted calibration: within each group (task type), the items of each query fold are mapped by the
 * isotonic median fit of `truth` on `values` over the other fold's items, clamped to 0..10. A group needs at
 * least two distinct queries.
 */
export function crossFitCalibration(values: ArrayLike<number>, truth: ArrayLike<number>, group: readonly string[], queryIds: readonly string[]): Float64Array {
  const folds = queryFolds(queryIds);
  const out = new Float64Array(values.length);
  for (const g of [...new Set(group)].sort()) {
    const members = group.flatMap((x, i) => (x === g ? [i] : []));
    for (const fold of [0, 1]) {
      const fit = members.filter((i) => folds[i] !== fold);
      const apply = members.filter((i) => folds[i] === fold);
      if (apply.length === 0) continue;
      if (fit.length === 0) throw new InputError(`cross-fitted calibration needs at least two distinct queries of task "${g}"`);
      const map = isotonicMedianFit(
        fit.map((i) => values[i]),
        fit.map((i) => truth[i]),
      );
      for (const i of apply) out[i] = Math.max(0, Math.min(10, applyMonotone(map, values[i])));
    }
  }
  return out;
}

export function honestSignal(items: LoggedOutput[], mode: HonestMode, scoring: ScoringModule | null = loadScoring()): HonestSignal {
  const truth = Float64Array.from(items, groundTruth);
  if (mode === "label" || (mode === "auto" && !scoring)) return { source: "label", base: truth };
  if (!scoring) throw new InputError(`--honest ${mode} needs the scoring library (src/scoring), which is not available`);
  const raw = compositeSignal(items, scoring);
  const task = items.map((i) => i.task);
  if (mode === "composite-raw") return { source: "composite-raw", base: raw };
  if (mode === "composite-moments") return { source: "composite-moments", base: matchMoments(raw, truth, task) };
  return { source: "composite", base: crossFitCalibration(raw, truth, task, items.map((i) => i.queryId)) };
}
