import { getAddress, type Address, type Hex, type PublicClient } from "viem";
import type { Deployment } from "../chain/deployment";
import { buildAssignmentTree, hashSettlement, unpackScores, type Settlement } from "../chain/encoding";
import { stakeVaultAbi } from "../chain/abis";
import { assignEvaluators } from "../consensus/assignment";
import { allProofs, rewardsTree, trustTree, ZERO_ROOT } from "../rewards/merkle";
import { loadBatch, loadPayload, settlementFromFile, type BatchManifest, type SettlementPayloadFile } from "../agents/roundData";
import type { ContentStore } from "../protocol/store";
import type { ExplorerDb } from "./db";
import type { Json } from "./contracts";
import { handlerOf, type RoundFold, type RoundStatus } from "./protocol";
import { blockTime, type LogRow } from "./context";

export { blockTime, type LogRow };
import { shown } from "../errors";

/** What the store gave for a round's batch manifest or settlement payload. */
export type ContentStatus = "loaded" | "missing" | "invalid" | "no-store" | "none";

/** The derived summary of a round, stored as JSON in `rounds.data`. Amounts are base-unit decimal strings. */
export type RoundRow = {
  id: number;
  relayer: Address;
  registeredBlock: number;
  registeredTx: Hex;
  registeredAt: number;
  taskRoot: Hex;
  taskCount: number;
  seed: Hex;
  k: number;
  paramsVersion: number;
  status: RoundStatus;
  assignmentRoot: Hex | null;
  commitDeadline: number | null;
  revealDeadline: number | null;
  settleStart: number | null;
  challengeEnd: number | null;
  attempt: number;
  vetoes: number;
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
  slashedTotal: string | null;
  slashCount: number;
  finalizedBlock: number | null;
  closedAt: number | null;
  /** Whether the assignment recomputed from public data matches the accepted root (needed for per-task scores). */
  assignment: "verified" | "mismatch" | "none";
  /** Tasks assigned to each evaluator, when the assignment is verified. */
  assigned: Record<string, number> | null;
  manifest: ContentStatus;
  payload: ContentStatus;
  /** Why the manifest or payload is missing or was rejected. */
  contentNote: string | null;
  meanConsensus: number | null;
};

export type DeriveContext = {
  db: ExplorerDb;
  client: PublicClient;
  deployment: Deployment;
  store?: ContentStore;
  /** Assignments are a pure function of chain data: computed once per round and seed. */
  assignmentCache: Map<string, Map<Address, number[]> | null>;
  log?: (o: object, msg: string) => void;
};

type Args = Record<string, Json>;
const str = (a: Args, k: string) => String(a[k]);
const num = (a: Args, k: string) => Number(a[k]);

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
    paramsVersion: Number(s.paramsVersion),
    slashes: (s.slashes as { evaluator: string; reason: number }[]).map((x) => ({ evaluator: getAddress(x.evaluator), reason: Number(x.reason) as 1 | 2 })),
  };
}

export function roundLogs(db: ExplorerDb, roundId: number): LogRow[] {
  return db.prepare("SELECT * FROM logs WHERE round_id = ? ORDER BY block_number, log_index").all(roundId) as LogRow[];
}

/** The fields a round has from its registration alone. */
export type Registration = Pick<RoundRow, "id" | "relayer" | "registeredBlock" | "registeredTx" | "registeredAt" | "taskRoot" | "taskCount" | "seed" | "k" | "paramsVersion">;

/** A round as registered, before any later event: every other field at its starting value. */
export function registeredRound(r: Registration): RoundRow {
  return {
    ...r,
    status: "registered",
    assignmentRoot: null,
    commitDeadline: null,
    revealDeadline: null,
    settleStart: null,
    challengeEnd: null,
    attempt: 1,
    vetoes: 0,
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
    slashedTotal: null,
    slashCount: 0,
    finalizedBlock: null,
    closedAt: null,
    assignment: "none",
    assigned: null,
    manifest: "none",
    payload: "none",
    contentNote: null,
    meanConsensus: null,
  };
}

/** Folds a round's events (in chain order) into its summary, as the contract's storage evolves. */
export function foldRound(db: ExplorerDb, roundId: number, logs: LogRow[]): { row: RoundRow; reveals: Map<Address, Hex>; accepted?: Settlement } | undefined {
  const reg = logs.find((l) => l.event === "TasksRegistered" && l.contract === "settlement");
  if (!reg) return undefined;
  const a0 = JSON.parse(reg.args) as Args;
  const row = registeredRound({
    id: roundId,
    relayer: getAddress(str(a0, "relayer")),
    registeredBlock: reg.block_number,
    registeredTx: reg.tx_hash as Hex,
    registeredAt: blockTime(db, reg.block_number),
    taskRoot: str(a0, "taskRoot") as Hex,
    taskCount: num(a0, "taskCount"),
    seed: str(a0, "seed") as Hex,
    k: num(a0, "k"),
    paramsVersion: num(a0, "paramsVersion"),
  });
  const f: RoundFold = { row, reveals: new Map(), revealed: new Map(), inferencePool: 0n, evaluatorPool: 0n, time: 0, block: 0 };
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
    if (row.status !== "finalized") {
      // Not yet paid: show what the accepted settlement will pay.
      row.inferencePaid ??= accepted.inferencePaid.toString();
      row.evaluatorPaid ??= accepted.evaluatorPaid.toString();
      row.cumulativeTotal ??= accepted.cumulativeTotal.toString();
      row.rewardsRoot ??= accepted.rewardsRoot;
    }
  }
  return { row, reveals, accepted };
}

/**
 * Checks a published payload against the chain: it must hash to the accepted settlement, its claims must rebuild
 * the rewards root with the same proofs, its trust must rebuild the trust root, its rewards must sum to what the
 * round pays and, where the previous round's claims are known, equal the growth of each cumulative amount.
 * Returns the reason it is rejected, or undefined.
 */
export function checkPayload(f: SettlementPayloadFile, hash: Hex, taskCount: number, previous: Map<Address, bigint> | undefined): string | undefined {
  if (f.version !== 1) return `unknown payload version ${shown(f.version)}`;
  if (f.settlementHash !== hash) return `payload names settlement ${shown(f.settlementHash)}`;
  const s = settlementFromFile(f);
  if (hashSettlement(s) !== hash) return "payload settlement does not hash to the accepted settlement";
  if (!Array.isArray(f.consensus) || f.consensus.length !== taskCount) return `payload has ${f.consensus?.length} consensus values for ${taskCount} tasks`;
  if (f.consensus.some((c) => !Number.isInteger(c) || c < 0 || c > 10_000)) return "payload consensus out of range";
  const tree = rewardsTree(f.claims.map((c) => ({ account: getAddress(c.account), cumulativeAmount: BigInt(c.cumulativeAmount) })));
  if ((tree?.root ?? ZERO_ROOT) !== s.rewardsRoot) return "payload claims do not rebuild the rewards root";
  if (tree) {
    const proofs = allProofs(tree);
    if (f.claims.some((c, i) => c.proof.length !== proofs[i].length || c.proof.some((p, j) => p !== proofs[i][j]))) return "payload claim proofs do not match the rewards tree";
  }
  const trust = trustTree(f.trust.map((t) => ({ evaluator: getAddress(t.evaluator), trustPpm: t.trustPpm })));
  if ((trust?.root ?? ZERO_ROOT) !== s.trustRoot) return "payload trust does not rebuild the trust root";
  const paid = f.rewards.reduce((t, r) => t + BigInt(r.amount), 0n);
  if (paid !== s.inferencePaid + s.evaluatorPaid) return "payload rewards do not sum to the round's payments";
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
  if (!prev) return roundId === 1 ? new Map() : undefined;
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
    const { byEvaluator } = assignEvaluators({ seed: row.seed, taskCount: row.taskCount, k: Math.min(row.k, evaluators.length), evaluators });
    out = buildAssignmentTree(byEvaluator).root === row.assignmentRoot ? byEvaluator : null;
  } catch {
    out = null; // no eligible evaluator, or an assignment that cannot be rebuilt: shown as a mismatch
  }
  if (ctx.assignmentCache.size > 16) ctx.assignmentCache.delete(ctx.assignmentCache.keys().next().value!);
  ctx.assignmentCache.set(key, out);
  return out;
}

/**
 * Rebuilds every derived row of a round from its indexed events, the recomputed assignment and, when a content store
 * is configured, the batch manifest and the settlement payload (each checked against the chain before use).
 */
export async function deriveRound(ctx: DeriveContext, roundId: number): Promise<RoundRow | undefined> {
  const { db, store } = ctx;
  const folded = foldRound(db, roundId, roundLogs(db, roundId));
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
  if (row.assignmentRoot) {
    byEvaluator = await assignmentOf(ctx, row);
    row.assignment = byEvaluator ? "verified" : "mismatch";
    if (byEvaluator) row.assigned = Object.fromEntries([...byEvaluator.entries()].sort(([a], [b]) => (a.toLowerCase() < b.toLowerCase() ? -1 : 1)).map(([e, t]) => [e, t.length]));
  }

  let manifest: BatchManifest | undefined;
  let payload: SettlementPayloadFile | undefined;
  const notes: string[] = [];
  if (!store) {
    row.manifest = "no-store";
    row.payload = row.settlementHash ? "no-store" : "none";
  } else {
    try {
      if (store.getIndex("batch", row.taskRoot)) {
        manifest = loadBatch(store, row.taskRoot, row.taskCount);
        row.manifest = "loaded";
      } else row.manifest = "missing";
    } catch (e) {
      row.manifest = "invalid";
      notes.push(`batch manifest rejected: ${(e as Error).message.split("\n")[0]}`);
    }
    if (row.settlementHash) {
      try {
        payload = loadPayload(store, row.settlementHash);
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
  if (payload && payload.consensus.length) row.meanConsensus = payload.consensus.reduce((t, c) => t + c, 0) / payload.consensus.length;

  db.tx(() => {
    db.deleteRound(roundId);
    db.prepare("INSERT INTO rounds (id, data) VALUES (?, ?)").run(roundId, JSON.stringify(row));
    if (manifest || payload) {
      const bad = new Map((payload?.badOutputs ?? []).map((b) => [b.index, b.reason]));
      const ins = db.prepare("INSERT INTO tasks (round_id, task_index, node, model, content_hash, cost_units, consensus, bad) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
      for (let i = 0; i < row.taskCount; i++) {
        const t = manifest?.tasks[i];
        ins.run(roundId, i, t ? getAddress(t.node) : null, t?.model ?? null, t?.contentHash ?? null, t?.costUnits ?? null, payload?.consensus[i] ?? null, bad.get(i) ?? null);
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
      ins.run(roundId, evaluator, mapped, JSON.stringify(scores), scores.reduce((t, x) => t + x, 0) / scores.length);
    }
    if (payload) {
      const tr = db.prepare("INSERT INTO trust (round_id, evaluator, trust_ppm, low_streak) VALUES (?, ?, ?, ?)");
      for (const t of payload.trust) tr.run(roundId, getAddress(t.evaluator), t.trustPpm, t.lowStreak);
      const rw = db.prepare("INSERT INTO rewards (round_id, account, amount) VALUES (?, ?, ?)");
      for (const r of payload.rewards) rw.run(roundId, getAddress(r.account), r.amount);
      const cl = db.prepare("INSERT INTO claims (round_id, account, cumulative, proof) VALUES (?, ?, ?, ?)");
      for (const c of payload.claims) cl.run(roundId, getAddress(c.account), c.cumulativeAmount, JSON.stringify(c.proof));
    }
    db.clearDirty(roundId);
  });
  ctx.log?.({ round_id: roundId, status: row.status, payload: row.payload }, "round indexed");
  return row;
}
