import { describe, expect, test } from "vitest";
import { runTrustPublished } from "./trustPublished";
import { ruleInput } from "./testing";

describe("trust-published", () => {
  test("behavior: consensus is the trust-weighted mean", () => {
    const input = ruleInput(2, [[[0, 2000], [1, 8000]]], { trust: Int32Array.from([1_000_000, 250_000]) });
    // (1.0 * 2000 + 0.25 * 8000) / 1.25 = 3200
    expect(runTrustPublished(input).consensus[0]).toBe(3200);
  });

  test("behavior: applies w <- clip(w (1 + lambda (0.5 - d)), w_min, w_max) with d = |s - c| / 10", () => {
    const input = ruleInput(3, [[[0, 5000], [1, 5000], [2, 2000]]]);
    const out = runTrustPublished(input);
    // c = 4000; evaluator 0: d = 0.1 -> 0.5 * (1 + 0.5 * 0.4) = 0.6; evaluator 2: d = 0.2 -> 0.5 * 1.15 = 0.575
    expect(out.consensus[0]).toBe(4000);
    expect(out.trust[0]).toBe(600_000);
    expect(out.trust[2]).toBe(575_000);
  });

  test("behavior: weights stay within [w_min, w_max]", () => {
    const input = ruleInput(2, [[[0, 0], [1, 10_000]]], { trust: Int32Array.from([1_000_000, 100_000]) });
    const out = runTrustPublished(input);
    expect(out.trust[0]).toBeLessThanOrEqual(1_000_000);
    expect(out.trust[1]).toBeGreaterThanOrEqual(100_000);
  });

  test("behavior: the known weakness: a booster within 5 points of consensus still gains weight", () => {
    let trust: Int32Array = Int32Array.from([500_000, 500_000, 500_000]);
    for (let r = 0; r < 10; r++) {
      trust = runTrustPublished(ruleInput(3, [[[0, 5000], [1, 5200], [2, 8000]]], { trust })).trust;
    }
    expect(trust[2]).toBe(1_000_000);
  });

  test("behavior: a non-revealer is treated as d = 1", () => {
    const out = runTrustPublished(ruleInput(2, [[[0, 5000]]], { nonRevealed: Uint8Array.from([0, 1]) }));
    expect(out.trust[1]).toBe(375_000); // 0.5 * (1 + 0.5 * (0.5 - 1))
  });
});
