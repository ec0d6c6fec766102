import fs from "node:fs";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { serve, type ServerType } from "@hono/node-server";
import { Hono, type Context } from "hono";
import type { Child } from "hono/jsx";
import { InputError } from "../errors";
import { addressPage, listRounds, roundPage, search, status, taskPage, type ExplorerContext } from "./api";
import { blockPage, blocksFeed, tokenPage, txPage, txsFeed } from "./chainApi";
import { NotFoundError, tags } from "./context";
import { AddressPageView } from "./pages/address";
import { BlockPageView, BlocksPageView, TokenPageView, TxPageView, TxsPageView } from "./pages/chain";
import { document, ErrorPage, type PageCtx } from "./pages/components";
import { RoundPageView, RoundsPage, TaskPageView, TASKS_PER_PAGE } from "./pages/round";
import { ChallengesPageView, GovernancePageView } from "./pages/protocol";
import { challengesPage, governancePage } from "./governance";
import { parsePaging } from "./params";

export type ServerLogger = { info: (o: object, msg?: string) => void; warn: (o: object, msg?: string) => void; debug?: (o: object, msg?: string) => void };

export type Health = () => { ok: boolean; [k: string]: unknown };

export type ExplorerServer = {
  app: Hono;
  /** Resolves with the bound URL (port 0 picks a free port). */
  listen(port: number, host?: string): Promise<{ url: string; port: number }>;
  close(): Promise<void>;
};

const STATIC_DIR = path.join(__dirname, "static");
const STATIC: Record<string, string> = { "style.css": "text/css; charset=utf-8", "explorer.js": "text/javascript; charset=utf-8" };

/** Security headers: the pages load nothing but their own stylesheet and script. */
const HEADERS: Record<string, string> = {
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "content-security-policy": "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
};

const isApi = (c: Context) => c.req.path.startsWith("/api/");

/**
 * The explorer's HTTP surface, one Hono app: pages (server-rendered JSX, working without JavaScript), their JSON
 * twins under /api, static files and /healthz. Malformed input is a 400, something well-formed the index does not
 * hold a 404, anything else a 500 with a short message; none of them stops the server.
 */
export function createApp(ctx: ExplorerContext, o: { health?: Health; logger?: ServerLogger } = {}): Hono {
  const app = new Hono();
  const pageCtx = (c: Context): PageCtx => ({ status: status(ctx), tags: tags(ctx), q: c.req.path === "/search" ? (c.req.query("q") ?? "") : undefined });
  const html = (c: Context, page: Child, code: 200 | 400 | 404 | 500 = 200) => c.html(document(page), code);

  app.use("*", async (c, next) => {
    const t0 = performance.now();
    if (c.req.method !== "GET" && c.req.method !== "HEAD") {
      c.header("allow", "GET, HEAD");
      return c.json({ error: { status: 405, message: "only GET" } }, 405);
    }
    try {
      decodeURIComponent(new URL(c.req.url).pathname);
    } catch {
      return isApi(c) ? c.json({ error: { status: 400, message: "malformed URL" } }, 400) : html(c, <ErrorPage c={pageCtx(c)} code={400} message="malformed URL" />, 400);
    }
    await next();
    for (const [k, v] of Object.entries(HEADERS)) c.res.headers.set(k, v);
    o.logger?.debug?.({ method: c.req.method, url: c.req.url, status: c.res.status, ms: Math.round((performance.now() - t0) * 10) / 10 }, "request");
  });

  app.onError((e, c) => {
    const code = e instanceof NotFoundError ? 404 : e instanceof InputError ? 400 : 500;
    const message = code === 500 ? `internal error: ${String(e?.message ?? e).split("\n")[0]}` : (e as InputError).shortMessage;
    if (code === 500) o.logger?.warn({ url: c.req.url, err: String(e?.stack ?? e) }, "request failed");
    return isApi(c) ? c.json({ error: { status: code, message } }, code) : html(c, <ErrorPage c={pageCtx(c)} code={code} message={message} />, code);
  });
  app.notFound((c) => {
    const message = `no page at ${c.req.path}`;
    return isApi(c) ? c.json({ error: { status: 404, message } }, 404) : html(c, <ErrorPage c={pageCtx(c)} code={404} message={message} />, 404);
  });

  app.get("/healthz", (c) => {
    const h = o.health?.() ?? { ok: true };
    return c.json(h, h.ok ? 200 : 503);
  });
  app.get("/favicon.ico", (c) => c.body(null, 204));
  app.get("/static/:file", (c) => {
    const file = c.req.param("file");
    const type = Object.hasOwn(STATIC, file) ? STATIC[file] : undefined;
    if (!type) return c.text("not found", 404);
    return c.body(fs.readFileSync(path.join(STATIC_DIR, file)), 200, { "content-type": type, "cache-control": "public, max-age=300" });
  });

  // Pages.
  const q = (c: Context) => ({ page: c.req.query("page"), limit: c.req.query("limit") });
  app.get("/", (c) => html(c, <RoundsPage c={pageCtx(c)} v={listRounds(ctx, q(c))} blocks={blocksFeed(ctx, { limit: "8" }).blocks} txs={txsFeed(ctx, { limit: "8" }).transactions} />));
  app.get("/round/:id", async (c) => {
    const p = await roundPage(ctx, c.req.param("id"));
    const { page } = parsePaging({ page: c.req.query("tasks") });
    if ((page - 1) * TASKS_PER_PAGE >= Math.max(1, p.tasks.length)) throw new NotFoundError(`round ${p.round.id} has ${p.tasks.length} tasks: no task page ${page}`);
    return html(c, <RoundPageView c={pageCtx(c)} p={p} taskPage={page} />);
  });
  app.get("/round/:id/task/:index", (c) => html(c, <TaskPageView c={pageCtx(c)} t={taskPage(ctx, c.req.param("id"), c.req.param("index"))} />));
  app.get("/address/:a", async (c) => html(c, <AddressPageView c={pageCtx(c)} p={await addressPage(ctx, c.req.param("a"))} />));
  app.get("/tx/:h", async (c) => html(c, <TxPageView c={pageCtx(c)} t={await txPage(ctx, c.req.param("h"))} />));
  app.get("/block/:n", (c) => html(c, <BlockPageView c={pageCtx(c)} p={blockPage(ctx, c.req.param("n"))} />));
  app.get("/blocks", (c) => html(c, <BlocksPageView c={pageCtx(c)} v={blocksFeed(ctx, q(c))} />));
  app.get("/txs", (c) => html(c, <TxsPageView c={pageCtx(c)} v={txsFeed(ctx, q(c))} />));
  app.get("/token", async (c) => html(c, <TokenPageView c={pageCtx(c)} t={await tokenPage(ctx, q(c))} />));
  app.get("/governance", async (c) => html(c, <GovernancePageView c={pageCtx(c)} p={await governancePage(ctx)} />));
  app.get("/challenges", (c) => html(c, <ChallengesPageView c={pageCtx(c)} p={challengesPage(ctx)} />));
  app.get("/search", (c) => c.redirect(search(ctx, c.req.query("q") ?? "").path, 302));

  // The JSON API: the same objects the pages show.
  app.get("/api/status", (c) => c.json(status(ctx)));
  app.get("/api/rounds", (c) => c.json(listRounds(ctx, q(c))));
  app.get("/api/round/:id", async (c) => c.json(await roundPage(ctx, c.req.param("id"))));
  app.get("/api/governance", async (c) => c.json(await governancePage(ctx)));
  app.get("/api/challenges", (c) => c.json(challengesPage(ctx)));
  app.get("/api/round/:id/task/:index", (c) => c.json(taskPage(ctx, c.req.param("id"), c.req.param("index"))));
  app.get("/api/address/:a", async (c) => c.json(await addressPage(ctx, c.req.param("a"))));
  app.get("/api/tx/:h", async (c) => c.json(await txPage(ctx, c.req.param("h"))));
  app.get("/api/block/:n", (c) => c.json(blockPage(ctx, c.req.param("n"))));
  app.get("/api/blocks", (c) => c.json(blocksFeed(ctx, q(c))));
  app.get("/api/txs", (c) => c.json(txsFeed(ctx, q(c))));
  app.get("/api/token", async (c) => c.json(await tokenPage(ctx, q(c))));
  app.get("/api/search", (c) => c.json(search(ctx, c.req.query("q") ?? "")));
  return app;
}

export function createExplorerServer(p: { ctx: ExplorerContext; logger?: ServerLogger; health?: Health }): ExplorerServer {
  const app = createApp(p.ctx, p);
  let server: ServerType | undefined;
  return {
    app,
    listen: (port, host = "127.0.0.1") =>
      new Promise((resolve, reject) => {
        const s = serve({ fetch: app.fetch, port, hostname: host }, (info: AddressInfo) => {
          resolve({ url: `http://${host.includes(":") ? `[${host}]` : host}:${info.port}`, port: info.port });
        });
        s.once("error", reject);
        s.on("clientError", (_e, socket) => socket.destroy());
        server = s;
      }),
    close: () =>
      new Promise((resolve) => {
        if (!server) return resolve();
        server.close(() => resolve());
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      }),
  };
}
