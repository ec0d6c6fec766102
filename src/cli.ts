#!/usr/bin/env node
import fs from "node:fs";
import path from "node:path";
import { Command } from "commander";
import { runProgram } from "./runtime";
import { registerAudit } from "./scoring/cli";
import { registerSimulate } from "./sim/cli";
import { registerAgents } from "./agents/cli";
import { registerExplorer } from "./explorer/cli";

/** Builds the `poq` command. Each subcommand lives beside its module and registers itself here. */
export function buildProgram(): Command {
  const program = new Command();
  program.name("poq").description("PoQ Settle: Proof-of-Quality reward settlement for decentralized LLM inference");
  program.showHelpAfterError();
  // The package's own version (package.json sits two folders up from src/ and from dist/src/ alike).
  program.version(packageVersion(), "-V, --version", "print the version of poq");
  // Set before the subcommands are added, so they inherit it: a usage error returns instead of exiting.
  program.exitOverride();
  registerAudit(program);
  registerSimulate(program);
  registerAgents(program);
  registerExplorer(program);
  return program;
}

function packageVersion(): string {
  for (const up of ["..", path.join("..", "..")]) {
    const file = path.join(__dirname, up, "package.json");
    if (fs.existsSync(file)) return (JSON.parse(fs.readFileSync(file, "utf8")) as { version: string }).version;
  }
  return "unknown";
}

export async function main(argv: string[]): Promise<number> {
  return runProgram(buildProgram(), argv);
}

if (require.main === module) {
  main(process.argv).then((code) => {
    process.exitCode = code;
  });
}
