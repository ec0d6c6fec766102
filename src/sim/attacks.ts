import { InputError } from "../errors";

/** Magnitudes of the attacks (quality points on 0..10, probabilities in [0, 1]). */
export type AttackParams = {
  /** Boosting / sabotage / collusion / intermittent shift b. */
  boost: number;
  /** Noise attack: standard deviation of the added error. */
  sigma: number;
  /** Intermittent: probability that a given score is an attack. */
  p: number;
  /** Lazy: the constant reported; also copycat's report before any consensus exists. */
  lazyValue: number;
};

export const DEFAULT_ATTACK_PARAMS: Readonly<AttackParams> = Object.freeze({ boost: 3, sigma: 3, p: 0.5, lazyValue: 5 });

/** What an attacker knows when it scores one task. */
export type AttackContext = {
  /** The score it would report if honest (0..10, with its own bias and noise). */
  honest: number;
  /** A standard normal draw and a uniform draw in [0, 1), pre-drawn so every rule sees the same randomness. */
  z: number;
  u: number;
  /** True when the task's output comes from the coalition's favoured inference node (collusion). */
  targetNode: boolean;
  /** Mean consensus of the previous round under the rule being simulated (0..10), or null in round 1. */
  lastConsensus: number | null;
  params: AttackParams;
};

export type Attack = { name: string; description: string; persistent: boolean; score: (c: AttackContext) => number };

const clamp10 = (x: number): number => (x < 0 ? 0 : x > 10 ? 10 : x);

export const ATTACKS = {
  none: { name: "none", description: "no attack: malicious evaluators score honestly", persistent: false, score: (c) => c.honest },
  noise: { name: "noise", description: "random error: s + N(0, sigma^2)", persistent: false, score: (c) => clamp10(c.honest + c.params.sigma * c.z) },
  boosting: { name: "boosting", description: "s' = min(10, s + b)", persistent: true, score: (c) => Math.min(10, c.honest + c.params.boost) },
  sabotage: { name: "sabotage", description: "s' = max(0, s - b)", persistent: true, score: (c) => Math.max(0, c.honest - c.params.boost) },
  intermittent: {
    name: "intermittent",
    description: "boosting with probability p per score, honest otherwise",
    persistent: false,
    score: (c) => (c.u < c.params.p ? Math.min(10, c.honest + c.params.boost) : c.honest),
  },
  collusion: {
    name: "collusion",
    description: "a coalition boosts one inference node (min(10, s + b)) and sabotages the rest (max(0, s - b))",
    persistent: true,
    score: (c) => (c.targetNode ? Math.min(10, c.honest + c.params.boost) : Math.max(0, c.honest - c.params.boost)),
  },
  lazy: { name: "lazy", description: "reports a constant without looking", persistent: true, score: (c) => c.params.lazyValue },
  copycat: {
    name: "copycat",
    description: "reports last round's mean consensus without looking",
    persistent: true,
    score: (c) => c.lastConsensus ?? c.params.lazyValue,
  },
} as const satisfies Record<string, Attack>;

export type AttackName = keyof typeof ATTACKS;
export const ATTACK_NAMES = Object.keys(ATTACKS).filter((a) => a !== "none") as AttackName[];

export function getAttack(name: string): Attack {
  if (!Object.prototype.hasOwnProperty.call(ATTACKS, name)) {
    throw new InputError(`unknown attack "${name}"`, { details: `known attacks: ${Object.keys(ATTACKS).join(", ")}` });
  }
  return ATTACKS[name as AttackName];
}
