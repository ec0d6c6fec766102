import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { toHex, type Abi, type Hex } from "viem";
import { poQSettlementAbi } from "../chain/abis";
import type { Clients } from "../chain/client";
import type { Deployment } from "../chain/deployment";
import { hashSettlement } from "../chain/encoding";
import { readRound } from "../chain/reader";
import { deployLocal, LocalChain } from "../explorer/testing";
import { cidFromBytes, cidOfKeccak } from "./cid";
import { ContentUnavailable } from "./content";
import type { GoldOpening } from "./gold";
import type { HeliaContent } from "./helia";
import { openLoopbackNodes } from "./loopback";
import { bareSettlementPayload } from "./testing";
import { modelId, publishBatch, type BatchManifest } from "./manifest";
import { loadPayload } from "./payload";
import { ContentError, ContentStore } from "./store";
import { CONTENT_KIND, pinRound, publishJson, publishManifest, publishSettlementPayload, roundGoldOpening, roundManifest, roundPayload } from "./roundContent";

const RELAYER = 1;
const EVALUATOR = 7;
const TOKEN = 10n ** 18n;

/**
 * Two relayers with their own stores and their own embedded IPFS nodes on loopback, on the in-process Hardhat
 * network: one publishes the round's manifest, gold opening and settlement payload and points to them on chain; the
 * other finds each from the chain's pointers alone.
 */
describe("round content by on-chain pointer (in-process Hardhat network, two embedded nodes on loopback)", () => {
  let clients: Clients;
  let d: Deployment;
  let chain: LocalChain;
  let nodes: HeliaContent[] = [];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "poq-round-content-"));
  const stores = { a: new ContentStore(path.join(dir, "store-a")), b: new ContentStore(path.join(dir, "store-b")) };

  beforeAll(async () => {
    ({ clients, deployment: d } = await deployLocal({ k: 1, quorum: 1, maxRoundPools: 5_000n * TOKEN, commitDuration: 10, revealDuration: 10, settleCommitDuration: 10, settleRevealDuration: 10, challengeDuration: 5 }));
    chain = new LocalChain(clients, d);
    await chain.stake(RELAYER, 3, 5_000n * TOKEN);
    await chain.stake(EVALUATOR, 2, 500n * TOKEN);
    nodes = await openLoopbackNodes(2, path.join(dir, "ipfs"), { timeoutMs: 5_000 });
  }, 180_000);

  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.close()));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const access = (who: "a" | "b", withContent = true) => ({ store: stores[who], content: withContent ? nodes[who === "a" ? 0 : 1] : undefined, client: clients.publicClient, deployment: d });

  function manifestOf(salt: string): BatchManifest {
    const node = chain.address(3);
    return {
      version: 2,
      tasks: [0, 1].map((index) => {
        const contentHash = stores.a.putJson({ id: `${salt}-${index}`, task: "qa", queryId: `q${index}`, query: "why?", output: "because", model: "m" });
        return { index, node, model: "m", modelId: modelId("m"), contentHash, costUnits: "100" };
      }),
    };
  }

  async function register(pointer: Hex, root: Hex) {
    await chain.send(RELAYER, d.settlement, poQSettlementAbi as Abi, "registerTasks", [{ taskRoot: root, taskCount: 2, goldCommitment: `0x${"00".repeat(32)}`, manifestCid: pointer }]);
    const id = await clients.publicClient.readContract({ address: d.settlement, abi: poQSettlementAbi, functionName: "roundCount" });
    return readRound(clients.publicClient, d, id);
  }

  test("behavior: a relayer with its own store finds the manifest, the gold opening and the payload from the CIDs on chain, fetched from its peer", async () => {
    // relayer A publishes the manifest (pinned in its node) and registers its CID
    const m = manifestOf("r1");
    const { root, pointer } = await publishManifest(access("a"), m);
    expect(pointer).not.toMatch(/^0x[0-9a-f]{64}$/); // a binary CID, not a bare keccak256
    expect(await nodes[0].pinned(cidFromBytes(pointer))).toBe(true);
    let r = await register(pointer, root);
    expect(stores.b.getIndex("batch", root)).toBeUndefined();
    expect(await roundManifest(access("b"), r)).toEqual(m);
    expect(stores.b.getIndex("batch", root)).toBeDefined(); // checked, then kept: the next read is local

    // B pins the round: the manifest, and every output, fetched from A's node
    for (const t of m.tasks) await nodes[0].putOutput(stores.a.get(t.contentHash), { pin: true });
    expect(await pinRound(access("b"), r, { timeoutMs: 5_000 })).toEqual([]);
    expect(await nodes[1].pinned(cidFromBytes(pointer))).toBe(true);
    for (const t of m.tasks) {
      expect(await nodes[1].pinned(cidOfKeccak(t.contentHash))).toBe(true);
      expect(stores.b.has(t.contentHash)).toBe(true);
    }

    // the registrar's gold opening, announced on chain
    const opening = { version: 1, roundId: r.id.toString(), taskRoot: root, goldRoot: `0x${"00".repeat(32)}`, goldCount: 0, salt: `0x${"11".repeat(32)}`, items: [] } as unknown as GoldOpening;
    const published = await publishJson(access("a"), opening);
    await chain.send(RELAYER, d.settlement, poQSettlementAbi as Abi, "announce", [r.id, CONTENT_KIND.goldOpening, published.pointer]);
    expect(await roundGoldOpening(access("b"), r)).toEqual(opening);

    // the round settles with A's payload CID; B fetches it, and keeps it as somebody else's (not its own)
    const byEvaluator = await chain.assign(r.id, [RELAYER]);
    await chain.vote(r.id, byEvaluator, [EVALUATOR]);
    const s = await chain.emptySettlement(r.id, "round content");
    const hash = hashSettlement(s);
    const file = bareSettlementPayload(r.id, s, [5, 5]);
    const payload = await publishSettlementPayload(access("a"), file);
    await chain.settle(r.id, s, [RELAYER], payload.pointer);
    r = await readRound(clients.publicClient, d, r.id);
    expect(r.settlementHash).toBe(hash);
    expect(await roundPayload(access("b"), r)).toEqual(file);
    expect(loadPayload(stores.b, hash)).toBeUndefined();

    // with A's node gone, everything B fetched is still read from its own store
    expect(await roundPayload(access("b", false), r)).toEqual(file);
    expect(await roundGoldOpening(access("b", false), r)).toEqual(opening);
  });

  test("behavior: with the folder store alone the pointer is the keccak256 and reads stay local; a manifest nobody has is a clear error", async () => {
    // no content backend: the manifest's keccak256 goes on chain, as before
    const m = manifestOf("r2");
    const { root, pointer, hash } = await publishManifest(access("a", false), m);
    expect(pointer).toBe(hash);
    const r = await register(pointer, root);
    expect(await roundManifest(access("a", false), r)).toEqual(m);
    // B has neither the index nor the object, and no backend to ask
    const err = await roundManifest(access("b", false), r).catch((e) => e);
    expect(err).toBeInstanceOf(ContentError);
    expect((err as Error).message).toMatch(/batch manifest .* is not in the store and no peer delivered it/);

    // a CID on chain that no peer holds: unavailable within the read deadline, not a hang
    const lonely = publishBatch(new ContentStore(path.join(dir, "lonely")), manifestOf("r3"));
    const r3 = await register(toHex(new Uint8Array([1, 0x55, 0x1b, 32, ...Buffer.from(lonely.cid.slice(2), "hex")])), lonely.root);
    const t0 = Date.now();
    const missing = await roundManifest(access("b"), r3, { timeoutMs: 1_500 }).catch((e) => e);
    expect(missing).toBeInstanceOf(ContentUnavailable);
    expect(Date.now() - t0).toBeLessThan(10_000);
  });
});
