import { describe, expect, test } from "vitest";
import { SlashReason, applySlashingPolicy, campSplit, type SlashingInput } from "./slashing";

const base = (n: number, over: Partial<SlashingInput> = {}): SlashingInput => ({
  trust: new Int32Array(n).fill(900_000),
  lowStreak: new Int32Array(n),
  revealed: new Uint8Array(n).fill(1),
  flagged: new Uint8Array(n),
  suspect: new Uint8Array(n),
  confirmed: new Uint8Array(n),
  stake: new Array<bigint>(n).fill(10n),
  usesTrust: true,
  thresholdPpm: 200_000,
  afterRounds: 3,
  maxSlashes: 10,
  breakerPpm: 350_000,
  ...over,
});

const ones = (n: number): Uint8Array => new Uint8Array(n).fill(1);

describe("applySlashingPolicy", () => {
  test("behavior: K consecutive rounds flagged, confirmed and below the threshold slash (LowTrust) and restart the streak", () => {
    const flagged = Uint8Array.from([1, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
    const out = applySlashingPolicy(
      base(10, { trust: Int32Array.from([100_000, 100_000, 100_000, ...new Array(7).fill(900_000)]), lowStreak: Int32Array.from([2, 1, 5, 0, 0, 0, 0, 0, 0, 0]), flagged, suspect: flagged, confirmed: ones(10) }),
    );
    expect(out.slashes).toEqual([{ evaluator: 0, reason: SlashReason.LowTrust }]);
    // evaluator 2 has low trust but no evidence this round: its streak restarts, it is not slashed.
    expect(Array.from(out.lowStreak).slice(0, 3)).toEqual([0, 2, 0]);
    expect(out.breaker.tripped).toBe(false);
  });

  test("behavior: low trust without confirmation from the median evaluator never counts toward a slash", () => {
    const out = applySlashingPolicy(base(10, { trust: new Int32Array(10), lowStreak: new Int32Array(10).fill(5), flagged: Uint8Array.from([1, 0, 0, 0, 0, 0, 0, 0, 0, 0]) }));
    expect(out.slashes).toEqual([]);
    expect(out.lowStreak[0]).toBe(0);
  });

  test("behavior: NonReveal is never emitted; a non-revealer's streak stands still", () => {
    const revealed = Uint8Array.from([0, 1]);
    const out = applySlashingPolicy(base(2, { revealed, trust: Int32Array.from([0, 900_000]), lowStreak: Int32Array.from([7, 0]), flagged: ones(2), confirmed: ones(2) }));
    expect(out.slashes).toEqual([]);
    expect(out.lowStreak[0]).toBe(7);
    expect(Object.values(SlashReason)).toContain(1); // reserved, unused
  });

  test("behavior: bounded by maxSlashes, lowest trust first; the rest keep their streak", () => {
    const out = applySlashingPolicy(
      base(10, {
        trust: Int32Array.from([150_000, 50_000, 100_000, ...new Array(7).fill(900_000)]),
        lowStreak: Int32Array.from([5, 5, 5, 0, 0, 0, 0, 0, 0, 0]),
        flagged: Uint8Array.from([1, 1, 1, 0, 0, 0, 0, 0, 0, 0]),
        confirmed: ones(10),
        maxSlashes: 2,
      }),
    );
    expect(out.slashes).toEqual([
      { evaluator: 1, reason: SlashReason.LowTrust },
      { evaluator: 2, reason: SlashReason.LowTrust },
    ]);
    expect(out.lowStreak[0]).toBe(6);
  });

  test("behavior: the circuit breaker: suspects above breakerPpm of the revealed stake freeze slashing and restart streaks", () => {
    // 4 of 10 equal stakes suspect = 40% > 35%.
    const suspect = Uint8Array.from([1, 1, 1, 1, 0, 0, 0, 0, 0, 0]);
    const out = applySlashingPolicy(base(10, { trust: new Int32Array(10), lowStreak: new Int32Array(10).fill(9), flagged: suspect, suspect, confirmed: ones(10) }));
    expect(out.breaker).toEqual({ tripped: true, flaggedStakePpm: 400_000, confirmedStakePpm: 400_000, splitGap: 0, split: false, campCentres: null, campBands: null });
    expect(out.slashes).toEqual([]);
    expect(Array.from(out.lowStreak)).toEqual(new Array(10).fill(0));
  });

  test("behavior: the breaker weighs stake, not identities: many small suspects below the bound do not trip it", () => {
    // 6 suspects of 1 wei each beside 4 honest of 10 wei: 6 / 46 = 13% of the stake.
    const suspect = Uint8Array.from([1, 1, 1, 1, 1, 1, 0, 0, 0, 0]);
    const out = applySlashingPolicy(base(10, { stake: [1n, 1n, 1n, 1n, 1n, 1n, 10n, 10n, 10n, 10n], flagged: suspect, suspect, confirmed: suspect, trust: new Int32Array(10), lowStreak: new Int32Array(10).fill(2) }));
    expect(out.breaker.tripped).toBe(false);
    expect(out.breaker.flaggedStakePpm).toBe(130_434);
    expect(out.slashes.map((s) => s.evaluator)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  test("behavior: stateless rules never slash for low trust", () => {
    const out = applySlashingPolicy(base(1, { usesTrust: false, trust: Int32Array.from([0]), lowStreak: Int32Array.from([9]), flagged: ones(1), confirmed: ones(1) }));
    expect(out.slashes).toEqual([]);
  });

  describe("the two-camp test", () => {
    const campGap = (i: Parameters<typeof campSplit>[0]): number => campSplit(i).gap;
    // Mean residuals (score units) of 20 evaluators with equal stakes.
    const spread = Array.from({ length: 20 }, (_, e) => -1_000 + e * 100); // honest offsets -1.0 .. +0.9, evenly spread
    const flaggedLow = Uint8Array.from({ length: 20 }, (_, e) => (e < 6 ? 1 : 0)); // 30% of the stake flagged: under the count bound
    const accused = { trust: new Int32Array(20), lowStreak: new Int32Array(20).fill(2), flagged: flaggedLow, suspect: flaggedLow, confirmed: new Uint8Array(20).fill(1), splitGap: 500, campBandMin: 500, campBandMax: 2_000 };

    test("behavior: evenly spread offsets leave no wide gap, and slashing goes on", () => {
      const out = applySlashingPolicy(base(20, { ...accused, meanResidual: spread }));
      expect(out.breaker.splitGap).toBe(100);
      expect(out.breaker.tripped).toBe(false);
      expect(out.slashes.map((x) => x.evaluator)).toEqual([0, 1, 2, 3, 4, 5]);
    });

    test("behavior: a minority bloc apart at one end (30% of the stake, +3 points) sits outside the window: it stays slashable", () => {
      const m = spread.map((v, e) => (e >= 14 ? 3_000 + e : v));
      const flagged = Uint8Array.from({ length: 20 }, (_, e) => (e >= 14 ? 1 : 0));
      const out = applySlashingPolicy(base(20, { ...accused, flagged, suspect: flagged, meanResidual: m }));
      expect(out.breaker.tripped).toBe(false);
      expect(out.slashes.map((x) => x.evaluator)).toEqual([14, 15, 16, 17, 18, 19]);
    });

    test("behavior: two camps with half the stake each, apart by more than the gap: no member of either camp is slashed, whoever holds the references", () => {
      // The bloc (10..19) holds the references: the honest camp's residuals look pushed down by about 2 points.
      const m = spread.map((v, e) => (e < 10 ? v - 1_500 : v + 500));
      const flagged = Uint8Array.from({ length: 20 }, (_, e) => (e < 6 ? 1 : 0));
      const out = applySlashingPolicy(base(20, { ...accused, flagged, suspect: flagged, meanResidual: m }));
      expect(out.breaker.splitGap).toBe(m[10] - m[9]);
      expect(out.breaker.split).toBe(true);
      expect(out.breaker.tripped).toBe(false);
      // Lower weighted medians of each camp: the 5th of 10 equal stakes.
      expect(out.breaker.campCentres).toEqual([m[4], m[14]]);
      expect(out.slashes).toEqual([]);
      expect(Array.from(out.lowStreak)).toEqual(new Array(20).fill(0));
      // Without the test (splitGap 0) the same round slashes the six accused.
      expect(applySlashingPolicy(base(20, { ...accused, flagged, suspect: flagged, meanResidual: m, splitGap: 0 })).slashes).toHaveLength(6);
    });

    test("behavior: a camp with a steady offset does not shield boosters beside it: members of both camps are safe, a minority apart from both is slashed", () => {
      // Honest 0..10 (55%) spread evenly over -0.6 .. +0.5; a camp 11..17 (35%) with a steady +1.2 offset; boosters
      // 18, 19 (10%) one point above the camp (what a +3 boost leaves after clipping at 10 and the camp's pull).
      const m = Array.from({ length: 20 }, (_, e) => (e <= 10 ? -600 + e * 110 : e <= 17 ? 1_150 + e * 5 : 2_250 + e));
      // Accused: an honest evaluator at the low edge, one camp member and both boosters (20% of the stake: under the count bound).
      const flagged = Uint8Array.from({ length: 20 }, (_, e) => (e === 0 || e === 11 || e >= 18 ? 1 : 0));
      const out = applySlashingPolicy(base(20, { ...accused, flagged, suspect: flagged, meanResidual: m }));
      expect(out.breaker.split).toBe(true);
      expect(out.breaker.tripped).toBe(false);
      expect(out.breaker.campCentres).toEqual([m[5], m[15]]);
      // Bands: 3 x the camp's median absolute deviation (honest 330 -> 990; the high camp 10 -> clamped up to 500).
      expect(out.breaker.campBands).toEqual([990, 500]);
      expect(out.slashes.map((x) => x.evaluator)).toEqual([18, 19]);
      // A wide camp protects its own edges: honest offsets spread over -1.5 .. +0.5 widen the low camp's band.
      const wide = m.map((v, e) => (e <= 10 ? -1_500 + e * 200 : v));
      const w = applySlashingPolicy(base(20, { ...accused, flagged, suspect: flagged, meanResidual: wide }));
      expect(w.breaker.campBands![0]).toBe(1_800);
      expect(w.slashes.map((x) => x.evaluator)).toEqual([18, 19]);
      // The bound of the protection: a camp whose own members spread up to the boosters covers them.
      const spreadCamp = m.map((v, e) => (e >= 11 && e <= 17 ? 1_150 + (e - 11) * 200 : v));
      expect(applySlashingPolicy(base(20, { ...accused, flagged, suspect: flagged, meanResidual: spreadCamp })).slashes).toEqual([]);
    });

    test("behavior: a camp's band is clamped at campBandMax: an accused 2.5 points from its own wide camp's centre is slashed, one 1.5 points away is not", () => {
      // Low camp 0..10 spread over -2.5 .. +2.5 (3 MADs = 4.5 points, clamped to 2.0); high camp 11..19 at +6.
      const m = Array.from({ length: 20 }, (_, e) => (e <= 10 ? -2_500 + e * 500 : 6_000 + e));
      const flagged = Uint8Array.from({ length: 20 }, (_, e) => (e === 0 || e === 2 ? 1 : 0));
      const out = applySlashingPolicy(base(20, { ...accused, flagged, suspect: flagged, meanResidual: m }));
      expect(out.breaker.split).toBe(true);
      expect(out.breaker.campBands![0]).toBe(2_000);
      expect(out.slashes.map((x) => x.evaluator)).toEqual([0]);
    });

    test("behavior: in a split round an accused evaluator without a mean residual is not slashed: nothing shows it apart from the camps", () => {
      const m: (number | null)[] = spread.map((v, e) => (e < 10 ? v - 1_500 : v + 500));
      m[0] = null;
      const flagged = Uint8Array.from({ length: 20 }, (_, e) => (e === 0 ? 1 : 0));
      const out = applySlashingPolicy(base(20, { ...accused, flagged, suspect: flagged, meanResidual: m }));
      expect(out.breaker.split).toBe(true);
      expect(out.slashes).toEqual([]);
      // The same evaluator is slashed in a round that does not split.
      expect(applySlashingPolicy(base(20, { ...accused, flagged, suspect: flagged, meanResidual: m, splitGap: 0 })).slashes.map((x) => x.evaluator)).toEqual([0]);
    });

    test("behavior: the split's gap bound is inclusive (a gap of exactly splitGap splits, one point less does not), and zero-stake evaluators take no part in the camps", () => {
      const camps = (gap: number) => Array.from({ length: 20 }, (_, e) => (e < 10 ? e * 10 : 90 + gap + (e - 10) * 10));
      expect(applySlashingPolicy(base(20, { ...accused, meanResidual: camps(500) })).breaker.split).toBe(true);
      expect(applySlashingPolicy(base(20, { ...accused, meanResidual: camps(499) })).breaker.split).toBe(false);
      // A zero-stake identity in the middle of the gap would halve it if it counted.
      const withZero = [...camps(1_000), 590];
      const stake = [...new Array<bigint>(20).fill(10n), 0n];
      expect(campGap({ revealed: new Uint8Array(21).fill(1), stake, breakerPpm: 350_000, meanResidual: withZero })).toBe(1_000);
    });

    test("behavior: the window's bound is inclusive: a bloc apart at one end with exactly breakerPpm of the stake trips it, one just under does not", () => {
      const m = spread.map((v, e) => (e >= 13 ? 3_000 + e : v));
      const all = new Uint8Array(20).fill(1);
      // 7 of 20 equal stakes = 35.0%: 65% lies below the gap, inside [35%, 65%].
      expect(campGap({ revealed: all, stake: new Array<bigint>(20).fill(10n), breakerPpm: 350_000, meanResidual: m })).toBe(m[13] - m[12]);
      // 7 x 9 of 13 x 10 + 7 x 9 = 32.6%: 67.4% lies below the gap, outside.
      const stake = Array.from({ length: 20 }, (_, e) => (e >= 13 ? 9n : 10n));
      expect(campGap({ revealed: all, stake, breakerPpm: 350_000, meanResidual: m })).toBe(100);
    });

    test("behavior: the window counts only revealers with evidence: newcomers without it do not dilute the bloc's share", () => {
      // 6 of 20 at +3 (30% of all stake); 4 honest newcomers without evidence leave 6 of 16 = 37.5% of the counted stake.
      const m = spread.map((v, e) => (e >= 14 ? 3_000 + e : e < 4 ? null : v));
      expect(campGap({ revealed: new Uint8Array(20).fill(1), stake: new Array<bigint>(20).fill(10n), breakerPpm: 350_000, meanResidual: m })).toBe(3_014 - 300);
    });

    test("behavior: the window weighs stake, not identities; non-revealers and evaluators without evidence are left out", () => {
      // Gap after evaluator 0: with equal stakes 5% below it (outside the window); with evaluator 0 holding 40%, inside.
      const m = [-3_000, ...spread.slice(1)];
      const equal = campGap({ revealed: new Uint8Array(20).fill(1), stake: new Array<bigint>(20).fill(10n), breakerPpm: 350_000, meanResidual: m });
      expect(equal).toBe(100);
      const heavy = campGap({ revealed: new Uint8Array(20).fill(1), stake: [127n, ...new Array<bigint>(19).fill(10n)], breakerPpm: 350_000, meanResidual: m });
      expect(heavy).toBe(m[1] - m[0]);
      const hidden = campGap({ revealed: Uint8Array.from({ length: 20 }, (_, e) => (e === 0 ? 0 : 1)), stake: [127n, ...new Array<bigint>(19).fill(10n)], breakerPpm: 350_000, meanResidual: m });
      expect(hidden).toBe(100);
      expect(campGap({ revealed: new Uint8Array(3).fill(1), stake: [1n, 1n, 1n], breakerPpm: 350_000, meanResidual: [null, null, null] })).toBe(0);
    });
  });
});
