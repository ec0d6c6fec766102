import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";

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

  close(): void {
    if (this.db.open) this.db.close();
  }
}
