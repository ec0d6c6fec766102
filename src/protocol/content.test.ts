/**
 * The folder backend, the factory, and the same CIDs from every backend (folder, an embedded node, Kubo's RPC API).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { keccak256, toBytes } from "viem";
import { cidOfKeccak, isKeccakCid, keccakOfCid, parseCid } from "./cid";
import { ContentMalformed, ContentMismatch, ContentUnavailable, type Content } from "./content";
import { chunk } from "./dag";
import { FolderContent } from "./folderStore";
import { HeliaContent } from "./helia";
import { KuboContent } from "./kubo";
import { FakeKubo } from "./kuboFake";
import { openContent, parseContentConfig } from "./openContent";
import { ContentStore } from "./store";
import { noise } from "./testing";
import { InputError } from "../errors";

const root = fs.mkdtempSync(path.join(os.tmpdir(), "poq-content-"));
let seq = 0;
const freshDir = () => path.join(root, `d${seq++}`);
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe("FolderContent", () => {
  test("behavior: an output's CID names the folder object by its keccak256, so objects the folder store already holds are readable", async () => {
    const store = new ContentStore(freshDir());
    const legacy = store.putJson({ output: "written by today's agents" });
    const content = new FolderContent(store);
    expect(await content.getJson(cidOfKeccak(legacy))).toEqual({ output: "written by today's agents" });
    const { cid, hash } = await content.putOutput("a new output");
    expect(hash).toBe(keccak256(toBytes("a new output")));
    expect(keccakOfCid(cid)).toBe(hash);
    expect(fs.existsSync(path.join(store.dir, "objects", hash))).toBe(true);
    expect(store.getText(hash)).toBe("a new output");
    expect(await content.has(cid)).toBe(true);
  });

  test("behavior: chunked content gets the UnixFS CID, is checked against it on read, and tampering is ContentMismatch", async () => {
    const content = new FolderContent(freshDir());
    const payload = noise(700_000, 5);
    const cid = await content.put(payload);
    expect(cid).toBe((await chunk(payload)).cid);
    expect(isKeccakCid(cid)).toBe(false);
    expect(Buffer.from(await content.get(cid)).equals(Buffer.from(payload))).toBe(true);
    const hash = keccak256(payload);
    // the object edited in place: the folder store's keccak check refuses it
    fs.writeFileSync(path.join(content.store.dir, "objects", hash), "edited");
    await expect(content.get(cid)).rejects.toBeInstanceOf(ContentMismatch);
    // the index pointed at another (intact) object: the recomputed CID refuses it
    const other = await content.put("other bytes");
    const otherHash = content.store.getIndex("cid", other)!;
    content.store.setIndex("cid", cid, otherHash);
    const err = await content.get(cid).catch((e) => e);
    expect(err).toBeInstanceOf(ContentMismatch);
    expect((err as Error).message).toMatch(/does not chunk to this CID/);
  });

  test("behavior: missing content is ContentUnavailable at once; pins are recorded; bad JSON is ContentMalformed", async () => {
    const content = new FolderContent(freshDir());
    const missing = cidOfKeccak(keccak256(toBytes("never stored")));
    const err = await content.get(missing).catch((e) => e);
    expect(err).toBeInstanceOf(ContentUnavailable);
    expect((err as ContentUnavailable).reason).toBe("not-found");
    await expect(content.pin(missing)).rejects.toBeInstanceOf(ContentUnavailable);
    const { cid } = await content.putOutput("{ not json", { pin: true });
    expect(await content.pinned(cid)).toBe(true);
    await content.unpin(cid);
    expect(await content.pinned(cid)).toBe(false);
    await expect(content.getJson(cid)).rejects.toBeInstanceOf(ContentMalformed);
    await expect(content.get("bafy-not-a-cid" as never)).rejects.toThrow(/CID/);
  });
});

describe("the same CIDs on every backend", () => {
  test("behavior: folder, an embedded node and Kubo give identical CIDs for outputs, payloads and JSON, and read each other's CIDs", async () => {
    const kubo = await new FakeKubo().start();
    const backends: Content[] = [
      new FolderContent(freshDir()),
      await HeliaContent.open({ dir: freshDir() }),
      await KuboContent.open({ url: kubo.url }),
    ];
    try {
      const output = JSON.stringify({ output: "same everywhere" });
      const payload = noise(1_000_000, 9);
      const json = { b: [1, 2, 3], a: { y: 1n, x: "z" } };
      const results = [];
      for (const b of backends) {
        results.push({ output: (await b.putOutput(output)).cid, payload: await b.put(payload), json: await b.putJson(json), empty: await b.put(new Uint8Array()) });
      }
      for (const r of results.slice(1)) expect(r).toEqual(results[0]);
      for (const [i, b] of backends.entries()) {
        expect(await b.getText(results[0].output), b.kind).toBe(output);
        expect(Buffer.from(await b.get(results[0].payload)).equals(Buffer.from(payload)), b.kind).toBe(true);
        expect(await b.getJson(results[0].json), b.kind).toEqual({ a: { x: "z", y: "1" }, b: [1, 2, 3] });
        expect((await b.get(results[i].empty)).length, b.kind).toBe(0);
      }
    } finally {
      await Promise.all(backends.map((b) => b.close()));
      await kubo.stop();
    }
  });
});

describe("openContent", () => {
  test("behavior: each kind opens its backend with defaults filled in", async () => {
    const folder = await openContent({ kind: "folder", dir: freshDir() });
    expect(folder).toBeInstanceOf(FolderContent);
    const dialed: string[] = [];
    const helia = await openContent({ kind: "helia", dir: freshDir() }, { onDial: (a) => dialed.push(a) });
    expect(helia).toBeInstanceOf(HeliaContent);
    const info = await helia.info();
    expect(info.addresses[0]).toMatch(/^\/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\/12D3KooW/);
    const peer = await openContent({ kind: "helia", dir: freshDir(), peers: [info.addresses[0]], redialMs: 100 }, { onDial: (a) => dialed.push(a) });
    await (peer as HeliaContent).waitForPeers(10_000);
    const bare = (a: string) => a.replace(/\/p2p\/.*$/, "");
    expect(dialed.length).toBeGreaterThan(0);
    for (const a of dialed) expect(bare(a)).toBe(bare(info.addresses[0])); // dialed the configured address, and only it
    for (const a of dialed) expect(a).toMatch(/^\/ip4\/127\.0\.0\.1\//);
    const kubo = await new FakeKubo().start();
    const k = await openContent({ kind: "kubo", kuboUrl: kubo.url });
    expect(k).toBeInstanceOf(KuboContent);
    await Promise.all([folder.close(), helia.close(), peer.close(), k.close()]);
    await kubo.stop();
    expect(parseContentConfig({ kind: "helia", dir: "x" })).toEqual({ kind: "helia", dir: "x", listen: ["/ip4/127.0.0.1/tcp/0"], announce: [], peers: [], peerUrls: [], dial: "loopback", redialMs: 2000 });
  });

  test("behavior: a bad config is refused with an InputError naming the field", async () => {
    const bad: [unknown, RegExp][] = [
      [{ kind: "ipfs", dir: "x" }, /content\.kind/],
      [{ kind: "helia" }, /content\.dir/],
      [{ kind: "helia", dir: "x", listen: [] }, /content\.listen/],
      [{ kind: "helia", dir: "x", peers: ["127.0.0.1:4001"] }, /content\.peers\.0/],
      [{ kind: "helia", dir: "x", bootstrap: true }, /bootstrap/],
      [{ kind: "kubo", kuboUrl: "ftp://host" }, /content\.kuboUrl/],
      [{ kind: "kubo" }, /content\.kuboUrl/],
      [{ kind: "folder", dir: "" }, /content\.dir/],
    ];
    for (const [config, message] of bad) {
      const err = await openContent(config).catch((e) => e);
      expect(err, JSON.stringify(config)).toBeInstanceOf(InputError);
      expect((err as Error).message, JSON.stringify(config)).toMatch(message);
    }
    // a public peer needs dial: "any", said before anything is dialed
    await expect(openContent({ kind: "helia", dir: freshDir(), peers: ["/ip4/203.0.113.7/tcp/4001/p2p/12D3KooWFSjiz1EcnG4jeMrRoYCGib58MiJJgUYbrWY3QkTmqKyS"] })).rejects.toThrow(/dial: "any"/);
    expect(parseCid(cidOfKeccak(keccak256(toBytes("ok"))))).toMatch(/^bafkrwi/);
  });
});
