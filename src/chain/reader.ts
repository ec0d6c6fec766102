import { encodeAbiParameters, erc20Abi, getAddress, keccak256, type Address, type Hex, type PublicClient } from "viem";
import { InputError } from "../errors";
import { poQSettlementAbi, rewardDistributorAbi, settlementConfigAbi, stakeVaultAbi } from "./abis";
import type { Deployment } from "./deployment";
import { unpackScores, type Settlement } from "./encoding";

const ZERO_HASH: Hex = `0x${"00".repeat(32)}`;

/** On-chain phases, as `IPoQSettlement.Phase`. */
export const Phase = {
  None: 0,
  Seeding: 1,
  Assigning: 2,
  Commit: 3,
  Reveal: 4,
  Settle: 5,
  Challenge: 6,
  Finalizable: 7,
  Finalized: 8,
  Cancelled: 9,
  Expired: 10,
} as const;
export const PHASE_NAMES = Object.keys(Phase) as (keyof typeof Phase)[];

/** Stored round status, as `IPoQSettlement.Status` (the phase is derived from it and the deadlines). */
export const Status = { None: 0, Registered: 1, Active: 2, Accepted: 3, Finalized: 4, Cancelled: 5 } as const;

/** Stake roles, as `IStakeVault.Role`. */
export const Role = { Inference: 1, Evaluator: 2, Relayer: 3 } as const;

/** The governance-set parameters of one version (`ISettlementConfig.Params`). */
export type RoundParams = {
  assignDuration: number;
  commitDuration: number;
  revealDuration: number;
  settleWindow: number;
  settleCommitDuration: number;
  settleRevealDuration: number;
  challengeDuration: number;
  responseDuration: number;
  maxTasks: number;
  seedDelay: number;
  k: number;
  quorum: number;
  maxVetoes: number;
  maxExtensions: number;
  maxOpenRounds: number;
  nonRevealSlashBps: number;
  lowTrustSlashBps: number;
  maxLowTrustSlashes: number;
  challengeRewardBps: number;
  failedChallengeBps: number;
  maxRoundPools: bigint;
  minRelayerBond: bigint;
  minChallengeBond: bigint;
  policyHash: Hex;
  goldPoolRoot: Hex;
  goldPoolSize: number;
};

export type RoundView = {
  id: bigint;
  phase: number;
  status: number;
  attempt: number;
  vetoes: number;
  extensions: number;
  taskCount: number;
  paramsVersion: number;
  commitDeadline: bigint;
  revealDeadline: bigint;
  attemptStart: bigint;
  registeredAt: bigint;
  assignDeadline: bigint;
  expiresAt: bigint;
  challengeEnd: bigint;
  seedBlock: bigint;
  /** The block of the registration (seedBlock − seedDelay): eligibility is the vault's state before it. */
  registeredBlock: bigint;
  registrar: Address;
  taskRoot: Hex;
  goldCommitment: Hex;
  seed: Hex;
  assignmentRoot: Hex;
  settlementHash: Hex;
  acceptedVoters: bigint;
  /** The parameters the round was registered under. */
  params: RoundParams;
};

/** Parameters are immutable per version: read each version once per process. */
const paramsCache = new Map<string, Promise<RoundParams>>();

/** The parameters of `version` (the current version when omitted). */
export async function readParams(client: PublicClient, d: Deployment, version?: number): Promise<RoundParams> {
  if (version === undefined) {
    version = Number(await client.readContract({ address: d.config, abi: settlementConfigAbi, functionName: "paramsVersion" }));
  }
  const key = `${d.config}:${version}`;
  let hit = paramsCache.get(key);
  if (!hit) {
    hit = client.readContract({ address: d.config, abi: settlementConfigAbi, functionName: "paramsAt", args: [BigInt(version)] }).then(toParams);
    hit.catch(() => paramsCache.delete(key));
    paramsCache.set(key, hit);
  }
  return hit;
}

function toParams(p: Record<string, unknown>): RoundParams {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(p)) out[k] = typeof v === "bigint" && !["maxRoundPools", "minRelayerBond", "minChallengeBond"].includes(k) ? Number(v) : v;
  return out as RoundParams;
}

/** Reads a round and its phase; throws a clear error for an unknown round. */
export async function readRound(client: PublicClient, d: Deployment, roundId: bigint): Promise<RoundView> {
  // Both reads at one block, so the phase and the stored fields always agree.
  const blockNumber = await client.getBlockNumber({ cacheTime: 0 });
  const [r, phase] = await Promise.all([
    client.readContract({ address: d.settlement, abi: poQSettlementAbi, functionName: "getRound", args: [roundId], blockNumber }),
    client.readContract({ address: d.settlement, abi: poQSettlementAbi, functionName: "phaseOf", args: [roundId], blockNumber }),
  ]);
  if (r.status === 0) throw new InputError(`unknown round ${roundId}`);
  const params = await readParams(client, d, Number(r.paramsVersion));
  return {
    id: roundId,
    phase: Number(phase),
    status: Number(r.status),
    attempt: Number(r.attempt),
    vetoes: Number(r.vetoes),
    extensions: Number(r.extensions),
    taskCount: Number(r.taskCount),
    paramsVersion: Number(r.paramsVersion),
    commitDeadline: BigInt(r.commitDeadline),
    revealDeadline: BigInt(r.revealDeadline),
    attemptStart: BigInt(r.attemptStart),
    registeredAt: BigInt(r.registeredAt),
    assignDeadline: BigInt(r.assignDeadline),
    expiresAt: BigInt(r.expiresAt),
    challengeEnd: BigInt(r.challengeEnd),
    seedBlock: BigInt(r.seedBlock),
    registeredBlock: BigInt(r.seedBlock) - BigInt(params.seedDelay),
    registrar: getAddress(r.registrar),
    taskRoot: r.taskRoot,
    goldCommitment: r.goldCommitment,
    seed: r.seed,
    assignmentRoot: r.assignmentRoot,
    settlementHash: r.settlementHash,
    acceptedVoters: BigInt(r.acceptedVoters),
    params,
  };
}

/**
 * The seed a round will record: `keccak256(abi.encode(blockhash(seedBlock), roundId, taskRoot))`, computable by
 * anyone once the seed block is mined (undefined before).
 */
export async function expectedSeed(client: PublicClient, r: RoundView): Promise<Hex | undefined> {
  if (r.seed !== ZERO_HASH) return r.seed;
  const latest = await client.getBlockNumber({ cacheTime: 0 });
  if (latest <= r.seedBlock) return undefined;
  const block = await client.getBlock({ blockNumber: r.seedBlock });
  return keccak256(encodeAbiParameters([{ type: "bytes32" }, { type: "uint256" }, { type: "bytes32" }], [block.hash!, r.id, r.taskRoot]));
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

/** The settlements relayers revealed for the round, by hash, with the payload CIDs each revealer pointed to. */
export async function revealedSettlements(client: PublicClient, d: Deployment, r: RoundView): Promise<Map<Hex, Settlement>> {
  return new Map([...(await revealedSettlementsWithPayloads(client, d, r))].map(([h, v]) => [h, v.settlement]));
}

export async function revealedSettlementsWithPayloads(
  client: PublicClient,
  d: Deployment,
  r: RoundView,
): Promise<Map<Hex, { settlement: Settlement; payloadCids: Hex[] }>> {
  const logs = await client.getContractEvents({
    address: d.settlement,
    abi: poQSettlementAbi,
    strict: true,
    eventName: "SettlementRevealed",
    args: { roundId: r.id },
    ...roundRange(r),
  });
  const out = new Map<Hex, { settlement: Settlement; payloadCids: Hex[] }>();
  for (const l of logs) {
    const s = l.args.settlement;
    const prev = out.get(l.args.settlementHash);
    if (prev) {
      if (!prev.payloadCids.includes(l.args.payloadCid)) prev.payloadCids.push(l.args.payloadCid);
      continue;
    }
    out.set(l.args.settlementHash, { payloadCids: [l.args.payloadCid], settlement: {
      rewardsRoot: s.rewardsRoot,
      cumulativeTotal: s.cumulativeTotal,
      inferencePaid: s.inferencePaid,
      evaluatorPaid: s.evaluatorPaid,
      trustRoot: s.trustRoot,
      inputsHash: s.inputsHash,
      goldRoot: s.goldRoot,
      goldSalt: s.goldSalt,
      goldCount: Number(s.goldCount),
      paramsVersion: Number(s.paramsVersion),
      flags: Number(s.flags),
      lowTrustSlashes: s.lowTrustSlashes.map((a) => getAddress(a)),
    } });
  }
  return out;
}

export async function roundPools(client: PublicClient, d: Deployment, roundId: bigint) {
  const f = await client.readContract({ address: d.distributor, abi: rewardDistributorAbi, functionName: "roundFunds", args: [roundId] });
  return { inferencePool: BigInt(f.inferencePool), evaluatorPool: BigInt(f.evaluatorPool), state: Number(f.state) };
}

/** The reward contracts' books, for conservation checks: the totals, the two balances and the claims (summed from
 * `Claimed` events, independently of the balances). With a standard token, `rewardVaultBalance` =
 * funded − allocated − refunded and `distributorBalance` = allocated − claimed. */
export type RewardBooks = {
  funded: bigint;
  allocated: bigint;
  refunded: bigint;
  claimed: bigint;
  rewardVault: Address;
  rewardVaultBalance: bigint;
  distributorBalance: bigint;
};

export async function rewardBooks(client: PublicClient, d: Deployment): Promise<RewardBooks> {
  const to = await client.getBlockNumber({ cacheTime: 0 });
  const [[funded, allocated, refunded], rewardVault] = await Promise.all([
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
  return { funded, allocated, refunded, claimed, rewardVault: getAddress(rewardVault), rewardVaultBalance, distributorBalance };
}

/** The latest block's timestamp: phases follow block time, not the local clock. */
export async function chainTime(client: PublicClient): Promise<bigint> {
  return (await client.getBlock({ blockTag: "latest" })).timestamp;
}

/** The chain's parts of the recomputation horizon (seconds): the vault's unbonding period and the longest round. */
export type HorizonParams = { unbondingPeriod: bigint; maxRoundLifetime: bigint };

/** `StakeVault.unbondingPeriod()` and `SettlementConfig.maxRoundLifetime()` (of the current parameters), at one block. */
export async function readHorizonParams(client: PublicClient, d: Deployment): Promise<HorizonParams> {
  const blockNumber = await client.getBlockNumber({ cacheTime: 0 });
  const [unbondingPeriod, maxRoundLifetime] = await Promise.all([
    client.readContract({ address: d.vault, abi: stakeVaultAbi, functionName: "unbondingPeriod", blockNumber }),
    client.readContract({ address: d.config, abi: settlementConfigAbi, functionName: "maxRoundLifetime", blockNumber }),
  ]);
  return { unbondingPeriod, maxRoundLifetime };
}

/**
 * When a round closed, from chain facts: finalized or cancelled at the timestamp of the block of its
 * `RoundFinalized` / `RoundCancelled` event; expired (not yet cancelled) at its expiry (`expiresAt` once active,
 * `assignDeadline` before, or the first block past the seed block's blockhash window); otherwise open.
 */
export type RoundClosure = { state: "open" } | { state: "finalized" | "cancelled" | "expired"; at: bigint };

/** Blocks after the seed block whose hash the contract can still read (`PoQSettlement._BLOCKHASH_WINDOW`). */
const BLOCKHASH_WINDOW = 256n;

export async function roundClosure(client: PublicClient, d: Deployment, r: RoundView): Promise<RoundClosure> {
  const eventTime = async (eventName: "RoundFinalized" | "RoundCancelled") => {
    const logs = await client.getContractEvents({ address: d.settlement, abi: poQSettlementAbi, strict: true, eventName, args: { roundId: r.id }, ...roundRange(r) });
    if (!logs.length) throw new InputError(`round ${r.id} is ${eventName === "RoundFinalized" ? "finalized" : "cancelled"} but its ${eventName} event is not found from block ${r.registeredBlock}`);
    return (await client.getBlock({ blockNumber: logs[0].blockNumber })).timestamp;
  };
  if (r.status === Status.Finalized) return { state: "finalized", at: await eventTime("RoundFinalized") };
  if (r.status === Status.Cancelled) return { state: "cancelled", at: await eventTime("RoundCancelled") };
  if (r.phase !== Phase.Expired) return { state: "open" };
  if (r.status === Status.Active) return { state: "expired", at: r.expiresAt };
  const now = await chainTime(client);
  if (now >= r.assignDeadline) return { state: "expired", at: r.assignDeadline };
  return { state: "expired", at: (await client.getBlock({ blockNumber: r.seedBlock + BLOCKHASH_WINDOW + 1n })).timestamp };
}
