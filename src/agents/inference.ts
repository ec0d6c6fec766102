import { getAddress, type Address, type Hex } from "viem";
import { stakeVaultAbi } from "../chain/abis";
import { Role } from "../chain/reader";
import type { LoggedOutput } from "../data/logged";
import { InputError } from "../errors";
import type { AgentDeps } from "./deps";
import { ensureAllowance, haveFunds } from "./funds";
import { HEALTH_REASONS } from "./health";
import { outputRecordOf, type OutputRecord } from "../protocol/manifest";
import type { Receipt, ReceiptSigner } from "../protocol/receipt";
import { fileOutput, RECEIPT_INDEX, receiptKey } from "./outputs";
import type { Announcer } from "./announce";
import { createUnpinner } from "./unpin";
import { pinOutputs } from "../protocol/roundContent";

/** Where outputs come from: the built-in source replays logged outputs of the models this node serves. */
export type OutputSource = { next(): LoggedOutput | undefined; position(): number; seek(n: number): void };

/** A source with nothing to replay (a node that only serves queries). */
export const NO_SOURCE: OutputSource = { next: () => undefined, position: () => 0, seek: () => undefined };

/** Replays the outputs of `models` from logged outputs, in file order (one per query and model). */
export function replaySource(items: readonly LoggedOutput[], models: readonly string[]): OutputSource {
  const wanted = new Set(models);
  const mine = items.filter((it) => wanted.has(it.model));
  if (mine.length === 0) throw new InputError(`the replay file has no outputs of model(s) ${models.join(", ")}`);
  let i = 0;
  return { next: () => (i < mine.length ? mine[i++] : undefined), position: () => i, seek: (n) => (i = Math.max(0, Math.min(n, mine.length))) };
}

export type InferenceConfig = {
  stake: bigint;
  /** Keep at most this many outputs waiting for a batch. */
  window: number;
  /** Keep outputs pinned this long (seconds) after their round closed, if longer than the chain's horizon (./unpin). */
  pinHorizon?: number;
};

export type InferenceDeps = AgentDeps<InferenceConfig> & {
  /** Signs the receipts of served outputs (the node's key). */
  signer: ReceiptSigner;
  /** Announces each filed output to the relayers' HTTP API (none: the relayers share this node's store). */
  announcer?: Announcer;
  source: OutputSource;
};

/**
 * The inference node: stakes, then serves outputs. Each output goes into the content-addressed store and is filed
 * as pending; the registrar relayer puts its hash into the next round's task batch. The replay position is
 * checkpointed, and re-filing an output is harmless (same content, same hash).
 */
export function createInference(deps: InferenceDeps) {
  const { common, clients, deployment: d, store, sender, source, checkpoint, config, signer } = deps;
  const domain = { chainId: clients.chain.id, settlement: d.settlement };
  const { logger, metrics, health } = common;
  const me: Address = getAddress(sender.account);
  let staked = config.stake === 0n;
  const cursor = checkpoint.get("replay_position");
  if (cursor) source.seek(Number(cursor));
  /** Unpins this node's outputs once their rounds are past the recomputation horizon (./unpin). */
  const unpinner = createUnpinner({ common, client: clients.publicClient, deployment: d, store, content: deps.content, checkpoint, account: me, role: "inference", overrideSeconds: config.pinHorizon });

  async function ensureStake() {
    if (staked) return true;
    const s = await clients.publicClient.readContract({ address: d.vault, abi: stakeVaultAbi, functionName: "stakeOf", args: [me, Role.Inference] });
    if (s.active < config.stake) {
      const need = config.stake - s.active;
      if (!(await haveFunds({ client: clients.publicClient, token: d.token, owner: me, need, health, what: "inference stake" }))) return false;
      await ensureAllowance({ client: clients.publicClient, sender, token: d.token, spender: d.vault, amount: need });
      await sender.write({ address: d.vault, abi: stakeVaultAbi, functionName: "stake", args: [Role.Inference, need] });
      logger.info({ node: me, amount: need.toString() }, "staked");
    }
    return (staked = true);
  }

  /** Pins a filed output in the content backend: peers (evaluators, relayers) fetch it from this node by its CID. */
  async function publish(contentHash: Hex) {
    if (!deps.content) return;
    unpinner.recordOutput(contentHash); // first: a stop right after the pin never leaves it pinned for good
    await deps.content.putOutput(store.get(contentHash), { pin: true });
  }

  /** Files one output served in `latencyMs`: stored, receipt signed, queued for the next batch. */
  async function file(record: OutputRecord, latencyMs: number) {
    const r = await fileOutput({ store, signer, domain, record, latencyMs });
    await publish(r.contentHash);
    metrics.inference.outputs.inc();
    await deps.announcer?.announce(record, r.receipt);
    return r;
  }

  /**
   * This node's pending outputs, pinned and announced again: the ones a stop (or a failed pin) left filed but never
   * announced. Done at the first tick, and again after a tick that failed while serving; with nothing else, a window of
   * such outputs would fill the queue for good and the node would serve nothing more.
   */
  let resumed = false;
  async function resume() {
    if (resumed || !deps.announcer) return;
    const items = (store.listPending().get(me.toLowerCase()) ?? []).flatMap((hash) => {
      const receiptHash = store.getIndex(RECEIPT_INDEX, receiptKey(me, hash));
      return receiptHash ? [{ record: store.getJson<OutputRecord>(hash), receipt: store.getJson<Receipt>(receiptHash as Hex), hash }] : [];
    });
    if (items.length > 0) {
      await pinOutputs({ store, content: deps.content }, items.map((it) => it.hash));
      await deps.announcer.announceMany(items.map(({ record, receipt }) => ({ record, receipt })));
      logger.info({ node: me, outputs: items.length }, "pending outputs announced again");
    }
    resumed = true;
  }

  async function serve(): Promise<number> {
    const waiting = store.listPending().get(me.toLowerCase())?.length ?? 0;
    let served = 0;
    const filed: { record: OutputRecord; receipt: Receipt; hash: Hex }[] = [];
    while (waiting + served < config.window) {
      const it = source.next();
      if (!it) {
        // A node answering live queries has no replay source to run out of.
        if (source !== NO_SOURCE) health.set(HEALTH_REASONS.sourceExhausted, `all ${source.position()} outputs of the source served`);
        break;
      }
      // A replayed output keeps its logged latency (0 when none was logged): it was not served now.
      const record = outputRecordOf(it);
      const r = await fileOutput({ store, signer, domain, record, latencyMs: it.latencyMs ?? 0 });
      filed.push({ record, receipt: r.receipt, hash: r.contentHash });
      served++;
    }
    // The window is recorded for unpinning (one checkpoint transaction, before any pin), pinned, then announced
    // together (batch requests). After a stop or a failed pin in between, the next start (or tick) pins and announces
    // the pending outputs again (`resume`).
    if (filed.length > 0) {
      unpinner.recordOutputs(filed.map((f) => f.hash));
      try {
        await pinOutputs({ store, content: deps.content }, filed.map((f) => f.hash));
        await deps.announcer?.announceMany(filed.map(({ record, receipt }) => ({ record, receipt })));
      } catch (e) {
        resumed = false;
        throw e;
      }
    }
    if (served > 0) {
      checkpoint.set("replay_position", String(source.position()));
      metrics.inference.outputs.inc(served);
      logger.info({ node: me, served }, "outputs served");
    }
    return served;
  }

  async function tick() {
    unpinner.maybePass(); // beside the tick, staked or not
    if (!(await ensureStake())) return;
    await resume();
    await serve();
    const waiting = await deps.announcer?.retry();
    if (waiting) logger.warn({ node: me, waiting }, "announcements not yet accepted by every relayer");
  }

  return { tick, address: me, serve, file, unpinner };
}
