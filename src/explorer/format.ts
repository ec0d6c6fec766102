import { formatUnits } from "viem";

/** An amount of the reward token: exact base units and the same value in token units (never rounded). */
export type Amount = { wei: string; tokens: string };

export function amount(wei: bigint | string, decimals: number): Amount {
  const v = BigInt(wei);
  return { wei: v.toString(), tokens: formatUnits(v, decimals) };
}

/** Token units with thousands separators, every significant decimal kept: 1234.5 -> "1,234.5". */
export function groupTokens(tokens: string): string {
  const neg = tokens.startsWith("-");
  const [i, f] = (neg ? tokens.slice(1) : tokens).split(".");
  const grouped = i.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return `${neg ? "-" : ""}${grouped}${f ? `.${f}` : ""}`;
}

/** Trust in parts per million as a decimal in [0, 1] with 6 digits: 812345 -> "0.812345". */
export function trustText(ppm: number): string {
  return (ppm / 1e6).toFixed(6);
}

/** An on-chain score (quality 0..10 scaled by 1000) as quality with 3 decimals: 7250 -> "7.250". */
export function scoreText(score: number): string {
  return (score / 1000).toFixed(3);
}

/** A block timestamp (seconds) as ISO 8601 in UTC, without milliseconds. */
export function timeText(ts: number | null | undefined): string {
  if (ts === null || ts === undefined) return "";
  if (!Number.isFinite(ts) || Math.abs(ts) > 8.64e12) return String(ts); // beyond what a Date holds
  return new Date(ts * 1000).toISOString().replace(".000Z", "Z");
}

export function shortHex(h: string, head = 6, tail = 4): string {
  return h.length <= head + tail + 1 ? h : `${h.slice(0, head)}…${h.slice(-tail)}`;
}

export const SLASH_REASONS: Record<number, string> = { 1: "non-reveal", 2: "low trust" };

export function slashReasonText(reason: number): string {
  return SLASH_REASONS[reason] ?? `reason ${reason}`;
}

export const ROLE_NAMES: Record<number, string> = { 1: "inference", 2: "evaluator" };

export function roleText(role: number): string {
  return ROLE_NAMES[role] ?? `role ${role}`;
}

/** Phase names of `IPoQSettlement.Phase`, lower case. */
export const PHASES = ["none", "assigning", "commit", "reveal", "settle", "challenge", "finalizable", "finalized", "cancelled"] as const;
export type PhaseName = (typeof PHASES)[number];

/** Stored round status, as the events set it. */
export type RoundStatus = "registered" | "active" | "accepted" | "finalized" | "cancelled";

/** The round's phase at block time `now`, exactly as `PoQSettlement._phase` derives it. */
export function phaseAt(
  r: { status: RoundStatus; commitDeadline: number | null; revealDeadline: number | null; challengeEnd: number | null },
  now: number,
): PhaseName {
  switch (r.status) {
    case "active":
      if (now < (r.commitDeadline ?? 0)) return "commit";
      if (now < (r.revealDeadline ?? 0)) return "reveal";
      return "settle";
    case "accepted":
      return now < (r.challengeEnd ?? 0) ? "challenge" : "finalizable";
    case "registered":
      return "assigning";
    case "finalized":
      return "finalized";
    case "cancelled":
      return "cancelled";
  }
}
