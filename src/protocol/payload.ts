import { getAddress, type Address, type Hex } from "viem";
import type { Settlement } from "../chain/encoding";
import type { Breaker } from "../rewards/slashing";
import type { TrustRecord } from "../rewards/settlement";
import { ContentError } from "./canonical";
import type { ContentStore } from "./store";

/** The settlement struct with its amounts as decimal strings (JSON has no bigints). */
export type SettlementJson = Omit<Settlement, "cumulativeTotal" | "inferencePaid" | "evaluatorPaid"> & {
  cumulativeTotal: string;
  inferencePaid: string;
  evaluatorPaid: string;
};

/**
 * A relayer's published payload for a settlement: everything needed to check it, to claim from it and to challenge
 * it. `claims` is the whole cumulative rewards sum tree (each leaf with its index and proof), so anyone can rebuild
 * the root and find what any account is owed; `trust` carries each evaluator's state (with its evidence) into the
 * next round.
 */
export type SettlementPayloadFile = {
  version: 2;
  roundId: string;
  settlementHash: Hex;
  settlement: SettlementJson;
  consensus: number[];
  excludedTasks: number[];
  breaker: Breaker;
  trust: ({ evaluator: Address } & TrustRecord)[];
  rewards: { account: Address; amount: string }[];
  claims: { account: Address; cumulativeAmount: string; index: number; proof: Hex[] }[];
  /** The round's gold tasks (from the registrar's opening): task index, pool item, known quality. */
  gold: { taskIndex: number; poolIndex: number; quality: number }[];
};

export function settlementToJson(s: Settlement): SettlementJson {
  return { ...s, cumulativeTotal: s.cumulativeTotal.toString(), inferencePaid: s.inferencePaid.toString(), evaluatorPaid: s.evaluatorPaid.toString() };
}

export function settlementFromFile(f: SettlementPayloadFile): Settlement {
  const s = f.settlement;
  return {
    ...s,
    lowTrustSlashes: s.lowTrustSlashes.map((a) => getAddress(a)),
    cumulativeTotal: BigInt(s.cumulativeTotal),
    inferencePaid: BigInt(s.inferencePaid),
    evaluatorPaid: BigInt(s.evaluatorPaid),
  };
}

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const DIGITS = /^\d+$/;

export function isPayload(f: unknown): f is SettlementPayloadFile {
  if (!f || typeof f !== "object") return false;
  const p = f as SettlementPayloadFile;
  const s = p.settlement as Record<string, unknown> | undefined;
  return (
    p.version === 2 &&
    typeof p.settlementHash === "string" &&
    !!s &&
    typeof s === "object" &&
    ["cumulativeTotal", "inferencePaid", "evaluatorPaid"].every((k) => typeof s[k] === "string" && DIGITS.test(s[k] as string)) &&
    Array.isArray(s.lowTrustSlashes) &&
    Array.isArray(p.consensus) &&
    Array.isArray(p.excludedTasks) &&
    Array.isArray(p.gold) &&
    p.gold.every((g) => g && [g.taskIndex, g.poolIndex, g.quality].every((x) => Number.isSafeInteger(x) && x >= 0)) &&
    Array.isArray(p.trust) &&
    p.trust.every((t) => t && typeof t.evaluator === "string" && Number.isInteger(t.trustPpm) && Number.isInteger(t.lowStreak)) &&
    Array.isArray(p.claims) &&
    p.claims.every(
      (c) => c && typeof c.account === "string" && ADDRESS.test(c.account) && typeof c.cumulativeAmount === "string" && DIGITS.test(c.cumulativeAmount) && Number.isInteger(c.index) && Array.isArray(c.proof),
    )
  );
}

/** Stores a payload and indexes it by its settlement hash; returns its content hash (the CID revealed on chain). */
export function publishPayload(store: ContentStore, f: SettlementPayloadFile): Hex {
  const cid = store.putJson(f);
  store.setIndex("settlement", f.settlementHash, cid);
  return cid;
}

/** Loads a published settlement payload by settlement hash, or undefined when the store does not have it. */
export function loadPayload(store: ContentStore, settlementHash: Hex): SettlementPayloadFile | undefined {
  const hash = store.getIndex("settlement", settlementHash);
  if (!hash) return undefined;
  const f = store.getJson<unknown>(hash as Hex);
  if (!isPayload(f)) throw new ContentError(`settlement payload ${hash} (for ${settlementHash}) is malformed`);
  return f;
}
