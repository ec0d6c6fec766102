/**
 * The content layer every role uses: outputs, batch manifests, gold openings and settlement payloads are IPFS content,
 * named by CIDs (`cid.ts`), read back checked by hash, and pinned by whoever must keep them available.
 *
 * Backends (all behind `Content`, built by `openContent` from a small config, see `openContent.ts`):
 * - `HeliaContent` (`helia.ts`): an embedded IPFS node per daemon, blockstore on disk in the daemon's own folder,
 *   explicit peers, bitswap. The default.
 * - `KuboContent` (`kubo.ts`): a Kubo node through its RPC API.
 * - `FolderContent` (`folderStore.ts`): the single-machine content-addressed folder, and the bench baseline.
 *
 * Errors (all subclasses of the store's `ContentError`, so existing `instanceof ContentError` checks still hold):
 * - `ContentUnavailable`: no peer delivered the content by the deadline (retryable: it may turn up later).
 * - `ContentMismatch`: bytes were found that do not hash to the CID (a tampered store or a lying server).
 * - `ContentMalformed`: the bytes match but are not what was asked for (not JSON, not a UnixFS file, too large).
 * - `InvalidCid` (`cid.ts`): a CID string or byte sequence we do not accept.
 */
import type { Hex } from "viem";
import { canonicalJson, ContentError } from "./store";
import type { Cid } from "./cid";

export type { Cid } from "./cid";

export type ReadOptions = {
  /** Give up after this long (default: the backend's `timeoutMs`). */
  timeoutMs?: number;
  /** Give up when this aborts (e.g. the phase deadline of the round). */
  signal?: AbortSignal;
};

export type PutOptions = {
  /** Also pin the content (see `pin`): what a role publishes and must keep available. */
  pin?: boolean;
};

export type ContentKind = "helia" | "kubo" | "folder";

export type ContentInfo = {
  kind: ContentKind;
  /** libp2p peer id (helia, kubo). */
  peerId?: string;
  /** Multiaddrs other daemons can dial, each ending in /p2p/<peerId> (helia, kubo); the folder path (folder). */
  addresses: string[];
  /** Peers currently connected. */
  connectedPeers: string[];
};

export interface Content {
  readonly kind: ContentKind;

  /** Stores an output as one raw block named by its keccak256: returns the CID and the on-chain `contentHash`. */
  putOutput(content: Uint8Array | string, options?: PutOptions): Promise<{ cid: Cid; hash: Hex }>;
  /** Stores bytes (a string as UTF-8) as a UnixFS file with deterministic chunking; the same bytes give the same CID everywhere. */
  put(content: Uint8Array | string, options?: PutOptions): Promise<Cid>;
  /** `put` of a JSON value in canonical form (sorted keys, bigints as decimal strings). */
  putJson(value: unknown, options?: PutOptions): Promise<Cid>;

  /** Reads content, locally or from peers, every block checked by hash. */
  get(cid: Cid, options?: ReadOptions): Promise<Uint8Array>;
  getText(cid: Cid, options?: ReadOptions): Promise<string>;
  getJson<T>(cid: Cid, options?: ReadOptions): Promise<T>;
  /** True when the whole content is held locally (a `get` would not touch the network). */
  has(cid: Cid): Promise<boolean>;

  /** Keeps the content (fetching what is missing, within the read deadline) until `unpin`. */
  pin(cid: Cid, options?: ReadOptions): Promise<void>;
  unpin(cid: Cid): Promise<void>;
  pinned(cid: Cid): Promise<boolean>;
  /**
   * Removes every block no pin keeps (after unpinning content past its horizon): `gc()` of the embedded node, Kubo's
   * `repo/gc`; the folder store keeps everything (its objects are the daemon's own store).
   */
  gc(): Promise<void>;

  info(): Promise<ContentInfo>;
  close(): Promise<void>;
}

/** No peer delivered the content by the deadline, or the read was aborted. */
export class ContentUnavailable extends ContentError {
  override name = "ContentUnavailable";
  readonly cid: string;
  readonly reason: "timeout" | "aborted" | "not-found";
  constructor(cid: string, reason: "timeout" | "aborted" | "not-found", detail: string, options: { cause?: unknown } = {}) {
    super(`content ${cid} is unavailable: ${detail}`, { cause: options.cause, retryable: true });
    this.cid = cid;
    this.reason = reason;
  }
}

/** Bytes that do not hash to the CID they were stored or served under. */
export class ContentMismatch extends ContentError {
  override name = "ContentMismatch";
  readonly cid: string;
  constructor(cid: string, detail: string) {
    super(`content ${cid} does not match its hash: ${detail}`);
    this.cid = cid;
  }
}

/** Content whose bytes match its CID but that is not what was asked for (not JSON, not a UnixFS file, too large). */
export class ContentMalformed extends ContentError {
  override name = "ContentMalformed";
  readonly cid: string;
  constructor(cid: string, detail: string) {
    super(`content ${cid} is malformed: ${detail}`);
    this.cid = cid;
  }
}

/** Largest output accepted by `putOutput` (one block; bitswap and Kubo refuse blocks above 1 MiB by default). */
export const MAX_OUTPUT_BYTES = 1024 * 1024;
/** Largest content `get` assembles (a guard against a DAG that claims to be huge). */
export const MAX_CONTENT_BYTES = 256 * 1024 * 1024;
/** Default read deadline. */
export const DEFAULT_TIMEOUT_MS = 30_000;

export const toBytes = (content: Uint8Array | string): Uint8Array => (typeof content === "string" ? new Uint8Array(Buffer.from(content, "utf8")) : content);

export const jsonBytes = (value: unknown): Uint8Array => toBytes(canonicalJson(value));

export function parseJsonContent<T>(cid: string, bytes: Uint8Array): T {
  try {
    return JSON.parse(Buffer.from(bytes).toString("utf8")) as T;
  } catch {
    throw new ContentMalformed(cid, "not valid JSON");
  }
}

/**
 * A signal that aborts at the deadline or when the caller's signal aborts, and the function that turns the abort
 * into the right `ContentUnavailable`. Call `done()` when the read ends.
 */
export function deadline(cid: string, options: ReadOptions | undefined, defaultTimeoutMs: number) {
  const timeoutMs = options?.timeoutMs ?? defaultTimeoutMs;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new ContentUnavailable(cid, "timeout", `not found on any peer within ${timeoutMs} ms`)), timeoutMs);
  const onAbort = () => controller.abort(new ContentUnavailable(cid, "aborted", "the read was aborted by the caller"));
  if (options?.signal?.aborted) onAbort();
  else options?.signal?.addEventListener("abort", onAbort, { once: true });
  return {
    signal: controller.signal,
    timeoutMs,
    /** The error to throw when `signal` aborted (or `fallback` when it did not). */
    unavailable(fallback?: unknown): unknown {
      if (controller.signal.aborted) return controller.signal.reason;
      return fallback;
    },
    done() {
      clearTimeout(timer);
      options?.signal?.removeEventListener("abort", onAbort);
    },
  };
}

/** Shared `getText`/`getJson`/`putJson` in terms of `get`/`put`. */
export abstract class ContentBase implements Content {
  abstract readonly kind: ContentKind;
  abstract putOutput(content: Uint8Array | string, options?: PutOptions): Promise<{ cid: Cid; hash: Hex }>;
  abstract put(content: Uint8Array | string, options?: PutOptions): Promise<Cid>;
  abstract get(cid: Cid, options?: ReadOptions): Promise<Uint8Array>;
  abstract has(cid: Cid): Promise<boolean>;
  abstract pin(cid: Cid, options?: ReadOptions): Promise<void>;
  abstract unpin(cid: Cid): Promise<void>;
  abstract pinned(cid: Cid): Promise<boolean>;
  abstract gc(): Promise<void>;
  abstract info(): Promise<ContentInfo>;
  abstract close(): Promise<void>;

  putJson(value: unknown, options?: PutOptions): Promise<Cid> {
    return this.put(jsonBytes(value), options);
  }

  async getText(cid: Cid, options?: ReadOptions): Promise<string> {
    const bytes = await this.get(cid, options);
    const text = Buffer.from(bytes).toString("utf8");
    if (!Buffer.from(text, "utf8").equals(Buffer.from(bytes))) throw new ContentMalformed(cid, "not valid UTF-8");
    return text;
  }

  async getJson<T>(cid: Cid, options?: ReadOptions): Promise<T> {
    return parseJsonContent<T>(cid, await this.get(cid, options));
  }
}
