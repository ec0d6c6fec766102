/**
 * Fault campaign against a real `hardhat node`: 100 evaluators (in 4 processes), 4 inference nodes and a funder,
 * 3 relayers (quorum 2) over 10 rounds, while a seeded chaos loop SIGKILLs relayers and evaluator processes, takes
 * the RPC down, slows it, and delivers every event twice. Then it checks that every round finalized exactly once,
 * no reveal was lost, nothing was paid twice and every token is accounted for, and writes docs/faults.md.
 *
 *   npm run faults                      (--seed 7 --rounds 10 by default; POQ_FAULT_SEED, POQ_FAULT_ROUNDS)
 */
import fs from "node:fs";
import path from "node:path";
import { erc20Abi, getAddress, keccak256, parseEther, toBytes, type Address, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { poQSettlementAbi, settlementConfigAbi, stakeVaultAbi, testTokenAbi } from "../../src/chain/abis";
import { executeCall, governanceCall, scheduleCall } from "../../src/chain/governance";
import { connect, walletFor } from "../../src/chain/client";
import { readRound, rewardBooks } from "../../src/chain/reader";
import { createTxSender } from "../../src/chain/tx";
import { devKey } from "../../src/agents/accounts";
import { claimRewards } from "../../src/agents/claim";
import { LOCAL_GOLD_POOL, LOCAL_POLICY } from "../../src/agents/demo";
import { computeAssignment } from "../../src/agents/roundData";
import { loadBatch } from "../../src/protocol/manifest";
import { ContentStore } from "../../src/protocol/store";
import { deploy, E2E_PARAMS, freePort, mintForStakers, poq, revertedTransactions, ROOT, startNode, tmpDir, type Proc } from "../../test/e2e/harness";
import { Rng } from "../../src/math/prng";
import { startRpcProxy, type ProxyMode } from "./rpcProxy";
import { Command } from "commander";
import { runScript } from "../../src/runtime";
import { int, option } from "../../src/schema";

const program = new Command("faults")
  .description("fault campaign: 100 evaluators, 3 relayers, SIGKILLs and RPC faults; writes docs/faults.md")
  .option("--seed <n>", "seed of the fault schedule (POQ_FAULT_SEED)", option(int(0), "--seed"), Number(process.env.POQ_FAULT_SEED ?? 7))
  .option("--rounds <n>", "rounds to settle (POQ_FAULT_ROUNDS)", option(int(1, 1_000), "--rounds"), Number(process.env.POQ_FAULT_ROUNDS ?? 10))
  .option("--data <file>", "logged outputs to replay (POQ_FAULT_DATA; default ../shared/data's evouna-tq-dev.jsonl, else the samples)", process.env.POQ_FAULT_DATA)
  .action(async (o: { seed: number; rounds: number; data?: string }) => {
    [SEED, ROUNDS, DATA] = [o.seed, o.rounds, o.data];
    await main();
  });
let SEED = 7;
let ROUNDS = 10;
let DATA: string | undefined;
const EVALUATORS = 100;
const PER_PROCESS = 25;
const TIMEOUT_MS = 30 * 60_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const evaluatorKey = (i: number): Hex => keccak256(toBytes(`poq-campaign/evaluator/${i}`));
const behaviorOf = (i: number) => (i >= 98 ? "never-reveal" : i >= 95 ? "sabotage" : i >= 90 ? "boosting" : "honest");

async function main() {
  const stream = Rng.of(SEED, "faults");
  const rng = () => stream.next();
  const started = Date.now();
  const dir = tmpDir("poq-campaign-");
  const log = (s: string) => console.log(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)}s] ${s}`);
  const port = await freePort();
  const node = await startNode(port, dir);
  const guardian = "0x000000000000000000000000000000000000dEaD";
  const { deployment: d, file: deploymentFile } = await deploy(node.url, `campaign-${port}`, dir, { ...E2E_PARAMS, commitDuration: 20, revealDuration: 20, guardian });
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
  log(`network ready: ${EVALUATORS} evaluators funded, 3 relayers, deployment ${deploymentFile}`);

  const proxy = await startRpcProxy(node.url, rng);
  const storeDir = path.join(dir, "store");
  const dataDir = path.join(dir, "data");
  const local = JSON.parse(fs.readFileSync(path.join(ROOT, "config", "local", "agents.json"), "utf8"));
  // Ten rounds of up to 60 tasks need more outputs than the bundled samples hold: replay the shared QA set when present.
  const shared = path.join(ROOT, "..", "shared", "data", "evouna-tq-dev.jsonl");
  const replay = DATA ? [DATA] : fs.existsSync(shared) ? [shared] : local.replay.map((r: string) => path.resolve(ROOT, "config", "local", r));
  const base = { rpcUrl: proxy.url, deploymentFile, storeDir, dataDir, pollMs: 500, replay };
  const cfg = (name: string, agents: unknown[]) => {
    const f = path.join(dir, `${name}.json`);
    fs.writeFileSync(f, JSON.stringify({ ...base, agents }));
    return f;
  };
  const qaModels = [["gpt4"], ["chatgpt"], ["gpt35"], ["fid", "newbing"]];
  const inference = local.agents
    .filter((a: { type: string }) => a.type === "inference")
    .map((a: { models: string[] }, i: number) => (replay[0] === shared ? { ...a, models: qaModels[i] } : a));
  const infra = cfg("infra", [...local.agents.filter((a: { type: string }) => a.type === "funder"), ...inference]);
  const evalConfigs = Array.from({ length: EVALUATORS / PER_PROCESS }, (_, p) =>
    cfg(`evaluators-${p}`, Array.from({ length: PER_PROCESS }, (_, j) => ({ type: "evaluator", key: evaluatorKey(p * PER_PROCESS + j), behavior: behaviorOf(p * PER_PROCESS + j) }))),
  );
  const relayerArgs = (dev: number, extra: string[] = []) => ["relayer", "--rpc", proxy.url, "--deployment", deploymentFile, "--store", storeDir, "--data-dir", dataDir, "--dev-account", String(dev), "--poll-ms", "500", "--policy", LOCAL_POLICY, "--gold-pool", LOCAL_GOLD_POOL, ...extra];

  type Slot = { name: string; args: string[]; proc: Proc; restarts: number };
  const slots: Slot[] = [];
  const spawnSlot = (name: string, args: string[]) => slots.push({ name, args, proc: poq(name, args, dir), restarts: 0 });
  spawnSlot("relayer-1", relayerArgs(1, ["--registrar", "--max-rounds", String(ROUNDS), "--max-tasks", "60"]));
  spawnSlot("relayer-2", relayerArgs(2));
  spawnSlot("relayer-19", relayerArgs(19));
  spawnSlot("infra", ["agents", "--config", infra]);
  evalConfigs.forEach((f, p) => spawnSlot(`evaluators-${p}`, ["agents", "--config", f]));

  const events: string[] = [];
  const restart = async (s: Slot) => {
    s.proc.kill("SIGKILL");
    await s.proc.exited;
    await sleep(1_000 + rng() * 2_000);
    s.restarts++;
    s.proc = poq(`${s.name}-r${s.restarts}`, s.args, dir);
  };
  const fault = async (mode: ProxyMode, ms: number) => {
    proxy.setMode(mode);
    await sleep(ms);
    proxy.setMode("pass");
  };

  for (;;) {
    const closed = await client.readContract({ address: d.settlement, abi: poQSettlementAbi, functionName: "lastClosedRound" });
    if (closed >= BigInt(ROUNDS)) break;
    if (Date.now() - started > TIMEOUT_MS) throw new Error(`timed out with ${closed}/${ROUNDS} rounds closed; logs in ${dir}`);
    await sleep(6_000 + rng() * 6_000);
    const x = rng();
    let what: string;
    if (x < 0.35) {
      const s = slots.filter((z) => z.name.startsWith("relayer"))[Math.floor(rng() * 3)];
      what = `SIGKILL ${s.name}`;
      await restart(s);
    } else if (x < 0.6) {
      const s = slots.filter((z) => z.name.startsWith("evaluators"))[Math.floor(rng() * evalConfigs.length)];
      what = `SIGKILL ${s.name} (25 evaluators)`;
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
  for (const s of slots) s.proc.kill("SIGTERM");
  await Promise.all(slots.map((s) => s.proc.exited));
  log("all rounds closed; checking");

  // Checks, against the node directly.
  const ev = (eventName: string) => client.getContractEvents({ address: d.settlement, abi: poQSettlementAbi, eventName: eventName as never, fromBlock: 0n, strict: true }) as Promise<{ args: Record<string, unknown> }[]>;
  const finalized = (await ev("RoundFinalized")).map((l) => Number(l.args.roundId));
  const registered = await ev("TasksRegistered");
  const commits = await ev("ScoresCommitted");
  const reveals = await ev("ScoresRevealed");
  const revealed = new Set(reveals.map((l) => `${l.args.roundId}:${getAddress(l.args.evaluator as string)}`));
  const silent = new Set(evalAddrs.filter((_, i) => behaviorOf(i) === "never-reveal"));
  const lost = commits.filter((l) => !silent.has(getAddress(l.args.evaluator as string)) && !revealed.has(`${l.args.roundId}:${getAddress(l.args.evaluator as string)}`));
  const store = new ContentStore(storeDir);
  const seen = new Map<string, number>();
  let reused = 0;
  for (let id = 1n; id <= BigInt(ROUNDS); id++) {
    const r = await readRound(client, d, id);
    for (const t of loadBatch(store, r.taskRoot, r.taskCount).tasks) {
      if (seen.has(t.contentHash)) reused++;
      seen.set(t.contentHash, Number(id));
    }
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
  let absent = 0;
  for (let id = 1n; id <= BigInt(ROUNDS); id++) {
    const r = await readRound(client, d, id);
    const a = await computeAssignment(client, d, r);
    const committed = new Set(commits.filter((l) => l.args.roundId === id).map((l) => getAddress(l.args.evaluator as string)));
    for (const e of a.byEvaluator.keys()) if (behaviorOf(evalAddrs.indexOf(e)) === "honest" && evalAddrs.includes(e) && !committed.has(e)) absent++;
  }
  // Reverted transactions of the relayers and agents (development accounts and the campaign's evaluators). Reported,
  // not checked: a random SIGKILL may cut a process between sending and its receipt.
  const reverted = await revertedTransactions(clients, [...Array.from({ length: 20 }, (_, i) => privateKeyToAccount(devKey(i)).address), ...evalAddrs]);
  const slashedHonest = slashes.filter((l) => behaviorOf(evalAddrs.indexOf(getAddress(l.args.account))) === "honest" && evalAddrs.includes(getAddress(l.args.account)));

  const checks = {
    roundsFinalizedExactlyOnce: JSON.stringify(finalized) === JSON.stringify(Array.from({ length: ROUNDS }, (_, i) => i + 1)),
    oneRegistrationPerRound: registered.length === ROUNDS && new Set(registered.map((l) => l.args.taskRoot)).size === ROUNDS,
    noOutputInTwoRounds: reused === 0,
    noLostReveal: lost.length === 0,
    nothingPaidTwice: second.every((c) => c.paid === 0n) && books.claimed === books.allocated,
    vaultBalanced: (await bal(d.vault)) === active + queued,
    rewardVaultBalanced: books.rewardVaultBalance === books.funded - books.allocated - books.refunded,
    distributorBalanced: books.distributorBalance === books.allocated - books.claimed,
    supplyAccountedFor: held + (await bal(d.vault)) + books.rewardVaultBalance + books.distributorBalance === supply,
  };
  const ok = Object.values(checks).every(Boolean);
  const md = [
    "# Fault campaign",
    "",
    "Generated by `npm run faults` (scripts/faults/campaign.ts); do not edit by hand.",
    "",
    `Seed ${SEED}: ${EVALUATORS} evaluators in ${evalConfigs.length} processes (90 honest, 5 boosting, 3 sabotage, 2 never-reveal), 4 inference nodes, 3 relayers with quorum 2, ${ROUNDS} rounds of up to 60 tasks, k = 5, on a real \`hardhat node\` behind a fault-injecting JSON-RPC proxy. Wall time ${((Date.now() - started) / 60_000).toFixed(1)} min.`,
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
    `| reverted transactions (relayers and agents) | ${reverted.length} |`,
    `| tokens funded / allocated / claimed | ${books.funded} / ${books.allocated} / ${books.claimed} |`,
    "",
    ok ? "All checks pass." : "SOME CHECKS FAILED.",
    "",
  ].join("\n");
  fs.writeFileSync(path.join(ROOT, "docs", "faults.md"), md);
  console.log(md);
  await proxy.close();
  node.kill("SIGKILL");
  fs.rmSync(path.dirname(deploymentFile), { recursive: true, force: true });
  process.exitCode = ok ? 0 : 1;
}

runScript(program);
