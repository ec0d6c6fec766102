import type { Address, Hex } from "viem";
import { getAddress } from "viem";
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
