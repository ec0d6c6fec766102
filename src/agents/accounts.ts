import { toHex, type Hex } from "viem";
import { mnemonicToAccount } from "viem/accounts";

/** The well-known development mnemonic of Hardhat's local networks (never for real funds). */
export const DEV_MNEMONIC = "test test test test test test test test test test test junk";

/** Private key of development account `index` (what `npx hardhat node` prints). */
export function devKey(index: number): Hex {
  const key = mnemonicToAccount(DEV_MNEMONIC, { addressIndex: index }).getHdKey().privateKey;
  if (!key) throw new Error(`no key for development account ${index}`);
  return toHex(key);
}

/** Roles of the development accounts in the demo and the local setup. */
export const DEV_ROLES = {
  owner: 0,
  relayers: [1, 2],
  inference: [3, 4, 5, 6],
  evaluators: [7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18],
} as const;
