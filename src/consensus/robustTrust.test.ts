import { describe, expect, test } from "vitest";
import { DEFAULT_CONSENSUS_PARAMS } from "./params";
import { emaTrust, isqrt, roundScorePpm, runRobustTrust } from "./robustTrust";
import { ruleInput } from "./testing";

/** T tasks, M evaluators, k per task (a rotating window), honest scores = truth +- a small wobble, attackers shift. */
function round(opts: { T: number; M: number; k: number; attackers: number[]; shift: number; seed?: number }): [number, number][][] {
  const tasks: [number, number][][] = [];
  let s = opts.seed ?? 7;
  for (let t = 0; t < opts.T; t++) {
    const truth = 2000 + ((t * 3733) % 6000);
    const row: [number, number][] = [];
    for (let j = 0; j < opts.k; j++) {
      const e = (t * 3 + j) % opts.M;
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      const wobble = (s % 1001) - 500;
      const shift = opts.attackers.includes(e) ? opts.shift : 0;
      row.push([e, Math.max(0, Math.min(10_000, truth + wobble + shift))]);
    }
    tasks.push(row);
  }
  return tasks;
}

describe("robust-trust", () => {
  test("behavior: evaluators that push every score up lose trust in one round, the others gain it", () => {
    const attackers = [1, 4, 7];
    const input = ruleInput(10, round({ T: 200, M: 10, k: 7, attackers, shift: 3000 }));
    const out = runRobustTrust(input);
    for (let e = 0; e < 10; e++) {
      if (attackers.includes(e)) expect(out.trust[e]).toBeLessThan(500_000);
      else expect(out.trust[e]).toBeGreaterThan(500_000);
    }
  });

  test("behavior: the round's outliers lose their weight in the same round (consensus stays near the honest scores)", () => {
    // 3 of 7 per task attack by +3 points; the plain median would move up, the robust consensus must not.
    const tasks = round({ T: 100, M: 10, k: 7, attackers: [0, 1, 2], shift: 3000 });
    const clean = round({ T: 100, M: 10, k: 7, attackers: [], shift: 0 });
    const out = runRobustTrust(ruleInput(10, tasks));
    const ref = runRobustTrust(ruleInput(10, clean));
    let gap = 0;
    for (let t = 0; t < 100; t++) gap += Math.abs(out.consensus[t] - ref.consensus[t]);
    expect(gap / 100).toBeLessThan(300);
  });

  test("behavior: an evaluator with zero trust does not count in the weighted median", () => {
    const trust = Int32Array.from([0, 1_000_000, 1_000_000]);
    const out = runRobustTrust(ruleInput(3, [[[0, 10_000], [1, 2000], [2, 3000]]], { trust }));
    expect(out.consensus[0]).toBeLessThanOrEqual(3000);
  });

  test("behavior: gold tasks anchor trust to the known quality", () => {
    // Evaluator 0 agrees with the gold value; evaluators 1 and 2 agree with each other but not with gold.
    const tasks: [number, number][][] = [];
    const gold: number[] = [];
    for (let t = 0; t < 30; t++) {
      tasks.push([[0, 2000], [1, 8000], [2, 8000]]);
      gold.push(2000);
    }
    const out = runRobustTrust(ruleInput(3, tasks, { gold: Int32Array.from(gold) }));
    expect(out.trust[0]).toBeGreaterThanOrEqual(out.trust[1]);
  });

  test("behavior: a non-revealer's trust falls by etaDown", () => {
    const out = runRobustTrust(ruleInput(3, [[[0, 5000], [1, 5000]]], { nonRevealed: Uint8Array.from([0, 0, 1]) }));
    const { etaDownPpm, initialTrustPpm } = DEFAULT_CONSENSUS_PARAMS;
    expect(out.trust[2]).toBe(initialTrustPpm - (etaDownPpm * initialTrustPpm) / 1_000_000);
  });

  test("behavior: an evaluator without tasks keeps its trust", () => {
    const out = runRobustTrust(ruleInput(4, [[[0, 5000], [1, 5000], [2, 5200]]], { trust: Int32Array.from([1, 2, 3, 777_777]) }));
    expect(out.trust[3]).toBe(777_777);
  });

  test("behavior: trust is a moving average: it moves toward the round score by eta and stays in [0, 1e6]", () => {
    expect(emaTrust(500_000, 1_000_000, 250_000, 250_000)).toBe(625_000);
    expect(emaTrust(500_000, 0, 250_000, 400_000)).toBe(300_000);
    expect(emaTrust(0, 0, 250_000, 250_000)).toBe(0);
    expect(emaTrust(1_000_000, 1_000_000, 250_000, 250_000)).toBe(1_000_000);
  });

  test("behavior: round score is 1 below lo, 0 above hi, linear between", () => {
    expect(roundScorePpm(1_000_000, 1_250_000, 2_250_000)).toBe(1_000_000);
    expect(roundScorePpm(1_750_000, 1_250_000, 2_250_000)).toBe(500_000);
    expect(roundScorePpm(3_000_000, 1_250_000, 2_250_000)).toBe(0);
  });

  test("behavior: isqrt is the exact integer square root", () => {
    for (const n of [0, 1, 2, 3, 4, 15, 16, 17, 999_999, 1_000_000, 2 ** 52 - 1]) {
      const r = isqrt(n);
      expect(r * r <= n && (r + 1) * (r + 1) > n).toBe(true);
    }
  });

  test("behavior: the same input gives identical output", () => {
    const tasks = round({ T: 50, M: 9, k: 5, attackers: [2], shift: -3000, seed: 3 });
    const a = runRobustTrust(ruleInput(9, tasks));
    const b = runRobustTrust(ruleInput(9, tasks));
    expect(Array.from(a.consensus)).toEqual(Array.from(b.consensus));
    expect(Array.from(a.trust)).toEqual(Array.from(b.trust));
  });
});
