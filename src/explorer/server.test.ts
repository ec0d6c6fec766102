import fs from "node:fs";
import path from "node:path";
import { describe, expect, test } from "vitest";
import type { Address } from "viem";
import { makeContext, type ExplorerContext } from "./context";
import { Contracts } from "./contracts";
import { ExplorerDb } from "./db";
import { registeredRound } from "./derive";
import { TrustChart } from "./pages/address";
import { createApp, createExplorerServer } from "./server";

/** One request through the Hono app, as the server answers it. */
async function handle(c: ExplorerContext, method: string, url: string, health?: () => { ok: boolean }) {
  const r = await createApp(c, { health }).request(url, { method, redirect: "manual" });
  return { status: r.status, type: r.headers.get("content-type") ?? "", body: await r.text(), headers: { location: r.headers.get("location") ?? undefined } };
}

const A = (n: number) => `0x${n.toString(16).padStart(40, "0")}` as Address;

function ctx(): ExplorerContext {
  const db = new ExplorerDb(":memory:");
  db.setSync({ blockNumber: 10, blockHash: `0x${"ab".repeat(32)}`, blockTimestamp: 1_700_000_000, headNumber: 11, headTimestamp: 1_700_000_001, observedAt: Date.now() });
  const row = {
    ...registeredRound({
      id: 1,
      registrar: A(1),
      registeredBlock: 5,
      registeredTx: `0x${"11".repeat(32)}`,
      registeredAt: 1_699_999_000,
      taskRoot: `0x${"22".repeat(32)}`,
      taskCount: 2,
      goldCommitment: `0x${"00".repeat(32)}`,
      seedBlock: 6,
      manifestCid: "0x",
      paramsVersion: 1,
      params: null,
    }),
    seed: `0x${"33".repeat(32)}` as const,
    inferencePool: "1500000000000000000",
    manifest: "no-store" as const,
  };
  db.db.prepare("INSERT INTO rounds (id, data) VALUES (1, ?)").run(JSON.stringify(row));
  db.db.prepare("INSERT INTO blocks (number, hash, timestamp, tx_count, gas_used, gas_limit, base_fee, miner) VALUES (5, ?, 1699999000, 1, '21000', '30000000', '1000000000', ?)").run(`0x${"44".repeat(32)}`, A(0xf));
  db.db
    .prepare("INSERT INTO logs (block_number, log_index, tx_hash, tx_index, contract, event, round_id, args) VALUES (5, 0, ?, 0, 'settlement', 'TasksRegistered', 1, ?)")
    .run(row.registeredTx, JSON.stringify({ roundId: "1", registrar: A(1), taskRoot: row.taskRoot, taskCount: "2", goldCommitment: row.goldCommitment, seedBlock: "6", paramsVersion: "1", manifestCid: "0x" }));
  db.db.prepare("INSERT INTO log_accounts (address, block_number, log_index) VALUES (?, 5, 0)").run(A(1));
  const deployment = { chainId: 31337, token: A(0xa), vault: A(0xb), distributor: A(0xc), settlement: A(0xd), config: A(0xe), challenges: A(0x10), timelock: A(0x11) };
  return makeContext({
    db,
    deployment,
    contracts: new Contracts(deployment),
    token: { address: A(0xa), name: "PoQ", symbol: "POQ", decimals: 18 },
    storeConfigured: false,
    confirmations: 1,
  });
}

describe("explorer HTTP handler", () => {
  const c = ctx();

  test.each([
    ["/round/abc", 400, /malformed round number/],
    ["/round/1.5", 400, /malformed round number/],
    ["/round/-1", 400, /malformed round number/],
    ["/round/99999999999999999999", 400, /malformed round number/],
    ["/round/2", 404, /round 2 not found/],
    ["/round/0", 404, /round numbers start at 1/],
    ["/address/0x123", 400, /malformed address/],
    ["/address/hello", 400, /malformed address/],
    [`/address/${A(0x999)}`, 404, /no activity found/],
    ["/tx/0x1234", 400, /malformed transaction hash/],
    [`/tx/0x${"0".repeat(64)}`, 404, /not found/],
    ["/search?q=", 400, /empty search/],
    ["/search?q=%3Cscript%3E", 400, /cannot read/],
    ["/search?q=42", 404, /round 42 not found/],
    ["/nope", 404, /no page at/],
    ["/round/%E0%A4%A", 400, /malformed URL/],
    ["/?page=0", 400, /malformed page/],
    ["/?limit=100000", 400, /malformed limit/],
    ["/block/x", 400, /malformed block number/],
    ["/block/99", 404, /block 99 is not in the index \(indexed up to block 10\)/],
    ["/round/1/task/x", 400, /malformed task index/],
    ["/round/1/task/2", 404, /round 1 has 2 tasks/],
    ["/blocks?page=0", 400, /malformed page/],
    ["/txs?limit=x", 400, /malformed limit/],
  ])("behavior: %s answers %i with a clear message", async (url, status, message) => {
    const page = await handle(c, "GET", url);
    expect(page.status).toBe(status);
    expect(page.type).toMatch(/text\/html/);
    expect(String(page.body)).toMatch(message);
    expect(String(page.body)).toContain(status === 404 ? "Not found" : "Bad request");
    if (!url.startsWith("/search") && !url.startsWith("/?") && url !== "/nope" && !url.includes("%E0")) {
      const api = await handle(c, "GET", `/api${url}`);
      expect(api.status).toBe(status);
      expect(JSON.parse(String(api.body)).error.message).toMatch(message);
    }
  });

  test("behavior: the search box leads to a round, an address or a transaction", async () => {
    for (const [q, loc] of [
      ["1", "/round/1"],
      ["#1", "/round/1"],
      ["round 1", "/round/1"],
      ["block 5", "/block/5"],
      [` ${A(1).toUpperCase().replace("0X", "0x")} `, `/address/${A(1)}`],
    ]) {
      const r = await handle(c, "GET", `/search?q=${encodeURIComponent(q)}`);
      expect([q, r.status, r.headers?.location]).toEqual([q, 302, loc]);
    }
    const api = await handle(c, "GET", "/api/search?q=1");
    expect(JSON.parse(String(api.body))).toEqual({ kind: "round", id: "1", path: "/round/1" });
  });

  test("behavior: every value is escaped (a hostile query is shown, never run)", async () => {
    const r = await handle(c, "GET", `/search?q=${encodeURIComponent('"><script>alert(1)</script>')}`);
    expect(r.status).toBe(400);
    expect(String(r.body)).not.toContain("<script>alert");
    expect(String(r.body)).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    // In the search box's value attribute too.
    expect(String(r.body)).toContain('value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"');
  });

  test("behavior: the pages use no raw-HTML escape hatch", () => {
    const dir = path.join(__dirname, "pages");
    for (const f of fs.readdirSync(dir)) {
      const src = fs.readFileSync(path.join(dir, f), "utf8");
      expect([f, /dangerouslySetInnerHTML|\braw\(|hono\/html/.test(src)]).toEqual([f, false]);
    }
  });

  test("behavior: pages, JSON twins, static files and health", async () => {
    const list = await handle(c, "GET", "/");
    expect(list.status).toBe(200);
    expect(String(list.body)).toContain('data-wei="1500000000000000000"');
    expect(String(list.body)).toContain('1.5 <span class="unit">POQ</span>');
    expect(String(list.body)).toMatch(/^<!doctype html>/);
    const api = JSON.parse(String((await handle(c, "GET", "/api/rounds")).body));
    // Registered with a seed, params unknown (assignment deadline = registration): the assignment deadline has passed.
    expect(api.rounds[0]).toMatchObject({ id: 1, phase: "expired", inferencePool: { wei: "1500000000000000000", tokens: "1.5" } });
    for (const page of ["/blocks", "/txs", "/token", "/block/5", "/round/1/task/0", "/governance", "/challenges", "/api/blocks", "/api/txs", "/api/token", "/api/block/5", "/api/governance", "/api/challenges"])
      expect([page, (await handle(c, "GET", page)).status]).toEqual([page, 200]);
    const blocks = JSON.parse((await handle(c, "GET", "/api/blocks")).body);
    expect(blocks.blocks[0]).toMatchObject({ number: 5, transactions: 1, projectTransactions: 0, baseFee: { wei: "1000000000", gwei: "1" } });
    expect((await handle(c, "GET", "/round/1")).status).toBe(200);
    expect((await handle(c, "GET", `/address/${A(1)}`)).status).toBe(200);
    const css = await handle(c, "GET", "/static/style.css");
    expect([css.status, css.type]).toEqual([200, "text/css; charset=utf-8"]);
    expect((await handle(c, "GET", "/static/../db.ts")).status).toBe(404);
    expect((await handle(c, "GET", "/static/other.js")).status).toBe(404);
    expect((await handle(c, "POST", "/")).status).toBe(405);
    expect((await handle(c, "GET", "/healthz", () => ({ ok: false }))).status).toBe(503);
  });

  test("behavior: the server never loads anything from another origin", async () => {
    const s = createExplorerServer({ ctx: c });
    const { url } = await s.listen(0);
    try {
      const r = await fetch(`${url}/round/1`);
      expect(r.status).toBe(200);
      expect(r.headers.get("content-security-policy")).toContain("default-src 'none'");
      const html = await r.text();
      const external = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]).filter((u) => /^(https?:)?\/\//.test(u));
      expect(external).toEqual([]);
      expect((await fetch(`${url}/address/nope`)).status).toBe(400);
    } finally {
      await s.close();
    }
  });

  test("behavior: the trust chart is an inline SVG with one point per round", () => {
    const svg = String(
      TrustChart({
        points: [
          { round: 1, trustPpm: 500_000 },
          { round: 2, trustPpm: 250_000 },
          { round: 3, trustPpm: 1_000_000 },
        ],
      }),
    );
    expect(svg).toContain("<svg");
    expect([...svg.matchAll(/data-ppm="(\d+)"/g)].map((m) => Number(m[1]))).toEqual([500_000, 250_000, 1_000_000]);
    expect(String(TrustChart({ points: [] }))).toContain("No trust recorded");
  });
});
