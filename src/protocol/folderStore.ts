/**
 * `Content` over the content-addressed folder (`store.ts`): for agents on one machine, and the bench baseline. It
 * takes and gives the same CIDs as the IPFS backends:
 * - an output (raw keccak-256 CID) is the object named by its keccak256, exactly as the folder stores it today;
 * - chunked content is stored whole under its keccak256, with an index entry `cid/<CID>` pointing to it. A read
 *   checks the keccak256 (the folder store does) and recomputes the UnixFS CID from the bytes with the fixed chunking,
 *   so the CID is checked as well.
 *
 * The folder has no peers: content that is not there is unavailable at once (`ContentUnavailable`, "not-found").
 * Pins are recorded (`pin/<CID>`), and nothing is ever deleted from the folder.
 */
import type { Hex } from "viem";
import { InputError } from "../errors";
import { cidOfKeccak, decodeCid, isKeccakCid, keccakOfCid, parseCid, type Cid } from "./cid";
import { ContentBase, ContentMismatch, ContentUnavailable, MAX_OUTPUT_BYTES, toBytes, type ContentInfo, type PutOptions, type ReadOptions } from "./content";
import { chunkedCidOf } from "./dag";
import { ContentError, ContentStore } from "./store";

const CID_INDEX = "cid";
const PIN_INDEX = "pin";

export class FolderContent extends ContentBase {
  readonly kind = "folder" as const;
  readonly store: ContentStore;

  constructor(dirOrStore: string | ContentStore) {
    super();
    this.store = typeof dirOrStore === "string" ? new ContentStore(dirOrStore) : dirOrStore;
  }

  async putOutput(content: Uint8Array | string, options?: PutOptions): Promise<{ cid: Cid; hash: Hex }> {
    const bytes = toBytes(content);
    if (bytes.length > MAX_OUTPUT_BYTES) throw new InputError(`an output of ${bytes.length} bytes is larger than the ${MAX_OUTPUT_BYTES} allowed in one block`);
    const hash = this.store.put(bytes);
    const cid = cidOfKeccak(hash);
    if (options?.pin) this.store.setIndex(PIN_INDEX, cid, "1");
    return { cid, hash };
  }

  async put(content: Uint8Array | string, options?: PutOptions): Promise<Cid> {
    const bytes = toBytes(content);
    const cid = await chunkedCidOf(bytes);
    const hash = this.store.put(bytes);
    if (this.store.getIndex(CID_INDEX, cid) !== hash) this.store.setIndex(CID_INDEX, cid, hash);
    if (options?.pin) this.store.setIndex(PIN_INDEX, cid, "1");
    return cid;
  }

  /** The keccak256 the folder stores `cid` under, or undefined if it holds no such content. */
  private objectOf(cid: Cid): Hex | undefined {
    if (isKeccakCid(cid)) return keccakOfCid(cid);
    const hash = this.store.getIndex(CID_INDEX, cid);
    return hash && /^0x[0-9a-f]{64}$/.test(hash) ? (hash as Hex) : undefined;
  }

  async get(cid: Cid, _options?: ReadOptions): Promise<Uint8Array> {
    const c = parseCid(cid);
    const hash = this.objectOf(c);
    if (!hash || !this.store.has(hash)) throw new ContentUnavailable(c, "not-found", `not in the content folder ${this.store.dir}`);
    let bytes: Uint8Array;
    try {
      bytes = this.store.get(hash);
    } catch (e) {
      if (e instanceof ContentError) throw new ContentMismatch(c, `the folder's object ${hash} was tampered with`);
      throw e;
    }
    if (!isKeccakCid(c) && (await chunkedCidOf(bytes)) !== c) throw new ContentMismatch(c, `the folder's object ${hash} does not chunk to this CID`);
    return bytes;
  }

  async has(cid: Cid): Promise<boolean> {
    const hash = this.objectOf(parseCid(cid));
    return !!hash && this.store.has(hash);
  }

  async pin(cid: Cid, options?: ReadOptions): Promise<void> {
    await this.get(cid, options);
    this.store.setIndex(PIN_INDEX, cid, "1");
  }

  async unpin(cid: Cid): Promise<void> {
    decodeCid(cid);
    if (this.store.getIndex(PIN_INDEX, cid) === "1") this.store.setIndex(PIN_INDEX, cid, "0");
  }

  async pinned(cid: Cid): Promise<boolean> {
    decodeCid(cid);
    return this.store.getIndex(PIN_INDEX, cid) === "1";
  }

  /** Nothing to collect: the folder's objects are the daemon's own store, which keeps everything. */
  async gc(): Promise<void> {}

  async info(): Promise<ContentInfo> {
    return { kind: "folder", addresses: [this.store.dir], connectedPeers: [] };
  }

  async close(): Promise<void> {}
}
