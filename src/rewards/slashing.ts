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
};

export type Breaker = {
  /** True when low-trust slashing is frozen this round (flags bit 0 on chain). */
  tripped: boolean;
  /** Stake of the suspect revealers (flagged, or near it) over the stake of all revealers (ppm, floored): the trigger. */
  flaggedStakePpm: number;
  /** Stake of the flagged revealers whose push is also confirmed (see the rule's confirm()), ppm. */
  confirmedStakePpm: number;
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
  const tripped = input.usesTrust && flaggedStakePpm > input.breakerPpm;
  const breaker = { tripped, flaggedStakePpm, confirmedStakePpm };
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
