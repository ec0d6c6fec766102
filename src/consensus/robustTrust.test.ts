import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { roundDiv } from "./fixedPoint";
import { DEFAULT_CONSENSUS_PARAMS } from "./params";
import { emaTrust, isqrt, pushSignificance, roundScorePpm, runRobustTrust, weightedTrimmedMeanScore } from "./robustTrust";
import { weightedMedianScore } from "./weightedMedian";
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

  test("behavior: an evaluator with zero trust does not count in the consensus", () => {
    const trust = Int32Array.from([0, 1_000_000, 1_000_000]);
    const out = runRobustTrust(ruleInput(3, [[[0, 10_000], [1, 2000], [2, 3000]]], { trust }));
    expect(out.consensus[0]).toBeLessThanOrEqual(3000);
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

  test("property: with q = 1 the trust after a round is at least etaUp, whatever it was (no evidence, no low trust)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1_000_000 }), fc.integer({ min: 0, max: 1_000_000 }), fc.integer({ min: 0, max: 1_000_000 }), (t, up, down) => {
        expect(emaTrust(t, 1_000_000, up, down)).toBeGreaterThanOrEqual(Math.min(up, 1_000_000) - 1);
      }),
    );
  });

  test("behavior: round score is 1 below lo, 0 above hi, linear between", () => {
    expect(roundScorePpm(1_000, 2_000, 4_000)).toBe(1_000_000);
    expect(roundScorePpm(3_000, 2_000, 4_000)).toBe(500_000);
    expect(roundScorePpm(5_000, 2_000, 4_000)).toBe(0);
  });

  test("behavior: push significance is (mean - band) sqrt(n) / sd, in milli-z, with the sd floored", () => {
    const p = DEFAULT_CONSENSUS_PARAMS;
    // 100 residuals of exactly +2500 (sd 0, floored at sdFloor): (2500 - 1500) * 10 / 500 = 20 z.
    expect(pushSignificance({ n: 100_000, s1: 250_000, s2: 100 * 2500 * 2500 }, p)).toBe(20_000);
    // Inside the band: negative.
    expect(pushSignificance({ n: 100_000, s1: 100_000, s2: 100 * 1000 * 1000 }, p)).toBeLessThan(0);
    // Too little evidence: no verdict at all.
    expect(pushSignificance({ n: p.minEvidenceMilli - 1, s1: 1_000_000, s2: 1e9 }, p)).toBeLessThan(-1e8);
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

describe("robust-trust: consensus and evidence", () => {
  test("behavior: the consensus is the weighted trimmed mean: trim 0.5 is the weighted median, trim 0 the weighted mean", () => {
    expect(weightedTrimmedMeanScore([1000, 2000, 3000, 4000, 10_000], [1, 1, 1, 1, 1], 200_000)).toBe(3000);
    expect(weightedTrimmedMeanScore([1000, 2000, 3000, 4000, 10_000], [1, 1, 1, 1, 1], 0)).toBe(4000);
    expect(weightedTrimmedMeanScore([1000, 2000, 3000, 4000, 10_000], [1, 1, 1, 1, 0], 200_000)).toBe(2500);
    // an entry straddling the cut keeps the part inside: 7 equal weights, 1.4 cut at each end
    expect(weightedTrimmedMeanScore([0, 1000, 2000, 3000, 4000, 5000, 6000], [5, 5, 5, 5, 5, 5, 5], 200_000)).toBe(3000);
    expect(weightedTrimmedMeanScore([0, 0, 0, 0, 0, 10_000, 10_000], [5, 5, 5, 5, 5, 5, 5], 200_000)).toBe(roundDiv(3 * 10_000, 21));
    expect(weightedTrimmedMeanScore([], [], 200_000)).toBe(-1);
  });

  test("property: the weighted trimmed mean ignores order, lies between the extremes, and matches the median and mean at the limits", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 0, max: 10_000_000 })), { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 0, max: 500_000 }),
        (pairs, trim) => {
          const v = pairs.map((p) => p[0]);
          const w = pairs.map((p) => p[1]);
          const c = weightedTrimmedMeanScore(v, w, trim);
          const r = [...pairs].reverse();
          expect(weightedTrimmedMeanScore(r.map((p) => p[0]), r.map((p) => p[1]), trim)).toBe(c);
          expect(c >= Math.min(...v) && c <= Math.max(...v)).toBe(true);
          expect(weightedTrimmedMeanScore(v, w, 500_000)).toBe(weightedMedianScore(v, w));
          const W = w.reduce((a, b) => a + b, 0);
          if (W > 0) expect(weightedTrimmedMeanScore(v, w, 0)).toBe(roundDiv(v.reduce((s, x, i) => s + x * w[i], 0), W));
        },
      ),
    );
  });

  test("behavior: a boost that clamping at 10 mostly hides is caught by its upward push; honest noise at the bound is not", () => {
    // QA-like truth: 85% of outputs at 10, 15% at 0. Honest evaluators: offset within +-1.0, noise sd 0.3..1.5,
    // clamped to 0..10, so near 10 the noisier ones can only err downward. Boosters: min(10, honest + 3).
    const M = 20;
    const k = 7;
    const boosters = [3, 8, 13, 17];
    let s = 11;
    const rand = (): number => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const normal = (): number => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
    const offset = Array.from({ length: M }, (_, e) => Math.round((((e % 7) - 3) * 1000) / 3));
    const noise = Array.from({ length: M }, (_, e) => 300 + ((e * 5) % 7) * 200);
    let trust: Int32Array = new Int32Array(M).fill(DEFAULT_CONSENSUS_PARAMS.initialTrustPpm);
    for (let r = 0; r < 8; r++) {
      const tasks: [number, number][][] = [];
      for (let t = 0; t < 300; t++) {
        const truth = rand() < 0.15 ? 0 : 10_000;
        const row: [number, number][] = [];
        const pool = Array.from({ length: M }, (_, e) => e);
        for (let j = 0; j < k; j++) {
          const i = j + Math.floor(rand() * (M - j));
          [pool[j], pool[i]] = [pool[i], pool[j]];
          const e = pool[j];
          const honest = Math.max(0, Math.min(10_000, Math.round(truth + offset[e] + noise[e] * normal())));
          row.push([e, boosters.includes(e) ? Math.min(10_000, honest + 3000) : honest]);
        }
        tasks.push(row);
      }
      trust = runRobustTrust(ruleInput(M, tasks, { trust })).trust;
    }
    for (let e = 0; e < M; e++) {
      if (boosters.includes(e)) expect(trust[e]).toBeLessThan(200_000);
      else expect(trust[e]).toBeGreaterThan(500_000);
    }
  });

  test("behavior: a steady honest offset inside the band is a scoring style: never flagged, trust rises", () => {
    // 12 evaluators with offsets from -1.0 to +1.0 points and noise sd 0.3-1.5, truth spread over 1..9, 10 rounds.
    const M = 12;
    let s = 5;
    const rand = (): number => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const normal = (): number => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
    const offset = Array.from({ length: M }, (_, e) => -1000 + Math.round((2000 * e) / (M - 1)));
    const noise = Array.from({ length: M }, (_, e) => 300 + ((e * 7) % 12) * 100);
    let input = ruleInput(M, []);
    let trust: Int32Array = input.trust;
    let evidence = input.evidence;
    for (let r = 0; r < 10; r++) {
      const tasks: [number, number][][] = [];
      for (let t = 0; t < 200; t++) {
        const truth = 1000 + Math.floor(rand() * 8000);
        const row: [number, number][] = [];
        for (let j = 0; j < 7; j++) {
          const e = (t * 5 + j) % M;
          row.push([e, Math.max(0, Math.min(10_000, Math.round(truth + offset[e] + noise[e] * normal())))]);
        }
        tasks.push(row);
      }
      input = ruleInput(M, tasks, { trust, evidence });
      const out = runRobustTrust(input);
      for (let e = 0; e < M; e++) expect(out.detail!.flagged[e]).toBe(0);
      trust = out.trust;
      evidence = out.detail!.evidence;
    }
    for (let e = 0; e < M; e++) expect(trust[e]).toBeGreaterThan(900_000);
  });

  test("behavior: evaluators running one deterministic scorer give identical scores, which is never evidence", () => {
    const tasks: [number, number][][] = Array.from({ length: 100 }, (_, t) => Array.from({ length: 7 }, (_, j) => [(t + j) % 9, (t * 733) % 10_001] as [number, number]));
    const out = runRobustTrust(ruleInput(9, tasks));
    expect(Array.from(out.detail!.flagged)).toEqual(new Array(9).fill(0));
    expect(Array.from(out.detail!.q)).toEqual(new Array(9).fill(1_000_000));
    for (let t = 0; t < 100; t++) expect(out.consensus[t]).toBe((t * 733) % 10_001);
  });

  test("behavior: a pump on one inference node is measured per (evaluator, node), not diluted over all its scores", () => {
    // Evaluator 0 adds 3 points on node 0's outputs (a fifth of its scores) and is honest elsewhere.
    const M = 10;
    const taskNode: number[] = [];
    let trust: Int32Array = new Int32Array(M).fill(500_000);
    let evidence: ReturnType<typeof runRobustTrust>["detail"] extends infer D ? (D extends { evidence: infer E } ? E : never) : never = [];
    let flaggedAt = -1;
    for (let r = 0; r < 8 && flaggedAt < 0; r++) {
      const tasks: [number, number][][] = [];
      taskNode.length = 0;
      for (let t = 0; t < 300; t++) {
        const node = t % 5;
        taskNode.push(node);
        const truth = 2000 + ((t * 37 + r * 11) % 50) * 100;
        tasks.push(Array.from({ length: 7 }, (_, j) => {
          const e = (t * 3 + j + r) % M;
          const wobble = (((e * 31 + t * 17) % 9) - 4) * 100;
          return [e, Math.min(10_000, truth + wobble + (e === 0 && node === 0 ? 3000 : 0))] as [number, number];
        }));
      }
      const out = runRobustTrust(ruleInput(M, tasks, { trust, evidence, taskNode: Int32Array.from(taskNode) }));
      if (out.detail!.flagged[0]) flaggedAt = r;
      for (let e = 1; e < M; e++) expect(out.detail!.flagged[e]).toBe(0);
      trust = out.trust;
      evidence = out.detail!.evidence;
    }
    expect(flaggedAt).toBeGreaterThanOrEqual(0);
  });

  test("behavior: steady offsets are taken out of the consensus (the evaluator at +1 and the one at -1 cancel, a lone +1 is corrected)", () => {
    // Truth 5000 everywhere; evaluators 0-5 honest at 0, evaluator 6 steadily +1000. After a few rounds of evidence
    // the consensus is the truth even on tasks where evaluator 6 sits.
    let trust: Int32Array = new Int32Array(7).fill(1_000_000);
    let evidence: import("./rule").EvidenceState[] = [];
    let out!: ReturnType<typeof runRobustTrust>;
    for (let r = 0; r < 4; r++) {
      const tasks: [number, number][][] = Array.from({ length: 60 }, (_, t) =>
        [0, 1, 2, 6].map((e, j) => [e === 6 ? 6 : (t + j) % 6, 5000 + (e === 6 ? 1000 : 0) + ((t * 7 + j * 3) % 5) * 10] as [number, number]),
      );
      out = runRobustTrust(ruleInput(7, tasks, { trust, evidence, params: { ...DEFAULT_CONSENSUS_PARAMS, consensusTrimPpm: 0 } }));
      trust = out.trust;
      evidence = out.detail!.evidence;
    }
    for (const c of out.consensus) expect(Math.abs(c - 5020)).toBeLessThanOrEqual(60);
  });

  test("property: weights never overflow: any trust, any stake units up to stakeCapUnits = 1,000,000, any seats", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 1_000_000 }), { minLength: 4, maxLength: 4 }),
        fc.array(fc.integer({ min: 0, max: 1_000_000 }), { minLength: 4, maxLength: 4 }),
        fc.array(fc.integer({ min: 1, max: 65_535 }), { minLength: 3, maxLength: 3 }),
        (trust, units, seats) => {
          const tasks: [number, number][][] = [[[0, 1000], [1, 9000], [2, 5000]], [[1, 2000], [2, 3000], [3, 10_000]]];
          const base = ruleInput(4, tasks, { trust: Int32Array.from(trust), stakeUnits: Int32Array.from(units), params: { ...DEFAULT_CONSENSUS_PARAMS, stakeCapUnits: 1_000_000 } });
          base.round.seats = Int32Array.from([seats[0], seats[1], seats[2], seats[2], seats[1], seats[0]]);
          const out = runRobustTrust(base);
          for (const c of out.consensus) expect(c >= 0 && c <= 10_000).toBe(true);
          for (const t of out.trust) expect(t >= 0 && t <= 1_000_000).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });
});
