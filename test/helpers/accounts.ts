import { ethers, network } from "hardhat";
import { setBalance } from "@nomicfoundation/hardhat-network-helpers";
import type { ContractTransactionResponse } from "ethers";
import { INITIAL_BALANCE, Role, mint, type System } from "./fixtures";

/**
 * `n` fresh evaluators beyond the fixture's signers: funded with ether and tokens, allowances to the vault, staked
 * with `stake` each.
 */
export async function extraEvaluators(sys: System, n: number, stake: bigint) {
  const out = [];
  for (let i = 0; i < n; i++) {
    const w = ethers.Wallet.createRandom().connect(ethers.provider);
    await setBalance(w.address, 10n ** 20n);
    await mint(sys.token, sys.acc.deployer, w.address, INITIAL_BALANCE);
    await sys.token.connect(w).approve(await sys.vault.getAddress(), ethers.MaxUint256);
    await sys.vault.connect(w).stake(Role.Evaluator, stake);
    out.push(w);
  }
  return out;
}

/**
 * Sends `sends` into one block (automine off), mines it and returns the receipts: what racing transactions from
 * different actors look like on chain. Each send must pass an explicit gas limit (estimates would ignore the block's
 * earlier transactions).
 */
export async function inOneBlock(sends: (() => Promise<ContractTransactionResponse>)[]) {
  await network.provider.send("evm_setAutomine", [false]);
  try {
    const txs = [];
    for (const s of sends) txs.push(await s());
    await network.provider.send("evm_mine", []);
    const receipts = await Promise.all(txs.map((t) => ethers.provider.getTransactionReceipt(t.hash)));
    return receipts.map((r) => r!);
  } finally {
    await network.provider.send("evm_setAutomine", [true]);
  }
}
