import type { LoggedOutput } from "../data/logged";
import { InputError } from "../errors";
import { groundTruth } from "./groundTruth";

/**
 * The honest evaluators' shared signal per output, on 0..10, before each evaluator's own bias and noise.
 *
 * - "composite": the composite quality score of the scoring library (src/scoring: scoreOutputs(items, profile) with
 *   defaultProfile()), put on the label's 0..10 scale per task type by matching its mean and standard deviation
 *   to those of the ground truth (only the labels' marginal distribution is used, never an item's own label).
 *   This is what an honest evaluator node would compute, with the network's agreed meaning of "quality 7".
 * - "composite-raw": the composite scaled from [0, 1] to 0..10 as it is (its level is arbitrary: the default
 *   profile scores summaries about 1.5 points below the experts, so an attack that raises scores can lower MAE).
 * - "label": the ground truth itself (the human label on 0..10): honest evaluators that are right on average.
 * - "auto": "composite" when the scoring library is present, otherwise "label".
 */
export type HonestMode = "auto" | "composite" | "composite-raw" | "label";
export const HONEST_MODES: readonly HonestMode[] = ["auto", "composite", "composite-raw", "label"];

export type HonestSignal = { source: "composite" | "composite-raw" | "label"; base: Float64Array };

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

export function honestSignal(items: LoggedOutput[], mode: HonestMode, scoring: ScoringModule | null = loadScoring()): HonestSignal {
  const truth = Float64Array.from(items, groundTruth);
  if (mode === "label" || (mode === "auto" && !scoring)) return { source: "label", base: truth };
  if (!scoring) throw new InputError(`--honest ${mode} needs the scoring library (src/scoring), which is not available`);
  const raw = compositeSignal(items, scoring);
  if (mode === "composite-raw") return { source: "composite-raw", base: raw };
  return { source: "composite", base: matchMoments(raw, truth, items.map((i) => i.task)) };
}
