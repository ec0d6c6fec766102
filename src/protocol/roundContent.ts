/**
 * A round's content found from the chain: the batch manifest from the registration's `manifestCid`, settlement
 * payloads from the `payloadCid` of each `SettlementRevealed`, the gold opening from the registrar's
 * `ContentAnnounced`. Each is read from this daemon's own store when it is there, else fetched by its CID from the
 * content backend (for an embedded IPFS node: from its peers), checked, and kept in the store.
 *
 * On-chain pointers come in two forms: the binary CID of the UnixFS file (what a daemon with a content backend
 * publishes), or a bare 32-byte keccak256 of the bytes (what agents with the folder store alone publish, e.g. the
 * demo); both are read.
 */
import { getAddress, type Hex, type PublicClient } from "viem";
import { poQSettlementAbi } from "../chain/abis";
import type { Deployment } from "../chain/deployment";
import { InputError } from "../errors";
import { revealedSettlementsWithPayloads, type RoundView } from "../chain/reader";
import { cidFromBytes, cidOfKeccak, cidToBytes, parseCid, type Cid } from "./cid";
import { ContentUnavailable, type Content, type ReadOptions } from "./content";
import { BUNDLE_CHECKED, BUNDLE_INDEX, BUNDLE_JUNK, bundleOrder, decodeBundle } from "./bundle";
import { GOLD_INDEX, goldChoiceCommitment, wellFormedOpening, type GoldOpening } from "./gold";
import { checkBatch, keepCheckedBatch, loadBatch, publishBatch, type BatchManifest } from "./manifest";
import { isPayload, loadPayload, publishPayload, type SettlementPayloadFile } from "./payload";
import { mapConcurrent } from "./loopback";
import { ContentError, type ContentStore } from "./store";

/** Where a daemon's content lives: its own store, and (optionally) the backend that reaches other daemons' content. */
export type ContentAccess = { store: ContentStore; content?: Content };
export type ChainContentAccess = ContentAccess & { client: PublicClient; deployment: Deployment };

/** How long a read of a manifest, a payload or an opening waits for peers, by default (a tick retries). */
export const POINTER_READ_MS = 10_000;

/** ContentKind of `announce` (IPoQSettlement.ContentKind). */
export const CONTENT_KIND = { manifest: 1, goldOpening: 2 } as const;

const HASH32 = /^0x[0-9a-fA-F]{64}$/;
/** The folder layout's index from a CID to the keccak256 it stores the bytes under (as FolderContent keeps it). */
const CID_INDEX = "cid";

/** The CID an on-chain pointer names (a keccak256 pointer names the raw keccak block), or undefined when malformed. */
export function pointerCid(pointer: Hex): Cid | undefined {
  try {
    return HASH32.test(pointer) ? cidOfKeccak(pointer) : cidFromBytes(pointer);
  } catch {
    return undefined;
  }
}

/**
 * Where the store holds what an on-chain pointer names, without any network: a keccak256 pointer is the store's own
 * key; a CID is found through the store's index of CIDs it fetched or published. Undefined when the store lacks it.
 */
export function storedPointer(store: ContentStore, pointer: string): Hex | undefined {
  let local: Hex | undefined;
  if (HASH32.test(pointer)) local = pointer.toLowerCase() as Hex;
  else {
    const cid = /^0x[0-9a-fA-F]*$/.test(pointer) ? pointerCid(pointer as Hex) : undefined;
    local = cid ? (store.getIndex(CID_INDEX, cid) as Hex | undefined) : undefined;
  }
  return local && store.has(local) ? local : undefined;
}

/**
 * Publishes JSON content: into the store, and into the content backend (pinned: this daemon keeps it available).
 * Returns its keccak256 in the store and the pointer to put on chain (the binary CID; the keccak256 without a backend).
 */
export async function publishJson(a: ContentAccess, value: unknown): Promise<{ hash: Hex; pointer: Hex }> {
  const hash = a.store.putJson(value);
  if (!a.content) return { hash, pointer: hash };
  const cid = await a.content.putJson(value, { pin: true });
  a.store.setIndex(CID_INDEX, cid, hash);
  return { hash, pointer: cidToBytes(cid) };
}

/**
 * The JSON an on-chain pointer names: from the store, else fetched from the content backend and kept in the store.
 * Undefined when nobody delivered it in time (`ContentUnavailable`), or the bytes are not JSON.
 */
export async function readPointer(a: ContentAccess, pointer: Hex, options: ReadOptions = {}): Promise<unknown> {
  const cid = pointerCid(pointer);
  if (!cid) return undefined;
  const local = storedPointer(a.store, pointer);
  if (local) {
    try {
      return a.store.getJson<unknown>(local);
    } catch {
      // tampered or not JSON: fetch it again below
    }
  }
  if (!a.content) return undefined;
  let bytes: Uint8Array;
  try {
    bytes = await a.content.get(parseCid(cid), { timeoutMs: POINTER_READ_MS, ...options });
  } catch (e) {
    if (e instanceof ContentError) return undefined;
    throw e;
  }
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(bytes).toString("utf8"));
  } catch {
    return undefined;
  }
  const hash = a.store.put(bytes); // checked by the backend against its CID; kept so the next read is local
  a.store.setIndex(CID_INDEX, cid, hash);
  return value;
}

/** Publishes a batch manifest: indexed by its task root in the store, and pinned in the backend. */
export async function publishManifest(a: ContentAccess, m: BatchManifest): Promise<{ root: Hex; hash: Hex; pointer: Hex }> {
  const { root, cid: hash } = publishBatch(a.store, m);
  const { pointer } = await publishJson(a, m);
  return { root, hash, pointer };
}

/**
 * The round's batch manifest: from the store's index by task root, else from the `manifestCid` of its registration
 * (checked against the task root and count, then indexed in the store). Throws a retryable ContentError when it cannot
 * be found yet.
 */
export async function roundManifest(a: ChainContentAccess, r: Pick<RoundView, "id" | "taskRoot" | "taskCount" | "registeredBlock">, options: ReadOptions = {}): Promise<BatchManifest> {
  if (a.store.getIndex("batch", r.taskRoot)) return loadBatch(a.store, r.taskRoot, r.taskCount);
  const logs = await a.client.getContractEvents({
    address: a.deployment.settlement,
    abi: poQSettlementAbi,
    strict: true,
    eventName: "TasksRegistered",
    args: { roundId: r.id },
    fromBlock: r.registeredBlock,
    toBlock: r.registeredBlock,
  });
  return manifestAt(a, r, logs.find((l) => l.args.taskRoot === r.taskRoot)?.args.manifestCid, options);
}

/**
 * The batch manifest a registration's `manifestCid` names (the caller read the pointer, e.g. from its own index of the
 * chain): from the store, else fetched; checked against the task root and count, then indexed in the store by its
 * task root. Throws a retryable ContentError when it cannot be found yet.
 */
export async function manifestAt(a: ContentAccess, r: Pick<RoundView, "id" | "taskRoot" | "taskCount">, pointer: Hex | undefined, options: ReadOptions = {}): Promise<BatchManifest> {
  if (a.store.getIndex("batch", r.taskRoot)) return loadBatch(a.store, r.taskRoot, r.taskCount);
  if (!pointer || pointer === "0x") throw new ContentError(`round ${r.id}: no batch manifest for task root ${r.taskRoot} in the store, and the registration names none`);
  const raw = await readPointer(a, pointer, options);
  if (raw === undefined) throw new ContentUnavailable(pointerCid(pointer) ?? pointer, "not-found", `round ${r.id}'s batch manifest (manifestCid ${pointer}) is not in the store and no peer delivered it`);
  const m = checkBatch(raw, r.taskRoot, r.taskCount);
  keepCheckedBatch(a.store, m, r.taskRoot);
  return m;
}

/**
 * The published payload of a settlement: this daemon's own (the store's index by settlement hash), else one that a
 * relayer who revealed it pointed to (`payloadCid`), fetched and checked to be a payload of that hash. Undefined when
 * none can be found. A fetched payload is kept in the store but never indexed as this daemon's own.
 */
export async function roundPayload(a: ChainContentAccess, r: RoundView, settlementHash: Hex = r.settlementHash, options: ReadOptions = {}): Promise<SettlementPayloadFile | undefined> {
  const mine = loadPayload(a.store, settlementHash);
  if (mine) return mine;
  const entry = (await revealedSettlementsWithPayloads(a.client, a.deployment, r)).get(settlementHash);
  return payloadAt(a, settlementHash, entry?.payloadCids ?? [], options);
}

/**
 * The payload of a settlement from the `payloadCid`s its revealers pointed to (the caller read them from the chain):
 * the first that is a payload of that hash, from the store or fetched (kept in the store, never indexed as this
 * daemon's own). Undefined when none can be found.
 */
export async function payloadAt(a: ContentAccess, settlementHash: Hex, pointers: readonly Hex[], options: ReadOptions = {}): Promise<SettlementPayloadFile | undefined> {
  for (const pointer of pointers) {
    const f = await readPointer(a, pointer, options);
    if (isPayload(f) && f.settlementHash === settlementHash) return f;
  }
  return undefined;
}

/** Publishes a settlement payload: indexed by its settlement hash in the store, and pinned in the backend. */
export async function publishSettlementPayload(a: ContentAccess, f: SettlementPayloadFile): Promise<{ hash: Hex; pointer: Hex }> {
  const hash = publishPayload(a.store, f);
  const { pointer } = await publishJson(a, f);
  return { hash, pointer };
}

/**
 * The round's gold opening, one that opens the round's gold commitment (`roundGold` checks the rest: pool proofs,
 * tasks, reuse): from the store's index, else from what the round's registrar announced on chain
 * (`announce(roundId, GoldOpening, cid)`). Undefined when there is none yet.
 */
export async function roundGoldOpening(
  a: ChainContentAccess,
  r: Pick<RoundView, "id" | "taskRoot" | "registrar" | "registeredBlock" | "goldCommitment">,
  options: ReadOptions = {},
  o: { keep?: boolean } = {},
): Promise<GoldOpening | undefined> {
  const local = a.store.getIndex(GOLD_INDEX, r.taskRoot);
  if (local) {
    const f = a.store.getJson<GoldOpening>(local as Hex);
    if (opens(f, r.taskRoot, r.goldCommitment)) return f;
  }
  const logs = await a.client.getContractEvents({
    address: a.deployment.settlement,
    abi: poQSettlementAbi,
    strict: true,
    eventName: "ContentAnnounced",
    args: { roundId: r.id, relayer: r.registrar, kind: CONTENT_KIND.goldOpening },
    fromBlock: r.registeredBlock,
    toBlock: "latest",
  });
  return goldOpeningAt(
    a,
    r.taskRoot,
    logs.filter((l) => getAddress(l.args.relayer) === getAddress(r.registrar)).map((l) => l.args.cid),
    options,
    { commitment: r.goldCommitment, keep: o.keep },
  );
}

/**
 * The gold opening from the CIDs the round's registrar announced (the caller read them from the chain): the first
 * that opens this task root and, given the round's `commitment`, opens that commitment (the registrar may announce
 * as often as it likes, so a decoy announced first is skipped), from the store or fetched and kept. Undefined when
 * none can be found. `keep` also pins the CID that held it in the content backend, in the background (a failure is
 * ignored: pinning never delays a settlement).
 */
export async function goldOpeningAt(a: ContentAccess, taskRoot: Hex, pointers: readonly Hex[], options: ReadOptions = {}, o: { commitment?: Hex; keep?: boolean } = {}): Promise<GoldOpening | undefined> {
  for (const pointer of pointers) {
    const f = (await readPointer(a, pointer, options)) as GoldOpening | undefined;
    if (!opens(f, taskRoot, o.commitment)) continue;
    const cid = pointerCid(pointer);
    if (o.keep && cid && a.content && a.content.kind !== "folder") void a.content.pin(parseCid(cid)).catch(() => undefined);
    return f;
  }
  return undefined;
}

/** Whether `f` is an opening of `taskRoot` and, when given, of the round's gold `commitment`. */
function opens(f: GoldOpening | undefined, taskRoot: Hex, commitment?: Hex): f is GoldOpening {
  if (!wellFormedOpening(f) || f.taskRoot !== taskRoot) return false;
  if (commitment === undefined) return true;
  try {
    return goldChoiceCommitment(f.items, f.salt).toLowerCase() === commitment.toLowerCase();
  } catch {
    return false;
  }
}

/**
 * Brings every output of a batch that the store lacks into the store, fetched by its CID (the raw keccak-256 block
 * named by the task's `contentHash`) from the content backend, within one deadline for the whole batch: each read is
 * checked by hash, and what no peer delivered by then is left missing (the evaluator reports it unavailable). Never
 * waits past the deadline (or once `signal` aborts). Returns the tasks' content hashes still missing.
 */
export async function fetchOutputs(a: ContentAccess, m: BatchManifest, o: { timeoutMs: number; concurrency?: number; signal?: AbortSignal }): Promise<Hex[]> {
  let wanted = bundleOrder(m).filter((h) => !a.store.has(h));
  if (!a.content || wanted.length === 0) return wanted;
  const content = a.content;
  const until = Date.now() + o.timeoutMs;
  // The bundle first (a few blocks instead of one per output), for at most a quarter of the budget and 5 s, so a
  // bundle nobody serves leaves most of the window to the outputs one by one; then what it did not bring.
  if (m.bundle && wanted.length > 1 && a.store.getIndex(BUNDLE_INDEX, m.bundle) !== BUNDLE_JUNK) {
    const got = await readBundle(a, m, { timeoutMs: Math.min(o.timeoutMs, Math.max(1_000, Math.min(BUNDLE_WAIT_MS, Math.floor(o.timeoutMs / 4)))), signal: o.signal });
    for (const h of wanted) {
      const output = got.get(h);
      if (output) a.store.put(output);
    }
    wanted = wanted.filter((h) => !a.store.has(h));
    if (wanted.length === 0) return [];
  }
  const missing: Hex[] = [];
  await mapConcurrent(wanted, o.concurrency ?? 32, async (hash) => {
    const left = until - Date.now();
    if (left <= 0) return void missing.push(hash);
    try {
      a.store.put(await content.get(cidOfKeccak(hash), { timeoutMs: left, signal: o.signal }));
    } catch (e) {
      if (!(e instanceof ContentError)) throw e;
      missing.push(hash);
    }
  });
  return missing.sort();
}

/** The longest a reader waits for a batch's bundle before fetching its outputs one by one. */
const BUNDLE_WAIT_MS = 5_000;

/**
 * The outputs of `m`'s bundle, read by position (`decodeBundle`); empty when it names none, cannot be fetched in time
 * or holds nothing the manifest lists. A bundle that gives at least one listed output is recorded as checked
 * (`BUNDLE_INDEX`): the only kind a relayer pins, and so unpins. One that arrived and gave nothing is recorded as
 * junk, and never fetched again (an unavailable one is tried again: it may arrive later).
 */
export async function readBundle(a: ContentAccess, m: BatchManifest, o: ReadOptions): Promise<Map<Hex, Uint8Array>> {
  if (!m.bundle || !a.content) return new Map();
  try {
    const got = decodeBundle(await a.content.get(parseCid(m.bundle), o), bundleOrder(m));
    a.store.setIndex(BUNDLE_INDEX, m.bundle, got.size > 0 ? BUNDLE_CHECKED : BUNDLE_JUNK);
    return got;
  } catch (e) {
    if (!(e instanceof ContentError) && !(e instanceof InputError)) throw e;
    return new Map();
  }
}

/** Whether this daemon built or checked the bundle `m` names (so pins it with the round, and unpins it at the horizon). */
export function checkedBundle(store: ContentStore, m: BatchManifest): string | undefined {
  return m.bundle && store.getIndex(BUNDLE_INDEX, m.bundle) === BUNDLE_CHECKED ? m.bundle : undefined;
}

/** Outputs pinned at once: a pin waits mostly on the node's disk, so a few at a time take a third of the time. */
const PIN_CONCURRENCY = 32;

/**
 * Pins outputs the store holds in the content backend, each distinct one once (never the same block twice at a
 * time), `PIN_CONCURRENCY` at a time. Nothing without a backend.
 */
export async function pinOutputs(a: ContentAccess, hashes: readonly Hex[]): Promise<void> {
  if (!a.content) return;
  const distinct = [...new Set(hashes.map((h) => h.toLowerCase() as Hex))];
  for (let i = 0; i < distinct.length; i += PIN_CONCURRENCY) await Promise.all(distinct.slice(i, i + PIN_CONCURRENCY).map((h) => a.content!.putOutput(a.store.get(h), { pin: true })));
}

/**
 * Pins a round's batch manifest and every output it lists in the content backend, fetching from peers what the store
 * lacks (within `timeoutMs`): what a relayer keeps available for the round's horizon, so the outputs outlive the
 * registrar and the nodes that served them. Returns the outputs it could not get yet (a later call tries again).
 */
export async function pinRound(a: ChainContentAccess, r: Pick<RoundView, "id" | "taskRoot" | "taskCount" | "registeredBlock">, o: { timeoutMs: number }): Promise<Hex[]> {
  if (!a.content) return [];
  const until = Date.now() + o.timeoutMs;
  const m = await roundManifest(a, r, { timeoutMs: o.timeoutMs });
  await publishJson(a, m); // the same canonical bytes, so the same CID the registrar put on chain
  const missing = await fetchOutputs(a, m, { timeoutMs: Math.max(0, until - Date.now()) });
  // The bundle too, for the readers after this one, once checked to be one (never a CID a manifest merely names:
  // it could be anything, a gold opening included, and what is pinned here is unpinned at the horizon). Best
  // effort: the outputs are what counts.
  if (m.bundle && a.store.getIndex(BUNDLE_INDEX, m.bundle) === undefined) await readBundle(a, m, { timeoutMs: Math.max(0, Math.min(BUNDLE_WAIT_MS, until - Date.now())) });
  const bundle = checkedBundle(a.store, m);
  if (bundle) await a.content.pin(parseCid(bundle), { timeoutMs: Math.max(1_000, until - Date.now()) }).catch(() => undefined);
  const gone = new Set(missing);
  await pinOutputs(a, m.tasks.map((t) => t.contentHash.toLowerCase() as Hex).filter((h) => !gone.has(h)));
  return missing;
}
