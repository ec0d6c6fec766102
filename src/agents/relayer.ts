import { createHmac } from "node:crypto";
import { erc20Abi, formatUnits, getAddress, keccak256, parseEventLogs, toBytes, zeroAddress, type Address, type Hex } from "viem";
import { poQSettlementAbi, rewardDistributorAbi, settlementChallengesAbi, settlementConfigAbi, stakeVaultAbi } from "../chain/abis";
import { buildTaskTree, deriveSalt, goldItemLeaf, hashSettlement, settlementCommitment, type Settlement } from "../chain/encoding";
import { RevertError } from "../chain/errors";
import {
  chainTime,
  evaluatorStakesBefore,
  expectedSeed,
  Phase,
  readParams,
  readRound,
  revealedSettlementsWithPayloads,
  Role,
  roundCount,
  roundVotes,
  Status,
  type RoundView,
} from "../chain/reader";
import { PoqError } from "../errors";
import { BUNDLE_CHECKED, BUNDLE_INDEX, bundleOrder, encodeBundle } from "../protocol/bundle";
import {
  attributeGold,
  goldChoiceCommitment,
  goldRootOf,
  poolProofs,
  recoverGoldChoice,
  selectGold,
  type GoldOpening,
  type GoldPoolFile,
} from "../protocol/gold";
import { loadBatch, modelId, taskLeaves, type BatchManifest, type OutputRecord } from "../protocol/manifest";
import { isRegistered, registerRows, releaseRows } from "./registered";
import { loadPayload, settlementFromFile, type SettlementPayloadFile } from "../protocol/payload";
import { CONTENT_KIND, pinOutputs, pinRound, publishJson, publishManifest, publishSettlementPayload, roundGoldOpening, roundManifest, roundPayload } from "../protocol/roundContent";
import { canonicalJson } from "../protocol/store";
import { ContentError } from "../protocol/canonical";
import type { SettlementParams } from "../rewards/params";
import type { AgentDeps } from "./deps";
import { haveFunds } from "./funds";
import { HEALTH_REASONS } from "./health";
import { costUnitsOf } from "../protocol/pricing";
import { pendingReceipt, RECEIPT_INDEX, receiptKey } from "./outputs";
import { checkPublishedReveal, planRevealBatches, REVEAL_INDEX, revealIndexKey, type PublishedReveal } from "./revealBatch";
import { computeAssignment } from "./roundData";
import { computeRoundSettlement, GOLD_INDEX, goldUsedBefore, type SettleContext } from "./settle";
import { forgetTurns, mayTakeTurn, type TurnClock } from "./turns";
import { createUnpinner } from "./unpin";

export type RelayerConfig = {
  /** Whether this relayer forms task batches and opens rounds (one registrar per network is enough). */
  registrar: boolean;
  maxTasksPerRound: number;
  /** Open a round only when at least this many outputs wait. */
  minTasks: number;
  /** Stop opening rounds after this many exist (0: no limit). */
  maxRounds: number;
  /** Rounds opened but not yet closed, at most (the contract's own bound may be lower). */
  maxOpenRounds: number;
  /**
   * Submitting evaluators' signed reveals (published to the content store) in `revealScoresBatch` transactions:
   * "now" as soon as any is waiting, "backup" only once half the reveal window has passed (for reveals another
   * relayer did not submit), "off" never. Default: "now" for the registrar, "backup" for the others.
   */
  relayReveals?: "now" | "backup" | "off";
  /**
   * Turn-taking for the steps any relayer may take (finalize, cancelRound, slashNonRevealer): when this relayer is
   * not the round's leader, it waits this long after it first saw the step pending (see ./turns). Default 4,000 ms.
   */
  turnGraceMs?: number;
  /** Registrar: the gold pool it draws hidden gold tasks from (its root must be the round's `goldPoolRoot`). */
  goldPool?: GoldPoolFile;
  /** Registrar: share of each batch that is gold (ppm of the ordinary tasks; default 5%). */
  goldRatePpm?: number;
  /** Keep content pinned this long (seconds) after a round closed, if longer than the chain's horizon (./unpin). */
  pinHorizon?: number;
};

export type RelayerDeps = AgentDeps<RelayerConfig> & {
  privateKey: Hex;
  policy: SettlementParams;
};

const ZERO_HASH: Hex = `0x${"00".repeat(32)}`;
const DEFAULT_GOLD_RATE_PPM = 50_000;

/** keccak256 of the policy's canonical JSON (without its version): what `Params.policyHash` pins on chain. */
export function policyHash(policy: SettlementParams): Hex {
  const { paramsVersion: _v, ...rest } = policy;
  return keccak256(toBytes(canonicalJson(rest)));
}

/** Registrar: longest wait for the manifest of a registered round it lacks, per try; first and longest pause between tries. */
const MANIFEST_FETCH_MS = 2_000;
const MANIFEST_RETRY_MS = 10_000;
const MANIFEST_RETRY_MAX_MS = 600_000;

/**
 * The relayer: watches the chain and drives every phase of every open round. Each tick reads the chain and takes
 * the next step, so a restart (even after SIGKILL) resumes where the chain says the round is: nothing is committed,
 * revealed or finalized twice, because each step first checks whether it already happened on chain, and the steps
 * two relayers may race for (drawing the seed, voting after acceptance, finalizing, cancelling an expired round,
 * slashing a non-revealer) are no-ops on chain the second time. The last three also take turns (./turns): the round's
 * leader sends at once, the others only if it has not done so within the grace period.
 */
export function createRelayer(deps: RelayerDeps) {
  const { common, clients, deployment: d, store, content, sender, checkpoint, config } = deps;
  const { logger, metrics, health } = common;
  const client = clients.publicClient;
  /** This relayer's store and content backend, with the chain that points into them. */
  const access = { store, content, client, deployment: d };
  const me = getAddress(sender.account);
  /** Registered rounds this registrar knows of: id to task root and task count, as the chain has them. */
  const knownRounds = new Map<bigint, { root: Hex; count: number; block: bigint }>();
  /** Registrar: when to try again to fetch the manifest of a known round whose manifest the store lacks (ms). */
  const manifestRetry = new Map<bigint, { at: number; wait: number }>();
  /** Cancelled rounds whose manifest this relayer does not hold (they pay nobody, so hold no release back). */
  const cancelledUnread = new Set<bigint>();
  const consumedRounds = new Set<bigint>();
  /**
   * Registrar: every output of a registered batch whose manifest the store holds is recorded in the checkpoint with
   * the ids of the rounds that list it (`./registered`), on disk: none enters another batch while a round that is not
   * cancelled lists it, however long ago that round was, and a relayer running for years holds none of them in memory.
   * Keyed by the serving node as the pending queue is, so a manifest that lists another node's output under its own
   * address cannot shut that node's output out. A round whose outputs are recorded is marked `consumed_round:<id>` in
   * the same transaction (earlier versions wrote `consumed:<root>`), so a restart reads only the manifests it had not
   * consumed; a lost checkpoint is rebuilt from every registered manifest.
   */
  const CONSUMED = "consumed:";
  const CONSUMED_ROUND = "consumed_round:";
  /** Registrar: every round up to this id (closed) has been looked at for cancellation (see `releaseCancelled`). */
  const RELEASED_THROUGH = "released_through";
  const slashedRounds = new Set<bigint>();
  /**
   * Settlements computed after their round's reveal deadline, by round: every input is then fixed (reveals, frozen
   * pools, the closed previous round), so an attempt can be joined at once instead of recomputed.
   */
  const computedSettlements = new Map<bigint, Awaited<ReturnType<typeof computeRoundSettlement>>>();
  const watchedSettlements = new Set<Hex>();
  /** Rounds whose manifest and outputs this relayer holds pinned in its content backend. */
  const pinnedRounds = new Set<bigint>();
  let scannedRoots = false;
  /** Registrar: the first block the next scan of `TasksRegistered` events reads. */
  let scanFrom: bigint | undefined;
  /** Unpins what this relayer pinned for each round past the recomputation horizon (./unpin). */
  const unpinner = createUnpinner({ common, client, deployment: d, store, content, checkpoint, account: me, role: "relayer", overrideSeconds: config.pinHorizon });

  const base = { address: d.settlement, abi: poQSettlementAbi } as const;
  const turns: TurnClock = { pendingSince: new Map(), graceMs: config.turnGraceMs ?? 4_000 };
  /** Current relayers in vote-bit order, read once per tick (ids are handed out from 1 upward and never reused). */
  let relayerSet: Promise<Address[]> | undefined;
  async function readRelayerSet(): Promise<Address[]> {
    const out: Address[] = [];
    for (let id = 1n; id < 256n; id++) {
      const a = await client.readContract({ address: d.config, abi: settlementConfigAbi, functionName: "relayerById", args: [id] });
      if (a === zeroAddress) break;
      const [, current] = await client.readContract({ address: d.config, abi: settlementConfigAbi, functionName: "relayerId", args: [a] });
      if (current) out.push(getAddress(a));
    }
    return out;
  }
  /** Whether this relayer takes a shared step now: the round's leader at once, the others after the grace period. */
  async function myTurn(r: { id: bigint }, step: string): Promise<boolean> {
    const relayers = await (relayerSet ??= readRelayerSet());
    const go = mayTakeTurn(turns, { relayers, me, roundId: r.id, step, nowMs: Date.now() });
    if (!go) logger.debug({ round_id: Number(r.id), step }, "not this relayer's turn: waiting for the round's leader");
    return go;
  }
  const challengesBase = { address: d.challenges, abi: settlementChallengesAbi } as const;

  async function myVotes(r: RoundView) {
    const args = { roundId: r.id, relayer: me };
    const range = { fromBlock: r.registeredBlock, toBlock: "latest" as const };
    const [proposed, committed, revealed] = await Promise.all([
      client.getContractEvents({ ...base, strict: true, eventName: "AssignmentProposed", args, ...range }),
      client.getContractEvents({ ...base, strict: true, eventName: "SettlementCommitted", args, ...range }),
      client.getContractEvents({ ...base, strict: true, eventName: "SettlementRevealed", args, ...range }),
    ]);
    return {
      proposed: proposed.length > 0,
      committed: new Set(committed.map((l) => Number(l.args.attempt))),
      revealed: new Set(revealed.map((l) => Number(l.args.attempt))),
    };
  }

  const settleBase: SettleContext = { client, deployment: d, store, content, policy: deps.policy };
  function settleContext(r: RoundView): SettleContext {
    const pinned = r.params.policyHash;
    if (pinned !== ZERO_HASH && pinned !== policyHash(deps.policy)) {
      throw new PoqError(`policy mismatch: round ${r.id} pins policy ${pinned}, this relayer runs ${policyHash(deps.policy)}; refusing to settle`);
    }
    return settleBase;
  }

  /** Sends a step's transaction; a revert that says the step is already done (by us or another relayer) is fine. */
  async function send(label: string, r: { id: bigint; phase?: number }, fn: () => Promise<unknown>, doneErrors: string[] = []) {
    // Re-read the phase right before sending: when another relayer moved the round on meanwhile, skip (info).
    const movedOn = async () => {
      if (r.phase === undefined) return undefined;
      const now = await readRound(client, d, r.id).catch(() => undefined);
      return now && now.phase !== r.phase ? now.phase : undefined;
    };
    const before = await movedOn();
    if (before !== undefined) {
      logger.info({ round_id: Number(r.id), step: label, phase: before }, "round moved on before sending: step skipped");
      return false;
    }
    try {
      const receipt = (await fn()) as { transactionHash: Hex };
      metrics.relayer.tx.inc({ step: label });
      logger.info({ round_id: Number(r.id), step: label, tx_hash: receipt.transactionHash }, `round ${r.id}: ${label}`);
      return true;
    } catch (e) {
      if (e instanceof RevertError && e.errorName && doneErrors.includes(e.errorName)) {
        logger.info({ round_id: Number(r.id), step: label, reason: e.errorName }, "step already done");
        return false;
      }
      // A lost race (another relayer's transaction moved the round on first) is expected with several relayers.
      const after = e instanceof RevertError ? await movedOn() : undefined;
      if (after !== undefined) {
        logger.info({ round_id: Number(r.id), step: label, reason: (e as RevertError).shortMessage, phase: after }, "lost a race to another relayer: the round moved on");
        return false;
      }
      throw e;
    }
  }

  /* BOND */

  let bonded = false;
  /** Holds the round's minimum relayer bond in the vault (staked from this relayer's own tokens). */
  async function ensureBond(): Promise<boolean> {
    if (bonded) return true;
    const p = await readParams(client, d);
    const s = await client.readContract({ address: d.vault, abi: stakeVaultAbi, functionName: "stakeOf", args: [me, Role.Relayer] });
    if (s.active >= p.minRelayerBond) return (bonded = true);
    const need = p.minRelayerBond - s.active;
    if (!(await haveFunds({ client, token: d.token, owner: me, need, health, what: "relayer bond" }))) return false;
    await ensureAllowance(d.vault, need);
    await sender.write({ address: d.vault, abi: stakeVaultAbi, functionName: "stake", args: [Role.Relayer, need] });
    logger.info({ relayer: me, amount: formatUnits(need, 18) }, "relayer bond staked");
    return (bonded = true);
  }

  /* ASSIGNMENT */

  async function stepAssign(r: RoundView) {
    const votes = await myVotes(r);
    if (votes.proposed) return;
    const seed = await expectedSeed(client, r);
    if (!seed) return; // the seed block is not mined yet
    const a = await computeAssignment(client, d, r, seed);
    await send("proposeAssignment", r, () => sender.write({ ...base, functionName: "proposeAssignment", args: [r.id, a.tree.root as Hex] }));
  }

  /* REVEALS */

  /** Published reveals (by content hash) found invalid, per round: checked once, never submitted. */
  const badReveals = new Map<bigint, Set<Hex>>();

  /**
   * Collects the signed reveals that committed, not yet revealed evaluators published, checks each as the contract
   * will (signer, commitment, assignment leaf, score range) so that one bad entry never fails a batch, and submits
   * them in as few `revealScoresBatch` transactions as the calldata limit allows.
   */
  async function stepRelayReveals(r: RoundView) {
    const mode = config.relayReveals ?? (config.registrar ? "now" : "backup");
    if (mode === "off") return;
    if (mode === "backup") {
      const elapsed = Number((await chainTime(client)) - r.commitDeadline);
      if (elapsed < Number(r.revealDeadline - r.commitDeadline) / 2) return;
    }
    const args = { roundId: r.id };
    const range = { fromBlock: r.registeredBlock, toBlock: "latest" as const };
    const [commits, reveals] = await Promise.all([
      client.getContractEvents({ ...base, strict: true, eventName: "ScoresCommitted", args, ...range }),
      client.getContractEvents({ ...base, strict: true, eventName: "ScoresRevealed", args, ...range }),
    ]);
    const revealed = new Set(reveals.map((l) => getAddress(l.args.evaluator)));
    const bad = badReveals.get(r.id) ?? new Set<Hex>();
    badReveals.set(r.id, bad);
    const domain = { chainId: clients.chain.id, contract: d.settlement, roundId: r.id };
    const ready: { evaluator: Address; reveal: PublishedReveal["reveal"] }[] = [];
    for (const c of commits) {
      const e = getAddress(c.args.evaluator);
      if (revealed.has(e)) continue;
      const hash = store.getIndex(REVEAL_INDEX, revealIndexKey(r.id, e)) as Hex | undefined;
      if (!hash || bad.has(hash)) continue;
      const checked = await checkPublished(hash, e, c.args.commitment, r, domain);
      if (typeof checked === "string") {
        bad.add(hash);
        logger.warn({ round_id: Number(r.id), evaluator: e, reason: checked }, "published reveal rejected");
        metrics.relayer.revealsRejected.inc();
        continue;
      }
      ready.push({ evaluator: e, reveal: checked.reveal });
    }
    for (const batch of planRevealBatches(ready)) {
      logger.info({ round_id: Number(r.id), reveals: batch.length }, "relaying signed reveals");
      await send("revealScoresBatch", r, () => sender.write({ ...base, functionName: "revealScoresBatch", args: [r.id, batch.map((b) => b.reveal)] }));
      metrics.relayer.revealsRelayed.inc(batch.length);
    }
  }

  /** The published reveal when it passes every check the contract makes, else why it would fail on chain. */
  async function checkPublished(
    hash: Hex,
    evaluator: Address,
    commitment: Hex,
    r: RoundView,
    domain: { chainId: number; contract: Address; roundId: bigint },
  ): Promise<PublishedReveal | string> {
    let f: PublishedReveal;
    try {
      f = store.getJson<PublishedReveal>(hash);
    } catch (e) {
      return (e as Error).message;
    }
    return (await checkPublishedReveal(f, { ...domain, evaluator, commitment, assignmentRoot: r.assignmentRoot })) ?? f;
  }

  /** Slashes every committed evaluator that did not reveal by the deadline (anyone may; the relayers do it). */
  async function stepSlashNonRevealers(r: RoundView) {
    if (slashedRounds.has(r.id)) return;
    const votes = await roundVotes(client, d, r);
    for (const e of votes.committed) {
      if (votes.revealed.has(e)) continue;
      const [, revealed, slashed] = await client.readContract({ ...base, functionName: "scoreRecord", args: [r.id, e] });
      if (revealed || slashed) continue;
      if (!(await myTurn(r, "slashNonRevealer"))) return; // not done: looked at again next tick
      await send("slashNonRevealer", r, () => sender.write({ ...base, functionName: "slashNonRevealer", args: [r.id, e] }));
      metrics.relayer.nonRevealSlashes.inc();
    }
    slashedRounds.add(r.id);
  }

  /* SETTLEMENT */

  async function stepSettle(r: RoundView) {
    if (!(await ensureBond())) return;
    const [attempt, commitsClose, revealsClose] = (await client.readContract({ ...base, functionName: "settlementAttempt", args: [r.id] })).map(Number);
    const now = Number(await chainTime(client));
    const running = commitsClose !== 0 && now < revealsClose;
    const votes = await myVotes(r);
    if (!running || (now < commitsClose && !votes.committed.has(attempt))) {
      // A commit now joins the running attempt, or starts the next one.
      const target = running ? attempt : attempt + 1;
      if (votes.committed.has(target)) return;
      let computed = computedSettlements.get(r.id);
      if (!computed) {
        computedSettlements.set(r.id, (computed = await computeRoundSettlement(settleContext(r), r)));
        const b = computed.file.breaker;
        metrics.relayer.breakerHeld.set(b.tripped ? 1 : 0);
        metrics.relayer.breakerSplit.set(b.split ? 1 : 0);
        if (b.tripped) {
          metrics.relayer.breakerRounds.inc();
          logger.warn(
            { round_id: Number(r.id), flagged_stake_ppm: b.flaggedStakePpm, split_gap: b.splitGap },
            `round ${r.id}: circuit breaker held, low-trust slashing frozen (the evidence may be captured: check the round's flagged stake and the gap between camps)`,
          );
        } else if (b.split) {
          metrics.relayer.breakerSplitRounds.inc();
          logger.warn(
            { round_id: Number(r.id), split_gap: b.splitGap, camp_centres: b.campCentres },
            `round ${r.id}: evaluators split into two camps; only evaluators apart from both camps can be slashed (check who forms the camps)`,
          );
        }
      }
      checkpoint.set(`settlement:${r.id}:${target}`, computed.hash); // before sending: a crash after the commit still knows it
      const commitment = settlementCommitment({
        chainId: clients.chain.id,
        contract: d.settlement,
        roundId: r.id,
        attempt: target,
        relayer: me,
        settlementHash: computed.hash,
        salt: salt(r, target),
      });
      metrics.relayer.roundInferencePaid.set(Number(formatUnits(computed.settlement.inferencePaid, 18)));
      await send("commitSettlement", r, () => sender.write({ ...base, functionName: "commitSettlement", args: [r.id, commitment] }));
      return;
    }
    if (now < commitsClose || !votes.committed.has(attempt) || votes.revealed.has(attempt)) return;
    let hash = checkpoint.get(`settlement:${r.id}:${attempt}`) as Hex | undefined;
    let file = hash ? loadPayload(store, hash) : undefined;
    if (!file) {
      // Checkpoint or store lost: recompute; the contract rejects it if the inputs changed since the commit.
      const computed = await computeRoundSettlement(settleContext(r), r);
      hash = computed.hash;
      file = computed.file;
    }
    // The payload's CID (re-published and pinned: idempotent), or its keccak256 without a content backend.
    const payloadCid = (await publishSettlementPayload(access, file!)).pointer;
    await send("revealSettlement", r, () => sender.write({ ...base, functionName: "revealSettlement", args: [r.id, settlementFromFile(file!), salt(r, attempt), payloadCid] }));
  }

  function salt(r: RoundView, attempt: number): Hex {
    return deriveSalt(deps.privateKey, { chainId: clients.chain.id, contract: d.settlement, roundId: r.id, purpose: "settlement", attempt });
  }

  /**
   * The accepted settlement of a round and its payload: this relayer's own, else the settlement from the events and
   * a payload some revealer pointed to on chain (from the store, or fetched by its CID from peers).
   */
  async function accepted(r: RoundView): Promise<{ settlement: Settlement; file?: SettlementPayloadFile }> {
    const file = loadPayload(store, r.settlementHash);
    if (file) return { settlement: settlementFromFile(file), file };
    const entry = (await revealedSettlementsWithPayloads(client, d, r)).get(r.settlementHash);
    if (!entry) throw new PoqError(`round ${r.id}: accepted settlement ${r.settlementHash} not found in events or store`, { retryable: true });
    return { settlement: entry.settlement, file: await roundPayload(access, r) };
  }

  async function stepFinalize(r: RoundView) {
    const { settlement } = await accepted(r);
    if (hashSettlement(settlement) !== r.settlementHash) throw new PoqError(`round ${r.id}: settlement found does not hash to the accepted one`);
    if (!(await myTurn(r, "finalize"))) return;
    await send("finalize", r, () => sender.write({ ...base, functionName: "finalize", args: [r.id, settlement] }));
    metrics.relayer.roundsFinalized.inc();
  }

  async function stepCancel(r: RoundView) {
    if (!(await myTurn(r, "cancelRound"))) return;
    await send("cancelRound", r, () => sender.write({ ...base, functionName: "cancelRound", args: [r.id] }));
    metrics.relayer.roundsCancelled.inc();
  }

  /* CHALLENGES */

  /**
   * During the challenge window: answers every open challenge against the accepted settlement that this relayer can
   * refute (it computed the same settlement), and, when the accepted settlement is not the one it computed, checks
   * that no account of the previous root lost anything and challenges the first one that did.
   */
  async function stepWatch(r: RoundView) {
    const mine = loadPayload(store, r.settlementHash);
    await answerChallenges(r, mine);
    if (watchedSettlements.has(r.settlementHash)) return;
    watchedSettlements.add(r.settlementHash);
    if (mine) return; // the accepted settlement is the one this relayer computed
    metrics.relayer.foreignSettlements.inc();
    const ours = await computeRoundSettlement(settleContext(r), r).catch(() => undefined);
    logger.error({ round_id: Number(r.id), accepted: r.settlementHash, ours: ours?.hash }, "accepted settlement differs from this relayer's: checking earlier allotments");
    const { file } = await accepted(r);
    const rootRound = await client.readContract({ address: d.distributor, abi: rewardDistributorAbi, functionName: "rootRound" });
    if (rootRound === 0n) return;
    const prev = await roundPayload(access, await readRound(client, d, rootRound));
    if (!prev) return;
    const now = new Map((file?.claims ?? []).map((c) => [getAddress(c.account), BigInt(c.cumulativeAmount)]));
    const lowered = prev.claims.filter((c) => (now.get(getAddress(c.account)) ?? -1n) < BigInt(c.cumulativeAmount));
    if (lowered.length === 0) return;
    const victim = lowered.sort((a, b) => (BigInt(b.cumulativeAmount) > BigInt(a.cumulativeAmount) ? 1 : -1))[0];
    const { settlement } = await accepted(r);
    await ensureAllowance(d.challenges, r.params.minChallengeBond);
    await send("challengeAccount", r, () =>
      sender.write({ ...challengesBase, functionName: "challengeAccount", args: [r.id, settlement, getAddress(victim.account), BigInt(victim.cumulativeAmount), BigInt(victim.index), victim.proof] }),
    );
    metrics.relayer.challengesOpened.inc();
  }

  async function ensureAllowance(spender: Address, amount: bigint) {
    const allowance = await client.readContract({ address: d.token, abi: erc20Abi, functionName: "allowance", args: [me, spender] });
    if (allowance < amount) await sender.write({ address: d.token, abi: erc20Abi, functionName: "approve", args: [spender, amount] });
  }

  async function answerChallenges(r: RoundView, mine: SettlementPayloadFile | undefined) {
    const opened = await client.getContractEvents({ ...challengesBase, strict: true, eventName: "ChallengeOpened", args: { roundId: r.id }, fromBlock: r.registeredBlock, toBlock: "latest" });
    for (const l of opened) {
      if (l.args.settlementHash !== r.settlementHash) continue;
      const c = await client.readContract({ ...challengesBase, functionName: "getChallenge", args: [l.args.challengeId] });
      if (Number(c.status) !== 1) continue;
      if (Number(c.kind) === 1 && mine) {
        const leaf = mine.claims.find((x) => getAddress(x.account) === getAddress(c.account));
        if (!leaf || BigInt(leaf.cumulativeAmount) < c.minAmount) continue;
        await send("answerAccount", r, () => sender.write({ ...challengesBase, functionName: "answerAccount", args: [l.args.challengeId, BigInt(leaf.cumulativeAmount), BigInt(leaf.index), leaf.proof] }));
      } else if (Number(c.kind) === 2) {
        await answerGold(r, l.args.challengeId, c.anchor);
      }
    }
  }

  async function answerGold(r: RoundView, challengeId: bigint, anchor: Hex) {
    const opening = await roundGoldOpening(access, r);
    if (!opening) return;
    const item = opening.items.find((it) => goldItemLeaf(it) === anchor);
    if (!item) return;
    const manifest = await roundManifest(access, r);
    const tree = buildTaskTree(taskLeaves(manifest));
    const task = taskLeaves(manifest)[item.taskIndex];
    const goldItem = { taskIndex: BigInt(item.taskIndex), poolIndex: BigInt(item.poolIndex), contentHash: item.contentHash, quality: BigInt(item.quality) };
    const taskLeaf = { index: BigInt(task.index), node: task.node, modelId: task.modelId, contentHash: task.contentHash, costUnits: task.costUnits };
    await send("answerGoldItem", r, () =>
      sender.write({ ...challengesBase, functionName: "answerGoldItem", args: [challengeId, goldItem, item.poolProof, taskLeaf, tree.getProof(item.taskIndex) as Hex[]] }),
    );
  }

  /* AVAILABILITY */

  /**
   * Pins a registered round's manifest and outputs in this relayer's content backend (fetched from peers), once,
   * so they stay available when the registrar or an inference node goes away. It runs beside the ticks (one round at
   * a time), so a slow peer never delays a phase step; a failure only delays it to a later tick.
   */
  let pinning = false;
  function stepPin(r: RoundView) {
    // A folder store has no peers to keep anything available for: everything it holds stays.
    if (!content || content.kind === "folder" || pinning || pinnedRounds.has(r.id)) return;
    pinning = true;
    void pinRound(access, r, { timeoutMs: 10_000 })
      .then((missing) => {
        if (missing.length === 0) pinnedRounds.add(r.id);
        else logger.debug({ round_id: Number(r.id), missing: missing.length }, "round outputs not all fetched yet: pinning again later");
      })
      .catch((e: unknown) => logger.debug({ round_id: Number(r.id), err: (e as Error).message.split("\n")[0] }, "round content not pinned yet"))
      .finally(() => (pinning = false));
  }

  /* REGISTRATION */

  async function maybeRegister(count: bigint, lastClosed: bigint, open: RoundView[]) {
    if (!config.registrar) return;
    if (config.maxRounds > 0 && count >= BigInt(config.maxRounds)) return;
    // Outputs wait while earlier rounds are open: an idle reason while it lasts (cleared once a round opens).
    const waiting = () => [...store.listPending().values()].some((l) => l.length > 0);
    // An expired round waits for its cancellation (this tick's or another relayer's), so that its outputs go back to
    // the queue (releaseCancelled) before the next batch is formed.
    const busy = open.find((r) => r.phase === Phase.Seeding || r.phase === Phase.Assigning || r.phase === Phase.Commit || r.phase === Phase.Reveal || r.phase === Phase.Expired);
    if (busy) return void (waiting() && health.set(HEALTH_REASONS.previousRoundOpen, `round ${busy.id} is still in phase ${Object.keys(Phase).find((k) => Phase[k as keyof typeof Phase] === busy.phase)}`));
    const p = await readParams(client, d);
    const maxOpen = Math.min(config.maxOpenRounds, p.maxOpenRounds);
    if (count - lastClosed >= BigInt(maxOpen)) return void (waiting() && health.set(HEALTH_REASONS.previousRoundOpen, `${count - lastClosed} rounds not closed (at most ${maxOpen} open)`));
    health.clear(HEALTH_REASONS.previousRoundOpen);
    if (!(await ensureBond())) return;
    // A transaction of this key still waiting to be mined may be a registration sent before a crash: forming the batch
    // now would put the same outputs in a second round. Registration waits until the node has mined it (or dropped it).
    const [unmined, mined] = await Promise.all([client.getTransactionCount({ address: me, blockTag: "pending" }), client.getTransactionCount({ address: me, blockTag: "latest" })]);
    if (unmined > mined) return void logger.info({ pending: unmined - mined }, "a transaction of this relayer is not mined yet: registering after it is");
    const latest = await client.getBlockNumber();
    const eligible = (await evaluatorStakesBefore(client, d, latest + 1n)).size;
    const needed = Math.max(1, p.quorum);
    if (eligible < needed) return health.set(HEALTH_REASONS.notEnoughEvaluators, `${eligible} evaluators staked, a round needs at least ${needed} (quorum)`);
    health.clear(HEALTH_REASONS.notEnoughEvaluators);
    const batch = await formBatch(p.goldPoolRoot, p.goldPoolSize, count + 1n);
    if (!batch) return;
    // Every output of the batch is pinned in the content backend before the round opens: evaluators fetch them by CID.
    await pinOutputs(access, batch.manifest.tasks.map((t) => t.contentHash));
    // With a network backend, the outputs in one file as well (src/protocol/bundle.ts), named in the manifest: readers
    // fetch a few blocks instead of one per output. The folder store needs none (readers share the folder).
    if (content && content.kind !== "folder" && batch.manifest.tasks.length > 1) {
      batch.manifest.bundle = await content.put(encodeBundle(bundleOrder(batch.manifest).map((h) => store.get(h))), { pin: true });
      store.setIndex(BUNDLE_INDEX, batch.manifest.bundle, BUNDLE_CHECKED); // built here: unpinned with the round
    }
    const { root, pointer: cid } = await publishManifest(access, batch.manifest);
    // Registered before a crash, its outputs not yet consumed (the same batch in a round that was cancelled since is
    // registered again: its outputs were released, see releaseCancelled).
    for (const [rid, known] of knownRounds) {
      if (known.root === root && (await readRound(client, d, rid)).status !== Status.Cancelled) return consumeRegistered(lastClosed);
    }
    // The gold choice is kept before the registration, so a crash right after it can still open the commitment.
    checkpoint.set(`gold:${root}`, JSON.stringify({ ...batch.gold, poolRoot: p.goldPoolRoot }));
    const registration = { taskRoot: root, taskCount: batch.manifest.tasks.length, goldCommitment: batch.commitment, manifestCid: cid };
    // The round id comes from this transaction's own event: another registration mined first (a front-run) takes the
    // id this registrar expected. Without the event the next tick learns the round from the chain.
    let registered: { id: bigint; block: bigint } | undefined;
    await send("registerTasks", { id: count + 1n }, async () => {
      const receipt = await sender.write({ ...base, functionName: "registerTasks", args: [registration] });
      const event = parseEventLogs({ abi: poQSettlementAbi, eventName: "TasksRegistered", logs: receipt.logs }).find((l) => l.args.taskRoot === root);
      if (event) registered = { id: event.args.roundId, block: receipt.blockNumber };
      return receipt;
    });
    if (registered !== undefined) knownRounds.set(registered.id, { root, count: registration.taskCount, block: registered.block });
    markGoldUsed(p.goldPoolRoot, batch.gold.items.map((g) => g.poolIndex));
    await consumeRegistered(lastClosed);
    metrics.relayer.roundsRegistered.inc();
  }

  /**
   * Items of the pool with root `poolRoot` this registrar may no longer draw: the ones its checkpoint records (rounds
   * it registered, open ones included), and the ones finalized rounds of that pool used, read from the chain and the
   * rounds' gold openings (so a registrar whose checkpoint was lost, or a new registrar, never reuses an item). Items
   * of another pool do not count: governance may replace the pool, and its items are then new.
   */
  async function usedGold(poolRoot: Hex, nextRound: bigint): Promise<Set<number>> {
    // Items recorded without their pool (by an earlier version, or a registration saved by one) are the pool's in
    // use now: moved under it once. Finalized rounds are read from chain below whatever the checkpoint says.
    const legacy = JSON.parse(checkpoint.get("gold_used") ?? "[]") as number[];
    if (legacy.length) {
      markGoldUsed(poolRoot, legacy);
      checkpoint.set("gold_used", "[]");
    }
    const used = new Set<number>(JSON.parse(checkpoint.get(`gold_used:${poolRoot.toLowerCase()}`) ?? "[]"));
    for (const i of await goldUsedBefore(settleBase, { id: nextRound, params: { goldPoolRoot: poolRoot } })) used.add(i);
    return used;
  }

  /** Records items as drawn from the pool `poolRoot` (unknown: an entry of an earlier version, counted for every pool). */
  function markGoldUsed(poolRoot: Hex | undefined, indexes: number[]) {
    if (indexes.length === 0) return;
    const key = poolRoot ? `gold_used:${poolRoot.toLowerCase()}` : "gold_used";
    const used = new Set<number>(JSON.parse(checkpoint.get(key) ?? "[]"));
    for (const i of indexes) used.add(i);
    checkpoint.set(key, JSON.stringify([...used].sort((a, b) => a - b)));
  }

  /**
   * Forms the next batch from pending outputs (whole query groups, in (queryId, node) order, up to the limit) and, when
   * this registrar holds the round's gold pool, mixes in unused pool items (whole query groups, attributed to the
   * batch's own nodes), ordered with the rest by query id so nothing marks them out.
   */
  async function formBatch(poolRoot: Hex, poolSize: number, roundId: bigint) {
    const entries: { node: Address; hash: Hex; rec: OutputRecord; tokens?: number }[] = [];
    const domain = { chainId: clients.chain.id, settlement: d.settlement };
    for (const [node, hashes] of store.listPending()) {
      for (const hash of hashes) {
        // Announced again after its round registered (a node killed before it saved its replay position serves it
        // again): already in a batch, so never in another one, never paid twice.
        if (isRegistered(checkpoint, node, hash)) {
          logger.warn({ node, content_hash: hash }, "output already in a registered round: dropped from the queue");
          store.removePending(node, hash);
          continue;
        }
        try {
          const rec = store.getJson<OutputRecord>(hash);
          // An output without a valid receipt of its node (bad signature, wrong signer, content that does not match)
          // never enters a batch, so it is never paid; the cost units come from the receipt's token count.
          const receipt = await pendingReceipt(store, domain, getAddress(node), hash, rec);
          entries.push({ node: getAddress(node), hash, rec, tokens: receipt.completionTokens });
        } catch (e) {
          logger.warn({ content_hash: hash, err: (e as Error).message.split("\n")[0] }, "refused pending output (never batched, never paid)");
          metrics.relayer.badOutputs.inc();
          store.removePending(node, hash);
        }
      }
    }
    if (entries.length < Math.max(1, config.minTasks)) return undefined;
    const byQuery = (a: { node: Address; rec: OutputRecord }, b: { node: Address; rec: OutputRecord }) =>
      a.rec.queryId === b.rec.queryId ? (a.node.toLowerCase() < b.node.toLowerCase() ? -1 : 1) : a.rec.queryId < b.rec.queryId ? -1 : 1;
    entries.sort(byQuery);
    const pool = config.goldPool && config.goldPool.root === poolRoot && config.goldPool.items.length === poolSize ? config.goldPool : undefined;
    if (config.goldPool && !pool) logger.warn({ pool_root: config.goldPool.root, chain_root: poolRoot }, "gold pool does not match the chain's goldPoolRoot: no gold tasks");
    const goldWanted = pool ? Math.max(1, Math.round((config.maxTasksPerRound * (config.goldRatePpm ?? DEFAULT_GOLD_RATE_PPM)) / 1e6)) : 0;
    const picked: typeof entries = [];
    let i = 0;
    while (i < entries.length) {
      let j = i;
      while (j < entries.length && entries[j].rec.queryId === entries[i].rec.queryId) j++;
      if (picked.length + (j - i) > config.maxTasksPerRound - goldWanted) {
        if (picked.length === 0) picked.push(...entries.slice(i, i + config.maxTasksPerRound - goldWanted));
        break;
      }
      picked.push(...entries.slice(i, j));
      i = j;
    }
    const nodes = [...new Set(picked.map((e) => e.node))].sort();
    const rank = (poolIndex: number) => createHmac("sha256", Buffer.from(deps.privateKey.slice(2), "hex")).update(`poq-settle/gold/v1/${d.settlement}/${roundId}/${poolIndex}`).digest("hex");
    // Without the evidence of which items are spent (an earlier round's opening unavailable), the round goes without
    // gold rather than risk a reuse or stall registration.
    const used = pool
      ? await usedGold(poolRoot, roundId).catch((e: unknown) => {
          if (!(e instanceof PoqError) || !e.retryable) throw e;
          logger.warn({ round_id: Number(roundId), err: e.message }, "gold reuse cannot be checked: registering this round without gold tasks");
          return undefined;
        })
      : undefined;
    const chosen = pool && used ? selectGold(pool, used, goldWanted, rank) : [];
    const goldEntries = chosen.map((g, n) => {
      const hash = store.putJson(g.record);
      return { node: attributeGold(nodes, Number(BigInt(`0x${rank(g.poolIndex).slice(0, 8)}`) % BigInt(nodes.length)) + n), hash, rec: g.record, gold: g };
    });
    const all = [...picked.map((e) => ({ ...e, gold: undefined as (typeof chosen)[number] | undefined })), ...goldEntries].sort(byQuery);
    const manifest: BatchManifest = {
      version: 2,
      tasks: all.map((e, index) => ({ index, node: e.node, model: e.rec.model, modelId: modelId(e.rec.model), contentHash: e.hash, costUnits: costUnitsOf({ ...e.rec, tokens: "tokens" in e ? e.tokens : e.rec.tokens }).toString() })),
    };
    const proofs = pool ? poolProofs(pool, chosen) : [];
    const items = all.flatMap((e, taskIndex) => (e.gold ? [{ taskIndex, poolIndex: e.gold.poolIndex, contentHash: e.gold.contentHash, quality: e.gold.quality, poolProof: proofs[chosen.indexOf(e.gold)] }] : []));
    const goldSalt = goldSaltOf(roundId);
    return { manifest, commitment: goldChoiceCommitment(items, goldSalt), gold: { salt: goldSalt, items } };
  }

  /** The gold salt of round `roundId`: derived from this registrar's key, so it can be derived again. */
  function goldSaltOf(roundId: bigint): Hex {
    return keccak256(toBytes(createHmac("sha256", Buffer.from(deps.privateKey.slice(2), "hex")).update(`poq-settle/gold-salt/v1/${d.settlement}/${roundId}`).digest("hex")));
  }

  function recoveredGold(r: RoundView): { salt: Hex; items: GoldOpening["items"] } | undefined {
    if (!config.goldPool) return undefined;
    try {
      return recoverGoldChoice(config.goldPool, loadBatch(store, r.taskRoot, r.taskCount), goldSaltOf(r.id), r.goldCommitment);
    } catch {
      return undefined; // the manifest is not in the store either
    }
  }

  /** Registrar, after the evaluators' reveal deadline: publishes the round's gold opening and points to it on chain. */
  async function stepOpenGold(r: RoundView) {
    if (r.goldCommitment === ZERO_HASH || getAddress(r.registrar) !== me || store.getIndex(GOLD_INDEX, r.taskRoot)) return;
    const saved = checkpoint.get(`gold:${r.taskRoot}`);
    // Without the checkpoint (lost, or wiped by a chain check), the choice is rebuilt from the batch, the pool and the
    // key-derived salt, and kept only if it opens the registration's commitment.
    const choice = saved ? (JSON.parse(saved) as { salt: Hex; items: GoldOpening["items"] }) : recoveredGold(r);
    if (!choice) {
      logger.error({ round_id: Number(r.id) }, "gold choice of this round is lost: the round cannot settle and will expire");
      return;
    }
    if (!saved) logger.warn({ round_id: Number(r.id), items: choice.items.length }, "gold choice rebuilt from the batch and the pool (not in the checkpoint)");
    const opening: GoldOpening = { version: 1, roundId: r.id.toString(), taskRoot: r.taskRoot, goldRoot: goldRootOf(choice.items), goldCount: choice.items.length, salt: choice.salt, items: choice.items };
    const { hash, pointer } = await publishJson(access, opening);
    await send("announce", r, () => sender.write({ ...base, functionName: "announce", args: [r.id, CONTENT_KIND.goldOpening, pointer] }));
    store.setIndex(GOLD_INDEX, r.taskRoot, hash);
  }

  /** Records a registered round's outputs (and the round as consumed), then takes them off the pending queue. */
  function consumePending(id: bigint, root: Hex, m: BatchManifest) {
    // first, in one transaction: a crash never leaves an output off the queue and unrecorded
    checkpoint.setMany([...registerRows(checkpoint, id, m.tasks), [CONSUMED_ROUND + id.toString(), root.toLowerCase()] as const]);
    for (const t of m.tasks) store.removePending(t.node, t.contentHash);
  }

  /**
   * Whether round `id` (with task root `root`) was consumed: its outputs recorded, or, cancelled when first read, left
   * in the queue (`cancelled:<root>`). The stored root must be the chain's: a round is never taken for another. Earlier
   * versions marked the root (`consumed:<root>`).
   */
  function isConsumed(id: bigint, root: Hex): boolean {
    const v = checkpoint.get(CONSUMED_ROUND + id.toString());
    const r = root.toLowerCase();
    return v === r || v === `cancelled:${r}` || checkpoint.get(CONSUMED + r) !== undefined;
  }

  /** The manifest of a known round from the store, checked against the chain's root and count; undefined if none is. */
  function manifestOf(root: Hex, count: number): BatchManifest | undefined {
    if (!store.getIndex("batch", root)) return undefined;
    try {
      return loadBatch(store, root, count);
    } catch (e) {
      if (e instanceof ContentError) return undefined; // another round's manifest under this root (another count)
      throw e;
    }
  }

  /**
   * Registrar: outputs of rounds that were cancelled (expired, or cancelled before their seed) go back to the queue
   * when no other registered round lists them (`./registered`): a cancelled round pays nobody, so the node that served
   * them is paid in a later round, once. Looks at each closed round once, in order. Waits while some registered
   * round's manifest is not in the store yet, since that round could list the same outputs (a withheld manifest
   * therefore holds releases back: the outputs stay unpaid, as before, never paid twice).
   */
  async function releaseCancelled(lastClosed: bigint) {
    const saved = checkpoint.get(RELEASED_THROUGH);
    let id = saved === undefined ? 1n : BigInt(saved) + 1n;
    if (id > lastClosed) return;
    if (!scannedRoots) return;
    for (const [rid, { root }] of knownRounds) {
      if (cancelledUnread.has(rid) || isConsumed(rid, root)) continue;
      if (rid <= lastClosed && (await readRound(client, d, rid)).status === Status.Cancelled) {
        cancelledUnread.add(rid);
        continue;
      }
      return; // a round that may pay, whose outputs this relayer does not know yet: wait
    }
    for (; id <= lastClosed; id++) {
      const r = await readRound(client, d, id);
      const manifest = r.status === Status.Cancelled ? manifestOf(r.taskRoot, r.taskCount) : undefined;
      if (!manifest) {
        checkpoint.set(RELEASED_THROUGH, id.toString());
        continue;
      }
      const { rows, free } = releaseRows(checkpoint, id, manifest.tasks);
      checkpoint.setMany(rows);
      // Only outputs this relayer holds with their node's receipt (never a gold item, which is no node's output).
      const queued = free.filter((o) => store.getIndex(RECEIPT_INDEX, receiptKey(o.node as Address, o.contentHash as Hex)) !== undefined);
      for (const o of queued) store.addPending(o.node, o.contentHash as Hex);
      checkpoint.set(RELEASED_THROUGH, id.toString()); // last: a crash before it redoes this round (idempotent)
      if (queued.length > 0) {
        logger.info({ round_id: Number(id), outputs: queued.length }, "outputs of a cancelled round queued again (it paid nobody)");
        metrics.relayer.outputsRequeued.inc(queued.length);
      }
    }
  }

  /**
   * Removes from the pending queue every output that a registered batch already holds, so no output is ever put
   * into two rounds (a registrar killed between registering and consuming leaves them pending).
   */
  async function consumeRegistered(lastClosed: bigint) {
    for (const [id, { root, count, block }] of knownRounds) {
      if (consumedRounds.has(id)) continue;
      if (isConsumed(id, root)) {
        consumedRounds.add(id);
        continue;
      }
      // A registrar killed between registering and recording its gold as used still never reuses it (recorded before
      // the root is marked consumed, so a crash in between is redone, never skipped).
      const gold = checkpoint.get(`gold:${root}`);
      if (gold) {
        const saved = JSON.parse(gold) as { items: { poolIndex: number }[]; poolRoot?: Hex };
        markGoldUsed(saved.poolRoot, saved.items.map((g) => g.poolIndex));
      }
      // A manifest not in the store yet (another relayer's round: a failover registrar's, or one registered while this
      // one was down) is fetched by the registration's manifestCid, checked against the root and count; tried again
      // later, less and less often, while nobody delivers it.
      let m = manifestOf(root, count);
      const retry = manifestRetry.get(id);
      if (!m && !cancelledUnread.has(id) && (retry === undefined || retry.at <= Date.now())) {
        try {
          m = await roundManifest(access, { id, taskRoot: root, taskCount: count, registeredBlock: block }, { timeoutMs: MANIFEST_FETCH_MS });
          manifestRetry.delete(id);
        } catch (e) {
          const wait = Math.min(MANIFEST_RETRY_MAX_MS, (retry?.wait ?? MANIFEST_RETRY_MS / 2) * 2);
          manifestRetry.set(id, { at: Date.now() + wait, wait });
          logger.debug({ round_id: Number(id), err: (e as Error).message.split("\n")[0] }, "manifest of a registered round not found yet");
        }
      }
      if (!m) continue;
      // A round already cancelled when its manifest arrives pays nobody: its outputs stay in the queue.
      if (id <= lastClosed && (await readRound(client, d, id)).status === Status.Cancelled) {
        checkpoint.set(CONSUMED_ROUND + id.toString(), `cancelled:${root.toLowerCase()}`);
        consumedRounds.add(id);
        continue;
      }
      consumePending(id, root, m);
      consumedRounds.add(id);
    }
  }

  /**
   * Registrar: learns every registered round from the `TasksRegistered` events, from the deployment block at first,
   * then only the blocks since the last scan, whenever the chain counts rounds it does not know (another relayer's,
   * open or already closed).
   */
  async function scanRoots(count: bigint) {
    if (!config.registrar || (scannedRoots && BigInt(knownRounds.size) >= count)) return;
    const latest = await client.getBlockNumber();
    const from = scanFrom ?? d.fromBlock ?? 0n;
    if (from <= latest) {
      const logs = await client.getContractEvents({ ...base, strict: true, eventName: "TasksRegistered", fromBlock: from, toBlock: latest });
      for (const l of logs) knownRounds.set(l.args.roundId, { root: l.args.taskRoot, count: Number(l.args.taskCount), block: l.blockNumber });
      scanFrom = latest + 1n;
    }
    scannedRoots = BigInt(knownRounds.size) >= count;
  }

  async function tick() {
    // Beside the steps, and even when this relayer can take none (unregistered, unbonded): what it pinned still goes.
    unpinner.maybePass();
    // An unregistered key can take no step: say so (once) instead of idling silently.
    if (!(await client.readContract({ address: d.config, abi: settlementConfigAbi, functionName: "isRelayer", args: [me] }))) {
      return health.set(HEALTH_REASONS.keyNotRegistered, `${me} is not a registered relayer (governance: SettlementConfig.setRelayer)`);
    }
    health.clear(HEALTH_REASONS.keyNotRegistered);
    relayerSet = undefined; // re-read the relayer set this tick, when a turn is first needed
    // Every relayer step needs the bond (registration, votes, settlement); without it the relayer only watches.
    if (!(await ensureBond())) return;
    const [count, lastClosed] = await Promise.all([roundCount(client, d), client.readContract({ ...base, functionName: "lastClosedRound" })]);
    await scanRoots(count);
    metrics.relayer.roundCount.set(Number(count));
    metrics.relayer.lastClosedRound.set(Number(lastClosed));
    const open: RoundView[] = [];
    for (let id = lastClosed + 1n; id <= count; id++) {
      const r = await readRound(client, d, id);
      open.push(r);
      if (config.registrar && !knownRounds.has(r.id)) knownRounds.set(r.id, { root: r.taskRoot, count: r.taskCount, block: r.registeredBlock }); // registered by another relayer since the scan
      if (r.phase !== Phase.Expired) stepPin(r);
      const afterReveal = r.revealDeadline > 0n && r.phase >= Phase.Settle;
      if (afterReveal) {
        await stepOpenGold(r);
        await stepSlashNonRevealers(r);
      }
      if (r.phase === Phase.Seeding || r.phase === Phase.Assigning) await stepAssign(r);
      else if (r.phase === Phase.Reveal) await stepRelayReveals(r);
      else if (r.phase === Phase.Settle && id === lastClosed + 1n) await stepSettle(r);
      else if (r.phase === Phase.Challenge) await stepWatch(r);
      else if (r.phase === Phase.Finalizable) await stepFinalize(r);
      else if (r.phase === Phase.Expired) await stepCancel(r);
    }
    if (config.registrar) {
      await consumeRegistered(lastClosed);
      await releaseCancelled(lastClosed);
    }
    await maybeRegister(count, lastClosed, open);
    for (const id of badReveals.keys()) if (id <= lastClosed) badReveals.delete(id);
    for (const id of computedSettlements.keys()) if (id <= lastClosed) computedSettlements.delete(id);
    for (const id of pinnedRounds) if (id <= lastClosed) pinnedRounds.delete(id);
    forgetTurns(turns, lastClosed);
  }

  return { tick, ensureBond, unpinner };
}
