import http from "node:http";
import type { AddressInfo } from "node:net";

export type ProxyMode = "pass" | "down" | "slow" | "duplicate";

/**
 * A JSON-RPC proxy in front of a node that injects faults: `down` answers 503 (an RPC outage), `slow` delays every
 * answer, `duplicate` returns every log of eth_getLogs twice (duplicate event delivery). Loopback only.
 */
export async function startRpcProxy(target: string, rng: () => number = Math.random) {
  let mode: ProxyMode = "pass";
  const counts: Record<ProxyMode, number> = { pass: 0, down: 0, slow: 0, duplicate: 0 };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", async () => {
      counts[mode]++;
      if (mode === "down") {
        res.writeHead(503).end("node unavailable");
        return;
      }
      if (mode === "slow") await new Promise((r) => setTimeout(r, 300 + Math.floor(rng() * 1200)));
      try {
        const upstream = await fetch(target, { method: "POST", headers: { "content-type": "application/json" }, body: Buffer.concat(chunks) });
        let text = await upstream.text();
        if (mode === "duplicate") text = duplicateLogs(Buffer.concat(chunks).toString("utf8"), text);
        res.writeHead(upstream.status, { "content-type": "application/json" }).end(text);
      } catch {
        res.writeHead(502).end("upstream unreachable");
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    counts,
    setMode: (m: ProxyMode) => (mode = m),
    mode: () => mode,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

function duplicateLogs(request: string, response: string): string {
  try {
    const req = JSON.parse(request);
    const res = JSON.parse(response);
    const dup = (q: { method?: string }, a: { result?: unknown }) => {
      if (q?.method === "eth_getLogs" && Array.isArray(a?.result)) a.result = a.result.flatMap((l) => [l, l]);
      return a;
    };
    if (Array.isArray(req) && Array.isArray(res)) return JSON.stringify(res.map((a, i) => dup(req[i], a)));
    return JSON.stringify(dup(req, res));
  } catch {
    return response;
  }
}
