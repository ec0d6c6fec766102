import type { LoggedOutput } from "../data/logged";
import type { Batch } from "./batch";

/**
 * Cost prior: what an output cost relative to the other outputs of its query (the round's competitors).
 *
 * The cost of an output is, in order of preference and only when every output of the query carries the field:
 * its `price`; its `tokens` times the model's price per token; its `latencyMs`; otherwise its estimated token
 * count (1.3 tokens per word) times the model's price per token from `PRICE_TABLE`. The score is
 * `cost / (cost + median)` over the query's outputs: 0.5 at the median, towards 1 for dearer outputs, 0 for a
 * free one. An output without peers scores 0.5.
 */

import { estimateTokens, pricePerMillion } from "../protocol/pricing";

export { DEFAULT_PRICE_PER_MILLION, estimateTokens, PRICE_TABLE, pricePerMillion } from "../protocol/pricing";

type CostField = "price" | "tokens" | "latencyMs" | "estimate";

function costOf(item: LoggedOutput, wordCount: number, field: CostField, prices: Map<string, number>): number {
  let rate = prices.get(item.model);
  if (rate === undefined) {
    rate = pricePerMillion(item.model);
    prices.set(item.model, rate);
  }
  switch (field) {
    case "price":
      return item.price!;
    case "tokens":
      return (item.tokens! * rate) / 1e6;
    case "latencyMs":
      return item.latencyMs!;
    default:
      return (estimateTokens(wordCount) * rate) / 1e6;
  }
}

/** Cost prior in [0, 1] for every output of the batch. */
export function costScores(batch: Batch): Float64Array {
  const out = new Float64Array(batch.items.length);
  const done = new Uint8Array(batch.items.length);
  const prices = new Map<string, number>();
  batch.items.forEach((p, i) => {
    if (done[i]) return;
    const rows = [i, ...p.peers];
    for (const r of rows) done[r] = 1;
    if (rows.length === 1) {
      out[i] = 0.5;
      return;
    }
    const group = rows.map((r) => batch.items[r]);
    const field: CostField = group.every((g) => g.item.price !== undefined)
      ? "price"
      : group.every((g) => g.item.tokens !== undefined)
        ? "tokens"
        : group.every((g) => g.item.latencyMs !== undefined)
          ? "latencyMs"
          : "estimate";
    const costs = group.map((g) => costOf(g.item, g.out.ids.length, field, prices));
    const sorted = costs.slice().sort((a, b) => a - b);
    const mid = sorted.length >> 1;
    const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    rows.forEach((r, k) => {
      const own = costs[k];
      out[r] = own <= 0 ? 0 : median <= 0 ? 1 : own / (own + median);
    });
  });
  return out;
}
