import { type Address, type Hex, encodeAbiParameters, keccak256, stringToBytes } from "viem";
import type { SettlementParams } from "./params";
import type { EvidenceRecord, StatRecord } from "./settlement";
import { PackedBytes } from "./packedBytes";
import { scoresHash } from "./scoresHash";

/** The settlement inputs in canonical order (see canonicalize in settlement.ts). Addresses are checksummed. */
export type CanonicalInputs = {
  roundId: bigint;
  params: SettlementParams;
  /** Tasks in index order 0..T-1. */
  tasks: { inferenceNode: Address; costUnits: bigint }[];
  byTask: Address[][];
  /** Valid reveals, sorted by address. */
  reveals: { evaluator: Address; scores: number[] }[];
  /** Sorted, deduplicated. */
  committedNotRevealed: Address[];
  /** Sorted by address. */
  previousTrust: { evaluator: Address; trustPpm: number; lowStreak: number; evidence?: EvidenceRecord }[];
  stakes: { account: Address; stake: bigint }[];
  previousCumulative: { account: Address; amount: bigint }[];
  /** Sorted by task index. */
  gold: { index: number; quality: number }[];
  /** Tasks excluded for UNAVAILABLE reports, ascending (a function of the reveals, hashed for a reader's benefit). */
  excludedTasks: number[];
  inferencePool: bigint;
  evaluatorPool: bigint;
};

export const INPUTS_DOMAIN: Hex = keccak256(stringToBytes("PoQSettle.inputs.v2"));

/** The numeric parameters in the fixed order that paramsHash encodes. */
export function paramsVector(p: SettlementParams): bigint[] {
  const c = p.consensus;
  return [
    p.alphaPpm, p.betaPpm, p.agreementTolerance, p.payCapPpm, p.payZMilli, p.slashThresholdPpm, p.slashAfterRounds, p.maxSlashes, p.breakerPpm,
    c.initialTrustPpm, c.trimFractionPpm, c.publishedLambdaPpm, c.publishedMinPpm, c.publishedMaxPpm,
    c.etaUpPpm, c.etaDownPpm, c.honestBand, c.headroom, c.residualCap, c.sdFloor, c.evidenceDecayPpm, c.minEvidenceMilli,
    c.evidencePruneMilli, c.zLoMilli, c.zHiMilli, c.nodeZExtraMilli, c.confirmZSlackMilli, c.confirmQuantilePpm, c.confirmBand, c.breakerZSlackMilli, c.passes, c.consensusTrimPpm, c.offsetShrinkMilli, c.censorWindow, c.precisionMinPpm,
    c.precisionMaxPpm, c.stakeUnitWei, c.stakeCapUnits,
  ].map((v) => BigInt(v));
}

/** keccak256(abi.encode(string rule, uint256[] paramsVector)). */
export function paramsHash(p: SettlementParams): Hex {
  return keccak256(encodeAbiParameters([{ type: "string" }, { type: "uint256[]" }], [p.rule, paramsVector(p)]));
}

/**
 * Hash of every input a settlement depends on, so anyone can check that a relayer settled the data on chain:
 *
 *     keccak256(abi.encode(
 *       bytes32 INPUTS_DOMAIN, uint256 roundId, uint256 paramsVersion, bytes32 paramsHash,
 *       bytes32 tasksHash,      // keccak256(packed: per task in index order: address node, uint256 costUnits)
 *       bytes32 assignmentHash, // keccak256(packed: per task: uint16 count, then its evaluators' addresses in draw order)
 *       bytes32 revealsHash,    // keccak256(packed: per valid reveal by address: address, bytes32 keccak256(packed uint16 scores))
 *       bytes32 nonRevealHash,  // keccak256(packed: committed-but-not-revealed addresses, ascending)
 *       bytes32 trustHash,      // keccak256(packed: per evaluator by address: address, uint32 trustPpm, uint32 lowStreak,
 *                               //   bytes32 evidenceHash) with evidenceHash = keccak256(packed: all, up, down, info as 3 x int64
 *                               //   each, then per node by address: address, up, down), zero hash without evidence
 *       bytes32 stakesHash,     // keccak256(packed: per account by address: address, uint256 stake)
 *       bytes32 cumulativeHash, // keccak256(packed: per account by address: address, uint256 previous cumulative amount)
 *       bytes32 goldHash,       // keccak256(packed: per gold task by index: uint32 index, uint16 quality)
 *       bytes32 excludedHash,   // keccak256(packed: excluded task indexes ascending, uint32 each)
 *       uint256 inferencePool, uint256 evaluatorPool))
 *
 * "packed" is abi.encodePacked of the listed fixed-width fields (int64: two's complement); lists are ordered as
 * stated and addresses compare as lowercase hex. Reveals carry UNAVAILABLE (65535) entries as they are; the assignment
 * lists every draw, so an address drawn twice for a task appears twice (its seats).
 */
export function computeInputsHash(c: CanonicalInputs): Hex {
  const tasks = new PackedBytes(c.tasks.length * 52 + 32);
  for (const t of c.tasks) tasks.address(t.inferenceNode).uint(t.costUnits, 32);
  const assignment = new PackedBytes(c.byTask.length * (2 + 20 * (c.byTask[0]?.length ?? 1)) + 32);
  for (const row of c.byTask) {
    assignment.uint(row.length, 2);
    for (const a of row) assignment.address(a);
  }
  const reveals = new PackedBytes(c.reveals.length * 52 + 32);
  for (const r of c.reveals) reveals.address(r.evaluator).raw(scoresHash(r.scores));
  const nonReveal = new PackedBytes();
  for (const a of c.committedNotRevealed) nonReveal.address(a);
  const trust = new PackedBytes();
  for (const t of c.previousTrust) trust.address(t.evaluator).uint(t.trustPpm, 4).uint(t.lowStreak, 4).raw(evidenceHash(t.evidence));
  const stakes = new PackedBytes();
  for (const s of c.stakes) stakes.address(s.account).uint(s.stake, 32);
  const cumulative = new PackedBytes();
  for (const s of c.previousCumulative) cumulative.address(s.account).uint(s.amount, 32);
  const gold = new PackedBytes();
  for (const g of c.gold) gold.uint(g.index, 4).uint(g.quality, 2);
  const excluded = new PackedBytes();
  for (const t of c.excludedTasks) excluded.uint(t, 4);

  return keccak256(
    encodeAbiParameters(
      [
        { type: "bytes32" }, { type: "uint256" }, { type: "uint256" }, { type: "bytes32" },
        { type: "bytes32" }, { type: "bytes32" }, { type: "bytes32" }, { type: "bytes32" },
        { type: "bytes32" }, { type: "bytes32" }, { type: "bytes32" }, { type: "bytes32" }, { type: "bytes32" },
        { type: "uint256" }, { type: "uint256" },
      ],
      [
        INPUTS_DOMAIN, c.roundId, BigInt(c.params.paramsVersion), paramsHash(c.params),
        keccak256(tasks.bytes()), keccak256(assignment.bytes()), keccak256(reveals.bytes()), keccak256(nonReveal.bytes()),
        keccak256(trust.bytes()), keccak256(stakes.bytes()), keccak256(cumulative.bytes()), keccak256(gold.bytes()),
        keccak256(excluded.bytes()), c.inferencePool, c.evaluatorPool,
      ],
    ),
  );
}

const ZERO32: Hex = `0x${"00".repeat(32)}`;

function stat(p: PackedBytes, s: StatRecord): void {
  for (const x of s) p.uint(BigInt.asUintN(64, BigInt(x)), 8);
}

/** keccak256 of an evaluator's carried evidence (see computeInputsHash); the zero hash without evidence. */
export function evidenceHash(e: EvidenceRecord | undefined): Hex {
  if (!e) return ZERO32;
  const p = new PackedBytes();
  stat(p, e.all);
  stat(p, e.up);
  stat(p, e.down);
  stat(p, e.info);
  const nodes = [...e.nodes].sort((a, b) => (a.node.toLowerCase() < b.node.toLowerCase() ? -1 : 1));
  for (const n of nodes) {
    p.address(n.node);
    stat(p, n.up);
    stat(p, n.down);
  }
  return keccak256(p.bytes());
}
