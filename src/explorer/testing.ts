import { getAddress, type EIP1193Provider } from "viem";
import { connect, type Clients } from "../chain/client";
import type { Deployment } from "../chain/deployment";

/**
 * Test helpers: the in-process Hardhat network (a fresh chain per test file, since vitest runs each file in its own
 * process), a PoQLocal deployment on it, and a JSON-RPC server over it so other processes (`poq explorer --rpc`)
 * can read the same chain.
 */

type Hre = {
  run: (task: string, args?: object) => Promise<unknown>;
  network: { provider: EIP1193Provider };
  ignition: { deploy: (mod: unknown, o: object) => Promise<Record<string, { getAddress(): Promise<string> }>> };
};

export function hardhat(): Hre {
  // The TypeScript hardhat.config.ts needs a require hook inside vitest.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require("tsx/cjs");
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require("hardhat") as Hre;
}

/** Deploys PoQLocal (test token and the three contracts) on the in-process network. */
export async function deployLocal(parameters: Record<string, unknown> = {}): Promise<{ provider: EIP1193Provider; clients: Clients; deployment: Deployment }> {
  const hre = hardhat();
  await hre.run("compile", { quiet: true });
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require("../../deploy/modules/PoQLocal").default;
  const deployed = await hre.ignition.deploy(mod, { parameters: { PoQLocal: parameters }, displayUi: false });
  const provider = hre.network.provider;
  const clients = await connect({ provider }, 50);
  return {
    provider,
    clients,
    deployment: {
      chainId: clients.chain.id,
      token: getAddress(await deployed.token.getAddress()),
      vault: getAddress(await deployed.vault.getAddress()),
      distributor: getAddress(await deployed.distributor.getAddress()),
      settlement: getAddress(await deployed.settlement.getAddress()),
    },
  };
}

/** Serves an EIP-1193 provider over HTTP JSON-RPC (Hardhat's own server), on a free port of 127.0.0.1. */
export async function serveRpc(provider: EIP1193Provider): Promise<{ url: string; close: () => Promise<void> }> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { JsonRpcServer } = require("hardhat/internal/hardhat-network/jsonrpc/server") as {
    JsonRpcServer: new (c: { hostname: string; port: number; provider: EIP1193Provider }) => { listen(): Promise<{ address: string; port: number }>; close(): Promise<void> };
  };
  const server = new JsonRpcServer({ hostname: "127.0.0.1", port: 0, provider });
  const { port } = await server.listen();
  return { url: `http://127.0.0.1:${port}`, close: () => server.close() };
}
