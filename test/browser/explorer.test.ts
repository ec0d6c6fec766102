import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { erc20Abi, formatUnits, getAddress, parseEventLogs, type Address, type Hex } from "viem";
import { poQSettlementAbi, rewardDistributorAbi, stakeVaultAbi } from "../../src/chain/abis";
import type { Clients } from "../../src/chain/client";
import type { Deployment } from "../../src/chain/deployment";
import { runDemo, type DemoSummary } from "../../src/agents/demo";
import { main } from "../../src/cli";
import { trustTree } from "../../src/rewards/merkle";
import { ExplorerDb } from "../../src/explorer/db";
import { groupTokens } from "../../src/explorer/values";
import { openExplorer } from "../../src/explorer/run";
import { hardhat, serveRpc } from "../../src/explorer/testing";

/**
 * The explorer in a real headless Chromium (Debian's /usr/bin/chromium through playwright-core), against the real
 * `poq explorer` process, after a 3-round demo on the in-process Hardhat chain served over JSON-RPC. Every number
 * the pages show is compared with what the chain says. Screenshots go to test-artifacts/explorer/.
 */

const ROOT = path.join(__dirname, "..", "..");
const ART = path.join(ROOT, "test-artifacts", "explorer");
const SAMPLES = ["qa-sample.jsonl", "summarization-sample.jsonl"].map((f) => path.join(ROOT, "data", "samples", f));
const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

type Proc = { lines: string[]; exited: Promise<number | null>; kill: (s?: NodeJS.Signals) => void; waitFor: (re: RegExp, ms: number) => Promise<string> };

function poq(args: string[]): Proc {
  const child = spawn(process.execPath, [path.join(ROOT, "bin", "poq.js"), ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  const lines: string[] = [];
  const waiters: { re: RegExp; resolve: (l: string) => void }[] = [];
  for (const s of [child.stdout, child.stderr]) {
    readline.createInterface({ input: s }).on("line", (l) => {
      lines.push(l);
      for (const w of waiters.splice(0)) (w.re.test(l) ? w.resolve(l) : waiters.push(w));
    });
  }
  const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
  return {
    lines,
    exited,
    kill: (s = "SIGTERM") => void (child.exitCode === null && child.kill(s)),
    waitFor: (re, ms) =>
      new Promise((resolve, reject) => {
        const hit = lines.find((l) => re.test(l));
        if (hit) return resolve(hit);
        const t = setTimeout(() => reject(new Error(`timed out waiting for ${re}; output:\n${lines.join("\n")}`)), ms);
        waiters.push({ re, resolve: (l) => (clearTimeout(t), resolve(l)) });
      }),
  };
}

async function run(args: string[]): Promise<{ code: number | null; out: string }> {
  const p = poq(args);
  const code = await p.exited;
  return { code, out: p.lines.join("\n") };
}

/** Runs `poq <args>` through the CLI's entry point in this process, capturing its output. */
async function inProcess(args: string[]): Promise<{ code: number; out: string }> {
  let out = "";
  const w = (chunk: unknown) => ((out += String(chunk)), true);
  const so = vi.spyOn(process.stdout, "write").mockImplementation(w);
  const se = vi.spyOn(process.stderr, "write").mockImplementation(w);
  try {
    return { code: await main(["node", "poq", ...args]), out };
  } finally {
    so.mockRestore();
    se.mockRestore();
  }
}

const nbsp = (s: string | null) => (s ?? "").replace(/\u00a0/g, " ").trim();

describe("explorer in a browser", () => {
  let chain: { clients: Clients; deployment: Deployment };
  let summary: DemoSummary;
  let rpc: { url: string; close: () => Promise<void> };
  let explorer: Proc;
  let url: string;
  let browser: BrowserContext;
  let page: Page;
  let dir: string;
  let deploymentFile: string;
  const foreignRequests: string[] = [];
  const trustByRound = new Map<number, Map<Address, number>>();
  let symbol = "";
  const shown = (wei: bigint) => `${groupTokens(formatUnits(wei, 18))} ${symbol}`;

  const client = () => chain.clients.publicClient;
  const d = () => chain.deployment;
  const events = async <N extends string>(abi: typeof poQSettlementAbi | typeof stakeVaultAbi | typeof rewardDistributorAbi, address: Address, eventName: N) =>
    client().getContractEvents({ address, abi, eventName, fromBlock: 0n, strict: true } as never) as Promise<{ args: Record<string, unknown>; transactionHash: Hex; blockNumber: bigint; logIndex: number }[]>;

  async function shot(name: string) {
    await page.screenshot({ path: path.join(ART, `${name}.png`), fullPage: true });
  }

  beforeAll(async () => {
    fs.mkdirSync(ART, { recursive: true });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "poq-explorer-browser-"));
    const hre = hardhat();
    summary = await runDemo({ rounds: 3, tasksPerRound: 40, dataFiles: SAMPLES, progress: null, storeDir: path.join(dir, "store"), onChain: (c) => void (chain = c) });
    symbol = await client().readContract({ address: d().token, abi: erc20Abi, functionName: "symbol" });
    rpc = await serveRpc(hre.network.provider);
    deploymentFile = path.join(dir, "deployment.json");
    fs.writeFileSync(deploymentFile, JSON.stringify({ token: d().token, vault: d().vault, distributor: d().distributor, settlement: d().settlement }));
    explorer = poq(["explorer", "--rpc", rpc.url, "--deployment", deploymentFile, "--store", summary.storeDir, "--db", path.join(dir, "explorer.sqlite"), "--confirmations", "0", "--port", "0", "--poll-ms", "200"]);
    url = JSON.parse(await explorer.waitFor(/"msg":"listening"/, 60_000)).url;
    await explorer.waitFor(/"msg":"synced"/, 60_000);
    browser = await chromium.launchPersistentContext(path.join(dir, "chromium-profile"), { executablePath: "/usr/bin/chromium", headless: true, args: CHROMIUM_ARGS, viewport: { width: 1360, height: 900 } });
    browser.on("request", (r) => {
      if (!r.url().startsWith(url)) foreignRequests.push(r.url());
    });
    page = await browser.newPage();
  }, 150_000);

  afterAll(async () => {
    await browser?.close();
    explorer?.kill("SIGKILL");
    await explorer?.exited;
    await rpc?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test("behavior: the rounds list shows each round's payments and slashes as the chain has them", async () => {
    const res = await page.goto(`${url}/`);
    expect(res?.status()).toBe(200);
    const rows = page.locator("#rounds tbody tr");
    expect(await rows.count()).toBe(3);
    const roots = await events(rewardDistributorAbi, d().distributor, "RootUpdated");
    const finals = await events(poQSettlementAbi, d().settlement, "RoundFinalized");
    for (let i = 0; i < 3; i++) {
      const row = rows.nth(i);
      const id = Number(nbsp(await row.locator("[data-field=round]").textContent()).replace("#", ""));
      const root = roots.find((r) => r.args.roundId === BigInt(id))!;
      const fin = finals.find((r) => r.args.roundId === BigInt(id))!;
      for (const [field, wei] of [
        ["inference-paid", root.args.inferencePaid],
        ["evaluator-paid", root.args.evaluatorPaid],
        ["slashed-total", fin.args.slashedTotal],
      ] as [string, bigint][]) {
        const cell = row.locator(`[data-field=${field}]`);
        expect([id, field, await cell.getAttribute("data-wei")]).toEqual([id, field, wei.toString()]);
        expect(nbsp(await cell.textContent())).toBe(shown(wei));
      }
      expect(nbsp(await row.locator(".badge").textContent())).toBe("finalized");
    }
    await shot("rounds");
  });

  test("behavior: a round page shows slashes, rewards, trust and settlement hashes equal to the chain's", async () => {
    const slashed = await events(stakeVaultAbi, d().vault, "Slashed");
    const roots = await events(rewardDistributorAbi, d().distributor, "RootUpdated");
    const revealed = await events(poQSettlementAbi, d().settlement, "SettlementRevealed");
    for (const id of [1, 2, 3]) {
      const res = await page.goto(`${url}/round/${id}`);
      expect(res?.status()).toBe(200);
      const round = await client().readContract({ address: d().settlement, abi: poQSettlementAbi, functionName: "getRound", args: [BigInt(id)] });

      // Slashes: every executed slash, with its amount, exactly as the vault emitted them.
      const want = slashed.filter((s) => s.args.roundId === BigInt(id)).map((s) => [getAddress(s.args.account as string), (s.args.amount as bigint).toString()]);
      const got = await page.locator("#slashes tbody tr").evaluateAll((trs) =>
        trs.map((tr) => [tr.querySelector("[data-account]")!.getAttribute("data-account"), tr.querySelector("[data-field=slash-amount]")!.getAttribute("data-wei")]),
      );
      expect(got.sort()).toEqual(want.sort());

      // Rewards: they add up to what the distributor paid for the round.
      const paid = roots.find((r) => r.args.roundId === BigInt(id))!;
      const rewards = await page.locator("#rewards [data-field=reward]").evaluateAll((els) => els.map((e) => e.getAttribute("data-wei")!));
      expect(rewards.reduce((t, w) => t + BigInt(w), 0n)).toBe((paid.args.inferencePaid as bigint) + (paid.args.evaluatorPaid as bigint));

      // Trust: the values shown rebuild the trust root the relayers settled on chain.
      const trust = await page.locator("#evaluators tbody tr").evaluateAll((trs) =>
        trs.map((tr) => [tr.querySelector("[data-evaluator]")!.getAttribute("data-evaluator")!, Number(tr.querySelector(".trust")?.getAttribute("data-ppm") ?? -1)] as [string, number]),
      );
      const settled = revealed.find((r) => r.args.settlementHash === round.settlementHash)!.args.settlement as { trustRoot: Hex };
      expect(trustTree(trust.filter(([, p]) => p >= 0).map(([evaluator, trustPpm]) => ({ evaluator: evaluator as Address, trustPpm })))!.root).toBe(settled.trustRoot);
      trustByRound.set(id, new Map(trust.map(([a, p]) => [a as Address, p])));

      // Settlement hashes per relayer: both relayers revealed the accepted hash.
      const hashes = await page.locator("[data-field=settlement-hash]").allTextContents();
      expect(hashes).toEqual([round.settlementHash, round.settlementHash]);
      expect(await page.locator("#tasks tbody tr").count()).toBe(round.taskCount);
      expect(await page.locator("#timeline").textContent()).toContain("finalized");
      if (id === 2) await shot("round-2");
    }
  });

  test("behavior: a slashed evaluator's page shows its stake, slashes, trust, rewards and claim proof as on chain", async () => {
    const slashed = await events(stakeVaultAbi, d().vault, "Slashed");
    const booster = summary.accounts.find((a) => a.behavior === "boosting")!.address;
    expect(slashed.some((s) => getAddress(s.args.account as string) === booster)).toBe(true);
    await page.goto(`${url}/`);
    await page.fill("form.search input[name=q]", booster.toLowerCase());
    await Promise.all([page.waitForURL(`${url}/address/${booster}`), page.press("form.search input[name=q]", "Enter")]);

    const stake = await client().readContract({ address: d().vault, abi: stakeVaultAbi, functionName: "stakeOf", args: [booster, 2] });
    expect(await page.locator("#stakes [data-field=stake-active]").getAttribute("data-wei")).toBe(stake.active.toString());
    expect(await page.locator("#stakes [data-field=stake-queued]").getAttribute("data-wei")).toBe(stake.queued.toString());

    const mine = slashed.filter((s) => getAddress(s.args.account as string) === booster);
    const rows = await page.locator("#slashes tbody tr").evaluateAll((trs) =>
      trs.map((tr) => [Number(tr.querySelector("[data-round]")!.getAttribute("data-round")), tr.querySelector(".reason")!.textContent, tr.querySelector("[data-field=slash-amount]")!.getAttribute("data-wei")]),
    );
    expect(rows).toEqual(mine.map((s) => [Number(s.args.roundId), Number(s.args.reason) === 2 ? "low trust" : "non-reveal", (s.args.amount as bigint).toString()]));

    // Trust over rounds: the chart and the table show the values the round pages proved against the trust roots.
    const chart = await page.locator("#trust-chart circle.point").evaluateAll((cs) => cs.map((c) => [Number(c.getAttribute("data-round")), Number(c.getAttribute("data-ppm"))]));
    expect(chart).toEqual([1, 2, 3].map((r) => [r, trustByRound.get(r)!.get(booster)]));

    // Rewards over all rounds: everything was claimed in the demo, so they equal what the distributor paid out.
    const claimed = await client().readContract({ address: d().distributor, abi: rewardDistributorAbi, functionName: "claimed", args: [booster] });
    expect(await page.locator("[data-field=total-rewards]").getAttribute("data-wei")).toBe(claimed.toString());
    expect(await page.locator("#claimable [data-field=claimed]").getAttribute("data-wei")).toBe(claimed.toString());
    expect(await page.locator("#claimable [data-field=claimable]").getAttribute("data-wei")).toBe("0");
    // Each claim is shown under the root it was paid with: the last RootUpdated before the Claimed log.
    const roots = await events(rewardDistributorAbi, d().distributor, "RootUpdated");
    const claims = (await events(rewardDistributorAbi, d().distributor, "Claimed")).filter((l) => getAddress(l.args.account as string) === booster);
    expect(claims.length).toBeGreaterThan(0);
    const rootAt = (l: { blockNumber: bigint; logIndex: number }) =>
      Number(roots.filter((r) => r.blockNumber < l.blockNumber || (r.blockNumber === l.blockNumber && r.logIndex < l.logIndex)).at(-1)!.args.roundId);
    const shown = await page.locator("#claims tbody tr td:first-child a").allTextContents();
    expect(shown).toEqual(claims.map((l) => `#${rootAt(l)}`));
    // The proof shown verifies against the distributor's current root.
    const cumulative = BigInt((await page.locator("#claimable [data-field=cumulative]").getAttribute("data-wei"))!);
    const proof = (await page.locator("#proof li").allTextContents()).map((h) => h.trim());
    const root = await client().readContract({ address: d().distributor, abi: rewardDistributorAbi, functionName: "root" });
    expect(StandardMerkleTree.verify(root, ["address", "uint256"], [booster, cumulative], proof)).toBe(true);
    await shot("address-slashed-evaluator");
  });

  test("behavior: a transaction page decodes the call and every event of the receipt", async () => {
    const finals = await events(poQSettlementAbi, d().settlement, "RoundFinalized");
    const hash = finals.find((f) => f.args.roundId === 2n)!.transactionHash;
    await page.goto(`${url}/round/2`);
    await Promise.all([page.waitForURL(`${url}/tx/${hash}`), page.locator(`#timeline a[href="/tx/${hash}"]`).first().click()]);
    expect(nbsp(await page.locator("#call-function").textContent())).toBe("finalize(roundId, settlement)");
    const receipt = await client().getTransactionReceipt({ hash });
    const expected = parseEventLogs({ abi: [...poQSettlementAbi, ...stakeVaultAbi, ...rewardDistributorAbi, ...erc20Abi], logs: receipt.logs }).map((l) => l.eventName);
    expect(await page.locator(".log").evaluateAll((ls) => ls.map((l) => l.getAttribute("data-event")))).toEqual(expected);
    const slashAmounts = await page.locator('.log[data-event="Slashed"] [data-wei]').evaluateAll((els) => els.map((e) => e.getAttribute("data-wei")));
    const onChain = (await events(stakeVaultAbi, d().vault, "Slashed")).filter((s) => s.transactionHash === hash).map((s) => (s.args.amount as bigint).toString());
    expect(slashAmounts).toEqual(onChain);
    await shot("tx-finalize");
  });

  test("behavior: the search box takes a round number, an address or a transaction hash", async () => {
    const hash = (await events(poQSettlementAbi, d().settlement, "TasksRegistered"))[0].transactionHash;
    for (const [q, dest] of [
      ["3", "/round/3"],
      [hash, `/tx/${hash}`],
      [d().settlement.toLowerCase(), `/address/${d().settlement}`],
    ]) {
      await page.goto(`${url}/round/1`);
      await page.fill("form.search input[name=q]", q);
      await Promise.all([page.waitForURL(`${url}${dest}`), page.press("form.search input[name=q]", "Enter")]);
    }
    expect(nbsp(await page.locator("h1").textContent())).toContain("Address");
  });

  test("behavior: unknown input is a clear 404 page, malformed input a 400, and the server keeps running", async () => {
    for (const [p, status, text] of [
      ["/round/999", 404, "round 999 not found"],
      [`/address/0x${"12".repeat(20)}`, 404, "no activity found"],
      [`/tx/0x${"ab".repeat(32)}`, 404, "not found"],
      ["/round/abc", 400, "malformed round number"],
      ["/address/0x1234", 400, "malformed address"],
      ["/tx/0xzz", 400, "malformed transaction hash"],
      ["/search?q=what%3F", 400, "cannot read"],
    ] as [string, number, string][]) {
      const res = await page.goto(`${url}${p}`);
      expect([p, res?.status()]).toEqual([p, status]);
      expect(await page.locator("#error h1").textContent()).toBe(status === 404 ? "Not found" : "Bad request");
      expect(await page.locator("#error .message").textContent()).toContain(text);
      const api = await fetch(`${url}/api${p.replace("/search", "/search")}`);
      if (!p.startsWith("/search")) expect([p, api.status, ((await api.json()) as { error: { message: string } }).error.message]).toEqual([p, status, expect.stringContaining(text)]);
      if (p === "/round/999") await shot("not-found");
    }
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect(foreignRequests).toEqual([]); // everything is served locally: no CDN, no fonts, nothing else
  });

  test("behavior: poq inspect prints the same data as the API, as tables or JSON", async () => {
    const common = (db: string) => ["--rpc", rpc.url, "--deployment", deploymentFile, "--store", summary.storeDir, "--db", path.join(dir, db), "--confirmations", "0"];
    const booster = summary.accounts.find((a) => a.behavior === "boosting")!.address;
    const finalizeTx = (await events(poQSettlementAbi, d().settlement, "RoundFinalized"))[1].transactionHash;
    // Two real processes, and the rest through the same entry point in this process (faster).
    const [json, addr] = await Promise.all([run(["inspect", "round", "2", "--json", ...common("inspect.sqlite")]), run(["inspect", "address", booster, ...common("inspect-address.sqlite")])]);
    const tx = await inProcess(["inspect", "tx", finalizeTx, ...common("inspect-address.sqlite")]);
    const bad = await inProcess(["inspect", "round", "two", ...common("unused.sqlite")]);
    const missing = await inProcess(["inspect", "round", "99", ...common("inspect-address.sqlite")]);
    expect(json.code, json.out).toBe(0);
    expect(JSON.parse(json.out)).toEqual(await (await fetch(`${url}/api/round/2`)).json());
    expect(addr.code, addr.out).toBe(0);
    expect(addr.out).toContain(`Address ${booster}`);
    expect(addr.out).toContain(`low trust  ${shown(100n * 10n ** 18n)}`);
    expect(tx.out).toContain("finalize(roundId, settlement)");
    expect([bad.code, bad.out]).toEqual([2, expect.stringContaining('malformed round number "two"')]);
    expect([missing.code, missing.out]).toEqual([2, expect.stringContaining("round 99 not found")]);
  }, 60_000);

  test("behavior: the explorer stops gracefully, and an index rebuilt from scratch is identical", async () => {
    explorer.kill("SIGTERM");
    expect(await explorer.exited).toBe(0);
    expect(explorer.lines.some((l) => l.includes('"msg":"stopped"'))).toBe(true);
    const served = new ExplorerDb(path.join(dir, "explorer.sqlite"));
    const rebuilt = await openExplorer({ rpcUrl: "", storeDir: summary.storeDir, dbFile: path.join(dir, "rebuilt.sqlite"), confirmations: 0 }, { clients: chain.clients, deployment: d() });
    await rebuilt.indexer.sync();
    try {
      const dump = rebuilt.db.dump();
      expect(dump.length).toBeGreaterThan(10_000);
      expect(served.dump()).toBe(dump);
      expect(new ExplorerDb(path.join(dir, "inspect.sqlite")).dump()).toBe(dump);
    } finally {
      served.close();
      rebuilt.close();
    }
  });
});
