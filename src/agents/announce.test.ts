import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { privateKeyToAccount } from "viem/accounts";
import { getAddress, keccak256, toHex, type Address, type Hex } from "viem";
import { compactSignature, packScores, revealTypedData } from "../chain/encoding";
import { REVEAL_INDEX, revealIndexKey, type PublishedReveal } from "./revealBatch";
import { ContentStore } from "../protocol/store";
import type { OutputRecord } from "../protocol/manifest";
import { signReceipt } from "../protocol/receipt";
import { serve as listen } from "@hono/node-server";
import { Hono } from "hono";
import { announceApp, createAnnouncer, createRevealSender, MAX_BATCH_ANNOUNCEMENTS, rateLimiter, startAnnounce } from "./announce";
import { fileOutput, pendingReceipt } from "./outputs";

const domain = { chainId: 31337, settlement: "0x5FbDB2315678afecb367f032d93F642f64180aa3" as const };
const staked = privateKeyToAccount(`0x${"c3".repeat(32)}` as Hex);
const unstaked = privateKeyToAccount(`0x${"d4".repeat(32)}` as Hex);
const dirs: string[] = [];
const closers: (() => Promise<void>)[] = [];
const store = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "poq-announce-"));
  dirs.push(d);
  return new ContentStore(d);
};
const record = (n: number): OutputRecord => ({ id: `q${n}:m`, task: "qa", queryId: `q${n}`, query: `question ${n}?`, output: `answer number ${n}`, model: "m" });

async function relayer(opts: { burst?: number; port?: number; now?: () => number } = {}) {
  const s = store();
  const isStaked = async (a: Address) => getAddress(a) === getAddress(staked.address);
  const srv = await startAnnounce({ port: opts.port ?? 0, store: s, domain, isStaked, burst: opts.burst, perMinute: 60, now: opts.now });
  closers.push(srv.close);
  return { store: s, url: `http://127.0.0.1:${srv.port}`, port: srv.port, close: srv.close };
}

const post = (url: string, body: unknown) => fetch(`${url}/v1/announce`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

afterAll(async () => {
  for (const c of closers) await c().catch(() => undefined);
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

describe("output announcements", () => {
  it("a relayer with its own store accepts a staked node's signed output and queues it with its receipt", async () => {
    const r = await relayer();
    const own = store();
    const done: Hex[] = [];
    const announcer = createAnnouncer({ relayers: [r.url], onDone: (x) => done.push(x.outputHash) });
    const filed = await fileOutput({ store: own, signer: staked, domain, record: record(1), latencyMs: 40 });
    await announcer.announce(record(1), filed.receipt);
    expect(done).toEqual([filed.contentHash]);
    expect(r.store.listPending().get(staked.address.toLowerCase())).toEqual([filed.contentHash]);
    expect(r.store.getJson(filed.contentHash)).toEqual(record(1));
    await expect(pendingReceipt(r.store, domain, staked.address, filed.contentHash, record(1))).resolves.toMatchObject({ latencyMs: 40 });
  });

  it("refuses unstaked nodes, bad signatures, wrong signers and content that does not match, with clear errors", async () => {
    const r = await relayer();
    const mine = await signReceipt(unstaked, domain, record(2), 5);
    let res = await post(r.url, { version: 1, record: record(2), receipt: mine });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: string }).error).toMatch(/is not a staked inference node/);

    const good = await signReceipt(staked, domain, record(3), 5);
    res = await post(r.url, { version: 1, record: record(3), receipt: { ...good, completionTokens: 99 } });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: string }).error).toMatch(/bad receipt signature/);
    // An unstaked key's receipt presented as the staked node's.
    res = await post(r.url, { version: 1, record: record(2), receipt: { ...mine, node: staked.address } });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: string }).error).toMatch(/bad receipt signature: signed by/);
    res = await post(r.url, { version: 1, record: { ...record(3), output: "another answer" }, receipt: good });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: string }).error).toMatch(/the content hashes to/);
    res = await post(r.url, { record: record(3) });
    expect(res.status).toBe(400);
    expect(r.store.listPending().size).toBe(0);
  });

  it("rate-limits each node", async () => {
    const r = await relayer({ burst: 3 });
    const codes: number[] = [];
    for (let i = 10; i < 15; i++) {
      const rec = record(i);
      codes.push((await post(r.url, { version: 1, record: rec, receipt: await signReceipt(staked, domain, rec, 1) })).status);
    }
    expect(codes).toEqual([200, 200, 200, 429, 429]);
    // Forged announcements naming a node do not use up its rate: its own are still accepted while they are refused.
    const victim = await relayer({ burst: 2 });
    for (let i = 20; i < 25; i++) {
      const rec = record(i);
      const forged = { ...(await signReceipt(unstaked, domain, rec, 1)), node: staked.address };
      expect((await post(victim.url, { version: 1, record: rec, receipt: forged })).status).toBe(403);
    }
    const own = record(30);
    expect((await post(victim.url, { version: 1, record: own, receipt: await signReceipt(staked, domain, own, 1) })).status).toBe(200);
    const bucket = rateLimiter(60, 2, () => t);
    let t = 0;
    expect([bucket("a"), bucket("a"), bucket("a"), bucket("b")]).toEqual([true, true, false, true]);
    t = 1_000; // one more token per second at 60 a minute
    expect([bucket("a"), bucket("a")]).toEqual([true, false]);
  });

  it("retries announcements a relayer did not take (down), and stops after acceptance", async () => {
    const r = await relayer();
    const port = r.port;
    await r.close();
    const announcer = createAnnouncer({ relayers: [`http://127.0.0.1:${port}`], timeoutMs: 2_000 });
    const own = store();
    const filed = await fileOutput({ store: own, signer: staked, domain, record: record(20), latencyMs: 1 });
    await announcer.announce(record(20), filed.receipt);
    expect(announcer.waiting()).toBe(1);
    const back = await relayer({ port });
    expect(await announcer.retry()).toBe(0);
    expect(back.store.listPending().get(staked.address.toLowerCase())).toEqual([filed.contentHash]);
  });
});

describe("announcement batches (POST /v1/announce/batch)", () => {
  const postBatch = (url: string, body: unknown) => fetch(`${url}/v1/announce/batch`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  const filedBy = async (signer: typeof staked, n: number) => ({ record: record(n), receipt: await signReceipt(signer, domain, record(n), 3) });

  it("behavior: each announcement of a batch is checked on its own, and the answer gives each its outcome in order", async () => {
    const r = await relayer();
    const good = await Promise.all([30, 31, 32].map((n) => filedBy(staked, n)));
    const unstakedOne = await filedBy(unstaked, 33);
    const forged = { ...(await filedBy(staked, 34)), receipt: { ...(await filedBy(staked, 34)).receipt, completionTokens: 99 } };
    const res = await postBatch(r.url, { version: 1, announcements: [good[0], unstakedOne, good[1], forged, good[2]] });
    expect(res.status).toBe(200);
    const { results } = (await res.json()) as { results: { accepted?: string; status?: number; error?: string }[] };
    expect(results.map((x) => x.accepted ?? x.status)).toEqual([good[0].receipt.outputHash, 403, good[1].receipt.outputHash, 403, good[2].receipt.outputHash]);
    expect(results[1].error).toMatch(/is not a staked inference node/);
    expect(results[3].error).toMatch(/bad receipt signature/);
    expect(r.store.listPending().get(staked.address.toLowerCase())).toEqual(good.map((g) => g.receipt.outputHash).sort());
  });

  it("error: a malformed, empty or oversized batch is refused as a whole, naming the problem", async () => {
    const r = await relayer();
    const one = await filedBy(staked, 40);
    let res = await postBatch(r.url, { version: 1, announcements: one });
    expect([res.status, ((await res.json()) as { error: string }).error]).toEqual([400, expect.stringMatching(/malformed announcement batch/)]);
    res = await postBatch(r.url, { version: 1, announcements: [] });
    expect([res.status, ((await res.json()) as { error: string }).error]).toEqual([400, expect.stringMatching(/holds 1 to 256 announcements, got 0/)]);
    res = await postBatch(r.url, { version: 1, announcements: new Array(MAX_BATCH_ANNOUNCEMENTS + 1).fill(one) });
    expect([res.status, ((await res.json()) as { error: string }).error]).toEqual([400, expect.stringMatching(/got 257/)]);
    expect(r.store.listPending().size).toBe(0);
  });

  it("behavior: the announcer sends a window in batch requests; what the rate limit held back is sent again by retry once tokens return", async () => {
    let t = 0;
    const r = await relayer({ burst: 3, now: () => t });
    const done: Hex[] = [];
    const announcer = createAnnouncer({ relayers: [r.url], onDone: (x) => done.push(x.outputHash) });
    const own = store();
    const filed = [];
    for (let n = 50; n < 55; n++) filed.push({ record: record(n), receipt: (await fileOutput({ store: own, signer: staked, domain, record: record(n), latencyMs: 2 })).receipt });
    await announcer.announceMany(filed);
    expect(done).toEqual(filed.slice(0, 3).map((f) => f.receipt.outputHash));
    expect(announcer.waiting()).toBe(2);
    t = 2_000; // two more tokens at 60 a minute
    expect(await announcer.retry()).toBe(0);
    expect(done).toEqual(filed.map((f) => f.receipt.outputHash));
    expect(r.store.listPending().get(staked.address.toLowerCase())).toEqual(filed.map((f) => f.receipt.outputHash).sort());
  });

  it("behavior: a relayer without the batch route (404) gets the announcements one by one", async () => {
    const s = store();
    const inner = announceApp({ store: s, domain, isStaked: async (a) => getAddress(a) === getAddress(staked.address) });
    const app = new Hono();
    let single = 0;
    app.post("/v1/announce", (c) => {
      single++;
      return inner.fetch(c.req.raw);
    });
    const port = await new Promise<number>((resolve) => {
      const server = listen({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, (info) => {
        closers.push(() => new Promise<void>((r) => server.close(() => r())));
        resolve(info.port);
      });
    });
    const announcer = createAnnouncer({ relayers: [`http://127.0.0.1:${port}`] });
    const filed = await Promise.all([60, 61, 62].map((n) => filedBy(staked, n)));
    await announcer.announceMany(filed);
    expect(single).toBe(3);
    expect(announcer.waiting()).toBe(0);
    expect(s.listPending().get(staked.address.toLowerCase())).toEqual(filed.map((f) => f.receipt.outputHash).sort());
  });
});

describe("signed reveals to relayers (POST /v1/reveal)", () => {
  const evaluator = privateKeyToAccount(`0x${"e5".repeat(32)}` as Hex);
  async function signed(roundId: bigint): Promise<PublishedReveal> {
    const scores = packScores([5_000, 6_000]);
    const salt = keccak256(toHex(`salt-${roundId}`));
    const signature = await evaluator.signTypedData(revealTypedData({ chainId: domain.chainId, contract: domain.settlement, roundId, scores, salt }));
    return {
      version: 1,
      chainId: domain.chainId,
      settlement: getAddress(domain.settlement),
      roundId: roundId.toString(),
      evaluator: evaluator.address,
      reveal: { scores, salt, tasksHash: keccak256(toHex("tasks")), assignmentProof: [], ...compactSignature(signature) },
    };
  }
  const postReveal = (url: string, body: unknown) => fetch(`${url}/v1/reveal`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

  it("behavior: a reveal signed by the evaluator it names is kept under its index; a forged, foreign or malformed one is refused", async () => {
    const r = await relayer();
    const file = await signed(3n);
    await createRevealSender({ relayers: [r.url] }).send(file);
    const hash = r.store.getIndex(REVEAL_INDEX, revealIndexKey(3n, evaluator.address));
    expect(hash).toBeDefined();
    expect(r.store.getJson(hash as Hex)).toEqual(file);

    const forged = await postReveal(r.url, { ...file, evaluator: staked.address });
    expect(forged.status).toBe(403);
    expect(((await forged.json()) as { error: string }).error).toMatch(/not signed by 0x/);
    expect(r.store.getIndex(REVEAL_INDEX, revealIndexKey(3n, staked.address))).toBeUndefined();
    const otherRound = await postReveal(r.url, { ...file, roundId: "4" }); // the signature covers the round
    expect(otherRound.status).toBe(403);
    const foreign = await postReveal(r.url, { ...file, chainId: 1 });
    expect(foreign.status).toBe(400);
    expect(((await foreign.json()) as { error: string }).error).toMatch(/not a reveal for this deployment/);
    expect((await postReveal(r.url, { version: 1 })).status).toBe(400);
    expect((await postReveal(r.url, { ...file, evaluator: "someone" })).status).toBe(400);
  });

  it("behavior: a relayer that is down gets the reveal on a later try; forget stops the retries", async () => {
    const first = await relayer();
    const port = first.port;
    await first.close();
    const sender = createRevealSender({ relayers: [`http://127.0.0.1:${port}`], timeoutMs: 1_000 });
    await sender.send(await signed(5n)); // refused connection: kept for retry
    const back = await relayer({ port });
    await sender.retry();
    expect(back.store.getIndex(REVEAL_INDEX, revealIndexKey(5n, evaluator.address))).toBeDefined();
    await back.close();
    await sender.send(await signed(6n));
    sender.forget(6n);
    const again = await relayer({ port });
    await sender.retry();
    expect(again.store.getIndex(REVEAL_INDEX, revealIndexKey(6n, evaluator.address))).toBeUndefined();
  });
});
