/**
 * A batch's outputs in one file: the registrar puts the outputs of a batch, in manifest order (each distinct output
 * once), into one UnixFS file, pins it and names its CID in the manifest (`bundle`). A reader fetches the bundle (a
 * few 256 KiB chunks) instead of one block per output: over bitswap every block costs a round of messages, so 1,000
 * outputs take about 1,000 times the per-block cost, the bundle about four. Nothing in it is trusted: each output is
 * kept only if its keccak256 is one the manifest lists, so a wrong or missing bundle only sends the reader back to
 * fetching outputs one by one.
 *
 * Format: the ASCII magic `poq-bundle/1\n`, then for each output its length as a 4-byte big-endian integer and its
 * bytes.
 */
import { keccak256, type Hex } from "viem";
import { MAX_CONTENT_BYTES, MAX_OUTPUT_BYTES } from "./content";
import type { BatchManifest } from "./manifest";

const MAGIC = Buffer.from("poq-bundle/1\n", "ascii");
/** No output is larger (one block each). */
export const MAX_BUNDLED_OUTPUT_BYTES = MAX_OUTPUT_BYTES;

/** The distinct content hashes of a manifest's tasks, in task order: the bundle's order. */
export function bundleOrder(m: BatchManifest): Hex[] {
  return [...new Set(m.tasks.map((t) => t.contentHash.toLowerCase() as Hex))];
}

/**
 * The bundle of `outputs` (the bytes of each, in order), as many as fit in `maxBytes` (content larger than
 * `MAX_CONTENT_BYTES` is never read): the outputs left out are fetched one by one.
 */
export function encodeBundle(outputs: readonly Uint8Array[], maxBytes = MAX_CONTENT_BYTES): Uint8Array {
  const parts: Uint8Array[] = [MAGIC];
  let size = MAGIC.length;
  for (const o of outputs) {
    if (o.byteLength > MAX_BUNDLED_OUTPUT_BYTES || size + 4 + o.byteLength > maxBytes) break;
    size += 4 + o.byteLength;
    const len = Buffer.alloc(4);
    len.writeUInt32BE(o.byteLength);
    parts.push(len, o);
  }
  return Buffer.concat(parts);
}

/**
 * Store index of the bundles this daemon built or read (key: the bundle's CID): `BUNDLE_CHECKED` for one built here or
 * that gave a listed output (the only ones it pins and unpins), `BUNDLE_JUNK` for one that arrived and gave nothing.
 */
export const BUNDLE_INDEX = "bundle";
export const BUNDLE_CHECKED = "1";
export const BUNDLE_JUNK = "0";

/**
 * The outputs a bundle holds, read by position: entry k must hash to `order[k]` (the manifest's `bundleOrder`), and
 * the read stops at the first entry that does not, at an empty or oversized entry, or after `order.length` entries.
 * So a junk bundle costs at most one hash per task, and gives nothing past its first fault.
 */
export function decodeBundle(bytes: Uint8Array, order: readonly Hex[]): Map<Hex, Uint8Array> {
  const out = new Map<Hex, Uint8Array>();
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length < MAGIC.length || !b.subarray(0, MAGIC.length).equals(MAGIC)) return out;
  let at = MAGIC.length;
  for (const expected of order) {
    if (at + 4 > b.length) break;
    const len = b.readUInt32BE(at);
    at += 4;
    if (len === 0 || len > MAX_BUNDLED_OUTPUT_BYTES || at + len > b.length) break;
    const o = b.subarray(at, at + len);
    at += len;
    if (keccak256(o) !== expected.toLowerCase()) break;
    out.set(expected.toLowerCase() as Hex, new Uint8Array(o));
  }
  return out;
}
