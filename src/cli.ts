#!/usr/bin/env node
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
  // Set before the subcommands are added, so they inherit it: a usage error returns instead of exiting.
  program.exitOverride();
  registerAudit(program);
  registerSimulate(program);
  registerAgents(program);
  registerExplorer(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  return runProgram(buildProgram(), argv);
}

if (require.main === module) {
  main(process.argv).then((code) => {
    process.exitCode = code;
  });
}
