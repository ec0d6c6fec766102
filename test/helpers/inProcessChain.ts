import http from "node:http";
import type { AddressInfo } from "node:net";
import { erc20Abi, getAddress, type Address, type EIP1193Provider, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { stakeVaultAbi, testTokenAbi } from "../../src/chain/abis";
import { Role } from "../../src/chain/reader";
import { connect, walletFor, type Clients } from "../../src/chain/client";
import type { Deployment } from "../../src/chain/deployment";
import { devKey } from "../../src/agents/accounts";
import { deploymentOf, hardhat } from "../../src/explorer/testing";

/**
 * The in-process Hardhat network for off-chain unit tests that need a real node (a fresh chain per test file, since
 * vitest runs each file in its own process), and HTTP servers that fail in chosen ways, so that tests meet the
 * errors viem really produces instead of hand-typed ones.
 */
export async function inProcessChain(): Promise<{ provider: EIP1193Provider; clients: Clients }> {
  const hre = hardhat();
  await hre.run("compile", { quiet: true });
  return { provider: hre.network.provider, clients: await connect({ provider: hre.network.provider }, 50) };
}

/** Deploys the test token (owner: development account 0) and returns its address. */
export async function deployTestToken(clients: Clients): Promise<Address> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { bytecode } = require("../../artifacts/contracts/test/TestToken.sol/TestToken.json") as { bytecode: Hex };
  const owner = walletFor(clients, devKey(0));
  const hash = await owner.deployContract({ abi: testTokenAbi, bytecode, args: [owner.account.address] });
  const receipt = await clients.publicClient.waitForTransactionReceipt({ hash });
  return getAddress(receipt.contractAddress!);
}

/** {@link inProcessChain} with the test token deployed on it. */
export async function chainWithTestToken(): Promise<{ provider: EIP1193Provider; clients: Clients; token: Address }> {
  const chain = await inProcessChain();
  return { ...chain, token: await deployTestToken(chain.clients) };
}

/**
 * A JSON-RPC endpoint on 127.0.0.1 that answers `respond(n)` to the n-th request (0-based): an HTTP status and body,
 * or "hang" (never answers). Closes with `close()`.
 */
export async function fakeRpc(respond: (n: number, body: { id: number; method: string }) => { status: number; body: unknown } | "hang"): Promise<{ url: string; requests: () => number; close: () => Promise<void> }> {
  let n = 0;
  const hanging: http.ServerResponse[] = [];
  const server = http.createServer((req, res) => {
    let text = "";
    req.on("data", (c) => (text += c));
    req.on("end", () => {
      const r = respond(n++, JSON.parse(text));
      if (r === "hang") return void hanging.push(res);
      res.writeHead(r.status, { "content-type": "application/json" });
      res.end(JSON.stringify(r.body));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests: () => n,
    close: () =>
      new Promise((r) => {
        for (const res of hanging) res.destroy();
        server.close(() => r());
      }),
  };
}

/** Runs `fn` against a {@link fakeRpc} endpoint and closes it afterwards. */
export async function withFakeRpc<T>(respond: Parameters<typeof fakeRpc>[0], fn: (rpc: Awaited<ReturnType<typeof fakeRpc>>) => Promise<T>): Promise<T> {
  const rpc = await fakeRpc(respond);
  try {
    return await fn(rpc);
  } finally {
    await rpc.close();
  }
}

/** A port on 127.0.0.1 that nothing listens on (bound, then closed). */
export async function closedPort(): Promise<string> {
  const server = http.createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  return `http://127.0.0.1:${port}`;
}

/**
 * Deploys the whole local system (Ignition module PoQLocal, relayers: accounts 1 and 2) on the in-process network
 * and returns its addresses.
 */
export async function deployLocal(params: Record<string, unknown> = {}): Promise<Deployment> {
  const hre = hardhat();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require("../../deploy/modules/PoQLocal").default;
  const d = await hre.ignition.deploy(mod, { parameters: { PoQLocal: params }, displayUi: false });
  return deploymentOf(d, Number(await hre.network.provider.request({ method: "eth_chainId" })));
}

/** Mints `amount` test tokens (as development account 0, the token's owner) to development account `i`. */
export async function mintDev(clients: Clients, d: Deployment, i: number, amount: bigint): Promise<void> {
  const owner = walletFor(clients, devKey(0));
  const to = privateKeyToAccount(devKey(i)).address;
  await clients.publicClient.waitForTransactionReceipt({ hash: await owner.writeContract({ address: d.token, abi: testTokenAbi, functionName: "mint", args: [to, amount] }) });
}

/** Mints `amount` to development account `i` and stakes it in the evaluator role. */
export async function stakeDevEvaluator(clients: Clients, d: Deployment, i: number, amount: bigint): Promise<void> {
  await mintDev(clients, d, i, amount);
  const w = walletFor(clients, devKey(i));
  await clients.publicClient.waitForTransactionReceipt({ hash: await w.writeContract({ address: d.token, abi: erc20Abi, functionName: "approve", args: [d.vault, amount] }) });
  await clients.publicClient.waitForTransactionReceipt({ hash: await w.writeContract({ address: d.vault, abi: stakeVaultAbi, functionName: "stake", args: [Role.Evaluator, amount] }) });
}
