import { erc20Abi, getAddress, type Address, type Block, type Hex, type Log, type PublicClient, type Transaction } from "viem";
import type { Deployment } from "../chain/deployment";
import { LOG_CHUNK } from "../chain/reader";
import { sleep } from "../chain/retry";
import type { ContentStore } from "../protocol/store";
import { ExplorerDb, SCHEMA_VERSION } from "./db";
import { addressesIn, Contracts, roundOf, txRecord, type Json } from "./contracts";
import { deriveRound, type DeriveContext, type RoundRow } from "./derive";
import type { ContentFetcher } from "./fetch";

const TRANSFER = erc20Abi.find((x) => x.type === "event" && x.name === "Transfer")!;

export type IndexerLogger = { info: (o: object, msg?: string) => void; warn: (o: object, msg?: string) => void };

export type IndexerOptions = {
  client: PublicClient;
  deployment: Deployment;
  db: ExplorerDb;
  /** The relayers' content store: batch manifests and settlement payloads (consensus, trust, rewards, proofs). */
  store?: ContentStore;
  /** With a content backend: fetches each round's content into `store` before the round is derived (fetch.ts). */
  fetcher?: ContentFetcher;
  /** Blocks below the head that must exist before a block is indexed (0: index the head). */
  confirmations: number;
  /** First block to index (the deployment block). */
  fromBlock: bigint;
  /** Largest block span per eth_getLogs request. */
  chunk?: bigint;
  logger?: IndexerLogger;
};

export type SyncResult = {
  /** Last indexed block (undefined when nothing is indexed yet). */
  indexedBlock?: number;
  headBlock: number;
  newLogs: number;
  /** Set when a reorganization was found: the rows above `forkBlock` were dropped and re-indexed. */
  reorg?: { forkBlock: number; droppedFrom: number };
};

/** The reward token as its contract describes itself (read once, when the index is created). */
export type TokenInfo = { address: Address; name: string; symbol: string; decimals: number };

export type Indexer = {
  readonly db: ExplorerDb;
  readonly deployment: Deployment;
  readonly contracts: Contracts;
  readonly storeConfigured: boolean;
  readonly confirmations: number;
  /** Catches up to head − confirmations, after checking the last indexed block is still on the chain. */
  sync(): Promise<SyncResult>;
  /** Polls `sync` until the signal aborts; errors are reported and retried at the next poll. */
  run(p: { pollMs: number; signal: AbortSignal; onError?: (e: unknown) => void }): Promise<void>;
  token(): TokenInfo;
};

/** Rebuilds the index when it belongs to another chain, deployment, start block or schema. */
function checkIdentity(db: ExplorerDb, d: Deployment, fromBlock: bigint, logger?: IndexerLogger) {
  const identity = JSON.stringify({
    schema: SCHEMA_VERSION,
    chainId: d.chainId,
    settlement: d.settlement,
    vault: d.vault,
    distributor: d.distributor,
    token: d.token,
    config: d.config,
    challenges: d.challenges,
    timelock: d.timelock,
    fromBlock: fromBlock.toString(),
  });
  const was = db.getMeta("identity");
  if (was !== identity) {
    if (was) logger?.warn({ db: db.file }, "index belongs to another chain, deployment or start block: rebuilding it");
    db.reset();
    db.setMeta("identity", identity);
  }
}

/**
 * Follows the PoQ contracts' events into the SQLite index. The chain is the source of truth: the index holds blocks
 * up to head − confirmations, remembers the hash of every block it took logs from and of its checkpoint, and on each
 * poll checks that the checkpoint is still on the chain. On a mismatch it walks back to the newest stored block the
 * chain still has (the fork point), deletes every row above it, and indexes again from there.
 */
export async function createIndexer(o: IndexerOptions): Promise<Indexer> {
  const { client, db, store, fetcher } = o;
  const d: Deployment = { ...o.deployment, fromBlock: o.fromBlock };
  const contracts = new Contracts(d);
  const watched = contracts.watched();
  const chunk = o.chunk ?? LOG_CHUNK;
  const logger = o.logger;
  checkIdentity(db, d, o.fromBlock, logger);

  if (!db.getMeta("token")) {
    const read = <T>(functionName: "decimals" | "symbol" | "name", fallback: T) => client.readContract({ address: d.token, abi: erc20Abi, functionName }).catch(() => fallback);
    const [decimals, symbol, name] = await Promise.all([read("decimals", 18), read("symbol", "tokens"), read("name", "")]);
    db.setMeta("token", JSON.stringify({ address: d.token, name: String(name), symbol: String(symbol), decimals: Number(decimals) }));
  }
  const token = JSON.parse(db.getMeta("token")!) as TokenInfo;

  const ctx: DeriveContext = { db, client, deployment: d, store, assignmentCache: new Map(), contentSource: fetcher ? (id) => fetcher.source(id) : undefined, log: logger ? (x, m) => logger.info(x, m) : undefined };
  const first = Number(o.fromBlock);

  async function hashAt(n: number): Promise<{ hash: Hex; timestamp: number } | undefined> {
    try {
      const b = await client.getBlock({ blockNumber: BigInt(n) });
      return b.hash ? { hash: b.hash, timestamp: Number(b.timestamp) } : undefined;
    } catch (e) {
      if (/not found|could not be found/i.test(String((e as Error).message))) return undefined;
      throw e;
    }
  }

  /**
   * The newest stored block that is still on the chain (undefined: none). Block hashes chain, so the stored blocks
   * that still match form a prefix: the newest few are checked one by one (reorganizations are shallow), the rest
   * by binary search, so even a restarted local chain costs a handful of requests.
   */
  async function findFork(below: number): Promise<{ number: number; hash: string; timestamp: number } | undefined> {
    const rows = db.prepare("SELECT number, hash, timestamp FROM blocks WHERE number <= ? ORDER BY number").all(below) as { number: number; hash: string; timestamp: number }[];
    const matches = async (i: number) => (await hashAt(rows[i].number))?.hash === rows[i].hash;
    let hi = rows.length - 1;
    for (let n = 0; n < 8 && hi >= 0; n++, hi--) if (await matches(hi)) return rows[hi];
    let lo = 0;
    let best = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (await matches(mid)) {
        best = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return best >= 0 ? rows[best] : undefined;
  }

  async function checkReorg(headNumber: number, head: { timestamp: number; observedAt: number }): Promise<SyncResult["reorg"]> {
    const s = db.getSync();
    if (!s) return undefined;
    const b = await hashAt(s.blockNumber);
    if (b && b.hash === s.blockHash) return undefined;
    const fork = await findFork(s.blockNumber);
    const forkBlock = fork ? fork.number : first - 1;
    db.tx(() => {
      db.markDirty(db.roundsAbove(forkBlock));
      db.deleteAbove(forkBlock);
      if (fork) db.setSync({ blockNumber: fork.number, blockHash: fork.hash, blockTimestamp: fork.timestamp, headNumber, headTimestamp: head.timestamp, observedAt: head.observedAt });
      else db.clearSync();
    });
    logger?.warn({ fork_block: forkBlock, dropped_from: forkBlock + 1, checkpoint: s.blockNumber }, "reorganization: dropped rows above the fork point, re-indexing");
    return { forkBlock, droppedFrom: forkBlock + 1 };
  }

  /** Runs `fn` over `items`, at most `limit` at a time, keeping the order. */
  async function mapLimit<T, R>(items: T[], limit: number, fn: (x: T) => Promise<R>): Promise<R[]> {
    const out: R[] = new Array(items.length);
    let next = 0;
    const worker = async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]);
      }
    };
    await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
    return out;
  }

  /**
   * The revert data of a failed transaction, by replaying its call on the state before its block (the chain keeps
   * no revert reason). Null when the replay does not revert (the state differed) or the node cannot replay it.
   */
  async function revertOf(tx: Transaction): Promise<Hex | null> {
    try {
      await client.call({ account: tx.from, to: tx.to, data: tx.input, value: tx.value, gas: tx.gas, blockNumber: tx.blockNumber! - 1n });
      return null;
    } catch (e) {
      for (let c: unknown = e; c && typeof c === "object"; c = (c as { cause?: unknown }).cause) {
        const data = (c as { data?: unknown }).data;
        if (typeof data === "string" && /^0x[0-9a-fA-F]*$/.test(data)) return data as Hex;
        const inner = (data as { data?: unknown } | undefined)?.data;
        if (typeof inner === "string" && /^0x[0-9a-fA-F]*$/.test(inner)) return inner as Hex;
      }
      return "0x";
    }
  }

  /** Index rows of transactions: the decoded call, the receipt (status, gas, fee, every event) and the revert data. */
  async function fetchTxs(txs: Transaction[]) {
    return mapLimit(txs, 8, async (tx) => {
      const rc = await client.getTransactionReceipt({ hash: tx.hash });
      return txRecord(contracts, tx, rc, rc.status === "reverted" ? await revertOf(tx) : undefined);
    });
  }

  async function indexRange(from: number, to: number, headNumber: number, head: { timestamp: number; observedAt: number }): Promise<number> {
    // Every block, with its transactions: the checkpoint, the blocks feed, and the transactions sent to the project's
    // contracts (failed ones emit no event). Read before the logs: a reorganization after this read shows as a log
    // from another block (refused below) or is caught at the next poll.
    const numbers = Array.from({ length: to - from + 1 }, (_, i) => from + i);
    const blocks = (await mapLimit(numbers, 8, (n) => client.getBlock({ blockNumber: BigInt(n), includeTransactions: true }))) as Block<bigint, true>[];
    const hashOf = new Map(blocks.map((b) => [Number(b.number), b.hash!]));
    const checkpoint = blocks[blocks.length - 1];
    const range = { fromBlock: BigInt(from), toBlock: BigInt(to) };
    const [logs, transferLogs] = await Promise.all([
      client.getLogs({ address: contracts.indexed(), ...range }) as Promise<Log<bigint, number, false>[]>,
      client.getLogs({ address: d.token, event: TRANSFER, ...range }) as Promise<Log<bigint, number, false>[]>,
    ]);
    for (const l of [...logs, ...transferLogs]) {
      if (hashOf.get(Number(l.blockNumber)) !== l.blockHash) throw new Error(`logs of block ${l.blockNumber} come from another block (reorganization in progress)`);
    }
    const emitting = new Set(logs.map((l) => l.transactionHash));
    const selected = blocks.flatMap((b) => b.transactions.filter((t) => (t.to && watched.has(t.to.toLowerCase())) || emitting.has(t.hash)));
    const txs = await fetchTxs(selected);
    const dirty = new Set<number>();
    db.tx(() => {
      const insBlock = db.prepare("INSERT OR REPLACE INTO blocks (number, hash, timestamp, tx_count, gas_used, gas_limit, base_fee, miner) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
      for (const b of blocks) insBlock.run(Number(b.number), b.hash, Number(b.timestamp), b.transactions.length, b.gasUsed.toString(), b.gasLimit.toString(), b.baseFeePerGas?.toString() ?? null, getAddress(b.miner));
      const insLog = db.prepare("INSERT OR REPLACE INTO logs (block_number, log_index, tx_hash, tx_index, contract, event, round_id, args) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
      const insAcc = db.prepare("INSERT OR IGNORE INTO log_accounts (address, block_number, log_index) VALUES (?, ?, ?)");
      // A claim pays under the root of the last RootUpdated before it (logs are inserted in chain order).
      const rootBefore = db.prepare(
        "SELECT round_id FROM logs WHERE contract = 'distributor' AND event = 'RootUpdated' AND (block_number < ? OR (block_number = ? AND log_index < ?)) ORDER BY block_number DESC, log_index DESC LIMIT 1",
      );
      const challengeRound = db.prepare("SELECT round_id FROM logs WHERE contract = 'challenges' AND event = 'ChallengeOpened' AND json_extract(args, '$.challengeId') = ?");
      for (const l of logs) {
        const dec = contracts.decodeLog(l);
        const args: Record<string, Json> = dec?.args ?? { topics: [...l.topics], data: l.data };
        if (dec?.contract === "distributor" && dec.name === "Claimed") {
          const r = rootBefore.get(Number(l.blockNumber), Number(l.blockNumber), l.logIndex) as { round_id: number } | undefined;
          if (r) args.roundId = String(r.round_id);
        }
        // A challenge's later events name only the challenge: they belong to the round it was opened against.
        if (dec?.contract === "challenges" && args.roundId === undefined && typeof args.challengeId === "string") {
          const r = challengeRound.get(args.challengeId) as { round_id: number } | undefined;
          if (r) args.roundId = String(r.round_id);
        }
        const round = dec ? roundOf(args) : null;
        insLog.run(Number(l.blockNumber), l.logIndex, l.transactionHash, l.transactionIndex, dec?.contract ?? contracts.nameOf(l.address) ?? "unknown", dec?.name ?? "Unknown", round, JSON.stringify(args));
        for (const a of addressesIn(args)) insAcc.run(a, Number(l.blockNumber), l.logIndex);
        if (round !== null) dirty.add(round);
      }
      const insTransfer = db.prepare("INSERT OR REPLACE INTO transfers (block_number, log_index, tx_hash, from_address, to_address, value) VALUES (?, ?, ?, ?, ?, ?)");
      for (const l of transferLogs) {
        const dec = contracts.decodeLog(l);
        if (!dec || dec.name !== "Transfer") continue;
        const [from, to, value] = [String(dec.args.from), String(dec.args.to), BigInt(String(dec.args.value))];
        insTransfer.run(Number(l.blockNumber), l.logIndex, l.transactionHash, from, to, value.toString());
        db.applyTransfer(from, to, value);
      }
      const insTx = db.prepare(
        "INSERT OR REPLACE INTO txs (hash, block_number, tx_index, from_address, to_address, value, nonce, input, function, args, status, gas_limit, gas_used, gas_price, type, events, revert) VALUES (@hash, @block_number, @tx_index, @from_address, @to_address, @value, @nonce, @input, @function, @args, @status, @gas_limit, @gas_used, @gas_price, @type, @events, @revert)",
      );
      for (const t of txs) insTx.run(t);
      db.markDirty(dirty);
      db.setSync({ blockNumber: to, blockHash: checkpoint.hash!, blockTimestamp: Number(checkpoint.timestamp), headNumber, headTimestamp: head.timestamp, observedAt: head.observedAt });
    });
    return logs.length;
  }

  /** Rounds whose manifest or payload the store did not have: indexed again once it does. */
  function waitingForContent() {
    if (!store) return;
    const rows = db.db
      .prepare("SELECT data FROM rounds WHERE json_extract(data, '$.manifest') = 'missing' OR json_extract(data, '$.payload') = 'missing'")
      .all() as { data: string }[];
    for (const { data } of rows) {
      const r = JSON.parse(data) as RoundRow;
      const manifestNow = r.manifest === "missing" && store.getIndex("batch", r.taskRoot) !== undefined;
      const payloadNow = r.payload === "missing" && r.settlementHash !== null && store.getIndex("settlement", r.settlementHash) !== undefined;
      if (manifestNow || payloadNow) db.markDirty([r.id]);
    }
  }

  /** Derives the rounds marked dirty; with a fetcher, after it brought their content (waiting for it a short while). */
  async function deriveDirty() {
    const ids = db.dirtyRounds();
    await fetcher?.prefetch(ids);
    for (const id of ids) await deriveRound(ctx, id);
  }

  async function sync(): Promise<SyncResult> {
    const latest = await client.getBlock({ blockTag: "latest" });
    const head = Number(latest.number);
    const seen = { timestamp: Number(latest.timestamp), observedAt: Date.now() };
    const reorg = await checkReorg(head, seen);
    const target = head - o.confirmations;
    let newLogs = 0;
    const s = db.getSync();
    let from = s ? s.blockNumber + 1 : first;
    while (from <= target) {
      const to = Math.min(from + Number(chunk) - 1, target);
      newLogs += await indexRange(from, to, head, seen);
      await deriveDirty();
      from = to + 1;
    }
    const now = db.getSync();
    if (now) db.setSync({ ...now, headNumber: head, headTimestamp: seen.timestamp, observedAt: seen.observedAt });
    waitingForContent();
    if (fetcher) {
      // content that arrived since (a fetch that outlived its wait, or a retry): derive the round again
      db.markDirty(fetcher.takeChanged());
      fetcher.retry();
    }
    await deriveDirty();
    if (newLogs > 0) logger?.info({ block: now?.blockNumber, head, new_logs: newLogs }, "indexed");
    return { indexedBlock: now?.blockNumber, headBlock: head, newLogs, reorg };
  }

  async function run(p: { pollMs: number; signal: AbortSignal; onError?: (e: unknown) => void }) {
    while (!p.signal.aborted) {
      try {
        await sync();
      } catch (e) {
        if (p.signal.aborted) break;
        p.onError?.(e);
      }
      try {
        await sleep(p.pollMs, p.signal);
      } catch {
        break;
      }
    }
  }

  return { db, deployment: d, contracts, storeConfigured: !!store, confirmations: o.confirmations, sync, run, token: () => token };
}

export type { Address };
