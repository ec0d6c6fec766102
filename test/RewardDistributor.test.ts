import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import fc from "fast-check";
import type { Address, Hex } from "viem";
import { buildSumTree, sumTreeProof, type SumTree } from "../src/rewards/sumTree";
import { runs } from "./helpers/fastcheck";
import { FundsState, INITIAL_BALANCE, Phase, TOKEN, deploySystem, getAccounts, mint, stakedFixture, type AnyToken } from "./helpers/fixtures";
import { signerFor } from "./helpers/impersonate";
import { expectWiredOnce } from "./helpers/setters";
import { addr, assign, fund, registerRound, toReveal, toSettle } from "./helpers/round";
import type { HookToken, RewardDistributor, SettlementStub } from "../typechain-types";

/* FIXTURES: a distributor in front of a stub settlement */

async function stubbed(kind: "test" | "fee" | "hook") {
  const acc = await getAccounts();
  const token: AnyToken =
    kind === "fee"
      ? await ethers.deployContract("FeeToken")
      : kind === "hook"
        ? await ethers.deployContract("HookToken")
        : await ethers.deployContract("TestToken", [acc.deployer.address]);
  const distributor: RewardDistributor = await ethers.deployContract("RewardDistributor", [await token.getAddress()]);
  const stub: SettlementStub = await ethers.deployContract("SettlementStub", [await distributor.getAddress()]);
  await distributor.setSettlement(await stub.getAddress());
  const funders = [acc.funder, acc.outsider, acc.spare[0]];
  for (const f of funders) {
    await mint(token, acc.deployer, f.address, INITIAL_BALANCE);
    await token.connect(f).approve(await distributor.getAddress(), ethers.MaxUint256);
  }
  const rewardVault = await distributor.vault();
  // Round 1 is the next one to register; rounds 1..3 take funding with a cap of 10,000 tokens.
  await stub.setRoundCount(0);
  for (const id of [1, 2, 3]) await stub.setWindow(id, true, 10_000n * TOKEN);
  return { acc, token, distributor, stub, rewardVault, funders };
}
const stubFixture = () => stubbed("test");
const feeStubFixture = () => stubbed("fee");
const hookStubFixture = () => stubbed("hook");

const commitOf = (root: string, total: bigint) => ethers.keccak256(ethers.AbiCoder.defaultAbiCoder().encode(["bytes32", "uint256"], [root, total]));

/** A ledger of `n` filler accounts plus the named ones. */
function tree(entries: [string, bigint][]): SumTree {
  return buildSumTree(entries.map(([account, amount]) => ({ account, amount })));
}
const filler = (i: number): Address => addr(ethers.toBeHex(0xabc000 + i, 20));

async function claimAll(d: RewardDistributor, t: SumTree) {
  const caller = (await getAccounts()).outsider;
  for (const [i, l] of t.leaves.entries()) {
    if (l.amount > (await d.claimed(l.account))) await d.connect(caller).claim(l.account, l.amount, i, sumTreeProof(t, i));
  }
}

describe("RewardDistributor", function () {
  describe("constructor", function () {
    it("creates its reward vault, starts with the empty root committed, and has no settlement yet", async function () {
      const acc = await getAccounts();
      const token = await ethers.deployContract("TestToken", [acc.deployer.address]);
      const d = await ethers.deployContract("RewardDistributor", [await token.getAddress()]);
      const v = await ethers.getContractAt("RewardVault", await d.vault());
      expect(await v.distributor()).to.equal(await d.getAddress());
      expect(await v.token()).to.equal(await token.getAddress());
      expect(await d.token()).to.equal(await token.getAddress());
      expect(await d.root()).to.equal(ethers.ZeroHash);
      expect(await d.rootCommitment()).to.equal(commitOf(ethers.ZeroHash, 0n));
      expect(await d.rootRound()).to.equal(0);
      expect(await d.settlement()).to.equal(ethers.ZeroAddress);
      expect(await d.totals()).to.deep.equal([0n, 0n, 0n]);
      const F = await ethers.getContractFactory("RewardDistributor");
      await expect(F.deploy(ethers.ZeroAddress)).to.be.revertedWithCustomError(F, "DistributorZeroAddress");
    });
  });

  describe("setSettlement", function () {
    it("wires the settlement once, by the deployer, and emits SettlementSet", async function () {
      const acc = await getAccounts();
      const token = await ethers.deployContract("TestToken", [acc.deployer.address]);
      const d = await ethers.deployContract("RewardDistributor", [await token.getAddress()]);
      await expectWiredOnce({
        contract: d,
        fn: "setSettlement",
        value: acc.guardian.address,
        event: "SettlementSet",
        outsider: acc.outsider,
        errors: { notDeployer: "DistributorNotDeployer", zeroAddress: "DistributorZeroAddress", alreadySet: "DistributorSettlementAlreadySet" },
        again: acc.outsider.address,
        alreadySetNamesValue: true,
      });
    });
  });

  describe("fundRound", function () {
    it("adds to the pools and the funder's contribution, sends the tokens to the reward vault and emits RoundFunded", async function () {
      const { distributor: d, token, acc, rewardVault } = await loadFixture(stubFixture);
      await expect(d.connect(acc.funder).fundRound(1, 300n * TOKEN, 100n * TOKEN))
        .to.emit(d, "RoundFunded")
        .withArgs(1, acc.funder.address, 300n * TOKEN, 100n * TOKEN);
      await d.connect(acc.outsider).fundRound(1, 0, 50n * TOKEN);
      const f = await d.roundFunds(1);
      expect([f.inferencePool, f.evaluatorPool, f.inferencePaid, f.evaluatorPaid, f.state]).to.deep.equal([300n * TOKEN, 150n * TOKEN, 0n, 0n, BigInt(FundsState.Open)]);
      expect(await d.contribution(1, acc.funder.address)).to.deep.equal([300n * TOKEN, 100n * TOKEN, false]);
      expect(await d.contribution(1, acc.outsider.address)).to.deep.equal([0n, 50n * TOKEN, false]);
      expect(await token.balanceOf(rewardVault)).to.equal(450n * TOKEN);
      expect(await token.balanceOf(await d.getAddress())).to.equal(0n);
      expect((await d.totals())[0]).to.equal(450n * TOKEN);
    });

    it("rejects a round the settlement says is closed, a zero total and pools above the round's cap", async function () {
      const { distributor: d, acc, stub } = await loadFixture(stubFixture);
      await expect(d.connect(acc.funder).fundRound(4, 1, 0)).to.be.revertedWithCustomError(d, "DistributorFundingClosed").withArgs(4);
      await expect(d.connect(acc.funder).fundRound(1, 0, 0)).to.be.revertedWithCustomError(d, "DistributorZeroAmount");
      await d.connect(acc.funder).fundRound(1, 6_000n * TOKEN, 0);
      await expect(d.connect(acc.outsider).fundRound(1, 0, 4_000n * TOKEN + 1n))
        .to.be.revertedWithCustomError(d, "DistributorAboveCap")
        .withArgs(1, 10_000n * TOKEN + 1n, 10_000n * TOKEN);
      await d.connect(acc.outsider).fundRound(1, 0, 4_000n * TOKEN);
      await stub.setWindow(1, false, 10_000n * TOKEN);
      await expect(d.connect(acc.funder).fundRound(1, 1, 0)).to.be.revertedWithCustomError(d, "DistributorFundingClosed").withArgs(1);
    });

    it("refuses a token that delivers less than the amount (fee-on-transfer)", async function () {
      const { distributor: d, acc } = await loadFixture(feeStubFixture);
      await expect(d.connect(acc.funder).fundRound(1, 1_000n, 0))
        .to.be.revertedWithCustomError(d, "DistributorTransferShortfall")
        .withArgs(1_000n, 990n);
    });

    it("cannot be re-entered from a token callback", async function () {
      const { distributor: d, acc, token } = await loadFixture(hookStubFixture);
      await (token as HookToken).setHook(await d.getAddress(), d.interface.encodeFunctionData("fundRound", [1, 1, 0]));
      await expect(d.connect(acc.funder).fundRound(1, 10n, 0)).to.be.revertedWithCustomError(d, "ReentrancyGuardReentrantCall");
    });

    describe("with the settlement contract", function () {
      it("takes funding for the next round id (at the current cap) and for a registered round until its reveal deadline; the pools then freeze", async function () {
        const sys = await loadFixture(stakedFixture);
        const d = sys.distributor.connect(sys.acc.funder);
        const cap = sys.params.maxRoundPools;
        expect(await sys.settlement.fundingWindow(1)).to.deep.equal([true, cap]);
        await d.fundRound(1, 100n * TOKEN, 0);
        for (const id of [0n, 2n, 2n ** 64n, 2n ** 64n + 1n]) {
          expect(await sys.settlement.fundingWindow(id)).to.deep.equal([false, 0n]);
          await expect(d.fundRound(id, 1, 0)).to.be.revertedWithCustomError(sys.distributor, "DistributorFundingClosed").withArgs(id);
        }
        const ctx = await registerRound(sys, { n: 4 });
        expect(await sys.settlement.fundingWindow(ctx.roundId)).to.deep.equal([true, cap]);
        await assign(sys, ctx);
        await d.fundRound(ctx.roundId, 0, 50n * TOKEN);
        await toReveal(sys, ctx.roundId);
        await d.fundRound(ctx.roundId, 1n, 0); // still open during reveals
        await toSettle(sys, ctx.roundId);
        expect(await sys.settlement.phaseOf(ctx.roundId)).to.equal(Phase.Settle);
        expect(await sys.settlement.fundingWindow(ctx.roundId)).to.deep.equal([false, cap]);
        await expect(d.fundRound(ctx.roundId, 1, 0)).to.be.revertedWithCustomError(sys.distributor, "DistributorFundingClosed").withArgs(ctx.roundId);
        expect((await sys.distributor.roundFunds(ctx.roundId)).inferencePool).to.equal(100n * TOKEN + 1n);
      });

      it("takes no funding for a round that expired or was cancelled", async function () {
        const sys = await loadFixture(stakedFixture);
        const ctx = await registerRound(sys, { n: 4 });
        await sys.settlement.connect(sys.acc.guardian).cancelRound(ctx.roundId);
        expect(await sys.settlement.fundingWindow(ctx.roundId)).to.deep.equal([false, sys.params.maxRoundPools]);
        const ctx2 = await registerRound(sys, { n: 4 });
        await ethers.provider.send("evm_increaseTime", [sys.params.assignDuration]);
        await ethers.provider.send("evm_mine", []);
        expect(await sys.settlement.phaseOf(ctx2.roundId)).to.equal(Phase.Expired);
        await expect(fund(sys, ctx2.roundId, 1n, 0n)).to.be.revertedWithCustomError(sys.distributor, "DistributorFundingClosed").withArgs(ctx2.roundId);
      });

      it("cannot fund before the settlement is wired", async function () {
        const sys = await deploySystem({ noWiring: true });
        await expect(sys.distributor.connect(sys.acc.funder).fundRound(1, 1, 0)).to.be.revertedWithoutReason();
      });
    });
  });

  describe("applySettlement", function () {
    it("installs the root, records the payments, moves exactly the allocation from the vault and emits RootUpdated", async function () {
      const { distributor: d, token, acc, stub, rewardVault } = await loadFixture(stubFixture);
      await d.connect(acc.funder).fundRound(1, 600n * TOKEN, 300n * TOKEN);
      const t = tree([[acc.nodes[0].address, 500n * TOKEN], [acc.evaluators[0].address, 200n * TOKEN]]);
      await expect(stub.applySettlement(1, t.root, t.total, 500n * TOKEN, 200n * TOKEN))
        .to.emit(d, "RootUpdated")
        .withArgs(1, await stub.getAddress(), t.root, t.total, 500n * TOKEN, 200n * TOKEN);
      expect(await d.root()).to.equal(t.root);
      expect(await d.rootCommitment()).to.equal(commitOf(t.root, t.total));
      expect(await d.rootRound()).to.equal(1);
      const f = await d.roundFunds(1);
      expect([f.inferencePaid, f.evaluatorPaid, f.state]).to.deep.equal([500n * TOKEN, 200n * TOKEN, BigInt(FundsState.Settled)]);
      expect(await token.balanceOf(rewardVault)).to.equal(200n * TOKEN);
      expect(await token.balanceOf(await d.getAddress())).to.equal(700n * TOKEN);
      expect(await d.totals()).to.deep.equal([900n * TOKEN, 700n * TOKEN, 0n]);
    });

    it("installs a root that pays nothing without moving tokens", async function () {
      const { distributor: d, token, stub, rewardVault, acc } = await loadFixture(stubFixture);
      await d.connect(acc.funder).fundRound(1, 10n, 0);
      await stub.applySettlement(1, ethers.ZeroHash, 0, 0, 0);
      expect(await token.balanceOf(rewardVault)).to.equal(10n);
      expect((await d.roundFunds(1)).state).to.equal(FundsState.Settled);
    });

    it("rejects a payment above either pool and a cumulative total that is not the previous one plus the payment", async function () {
      const { distributor: d, acc, stub } = await loadFixture(stubFixture);
      await d.connect(acc.funder).fundRound(1, 100n, 50n);
      await expect(stub.applySettlement(1, ethers.ZeroHash, 101n, 101n, 0)).to.be.revertedWithCustomError(d, "DistributorExceedsPool").withArgs(1, 101n, 100n);
      await expect(stub.applySettlement(1, ethers.ZeroHash, 51n, 0, 51n)).to.be.revertedWithCustomError(d, "DistributorExceedsPool").withArgs(1, 51n, 50n);
      await expect(stub.applySettlement(1, ethers.ZeroHash, 149n, 100n, 50n)).to.be.revertedWithCustomError(d, "DistributorBadCumulativeTotal").withArgs(150n, 149n);
      await stub.applySettlement(1, ethers.ZeroHash, 150n, 100n, 50n);
      await d.connect(acc.funder).fundRound(2, 10n, 0);
      await expect(stub.applySettlement(2, ethers.ZeroHash, 10n, 10n, 0)).to.be.revertedWithCustomError(d, "DistributorBadCumulativeTotal").withArgs(160n, 10n);
    });

    it("is only for the settlement contract, once per round", async function () {
      const { distributor: d, acc, stub } = await loadFixture(stubFixture);
      await expect(d.connect(acc.outsider).applySettlement(1, ethers.ZeroHash, 0, 0, 0))
        .to.be.revertedWithCustomError(d, "DistributorNotSettlement")
        .withArgs(acc.outsider.address);
      await stub.applySettlement(1, ethers.ZeroHash, 0, 0, 0);
      await expect(stub.applySettlement(1, ethers.ZeroHash, 0, 0, 0)).to.be.revertedWithCustomError(d, "DistributorRoundClosed").withArgs(1);
      await stub.cancelRound(2);
      await expect(stub.applySettlement(2, ethers.ZeroHash, 0, 0, 0)).to.be.revertedWithCustomError(d, "DistributorRoundClosed").withArgs(2);
    });
  });

  describe("cancelRound", function () {
    it("marks an open round cancelled (once), only for the settlement contract, and emits RoundCancelled", async function () {
      const { distributor: d, acc, stub } = await loadFixture(stubFixture);
      await expect(d.connect(acc.outsider).cancelRound(1)).to.be.revertedWithCustomError(d, "DistributorNotSettlement").withArgs(acc.outsider.address);
      await expect(stub.cancelRound(1)).to.emit(d, "RoundCancelled").withArgs(1);
      expect((await d.roundFunds(1)).state).to.equal(FundsState.Cancelled);
      await expect(stub.cancelRound(1)).to.be.revertedWithCustomError(d, "DistributorRoundClosed").withArgs(1);
    });
  });

  describe("claim", function () {
    async function claimFixture() {
      const f = await stubFixture();
      const { distributor: d, acc, stub } = f;
      await d.connect(acc.funder).fundRound(1, 1_000n * TOKEN, 0);
      const entries: [string, bigint][] = [
        [acc.nodes[0].address, 400n * TOKEN],
        [acc.nodes[1].address, 300n * TOKEN],
        [acc.nodes[2].address, 200n * TOKEN],
        [acc.evaluators[0].address, 100n * TOKEN],
        [filler(1), 0n],
      ];
      const t1 = tree(entries);
      await stub.applySettlement(1, t1.root, t1.total, t1.total, 0);
      return { ...f, t1, entries };
    }
    const indexOf = (t: SumTree, a: string) => t.leaves.findIndex((l) => l.account === addr(a));

    it("pays an account what the root owes it, to the account, whoever calls, and emits Claimed", async function () {
      const { distributor: d, acc, token, t1 } = await loadFixture(claimFixture);
      const n0 = acc.nodes[0];
      const i = indexOf(t1, n0.address);
      const before = await token.balanceOf(n0.address);
      await expect(d.connect(acc.outsider).claim(n0.address, 400n * TOKEN, i, sumTreeProof(t1, i)))
        .to.emit(d, "Claimed")
        .withArgs(n0.address, acc.outsider.address, 400n * TOKEN, 400n * TOKEN);
      expect((await token.balanceOf(n0.address)) - before).to.equal(400n * TOKEN);
      expect(await d.claimed(n0.address)).to.equal(400n * TOKEN);
      expect(await d.verifyLeaf(n0.address, 400n * TOKEN, i, sumTreeProof(t1, i))).to.equal(true);
    });

    it("pays only the difference under a later root; nothing twice", async function () {
      const { distributor: d, acc, stub, t1, entries } = await loadFixture(claimFixture);
      const n0 = acc.nodes[0];
      const i = indexOf(t1, n0.address);
      await d.claim(n0.address, 400n * TOKEN, i, sumTreeProof(t1, i));
      await expect(d.claim(n0.address, 400n * TOKEN, i, sumTreeProof(t1, i)))
        .to.be.revertedWithCustomError(d, "DistributorNothingToClaim")
        .withArgs(n0.address, 400n * TOKEN, 400n * TOKEN);
      await d.connect(acc.funder).fundRound(2, 50n * TOKEN, 0);
      const t2 = tree(entries.map(([a, v]) => [a, a === n0.address ? v + 50n * TOKEN : v]));
      await stub.applySettlement(2, t2.root, t2.total, 50n * TOKEN, 0);
      const j = indexOf(t2, n0.address);
      await expect(d.claim(n0.address, 450n * TOKEN, j, sumTreeProof(t2, j))).to.emit(d, "Claimed").withArgs(n0.address, acc.deployer.address, 50n * TOKEN, 450n * TOKEN);
      // The old root no longer proves anything.
      const k = indexOf(t1, acc.nodes[1].address);
      await expect(d.claim(acc.nodes[1].address, 300n * TOKEN, k, sumTreeProof(t1, k)))
        .to.be.revertedWithCustomError(d, "DistributorInvalidProof")
        .withArgs(acc.nodes[1].address, 300n * TOKEN);
    });

    it("rejects a wrong amount, index or proof, a zero leaf, a malformed proof and an index beyond the proof's depth", async function () {
      const { distributor: d, acc, t1 } = await loadFixture(claimFixture);
      const n1 = acc.nodes[1];
      const i = indexOf(t1, n1.address);
      const proof = sumTreeProof(t1, i);
      await expect(d.claim(n1.address, 301n * TOKEN, i, proof)).to.be.revertedWithCustomError(d, "DistributorInvalidProof").withArgs(n1.address, 301n * TOKEN);
      await expect(d.claim(n1.address, 300n * TOKEN, i ^ 1, proof)).to.be.revertedWithCustomError(d, "DistributorInvalidProof").withArgs(n1.address, 300n * TOKEN);
      const forged = [...proof];
      forged[1] = ethers.toBeHex(BigInt(forged[1]) + 1n, 32) as Hex; // a sibling's sum
      await expect(d.claim(n1.address, 300n * TOKEN, i, forged)).to.be.revertedWithCustomError(d, "DistributorInvalidProof").withArgs(n1.address, 300n * TOKEN);
      const z = indexOf(t1, filler(1));
      await expect(d.claim(filler(1), 0n, z, sumTreeProof(t1, z)))
        .to.be.revertedWithCustomError(d, "DistributorNothingToClaim")
        .withArgs(filler(1), 0n, 0n);
      await expect(d.claim(n1.address, 300n * TOKEN, i, proof.slice(1))).to.be.revertedWithCustomError(d, "SumTreeMalformedProof").withArgs(proof.length - 1);
      await expect(d.claim(n1.address, 300n * TOKEN, 8, proof)).to.be.revertedWithCustomError(d, "SumTreeIndexOutOfRange").withArgs(8, 3);
    });

    it("proves nothing before the first root", async function () {
      const { distributor: d, acc } = await loadFixture(stubFixture);
      await expect(d.claim(acc.nodes[0].address, 0, 0, [])).to.be.revertedWithCustomError(d, "DistributorInvalidProof").withArgs(acc.nodes[0].address, 0);
      expect(await d.verifyLeaf(acc.nodes[0].address, 0, 0, [])).to.equal(false);
    });

    it("a re-entrant claim from a token callback cannot pay twice", async function () {
      const { distributor: d, acc, stub, token } = await loadFixture(hookStubFixture);
      await d.connect(acc.funder).fundRound(1, 100n, 0);
      const t = tree([[acc.nodes[0].address, 100n], [filler(2), 0n]]);
      await stub.applySettlement(1, t.root, t.total, 100n, 0);
      const i = indexOf(t, acc.nodes[0].address);
      const args: [string, bigint, number, string[]] = [acc.nodes[0].address, 100n, i, sumTreeProof(t, i)];
      await (token as HookToken).setHook(await d.getAddress(), d.interface.encodeFunctionData("claim", args));
      await expect(d.claim(...args)).to.be.revertedWithCustomError(d, "DistributorNothingToClaim").withArgs(acc.nodes[0].address, 100n, 100n);
      await (token as HookToken).setHook(ethers.ZeroAddress, "0x");
      await d.claim(...args);
      expect(await token.balanceOf(await d.getAddress())).to.equal(0n);
    });

    it("property: however the tree is shaped, claiming every leaf pays exactly the root's total, no more", async function () {
      const { distributor: d, acc, stub, token } = await loadFixture(stubFixture);
      let round = 0;
      let allocated = 0n;
      let ledgerAll: [string, bigint][] = [];
      await fc.assert(
        fc.asyncProperty(fc.array(fc.bigInt({ min: 0n, max: 10n ** 21n }), { minLength: 1, maxLength: 33 }), async (amounts) => {
          round += 1;
          await stub.setWindow(round, true, 2n ** 127n);
          // Every account is new to this run, so each tree's leaves are fresh claims on top of the earlier rounds'.
          const entries: [string, bigint][] = amounts.map((a, i) => [filler(round * 100 + i), a]);
          const t = tree(entries);
          if (t.total > 0n) await d.connect(acc.funder).fundRound(round, t.total, 0);
          const prior = [...(await d.totals())];
          // The new root carries every earlier account too (cumulative): build it on the previous ledger.
          const ledger = ledgerAll.concat(entries);
          const full = tree(ledger);
          await stub.applySettlement(round, full.root, full.total, t.total, 0);
          allocated += t.total;
          expect(prior[1] + t.total).to.equal(allocated);
          await claimAll(d, full);
          ledgerAll = ledger;
          // Everything allocated has been claimed, and not a unit more.
          expect(await token.balanceOf(await d.getAddress())).to.equal(0n);
        }),
        { numRuns: runs(12) },
      );
    });
  });

  describe("refund", function () {
    it("gives a contribution to a round not yet registered back whole, and the funder may fund again", async function () {
      const { distributor: d, acc, token, rewardVault } = await loadFixture(stubFixture);
      await d.connect(acc.funder).fundRound(1, 70n, 30n);
      await d.connect(acc.outsider).fundRound(1, 5n, 0);
      expect(await d.refundable(1, acc.funder.address)).to.equal(100n);
      const before = await token.balanceOf(acc.funder.address);
      await expect(d.connect(acc.outsider).refund(1, acc.funder.address)).to.emit(d, "Refunded").withArgs(1, acc.funder.address, 100n);
      expect((await token.balanceOf(acc.funder.address)) - before).to.equal(100n);
      expect(await d.contribution(1, acc.funder.address)).to.deep.equal([0n, 0n, false]);
      const f = await d.roundFunds(1);
      expect([f.inferencePool, f.evaluatorPool]).to.deep.equal([5n, 0n]);
      expect(await token.balanceOf(rewardVault)).to.equal(5n);
      await d.connect(acc.funder).fundRound(1, 1n, 0);
      expect(await d.totals()).to.deep.equal([106n, 0n, 100n]);
    });

    it("gives nothing for a registered round still open", async function () {
      const { distributor: d, acc, stub } = await loadFixture(stubFixture);
      await d.connect(acc.funder).fundRound(1, 70n, 30n);
      await stub.setRoundCount(1);
      expect(await d.refundable(1, acc.funder.address)).to.equal(0n);
      await expect(d.refund(1, acc.funder.address)).to.be.revertedWithCustomError(d, "DistributorNothingToRefund").withArgs(1, acc.funder.address);
      await expect(d.refund(2, acc.outsider.address)).to.be.revertedWithCustomError(d, "DistributorNothingToRefund").withArgs(2, acc.outsider.address);
    });

    it("gives a cancelled round's contributions back whole, once", async function () {
      const { distributor: d, acc, stub, token } = await loadFixture(stubFixture);
      await d.connect(acc.funder).fundRound(1, 70n, 30n);
      await stub.setRoundCount(1);
      await stub.cancelRound(1);
      const before = await token.balanceOf(acc.funder.address);
      await expect(d.refund(1, acc.funder.address)).to.emit(d, "Refunded").withArgs(1, acc.funder.address, 100n);
      expect((await token.balanceOf(acc.funder.address)) - before).to.equal(100n);
      expect(await d.contribution(1, acc.funder.address)).to.deep.equal([70n, 30n, true]);
      await expect(d.refund(1, acc.funder.address)).to.be.revertedWithCustomError(d, "DistributorNothingToRefund").withArgs(1, acc.funder.address);
    });

    it("gives each funder its share of what a settled round left unpaid, pool by pool, rounded down (dust stays in the vault)", async function () {
      const { distributor: d, acc, stub, token, rewardVault } = await loadFixture(stubFixture);
      const [a, b, c] = [acc.funder, acc.outsider, acc.spare[0]];
      await d.connect(a).fundRound(1, 100n, 10n);
      await d.connect(b).fundRound(1, 200n, 0n);
      await d.connect(c).fundRound(1, 0n, 20n);
      await stub.setRoundCount(1);
      // Pays 101 of 300 inference and 29 of 30 evaluator.
      await stub.applySettlement(1, ethers.ZeroHash, 130n, 101n, 29n);
      const unpaidInf = 199n;
      const unpaidEv = 1n;
      expect(await d.refundable(1, a.address)).to.equal((100n * unpaidInf) / 300n + (10n * unpaidEv) / 30n);
      expect(await d.refundable(1, b.address)).to.equal((200n * unpaidInf) / 300n);
      expect(await d.refundable(1, c.address)).to.equal((20n * unpaidEv) / 30n);
      for (const f of [a, b]) await d.refund(1, f.address);
      await expect(d.refund(1, c.address)).to.be.revertedWithCustomError(d, "DistributorNothingToRefund").withArgs(1, c.address);
      const refunded = (await d.totals())[2];
      expect(refunded).to.equal(66n + 132n);
      // Vault = funded − allocated − refunded: the rounding dust (2 units) stays in it.
      expect(await token.balanceOf(rewardVault)).to.equal(330n - 130n - refunded);
      expect(await token.balanceOf(rewardVault)).to.equal(2n);
    });

    it("cannot be re-entered from a token callback", async function () {
      const { distributor: d, acc, token } = await loadFixture(hookStubFixture);
      await d.connect(acc.funder).fundRound(1, 100n, 0);
      await (token as HookToken).setHook(await d.getAddress(), d.interface.encodeFunctionData("refund", [1, acc.funder.address]));
      await expect(d.refund(1, acc.funder.address)).to.be.revertedWithCustomError(d, "ReentrancyGuardReentrantCall");
    });
  });

  describe("RewardVault", function () {
    it("releases funds only to its distributor's order", async function () {
      const { distributor: d, acc } = await loadFixture(stubFixture);
      const v = await ethers.getContractAt("RewardVault", await d.vault());
      await expect(v.connect(acc.outsider).release(acc.outsider.address, 1))
        .to.be.revertedWithCustomError(v, "RewardVaultNotDistributor")
        .withArgs(acc.outsider.address);
      const asDistributor = await signerFor(await d.getAddress());
      await d.connect(acc.funder).fundRound(1, 10n, 0);
      await v.connect(asDistributor).release(acc.outsider.address, 10n);
    });
  });
});

