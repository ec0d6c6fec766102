import { describe, expect, test } from "vitest";
import { getAddress, type Address } from "viem";
import { forgetTurns, mayTakeTurn, turnLeader, type TurnClock } from "./turns";

const A = getAddress("0x00000000000000000000000000000000000000aa");
const B = getAddress("0x00000000000000000000000000000000000000bb");
const C = getAddress("0x00000000000000000000000000000000000000cc");

describe("relayer turns", () => {
  test("behavior: the leader goes round-robin over the current relayers by round id", () => {
    expect([1n, 2n, 3n, 4n].map((r) => turnLeader([A, B, C], r))).toEqual([B, C, A, B]);
    expect(turnLeader([], 1n)).toBeUndefined();
  });

  test("behavior: the leader sends at once; another relayer only after the grace period since it first saw the step pending", () => {
    const clock: TurnClock = { pendingSince: new Map(), graceMs: 4_000 };
    const at = (me: Address, nowMs: number, roundId = 2n, step = "finalize") => mayTakeTurn(clock, { relayers: [A, B], me, roundId, step, nowMs });
    expect(at(A, 1_000)).toBe(true); // round 2: leader A
    expect(at(B, 1_000)).toBe(false);
    expect(at(B, 4_999)).toBe(false);
    expect(at(B, 5_000)).toBe(true); // the leader did not finish it: B covers
    // Another step of the same round has its own pending time.
    expect(at(B, 5_000, 2n, "cancelRound")).toBe(false);
    // A relayer alone (or one that cannot read the set) never waits.
    expect(mayTakeTurn({ pendingSince: new Map(), graceMs: 4_000 }, { relayers: [], me: B, roundId: 2n, step: "finalize", nowMs: 0 })).toBe(true);
  });

  test("behavior: closed rounds' pending times are forgotten", () => {
    const clock: TurnClock = { pendingSince: new Map([["1:finalize", 0], ["2:finalize", 0], ["12:cancelRound", 0]]), graceMs: 1 };
    forgetTurns(clock, 2n);
    expect([...clock.pendingSince.keys()]).toEqual(["12:cancelRound"]);
  });
});
