/** Reasons the settlement contract accepts. */
export const SlashReason = { NonReveal: 1, LowTrust: 2 } as const;
export type SlashReason = (typeof SlashReason)[keyof typeof SlashReason];

export type SlashingInput = {
  /** Trust after this round (ppm), per evaluator (index order = address order). */
  trust: Int32Array;
  /** Low-trust streak before this round, per evaluator. */
  lowStreak: Int32Array;
  /** 1 for evaluators assigned this round (revealed or not). */
  participated: Uint8Array;
  nonRevealed: Uint8Array;
  /** False for stateless rules: they never slash for low trust. */
  usesTrust: boolean;
  thresholdPpm: number;
  afterRounds: number;
  maxSlashes: number;
};

export type SlashingOutput = {
  lowStreak: Int32Array;
  /** Sorted by evaluator index (address order), at most maxSlashes long. */
  slashes: { evaluator: number; reason: SlashReason }[];
};

/**
 * Slashing policy. An evaluator that was assigned work and did not reveal is slashed (NonReveal). An evaluator
 * whose trust stays below the threshold for K consecutive rounds in which it was assigned work is slashed
 * (LowTrust), and its streak restarts, so a persistently bad evaluator is slashed at most once every K rounds.
 * Rounds without an assignment leave the streak unchanged. At most maxSlashes per round: non-reveals first, then
 * the lowest trust, then the lowest address; a LowTrust candidate left out keeps its streak and comes back next
 * round. The amount taken per slash is bounded on chain by the StakeVault's per-round cap.
 */
export function applySlashingPolicy(input: SlashingInput): SlashingOutput {
  const n = input.trust.length;
  const lowStreak = Int32Array.from(input.lowStreak);
  const nonReveal: number[] = [];
  const lowTrust: number[] = [];
  for (let e = 0; e < n; e++) {
    if (!input.participated[e]) continue;
    if (input.usesTrust) lowStreak[e] = input.trust[e] < input.thresholdPpm ? lowStreak[e] + 1 : 0;
    if (input.nonRevealed[e]) nonReveal.push(e);
    else if (input.usesTrust && lowStreak[e] >= input.afterRounds) lowTrust.push(e);
  }
  lowTrust.sort((a, b) => input.trust[a] - input.trust[b] || a - b);
  const chosen: { evaluator: number; reason: SlashReason }[] = [];
  for (const e of nonReveal) if (chosen.length < input.maxSlashes) chosen.push({ evaluator: e, reason: SlashReason.NonReveal });
  for (const e of lowTrust) {
    if (chosen.length >= input.maxSlashes) break;
    chosen.push({ evaluator: e, reason: SlashReason.LowTrust });
    lowStreak[e] = 0;
  }
  chosen.sort((a, b) => a.evaluator - b.evaluator);
  return { lowStreak, slashes: chosen };
}
