import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { getAddress } from "viem";
import { buildTaskTree } from "../chain/encoding";
import { costUnitsOf, loadBatch, loadOutputs, modelId, publishBatch, taskLeaves, type BatchManifest, type OutputRecord } from "./roundData";
import { ContentStore } from "./store";

const NODE_A = getAddress("0x00000000000000000000000000000000000000aa");
const NODE_B = getAddress("0x00000000000000000000000000000000000000bb");

function setup() {
  const store = new ContentStore(fs.mkdtempSync(path.join(os.tmpdir(), "poq-rd-")));
  const recs: OutputRecord[] = [
    { id: "q1:a", task: "qa", queryId: "q1", query: "Capital of France?", output: "Paris", model: "gpt4", node: NODE_A },
    { id: "q1:b", task: "qa", queryId: "q1", query: "Capital of France?", output: "Lyon", model: "fid", node: NODE_B },
  ];
  const hashes = recs.map((r) => store.putJson(r));
  const manifest: BatchManifest = {
    version: 1,
    tasks: recs.map((r, index) => ({ index, node: r.node, model: r.model, modelId: modelId(r.model), contentHash: hashes[index], costUnits: costUnitsOf(r).toString() })),
  };
  return { store, recs, hashes, manifest };
}

describe("batches and outputs", () => {
  test("behavior: a published batch loads back by its task root, which matches the task tree", () => {
    const { store, manifest } = setup();
    const root = publishBatch(store, manifest);
    expect(root).toBe(buildTaskTree(taskLeaves(manifest)).root);
    expect(loadBatch(store, root, 2)).toEqual(manifest);
  });

  test("behavior: a manifest that does not rebuild the root or the count is refused", () => {
    const { store, manifest } = setup();
    const root = publishBatch(store, manifest);
    expect(() => loadBatch(store, root, 3)).toThrow(/manifest lists 2 tasks, chain says 3/);
    const forged = { ...manifest, tasks: manifest.tasks.map((t) => ({ ...t, costUnits: "1" })) };
    store.setIndex("batch", root, store.putJson(forged));
    expect(() => loadBatch(store, root, 2)).toThrow(/rebuilds root/);
    expect(() => loadBatch(store, `0x${"12".repeat(32)}`, 2)).toThrow(/no batch manifest/);
  });

  test("behavior: bad outputs are reported and skipped, good ones parsed", () => {
    const { store, manifest, hashes } = setup();
    fs.writeFileSync(path.join(store.dir, "objects", hashes[1]), '{"tampered":true}');
    const { items, bad } = loadOutputs(store, manifest);
    expect(items[0]?.output).toBe("Paris");
    expect(items[1]).toBeUndefined();
    expect(bad).toEqual([{ index: 1, reason: expect.stringMatching(/does not match its hash/) }]);
  });

  test("behavior: an output filed under another node or model is rejected", () => {
    const { store, manifest } = setup();
    const swapped = { ...manifest, tasks: [{ ...manifest.tasks[0], node: NODE_B }, { ...manifest.tasks[1], model: "gpt4", modelId: modelId("gpt4") }] };
    const { bad } = loadOutputs(store, swapped);
    expect(bad.map((b) => b.index)).toEqual([0, 1]);
    expect(bad[0].reason).toMatch(/served by/);
    expect(bad[1].reason).toMatch(/model fid does not match/);
  });

  test("behavior: cost units grow with length and model price, at least 1", () => {
    const short = costUnitsOf({ output: "Paris", model: "gpt4" });
    const long = costUnitsOf({ output: "Paris ".repeat(100), model: "gpt4" });
    const cheap = costUnitsOf({ output: "Paris ".repeat(100), model: "llama-7b" });
    expect(long).toBeGreaterThan(short);
    expect(cheap).toBeLessThan(long);
    expect(costUnitsOf({ output: "", model: "x" })).toBe(1n);
    expect(costUnitsOf({ output: "a b", model: "gpt4", tokens: 1000 })).toBe(60_000n);
  });
});
