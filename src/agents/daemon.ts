import http from "node:http";
import type { AddressInfo } from "node:net";
import pino, { type Logger } from "pino";
import { PoqError } from "../errors";
import { sleep } from "../chain/retry";
import { Metrics } from "./metrics";

/** What every daemon shares: its logger, metrics and shutdown signal (passed in, never global). */
export type Common = {
  logger: Logger;
  metrics: Metrics;
  signal: AbortSignal;
};

export function createLogger(name: string, options: { level?: string; destination?: string | number } = {}): Logger {
  const level = options.level ?? process.env.POQ_LOG_LEVEL ?? "info";
  const dest = options.destination ?? 1;
  return pino(
    { name, level, base: { daemon: name }, timestamp: pino.stdTimeFunctions.isoTime, formatters: { level: (label) => ({ level: label }) } },
    pino.destination({ dest, sync: true, mkdir: typeof dest === "string" }),
  );
}

export type DaemonParameters = {
  name: string;
  common: Common;
  /** One unit of work: reads chain state and takes the next step(s). Must be safe to repeat. */
  tick: () => Promise<void>;
  intervalMs: number;
  /** HTTP port for /healthz and /metrics (0: any free port; undefined: no server). */
  port?: number;
  /** /healthz fails when no tick succeeded for this long. */
  unhealthyAfterMs?: number;
  /** Called once after the loop stopped. */
  onStop?: () => Promise<void> | void;
};

export type Daemon = {
  /** Runs until the signal aborts; resolves after a graceful stop. */
  run(): Promise<void>;
  /** Resolves with the bound port once the HTTP server listens. */
  ready: Promise<number | undefined>;
};

/** A polling daemon: tick, sleep, repeat; errors are logged and counted, retryable or not, never fatal. */
export function createDaemon(p: DaemonParameters): Daemon {
  const { logger, metrics, signal } = p.common;
  let lastOk = Date.now();
  let server: http.Server | undefined;
  let resolveReady!: (port: number | undefined) => void;
  const ready = new Promise<number | undefined>((r) => (resolveReady = r));

  function startServer() {
    if (p.port === undefined) return resolveReady(undefined);
    server = http.createServer((req, res) => {
      if (req.url === "/healthz") {
        const age = Date.now() - lastOk;
        const ok = age < (p.unhealthyAfterMs ?? Math.max(30_000, p.intervalMs * 20));
        res.writeHead(ok ? 200 : 503, { "content-type": "application/json" });
        res.end(JSON.stringify({ ok, daemon: p.name, last_ok_ms_ago: age }));
      } else if (req.url === "/metrics") {
        res.writeHead(200, { "content-type": "text/plain; version=0.0.4" });
        res.end(metrics.render());
      } else {
        res.writeHead(404, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: "not found" }));
      }
    });
    server.listen(p.port, "127.0.0.1", () => {
      const port = (server!.address() as AddressInfo).port;
      logger.info({ port }, "http listening (/healthz, /metrics)");
      resolveReady(port);
    });
  }

  async function run() {
    startServer();
    logger.info({ interval_ms: p.intervalMs }, "started");
    while (!signal.aborted) {
      const t0 = Date.now();
      try {
        await p.tick();
        lastOk = Date.now();
        metrics.inc("ticks_total", "Completed daemon ticks", { daemon: p.name });
      } catch (e) {
        if (signal.aborted) break;
        const retryable = e instanceof PoqError ? e.retryable : true;
        metrics.inc("errors_total", "Tick errors", { daemon: p.name });
        logger.warn({ err: errorLine(e), retryable }, "tick failed");
      }
      metrics.set("tick_duration_ms", "Duration of the last tick", Date.now() - t0, { daemon: p.name });
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

/** First line of an error's message (viem errors are long). */
export function errorLine(e: unknown): string {
  const err = e as { shortMessage?: string; message?: string };
  return (err?.shortMessage ?? err?.message ?? String(e)).split("\n")[0];
}

/** An AbortController that aborts on SIGINT or SIGTERM; a second signal exits at once. */
export function shutdownSignal(logger?: Logger, graceMs = 10_000): AbortController {
  const ac = new AbortController();
  let count = 0;
  const handler = (sig: string) => {
    count++;
    if (count > 1) process.exit(130);
    logger?.info({ signal: sig, grace_ms: graceMs }, "shutting down");
    ac.abort();
    setTimeout(() => process.exit(1), graceMs).unref();
  };
  process.on("SIGINT", () => handler("SIGINT"));
  process.on("SIGTERM", () => handler("SIGTERM"));
  return ac;
}
