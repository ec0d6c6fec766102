import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { nonceManager, type Address } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { chainWithTestToken, deployTestToken } from "../../test/helpers/inProcessChain";
import type { Clients } from "../chain/client";
import type { Deployment } from "../chain/deployment";
import { readLoggedOutputs } from "../data/read";
import { ContentStore } from "../protocol/store";
import { devKey } from "./accounts";
import { openBoundCheckpoint } from "./checkpoint";
import { createCommon } from "./daemon";
import { createInference, replaySource } from "./inference";
import type { TxSender } from "../chain/tx";

const SAMPLE = path.join(__dirname, "..", "..", "data", "samples", "qa-sample.jsonl");

describe("checkpoints bound to their chain (in-process Hardhat network)", () => {
  let clients: Clients;
  let provider: Awaited<ReturnType<typeof chainWithTestToken>>["provider"];
  let token: Address;
  beforeAll(async () => void ({ clients, provider, token } = await chainWithTestToken()), 120_000);

  const deploymentAt = (a: Address): Deployment => ({ chainId: 31337, token: a, vault: a, distributor: a, settlement: a, config: a, challenges: a, timelock: a });
  const items = readLoggedOutputs(SAMPLE, { requireLabel: false });
  const model = items[0].model;
  const node = privateKeyToAccount(devKey(5)).address;

  /** One start of an inference node with this data folder: opens its checkpoint, serves a window, closes. */
  async function start(dataDir: string, storeDir: string, deployment: Deployment) {
    const warnings: string[] = [];
    const file = path.join(dataDir, `inference-${node.toLowerCase()}.sqlite`);
    const { checkpoint, reset } = await openBoundCheckpoint(file, { client: clients.publicClient, chainId: clients.chain.id, deployment, log: { warn: (_o, m) => warnings.push(m) } });
    const common = createCommon("test", { level: "silent", signal: new AbortController().signal });
    const store = new ContentStore(storeDir);
    const sender = { account: node } as unknown as TxSender;
    const source = replaySource(items, [model]);
    const n = createInference({ common, clients, deployment, store, sender, source, checkpoint, signer: privateKeyToAccount(devKey(5)), config: { stake: 0n, window: 3 } });
    const served = await n.serve();
    const position = source.position();
    checkpoint.close();
    return { served, position, reset, warnings, file };
  }

  test("behavior: a restarted chain with the same chain id and addresses makes the node start fresh, and names the file", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "poq-bound-"));
    const data = path.join(dir, "data");
    const d = deploymentAt(token);
    const first = await start(data, path.join(dir, "s1"), d);
    expect(first).toMatchObject({ served: 3, position: 3, reset: undefined });
    await provider.request({ method: "hardhat_mine" as never, params: ["0x5"] as never });
    // Same chain, new store (its pending list emptied by a batch): the node resumes where it stopped.
    const again = await start(data, path.join(dir, "s2"), d);
    expect(again).toMatchObject({ served: 3, position: 6, reset: undefined });

    // The node restarts: same chain id, same deployer, so the same address.
    await provider.request({ method: "hardhat_reset" as never, params: [] as never });
    nonceManager.reset({ address: privateKeyToAccount(devKey(0)).address, chainId: clients.chain.id });
    expect(await deployTestToken(clients)).toBe(token);
    const after = await start(data, path.join(dir, "s3"), d);
    expect(after.reset).toMatch(/earlier run of the chain/);
    expect(after.warnings).toEqual([expect.stringContaining(after.file)]);
    // Serves from the start again instead of idling on a stale position.
    expect(after).toMatchObject({ served: 3, position: 3 });
  });

  test("behavior: state of another deployment on the same chain is dropped; a legacy unbound file too", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "poq-bound-"));
    const data = path.join(dir, "data");
    await start(data, path.join(dir, "s1"), deploymentAt(token));
    const other = await start(data, path.join(dir, "s2"), deploymentAt("0x000000000000000000000000000000000000dEaD"));
    expect(other.reset).toBe("another chain or deployment");
    expect(other.position).toBe(3);

    const { Checkpoint } = await import("./checkpoint");
    const legacyDir = path.join(dir, "legacy");
    const legacy = new Checkpoint(path.join(legacyDir, `inference-${node.toLowerCase()}.sqlite`));
    legacy.set("replay_position", "9");
    legacy.close();
    const fromLegacy = await start(legacyDir, path.join(dir, "s3"), deploymentAt(token));
    expect(fromLegacy.reset).toMatch(/unknown chain/);
    expect(fromLegacy.position).toBe(3);
  });
});
