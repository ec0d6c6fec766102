import {
  createPublicClient,
  createWalletClient,
  custom,
  defineChain,
  http,
  type Account,
  type Chain,
  type EIP1193Provider,
  type Hex,
  type PublicClient,
  type Transport,
  type WalletClient,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { InputError } from "../errors";

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
  return http(c.rpcUrl, { retryCount: 0, timeout: 15_000 });
}

/** Connects and reads the chain id once; the rest of the stack shares these clients. */
export async function connect(c: Connection, pollingInterval = 250): Promise<Clients> {
  const transport = transportOf(c);
  const probe = createPublicClient({ transport });
  const id = await probe.getChainId();
  const chain = defineChain({
    id,
    name: `chain-${id}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [c.rpcUrl ?? "http://in-process"] } },
  });
  const publicClient = createPublicClient({ chain, transport, pollingInterval }) as PublicClient;
  return { chain, transport, publicClient };
}

/** Parses a 32-byte hex private key, with a clear error that never echoes the key. */
export function parsePrivateKey(key: string | undefined, what = "private key"): Hex {
  if (!key) throw new InputError(`missing ${what} (set it in the config, the environment or a flag)`);
  const k = key.startsWith("0x") ? key : `0x${key}`;
  if (!/^0x[0-9a-fA-F]{64}$/.test(k)) throw new InputError(`malformed ${what}: expected 32 bytes of hex`);
  return k as Hex;
}

export function walletFor(clients: Clients, privateKey: Hex): WalletClient<Transport, Chain, Account> {
  return createWalletClient({ chain: clients.chain, transport: clients.transport, account: privateKeyToAccount(privateKey) });
}
