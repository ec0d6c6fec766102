/**
 * One test (or more) per threat of docs/security.md. Threats already proven elsewhere are named there with their
 * test; this file holds the rest.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { Hex } from "viem";
import { buildAssignmentTree, packScores, scoreCommitment } from "../src/chain/encoding";
import { Phase, Reason, Role, deploySystem, paramsWith, stakeAll, stakedFixture, type System } from "./helpers/fixtures";
import {
  acceptAssignment,
  addr,
  allocated,
  assignmentProof,
  buildSettlement,
  commit,
  fund,
  openRound,
  reveal,
  scoresFor,
  settle,
  settlementCommit,
  toFinalizable,
  toReveal,
  toSettle,
} from "./helpers/round";

const HALF_MAINNET_BLOCK = 15_000_000n;

describe("Security", function () {
  describe("commit copying and replay", function () {
    it("a commitment built for another chain id or another settlement contract never reveals here", async function () {
      const sys = await loadFixture(stakedFixture);
      const ctx = await openRound(sys, 6);
      const e = sys.acc.evaluators.find((x) => ctx.assignment.get(addr(x.address))?.length)!;
      const scores = scoresFor(ctx, e.address, () => 7_000);
      const packed = packScores(scores);
      const salt = ethers.id("salt") as Hex;
      const here = { chainId: sys.chainId, contract: addr(await sys.settlement.getAddress()), roundId: ctx.roundId, evaluator: addr(e.address), scores: packed, salt };
      for (const elsewhere of [{ ...here, chainId: sys.chainId + 1n }, { ...here, contract: addr(sys.acc.outsider.address) }]) {
        const sys2 = await loadFixture(stakedFixture);
        const ctx2 = await openRound(sys2, 6);
        const e2 = sys2.acc.evaluators.find((x) => ctx2.assignment.get(addr(x.address))?.length)!;
        const p = assignmentProof(ctx2, e2.address);
        const foreign = scoreCommitment({ ...elsewhere, evaluator: addr(e2.address), roundId: ctx2.roundId, scores: packScores(scoresFor(ctx2, e2.address, () => 7_000)) });
        await sys2.settlement.connect(e2).commitScores(ctx2.roundId, foreign);
        await toReveal(sys2, ctx2.roundId);
        await expect(sys2.settlement.connect(e2).revealScores(ctx2.roundId, packScores(scoresFor(ctx2, e2.address, () => 7_000)), salt, p.tasksHash, p.proof))
          .to.be.revertedWithCustomError(sys2.settlement, "RevealMismatch")
          .withArgs(ctx2.roundId, e2.address);
      }
      expect(scoreCommitment(here)).to.equal(await sys.settlement.scoreCommitment(ctx.roundId, e.address, packed, salt));
    });
  });

  describe("front-running a reveal", function () {
    it("copying a pending reveal's calldata from another address fails, and nobody can commit after reveals start", async function () {
      const sys = await loadFixture(stakedFixture);
      const ctx = await openRound(sys, 8);
      const [victim, copier] = sys.acc.evaluators.filter((x) => ctx.assignment.get(addr(x.address))?.length);
      const c = await commit(sys, ctx.roundId, victim, scoresFor(ctx, victim.address, () => 8_000));
      const own = await commit(sys, ctx.roundId, copier, scoresFor(ctx, copier.address, () => 1_000));
      await toReveal(sys, ctx.roundId);
      const p = assignmentProof(ctx, victim.address);
      // The copier replays the victim's exact calldata: its own commitment does not match.
      await expect(sys.settlement.connect(copier).revealScores(ctx.roundId, c.packed, c.salt, p.tasksHash, p.proof))
        .to.be.revertedWithCustomError(sys.settlement, "RevealMismatch")
        .withArgs(ctx.roundId, copier.address);
      // An outsider without a commitment cannot use it either.
      await expect(sys.settlement.connect(sys.acc.outsider).revealScores(ctx.roundId, c.packed, c.salt, p.tasksHash, p.proof))
        .to.be.revertedWithCustomError(sys.settlement, "NotCommitted")
        .withArgs(ctx.roundId, sys.acc.outsider.address);
      await reveal(sys, ctx, victim, c);
      // Having seen the victim's scores, a late evaluator cannot commit to them: the commit window is over.
      await expect(sys.settlement.connect(sys.acc.outsider).commitScores(ctx.roundId, c.commitment))
        .to.be.revertedWithCustomError(sys.settlement, "WrongPhase")
        .withArgs(ctx.roundId, Phase.Commit, Phase.Reveal);
      await reveal(sys, ctx, copier, own);
    });
  });

  describe("griefing by oversized batches", function () {
    it("a batch above maxTasks is refused; the largest allowed batch and slash list fit in half a mainnet block", async function () {
      const MAX = 100_000;
      const sys = await deploySystem({ params: paramsWith({ maxTasks: MAX, maxSlashes: 256, k: 1 }) });
      await stakeAll(sys);
      await expect(sys.settlement.connect(sys.acc.relayers[0]).registerTasks(ethers.id("too-big"), MAX + 1))
        .to.be.revertedWithCustomError(sys.settlement, "InvalidTaskCount")
        .withArgs(MAX + 1, MAX);
      const reg = await (await sys.settlement.connect(sys.acc.relayers[0]).registerTasks(ethers.id("largest"), MAX)).wait();
      expect(reg!.gasUsed).to.be.lessThan(200_000n); // O(1) in the batch size
      const roundId = await sys.settlement.roundCount();
      // One evaluator assigned every task of the largest batch: the longest possible reveal.
      const e = sys.acc.evaluators[0];
      const tasks = Array.from({ length: MAX }, (_, i) => i);
      const assignment = new Map([[addr(e.address), tasks], [addr(sys.acc.evaluators[1].address), [0]]]);
      const tree = buildAssignmentTree(assignment);
      await acceptAssignment(sys, roundId, tree.root);
      const ctx = { roundId, assignment, tree } as unknown as Parameters<typeof reveal>[1];
      const c = await commit(sys, roundId, e, tasks.map((t) => t % 10_001));
      await toReveal(sys, roundId);
      const r = await (await reveal(sys, ctx, e, c)).wait();
      expect(r!.gasUsed).to.be.lessThan(HALF_MAINNET_BLOCK);
      // The longest slash list: 256 entries, settled and finalized.
      await toSettle(sys, roundId);
      const many = Array.from({ length: 256 }, (_, i) => ({ evaluator: addr(ethers.zeroPadValue(ethers.toBeHex(i + 1), 20)), reason: Reason.LowTrust as 2 }));
      const b = buildSettlement({ cumulative: new Map(), inferencePaid: 0n, evaluatorPaid: 0n, cumulativeTotal: 0n, slashes: many });
      await settle(sys, roundId, b.settlement);
      await toFinalizable(sys, roundId);
      const f = await (await sys.settlement.finalize(roundId, b.settlement)).wait();
      expect(f!.gasUsed).to.be.lessThan(HALF_MAINNET_BLOCK);
    });
  });

  describe("a relayer minority posting a false settlement", function () {
    it("with 3 relayers and quorum 2, one relayer's false settlement is never accepted; the honest two decide", async function () {
      const sys = await loadFixture(stakedFixture);
      const third = sys.acc.spare[0];
      await sys.settlement.connect(sys.acc.owner).setRelayer(third.address, true);
      const ctx = await openRound(sys, 4);
      await fund(sys, ctx.roundId, 100n, 0n);
      await toSettle(sys, ctx.roundId);
      const honest = buildSettlement({ cumulative: new Map([[sys.acc.nodes[0].address, 100n]]), inferencePaid: 100n, evaluatorPaid: 0n, tag: "honest" });
      const thief = buildSettlement({ cumulative: new Map([[third.address, 100n]]), inferencePaid: 100n, evaluatorPaid: 0n, tag: "thief" });
      const relayers = [third, ...sys.acc.relayers];
      const commits = [];
      for (const [i, r] of relayers.entries()) {
        const c = await settlementCommit(sys, r.address, ctx.roundId, i === 0 ? thief.settlement : honest.settlement);
        await sys.settlement.connect(r).commitSettlement(ctx.roundId, c.commitment);
        commits.push(c);
      }
      await sys.settlement.connect(third).revealSettlement(ctx.roundId, thief.settlement, commits[0].salt);
      expect(await sys.settlement.phaseOf(ctx.roundId)).to.equal(Phase.Settle);
      await sys.settlement.connect(sys.acc.relayers[0]).revealSettlement(ctx.roundId, honest.settlement, commits[1].salt);
      expect(await sys.settlement.phaseOf(ctx.roundId)).to.equal(Phase.Settle);
      await expect(sys.settlement.connect(sys.acc.relayers[1]).revealSettlement(ctx.roundId, honest.settlement, commits[2].salt)).to.emit(sys.settlement, "SettlementAccepted");
      expect((await sys.settlement.getRound(ctx.roundId)).settlementHash).to.equal(honest.hash);
      await toFinalizable(sys, ctx.roundId);
      await expect(sys.settlement.finalize(ctx.roundId, thief.settlement)).to.be.revertedWithCustomError(sys.settlement, "SettlementMismatch");
    });
  });

  describe("a guardian vetoing forever", function () {
    it("after maxVetoes the settlement stands and the round finalizes", async function () {
      const sys = await loadFixture(stakedFixture);
      const ctx = await openRound(sys, 2);
      await toSettle(sys, ctx.roundId);
      const b = buildSettlement({ cumulative: new Map(), inferencePaid: 0n, evaluatorPaid: 0n, cumulativeTotal: await allocated(sys) });
      for (let v = 0; v < sys.params.maxVetoes; v++) {
        await settle(sys, ctx.roundId, b.settlement);
        await sys.settlement.connect(sys.acc.guardian).vetoSettlement(ctx.roundId);
      }
      await settle(sys, ctx.roundId, b.settlement);
      await expect(sys.settlement.connect(sys.acc.guardian).vetoSettlement(ctx.roundId))
        .to.be.revertedWithCustomError(sys.settlement, "VetoLimitReached")
        .withArgs(ctx.roundId, sys.params.maxVetoes);
      await toFinalizable(sys, ctx.roundId);
      await expect(sys.settlement.finalize(ctx.roundId, b.settlement)).to.emit(sys.settlement, "RoundFinalized");
    });
  });

  describe("timestamp drift at phase edges", function () {
    it("each window is half-open: the deadline second belongs to the next phase", async function () {
      const sys = await loadFixture(stakedFixture);
      const ctx = await openRound(sys, 6);
      const [a, b] = sys.acc.evaluators.filter((x) => ctx.assignment.get(addr(x.address))?.length);
      const r = await sys.settlement.getRound(ctx.roundId);
      await time.setNextBlockTimestamp(r.commitDeadline - 1n);
      const ca = await commit(sys, ctx.roundId, a, scoresFor(ctx, a.address, () => 5_000));
      await time.setNextBlockTimestamp(r.commitDeadline);
      await expect(commit(sys, ctx.roundId, b, scoresFor(ctx, b.address, () => 5_000)))
        .to.be.revertedWithCustomError(sys.settlement, "WrongPhase")
        .withArgs(ctx.roundId, Phase.Commit, Phase.Reveal);
      await time.setNextBlockTimestamp(r.revealDeadline - 1n);
      await reveal(sys, ctx, a, ca);
      await time.setNextBlockTimestamp(r.revealDeadline);
      await expect(sys.settlement.connect(sys.acc.relayers[0]).commitSettlement(ctx.roundId, ethers.id("c"))).to.emit(sys.settlement, "SettlementCommitted");
      const built = buildSettlement({ cumulative: new Map(), inferencePaid: 0n, evaluatorPaid: 0n, cumulativeTotal: 0n });
      // (A fresh round is used for the challenge edge.)
      const sys2 = await loadFixture(stakedFixture);
      const ctx2 = await openRound(sys2, 2);
      await toSettle(sys2, ctx2.roundId);
      await settle(sys2, ctx2.roundId, built.settlement);
      const end = (await sys2.settlement.getRound(ctx2.roundId)).challengeEnd;
      await time.setNextBlockTimestamp(end - 1n);
      await expect(sys2.settlement.finalize(ctx2.roundId, built.settlement))
        .to.be.revertedWithCustomError(sys2.settlement, "WrongPhase")
        .withArgs(ctx2.roundId, Phase.Finalizable, Phase.Challenge);
      await time.setNextBlockTimestamp(end);
      await expect(sys2.settlement.connect(sys2.acc.guardian).vetoSettlement(ctx2.roundId))
        .to.be.revertedWithCustomError(sys2.settlement, "VetoNotAllowed")
        .withArgs(ctx2.roundId, Phase.Finalizable);
      await expect(sys2.settlement.finalize(ctx2.roundId, built.settlement)).to.emit(sys2.settlement, "RoundFinalized");
    });
  });

  describe("withdrawing stake before a pending slash", function () {
    it("stake queued during a round cannot be withdrawn before the round's slash executes", async function () {
      const sys = await loadFixture(stakedFixture);
      const ctx = await openRound(sys, 6);
      const e = sys.acc.evaluators.find((x) => ctx.assignment.get(addr(x.address))?.length)!;
      await commit(sys, ctx.roundId, e, scoresFor(ctx, e.address, () => 5_000));
      const active = (await sys.vault.stakeOf(e.address, Role.Evaluator)).active;
      await sys.vault.connect(e).requestUnstake(Role.Evaluator, active);
      const unlock = (await sys.vault.stakeOf(e.address, Role.Evaluator)).unlockTime;
      await expect(sys.vault.connect(e).withdraw(Role.Evaluator)).to.be.revertedWithCustomError(sys.vault, "VaultStillUnbonding").withArgs(e.address, Role.Evaluator, unlock);
      await toSettle(sys, ctx.roundId);
      const b = buildSettlement({ cumulative: new Map(), inferencePaid: 0n, evaluatorPaid: 0n, cumulativeTotal: 0n, slashes: [{ evaluator: addr(e.address), reason: Reason.NonReveal }] });
      await settle(sys, ctx.roundId, b.settlement);
      await toFinalizable(sys, ctx.roundId);
      expect(BigInt(await time.latest())).to.be.lessThan(unlock); // the round ended well inside the unbonding period
      await expect(sys.settlement.finalize(ctx.roundId, b.settlement)).to.emit(sys.vault, "Slashed");
      expect((await sys.vault.stakeOf(e.address, Role.Evaluator)).queued).to.be.lessThan(active);
    });
  });

  describe("Merkle second-preimage leaves", function () {
    it("an inner node of the rewards tree verifies as a raw leaf, but claim hashes leaves twice and refuses it", async function () {
      const sys = await loadFixture(stakedFixture);
      const ctx = await openRound(sys, 1);
      const accounts = [sys.acc.nodes[0], sys.acc.nodes[1], sys.acc.nodes[2], sys.acc.evaluators[0]].map((x) => x.address);
      const cumulative = new Map(accounts.map((a, i) => [a, BigInt(i + 1) * 10n]));
      await fund(sys, ctx.roundId, 100n, 0n);
      await toSettle(sys, ctx.roundId);
      const b = buildSettlement({ cumulative, inferencePaid: 100n, evaluatorPaid: 0n });
      await settle(sys, ctx.roundId, b.settlement);
      await toFinalizable(sys, ctx.roundId);
      await sys.settlement.finalize(ctx.roundId, b.settlement);

      // OpenZeppelin's array layout: node 0 is the root, node i has children 2i+1 and 2i+2; node 1 is inner.
      const nodes = b.tree.dump().tree as Hex[];
      const inner = nodes[1];
      const proofOfInner = [nodes[2]];
      const harness = await ethers.deployContract("EncodingHarness");
      expect(await harness.verify(proofOfInner, b.tree.root, inner)).to.equal(true); // the classic attack's premise
      // Read the inner node's children as an (account, amount) leaf: the distributor refuses it.
      const fakeAccount = addr(`0x${nodes[3].slice(-40)}`);
      const fakeAmount = BigInt(nodes[4]);
      expect(await harness.accountLeaf(fakeAccount, fakeAmount)).to.not.equal(inner);
      await expect(sys.distributor.claim(fakeAccount, fakeAmount, proofOfInner))
        .to.be.revertedWithCustomError(sys.distributor, "DistributorInvalidProof")
        .withArgs(fakeAccount, fakeAmount);
      // The genuine leaves still claim.
      const [i0, leaf0] = [...b.tree.entries()][0];
      await expect(sys.distributor.claim(leaf0[0], leaf0[1], b.tree.getProof(i0))).to.emit(sys.distributor, "Claimed");
    });
  });
});

export type { System };
