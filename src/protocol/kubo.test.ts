/**
 * KuboContent through kubo-rpc-client against a local server that answers Kubo's RPC calls with its documented
 * response shapes (no Kubo binary can be installed here).
 */
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { keccak256, toBytes } from "viem";
import { cidOfKeccak, CODEC_DAG_PB, decodeCid, keccakOfCid } from "./cid";
import { ContentMalformed, ContentMismatch, ContentUnavailable } from "./content";
import { chunk } from "./dag";
import { KuboContent } from "./kubo";
import { FakeKubo } from "./kuboFake";
import { noise } from "./testing";
import { InputError } from "../errors";

let kubo: FakeKubo;
let content: KuboContent;

beforeEach(async () => {
  kubo = await new FakeKubo().start();
  content = await KuboContent.open({ url: kubo.url, timeoutMs: 5_000 });
});

afterEach(async () => {
  await content.close();
  await kubo.stop();
});

describe("KuboContent over the RPC API", () => {
  test("behavior: an output goes in with block/put as a raw keccak-256 block, and comes back checked", async () => {
    const text = JSON.stringify({ output: "42", node: "0xabc" });
    const { cid, hash } = await content.putOutput(text);
    expect(hash).toBe(keccak256(toBytes(text)));
    expect(cid).toBe(cidOfKeccak(hash));
    const put = kubo.calledWith("block/put");
    expect(put).toHaveLength(1);
    expect(put[0].params["mhtype"]).toEqual(["keccak-256"]);
    expect(put[0].params["cid-codec"]).toEqual(["raw"]);
    expect(kubo.blocks.get(cid)).toEqual(toBytes(text));
    expect(await content.getText(cid)).toBe(text);
    expect(kubo.calledWith("block/get").at(-1)!.params["arg"]).toEqual([cid]);
    expect(keccakOfCid(cid)).toBe(hash);
    expect(await content.has(cid)).toBe(true);
    expect(kubo.calledWith("block/get").at(-1)!.params["offline"]).toEqual(["true"]);
  });

  test("behavior: chunked content is added with the fixed chunking and gets the CID computed locally; reads walk every block", async () => {
    const payload = noise(700_000, 1);
    const cid = await content.put(payload);
    expect(cid).toBe((await chunk(payload)).cid);
    expect(decodeCid(cid).codec).toBe(CODEC_DAG_PB);
    const add = kubo.calledWith("add")[0].params;
    expect(add["cid-version"]).toEqual(["1"]);
    expect(add["raw-leaves"]).toEqual(["true"]);
    expect(add["chunker"]).toEqual(["size-262144"]);
    expect(add["hash"]).toEqual(["sha2-256"]);
    expect(content.addFallbacks).toBe(0);
    const before = kubo.calledWith("block/get").length;
    const got = await content.get(cid);
    expect(Buffer.from(got).equals(Buffer.from(payload))).toBe(true);
    expect(kubo.calledWith("block/get").length - before).toBe(4); // the root and three 256 KiB leaves
    const small = await content.putJson({ b: 2, a: 1 });
    expect(await content.getJson(small)).toEqual({ a: 1, b: 2 });
  });

  test("behavior: a Kubo that chunks add differently still ends up with our CID, block by block", async () => {
    kubo.addChunkSize = 100_000;
    const payload = noise(600_000, 2);
    const cid = await content.put(payload, { pin: true });
    expect(cid).toBe((await chunk(payload)).cid);
    expect(content.addFallbacks).toBe(1);
    expect(kubo.calledWith("block/put").map((c) => c.params["cid-codec"]?.[0]).sort()).toEqual(["dag-pb", "raw", "raw", "raw"]);
    expect(Buffer.from(await content.get(cid)).equals(Buffer.from(payload))).toBe(true);
    expect(await content.pinned(cid)).toBe(true);
  });

  test("behavior: bytes that do not match the CID are refused with ContentMismatch, for an output and for a chunk", async () => {
    const { cid } = await content.putOutput("honest");
    kubo.tampered.set(cid, toBytes("forged"));
    await expect(content.get(cid)).rejects.toBeInstanceOf(ContentMismatch);
    expect(await content.has(cid)).toBe(false);

    const payload = noise(600_000, 3);
    const root = await content.put(payload);
    const leaf = (await chunk(payload)).blocks[1].cid;
    const forged = new Uint8Array(kubo.blocks.get(leaf)!);
    forged[5] ^= 1;
    kubo.tampered.set(leaf, forged);
    const err = await content.get(root).catch((e) => e);
    expect(err).toBeInstanceOf(ContentMismatch);
    expect((err as Error).message).toContain(leaf);
  });

  test("behavior: content Kubo cannot find is ContentUnavailable by the deadline; has() asks offline", async () => {
    const missing = cidOfKeccak(keccak256(toBytes("nobody has this")));
    const t0 = Date.now();
    const err = await content.get(missing, { timeoutMs: 400 }).catch((e) => e);
    expect(err).toBeInstanceOf(ContentUnavailable);
    expect(Date.now() - t0).toBeLessThan(3_000);
    expect(kubo.calledWith("block/get").at(-1)!.params["timeout"]?.[0]).toMatch(/^\d+ms$/);
    expect(await content.has(missing)).toBe(false);
    // content that shows up on the Kubo node before the deadline is returned
    const late = "arrives late";
    setTimeout(() => kubo.putBlock("raw", "keccak-256", toBytes(late)), 150);
    expect(await content.getText(cidOfKeccak(keccak256(toBytes(late))), { timeoutMs: 3_000 })).toBe(late);
  });

  test("behavior: pin, pinned and unpin map to pin/add, pin/ls and pin/rm", async () => {
    const { cid } = await content.putOutput("keep me");
    expect(await content.pinned(cid)).toBe(false);
    await content.pin(cid);
    expect(kubo.pins.has(cid)).toBe(true);
    expect(kubo.calledWith("pin/add")[0].params["arg"]).toEqual([cid]);
    expect(await content.pinned(cid)).toBe(true);
    expect(kubo.calledWith("pin/ls").at(-1)!.params["type"]).toEqual(["recursive"]);
    await content.unpin(cid);
    expect(kubo.pins.has(cid)).toBe(false);
    expect(await content.pinned(cid)).toBe(false);
    await content.unpin(cid); // not pinned: nothing to do, no error
    const pinnedAtPut = await content.putOutput("pinned at put", { pin: true });
    expect(kubo.pins.has(pinnedAtPut.cid)).toBe(true);
  });

  test("behavior: gc is Kubo's repo/gc: blocks of an unpinned DAG go, every block of a pinned DAG stays", async () => {
    const kept = await content.put(noise(700_000, 2), { pin: true });
    const dropped = await content.put(noise(300_000, 3), { pin: true });
    const loose = await content.putOutput("never pinned");
    await content.unpin(dropped);
    const keptBlocks = (await chunk(noise(700_000, 2))).blocks.map((b) => b.cid);
    const droppedBlocks = (await chunk(noise(300_000, 3))).blocks.map((b) => b.cid);
    await content.gc();
    expect(kubo.calledWith("repo/gc")).toHaveLength(1);
    for (const b of keptBlocks) expect(kubo.blocks.has(b), b).toBe(true);
    for (const b of [...droppedBlocks, loose.cid]) expect(kubo.blocks.has(b), b).toBe(false);
    expect(await content.has(kept)).toBe(true);
    expect(await content.has(dropped)).toBe(false);
  });

  test("behavior: info reports Kubo's identity and peers; a malformed JSON output is ContentMalformed", async () => {
    const info = await content.info();
    expect(info.kind).toBe("kubo");
    expect(info.peerId).toMatch(/^12D3KooW/);
    expect(info.addresses[0]).toContain(`/p2p/${info.peerId}`);
    expect(info.connectedPeers).toHaveLength(1);
    const { cid } = await content.putOutput("{not json");
    await expect(content.getJson(cid)).rejects.toBeInstanceOf(ContentMalformed);
  });

  test("behavior: an unreachable or malformed Kubo URL is refused at open with a clear error", async () => {
    await expect(KuboContent.open({ url: "not a url" })).rejects.toThrow(/is not a URL/);
    const stopped = await new FakeKubo().start();
    const url = stopped.url;
    await stopped.stop();
    const err = await KuboContent.open({ url }).catch((e) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toMatch(/does not answer/);
  });
});
