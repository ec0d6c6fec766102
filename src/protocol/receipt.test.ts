import { describe, expect, it } from "vitest";
import { privateKeyToAccount } from "viem/accounts";
import { keccak256, toBytes, type Hex } from "viem";
import { outputHashOf, promptTokensOf, queryHashOf, ReceiptError, receiptDigest, signReceipt, tokenEstimate, verifyReceipt, type Receipt } from "./receipt";

const node = privateKeyToAccount(`0x${"11".repeat(32)}` as Hex);
const other = privateKeyToAccount(`0x${"22".repeat(32)}` as Hex);
const domain = { chainId: 31337, settlement: "0x5FbDB2315678afecb367f032d93F642f64180aa3" as const };
const record = { id: "q1:m", task: "qa" as const, queryId: "q1", query: "What is the capital of France?", output: "The capital of France is Paris.", model: "llama-3-8b", tokens: 8, latencyMs: 120 };

describe("receipts", () => {
  it("token estimate is deterministic: 1.3 tokens per word, rounded up", () => {
    expect(tokenEstimate("")).toBe(0);
    expect(tokenEstimate("  one  ")).toBe(2);
    expect(tokenEstimate("The capital of France is Paris.")).toBe(8);
    expect(promptTokensOf({ query: "a b", context: "c d e" })).toBe(3 + 4);
  });

  it("a receipt signed by the node over its own content verifies", async () => {
    const r = await signReceipt(node, domain, record, 120);
    expect(r.outputHash).toBe(outputHashOf(record));
    expect(r.queryHash).toBe(queryHashOf(record));
    expect(r.modelId).toBe(keccak256(toBytes("llama-3-8b")));
    expect(r.completionTokens).toBe(8);
    await expect(verifyReceipt(domain, r, record, node.address)).resolves.toEqual(r);
    // The digest binds the chain and the settlement contract.
    expect(receiptDigest(domain, r)).not.toBe(receiptDigest({ ...domain, chainId: 1 }, r));
  });

  it("refuses a bad signature, also right after the good receipt was checked (recovered signers are remembered by everything the signature covers)", async () => {
    const r = await signReceipt(node, domain, record, 120);
    await expect(verifyReceipt(domain, r, record, node.address)).resolves.toEqual(r);
    await expect(verifyReceipt({ ...domain, settlement: "0x0000000000000000000000000000000000000001" }, r, record, node.address)).rejects.toThrow(/bad receipt signature: signed by/);
    await expect(verifyReceipt(domain, { ...r, completionTokens: 9 }, { ...record, tokens: 9 }, node.address)).rejects.toThrow(/bad receipt signature: signed by/);
    await expect(verifyReceipt(domain, { ...r, signature: "0x1234" }, record, node.address)).rejects.toThrow(/bad receipt signature: it does not recover/);
    // A valid signature over other fields recovers another address than the named node.
    await expect(verifyReceipt(domain, { ...r, latencyMs: 5 }, record, node.address)).rejects.toThrow(/bad receipt signature: signed by 0x[0-9a-fA-F]{40}, not by the node/);
    // The same receipt under another chain's domain.
    await expect(verifyReceipt({ ...domain, chainId: 1 }, r, record, node.address)).rejects.toThrow(ReceiptError);
  });

  it("refuses a receipt signed by another key than the node that files the output", async () => {
    const r = await signReceipt(other, domain, record, 120);
    await expect(verifyReceipt(domain, r, record, node.address)).rejects.toThrow(/wrong receipt signer: 0x[0-9a-fA-F]{40} signed it, the output is filed by/);
  });

  it("refuses inflated token counts, even when correctly signed", async () => {
    const fields = { ...(await signReceipt(node, domain, record, 120)) };
    const inflated: Receipt = { ...fields, completionTokens: 800 };
    inflated.signature = await node.signTypedData({
      domain: { name: "PoQ Settle receipt", version: "1", chainId: 31337n, verifyingContract: domain.settlement },
      types: { Receipt: [
        { name: "queryHash", type: "bytes32" }, { name: "outputHash", type: "bytes32" }, { name: "modelId", type: "bytes32" },
        { name: "promptTokens", type: "uint32" }, { name: "completionTokens", type: "uint32" }, { name: "latencyMs", type: "uint32" },
      ] },
      primaryType: "Receipt",
      message: { queryHash: inflated.queryHash, outputHash: inflated.outputHash, modelId: inflated.modelId, promptTokens: inflated.promptTokens, completionTokens: 800, latencyMs: 120 },
    });
    await expect(verifyReceipt(domain, inflated, record, node.address)).rejects.toThrow(/claims 800 completion tokens, the content has 8/);
    // And a record whose own token field disagrees with the (honest) receipt.
    const r = await signReceipt(node, domain, { ...record, tokens: 9 }, 120);
    await expect(verifyReceipt(domain, r, { ...record, tokens: 9 }, node.address)).rejects.toThrow(/output record says 9 tokens, its receipt 8/);
  });

  it("refuses content that does not match: another output, query, model or latency", async () => {
    const r = await signReceipt(node, domain, record, 120);
    await expect(verifyReceipt(domain, r, { ...record, output: "The capital of France is Lyon." }, node.address)).rejects.toThrow(/receipt names output 0x[0-9a-f]{64}, the content hashes to/);
    const swapped = { ...record, query: "What is the capital of Italy?" };
    const r2 = await signReceipt(node, domain, swapped, 120);
    // Same signer, but the receipt of another record.
    await expect(verifyReceipt(domain, r2, record, node.address)).rejects.toThrow(/receipt names output/);
    // A record whose latency field differs from the signed one.
    const r3 = await signReceipt(node, domain, record, 99);
    await expect(verifyReceipt(domain, r3, record, node.address)).rejects.toThrow(/output record says 120 ms, its receipt 99 ms/);
  });

  it("refuses malformed receipts with a named field", async () => {
    const r = await signReceipt(node, domain, record, 120);
    await expect(verifyReceipt(domain, { ...r, version: 2 }, record, node.address)).rejects.toThrow(/version 1/);
    await expect(verifyReceipt(domain, { ...r, completionTokens: -1 }, record, node.address)).rejects.toThrow(/completionTokens must be an integer/);
    await expect(verifyReceipt(domain, { ...r, queryHash: "0x12" }, record, node.address)).rejects.toThrow(/queryHash must be 32 bytes/);
  });
});
