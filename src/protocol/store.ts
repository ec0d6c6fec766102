import fs from "node:fs";
import path from "node:path";
import { keccak256, toBytes, type Hex } from "viem";

// The content error and the canonical JSON are pure (src/protocol/canonical.ts), so the formats use them too.
export { canonicalJson, ContentError } from "./canonical";
import { canonicalJson, ContentError } from "./canonical";

/**
 * Content-addressed store: a local folder by default (shared by the agents of one machine; on several machines a
 * shared mount or any content-addressed network store behind the same interface). Objects are named by the keccak256
 * of their bytes, so every read is checked: nobody can swap an output, a batch manifest or a settlement payload.
 *
 * Layout: `objects/<hash>` (immutable content), `pending/<node>/<hash>` (outputs waiting for a batch),
 * `index/<kind>/<key>` (small pointers, e.g. a settlement hash to its payload).
 */
export class ContentStore {
  readonly dir: string;
  constructor(dir: string) {
    this.dir = path.resolve(dir);
    for (const sub of ["objects", "pending", "index"]) fs.mkdirSync(path.join(this.dir, sub), { recursive: true });
  }

  /** Stores bytes (a string is stored as UTF-8) and returns their hash. Idempotent and atomic. */
  put(content: string | Uint8Array): Hex {
    const bytes = typeof content === "string" ? toBytes(content) : content;
    const hash = keccak256(bytes);
    const file = this.objectPath(hash);
    if (!fs.existsSync(file)) writeAtomic(file, bytes);
    return hash;
  }

  /** Stores a JSON value in canonical form (sorted keys, bigints as decimal strings). */
  putJson(value: unknown): Hex {
    return this.put(canonicalJson(value));
  }

  has(hash: Hex): boolean {
    return fs.existsSync(this.objectPath(hash));
  }

  /**
   * Deletes an object; true when it was there. The daemons never remove content: this is a lost disk, for the fault
   * campaign (scripts/faults/campaign.ts).
   */
  remove(hash: Hex): boolean {
    const file = this.objectPath(hash);
    if (!fs.existsSync(file)) return false;
    fs.rmSync(file, { force: true });
    return true;
  }

  /** Reads and verifies an object. Throws ContentError if it is missing or its bytes do not match the hash. */
  get(hash: Hex): Uint8Array {
    const file = this.objectPath(hash);
    let bytes: Uint8Array;
    try {
      bytes = fs.readFileSync(file);
    } catch {
      throw new ContentError(`content ${hash} is not in the store (${this.dir})`);
    }
    const actual = keccak256(bytes);
    if (actual !== hash.toLowerCase()) throw new ContentError(`content ${hash} does not match its hash (found ${actual}): the store was tampered with`);
    return bytes;
  }

  getText(hash: Hex): string {
    return Buffer.from(this.get(hash)).toString("utf8");
  }

  getJson<T>(hash: Hex): T {
    try {
      return JSON.parse(this.getText(hash)) as T;
    } catch (e) {
      if (e instanceof ContentError) throw e;
      throw new ContentError(`content ${hash} is not valid JSON`);
    }
  }

  /** Sets a small named pointer (e.g. kind "settlement", key = settlement hash, value = payload hash). */
  setIndex(kind: string, key: string, value: string): void {
    writeAtomic(path.join(this.dir, "index", safe(kind), safe(key)), Buffer.from(value, "utf8"));
  }

  getIndex(kind: string, key: string): string | undefined {
    try {
      return fs.readFileSync(path.join(this.dir, "index", safe(kind), safe(key)), "utf8");
    } catch {
      return undefined;
    }
  }

  /** Marks an output of `node` as waiting for a batch. */
  addPending(node: string, hash: Hex): void {
    writeAtomic(path.join(this.dir, "pending", safe(node.toLowerCase()), hash.toLowerCase()), new Uint8Array());
  }

  /** All pending outputs: node address (lowercase) to content hashes, sorted. */
  listPending(): Map<string, Hex[]> {
    const out = new Map<string, Hex[]>();
    const root = path.join(this.dir, "pending");
    for (const node of fs.readdirSync(root).sort()) {
      const hashes = fs
        .readdirSync(path.join(root, node))
        .filter((f) => /^0x[0-9a-f]{64}$/.test(f))
        .sort() as Hex[];
      if (hashes.length) out.set(node, hashes);
    }
    return out;
  }

  removePending(node: string, hash: Hex): void {
    fs.rmSync(path.join(this.dir, "pending", safe(node.toLowerCase()), hash.toLowerCase()), { force: true });
  }

  private objectPath(hash: Hex): string {
    if (!/^0x[0-9a-fA-F]{64}$/.test(hash)) throw new ContentError(`malformed content hash "${hash}"`);
    return path.join(this.dir, "objects", hash.toLowerCase());
  }
}

function safe(name: string): string {
  if (!/^[A-Za-z0-9._-]+$/.test(name)) throw new ContentError(`invalid store key "${name}"`);
  return name;
}

function writeAtomic(file: string, bytes: Uint8Array): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  fs.writeFileSync(tmp, bytes);
  fs.renameSync(tmp, file);
}
