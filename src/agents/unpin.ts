/**
 * Unpinning at the recomputation horizon (docs/operations.md, "Pinning duties and the recomputation horizon").
 *
 * A role pins what others may need from it to recompute, challenge, claim or explore a round. Within the horizon
 * after a round closed (finalized, cancelled or expired) its outcome can still be challenged and the stake behind it
 * slashed; past it nothing about the round changes on chain. The horizon is the chain's: the vault's unbonding period
 * plus the longest round (`SettlementConfig.maxRoundLifetime()`, the bound the timelock delay covers), read from
 * chain at every pass; an operator may lengthen it (`pinHorizon`), never shorten it.
 *
 * - A relayer unpins, round by round in id order, what it pinned for each round past the horizon: the batch
 *   manifest and every output it lists, and the settlement payloads it revealed. Gold openings are never unpinned:
 *   they are the evidence later rounds are checked against for gold reuse (a few KB a gold round). A round that is not past the horizon stops the pass there (rounds close nearly in order; a
 *   later round waits for it, which only keeps content longer). Progress is the next round id, in the checkpoint.
 * - An inference node unpins an output of its own once every round that lists it is past the horizon, and an output
 *   no round listed once it is older than the horizon (counted from when the node first saw it pinned, in chain time)
 *   and every registered round has been looked at. Its pinned outputs and the rounds that list them are kept in the
 *   checkpoint (an entry per output, deleted once unpinned).
 * - Anything a round that is still within the horizon holds (for a relayer: the manifests, outputs and gold
 *   openings of the later rounds in its store, and the outputs pending for a batch) stays pinned, even if an earlier
 *   round listed it too.
 * - After a pass that unpinned anything, the backend's garbage collection runs (`gc()`: the embedded node's, Kubo's
 *   `repo/gc`); a crash in between leaves a flag in the checkpoint, so the next pass collects.
 *
 * The folder backend (and a daemon without a backend) keeps everything: nothing is pinned, nothing unpinned.
 */
import { getAddress, type Address, type Hex, type PublicClient } from "viem";
import { poQSettlementAbi } from "../chain/abis";
import type { Deployment } from "../chain/deployment";
import { chainTime, chunked, readHorizonParams, readRound, roundClosure, roundCount, type HorizonParams, type RoundClosure, type RoundView } from "../chain/reader";
import { InputError } from "../errors";
import { cidOfKeccak, type Cid } from "../protocol/cid";
import type { Content } from "../protocol/content";
import { chunkedCidOf } from "../protocol/dag";
import type { BatchManifest } from "../protocol/manifest";
import { ContentError, type ContentStore } from "../protocol/store";
import type { Checkpoint } from "./checkpoint";
import type { Common } from "./daemon";
import { checkedBundle, pointerCid, roundManifest } from "../protocol/roundContent";

/* THE HORIZON (pure) */

/** The chain's horizon in seconds: the unbonding period plus the longest round. */
export function chainHorizon(p: HorizonParams): bigint {
  return p.unbondingPeriod + p.maxRoundLifetime;
}

/**
 * The horizon to unpin at: the chain's, or the operator's `override` (seconds) when it is longer. An override shorter
 * than the chain's is refused: it would unpin content others may still need to recompute a round or challenge it.
 */
export function resolveHorizon(p: HorizonParams, override?: number | bigint, setting = "--pin-horizon"): bigint {
  const chain = chainHorizon(p);
  if (override === undefined) return chain;
  const o = BigInt(override);
  if (o < chain) {
    throw new InputError(
      `${setting} ${o} s is shorter than the chain's recomputation horizon of ${chain} s (unbonding period ${p.unbondingPeriod} s + longest round ${p.maxRoundLifetime} s): content others may still need would be unpinned; give at least ${chain} s or leave it out`,
    );
  }
  return o;
}

/** Whether a round's content is past the horizon at chain time `now`: closed, and more than `horizon` seconds ago. */
export function pastHorizon(c: RoundClosure, horizon: bigint, now: bigint): boolean {
  return c.state !== "open" && now > c.at + horizon;
}

/** Of the rounds given, in id order, the ids whose content is past the horizon at `now` (open rounds never are). */
export function roundsPastHorizon(rounds: readonly { id: bigint; closure: RoundClosure }[], horizon: bigint, now: bigint): bigint[] {
  return rounds.filter((r) => pastHorizon(r.closure, horizon, now)).map((r) => r.id);
}

/* THE PASSES */

/** How often a daemon runs an unpinning pass (its ticks call `maybePass`). */
export const UNPIN_EVERY_MS = 60_000;

const NEXT_ROUND = "unpin:next_round";
const GC_DUE = "unpin:gc_due";
const TRACKED = "unpin:tracked_round";
const OUTPUT = "unpin:output:";

/** A pinned output of an inference node: when it was first seen pinned (chain time) and the rounds that list it. */
type OutputEntry = { seen?: string; rounds: string[] };

export type UnpinDeps = {
  common: Common;
  client: PublicClient;
  deployment: Deployment;
  store: ContentStore;
  content?: Content;
  checkpoint: Checkpoint;
  /** The agent's account: a relayer's own payloads and registrations, an inference node's own outputs. */
  account: Address;
  role: "relayer" | "inference";
  /** The operator's horizon in seconds (`pinHorizon`), at least the chain's. */
  overrideSeconds?: number;
  /** Read timeout of a manifest an inference node looks for (default 5 s). */
  readTimeoutMs?: number;
};

export type UnpinPass = {
  /** Rounds past the horizon whose content this pass unpinned. */
  rounds: bigint[];
  /** CIDs it unpinned. */
  unpinned: number;
  /** Whether garbage collection ran. */
  gc: boolean;
  horizon: bigint;
  /** The oldest round whose content the agent still holds pinned (0: none). */
  oldestPinnedRound: bigint;
};

/** The unpinner of one relayer or inference node: `pass()` runs one pass, `maybePass()` at most every `UNPIN_EVERY_MS`. */
export function createUnpinner(deps: UnpinDeps) {
  const { common, client, deployment: d, store, content, checkpoint, role } = deps;
  const { logger, metrics } = common;
  const me = getAddress(deps.account);
  const access = { store, content, client, deployment: d };
  /** Closures of finalized and cancelled rounds (they never change); expired rounds are read again. */
  const closures = new Map<bigint, RoundClosure>();
  const taskRoots = new Map<bigint, Hex>();
  let lastPass = -Infinity;
  let refusedOverride = false;
  const active = !!content && content.kind !== "folder";

  async function closureOf(r: RoundView): Promise<RoundClosure> {
    const hit = closures.get(r.id);
    if (hit) return hit;
    const c = await roundClosure(client, d, r);
    if (c.state === "finalized" || c.state === "cancelled") closures.set(r.id, c);
    return c;
  }

  async function horizon(): Promise<bigint> {
    const p = await readHorizonParams(client, d);
    try {
      return resolveHorizon(p, deps.overrideSeconds);
    } catch (e) {
      // Checked at start; governance lengthened the chain's horizon since: the chain's wins.
      if (!refusedOverride) logger.warn({ err: (e as Error).message }, "pin horizon shorter than the chain's now: using the chain's");
      refusedOverride = true;
      return chainHorizon(p);
    }
  }

  async function unpinAll(cids: Iterable<Cid>, keep: Set<string>): Promise<number> {
    let n = 0;
    for (const cid of new Set(cids)) {
      if (keep.has(cid) || !(await content!.pinned(cid))) continue;
      // set before the first unpin: a stop before the collection leaves it due for the next pass
      if (checkpoint.get(GC_DUE) !== "1") checkpoint.set(GC_DUE, "1");
      await content!.unpin(cid);
      n++;
    }
    return n;
  }

  async function collect(): Promise<boolean> {
    if (checkpoint.get(GC_DUE) !== "1") return false;
    const t0 = Date.now();
    await content!.gc();
    checkpoint.set(GC_DUE, "0");
    logger.info({ ms: Date.now() - t0 }, "garbage collection after unpinning");
    return true;
  }

  function report(p: UnpinPass): UnpinPass {
    metrics.pins.oldestPinned.set(`${role} ${me}`, Number(p.oldestPinnedRound));
    if (p.unpinned > 0 || p.rounds.length > 0) {
      logger.info({ rounds: p.rounds.map(Number), unpinned: p.unpinned, horizon_s: Number(p.horizon), oldest_pinned_round: Number(p.oldestPinnedRound) }, "unpinned content past the recomputation horizon");
    } else {
      logger.debug({ horizon_s: Number(p.horizon), oldest_pinned_round: Number(p.oldestPinnedRound) }, "nothing past the recomputation horizon");
    }
    return p;
  }

  /* RELAYER */

  /** The manifest of a round from the store (undefined when this relayer never held it, so never pinned it). */
  function storedManifest(taskRoot: Hex): { manifest: BatchManifest; bytes: Uint8Array } | undefined {
    const hash = store.getIndex("batch", taskRoot) as Hex | undefined;
    if (!hash || !store.has(hash)) return undefined;
    const bytes = store.get(hash);
    return { manifest: JSON.parse(Buffer.from(bytes).toString("utf8")) as BatchManifest, bytes };
  }

  /**
   * What this relayer pinned for a round and finds in its store: the manifest, its outputs and its bundle. Not the gold opening:
   * it stays pinned for good (the evidence of which pool items later rounds may no longer use).
   */
  async function storedCids(r: { taskRoot: Hex }): Promise<Cid[]> {
    const out: Cid[] = [];
    const m = storedManifest(r.taskRoot);
    if (m) {
      out.push(await chunkedCidOf(m.bytes));
      const bundle = checkedBundle(store, m.manifest); // only a bundle built or checked here: never a CID merely named
      if (bundle) out.push(bundle as Cid);
      for (const t of m.manifest.tasks) out.push(cidOfKeccak(t.contentHash));
    }
    return out;
  }

  /** The payloads this relayer revealed for the round (its own, one per attempt it revealed). */
  async function ownPayloads(r: RoundView): Promise<Cid[]> {
    const logs = await client.getContractEvents({ address: d.settlement, abi: poQSettlementAbi, strict: true, eventName: "SettlementRevealed", args: { roundId: r.id, relayer: me }, fromBlock: r.registeredBlock, toBlock: "latest" });
    return logs.flatMap((l) => {
      const cid = l.args.payloadCid && l.args.payloadCid !== "0x" ? pointerCid(l.args.payloadCid) : undefined;
      return cid ? [cid] : [];
    });
  }

  /** Everything rounds after `after` hold (from the store), and the outputs pending for a batch: never unpinned. */
  async function liveCids(after: RoundView, count: bigint): Promise<Set<string>> {
    if (after.id < count) {
      const from = after.registeredBlock;
      const to = await client.getBlockNumber();
      const logs = await chunked(from, to, (fromBlock, toBlock) => client.getContractEvents({ address: d.settlement, abi: poQSettlementAbi, strict: true, eventName: "TasksRegistered", fromBlock, toBlock }));
      for (const l of logs) taskRoots.set(l.args.roundId, l.args.taskRoot);
    }
    const keep = new Set<string>();
    for (let id = after.id + 1n; id <= count; id++) {
      const root = taskRoots.get(id) ?? (await readRound(client, d, id)).taskRoot;
      for (const cid of await storedCids({ taskRoot: root })) keep.add(cid);
    }
    for (const hashes of store.listPending().values()) for (const h of hashes) keep.add(cidOfKeccak(h));
    return keep;
  }

  async function relayerPass(h: bigint, now: bigint): Promise<UnpinPass> {
    const count = await roundCount(client, d);
    const due: RoundView[] = [];
    let next = BigInt(checkpoint.get(NEXT_ROUND) ?? "1");
    for (let id = next; id <= count; id++) {
      const r = await readRound(client, d, id);
      if (!pastHorizon(await closureOf(r), h, now)) break;
      due.push(r);
    }
    let unpinned = 0;
    if (due.length) {
      const keep = await liveCids(due[due.length - 1], count);
      for (const r of due) {
        const n = await unpinAll([...(await storedCids(r)), ...(await ownPayloads(r))], keep);
        unpinned += n;
        metrics.pins.unpinned.inc(n);
        next = r.id + 1n;
        checkpoint.set(NEXT_ROUND, String(next));
        closures.delete(r.id);
        taskRoots.delete(r.id);
      }
    }
    const gc = await collect();
    return { rounds: due.map((r) => r.id), unpinned, gc, horizon: h, oldestPinnedRound: next <= count ? next : 0n };
  }

  /* INFERENCE NODE */

  /** Records an output this node pinned (its first sighting is stamped with chain time at the next pass). */
  function recordOutput(hash: Hex): void {
    recordOutputs([hash]);
  }

  /** `recordOutput` for many outputs, in one checkpoint transaction (a served window: one disk sync, not one each). */
  function recordOutputs(hashes: readonly Hex[]): void {
    if (role !== "inference" || !active) return;
    const empty = JSON.stringify({ rounds: [] } satisfies OutputEntry);
    const rows = hashes.map((h) => OUTPUT + h.toLowerCase()).filter((key) => checkpoint.get(key) === undefined);
    if (rows.length > 0) checkpoint.setMany([...new Set(rows)].map((key) => [key, empty] as const));
  }

  function outputEntries(): [Hex, OutputEntry][] {
    return checkpoint.entries(OUTPUT).map(([k, v]) => [k.slice(OUTPUT.length) as Hex, JSON.parse(v) as OutputEntry]);
  }

  /**
   * Looks at every round registered since the last pass and records which of this node's pinned outputs it lists.
   * Returns whether every registered round has been looked at (a manifest not delivered yet stops it there; a
   * round already past the horizon whose manifest nobody serves any more is passed over).
   */
  async function track(h: bigint, now: bigint): Promise<boolean> {
    const count = await roundCount(client, d);
    for (let id = BigInt(checkpoint.get(TRACKED) ?? "0") + 1n; id <= count; id++) {
      const r = await readRound(client, d, id);
      // A round already past the horizon is looked for in the store only: its outputs are due anyway.
      const gone = pastHorizon(await closureOf(r), h, now);
      let m: BatchManifest | undefined;
      try {
        m = await roundManifest(gone ? { ...access, content: undefined } : access, r, { timeoutMs: deps.readTimeoutMs ?? 5_000 });
      } catch (e) {
        if (!(e instanceof ContentError)) throw e;
        if (!gone) return false;
      }
      for (const t of m?.tasks ?? []) {
        if (getAddress(t.node) !== me) continue;
        const key = OUTPUT + t.contentHash.toLowerCase();
        const v = checkpoint.get(key);
        if (v === undefined) continue; // not pinned by this node (or already unpinned)
        const e = JSON.parse(v) as OutputEntry;
        if (!e.rounds.includes(String(id))) checkpoint.set(key, JSON.stringify({ ...e, rounds: [...e.rounds, String(id)] }));
      }
      checkpoint.set(TRACKED, String(id));
    }
    return true;
  }

  async function inferencePass(h: bigint, now: bigint): Promise<UnpinPass> {
    for (const [hash, e] of outputEntries()) if (e.seen === undefined) checkpoint.set(OUTPUT + hash, JSON.stringify({ ...e, seen: String(now) }));
    const complete = await track(h, now);
    const past = new Map<string, boolean>();
    const isPast = async (id: string) => {
      let v = past.get(id);
      if (v === undefined) past.set(id, (v = pastHorizon(await closureOf(await readRound(client, d, BigInt(id))), h, now)));
      return v;
    };
    let unpinned = 0;
    const rounds = new Set<bigint>();
    let oldest = 0n;
    for (const [hash, e] of outputEntries()) {
      let due: boolean;
      if (e.rounds.length) {
        due = true;
        for (const id of e.rounds) if (!(await isPast(id))) due = false;
      } else {
        due = complete && e.seen !== undefined && now > BigInt(e.seen) + h;
      }
      if (!due) {
        // the oldest round that keeps an output pinned (one already past the horizon keeps nothing)
        for (const id of e.rounds) if (!(await isPast(id)) && (oldest === 0n || BigInt(id) < oldest)) oldest = BigInt(id);
        continue;
      }
      const n = await unpinAll([cidOfKeccak(hash)], new Set());
      unpinned += n;
      metrics.pins.unpinned.inc(n);
      for (const id of e.rounds) rounds.add(BigInt(id));
      checkpoint.delete(OUTPUT + hash);
    }
    const gc = await collect();
    return { rounds: [...rounds].sort((a, b) => (a < b ? -1 : 1)), unpinned, gc, horizon: h, oldestPinnedRound: oldest };
  }

  /** One pass: reads the horizon and the chain's time, unpins what is past it, collects garbage when anything was. */
  async function pass(): Promise<UnpinPass | undefined> {
    if (!active) return undefined;
    lastPass = Date.now();
    const [h, now] = await Promise.all([horizon(), chainTime(client)]);
    return report(role === "relayer" ? await relayerPass(h, now) : await inferencePass(h, now));
  }

  /**
   * Starts a pass beside the agent's tick (a long garbage collection never delays a phase step) when the last one
   * started `UNPIN_EVERY_MS` ago and none is running; a failure is logged, and a later pass retries.
   */
  let running: Promise<void> | undefined;
  function maybePass(): void {
    if (!active || running || Date.now() - lastPass < UNPIN_EVERY_MS) return;
    running = pass()
      .then(() => undefined)
      .catch((e: unknown) => logger.warn({ err: (e as Error).message.split("\n")[0] }, "unpinning pass failed (retried later)"))
      .finally(() => (running = undefined));
  }

  /** Waits for a pass started by `maybePass` (before the backend closes). */
  async function idle(): Promise<void> {
    await running;
  }

  return { pass, maybePass, idle, recordOutput, recordOutputs };
}
