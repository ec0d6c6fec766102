import { UNAVAILABLE } from "../chain/encoding";
import { type Address, type Hex } from "viem";
import { poQSettlementAbi, rewardDistributorAbi, stakeVaultAbi } from "../chain/abis";
import { z } from "zod";
import { InputError } from "../errors";
import { type Json } from "./contracts";
import { balances, blockTime, countdown, eventView, indexedTime, NotFoundError, presenter, tags, type Balances, type Countdown, type EventView, type ExplorerContext, type LogRow } from "./context";
import type { ContentStatusView } from "./fetch";
import type { GoldTask, RoundRow } from "./derive";
import { quality } from "./format";
import { parseAddress, parseBlockNumber, parsePaging, parseRoundId, parseTaskIndex, parseTxHash } from "./params";
import { BLOCKHASH_WINDOW, cidValue, contentKindText, phaseAt, PHASES, roleText, slashReasonText, type PhaseName } from "./protocol";
import { tokenAmount, type Amount, type Value } from "./values";
import { challengesOf, latestParams, type ChallengeView, type ViolationView } from "./governance";
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
  /** With a content backend: its kind, this node's peer id and addresses, connected peers, archive role, rounds fetched. */
  content: ContentStatusView | null;
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
    content: ctx.contentStatus?.() ?? null,
    rounds,
  };
}

/* ROUNDS */

/** A deadline of a round, as a countdown; `key` says which (assign, commit, reveal, settle-commits, settle-reveals, challenge, answer, expiry). */
export type Deadline = Countdown & { key: string };

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
  /** Every slash of the round: non-reveal, low trust and seized relayer bonds. */
  slashedTotal: Amount;
  slashCount: number;
  vetoes: number;
  /** Settlements rejected after an upheld challenge or a proven violation. */
  rejections: number;
  /** The current settlement attempt (0 before the first settlement commit). */
  attempt: number;
  openChallenges: number;
  /** Mean consensus quality of the round's included tasks, 0..10 (on chain and in the payload: ×1000). */
  meanConsensus: number | null;
  settlementHash: Hex | null;
  /** The next deadline of the open phase, as a countdown from the chain's estimated time (the first of `deadlines`). */
  deadline: Deadline | null;
  /** The phase a cancelled round was cancelled in. */
  cancelledPhase: PhaseName | null;
};

const amount = tokenAmount;
const now = indexedTime;

/** The round's phase at the indexed block, as `phaseOf` says it at that block. */
export function roundPhase(ctx: ExplorerContext, r: RoundRow): PhaseName {
  return phaseAt(r, now(ctx), ctx.db.getSync()?.blockNumber ?? r.registeredBlock);
}

function summary(ctx: ExplorerContext, r: RoundRow): RoundSummary {
  const dec = ctx.token.decimals;
  const opt = (v: string | null) => (v === null ? null : amount(v, dec));
  const phase = roundPhase(ctx, r);
  return {
    id: r.id,
    phase,
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
    slashedTotal: amount(r.slashedTotal, dec),
    slashCount: r.slashCount,
    vetoes: r.vetoes,
    rejections: r.rejections,
    attempt: r.attempt,
    openChallenges: r.openChallenges,
    meanConsensus: r.meanConsensus === null ? null : quality(r.meanConsensus),
    settlementHash: r.settlementHash,
    deadline: deadlinesOf(ctx, r, phase, [])[0] ?? null,
    cancelledPhase: r.cancelledPhase,
  };
}

/**
 * Every deadline the open phase has, soonest first: the assignment deadline while seeding or assigning; the commit
 * and reveal windows and the settlement expiry while evaluators vote; the current attempt's commit and reveal
 * windows and the expiry while relayers settle; the challenge window and each open challenge's answer deadline.
 */
export function deadlinesOf(ctx: ExplorerContext, r: RoundRow, phase: PhaseName, open: { id: number; deadline: number }[]): Deadline[] {
  const t = now(ctx);
  const out: Deadline[] = [];
  const add = (key: string, what: string, at: number | null) => {
    if (at !== null && at > t) out.push({ key, ...countdown(ctx, what, at) });
  };
  const expiry = () => add("expiry", "Settlement expires (then anyone may cancel the round)", r.expiresAt);
  switch (phase) {
    case "seeding":
    case "assigning":
      add("assign", "Assignment deadline (then anyone may cancel the round)", r.assignDeadline);
      break;
    case "commit":
      add("commit", "Commit window closes", r.commitDeadline);
      add("reveal", "Reveal window closes", r.revealDeadline);
      expiry();
      break;
    case "reveal":
      add("reveal", "Reveal window closes", r.revealDeadline);
      expiry();
      break;
    case "settle":
      add("settle-commits", `Settlement attempt ${r.attempt}: commit window closes`, r.commitsClose);
      add("settle-reveals", `Settlement attempt ${r.attempt}: reveal window closes`, r.revealsClose);
      expiry();
      break;
    case "challenge":
      add("challenge", "Challenge window closes (then anyone may finalize)", r.challengeEnd);
      for (const c of open) add("answer", `Challenge ${c.id}: answer deadline (then anyone may resolve it)`, c.deadline);
      break;
  }
  return out;
}

export type RoundsView = { rounds: RoundSummary[]; total: number; page: number; pages: number; limit: number };

export function listRounds(ctx: ExplorerContext, p: { page?: string | number; limit?: string | number } = {}): RoundsView {
  const { page, limit, offset } = parsePaging(p);
  const total = (ctx.db.prepare("SELECT COUNT(*) AS n FROM rounds").get() as { n: number }).n;
  const rows = ctx.db.prepare("SELECT data FROM rounds ORDER BY id DESC LIMIT ? OFFSET ?").all(limit, offset) as { data: string }[];
  return { rounds: rows.map((x) => summary(ctx, JSON.parse(x.data))), total, page, pages: Math.max(1, Math.ceil(total / limit)), limit };
}

export function roundRow(ctx: ExplorerContext, id: number): RoundRow {
  const r = ctx.db.prepare("SELECT data FROM rounds WHERE id = ?").get(id) as { data: string } | undefined;
  if (!r) throw new NotFoundError(`round ${id} not found${id === 0 ? " (round numbers start at 1)" : ""}`);
  return JSON.parse(r.data) as RoundRow;
}

/** An event with its raw arguments, for the round and address projections. */
export type RawEvent = { block: number; logIndex: number; time: number; tx: Hex; contract: string; event: string; args: Record<string, Json> };

export type SlashView = { role: string; reason: number; reasonText: string; amount: Amount; recipient: Address; block: number; tx: Hex };

/** The fields of a `Slashed` event that every page shows. */
function slashOf(e: RawEvent, dec: number): SlashView {
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

export function rawEvent(ctx: ExplorerContext, l: LogRow, times: Map<number, number>): RawEvent {
  let t = times.get(l.block_number);
  if (t === undefined) times.set(l.block_number, (t = blockTime(ctx.db, l.block_number)));
  return { block: l.block_number, logIndex: l.log_index, time: t, tx: l.tx_hash, contract: l.contract, event: l.event, args: JSON.parse(l.args) };
}

export type PhaseStep = { phase: PhaseName; attempt: number; startTime: number | null; startBlock: number | null; endTime: number | null; via: string; tx: Hex | null };

/** One settlement attempt: its windows, each relayer's commitment and reveal (with the payload CID it pointed to), and how it ended. */
export type AttemptView = {
  attempt: number;
  commitsClose: number;
  revealsClose: number;
  commits: { relayer: Address; commitment: Hex; block: number; tx: Hex }[];
  reveals: { relayer: Address; settlementHash: Hex; payloadCid: Value; block: number; tx: Hex; accepted: boolean }[];
  outcome: "open" | "no quorum" | "accepted" | "vetoed" | "rejected" | "finalized";
  acceptedHash: Hex | null;
};

export type RoundPage = {
  round: RoundSummary & {
    registrar: Address;
    registeredTx: Hex;
    taskRoot: Hex;
    manifestCid: Value;
    seedBlock: number;
    seed: Hex | null;
    seedDrawnBlock: number | null;
    /** The last block at which the seed can still be drawn (the seed block's hash is readable 256 blocks). */
    seedDrawableUntil: number;
    paramsVersion: number;
    assignmentRoot: Hex | null;
    assignment: RoundRow["assignment"];
    assignDeadline: number;
    commitDeadline: number | null;
    revealDeadline: number | null;
    commitsClose: number | null;
    revealsClose: number | null;
    challengeEnd: number | null;
    expiresAt: number;
    extensions: number;
    maxVetoes: number | null;
    maxExtensions: number | null;
    cumulativeTotal: Amount | null;
    rewardsRoot: Hex | null;
    trustRoot: Hex | null;
    inputsHash: Hex | null;
    /** Low-trust slashes executed at finalization (RoundFinalized). */
    lowTrustSlashed: Amount | null;
    seizedTotal: Amount;
    refunded: Amount;
    finalizedBlock: number | null;
    closedAt: number | null;
    cancelled: { by: Address; phase: PhaseName; block: number; time: number; tx: Hex } | null;
    asOf: { block: number | null; time: number | null };
  };
  deadlines: Deadline[];
  gold: {
    commitment: Hex;
    /** Whether the registrar's opening was found and opens the commitment (`none`: the round has no gold). */
    opening: RoundRow["goldOpening"];
    root: Hex | null;
    count: number | null;
    tasks: GoldTask[] | null;
  };
  breaker: {
    held: boolean | null;
    flaggedStakePpm: number | null;
    confirmedStakePpm: number | null;
    /** The two-camp test's widest gap between neighbouring evaluators' mean residuals, quality points 0..10 (null: no payload, or one written before the test). */
    splitGap: number | null;
    /** True when the round split into two camps (slashing limited to evaluators apart from both); null: unknown. */
    split: boolean | null;
    /** The camps' centres (mean residuals, quality points), lower first; null when not split or unknown. */
    campCentres: [number, number] | null;
  };
  excludedTasks: number[] | null;
  content: {
    storeConfigured: boolean;
    manifest: RoundRow["manifest"];
    payload: RoundRow["payload"];
    goldOpening: RoundRow["goldOpening"];
    note: string | null;
    /** The content backend the explorer fetches with (null: the store folder alone). */
    backend: ContentStatusView["backend"] | null;
    /** Where each piece came from: already in the store, or fetched by CID from the backend (null: nothing fetched). */
    source: RoundRow["contentSource"];
  };
  announcements: { relayer: Address; kind: Value; cid: Value; block: number; tx: Hex }[];
  timeline: PhaseStep[];
  events: EventView[];
  funding: { funder: Address; inference: Amount; evaluator: Amount; block: number; tx: Hex }[];
  refunds: { funder: Address; amount: Amount; block: number; tx: Hex }[];
  /** Per funder: contributed, refunded, and what `refundable(round, funder)` says at the indexed block. */
  funders: { funder: Address; contributed: Amount; refunded: Amount; refundable: Amount | null }[];
  attempts: AttemptView[];
  /** Every settlement commitment, flattened: relayer, attempt, revealed hash, payload CID. */
  settlements: { relayer: Address; attempt: number; commitment: Hex; commitBlock: number; commitTx: Hex; settlementHash: Hex | null; payloadCid: Value | null; revealBlock: number | null; revealTx: Hex | null; accepted: boolean; final: boolean }[];
  vetoes: { guardian: Address; settlementHash: Hex; expiresAt: number; block: number; time: number; tx: Hex }[];
  rejections: { challenger: Address; settlementHash: Hex; seized: Amount; reward: Amount; expiresAt: number; block: number; time: number; tx: Hex }[];
  challenges: ChallengeView[];
  violations: ViolationView[];
  evaluators: {
    address: Address;
    assignedTasks: number | null;
    committed: boolean;
    revealed: boolean;
    /** Tasks it reported unavailable (the reserved score). */
    unavailable: number;
    meanScore: number | null;
    trustPpm: number | null;
    lowStreak: number | null;
    reward: Amount | null;
    slash: { amount: Amount; reason: number; reasonText: string } | null;
  }[];
  rewards: { account: Address; role: string; amount: Amount }[];
  /** Every executed slash of the round: non-reveal (permissionless, any time after the reveal deadline), low trust (at finalization), relayer bonds seized. */
  slashes: (SlashView & { account: Address })[];
  proposedSlashes: { evaluator: Address; reason: number; reasonText: string; outcome: "executed" | "skipped" | "pending" | "nothing to slash" }[];
  skippedSlashes: { evaluator: Address; reason: number; reasonText: string; block: number; tx: Hex }[];
  /** Per task: consensus and each evaluator's score as quality 0..10 (null: reported unavailable). */
  tasks: TaskSummary[];
};


export async function roundPage(ctx: ExplorerContext, idText: string): Promise<RoundPage> {
  const id = parseRoundId(idText);
  const r = roundRow(ctx, id);
  const { db } = ctx;
  const dec = ctx.token.decimals;
  const times = new Map<number, number>();
  const logs = db.prepare("SELECT * FROM logs WHERE round_id = ? AND event != 'Claimed' ORDER BY block_number, log_index").all(id) as LogRow[];
  const events = logs.map((l) => rawEvent(ctx, l, times));
  const by = (name: string, contract = "settlement") => events.filter((e) => e.event === name && e.contract === contract);
  const s = summary(ctx, r);
  const sync = db.getSync();
  const p = presenter(ctx);
  const cur = now(ctx);

  // Timeline of phases.
  const timeline: PhaseStep[] = [];
  const firstAfter = (t: number) => (db.prepare("SELECT number FROM blocks WHERE timestamp >= ? ORDER BY timestamp, number LIMIT 1").get(t) as { number: number } | undefined)?.number ?? null;
  const reg = by("TasksRegistered")[0];
  const step = (x: PhaseStep) => {
    const last = timeline[timeline.length - 1];
    if (last && last.endTime === null) last.endTime = x.startTime;
    timeline.push(x);
  };
  step({ phase: "seeding", attempt: 0, startTime: reg.time, startBlock: reg.block, endTime: null, via: "TasksRegistered", tx: reg.tx });
  let attempt = 0;
  for (const e of events) {
    if (e.contract === "settlement" && e.event === "SeedDrawn") step({ phase: "assigning", attempt, startTime: e.time, startBlock: e.block, endTime: null, via: "SeedDrawn", tx: e.tx });
    else if (e.contract === "settlement" && e.event === "AssignmentAccepted") {
      step({ phase: "commit", attempt, startTime: e.time, startBlock: e.block, endTime: r.commitDeadline, via: "AssignmentAccepted", tx: e.tx });
      if (r.commitDeadline !== null && cur >= r.commitDeadline) timeline.push({ phase: "reveal", attempt, startTime: r.commitDeadline, startBlock: firstAfter(r.commitDeadline), endTime: r.revealDeadline, via: "commit deadline", tx: null });
      if (r.revealDeadline !== null && cur >= r.revealDeadline) {
        timeline.push({ phase: "settle", attempt: 0, startTime: r.revealDeadline, startBlock: firstAfter(r.revealDeadline), endTime: null, via: "reveal deadline", tx: null });
      }
    } else if (e.event === "SettlementCommitted" && Number(e.args.attempt) > attempt) {
      attempt = Number(e.args.attempt);
      const last = timeline[timeline.length - 1];
      if (last.phase === "settle" && last.attempt === 0) last.attempt = attempt;
      else if (last.phase === "settle") step({ phase: "settle", attempt, startTime: e.time, startBlock: e.block, endTime: null, via: `attempt ${attempt}: first commit`, tx: e.tx });
    } else if (e.event === "SettlementAccepted") {
      step({ phase: "challenge", attempt, startTime: e.time, startBlock: e.block, endTime: Number(e.args.challengeEnd), via: "SettlementAccepted", tx: e.tx });
    } else if (e.event === "SettlementVetoed" || e.event === "SettlementRejected") {
      const last = timeline[timeline.length - 1];
      last.endTime = e.time;
      timeline.push({ phase: "settle", attempt: 0, startTime: e.time, startBlock: e.block, endTime: null, via: e.event, tx: e.tx });
    } else if (e.contract === "settlement" && (e.event === "RoundFinalized" || e.event === "RoundCancelled")) {
      const last = timeline[timeline.length - 1];
      if (last.phase === "challenge" && last.endTime !== null && e.time >= last.endTime) {
        timeline.push({ phase: "finalizable", attempt, startTime: last.endTime, startBlock: firstAfter(last.endTime), endTime: e.time, via: "challenge end", tx: null });
      } else if (e.event === "RoundCancelled" && PHASES[Number(e.args.phase)] === "expired") {
        const at = r.assignmentRoot ? r.expiresAt : r.assignDeadline;
        if (last.endTime === null || last.endTime > at) last.endTime = at;
        timeline.push({ phase: "expired", attempt, startTime: at, startBlock: firstAfter(at), endTime: e.time, via: r.assignmentRoot ? "settlement expiry" : "assignment deadline", tx: null });
      } else if (last.endTime === null) last.endTime = e.time;
      timeline.push({ phase: e.event === "RoundFinalized" ? "finalized" : "cancelled", attempt, startTime: e.time, startBlock: e.block, endTime: null, via: e.event, tx: e.tx });
    }
  }
  const tail = timeline[timeline.length - 1];
  if (tail.phase === "challenge" && s.phase === "finalizable") {
    timeline.push({ phase: "finalizable", attempt, startTime: tail.endTime, startBlock: tail.endTime === null ? null : firstAfter(tail.endTime), endTime: null, via: "challenge end", tx: null });
  } else if (s.phase === "expired" && tail.phase !== "expired") {
    const at = r.status === "registered" ? (cur >= r.assignDeadline ? r.assignDeadline : null) : r.expiresAt;
    if (tail.endTime === null) tail.endTime = at;
    timeline.push({ phase: "expired", attempt, startTime: at, startBlock: at === null ? null : firstAfter(at), endTime: null, via: at === null ? "seed block too old" : r.status === "registered" ? "assignment deadline" : "settlement expiry", tx: null });
  }

  // Funding and refunds.
  const funding = by("RoundFunded", "distributor").map((e) => ({
    funder: e.args.funder as Address,
    inference: amount(e.args.inferenceAmount as string, dec),
    evaluator: amount(e.args.evaluatorAmount as string, dec),
    block: e.block,
    tx: e.tx,
  }));
  const refunds = by("Refunded", "distributor").map((e) => ({ funder: e.args.funder as Address, amount: amount(e.args.amount as string, dec), block: e.block, tx: e.tx }));
  const funderSet = [...new Set(funding.map((f) => f.funder))].sort(byAddress);
  const funders = await Promise.all(
    funderSet.map(async (funder) => ({
      funder,
      contributed: amount(
        funding.filter((f) => f.funder === funder).reduce((t, f) => t + BigInt(f.inference.wei) + BigInt(f.evaluator.wei), 0n),
        dec,
      ),
      refunded: amount(
        refunds.filter((f) => f.funder === funder).reduce((t, f) => t + BigInt(f.amount.wei), 0n),
        dec,
      ),
      refundable: await refundableOf(ctx, id, funder),
    })),
  );

  // Settlement attempts, per relayer.
  const finalHash = r.status === "finalized" ? r.settlementHash : null;
  const accepted = by("SettlementAccepted");
  const acceptedIn = new Map(accepted.map((e) => [Number(e.args.attempt), e.args.settlementHash as Hex]));
  const ended = new Map<Hex, "vetoed" | "rejected">([...by("SettlementVetoed").map((e) => [e.args.settlementHash as Hex, "vetoed"] as const), ...by("SettlementRejected").map((e) => [e.args.settlementHash as Hex, "rejected"] as const)]);
  const commits = by("SettlementCommitted");
  const reveals = by("SettlementRevealed");
  const attemptNumbers = [...new Set(commits.map((c) => Number(c.args.attempt)))].sort((x, y) => x - y);
  const attempts: AttemptView[] = attemptNumbers.map((n) => {
    const cs = commits.filter((c) => Number(c.args.attempt) === n);
    const acc = acceptedIn.get(n) ?? null;
    const outcome: AttemptView["outcome"] = acc ? (acc === finalHash ? "finalized" : (ended.get(acc) ?? "accepted")) : cur < Number(cs[0].args.revealsClose) && n === r.attempt && r.status === "active" ? "open" : "no quorum";
    return {
      attempt: n,
      commitsClose: Number(cs[0].args.commitsClose),
      revealsClose: Number(cs[0].args.revealsClose),
      commits: cs.map((c) => ({ relayer: c.args.relayer as Address, commitment: c.args.commitment as Hex, block: c.block, tx: c.tx })),
      reveals: reveals
        .filter((x) => Number(x.args.attempt) === n)
        .map((x) => ({ relayer: x.args.relayer as Address, settlementHash: x.args.settlementHash as Hex, payloadCid: cidValue(String(x.args.payloadCid)), block: x.block, tx: x.tx, accepted: x.args.settlementHash === acc })),
      outcome,
      acceptedHash: acc,
    };
  });
  const settlements: RoundPage["settlements"] = commits.map((c) => {
    const rev = reveals.find((e) => e.args.relayer === c.args.relayer && e.args.attempt === c.args.attempt);
    const hash = rev ? (rev.args.settlementHash as Hex) : null;
    return {
      relayer: c.args.relayer as Address,
      attempt: Number(c.args.attempt),
      commitment: c.args.commitment as Hex,
      commitBlock: c.block,
      commitTx: c.tx,
      settlementHash: hash,
      payloadCid: rev ? cidValue(String(rev.args.payloadCid)) : null,
      revealBlock: rev?.block ?? null,
      revealTx: rev?.tx ?? null,
      accepted: hash !== null && acceptedIn.get(Number(c.args.attempt)) === hash,
      final: hash !== null && hash === finalHash,
    };
  });
  const vetoes = by("SettlementVetoed").map((e) => ({ guardian: e.args.guardian as Address, settlementHash: e.args.settlementHash as Hex, expiresAt: Number(e.args.expiresAt), block: e.block, time: e.time, tx: e.tx }));
  const rejections = by("SettlementRejected").map((e) => ({
    challenger: e.args.challenger as Address,
    settlementHash: e.args.settlementHash as Hex,
    seized: amount(e.args.seized as string, dec),
    reward: amount(e.args.reward as string, dec),
    expiresAt: Number(e.args.expiresAt),
    block: e.block,
    time: e.time,
    tx: e.tx,
  }));
  const announcements = by("ContentAnnounced").map((e) => ({
    relayer: e.args.relayer as Address,
    kind: { kind: "enum", type: "ContentKind", value: Number(e.args.kind), name: contentKindText(Number(e.args.kind)) } as Value,
    cid: cidValue(String(e.args.cid)),
    block: e.block,
    tx: e.tx,
  }));
  const { challenges, violations } = challengesOf(ctx, "round_id = ?", [id]);
  const deadlines = deadlinesOf(
    ctx,
    r,
    s.phase,
    challenges.filter((c) => c.status === "open").map((c) => ({ id: c.id, deadline: c.deadline })),
  );

  // Slashes: executed (vault), proposed by the accepted settlement, skipped.
  const slashes = by("Slashed", "vault").map((e) => ({ account: e.args.account as Address, ...slashOf(e, dec) }));
  const skippedSlashes = by("SlashSkipped").map((e) => ({ evaluator: e.args.evaluator as Address, reason: Number(e.args.reason), reasonText: slashReasonText(Number(e.args.reason)), block: e.block, tx: e.tx }));
  const skipped = new Set(skippedSlashes.map((x) => x.evaluator));
  const proposedSlashes: RoundPage["proposedSlashes"] = (r.lowTrustList ?? []).map((evaluator) => ({
    evaluator,
    reason: 2,
    reasonText: slashReasonText(2),
    outcome:
      r.status !== "finalized" ? "pending" : skipped.has(evaluator) ? "skipped" : slashes.some((y) => y.account === evaluator && y.reason === 2) ? "executed" : "nothing to slash",
  }));

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
    .prepare("SELECT task_index, node, model, content_hash, cost_units, consensus, excluded, gold FROM tasks WHERE round_id = ? ORDER BY task_index")
    .raw(true)
    .all(id) as [number, Address | null, string | null, Hex | null, string | null, number | null, number | null, number | null][];
  const scoreRows = db.prepare("SELECT evaluator, task_indexes, scores, mean_score FROM scores WHERE round_id = ? ORDER BY evaluator").raw(true).all(id) as [Address, string | null, string, number | null][];
  const scoresByTask: { evaluator: Address; score: number | null }[][] = Array.from({ length: r.taskCount }, () => []);
  const meanOf = new Map<Address, number | null>();
  const unavailableOf = new Map<Address, number>();
  let mapped = false;
  for (const [evaluator, taskJson, scoreJson, mean] of scoreRows) {
    meanOf.set(evaluator, mean);
    const scores = JSON.parse(scoreJson) as number[];
    unavailableOf.set(evaluator, scores.filter((x) => x === UNAVAILABLE).length);
    if (taskJson === null) continue;
    const taskIndexes = JSON.parse(taskJson) as number[];
    taskIndexes.forEach((t, i) => scoresByTask[t]?.push({ evaluator, score: scores[i] === UNAVAILABLE ? null : quality(scores[i]) }));
    mapped = true;
  }
  const tasks: RoundPage["tasks"] = taskRows.length
    ? taskRows.map(([index, node, model, contentHash, costUnits, consensus, excluded, gold]) => ({
        index,
        node,
        model,
        costUnits,
        contentHash,
        consensus: consensus === null ? null : quality(consensus),
        excluded: excluded === null ? null : excluded === 1,
        gold: gold === null ? null : quality(gold),
        scores: scoresByTask[index] ?? [],
      }))
    : mapped
      ? scoresByTask.map((scores, index) => ({ index, node: null, model: null, costUnits: null, contentHash: null, consensus: null, excluded: null, gold: null, scores }))
      : [];
  const committed = new Set(by("ScoresCommitted").map((e) => e.args.evaluator as Address));
  const revealed = new Set(by("ScoresRevealed").map((e) => e.args.evaluator as Address));
  const evaluatorSlashes = slashes.filter((x) => x.role === "evaluator");
  const evalSet = new Set<Address>([...Object.keys(r.assigned ?? {}).map((a) => a as Address), ...committed, ...revealed, ...trust.keys(), ...evaluatorSlashes.map((x) => x.account)]);
  const evaluators: RoundPage["evaluators"] = [...evalSet].sort(byAddress).map((a) => {
    const t = trust.get(a);
    const sl = evaluatorSlashes.find((x) => x.account === a);
    const rw = rewardOf.get(a);
    const mean = meanOf.get(a);
    return {
      address: a,
      assignedTasks: r.assigned ? (r.assigned[a] ?? 0) : null,
      committed: committed.has(a),
      revealed: revealed.has(a),
      unavailable: unavailableOf.get(a) ?? 0,
      meanScore: mean === undefined || mean === null ? null : quality(mean),
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
  const cancelEvent = by("RoundCancelled")[0];
  const params = r.params;

  return {
    round: {
      ...s,
      registrar: r.registrar,
      registeredTx: r.registeredTx,
      taskRoot: r.taskRoot,
      manifestCid: cidValue(r.manifestCid),
      seedBlock: r.seedBlock,
      seed: r.seed,
      seedDrawnBlock: r.seedDrawnBlock,
      seedDrawableUntil: r.seedBlock + BLOCKHASH_WINDOW,
      paramsVersion: r.paramsVersion,
      assignmentRoot: r.assignmentRoot,
      assignment: r.assignment,
      assignDeadline: r.assignDeadline,
      commitDeadline: r.commitDeadline,
      revealDeadline: r.revealDeadline,
      commitsClose: r.commitsClose,
      revealsClose: r.revealsClose,
      challengeEnd: r.challengeEnd,
      expiresAt: r.expiresAt,
      extensions: r.extensions,
      maxVetoes: params?.maxVetoes ?? null,
      maxExtensions: params?.maxExtensions ?? null,
      inferencePaid: r.inferencePaid === null ? null : amount(r.inferencePaid, dec),
      evaluatorPaid: r.evaluatorPaid === null ? null : amount(r.evaluatorPaid, dec),
      cumulativeTotal: r.cumulativeTotal === null ? null : amount(r.cumulativeTotal, dec),
      rewardsRoot: r.rewardsRoot,
      trustRoot: r.trustRoot,
      inputsHash: r.inputsHash,
      lowTrustSlashed: r.lowTrustSlashed === null ? null : amount(r.lowTrustSlashed, dec),
      seizedTotal: amount(r.seizedTotal, dec),
      refunded: amount(r.refunded, dec),
      finalizedBlock: r.finalizedBlock,
      closedAt: r.closedAt,
      cancelled: cancelEvent ? { by: cancelEvent.args.caller as Address, phase: (PHASES[Number(cancelEvent.args.phase)] ?? "none") as PhaseName, block: cancelEvent.block, time: cancelEvent.time, tx: cancelEvent.tx } : null,
      asOf: { block: sync?.blockNumber ?? null, time: sync?.blockTimestamp ?? null },
    },
    deadlines,
    gold: { commitment: r.goldCommitment, opening: r.goldOpening, root: r.goldRoot, count: r.goldCount, tasks: r.gold },
    breaker: { held: r.flags === null ? null : (r.flags & 1) === 1, flaggedStakePpm: r.breaker?.flaggedStakePpm ?? null, confirmedStakePpm: r.breaker?.confirmedStakePpm ?? null, splitGap: r.breaker?.splitGap === undefined ? null : r.breaker.splitGap / 1000, split: r.breaker?.split ?? null, campCentres: r.breaker?.campCentres ? [r.breaker.campCentres[0] / 1000, r.breaker.campCentres[1] / 1000] : null },
    excludedTasks: r.excludedTasks,
    content: { storeConfigured: ctx.storeConfigured, manifest: r.manifest, payload: r.payload, goldOpening: r.goldOpening, note: r.contentNote, backend: ctx.contentStatus?.().backend ?? null, source: r.contentSource ?? null },
    announcements,
    timeline,
    events: logs.map((l) => eventView(ctx, p, l)),
    funding,
    refunds,
    funders,
    attempts,
    settlements,
    vetoes,
    rejections,
    challenges,
    violations,
    evaluators,
    rewards,
    slashes,
    proposedSlashes,
    skippedSlashes,
    tasks,
  };
}

/** What `refundable(round, funder)` says at the indexed block (read live, cached per block; null without a connection). */
async function refundableOf(ctx: ExplorerContext, round: number, funder: Address): Promise<Amount | null> {
  const block = ctx.db.getSync()?.blockNumber;
  const client = ctx.client;
  if (!client || block === undefined) return null;
  try {
    const v = await ctx.cache
      .at(block)
      .read(`refundable:${round}:${funder}`, () =>
        client.readContract({ address: ctx.deployment.distributor, abi: rewardDistributorAbi, functionName: "refundable", args: [BigInt(round), funder], blockNumber: BigInt(block) }),
      );
    return amount(v, ctx.token.decimals);
  } catch {
    return null;
  }
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

/** One unstake request in the vault's unbonding queue (`unbondingQueue(account, role)` at the indexed block). */
export type UnbondingView = Countdown & { role: string; amount: Amount; unlockTime: number; unlocked: boolean };

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
    /** The leaf's position in the rewards sum tree and its proof (sibling hash and sum per level). */
    index: number | null;
    proof: Hex[] | null;
    /** Why the claimable balance is unknown, when it is. */
    note: string | null;
  };
  slashes: { round: number; role: string; reason: number; reasonText: string; amount: Amount; recipient: Address; block: number; time: number; tx: Hex }[];
  /** When queued stake becomes withdrawable, per role with a queue (the latest request's unlock time). */
  unlocks: (Countdown & { role: string })[];
  /** Every queued unstake request, per role, with its unlock time (read live; null without a connection). */
  unbonding: UnbondingView[] | null;
  /** Whether the settlement contract holds its evaluator and relayer stake (`withdrawalLocked`, read live; null: unknown). */
  withdrawalLocked: boolean | null;
  /** The relayer's id and bond, when it is or was a relayer. */
  relayer: { id: number; current: boolean; bond: Amount; minimum: Amount | null; bonded: boolean | null } | null;
  challengesOpened: ChallengeView[];
  challengesAnswered: ChallengeView[];
  violations: ViolationView[];
  /** Per round this address funded: what it put in, got back, and can still get back (`refundable`, read live). */
  funding: { round: number; contributed: Amount; refunded: Amount; refundable: Amount | null }[];
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

  // Stake per role, replayed like the vault's storage: Slashed takes from active first, then from the queue (a seized
  // relayer bond is the whole of both).
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
  const guardian = db.prepare("SELECT args FROM logs WHERE contract = 'config' AND event = 'GuardianSet' ORDER BY block_number DESC, log_index DESC LIMIT 1").get() as
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
  if (ev.some((e) => e.event === "ChallengeOpened" && mine(e, "challenger"))) roles.add("challenger");

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
  const rootLog = db.prepare("SELECT round_id, args FROM logs WHERE contract = 'distributor' AND event = 'RootUpdated' ORDER BY block_number DESC, log_index DESC LIMIT 1").get() as
    | { round_id: number; args: string }
    | undefined;
  // The leaves of the current root: from the payload of the round that installed it or, when that round left the
  // tree unchanged (it paid nothing new), of the latest round whose checked payload has the same root.
  let root: { round_id: number; installed: number } | undefined = rootLog && { round_id: rootLog.round_id, installed: rootLog.round_id };
  if (rootLog) {
    const hash = String((JSON.parse(rootLog.args) as Record<string, Json>).root);
    const same = db.db
      .prepare("SELECT id FROM rounds WHERE json_extract(data, '$.rewardsRoot') = ? AND json_extract(data, '$.payload') = 'loaded' ORDER BY id DESC LIMIT 1")
      .get(hash) as { id: number } | undefined;
    if (same) root = { round_id: same.id, installed: rootLog.round_id };
  }
  let claimable: AddressPage["claimable"] = { rootRound: null, cumulative: null, claimed: amount(claimedWei, dec), claimable: null, index: null, proof: null, note: "no rewards root has been installed yet" };
  if (root) {
    const rr = JSON.parse((db.prepare("SELECT data FROM rounds WHERE id = ?").get(root.round_id) as { data: string } | undefined)?.data ?? "null") as RoundRow | null;
    const leaf = db.prepare("SELECT cumulative, leaf_index, proof FROM claims WHERE round_id = ? AND account = ?").get(root.round_id, a) as
      | { cumulative: string; leaf_index: number; proof: string }
      | undefined;
    if (leaf) {
      const cum = BigInt(leaf.cumulative);
      claimable = {
        rootRound: root.installed,
        cumulative: amount(cum, dec),
        claimed: amount(claimedWei, dec),
        claimable: amount(cum > claimedWei ? cum - claimedWei : 0n, dec),
        index: leaf.leaf_index,
        proof: JSON.parse(leaf.proof),
        note: null,
      };
    } else if (rr?.payload === "loaded") {
      claimable = { rootRound: root.installed, cumulative: amount(0n, dec), claimed: amount(claimedWei, dec), claimable: amount(0n, dec), index: null, proof: [], note: "no leaf for this account in the current rewards tree" };
    } else {
      claimable = {
        rootRound: root.installed,
        cumulative: null,
        claimed: amount(claimedWei, dec),
        claimable: null,
        index: null,
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

  // The unbonding queue and the withdrawal lock, read live at the indexed block.
  const live = await liveStakeState(ctx, a, [...st.keys()].filter((role) => role >= 1 && role <= 3));
  const unbonding = live?.queues.flatMap(({ role, queue }) =>
    queue.map((q) => ({ role: roleText(role), amount: amount(q.amount, dec), unlockTime: Number(q.unlockTime), unlocked: t >= Number(q.unlockTime), ...countdown(ctx, `${roleText(role)} request withdrawable`, Number(q.unlockTime)) })),
  ) ?? null;

  // Relayer: its permanent id, and its bond (Relayer-role stake) against the current minimum.
  let relayer: AddressPage["relayer"] = null;
  if (relayerSet.length) {
    const last = relayerSet[relayerSet.length - 1];
    const bond = st.get(3)?.active ?? 0n;
    const min = latestParams(ctx)?.minRelayerBond;
    relayer = { id: Number(last.args.id), current: last.args.enabled === true, bond: amount(bond, dec), minimum: min === undefined ? null : amount(min, dec), bonded: min === undefined ? null : bond >= BigInt(min) };
  }

  // Challenges and funding.
  const ch = challengesOf(ctx, "1 = 1", []);
  const challengesOpened = ch.challenges.filter((c) => c.challenger === a);
  const challengesAnswered = ch.challenges.filter((c) => c.answered?.responder === a);
  const violations = ch.violations.filter((v) => v.challenger === a);
  const fundedRounds = [...new Set(ev.filter((e) => e.event === "RoundFunded" && mine(e, "funder")).map((e) => Number(e.args.roundId)))].sort((x, y) => x - y);
  const funding = await Promise.all(
    fundedRounds.map(async (round) => ({
      round,
      contributed: amount(
        ev.filter((e) => e.event === "RoundFunded" && mine(e, "funder") && Number(e.args.roundId) === round).reduce((s, e) => s + BigInt(e.args.inferenceAmount as string) + BigInt(e.args.evaluatorAmount as string), 0n),
        dec,
      ),
      refunded: amount(
        ev.filter((e) => e.event === "Refunded" && mine(e, "funder") && Number(e.args.roundId) === round).reduce((s, e) => s + BigInt(e.args.amount as string), 0n),
        dec,
      ),
      refundable: await refundableOf(ctx, round, a),
    })),
  );
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
    unbonding,
    withdrawalLocked: live?.locked ?? null,
    relayer,
    challengesOpened,
    challengesAnswered,
    violations,
    funding,
    served: served.map((x) => ({ round: x.round_id, tasks: x.n, meanConsensus: x.mean === null ? null : quality(x.mean) })),
    transactions,
    tokenTransfers,
    events: logs.slice(-200).reverse().map((l) => eventView(ctx, pr, l)),
    asOf: { block: sync?.blockNumber ?? null, time: sync?.blockTimestamp ?? null },
  };
}

/* TASKS */

/** An output record as the content store holds it (the serving node is named by the task leaf, not the record). */
const outputRecord = z.object({
  node: z.string().optional(),
  model: z.string(),
  task: z.string().optional(),
  query: z.string(),
  context: z.string().optional(),
  output: z.string(),
  tokens: z.number().optional(),
  latencyMs: z.number().optional(),
});

/** One task as the round page lists it and the task page heads it. */
export type TaskSummary = {
  index: number;
  node: Address | null;
  model: string | null;
  costUnits: string | null;
  contentHash: Hex | null;
  /** Consensus quality 0..10 (null: excluded, or no payload). */
  consensus: number | null;
  /** Left out of the settlement: its output was unavailable to most of its evaluators (null: no payload). */
  excluded: boolean | null;
  /** A gold task's known quality 0..10 (null: not a gold task, or not known). */
  gold: number | null;
  /** Each evaluator's score, quality 0..10 (null: it reported the output unavailable). */
  scores: { evaluator: Address; score: number | null }[];
};

export type TaskPage = TaskSummary & {
  round: number;
  tasks: number;
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
  const t = ctx.db.prepare("SELECT node, model, content_hash, cost_units, consensus, excluded, gold FROM tasks WHERE round_id = ? AND task_index = ?").get(id, index) as
    | { node: Address | null; model: string | null; content_hash: Hex | null; cost_units: string | null; consensus: number | null; excluded: number | null; gold: number | null }
    | undefined;
  const scores: TaskPage["scores"] = [];
  for (const row of ctx.db.prepare("SELECT evaluator, task_indexes, scores FROM scores WHERE round_id = ? ORDER BY evaluator").all(id) as { evaluator: Address; task_indexes: string | null; scores: string }[]) {
    if (!row.task_indexes) continue;
    const at = (JSON.parse(row.task_indexes) as number[]).indexOf(index);
    const v = (JSON.parse(row.scores) as number[])[at];
    if (at >= 0) scores.push({ evaluator: row.evaluator, score: v === UNAVAILABLE ? null : quality(v) });
  }
  let output: TaskPage["output"] = null;
  let note: string | null = null;
  const backend = ctx.contentStatus?.().backend;
  const unfetched = backend ? `; the explorer's ${backend} content backend has not delivered it yet (tried again)` : "";
  if (!t?.content_hash) note = ctx.storeConfigured ? `the batch manifest is not in the content store${unfetched}` : "no content store configured (--store): outputs are in the relayers' content store";
  else if (!ctx.store) note = "no content store configured (--store)";
  else if (backend && !ctx.store.has(t.content_hash)) note = `the output is not in the content store${unfetched}`;
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
    excluded: t?.excluded === null || t?.excluded === undefined ? null : t.excluded === 1,
    gold: t?.gold === null || t?.gold === undefined ? null : quality(t.gold),
    scores,
    output,
    note,
  };
}

/** The unbonding queue of each role and the withdrawal lock, at the indexed block (cached per block). */
async function liveStakeState(ctx: ExplorerContext, a: Address, roles: number[]): Promise<{ queues: { role: number; queue: readonly { amount: bigint; unlockTime: bigint }[] }[]; locked: boolean } | null> {
  const block = ctx.db.getSync()?.blockNumber;
  const client = ctx.client;
  if (!client || block === undefined) return null;
  const at = BigInt(block);
  try {
    return await ctx.cache.at(block).read(`stake:${a}:${roles.join(",")}`, async () => {
      const [queues, locked] = await Promise.all([
        Promise.all(roles.map(async (role) => ({ role, queue: await client.readContract({ address: ctx.deployment.vault, abi: stakeVaultAbi, functionName: "unbondingQueue", args: [a, role], blockNumber: at }) }))),
        client.readContract({ address: ctx.deployment.settlement, abi: poQSettlementAbi, functionName: "withdrawalLocked", args: [a], blockNumber: at }),
      ]);
      return { queues, locked };
    });
  } catch {
    return null;
  }
}
