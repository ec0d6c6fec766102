/**
 * The explorer's content fetcher: with a content backend (an embedded IPFS node, a Kubo node), it brings each round's
 * content into the explorer's own store before the round is derived, found from the pointers on chain (as the index
 * holds them): the batch manifest (`TasksRegistered.manifestCid`), the outputs it lists, the payload of every revealed
 * settlement (`SettlementRevealed.payloadCid`) and the registrar's gold opening (`ContentAnnounced`). The reads are the
 * relayers' own (src/protocol/roundContent.ts): from the store, else fetched by CID, checked by hash, kept.
 *
 * Fetches run in the background, one deadline per fetch; the indexer waits for them only a short while before it
 * derives a round with what the store has. What no peer delivered is tried again later (after `retryMs`, doubling
 * with each fetch in a row that missed something, up to 40 × `retryMs`), and a round whose content arrives is derived
 * again. As an archive, the fetcher also pins in its node every CID the round's
 * events point to and every output its manifest lists, and never unpins them.
 */
import type { Hex } from "viem";
import { cidOfKeccak, isKeccakCid, type Cid } from "../protocol/cid";
import { ContentUnavailable, type Content, type ContentInfo } from "../protocol/content";
import { loadPayload } from "../protocol/payload";
import { fetchOutputs, goldOpeningAt, manifestAt, payloadAt, pointerCid, storedPointer, type ContentAccess } from "../protocol/roundContent";
import { ContentError, type ContentStore } from "../protocol/store";
import type { ExplorerDb } from "./db";
import { roundLogs, type FetchSource, type RoundContentSource, type RoundRow } from "./derive";
import type { IndexerLogger } from "./indexer";

export type ContentFetcherOptions = {
  db: ExplorerDb;
  store: ContentStore;
  content: Content;
  /** Pin every CID the rounds point to, and every output their manifests list, and keep them. */
  archive: boolean;
  /** Deadline of one round's fetch (manifest, outputs, payloads, gold opening, pins together). */
  timeoutMs?: number;
  /** How long the indexer waits for a round's fetch before deriving it with what the store has. */
  waitMs?: number;
  /** How soon a round whose content was not all delivered is tried again. */
  retryMs?: number;
  /** Rounds fetched at the same time. */
  concurrency?: number;
  logger?: IndexerLogger;
};

/** What the explorer's status shows of its content backend. */
export type ContentStatusView = {
  backend: Content["kind"];
  peerId: string | null;
  addresses: string[];
  connectedPeers: number;
  archive: boolean;
  /** Rounds whose content (some of it) this explorer fetched since it started, and rounds still waiting for some. */
  roundsFetched: number;
  roundsWaiting: number;
};

const ZERO32 = /^0x0{64}$/;
type Args = Record<string, unknown>;

/** The worst of several sources: unavailable, then invalid, then fetched, then store; none when there is nothing. */
function combine(sources: FetchSource[]): FetchSource {
  for (const s of ["unavailable", "invalid", "fetched", "store"] as const) if (sources.includes(s)) return s;
  return "none";
}

/** A source that was "fetched" by this explorer stays "fetched" when the next look finds it in the store. */
const sticky = (now: FetchSource, before: FetchSource | undefined): FetchSource => (now === "store" && before === "fetched" ? "fetched" : now);

export class ContentFetcher {
  readonly kind: Content["kind"];
  readonly archive: boolean;
  private readonly o: Required<Omit<ContentFetcherOptions, "logger">> & { logger?: IndexerLogger };
  private readonly state = new Map<number, RoundContentSource>();
  private readonly inFlight = new Map<number, Promise<void>>();
  private readonly again = new Map<number, Promise<void>>();
  private readonly retryAt = new Map<number, number>();
  /** Fetches in a row that left something missing, per round (the retry interval doubles with each). */
  private readonly misses = new Map<number, number>();
  private readonly changed = new Set<number>();
  private readonly pinnedCids = new Set<string>();
  private readonly ac = new AbortController();
  private running = 0;
  private readonly queue: (() => void)[] = [];
  private info: ContentInfo | undefined;

  constructor(o: ContentFetcherOptions) {
    this.o = { timeoutMs: 20_000, waitMs: 3_000, retryMs: 15_000, concurrency: 2, ...o };
    this.kind = o.content.kind;
    this.archive = o.archive;
  }

  /** Where the round's content came from, as the last fetch found it (undefined: not fetched yet). */
  source(id: number): RoundContentSource | undefined {
    return this.state.get(id);
  }

  /** Fetches the rounds' content, waiting at most `waitMs` (the fetches go on after that). */
  async prefetch(ids: number[]): Promise<void> {
    if (!ids.length) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(ids.map((id) => this.fetch(id, true))), new Promise<void>((r) => (timer = setTimeout(r, this.o.waitMs)))]);
    clearTimeout(timer);
    // a round whose fetch ended in time is derived right now: no need to derive it again for this fetch
    for (const id of ids) if (!this.inFlight.has(id) && !this.again.has(id)) this.changed.delete(id);
  }

  /** Rounds whose content changed since the last call (to be derived again). */
  takeChanged(): number[] {
    const out = [...this.changed];
    this.changed.clear();
    return out;
  }

  /** Starts again the fetches of rounds still missing content whose retry time has come (not awaited). */
  retry(): void {
    const now = Date.now();
    for (const [id, at] of this.retryAt) if (now >= at && !this.inFlight.has(id)) void this.fetch(id);
    void this.o.content
      .info()
      .then((i) => (this.info = i))
      .catch(() => undefined);
  }

  status(): ContentStatusView {
    let fetched = 0;
    for (const s of this.state.values()) if ([s.manifest, s.payloads, s.goldOpening].includes("fetched") || (s.outputs?.fetched ?? 0) > 0) fetched++;
    return {
      backend: this.kind,
      peerId: this.info?.peerId ?? null,
      addresses: this.info?.addresses ?? [],
      connectedPeers: this.info?.connectedPeers.length ?? 0,
      archive: this.archive,
      roundsFetched: fetched,
      roundsWaiting: this.retryAt.size,
    };
  }

  /**
   * Fetches a round's content (joins a fetch under way, and then fetches once more: new events may point further).
   * `urgent` (a round about to be derived) goes before the retries waiting for a slot.
   */
  fetch(id: number, urgent = false): Promise<void> {
    const running = this.inFlight.get(id);
    if (running) {
      let next = this.again.get(id);
      if (!next) {
        next = running.then(() => {
          this.again.delete(id);
          return this.fetch(id, urgent);
        });
        this.again.set(id, next);
      }
      return next;
    }
    const p = this.limited(() => this.fetchRound(id), urgent)
      .catch((e) => this.o.logger?.warn({ round_id: id, err: (e as Error).message }, "fetching the round's content failed; trying again later"))
      .finally(() => this.inFlight.delete(id));
    this.inFlight.set(id, p);
    return p;
  }

  /** Stops the fetches under way (their reads abort) and waits for them to end. */
  async close(): Promise<void> {
    this.ac.abort();
    await Promise.allSettled([...this.inFlight.values(), ...this.again.values()]);
  }

  private async limited<T>(fn: () => Promise<T>, urgent: boolean): Promise<T> {
    if (this.running >= this.o.concurrency) await new Promise<void>((r) => (urgent ? this.queue.unshift(r) : this.queue.push(r)));
    this.running++;
    try {
      return await fn();
    } finally {
      this.running--;
      this.queue.shift()?.();
    }
  }

  /** The last fetch's record of a round: in memory, else the one its derived row keeps (from before a restart). */
  private previous(id: number): RoundContentSource | undefined {
    const mem = this.state.get(id);
    if (mem) return mem;
    const row = this.o.db.prepare("SELECT data FROM rounds WHERE id = ?").get(id) as { data: string } | undefined;
    return row ? ((JSON.parse(row.data) as RoundRow).contentSource ?? undefined) : undefined;
  }

  private async fetchRound(id: number): Promise<void> {
    if (this.ac.signal.aborted) return;
    const { store, content, db } = this.o;
    const logs = roundLogs(db, id);
    const args = (l: { args: string }) => JSON.parse(l.args) as Args;
    const reg = logs.find((l) => l.contract === "settlement" && l.event === "TasksRegistered");
    if (!reg) {
      // no such round (any more: a reorganization dropped it): nothing to fetch or retry
      for (const m of [this.state, this.retryAt, this.misses]) m.delete(id);
      return;
    }
    const ra = args(reg);
    const r = { id: BigInt(id), taskRoot: ra.taskRoot as Hex, taskCount: Number(ra.taskCount) };
    const registrar = String(ra.registrar).toLowerCase();
    const until = Date.now() + this.o.timeoutMs;
    const read = () => ({ timeoutMs: Math.max(1, until - Date.now()), signal: this.ac.signal });
    const a: ContentAccess = { store, content };
    const notes: string[] = [];
    const before = this.previous(id);

    // the batch manifest, and the outputs it lists
    const manifestCid = ra.manifestCid as Hex;
    let manifest: Awaited<ReturnType<typeof manifestAt>> | undefined;
    let manifestSource: FetchSource;
    const hadManifest = !!store.getIndex("batch", r.taskRoot);
    if (!hadManifest && (!manifestCid || manifestCid === "0x")) manifestSource = "none";
    else {
      try {
        manifest = await manifestAt(a, r, manifestCid, read());
        manifestSource = hadManifest ? "store" : "fetched";
      } catch (e) {
        // not delivered yet: asked again later; anything else (not a manifest of this batch) is rejected for good
        manifestSource = e instanceof ContentUnavailable ? "unavailable" : "invalid";
        notes.push(`batch manifest: ${String((e as Error)?.message ?? e).split("\n")[0]}`);
      }
    }
    let outputs: RoundContentSource["outputs"] = null;
    let hashes: Hex[] = [];
    if (manifest) {
      hashes = [...new Set(manifest.tasks.map((t) => t.contentHash.toLowerCase() as Hex))];
      const lacking = hashes.filter((h) => !store.has(h)).length;
      const missing = lacking ? await fetchOutputs(a, manifest, read()) : [];
      outputs = { listed: hashes.length, fetched: (before?.outputs?.fetched ?? 0) + lacking - missing.length, missing: missing.length };
    }

    // the payload of every revealed settlement
    const revealed = new Map<Hex, Hex[]>();
    for (const l of logs) {
      if (l.contract !== "settlement" || l.event !== "SettlementRevealed") continue;
      const x = args(l);
      const h = x.settlementHash as Hex;
      revealed.set(h, [...(revealed.get(h) ?? []), x.payloadCid as Hex]);
    }
    const payloadSources: FetchSource[] = [];
    for (const [hash, pointers] of revealed) {
      const had = !!loadPayload(store, hash) || pointers.some((p) => storedPointer(store, p));
      const f = await payloadAt(a, hash, pointers, read());
      payloadSources.push(f ? (had ? "store" : "fetched") : "unavailable");
    }

    // the registrar's gold opening
    let goldSource: FetchSource = "none";
    const announced = logs.filter((l) => l.contract === "settlement" && l.event === "ContentAnnounced");
    if (!ZERO32.test(String(ra.goldCommitment))) {
      const pointers = announced.filter((l) => Number(args(l).kind) === 2 && String(args(l).relayer).toLowerCase() === registrar).map((l) => args(l).cid as Hex);
      if (pointers.length) {
        const had = pointers.some((p) => storedPointer(store, p));
        goldSource = (await goldOpeningAt(a, r.taskRoot, pointers, read(), { commitment: ra.goldCommitment as Hex })) ? (had ? "store" : "fetched") : "unavailable";
      }
    }

    // the archive: every CID the round points to on chain, and every output its manifest lists
    let pinned: RoundContentSource["pinned"] = null;
    if (this.archive) {
      const pointers = [manifestCid, ...[...revealed.values()].flat(), ...announced.map((l) => args(l).cid as Hex)];
      const cids = new Map<string, Hex | undefined>();
      for (const p of pointers) {
        const cid = p && p !== "0x" ? pointerCid(p) : undefined;
        if (cid) cids.set(cid, storedPointer(store, p));
      }
      for (const h of hashes) cids.set(cidOfKeccak(h), store.has(h) ? h : undefined);
      let missing = 0;
      for (const [cid, local] of cids) {
        try {
          await this.pin(cid as Cid, local, read());
        } catch (e) {
          if (!(e instanceof ContentError)) throw e;
          missing++;
        }
      }
      pinned = { cids: cids.size - missing, missing };
    }

    const now: RoundContentSource = {
      manifest: sticky(manifestSource, before?.manifest),
      outputs,
      payloads: sticky(combine(payloadSources), before?.payloads),
      goldOpening: sticky(goldSource, before?.goldOpening),
      pinned,
      note: notes.length ? notes.join("; ") : null,
    };
    if (this.ac.signal.aborted) return;
    this.state.set(id, now);
    const waiting = now.manifest === "unavailable" || now.payloads === "unavailable" || now.goldOpening === "unavailable" || (now.outputs?.missing ?? 0) > 0 || (now.pinned?.missing ?? 0) > 0;
    if (waiting) {
      // asked again after retryMs, doubling with each fetch in a row that left something missing, up to 40 times it
      const misses = (this.misses.get(id) ?? 0) + 1;
      this.misses.set(id, misses);
      this.retryAt.set(id, Date.now() + this.o.retryMs * Math.min(40, 2 ** (misses - 1)));
    } else {
      this.retryAt.delete(id);
      this.misses.delete(id);
    }
    if (JSON.stringify(now) !== JSON.stringify(before ?? null)) {
      this.changed.add(id);
      this.o.logger?.info({ round_id: id, manifest: now.manifest, outputs: now.outputs, payloads: now.payloads, gold_opening: now.goldOpening, pinned: now.pinned }, waiting ? "round content incomplete; trying again later" : "round content ready");
    }
  }

  /**
   * Pins one CID: from the store's bytes when it has them (the same bytes give the same CID), else fetched from peers
   * by the backend, every block checked.
   */
  private async pin(cid: Cid, local: Hex | undefined, read: { timeoutMs: number; signal: AbortSignal }): Promise<void> {
    if (this.pinnedCids.has(cid)) return;
    const { content, store } = this.o;
    if (!(await content.pinned(cid))) {
      let done = false;
      if (local) {
        const bytes = store.get(local);
        const put = isKeccakCid(cid) ? (await content.putOutput(bytes, { pin: true })).cid : await content.put(bytes, { pin: true });
        done = put === cid;
        if (!done) await content.unpin(put); // laid out otherwise than the publisher's: pin the CID itself below
      }
      if (!done) await content.pin(cid, read);
    }
    this.pinnedCids.add(cid);
  }
}
