import { type Address, type Hex, keccak256, stringToBytes, getAddress } from "viem";
import { assignEvaluators } from "../src/consensus/assignment";
import { buildRoundScores, type ScoreEntry } from "../src/consensus/round";
import { type RoundCoreInput, settleRoundCore } from "../src/rewards/settleRound";
import { buildSumTree, sumTreeClaims } from "../src/rewards/sumTree";
import { buildSettlement } from "../src/rewards/settlement";
import { settlementParams } from "../src/rewards/params";
import { Rng } from "../src/math/prng";
import { measure, round1, type Timing } from "./timing";

export type ConsensusSizes = { tasks: number; k: number; evaluators: number; nodes: number; accounts: number };
export const CONSENSUS_SIZES: ConsensusSizes = { tasks: 10_000, k: 7, evaluators: 1_000, nodes: 100, accounts: 10_000 };

function address(label: string): Address {
  return getAddress(`0x${keccak256(stringToBytes(label)).slice(26)}`);
}

/**
 * Times one 10,000-task x k = 7 round (1,000 evaluators, 100 inference nodes, 20% of them malicious; stake-weighted
 * draws with replacement): consensus + trust + rewards + slashing on indexes (the core of buildSettlement), the full
 * settlement payload (adds address handling, both Merkle trees and the inputs hash), the same two for a second round
 * that carries the first round's trust and per-node evidence, and a 10,000-account cumulative rewards tree with
 * every proof. Milliseconds (wall and CPU), median of a few runs after a warm-up. Keys name the sizes measured.
 */
export async function benchConsensus(sizes: ConsensusSizes = CONSENSUS_SIZES): Promise<Record<string, number>> {
  const { tasks: TASKS, k: K, evaluators: EVALUATORS, nodes: NODES, accounts: ACCOUNTS } = sizes;
  const rng = Rng.of("bench-consensus");
  const params = settlementParams();
  const evaluators = Array.from({ length: EVALUATORS }, (_, i) => ({ address: address(`evaluator-${i}`), stake: 10n ** 18n }));
  const nodes = Array.from({ length: NODES }, (_, i) => address(`node-${i}`));
  const seed: Hex = keccak256(stringToBytes("bench-seed"));

  let assignment!: ReturnType<typeof assignEvaluators>;
  const assignT = measure(() => (assignment = assignEvaluators({ seed, taskCount: TASKS, k: K, evaluators })));

  const truth = Array.from({ length: TASKS }, () => rng.int(10_001));
  const malicious = new Set(evaluators.filter(() => rng.chance(0.2)).map((e) => e.address));
  const reveals = new Map<Address, number[]>();
  for (const [a, tasks] of assignment.byEvaluator) {
    reveals.set(
      a,
      tasks.map((t) => {
        const s = Math.round(truth[t] + 800 * rng.normal()) + (malicious.has(a) ? 3000 : 0);
        return Math.max(0, Math.min(10_000, s));
      }),
    );
  }
  const tasks = truth.map((_, i) => ({ index: i, inferenceNode: nodes[i % NODES], costUnits: BigInt(100 + rng.int(900)) }));
  const input = {
    roundId: 1n,
    tasks,
    assignment,
    reveals,
    trust: new Map(),
    stakes: new Map(evaluators.map((e) => [e.address, e.stake] as [Address, bigint])),
    previousCumulative: new Map<Address, bigint>(),
    inferencePool: 10n ** 21n,
    evaluatorPool: 10n ** 20n,
    params,
  };

  // Index-based core input, built once (what the simulator feeds the core).
  const sorted = [...evaluators.map((e) => e.address)].sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : 1));
  const idx = new Map(sorted.map((a, i) => [a, i]));
  const perTask: ScoreEntry[][] = assignment.byTask.map(() => []);
  for (const [a, ts] of assignment.byEvaluator) {
    ts.forEach((t, i) => perTask[t].push({ evaluator: idx.get(a)!, score: reveals.get(a)![i], seats: assignment.byTask[t].filter((x) => x === a).length }));
  }
  const coreInput: RoundCoreInput = {
    round: buildRoundScores(EVALUATORS, perTask),
    taskNode: Int32Array.from(tasks.map((_, i) => i % NODES)),
    taskCost: tasks.map((t) => t.costUnits),
    nodeCount: NODES,
    gold: new Int32Array(TASKS).fill(-1),
    excluded: new Uint8Array(TASKS),
    trust: new Int32Array(EVALUATORS).fill(params.consensus.initialTrustPpm),
    lowStreak: new Int32Array(EVALUATORS),
    evidence: [],
    stakeUnits: new Int32Array(EVALUATORS).fill(1),
    stake: new Array<bigint>(EVALUATORS).fill(10n ** 18n),
    revealed: new Uint8Array(EVALUATORS).fill(1),
    nonRevealed: new Uint8Array(EVALUATORS),
    inferencePool: input.inferencePool,
    evaluatorPool: input.evaluatorPool,
    params,
  };

  const coreT = measure(() => settleRoundCore(coreInput), 5, 1);
  const settlementT = measure(() => buildSettlement(input), 3, 1);
  // A second round carrying the first round's state (trust and per-node evidence of every evaluator).
  const first = buildSettlement(input);
  const carried = { ...input, roundId: 2n, trust: first.trust, previousCumulative: new Map(first.cumulative.map((c) => [c.account, c.cumulativeAmount] as [Address, bigint])) };
  const coreCarried: RoundCoreInput = { ...coreInput, evidence: settleRoundCore(coreInput).evidence };
  const coreCarriedT = measure(() => settleRoundCore(coreCarried), 5, 1);
  const carriedT = measure(() => buildSettlement(carried), 3, 1);

  const accounts = Array.from({ length: ACCOUNTS }, (_, i) => [address(`account-${i}`), BigInt(1 + rng.int(1e9)) * 10n ** 9n] as [Address, bigint]);
  // The rewards tree the relayers publish and the contracts check: the sum tree, and every account's proof.
  const entries = accounts.map(([account, amount]) => ({ account, amount }));
  const merkleT = measure(() => sumTreeClaims(buildSumTree(entries)), 3, 1);
  const merkleBuildT = measure(() => buildSumTree(entries), 3);

  const size = `${TASKS}x${K}`;
  const out: Record<string, number> = {};
  const put = (name: string, t: Timing) => {
    out[`${name}.ms`] = round1(t.wallMs);
    out[`${name}.cpuMs`] = round1(t.cpuMs);
  };
  put(`consensus.assignment.${size}`, assignT);
  put(`consensus.consensusTrustRewards.${size}`, coreT);
  put(`consensus.fullSettlement.${size}`, settlementT);
  put(`consensus.consensusTrustRewardsCarried.${size}`, coreCarriedT);
  put(`consensus.fullSettlementCarried.${size}`, carriedT);
  put(`consensus.merkleTree.${ACCOUNTS}accounts`, merkleBuildT);
  put(`consensus.merkleTreeAndAllProofs.${ACCOUNTS}accounts`, merkleT);
  return out;
}

if (require.main === module) {
  benchConsensus().then((r) => console.log(JSON.stringify(r, null, 2)));
}
