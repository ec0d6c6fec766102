import { keccak256, toBytes } from "viem";
import { LABEL_RANGE, type LoggedOutput, type TaskType } from "../data/logged";
import { InputError } from "../errors";
import type { Batch } from "./batch";
import { fnv1a, Rng } from "../math/prng";

/**
 * The learned reference-free judge: a logistic model over hashed word n-grams of the output, the question word
 * crossed with the output's length, and binned values of the reference-free dimensions (cost prior, structure,
 * source faithfulness, alignment, agreement, and two peer statistics: the best pairwise agreement and the share
 * of peers that agree). It never sees references, and no model identity. Trained on
 * labelled history (`trainJudge`, soft labels in [0, 1]); its weights are integers (fixed point, `SCALE`), so
 * inference is integer arithmetic and one final division: every machine computes the same score.
 */

/** Hash buckets of the n-gram features (a power of two). */
export const BUCKETS = 1 << 16;
/** Fixed-point scale of the weights: a weight w is stored as round(w * SCALE). */
export const SCALE = 1 << 12;
/** Bins of a dimension value in [0, 1]. */
export const BINS = 8;
/** The reference-free dimensions the judge reads, in feature order. */
export const JUDGE_INPUTS = ["costPrior", "structure", "faithfulness", "alignment", "agreement", "agreementMax", "agreementShare"] as const;
export type JudgeInput = (typeof JUDGE_INPUTS)[number];

/** Integer weights of one task type. */
export type JudgeTaskWeights = {
  bias: number;
  /** BUCKETS n-gram weights. */
  ngrams: number[];
  /** Per input: BINS bin weights, then one slope on the value (scaled by 1024). */
  inputs: Record<JudgeInput, number[]>;
  /** Held-out quality measured by the training script, and whether the judge is a default dimension. */
  heldOut?: { metric: string; judge: number; bestSingle: { name: string; value: number }; shiftGain?: number };
  enabled: boolean;
};

export type JudgeWeights = {
  kind: "poq-judge-weights";
  version: 1;
  buckets: number;
  scale: number;
  bins: number;
  tasks: Partial<Record<TaskType, JudgeTaskWeights>>;
};

/** Reference-free inputs of the judge for every output of a batch, in [0, 1]. */
export type JudgeInputTable = Record<JudgeInput, Float64Array>;

/** Feature list of one output: hashed bucket indices (deduplicated, sorted) and quantised inputs (0..1024). */
export type JudgeFeatures = { buckets: Int32Array; inputs: Int32Array };

const LENGTH_EDGES = [1, 2, 3, 6, 11, 21, 41, 81, 161];

function lengthBin(n: number): number {
  let b = 0;
  while (b < LENGTH_EDGES.length && n >= LENGTH_EDGES[b]) b++;
  return b;
}

function bucket(text: string): number {
  return fnv1a(text) & (BUCKETS - 1);
}

/** Quantises a value in [0, 1] to an integer 0..1024 (non-finite values to 512). */
export function quantise(v: number): number {
  if (!Number.isFinite(v)) return 512;
  return Math.round(Math.min(1, Math.max(0, v)) * 1024);
}

/** The features of every output of a batch. */
export function judgeFeatures(batch: Batch, inputs: JudgeInputTable): JudgeFeatures[] {
  return batch.items.map((p, i) => {
    const set = new Set<number>();
    const toks = p.out.tokens;
    for (let k = 0; k < toks.length; k++) {
      set.add(bucket(`u:${toks[k]}`));
      if (k + 1 < toks.length) set.add(bucket(`b:${toks[k]} ${toks[k + 1]}`));
    }
    if (toks.length > 0) set.add(bucket(`first:${toks[0]}`));
    const qword = p.query.tokens[0] ?? "";
    const len = lengthBin(toks.length);
    set.add(bucket(`len:${p.item.task}:${len}`));
    set.add(bucket(`qlen:${qword}:${len}`));
    set.add(bucket(`peers:${Math.min(p.peers.length, 6)}`));
    const buckets = Int32Array.from([...set].sort((a, b) => a - b));
    const q = Int32Array.from(JUDGE_INPUTS, (d) => quantise(inputs[d][i]));
    return { buckets, inputs: q };
  });
}

function binOf(q: number): number {
  return Math.min(BINS - 1, (q * BINS) >> 10);
}

/** The integer logit of one output, in units of SCALE * 1024. */
export function integerLogit(w: JudgeTaskWeights, f: JudgeFeatures): number {
  let acc = w.bias * 1024;
  for (let k = 0; k < f.buckets.length; k++) acc += w.ngrams[f.buckets[k]] * 1024;
  JUDGE_INPUTS.forEach((d, j) => {
    const q = f.inputs[j];
    const row = w.inputs[d];
    acc += row[binOf(q)] * 1024 + row[BINS] * q;
  });
  return acc;
}

/** Score in [0, 1]: a monotone squash of the integer logit, `0.5 + 0.5 z / (1 + |z|)`, computed from integers. */
export function judgeScore(w: JudgeTaskWeights, f: JudgeFeatures): number {
  const acc = integerLogit(w, f);
  const den = SCALE * 1024;
  return 0.5 + (0.5 * acc) / (den + Math.abs(acc));
}

export type TrainJudgeOptions = {
  epochs?: number;
  /** L2 penalty per update. */
  l2?: number;
  learningRate?: number;
  /** Learning rate of the n-gram weights relative to the others (they are many and sparse, so they overfit first). */
  ngramRate?: number;
  seed?: number;
};

/** Label normalised to [0, 1] (QA 0/1, summaries 1..5). */
function softLabel(task: TaskType, label: number): number {
  const [lo, hi] = LABEL_RANGE[task];
  return (label - lo) / (hi - lo);
}

/**
 * Trains the weights of one task: logistic regression with soft labels, AdaGrad steps in a seeded order, L2
 * penalty, then rounded to fixed point. Deterministic: the same features, labels and options give the same
 * integers.
 */
export function trainJudgeTask(
  task: TaskType,
  features: readonly JudgeFeatures[],
  items: readonly LoggedOutput[],
  options: TrainJudgeOptions = {},
): JudgeTaskWeights {
  const epochs = options.epochs ?? 6;
  const l2 = options.l2 ?? 1e-3;
  const lr = options.learningRate ?? 0.05;
  const lrN = lr * (options.ngramRate ?? 0.1);
  const nIn = JUDGE_INPUTS.length * (BINS + 1);
  const wN = new Float64Array(BUCKETS);
  const gN = new Float64Array(BUCKETS);
  const wI = new Float64Array(nIn);
  const gI = new Float64Array(nIn);
  let bias = 0;
  let gB = 0;
  const y = items.map((it) => softLabel(task, it.label!));
  const order = Int32Array.from({ length: features.length }, (_, i) => i);
  const rng = Rng.of(options.seed ?? 20260601);
  const step = (g: number, acc: Float64Array, k: number, rate = lr) => {
    acc[k] += g * g;
    return (rate * g) / Math.sqrt(acc[k] + 1e-8);
  };
  for (let e = 0; e < epochs; e++) {
    for (let i = order.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      const t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    for (const i of order) {
      const f = features[i];
      let z = bias;
      for (let k = 0; k < f.buckets.length; k++) z += wN[f.buckets[k]];
      for (let j = 0; j < JUDGE_INPUTS.length; j++) {
        const q = f.inputs[j];
        z += wI[j * (BINS + 1) + binOf(q)] + (wI[j * (BINS + 1) + BINS] * q) / 1024;
      }
      const p = 1 / (1 + Math.exp(-z));
      const g = p - y[i];
      gB += g * g;
      bias -= (lr * g) / Math.sqrt(gB + 1e-8);
      for (let k = 0; k < f.buckets.length; k++) {
        const b = f.buckets[k];
        if (lrN > 0) wN[b] -= step(g + l2 * wN[b], gN, b, lrN);
      }
      for (let j = 0; j < JUDGE_INPUTS.length; j++) {
        const q = f.inputs[j];
        const a = j * (BINS + 1) + binOf(q);
        const s = j * (BINS + 1) + BINS;
        wI[a] -= step(g + l2 * wI[a], gI, a);
        wI[s] -= step((g * q) / 1024 + l2 * wI[s], gI, s);
      }
    }
  }
  const fixed = (v: number) => Math.round(v * SCALE);
  const inputs = {} as Record<JudgeInput, number[]>;
  JUDGE_INPUTS.forEach((d, j) => {
    inputs[d] = Array.from(wI.subarray(j * (BINS + 1), (j + 1) * (BINS + 1)), fixed);
  });
  return { bias: fixed(bias), ngrams: Array.from(wN, fixed), inputs, enabled: false };
}

/** Deterministic JSON of judge weights (integers only, one task per line block). */
export function serializeJudgeWeights(w: JudgeWeights): string {
  const tasks: Record<string, unknown> = {};
  for (const t of Object.keys(w.tasks).sort()) {
    const tw = w.tasks[t as TaskType]!;
    tasks[t] = { enabled: tw.enabled, heldOut: tw.heldOut, bias: tw.bias, inputs: tw.inputs, ngrams: tw.ngrams };
  }
  return `${JSON.stringify({ kind: w.kind, version: w.version, buckets: w.buckets, scale: w.scale, bins: w.bins, tasks })}\n`;
}

/** keccak256 of the serialised weights: what a profile pins as `judgeWeightsHash`. */
export function judgeWeightsHash(w: JudgeWeights): `0x${string}` {
  return keccak256(toBytes(serializeJudgeWeights(w)));
}

function isIntArray(v: unknown, n: number): v is number[] {
  return Array.isArray(v) && v.length === n && v.every((x) => Number.isSafeInteger(x));
}

/** Validates parsed judge weights; `where` names the source in errors. */
export function parseJudgeWeights(text: string, where = "<judge weights>"): JudgeWeights {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new InputError(`${where}: malformed JSON (${(e as Error).message})`);
  }
  const bad = (problem: string): never => {
    throw new InputError(`${where}: invalid judge weights: ${problem}`);
  };
  if (!raw || typeof raw !== "object" || raw.kind !== "poq-judge-weights") bad(`"kind" must be "poq-judge-weights"`);
  if (raw.version !== 1) bad(`unsupported version (expected 1)`);
  if (raw.buckets !== BUCKETS || raw.scale !== SCALE || raw.bins !== BINS) bad(`buckets, scale and bins must be ${BUCKETS}, ${SCALE} and ${BINS}`);
  const tasks = raw.tasks as Record<string, Record<string, unknown>>;
  if (!tasks || typeof tasks !== "object") bad(`"tasks" must be an object`);
  for (const [t, tw] of Object.entries(tasks)) {
    if (!(t in LABEL_RANGE)) bad(`unknown task "${t}"`);
    if (!Number.isSafeInteger(tw.bias) || typeof tw.enabled !== "boolean") bad(`tasks.${t} needs an integer bias and a boolean enabled`);
    if (!isIntArray(tw.ngrams, BUCKETS)) bad(`tasks.${t}.ngrams must be ${BUCKETS} integers`);
    const inputs = tw.inputs as Record<string, unknown>;
    for (const d of JUDGE_INPUTS) if (!inputs || !isIntArray(inputs[d], BINS + 1)) bad(`tasks.${t}.inputs.${d} must be ${BINS + 1} integers`);
  }
  return raw as unknown as JudgeWeights;
}

/** Judge scores of a batch: the task's weights where enabled (or `force`), 0.5 (no information) elsewhere. */
export function judgeColumn(weights: JudgeWeights, items: readonly LoggedOutput[], features: readonly JudgeFeatures[], force = false): Float64Array {
  return Float64Array.from(items, (it, i) => {
    const tw = weights.tasks[it.task];
    return tw && (tw.enabled || force) ? judgeScore(tw, features[i]) : 0.5;
  });
}

/** Trains a judge per task type present in `items` (every output labelled). Deterministic. */
export function trainJudge(items: readonly LoggedOutput[], features: readonly JudgeFeatures[], options: TrainJudgeOptions = {}): JudgeWeights {
  const tasks: JudgeWeights["tasks"] = {};
  const byTask = new Map<TaskType, number[]>();
  items.forEach((it, i) => (byTask.get(it.task) ?? byTask.set(it.task, []).get(it.task)!).push(i));
  for (const task of [...byTask.keys()].sort()) {
    const rows = byTask.get(task)!;
    tasks[task] = { ...trainJudgeTask(task, rows.map((r) => features[r]), rows.map((r) => items[r]), options), enabled: true };
  }
  return { kind: "poq-judge-weights", version: 1, buckets: BUCKETS, scale: SCALE, bins: BINS, tasks };
}

/**
 * Out-of-fold judge scores of labelled outputs: each fold of queries is scored by a judge trained on the other
 * folds, so that a calibration never weighs the judge by scores it gave to its own training outputs.
 */
export function outOfFoldJudge(
  items: readonly LoggedOutput[],
  features: readonly JudgeFeatures[],
  fold: Int32Array,
  folds: number,
  options: TrainJudgeOptions = {},
): Float64Array {
  const out = new Float64Array(items.length);
  for (let f = 0; f < folds; f++) {
    const fit: number[] = [];
    const test: number[] = [];
    fold.forEach((k, r) => (k === f ? test : fit).push(r));
    if (fit.length === 0 || test.length === 0) continue;
    const w = trainJudge(
      fit.map((r) => items[r]),
      fit.map((r) => features[r]),
      options,
    );
    const col = judgeColumn(
      w,
      test.map((r) => items[r]),
      test.map((r) => features[r]),
    );
    test.forEach((r, k) => (out[r] = col[k]));
  }
  return out;
}
