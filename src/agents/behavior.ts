import { ATTACKS, DEFAULT_ATTACK_PARAMS, type AttackName } from "../adversary/attacks";
import { Rng } from "../math/prng";

/**
 * How an evaluator agent reports: honestly, with one of the simulator's attack models, or by committing and
 * never revealing. Used in demos and tests; a production evaluator runs "honest".
 */
export const BEHAVIORS = ["honest", "never-reveal", ...Object.keys(ATTACKS).filter((a) => a !== "none")] as const;
export type Behavior = (typeof BEHAVIORS)[number];

export type BehaviorContext = {
  evaluator: string;
  roundId: bigint;
  /** Inference node of each scored task, for collusion (the coalition favours `target`). */
  nodes: string[];
  target?: string;
};

/**
 * Applies the behavior to honest qualities (0..10), deterministically: the randomness is seeded by the evaluator
 * and the round, so a restarted agent reports exactly what it committed to.
 */
export function applyBehavior(behavior: Behavior, honest: readonly number[], c: BehaviorContext): number[] {
  if (behavior === "honest" || behavior === "never-reveal") return [...honest];
  const attack = ATTACKS[behavior as AttackName];
  const rng = Rng.of("poq-behavior", c.evaluator.toLowerCase(), c.roundId.toString());
  const target = (c.target ?? [...c.nodes].sort()[0] ?? "").toLowerCase();
  return honest.map((h, i) =>
    attack.score({
      honest: h,
      z: rng.normal(),
      u: rng.next(),
      targetNode: c.nodes[i]?.toLowerCase() === target,
      lastConsensus: null,
      params: DEFAULT_ATTACK_PARAMS,
    }),
  );
}
