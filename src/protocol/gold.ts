import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { getAddress, keccak256, toBytes, type Address, type Hex } from "viem";
import {
  buildGoldPoolTree,
  buildGoldTree,
  GOLD_POOL_LEAF_TYPES,
  goldCommitment,
  type GoldItem,
  type GoldPoolItem,
} from "../chain/encoding";
import type { LoggedOutput, TaskType } from "../data/logged";
import { InputError } from "../errors";
import type { BatchManifest, OutputRecord } from "./manifest";
import { canonicalJson } from "./canonical";

/**
 * Gold tasks: outputs of known quality that the registrar mixes into batches so the consensus is anchored to
 * ground truth no coalition can outvote. They come from a pool committed in advance (its root and size are
 * governance parameters, `goldPoolRoot`/`goldPoolSize`, pinned per round), so a registrar cannot invent qualities.
 * At registration the registrar commits to the round's choice (`goldCommitment`); after the evaluators' reveal
 * deadline it publishes the opening (every item with its pool proof), which every relayer checks before it settles
 * and which the settlement opens on chain (`goldRoot`, `goldCount`, `goldSalt`). A revealed item is retired: the
 * registrar never uses it again, and a settlement that does is rejected on proof (`proveGoldReuse`).
 *
 * The pool stays secret (it must never be public data: an evaluator who knows the items scores them honestly and
 * attacks everything else); only the items already used become public.
 */

/** Content-store index of gold openings, keyed by task root. */
export const GOLD_INDEX = "gold";

/** One pool item with its content: the output record, whose keccak256 (canonical JSON) is `contentHash`. */
export type GoldPoolEntry = GoldPoolItem & { record: OutputRecord };

/** The pool keeper's file: every item, and the root governance sets as `goldPoolRoot`. */
export type GoldPoolFile = { version: 1; root: Hex; items: GoldPoolEntry[] };

/** Known quality on the on-chain scale (0..10000) from a human label: QA correct 10000 / incorrect 0; summaries (rating − 1) / 4. */
export function labelQuality(task: TaskType, label: number): number {
  const q = task === "qa" ? label * 10 : ((label - 1) / 4) * 10;
  return Math.min(10_000, Math.max(0, Math.round(q * 1000)));
}

/** Builds a pool from labelled outputs, whole query groups kept together, in the order given. */
export function buildGoldPool(outputs: readonly LoggedOutput[]): GoldPoolFile {
  const items: GoldPoolEntry[] = outputs.map((o, poolIndex) => {
    if (o.label === undefined) throw new InputError(`gold pool output ${o.id} has no label`);
    const { label, labelDetail: _d, ...record } = o;
    return { poolIndex, contentHash: keccak256(toBytes(canonicalJson(record))), quality: labelQuality(o.task, label), record };
  });
  return { version: 1, root: buildGoldPoolTree(items).root as Hex, items };
}

/** Validates a pool file: every item's content hashes to its `contentHash`, and the items rebuild `root`. */
export function checkGoldPool(f: GoldPoolFile): GoldPoolFile {
  if (!f || f.version !== 1 || !Array.isArray(f.items) || f.items.length === 0) throw new InputError("gold pool: expected {version: 1, root, items: [...]}");
  f.items.forEach((it, i) => {
    if (it.poolIndex !== i) throw new InputError(`gold pool: item ${i} has poolIndex ${it.poolIndex}`);
    if (!Number.isInteger(it.quality) || it.quality < 0 || it.quality > 10_000) throw new InputError(`gold pool: item ${i} has quality ${it.quality} outside 0..10000`);
    if (keccak256(toBytes(canonicalJson(it.record))) !== it.contentHash) throw new InputError(`gold pool: item ${i}'s record does not hash to its contentHash`);
  });
  const root = buildGoldPoolTree(f.items).root;
  if (root !== f.root) throw new InputError(`gold pool: items rebuild root ${root}, file says ${f.root}`);
  return f;
}

/** What the registrar publishes after the reveal deadline: the round's gold items, each with its pool proof. */
export type GoldOpening = {
  version: 1;
  roundId: string;
  taskRoot: Hex;
  goldRoot: Hex;
  goldCount: number;
  salt: Hex;
  items: (GoldItem & { poolProof: Hex[] })[];
};

/** The round's gold tree root over `items` (zero without gold). */
export function goldRootOf(items: readonly GoldItem[]): Hex {
  return items.length === 0 ? (`0x${"00".repeat(32)}` as Hex) : (buildGoldTree(items).root as Hex);
}

/** The registration commitment to a choice of gold items and a salt (zero without gold). */
export function goldChoiceCommitment(items: readonly GoldItem[], salt: Hex): Hex {
  return items.length === 0 ? (`0x${"00".repeat(32)}` as Hex) : goldCommitment(goldRootOf(items), items.length, salt);
}

/**
 * Picks whole query groups of unused pool items until `count` items are chosen (at least one group when count > 0),
 * in the order `rank` gives them (the registrar ranks by a keyed hash, so nobody else can predict the choice).
 */
export function selectGold(pool: GoldPoolFile, used: ReadonlySet<number>, count: number, rank: (poolIndex: number) => string): GoldPoolEntry[] {
  if (count <= 0) return [];
  const groups = new Map<string, GoldPoolEntry[]>();
  for (const it of pool.items) {
    if (used.has(it.poolIndex)) continue;
    const g = groups.get(it.record.queryId) ?? [];
    g.push(it);
    groups.set(it.record.queryId, g);
  }
  const ordered = [...groups.values()].sort((a, b) => (rank(a[0].poolIndex) < rank(b[0].poolIndex) ? -1 : 1));
  const out: GoldPoolEntry[] = [];
  for (const g of ordered) {
    if (out.length >= count) break;
    out.push(...g);
  }
  return out;
}

/** The pool proof of each chosen item. */
export function poolProofs(pool: GoldPoolFile, entries: readonly GoldPoolEntry[]): Hex[][] {
  const tree = buildGoldPoolTree(pool.items);
  return entries.map((e) => tree.getProof(e.poolIndex) as Hex[]);
}

const HEX32 = /^0x[0-9a-fA-F]{64}$/;
const index = (x: unknown): boolean => typeof x === "number" && Number.isSafeInteger(x) && x >= 0;

/**
 * Whether `o` has an opening's shape with every field in its one canonical type: indexes and qualities as
 * non-negative safe integers, hashes and the salt as 32-byte hex. The Merkle encoding reads `7`, `"7"` and `"0x07"`
 * alike, while reuse is checked by value: a pool index written as a string would open the commitment and slip past
 * the reuse check, and anyone could then prove the reuse on chain and take the revealers' bonds.
 */
export function wellFormedOpening(o: unknown): o is GoldOpening {
  const f = o as GoldOpening;
  if (!f || typeof f !== "object" || f.version !== 1 || !Array.isArray(f.items) || typeof f.salt !== "string" || !HEX32.test(f.salt)) return false;
  if (typeof f.taskRoot !== "string" || !HEX32.test(f.taskRoot) || !index(f.goldCount)) return false;
  return f.items.every(
    (it) =>
      !!it &&
      typeof it === "object" &&
      index(it.taskIndex) &&
      index(it.poolIndex) &&
      index(it.quality) &&
      typeof it.contentHash === "string" &&
      HEX32.test(it.contentHash) &&
      Array.isArray(it.poolProof) &&
      it.poolProof.every((x) => typeof x === "string" && HEX32.test(x)),
  );
}

/**
 * The registrar's gold choice for a round, rebuilt without its checkpoint: the batch's tasks whose content is an item
 * of the registrar's pool are the gold tasks (in task order, as the choice lists them), and the salt is derived from
 * the registrar's key. Returned only when it opens the registration's `commitment`; undefined otherwise (the round
 * then cannot settle, as before).
 */
export function recoverGoldChoice(pool: GoldPoolFile, manifest: BatchManifest, salt: Hex, commitment: Hex): { salt: Hex; items: GoldOpening["items"] } | undefined {
  const byHash = new Map(pool.items.map((g) => [g.contentHash.toLowerCase(), g]));
  const chosen: { taskIndex: number; entry: GoldPoolEntry }[] = [];
  const seen = new Set<number>();
  for (const t of manifest.tasks) {
    const entry = byHash.get(t.contentHash.toLowerCase());
    if (!entry || seen.has(entry.poolIndex)) continue;
    seen.add(entry.poolIndex);
    chosen.push({ taskIndex: t.index, entry });
  }
  const proofs = poolProofs(
    pool,
    chosen.map((c) => c.entry),
  );
  const items = chosen.map((c, i) => ({ taskIndex: c.taskIndex, poolIndex: c.entry.poolIndex, contentHash: c.entry.contentHash, quality: c.entry.quality, poolProof: proofs[i] }));
  if (items.length === 0 || goldChoiceCommitment(items, salt).toLowerCase() !== commitment.toLowerCase()) return undefined;
  return { salt, items };
}

/**
 * Checks an opening against the round: it opens the registration's commitment; every item is in the committed pool
 * (proof, index below the pool size, quality in range), points at a task of the batch whose content is the item's,
 * and uses a pool item at most once. Returns the gold map the settlement takes (task index → quality), or throws.
 */
export function checkGoldOpening(
  o: GoldOpening,
  round: { id: bigint; taskRoot: Hex; goldCommitment: Hex; poolRoot: Hex; poolSize: number },
  manifest: BatchManifest,
): Map<number, number> {
  const where = `gold opening of round ${round.id}`;
  if (!wellFormedOpening(o)) throw new InputError(`${where}: malformed`);
  if (BigInt(o.roundId) !== round.id || o.taskRoot !== round.taskRoot) throw new InputError(`${where}: names another round`);
  if (goldChoiceCommitment(o.items, o.salt) !== round.goldCommitment) throw new InputError(`${where}: does not open the registration's commitment`);
  if (o.goldCount !== o.items.length || o.goldRoot !== goldRootOf(o.items)) throw new InputError(`${where}: root or count do not match its items`);
  const gold = new Map<number, number>();
  const pools = new Set<number>();
  for (const it of o.items) {
    if (it.poolIndex >= round.poolSize || pools.has(it.poolIndex)) throw new InputError(`${where}: pool item ${it.poolIndex} out of range or used twice`);
    if (!StandardMerkleTree.verify(round.poolRoot, GOLD_POOL_LEAF_TYPES, [it.poolIndex, it.contentHash, it.quality], it.poolProof)) {
      throw new InputError(`${where}: pool item ${it.poolIndex} is not in the committed pool`);
    }
    const task = manifest.tasks[it.taskIndex];
    if (!task || task.contentHash !== it.contentHash || gold.has(it.taskIndex)) throw new InputError(`${where}: task ${it.taskIndex} does not hold pool item ${it.poolIndex}`);
    pools.add(it.poolIndex);
    gold.set(it.taskIndex, it.quality);
  }
  return gold;
}

/** The node a gold task is attributed to: chosen by the registrar among the round's real nodes. */
export function attributeGold(nodes: readonly Address[], i: number): Address {
  if (nodes.length === 0) throw new InputError("gold tasks need at least one inference node to be attributed to");
  return getAddress(nodes[i % nodes.length]);
}
