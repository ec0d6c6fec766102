import { TASK_TYPES, type TaskType } from "../data/logged";
import { FileFormatError, shown } from "../errors";
import { ALL_DIMENSIONS, isDimension, type AnyDimension } from "./dimensions";
import { emptyModelPrior, type ModelPriorTable } from "./modelPrior";

/** Rank metric an audit reports: AUROC for 0/1 labels, Spearman for graded labels. */
export type Metric = "auroc" | "spearman";

/** How the final weights of a task were chosen. */
export type WeightMethod = "default" | "single" | "equal" | "reliability" | "nnls" | "logistic";

export type Weights = Partial<Record<AnyDimension, number>>;

/**
 * Scale of the dimensions inside the composite: raw values, ranks (the training CDF in `normalizers`), or a
 * per-dimension mix of both (`rankShare`).
 */
export type Scale = "raw" | "rank" | "mixed";

/** What the composite needs: weights, and optionally each dimension's rank share and quantile knots. */
export type CompositeSpec = {
  weights: Weights;
  /** Share (0..1) of the rank part in each dimension's transform `(1 - s) * x + s * CDF(x)`; absent means 0. */
  rankShare?: Partial<Record<AnyDimension, number>>;
  normalizers?: Partial<Record<AnyDimension, number[]>>;
};

/** Reliability of one dimension on the training outputs, with bootstrap 95% intervals. */
export type DimensionAudit = {
  /** The primary statistic: AUROC - 0.5 (rank-biserial / 2) for 0/1 labels, Spearman for graded labels. */
  primary: number;
  ci: [number, number];
  spearman?: number;
  kendall?: number;
  auroc?: number;
  pointBiserial?: number;
  /** Used by the composite: the interval lies above zero (or, when no dimension passes, the estimate is positive). */
  kept: boolean;
};

/** Calibration of one task type. */
export type TaskProfile = {
  metric: Metric;
  /** Final composite weights, non-negative, summing to 1. */
  weights: Weights;
  method: WeightMethod;
  scale: Scale;
  /** Dimensions whose bootstrap interval did not lie above zero. */
  dropped: AnyDimension[];
  /** Quantile knots per dimension: the training CDF used by the rank part. */
  normalizers: Partial<Record<AnyDimension, number[]>>;
  /** Share of the rank part per dimension (see `CompositeSpec`). */
  rankShare: Partial<Record<AnyDimension, number>>;
  modelPrior: ModelPriorTable;
  /** Training outputs the calibration saw (0 for the default profile). */
  n: number;
  /** Every candidate weighting ("method/scale") and its inner cross-validated score (centred metric). */
  candidates?: Record<string, { weights: Weights; innerCv: number }>;
  audit?: Partial<Record<AnyDimension, DimensionAudit>>;
};

/** The JSON calibration profile evaluators load. */
export type QualityProfile = {
  kind: "poq-quality-profile";
  version: 1;
  /** Whether the calibration used references; scoring should match. */
  useReferences: boolean;
  /**
   * keccak256 of the learned judge's weights file (`serializeJudgeWeights`) when the profile uses the learned judge:
   * scoring refuses other weights, and a hash of the profile covers the judge.
   */
  judgeWeightsHash?: string;
  tasks: Partial<Record<TaskType, TaskProfile>>;
};

/** Default weights before any calibration (the "default composite"). The judge weight applies only when present. */
export const DEFAULT_WEIGHTS: Readonly<Record<AnyDimension, number>> = {
  modelPrior: 0.1,
  costPrior: 0.1,
  structure: 0.15,
  semantic: 0.3,
  alignment: 0.15,
  agreement: 0.2,
  learnedJudge: 0.3,
  judge: 0.3,
};

export function defaultTaskProfile(task: TaskType): TaskProfile {
  return {
    metric: task === "qa" ? "auroc" : "spearman",
    weights: { ...DEFAULT_WEIGHTS },
    method: "default",
    scale: "raw",
    dropped: [],
    normalizers: {},
    rankShare: {},
    modelPrior: emptyModelPrior(),
    n: 0,
  };
}

/** The uncalibrated profile: default weights, no normalisers, an empty model-prior table. */
export function defaultProfile(): QualityProfile {
  const tasks: QualityProfile["tasks"] = {};
  for (const t of TASK_TYPES) tasks[t] = defaultTaskProfile(t);
  return { kind: "poq-quality-profile", version: 1, useReferences: true, tasks };
}

/**
 * Rounds every number so that the JSON is short and byte-stable, except the quantile knots (`normalizers`): a value
 * equal to a knot takes the mid-rank of its ties, so a rounded knot would move every output that sits on it.
 */
function roundNumbers(value: unknown, exact = false): unknown {
  if (typeof value === "number") return Number.isFinite(value) ? (exact ? value : Math.round(value * 1e6) / 1e6) : null;
  if (Array.isArray(value)) return value.map((v) => roundNumbers(v, exact));
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = roundNumbers(v, exact || k === "normalizers");
    return out;
  }
  return value;
}

/** Deterministic JSON of a profile (numbers rounded to 6 decimals, quantile knots exact). */
export function serializeProfile(profile: QualityProfile): string {
  return `${JSON.stringify(roundNumbers(profile), null, 2)}\n`;
}

function check(cond: unknown, where: string, problem: string): asserts cond {
  if (!cond) throw new FileFormatError(where, `invalid quality profile: ${problem}`);
}

function isFiniteNumber(v: unknown): v is number {
  return typeof v === "number" && Number.isFinite(v);
}

function validateTask(where: string, task: string, raw: unknown): TaskProfile {
  check(raw && typeof raw === "object" && !Array.isArray(raw), where, `tasks.${task} must be an object`);
  const t = raw as Record<string, unknown>;
  check(t.metric === "auroc" || t.metric === "spearman", where, `tasks.${task}.metric must be "auroc" or "spearman"`);
  check(t.weights && typeof t.weights === "object", where, `tasks.${task}.weights must be an object`);
  let sum = 0;
  for (const [d, w] of Object.entries(t.weights as object)) {
    check(isDimension(d), where, `tasks.${task}.weights: unknown dimension "${d}" (known: ${ALL_DIMENSIONS.join(", ")})`);
    check(isFiniteNumber(w) && w >= 0, where, `tasks.${task}.weights.${d} must be a non-negative number`);
    sum += w;
  }
  check(sum > 0, where, `tasks.${task}.weights must not all be zero`);
  check(
    ["default", "single", "equal", "reliability", "nnls", "logistic"].includes(t.method as string),
    where,
    `tasks.${task}.method is unknown`,
  );
  check(t.scale === "raw" || t.scale === "rank" || t.scale === "mixed", where, `tasks.${task}.scale must be "raw", "rank" or "mixed"`);
  check(t.rankShare && typeof t.rankShare === "object", where, `tasks.${task}.rankShare must be an object`);
  for (const [d, v] of Object.entries(t.rankShare as object)) {
    check(isDimension(d) && isFiniteNumber(v) && v >= 0 && v <= 1, where, `tasks.${task}.rankShare.${d} must be in [0, 1]`);
  }
  check(Array.isArray(t.dropped) && t.dropped.every((d) => typeof d === "string" && isDimension(d)), where, `tasks.${task}.dropped must list dimensions`);
  check(t.normalizers && typeof t.normalizers === "object", where, `tasks.${task}.normalizers must be an object`);
  for (const [d, knots] of Object.entries(t.normalizers as object)) {
    check(isDimension(d), where, `tasks.${task}.normalizers: unknown dimension "${d}"`);
    check(
      Array.isArray(knots) && knots.every(isFiniteNumber) && knots.every((v, i) => i === 0 || v >= knots[i - 1]),
      where,
      `tasks.${task}.normalizers.${d} must be ascending numbers`,
    );
  }
  const mp = t.modelPrior as Record<string, unknown> | undefined;
  check(mp && typeof mp === "object", where, `tasks.${task}.modelPrior must be an object`);
  check(isFiniteNumber(mp.globalMean) && isFiniteNumber(mp.smoothing) && mp.smoothing >= 0, where, `tasks.${task}.modelPrior needs globalMean and smoothing`);
  check(mp.models && typeof mp.models === "object", where, `tasks.${task}.modelPrior.models must be an object`);
  for (const [m, e] of Object.entries(mp.models as object)) {
    const ok = e && typeof e === "object" && isFiniteNumber((e as { n: unknown }).n) && isFiniteNumber((e as { mean: unknown }).mean);
    check(ok, where, `tasks.${task}.modelPrior.models["${m}"] needs n and mean`);
  }
  check(isFiniteNumber(t.n) && t.n >= 0, where, `tasks.${task}.n must be a non-negative number`);
  return raw as TaskProfile;
}

/** Validates a parsed profile; `where` names the source in errors. */
export function validateProfile(raw: unknown, where = "<profile>"): QualityProfile {
  check(raw && typeof raw === "object" && !Array.isArray(raw), where, "expected a JSON object");
  const p = raw as Record<string, unknown>;
  check(p.kind === "poq-quality-profile", where, `"kind" must be "poq-quality-profile"`);
  check(p.version === 1, where, `unsupported version ${shown(p.version)} (expected 1)`);
  check(typeof p.useReferences === "boolean", where, `"useReferences" must be a boolean`);
  check(p.judgeWeightsHash === undefined || (typeof p.judgeWeightsHash === "string" && /^0x[0-9a-f]{64}$/.test(p.judgeWeightsHash)), where, `"judgeWeightsHash" must be a 0x-prefixed 32-byte hex hash`);
  check(p.tasks && typeof p.tasks === "object" && !Array.isArray(p.tasks), where, `"tasks" must be an object`);
  for (const [task, tp] of Object.entries(p.tasks as object)) {
    check((TASK_TYPES as readonly string[]).includes(task), where, `unknown task "${task}"`);
    validateTask(where, task, tp);
  }
  return raw as QualityProfile;
}

/** Parses and validates the JSON text of a profile; `where` names the source in errors. Pure. */
export function parseProfile(text: string, where = "<profile>"): QualityProfile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new FileFormatError(where, `malformed JSON (${(e as Error).message})`);
  }
  return validateProfile(raw, where);
}
