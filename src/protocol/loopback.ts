/**
 * Embedded IPFS nodes on loopback, for tests, the bench, the demo and the e2e harness: each node in its own folder,
 * listening on 127.0.0.1, peered with the nodes opened before it (so the set is fully connected), dialing nothing
 * outside 127.0.0.0/8. Also the publish-and-fetch measure the bench reports, reusable for a round end to end.
 */
import net from "node:net";
import path from "node:path";
import type { Cid } from "./cid";
import type { Content } from "./content";
import { HeliaContent, type HeliaContentOptions } from "./helia";

/** A TCP port free on 127.0.0.1 right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Opens `count` nodes in `<dir>/node-<i>`, node i peered with nodes 0..i-1, and waits until all are connected.
 * `options` is applied to every node (e.g. `timeoutMs`, `onDial`, `redialMs`).
 */
export async function openLoopbackNodes(count: number, dir: string, options: Omit<HeliaContentOptions, "dir" | "peers"> = {}): Promise<HeliaContent[]> {
  const nodes: HeliaContent[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const peers = nodes.map((n) => n.addresses()[0]);
      nodes.push(await HeliaContent.open({ ...options, dir: path.join(dir, `node-${i}`), peers, dial: "loopback" }));
    }
    await Promise.all(nodes.map((n) => n.waitForPeers(15_000)));
    await Promise.all(nodes.map((n) => waitConnected(n, count - 1, 15_000)));
  } catch (e) {
    await Promise.all(nodes.map((n) => n.close().catch(() => undefined)));
    throw e;
  }
  return nodes;
}

async function waitConnected(n: HeliaContent, peers: number, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while ((await n.info()).connectedPeers.length < peers) {
    if (Date.now() > until) throw new Error(`node ${n.peerId} has fewer than ${peers} peers after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export type ExchangeResult = {
  items: number;
  bytes: number;
  /** Publishing every item on the publisher (ms). */
  publishMs: number;
  /** Fetching every item on the fetcher, `concurrency` reads at a time (ms). */
  fetchMs: number;
  /** Items per second, publish and fetch. */
  publishPerS: number;
  fetchPerS: number;
  /** MB per second fetched. */
  fetchMBps: number;
};

/** Runs `fn` over `items` with at most `concurrency` calls in flight; results in input order. */
export async function mapConcurrent<T, R>(items: T[], concurrency: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return out;
}

/**
 * Publishes `outputs` as raw keccak outputs on `publisher` and fetches them all on `fetcher`, checking every byte:
 * the measure of the bench (embedded nodes, or the folder store as the baseline), reusable for a whole round.
 */
export async function measureOutputExchange(publisher: Content, fetcher: Content, outputs: Uint8Array[], o: { concurrency?: number; timeoutMs?: number } = {}): Promise<ExchangeResult & { cids: Cid[] }> {
  const concurrency = o.concurrency ?? 64;
  const t0 = performance.now();
  const cids = await mapConcurrent(outputs, concurrency, async (b) => (await publisher.putOutput(b)).cid);
  const publishMs = performance.now() - t0;
  const t1 = performance.now();
  await mapConcurrent(cids, concurrency, async (cid, i) => {
    const got = await fetcher.get(cid, { timeoutMs: o.timeoutMs ?? 30_000 });
    if (!Buffer.from(got).equals(Buffer.from(outputs[i]))) throw new Error(`output ${i} came back different`);
  });
  const fetchMs = performance.now() - t1;
  const bytes = outputs.reduce((s, b) => s + b.length, 0);
  return {
    items: outputs.length,
    bytes,
    publishMs,
    fetchMs,
    publishPerS: outputs.length / (publishMs / 1000),
    fetchPerS: outputs.length / (fetchMs / 1000),
    fetchMBps: bytes / 1e6 / (fetchMs / 1000),
    cids,
  };
}
