import type { LoggedOutput, TaskType } from "../data/logged";
import { InputError } from "../errors";
import { agreementScores, peerAgreementStats } from "./agreement";
import { alignmentScores } from "./alignment";
import { prepareBatch } from "./batch";
import { costScores } from "./cost";
import { DIMENSIONS, presentDimensions, type DimensionName, type DimensionTable, type ExtraDimensionName } from "./dimensions";
import { modelPriorScores, type ModelPriorTable } from "./modelPrior";
import { applyQuantiles } from "./normalize";
import { defaultTaskProfile, type CompositeSpec, type QualityProfile } from "./profile";
import { faithfulnessScores, semanticScores } from "./semantic";
import { judgeColumn, judgeFeatures, judgeWeightsHash, type JudgeFeatures, type JudgeWeights } from "./learnedJudge";
import { structureScores } from "./structure";

export type ScoreOptions = {
  /** Use the `references` field where present (default: the profile's `useReferences`). */
  useReferences?: boolean;
  /** The learned judge's weights; adds the `learnedJudge` dimension (tasks whose weights are enabled). */
  learnedJudge?: JudgeWeights;
  /** LLM-judge scores in [0, 1] by output id (see `cli/llmJudge.ts`); adds the `judge` dimension. */
  judge?: ReadonlyMap<string, number>;
  /** Scores (0..10) already given by evaluators, by output id; feeds the uncertainty part of agreement. */
  evaluatorScores?: ReadonlyMap<string, readonly number[]>;
};

export type ScoredOutput = {
  id: string;
  /** Raw dimension values in [0, 1]. */
  dims: Record<DimensionName, number> & Partial<Record<ExtraDimensionName, number>>;
  /** Weighted composite of the normalised dimensions, in [0, 1]. */
  composite: number;
};

export type ComputeDimensionsParameters = {
  items: readonly LoggedOutput[];
  modelPriors: Partial<Record<TaskType, ModelPriorTable>>;
} & Omit<ScoreOptions, "useReferences"> & { useReferences: boolean };

/** Raw values of every dimension for a batch (pure; depends only on the batch and the model-prior tables). */
export function computeDimensions(params: ComputeDimensionsParameters): DimensionTable {
  return computeDimensionsAndFeatures(params).table;
}

/** The learned judge's features of a batch whose built-in dimensions are in `table` (see `learnedJudge.ts`). */
function featuresOf(batch: ReturnType<typeof prepareBatch>, table: DimensionTable): JudgeFeatures[] {
  const peers = peerAgreementStats(batch);
  return judgeFeatures(batch, {
    agreementMax: peers.max,
    agreementShare: peers.share,
    costPrior: table.costPrior!,
    structure: table.structure!,
    faithfulness: faithfulnessScores(batch),
    alignment: table.alignment!,
    agreement: table.agreement!,
  });
}

/**
 * Raw dimension values and, with `withFeatures`, the learned judge's features of every output (computed from the
 * same tokenised batch).
 */
export function computeDimensionsAndFeatures(
  params: ComputeDimensionsParameters & { withFeatures?: boolean },
): { table: DimensionTable; features?: JudgeFeatures[] } {
  const batch = prepareBatch(params.items, { useReferences: params.useReferences });
  const table: DimensionTable = {
    modelPrior: modelPriorScores(batch, params.modelPriors),
    costPrior: costScores(batch),
    structure: structureScores(batch),
    semantic: semanticScores(batch),
    alignment: alignmentScores(batch),
    agreement: agreementScores(batch, { evaluatorScores: params.evaluatorScores }),
  };
  const features = params.withFeatures || params.learnedJudge ? featuresOf(batch, table) : undefined;
  if (params.learnedJudge) table.learnedJudge = judgeColumn(params.learnedJudge, params.items, features!);
  if (params.judge) {
    const judge = params.judge;
    table.judge = Float64Array.from(params.items, (it) => {
      const v = judge.get(it.id);
      if (v === undefined || !Number.isFinite(v)) throw new InputError(`no judge score for output "${it.id}"`);
      return Math.min(1, Math.max(0, v));
    });
  }
  return { table, features };
}

/**
 * Weighted sum of the transformed dimensions for the rows `rows` of `table`, renormalising the weights over the
 * dimensions present. A dimension's transform is `(1 - s) * x + s * CDF(x)` with its rank share s (0 without).
 * Returns values in [0, 1].
 */
export function compositeOf(table: DimensionTable, rows: ArrayLike<number>, spec: CompositeSpec): Float64Array {
  const { weights } = spec;
  const dims = presentDimensions(table).filter((d) => (weights[d] ?? 0) > 0);
  const total = dims.reduce((s, d) => s + weights[d]!, 0);
  const out = new Float64Array(rows.length);
  if (total <= 0) return out.fill(0.5);
  for (const d of dims) {
    const w = weights[d]! / total;
    const col = table[d]!;
    const share = Math.min(1, Math.max(0, spec.rankShare?.[d] ?? 0));
    const knots = spec.normalizers?.[d];
    for (let r = 0; r < rows.length; r++) {
      const x = col[rows[r]];
      const rawPart = Math.min(1, Math.max(0, x));
      out[r] += w * (share === 0 ? rawPart : (1 - share) * rawPart + share * applyQuantiles(knots, x));
    }
  }
  for (let r = 0; r < out.length; r++) out[r] = Math.min(1, Math.max(0, out[r]));
  return out;
}

/** Row indices of each task in the batch. */
export function rowsByTask(items: readonly LoggedOutput[]): Map<TaskType, number[]> {
  const m = new Map<TaskType, number[]>();
  items.forEach((it, i) => {
    const g = m.get(it.task);
    if (g) g.push(i);
    else m.set(it.task, [i]);
  });
  return m;
}

/**
 * Scores a batch of outputs with a profile: every dimension and the composite. Deterministic; depends only on
 * the batch (agreement compares outputs of the same queryId in the batch) and the profile.
 */
export function scoreOutputs(
  items: readonly LoggedOutput[],
  profile: QualityProfile,
  options: ScoreOptions = {},
): ScoredOutput[] {
  if (profile.judgeWeightsHash !== undefined) {
    if (!options.learnedJudge) throw new InputError(`the profile uses the learned judge ${profile.judgeWeightsHash}: pass its weights`);
    const hash = judgeWeightsHash(options.learnedJudge);
    if (hash !== profile.judgeWeightsHash) throw new InputError(`learned judge weights ${hash} differ from the profile's ${profile.judgeWeightsHash}`);
  }
  const modelPriors: ComputeDimensionsParameters["modelPriors"] = {};
  for (const [t, tp] of Object.entries(profile.tasks)) modelPriors[t as TaskType] = tp!.modelPrior;
  const table = computeDimensions({
    items,
    modelPriors,
    useReferences: options.useReferences ?? profile.useReferences,
    judge: options.judge,
    learnedJudge: profile.judgeWeightsHash !== undefined ? options.learnedJudge : undefined,
    evaluatorScores: options.evaluatorScores,
  });
  const composite = new Float64Array(items.length);
  for (const [task, rows] of rowsByTask(items)) {
    const tp = profile.tasks[task] ?? defaultTaskProfile(task);
    const c = compositeOf(table, rows, tp);
    rows.forEach((r, k) => (composite[r] = c[k]));
  }
  return items.map((it, i) => {
    const dims = {} as ScoredOutput["dims"];
    for (const d of DIMENSIONS) dims[d] = table[d]![i];
    if (table.learnedJudge) dims.learnedJudge = table.learnedJudge[i];
    if (table.judge) dims.judge = table.judge[i];
    return { id: it.id, dims, composite: composite[i] };
  });
}
