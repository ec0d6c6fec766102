import type { Address, Hex } from "viem";
import { getAddress } from "viem";
import { stakeVaultAbi } from "../chain/abis";
import type { Clients } from "../chain/client";
import type { Deployment } from "../chain/deployment";
import { Role } from "../chain/reader";
import type { OutputRecord } from "../protocol/manifest";
import { ReceiptError, signReceipt, verifyReceipt, type Receipt, type ReceiptDomain, type ReceiptSigner } from "../protocol/receipt";
import type { ContentStore } from "../protocol/store";

/** Store index of receipts: key `<node>-<output hash>` (the same output content may be served by several nodes). */
export const RECEIPT_INDEX = "receipt";

export function receiptKey(node: Address, hash: Hex): string {
  return `${node.toLowerCase()}-${hash.toLowerCase()}`;
}

/**
 * Files one served output: stores the record, signs and stores its receipt, indexes the receipt under the node and
 * the output hash, and queues the output for the next batch. Idempotent for the same record.
 */
export async function fileOutput(p: { store: ContentStore; signer: ReceiptSigner; domain: ReceiptDomain; record: OutputRecord; latencyMs: number }): Promise<{ contentHash: Hex; receipt: Receipt; receiptHash: Hex }> {
  const { store, signer } = p;
  const receipt = await signReceipt(signer, p.domain, p.record, p.latencyMs);
  const contentHash = store.putJson(p.record);
  if (contentHash !== receipt.outputHash) throw new ReceiptError(`stored output ${contentHash} differs from the signed hash ${receipt.outputHash}`);
  const receiptHash = store.putJson(receipt);
  const node = getAddress(signer.address);
  store.setIndex(RECEIPT_INDEX, receiptKey(node, contentHash), receiptHash);
  store.addPending(node, contentHash);
  return { contentHash, receipt, receiptHash };
}

/** The verified receipt of a pending output of `node`; throws a ReceiptError (missing, malformed, forged, or not matching). */
export async function pendingReceipt(store: ContentStore, domain: ReceiptDomain, node: Address, hash: Hex, record: OutputRecord): Promise<Receipt> {
  const receiptHash = store.getIndex(RECEIPT_INDEX, receiptKey(node, hash));
  if (!receiptHash) throw new ReceiptError(`output ${hash} of ${getAddress(node)} has no receipt`);
  return verifyReceipt(domain, store.getJson<unknown>(receiptHash as Hex), record, node);
}

/** Whether a node holds at least the vault's minimum active inference stake; answers are cached for `ttlMs`. */
export function stakedInference(clients: Clients, d: Deployment, ttlMs = 60_000): (node: Address) => Promise<boolean> {
  const cache = new Map<string, { ok: boolean; at: number }>();
  return async (node) => {
    const hit = cache.get(node.toLowerCase());
    if (hit && Date.now() - hit.at < ttlMs) return hit.ok;
    const [s, min] = await Promise.all([
      clients.publicClient.readContract({ address: d.vault, abi: stakeVaultAbi, functionName: "stakeOf", args: [node, Role.Inference] }),
      clients.publicClient.readContract({ address: d.vault, abi: stakeVaultAbi, functionName: "minStake", args: [Role.Inference] }),
    ]);
    const ok = s.active > 0n && s.active >= min;
    // Refusals are not cached for long: a node that just staked is accepted on its next announcement.
    cache.set(node.toLowerCase(), { ok, at: ok ? Date.now() : Date.now() - ttlMs + 2_000 });
    return ok;
  };
}
