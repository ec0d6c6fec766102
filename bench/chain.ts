/**
 * A thin transaction driver over the in-process Hardhat network's EIP-1193 provider: every benchmark transaction is
 * a real `eth_sendTransaction` from an unlocked (impersonated) account, mined on its own (automine), and its gas is
 * the receipt's `gasUsed` (base cost, calldata and execution, as a chain charges it).
 */
import {
  decodeFunctionResult,
  encodeFunctionData,
  toHex,
  type Abi,
  type Address,
  type ContractFunctionArgs,
  type ContractFunctionName,
  type ContractFunctionReturnType,
  type EIP1193Provider,
  type Hex,
} from "viem";

export type Tx = {
  hash: Hex;
  gasUsed: bigint;
  /** Calldata size in bytes. */
  bytes: number;
  /** The EIP-7623 calldata floor of this transaction (21,000 + 10 per token; a nonzero byte is 4 tokens). */
  floor: bigint;
};

/** Stays under the Osaka per-transaction gas cap (2^24). */
export const TX_GAS = 16_000_000n;

export function calldataFloor(data: Hex): bigint {
  let zeros = 0;
  let nonzeros = 0;
  for (let i = 2; i < data.length; i += 2) {
    if (data[i] === "0" && data[i + 1] === "0") zeros++;
    else nonzeros++;
  }
  return 21_000n + 10n * BigInt(zeros + 4 * nonzeros);
}

export class BenchChain {
  constructor(readonly provider: EIP1193Provider) {}

  private request(method: string, params: unknown[] = []): Promise<unknown> {
    return this.provider.request({ method, params } as never) as Promise<unknown>;
  }

  /** Lets the chain sign for `account` and gives it ether for gas. */
  async unlock(account: Address): Promise<void> {
    await this.request("hardhat_impersonateAccount", [account]);
    await this.request("hardhat_setBalance", [account, toHex(10n ** 24n)]);
  }

  async send(from: Address, to: Address, data: Hex, gas = TX_GAS): Promise<Tx> {
    const hash = (await this.request("eth_sendTransaction", [{ from, to, data, gas: toHex(gas) }])) as Hex;
    const receipt = (await this.request("eth_getTransactionReceipt", [hash])) as { gasUsed: Hex; status: Hex } | null;
    if (!receipt || receipt.status !== "0x1") throw new Error(`transaction ${hash} to ${to} failed`);
    return { hash, gasUsed: BigInt(receipt.gasUsed), bytes: (data.length - 2) / 2, floor: calldataFloor(data) };
  }

  write<const abi extends Abi, fn extends ContractFunctionName<abi, "nonpayable" | "payable">>(
    from: Address,
    address: Address,
    abi: abi,
    functionName: fn,
    args: ContractFunctionArgs<abi, "nonpayable" | "payable", fn>,
  ): Promise<Tx> {
    const data = encodeFunctionData({ abi, functionName, args } as never);
    return this.send(from, address, data);
  }

  async read<const abi extends Abi, fn extends ContractFunctionName<abi, "view" | "pure">>(
    address: Address,
    abi: abi,
    functionName: fn,
    args: ContractFunctionArgs<abi, "view" | "pure", fn>,
  ): Promise<ContractFunctionReturnType<abi, "view" | "pure", fn>> {
    const data = encodeFunctionData({ abi, functionName, args } as never);
    const out = (await this.request("eth_call", [{ to: address, data }, "latest"])) as Hex;
    return decodeFunctionResult({ abi, functionName, data: out } as never) as ContractFunctionReturnType<abi, "view" | "pure", fn>;
  }

  /** Mines the next block at `timestamp` (seconds), if it is in the future. */
  async timeTo(timestamp: bigint): Promise<void> {
    const latest = (await this.request("eth_getBlockByNumber", ["latest", false])) as { timestamp: Hex };
    if (BigInt(latest.timestamp) >= timestamp) return;
    await this.request("evm_setNextBlockTimestamp", [toHex(timestamp)]);
    await this.request("evm_mine");
  }
}
