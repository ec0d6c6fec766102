import { serve, type ServerType } from "@hono/node-server";
import { Hono } from "hono";
import type { Logger } from "pino";
import { createLogger, errorLine } from "../runtime";
import { PoqError } from "../errors";
import { sleep } from "../chain/retry";
import { createHealth, HEALTH_REASONS, type Health, type HealthBoard } from "./health";
import { createMetrics, type Metrics } from "./metrics";
import type { IpfsNodesAnswer } from "../protocol/peerUrls";

/** What every daemon shares: its logger, metrics, health and shutdown signal (passed in, never global). */
export type Common = {
  logger: Logger;
  metrics: Metrics;
  /** This agent's idle and degraded reasons, shown at /healthz (see health.ts). */
  health: Health;
  signal: AbortSignal;
};

/** The `common` bag of one process: a logger, one metrics registry, one health board, the shutdown signal. */
export function createCommon(name: string, options: { level?: string; destination?: string | number; signal: AbortSignal }): Common & { health: HealthBoard } {
  const logger = createLogger(name, options);
  const metrics = createMetrics();
  // Every idle reason's gauge exists from start-up, at 0.
  for (const reason of Object.values(HEALTH_REASONS)) metrics.daemon.degraded.set({ reason }, 0);
  return { logger, metrics, health: createHealth(logger, metrics.daemon.degraded), signal: options.signal };
}

export type DaemonParameters = {
  name: string;
  common: Common & { health: HealthBoard };
  /** One unit of work: reads chain state and takes the next step(s). Must be safe to repeat. */
  tick: () => Promise<void>;
  intervalMs: number;
  /** HTTP port for /healthz and /metrics (0: any free port; undefined: no server). */
  port?: number;
  /** /healthz reports "no successful tick" when no tick succeeded for this long. */
  unhealthyAfterMs?: number;
  /** Called once after the loop stopped. */
  onStop?: () => Promise<void> | void;
  /** The process's IPFS nodes, served at `GET /v1/ipfs` (other daemons name this port as a peer URL). */
  ipfs?: () => Promise<IpfsNodesAnswer>;
};

export type Daemon = {
  /** Runs until the signal aborts; resolves after a graceful stop. */
  run(): Promise<void>;
  /** Resolves with the bound port once the HTTP server listens. */
  ready: Promise<number | undefined>;
};

/**
 * The daemon's HTTP surface (Hono): `GET /healthz` answers `{status, reasons}` with 200 when ok and 503 when
 * degraded; `GET /metrics` the Prometheus text of the registry; `GET /v1/ipfs` the process's IPFS nodes
 * (`{nodes: [{account, peerId, addresses}]}`, empty without an embedded node), what a peer URL resolves to.
 */
export function healthApp(p: { name: string; health: HealthBoard; metrics: Metrics; ipfs?: () => Promise<IpfsNodesAnswer> }): Hono {
  const app = new Hono();
  app.get("/healthz", (c) => {
    const report = p.health.report();
    return c.json({ ...report, daemon: p.name }, report.status === "ok" ? 200 : 503);
  });
  app.get("/metrics", async (c) => c.body(await p.metrics.registry.metrics(), 200, { "content-type": p.metrics.registry.contentType }));
  app.get("/v1/ipfs", async (c) => c.json(p.ipfs ? await p.ipfs() : { nodes: [] }));
  app.notFound((c) => c.json({ error: "not found" }, 404));
  return app;
}

/** A polling daemon: tick, sleep, repeat; errors are logged and counted, retryable or not, never fatal. */
export function createDaemon(p: DaemonParameters): Daemon {
  const { logger, metrics, signal, health } = p.common;
  const m = metrics.daemon;
  const labels = { daemon: p.name };
  m.ticks.inc(labels, 0);
  m.errors.inc(labels, 0);
  let lastOk = Date.now();
  const staleAfter = p.unhealthyAfterMs ?? Math.max(30_000, p.intervalMs * 20);
  health.check(() => {
    const age = Date.now() - lastOk;
    return age < staleAfter ? undefined : { reason: HEALTH_REASONS.noSuccessfulTick, detail: `last success ${Math.round(age / 1000)} s ago` };
  });
  let server: ServerType | undefined;
  let resolveReady!: (port: number | undefined) => void;
  const ready = new Promise<number | undefined>((r) => (resolveReady = r));

  function startServer() {
    if (p.port === undefined) return resolveReady(undefined);
    const app = healthApp({ name: p.name, health, metrics, ipfs: p.ipfs });
    server = serve({ fetch: app.fetch, port: p.port, hostname: "127.0.0.1" }, (info) => {
      logger.info({ port: info.port }, "http listening (/healthz, /metrics)");
      resolveReady(info.port);
    });
  }

  async function run() {
    startServer();
    logger.info({ interval_ms: p.intervalMs }, "started");
    while (!signal.aborted) {
      const stop = m.tickSeconds.startTimer(labels);
      try {
        await p.tick();
        lastOk = Date.now();
        m.ticks.inc(labels);
      } catch (e) {
        if (signal.aborted) break;
        const retryable = e instanceof PoqError ? e.retryable : true;
        m.errors.inc(labels);
        logger.warn({ err: errorLine(e), retryable }, "tick failed");
      }
      stop();
      try {
        await sleep(p.intervalMs, signal);
      } catch {
        break;
      }
    }
    await p.onStop?.();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    logger.info("stopped");
  }

  return { run, ready };
}

