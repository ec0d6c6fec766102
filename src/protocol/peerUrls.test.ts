/**
 * Peers named by a daemon's HTTP port: real embedded IPFS nodes on loopback, found through a real HTTP server that
 * answers `GET /v1/ipfs` as a daemon's /healthz port does (`healthApp`).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { serve, type ServerType } from "@hono/node-server";
import { Hono } from "hono";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { InputError } from "../errors";
import { parseContentConfig } from "./contentConfig";
import { loadHeliaModules } from "./esm";
import { HeliaContent } from "./helia";
import { freePort } from "./loopback";
import { openContent } from "./openContent";
import { MAX_ADDRESSES_PER_NODE, MAX_ADDRESSES_PER_URL, MAX_PEER_ANSWER_BYTES, peerUrlSource, resolvePeerUrls, type IpfsNodesAnswer } from "./peerUrls";
import type { Content } from "./content";

const root = fs.mkdtempSync(path.join(os.tmpdir(), "poq-peer-urls-"));
let seq = 0;
const freshDir = () => path.join(root, `t${seq++}`);
const closers: (() => Promise<unknown>)[] = [];

/** An HTTP server on 127.0.0.1 answering `GET /v1/ipfs` with what `answer()` gives (or `status`). */
async function daemonPort(answer: () => Promise<unknown>, status = 200): Promise<string> {
  const app = new Hono();
  app.get("/v1/ipfs", async (c) => (status === 200 ? c.json((await answer()) as object) : c.json({ error: "x" }, status as 404)));
  const port = await freePort();
  const server: ServerType = serve({ fetch: app.fetch, port, hostname: "127.0.0.1" });
  closers.push(() => new Promise((r) => server.close(r)));
  return `http://127.0.0.1:${port}`;
}

const nodesOf = async (...cs: HeliaContent[]): Promise<IpfsNodesAnswer> => ({ nodes: await Promise.all(cs.map(async (c) => ({ peerId: c.peerId, addresses: (await c.info()).addresses }))) });

beforeAll(async () => {
  await loadHeliaModules();
});
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c().catch(() => undefined);
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe("IPFS peers named by a daemon's HTTP port", () => {
  test("behavior: a node configured with a daemon's URL connects to that daemon's node and fetches from it", async () => {
    const a = await HeliaContent.open({ dir: freshDir() });
    closers.push(() => a.close());
    const url = await daemonPort(() => nodesOf(a));
    const b: Content = await openContent({ kind: "helia", dir: freshDir(), peerUrls: [url] });
    closers.push(() => b.close());
    const { cid } = await a.putOutput("found through the daemon's port");
    expect(await b.getText(cid, { timeoutMs: 10_000 })).toBe("found through the daemon's port");
    expect((await b.info()).connectedPeers).toContain(a.peerId);
  });

  test("behavior: a daemon that starts later is waited for; one that never answers is named in a clear error", async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const pending = resolvePeerUrls([url], { dial: "loopback", waitMs: 20_000 });
    await new Promise((r) => setTimeout(r, 1_200)); // nothing listens yet: the first tries fail
    const a = await HeliaContent.open({ dir: freshDir() });
    closers.push(() => a.close());
    const app = new Hono().get("/v1/ipfs", async (c) => c.json(await nodesOf(a)));
    const server = serve({ fetch: app.fetch, port, hostname: "127.0.0.1" });
    closers.push(() => new Promise((r) => server.close(r)));
    expect(await pending).toEqual((await a.info()).addresses);

    const silent = `http://127.0.0.1:${await freePort()}`;
    const e = await resolvePeerUrls([silent], { dial: "loopback", waitMs: 600 }).catch((x) => x);
    expect(e).toBeInstanceOf(InputError);
    expect(e.message).toContain(`IPFS peer URL ${silent}: no answer from ${silent}/v1/ipfs`);
  });

  test("behavior: a port that is not a daemon's, an answer without nodes, a bad or undialable address are refused by name", async () => {
    const notDaemon = await daemonPort(async () => ({}), 404);
    await expect(resolvePeerUrls([notDaemon], { dial: "loopback", waitMs: 5_000 })).rejects.toThrow(/answered 404; is it a PoQ daemon's --port/);
    const noNodes = await daemonPort(async () => ({ nodes: [] }));
    await expect(resolvePeerUrls([noNodes], { dial: "loopback" })).rejects.toThrow(/runs no IPFS node/);
    const garbage = await daemonPort(async () => ({ hello: 1 }));
    await expect(resolvePeerUrls([garbage], { dial: "loopback" })).rejects.toThrow(/did not answer \{nodes/);
    const id = "12D3KooWGRUVh8ZbSYrpQY3gSf3vX3xWuH3v4zXkX2XtL6mK8DkQ";
    const bad = await daemonPort(async () => ({ nodes: [{ peerId: id, addresses: ["/ip4/127.0.0.1/udp/1/quic"] }] }));
    await expect(resolvePeerUrls([bad], { dial: "loopback" })).rejects.toThrow(/the address "\/ip4\/127.0.0.1\/udp\/1\/quic" is not a usable multiaddr/);
    const remote = await daemonPort(async () => ({ nodes: [{ peerId: id, addresses: [`/ip4/198.51.100.7/tcp/4001/p2p/${id}`] }] }));
    await expect(resolvePeerUrls([remote], { dial: "loopback" })).rejects.toThrow(/none of its nodes' addresses can be dialed from here \(this node dials loopback only\)/);
    expect(await resolvePeerUrls([remote], { dial: "any" })).toEqual([`/ip4/198.51.100.7/tcp/4001/p2p/${id}`]);
  });

  test("behavior: a URL off the loopback interface is refused before anything starts, unless the node may dial any address", () => {
    expect(() => parseContentConfig({ kind: "helia", dir: "x", peerUrls: ["http://198.51.100.7:9101"] })).toThrow(/content.peerUrls.0: http:\/\/198.51.100.7:9101 is not on the loopback interface/);
    expect(() => parseContentConfig({ kind: "helia", dir: "x", peerUrls: ["ftp://127.0.0.1:9101"] })).toThrow(/content.peerUrls.0: must be an http/);
    expect(parseContentConfig({ kind: "helia", dir: "x", peerUrls: ["http://198.51.100.7:9101"], dial: "any" })).toMatchObject({ peerUrls: ["http://198.51.100.7:9101"] });
  });

  test("behavior: a peer that comes back on another port is found again through its daemon's URL", async () => {
    const dirA = freshDir();
    let a = await HeliaContent.open({ dir: dirA });
    let current = a;
    const url = await daemonPort(() => nodesOf(current));
    const b = await HeliaContent.open({
      dir: freshDir(),
      peers: await resolvePeerUrls([url], { dial: "loopback" }),
      redialMs: 200,
      peerSource: { resolve: () => resolvePeerUrls([url], { dial: "loopback", waitMs: 0 }), everyMs: 200 },
    });
    closers.push(() => b.close());
    await b.waitForPeers(10_000);
    const before = (await a.info()).addresses;
    await a.close();
    a = await HeliaContent.open({ dir: dirA }); // same key, a new free port
    current = a;
    closers.push(() => a.close());
    expect((await a.info()).addresses).not.toEqual(before);
    const { cid } = await a.putOutput("after a restart on another port");
    expect(await b.getText(cid, { timeoutMs: 10_000 })).toBe("after a restart on another port");
  });
  test("behavior: an answer too large, too many addresses, a redirect or a body that is not JSON are refused by name, at once", async () => {
    const id = "12D3KooWGRUVh8ZbSYrpQY3gSf3vX3xWuH3v4zXkX2XtL6mK8DkQ";
    const huge = await daemonPort(async () => ({ nodes: [{ peerId: id, addresses: [], pad: "x".repeat(MAX_PEER_ANSWER_BYTES) }] }));
    await expect(resolvePeerUrls([huge], { dial: "loopback", waitMs: 5_000 })).rejects.toThrow(new RegExp(`IPFS peer URL ${huge}: its answer (is \\d+ bytes, more than|passed) the ${MAX_PEER_ANSWER_BYTES}`));
    const many = Array.from({ length: MAX_ADDRESSES_PER_NODE + 1 }, (_, i) => `/ip4/127.0.0.1/tcp/${1000 + i}/p2p/${id}`);
    const crowd = await daemonPort(async () => ({ nodes: [{ peerId: id, addresses: many }] }));
    await expect(resolvePeerUrls([crowd], { dial: "loopback", waitMs: 5_000 })).rejects.toThrow(`gave a node ${MAX_ADDRESSES_PER_NODE + 1} addresses, more than the ${MAX_ADDRESSES_PER_NODE} a node may`);
    // an agents process with many nodes is fine: 300 nodes of 2 addresses each
    const ids = Array.from({ length: 300 }, (_, i) => ({ peerId: id, addresses: [`/ip4/127.0.0.1/tcp/${2000 + i}/p2p/${id}`, `/ip4/127.0.0.1/tcp/${3000 + i}/p2p/${id}`] }));
    expect(await resolvePeerUrls([await daemonPort(async () => ({ nodes: ids }))], { dial: "loopback" })).toHaveLength(600);
    // but not more addresses in all than MAX_ADDRESSES_PER_URL (each is re-dialed while down)
    const wide = Array.from({ length: Math.floor(MAX_ADDRESSES_PER_URL / 16) + 1 }, (_, i) => ({ peerId: id, addresses: Array.from({ length: 16 }, (_, j) => `/ip4/127.0.0.1/tcp/${10_000 + i * 16 + j}/p2p/${id}`) }));
    await expect(resolvePeerUrls([await daemonPort(async () => ({ nodes: wide }))], { dial: "loopback", waitMs: 5_000 })).rejects.toThrow(`more than the ${MAX_ADDRESSES_PER_URL} an answer may`);

    const t0 = Date.now();
    for (const [app, problem] of [
      [new Hono().get("/v1/ipfs", (c) => c.redirect("http://127.0.0.1:1/v1/ipfs", 302)), /redirects \(HTTP 302\); name the daemon's own port/],
      [new Hono().get("/v1/ipfs", (c) => c.text("not json")), /\/v1\/ipfs did not answer JSON/],
    ] as const) {
      const port = await freePort();
      const server = serve({ fetch: app.fetch, port, hostname: "127.0.0.1" });
      closers.push(() => new Promise((r) => server.close(r)));
      await expect(resolvePeerUrls([`http://127.0.0.1:${port}`], { dial: "loopback", waitMs: 5_000 })).rejects.toThrow(problem);
    }
    expect(Date.now() - t0).toBeLessThan(4_000); // refused, not retried until the wait ends
  });

  test("behavior: a node its daemon's URL no longer names is dropped (not re-dialed); configured peers stay", async () => {
    const a = await HeliaContent.open({ dir: freshDir() });
    const b = await HeliaContent.open({ dir: freshDir() });
    const fixed = await HeliaContent.open({ dir: freshDir() });
    closers.push(() => a.close(), () => b.close(), () => fixed.close());
    let current = a;
    const url = await daemonPort(() => nodesOf(current));
    const dialed: string[] = [];
    const c = await HeliaContent.open({
      dir: freshDir(),
      peers: (await fixed.info()).addresses,
      redialMs: 100,
      onDial: (addr) => dialed.push(addr),
      peerSource: { resolve: () => resolvePeerUrls([url], { dial: "loopback", waitMs: 0 }), everyMs: 150, initial: await resolvePeerUrls([url], { dial: "loopback" }) },
    });
    closers.push(() => c.close());
    await c.waitForPeers(10_000);
    expect((await c.info()).connectedPeers).toEqual(expect.arrayContaining([a.peerId, fixed.peerId]));
    current = b;
    for (const until = Date.now() + 10_000; !(await c.info()).connectedPeers.includes(b.peerId) && Date.now() < until; ) await new Promise((r) => setTimeout(r, 100));
    expect((await c.info()).connectedPeers).toContain(b.peerId);
    await a.close();
    await fixed.close();
    await new Promise((r) => setTimeout(r, 300));
    dialed.length = 0;
    await new Promise((r) => setTimeout(r, 1_000));
    expect(dialed.some((d) => d.endsWith(a.peerId))).toBe(false);
    expect(dialed.some((d) => d.endsWith(fixed.peerId))).toBe(true); // configured: still re-dialed
  });
  test("behavior: refreshing several URLs, one that stops answering keeps its last addresses and does not hold back the others", async () => {
    const id = (n: number) => ["12D3KooWGRUVh8ZbSYrpQY3gSf3vX3xWuH3v4zXkX2XtL6mK8DkQ", "12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo"][n];
    let portA = 4001;
    let bUp = true;
    const urlA = await daemonPort(async () => ({ nodes: [{ peerId: id(0), addresses: [`/ip4/127.0.0.1/tcp/${portA}/p2p/${id(0)}`] }] }));
    const appB = new Hono().get("/v1/ipfs", (c) => (bUp ? c.json({ nodes: [{ peerId: id(1), addresses: [`/ip4/127.0.0.1/tcp/5001/p2p/${id(1)}`] }] }) : c.json({ error: "down" }, 503)));
    const port = await freePort();
    const server = serve({ fetch: appB.fetch, port, hostname: "127.0.0.1" });
    closers.push(() => new Promise((r) => server.close(r)));
    const urlB = `http://127.0.0.1:${port}`;
    const source = await peerUrlSource([urlB, urlA], { dial: "loopback" });
    expect(source.initial.sort()).toEqual([`/ip4/127.0.0.1/tcp/4001/p2p/${id(0)}`, `/ip4/127.0.0.1/tcp/5001/p2p/${id(1)}`].sort());
    bUp = false; // B's daemon fails from now on; A's node comes back on another port
    portA = 4002;
    expect((await source.resolve()).sort()).toEqual([`/ip4/127.0.0.1/tcp/4002/p2p/${id(0)}`, `/ip4/127.0.0.1/tcp/5001/p2p/${id(1)}`].sort());
  });
});
