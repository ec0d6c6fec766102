import {
  createPublicClient,
  createWalletClient,
  custom,
  defineChain,
  http,
  nonceManager,
  type Account,
  type Chain,
  type EIP1193Provider,
  type Hex,
  type PublicClient,
  type Transport,
  type WalletClient,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { errorLine, InputError } from "../errors";
import { RpcError } from "./errors";

export type Connection = {
  /** JSON-RPC URL, e.g. http://127.0.0.1:8545. */
  rpcUrl?: string;
  /** An in-process EIP-1193 provider (the embedded Hardhat network). */
  provider?: EIP1193Provider;
};

export type Clients = {
  chain: Chain;
  transport: Transport;
  publicClient: PublicClient;
};

function transportOf(c: Connection): Transport {
  if (c.provider) return custom(c.provider, { retryCount: 0 });
  if (!c.rpcUrl) throw new InputError("no RPC URL given (set --rpc, POQ_RPC_URL or rpcUrl in the config)");
  try {
    new URL(c.rpcUrl);
  } catch {
    throw new InputError(`malformed RPC URL "${c.rpcUrl}"`);
  }
  // viem retries a failed request itself (connection errors, timeouts, 429 and 5xx answers) with back-off.
  return http(c.rpcUrl, { retryCount: 3, retryDelay: 200, timeout: 15_000 });
}

/** Connects and reads the chain id once; the rest of the stack shares these clients. */
export async function connect(c: Connection, pollingInterval = 250): Promise<Clients> {
  const transport = transportOf(c);
  const probe = createPublicClient({ transport });
  let id: number;
  try {
    id = await probe.getChainId();
  } catch (e) {
    throw new RpcError(`cannot reach the JSON-RPC endpoint ${c.rpcUrl ?? "(in-process provider)"} (is the node running? set --rpc or POQ_RPC_URL)`, { details: errorLine(e), cause: e, retryable: true });
  }
  const chain = defineChain({
    id,
    name: `chain-${id}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [c.rpcUrl ?? "http://in-process"] } },
  });
  const publicClient = createPublicClient({ chain, transport, pollingInterval }) as PublicClient;
  return { chain, transport, publicClient };
}

/**
 * A wallet for `privateKey` on the shared clients. Its account carries viem's `nonceManager` (one per process,
 * keyed by address and chain), so every sender of one key in this process draws from the same nonce sequence.
 */
export function walletFor(clients: Clients, privateKey: Hex): WalletClient<Transport, Chain, Account> {
  return createWalletClient({ chain: clients.chain, transport: clients.transport, account: privateKeyToAccount(privateKey, { nonceManager }) });
}
