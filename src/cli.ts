#!/usr/bin/env node
import { Command } from "commander";
import { PoqError } from "./errors";
import { registerAudit } from "./scoring/cli";
import { registerSimulate } from "./sim/cli";
import { registerAgents } from "./agents/cli";
import { registerExplorer } from "./explorer/cli";

/** Builds the `poq` command. Each subcommand lives beside its module and registers itself here. */
export function buildProgram(): Command {
  const program = new Command();
  program.name("poq").description("PoQ Settle: Proof-of-Quality reward settlement for decentralized LLM inference");
  program.showHelpAfterError();
  // Set before the subcommands are added, so they inherit it: a usage error returns instead of exiting.
  program.exitOverride();
  registerAudit(program);
  registerSimulate(program);
  registerAgents(program);
  registerExplorer(program);
  return program;
}

/** Prints a PoqError as a clear message (no stack trace) and sets a non-zero exit code. */
export function reportError(e: unknown): number {
  if (e instanceof PoqError) {
    process.stderr.write(`error: ${e.shortMessage}\n${e.details ? `  ${e.details}\n` : ""}`);
    return 2;
  }
  const err = e as { code?: string; message?: string };
  if (typeof err?.code === "string" && err.code.startsWith("commander.")) return 2;
  process.stderr.write(`error: unexpected failure: ${err?.message ?? String(e)}\n`);
  if (process.env.POQ_DEBUG) process.stderr.write(`${(e as Error)?.stack ?? ""}\n`);
  return 1;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (e) {
    const err = e as { code?: string; exitCode?: number };
    if (err?.code === "commander.helpDisplayed" || err?.code === "commander.version") return 0;
    return reportError(e);
  }
}

if (require.main === module) {
  main(process.argv).then((code) => {
    process.exitCode = code;
  });
}
