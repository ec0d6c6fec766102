import { GOLD_INDEX } from "../protocol/gold";
import { getAddress, type Address, type Hex, type PublicClient } from "viem";
import type { Deployment } from "../chain/deployment";
import { buildAssignmentTree, buildTaskTree, hashSettlement, unpackScores, type Settlement } from "../chain/encoding";
import { readParams, type RoundParams } from "../chain/reader";
import { stakeVaultAbi } from "../chain/abis";
import { assignEvaluators } from "../consensus/assignment";
import { trustTree, ZERO_ROOT } from "../rewards/merkle";
import { buildSumTree, sumTreeProof } from "../rewards/sumTree";
import type { Breaker } from "../rewards/slashing";
import { checkGoldOpening, type GoldOpening } from "../protocol/gold";
import { loadBatch, taskLeaves, type BatchManifest } from "../protocol/manifest";
import { isPayload, loadPayload, settlementFromFile, type SettlementPayloadFile } from "../protocol/payload";
import type { ContentStore } from "../protocol/store";
import { storedPointer } from "../protocol/roundContent";
import type { ExplorerDb } from "./db";
import type { Json } from "./contracts";
import { handlerOf, type PhaseName, type RoundFold, type RoundStatus } from "./protocol";
import { blockTime, type LogRow } from "./context";
import { shown } from "../errors";

export { blockTime, type LogRow };

/** What the store gave for a round's batch manifest, settlement payload or gold opening. */
export type ContentStatus = "loaded" | "missing" | "invalid" | "no-store" | "none";

/**
 * Where a piece of a round's content came from, with a content backend: already in the explorer's store, fetched by
 * its CID from the backend (checked by hash, then kept in the store), not delivered yet (tried again later), rejected,
 * or nothing to fetch.
 */
export type FetchSource = "store" | "fetched" | "unavailable" | "invalid" | "none";

/** A round's content as the explorer's fetcher last found it (see fetch.ts). */
export type RoundContentSource = {
  manifest: FetchSource;
  /** The outputs the manifest lists: how many, how many this explorer fetched, how many are still missing. */
  outputs: { listed: number; fetched: number; missing: number } | null;
  /** The payloads of the revealed settlements (the worst of them). */
  payloads: FetchSource;
  goldOpening: FetchSource;
  /** As an archive: the CIDs pinned in the explorer's node, and those not pinned yet (null: not an archive). */
  pinned: { cids: number; missing: number } | null;
  note: string | null;
};

/** A round's pinned parameters as the index stores them: token amounts as base-unit decimal strings. */
export type ParamsRow = { [K in keyof RoundParams]: RoundParams[K] extends bigint ? string : RoundParams[K] };

/** One gold task of a round: its task, the pool item it came from, its known quality (0..10 000) and content hash. */
export type GoldTask = { taskIndex: number; poolIndex: number; quality: number; contentHash: Hex | null };

/** The derived summary of a round, stored as JSON in `rounds.data`. Amounts are base-unit decimal strings; times Unix seconds. */
export type RoundRow = {
  id: number;
  registrar: Address;
  registeredBlock: number;
  registeredTx: Hex;
  registeredAt: number;
  taskRoot: Hex;
  taskCount: number;
  /** The registrar's commitment to the round's gold tasks (zero: none). */
  goldCommitment: Hex;
  /** The block whose hash seeds the round. */
  seedBlock: number;
  /** The batch manifest's content identifier (bytes the registrar chose). */
  manifestCid: Hex;
  paramsVersion: number;
  /** The parameters of `paramsVersion` (null when neither the index nor the chain gives them). */
  params: ParamsRow | null;
  k: number;
  assignDeadline: number;
  status: RoundStatus;
  seed: Hex | null;
  seedDrawnBlock: number | null;
  assignmentRoot: Hex | null;
  commitDeadline: number | null;
  revealDeadline: number | null;
  /** Settlement must be accepted before this time (moved by vetoes and rejections, up to maxExtensions). */
  expiresAt: number;
  /** The current settlement attempt (0 before the first settlement commit) and its windows. */
  attempt: number;
  commitsClose: number | null;
  revealsClose: number | null;
  challengeEnd: number | null;
  vetoes: number;
  rejections: number;
  extensions: number;
  /** The accepted settlement (the finalized one once the round is finalized). */
  settlementHash: Hex | null;
  commits: number;
  reveals: number;
  inferencePool: string;
  evaluatorPool: string;
  inferencePaid: string | null;
  evaluatorPaid: string | null;
  cumulativeTotal: string | null;
  rewardsRoot: Hex | null;
  trustRoot: Hex | null;
  inputsHash: Hex | null;
  goldRoot: Hex | null;
  goldCount: number | null;
  /** The accepted settlement's flags (bit 0: the low-trust circuit breaker held). */
  flags: number | null;
  /** Evaluators the accepted settlement slashes for low trust. */
  lowTrustList: Address[] | null;
  /** Every slash of the round (non-reveal, low trust, seized relayer bonds), summed. */
  slashedTotal: string;
  /** What finalization slashed for low trust (RoundFinalized). */
  lowTrustSlashed: string | null;
  /** Relayer bonds seized after upheld challenges. */
  seizedTotal: string;
  slashCount: number;
  /** Refunded to funders (Refunded). */
  refunded: string;
  openChallenges: number;
  challengeCount: number;
  finalizedBlock: number | null;
  closedAt: number | null;
  cancelledBy: Address | null;
  /** The phase the round was cancelled in (expired, seeding or assigning). */
  cancelledPhase: PhaseName | null;
  /** Whether the assignment recomputed from public data matches the accepted root (needed for per-task scores). */
  assignment: "verified" | "mismatch" | "none";
  /** Tasks assigned to each evaluator, when the assignment is verified. */
  assigned: Record<string, number> | null;
  manifest: ContentStatus;
  payload: ContentStatus;
  goldOpening: ContentStatus;
  /** Why the manifest, payload or gold opening is missing or was rejected. */
  contentNote: string | null;
  /** With a content backend: where the round's content came from (null: no backend, or not fetched yet). */
  contentSource: RoundContentSource | null;
  meanConsensus: number | null;
  /** Tasks the settlement left out (their output was unavailable to most of their evaluators), from the payload. */
  excludedTasks: number[] | null;
  /** The circuit breaker's inputs, from the payload. */
  breaker: Breaker | null;
  /** The gold tasks: from the checked gold opening, else from the payload. */
  gold: GoldTask[] | null;
};

export type DeriveContext = {
  db: ExplorerDb;
  client: PublicClient;
  deployment: Deployment;
  store?: ContentStore;
  /** Assignments are a pure function of chain data: computed once per round and seed. */
  assignmentCache: Map<string, Map<Address, number[]> | null>;
  /** With a content backend: where each round's content came from (the fetcher's record). */
  contentSource?: (roundId: number) => RoundContentSource | undefined;
  log?: (o: object, msg: string) => void;
};

type Args = Record<string, Json>;
const str = (a: Args, k: string) => String(a[k]);
const num = (a: Args, k: string) => Number(a[k]);
const ZERO32 = /^0x0{64}$/;
const TOKEN_PARAMS = new Set(["maxRoundPools", "minRelayerBond", "minChallengeBond"]);

/** The settlement struct as the SettlementRevealed event carries it. */
export function settlementOf(args: Args): Settlement {
  const s = args.settlement as Record<string, Json>;
  return {
    rewardsRoot: s.rewardsRoot as Hex,
    cumulativeTotal: BigInt(s.cumulativeTotal as string),
    inferencePaid: BigInt(s.inferencePaid as string),
    evaluatorPaid: BigInt(s.evaluatorPaid as string),
    trustRoot: s.trustRoot as Hex,
    inputsHash: s.inputsHash as Hex,
    goldRoot: s.goldRoot as Hex,
    goldSalt: s.goldSalt as Hex,
    goldCount: Number(s.goldCount),
    paramsVersion: Number(s.paramsVersion),
    flags: Number(s.flags),
    lowTrustSlashes: (s.lowTrustSlashes as string[]).map((x) => getAddress(x)),
  };
}

/** A parameter struct (from a ParamsSet event or `paramsAt`) as the index stores it. */
export function paramsRow(p: Record<string, unknown>): ParamsRow {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(p)) out[k] = TOKEN_PARAMS.has(k) ? String(v) : typeof v === "string" && /^0x/.test(v) ? v : Number(v);
  return out as ParamsRow;
}

/** The parameters of `version`: from its indexed ParamsSet event, else read from the chain (they never change). */
export async function paramsOf(ctx: { db: ExplorerDb; client?: PublicClient; deployment: Deployment }, version: number): Promise<ParamsRow | null> {
  const row = ctx.db
    .prepare("SELECT args FROM logs WHERE contract = 'config' AND event = 'ParamsSet' AND json_extract(args, '$.version') = ? LIMIT 1")
    .get(String(version)) as { args: string } | undefined;
  if (row) return paramsRow((JSON.parse(row.args) as { params: Record<string, unknown> }).params);
  if (!ctx.client) return null;
  try {
    return paramsRow((await readParams(ctx.client, ctx.deployment, version)) as unknown as Record<string, unknown>);
  } catch {
    return null;
  }
}

export function roundLogs(db: ExplorerDb, roundId: number): LogRow[] {
  return db.prepare("SELECT * FROM logs WHERE round_id = ? ORDER BY block_number, log_index").all(roundId) as LogRow[];
}

/** The fields a round has from its registration alone. */
export type Registration = Pick<
  RoundRow,
  "id" | "registrar" | "registeredBlock" | "registeredTx" | "registeredAt" | "taskRoot" | "taskCount" | "goldCommitment" | "seedBlock" | "manifestCid" | "paramsVersion" | "params"
>;

/** A round as registered, before any later event: every other field at its starting value. */
export function registeredRound(r: Registration): RoundRow {
  const p = r.params;
  const assignDeadline = r.registeredAt + (p?.assignDuration ?? 0);
  return {
    ...r,
    k: p?.k ?? 0,
    assignDeadline,
    status: "registered",
    seed: null,
    seedDrawnBlock: null,
    assignmentRoot: null,
    commitDeadline: null,
    revealDeadline: null,
    expiresAt: assignDeadline + (p ? p.commitDuration + p.revealDuration + p.settleWindow : 0),
    attempt: 0,
    commitsClose: null,
    revealsClose: null,
    challengeEnd: null,
    vetoes: 0,
    rejections: 0,
    extensions: 0,
    settlementHash: null,
    commits: 0,
    reveals: 0,
    inferencePool: "0",
    evaluatorPool: "0",
    inferencePaid: null,
    evaluatorPaid: null,
    cumulativeTotal: null,
    rewardsRoot: null,
    trustRoot: null,
    inputsHash: null,
    goldRoot: null,
    goldCount: null,
    flags: null,
    lowTrustList: null,
    slashedTotal: "0",
    lowTrustSlashed: null,
    seizedTotal: "0",
    slashCount: 0,
    refunded: "0",
    openChallenges: 0,
    challengeCount: 0,
    finalizedBlock: null,
    closedAt: null,
    cancelledBy: null,
    cancelledPhase: null,
    assignment: "none",
    assigned: null,
    manifest: "none",
    payload: "none",
    goldOpening: "none",
    contentNote: null,
    contentSource: null,
    meanConsensus: null,
    excludedTasks: null,
    breaker: null,
    gold: null,
  };
}

/** Folds a round's events (in chain order) into its summary, as the contract's storage evolves. */
export function foldRound(
  db: ExplorerDb,
  roundId: number,
  logs: LogRow[],
  params: ParamsRow | null,
): { row: RoundRow; reveals: Map<Address, Hex>; revealed: Map<Hex, Settlement>; accepted?: Settlement } | undefined {
  const reg = logs.find((l) => l.event === "TasksRegistered" && l.contract === "settlement");
  if (!reg) return undefined;
  const a0 = JSON.parse(reg.args) as Args;
  const row = registeredRound({
    id: roundId,
    registrar: getAddress(str(a0, "registrar")),
    registeredBlock: reg.block_number,
    registeredTx: reg.tx_hash as Hex,
    registeredAt: blockTime(db, reg.block_number),
    taskRoot: str(a0, "taskRoot") as Hex,
    taskCount: num(a0, "taskCount"),
    goldCommitment: str(a0, "goldCommitment") as Hex,
    seedBlock: num(a0, "seedBlock"),
    manifestCid: str(a0, "manifestCid") as Hex,
    paramsVersion: num(a0, "paramsVersion"),
    params,
  });
  const f: RoundFold = {
    row,
    params: { maxExtensions: params?.maxExtensions ?? 0 },
    reveals: new Map(),
    revealed: new Map(),
    challenges: new Map(),
    inferencePool: 0n,
    evaluatorPool: 0n,
    time: 0,
    block: 0,
  };
  for (const l of logs) {
    const fold = handlerOf(l.contract, l.event)?.fold;
    if (!fold) continue;
    f.time = blockTime(db, l.block_number);
    f.block = l.block_number;
    fold(f, JSON.parse(l.args) as Args);
  }
  const { reveals, inferencePool, evaluatorPool } = f;
  const revealed = new Map([...f.revealed.entries()].map(([h, a]) => [h, settlementOf(a)]));
  row.inferencePool = inferencePool.toString();
  row.evaluatorPool = evaluatorPool.toString();
  const accepted = row.settlementHash ? revealed.get(row.settlementHash) : undefined;
  if (accepted) {
    row.trustRoot = accepted.trustRoot;
    row.inputsHash = accepted.inputsHash;
    row.goldRoot = accepted.goldRoot;
    row.goldCount = accepted.goldCount;
    row.flags = accepted.flags;
    row.lowTrustList = accepted.lowTrustSlashes;
    if (row.status !== "finalized") {
      // Not yet paid: show what the accepted settlement will pay.
      row.inferencePaid ??= accepted.inferencePaid.toString();
      row.evaluatorPaid ??= accepted.evaluatorPaid.toString();
      row.cumulativeTotal ??= accepted.cumulativeTotal.toString();
      row.rewardsRoot ??= accepted.rewardsRoot;
    }
  }
  return { row, reveals, revealed, accepted };
}

/**
 * Checks a published payload against the chain: it must hash to the accepted settlement; its claims must rebuild the
 * rewards sum tree (root hash and root sum, each claim at its index with the same proof); its trust must rebuild the
 * trust root; its rewards must sum to what the round pays and, where the previous round's claims are known, equal
 * the growth of each cumulative amount; its gold list must have the settlement's gold count. Returns the reason it is
 * rejected, or undefined.
 */
export function checkPayload(f: SettlementPayloadFile, hash: Hex, taskCount: number, previous: Map<Address, bigint> | undefined): string | undefined {
  if (f.version !== 2) return `unknown payload version ${shown(f.version)}`;
  if (f.settlementHash !== hash) return `payload names settlement ${shown(f.settlementHash)}`;
  const s = settlementFromFile(f);
  if (hashSettlement(s) !== hash) return "payload settlement does not hash to the accepted settlement";
  if (!Array.isArray(f.consensus) || f.consensus.length !== taskCount) return `payload has ${f.consensus?.length} consensus values for ${taskCount} tasks`;
  const excluded = new Set(f.excludedTasks);
  if (f.excludedTasks.some((t) => !Number.isInteger(t) || t < 0 || t >= taskCount)) return "payload excludes a task outside the batch";
  if (f.consensus.some((c, i) => !Number.isInteger(c) || c > 10_000 || (c < 0 && !(c === -1 && excluded.has(i))))) return "payload consensus out of range";
  let tree;
  try {
    tree = buildSumTree(f.claims.map((c) => ({ account: c.account, amount: BigInt(c.cumulativeAmount) })));
  } catch (e) {
    return `payload claims do not form a sum tree: ${(e as Error).message}`;
  }
  if (tree.root !== s.rewardsRoot) return "payload claims do not rebuild the rewards root";
  if (tree.total !== s.cumulativeTotal) return "payload claims do not sum to the settlement's cumulative total";
  for (const c of f.claims) {
    const at = tree.leaves.findIndex((l) => l.account === getAddress(c.account));
    if (c.index !== at) return `payload claim of ${c.account} is not at its index in the rewards tree`;
    const proof = sumTreeProof(tree, at);
    if (c.proof.length !== proof.length || c.proof.some((p, j) => p.toLowerCase() !== proof[j])) return "payload claim proofs do not match the rewards tree";
  }
  const trust = trustTree(f.trust.map((t) => ({ evaluator: getAddress(t.evaluator), trustPpm: t.trustPpm })));
  if ((trust?.root ?? ZERO_ROOT) !== s.trustRoot) return "payload trust does not rebuild the trust root";
  const paid = f.rewards.reduce((t, r) => t + BigInt(r.amount), 0n);
  if (paid !== s.inferencePaid + s.evaluatorPaid) return "payload rewards do not sum to the round's payments";
  if (f.gold.length !== s.goldCount) return `payload lists ${f.gold.length} gold tasks, the settlement ${s.goldCount}`;
  if (previous) {
    const now = new Map(f.claims.map((c) => [getAddress(c.account), BigInt(c.cumulativeAmount)]));
    const reward = new Map(f.rewards.map((r) => [getAddress(r.account), BigInt(r.amount)]));
    for (const [a, v] of now) if (v - (previous.get(a) ?? 0n) !== (reward.get(a) ?? 0n)) return `payload reward of ${a} is not the growth of its cumulative amount`;
  }
  return undefined;
}

/** Cumulative amounts after the last finalized round before `roundId`, when its payload is indexed. */
function previousClaims(db: ExplorerDb, roundId: number): Map<Address, bigint> | undefined {
  const prev = db.db
    .prepare("SELECT id, data FROM rounds WHERE id < ? AND json_extract(data, '$.status') = 'finalized' ORDER BY id DESC LIMIT 1")
    .get(roundId) as { id: number; data: string } | undefined;
  if (!prev) return new Map(); // no earlier finalized round: nothing allotted before
  if ((JSON.parse(prev.data) as RoundRow).payload !== "loaded") return undefined;
  const rows = db.prepare("SELECT account, cumulative FROM claims WHERE round_id = ?").all(prev.id) as { account: Address; cumulative: string }[];
  return new Map(rows.map((r) => [r.account, BigInt(r.cumulative)]));
}

/**
 * Active evaluator stakes before `block`, replayed from the indexed vault events exactly as
 * `evaluatorStakesBefore` replays them from the chain (the relayers' input), without scanning the chain again.
 */
function stakesBefore(db: ExplorerDb, block: number, minStake: bigint): Map<Address, bigint> {
  const rows = db
    .prepare("SELECT event, args FROM logs WHERE contract = 'vault' AND event IN ('Staked', 'UnstakeRequested', 'Slashed') AND block_number < ? ORDER BY block_number, log_index")
    .all(block) as { event: string; args: string }[];
  const active = new Map<Address, bigint>();
  for (const r of rows) {
    const a = JSON.parse(r.args) as Args;
    if (Number(a.role) !== 2) continue;
    const who = getAddress(str(a, "account"));
    const cur = active.get(who) ?? 0n;
    if (r.event === "Staked") active.set(who, BigInt(str(a, "active")));
    else if (r.event === "UnstakeRequested") active.set(who, cur - BigInt(str(a, "amount")));
    else active.set(who, cur > BigInt(str(a, "amount")) ? cur - BigInt(str(a, "amount")) : 0n);
  }
  for (const [a, v] of active) if (v === 0n || v < minStake) active.delete(a);
  return active;
}

async function assignmentOf(ctx: DeriveContext, row: RoundRow): Promise<Map<Address, number[]> | null> {
  const key = `${row.id}:${row.seed}:${row.registeredBlock}`;
  if (ctx.assignmentCache.has(key)) return ctx.assignmentCache.get(key)!;
  // The relayers filter by the current minimum (see evaluatorStakesBefore); the root check below settles any doubt.
  const minStake = await ctx.client.readContract({ address: ctx.deployment.vault, abi: stakeVaultAbi, functionName: "minStake", args: [2] });
  const stakes = stakesBefore(ctx.db, row.registeredBlock, minStake);
  const evaluators = [...stakes.entries()].map(([address, stake]) => ({ address, stake }));
  let out: Map<Address, number[]> | null = null;
  try {
    const { byEvaluator } = assignEvaluators({ seed: row.seed!, taskCount: row.taskCount, k: row.k, evaluators });
    out = buildAssignmentTree(byEvaluator).root === row.assignmentRoot ? byEvaluator : null;
  } catch {
    out = null; // no eligible evaluator, or an assignment that cannot be rebuilt: shown as a mismatch
  }
  if (ctx.assignmentCache.size > 16) ctx.assignmentCache.delete(ctx.assignmentCache.keys().next().value!);
  ctx.assignmentCache.set(key, out);
  return out;
}

/** The batch manifest: by its task root in the store's index, else by the manifest CID the registration names. */
function manifestOf(store: ContentStore, row: RoundRow): BatchManifest | undefined {
  if (store.getIndex("batch", row.taskRoot)) return loadBatch(store, row.taskRoot, row.taskCount);
  const cid = storedPointer(store, row.manifestCid);
  if (!cid) return undefined;
  const m = store.getJson<BatchManifest>(cid);
  if (!m || m.version !== 2 || !Array.isArray(m.tasks) || m.tasks.length !== row.taskCount) throw new Error(`manifest ${cid} does not list the round's ${row.taskCount} tasks`);
  if (buildTaskTree(taskLeaves(m)).root !== row.taskRoot) throw new Error(`manifest ${cid} does not rebuild the task root`);
  return m;
}

/** The accepted settlement's payload: by its hash in the store's index, else through a CID a revealer pointed to. */
function payloadOf(store: ContentStore, hash: Hex, cids: string[]): SettlementPayloadFile | undefined {
  const indexed = loadPayload(store, hash);
  if (indexed) return indexed;
  for (const c of cids) {
    const cid = storedPointer(store, c);
    if (!cid) continue;
    const f = store.getJson<unknown>(cid);
    if (isPayload(f) && f.settlementHash === hash) return f;
  }
  return undefined;
}

/**
 * Rebuilds every derived row of a round from its indexed events, the recomputed assignment and, when a content store
 * is configured, the batch manifest, the gold opening and the settlement payload (each checked against the chain
 * before use).
 */
export async function deriveRound(ctx: DeriveContext, roundId: number): Promise<RoundRow | undefined> {
  const { db, store } = ctx;
  const logs = roundLogs(db, roundId);
  const reg = logs.find((l) => l.event === "TasksRegistered" && l.contract === "settlement");
  const params = reg ? await paramsOf(ctx, num(JSON.parse(reg.args) as Args, "paramsVersion")) : null;
  const folded = foldRound(db, roundId, logs, params);
  if (!folded) {
    db.tx(() => {
      db.deleteRound(roundId);
      db.clearDirty(roundId);
    });
    return undefined;
  }
  const { row, reveals } = folded;

  // Per-task evaluator scores: the packed reveals mapped through the assignment, once it is verified.
  let byEvaluator: Map<Address, number[]> | null = null;
  if (row.assignmentRoot && row.seed) {
    byEvaluator = await assignmentOf(ctx, row);
    row.assignment = byEvaluator ? "verified" : "mismatch";
    if (byEvaluator) row.assigned = Object.fromEntries([...byEvaluator.entries()].sort(([a], [b]) => (a.toLowerCase() < b.toLowerCase() ? -1 : 1)).map(([e, t]) => [e, t.length]));
  }

  let manifest: BatchManifest | undefined;
  let payload: SettlementPayloadFile | undefined;
  const notes: string[] = [];
  const hasGold = !ZERO32.test(row.goldCommitment);
  if (!store) {
    row.manifest = "no-store";
    row.payload = row.settlementHash ? "no-store" : "none";
    row.goldOpening = hasGold ? "no-store" : "none";
  } else {
    try {
      manifest = manifestOf(store, row);
      row.manifest = manifest ? "loaded" : "missing";
    } catch (e) {
      row.manifest = "invalid";
      notes.push(`batch manifest rejected: ${(e as Error).message.split("\n")[0]}`);
    }
    if (hasGold) {
      const announced = logs.filter((l) => l.event === "ContentAnnounced" && Number((JSON.parse(l.args) as Args).kind) === 2).map((l) => str(JSON.parse(l.args) as Args, "cid"));
      const cids = [...announced, store.getIndex(GOLD_INDEX, row.taskRoot) ?? ""].map((c) => storedPointer(store, c)).filter((c): c is Hex => !!c);
      if (!cids.length) row.goldOpening = "missing";
      else if (!manifest || !params) {
        row.goldOpening = "missing";
        notes.push("the gold opening needs the batch manifest to be checked");
      } else {
        try {
          const opening = store.getJson<GoldOpening>(cids[0]);
          checkGoldOpening(opening, { id: BigInt(row.id), taskRoot: row.taskRoot, goldCommitment: row.goldCommitment, poolRoot: params.goldPoolRoot, poolSize: params.goldPoolSize }, manifest);
          row.goldOpening = "loaded";
          row.gold = opening.items.map((g) => ({ taskIndex: g.taskIndex, poolIndex: g.poolIndex, quality: g.quality, contentHash: g.contentHash })).sort((x, y) => x.taskIndex - y.taskIndex);
        } catch (e) {
          row.goldOpening = "invalid";
          notes.push(`gold opening rejected: ${(e as Error).message.split("\n")[0]}`);
        }
      }
    }
    if (row.settlementHash) {
      const cids = logs.filter((l) => l.event === "SettlementRevealed" && (JSON.parse(l.args) as Args).settlementHash === row.settlementHash).map((l) => str(JSON.parse(l.args) as Args, "payloadCid"));
      try {
        payload = payloadOf(store, row.settlementHash, cids);
        if (!payload) row.payload = "missing";
        else {
          const why = checkPayload(payload, row.settlementHash, row.taskCount, previousClaims(db, roundId));
          if (why) {
            notes.push(`settlement payload rejected: ${why}`);
            row.payload = "invalid";
            payload = undefined;
          } else row.payload = "loaded";
        }
      } catch (e) {
        row.payload = "invalid";
        notes.push(`settlement payload rejected: ${(e as Error).message.split("\n")[0]}`);
        payload = undefined;
      }
    }
  }
  row.contentNote = notes.length ? notes.join("; ") : null;
  row.contentSource = ctx.contentSource?.(roundId) ?? null;
  if (payload) {
    const counted = payload.consensus.filter((c) => c >= 0);
    if (counted.length) row.meanConsensus = counted.reduce((t, c) => t + c, 0) / counted.length;
    row.excludedTasks = [...payload.excludedTasks].sort((x, y) => x - y);
    row.breaker = payload.breaker;
    row.gold ??= payload.gold.map((g) => ({ ...g, contentHash: manifest?.tasks[g.taskIndex]?.contentHash ?? null })).sort((x, y) => x.taskIndex - y.taskIndex);
  }

  db.tx(() => {
    db.deleteRound(roundId);
    db.prepare("INSERT INTO rounds (id, data) VALUES (?, ?)").run(roundId, JSON.stringify(row));
    if (manifest || payload) {
      const excluded = new Set(payload?.excludedTasks ?? []);
      const gold = new Map((row.gold ?? []).map((g) => [g.taskIndex, g.quality]));
      const ins = db.prepare("INSERT INTO tasks (round_id, task_index, node, model, content_hash, cost_units, consensus, excluded, gold) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
      for (let i = 0; i < row.taskCount; i++) {
        const t = manifest?.tasks[i];
        const c = payload?.consensus[i];
        ins.run(roundId, i, t ? getAddress(t.node) : null, t?.model ?? null, t?.contentHash ?? null, t?.costUnits ?? null, c === undefined || c < 0 ? null : c, payload ? (excluded.has(i) ? 1 : 0) : null, gold.get(i) ?? null);
      }
    }
    // One row per revealing evaluator: its scores in assignment order, and the tasks they belong to once the
    // assignment is verified (a round page reads k × tasks scores from a handful of rows).
    const ins = db.prepare("INSERT INTO scores (round_id, evaluator, task_indexes, scores, mean_score) VALUES (?, ?, ?, ?, ?)");
    for (const [evaluator, packed] of [...reveals.entries()].sort(([a], [b]) => (a.toLowerCase() < b.toLowerCase() ? -1 : 1))) {
      let scores: number[];
      try {
        scores = unpackScores(packed);
      } catch {
        continue;
      }
      const tasks = byEvaluator?.get(evaluator);
      const mapped = tasks && tasks.length === scores.length ? JSON.stringify(tasks) : null;
      const valid = scores.filter((x) => x <= 10_000);
      ins.run(roundId, evaluator, mapped, JSON.stringify(scores), valid.length ? valid.reduce((t, x) => t + x, 0) / valid.length : null);
    }
    if (payload) {
      const tr = db.prepare("INSERT INTO trust (round_id, evaluator, trust_ppm, low_streak) VALUES (?, ?, ?, ?)");
      for (const t of payload.trust) tr.run(roundId, getAddress(t.evaluator), t.trustPpm, t.lowStreak);
      const rw = db.prepare("INSERT INTO rewards (round_id, account, amount) VALUES (?, ?, ?)");
      for (const r of payload.rewards) rw.run(roundId, getAddress(r.account), r.amount);
      const cl = db.prepare("INSERT INTO claims (round_id, account, cumulative, leaf_index, proof) VALUES (?, ?, ?, ?, ?)");
      for (const c of payload.claims) cl.run(roundId, getAddress(c.account), c.cumulativeAmount, c.index, JSON.stringify(c.proof));
    }
    db.clearDirty(roundId);
  });
  ctx.log?.({ round_id: roundId, status: row.status, payload: row.payload }, "round indexed");
  return row;
}
