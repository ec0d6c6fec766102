import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { getAddress, type Address } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { poQSettlementAbi, rewardDistributorAbi, stakeVaultAbi } from "../../src/chain/abis";
import { readRound, rewardBooks } from "../../src/chain/reader";
import { devKey, DEV_ROLES } from "../../src/agents/accounts";
import { computeRoundSettlement } from "../../src/agents/settle";
import { loadPayload } from "../../src/protocol/payload";
import { ContentStore } from "../../src/protocol/store";
import { loadPolicy } from "../../src/agents/policy";
import { LOCAL_POLICY } from "../../src/agents/demo";
import { turnLeader } from "../../src/agents/turns";
import { agentsConfig, balanceOf, cleanup, E2E_PARAMS, poq, relayerArgs, revertedTransactions, setupNetwork, type NetworkSetup, type NodeKind, type Proc } from "./harness";

const addr = (i: number): Address => getAddress(privateKeyToAccount(devKey(i)).address);
const ROUNDS = 3;

type Run = { s: NetworkSetup; procs: Proc[] };
const NODES: NodeKind[] = ["hardhat", "anvil"];
const setups: NetworkSetup[] = [];
const allProcs: Proc[] = [];

/**
 * One network: the node, two relayers and the agents, run until ROUNDS rounds closed, then the daemons are stopped.
 * Set-ups run one after the other: each Ignition deploy may compile into the shared artifacts folder.
 */
let setupQueue: Promise<unknown> = Promise.resolve();
async function runNetwork(kind: NodeKind): Promise<Run> {
  const setup = setupQueue.then(() => setupNetwork(`e2e-${kind}`, E2E_PARAMS, kind));
  setupQueue = setup.catch(() => undefined);
  const s = await setup;
  setups.push(s);
  const procs = [
    poq("relayer-a", relayerArgs(s, 1, ["--registrar", "--max-rounds", String(ROUNDS), "--max-tasks", "40"]), s.dir),
    poq("relayer-b", relayerArgs(s, 2), s.dir),
    poq("agents", ["agents", "--config", agentsConfig(s)], s.dir),
  ];
  allProcs.push(...procs);
  const client = s.clients.publicClient;
  const deadline = Date.now() + 300_000;
  for (;;) {
    const closed = await client.readContract({ address: s.deployment.settlement, abi: poQSettlementAbi, functionName: "lastClosedRound" });
    if (closed >= BigInt(ROUNDS)) break;
    if (Date.now() > deadline) throw new Error(`${kind}: only ${closed} of ${ROUNDS} rounds closed in time; logs in ${s.dir}`);
    await new Promise((r) => setTimeout(r, 1_000));
  }
  for (const p of procs) p.kill("SIGTERM");
  return { s, procs };
}

// Both networks run side by side (their daemons mostly wait on phase windows); each describe block awaits its own.
const runs = new Map<NodeKind, Promise<Run>>();
beforeAll(() => {
  for (const kind of NODES) {
    const run = runNetwork(kind);
    run.catch(() => undefined); // reported by the describe block that awaits it
    runs.set(kind, run);
  }
});

afterAll(async () => {
  for (const p of allProcs) p.kill("SIGKILL");
  for (const s of setups) {
    s.node.kill("SIGKILL");
    cleanup(s, "e2e");
  }
});

/**
 * End to end against a real node process, `hardhat node` and anvil alike: two relayer processes (quorum 2) and one
 * process hosting four inference nodes and twelve evaluators (a booster, a saboteur and a never-revealer among them).
 */
describe.each(NODES)("network on %s: relayers and agents as separate processes", (kind) => {
  let s: NetworkSetup;
  let procs: Proc[];

  beforeAll(async () => {
    ({ s, procs } = await runs.get(kind)!);
  }, 360_000);

  test("behavior: daemons shut down gracefully on SIGTERM", async () => {
    const codes = await Promise.all(procs.map((p) => p.exited));
    expect(codes).toEqual([0, 0, 0]);
    for (const p of procs) expect(p.lines.some((l) => l.includes('"msg":"stopped"'))).toBe(true);
  });

  test("behavior: every round finalizes exactly once", async () => {
    const logs = await s.clients.publicClient.getContractEvents({ address: s.deployment.settlement, abi: poQSettlementAbi, eventName: "RoundFinalized", fromBlock: 0n, strict: true });
    expect(logs.map((l) => Number(l.args.roundId))).toEqual([1, 2, 3]);
  });

  test("behavior: no agent sent a transaction that reverted (relayers re-read the phase and simulate before sending)", async () => {
    const accounts = Array.from({ length: 20 }, (_, i) => addr(i));
    const reverted = await revertedTransactions(s.clients, accounts);
    expect(reverted, `reverted transactions; logs in ${s.dir}`).toEqual([]);
    // The scan does see the agents' transactions.
    expect(await s.clients.publicClient.getTransactionCount({ address: addr(1) })).toBeGreaterThan(0);
  });

  test("behavior: relayers take turns: each round is finalized by its leader (relayers round-robin by round id), and only once", async () => {
    const logs = await s.clients.publicClient.getContractEvents({ address: s.deployment.settlement, abi: poQSettlementAbi, eventName: "RoundFinalized", fromBlock: 0n, strict: true });
    expect(logs.map((l) => Number(l.args.roundId))).toEqual([1, 2, 3]);
    // Both relayers were up the whole time, so the non-leader's grace period never ran out.
    for (const l of logs) expect(getAddress(l.args.caller), `round ${l.args.roundId}`).toBe(turnLeader([addr(1), addr(2)], l.args.roundId));
  });

  test("behavior: settlements recompute to the accepted hash from chain data and the store alone", async () => {
    const store = new ContentStore(s.storeDir);
    for (let id = 1n; id <= BigInt(ROUNDS); id++) {
      const r = await readRound(s.clients.publicClient, s.deployment, id);
      const again = await computeRoundSettlement({ client: s.clients.publicClient, deployment: s.deployment, store, policy: loadPolicy(LOCAL_POLICY) }, r);
      expect(again.hash).toBe(r.settlementHash);
      // Every round carried hidden gold tasks from the committed pool, opened in its settlement.
      expect(again.file.gold.length).toBeGreaterThan(0);
      expect(again.settlement.goldCount).toBe(again.file.gold.length);
    }
  });

  test("behavior: the booster and the saboteur are slashed for low trust, the never-revealer for not revealing", async () => {
    const logs = await s.clients.publicClient.getContractEvents({ address: s.deployment.vault, abi: stakeVaultAbi, eventName: "Slashed", fromBlock: 0n, strict: true });
    const reasons = new Map<Address, Set<number>>();
    for (const l of logs) {
      const a = getAddress(l.args.account);
      reasons.set(a, (reasons.get(a) ?? new Set()).add(Number(l.args.reason)));
      expect(l.args.amount).toBeGreaterThan(0n);
    }
    const [booster, saboteur, silent] = [addr(16), addr(17), addr(18)];
    expect(reasons.get(booster)?.has(2)).toBe(true);
    expect(reasons.get(saboteur)?.has(2)).toBe(true);
    expect(reasons.get(silent)?.has(1)).toBe(true);
    const honest = DEV_ROLES.evaluators.slice(0, 9).map(addr);
    for (const h of honest) expect(reasons.has(h)).toBe(false);
  });

  test("behavior: the never-revealer earns nothing; every claim pays; tokens balance exactly", async () => {
    const client = s.clients.publicClient;
    const d = s.deployment;
    const rootRound = await client.readContract({ address: d.distributor, abi: rewardDistributorAbi, functionName: "rootRound" });
    const r = await readRound(client, d, rootRound);
    const payload = loadPayload(new ContentStore(s.storeDir), r.settlementHash)!;
    const owed = new Map(payload.claims.map((c) => [getAddress(c.account), BigInt(c.cumulativeAmount)]));
    expect(owed.get(addr(18)) ?? 0n).toBe(0n);
    for (const n of DEV_ROLES.inference) expect(owed.get(addr(n)) ?? 0n).toBeGreaterThan(0n);

    const before = new Map<Address, bigint>();
    for (const a of owed.keys()) before.set(a, await balanceOf(s.clients, d, a));
    const claim = poq("claim", ["claim", "--rpc", s.node.url, "--deployment", s.deploymentFile, "--store", s.storeDir, "--dev-account", "0"], s.dir);
    expect(await claim.exited).toBe(0);
    for (const [a, amount] of owed) expect((await balanceOf(s.clients, d, a)) - before.get(a)!).toBe(amount);

    // A second claim pays nothing.
    const again = poq("claim-again", ["claim", "--rpc", s.node.url, "--deployment", s.deploymentFile, "--store", s.storeDir, "--dev-account", "0"], s.dir);
    expect(await again.exited).toBe(0);
    expect(again.lines.every((l) => l.includes("nothing to claim"))).toBe(true);

    const books = await rewardBooks(client, d);
    const { funded, allocated, claimed, refunded } = books;
    expect(claimed).toBe(allocated);
    expect(await balanceOf(s.clients, d, d.distributor)).toBe(allocated - claimed);
    expect(await balanceOf(s.clients, d, books.rewardVault)).toBe(funded - allocated - refunded);
    const [active, queued] = await client.readContract({ address: d.vault, abi: stakeVaultAbi, functionName: "totalStaked" });
    expect(await balanceOf(s.clients, d, d.vault)).toBe(active + queued);
    let held = 0n;
    for (let i = 0; i < 20; i++) held += await balanceOf(s.clients, d, addr(i));
    held += await balanceOf(s.clients, d, d.challenges);
    const supply = await client.readContract({ address: d.token, abi: [{ type: "function", name: "totalSupply", inputs: [], outputs: [{ type: "uint256" }], stateMutability: "view" }] as const, functionName: "totalSupply" });
    expect(held + active + queued + books.rewardVaultBalance + books.distributorBalance).toBe(supply);
  });

  test("behavior: bad input gets a clear error and a non-zero exit, never a stack trace", async () => {
    const fs = await import("node:fs");
    await expect(readRound(s.clients.publicClient, s.deployment, 99n)).rejects.toThrow("unknown round 99");

    const wrong = path.join(s.dir, "wrong.json");
    fs.writeFileSync(wrong, JSON.stringify({ ...s.deployment, chainId: undefined, settlement: s.deployment.token }));
    const badConfig = path.join(s.dir, "bad.json");
    fs.writeFileSync(badConfig, "{ not json");
    const cases: [string[], RegExp][] = [
      [["claim", "--rpc", s.node.url, "--deployment", wrong, "--dev-account", "0"], /wrong contract address/],
      [["claim", "--rpc", s.node.url, "--deployment", s.deploymentFile], /missing private key \(set it in the config, the environment or a flag\)/],
      [["agents", "--config", badConfig], /malformed config/],
      [["claim", "--rpc", "not a url", "--dev-account", "0"], /malformed RPC URL/],
      [["fund", "--rpc", s.node.url, "--deployment", s.deploymentFile, "--dev-account", "0", "--round", "0", "--inference", "1", "--evaluator", "1"], /--round must be an integer >= 1, got 0/],
    ];
    for (const [args, message] of cases) {
      const p = poq("bad-input", args, s.dir);
      expect(await p.exited).toBe(2);
      const text = p.lines.join("\n");
      expect(text).toMatch(message);
      expect(text).not.toMatch(/^\s+at /m);
    }
  });
}, 600_000);
