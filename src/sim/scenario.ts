import type { LoggedOutput } from "../data/logged";
import { InputError } from "../errors";
import { type AttackName, type AttackParams, DEFAULT_ATTACK_PARAMS, getAttack } from "./attacks";
import { costUnits, groundTruth } from "./groundTruth";
import { type HonestMode, honestSignal } from "./honestScore";
import { Rng } from "./prng";

/** A logged-outputs file prepared for simulation: truth, honest signal, inference node and cost per item. */
export type SimData = {
  name: string;
  truth: Float64Array;
  base: Float64Array;
  source: "composite" | "composite-moments" | "composite-raw" | "label";
  node: Int32Array;
  nodeNames: string[];
  cost: bigint[];
};

export function prepareData(items: LoggedOutput[], honest: HonestMode, name = "data"): SimData {
  if (items.length === 0) throw new InputError("no outputs to simulate");
  const signal = honestSignal(items, honest);
  const nodeNames = [...new Set(items.map((i) => i.model))].sort();
  const nodeIdx = new Map(nodeNames.map((n, i) => [n, i]));
  return {
    name,
    truth: Float64Array.from(items, groundTruth),
    base: signal.base,
    source: signal.source,
    node: Int32Array.from(items, (i) => nodeIdx.get(i.model)!),
    nodeNames,
    cost: items.map(costUnits),
  };
}

/** The population and the rounds' draws, independent of the rule, so every rule faces identical randomness. */
export type ScenarioConfig = {
  rounds: number;
  evaluators: number;
  k: number;
  maliciousRatio: number;
  attack: AttackName;
  seed: string;
  /** Tasks per round; 0 = max(200, ceil(items / rounds)), so a run covers the whole file. */
  tasksPerRound: number;
  goldFraction: number;
  attackParams: AttackParams;
  /**
   * Honest evaluator e has a systematic offset ~ U(-honestBias, honestBias) and per-score noise sd ~
   * U(honestSigmaMin, honestSigmaMax), in points on 0..10, clamped to 0..10 (see docs/consensus.md for the choice).
   */
  honestBias: number;
  honestSigmaMin: number;
  honestSigmaMax: number;
};

export const DEFAULT_SCENARIO: Omit<ScenarioConfig, "attack"> & { attack: AttackName } = {
  rounds: 20,
  evaluators: 50,
  k: 7,
  maliciousRatio: 0.3,
  attack: "boosting",
  seed: "1",
  tasksPerRound: 0,
  goldFraction: 0.05,
  attackParams: { ...DEFAULT_ATTACK_PARAMS },
  honestBias: 0.3,
  honestSigmaMin: 0.3,
  honestSigmaMax: 0.9,
};

export type RoundPlan = {
  item: Int32Array;
  /** Gold quality 0..10000 or -1. */
  gold: Int32Array;
  start: Int32Array;
  evaluator: Int32Array;
  /** The entry's evaluator's honest score on 0..10 (its own bias and noise included). */
  honest: Float64Array;
  z: Float64Array;
  u: Float64Array;
};

export type Scenario = {
  config: ScenarioConfig;
  malicious: Uint8Array;
  maliciousCount: number;
  targetNode: number;
  rounds: RoundPlan[];
};

function check(cond: boolean, message: string): void {
  if (!cond) throw new InputError(message);
}

export function validateScenario(c: ScenarioConfig): void {
  check(Number.isInteger(c.rounds) && c.rounds >= 1, `--rounds must be an integer >= 1, got ${c.rounds}`);
  check(Number.isInteger(c.evaluators) && c.evaluators >= 1, `--evaluators must be an integer >= 1, got ${c.evaluators}`);
  check(Number.isInteger(c.k) && c.k >= 1, `--k must be an integer >= 1, got ${c.k}`);
  check(c.k <= c.evaluators, `--k (${c.k}) is larger than the number of evaluators (${c.evaluators})`);
  check(Number.isFinite(c.maliciousRatio) && c.maliciousRatio >= 0 && c.maliciousRatio <= 1, `--malicious must be a ratio in [0, 1], got ${c.maliciousRatio}`);
  getAttack(c.attack);
  check(Number.isInteger(c.tasksPerRound) && c.tasksPerRound >= 0, `--tasks must be an integer >= 1 (or 0 for the default), got ${c.tasksPerRound}`);
  check(Number.isFinite(c.goldFraction) && c.goldFraction >= 0 && c.goldFraction < 1, `--gold must be a fraction in [0, 1), got ${c.goldFraction}`);
  const a = c.attackParams;
  check(Number.isFinite(a.boost) && a.boost >= 0 && a.boost <= 10, `--boost must be in [0, 10], got ${a.boost}`);
  check(Number.isFinite(a.sigma) && a.sigma >= 0, `--sigma must be >= 0, got ${a.sigma}`);
  check(Number.isFinite(a.p) && a.p >= 0 && a.p <= 1, `--p must be a probability in [0, 1], got ${a.p}`);
  check(Number.isFinite(a.lazyValue) && a.lazyValue >= 0 && a.lazyValue <= 10, `--lazy-value must be in [0, 10], got ${a.lazyValue}`);
  check(Number.isFinite(c.honestBias) && c.honestBias >= 0 && c.honestBias <= 10, `--honest-bias must be in [0, 10], got ${c.honestBias}`);
  check(
    Number.isFinite(c.honestSigmaMin) && Number.isFinite(c.honestSigmaMax) && c.honestSigmaMin >= 0 && c.honestSigmaMax >= c.honestSigmaMin,
    `--honest-sigma must be "min,max" with 0 <= min <= max, got ${c.honestSigmaMin},${c.honestSigmaMax}`,
  );
}

/** Draws the population and every round's tasks, assignment and randomness from the seed. */
export function tasksPerRound(data: SimData, config: Pick<ScenarioConfig, "tasksPerRound" | "rounds">): number {
  return config.tasksPerRound > 0 ? config.tasksPerRound : Math.max(200, Math.ceil(data.truth.length / config.rounds));
}

export function buildScenario(data: SimData, configIn: ScenarioConfig): Scenario {
  validateScenario(configIn);
  const config = { ...configIn, tasksPerRound: tasksPerRound(data, configIn) };
  const { evaluators: M, k, tasksPerRound: T, seed } = config;
  const maliciousCount = Math.round(config.maliciousRatio * M);
  const malicious = new Uint8Array(M);
  const order = Rng.of(seed, "malicious").permutation(M);
  for (let i = 0; i < maliciousCount; i++) malicious[order[i]] = 1;
  const pop = Rng.of(seed, "population");
  const bias = Float64Array.from({ length: M }, () => pop.uniform(-config.honestBias, config.honestBias));
  const sigma = Float64Array.from({ length: M }, () => pop.uniform(config.honestSigmaMin, config.honestSigmaMax));
  const targetNode = Rng.of(seed, "target").int(data.nodeNames.length);
  const N = data.truth.length;
  const perm = Rng.of(seed, "tasks").permutation(N);
  const goldCount = Math.round(config.goldFraction * T);

  const rounds: RoundPlan[] = [];
  const scratch = new Int32Array(M);
  for (let r = 0; r < config.rounds; r++) {
    const item = new Int32Array(T);
    for (let i = 0; i < T; i++) item[i] = perm[(r * T + i) % N];
    const gold = new Int32Array(T).fill(-1);
    for (const g of Rng.of(seed, "gold", r).sample(T, goldCount)) gold[g] = Math.round(data.truth[item[g]] * 1000);
    const start = new Int32Array(T + 1);
    const evaluator = new Int32Array(T * k);
    const honest = new Float64Array(T * k);
    const z = new Float64Array(T * k);
    const u = new Float64Array(T * k);
    const draw = Rng.of(seed, "assign", r);
    const noise = Rng.of(seed, "honest", r);
    const attackRng = Rng.of(seed, "attack", r);
    for (let t = 0; t < T; t++) {
      start[t] = t * k;
      const picked = draw.sample(M, k, scratch);
      for (let j = 0; j < k; j++) {
        const p = t * k + j;
        const e = picked[j];
        evaluator[p] = e;
        honest[p] = Math.min(10, Math.max(0, data.base[item[t]] + bias[e] + sigma[e] * noise.normal()));
        z[p] = attackRng.normal();
        u[p] = attackRng.next();
      }
    }
    start[T] = T * k;
    rounds.push({ item, gold, start, evaluator, honest, z, u });
  }
  return { config, malicious, maliciousCount, targetNode, rounds };
}
