import { erc20Abi, getAddress, type Address, type Hex, type PublicClient } from "viem";
import type { Deployment } from "../chain/deployment";
import type { ContentStore } from "../protocol/store";
import type { ContentStatusView } from "./fetch";
import { PoqError } from "../errors";
import type { Contracts, Json } from "./contracts";
import type { ExplorerDb } from "./db";
import { durationText } from "./format";
import type { TokenInfo } from "./indexer";
import { enumName, EVENTS, handlerOf, hint, TAG_ORDER } from "./protocol";
import { eth, presentArgs, timeValue, tokenAmount, type Amount, type Eth, type Field, type Part, type Presenter, type Value } from "./values";

/** What every page and API answer reads: the index, the deployment, the token, and the caches of one explorer. */
export type ExplorerContext = {
  db: ExplorerDb;
  deployment: Deployment;
  contracts: Contracts;
  token: TokenInfo;
  storeConfigured: boolean;
  /** The content store, for task outputs (checked against their content hash). */
  store?: ContentStore;
  /** With a content backend: what the status shows of it (fetch.ts). */
  contentStatus?: () => ContentStatusView;
  confirmations: number;
  /** When set: balances and total supply are read live (cached per block), and transactions the index does not hold are looked up. */
  client?: PublicClient;
  /** Name tags from the labels file (they win over the tags the explorer derives). */
  labels: Map<Address, string>;
  cache: ExplorerCache;
  /** Wall clock in ms (tests pass their own). */
  now?: () => number;
};

/** Something well-formed that the index does not hold: HTTP 404. Malformed input is an InputError: HTTP 400. */
export class NotFoundError extends PoqError {
  override name = "NotFoundError";
}

/** Per-block caches: name tags (rebuilt when the index moves on) and live reads (balances, supply) at that block. */
export class ExplorerCache {
  private block = -1;
  private tagsValue: Tags | undefined;
  private reads = new Map<string, Promise<unknown>>();

  at(block: number): this {
    if (block !== this.block) {
      this.block = block;
      this.tagsValue = undefined;
      this.reads.clear();
    }
    return this;
  }

  tags(make: () => Tags): Tags {
    return (this.tagsValue ??= make());
  }

  read<T>(key: string, make: () => Promise<T>): Promise<T> {
    let p = this.reads.get(key) as Promise<T> | undefined;
    if (!p) {
      if (this.reads.size > 5_000) this.reads.clear();
      this.reads.set(key, (p = make()));
      p.catch(() => this.reads.delete(key));
    }
    return p;
  }
}

export function makeContext(o: Omit<ExplorerContext, "cache" | "labels"> & { labels?: Map<Address, string> }): ExplorerContext {
  return { ...o, labels: o.labels ?? new Map(), cache: new ExplorerCache() };
}

/** The last indexed block (the block every page is "as of"). */
export function indexedBlock(ctx: ExplorerContext): { block: number | null; time: number | null } {
  const s = ctx.db.getSync();
  return { block: s?.blockNumber ?? null, time: s?.blockTimestamp ?? null };
}

/** Chain time of the index: phases are read at the last indexed block. */
export function indexedTime(ctx: ExplorerContext): number {
  return ctx.db.getSync()?.blockTimestamp ?? 0;
}

/**
 * The chain's current time, estimated: the newest block's time plus the wall-clock time since the explorer saw it
 * (so local chains whose clock was moved ahead count down correctly too), never before the indexed block.
 */
export function chainNow(ctx: ExplorerContext): number {
  const s = ctx.db.getSync();
  if (!s) return Math.floor((ctx.now?.() ?? Date.now()) / 1000);
  const elapsed = Math.max(0, ((ctx.now?.() ?? Date.now()) - s.observedAt) / 1000);
  return Math.max(s.blockTimestamp, Math.floor(s.headTimestamp + elapsed));
}

/** A deadline as a countdown: when, how long from now, and a sentence that reads without JavaScript. */
export type Countdown = { what: string; at: Value; secondsLeft: number; text: string; estimatedNow: number };

export function countdown(ctx: ExplorerContext, what: string, at: number): Countdown {
  const now = chainNow(ctx);
  const left = at - now;
  return {
    what,
    at: timeValue(at),
    secondsLeft: left,
    text: left > 0 ? `in ${durationText(left)}` : "passed; the next block moves it on",
    estimatedNow: now,
  };
}

/* NAME TAGS */

export type Tags = { tagOf: (a: Address) => string | null; rolesOf: (a: Address) => string[] };

const NUMBERED = new Set(["Relayer", "Evaluator", "Inference node"]);

/**
 * Name tags: the labels file first, then the deployment's contracts, then the roles the contracts' events give
 * (owner, guardian, relayers numbered by their permanent id, funder, slash recipient, evaluators and inference nodes
 * numbered in the order they appeared, challengers). Recomputed once per indexed block.
 */
export function tags(ctx: ExplorerContext): Tags {
  const s = ctx.db.getSync();
  return ctx.cache.at(s?.blockNumber ?? -1).tags(() => {
    const tagged = ["OwnershipTransferred", ...new Set(Object.entries(EVENTS).flatMap(([key, h]) => (h.tags ? [key.split(":")[1]] : [])))];
    const rows = ctx.db
      .prepare(`SELECT contract, event, args FROM logs WHERE event IN (${tagged.map(() => "?").join(", ")}) ORDER BY block_number, log_index`)
      .all(...tagged) as { contract: string; event: string; args: string }[];
    const roles = new Map<string, Set<string>>();
    const slots = new Map<string, { address: string; tag: string }>();
    const numbers = new Map<string, Map<string, number>>();
    const give = (address: string, tag: string, on: boolean, n?: number) => {
      const set = roles.get(address) ?? (roles.set(address, new Set()), roles.get(address)!);
      if (on) set.add(tag);
      else set.delete(tag);
      if (on && NUMBERED.has(tag)) {
        // Numbered by the event's own number (a relayer's permanent id), else in the order they appeared.
        const m = numbers.get(tag) ?? (numbers.set(tag, new Map()), numbers.get(tag)!);
        if (!m.has(address)) m.set(address, n ?? m.size + 1);
      }
    };
    for (const r of rows) {
      for (const t of handlerOf(r.contract, r.event)?.tags?.(JSON.parse(r.args) as Record<string, Json>, r.contract) ?? []) {
        const address = getAddress(t.address);
        if (/^0x0{40}$/.test(address)) continue;
        if (t.slot) {
          const was = slots.get(t.slot);
          slots.set(t.slot, { address, tag: t.tag });
          // The previous holder keeps the tag only if another slot still gives it (e.g. owner of another contract).
          if (was && ![...slots.values()].some((x) => x.address === was.address && x.tag === was.tag)) give(was.address, was.tag, false);
        }
        give(address, t.tag, t.on, t.n);
      }
    }
    const named = (a: string, tag: string) => (NUMBERED.has(tag) ? `${tag} ${numbers.get(tag)?.get(a) ?? ""}`.trim() : tag);
    const rolesOf = (a: Address) => {
      const set = roles.get(a);
      return set ? TAG_ORDER.filter((t) => set.has(t)).map((t) => named(a, t)) : [];
    };
    return {
      rolesOf,
      tagOf: (a) => {
        const label = ctx.labels.get(a);
        if (label !== undefined) return label;
        const c = ctx.contracts.nameOf(a);
        if (c) return ctx.contracts.list().find((x) => x.name === c)!.label;
        return rolesOf(a)[0] ?? null;
      },
    };
  });
}

/** How values are shown: the token, the name tags, the protocol's hints and enum names. */
export function presenter(ctx: ExplorerContext): Presenter {
  const t = tags(ctx);
  return { token: ctx.token, tagOf: t.tagOf, hint, enumName };
}

/* EVENTS */

/** An indexed event as pages and the API show it: a sentence and every argument, typed. */
export type EventView = { block: number; logIndex: number; time: number; tx: string; contract: string; event: string; summary: Part[]; args: Field[] };

export type LogRow = { block_number: number; log_index: number; tx_hash: Hex; tx_index: number; contract: string; event: string; round_id: number | null; args: string };

export function blockTime(db: ExplorerDb, block: number): number {
  return (db.prepare("SELECT timestamp FROM blocks WHERE number = ?").get(block) as { timestamp: number } | undefined)?.timestamp ?? 0;
}

export function eventView(ctx: ExplorerContext, p: Presenter, l: LogRow): EventView {
  const args = JSON.parse(l.args) as Record<string, Json>;
  const scope = `${l.contract}:${l.event}`;
  return {
    block: l.block_number,
    logIndex: l.log_index,
    time: blockTime(ctx.db, l.block_number),
    tx: l.tx_hash,
    contract: l.contract,
    event: l.event,
    summary: handlerOf(l.contract, l.event)?.summary?.(args, p) ?? [],
    args: presentArgs(p, scope, ctx.contracts.eventInputs(l.contract, l.event), args),
  };
}

/* LIVE READS */

export type Balances = { block: number | null; eth: Eth | null; token: Amount | null; tokenFromTransfers: Amount; note: string | null };

/** ETH and token balances at the indexed block, read live once per block; the token balance the transfers give beside them. */
export async function balances(ctx: ExplorerContext, a: Address): Promise<Balances> {
  const block = ctx.db.getSync()?.blockNumber ?? null;
  const fromTransfers = tokenAmount(ctx.db.holderBalance(a), ctx.token.decimals);
  const client = ctx.client;
  if (!client || block === null) return { block, eth: null, token: null, tokenFromTransfers: fromTransfers, note: "no chain connection: live balances are not read" };
  try {
    const [wei, tok] = await ctx.cache.at(block).read(`balance:${a}`, () =>
      Promise.all([
        client.getBalance({ address: a, blockNumber: BigInt(block) }),
        client.readContract({ address: ctx.token.address, abi: erc20Abi, functionName: "balanceOf", args: [a], blockNumber: BigInt(block) }),
      ]),
    );
    return { block, eth: eth(wei), token: tokenAmount(tok, ctx.token.decimals), tokenFromTransfers: fromTransfers, note: null };
  } catch {
    return { block, eth: null, token: null, tokenFromTransfers: fromTransfers, note: `the node could not give the balances at block ${block}` };
  }
}
