import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { chromium, type Browser, type BrowserContext } from "playwright-core";
import { encodeErrorResult, encodeFunctionData, erc20Abi, keccak256, toHex, type Abi, type Address, type Hex } from "viem";
import { poQSettlementAbi, poQTimelockAbi } from "../../src/chain/abis";
import { walletFor, type Clients } from "../../src/chain/client";
import type { Deployment } from "../../src/chain/deployment";
import { modelId, publishBatch, type BatchManifest } from "../../src/protocol/manifest";
import { ContentStore } from "../../src/protocol/store";
import { openExplorer, type OpenedExplorer } from "../../src/explorer/run";
import { createExplorerServer, type ExplorerServer } from "../../src/explorer/server";
import { deployLocal, keyOf, LocalChain } from "../../src/explorer/testing";

/**
 * Every user-controlled field renders inert on every page: the token's name and symbol (set in the token's storage),
 * labels from the labels file, model ids, queries and outputs from the content store, content identifiers (the
 * manifest CID of a registration, an announced CID, a payload CID of a settlement reveal: bytes anyone writes), and
 * a revert reason (a timelock operation whose target, a stand-in contract, reverts with the message it is sent).
 * Chromium runs with the Content-Security-Policy bypassed, so an injected script would run: the test fails if any
 * dialog opens, if any script, event-handler attribute or injected element reaches the DOM, or if a hostile text is
 * not shown as text.
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
  manifestCid: "<script>alert('manifest cid')</script>",
  announcedCid: '<img src=x onerror=alert("announced")>',
  payloadCid: '"><svg onload=alert("payload cid")>',
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
  const STAND_IN: Address = "0x00000000000000000000000000000000000071C3";
  const RELAYER = 1;
  const EVALUATOR = 7;
  const NODE = 3;
  const dialogs: string[] = [];
  const addr = (i: number) => walletFor(clients, keyOf(i)).account.address;

  beforeAll(async () => {
    fs.mkdirSync(ART, { recursive: true });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "poq-explorer-xss-"));
    let provider;
    ({ provider, clients, deployment: d } = await deployLocal({
      k: 1,
      quorum: 1,
      maxRoundPools: 5_000n * 10n ** 18n,
      commitDuration: 10,
      revealDuration: 10,
      settleCommitDuration: 10,
      settleRevealDuration: 10,
      challengeDuration: 5,
    }));
    const chain = new LocalChain(clients, d);
    const rpc = (method: string, params: unknown[]) => provider.request({ method, params } as never);

    // The token names itself with markup: ERC20's _name and _symbol are storage slots 3 and 4.
    await rpc("hardhat_setStorageAt", [d.token, toHex(3), shortString(X.name)]);
    await rpc("hardhat_setStorageAt", [d.token, toHex(4), shortString(X.symbol)]);
    expect(await clients.publicClient.readContract({ address: d.token, abi: erc20Abi, functionName: "symbol" })).toBe(X.symbol);

    // Activity: a relayer bonds, an evaluator stakes.
    const relayer = RELAYER;
    await chain.stake(relayer, 3, 5_000n * 10n ** 18n);
    await chain.stake(EVALUATOR, 2, 500n * 10n ** 18n);

    // A round whose batch names a hostile model and whose outputs are hostile, published to the content store,
    // registered with a hostile manifest CID, with a hostile announced CID and a hostile payload CID.
    const store = new ContentStore(path.join(dir, "store"));
    const node = addr(NODE);
    const tasks: BatchManifest["tasks"] = [0, 1].map((index) => {
      const contentHash = store.putJson({ id: `x${index}`, task: "qa", queryId: `q${index}`, query: X.query, output: X.output, model: X.model });
      return { index, node, model: X.model, modelId: modelId(X.model), contentHash, costUnits: "100" };
    });
    const { root } = publishBatch(store, { version: 2, tasks });
    await chain.send(relayer, d.settlement, poQSettlementAbi as Abi, "registerTasks", [{ taskRoot: root, taskCount: 2, goldCommitment: `0x${"00".repeat(32)}`, manifestCid: toHex(X.manifestCid) }]);
    await chain.send(relayer, d.settlement, poQSettlementAbi as Abi, "announce", [1n, 1, toHex(X.announcedCid)]);
    const byEvaluator = await chain.assign(1n, [relayer]);
    await chain.vote(1n, byEvaluator, [EVALUATOR]);
    await chain.settle(1n, await chain.emptySettlement(1n, "xss"), [relayer], toHex(X.payloadCid));

    // A failed call with a hostile revert reason: a timelock operation whose target reverts with its calldata.
    await rpc("hardhat_setCode", [STAND_IN, "0x365f5f37365ffd"]);
    const data = encodeErrorResult({ abi: [{ type: "error", name: "Error", inputs: [{ name: "message", type: "string" }] }], errorName: "Error", args: [X.revert] });
    const op = await chain.schedule(STAND_IN, data, "hostile");
    await chain.passTime(Number(await clients.publicClient.readContract({ address: d.timelock, abi: poQTimelockAbi, functionName: "getMinDelay" })));
    const w = walletFor(clients, keyOf(0));
    const fees = await clients.publicClient.estimateFeesPerGas();
    const exec = { abi: poQTimelockAbi, functionName: "execute", args: op.args } as const;
    const signed = await w.signTransaction({ to: d.timelock, data: encodeFunctionData(exec as never), gas: 200_000n, nonce: await clients.publicClient.getTransactionCount({ address: w.account.address }), type: "eip1559", ...fees } as never);
    failedTx = keccak256(signed);
    await clients.publicClient.sendRawTransaction({ serializedTransaction: signed }).catch(() => undefined);
    const rc = await clients.publicClient.waitForTransactionReceipt({ hash: failedTx });
    expect(rc.status).toBe("reverted");
    failedBlock = rc.blockNumber;

    const labelsFile = path.join(dir, "labels.json");
    fs.writeFileSync(labelsFile, JSON.stringify({ [addr(0)]: X.label, [addr(relayer)]: X.relayerLabel }));
    opened = await openExplorer({ rpcUrl: "", storeDir: path.join(dir, "store"), dbFile: path.join(dir, "explorer.sqlite"), labelsFile, confirmations: 0 }, { clients, deployment: d });
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
    await opened?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test("behavior: on every page, hostile names, labels, models, outputs and revert reasons show as text and never run", async () => {
    const owner = addr(0);
    const relayer = addr(RELAYER);
    const node = addr(NODE);
    // Each page, with the hostile texts it must show (the symbol is on every page, in the footer and amounts).
    const pages: [string, string[], number][] = [
      ["/", [X.symbol, X.relayerLabel], 200],
      ["/round/1", [X.symbol, X.model, X.relayerLabel, X.manifestCid, X.announcedCid, X.payloadCid], 200],
      ["/round/1/task/0", [X.model, X.query, X.output], 200],
      [`/address/${owner}`, [X.label, X.symbol], 200],
      [`/address/${relayer}`, [X.relayerLabel], 200],
      [`/address/${node}`, [X.symbol], 200],
      [`/tx/${failedTx}`, [X.revert, X.label], 200],
      ["/governance", [X.relayerLabel, X.label, X.symbol], 200],
      ["/challenges", [X.symbol], 200],
      [`/block/${failedBlock}`, [X.label], 200],
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

  test("behavior: the timelock's failed execution is indexed and its operation stays ready", async () => {
    const feed = (await (await fetch(`${url}/api/txs?limit=200`)).json()) as { transactions: { hash: string; status: string; to: { tag: string } }[] };
    const row = feed.transactions.find((t) => t.hash === failedTx)!;
    expect([row.status, row.to.tag]).toEqual(["failed", "Timelock"]);
    const gov = (await (await fetch(`${url}/api/governance`)).json()) as { operations: { state: string; calls: { target: { address: string }; call: unknown }[] }[] };
    expect(gov.operations.map((o) => [o.state, o.calls[0].target.address, o.calls[0].call])).toEqual([["ready", STAND_IN, null]]);
    // The CIDs are served as data: hex and, when printable, the text.
    const round = (await (await fetch(`${url}/api/round/1`)).json()) as { round: { manifestCid: { hex: string; text: string } }; settlements: { payloadCid: { text: string } }[] };
    expect([round.round.manifestCid.text, round.settlements[0].payloadCid.text]).toEqual([X.manifestCid, X.payloadCid]);
  });
});
