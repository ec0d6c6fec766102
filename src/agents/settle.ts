import { getAddress, type Address, type Hex, type PublicClient } from "viem";
import type { Deployment } from "../chain/deployment";
import type { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { hashSettlement, type Settlement } from "../chain/encoding";
import { readRound, roundPools, roundVotes, type RoundView } from "../chain/reader";
import { buildSettlement, type TrustRecord } from "../rewards/settlement";
import type { SettlementParams } from "../rewards/params";
import { Status } from "./status";
import { computeAssignment, loadBatch, loadOutputs, loadPayload, type SettlementPayloadFile } from "./roundData";
import { ContentError, type ContentStore } from "./store";

export type SettleContext = {
  client: PublicClient;
  deployment: Deployment;
  store: ContentStore;
  /** The off-chain policy (consensus, reward and slashing parameters); its version comes from the round. */
  policy: SettlementParams;
  /** The contract's slash-list bound (`params().maxSlashes`). */
  chainMaxSlashes: number;
};

export type ComputedSettlement = { settlement: Settlement; hash: Hex; file: SettlementPayloadFile };

type PriorState = { trust: Map<Address, TrustRecord>; cumulative: Map<Address, bigint> };

/**
 * State after the last finalized round before `roundId`: trust and cumulative rewards, from its published payload,
 * or, when the store lacks it, by recomputing that round from chain data (and checking the hash the chain accepted).
 */
export async function priorState(ctx: SettleContext, roundId: bigint): Promise<PriorState> {
  for (let id = roundId - 1n; id >= 1n; id--) {
    const r = await readRound(ctx.client, ctx.deployment, id);
    if (r.status === Status.Cancelled) continue;
    if (r.status !== Status.Finalized) throw new ContentError(`round ${id} is not closed; round ${roundId} cannot settle yet`);
    let file = loadPayload(ctx.store, r.settlementHash);
    if (!file) {
      const again = await computeRoundSettlement(ctx, r);
      if (again.hash !== r.settlementHash) {
        throw new ContentError(`recomputed settlement of round ${id} (${again.hash}) differs from the accepted one (${r.settlementHash})`);
      }
      file = again.file;
    }
    return {
      trust: new Map(file.trust.map((t) => [getAddress(t.evaluator), { trustPpm: t.trustPpm, lowStreak: t.lowStreak }])),
      cumulative: new Map(file.claims.map((c) => [getAddress(c.account), BigInt(c.cumulativeAmount)])),
    };
  }
  return { trust: new Map(), cumulative: new Map() };
}

/**
 * Computes a round's settlement from chain data and the content store alone, and publishes its payload (all
 * leaves and proofs) to the store. Deterministic: every honest relayer gets the same hash.
 */
export async function computeRoundSettlement(ctx: SettleContext, r: RoundView): Promise<ComputedSettlement> {
  const { client, deployment: d, store } = ctx;
  const manifest = loadBatch(store, r.taskRoot, r.taskCount);
  const { bad } = loadOutputs(store, manifest);
  const [prior, assignment, votes, pools] = await Promise.all([
    priorState(ctx, r.id),
    computeAssignment(client, d, r),
    roundVotes(client, d, r),
    roundPools(client, d, r.id),
  ]);
  const committedNotRevealed = [...votes.committed].filter((a) => !votes.revealed.has(a));
  const params: SettlementParams = {
    ...ctx.policy,
    paramsVersion: r.paramsVersion,
    maxSlashes: Math.min(ctx.policy.maxSlashes, ctx.chainMaxSlashes),
  };
  const p = buildSettlement({
    roundId: r.id,
    tasks: manifest.tasks.map((t) => ({ index: t.index, inferenceNode: t.node, costUnits: BigInt(t.costUnits) })),
    assignment: { byTask: assignment.byTask, byEvaluator: assignment.byEvaluator },
    reveals: votes.revealed,
    committedNotRevealed,
    trust: prior.trust,
    stakes: assignment.stakes,
    previousCumulative: prior.cumulative,
    inferencePool: pools.inferencePool,
    evaluatorPool: pools.evaluatorPool,
    params,
  });
  const settlement: Settlement = {
    rewardsRoot: p.rewardsRoot,
    cumulativeTotal: p.cumulativeTotal,
    inferencePaid: p.inferencePaid,
    evaluatorPaid: p.evaluatorPaid,
    trustRoot: p.trustRoot,
    inputsHash: p.inputsHash,
    paramsVersion: p.paramsVersion,
    slashes: p.slashes.map((s) => ({ evaluator: s.evaluator, reason: s.reason as 1 | 2 })),
  };
  const hash = hashSettlement(settlement);
  const file: SettlementPayloadFile = {
    version: 1,
    roundId: r.id.toString(),
    settlementHash: hash,
    settlement: {
      ...settlement,
      cumulativeTotal: settlement.cumulativeTotal.toString(),
      inferencePaid: settlement.inferencePaid.toString(),
      evaluatorPaid: settlement.evaluatorPaid.toString(),
    },
    consensus: p.consensus,
    trust: [...p.trust.entries()].map(([evaluator, t]) => ({ evaluator, trustPpm: t.trustPpm, lowStreak: t.lowStreak })),
    rewards: p.rewards.map((x) => ({ account: x.account, amount: x.amount.toString() })),
    claims: claimsOf(p.rewardsTree),
    badOutputs: bad,
  };
  store.setIndex("settlement", hash, store.putJson(file));
  return { settlement, hash, file };
}

/** Every leaf of the cumulative rewards tree with its proof, in tree order. */
function claimsOf(tree: StandardMerkleTree<[string, bigint]> | null): SettlementPayloadFile["claims"] {
  if (!tree) return [];
  const out: SettlementPayloadFile["claims"] = [];
  for (const [i, v] of tree.entries()) {
    out.push({ account: getAddress(v[0]), cumulativeAmount: BigInt(v[1]).toString(), proof: tree.getProof(i) as Hex[] });
  }
  return out.sort((a, b) => (a.account.toLowerCase() < b.account.toLowerCase() ? -1 : 1));
}
