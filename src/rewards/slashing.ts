/**
 * Reasons the settlement contract accepts. NonReveal (1) is reserved: non-revealers are slashed permissionlessly on
 * chain from on-chain evidence, never through the settlement, whose slash list holds LowTrust slashes only.
 */
export const SlashReason = { NonReveal: 1, LowTrust: 2 } as const;
export type SlashReason = (typeof SlashReason)[keyof typeof SlashReason];

export type SlashingInput = {
  /** Trust after this round (ppm), per evaluator (index order = address order). */
  trust: Int32Array;
  /** Low-trust streak before this round, per evaluator. */
  lowStreak: Int32Array;
  /** 1 for evaluators that revealed a valid reveal this round. */
  revealed: Uint8Array;
  /** 1 for evaluators whose evidence this round lowered their round score (significant push). */
  flagged: Uint8Array;
  /** 1 for evaluators whose push significance is near the flagging level (a superset of flagged): the breaker's count. */
  suspect: Uint8Array;
  /** 1 for evaluators whose push also stands apart from the evaluator's at the rule's confirmation stake quantile. */
  confirmed: Uint8Array;
  /** Stake units per evaluator (the breaker's weights; bigint so no stake overflows). */
  stake: readonly bigint[];
  /** False for stateless rules: they never slash for low trust. */
  usesTrust: boolean;
  thresholdPpm: number;
  afterRounds: number;
  maxSlashes: number;
  breakerPpm: number;
  /**
   * Each evaluator's accumulated mean residual against the rule's references (score units; null: no evidence or a
   * stateless rule): the two-camp test's input.
   */
  meanResidual?: readonly (number | null)[];
  /** Two-camp test: a gap at least this wide (score units) between the camps splits the round (0: no test). */
  splitGap?: number;
  /**
   * In a split round, an accused evaluator's streak advances only when its mean residual lies outside both camps'
   * bands: each camp's band is CAMP_SPREADS times its stake-weighted median absolute deviation, clamped to
   * [campBandMin, campBandMax] (score units).
   */
  campBandMin?: number;
  campBandMax?: number;
};

export type Breaker = {
  /** True when low-trust slashing is frozen this round (flags bit 0 on chain). */
  tripped: boolean;
  /** Stake of the suspect revealers (flagged, or near it) over the stake of all revealers (ppm, floored): the trigger. */
  flaggedStakePpm: number;
  /** Stake of the flagged revealers whose push is also confirmed (see the rule's confirm()), ppm. */
  confirmedStakePpm: number;
  /**
   * Widest gap (score units) between two neighbouring evaluators' mean residuals with between breakerPpm and
   * 1 - breakerPpm of the stake below it (0: none): the two-camp test's statistic.
   */
  splitGap: number;
  /**
   * True when splitGap reached the input's bound: two camps each hold at least breakerPpm of the stake, and slashing
   * is limited to accused evaluators that stand apart from both (see applySlashingPolicy). An alert, like tripped.
   */
  split: boolean;
  /** The two camps' stake-weighted median residuals (score units), lower camp first; null when not split. */
  campCentres: [number, number] | null;
  /** Each camp's band around its centre (score units), in the same order; null when not split. */
  campBands: [number, number] | null;
};

/** A camp's band: this many times its stake-weighted median absolute deviation (before the clamp). */
export const CAMP_SPREADS = 3;

export type SlashingOutput = {
  lowStreak: Int32Array;
  /** LowTrust slashes, sorted by evaluator index (address order), at most maxSlashes long. */
  slashes: { evaluator: number; reason: SlashReason }[];
  breaker: Breaker;
};

/**
 * Slashing policy (LowTrust only). A revealer's streak grows in a round where it is flagged (its push evidence was
 * significant against the trust-weighted references), its push is confirmed (it also stands apart from the push
 * of the evaluator at the rule's confirmation stake quantile, so a bloc near half the stake that captured the references cannot get the
 * other camp slashed), and its trust ends below the threshold; otherwise it restarts; at afterRounds it is slashed and the
 * streak restarts, so a persistent offender is slashed at most once every afterRounds rounds. Rounds without a
 * reveal leave the streak as it is. At most maxSlashes per round, lowest trust first, then lowest address; one left
 * out keeps its streak and comes back next round.
 *
 * Circuit breaker: when the suspect revealers (flagged, or with push evidence just short of it) hold more than
 * breakerPpm of the revealed stake, the evidence itself is in doubt (a bloc that large can capture references), so no
 * slash is emitted and every revealer's streak restarts: a slash then needs afterRounds consecutive rounds without the
 * breaker.
 *
 * Two camps (see campSplit): when the revealers' mean residuals split into two camps that each hold at least breakerPpm
 * of the stake, the evidence cannot say which camp is honest, so neither camp's members can be slashed: an accused
 * evaluator's streak advances only when its mean residual lies outside both camps' bands (CAMP_SPREADS stake-weighted
 * median absolute deviations around the camp's stake-weighted median, clamped to [campBandMin, campBandMax]), and
 * restarts otherwise. A bloc that forms a camp with a steady offset so protects its own members, but not a minority
 * that stands apart from it (boosters beside the camp are still slashed); to cover them, the camp's own members must
 * spread out towards the boosters' offset.
 */
export function applySlashingPolicy(input: SlashingInput): SlashingOutput {
  const n = input.trust.length;
  const lowStreak = Int32Array.from(input.lowStreak);
  let total = 0n;
  let flaggedStake = 0n;
  let confirmedStake = 0n;
  for (let e = 0; e < n; e++) {
    if (!input.revealed[e]) continue;
    total += input.stake[e];
    if (input.suspect[e] || input.flagged[e]) flaggedStake += input.stake[e];
    if (input.flagged[e] && input.confirmed[e]) confirmedStake += input.stake[e];
  }
  const flaggedStakePpm = total > 0n ? Number((flaggedStake * 1_000_000n) / total) : 0;
  const confirmedStakePpm = total > 0n ? Number((confirmedStake * 1_000_000n) / total) : 0;
  const camps = campSplit(input);
  const split = input.usesTrust && !!input.splitGap && camps.gap >= input.splitGap;
  const tripped = input.usesTrust && flaggedStakePpm > input.breakerPpm;
  const campCentres = split ? camps.centres : null;
  const lo = input.campBandMin ?? 0;
  const hi = Math.max(lo, input.campBandMax ?? 0);
  const campBands: [number, number] | null =
    split && camps.spreads ? [Math.min(hi, Math.max(lo, CAMP_SPREADS * camps.spreads[0])), Math.min(hi, Math.max(lo, CAMP_SPREADS * camps.spreads[1]))] : null;
  const breaker = { tripped, flaggedStakePpm, confirmedStakePpm, splitGap: camps.gap, split, campCentres, campBands };
  if (!input.usesTrust) return { lowStreak, slashes: [], breaker };
  if (tripped) {
    // The evidence itself is in doubt: no slash, and every revealer's streak starts over.
    for (let e = 0; e < n; e++) if (input.revealed[e]) lowStreak[e] = 0;
    return { lowStreak, slashes: [], breaker };
  }
  const apart = (e: number): boolean => {
    if (!campCentres || !campBands) return true;
    const m = input.meanResidual?.[e];
    if (m === null || m === undefined) return false;
    return Math.abs(m - campCentres[0]) > campBands[0] && Math.abs(m - campCentres[1]) > campBands[1];
  };
  const lowTrust: number[] = [];
  for (let e = 0; e < n; e++) {
    if (!input.revealed[e]) continue;
    lowStreak[e] = input.flagged[e] && input.confirmed[e] && input.trust[e] < input.thresholdPpm && apart(e) ? lowStreak[e] + 1 : 0;
    if (lowStreak[e] >= input.afterRounds) lowTrust.push(e);
  }
  lowTrust.sort((a, b) => input.trust[a] - input.trust[b] || a - b);
  const chosen = lowTrust.slice(0, input.maxSlashes);
  for (const e of chosen) lowStreak[e] = 0;
  chosen.sort((a, b) => a - b);
  return { lowStreak, slashes: chosen.map((e) => ({ evaluator: e, reason: SlashReason.LowTrust })), breaker };
}

/**
 * Two-camp test. Sort the revealers by their accumulated mean residual and lay their stakes end to end; the statistic
 * is the widest gap between neighbours with between breakerPpm and 1 - breakerPpm of the stake below it. Honest
 * offsets spread evenly and leave no wide gap; a minority bloc (less than breakerPpm of the stake) sits apart at one
 * end, outside the window, and stays detectable; two camps that each hold more than breakerPpm show a gap inside it:
 * whichever camp holds the references, the evidence cannot say which is honest. Trust plays no part. Integer only.
 *
 * Returns the statistic (`gap`), and for each side of the widest gap (lower camp first) the stake-weighted median
 * residual and the stake-weighted median absolute deviation from it.
 */
export function campSplit(input: Pick<SlashingInput, "revealed" | "stake" | "breakerPpm" | "meanResidual">): {
  gap: number;
  centres: [number, number] | null;
  spreads: [number, number] | null;
} {
  const none = { gap: 0, centres: null, spreads: null };
  const m = input.meanResidual;
  if (!m) return none;
  const idx: number[] = [];
  let total = 0n;
  for (let e = 0; e < m.length; e++) {
    if (!input.revealed[e] || m[e] === null || input.stake[e] <= 0n) continue;
    idx.push(e);
    total += input.stake[e];
  }
  if (total === 0n) return none;
  idx.sort((a, b) => (m[a] as number) - (m[b] as number) || a - b);
  const lo = BigInt(input.breakerPpm);
  const hi = 1_000_000n - lo;
  let below = 0n;
  let widest = 0;
  let at = -1;
  for (let i = 0; i + 1 < idx.length; i++) {
    below += input.stake[idx[i]];
    const share = (below * 1_000_000n) / total;
    if (share < lo || share > hi) continue;
    const gap = (m[idx[i + 1]] as number) - (m[idx[i]] as number);
    if (gap > widest) {
      widest = gap;
      at = i;
    }
  }
  if (at < 0) return none;
  // Lower weighted median of values v over members (sorted by v here): the first whose stake, with those before it,
  // reaches half of the members' stake.
  const median = (members: number[], v: (e: number) => number): number => {
    const sorted = [...members].sort((a, b) => v(a) - v(b) || a - b);
    let stake = 0n;
    for (const e of sorted) stake += input.stake[e];
    let run = 0n;
    for (const e of sorted) {
      run += input.stake[e];
      if (run * 2n >= stake) return v(e);
    }
    return v(sorted[sorted.length - 1]);
  };
  const low = idx.slice(0, at + 1);
  const high = idx.slice(at + 1);
  const c0 = median(low, (e) => m[e] as number);
  const c1 = median(high, (e) => m[e] as number);
  return {
    gap: widest,
    centres: [c0, c1],
    spreads: [median(low, (e) => Math.abs((m[e] as number) - c0)), median(high, (e) => Math.abs((m[e] as number) - c1))],
  };
}
