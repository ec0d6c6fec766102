import { describe, expect, test } from "vitest";
import * as dagPb from "@ipld/dag-pb";
import { UnixFS } from "ipfs-unixfs";
import { CID } from "multiformats/cid";
import { sha256 } from "multiformats/hashes/sha2";
import { cidFromBytes, CODEC_DAG_PB, CODEC_RAW, decodeCid, makeCid, type Cid } from "./cid";
import { ContentMalformed, ContentMismatch } from "./content";
import { CHUNK_SIZE, chunk, readDag } from "./dag";
import { noise } from "./testing";

const sourceOf = (blocks: { cid: Cid; bytes: Uint8Array }[]) => {
  const m = new Map(blocks.map((b) => [b.cid, b.bytes]));
  return async (c: Cid) => {
    const b = m.get(c);
    if (!b) throw new Error(`no block ${c}`);
    return b;
  };
};

async function pbBlock(node: dagPb.PBNode): Promise<{ cid: Cid; bytes: Uint8Array }> {
  const bytes = dagPb.encode(node);
  return { cid: cidFromBytes(CID.createV1(dagPb.code, await sha256.digest(bytes)).bytes), bytes };
}

describe("chunking and reading DAGs", () => {
  test("behavior: small content is one raw sha2-256 block, with the CIDs Kubo gives for `ipfs add --cid-version=1`", async () => {
    expect((await chunk(new TextEncoder().encode("hello world\n"))).cid).toBe("bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4");
    expect((await chunk(new Uint8Array())).cid).toBe("bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku");
    const one = await chunk(noise(CHUNK_SIZE, 1));
    expect(one.blocks).toHaveLength(1);
    expect(decodeCid(one.cid).codec).toBe(CODEC_RAW);
  });

  test("behavior: larger content is a dag-pb root over 256 KiB raw leaves, deterministic, and reads back whole", async () => {
    const bytes = noise(3 * CHUNK_SIZE + 123, 2);
    const a = await chunk(bytes);
    const b = await chunk(new Uint8Array(bytes));
    expect(a.cid).toBe(b.cid);
    expect(decodeCid(a.cid).codec).toBe(CODEC_DAG_PB);
    expect(a.blocks).toHaveLength(5);
    expect(a.blocks.filter((x) => decodeCid(x.cid).codec === CODEC_RAW).map((x) => x.bytes.length)).toEqual([CHUNK_SIZE, CHUNK_SIZE, CHUNK_SIZE, 123]);
    const flipped = new Uint8Array(bytes);
    flipped[CHUNK_SIZE + 5] ^= 1;
    expect((await chunk(flipped)).cid).not.toBe(a.cid);
    expect(Buffer.from(await readDag(a.cid, sourceOf(a.blocks))).equals(Buffer.from(bytes))).toBe(true);
  });

  test("behavior: a block that does not hash to its CID is ContentMismatch naming the block, after onMismatch", async () => {
    const a = await chunk(noise(2 * CHUNK_SIZE + 1, 3));
    const leaf = a.blocks[1];
    const bad = a.blocks.map((x) => (x.cid === leaf.cid ? { cid: x.cid, bytes: noise(x.bytes.length, 99) } : x));
    const dropped: Cid[] = [];
    const err = await readDag(a.cid, sourceOf(bad), { onMismatch: async (c) => void dropped.push(c) }).catch((e) => e);
    expect(err).toBeInstanceOf(ContentMismatch);
    expect((err as Error).message).toContain(leaf.cid);
    expect(dropped).toEqual([leaf.cid]);
  });

  test("behavior: a directory, an unknown codec, an undecodable node or an oversized file is ContentMalformed", async () => {
    const dir = await pbBlock({ Data: new UnixFS({ type: "directory" }).marshal(), Links: [] });
    await expect(readDag(dir.cid, sourceOf([dir]))).rejects.toThrow(/UnixFS directory, not a file/);
    const garbage = { cid: makeCid(CODEC_DAG_PB, 0x12, new Uint8Array(await sha256.encode(Uint8Array.of(0xff, 0xff)))), bytes: Uint8Array.of(0xff, 0xff) };
    await expect(readDag(garbage.cid, sourceOf([garbage]))).rejects.toBeInstanceOf(ContentMalformed);
    const cbor = makeCid(0x71, 0x12, new Uint8Array(32));
    await expect(readDag(cbor, sourceOf([]))).rejects.toThrow(/only raw and dag-pb/);
    const big = await chunk(noise(CHUNK_SIZE + 10, 4));
    await expect(readDag(big.cid, sourceOf(big.blocks), { maxBytes: CHUNK_SIZE })).rejects.toThrow(/larger than/);
  });
});
