import { ethers } from "hardhat";
import { impersonateAccount, setBalance } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";

/** A signer for a contract's address (to call what only that contract may call, in unit tests). */
export async function signerFor(address: string): Promise<HardhatEthersSigner> {
  await impersonateAccount(address);
  await setBalance(address, 10n ** 20n);
  return ethers.getSigner(address);
}
