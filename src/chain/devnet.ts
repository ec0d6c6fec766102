import type { EIP1193Provider } from "viem";

/**
 * Serves an in-process development chain (an EIP-1193 provider of the Hardhat network) over HTTP JSON-RPC with
 * Hardhat's own server, on 127.0.0.1, so that other processes (`poq explorer --rpc`, tests) read the same chain.
 * Port 0 picks a free port.
 */
export async function serveRpc(provider: EIP1193Provider, port = 0): Promise<{ url: string; close: () => Promise<void> }> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { JsonRpcServer } = require("hardhat/internal/hardhat-network/jsonrpc/server") as {
    JsonRpcServer: new (c: { hostname: string; port: number; provider: EIP1193Provider }) => { listen(): Promise<{ address: string; port: number }>; close(): Promise<void> };
  };
  const server = new JsonRpcServer({ hostname: "127.0.0.1", port, provider });
  const bound = await server.listen();
  return { url: `http://127.0.0.1:${bound.port}`, close: () => server.close() };
}
