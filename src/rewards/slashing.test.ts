import { describe, expect, test } from "vitest";
import { SlashReason, applySlashingPolicy, type SlashingInput } from "./slashing";

const base = (n: number, over: Partial<SlashingInput> = {}): SlashingInput => ({
  trust: new Int32Array(n).fill(900_000),
  lowStreak: new Int32Array(n),
  participated: new Uint8Array(n).fill(1),
  nonRevealed: new Uint8Array(n),
  usesTrust: true,
  thresholdPpm: 200_000,
  afterRounds: 3,
  maxSlashes: 10,
  ...over,
});

describe("applySlashingPolicy", () => {
  test("behavior: low trust for K consecutive assigned rounds slashes (LowTrust) and restarts the streak", () => {
    const out = applySlashingPolicy(base(3, { trust: Int32Array.from([100_000, 100_000, 900_000]), lowStreak: Int32Array.from([2, 1, 5]) }));
    expect(out.slashes).toEqual([{ evaluator: 0, reason: SlashReason.LowTrust }]);
    expect(Array.from(out.lowStreak)).toEqual([0, 2, 0]);
  });

  test("behavior: a non-revealer is slashed (NonReveal) at once", () => {
    const out = applySlashingPolicy(base(2, { nonRevealed: Uint8Array.from([0, 1]) }));
    expect(out.slashes).toEqual([{ evaluator: 1, reason: SlashReason.NonReveal }]);
  });

  test("behavior: a round without assignment leaves the streak alone", () => {
    const out = applySlashingPolicy(base(1, { trust: Int32Array.from([0]), lowStreak: Int32Array.from([2]), participated: Uint8Array.from([0]) }));
    expect(out.slashes).toEqual([]);
    expect(out.lowStreak[0]).toBe(2);
  });

  test("behavior: bounded by maxSlashes: non-reveals first, then lowest trust; the rest keep their streak", () => {
    const out = applySlashingPolicy(
      base(4, {
        trust: Int32Array.from([150_000, 50_000, 100_000, 900_000]),
        lowStreak: Int32Array.from([5, 5, 5, 0]),
        nonRevealed: Uint8Array.from([0, 0, 0, 1]),
        maxSlashes: 2,
      }),
    );
    expect(out.slashes).toEqual([
      { evaluator: 1, reason: SlashReason.LowTrust },
      { evaluator: 3, reason: SlashReason.NonReveal },
    ]);
    expect(out.lowStreak[0]).toBe(6);
  });

  test("behavior: stateless rules never slash for low trust", () => {
    const out = applySlashingPolicy(base(1, { usesTrust: false, trust: Int32Array.from([0]), lowStreak: Int32Array.from([9]) }));
    expect(out.slashes).toEqual([]);
  });
});
