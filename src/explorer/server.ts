import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { InputError } from "../errors";
import { addressPage, listRounds, NotFoundError, roundPage, search, status, txPage, type ExplorerContext } from "./api";
import { addressPageHtml, errorPage, roundPage as roundPageHtml, roundsPage, txPageHtml } from "./html";

export type ServerLogger = { info: (o: object, msg?: string) => void; warn: (o: object, msg?: string) => void; debug?: (o: object, msg?: string) => void };

export type ExplorerServer = {
  server: http.Server;
  /** Resolves with the bound URL (port 0 picks a free port). */
  listen(port: number, host?: string): Promise<{ url: string; port: number }>;
  close(): Promise<void>;
};

const STATIC_DIR = path.join(__dirname, "static");
const STATIC: Record<string, string> = { "style.css": "text/css; charset=utf-8", "explorer.js": "text/javascript; charset=utf-8" };

/** Security headers: the pages load nothing but their own stylesheet and script. */
const HEADERS = {
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "content-security-policy": "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
};

type Reply = { status: number; type: string; body: string | Buffer; headers?: Record<string, string> };

type Route = { pattern: RegExp; page: (ctx: ExplorerContext, m: string[], q: URLSearchParams) => Promise<Reply> };

const html = (body: string, status = 200): Reply => ({ status, type: "text/html; charset=utf-8", body });
const json = (value: unknown, status = 200): Reply => ({ status, type: "application/json; charset=utf-8", body: JSON.stringify(value) });

/** The routes: every page has a JSON twin under /api. */
function routes(): Route[] {
  const st = (ctx: ExplorerContext) => ({ status: status(ctx) });
  return [
    { pattern: /^\/$/, page: async (ctx, _m, q) => html(roundsPage(st(ctx), listRounds(ctx, { page: q.get("page") ?? undefined, limit: q.get("limit") ?? undefined }))) },
    { pattern: /^\/round\/([^/]+)$/, page: async (ctx, m) => html(roundPageHtml(st(ctx), roundPage(ctx, m[1]))) },
    { pattern: /^\/address\/([^/]+)$/, page: async (ctx, m) => html(addressPageHtml(st(ctx), addressPage(ctx, m[1]))) },
    { pattern: /^\/tx\/([^/]+)$/, page: async (ctx, m) => html(txPageHtml(st(ctx), await txPage(ctx, m[1]))) },
    {
      pattern: /^\/search$/,
      page: async (ctx, _m, q) => ({ status: 302, type: "text/plain; charset=utf-8", body: "", headers: { location: search(ctx, q.get("q") ?? "").path } }),
    },
    { pattern: /^\/api\/status$/, page: async (ctx) => json(status(ctx)) },
    { pattern: /^\/api\/rounds$/, page: async (ctx, _m, q) => json(listRounds(ctx, { page: q.get("page") ?? undefined, limit: q.get("limit") ?? undefined })) },
    { pattern: /^\/api\/round\/([^/]+)$/, page: async (ctx, m) => json(roundPage(ctx, m[1])) },
    { pattern: /^\/api\/address\/([^/]+)$/, page: async (ctx, m) => json(addressPage(ctx, m[1])) },
    { pattern: /^\/api\/tx\/([^/]+)$/, page: async (ctx, m) => json(await txPage(ctx, m[1])) },
    { pattern: /^\/api\/search$/, page: async (ctx, _m, q) => json(search(ctx, q.get("q") ?? "")) },
  ];
}

/**
 * Answers one request: pages, the JSON API, static files and /healthz. Never throws: malformed input is a 400,
 * something well-formed the index does not hold a 404, anything else a 500 with a short message.
 */
export async function handle(ctx: ExplorerContext, method: string, rawUrl: string, health?: () => { ok: boolean; [k: string]: unknown }, logger?: ServerLogger): Promise<Reply> {
  let pathname = "/";
  let query = new URLSearchParams();
  const isApi = rawUrl.startsWith("/api/");
  try {
    const u = new URL(rawUrl, "http://explorer.local");
    query = u.searchParams;
    pathname = decodeURIComponent(u.pathname);
  } catch {
    return isApi ? json({ error: { status: 400, message: "malformed URL" } }, 400) : html(errorPage({ status: status(ctx) }, 400, "malformed URL"), 400);
  }
  if (method !== "GET" && method !== "HEAD") return { status: 405, type: "application/json; charset=utf-8", body: JSON.stringify({ error: { status: 405, message: "only GET" } }), headers: { allow: "GET, HEAD" } };
  if (pathname === "/healthz") {
    const h = health?.() ?? { ok: true };
    return json(h, h.ok ? 200 : 503);
  }
  const stat = /^\/static\/([a-z.]+)$/.exec(pathname);
  if (stat) {
    const type = STATIC[stat[1]];
    if (!type) return { status: 404, type: "text/plain; charset=utf-8", body: "not found" };
    return { status: 200, type, body: fs.readFileSync(path.join(STATIC_DIR, stat[1])), headers: { "cache-control": "public, max-age=300" } };
  }
  if (pathname === "/favicon.ico") return { status: 204, type: "text/plain", body: "" };
  for (const r of routes()) {
    const m = r.pattern.exec(pathname);
    if (!m) continue;
    try {
      return await r.page(ctx, m, query);
    } catch (e) {
      const code = e instanceof NotFoundError ? 404 : e instanceof InputError ? 400 : 500;
      const message = code === 500 ? `internal error: ${String((e as Error)?.message ?? e).split("\n")[0]}` : (e as InputError).shortMessage;
      if (code === 500) logger?.warn({ url: rawUrl, err: String((e as Error)?.stack ?? e) }, "request failed");
      const q = pathname === "/search" ? (query.get("q") ?? "") : "";
      return isApi ? json({ error: { status: code, message } }, code) : html(errorPage({ status: status(ctx) }, code, message, q), code);
    }
  }
  const message = `no page at ${pathname}`;
  return isApi ? json({ error: { status: 404, message } }, 404) : html(errorPage({ status: status(ctx) }, 404, message), 404);
}

export function createExplorerServer(p: { ctx: ExplorerContext; logger?: ServerLogger; health?: () => { ok: boolean; [k: string]: unknown } }): ExplorerServer {
  const server = http.createServer((req, res) => {
    const t0 = performance.now();
    handle(p.ctx, req.method ?? "GET", req.url ?? "/", p.health, p.logger)
      .catch((e): Reply => ({ status: 500, type: "text/plain; charset=utf-8", body: `internal error: ${String((e as Error)?.message ?? e).split("\n")[0]}` }))
      .then((r) => {
        res.writeHead(r.status, { ...HEADERS, "content-type": r.type, ...(r.headers ?? {}) });
        res.end(req.method === "HEAD" ? undefined : r.body);
        p.logger?.debug?.({ method: req.method, url: req.url, status: r.status, ms: Math.round((performance.now() - t0) * 10) / 10 }, "request");
      });
  });
  server.on("clientError", (_e, socket) => socket.destroy());
  return {
    server,
    listen: (port, host = "127.0.0.1") =>
      new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => {
          const a = server.address() as AddressInfo;
          resolve({ url: `http://${host.includes(":") ? `[${host}]` : host}:${a.port}`, port: a.port });
        });
      }),
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections?.();
      }),
  };
}
