import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import type { Address, Hex } from "viem";
import { buildRewardsTree, rewardProof } from "../src/chain/encoding";
import { INITIAL_BALANCE, TOKEN, getAccounts } from "./helpers/fixtures";

/**
 * A distributor whose settlement contract is a plain account (`settler`), so tests can install roots directly and
 * reach checks that the settlement contract already prevents upstream.
 */
async function distributorFixture() {
  const acc = await getAccounts();
  const settler = acc.spare[0];
  const token = await ethers.deployContract("TestToken", [acc.owner.address]);
  const distributor = await ethers.deployContract("RewardDistributor", [acc.owner.address, await token.getAddress()]);
  await distributor.connect(acc.owner).setSettlement(settler.address);
  await token.connect(acc.owner).mint(acc.funder.address, INITIAL_BALANCE);
  await token.connect(acc.funder).approve(await distributor.getAddress(), ethers.MaxUint256);
  // A holder that already has tokens, so claims measure the usual case.
  for (const n of acc.nodes) await token.connect(acc.owner).mint(n.address, TOKEN);
  return { acc, settler, token, distributor };
}

async function feeDistributorFixture() {
  const acc = await getAccounts();
  const token = await ethers.deployContract("FeeToken");
  const distributor = await ethers.deployContract("RewardDistributor", [acc.owner.address, await token.getAddress()]);
  await distributor.connect(acc.owner).setSettlement(acc.spare[0].address);
  await token.mint(acc.funder.address, INITIAL_BALANCE);
  await token.connect(acc.funder).approve(await distributor.getAddress(), ethers.MaxUint256);
  return { acc, token, distributor };
}

/** A settled distributor on HookToken: round 1 funded and a root paying node 0 100 tokens installed. */
async function hookDistributorFixture() {
  const acc = await getAccounts();
  const settler = acc.spare[0];
  const token = await ethers.deployContract("HookToken");
  const distributor = await ethers.deployContract("RewardDistributor", [acc.owner.address, await token.getAddress()]);
  await distributor.connect(acc.owner).setSettlement(settler.address);
  await token.mint(acc.funder.address, INITIAL_BALANCE);
  await token.connect(acc.funder).approve(await distributor.getAddress(), ethers.MaxUint256);
  await distributor.connect(acc.funder).fundRound(1, 200n * TOKEN, 0);
  const tree = buildRewardsTree([
    { account: a(acc.nodes[0].address), cumulativeAmount: 100n * TOKEN },
    { account: a(acc.nodes[1].address), cumulativeAmount: 50n * TOKEN },
  ]);
  await distributor.connect(settler).applySettlement(1, tree.root, 150n * TOKEN, 150n * TOKEN, 0);
  return { acc, token, distributor, tree };
}

type Ctx = Awaited<ReturnType<typeof distributorFixture>>;
const a = (x: string) => ethers.getAddress(x) as Address;

/** Funds round 1 (600 inference, 400 evaluator) and installs a root paying nodes 100, 200, 300 and evaluator 0 150. */
async function settledFixture() {
  const ctx = await distributorFixture();
  const { acc, settler, distributor } = ctx;
  await distributor.connect(acc.funder).fundRound(1, 600n * TOKEN, 400n * TOKEN);
  const tree = buildRewardsTree([
    { account: a(acc.nodes[0].address), cumulativeAmount: 100n * TOKEN },
    { account: a(acc.nodes[1].address), cumulativeAmount: 200n * TOKEN },
    { account: a(acc.nodes[2].address), cumulativeAmount: 300n * TOKEN },
    { account: a(acc.evaluators[0].address), cumulativeAmount: 150n * TOKEN },
  ]);
  await distributor.connect(settler).applySettlement(1, tree.root, 750n * TOKEN, 600n * TOKEN, 150n * TOKEN);
  return { ...ctx, tree };
}

function proofOf(tree: ReturnType<typeof buildRewardsTree>, account: string) {
  const p = rewardProof(tree, a(account));
  if (!p) throw new Error("no leaf");
  return p;
}

describe("RewardDistributor", function () {
  describe("constructor", function () {
    it("stores the token and owner, creates its vault and starts empty", async function () {
      const { distributor, token, acc, settler } = await loadFixture(distributorFixture);
      expect(await distributor.token()).to.equal(await token.getAddress());
      const vault = await ethers.getContractAt("RewardVault", await distributor.vault());
      expect(await vault.distributor()).to.equal(await distributor.getAddress());
      expect(await vault.token()).to.equal(await token.getAddress());
      expect(await distributor.owner()).to.equal(acc.owner.address);
      expect(await distributor.settlement()).to.equal(settler.address);
      expect(await distributor.root()).to.equal(ethers.ZeroHash);
      expect(await distributor.rootRound()).to.equal(0n);
      expect(await distributor.totals()).to.deep.equal([0n, 0n, 0n]);
      expect(await distributor.sweepable()).to.equal(0n);
    });

    it("its vault moves funds only for the distributor", async function () {
      const { distributor, acc } = await loadFixture(settledFixture);
      const vault = await ethers.getContractAt("RewardVault", await distributor.vault());
      for (const who of [acc.owner, acc.outsider]) {
        await expect(vault.connect(who).release(who.address, 1n))
          .to.be.revertedWithCustomError(vault, "VaultNotDistributor")
          .withArgs(who.address);
      }
    });

    it("fails for the zero token", async function () {
      const { distributor, acc } = await loadFixture(distributorFixture);
      await expect(
        ethers.deployContract("RewardDistributor", [acc.owner.address, ethers.ZeroAddress]),
      ).to.be.revertedWithCustomError(distributor, "DistributorZeroAddress");
    });
  });

  describe("fundRound", function () {
    it("adds to both pools, pulls the tokens into the vault and emits RoundFunded", async function () {
      const { distributor, token, acc } = await loadFixture(distributorFixture);
      const tx = await distributor.connect(acc.funder).fundRound(3, 70n, 30n);
      await expect(tx).to.emit(distributor, "RoundFunded").withArgs(3, acc.funder.address, 70n, 30n);
      await expect(tx).to.changeTokenBalances(token, [acc.funder, await distributor.vault(), distributor], [-100n, 100n, 0n]);
      await distributor.connect(acc.funder).fundRound(3, 0, 5n);
      const f = await distributor.roundFunds(3);
      expect([f.inferencePool, f.evaluatorPool, f.allocated, f.settled]).to.deep.equal([70n, 35n, 0n, false]);
      expect((await distributor.totals()).funded).to.equal(105n);
    });

    it("fails for round 0", async function () {
      const { distributor, acc } = await loadFixture(distributorFixture);
      await expect(distributor.connect(acc.funder).fundRound(0, 1, 1))
        .to.be.revertedWithCustomError(distributor, "DistributorInvalidRound")
        .withArgs(0);
    });

    it("fails for a zero total", async function () {
      const { distributor, acc } = await loadFixture(distributorFixture);
      await expect(distributor.connect(acc.funder).fundRound(1, 0, 0)).to.be.revertedWithCustomError(
        distributor,
        "DistributorZeroAmount",
      );
    });

    it("fails once the round is settled", async function () {
      const { distributor, acc } = await loadFixture(settledFixture);
      await expect(distributor.connect(acc.funder).fundRound(1, 1, 0))
        .to.be.revertedWithCustomError(distributor, "DistributorRoundSettled")
        .withArgs(1);
    });

    it("fails if a pool would leave the 128-bit range", async function () {
      const { distributor, token, acc } = await loadFixture(distributorFixture);
      const big = 2n ** 128n;
      await token.connect(acc.owner).mint(acc.funder.address, 2n * big);
      await expect(distributor.connect(acc.funder).fundRound(1, big, 0))
        .to.be.revertedWithCustomError(distributor, "DistributorAmountOverflow")
        .withArgs(big);
      await expect(distributor.connect(acc.funder).fundRound(1, 0, big))
        .to.be.revertedWithCustomError(distributor, "DistributorAmountOverflow")
        .withArgs(big);
    });

    it("refuses a fee-on-transfer token: the vault must receive exactly what was asked", async function () {
      const { distributor, token, acc } = await loadFixture(feeDistributorFixture);
      const asked = 1_000n * TOKEN;
      await expect(distributor.connect(acc.funder).fundRound(1, 700n * TOKEN, 300n * TOKEN))
        .to.be.revertedWithCustomError(distributor, "DistributorTransferShortfall")
        .withArgs(asked, asked - asked / 100n);
      const f = await distributor.roundFunds(1);
      expect([f.inferencePool, f.evaluatorPool]).to.deep.equal([0n, 0n]);
      expect(await token.balanceOf(await distributor.vault())).to.equal(0n);
    });
  });

  describe("applySettlement", function () {
    it("installs the root, moves the allocation out of the vault, releases the rest and emits RootUpdated", async function () {
      const { distributor, token, acc, settler } = await loadFixture(distributorFixture);
      await distributor.connect(acc.funder).fundRound(1, 600n, 400n);
      const root = ethers.id("root-1");
      const tx = distributor.connect(settler).applySettlement(1, root, 700n, 500n, 200n);
      await expect(tx).to.emit(distributor, "RootUpdated").withArgs(1, settler.address, root, 700n, 500n, 200n);
      await expect(tx).to.changeTokenBalances(token, [await distributor.vault(), distributor], [-700n, 700n]);
      expect(await distributor.root()).to.equal(root);
      expect(await distributor.rootRound()).to.equal(1n);
      const f = await distributor.roundFunds(1);
      expect([f.allocated, f.settled]).to.deep.equal([700n, true]);
      expect(await distributor.totals()).to.deep.equal([1_000n, 700n, 0n]);
      expect(await distributor.sweepable()).to.equal(300n);
    });

    it("a funded round settled without payments (a cancelled round) moves no tokens; its pools become sweepable", async function () {
      const { distributor, token, acc, settler } = await loadFixture(settledFixture);
      await distributor.connect(acc.funder).fundRound(2, 30n * TOKEN, 20n * TOKEN);
      const vault = await distributor.vault();
      const before = await token.balanceOf(vault);
      await expect(distributor.connect(settler).applySettlement(2, await distributor.root(), 750n * TOKEN, 0, 0)).not.to.emit(token, "Transfer");
      expect(await token.balanceOf(vault)).to.equal(before);
      expect(await distributor.sweepable()).to.equal(250n * TOKEN + 50n * TOKEN);
      expect(await distributor.rootRound()).to.equal(2n);
    });

    it("accepts a settlement of an unfunded round that pays nothing (no token moves)", async function () {
      const { distributor, token, settler } = await loadFixture(distributorFixture);
      await expect(distributor.connect(settler).applySettlement(5, ethers.ZeroHash, 0, 0, 0)).not.to.emit(token, "Transfer");
      expect((await distributor.roundFunds(5)).settled).to.equal(true);
    });

    it("fails if the caller is not the settlement contract", async function () {
      const { distributor, acc } = await loadFixture(distributorFixture);
      await expect(distributor.connect(acc.owner).applySettlement(1, ethers.ZeroHash, 0, 0, 0))
        .to.be.revertedWithCustomError(distributor, "DistributorNotSettlement")
        .withArgs(acc.owner.address);
    });

    it("fails if the round is already settled", async function () {
      const { distributor, settler } = await loadFixture(settledFixture);
      await expect(distributor.connect(settler).applySettlement(1, ethers.ZeroHash, 750n * TOKEN, 0, 0))
        .to.be.revertedWithCustomError(distributor, "DistributorRoundSettled")
        .withArgs(1);
    });

    it("fails if a pool pays more than was funded", async function () {
      const { distributor, acc, settler } = await loadFixture(distributorFixture);
      await distributor.connect(acc.funder).fundRound(1, 600n, 400n);
      await expect(distributor.connect(settler).applySettlement(1, ethers.ZeroHash, 601n, 601n, 0))
        .to.be.revertedWithCustomError(distributor, "DistributorExceedsPool")
        .withArgs(1, 601n, 600n);
      await expect(distributor.connect(settler).applySettlement(1, ethers.ZeroHash, 401n, 0, 401n))
        .to.be.revertedWithCustomError(distributor, "DistributorExceedsPool")
        .withArgs(1, 401n, 400n);
    });

    it("fails if the cumulative total is not the previous total plus the payments", async function () {
      const { distributor, acc, settler } = await loadFixture(settledFixture);
      await distributor.connect(acc.funder).fundRound(2, 100n, 0);
      await expect(distributor.connect(settler).applySettlement(2, ethers.ZeroHash, 100n, 100n, 0))
        .to.be.revertedWithCustomError(distributor, "DistributorBadCumulativeTotal")
        .withArgs(750n * TOKEN + 100n, 100n);
    });

    it("handles allocations beyond 112 bits (totals are full-width)", async function () {
      const { distributor, token, acc, settler } = await loadFixture(distributorFixture);
      const big = 2n ** 120n;
      await token.connect(acc.owner).mint(acc.funder.address, big);
      await distributor.connect(acc.funder).fundRound(1, big, 0);
      await distributor.connect(settler).applySettlement(1, ethers.ZeroHash, big, big, 0);
      expect((await distributor.totals()).allocated).to.equal(big);
      expect(await token.balanceOf(await distributor.getAddress())).to.equal(big);
    });
  });

  describe("claim", function () {
    it("pays the cumulative amount to the account and emits Claimed", async function () {
      const { distributor, token, acc, tree } = await loadFixture(settledFixture);
      const n = acc.nodes[1];
      const { cumulativeAmount, proof } = proofOf(tree, n.address);
      expect(await distributor.claim.staticCall(n.address, cumulativeAmount, proof)).to.equal(200n * TOKEN);
      const tx = await distributor.connect(n).claim(n.address, cumulativeAmount, proof);
      await expect(tx).to.emit(distributor, "Claimed").withArgs(n.address, n.address, 200n * TOKEN, 200n * TOKEN);
      await expect(tx).to.changeTokenBalances(token, [n, distributor, await distributor.vault()], [200n * TOKEN, -200n * TOKEN, 0n]);
      expect(await distributor.claimed(n.address)).to.equal(200n * TOKEN);
      // allocated − claimed stays in the distributor.
      expect(await token.balanceOf(await distributor.getAddress())).to.equal(550n * TOKEN);
    });

    it("lets anyone claim on behalf of an account; the tokens go to the account", async function () {
      const { distributor, token, acc, tree } = await loadFixture(settledFixture);
      const e = acc.evaluators[0];
      const { cumulativeAmount, proof } = proofOf(tree, e.address);
      const tx = await distributor.connect(acc.outsider).claim(e.address, cumulativeAmount, proof);
      await expect(tx)
        .to.emit(distributor, "Claimed")
        .withArgs(e.address, acc.outsider.address, 150n * TOKEN, 150n * TOKEN);
      await expect(tx).to.changeTokenBalances(token, [e, acc.outsider], [150n * TOKEN, 0n]);
    });

    it("pays nothing twice: a second claim reverts and the balance is unchanged", async function () {
      const { distributor, token, acc, tree } = await loadFixture(settledFixture);
      const n = acc.nodes[0];
      const { cumulativeAmount, proof } = proofOf(tree, n.address);
      await distributor.claim(n.address, cumulativeAmount, proof);
      const before = await token.balanceOf(n.address);
      await expect(distributor.claim(n.address, cumulativeAmount, proof))
        .to.be.revertedWithCustomError(distributor, "DistributorNothingToClaim")
        .withArgs(n.address, cumulativeAmount, cumulativeAmount);
      expect(await token.balanceOf(n.address)).to.equal(before);
      expect(await distributor.claimed(n.address)).to.equal(cumulativeAmount);
    });

    it("pays only the difference under a later cumulative root", async function () {
      const { distributor, token, acc, settler, tree } = await loadFixture(settledFixture);
      const n = acc.nodes[0];
      const first = proofOf(tree, n.address);
      await distributor.claim(n.address, first.cumulativeAmount, first.proof);
      await distributor.connect(acc.funder).fundRound(2, 50n * TOKEN, 0);
      const tree2 = buildRewardsTree([
        { account: a(n.address), cumulativeAmount: 140n * TOKEN },
        { account: a(acc.nodes[1].address), cumulativeAmount: 210n * TOKEN },
        { account: a(acc.nodes[2].address), cumulativeAmount: 300n * TOKEN },
        { account: a(acc.evaluators[0].address), cumulativeAmount: 150n * TOKEN },
      ]);
      await distributor.connect(settler).applySettlement(2, tree2.root, 800n * TOKEN, 50n * TOKEN, 0);
      // The old leaf no longer proves anything.
      await expect(distributor.claim(n.address, first.cumulativeAmount, first.proof))
        .to.be.revertedWithCustomError(distributor, "DistributorInvalidProof")
        .withArgs(n.address, first.cumulativeAmount);
      const second = proofOf(tree2, n.address);
      const tx = await distributor.claim(n.address, second.cumulativeAmount, second.proof);
      await expect(tx).to.emit(distributor, "Claimed").withArgs(n.address, acc.owner.address, 40n * TOKEN, 140n * TOKEN);
      await expect(tx).to.changeTokenBalance(token, n, 40n * TOKEN);
    });

    it("fails for an invalid proof, a wrong amount or a wrong account", async function () {
      const { distributor, acc, tree } = await loadFixture(settledFixture);
      const n = acc.nodes[0];
      const { cumulativeAmount, proof } = proofOf(tree, n.address);
      await expect(distributor.claim(n.address, cumulativeAmount + 1n, proof))
        .to.be.revertedWithCustomError(distributor, "DistributorInvalidProof")
        .withArgs(n.address, cumulativeAmount + 1n);
      await expect(distributor.claim(acc.nodes[1].address, cumulativeAmount, proof))
        .to.be.revertedWithCustomError(distributor, "DistributorInvalidProof")
        .withArgs(acc.nodes[1].address, cumulativeAmount);
      await expect(distributor.claim(n.address, cumulativeAmount, [])).to.be.revertedWithCustomError(
        distributor,
        "DistributorInvalidProof",
      );
    });

    it("fails before any root is installed", async function () {
      const { distributor, acc } = await loadFixture(distributorFixture);
      await expect(distributor.claim(acc.nodes[0].address, 1n, []))
        .to.be.revertedWithCustomError(distributor, "DistributorInvalidProof")
        .withArgs(acc.nodes[0].address, 1n);
    });

    it("fails for a zero leaf (nothing owed)", async function () {
      const { distributor, acc, settler } = await loadFixture(distributorFixture);
      const tree = buildRewardsTree([
        { account: a(acc.nodes[0].address), cumulativeAmount: 0n },
        { account: a(acc.nodes[1].address), cumulativeAmount: 0n },
      ]);
      await distributor.connect(settler).applySettlement(1, tree.root, 0, 0, 0);
      const { cumulativeAmount, proof } = proofOf(tree, acc.nodes[0].address);
      await expect(distributor.claim(acc.nodes[0].address, cumulativeAmount, proof))
        .to.be.revertedWithCustomError(distributor, "DistributorNothingToClaim")
        .withArgs(acc.nodes[0].address, 0, 0);
    });

    it("never pays more than was allocated, even under a faulty tree", async function () {
      const { distributor, token, acc, settler } = await loadFixture(distributorFixture);
      await distributor.connect(acc.funder).fundRound(1, 100n, 20n); // 20 left unallocated: sweepable
      await distributor.connect(acc.funder).fundRound(2, 1_000n, 0); // unsettled: must stay untouched
      // The leaves sum to 150 but the settlement allocated 100.
      const tree = buildRewardsTree([
        { account: a(acc.nodes[0].address), cumulativeAmount: 80n },
        { account: a(acc.nodes[1].address), cumulativeAmount: 70n },
      ]);
      await distributor.connect(settler).applySettlement(1, tree.root, 100n, 100n, 0);
      const p0 = proofOf(tree, acc.nodes[0].address);
      await distributor.claim(acc.nodes[0].address, p0.cumulativeAmount, p0.proof);
      const p1 = proofOf(tree, acc.nodes[1].address);
      // The distributor holds the 20 left of the allocation; the token refuses to move 70.
      await expect(distributor.claim(acc.nodes[1].address, p1.cumulativeAmount, p1.proof))
        .to.be.revertedWithCustomError(token, "ERC20InsufficientBalance")
        .withArgs(await distributor.getAddress(), 20n, 70n);
      expect(await distributor.claimed(acc.nodes[1].address)).to.equal(0n);
      expect(await token.balanceOf(await distributor.vault())).to.equal(1_020n);
      expect(await distributor.sweepable()).to.equal(20n);
    });
  });

  describe("setSettlement", function () {
    it("wires the settlement once and emits SettlementSet", async function () {
      const acc = await getAccounts();
      const token = await ethers.deployContract("TestToken", [acc.owner.address]);
      const d = await ethers.deployContract("RewardDistributor", [acc.owner.address, await token.getAddress()]);
      await expect(d.connect(acc.owner).setSettlement(acc.outsider.address))
        .to.emit(d, "SettlementSet")
        .withArgs(acc.outsider.address);
      await expect(d.connect(acc.owner).setSettlement(acc.guardian.address))
        .to.be.revertedWithCustomError(d, "DistributorSettlementAlreadySet")
        .withArgs(acc.outsider.address);
    });

    it("fails for the zero address and for a non-owner", async function () {
      const acc = await getAccounts();
      const token = await ethers.deployContract("TestToken", [acc.owner.address]);
      const d = await ethers.deployContract("RewardDistributor", [acc.owner.address, await token.getAddress()]);
      await expect(d.connect(acc.owner).setSettlement(ethers.ZeroAddress)).to.be.revertedWithCustomError(
        d,
        "DistributorZeroAddress",
      );
      await expect(d.connect(acc.outsider).setSettlement(acc.outsider.address))
        .to.be.revertedWithCustomError(d, "OwnableUnauthorizedAccount")
        .withArgs(acc.outsider.address);
    });
  });

  describe("sweep", function () {
    it("sends what settled rounds left unallocated and emits Swept", async function () {
      const { distributor, token, acc } = await loadFixture(settledFixture);
      // Round 1: 1000 funded, 750 allocated: 250 sweepable.
      expect(await distributor.sweepable()).to.equal(250n * TOKEN);
      const tx = await distributor.connect(acc.owner).sweep(acc.treasury.address, 200n * TOKEN);
      await expect(tx).to.emit(distributor, "Swept").withArgs(acc.treasury.address, 200n * TOKEN);
      await expect(tx).to.changeTokenBalances(token, [acc.treasury, await distributor.vault(), distributor], [200n * TOKEN, -200n * TOKEN, 0n]);
      expect(await distributor.sweepable()).to.equal(50n * TOKEN);
      expect((await distributor.totals()).swept).to.equal(200n * TOKEN);
    });

    it("fails above what is sweepable; unsettled funds and allocations are never sweepable", async function () {
      const { distributor, acc } = await loadFixture(settledFixture);
      await distributor.connect(acc.funder).fundRound(2, 500n * TOKEN, 0);
      await expect(distributor.connect(acc.owner).sweep(acc.treasury.address, 250n * TOKEN + 1n))
        .to.be.revertedWithCustomError(distributor, "DistributorSweepTooLarge")
        .withArgs(250n * TOKEN + 1n, 250n * TOKEN);
    });

    it("fails for the zero address, a zero amount, and a non-owner", async function () {
      const { distributor, acc } = await loadFixture(settledFixture);
      await expect(distributor.connect(acc.owner).sweep(ethers.ZeroAddress, 1)).to.be.revertedWithCustomError(
        distributor,
        "DistributorZeroAddress",
      );
      await expect(distributor.connect(acc.owner).sweep(acc.treasury.address, 0)).to.be.revertedWithCustomError(
        distributor,
        "DistributorZeroAmount",
      );
      await expect(distributor.connect(acc.outsider).sweep(acc.outsider.address, 1))
        .to.be.revertedWithCustomError(distributor, "OwnableUnauthorizedAccount")
        .withArgs(acc.outsider.address);
    });

    it("refuses to sweep into the distributor or its vault, where the funds would leave the books", async function () {
      const { distributor, acc } = await loadFixture(settledFixture);
      for (const to of [await distributor.getAddress(), await distributor.vault()]) {
        await expect(distributor.connect(acc.owner).sweep(to, 1))
          .to.be.revertedWithCustomError(distributor, "DistributorBadRecipient")
          .withArgs(to);
      }
      expect(await distributor.sweepable()).to.equal(250n * TOKEN);
    });
  });

  describe("hostile tokens", function () {
    it("fundRound fails if nothing arrives (a token that keeps the whole transfer)", async function () {
      const { distributor, token, acc } = await loadFixture(hookDistributorFixture);
      await token.setSwallow(true);
      await expect(distributor.connect(acc.funder).fundRound(2, 10n, 10n))
        .to.be.revertedWithCustomError(distributor, "DistributorTransferShortfall")
        .withArgs(20n, 0n);
    });

    it("fundRound, applySettlement and sweep cannot be re-entered from a token callback", async function () {
      const { distributor, token, acc } = await loadFixture(hookDistributorFixture);
      const d = await distributor.getAddress();
      // fundRound → token transferFrom → fundRound
      await token.setHook(d, distributor.interface.encodeFunctionData("fundRound", [2, 1n, 0n]));
      await expect(distributor.connect(acc.funder).fundRound(2, 1n, 0n)).to.be.revertedWithCustomError(
        distributor,
        "ReentrancyGuardReentrantCall",
      );
      // fundRound → token transferFrom → applySettlement: the lock comes before the caller check.
      await token.setHook(d, distributor.interface.encodeFunctionData("applySettlement", [2, ethers.ZeroHash, 150n * TOKEN, 0n, 0n]));
      await expect(distributor.connect(acc.funder).fundRound(2, 1n, 0n)).to.be.revertedWithCustomError(
        distributor,
        "ReentrancyGuardReentrantCall",
      );
      // sweep → vault release → token transfer → sweep, by a token that even owns the distributor.
      await token.setHook(ethers.ZeroAddress, "0x");
      await distributor.connect(acc.owner).transferOwnership(await token.getAddress());
      await token.setHook(d, distributor.interface.encodeFunctionData("acceptOwnership"));
      await distributor.connect(acc.funder).fundRound(2, 1n, 0n);
      expect(await distributor.owner()).to.equal(await token.getAddress());
      await token.setHook(d, distributor.interface.encodeFunctionData("sweep", [acc.outsider.address, 1n]));
      const sweep = distributor.interface.encodeFunctionData("sweep", [acc.outsider.address, 1n]);
      // The token, as owner, sweeps; its own transfer calls back into sweep.
      await expect(token.callAs(d, sweep)).to.be.revertedWithCustomError(distributor, "ReentrancyGuardReentrantCall");
      expect(await distributor.sweepable()).to.equal(50n * TOKEN);
    });

    it("claim needs no lock: a callback finds the claim already recorded, and nested claims keep the books exact", async function () {
      const { distributor, token, acc, tree } = await loadFixture(hookDistributorFixture);
      const d = await distributor.getAddress();
      const vault = await distributor.vault();
      const [n0, n1] = acc.nodes;
      const p0 = proofOf(tree, n0.address);
      const p1 = proofOf(tree, n1.address);
      // claim → token transfer → the same claim again: the state was written first, so the inner one owes nothing.
      await token.setHook(d, distributor.interface.encodeFunctionData("claim", [n0.address, p0.cumulativeAmount, p0.proof]));
      await expect(distributor.claim(n0.address, p0.cumulativeAmount, p0.proof))
        .to.be.revertedWithCustomError(distributor, "DistributorNothingToClaim")
        .withArgs(n0.address, p0.cumulativeAmount, p0.cumulativeAmount);
      // claim → token transfer → fundRound (funded by the token itself): the funds go to the vault, out of reach.
      const t = await token.getAddress();
      await token.mint(t, 7n);
      await token.callAs(t, token.interface.encodeFunctionData("approve", [d, ethers.MaxUint256]));
      await token.setHook(d, distributor.interface.encodeFunctionData("fundRound", [2, 7n, 0n]));
      await expect(distributor.claim(n0.address, p0.cumulativeAmount, p0.proof)).to.changeTokenBalances(token, [n0, vault], [100n * TOKEN, 7n]);
      expect((await distributor.roundFunds(2)).inferencePool).to.equal(7n);
      // fundRound → token transferFrom → claim of another account: both go through, each exactly once.
      await token.setHook(d, distributor.interface.encodeFunctionData("claim", [n1.address, p1.cumulativeAmount, p1.proof]));
      await expect(distributor.connect(acc.funder).fundRound(2, 3n, 0n)).to.changeTokenBalances(token, [n1, vault, distributor], [50n * TOKEN, 3n, -50n * TOKEN]);
      await token.setHook(ethers.ZeroAddress, "0x");
      expect(await distributor.claimed(n0.address)).to.equal(100n * TOKEN);
      expect(await distributor.claimed(n1.address)).to.equal(50n * TOKEN);
      expect(await token.balanceOf(d)).to.equal(0n);
      expect(await token.balanceOf(vault)).to.equal(50n * TOKEN + 10n);
    });
  });

  describe("hostile tokens during a settlement", function () {
    /** Round 2 funded with 50 more; a second root raises node 0 to 120 and node 1 to 80 (cumulative 200). */
    async function secondRound() {
      const ctx = await loadFixture(hookDistributorFixture);
      const { distributor, acc } = ctx;
      await distributor.connect(acc.funder).fundRound(2, 50n * TOKEN, 0);
      const tree2 = buildRewardsTree([
        { account: a(acc.nodes[0].address), cumulativeAmount: 120n * TOKEN },
        { account: a(acc.nodes[1].address), cumulativeAmount: 80n * TOKEN },
      ]);
      return { ...ctx, settler: acc.spare[0], tree2 };
    }

    it("a funding re-entered from the release transfer is refused, and the whole settlement with it", async function () {
      const { distributor, token, settler, tree2 } = await secondRound();
      await token.setHook(await distributor.getAddress(), distributor.interface.encodeFunctionData("fundRound", [3, 1n, 0n]));
      await expect(distributor.connect(settler).applySettlement(2, tree2.root, 200n * TOKEN, 50n * TOKEN, 0)).to.be.revertedWithCustomError(
        distributor,
        "ReentrancyGuardReentrantCall",
      );
      expect((await distributor.roundFunds(2)).settled).to.equal(false);
      expect(await distributor.rootRound()).to.equal(1n);
    });

    it("a claim made from the release transfer pays under the new root, and the books stay exact", async function () {
      const { distributor, token, acc, settler, tree2 } = await secondRound();
      const d = await distributor.getAddress();
      const n1 = acc.nodes[1];
      const p = proofOf(tree2, n1.address);
      await token.setHook(d, distributor.interface.encodeFunctionData("claim", [n1.address, p.cumulativeAmount, p.proof]));
      await expect(distributor.connect(settler).applySettlement(2, tree2.root, 200n * TOKEN, 50n * TOKEN, 0)).to.changeTokenBalances(
        token,
        [n1, d, await distributor.vault()],
        [80n * TOKEN, 50n * TOKEN - 80n * TOKEN, -50n * TOKEN],
      );
      await token.setHook(ethers.ZeroAddress, "0x");
      expect(await distributor.claimed(n1.address)).to.equal(80n * TOKEN);
      // allocated 200 − claimed 80 (node 1's 80, nothing yet by node 0).
      expect(await token.balanceOf(d)).to.equal(120n * TOKEN);
    });
  });

  describe("accounting", function () {
    it("keeps vault == funded − allocated − swept and distributor == allocated − claimed throughout", async function () {
      const { distributor, token, acc, tree } = (await loadFixture(settledFixture)) as Ctx & {
        tree: ReturnType<typeof buildRewardsTree>;
      };
      const vault = await distributor.vault();
      let claimed = 0n;
      const check = async () => {
        const [funded, allocated, swept] = await distributor.totals();
        expect(await token.balanceOf(vault)).to.equal(funded - allocated - swept);
        expect(await token.balanceOf(await distributor.getAddress())).to.equal(allocated - claimed);
      };
      await check();
      for (const n of [...acc.nodes, acc.evaluators[0]]) {
        const p = proofOf(tree, n.address);
        await distributor.claim(n.address, p.cumulativeAmount, p.proof as Hex[]);
        claimed += p.cumulativeAmount;
        await check();
      }
      await distributor.connect(acc.funder).fundRound(2, 40n * TOKEN, 0);
      await check();
      await distributor.connect(acc.owner).sweep(acc.treasury.address, 250n * TOKEN);
      await check();
      expect(await token.balanceOf(await distributor.getAddress())).to.equal(0n);
      expect(await token.balanceOf(vault)).to.equal(40n * TOKEN);
    });
  });
});
