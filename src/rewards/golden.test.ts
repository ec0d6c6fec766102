import fs from "node:fs";
import path from "node:path";
import { type Address, type Hex, getAddress, keccak256, stringToBytes } from "viem";
import { describe, expect, test } from "vitest";
import { assignEvaluators } from "../consensus/assignment";
import { UNAVAILABLE } from "../consensus/fixedPoint";
import { DEFAULT_SETTLEMENT_PARAMS, settlementParams } from "./params";
import { type SettlementInput, type SettlementPayload, type TrustRecord, buildSettlement } from "./settlement";

/**
 * Golden vectors: the core's outputs for fixed inputs (three rounds with carried state: a booster, a saboteur, a
 * split stake, gold tasks, UNAVAILABLE reports). A payout change fails this test and must bump paramsVersion on
 * purpose; regenerate with POQ_WRITE_GOLDEN=1 after reviewing the change. The settlement hash over the on-chain
 * struct is pinned by the protocol's own vector once the rewards tree format is merged.
 */
const GOLDEN = path.join(__dirname, "golden", "settlement-v2.json");

const addr = (label: string): Address => getAddress(`0x${keccak256(stringToBytes(label)).slice(26)}`);
const evaluators = [
  ...Array.from({ length: 8 }, (_, i) => ({ address: addr(`golden/ev${i}`), stake: 10n * 10n ** 18n })),
  // One identity's stake split in three.
  ...Array.from({ length: 3 }, (_, i) => ({ address: addr(`golden/split${i}`), stake: 3n * 10n ** 18n + BigInt(i) })),
];
const booster = evaluators[1].address;
const saboteur = evaluators[5].address;
const nodes = [addr("golden/node-a"), addr("golden/node-b"), addr("golden/node-c")];

function roundInput(r: number, trust: Map<Address, TrustRecord>, cumulative: Map<Address, bigint>): SettlementInput {
  const T = 48;
  const seed: Hex = keccak256(stringToBytes(`golden/seed/${r}`));
  const assignment = assignEvaluators({ seed, taskCount: T, k: 5, evaluators });
  const truth = (t: number): number => 1000 + ((t * 2477 + r * 131) % 8500);
  const reveals = new Map<Address, number[]>();
  for (const [a, tasks] of assignment.byEvaluator) {
    const i = evaluators.findIndex((e) => e.address === a);
    reveals.set(
      a,
      tasks.map((t) => {
        if (t === 7 && i % 2 === 0) return UNAVAILABLE;
        const honest = truth(t) + ((i * 37 + t * 11) % 600) - 300;
        const s = a === booster ? honest + 3000 : a === saboteur ? honest - 3000 : honest;
        return Math.max(0, Math.min(10_000, s));
      }),
    );
  }
  return {
    roundId: BigInt(r + 1),
    tasks: Array.from({ length: T }, (_, i) => ({ index: i, inferenceNode: nodes[i % 3], costUnits: BigInt(100 + ((i * 53) % 400)) })),
    assignment,
    reveals,
    trust,
    stakes: new Map(evaluators.map((e) => [e.address, e.stake])),
    previousCumulative: cumulative,
    gold: new Map([
      [3, truth(3)],
      [20, truth(20)],
    ]),
    inferencePool: 10n ** 21n + 7n,
    evaluatorPool: 10n ** 20n + 3n,
    params: settlementParams(),
  };
}

/** The payload's core outputs, JSON-safe. */
function core(p: SettlementPayload) {
  return {
    paramsVersion: p.paramsVersion,
    consensus: p.consensus,
    excludedTasks: p.excludedTasks,
    trust: [...p.trust].map(([a, t]) => [a, t.trustPpm, t.lowStreak, t.evidence ? JSON.stringify(t.evidence) : null]),
    rewards: p.rewards.map((x) => [x.account, x.amount.toString()]),
    slashes: p.slashes.map((s) => [s.evaluator, s.reason]),
    breaker: p.breaker,
    flags: p.flags,
    inferencePaid: p.inferencePaid.toString(),
    evaluatorPaid: p.evaluatorPaid.toString(),
    inputsHash: p.inputsHash,
  };
}

function runRounds() {
  let trust = new Map<Address, TrustRecord>();
  let cumulative = new Map<Address, bigint>();
  const out = [];
  for (let r = 0; r < 5; r++) {
    const p = buildSettlement(roundInput(r, trust, cumulative));
    out.push(core(p));
    trust = p.trust;
    cumulative = new Map(p.cumulative.map((c) => [c.account, c.cumulativeAmount]));
  }
  return out;
}

describe("golden vectors (paramsVersion 2)", () => {
  test("behavior: consensus, trust and evidence, amounts, slashes, breaker and inputsHash are pinned for fixed inputs", () => {
    expect(DEFAULT_SETTLEMENT_PARAMS.paramsVersion).toBe(2);
    const got = runRounds();
    if (process.env.POQ_WRITE_GOLDEN === "1") fs.writeFileSync(GOLDEN, `${JSON.stringify(got, null, 1)}\n`);
    const want = JSON.parse(fs.readFileSync(GOLDEN, "utf8"));
    expect(got).toEqual(want);
    // The vectors exercise what they claim to.
    expect(got.some((r) => r.slashes.some(([a]) => a === booster || a === saboteur))).toBe(true);
    expect(got.every((r) => r.excludedTasks.includes(7) || r.excludedTasks.length === 0)).toBe(true);
  });
});
