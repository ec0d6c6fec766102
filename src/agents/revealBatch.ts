import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { getAddress, recoverTypedDataAddress, type Address, type Hex } from "viem";
import {
  ASSIGNMENT_LEAF_TYPES,
  revealTypedData,
  scoreCommitment,
  unpackScores,
  type CommitmentDomain,
  type SignedReveal,
} from "../chain/encoding";

/**
 * Batched signed reveals: an evaluator signs its reveal (EIP-712) and publishes it to the content store; a relayer
 * collects them and submits many in one `revealScoresBatch` transaction, which saves every evaluator a
 * transaction (21,000 gas base and its own calldata overhead) for one signature check (about 4,000 gas).
 */

/** What an evaluator publishes for relayers: its signed reveal, self-contained. */
export type PublishedReveal = {
  version: 1;
  chainId: number;
  settlement: Address;
  roundId: string;
  evaluator: Address;
  reveal: SignedReveal;
};

/** Store index kind of published reveals; the key is `<roundId>.<evaluator, lowercase>`. */
export const REVEAL_INDEX = "reveal";

export function revealIndexKey(roundId: bigint, evaluator: Address): string {
  return `${roundId}.${evaluator.toLowerCase()}`;
}

/**
 * Calldata a batch of signed reveals can hold: under 128 KB, the transaction size most nodes relay (geth's pool
 * limit), and far under the 2^24 transaction gas cap (about 40 gas a byte at the calldata floor).
 */
export const MAX_REVEAL_BATCH_BYTES = 120_000;

/** Calldata bytes one entry adds to `revealScoresBatch(uint256, SignedReveal[])`. */
export function revealEntryBytes(r: SignedReveal): number {
  const scoreBytes = (r.scores.length - 2) / 2;
  // Array offset, six head words, scores (length word and padded data), proof (length word and hashes).
  return 32 * (1 + 6 + 1 + Math.ceil(scoreBytes / 32) + 1 + r.assignmentProof.length);
}

/** Splits entries, in order, into batches of at most `maxBytes` of calldata (an oversized entry goes alone). */
export function planRevealBatches<T extends { reveal: SignedReveal }>(entries: readonly T[], maxBytes = MAX_REVEAL_BATCH_BYTES): T[][] {
  const out: T[][] = [];
  let cur: T[] = [];
  let size = 0;
  for (const e of entries) {
    const b = revealEntryBytes(e.reveal);
    if (cur.length > 0 && size + b > maxBytes) {
      out.push(cur);
      cur = [];
      size = 0;
    }
    cur.push(e);
    size += b;
  }
  if (cur.length > 0) out.push(cur);
  return out;
}

/** The 65-byte signature (`r ‖ s ‖ v`) of an EIP-2098 compact one. */
export function expandSignature(r: Hex, vs: Hex): Hex {
  const v = BigInt(vs);
  const yParity = v >> 255n;
  const s = v & ((1n << 255n) - 1n);
  return `${r}${s.toString(16).padStart(64, "0")}${(27n + yParity).toString(16)}` as Hex;
}

/** The address that signed a reveal, or undefined for a malformed signature. */
export async function revealSigner(d: CommitmentDomain, reveal: SignedReveal): Promise<Address | undefined> {
  try {
    const typed = revealTypedData({ ...d, scores: reveal.scores, salt: reveal.salt });
    return getAddress(await recoverTypedDataAddress({ ...typed, signature: expandSignature(reveal.r, reveal.vs) }));
  } catch {
    return undefined;
  }
}

/**
 * Why `revealScoresBatch` would reject a published reveal (wrong round, deployment or evaluator; malformed scores;
 * scores or salt that do not match the on-chain commitment; a signature by someone else; an assignment proof that
 * does not verify), or undefined when it would store it. A relayer checks every entry first, so one bad
 * publication never fails a batch.
 */
export async function checkPublishedReveal(
  f: PublishedReveal,
  expect: CommitmentDomain & { chainId: number; contract: Address; evaluator: Address; commitment: Hex; assignmentRoot: Hex },
): Promise<string | undefined> {
  try {
    const x = f.reveal;
    const d = { chainId: expect.chainId, contract: expect.contract, roundId: BigInt(expect.roundId) };
    if (f.version !== 1 || !x || BigInt(f.roundId) !== d.roundId || f.chainId !== d.chainId) return "not a reveal of this round";
    if (getAddress(f.settlement) !== getAddress(d.contract) || getAddress(f.evaluator) !== getAddress(expect.evaluator)) {
      return "not a reveal of this evaluator and deployment";
    }
    const count = unpackScores(x.scores).length;
    if (scoreCommitment({ ...d, evaluator: expect.evaluator, scores: x.scores, salt: x.salt }) !== expect.commitment) return "does not match the commitment";
    if ((await revealSigner(d, x)) !== getAddress(expect.evaluator)) return "not signed by the evaluator";
    const leaf: [Address, bigint, Hex] = [getAddress(expect.evaluator), BigInt(count), x.tasksHash];
    if (!StandardMerkleTree.verify(expect.assignmentRoot, ASSIGNMENT_LEAF_TYPES, leaf, x.assignmentProof)) return "assignment proof does not verify";
    return undefined;
  } catch (e) {
    return (e as Error).message.split("\n")[0];
  }
}
