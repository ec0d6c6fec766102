import fs from "node:fs";
import path from "node:path";
import { InputError } from "../errors";
import { getAddress, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { connect } from "../chain/client";
import { checkTokenDecimals, loadDeployment, verifyDeployment } from "../chain/deployment";
import { readLoggedOutputs } from "../data/read";
import { defaultProfile } from "../scoring/profile";
import { loadProfile } from "../data/scoringFiles";
import { openBoundCheckpoint, type Checkpoint } from "./checkpoint";
import type { AgentSpec, DaemonConfig } from "./config";
import { createCommon, createDaemon, type Common } from "./daemon";
import { errorLine, shutdownSignal } from "../runtime";
import { createEvaluator } from "./evaluator";
import { createFunder } from "./funder";
import { createInference, NO_SOURCE, replaySource } from "./inference";
import { httpBackend, replayBackend, startServe } from "./serve";
import { createAnnouncer, createRevealSender, startAnnounce } from "./announce";
import { stakedInference } from "./outputs";
import { loadPolicy } from "./policy";
import { createRelayer, policyHash } from "./relayer";
import { ContentStore } from "../protocol/store";
import type { IpfsNodesAnswer } from "../protocol/peerUrls";
import type { Content } from "../protocol/content";
import { openStoreContent } from "../protocol/openContent";
import { checkGoldPool, type GoldPoolFile } from "../protocol/gold";
import { createAllotmentWatcher } from "./watcher";
import { senderFor } from "./system";
import { readHorizonParams } from "../chain/reader";
import { resolveHorizon } from "./unpin";

/**
 * Runs the configured agents in one process until SIGINT or SIGTERM: one polling loop ticks each agent in turn; an
 * agent's failure is logged and counted and never stops the others.
 */
export async function runAgents(cfg: DaemonConfig, name: string, options: { signal?: AbortSignal } = {}): Promise<void> {
  const shutdown = new AbortController();
  const common = createCommon(name, { level: cfg.logLevel, signal: options.signal ?? shutdown.signal });
  const { logger } = common;
  if (!options.signal) shutdownSignal(logger, shutdown);
  const clients = await connect({ rpcUrl: cfg.rpcUrl });
  const deployment = loadDeployment({ chainId: clients.chain.id, file: cfg.deploymentFile });
  await verifyDeployment(clients.publicClient, deployment);
  await checkTokenDecimals(clients.publicClient, deployment);
  const contents = daemonContents(cfg, logger);
  try {
    await runWith(cfg, name, { common, clients, deployment, contents });
  } finally {
    await contents.close();
  }
}

/** The daemon's content backend (`cfg.content`): see `openStoreContent`. */
export const openDaemonContent = (cfg: Pick<DaemonConfig, "content">, store: ContentStore): Promise<Content> => openStoreContent(cfg.content, store);

/** `addr` with its TCP port moved up by `n` (port 0, any free port, stays 0). */
function shiftPort(addr: string, n: number): string {
  return addr.replace(/\/tcp\/(\d+)/, (m, port: string) => (port === "0" ? m : `/tcp/${Number(port) + n}`));
}

/**
 * The stores and content backends of a process's agents. With an embedded IPFS node (`helia`) and more than one
 * agent that publishes or reads content, each of them gets a node and a store folder of its own,
 * `<content dir>/<address>` and `<storeDir>/<address>` (fixed listen ports counted up from the configured one, in the
 * order of the agents): agents may share a process, never a node or a blockstore. Otherwise the agents share the
 * process's store and backend, opened once. Each backend opened is logged with the addresses peers dial.
 */
export function daemonContents(cfg: Pick<DaemonConfig, "content" | "storeDir" | "agents">, logger: { info: (o: object, msg: string) => void; warn: (o: object, msg: string) => void }) {
  const users = cfg.agents.filter((a) => a.type !== "funder");
  const perAgent = cfg.content.kind === "helia" && users.length > 1;
  const opened: Content[] = [];
  /** The embedded IPFS nodes opened, for `GET /v1/ipfs`. */
  const nodes: { account?: string; content: Content }[] = [];
  let shared: Promise<{ store: ContentStore; content: Content }> | undefined;
  async function open(storeDir: string, content: DaemonConfig["content"], account?: string) {
    const store = new ContentStore(storeDir);
    const c = await openDaemonContent({ content }, store);
    opened.push(c);
    const info = await c.info();
    logger.info({ ...(account ? { account } : {}), content: info.kind, peer_id: info.peerId, addresses: info.addresses }, "content backend ready");
    if (info.kind === "helia" && info.peerId) nodes.push({ ...(account ? { account } : {}), content: c });
    return { store, content: c };
  }
  return {
    perAgent,
    /** The store and backend of one agent. */
    forAgent(spec: AgentSpec): Promise<{ store: ContentStore; content: Content }> {
      if (!perAgent || cfg.content.kind !== "helia") return (shared ??= open(cfg.storeDir, cfg.content));
      const c = cfg.content;
      const account = senderAccount(spec.key);
      const id = account.toLowerCase();
      const i = (users as AgentSpec[]).indexOf(spec);
      return open(path.join(cfg.storeDir, id), { ...c, dir: path.join(c.dir, id), listen: c.listen.map((a) => shiftPort(a, Math.max(0, i))) }, account);
    },
    /** The embedded IPFS nodes opened so far, with their current addresses (what `GET /v1/ipfs` serves). */
    async ipfs(): Promise<IpfsNodesAnswer> {
      const out: IpfsNodesAnswer["nodes"] = [];
      for (const n of nodes) {
        const info = await n.content.info();
        out.push({ ...(n.account ? { account: n.account } : {}), peerId: info.peerId!, addresses: info.addresses ?? [] });
      }
      return { nodes: out };
    },
    async close() {
      await Promise.all(opened.map((c) => c.close().catch((e) => logger.warn({ err: errorLine(e) }, "closing a content backend failed"))));
    },
  };
}

async function runWith(
  cfg: DaemonConfig,
  name: string,
  p: { common: ReturnType<typeof createCommon>; clients: Awaited<ReturnType<typeof connect>>; deployment: ReturnType<typeof loadDeployment>; contents: ReturnType<typeof daemonContents> },
): Promise<void> {
  const { common, clients, deployment, contents } = p;
  // The shared backend opens at start (and says where it listens) even before any agent needs it.
  if (!contents.perAgent && cfg.agents[0]) await contents.forAgent(cfg.agents[0]);
  const { logger, metrics, health, signal } = common;
  const checkpoints: Checkpoint[] = [];
  // Bound to this chain and deployment: state of another chain (or an earlier run of this one) is dropped.
  const checkpointFor = async (kind: string, key: Hex) => {
    const addr = senderAccount(key);
    const file = path.join(cfg.dataDir, `${kind}-${addr.toLowerCase()}.sqlite`);
    const { checkpoint: c } = await openBoundCheckpoint(file, { client: clients.publicClient, chainId: clients.chain.id, deployment, log: logger });
    checkpoints.push(c);
    return c;
  };
  const items = cfg.replay.flatMap((f) => readLoggedOutputs(f, { requireLabel: false }));
  const profile = cfg.profileFile ? loadProfile(cfg.profileFile) : defaultProfile();
  const policy = loadPolicy(cfg.policyFile);
  const goldPool = cfg.goldPoolFile ? checkGoldPool(readJsonFile<GoldPoolFile>(cfg.goldPoolFile, "gold pool")) : undefined;

  // An operator's pin horizon may only lengthen the chain's: a shorter one stops the daemon at start (exit code 2).
  if (cfg.pinHorizon !== undefined) resolveHorizon(await readHorizonParams(clients.publicClient, deployment), cfg.pinHorizon, "pinHorizon (--pin-horizon)");
  const ticks: { label: string; tick: () => Promise<void> }[] = [];
  const servers: { close: () => Promise<void> }[] = [];
  const unpinners: { idle: () => Promise<void> }[] = [];
  for (const spec of cfg.agents) {
    const agentLogger = logger.child({ agent: spec.type, account: senderAccount(spec.key) });
    const agentCommon: Common = { logger: agentLogger, metrics, health: health.scope(`${spec.type} ${senderAccount(spec.key)}`, agentLogger), signal };
    const sender = senderFor(clients, spec.key, agentCommon, cfg.confirmations);
    if (spec.type === "funder") {
      const f = createFunder({ common: agentCommon, clients, deployment, sender, config: spec });
      ticks.push({ label: `funder ${sender.account}`, tick: f.tick });
      continue;
    }
    const { store, content } = await contents.forAgent(spec);
    /** What every agent of this key is built from. */
    const base = { common: agentCommon, clients, deployment, store, content, sender };
    if (spec.type === "relayer") {
      const r = createRelayer({
        ...base,
        privateKey: spec.key,
        policy,
        checkpoint: await checkpointFor("relayer", spec.key),
        config: {
          registrar: spec.registrar,
          maxTasksPerRound: cfg.maxTasksPerRound,
          minTasks: cfg.minTasks,
          maxRounds: cfg.maxRounds,
          maxOpenRounds: cfg.maxOpenRounds,
          turnGraceMs: cfg.turnGraceMs,
          goldPool: spec.registrar ? goldPool : undefined,
          pinHorizon: cfg.pinHorizon,
        },
      });
      ticks.push({ label: `relayer ${sender.account}`, tick: r.tick });
      unpinners.push(r.unpinner);
      if (cfg.announcePort !== undefined) {
        const port = cfg.announcePort === 0 ? 0 : cfg.announcePort + servers.length;
        const s = await startAnnounce({ port, store, domain: { chainId: clients.chain.id, settlement: deployment.settlement }, isStaked: stakedInference(clients, deployment), logger: agentLogger });
        servers.push(s);
        agentLogger.info({ port: s.port }, "announcement API listening (POST /v1/announce)");
      }
      agentCommon.logger.info({ policy_hash: policyHash(policy), params_version: policy.paramsVersion }, "relayer policy (pin it on chain with setParams.policyHash)");
    } else if (spec.type === "evaluator") {
      const e = createEvaluator({
        ...base,
        privateKey: spec.key,
        profile,
        checkpoint: await checkpointFor("evaluator", spec.key),
        config: { behavior: spec.behavior, stake: cfg.stake, useReferences: cfg.useReferences },
        // With relayers to announce to, signed reveals go to their API too.
        reveals: cfg.announceTo.length ? createRevealSender({ relayers: cfg.announceTo, logger: agentLogger, timeoutMs: 2_000 }) : undefined,
      });
      ticks.push({ label: `evaluator ${sender.account}`, tick: e.tick });
      ticks.push({ label: `watcher ${sender.account}`, tick: createAllotmentWatcher(base).tick });
    } else {
      const me = senderAccount(spec.key);
      // With relayers to announce to, the node's own pending queue holds what some relayer has not accepted yet.
      const announcer = cfg.announceTo.length ? createAnnouncer({ relayers: cfg.announceTo, logger: agentLogger, onDone: (r) => store.removePending(me, r.outputHash) }) : undefined;
      const n = createInference({
        ...base,
        signer: privateKeyToAccount(spec.key),
        announcer,
        // With a backend, only the queries it answers are filed; otherwise the replay files are.
        source: cfg.backendUrl || items.length === 0 ? NO_SOURCE : replaySource(items, spec.models),
        checkpoint: await checkpointFor("inference", spec.key),
        config: { stake: cfg.stake, window: cfg.window, pinHorizon: cfg.pinHorizon },
      });
      ticks.push({ label: `inference ${sender.account}`, tick: n.tick });
      unpinners.push(n.unpinner);
      if (cfg.servePort !== undefined && cfg.backendUrl) {
        const backend = cfg.backendUrl === "replay" ? replayBackend(items) : httpBackend(cfg.backendUrl, { apiKey: process.env.POQ_BACKEND_API_KEY });
        // Several nodes in one process: consecutive ports from servePort (0: each a free port).
        const port = cfg.servePort === 0 ? 0 : cfg.servePort + servers.length;
        const s = await startServe({ port, models: spec.models, backend, file: n.file, peers: cfg.fanout, fanoutCount: cfg.fanoutCount, logger: agentLogger });
        servers.push(s);
        agentLogger.info({ port: s.port, backend: cfg.backendUrl === "replay" ? "replay" : new URL(cfg.backendUrl).origin }, "query API listening (POST /v1/chat/completions)");
      }
      ticks.push({ label: `watcher ${sender.account}`, tick: createAllotmentWatcher(base).tick });
    }
  }
  logger.info({ chain_id: clients.chain.id, settlement: deployment.settlement, agents: ticks.length }, "agents ready");

  const daemon = createDaemon({
    name,
    common,
    ipfs: contents.ipfs,
    intervalMs: cfg.pollMs,
    port: cfg.port,
    tick: async () => {
      let failed = 0;
      let last: unknown;
      const run = async (t: (typeof ticks)[number]) => {
        if (signal.aborted) return;
        try {
          await t.tick();
        } catch (e) {
          failed++;
          last = e;
          metrics.daemon.agentErrors.inc({ agent: t.label.split(" ")[0] });
          logger.warn({ agent: t.label, err: errorLine(e) }, "agent tick failed");
        }
      };
      // Relayers, funders and inference nodes in turn; evaluators side by side (each has its own key and nonces),
      // so a process hosting many of them still meets short commit windows.
      for (const t of ticks.filter((x) => !x.label.startsWith("evaluator"))) await run(t);
      await Promise.all(ticks.filter((x) => x.label.startsWith("evaluator")).map(run));
      if (failed === ticks.length && last) throw last;
    },
    onStop: async () => {
      await Promise.all(servers.map((s) => s.close()));
      await Promise.all(unpinners.map((u) => u.idle()));
      checkpoints.forEach((c) => c.close());
    },
  });
  await daemon.run();
}

function readJsonFile<T>(file: string, what: string): T {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")) as T;
  } catch (e) {
    throw new InputError(`${what} ${file}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "not found" : "malformed JSON"}`);
  }
}

function senderAccount(key: Hex) {
  return getAddress(privateKeyToAccount(key).address);
}
