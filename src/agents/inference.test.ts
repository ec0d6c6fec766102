import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { getAddress, type Address, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import type { Clients } from "../chain/client";
import type { Deployment } from "../chain/deployment";
import type { TxSender } from "../chain/tx";
import { readLoggedOutputs } from "../data/read";
import { ContentStore } from "../protocol/store";
import { createAnnouncer, startAnnounce, type Announcer } from "./announce";
import { Checkpoint } from "./checkpoint";
import { createCommon } from "./daemon";
import { createInference, replaySource } from "./inference";

const SAMPLE = path.join(__dirname, "..", "..", "data", "samples", "qa-sample.jsonl");
const SETTLEMENT = "0x5FbDB2315678afecb367f032d93F642f64180aa3" as const;
const node = privateKeyToAccount(`0x${"a7".repeat(32)}` as Hex);
const dirs: string[] = [];
const closers: (() => Promise<void>)[] = [];
const dir = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "poq-inference-"));
  dirs.push(d);
  return d;
};

afterAll(async () => {
  for (const c of closers) await c().catch(() => undefined);
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/**
 * An inference node stopped after filing a window of outputs and before announcing them (or whose pins failed) has a
 * full pending queue that no relayer ever heard of: without announcing it again it would serve nothing more.
 */
describe("inference node: a window filed but never announced is announced at the next start", () => {
  test("behavior: after a stop between filing and announcing, the restarted node announces the pending window, and the relayer queues it", async () => {
    const common = createCommon("test", { level: "silent", signal: new AbortController().signal });
    const relayerStore = new ContentStore(dir());
    const srv = await startAnnounce({ port: 0, store: relayerStore, domain: { chainId: 31337, settlement: SETTLEMENT }, isStaked: async (a: Address) => getAddress(a) === node.address });
    closers.push(srv.close);
    const store = new ContentStore(dir());
    const checkpoint = new Checkpoint(":memory:");
    const items = readLoggedOutputs(SAMPLE, { requireLabel: false });
    const models = [items[0].model];
    const agent = (announcer: Announcer) =>
      createInference({
        common,
        clients: { chain: { id: 31337 }, publicClient: {} } as unknown as Clients,
        deployment: { settlement: SETTLEMENT } as unknown as Deployment,
        store,
        sender: { account: node.address } as unknown as TxSender,
        checkpoint,
        config: { stake: 0n, window: 3 },
        signer: node,
        source: replaySource(items, models),
        announcer,
      });

    // The first process files a window of 3 and stops before its announcements go out.
    const stopped = { announce: async () => undefined, announceMany: async () => Promise.reject(new Error("stopped")), retry: async () => 0, waiting: () => 0 } as unknown as Announcer;
    await expect(agent(stopped).tick()).rejects.toThrow(/stopped/);
    const pending = store.listPending().get(node.address.toLowerCase()) ?? [];
    expect(pending).toHaveLength(3);
    expect(relayerStore.listPending().size).toBe(0);

    // The restarted node announces the pending window first (then serves): the relayer queues all three.
    const announcer = createAnnouncer({ relayers: [`http://127.0.0.1:${srv.port}`], onDone: (r) => store.removePending(node.address, r.outputHash) });
    await agent(announcer).tick();
    expect(relayerStore.listPending().get(node.address.toLowerCase())).toEqual(expect.arrayContaining(pending));
    expect(announcer.waiting()).toBe(0);
  });
});
