import { describe, expect, test } from "vitest";
import { createDaemon, createCommon, healthApp } from "./daemon";
import { createHealth, HEALTH_REASONS } from "./health";
import { RELAYER_STEPS } from "./metrics";

/** The metric families docs/operations.md lists, each of which must exist from start-up. */
const DOCUMENTED = [
  "poq_ticks_total",
  "poq_errors_total",
  "poq_relayer_tx_total",
  "poq_relayer_round_count",
  "poq_relayer_last_closed_round",
  "poq_relayer_breaker_held",
  "poq_relayer_breaker_split",
  "poq_relayer_breaker_split_rounds_total",
  "poq_relayer_breaker_rounds_total",
  "poq_relayer_outputs_requeued_total",
  "poq_evaluator_commits_total",
  "poq_evaluator_missed_commits_total",
  "poq_evaluator_reveals_total",
  "poq_evaluator_bad_outputs_total",
  "poq_inference_outputs_total",
  "poq_unpinned_cids_total",
  "poq_oldest_pinned_round",
];

const quietCommon = (signal = new AbortController().signal) => ({ common: createCommon("test", { level: "silent", signal }) });

describe("daemon HTTP surface (Hono)", () => {
  test("behavior: /v1/ipfs lists the process's IPFS nodes (what another daemon's peer URL resolves to), none without one", async () => {
    const { common } = quietCommon();
    const nodes = [{ account: "0x00000000000000000000000000000000000000aa", peerId: "12D3KooWx", addresses: ["/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWx"] }];
    const withNodes = healthApp({ name: "poq-test", health: common.health, metrics: common.metrics, ipfs: async () => ({ nodes }) });
    expect(await (await withNodes.request("/v1/ipfs")).json()).toEqual({ nodes });
    const without = healthApp({ name: "poq-test", health: common.health, metrics: common.metrics });
    const r = await without.request("/v1/ipfs");
    expect([r.status, await r.json()]).toEqual([200, { nodes: [] }]);
  });

  test("behavior: /healthz is 200 ok with no reasons, 503 degraded with each reason set, 200 again once cleared", async () => {
    const { common } = quietCommon();
    const app = healthApp({ name: "poq-test", health: common.health, metrics: common.metrics });
    const get = async () => {
      const r = await app.request("/healthz");
      return { status: r.status, body: (await r.json()) as { status: string; reasons: { reason: string; agent?: string; detail?: string }[] } };
    };
    expect(await get()).toEqual({ status: 200, body: { status: "ok", reasons: [], daemon: "poq-test" } });
    const evaluator = common.health.scope("evaluator 0xabc");
    evaluator.set(HEALTH_REASONS.noTokensOrGas, "balance 0");
    common.health.set(HEALTH_REASONS.previousRoundOpen, "round 4");
    const degraded = await get();
    expect(degraded.status).toBe(503);
    expect(degraded.body.status).toBe("degraded");
    expect(degraded.body.reasons.map((r) => [r.reason, r.agent, r.detail])).toEqual([
      ["no tokens or gas", "evaluator 0xabc", "balance 0"],
      ["previous round open", undefined, "round 4"],
    ]);
    evaluator.clear(HEALTH_REASONS.noTokensOrGas);
    common.health.clear(HEALTH_REASONS.previousRoundOpen);
    expect((await get()).status).toBe(200);
    const missing = await app.request("/nope");
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: "not found" });
  });

  test("behavior: a reason is logged once when it appears and once when it clears, however often it is set", () => {
    const logged: string[] = [];
    const health = createHealth({ warn: (_o, msg) => logged.push(`warn ${msg}`), info: (_o, msg) => logged.push(`info ${msg}`) });
    for (let i = 0; i < 5; i++) health.set(HEALTH_REASONS.sourceExhausted, `after ${i} outputs`);
    expect(health.has(HEALTH_REASONS.sourceExhausted)).toBe(true);
    expect(health.report().reasons).toMatchObject([{ reason: "source exhausted", detail: "after 4 outputs" }]);
    health.clear(HEALTH_REASONS.sourceExhausted);
    health.clear(HEALTH_REASONS.sourceExhausted);
    expect(logged).toEqual(["warn idle: source exhausted", "info resumed: source exhausted cleared"]);
    expect(health.report().reasons).toEqual([]);
  });

  test("behavior: every documented metric exists from start-up, relayer steps included, and the degraded gauge follows the reasons", async () => {
    const { common } = quietCommon();
    createDaemon({ name: "poq-test", common, tick: async () => undefined, intervalMs: 1_000 });
    const text = await common.metrics.registry.metrics();
    for (const family of DOCUMENTED) expect(text, family).toMatch(new RegExp(`^${family}(\\{[^}]*\\})? 0$`, "m"));
    for (const step of RELAYER_STEPS) expect(text).toContain(`poq_relayer_tx_total{step="${step}"} 0`);
    expect(text).toContain('poq_ticks_total{daemon="poq-test"} 0');
    common.health.scope("a").set("key not registered");
    common.health.scope("b").set("key not registered");
    expect(await common.metrics.registry.metrics()).toContain('poq_health_degraded{reason="key not registered"} 2');
  });

  test("behavior: a daemon serves /healthz and /metrics on its port, counts ticks and errors, and turns degraded when no tick succeeds", async () => {
    const ac = new AbortController();
    const { common } = quietCommon(ac.signal);
    let calls = 0;
    const daemon = createDaemon({
      name: "poq-test",
      common,
      intervalMs: 20,
      port: 0,
      unhealthyAfterMs: 150,
      tick: async () => {
        if (++calls > 2) throw new Error("node down");
      },
    });
    const running = daemon.run();
    const port = await daemon.ready;
    const url = `http://127.0.0.1:${port}`;
    try {
      await new Promise((r) => setTimeout(r, 400));
      const health = await fetch(`${url}/healthz`);
      expect(health.status).toBe(503);
      const body = (await health.json()) as { reasons: { reason: string; detail: string }[] };
      expect(body.reasons[0].reason).toBe("no successful tick");
      expect(body.reasons[0].detail).toMatch(/^last success \d+ s ago$/);
      const metrics = await (await fetch(`${url}/metrics`)).text();
      expect(metrics).toContain('poq_ticks_total{daemon="poq-test"} 2');
      expect(metrics).toMatch(/^poq_errors_total\{daemon="poq-test"\} ([3-9]|\d{2,})$/m);
      expect(metrics).toMatch(/^poq_tick_duration_seconds_count\{daemon="poq-test"\} \d+$/m);
    } finally {
      ac.abort();
      await running;
    }
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });
});
