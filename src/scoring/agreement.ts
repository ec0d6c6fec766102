import type { Batch, PreparedItem } from "./batch";
import { fuzzyIn } from "./fuzzy";

/**
 * Agreement / uncertainty dimension.
 *
 * Peer agreement: the mean similarity of the output to the other outputs of the same query in the batch, where
 * the similarity of two outputs is built from answer containment: the share of one output's new content words
 * (content words not already in the query) that the other output contains, in each direction (see
 * `pairAgreement`). A short answer ("Scorpio") agrees with a long one that contains it ("... making her a
 * Scorpio."); two outputs that only share the question's words do not agree. An output without peers gets 0.5
 * (no information).
 *
 * Uncertainty: hedged outputs ("I think", "probably", "not sure") are scaled by 0.8, and when evaluator scores
 * are given for the output, a wide spread (standard deviation on the 0..10 scale, out of 5) scales the score by
 * up to one half.
 */
const HEDGE =
  /\b(i think|i believe|i guess|probably|possibly|perhaps|maybe|might be|may be|not sure|not certain|unclear|uncertain|it is likely|it seems|it appears)\b/i;

export function isHedged(text: string): boolean {
  return HEDGE.test(text);
}

/** Share of the new content words of `a` that `b` contains (spelling variants and compound parts count). */
function covered(a: PreparedItem, b: PreparedItem): number {
  if (a.novel.length === 0) return 0;
  let hit = 0;
  for (let k = 0; k < a.novel.length; k++) {
    if (b.idSet.has(a.novel[k]) || fuzzyIn(a.novelTokens[k], b.out)) hit++;
  }
  return hit / a.novel.length;
}

/**
 * Answer-containment similarity of two outputs, in [0, 1]: the geometric mean of the larger containment (a short
 * answer inside a long one counts) and the mean containment (mutual support counts more).
 */
export function pairAgreement(a: PreparedItem, b: PreparedItem): number {
  if (a.novel.length === 0 || b.out.ids.length === 0) return 0;
  const ab = covered(a, b);
  const ba = covered(b, a);
  return Math.sqrt((Math.max(ab, ba) * (ab + ba)) / 2);
}

/** Spread factor from evaluator scores on the 0..10 scale: 1 for unanimous scores, 0.5 at maximum spread. */
export function spreadFactor(scores: readonly number[] | undefined): number {
  if (!scores || scores.length < 2) return 1;
  let m = 0;
  for (const s of scores) m += s;
  m /= scores.length;
  let v = 0;
  for (const s of scores) v += (s - m) ** 2;
  const sd = Math.sqrt(v / scores.length);
  return 1 - 0.5 * Math.min(1, sd / 5);
}

export type AgreementOptions = {
  /** Scores (0..10) already given to an output by evaluators, keyed by output id. */
  evaluatorScores?: ReadonlyMap<string, readonly number[]>;
};

/** Agreement score in [0, 1] for every output of the batch. */
export function agreementScores(batch: Batch, options: AgreementOptions = {}): Float64Array {
  return Float64Array.from(batch.items, (p) => {
    if (p.out.ids.length === 0) return 0;
    let peer = 0.5;
    if (p.peers.length) {
      let s = 0;
      for (const j of p.peers) s += pairAgreement(p, batch.items[j]);
      peer = s / p.peers.length;
    }
    const hedge = isHedged(p.item.output) ? 0.8 : 1;
    return peer * hedge * spreadFactor(options.evaluatorScores?.get(p.item.id));
  });
}

/**
 * Peer statistics beside the mean agreement: the largest pairwise agreement with one peer, and the share of peers
 * that agree with the output (pairwise agreement at least 0.5): how many other systems back the same answer.
 * 0.5 without peers. Inputs of the learned judge.
 */
export function peerAgreementStats(batch: Batch): { max: Float64Array; share: Float64Array } {
  const n = batch.items.length;
  const max = new Float64Array(n).fill(0.5);
  const share = new Float64Array(n).fill(0.5);
  batch.items.forEach((p, i) => {
    if (p.out.ids.length === 0) {
      max[i] = 0;
      share[i] = 0;
      return;
    }
    if (p.peers.length === 0) return;
    let m = 0;
    let agree = 0;
    for (const j of p.peers) {
      const a = pairAgreement(p, batch.items[j]);
      if (a > m) m = a;
      if (a >= 0.5) agree++;
    }
    max[i] = m;
    share[i] = agree / p.peers.length;
  });
  return { max, share };
}
