import { getAddress, keccak256, toBytes, type Address, type Hex, type PublicClient } from "viem";
import type { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { assignEvaluators } from "../consensus/assignment";
import { parseLoggedOutput, type LoggedOutput } from "../data/logged";
import { buildAssignmentTree, buildTaskTree, type Settlement, type TaskLeaf } from "../chain/encoding";
import { evaluatorStakesBefore, type RoundView } from "../chain/reader";
import type { Deployment } from "../chain/deployment";
import { estimateTokens, pricePerMillion } from "../scoring/cost";
import { ContentError, type ContentStore } from "./store";

/** What an inference node stores for one output: the logged-output record plus the serving node. */
export type OutputRecord = Omit<LoggedOutput, "label" | "labelDetail"> & { node: Address };

/** The manifest of a round's task batch, stored by content and indexed by the task root. */
export type BatchManifest = {
  version: 1;
  tasks: { index: number; node: Address; model: string; modelId: Hex; contentHash: Hex; costUnits: string }[];
};

export function modelId(model: string): Hex {
  return keccak256(toBytes(model));
}

/**
 * Cost units of an output: estimated output tokens times the model's list price per million tokens, i.e. micro-USD
 * (at least 1). Uses the node's reported token count where it has one.
 */
export function costUnitsOf(o: Pick<OutputRecord, "output" | "model" | "tokens">): bigint {
  const words = o.output.trim() === "" ? 0 : o.output.trim().split(/\s+/).length;
  const tokens = o.tokens ?? estimateTokens(words);
  return BigInt(Math.max(1, Math.round(tokens * pricePerMillion(o.model))));
}

export function taskLeaves(m: BatchManifest): TaskLeaf[] {
  return m.tasks.map((t) => ({ index: t.index, node: t.node, modelId: t.modelId, contentHash: t.contentHash, costUnits: BigInt(t.costUnits) }));
}

/** Stores a manifest and indexes it by its task root; returns the root. */
export function publishBatch(store: ContentStore, m: BatchManifest): Hex {
  const root = buildTaskTree(taskLeaves(m)).root as Hex;
  const hash = store.putJson(m);
  store.setIndex("batch", root, hash);
  return root;
}

/** Loads and verifies the manifest of a task root: it must rebuild the same root and count. */
export function loadBatch(store: ContentStore, taskRoot: Hex, taskCount: number): BatchManifest {
  const hash = store.getIndex("batch", taskRoot);
  if (!hash) throw new ContentError(`no batch manifest for task root ${taskRoot} in the store`);
  const m = store.getJson<BatchManifest>(hash as Hex);
  if (!isManifest(m)) throw new ContentError(`batch ${taskRoot}: malformed manifest`);
  if (m.tasks.length !== taskCount) throw new ContentError(`batch ${taskRoot}: manifest lists ${m.tasks?.length} tasks, chain says ${taskCount}`);
  const root = buildTaskTree(taskLeaves(m)).root;
  if (root !== taskRoot) throw new ContentError(`batch ${taskRoot}: manifest rebuilds root ${root}`);
  return m;
}

const HEX32 = /^0x[0-9a-fA-F]{64}$/;
const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

function isManifest(m: unknown): m is BatchManifest {
  if (!m || typeof m !== "object" || !Array.isArray((m as BatchManifest).tasks)) return false;
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

function isPayload(f: unknown): f is SettlementPayloadFile {
  if (!f || typeof f !== "object") return false;
  const p = f as SettlementPayloadFile;
  const s = p.settlement as Record<string, unknown> | undefined;
  return (
    typeof p.settlementHash === "string" &&
    !!s &&
    typeof s === "object" &&
    ["cumulativeTotal", "inferencePaid", "evaluatorPaid"].every((k) => typeof s[k] === "string" && /^\d+$/.test(s[k] as string)) &&
    Array.isArray(s.slashes) &&
    Array.isArray(p.consensus) &&
    Array.isArray(p.trust) &&
    p.trust.every((t) => t && typeof t.evaluator === "string" && Number.isInteger(t.trustPpm) && Number.isInteger(t.lowStreak)) &&
    Array.isArray(p.claims) &&
    p.claims.every((c) => c && typeof c.account === "string" && ADDRESS.test(c.account) && typeof c.cumulativeAmount === "string" && /^\d+$/.test(c.cumulativeAmount) && Array.isArray(c.proof))
  );
}

export type LoadedOutputs = { items: (LoggedOutput | undefined)[]; bad: { index: number; reason: string }[] };

/**
 * Reads every output of a batch from the store, checking each against its content hash and its task leaf. A bad
 * output (missing, tampered, malformed or served under another node or model) is reported, not fatal.
 */
export function loadOutputs(store: ContentStore, m: BatchManifest): LoadedOutputs {
  const items: (LoggedOutput | undefined)[] = [];
  const bad: { index: number; reason: string }[] = [];
  for (const t of m.tasks) {
    try {
      const rec = store.getJson<OutputRecord>(t.contentHash);
      if (getAddress(rec.node) !== getAddress(t.node)) throw new ContentError(`served by ${rec.node}, batch says ${t.node}`);
      if (rec.model !== t.model || modelId(rec.model) !== t.modelId) throw new ContentError(`model ${rec.model} does not match the batch`);
      items.push(parseLoggedOutput(rec, `output ${t.contentHash}`, t.index, { requireLabel: false }));
    } catch (e) {
      items.push(undefined);
      bad.push({ index: t.index, reason: (e as Error).message.split("\n")[0] });
    }
  }
  return { items, bad };
}

export type RoundAssignment = {
  byTask: Address[][];
  byEvaluator: Map<Address, number[]>;
  tree: StandardMerkleTree<[Address, bigint, Hex]>;
  stakes: Map<Address, bigint>;
};

/**
 * The round's assignment, recomputed from public data: evaluator stakes from the vault's events before the
 * registration block, and the seed. Anyone gets the same tree.
 */
export async function computeAssignment(client: PublicClient, d: Deployment, r: RoundView): Promise<RoundAssignment> {
  // A pure function of the chain before the registration block: agents hosted together share one computation.
  const key = `${d.settlement}:${r.id}:${r.seed}:${r.registeredBlock}:${r.taskCount}:${r.k}`;
  const hit = assignmentCache.get(key);
  if (hit) return hit;
  const pending = computeAssignmentUncached(client, d, r);
  assignmentCache.set(key, pending);
  if (assignmentCache.size > 8) assignmentCache.delete(assignmentCache.keys().next().value!);
  pending.catch(() => assignmentCache.delete(key));
  return pending;
}

const assignmentCache = new Map<string, Promise<RoundAssignment>>();

async function computeAssignmentUncached(client: PublicClient, d: Deployment, r: RoundView): Promise<RoundAssignment> {
  const stakes = await evaluatorStakesBefore(client, d, r.registeredBlock);
  const evaluators = [...stakes.entries()].map(([address, stake]) => ({ address, stake }));
  const { byTask, byEvaluator } = assignEvaluators({ seed: r.seed, taskCount: r.taskCount, k: Math.min(r.k, evaluators.length), evaluators });
  return { byTask, byEvaluator, tree: buildAssignmentTree(byEvaluator), stakes };
}

/** An evaluator's leaf and proof in the assignment tree, or undefined when it has no task. */
export function assignmentProof(a: RoundAssignment, evaluator: Address): { tasks: number[]; tasksHash: Hex; proof: Hex[] } | undefined {
  const me = getAddress(evaluator);
  for (const [i, v] of a.tree.entries()) {
    if (v[0] === me) return { tasks: a.byEvaluator.get(me) ?? [], tasksHash: v[2], proof: a.tree.getProof(i) as Hex[] };
  }
  return undefined;
}

/** The published payload of a settlement: everything needed to check it and to claim. */
export type SettlementPayloadFile = {
  version: 1;
  roundId: string;
  settlementHash: Hex;
  settlement: Omit<Settlement, "cumulativeTotal" | "inferencePaid" | "evaluatorPaid"> & { cumulativeTotal: string; inferencePaid: string; evaluatorPaid: string };
  consensus: number[];
  trust: { evaluator: Address; trustPpm: number; lowStreak: number }[];
  rewards: { account: Address; amount: string }[];
  claims: { account: Address; cumulativeAmount: string; proof: Hex[] }[];
  badOutputs: { index: number; reason: string }[];
};

export function settlementFromFile(f: SettlementPayloadFile): Settlement {
  return {
    ...f.settlement,
    cumulativeTotal: BigInt(f.settlement.cumulativeTotal),
    inferencePaid: BigInt(f.settlement.inferencePaid),
    evaluatorPaid: BigInt(f.settlement.evaluatorPaid),
  };
}

/** Loads a published settlement payload by settlement hash, or undefined when the store does not have it. */
export function loadPayload(store: ContentStore, settlementHash: Hex): SettlementPayloadFile | undefined {
  const hash = store.getIndex("settlement", settlementHash);
  if (!hash) return undefined;
  const f = store.getJson<unknown>(hash as Hex);
  if (!isPayload(f)) throw new ContentError(`settlement payload ${hash} (for ${settlementHash}) is malformed`);
  return f;
}
