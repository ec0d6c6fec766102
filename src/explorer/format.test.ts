import { describe, expect, test } from "vitest";
import { durationText, quality, qualityText, timeText, trustText } from "./format";
import { phaseAt } from "./protocol";
import { groupTokens, tokenAmount } from "./values";

describe("format", () => {
  test("behavior: token amounts keep every significant decimal", () => {
    expect(tokenAmount(1234500000000000000000n, 18)).toEqual({ wei: "1234500000000000000000", tokens: "1234.5" });
    expect(tokenAmount("1", 18).tokens).toBe("0.000000000000000001");
    expect(tokenAmount(1234567n, 6).tokens).toBe("1.234567");
    expect(groupTokens("1234567.891")).toBe("1,234,567.891");
    expect(groupTokens("999")).toBe("999");
    expect(groupTokens("-1000")).toBe("-1,000");
  });

  test("behavior: trust and quality are exact decimals; on-chain scores are ×1000", () => {
    expect(trustText(812_345)).toBe("0.812345");
    expect(trustText(1_000_000)).toBe("1.000000");
    expect(quality(7_250)).toBe(7.25);
    expect(quality(7_250.4)).toBe(7.25);
    expect(qualityText(quality(10_000))).toBe("10.000");
    expect(timeText(1_700_000_000)).toBe("2023-11-14T22:13:20Z");
    expect(timeText(1e20)).toBe("100000000000000000000");
  });

  test("behavior: durations show their two largest units", () => {
    expect([0, 59, 61, 3_600, 3_661, 90_061, 694_800].map(durationText)).toEqual(["0 s", "59 s", "1 min 1 s", "1 h", "1 h 1 min", "1 d 1 h", "8 d 1 h"]);
  });

  test("behavior: phases follow the contract's _phase at block time", () => {
    const active = { status: "active" as const, commitDeadline: 100, revealDeadline: 200, challengeEnd: null };
    expect([99, 100, 199, 200].map((t) => phaseAt(active, t))).toEqual(["commit", "reveal", "reveal", "settle"]);
    const accepted = { status: "accepted" as const, commitDeadline: 100, revealDeadline: 200, challengeEnd: 300 };
    expect([299, 300].map((t) => phaseAt(accepted, t))).toEqual(["challenge", "finalizable"]);
    expect(phaseAt({ status: "registered", commitDeadline: null, revealDeadline: null, challengeEnd: null }, 0)).toBe("assigning");
    expect(phaseAt({ status: "cancelled", commitDeadline: 1, revealDeadline: 2, challengeEnd: null }, 9)).toBe("cancelled");
  });
});
