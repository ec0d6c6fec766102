import { keccak256 } from "viem";
import { describe, expect, test } from "vitest";
import { packScores, packedScoresHex, scoresHash } from "./scoresHash";

describe("packScores", () => {
  test("behavior: one big-endian uint16 per score, in order", () => {
    expect(packedScoresHex([0, 10_000, 258])).toBe("0x00002710" + "0102");
    expect(scoresHash([1, 2])).toBe(keccak256("0x00010002"));
  });

  test("behavior: rejects scores outside 0..10000", () => {
    expect(() => packScores([10_001])).toThrow(RangeError);
    expect(() => packScores([1.5])).toThrow(RangeError);
  });
});
