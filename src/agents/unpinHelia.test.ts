import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Abi, EIP1193Provider, Hex } from "viem";
import { poQSettlementAbi } from "../chain/abis";
import type { Clients } from "../chain/client";
import type { Deployment } from "../chain/deployment";
import { chainTime, Phase, readHorizonParams, readRound, roundClosure, type RoundView } from "../chain/reader";
import { InputError } from "../errors";
import { deployLocal, LocalChain, serveRpc } from "../explorer/testing";
import { cidFromBytes, cidOfKeccak, type Cid } from "../protocol/cid";
import { GOLD_INDEX, type GoldOpening } from "../protocol/gold";
import type { HeliaContent } from "../protocol/helia";
import { openLoopbackNodes } from "../protocol/loopback";
import { bareSettlementPayload } from "../protocol/testing";
import { modelId, type BatchManifest } from "../protocol/manifest";
import { ContentStore } from "../protocol/store";
import { Checkpoint } from "./checkpoint";
import { resolveConfig } from "./config";
import { createCommon } from "./daemon";
import { pinRound, publishJson, publishManifest, publishSettlementPayload } from "../protocol/roundContent";
import { runAgents } from "./run";
import { chainHorizon, createUnpinner } from "./unpin";

const RELAYER = 1;
const NODE = 3;
const EVALUATOR = 7;
const TOKEN = 10n ** 18n;

/**
 * A relayer and an inference node, each with its own store, checkpoint and embedded IPFS node on loopback, on the
 * in-process Hardhat network deployed with a short horizon (unbonding 60 s + a round of at most 320 s). Round A is
 * finalized and passes the horizon; round B, registered later, stays open and lists one of A's outputs again. The
 * unpinning passes remove what each pinned for A (and the node's output no round listed), keep everything B holds,
 * and garbage collection removes the unpinned blocks.
 */
describe("unpinning at the recomputation horizon (in-process Hardhat network, two embedded nodes on loopback)", () => {
  let clients: Clients;
  let provider: EIP1193Provider;
  let d: Deployment;
  let chain: LocalChain;
  let nodes: HeliaContent[] = [];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "poq-unpin-"));
  const stores = { relayer: new ContentStore(path.join(dir, "store-r")), node: new ContentStore(path.join(dir, "store-n")) };
  const checkpointFile = { relayer: path.join(dir, "relayer.sqlite"), node: path.join(dir, "node.sqlite") };
  const common = createCommon("test", { level: "silent", signal: new AbortController().signal });

  beforeAll(async () => {
    ({ clients, provider, deployment: d } = await deployLocal({ k: 1, quorum: 1, unbondingPeriod: 60, maxRoundPools: 5_000n * TOKEN, commitDuration: 10, revealDuration: 10, settleCommitDuration: 10, settleRevealDuration: 10, challengeDuration: 5 }));
    chain = new LocalChain(clients, d);
    await chain.stake(RELAYER, 3, 5_000n * TOKEN);
    await chain.stake(EVALUATOR, 2, 500n * TOKEN);
    nodes = await openLoopbackNodes(2, path.join(dir, "ipfs"), { timeoutMs: 5_000 });
  }, 180_000);

  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.close()));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const access = () => ({ store: stores.relayer, content: nodes[0], client: clients.publicClient, deployment: d });
  const unpinner = (who: "relayer" | "node", checkpoint: Checkpoint, overrideSeconds?: number, content: HeliaContent = nodes[who === "relayer" ? 0 : 1]) =>
    createUnpinner({
      common,
      client: clients.publicClient,
      deployment: d,
      store: stores[who],
      content,
      checkpoint,
      account: chain.address(who === "relayer" ? RELAYER : NODE),
      role: who === "relayer" ? "relayer" : "inference",
      overrideSeconds,
    });

  /** The inference node files an output: in its store, pinned in its node, recorded for unpinning. */
  async function fileOutput(u: ReturnType<typeof unpinner>, salt: string): Promise<Hex> {
    const hash = stores.node.putJson({ id: salt, task: "qa", queryId: `q-${salt}`, query: "why?", output: `because ${salt}`, model: "m" });
    await nodes[1].putOutput(stores.node.get(hash), { pin: true });
    u.recordOutput(hash);
    return hash;
  }

  /** The inference node files a window of outputs as `serve` does: recorded in one transaction, then pinned. */
  async function fileWindow(u: ReturnType<typeof unpinner>, salts: string[]): Promise<Hex[]> {
    const hashes = salts.map((salt) => stores.node.putJson({ id: salt, task: "qa", queryId: `q-${salt}`, query: "why?", output: `because ${salt}`, model: "m" }));
    u.recordOutputs(hashes);
    for (const h of hashes) await nodes[1].putOutput(stores.node.get(h), { pin: true });
    return hashes;
  }

  /** The registrar publishes a batch of these outputs of the node (the relayer's store lacks them) and registers it. */
  async function registerBatch(hashes: Hex[]): Promise<{ r: RoundView; manifestCid: Cid }> {
    const m: BatchManifest = { version: 2, tasks: hashes.map((contentHash, index) => ({ index, node: chain.address(NODE), model: "m", modelId: modelId("m"), contentHash, costUnits: "100" })) };
    const { root, pointer } = await publishManifest(access(), m);
    await chain.send(RELAYER, d.settlement, poQSettlementAbi as Abi, "registerTasks", [{ taskRoot: root, taskCount: m.tasks.length, goldCommitment: `0x${"00".repeat(32)}`, manifestCid: pointer }]);
    const id = await clients.publicClient.readContract({ address: d.settlement, abi: poQSettlementAbi, functionName: "roundCount" });
    const r = await readRound(clients.publicClient, d, id);
    // the relayer pins the round: the manifest, and every output fetched from the node's IPFS node
    expect(await pinRound(access(), r, { timeoutMs: 5_000 })).toEqual([]);
    return { r, manifestCid: cidFromBytes(pointer) };
  }

  /** Settles the round with the relayer's own payload (pinned) and finalizes it; returns the payload's CID. */
  async function settleAndFinalize(r: RoundView): Promise<Cid> {
    const byEvaluator = await chain.assign(r.id, [RELAYER]);
    await chain.vote(r.id, byEvaluator, [EVALUATOR]);
    const s = await chain.emptySettlement(r.id, `unpin ${r.id}`);
    const file = bareSettlementPayload(r.id, s, r.taskCount === 2 ? [5, 5] : []);
    const payload = await publishSettlementPayload(access(), file);
    await chain.settle(r.id, s, [RELAYER], payload.pointer);
    await chain.passUntil((await readRound(clients.publicClient, d, r.id)).challengeEnd);
    await chain.send(RELAYER, d.settlement, poQSettlementAbi as Abi, "finalize", [r.id, s]);
    return cidFromBytes(payload.pointer);
  }

  const held = async (n: HeliaContent, cids: Cid[]) => Promise.all(cids.map(async (c) => [await n.pinned(c), await n.has(c)]));

  test("behavior: past the horizon a relayer and an inference node unpin what they pinned for the round and gc removes its blocks; a round within the horizon keeps everything, a restart redoes nothing", async () => {
    const horizon = chainHorizon(await readHorizonParams(clients.publicClient, d));
    expect(horizon).toBe(380n); // unbonding 60 s + the longest round, 320 s: read from the chain
    const ckR = new Checkpoint(checkpointFile.relayer);
    const ckN = new Checkpoint(checkpointFile.node);
    const relayer = unpinner("relayer", ckR);
    const node = unpinner("node", ckN);

    // the node serves three outputs; its first pass stamps them with the chain's time
    const [o1, o2, o3] = await fileWindow(node, ["o1", "o2", "o3"]);
    expect(await node.pass()).toMatchObject({ unpinned: 0, gc: false });

    // round A (o1, o2): pinned by the relayer with its gold opening and its payload, finalized at time T
    const a = await registerBatch([o1, o2]);
    const opening = { version: 1, roundId: a.r.id.toString(), taskRoot: a.r.taskRoot, goldRoot: `0x${"00".repeat(32)}`, goldCount: 0, salt: `0x${"11".repeat(32)}`, items: [] } as unknown as GoldOpening;
    const gold = await publishJson(access(), opening);
    stores.relayer.setIndex(GOLD_INDEX, a.r.taskRoot, gold.hash);
    const goldCid = cidFromBytes(gold.pointer);
    const payloadCid = await settleAndFinalize(a.r);
    const finalized = await clients.publicClient.getContractEvents({ address: d.settlement, abi: poQSettlementAbi, eventName: "RoundFinalized", args: { roundId: a.r.id }, fromBlock: 0n, strict: true });
    const T = (await clients.publicClient.getBlock({ blockNumber: finalized[0].blockNumber })).timestamp;
    // a fourth output, never batched, first seen pinned at T
    const o4 = await fileOutput(node, "o4");
    expect(await chainTime(clients.publicClient)).toBe(T);
    expect(await node.pass()).toMatchObject({ unpinned: 0, gc: false });

    // shortly before A's horizon ends, round B (o2 again, o3) opens and stays open
    await chain.passUntil(T + horizon - 40n);
    const b = await registerBatch([o2, o3]);
    const relayerA = [a.manifestCid, cidOfKeccak(o1), payloadCid];
    const relayerB = [b.manifestCid, cidOfKeccak(o2), cidOfKeccak(o3)];
    const everything = [...relayerA, goldCid, ...relayerB];

    // within the horizon: nothing is unpinned, by either
    expect(await chainTime(clients.publicClient)).toBeLessThanOrEqual(T + horizon);
    expect(await relayer.pass()).toMatchObject({ rounds: [], unpinned: 0, gc: false, oldestPinnedRound: a.r.id });
    expect(await node.pass()).toMatchObject({ rounds: [], unpinned: 0, gc: false, oldestPinnedRound: a.r.id });
    expect(await held(nodes[0], everything)).toEqual(everything.map(() => [true, true]));
    expect(await held(nodes[1], [o1, o2, o3, o4].map(cidOfKeccak))).toEqual([o1, o2, o3, o4].map(() => [true, true]));

    // past A's horizon (B open): an operator's longer horizon still keeps everything
    await chain.passUntil(T + horizon + 5n);
    expect(await unpinner("relayer", new Checkpoint(":memory:"), Number(horizon) + 3_600).pass()).toMatchObject({ rounds: [], unpinned: 0, horizon: horizon + 3_600n });
    expect(await held(nodes[0], relayerA)).toEqual(relayerA.map(() => [true, true]));

    // the relayer unpins A's manifest, its exclusive output and its payload; o2 stays for B, and the gold opening for
    // good (later rounds are checked against it for gold reuse)
    expect(await relayer.pass()).toMatchObject({ rounds: [a.r.id], unpinned: 3, gc: true, horizon, oldestPinnedRound: b.r.id });
    expect(await held(nodes[0], relayerA)).toEqual(relayerA.map(() => [false, false]));
    expect(await held(nodes[0], [goldCid])).toEqual([[true, true]]);
    expect(await held(nodes[0], relayerB)).toEqual(relayerB.map(() => [true, true]));

    // the node unpins o1 (only in A) and o4 (never batched, older than the horizon); o2 (also in B) and o3 stay.
    // It stops before collecting (its gc fails): the blocks stay, and its next pass collects without unpinning again.
    const stopping = Object.create(nodes[1], { gc: { value: () => Promise.reject(new Error("stopped before collecting")) } }) as HeliaContent;
    await expect(unpinner("node", ckN, undefined, stopping).pass()).rejects.toThrow("stopped before collecting");
    expect(await held(nodes[1], [o1, o4].map(cidOfKeccak))).toEqual([[false, true], [false, true]]);
    expect(await node.pass()).toMatchObject({ rounds: [], unpinned: 0, gc: true, oldestPinnedRound: b.r.id });
    expect(await held(nodes[1], [o1, o4].map(cidOfKeccak))).toEqual([[false, false], [false, false]]);
    expect(await held(nodes[1], [o2, o3].map(cidOfKeccak))).toEqual([[true, true], [true, true]]);

    const metrics = await common.metrics.registry.metrics();
    expect(metrics).toMatch(/^poq_unpinned_cids_total 5$/m);
    expect(metrics).toMatch(new RegExp(`^poq_oldest_pinned_round ${b.r.id}$`, "m"));

    // a restart (checkpoints reopened) starts where it stopped: nothing unpinned or collected again
    ckR.close();
    ckN.close();
    const ckR2 = new Checkpoint(checkpointFile.relayer);
    const ckN2 = new Checkpoint(checkpointFile.node);
    expect(await unpinner("relayer", ckR2).pass()).toMatchObject({ rounds: [], unpinned: 0, gc: false, oldestPinnedRound: b.r.id });
    expect(await unpinner("node", ckN2).pass()).toMatchObject({ rounds: [], unpinned: 0, gc: false, oldestPinnedRound: b.r.id });
    expect(await held(nodes[0], relayerB)).toEqual(relayerB.map(() => [true, true]));

    // B expires unseeded (counted from its assignment deadline until cancelled), then is cancelled (counted from
    // the cancellation); past that horizon everything B held goes, o2 included
    await chain.passUntil(b.r.assignDeadline);
    const expired = await readRound(clients.publicClient, d, b.r.id);
    expect(expired.phase).toBe(Phase.Expired);
    expect(await roundClosure(clients.publicClient, d, expired)).toEqual({ state: "expired", at: b.r.assignDeadline });
    await chain.send(RELAYER, d.settlement, poQSettlementAbi as Abi, "cancelRound", [b.r.id]);
    const cancelledAt = await chainTime(clients.publicClient);
    expect(await roundClosure(clients.publicClient, d, await readRound(clients.publicClient, d, b.r.id))).toEqual({ state: "cancelled", at: cancelledAt });
    await chain.test.setNextBlockTimestamp({ timestamp: cancelledAt + horizon });
    await chain.test.mine({ blocks: 1 });
    expect(await chainTime(clients.publicClient)).toBe(cancelledAt + horizon);
    expect(await unpinner("relayer", ckR2).pass()).toMatchObject({ rounds: [], unpinned: 0 }); // exactly at the horizon: kept
    await chain.passTime(1);
    expect(await unpinner("relayer", ckR2).pass()).toMatchObject({ rounds: [b.r.id], unpinned: 3, gc: true, oldestPinnedRound: 0n });
    // o2 and o3 go; o2 is A's content too
    expect(await unpinner("node", ckN2).pass()).toMatchObject({ rounds: [a.r.id, b.r.id], unpinned: 2, gc: true, oldestPinnedRound: 0n });
    expect(await held(nodes[0], relayerB)).toEqual(relayerB.map(() => [false, false]));
    expect(await held(nodes[1], [o2, o3].map(cidOfKeccak))).toEqual([[false, false], [false, false]]);
    expect(ckN2.entries("unpin:output:")).toEqual([]);
    ckR2.close();
    ckN2.close();
  });

  test("behavior: a relayer started with a pin horizon shorter than the chain's stops at start with an InputError naming both", async () => {
    const rpc = await serveRpc(provider);
    try {
      const deploymentFile = path.join(dir, "deployment.json");
      const { token, vault, distributor, settlement, config, challenges, timelock } = d;
      fs.writeFileSync(deploymentFile, JSON.stringify({ token, vault, distributor, settlement, config, challenges, timelock }));
      const cfg = resolveConfig({
        env: {},
        flags: { devAccount: RELAYER, rpcUrl: rpc.url, deploymentFile, storeDir: path.join(dir, "run-store"), dataDir: path.join(dir, "run-data"), logLevel: "silent", pinHorizon: "379" },
        single: "relayer",
      });
      // without the check the relayer would run: stopped after 10 s, it then ends without an error
      const stop = new AbortController();
      const timer = setTimeout(() => stop.abort(), 10_000);
      const err = await runAgents(cfg, "poq-relayer", { signal: stop.signal }).catch((e: unknown) => e);
      clearTimeout(timer);
      expect(err).toBeInstanceOf(InputError);
      expect((err as Error).message).toBe(
        "pinHorizon (--pin-horizon) 379 s is shorter than the chain's recomputation horizon of 380 s (unbonding period 60 s + longest round 320 s): content others may still need would be unpinned; give at least 380 s or leave it out",
      );
    } finally {
      await rpc.close();
    }
  });
});
