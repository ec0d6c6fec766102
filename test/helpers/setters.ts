import { expect } from "chai";
import { ethers } from "hardhat";
import type { BaseContract } from "ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { System } from "./fixtures";
import { call, govern } from "./governance";

/** `contract.fn` as called by `signer` (by default the contract's own runner: the deployer). */
function method(contract: BaseContract, fn: string, signer?: HardhatEthersSigner) {
  return (signer ? contract.connect(signer) : contract).getFunction(fn);
}

/**
 * The deployer wires `value` with `contract.fn` once: anyone else is refused (`errors.notDeployer`, naming the
 * caller), the zero address is refused, `value` is taken with `event(value)`, and a later call with `again` (default
 * `value`) is refused with `errors.alreadySet` (naming the wired address when `alreadySetNamesValue`).
 */
export async function expectWiredOnce(w: {
  contract: BaseContract;
  fn: string;
  value: string;
  event: string;
  outsider: HardhatEthersSigner;
  errors: { notDeployer: string; zeroAddress: string; alreadySet: string };
  again?: string;
  alreadySetNamesValue?: boolean;
}) {
  const { contract, fn, value } = w;
  await expect(method(contract, fn, w.outsider)(value)).to.be.revertedWithCustomError(contract, w.errors.notDeployer).withArgs(w.outsider.address);
  await expect(method(contract, fn)(ethers.ZeroAddress)).to.be.revertedWithCustomError(contract, w.errors.zeroAddress);
  await expect(method(contract, fn)(value)).to.emit(contract, w.event).withArgs(value);
  const again = expect(method(contract, fn)(w.again ?? value)).to.be.revertedWithCustomError(contract, w.errors.alreadySet);
  await (w.alreadySetNamesValue ? again.withArgs(value) : again);
}

/**
 * The timelock sets the address `value` with `contract.fn`: it emits `x.event(value)` and `x.getter` returns it; the
 * zero address is refused (`x.zeroAddress`), so is the address already set (`x.unchanged`, with `x.unchangedArgs`),
 * and so is a direct call by `x.caller` (anyone but the timelock).
 */
export async function expectGovernedAddress(
  sys: System,
  contract: BaseContract,
  fn: string,
  value: string,
  x: { getter: string; event: string; caller: HardhatEthersSigner; zeroAddress: string; unchanged: string; unchangedArgs?: unknown[] },
) {
  await expect(govern(sys, await call(contract, fn, [value]))).to.emit(contract, x.event).withArgs(value);
  expect(await method(contract, x.getter)()).to.equal(value);
  await expect(govern(sys, await call(contract, fn, [ethers.ZeroAddress]))).to.be.revertedWithCustomError(contract, x.zeroAddress);
  const unchanged = expect(govern(sys, await call(contract, fn, [value]))).to.be.revertedWithCustomError(contract, x.unchanged);
  await (x.unchangedArgs ? unchanged.withArgs(...x.unchangedArgs) : unchanged);
  await expect(method(contract, fn, x.caller)(value)).to.be.revertedWithCustomError(contract, "OwnableUnauthorizedAccount").withArgs(x.caller.address);
}
