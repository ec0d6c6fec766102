import fs from "node:fs";
import path from "node:path";
import { erc20Abi, getAddress, isAddress, type Address, type PublicClient } from "viem";
import { InputError } from "../errors";
import { poQSettlementAbi } from "./abis";

/** Addresses of one deployment. `fromBlock` is where event scans start. */
export type Deployment = {
  chainId: number;
  token: Address;
  vault: Address;
  distributor: Address;
  settlement: Address;
  config: Address;
  challenges: Address;
  /** The governance timelock that owns the configuration and the stake vault. */
  timelock: Address;
  fromBlock?: bigint;
};

export const DEFAULT_DEPLOYMENTS_DIR = path.join(__dirname, "..", "..", "deploy", "deployments");

/**
 * Reads the addresses Ignition wrote (`deploy/deployments/chain-<id>/deployed_addresses.json`) for the PoQLocal
 * or PoQ module, or a plain JSON file `{token, vault, distributor, settlement, config, challenges, timelock}`.
 */
export function loadDeployment(p: { chainId: number; dir?: string; file?: string }): Deployment {
  const file = p.file ?? path.join(p.dir ?? DEFAULT_DEPLOYMENTS_DIR, `chain-${p.chainId}`, "deployed_addresses.json");
  let raw: Record<string, string>;
  try {
    raw = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(
      code === "ENOENT" ? `no deployment found for chain ${p.chainId} at ${file} (deploy first, see README)` : `${file}: malformed deployment file`,
    );
  }
  const pick = (name: string, plain: string) => raw[`PoQLocal#${name}`] ?? raw[`PoQ#${name}`] ?? raw[plain];
  const fields = {
    token: pick("TestToken", "token") ?? pick("IERC20", "token"),
    vault: pick("StakeVault", "vault"),
    distributor: pick("RewardDistributor", "distributor"),
    settlement: pick("PoQSettlement", "settlement"),
    config: pick("SettlementConfig", "config"),
    challenges: pick("SettlementChallenges", "challenges"),
    timelock: pick("PoQTimelock", "timelock"),
  };
  for (const [k, v] of Object.entries(fields)) {
    if (!v || !isAddress(v)) throw new InputError(`${file}: missing or malformed address for ${k}`);
  }
  return {
    chainId: p.chainId,
    token: getAddress(fields.token!),
    vault: getAddress(fields.vault!),
    distributor: getAddress(fields.distributor!),
    settlement: getAddress(fields.settlement!),
    config: getAddress(fields.config!),
    challenges: getAddress(fields.challenges!),
    timelock: getAddress(fields.timelock!),
  };
}

/**
 * Checks that the settlement address holds the PoQ settlement contract wired to the given vault, distributor,
 * configuration and challenge contract.
 */
export async function verifyDeployment(client: PublicClient, d: Deployment): Promise<void> {
  const code = await client.getCode({ address: d.settlement });
  if (!code || code === "0x") throw new InputError(`wrong contract address: no contract at settlement address ${d.settlement}`);
  let wired: Address[];
  try {
    wired = await Promise.all(
      (["vault", "distributor", "config", "challenges"] as const).map((functionName) => client.readContract({ address: d.settlement, abi: poQSettlementAbi, functionName })),
    );
  } catch {
    throw new InputError(`wrong contract address: ${d.settlement} is not a PoQ settlement contract`);
  }
  const expected = [d.vault, d.distributor, d.config, d.challenges];
  if (wired.some((a, i) => getAddress(a) !== expected[i])) {
    throw new InputError(`wrong contract address: settlement ${d.settlement} is wired to vault ${wired[0]}, distributor ${wired[1]}, config ${wired[2]} and challenges ${wired[3]}`);
  }
}

/**
 * Decimals of the reward token the daemons support. Config amounts (stakes, pools), the consensus stake unit
 * (`stakeUnitWei`, one whole token) and printed amounts all count in 18-decimal tokens, so the daemons refuse to run
 * against a token with other decimals rather than misread its amounts (docs/operations.md).
 */
export const TOKEN_DECIMALS = 18;

/** Refuses a deployment whose token does not have {@link TOKEN_DECIMALS} decimals (or does not say). */
export async function checkTokenDecimals(client: PublicClient, d: Deployment): Promise<void> {
  let decimals: number;
  try {
    decimals = await client.readContract({ address: d.token, abi: erc20Abi, functionName: "decimals" });
  } catch {
    throw new InputError(`token ${d.token} does not answer decimals(); the daemons need an ERC-20 with ${TOKEN_DECIMALS} decimals`);
  }
  if (decimals !== TOKEN_DECIMALS) {
    throw new InputError(`token ${d.token} has ${decimals} decimals; the daemons support ${TOKEN_DECIMALS}-decimal tokens only`, {
      details: "amounts in configs, policies and logs count in 18-decimal tokens (docs/operations.md, Deploying to a public network)",
    });
  }
}
