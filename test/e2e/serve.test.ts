import fs from "node:fs";
import path from "node:path";
import { serve as listen, type ServerType } from "@hono/node-server";
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { getAddress, type Address, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { poQSettlementAbi, stakeVaultAbi, testTokenAbi } from "../../src/chain/abis";
import { walletFor } from "../../src/chain/client";
import { readRound, Role } from "../../src/chain/reader";
import { devKey } from "../../src/agents/accounts";
import { loadBatch, type OutputRecord } from "../../src/protocol/manifest";
import { loadPayload } from "../../src/protocol/payload";
import { signReceipt, type Receipt } from "../../src/protocol/receipt";
import { ContentStore } from "../../src/protocol/store";
import { agentsConfig, cleanup, freePort, poq, relayerArgs, setupNetwork, type NetworkSetup, type Proc } from "./harness";

const NODE = 19;
const node: Address = getAddress(privateKeyToAccount(devKey(NODE)).address);
const ROUNDS = 3;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until something answers HTTP at `url` (any status). */
async function listening(url: string, what: string, logs: string) {
  for (let t = Date.now(); ; await sleep(300)) {
    try {
      await fetch(url);
      return;
    } catch {
      if (Date.now() - t > 60_000) throw new Error(`${what} is not listening at ${url}; logs in ${logs}`);
    }
  }
}

/**
 * A user query end to end on a real `hardhat node`: an inference node process with its own store folder answers
 * `POST /v1/chat/completions` in front of an OpenAI-compatible backend (a small Hono server on 127.0.0.1 standing in
 * for a hosted LLM: it answers deterministically, it is not a model), announces the output with its signed receipt to
 * the registrar's announcement API, and the output is batched, scored and paid in a later round.
 */
describe("serving: a query to /v1/chat/completions is answered, batched, scored and paid", () => {
  let s: NetworkSetup;
  const procs: Proc[] = [];
  let backend: ServerType;
  let answer: { choices: { message: { content: string } }[]; poq: { contentHash: Hex; receipt: Receipt } };
  let status = 0;
  let forged: { status: number; error: string };
  let round = 0n;
  const nodeStore = () => path.join(s.dir, "node-store");

  beforeAll(async () => {
    s = await setupNetwork("e2e-serve");
    const owner = walletFor(s.clients, devKey(0));
    await s.clients.publicClient.waitForTransactionReceipt({ hash: await owner.writeContract({ address: s.deployment.token, abi: testTokenAbi, functionName: "mint", args: [node, 2_000n * 10n ** 18n] }) });

    const app = new Hono();
    app.post("/v1/chat/completions", async (c) => {
      const b = (await c.req.json()) as { model: string; messages: { content: string }[] };
      const content = `The answer to "${b.messages.at(-1)!.content}" is forty-two, said ${b.model}.`;
      return c.json({ object: "chat.completion", model: b.model, choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }], usage: { prompt_tokens: 9, completion_tokens: 12, total_tokens: 21 } });
    });
    const backendPort = await new Promise<number>((r) => (backend = listen({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, (i) => r(i.port))));
    const [announcePort, servePort] = [await freePort(), await freePort()];

    procs.push(poq("relayer-a", relayerArgs(s, 1, ["--registrar", "--max-rounds", String(ROUNDS), "--max-tasks", "40", "--announce-port", String(announcePort)]), s.dir));
    procs.push(poq("relayer-b", relayerArgs(s, 2), s.dir));
    procs.push(poq("agents", ["agents", "--config", agentsConfig(s)], s.dir));
    procs.push(
      poq("inference-served", [
        "inference", "--rpc", s.node.url, "--deployment", s.deploymentFile, "--store", nodeStore(), "--data-dir", path.join(s.dir, "node-data"),
        "--dev-account", String(NODE), "--poll-ms", "300", "--models", "llama-3-8b", "--backend", `http://127.0.0.1:${backendPort}/v1`,
        "--serve-port", String(servePort), "--announce", `http://127.0.0.1:${announcePort}`,
      ], s.dir),
    );
    const client = s.clients.publicClient;
    const d = s.deployment;
    // The node stakes on its first tick; relayers accept announcements of staked nodes only.
    for (let t = Date.now(); ; await sleep(300)) {
      const st = await client.readContract({ address: d.vault, abi: stakeVaultAbi, functionName: "stakeOf", args: [node, Role.Inference] });
      if (st.active > 0n) break;
      if (Date.now() - t > 60_000) throw new Error(`the serving node did not stake; logs in ${s.dir}`);
    }

    await listening(`http://127.0.0.1:${announcePort}/`, "the registrar's announcement API", s.dir);
    await listening(`http://127.0.0.1:${servePort}/v1/models`, "the node's query API", s.dir);
    // A receipt signed by another key for the same node is refused by the registrar.
    const rec: OutputRecord = { id: "x:llama-3-8b", task: "qa", queryId: "x", query: "forged?", output: "yes", model: "llama-3-8b" };
    const bad = { ...(await signReceipt(privateKeyToAccount(devKey(3)), { chainId: 31337, settlement: d.settlement }, rec, 1)), node };
    const res = await fetch(`http://127.0.0.1:${announcePort}/v1/announce`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ version: 1, record: rec, receipt: bad }) });
    forged = { status: res.status, error: ((await res.json()) as { error: string }).error };

    const q = await fetch(`http://127.0.0.1:${servePort}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "llama-3-8b", messages: [{ role: "user", content: "What is six times seven?" }] }),
    });
    status = q.status;
    answer = (await q.json()) as typeof answer;

    // Wait for a round that batches the served output to finalize.
    const store = new ContentStore(s.storeDir);
    for (let t = Date.now(); ; await sleep(1_000)) {
      const count = await client.readContract({ address: d.settlement, abi: poQSettlementAbi, functionName: "roundCount" });
      for (let id = 1n; id <= count && round === 0n; id++) {
        const r = await readRound(client, d, id);
        const m = loadBatch(store, r.taskRoot, Number(r.taskCount));
        if (m.tasks.some((x) => x.contentHash === answer.poq?.contentHash && getAddress(x.node) === node)) round = id;
      }
      const closed = await client.readContract({ address: d.settlement, abi: poQSettlementAbi, functionName: "lastClosedRound" });
      if (round > 0n && closed >= round) break;
      if (Date.now() - t > 240_000) throw new Error(`the served output was not settled in time (round ${round}, closed ${closed}); logs in ${s.dir}`);
    }
    for (const p of procs) p.kill("SIGTERM");
  }, 420_000);

  afterAll(async () => {
    for (const p of procs) p.kill("SIGKILL");
    s?.node.kill("SIGKILL");
    await new Promise<void>((r) => (backend ? backend.close(() => r()) : r()));
    if (s) cleanup(s, "e2e-serve");
  });

  test("behavior: the query is answered from the backend with a signed receipt", () => {
    expect(status).toBe(200);
    expect(answer.choices[0].message.content).toBe('The answer to "What is six times seven?" is forty-two, said llama-3-8b.');
    expect(getAddress(answer.poq.receipt.node)).toBe(node);
    expect(answer.poq.receipt.completionTokens).toBe(16); // 12 words × 1.3, rounded up: the protocol's estimate
  });

  test("behavior: the output reached the relayers' store only by its announcement (the node has its own folder)", () => {
    expect(fs.existsSync(path.join(nodeStore(), "objects", answer.poq.contentHash))).toBe(true);
    expect(new ContentStore(s.storeDir).getJson<OutputRecord>(answer.poq.contentHash).output).toBe(answer.choices[0].message.content);
  });

  test("behavior: a receipt signed by another key is refused with a clear error", () => {
    expect(forged.status).toBe(403);
    expect(forged.error).toMatch(/bad receipt signature: signed by 0x[0-9a-fA-F]{40}, not by the node it names/);
  });

  test("behavior: the served output was scored in a later round, and its node is paid", async () => {
    expect(round).toBeGreaterThan(0n);
    const r = await readRound(s.clients.publicClient, s.deployment, round);
    const payload = loadPayload(new ContentStore(s.storeDir), r.settlementHash)!;
    const owed = payload.claims.find((c) => getAddress(c.account) === node);
    expect(BigInt(owed?.cumulativeAmount ?? 0)).toBeGreaterThan(0n);
  });
});
