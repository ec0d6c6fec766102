import fs from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { getAddress, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { devKey, DEV_ROLES } from "../../src/agents/accounts";
import { runDemo, type DemoSummary } from "../../src/agents/demo";
import { poQSettlementAbi } from "../../src/chain/abis";
import type { Clients } from "../../src/chain/client";
import type { Deployment } from "../../src/chain/deployment";
import { readRound } from "../../src/chain/reader";
import { cidFromBytes, cidOfKeccak, isKeccakCid } from "../../src/protocol/cid";
import { isLoopbackAddr } from "../../src/protocol/helia";
import type { BatchManifest } from "../../src/protocol/manifest";
import { loadPayload } from "../../src/protocol/payload";
import { ContentStore } from "../../src/protocol/store";

const ROUNDS = 2;
const SAMPLES = ["qa-sample.jsonl", "summarization-sample.jsonl"].map((f) => path.join(__dirname, "..", "..", "data", "samples", f));
const account = (i: number) => getAddress(privateKeyToAccount(devKey(i)).address);

/**
 * `runDemo({ content: "helia" })` in this process, on the embedded chain: every agent with a store folder and an
 * embedded IPFS node of its own, on 127.0.0.1; no folder is shared, so manifests, outputs and payloads reach the
 * agents only over IPFS (and outputs and signed reveals reach the relayers through their announcement API).
 */
describe("demo with a store folder and an IPFS node per agent", () => {
  let dir: string;
  let summary: DemoSummary;
  let chain: { clients: Clients; deployment: Deployment };
  let wallMs: number;
  const dialed: string[] = [];

  beforeAll(async () => {
    // The demo's embedded chain loads the TypeScript hardhat.config.ts, which needs a require hook inside vitest.
    createRequire(__filename)("tsx/cjs");
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "poq-demo-ipfs-"));
    const t0 = performance.now();
    summary = await runDemo({
      rounds: ROUNDS,
      tasksPerRound: 40,
      dataFiles: SAMPLES,
      storeDir: dir,
      progress: null,
      content: "helia",
      onDial: (a) => void dialed.push(a),
      onChain: (c) => void (chain = c),
    });
    wallMs = performance.now() - t0;
  }, 300_000);

  afterAll(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test("behavior: every round finalizes, claims pay what the rounds paid, and every token is accounted for", async () => {
    expect(summary.content).toBe("helia");
    expect(summary.conserved).toBe(true);
    expect(summary.rounds.map((r) => [r.id, r.finalized])).toEqual(Array.from({ length: ROUNDS }, (_, i) => [i + 1, true]));
    const finalized = await chain.clients.publicClient.getContractEvents({ address: chain.deployment.settlement, abi: poQSettlementAbi, eventName: "RoundFinalized", fromBlock: 0n, strict: true });
    expect(finalized.map((l) => Number(l.args.roundId))).toEqual(summary.rounds.map((r) => r.id));
    const paid = summary.rounds.reduce((t, r) => t + BigInt(r.inferencePaid) + BigInt(r.evaluatorPaid), 0n);
    expect(paid).toBeGreaterThan(0n);
    expect(BigInt(summary.claimsPaid)).toBe(paid);
    // The summary read every round's payload and outputs: gold mixed in, replayed outputs scored against their labels.
    for (const r of summary.rounds) expect(r.gold).toBeGreaterThan(0);
    const replayed = summary.rounds.reduce((t, r) => t + r.tasks - r.gold - r.excluded, 0);
    expect(summary.labelAgreement.reduce((t, a) => t + a.n, 0)).toBe(replayed);
    const neverReveal = summary.accounts.find((a) => a.behavior === "never-reveal")!;
    expect(neverReveal.rewards).toBe("0");
    expect(summary.rounds.flatMap((r) => r.slashed)).toContain(neverReveal.address);
    process.stderr.write(`demo with an IPFS node per agent: ${ROUNDS} rounds in ${(wallMs / 1000).toFixed(1)} s\n`);
  });

  test("behavior: each agent has a store folder of its own, the demo's folder holds no content, and every node was closed", () => {
    const agents = [...DEV_ROLES.inference, ...DEV_ROLES.evaluators, ...DEV_ROLES.relayers].map(account);
    const stores = summary.agentStores!;
    expect(Object.keys(stores).sort()).toEqual([...agents].sort());
    expect(new Set(Object.values(stores)).size).toBe(agents.length);
    for (const [a, storeDir] of Object.entries(stores)) {
      expect(path.dirname(storeDir), a).toBe(dir);
      expect(fs.existsSync(path.join(storeDir, "objects")), a).toBe(true);
      expect(fs.existsSync(path.join(storeDir, "ipfs", "LOCK")), `${a}'s node still holds its folder`).toBe(false);
    }
    // No shared store: the demo's own folder has the agents' log and their folders, nothing else.
    expect(fs.existsSync(path.join(dir, "objects"))).toBe(false);
    expect(fs.existsSync(path.join(dir, "index"))).toBe(false);
    // What the summary (and the explorer) reads is the registrar relayer's own store.
    expect(summary.contentDir).toBe(stores[account(DEV_ROLES.relayers[0])]);
  });

  test("behavior: the pointers on chain are IPFS CIDs, and every evaluator that committed fetched the manifest and every output into its own store", async () => {
    const client = chain.clients.publicClient;
    const r = await readRound(client, chain.deployment, 1n);
    const [registered] = await client.getContractEvents({ address: chain.deployment.settlement, abi: poQSettlementAbi, eventName: "TasksRegistered", args: { roundId: 1n }, fromBlock: 0n, strict: true });
    expect(isKeccakCid(cidFromBytes(registered.args.manifestCid))).toBe(false); // a UnixFS file, not the folder store's keccak256
    const revealed = await client.getContractEvents({ address: chain.deployment.settlement, abi: poQSettlementAbi, eventName: "SettlementRevealed", args: { roundId: 1n }, fromBlock: 0n, strict: true });
    expect(revealed.length).toBeGreaterThan(0);
    for (const l of revealed) expect(isKeccakCid(cidFromBytes(l.args.payloadCid))).toBe(false);

    const commits = await client.getContractEvents({ address: chain.deployment.settlement, abi: poQSettlementAbi, eventName: "ScoresCommitted", args: { roundId: 1n }, fromBlock: 0n, strict: true });
    const committed = [...new Set(commits.map((l) => getAddress(l.args.evaluator)))];
    expect(committed.length).toBeGreaterThanOrEqual(2);
    for (const e of committed) {
      const store = new ContentStore(summary.agentStores![e]);
      const hash = store.getIndex("batch", r.taskRoot);
      expect(hash, `${e} has the manifest`).toBeDefined();
      const m = store.getJson<BatchManifest>(hash as Hex);
      expect(m.tasks.length).toBe(r.taskCount);
      for (const t of m.tasks) expect(store.has(t.contentHash), `${e}: output ${cidOfKeccak(t.contentHash)}`).toBe(true);
    }
    // An inference node's store holds its own outputs only, never another node's (gold tasks, which the registrar
    // mixes in under some node's address, left aside).
    const relayer = new ContentStore(summary.contentDir);
    const m = relayer.getJson<BatchManifest>(relayer.getIndex("batch", r.taskRoot) as Hex);
    const gold = new Set(loadPayload(relayer, r.settlementHash)!.gold.map((g) => g.taskIndex));
    expect(gold.size).toBeGreaterThan(0);
    const nodes = DEV_ROLES.inference.map(account);
    const nodeStores = nodes.map((a) => new ContentStore(summary.agentStores![a]));
    const served = m.tasks.filter((_, i) => !gold.has(i));
    expect(served.length).toBeGreaterThan(0);
    for (const t of served) {
      const owner = nodes.indexOf(getAddress(t.node));
      expect(owner).toBeGreaterThanOrEqual(0);
      nodeStores.forEach((s, j) => expect(s.has(t.contentHash), `node ${nodes[j]} holds output ${t.contentHash} of node ${nodes[owner]}`).toBe(j === owner));
    }
  });

  test("behavior: the agents' nodes dialed only 127.0.0.1", () => {
    expect(dialed.length).toBeGreaterThan(0);
    for (const a of dialed) {
      expect(isLoopbackAddr(a), a).toBe(true);
      expect(a).toMatch(/^\/ip4\/127\.0\.0\.1\/tcp\/\d+/);
    }
  });
});
