import { describe, expect, test } from "vitest";
import { prepareBatch } from "./batch";
import { costScores, pricePerMillion, DEFAULT_PRICE_PER_MILLION } from "./cost";
import { item } from "./testing";

describe("cost prior", () => {
  test("behaviour: the median-cost output scores 0.5, dearer ones more, cheaper ones less", () => {
    const s = costScores(prepareBatch([1, 2, 4].map((price) => item({ queryId: "q", output: "x", price }))));
    expect(s[1]).toBe(0.5);
    expect(s[2]).toBeGreaterThan(0.5);
    expect(s[0]).toBeLessThan(0.5);
  });

  test("behaviour: without cost fields, cost follows output length and the model's price", () => {
    const s = costScores(
      prepareBatch([
        item({ queryId: "q", output: "one two three", model: "tiny-open-model" }),
        item({ queryId: "q", output: "one two three", model: "gpt-4" }),
      ]),
    );
    expect(s[1]).toBeGreaterThan(s[0]);
  });

  test("behaviour: tokens are used when every output carries them, latency otherwise", () => {
    const byTokens = costScores(prepareBatch([item({ queryId: "q", output: "a", tokens: 10 }), item({ queryId: "q", output: "a", tokens: 30 })]));
    expect(byTokens[1]).toBeGreaterThan(byTokens[0]);
    const byLatency = costScores(prepareBatch([item({ queryId: "q", output: "a", latencyMs: 900 }), item({ queryId: "q", output: "a", latencyMs: 100 })]));
    expect(byLatency[0]).toBeGreaterThan(byLatency[1]);
  });

  test("behaviour: a lone output gets 0.5 and a free one 0", () => {
    expect(costScores(prepareBatch([item({ output: "a" })]))[0]).toBe(0.5);
    const s = costScores(prepareBatch([item({ queryId: "q", output: "a", price: 0 }), item({ queryId: "q", output: "a", price: 1 })]));
    expect(s[0]).toBe(0);
  });

  test("price table", () => {
    expect(pricePerMillion("GPT-4o-mini")).toBeLessThan(pricePerMillion("gpt-4"));
    expect(pricePerMillion("some-unknown-model")).toBe(DEFAULT_PRICE_PER_MILLION);
  });
});
