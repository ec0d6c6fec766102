/**
 * `HeliaContent`: an embedded IPFS node per daemon (Helia 7 on libp2p 3).
 *
 * - Stores: `<dir>/blocks` (FsBlockstore, one file per block) and `<dir>/datastore` (FsDatastore: the node's key, so
 *   its peer id survives restarts, pins and peer records). A folder is held by one node at a time (`<dir>/LOCK`):
 *   agents may share a process, never a node or a blockstore.
 * - Network: TCP on the `listen` multiaddrs (default 127.0.0.1, port 0), noise, yamux, identify, bitswap. No peer
 *   discovery, no DHT, no delegated routing, no mDNS, no HTTP gateways: the node talks only to the `peers` it is given
 *   (multiaddrs ending in /p2p/<peer id>), which it dials at start and re-dials whenever they drop, and to the peers
 *   that dial it. With `dial: "loopback"` (the default) a connection gater refuses every address outside 127.0.0.0/8
 *   and ::1; `onDial` sees every address libp2p is about to dial.
 * - Reads: a block not held locally is asked from every connected peer (bitswap) until the read's deadline; every
 *   block is checked against its CID (a local block that does not match is dropped, then refused).
 * - Pins: Helia's pins; `gc()` removes unpinned blocks.
 */
import fs from "node:fs";
import path from "node:path";
import type { Hex } from "viem";
import { InputError } from "../errors";
import { HASH_KECCAK_256, isKeccakCid, keccakDigest, outputCidOf, parseCid, type Cid } from "./cid";
import {
  ContentBase,
  ContentMalformed,
  ContentMismatch,
  ContentUnavailable,
  deadline,
  DEFAULT_TIMEOUT_MS,
  MAX_OUTPUT_BYTES,
  toBytes,
  type ContentInfo,
  type PutOptions,
  type ReadOptions,
} from "./content";
import { chunk, readDag } from "./dag";
import { loadHeliaModules } from "./esm";
import type { Helia } from "helia";
import type { Libp2p } from "@libp2p/interface";
import type { CID } from "multiformats/cid";

export type HeliaContentOptions = {
  /** The daemon's own folder: blocks in `<dir>/blocks`, the node's key and pins in `<dir>/datastore`. */
  dir: string;
  /** Multiaddrs to listen on (default `/ip4/127.0.0.1/tcp/0`: loopback, any free port). */
  listen?: string[];
  /** Multiaddrs to announce instead of the listen addresses (a public address behind NAT). */
  announce?: string[];
  /** Peers to keep connected: multiaddrs ending in /p2p/<peer id>. */
  peers?: string[];
  /** "loopback" (default): never dial outside 127.0.0.0/8 and ::1. "any": dial any address of a known peer. */
  dial?: "loopback" | "any";
  /** How often dropped peers are re-dialed (default 2,000 ms). */
  redialMs?: number;
  /** Default read deadline (default 30 s). */
  timeoutMs?: number;
  /** Called with every multiaddr libp2p is about to dial (tests assert on it). */
  onDial?: (addr: string) => void;
  /** Bitswap tuning (see `BITSWAP_DEFAULTS`). */
  bitswap?: Partial<typeof BITSWAP_DEFAULTS>;
  /**
   * Asked every `everyMs` for peer addresses to keep (e.g. the daemons named by URL, whose nodes may have come back
   * on another port). What it returns replaces what it returned before (a node it no longer names is no longer
   * re-dialed, an old port is dropped); the configured `peers` stay. A failure keeps the last answer until next time.
   */
  peerSource?: { resolve: () => Promise<string[]>; everyMs: number; initial?: string[] };
};

/** Bitswap settings: Helia's defaults except where noted in the bench (docs/operations.md). */
export const BITSWAP_DEFAULTS = {
  sendWantlistDebounce: 10,
  sendBlocksDebounce: 10,
};

type Node = Helia & { libp2p: Libp2p };
type Modules = Awaited<ReturnType<typeof loadHeliaModules>>;

/**
 * Block file names: blockstore-fs's own layout (base32 of the multihash, sharded by its next-to-last two characters),
 * but read back as a raw CIDv1 of that multihash. blockstore-fs reads a name back as a CIDv0, which only works for
 * sha2-256: listing the blocks (garbage collection) would fail on our keccak-256 outputs.
 */
function blockFileLayout(M: Modules) {
  return {
    extension: ".data",
    encode(cid: CID) {
      const str = M.base32upper.encoder.encode(cid.multihash.bytes);
      return { dir: str.substring(str.length - 2), file: `${str}.data` };
    },
    decode(file: string): CID {
      const name = path.basename(file, ".data");
      return M.CID.createV1(0x55, M.decodeDigest(M.base32upper.decoder.decode(name)));
    },
  };
}

/**
 * The file that holds `cid`'s block in the blockstore of the node whose folder is `dir`, whether or not it is there:
 * what a fault injector deletes to make a block disappear from a running node (the fault campaign).
 */
export async function blockFile(dir: string, cid: Cid): Promise<string> {
  const M = await loadHeliaModules();
  const { dir: shard, file } = blockFileLayout(M).encode(M.CID.parse(parseCid(cid)));
  return path.join(path.resolve(dir), "blocks", shard, file);
}

/** The loopback networks, as libp2p's connection manager takes them (its allow list). */
const LOOPBACK_NETS = ["/ip4/127.0.0.0/ipcidr/8", "/ip6/::1/ipcidr/128"];

const heldDirs = new Set<string>();

/** True for a multiaddr on the loopback interface. */
export function isLoopbackAddr(addr: string): boolean {
  return /^\/ip4\/127\.\d{1,3}\.\d{1,3}\.\d{1,3}(\/|$)/.test(addr) || /^\/ip6\/::1(\/|$)/.test(addr) || /^\/dns[46]?\/localhost(\/|$)/.test(addr);
}

function takeLock(dir: string): () => void {
  if (heldDirs.has(dir)) throw new InputError(`the content folder ${dir} is already used by another node in this process: each daemon needs its own folder`);
  const lock = path.join(dir, "LOCK");
  try {
    const pid = Number(fs.readFileSync(lock, "utf8"));
    if (pid && pid !== process.pid && alive(pid)) throw new InputError(`the content folder ${dir} is used by process ${pid}: each daemon needs its own folder`);
  } catch (e) {
    if (e instanceof InputError) throw e;
  }
  fs.writeFileSync(lock, String(process.pid));
  heldDirs.add(dir);
  return () => {
    heldDirs.delete(dir);
    fs.rmSync(lock, { force: true });
  };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

export class HeliaContent extends ContentBase {
  readonly kind = "helia" as const;
  readonly dir: string;
  readonly timeoutMs: number;
  private readonly node: Node;
  private readonly M: Modules;
  private blocks!: InstanceType<Modules["FsBlockstore"]>;
  /** Peers to keep connected: peer id to its multiaddrs (the configured ones, and the peer source's last answer). */
  private readonly peers = new Map<string, string[]>();
  /** The configured peers alone. */
  private readonly staticPeers = new Map<string, string[]>();
  /** The peer ids of the peer source's last answer. */
  private sourced = new Set<string>();
  private readonly dialing = new Set<string>();
  private readonly allowAddr: (addr: string) => boolean;
  private redialTimer?: NodeJS.Timeout;
  private refreshTimer?: NodeJS.Timeout;
  private releaseLock?: () => void;
  private closed = false;
  /** Puts and pins in progress, and the garbage collection running (see `guarded`). */
  private writes = 0;
  private writesDone?: () => void;
  private collecting?: Promise<void>;

  private constructor(o: { dir: string; timeoutMs: number; node: Node; M: HeliaContent["M"]; allowAddr: (addr: string) => boolean; releaseLock: () => void }) {
    super();
    this.dir = o.dir;
    this.timeoutMs = o.timeoutMs;
    this.node = o.node;
    this.M = o.M;
    this.allowAddr = o.allowAddr;
    this.releaseLock = o.releaseLock;
  }

  /** Starts a node on `o.dir` and dials its peers (without waiting for them: they are re-dialed until they answer). */
  static async open(o: HeliaContentOptions): Promise<HeliaContent> {
    const dir = path.resolve(o.dir);
    const dial = o.dial ?? "loopback";
    const allowAddr = dial === "loopback" ? isLoopbackAddr : () => true;
    const listen = o.listen ?? ["/ip4/127.0.0.1/tcp/0"];
    for (const a of [...listen, ...(o.peers ?? [])]) {
      if (dial === "loopback" && !isLoopbackAddr(a)) throw new InputError(`${a} is not a loopback address, and this node only dials loopback (set dial: "any" for a network of machines)`);
    }
    const M = await loadHeliaModules();
    const peers = parsePeers(M, o.peers ?? []);
    const initial = o.peerSource?.initial?.filter((a) => allowAddr(a)) ?? [];
    parsePeers(M, initial); // a bad address is refused before the node starts
    fs.mkdirSync(path.join(dir, "blocks"), { recursive: true });
    fs.mkdirSync(path.join(dir, "datastore"), { recursive: true });
    const releaseLock = takeLock(dir);
    let node: Node | undefined;
    let blocks: InstanceType<Modules["FsBlockstore"]>;
    try {
      const keccak = M.hasherFrom({ name: "keccak-256", code: HASH_KECCAK_256, encode: keccakDigest });
      blocks = new M.FsBlockstore(path.join(dir, "blocks"), { shardingStrategy: blockFileLayout(M) });
      const helia = M.createHeliaLight({
        blockstore: blocks,
        datastore: new M.FsDatastore(path.join(dir, "datastore")),
        hashers: [keccak],
      });
      const withNet = M.withLibp2pLight(helia, {
        addresses: { listen, announce: o.announce ?? [] },
        transports: [M.tcp()],
        connectionEncrypters: [M.noise()],
        streamMuxers: [M.yamux()],
        peerDiscovery: [],
        // libp2p limits inbound connections per remote host (5 a second, 10 pending): on loopback every peer is the
        // same host, so that limit would throttle the whole network (100 nodes re-dialing a restarted relayer took
        // 40 s to get back in). A loopback-only node exempts loopback peers from it.
        ...(dial === "loopback" ? { connectionManager: { allow: LOOPBACK_NETS } } : {}),
        services: { identify: M.identify() },
        connectionGater: {
          denyDialMultiaddr: async (ma) => {
            const a = ma.toString();
            o.onDial?.(a);
            return !allowAddr(a);
          },
        },
      });
      node = M.withBitswap(withNet, { ...BITSWAP_DEFAULTS, ...o.bitswap }) as unknown as Node;
      await node.start();
    } catch (e) {
      await node?.stop().catch(() => undefined);
      releaseLock();
      if (e instanceof InputError) throw e;
      throw new InputError(`could not start the IPFS node in ${dir}: ${(e as Error).message}`, { cause: e });
    }
    const c = new HeliaContent({ dir, timeoutMs: o.timeoutMs ?? DEFAULT_TIMEOUT_MS, node, M, allowAddr, releaseLock });
    c.blocks = blocks;
    for (const [id, addrs] of peers) {
      c.peers.set(id, addrs);
      c.staticPeers.set(id, addrs);
    }
    if (initial.length) c.takeSourced(initial);
    node.libp2p.addEventListener("peer:disconnect", (evt) => {
      const id = evt.detail.toString();
      if (c.peers.has(id)) setTimeout(() => void c.redial(id), 50).unref();
    });
    const redialMs = o.redialMs ?? 2_000;
    c.redialTimer = setInterval(() => void c.redialAll(), redialMs);
    c.redialTimer.unref();
    void c.redialAll();
    const source = o.peerSource;
    if (source) {
      let refreshing = false; // one refresh at a time: an older answer never lands after a newer one
      c.refreshTimer = setInterval(() => {
        if (refreshing) return;
        refreshing = true;
        void source
          .resolve()
          .then((addrs) => c.setSourcedPeers(addrs.filter((a) => allowAddr(a))))
          .catch(() => undefined)
          .finally(() => (refreshing = false));
      }, source.everyMs);
      c.refreshTimer.unref();
    }
    return c;
  }

  /** This node's peer id. */
  get peerId(): string {
    return this.node.libp2p.peerId.toString();
  }

  /** The multiaddrs others dial to reach this node (each ending in /p2p/<peer id>). */
  addresses(): string[] {
    return this.node.libp2p.getMultiaddrs().map((m) => m.toString());
  }

  /** Remote addresses of the open connections. */
  connections(): { peer: string; addr: string; direction: "inbound" | "outbound" }[] {
    return this.node.libp2p.getConnections().map((c) => ({ peer: c.remotePeer.toString(), addr: c.remoteAddr.toString(), direction: c.direction }));
  }

  /** Adds a peer to keep connected (e.g. an address the registrar published), as a configured one, and dials it. */
  async addPeer(addr: string): Promise<void> {
    if (!this.allowAddr(addr)) throw new InputError(`${addr} is not a loopback address, and this node only dials loopback`);
    for (const [id, addrs] of parsePeers(this.M, [addr])) {
      this.staticPeers.set(id, [...new Set([...(this.staticPeers.get(id) ?? []), ...addrs])]);
      this.peers.set(id, [...new Set([...(this.peers.get(id) ?? []), ...addrs])]);
    }
    await this.redialAll();
  }

  /**
   * The peer source's answer: these addresses replace the ones it gave before. Ids it no longer names are dropped
   * unless configured; an id's addresses are its configured ones and the answer's.
   */
  async setSourcedPeers(addrs: string[]): Promise<void> {
    this.takeSourced(addrs);
    await this.redialAll();
  }

  private takeSourced(addrs: string[]): void {
    const next = parsePeers(this.M, addrs);
    for (const id of this.sourced) {
      if (next.has(id)) continue;
      const fixed = this.staticPeers.get(id);
      if (fixed) this.peers.set(id, fixed);
      else this.peers.delete(id);
    }
    for (const [id, a] of next) this.peers.set(id, [...new Set([...(this.staticPeers.get(id) ?? []), ...a])]);
    this.sourced = new Set(next.keys());
  }

  /** Waits until every configured peer is connected (or throws after `timeoutMs`). */
  async waitForPeers(timeoutMs = 10_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const connected = new Set(this.node.libp2p.getPeers().map(String));
      const missing = [...this.peers.keys()].filter((p) => !connected.has(p));
      if (!missing.length) return;
      if (Date.now() > until) throw new ContentUnavailable("peers", "timeout", `peers ${missing.join(", ")} not connected within ${timeoutMs} ms`);
      await this.redialAll();
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  private async redialAll(): Promise<void> {
    await Promise.all([...this.peers.keys()].map((id) => this.redial(id)));
  }

  private async redial(id: string): Promise<void> {
    if (this.closed || this.dialing.has(id)) return;
    const addrs = this.peers.get(id);
    if (!addrs || this.node.libp2p.getPeers().some((p) => p.toString() === id)) return;
    this.dialing.add(id);
    try {
      await this.node.libp2p.dial(
        addrs.map((a) => this.M.multiaddr(a)),
        { signal: AbortSignal.timeout(5_000) },
      );
    } catch {
      // down or unreachable: the next round of re-dials tries again
    } finally {
      this.dialing.delete(id);
    }
  }

  private cidObject(cid: Cid): CID {
    return this.M.CID.parse(cid);
  }

  private async readBlock(cid: Cid, options: { signal?: AbortSignal; offline?: boolean }): Promise<Uint8Array> {
    const parts: Uint8Array[] = [];
    for await (const p of this.node.blockstore.get(this.cidObject(cid), options)) parts.push(p);
    return parts.length === 1 ? parts[0] : new Uint8Array(Buffer.concat(parts));
  }

  private async dropBlock(cid: Cid): Promise<void> {
    // straight from the files: Helia's own delete refuses pinned blocks, and a corrupt block is worthless pinned or not
    try {
      await this.blocks.delete(this.cidObject(cid));
    } catch {
      // already gone
    }
  }

  /**
   * Runs a put or a pin with no garbage collection in between: Helia's own lock covers each block operation, not
   * the put of a block and the pin that follows it, and a collection between them would delete the block (which,
   * for a node's own output, no peer holds). A collection waits for the writes in progress; new ones wait for it.
   */
  private async guarded<T>(fn: () => Promise<T>): Promise<T> {
    while (this.collecting) await this.collecting;
    this.writes++;
    try {
      return await fn();
    } finally {
      if (--this.writes === 0) this.writesDone?.();
    }
  }

  async putOutput(content: Uint8Array | string, options?: PutOptions): Promise<{ cid: Cid; hash: Hex }> {
    const bytes = toBytes(content);
    if (bytes.length > MAX_OUTPUT_BYTES) throw new InputError(`an output of ${bytes.length} bytes is larger than the ${MAX_OUTPUT_BYTES} allowed in one block`);
    const out = outputCidOf(bytes);
    return this.guarded(async () => {
      await this.node.blockstore.put(this.cidObject(out.cid), bytes);
      if (options?.pin) await this.pinNow(out.cid);
      return out;
    });
  }

  async put(content: Uint8Array | string, options?: PutOptions): Promise<Cid> {
    const { cid, blocks } = await chunk(toBytes(content));
    return this.guarded(async () => {
      for (const b of blocks) await this.node.blockstore.put(this.cidObject(b.cid), b.bytes);
      if (options?.pin) await this.pinNow(cid);
      return cid;
    });
  }

  async get(cid: Cid, options?: ReadOptions): Promise<Uint8Array> {
    const c = parseCid(cid);
    const d = deadline(c, options, this.timeoutMs);
    try {
      return await readDag(c, (b) => this.readBlock(b, { signal: d.signal }), { onMismatch: (b) => this.dropBlock(b) });
    } catch (e) {
      if (e instanceof ContentMismatch || e instanceof ContentMalformed) throw e;
      const reason = d.unavailable();
      if (reason) throw reason;
      throw new ContentUnavailable(c, "not-found", (e as Error).message, { cause: e });
    } finally {
      d.done();
    }
  }

  async has(cid: Cid): Promise<boolean> {
    const c = parseCid(cid);
    if (isKeccakCid(c)) {
      if (!(await this.node.blockstore.has(this.cidObject(c)))) return false;
    }
    try {
      await readDag(c, (b) => this.readBlock(b, { offline: true }), { onMismatch: (b) => this.dropBlock(b) });
      return true;
    } catch {
      return false;
    }
  }

  async pin(cid: Cid, options?: ReadOptions): Promise<void> {
    await this.guarded(() => this.pinNow(cid, options));
  }

  private async pinNow(cid: Cid, options?: ReadOptions): Promise<void> {
    const c = parseCid(cid);
    await this.get(c, options); // fetches what is missing, every block checked
    if (await this.pinned(c)) return;
    try {
      for await (const _ of this.node.pins.add(this.cidObject(c))) void _;
    } catch (e) {
      // Pinned meanwhile by another caller (the round's pins and a batch's pins may overlap): the pin is there.
      if ((e as Error).name !== "AlreadyPinnedError") throw e;
    }
  }

  async unpin(cid: Cid): Promise<void> {
    const c = parseCid(cid);
    if (!(await this.pinned(c))) return;
    for await (const _ of this.node.pins.rm(this.cidObject(c))) void _;
  }

  /** True when `cid` itself is pinned (not merely a block inside some other pinned DAG). */
  async pinned(cid: Cid): Promise<boolean> {
    try {
      await this.node.pins.get(this.cidObject(parseCid(cid)));
      return true;
    } catch {
      return false;
    }
  }

  /** Deletes every block that no pin keeps (after unpinning content past its horizon), between puts and pins. */
  async gc(): Promise<void> {
    while (this.collecting) await this.collecting;
    let finished!: () => void;
    this.collecting = new Promise<void>((r) => (finished = r));
    try {
      if (this.writes > 0) await new Promise<void>((r) => (this.writesDone = r));
      await this.node.gc();
    } finally {
      this.writesDone = undefined;
      this.collecting = undefined;
      finished();
    }
  }

  async info(): Promise<ContentInfo> {
    return { kind: "helia", peerId: this.peerId, addresses: this.addresses(), connectedPeers: this.node.libp2p.getPeers().map(String) };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.redialTimer);
    clearInterval(this.refreshTimer);
    try {
      await this.node.stop();
    } finally {
      this.releaseLock?.();
      this.releaseLock = undefined;
    }
  }
}

function parsePeers(M: Awaited<ReturnType<typeof loadHeliaModules>>, addrs: string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const a of addrs) {
    let id: string | undefined;
    try {
      id = M.multiaddr(a).getComponents()
        .filter((c) => c.name === "p2p")
        .pop()?.value;
    } catch (e) {
      throw new InputError(`peer address "${a}" is not a multiaddr: ${(e as Error).message}`);
    }
    if (!id) throw new InputError(`peer address "${a}" must end with /p2p/<peer id>, so the node knows whom it reaches`);
    out.set(id, [...(out.get(id) ?? []), a]);
  }
  return out;
}
