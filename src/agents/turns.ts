import { getAddress, type Address } from "viem";

/**
 * Turn-taking for the steps any relayer may take (finalizing, cancelling an expired round, slashing a non-revealer).
 * The round's leader, the current relayers in vote-bit order taken round-robin by round id, sends at once; every
 * other relayer sends only once the step has been pending for `graceMs` on its own clock, so two healthy relayers do
 * not send the same step into the same block (the contract makes the second a no-op, but its sender still pays the gas), while a leader that
 * is down or slow is covered after the grace period.
 */
export function turnLeader(relayers: readonly Address[], roundId: bigint): Address | undefined {
  if (relayers.length === 0) return undefined;
  return getAddress(relayers[Number(roundId % BigInt(relayers.length))]);
}

export type TurnClock = { pendingSince: Map<string, number>; graceMs: number };

/**
 * Whether `me` takes the shared step `step` of round `roundId` now. The first call for a (round, step) starts its
 * pending time; the leader may always go, the others once the grace period has passed since then.
 */
export function mayTakeTurn(clock: TurnClock, p: { relayers: readonly Address[]; me: Address; roundId: bigint; step: string; nowMs: number }): boolean {
  const key = `${p.roundId}:${p.step}`;
  let since = clock.pendingSince.get(key);
  if (since === undefined) clock.pendingSince.set(key, (since = p.nowMs));
  const leader = turnLeader(p.relayers, p.roundId);
  if (leader === undefined || leader === getAddress(p.me)) return true;
  return p.nowMs - since >= clock.graceMs;
}

/** Forgets the pending times of closed rounds (ids at or below `lastClosed`). */
export function forgetTurns(clock: TurnClock, lastClosed: bigint): void {
  for (const key of clock.pendingSince.keys()) if (BigInt(key.slice(0, key.indexOf(":"))) <= lastClosed) clock.pendingSince.delete(key);
}
