import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { getAddress, type Address } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { poQSettlementAbi } from "../../src/chain/abis";
import { unpackScores, UNAVAILABLE } from "../../src/chain/encoding";
import { readRound } from "../../src/chain/reader";
import { devKey } from "../../src/agents/accounts";
import { cidFromBytes, cidOfKeccak, isKeccakCid } from "../../src/protocol/cid";
import type { BatchManifest } from "../../src/protocol/manifest";
import { ContentStore } from "../../src/protocol/store";
import { agentsConfig, cleanup, contentReady, E2E_PARAMS, freePort, poq, setupNetwork, type NetworkSetup, type Proc } from "./harness";

const addr = (i: number): Address => getAddress(privateKeyToAccount(devKey(i)).address);
/** Rounds the registrar opens; at least the first must finalize. */
const ROUNDS = 2;
const INFERENCE: [number, string[]][] = [
  [3, ["gpt4", "M8", "M12", "M17"]],
  [4, ["chatgpt", "M9", "M13", "M20"]],
];
const EVALUATORS = [7, 8, 9];

/**
 * The network with no shared folder, on a real `hardhat node`: two relayers, two inference nodes and three
 * evaluators, each in its own process with its own store folder and its own embedded IPFS node (Helia), all on
 * 127.0.0.1 and peered explicitly (each node is given the addresses of the nodes started before it). Outputs reach
 * the relayers only as signed announcements to their HTTP API; manifests, gold openings, payloads and outputs reach
 * everyone else only over IPFS, found from the CIDs on chain.
 */
describe("network with a store and an IPFS node per daemon (hardhat node, loopback)", () => {
  let s: NetworkSetup;
  const procs: Proc[] = [];
  const named = new Map<string, { proc: Proc; storeDir: string; addresses: string[] }>();

  function start(name: string, agents: unknown[], peers: string[], extra: Record<string, unknown> = {}): { proc: Proc; storeDir: string } {
    const storeDir = path.join(s.dir, name, "store");
    const file = agentsConfig(s, { storeDir, dataDir: path.join(s.dir, name, "data"), content: { kind: "helia", peers }, agents, ...extra }, `${name}.json`);
    const proc = poq(name, ["agents", "--config", file], s.dir);
    procs.push(proc);
    return { proc, storeDir };
  }
  async function ready(name: string, p: { proc: Proc; storeDir: string }) {
    const { content, addresses } = await contentReady(p.proc);
    expect(content).toBe("helia");
    named.set(name, { ...p, addresses });
    return addresses;
  }

  beforeAll(async () => {
    s = await setupNetwork("e2e-ipfs", { ...E2E_PARAMS, k: 3, commitDuration: 20, revealDuration: 20 });
    const [portA, portB] = [await freePort(), await freePort()];
    const a = start("relayer-a", [{ type: "relayer", devAccount: 1, registrar: true }, { type: "funder", devAccount: 0, mint: true }], [], { announcePort: portA, maxRounds: ROUNDS, maxTasksPerRound: 20 });
    const relayerA = await ready("relayer-a", a);
    const relayerB = await ready("relayer-b", start("relayer-b", [{ type: "relayer", devAccount: 2 }], relayerA, { announcePort: portB }));
    const relayers = [...relayerA, ...relayerB];
    const announceTo = [`http://127.0.0.1:${portA}`, `http://127.0.0.1:${portB}`];
    const started = INFERENCE.map(([i, models]) => [`inference-${i}`, start(`inference-${i}`, [{ type: "inference", devAccount: i, models }], relayers, { announceTo })] as const);
    const nodes = (await Promise.all(started.map(([name, p]) => ready(name, p)))).flat();
    const evaluators = EVALUATORS.map((i) => [`evaluator-${i}`, start(`evaluator-${i}`, [{ type: "evaluator", devAccount: i }], [...relayers, ...nodes])] as const);
    await Promise.all(evaluators.map(([name, p]) => ready(name, p)));

    const client = s.clients.publicClient;
    const deadline = Date.now() + 420_000;
    for (;;) {
      const closed = await client.readContract({ address: s.deployment.settlement, abi: poQSettlementAbi, functionName: "lastClosedRound" });
      if (closed >= 1n) break;
      if (Date.now() > deadline) throw new Error(`no round closed in time; logs in ${s.dir}`);
      await new Promise((r) => setTimeout(r, 1_000));
    }
    for (const p of procs) p.kill("SIGTERM");
    await Promise.all(procs.map((p) => p.exited));
  }, 600_000);

  afterAll(() => {
    for (const p of procs) p.kill("SIGKILL");
    if (s) {
      s.node.kill("SIGKILL");
      cleanup(s, "e2e-ipfs");
    }
  });

  test("behavior: the first round finalizes, with every daemon on its own store and its own IPFS node on loopback", async () => {
    const logs = await s.clients.publicClient.getContractEvents({ address: s.deployment.settlement, abi: poQSettlementAbi, eventName: "RoundFinalized", fromBlock: 0n, strict: true });
    expect(logs.map((l) => Number(l.args.roundId))).toContain(1);
    const stores = [...named.values()].map((n) => n.storeDir);
    expect(new Set(stores).size).toBe(named.size); // no shared folder
    expect(fs.existsSync(s.storeDir)).toBe(false); // the setup's common store was never used
    for (const [name, n] of named) {
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

    for (const name of ["relayer-b", ...EVALUATORS.map((i) => `evaluator-${i}`)]) {
      const store = new ContentStore(named.get(name)!.storeDir);
      const hash = store.getIndex("batch", r.taskRoot);
      expect(hash, `${name} has the manifest`).toBeDefined();
      const m = store.getJson<BatchManifest>(hash as `0x${string}`);
      expect(m.tasks.length).toBe(r.taskCount);
      if (name.startsWith("evaluator")) for (const t of m.tasks) expect(store.has(t.contentHash), `${name}: output ${cidOfKeccak(t.contentHash)}`).toBe(true);
    }
  });

  test("behavior: every evaluator found every output in time: no score is UNAVAILABLE", async () => {
    const reveals = await s.clients.publicClient.getContractEvents({ address: s.deployment.settlement, abi: poQSettlementAbi, eventName: "ScoresRevealed", args: { roundId: 1n }, fromBlock: 0n, strict: true });
    expect(reveals.length).toBeGreaterThan(0);
    for (const l of reveals) expect(unpackScores(l.args.scores)).not.toContain(UNAVAILABLE);
  });
});
