import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { formatUnits, getAddress, type Address } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { poQSettlementAbi, rewardDistributorAbi } from "../../src/chain/abis";
import { unpackScores, UNAVAILABLE } from "../../src/chain/encoding";
import { readRound } from "../../src/chain/reader";
import { devKey } from "../../src/agents/accounts";
import { cidFromBytes, cidOfKeccak, isKeccakCid } from "../../src/protocol/cid";
import { HeliaContent } from "../../src/protocol/helia";
import type { BatchManifest } from "../../src/protocol/manifest";
import { ContentStore } from "../../src/protocol/store";
import { agentsConfig, cleanup, contentReady, E2E_PARAMS, freePort, poq, setupNetwork, type NetworkSetup, type Proc } from "./harness";

const addr = (i: number): Address => getAddress(privateKeyToAccount(devKey(i)).address);
/** Rounds the registrar opens; all must finalize. */
const ROUNDS = 3;
const INFERENCE: [number, string[]][] = [
  [3, ["gpt4", "M8", "M12", "M17"]],
  [4, ["chatgpt", "M9", "M13", "M20"]],
  [5, ["gpt35", "M10", "M14", "M22"]],
  [6, ["fid", "newbing", "M11", "M15", "M23"]],
];
const EVALUATORS = [7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18];

/**
 * The network with no shared folder, on a real `hardhat node`: two relayers (each a process), four inference nodes
 * (one process) and twelve evaluators (one process), every agent with its own store folder and its own embedded IPFS
 * node (Helia), all on 127.0.0.1 and peered explicitly (each node is given the addresses of the nodes started before
 * it). Outputs reach the relayers only as signed announcements to their HTTP API; manifests, gold openings, payloads
 * and outputs reach everyone else only over IPFS, found from the CIDs on chain.
 */
describe("network with a store and an IPFS node per agent (hardhat node, loopback)", () => {
  let s: NetworkSetup;
  const procs: Proc[] = [];
  /** Per agent (by name): its store folder and the addresses of its node. */
  const agents = new Map<string, { storeDir: string; addresses: string[] }>();
  /** `poq claim` run with a fresh store and its own IPFS node, peered with relayer A only, while the daemons still run. */
  let claim: { code: number | null; lines: string[]; storeBefore: boolean } | undefined;

  function start(name: string, list: unknown[], peers: string[], extra: Record<string, unknown> = {}): Proc {
    const storeDir = path.join(s.dir, name, "store");
    const file = agentsConfig(s, { storeDir, dataDir: path.join(s.dir, name, "data"), content: { kind: "helia", peers }, agents: list, ...extra }, `${name}.json`);
    const proc = poq(name, ["agents", "--config", file], s.dir);
    procs.push(proc);
    return proc;
  }
  /** Waits for the process's nodes; `names[i]` is the agent of development account `accounts[i]` (one shared node when one name). */
  async function ready(proc: Proc, names: string[], accounts: number[]): Promise<string[]> {
    const nodes = await contentReady(proc, names.length);
    const processStore = path.join(s.dir, proc.name, "store");
    for (const n of nodes) expect(n.content).toBe("helia");
    names.forEach((name, i) => {
      const n = names.length === 1 ? nodes[0] : nodes.find((x) => x.account === addr(accounts[i]))!;
      agents.set(name, { storeDir: names.length === 1 ? processStore : path.join(processStore, addr(accounts[i]).toLowerCase()), addresses: n.addresses });
    });
    return nodes.flatMap((n) => n.addresses);
  }

  beforeAll(async () => {
    s = await setupNetwork("e2e-ipfs", { ...E2E_PARAMS, commitDuration: 20, revealDuration: 20 });
    const [portA, portB] = [await freePort(), await freePort()];
    const a = start("relayer-a", [{ type: "relayer", devAccount: 1, registrar: true }, { type: "funder", devAccount: 0, mint: true }], [], { announcePort: portA, maxRounds: ROUNDS, maxTasksPerRound: 40 });
    const relayerA = await ready(a, ["relayer-a"], [1]);
    const relayerB = await ready(start("relayer-b", [{ type: "relayer", devAccount: 2 }], relayerA, { announcePort: portB }), ["relayer-b"], [2]);
    const relayers = [...relayerA, ...relayerB];
    const announceTo = [`http://127.0.0.1:${portA}`, `http://127.0.0.1:${portB}`];
    const inference = start("inference", INFERENCE.map(([i, models]) => ({ type: "inference", devAccount: i, models })), relayers, { announceTo });
    const nodes = await ready(inference, INFERENCE.map(([i]) => `inference-${i}`), INFERENCE.map(([i]) => i));
    const evaluators = start("evaluators", EVALUATORS.map((i) => ({ type: "evaluator", devAccount: i })), [...relayers, ...nodes], { announceTo });
    await ready(evaluators, EVALUATORS.map((i) => `evaluator-${i}`), EVALUATORS);

    const client = s.clients.publicClient;
    const deadline = Date.now() + 540_000;
    for (;;) {
      const closed = await client.readContract({ address: s.deployment.settlement, abi: poQSettlementAbi, functionName: "lastClosedRound" });
      if (closed >= BigInt(ROUNDS)) break;
      if (Date.now() > deadline) throw new Error(`only ${closed} of ${ROUNDS} rounds closed in time; logs in ${s.dir}`);
      await new Promise((r) => setTimeout(r, 1_000));
    }
    // A claimant on another machine: nothing in its store, the payload found from the pointers on chain over IPFS.
    const claimStore = path.join(s.dir, "claimant", "store");
    const storeBefore = fs.existsSync(claimStore);
    const c = poq(
      "claimant",
      ["claim", "--rpc", s.node.url, "--deployment", s.deploymentFile, "--store", claimStore, "--dev-account", "19", "--content", "helia", "--content-dir", path.join(s.dir, "claimant", "ipfs"), "--ipfs-peers", relayerA.join(",")],
      s.dir,
    );
    claim = { code: await c.exited, lines: c.lines, storeBefore };
    for (const p of procs) p.kill("SIGTERM");
    await Promise.all(procs.map((p) => p.exited));
  }, 720_000);

  afterAll(() => {
    for (const p of procs) p.kill("SIGKILL");
    if (s) {
      s.node.kill("SIGKILL");
      cleanup(s, "e2e-ipfs");
    }
  });

  test("behavior: every round finalizes, with every agent on its own store and its own IPFS node on loopback", async () => {
    const logs = await s.clients.publicClient.getContractEvents({ address: s.deployment.settlement, abi: poQSettlementAbi, eventName: "RoundFinalized", fromBlock: 0n, strict: true });
    expect(logs.map((l) => Number(l.args.roundId))).toEqual(Array.from({ length: ROUNDS }, (_, i) => i + 1));
    expect(agents.size).toBe(2 + INFERENCE.length + EVALUATORS.length);
    expect(new Set([...agents.values()].map((n) => n.storeDir)).size).toBe(agents.size); // no shared folder
    expect(new Set([...agents.values()].map((n) => n.addresses[0])).size).toBe(agents.size); // no shared node
    expect(fs.existsSync(s.storeDir)).toBe(false); // the setup's common store was never used
    for (const [name, n] of agents) {
      expect(fs.existsSync(n.storeDir), name).toBe(true);
      expect(n.addresses.length, name).toBeGreaterThan(0);
      for (const a of n.addresses) expect(a, name).toMatch(/^\/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\//);
    }
    expect(await Promise.all(procs.map((p) => p.exited))).toEqual(procs.map(() => 0));
  });

  test("behavior: the manifest and the payloads are pointed to on chain by CID; the other relayer and every evaluator fetched the manifest and the outputs", async () => {
    const client = s.clients.publicClient;
    const r = await readRound(client, s.deployment, 1n);
    const [registered] = await client.getContractEvents({ address: s.deployment.settlement, abi: poQSettlementAbi, eventName: "TasksRegistered", args: { roundId: 1n }, fromBlock: 0n, strict: true });
    const manifestCid = cidFromBytes(registered.args.manifestCid);
    expect(isKeccakCid(manifestCid)).toBe(false); // a UnixFS file, not a bare keccak256
    const revealed = await client.getContractEvents({ address: s.deployment.settlement, abi: poQSettlementAbi, eventName: "SettlementRevealed", args: { roundId: 1n }, fromBlock: 0n, strict: true });
    const accepted = revealed.filter((l) => l.args.settlementHash === r.settlementHash);
    expect(new Set(accepted.map((l) => getAddress(l.args.relayer)))).toEqual(new Set([addr(1), addr(2)]));
    for (const l of accepted) expect(isKeccakCid(cidFromBytes(l.args.payloadCid))).toBe(false);

    // every evaluator that committed in round 1 (those with assigned tasks) scored from its own store
    const commits = await client.getContractEvents({ address: s.deployment.settlement, abi: poQSettlementAbi, eventName: "ScoresCommitted", args: { roundId: 1n }, fromBlock: 0n, strict: true });
    const committed = EVALUATORS.filter((i) => commits.some((l) => getAddress(l.args.evaluator) === addr(i)));
    expect(committed.length).toBeGreaterThanOrEqual(E2E_PARAMS.quorum as number);
    for (const name of ["relayer-b", ...committed.map((i) => `evaluator-${i}`)]) {
      const store = new ContentStore(agents.get(name)!.storeDir);
      const hash = store.getIndex("batch", r.taskRoot);
      expect(hash, `${name} has the manifest`).toBeDefined();
      const m = store.getJson<BatchManifest>(hash as `0x${string}`);
      expect(m.tasks.length).toBe(r.taskCount);
      if (name.startsWith("evaluator")) for (const t of m.tasks) expect(store.has(t.contentHash), `${name}: output ${cidOfKeccak(t.contentHash)}`).toBe(true);
    }

    // the other relayer pinned the round's manifest and every output in its own node (its process has stopped)
    const storeB = new ContentStore(agents.get("relayer-b")!.storeDir);
    const m = storeB.getJson<BatchManifest>(storeB.getIndex("batch", r.taskRoot) as `0x${string}`);
    const node = await HeliaContent.open({ dir: path.join(agents.get("relayer-b")!.storeDir, "ipfs") });
    try {
      expect(await node.pinned(manifestCid)).toBe(true);
      for (const t of m.tasks) expect(await node.pinned(cidOfKeccak(t.contentHash)), `relayer-b pinned ${t.contentHash}`).toBe(true);
    } finally {
      await node.close();
    }
  });

  test("behavior: evaluators send their signed reveals to the relayers' API, and the registrar submits them in batches", async () => {
    const relayerA = procs.find((p) => p.name === "relayer-a")!;
    const evaluators = procs.find((p) => p.name === "evaluators")!;
    expect(relayerA.lines.some((l) => l.includes('"msg":"relaying signed reveals"'))).toBe(true);
    expect(evaluators.lines.filter((l) => l.includes("revealing directly"))).toEqual([]);
  });

  test("behavior: poq claim with its own store and IPFS node fetches the payload by its on-chain pointer and pays every account what the root owes it", async () => {
    expect(claim!.code, claim!.lines.join("\n")).toBe(0);
    const client = s.clients.publicClient;
    const r = await readRound(client, s.deployment, BigInt(ROUNDS));
    // The claimant's store did not exist: the payload it used came over IPFS, checked against the accepted hash.
    expect(claim!.storeBefore).toBe(false);
    const claimed = claim!.lines.filter((l) => / claimed /.test(l));
    expect(claimed.length).toBeGreaterThan(0);
    for (const line of claimed) {
      const [account] = line.trim().split(/\s+/);
      const paid = await client.readContract({ address: s.deployment.distributor, abi: rewardDistributorAbi, functionName: "claimed", args: [getAddress(account)] });
      const cumulative = /\(cumulative ([0-9.]+)\)/.exec(line)![1];
      expect(formatUnits(paid, 18), line).toBe(cumulative);
    }
    expect(r.settlementHash).not.toBe("0x" + "0".repeat(64));
  });

  test("behavior: every evaluator found every output in time: no score is UNAVAILABLE", async () => {
    const reveals = await s.clients.publicClient.getContractEvents({ address: s.deployment.settlement, abi: poQSettlementAbi, eventName: "ScoresRevealed", fromBlock: 0n, strict: true });
    expect(reveals.length).toBeGreaterThan(0);
    for (const l of reveals) expect(unpackScores(l.args.scores)).not.toContain(UNAVAILABLE);
  });
});
