import { getAddress, type Address, type Hex, type PublicClient } from "viem";
import type { Deployment } from "../chain/deployment";
import { hashSettlement, type Settlement } from "../chain/encoding";
import { readRound, roundPools, roundVotes, type RoundView } from "../chain/reader";
import { PoqError } from "../errors";
import { checkGoldOpening, GOLD_INDEX, type GoldOpening } from "../protocol/gold";

export { GOLD_INDEX };
import type { Content } from "../protocol/content";
import type { BatchManifest } from "../protocol/manifest";
import { loadPayload, settlementToJson, type SettlementPayloadFile } from "../protocol/payload";
import { ContentError, type ContentStore } from "../protocol/store";
import { publishSettlementPayload, roundGoldOpening, roundManifest } from "../protocol/roundContent";
import type { SettlementParams } from "../rewards/params";
import { buildSettlement, type TrustRecord } from "../rewards/settlement";
import { sumTreeClaims } from "../rewards/sumTree";
import { Status } from "../chain/reader";
import { computeAssignment } from "./roundData";

export type SettleContext = {
  client: PublicClient;
  deployment: Deployment;
  store: ContentStore;
  /** The content backend: manifests, gold openings and payloads not in the store are fetched by their on-chain CIDs. */
  content?: Content;
  /** The off-chain policy (consensus, reward and slashing parameters); its version comes from the round. */
  policy: SettlementParams;
};

export type ComputedSettlement = { settlement: Settlement; hash: Hex; file: SettlementPayloadFile; payloadCid: Hex };

type PriorState = { trust: Map<Address, TrustRecord>; cumulative: Map<Address, bigint> };

const ZERO_HASH: Hex = `0x${"00".repeat(32)}`;


/**
 * State after the last finalized round before `roundId`: trust (with its carried evidence) and cumulative rewards,
 * from its published payload, or, when the store lacks it, by recomputing that round from chain data (and checking
 * the hash the chain accepted).
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
      trust: new Map(file.trust.map(({ evaluator, ...t }) => [getAddress(evaluator), t])),
      cumulative: new Map(file.claims.map((c) => [getAddress(c.account), BigInt(c.cumulativeAmount)])),
    };
  }
  return { trust: new Map(), cumulative: new Map() };
}

/**
 * What a closed round adds to the gold evidence, per chain and settlement contract, by round id: the pool root and the
 * items of a finalized gold round, or null for a round that adds none (cancelled, or finalized without gold). Closed
 * rounds never change, so each is read once per process; rounds still open are read again at every check.
 */
const closedGold = new Map<string, { anchor: { block: bigint; hash: Hex }; rounds: Map<bigint, { poolRoot: string; items: number[] } | null> }>();

/**
 * The closed rounds known for this chain and contract: checked first against the block hash recorded when they were
 * first read, so a chain that was reset or replaced under the same chain id and addresses (a restarted development
 * node, two local nodes in one process) starts afresh instead of lending its rounds to another.
 */
async function closedRoundsOf(ctx: SettleContext): Promise<Map<bigint, { poolRoot: string; items: number[] } | null>> {
  const key = `${ctx.client.chain?.id ?? "?"}:${ctx.deployment.settlement.toLowerCase()}`;
  const known = closedGold.get(key);
  if (known) {
    const b = await ctx.client.getBlock({ blockNumber: known.anchor.block }).catch(() => undefined);
    if (b?.hash === known.anchor.hash) return known.rounds;
  }
  const block = await ctx.client.getBlockNumber({ cacheTime: 0 });
  const { hash } = await ctx.client.getBlock({ blockNumber: block });
  const fresh = { anchor: { block, hash: hash as Hex }, rounds: new Map<bigint, { poolRoot: string; items: number[] } | null>() };
  closedGold.set(key, fresh);
  return fresh.rounds;
}

/**
 * Pool items that finalized rounds before `r` drew from `r`'s gold pool (the same `goldPoolRoot`): from each one's
 * payload, or its registrar's gold opening. A relayer must refuse a settlement whose gold reuses one (anyone can prove
 * the reuse on chain and take the bonds of the relayers that revealed it), so a round it cannot check is not settled
 * yet. Rounds of another pool do not count, as on chain (`proveGoldReuse` needs the same pool root): after governance
 * replaces the pool, its item 0 is a new item.
 */
export async function goldUsedBefore(
  ctx: SettleContext,
  r: Pick<RoundView, "id"> & { params: Pick<RoundView["params"], "goldPoolRoot"> },
  o: { requireClosed?: boolean } = {},
): Promise<Set<number>> {
  const used = new Set<number>();
  const pool = r.params.goldPoolRoot.toLowerCase();
  const closed = await closedRoundsOf(ctx);
  for (let id = 1n; id < r.id; id++) {
    let known = closed.get(id);
    if (known === undefined) {
      const e = await readRound(ctx.client, ctx.deployment, id);
      if (e.status === Status.Cancelled || (e.status === Status.Finalized && e.goldCommitment === ZERO_HASH)) closed.set(id, null);
      // Settling needs every earlier round closed (as `priorState` does): a round accepted but not yet finalized may
      // finalize between this check and the settlement, with items this one must not reuse.
      if (o.requireClosed && e.status !== Status.Finalized && e.status !== Status.Cancelled) {
        throw new PoqError(`round ${r.id}: waiting for round ${id} to close before checking gold reuse`, { retryable: true });
      }
      if (e.status !== Status.Finalized || e.goldCommitment === ZERO_HASH) continue;
      const payload = loadPayload(ctx.store, e.settlementHash);
      const opening = payload ? undefined : await roundGoldOpening(access(ctx), e, {}, { keep: true });
      const items = payload ? payload.gold.map((g) => g.poolIndex) : opening?.items.map((g) => g.poolIndex);
      if (!items) throw new PoqError(`round ${r.id}: cannot check gold reuse, round ${id}'s gold opening is neither in the store nor fetchable`, { retryable: true });
      known = { poolRoot: e.params.goldPoolRoot.toLowerCase(), items };
      closed.set(id, known);
    }
    if (known === null || known.poolRoot !== pool) continue;
    for (const i of known.items) used.add(i);
  }
  return used;
}

/** The registrar's gold opening for a round, checked (reuse of earlier rounds' items included); none without gold. */
export async function roundGold(ctx: SettleContext, r: RoundView, manifest: BatchManifest): Promise<{ opening?: GoldOpening; gold: Map<number, number> }> {
  if (r.goldCommitment === ZERO_HASH) return { gold: new Map() };
  // `keep`: pinned for good by every relayer that reads it, in the background (later rounds are checked against it,
  // and the registrar may be gone by then; never unpinned, src/agents/unpin.ts).
  const opening = await roundGoldOpening(access(ctx), r, {}, { keep: true });
  if (!opening) throw new PoqError(`round ${r.id}: waiting for the registrar's gold opening`, { retryable: true });
  const gold = checkGoldOpening(opening, { id: r.id, taskRoot: r.taskRoot, goldCommitment: r.goldCommitment, poolRoot: r.params.goldPoolRoot, poolSize: r.params.goldPoolSize }, manifest);
  const used = await goldUsedBefore(ctx, r, { requireClosed: true });
  const reused = opening.items.find((it) => used.has(it.poolIndex));
  if (reused) throw new PoqError(`round ${r.id}: the gold opening reuses pool item ${reused.poolIndex}; refusing to settle it`);
  return { opening, gold };
}

/**
 * Computes a round's settlement from chain data and the content store alone (the batch manifest and the gold
 * opening), and publishes its payload (every leaf and proof) to the store. Deterministic: every honest relayer gets
 * the same hash.
 */
export async function computeRoundSettlement(ctx: SettleContext, r: RoundView): Promise<ComputedSettlement> {
  const { client, deployment: d } = ctx;
  const manifest = await roundManifest(access(ctx), r);
  const { opening, gold } = await roundGold(ctx, r, manifest);
  const [prior, assignment, votes, pools] = await Promise.all([priorState(ctx, r.id), computeAssignment(client, d, r), roundVotes(client, d, r), roundPools(client, d, r.id)]);
  const committedNotRevealed = [...votes.committed].filter((a) => !votes.revealed.has(a));
  const params: SettlementParams = {
    ...ctx.policy,
    paramsVersion: r.paramsVersion,
    maxSlashes: Math.min(ctx.policy.maxSlashes, r.params.maxLowTrustSlashes),
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
    gold,
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
    goldRoot: opening?.goldRoot ?? ZERO_HASH,
    goldSalt: opening?.salt ?? ZERO_HASH,
    goldCount: opening?.goldCount ?? 0,
    paramsVersion: p.paramsVersion,
    flags: p.flags,
    lowTrustSlashes: p.slashes.map((s) => s.evaluator),
  };
  const hash = hashSettlement(settlement);
  const file: SettlementPayloadFile = {
    version: 2,
    roundId: r.id.toString(),
    settlementHash: hash,
    settlement: settlementToJson(settlement),
    consensus: p.consensus,
    excludedTasks: p.excludedTasks,
    breaker: p.breaker,
    trust: [...p.trust.entries()].map(([evaluator, t]) => ({ evaluator, ...t })),
    rewards: p.rewards.map((x) => ({ account: x.account, amount: x.amount.toString() })),
    claims: sumTreeClaims(p.rewardsTree).map((c) => ({ ...c, cumulativeAmount: c.cumulativeAmount.toString() })),
    gold: (opening?.items ?? []).map((g) => ({ taskIndex: g.taskIndex, poolIndex: g.poolIndex, quality: g.quality })),
  };
  const { pointer: payloadCid } = await publishSettlementPayload(ctx, file);
  return { settlement, hash, file, payloadCid };
}

const access = (ctx: SettleContext) => ({ store: ctx.store, content: ctx.content, client: ctx.client, deployment: ctx.deployment });
