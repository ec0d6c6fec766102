/**
 * Text normalisation and tokenisation shared by every dimension. Pure and deterministic.
 *
 * Tokens are lower-cased, accent-free runs of letters and digits; a light suffix stripper folds plurals and
 * common inflections so that "makes" and "making" or "elements" and "element" match. Stop words are listed in
 * `STOP_WORDS`; the "content" tokens of a text are its tokens minus stop words.
 */

/** Common English function words; content-token filters drop them. */
export const STOP_WORDS: ReadonlySet<string> = new Set(
  (
    "a an the and or but nor so yet of to in on at by for with from into onto upon about above below over under " +
    "between among through during before after since until than then as is am are was were be been being has have " +
    "had having do does did doing will would shall should can could may might must it its it's this that these " +
    "those there here their theirs them they he him his she her hers we us our ours you your yours i me my mine " +
    "who whom whose which what when where why how all any both each few more most other some such no not only own " +
    "same too very just also s t d ll m re ve also one ones which whatever whichever known called named name " +
    "following answer question"
  ).split(" "),
);

const COMBINING_MARKS = /[\u0300-\u036f]/g;
const NON_WORD = /[^\p{L}\p{N}]+/u;

/** Lower-cases and strips accents ("Niccolò" -> "niccolo"). */
export function foldCase(text: string): string {
  return text.normalize("NFKD").replace(COMBINING_MARKS, "").toLowerCase();
}

/** Light, deterministic suffix stripping; keeps short words intact. */
export function stem(word: string): string {
  const n = word.length;
  if (n <= 3 || /\d/.test(word)) return word;
  if (n > 5 && word.endsWith("ies")) return word.slice(0, -3) + "y";
  if (n > 5 && word.endsWith("ing")) return word.slice(0, -3);
  if (n > 4 && word.endsWith("ed") && !word.endsWith("eed")) return word.slice(0, -2);
  if (n > 4 && (word.endsWith("ches") || word.endsWith("shes") || word.endsWith("sses") || word.endsWith("xes"))) {
    return word.slice(0, -2);
  }
  if (word.endsWith("s") && !word.endsWith("ss") && !word.endsWith("us") && !word.endsWith("is")) {
    return word.slice(0, -1);
  }
  if (n > 4 && word.endsWith("e")) return word.slice(0, -1);
  return word;
}

/** Splits text into normalised word tokens (no stemming). */
export function words(text: string): string[] {
  const parts = foldCase(text).split(NON_WORD);
  const out: string[] = [];
  for (const p of parts) if (p !== "") out.push(p);
  return out;
}

/** Words, stemmed. */
export function tokenize(text: string): string[] {
  return words(text).map(stem);
}

/** True for a token that carries content (not a stop word). */
export function isContent(token: string): boolean {
  return !STOP_WORDS.has(token);
}

/** Text with its token views computed once. */
export type TokenizedText = {
  /** Stemmed tokens in order. */
  tokens: string[];
  /** Token ids from the shared vocabulary, in order. */
  ids: Int32Array;
  /** Ids of content tokens (stop words removed), in order. */
  contentIds: Int32Array;
  /** The content tokens themselves, parallel to `contentIds`. */
  contentTokens: string[];
  /** Space-joined folded words, padded with spaces, for phrase containment (" david seville "). */
  padded: string;
};

/**
 * Interns tokens into integer ids and caches tokenised texts, so that long shared texts (a summary's source
 * document, a query's references) are processed once per batch.
 */
export class Vocabulary {
  private readonly ids = new Map<string, number>();
  private readonly cache = new Map<string, TokenizedText>();
  private readonly stopIds = new Set<number>();

  id(token: string): number {
    let v = this.ids.get(token);
    if (v === undefined) {
      v = this.ids.size;
      this.ids.set(token, v);
      if (!isContent(token)) this.stopIds.add(v);
    }
    return v;
  }

  get size(): number {
    return this.ids.size;
  }

  isStop(id: number): boolean {
    return this.stopIds.has(id);
  }

  text(text: string): TokenizedText {
    const hit = this.cache.get(text);
    if (hit) return hit;
    const w = words(text);
    const tokens = w.map(stem);
    const ids = new Int32Array(tokens.length);
    const content: number[] = [];
    const contentTokens: string[] = [];
    for (let i = 0; i < tokens.length; i++) {
      const id = this.id(tokens[i]);
      ids[i] = id;
      if (!this.stopIds.has(id)) {
        content.push(id);
        contentTokens.push(tokens[i]);
      }
    }
    const t: TokenizedText = {
      tokens,
      ids,
      contentIds: Int32Array.from(content),
      contentTokens,
      padded: ` ${w.join(" ")} `,
    };
    this.cache.set(text, t);
    return t;
  }
}

/** Splits text into sentences on ., ! and ? followed by space, keeping non-empty trimmed pieces. */
export function sentences(text: string): string[] {
  return text
    .split(/(?<=[.!?])\s+(?=\S)/u)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}
