/**
 * Chunked content (manifests, gold openings, settlement payloads): a UnixFS file with deterministic chunking, so the
 * same bytes give the same CID on every machine and with every backend (Helia, Kubo, the folder), and a reader that
 * checks every block against its CID.
 *
 * Chunking (fixed, never configurable, or CIDs would differ between machines): CIDv1, sha2-256, raw leaves, fixed-size
 * chunks of 256 KiB, balanced layout with at most 174 links per node, a file of one chunk reduced to that raw block.
 * These are Kubo's `ipfs add --cid-version=1 --raw-leaves --chunker=size-262144` parameters, so Kubo's `add` gives the
 * same CID (`KuboContent` checks that it does).
 */
import { blockMatches, CODEC_DAG_PB, CODEC_RAW, cidFromBytes, decodeCid, type Cid } from "./cid";
import { ContentMalformed, ContentMismatch, MAX_CONTENT_BYTES } from "./content";
import { loadDagModules } from "./esm";

export const CHUNK_SIZE = 256 * 1024;
export const MAX_LINKS_PER_NODE = 174;
/** Depth guard for a hostile DAG (ours is 2 levels up to 43 MiB, 3 up to 7.4 GiB). */
const MAX_DEPTH = 8;

export type Block = { cid: Cid; bytes: Uint8Array };

/** The UnixFS DAG of `bytes`: its root CID and every block (root last), computed locally with the fixed chunking. */
export async function chunk(bytes: Uint8Array): Promise<{ cid: Cid; blocks: Block[] }> {
  const m = await loadDagModules();
  const blocks: Block[] = [];
  const seen = new Set<string>();
  const collector = {
    put: async (cid: InstanceType<typeof m.CID>, block: Uint8Array) => {
      const c = cidFromBytes(cid.bytes);
      if (!seen.has(c)) {
        seen.add(c);
        blocks.push({ cid: c, bytes: block });
      }
      return cid;
    },
  };
  const result = await m.importBytes(bytes, collector, {
    cidVersion: 1,
    rawLeaves: true,
    reduceSingleLeafToSelf: true,
    wrapWithDirectory: false,
    chunker: m.fixedSize({ chunkSize: CHUNK_SIZE }),
    layout: m.balanced({ maxChildrenPerNode: MAX_LINKS_PER_NODE }),
    fieldOrder: "links-first",
  });
  const root = cidFromBytes(result.cid.bytes);
  if (!seen.has(root)) throw new Error(`chunking produced root ${root} without its block`);
  return { cid: root, blocks };
}

/** The root CID `chunk` would give, without keeping the blocks. */
export async function chunkedCidOf(bytes: Uint8Array): Promise<Cid> {
  return (await chunk(bytes)).cid;
}

export type BlockSource = (cid: Cid) => Promise<Uint8Array>;

/**
 * Reads a UnixFS file (or a single raw block) block by block from `getBlock`, checking each block against its CID.
 * Throws ContentMismatch naming the bad block (after `onMismatch`, e.g. to drop it from a local store), and
 * ContentMalformed for anything that is not a file of raw and dag-pb blocks, or that is larger than `maxBytes`.
 */
export async function readDag(root: Cid, getBlock: BlockSource, o: { maxBytes?: number; onMismatch?: (block: Cid) => Promise<void> } = {}): Promise<Uint8Array> {
  const m = await loadDagModules();
  const maxBytes = o.maxBytes ?? MAX_CONTENT_BYTES;
  let total = 0;

  const visit = async (cid: Cid, depth: number): Promise<Uint8Array[]> => {
    if (depth > MAX_DEPTH) throw new ContentMalformed(root, `DAG deeper than ${MAX_DEPTH} levels`);
    const { codec } = decodeCid(cid);
    if (codec !== CODEC_RAW && codec !== CODEC_DAG_PB) throw new ContentMalformed(root, `block ${cid} has codec 0x${codec.toString(16)}: only raw and dag-pb are read`);
    const bytes = await getBlock(cid);
    if (!blockMatches(cid, bytes)) {
      await o.onMismatch?.(cid);
      throw new ContentMismatch(root, cid === root ? "its bytes hash to something else" : `its block ${cid} hashes to something else`);
    }
    if (codec === CODEC_RAW) {
      total += bytes.length;
      if (total > maxBytes) throw new ContentMalformed(root, `larger than ${maxBytes} bytes`);
      return [bytes];
    }
    let node: ReturnType<typeof m.dagPb.decode>;
    let data: Uint8Array | undefined;
    try {
      node = m.dagPb.decode(bytes);
      if (!node.Data) throw new Error("no data");
      const fs = m.UnixFS.unmarshal(node.Data);
      if (fs.type !== "file" && fs.type !== "raw") throw new ContentMalformed(root, `block ${cid} is a UnixFS ${fs.type}, not a file`);
      data = fs.data;
    } catch (e) {
      if (e instanceof ContentMalformed) throw e;
      throw new ContentMalformed(root, `block ${cid} is not a UnixFS file node`);
    }
    const parts: Uint8Array[] = [];
    if (data && data.length) {
      total += data.length;
      if (total > maxBytes) throw new ContentMalformed(root, `larger than ${maxBytes} bytes`);
      parts.push(data);
    }
    const children = await Promise.all(node.Links.map((l) => visit(cidFromBytes(l.Hash.bytes), depth + 1)));
    for (const c of children) parts.push(...c);
    return parts;
  };

  const parts = await visit(root, 0);
  if (parts.length === 1) return parts[0];
  return new Uint8Array(Buffer.concat(parts));
}

/** Every block CID of a DAG (root first), read through `getBlock` (used to pin, list and check a whole DAG). */
export async function dagBlocks(root: Cid, getBlock: BlockSource): Promise<Cid[]> {
  const m = await loadDagModules();
  const out: Cid[] = [];
  const visit = async (cid: Cid): Promise<void> => {
    out.push(cid);
    if (decodeCid(cid).codec !== CODEC_DAG_PB) return;
    const node = m.dagPb.decode(await getBlock(cid));
    for (const l of node.Links) await visit(cidFromBytes(l.Hash.bytes));
  };
  await visit(root);
  return out;
}
