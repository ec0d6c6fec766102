import { getAddress, type Address, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { poQSettlementAbi, stakeVaultAbi } from "../chain/abis";
import { compactSignature, deriveSalt, packScores, revealTypedData, scoreCommitment, toOnchainScore, UNAVAILABLE } from "../chain/encoding";
import { RevertError } from "../chain/errors";
import { chainTime, Phase, readRound, Role, roundCount, type RoundView } from "../chain/reader";
import type { LoggedOutput } from "../data/logged";
import { scoreOutputs } from "../scoring/score";
import type { QualityProfile } from "../scoring/profile";
import { applyBehavior, type Behavior } from "./behavior";
import type { AgentDeps } from "./deps";
import { ensureAllowance, haveFunds } from "./funds";
import { REVEAL_INDEX, revealIndexKey, type PublishedReveal } from "./revealBatch";
import { loadOutputs } from "../protocol/manifest";
import { fetchOutputs, roundManifest, type ChainContentAccess } from "../protocol/roundContent";
import { assignmentProof, computeAssignment } from "./roundData";
import type { RevealSender } from "./announce";

export type EvaluatorConfig = {
  behavior: Behavior;
  /** Stake to hold for the evaluator role; topped up at start when below. 0: do not stake. */
  stake: bigint;
  /** Score against references when outputs carry them (off in production: most tasks have none). */
  useReferences: boolean;
  /** Collusion target (an inference node address); default: the lowest node address in the batch. */
  colludeWith?: Address;
  /**
   * How to reveal. "relayer" (default, cheaper on chain): sign the reveal (EIP-712) and publish it to the content
   * store for a relayer to submit in a batch, revealing by itself only if the reveal is still not on chain once
   * `SELF_REVEAL_AFTER` of the reveal window has passed. "self": send `revealScores` directly.
   */
  revealVia?: "relayer" | "self";
  /**
   * How long to wait for a batch's manifest and outputs from peers at most (default `OUTPUT_FETCH_MS`); in the commit
   * window never past `COMMIT_MARGIN_MS` before its deadline. What has not arrived by then is reported UNAVAILABLE.
   */
  fetchTimeoutMs?: number;
};

/** Default longest wait for a batch's content from peers. */
export const OUTPUT_FETCH_MS = 20_000;
/** Time kept before the commit deadline for the commit transaction itself. */
export const COMMIT_MARGIN_MS = 3_000;

/**
 * How long an evaluator may wait for the round's content now: `max`, cut in the commit window so that the commit
 * still lands before the deadline (at least half a second).
 */
export function fetchBudgetMs(r: Pick<RoundView, "phase" | "commitDeadline">, now: bigint, max = OUTPUT_FETCH_MS): number {
  if (r.phase !== Phase.Commit) return max;
  const left = Number(r.commitDeadline - now) * 1000 - COMMIT_MARGIN_MS;
  return Math.max(500, Math.min(max, left));
}

/** On-chain scores of an evaluator's tasks: its reported quality (0..10), or UNAVAILABLE where the output never arrived. */
export function reportedScores(reported: number[], tasks: number[], unavailable: Set<number>): Hex {
  return packScores(reported.map((q, i) => (unavailable.has(tasks[i]) ? UNAVAILABLE : toOnchainScore(q))));
}

/**
 * Sends a score commitment. When scoring outlasted the commit window (the round moved on while the evaluator fetched
 * and scored), the contract answers `SettlementWrongPhase`: the round is missed, which costs nothing (only a commitment
 * that is not revealed is slashed), so `missed` is told and undefined returned; any other error is thrown.
 */
export async function commitOrMiss<T>(send: () => Promise<T>, missed: () => void): Promise<T | undefined> {
  try {
    return await send();
  } catch (e) {
    if (e instanceof RevertError && e.errorName === "SettlementWrongPhase") {
      missed();
      return undefined;
    }
    throw e;
  }
}

/** Share of the reveal window after which an evaluator whose published reveal is not on chain reveals by itself. */
export const SELF_REVEAL_AFTER = 2 / 3;

export type EvaluatorDeps = AgentDeps<EvaluatorConfig> & {
  privateKey: Hex;
  profile: QualityProfile;
  /** Sends signed reveals to relayers' `POST /v1/reveal` (relayers with stores of their own see them only so). */
  reveals?: RevealSender;
};

type Prepared = { scores: Hex; tasksHash: Hex; proof: Hex[] } | null;

/**
 * Honest qualities (0..10) of a whole batch, shared by the evaluators of one process that share a store: scoring is a
 * pure function of the batch and the profile, so agents hosted together need not repeat it. Small and bounded.
 */
const batchQualityCache = new Map<string, { quality: number[]; unavailable: Set<number>; bad: { index: number; reason: string }[]; nodes: string[] }>();
const CACHE_LIMIT = 32;

/**
 * The batch's honest qualities, with the tasks whose output is unavailable and those whose output is bad. Outputs the
 * store lacks are fetched from peers first, for at most `fetchMs` (manifest included).
 */
export async function batchQuality(
  a: ChainContentAccess,
  r: Pick<RoundView, "id" | "taskRoot" | "taskCount" | "registeredBlock">,
  profile: QualityProfile,
  useReferences: boolean,
  fetchMs = OUTPUT_FETCH_MS,
) {
  // Agents with stores of their own (each its own IPFS node) may hold different outputs: one entry per store.
  const key = `${a.store.dir}:${r.taskRoot}:${useReferences}:${profileKey(profile)}`;
  const hit = batchQualityCache.get(key);
  if (hit) return hit;
  const until = Date.now() + fetchMs;
  const manifest = await roundManifest(a, r, { timeoutMs: fetchMs });
  await fetchOutputs(a, manifest, { timeoutMs: Math.max(0, until - Date.now()) });
  const { items, bad, unavailable } = loadOutputs(a.store, manifest);
  const valid = items.map((it, i) => ({ it, i })).filter((x): x is { it: LoggedOutput; i: number } => x.it !== undefined);
  const scored = scoreOutputs(valid.map((x) => x.it), profile, { useReferences });
  const quality = new Array<number>(items.length).fill(0);
  valid.forEach((x, j) => (quality[x.i] = scored[j].composite * 10));
  const value = { quality, unavailable: new Set(unavailable), bad, nodes: manifest.tasks.map((t) => t.node) };
  if (batchQualityCache.size >= CACHE_LIMIT) batchQualityCache.delete(batchQualityCache.keys().next().value!);
  batchQualityCache.set(key, value);
  return value;
}

const profileKeys = new WeakMap<QualityProfile, string>();
function profileKey(p: QualityProfile): string {
  let k = profileKeys.get(p);
  if (!k) profileKeys.set(p, (k = JSON.stringify(p)));
  return k;
}

/**
 * The evaluator: stakes, then for each round scores its assigned outputs with the scoring library and commits and
 * reveals in the right windows. Its salt is derived from its key and its scores are a pure function of public data
 * and its key, so a restart can always reveal what it committed.
 */
export function createEvaluator(deps: EvaluatorDeps) {
  const { common, clients, deployment: d, store, content, sender, checkpoint, config } = deps;
  const { logger, metrics } = common;
  const client = clients.publicClient;
  const me = getAddress(sender.account);
  const signer = privateKeyToAccount(deps.privateKey);
  const prepared = new Map<bigint, Prepared>();
  const signatures = new Map<bigint, Hex>();
  let staked = config.stake === 0n;

  async function ensureStake() {
    if (staked) return true;
    const s = await client.readContract({ address: d.vault, abi: stakeVaultAbi, functionName: "stakeOf", args: [me, Role.Evaluator] });
    if (s.active < config.stake) {
      const need = config.stake - s.active;
      if (!(await haveFunds({ client, token: d.token, owner: me, need, health: deps.common.health, what: "evaluator stake" }))) return false;
      await ensureAllowance({ client, sender, token: d.token, spender: d.vault, amount: need });
      await sender.write({ address: d.vault, abi: stakeVaultAbi, functionName: "stake", args: [Role.Evaluator, need] });
      logger.info({ evaluator: me, amount: need.toString() }, "staked");
    }
    return (staked = true);
  }

  /** Scores for the round in assignment order, with the assignment proof; null when not assigned. */
  async function prepare(r: RoundView): Promise<Prepared> {
    const hit = prepared.get(r.id);
    if (hit !== undefined) return hit;
    const a = await computeAssignment(client, d, r);
    const mine = assignmentProof(a, me);
    if (!mine) {
      prepared.set(r.id, null);
      return null;
    }
    if (a.tree.root !== r.assignmentRoot) {
      // A commitment obliges a reveal, and a reveal needs a proof under the accepted root: never commit to an
      // assignment this evaluator cannot recompute.
      logger.error({ round_id: Number(r.id), ours: a.tree.root, chain: r.assignmentRoot }, "accepted assignment root differs from the recomputed one: not committing");
      metrics.evaluator.assignmentMismatch.inc();
      prepared.set(r.id, null);
      return null;
    }
    const key = `scores:${r.id}`;
    let scores = checkpoint.get(key) as Hex | undefined;
    if (!scores) {
      const budget = fetchBudgetMs(r, await chainTime(client), config.fetchTimeoutMs);
      const { quality, unavailable, bad, nodes } = await batchQuality({ store, content, client, deployment: d }, r, deps.profile, config.useReferences, budget);
      for (const b of bad) {
        logger.warn({ round_id: Number(r.id), task: b.index, reason: b.reason }, "bad output: scored 0");
        metrics.evaluator.badOutputs.inc();
      }
      const missing = mine.tasks.filter((t) => unavailable.has(t));
      if (missing.length > 0) {
        logger.warn({ round_id: Number(r.id), tasks: missing }, "outputs unavailable: reported as such");
        metrics.evaluator.unavailableOutputs.inc(missing.length);
      }
      const honest = mine.tasks.map((t) => quality[t]);
      const reported = applyBehavior(config.behavior, honest, {
        evaluator: me,
        roundId: r.id,
        nodes: mine.tasks.map((t) => nodes[t]),
        target: config.colludeWith,
      });
      scores = reportedScores(reported, mine.tasks, unavailable);
      checkpoint.set(key, scores);
    }
    const out = { scores, tasksHash: mine.tasksHash, proof: mine.proof };
    prepared.set(r.id, out);
    return out;
  }

  function salt(r: RoundView): Hex {
    return deriveSalt(deps.privateKey, { chainId: clients.chain.id, contract: d.settlement, roundId: r.id, purpose: "scores" });
  }

  async function record(r: RoundView) {
    const [digest, revealed] = await client.readContract({ address: d.settlement, abi: poQSettlementAbi, functionName: "scoreRecord", args: [r.id, me] });
    return { committed: digest !== `0x${"00".repeat(32)}`, revealed };
  }

  /**
   * Signs the reveal and publishes it for relayers (idempotent: the same object and index every time); `fresh` the
   * first time.
   */
  function publish(r: RoundView, p: NonNullable<Prepared>, signature: Hex): { file: PublishedReveal; fresh: boolean } {
    const file: PublishedReveal = {
      version: 1,
      chainId: clients.chain.id,
      settlement: d.settlement,
      roundId: r.id.toString(),
      evaluator: me,
      reveal: { scores: p.scores, salt: salt(r), tasksHash: p.tasksHash, assignmentProof: p.proof, ...compactSignature(signature) },
    };
    const key = revealIndexKey(r.id, me);
    const hash = store.putJson(file);
    if (store.getIndex(REVEAL_INDEX, key) === hash) return { file, fresh: false };
    store.setIndex(REVEAL_INDEX, key, hash);
    return { file, fresh: true };
  }

  async function revealSelf(r: RoundView, p: NonNullable<Prepared>) {
    try {
      const receipt = await sender.write({
        address: d.settlement,
        abi: poQSettlementAbi,
        functionName: "revealScores",
        args: [r.id, p.scores, salt(r), p.tasksHash, p.proof],
      });
      metrics.evaluator.reveals.inc();
      logger.info({ round_id: Number(r.id), tx_hash: receipt.transactionHash }, "revealed");
    } catch (e) {
      if (e instanceof RevertError && e.errorName === "SettlementAlreadyRevealed") return;
      throw e;
    }
  }

  async function step(r: RoundView) {
    if (r.phase !== Phase.Commit && r.phase !== Phase.Reveal) return;
    const rec = await record(r);
    if (rec.revealed) deps.reveals?.forget(r.id);
    if (r.phase === Phase.Commit && !rec.committed) {
      const p = await prepare(r);
      if (!p) return;
      const commitment = scoreCommitment({ chainId: clients.chain.id, contract: d.settlement, roundId: r.id, evaluator: me, scores: p.scores, salt: salt(r) });
      const receipt = await commitOrMiss(
        () => sender.write({ address: d.settlement, abi: poQSettlementAbi, functionName: "commitScores", args: [r.id, commitment] }),
        () => {
          metrics.evaluator.missedCommits.inc();
          logger.warn({ round_id: Number(r.id), scores: (p.scores.length - 2) / 4 }, "commit window closed before the scores were ready: round missed");
        },
      );
      if (!receipt) return;
      metrics.evaluator.commits.inc();
      logger.info({ round_id: Number(r.id), tx_hash: receipt.transactionHash, scores: (p.scores.length - 2) / 4 }, "committed");
    } else if (r.phase === Phase.Reveal && rec.committed && !rec.revealed) {
      if (config.behavior === "never-reveal") return;
      const p = await prepare(r);
      if (!p) return;
      if ((config.revealVia ?? "relayer") === "self") return revealSelf(r, p);
      let signature = signatures.get(r.id);
      if (!signature) {
        const typed = revealTypedData({ chainId: clients.chain.id, contract: d.settlement, roundId: r.id, scores: p.scores, salt: salt(r) });
        signatures.set(r.id, (signature = await signer.signTypedData(typed)));
      }
      const { file, fresh } = publish(r, p, signature);
      // Sent to the relayers' API as well (again each tick where it was not accepted yet).
      await deps.reveals?.send(file);
      if (fresh) {
        metrics.evaluator.revealsPublished.inc();
        logger.info({ round_id: Number(r.id), scores: (p.scores.length - 2) / 4, sent_to: deps.reveals ? "relayers" : undefined }, "reveal signed and published for relayers");
        return;
      }
      // Published earlier and still not on chain: reveal by itself once most of the window has passed.
      const window = r.revealDeadline - r.commitDeadline;
      const now = await chainTime(client);
      if (Number(now - r.commitDeadline) >= Number(window) * SELF_REVEAL_AFTER) {
        logger.warn({ round_id: Number(r.id) }, "published reveal not relayed in time: revealing directly");
        await revealSelf(r, p);
      }
    }
  }

  async function tick() {
    if (!(await ensureStake())) return;
    const [count, lastClosed] = await Promise.all([
      roundCount(client, d),
      client.readContract({ address: d.settlement, abi: poQSettlementAbi, functionName: "lastClosedRound" }),
    ]);
    for (let id = lastClosed + 1n; id <= count; id++) await step(await readRound(client, d, id));
    for (const id of prepared.keys()) if (id <= lastClosed) prepared.delete(id);
    for (const id of signatures.keys()) if (id <= lastClosed) signatures.delete(id);
  }

  return { tick, address: me };
}
