import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { inProcessChain } from "../helpers/inProcessChain";
import type { Clients } from "../../src/chain/client";
import { serveRpc } from "../../src/chain/devnet";
import { loadDeployment, verifyDeployment } from "../../src/chain/deployment";

const ROOT = path.join(__dirname, "..", "..");

/**
 * Any EVM node without editing hardhat.config.ts: POQ_RPC_URL and `--network custom` deploy the whole system with
 * the node's own accounts (here: an in-process Hardhat network served over HTTP on 127.0.0.1).
 */
describe("deploy to any node: the POQ_RPC_URL network", () => {
  let clients: Clients;
  let rpc: { url: string; close: () => Promise<void> };
  const id = `custom-net-${process.pid}`;
  beforeAll(async () => {
    const chain = await inProcessChain();
    clients = chain.clients;
    rpc = await serveRpc(chain.provider, 0);
  }, 120_000);
  afterAll(async () => {
    await rpc?.close();
    fs.rmSync(path.join(ROOT, "deploy", "deployments", id), { recursive: true, force: true });
  });

  test("behavior: hardhat ignition deploy --network custom deploys the system to the node at POQ_RPC_URL", async () => {
    const params = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "poq-custom-")), "params.json");
    fs.writeFileSync(params, JSON.stringify({ PoQLocal: {} }));
    const env: NodeJS.ProcessEnv = { ...process.env, POQ_RPC_URL: rpc.url, HARDHAT_IGNITION_CONFIRM_DEPLOYMENT: "false" };
    delete env.POQ_DEPLOYER_KEY;
    const args = ["hardhat", "ignition", "deploy", "deploy/modules/PoQLocal.ts", "--network", "custom", "--deployment-id", id, "--parameters", params];
    const code = await new Promise<number | null>((resolve) => {
      const child = spawn(path.join(ROOT, "node_modules", ".bin", args[0]), args.slice(1), { cwd: ROOT, env, stdio: "ignore" });
      child.on("exit", resolve);
    });
    expect(code).toBe(0);
    const d = loadDeployment({ chainId: clients.chain.id, file: path.join(ROOT, "deploy", "deployments", id, "deployed_addresses.json") });
    await expect(verifyDeployment(clients.publicClient, d)).resolves.toBeUndefined();
    expect(await clients.publicClient.getCode({ address: d.settlement })).toMatch(/^0x[0-9a-f]{100,}/);
  }, 240_000);
});
