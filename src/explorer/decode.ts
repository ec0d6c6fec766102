import { decodeEventLog, decodeFunctionData, getAddress, getContractAddress, type Abi, type Address, type Hex } from "viem";
import { poQSettlementAbi, rewardDistributorAbi, rewardVaultAbi, stakeVaultAbi, testTokenAbi } from "../chain/abis";
import type { Deployment } from "../chain/deployment";

/** The contracts the explorer knows, by the name it shows. */
export type ContractName = "settlement" | "vault" | "distributor" | "rewardVault" | "token";
export const CONTRACT_NAMES = ["settlement", "vault", "distributor", "rewardVault", "token"] as const;

export const CONTRACT_LABELS: Record<ContractName, string> = {
  settlement: "PoQSettlement",
  vault: "StakeVault",
  distributor: "RewardDistributor",
  rewardVault: "RewardVault",
  token: "Token",
};

const ABIS: Record<ContractName, Abi> = {
  settlement: poQSettlementAbi as Abi,
  vault: stakeVaultAbi as Abi,
  distributor: rewardDistributorAbi as Abi,
  rewardVault: rewardVaultAbi as Abi,
  token: testTokenAbi as Abi,
};

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

export class Contracts {
  private readonly byAddress = new Map<string, ContractName>();
  private readonly addresses: Record<ContractName, Address>;
  constructor(readonly deployment: Deployment) {
    this.addresses = { ...deployment, rewardVault: rewardVaultOf(deployment.distributor) };
    for (const name of CONTRACT_NAMES) this.byAddress.set(this.addresses[name].toLowerCase(), name);
  }

  address(name: ContractName): Address {
    return this.addresses[name];
  }

  nameOf(address: string | null | undefined): ContractName | undefined {
    return address ? this.byAddress.get(address.toLowerCase()) : undefined;
  }

  /** The contracts whose events are indexed (the token's are kept only inside transaction receipts). */
  indexed(): Address[] {
    const d = this.deployment;
    return [d.settlement, d.vault, d.distributor];
  }

  /** Decodes a log of a known contract; undefined for another address or an event not in its ABI. */
  decodeLog(log: { address: string; topics: readonly Hex[]; data: Hex }): { contract: ContractName; event: string; args: Record<string, Json> } | undefined {
    const contract = this.nameOf(log.address);
    if (!contract || log.topics.length === 0) return undefined;
    try {
      const d = decodeEventLog({ abi: ABIS[contract], topics: log.topics as [Hex, ...Hex[]], data: log.data, strict: true });
      return { contract, event: String(d.eventName), args: toJson(d.args ?? {}) as Record<string, Json> };
    } catch {
      return undefined;
    }
  }

  /** Decodes a call to a known contract: function name and named arguments. */
  decodeCall(to: string | null | undefined, input: Hex): { function: string; args: Record<string, Json> } | undefined {
    const contract = this.nameOf(to);
    if (!contract || !input || input === "0x") return undefined;
    try {
      const abi = ABIS[contract];
      const d = decodeFunctionData({ abi, data: input });
      const item = abi.find((x) => x.type === "function" && x.name === d.functionName && "inputs" in x && (x.inputs?.length ?? 0) === (d.args?.length ?? 0));
      const names = item && "inputs" in item ? (item.inputs ?? []).map((p, i) => p.name || `arg${i}`) : [];
      const args: Record<string, Json> = {};
      (d.args ?? []).forEach((a, i) => (args[names[i] ?? `arg${i}`] = toJson(a)));
      return { function: String(d.functionName), args };
    } catch {
      return undefined;
    }
  }
}

/** The round an event belongs to, when it names one. */
export function roundOf(args: Record<string, Json>): number | null {
  const r = args.roundId;
  return typeof r === "string" && /^\d+$/.test(r) ? Number(r) : null;
}
