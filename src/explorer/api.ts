import { type Address, type Hex } from "viem";
import { z } from "zod";
import { InputError } from "../errors";
import { type Json } from "./contracts";
import { balances, blockTime, countdown, eventView, indexedTime, NotFoundError, presenter, tags, type Balances, type Countdown, type EventView, type ExplorerContext, type LogRow } from "./context";
import { settlementOf, type RoundRow } from "./derive";
import { quality } from "./format";
import { parseAddress, parseBlockNumber, parsePaging, parseRoundId, parseTaskIndex, parseTxHash } from "./params";
import { phaseAt, phaseDeadline, roleText, slashReasonText, type PhaseName } from "./protocol";
import { tokenAmount, type Amount } from "./values";
import { transferRows, txRows, type TransferRow, type TxRow } from "./chainApi";

export { NotFoundError, type ExplorerContext };
export { parseAddress, parseRoundId, parseTxHash };

/** Where a search box query leads: a round number, a block, an address or a transaction hash. */
export function search(ctx: ExplorerContext, q: string): { kind: "round" | "block" | "address" | "tx"; id: string; path: string } {
  const t = q.trim();
  if (t === "") throw new InputError("empty search: enter a round number, a block number, an address or a transaction hash");
  const round = /^(?:round\s*)?#?(\d{1,15})$/i.exec(t);
  if (round) {
    const id = parseRoundId(round[1]);
    roundRow(ctx, id);
    return { kind: "round", id: String(id), path: `/round/${id}` };
  }
  const block = /^block\s*#?(\d{1,15})$/i.exec(t);
  if (block) {
    const n = parseBlockNumber(block[1]);
    if (!ctx.db.prepare("SELECT 1 FROM blocks WHERE number = ?").get(n)) throw new NotFoundError(`block ${n} is not in the index`);
    return { kind: "block", id: String(n), path: `/block/${n}` };
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
  throw new InputError(`cannot read "${t.length > 80 ? `${t.slice(0, 77)}...` : t}": enter a round number, "block N", an address (0x + 40 hex digits) or a transaction hash (0x + 64 hex digits)`);
}

/* STATUS */

export type StatusView = {
  chainId: number;
  contracts: { name: string; label: string; address: Address }[];
  token: ExplorerContext["token"];
  /** The last block the index holds (pages show the chain as of this block). */
  indexedBlock: number | null;
  indexedAt: number | null;
  /** The newest block of the chain at the last poll. */
  headBlock: number | null;
  /** Blocks that must follow a block before it is indexed. */
  confirmations: number;
  storeConfigured: boolean;
  rounds: number;
};

export function status(ctx: ExplorerContext): StatusView {
  const s = ctx.db.getSync();
  const rounds = (ctx.db.prepare("SELECT COUNT(*) AS n FROM rounds").get() as { n: number }).n;
  return {
    chainId: ctx.deployment.chainId,
    contracts: ctx.contracts.list(),
    token: ctx.token,
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
  /** Mean consensus quality of the round's tasks, 0..10 (on chain and in the payload: ×1000). */
  meanConsensus: number | null;
  settlementHash: Hex | null;
  /** When the open phase ends (commit, reveal, challenge), as a countdown from the chain's estimated time. */
  deadline: Countdown | null;
};

const amount = tokenAmount;
const now = indexedTime;

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
    meanConsensus: r.meanConsensus === null ? null : quality(r.meanConsensus),
    settlementHash: r.settlementHash,
    deadline: deadlineOf(ctx, r),
  };
}

function deadlineOf(ctx: ExplorerContext, r: RoundRow): Countdown | null {
  const d = phaseDeadline(phaseAt(r, now(ctx)), r);
  return d ? countdown(ctx, d.what, d.at) : null;
}

export type RoundsView = { rounds: RoundSummary[]; total: number; page: number; pages: number; limit: number };

export function listRounds(ctx: ExplorerContext, p: { page?: string | number; limit?: string | number } = {}): RoundsView {
  const { page, limit, offset } = parsePaging(p);
  const total = (ctx.db.prepare("SELECT COUNT(*) AS n FROM rounds").get() as { n: number }).n;
  const rows = ctx.db.prepare("SELECT data FROM rounds ORDER BY id DESC LIMIT ? OFFSET ?").all(limit, offset) as { data: string }[];
  return { rounds: rows.map((x) => summary(ctx, JSON.parse(x.data))), total, page, pages: Math.max(1, Math.ceil(total / limit)), limit };
}

function roundRow(ctx: ExplorerContext, id: number): RoundRow {
  const r = ctx.db.prepare("SELECT data FROM rounds WHERE id = ?").get(id) as { data: string } | undefined;
  if (!r) throw new NotFoundError(`round ${id} not found${id === 0 ? " (round numbers start at 1)" : ""}`);
  return JSON.parse(r.data) as RoundRow;
}

/** An event with its raw arguments, for the round and address projections. */
type RawEvent = { block: number; logIndex: number; time: number; tx: Hex; contract: string; event: string; args: Record<string, Json> };

/** The fields of a `Slashed` event that every page shows. */
function slashOf(e: RawEvent, dec: number) {
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

function rawEvent(ctx: ExplorerContext, l: LogRow, times: Map<number, number>): RawEvent {
  let t = times.get(l.block_number);
  if (t === undefined) times.set(l.block_number, (t = blockTime(ctx.db, l.block_number)));
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
  /** Per task: consensus and each evaluator's score as quality 0..10. */
  tasks: { index: number; node: Address | null; model: string | null; costUnits: string | null; contentHash: Hex | null; consensus: number | null; bad: string | null; scores: { evaluator: Address; score: number }[] }[];
};

export function roundPage(ctx: ExplorerContext, idText: string): RoundPage {
  const id = parseRoundId(idText);
  const r = roundRow(ctx, id);
  const { db } = ctx;
  const dec = ctx.token.decimals;
  const times = new Map<number, number>();
  const logs = db.prepare("SELECT * FROM logs WHERE round_id = ? AND event != 'Claimed' ORDER BY block_number, log_index").all(id) as LogRow[];
  const events = logs.map((l) => rawEvent(ctx, l, times));
  const by = (name: string) => events.filter((e) => e.event === name);
  const s = summary(ctx, r);
  const sync = db.getSync();
  const p = presenter(ctx);

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
    taskIndexes.forEach((t, i) => scoresByTask[t]?.push({ evaluator, score: quality(scores[i]) }));
    mapped = true;
  }
  const tasks: RoundPage["tasks"] = taskRows.length
    ? taskRows.map(([index, node, model, contentHash, costUnits, consensus, bad]) => ({ index, node, model, costUnits, contentHash, consensus: consensus === null ? null : quality(consensus), bad, scores: scoresByTask[index] ?? [] }))
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
      meanScore: meanOf.has(a) ? quality(meanOf.get(a)!) : null,
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
    events: logs.map((l) => eventView(ctx, p, l)),
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
  if (ctx.db.prepare("SELECT 1 FROM txs WHERE from_address = ? OR to_address = ? LIMIT 1").get(a, a)) return true;
  if (ctx.db.prepare("SELECT 1 FROM transfers WHERE from_address = ? OR to_address = ? LIMIT 1").get(a, a)) return true;
  if (ctx.db.prepare("SELECT 1 FROM tasks WHERE node = ? LIMIT 1").get(a)) return true;
  return ctx.contracts.nameOf(a) !== undefined || ctx.labels.has(a);
}

export type StakeView = { role: string; active: Amount; queued: Amount; unlockTime: number | null; withdrawable: boolean; slashed: Amount; staked: Amount; withdrawn: Amount };

export type AddressPage = {
  address: Address;
  /** The name tag (labels file, contract, or the first role) and every role the contracts' events give. */
  nameTag: string | null;
  tags: string[];
  contract: { name: string; label: string } | null;
  /** ETH and token balance at the indexed block (read live, cached per block), and the token balance the indexed transfers give. */
  balances: Balances;
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
  /** When queued stake becomes withdrawable, per role with a queue. */
  unlocks: (Countdown & { role: string })[];
  skippedSlashes: { round: number; reason: number; reasonText: string; block: number; tx: Hex }[];
  votes: { round: number; assignedTasks: number | null; committed: boolean; revealed: boolean; meanScore: number | null }[];
  served: { round: number; tasks: number; meanConsensus: number | null }[];
  transactions: TxRow[];
  tokenTransfers: TransferRow[];
  events: EventView[];
  asOf: { block: number | null; time: number | null };
};

export async function addressPage(ctx: ExplorerContext, text: string): Promise<AddressPage> {
  const a = parseAddress(text);
  if (!addressKnown(ctx, a)) throw new NotFoundError(`no activity found for address ${a}`);
  const { db } = ctx;
  const dec = ctx.token.decimals;
  const cname = ctx.contracts.nameOf(a);
  const times = new Map<number, number>();
  const logs = db.db
    .prepare("SELECT l.* FROM log_accounts x JOIN logs l ON l.block_number = x.block_number AND l.log_index = x.log_index WHERE x.address = ? ORDER BY l.block_number, l.log_index")
    .all(a) as LogRow[];
  const ev = logs.map((l) => rawEvent(ctx, l, times));
  const pr = presenter(ctx);
  const t0 = tags(ctx);
  const mine = (e: RawEvent, key: string) => e.args[key] === a;

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
    v.meanScore = m ? quality(m.mean_score) : null;
  }
  const votes = [...voteRounds.values()].sort((x, y) => x.round - y.round);

  const transactions = txRows(ctx, "WHERE from_address = ? OR to_address = ?", [a, a], 100, 0);
  const tokenTransfers = transferRows(ctx, "WHERE from_address = ? OR to_address = ?", [a, a], 50, 0);
  const unlocks = stakes.filter((x) => x.unlockTime !== null).map((x) => ({ role: x.role, ...countdown(ctx, `${x.role} stake withdrawable`, x.unlockTime!) }));
  const sync = db.getSync();
  return {
    address: a,
    nameTag: t0.tagOf(a),
    tags: t0.rolesOf(a),
    contract: cname ? { name: cname, label: ctx.contracts.list().find((x) => x.name === cname)!.label } : null,
    balances: await balances(ctx, a),
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
    unlocks,
    served: served.map((x) => ({ round: x.round_id, tasks: x.n, meanConsensus: x.mean === null ? null : quality(x.mean) })),
    transactions,
    tokenTransfers,
    events: logs.slice(-200).reverse().map((l) => eventView(ctx, pr, l)),
    asOf: { block: sync?.blockNumber ?? null, time: sync?.blockTimestamp ?? null },
  };
}

/* TASKS */

const outputRecord = z.object({
  node: z.string(),
  model: z.string(),
  task: z.string().optional(),
  query: z.string(),
  context: z.string().optional(),
  output: z.string(),
  tokens: z.number().optional(),
  latencyMs: z.number().optional(),
});

export type TaskPage = {
  round: number;
  index: number;
  tasks: number;
  node: Address | null;
  model: string | null;
  costUnits: string | null;
  contentHash: Hex | null;
  /** Consensus quality 0..10. */
  consensus: number | null;
  bad: string | null;
  /** Each evaluator's score, quality 0..10. */
  scores: { evaluator: Address; score: number }[];
  /** The output from the content store, checked against its content hash (null: not available, see `note`). */
  output: z.infer<typeof outputRecord> | null;
  note: string | null;
};

/** One task of a round: who served it, with which model, its output (from the content store), consensus and scores. */
export function taskPage(ctx: ExplorerContext, roundText: string, indexText: string): TaskPage {
  const id = parseRoundId(roundText);
  const index = parseTaskIndex(indexText);
  const r = roundRow(ctx, id);
  if (index >= r.taskCount) throw new NotFoundError(`round ${id} has ${r.taskCount} tasks (0 to ${r.taskCount - 1}); no task ${index}`);
  const t = ctx.db.prepare("SELECT node, model, content_hash, cost_units, consensus, bad FROM tasks WHERE round_id = ? AND task_index = ?").get(id, index) as
    | { node: Address | null; model: string | null; content_hash: Hex | null; cost_units: string | null; consensus: number | null; bad: string | null }
    | undefined;
  const scores: TaskPage["scores"] = [];
  for (const row of ctx.db.prepare("SELECT evaluator, task_indexes, scores FROM scores WHERE round_id = ? ORDER BY evaluator").all(id) as { evaluator: Address; task_indexes: string | null; scores: string }[]) {
    if (!row.task_indexes) continue;
    const at = (JSON.parse(row.task_indexes) as number[]).indexOf(index);
    if (at >= 0) scores.push({ evaluator: row.evaluator, score: quality((JSON.parse(row.scores) as number[])[at]) });
  }
  let output: TaskPage["output"] = null;
  let note: string | null = null;
  if (!t?.content_hash) note = ctx.storeConfigured ? "the batch manifest is not in the content store" : "no content store configured (--store): outputs are in the relayers' content store";
  else if (!ctx.store) note = "no content store configured (--store)";
  else {
    try {
      const parsed = outputRecord.safeParse(ctx.store.getJson(t.content_hash));
      if (parsed.success) output = parsed.data;
      else note = `the stored output is malformed: ${parsed.error.issues[0]?.path.join(".") || "record"} ${parsed.error.issues[0]?.message ?? ""}`.trim();
    } catch (e) {
      note = (e as Error).message.split("\n")[0];
    }
  }
  return {
    round: id,
    index,
    tasks: r.taskCount,
    node: t?.node ?? null,
    model: t?.model ?? null,
    costUnits: t?.cost_units ?? null,
    contentHash: t?.content_hash ?? null,
    consensus: t?.consensus === null || t?.consensus === undefined ? null : quality(t.consensus),
    bad: t?.bad ?? null,
    scores,
    output,
    note,
  };
}
