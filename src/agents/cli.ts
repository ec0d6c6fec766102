import path from "node:path";
import type { Command } from "commander";
import { InputError } from "../errors";
import { demoJson, renderDemo, runDemo } from "./demo";

const SAMPLES = ["qa-sample.jsonl", "summarization-sample.jsonl"].map((f) => path.join(__dirname, "..", "..", "data", "samples", f));

function positiveInt(name: string) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new InputError(`${name} must be a positive integer, got "${v}"`);
    return n;
  };
}

export function registerAgents(program: Command): void {
  program
    .command("demo")
    .description("run a whole network on an embedded chain (or --rpc): inference nodes, evaluators (3 adversarial), 2 relayers")
    .option("--rounds <n>", "rounds to settle", positiveInt("--rounds"), 3)
    .option("--tasks <n>", "tasks per round", positiveInt("--tasks"), 40)
    .option("--data <file...>", "logged-outputs files to replay", SAMPLES)
    .option("--rpc <url>", "use this node and the deployment from deploy/ instead of the embedded chain")
    .option("--store <dir>", "content store folder (default: a new temporary folder)")
    .option("--json", "print a machine-readable summary")
    .action(async (o) => {
      const summary = await runDemo({ rounds: o.rounds, tasksPerRound: o.tasks, dataFiles: o.data, rpcUrl: o.rpc, storeDir: o.store, progress: process.stderr });
      process.stdout.write(o.json ? `${demoJson(summary)}\n` : `${renderDemo(summary)}\n`);
      if (!summary.conserved) process.exitCode = 1;
    });
}
