import { describe, expect, test } from "vitest";
import type { LoggedOutput } from "../data/logged";
import { loadProfile } from "../data/scoringFiles";
import { interleaveByQuery, labelAgreement, LOCAL_PROFILE, pinBlockTimes } from "./demo";

const item = (task: "qa" | "summarization", queryId: string, model: string): LoggedOutput => ({ id: `${task}-${queryId}-${model}`, task, queryId, query: queryId, output: "o", model });

describe("demo helpers", () => {
  test("behavior: interleaveByQuery keeps each query's outputs together and spreads each task type evenly", () => {
    const qa = ["q1", "q2", "q3", "q4"].flatMap((q) => ["a", "b"].map((m) => item("qa", q, m)));
    const sum = ["s1", "s2"].flatMap((q) => ["x", "y", "z"].map((m) => item("summarization", q, m)));
    const out = interleaveByQuery([...qa, ...sum]);
    expect(out).toHaveLength(qa.length + sum.length);
    expect(new Set(out)).toEqual(new Set([...qa, ...sum]));
    expect(out.map((o) => o.queryId)).toEqual(["q1", "q1", "s1", "s1", "s1", "q2", "q2", "q3", "q3", "s2", "s2", "s2", "q4", "q4"]);
    expect(interleaveByQuery([...qa, ...sum])).toEqual(out); // pure: same input, same order
    expect(interleaveByQuery(qa)).toEqual(qa);
  });

  test("behavior: labelAgreement gives AUROC for 0/1 labels and Spearman for ratings, per task type", () => {
    const rows = [
      { task: "qa", consensus: 9000, label: 1 },
      { task: "qa", consensus: 2000, label: 0 },
      { task: "qa", consensus: 8000, label: 0 },
      { task: "qa", consensus: 7000, label: 1 },
      { task: "summarization", consensus: 1000, label: 1.5 },
      { task: "summarization", consensus: 5000, label: 3 },
      { task: "summarization", consensus: 9000, label: 4.5 },
    ];
    const a = labelAgreement(rows);
    expect(a.map((x) => [x.task, x.metric, x.n])).toEqual([
      ["qa", "auroc", 4],
      ["summarization", "spearman", 3],
    ]);
    expect(a[0].value).toBeCloseTo(0.75, 12); // 3 of the 4 (positive, negative) pairs are ordered right
    expect(a[1].value).toBeCloseTo(1, 12);
    expect(labelAgreement([])).toEqual([]);
  });

  test("behavior: the local evaluators' profile is a valid calibrated profile without references, for both task types", () => {
    const p = loadProfile(LOCAL_PROFILE);
    expect(p.useReferences).toBe(false);
    expect(Object.keys(p.tasks).sort()).toEqual(["qa", "summarization"]);
    for (const t of Object.values(p.tasks)) expect(t!.method).not.toBe("default");
  });
});

describe("pinBlockTimes: the embedded chain's block times follow its history, not the wall clock", () => {
  /**
   * A stand-in chain that records requests: its latest block starts at t = 1000; a mined block takes the time set by
   * evm_setNextBlockTimestamp (else one second later), hardhat_mine's further blocks one second apart. A send of
   * "0xbad" mines its block and then fails, as a reverted transaction does on Hardhat.
   */
  function recorder() {
    const calls: { method: string; params?: unknown }[] = [];
    let latest = 1000;
    let next: number | undefined;
    const mine = (blocks: number) => {
      latest = (next ?? latest + 1) + blocks - 1;
      next = undefined;
    };
    const provider = {
      request: async (args: { method: string; params?: unknown }) => {
        calls.push(args);
        const p = (args.params ?? []) as string[];
        if (args.method === "eth_getBlockByNumber") return { timestamp: `0x${latest.toString(16)}` };
        if (args.method === "evm_setNextBlockTimestamp") next = Number(p[0]);
        if (args.method === "evm_mine" || args.method === "hardhat_mine") mine(args.method === "hardhat_mine" ? Number(p[0] ?? 1) : 1);
        if (args.method === "eth_sendRawTransaction") {
          // A slow send, so that a request made meanwhile would overtake it if requests were not queued.
          await new Promise((r) => setTimeout(r, 20));
          mine(1);
          if (p[0] === "0xbad") throw new Error("execution reverted");
        }
        return "0x1";
      },
    };
    return { calls, provider };
  }
  const stamps = (calls: { method: string; params?: unknown }[]) =>
    calls.filter((c) => c.method === "evm_setNextBlockTimestamp").map((c) => Number((c.params as [string])[0]));

  test("behavior: each block one second after the previous, plus the time asked for; calls run at the next block's time", async () => {
    const { calls, provider } = recorder();
    const inner = provider.request;
    const unpin = pinBlockTimes(provider);
    await provider.request({ method: "eth_sendRawTransaction", params: ["0x00"] });
    await provider.request({ method: "eth_call", params: [{}, "latest"] });
    await provider.request({ method: "eth_sendRawTransaction", params: ["0x00"] });
    expect(await provider.request({ method: "evm_increaseTime", params: [60] })).toBe("0x3c");
    await provider.request({ method: "evm_mine" });
    await provider.request({ method: "hardhat_mine", params: ["0x3"] });
    await provider.request({ method: "eth_sendRawTransaction", params: ["0x00"] });
    expect(stamps(calls)).toEqual([1001, 1002, 1002, 1062, 1063, 1066]);
    // evm_increaseTime never reaches the node: the jump lands in the next block's timestamp instead.
    expect(calls.some((c) => c.method === "evm_increaseTime")).toBe(false);
    unpin();
    expect(provider.request).toBe(inner);
  });

  test("behavior: a send that fails after mining its block still moves the next block's time on", async () => {
    const { calls, provider } = recorder();
    pinBlockTimes(provider);
    await expect(provider.request({ method: "eth_sendRawTransaction", params: ["0xbad"] })).rejects.toThrow("execution reverted");
    await provider.request({ method: "eth_sendRawTransaction", params: ["0x00"] });
    expect(stamps(calls)).toEqual([1001, 1002]);
  });

  test("behavior: requests are served one at a time, in the order they were made", async () => {
    const { calls, provider } = recorder();
    pinBlockTimes(provider);
    await Promise.all([provider.request({ method: "eth_sendRawTransaction", params: ["0x00"] }), provider.request({ method: "eth_sendRawTransaction", params: ["0x00"] })]);
    const order = calls.filter((c) => c.method !== "eth_getBlockByNumber").map((c) => c.method);
    expect(order).toEqual(["evm_setNextBlockTimestamp", "eth_sendRawTransaction", "evm_setNextBlockTimestamp", "eth_sendRawTransaction"]);
    expect(stamps(calls)).toEqual([1001, 1002]);
  });
});
