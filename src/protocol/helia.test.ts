/**
 * Real embedded IPFS nodes on loopback, each with its own blockstore folder. Everything they dial is recorded and
 * must be on 127.0.0.0/8.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { keccak256, toBytes } from "viem";
import { cidOfKeccak, cidToBytes, CODEC_DAG_PB, decodeCid, keccakOfCid, MAX_CID_BYTES, parseCid } from "./cid";
import { ContentError } from "./store";
import { ContentMismatch, ContentUnavailable } from "./content";
import { chunk, CHUNK_SIZE } from "./dag";
import { blockFile, HeliaContent, isLoopbackAddr } from "./helia";
import { freePort, openLoopbackNodes } from "./loopback";
import { xorshiftBytes } from "./testing";
import { loadHeliaModules } from "./esm";

const root = fs.mkdtempSync(path.join(os.tmpdir(), "poq-helia-"));
let seq = 0;
const freshDir = () => path.join(root, `t${seq++}`);
const dialed: string[] = [];
const onDial = (a: string) => void dialed.push(a);
const open: HeliaContent[] = [];

async function nodes(count: number, o: { timeoutMs?: number; redialMs?: number } = {}): Promise<HeliaContent[]> {
  const ns = await openLoopbackNodes(count, freshDir(), { onDial, ...o });
  open.push(...ns);
  return ns;
}

/** Block files under a node's blockstore whose bytes are `bytes`. */
function blockFilesWith(dir: string, bytes: Uint8Array): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (fs.readFileSync(p).equals(Buffer.from(bytes))) out.push(p);
    }
  };
  walk(path.join(dir, "blocks"));
  return out;
}

function allBlockFiles(dir: string): string[] {
  return fs.readdirSync(path.join(dir, "blocks"), { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

beforeAll(async () => {
  await loadHeliaModules(); // the first import of Helia and libp2p takes a few seconds
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((n) => n.close().catch(() => undefined)));
});

afterAll(() => {
  fs.rmSync(root, { recursive: true, force: true });
  // every address any node was about to dial, in every test of this file
  expect(dialed.length).toBeGreaterThan(0);
  for (const a of dialed) expect(isLoopbackAddr(a), a).toBe(true);
});

describe("HeliaContent on loopback", () => {
  test("behavior: an output published on one node is fetched by two others, verified against its keccak CID", async () => {
    const [a, b, c] = await nodes(3);
    const text = JSON.stringify({ task: 7, output: "The capital of France is Paris." });
    const { cid, hash } = await a.putOutput(text);
    expect(hash).toBe(keccak256(toBytes(text)));
    expect(cid).toBe(cidOfKeccak(hash));
    expect(keccakOfCid(cid)).toBe(hash);
    expect(await b.has(cid)).toBe(false);
    expect(await b.getText(cid, { timeoutMs: 10_000 })).toBe(text);
    expect(await c.getJson<{ task: number }>(cid, { timeoutMs: 10_000 })).toEqual({ task: 7, output: "The capital of France is Paris." });
    expect(await b.has(cid)).toBe(true);
    for (const n of [a, b, c]) {
      const conns = n.connections();
      expect(conns.length).toBe(2);
      for (const conn of conns) expect(isLoopbackAddr(conn.addr), conn.addr).toBe(true);
      for (const addr of n.addresses()) expect(addr).toMatch(new RegExp(`^/ip4/127\\.0\\.0\\.1/tcp/\\d+/p2p/${n.peerId}$`));
    }
  });

  test("behavior: a chunked 1 MB payload gets the same CID on every node and round-trips between them", async () => {
    const [a, b, c] = await nodes(3);
    const payload = xorshiftBytes(1_000_000, 42);
    const cids = await Promise.all([a.put(payload), b.put(payload), c.put(payload)]);
    expect(new Set(cids).size).toBe(1);
    const cid = cids[0];
    expect(cid).toBe((await chunk(payload)).cid);
    expect(decodeCid(cid).codec).toBe(CODEC_DAG_PB);
    expect((cidToBytes(cid).length - 2) / 2).toBeLessThanOrEqual(MAX_CID_BYTES);

    const other = xorshiftBytes(1_000_000, 7);
    const otherCid = await a.put(other);
    expect(otherCid).not.toBe(cid);
    const got = await c.get(otherCid, { timeoutMs: 15_000 });
    expect(Buffer.from(got).equals(Buffer.from(other))).toBe(true);
    expect(await b.has(otherCid)).toBe(false);
    expect(await c.has(otherCid)).toBe(true);
    // a JSON payload larger than a chunk, canonical form: the key order does not change the CID
    const manifest = { tasks: Array.from({ length: 4000 }, (_, i) => ({ node: `0x${i.toString(16).padStart(40, "0")}`, hash: keccak256(toBytes(String(i))) })), round: 3 };
    const reordered = { round: 3, tasks: manifest.tasks };
    const m1 = await a.putJson(manifest);
    expect(await b.putJson(reordered)).toBe(m1);
    expect(JSON.stringify(manifest).length).toBeGreaterThan(CHUNK_SIZE);
    expect(await c.getJson(m1, { timeoutMs: 15_000 })).toEqual(reordered);
  });

  test("behavior: content whose only holder lost its blocks, or stopped, is ContentUnavailable by the deadline, not a hang", async () => {
    const [a, b] = await nodes(2);
    const { cid } = await a.putOutput("only on a");
    for (const f of allBlockFiles(a.dir)) fs.rmSync(f);
    expect(await a.has(cid)).toBe(false);
    let t0 = Date.now();
    const err = await b.get(cid, { timeoutMs: 1_500 }).catch((e) => e);
    let elapsed = Date.now() - t0;
    expect(err).toBeInstanceOf(ContentUnavailable);
    expect(err).toBeInstanceOf(ContentError);
    expect((err as ContentUnavailable).reason).toBe("timeout");
    expect((err as ContentUnavailable).retryable).toBe(true);
    expect(elapsed).toBeGreaterThanOrEqual(1_400);
    expect(elapsed).toBeLessThan(6_000);

    const { cid: cid2 } = await a.putOutput("a second output, also only on a");
    await a.close();
    t0 = Date.now();
    const err2 = await b.get(cid2, { timeoutMs: 1_000 }).catch((e) => e);
    elapsed = Date.now() - t0;
    expect(err2).toBeInstanceOf(ContentUnavailable);
    expect(elapsed).toBeLessThan(5_000);

    // the caller's own abort is honoured too
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 200);
    const err3 = await b.get(cid2, { timeoutMs: 60_000, signal: ac.signal }).catch((e) => e);
    expect(err3).toBeInstanceOf(ContentUnavailable);
    expect((err3 as ContentUnavailable).reason).toBe("aborted");
  });

  test("behavior: forty nodes on loopback all connect to one node within 5 s (libp2p's per-host inbound limit, 5 a second, would take 7 s at least)", async () => {
    const [hub] = await nodes(1);
    const many = await Promise.all(Array.from({ length: 40 }, () => HeliaContent.open({ dir: freshDir(), peers: hub.addresses(), onDial })));
    open.push(...many);
    const t0 = Date.now();
    await Promise.all(many.map((n) => n.waitForPeers(20_000)));
    // the hub's side of the last connections may register a moment after the dialers'
    while (((await hub.info()).connectedPeers?.length ?? 0) < 40 && Date.now() - t0 < 20_000) await new Promise((r) => setTimeout(r, 50));
    const elapsed = Date.now() - t0;
    expect((await hub.info()).connectedPeers?.length).toBe(40);
    expect(elapsed).toBeLessThan(5_000);
  }, 60_000);

  test("behavior: blockFile names the one file that holds an output's block; deleting it while the node runs makes the block disappear", async () => {
    const [a] = await nodes(1);
    const text = "an output whose block file the campaign deletes";
    const { cid } = await a.putOutput(text);
    const file = await blockFile(a.dir, cid);
    expect(blockFilesWith(a.dir, toBytes(text))).toEqual([file]);
    fs.rmSync(file);
    expect(await a.has(cid)).toBe(false);
    expect(await a.get(cid, { timeoutMs: 300 }).catch((e) => e)).toBeInstanceOf(ContentUnavailable);
  });

  test("behavior: a peer that restarts (same folder, same port) is re-dialed, and content flows again", async () => {
    const port = await freePort();
    const dirA = freshDir();
    let a = await HeliaContent.open({ dir: dirA, listen: [`/ip4/127.0.0.1/tcp/${port}`], onDial });
    open.push(a);
    const idA = a.peerId;
    const b = await HeliaContent.open({ dir: freshDir(), peers: [a.addresses()[0]], redialMs: 200, onDial });
    open.push(b);
    await b.waitForPeers(10_000);
    const first = await a.putOutput("before the restart");
    expect(await b.getText(first.cid, { timeoutMs: 10_000 })).toBe("before the restart");

    await a.close();
    const second = "after the restart";
    expect(await b.get(cidOfKeccak(keccak256(toBytes(second))), { timeoutMs: 500 }).catch((e) => e)).toBeInstanceOf(ContentUnavailable);
    expect((await b.info()).connectedPeers).not.toContain(idA);

    a = await HeliaContent.open({ dir: dirA, listen: [`/ip4/127.0.0.1/tcp/${port}`], onDial });
    open.push(a);
    expect(a.peerId).toBe(idA); // the key lives in the node's datastore
    const { cid } = await a.putOutput(second);
    // b re-dials on its own (no call from the test), and the pending read completes
    expect(await b.getText(cid, { timeoutMs: 10_000 })).toBe(second);
    expect((await b.info()).connectedPeers).toContain(idA);
    expect(b.connections().find((x) => x.peer === idA)?.direction).toBe("outbound"); // b dialed a again
    expect(await a.getText(first.cid)).toBe("before the restart"); // the blockstore survived on disk
  });

  test("behavior: a tampered local block is refused with ContentMismatch and dropped; the next read heals from a peer", async () => {
    const [a, b] = await nodes(2);
    const text = "an output that someone will edit on disk";
    const { cid } = await a.putOutput(text);
    expect(await b.getText(cid, { timeoutMs: 10_000 })).toBe(text);
    const files = blockFilesWith(a.dir, toBytes(text));
    expect(files.length).toBe(1);
    fs.writeFileSync(files[0], "an output that someone has edited on disk");
    const err = await a.get(cid).catch((e) => e);
    expect(err).toBeInstanceOf(ContentMismatch);
    expect(err).not.toBeInstanceOf(ContentUnavailable);
    expect(fs.existsSync(files[0])).toBe(false);
    expect(await a.getText(cid, { timeoutMs: 10_000 })).toBe(text); // fetched again from b, checked
  });

  test("behavior: a peer serving wrong bytes for a CID is never believed: the read ends unavailable, not with its bytes", async () => {
    const [a, b] = await nodes(2);
    const text = "the honest output";
    const { cid } = await a.putOutput(text);
    const [file] = blockFilesWith(a.dir, toBytes(text));
    fs.writeFileSync(file, "a forged output");
    const err = await b.get(cid, { timeoutMs: 1_500 }).catch((e) => e);
    expect(err).toBeInstanceOf(ContentUnavailable);
    expect(await b.has(cid)).toBe(false);
  });

  test("behavior: pinning keeps content through garbage collection; unpinned content is collected", async () => {
    const [a, b] = await nodes(2);
    const kept = await a.putOutput("kept by b");
    const dropped = await a.putOutput("not kept by b");
    const payload = await a.put(xorshiftBytes(600_000, 3));
    await b.pin(kept.cid, { timeoutMs: 10_000 });
    await b.pin(payload, { timeoutMs: 10_000 });
    await b.get(dropped.cid, { timeoutMs: 10_000 });
    expect(await b.pinned(kept.cid)).toBe(true);
    expect(await b.pinned(payload)).toBe(true);
    expect(await b.pinned(dropped.cid)).toBe(false);
    await b.gc();
    expect(await b.has(kept.cid)).toBe(true);
    expect(await b.has(payload)).toBe(true);
    expect(await b.has(dropped.cid)).toBe(false);
    await b.unpin(payload);
    expect(await b.pinned(payload)).toBe(false);
    await b.gc();
    expect(await b.has(payload)).toBe(false);
    // put with { pin: true } pins at once
    const own = await a.putOutput("a's own output", { pin: true });
    expect(await a.pinned(own.cid)).toBe(true);
  });

  test("behavior: a garbage collection that starts while content is being put and pinned never takes it (no peer holds it)", async () => {
    const [a] = await nodes(2, { timeoutMs: 1_500 }); // the other node holds none of it
    const outputs = Array.from({ length: 8 }, (_, i) => a.putOutput(`output ${i} stored while a collection runs`, { pin: true }));
    const payload = a.put(xorshiftBytes(600_000, 4), { pin: true });
    const results = await Promise.allSettled([...outputs, payload, a.gc(), a.gc()]);
    expect(results.map((r) => (r.status === "rejected" ? String(r.reason) : "ok"))).toEqual(results.map(() => "ok"));
    for (const cid of [...(await Promise.all(outputs)).map((o) => o.cid), await payload]) {
      expect(await a.pinned(cid)).toBe(true);
      expect(await a.has(cid)).toBe(true);
    }
  });

  test("behavior: a folder serves one node at a time; non-loopback peers and peers without an id are refused before any dial", async () => {
    const dir = freshDir();
    const a = await HeliaContent.open({ dir, onDial });
    open.push(a);
    await expect(HeliaContent.open({ dir, onDial })).rejects.toThrow(/already used by another node/);
    const before = dialed.length;
    await expect(a.addPeer(`/ip4/10.1.2.3/tcp/4001/p2p/${a.peerId}`)).rejects.toThrow(/not a loopback address/);
    await expect(HeliaContent.open({ dir: freshDir(), peers: [`/ip4/192.168.1.5/tcp/4001/p2p/${a.peerId}`] })).rejects.toThrow(/not a loopback address/);
    await expect(HeliaContent.open({ dir: freshDir(), listen: ["/ip4/0.0.0.0/tcp/0"] })).rejects.toThrow(/not a loopback address/);
    await expect(HeliaContent.open({ dir: freshDir(), peers: ["/ip4/127.0.0.1/tcp/4001"] })).rejects.toThrow(/must end with \/p2p/);
    expect(dialed.length).toBe(before);
    await a.close();
    const again = await HeliaContent.open({ dir, onDial });
    open.push(again);
    expect(again.peerId).toBe(a.peerId);
    expect(parseCid((await again.putOutput("x")).cid)).toBeTruthy();
  });
});
