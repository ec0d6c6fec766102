import { ethers } from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import type { BaseContract, ContractTransactionResponse } from "ethers";
import type { System } from "./fixtures";

/**
 * Governance goes through the timelock only: an operation is scheduled by the proposer, becomes ready after the
 * timelock's delay, and is executed by anyone (the fixture's timelock has open executors).
 */

export type Call = { target: string; data: string };

export type Operation = {
  id: string;
  calls: Call[];
  salt: string;
  /** Timestamp from which it can execute. */
  readyAt: bigint;
  execute: () => Promise<ContractTransactionResponse>;
};

let saltCounter = 0;

/** The call `contract.fn(...args)` as a timelock payload. */
export async function call<C extends BaseContract>(contract: C, fn: string, args: unknown[]): Promise<Call> {
  return { target: await contract.getAddress(), data: contract.interface.encodeFunctionData(fn, args) };
}

/** Schedules `calls` as one batch with the timelock's minimum delay (or `delay`). */
export async function schedule(sys: System, calls: Call | Call[], delay?: number): Promise<Operation> {
  const list = Array.isArray(calls) ? calls : [calls];
  const salt = ethers.id(`poq-op-${++saltCounter}`);
  const targets = list.map((c) => c.target);
  const values = list.map(() => 0n);
  const payloads = list.map((c) => c.data);
  const tl = sys.timelock.connect(sys.acc.proposer);
  await tl.scheduleBatch(targets, values, payloads, ethers.ZeroHash, salt, delay ?? sys.delay);
  const id = await sys.timelock.hashOperationBatch(targets, values, payloads, ethers.ZeroHash, salt);
  const readyAt = await sys.timelock.getTimestamp(id);
  return {
    id,
    calls: list,
    salt,
    readyAt,
    execute: () => sys.timelock.connect(sys.acc.outsider).executeBatch(targets, values, payloads, ethers.ZeroHash, salt),
  };
}

/** Schedules `calls`, waits out the delay and executes them: what every owner action takes. */
export async function govern(sys: System, calls: Call | Call[]): Promise<ContractTransactionResponse> {
  const op = await schedule(sys, calls);
  await time.increaseTo(op.readyAt);
  return op.execute();
}
