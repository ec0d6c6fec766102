/** Test helpers for the content backends and the DAG code. Not used by production code. */
import type { Settlement } from "../chain/encoding";
import { hashSettlement } from "../chain/encoding";
import { settlementToJson, type SettlementPayloadFile } from "./payload";

/** `n` bytes from xorshift32 started at `state` (0 starts at 1): they look random and do not compress; the same state gives the same bytes. */
export function xorshiftBytes(n: number, state: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = state || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** {@link xorshiftBytes} from a state spread out from `seed` (Knuth's multiplicative hash), so nearby seeds give unrelated bytes. */
export const noise = (n: number, seed: number): Uint8Array => xorshiftBytes(n, seed * 2654435761);

/** A minimal published payload of settlement `s` for round `roundId` (no claims, trust or rewards), for content tests. */
export function bareSettlementPayload(roundId: bigint, s: Settlement, consensus: number[] = []): SettlementPayloadFile {
  return {
    version: 2,
    roundId: roundId.toString(),
    settlementHash: hashSettlement(s),
    settlement: settlementToJson(s),
    consensus,
    excludedTasks: [],
    breaker: { tripped: false } as unknown as SettlementPayloadFile["breaker"],
    trust: [],
    rewards: [],
    claims: [],
    gold: [],
  };
}
