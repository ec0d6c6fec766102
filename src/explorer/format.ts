/** Plain-text formats shared by the pages, the API and `poq inspect`. */
import type { RoundContentSource } from "./derive";

/** Trust in parts per million as a decimal in [0, 1] with 6 digits: 812345 -> "0.812345". */
export function trustText(ppm: number): string {
  return (ppm / 1e6).toFixed(6);
}

/**
 * A round split into two camps by the two-camp test (centres in quality points), or null when it was not split or the
 * payload predates the test.
 */
export function campsText(b: { split: boolean | null; campCentres: [number, number] | null }): string | null {
  if (!b.split || !b.campCentres) return null;
  return `two camps (centres ${qualityText(b.campCentres[0])} and ${qualityText(b.campCentres[1])} points): only evaluators outside both camps' bands can be slashed`;
}

/** On-chain scores are quality 0..10 scaled by 1000; the explorer shows and serves quality 0..10. */
export const SCORE_SCALE = 1000;

/** An on-chain score (or a mean of them) as quality 0..10, rounded to 3 decimals: 7250 -> 7.25. */
export function quality(onChain: number): number {
  return Math.round(onChain) / SCORE_SCALE;
}

/** Quality 0..10 with 3 decimals: 7.25 -> "7.250". */
export function qualityText(q: number): string {
  return q.toFixed(3);
}

/** A block timestamp (seconds) as ISO 8601 in UTC, without milliseconds. */
export function timeText(ts: number | null | undefined): string {
  if (ts === null || ts === undefined) return "";
  if (!Number.isFinite(ts) || Math.abs(ts) > 8.64e12) return String(ts); // beyond what a Date holds
  return new Date(ts * 1000).toISOString().replace(".000Z", "Z");
}

/** A block timestamp as people read it: "2026-12-05 10:12:48 UTC". */
export function timeReadable(ts: number): string {
  return timeText(ts).replace("T", " ").replace("Z", " UTC");
}

/** A duration in seconds, in the two largest units: 90061 -> "1 d 1 h", 61 -> "1 min 1 s", 0 -> "0 s". */
export function durationText(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const units: [number, string][] = [
    [86_400, "d"],
    [3_600, "h"],
    [60, "min"],
    [1, "s"],
  ];
  const parts: string[] = [];
  let rest = s;
  for (const [size, name] of units) {
    if (rest >= size || (parts.length === 0 && size === 1)) {
      parts.push(`${Math.floor(rest / size)} ${name}`);
      rest %= size;
    }
    if (parts.length === 2) break;
  }
  return parts.join(" ");
}

export function shortHex(h: string, head = 6, tail = 4): string {
  return h.length <= head + tail + 1 ? h : `${h.slice(0, head)}…${h.slice(-tail)}`;
}

/** Where the round's content came from, with a content backend: one sentence (empty without one). */
export function contentSourceText(backend: string | null, s: RoundContentSource | null): string {
  if (!s || !backend) return "";
  const word = (x: string) => (x === "store" ? "from the store" : x === "fetched" ? `fetched over ${backend}` : x);
  const items: string[] = [];
  if (s.manifest !== "none") items.push(`manifest ${word(s.manifest)}`);
  if (s.outputs) items.push(`outputs: ${s.outputs.listed - s.outputs.missing} of ${s.outputs.listed} held, ${s.outputs.fetched} fetched${s.outputs.missing ? `, ${s.outputs.missing} unavailable` : ""}`);
  if (s.payloads !== "none") items.push(`settlement payload ${word(s.payloads)}`);
  if (s.goldOpening !== "none") items.push(`gold opening ${word(s.goldOpening)}`);
  if (s.pinned) items.push(`archive: ${s.pinned.cids} CIDs pinned${s.pinned.missing ? `, ${s.pinned.missing} not yet` : ""}`);
  return items.length ? `Content: ${items.join("; ")}.` : "";
}
