import fs from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { formatUnits, type Address, type EIP1193Provider } from "viem";
import { connect } from "../chain/client";
import { checkTokenDecimals, loadDeployment, TOKEN_DECIMALS, verifyDeployment, type Deployment } from "../chain/deployment";
import { serveRpc } from "../chain/devnet";
import { shutdownSignal } from "../runtime";
import { InputError } from "../errors";
import { address, int, oneOf, option, tokenAmount } from "../schema";
import { claimRewards, fundRound } from "./claim";
import { FLAGS, LOG_LEVELS, resolveConfig, type AgentSpec } from "./config";
import { createCommon } from "./daemon";
import { demoJson, renderDemo, runDemo } from "./demo";
import { openDaemonContent, runAgents } from "./run";
import { ContentStore } from "../protocol/store";
import { contentOptions } from "../protocol/contentSettings";
import { senderFor } from "./system";

const SAMPLES = ["qa-sample.jsonl", "summarization-sample.jsonl"].map((f) => path.join(__dirname, "..", "..", "data", "samples", f));

/**
 * Options every daemon shares; they override the config file and the environment. One-shot commands (claim, fund)
 * get only those they use: no checkpoints, polling or HTTP port.
 */
function daemonOptions(c: Command, oneShot = false, usesStore = true): Command {
  c
    .option("--config <file>", "JSON config file (then environment POQ_*, then these flags)")
    .option("--rpc <url>", "JSON-RPC URL (POQ_RPC_URL)")
    .option("--deployment <file>", "deployment addresses file (default: deploy/deployments/chain-<id>/deployed_addresses.json)");
  if (usesStore) c.option("--store <dir>", "content store folder (POQ_STORE)");
  c
    .option("--key <hex>", "private key (POQ_PRIVATE_KEY)")
    .option("--keystore <file>", "encrypted JSON keystore instead of --key (POQ_KEYSTORE); password from --password-file or POQ_KEYSTORE_PASSWORD")
    .option("--password-file <file>", "file whose first line is the keystore password (POQ_KEYSTORE_PASSWORD_FILE)")
    .option("--dev-account <n>", "use development account n of the local Hardhat mnemonic instead of --key or --keystore")
    .option("--confirmations <n>", "blocks to wait after inclusion");
  if (oneShot) return usesStore ? contentOptions(c) : c;
  return contentOptions(
    c
      .option("--data-dir <dir>", "folder for SQLite checkpoints (POQ_DATA)")
      .option("--poll-ms <n>", "polling interval")
      .option("--port <n>", "port for /healthz and /metrics")
      .option("--log-level <level>", `log level: ${LOG_LEVELS.join(", ")} (POQ_LOG_LEVEL, default info)`),
  );
}

/** The settings given as flags: each setting's flag (FLAGS) read back under commander's attribute name. */
function flagsOf(o: Record<string, unknown>): Record<string, unknown> {
  const attribute = (flag: string) => flag.replace(/^--/, "").replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
  return Object.fromEntries(Object.entries(FLAGS).map(([setting, flag]) => [setting, o[attribute(flag)]]));
}

/** The daemons that pin content (relayers, inference nodes) unpin it past the recomputation horizon. */
function pinOptions(c: Command): Command {
  return c.option("--pin-horizon <seconds>", "keep content pinned this long after its round closed; at least the chain's horizon (unbonding period + longest round), the default (POQ_PIN_HORIZON)");
}

function daemonCommand(program: Command, type: AgentSpec["type"] | "agents", description: string, extra: (c: Command) => Command) {
  const c = daemonOptions(program.command(type).description(description));
  if (type === "relayer" || type === "inference" || type === "agents") pinOptions(c);
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
  await checkTokenDecimals(clients.publicClient, deployment);
  const common = createCommon("poq", { level: "warn", destination: 2, signal: new AbortController().signal });
  const sender = senderFor(clients, cfg.agents[0].key, common, cfg.confirmations);
  return { cfg, clients, deployment, sender };
}

/**
 * The embedded chain of `poq demo` is Hardhat's network, deployed with the Ignition module of deploy/: both come with
 * a checkout of the repository (Hardhat is a development dependency), not with the installed package.
 */
function requireCheckout(): void {
  const module = path.join(__dirname, "..", "..", "deploy", "modules", "PoQLocal.ts");
  let hardhat = true;
  try {
    require.resolve("hardhat");
  } catch {
    hardhat = false;
  }
  if (!hardhat || !fs.existsSync(module)) {
    throw new InputError(
      "poq demo needs a checkout of the repository: its embedded chain is Hardhat (a development dependency) with the contracts and deploy/ module, which the installed package does not ship; run it from a checkout after `npm ci`, or use --rpc with a node where the contracts are deployed",
    );
  }
}

export function registerAgents(program: Command): void {
  program
    .command("demo")
    .description("run a whole network on an embedded chain (or --rpc): inference nodes, evaluators (3 adversarial), 2 relayers")
    .option("--rounds <n>", "rounds to settle", option(int(1), "--rounds"), 3)
    .option("--tasks <n>", "tasks per round", option(int(1), "--tasks"), 40)
    .option("--data <file...>", "logged-outputs files to replay", SAMPLES)
    .option("--rpc <url>", "use this node and the deployment from deploy/ instead of the embedded chain")
    .option("--store <dir>", "content store folder (default: a new temporary folder)")
    .option("--content <kind>", "helia (default): a store folder and an embedded IPFS node per agent, on 127.0.0.1 (content reaches the others only over IPFS); folder: one store folder shared by every agent", option(oneOf(["helia", "folder"] as const, "content kind"), "--content"), "helia")
    .option("--profile <file>", 'the evaluators\' quality profile (default: config/local/profile.json): a file from poq audit --save-profile, or "default" for the uncalibrated one')
    .option("--json", "print a machine-readable summary")
    .option("--serve <port>", "then keep the embedded chain and serve it over JSON-RPC on 127.0.0.1:<port> (0: a free port) until SIGINT or SIGTERM, for poq explorer --rpc; writes the addresses to <store>/deployment.json", option(int(0, 65_535), "--serve"))
    .action(async (o) => {
      if (o.serve !== undefined && o.rpc) throw new InputError("--serve serves the embedded chain; leave out --rpc");
      if (!o.rpc) requireCheckout();
      let deployment: Deployment | undefined;
      const summary = await runDemo({
        rounds: o.rounds,
        tasksPerRound: o.tasks,
        dataFiles: o.data,
        rpcUrl: o.rpc,
        storeDir: o.store,
        progress: process.stderr,
        profile: o.profile,
        content: o.content,
        onChain: (c) => void (deployment = c.deployment),
      });
      process.stdout.write(o.json ? `${demoJson(summary)}\n` : `${renderDemo(summary)}\n`);
      if (!summary.conserved) process.exitCode = 1;
      if (o.serve === undefined || !deployment) return;
      const deploymentFile = path.join(summary.storeDir, "deployment.json");
      const { token, vault, distributor, settlement, config, challenges, timelock } = deployment;
      fs.writeFileSync(deploymentFile, `${JSON.stringify({ token, vault, distributor, settlement, config, challenges, timelock }, null, 2)}\n`);
      // The embedded chain is this process's Hardhat network.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const rpc = await serveRpc((require("hardhat") as { network: { provider: EIP1193Provider } }).network.provider, o.serve);
      process.stderr.write(`serving the chain on ${rpc.url} (deployment: ${deploymentFile}); stop with Ctrl-C\n`);
      const signal = shutdownSignal().signal;
      await new Promise((r) => signal.addEventListener("abort", r, { once: true }));
      await rpc.close();
    });

  daemonCommand(program, "relayer", "watch the chain and drive every round: register batches, assign, settle, finalize", (c) =>
    c
      .option("--registrar", "form task batches from pending outputs and open rounds")
      .option("--policy <file>", "settlement policy overrides (JSON), e.g. config/local/policy.json")
      .option("--gold-pool <file>", "registrar: the gold pool to mix hidden gold tasks from, e.g. data/gold/local-pool.json")
      .option("--max-tasks <n>", "tasks per round at most")
      .option("--min-tasks <n>", "open a round only when this many outputs wait")
      .option("--max-rounds <n>", "stop opening rounds after this many exist (0: no limit)")
      .option("--max-open-rounds <n>", "rounds open at once at most (1..16, default 2)")
      .option("--turn-grace-ms <ms>", "shared steps (finalize, cancel, non-reveal slash) of a round another relayer leads: wait this long for it first (default 4000)")
      .option("--announce-port <n>", "port of the announcement API (POST /v1/announce on 127.0.0.1) staked inference nodes announce outputs to (POQ_ANNOUNCE_PORT)"),
  );
  daemonCommand(program, "evaluator", "stake, score assigned outputs, commit and reveal each round", (c) =>
    c
      .option("--behavior <name>", "honest (default), never-reveal, or an attack model: boosting, sabotage, noise, intermittent, collusion, lazy, copycat")
      .option("--stake <tokens>", "stake to hold as evaluator")
      .option("--profile <file>", "calibration profile (from poq audit)")
      .option("--use-references", "score against references where outputs carry them")
      .option("--announce <urls>", "relayers' announcement API URLs each signed reveal is also sent to (POST /v1/reveal; comma-separated; POQ_ANNOUNCE)"),
  );
  daemonCommand(program, "inference", "stake and serve outputs: replay a logged-outputs file, or answer POST /v1/chat/completions in front of --backend", (c) =>
    c
      .option("--replay <files>", "logged-outputs files to replay (comma-separated); with --backend replay, the outputs the replay backend serves")
      .option("--backend <url>", 'OpenAI-compatible backend the query API fronts (vLLM, llama.cpp server, Ollama, a hosted API), or "replay" (POQ_BACKEND_URL)')
      .option("--serve-port <n>", "port of the query API, POST /v1/chat/completions on 127.0.0.1 (POQ_SERVE_PORT)")
      .option("--fanout <urls>", "peer nodes' query API URLs each query is also sent to, for the agreement dimension (comma-separated)")
      .option("--fanout-count <n>", "peers each query goes to (default: all of --fanout)")
      .option("--announce <urls>", "relayers' announcement API URLs each output is announced to, signed (comma-separated; POQ_ANNOUNCE)")
      .option("--models <list>", "models of the file this node serves (comma-separated)")
      .option("--window <n>", "outputs waiting for a batch at most")
      .option("--stake <tokens>", "stake to hold as inference node"),
  );
  daemonCommand(program, "agents", "run several agents from a config file's \"agents\" list in one process", (c) => c);

  daemonOptions(program.command("claim").description("claim rewards with the proofs published by the relayers (for any account)"), true)
    .option("--account <address...>", "accounts to claim for (default: every account owed something)", (v: string, previous: Address[] = []) => [...previous, option(address(), "--account")(v)])
    .action(async (o) => {
      const { cfg, clients, deployment, sender } = await oneShot(o);
      // The proofs come from the store, else from the payloads the relayers point to on chain, fetched through the
      // configured content backend (an IPFS node with --content helia: no shared folder needed).
      const store = new ContentStore(cfg.storeDir);
      const content = await openDaemonContent({ content: cfg.content }, store);
      try {
        const results = await claimRewards({ clients, deployment, store, content, sender, accounts: o.account as Address[] | undefined });
        for (const r of results) {
          process.stdout.write(`${r.account}  ${r.paid > 0n ? `claimed ${formatUnits(r.paid, TOKEN_DECIMALS)}` : "nothing to claim"}  (cumulative ${formatUnits(r.cumulativeAmount, TOKEN_DECIMALS)})${r.txHash ? `  tx ${r.txHash}` : ""}\n`);
        }
      } finally {
        await content.close();
      }
    });

  daemonOptions(program.command("fund").description("fund a round's inference and evaluator pools from the sender's tokens (a registered round or the next one)"), true, false)
    .requiredOption("--round <id>", "round id", option(int(1), "--round"))
    .requiredOption("--inference <tokens>", "inference pool", option(tokenAmount(TOKEN_DECIMALS), "--inference"))
    .requiredOption("--evaluator <tokens>", "evaluator pool", option(tokenAmount(TOKEN_DECIMALS), "--evaluator"))
    .action(async (o) => {
      const { clients, deployment, sender } = await oneShot(o);
      const receipt = await fundRound({ client: clients.publicClient, deployment, sender, roundId: BigInt(o.round), inference: o.inference, evaluator: o.evaluator });
      process.stdout.write(`funded round ${o.round}: tx ${receipt.transactionHash}\n`);
    });
}

