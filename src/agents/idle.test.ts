import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import type { Address, Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { fileOutput } from "./outputs";
import { deployLocal, inProcessChain, mintDev, stakeDevEvaluator } from "../../test/helpers/inProcessChain";
import { stakeVaultAbi } from "../chain/abis";
import type { Clients } from "../chain/client";
import type { Deployment } from "../chain/deployment";
import { Role } from "../chain/reader";
import { readLoggedOutputs } from "../data/read";
import { outputRecordOf } from "../protocol/manifest";
import { ContentStore } from "../protocol/store";
import { devKey } from "./accounts";
import { Checkpoint } from "./checkpoint";
import { createCommon, healthApp } from "./daemon";
import { HEALTH_REASONS } from "./health";
import { createInference, replaySource } from "./inference";
import { loadPolicy } from "./policy";
import { createRelayer } from "./relayer";
import { senderFor } from "./system";

const SAMPLE = path.join(__dirname, "..", "..", "data", "samples", "qa-sample.jsonl");
const TOKEN = 10n ** 18n;

/**
 * Each idle reason, driven by the real condition on the in-process Hardhat network with the whole system deployed:
 * the agent logs it, `/healthz` turns degraded (503) with the reason, the `poq_health_degraded` gauge counts it, and
 * no transaction is sent while the cause lasts.
 */
describe("idle reasons (in-process Hardhat network)", () => {
  let clients: Clients;
  let d: Deployment;
  const items = readLoggedOutputs(SAMPLE, { requireLabel: false });
  const model = items[0].model;

  beforeAll(async () => {
    clients = (await inProcessChain()).clients;
    d = await deployLocal({ k: 3, quorum: 2 });
  }, 180_000);

  const addr = (i: number): Address => privateKeyToAccount(devKey(i)).address;
  const nonce = (i: number) => clients.publicClient.getTransactionCount({ address: addr(i) });
  const mint = (i: number, amount: bigint) => mintDev(clients, d, i, amount);
  const stakeEvaluator = (i: number) => stakeDevEvaluator(clients, d, i, 200n * TOKEN);

  function agentCommon() {
    const logged: string[] = [];
    const common = createCommon("test", { level: "silent", signal: new AbortController().signal });
    const log = { warn: (_o: object, m: string) => void logged.push(m), info: (_o: object, m: string) => void logged.push(m) };
    return { board: common.health, common: { ...common, health: common.health.scope("agent", log) }, logged, metrics: common.metrics };
  }

  /** /healthz and the degraded gauge, as a scraper sees them. */
  async function observed(c: ReturnType<typeof agentCommon>, reason: string) {
    const app = healthApp({ name: "poq-test", health: c.board, metrics: c.metrics });
    const r = await app.request("/healthz");
    const body = (await r.json()) as { status: string; reasons: { reason: string; detail?: string }[] };
    const metrics = await (await app.request("/metrics")).text();
    const gauge = metrics.split("\n").find((l) => l.startsWith(`poq_health_degraded{reason="${reason}"}`));
    return { http: r.status, status: body.status, reasons: body.reasons.map((x) => x.reason), detail: body.reasons.find((x) => x.reason === reason)?.detail, gauge: gauge?.split(" ").at(-1) };
  }

  const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "poq-idle-"));

  function relayer(c: ReturnType<typeof agentCommon>, i: number, store: ContentStore, config: Partial<Parameters<typeof createRelayer>[0]["config"]> = {}) {
    return createRelayer({
      common: c.common,
      clients,
      deployment: d,
      store,
      sender: senderFor(clients, devKey(i), c.common),
      privateKey: devKey(i),
      policy: loadPolicy(),
      checkpoint: new Checkpoint(":memory:"),
      config: { registrar: true, maxTasksPerRound: 1000, minTasks: 1, maxRounds: 0, maxOpenRounds: 2, ...config },
    });
  }

  function inference(c: ReturnType<typeof agentCommon>, i: number, store: ContentStore, source = replaySource(items, [model]), stake = 100n * TOKEN) {
    return createInference({ common: c.common, clients, deployment: d, store, sender: senderFor(clients, devKey(i), c.common), source, checkpoint: new Checkpoint(":memory:"), signer: privateKeyToAccount(devKey(i)), config: { stake, window: 4 } });
  }

  /** Files `n` replayed outputs of node `i` as the node does: stored, receipt signed, pending. */
  async function fillPending(store: ContentStore, i: number, n: number, from = 0) {
    const signer = privateKeyToAccount(devKey(i));
    const domain = { chainId: clients.chain.id, settlement: d.settlement };
    for (const it of items.slice(from, from + n)) await fileOutput({ store, signer, domain, record: outputRecordOf(it), latencyMs: 0 });
  }


  test("behavior: key not registered: a relayer whose key governance never registered says so and sends nothing", async () => {
    const c = agentCommon();
    const before = await nonce(12);
    const r = relayer(c, 12, new ContentStore(tmp()));
    for (let t = 0; t < 3; t++) await r.tick();
    expect(await observed(c, HEALTH_REASONS.keyNotRegistered)).toMatchObject({ http: 503, status: "degraded", reasons: ["key not registered"], gauge: "1" });
    expect(c.logged).toEqual(["idle: key not registered"]);
    expect(await nonce(12)).toBe(before);
  });

  test("behavior: no tokens or gas: an inference node without tokens approves nothing, says what is missing, and stakes once funded", async () => {
    const c = agentCommon();
    const before = await nonce(3);
    const n = inference(c, 3, new ContentStore(tmp()));
    for (let t = 0; t < 3; t++) await n.tick();
    const o = await observed(c, HEALTH_REASONS.noTokensOrGas);
    expect(o).toMatchObject({ http: 503, reasons: ["no tokens or gas"], gauge: "1" });
    expect(o.detail).toContain("100 more tokens");
    expect(await nonce(3)).toBe(before);
    expect(c.logged).toEqual(["idle: no tokens or gas"]);
    await mint(3, 100n * TOKEN);
    await n.tick();
    expect(await observed(c, HEALTH_REASONS.noTokensOrGas)).toMatchObject({ http: 200, reasons: [], gauge: "0" });
    const s = await clients.publicClient.readContract({ address: d.vault, abi: stakeVaultAbi, functionName: "stakeOf", args: [addr(3), Role.Inference] });
    expect(s.active).toBe(100n * TOKEN);
  });

  test("behavior: source exhausted: an inference node that served its whole source says so", async () => {
    const c = agentCommon();
    const store = new ContentStore(tmp());
    const mine = items.filter((it) => it.model === model).slice(0, 3);
    const n = inference(c, 4, store, replaySource(mine, [model]), 0n);
    await n.tick();
    await n.tick();
    expect(store.listPending().get(addr(4).toLowerCase())?.length).toBe(3);
    const o = await observed(c, HEALTH_REASONS.sourceExhausted);
    expect(o).toMatchObject({ http: 503, reasons: ["source exhausted"], gauge: "1" });
    expect(o.detail).toContain("3 outputs");
  });

  test("behavior: not enough eligible evaluators, then previous round open: the registrar says why it opens no round", async () => {
    const c = agentCommon();
    const store = new ContentStore(tmp());
    await mint(1, 6_000n * TOKEN);
    await fillPending(store, 5, 4);
    const r = relayer(c, 1, store, { maxOpenRounds: 1 });
    await r.tick(); // stakes the bond
    await r.tick();
    const count = async () => (await clients.publicClient.getContractEvents({ address: d.settlement, abi: (await import("../chain/abis")).poQSettlementAbi, eventName: "TasksRegistered", fromBlock: 0n })).length;
    expect(await count()).toBe(0);
    const o = await observed(c, HEALTH_REASONS.notEnoughEvaluators);
    expect(o).toMatchObject({ http: 503, reasons: ["not enough eligible evaluators"], gauge: "1" });
    expect(o.detail).toMatch(/^0 evaluators staked/);

    await stakeEvaluator(7);
    await stakeEvaluator(8);
    await r.tick();
    expect(await count()).toBe(1);
    expect((await observed(c, HEALTH_REASONS.notEnoughEvaluators)).reasons).toEqual([]);

    await fillPending(store, 5, 4, 10);
    await r.tick();
    const open = await observed(c, HEALTH_REASONS.previousRoundOpen);
    expect(open).toMatchObject({ http: 503, reasons: ["previous round open"], gauge: "1" });
    expect(open.detail).toMatch(/round 1/);
    expect(await count()).toBe(1);
    expect(c.logged.filter((l) => l.startsWith("idle:"))).toEqual(["idle: not enough eligible evaluators", "idle: previous round open"]);
  });
});

export type { Hex };
