import { formatUnits, getAddress, keccak256, toBytes, type Address, type Hex } from "viem";
import { poQSettlementAbi } from "../chain/abis";
import type { Clients } from "../chain/client";
import type { Deployment } from "../chain/deployment";
import { deriveSalt, settlementCommitment, type Settlement } from "../chain/encoding";
import { RevertError } from "../chain/errors";
import { chainTime, evaluatorStakesBefore, Phase, readRound, revealedSettlements, roundCount, type RoundView } from "../chain/reader";
import type { TxSender } from "../chain/tx";
import { PoqError } from "../errors";
import type { SettlementParams } from "../rewards/params";
import type { Checkpoint } from "./checkpoint";
import type { Common } from "./daemon";
import { computeAssignment, costUnitsOf, loadPayload, publishBatch, settlementFromFile, type BatchManifest, type OutputRecord } from "./roundData";
import { checkPublishedReveal, planRevealBatches, REVEAL_INDEX, revealIndexKey, type PublishedReveal } from "./revealBatch";
import { computeRoundSettlement, type SettleContext } from "./settle";
import { canonicalJson, type ContentStore } from "./store";

export type RelayerConfig = {
  /** Whether this relayer forms task batches and opens rounds (one registrar per network is enough). */
  registrar: boolean;
  maxTasksPerRound: number;
  /** Open a round only when at least this many outputs wait. */
  minTasks: number;
  /** Stop opening rounds after this many exist (0: no limit). */
  maxRounds: number;
  /** Rounds opened but not yet closed, at most. */
  maxOpenRounds: number;
  /**
   * Submitting evaluators' signed reveals (published to the content store) in `revealScoresBatch` transactions:
   * "now" as soon as any is waiting, "backup" only once half the reveal window has passed (for reveals another
   * relayer did not submit), "off" never. Default: "now" for the registrar, "backup" for the others.
   */
  relayReveals?: "now" | "backup" | "off";
};

export type RelayerDeps = {
  common: Common;
  clients: Clients;
  deployment: Deployment;
  store: ContentStore;
  sender: TxSender;
  privateKey: Hex;
  policy: SettlementParams;
  checkpoint: Checkpoint;
  config: RelayerConfig;
};

/** keccak256 of the policy's canonical JSON (without its version): what `Params.policyHash` pins on chain. */
export function policyHash(policy: SettlementParams): Hex {
  const { paramsVersion: _v, ...rest } = policy;
  return keccak256(toBytes(canonicalJson(rest)));
}

/**
 * The relayer: watches the chain and drives every phase of every open round. Each tick reads the chain and takes
 * the next step, so a restart (even after SIGKILL) resumes where the chain says the round is: nothing is committed,
 * revealed or finalized twice, because each step first checks whether it already happened on chain.
 */
export function createRelayer(deps: RelayerDeps) {
  const { common, clients, deployment: d, store, sender, checkpoint, config } = deps;
  const { logger, metrics } = common;
  const client = clients.publicClient;
  const me = getAddress(sender.account);
  const knownRoots = new Set<Hex>();
  const consumedRoots = new Set<Hex>();
  let scannedRoots = false;

  const base = { address: d.settlement, abi: poQSettlementAbi } as const;

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

  async function settleContext(): Promise<SettleContext> {
    const p = await client.readContract({ ...base, functionName: "params" });
    const onchain = p.policyHash as Hex;
    if (onchain !== `0x${"00".repeat(32)}` && onchain !== policyHash(deps.policy)) {
      throw new PoqError(`policy mismatch: the contract pins policy ${onchain}, this relayer runs ${policyHash(deps.policy)}; refusing to settle`);
    }
    return { client, deployment: d, store, policy: deps.policy, chainMaxSlashes: Number(p.maxSlashes) };
  }

  /** Sends a step's transaction; a revert that says the step is already done (by us or another relayer) is fine. */
  async function send(label: string, r: RoundView, fn: () => Promise<unknown>, doneErrors: string[]) {
    try {
      const receipt = (await fn()) as { transactionHash: Hex };
      metrics.inc("relayer_tx_total", "Relayer transactions", { step: label });
      logger.info({ round_id: Number(r.id), step: label, tx_hash: receipt.transactionHash }, `round ${r.id}: ${label}`);
    } catch (e) {
      if (e instanceof RevertError && e.errorName && doneErrors.includes(e.errorName)) {
        logger.info({ round_id: Number(r.id), step: label, reason: e.errorName }, "step already done");
        return;
      }
      throw e;
    }
  }

  async function stepAssign(r: RoundView) {
    const votes = await myVotes(r);
    if (votes.proposed) return;
    const a = await computeAssignment(client, d, r);
    const root = a.tree.root as Hex;
    await send("proposeAssignment", r, () => sender.write({ ...base, functionName: "proposeAssignment", args: [r.id, root] }), [
      "AssignmentAlreadyProposed",
      "WrongPhase",
    ]);
  }

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
        metrics.inc("relayer_reveals_rejected_total", "Published signed reveals that failed a check");
        continue;
      }
      ready.push({ evaluator: e, reveal: checked.reveal });
    }
    for (const batch of planRevealBatches(ready)) {
      logger.info({ round_id: Number(r.id), reveals: batch.length }, "relaying signed reveals");
      await send("revealScoresBatch", r, () => sender.write({ ...base, functionName: "revealScoresBatch", args: [r.id, batch.map((b) => b.reveal)] }), ["WrongPhase"]);
      metrics.inc("relayer_reveals_relayed_total", "Signed reveals submitted in batches", {}, batch.length);
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

  async function stepSettle(r: RoundView, quorum: number) {
    const votes = await myVotes(r);
    const key = `settlement:${r.id}:${r.attempt}`;
    const salt = deriveSalt(deps.privateKey, { chainId: clients.chain.id, contract: d.settlement, roundId: r.id, purpose: "settlement", attempt: r.attempt });
    if (!votes.committed.has(r.attempt)) {
      if (r.settleReveals > 0) return; // this attempt's commits are closed; wait for acceptance or a reset
      const computed = await computeRoundSettlement(await settleContext(), r);
      checkpoint.set(key, computed.hash); // before sending: a crash after the commit still knows what it committed
      const commitment = settlementCommitment({ chainId: clients.chain.id, contract: d.settlement, roundId: r.id, relayer: me, settlementHash: computed.hash, salt });
      metrics.set("relayer_round_inference_paid", "Inference pool paid by the last computed settlement", Number(formatUnits(computed.settlement.inferencePaid, 18)));
      await send("commitSettlement", r, () => sender.write({ ...base, functionName: "commitSettlement", args: [r.id, commitment] }), [
        "SettlementAlreadyCommitted",
        "SettlementCommitsClosed",
        "WrongPhase",
      ]);
      return;
    }
    if (votes.revealed.has(r.attempt) || r.settleCommits < quorum) return;
    let hash = checkpoint.get(key) as Hex | undefined;
    let file = hash ? loadPayload(store, hash) : undefined;
    if (!file) {
      // Checkpoint or store lost: recompute; the contract rejects it if the inputs changed since the commit.
      const computed = await computeRoundSettlement(await settleContext(), r);
      hash = computed.hash;
      file = computed.file;
    }
    const settlement = settlementFromFile(file);
    await send("revealSettlement", r, () => sender.write({ ...base, functionName: "revealSettlement", args: [r.id, toAbi(settlement), salt] }), [
      "SettlementAlreadyRevealed",
      "WrongPhase",
    ]);
  }

  async function stepFinalize(r: RoundView) {
    let settlement: Settlement | undefined;
    const file = loadPayload(store, r.settlementHash);
    if (file) settlement = settlementFromFile(file);
    else settlement = (await revealedSettlements(client, d, r)).get(r.settlementHash);
    if (!settlement) throw new PoqError(`round ${r.id}: accepted settlement ${r.settlementHash} not found in events or store`, { retryable: true });
    await send("finalize", r, () => sender.write({ ...base, functionName: "finalize", args: [r.id, toAbi(settlement)] }), ["WrongPhase"]);
    metrics.inc("relayer_rounds_finalized_total", "Rounds this relayer finalized");
  }

  async function maybeRegister(count: bigint, lastClosed: bigint, open: RoundView[], k: number) {
    if (!config.registrar) return;
    if (config.maxRounds > 0 && count >= BigInt(config.maxRounds)) return;
    if (open.some((r) => r.phase === Phase.Assigning || r.phase === Phase.Commit || r.phase === Phase.Reveal)) return;
    if (count - lastClosed >= BigInt(config.maxOpenRounds)) return;
    const latest = await client.getBlockNumber();
    const eligible = (await evaluatorStakesBefore(client, d, latest + 1n)).size;
    if (eligible < k) {
      logger.info({ eligible, k }, "not enough eligible evaluators to open a round");
      return;
    }
    const manifest = formBatch();
    if (!manifest) return;
    const root = publishBatch(store, manifest);
    if (knownRoots.has(root)) return consumeRegistered(); // registered before a crash, its outputs not yet consumed
    const r = { id: count + 1n } as RoundView;
    await send("registerTasks", r, () => sender.write({ ...base, functionName: "registerTasks", args: [root, BigInt(manifest.tasks.length)] }), []);
    knownRoots.add(root);
    consumeRegistered();
    metrics.inc("relayer_rounds_registered_total", "Rounds this relayer opened");
  }

  /** Forms the next batch from pending outputs: whole query groups, in (queryId, node) order, up to the limit. */
  function formBatch(): BatchManifest | undefined {
    const entries: { node: Address; hash: Hex; rec: OutputRecord }[] = [];
    for (const [node, hashes] of store.listPending()) {
      for (const hash of hashes) {
        try {
          const rec = store.getJson<OutputRecord>(hash);
          if (getAddress(rec.node) !== getAddress(node)) throw new PoqError(`pending output ${hash} names node ${rec.node}, filed under ${node}`);
          entries.push({ node: getAddress(node), hash, rec });
        } catch (e) {
          logger.warn({ content_hash: hash, err: (e as Error).message.split("\n")[0] }, "skipping bad pending output");
          metrics.inc("relayer_bad_outputs_total", "Pending outputs skipped as bad");
          store.removePending(node, hash);
        }
      }
    }
    if (entries.length < Math.max(1, config.minTasks)) return undefined;
    entries.sort((a, b) => (a.rec.queryId === b.rec.queryId ? (a.node.toLowerCase() < b.node.toLowerCase() ? -1 : 1) : a.rec.queryId < b.rec.queryId ? -1 : 1));
    const picked: typeof entries = [];
    let i = 0;
    while (i < entries.length) {
      let j = i;
      while (j < entries.length && entries[j].rec.queryId === entries[i].rec.queryId) j++;
      if (picked.length + (j - i) > config.maxTasksPerRound) {
        if (picked.length === 0) picked.push(...entries.slice(i, i + config.maxTasksPerRound));
        break;
      }
      picked.push(...entries.slice(i, j));
      i = j;
    }
    return {
      version: 1,
      tasks: picked.map((e, index) => ({
        index,
        node: e.node,
        model: e.rec.model,
        modelId: keccak256(toBytes(e.rec.model)),
        contentHash: e.hash,
        costUnits: costUnitsOf(e.rec).toString(),
      })),
    };
  }

  function consumePending(m: BatchManifest) {
    for (const t of m.tasks) store.removePending(t.node, t.contentHash);
  }

  /**
   * Removes from the pending queue every output that a registered batch already holds, so no output is ever put
   * into two rounds (a registrar killed between registering and consuming leaves them pending).
   */
  function consumeRegistered() {
    for (const root of knownRoots) {
      if (consumedRoots.has(root)) continue;
      const hash = store.getIndex("batch", root);
      if (hash) consumePending(store.getJson<BatchManifest>(hash as Hex));
      consumedRoots.add(root);
    }
  }

  async function scanRoots(count: bigint) {
    if (!scannedRoots) {
      const logs = await client.getContractEvents({ ...base, strict: true, eventName: "TasksRegistered", fromBlock: d.fromBlock ?? 0n, toBlock: "latest" });
      for (const l of logs) knownRoots.add(l.args.taskRoot);
      scannedRoots = logs.length >= Number(count);
    }
    if (config.registrar) consumeRegistered();
  }

  async function tick() {
    const [count, lastClosed, p] = await Promise.all([
      roundCount(client, d),
      client.readContract({ ...base, functionName: "lastClosedRound" }),
      client.readContract({ ...base, functionName: "params" }),
    ]);
    await scanRoots(count);
    metrics.set("relayer_round_count", "Rounds opened on chain", Number(count));
    metrics.set("relayer_last_closed_round", "Latest closed round", Number(lastClosed));
    const open: RoundView[] = [];
    for (let id = lastClosed + 1n; id <= count; id++) {
      const r = await readRound(client, d, id);
      open.push(r);
      if (r.phase === Phase.Assigning) await stepAssign(r);
      else if (r.phase === Phase.Reveal) await stepRelayReveals(r);
      else if (r.phase === Phase.Settle && id === lastClosed + 1n) await stepSettle(r, Number(p.quorum));
      else if (r.phase === Phase.Finalizable && id === lastClosed + 1n) await stepFinalize(r);
      // A round that just finalized lets the next one settle in the same tick.
      if (r.phase === Phase.Finalizable && id === lastClosed + 1n) return;
    }
    await maybeRegister(count, lastClosed, open, Number(p.k));
    for (const id of badReveals.keys()) if (id <= lastClosed) badReveals.delete(id);
  }

  return { tick };
}

/** The viem argument shape of the settlement tuple. */
export function toAbi(s: Settlement) {
  return { ...s, slashes: s.slashes.map((x) => ({ evaluator: x.evaluator, reason: x.reason })) };
}
