import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { serve as listen, type ServerType } from "@hono/node-server";
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { privateKeyToAccount } from "viem/accounts";
import { getAddress, type Hex } from "viem";
import { ContentStore } from "../protocol/store";
import type { OutputRecord } from "../protocol/manifest";
import { queryHashOf, verifyReceipt, type Receipt } from "../protocol/receipt";
import { fileOutput, pendingReceipt, RECEIPT_INDEX, receiptKey } from "./outputs";
import { httpBackend, replayBackend, startServe } from "./serve";

/**
 * The query API against a real HTTP server speaking the OpenAI chat-completions API on 127.0.0.1: a small Hono
 * stand-in for a hosted LLM (it answers deterministically from the request), not a model.
 */
const domain = { chainId: 31337, settlement: "0x5FbDB2315678afecb367f032d93F642f64180aa3" as const };
const keyA = `0x${"a1".repeat(32)}` as Hex;
const keyB = `0x${"b2".repeat(32)}` as Hex;

let backend: ServerType;
let backendUrl = "";
const seen: { model: string; stream: unknown; auth?: string }[] = [];
const closers: (() => Promise<void>)[] = [];
const dirs: string[] = [];

function store() {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "poq-serve-"));
  dirs.push(d);
  return new ContentStore(d);
}

async function node(key: Hex, peers: string[] = [], backendFor = () => httpBackend(backendUrl, { apiKey: "sk-test" })) {
  const s = store();
  const signer = privateKeyToAccount(key);
  const srv = await startServe({ port: 0, models: ["llama-3-8b"], backend: backendFor(), peers, file: (record: OutputRecord, latencyMs: number) => fileOutput({ store: s, signer, domain, record, latencyMs }) });
  closers.push(srv.close);
  return { store: s, url: `http://127.0.0.1:${srv.port}`, address: signer.address };
}

const chat = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });

beforeAll(async () => {
  const app = new Hono();
  app.post("/v1/chat/completions", async (c) => {
    const b = (await c.req.json()) as { model: string; stream?: boolean; messages: { role: string; content: string }[] };
    seen.push({ model: b.model, stream: b.stream, auth: c.req.header("authorization") });
    const last = b.messages[b.messages.length - 1].content;
    if (last === "fail") return c.json({ error: { message: "overloaded" } }, 500);
    const content = `Answer from ${b.model}: ${last.split("").reverse().join("")}`;
    return c.json({ id: "x", object: "chat.completion", model: b.model, choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }], usage: { prompt_tokens: 11, completion_tokens: 7, total_tokens: 18 } });
  });
  await new Promise<void>((r) => {
    backend = listen({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, (info) => {
      backendUrl = `http://127.0.0.1:${info.port}/v1`;
      r();
    });
  });
});

afterAll(async () => {
  for (const c of closers) await c();
  await new Promise<void>((r) => backend.close(() => r()));
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

describe("POST /v1/chat/completions", () => {
  it("answers from the backend, files an output record with a signed receipt, and fans out to a peer", async () => {
    const b = await node(keyB);
    const a = await node(keyA, [b.url]);
    const res = await chat(a.url, { model: "llama-3-8b", messages: [{ role: "system", content: "Be brief." }, { role: "user", content: "abc def" }] });
    expect(res.status).toBe(200);
    const j = (await res.json()) as { choices: { message: { content: string } }[]; usage: Record<string, number>; poq: { contentHash: Hex; queryHash: Hex; receipt: Receipt; backendUsage: unknown; fanout: { peer: string; contentHash?: Hex; error?: string }[] } };
    expect(j.choices[0].message.content).toBe("Answer from llama-3-8b: fed cba");
    expect(seen.at(-1)).toEqual({ model: "llama-3-8b", stream: false, auth: "Bearer sk-test" });
    // The node's own usage is the protocol's token estimate; the backend's is kept alongside.
    expect(j.usage).toEqual({ prompt_tokens: 3 + 3, completion_tokens: 7, total_tokens: 13 });
    expect(j.poq.backendUsage).toEqual({ prompt_tokens: 11, completion_tokens: 7, total_tokens: 18 });

    // Filed: record, receipt, pending entry under A.
    const pendingA = a.store.listPending().get(a.address.toLowerCase());
    expect(pendingA).toEqual([j.poq.contentHash]);
    const rec = a.store.getJson<OutputRecord>(j.poq.contentHash);
    expect(rec).toMatchObject({ task: "qa", query: "abc def", context: "Be brief.", output: "Answer from llama-3-8b: fed cba", model: "llama-3-8b", queryId: j.poq.queryHash, tokens: 7 });
    expect(rec.latencyMs).toBe(j.poq.receipt.latencyMs);
    expect(j.poq.queryHash).toBe(queryHashOf({ query: "abc def", context: "Be brief." }));
    await expect(pendingReceipt(a.store, domain, a.address, j.poq.contentHash, rec)).resolves.toMatchObject({ node: getAddress(a.address), completionTokens: 7 });

    // Fanned out: B answered the same query and filed its own output of the same query id, once (no re-fan-out).
    expect(j.poq.fanout).toHaveLength(1);
    expect(j.poq.fanout[0].error).toBeUndefined();
    const hashB = j.poq.fanout[0].contentHash!;
    expect(b.store.listPending().get(b.address.toLowerCase())).toEqual([hashB]);
    const recB = b.store.getJson<OutputRecord>(hashB);
    expect(recB.queryId).toBe(rec.queryId);
    await expect(pendingReceipt(b.store, domain, b.address, hashB, recB)).resolves.toBeTruthy();
    // B's output under A's name is refused: wrong signer.
    await expect(verifyReceipt(domain, b.store.getJson(b.store.getIndex(RECEIPT_INDEX, receiptKey(b.address, hashB)) as Hex), recB, a.address)).rejects.toThrow(/wrong receipt signer/);
  });

  it("refuses streaming, unknown models and malformed bodies with clear errors, and reports backend failures", async () => {
    const a = await node(keyA);
    const stream = await chat(a.url, { model: "llama-3-8b", stream: true, messages: [{ role: "user", content: "hi" }] });
    expect(stream.status).toBe(400);
    expect(((await stream.json()) as { error: { message: string } }).error.message).toMatch(/streaming is not supported/);
    const unknown = await chat(a.url, { model: "gpt-4o", messages: [{ role: "user", content: "hi" }] });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { message: string } }).error.message).toMatch(/model gpt-4o is not served here \(served: llama-3-8b\)/);
    const noUser = await chat(a.url, { messages: [{ role: "system", content: "x" }] });
    expect(noUser.status).toBe(400);
    const failing = await chat(a.url, { messages: [{ role: "user", content: "fail" }] });
    expect(failing.status).toBe(502);
    expect(((await failing.json()) as { error: { message: string } }).error.message).toMatch(/answered 500/);
    // Nothing was filed for refused or failed queries.
    expect(a.store.listPending().size).toBe(0);
  });

  it("a stored receipt that was tampered with is refused for its pending output", async () => {
    const a = await node(keyA);
    const res = await chat(a.url, { messages: [{ role: "user", content: "one two three" }] });
    const j = (await res.json()) as { poq: { contentHash: Hex; receipt: Receipt } };
    const rec = a.store.getJson<OutputRecord>(j.poq.contentHash);
    const forged = a.store.putJson({ ...j.poq.receipt, completionTokens: j.poq.receipt.completionTokens * 10 });
    a.store.setIndex(RECEIPT_INDEX, receiptKey(a.address, j.poq.contentHash), forged);
    await expect(pendingReceipt(a.store, domain, a.address, j.poq.contentHash, rec)).rejects.toThrow(/bad receipt signature/);
    a.store.setIndex(RECEIPT_INDEX, receiptKey(a.address, j.poq.contentHash), "0x" + "00".repeat(32));
    await expect(pendingReceipt(a.store, domain, a.address, j.poq.contentHash, rec)).rejects.toThrow(/not in the store/);
  });

  it("the replay backend serves the logged output of the query and says so", async () => {
    const items = [{ id: "q:m", task: "summarization" as const, queryId: "q", query: "Summarize.", context: "Long article text.", output: "Short.", model: "llama-3-8b" }];
    const a = await node(keyA, [], () => replayBackend(items));
    const res = await chat(a.url, { messages: [{ role: "user", content: "Long article text." }, { role: "user", content: "Summarize." }] });
    expect(res.status).toBe(200);
    const j = (await res.json()) as { choices: { message: { content: string } }[]; poq: { backend: string; replayOf: string } };
    expect(j.choices[0].message.content).toBe("Short.");
    expect(j.poq).toMatchObject({ backend: "replay", replayOf: "q:m" });
    const miss = await chat(a.url, { messages: [{ role: "user", content: "Something else" }] });
    expect(miss.status).toBe(404);
  });
});
