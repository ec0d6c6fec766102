import type { Batch, PreparedItem } from "./batch";
import type { TokenizedText } from "./text";

/**
 * Query-output alignment: does the output address what was asked?
 *
 * - Refusals and non-answers ("I'm sorry", "I don't know", "cannot", "no information") score low.
 * - An output that only restates the query (nothing new beyond the query's words) scores low.
 * - Questions that ask for a number or a date ("how many", "what year", "when") expect a number.
 * - With a source document (summaries), the output should cover the source's salient content: the recall of
 *   the source's most frequent content words and of its lead sentence's content words.
 */
const REFUSAL =
  /\b(i(?:'|’)?m sorry|i am sorry|sorry, but|i (?:do not|don(?:'|’)?t) know|i (?:can ?not|can(?:'|’)?t|couldn(?:'|’)?t|could not|am unable to|was unable to) (?:find|provide|answer|determine|help|say|tell|confirm|access)|no (?:information|data|record|results?) (?:is |was )?(?:available|found|about|on)|(?:there is|there's) no (?:information|answer|record)|as an ai\b|(?:ai|a) language model|not (?:able|possible) to (?:answer|determine|provide)|unable to (?:answer|find|provide|determine)|i (?:do not|don(?:'|’)?t) have (?:any )?(?:information|access|data|enough))/i;

/** True when the output refuses or says it cannot answer. */
export function isRefusal(text: string): boolean {
  return REFUSAL.test(text);
}

const NUMBER_QUESTION = /^\s*(?:how (?:many|much|old|long|far|tall|high|big|deep|wide|often)|what (?:year|date|age|percentage|number)|in (?:what|which) year|when\b)/i;
const NUMBER_WORDS =
  /\b(?:\d+|zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|thousand|million|billion|dozen|once|twice|century|centuries)\b/i;

/** Recall of the source's salient content words (the 20 most frequent, ties broken by first position). */
function salientCoverage(p: PreparedItem, source: TokenizedText): number {
  const counts = new Map<number, number>();
  const first = new Map<number, number>();
  source.contentIds.forEach((id, i) => {
    counts.set(id, (counts.get(id) ?? 0) + 1);
    if (!first.has(id)) first.set(id, i);
  });
  const ranked = [...counts.keys()].sort((a, b) => counts.get(b)! - counts.get(a)! || first.get(a)! - first.get(b)!);
  const top = ranked.slice(0, 20);
  if (top.length === 0) return 0;
  let weight = 0;
  let hit = 0;
  for (const id of top) {
    const w = Math.log(1 + counts.get(id)!);
    weight += w;
    if (p.idSet.has(id)) hit += w;
  }
  return hit / weight;
}

function leadCoverage(p: PreparedItem, source: TokenizedText): number {
  const lead = source.contentIds.subarray(0, 40);
  const distinct = new Set(lead);
  if (distinct.size === 0) return 0;
  let hit = 0;
  for (const id of distinct) if (p.idSet.has(id)) hit++;
  return hit / distinct.size;
}

export function alignmentScore(batch: Batch, index: number): number {
  const p = batch.items[index];
  const text = p.item.output;
  if (p.out.ids.length === 0) return 0;
  const refusal = isRefusal(text) ? 0.15 : 1;
  if (p.context && p.context.contentIds.length) {
    const coverage = 0.5 * salientCoverage(p, p.context) + 0.5 * leadCoverage(p, p.context);
    return refusal * coverage;
  }
  const adds = p.novel.length === 0 ? 0.2 : 1;
  const needsNumber = NUMBER_QUESTION.test(p.item.query);
  const typeFit = needsNumber && !NUMBER_WORDS.test(text) ? 0.6 : 1;
  return refusal * adds * typeFit;
}

/** Alignment score in [0, 1] for every output of the batch. */
export function alignmentScores(batch: Batch): Float64Array {
  return Float64Array.from(batch.items, (_, i) => alignmentScore(batch, i));
}
