/**
 * A batch's outputs in one file: encoded and decoded, never trusted beyond the hashes the manifest lists, and fetched
 * by a reader between two real embedded IPFS nodes on loopback.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { keccak256, toBytes, type Hex } from "viem";
import { bundleOrder, decodeBundle, encodeBundle } from "./bundle";
import { loadHeliaModules } from "./esm";
import { HeliaContent } from "./helia";
import type { BatchManifest } from "./manifest";
import { checkedBundle, fetchOutputs, readBundle } from "./roundContent";
import { ContentStore } from "./store";

const root = fs.mkdtempSync(path.join(os.tmpdir(), "poq-bundle-"));
let seq = 0;
const fresh = () => path.join(root, `d${seq++}`);
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const outputs = Array.from({ length: 40 }, (_, i) => toBytes(JSON.stringify({ answer: `output ${i} `.repeat(20) })));
const hashes = outputs.map((o) => keccak256(o));
const manifestOf = (bundle?: string): BatchManifest => ({
  version: 2,
  tasks: [...hashes, hashes[0]].map((contentHash, index) => ({ index, node: `0x${"11".repeat(20)}`, model: "m", modelId: `0x${"22".repeat(32)}`, contentHash, costUnits: "1" })),
  ...(bundle ? { bundle } : {}),
});

describe("bundle: a batch's outputs in one file", () => {
  test("behavior: outputs round-trip in manifest order, each distinct output once, read by position; the read stops at the first entry that is not the listed one", () => {
    const m = manifestOf();
    expect(bundleOrder(m)).toEqual(hashes); // the repeated output once
    const got = decodeBundle(encodeBundle([...outputs, toBytes("past the last task")]), hashes);
    expect([...got.keys()]).toEqual(hashes);
    expect(Buffer.from(got.get(hashes[3])!)).toEqual(Buffer.from(outputs[3]));
    // an unlisted entry, an entry out of order, an empty one: nothing past it
    expect([...decodeBundle(encodeBundle([outputs[0], toBytes("not listed"), outputs[2]]), hashes).keys()]).toEqual([hashes[0]]);
    expect([...decodeBundle(encodeBundle([outputs[1], outputs[0]]), hashes).keys()]).toEqual([]);
    expect([...decodeBundle(encodeBundle([outputs[0], new Uint8Array(0), outputs[2]]), hashes).keys()]).toEqual([hashes[0]]);
    // a truncated tail gives the entries before it
    const bytes = encodeBundle(outputs);
    const cut = decodeBundle(bytes.subarray(0, bytes.length - outputs[39].length - 30), hashes);
    expect(cut.size).toBeGreaterThan(30);
    expect([...cut.keys()]).toEqual(hashes.slice(0, cut.size));
    expect(decodeBundle(toBytes("something else entirely"), hashes).size).toBe(0);
    // a length past the end stops the read
    const bad = Buffer.from(encodeBundle([outputs[0]]));
    bad.writeUInt32BE(0xffffffff, 13);
    expect(decodeBundle(bad, hashes).size).toBe(0);
    // a bundle stops before the size a reader refuses to read: the outputs left out are fetched one by one
    const capped = encodeBundle(outputs, 13 + 3 * (4 + outputs[0].length) + 10);
    expect([...decodeBundle(capped, hashes).keys()]).toEqual(hashes.slice(0, 3));
  });

  test("behavior: a junk bundle of 200,000 tiny entries costs at most one hash per task", () => {
    const junk = encodeBundle(Array.from({ length: 200_000 }, (_, i) => Uint8Array.of(i & 255)));
    const t0 = performance.now();
    expect(decodeBundle(junk, hashes).size).toBe(0);
    expect(performance.now() - t0).toBeLessThan(1_000); // the first entry is not the listed one: one hash, then stop
  });

  describe("fetched between two embedded nodes", () => {
    let holder: HeliaContent;
    let reader: HeliaContent;
    beforeAll(async () => {
      await loadHeliaModules();
      holder = await HeliaContent.open({ dir: fresh() });
      reader = await HeliaContent.open({ dir: fresh(), peers: holder.addresses() });
      await reader.waitForPeers(10_000);
    }, 60_000);
    afterAll(async () => {
      await reader?.close();
      await holder?.close();
    });

    test("behavior: a reader gets every output from the bundle alone (the holder serves no output block), and records the bundle as checked", async () => {
      const cid = await holder.put(encodeBundle(outputs), { pin: true });
      const store = new ContentStore(fresh());
      expect(checkedBundle(store, manifestOf(cid))).toBeUndefined();
      const missing = await fetchOutputs({ store, content: reader }, manifestOf(cid), { timeoutMs: 10_000 });
      expect(missing).toEqual([]);
      expect(checkedBundle(store, manifestOf(cid))).toBe(cid);
      for (const [i, h] of hashes.entries()) expect(Buffer.from(store.get(h as Hex))).toEqual(Buffer.from(outputs[i]));
    });

    test("behavior: a bundle holding wrong bytes, or nobody's, sends the reader to the outputs one by one", async () => {
      for (const o of outputs) await holder.putOutput(o, { pin: true });
      const wrong = await holder.put(encodeBundle(outputs.map((o) => toBytes(`${Buffer.from(o).toString()} tampered`))), { pin: true });
      const store = new ContentStore(fresh());
      expect(await fetchOutputs({ store, content: reader }, manifestOf(wrong), { timeoutMs: 10_000 })).toEqual([]);
      expect(Buffer.from(store.get(hashes[5]))).toEqual(Buffer.from(outputs[5]));
      const other = await HeliaContent.open({ dir: fresh() }); // not connected to the reader
      const nobodys = await other.put(encodeBundle(outputs.slice(0, 2)));
      await other.close();
      const store2 = new ContentStore(fresh());
      const t0 = Date.now();
      expect(await fetchOutputs({ store: store2, content: reader }, manifestOf(nobodys), { timeoutMs: 8_000 })).toEqual([]);
      expect(Date.now() - t0).toBeLessThan(4_000); // the bundle nobody serves got a quarter of the budget, not half
    }, 30_000);

    test("behavior: a manifest whose bundle names other content (a gold opening, say) is never taken for a bundle: never pinned, so never unpinned", async () => {
      const opening = await holder.putJson({ version: 1, taskRoot: `0x${"33".repeat(32)}`, items: [] }, { pin: true });
      const store = new ContentStore(fresh());
      const m = manifestOf(opening);
      expect((await readBundle({ store, content: reader }, m, { timeoutMs: 5_000 })).size).toBe(0);
      expect(checkedBundle(store, m)).toBeUndefined();
      // recorded as junk: the next fetch of the batch goes straight to the outputs, without asking for it again
      let asked = 0;
      const counting = Object.create(reader, { get: { value: (cid: string, o: object) => (cid === opening && asked++, reader.get(cid as never, o)) } }) as HeliaContent;
      for (const o of outputs.slice(0, 3)) await holder.putOutput(o, { pin: true });
      const few: BatchManifest = { ...m, tasks: m.tasks.slice(0, 3) };
      expect(await fetchOutputs({ store, content: counting }, few, { timeoutMs: 5_000 })).toEqual([]);
      expect(asked).toBe(0);
    });
  });
});
