import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import type { Abi, Address, Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { fileOutput } from "./outputs";
import { deployLocal, inProcessChain, mintDev, stakeDevEvaluator } from "../../test/helpers/inProcessChain";
import { poQSettlementAbi } from "../chain/abis";
import { walletFor, type Clients } from "../chain/client";
import type { Deployment } from "../chain/deployment";
import { readRound, Status } from "../chain/reader";
import { LocalChain } from "../explorer/testing";
import { readLoggedOutputs } from "../data/read";
import { buildTaskTree } from "../chain/encoding";
import { loadBatch, modelId, outputRecordOf, publishBatch, taskLeaves, type BatchManifest, type OutputRecord } from "../protocol/manifest";
import { costUnitsOf } from "../protocol/pricing";
import { ContentStore } from "../protocol/store";
import { devKey } from "./accounts";
import { Checkpoint } from "./checkpoint";
import { createCommon } from "./daemon";
import { loadPolicy } from "./policy";
import { createRelayer } from "./relayer";
import { senderFor } from "./system";

const SAMPLE = path.join(__dirname, "..", "..", "data", "samples", "qa-sample.jsonl");
const TOKEN = 10n ** 18n;

/**
 * An output enters at most one round that can pay it. An inference node killed after announcing outputs but before it
 * saved its replay position serves and announces the same outputs again when it comes back (the fault campaign's IPFS
 * peer restarts found it): the registrar must not batch an output that a registered round still holds, or the node is
 * paid twice for one answer. An output whose round was cancelled (it expired) was paid by nobody: it goes back to the
 * queue, or its node would never be paid for it.
 */
describe("registrar: an output enters at most one round that can pay it (in-process Hardhat network)", () => {
  let clients: Clients;
  let d: Deployment;
  let chain: LocalChain;
  const items = readLoggedOutputs(SAMPLE, { requireLabel: false });

  beforeAll(async () => {
    clients = (await inProcessChain()).clients;
    // Quorum 1: relayer 2 (driven by the test) takes rounds to their end while relayer 1 is the registrar daemon.
    d = await deployLocal({ k: 3, quorum: 1, maxRoundPools: 5_000n * TOKEN });
    chain = new LocalChain(clients, d);
  }, 180_000);

  const addr = (i: number): Address => privateKeyToAccount(devKey(i)).address;
  /** Files replayed outputs of node `i` as the node does (stored, receipt signed, pending); returns their hashes. */
  async function file(store: ContentStore, i: number, from: number, n: number): Promise<Hex[]> {
    const signer = privateKeyToAccount(devKey(i));
    const domain = { chainId: clients.chain.id, settlement: d.settlement };
    const out: Hex[] = [];
    for (const it of items.slice(from, from + n)) out.push((await fileOutput({ store, signer, domain, record: outputRecordOf(it), latencyMs: 0 })).contentHash);
    return out;
  }
  /** A manifest of node 5's stored outputs, in the given order, as a registrar builds it. */
  function manifestFor(store: ContentStore, hashes: Hex[]): BatchManifest {
    return {
      version: 2,
      tasks: hashes.map((contentHash, index) => {
        const rec = store.getJson<OutputRecord>(contentHash);
        return { index, node: addr(5), model: rec.model, modelId: modelId(rec.model), contentHash, costUnits: costUnitsOf(rec).toString() };
      }),
    };
  }
  /** Relayer 2 assigns the round, evaluators 7 and 8 vote, relayer 2 settles it (paying nothing new) and finalizes it. */
  async function finalize(id: bigint) {
    const by = await chain.assign(id, [2]);
    await chain.vote(id, by, [7, 8]);
    const s = await chain.emptySettlement(id, `batch-once ${id}`);
    await chain.settle(id, s, [2]);
    await chain.passUntil((await readRound(clients.publicClient, d, id)).challengeEnd);
    await chain.send(2, d.settlement, poQSettlementAbi as Abi, "finalize", [id, s]);
    expect((await readRound(clients.publicClient, d, id)).status).toBe(Status.Finalized);
  }

  test("behavior: outputs of a finalized round announced again never enter another batch; outputs of a cancelled round do, once; after a restart and after losing the checkpoint too", async () => {
    const common = createCommon("test", { level: "silent", signal: new AbortController().signal });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "poq-batch-once-"));
    const store = new ContentStore(path.join(dir, "store"));
    const ckFile = path.join(dir, "checkpoint.sqlite");
    await mintDev(clients, d, 1, 6_000n * TOKEN);
    await chain.stake(2, 3, 6_000n * TOKEN);
    await stakeDevEvaluator(clients, d, 7, 200n * TOKEN);
    await stakeDevEvaluator(clients, d, 8, 200n * TOKEN);
    const client = clients.publicClient;
    const relayer = (checkpoint: Checkpoint) =>
      createRelayer({
        common,
        clients,
        deployment: d,
        store,
        sender: senderFor(clients, devKey(1), common),
        privateKey: devKey(1),
        policy: loadPolicy(),
        checkpoint,
        config: { registrar: true, maxTasksPerRound: 1000, minTasks: 1, maxRounds: 0, maxOpenRounds: 2, turnGraceMs: 0 },
      });
    const rounds = async () => client.readContract({ address: d.settlement, abi: poQSettlementAbi, functionName: "roundCount" });
    const batch = async (id: bigint) => {
      const round = await readRound(client, d, id);
      return loadBatch(store, round.taskRoot, round.taskCount)
        .tasks.map((t) => t.contentHash)
        .sort();
    };
    const sorted = (hs: Hex[]) => [...hs].sort();
    /** Ticks until the registrar opened round `id` (a tick that registers does nothing after it). */
    const tickUntil = async (rr: ReturnType<typeof relayer>, id: bigint) => {
      for (let t = 0; t < 4 && (await rounds()) < id; t++) await rr.tick();
      expect(await rounds()).toBe(id);
    };

    const first = await file(store, 5, 0, 4);
    let ck = new Checkpoint(ckFile);
    let r = relayer(ck);
    await tickUntil(r, 1n); // stakes the bond, registers round 1
    expect(await batch(1n)).toEqual(sorted(first));
    expect((await readRound(client, d, 1n)).goldCommitment).toBe(`0x${"00".repeat(32)}`);
    await finalize(1n);

    // The node comes back from a SIGKILL that came before it saved its replay position: the same four outputs are
    // filed and announced again, then two new ones. Round 1 finalized (it may have paid them): only the new ones go.
    expect(await file(store, 5, 0, 4)).toEqual(first);
    const fresh = await file(store, 5, 10, 2);
    await tickUntil(r, 2n);
    expect(await batch(2n)).toEqual(sorted(fresh));
    expect(store.listPending().get(addr(5).toLowerCase()) ?? []).toEqual([]);

    // Round 2 expires (nobody assigns it) and the registrar cancels it: it paid nobody, so its outputs go back to the
    // queue and enter round 3, with a new one.
    await client.request({ method: "evm_increaseTime", params: [100_000] } as never);
    await client.request({ method: "evm_mine", params: [] } as never);
    const third = await file(store, 5, 20, 1);
    await tickUntil(r, 3n);
    expect((await readRound(client, d, 2n)).status).toBe(Status.Cancelled);
    expect(await batch(3n)).toEqual(sorted([...fresh, ...third]));
    // what is recorded: each output with the rounds that list it (round 2 taken off), every round as consumed
    const listed = Object.fromEntries(ck.entries("registered:").map(([k, v]) => [k.split(":")[2], v]));
    expect(first.map((h) => listed[h])).toEqual(first.map(() => '["1"]'));
    expect([...fresh, ...third].map((h) => listed[h])).toEqual([...fresh, ...third].map(() => '["3"]'));
    expect(ck.entries("consumed_round:")).toHaveLength(3);
    expect(ck.get("released_through")).toBe("2");

    // After a restart (the same checkpoint file): round 3 finalized, everything announced again, and one new output:
    // only the new one goes.
    ck.close();
    await finalize(3n);
    expect([...(await file(store, 5, 0, 4)), ...(await file(store, 5, 10, 2)), ...(await file(store, 5, 20, 1))]).toEqual([...first, ...fresh, ...third]);
    const fourth = await file(store, 5, 30, 1);
    ck = new Checkpoint(ckFile);
    r = relayer(ck);
    await tickUntil(r, 4n);
    expect(await batch(4n)).toEqual(sorted(fourth));

    // After losing the checkpoint (rebuilt from the registered manifests; cancelled round 2 is looked at again, and its
    // outputs stay out, since round 3 lists them): only the new output goes.
    ck.close();
    await finalize(4n);
    await file(store, 5, 0, 4);
    await file(store, 5, 10, 2);
    const fifth = await file(store, 5, 40, 1);
    r = relayer(new Checkpoint(":memory:"));
    await tickUntil(r, 5n);
    expect(await batch(5n)).toEqual(sorted(fifth));

    // A bonded relayer registers round 6 under round 5's task root with another task count (no manifest can match
    // it); both expire and are cancelled. The registrar neither stalls on the junk round nor takes it for round 5:
    // round 5's output goes back to the queue, and round 7 holds it with a new one.
    const five = await readRound(client, d, 5n);
    await chain.send(2, d.settlement, poQSettlementAbi as Abi, "registerTasks", [{ taskRoot: five.taskRoot, taskCount: five.taskCount + 1, goldCommitment: `0x${"00".repeat(32)}`, manifestCid: "0x" }]);
    await client.request({ method: "evm_increaseTime", params: [100_000] } as never);
    await client.request({ method: "evm_mine", params: [] } as never);
    const sixth = await file(store, 5, 50, 1);
    await tickUntil(r, 7n);
    expect([(await readRound(client, d, 5n)).status, (await readRound(client, d, 6n)).status]).toEqual([Status.Cancelled, Status.Cancelled]);
    expect(await batch(7n)).toEqual(sorted([...fifth, ...sixth]));

    // A failover: while the registrar is away, round 7 finalizes and relayer 2 registers round 8 from the same queue (two
    // new outputs), with a manifest the registrar's store holds only as content, not indexed; round 8 finalizes too
    // before the registrar looks again. It learns round 8 from the chain, reads its manifest by the registration's manifestCid, and never
    // batches those outputs again.
    const seventh = await file(store, 5, 60, 2);
    const m = manifestFor(store, seventh);
    const manifestHash = store.putJson(m);
    await finalize(7n);
    await chain.send(2, d.settlement, poQSettlementAbi as Abi, "registerTasks", [{ taskRoot: buildTaskTree(taskLeaves(m)).root, taskCount: 2, goldCommitment: `0x${"00".repeat(32)}`, manifestCid: manifestHash }]);
    await finalize(8n);
    const eighth = await file(store, 5, 70, 1);
    await tickUntil(r, 9n);
    expect(await batch(8n)).toEqual(sorted(seventh));
    expect(await batch(9n)).toEqual(sorted(eighth));

    // A crash after broadcasting a registration, before the node mined it: the restarted registrar (checkpoint lost
    // too) forms no batch while its own transaction waits in the node's pool; once it is mined, it learns that round
    // and batches only a new output.
    await finalize(9n);
    const ninth = await file(store, 5, 80, 2);
    const sent = publishBatch(store, manifestFor(store, ninth));
    await client.request({ method: "evm_setAutomine", params: [false] } as never);
    await walletFor(clients, devKey(1)).writeContract({ address: d.settlement, abi: poQSettlementAbi, functionName: "registerTasks", args: [{ taskRoot: sent.root, taskCount: 2, goldCommitment: `0x${"00".repeat(32)}`, manifestCid: sent.cid }] });
    r = relayer(new Checkpoint(":memory:"));
    await r.tick();
    await r.tick();
    expect(await rounds()).toBe(9n);
    await client.request({ method: "evm_mine", params: [] } as never);
    await client.request({ method: "evm_setAutomine", params: [true] } as never);
    expect(await rounds()).toBe(10n);
    await finalize(10n);
    const tenth = await file(store, 5, 90, 1);
    await tickUntil(r, 11n);
    expect(await batch(10n)).toEqual(sorted(ninth));
    expect(await batch(11n)).toEqual(sorted(tenth));
  }, 240_000);
});
