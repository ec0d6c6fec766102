import { getAddress, isAddress, type Address, type Hex, type PublicClient } from "viem";
import type { Deployment } from "../chain/deployment";
import { InputError, PoqError } from "../errors";
import type { ExplorerDb } from "./db";
import { CONTRACT_LABELS, CONTRACT_NAMES, Contracts, type ContractName, type Json } from "./decode";
import { blockTime, settlementOf, type LogRow, type RoundRow } from "./derive";
import { amount, phaseAt, PHASES, roleText, slashReasonText, type Amount, type PhaseName } from "./format";
import type { TokenInfo } from "./indexer";

/** Something well-formed that the index does not hold: HTTP 404. Malformed input is an InputError: HTTP 400. */
export class NotFoundError extends PoqError {
  override name = "NotFoundError";
}

export type ExplorerContext = {
  db: ExplorerDb;
  deployment: Deployment;
  token: TokenInfo;
  storeConfigured: boolean;
  confirmations: number;
  /** When set, a transaction the index does not hold is looked up on the chain (for calls without PoQ events). */
  client?: PublicClient;
};

/* INPUT */

export function parseRoundId(text: string): number {
  const t = text.trim().replace(/^#/, "");
  if (!/^\d{1,15}$/.test(t)) throw new InputError(`malformed round number "${clip(text)}": expected a positive integer`);
  return Number(t);
}

export function parseAddress(text: string): Address {
  const t = text.trim();
  if (!/^0x[0-9a-fA-F]{40}$/.test(t) || !isAddress(t, { strict: false })) throw new InputError(`malformed address "${clip(text)}": expected 0x and 40 hex digits`);
  return getAddress(t);
}

export function parseTxHash(text: string): Hex {
  const t = text.trim();
  if (!/^0x[0-9a-fA-F]{64}$/.test(t)) throw new InputError(`malformed transaction hash "${clip(text)}": expected 0x and 64 hex digits`);
  return t.toLowerCase() as Hex;
}

function clip(s: string): string {
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/** Where a search box query leads: a round number, an address or a transaction hash. */
export function search(ctx: ExplorerContext, q: string): { kind: "round" | "address" | "tx"; id: string; path: string } {
  const t = q.trim();
  if (t === "") throw new InputError("empty search: enter a round number, an address or a transaction hash");
  const round = /^(?:round\s*)?#?(\d{1,15})$/i.exec(t);
  if (round) {
    const id = parseRoundId(round[1]);
    roundRow(ctx, id);
    return { kind: "round", id: String(id), path: `/round/${id}` };
  }
  if (/^0x[0-9a-fA-F]{40}$/.test(t)) {
    const a = parseAddress(t);
    if (!addressKnown(ctx, a)) throw new NotFoundError(`no activity found for address ${a}`);
    return { kind: "address", id: a, path: `/address/${a}` };
  }
  if (/^0x[0-9a-fA-F]{64}$/.test(t)) {
    const h = parseTxHash(t);
    if (!ctx.db.prepare("SELECT 1 FROM txs WHERE hash = ?").get(h)) throw new NotFoundError(`transaction ${h} not found in the index`);
    return { kind: "tx", id: h, path: `/tx/${h}` };
  }
  throw new InputError(`cannot read "${clip(t)}": enter a round number, an address (0x + 40 hex digits) or a transaction hash (0x + 64 hex digits)`);
}

/* STATUS */

export type StatusView = {
  chainId: number;
  contracts: { name: ContractName; label: string; address: Address }[];
  token: TokenInfo & { address: Address };
  indexedBlock: number | null;
  indexedAt: number | null;
  headBlock: number | null;
  confirmations: number;
  storeConfigured: boolean;
  rounds: number;
};

export function status(ctx: ExplorerContext): StatusView {
  const s = ctx.db.getSync();
  const d = ctx.deployment;
  const contracts = new Contracts(d);
  const rounds = (ctx.db.prepare("SELECT COUNT(*) AS n FROM rounds").get() as { n: number }).n;
  return {
    chainId: d.chainId,
    contracts: CONTRACT_NAMES.map((name) => ({ name, label: CONTRACT_LABELS[name], address: contracts.address(name) })),
    token: { ...ctx.token, address: d.token },
    indexedBlock: s?.blockNumber ?? null,
    indexedAt: s?.blockTimestamp ?? null,
    headBlock: s?.headNumber ?? null,
    confirmations: ctx.confirmations,
    storeConfigured: ctx.storeConfigured,
    rounds,
  };
}

/* ROUNDS */

export type RoundSummary = {
  id: number;
  phase: PhaseName;
  status: RoundRow["status"];
  tasks: number;
  k: number;
  registeredBlock: number;
  registeredAt: number;
  commits: number;
  reveals: number;
  inferencePool: Amount;
  evaluatorPool: Amount;
  inferencePaid: Amount | null;
  evaluatorPaid: Amount | null;
  slashedTotal: Amount | null;
  slashCount: number;
  vetoes: number;
  meanConsensus: number | null;
  settlementHash: Hex | null;
};

/** Chain time of the index: the phase of every round is read at the last indexed block. */
function now(ctx: ExplorerContext): number {
  return ctx.db.getSync()?.blockTimestamp ?? 0;
}

function summary(ctx: ExplorerContext, r: RoundRow): RoundSummary {
  const dec = ctx.token.decimals;
  const opt = (v: string | null) => (v === null ? null : amount(v, dec));
  return {
    id: r.id,
    phase: phaseAt(r, now(ctx)),
    status: r.status,
    tasks: r.taskCount,
    k: r.k,
    registeredBlock: r.registeredBlock,
    registeredAt: r.registeredAt,
    commits: r.commits,
    reveals: r.reveals,
    inferencePool: amount(r.inferencePool, dec),
    evaluatorPool: amount(r.evaluatorPool, dec),
    inferencePaid: r.status === "finalized" ? opt(r.inferencePaid) : null,
    evaluatorPaid: r.status === "finalized" ? opt(r.evaluatorPaid) : null,
    slashedTotal: opt(r.slashedTotal),
    slashCount: r.slashCount,
    vetoes: r.vetoes,
    meanConsensus: r.meanConsensus,
    settlementHash: r.settlementHash,
  };
}

export type RoundsView = { rounds: RoundSummary[]; total: number; page: number; pages: number; limit: number };

export function listRounds(ctx: ExplorerContext, p: { page?: string | number; limit?: string | number } = {}): RoundsView {
  const page = p.page === undefined ? 1 : parseIntIn(String(p.page), "page", 1, 1e9);
  const limit = p.limit === undefined ? 50 : parseIntIn(String(p.limit), "limit", 1, 500);
  const total = (ctx.db.prepare("SELECT COUNT(*) AS n FROM rounds").get() as { n: number }).n;
  const rows = ctx.db.prepare("SELECT data FROM rounds ORDER BY id DESC LIMIT ? OFFSET ?").all(limit, (page - 1) * limit) as { data: string }[];
  return { rounds: rows.map((x) => summary(ctx, JSON.parse(x.data))), total, page, pages: Math.max(1, Math.ceil(total / limit)), limit };
}

function parseIntIn(text: string, name: string, min: number, max: number): number {
  if (!/^\d{1,10}$/.test(text) || Number(text) < min || Number(text) > max) throw new InputError(`malformed ${name} "${clip(text)}": expected an integer from ${min} to ${max}`);
  return Number(text);
}

function roundRow(ctx: ExplorerContext, id: number): RoundRow {
  const r = ctx.db.prepare("SELECT data FROM rounds WHERE id = ?").get(id) as { data: string } | undefined;
  if (!r) throw new NotFoundError(`round ${id} not found${id === 0 ? " (round numbers start at 1)" : ""}`);
  return JSON.parse(r.data) as RoundRow;
}

export type EventView = {
  block: number;
  logIndex: number;
  time: number;
  tx: Hex;
  contract: string;
  event: string;
  args: Record<string, Json>;
};

/** The fields of a `Slashed` event that every page shows. */
function slashOf(e: EventView, dec: number) {
  return {
    role: roleText(Number(e.args.role)),
    reason: Number(e.args.reason),
    reasonText: slashReasonText(Number(e.args.reason)),
    amount: amount(e.args.amount as string, dec),
    recipient: e.args.recipient as Address,
    block: e.block,
    tx: e.tx,
  };
}

function eventView(db: ExplorerDb, l: LogRow, times: Map<number, number>): EventView {
  let t = times.get(l.block_number);
  if (t === undefined) times.set(l.block_number, (t = blockTime(db, l.block_number)));
  return { block: l.block_number, logIndex: l.log_index, time: t, tx: l.tx_hash, contract: l.contract, event: l.event, args: JSON.parse(l.args) };
}

export type PhaseStep = { phase: PhaseName; attempt: number; startTime: number | null; startBlock: number | null; endTime: number | null; via: string; tx: Hex | null };

export type RoundPage = {
  round: RoundSummary & {
    relayer: Address;
    registeredTx: Hex;
    taskRoot: Hex;
    seed: Hex;
    paramsVersion: number;
    attempt: number;
    assignmentRoot: Hex | null;
    assignment: RoundRow["assignment"];
    commitDeadline: number | null;
    revealDeadline: number | null;
    challengeEnd: number | null;
    cumulativeTotal: Amount | null;
    rewardsRoot: Hex | null;
    trustRoot: Hex | null;
    inputsHash: Hex | null;
    finalizedBlock: number | null;
    closedAt: number | null;
    asOf: { block: number | null; time: number | null };
  };
  content: { storeConfigured: boolean; manifest: RoundRow["manifest"]; payload: RoundRow["payload"]; note: string | null };
  timeline: PhaseStep[];
  events: EventView[];
  funding: { funder: Address; inference: Amount; evaluator: Amount; block: number; tx: Hex }[];
  settlements: { relayer: Address; attempt: number; commitment: Hex; commitBlock: number; commitTx: Hex; settlementHash: Hex | null; revealBlock: number | null; revealTx: Hex | null; accepted: boolean; final: boolean }[];
  vetoes: { guardian: Address; settlementHash: Hex; newAttempt: number; block: number; time: number; tx: Hex; reset: boolean }[];
  evaluators: {
    address: Address;
    assignedTasks: number | null;
    committed: boolean;
    revealed: boolean;
    meanScore: number | null;
    trustPpm: number | null;
    lowStreak: number | null;
    reward: Amount | null;
    slash: { amount: Amount; reason: number; reasonText: string } | null;
  }[];
  rewards: { account: Address; role: string; amount: Amount }[];
  slashes: { evaluator: Address; role: string; reason: number; reasonText: string; amount: Amount; recipient: Address; block: number; tx: Hex }[];
  proposedSlashes: { evaluator: Address; reason: number; reasonText: string; outcome: "executed" | "skipped" | "pending" | "nothing to slash" }[];
  tasks: { index: number; node: Address | null; model: string | null; costUnits: string | null; contentHash: Hex | null; consensus: number | null; bad: string | null; scores: { evaluator: Address; score: number }[] }[];
};

export function roundPage(ctx: ExplorerContext, idText: string): RoundPage {
  const id = parseRoundId(idText);
  const r = roundRow(ctx, id);
  const { db } = ctx;
  const dec = ctx.token.decimals;
  const times = new Map<number, number>();
  const logs = db.prepare("SELECT * FROM logs WHERE round_id = ? AND event != 'Claimed' ORDER BY block_number, log_index").all(id) as LogRow[];
  const events = logs.map((l) => eventView(db, l, times));
  const by = (name: string) => events.filter((e) => e.event === name);
  const s = summary(ctx, r);
  const sync = db.getSync();

  // Timeline of phases.
  const timeline: PhaseStep[] = [];
  const firstAfter = (t: number) => events.find((e) => e.time >= t)?.block ?? null;
  const reg = by("TasksRegistered")[0];
  timeline.push({ phase: "assigning", attempt: 1, startTime: reg.time, startBlock: reg.block, endTime: null, via: "TasksRegistered", tx: reg.tx });
  const acc = by("AssignmentAccepted")[0];
  if (acc) {
    timeline[0].endTime = acc.time;
    timeline.push({ phase: "commit", attempt: 1, startTime: acc.time, startBlock: acc.block, endTime: r.commitDeadline, via: "AssignmentAccepted", tx: acc.tx });
    const cur = now(ctx);
    if (r.commitDeadline !== null && cur >= r.commitDeadline) {
      timeline.push({ phase: "reveal", attempt: 1, startTime: r.commitDeadline, startBlock: firstAfter(r.commitDeadline), endTime: r.revealDeadline, via: "commit deadline", tx: null });
    }
    if (r.revealDeadline !== null && cur >= r.revealDeadline) {
      timeline.push({ phase: "settle", attempt: 1, startTime: r.revealDeadline, startBlock: firstAfter(r.revealDeadline), endTime: null, via: "reveal deadline", tx: null });
    }
  }
  for (const e of events) {
    const last = timeline[timeline.length - 1];
    if (e.event === "SettlementAccepted") {
      last.endTime = e.time;
      timeline.push({ phase: "challenge", attempt: last.attempt, startTime: e.time, startBlock: e.block, endTime: Number(e.args.challengeEnd), via: "SettlementAccepted", tx: e.tx });
    } else if (e.event === "SettlementVetoed") {
      if (last.phase === "challenge" || last.phase === "settle") last.endTime = e.time;
      timeline.push({ phase: "settle", attempt: Number(e.args.newAttempt), startTime: e.time, startBlock: e.block, endTime: null, via: "SettlementVetoed", tx: e.tx });
    } else if (e.event === "RoundFinalized" || e.event === "RoundCancelled") {
      const phase = e.event === "RoundFinalized" ? "finalized" : "cancelled";
      if (last.phase === "challenge" && last.endTime !== null && e.time >= last.endTime) {
        timeline.push({ phase: "finalizable", attempt: last.attempt, startTime: last.endTime, startBlock: e.block, endTime: e.time, via: "challenge end", tx: null });
      } else if (last.endTime === null) last.endTime = e.time;
      timeline.push({ phase, attempt: last.attempt, startTime: e.time, startBlock: e.block, endTime: null, via: e.event, tx: e.tx });
    }
  }
  const tail = timeline[timeline.length - 1];
  if (tail.phase === "challenge" && s.phase === "finalizable") {
    timeline.push({ phase: "finalizable", attempt: tail.attempt, startTime: tail.endTime, startBlock: tail.endTime === null ? null : firstAfter(tail.endTime), endTime: null, via: "challenge end", tx: null });
  }

  // Funding, settlements per relayer, vetoes.
  const funding = by("RoundFunded").map((e) => ({
    funder: e.args.funder as Address,
    inference: amount(e.args.inferenceAmount as string, dec),
    evaluator: amount(e.args.evaluatorAmount as string, dec),
    block: e.block,
    tx: e.tx,
  }));
  const finalHash = r.status === "finalized" ? r.settlementHash : null;
  const acceptedHashes = new Set(by("SettlementAccepted").map((e) => `${e.args.settlementHash}`));
  const settlements: RoundPage["settlements"] = by("SettlementCommitted").map((c) => {
    const rev = events.find((e) => e.event === "SettlementRevealed" && e.args.relayer === c.args.relayer && e.args.attempt === c.args.attempt);
    const hash = rev ? (rev.args.settlementHash as Hex) : null;
    return {
      relayer: c.args.relayer as Address,
      attempt: Number(c.args.attempt),
      commitment: c.args.commitment as Hex,
      commitBlock: c.block,
      commitTx: c.tx,
      settlementHash: hash,
      revealBlock: rev?.block ?? null,
      revealTx: rev?.tx ?? null,
      accepted: hash !== null && acceptedHashes.has(hash),
      final: hash !== null && hash === finalHash,
    };
  });
  const vetoes = by("SettlementVetoed").map((e) => ({
    guardian: e.args.guardian as Address,
    settlementHash: e.args.settlementHash as Hex,
    newAttempt: Number(e.args.newAttempt),
    block: e.block,
    time: e.time,
    tx: e.tx,
    reset: /^0x0+$/.test(String(e.args.settlementHash)),
  }));

  // Slashes: executed (vault), proposed by the accepted settlement, skipped.
  const slashes = by("Slashed").map((e) => ({ evaluator: e.args.account as Address, ...slashOf(e, dec) }));
  const skipped = new Set(by("SlashSkipped").map((e) => `${e.args.evaluator}`));
  const revealedStruct = r.settlementHash ? events.find((e) => e.event === "SettlementRevealed" && e.args.settlementHash === r.settlementHash) : undefined;
  const proposedSlashes: RoundPage["proposedSlashes"] = revealedStruct
    ? settlementOf(revealedStruct.args).slashes.map((x) => ({
        evaluator: x.evaluator,
        reason: x.reason,
        reasonText: slashReasonText(x.reason),
        outcome: r.status !== "finalized" ? "pending" : skipped.has(x.evaluator) ? "skipped" : slashes.some((y) => y.evaluator === x.evaluator) ? "executed" : "nothing to slash",
      }))
    : [];

  // Evaluators, rewards, tasks.
  const trust = new Map(
    (db.prepare("SELECT evaluator, trust_ppm, low_streak FROM trust WHERE round_id = ?").all(id) as { evaluator: Address; trust_ppm: number; low_streak: number }[]).map((t) => [
      t.evaluator,
      t,
    ]),
  );
  const rewardRows = db.prepare("SELECT account, amount FROM rewards WHERE round_id = ?").all(id) as { account: Address; amount: string }[];
  const rewardOf = new Map(rewardRows.map((x) => [x.account, x.amount]));
  // The two largest reads (one row per task, k per task): raw rows, no object per row.
  const taskRows = db.db
    .prepare("SELECT task_index, node, model, content_hash, cost_units, consensus, bad FROM tasks WHERE round_id = ? ORDER BY task_index")
    .raw(true)
    .all(id) as [number, Address | null, string | null, Hex | null, string | null, number | null, string | null][];
  const scoreRows = db.prepare("SELECT evaluator, task_indexes, scores, mean_score FROM scores WHERE round_id = ? ORDER BY evaluator").raw(true).all(id) as [Address, string | null, string, number][];
  const scoresByTask: { evaluator: Address; score: number }[][] = Array.from({ length: r.taskCount }, () => []);
  const meanOf = new Map<Address, number>();
  let mapped = false;
  for (const [evaluator, taskJson, scoreJson, mean] of scoreRows) {
    meanOf.set(evaluator, mean);
    if (taskJson === null) continue;
    const taskIndexes = JSON.parse(taskJson) as number[];
    const scores = JSON.parse(scoreJson) as number[];
    taskIndexes.forEach((t, i) => scoresByTask[t]?.push({ evaluator, score: scores[i] }));
    mapped = true;
  }
  const tasks: RoundPage["tasks"] = taskRows.length
    ? taskRows.map(([index, node, model, contentHash, costUnits, consensus, bad]) => ({ index, node, model, costUnits, contentHash, consensus, bad, scores: scoresByTask[index] ?? [] }))
    : mapped
      ? scoresByTask.map((scores, index) => ({ index, node: null, model: null, costUnits: null, contentHash: null, consensus: null, bad: null, scores }))
      : [];
  const committed = new Set(by("ScoresCommitted").map((e) => e.args.evaluator as Address));
  const revealed = new Set(by("ScoresRevealed").map((e) => e.args.evaluator as Address));
  const evalSet = new Set<Address>([...Object.keys(r.assigned ?? {}).map((a) => a as Address), ...committed, ...revealed, ...trust.keys(), ...slashes.map((x) => x.evaluator)]);
  const evaluators: RoundPage["evaluators"] = [...evalSet].sort(byAddress).map((a) => {
    const t = trust.get(a);
    const sl = slashes.find((x) => x.evaluator === a);
    const rw = rewardOf.get(a);
    return {
      address: a,
      assignedTasks: r.assigned ? (r.assigned[a] ?? 0) : null,
      committed: committed.has(a),
      revealed: revealed.has(a),
      meanScore: meanOf.get(a) ?? null,
      trustPpm: t?.trust_ppm ?? null,
      lowStreak: t?.low_streak ?? null,
      reward: rw === undefined ? (r.payload === "loaded" ? amount(0n, dec) : null) : amount(rw, dec),
      slash: sl ? { amount: sl.amount, reason: sl.reason, reasonText: sl.reasonText } : null,
    };
  });
  const nodes = new Set(taskRows.map((t) => t[1]).filter((x): x is Address => !!x));
  const rewards = rewardRows
    .map((x) => ({ account: x.account, role: nodes.has(x.account) ? "inference" : evalSet.has(x.account) ? "evaluator" : "", amount: amount(x.amount, dec) }))
    .sort((a, b) => (BigInt(b.amount.wei) > BigInt(a.amount.wei) ? 1 : BigInt(b.amount.wei) < BigInt(a.amount.wei) ? -1 : byAddress(a.account, b.account)));

  return {
    round: {
      ...s,
      relayer: r.relayer,
      registeredTx: r.registeredTx,
      taskRoot: r.taskRoot,
      seed: r.seed,
      paramsVersion: r.paramsVersion,
      attempt: r.attempt,
      assignmentRoot: r.assignmentRoot,
      assignment: r.assignment,
      commitDeadline: r.commitDeadline,
      revealDeadline: r.revealDeadline,
      challengeEnd: r.challengeEnd,
      inferencePaid: r.inferencePaid === null ? null : amount(r.inferencePaid, dec),
      evaluatorPaid: r.evaluatorPaid === null ? null : amount(r.evaluatorPaid, dec),
      cumulativeTotal: r.cumulativeTotal === null ? null : amount(r.cumulativeTotal, dec),
      rewardsRoot: r.rewardsRoot,
      trustRoot: r.trustRoot,
      inputsHash: r.inputsHash,
      finalizedBlock: r.finalizedBlock,
      closedAt: r.closedAt,
      asOf: { block: sync?.blockNumber ?? null, time: sync?.blockTimestamp ?? null },
    },
    content: { storeConfigured: ctx.storeConfigured, manifest: r.manifest, payload: r.payload, note: r.contentNote },
    timeline,
    events,
    funding,
    settlements,
    vetoes,
    evaluators,
    rewards,
    slashes,
    proposedSlashes,
    tasks,
  };
}

function byAddress(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  return x < y ? -1 : x > y ? 1 : 0;
}

/* ADDRESSES */

function addressKnown(ctx: ExplorerContext, a: Address): boolean {
  if (ctx.db.prepare("SELECT 1 FROM log_accounts WHERE address = ? LIMIT 1").get(a)) return true;
  if (ctx.db.prepare("SELECT 1 FROM txs WHERE from_address = ? LIMIT 1").get(a)) return true;
  return new Contracts(ctx.deployment).nameOf(a) !== undefined;
}

export type StakeView = { role: string; active: Amount; queued: Amount; unlockTime: number | null; withdrawable: boolean; slashed: Amount; staked: Amount; withdrawn: Amount };

export type AddressPage = {
  address: Address;
  contract: { name: ContractName; label: string } | null;
  roles: string[];
  stakes: StakeView[];
  trust: { round: number; trustPpm: number; lowStreak: number }[];
  rewards: { round: number; amount: Amount }[];
  totalRewards: Amount;
  claims: { rootRound: number; amount: Amount; cumulative: Amount; caller: Address; block: number; time: number; tx: Hex }[];
  claimable: {
    rootRound: number | null;
    cumulative: Amount | null;
    claimed: Amount;
    claimable: Amount | null;
    proof: Hex[] | null;
    /** Why the claimable balance is unknown, when it is. */
    note: string | null;
  };
  slashes: { round: number; role: string; reason: number; reasonText: string; amount: Amount; recipient: Address; block: number; time: number; tx: Hex }[];
  skippedSlashes: { round: number; reason: number; reasonText: string; block: number; tx: Hex }[];
  votes: { round: number; assignedTasks: number | null; committed: boolean; revealed: boolean; meanScore: number | null }[];
  served: { round: number; tasks: number; meanConsensus: number | null }[];
  transactions: { hash: Hex; block: number; time: number; to: Address | null; function: string | null }[];
  events: EventView[];
  asOf: { block: number | null; time: number | null };
};

type AccountLog = LogRow;

export function addressPage(ctx: ExplorerContext, text: string): AddressPage {
  const a = parseAddress(text);
  if (!addressKnown(ctx, a)) throw new NotFoundError(`no activity found for address ${a}`);
  const { db } = ctx;
  const dec = ctx.token.decimals;
  const contracts = new Contracts(ctx.deployment);
  const cname = contracts.nameOf(a);
  const times = new Map<number, number>();
  const logs = db.db
    .prepare("SELECT l.* FROM log_accounts x JOIN logs l ON l.block_number = x.block_number AND l.log_index = x.log_index WHERE x.address = ? ORDER BY l.block_number, l.log_index")
    .all(a) as AccountLog[];
  const ev = logs.map((l) => eventView(db, l, times));
  const mine = (e: EventView, key: string) => e.args[key] === a;

  // Stake per role, replayed like the vault's storage: Slashed takes from active first, then from the queue.
  type S = { active: bigint; queued: bigint; unlock: number | null; slashed: bigint; staked: bigint; withdrawn: bigint };
  const st = new Map<number, S>();
  const get = (role: number) => st.get(role) ?? (st.set(role, { active: 0n, queued: 0n, unlock: null, slashed: 0n, staked: 0n, withdrawn: 0n }), st.get(role)!);
  for (const e of ev) {
    if (e.contract !== "vault" || !mine(e, "account")) continue;
    const s = get(Number(e.args.role));
    if (e.event === "Staked") {
      s.active = BigInt(e.args.active as string);
      s.staked += BigInt(e.args.amount as string);
    } else if (e.event === "UnstakeRequested") {
      s.active -= BigInt(e.args.amount as string);
      s.queued = BigInt(e.args.queued as string);
      s.unlock = Number(e.args.unlockTime);
    } else if (e.event === "Withdrawn") {
      s.withdrawn += BigInt(e.args.amount as string);
      s.queued = 0n;
      s.unlock = null;
    } else if (e.event === "Slashed") {
      const amt = BigInt(e.args.amount as string);
      const fromActive = amt <= s.active ? amt : s.active;
      s.active -= fromActive;
      s.queued -= amt - fromActive;
      s.slashed += amt;
    }
  }
  const t = now(ctx);
  const stakes: StakeView[] = [...st.entries()]
    .sort(([x], [y]) => x - y)
    .map(([role, s]) => ({
      role: roleText(role),
      active: amount(s.active, dec),
      queued: amount(s.queued, dec),
      unlockTime: s.queued > 0n ? s.unlock : null,
      withdrawable: s.queued > 0n && s.unlock !== null && t >= s.unlock,
      slashed: amount(s.slashed, dec),
      staked: amount(s.staked, dec),
      withdrawn: amount(s.withdrawn, dec),
    }));

  // Roles.
  const roles = new Set<string>();
  for (const s of stakes) roles.add(s.role === "inference" ? "inference node" : s.role);
  const relayerSet = ev.filter((e) => e.event === "RelayerSet" && mine(e, "relayer"));
  if (relayerSet.length && relayerSet[relayerSet.length - 1].args.enabled === true) roles.add("relayer");
  const guardian = db.prepare("SELECT args FROM logs WHERE contract = 'settlement' AND event = 'GuardianSet' ORDER BY block_number DESC, log_index DESC LIMIT 1").get() as
    | { args: string }
    | undefined;
  if (guardian && JSON.parse(guardian.args).guardian === a) roles.add("guardian");
  if (ev.some((e) => e.event === "ScoresCommitted" && mine(e, "evaluator"))) roles.add("evaluator");
  if (ev.some((e) => e.event === "RoundFunded" && mine(e, "funder"))) roles.add("funder");
  const served = db.prepare("SELECT round_id, COUNT(*) AS n, AVG(consensus) AS mean FROM tasks WHERE node = ? GROUP BY round_id ORDER BY round_id").all(a) as {
    round_id: number;
    n: number;
    mean: number | null;
  }[];
  if (served.length) roles.add("inference node");
  if (ev.some((e) => e.event === "Slashed" && mine(e, "recipient"))) roles.add("slash recipient");

  // Trust, rewards, claims.
  const trust = (db.prepare("SELECT round_id, trust_ppm, low_streak FROM trust WHERE evaluator = ? ORDER BY round_id").all(a) as { round_id: number; trust_ppm: number; low_streak: number }[]).map(
    (x) => ({ round: x.round_id, trustPpm: x.trust_ppm, lowStreak: x.low_streak }),
  );
  const rewards = (db.prepare("SELECT round_id, amount FROM rewards WHERE account = ? ORDER BY round_id").all(a) as { round_id: number; amount: string }[]).map((x) => ({
    round: x.round_id,
    amount: amount(x.amount, dec),
  }));
  const totalRewards = amount(
    rewards.reduce((s, x) => s + BigInt(x.amount.wei), 0n),
    dec,
  );
  const claims = ev
    .filter((e) => e.event === "Claimed" && mine(e, "account"))
    .map((e) => ({
      rootRound: Number(e.args.roundId),
      amount: amount(e.args.amount as string, dec),
      cumulative: amount(e.args.cumulativeAmount as string, dec),
      caller: e.args.caller as Address,
      block: e.block,
      time: e.time,
      tx: e.tx,
    }));
  const claimedWei = claims.reduce((m, c) => (BigInt(c.cumulative.wei) > m ? BigInt(c.cumulative.wei) : m), 0n);
  const root = db.prepare("SELECT round_id FROM logs WHERE contract = 'distributor' AND event = 'RootUpdated' ORDER BY block_number DESC, log_index DESC LIMIT 1").get() as
    | { round_id: number }
    | undefined;
  let claimable: AddressPage["claimable"] = { rootRound: null, cumulative: null, claimed: amount(claimedWei, dec), claimable: null, proof: null, note: "no rewards root has been installed yet" };
  if (root) {
    const rr = JSON.parse((db.prepare("SELECT data FROM rounds WHERE id = ?").get(root.round_id) as { data: string } | undefined)?.data ?? "null") as RoundRow | null;
    const leaf = db.prepare("SELECT cumulative, proof FROM claims WHERE round_id = ? AND account = ?").get(root.round_id, a) as { cumulative: string; proof: string } | undefined;
    if (leaf) {
      const cum = BigInt(leaf.cumulative);
      claimable = {
        rootRound: root.round_id,
        cumulative: amount(cum, dec),
        claimed: amount(claimedWei, dec),
        claimable: amount(cum > claimedWei ? cum - claimedWei : 0n, dec),
        proof: JSON.parse(leaf.proof),
        note: null,
      };
    } else if (rr?.payload === "loaded") {
      claimable = { rootRound: root.round_id, cumulative: amount(0n, dec), claimed: amount(claimedWei, dec), claimable: amount(0n, dec), proof: [], note: "no leaf for this account in the current rewards tree" };
    } else {
      claimable = {
        rootRound: root.round_id,
        cumulative: null,
        claimed: amount(claimedWei, dec),
        claimable: null,
        proof: null,
        note: ctx.storeConfigured ? `the settlement payload of round ${root.round_id} is ${rr?.payload ?? "missing"} in the content store` : "no content store configured (--store): the proofs are in the relayers' published payloads",
      };
    }
  }

  // Slashes and votes.
  const slashes = ev
    .filter((e) => e.event === "Slashed" && mine(e, "account"))
    .map((e) => ({ round: Number(e.args.roundId), ...slashOf(e, dec), time: e.time }));
  const skippedSlashes = ev
    .filter((e) => e.event === "SlashSkipped" && mine(e, "evaluator"))
    .map((e) => ({ round: Number(e.args.roundId), reason: Number(e.args.reason), reasonText: slashReasonText(Number(e.args.reason)), block: e.block, tx: e.tx }));
  const voteRounds = new Map<number, AddressPage["votes"][number]>();
  const vote = (round: number) => voteRounds.get(round) ?? (voteRounds.set(round, { round, assignedTasks: null, committed: false, revealed: false, meanScore: null }), voteRounds.get(round)!);
  for (const e of ev) {
    if (e.event === "ScoresCommitted" && mine(e, "evaluator")) vote(Number(e.args.roundId)).committed = true;
    if (e.event === "ScoresRevealed" && mine(e, "evaluator")) vote(Number(e.args.roundId)).revealed = true;
  }
  for (const x of trust) vote(x.round);
  for (const v of voteRounds.values()) {
    const rr = db.prepare("SELECT json_extract(data, '$.assigned') AS assigned FROM rounds WHERE id = ?").get(v.round) as { assigned: string | null } | undefined;
    const assigned = rr?.assigned ? (JSON.parse(rr.assigned) as Record<string, number>) : null;
    v.assignedTasks = assigned ? (assigned[a] ?? 0) : null;
    const m = db.prepare("SELECT mean_score FROM scores WHERE round_id = ? AND evaluator = ?").get(v.round, a) as { mean_score: number } | undefined;
    v.meanScore = m?.mean_score ?? null;
  }
  const votes = [...voteRounds.values()].sort((x, y) => x.round - y.round);

  const transactions = (
    db.prepare("SELECT hash, block_number, to_address, function FROM txs WHERE from_address = ? ORDER BY block_number DESC, tx_index DESC LIMIT 100").all(a) as {
      hash: Hex;
      block_number: number;
      to_address: Address | null;
      function: string | null;
    }[]
  ).map((x) => ({ hash: x.hash, block: x.block_number, time: blockTime(db, x.block_number), to: x.to_address, function: x.function }));
  const sync = db.getSync();
  return {
    address: a,
    contract: cname ? { name: cname, label: CONTRACT_LABELS[cname] } : null,
    roles: [...roles].sort(),
    stakes,
    trust,
    rewards,
    totalRewards,
    claims,
    claimable,
    slashes,
    skippedSlashes,
    votes,
    served: served.map((x) => ({ round: x.round_id, tasks: x.n, meanConsensus: x.mean })),
    transactions,
    events: ev.slice(-200).reverse(),
    asOf: { block: sync?.blockNumber ?? null, time: sync?.blockTimestamp ?? null },
  };
}

/* TRANSACTIONS */

export type TxEvent = { logIndex: number; address: Address; contract: string | null; contractLabel: string | null; event: string | null; args?: Record<string, Json>; topics?: Hex[]; data?: Hex };

export type TxPage = {
  hash: Hex;
  indexed: boolean;
  block: number;
  time: number | null;
  txIndex: number;
  from: Address;
  to: Address | null;
  toLabel: string | null;
  value: string;
  nonce: number;
  status: string;
  gasUsed: string;
  gasPrice: string;
  call: { function: string; args: Record<string, Json> } | null;
  input: Hex;
  events: TxEvent[];
  rounds: number[];
};

export async function txPage(ctx: ExplorerContext, text: string): Promise<TxPage> {
  const hash = parseTxHash(text);
  const contracts = new Contracts(ctx.deployment);
  const label = (addr: string | null) => {
    const n = contracts.nameOf(addr);
    return n ? CONTRACT_LABELS[n] : null;
  };
  const row = ctx.db.prepare("SELECT * FROM txs WHERE hash = ?").get(hash) as
    | { hash: Hex; block_number: number; tx_index: number; from_address: Address; to_address: Address | null; value: string; nonce: number; input: Hex; function: string | null; args: string | null; status: string; gas_used: string; gas_price: string; events: string }
    | undefined;
  if (row) {
    const events = (JSON.parse(row.events) as TxEvent[]).map((e) => ({ ...e, contractLabel: label(e.address) }));
    const rounds = [...new Set(events.map((e) => e.args?.roundId).filter((x): x is string => typeof x === "string").map(Number))].sort((x, y) => x - y);
    return {
      hash,
      indexed: true,
      block: row.block_number,
      time: blockTime(ctx.db, row.block_number) || null,
      txIndex: row.tx_index,
      from: row.from_address,
      to: row.to_address,
      toLabel: label(row.to_address),
      value: row.value,
      nonce: row.nonce,
      status: row.status,
      gasUsed: row.gas_used,
      gasPrice: row.gas_price,
      call: row.function ? { function: row.function, args: JSON.parse(row.args ?? "{}") } : null,
      input: row.input,
      events,
      rounds,
    };
  }
  if (!ctx.client) throw new NotFoundError(`transaction ${hash} not found in the index`);
  // Not a PoQ event emitter: look it up on the chain (an approve, a mint, a failed call).
  let tx, rc;
  try {
    [tx, rc] = await Promise.all([ctx.client.getTransaction({ hash }), ctx.client.getTransactionReceipt({ hash })]);
  } catch (e) {
    if (/not found|could not be found/i.test(String((e as Error).message))) throw new NotFoundError(`transaction ${hash} not found on chain ${ctx.deployment.chainId}`);
    throw new PoqError(`could not read transaction ${hash} from the chain`, { retryable: true, cause: e });
  }
  const call = contracts.decodeCall(tx.to, tx.input);
  const block = await ctx.client.getBlock({ blockNumber: rc.blockNumber }).catch(() => undefined);
  return {
    hash,
    indexed: false,
    block: Number(rc.blockNumber),
    time: block ? Number(block.timestamp) : null,
    txIndex: rc.transactionIndex,
    from: getAddress(tx.from),
    to: tx.to ? getAddress(tx.to) : null,
    toLabel: label(tx.to ?? null),
    value: tx.value.toString(),
    nonce: tx.nonce,
    status: rc.status,
    gasUsed: rc.gasUsed.toString(),
    gasPrice: (rc.effectiveGasPrice ?? 0n).toString(),
    call: call ?? null,
    input: tx.input,
    events: rc.logs.map((l) => {
      const d = contracts.decodeLog(l);
      return d
        ? { logIndex: l.logIndex, address: getAddress(l.address), contract: d.contract, contractLabel: label(l.address), event: d.event, args: d.args }
        : { logIndex: l.logIndex, address: getAddress(l.address), contract: null, contractLabel: null, event: null, topics: [...l.topics], data: l.data };
    }),
    rounds: [],
  };
}

export { PHASES };
