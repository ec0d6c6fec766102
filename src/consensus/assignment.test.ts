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
    const left = [...sorted];
    const row: Address[] = [];
    for (let j = 0; j < k; j++) {
      const remaining = left.reduce((s, e) => s + e.stake, 0n);
      const h = keccak256(encodeAbiParameters([{ type: "bytes32" }, { type: "uint256" }, { type: "uint256" }], [seedHex, BigInt(t), BigInt(j)]));
      const r = BigInt(h) % remaining;
      let cum = 0n;
      const i = left.findIndex((e) => (cum += e.stake) > r);
      row.push(left[i].address);
      left.splice(i, 1);
    }
    out.push(row);
  }
  return out;
}

describe("assignEvaluators", () => {
  const evaluators = Array.from({ length: 12 }, (_, i) => ({ address: addr(i), stake: BigInt(1 + (i % 4)) * 10n ** 18n }));

  test("behavior: matches the specification (keccak of abi.encode(seed, t, j) modulo remaining stake, address order)", () => {
    const { byTask } = assignEvaluators({ seed, taskCount: 40, k: 5, evaluators });
    expect(byTask).toEqual(reference(seed, 40, 5, evaluators));
  });

  test("behavior: k distinct evaluators per task; byEvaluator lists ascending task indexes", () => {
    const { byTask, byEvaluator } = assignEvaluators({ seed, taskCount: 30, k: 7, evaluators });
    for (const row of byTask) expect(new Set(row).size).toBe(7);
    let total = 0;
    for (const [a, tasks] of byEvaluator) {
      expect([...tasks].sort((x, y) => x - y)).toEqual(tasks);
      for (const t of tasks) expect(byTask[t]).toContain(a);
      total += tasks.length;
    }
    expect(total).toBe(30 * 7);
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
    expect(() => assignEvaluators({ seed, taskCount: 1, k: 13, evaluators })).toThrow(InputError);
    expect(() => assignEvaluators({ seed, taskCount: 1, k: 0, evaluators })).toThrow(/k must be/);
    expect(() => assignEvaluators({ seed, taskCount: 1, k: 1, evaluators: [evaluators[0], evaluators[0]] })).toThrow(/twice/);
    expect(() => assignEvaluators({ seed: "0x1234", taskCount: 1, k: 1, evaluators })).toThrow(/bytes32/);
    expect(() => assignEvaluators({ seed, taskCount: 1, k: 2, evaluators: [{ address: addr(1), stake: 1n }, { address: addr(2), stake: 0n }] })).toThrow(/with stake/);
  });
});
