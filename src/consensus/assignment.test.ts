import { type Address, type Hex, encodeAbiParameters, getAddress, keccak256, stringToBytes } from "viem";
import { describe, expect, test } from "vitest";
import { InputError } from "../errors";
import { assignEvaluators } from "./assignment";

const addr = (i: number): Address => getAddress(`0x${keccak256(stringToBytes(`ev${i}`)).slice(26)}`);
const seed: Hex = keccak256(stringToBytes("round-seed"));

/** The specification, written the slow and obvious way. */
function reference(seedHex: Hex, taskCount: number, k: number, evs: { address: Address; stake: bigint }[]): Address[][] {
  const sorted = [...evs].sort((a, b) => (a.address.toLowerCase() < b.address.toLowerCase() ? -1 : 1));
  const out: Address[][] = [];
  for (let t = 0; t < taskCount; t++) {
    const row: Address[] = [];
    const total = sorted.reduce((s, e) => s + e.stake, 0n);
    for (let j = 0; j < k; j++) {
      const h = keccak256(encodeAbiParameters([{ type: "bytes32" }, { type: "uint256" }, { type: "uint256" }], [seedHex, BigInt(t), BigInt(j)]));
      const r = BigInt(h) % total;
      let cum = 0n;
      const i = sorted.findIndex((e) => (cum += e.stake) > r);
      row.push(sorted[i].address);
    }
    out.push(row);
  }
  return out;
}

describe("assignEvaluators", () => {
  const evaluators = Array.from({ length: 12 }, (_, i) => ({ address: addr(i), stake: BigInt(1 + (i % 4)) * 10n ** 18n }));

  test("behavior: matches the specification (keccak of abi.encode(seed, t, j) modulo total stake, address order, with replacement)", () => {
    const { byTask } = assignEvaluators({ seed, taskCount: 40, k: 5, evaluators });
    expect(byTask).toEqual(reference(seed, 40, 5, evaluators));
  });

  test("behavior: k draws per task; byEvaluator lists each evaluator's distinct tasks ascending (one reveal entry each)", () => {
    const { byTask, byEvaluator } = assignEvaluators({ seed, taskCount: 30, k: 7, evaluators });
    let distinct = 0;
    for (const row of byTask) {
      expect(row).toHaveLength(7);
      distinct += new Set(row).size;
    }
    let total = 0;
    for (const [a, tasks] of byEvaluator) {
      expect([...new Set(tasks)].sort((x, y) => x - y)).toEqual(tasks);
      for (const t of tasks) expect(byTask[t]).toContain(a);
      total += tasks.length;
    }
    expect(total).toBe(distinct);
  });

  test("behavior: seats follow stake, whether a stake is held whole or split across identities", () => {
    // One identity with 3 units against three identities with 1 unit each, beside the same others: the bloc's
    // seat count per task has the same distribution (binomial), so over many tasks its total is about the same.
    const others = Array.from({ length: 6 }, (_, i) => ({ address: addr(200 + i), stake: 1n }));
    const whole = [...others, { address: addr(300), stake: 3n }];
    const split = [...others, ...[301, 302, 303].map((i) => ({ address: addr(i), stake: 1n }))];
    const seatsOfBloc = (evs: typeof whole, bloc: Address[]) =>
      assignEvaluators({ seed, taskCount: 3000, k: 7, evaluators: evs }).byTask.reduce((s, row) => s + row.filter((a) => bloc.includes(a)).length, 0);
    const w = seatsOfBloc(whole, [addr(300)]) / (3000 * 7);
    const s = seatsOfBloc(split, [addr(301), addr(302), addr(303)]) / (3000 * 7);
    expect(Math.abs(w - 1 / 3)).toBeLessThan(0.015);
    expect(Math.abs(s - 1 / 3)).toBeLessThan(0.015);
  });

  test("behavior: input order and address case do not matter", () => {
    const shuffled = [...evaluators].reverse().map((e) => ({ ...e, address: e.address.toLowerCase() as Address }));
    expect(assignEvaluators({ seed, taskCount: 10, k: 3, evaluators: shuffled }).byTask).toEqual(
      assignEvaluators({ seed, taskCount: 10, k: 3, evaluators }).byTask,
    );
  });

  test("behavior: more stake, more tasks", () => {
    const evs = [
      { address: addr(100), stake: 9n },
      { address: addr(101), stake: 1n },
      { address: addr(102), stake: 1n },
      { address: addr(103), stake: 1n },
    ];
    const { byEvaluator } = assignEvaluators({ seed, taskCount: 400, k: 1, evaluators: evs });
    expect(byEvaluator.get(addr(100))!.length).toBeGreaterThan(250);
  });

  test("behavior: bad k, duplicate addresses and a bad seed are InputErrors", () => {
    expect(() => assignEvaluators({ seed, taskCount: 1, k: 65_536, evaluators })).toThrow(InputError);
    expect(() => assignEvaluators({ seed, taskCount: 1, k: 0, evaluators })).toThrow(/k must be/);
    expect(() => assignEvaluators({ seed, taskCount: 1, k: 1, evaluators: [evaluators[0], evaluators[0]] })).toThrow(/twice/);
    expect(() => assignEvaluators({ seed: "0x1234", taskCount: 1, k: 1, evaluators })).toThrow(/bytes32/);
    expect(() => assignEvaluators({ seed, taskCount: 1, k: 2, evaluators: [{ address: addr(1), stake: 0n }] })).toThrow(/no evaluator has stake/);
    // With replacement, k may exceed the number of evaluators: one evaluator holds every seat.
    expect(assignEvaluators({ seed, taskCount: 1, k: 3, evaluators: [evaluators[0]] }).byTask[0]).toEqual([evaluators[0].address, evaluators[0].address, evaluators[0].address]);
  });
});
