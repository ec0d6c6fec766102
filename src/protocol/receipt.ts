import { getAddress, hashTypedData, keccak256, recoverTypedDataAddress, toBytes, type Address, type Hex } from "viem";
import type { LoggedOutput } from "../data/logged";
import { canonicalJson } from "./canonical";
import { PoqError } from "../errors";
import { estimateTokens } from "./pricing";

/**
 * Signed receipts: an inference node signs (EIP-712) what it says it served: the query, the output's content hash,
 * the model, the token counts and the latency. Anyone recomputes every field but the latency from the content, so a
 * receipt that does not match its output, carries a bad signature or is signed by another key is refused and the
 * output never enters a batch (never paid).
 */

/** A receipt that cannot be accepted; the message names which check failed. */
export class ReceiptError extends PoqError {
  override name = "ReceiptError";
}

/** The EIP-712 domain name and version of receipts; chain id and verifying contract (the settlement) complete it. */
export const RECEIPT_DOMAIN = { name: "PoQ Settle receipt", version: "1" } as const;

export const RECEIPT_TYPES = {
  Receipt: [
    { name: "queryHash", type: "bytes32" },
    { name: "outputHash", type: "bytes32" },
    { name: "modelId", type: "bytes32" },
    { name: "promptTokens", type: "uint32" },
    { name: "completionTokens", type: "uint32" },
    { name: "latencyMs", type: "uint32" },
  ],
} as const;

/** The signed fields; `outputHash` is the content hash of the output record (its raw CID's digest, the task leaf's `contentHash`). */
export type ReceiptFields = { queryHash: Hex; outputHash: Hex; modelId: Hex; promptTokens: number; completionTokens: number; latencyMs: number };

/** A receipt as content: the fields, the serving node and its signature. */
export type Receipt = ReceiptFields & { version: 1; node: Address; signature: Hex };

export type ReceiptDomain = { chainId: number; settlement: Address };

/** The output record a receipt is about (an output record: the logged output without labels). */
export type ReceiptSubject = Pick<LoggedOutput, "query" | "context" | "output" | "model" | "tokens" | "latencyMs">;

/** Deterministic token estimate of a text: 1.3 tokens per whitespace-separated word, rounded up (the protocol's count). */
export function tokenEstimate(text: string): number {
  const t = text.trim();
  return estimateTokens(t === "" ? 0 : t.split(/\s+/).length);
}

/** The query hash of an output: keccak256 of the canonical JSON of its query and context. */
export function queryHashOf(o: Pick<LoggedOutput, "query" | "context">): Hex {
  return keccak256(toBytes(canonicalJson({ query: o.query, context: o.context ?? null })));
}

/** Prompt tokens of an output: the estimate over its query and context. */
export function promptTokensOf(o: Pick<LoggedOutput, "query" | "context">): number {
  return tokenEstimate(o.query) + (o.context ? tokenEstimate(o.context) : 0);
}

/** The content hash of an output record (keccak256 of its canonical JSON bytes). */
export function outputHashOf(record: unknown): Hex {
  return keccak256(toBytes(canonicalJson(record)));
}

/** The fields a node signs for `record`, recomputed from the content except the latency it measured. */
export function receiptFieldsOf(record: ReceiptSubject, latencyMs: number): ReceiptFields {
  return {
    queryHash: queryHashOf(record),
    outputHash: outputHashOf(record),
    modelId: keccak256(toBytes(record.model)),
    promptTokens: promptTokensOf(record),
    completionTokens: tokenEstimate(record.output),
    latencyMs: Math.max(0, Math.round(latencyMs)),
  };
}

export function receiptTypedData(d: ReceiptDomain, f: ReceiptFields) {
  return {
    domain: { ...RECEIPT_DOMAIN, chainId: BigInt(d.chainId), verifyingContract: getAddress(d.settlement) },
    types: RECEIPT_TYPES,
    primaryType: "Receipt" as const,
    message: { ...f },
  };
}

export function receiptDigest(d: ReceiptDomain, f: ReceiptFields): Hex {
  return hashTypedData(receiptTypedData(d, f));
}

const U32 = 2 ** 32 - 1;
const HEX32 = /^0x[0-9a-fA-F]{64}$/;

function checkShape(r: unknown): asserts r is Receipt {
  const o = r as Record<string, unknown>;
  if (!o || typeof o !== "object" || o.version !== 1) throw new ReceiptError("malformed receipt: expected an object with version 1");
  for (const k of ["queryHash", "outputHash", "modelId"]) if (typeof o[k] !== "string" || !HEX32.test(o[k] as string)) throw new ReceiptError(`malformed receipt: ${k} must be 32 bytes of hex`);
  for (const k of ["promptTokens", "completionTokens", "latencyMs"]) {
    const v = o[k];
    if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > U32) throw new ReceiptError(`malformed receipt: ${k} must be an integer in [0, 2^32)`);
  }
  if (typeof o.node !== "string" || !/^0x[0-9a-fA-F]{40}$/.test(o.node)) throw new ReceiptError("malformed receipt: node must be an address");
  if (typeof o.signature !== "string" || !/^0x[0-9a-fA-F]*$/.test(o.signature)) throw new ReceiptError("malformed receipt: signature must be hex");
}

/** Signers recovered from receipts, by everything the signature covers (bounded, oldest first out). */
const recovered = new Map<string, Address>();
const RECOVERED_LIMIT = 16_384;

/**
 * Checks a receipt against its output record and the node that claims it; throws a ReceiptError naming the first
 * failed check: the signature (malformed or not recoverable), the signer (not `node`), the output hash, the query
 * hash, the model, the token counts (recomputed with `tokenEstimate`), or the record's own token and latency fields.
 * The latency is self-reported: only its agreement with the record is checked.
 */
export async function verifyReceipt(d: ReceiptDomain, receipt: unknown, record: ReceiptSubject, node: Address): Promise<Receipt> {
  checkShape(receipt);
  const fields: ReceiptFields = {
    queryHash: receipt.queryHash,
    outputHash: receipt.outputHash,
    modelId: receipt.modelId,
    promptTokens: receipt.promptTokens,
    completionTokens: receipt.completionTokens,
    latencyMs: receipt.latencyMs,
  };
  let signer: Address;
  // The signer is a pure function of the domain, the signed fields and the signature: a process that checks the same
  // receipt again (a relayer at the announcement, then as the registrar forming the batch) recovers it once.
  const key = `${d.chainId}:${d.settlement.toLowerCase()}:${fields.queryHash}:${fields.outputHash}:${fields.modelId}:${fields.promptTokens}:${fields.completionTokens}:${fields.latencyMs}:${receipt.signature}`;
  const known = recovered.get(key);
  if (known) signer = known;
  else {
    try {
      signer = await recoverTypedDataAddress({ ...receiptTypedData(d, fields), signature: receipt.signature });
    } catch (e) {
      throw new ReceiptError("bad receipt signature: it does not recover to any address", { details: (e as Error).message.split("\n")[0] });
    }
    if (recovered.size >= RECOVERED_LIMIT) recovered.delete(recovered.keys().next().value!);
    recovered.set(key, signer);
  }
  if (getAddress(signer) !== getAddress(receipt.node)) throw new ReceiptError(`bad receipt signature: signed by ${getAddress(signer)}, not by the node it names (${getAddress(receipt.node)})`);
  if (getAddress(signer) !== getAddress(node)) throw new ReceiptError(`wrong receipt signer: ${getAddress(signer)} signed it, the output is filed by ${getAddress(node)}`);
  const want = receiptFieldsOf(record, receipt.latencyMs);
  if (fields.outputHash.toLowerCase() !== want.outputHash) throw new ReceiptError(`receipt names output ${fields.outputHash}, the content hashes to ${want.outputHash}`);
  if (fields.queryHash.toLowerCase() !== want.queryHash) throw new ReceiptError(`receipt names query ${fields.queryHash}, the content's query hashes to ${want.queryHash}`);
  if (fields.modelId.toLowerCase() !== want.modelId) throw new ReceiptError(`receipt names model id ${fields.modelId}, the content's model ${record.model} is ${want.modelId}`);
  if (fields.promptTokens !== want.promptTokens) throw new ReceiptError(`receipt claims ${fields.promptTokens} prompt tokens, the content has ${want.promptTokens}`);
  if (fields.completionTokens !== want.completionTokens) throw new ReceiptError(`receipt claims ${fields.completionTokens} completion tokens, the content has ${want.completionTokens}`);
  if (record.tokens !== undefined && record.tokens !== fields.completionTokens) throw new ReceiptError(`output record says ${record.tokens} tokens, its receipt ${fields.completionTokens}`);
  if (record.latencyMs !== undefined && record.latencyMs !== fields.latencyMs) throw new ReceiptError(`output record says ${record.latencyMs} ms, its receipt ${fields.latencyMs} ms`);
  return receipt;
}

/** Anything that signs EIP-712 typed data as `address` (a viem local account). */
export type ReceiptSigner = { address: Address; signTypedData: (td: ReturnType<typeof receiptTypedData>) => Promise<Hex> };

/** Signs the receipt of `record`, served in `latencyMs` (measured by the node). */
export async function signReceipt(signer: ReceiptSigner, d: ReceiptDomain, record: ReceiptSubject, latencyMs: number): Promise<Receipt> {
  const fields = receiptFieldsOf(record, latencyMs);
  const signature = await signer.signTypedData(receiptTypedData(d, fields));
  return { version: 1, node: getAddress(signer.address), ...fields, signature };
}
