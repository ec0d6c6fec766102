import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { encodeFunctionData, erc20Abi, formatUnits, getAddress, keccak256, parseEventLogs, toHex, type Abi, type Address, type Hex } from "viem";
import { poQSettlementAbi, poQTimelockAbi, rewardDistributorAbi, settlementChallengesAbi, settlementConfigAbi, stakeVaultAbi } from "../../src/chain/abis";
import { walletFor, type Clients } from "../../src/chain/client";
import type { Deployment } from "../../src/chain/deployment";
import type { Settlement } from "../../src/chain/encoding";
import { readParams, readRound } from "../../src/chain/reader";
import { devKey, DEV_ROLES } from "../../src/agents/accounts";
import type { DemoSummary } from "../../src/agents/demo";
import { sharedDemo } from "../helpers/demo";
import { main } from "../../src/cli";
import { trustTree } from "../../src/rewards/merkle";
import { buildSumTree, sumTreeComputeRoot } from "../../src/rewards/sumTree";
import { loadPayload } from "../../src/protocol/payload";
import { ContentStore } from "../../src/protocol/store";
import { ExplorerDb } from "../../src/explorer/db";
import { groupTokens } from "../../src/explorer/values";
import { openExplorer } from "../../src/explorer/run";
import { LocalChain } from "../../src/explorer/testing";

/**
 * The explorer in a real headless Chromium (Debian's /usr/bin/chromium through playwright-core), against the real
 * `poq explorer` process, after a 3-round demo on the in-process Hardhat chain served over JSON-RPC, then driven by
 * hand: a failed transaction; two governance operations queued in the timelock (a new guardian, new parameters);
 * round 4, whose first settlement lowers an account's allotment and is rejected on an unanswered challenge (the
 * relayers' bonds seized), whose second settlement is challenged, answered and finalized; round 5, funded, expired
 * and cancelled, its funder refunded; an unstake request; and round 6 left open in its commit window. Every number the
 * pages show is compared with what the chain says. Screenshots go to test-artifacts/explorer/.
 */

const ROOT = path.join(__dirname, "..", "..");
const ART = path.join(ROOT, "test-artifacts", "explorer");
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
  let failedTx: Hex;
  let labelsFile: string;
  const foreignRequests: string[] = [];
  /** Every request the browser made that the explorer answered with a server error (5xx), or that failed. */
  const brokenRequests: string[] = [];
  const trustByRound = new Map<number, Map<Address, number>>();
  let symbol = "";
  const shown = (wei: bigint) => `${groupTokens(formatUnits(wei, 18))} ${symbol}`;

  const client = () => chain.clients.publicClient;
  const d = () => chain.deployment;
  const ABIS = [...poQSettlementAbi, ...stakeVaultAbi, ...rewardDistributorAbi, ...settlementChallengesAbi, ...settlementConfigAbi, ...poQTimelockAbi];
  const events = async <N extends string>(abi: Abi, address: Address, eventName: N) =>
    client().getContractEvents({ address, abi, eventName, fromBlock: 0n, strict: true } as never) as Promise<{ args: Record<string, unknown>; transactionHash: Hex; blockNumber: bigint; logIndex: number }[]>;
  let local: LocalChain;
  const ops: { guardian?: Hex; params?: Hex } = {};
  let newGuardian: Address;
  let lowered: { account: Address; who: number };
  let answeredBy: Address;
  let unstaker: Address;

  /** A slashed evaluator, preferably one with claims (the demo's booster or saboteur, whichever the rule caught). */
  async function slashedEvaluator(): Promise<Address> {
    const slashed = await events(stakeVaultAbi, d().vault, "Slashed");
    const claimed = new Set((await events(rewardDistributorAbi, d().distributor, "Claimed")).map((l) => getAddress(l.args.account as string)));
    const evaluators = slashed.filter((x) => Number(x.args.role) === 2).map((x) => getAddress(x.args.account as string));
    expect(evaluators.length).toBeGreaterThan(0);
    return evaluators.find((a) => claimed.has(a)) ?? evaluators[0];
  }

  async function shot(name: string) {
    await page.screenshot({ path: path.join(ART, `${name}.png`), fullPage: true });
  }

  beforeAll(async () => {
    fs.mkdirSync(ART, { recursive: true });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "poq-explorer-browser-"));
    // The demo the e2e and browser projects share (test/setup/demo.ts), its chain served over JSON-RPC.
    const demo = await sharedDemo();
    summary = demo.summary;
    chain = { clients: demo.clients, deployment: { ...demo.deployment, fromBlock: 0n } };
    symbol = await client().readContract({ address: d().token, abi: erc20Abi, functionName: "symbol" });
    local = new LocalChain(chain.clients, d());
    rpc = { url: demo.rpcUrl, close: async () => undefined };
    deploymentFile = path.join(dir, "deployment.json");
    const { token, vault, distributor, settlement, config, challenges, timelock } = d();
    fs.writeFileSync(deploymentFile, JSON.stringify({ token, vault, distributor, settlement, config, challenges, timelock }));
    labelsFile = path.join(dir, "labels.json");
    fs.writeFileSync(labelsFile, JSON.stringify({ [walletFor(chain.clients, devKey(DEV_ROLES.owner)).account.address.toLowerCase()]: "Treasury" }));

    // A failed transaction: an evaluator commits to round 1, which is finalized (SettlementWrongPhase). Sent signed
    // with a fixed gas limit, so that it is mined although it reverts.
    const w = walletFor(chain.clients, devKey(DEV_ROLES.evaluators[0]));
    const fees = await client().estimateFeesPerGas();
    const signed = await w.signTransaction({
      to: d().settlement,
      data: encodeFunctionData({ abi: poQSettlementAbi, functionName: "commitScores", args: [1n, keccak256(toHex("too late"))] }),
      gas: 150_000n,
      nonce: await client().getTransactionCount({ address: w.account.address }),
      type: "eip1559",
      maxFeePerGas: fees.maxFeePerGas,
      maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
    } as never);
    failedTx = keccak256(signed);
    await client().sendRawTransaction({ serializedTransaction: signed }).catch(() => undefined);
    expect((await client().waitForTransactionReceipt({ hash: failedTx })).status).toBe("reverted");

    // Governance: a new guardian and new parameters, queued in the timelock (pending for its 8-day delay).
    newGuardian = local.address(17);
    ops.guardian = (await local.schedule(d().config, encodeFunctionData({ abi: settlementConfigAbi, functionName: "setGuardian", args: [newGuardian] }), "guardian")).id;
    const current = await client().readContract({ address: d().config, abi: settlementConfigAbi, functionName: "params" });
    const next = { ...current, challengeDuration: current.challengeDuration + 30, minChallengeBond: current.minChallengeBond * 2n };
    ops.params = (await local.schedule(d().config, encodeFunctionData({ abi: settlementConfigAbi, functionName: "setParams", args: [next] }), "params")).id;

    // Round 4: every evaluator votes; the first settlement lowers one account's allotment by one base unit.
    const relayers = [...DEV_ROLES.relayers];
    const evaluators = [...DEV_ROLES.evaluators];
    const r4 = await local.register(relayers[0], 6, { salt: "round-4" });
    const byEvaluator = await local.assign(r4.id, relayers);
    await local.vote(r4.id, byEvaluator, evaluators);
    const store = new ContentStore(summary.contentDir);
    const prev = loadPayload(store, (await readRound(client(), d(), 3n)).settlementHash)!;
    const leafOf = (a: Address) => {
      const c = prev.claims.find((x) => getAddress(x.account) === a)!;
      return { account: a, amount: BigInt(c.cumulativeAmount), index: c.index, proof: c.proof };
    };
    const node = DEV_ROLES.inference[0];
    lowered = { account: local.address(node), who: node };
    const good: Settlement = await local.emptySettlement(r4.id, "round-4");
    const badTree = buildSumTree(prev.claims.map((c) => ({ account: c.account, amount: BigInt(c.cumulativeAmount) - (getAddress(c.account) === lowered.account ? 1n : 0n) })));
    const bad: Settlement = { ...good, rewardsRoot: badTree.root, inputsHash: keccak256(toHex("round-4/bad")) };
    await local.settle(r4.id, bad, relayers, toHex("bafy-payload-of-the-bad-settlement"));
    // The lowered account challenges; nobody answers; anyone resolves it: upheld, the relayers' bonds are seized.
    const first = await local.challengeAccount(lowered.who, r4.id, bad, leafOf(lowered.account));
    const params = await readParams(client(), d(), (await readRound(client(), d(), r4.id)).paramsVersion);
    await local.passTime(params.responseDuration + 1);
    await local.send(5, d().challenges, settlementChallengesAbi as Abi, "resolve", [first]);
    // The relayers bond again and settle correctly; a second challenge is answered with the leaf's proof.
    for (const r of relayers) await local.stake(r, 3, params.minRelayerBond);
    await local.settle(r4.id, good, relayers);
    const other = DEV_ROLES.inference[1];
    const second = await local.challengeAccount(other, r4.id, good, leafOf(local.address(other)));
    const l2 = leafOf(local.address(other));
    await local.send(relayers[1], d().challenges, settlementChallengesAbi as Abi, "answerAccount", [second, l2.amount, BigInt(l2.index), l2.proof]);
    answeredBy = local.address(relayers[1]);
    await local.passTime(params.challengeDuration + 1);
    await local.send(relayers[0], d().settlement, poQSettlementAbi as Abi, "finalize", [r4.id, good]);

    // Round 5: funded, never assigned; it expires, anyone cancels it and the treasury takes its funds back.
    const owner = DEV_ROLES.owner;
    const r5 = await local.register(relayers[0], 3, { salt: "round-5", manifestCid: toHex("bafy-manifest-of-round-5") });
    await local.fund(owner, 30n * 10n ** 18n, d().distributor);
    await local.send(owner, d().distributor, rewardDistributorAbi as Abi, "fundRound", [r5.id, 20n * 10n ** 18n, 10n * 10n ** 18n]);
    await local.passUntil((await readRound(client(), d(), r5.id)).assignDeadline);
    await local.send(6, d().settlement, poQSettlementAbi as Abi, "cancelRound", [r5.id]);
    await local.send(6, d().distributor, rewardDistributorAbi as Abi, "refund", [r5.id, local.address(owner)]);

    // An evaluator queues some stake for withdrawal.
    unstaker = local.address(evaluators[1]);
    await local.send(evaluators[1], d().vault, stakeVaultAbi as Abi, "requestUnstake", [2, 100n * 10n ** 18n]);

    // Round 6, left open: registered, its assignment accepted by both relayers, so its commit window is running.
    const r6 = await local.register(relayers[0], 4, { salt: "round-6" });
    await local.assign(r6.id, relayers);

    explorer = poq([
      "explorer",
      "--rpc",
      rpc.url,
      "--deployment",
      deploymentFile,
      "--store",
      summary.contentDir,
      "--labels",
      labelsFile,
      "--db",
      path.join(dir, "explorer.sqlite"),
      "--confirmations",
      "0",
      "--port",
      "0",
      "--poll-ms",
      "200",
    ]);
    url = JSON.parse(await explorer.waitFor(/"msg":"listening"/, 60_000)).url;
    await explorer.waitFor(/"msg":"synced"/, 60_000);
    browser = await chromium.launchPersistentContext(path.join(dir, "chromium-profile"), { executablePath: "/usr/bin/chromium", headless: true, args: CHROMIUM_ARGS, viewport: { width: 1360, height: 900 } });
    browser.on("request", (r) => {
      if (!r.url().startsWith(url)) foreignRequests.push(r.url());
    });
    browser.on("response", (r) => {
      if (r.status() >= 500) brokenRequests.push(`${r.status()} ${r.url()}`);
    });
    page = await browser.newPage();
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    explorer?.kill("SIGKILL");
    await explorer?.exited;
    await rpc?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test("behavior: an open round counts down to its deadline, rendered by the server and refreshed by the script", async () => {
    const round = await client().readContract({ address: d().settlement, abi: poQSettlementAbi, functionName: "getRound", args: [6n] });
    // Without JavaScript: the sentence is in the HTML.
    const noJs = await browser.browser()!.newContext({ javaScriptEnabled: false });
    try {
      const plain = await noJs.newPage();
      await plain.goto(`${url}/round/6`);
      const phase = nbsp(await plain.locator("h1 .badge").textContent());
      expect(["commit", "reveal"]).toContain(phase);
      const deadline = plain.locator("#deadline .countdown");
      expect(Number(await deadline.getAttribute("data-deadline"))).toBe(Number(phase === "commit" ? round.commitDeadline : round.revealDeadline));
      expect(nbsp(await deadline.textContent())).toMatch(phase === "commit" ? /^Commit window closes in \d+ (min|s)/ : /^Reveal window closes in \d+ (min|s)/);
      // Every other open deadline too: the reveal window (while committing) and the settlement expiry.
      const keys = await plain.locator("#deadlines [data-deadline-key]").evaluateAll((els) => els.map((e) => [e.getAttribute("data-deadline-key"), Number(e.querySelector(".countdown")!.getAttribute("data-deadline"))]));
      expect(keys).toEqual([...(phase === "commit" ? [["reveal", Number(round.revealDeadline)]] : []), ["expiry", Number(round.expiresAt)]]);
      expect(nbsp(await plain.locator("[data-field=seed-block]").textContent())).toBe(String(round.seedBlock));
    } finally {
      await noJs.close();
    }
    // With JavaScript the remaining time moves on.
    await page.goto(`${url}/round/6`);
    const left = page.locator("#deadline .countdown .left");
    const first = await left.textContent();
    await expect.poll(() => left.textContent(), { timeout: 5_000, interval: 250 }).not.toBe(first);
    await shot("round-open-countdown");
  });

  test("behavior: the rounds list shows each round's payments and slashes as the chain has them", async () => {
    const res = await page.goto(`${url}/`);
    expect(res?.status()).toBe(200);
    const rows = page.locator("#rounds tbody tr");
    expect(await rows.count()).toBe(6);
    expect(nbsp(await rows.nth(0).locator("[data-field=round]").textContent())).toBe("#6");
    expect(nbsp(await rows.nth(1).locator(".badge").textContent())).toBe("cancelled");
    expect(nbsp(await rows.nth(1).textContent())).toContain("cancelled (expired)");
    const roots = await events(rewardDistributorAbi, d().distributor, "RootUpdated");
    const slashes = await events(stakeVaultAbi, d().vault, "Slashed");
    for (let i = 2; i < 6; i++) {
      const row = rows.nth(i);
      const id = Number(nbsp(await row.locator("[data-field=round]").textContent()).replace("#", ""));
      const root = roots.find((r) => r.args.roundId === BigInt(id))!;
      // Slashed: every slash of the round (non-reveal, low trust, seized relayer bonds), as the vault emitted them.
      const slashed = slashes.filter((x) => x.args.roundId === BigInt(id)).reduce((t, x) => t + (x.args.amount as bigint), 0n);
      for (const [field, wei] of [
        ["inference-paid", root.args.inferencePaid],
        ["evaluator-paid", root.args.evaluatorPaid],
        ["slashed-total", slashed],
      ] as [string, bigint][]) {
        const cell = row.locator(`[data-field=${field}]`);
        expect([id, field, await cell.getAttribute("data-wei")]).toEqual([id, field, wei.toString()]);
        expect(nbsp(await cell.textContent())).toBe(shown(wei));
      }
      expect(nbsp(await row.locator(".badge").textContent())).toBe("finalized");
      // Mean quality: the page and the API say the same number (quality 0..10).
      if (id === 4) continue; // settled by hand: no payload
      const api = (await (await fetch(`${url}/api/round/${id}`)).json()) as { round: { meanConsensus: number } };
      expect(api.round.meanConsensus).toBeGreaterThan(0);
      expect(api.round.meanConsensus).toBeLessThanOrEqual(10);
      expect(nbsp(await row.locator("[data-field=mean-quality]").textContent())).toBe(api.round.meanConsensus.toFixed(3));
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

      // Settlement attempts: both relayers revealed the finalized hash, each with the payload CID it pointed to.
      const hashes = await page.locator('.attempt[data-outcome="finalized"] [data-field=settlement-hash]').allTextContents();
      expect(hashes).toEqual([round.settlementHash, round.settlementHash]);
      const mine = revealed.filter((r) => r.args.roundId === BigInt(id) && r.args.settlementHash === round.settlementHash);
      const cids = await page.locator('.attempt[data-outcome="finalized"] [data-cid]').evaluateAll((els) => els.map((e) => e.getAttribute("data-cid")));
      expect(cids).toEqual(mine.map((r) => r.args.payloadCid));
      expect(await page.locator("#tasks tbody tr").count()).toBe(round.taskCount);
      expect(await page.locator("#timeline").textContent()).toContain("finalized");
      // Seed block, gold count and the circuit breaker as the round and its settlement have them.
      const s = settled as unknown as { goldCount: number; flags: number };
      expect(nbsp(await page.locator("[data-field=seed-block]").textContent())).toBe(String(round.seedBlock));
      expect(nbsp(await page.locator("[data-field=gold-count]").textContent())).toBe(String(s.goldCount));
      expect(await page.locator("#gold-tasks tbody tr").count()).toBe(s.goldCount);
      expect(await page.locator("[data-field=breaker]").getAttribute("data-held")).toBe(String((s.flags & 1) === 1));
      // The two-camp test's statistic, as the payload the settlement hash points to records it.
      const payload = loadPayload(new ContentStore(summary.contentDir), round.settlementHash)!;
      expect(Number(await page.locator("[data-field=breaker]").getAttribute("data-split-gap"))).toBe(payload.breaker.splitGap / 1000);
      if (id === 2) await shot("round-2");
    }
  });

  test("behavior: a slashed evaluator's page shows its stake, slashes, trust, rewards and claim proof as on chain", async () => {
    const slashed = await events(stakeVaultAbi, d().vault, "Slashed");
    const booster = await slashedEvaluator();
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

    await shot("address-slashed-evaluator");

    // Claims and the claim proof, on the page of an account with rewards (the slashed evaluator may have none).
    const roots = await events(rewardDistributorAbi, d().distributor, "RootUpdated");
    const allClaims = await events(rewardDistributorAbi, d().distributor, "Claimed");
    const earner = claimsOf(booster) ? booster : local.address(DEV_ROLES.inference[1]);
    function claimsOf(a: Address) {
      return allClaims.filter((l) => getAddress(l.args.account as string) === a).length;
    }
    await page.goto(`${url}/address/${earner}`);
    // Rewards over all rounds: everything was claimed in the demo, so they equal what the distributor paid out.
    const claimed = await client().readContract({ address: d().distributor, abi: rewardDistributorAbi, functionName: "claimed", args: [earner] });
    expect(await page.locator("[data-field=total-rewards]").getAttribute("data-wei")).toBe(claimed.toString());
    expect(await page.locator("#claimable [data-field=claimed]").getAttribute("data-wei")).toBe(claimed.toString());
    expect(await page.locator("#claimable [data-field=claimable]").getAttribute("data-wei")).toBe("0");
    // Each claim is shown under the root it was paid with: the last RootUpdated before the Claimed log.
    const claims = allClaims.filter((l) => getAddress(l.args.account as string) === earner);
    expect(claims.length).toBeGreaterThan(0);
    const rootAt = (l: { blockNumber: bigint; logIndex: number }) =>
      Number(roots.filter((r) => r.blockNumber < l.blockNumber || (r.blockNumber === l.blockNumber && r.logIndex < l.logIndex)).at(-1)!.args.roundId);
    const shown = await page.locator("#claims tbody tr td:first-child a").allTextContents();
    expect(shown).toEqual(claims.map((l) => `#${rootAt(l)}`));
    // The proof shown (leaf index, sibling hash and sum per level) computes the distributor's current root.
    const cumulative = BigInt((await page.locator("#claimable [data-field=cumulative]").getAttribute("data-wei"))!);
    const index = Number(nbsp(await page.locator("[data-field=leaf-index]").textContent()));
    const proof = (await page.locator("#proof li").allTextContents()).map((h) => h.trim() as Hex);
    const root = await client().readContract({ address: d().distributor, abi: rewardDistributorAbi, functionName: "root" });
    expect(sumTreeComputeRoot(earner, cumulative, index, proof).root).toBe(root);
    expect(await client().readContract({ address: d().distributor, abi: rewardDistributorAbi, functionName: "verifyLeaf", args: [earner, cumulative, BigInt(index), proof] })).toBe(true);
  });

  test("behavior: a transaction page decodes the call and every event of the receipt", async () => {
    const finals = await events(poQSettlementAbi, d().settlement, "RoundFinalized");
    const hash = finals.find((f) => f.args.roundId === 2n)!.transactionHash;
    await page.goto(`${url}/round/2`);
    await Promise.all([page.waitForURL(`${url}/tx/${hash}`), page.locator(`#timeline a[href="/tx/${hash}"]`).first().click()]);
    expect(nbsp(await page.locator("#call-function").textContent())).toBe("finalize(roundId, s)");
    const receipt = await client().getTransactionReceipt({ hash });
    const expected = parseEventLogs({ abi: [...ABIS, ...erc20Abi], logs: receipt.logs }).map((l) => l.eventName);
    expect(await page.locator(".log").evaluateAll((ls) => ls.map((l) => l.getAttribute("data-event")))).toEqual(expected);
    const slashAmounts = await page.locator('.log[data-event="Slashed"] table.args [data-wei]').evaluateAll((els) => els.map((e) => e.getAttribute("data-wei")));
    const onChain = (await events(stakeVaultAbi, d().vault, "Slashed")).filter((s) => s.transactionHash === hash).map((s) => (s.args.amount as bigint).toString());
    expect(slashAmounts).toEqual(onChain);
    // Status, gas and fee as the receipt has them; the fee in ETH and gwei.
    const tx = await client().getTransaction({ hash });
    expect(await page.locator("#tx-status").getAttribute("data-status")).toBe("success");
    expect(nbsp(await page.locator("[data-field=gas-used]").textContent())).toBe(receipt.gasUsed.toString());
    expect(nbsp(await page.locator("[data-field=gas-limit]").textContent())).toBe(tx.gas.toString());
    const fee = receipt.gasUsed * receipt.effectiveGasPrice;
    expect(await page.locator("[data-field=fee]").getAttribute("data-wei")).toBe(fee.toString());
    expect(nbsp(await page.locator("[data-field=fee]").textContent())).toBe(`${groupTokens(formatUnits(fee, 18))} ETH`);
    expect(nbsp(await page.locator("[data-field=fee-gwei]").textContent())).toBe(`(${groupTokens(formatUnits(fee, 9))} gwei)`);
    expect(await page.locator("[data-field=value]").getAttribute("data-wei")).toBe(tx.value.toString());
    // Token transfers: the receipt's Transfer events, in tokens.
    const transfers = parseEventLogs({ abi: erc20Abi, logs: receipt.logs, eventName: "Transfer" });
    expect(await page.locator("#token-transfers [data-field=transfer-amount] [data-wei]").evaluateAll((els) => els.map((e) => e.getAttribute("data-wei")))).toEqual(
      transfers.map((t) => t.args.value.toString()),
    );
    // Enums by name: no "reason 1" or "role: 2".
    const text = await page.locator("#events-section").textContent();
    expect(text).not.toMatch(/reason \d|role: ?\d/);
    expect(await page.locator('.log[data-event="Slashed"] .enum[data-enum="Role"]').first().textContent()).toBe("evaluator");
    await shot("tx-finalize");
  });

  test("behavior: a failed transaction is listed and shown as failed, with its decoded reason, gas and fee", async () => {
    const receipt = await client().getTransactionReceipt({ hash: failedTx });
    const tx = await client().getTransaction({ hash: failedTx });
    await page.goto(`${url}/txs?limit=200`);
    const row = page.locator(`#txs tbody tr:has([data-tx="${failedTx}"])`);
    expect(nbsp(await row.locator(".badge").textContent())).toBe("failed");
    await Promise.all([page.waitForURL(`${url}/tx/${failedTx}`), row.locator(`a[href="/tx/${failedTx}"]`).click()]);
    expect(await page.locator("#tx-status").getAttribute("data-status")).toBe("failed");
    expect(nbsp(await page.locator("#revert-reason").textContent())).toBe("SettlementWrongPhase(roundId: 1, expected: commit, actual: finalized)");
    expect(nbsp(await page.locator("#call-function").textContent())).toBe("commitScores(roundId, commitment)");
    expect(nbsp(await page.locator("[data-field=gas-limit]").textContent())).toBe(tx.gas.toString());
    expect(nbsp(await page.locator("[data-field=gas-used]").textContent())).toBe(receipt.gasUsed.toString());
    expect(await page.locator("[data-field=fee]").getAttribute("data-wei")).toBe((receipt.gasUsed * receipt.effectiveGasPrice).toString());
    expect(await page.locator(".log").count()).toBe(0);
    await shot("tx-failed");
  });

  test("behavior: the blocks and transactions feeds list what the chain has, newest first", async () => {
    const status = (await (await fetch(`${url}/api/status`)).json()) as { indexedBlock: number };
    await page.goto(`${url}/blocks`);
    const shown = await page.locator("#blocks [data-block]").evaluateAll((els) => els.map((e) => Number(e.getAttribute("data-block"))));
    expect(shown.slice(0, 5)).toEqual([0, 1, 2, 3, 4].map((i) => status.indexedBlock - i));
    for (const n of shown.slice(0, 5)) {
      const b = await client().getBlock({ blockNumber: BigInt(n) });
      const api = (await (await fetch(`${url}/api/block/${n}`)).json()) as { block: { hash: Hex; transactions: number; gasUsed: string } };
      expect([n, api.block.hash, api.block.transactions, api.block.gasUsed]).toEqual([n, b.hash, b.transactions.length, b.gasUsed.toString()]);
    }
    await shot("blocks");
    // A block page: reached from the feed, it lists the block's project transactions (the failed one's block here).
    const failedBlock = Number((await client().getTransactionReceipt({ hash: failedTx })).blockNumber);
    await page.goto(`${url}/block/${failedBlock}`);
    expect(nbsp(await page.locator("h1").textContent())).toBe(`Block ${failedBlock}`);
    expect(nbsp(await page.locator("#overview .hash").first().textContent())).toBe((await client().getBlock({ blockNumber: BigInt(failedBlock) })).hash);
    expect(await page.locator("#transactions [data-tx]").evaluateAll((els) => els.map((e) => e.getAttribute("data-tx")))).toEqual([failedTx]);
    await shot("block");
    // Every transaction to a project contract, and every one that emitted a project event, is in the feed.
    const project = [d().settlement, d().config, d().challenges, d().vault, d().distributor, d().timelock];
    const watched = new Set(project.map((a) => a.toLowerCase()));
    const want = new Set<string>();
    for (let n = 0; n <= status.indexedBlock; n++) {
      const b = await client().getBlock({ blockNumber: BigInt(n), includeTransactions: true });
      for (const t of b.transactions) if (t.to && watched.has(t.to.toLowerCase())) want.add(t.hash);
    }
    for (const l of await client().getLogs({ address: project, fromBlock: 0n })) want.add(l.transactionHash!);
    const feed = (await (await fetch(`${url}/api/txs?limit=200`)).json()) as { total: number; transactions: { hash: string }[] };
    const all = [...feed.transactions.map((t) => t.hash)];
    for (let p = 2; all.length < feed.total; p++) all.push(...((await (await fetch(`${url}/api/txs?limit=200&page=${p}`)).json()) as typeof feed).transactions.map((t) => t.hash));
    expect(new Set(all)).toEqual(want);
    expect(all).toContain(failedTx);
    await page.goto(`${url}/txs`);
    expect(await page.locator("#txs tbody tr").count()).toBe(Math.min(25, feed.total));
    await shot("txs");
    // The home page shows the latest of both.
    await page.goto(`${url}/`);
    expect(await page.locator("#latest-blocks-table tbody tr").count()).toBe(8);
    expect(await page.locator("#latest-txs-table tbody tr").count()).toBe(8);
  });

  test("behavior: the token page shows name, decimals, supply, holders and transfers as the chain has them", async () => {
    await page.goto(`${url}/token`);
    const [name, decimals, supply] = await Promise.all(
      (["name", "decimals", "totalSupply"] as const).map((functionName) => client().readContract({ address: d().token, abi: erc20Abi, functionName })),
    );
    expect(nbsp(await page.locator("#token-name").textContent())).toBe(name);
    expect(nbsp(await page.locator("#token-symbol").textContent())).toBe(`(${symbol})`);
    expect(nbsp(await page.locator("[data-field=decimals]").textContent())).toBe(String(decimals));
    expect(await page.locator("[data-field=total-supply]").getAttribute("data-wei")).toBe(String(supply));
    expect(await page.locator("[data-field=supply-transfers]").getAttribute("data-wei")).toBe(String(supply));
    const transfers = await client().getContractEvents({ address: d().token, abi: erc20Abi, eventName: "Transfer", fromBlock: 0n });
    expect(nbsp(await page.locator("[data-field=transfers]").textContent())).toBe(String(transfers.length));
    // Every holder: its balance equals balanceOf, ordered by balance; together they hold the supply.
    const api = (await (await fetch(`${url}/api/token?limit=200`)).json()) as { holdersCount: number; holders: { address: { address: Address }; balance: { wei: string } }[] };
    expect(api.holders.length).toBe(api.holdersCount);
    let total = 0n;
    for (const h of api.holders) {
      const onChain = await client().readContract({ address: d().token, abi: erc20Abi, functionName: "balanceOf", args: [h.address.address] });
      expect([h.address.address, h.balance.wei]).toEqual([h.address.address, onChain.toString()]);
      total += onChain;
    }
    expect(total).toBe(supply);
    const balances = api.holders.map((h) => BigInt(h.balance.wei));
    expect(balances).toEqual([...balances].sort((a, b) => (a > b ? -1 : a < b ? 1 : 0)));
    const firstRow = await page.locator("#holders [data-holder]").first().getAttribute("data-holder");
    expect(firstRow).toBe(api.holders[0].address.address);
    await shot("token");
  });

  test("behavior: name tags come from the deployment, the role events and the labels file; balances from the chain", async () => {
    const owner = walletFor(chain.clients, devKey(DEV_ROLES.owner)).account.address;
    const relayer = walletFor(chain.clients, devKey(DEV_ROLES.relayers[0])).account.address;
    await page.goto(`${url}/address/${owner}`);
    expect(nbsp(await page.locator("#name-tag").textContent())).toBe("Treasury");
    const roles = await page.locator("#overview .badge-role").allTextContents();
    expect(roles).toEqual(["Funder"]);
    const status = (await (await fetch(`${url}/api/status`)).json()) as { indexedBlock: number };
    const block = BigInt(status.indexedBlock);
    const [ethWei, tok] = await Promise.all([
      client().getBalance({ address: owner, blockNumber: block }),
      client().readContract({ address: d().token, abi: erc20Abi, functionName: "balanceOf", args: [owner], blockNumber: block }),
    ]);
    expect(await page.locator("[data-field=eth-balance]").getAttribute("data-wei")).toBe(ethWei.toString());
    expect(await page.locator("[data-field=token-balance]").getAttribute("data-wei")).toBe(tok.toString());
    await shot("address-owner");
    // The timelock owns the configuration and the vault; the guardian is tagged where it appears.
    await page.goto(`${url}/address/${d().timelock}`);
    expect(nbsp(await page.locator("#name-tag").textContent())).toBe("Timelock");
    expect(await page.locator("#overview .badge-role").allTextContents()).toEqual(["Owner"]);
    const guardian = await client().readContract({ address: d().config, abi: settlementConfigAbi, functionName: "guardian" });
    await page.goto(`${url}/address/${guardian}`);
    expect(nbsp(await page.locator("#name-tag").textContent())).toBe("Guardian");
    // Relayers are tagged where they appear: on the round page, in the settlement table.
    await page.goto(`${url}/round/1`);
    expect(await page.locator(`#attempts-section a[href="/address/${relayer}"] .tag`).first().textContent()).toBe("Relayer 1");
    await page.goto(`${url}/address/${relayer}`);
    expect(nbsp(await page.locator("#name-tag").textContent())).toBe("Relayer 1");
    const relayerEth = await client().getBalance({ address: relayer, blockNumber: block });
    expect(await page.locator("[data-field=eth-balance]").getAttribute("data-wei")).toBe(relayerEth.toString());
  });

  test("behavior: a task page shows the output from the content store, its model, consensus and every score", async () => {
    const api = (await (await fetch(`${url}/api/round/2`)).json()) as { tasks: { index: number; model: string; consensus: number; scores: { evaluator: string; score: number }[] }[] };
    const t = api.tasks[3];
    await page.goto(`${url}/round/2`);
    await Promise.all([page.waitForURL(`${url}/round/2/task/3`), page.locator('#tasks tr[data-task="3"] td:first-child a').click()]);
    expect(nbsp(await page.locator("#task .model").textContent())).toBe(t.model);
    expect((await page.locator("#output").textContent())!.length).toBeGreaterThan(0);
    expect(await page.locator("#task-scores tbody tr").count()).toBe(t.scores.length);
    await shot("task");
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
    for (const p of ["/governance", "/challenges", "/api/governance", "/api/challenges"]) expect([p, (await fetch(`${url}${p}`)).status]).toEqual([p, 200]);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect(foreignRequests).toEqual([]); // everything is served locally: no CDN, no fonts, nothing else
    expect(brokenRequests).toEqual([]); // every page, stylesheet and script the browser loaded was served
  });

  test("behavior: poq inspect prints the same data as the API, as tables or JSON", async () => {
    const common = (db: string) => ["--rpc", rpc.url, "--deployment", deploymentFile, "--store", summary.contentDir, "--labels", labelsFile, "--db", path.join(dir, db), "--confirmations", "0"];
    const booster = await slashedEvaluator();
    const finalizeTx = (await events(poQSettlementAbi, d().settlement, "RoundFinalized"))[1].transactionHash;
    // Two real processes, and the rest through the same entry point in this process (faster).
    const [json, addr] = await Promise.all([run(["inspect", "round", "2", "--json", ...common("inspect.sqlite")]), run(["inspect", "address", booster, ...common("inspect-address.sqlite")])]);
    const tx = await inProcess(["inspect", "tx", finalizeTx, ...common("inspect-address.sqlite")]);
    const bad = await inProcess(["inspect", "round", "two", ...common("unused.sqlite")]);
    const missing = await inProcess(["inspect", "round", "99", ...common("inspect-address.sqlite")]);
    expect(json.code, json.out).toBe(0);
    expect(JSON.parse(json.out)).toEqual(await (await fetch(`${url}/api/round/2`)).json());
    // The table names the breaker's state and the two-camp test's statistic, as the API gives them.
    const table = await inProcess(["inspect", "round", "2", ...common("inspect-address.sqlite")]);
    const breaker = (JSON.parse(json.out) as { breaker: { held: boolean; splitGap: number } }).breaker;
    expect(table.out).toContain(`widest gap between camps ${breaker.splitGap.toFixed(3)} points`);
    expect(table.out).toMatch(breaker.held ? /circuit breaker\s+held/ : /circuit breaker\s+not held/);
    expect(addr.code, addr.out).toBe(0);
    expect(addr.out).toContain(`Address ${booster}`);
    for (const x of (await events(stakeVaultAbi, d().vault, "Slashed")).filter((e) => getAddress(e.args.account as string) === booster)) {
      const reason = Number(x.args.reason) === 2 ? "low trust" : "non-reveal";
      expect(addr.out).toMatch(new RegExp(`${x.args.roundId}\\s+evaluator\\s+${reason}\\s+${shown(x.args.amount as bigint).replace(/[.]/g, "\\.")}`));
    }
    expect(tx.out).toContain("finalize(roundId, s)");
    // Readable: status, fee in ETH and gwei, gas, enums by name, amounts in tokens with name tags.
    const rc = await client().getTransactionReceipt({ hash: finalizeTx });
    expect(tx.out).toMatch(/status\s+success/);
    expect(tx.out).toContain(`fee               ${groupTokens(formatUnits(rc.gasUsed * rc.effectiveGasPrice, 18))} ETH (${groupTokens(formatUnits(rc.gasUsed * rc.effectiveGasPrice, 9))} gwei)`);
    expect(tx.out).toMatch(new RegExp(`gas used / limit\\s+${rc.gasUsed} of \\d+`));
    expect(tx.out).toMatch(/reason: (non-reveal|low trust)/);
    expect(tx.out).not.toMatch(/reason: \d|role: \d/);
    const failed = await inProcess(["inspect", "tx", failedTx, ...common("inspect-address.sqlite")]);
    expect(failed.out).toMatch(/status\s+FAILED: SettlementWrongPhase\(roundId: 1, expected: commit, actual: finalized\)/);
    const gov = await inProcess(["inspect", "governance", ...common("inspect-address.sqlite")]);
    expect(gov.code, gov.out).toBe(0);
    expect(gov.out).toContain(`${ops.guardian}  pending`);
    expect(gov.out).toMatch(/challengeDuration: 30 s \(30 s\) -> 1 min \(60 s\)/);
    const ch = await inProcess(["inspect", "challenges", "--json", ...common("inspect-address.sqlite")]);
    expect(JSON.parse(ch.out)).toEqual(await (await fetch(`${url}/api/challenges`)).json());
    expect([bad.code, bad.out]).toEqual([2, expect.stringContaining('malformed round number "two"')]);
    expect([missing.code, missing.out]).toEqual([2, expect.stringContaining("round 99 not found")]);
  }, 60_000);

  test("behavior: round 4 shows the rejected attempt with the seized bonds, the answered challenge, and the finalized one", async () => {
    const res = await page.goto(`${url}/round/4`);
    expect(res?.status()).toBe(200);
    const rejected = (await events(poQSettlementAbi, d().settlement, "SettlementRejected")).filter((e) => e.args.roundId === 4n);
    expect(rejected).toHaveLength(1);
    const seizedEvents = (await events(stakeVaultAbi, d().vault, "Slashed")).filter((e) => e.args.roundId === 4n && Number(e.args.reason) === 3);
    expect(seizedEvents.reduce((t, e) => t + (e.args.amount as bigint), 0n)).toBe(rejected[0].args.seized);
    expect(await page.locator(".attempt").evaluateAll((els) => els.map((e) => [e.getAttribute("data-attempt"), e.getAttribute("data-outcome")]))).toEqual([
      ["1", "rejected"],
      ["2", "finalized"],
    ]);
    expect(await page.locator("#vetoes [data-field=seized]").getAttribute("data-wei")).toBe(String(rejected[0].args.seized));
    expect(await page.locator("#vetoes [data-field=challenge-reward]").getAttribute("data-wei")).toBe(String(rejected[0].args.reward));
    // The bad attempt's payload CID is printable bytes: shown as text beside its hex.
    expect(await page.locator('.attempt[data-outcome="rejected"] .cid-text').first().textContent()).toBe("bafy-payload-of-the-bad-settlement");
    // Seized bonds are slashes of the relayers' stake, by reason.
    const bondRows = await page.locator("#slashes tbody tr").evaluateAll((trs) => trs.map((tr) => [tr.querySelector("[data-account]")!.getAttribute("data-account"), tr.querySelector(".reason")!.textContent, tr.querySelector("[data-field=slash-amount]")!.getAttribute("data-wei")]));
    expect(bondRows).toEqual(seizedEvents.map((e) => [getAddress(e.args.account as string), "bond seized", String(e.args.amount)]));
    expect(await page.locator("#challenges [data-field=challenge-status]").allTextContents()).toEqual(["answered", "upheld"]);
    await shot("round-4-challenged");
  });

  test("behavior: the challenges page lists each challenge's bond, status and outcome as the chain has them", async () => {
    await page.goto(`${url}/round/4`);
    await Promise.all([page.waitForURL(`${url}/challenges`), page.locator('header a[href="/challenges"]').click()]);
    const count = await client().readContract({ address: d().challenges, abi: settlementChallengesAbi, functionName: "challengeCount" });
    expect(await page.locator("#challenges tbody tr").count()).toBe(Number(count));
    const statuses = ["none", "open", "answered", "upheld", "moot"];
    for (let id = 1n; id <= count; id++) {
      const c = await client().readContract({ address: d().challenges, abi: settlementChallengesAbi, functionName: "getChallenge", args: [id] });
      const row = page.locator(`#challenges tbody tr:has([data-challenge="${id}"])`);
      expect([id, await row.locator("[data-field=challenge-bond]").getAttribute("data-wei")]).toEqual([id, c.bond.toString()]);
      expect([id, nbsp(await row.locator("[data-field=challenge-status]").textContent())]).toEqual([id, statuses[Number(c.status)]]);
      expect(nbsp(await row.textContent())).toContain(Number(c.kind) === 1 ? "account" : "gold item");
    }
    const upheld = page.locator('#challenges tbody tr:has([data-challenge="1"])');
    const rejected = (await events(poQSettlementAbi, d().settlement, "SettlementRejected"))[0];
    expect(await upheld.locator("[data-field=seized]").getAttribute("data-wei")).toBe(String(rejected.args.seized));
    expect(await upheld.locator("[data-field=challenge-reward]").getAttribute("data-wei")).toBe(String(rejected.args.reward));
    const answered = (await events(settlementChallengesAbi, d().challenges, "ChallengeAnswered"))[0];
    const row2 = page.locator('#challenges tbody tr:has([data-challenge="2"])');
    expect(await row2.locator("[data-field=to-responder]").getAttribute("data-wei")).toBe(String(answered.args.toResponder));
    expect(await row2.locator(`a[href="/address/${answeredBy}"]`).count()).toBe(1);
    await shot("challenges");
    // The challenger's and the responder's address pages list them.
    await page.goto(`${url}/address/${lowered.account}`);
    expect(await page.locator("#challenges-opened [data-challenge]").allTextContents()).toEqual(["#1"]);
    await page.goto(`${url}/address/${answeredBy}`);
    expect(await page.locator("#challenges-answered [data-challenge]").allTextContents()).toEqual(["#2"]);
  });

  test("behavior: the governance page shows each queued operation's call, ready time and state, the delays, parameters and relayers", async () => {
    await page.goto(`${url}/governance`);
    for (const id of [ops.guardian!, ops.params!]) {
      const op = page.locator(`.operation[data-operation="${id}"]`);
      const [ts, state] = await Promise.all([
        client().readContract({ address: d().timelock, abi: poQTimelockAbi, functionName: "getTimestamp", args: [id] }),
        client().readContract({ address: d().timelock, abi: poQTimelockAbi, functionName: "getOperationState", args: [id] }),
      ]);
      expect([id, Number(await op.getAttribute("data-ready-at"))]).toEqual([id, Number(ts)]);
      expect([id, await op.getAttribute("data-state"), state]).toEqual([id, "pending", 1]); // Waiting
      expect(await op.locator("[data-field=ready-at] time").getAttribute("datetime")).toBe(new Date(Number(ts) * 1000).toISOString().replace(".000Z", "Z"));
      expect(nbsp(await op.locator(".countdown .what").textContent())).toBe("Executable");
    }
    expect(nbsp(await page.locator(`.operation[data-operation="${ops.guardian}"] [data-field=op-function]`).textContent())).toBe("setGuardian(guardian_)");
    expect(await page.locator(`.operation[data-operation="${ops.guardian}"] table.args a[href="/address/${newGuardian}"]`).count()).toBe(1);
    // setParams: the changed parameters against the version in force.
    const diff = await page.locator(`.operation[data-operation="${ops.params}"] [data-param]`).allTextContents();
    expect(diff).toEqual(["challengeDuration", "minChallengeBond"]);
    const [minDelay, cfgReq, vaultReq] = await Promise.all([
      client().readContract({ address: d().timelock, abi: poQTimelockAbi, functionName: "getMinDelay" }),
      client().readContract({ address: d().config, abi: settlementConfigAbi, functionName: "requiredGovernanceDelay" }),
      client().readContract({ address: d().vault, abi: stakeVaultAbi, functionName: "requiredGovernanceDelay" }),
    ]);
    const seconds = async (f: string) => Number(await page.locator(`[data-field=${f}] [data-seconds]`).getAttribute("data-seconds"));
    expect([await seconds("min-delay"), await seconds("required-config"), await seconds("required-vault")]).toEqual([Number(minDelay), Number(cfgReq), Number(vaultReq)]);
    // Relayers with their ids and bonds, the guardian.
    const relayers = await page.locator("#relayers tbody tr").evaluateAll((trs) => trs.map((tr) => [tr.querySelector("td")!.textContent, tr.querySelector("[data-relayer]")!.getAttribute("data-relayer"), tr.querySelector("[data-field=bond]")!.getAttribute("data-wei")]));
    const want = [];
    for (const r of DEV_ROLES.relayers) {
      const a = local.address(r);
      const [[id], st] = await Promise.all([
        client().readContract({ address: d().config, abi: settlementConfigAbi, functionName: "relayerId", args: [a] }),
        client().readContract({ address: d().vault, abi: stakeVaultAbi, functionName: "stakeOf", args: [a, 3] }),
      ]);
      want.push([String(id), a, st.active.toString()]);
    }
    expect(relayers).toEqual(want);
    const guardian = await client().readContract({ address: d().config, abi: settlementConfigAbi, functionName: "guardian" });
    expect(await page.locator(`#overview a[href="/address/${guardian}"] .tag`).first().textContent()).toBe("Guardian");
    await shot("governance");
  });

  test("behavior: an expired round cancelled by anyone names the phase it expired in and its funder's refund", async () => {
    await page.goto(`${url}/round/5`);
    const cancelled = (await events(poQSettlementAbi, d().settlement, "RoundCancelled")).find((e) => e.args.roundId === 5n)!;
    expect(Number(cancelled.args.phase)).toBe(10); // Expired
    expect(nbsp(await page.locator("#cancelled").textContent())).toContain("Cancelled in phase expired");
    const refund = (await events(rewardDistributorAbi, d().distributor, "Refunded")).find((e) => e.args.roundId === 5n)!;
    const funder = getAddress(refund.args.funder as string);
    const row = page.locator(`#funders tr:has([data-funder="${funder}"])`);
    expect(await row.locator("[data-field=refunded]").getAttribute("data-wei")).toBe(String(refund.args.amount));
    const refundable = await client().readContract({ address: d().distributor, abi: rewardDistributorAbi, functionName: "refundable", args: [5n, funder] });
    expect(await row.locator("[data-field=refundable]").getAttribute("data-wei")).toBe(refundable.toString());
    expect(await page.locator("#overview .cid-text").first().textContent()).toBe("bafy-manifest-of-round-5");
    await shot("round-5-cancelled");
  });

  test("behavior: an address page shows the relayer bond, the unbonding queue with unlock times and the withdrawal lock", async () => {
    const relayer = local.address(DEV_ROLES.relayers[0]);
    await page.goto(`${url}/address/${relayer}`);
    const st = await client().readContract({ address: d().vault, abi: stakeVaultAbi, functionName: "stakeOf", args: [relayer, 3] });
    expect(await page.locator("[data-field=relayer-bond]").getAttribute("data-wei")).toBe(st.active.toString());
    const locked = await client().readContract({ address: d().settlement, abi: poQSettlementAbi, functionName: "withdrawalLocked", args: [relayer] });
    expect(await page.locator("[data-field=withdrawal-locked]").getAttribute("data-locked")).toBe(String(locked));
    await page.goto(`${url}/address/${unstaker}`);
    const queue = await client().readContract({ address: d().vault, abi: stakeVaultAbi, functionName: "unbondingQueue", args: [unstaker, 2] });
    expect(queue.length).toBeGreaterThan(0);
    const shownQueue = await page.locator("#unbonding tbody tr").evaluateAll((trs) => trs.map((tr) => [tr.querySelector("[data-field=unbonding-amount]")!.getAttribute("data-wei"), Number(tr.querySelector("[data-unlock]")!.getAttribute("data-unlock"))]));
    expect(shownQueue).toEqual(queue.map((q) => [q.amount.toString(), Number(q.unlockTime)]));
    expect(nbsp(await page.locator("#unbonding .countdown .what").first().textContent())).toBe("evaluator request withdrawable");
    await shot("address-unbonding");
  });

  test("behavior: the explorer stops gracefully, and an index rebuilt from scratch is identical", async () => {
    explorer.kill("SIGTERM");
    expect(await explorer.exited).toBe(0);
    expect(explorer.lines.some((l) => l.includes('"msg":"stopped"'))).toBe(true);
    const served = new ExplorerDb(path.join(dir, "explorer.sqlite"));
    const rebuilt = await openExplorer({ rpcUrl: "", storeDir: summary.contentDir, dbFile: path.join(dir, "rebuilt.sqlite"), confirmations: 0 }, { clients: chain.clients, deployment: d() });
    await rebuilt.indexer.sync();
    try {
      const dump = rebuilt.db.dump();
      expect(dump.length).toBeGreaterThan(10_000);
      expect(served.dump()).toBe(dump);
      expect(new ExplorerDb(path.join(dir, "inspect.sqlite")).dump()).toBe(dump);
    } finally {
      served.close();
      await rebuilt.close();
    }
  });
});
