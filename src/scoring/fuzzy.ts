import type { TokenizedText } from "./text";

/**
 * Spelling-tolerant token matching for short answers: "Shostakovitch" matches "Shostakovich", and compounds
 * match across spacing ("bee keeper" / "beekeeper"). Used by the semantic and agreement dimensions.
 */

/** Minimum length of a token matched by spelling similarity or inside a compound. */
export const FUZZY_MIN_LENGTH = 5;
/** Dice coefficient of character bigrams above which two tokens count as the same word. */
export const FUZZY_DICE = 0.78;

const bigramCache = new Map<string, Set<string>>();

function charBigrams(word: string): Set<string> {
  let s = bigramCache.get(word);
  if (!s) {
    s = new Set<string>();
    for (let i = 0; i + 2 <= word.length; i++) s.add(word.slice(i, i + 2));
    if (bigramCache.size > 200_000) bigramCache.clear();
    bigramCache.set(word, s);
  }
  return s;
}

/** Dice coefficient of the character-bigram sets of two words. */
export function dice(a: string, b: string): number {
  const x = charBigrams(a);
  const y = charBigrams(b);
  if (x.size === 0 || y.size === 0) return 0;
  let common = 0;
  for (const g of x) if (y.has(g)) common++;
  return (2 * common) / (x.size + y.size);
}

/** True when `word` is similar in spelling to a word of `text` (same first letter, length within 3). */
export function fuzzyIn(word: string, text: TokenizedText): boolean {
  if (word.length < FUZZY_MIN_LENGTH) return false;
  if (squash(text).includes(word)) return true;
  for (const t of text.tokens) {
    if (t.length < FUZZY_MIN_LENGTH || t[0] !== word[0] || Math.abs(t.length - word.length) > 3) continue;
    if (dice(word, t) >= FUZZY_DICE) return true;
  }
  return false;
}

const squashCache = new WeakMap<TokenizedText, string>();

/** The text's folded words without spaces, for compound matching. */
export function squash(text: TokenizedText): string {
  let s = squashCache.get(text);
  if (s === undefined) {
    s = text.padded.replace(/ /g, "");
    squashCache.set(text, s);
  }
  return s;
}
