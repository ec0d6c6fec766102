import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import fc from "fast-check";
import { runs } from "../../test/helpers/fastcheck";
import { type Address, type Hex, getAddress, keccak256, stringToBytes } from "viem";
import { describe, expect, test } from "vitest";
import { assignEvaluators } from "../consensus/assignment";
import { InputError } from "../errors";
import { sumTreeClaims, sumTreeComputeRoot } from "./sumTree";
import { settlementParams } from "./params";
import { type SettlementInput, buildSettlement } from "./settlement";

const addr = (label: string): Address => getAddress(`0x${keccak256(stringToBytes(label)).slice(26)}`);
const evaluators = Array.from({ length: 8 }, (_, i) => ({ address: addr(`ev${i}`), stake: 10n ** 18n }));
const nodes = [addr("node-a"), addr("node-b"), addr("node-c")];
const seed: Hex = keccak256(stringToBytes("seed-1"));

/** A round of T tasks, k = 3; evaluator 7 boosts; truth cycles; scores are deterministic. */
function input(over: Partial<SettlementInput> = {}, T = 12, skipReveal: Address[] = []): SettlementInput {
  const assignment = assignEvaluators({ seed, taskCount: T, k: 3, evaluators });
  const truth = (t: number) => 2000 + ((t * 1700) % 7000);
  const reveals = new Map<Address, number[]>();
  for (const [a, tasks] of assignment.byEvaluator) {
    if (skipReveal.includes(a)) continue;
    const boost = a === evaluators[7].address ? 3000 : 0;
    reveals.set(a, tasks.map((t) => Math.min(10_000, truth(t) + boost + ((t * 37) % 300))));
  }
  return {
    roundId: 1n,
    tasks: Array.from({ length: T }, (_, i) => ({ index: i, inferenceNode: nodes[i % 3], costUnits: BigInt(100 + i * 10) })),
    assignment,
    reveals,
    trust: new Map(),
    stakes: new Map(evaluators.map((e) => [e.address, e.stake])),
    previousCumulative: new Map([[nodes[0], 5n]]),
    inferencePool: 1_000_000_007n,
    evaluatorPool: 99_999_999n,
    params: settlementParams(),
    ...over,
  };
}

describe("buildSettlement", () => {
  test("behavior: pays both pools exactly and the cumulative tree adds this round to the previous amounts", () => {
    const p = buildSettlement(input());
    expect(p.inferencePaid).toBe(1_000_000_007n);
    expect(p.evaluatorPaid).toBe(99_999_999n);
    expect(p.rewards.reduce((s, r) => s + r.amount, 0n)).toBe(1_000_000_007n + 99_999_999n);
    expect(p.cumulativeTotal).toBe(5n + 1_000_000_007n + 99_999_999n);
    const a0 = p.cumulative.find((c) => c.account === nodes[0])!;
    expect(a0.cumulativeAmount).toBe(5n + p.rewards.find((r) => r.account === nodes[0])!.amount);
    expect(p.consensus).toHaveLength(12);
    expect(p.paramsVersion).toBe(2);
  });

  test("behavior: the rewards sum tree proves every cumulative amount, and its root sum is the cumulative total", () => {
    const p = buildSettlement(input());
    expect(p.rewardsTree.total).toBe(p.cumulativeTotal);
    expect(p.rewardsTree.leaves.map((l) => l.account)).toEqual(p.cumulative.map((c) => c.account));
    for (const c of sumTreeClaims(p.rewardsTree)) {
      expect(sumTreeComputeRoot(c.account, c.cumulativeAmount, c.index, c.proof)).toEqual({ root: p.rewardsRoot, total: p.cumulativeTotal });
    }
  });

  test("behavior: lists are sorted by address and the trust root covers every evaluator", () => {
    const p = buildSettlement(input());
    const sorted = (xs: string[]) => [...xs].sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : 1));
    expect(p.rewards.map((r) => r.account)).toEqual(sorted(p.rewards.map((r) => r.account)));
    expect(p.cumulative.map((r) => r.account)).toEqual(sorted(p.cumulative.map((r) => r.account)));
    expect(p.trust.size).toBe(8);
    const trustTree = StandardMerkleTree.of([...p.trust].map(([a, t]) => [a, BigInt(t.trustPpm)]), ["address", "uint256"]);
    expect(p.trustRoot).toBe(trustTree.root);
  });

  test("behavior: a non-revealer earns nothing, is not in the slash list (it is slashed on chain), and its trust falls", () => {
    const silent = evaluators[2].address;
    const p = buildSettlement(input({}, 12, [silent]));
    expect(p.rewards.find((r) => r.account === silent)).toBeUndefined();
    expect(p.slashes.find((s) => s.evaluator === silent)).toBeUndefined();
    expect(p.slashes.every((s) => s.reason === 2)).toBe(true);
    expect(p.trust.get(silent)!.trustPpm).toBeLessThan(500_000);
    expect(p.evaluatorPaid).toBe(99_999_999n);
  });

  test("behavior: a malformed reveal counts as no reveal instead of failing the settlement", () => {
    const base = input();
    const bad = evaluators[3].address;
    base.reveals.set(bad, [1, 2]);
    const p = buildSettlement(base);
    expect(p.rewards.find((r) => r.account === bad)).toBeUndefined();
    expect(p.slashes.find((s) => s.evaluator === bad)).toBeUndefined();
  });

  test("behavior: an evaluator flagged and below the threshold for K rounds is slashed with reason 2 (LowTrust only)", () => {
    const low = evaluators[7].address;
    const trust = new Map(evaluators.map((e) => [e.address, { trustPpm: 900_000, lowStreak: 0 }]));
    trust.set(low, { trustPpm: 50_000, lowStreak: 2 });
    const p = buildSettlement(input({ trust }, 60));
    expect(p.slashes).toEqual([{ evaluator: low, reason: 2 }]);
    expect(p.flagged).toContain(low);
    expect(p.trust.get(low)!.trustPpm).toBeLessThan(200_000);
    expect(p.breaker.tripped).toBe(false);
    expect(p.flags).toBe(0);
  });

  test("behavior: nobody revealing leaves the evaluator pool unallocated", () => {
    const p = buildSettlement(input({}, 12, evaluators.map((e) => e.address)));
    expect(p.evaluatorPaid).toBe(0n);
    expect(p.inferencePaid).toBe(0n);
    expect(p.slashes).toEqual([]);
  });

  test("behavior: byte-identical for the same input, whatever the Map insertion order or address case", () => {
    const a = input();
    const b = input();
    b.reveals = new Map([...b.reveals].reverse().map(([k, v]) => [k.toLowerCase() as Address, v]));
    b.stakes = new Map([...b.stakes].reverse());
    const pa = buildSettlement(a);
    const pb = buildSettlement(b);
    expect(pb.inputsHash).toBe(pa.inputsHash);
    expect(pb.rewardsRoot).toBe(pa.rewardsRoot);
    expect(pb.trustRoot).toBe(pa.trustRoot);
    expect(pb.rewards).toEqual(pa.rewards);
  });

  test("behavior: the inputs hash changes with any input", () => {
    const h = buildSettlement(input()).inputsHash;
    const changedScore = input();
    const [first] = changedScore.reveals.keys();
    changedScore.reveals.set(first, changedScore.reveals.get(first)!.map((s) => (s === 0 ? 1 : s - 1)));
    expect(buildSettlement(changedScore).inputsHash).not.toBe(h);
    expect(buildSettlement(input({ roundId: 2n })).inputsHash).not.toBe(h);
    expect(buildSettlement(input({ evaluatorPool: 1n })).inputsHash).not.toBe(h);
    expect(buildSettlement(input({ gold: new Map([[0, 5000]]) })).inputsHash).not.toBe(h);
    expect(buildSettlement(input({ params: settlementParams({ paramsVersion: 3 }) })).inputsHash).not.toBe(h);
    expect(buildSettlement(input({ params: settlementParams({ breakerPpm: 300_000 }) })).inputsHash).not.toBe(h);
    expect(buildSettlement(input({ gold: new Map([[0, 5001]]) })).inputsHash).not.toBe(buildSettlement(input({ gold: new Map([[0, 5000]]) })).inputsHash);
    const stakes = input().stakes;
    stakes.set(evaluators[0].address, 2n * 10n ** 18n);
    expect(buildSettlement(input({ stakes })).inputsHash).not.toBe(h);
    const unavailable = input();
    unavailable.reveals.set(first, unavailable.reveals.get(first)!.map((s, i) => (i === 0 ? 65_535 : s)));
    expect(buildSettlement(unavailable).inputsHash).not.toBe(h);
    const carried = buildSettlement(input()).trust;
    expect(buildSettlement(input({ trust: carried })).inputsHash).not.toBe(h);
  });

  test("behavior: bad input is an InputError", () => {
    expect(() => buildSettlement(input({ roundId: -1n }))).toThrow(InputError);
    const shifted = input();
    shifted.tasks[0] = { ...shifted.tasks[0], index: 5 };
    expect(() => buildSettlement(shifted)).toThrow(/listed by index/);
    expect(() => buildSettlement(input({ gold: new Map([[99, 1]]) }))).toThrow(/out of range/);
    expect(() => buildSettlement(input({ params: settlementParams({ rule: "nope" as never }) }))).toThrow(/unknown rule/);
  });

  test("behavior: UNAVAILABLE (65535) is not a score: never a deviation, never a non-reveal; a task most revealed seats could not fetch is excluded", () => {
    const base = input({}, 30);
    const [a] = base.reveals.keys();
    const tasksOfA = base.assignment.byEvaluator!.get(a)!;
    // a reports UNAVAILABLE for its first task; every evaluator of task tasksOfA[1] does.
    base.reveals.set(a, base.reveals.get(a)!.map((s, i) => (i === 0 ? 65_535 : s)));
    const dead = tasksOfA[1];
    for (const [e, ts] of base.assignment.byEvaluator!) {
      const i = ts.indexOf(dead);
      if (i >= 0) base.reveals.set(e, base.reveals.get(e)!.map((s, j) => (j === i ? 65_535 : s)));
    }
    const p = buildSettlement(base);
    expect(p.excludedTasks).toContain(dead);
    // a's own UNAVAILABLE excludes its task only where a holds a majority of the revealed seats.
    for (const t of p.excludedTasks) expect([dead, tasksOfA[0]]).toContain(t);
    expect(p.consensus[dead]).toBe(0);
    // A valid reveal: a is not treated as a non-revealer (whose trust would fall to 250000 from 500000).
    expect(p.trust.get(a)!.trustPpm).toBeGreaterThan(500_000);
    // The excluded task's inference node earns nothing for it: with every task excluded, no inference pay at all.
    const all = input({}, 30);
    for (const [e, s] of all.reveals) all.reveals.set(e, s.map(() => 65_535));
    const none = buildSettlement(all);
    expect(none.excludedTasks).toHaveLength(30);
    expect(none.inferencePaid).toBe(0n);
    expect(none.evaluatorPaid).toBe(0n);
  });

  test("behavior: an address drawn twice for a task scores it once and holds two seats", () => {
    const base = input({}, 12);
    const [t0] = [0];
    const row = base.assignment.byTask[t0];
    // Redraw task 0 as [x, x, y]: x scores once with weight 2.
    base.assignment = { byTask: base.assignment.byTask.map((r, t) => (t === t0 ? [row[0], row[0], row[1]] : r)) };
    const byEv = new Map<Address, number[]>();
    base.assignment.byTask.forEach((r, t) => new Set(r).forEach((a) => byEv.set(a, [...(byEv.get(a) ?? []), t])));
    base.reveals = new Map([...byEv].map(([a, ts]) => [a, ts.map((t) => (a === row[0] && t === t0 ? 9000 : 3000))]));
    const p = buildSettlement(base);
    // Two seats at 9000 against one at 3000: the weighted median (trim) sits at 9000.
    expect(p.consensus[t0]).toBe(9000);
  });

  test("property: rewards conserve the pools exactly for any pools and reveals", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10n ** 27n }),
        fc.bigInt({ min: 0n, max: 10n ** 27n }),
        fc.array(fc.integer({ min: 0, max: 10_000 }), { minLength: 36, maxLength: 36 }),
        (inf, ev, raw) => {
          const base = input({ inferencePool: inf, evaluatorPool: ev });
          let i = 0;
          for (const [a, s] of base.reveals) base.reveals.set(a, s.map(() => raw[i++ % raw.length]));
          const p = buildSettlement(base);
          const anyQuality = p.consensus.some((c) => c > 3000);
          if (anyQuality) expect(p.inferencePaid).toBe(inf);
          expect(p.evaluatorPaid === ev || p.evaluatorPaid === 0n).toBe(true);
          expect(p.rewards.reduce((s, r) => s + r.amount, 0n)).toBe(p.inferencePaid + p.evaluatorPaid);
          expect(p.cumulativeTotal).toBe(5n + p.inferencePaid + p.evaluatorPaid);
        },
      ),
      { numRuns: runs(30) },
    );
  });
});
