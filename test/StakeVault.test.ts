import { expect } from "chai";
import { ethers } from "hardhat";
import { impersonateAccount, loadFixture, setBalance, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import {
  MIN_EVALUATOR_STAKE,
  MIN_INFERENCE_STAKE,
  Reason,
  Role,
  TOKEN,
  UNBONDING,
  VAULT_MAX_SLASH_BPS,
  deployFixture,
  deploySystem,
  feeTokenFixture,
  getAccounts,
  hookTokenFixture,
  type System,
} from "./helpers/fixtures";

/** The system with the settlement contract impersonated, so tests can call `slash` directly. */
async function slasherFixture() {
  const sys = await deploySystem();
  const settlementAddress = await sys.settlement.getAddress();
  await impersonateAccount(settlementAddress);
  await setBalance(settlementAddress, 10n ** 20n);
  const slasher = await ethers.getSigner(settlementAddress);
  return { ...sys, slasher };
}

/** A vault without a settlement contract yet (and its token). */
async function bareVaultFixture() {
  const { settlement: otherSettlement } = await deploySystem();
  const acc = await getAccounts();
  const token = await ethers.deployContract("TestToken", [acc.owner.address]);
  const vault = await ethers.deployContract("StakeVault", [
    acc.owner.address,
    await token.getAddress(),
    acc.treasury.address,
    3_000,
    VAULT_MAX_SLASH_BPS,
    MIN_INFERENCE_STAKE,
    MIN_EVALUATOR_STAKE,
  ]);
  return { acc, token, vault, otherSettlement };
}

describe("StakeVault", function () {
  describe("constructor", function () {
    it("stores token, recipient, unbonding period, slash cap and minimums", async function () {
      const { vault, token, settlement, acc } = await loadFixture(deployFixture);
      expect(await vault.token()).to.equal(await token.getAddress());
      expect(await vault.slashRecipient()).to.equal(acc.treasury.address);
      expect(await vault.unbondingPeriod()).to.equal(UNBONDING);
      expect(await vault.maxSlashBps()).to.equal(VAULT_MAX_SLASH_BPS);
      expect(await vault.minStake(Role.Inference)).to.equal(MIN_INFERENCE_STAKE);
      expect(await vault.minStake(Role.Evaluator)).to.equal(MIN_EVALUATOR_STAKE);
      expect(await vault.minStake(Role.None)).to.equal(0n);
      expect(await vault.settlement()).to.equal(await settlement.getAddress());
      expect(await vault.owner()).to.equal(acc.owner.address);
      expect(await vault.totalStaked()).to.deep.equal([0n, 0n]);
    });

    it("fails if the token or the slash recipient is the zero address", async function () {
      const { vault, token, acc } = await loadFixture(deployFixture);
      const F = await ethers.getContractFactory("StakeVault");
      const t = await token.getAddress();
      await expect(
        F.deploy(acc.owner.address, ethers.ZeroAddress, acc.treasury.address, UNBONDING, 100, 1, 1),
      ).to.be.revertedWithCustomError(vault, "VaultZeroAddress");
      await expect(F.deploy(acc.owner.address, t, ethers.ZeroAddress, UNBONDING, 100, 1, 1)).to.be.revertedWithCustomError(
        vault,
        "VaultZeroAddress",
      );
    });

    it("fails if the unbonding period or the slash cap is out of bounds", async function () {
      const { vault, token, acc } = await loadFixture(deployFixture);
      const F = await ethers.getContractFactory("StakeVault");
      const t = await token.getAddress();
      const r = acc.treasury.address;
      const maxU = 90 * 24 * 3600;
      await expect(F.deploy(acc.owner.address, t, r, 59, 100, 1, 1))
        .to.be.revertedWithCustomError(vault, "VaultParamOutOfBounds")
        .withArgs("unbondingPeriod", 59, 60, maxU);
      await expect(F.deploy(acc.owner.address, t, r, maxU + 1, 100, 1, 1))
        .to.be.revertedWithCustomError(vault, "VaultParamOutOfBounds")
        .withArgs("unbondingPeriod", maxU + 1, 60, maxU);
      await expect(F.deploy(acc.owner.address, t, r, UNBONDING, 0, 1, 1))
        .to.be.revertedWithCustomError(vault, "VaultParamOutOfBounds")
        .withArgs("maxSlashBps", 0, 1, 5_000);
      await expect(F.deploy(acc.owner.address, t, r, UNBONDING, 5_001, 1, 1))
        .to.be.revertedWithCustomError(vault, "VaultParamOutOfBounds")
        .withArgs("maxSlashBps", 5_001, 1, 5_000);
    });
  });

  describe("stake", function () {
    it("credits active stake for the role, pulls the tokens and emits Staked", async function () {
      const { vault, token, acc } = await loadFixture(deployFixture);
      const e = acc.evaluators[0];
      const amount = 250n * TOKEN;
      const tx = await vault.connect(e).stake(Role.Evaluator, amount);
      await expect(tx)
        .to.emit(vault, "Staked")
        .withArgs(e.address, Role.Evaluator, amount, amount);
      await expect(tx).to.changeTokenBalances(token, [e, vault], [-amount, amount]);
      await expect(vault.connect(e).stake(Role.Evaluator, 1n))
        .to.emit(vault, "Staked")
        .withArgs(e.address, Role.Evaluator, 1n, amount + 1n);
      const s = await vault.stakeOf(e.address, Role.Evaluator);
      expect(s.active).to.equal(amount + 1n);
      expect(s.queued).to.equal(0n);
      expect(await vault.totalStaked()).to.deep.equal([amount + 1n, 0n]);
      expect(await vault.isEligible(e.address, Role.Evaluator)).to.equal(true);
      expect(await vault.isEligible(e.address, Role.Inference)).to.equal(false);
    });

    it("keeps the two roles of one address apart", async function () {
      const { vault, acc } = await loadFixture(deployFixture);
      const a = acc.nodes[0];
      await vault.connect(a).stake(Role.Inference, MIN_INFERENCE_STAKE);
      await vault.connect(a).stake(Role.Evaluator, 2n * MIN_EVALUATOR_STAKE);
      expect((await vault.stakeOf(a.address, Role.Inference)).active).to.equal(MIN_INFERENCE_STAKE);
      expect((await vault.stakeOf(a.address, Role.Evaluator)).active).to.equal(2n * MIN_EVALUATOR_STAKE);
      expect(await vault.totalStaked()).to.deep.equal([MIN_INFERENCE_STAKE + 2n * MIN_EVALUATOR_STAKE, 0n]);
    });

    it("fails if the role is None", async function () {
      const { vault, acc } = await loadFixture(deployFixture);
      await expect(vault.connect(acc.nodes[0]).stake(Role.None, TOKEN))
        .to.be.revertedWithCustomError(vault, "VaultInvalidRole")
        .withArgs(Role.None);
    });

    it("fails if the amount is zero", async function () {
      const { vault, acc } = await loadFixture(deployFixture);
      await expect(vault.connect(acc.nodes[0]).stake(Role.Inference, 0)).to.be.revertedWithCustomError(
        vault,
        "VaultZeroAmount",
      );
    });

    it("fails if the resulting active stake is below the role's minimum", async function () {
      const { vault, acc } = await loadFixture(deployFixture);
      await expect(vault.connect(acc.nodes[0]).stake(Role.Inference, MIN_INFERENCE_STAKE - 1n))
        .to.be.revertedWithCustomError(vault, "VaultBelowMinimum")
        .withArgs(Role.Inference, MIN_INFERENCE_STAKE - 1n, MIN_INFERENCE_STAKE);
    });

    it("fails if the stake would leave the 128-bit range", async function () {
      const { vault, token, acc } = await loadFixture(deployFixture);
      const big = 2n ** 128n;
      const whale = acc.spare[0];
      await token.connect(acc.owner).mint(whale.address, big);
      await token.connect(whale).approve(await vault.getAddress(), big);
      await expect(vault.connect(whale).stake(Role.Evaluator, big))
        .to.be.revertedWithCustomError(vault, "VaultStakeOverflow")
        .withArgs(big);
      // The total is checked too: one account at the maximum, a second pushes the total over.
      await vault.connect(whale).stake(Role.Evaluator, big - 1n - MIN_EVALUATOR_STAKE);
      await expect(vault.connect(acc.evaluators[0]).stake(Role.Evaluator, MIN_EVALUATOR_STAKE + 1n))
        .to.be.revertedWithCustomError(vault, "VaultStakeOverflow")
        .withArgs(MIN_EVALUATOR_STAKE + 1n);
    });

    it("fails (in the token) without allowance", async function () {
      const { vault, token, acc } = await loadFixture(deployFixture);
      const o = acc.spare[1];
      await token.connect(acc.owner).mint(o.address, MIN_INFERENCE_STAKE);
      await expect(vault.connect(o).stake(Role.Inference, MIN_INFERENCE_STAKE))
        .to.be.revertedWithCustomError(token, "ERC20InsufficientAllowance")
        .withArgs(await vault.getAddress(), 0, MIN_INFERENCE_STAKE);
    });

    it("credits what arrived with a fee-on-transfer token", async function () {
      const { vault, token, acc } = await loadFixture(feeTokenFixture);
      const e = acc.evaluators[0];
      const amount = 1_000n * TOKEN;
      const received = amount - amount / 100n;
      await expect(vault.connect(e).stake(Role.Evaluator, amount))
        .to.emit(vault, "Staked")
        .withArgs(e.address, Role.Evaluator, received, received);
      expect((await vault.stakeOf(e.address, Role.Evaluator)).active).to.equal(received);
      expect(await token.balanceOf(await vault.getAddress())).to.equal(received);
      expect(await vault.totalStaked()).to.deep.equal([received, 0n]);
    });

    it("checks the minimum against what arrived with a fee-on-transfer token", async function () {
      const { vault, acc } = await loadFixture(feeTokenFixture);
      const received = MIN_EVALUATOR_STAKE - MIN_EVALUATOR_STAKE / 100n;
      await expect(vault.connect(acc.evaluators[0]).stake(Role.Evaluator, MIN_EVALUATOR_STAKE))
        .to.be.revertedWithCustomError(vault, "VaultBelowMinimum")
        .withArgs(Role.Evaluator, received, MIN_EVALUATOR_STAKE);
    });
  });

  describe("requestUnstake", function () {
    async function stakedOne() {
      const sys = await deploySystem();
      const e = sys.acc.evaluators[0];
      await sys.vault.connect(e).stake(Role.Evaluator, 500n * TOKEN);
      return { ...sys, e };
    }

    it("moves stake to the queue with an unlock time and emits UnstakeRequested", async function () {
      const { vault, e } = await loadFixture(stakedOne);
      const amount = 100n * TOKEN;
      const tx = await vault.connect(e).requestUnstake(Role.Evaluator, amount);
      const now = BigInt(await time.latest());
      await expect(tx)
        .to.emit(vault, "UnstakeRequested")
        .withArgs(e.address, Role.Evaluator, amount, amount, now + BigInt(UNBONDING));
      const s = await vault.stakeOf(e.address, Role.Evaluator);
      expect(s.active).to.equal(400n * TOKEN);
      expect(s.queued).to.equal(amount);
      expect(s.unlockTime).to.equal(now + BigInt(UNBONDING));
      expect(await vault.totalStaked()).to.deep.equal([400n * TOKEN, amount]);
    });

    it("restarts the unbonding of the whole queue on a second request", async function () {
      const { vault, e } = await loadFixture(stakedOne);
      await vault.connect(e).requestUnstake(Role.Evaluator, 100n * TOKEN);
      await time.increase(1000);
      await vault.connect(e).requestUnstake(Role.Evaluator, 100n * TOKEN);
      const s = await vault.stakeOf(e.address, Role.Evaluator);
      expect(s.queued).to.equal(200n * TOKEN);
      expect(s.unlockTime).to.equal(BigInt(await time.latest()) + BigInt(UNBONDING));
    });

    it("allows unstaking everything, which ends eligibility", async function () {
      const { vault, e } = await loadFixture(stakedOne);
      await vault.connect(e).requestUnstake(Role.Evaluator, 500n * TOKEN);
      expect(await vault.isEligible(e.address, Role.Evaluator)).to.equal(false);
      expect((await vault.stakeOf(e.address, Role.Evaluator)).active).to.equal(0n);
    });

    it("fails if the role is None", async function () {
      const { vault, e } = await loadFixture(stakedOne);
      await expect(vault.connect(e).requestUnstake(Role.None, 1))
        .to.be.revertedWithCustomError(vault, "VaultInvalidRole")
        .withArgs(Role.None);
    });

    it("fails if the amount is zero", async function () {
      const { vault, e } = await loadFixture(stakedOne);
      await expect(vault.connect(e).requestUnstake(Role.Evaluator, 0)).to.be.revertedWithCustomError(
        vault,
        "VaultZeroAmount",
      );
    });

    it("fails if more than the active stake is requested", async function () {
      const { vault, e } = await loadFixture(stakedOne);
      await expect(vault.connect(e).requestUnstake(Role.Evaluator, 500n * TOKEN + 1n))
        .to.be.revertedWithCustomError(vault, "VaultInsufficientStake")
        .withArgs(e.address, Role.Evaluator, 500n * TOKEN, 500n * TOKEN + 1n);
      await expect(vault.connect(e).requestUnstake(Role.Inference, 1))
        .to.be.revertedWithCustomError(vault, "VaultInsufficientStake")
        .withArgs(e.address, Role.Inference, 0, 1);
    });

    it("fails if the active stake left would be positive but below the minimum", async function () {
      const { vault, e } = await loadFixture(stakedOne);
      const amount = 500n * TOKEN - MIN_EVALUATOR_STAKE + 1n;
      await expect(vault.connect(e).requestUnstake(Role.Evaluator, amount))
        .to.be.revertedWithCustomError(vault, "VaultBelowMinimum")
        .withArgs(Role.Evaluator, MIN_EVALUATOR_STAKE - 1n, MIN_EVALUATOR_STAKE);
    });
  });

  describe("withdraw", function () {
    async function queuedOne() {
      const sys = await deploySystem();
      const e = sys.acc.evaluators[0];
      await sys.vault.connect(e).stake(Role.Evaluator, 500n * TOKEN);
      await sys.vault.connect(e).requestUnstake(Role.Evaluator, 200n * TOKEN);
      return { ...sys, e };
    }

    it("pays the whole queue at the unlock time and emits Withdrawn", async function () {
      const { vault, token, e } = await loadFixture(queuedOne);
      const unlock = (await vault.stakeOf(e.address, Role.Evaluator)).unlockTime;
      await time.setNextBlockTimestamp(unlock);
      const tx = await vault.connect(e).withdraw(Role.Evaluator);
      await expect(tx)
        .to.emit(vault, "Withdrawn")
        .withArgs(e.address, Role.Evaluator, 200n * TOKEN);
      await expect(tx).to.changeTokenBalances(token, [e, vault], [200n * TOKEN, -200n * TOKEN]);
      const s = await vault.stakeOf(e.address, Role.Evaluator);
      expect(s.queued).to.equal(0n);
      expect(s.active).to.equal(300n * TOKEN);
      expect(await vault.totalStaked()).to.deep.equal([300n * TOKEN, 0n]);
    });

    it("fails if the role is None", async function () {
      const { vault, e } = await loadFixture(queuedOne);
      await expect(vault.connect(e).withdraw(Role.None)).to.be.revertedWithCustomError(vault, "VaultInvalidRole").withArgs(0);
    });

    it("fails if nothing is queued", async function () {
      const { vault, e } = await loadFixture(queuedOne);
      await expect(vault.connect(e).withdraw(Role.Inference))
        .to.be.revertedWithCustomError(vault, "VaultNothingQueued")
        .withArgs(e.address, Role.Inference);
    });

    it("fails while the queue is unbonding", async function () {
      const { vault, e } = await loadFixture(queuedOne);
      const unlock = (await vault.stakeOf(e.address, Role.Evaluator)).unlockTime;
      await time.setNextBlockTimestamp(unlock - 1n);
      await expect(vault.connect(e).withdraw(Role.Evaluator))
        .to.be.revertedWithCustomError(vault, "VaultStillUnbonding")
        .withArgs(e.address, Role.Evaluator, unlock);
    });

    it("fails on a second withdrawal", async function () {
      const { vault, e } = await loadFixture(queuedOne);
      await time.increase(UNBONDING);
      await vault.connect(e).withdraw(Role.Evaluator);
      await expect(vault.connect(e).withdraw(Role.Evaluator))
        .to.be.revertedWithCustomError(vault, "VaultNothingQueued")
        .withArgs(e.address, Role.Evaluator);
    });

    it("pays out the net amount that was credited with a fee-on-transfer token", async function () {
      const { vault, token, acc } = await loadFixture(feeTokenFixture);
      const e = acc.evaluators[0];
      await vault.connect(e).stake(Role.Evaluator, 1_000n * TOKEN);
      const credited = 990n * TOKEN;
      await vault.connect(e).requestUnstake(Role.Evaluator, credited);
      await time.increase(UNBONDING);
      // The vault sends `credited`; the token burns 1% of it on the way.
      await expect(vault.connect(e).withdraw(Role.Evaluator)).to.changeTokenBalances(
        token,
        [e, vault],
        [credited - credited / 100n, -credited],
      );
      expect(await token.balanceOf(await vault.getAddress())).to.equal(0n);
    });
  });

  describe("slash", function () {
    it("fails if the caller is not the settlement contract", async function () {
      const { vault, acc } = await loadFixture(slasherFixture);
      await expect(vault.connect(acc.owner).slash(acc.evaluators[0].address, Role.Evaluator, 1, 100, Reason.LowTrust))
        .to.be.revertedWithCustomError(vault, "VaultNotSettlement")
        .withArgs(acc.owner.address);
    });

    it("fails if the role is None", async function () {
      const { vault, acc, slasher } = await loadFixture(slasherFixture);
      await expect(vault.connect(slasher).slash(acc.evaluators[0].address, Role.None, 1, 100, Reason.LowTrust))
        .to.be.revertedWithCustomError(vault, "VaultInvalidRole")
        .withArgs(Role.None);
    });

    it("fails above the per-round cap", async function () {
      const { vault, acc, slasher } = await loadFixture(slasherFixture);
      await expect(
        vault.connect(slasher).slash(acc.evaluators[0].address, Role.Evaluator, 1, VAULT_MAX_SLASH_BPS + 1, 1),
      )
        .to.be.revertedWithCustomError(vault, "VaultSlashAboveCap")
        .withArgs(VAULT_MAX_SLASH_BPS + 1, VAULT_MAX_SLASH_BPS);
    });

    it("takes bps of the stake, sends it to the recipient and emits Slashed", async function () {
      const { vault, token, acc, slasher } = await loadFixture(slasherFixture);
      const e = acc.evaluators[0];
      await vault.connect(e).stake(Role.Evaluator, 1_000n * TOKEN);
      const amount = 100n * TOKEN; // 10%
      expect(await vault.connect(slasher).slash.staticCall(e.address, Role.Evaluator, 7, 1_000, Reason.LowTrust)).to.equal(
        amount,
      );
      const tx = await vault.connect(slasher).slash(e.address, Role.Evaluator, 7, 1_000, Reason.LowTrust);
      await expect(tx)
        .to.emit(vault, "Slashed")
        .withArgs(7, e.address, Role.Evaluator, Reason.LowTrust, amount, acc.treasury.address);
      await expect(tx).to.changeTokenBalances(token, [vault, acc.treasury], [-amount, amount]);
      const s = await vault.stakeOf(e.address, Role.Evaluator);
      expect(s.active).to.equal(900n * TOKEN);
      expect(s.lastSlashedRound).to.equal(7n);
      expect(await vault.totalStaked()).to.deep.equal([900n * TOKEN, 0n]);
    });

    it("slashes at most once per account, role and round", async function () {
      const { vault, acc, slasher } = await loadFixture(slasherFixture);
      const e = acc.evaluators[0];
      await vault.connect(e).stake(Role.Evaluator, 1_000n * TOKEN);
      await vault.connect(slasher).slash(e.address, Role.Evaluator, 3, 2_000, Reason.NonReveal);
      await expect(vault.connect(slasher).slash(e.address, Role.Evaluator, 3, 1, Reason.LowTrust))
        .to.be.revertedWithCustomError(vault, "VaultAlreadySlashed")
        .withArgs(e.address, Role.Evaluator, 3);
      // Another round may slash again, capped again: the stake shrinks geometrically, never below zero.
      await vault.connect(slasher).slash(e.address, Role.Evaluator, 4, 2_000, Reason.NonReveal);
      expect((await vault.stakeOf(e.address, Role.Evaluator)).active).to.equal(640n * TOKEN);
    });

    it("rounds up, so a positive stake never yields a zero slash", async function () {
      const { vault, acc, slasher } = await loadFixture(slasherFixture);
      await vault.connect(acc.owner).setMinStake(Role.Evaluator, 0);
      const e = acc.evaluators[0];
      await vault.connect(e).stake(Role.Evaluator, 1n);
      await expect(vault.connect(slasher).slash(e.address, Role.Evaluator, 1, 1, Reason.LowTrust))
        .to.emit(vault, "Slashed")
        .withArgs(1, e.address, Role.Evaluator, Reason.LowTrust, 1n, acc.treasury.address);
      expect((await vault.stakeOf(e.address, Role.Evaluator)).active).to.equal(0n);
      // 10001 wei at 1 bps: 1.0001 rounds up to 2.
      const f = acc.evaluators[1];
      await vault.connect(f).stake(Role.Evaluator, 10_001n);
      expect(await vault.connect(slasher).slash.staticCall(f.address, Role.Evaluator, 1, 1, 1)).to.equal(2n);
    });

    it("slashes queued stake when nothing is active, and active stake first otherwise", async function () {
      const { vault, acc, slasher } = await loadFixture(slasherFixture);
      const e = acc.evaluators[0];
      await vault.connect(e).stake(Role.Evaluator, 1_000n * TOKEN);
      await vault.connect(e).requestUnstake(Role.Evaluator, 1_000n * TOKEN);
      await expect(vault.connect(slasher).slash(e.address, Role.Evaluator, 1, 1_000, Reason.NonReveal))
        .to.emit(vault, "Slashed")
        .withArgs(1, e.address, Role.Evaluator, Reason.NonReveal, 100n * TOKEN, acc.treasury.address);
      let s = await vault.stakeOf(e.address, Role.Evaluator);
      expect([s.active, s.queued]).to.deep.equal([0n, 900n * TOKEN]);

      const f = acc.evaluators[1];
      await vault.connect(f).stake(Role.Evaluator, 1_000n * TOKEN);
      await vault.connect(f).requestUnstake(Role.Evaluator, 900n * TOKEN);
      // 20% of 1000 = 200: 100 from active, the other 100 from the queue.
      await vault.connect(slasher).slash(f.address, Role.Evaluator, 1, 2_000, Reason.LowTrust);
      s = await vault.stakeOf(f.address, Role.Evaluator);
      expect([s.active, s.queued]).to.deep.equal([0n, 800n * TOKEN]);
      expect(await vault.totalStaked()).to.deep.equal([0n, 1_700n * TOKEN]);
    });

    it("returns zero without an event or a mark when the account holds no stake or bps is zero", async function () {
      const { vault, acc, slasher } = await loadFixture(slasherFixture);
      const e = acc.evaluators[0];
      expect(await vault.connect(slasher).slash.staticCall(e.address, Role.Evaluator, 1, 1_000, 1)).to.equal(0n);
      await expect(vault.connect(slasher).slash(e.address, Role.Evaluator, 1, 1_000, 1)).not.to.emit(vault, "Slashed");
      await vault.connect(e).stake(Role.Evaluator, 1_000n * TOKEN);
      await expect(vault.connect(slasher).slash(e.address, Role.Evaluator, 1, 0, 1)).not.to.emit(vault, "Slashed");
      // Neither call marked round 1: a real slash in round 1 still goes through.
      await expect(vault.connect(slasher).slash(e.address, Role.Evaluator, 1, 1_000, 1)).to.emit(vault, "Slashed");
    });
  });

  describe("setSettlement", function () {
    it("wires the settlement once and emits SettlementSet", async function () {
      const { vault, acc, otherSettlement } = await loadFixture(bareVaultFixture);
      const s = await otherSettlement.getAddress();
      // bareVault's unbonding (3000 s) exceeds the default round tail (2400 s).
      await expect(vault.connect(acc.owner).setSettlement(s)).to.emit(vault, "SettlementSet").withArgs(s);
      expect(await vault.settlement()).to.equal(s);
    });

    it("fails if already set", async function () {
      const { vault, settlement, acc } = await loadFixture(deployFixture);
      const s = await settlement.getAddress();
      await expect(vault.connect(acc.owner).setSettlement(acc.outsider.address))
        .to.be.revertedWithCustomError(vault, "VaultSettlementAlreadySet")
        .withArgs(s);
    });

    it("fails for the zero address", async function () {
      const { vault, acc } = await loadFixture(bareVaultFixture);
      await expect(vault.connect(acc.owner).setSettlement(ethers.ZeroAddress)).to.be.revertedWithCustomError(
        vault,
        "VaultZeroAddress",
      );
    });

    it("fails if the unbonding period does not exceed the settlement's round tail", async function () {
      const { settlement } = await loadFixture(deployFixture);
      const acc = await getAccounts();
      const token = await ethers.deployContract("TestToken", [acc.owner.address]);
      const tail = await settlement.roundTail();
      const vault = await ethers.deployContract("StakeVault", [
        acc.owner.address,
        await token.getAddress(),
        acc.treasury.address,
        tail,
        100,
        0,
        0,
      ]);
      await expect(vault.connect(acc.owner).setSettlement(await settlement.getAddress()))
        .to.be.revertedWithCustomError(vault, "VaultUnbondingTooShort")
        .withArgs(tail, tail);
    });

    it("fails if the caller is not the owner", async function () {
      const { vault, acc } = await loadFixture(bareVaultFixture);
      await expect(vault.connect(acc.outsider).setSettlement(acc.outsider.address))
        .to.be.revertedWithCustomError(vault, "OwnableUnauthorizedAccount")
        .withArgs(acc.outsider.address);
    });
  });

  describe("setMinStake", function () {
    it("sets the minimum and emits MinStakeSet", async function () {
      const { vault, acc } = await loadFixture(deployFixture);
      await expect(vault.connect(acc.owner).setMinStake(Role.Inference, 5n))
        .to.emit(vault, "MinStakeSet")
        .withArgs(Role.Inference, 5n);
      expect(await vault.minStake(Role.Inference)).to.equal(5n);
    });

    it("changes eligibility of existing stakes", async function () {
      const { vault, acc } = await loadFixture(deployFixture);
      const e = acc.evaluators[0];
      await vault.connect(e).stake(Role.Evaluator, MIN_EVALUATOR_STAKE);
      await vault.connect(acc.owner).setMinStake(Role.Evaluator, MIN_EVALUATOR_STAKE + 1n);
      expect(await vault.isEligible(e.address, Role.Evaluator)).to.equal(false);
      await vault.connect(acc.owner).setMinStake(Role.Evaluator, 0);
      expect(await vault.isEligible(e.address, Role.Evaluator)).to.equal(true);
      expect(await vault.isEligible(acc.evaluators[1].address, Role.Evaluator)).to.equal(false);
    });

    it("fails for role None, for the value in force, and for a non-owner", async function () {
      const { vault, acc } = await loadFixture(deployFixture);
      await expect(vault.connect(acc.owner).setMinStake(Role.None, 1))
        .to.be.revertedWithCustomError(vault, "VaultInvalidRole")
        .withArgs(0);
      await expect(vault.connect(acc.owner).setMinStake(Role.Evaluator, MIN_EVALUATOR_STAKE))
        .to.be.revertedWithCustomError(vault, "VaultParamUnchanged")
        .withArgs("minStake");
      await expect(vault.connect(acc.outsider).setMinStake(Role.Evaluator, 1))
        .to.be.revertedWithCustomError(vault, "OwnableUnauthorizedAccount")
        .withArgs(acc.outsider.address);
    });
  });

  describe("setUnbondingPeriod", function () {
    it("sets the period and emits UnbondingPeriodSet", async function () {
      const { vault, acc } = await loadFixture(deployFixture);
      await expect(vault.connect(acc.owner).setUnbondingPeriod(UNBONDING * 2))
        .to.emit(vault, "UnbondingPeriodSet")
        .withArgs(UNBONDING * 2);
      expect(await vault.unbondingPeriod()).to.equal(UNBONDING * 2);
    });

    it("accepts any period within bounds before the settlement is wired", async function () {
      const { vault, acc } = await loadFixture(bareVaultFixture);
      await expect(vault.connect(acc.owner).setUnbondingPeriod(60)).to.emit(vault, "UnbondingPeriodSet").withArgs(60);
    });

    it("fails out of bounds, for the value in force, and for a non-owner", async function () {
      const { vault, acc } = await loadFixture(deployFixture);
      await expect(vault.connect(acc.owner).setUnbondingPeriod(59))
        .to.be.revertedWithCustomError(vault, "VaultParamOutOfBounds")
        .withArgs("unbondingPeriod", 59, 60, 90 * 24 * 3600);
      await expect(vault.connect(acc.owner).setUnbondingPeriod(UNBONDING))
        .to.be.revertedWithCustomError(vault, "VaultParamUnchanged")
        .withArgs("unbondingPeriod");
      await expect(vault.connect(acc.outsider).setUnbondingPeriod(UNBONDING + 1)).to.be.revertedWithCustomError(
        vault,
        "OwnableUnauthorizedAccount",
      );
    });

    it("fails if the period would not exceed the round tail", async function () {
      const { vault, settlement, acc } = await loadFixture(deployFixture);
      const tail = await settlement.roundTail();
      await expect(vault.connect(acc.owner).setUnbondingPeriod(tail))
        .to.be.revertedWithCustomError(vault, "VaultUnbondingTooShort")
        .withArgs(tail, tail);
      await expect(vault.connect(acc.owner).setUnbondingPeriod(tail + 1n)).to.emit(vault, "UnbondingPeriodSet");
    });
  });

  describe("setMaxSlashBps", function () {
    it("sets the cap and emits MaxSlashBpsSet", async function () {
      const { vault, acc } = await loadFixture(deployFixture);
      await expect(vault.connect(acc.owner).setMaxSlashBps(5_000)).to.emit(vault, "MaxSlashBpsSet").withArgs(5_000);
      expect(await vault.maxSlashBps()).to.equal(5_000);
    });

    it("fails out of bounds, for the value in force, and for a non-owner", async function () {
      const { vault, acc } = await loadFixture(deployFixture);
      await expect(vault.connect(acc.owner).setMaxSlashBps(0))
        .to.be.revertedWithCustomError(vault, "VaultParamOutOfBounds")
        .withArgs("maxSlashBps", 0, 1, 5_000);
      await expect(vault.connect(acc.owner).setMaxSlashBps(5_001))
        .to.be.revertedWithCustomError(vault, "VaultParamOutOfBounds")
        .withArgs("maxSlashBps", 5_001, 1, 5_000);
      await expect(vault.connect(acc.owner).setMaxSlashBps(VAULT_MAX_SLASH_BPS))
        .to.be.revertedWithCustomError(vault, "VaultParamUnchanged")
        .withArgs("maxSlashBps");
      await expect(vault.connect(acc.outsider).setMaxSlashBps(10)).to.be.revertedWithCustomError(
        vault,
        "OwnableUnauthorizedAccount",
      );
    });
  });

  describe("setSlashRecipient", function () {
    it("sets the recipient and emits SlashRecipientSet", async function () {
      const { vault, acc } = await loadFixture(deployFixture);
      await expect(vault.connect(acc.owner).setSlashRecipient(acc.outsider.address))
        .to.emit(vault, "SlashRecipientSet")
        .withArgs(acc.outsider.address);
      expect(await vault.slashRecipient()).to.equal(acc.outsider.address);
    });

    it("fails for the zero address, for the recipient in force, and for a non-owner", async function () {
      const { vault, acc } = await loadFixture(deployFixture);
      await expect(vault.connect(acc.owner).setSlashRecipient(ethers.ZeroAddress)).to.be.revertedWithCustomError(
        vault,
        "VaultZeroAddress",
      );
      await expect(vault.connect(acc.owner).setSlashRecipient(acc.treasury.address))
        .to.be.revertedWithCustomError(vault, "VaultParamUnchanged")
        .withArgs("slashRecipient");
      await expect(vault.connect(acc.outsider).setSlashRecipient(acc.outsider.address)).to.be.revertedWithCustomError(
        vault,
        "OwnableUnauthorizedAccount",
      );
    });
  });

  describe("hostile tokens", function () {
    it("stake fails if nothing arrives (a token that keeps the whole transfer)", async function () {
      const { vault, hook, acc } = await loadFixture(hookTokenFixture);
      await hook.setSwallow(true);
      await expect(vault.connect(acc.evaluators[0]).stake(Role.Evaluator, MIN_EVALUATOR_STAKE)).to.be.revertedWithCustomError(
        vault,
        "VaultZeroAmount",
      );
    });

    it("stake, withdraw and slash cannot be re-entered from a token callback", async function () {
      const { vault, hook, acc, settlement } = await loadFixture(hookTokenFixture);
      const e = acc.evaluators[0];
      const v = await vault.getAddress();
      await vault.connect(e).stake(Role.Evaluator, 500n * TOKEN);
      await vault.connect(e).requestUnstake(Role.Evaluator, 100n * TOKEN);
      await time.increase(UNBONDING);
      // withdraw → token transfer → stake
      await hook.setHook(v, vault.interface.encodeFunctionData("stake", [Role.Evaluator, 1n]));
      await expect(vault.connect(e).withdraw(Role.Evaluator)).to.be.revertedWithCustomError(vault, "ReentrancyGuardReentrantCall");
      // stake → token transferFrom → withdraw
      await hook.setHook(v, vault.interface.encodeFunctionData("withdraw", [Role.Evaluator]));
      await expect(vault.connect(e).stake(Role.Evaluator, TOKEN)).to.be.revertedWithCustomError(vault, "ReentrancyGuardReentrantCall");
      // stake → token transferFrom → slash (the guard answers before the caller check)
      const slashData = vault.interface.encodeFunctionData("slash", [e.address, Role.Evaluator, 1, 100, Reason.LowTrust]);
      await hook.setHook(v, slashData);
      await expect(vault.connect(e).stake(Role.Evaluator, TOKEN)).to.be.revertedWithCustomError(vault, "ReentrancyGuardReentrantCall");
      // Without the hook everything works, and nothing changed.
      await hook.setHook(ethers.ZeroAddress, "0x");
      await expect(vault.connect(e).withdraw(Role.Evaluator)).to.emit(vault, "Withdrawn").withArgs(e.address, Role.Evaluator, 100n * TOKEN);
      expect(await settlement.getAddress()).to.equal(await vault.settlement());
    });
  });

  describe("ownership (Ownable2Step)", function () {
    it("transfers ownership only when the new owner accepts", async function () {
      const { vault, acc } = await loadFixture(deployFixture);
      await vault.connect(acc.owner).transferOwnership(acc.outsider.address);
      expect(await vault.owner()).to.equal(acc.owner.address);
      await expect(vault.connect(acc.guardian).acceptOwnership())
        .to.be.revertedWithCustomError(vault, "OwnableUnauthorizedAccount")
        .withArgs(acc.guardian.address);
      await vault.connect(acc.outsider).acceptOwnership();
      expect(await vault.owner()).to.equal(acc.outsider.address);
    });
  });

  describe("views", function () {
    it("isEligible is false for a zero stake even when the minimum is zero", async function () {
      const { vault, acc } = await loadFixture(deployFixture);
      await vault.connect(acc.owner).setMinStake(Role.Evaluator, 0);
      expect(await vault.isEligible(acc.evaluators[0].address, Role.Evaluator)).to.equal(false);
    });

    it("totalStaked equals the vault's token balance through stake, unstake, slash and withdraw", async function () {
      const { vault, token, acc, slasher } = (await loadFixture(slasherFixture)) as System & {
        slasher: HardhatEthersSigner;
      };
      const v = await vault.getAddress();
      const check = async () => {
        const [a, q] = await vault.totalStaked();
        expect(a + q).to.equal(await token.balanceOf(v));
      };
      await vault.connect(acc.evaluators[0]).stake(Role.Evaluator, 700n * TOKEN);
      await vault.connect(acc.nodes[0]).stake(Role.Inference, 300n * TOKEN);
      await check();
      await vault.connect(acc.evaluators[0]).requestUnstake(Role.Evaluator, 300n * TOKEN);
      await check();
      await vault.connect(slasher).slash(acc.evaluators[0].address, Role.Evaluator, 1, 1_999, 2);
      await check();
      await time.increase(UNBONDING);
      await vault.connect(acc.evaluators[0]).withdraw(Role.Evaluator);
      await check();
    });
  });
});
