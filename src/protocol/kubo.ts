/**
 * `KuboContent`: the content interface over a Kubo node's RPC API (`kubo-rpc-client`), for an operator who already
 * runs Kubo (`ipfs daemon`) and would rather not embed a node in each daemon.
 *
 * RPC calls used (https://docs.ipfs.tech/reference/kubo/rpc/):
 * - `id`, `swarm/peers`: identity, addresses and peers (`info`);
 * - `block/put?cid-codec=raw&mhtype=keccak-256`: an output, one raw block named by its keccak-256;
 * - `add?cid-version=1&raw-leaves=true&chunker=size-262144&hash=sha2-256`: chunked content, with the chunking of
 *   `dag.ts`; the CID Kubo returns is compared with the one computed locally, and if Kubo chunked differently (another
 *   version or configuration) the blocks computed locally are stored one by one with `block/put` instead, so the CID
 *   is the same as on every other backend;
 * - `block/get` (with Kubo's `timeout`, and `offline=true` for `has`): every read walks the DAG block by block and
 *   checks each block here, trusting nothing the Kubo node says (`cat` would return bytes checked only by Kubo);
 * - `pin/add`, `pin/rm`, `pin/ls?type=recursive`: pins;
 * - `repo/gc`: garbage collection, after unpinning content past its horizon (the client's `repo.gc()`).
 *
 * No Kubo binary can be installed in this project's build environment: the client is tested against a local HTTP
 * server that answers these calls with Kubo's documented response shapes (`kuboFake.ts`).
 */
import type { Hex } from "viem";
import { InputError } from "../errors";
import { CODEC_DAG_PB, decodeCid, outputCidOf, parseCid, type Cid } from "./cid";
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
import { CHUNK_SIZE, chunk, readDag } from "./dag";
import { loadKuboModules } from "./esm";
import type { BlockPutOptions, HTTPRPCOptions, KuboRPCClient } from "kubo-rpc-client";
import type { CID } from "multiformats/cid";

export type KuboContentOptions = {
  /** Kubo's RPC API, e.g. http://127.0.0.1:5001 (never expose it beyond the machine: it has admin rights). */
  url: string;
  /** Default read deadline (default 30 s). */
  timeoutMs?: number;
};

/*
 * kubo-rpc-client sends every option as a query parameter, its name in kebab case: `cidCodec` is `cid-codec` (the
 * current name of block/put's codec option; the client's own `format` is the deprecated one), and `offline` is Kubo's
 * global option that keeps a command from asking the network.
 */
const blockPut = (codec: "raw" | "dag-pb", mhtype: "keccak-256" | "sha2-256", pin: boolean) => ({ cidCodec: codec, mhtype, pin }) as BlockPutOptions;
const offline = { offline: true } as HTTPRPCOptions;

/** The `add` parameters that give the chunking of `dag.ts`. */
export const KUBO_ADD_OPTIONS = { cidVersion: 1 as const, rawLeaves: true, chunker: `size-${CHUNK_SIZE}`, hashAlg: "sha2-256", wrapWithDirectory: false };

export class KuboContent extends ContentBase {
  readonly kind = "kubo" as const;
  readonly url: string;
  readonly timeoutMs: number;
  /** How many chunked `put`s fell back to `block/put` because Kubo's `add` chunked differently. */
  addFallbacks = 0;
  private readonly client: KuboRPCClient;
  private readonly CID: Awaited<ReturnType<typeof loadKuboModules>>["CID"];

  private constructor(o: { url: string; timeoutMs: number; client: KuboRPCClient; CID: KuboContent["CID"] }) {
    super();
    this.url = o.url;
    this.timeoutMs = o.timeoutMs;
    this.client = o.client;
    this.CID = o.CID;
  }

  /** Connects to Kubo's RPC API and checks that it answers (`id`). */
  static async open(o: KuboContentOptions): Promise<KuboContent> {
    let url: URL;
    try {
      url = new URL(o.url);
    } catch {
      throw new InputError(`kuboUrl "${o.url}" is not a URL (e.g. http://127.0.0.1:5001)`);
    }
    const M = await loadKuboModules();
    const client = M.create({ url: url.toString() });
    const c = new KuboContent({ url: url.toString(), timeoutMs: o.timeoutMs ?? DEFAULT_TIMEOUT_MS, client, CID: M.CID });
    try {
      await client.id({ signal: AbortSignal.timeout(10_000) });
    } catch (e) {
      throw new InputError(`Kubo's RPC API at ${url} does not answer: ${(e as Error).message}`, { cause: e, retryable: true });
    }
    return c;
  }

  private cid(cid: Cid): CID {
    return this.CID.parse(cid);
  }

  async putOutput(content: Uint8Array | string, options?: PutOptions): Promise<{ cid: Cid; hash: Hex }> {
    const bytes = toBytes(content);
    if (bytes.length > MAX_OUTPUT_BYTES) throw new InputError(`an output of ${bytes.length} bytes is larger than the ${MAX_OUTPUT_BYTES} allowed in one block`);
    const out = outputCidOf(bytes);
    const got = await this.client.block.put(bytes, blockPut("raw", "keccak-256", options?.pin ?? false));
    if (got.toString() !== out.cid) throw new ContentMismatch(out.cid, `Kubo stored the output as ${got.toString()}`);
    return out;
  }

  async put(content: Uint8Array | string, options?: PutOptions): Promise<Cid> {
    const bytes = toBytes(content);
    const local = await chunk(bytes);
    const added = await this.client.add(bytes, { ...KUBO_ADD_OPTIONS, pin: options?.pin ?? false });
    if (added.cid.toString() === local.cid) return local.cid;
    // Kubo chunked differently: store our own blocks, so the CID is the same everywhere
    this.addFallbacks++;
    for (const b of local.blocks) {
      const codec = decodeCid(b.cid).codec === CODEC_DAG_PB ? "dag-pb" : "raw";
      const got = await this.client.block.put(b.bytes, blockPut(codec, "sha2-256", false));
      if (got.toString() !== b.cid) throw new ContentMismatch(local.cid, `Kubo stored block ${b.cid} as ${got.toString()}`);
    }
    if (options?.pin) await this.pin(local.cid);
    return local.cid;
  }

  async get(cid: Cid, options?: ReadOptions): Promise<Uint8Array> {
    const c = parseCid(cid);
    const d = deadline(c, options, this.timeoutMs);
    const until = Date.now() + d.timeoutMs;
    try {
      return await readDag(c, (b) => this.client.block.get(this.cid(b), { signal: d.signal, timeout: Math.max(1, until - Date.now()) }));
    } catch (e) {
      if (e instanceof ContentMismatch || e instanceof ContentMalformed) throw e;
      const reason = d.unavailable();
      if (reason) throw reason;
      const msg = (e as Error).message ?? String(e);
      if (/deadline|timed out|timeout/i.test(msg)) throw new ContentUnavailable(c, "timeout", `Kubo found no provider within ${d.timeoutMs} ms`, { cause: e });
      throw new ContentUnavailable(c, "not-found", `Kubo: ${msg}`, { cause: e });
    } finally {
      d.done();
    }
  }

  async has(cid: Cid): Promise<boolean> {
    const c = parseCid(cid);
    try {
      await readDag(c, (b) => this.client.block.get(this.cid(b), offline));
      return true;
    } catch {
      return false;
    }
  }

  async pin(cid: Cid, options?: ReadOptions): Promise<void> {
    const c = parseCid(cid);
    await this.get(c, options); // every block checked here, and all of them now on the Kubo node
    for await (const _ of this.client.pin.addAll([{ cid: this.cid(c), recursive: true }])) void _;
  }

  async unpin(cid: Cid): Promise<void> {
    const c = parseCid(cid);
    if (!(await this.pinned(c))) return;
    for await (const _ of this.client.pin.rmAll([{ cid: this.cid(c), recursive: true }])) void _;
  }

  async pinned(cid: Cid): Promise<boolean> {
    const c = parseCid(cid);
    try {
      for await (const p of this.client.pin.ls({ paths: [this.cid(c)], type: "recursive" })) if (p.cid.toString() === c) return true;
      return false;
    } catch (e) {
      if (/not pinned/i.test((e as Error).message)) return false;
      throw e;
    }
  }

  /** Kubo's `repo/gc`: removes every block no pin keeps (an error Kubo streams for a block is thrown). */
  async gc(): Promise<void> {
    for await (const r of this.client.repo.gc()) if (r.err) throw r.err;
  }

  async info(): Promise<ContentInfo> {
    const id = await this.client.id();
    const peers = await this.client.swarm.peers();
    return { kind: "kubo", peerId: id.id.toString(), addresses: (id.addresses ?? []).map(String), connectedPeers: peers.map((p) => p.peer.toString()) };
  }

  async close(): Promise<void> {}
}
