import { describe, expect, test } from "vitest";
import { InputError } from "../errors";
import { resolveConfig } from "./config";
import { chainHorizon, pastHorizon, resolveHorizon, roundsPastHorizon } from "./unpin";

/** The local deployment's parts (deploy/modules/core.ts): unbonding 7 days, and a round of at most 340 s. */
const CHAIN = { unbondingPeriod: 7n * 86_400n, maxRoundLifetime: 340n };
const H = chainHorizon(CHAIN);
const T = 1_800_000_000n;

describe("the recomputation horizon (pure)", () => {
  test("unit: the chain's horizon is the unbonding period plus the longest round; an override may only lengthen it", () => {
    expect(H).toBe(605_140n);
    expect(resolveHorizon(CHAIN)).toBe(H);
    expect(resolveHorizon(CHAIN, Number(H))).toBe(H);
    expect(resolveHorizon(CHAIN, Number(H) + 86_400)).toBe(H + 86_400n);
    const err = (() => {
      try {
        return resolveHorizon(CHAIN, 3_600, "pinHorizon (--pin-horizon)");
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toBe(
      "pinHorizon (--pin-horizon) 3600 s is shorter than the chain's recomputation horizon of 605140 s (unbonding period 604800 s + longest round 340 s): content others may still need would be unpinned; give at least 605140 s or leave it out",
    );
    expect(() => resolveHorizon(CHAIN, Number(H) - 1)).toThrow(/shorter than the chain's recomputation horizon of 605140 s/);
  });

  test("unit: a closed round is past the horizon only strictly after closing time + horizon; exactly at it, it is not", () => {
    for (const state of ["finalized", "cancelled", "expired"] as const) {
      const c = { state, at: T };
      expect(pastHorizon(c, H, T), state).toBe(false);
      expect(pastHorizon(c, H, T + H - 1n), state).toBe(false);
      expect(pastHorizon(c, H, T + H), state).toBe(false);
      expect(pastHorizon(c, H, T + H + 1n), state).toBe(true);
    }
  });

  test("unit: open (and unknown) rounds are never past the horizon, however old; a cancelled round counts like a finalized one", () => {
    expect(pastHorizon({ state: "open" }, H, T + 100n * H)).toBe(false);
    expect(pastHorizon({ state: "open" }, 0n, 2n ** 64n)).toBe(false);
    const rounds = [
      { id: 1n, closure: { state: "finalized" as const, at: T } },
      { id: 2n, closure: { state: "cancelled" as const, at: T + 10n } },
      { id: 3n, closure: { state: "open" as const } },
      { id: 4n, closure: { state: "expired" as const, at: T + 20n } },
      { id: 5n, closure: { state: "finalized" as const, at: T + 30n } },
    ];
    expect(roundsPastHorizon(rounds, H, T + H + 15n)).toEqual([1n, 2n]);
    expect(roundsPastHorizon(rounds, H, T + H + 21n)).toEqual([1n, 2n, 4n]);
    expect(roundsPastHorizon(rounds, H, T + H + 31n)).toEqual([1n, 2n, 4n, 5n]);
    expect(roundsPastHorizon(rounds, H, T + H)).toEqual([]);
  });

  test("unit: pinHorizon is read from the config file, POQ_PIN_HORIZON or --pin-horizon; a malformed value is refused by name", () => {
    const flags = { devAccount: 1 };
    expect(resolveConfig({ env: {}, flags, single: "relayer" }).pinHorizon).toBeUndefined();
    expect(resolveConfig({ env: { POQ_PIN_HORIZON: "700000" }, flags, single: "relayer" }).pinHorizon).toBe(700_000);
    expect(resolveConfig({ env: {}, flags: { ...flags, pinHorizon: "900000" }, single: "relayer" }).pinHorizon).toBe(900_000);
    expect(() => resolveConfig({ env: {}, flags: { ...flags, pinHorizon: "0" }, single: "relayer" })).toThrow(/--pin-horizon.*must be an integer >= 1/);
    expect(() => resolveConfig({ env: { POQ_PIN_HORIZON: "a week" }, flags, single: "relayer" })).toThrow(/POQ_PIN_HORIZON.*must be an integer >= 1/);
  });
});
