import { expect } from "chai";
import { ethers } from "hardhat";
import type { BaseContract, FunctionFragment } from "ethers";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { Role, UNBONDING, deploySystem, lifetimeOf, paramsWith, stakedFixture } from "./helpers/fixtures";
import { call, govern, schedule } from "./helpers/governance";

async function governedFixture() {
  return deploySystem();
}

/** `TimelockController`'s bitmap of an operation state (Unset 0, Waiting 1, Ready 2, Done 3). */
const stateBit = (s: number) => ethers.zeroPadValue(ethers.toBeHex(1n << BigInt(s)), 32);
const READY = 2;

describe("Governance (PoQTimelock and Governed)", function () {
  describe("PoQTimelock constructor", function () {
    it("holds the delay, gives the proposer the proposer and canceller roles, lets anyone execute and administers itself", async function () {
      const sys = await loadFixture(governedFixture);
      const tl = sys.timelock;
      expect(await tl.getMinDelay()).to.equal(sys.delay);
      expect(await tl.hasRole(await tl.PROPOSER_ROLE(), sys.acc.proposer.address)).to.equal(true);
      expect(await tl.hasRole(await tl.CANCELLER_ROLE(), sys.acc.proposer.address)).to.equal(true);
      expect(await tl.hasRole(await tl.EXECUTOR_ROLE(), ethers.ZeroAddress)).to.equal(true);
      expect(await tl.hasRole(await tl.DEFAULT_ADMIN_ROLE(), await tl.getAddress())).to.equal(true);
      expect(await tl.hasRole(await tl.DEFAULT_ADMIN_ROLE(), sys.acc.deployer.address)).to.equal(false);
      expect(sys.delay).to.be.greaterThanOrEqual(UNBONDING + lifetimeOf(sys.params));
    });
  });

  describe("schedule", function () {
    it("only the proposer schedules, never with less than the minimum delay", async function () {
      const sys = await loadFixture(governedFixture);
      const c = await call(sys.config, "setGuardian", [sys.acc.outsider.address]);
      const role = await sys.timelock.PROPOSER_ROLE();
      await expect(sys.timelock.connect(sys.acc.guardian).schedule(c.target, 0, c.data, ethers.ZeroHash, ethers.ZeroHash, sys.delay))
        .to.be.revertedWithCustomError(sys.timelock, "AccessControlUnauthorizedAccount")
        .withArgs(sys.acc.guardian.address, role);
      await expect(sys.timelock.connect(sys.acc.proposer).schedule(c.target, 0, c.data, ethers.ZeroHash, ethers.ZeroHash, sys.delay - 1))
        .to.be.revertedWithCustomError(sys.timelock, "TimelockInsufficientDelay")
        .withArgs(sys.delay - 1, sys.delay);
      const op = await schedule(sys, c);
      expect(op.readyAt - BigInt((await ethers.provider.getBlock("latest"))!.timestamp)).to.equal(BigInt(sys.delay));
      expect(await sys.timelock.isOperationPending(op.id)).to.equal(true);
    });
  });

  describe("execute", function () {
    it("runs an operation only once its delay has passed, for anyone, and emits CallExecuted", async function () {
      const sys = await loadFixture(governedFixture);
      const op = await schedule(sys, await call(sys.config, "setGuardian", [sys.acc.outsider.address]));
      await expect(op.execute()).to.be.revertedWithCustomError(sys.timelock, "TimelockUnexpectedOperationState").withArgs(op.id, stateBit(READY));
      await time.increaseTo(op.readyAt - 2n);
      await expect(op.execute()).to.be.revertedWithCustomError(sys.timelock, "TimelockUnexpectedOperationState").withArgs(op.id, stateBit(READY));
      await time.increaseTo(op.readyAt);
      await expect(op.execute()).to.emit(sys.timelock, "CallExecuted").and.to.emit(sys.config, "GuardianSet").withArgs(sys.acc.outsider.address);
      expect(await sys.timelock.isOperationDone(op.id)).to.equal(true);
    });

    it("a cancelled operation never runs", async function () {
      const sys = await loadFixture(governedFixture);
      const op = await schedule(sys, await call(sys.config, "setGuardian", [sys.acc.outsider.address]));
      await expect(sys.timelock.connect(sys.acc.proposer).cancel(op.id)).to.emit(sys.timelock, "Cancelled").withArgs(op.id);
      await time.increaseTo(op.readyAt);
      await expect(op.execute()).to.be.revertedWithCustomError(sys.timelock, "TimelockUnexpectedOperationState").withArgs(op.id, stateBit(READY));
      expect(await sys.config.guardian()).to.equal(sys.acc.guardian.address);
    });
  });

  describe("updateDelay", function () {
    it("only the timelock itself changes its delay, and a delay below the contracts' requirement stops every governance call until raised", async function () {
      const sys = await loadFixture(governedFixture);
      await expect(sys.timelock.connect(sys.acc.proposer).updateDelay(1))
        .to.be.revertedWithCustomError(sys.timelock, "TimelockUnauthorizedCaller")
        .withArgs(sys.acc.proposer.address);
      const required = UNBONDING + lifetimeOf(sys.params);
      await expect(govern(sys, await call(sys.timelock, "updateDelay", [required - 1]))).to.emit(sys.timelock, "MinDelayChange").withArgs(sys.delay, required - 1);
      const shorter = { ...sys, delay: required - 1 };
      await expect(govern(shorter, await call(sys.config, "setGuardian", [sys.acc.outsider.address])))
        .to.be.revertedWithCustomError(sys.config, "GovernanceDelayTooShort")
        .withArgs(required - 1, required);
      await expect(govern(shorter, await call(sys.vault, "setMaxSlashBps", [100])))
        .to.be.revertedWithCustomError(sys.vault, "GovernanceDelayTooShort")
        .withArgs(required - 1, required);
      await govern(shorter, await call(sys.timelock, "updateDelay", [required]));
      await expect(govern({ ...sys, delay: required }, await call(sys.vault, "setMaxSlashBps", [100]))).to.emit(sys.vault, "MaxSlashBpsSet");
    });
  });

  describe("ownership", function () {
    it("moves in two steps through the timelock; the new owner must itself be a timelock with a long enough delay", async function () {
      const sys = await loadFixture(governedFixture);
      const required = UNBONDING + lifetimeOf(sys.params);
      const next = await ethers.deployContract("PoQTimelock", [required, [sys.acc.proposer.address], [ethers.ZeroAddress], ethers.ZeroAddress]);
      const nextAddress = await next.getAddress();
      await expect(govern(sys, await call(sys.vault, "transferOwnership", [nextAddress])))
        .to.emit(sys.vault, "OwnershipTransferStarted")
        .withArgs(await sys.timelock.getAddress(), nextAddress);
      expect(await sys.vault.owner()).to.equal(await sys.timelock.getAddress());
      const sys2 = { ...sys, timelock: next, delay: required };
      await expect(govern(sys2, await call(sys.vault, "acceptOwnership", []))).to.emit(sys.vault, "OwnershipTransferred");
      expect(await sys.vault.owner()).to.equal(nextAddress);
      await expect(govern(sys2, await call(sys.vault, "setMaxSlashBps", [100]))).to.emit(sys.vault, "MaxSlashBpsSet").withArgs(100);
      // The old timelock has no power left.
      await expect(govern(sys, await call(sys.vault, "setMaxSlashBps", [200])))
        .to.be.revertedWithCustomError(sys.vault, "OwnableUnauthorizedAccount")
        .withArgs(await sys.timelock.getAddress());
    });

    it("an account without code that became owner can change nothing", async function () {
      const sys = await loadFixture(governedFixture);
      const eoa = sys.acc.spare[0];
      await govern(sys, await call(sys.config, "transferOwnership", [eoa.address]));
      await sys.config.connect(eoa).acceptOwnership();
      expect(await sys.config.owner()).to.equal(eoa.address);
      await expect(sys.config.connect(eoa).setGuardian(eoa.address)).to.be.revertedWithoutReason();
      await expect(sys.config.connect(eoa).setParams(paramsWith({ k: 4 }))).to.be.revertedWithoutReason();
      expect(await sys.config.guardian()).to.equal(sys.acc.guardian.address);
    });

    it("residual: an owner contract that reports a long delay but forwards at once acts without delay, but only after its own handover waited the full delay in public", async function () {
      const sys = await loadFixture(stakedFixture);
      const required = UNBONDING + lifetimeOf(sys.params);
      const liar = await ethers.deployContract("LyingTimelock", [required]);
      const liarAddress = await liar.getAddress();
      const op = await schedule(sys, await call(sys.vault, "transferOwnership", [liarAddress]));
      // The handover is queued in public for the whole delay: every staker can leave meanwhile.
      const e = sys.acc.evaluators[0];
      await sys.vault.connect(e).requestUnstake(Role.Evaluator, 1_000n * 10n ** 18n);
      await time.increaseTo(op.readyAt);
      await sys.vault.connect(e).withdraw(Role.Evaluator);
      expect(await sys.vault.stakeOf(e.address, Role.Evaluator)).to.deep.equal([0n, 0n]);
      await op.execute();
      await liar.forward(await sys.vault.getAddress(), sys.vault.interface.encodeFunctionData("acceptOwnership"));
      await expect(liar.forward(await sys.vault.getAddress(), sys.vault.interface.encodeFunctionData("setMaxSlashBps", [5_000])))
        .to.emit(sys.vault, "MaxSlashBpsSet")
        .withArgs(5_000);
    });
  });

  describe("what the owner holds", function () {
    it("no contract lets its owner move staked or reward funds: the distributor and settlement have no owner, the vault no sweep", async function () {
      const sys = await loadFixture(governedFixture);
      const functions = (c: BaseContract) => c.interface.fragments.filter((f): f is FunctionFragment => f.type === "function").map((f) => f.name);
      for (const c of [sys.distributor, sys.settlement, sys.challenges]) expect(functions(c)).not.to.include("owner");
      for (const c of [sys.vault, sys.distributor, sys.settlement]) {
        for (const name of ["sweep", "rescue", "recover", "emergencyWithdraw", "transferOut"]) expect(functions(c)).not.to.include(name);
      }
    });
  });
});
