import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { JudgeError, judgeMessages, judgeOne, judgeOutputs, parseJudgeScore, resolveJudgeConfig, type JudgeConfig } from "./llmJudge";
import { item } from "../testing";

type Reply = { status?: number; body?: string; delayMs?: number };
const queue: Reply[] = [];
const requests: { url: string; auth?: string; body: { model: string; messages: { content: string }[] } }[] = [];
let server: http.Server;
let config: JudgeConfig;

const ok = (content: string): Reply => ({ body: JSON.stringify({ choices: [{ message: { role: "assistant", content } }] }) });

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let data = "";
    req.on("data", (c) => (data += c));
    req.on("end", () => {
      requests.push({ url: req.url ?? "", auth: req.headers.authorization, body: JSON.parse(data) });
      const r = queue.shift() ?? ok("7");
      setTimeout(() => {
        if (res.destroyed) return;
        res.writeHead(r.status ?? 200, { "content-type": "application/json" });
        res.end(r.body ?? "");
      }, r.delayMs ?? 0);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  config = { baseUrl: `http://127.0.0.1:${port}/v1`, model: "judge-test", timeoutMs: 300, retries: 2, retryDelayMs: 1 };
});

afterAll(() => {
  server.closeAllConnections();
  server.close();
});

beforeEach(() => {
  queue.length = 0;
  requests.length = 0;
});

const it1 = item({ output: "William Shakespeare", references: ["Shakespeare"] });

describe("LLM judge", () => {
  test("behaviour: rates an output through the chat-completions endpoint", async () => {
    queue.push(ok("8"));
    expect(await judgeOne(it1, { ...config, apiKey: "k" })).toBe(0.8);
    expect(requests).toHaveLength(1);
    expect(requests[0].url).toBe("/v1/chat/completions");
    expect(requests[0].auth).toBe("Bearer k");
    expect(requests[0].body.model).toBe("judge-test");
    expect(requests[0].body.messages[1].content).toContain("William Shakespeare");
  });

  test("behaviour: retries server errors and rate limits", async () => {
    queue.push({ status: 500, body: "oops" }, { status: 429, body: "slow down" }, ok("9"));
    expect(await judgeOne(it1, config)).toBe(0.9);
    expect(requests).toHaveLength(3);
  });

  test("behaviour: a request that times out is retried", async () => {
    queue.push({ ...ok("2"), delayMs: 1500 }, ok("6"));
    expect(await judgeOne(it1, config)).toBe(0.6);
    expect(requests).toHaveLength(2);
  });

  test("behaviour: bad responses are retried, then fail with a clear error", async () => {
    queue.push({ body: "not json" }, { body: JSON.stringify({ choices: [] }) }, ok("excellent!"));
    const err = await judgeOne(it1, config).catch((e) => e);
    expect(err).toBeInstanceOf(JudgeError);
    expect(err.shortMessage).toMatch(/after 3 attempts: answer holds no rating/);
    expect(err.retryable).toBe(true);
    expect(requests).toHaveLength(3);
  });

  test("behaviour: timeouts on every attempt fail after the retries", async () => {
    queue.push({ delayMs: 1500 }, { delayMs: 1500 });
    const err = await judgeOne(it1, { ...config, retries: 1, timeoutMs: 100 }).catch((e) => e);
    expect(err).toBeInstanceOf(JudgeError);
    expect(err.shortMessage).toMatch(/timed out after 100 ms/);
  });

  test("behaviour: a client error fails at once", async () => {
    queue.push({ status: 401, body: "unauthorised" });
    const err = await judgeOne(it1, config).catch((e) => e);
    expect(err).toBeInstanceOf(JudgeError);
    expect(err.shortMessage).toMatch(/HTTP 401/);
    expect(requests).toHaveLength(1);
  });

  test("behaviour: rates a batch in parallel, keyed by id", async () => {
    const items = [0, 1, 2, 3, 4].map((i) => item({ id: `b${i}`, output: `answer ${i}` }));
    const scores = await judgeOutputs(items, { ...config, concurrency: 3 });
    expect([...scores.keys()]).toEqual(items.map((i) => i.id));
    expect([...scores.values()].every((v) => v === 0.7)).toBe(true);
  });

  test("parsing and prompts", () => {
    expect(parseJudgeScore("8")).toBe(0.8);
    expect(parseJudgeScore("Rating: 10/10")).toBe(1);
    expect(parseJudgeScore("11")).toBeUndefined();
    expect(parseJudgeScore("none")).toBeUndefined();
    const m = judgeMessages(item({ output: "x", references: ["secret ref"] }), { useReferences: false });
    expect(m[1].content).not.toContain("secret ref");
  });

  test("configuration: off by default, needs a model, reads the environment", () => {
    expect(resolveJudgeConfig({}, {})).toBeUndefined();
    expect(() => resolveJudgeConfig({ url: "http://localhost:1/v1" }, {})).toThrow(/needs a model/);
    expect(() => resolveJudgeConfig({ url: "not a url", model: "m" }, {})).toThrow(/invalid judge URL/);
    const c = resolveJudgeConfig({}, { POQ_JUDGE_URL: "http://localhost:1/v1", POQ_JUDGE_MODEL: "m", POQ_JUDGE_RETRIES: "0" });
    expect(c).toMatchObject({ baseUrl: "http://localhost:1/v1", model: "m", retries: 0 });
  });
});
