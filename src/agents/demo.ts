import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createTestClient, erc20Abi, formatUnits, getAddress, parseUnits, type Address, type EIP1193Provider, type Hex } from "viem";
import { poQSettlementAbi, rewardDistributorAbi, stakeVaultAbi, testTokenAbi } from "../chain/abis";
import { connect, type Clients } from "../chain/client";
import { loadDeployment, verifyDeployment, type Deployment } from "../chain/deployment";
import { chainTime, Phase, PHASE_NAMES, readRound, rewardBooks, type RoundView } from "../chain/reader";
import { type LoggedOutput } from "../data/logged";
import { readLoggedOutputs } from "../data/read";
import { InputError } from "../errors";
import { metricFor, metricValue } from "../scoring/metrics";
import { defaultProfile, type Metric } from "../scoring/profile";
import { loadProfile } from "../data/scoringFiles";
import { devKey, DEV_ROLES } from "./accounts";
import type { Behavior } from "./behavior";
import { Checkpoint } from "./checkpoint";
import { createCommon } from "./daemon";
import { createEvaluator, fetchBudgetMs, OUTPUT_FETCH_MS } from "./evaluator";
import { createFunder } from "./funder";
import { createInference, replaySource } from "./inference";
import { loadPolicy } from "./policy";
import { createRelayer } from "./relayer";
import { checkGoldPool, type GoldPoolFile } from "../protocol/gold";
import { loadOutputs } from "../protocol/manifest";
import { ContentError } from "../protocol/store";
import { createAllotmentWatcher } from "./watcher";
import { Status } from "../chain/reader";
import { senderFor } from "./system";
import { createAnnouncer, createRevealSender } from "./announce";
import { openDemoContent, type DemoContentKind } from "./demoContent";
import { fetchOutputs, roundManifest, roundPayload, type ChainContentAccess } from "../protocol/roundContent";
import { privateKeyToAccount } from "viem/accounts";

export type DemoOptions = {
  rounds: number;
  /** Run against this node (with the deployment from deploy/) instead of the embedded chain. */
  rpcUrl?: string;
  /** With rpcUrl: the deployment addresses file (default: deploy/deployments/chain-<id>/deployed_addresses.json). */
  deploymentFile?: string;
  /** Called once the chain is up, with its clients and deployment (e.g. to index the chain the demo runs on). */
  onChain?: (chain: { clients: Clients; deployment: Deployment }) => void | Promise<void>;
  /** Logged-outputs files the inference nodes replay. */
  dataFiles: string[];
  tasksPerRound: number;
  storeDir?: string;
  /** Progress lines go here (stderr by default); null for none. */
  progress?: NodeJS.WritableStream | null;
  logFile?: string;
  /** The evaluators' quality profile: a profile file (default: LOCAL_PROFILE), or "default" for the uncalibrated one. */
  profile?: string;
  /**
   * Where the agents keep content (default "helia"): a store folder and an embedded IPFS node per agent on
   * 127.0.0.1, content reaching the others only over IPFS (see openDemoContent), or ("folder") one shared store folder.
   */
  content?: DemoContentKind;
  /** With "helia": called with every address any agent's node is about to dial. */
  onDial?: (addr: string) => void;
};

export type LabelAgreement = { task: string; metric: Metric; value: number; n: number };

/** Agreement of consensus scores with human labels, per task type (pure; rows in task order). */
export function labelAgreement(rows: { task: string; consensus: number; label: number }[]): LabelAgreement[] {
  const byTask = new Map<string, { consensus: number[]; labels: number[] }>();
  for (const r of rows) {
    const g = byTask.get(r.task) ?? { consensus: [], labels: [] };
    g.consensus.push(r.consensus);
    g.labels.push(r.label);
    byTask.set(r.task, g);
  }
  return [...byTask.keys()].sort().map((task) => {
    const g = byTask.get(task)!;
    const metric = metricFor(g.labels);
    return { task, metric, value: metricValue(metric, g.consensus, g.labels), n: g.labels.length };
  });
}

export type DemoRound = {
  id: number;
  finalized: boolean;
  tasks: number;
  /** Hidden gold tasks the registrar mixed in, and tasks excluded as unavailable. */
  gold: number;
  excluded: number;
  meanConsensus: number;
  inferencePaid: string;
  evaluatorPaid: string;
  slashed: Address[];
  settlementHash: Hex;
};

export type DemoSummary = {
  rounds: DemoRound[];
  claimsPaid: string;
  conserved: boolean;
  checks: Record<string, boolean>;
  accounts: { address: Address; role: string; behavior?: string; rewards: string; claimed: string; trustPpm?: number; slashed: string }[];
  /**
   * How well the settled consensus tracks the human labels the replayed outputs carry, per task type: AUROC for
   * 0/1 labels (QA correctness), Spearman otherwise (summary ratings). Outputs without a label are left out.
   */
  labelAgreement: LabelAgreement[];
  /** The demo's folder: the agents' log, and the shared store (folder) or every agent's own store folder (helia). */
  storeDir: string;
  content: DemoContentKind;
  /** The store folder the summary read the rounds' content from, and the explorer reads: the shared store, or the registrar relayer's own. */
  contentDir: string;
  /** helia: each agent's own store folder, by address. */
  agentStores?: Record<Address, string>;
};

const DECIMALS = 18;
export const LOCAL_POLICY = path.join(__dirname, "..", "..", "config", "local", "policy.json");
/** The local evaluators' quality profile, calibrated without references (scripts/local-profile.ts). */
export const LOCAL_PROFILE = path.join(__dirname, "..", "..", "config", "local", "profile.json");
/** The local gold pool: labelled outputs kept apart from everything the demo replays (scripts/gold-pool.ts). */
export const LOCAL_GOLD_POOL = path.join(__dirname, "..", "..", "data", "gold", "local-pool.json");
const tokens = (n: number) => parseUnits(String(n), DECIMALS);
const POOLS = { inference: tokens(1_000), evaluator: tokens(400) };
const BEHAVIORS: Behavior[] = ["honest", "honest", "honest", "honest", "honest", "honest", "honest", "honest", "honest", "boosting", "sabotage", "never-reveal"];

/** Round parameters of the demo's embedded chain (seconds; time moves as fast as the agents act). */
const DEMO_PARAMS = {
  assignDuration: 120,
  commitDuration: 60,
  revealDuration: 60,
  settleWindow: 600,
  settleCommitDuration: 20,
  settleRevealDuration: 20,
  challengeDuration: 30,
  responseDuration: 30,
  k: 5,
  quorum: 2,
  maxLowTrustSlashes: 64,
};

/** The embedded chain's genesis time: with block times pinned (pinBlockTimes), every demo run mines the same chain. */
const DEMO_GENESIS = "2026-01-01T00:00:00Z";

type RequestFn = (args: { method: string; params?: unknown }) => Promise<unknown>;

/**
 * Makes the embedded chain's block times a function of its history alone: every block is mined one second after the
 * previous one, plus whatever `evm_increaseTime` asked for, and calls run at that next block's time. Wall-clock
 * time, which depends on the machine's speed, never reaches a block. Block hashes (and so the assignment seeds drawn
 * from them) are then the same in every run. Returns a function that puts the provider back.
 */
export function pinBlockTimes(provider: { request: RequestFn }): () => void {
  const original = provider.request;
  const inner: RequestFn = original.bind(provider);
  const latestTime = async () => BigInt(((await inner({ method: "eth_getBlockByNumber", params: ["latest", false] })) as { timestamp: string }).timestamp);
  let latest: bigint | undefined;
  let bump = 0n;
  const MINING = new Set(["eth_sendTransaction", "eth_sendRawTransaction", "evm_mine", "hardhat_mine"]);
  const TIMED = new Set(["eth_call", "eth_estimateGas", "eth_createAccessList"]);
  const handle: RequestFn = async (args) => {
    if (args.method === "evm_increaseTime") {
      bump += BigInt((args.params as [number | string])[0]);
      return `0x${bump.toString(16)}`;
    }
    if (!MINING.has(args.method) && !TIMED.has(args.method)) return inner(args);
    latest ??= await latestTime();
    await inner({ method: "evm_setNextBlockTimestamp", params: [`0x${(latest + (bump > 1n ? bump : 1n)).toString(16)}`] });
    try {
      return await inner(args);
    } finally {
      // Read back from the chain: a send that fails may still have mined its block, and hardhat_mine mines several.
      if (MINING.has(args.method)) {
        const now = await latestTime();
        if (now !== latest) [latest, bump] = [now, 0n];
      }
    }
  };
  // One request at a time, in the order they are made: a timestamp set for a block is the one that block gets.
  let queue: Promise<unknown> = Promise.resolve();
  provider.request = (args) => {
    const run = queue.then(() => handle(args));
    queue = run.catch(() => undefined);
    return run;
  };
  return () => {
    provider.request = original;
  };
}

/** Deploys the contracts on the embedded Hardhat network (in this process) and returns the provider and addresses. */
async function embeddedChain(pool: GoldPoolFile): Promise<{ provider: EIP1193Provider; deployment: Deployment; unpin: () => void }> {
  process.env.POQ_DEMO_GENESIS ??= DEMO_GENESIS;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const hre = require("hardhat");
  const unpin = pinBlockTimes(hre.network.provider);
  await hre.run("compile", { quiet: true });
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require("../../deploy/modules/PoQLocal").default;
  const deployed = await hre.ignition.deploy(mod, {
    parameters: { PoQLocal: { ...DEMO_PARAMS, goldPoolRoot: pool.root, goldPoolSize: pool.items.length } },
    displayUi: false,
  });
  const provider = hre.network.provider as EIP1193Provider;
  const chainId = Number(await provider.request({ method: "eth_chainId" }));
  return {
    provider,
    unpin,
    deployment: {
      chainId,
      token: getAddress(await deployed.token.getAddress()),
      vault: getAddress(await deployed.vault.getAddress()),
      distributor: getAddress(await deployed.distributor.getAddress()),
      settlement: getAddress(await deployed.settlement.getAddress()),
      config: getAddress(await deployed.config.getAddress()),
      challenges: getAddress(await deployed.challenges.getAddress()),
      timelock: getAddress(await deployed.timelock.getAddress()),
    },
  };
}

/**
 * Orders replayed outputs so that every task type is replayed from the start: the outputs are grouped by query (a
 * query's outputs stay adjacent in the replay order), and the groups of each task type are spread evenly over the
 * whole sequence, by their position within their own type. Stable and pure.
 */
export function interleaveByQuery(items: readonly LoggedOutput[]): LoggedOutput[] {
  const groups = new Map<string, LoggedOutput[]>();
  for (const it of items) {
    const key = `${it.task}\u0000${it.queryId}`;
    const g = groups.get(key);
    if (g) g.push(it);
    else groups.set(key, [it]);
  }
  const perTask = new Map<string, LoggedOutput[][]>();
  for (const g of groups.values()) {
    const list = perTask.get(g[0].task);
    if (list) list.push(g);
    else perTask.set(g[0].task, [g]);
  }
  const placed: { at: number; order: number; group: LoggedOutput[] }[] = [];
  let order = 0;
  for (const list of perTask.values()) list.forEach((group, i) => placed.push({ at: i / list.length, order: order++, group }));
  placed.sort((a, b) => a.at - b.at || a.order - b.order);
  return placed.flatMap((p) => p.group);
}

/** Splits the replayed models over the inference nodes: node i serves every n-th model of each file. */
function modelsPerNode(items: LoggedOutput[], nodes: number): string[][] {
  const byTask = new Map<string, string[]>();
  for (const it of items) {
    const l = byTask.get(it.task) ?? [];
    if (!l.includes(it.model)) l.push(it.model);
    byTask.set(it.task, l);
  }
  const out: string[][] = Array.from({ length: nodes }, () => []);
  for (const models of byTask.values()) models.forEach((m, i) => out[i % nodes].push(m));
  return out;
}

/** helia: how long the demo keeps trying to bring a round's content to every evaluator before their ticks. */
const PREFETCH_MS = 120_000;

/**
 * The main job: a full network on one chain. Inference nodes replay logged outputs, twelve evaluators (a booster,
 * a saboteur and a never-revealer among them) score and commit-reveal, two relayers settle with quorum two, every
 * account claims, and the token balances are checked.
 */
export async function runDemo(o: DemoOptions): Promise<DemoSummary> {
  if (!Number.isInteger(o.rounds) || o.rounds < 1) throw new InputError(`--rounds must be a positive integer, got ${o.rounds}`);
  const progress = o.progress === undefined ? process.stderr : o.progress;
  const say = (s: string) => progress?.write(`${s}\n`);
  const items = interleaveByQuery(o.dataFiles.flatMap((f) => readLoggedOutputs(f, { requireLabel: false })));
  const storeDir = o.storeDir ?? fs.mkdtempSync(path.join(os.tmpdir(), "poq-demo-"));
  fs.mkdirSync(storeDir, { recursive: true });
  const logFile = o.logFile ?? path.join(storeDir, "agents.log.jsonl");
  const ac = new AbortController();
  const common = createCommon("demo", { destination: logFile, signal: ac.signal, level: process.env.POQ_DEMO_LOG_LEVEL || "info" });

  const goldPool = checkGoldPool(JSON.parse(fs.readFileSync(LOCAL_GOLD_POOL, "utf8")) as GoldPoolFile);
  say(o.rpcUrl ? `connecting to ${o.rpcUrl}` : "starting the embedded chain and deploying the contracts");
  let clients: Clients;
  let d: Deployment;
  let unpin = () => {};
  if (o.rpcUrl) {
    clients = await connect({ rpcUrl: o.rpcUrl }, 100);
    d = loadDeployment({ chainId: clients.chain.id, file: o.deploymentFile });
    await verifyDeployment(clients.publicClient, d);
  } else {
    const chain = await embeddedChain(goldPool);
    clients = await connect({ provider: chain.provider }, 50);
    d = chain.deployment;
    unpin = chain.unpin;
  }
  await o.onChain?.({ clients, deployment: d });
  const client = clients.publicClient;
  const clientVersion = String(await client.request({ method: "web3_clientVersion" } as never)).toLowerCase();
  const test = clientVersion.includes("hardhat") ? createTestClient({ mode: "hardhat", chain: clients.chain, transport: clients.transport }) : undefined;

  const ownerKey = devKey(DEV_ROLES.owner);
  const owner = senderFor(clients, ownerKey, common);
  const nodeKeys = DEV_ROLES.inference.map(devKey);
  const evalKeys = DEV_ROLES.evaluators.map(devKey);
  const relayerKeys = DEV_ROLES.relayers.map(devKey);
  const memory = () => new Checkpoint(":memory:");

  // Tokens for every staker.
  const stakeAmount = tokens(1_000);
  const nodeSenders = nodeKeys.map((k) => senderFor(clients, k, common));
  const evalSenders = evalKeys.map((k) => senderFor(clients, k, common));
  const relayerSenders = relayerKeys.map((k) => senderFor(clients, k, common));
  const needs: [TxSenderLike, bigint][] = [
    ...[...nodeSenders, ...evalSenders].map((s) => [s, stakeAmount * 2n] as [TxSenderLike, bigint]),
    ...relayerSenders.map((s) => [s, tokens(6_000)] as [TxSenderLike, bigint]),
  ];
  for (const [s, want] of needs) {
    const bal = await client.readContract({ address: d.token, abi: erc20Abi, functionName: "balanceOf", args: [s.account] });
    if (bal < want) await owner.write({ address: d.token, abi: testTokenAbi, functionName: "mint", args: [s.account, want - bal] });
  }

  const models = modelsPerNode(items, nodeKeys.length);
  const window = Math.max(1, Math.ceil(o.tasksPerRound / nodeKeys.length));
  const kind = o.content ?? "helia";
  if (kind === "helia") say(`opening ${nodeKeys.length + evalKeys.length + relayerKeys.length} IPFS nodes on 127.0.0.1, one per agent, each with its own store folder`);
  const contents = await openDemoContent({
    kind,
    storeDir,
    relayers: relayerSenders.map((s) => s.account),
    others: [...nodeSenders, ...evalSenders].map((s) => s.account),
    clients,
    deployment: d,
    logger: common.logger,
    window,
    onDial: o.onDial,
  });
  try {
    const announceTo = contents.announceTo;
    const inference = nodeSenders.map((sender, i) => {
      const { store, content } = contents.of(sender.account);
      // With stores of their own, the relayers learn of outputs only from the node's signed announcements; the node's
      // own queue keeps an output until a registered batch holds it (dropBatched), so it serves one window ahead of
      // the rounds, as with the shared folder.
      const announcer = announceTo.length ? createAnnouncer({ relayers: announceTo, logger: common.logger }) : undefined;
      return createInference({
        common,
        clients,
        deployment: d,
        store,
        content,
        sender,
        announcer,
        signer: privateKeyToAccount(nodeKeys[i]),
        source: replaySource(items, models[i]),
        checkpoint: memory(),
        config: { stake: stakeAmount, window },
      });
    });
    const profile = o.profile === "default" ? defaultProfile() : loadProfile(o.profile ?? LOCAL_PROFILE);
    const evaluators = evalSenders.map((sender, i) =>
      createEvaluator({
        common,
        clients,
        deployment: d,
        ...contents.of(sender.account),
        sender,
        privateKey: evalKeys[i],
        profile,
        checkpoint: memory(),
        config: { behavior: BEHAVIORS[i] ?? "honest", stake: stakeAmount, useReferences: false },
        reveals: announceTo.length ? createRevealSender({ relayers: announceTo, logger: common.logger, timeoutMs: 2_000 }) : undefined,
      }),
    );
    // Local networks settle few, short rounds: a policy that reacts faster than the production default.
    const policy = loadPolicy(LOCAL_POLICY);
    const relayers = relayerKeys.map((key, i) =>
      createRelayer({
        common,
        clients,
        deployment: d,
        ...contents.of(relayerSenders[i].account),
        sender: relayerSenders[i],
        privateKey: key,
        policy,
        checkpoint: memory(),
        config: { registrar: i === 0, maxTasksPerRound: o.tasksPerRound, minTasks: 1, maxRounds: o.rounds, maxOpenRounds: 2, goldPool: i === 0 ? goldPool : undefined },
      }),
    );

    // Every staker watches its own allotment in each accepted settlement.
    const watchers = [...nodeSenders, ...evalSenders].map((sender) => createAllotmentWatcher({ common, clients, deployment: d, ...contents.of(sender.account), sender }));

    // The treasury funds each round once it is registered.
    const funder = createFunder({ common, clients, deployment: d, sender: owner, config: { inferencePool: POOLS.inference, evaluatorPool: POOLS.evaluator, mint: true } });

    // Over IPFS, content a peer has not delivered yet fails a tick (a ContentError); the agent tries again on the
    // next pass, as a daemon does. Any other failure stops the demo.
    const retrying = (label: string, tick: () => Promise<void>) => async () => {
      try {
        await tick();
      } catch (e) {
        if (kind !== "helia" || !(e instanceof ContentError)) throw e;
        common.logger.warn({ agent: label, err: (e as Error).message.split("\n")[0] }, "agent tick failed: content not delivered yet, trying again");
      }
    };
    const prefetchCommitRounds = async () => {
      const count = await client.readContract({ address: d.settlement, abi: poQSettlementAbi, functionName: "roundCount" });
      const lastClosed = await client.readContract({ address: d.settlement, abi: poQSettlementAbi, functionName: "lastClosedRound" });
      for (let id = lastClosed + 1n; id <= count; id++) {
        const r = await readRound(client, d, id);
        if (r.phase !== Phase.Commit) continue;
        await Promise.all(
          evalSenders.map(async (s) => {
            const a: ChainContentAccess = { ...contents.of(s.account), client, deployment: d };
            // The embedded chain's clock does not run while the demo waits, so a slow fetch on a loaded machine is
            // given more tries rather than turned into UNAVAILABLE scores that another run would not report. A node
            // of its own (--rpc-url) keeps time: there the commit window bounds the tries, as for a daemon.
            const until = Date.now() + (o.rpcUrl ? fetchBudgetMs(r, await chainTime(client), PREFETCH_MS) : PREFETCH_MS);
            for (;;) {
              try {
                const missing = await fetchOutputs(a, await roundManifest(a, r, { timeoutMs: OUTPUT_FETCH_MS }), { timeoutMs: OUTPUT_FETCH_MS });
                if (missing.length === 0) return;
              } catch (e) {
                if (!(e instanceof ContentError)) throw e;
              }
              if (Date.now() > until) return; // the evaluator's own tick fetches again, within its budget
              await new Promise((r) => setTimeout(r, 250));
            }
          }),
        );
      }
    };
    const batched = dropBatched();
    const started = Date.now();
    let lastLine = "";
    for (let pass = 0; ; pass++) {
      if (pass > 2_000) throw new InputError("the demo made no progress (stuck); see the agents' log " + logFile);
      const before = await client.getBlockNumber();
      // With a node each, the evaluators fetch the content of the rounds in their commit phase side by side (their
      // fetches from the relayers' nodes overlap instead of queueing behind one another), then tick in turn, as on
      // the shared folder: the transactions reach the embedded chain in the same order, so block hashes, assignment
      // seeds and settlements are the same in every run.
      const tickEvaluators = async () => {
        if (kind === "helia") await prefetchCommitRounds();
        for (const e of evaluators) await retrying(`evaluator ${e.address}`, e.tick)();
      };
      // On a node of its own (--rpc-url) the clock runs while the inference nodes serve the next batch (seconds for a
      // thousand outputs over IPFS): the evaluators go first there, so that serving never eats a commit window.
      if (o.rpcUrl) await tickEvaluators();
      for (const a of inference) await a.tick();
      if (kind === "helia") for (const s of nodeSenders) await batched.drop({ ...contents.of(s.account), client, deployment: d }, s.account);
      if (!o.rpcUrl) await tickEvaluators();
      for (const [i, r] of relayers.entries()) await retrying(`relayer ${relayerSenders[i].account}`, r.tick)();
      for (const [i, w] of watchers.entries()) await retrying(`watcher ${i}`, w.tick)();
      await funder.tick();
      const count = await client.readContract({ address: d.settlement, abi: poQSettlementAbi, functionName: "roundCount" });
      const lastClosed = await client.readContract({ address: d.settlement, abi: poQSettlementAbi, functionName: "lastClosedRound" });
      const open: RoundView[] = [];
      for (let id = lastClosed + 1n; id <= count; id++) open.push(await readRound(client, d, id));
      const line = `[${((Date.now() - started) / 1000).toFixed(1)}s] rounds closed ${lastClosed}/${o.rounds}` + open.map((r) => `  round ${r.id}: ${PHASE_NAMES[r.phase].toLowerCase()}`).join("");
      if (line.replace(/^\[[^\]]*\] /, "") !== lastLine) {
        say(line);
        lastLine = line.replace(/^\[[^\]]*\] /, "");
      }
      if (lastClosed >= BigInt(o.rounds)) break;
      const after = await client.getBlockNumber();
      if (after === before) {
        // Nothing left to do until a deadline: move time (on a Hardhat chain) or wait for it.
        const now = await chainTime(client);
        const windows = await Promise.all(
          open.map(async (r) => {
            const [, commitsClose, revealsClose] = await client.readContract({ address: d.settlement, abi: poQSettlementAbi, functionName: "settlementAttempt", args: [r.id] });
            return [r.commitDeadline, r.revealDeadline, r.challengeEnd, r.assignDeadline, r.expiresAt, commitsClose, revealsClose];
          }),
        );
        const next = windows.flat().filter((t) => t > now).reduce<bigint | undefined>((m, t) => (m === undefined || t < m ? t : m), undefined);
        if (next !== undefined && test) {
          await test.increaseTime({ seconds: Number(next - now) });
          await test.mine({ blocks: 1 });
        } else {
          await new Promise((r) => setTimeout(r, 1_000));
        }
      }
    }

    // An unpinning pass still running beside the ticks ends before the nodes close.
    await Promise.all([...inference, ...relayers].map((a) => a.unpinner.idle()));

    // Everyone claims what the latest root owes them, from the payload the relayers published.
    const reader: ChainContentAccess = { ...contents.reader, client, deployment: d };
    const rootRound = await client.readContract({ address: d.distributor, abi: rewardDistributorAbi, functionName: "rootRound" });
    const last = await readRound(client, d, rootRound);
    const payload = await roundPayload(reader, last);
    let claimsPaid = 0n;
    for (const c of payload?.claims ?? []) {
      const already = await client.readContract({ address: d.distributor, abi: rewardDistributorAbi, functionName: "claimed", args: [c.account] });
      if (already >= BigInt(c.cumulativeAmount)) continue;
      await owner.write({ address: d.distributor, abi: rewardDistributorAbi, functionName: "claim", args: [c.account, BigInt(c.cumulativeAmount), BigInt(c.index), c.proof] });
      claimsPaid += BigInt(c.cumulativeAmount) - already;
    }
    // The treasury takes back what the rounds left unallocated.
    for (let id = 1n; id <= BigInt(o.rounds); id++) {
      const due = await client.readContract({ address: d.distributor, abi: rewardDistributorAbi, functionName: "refundable", args: [id, owner.account] });
      if (due > 0n) await owner.write({ address: d.distributor, abi: rewardDistributorAbi, functionName: "refund", args: [id, owner.account] });
    }

    const labels = new Map(items.filter((it) => it.label !== undefined).map((it) => [it.id, it.label!]));
    const summary = await summarize(reader, o.rounds, claimsPaid, labels, {
      nodes: nodeSenders.map((s) => s.account),
      evaluators: evalSenders.map((s, i) => ({ address: s.account, behavior: BEHAVIORS[i] ?? "honest" })),
      relayers: relayerKeys.map((k) => senderFor(clients, k, common).account),
      owner: owner.account,
    });
    return {
      ...summary,
      storeDir,
      content: kind,
      contentDir: contents.reader.store.dir,
      ...(contents.stores.size ? { agentStores: Object.fromEntries(contents.stores) } : {}),
    };
  } finally {
    await contents.close();
    ac.abort();
    // A chain served after the demo follows the wall clock again, from the demo's last block time.
    unpin();
  }
}

type TxSenderLike = { account: Address };

/**
 * For inference nodes with stores of their own: drops from a node's pending queue the outputs that a registered
 * round's batch holds, reading each manifest from the CID on chain (fetched over IPFS). A manifest not delivered yet
 * is read again on the next call.
 */
function dropBatched() {
  const done = new Map<Address, bigint>();
  return {
    async drop(a: ChainContentAccess, node: Address) {
      const count = await a.client.readContract({ address: a.deployment.settlement, abi: poQSettlementAbi, functionName: "roundCount" });
      for (let id = (done.get(node) ?? 0n) + 1n; id <= count; id++) {
        const r = await readRound(a.client, a.deployment, id);
        if (r.taskCount === 0) return;
        try {
          const m = await roundManifest(a, r, { timeoutMs: 5_000 });
          for (const t of m.tasks) if (getAddress(t.node) === node) a.store.removePending(node, t.contentHash);
        } catch (e) {
          if (e instanceof ContentError) return;
          throw e;
        }
        done.set(node, id);
      }
    },
  };
}

type Cast = { nodes: Address[]; evaluators: { address: Address; behavior: string }[]; relayers: Address[]; owner: Address };

/** Reads the rounds from the chain and their content through `reader` (its store, else fetched by the CIDs on chain). */
async function summarize(
  reader: ChainContentAccess,
  rounds: number,
  claimsPaid: bigint,
  labels: Map<string, number>,
  cast: Cast,
): Promise<Omit<DemoSummary, "storeDir" | "content" | "contentDir" | "agentStores">> {
  const { client, deployment: d, store } = reader;
  const out: DemoRound[] = [];
  const slashedBy = new Map<Address, bigint>();
  const slashLogs = await client.getContractEvents({ address: d.vault, abi: stakeVaultAbi, eventName: "Slashed", strict: true, fromBlock: 0n, toBlock: "latest" });
  for (const l of slashLogs) slashedBy.set(getAddress(l.args.account), (slashedBy.get(getAddress(l.args.account)) ?? 0n) + l.args.amount);
  let lastTrust = new Map<Address, number>();
  const scored: { task: string; consensus: number; label: number }[] = [];
  for (let id = 1n; id <= BigInt(rounds); id++) {
    const r = await readRound(client, d, id);
    const p = await roundPayload(reader, r);
    const slashed = slashLogs.filter((l) => l.args.roundId === id).map((l) => getAddress(l.args.account));
    if (p) {
      lastTrust = new Map(p.trust.map((t) => [getAddress(t.evaluator), t.trustPpm]));
      // Tasks the round excluded (unavailable to most evaluators) have no consensus; gold tasks are not replayed outputs.
      const refused = new Set([...p.excludedTasks, ...p.gold.map((g) => g.taskIndex)]);
      const { items: served } = loadOutputs(store, await roundManifest(reader, r));
      served.forEach((it, i) => {
        const label = it && labels.get(it.id);
        if (it && label !== undefined && !refused.has(i)) scored.push({ task: it.task, consensus: p.consensus[i], label });
      });
    }
    out.push({
      id: Number(id),
      finalized: r.status === Status.Finalized,
      tasks: r.taskCount,
      gold: p?.gold.length ?? 0,
      excluded: p?.excludedTasks.length ?? 0,
      meanConsensus: p ? p.consensus.reduce((s, c) => s + c, 0) / p.consensus.length / 1000 : 0,
      inferencePaid: p?.settlement.inferencePaid ?? "0",
      evaluatorPaid: p?.settlement.evaluatorPaid ?? "0",
      slashed,
      settlementHash: r.settlementHash,
    });
  }

  // Conservation: every token minted sits with an account, in the stake vault, in the reward vault, in the distributor or
  // with the slash recipient.
  const read = (address: Address, abi: typeof stakeVaultAbi | typeof rewardDistributorAbi, functionName: string) =>
    client.readContract({ address, abi, functionName } as never) as Promise<unknown>;
  const bal = (a: Address) => client.readContract({ address: d.token, abi: erc20Abi, functionName: "balanceOf", args: [a] });
  const [supply, vaultBal, staked, books] = await Promise.all([
    client.readContract({ address: d.token, abi: erc20Abi, functionName: "totalSupply" }),
    bal(d.vault),
    read(d.vault, stakeVaultAbi, "totalStaked") as Promise<readonly [bigint, bigint]>,
    rewardBooks(client, d),
  ]);
  const holders = [...new Set<Address>([cast.owner, ...cast.relayers, ...cast.nodes, ...cast.evaluators.map((e) => e.address), d.challenges])];
  let held = 0n;
  for (const h of holders) held += await bal(h);
  const { funded, allocated, refunded, claimed } = books;
  const checks = {
    supplyAccountedFor: held + vaultBal + books.rewardVaultBalance + books.distributorBalance === supply,
    vaultHoldsStakes: vaultBal === staked[0] + staked[1],
    rewardVaultHoldsUnallocated: books.rewardVaultBalance === funded - allocated - refunded,
    distributorHoldsUnclaimed: books.distributorBalance === allocated - claimed,
    allAllocatedClaimed: claimed === allocated,
    claimsPaidEqualsClaimed: claimsPaid === claimed,
    allRoundsFinalized: out.every((r) => r.finalized),
  };

  const rewardsOf = new Map<Address, bigint>();
  const lastPayload = out.length ? await roundPayload(reader, await readRound(client, d, BigInt(out[out.length - 1].id))) : undefined;
  for (const c of lastPayload?.claims ?? []) rewardsOf.set(getAddress(c.account), BigInt(c.cumulativeAmount));
  const accounts: DemoSummary["accounts"] = [];
  for (const n of cast.nodes) accounts.push({ address: n, role: "inference", rewards: (rewardsOf.get(n) ?? 0n).toString(), claimed: (await claimedOf(client, d, n)).toString(), slashed: "0" });
  for (const e of cast.evaluators) {
    accounts.push({
      address: e.address,
      role: "evaluator",
      behavior: e.behavior,
      rewards: (rewardsOf.get(e.address) ?? 0n).toString(),
      claimed: (await claimedOf(client, d, e.address)).toString(),
      trustPpm: lastTrust.get(e.address),
      slashed: (slashedBy.get(e.address) ?? 0n).toString(),
    });
  }
  return { rounds: out, claimsPaid: claimsPaid.toString(), conserved: Object.values(checks).every(Boolean), checks, accounts, labelAgreement: labelAgreement(scored) };
}

function claimedOf(client: Clients["publicClient"], d: Deployment, a: Address) {
  return client.readContract({ address: d.distributor, abi: rewardDistributorAbi, functionName: "claimed", args: [a] });
}

/** Human-readable report of a demo run. */
export function renderDemo(s: DemoSummary): string {
  const t = (v: string) => Number(formatUnits(BigInt(v), DECIMALS)).toFixed(2);
  const short = (a: string) => `${a.slice(0, 6)}…${a.slice(-4)}`;
  const lines: string[] = [];
  lines.push("", "Rounds", "round  tasks  mean quality  inference paid  evaluator paid  finalized  slashed");
  for (const r of s.rounds) {
    lines.push(
      `${String(r.id).padStart(5)}  ${String(r.tasks).padStart(5)}  ${r.meanConsensus.toFixed(2).padStart(12)}  ${t(r.inferencePaid).padStart(14)}  ${t(r.evaluatorPaid).padStart(14)}  ${String(r.finalized).padStart(9)}  ${r.slashed.map(short).join(", ") || "-"}`,
    );
  }
  lines.push("", "Accounts (rewards over all rounds, tokens)", "address       role       behavior      rewards   claimed   trust   slashed");
  for (const a of s.accounts) {
    lines.push(
      `${short(a.address)}  ${a.role.padEnd(9)}  ${(a.behavior ?? "-").padEnd(12)}  ${t(a.rewards).padStart(8)}  ${t(a.claimed).padStart(8)}  ${a.trustPpm === undefined ? "    -" : (a.trustPpm / 1e6).toFixed(2).padStart(5)}  ${t(a.slashed).padStart(8)}`,
    );
  }
  if (s.labelAgreement.length) {
    lines.push("", "Consensus against human labels (replayed outputs)");
    for (const a of s.labelAgreement) {
      // Undefined (NaN) when the labels of a task type are all alike, e.g. every replayed answer correct.
      const value = Number.isFinite(a.value) ? a.value.toFixed(3) : "n/a  ";
      lines.push(`${a.task.padEnd(14)} ${a.metric === "auroc" ? "AUROC   " : "Spearman"} ${value}  over ${a.n} outputs`);
    }
  }
  lines.push("", `Claims paid: ${t(s.claimsPaid)} tokens`);
  lines.push(`Token conservation: ${s.conserved ? "OK" : "FAILED"} (${Object.entries(s.checks).map(([k, v]) => `${k}=${v}`).join(", ")})`);
  if (s.content === "helia") {
    lines.push(`Agent logs and each agent's own store folder (and IPFS node): ${s.storeDir}`);
    lines.push(`Content read from the registrar relayer's store: ${s.contentDir}`);
  } else lines.push(`Content store and agent logs: ${s.storeDir}`);
  return lines.join("\n");
}

/** The JSON summary: `{rounds: [{id, finalized, inferencePaid, evaluatorPaid, slashed}], claimsPaid, conserved}` and more. */
export function demoJson(s: DemoSummary): string {
  return JSON.stringify(s);
}
