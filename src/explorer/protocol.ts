import { getAddress, type AbiParameter, type Address, type Hex } from "viem";
import type { Json } from "./contracts";
import type { RoundRow } from "./derive";
import { durationText } from "./format";
import type { Hint, Part, Presenter, Value } from "./values";
import { addressValue, timeValue, tokenValue } from "./values";

/**
 * Everything the explorer knows about the PoQ protocol's events, in one place: enum names, what each argument
 * means (amount, time, round, enum), how each event reads in a list, which name tags it gives, and how it moves a
 * round's state. A new protocol event is added by adding a row to {@link EVENTS} (and, if it names new enums or
 * units, to {@link ENUMS} and {@link hint}); the generic parts of the explorer (blocks, transactions, token,
 * balances, feeds) do not depend on any of it.
 */

/* ENUMS */

/** Names of the contracts' enums, by value, as the explorer shows them. */
export const ENUMS: Record<string, readonly string[]> = {
  Role: ["none", "inference", "evaluator", "relayer"],
  SlashReason: ["none", "non-reveal", "low trust", "bond seized"],
  Status: ["none", "registered", "active", "accepted", "finalized", "cancelled"],
  Phase: ["none", "seeding", "assigning", "commit", "reveal", "settle", "challenge", "finalizable", "finalized", "cancelled", "expired"],
  ContentKind: ["none", "manifest", "gold opening", "payload", "assignment"],
  ChallengeKind: ["none", "account", "gold item"],
  ChallengeStatus: ["none", "open", "answered", "upheld", "moot"],
  RoundState: ["open", "settled", "cancelled"],
  OperationState: ["unset", "waiting", "ready", "done"],
};

/** Enum types whose Solidity names collide, by their qualified internal type. */
const QUALIFIED: Record<string, string> = {
  "ISettlementChallenges.Kind": "ChallengeKind",
  "ISettlementChallenges.Status": "ChallengeStatus",
  "IRewardDistributor.RoundState": "RoundState",
  "TimelockController.OperationState": "OperationState",
};

export function enumName(type: string, value: number): string {
  return ENUMS[type]?.[value] ?? `unknown ${type} ${value}`;
}

export const roleText = (role: number): string => enumName("Role", role);
export const slashReasonText = (reason: number): string => enumName("SlashReason", reason);
export const contentKindText = (kind: number): string => enumName("ContentKind", kind);

/* UNITS OF ARGUMENTS */

const TOKEN_ARGS = new Set([
  "amount",
  "active",
  "queued",
  "inferenceAmount",
  "evaluatorAmount",
  "cumulativeAmount",
  "cumulativeTotal",
  "inferencePaid",
  "evaluatorPaid",
  "inferencePool",
  "evaluatorPool",
  "slashedTotal",
  "minimum",
  "paid",
  "pool",
  "funded",
  "allocated",
  "refunded",
  "balance",
  "needed",
  "remaining",
  "requested",
  "alreadyClaimed",
  "sent",
  "received",
  "available",
  "total",
  "value",
  "allowance",
  "bond",
  "seized",
  "reward",
  "toResponder",
  "toChallenger",
  "minAmount",
  "maxRoundPools",
  "minRelayerBond",
  "minChallengeBond",
  "pools",
  "cap",
]);
const TIME_ARGS = new Set(["commitDeadline", "revealDeadline", "challengeEnd", "unlockTime", "timestamp", "deadline", "expiresAt", "commitsClose", "revealsClose", "assignDeadline", "registeredAt", "attemptStart"]);
const DURATION_ARGS = new Set(["delay", "period", "minDelay", "oldDuration", "newDuration", "unbondingPeriod"]);
const ROUND_ARGS = new Set(["roundId", "previousRoundId", "earlierRound"]);

/**
 * What an argument means. `scope` is `contract:Event`, `contract.function` or `error:Name`. Enums are found from
 * the ABI's internal type (`enum IStakeVault.Role`); a few enums travel as `uint8` and are named here. Durations
 * (`…Duration`, the timelock's `delay`) are seconds; values sent through the timelock are ether, not tokens.
 */
export function hint(scope: string, name: string, param: AbiParameter): Hint | undefined {
  const internal = (param as { internalType?: string }).internalType ?? "";
  if (internal.startsWith("enum ")) {
    const q = internal.slice(5);
    return { enum: QUALIFIED[q] ?? q.slice(q.lastIndexOf(".") + 1) };
  }
  if (!/^uint/.test(param.type)) return undefined;
  if (DURATION_ARGS.has(name) || /Duration$/.test(name) || name === "settleWindow") return "duration";
  if (scope.startsWith("timelock")) return name === "timestamp" ? "time" : undefined;
  if (name === "reason") return { enum: "SlashReason" };
  if (name === "role") return { enum: "Role" };
  if (name === "kind" && scope.includes("ContentAnnounced")) return { enum: "ContentKind" };
  if (name === "seedBlock" || name === "blockNumber") return "block";
  if (ROUND_ARGS.has(name)) return "round";
  if (TIME_ARGS.has(name)) return "time";
  if (/bps$/i.test(name)) return "bps";
  if (TOKEN_ARGS.has(name)) return "token";
  return undefined;
}

/* PHASES */

/** Phase names of `IPoQSettlement.Phase`. */
export const PHASES = ENUMS.Phase as readonly PhaseName[];
export type PhaseName = "none" | "seeding" | "assigning" | "commit" | "reveal" | "settle" | "challenge" | "finalizable" | "finalized" | "cancelled" | "expired";

/** Stored round status, as the events set it. */
export type RoundStatus = "registered" | "active" | "accepted" | "finalized" | "cancelled";

/** Blocks after the seed block during which its hash can still be read (`blockhash`). */
export const BLOCKHASH_WINDOW = 256;

/** What the phase of a round depends on (a subset of its derived row). */
export type PhaseInputs = {
  status: RoundStatus;
  seed: Hex | null;
  seedBlock: number;
  assignDeadline: number;
  expiresAt: number;
  commitDeadline: number | null;
  revealDeadline: number | null;
  challengeEnd: number | null;
  /** Bonded challenges still open against the accepted settlement. */
  openChallenges: number;
};

/** The round's phase at block `block` with time `now`, exactly as `PoQSettlement._phase` derives it. */
export function phaseAt(r: PhaseInputs, now: number, block: number): PhaseName {
  switch (r.status) {
    case "active":
      if (now < (r.commitDeadline ?? 0)) return "commit";
      if (now < (r.revealDeadline ?? 0)) return "reveal";
      return now < r.expiresAt ? "settle" : "expired";
    case "accepted":
      if (now < (r.challengeEnd ?? 0)) return "challenge";
      return r.openChallenges > 0 ? "challenge" : "finalizable";
    case "registered":
      if (now >= r.assignDeadline) return "expired";
      if (r.seed === null) return block > r.seedBlock + BLOCKHASH_WINDOW ? "expired" : "seeding";
      return "assigning";
    case "finalized":
      return "finalized";
    case "cancelled":
      return "cancelled";
  }
}

/* EVENTS */

type Args = Record<string, Json>;

/** The parameters a round's fold needs (its pinned version's). */
export type FoldParams = { maxExtensions: number };

/** A round's state while its events are folded in chain order (see derive.ts). */
export type RoundFold = {
  row: Pick<
    RoundRow,
    | "status"
    | "seed"
    | "seedDrawnBlock"
    | "assignmentRoot"
    | "commitDeadline"
    | "revealDeadline"
    | "expiresAt"
    | "attempt"
    | "commitsClose"
    | "revealsClose"
    | "challengeEnd"
    | "vetoes"
    | "rejections"
    | "extensions"
    | "settlementHash"
    | "commits"
    | "reveals"
    | "inferencePaid"
    | "evaluatorPaid"
    | "cumulativeTotal"
    | "rewardsRoot"
    | "slashedTotal"
    | "lowTrustSlashed"
    | "seizedTotal"
    | "slashCount"
    | "refunded"
    | "openChallenges"
    | "challengeCount"
    | "finalizedBlock"
    | "closedAt"
    | "cancelledBy"
    | "cancelledPhase"
  >;
  params: FoldParams;
  reveals: Map<Address, Hex>;
  revealed: Map<Hex, Args>;
  /** Bonded challenges of the round: id → the settlement it is against and whether it is still open. */
  challenges: Map<string, { settlementHash: string; open: boolean }>;
  inferencePool: bigint;
  evaluatorPool: bigint;
  /** Block time of the event being folded. */
  time: number;
  block: number;
};

/** A name tag an event gives: `slot` names a position one address holds at a time (the last event wins); `n` numbers it. */
export type TagEvent = { address: string; tag: string; on: boolean; slot?: string; n?: number };

export type EventHandler = {
  /** The event as a sentence of text and typed values, for lists. */
  summary?: (a: Args, p: Presenter) => Part[];
  /** Name tags the event gives or takes. */
  tags?: (a: Args, contract: string) => TagEvent[];
  /** How the event moves its round's state. */
  fold?: (f: RoundFold, a: Args) => void;
};

const str = (a: Args, k: string) => String(a[k]);
const num = (a: Args, k: string) => Number(a[k]);
const enumValue = (type: string, v: number): Value => ({ kind: "enum", type, value: v, name: enumName(type, v) });
const hexValue = (h: string): Value => ({ kind: "hex", hex: h });

/** Back to settlement after a veto or a rejected settlement, as `PoQSettlement._reopen` does. */
function reopen(f: RoundFold, a: Args) {
  f.row.status = "active";
  f.row.settlementHash = null;
  f.row.challengeEnd = null;
  f.row.commitsClose = null;
  f.row.revealsClose = null;
  if (f.row.extensions < f.params.maxExtensions) f.row.extensions++;
  f.row.expiresAt = num(a, "expiresAt");
  countOpen(f);
}

/** Open bonded challenges against the round's accepted settlement (what `openCount` gives). */
function countOpen(f: RoundFold) {
  f.row.openChallenges = [...f.challenges.values()].filter((c) => c.open && c.settlementHash === f.row.settlementHash).length;
}

function closeChallenge(f: RoundFold, a: Args) {
  const c = f.challenges.get(str(a, "challengeId"));
  if (c) c.open = false;
  countOpen(f);
}

/** The table: `contract:Event` → how the explorer reads it. Events without a row are still listed and decoded. */
export const EVENTS: Record<string, EventHandler> = {
  "settlement:TasksRegistered": {
    summary: (a, p) => [`${a.taskCount} tasks registered by `, addressValue(p, str(a, "registrar")), "; seed from block ", { kind: "block", number: num(a, "seedBlock") }],
  },
  "settlement:SeedDrawn": {
    summary: (a, p) => ["seed ", hexValue(str(a, "seed")), " drawn by ", addressValue(p, str(a, "caller"))],
    fold: (f, a) => {
      f.row.seed = str(a, "seed") as Hex;
      f.row.seedDrawnBlock = f.block;
    },
  },
  "settlement:AssignmentProposed": {
    summary: (a, p) => [addressValue(p, str(a, "relayer")), ` proposes the assignment (${a.votes} vote${a.votes === "1" ? "" : "s"})`],
  },
  "settlement:AssignmentAccepted": {
    summary: (a) => ["commit until ", timeValue(num(a, "commitDeadline")), ", reveal until ", timeValue(num(a, "revealDeadline"))],
    fold: (f, a) => {
      f.row.status = "active";
      f.row.assignmentRoot = str(a, "assignmentRoot") as Hex;
      f.row.commitDeadline = num(a, "commitDeadline");
      f.row.revealDeadline = num(a, "revealDeadline");
    },
  },
  "settlement:ScoresCommitted": {
    summary: (a, p) => [addressValue(p, str(a, "evaluator")), " commits its scores"],
    fold: (f) => void f.row.commits++,
  },
  "settlement:ScoresRevealed": {
    summary: (a, p) => [addressValue(p, str(a, "evaluator")), ` reveals ${Math.max(0, (str(a, "scores").length - 2) / 4)} scores`],
    fold: (f, a) => {
      f.row.reveals++;
      f.reveals.set(getAddress(str(a, "evaluator")), str(a, "scores") as Hex);
    },
  },
  "settlement:SettlementCommitted": {
    summary: (a, p) => [addressValue(p, str(a, "relayer")), ` commits a settlement (attempt ${a.attempt}; commits close `, timeValue(num(a, "commitsClose")), ", reveals ", timeValue(num(a, "revealsClose")), ")"],
    fold: (f, a) => {
      f.row.attempt = num(a, "attempt");
      f.row.commitsClose = num(a, "commitsClose");
      f.row.revealsClose = num(a, "revealsClose");
    },
  },
  "settlement:SettlementRevealed": {
    summary: (a, p) => [addressValue(p, str(a, "relayer")), ` reveals settlement (attempt ${a.attempt}) `, hexValue(str(a, "settlementHash"))],
    fold: (f, a) => void f.revealed.set(str(a, "settlementHash") as Hex, a),
  },
  "settlement:SettlementAccepted": {
    summary: (a) => [`settlement accepted in attempt ${a.attempt}; challenge window until `, timeValue(num(a, "challengeEnd"))],
    fold: (f, a) => {
      f.row.status = "accepted";
      f.row.settlementHash = str(a, "settlementHash") as Hex;
      f.row.challengeEnd = num(a, "challengeEnd");
      countOpen(f);
    },
  },
  "settlement:SettlementVetoed": {
    summary: (a, p) => ["settlement vetoed by ", addressValue(p, str(a, "guardian")), "; settlement reopens until ", timeValue(num(a, "expiresAt"))],
    fold: (f, a) => {
      f.row.vetoes++;
      reopen(f, a);
    },
  },
  "settlement:SettlementRejected": {
    summary: (a, p) => [
      "settlement rejected on a challenge by ",
      addressValue(p, str(a, "challenger")),
      ": relayer bonds seized ",
      tokenValue(p, str(a, "seized")),
      ", challenger's reward ",
      tokenValue(p, str(a, "reward")),
      "; settlement reopens until ",
      timeValue(num(a, "expiresAt")),
    ],
    fold: (f, a) => {
      f.row.rejections++;
      f.row.seizedTotal = (BigInt(f.row.seizedTotal) + BigInt(str(a, "seized"))).toString();
      reopen(f, a);
    },
  },
  "settlement:SlashSkipped": {
    summary: (a, p) => ["slash of ", addressValue(p, str(a, "evaluator")), " skipped (", enumValue("SlashReason", num(a, "reason")), ")"],
  },
  "settlement:RoundFinalized": {
    summary: (a, p) => ["finalized by ", addressValue(p, str(a, "caller")), ", low-trust slashes ", tokenValue(p, str(a, "slashedTotal"))],
    fold: (f, a) => {
      f.row.status = "finalized";
      f.row.settlementHash = str(a, "settlementHash") as Hex;
      f.row.lowTrustSlashed = str(a, "slashedTotal");
      f.row.finalizedBlock = f.block;
      f.row.closedAt = f.time;
    },
  },
  "settlement:RoundCancelled": {
    summary: (a, p) => ["cancelled by ", addressValue(p, str(a, "caller")), " in phase ", enumValue("Phase", num(a, "phase"))],
    fold: (f, a) => {
      f.row.status = "cancelled";
      f.row.cancelledBy = getAddress(str(a, "caller"));
      f.row.cancelledPhase = (PHASES[num(a, "phase")] ?? "none") as PhaseName;
      f.row.finalizedBlock = f.block;
      f.row.closedAt = f.time;
    },
  },
  "settlement:ContentAnnounced": {
    summary: (a, p) => [addressValue(p, str(a, "relayer")), " announces ", enumValue("ContentKind", num(a, "kind")), " ", cidValue(str(a, "cid"))],
  },
  "config:RelayerSet": {
    summary: (a, p) => [addressValue(p, str(a, "relayer")), a.enabled ? ` becomes relayer ${a.id}` : ` is no longer a relayer (id ${a.id})`],
    tags: (a) => [{ address: str(a, "relayer"), tag: "Relayer", on: a.enabled === true, n: num(a, "id") }],
  },
  "config:GuardianSet": {
    summary: (a, p) => ["guardian set to ", addressValue(p, str(a, "guardian"))],
    tags: (a) => [{ address: str(a, "guardian"), tag: "Guardian", on: true, slot: "guardian" }],
  },
  "config:ParamsSet": {
    summary: (a) => [`parameters version ${a.version} in force for rounds registered from now on`],
  },
  "vault:Staked": {
    summary: (a, p) => [addressValue(p, str(a, "account")), " stakes ", tokenValue(p, str(a, "amount")), ` as ${roleText(num(a, "role"))} (active `, tokenValue(p, str(a, "active")), ")"],
    tags: (a) => (num(a, "role") === 3 ? [] : [{ address: str(a, "account"), tag: num(a, "role") === 2 ? "Evaluator" : "Inference node", on: true }]),
  },
  "vault:UnstakeRequested": {
    summary: (a, p) => [addressValue(p, str(a, "account")), " unstakes ", tokenValue(p, str(a, "amount")), ` (${roleText(num(a, "role"))}), withdrawable from `, timeValue(num(a, "unlockTime"))],
  },
  "vault:Withdrawn": {
    summary: (a, p) => [addressValue(p, str(a, "account")), " withdraws ", tokenValue(p, str(a, "amount")), ` (${roleText(num(a, "role"))})`],
  },
  "vault:Slashed": {
    summary: (a, p) => [addressValue(p, str(a, "account")), " slashed ", tokenValue(p, str(a, "amount")), " for ", enumValue("SlashReason", num(a, "reason")), ` (${roleText(num(a, "role"))} stake)`],
    fold: (f, a) => {
      f.row.slashCount++;
      f.row.slashedTotal = (BigInt(f.row.slashedTotal) + BigInt(str(a, "amount"))).toString();
    },
  },
  "vault:SlashRecipientSet": {
    summary: (a, p) => ["slash recipient set to ", addressValue(p, str(a, "recipient"))],
    tags: (a) => [{ address: str(a, "recipient"), tag: "Slash recipient", on: true, slot: "slashRecipient" }],
  },
  "vault:MinStakeSet": {
    summary: (a, p) => [`minimum ${roleText(num(a, "role"))} stake set to `, tokenValue(p, str(a, "minimum"))],
  },
  "distributor:RoundFunded": {
    summary: (a, p) => ["funded with ", tokenValue(p, str(a, "inferenceAmount")), " (inference) + ", tokenValue(p, str(a, "evaluatorAmount")), " (evaluators) by ", addressValue(p, str(a, "funder"))],
    tags: (a) => [{ address: str(a, "funder"), tag: "Funder", on: true }],
    fold: (f, a) => {
      f.inferencePool += BigInt(str(a, "inferenceAmount"));
      f.evaluatorPool += BigInt(str(a, "evaluatorAmount"));
    },
  },
  "distributor:RootUpdated": {
    summary: (a, p) => ["rewards root installed: pays ", tokenValue(p, str(a, "inferencePaid")), " (inference) + ", tokenValue(p, str(a, "evaluatorPaid")), " (evaluators)"],
    fold: (f, a) => {
      f.row.inferencePaid = str(a, "inferencePaid");
      f.row.evaluatorPaid = str(a, "evaluatorPaid");
      f.row.cumulativeTotal = str(a, "cumulativeTotal");
      f.row.rewardsRoot = str(a, "root") as Hex;
    },
  },
  "distributor:RoundCancelled": {
    summary: () => ["pools refundable to their funders"],
  },
  "distributor:Claimed": {
    summary: (a, p) => [addressValue(p, str(a, "account")), " claims ", tokenValue(p, str(a, "amount"))],
  },
  "distributor:Refunded": {
    summary: (a, p) => [addressValue(p, str(a, "funder")), " refunded ", tokenValue(p, str(a, "amount"))],
    fold: (f, a) => void (f.row.refunded = (BigInt(f.row.refunded) + BigInt(str(a, "amount"))).toString()),
  },
  "challenges:ChallengeOpened": {
    summary: (a, p) => [
      addressValue(p, str(a, "challenger")),
      ` opens challenge ${a.challengeId} (`,
      enumValue("ChallengeKind", num(a, "kind")),
      num(a, "kind") === 1 ? ") for the allotment of " : ")",
      ...(num(a, "kind") === 1 ? [addressValue(p, str(a, "account"))] : []),
      " with a bond of ",
      tokenValue(p, str(a, "bond")),
      "; answer by ",
      timeValue(num(a, "deadline")),
    ],
    tags: (a) => [{ address: str(a, "challenger"), tag: "Challenger", on: true }],
    fold: (f, a) => {
      f.row.challengeCount++;
      f.challenges.set(str(a, "challengeId"), { settlementHash: str(a, "settlementHash"), open: true });
      countOpen(f);
    },
  },
  "challenges:ChallengeAnswered": {
    summary: (a, p) => [`challenge ${a.challengeId} answered by `, addressValue(p, str(a, "responder")), ": ", tokenValue(p, str(a, "toResponder")), " of its bond to the responder, ", tokenValue(p, str(a, "toChallenger")), " back"],
    fold: closeChallenge,
  },
  "challenges:ChallengeUpheld": {
    summary: (a, p) => [`challenge ${a.challengeId} by `, addressValue(p, str(a, "challenger")), " upheld: the settlement is rejected"],
    fold: closeChallenge,
  },
  "challenges:ChallengeMoot": {
    summary: (a) => [`challenge ${a.challengeId} moot: its settlement is gone; bond returned`],
    fold: closeChallenge,
  },
  "challenges:ViolationProven": {
    summary: (a, p) => [addressValue(p, str(a, "challenger")), " proves a violation: ", { kind: "text", text: str(a, "violation") }],
  },
  "timelock:CallScheduled": {
    summary: (a, p) => [`operation `, hexValue(str(a, "id")), ` scheduled: call to `, addressValue(p, str(a, "target")), ` after `, { kind: "duration", seconds: num(a, "delay"), text: durationText(num(a, "delay")) }],
  },
  "timelock:CallExecuted": {
    summary: (a, p) => ["operation ", hexValue(str(a, "id")), " executed: call to ", addressValue(p, str(a, "target"))],
  },
  "timelock:Cancelled": {
    summary: (a) => ["operation ", hexValue(str(a, "id")), " cancelled"],
  },
  "timelock:MinDelayChange": {
    summary: (a) => ["minimum delay ", { kind: "duration", seconds: num(a, "newDuration"), text: durationText(num(a, "newDuration")) }],
  },
  "token:Transfer": {
    summary: (a, p) => [addressValue(p, str(a, "from")), " → ", addressValue(p, str(a, "to")), ": ", tokenValue(p, str(a, "value"))],
  },
  "token:Approval": {
    summary: (a, p) => [addressValue(p, str(a, "owner")), " lets ", addressValue(p, str(a, "spender")), " spend ", tokenValue(p, str(a, "value"))],
  },
};

/** Ownership changes of any owned contract: `Owner` of that contract. */
const OWNERSHIP: EventHandler = {
  summary: (a, p) => ["ownership moves to ", addressValue(p, str(a, "newOwner"))],
  tags: (a, contract) => [{ address: str(a, "newOwner"), tag: "Owner", on: true, slot: `owner:${contract}` }],
};

export function handlerOf(contract: string, event: string): EventHandler | undefined {
  return EVENTS[`${contract}:${event}`] ?? (event === "OwnershipTransferred" ? OWNERSHIP : undefined);
}

/** Tag priority: the first of an address's tags is its name tag; the rest are listed on its page. */
export const TAG_ORDER = ["Owner", "Guardian", "Relayer", "Funder", "Slash recipient", "Evaluator", "Inference node", "Challenger"];

/**
 * A content identifier (manifest, payload, gold opening): bytes anyone may write. Shown as its hex, and as text when
 * its bytes are printable UTF-8 (a CID string); a 32-byte one is also a content hash of the store.
 */
export function cidValue(hex: string): Value {
  return { kind: "cid", hex, text: cidText(hex) };
}

export function cidText(hex: string): string | null {
  if (!/^0x([0-9a-fA-F]{2})+$/.test(hex) || hex.length === 66) return null;
  const text = Buffer.from(hex.slice(2), "hex").toString("utf8");
  return /^[\x20-\x7e\u00a0-\uffff]+$/.test(text) && !text.includes("\ufffd") ? text : null;
}
