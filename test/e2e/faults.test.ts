import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { getAddress, type Address } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { devKey } from "../../src/agents/accounts";
import { poQSettlementAbi } from "../../src/chain/abis";
import { Phase, readRound } from "../../src/chain/reader";
import { computeRoundSettlement } from "../../src/agents/settle";
import { ContentStore } from "../../src/protocol/store";
import { loadPolicy } from "../../src/agents/policy";
import { LOCAL_POLICY } from "../../src/agents/demo";
import { agentsConfig, cleanup, E2E_PARAMS, poq, relayerArgs, revertedTransactions, setupNetwork, type NetworkSetup, type Proc } from "./harness";

const ROUNDS = 4;

/**
 * Faults against a real `hardhat node`: the registrar relayer is killed with SIGKILL after registering, after
 * committing, after revealing and before finalizing, and restarted each time; later the node itself is frozen for
 * 10 s (SIGSTOP) in the middle of a round. Every round must still finalize exactly once, with the settlement that
 * anyone recomputes from chain data and the store, and no relayer may commit, reveal or finalize twice.
 */
describe("faults: relayer SIGKILLs and an RPC outage", () => {
  let s: NetworkSetup;
  const procs: Proc[] = [];
  const kills: string[] = [];
  let outageSeconds = 0;

  const relayerA = () => {
    const p = poq(`relayer-a-${procs.length}`, relayerArgs(s, 1, ["--registrar", "--max-rounds", String(ROUNDS), "--max-tasks", "30"]), s.dir);
    procs.push(p);
    return p;
  };

  beforeAll(async () => {
    // The reveal window (20 s) outlasts the outage (10 s), so evaluators can still reveal after the node is back.
    s = await setupNetwork("faults", { ...E2E_PARAMS, revealDuration: 20 });
    procs.push(poq("relayer-b", relayerArgs(s, 2), s.dir));
    procs.push(poq("agents", ["agents", "--config", agentsConfig(s)], s.dir));
    const client = s.clients.publicClient;
    const d = s.deployment;
    let a = relayerA();
    const step = (round: number, name: string) => (l: string) => l.includes(`"msg":"round ${round}: ${name}"`);

    // Crash points, in order: each waits for the step's log line, then SIGKILLs and restarts relayer A.
    const points: [number, string][] = [
      [1, "registerTasks"],
      [1, "commitSettlement"],
      [2, "revealSettlement"],
    ];
    for (const [round, name] of points) {
      await a.waitFor(step(round, name), 180_000, `round ${round} ${name}`);
      a.kill("SIGKILL");
      await a.exited;
      kills.push(`round ${round} after ${name}`);
      a = relayerA();
    }
    // Before finalizing: kill while round 3 sits in its challenge window.
    for (;;) {
      const count = await client.readContract({ address: d.settlement, abi: poQSettlementAbi, functionName: "roundCount" });
      if (count >= 3n && (await readRound(client, d, 3n)).phase === Phase.Challenge) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    a.kill("SIGKILL");
    await a.exited;
    kills.push("round 3 before finalize");
    a = relayerA();

    // RPC outage: freeze the node for 10 s as round 4's reveal window opens.
    for (;;) {
      const count = await client.readContract({ address: d.settlement, abi: poQSettlementAbi, functionName: "roundCount" });
      if (count >= 4n && (await readRound(client, d, 4n)).phase === Phase.Reveal) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const t0 = Date.now();
    s.node.child.kill("SIGSTOP");
    await new Promise((r) => setTimeout(r, 10_000));
    s.node.child.kill("SIGCONT");
    outageSeconds = (Date.now() - t0) / 1000;

    const deadline = Date.now() + 300_000;
    for (;;) {
      const closed = await client.readContract({ address: d.settlement, abi: poQSettlementAbi, functionName: "lastClosedRound" });
      if (closed >= BigInt(ROUNDS)) break;
      if (Date.now() > deadline) throw new Error(`only ${closed} of ${ROUNDS} rounds closed; logs in ${s.dir}`);
      await new Promise((r) => setTimeout(r, 1_000));
    }
    for (const p of procs) p.kill("SIGTERM");
    await Promise.all(procs.map((p) => p.exited));
  }, 600_000);

  afterAll(() => {
    for (const p of procs) p.kill("SIGKILL");
    s?.node.child.kill("SIGCONT");
    s?.node.kill("SIGKILL");
    if (s) cleanup(s, "faults");
  });

  test("behavior: the crashes and the outage happened (seen in the processes and on the chain, not in this test's notes)", async () => {
    // The operating system ended the first four registrar relayers with SIGKILL, each after it logged the step it was
    // to be killed after.
    const killed = procs.filter((p) => p.name.startsWith("relayer-a-")).slice(0, 4);
    expect(killed.map((p) => p.child.signalCode), kills.join("; ")).toEqual(["SIGKILL", "SIGKILL", "SIGKILL", "SIGKILL"]);
    ["round 1: registerTasks", "round 1: commitSettlement", "round 2: revealSettlement"].forEach((step, i) => {
      expect(killed[i].lines.some((l) => l.includes(`"msg":"${step}"`)), `${killed[i].name} logged ${step}`).toBe(true);
    });
    // The node stood still: the chain, which mines a block every second, has a gap of at least 10 s between two
    // consecutive blocks after round 4 was registered.
    const client = s.clients.publicClient;
    const [registered4] = await client.getContractEvents({ address: s.deployment.settlement, abi: poQSettlementAbi, eventName: "TasksRegistered", args: { roundId: 4n }, fromBlock: 0n, strict: true });
    const latest = await client.getBlockNumber();
    let previous = (await client.getBlock({ blockNumber: registered4.blockNumber })).timestamp;
    let gap = 0n;
    for (let n = registered4.blockNumber + 1n; n <= latest; n++) {
      const t = (await client.getBlock({ blockNumber: n })).timestamp;
      if (t - previous > gap) gap = t - previous;
      previous = t;
    }
    expect(Number(gap), `node frozen for ${outageSeconds} s`).toBeGreaterThanOrEqual(10);
  });

  test("behavior: every round finalizes exactly once, with the recomputed settlement", async () => {
    const client = s.clients.publicClient;
    const finalized = await client.getContractEvents({ address: s.deployment.settlement, abi: poQSettlementAbi, eventName: "RoundFinalized", fromBlock: 0n, strict: true });
    expect(finalized.map((l) => Number(l.args.roundId))).toEqual([1, 2, 3, 4]);
    const registered = await client.getContractEvents({ address: s.deployment.settlement, abi: poQSettlementAbi, eventName: "TasksRegistered", fromBlock: 0n, strict: true });
    expect(registered).toHaveLength(ROUNDS);
    expect(new Set(registered.map((l) => l.args.taskRoot)).size).toBe(ROUNDS);
    const store = new ContentStore(s.storeDir);
    for (let id = 1n; id <= BigInt(ROUNDS); id++) {
      const r = await readRound(client, s.deployment, id);
      const again = await computeRoundSettlement({ client, deployment: s.deployment, store, policy: loadPolicy(LOCAL_POLICY) }, r);
      expect(again.hash).toBe(r.settlementHash);
    }
  });

  test("behavior: no relayer committed, revealed or proposed twice in one attempt", async () => {
    const client = s.clients.publicClient;
    const d = s.deployment;
    for (const eventName of ["SettlementCommitted", "SettlementRevealed"] as const) {
      const logs = await client.getContractEvents({ address: d.settlement, abi: poQSettlementAbi, eventName, fromBlock: 0n, strict: true });
      const keys = logs.map((l) => `${l.args.roundId}:${getAddress(l.args.relayer as Address)}:${l.args.attempt}`);
      expect(new Set(keys).size).toBe(keys.length);
      expect(keys.length).toBe(ROUNDS * 2);
    }
    const proposed = await client.getContractEvents({ address: d.settlement, abi: poQSettlementAbi, eventName: "AssignmentProposed", fromBlock: 0n, strict: true });
    expect(proposed).toHaveLength(ROUNDS * 2);
  });

  test("behavior: no transaction reverted, through the SIGKILLs and the outage", async () => {
    // Every kill point comes after the step's receipt (the relayer logs `round N: <step>` once its transaction is
    // mined), and the kill before finalizing lands in the challenge window, when a relayer has nothing to send; a
    // restarted relayer re-reads the phase and simulates before it sends. So no transaction is cut in flight and
    // none may revert: the allow-list of reverted transactions is empty.
    const accounts = Array.from({ length: 20 }, (_, i) => getAddress(privateKeyToAccount(devKey(i)).address));
    const reverted = await revertedTransactions(s.clients, accounts);
    expect(reverted, `reverted transactions (${reverted.length}); logs in ${s.dir}`).toEqual([]);
    // The scan does see the relayers' transactions.
    expect(await s.clients.publicClient.getTransactionCount({ address: accounts[1] })).toBeGreaterThan(0);
  });

  test("behavior: no reveal was lost to the outage (every committed honest evaluator revealed)", async () => {
    const client = s.clients.publicClient;
    const d = s.deployment;
    const commits = await client.getContractEvents({ address: d.settlement, abi: poQSettlementAbi, eventName: "ScoresCommitted", fromBlock: 0n, strict: true });
    const reveals = await client.getContractEvents({ address: d.settlement, abi: poQSettlementAbi, eventName: "ScoresRevealed", fromBlock: 0n, strict: true });
    const revealed = new Set(reveals.map((l) => `${l.args.roundId}:${getAddress(l.args.evaluator)}`));
    const silent = getAddress("0xdD2FD4581271e230360230F9337D5c0430Bf44C0"); // development account 18: never reveals
    const missing = commits.filter((l) => getAddress(l.args.evaluator) !== silent && !revealed.has(`${l.args.roundId}:${getAddress(l.args.evaluator)}`));
    expect(missing).toEqual([]);
    // Round 4 went through the outage with every assigned evaluator committed and every honest one revealed.
    const round4 = commits.filter((l) => l.args.roundId === 4n);
    expect(round4.length).toBeGreaterThanOrEqual(10);
    expect(reveals.filter((l) => l.args.roundId === 4n).length).toBe(round4.filter((l) => getAddress(l.args.evaluator) !== silent).length);
  });
}, 900_000);
