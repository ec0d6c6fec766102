import { encodeFunctionData, keccak256, toBytes, zeroHash, type Abi, type Address, type ContractFunctionArgs, type ContractFunctionName, type Hex, type PublicClient } from "viem";
import { poQTimelockAbi } from "./abis";
import type { Deployment } from "./deployment";
import type { TxSender } from "./tx";

/** One governance call through the timelock: a target contract and its calldata. */
export type GovernanceCall = { target: Address; data: Hex; salt: Hex };

/** Encodes a call to one of the governed contracts (the settlement config or the stake vault). */
export function governanceCall<abi extends Abi, fn extends ContractFunctionName<abi, "nonpayable" | "payable">>(p: {
  target: Address;
  abi: abi;
  functionName: fn;
  args: ContractFunctionArgs<abi, "nonpayable" | "payable", fn>;
  /** Distinguishes two otherwise identical operations. */
  label?: string;
}): GovernanceCall {
  const data = encodeFunctionData({ abi: p.abi, functionName: p.functionName, args: p.args } as never);
  return { target: p.target, data, salt: p.label ? keccak256(toBytes(p.label)) : zeroHash };
}

/** The timelock's id of an operation (`hashOperation(target, 0, data, 0, salt)`). */
export async function operationId(client: PublicClient, d: Deployment, c: GovernanceCall): Promise<Hex> {
  return client.readContract({ address: d.timelock, abi: poQTimelockAbi, functionName: "hashOperation", args: [c.target, 0n, c.data, zeroHash, c.salt] });
}

/** Schedules a call with the timelock's minimum delay; returns its id and when it becomes executable. */
export async function scheduleCall(client: PublicClient, d: Deployment, proposer: TxSender, c: GovernanceCall): Promise<{ id: Hex; readyAt: bigint }> {
  const delay = await client.readContract({ address: d.timelock, abi: poQTimelockAbi, functionName: "getMinDelay" });
  await proposer.write({ address: d.timelock, abi: poQTimelockAbi, functionName: "schedule", args: [c.target, 0n, c.data, zeroHash, c.salt, delay] });
  const id = await operationId(client, d, c);
  const readyAt = await client.readContract({ address: d.timelock, abi: poQTimelockAbi, functionName: "getTimestamp", args: [id] });
  return { id, readyAt };
}

/** Executes a scheduled call once its delay has passed. */
export async function executeCall(d: Deployment, executor: TxSender, c: GovernanceCall): Promise<void> {
  await executor.write({ address: d.timelock, abi: poQTimelockAbi, functionName: "execute", args: [c.target, 0n, c.data, zeroHash, c.salt] });
}
