import type { TaskType } from "../data/logged";
import type { Batch, PreparedItem } from "./batch";

/**
 * Structure dimension: is the output well-formed for its task? The score is a product of factors in [0, 1]:
 * repetition, degeneration, truncation, formatting and length fit. An empty output scores 0.
 */
export type StructureFactors = {
  repetition: number;
  degeneration: number;
  truncation: number;
  formatting: number;
  lengthFit: number;
};

/** Fraction of word bigrams that repeat an earlier bigram of the same output. */
export function repeatedBigramFraction(ids: Int32Array): number {
  const total = ids.length - 1;
  if (total < 2) return 0;
  const seen = new Set<number>();
  let repeats = 0;
  for (let i = 0; i < total; i++) {
    const k = ids[i] * 67108864 + ids[i + 1];
    if (seen.has(k)) repeats++;
    else seen.add(k);
  }
  return repeats / total;
}

/** Longest run of one token repeated back to back ("the the the"). */
function longestRun(ids: Int32Array): number {
  let best = ids.length ? 1 : 0;
  let run = 1;
  for (let i = 1; i < ids.length; i++) {
    run = ids[i] === ids[i - 1] ? run + 1 : 1;
    if (run > best) best = run;
  }
  return best;
}

const MARKUP = /<unk>|<pad>|<\/?s>|\[CLS\]|\[SEP\]|\[PAD\]|\uFFFD|<\|[a-z_]+\|>/i;
const TERMINAL = /[.!?…"'”’)\]]\s*$/u;

/** Factor for a length `n` (words) against a soft band [lo, hi]: 1 inside, decaying with the log-ratio outside. */
export function bandFit(n: number, lo: number, hi: number): number {
  if (n <= 0) return 0;
  if (n < lo) return Math.exp(-0.5 * Math.log(lo / n) ** 2);
  if (n > hi) return Math.exp(-0.5 * Math.log(n / hi) ** 2);
  return 1;
}

/**
 * Expected length band (in words) for the task: short answers for QA, a fraction of the source for summaries,
 * widened around the median length of the other outputs of the same query when there are at least two.
 */
function lengthBand(task: TaskType, p: PreparedItem, peerMedian: number | undefined): [number, number] {
  let lo: number;
  let hi: number;
  if (task === "summarization") {
    const src = p.context?.ids.length ?? 0;
    lo = src > 0 ? Math.max(8, 0.02 * src) : 8;
    hi = src > 0 ? Math.max(40, 0.5 * src) : 200;
  } else {
    lo = 1;
    hi = 80;
  }
  if (peerMedian !== undefined && peerMedian > 0) {
    lo = Math.min(lo, peerMedian / 4);
    hi = Math.max(hi, peerMedian * 4);
  }
  return [lo, hi];
}

function median(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  const s = values.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** The factors of one output; exported for tests and for the audit's explanations. */
export function structureFactors(batch: Batch, index: number): StructureFactors {
  const p = batch.items[index];
  const ids = p.out.ids;
  const n = ids.length;
  const text = p.item.output;
  if (n === 0) return { repetition: 0, degeneration: 0, truncation: 0, formatting: 0, lengthFit: 0 };

  const rep = repeatedBigramFraction(ids);
  const repetition = Math.max(0, 1 - 2 * rep) ** 2;

  const run = longestRun(ids);
  const distinct = p.idSet.size / n;
  let degeneration = run >= 3 ? 1 / (run - 1) : 1;
  if (n >= 20 && distinct < 0.4) degeneration *= distinct / 0.4;
  const visible = text.replace(/\s+/g, "");
  const alnum = visible.replace(/[^\p{L}\p{N}]/gu, "").length;
  const alnumRatio = visible.length ? alnum / visible.length : 0;
  if (alnumRatio < 0.6) degeneration *= alnumRatio / 0.6;

  const truncation = n >= 8 && !TERMINAL.test(text) ? 0.8 : 1;

  let formatting = MARKUP.test(text) ? 0.6 : 1;
  const opens = (text.match(/[([{]/g) ?? []).length;
  const closes = (text.match(/[)\]}]/g) ?? []).length;
  if (opens !== closes) formatting *= 0.9;

  const peerMedian = median(p.peers.map((j) => batch.items[j].out.ids.length));
  const [lo, hi] = lengthBand(p.item.task, p, peerMedian);
  const lengthFit = bandFit(n, lo, hi);

  return { repetition, degeneration, truncation, formatting, lengthFit };
}

/** Structure score in [0, 1] for every output of the batch. */
export function structureScores(batch: Batch): Float64Array {
  return Float64Array.from(batch.items, (_, i) => {
    const f = structureFactors(batch, i);
    return f.repetition * f.degeneration * f.truncation * f.formatting * f.lengthFit;
  });
}
