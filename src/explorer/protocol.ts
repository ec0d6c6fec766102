import { getAddress, type AbiParameter, type Address, type Hex } from "viem";
import type { Json } from "./contracts";
import type { RoundRow } from "./derive";
import type { Hint, Part, Presenter } from "./values";
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
  Role: ["none", "inference", "evaluator"],
  SlashReason: ["none", "non-reveal", "low trust"],
  Status: ["none", "registered", "active", "accepted", "finalized", "cancelled"],
  Phase: ["none", "assigning", "commit", "reveal", "settle", "challenge", "finalizable", "finalized", "cancelled"],
};

export function enumName(type: string, value: number): string {
  return ENUMS[type]?.[value] ?? `unknown ${type} ${value}`;
}

export const roleText = (role: number): string => enumName("Role", role);
export const slashReasonText = (reason: number): string => enumName("SlashReason", reason);

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
  "slashedTotal",
  "minimum",
  "paid",
  "pool",
  "funded",
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
]);
const TIME_ARGS = new Set(["commitDeadline", "revealDeadline", "challengeEnd", "unlockTime", "settleStart", "timestamp"]);
const ROUND_ARGS = new Set(["roundId", "previousRoundId"]);

/**
 * What an argument means. `scope` is `contract:Event`, `contract.function` or `error:Name`. Enums are found from
 * the ABI's internal type (`enum IStakeVault.Role`); a few enums travel as `uint8` and are named here. Values of
 * the timelock are ether, not tokens.
 */
export function hint(scope: string, name: string, param: AbiParameter): Hint | undefined {
  const internal = (param as { internalType?: string }).internalType ?? "";
  if (internal.startsWith("enum ")) return { enum: internal.slice(internal.lastIndexOf(".") + 1) };
  if (scope.startsWith("timelock")) return name === "timestamp" ? "time" : undefined;
  if (!/^uint/.test(param.type)) return undefined;
  if (name === "reason") return { enum: "SlashReason" };
  if (name === "role") return { enum: "Role" };
  if (ROUND_ARGS.has(name)) return "round";
  if (TIME_ARGS.has(name)) return "time";
  if (/bps$/i.test(name)) return "bps";
  if (TOKEN_ARGS.has(name)) return "token";
  return undefined;
}

/* PHASES */

/** Phase names of `IPoQSettlement.Phase`. */
export const PHASES = ENUMS.Phase as readonly PhaseName[];
export type PhaseName = "none" | "assigning" | "commit" | "reveal" | "settle" | "challenge" | "finalizable" | "finalized" | "cancelled";

/** Stored round status, as the events set it. */
export type RoundStatus = "registered" | "active" | "accepted" | "finalized" | "cancelled";

/** The round's phase at block time `now`, exactly as `PoQSettlement._phase` derives it. */
export function phaseAt(r: { status: RoundStatus; commitDeadline: number | null; revealDeadline: number | null; challengeEnd: number | null }, now: number): PhaseName {
  switch (r.status) {
    case "active":
      if (now < (r.commitDeadline ?? 0)) return "commit";
      if (now < (r.revealDeadline ?? 0)) return "reveal";
      return "settle";
    case "accepted":
      return now < (r.challengeEnd ?? 0) ? "challenge" : "finalizable";
    case "registered":
      return "assigning";
    case "finalized":
      return "finalized";
    case "cancelled":
      return "cancelled";
  }
}

/** The deadline that closes an open phase, and what happens then (undefined: the phase has no deadline). */
export function phaseDeadline(phase: PhaseName, r: { commitDeadline: number | null; revealDeadline: number | null; challengeEnd: number | null }): { at: number; what: string } | undefined {
  if (phase === "commit" && r.commitDeadline !== null) return { at: r.commitDeadline, what: "Commit window closes" };
  if (phase === "reveal" && r.revealDeadline !== null) return { at: r.revealDeadline, what: "Reveal window closes" };
  if (phase === "challenge" && r.challengeEnd !== null) return { at: r.challengeEnd, what: "Challenge window closes (then anyone may finalize)" };
  return undefined;
}

/* EVENTS */

type Args = Record<string, Json>;

/** A round's state while its events are folded in chain order (see derive.ts). */
export type RoundFold = {
  row: Pick<
    RoundRow,
    | "status"
    | "assignmentRoot"
    | "commitDeadline"
    | "revealDeadline"
    | "settleStart"
    | "challengeEnd"
    | "attempt"
    | "vetoes"
    | "settlementHash"
    | "commits"
    | "reveals"
    | "inferencePaid"
    | "evaluatorPaid"
    | "cumulativeTotal"
    | "rewardsRoot"
    | "slashedTotal"
    | "slashCount"
    | "finalizedBlock"
    | "closedAt"
  >;
  reveals: Map<Address, Hex>;
  revealed: Map<Hex, Args>;
  inferencePool: bigint;
  evaluatorPool: bigint;
  /** Block time of the event being folded. */
  time: number;
  block: number;
};

/** A name tag an event gives: `slot` names a position one address holds at a time (the last event wins). */
export type TagEvent = { address: string; tag: string; on: boolean; slot?: string };

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
const ZERO32 = /^0x0{64}$/;

/** The table: `contract:Event` → how the explorer reads it. Events without a row are still listed and decoded. */
export const EVENTS: Record<string, EventHandler> = {
  "settlement:TasksRegistered": {
    summary: (a, p) => [`${a.taskCount} tasks registered by `, addressValue(p, str(a, "relayer"))],
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
      f.row.settleStart = f.row.revealDeadline;
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
    summary: (a, p) => [addressValue(p, str(a, "relayer")), ` commits a settlement (attempt ${a.attempt})`],
  },
  "settlement:SettlementRevealed": {
    summary: (a, p) => [addressValue(p, str(a, "relayer")), " reveals settlement ", { kind: "hex", hex: str(a, "settlementHash") }],
    fold: (f, a) => void f.revealed.set(str(a, "settlementHash") as Hex, a),
  },
  "settlement:SettlementAccepted": {
    summary: (a) => ["settlement accepted; challenge window until ", timeValue(num(a, "challengeEnd"))],
    fold: (f, a) => {
      f.row.status = "accepted";
      f.row.settlementHash = str(a, "settlementHash") as Hex;
      f.row.challengeEnd = num(a, "challengeEnd");
    },
  },
  "settlement:SettlementVetoed": {
    summary: (a, p) =>
      ZERO32.test(str(a, "settlementHash"))
        ? ["attempt without quorum reset by ", addressValue(p, str(a, "guardian")), `; attempt ${a.newAttempt} opens`]
        : ["settlement vetoed by ", addressValue(p, str(a, "guardian")), `; attempt ${a.newAttempt} opens`],
    fold: (f, a) => {
      // A veto of an accepted settlement counts; a reset of an attempt without quorum does not.
      if (!ZERO32.test(str(a, "settlementHash"))) f.row.vetoes++;
      f.row.status = "active";
      f.row.attempt = num(a, "newAttempt");
      f.row.settleStart = f.time;
      f.row.settlementHash = null;
      f.row.challengeEnd = null;
    },
  },
  "settlement:SlashSkipped": {
    summary: (a, p) => ["slash of ", addressValue(p, str(a, "evaluator")), " skipped (", { kind: "enum", type: "SlashReason", value: num(a, "reason"), name: slashReasonText(num(a, "reason")) }, ")"],
  },
  "settlement:RoundFinalized": {
    summary: (a, p) => ["finalized by ", addressValue(p, str(a, "caller")), ", slashed ", tokenValue(p, str(a, "slashedTotal"))],
    fold: (f, a) => {
      f.row.status = "finalized";
      f.row.settlementHash = str(a, "settlementHash") as Hex;
      f.row.slashedTotal = str(a, "slashedTotal");
      f.row.finalizedBlock = f.block;
      f.row.closedAt = f.time;
    },
  },
  "settlement:RoundCancelled": {
    summary: (a, p) => ["cancelled by ", addressValue(p, str(a, "guardian"))],
    fold: (f) => {
      f.row.status = "cancelled";
      f.row.finalizedBlock = f.block;
      f.row.closedAt = f.time;
    },
  },
  "settlement:RelayerSet": {
    summary: (a, p) => [addressValue(p, str(a, "relayer")), a.enabled ? " becomes a relayer" : " is no longer a relayer"],
    tags: (a) => [{ address: str(a, "relayer"), tag: "Relayer", on: a.enabled === true }],
  },
  "settlement:GuardianSet": {
    summary: (a, p) => ["guardian set to ", addressValue(p, str(a, "guardian"))],
    tags: (a) => [{ address: str(a, "guardian"), tag: "Guardian", on: true, slot: "guardian" }],
  },
  "settlement:ParamsSet": {
    summary: (a, p) => [`parameters version ${a.version} set by `, addressValue(p, str(a, "owner"))],
  },
  "vault:Staked": {
    summary: (a, p) => [addressValue(p, str(a, "account")), " stakes ", tokenValue(p, str(a, "amount")), ` as ${roleText(num(a, "role"))} (active `, tokenValue(p, str(a, "active")), ")"],
    tags: (a) => [{ address: str(a, "account"), tag: num(a, "role") === 2 ? "Evaluator" : "Inference node", on: true }],
  },
  "vault:UnstakeRequested": {
    summary: (a, p) => [addressValue(p, str(a, "account")), " unstakes ", tokenValue(p, str(a, "amount")), ` (${roleText(num(a, "role"))}), withdrawable from `, timeValue(num(a, "unlockTime"))],
  },
  "vault:Withdrawn": {
    summary: (a, p) => [addressValue(p, str(a, "account")), " withdraws ", tokenValue(p, str(a, "amount")), ` (${roleText(num(a, "role"))})`],
  },
  "vault:Slashed": {
    summary: (a, p) => [
      addressValue(p, str(a, "account")),
      " slashed ",
      tokenValue(p, str(a, "amount")),
      " for ",
      { kind: "enum", type: "SlashReason", value: num(a, "reason"), name: slashReasonText(num(a, "reason")) },
      ` (${roleText(num(a, "role"))} stake)`,
    ],
    fold: (f) => void f.row.slashCount++,
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
  "distributor:Claimed": {
    summary: (a, p) => [addressValue(p, str(a, "account")), " claims ", tokenValue(p, str(a, "amount"))],
  },
  "distributor:Swept": {
    summary: (a, p) => ["swept ", tokenValue(p, str(a, "amount")), " to ", addressValue(p, str(a, "to"))],
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
export const TAG_ORDER = ["Timelock", "Owner", "Guardian", "Relayer", "Funder", "Slash recipient", "Evaluator", "Inference node"];
