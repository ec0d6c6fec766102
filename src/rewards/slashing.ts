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
  /** Two-camp test: a gap at least this wide (score units) between the camps trips the breaker (0: no test). */
  splitGap?: number;
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
};

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
 * breakerPpm of the revealed stake, the evidence itself is in doubt (a bloc that large can capture references), so no slash is emitted and every revealer's streak restarts:
 * a slash then needs afterRounds consecutive rounds without the breaker.
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
  const splitGap = campGap(input);
  const tripped = input.usesTrust && (flaggedStakePpm > input.breakerPpm || (!!input.splitGap && splitGap >= input.splitGap));
  const breaker = { tripped, flaggedStakePpm, confirmedStakePpm, splitGap };
  if (!input.usesTrust) return { lowStreak, slashes: [], breaker };
  if (tripped) {
    // The evidence itself is in doubt: no slash, and every revealer's streak starts over.
    for (let e = 0; e < n; e++) if (input.revealed[e]) lowStreak[e] = 0;
    return { lowStreak, slashes: [], breaker };
  }
  const lowTrust: number[] = [];
  for (let e = 0; e < n; e++) {
    if (!input.revealed[e]) continue;
    lowStreak[e] = input.flagged[e] && input.confirmed[e] && input.trust[e] < input.thresholdPpm ? lowStreak[e] + 1 : 0;
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
 */
export function campGap(input: Pick<SlashingInput, "revealed" | "stake" | "breakerPpm" | "meanResidual">): number {
  const m = input.meanResidual;
  if (!m) return 0;
  const idx: number[] = [];
  let total = 0n;
  for (let e = 0; e < m.length; e++) {
    if (!input.revealed[e] || m[e] === null || input.stake[e] <= 0n) continue;
    idx.push(e);
    total += input.stake[e];
  }
  if (total === 0n) return 0;
  idx.sort((a, b) => (m[a] as number) - (m[b] as number) || a - b);
  const lo = BigInt(input.breakerPpm);
  const hi = 1_000_000n - lo;
  let below = 0n;
  let widest = 0;
  for (let i = 0; i + 1 < idx.length; i++) {
    below += input.stake[idx[i]];
    const share = (below * 1_000_000n) / total;
    if (share < lo || share > hi) continue;
    widest = Math.max(widest, (m[idx[i + 1]] as number) - (m[idx[i]] as number));
  }
  return widest;
}
