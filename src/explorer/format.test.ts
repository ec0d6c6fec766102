import { describe, expect, test } from "vitest";
import { amount, groupTokens, phaseAt, scoreText, timeText, trustText } from "./format";

describe("format", () => {
  test("behavior: token amounts keep every significant decimal", () => {
    expect(amount(1234500000000000000000n, 18)).toEqual({ wei: "1234500000000000000000", tokens: "1234.5" });
    expect(amount("1", 18).tokens).toBe("0.000000000000000001");
    expect(groupTokens("1234567.891")).toBe("1,234,567.891");
    expect(groupTokens("999")).toBe("999");
    expect(groupTokens("-1000")).toBe("-1,000");
  });

  test("behavior: trust and scores are exact decimals", () => {
    expect(trustText(812_345)).toBe("0.812345");
    expect(trustText(1_000_000)).toBe("1.000000");
    expect(scoreText(7_250)).toBe("7.250");
    expect(timeText(1_700_000_000)).toBe("2023-11-14T22:13:20Z");
    expect(timeText(1e20)).toBe("100000000000000000000");
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
