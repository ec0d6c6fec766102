import { describe, expect, test } from "vitest";
import { keccak256, toBytes } from "viem";
import { CID } from "multiformats/cid";
import * as raw from "multiformats/codecs/raw";
import { sha256 } from "multiformats/hashes/sha2";
import { create as createDigest } from "multiformats/hashes/digest";
import {
  blockMatches,
  cidFromBytes,
  cidOfKeccak,
  cidToBytes,
  decodeCid,
  InvalidCid,
  isKeccakCid,
  keccakOfCid,
  makeCid,
  MAX_CID_BYTES,
  outputCidOf,
  parseCid,
  CODEC_DAG_PB,
  HASH_SHA2_256,
} from "./cid";

describe("CIDs", () => {
  test("behavior: an output's CID is a raw CIDv1 whose keccak-256 digest is the on-chain contentHash, as multiformats builds it", () => {
    for (const text of ["hello", "", '{"answer":"Paris","node":"0xabc"}', "x".repeat(5000)]) {
      const bytes = toBytes(text);
      const hash = keccak256(bytes);
      const cid = cidOfKeccak(hash);
      const reference = CID.createV1(raw.code, createDigest(0x1b, Buffer.from(hash.slice(2), "hex")));
      expect(cid).toBe(reference.toString());
      expect(keccakOfCid(cid)).toBe(hash);
      expect(isKeccakCid(cid)).toBe(true);
      expect(outputCidOf(bytes)).toEqual({ cid, hash });
      expect(blockMatches(cid, bytes)).toBe(true);
      expect(blockMatches(cid, toBytes(`${text}!`))).toBe(false);
    }
  });

  test("behavior: sha2-256 CIDs of any codec round-trip with multiformats, through strings and on-chain bytes", async () => {
    for (let n = 0; n < 50; n++) {
      const bytes = toBytes(`block ${n} `.repeat(n));
      const mh = await sha256.digest(bytes);
      for (const codec of [raw.code, CODEC_DAG_PB]) {
        const reference = CID.createV1(codec, mh);
        const cid = makeCid(codec, HASH_SHA2_256, mh.digest);
        expect(cid).toBe(reference.toString());
        expect(parseCid(reference.toString())).toBe(cid);
        const hex = cidToBytes(cid);
        expect(hex).toBe(`0x${Buffer.from(reference.bytes).toString("hex")}`);
        expect((hex.length - 2) / 2).toBeLessThanOrEqual(MAX_CID_BYTES);
        expect(cidFromBytes(hex)).toBe(cid);
        expect(cidFromBytes(reference.bytes)).toBe(cid);
        expect(isKeccakCid(cid)).toBe(false);
      }
    }
  });

  test("behavior: an output CID is 36 bytes on chain, well under the 128-byte bound", () => {
    const cid = cidOfKeccak(keccak256(toBytes("x")));
    expect(cidToBytes(cid)).toMatch(/^0x01551b20[0-9a-f]{64}$/);
  });

  test("behavior: malformed CIDs, CIDv0, oversized and non-canonical forms are refused with InvalidCid", () => {
    const good = cidOfKeccak(keccak256(toBytes("x")));
    const bad = [
      "",
      "Qmbadbadbad",
      "QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG",
      `z${good.slice(1)}`,
      `${good}a`,
      good.slice(0, -3),
      good.toUpperCase(),
      `b${"7".repeat(20)}`,
    ];
    for (const s of bad) expect(() => parseCid(s), s).toThrow(InvalidCid);
    expect(() => cidFromBytes("0x1220" + "ab".repeat(32) as `0x${string}`)).toThrow(/CIDv0/);
    expect(() => cidFromBytes(`0x0155${"00".repeat(200)}` as `0x${string}`)).toThrow(/longer than 128/);
    expect(() => cidFromBytes("0x01551b2001" as `0x${string}`)).toThrow(InvalidCid);
    expect(() => cidFromBytes("0xzz" as `0x${string}`)).toThrow(InvalidCid);
    expect(() => cidOfKeccak("0x1234")).toThrow(InvalidCid);
    const shaCid = makeCid(CODEC_DAG_PB, HASH_SHA2_256, new Uint8Array(32));
    expect(() => keccakOfCid(shaCid)).toThrow(/not a raw keccak-256 CID/);
    expect(() => blockMatches(makeCid(0x55, 0x13, new Uint8Array(64)), new Uint8Array())).toThrow(/only sha2-256/);
    expect(decodeCid(good).digest.length).toBe(32);
  });
});
