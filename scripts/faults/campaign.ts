/**
 * Fault campaign against a real `hardhat node`: 100 evaluators (in 4 processes), 4 inference nodes and a funder,
 * 3 relayers (quorum 2) over 10 rounds, while a seeded chaos loop SIGKILLs relayers and evaluator processes, takes
 * the RPC down, slows it, and delivers every event twice. Then it checks that every round finalized exactly once,
 * no reveal was lost, nothing was paid twice and every token is accounted for, and writes docs/faults.md.
 *
 * With `--content helia` every agent has its own store folder and its own embedded IPFS node on
 * loopback (107 nodes in 8 processes, on fixed ports so that a restarted process comes back on the same addresses),
 * outputs reach the relayers as announcements and everyone else over IPFS, and the chaos loop adds IPFS peer restarts
 * (the inference nodes' process too) and blocks that disappear from a relayer's or an inference node's blockstore.
 * Once, right after a round registers, the blocks of one node's outputs in that batch disappear from every holder
 * (the three relayers and the node) and the node's process is killed: those tasks must end UNAVAILABLE and left out,
 * the round must still settle, and the node earns nothing for them. `--content folder` (the default) runs the agents
 * on one shared store folder, without IPFS: on a loaded 2-core machine the 107 nodes did not get the batches to the
 * evaluators in time (docs/faults-ipfs.md), so the default stays the configuration whose figures hold.
 *
 *   npm run faults                      (--seed 7 --rounds 10 --content folder by default; POQ_FAULT_SEED, POQ_FAULT_ROUNDS, POQ_FAULT_CONTENT)
 *   npm run faults -- --content helia --rounds 6 --out docs/faults-ipfs.md
 */
import fs from "node:fs";
import path from "node:path";
import { erc20Abi, getAddress, keccak256, parseEther, toBytes, type Address, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { poQSettlementAbi, settlementConfigAbi, stakeVaultAbi, testTokenAbi } from "../../src/chain/abis";
import { executeCall, governanceCall, scheduleCall } from "../../src/chain/governance";
import { connect, walletFor } from "../../src/chain/client";
import { Phase, readRound, rewardBooks, roundCount } from "../../src/chain/reader";
import { unpackScores, UNAVAILABLE } from "../../src/chain/encoding";
import { createTxSender } from "../../src/chain/tx";
import { devKey } from "../../src/agents/accounts";
import { claimRewards } from "../../src/agents/claim";
import { LOCAL_GOLD_POOL, LOCAL_POLICY } from "../../src/agents/demo";
import { loadPolicy } from "../../src/agents/policy";
import { computeAssignment } from "../../src/agents/roundData";
import { cidOfKeccak } from "../../src/protocol/cid";
import { blockFile } from "../../src/protocol/helia";
import { loadBatch, type BatchManifest } from "../../src/protocol/manifest";
import { loadPayload, type SettlementPayloadFile } from "../../src/protocol/payload";
import { ContentStore } from "../../src/protocol/store";
import { contentReady, deploy, E2E_PARAMS, freePort, freePortRange, mintForStakers, poq, revertedTransactions, ROOT, startNode, tmpDir, type Proc } from "../../test/e2e/harness";
import { Rng } from "../../src/math/prng";
import { quantileSorted } from "../../src/math/stats";
import { startRpcProxy, type ProxyMode } from "./rpcProxy";
import { Command } from "commander";
import { runScript } from "../../src/runtime";
import { InputError } from "../../src/errors";
import { int, oneOf, option } from "../../src/schema";

const CONTENT_MODES = ["folder", "helia"] as const;
const DEFAULT_OUT = path.join(ROOT, "docs", "faults.md");
type ContentMode = (typeof CONTENT_MODES)[number];

const program = new Command("faults")
  .description("fault campaign: 100 evaluators, 3 relayers, SIGKILLs, RPC and IPFS faults; writes docs/faults.md")
  .option("--seed <n>", "seed of the fault schedule (POQ_FAULT_SEED)", option(int(0), "--seed"), Number(process.env.POQ_FAULT_SEED ?? 7))
  .option("--rounds <n>", "rounds to settle (POQ_FAULT_ROUNDS)", option(int(1, 1_000), "--rounds"), Number(process.env.POQ_FAULT_ROUNDS ?? 10))
  .option("--data <file>", "logged outputs to replay (POQ_FAULT_DATA; default ../shared/data's evouna-tq-dev.jsonl, else the samples)", process.env.POQ_FAULT_DATA)
  .option(
    "--content <mode>",
    "folder: one shared store folder, no IPFS (default); helia: a store folder and an IPFS node per agent, with IPFS faults (POQ_FAULT_CONTENT)",
    option(oneOf(CONTENT_MODES, "content mode"), "--content"),
    (process.env.POQ_FAULT_CONTENT ?? "folder") as ContentMode,
  )
  .option("--evaluators <n>", "evaluators, in 4 processes: a multiple of 4 from 8 to 100 (default 100)", option(int(8, 100), "--evaluators"), 100)
  .option("--out <file>", "where to write the report (default docs/faults.md)", DEFAULT_OUT)
  .action(async (o: { seed: number; rounds: number; data?: string; content: ContentMode; evaluators: number; out: string }) => {
    if (o.evaluators % 4 !== 0) throw new InputError(`--evaluators must be a multiple of 4 (they run in 4 processes), got ${o.evaluators}`);
    [SEED, ROUNDS, DATA, CONTENT, OUT, EVALUATORS, PER_PROCESS] = [o.seed, o.rounds, o.data, o.content, path.resolve(o.out), o.evaluators, o.evaluators / 4];
    await main();
  });
let SEED = 7;
let ROUNDS = 10;
let DATA: string | undefined;
let CONTENT: ContentMode = "folder";
let OUT = "";
let EVALUATORS = 100;
/** Evaluators per process: the evaluators run in 4 processes. */
let PER_PROCESS = 25;
/** How many evaluators behave each way: 2%, 3% and 5% of them (at least one never-revealer), the rest honest. */
const camps = () => {
  const neverReveal = Math.max(1, Math.round(EVALUATORS * 0.02));
  const sabotage = Math.round(EVALUATORS * 0.03);
  const boosting = Math.round(EVALUATORS * 0.05);
  return { honest: EVALUATORS - neverReveal - sabotage - boosting, boosting, sabotage, neverReveal };
};
const TIMEOUT_MS = 30 * 60_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const evaluatorKey = (i: number): Hex => keccak256(toBytes(`poq-campaign/evaluator/${i}`));
function behaviorOf(i: number) {
  const c = camps();
  return i >= EVALUATORS - c.neverReveal ? "never-reveal" : i >= c.honest + c.boosting ? "sabotage" : i >= c.honest ? "boosting" : "honest";
}
const loopback = (port: number) => `/ip4/127.0.0.1/tcp/${port}`;
const median = (xs: number[]) => (xs.length ? quantileSorted([...xs].sort((a, b) => a - b), 0.5) : 0);

/** A daemon that holds outputs: its store folder and its IPFS node's folder (blocks in `<nodeDir>/blocks`). */
type Holder = { name: string; storeDir: string; nodeDir: string };

/**
 * Makes outputs disappear from a holder's disk while it runs: the block files of their raw keccak CIDs in its IPFS
 * node's blockstore (`helia.ts` `blockFile`), and with `store` its own store's copies too (from which a relayer
 * would otherwise put them back into its node when it pins the round). Returns the block files it deleted.
 */
async function dropBlocks(h: Holder, hashes: Hex[], o: { store: boolean }): Promise<number> {
  let dropped = 0;
  const store = o.store ? new ContentStore(h.storeDir) : undefined;
  for (const hash of hashes) {
    store?.remove(hash);
    const file = await blockFile(h.nodeDir, cidOfKeccak(hash));
    if (fs.existsSync(file)) {
      fs.rmSync(file, { force: true });
      dropped++;
    }
  }
  return dropped;
}

async function main() {
  const stream = Rng.of(SEED, "faults");
  const rng = () => stream.next();
  // The IPFS faults draw from streams of their own, so the folder mode's schedule stays what it was.
  const ipfsStream = Rng.of(SEED, "faults/ipfs");
  const ipfsRng = () => ipfsStream.next();
  const helia = CONTENT === "helia";
  const started = Date.now();
  const dir = tmpDir("poq-campaign-");
  const log = (s: string) => console.log(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)}s] ${s}`);
  const port = await freePort();
  const node = await startNode(port, dir);
  const guardian = "0x000000000000000000000000000000000000dEaD";
  // With an IPFS node per agent, each evaluator fetches the batch itself (for at most 20 s from the commit window's
  // start) before its commit goes out: the window leaves the commits of 100 evaluators as much time again.
  const windows = helia ? { commitDuration: 40, revealDuration: 30 } : { commitDuration: 20, revealDuration: 20 };
  const { deployment: d, file: deploymentFile } = await deploy(node.url, `campaign-${port}`, dir, { ...E2E_PARAMS, ...windows, guardian });
  const clients = await connect({ rpcUrl: node.url }, 200);
  const client = clients.publicClient;
  const ownerSender = createTxSender({ publicClient: client, walletClient: walletFor(clients, devKey(0)) });
  // The third relayer joins through governance: scheduled on the timelock, executed after its delay.
  const third = privateKeyToAccount(devKey(19)).address;
  const call = governanceCall({ target: d.config, abi: settlementConfigAbi, functionName: "setRelayer", args: [third, true] });
  const { readyAt } = await scheduleCall(client, d, ownerSender, call);
  const now = (await client.getBlock()).timestamp;
  await client.request({ method: "evm_increaseTime", params: [Number(readyAt - now)] } as never);
  await client.request({ method: "evm_mine", params: [] } as never);
  await executeCall(d, ownerSender, call);
  await mintForStakers(clients, d, parseEther("2000"));
  await ownerSender.write({ address: d.token, abi: testTokenAbi, functionName: "mint", args: [third, parseEther("6000")] });
  const evalAddrs: Address[] = [];
  for (let i = 0; i < EVALUATORS; i++) {
    const a = privateKeyToAccount(evaluatorKey(i)).address;
    evalAddrs.push(a);
    const hash = await walletFor(clients, devKey(0)).sendTransaction({ to: a, value: parseEther("10") });
    await client.waitForTransactionReceipt({ hash });
    await ownerSender.write({ address: d.token, abi: testTokenAbi, functionName: "mint", args: [a, parseEther("2000")] });
  }
  log(`network ready: ${EVALUATORS} evaluators funded, 3 relayers, deployment ${deploymentFile}, content ${CONTENT}`);

  const proxy = await startRpcProxy(node.url, rng);
  const storeDir = path.join(dir, "store");
  const dataDir = path.join(dir, "data");
  const local = JSON.parse(fs.readFileSync(path.join(ROOT, "config", "local", "agents.json"), "utf8"));
  // Ten rounds of up to 60 tasks need more outputs than the bundled samples hold: replay the shared QA set when present.
  const shared = path.join(ROOT, "..", "shared", "data", "evouna-tq-dev.jsonl");
  const replay = DATA ? [DATA] : fs.existsSync(shared) ? [shared] : local.replay.map((r: string) => path.resolve(ROOT, "config", "local", r));
  const base = { rpcUrl: proxy.url, deploymentFile, storeDir, dataDir, pollMs: 500, replay };
  const cfg = (name: string, agents: unknown[], extra: Record<string, unknown> = {}) => {
    const f = path.join(dir, `${name}.json`);
    fs.writeFileSync(f, JSON.stringify({ ...base, ...extra, agents }));
    return f;
  };
  const qaModels = [["gpt4"], ["chatgpt"], ["gpt35"], ["fid", "newbing"]];
  const inference = local.agents
    .filter((a: { type: string }) => a.type === "inference")
    .map((a: { models: string[] }, i: number) => (replay[0] === shared ? { ...a, models: qaModels[i] } : a));
  const infraAgents = [...local.agents.filter((a: { type: string }) => a.type === "funder"), ...inference];
  const evalAgents = (p: number) => Array.from({ length: PER_PROCESS }, (_, j) => ({ type: "evaluator", key: evaluatorKey(p * PER_PROCESS + j), behavior: behaviorOf(p * PER_PROCESS + j) }));
  const processes = EVALUATORS / PER_PROCESS;
  const relayerDevs = [1, 2, 19];
  const relayerStore = (dev: number) => (helia ? path.join(dir, `relayer-${dev}`, "store") : storeDir);
  const relayerArgs = (dev: number, extra: string[] = []) => ["relayer", "--rpc", proxy.url, "--deployment", deploymentFile, "--store", relayerStore(dev), "--data-dir", dataDir, "--dev-account", String(dev), "--poll-ms", "500", "--policy", LOCAL_POLICY, "--gold-pool", LOCAL_GOLD_POOL, ...extra];
  const relayerExtra = (dev: number) => (dev === 1 ? ["--registrar", "--max-rounds", String(ROUNDS), "--max-tasks", "60"] : []);

  /** A process of the network; `nodes`: the addresses of its IPFS nodes by account (helia), kept across restarts. */
  type Slot = { name: string; args: string[]; proc: Proc; restarts: number; nodes: Map<string, string[]>; busy: boolean };
  const slots: Slot[] = [];
  const spawnSlot = (name: string, args: string[]) => {
    const s: Slot = { name, args, proc: poq(name, args, dir), restarts: 0, nodes: new Map(), busy: false };
    slots.push(s);
    return s;
  };
  /** Waits for a process's IPFS nodes and returns their addresses, keyed by account (one node for the process: "shared"). */
  const nodesOf = async (p: Proc, count: number) => {
    const ready = await contentReady(p, count);
    return new Map(ready.map((n) => [n.account ?? "shared", n.addresses]));
  };
  /** The inference nodes' holders (helia): per-agent stores and node folders under the infra process's store. */
  const inferenceHolders: Holder[] = [];
  const infraStore = path.join(dir, "infra", "store");
  if (!helia) {
    relayerDevs.forEach((dev) => spawnSlot(`relayer-${dev}`, relayerArgs(dev, relayerExtra(dev))));
    spawnSlot("infra", ["agents", "--config", cfg("infra", infraAgents)]);
    for (let p = 0; p < processes; p++) spawnSlot(`evaluators-${p}`, ["agents", "--config", cfg(`evaluators-${p}`, evalAgents(p))]);
  } else {
    // Fixed ports, so that a killed process's nodes come back where their peers re-dial them; each node is given the
    // addresses of the nodes started before it (relayers, then inference nodes, then evaluators).
    const announcePorts = await Promise.all(relayerDevs.map(() => freePort()));
    const announceTo = announcePorts.map((p) => `http://127.0.0.1:${p}`);
    const relayerPeers: string[] = [];
    for (const [i, dev] of relayerDevs.entries()) {
      const ipfs = await freePortRange(1, ipfsRng);
      const extra = [...relayerExtra(dev), "--content", "helia", "--ipfs-listen", loopback(ipfs), "--announce-port", String(announcePorts[i]), ...(relayerPeers.length ? ["--ipfs-peers", relayerPeers.join(",")] : [])];
      const s = spawnSlot(`relayer-${dev}`, relayerArgs(dev, extra));
      s.nodes = await nodesOf(s.proc, 1);
      relayerPeers.push(...[...s.nodes.values()].flat());
    }
    const content = (listen: number, peers: string[]) => ({ content: { kind: "helia", listen: [loopback(listen)], peers }, announceTo });
    const infra = spawnSlot("infra", ["agents", "--config", cfg("infra", infraAgents, { ...content(await freePortRange(inference.length, ipfsRng), relayerPeers), storeDir: infraStore })]);
    infra.nodes = await nodesOf(infra.proc, inference.length);
    for (const account of infra.nodes.keys()) inferenceHolders.push({ name: `inference ${account}`, storeDir: path.join(infraStore, account.toLowerCase()), nodeDir: path.join(infraStore, "ipfs", account.toLowerCase()) });
    const evaluatorPeers = [...relayerPeers, ...[...infra.nodes.values()].flat()];
    const evaluatorSlots: Slot[] = [];
    for (let p = 0; p < processes; p++) {
      const extra = { ...content(await freePortRange(PER_PROCESS, ipfsRng), evaluatorPeers), storeDir: path.join(dir, `evaluators-${p}`, "store") };
      evaluatorSlots.push(spawnSlot(`evaluators-${p}`, ["agents", "--config", cfg(`evaluators-${p}`, evalAgents(p), extra)]));
    }
    for (const s of evaluatorSlots) s.nodes = await nodesOf(s.proc, PER_PROCESS);
    log(`IPFS nodes ready: ${slots.reduce((n, s) => n + s.nodes.size, 0)} in ${slots.length} processes`);
  }
  const relayerHolders: Holder[] = relayerDevs.map((dev) => ({ name: `relayer-${dev}`, storeDir: relayerStore(dev), nodeDir: path.join(relayerStore(dev), "ipfs") }));

  const events: string[] = [];
  /** Restarts of processes holding IPFS nodes: whether each came back with the same node addresses. */
  const comebacks: { name: string; same?: boolean }[] = [];
  /** Time from each restart to its process's "agents ready" (helia: every node opened and peered, every agent set up). */
  const recoveries: number[] = [];
  const restart = async (s: Slot, pauseMs = 1_000 + rng() * 2_000) => {
    s.proc.kill("SIGKILL");
    await s.proc.exited;
    await sleep(pauseMs);
    s.restarts++;
    const at = Date.now();
    const p = (s.proc = poq(`${s.name}-r${s.restarts}`, s.args, dir));
    if (!s.nodes.size) return;
    // The same folder and port must give the same peer id and addresses. The chaos loop waits for the process to be
    // back before its next fault: a process of 25 nodes takes many seconds to come up on a loaded machine, and a kill
    // before that would only repeat the outage.
    const before = s.nodes;
    // undefined: its nodes were not all up within contentReady's 180 s
    const same = await nodesOf(p, before.size)
      .then((after) => [...before].every(([k, v]) => JSON.stringify(after.get(k)) === JSON.stringify(v)))
      .catch(() => undefined);
    comebacks.push({ name: s.name, same });
    await p.waitFor((l) => l.includes('"msg":"agents ready"'), 300_000, "agents ready").catch(() => undefined);
    recoveries.push(Date.now() - at);
  };
  const fault = async (mode: ProxyMode, ms: number) => {
    proxy.setMode(mode);
    await sleep(ms);
    proxy.setMode("pass");
  };
  const closedRounds = () => client.readContract({ address: d.settlement, abi: poQSettlementAbi, functionName: "lastClosedRound" });
  /** Outputs whose blocks a holder's node keeps that evaluators may not have fetched yet: of open rounds, and pending for a batch. */
  const recentOutputs = async (h: Holder): Promise<Hex[]> => {
    const store = new ContentStore(h.storeDir);
    const out = new Set<Hex>();
    for (const l of store.listPending().values()) for (const x of l) out.add(x);
    const registrar = new ContentStore(relayerStore(1));
    const [count, closed] = await Promise.all([roundCount(client, d), closedRounds()]);
    for (let id = closed + 1n; id <= count; id++) {
      const r = await readRound(client, d, id);
      const hash = registrar.getIndex("batch", r.taskRoot);
      if (hash) for (const t of registrar.getJson<BatchManifest>(hash as Hex).tasks) if (store.has(t.contentHash)) out.add(t.contentHash.toLowerCase() as Hex);
    }
    const held: Hex[] = [];
    for (const x of [...out].sort()) if (fs.existsSync(await blockFile(h.nodeDir, cidOfKeccak(x)))) held.push(x);
    return held;
  };
  let blocksDropped = 0;

  /**
   * The unavailable path, once (helia): right after round `vanishRound` registers, before evaluators fetch, the blocks
   * of one inference node's outputs in the batch disappear from every holder (the three relayers and the node) and the
   * node's process is killed; it comes back once the round's commit window has closed.
   */
  const vanishRound = BigInt(Math.max(1, Math.ceil(ROUNDS / 2)));
  type Vanish = { round: bigint; node: Address; tasks: number[]; hashes: Hex[]; blocks: number; afterMs: number };
  const vanishing: { done?: Vanish } = {};
  let stopping = false;
  const vanishStream = Rng.of(SEED, "faults/vanish");
  let vanishError: string | undefined;
  const vanishTask = (async () => {
    if (!helia) return;
    while ((await roundCount(client, d)) < vanishRound) {
      if (stopping) return;
      await sleep(100);
    }
    const seenAt = Date.now();
    const infra = slots.find((s) => s.name === "infra")!;
    while (infra.busy) await sleep(50);
    infra.busy = true;
    try {
      infra.proc.kill("SIGKILL");
      const r = await readRound(client, d, vanishRound);
      const m = loadBatch(new ContentStore(relayerStore(1)), r.taskRoot, r.taskCount); // the registrar publishes it before it registers
      // A node's own outputs are those in its store (gold tasks are attributed to nodes but come from the pool).
      const owned = inferenceHolders
        .map((h) => ({ h, tasks: m.tasks.filter((t) => getAddress(t.node).toLowerCase() === path.basename(h.storeDir) && new ContentStore(h.storeDir).has(t.contentHash)) }))
        .filter((x) => x.tasks.length > 0);
      const victim = owned[Math.floor(vanishStream.next() * owned.length)];
      const hashes = victim.tasks.map((t) => t.contentHash.toLowerCase() as Hex);
      await infra.proc.exited;
      let blocks = 0;
      for (const h of [...relayerHolders, victim.h]) blocks += await dropBlocks(h, hashes, { store: true });
      const afterMs = Date.now() - seenAt;
      // A relayer pinning the round at that moment may have read a copy just before: sweep again.
      for (const wait of [1_000, 2_000, 3_000]) {
        await sleep(wait);
        for (const h of relayerHolders) blocks += await dropBlocks(h, hashes, { store: true });
      }
      const vanish = (vanishing.done = { round: vanishRound, node: getAddress(m.tasks[victim.tasks[0].index].node), tasks: victim.tasks.map((t) => t.index), hashes, blocks, afterMs });
      blocksDropped += blocks;
      const what = `blocks of ${hashes.length} outputs of node ${vanish.node} deleted from every holder (3 relayers and the node) ${afterMs} ms after the registration was seen, the inference process SIGKILLed first`;
      events.push(`round ${vanishRound}: ${what}`);
      log(what);
      while ((await readRound(client, d, vanishRound)).phase < Phase.Reveal) await sleep(500);
      await restart(infra, 0);
      events.push(`round ${vanishRound}: inference process back after the commit window`);
    } finally {
      infra.busy = false;
    }
  })().catch((e: unknown) => {
    vanishError = (e as Error).message;
    log(`the vanishing outputs fault failed: ${vanishError}`);
  });

  for (;;) {
    const closed = await closedRounds();
    if (closed >= BigInt(ROUNDS)) break;
    if (Date.now() - started > TIMEOUT_MS) throw new Error(`timed out with ${closed}/${ROUNDS} rounds closed; logs in ${dir}`);
    await sleep(6_000 + rng() * 6_000);
    const x = rng();
    let what: string;
    // The IPFS faults (helia): a quarter of the draws, from their own stream.
    if (helia && ipfsRng() < 0.25) {
      if (ipfsRng() < 0.4) {
        const s = slots.find((z) => z.name === "infra")!;
        if (s.busy) continue;
        s.busy = true;
        what = `IPFS peer restart: SIGKILL infra (${s.nodes.size} inference nodes)`;
        await restart(s).finally(() => (s.busy = false));
      } else {
        const holders = [...relayerHolders, ...inferenceHolders];
        const h = holders[Math.floor(ipfsRng() * holders.length)];
        const recent = await recentOutputs(h);
        const lost = recent.filter(() => ipfsRng() < 0.5);
        const n = await dropBlocks(h, lost, { store: false });
        blocksDropped += n;
        what = `blocks disappear: ${n} of ${h.name}'s ${recent.length} blocks of outputs of open rounds or pending deleted while it runs`;
      }
    } else if (x < 0.35) {
      const s = slots.filter((z) => z.name.startsWith("relayer"))[Math.floor(rng() * 3)];
      what = `SIGKILL ${s.name}${helia ? " (and its IPFS node)" : ""}`;
      await restart(s);
    } else if (x < 0.6) {
      const s = slots.filter((z) => z.name.startsWith("evaluators"))[Math.floor(rng() * processes)];
      what = `SIGKILL ${s.name} (${PER_PROCESS} evaluators${helia ? " and their IPFS nodes" : ""})`;
      await restart(s);
    } else if (x < 0.75) {
      const ms = 5_000 + Math.floor(rng() * 3_000);
      what = `RPC outage ${ms} ms`;
      await fault("down", ms);
    } else if (x < 0.9) {
      what = "slow node 10 s";
      await fault("slow", 10_000);
    } else {
      what = "duplicate event delivery 10 s";
      await fault("duplicate", 10_000);
    }
    events.push(`round ${closed + 1n}: ${what}`);
    log(`${what} (rounds closed ${closed}/${ROUNDS})`);
  }
  stopping = true;
  await vanishTask;
  for (const s of slots) s.proc.kill("SIGTERM");
  await Promise.all(slots.map((s) => s.proc.exited));
  log("all rounds closed; checking");
  const vanish = vanishing.done;

  // Checks, against the node directly. With a store per agent, the relayers' stores together hold every manifest and payload.
  let store: ContentStore;
  if (helia) {
    store = new ContentStore(path.join(dir, "check-store"));
    for (const h of relayerHolders) for (const sub of ["objects", "index"]) fs.cpSync(path.join(h.storeDir, sub), path.join(store.dir, sub), { recursive: true, force: false });
  } else store = new ContentStore(storeDir);
  const ev = (eventName: string) => client.getContractEvents({ address: d.settlement, abi: poQSettlementAbi, eventName: eventName as never, fromBlock: 0n, strict: true }) as Promise<{ args: Record<string, unknown> }[]>;
  const finalized = (await ev("RoundFinalized")).map((l) => Number(l.args.roundId));
  const registered = await ev("TasksRegistered");
  const commits = await ev("ScoresCommitted");
  const reveals = await ev("ScoresRevealed");
  const revealed = new Set(reveals.map((l) => `${l.args.roundId}:${getAddress(l.args.evaluator as string)}`));
  const silent = new Set(evalAddrs.filter((_, i) => behaviorOf(i) === "never-reveal"));
  const lost = commits.filter((l) => !silent.has(getAddress(l.args.evaluator as string)) && !revealed.has(`${l.args.roundId}:${getAddress(l.args.evaluator as string)}`));
  const honest = (a: Address) => evalAddrs.includes(a) && behaviorOf(evalAddrs.indexOf(a)) === "honest";
  const seen = new Map<string, number>();
  let reused = 0;
  let absent = 0;
  // Unavailability, per round: UNAVAILABLE entries revealed, tasks left out, and what the accepted payload did with them.
  const initialTrust = loadPolicy(LOCAL_POLICY).consensus.initialTrustPpm;
  let unavailable = 0;
  let unavailableElsewhere = 0;
  let leftOut = 0;
  const leftOutPaid: string[] = [];
  const allUnavailable = { checked: 0, moved: [] as string[] };
  let honestWithUnavailable = 0;
  let prior: SettlementPayloadFile | undefined;
  let missingPayloads = 0;
  let vanishedLeftOut = false;
  let vanishedNodePaid: bigint | undefined;
  for (let id = 1n; id <= BigInt(ROUNDS); id++) {
    const r = await readRound(client, d, id);
    const m = loadBatch(store, r.taskRoot, r.taskCount);
    for (const t of m.tasks) {
      if (seen.has(t.contentHash)) reused++;
      seen.set(t.contentHash, Number(id));
    }
    const a = await computeAssignment(client, d, r);
    const committed = new Set(commits.filter((l) => l.args.roundId === id).map((l) => getAddress(l.args.evaluator as string)));
    for (const e of a.byEvaluator.keys()) if (honest(e) && !committed.has(e)) absent++;
    const payload = loadPayload(store, r.settlementHash);
    if (!payload) {
      missingPayloads++;
      continue;
    }
    const excluded = new Set(payload.excludedTasks);
    const gold = new Set(payload.gold.map((g) => g.taskIndex));
    leftOut += excluded.size;
    const vanishedHere = vanish && vanish.round === id ? new Set(vanish.tasks) : new Set<number>();
    for (const l of reveals.filter((x) => x.args.roundId === id)) {
      const e = getAddress(l.args.evaluator as string);
      const tasks = a.byEvaluator.get(e) ?? [];
      const scores = unpackScores(l.args.scores as Hex);
      const missing = tasks.filter((_, i) => scores[i] === UNAVAILABLE);
      unavailable += missing.length;
      unavailableElsewhere += missing.filter((t) => !vanishedHere.has(t)).length;
      if (!honest(e) || missing.length === 0) continue;
      honestWithUnavailable++;
      if (missing.length < tasks.length) continue;
      // Every entry UNAVAILABLE: no evidence either way, so the round must leave its trust and low streak alone.
      const before = prior?.trust.find((t) => getAddress(t.evaluator) === e) ?? { trustPpm: initialTrust, lowStreak: 0 };
      const after = payload.trust.find((t) => getAddress(t.evaluator) === e);
      allUnavailable.checked++;
      if (!after || after.trustPpm !== before.trustPpm || after.lowStreak > before.lowStreak) allUnavailable.moved.push(`round ${id} ${e}: ${JSON.stringify(before)} -> ${JSON.stringify(after)}`);
    }
    // A node none of whose own tasks of the round was kept earns nothing in it.
    const reward = (n: Address) => BigInt(payload.rewards.find((x) => getAddress(x.account) === n)?.amount ?? "0");
    for (const n of new Set(m.tasks.map((t) => getAddress(t.node)))) {
      const own = m.tasks.filter((t) => getAddress(t.node) === n && !gold.has(t.index));
      if (own.length > 0 && own.every((t) => excluded.has(t.index)) && reward(n) !== 0n) leftOutPaid.push(`round ${id} node ${n}: ${reward(n)}`);
    }
    if (vanish && vanish.round === id) {
      vanishedLeftOut = vanish.tasks.every((t) => excluded.has(t));
      // The node's other tasks of the round (if any) may still earn; with none, it earns nothing in the round.
      vanishedNodePaid = m.tasks.some((t) => getAddress(t.node) === vanish.node && !gold.has(t.index) && !vanish.tasks.includes(t.index)) ? undefined : reward(vanish.node);
    }
    prior = payload;
  }
  const sender = createTxSender({ publicClient: client, walletClient: walletFor(clients, devKey(0)) });
  const first = await claimRewards({ clients, deployment: d, store, sender });
  const second = await claimRewards({ clients, deployment: d, store, sender });
  const books = await rewardBooks(client, d);
  const [active, queued] = await client.readContract({ address: d.vault, abi: stakeVaultAbi, functionName: "totalStaked" });
  const bal = (a: Address) => client.readContract({ address: d.token, abi: erc20Abi, functionName: "balanceOf", args: [a] });
  let held = 0n;
  for (const a of [...Array.from({ length: 20 }, (_, i) => privateKeyToAccount(devKey(i)).address), ...evalAddrs, d.challenges]) held += await bal(a);
  const supply = await client.readContract({ address: d.token, abi: erc20Abi, functionName: "totalSupply" });
  const slashes = await client.getContractEvents({ address: d.vault, abi: stakeVaultAbi, eventName: "Slashed", fromBlock: 0n, strict: true });
  // Reverted transactions of the relayers and agents (development accounts and the campaign's evaluators). Reported,
  // not checked: a random SIGKILL may cut a process between sending and its receipt.
  const reverted = await revertedTransactions(clients, [...Array.from({ length: 20 }, (_, i) => privateKeyToAccount(devKey(i)).address), ...evalAddrs]);
  const slashedHonest = slashes.filter((l) => honest(getAddress(l.args.account)));

  const checks: Record<string, boolean> = {
    roundsFinalizedExactlyOnce: JSON.stringify(finalized) === JSON.stringify(Array.from({ length: ROUNDS }, (_, i) => i + 1)),
    oneRegistrationPerRound: registered.length === ROUNDS && new Set(registered.map((l) => l.args.taskRoot)).size === ROUNDS,
    noOutputInTwoRounds: reused === 0,
    noLostReveal: lost.length === 0,
    nothingPaidTwice: second.every((c) => c.paid === 0n) && books.claimed === books.allocated,
    vaultBalanced: (await bal(d.vault)) === active + queued,
    rewardVaultBalanced: books.rewardVaultBalance === books.funded - books.allocated - books.refunded,
    distributorBalanced: books.distributorBalance === books.allocated - books.claimed,
    supplyAccountedFor: held + (await bal(d.vault)) + books.rewardVaultBalance + books.distributorBalance === supply,
    everyPayloadFound: missingPayloads === 0,
    noHonestEvaluatorSlashed: slashedHonest.length === 0,
    noNodePaidForLeftOutTasks: leftOutPaid.length === 0,
    allUnavailableLeavesTrustAlone: allUnavailable.moved.length === 0,
  };
  if (helia) {
    Object.assign(checks, {
      restartedNodesKeptTheirAddresses: comebacks.some((c) => c.same) && comebacks.every((c) => c.same !== false),
      vanishedOutputsLeftOut: vanishError === undefined && vanish !== undefined && vanishedLeftOut,
      vanishedNodeEarnedNothingForThem: vanish !== undefined && (vanishedNodePaid === undefined || vanishedNodePaid === 0n),
    });
  }
  const ok = Object.values(checks).every(Boolean);
  const roundsLine = `${ROUNDS} rounds of up to 60 tasks, k = 5, on a real \`hardhat node\` behind a fault-injecting JSON-RPC proxy`;
  const setup = helia
    ? `Content: a store folder and an embedded IPFS node (Helia) per agent, ${slots.reduce((n, s) => n + s.nodes.size, 0)} nodes on 127.0.0.1 in ${slots.length} processes, each process's nodes on fixed ports; outputs reach the relayers as signed announcements and everyone else over IPFS.`
    : "Content: one store folder shared by every process (no IPFS).";
  const md = [
    "# Fault campaign",
    "",
    `Generated by \`${["npm run faults", ...(helia || ROUNDS !== 10 || OUT !== DEFAULT_OUT || EVALUATORS !== 100 ? ["--"] : []), ...(helia ? ["--content helia"] : []), ...(ROUNDS !== 10 ? [`--rounds ${ROUNDS}`] : []), ...(EVALUATORS !== 100 ? [`--evaluators ${EVALUATORS}`] : []), ...(OUT !== DEFAULT_OUT ? [`--out ${path.relative(ROOT, OUT)}`] : [])].join(" ")}\` (scripts/faults/campaign.ts); do not edit by hand.`,
    "",
    `Seed ${SEED}: ${EVALUATORS} evaluators in ${processes} processes (${camps().honest} honest, ${camps().boosting} boosting, ${camps().sabotage} sabotage, ${camps().neverReveal} never-reveal), 4 inference nodes, 3 relayers with quorum 2, ${roundsLine}, commit and reveal windows ${windows.commitDuration} s and ${windows.revealDuration} s. ${setup} Wall time ${((Date.now() - started) / 60_000).toFixed(1)} min.`,
    "",
    "## Faults injected",
    "",
    ...events.map((e) => `- ${e}`),
    "",
    `Proxy requests by mode: ${Object.entries(proxy.counts).map(([k, v]) => `${k} ${v}`).join(", ")}. Restarts: ${slots.map((s) => `${s.name} ${s.restarts}`).join(", ")}.`,
    "",
    "## Results",
    "",
    "| check | result |",
    "|---|---|",
    ...Object.entries(checks).map(([k, v]) => `| ${k} | ${v ? "pass" : "FAIL"} |`),
    "",
    `| measure | value |`,
    `|---|---|`,
    `| rounds finalized | ${finalized.length} of ${ROUNDS} |`,
    `| score commits / reveals | ${commits.length} / ${reveals.length} |`,
    `| lost reveals (committed, honest, never revealed) | ${lost.length} |`,
    `| claims paid (first pass) / second pass | ${first.filter((c) => c.paid > 0n).length} / ${second.filter((c) => c.paid > 0n).length} |`,
    `| slashes (all / of honest evaluators) | ${slashes.length} / ${slashedHonest.length} (non-reveal ${slashedHonest.filter((l) => l.args.reason === 1).length}, low trust ${slashedHonest.filter((l) => l.args.reason === 2).length}) |`,
    `| honest evaluators assigned but absent (no commit) | ${absent} |`,
    `| evaluations revealed UNAVAILABLE (all / outside the vanished outputs) | ${unavailable} / ${unavailableElsewhere} |`,
    `| tasks left out (excluded as unavailable) | ${leftOut} |`,
    `| nodes paid for a round whose own tasks were all left out | ${leftOutPaid.length} |`,
    `| honest reveals with an UNAVAILABLE entry / all UNAVAILABLE (trust and low streak checked unchanged) | ${honestWithUnavailable} / ${allUnavailable.checked} |`,
    ...(helia
      ? [
          `| IPFS blocks deleted from running holders | ${blocksDropped} |`,
          `| restarts of processes with IPFS nodes: back on the same addresses / on others / not up within 180 s | ${comebacks.filter((c) => c.same).length} / ${comebacks.filter((c) => c.same === false).length} / ${comebacks.filter((c) => c.same === undefined).length} |`,
          `| restart to "agents ready" (median / max) | ${(median(recoveries) / 1000).toFixed(1)} s / ${(Math.max(0, ...recoveries) / 1000).toFixed(1)} s |`,
          `| vanished outputs (round, node, tasks, left out, node's reward for the round) | ${vanish ? `round ${vanish.round}, ${vanish.node}, ${vanish.tasks.length} tasks, ${vanishedLeftOut ? "all left out" : "NOT all left out"}, ${vanishedNodePaid === undefined ? "other tasks of its own kept" : vanishedNodePaid.toString()}` : "none"} |`,
        ]
      : []),
    `| reverted transactions (relayers and agents) | ${reverted.length} |`,
    `| tokens funded / allocated / claimed | ${books.funded} / ${books.allocated} / ${books.claimed} |`,
    "",
    ok ? "All checks pass." : "SOME CHECKS FAILED.",
    "",
    ...[...leftOutPaid, ...allUnavailable.moved].map((x) => `- ${x}`),
  ].join("\n");
  fs.writeFileSync(OUT, md);
  console.log(md);
  await proxy.close();
  node.kill("SIGKILL");
  fs.rmSync(path.dirname(deploymentFile), { recursive: true, force: true });
  process.exitCode = ok ? 0 : 1;
}

runScript(program);
