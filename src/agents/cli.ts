import path from "node:path";
import type { Command } from "commander";
import { formatUnits, isAddress, type Address } from "viem";
import { connect } from "../chain/client";
import { loadDeployment, verifyDeployment } from "../chain/deployment";
import { InputError } from "../errors";
import { claimRewards, fundRound } from "./claim";
import { resolveConfig, tokenAmount, type AgentSpec } from "./config";
import { createLogger, type Common } from "./daemon";
import { demoJson, renderDemo, runDemo } from "./demo";
import { Metrics } from "./metrics";
import { runAgents } from "./run";
import { ContentStore } from "../protocol/store";
import { senderFor } from "./system";

const SAMPLES = ["qa-sample.jsonl", "summarization-sample.jsonl"].map((f) => path.join(__dirname, "..", "..", "data", "samples", f));

function positiveInt(name: string) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new InputError(`${name} must be a positive integer, got "${v}"`);
    return n;
  };
}

function tokenUnits(name: string) {
  return (v: string) => tokenAmount(name, v);
}

/** Options every daemon shares; they override the config file and the environment. */
function daemonOptions(c: Command): Command {
  return c
    .option("--config <file>", "JSON config file (then environment POQ_*, then these flags)")
    .option("--rpc <url>", "JSON-RPC URL (POQ_RPC_URL)")
    .option("--deployment <file>", "deployment addresses file (default: deploy/deployments/chain-<id>/deployed_addresses.json)")
    .option("--store <dir>", "content store folder (POQ_STORE)")
    .option("--data-dir <dir>", "folder for SQLite checkpoints (POQ_DATA)")
    .option("--key <hex>", "private key (POQ_PRIVATE_KEY)")
    .option("--dev-account <n>", "use development account n of the local Hardhat mnemonic instead of --key")
    .option("--confirmations <n>", "blocks to wait after inclusion")
    .option("--poll-ms <n>", "polling interval")
    .option("--port <n>", "port for /healthz and /metrics")
    .option("--log-level <level>", "pino level (info, debug, warn)");
}

function flagsOf(o: Record<string, unknown>) {
  return {
    rpcUrl: o.rpc,
    deploymentFile: o.deployment,
    storeDir: o.store,
    dataDir: o.dataDir,
    key: o.key,
    devAccount: o.devAccount,
    confirmations: o.confirmations,
    pollMs: o.pollMs,
    port: o.port,
    logLevel: o.logLevel,
    behavior: o.behavior,
    models: o.models,
    registrar: o.registrar,
    replay: o.replay,
    window: o.window,
    stake: o.stake,
    useReferences: o.useReferences,
    profileFile: o.profile,
    policyFile: o.policy,
    goldPoolFile: o.goldPool,
    maxTasksPerRound: o.maxTasks,
    minTasks: o.minTasks,
    maxRounds: o.maxRounds,
  };
}

function daemonCommand(program: Command, type: AgentSpec["type"] | "agents", description: string, extra: (c: Command) => Command) {
  const c = daemonOptions(program.command(type).description(description));
  extra(c).action(async (o) => {
    const cfg = resolveConfig({ file: o.config, flags: flagsOf(o), single: type === "agents" ? undefined : type });
    await runAgents(cfg, type === "agents" ? "poq-agents" : `poq-${type}`);
  });
}

/** A one-shot connection for commands that send a transaction or two. */
async function oneShot(o: Record<string, unknown>) {
  const cfg = resolveConfig({ file: o.config as string | undefined, flags: flagsOf(o), single: "relayer" });
  const clients = await connect({ rpcUrl: cfg.rpcUrl });
  const deployment = loadDeployment({ chainId: clients.chain.id, file: cfg.deploymentFile });
  await verifyDeployment(clients.publicClient, deployment);
  const common: Common = { logger: createLogger("poq", { level: "warn", destination: 2 }), metrics: new Metrics(), signal: new AbortController().signal };
  const sender = senderFor(clients, cfg.agents[0].key, common, cfg.confirmations);
  return { cfg, clients, deployment, sender };
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
    .option("--profile <file>", 'the evaluators\' quality profile (default: config/local/profile.json): a file from poq audit --save-profile, or "default" for the uncalibrated one')
    .option("--json", "print a machine-readable summary")
    .action(async (o) => {
      const summary = await runDemo({ rounds: o.rounds, tasksPerRound: o.tasks, dataFiles: o.data, rpcUrl: o.rpc, storeDir: o.store, progress: process.stderr, profile: o.profile });
      process.stdout.write(o.json ? `${demoJson(summary)}\n` : `${renderDemo(summary)}\n`);
      if (!summary.conserved) process.exitCode = 1;
    });

  daemonCommand(program, "relayer", "watch the chain and drive every round: register batches, assign, settle, finalize", (c) =>
    c
      .option("--registrar", "form task batches from pending outputs and open rounds")
      .option("--policy <file>", "settlement policy overrides (JSON), e.g. config/local/policy.json")
      .option("--gold-pool <file>", "registrar: the gold pool to mix hidden gold tasks from, e.g. data/gold/local-pool.json")
      .option("--max-tasks <n>", "tasks per round at most")
      .option("--min-tasks <n>", "open a round only when this many outputs wait")
      .option("--max-rounds <n>", "stop opening rounds after this many exist (0: no limit)"),
  );
  daemonCommand(program, "evaluator", "stake, score assigned outputs, commit and reveal each round", (c) =>
    c
      .option("--behavior <name>", "honest (default), never-reveal, or an attack model: boosting, sabotage, noise, intermittent, collusion, lazy, copycat")
      .option("--stake <tokens>", "stake to hold as evaluator")
      .option("--profile <file>", "calibration profile (from poq audit)")
      .option("--use-references", "score against references where outputs carry them"),
  );
  daemonCommand(program, "inference", "stake and serve outputs into the content store (built-in source: replay a logged-outputs file)", (c) =>
    c
      .option("--replay <files>", "logged-outputs files to replay (comma-separated)")
      .option("--models <list>", "models of the file this node serves (comma-separated)")
      .option("--window <n>", "outputs waiting for a batch at most")
      .option("--stake <tokens>", "stake to hold as inference node"),
  );
  daemonCommand(program, "agents", "run several agents from a config file's \"agents\" list in one process", (c) => c);

  daemonOptions(program.command("claim").description("claim rewards with the proofs published by the relayers (for any account)"))
    .option("--account <address...>", "accounts to claim for (default: every account owed something)")
    .action(async (o) => {
      for (const a of o.account ?? []) if (!isAddress(a)) throw new InputError(`malformed address "${a}"`);
      const { cfg, clients, deployment, sender } = await oneShot(o);
      const results = await claimRewards({ clients, deployment, store: new ContentStore(cfg.storeDir), sender, accounts: o.account as Address[] | undefined });
      for (const r of results) {
        process.stdout.write(`${r.account}  ${r.paid > 0n ? `claimed ${formatUnits(r.paid, 18)}` : "nothing to claim"}  (cumulative ${formatUnits(r.cumulativeAmount, 18)})${r.txHash ? `  tx ${r.txHash}` : ""}\n`);
      }
    });

  daemonOptions(program.command("fund").description("fund a round's inference and evaluator pools from the sender's tokens"))
    .requiredOption("--round <id>", "round id", positiveInt("--round"))
    .requiredOption("--inference <tokens>", "inference pool", tokenUnits("--inference"))
    .requiredOption("--evaluator <tokens>", "evaluator pool", tokenUnits("--evaluator"))
    .action(async (o) => {
      const { deployment, sender } = await oneShot(o);
      const receipt = await fundRound({ deployment, sender, roundId: BigInt(o.round), inference: o.inference, evaluator: o.evaluator });
      process.stdout.write(`funded round ${o.round}: tx ${receipt.transactionHash}\n`);
    });
}

