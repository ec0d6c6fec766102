/**
 * Peers named by a daemon's HTTP port: `http://127.0.0.1:9101` stands for the IPFS nodes of the daemon listening
 * there. Each daemon answers `GET /v1/ipfs` on its /healthz port with `{nodes: [{account?, peerId, addresses}]}`, so
 * an operator writes the other daemon's URL instead of copying its peer id from a log. The answer is not trusted
 * beyond that: every address is checked as a configured peer is (a TCP multiaddr ending in /p2p/<peer id>, loopback
 * only unless `dial: "any"`), and every block a peer serves is still checked against its CID.
 */
import { InputError } from "../errors";
import { isLoopbackMultiaddr, multiaddrProblem } from "./contentConfig";

/** What a daemon serves at `GET /v1/ipfs`: its process's IPFS nodes. */
export type IpfsNodesAnswer = { nodes: { account?: string; peerId: string; addresses: string[] }[] };

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
        const res = await get(endpoint, { signal: AbortSignal.timeout(5_000) });
        if (res.ok) {
          answer = await res.json();
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
