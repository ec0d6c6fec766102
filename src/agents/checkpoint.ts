import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import type { Hex, PublicClient } from "viem";
import type { Deployment } from "../chain/deployment";

/**
 * A daemon's local checkpoint in SQLite. It is only a cache: every value can be rebuilt from chain events and the
 * content store, so deleting the file loses nothing but time. Writes are synchronous (WAL), so a value set before a
 * transaction is sent survives a SIGKILL right after.
 */
export class Checkpoint {
  private readonly db: Database.Database;
  private readonly getStmt: Database.Statement<[string], { value: string }>;
  private readonly setStmt: Database.Statement<[string, string]>;

  constructor(file: string) {
    if (file !== ":memory:") fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    this.db = new Database(file);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = FULL");
    this.db.exec("CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
    this.getStmt = this.db.prepare("SELECT value FROM kv WHERE key = ?");
    this.setStmt = this.db.prepare("INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value");
  }

  get(key: string): string | undefined {
    return this.getStmt.get(key)?.value;
  }

  set(key: string, value: string): void {
    this.setStmt.run(key, value);
  }

  /** Sets several values in one transaction: all of them survive a crash, or none. */
  setMany(rows: readonly (readonly [string, string])[]): void {
    this.db.transaction(() => {
      for (const [k, v] of rows) this.setStmt.run(k, v);
    })();
  }

  /** Forgets one value. */
  delete(key: string): void {
    this.db.prepare("DELETE FROM kv WHERE key = ?").run(key);
  }

  /** Every stored value whose key starts with `prefix`, in key order. */
  entries(prefix: string): [string, string][] {
    const rows = this.db.prepare("SELECT key, value FROM kv WHERE substr(key, 1, ?) = ? ORDER BY key").all(prefix.length, prefix) as { key: string; value: string }[];
    return rows.map((r) => [r.key, r.value]);
  }

  /** True when nothing is stored. */
  isEmpty(): boolean {
    return (this.db.prepare("SELECT COUNT(*) AS n FROM kv").get() as { n: number }).n === 0;
  }

  /** Forgets every stored value. */
  clear(): void {
    this.db.exec("DELETE FROM kv");
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

/** The deployment a checkpoint belongs to: the chain id and every contract address. */
export function chainBinding(chainId: number, d: Deployment): string {
  return [chainId, d.token, d.vault, d.distributor, d.settlement, d.config, d.challenges, d.timelock].map((x) => String(x).toLowerCase()).join(":");
}

const BINDING = "chain_binding";
const ANCHOR = "chain_anchor";

/**
 * Opens the checkpoint `file` of an agent bound to one chain and deployment. The file records the chain id, the
 * contract addresses and a block it has seen (number and hash). When the file belongs to another chain or
 * deployment, or that block is gone or different (the node was restarted, even with the same chain id and the same
 * deterministic addresses), its values would describe a chain that no longer exists: the checkpoint is emptied,
 * a warning names the file and the agent starts fresh (every value can be rebuilt from the chain).
 */
export async function openBoundCheckpoint(
  file: string,
  p: { client: PublicClient; chainId: number; deployment: Deployment; log?: { warn: (o: object, msg: string) => void } },
): Promise<{ checkpoint: Checkpoint; reset?: string }> {
  const checkpoint = new Checkpoint(file);
  const binding = chainBinding(p.chainId, p.deployment);
  const stored = checkpoint.get(BINDING);
  const anchor = checkpoint.get(ANCHOR);
  let reset: string | undefined;
  if (stored !== undefined && stored !== binding) reset = "another chain or deployment";
  else if (stored === undefined && !checkpoint.isEmpty()) reset = "an unknown chain (written before checkpoints were bound to a chain)";
  else if (anchor !== undefined) {
    const a = JSON.parse(anchor) as { number: string; hash: Hex };
    const block = await p.client.getBlock({ blockNumber: BigInt(a.number) }).catch((e: unknown) => {
      if ((e as { name?: string })?.name === "BlockNotFoundError") return undefined;
      throw e;
    });
    if (!block || block.hash !== a.hash) reset = `an earlier run of the chain (block ${a.number} is ${block ? "different" : "gone"}: the node was restarted)`;
  }
  if (reset) {
    checkpoint.clear();
    p.log?.warn({ file, reason: reset }, `checkpoint ${file} belongs to ${reset}; starting fresh`);
  }
  const latest = await p.client.getBlock({ blockTag: "latest" });
  checkpoint.set(BINDING, binding);
  checkpoint.set(ANCHOR, JSON.stringify({ number: String(latest.number), hash: latest.hash }));
  return { checkpoint, reset };
}
