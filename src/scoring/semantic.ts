import type { Batch, PreparedItem } from "./batch";
import { fuzzyIn, squash } from "./fuzzy";
import { ngramCounts, ngramSet, rougeL, rougeN, support, tokenF1 } from "./overlap";
import { words, type TokenizedText } from "./text";

/**
 * Semantic dimension: match to the references where they exist, faithfulness to the source where there is one.
 *
 * - Short references (answers, at most `SHORT_REFERENCE` content tokens): the best reference's phrase
 *   containment (the folded reference, parenthesised qualifiers removed, found as a phrase in the output) or its
 *   content-token recall, whichever is higher. Verbose correct answers are not penalised for their length.
 * - Long references (summaries): the mean of ROUGE-1, ROUGE-2 and ROUGE-L F1 against the best reference.
 * - Source (summaries): faithfulness, the mean of the output's bigram support and content-word support in the
 *   source.
 * With both, the score is their mean; with neither, 0.5 (no information).
 */
export const SHORT_REFERENCE = 8;

export type SemanticParts = {
  /** Reference match in [0, 1], or undefined without references. */
  reference?: number;
  /** Faithfulness to the source in [0, 1], or undefined without a source. */
  faithfulness?: number;
};

function referencePhrase(ref: string): string {
  return words(ref.replace(/\([^)]*\)/g, " ")).join(" ");
}

/**
 * Recall of distinct key tokens in the output: 1 for an exact token, 0.8 for a spelling variant or a compound
 * part (see `fuzzy.ts`).
 */
export function fuzzyRecall(keyIds: Int32Array, keyTokens: readonly string[], p: PreparedItem): number {
  const seen = new Set<number>();
  let hit = 0;
  for (let k = 0; k < keyIds.length; k++) {
    const id = keyIds[k];
    if (seen.has(id)) continue;
    seen.add(id);
    if (p.idSet.has(id)) hit++;
    else if (fuzzyIn(keyTokens[k], p.out)) hit += 0.8;
  }
  return seen.size ? hit / seen.size : 0;
}

/** Best match of the output against short answer references. */
export function answerMatch(p: PreparedItem, refTexts: readonly string[], refs: readonly TokenizedText[]): number {
  let best = 0;
  for (let r = 0; r < refs.length; r++) {
    const phrase = referencePhrase(refTexts[r]);
    if (phrase !== "" && p.out.padded.includes(` ${phrase} `)) return 1;
    const squashed = phrase.replace(/ /g, "");
    if (squashed.length >= 6 && squash(p.out).includes(squashed)) best = Math.max(best, 0.9);
    const ref = refs[r];
    const useContent = ref.contentIds.length > 0;
    const keyIds = useContent ? ref.contentIds : ref.ids;
    const keyTokens = useContent ? ref.contentTokens : ref.tokens;
    if (keyIds.length === 0) continue;
    const recall = fuzzyRecall(keyIds, keyTokens, p);
    const f1 = tokenF1(p.out.ids, ref.ids).f;
    best = Math.max(best, recall * 0.9 + f1 * 0.1);
  }
  return best;
}

/** Best ROUGE match of the output against long (summary) references. */
export function summaryMatch(p: PreparedItem, refs: readonly TokenizedText[]): number {
  let best = 0;
  for (const ref of refs) {
    const r1 = rougeN(p.out.ids, ngramCounts(ref.ids, 1), ref.ids.length, 1).f;
    const r2 = rougeN(p.out.ids, ngramCounts(ref.ids, 2), Math.max(0, ref.ids.length - 1), 2).f;
    const rl = rougeL(p.out.ids, ref.ids).f;
    best = Math.max(best, (r1 + r2 + rl) / 3);
  }
  return best;
}

/** Share of the output supported by the source: bigram support and content-word support, averaged. */
export function faithfulness(out: TokenizedText, source: TokenizedText, sourceBigrams?: Set<number>): number {
  if (out.ids.length === 0) return 0;
  const bigrams = sourceBigrams ?? ngramSet(source.ids, 2);
  const bi = out.ids.length >= 2 ? support(out.ids, bigrams, 2) : 0;
  const content = out.contentIds.length ? support(out.contentIds, new Set(source.contentIds), 1) : bi;
  return (bi + content) / 2;
}

export function semanticParts(batch: Batch, index: number, sourceBigrams?: Set<number>): SemanticParts {
  const p = batch.items[index];
  const parts: SemanticParts = {};
  if (p.out.ids.length === 0) {
    if (p.refs.length) parts.reference = 0;
    if (p.context) parts.faithfulness = 0;
    return parts;
  }
  if (p.refs.length) {
    const short = p.refs.every((r) => r.contentIds.length <= SHORT_REFERENCE);
    parts.reference = short ? answerMatch(p, p.item.references ?? [], p.refs) : summaryMatch(p, p.refs);
  }
  if (p.context && p.context.ids.length) parts.faithfulness = faithfulness(p.out, p.context, sourceBigrams);
  return parts;
}

/** Semantic score in [0, 1] for every output of the batch. */
export function semanticScores(batch: Batch): Float64Array {
  const bigramCache = new Map<string, Set<number>>();
  return Float64Array.from(batch.items, (p, i) => {
    let sourceBigrams: Set<number> | undefined;
    if (p.context && p.item.context !== undefined) {
      sourceBigrams = bigramCache.get(p.item.context);
      if (!sourceBigrams) {
        sourceBigrams = ngramSet(p.context.ids, 2);
        bigramCache.set(p.item.context, sourceBigrams);
      }
    }
    const { reference, faithfulness: faith } = semanticParts(batch, i, sourceBigrams);
    if (reference !== undefined && faith !== undefined) return (reference + faith) / 2;
    if (reference !== undefined) return reference;
    if (faith !== undefined) return faith;
    return 0.5;
  });
}

/** Faithfulness to the source alone (references ignored), 0.5 without a source: a reference-free input. */
export function faithfulnessScores(batch: Batch): Float64Array {
  const bigramCache = new Map<string, Set<number>>();
  return Float64Array.from(batch.items, (p) => {
    if (!p.context || p.item.context === undefined || p.context.ids.length === 0) return 0.5;
    if (p.out.ids.length === 0) return 0;
    let sourceBigrams = bigramCache.get(p.item.context);
    if (!sourceBigrams) {
      sourceBigrams = ngramSet(p.context.ids, 2);
      bigramCache.set(p.item.context, sourceBigrams);
    }
    return faithfulness(p.out, p.context, sourceBigrams);
  });
}
