import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { chromium, type Browser, type BrowserContext } from "playwright-core";
import { encodeErrorResult, erc20Abi, keccak256, toHex, type Abi, type Address, type Hex } from "viem";
import { poQSettlementAbi, stakeVaultAbi, testTokenAbi } from "../../src/chain/abis";
import { walletFor, type Clients } from "../../src/chain/client";
import type { Deployment } from "../../src/chain/deployment";
import { devKey, DEV_ROLES } from "../../src/agents/accounts";
import { modelId, publishBatch, type BatchManifest } from "../../src/agents/roundData";
import { ContentStore } from "../../src/protocol/store";
import { openExplorer, type OpenedExplorer } from "../../src/explorer/run";
import { createExplorerServer, type ExplorerServer } from "../../src/explorer/server";
import { deployLocal } from "../../src/explorer/testing";

/**
 * Every user-controlled field renders inert on every page: the token's name and symbol (set in the token's storage),
 * labels from the labels file, model ids, queries and outputs from the content store, and a revert reason (from a
 * stand-in contract at the timelock address that reverts with the message it is sent). Chromium runs with the
 * Content-Security-Policy bypassed, so an injected script would run: the test fails if any dialog opens, if any
 * script, event-handler attribute or injected element reaches the DOM, or if a hostile text is not shown as text.
 */

const ROOT = path.join(__dirname, "..", "..");
const ART = path.join(ROOT, "test-artifacts", "explorer");
const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];

/** Hostile texts, each at most 31 bytes where it is stored in a short string slot. */
const X = {
  name: "<script>alert('name')</script>",
  symbol: '"><img src=x onerror=alert(1)>',
  label: "<script>alert('label')</script>",
  relayerLabel: '<svg onload=alert("relayer")>',
  model: '<img src=x onerror=alert("model")>',
  query: '<script>alert("query")</script>',
  output: '</pre><script>alert("output")</script><pre>',
  revert: "<script>alert('revert')</script>",
};

/** A Solidity short string (< 32 bytes) as its storage slot holds it: the bytes, then the length × 2 in the last byte. */
function shortString(s: string): Hex {
  const bytes = Buffer.from(s, "utf8");
  if (bytes.length > 31) throw new Error(`${s} is too long for a short string`);
  const word = Buffer.alloc(32);
  bytes.copy(word);
  word[31] = bytes.length * 2;
  return `0x${word.toString("hex")}`;
}

describe("explorer pages render every user-controlled field inert", () => {
  let clients: Clients;
  let d: Deployment;
  let dir: string;
  let opened: OpenedExplorer;
  let server: ExplorerServer;
  let url: string;
  let browser: Browser;
  let context: BrowserContext;
  let failedTx: Hex;
  let failedBlock: bigint;
  const timelock: Address = "0x00000000000000000000000000000000000071C3";
  const dialogs: string[] = [];
  const addr = (i: number) => walletFor(clients, devKey(i)).account.address;

  async function send(who: number, address: Address, abi: Abi, functionName: string, args: readonly unknown[]) {
    const hash = await walletFor(clients, devKey(who)).writeContract({ address, abi, functionName, args } as never);
    expect((await clients.publicClient.waitForTransactionReceipt({ hash })).status).toBe("success");
  }

  beforeAll(async () => {
    fs.mkdirSync(ART, { recursive: true });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "poq-explorer-xss-"));
    let provider;
    ({ provider, clients, deployment: d } = await deployLocal({ k: 1, quorum: 1 }));
    const rpc = (method: string, params: unknown[]) => provider.request({ method, params } as never);

    // The token names itself with markup: ERC20's _name and _symbol are storage slots 3 and 4.
    await rpc("hardhat_setStorageAt", [d.token, toHex(3), shortString(X.name)]);
    await rpc("hardhat_setStorageAt", [d.token, toHex(4), shortString(X.symbol)]);
    expect(await clients.publicClient.readContract({ address: d.token, abi: erc20Abi, functionName: "symbol" })).toBe(X.symbol);

    // Activity: an evaluator stakes (mint, approve, stake).
    const evaluator = DEV_ROLES.evaluators[0];
    await send(DEV_ROLES.owner, d.token, testTokenAbi as Abi, "mint", [addr(evaluator), 500n * 10n ** 18n]);
    await send(evaluator, d.token, erc20Abi as Abi, "approve", [d.vault, 500n * 10n ** 18n]);
    await send(evaluator, d.vault, stakeVaultAbi as Abi, "stake", [2, 500n * 10n ** 18n]);

    // A round whose batch names a hostile model and whose outputs are hostile, published to the content store.
    const store = new ContentStore(path.join(dir, "store"));
    const node = addr(DEV_ROLES.inference[0]);
    const tasks: BatchManifest["tasks"] = [0, 1].map((index) => {
      const contentHash = store.putJson({ id: `x${index}`, task: "qa", queryId: `q${index}`, query: X.query, output: X.output, model: X.model, node });
      return { index, node, model: X.model, modelId: modelId(X.model), contentHash, costUnits: "100" };
    });
    const root = publishBatch(store, { version: 1, tasks });
    await send(DEV_ROLES.relayers[0], d.settlement, poQSettlementAbi as Abi, "registerTasks", [root, 2n]);

    // A failed call with a hostile revert reason: a stand-in at the timelock address reverts with its calldata.
    await rpc("hardhat_setCode", [timelock, "0x365f5f37365ffd"]);
    await rpc("hardhat_mine", ["0x1"]);
    const w = walletFor(clients, devKey(DEV_ROLES.relayers[0]));
    const fees = await clients.publicClient.estimateFeesPerGas();
    const data = encodeErrorResult({ abi: [{ type: "error", name: "Error", inputs: [{ name: "message", type: "string" }] }], errorName: "Error", args: [X.revert] });
    const signed = await w.signTransaction({ to: timelock, data, gas: 100_000n, nonce: await clients.publicClient.getTransactionCount({ address: w.account.address }), type: "eip1559", ...fees } as never);
    failedTx = keccak256(signed);
    await clients.publicClient.sendRawTransaction({ serializedTransaction: signed }).catch(() => undefined);
    const rc = await clients.publicClient.waitForTransactionReceipt({ hash: failedTx });
    expect(rc.status).toBe("reverted");
    failedBlock = rc.blockNumber;

    const labelsFile = path.join(dir, "labels.json");
    fs.writeFileSync(labelsFile, JSON.stringify({ [addr(DEV_ROLES.owner)]: X.label, [addr(DEV_ROLES.relayers[0])]: X.relayerLabel }));
    opened = await openExplorer({ rpcUrl: "", storeDir: path.join(dir, "store"), dbFile: path.join(dir, "explorer.sqlite"), labelsFile, confirmations: 0 }, { clients, deployment: d, timelock });
    await opened.indexer.sync();
    server = createExplorerServer({ ctx: opened.ctx });
    ({ url } = await server.listen(0));
    browser = await chromium.launch({ executablePath: "/usr/bin/chromium", headless: true, args: CHROMIUM_ARGS });
    context = await browser.newContext({ bypassCSP: true, viewport: { width: 1360, height: 900 } });
    context.on("page", (p) => p.on("dialog", (dlg) => (dialogs.push(dlg.message()), void dlg.dismiss())));
  }, 180_000);

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await server?.close();
    opened?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test("behavior: on every page, hostile names, labels, models, outputs and revert reasons show as text and never run", async () => {
    const owner = addr(DEV_ROLES.owner);
    const relayer = addr(DEV_ROLES.relayers[0]);
    const node = addr(DEV_ROLES.inference[0]);
    // Each page, with the hostile texts it must show (the symbol is on every page, in the footer and amounts).
    const pages: [string, string[], number][] = [
      ["/", [X.symbol, X.relayerLabel], 200],
      ["/round/1", [X.symbol, X.model, X.relayerLabel], 200],
      ["/round/1/task/0", [X.model, X.query, X.output], 200],
      [`/address/${owner}`, [X.label, X.symbol], 200],
      [`/address/${relayer}`, [X.relayerLabel], 200],
      [`/address/${node}`, [X.symbol], 200],
      [`/tx/${failedTx}`, [X.revert, X.relayerLabel], 200],
      [`/block/${failedBlock}`, [X.relayerLabel], 200],
      ["/blocks", [X.symbol], 200],
      ["/txs", [X.relayerLabel, X.label], 200],
      ["/token", [X.name, X.symbol], 200],
      [`/search?q=${encodeURIComponent(X.query)}`, [X.query], 400],
      [`/round/${encodeURIComponent(X.name)}`, [X.name], 400],
    ];
    const page = await context.newPage();
    for (const [p, texts, status] of pages) {
      const res = await page.goto(`${url}${p}`);
      expect([p, res?.status()]).toEqual([p, status]);
      const body = await res!.text();
      for (const t of Object.values(X)) expect([p, body.includes(t)]).toEqual([p, false]); // never as raw markup
      const dom = await page.evaluate(() => {
        const d = (globalThis as unknown as { document: { querySelectorAll(s: string): ArrayLike<{ getAttribute(n: string): string | null; attributes: ArrayLike<{ name: string }> }> } }).document;
        const all = Array.from(d.querySelectorAll("*"));
        return {
          scripts: Array.from(d.querySelectorAll("script")).map((s) => s.getAttribute("src")),
          handlers: all.flatMap((el) => Array.from(el.attributes).map((a) => a.name)).filter((n) => n.startsWith("on")),
          injected: d.querySelectorAll("img, iframe, object, embed").length,
          text: (d as unknown as { body: { innerText: string } }).body.innerText,
        };
      });
      expect([p, dom.scripts, dom.handlers, dom.injected]).toEqual([p, ["/static/explorer.js"], [], 0]);
      for (const t of texts) expect([p, t, dom.text.includes(t)]).toEqual([p, t, true]);
      await page.screenshot({ path: path.join(ART, `xss${p.replace(/[^a-z0-9]+/gi, "-").slice(0, 40)}.png`), fullPage: false });
    }
    // The JSON API serves the same texts as data.
    const api = (await (await fetch(`${url}/api/tx/${failedTx}`)).json()) as { status: string; revert: { error: string; text: string } };
    expect([api.status, api.revert.error, api.revert.text]).toEqual(["failed", "Error", `Error(message: ${JSON.stringify(X.revert)})`]);
    expect(dialogs).toEqual([]);
  });

  test("behavior: the stand-in timelock's transactions are indexed (a failed call to the timelock shows)", async () => {
    const feed = (await (await fetch(`${url}/api/txs?limit=200`)).json()) as { transactions: { hash: string; status: string; to: { tag: string } }[] };
    const row = feed.transactions.find((t) => t.hash === failedTx)!;
    expect([row.status, row.to.tag]).toEqual(["failed", "Timelock"]);
  });
});
