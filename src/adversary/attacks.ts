import { InputError } from "../errors";

/** Magnitudes of the attacks (quality points on 0..10, probabilities in [0, 1], rounds). */
export type AttackParams = {
  /** Boosting / sabotage / collusion / intermittent / pump / sleeper / pulse / gold-aware shift b. */
  boost: number;
  /** Noise attack: standard deviation of the added error. */
  sigma: number;
  /** Intermittent: probability that a given score is an attack. */
  p: number;
  /** Lazy: the constant reported; also the copiers' report before any consensus exists. */
  lazyValue: number;
  /** Camouflage: the small shift added to every score (inside the honest band). */
  camouflage: number;
  /** Sleeper: honest rounds before it starts boosting. */
  sleeperRounds: number;
  /** Pulse: boosts in every period-th round (rounds period, 2 period, ...), honest in the others. */
  period: number;
  /** Camp-shield: share of the coalition that boosts; the rest forms a camp with the camouflage shift. */
  shieldShare: number;
};

export const DEFAULT_ATTACK_PARAMS: Readonly<AttackParams> = Object.freeze({ boost: 3, sigma: 3, p: 0.5, lazyValue: 5, camouflage: 1, sleeperRounds: 5, period: 2, shieldShare: 0.2 });

/** What an attacker knows when it scores one task. */
export type AttackContext = {
  /** The score it would report if honest (0..10, with its own bias and noise). */
  honest: number;
  /** A standard normal draw and a uniform draw in [0, 1), pre-drawn so every rule sees the same randomness. */
  z: number;
  u: number;
  /** True when the task's output comes from the coalition's favoured inference node (collusion, pump). */
  targetNode: boolean;
  /** Mean consensus of the previous round under the rule being simulated (0..10), or null in round 1. */
  lastConsensus: number | null;
  /** Mean consensus of this task's inference node in the previous round (0..10), or null / absent. */
  lastNodeConsensus?: number | null;
  /** Mean of the honest scores of the coalition members assigned to this task (copy-bloc); absent: its own. */
  blocMean?: number;
  /** True on a gold task (an attacker that recognises gold tasks: gold-aware); absent: false. */
  gold?: boolean;
  /** Round index, 0-based; absent: 0. */
  round?: number;
  /** This attacker's rank in the coalition (0-based, address order) and the coalition's size; absent: 0 and 1. */
  member?: number;
  coalition?: number;
  params: AttackParams;
};

/** A score of NaN means the attacker reports UNAVAILABLE (65535) for that output. */
export type Attack = {
  name: string;
  description: string;
  /** Shift beyond the honest band on every attacking score: the detection target applies (recall within 10 rounds). */
  persistent: boolean;
  /** Round (0-based) of its first attack. */
  firstAttackRound: (p: AttackParams) => number;
  /** Reports carry no information about the output: the peer-prediction payment's target (<= 25% of fair share). */
  uninformative: boolean;
  /** Which coalition members the detection target covers (by rank); absent: all of them. */
  detectable?: (member: number, coalition: number, p: AttackParams) => boolean;
  score: (c: AttackContext) => number;
};

const clamp10 = (x: number): number => (x < 0 ? 0 : x > 10 ? 10 : x);
const boost = (c: AttackContext): number => Math.min(10, c.honest + c.params.boost);
const first = (_p: AttackParams): number => 0;
const shieldBooster = (member: number, coalition: number, p: AttackParams): boolean => member < Math.round(p.shieldShare * coalition);

export const ATTACKS = {
  none: { name: "none", description: "no attack: malicious evaluators score honestly", persistent: false, uninformative: false, firstAttackRound: first, score: (c) => c.honest },
  noise: { name: "noise", description: "random error: s + N(0, sigma^2)", persistent: false, uninformative: false, firstAttackRound: first, score: (c) => clamp10(c.honest + c.params.sigma * c.z) },
  boosting: { name: "boosting", description: "s' = min(10, s + b)", persistent: true, uninformative: false, firstAttackRound: first, score: boost },
  sabotage: { name: "sabotage", description: "s' = max(0, s - b)", persistent: true, uninformative: false, firstAttackRound: first, score: (c) => Math.max(0, c.honest - c.params.boost) },
  intermittent: {
    name: "intermittent",
    description: "boosting with probability p per score, honest otherwise",
    persistent: false,
    uninformative: false,
    firstAttackRound: first,
    score: (c) => (c.u < c.params.p ? boost(c) : c.honest),
  },
  collusion: {
    name: "collusion",
    description: "a coalition boosts one inference node (min(10, s + b)) and sabotages the rest (max(0, s - b))",
    persistent: true,
    uninformative: false,
    firstAttackRound: first,
    score: (c) => (c.targetNode ? boost(c) : Math.max(0, c.honest - c.params.boost)),
  },
  camouflage: {
    name: "camouflage",
    description: "a small shift on every score, inside the honest band: s' = min(10, s + camouflage)",
    persistent: false,
    uninformative: false,
    firstAttackRound: first,
    score: (c) => clamp10(c.honest + c.params.camouflage),
  },
  pump: {
    name: "pump",
    description: "boosts one inference node's outputs only (min(10, s + b)), honest elsewhere",
    persistent: true,
    uninformative: false,
    firstAttackRound: first,
    score: (c) => (c.targetNode ? boost(c) : c.honest),
  },
  "copy-bloc": {
    name: "copy-bloc",
    description: "co-assigned colluders all report the mean of their members' honest scores on the task",
    persistent: false,
    uninformative: false,
    firstAttackRound: first,
    score: (c) => c.blocMean ?? c.honest,
  },
  sleeper: {
    name: "sleeper",
    description: "honest for sleeperRounds rounds, then boosting",
    persistent: true,
    uninformative: false,
    firstAttackRound: (p) => p.sleeperRounds,
    score: (c) => ((c.round ?? 0) >= c.params.sleeperRounds ? boost(c) : c.honest),
  },
  pulse: {
    name: "pulse",
    description: "boosting in every period-th round, honest in the others",
    persistent: false,
    uninformative: false,
    firstAttackRound: (p) => Math.max(0, Math.round(p.period) - 1),
    score: (c) => (((c.round ?? 0) + 1) % Math.max(1, Math.round(c.params.period)) === 0 ? boost(c) : c.honest),
  },
  "gold-aware": {
    name: "gold-aware",
    description: "recognises gold tasks: honest on them, boosting everywhere else",
    persistent: true,
    uninformative: false,
    firstAttackRound: first,
    score: (c) => (c.gold ? c.honest : boost(c)),
  },
  "camp-shield": {
    name: "camp-shield",
    description:
      "most of the coalition forms a camp with a steady shift inside the honest band (s + camouflage) to split the evaluators in two; the rest (shieldShare) boosts beside it, hoping the split shields it",
    persistent: true,
    uninformative: false,
    firstAttackRound: first,
    detectable: shieldBooster,
    score: (c) => (shieldBooster(c.member ?? 0, c.coalition ?? 1, c.params) ? boost(c) : clamp10(c.honest + c.params.camouflage)),
  },
  abstain: {
    name: "abstain",
    description: "reports UNAVAILABLE (65535) for every output: never a score (its seats are lost; the MAE floor of discarding them)",
    persistent: false,
    uninformative: true,
    firstAttackRound: first,
    score: (_c: AttackContext) => Number.NaN,
  },
  lazy: { name: "lazy", description: "reports a constant without looking", persistent: false, uninformative: true, firstAttackRound: first, score: (c) => c.params.lazyValue },
  copycat: {
    name: "copycat",
    description: "reports last round's mean consensus without looking",
    persistent: false,
    uninformative: true,
    firstAttackRound: first,
    score: (c) => c.lastConsensus ?? c.params.lazyValue,
  },
  "node-copier": {
    name: "node-copier",
    description: "never reads outputs: reports last round's public mean consensus of the task's inference node",
    persistent: false,
    uninformative: true,
    firstAttackRound: first,
    score: (c) => c.lastNodeConsensus ?? c.lastConsensus ?? c.params.lazyValue,
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
