import { type Address, type Hex, getAddress, keccak256, stringToBytes } from "viem";
import { assignEvaluators } from "../consensus/assignment";
import type { LoggedOutput } from "../data/logged";
import { InputError } from "../errors";
import { type AttackName, type AttackParams, DEFAULT_ATTACK_PARAMS, getAttack } from "../adversary/attacks";
import { costUnits, groundTruth } from "./groundTruth";
import { type HonestMode, honestSignal } from "./honestScore";
import { Rng } from "../math/prng";

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

/**
 * How honest evaluators score: "independent" scorers, each with its own steady offset ~ U(-honestBias, honestBias)
 * and per-score noise sd ~ U(honestSigmaMin, honestSigmaMax) around the shared signal; or "shared": every honest
 * evaluator runs the same deterministic scorer and reports the shared signal exactly (identical scores).
 */
export type HonestModel = "independent" | "shared";
export const HONEST_MODELS: readonly HonestModel[] = ["independent", "shared"];

/** The population and the rounds' draws, independent of the rule, so every rule faces identical randomness. */
export type ScenarioConfig = {
  rounds: number;
  evaluators: number;
  k: number;
  /** The coalition's share of evaluator stake (and of identities when it does not split: sybil 0). */
  maliciousRatio: number;
  attack: AttackName;
  seed: string;
  /** Tasks per round; 0 = max(200, ceil(items / rounds)), so a run covers the whole file. */
  tasksPerRound: number;
  goldFraction: number;
  attackParams: AttackParams;
  honestBias: number;
  honestSigmaMin: number;
  honestSigmaMax: number;
  honestModel: HonestModel;
  /**
   * Sybil split: 0 = the coalition holds round(ratio x evaluators) identities of the honest stake each; s in (0, 1):
   * the same total stake split evenly across as many identities as make them a share s of all identities.
   */
  sybil: number;
};

export const DEFAULT_SCENARIO: ScenarioConfig = {
  rounds: 20,
  evaluators: 50,
  k: 7,
  maliciousRatio: 0.3,
  attack: "boosting",
  seed: "1",
  tasksPerRound: 0,
  goldFraction: 0.05,
  attackParams: { ...DEFAULT_ATTACK_PARAMS },
  honestBias: 1.0,
  honestSigmaMin: 0.3,
  honestSigmaMax: 1.5,
  honestModel: "independent",
  sybil: 0,
};

/** Stake of one honest identity in the simulator (10 tokens). */
export const HONEST_STAKE = 10n * 10n ** 18n;

export type RoundPlan = {
  item: Int32Array;
  /** Gold quality 0..10000 or -1. */
  gold: Int32Array;
  /** Per task: the k draws (evaluator indexes, with repeats), as assignEvaluators returned them. */
  draws: Int32Array[];
  /** Per task: distinct evaluators in first-draw order, and per distinct evaluator its honest score and randomness. */
  members: Int32Array[];
  honest: Float64Array[];
  z: Float64Array[];
  u: Float64Array[];
};

export type Population = {
  addresses: Address[];
  stakes: bigint[];
  malicious: Uint8Array;
  /** The coalition's share of evaluator stake: its fair share of the evaluator pool. */
  fairShare: number;
};

export type Scenario = {
  config: ScenarioConfig;
  population: Population;
  malicious: Uint8Array;
  maliciousCount: number;
  targetNode: number;
  nodeAddresses: Address[];
  rounds: RoundPlan[];
};

function check(cond: boolean, message: string): void {
  if (!cond) throw new InputError(message);
}

export function validateScenario(c: ScenarioConfig): void {
  check(Number.isInteger(c.rounds) && c.rounds >= 1, `--rounds must be an integer >= 1, got ${c.rounds}`);
  check(Number.isInteger(c.evaluators) && c.evaluators >= 1, `--evaluators must be an integer >= 1, got ${c.evaluators}`);
  check(Number.isInteger(c.k) && c.k >= 1 && c.k <= 1000, `--k must be an integer in 1..1000, got ${c.k}`);
  check(Number.isFinite(c.maliciousRatio) && c.maliciousRatio >= 0 && c.maliciousRatio <= 1, `--malicious must be a ratio in [0, 1], got ${c.maliciousRatio}`);
  getAttack(c.attack);
  check(Number.isInteger(c.tasksPerRound) && c.tasksPerRound >= 0, `--tasks must be an integer >= 1 (or 0 for the default), got ${c.tasksPerRound}`);
  check(Number.isFinite(c.goldFraction) && c.goldFraction >= 0 && c.goldFraction < 1, `--gold must be a fraction in [0, 1), got ${c.goldFraction}`);
  const a = c.attackParams;
  check(Number.isFinite(a.boost) && a.boost >= 0 && a.boost <= 10, `--boost must be in [0, 10], got ${a.boost}`);
  check(Number.isFinite(a.sigma) && a.sigma >= 0, `--sigma must be >= 0, got ${a.sigma}`);
  check(Number.isFinite(a.p) && a.p >= 0 && a.p <= 1, `--p must be a probability in [0, 1], got ${a.p}`);
  check(Number.isFinite(a.lazyValue) && a.lazyValue >= 0 && a.lazyValue <= 10, `--lazy-value must be in [0, 10], got ${a.lazyValue}`);
  check(Number.isFinite(a.camouflage) && a.camouflage >= -10 && a.camouflage <= 10, `--camouflage must be in [-10, 10], got ${a.camouflage}`);
  check(Number.isInteger(a.sleeperRounds) && a.sleeperRounds >= 0, `--sleeper-rounds must be an integer >= 0, got ${a.sleeperRounds}`);
  check(Number.isInteger(a.period) && a.period >= 1, `--period must be an integer >= 1, got ${a.period}`);
  check(Number.isFinite(a.shieldShare) && a.shieldShare >= 0 && a.shieldShare <= 1, `--shield-share must be a fraction in [0, 1], got ${a.shieldShare}`);
  check(Number.isFinite(c.honestBias) && c.honestBias >= 0 && c.honestBias <= 10, `--honest-bias must be in [0, 10], got ${c.honestBias}`);
  check(
    Number.isFinite(c.honestSigmaMin) && Number.isFinite(c.honestSigmaMax) && c.honestSigmaMin >= 0 && c.honestSigmaMax >= c.honestSigmaMin,
    `--honest-sigma must be "min,max" with 0 <= min <= max, got ${c.honestSigmaMin},${c.honestSigmaMax}`,
  );
  check((HONEST_MODELS as readonly string[]).includes(c.honestModel), `--honest-model must be one of ${HONEST_MODELS.join(", ")}, got ${c.honestModel}`);
  check(Number.isFinite(c.sybil) && c.sybil >= 0 && c.sybil < 1, `--sybil must be a share of identities in [0, 1), got ${c.sybil}`);
}

/** Tasks per round: the configured number, or max(200, items / rounds) so a run covers the whole file. */
export function tasksPerRound(data: SimData, config: Pick<ScenarioConfig, "tasksPerRound" | "rounds">): number {
  return config.tasksPerRound > 0 ? config.tasksPerRound : Math.max(200, Math.ceil(data.truth.length / config.rounds));
}

const simAddress = (label: string): Address => getAddress(`0x${keccak256(stringToBytes(label)).slice(26)}`);

/**
 * The evaluator population: honest identities of HONEST_STAKE each, and a coalition holding `maliciousRatio` of the
 * stake, either as round(ratio x evaluators) identities of the same stake (sybil 0), or split evenly (to the wei)
 * across as many identities as make a share `sybil` of all identities. Identities are shuffled by the seed.
 */
export function buildPopulation(config: Pick<ScenarioConfig, "evaluators" | "maliciousRatio" | "sybil" | "seed">): Population {
  const M = config.evaluators;
  const wholeBad = Math.round(config.maliciousRatio * M);
  const honest = M - wholeBad;
  let badStakes: bigint[];
  if (config.sybil > 0 && wholeBad > 0) {
    const n = Math.max(1, Math.round((config.sybil * honest) / (1 - config.sybil)));
    const total = BigInt(wholeBad) * HONEST_STAKE;
    badStakes = Array.from({ length: n }, (_, i) => total / BigInt(n) + (BigInt(i) < total % BigInt(n) ? 1n : 0n));
  } else badStakes = new Array<bigint>(wholeBad).fill(HONEST_STAKE);
  const count = honest + badStakes.length;
  const order = Rng.of(config.seed, "population-order", count).permutation(count);
  const stakes = new Array<bigint>(count);
  const malicious = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const slot = order[i];
    if (i < badStakes.length) {
      stakes[slot] = badStakes[i];
      malicious[slot] = 1;
    } else stakes[slot] = HONEST_STAKE;
  }
  const addresses = Array.from({ length: count }, (_, i) => simAddress(`poq-sim/evaluator/${i}`));
  const totalStake = stakes.reduce((s, x) => s + x, 0n);
  const badTotal = badStakes.reduce((s, x) => s + x, 0n);
  return { addresses, stakes, malicious, fairShare: totalStake > 0n ? Number((badTotal * 1_000_000n) / totalStake) / 1e6 : 0 };
}

/** The bytes32 seed of simulated round r (0-based): what the chain records at round open. */
export function simRoundSeed(seed: string, r: number): Hex {
  return keccak256(stringToBytes(`poq-sim/${seed}/round/${r}`));
}

const assignmentCache = new Map<string, Int32Array[][]>();

/** Round r's draws by the protocol's assignment rule (assignEvaluators) from a per-round seed; cached per population. */
function roundDraws(pop: Population, seed: string, rounds: number, T: number, k: number): Int32Array[][] {
  const key = `${seed}|${rounds}|${T}|${k}|${pop.addresses.length}|${pop.stakes.join(",")}`;
  const hit = assignmentCache.get(key);
  if (hit) return hit;
  const index = new Map(pop.addresses.map((a, i) => [a, i]));
  const evaluators = pop.addresses.map((address, i) => ({ address, stake: pop.stakes[i] }));
  const out: Int32Array[][] = [];
  for (let r = 0; r < rounds; r++) {
    const roundSeed = simRoundSeed(seed, r);
    const { byTask } = assignEvaluators({ seed: roundSeed, taskCount: T, k, evaluators });
    out.push(byTask.map((row) => Int32Array.from(row, (a) => index.get(a)!)));
  }
  if (assignmentCache.size > 64) assignmentCache.clear();
  assignmentCache.set(key, out);
  return out;
}

/** Draws the population and every round's tasks, assignment and randomness from the seed. */
export function buildScenario(data: SimData, configIn: ScenarioConfig): Scenario {
  validateScenario(configIn);
  const config = { ...configIn, tasksPerRound: tasksPerRound(data, configIn) };
  const { k, tasksPerRound: T, seed } = config;
  const population = buildPopulation(config);
  const M = population.addresses.length;
  const pop = Rng.of(seed, "population");
  const shared = config.honestModel === "shared";
  const bias = Float64Array.from({ length: M }, () => (shared ? 0 : pop.uniform(-config.honestBias, config.honestBias)));
  const sigma = Float64Array.from({ length: M }, () => (shared ? 0 : pop.uniform(config.honestSigmaMin, config.honestSigmaMax)));
  const targetNode = Rng.of(seed, "target").int(data.nodeNames.length);
  const N = data.truth.length;
  const perm = Rng.of(seed, "tasks").permutation(N);
  const goldCount = Math.round(config.goldFraction * T);
  const draws = roundDraws(population, seed, config.rounds, T, k);

  const rounds: RoundPlan[] = [];
  for (let r = 0; r < config.rounds; r++) {
    const item = new Int32Array(T);
    for (let i = 0; i < T; i++) item[i] = perm[(r * T + i) % N];
    const gold = new Int32Array(T).fill(-1);
    for (const g of Rng.of(seed, "gold", r).sample(T, goldCount)) gold[g] = Math.round(data.truth[item[g]] * 1000);
    const noise = Rng.of(seed, "honest", r);
    const attackRng = Rng.of(seed, "attack", r);
    const members: Int32Array[] = [];
    const honest: Float64Array[] = [];
    const z: Float64Array[] = [];
    const u: Float64Array[] = [];
    for (let t = 0; t < T; t++) {
      const m = Int32Array.from(new Set(draws[r][t]));
      members.push(m);
      honest.push(Float64Array.from(m, (e) => Math.min(10, Math.max(0, data.base[item[t]] + bias[e] + sigma[e] * noise.normal()))));
      z.push(Float64Array.from(m, () => attackRng.normal()));
      u.push(Float64Array.from(m, () => attackRng.next()));
    }
    rounds.push({ item, gold, draws: draws[r], members, honest, z, u });
  }
  const nodeAddresses = data.nodeNames.map((n) => simAddress(`poq-sim/node/${n}`));
  let maliciousCount = 0;
  for (const x of population.malicious) maliciousCount += x;
  return { config, population, malicious: population.malicious, maliciousCount, targetNode, nodeAddresses, rounds };
}
