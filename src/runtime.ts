import pino, { type Logger } from "pino";

/**
 * What every long-running command shares, whatever its layer (daemons, explorer): a JSON logger (pino, snake_case
 * keys), one-line error text, and a shutdown signal on SIGINT/SIGTERM with a grace period.
 */

export function createLogger(name: string, options: { level?: string; destination?: string | number } = {}): Logger {
  const level = options.level ?? process.env.POQ_LOG_LEVEL ?? "info";
  const dest = options.destination ?? 1;
  return pino(
    { name, level, base: { daemon: name }, timestamp: pino.stdTimeFunctions.isoTime, formatters: { level: (label) => ({ level: label }) } },
    pino.destination({ dest, sync: true, mkdir: typeof dest === "string" }),
  );
}

/** First line of an error's message (viem errors are long). */
export function errorLine(e: unknown): string {
  const err = e as { shortMessage?: string; message?: string };
  return (err?.shortMessage ?? err?.message ?? String(e)).split("\n")[0];
}

/** An AbortController that aborts on SIGINT or SIGTERM; a second signal exits at once. */
export function shutdownSignal(logger?: Logger, ac = new AbortController(), graceMs = 10_000): AbortController {
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
