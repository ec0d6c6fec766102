import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { getAddress, type PublicClient } from "viem";
import { toOnchainScore, unpackScores, UNAVAILABLE } from "../chain/encoding";
import { Phase } from "../chain/reader";
import type { Deployment } from "../chain/deployment";
import { readLoggedOutputs } from "../data/read";
import { canonicalJson } from "../protocol/canonical";
import { cidOfKeccak } from "../protocol/cid";
import type { HeliaContent } from "../protocol/helia";
import { openLoopbackNodes } from "../protocol/loopback";
import { modelId, outputRecordOf, publishBatch, type BatchManifest } from "../protocol/manifest";
import { ContentStore } from "../protocol/store";
import { defaultProfile } from "../scoring/profile";
import { RevertError } from "../chain/errors";
import { batchQuality, COMMIT_MARGIN_MS, commitOrMiss, fetchBudgetMs, OUTPUT_FETCH_MS, reportedScores } from "./evaluator";

const SAMPLE = path.join(__dirname, "..", "..", "data", "samples", "qa-sample.jsonl");
const NODE = getAddress("0x90F79bf6EB2c4f870365E785982E1f101E93b906");

describe("fetchBudgetMs", () => {
  test("behavior: in the commit window the wait ends COMMIT_MARGIN_MS before the deadline (half a second at least); otherwise the full wait", () => {
    const r = (phase: number) => ({ phase, commitDeadline: 1_000n });
    expect(fetchBudgetMs(r(Phase.Commit), 990n)).toBe(10_000 - COMMIT_MARGIN_MS);
    expect(fetchBudgetMs(r(Phase.Commit), 900n)).toBe(OUTPUT_FETCH_MS);
    expect(fetchBudgetMs(r(Phase.Commit), 999n)).toBe(500);
    expect(fetchBudgetMs(r(Phase.Commit), 1_200n)).toBe(500);
    expect(fetchBudgetMs(r(Phase.Reveal), 1_200n, 7_000)).toBe(7_000);
  });
});

describe("commitOrMiss", () => {
  test("behavior: a commit refused because the window closed is a missed round (told, nothing thrown); any other failure is thrown", async () => {
    let missed = 0;
    const miss = () => void missed++;
    expect(await commitOrMiss(async () => "receipt", miss)).toBe("receipt");
    expect(await commitOrMiss(() => Promise.reject(new RevertError("commitScores", "SettlementWrongPhase", [1n, 3, 4])), miss)).toBeUndefined();
    expect(missed).toBe(1);
    await expect(commitOrMiss(() => Promise.reject(new RevertError("commitScores", "SettlementAlreadyCommitted", [1n])), miss)).rejects.toThrow(/SettlementAlreadyCommitted/);
    await expect(commitOrMiss(() => Promise.reject(new Error("connection refused")), miss)).rejects.toThrow(/connection refused/);
    expect(missed).toBe(1);
  });
});

/**
 * An evaluator with its own store and its own embedded IPFS node, peered on loopback with the node that holds the
 * outputs (an inference node): it fetches what it lacks over bitswap before scoring; once the holder is gone, an
 * output nobody else fetched is reported UNAVAILABLE within the deadline, and the rest is still scored.
 */
describe("evaluator: outputs fetched from peers before UNAVAILABLE (two embedded nodes on loopback)", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "poq-eval-fetch-"));
  const records = readLoggedOutputs(SAMPLE, { requireLabel: false }).slice(0, 3).map(outputRecordOf);
  let holder: HeliaContent;
  let evaluator: HeliaContent;
  const store = new ContentStore(path.join(dir, "evaluator-store"));
  // No chain is read: the manifests are in the evaluator's store (as after `roundManifest`).
  const access = () => ({ store, content: evaluator, client: undefined as unknown as PublicClient, deployment: undefined as unknown as Deployment });

  beforeAll(async () => {
    [holder, evaluator] = await openLoopbackNodes(2, path.join(dir, "ipfs"), { timeoutMs: 5_000 });
  }, 60_000);
  afterAll(async () => {
    await Promise.all([holder.close(), evaluator.close()]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const bytesOf = (rec: (typeof records)[number]) => canonicalJson(rec);

  test("behavior: outputs only the peer holds are fetched, checked and scored; with the holder stopped the missing one is UNAVAILABLE and nothing hangs", async () => {
    const published = await Promise.all(records.map((rec) => holder.putOutput(bytesOf(rec), { pin: true })));
    const hashes = published.map((p) => p.hash);
    expect(hashes.every((h) => !store.has(h))).toBe(true);
    const roundOf = (id: number, idx: number[]) => {
      const tasks: BatchManifest["tasks"] = idx.map((i, index) => ({ index, node: NODE, model: records[i].model, modelId: modelId(records[i].model), contentHash: hashes[i], costUnits: "100" }));
      const { root } = publishBatch(store, { version: 2, tasks });
      return { id: BigInt(id), taskRoot: root, taskCount: tasks.length, registeredBlock: 1n };
    };

    // round 1: outputs 0 and 1, fetched from the holder over bitswap
    const q1 = await batchQuality(access(), roundOf(1, [0, 1]), defaultProfile(), false, 5_000);
    expect([...q1.unavailable]).toEqual([]);
    expect(q1.bad).toEqual([]);
    expect(q1.quality.every((q) => q > 0)).toBe(true);
    expect(store.has(hashes[0]) && store.has(hashes[1])).toBe(true);
    expect(await evaluator.has(cidOfKeccak(hashes[0]))).toBe(true);

    // the holder stops; round 2 has output 2, which nobody fetched, and output 0, which the evaluator kept
    await holder.close();
    const t0 = Date.now();
    const q2 = await batchQuality(access(), roundOf(2, [0, 2]), defaultProfile(), false, 1_500);
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect([...q2.unavailable]).toEqual([1]);
    expect(q2.quality[0]).toBeGreaterThan(0);
    const scores = unpackScores(reportedScores(q2.quality, [0, 1], q2.unavailable));
    expect(scores).toEqual([toOnchainScore(q2.quality[0]), UNAVAILABLE]);
  });
});
