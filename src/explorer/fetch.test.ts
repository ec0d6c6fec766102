import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import type { Abi, EIP1193Provider, Hex } from "viem";
import { poQSettlementAbi } from "../chain/abis";
import type { Clients } from "../chain/client";
import type { Deployment } from "../chain/deployment";
import { cidFromBytes, cidOfKeccak } from "../protocol/cid";
import { HeliaContent } from "../protocol/helia";
import { modelId, type BatchManifest } from "../protocol/manifest";
import { bareSettlementPayload } from "../protocol/testing";
import { publishManifest, publishSettlementPayload, type ContentAccess } from "../protocol/roundContent";
import { ContentStore } from "../protocol/store";
import { roundPage, status, taskPage } from "./api";
import { createApp } from "./server";
import { renderRound } from "./inspect";
import { hashSettlement } from "../chain/encoding";
import { openExplorer, resolveExplorerConfig, type OpenedExplorer } from "./run";
import { deployLocal, LocalChain, serveRpc } from "./testing";
import { main } from "../cli";

const RELAYER = 1;
const NODE = 3;
const EVALUATOR = 7;
const TOKEN = 10n ** 18n;

/**
 * An explorer with an empty store of its own and an embedded IPFS node, peered with a relayer's node on loopback, on
 * the in-process Hardhat network: it finds each round's content from the pointers on chain alone.
 */
describe("explorer over IPFS (in-process Hardhat network, embedded nodes on loopback)", () => {
  let clients: Clients;
  let provider: EIP1193Provider;
  let d: Deployment;
  let chain: LocalChain;
  let relayerNode: HeliaContent;
  let holder: HeliaContent | undefined;
  let explorer: OpenedExplorer;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "poq-explorer-ipfs-"));
  const relayerStore = new ContentStore(path.join(dir, "relayer-store"));
  const relayer = (): ContentAccess => ({ store: relayerStore, content: relayerNode });

  beforeAll(async () => {
    ({ clients, provider, deployment: d } = await deployLocal({ k: 1, quorum: 1, maxRoundPools: 5_000n * TOKEN, commitDuration: 10, revealDuration: 10, settleCommitDuration: 10, settleRevealDuration: 10, challengeDuration: 5 }));
    chain = new LocalChain(clients, d);
    await chain.stake(RELAYER, 3, 5_000n * TOKEN);
    await chain.stake(EVALUATOR, 2, 500n * TOKEN);
    relayerNode = await HeliaContent.open({ dir: path.join(dir, "relayer-ipfs"), timeoutMs: 5_000 });
    // The explorer as `poq explorer --store <empty> --content helia --ipfs-peers <relayer> --archive` configures it.
    const cfg = resolveExplorerConfig(
      { store: path.join(dir, "explorer-store"), db: path.join(dir, "explorer.sqlite"), confirmations: "0", content: "helia", ipfsPeers: relayerNode.addresses()[0], archive: "true" },
      {},
    );
    expect(cfg.content).toMatchObject({ kind: "helia", dir: path.join(dir, "explorer-store", "ipfs"), peers: [relayerNode.addresses()[0]] });
    explorer = await openExplorer(cfg, { clients, deployment: d, fetch: { timeoutMs: 4_000, waitMs: 8_000, retryMs: 300 } });
    await (explorer.content as HeliaContent).waitForPeers(15_000);
  }, 180_000);

  afterAll(async () => {
    await explorer?.close();
    await holder?.close();
    await relayerNode?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** A manifest of two outputs, the outputs in `store` (not published to any node). */
  function manifestIn(store: ContentStore, salt: string): BatchManifest {
    const node = chain.address(NODE);
    return {
      version: 2,
      tasks: [0, 1].map((index) => {
        const contentHash = store.putJson({ id: `${salt}-${index}`, task: "qa", queryId: `q${index}`, query: `question ${index} of ${salt}?`, output: `answer ${index}`, model: "m" });
        return { index, node, model: "m", modelId: modelId("m"), contentHash, costUnits: "100" };
      }),
    };
  }

  async function register(pointer: Hex, root: Hex): Promise<bigint> {
    await chain.send(RELAYER, d.settlement, poQSettlementAbi as Abi, "registerTasks", [{ taskRoot: root, taskCount: 2, goldCommitment: `0x${"00".repeat(32)}`, manifestCid: pointer }]);
    return clients.publicClient.readContract({ address: d.settlement, abi: poQSettlementAbi, functionName: "roundCount" });
  }

  /** Assigns, votes and settles the round with a payload of these consensus values, published by `a`. */
  async function settle(id: bigint, a: ContentAccess, consensus: number[]): Promise<{ hash: Hex; pointer: Hex }> {
    const byEvaluator = await chain.assign(id, [RELAYER]);
    await chain.vote(id, byEvaluator, [EVALUATOR]);
    const s = await chain.emptySettlement(id, `explorer over ipfs ${id}`);
    const hash = hashSettlement(s);
    const file = bareSettlementPayload(id, s, consensus);
    const { pointer } = await publishSettlementPayload(a, file);
    await chain.settle(id, s, [RELAYER], pointer);
    return { hash, pointer };
  }

  test("behavior: with an empty store, the round's output, consensus and payload data come over IPFS from the relayer's node; the archive pins them", async () => {
    const m = manifestIn(relayerStore, "r1");
    const { root, pointer } = await publishManifest(relayer(), m);
    for (const t of m.tasks) await relayerNode.putOutput(relayerStore.get(t.contentHash), { pin: true });
    const id = await register(pointer, root);
    const { pointer: payloadPointer } = await settle(id, relayer(), [4_000, 7_000]);
    expect(fs.readdirSync(path.join(dir, "explorer-store", "objects"))).toEqual([]); // nothing shared on disk

    await explorer.indexer.sync();
    const p = await roundPage(explorer.ctx, id.toString());
    expect([p.content.manifest, p.content.payload]).toEqual(["loaded", "loaded"]);
    expect(p.content.backend).toBe("helia");
    expect(p.content.source).toMatchObject({ manifest: "fetched", payloads: "fetched", outputs: { listed: 2, fetched: 2, missing: 0 }, pinned: { missing: 0 } });
    expect(p.round.meanConsensus).toBe(5.5);
    expect(p.tasks.map((t) => t.consensus)).toEqual([4, 7]);
    const task = taskPage(explorer.ctx, id.toString(), "1");
    expect(task.output).toMatchObject({ output: "answer 1", query: "question 1 of r1?" });
    expect(task.consensus).toBe(7);

    // the archive: the manifest, both outputs and the payload pinned in the explorer's own node
    const node = explorer.content as HeliaContent;
    expect(await node.pinned(cidFromBytes(pointer))).toBe(true);
    expect(await node.pinned(cidFromBytes(payloadPointer))).toBe(true);
    for (const t of m.tasks) expect(await node.pinned(cidOfKeccak(t.contentHash))).toBe(true);
    expect(p.content.source?.pinned?.cids).toBe(4);

    // the status names the backend; the round counts as fetched
    explorer.fetcher!.retry(); // refreshes the node's info
    await new Promise((r) => setTimeout(r, 200));
    expect(status(explorer.ctx).content).toMatchObject({ backend: "helia", archive: true, connectedPeers: 1, roundsFetched: 1, roundsWaiting: 0 });

    // the pages say it too: the status line names the backend, the round where its content came from
    const html = await (await createApp(explorer.ctx).request(`/round/${id}`)).text();
    expect(html).toMatch(/off-chain data: from the content store, fetched over helia \(1 peer connected; archive: pins every round&#39;s content; 0 rounds waiting for content\)/);
    expect(html).toMatch(/<span id="content-source">Content: manifest fetched over helia; outputs: 2 of 2 held, 2 fetched; settlement payload fetched over helia; archive: 4 CIDs pinned.<\/span>/);

    expect(renderRound(p, explorer.ctx.token.symbol)).toMatch(/Content: manifest fetched over helia; outputs: 2 of 2 held, 2 fetched; settlement payload fetched over helia/); // poq inspect round

    // the command line, as an operator runs it: `poq inspect round N --json` with a fresh store and a node of its own
    const rpc = await serveRpc(provider);
    const out = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
    try {
      fs.writeFileSync(path.join(dir, "deployment.json"), JSON.stringify(d));
      const args = ["--rpc", rpc.url, "--deployment", path.join(dir, "deployment.json"), "--db", path.join(dir, "inspect.sqlite"), "--confirmations", "0"];
      const content = ["--store", path.join(dir, "inspect-store"), "--content", "helia", "--content-dir", path.join(dir, "inspect-ipfs"), "--ipfs-peers", relayerNode.addresses()[0]];
      expect(await main(["node", "poq", "inspect", "round", id.toString(), "--json", ...args, ...content])).toBe(0);
      const inspected = JSON.parse(out.mock.calls.map((c) => String(c[0])).join("")) as Awaited<ReturnType<typeof roundPage>>;
      expect(inspected.content).toMatchObject({ manifest: "loaded", payload: "loaded", backend: "helia", source: { manifest: "fetched", payloads: "fetched", pinned: null } });
      expect(inspected.tasks.map((t) => t.consensus)).toEqual([4, 7]);
    } finally {
      out.mockRestore();
      await rpc.close();
    }

    // the relayer's node goes away: derived again, the round still shows everything, from the explorer's own store
    await relayerNode.close();
    explorer.db.markDirty([Number(id)]);
    await explorer.indexer.sync();
    const again = await roundPage(explorer.ctx, id.toString());
    expect(again.tasks.map((t) => t.consensus)).toEqual([4, 7]);
    expect(again.content.source).toMatchObject({ manifest: "fetched", payloads: "fetched" }); // still says where it came from
  }, 120_000);

  test("behavior: content nobody serves leaves the round derived without it, within the wait; a holder that appears later is found and the round derived again", async () => {
    const holderStore = new ContentStore(path.join(dir, "holder-store"));
    const m = manifestIn(holderStore, "r2");
    const holderAccess = (content: HeliaContent | undefined): ContentAccess => ({ store: holderStore, content });
    // the CIDs the holder's node will give, computed with a node that is closed again before the explorer asks
    const scratch = await HeliaContent.open({ dir: path.join(dir, "scratch-ipfs") });
    const { root, pointer } = await publishManifest(holderAccess(scratch), m);
    await scratch.close();
    const id = await register(pointer, root);

    const t0 = Date.now();
    await explorer.indexer.sync();
    expect(Date.now() - t0).toBeLessThan(15_000); // one fetch deadline (4 s), not a stuck indexer
    let p = await roundPage(explorer.ctx, id.toString());
    expect(p.round.status).toBe("registered");
    expect(p.content.manifest).toBe("missing");
    expect(p.content.source).toMatchObject({ manifest: "unavailable", outputs: null });
    expect(taskPage(explorer.ctx, id.toString(), "0").note).toMatch(/batch manifest is not in the content store; the explorer's helia content backend has not delivered it yet/);
    expect(status(explorer.ctx).content?.roundsWaiting).toBe(1);

    // a holder appears: its own node, peered with the explorer's, serving the manifest and the outputs
    holder = await HeliaContent.open({ dir: path.join(dir, "holder-ipfs"), peers: [(await explorer.content!.info()).addresses[0]] });
    await holder.waitForPeers(15_000);
    expect(cidFromBytes((await publishManifest(holderAccess(holder), m)).pointer)).toBe(cidFromBytes(pointer));
    for (const t of m.tasks) await holder.putOutput(holderStore.get(t.contentHash), { pin: true });

    const until = Date.now() + 30_000;
    while (p.content.manifest !== "loaded" && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 400));
      await explorer.indexer.sync();
      p = await roundPage(explorer.ctx, id.toString());
    }
    expect(p.content.manifest).toBe("loaded");
    expect(p.content.source).toMatchObject({ manifest: "fetched", outputs: { listed: 2, fetched: 2, missing: 0 } });
    expect(p.tasks.map((t) => t.node)).toEqual([chain.address(NODE), chain.address(NODE)]);
    expect(taskPage(explorer.ctx, id.toString(), "0").output).toMatchObject({ output: "answer 0" });
    expect(await explorer.content!.pinned(cidFromBytes(pointer))).toBe(true);
  }, 120_000);

  test("behavior: content a peer delivers under the right CID but for another batch is rejected, never shown, and not asked for again", async () => {
    const holderStore = new ContentStore(path.join(dir, "holder-store"));
    const real = manifestIn(holderStore, "r3");
    const other = manifestIn(holderStore, "r3-other");
    // the registration names the task root of one batch and the CID of another, which the holder serves
    const { root } = await publishManifest({ store: holderStore }, real);
    const { pointer } = await publishManifest({ store: holderStore, content: holder }, other);
    const id = await register(pointer, root);
    await explorer.indexer.sync();
    const p = await roundPage(explorer.ctx, id.toString());
    expect(p.content.manifest).toBe("invalid");
    expect(p.content.note).toMatch(/batch manifest rejected: .* does not rebuild the task root/);
    expect(p.content.source).toMatchObject({ manifest: "invalid", outputs: null });
    expect(taskPage(explorer.ctx, id.toString(), "0")).toMatchObject({ node: null, contentHash: null, output: null });
    expect(status(explorer.ctx).content?.roundsWaiting).toBe(0);
  }, 60_000);
});
