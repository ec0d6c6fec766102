import { keccak256, toBytes, type Address, type Hex } from "viem";
import { buildTaskTree, type TaskLeaf } from "../chain/encoding";
import { parseLoggedOutput, type LoggedOutput } from "../data/logged";
import { ContentError } from "./canonical";
import type { ContentStore } from "./store";

/**
 * An output as content: the logged-output record without its labels and without the serving node. The node that
 * served it is named by the task leaf (and its signed receipt), so the same content can sit in a batch under any
 * node: a gold task from the committed pool looks like every other task.
 */
export type OutputRecord = Omit<LoggedOutput, "label" | "labelDetail">;

/** The manifest of a round's task batch (gold tasks included, indistinguishable), stored by content. */
export type BatchManifest = {
  version: 2;
  tasks: { index: number; node: Address; model: string; modelId: Hex; contentHash: Hex; costUnits: string }[];
  /**
   * The CID of the batch's outputs in one file (src/protocol/bundle.ts), when the registrar published one: a reader
   * fetches it instead of each output, and keeps only outputs whose hash a task lists. Not part of the task root.
   */
  bundle?: string;
};

/** keccak256 of the model name: the task leaf's `modelId`. */
export function modelId(model: string): Hex {
  return keccak256(toBytes(model));
}

/** The output record of a logged output (labels dropped). */
export function outputRecordOf(o: LoggedOutput): OutputRecord {
  const { label: _l, labelDetail: _d, ...rest } = o;
  return rest;
}

export function taskLeaves(m: BatchManifest): TaskLeaf[] {
  return m.tasks.map((t) => ({ index: t.index, node: t.node, modelId: t.modelId, contentHash: t.contentHash, costUnits: BigInt(t.costUnits) }));
}

/** Stores a manifest and indexes it by its task root; returns the root and the manifest's content hash (its CID). */
export function publishBatch(store: ContentStore, m: BatchManifest): { root: Hex; cid: Hex } {
  const root = buildTaskTree(taskLeaves(m)).root as Hex;
  const cid = store.putJson(m);
  store.setIndex("batch", root, cid);
  return { root, cid };
}

/**
 * Manifests (by content hash) already shown to rebuild a task root and count. The store checks every read against its
 * content hash, so content that rebuilt a root once always does: a 1,000-task tree costs tens of milliseconds, and a
 * daemon reads a round's manifest at every step. Bounded, per process.
 */
const verifiedBatches = new Set<string>();
const VERIFIED_LIMIT = 256;

/** Loads and verifies the manifest of a task root: it must rebuild the same root and count. */
export function loadBatch(store: ContentStore, taskRoot: Hex, taskCount: number): BatchManifest {
  const hash = store.getIndex("batch", taskRoot);
  if (!hash) throw new ContentError(`no batch manifest for task root ${taskRoot} in the store`);
  const m = store.getJson<unknown>(hash as Hex);
  const key = `${hash.toLowerCase()}:${taskRoot.toLowerCase()}:${taskCount}`;
  if (verifiedBatches.has(key) && isManifest(m)) return m;
  const checked = checkBatch(m, taskRoot, taskCount);
  if (verifiedBatches.size >= VERIFIED_LIMIT) verifiedBatches.delete(verifiedBatches.values().next().value!);
  verifiedBatches.add(key);
  return checked;
}

/** Stores a manifest that `checkBatch` accepted for `taskRoot`, indexed by that root (the tree is not rebuilt). */
export function keepCheckedBatch(store: ContentStore, m: BatchManifest, taskRoot: Hex): Hex {
  const cid = store.putJson(m);
  store.setIndex("batch", taskRoot, cid);
  return cid;
}

/** A manifest from anywhere (a peer, a CID on chain) checked against the chain: it must rebuild the same root and count. */
export function checkBatch(m: unknown, taskRoot: Hex, taskCount: number): BatchManifest {
  if (!isManifest(m)) throw new ContentError(`batch ${taskRoot}: malformed manifest`);
  if (m.tasks.length !== taskCount) throw new ContentError(`batch ${taskRoot}: manifest lists ${m.tasks.length} tasks, chain says ${taskCount}`);
  const root = buildTaskTree(taskLeaves(m)).root;
  if (root !== taskRoot) throw new ContentError(`batch ${taskRoot}: manifest rebuilds root ${root}`);
  return m;
}

const HEX32 = /^0x[0-9a-fA-F]{64}$/;
const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

function isManifest(m: unknown): m is BatchManifest {
  if (!m || typeof m !== "object" || (m as BatchManifest).version !== 2 || !Array.isArray((m as BatchManifest).tasks)) return false;
  const bundle = (m as BatchManifest).bundle;
  if (bundle !== undefined && (typeof bundle !== "string" || !/^[a-z0-9]{8,120}$/.test(bundle))) return false;
  return (m as BatchManifest).tasks.every(
    (t, i) =>
      t !== null &&
      typeof t === "object" &&
      t.index === i &&
      typeof t.node === "string" &&
      ADDRESS.test(t.node) &&
      typeof t.model === "string" &&
      typeof t.modelId === "string" &&
      HEX32.test(t.modelId) &&
      typeof t.contentHash === "string" &&
      HEX32.test(t.contentHash) &&
      typeof t.costUnits === "string" &&
      /^\d+$/.test(t.costUnits),
  );
}

/**
 * A batch's outputs as an evaluator finds them: `items[i]` is the parsed output, or undefined when it could not be
 * used. `unavailable` lists the tasks whose content could not be fetched (reported with the reserved score
 * UNAVAILABLE); `bad` the tasks whose content arrived but is not a valid output for its task leaf (wrong model,
 * malformed), which are the serving node's fault and scored 0.
 */
export type LoadedOutputs = {
  items: (LoggedOutput | undefined)[];
  unavailable: number[];
  bad: { index: number; reason: string }[];
};

/** Reads every output of a batch from the store, each checked against its content hash and its task leaf. */
export function loadOutputs(store: ContentStore, m: BatchManifest): LoadedOutputs {
  const items: (LoggedOutput | undefined)[] = [];
  const unavailable: number[] = [];
  const bad: { index: number; reason: string }[] = [];
  for (const t of m.tasks) {
    let raw: unknown;
    try {
      raw = store.getJson<unknown>(t.contentHash);
    } catch (e) {
      items.push(undefined);
      // Missing bytes, or bytes that do not hash to the name: either way the content is not available.
      if (e instanceof ContentError && !/not valid JSON/.test(e.message)) unavailable.push(t.index);
      else bad.push({ index: t.index, reason: (e as Error).message.split("\n")[0] });
      continue;
    }
    try {
      const rec = parseLoggedOutput(raw, `output ${t.contentHash}`, t.index, { requireLabel: false });
      if (rec.model !== t.model || modelId(rec.model) !== t.modelId) throw new ContentError(`model ${rec.model} does not match the batch`);
      items.push(rec);
    } catch (e) {
      items.push(undefined);
      bad.push({ index: t.index, reason: (e as Error).message.split("\n")[0] });
    }
  }
  return { items, unavailable, bad };
}

