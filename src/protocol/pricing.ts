/**
 * Pricing: how the protocol prices an output in on-chain cost units. Pure; used by the registrar for each task
 * leaf's `costUnits` (which the cost-aware reward reads) and by the scoring library's cost prior.
 */

/** Indicative list prices in USD per million output tokens, matched on the folded model name (first match wins). */
export const PRICE_TABLE: ReadonlyArray<readonly [pattern: RegExp, usdPerMillion: number]> = [
  [/gpt-?4o-?mini/, 0.6],
  [/gpt-?4o/, 10],
  [/gpt-?4-?turbo/, 30],
  [/gpt-?4/, 60],
  [/gpt-?3\.?5|chatgpt|turbo/, 2],
  [/\bo1\b|o1-/, 60],
  [/opus/, 75],
  [/sonnet/, 15],
  [/haiku/, 1.25],
  [/gemini.*flash/, 0.6],
  [/gemini/, 10],
  [/llama.*(70|65)b|(70|65)b/, 0.9],
  [/mixtral|mistral-?large/, 2],
  [/deepseek/, 1.1],
  [/qwen|mistral|llama|gemma|phi/, 0.2],
];

/** Price used for a model the table does not know. */
export const DEFAULT_PRICE_PER_MILLION = 1;

export function pricePerMillion(model: string): number {
  const m = model.toLowerCase();
  for (const [pattern, price] of PRICE_TABLE) if (pattern.test(m)) return price;
  return DEFAULT_PRICE_PER_MILLION;
}

/** Estimated output tokens from the word count. */
export function estimateTokens(wordCount: number): number {
  return Math.ceil(wordCount * 1.3);
}

/** What an output is priced from: its text and model, and its token count when the node reported one. */
export type Priced = { output: string; model: string; tokens?: number };

/**
 * Cost units of an output: its output tokens (the reported count, or 1.3 tokens per word) times the model's list
 * price per million tokens, i.e. micro-USD, at least 1.
 */
export function costUnitsOf(o: Priced): bigint {
  const words = o.output.trim() === "" ? 0 : o.output.trim().split(/\s+/).length;
  const tokens = o.tokens ?? estimateTokens(words);
  return BigInt(Math.max(1, Math.round(tokens * pricePerMillion(o.model))));
}
