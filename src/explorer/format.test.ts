import { describe, expect, test } from "vitest";
import { campsText, durationText, quality, qualityText, timeText, trustText } from "./format";
import { cidText, phaseAt } from "./protocol";
import { groupTokens, tokenAmount } from "./values";

describe("format", () => {
  test("behavior: a split round names both camps' centres in quality points; an unsplit or older payload shows nothing", () => {
    expect(campsText({ split: true, campCentres: [-0.418, 0.607] })).toBe(
      "two camps (centres -0.418 and 0.607 points): only evaluators outside both camps' bands can be slashed",
    );
    expect(campsText({ split: false, campCentres: null })).toBeNull();
    expect(campsText({ split: null, campCentres: null })).toBeNull();
  });

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

  test("behavior: phases follow the contract's _phase at block time and block number", () => {
    const base = { seed: "0x01" as const, seedBlock: 10, assignDeadline: 50, expiresAt: 400, commitDeadline: null, revealDeadline: null, challengeEnd: null, openChallenges: 0 };
    const active = { ...base, status: "active" as const, commitDeadline: 100, revealDeadline: 200 };
    expect([99, 100, 199, 200, 399, 400].map((t) => phaseAt(active, t, 20))).toEqual(["commit", "reveal", "reveal", "settle", "settle", "expired"]);
    const accepted = { ...base, status: "accepted" as const, challengeEnd: 300 };
    expect([299, 300].map((t) => phaseAt(accepted, t, 20))).toEqual(["challenge", "finalizable"]);
    // An open challenge holds the round in its challenge phase after the window.
    expect(phaseAt({ ...accepted, openChallenges: 1 }, 300, 20)).toBe("challenge");
    const registered = { ...base, status: "registered" as const };
    expect(phaseAt(registered, 0, 20)).toBe("assigning");
    expect(phaseAt({ ...registered, seed: null }, 0, 20)).toBe("seeding");
    // The seed block's hash is readable for 256 blocks; after it, or after the assignment deadline, the round expired.
    expect([266, 267].map((b) => phaseAt({ ...registered, seed: null }, 0, b))).toEqual(["seeding", "expired"]);
    expect(phaseAt(registered, 50, 20)).toBe("expired");
    expect(phaseAt({ ...base, status: "cancelled" }, 9, 20)).toBe("cancelled");
  });

  test("behavior: content identifiers read as text only when their bytes are printable", () => {
    expect(cidText("0x6261667931")).toBe("bafy1");
    expect(cidText(`0x${"ab".repeat(32)}`)).toBeNull(); // a 32-byte content hash
    expect(cidText("0xff00")).toBeNull();
    expect(cidText("0x")).toBeNull();
  });
});
