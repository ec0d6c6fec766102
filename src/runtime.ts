import type { Command } from "commander";
import pino, { type Logger } from "pino";
import { errorLine, PoqError } from "./errors";

export { errorLine };

/**
 * What every command shares, whatever its layer (the `poq` CLI, the daemons, the explorer, scripts and benchmarks):
 * a JSON logger (pino, snake_case keys), one-line error text, a shutdown signal on SIGINT/SIGTERM with a grace
 * period, and one way to run a commander program: bad input prints a clear message and exits with code 2, never a
 * stack trace.
 */

export function createLogger(name: string, options: { level?: string; destination?: string | number } = {}): Logger {
  const level = options.level ?? process.env.POQ_LOG_LEVEL ?? "info";
  const dest = options.destination ?? 1;
  return pino(
    { name, level, base: { daemon: name }, timestamp: pino.stdTimeFunctions.isoTime, formatters: { level: (label) => ({ level: label }) } },
    pino.destination({ dest, sync: true, mkdir: typeof dest === "string" }),
  );
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

/** Prints a PoqError as a clear message (no stack trace) and returns the exit code: 2 for bad input, 1 otherwise. */
export function reportError(e: unknown): number {
  if (e instanceof PoqError) {
    process.stderr.write(`error: ${e.shortMessage}\n${e.details ? `  ${e.details}\n` : ""}`);
    return 2;
  }
  const err = e as { code?: string; message?: string };
  // commander has printed its own usage error already
  if (typeof err?.code === "string" && err.code.startsWith("commander.")) return 2;
  process.stderr.write(`error: unexpected failure: ${errorLine(e)}\n`);
  if (process.env.POQ_DEBUG) process.stderr.write(`${(e as Error)?.stack ?? ""}\n`);
  return 1;
}

/**
 * Parses `argv` with `program` and runs its action; returns the exit code (0, 2 for bad input, 1 for a failure).
 * Call `program.exitOverride()` before adding subcommands so that they inherit it.
 */
export async function runProgram(program: Command, argv: readonly string[] = process.argv): Promise<number> {
  program.exitOverride();
  try {
    await program.parseAsync([...argv]);
    return 0;
  } catch (e) {
    const code = (e as { code?: string })?.code;
    if (code === "commander.helpDisplayed" || code === "commander.version" || code === "commander.help") return 0;
    return reportError(e);
  }
}

/**
 * Runs a script's program and exits once it is done (scripts and benchmarks end here, so open handles such as an
 * in-process chain do not keep them alive): with the program's error code, else with the exit code its action set.
 */
export function runScript(program: Command): void {
  runProgram(program).then((code) => process.exit(code !== 0 ? code : Number(process.exitCode ?? 0)));
}
