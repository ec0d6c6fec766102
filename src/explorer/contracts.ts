import {
  decodeErrorResult,
  decodeEventLog,
  decodeFunctionData,
  getAddress,
  getContractAddress,
  type Abi,
  type AbiEvent,
  type AbiFunction,
  type AbiParameter,
  type Address,
  type Hex,
  type Transaction,
  type TransactionReceipt,
} from "viem";
import { poQSettlementAbi, poQTimelockAbi, rewardDistributorAbi, rewardVaultAbi, settlementChallengesAbi, settlementConfigAbi, stakeVaultAbi, testTokenAbi } from "../chain/abis";
import type { Deployment } from "../chain/deployment";

/**
 * The contracts the explorer knows: their addresses (from the deployment), names, labels and ABIs, and the generic
 * decoding of calls, events and revert data against those ABIs. Nothing here knows what a round is.
 */

/** The contracts the explorer knows, by the name it shows. */
export type ContractName = "settlement" | "config" | "challenges" | "vault" | "distributor" | "rewardVault" | "token" | "timelock";
export const CONTRACT_NAMES = ["settlement", "config", "challenges", "vault", "distributor", "rewardVault", "token", "timelock"] as const;

export const CONTRACT_LABELS: Record<ContractName, string> = {
  settlement: "PoQSettlement",
  config: "SettlementConfig",
  challenges: "SettlementChallenges",
  vault: "StakeVault",
  distributor: "RewardDistributor",
  rewardVault: "RewardVault",
  token: "Token",
  timelock: "Timelock",
};

const ABIS: Record<ContractName, Abi> = {
  settlement: poQSettlementAbi as Abi,
  config: settlementConfigAbi as Abi,
  challenges: settlementChallengesAbi as Abi,
  vault: stakeVaultAbi as Abi,
  distributor: rewardDistributorAbi as Abi,
  rewardVault: rewardVaultAbi as Abi,
  token: testTokenAbi as Abi,
  timelock: poQTimelockAbi as Abi,
};

/** Every error any known contract can revert with, plus `Error(string)` and `Panic(uint256)` (viem adds those). */
const ERROR_ABI: Abi = (() => {
  const seen = new Set<string>();
  const out: Abi[number][] = [];
  for (const abi of Object.values(ABIS))
    for (const item of abi)
      if (item.type === "error") {
        const key = `${item.name}(${item.inputs.map((i) => i.type).join(",")})`;
        if (!seen.has(key)) (seen.add(key), out.push(item));
      }
  return out;
})();

/** Plain JSON: bigints as decimal strings, addresses checksummed, structs as objects. */
export type Json = string | number | boolean | null | Json[] | { [k: string]: Json };

export function toJson(v: unknown): Json {
  if (typeof v === "bigint") return v.toString();
  if (Array.isArray(v)) return v.map(toJson);
  if (v && typeof v === "object") {
    const out: Record<string, Json> = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = toJson(x);
    return out;
  }
  if (typeof v === "string" && /^0x[0-9a-fA-F]{40}$/.test(v)) return getAddress(v);
  return (v ?? null) as Json;
}

/** Every address a decoded value names, nested structs and arrays included. */
export function addressesIn(v: Json, out = new Set<Address>()): Set<Address> {
  if (typeof v === "string" && /^0x[0-9a-fA-F]{40}$/.test(v)) out.add(getAddress(v));
  else if (Array.isArray(v)) for (const x of v) addressesIn(x, out);
  else if (v && typeof v === "object") for (const x of Object.values(v)) addressesIn(x, out);
  return out;
}

/** The reward vault is the first contract the distributor creates (in its constructor), so its address follows. */
export function rewardVaultOf(distributor: Address): Address {
  return getContractAddress({ from: distributor, nonce: 1n });
}

/** A decoded event or call: its ABI inputs (for names and types) and the arguments as JSON, by name. */
export type Decoded = { contract: ContractName; name: string; inputs: readonly AbiParameter[]; args: Record<string, Json> };

/** A decoded revert: the error's name, inputs and arguments (an empty name when the data matches no known error). */
export type DecodedError = { name: string; inputs: readonly AbiParameter[]; args: Record<string, Json>; data: Hex };

function named(inputs: readonly AbiParameter[], values: readonly unknown[] | Record<string, unknown> | undefined): Record<string, Json> {
  const out: Record<string, Json> = {};
  if (Array.isArray(values)) values.forEach((a, i) => (out[inputs[i]?.name || `arg${i}`] = toJson(a)));
  else if (values) for (const [k, v] of Object.entries(values)) out[k] = toJson(v);
  return out;
}

export class Contracts {
  private readonly byAddress = new Map<string, ContractName>();
  private readonly addresses: Partial<Record<ContractName, Address>>;
  constructor(readonly deployment: Deployment) {
    const { token, vault, distributor, settlement, config, challenges, timelock } = deployment;
    this.addresses = { token, vault, distributor, settlement, config, challenges, timelock, rewardVault: rewardVaultOf(distributor) };
    for (const name of CONTRACT_NAMES) {
      const a = this.addresses[name];
      if (a) this.byAddress.set(a.toLowerCase(), name);
    }
  }

  /** The known contracts and their addresses, in display order. */
  list(): { name: ContractName; label: string; address: Address }[] {
    return CONTRACT_NAMES.filter((n) => this.addresses[n]).map((name) => ({ name, label: CONTRACT_LABELS[name], address: this.addresses[name]! }));
  }

  address(name: ContractName): Address | undefined {
    return this.addresses[name];
  }

  nameOf(address: string | null | undefined): ContractName | undefined {
    return address ? this.byAddress.get(address.toLowerCase()) : undefined;
  }

  /** The contracts whose events are indexed (the token's Transfer events are indexed apart, for the token page). */
  indexed(): Address[] {
    const d = this.deployment;
    return [d.settlement, d.config, d.challenges, d.vault, d.distributor, d.timelock];
  }

  /** The contracts whose transactions are indexed from every block, failed ones included. */
  watched(): Set<string> {
    return new Set([...this.indexed(), this.addresses.rewardVault!].map((a) => a.toLowerCase()));
  }

  /** The ABI inputs of an event of a known contract (to present its stored arguments). */
  eventInputs(contract: string, event: string): readonly AbiParameter[] {
    const abi = ABIS[contract as ContractName];
    const item = abi?.find((x): x is AbiEvent => x.type === "event" && x.name === event);
    return item?.inputs ?? [];
  }

  /** The ABI inputs of a function of a known contract. */
  functionInputs(contract: string, fn: string, argCount: number): readonly AbiParameter[] {
    const abi = ABIS[contract as ContractName];
    const item = abi?.find((x): x is AbiFunction => x.type === "function" && x.name === fn && x.inputs.length === argCount);
    return item?.inputs ?? [];
  }

  /** Decodes a log of a known contract; undefined for another address or an event not in its ABI. */
  decodeLog(log: { address: string; topics: readonly Hex[]; data: Hex }): Decoded | undefined {
    const contract = this.nameOf(log.address);
    if (!contract || log.topics.length === 0) return undefined;
    try {
      const d = decodeEventLog({ abi: ABIS[contract], topics: log.topics as [Hex, ...Hex[]], data: log.data, strict: true });
      const inputs = this.eventInputs(contract, String(d.eventName));
      return { contract, name: String(d.eventName), inputs, args: named(inputs, d.args as unknown as Record<string, unknown>) };
    } catch {
      return undefined;
    }
  }

  /** Decodes a call to a known contract: function name and named arguments. */
  decodeCall(to: string | null | undefined, input: Hex): Decoded | undefined {
    const contract = this.nameOf(to);
    if (!contract || !input || input === "0x") return undefined;
    try {
      const d = decodeFunctionData({ abi: ABIS[contract], data: input });
      const inputs = this.functionInputs(contract, String(d.functionName), d.args?.length ?? 0);
      return { contract, name: String(d.functionName), inputs, args: named(inputs, d.args) };
    } catch {
      return undefined;
    }
  }
}

/** A receipt's event as the index stores it: decoded when it comes from a known contract, else raw. */
export type StoredEvent = { logIndex: number; address: Address; contract: ContractName | null; event: string | null; args?: Record<string, Json>; topics?: Hex[]; data?: Hex };

/** A transaction as the index stores it (one row of `txs`). */
export type TxRecord = {
  hash: Hex;
  block_number: number;
  tx_index: number;
  from_address: Address;
  to_address: Address | null;
  value: string;
  nonce: number;
  input: Hex;
  function: string | null;
  args: string | null;
  status: "success" | "failed";
  gas_limit: string;
  gas_used: string;
  gas_price: string;
  type: string;
  events: string;
  /** JSON `{data}` with the revert data of a failed transaction (null data: the replay did not revert). */
  revert: string | null;
};

/** The index row of a transaction: its decoded call, status, gas, fee and every event of its receipt. */
export function txRecord(contracts: Contracts, tx: Transaction, rc: TransactionReceipt, revert?: Hex | null): TxRecord {
  const call = contracts.decodeCall(tx.to, tx.input);
  const events: StoredEvent[] = rc.logs.map((l) => {
    const dec = contracts.decodeLog(l);
    return dec
      ? { logIndex: l.logIndex, address: getAddress(l.address), contract: dec.contract, event: dec.name, args: dec.args }
      : { logIndex: l.logIndex, address: getAddress(l.address), contract: null, event: null, topics: [...l.topics], data: l.data };
  });
  return {
    hash: tx.hash,
    block_number: Number(rc.blockNumber),
    tx_index: rc.transactionIndex,
    from_address: getAddress(tx.from),
    to_address: tx.to ? getAddress(tx.to) : null,
    value: tx.value.toString(),
    nonce: tx.nonce,
    input: tx.input,
    function: call?.name ?? null,
    args: call ? JSON.stringify(call.args) : null,
    status: rc.status === "success" ? "success" : "failed",
    gas_limit: tx.gas.toString(),
    gas_used: rc.gasUsed.toString(),
    gas_price: (rc.effectiveGasPrice ?? tx.gasPrice ?? 0n).toString(),
    type: tx.type,
    events: JSON.stringify(events),
    revert: revert === undefined ? null : JSON.stringify({ data: revert }),
  };
}

/** Decodes revert data against every known contract's errors, `Error(string)` and `Panic(uint256)`. */
export function decodeRevert(data: Hex): DecodedError {
  if (data === "0x") return { name: "", inputs: [], args: {}, data };
  try {
    const d = decodeErrorResult({ abi: ERROR_ABI, data });
    const inputs = d.abiItem.type === "error" ? d.abiItem.inputs : [];
    return { name: d.errorName, inputs, args: named(inputs, d.args), data };
  } catch {
    return { name: "", inputs: [], args: {}, data };
  }
}

/** The round an event belongs to, when it names one. */
export function roundOf(args: Record<string, Json>): number | null {
  const r = args.roundId;
  return typeof r === "string" && /^\d+$/.test(r) ? Number(r) : null;
}
