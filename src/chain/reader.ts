import { erc20Abi, getAddress, type Address, type Hex, type PublicClient } from "viem";
import { InputError } from "../errors";
import { poQSettlementAbi, rewardDistributorAbi, stakeVaultAbi } from "./abis";
import type { Deployment } from "./deployment";
import { unpackScores, type Settlement } from "./encoding";

/** On-chain phases, as `IPoQSettlement.Phase`. */
export const Phase = {
  None: 0,
  Assigning: 1,
  Commit: 2,
  Reveal: 3,
  Settle: 4,
  Challenge: 5,
  Finalizable: 6,
  Finalized: 7,
  Cancelled: 8,
} as const;
export const PHASE_NAMES = Object.keys(Phase) as (keyof typeof Phase)[];

export const Role = { Inference: 1, Evaluator: 2 } as const;

export type RoundView = {
  id: bigint;
  phase: number;
  status: number;
  k: number;
  vetoes: number;
  settleCommits: number;
  settleReveals: number;
  attempt: number;
  taskCount: number;
  commitDeadline: bigint;
  revealDeadline: bigint;
  settleStart: bigint;
  challengeEnd: bigint;
  paramsVersion: number;
  registeredBlock: bigint;
  taskRoot: Hex;
  seed: Hex;
  assignmentRoot: Hex;
  settlementHash: Hex;
};

/** Reads a round and its phase; throws a clear error for an unknown round. */
export async function readRound(client: PublicClient, d: Deployment, roundId: bigint): Promise<RoundView> {
  // Both reads at one block, so the phase and the stored fields always agree.
  const blockNumber = await client.getBlockNumber({ cacheTime: 0 });
  const [r, phase] = await Promise.all([
    client.readContract({ address: d.settlement, abi: poQSettlementAbi, functionName: "getRound", args: [roundId], blockNumber }),
    client.readContract({ address: d.settlement, abi: poQSettlementAbi, functionName: "phaseOf", args: [roundId], blockNumber }),
  ]);
  if (r.status === 0) throw new InputError(`unknown round ${roundId}`);
  return {
    id: roundId,
    phase: Number(phase),
    status: Number(r.status),
    k: Number(r.k),
    vetoes: Number(r.vetoes),
    settleCommits: Number(r.settleCommits),
    settleReveals: Number(r.settleReveals),
    attempt: Number(r.attempt),
    taskCount: Number(r.taskCount),
    commitDeadline: BigInt(r.commitDeadline),
    revealDeadline: BigInt(r.revealDeadline),
    settleStart: BigInt(r.settleStart),
    challengeEnd: BigInt(r.challengeEnd),
    paramsVersion: Number(r.paramsVersion),
    registeredBlock: BigInt(r.registeredBlock),
    taskRoot: r.taskRoot,
    seed: r.seed,
    assignmentRoot: r.assignmentRoot,
    settlementHash: r.settlementHash,
  };
}

export async function roundCount(client: PublicClient, d: Deployment): Promise<bigint> {
  return client.readContract({ address: d.settlement, abi: poQSettlementAbi, functionName: "roundCount" });
}

/** Largest block span per eth_getLogs request (public RPCs cap it). */
export const LOG_CHUNK = 5_000n;

/** Runs `fetch` over [from, to] in chunks and concatenates the results in block order. */
export async function chunked<T>(from: bigint, to: bigint, fetch: (from: bigint, to: bigint) => Promise<T[]>): Promise<T[]> {
  const out: T[] = [];
  for (let a = from; a <= to; a += LOG_CHUNK) {
    const b = a + LOG_CHUNK - 1n < to ? a + LOG_CHUNK - 1n : to;
    out.push(...(await fetch(a, b)));
  }
  return out;
}

type VaultLog = { blockNumber: bigint; logIndex: number; apply: (m: Map<Address, bigint>) => void };

/**
 * Active evaluator stakes at the end of block `beforeBlock - 1`, rebuilt from the vault's events alone (no archive
 * state needed): Staked sets the active amount, UnstakeRequested lowers it, Slashed takes from active first.
 * Only stakes at or above the current evaluator minimum count.
 */
export async function evaluatorStakesBefore(client: PublicClient, d: Deployment, beforeBlock: bigint): Promise<Map<Address, bigint>> {
  const from = d.fromBlock ?? 0n;
  const to = beforeBlock - 1n;
  const active = new Map<Address, bigint>();
  if (to < from) return active;
  const role = Role.Evaluator;
  const logs: VaultLog[] = [];
  const base = { address: d.vault, abi: stakeVaultAbi, strict: true } as const;
  await chunked(from, to, async (fromBlock, toBlock) => {
    const [staked, unstaked, slashed] = await Promise.all([
      client.getContractEvents({ ...base, eventName: "Staked", args: { role }, fromBlock, toBlock }),
      client.getContractEvents({ ...base, eventName: "UnstakeRequested", args: { role }, fromBlock, toBlock }),
      client.getContractEvents({ ...base, eventName: "Slashed", fromBlock, toBlock }),
    ]);
    for (const l of staked) logs.push({ blockNumber: l.blockNumber, logIndex: l.logIndex, apply: (m) => m.set(getAddress(l.args.account), l.args.active) });
    for (const l of unstaked) {
      logs.push({ blockNumber: l.blockNumber, logIndex: l.logIndex, apply: (m) => m.set(getAddress(l.args.account), (m.get(getAddress(l.args.account)) ?? 0n) - l.args.amount) });
    }
    for (const l of slashed) {
      if (Number(l.args.role) !== role) continue;
      logs.push({
        blockNumber: l.blockNumber,
        logIndex: l.logIndex,
        apply: (m) => {
          const a = getAddress(l.args.account);
          const cur = m.get(a) ?? 0n;
          m.set(a, cur > l.args.amount ? cur - l.args.amount : 0n);
        },
      });
    }
    return [];
  });
  logs.sort((x, y) => (x.blockNumber === y.blockNumber ? x.logIndex - y.logIndex : x.blockNumber < y.blockNumber ? -1 : 1));
  // A node or proxy may deliver a log twice; unstake and slash amounts are deltas, so apply each log once.
  let last: VaultLog | undefined;
  for (const l of logs) {
    if (last && last.blockNumber === l.blockNumber && last.logIndex === l.logIndex) continue;
    l.apply(active);
    last = l;
  }
  const min = await client.readContract({ address: d.vault, abi: stakeVaultAbi, functionName: "minStake", args: [role] });
  for (const [a, v] of active) if (v === 0n || v < min) active.delete(a);
  return active;
}

/** Block range of a round's events: from its registration to the latest block. */
function roundRange(r: RoundView) {
  return { fromBlock: r.registeredBlock, toBlock: "latest" as const };
}

/** Evaluators that committed in the round, and the scores of those that revealed. */
export async function roundVotes(client: PublicClient, d: Deployment, r: RoundView) {
  const base = { address: d.settlement, abi: poQSettlementAbi, strict: true, args: { roundId: r.id }, ...roundRange(r) } as const;
  const [commits, reveals] = await Promise.all([
    client.getContractEvents({ ...base, eventName: "ScoresCommitted" }),
    client.getContractEvents({ ...base, eventName: "ScoresRevealed" }),
  ]);
  const committed = new Set<Address>(commits.map((l) => getAddress(l.args.evaluator)));
  const revealed = new Map<Address, number[]>();
  for (const l of reveals) revealed.set(getAddress(l.args.evaluator), unpackScores(l.args.scores));
  return { committed, revealed };
}

/** The settlements relayers revealed for the round, by hash. */
export async function revealedSettlements(client: PublicClient, d: Deployment, r: RoundView): Promise<Map<Hex, Settlement>> {
  const logs = await client.getContractEvents({
    address: d.settlement,
    abi: poQSettlementAbi,
    strict: true,
    eventName: "SettlementRevealed",
    args: { roundId: r.id },
    ...roundRange(r),
  });
  const out = new Map<Hex, Settlement>();
  for (const l of logs) {
    const s = l.args.settlement;
    out.set(l.args.settlementHash, {
      rewardsRoot: s.rewardsRoot,
      cumulativeTotal: s.cumulativeTotal,
      inferencePaid: s.inferencePaid,
      evaluatorPaid: s.evaluatorPaid,
      trustRoot: s.trustRoot,
      inputsHash: s.inputsHash,
      paramsVersion: Number(s.paramsVersion),
      slashes: s.slashes.map((x) => ({ evaluator: getAddress(x.evaluator), reason: Number(x.reason) as 1 | 2 })),
    });
  }
  return out;
}

export async function roundPools(client: PublicClient, d: Deployment, roundId: bigint) {
  const f = await client.readContract({ address: d.distributor, abi: rewardDistributorAbi, functionName: "roundFunds", args: [roundId] });
  return { inferencePool: BigInt(f.inferencePool), evaluatorPool: BigInt(f.evaluatorPool), settled: f.settled };
}

/** The reward contracts' books, for conservation checks: the totals, the two balances and the claims (summed from
 * `Claimed` events, independently of the balances). With a standard token, `rewardVaultBalance` =
 * funded − allocated − swept and `distributorBalance` = allocated − claimed. */
export type RewardBooks = {
  funded: bigint;
  allocated: bigint;
  swept: bigint;
  claimed: bigint;
  rewardVault: Address;
  rewardVaultBalance: bigint;
  distributorBalance: bigint;
};

export async function rewardBooks(client: PublicClient, d: Deployment): Promise<RewardBooks> {
  const to = await client.getBlockNumber({ cacheTime: 0 });
  const [[funded, allocated, swept], rewardVault] = await Promise.all([
    client.readContract({ address: d.distributor, abi: rewardDistributorAbi, functionName: "totals", blockNumber: to }),
    client.readContract({ address: d.distributor, abi: rewardDistributorAbi, functionName: "vault" }),
  ]);
  const bal = (a: Address) => client.readContract({ address: d.token, abi: erc20Abi, functionName: "balanceOf", args: [a], blockNumber: to });
  const [rewardVaultBalance, distributorBalance, claims] = await Promise.all([
    bal(rewardVault),
    bal(d.distributor),
    chunked(d.fromBlock ?? 0n, to, (a, b) => client.getContractEvents({ address: d.distributor, abi: rewardDistributorAbi, eventName: "Claimed", fromBlock: a, toBlock: b, strict: true })),
  ]);
  const claimed = claims.reduce((s, l) => s + l.args.amount, 0n);
  return { funded, allocated, swept, claimed, rewardVault: getAddress(rewardVault), rewardVaultBalance, distributorBalance };
}

/** The latest block's timestamp: phases follow block time, not the local clock. */
export async function chainTime(client: PublicClient): Promise<bigint> {
  return (await client.getBlock({ blockTag: "latest" })).timestamp;
}
