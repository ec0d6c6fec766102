import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { getAddress } from "viem";
import { buildTaskTree } from "../chain/encoding";
import { costUnitsOf } from "./pricing";
import { loadBatch, loadOutputs, modelId, publishBatch, taskLeaves, type BatchManifest, type OutputRecord } from "./manifest";
import { ContentStore } from "./store";

const NODE_A = getAddress("0x00000000000000000000000000000000000000aa");
const NODE_B = getAddress("0x00000000000000000000000000000000000000bb");

function setup() {
  const store = new ContentStore(fs.mkdtempSync(path.join(os.tmpdir(), "poq-rd-")));
  const recs: OutputRecord[] = [
    { id: "q1:a", task: "qa", queryId: "q1", query: "Capital of France?", output: "Paris", model: "gpt4" },
    { id: "q1:b", task: "qa", queryId: "q1", query: "Capital of France?", output: "Lyon", model: "fid" },
  ];
  const hashes = recs.map((r) => store.putJson(r));
  const nodes = [NODE_A, NODE_B];
  const manifest: BatchManifest = {
    version: 2,
    tasks: recs.map((r, index) => ({ index, node: nodes[index], model: r.model, modelId: modelId(r.model), contentHash: hashes[index], costUnits: costUnitsOf(r).toString() })),
  };
  return { store, recs, hashes, manifest };
}

describe("batches and outputs", () => {
  test("behavior: a published batch loads back by its task root, which matches the task tree", () => {
    const { store, manifest } = setup();
    const { root, cid } = publishBatch(store, manifest);
    expect(root).toBe(buildTaskTree(taskLeaves(manifest)).root);
    expect(store.getJson(cid)).toEqual(manifest);
    expect(loadBatch(store, root, 2)).toEqual(manifest);
  });

  test("behavior: a manifest that does not rebuild the root or the count is refused, also after the true one was read (the read-once memo is keyed by content, root and count)", () => {
    const { store, manifest } = setup();
    const { root } = publishBatch(store, manifest);
    expect(loadBatch(store, root, 2)).toEqual(manifest);
    expect(() => loadBatch(store, root, 3)).toThrow(/manifest lists 2 tasks, chain says 3/);
    const forged = { ...manifest, tasks: manifest.tasks.map((t) => ({ ...t, costUnits: "1" })) };
    store.setIndex("batch", root, store.putJson(forged));
    expect(() => loadBatch(store, root, 2)).toThrow(/rebuilds root/);
    expect(() => loadBatch(store, `0x${"12".repeat(32)}`, 2)).toThrow(/no batch manifest/);
    store.setIndex("batch", root, store.putJson({ ...manifest, version: 1 }));
    expect(() => loadBatch(store, root, 2)).toThrow(/malformed manifest/);
  });

  test("behavior: missing or altered content is unavailable; a wrong model or a malformed record is bad", () => {
    const { store, manifest, hashes } = setup();
    fs.writeFileSync(path.join(store.dir, "objects", hashes[1]), '{"tampered":true}');
    const { items, bad, unavailable } = loadOutputs(store, manifest);
    expect(items[0]?.output).toBe("Paris");
    expect(items[1]).toBeUndefined();
    expect(unavailable).toEqual([1]);
    expect(bad).toEqual([]);
    fs.rmSync(path.join(store.dir, "objects", hashes[1]));
    expect(loadOutputs(store, manifest).unavailable).toEqual([1]);

    const malformed = store.putJson({ id: 1 });
    const swapped: BatchManifest = {
      ...manifest,
      tasks: [{ ...manifest.tasks[0], model: "fid", modelId: modelId("fid") }, { ...manifest.tasks[1], contentHash: malformed }],
    };
    const r = loadOutputs(store, swapped);
    expect(r.unavailable).toEqual([]);
    expect(r.bad.map((b) => b.index)).toEqual([0, 1]);
    expect(r.bad[0].reason).toMatch(/model gpt4 does not match/);
    expect(r.bad[1].reason).toMatch(/field "id" must be a string/);
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
