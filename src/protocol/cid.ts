/**
 * CIDs of protocol content, with no dependency on the IPFS libraries (they are ES modules, loaded lazily by the
 * content backends): every role can parse, build and check a CID synchronously.
 *
 * Conventions:
 * - An output is one raw block named by a CIDv1 with a keccak-256 multihash (codec raw 0x55, hash 0x1b): the
 *   keccak256 `contentHash` of a task leaf on chain IS the CID's digest (`cidOfKeccak`, `keccakOfCid`).
 * - Everything else (batch manifests, gold openings, settlement payloads) is a UnixFS file with deterministic
 *   chunking (see `dag.ts`): CIDv1, sha2-256, raw leaves; a file of one chunk is that raw block itself.
 * - A CID travels as its base32 string (`bafk…`/`bafy…`) in JSON and logs, and as its binary form (0x-hex) on chain
 *   (`cidToBytes`, `cidFromBytes`; at most `MAX_CID_BYTES`).
 */
import { createHash } from "node:crypto";
import { keccak_256 } from "js-sha3";
import type { Hex } from "viem";
import { ContentError } from "./store";

/** A CIDv1 in its canonical base32 string form. Built only by the helpers here, so a `Cid` is always well formed. */
export type Cid = string & { readonly __cid: unique symbol };

export const CODEC_RAW = 0x55;
export const CODEC_DAG_PB = 0x70;
export const HASH_SHA2_256 = 0x12;
export const HASH_KECCAK_256 = 0x1b;
/** The largest CID accepted on chain (`manifestCid`, `payloadCid`, `announce`). Ours are 36 bytes. */
export const MAX_CID_BYTES = 128;

/** A string or byte sequence that is not a CID we accept. */
export class InvalidCid extends ContentError {
  override name = "InvalidCid";
}

export type DecodedCid = { version: 1; codec: number; hashCode: number; digest: Uint8Array; bytes: Uint8Array };

// ---------------------------------------------------------------------------------------------------------------
// varint and base32 (RFC 4648, lowercase, no padding: multibase prefix "b")

function encodeVarint(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}

function decodeVarint(bytes: Uint8Array, at: number): [value: number, next: number] {
  let value = 0;
  let shift = 1;
  for (let i = at; i < bytes.length && i < at + 8; i++) {
    const b = bytes[i];
    value += (b & 0x7f) * shift;
    if (b < 0x80) {
      if (b === 0 && i > at) throw new InvalidCid("non-minimal varint in CID");
      return [value, i + 1];
    }
    shift *= 128;
  }
  throw new InvalidCid("truncated varint in CID");
}

const B32 = "abcdefghijklmnopqrstuvwxyz234567";

function base32Encode(bytes: Uint8Array): string {
  let out = "";
  let buffer = 0;
  let bits = 0;
  for (const b of bytes) {
    buffer = (buffer << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += B32[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out += B32[(buffer << (5 - bits)) & 31];
  return out;
}

function base32Decode(s: string): Uint8Array {
  const out: number[] = [];
  let buffer = 0;
  let bits = 0;
  for (const ch of s) {
    const v = B32.indexOf(ch);
    if (v < 0) throw new InvalidCid(`invalid base32 character "${ch}" in CID`);
    buffer = (buffer << 5) | v;
    bits += 5;
    if (bits >= 8) {
      out.push((buffer >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits >= 5 || buffer !== 0) throw new InvalidCid("non-canonical base32 padding in CID");
  return Uint8Array.from(out);
}

// ---------------------------------------------------------------------------------------------------------------
// building and parsing

/** Builds a CIDv1 from its codec and multihash parts. */
export function makeCid(codec: number, hashCode: number, digest: Uint8Array): Cid {
  const bytes = Uint8Array.from([1, ...encodeVarint(codec), ...encodeVarint(hashCode), ...encodeVarint(digest.length), ...digest]);
  return `b${base32Encode(bytes)}` as Cid;
}

/** Parses the binary form of a CIDv1 (what goes on chain). CIDv0 and trailing bytes are refused. */
export function decodeCidBytes(bytes: Uint8Array): DecodedCid {
  if (bytes.length === 0) throw new InvalidCid("empty CID");
  if (bytes.length > MAX_CID_BYTES) throw new InvalidCid(`CID of ${bytes.length} bytes is longer than ${MAX_CID_BYTES}`);
  if (bytes[0] === 0x12 && bytes[1] === 0x20) throw new InvalidCid("CIDv0 is not accepted: use a CIDv1");
  const [version, a] = decodeVarint(bytes, 0);
  if (version !== 1) throw new InvalidCid(`unsupported CID version ${version}`);
  const [codec, b] = decodeVarint(bytes, a);
  const [hashCode, c] = decodeVarint(bytes, b);
  const [length, d] = decodeVarint(bytes, c);
  if (length === 0 || d + length !== bytes.length) throw new InvalidCid(`CID digest length ${length} does not match its ${bytes.length - d} remaining bytes`);
  return { version: 1, codec, hashCode, digest: bytes.slice(d), bytes: Uint8Array.from(bytes) };
}

/** Parses and validates a CID string; only the canonical base32 CIDv1 form is accepted. */
export function decodeCid(cid: string): DecodedCid {
  if (typeof cid !== "string" || !cid.startsWith("b") || cid.length < 8) throw new InvalidCid(`malformed CID "${String(cid).slice(0, 80)}": expected a base32 CIDv1 (b…)`);
  const decoded = decodeCidBytes(base32Decode(cid.slice(1)));
  return decoded;
}

/** Validates a CID string (e.g. read from JSON) and returns it typed. */
export function parseCid(cid: string): Cid {
  const d = decodeCid(cid);
  const canonical = makeCid(d.codec, d.hashCode, d.digest);
  if (canonical !== cid) throw new InvalidCid(`CID "${cid}" is not in canonical form (${canonical})`);
  return canonical;
}

export function isCid(value: unknown): value is Cid {
  if (typeof value !== "string") return false;
  try {
    parseCid(value);
    return true;
  } catch {
    return false;
  }
}

const toHex = (b: Uint8Array): Hex => `0x${Buffer.from(b).toString("hex")}`;

/** The binary CID as 0x-hex: the form stored on chain (`manifestCid`, `payloadCid`, `announce`). */
export function cidToBytes(cid: Cid | string): Hex {
  const bytes = decodeCid(cid).bytes;
  if (bytes.length > MAX_CID_BYTES) throw new InvalidCid(`CID ${cid} is ${bytes.length} bytes, more than the ${MAX_CID_BYTES} allowed on chain`);
  return toHex(bytes);
}

/** The CID whose binary form is `hex` (as read from chain). */
export function cidFromBytes(hex: Hex | Uint8Array): Cid {
  let bytes: Uint8Array;
  if (typeof hex === "string") {
    if (!/^0x([0-9a-fA-F]{2})*$/.test(hex)) throw new InvalidCid(`malformed CID bytes "${hex.slice(0, 80)}"`);
    bytes = Buffer.from(hex.slice(2), "hex");
  } else bytes = hex;
  const d = decodeCidBytes(bytes);
  return makeCid(d.codec, d.hashCode, d.digest);
}

// ---------------------------------------------------------------------------------------------------------------
// outputs: raw blocks named by keccak-256

/** The CID of an output whose keccak256 (the on-chain `contentHash`) is `hash`. */
export function cidOfKeccak(hash: Hex): Cid {
  if (!/^0x[0-9a-fA-F]{64}$/.test(hash)) throw new InvalidCid(`malformed keccak256 hash "${hash}"`);
  return makeCid(CODEC_RAW, HASH_KECCAK_256, Buffer.from(hash.slice(2), "hex"));
}

/** True for a raw CIDv1 with a 32-byte keccak-256 multihash (an output). */
export function isKeccakCid(cid: Cid | string): boolean {
  const d = decodeCid(cid);
  return d.codec === CODEC_RAW && d.hashCode === HASH_KECCAK_256 && d.digest.length === 32;
}

/** The keccak256 hash (on-chain `contentHash`) named by an output CID. */
export function keccakOfCid(cid: Cid | string): Hex {
  const d = decodeCid(cid);
  if (d.codec !== CODEC_RAW || d.hashCode !== HASH_KECCAK_256 || d.digest.length !== 32) {
    throw new InvalidCid(`CID ${cid} is not a raw keccak-256 CID (codec 0x${d.codec.toString(16)}, hash 0x${d.hashCode.toString(16)})`);
  }
  return toHex(d.digest);
}

/**
 * keccak-256 of `bytes` (the on-chain keccak256). js-sha3 rather than viem's: outputs are hashed on every write and
 * every read, and it is about three times faster on 1 KB.
 */
export function keccakDigest(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return new Uint8Array(keccak_256.arrayBuffer(bytes));
}

/** The CID of an output's bytes (raw, keccak-256), and its keccak256 hash. */
export function outputCidOf(bytes: Uint8Array): { cid: Cid; hash: Hex } {
  const digest = keccakDigest(bytes);
  return { cid: makeCid(CODEC_RAW, HASH_KECCAK_256, digest), hash: toHex(digest) };
}

// ---------------------------------------------------------------------------------------------------------------
// block hashing (every read is checked with this)

/** The multihash digest of `bytes` under `hashCode`; undefined for a hash function we do not accept. */
export function digestOf(hashCode: number, bytes: Uint8Array): Uint8Array | undefined {
  if (hashCode === HASH_KECCAK_256) return keccakDigest(bytes);
  if (hashCode === HASH_SHA2_256) return createHash("sha256").update(bytes).digest();
  return undefined;
}

/** True if `bytes` hash to the digest named by `cid`. Throws InvalidCid for a hash function we do not accept. */
export function blockMatches(cid: Cid | string, bytes: Uint8Array): boolean {
  const d = decodeCid(cid);
  const digest = digestOf(d.hashCode, bytes);
  if (!digest) throw new InvalidCid(`CID ${cid} uses multihash 0x${d.hashCode.toString(16)}: only sha2-256 (0x12) and keccak-256 (0x1b) are accepted`);
  return Buffer.from(digest).equals(Buffer.from(d.digest));
}
