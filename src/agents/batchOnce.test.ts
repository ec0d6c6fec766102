import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import type { Address, Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { fileOutput } from "./outputs";
import { deployLocal, inProcessChain, mintDev, stakeDevEvaluator } from "../../test/helpers/inProcessChain";
import { poQSettlementAbi } from "../chain/abis";
import type { Clients } from "../chain/client";
import type { Deployment } from "../chain/deployment";
import { readRound } from "../chain/reader";
import { readLoggedOutputs } from "../data/read";
import { loadBatch, outputRecordOf } from "../protocol/manifest";
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
 * An output enters at most one round. An inference node killed after announcing outputs but before it saved its
 * replay position serves and announces the same outputs again when it comes back (the fault campaign's IPFS peer
 * restarts found it): the registrar must not batch an output that a registered round already holds, or the node is
 * paid twice for one answer.
 */
describe("registrar: an output already registered never enters another batch (in-process Hardhat network)", () => {
  let clients: Clients;
  let d: Deployment;
  const items = readLoggedOutputs(SAMPLE, { requireLabel: false });

  beforeAll(async () => {
    clients = (await inProcessChain()).clients;
    d = await deployLocal({ k: 3, quorum: 2 });
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

  test("behavior: outputs announced again after their round registered are dropped from the queue; the next batch holds only new ones", async () => {
    const common = createCommon("test", { level: "silent", signal: new AbortController().signal });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "poq-batch-once-"));
    const store = new ContentStore(path.join(dir, "store"));
    const ckFile = path.join(dir, "checkpoint.sqlite");
    await mintDev(clients, d, 1, 6_000n * TOKEN);
    await stakeDevEvaluator(clients, d, 7, 200n * TOKEN);
    await stakeDevEvaluator(clients, d, 8, 200n * TOKEN);
    const first = await file(store, 5, 0, 4);
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
    const ck = new Checkpoint(ckFile);
    const r = relayer(ck);
    await r.tick(); // stakes the bond
    await r.tick();
    const client = clients.publicClient;
    const batch = async (id: bigint) => {
      const round = await readRound(client, d, id);
      return loadBatch(store, round.taskRoot, round.taskCount).tasks.map((t) => t.contentHash);
    };
    expect(await client.readContract({ address: d.settlement, abi: poQSettlementAbi, functionName: "roundCount" })).toBe(1n);
    expect(await batch(1n)).toEqual(expect.arrayContaining(first));

    // The node comes back from a SIGKILL that came before it saved its replay position: the same four outputs are
    // filed and announced again, then two new ones. Round 1 expires (no assignment), so the registrar may open round 2.
    expect(await file(store, 5, 0, 4)).toEqual(first);
    const fresh = await file(store, 5, 10, 2);
    await client.request({ method: "evm_increaseTime", params: [100_000] } as never);
    await client.request({ method: "evm_mine", params: [] } as never);
    for (let t = 0; t < 3; t++) await r.tick();
    expect(await client.readContract({ address: d.settlement, abi: poQSettlementAbi, functionName: "roundCount" })).toBe(2n);
    const second = await batch(2n);
    expect(second.filter((h) => first.includes(h))).toEqual([]);
    expect([...second].sort()).toEqual([...fresh].sort());
    expect(store.listPending().get(addr(5).toLowerCase()) ?? []).toEqual([]);
    // what is recorded: every registered output, on disk, and both roots as consumed
    expect(ck.entries("registered:")).toHaveLength(6);
    expect(ck.entries("consumed:")).toHaveLength(2);

    // After a restart (the same checkpoint file), and after losing the checkpoint (rebuilt from the registered
    // manifests), outputs of rounds 1 and 2 announced again still never enter a batch.
    const expireAndTick = async (rr: ReturnType<typeof relayer>) => {
      await client.request({ method: "evm_increaseTime", params: [100_000] } as never);
      await client.request({ method: "evm_mine", params: [] } as never);
      for (let t = 0; t < 3; t++) await rr.tick();
    };
    ck.close();
    const again = [...(await file(store, 5, 0, 4)), ...(await file(store, 5, 10, 2))];
    expect(again).toEqual([...first, ...fresh]);
    const third = await file(store, 5, 20, 1);
    await expireAndTick(relayer(new Checkpoint(ckFile)));
    expect(await client.readContract({ address: d.settlement, abi: poQSettlementAbi, functionName: "roundCount" })).toBe(3n);
    expect(await batch(3n)).toEqual(third);
    await file(store, 5, 0, 1);
    const fourth = await file(store, 5, 30, 1);
    await expireAndTick(relayer(new Checkpoint(":memory:")));
    expect(await client.readContract({ address: d.settlement, abi: poQSettlementAbi, functionName: "roundCount" })).toBe(4n);
    expect(await batch(4n)).toEqual(fourth);
  }, 240_000);
});
