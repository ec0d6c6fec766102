/**
 * Peers named by a daemon's HTTP port: `http://127.0.0.1:9101` stands for the IPFS nodes of the daemon listening
 * there. Each daemon answers `GET /v1/ipfs` on its /healthz port with `{nodes: [{account?, peerId, addresses}]}`, so
 * an operator writes the other daemon's URL instead of copying its peer id from a log. The answer is not trusted
 * beyond that: every address is checked as a configured peer is (a TCP multiaddr ending in /p2p/<peer id>, loopback
 * only unless `dial: "any"`), and every block a peer serves is still checked against its CID. The answer is bounded:
 * at most `MAX_PEER_ANSWER_BYTES` of body and `MAX_ADDRESSES_PER_NODE` addresses a node, and a redirect is refused, so a
 * misconfigured or hostile URL can neither make this node read without end nor send it to another host.
 */
import { InputError } from "../errors";
import { isLoopbackMultiaddr, multiaddrProblem } from "./contentConfig";

/** What a daemon serves at `GET /v1/ipfs`: its process's IPFS nodes. */
export type IpfsNodesAnswer = { nodes: { account?: string; peerId: string; addresses: string[] }[] };

/** The largest `/v1/ipfs` answer read (a node takes about 250 bytes: an agents process of 1,000 nodes fits). */
export const MAX_PEER_ANSWER_BYTES = 1024 * 1024;
/** The most addresses one node of the answer may have (one per interface it listens on). */
export const MAX_ADDRESSES_PER_NODE = 16;
/** The most addresses one answer may give in all (every one is re-dialed while down). */
export const MAX_ADDRESSES_PER_URL = 4_096;

/** How long a start waits, by default, for a daemon named by URL to answer (it may be starting too). */
export const PEER_URL_WAIT_MS = 60_000;

/**
 * The multiaddrs of the nodes of the daemons at `urls`, asked until each answers (every 500 ms, at most `waitMs`).
 * Throws an InputError naming the URL when one never answers, answers something else, or names an address this node
 * may not dial.
 */
export async function resolvePeerUrls(urls: readonly string[], o: { dial: "loopback" | "any"; waitMs?: number; fetch?: typeof fetch }): Promise<string[]> {
  const get = o.fetch ?? fetch;
  const waitMs = o.waitMs ?? PEER_URL_WAIT_MS;
  const out: string[] = [];
  for (const url of urls) {
    const endpoint = new URL("/v1/ipfs", url).toString();
    const until = Date.now() + waitMs;
    let answer: unknown;
    for (;;) {
      let problem: string;
      try {
        const res = await get(endpoint, { signal: AbortSignal.timeout(5_000), redirect: "manual" });
        if (res.status >= 300 && res.status < 400) {
          await res.body?.cancel().catch(() => undefined);
          throw new InputError(`IPFS peer URL ${url}: ${endpoint} redirects (HTTP ${res.status}); name the daemon's own port`);
        }
        if (res.ok) {
          answer = parseAnswer(url, endpoint, await readCapped(res, MAX_PEER_ANSWER_BYTES, url));
          break;
        }
        problem = `HTTP ${res.status}`;
        if (res.status === 404) throw new InputError(`IPFS peer URL ${url}: ${endpoint} answered 404; is it a PoQ daemon's --port (relayer, agents)?`);
      } catch (e) {
        if (e instanceof InputError) throw e;
        problem = e instanceof Error ? e.message : String(e);
      }
      if (Date.now() >= until) throw new InputError(`IPFS peer URL ${url}: no answer from ${endpoint} in ${Math.round(waitMs / 1000)} s (${problem}); start that daemon first, with --port`);
      await new Promise((r) => setTimeout(r, 500));
    }
    const nodes = (answer as Partial<IpfsNodesAnswer>)?.nodes;
    if (!Array.isArray(nodes)) throw new InputError(`IPFS peer URL ${url}: ${endpoint} did not answer {nodes: [...]}`);
    if (nodes.length === 0) throw new InputError(`IPFS peer URL ${url}: the daemon there runs no IPFS node (its content backend is not helia)`);
    const total = nodes.reduce((k: number, n) => k + (Array.isArray(n?.addresses) ? n.addresses.length : 0), 0);
    if (total > MAX_ADDRESSES_PER_URL) throw new InputError(`IPFS peer URL ${url}: ${endpoint} named ${total} addresses, more than the ${MAX_ADDRESSES_PER_URL} an answer may`);
    const crowded = nodes.find((n) => Array.isArray(n?.addresses) && n.addresses.length > MAX_ADDRESSES_PER_NODE);
    if (crowded) throw new InputError(`IPFS peer URL ${url}: ${endpoint} gave a node ${crowded.addresses.length} addresses, more than the ${MAX_ADDRESSES_PER_NODE} a node may`);
    const usable: string[] = [];
    for (const n of nodes) {
      for (const a of Array.isArray(n?.addresses) ? (n.addresses as unknown[]) : []) {
        const bad = typeof a !== "string" ? "is not a string" : multiaddrProblem(a, { peer: true });
        if (bad) throw new InputError(`IPFS peer URL ${url}: the address ${JSON.stringify(a)} ${bad}`);
        if (o.dial === "loopback" && !isLoopbackMultiaddr(a as string)) continue; // a node may also listen elsewhere
        usable.push(a as string);
      }
    }
    if (usable.length === 0) throw new InputError(`IPFS peer URL ${url}: none of its nodes' addresses can be dialed from here${o.dial === "loopback" ? " (this node dials loopback only)" : ""}`);
    out.push(...usable);
  }
  return [...new Set(out)];
}

/**
 * The peers of the daemons at `urls`, kept fresh: `initial` is every URL's answer at start (each waited for, as
 * `resolvePeerUrls`), and `resolve()` asks each URL again. Each URL's last answer stands until it gives a new one, so
 * a daemon that is down keeps its nodes' last addresses and does not stop the others' refresh.
 */
export async function peerUrlSource(urls: readonly string[], o: { dial: "loopback" | "any"; waitMs?: number; fetch?: typeof fetch }): Promise<{ initial: string[]; resolve: () => Promise<string[]> }> {
  const last = new Map<string, string[]>();
  for (const url of urls) last.set(url, await resolvePeerUrls([url], o));
  const all = () => [...new Set([...last.values()].flat())];
  return {
    initial: all(),
    resolve: async () => {
      for (const url of urls) {
        const answer = await resolvePeerUrls([url], { ...o, waitMs: 0 }).catch(() => undefined);
        if (answer) last.set(url, answer);
      }
      return all();
    },
  };
}

/** The body of `res` as text, refused (InputError naming the URL) once it passes `max` bytes. */
async function readCapped(res: Response, max: number, url: string): Promise<string> {
  const declared = Number(res.headers.get("content-length") ?? NaN);
  if (declared > max) {
    await res.body?.cancel().catch(() => undefined);
    throw new InputError(`IPFS peer URL ${url}: its answer is ${declared} bytes, more than the ${max} read`);
  }
  if (!res.body) return "";
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => undefined);
      throw new InputError(`IPFS peer URL ${url}: its answer passed the ${max} bytes read`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function parseAnswer(url: string, endpoint: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new InputError(`IPFS peer URL ${url}: ${endpoint} did not answer JSON`);
  }
}
