import { describe, expect, test } from "vitest";
import { encodeFunctionData, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { poQSettlementAbi } from "../chain/abis";
import { buildAssignmentTree, compactSignature, packScores, revealTypedData, scoreCommitment, type SignedReveal } from "../chain/encoding";
import {
  checkPublishedReveal,
  expandSignature,
  MAX_REVEAL_BATCH_BYTES,
  planRevealBatches,
  revealEntryBytes,
  revealIndexKey,
  revealSigner,
  type PublishedReveal,
} from "./revealBatch";

const key = `0x${"11".repeat(32)}` as Hex;
const other = `0x${"22".repeat(32)}` as Hex;
const domain = { chainId: 31337, contract: "0x5FbDB2315678afecb367f032d93F642f64180aa3", roundId: 7n } as const;

async function signed(scores: number[], proofLength = 6, signer = key): Promise<SignedReveal> {
  const packed = packScores(scores);
  const salt = `0x${"ab".repeat(32)}` as Hex;
  const signature = await privateKeyToAccount(signer).signTypedData(revealTypedData({ ...domain, scores: packed, salt }));
  return {
    scores: packed,
    salt,
    tasksHash: `0x${"cd".repeat(32)}`,
    assignmentProof: Array.from({ length: proofLength }, (_, i) => `0x${String(i + 1).padStart(64, "0")}` as Hex),
    ...compactSignature(signature),
  };
}

describe("revealEntryBytes", () => {
  test("behavior: is exactly what one entry adds to revealScoresBatch's calldata", async () => {
    const a = await signed([1, 2, 3]);
    const b = await signed(Array.from({ length: 40 }, (_, i) => i * 100), 3);
    const len = (rs: SignedReveal[]) => (encodeFunctionData({ abi: poQSettlementAbi, functionName: "revealScoresBatch", args: [1n, rs] }).length - 2) / 2;
    const empty = 4 + 96; // selector, round id, array offset, array length
    expect(len([a])).toBe(empty + revealEntryBytes(a));
    expect(len([a, b])).toBe(empty + revealEntryBytes(a) + revealEntryBytes(b));
  });
});

describe("planRevealBatches", () => {
  test("behavior: keeps order, fills batches up to the limit, puts an oversized entry alone", async () => {
    const small = { id: "s", reveal: await signed([1, 2]) };
    const size = revealEntryBytes(small.reveal);
    const entries = Array.from({ length: 7 }, (_, i) => ({ ...small, id: `s${i}` }));
    const batches = planRevealBatches(entries, size * 3);
    expect(batches.map((b) => b.map((e) => e.id))).toEqual([["s0", "s1", "s2"], ["s3", "s4", "s5"], ["s6"]]);
    const big = { id: "big", reveal: await signed(Array.from({ length: 400 }, () => 5_000)) };
    expect(planRevealBatches([small, big, small], size * 2).map((b) => b.map((e) => e.id))).toEqual([["s"], ["big"], ["s"]]);
    expect(planRevealBatches([])).toEqual([]);
  });

  test("behavior: 50 evaluators x 100 scores fit one batch; 50 x 2200 scores need several, each under the limit", async () => {
    const one = await signed(Array.from({ length: 100 }, (_, i) => 3_000 + i));
    expect(planRevealBatches(Array.from({ length: 50 }, () => ({ reveal: one })))).toHaveLength(1);
    const large = await signed(Array.from({ length: 2_200 }, (_, i) => 3_000 + i));
    const batches = planRevealBatches(Array.from({ length: 50 }, () => ({ reveal: large })));
    expect(batches.length).toBeGreaterThan(1);
    for (const b of batches) expect(b.reduce((s, e) => s + revealEntryBytes(e.reveal), 0)).toBeLessThanOrEqual(MAX_REVEAL_BATCH_BYTES);
  });
});

describe("revealSigner", () => {
  test("behavior: recovers the evaluator from the compact signature; another key or changed scores give another address", async () => {
    const r = await signed([10_000, 0, 7_500]);
    expect(await revealSigner(domain, r)).toBe(privateKeyToAccount(key).address);
    expect(await revealSigner(domain, await signed([10_000, 0, 7_500], 6, other))).toBe(privateKeyToAccount(other).address);
    expect(await revealSigner(domain, { ...r, scores: packScores([10_000, 0, 7_501]) })).not.toBe(privateKeyToAccount(key).address);
    expect(await revealSigner({ ...domain, roundId: 8n }, r)).not.toBe(privateKeyToAccount(key).address);
  });

  test("behavior: undefined for a malformed signature", async () => {
    const r = await signed([1]);
    expect(await revealSigner(domain, { ...r, r: `0x${"00".repeat(32)}` })).toBeUndefined();
  });

  test("behavior: expandSignature inverts compactSignature", async () => {
    const account = privateKeyToAccount(key);
    const sig = await account.signTypedData(revealTypedData({ ...domain, scores: packScores([1, 2]), salt: `0x${"00".repeat(32)}` }));
    const { r, vs } = compactSignature(sig);
    expect(expandSignature(r, vs)).toBe(sig);
  });
});

test("revealIndexKey: a store-safe key per round and evaluator", () => {
  expect(revealIndexKey(12n, "0xAbC0000000000000000000000000000000000001")).toBe("12.0xabc0000000000000000000000000000000000001");
});

describe("checkPublishedReveal", () => {
  async function published() {
    const evaluator = privateKeyToAccount(key).address;
    const tasks = [1, 4, 9];
    const tree = buildAssignmentTree(new Map([[evaluator, tasks], [privateKeyToAccount(other).address, [0, 2]], ["0x00000000000000000000000000000000000000aa", [3]]]));
    let proof: Hex[] = [];
    let tasksHash: Hex = "0x";
    for (const [i, v] of tree.entries()) if (v[0] === evaluator) [proof, tasksHash] = [tree.getProof(i) as Hex[], v[2]];
    const scores = packScores([9_000, 100, 5_000]);
    const salt = `0x${"5a".repeat(32)}` as Hex;
    const signature = await privateKeyToAccount(key).signTypedData(revealTypedData({ ...domain, scores, salt }));
    const file: PublishedReveal = {
      version: 1,
      chainId: domain.chainId,
      settlement: domain.contract,
      roundId: domain.roundId.toString(),
      evaluator,
      reveal: { scores, salt, tasksHash, assignmentProof: proof, ...compactSignature(signature) },
    };
    const expectations = { ...domain, evaluator, commitment: scoreCommitment({ ...domain, evaluator, scores, salt }), assignmentRoot: tree.root as Hex };
    return { file, expectations };
  }

  test("behavior: accepts what the contract accepts", async () => {
    const { file, expectations } = await published();
    expect(await checkPublishedReveal(file, expectations)).toBeUndefined();
  });

  test("behavior: names why a publication would fail on chain", async () => {
    const { file, expectations } = await published();
    const x = file.reveal;
    const cases: [Partial<PublishedReveal> | { reveal: SignedReveal }, RegExp][] = [
      [{ roundId: "8" }, /not a reveal of this round/],
      [{ chainId: 1 }, /not a reveal of this round/],
      [{ evaluator: privateKeyToAccount(other).address }, /evaluator and deployment/],
      [{ settlement: "0x0000000000000000000000000000000000000001" }, /evaluator and deployment/],
      [{ reveal: { ...x, scores: "0x2711" } }, /above 10000/],
      [{ reveal: { ...x, scores: packScores([9_000, 100, 5_001]) } }, /commitment/],
      [{ reveal: { ...x, salt: `0x${"00".repeat(32)}` } }, /commitment/],
      [{ reveal: { ...x, r: `0x${"00".repeat(32)}` } }, /not signed by the evaluator/],
      [{ reveal: { ...x, assignmentProof: [] } }, /assignment proof/],
      [{ reveal: { ...x, tasksHash: `0x${"00".repeat(32)}` } }, /assignment proof/],
      [{ settlement: "not an address" as Hex }, /./],
    ];
    for (const [change, reason] of cases) expect(await checkPublishedReveal({ ...file, ...change } as PublishedReveal, expectations), JSON.stringify(change)).toMatch(reason);
  });
});
