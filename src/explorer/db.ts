import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";

/**
 * The explorer's embedded SQLite index. It is a cache of the chain (and of the relayers' published payloads): every
 * row can be rebuilt from them, so deleting the file loses nothing but time.
 *
 * Tables fall in three groups:
 * - raw facts, keyed by block: `blocks` (every block from the start block: hash, time, gas, transaction count),
 *   `logs` (decoded events of the project's contracts), `log_accounts` (which addresses each log names), `txs`
 *   (every transaction sent to a project contract, failed ones included, and every transaction that emitted a
 *   project event: status, gas, fee, decoded call, every event of the receipt, the revert reason),
 *   `transfers` (the token's Transfer events). A reorganization deletes the rows above the fork point.
 * - derived from the transfers: `holders` (token balance per address), kept up to date as transfers are indexed.
 * - derived, rebuilt per round from the raw facts and the content store: `rounds`, `tasks`, `scores`,
 *   `trust`, `rewards`, `claims`.
 * - bookkeeping, not content: `meta` (what the index belongs to) and `sync` (the checkpoint).
 *
 * Rebuilding from scratch gives identical content in every content table ({@link ExplorerDb.dump}).
 */
export const SCHEMA_VERSION = "5";

const DDL = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sync (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  block_number INTEGER NOT NULL,
  block_hash TEXT NOT NULL,
  block_timestamp INTEGER NOT NULL,
  head_number INTEGER NOT NULL,
  head_timestamp INTEGER NOT NULL,
  observed_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS dirty_rounds (round_id INTEGER PRIMARY KEY);
CREATE TABLE IF NOT EXISTS blocks (
  number INTEGER PRIMARY KEY,
  hash TEXT NOT NULL,
  timestamp INTEGER NOT NULL,
  tx_count INTEGER NOT NULL,
  gas_used TEXT NOT NULL,
  gas_limit TEXT NOT NULL,
  base_fee TEXT,
  miner TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS blocks_time ON blocks (timestamp, number);
CREATE TABLE IF NOT EXISTS logs (
  block_number INTEGER NOT NULL,
  log_index INTEGER NOT NULL,
  tx_hash TEXT NOT NULL,
  tx_index INTEGER NOT NULL,
  contract TEXT NOT NULL,
  event TEXT NOT NULL,
  round_id INTEGER,
  args TEXT NOT NULL,
  PRIMARY KEY (block_number, log_index)
);
CREATE INDEX IF NOT EXISTS logs_round ON logs (round_id, block_number, log_index);
CREATE INDEX IF NOT EXISTS logs_event ON logs (event, block_number, log_index);
CREATE INDEX IF NOT EXISTS logs_tx ON logs (tx_hash);
CREATE TABLE IF NOT EXISTS log_accounts (
  address TEXT NOT NULL,
  block_number INTEGER NOT NULL,
  log_index INTEGER NOT NULL,
  PRIMARY KEY (address, block_number, log_index)
);
CREATE INDEX IF NOT EXISTS log_accounts_block ON log_accounts (block_number);
CREATE TABLE IF NOT EXISTS txs (
  hash TEXT PRIMARY KEY,
  block_number INTEGER NOT NULL,
  tx_index INTEGER NOT NULL,
  from_address TEXT NOT NULL,
  to_address TEXT,
  value TEXT NOT NULL,
  nonce INTEGER NOT NULL,
  input TEXT NOT NULL,
  function TEXT,
  args TEXT,
  status TEXT NOT NULL,
  gas_limit TEXT NOT NULL,
  gas_used TEXT NOT NULL,
  gas_price TEXT NOT NULL,
  type TEXT NOT NULL,
  events TEXT NOT NULL,
  revert TEXT
);
CREATE INDEX IF NOT EXISTS txs_block ON txs (block_number, tx_index);
CREATE INDEX IF NOT EXISTS txs_from ON txs (from_address, block_number, tx_index);
CREATE INDEX IF NOT EXISTS txs_to ON txs (to_address, block_number, tx_index);
CREATE TABLE IF NOT EXISTS transfers (
  block_number INTEGER NOT NULL,
  log_index INTEGER NOT NULL,
  tx_hash TEXT NOT NULL,
  from_address TEXT NOT NULL,
  to_address TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (block_number, log_index)
);
CREATE INDEX IF NOT EXISTS transfers_from ON transfers (from_address, block_number, log_index);
CREATE INDEX IF NOT EXISTS transfers_to ON transfers (to_address, block_number, log_index);
CREATE TABLE IF NOT EXISTS holders (
  address TEXT PRIMARY KEY,
  balance TEXT NOT NULL,
  sort_key TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS holders_sort ON holders (sort_key);
CREATE TABLE IF NOT EXISTS rounds (
  id INTEGER PRIMARY KEY,
  data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS tasks (
  round_id INTEGER NOT NULL,
  task_index INTEGER NOT NULL,
  node TEXT,
  model TEXT,
  content_hash TEXT,
  cost_units TEXT,
  consensus INTEGER,
  excluded INTEGER,
  gold INTEGER,
  PRIMARY KEY (round_id, task_index)
);
CREATE INDEX IF NOT EXISTS tasks_node ON tasks (node, round_id);
CREATE TABLE IF NOT EXISTS scores (
  round_id INTEGER NOT NULL,
  evaluator TEXT NOT NULL,
  task_indexes TEXT,
  scores TEXT NOT NULL,
  mean_score REAL,
  PRIMARY KEY (round_id, evaluator)
);
CREATE TABLE IF NOT EXISTS trust (
  round_id INTEGER NOT NULL,
  evaluator TEXT NOT NULL,
  trust_ppm INTEGER NOT NULL,
  low_streak INTEGER NOT NULL,
  PRIMARY KEY (round_id, evaluator)
);
CREATE INDEX IF NOT EXISTS trust_evaluator ON trust (evaluator, round_id);
CREATE TABLE IF NOT EXISTS rewards (
  round_id INTEGER NOT NULL,
  account TEXT NOT NULL,
  amount TEXT NOT NULL,
  PRIMARY KEY (round_id, account)
);
CREATE INDEX IF NOT EXISTS rewards_account ON rewards (account, round_id);
CREATE TABLE IF NOT EXISTS claims (
  round_id INTEGER NOT NULL,
  account TEXT NOT NULL,
  cumulative TEXT NOT NULL,
  leaf_index INTEGER NOT NULL,
  proof TEXT NOT NULL,
  PRIMARY KEY (round_id, account)
);
CREATE INDEX IF NOT EXISTS claims_account ON claims (account, round_id);
`;

/** Tables whose content must be identical after a rebuild from scratch, with their canonical order. */
export const CONTENT_TABLES: Record<string, string> = {
  blocks: "number",
  logs: "block_number, log_index",
  log_accounts: "address, block_number, log_index",
  txs: "hash",
  transfers: "block_number, log_index",
  holders: "address",
  rounds: "id",
  tasks: "round_id, task_index",
  scores: "round_id, evaluator",
  trust: "round_id, evaluator",
  rewards: "round_id, account",
  claims: "round_id, account",
};

const ZERO_ADDRESS = "0x0000000000000000000000000000000000000000";

/** Tables keyed by the block their rows came from: a reorganization deletes the rows above the fork point. */
const BLOCK_TABLES = ["blocks:number", "logs:block_number", "log_accounts:block_number", "txs:block_number", "transfers:block_number"];
const ROUND_TABLES = ["rounds:id", "tasks:round_id", "scores:round_id", "trust:round_id", "rewards:round_id", "claims:round_id"];

/**
 * The checkpoint: the last indexed (final) block, its hash and time; the chain head seen by the last poll, its time,
 * and when (Unix ms on this machine) it was seen, from which the chain's current time is estimated.
 */
export type SyncState = { blockNumber: number; blockHash: string; blockTimestamp: number; headNumber: number; headTimestamp: number; observedAt: number };

export class ExplorerDb {
  readonly db: Database.Database;
  readonly file: string;
  private readonly statements = new Map<string, Database.Statement>();

  constructor(file: string) {
    this.file = file;
    if (file !== ":memory:") fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    this.db = new Database(file);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = NORMAL");
    this.db.pragma("busy_timeout = 5000");
    // An index of another schema version is dropped whole (the identity check in the indexer then rebuilds it).
    if (this.db.pragma("user_version", { simple: true }) !== Number(SCHEMA_VERSION)) {
      const tables = this.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[];
      this.db.transaction(() => {
        for (const t of tables) this.db.exec(`DROP TABLE IF EXISTS "${t}"`);
        this.db.pragma(`user_version = ${Number(SCHEMA_VERSION)}`);
      })();
    }
    this.db.exec(DDL);
  }

  /** A prepared statement, compiled once per SQL text. */
  prepare(sql: string): Database.Statement {
    let st = this.statements.get(sql);
    if (!st) this.statements.set(sql, (st = this.db.prepare(sql)));
    return st;
  }

  getMeta(key: string): string | undefined {
    return (this.prepare("SELECT value FROM meta WHERE key = ?").get(key) as { value: string } | undefined)?.value;
  }

  setMeta(key: string, value: string): void {
    this.prepare("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value").run(key, value);
  }

  getSync(): SyncState | undefined {
    const r = this.prepare("SELECT * FROM sync WHERE id = 1").get() as
      | { block_number: number; block_hash: string; block_timestamp: number; head_number: number; head_timestamp: number; observed_at: number }
      | undefined;
    return (
      r && { blockNumber: r.block_number, blockHash: r.block_hash, blockTimestamp: r.block_timestamp, headNumber: r.head_number, headTimestamp: r.head_timestamp, observedAt: r.observed_at }
    );
  }

  setSync(s: SyncState): void {
    this.prepare("INSERT OR REPLACE INTO sync (id, block_number, block_hash, block_timestamp, head_number, head_timestamp, observed_at) VALUES (1, ?, ?, ?, ?, ?, ?)").run(
      s.blockNumber,
      s.blockHash,
      s.blockTimestamp,
      s.headNumber,
      s.headTimestamp,
      s.observedAt,
    );
  }

  clearSync(): void {
    this.prepare("DELETE FROM sync").run();
  }

  /** Deletes every indexed row (content and checkpoint); `meta` is kept. */
  reset(): void {
    this.tx(() => {
      for (const t of Object.keys(CONTENT_TABLES)) this.prepare(`DELETE FROM ${t}`).run();
      this.prepare("DELETE FROM dirty_rounds").run();
      this.clearSync();
    });
  }

  /** Round ids named by logs above `block`. */
  roundsAbove(block: number): number[] {
    return (this.prepare("SELECT DISTINCT round_id FROM logs WHERE block_number > ? AND round_id IS NOT NULL ORDER BY round_id").all(block) as { round_id: number }[]).map(
      (r) => r.round_id,
    );
  }

  /** Deletes the raw rows of blocks above `block` (a reorganization's fork point) and rebuilds the token balances they touched. */
  deleteAbove(block: number): void {
    const touched = this.prepare("SELECT from_address AS a FROM transfers WHERE block_number > ? UNION SELECT to_address FROM transfers WHERE block_number > ?")
      .all(block, block)
      .map((r) => (r as { a: string }).a);
    for (const spec of BLOCK_TABLES) {
      const [table, col] = spec.split(":");
      this.prepare(`DELETE FROM ${table} WHERE ${col} > ?`).run(block);
    }
    for (const a of touched) this.setHolder(a, this.transferBalance(a));
  }

  /** An address's token balance summed from the indexed transfers (exact: base units as bigint). */
  transferBalance(address: string): bigint {
    const sum = (sql: string) => (this.prepare(sql).all(address) as { value: string }[]).reduce((t, r) => t + BigInt(r.value), 0n);
    return sum("SELECT value FROM transfers WHERE to_address = ?") - sum("SELECT value FROM transfers WHERE from_address = ?");
  }

  /** Applies one transfer to the holders table (minting from and burning to the zero address are not holdings). */
  applyTransfer(from: string, to: string, value: bigint): void {
    if (from !== ZERO_ADDRESS) this.setHolder(from, this.holderBalance(from) - value);
    if (to !== ZERO_ADDRESS) this.setHolder(to, this.holderBalance(to) + value);
  }

  holderBalance(address: string): bigint {
    return BigInt((this.prepare("SELECT balance FROM holders WHERE address = ?").get(address) as { balance: string } | undefined)?.balance ?? "0");
  }

  private setHolder(address: string, balance: bigint): void {
    if (address === ZERO_ADDRESS || balance === 0n) this.prepare("DELETE FROM holders WHERE address = ?").run(address);
    // Sorted by balance through a fixed-width key: SQLite integers stop at 2^63, token balances do not.
    else this.prepare("INSERT OR REPLACE INTO holders (address, balance, sort_key) VALUES (?, ?, ?)").run(address, balance.toString(), balance.toString().padStart(80, "0"));
  }

  /** Marks rounds whose derived rows must be rebuilt (in the same transaction as the raw rows that changed them). */
  markDirty(roundIds: Iterable<number>): void {
    const st = this.prepare("INSERT OR IGNORE INTO dirty_rounds (round_id) VALUES (?)");
    for (const id of roundIds) st.run(id);
  }

  dirtyRounds(): number[] {
    return (this.prepare("SELECT round_id FROM dirty_rounds ORDER BY round_id").all() as { round_id: number }[]).map((r) => r.round_id);
  }

  clearDirty(roundId: number): void {
    this.prepare("DELETE FROM dirty_rounds WHERE round_id = ?").run(roundId);
  }

  /** Deletes the derived rows of one round. */
  deleteRound(roundId: number): void {
    for (const spec of ROUND_TABLES) {
      const [table, col] = spec.split(":");
      this.prepare(`DELETE FROM ${table} WHERE ${col} = ?`).run(roundId);
    }
  }

  tx<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  /** Every content table in canonical order, as text: equal dumps mean equal indexes. */
  dump(): string {
    const out: string[] = [];
    for (const [table, order] of Object.entries(CONTENT_TABLES)) {
      out.push(`# ${table}`);
      for (const row of this.prepare(`SELECT * FROM ${table} ORDER BY ${order}`).all()) out.push(JSON.stringify(row));
    }
    return out.join("\n");
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
