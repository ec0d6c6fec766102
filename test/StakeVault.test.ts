import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import {
  DEFAULT_PARAMS,
  MIN_EVALUATOR_STAKE,
  MIN_INFERENCE_STAKE,
  MIN_RELAYER_STAKE,
  RELAYER_BOND,
  Reason,
  Role,
  TOKEN,
  UNBONDING,
  VAULT_MAX_SLASH_BPS,
  deploySystem,
  lifetimeOf,
  mint,
  stakedFixture,
  type System,
} from "./helpers/fixtures";
import { call, govern, schedule } from "./helpers/governance";
import { signerFor } from "./helpers/impersonate";
import { expectGovernedAddress, expectWiredOnce } from "./helpers/setters";
import { commitAll, now, openRound, pinNextTimestamp } from "./helpers/round";

async function deployedFixture() {
  return deploySystem();
}
async function feeFixture() {
  return deploySystem({ token: "fee" });
}
async function hookFixture() {
  return deploySystem({ token: "hook" });
}
/** A deployment whose timelock delay is one second short of what the contracts require. */
async function shortDelayFixture() {
  return deploySystem({ delay: UNBONDING + lifetimeOf(DEFAULT_PARAMS) - 1 });
}

const e0 = (sys: System) => sys.acc.evaluators[0];

describe("StakeVault", function () {
  describe("constructor", function () {
    it("stores token, slash recipient, unbonding, cap and minimums; the timelock owns it; no settlement yet", async function () {
      const sys = await deploySystem({ noWiring: true });
      const { vault, acc } = sys;
      expect(await vault.token()).to.equal(await sys.token.getAddress());
      expect(await vault.slashRecipient()).to.equal(acc.treasury.address);
      expect(await vault.unbondingPeriod()).to.equal(UNBONDING);
      expect(await vault.maxSlashBps()).to.equal(VAULT_MAX_SLASH_BPS);
      expect(await vault.minStake(Role.Inference)).to.equal(MIN_INFERENCE_STAKE);
      expect(await vault.minStake(Role.Evaluator)).to.equal(MIN_EVALUATOR_STAKE);
      expect(await vault.minStake(Role.Relayer)).to.equal(MIN_RELAYER_STAKE);
      expect(await vault.owner()).to.equal(await sys.timelock.getAddress());
      expect(await vault.settlement()).to.equal(ethers.ZeroAddress);
      // Before the settlement is wired, governance's delay must cover the unbonding period alone.
      expect(await vault.requiredGovernanceDelay()).to.equal(UNBONDING);
    });

    it("rejects a zero token or slash recipient, an unbonding period or cap outside its bounds, and a zero owner", async function () {
      const { acc, token, timelock } = await loadFixture(deployedFixture);
      const F = await ethers.getContractFactory("StakeVault");
      const tl = await timelock.getAddress();
      const t = await token.getAddress();
      const mins: [bigint, bigint, bigint] = [1n, 1n, 1n];
      await expect(F.deploy(tl, ethers.ZeroAddress, acc.treasury.address, UNBONDING, 1_000, mins)).to.be.revertedWithCustomError(F, "StakeVaultZeroAddress");
      await expect(F.deploy(tl, t, ethers.ZeroAddress, UNBONDING, 1_000, mins)).to.be.revertedWithCustomError(F, "StakeVaultZeroAddress");
      await expect(F.deploy(tl, t, acc.treasury.address, 59, 1_000, mins))
        .to.be.revertedWithCustomError(F, "StakeVaultParamOutOfBounds")
        .withArgs("unbondingPeriod", 59, 60, 90 * 24 * 3600);
      await expect(F.deploy(tl, t, acc.treasury.address, 90 * 24 * 3600 + 1, 1_000, mins))
        .to.be.revertedWithCustomError(F, "StakeVaultParamOutOfBounds")
        .withArgs("unbondingPeriod", 90 * 24 * 3600 + 1, 60, 90 * 24 * 3600);
      await expect(F.deploy(tl, t, acc.treasury.address, UNBONDING, 0, mins))
        .to.be.revertedWithCustomError(F, "StakeVaultParamOutOfBounds")
        .withArgs("maxSlashBps", 0, 1, 5_000);
      await expect(F.deploy(tl, t, acc.treasury.address, UNBONDING, 5_001, mins))
        .to.be.revertedWithCustomError(F, "StakeVaultParamOutOfBounds")
        .withArgs("maxSlashBps", 5_001, 1, 5_000);
      await expect(F.deploy(ethers.ZeroAddress, t, acc.treasury.address, UNBONDING, 1_000, mins))
        .to.be.revertedWithCustomError(F, "OwnableInvalidOwner")
        .withArgs(ethers.ZeroAddress);
    });
  });

  describe("stake", function () {
    it("adds to active stake and the role's totals, and emits Staked", async function () {
      const sys = await loadFixture(deployedFixture);
      const e = e0(sys);
      await expect(sys.vault.connect(e).stake(Role.Evaluator, 150n * TOKEN))
        .to.emit(sys.vault, "Staked")
        .withArgs(e.address, Role.Evaluator, 150n * TOKEN, 150n * TOKEN);
      await expect(sys.vault.connect(e).stake(Role.Evaluator, 1n))
        .to.emit(sys.vault, "Staked")
        .withArgs(e.address, Role.Evaluator, 1n, 150n * TOKEN + 1n);
      expect((await sys.vault.stakeOf(e.address, Role.Evaluator)).active).to.equal(150n * TOKEN + 1n);
      expect(await sys.vault.roleTotals(Role.Evaluator)).to.deep.equal([150n * TOKEN + 1n, 0n]);
      expect(await sys.vault.totalStaked()).to.deep.equal([150n * TOKEN + 1n, 0n]);
      expect(await sys.token.balanceOf(await sys.vault.getAddress())).to.equal(150n * TOKEN + 1n);
      // Each role has its own balance.
      expect((await sys.vault.stakeOf(e.address, Role.Inference)).active).to.equal(0n);
    });

    it("rejects a zero amount, the None role and a first stake below the role's minimum", async function () {
      const sys = await loadFixture(deployedFixture);
      const e = e0(sys);
      await expect(sys.vault.connect(e).stake(Role.Evaluator, 0)).to.be.revertedWithCustomError(sys.vault, "StakeVaultZeroAmount");
      await expect(sys.vault.connect(e).stake(Role.None, TOKEN)).to.be.revertedWithCustomError(sys.vault, "StakeVaultInvalidRole").withArgs(0);
      await expect(sys.vault.connect(e).stake(Role.Relayer, MIN_RELAYER_STAKE - 1n))
        .to.be.revertedWithCustomError(sys.vault, "StakeVaultBelowMinimum")
        .withArgs(Role.Relayer, MIN_RELAYER_STAKE - 1n, MIN_RELAYER_STAKE);
    });

    it("credits what arrived from a fee-on-transfer token, never what was asked", async function () {
      const sys = await loadFixture(feeFixture);
      const e = e0(sys);
      const asked = 1_000n * TOKEN;
      const received = asked - asked / 100n;
      await expect(sys.vault.connect(e).stake(Role.Evaluator, asked)).to.emit(sys.vault, "Staked").withArgs(e.address, Role.Evaluator, received, received);
      expect(await sys.token.balanceOf(await sys.vault.getAddress())).to.equal(received);
      expect(await sys.vault.totalStaked()).to.deep.equal([received, 0n]);
    });

    it("refuses a transfer that delivers nothing", async function () {
      const sys = await loadFixture(hookFixture);
      const hook = sys.token as unknown as import("../typechain-types").HookToken;
      await hook.setSwallow(true);
      await expect(sys.vault.connect(e0(sys)).stake(Role.Evaluator, 200n * TOKEN)).to.be.revertedWithCustomError(sys.vault, "StakeVaultZeroAmount");
    });

    it("cannot be re-entered from a token callback", async function () {
      const sys = await loadFixture(hookFixture);
      const hook = sys.token as unknown as import("../typechain-types").HookToken;
      await hook.setHook(await sys.vault.getAddress(), sys.vault.interface.encodeFunctionData("stake", [Role.Inference, 1n]));
      await expect(sys.vault.connect(e0(sys)).stake(Role.Evaluator, 200n * TOKEN)).to.be.revertedWithCustomError(sys.vault, "ReentrancyGuardReentrantCall");
    });

    it("refuses stake beyond the 128-bit accounting range", async function () {
      const sys = await loadFixture(deployedFixture);
      const big = 2n ** 128n;
      await mint(sys.token, sys.acc.deployer, sys.acc.outsider.address, big);
      await expect(sys.vault.connect(sys.acc.outsider).stake(Role.Inference, big))
        .to.be.revertedWithCustomError(sys.vault, "StakeVaultStakeOverflow")
        .withArgs(big);
    });
  });

  describe("requestUnstake", function () {
    it("moves stake from active into a queued request with its own unlock time", async function () {
      const sys = await loadFixture(stakedFixture);
      const e = e0(sys);
      const unlock = (await pinNextTimestamp()) + BigInt(UNBONDING);
      const tx = sys.vault.connect(e).requestUnstake(Role.Evaluator, 100n * TOKEN);
      await expect(tx).to.emit(sys.vault, "UnstakeRequested").withArgs(e.address, Role.Evaluator, 100n * TOKEN, 100n * TOKEN, unlock);
      expect(await sys.vault.stakeOf(e.address, Role.Evaluator)).to.deep.equal([900n * TOKEN, 100n * TOKEN]);
      expect(await sys.vault.unbondingQueue(e.address, Role.Evaluator)).to.deep.equal([[100n * TOKEN, unlock]]);
      const [active, queued] = await sys.vault.roleTotals(Role.Evaluator);
      expect(queued).to.equal(100n * TOKEN);
      expect(active).to.equal((1_000n + 1_200n + 1_400n + 1_600n + 1_800n - 100n) * TOKEN);
    });

    it("never delays an earlier request: each keeps the unlock time it was made with", async function () {
      const sys = await loadFixture(stakedFixture);
      const e = e0(sys);
      await sys.vault.connect(e).requestUnstake(Role.Evaluator, 100n * TOKEN);
      const [first] = await sys.vault.unbondingQueue(e.address, Role.Evaluator);
      await time.increase(UNBONDING / 2);
      await sys.vault.connect(e).requestUnstake(Role.Evaluator, 50n * TOKEN);
      const queue = await sys.vault.unbondingQueue(e.address, Role.Evaluator);
      expect(queue[0].unlockTime).to.equal(first.unlockTime);
      expect(queue[1].unlockTime).to.be.greaterThan(first.unlockTime);
      await time.increaseTo(first.unlockTime);
      await expect(sys.vault.connect(e).withdraw(Role.Evaluator)).to.emit(sys.vault, "Withdrawn").withArgs(e.address, Role.Evaluator, 100n * TOKEN);
    });

    it("rejects a zero amount, the None role, more than is active and a positive remainder below the minimum", async function () {
      const sys = await loadFixture(stakedFixture);
      const e = e0(sys);
      await expect(sys.vault.connect(e).requestUnstake(Role.Evaluator, 0)).to.be.revertedWithCustomError(sys.vault, "StakeVaultZeroAmount");
      await expect(sys.vault.connect(e).requestUnstake(Role.None, 1)).to.be.revertedWithCustomError(sys.vault, "StakeVaultInvalidRole").withArgs(0);
      await expect(sys.vault.connect(e).requestUnstake(Role.Evaluator, 1_000n * TOKEN + 1n))
        .to.be.revertedWithCustomError(sys.vault, "StakeVaultInsufficientStake")
        .withArgs(e.address, Role.Evaluator, 1_000n * TOKEN, 1_000n * TOKEN + 1n);
      await expect(sys.vault.connect(e).requestUnstake(Role.Evaluator, 1_000n * TOKEN - MIN_EVALUATOR_STAKE + 1n))
        .to.be.revertedWithCustomError(sys.vault, "StakeVaultBelowMinimum")
        .withArgs(Role.Evaluator, MIN_EVALUATOR_STAKE - 1n, MIN_EVALUATOR_STAKE);
      // Leaving entirely is always allowed.
      await expect(sys.vault.connect(e).requestUnstake(Role.Evaluator, 1_000n * TOKEN)).to.emit(sys.vault, "UnstakeRequested");
    });

    it("holds at most MAX_QUEUE pending requests per account and role", async function () {
      const sys = await loadFixture(stakedFixture);
      const e = e0(sys);
      const max = Number(await sys.vault.MAX_QUEUE());
      for (let i = 0; i < max; i++) await sys.vault.connect(e).requestUnstake(Role.Evaluator, TOKEN);
      await expect(sys.vault.connect(e).requestUnstake(Role.Evaluator, TOKEN))
        .to.be.revertedWithCustomError(sys.vault, "StakeVaultQueueFull")
        .withArgs(e.address, Role.Evaluator);
      // Withdrawing frees the slots.
      await time.increase(UNBONDING);
      await sys.vault.connect(e).withdraw(Role.Evaluator);
      await expect(sys.vault.connect(e).requestUnstake(Role.Evaluator, TOKEN)).to.emit(sys.vault, "UnstakeRequested");
      expect((await sys.vault.unbondingQueue(e.address, Role.Evaluator)).length).to.equal(1);
    });
  });

  describe("withdraw", function () {
    it("pays every matured request, oldest first, and nothing before its unlock time", async function () {
      const sys = await loadFixture(stakedFixture);
      const e = e0(sys);
      await sys.vault.connect(e).requestUnstake(Role.Evaluator, 100n * TOKEN);
      await sys.vault.connect(e).requestUnstake(Role.Evaluator, 200n * TOKEN);
      await expect(sys.vault.connect(e).withdraw(Role.Evaluator))
        .to.be.revertedWithCustomError(sys.vault, "StakeVaultNothingUnlocked")
        .withArgs(e.address, Role.Evaluator);
      await time.increase(UNBONDING);
      await sys.vault.connect(e).requestUnstake(Role.Evaluator, 300n * TOKEN);
      const before = await sys.token.balanceOf(e.address);
      await expect(sys.vault.connect(e).withdraw(Role.Evaluator)).to.emit(sys.vault, "Withdrawn").withArgs(e.address, Role.Evaluator, 300n * TOKEN);
      expect((await sys.token.balanceOf(e.address)) - before).to.equal(300n * TOKEN);
      expect(await sys.vault.stakeOf(e.address, Role.Evaluator)).to.deep.equal([400n * TOKEN, 300n * TOKEN]);
      expect((await sys.vault.unbondingQueue(e.address, Role.Evaluator)).length).to.equal(1);
    });

    it("holds evaluator stake while the account has an open commitment or a round it committed in is open", async function () {
      const sys = await loadFixture(stakedFixture);
      const ctx = await openRound(sys, { n: 4 });
      const commits = await commitAll(sys, ctx);
      const [who] = [...commits.keys()];
      const e = sys.acc.evaluators.find((x) => x.address === who)!;
      await sys.vault.connect(e).requestUnstake(Role.Evaluator, 10n * TOKEN);
      await time.increase(UNBONDING);
      expect(await sys.settlement.withdrawalLocked(e.address)).to.equal(true);
      await expect(sys.vault.connect(e).withdraw(Role.Evaluator)).to.be.revertedWithCustomError(sys.vault, "StakeVaultWithdrawalLocked").withArgs(e.address);
    });

    it("never holds inference stake (inference nodes commit nothing and are never slashed)", async function () {
      const sys = await loadFixture(stakedFixture);
      const n = sys.acc.nodes[1];
      await sys.vault.connect(n).requestUnstake(Role.Inference, MIN_INFERENCE_STAKE + TOKEN);
      await time.increase(UNBONDING);
      await expect(sys.vault.connect(n).withdraw(Role.Inference)).to.emit(sys.vault, "Withdrawn").withArgs(n.address, Role.Inference, MIN_INFERENCE_STAKE + TOKEN);
    });

    it("pays a request emptied by slashes as zero, and moves past it", async function () {
      const sys = await loadFixture(stakedFixture);
      const e = e0(sys);
      await sys.vault.connect(e).requestUnstake(Role.Evaluator, 1_000n * TOKEN);
      const settler = await signerFor(await sys.settlement.getAddress());
      // Slash the whole stake by repeated capped slashes until the request is empty (20% each, rounded up).
      while ((await sys.vault.stakeOf(e.address, Role.Evaluator)).queued > 0n) {
        await sys.vault.connect(settler).slash(e.address, Role.Evaluator, 1, VAULT_MAX_SLASH_BPS, Reason.NonReveal);
      }
      await time.increase(UNBONDING);
      await expect(sys.vault.connect(e).withdraw(Role.Evaluator)).to.emit(sys.vault, "Withdrawn").withArgs(e.address, Role.Evaluator, 0);
      expect(await sys.vault.unbondingQueue(e.address, Role.Evaluator)).to.deep.equal([]);
    });

    it("pays a newer request that matured early (unbonding shortened) only after the older one", async function () {
      const sys = await loadFixture(stakedFixture);
      const e = e0(sys);
      await sys.vault.connect(e).requestUnstake(Role.Evaluator, 100n * TOKEN);
      const [older] = await sys.vault.unbondingQueue(e.address, Role.Evaluator);
      // Governance shortens unbonding to one day; its delay (well over a week) lets the older request mature first
      // unless the newer one is made right after the change.
      const op = await schedule(sys, await call(sys.vault, "setUnbondingPeriod", [24 * 3600]));
      await time.increaseTo(op.readyAt);
      await op.execute();
      // The older request has matured by now (the delay exceeds the old unbonding period).
      expect(older.unlockTime).to.be.lessThanOrEqual(await now());
      await sys.vault.connect(e).requestUnstake(Role.Evaluator, 50n * TOKEN);
      await expect(sys.vault.connect(e).withdraw(Role.Evaluator)).to.emit(sys.vault, "Withdrawn").withArgs(e.address, Role.Evaluator, 100n * TOKEN);
      await time.increase(24 * 3600);
      await expect(sys.vault.connect(e).withdraw(Role.Evaluator)).to.emit(sys.vault, "Withdrawn").withArgs(e.address, Role.Evaluator, 50n * TOKEN);
    });

    it("rejects the None role and cannot be re-entered from a token callback", async function () {
      const sys = await loadFixture(hookFixture);
      const hook = sys.token as unknown as import("../typechain-types").HookToken;
      const n = sys.acc.nodes[0];
      await sys.vault.connect(n).stake(Role.Inference, 200n * TOKEN);
      await sys.vault.connect(n).requestUnstake(Role.Inference, 50n * TOKEN);
      await sys.vault.connect(n).requestUnstake(Role.Inference, 50n * TOKEN);
      await time.increase(UNBONDING);
      await expect(sys.vault.connect(n).withdraw(Role.None)).to.be.revertedWithCustomError(sys.vault, "StakeVaultInvalidRole").withArgs(0);
      // The hook calls withdraw again, from the token: the guard refuses it.
      await hook.setHook(await sys.vault.getAddress(), sys.vault.interface.encodeFunctionData("withdraw", [Role.Inference]));
      await expect(sys.vault.connect(n).withdraw(Role.Inference)).to.be.revertedWithCustomError(sys.vault, "ReentrancyGuardReentrantCall");
    });
  });

  describe("slash", function () {
    it("takes bps of active plus queued stake, rounded up, from active first, and pays the slash recipient", async function () {
      const sys = await loadFixture(stakedFixture);
      const e = e0(sys);
      await sys.vault.connect(e).requestUnstake(Role.Evaluator, 900n * TOKEN);
      const settler = await signerFor(await sys.settlement.getAddress());
      // 20% of 1000 = 200: 100 from active, 100 from the newest request.
      await expect(sys.vault.connect(settler).slash(e.address, Role.Evaluator, 7, 2_000, Reason.NonReveal))
        .to.emit(sys.vault, "Slashed")
        .withArgs(7, e.address, Role.Evaluator, Reason.NonReveal, 200n * TOKEN, sys.acc.treasury.address);
      expect(await sys.vault.stakeOf(e.address, Role.Evaluator)).to.deep.equal([0n, 800n * TOKEN]);
      expect((await sys.vault.unbondingQueue(e.address, Role.Evaluator))[0].amount).to.equal(800n * TOKEN);
      expect(await sys.token.balanceOf(sys.acc.treasury.address)).to.equal(200n * TOKEN);
      // Rounds up: one wei of stake at one basis point is still slashed by one wei.
      const n = sys.acc.outsider;
      const signerVault = sys.vault.connect(settler);
      await sys.vault.connect(n).stake(Role.Inference, MIN_INFERENCE_STAKE);
      await expect(signerVault.slash(n.address, Role.Inference, 8, 1, Reason.LowTrust))
        .to.emit(sys.vault, "Slashed")
        .withArgs(8, n.address, Role.Inference, Reason.LowTrust, MIN_INFERENCE_STAKE / 10_000n, sys.acc.treasury.address);
    });

    it("slashes queued requests from the newest back", async function () {
      const sys = await loadFixture(stakedFixture);
      const e = e0(sys);
      await sys.vault.connect(e).requestUnstake(Role.Evaluator, 600n * TOKEN);
      await sys.vault.connect(e).requestUnstake(Role.Evaluator, 100n * TOKEN);
      await sys.vault.connect(e).requestUnstake(Role.Evaluator, 300n * TOKEN);
      const settler = await signerFor(await sys.settlement.getAddress());
      await sys.vault.connect(settler).slash(e.address, Role.Evaluator, 1, 2_000, Reason.NonReveal); // 200
      await sys.vault.connect(settler).slash(e.address, Role.Evaluator, 2, 2_000, Reason.NonReveal); // 160
      const q = await sys.vault.unbondingQueue(e.address, Role.Evaluator);
      expect(q.map((u) => u.amount)).to.deep.equal([600n * TOKEN, 40n * TOKEN, 0n]);
      expect(await sys.vault.stakeOf(e.address, Role.Evaluator)).to.deep.equal([0n, 640n * TOKEN]);
      expect(await sys.vault.roleTotals(Role.Evaluator)).to.deep.equal([(1_200n + 1_400n + 1_600n + 1_800n) * TOKEN, 640n * TOKEN]);
    });

    it("returns zero and emits nothing for an account without stake or a zero bps", async function () {
      const sys = await loadFixture(stakedFixture);
      const settler = await signerFor(await sys.settlement.getAddress());
      await expect(sys.vault.connect(settler).slash(sys.acc.outsider.address, Role.Evaluator, 1, 1_000, Reason.NonReveal)).not.to.emit(sys.vault, "Slashed");
      await expect(sys.vault.connect(settler).slash(e0(sys).address, Role.Evaluator, 1, 0, Reason.NonReveal)).not.to.emit(sys.vault, "Slashed");
      expect(await sys.vault.connect(settler).slash.staticCall(e0(sys).address, Role.Evaluator, 1, 0, Reason.NonReveal)).to.equal(0n);
      expect((await sys.vault.stakeOf(e0(sys).address, Role.Evaluator)).active).to.equal(1_000n * TOKEN);
    });

    it("is only for the settlement contract, within the cap, for a valid role", async function () {
      const sys = await loadFixture(stakedFixture);
      const e = e0(sys);
      await expect(sys.vault.connect(sys.acc.outsider).slash(e.address, Role.Evaluator, 1, 100, Reason.NonReveal))
        .to.be.revertedWithCustomError(sys.vault, "StakeVaultNotSettlement")
        .withArgs(sys.acc.outsider.address);
      const settler = await signerFor(await sys.settlement.getAddress());
      await expect(sys.vault.connect(settler).slash(e.address, Role.Evaluator, 1, VAULT_MAX_SLASH_BPS + 1, Reason.NonReveal))
        .to.be.revertedWithCustomError(sys.vault, "StakeVaultSlashAboveCap")
        .withArgs(VAULT_MAX_SLASH_BPS + 1, VAULT_MAX_SLASH_BPS);
      await expect(sys.vault.connect(settler).slash(e.address, Role.None, 1, 100, Reason.NonReveal))
        .to.be.revertedWithCustomError(sys.vault, "StakeVaultInvalidRole")
        .withArgs(0);
    });
  });

  describe("slash and seizeBond under a hostile token", function () {
    it("cannot be re-entered from a token callback", async function () {
      const sys = await loadFixture(hookFixture);
      const hook = sys.token as unknown as import("../typechain-types").HookToken;
      const e = e0(sys);
      await sys.vault.connect(e).stake(Role.Evaluator, 500n * TOKEN);
      await sys.vault.connect(sys.relayers[0]).stake(Role.Relayer, RELAYER_BOND);
      const settler = await signerFor(await sys.settlement.getAddress());
      await hook.setHook(await sys.vault.getAddress(), sys.vault.interface.encodeFunctionData("slash", [e.address, Role.Evaluator, 1, 1, Reason.NonReveal]));
      await expect(sys.vault.connect(settler).slash(e.address, Role.Evaluator, 1, 100, Reason.NonReveal)).to.be.revertedWithCustomError(sys.vault, "ReentrancyGuardReentrantCall");
      await hook.setHook(await sys.vault.getAddress(), sys.vault.interface.encodeFunctionData("seizeBond", [sys.relayers[0].address, 1, e.address, 0]));
      await expect(sys.vault.connect(settler).seizeBond(sys.relayers[0].address, 1, e.address, 5_000)).to.be.revertedWithCustomError(sys.vault, "ReentrancyGuardReentrantCall");
      expect((await sys.vault.stakeOf(e.address, Role.Evaluator)).active).to.equal(500n * TOKEN);
    });
  });

  describe("seizeBond", function () {
    it("takes the whole relayer bond, active and queued, paying the challenger its share (rounded down)", async function () {
      const sys = await loadFixture(stakedFixture);
      const r = sys.relayers[0];
      await sys.vault.connect(r).requestUnstake(Role.Relayer, 1_000n * TOKEN + 1n);
      const settler = await signerFor(await sys.settlement.getAddress());
      const c = sys.acc.challenger;
      const before = await sys.token.balanceOf(c.address);
      const seized = RELAYER_BOND;
      const reward = (seized * 3_333n) / 10_000n;
      expect(await sys.vault.connect(settler).seizeBond.staticCall(r.address, 4, c.address, 3_333)).to.deep.equal([seized, reward]);
      await expect(sys.vault.connect(settler).seizeBond(r.address, 4, c.address, 3_333))
        .to.emit(sys.vault, "Slashed")
        .withArgs(4, r.address, Role.Relayer, Reason.Bond, seized, sys.acc.treasury.address);
      expect((await sys.token.balanceOf(c.address)) - before).to.equal(reward);
      expect(await sys.token.balanceOf(sys.acc.treasury.address)).to.equal(seized - reward);
      expect(await sys.vault.stakeOf(r.address, Role.Relayer)).to.deep.equal([0n, 0n]);
      expect((await sys.vault.unbondingQueue(r.address, Role.Relayer))[0].amount).to.equal(0n);
    });

    it("pays everything to the challenger at 10000 bps and nothing at 0; seizes nothing from an empty bond", async function () {
      const sys = await loadFixture(stakedFixture);
      const settler = await signerFor(await sys.settlement.getAddress());
      const c = sys.acc.challenger;
      const before = await sys.token.balanceOf(c.address);
      await sys.vault.connect(settler).seizeBond(sys.relayers[0].address, 1, c.address, 10_000);
      expect((await sys.token.balanceOf(c.address)) - before).to.equal(RELAYER_BOND);
      await sys.vault.connect(settler).seizeBond(sys.relayers[1].address, 1, c.address, 0);
      expect((await sys.token.balanceOf(c.address)) - before).to.equal(RELAYER_BOND);
      expect(await sys.token.balanceOf(sys.acc.treasury.address)).to.equal(RELAYER_BOND);
      await expect(sys.vault.connect(settler).seizeBond(sys.relayers[0].address, 1, c.address, 5_000)).not.to.emit(sys.vault, "Slashed");
    });

    it("is only for the settlement contract, with a share of at most 10000 bps", async function () {
      const sys = await loadFixture(stakedFixture);
      await expect(sys.vault.connect(sys.acc.outsider).seizeBond(sys.relayers[0].address, 1, sys.acc.outsider.address, 1))
        .to.be.revertedWithCustomError(sys.vault, "StakeVaultNotSettlement")
        .withArgs(sys.acc.outsider.address);
      const settler = await signerFor(await sys.settlement.getAddress());
      await expect(sys.vault.connect(settler).seizeBond(sys.relayers[0].address, 1, sys.acc.outsider.address, 10_001))
        .to.be.revertedWithCustomError(sys.vault, "StakeVaultParamOutOfBounds")
        .withArgs("rewardBps", 10_001, 0, 10_000);
    });
  });

  describe("setSettlement", function () {
    it("wires the settlement once, by the deployer, and emits SettlementSet", async function () {
      const sys = await deploySystem({ noWiring: true });
      const s = await sys.settlement.getAddress();
      await expectWiredOnce({
        contract: sys.vault,
        fn: "setSettlement",
        value: s,
        event: "SettlementSet",
        outsider: sys.acc.outsider,
        errors: { notDeployer: "StakeVaultNotDeployer", zeroAddress: "StakeVaultZeroAddress", alreadySet: "StakeVaultSettlementAlreadySet" },
        again: sys.acc.outsider.address,
        alreadySetNamesValue: true,
      });
      expect(await sys.vault.settlement()).to.equal(s);
      expect(await sys.vault.requiredGovernanceDelay()).to.equal(BigInt(UNBONDING + lifetimeOf(sys.params)));
    });
  });

  describe("setMinStake", function () {
    it("sets a role's minimum through the timelock and emits MinStakeSet", async function () {
      const sys = await loadFixture(stakedFixture);
      await expect(govern(sys, await call(sys.vault, "setMinStake", [Role.Evaluator, 500n * TOKEN])))
        .to.emit(sys.vault, "MinStakeSet")
        .withArgs(Role.Evaluator, 500n * TOKEN);
      expect(await sys.vault.minStake(Role.Evaluator)).to.equal(500n * TOKEN);
      // Raising the minimum makes smaller stakes ineligible, nothing more.
      await sys.vault.connect(sys.acc.outsider).stake(Role.Evaluator, 500n * TOKEN);
      expect(await sys.vault.isEligible(sys.acc.outsider.address, Role.Evaluator)).to.equal(true);
    });

    it("rejects an unchanged value, the None role, and any caller but the timelock", async function () {
      const sys = await loadFixture(stakedFixture);
      await expect(govern(sys, await call(sys.vault, "setMinStake", [Role.Evaluator, MIN_EVALUATOR_STAKE])))
        .to.be.revertedWithCustomError(sys.vault, "StakeVaultParamUnchanged")
        .withArgs("minStake");
      await expect(govern(sys, await call(sys.vault, "setMinStake", [Role.None, 1n])))
        .to.be.revertedWithCustomError(sys.vault, "StakeVaultInvalidRole")
        .withArgs(0);
      await expect(sys.vault.connect(sys.acc.proposer).setMinStake(Role.Evaluator, 1n))
        .to.be.revertedWithCustomError(sys.vault, "OwnableUnauthorizedAccount")
        .withArgs(sys.acc.proposer.address);
    });
  });

  describe("setUnbondingPeriod", function () {
    it("sets the period within its bounds through the timelock and emits UnbondingPeriodSet", async function () {
      const sys = await loadFixture(stakedFixture);
      await expect(govern(sys, await call(sys.vault, "setUnbondingPeriod", [3 * 24 * 3600])))
        .to.emit(sys.vault, "UnbondingPeriodSet")
        .withArgs(3 * 24 * 3600);
      expect(await sys.vault.unbondingPeriod()).to.equal(3 * 24 * 3600);
      await expect(govern(sys, await call(sys.vault, "setUnbondingPeriod", [59])))
        .to.be.revertedWithCustomError(sys.vault, "StakeVaultParamOutOfBounds")
        .withArgs("unbondingPeriod", 59, 60, 90 * 24 * 3600);
      await expect(govern(sys, await call(sys.vault, "setUnbondingPeriod", [3 * 24 * 3600])))
        .to.be.revertedWithCustomError(sys.vault, "StakeVaultParamUnchanged")
        .withArgs("unbondingPeriod");
      await expect(sys.vault.connect(sys.acc.proposer).setUnbondingPeriod(4 * 24 * 3600))
        .to.be.revertedWithCustomError(sys.vault, "OwnableUnauthorizedAccount")
        .withArgs(sys.acc.proposer.address);
    });

    it("refuses a period the timelock's delay no longer covers with the longest round", async function () {
      const sys = await loadFixture(stakedFixture);
      const longer = sys.delay - lifetimeOf(sys.params) + 1;
      await expect(govern(sys, await call(sys.vault, "setUnbondingPeriod", [longer])))
        .to.be.revertedWithCustomError(sys.vault, "GovernanceDelayTooShort")
        .withArgs(sys.delay, longer + lifetimeOf(sys.params));
    });
  });

  describe("setMaxSlashBps", function () {
    it("sets the cap within (0, 5000] through the timelock and emits MaxSlashBpsSet", async function () {
      const sys = await loadFixture(stakedFixture);
      await expect(govern(sys, await call(sys.vault, "setMaxSlashBps", [5_000]))).to.emit(sys.vault, "MaxSlashBpsSet").withArgs(5_000);
      expect(await sys.vault.maxSlashBps()).to.equal(5_000);
      await expect(govern(sys, await call(sys.vault, "setMaxSlashBps", [5_001])))
        .to.be.revertedWithCustomError(sys.vault, "StakeVaultParamOutOfBounds")
        .withArgs("maxSlashBps", 5_001, 1, 5_000);
      await expect(govern(sys, await call(sys.vault, "setMaxSlashBps", [0])))
        .to.be.revertedWithCustomError(sys.vault, "StakeVaultParamOutOfBounds")
        .withArgs("maxSlashBps", 0, 1, 5_000);
      await expect(govern(sys, await call(sys.vault, "setMaxSlashBps", [5_000])))
        .to.be.revertedWithCustomError(sys.vault, "StakeVaultParamUnchanged")
        .withArgs("maxSlashBps");
    });
  });

  describe("setSlashRecipient", function () {
    it("sets a new non-zero recipient through the timelock and emits SlashRecipientSet", async function () {
      const sys = await loadFixture(stakedFixture);
      const expected = { getter: "slashRecipient", event: "SlashRecipientSet", caller: sys.acc.treasury, zeroAddress: "StakeVaultZeroAddress", unchanged: "StakeVaultParamUnchanged", unchangedArgs: ["slashRecipient"] };
      await expectGovernedAddress(sys, sys.vault, "setSlashRecipient", sys.acc.spare[0].address, expected);
    });
  });

  describe("governance delay", function () {
    it("refuses every owner call from a timelock whose delay is shorter than unbonding plus the longest round", async function () {
      const sys = await loadFixture(shortDelayFixture);
      const required = UNBONDING + lifetimeOf(sys.params);
      expect(sys.delay).to.equal(required - 1);
      for (const c of [
        await call(sys.vault, "setMinStake", [Role.Evaluator, 1n]),
        await call(sys.vault, "setMaxSlashBps", [1]),
        await call(sys.vault, "setSlashRecipient", [sys.acc.outsider.address]),
      ]) {
        await expect(govern(sys, c)).to.be.revertedWithCustomError(sys.vault, "GovernanceDelayTooShort").withArgs(sys.delay, required);
      }
      await expect(govern(sys, await call(sys.vault, "setUnbondingPeriod", [UNBONDING + 1])))
        .to.be.revertedWithCustomError(sys.vault, "GovernanceDelayTooShort")
        .withArgs(sys.delay, required + 1);
      // The one change that passes is the one that makes the delay sufficient again: a shorter unbonding period.
      await expect(govern(sys, await call(sys.vault, "setUnbondingPeriod", [UNBONDING - 1]))).to.emit(sys.vault, "UnbondingPeriodSet");
      await expect(govern(sys, await call(sys.vault, "setMaxSlashBps", [1]))).to.emit(sys.vault, "MaxSlashBpsSet").withArgs(1);
    });

    it("refuses an owner without a timelock (an account without code)", async function () {
      const { acc, token } = await loadFixture(deployedFixture);
      const vault = await ethers.deployContract("StakeVault", [acc.proposer.address, await token.getAddress(), acc.treasury.address, UNBONDING, 1_000, [1n, 1n, 1n]]);
      await expect(vault.connect(acc.proposer).setMinStake(Role.Evaluator, 5n)).to.be.revertedWithoutReason();
      expect(await vault.minStake(Role.Evaluator)).to.equal(1n);
    });
  });

  describe("views", function () {
    it("isEligible needs positive active stake at the role's minimum; totals sum every role", async function () {
      const sys = await loadFixture(stakedFixture);
      const e = e0(sys);
      expect(await sys.vault.isEligible(e.address, Role.Evaluator)).to.equal(true);
      expect(await sys.vault.isEligible(e.address, Role.Inference)).to.equal(false);
      await sys.vault.connect(e).requestUnstake(Role.Evaluator, 1_000n * TOKEN);
      expect(await sys.vault.isEligible(e.address, Role.Evaluator)).to.equal(false);
      const [active, queued] = await sys.vault.totalStaked();
      expect(active + queued).to.equal(await sys.token.balanceOf(await sys.vault.getAddress()));
      const sum = async (role: number) => (await sys.vault.roleTotals(role)).reduce((a, b) => a + b, 0n);
      expect((await sum(Role.Inference)) + (await sum(Role.Evaluator)) + (await sum(Role.Relayer))).to.equal(active + queued);
    });
  });
});

