import { createHmac } from "node:crypto";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import {
  encodeAbiParameters,
  getAbiItem,
  encodePacked,
  getAddress,
  hashTypedData,
  keccak256,
  parseSignature,
  signatureToCompactSignature,
  toHex,
  type Address,
  type Hex,
} from "viem";
import { InputError } from "../errors";
import { poQSettlementAbi } from "./abis";
import { standardStaticTree, type StaticLeafType } from "../rewards/merkle";
import { buildSumTree, sumTreeIndexOf, sumTreeProof, type SumTree } from "../rewards/sumTree";

export { buildSumTree, type SumTree };

/**
 * The encodings shared with the contracts: packed scores, commitments, settlement hashes and the Merkle trees
 * (task batch, assignment, gold pool and gold tasks, trust; the cumulative rewards sum tree is in src/rewards/sumTree.ts). Each function mirrors one piece of Solidity; tests check
 * them against the deployed contracts.
 */

/** Highest on-chain score: quality 10 scaled by 1000. */
export const MAX_SCORE = 10_000;
/** The reserved packed score of an output the evaluator could not fetch (`ScoresLib.UNAVAILABLE`). */
export const UNAVAILABLE = 0xffff;

/** Slash reason codes of the vault's `Slashed` event (3: a relayer bond seized after a challenge held). */
export const SlashReason = { NonReveal: 1, LowTrust: 2, Bond: 3 } as const;
export type SlashReasonCode = (typeof SlashReason)[keyof typeof SlashReason];

/** Settlement flag bit 0: low-trust slashing frozen by the circuit breaker. */
export const SETTLEMENT_FLAG_BREAKER = 1;

/** The settlement struct of `IPoQSettlement`, field for field. */
export type Settlement = {
  rewardsRoot: Hex;
  cumulativeTotal: bigint;
  inferencePaid: bigint;
  evaluatorPaid: bigint;
  trustRoot: Hex;
  inputsHash: Hex;
  goldRoot: Hex;
  goldSalt: Hex;
  goldCount: number;
  paramsVersion: number;
  flags: number;
  lowTrustSlashes: Address[];
};

/**
 * ABI of the settlement tuple, as `abi.encode(settlement)` sees it: the parameter of the contract's own
 * `hashSettlement(Settlement)`, so the struct layout is read from the compiled contract, never restated.
 */
export const SETTLEMENT_ABI = getAbiItem({ abi: poQSettlementAbi, name: "hashSettlement" }).inputs;

/** Maps a quality in [0, 10] to the on-chain integer score (rounded half up, clamped to [0, 10000]). */
export function toOnchainScore(quality: number): number {
  if (!Number.isFinite(quality)) throw new InputError(`score ${quality} is not a finite number`);
  return Math.min(MAX_SCORE, Math.max(0, Math.round(quality * 1000)));
}

const isPackable = (s: number): boolean => Number.isInteger(s) && ((s >= 0 && s <= MAX_SCORE) || s === UNAVAILABLE);

/** Packs integer scores in [0, 10000] (or {@link UNAVAILABLE}) as big-endian uint16s, in assignment order. */
export function packScores(scores: readonly number[]): Hex {
  if (scores.length === 0) throw new InputError("no scores to pack");
  const bytes = new Uint8Array(scores.length * 2);
  scores.forEach((s, i) => {
    if (!isPackable(s)) {
      throw new InputError(`score ${s} at index ${i} is out of range (integers 0..${MAX_SCORE}, or ${UNAVAILABLE} for unavailable)`);
    }
    bytes[2 * i] = s >> 8;
    bytes[2 * i + 1] = s & 0xff;
  });
  return toHex(bytes);
}

/** Inverse of {@link packScores}; rejects odd lengths and values above 10000 other than UNAVAILABLE, like the contract. */
export function unpackScores(packed: Hex): number[] {
  const hex = packed.slice(2);
  if (hex.length === 0 || hex.length % 4 !== 0) {
    throw new InputError(`malformed packed scores: ${hex.length / 2} bytes (expected a positive even number)`);
  }
  const out: number[] = [];
  for (let i = 0; i < hex.length; i += 4) {
    const v = parseInt(hex.slice(i, i + 4), 16);
    if (!isPackable(v)) throw new InputError(`packed score ${v} at index ${i / 4} is above ${MAX_SCORE} and not ${UNAVAILABLE} (unavailable)`);
    out.push(v);
  }
  return out;
}

export type CommitmentDomain = { chainId: bigint | number; contract: Address; roundId: bigint | number };

/** `keccak256(abi.encode(chainId, contract, roundId, evaluator, keccak256(scores), salt))`. */
export function scoreCommitment(d: CommitmentDomain & { evaluator: Address; scores: Hex; salt: Hex }): Hex {
  return keccak256(
    encodeAbiParameters(
      [{ type: "uint256" }, { type: "address" }, { type: "uint256" }, { type: "address" }, { type: "bytes32" }, { type: "bytes32" }],
      [BigInt(d.chainId), d.contract, BigInt(d.roundId), d.evaluator, keccak256(d.scores), d.salt],
    ),
  );
}

/** `keccak256(abi.encode(settlement))`. */
export function hashSettlement(s: Settlement): Hex {
  return keccak256(encodeAbiParameters(SETTLEMENT_ABI, [normalizeSettlement(s)]));
}

/** `keccak256(abi.encode(chainId, contract, roundId, attempt, relayer, settlementHash, salt))`. */
export function settlementCommitment(d: CommitmentDomain & { attempt: number | bigint; relayer: Address; settlementHash: Hex; salt: Hex }): Hex {
  return keccak256(
    encodeAbiParameters(
      [{ type: "uint256" }, { type: "address" }, { type: "uint256" }, { type: "uint256" }, { type: "address" }, { type: "bytes32" }, { type: "bytes32" }],
      [BigInt(d.chainId), d.contract, BigInt(d.roundId), BigInt(d.attempt), d.relayer, d.settlementHash, d.salt],
    ),
  );
}

/* SIGNED REVEALS (EIP-712) */

/** The EIP-712 domain name and version of `PoQSettlement`. */
export const REVEAL_DOMAIN = { name: "PoQSettlement", version: "2" } as const;

/** The EIP-712 types of a signed reveal: `Reveal(uint256 roundId,bytes scores,bytes32 salt)`. */
export const REVEAL_TYPES = {
  Reveal: [
    { name: "roundId", type: "uint256" },
    { name: "scores", type: "bytes" },
    { name: "salt", type: "bytes32" },
  ],
} as const;

/**
 * The typed data an evaluator signs to let anyone submit its reveal in a batch (`revealScoresBatch`): ready for
 * viem's `signTypedData`. The commitment already binds scores and salt to the evaluator; the signature says the
 * evaluator itself released them.
 */
export function revealTypedData(d: CommitmentDomain & { scores: Hex; salt: Hex }) {
  return {
    domain: { ...REVEAL_DOMAIN, chainId: BigInt(d.chainId), verifyingContract: getAddress(d.contract) },
    types: REVEAL_TYPES,
    primaryType: "Reveal" as const,
    message: { roundId: BigInt(d.roundId), scores: d.scores, salt: d.salt },
  };
}

/** The EIP-712 digest of a reveal, as `PoQSettlement.revealDigest` computes it. */
export function revealDigest(d: CommitmentDomain & { scores: Hex; salt: Hex }): Hex {
  return hashTypedData(revealTypedData(d));
}

/** `IPoQSettlement.SignedReveal`, field for field. */
export type SignedReveal = {
  scores: Hex;
  salt: Hex;
  tasksHash: Hex;
  assignmentProof: Hex[];
  /** EIP-2098 compact signature: r and (s with v's parity in the top bit). */
  r: Hex;
  vs: Hex;
};

/** Splits a 65-byte signature (`r ‖ s ‖ v`) into the EIP-2098 compact form the contract takes. */
export function compactSignature(signature: Hex): { r: Hex; vs: Hex } {
  const { r, yParityAndS } = signatureToCompactSignature(parseSignature(signature));
  return { r, vs: yParityAndS };
}

/**
 * Deterministic salt: HMAC-SHA256 keyed by the actor's secret (its private key) over the domain, the round, the
 * purpose and the attempt. A restarted daemon derives the same salt, so a crash never loses a reveal; nobody
 * without the key can predict it.
 */
export function deriveSalt(
  secret: Hex,
  d: CommitmentDomain & { purpose: "scores" | "settlement"; attempt?: number },
): Hex {
  const msg = `poq-settle/salt/v1/${BigInt(d.chainId)}/${getAddress(d.contract)}/${BigInt(d.roundId)}/${d.purpose}/${d.attempt ?? 0}`;
  return `0x${createHmac("sha256", Buffer.from(secret.slice(2), "hex")).update(msg).digest("hex")}`;
}

/** `keccak256(abi.encodePacked(uint32[] taskIndexes))`, the indexes ascending. */
export function tasksHash(taskIndexes: readonly number[]): Hex {
  for (let i = 1; i < taskIndexes.length; i++) {
    if (taskIndexes[i] <= taskIndexes[i - 1]) throw new InputError("task indexes must be strictly ascending");
  }
  return keccak256(encodePacked(["uint32[]"], [taskIndexes as number[]]));
}

/** A task of a batch: its index in the round, the inference node, the model, the output's content hash and cost. */
export type TaskLeaf = { index: number; node: Address; modelId: Hex; contentHash: Hex; costUnits: bigint };

export const TASK_LEAF_TYPES: StaticLeafType[] = ["uint256", "address", "bytes32", "bytes32", "uint256"];
export const ASSIGNMENT_LEAF_TYPES: StaticLeafType[] = ["address", "uint256", "bytes32"];
export const TRUST_LEAF_TYPES: StaticLeafType[] = ["address", "uint256"];
export const GOLD_ITEM_LEAF_TYPES: StaticLeafType[] = ["uint256", "uint256", "bytes32", "uint256"];
export const GOLD_POOL_LEAF_TYPES: StaticLeafType[] = ["uint256", "bytes32", "uint256"];

/** Merkle tree over the round's task batch. */
export function buildTaskTree(tasks: readonly TaskLeaf[]): StandardMerkleTree<[number, Address, Hex, Hex, bigint]> {
  if (tasks.length === 0) throw new InputError("a task batch needs at least one task");
  // A batch has a few nodes and many tasks: each node's checksum is computed once.
  const checksummed = new Map<string, Address>();
  const addressOf = (node: string): Address => {
    let a = checksummed.get(node);
    if (a === undefined) checksummed.set(node, (a = getAddress(node)));
    return a;
  };
  return standardStaticTree(
    tasks.map((t) => [t.index, addressOf(t.node), t.modelId, t.contentHash, t.costUnits] as [number, Address, Hex, Hex, bigint]),
    TASK_LEAF_TYPES,
  );
}

/** Assignment tree: one leaf `(evaluator, scoreCount, tasksHash)` per evaluator with at least one task. */
export function buildAssignmentTree(
  byEvaluator: ReadonlyMap<Address, readonly number[]>,
): StandardMerkleTree<[Address, bigint, Hex]> {
  const values = [...byEvaluator.entries()]
    .filter(([, tasks]) => tasks.length > 0)
    .map(([e, tasks]) => [getAddress(e), BigInt(tasks.length), tasksHash(tasks)] as [Address, bigint, Hex])
    .sort((a, b) => (a[0].toLowerCase() < b[0].toLowerCase() ? -1 : 1));
  if (values.length === 0) throw new InputError("an assignment needs at least one evaluator with tasks");
  return standardStaticTree(values, ASSIGNMENT_LEAF_TYPES);
}

/* GOLD TASKS */

/** One gold task of a round (`ISettlementChallenges.GoldItem`): its task, its pool item, content hash and quality. */
export type GoldItem = { taskIndex: number; poolIndex: number; contentHash: Hex; quality: number };
/** One item of the committed gold pool: its position, the output's content hash and its known quality 0..10000. */
export type GoldPoolItem = { poolIndex: number; contentHash: Hex; quality: number };

/** The gold pool tree (OpenZeppelin standard leaves `(uint256 poolIndex, bytes32 contentHash, uint256 quality)`). */
export function buildGoldPoolTree(items: readonly GoldPoolItem[]): StandardMerkleTree<[number, Hex, number]> {
  if (items.length === 0) throw new InputError("a gold pool needs at least one item");
  items.forEach((it, i) => {
    if (it.poolIndex !== i) throw new InputError(`gold pool items must be listed by index 0..${items.length - 1}; position ${i} has ${it.poolIndex}`);
  });
  return standardStaticTree(items.map((it) => [it.poolIndex, it.contentHash, it.quality] as [number, Hex, number]), GOLD_POOL_LEAF_TYPES);
}

/** A round's gold tree (standard leaves `(uint256 taskIndex, uint256 poolIndex, bytes32 contentHash, uint256 quality)`). */
export function buildGoldTree(items: readonly GoldItem[]): StandardMerkleTree<[number, number, Hex, number]> {
  if (items.length === 0) throw new InputError("a gold tree needs at least one item");
  return standardStaticTree(
    items.map((it) => [it.taskIndex, it.poolIndex, it.contentHash, it.quality] as [number, number, Hex, number]),
    GOLD_ITEM_LEAF_TYPES,
  );
}

/** A gold item's leaf hash, as `SettlementChallenges.goldItemLeaf` computes it. */
export function goldItemLeaf(it: GoldItem): Hex {
  const enc = encodeAbiParameters(
    [{ type: "uint256" }, { type: "uint256" }, { type: "bytes32" }, { type: "uint256" }],
    [BigInt(it.taskIndex), BigInt(it.poolIndex), it.contentHash, BigInt(it.quality)],
  );
  return keccak256(keccak256(enc));
}

/** `keccak256(abi.encode(goldRoot, goldCount, goldSalt))`: what a registration commits to (zero: no gold). */
export function goldCommitment(goldRoot: Hex, goldCount: number, goldSalt: Hex): Hex {
  return keccak256(encodeAbiParameters([{ type: "bytes32" }, { type: "uint32" }, { type: "bytes32" }], [goldRoot, goldCount, goldSalt]));
}

/** The sum-tree proof of `account` in a rewards tree, or undefined when it has no leaf. */
export function rewardProof(tree: SumTree, account: Address): { cumulativeAmount: bigint; index: number; proof: Hex[] } | undefined {
  const index = sumTreeIndexOf(tree, account);
  if (index < 0) return undefined;
  return { cumulativeAmount: tree.leaves[index].amount, index, proof: sumTreeProof(tree, index) };
}

function normalizeSettlement(s: Settlement) {
  return { ...s, lowTrustSlashes: s.lowTrustSlashes.map((a) => getAddress(a)) };
}
