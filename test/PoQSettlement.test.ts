import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { anyValue } from "@nomicfoundation/hardhat-chai-matchers/withArgs";
import type { Hex } from "viem";
import { buildAssignmentTree, hashSettlement, packScores, scoreCommitment } from "../src/chain/encoding";
import {
  DEFAULT_PARAMS,
  Phase,
  Reason,
  Role,
  Status,
  TOKEN,
  UNBONDING,
  deploySystem,
  paramsOf,
  paramsWith,
  stakeAll,
  stakedFixture,
  type Params,
  type System,
} from "./helpers/fixtures";
import {
  acceptAssignment,
  addr,
  allocated,
  assignmentProof,
  buildSettlement,
  commit,
  fund,
  openRound,
  registerRound,
  reveal,
  scoresFor,
  settle,
  settleAndFinalize,
  settlementCommit,
  toFinalizable,
  toReveal,
  toSettle,
  type Commit,
  type RoundCtx,
} from "./helpers/round";

/* FIXTURES: one round driven to each phase */

const INFERENCE_POOL = 1_000n * TOKEN;
const EVALUATOR_POOL = 500n * TOKEN;
const score = (t: number) => 5_000 + 100 * t;

async function assigningFixture() {
  const sys = await stakedFixture();
  const reg = await registerRound(sys, 10);
  return { sys, reg };
}

async function commitFixture() {
  const sys = await stakedFixture();
  const ctx = await openRound(sys, 10);
  return { sys, ctx };
}

/** Every assigned evaluator committed; the round is funded; phase Reveal. */
async function revealFixture() {
  const { sys, ctx } = await commitFixture();
  const commits = new Map<string, Commit>();
  for (const e of sys.acc.evaluators) {
    commits.set(e.address, await commit(sys, ctx.roundId, e, scoresFor(ctx, e.address, score)));
  }
  await fund(sys, ctx.roundId, INFERENCE_POOL, EVALUATOR_POOL);
  await toReveal(sys, ctx.roundId);
  return { sys, ctx, commits };
}

/** Evaluators 0..3 revealed, evaluator 4 did not; phase Settle; `built` is a valid settlement. */
async function settleFixture() {
  const r = await revealFixture();
  const { sys, ctx, commits } = r;
  for (const e of sys.acc.evaluators.slice(0, 4)) await reveal(sys, ctx, e, commits.get(e.address)!);
  await toSettle(sys, ctx.roundId);
  const built = standardSettlement(sys);
  return { ...r, built };
}

/** The settlement accepted by both relayers; phase Challenge. */
async function challengeFixture() {
  const r = await settleFixture();
  await settle(r.sys, r.ctx.roundId, r.built.settlement);
  return r;
}

/** Pays each node 300, evaluators 0..3 100 each, and slashes evaluator 4 for not revealing. */
function standardSettlement(sys: System, tag = "standard") {
  const cumulative = new Map<string, bigint>();
  for (const n of sys.acc.nodes) cumulative.set(n.address, 300n * TOKEN);
  for (const e of sys.acc.evaluators.slice(0, 4)) cumulative.set(e.address, 100n * TOKEN);
  return buildSettlement({
    cumulative,
    inferencePaid: 900n * TOKEN,
    evaluatorPaid: 400n * TOKEN,
    slashes: [{ evaluator: addr(sys.acc.evaluators[4].address), reason: Reason.NonReveal }],
    tag,
  });
}

/** A third relayer (quorum stays 2). */
async function withThirdRelayer(sys: System) {
  const r3 = sys.acc.spare[0];
  await sys.settlement.connect(sys.acc.owner).setRelayer(r3.address, true);
  return r3;
}

const hexScores = (values: number[]) =>
  ("0x" + values.map((v) => v.toString(16).padStart(4, "0")).join("")) as Hex;

describe("PoQSettlement", function () {
  describe("constructor", function () {
    it("stores vault, distributor, guardian, relayers and parameters (version 1)", async function () {
      const { settlement, vault, distributor, acc } = await loadFixture(stakedFixture);
      expect(await settlement.vault()).to.equal(await vault.getAddress());
      expect(await settlement.distributor()).to.equal(await distributor.getAddress());
      expect(await settlement.guardian()).to.equal(acc.guardian.address);
      expect(await settlement.isRelayer(acc.relayers[0].address)).to.equal(true);
      expect(await settlement.isRelayer(acc.relayers[1].address)).to.equal(true);
      expect(await settlement.isRelayer(acc.outsider.address)).to.equal(false);
      expect(await settlement.relayerCount()).to.equal(2n);
      expect(paramsOf(await settlement.params())).to.deep.equal(DEFAULT_PARAMS);
      expect(await settlement.paramsVersion()).to.equal(1n);
      expect(await settlement.roundCount()).to.equal(0n);
      expect(await settlement.lastClosedRound()).to.equal(0n);
      expect(await settlement.roundTail()).to.equal(2_400n);
    });

    it("emits GuardianSet, RelayerSet and ParamsSet", async function () {
      const { vault, distributor, acc, settlement } = await loadFixture(stakedFixture);
      const F = await ethers.getContractFactory("PoQSettlement");
      const c = await F.deploy(
        acc.owner.address,
        await vault.getAddress(),
        await distributor.getAddress(),
        acc.guardian.address,
        [acc.relayers[0].address, acc.relayers[1].address],
        DEFAULT_PARAMS,
      );
      const tx = c.deploymentTransaction()!;
      await expect(tx).to.emit(c, "GuardianSet").withArgs(acc.guardian.address);
      await expect(tx).to.emit(c, "RelayerSet").withArgs(acc.relayers[1].address, true);
      await expect(tx).to.emit(c, "ParamsSet").withArgs(1, acc.owner.address, anyValue);
      expect(await settlement.paramsVersion()).to.equal(1n);
    });

    it("fails for a zero vault, distributor, guardian or relayer", async function () {
      const { vault, distributor, acc, settlement } = await loadFixture(stakedFixture);
      const F = await ethers.getContractFactory("PoQSettlement");
      const v = await vault.getAddress();
      const d = await distributor.getAddress();
      const rs = acc.relayers.map((r) => r.address);
      const Z = ethers.ZeroAddress;
      for (const args of [
        [Z, d, acc.guardian.address, rs],
        [v, Z, acc.guardian.address, rs],
        [v, d, Z, rs],
        [v, d, acc.guardian.address, [rs[0], Z]],
      ] as const) {
        await expect(
          F.deploy(acc.owner.address, args[0], args[1], args[2], [...args[3]], DEFAULT_PARAMS),
        ).to.be.revertedWithCustomError(settlement, "ZeroAddress");
      }
    });

    it("fails for a duplicate relayer, a quorum above the relayers, bad bounds or a tail beyond unbonding", async function () {
      const { vault, distributor, acc, settlement } = await loadFixture(stakedFixture);
      const F = await ethers.getContractFactory("PoQSettlement");
      const deploy = (relayers: string[], p: Params) =>
        F.deploy(acc.owner.address, vault, distributor, acc.guardian.address, relayers, p);
      const r = acc.relayers[0].address;
      await expect(deploy([r, r], DEFAULT_PARAMS))
        .to.be.revertedWithCustomError(settlement, "RelayerUnchanged")
        .withArgs(r, true);
      await expect(deploy([r], DEFAULT_PARAMS))
        .to.be.revertedWithCustomError(settlement, "QuorumAboveRelayers")
        .withArgs(2, 1);
      await expect(deploy([r], paramsWith({ quorum: 1, k: 0 })))
        .to.be.revertedWithCustomError(settlement, "ParamOutOfBounds")
        .withArgs("k", 0, 1, 32);
      const long = 3 * 24 * 3600;
      await expect(
        deploy([r], paramsWith({ quorum: 1, commitDuration: long, revealDuration: long, settleDuration: long })),
      )
        .to.be.revertedWithCustomError(settlement, "UnbondingTooShort")
        .withArgs(UNBONDING, 3 * long + DEFAULT_PARAMS.challengeDuration);
    });
  });

  describe("registerTasks", function () {
    it("opens a round with a seed from prevrandao and emits TasksRegistered", async function () {
      const { settlement, acc } = await loadFixture(stakedFixture);
      const root = ethers.id("tasks");
      const tx = await settlement.connect(acc.relayers[1]).registerTasks(root, 7);
      // After the merge, a block's mixHash is its prevrandao.
      const block = await ethers.provider.send("eth_getBlockByNumber", [ethers.toQuantity(tx.blockNumber!), false]);
      const seed = ethers.keccak256(
        ethers.AbiCoder.defaultAbiCoder().encode(["uint256", "uint256", "bytes32"], [block.mixHash, 1, root]),
      );
      await expect(tx)
        .to.emit(settlement, "TasksRegistered")
        .withArgs(1, acc.relayers[1].address, root, 7, seed, DEFAULT_PARAMS.k, 1);
      const r = await settlement.getRound(1);
      expect(r.status).to.equal(Status.Registered);
      expect(r.k).to.equal(DEFAULT_PARAMS.k);
      expect(r.attempt).to.equal(1n);
      expect(r.taskCount).to.equal(7n);
      expect(r.paramsVersion).to.equal(1n);
      expect(r.registeredBlock).to.equal(BigInt(tx.blockNumber!));
      expect(r.taskRoot).to.equal(root);
      expect(r.seed).to.equal(seed);
      expect(await settlement.roundCount()).to.equal(1n);
      expect(await settlement.phaseOf(1)).to.equal(Phase.Assigning);
      expect(await settlement.connect(acc.relayers[0]).registerTasks.staticCall(root, 1)).to.equal(2n);
    });

    it("accepts a batch of exactly maxTasks", async function () {
      const { settlement, acc } = await loadFixture(stakedFixture);
      await expect(settlement.connect(acc.relayers[0]).registerTasks(ethers.id("t"), DEFAULT_PARAMS.maxTasks)).to.emit(
        settlement,
        "TasksRegistered",
      );
    });

    it("fails if the caller is not a relayer", async function () {
      const { settlement, acc } = await loadFixture(stakedFixture);
      await expect(settlement.connect(acc.outsider).registerTasks(ethers.id("t"), 1))
        .to.be.revertedWithCustomError(settlement, "NotRelayer")
        .withArgs(acc.outsider.address);
    });

    it("fails for a zero task root", async function () {
      const { settlement, acc } = await loadFixture(stakedFixture);
      await expect(settlement.connect(acc.relayers[0]).registerTasks(ethers.ZeroHash, 1))
        .to.be.revertedWithCustomError(settlement, "ZeroValue")
        .withArgs("taskRoot");
    });

    it("fails for zero tasks or more than maxTasks", async function () {
      const { settlement, acc } = await loadFixture(stakedFixture);
      const max = DEFAULT_PARAMS.maxTasks;
      await expect(settlement.connect(acc.relayers[0]).registerTasks(ethers.id("t"), 0))
        .to.be.revertedWithCustomError(settlement, "InvalidTaskCount")
        .withArgs(0, max);
      await expect(settlement.connect(acc.relayers[0]).registerTasks(ethers.id("t"), max + 1))
        .to.be.revertedWithCustomError(settlement, "InvalidTaskCount")
        .withArgs(max + 1, max);
    });
  });

  describe("proposeAssignment", function () {
    it("counts votes and opens the commit window at quorum", async function () {
      const { sys, reg } = await loadFixture(assigningFixture);
      const { settlement, acc } = sys;
      const root = ethers.id("assignment");
      await expect(settlement.connect(acc.relayers[0]).proposeAssignment(reg.roundId, root))
        .to.emit(settlement, "AssignmentProposed")
        .withArgs(reg.roundId, acc.relayers[0].address, root, 1)
        .and.not.to.emit(settlement, "AssignmentAccepted");
      expect(await settlement.phaseOf(reg.roundId)).to.equal(Phase.Assigning);
      const tx = await settlement.connect(acc.relayers[1]).proposeAssignment(reg.roundId, root);
      const now = BigInt(await time.latest());
      const commitDeadline = now + BigInt(DEFAULT_PARAMS.commitDuration);
      const revealDeadline = commitDeadline + BigInt(DEFAULT_PARAMS.revealDuration);
      await expect(tx).to.emit(settlement, "AssignmentProposed").withArgs(reg.roundId, acc.relayers[1].address, root, 2);
      await expect(tx)
        .to.emit(settlement, "AssignmentAccepted")
        .withArgs(reg.roundId, acc.relayers[1].address, root, commitDeadline, revealDeadline);
      const r = await settlement.getRound(reg.roundId);
      expect(r.status).to.equal(Status.Active);
      expect(r.assignmentRoot).to.equal(root);
      expect(r.commitDeadline).to.equal(commitDeadline);
      expect(r.revealDeadline).to.equal(revealDeadline);
      expect(r.settleStart).to.equal(revealDeadline);
      expect(await settlement.phaseOf(reg.roundId)).to.equal(Phase.Commit);
    });

    it("does not accept split votes", async function () {
      const { sys, reg } = await loadFixture(assigningFixture);
      await sys.settlement.connect(sys.acc.relayers[0]).proposeAssignment(reg.roundId, ethers.id("a"));
      await expect(sys.settlement.connect(sys.acc.relayers[1]).proposeAssignment(reg.roundId, ethers.id("b")))
        .to.emit(sys.settlement, "AssignmentProposed")
        .withArgs(reg.roundId, sys.acc.relayers[1].address, ethers.id("b"), 1)
        .and.not.to.emit(sys.settlement, "AssignmentAccepted");
      expect(await sys.settlement.phaseOf(reg.roundId)).to.equal(Phase.Assigning);
    });

    it("accepts on the next vote after the owner lowers the quorum mid-round", async function () {
      const { sys, reg } = await loadFixture(assigningFixture);
      const { settlement, acc } = sys;
      const r3 = await withThirdRelayer(sys);
      await settlement.connect(acc.owner).setParams(paramsWith({ quorum: 3 }));
      await settlement.connect(acc.relayers[0]).proposeAssignment(reg.roundId, ethers.id("a"));
      await settlement.connect(acc.relayers[1]).proposeAssignment(reg.roundId, ethers.id("a"));
      await settlement.connect(acc.owner).setParams(paramsWith({ quorum: 1 }));
      // Three votes for a quorum of one: accepted all the same.
      await expect(settlement.connect(r3).proposeAssignment(reg.roundId, ethers.id("a"))).to.emit(
        settlement,
        "AssignmentAccepted",
      );
    });

    it("fails if the caller is not a relayer", async function () {
      const { sys, reg } = await loadFixture(assigningFixture);
      await expect(sys.settlement.connect(sys.acc.outsider).proposeAssignment(reg.roundId, ethers.id("a")))
        .to.be.revertedWithCustomError(sys.settlement, "NotRelayer")
        .withArgs(sys.acc.outsider.address);
    });

    it("fails for an unknown round", async function () {
      const { sys } = await loadFixture(assigningFixture);
      await expect(sys.settlement.connect(sys.acc.relayers[0]).proposeAssignment(2, ethers.id("a")))
        .to.be.revertedWithCustomError(sys.settlement, "UnknownRound")
        .withArgs(2);
    });

    it("fails once the assignment is accepted (wrong phase)", async function () {
      const { sys, ctx } = await loadFixture(commitFixture);
      await expect(sys.settlement.connect(sys.acc.relayers[0]).proposeAssignment(ctx.roundId, ctx.tree.root))
        .to.be.revertedWithCustomError(sys.settlement, "WrongPhase")
        .withArgs(ctx.roundId, Phase.Assigning, Phase.Commit);
    });

    it("fails for a zero root", async function () {
      const { sys, reg } = await loadFixture(assigningFixture);
      await expect(sys.settlement.connect(sys.acc.relayers[0]).proposeAssignment(reg.roundId, ethers.ZeroHash))
        .to.be.revertedWithCustomError(sys.settlement, "ZeroValue")
        .withArgs("assignmentRoot");
    });

    it("fails on a second vote by the same relayer", async function () {
      const { sys, reg } = await loadFixture(assigningFixture);
      const r = sys.acc.relayers[0];
      await sys.settlement.connect(r).proposeAssignment(reg.roundId, ethers.id("a"));
      await expect(sys.settlement.connect(r).proposeAssignment(reg.roundId, ethers.id("b")))
        .to.be.revertedWithCustomError(sys.settlement, "AssignmentAlreadyProposed")
        .withArgs(reg.roundId, r.address);
    });
  });

  describe("commitScores", function () {
    it("stores the commitment and emits ScoresCommitted", async function () {
      const { sys, ctx } = await loadFixture(commitFixture);
      const e = sys.acc.evaluators[0];
      const c = ethers.id("commitment");
      await expect(sys.settlement.connect(e).commitScores(ctx.roundId, c))
        .to.emit(sys.settlement, "ScoresCommitted")
        .withArgs(ctx.roundId, e.address, c);
      const [digest, revealed] = await sys.settlement.scoreRecord(ctx.roundId, e.address);
      // Stored with the low bit cleared (the bit marks a reveal).
      expect(digest).to.equal(ethers.toBeHex(BigInt(c) & ~1n, 32));
      expect(revealed).to.equal(false);
    });

    it("accepts a commitment until just before the commit deadline", async function () {
      const { sys, ctx } = await loadFixture(commitFixture);
      const r = await sys.settlement.getRound(ctx.roundId);
      await time.setNextBlockTimestamp(r.commitDeadline - 1n);
      await expect(sys.settlement.connect(sys.acc.evaluators[0]).commitScores(ctx.roundId, ethers.id("c"))).to.emit(
        sys.settlement,
        "ScoresCommitted",
      );
    });

    it("fails for an unknown round", async function () {
      const { sys } = await loadFixture(commitFixture);
      await expect(sys.settlement.connect(sys.acc.evaluators[0]).commitScores(9, ethers.id("c")))
        .to.be.revertedWithCustomError(sys.settlement, "UnknownRound")
        .withArgs(9);
    });

    it("fails before the assignment is accepted and after the commit deadline", async function () {
      const { sys, reg } = await loadFixture(assigningFixture);
      await expect(sys.settlement.connect(sys.acc.evaluators[0]).commitScores(reg.roundId, ethers.id("c")))
        .to.be.revertedWithCustomError(sys.settlement, "WrongPhase")
        .withArgs(reg.roundId, Phase.Commit, Phase.Assigning);
      const { sys: s2, ctx } = await loadFixture(commitFixture);
      await toReveal(s2, ctx.roundId);
      await expect(s2.settlement.connect(s2.acc.evaluators[0]).commitScores(ctx.roundId, ethers.id("c")))
        .to.be.revertedWithCustomError(s2.settlement, "WrongPhase")
        .withArgs(ctx.roundId, Phase.Commit, Phase.Reveal);
    });

    it("fails for a zero commitment", async function () {
      const { sys, ctx } = await loadFixture(commitFixture);
      await expect(sys.settlement.connect(sys.acc.evaluators[0]).commitScores(ctx.roundId, ethers.ZeroHash))
        .to.be.revertedWithCustomError(sys.settlement, "ZeroValue")
        .withArgs("commitment");
    });

    it("fails on a second commitment by the same evaluator", async function () {
      const { sys, ctx } = await loadFixture(commitFixture);
      const e = sys.acc.evaluators[0];
      await sys.settlement.connect(e).commitScores(ctx.roundId, ethers.id("a"));
      await expect(sys.settlement.connect(e).commitScores(ctx.roundId, ethers.id("b")))
        .to.be.revertedWithCustomError(sys.settlement, "AlreadyCommitted")
        .withArgs(ctx.roundId, e.address);
    });
  });

  describe("revealScores", function () {
    it("checks the commitment and the assignment, stores the scores hash and emits ScoresRevealed", async function () {
      const { sys, ctx, commits } = await loadFixture(revealFixture);
      const e = sys.acc.evaluators[0];
      const c = commits.get(e.address)!;
      await expect(reveal(sys, ctx, e, c))
        .to.emit(sys.settlement, "ScoresRevealed")
        .withArgs(ctx.roundId, e.address, c.packed);
      const [digest, revealed] = await sys.settlement.scoreRecord(ctx.roundId, e.address);
      expect(digest).to.equal(ethers.toBeHex(BigInt(ethers.keccak256(c.packed)) & ~1n, 32));
      expect(revealed).to.equal(true);
    });

    it("accepts the extreme scores 0 and 10000", async function () {
      const { sys, ctx } = await loadFixture(commitFixture);
      const e = sys.acc.evaluators[1];
      const c = await commit(sys, ctx.roundId, e, scoresFor(ctx, e.address, (t) => (t % 2 ? 10_000 : 0)));
      await toReveal(sys, ctx.roundId);
      await expect(reveal(sys, ctx, e, c)).to.emit(sys.settlement, "ScoresRevealed");
    });

    it("fails for an unknown round", async function () {
      const { sys, ctx, commits } = await loadFixture(revealFixture);
      const c = commits.get(sys.acc.evaluators[0].address)!;
      await expect(sys.settlement.connect(sys.acc.evaluators[0]).revealScores(7, c.packed, c.salt, ethers.ZeroHash, []))
        .to.be.revertedWithCustomError(sys.settlement, "UnknownRound")
        .withArgs(7);
      expect(ctx.roundId).to.equal(1n);
    });

    it("fails during the commit window and after the reveal deadline", async function () {
      const { sys, ctx } = await loadFixture(commitFixture);
      const e = sys.acc.evaluators[0];
      const c = await commit(sys, ctx.roundId, e, scoresFor(ctx, e.address, score));
      await expect(reveal(sys, ctx, e, c))
        .to.be.revertedWithCustomError(sys.settlement, "WrongPhase")
        .withArgs(ctx.roundId, Phase.Reveal, Phase.Commit);
      await toSettle(sys, ctx.roundId);
      await expect(reveal(sys, ctx, e, c))
        .to.be.revertedWithCustomError(sys.settlement, "WrongPhase")
        .withArgs(ctx.roundId, Phase.Reveal, Phase.Settle);
    });

    it("fails if the caller did not commit (unknown evaluator)", async function () {
      const { sys, ctx, commits } = await loadFixture(revealFixture);
      const c = commits.get(sys.acc.evaluators[0].address)!;
      const p = assignmentProof(ctx, sys.acc.evaluators[0].address);
      await expect(sys.settlement.connect(sys.acc.outsider).revealScores(ctx.roundId, c.packed, c.salt, p.tasksHash, p.proof))
        .to.be.revertedWithCustomError(sys.settlement, "NotCommitted")
        .withArgs(ctx.roundId, sys.acc.outsider.address);
    });

    it("fails on a second reveal", async function () {
      const { sys, ctx, commits } = await loadFixture(revealFixture);
      const e = sys.acc.evaluators[0];
      await reveal(sys, ctx, e, commits.get(e.address)!);
      await expect(reveal(sys, ctx, e, commits.get(e.address)!))
        .to.be.revertedWithCustomError(sys.settlement, "AlreadyRevealed")
        .withArgs(ctx.roundId, e.address);
    });

    it("fails for empty or odd-length score bytes", async function () {
      const { sys, ctx, commits } = await loadFixture(revealFixture);
      const e = sys.acc.evaluators[0];
      const c = commits.get(e.address)!;
      const p = assignmentProof(ctx, e.address);
      for (const [bytes, len] of [
        ["0x", 0],
        ["0x00", 1],
        ["0x001388", 3],
        [c.packed + "00", (c.packed.length - 2) / 2 + 1],
      ] as const) {
        await expect(sys.settlement.connect(e).revealScores(ctx.roundId, bytes, c.salt, p.tasksHash, p.proof))
          .to.be.revertedWithCustomError(sys.settlement, "MalformedScores")
          .withArgs(len);
      }
    });

    it("fails for a score above 10000, naming its index and value", async function () {
      const { sys, ctx, commits } = await loadFixture(revealFixture);
      const e = sys.acc.evaluators[0];
      const c = commits.get(e.address)!;
      const p = assignmentProof(ctx, e.address);
      const cases: [number[], number, number][] = [
        [[10_001], 0, 10_001],
        [[0, 10_000, 65_535], 2, 65_535],
        // Index 17 sits in the second 32-byte word; index 15 is the last lane of the first.
        [[...Array(17).fill(1), 10_001, 3], 17, 10_001],
        [[...Array(15).fill(10_000), 20_000, 1], 15, 20_000],
        [[...Array(32).fill(0), 10_001], 32, 10_001],
      ];
      for (const [values, index, value] of cases) {
        await expect(sys.settlement.connect(e).revealScores(ctx.roundId, hexScores(values), c.salt, p.tasksHash, p.proof))
          .to.be.revertedWithCustomError(sys.settlement, "ScoreOutOfRange")
          .withArgs(index, value);
      }
    });

    it("fails if the scores or the salt differ from the commitment", async function () {
      const { sys, ctx, commits } = await loadFixture(revealFixture);
      const e = sys.acc.evaluators[0];
      const c = commits.get(e.address)!;
      const p = assignmentProof(ctx, e.address);
      const other = packScores(c.scores.map((s) => s + 1));
      await expect(sys.settlement.connect(e).revealScores(ctx.roundId, other, c.salt, p.tasksHash, p.proof))
        .to.be.revertedWithCustomError(sys.settlement, "RevealMismatch")
        .withArgs(ctx.roundId, e.address);
      await expect(sys.settlement.connect(e).revealScores(ctx.roundId, c.packed, ethers.id("salt"), p.tasksHash, p.proof))
        .to.be.revertedWithCustomError(sys.settlement, "RevealMismatch")
        .withArgs(ctx.roundId, e.address);
    });

    describe("replay", function () {
      it("fails for a commitment copied by another evaluator", async function () {
        const { sys, ctx } = await loadFixture(commitFixture);
        const [e0, e1] = sys.acc.evaluators;
        const c0 = await commit(sys, ctx.roundId, e0, scoresFor(ctx, e0.address, score));
        await sys.settlement.connect(e1).commitScores(ctx.roundId, c0.commitment);
        await toReveal(sys, ctx.roundId);
        const p0 = assignmentProof(ctx, e0.address);
        await expect(sys.settlement.connect(e1).revealScores(ctx.roundId, c0.packed, c0.salt, p0.tasksHash, p0.proof))
          .to.be.revertedWithCustomError(sys.settlement, "RevealMismatch")
          .withArgs(ctx.roundId, e1.address);
        await expect(reveal(sys, ctx, e0, c0)).to.emit(sys.settlement, "ScoresRevealed");
      });

      it("fails for a commitment reused in another round", async function () {
        const { sys, ctx } = await loadFixture(commitFixture);
        const e = sys.acc.evaluators[0];
        const c1 = await commit(sys, ctx.roundId, e, scoresFor(ctx, e.address, score));
        const ctx2 = await openRound(sys, 10, { salt: "second" });
        await sys.settlement.connect(e).commitScores(ctx2.roundId, c1.commitment);
        await toReveal(sys, ctx2.roundId);
        const p = assignmentProof(ctx2, e.address);
        await expect(sys.settlement.connect(e).revealScores(ctx2.roundId, c1.packed, c1.salt, p.tasksHash, p.proof))
          .to.be.revertedWithCustomError(sys.settlement, "RevealMismatch")
          .withArgs(ctx2.roundId, e.address);
      });

      it("fails for a commitment reused on another deployment", async function () {
        const { sys, ctx } = await loadFixture(commitFixture);
        const e = sys.acc.evaluators[0];
        const c = await commit(sys, ctx.roundId, e, scoresFor(ctx, e.address, score));
        const other = await deploySystem();
        await stakeAll(other);
        const ctxB = await openRound(other, 10);
        expect(ctxB.roundId).to.equal(ctx.roundId);
        await other.settlement.connect(e).commitScores(ctxB.roundId, c.commitment);
        await toReveal(other, ctxB.roundId);
        const p = assignmentProof(ctxB, e.address);
        await expect(other.settlement.connect(e).revealScores(ctxB.roundId, c.packed, c.salt, p.tasksHash, p.proof))
          .to.be.revertedWithCustomError(other.settlement, "RevealMismatch")
          .withArgs(ctxB.roundId, e.address);
      });
    });

    it("fails for an evaluator that is not assigned", async function () {
      const { sys, ctx } = await loadFixture(commitFixture);
      const o = sys.acc.outsider;
      const c = await commit(sys, ctx.roundId, o, [5_000, 6_000]);
      await toReveal(sys, ctx.roundId);
      const p = assignmentProof(ctx, sys.acc.evaluators[0].address);
      await expect(sys.settlement.connect(o).revealScores(ctx.roundId, c.packed, c.salt, p.tasksHash, p.proof))
        .to.be.revertedWithCustomError(sys.settlement, "NotAssigned")
        .withArgs(ctx.roundId, o.address, 2);
    });

    it("fails for a wrong score count or a wrong task list", async function () {
      const { sys, ctx } = await loadFixture(commitFixture);
      const [e0, e1] = sys.acc.evaluators;
      const extra = [...scoresFor(ctx, e0.address, score), 7_000];
      const c0 = await commit(sys, ctx.roundId, e0, extra);
      const c1 = await commit(sys, ctx.roundId, e1, scoresFor(ctx, e1.address, score));
      await toReveal(sys, ctx.roundId);
      const p0 = assignmentProof(ctx, e0.address);
      await expect(sys.settlement.connect(e0).revealScores(ctx.roundId, c0.packed, c0.salt, p0.tasksHash, p0.proof))
        .to.be.revertedWithCustomError(sys.settlement, "NotAssigned")
        .withArgs(ctx.roundId, e0.address, extra.length);
      const p1 = assignmentProof(ctx, e1.address);
      await expect(sys.settlement.connect(e1).revealScores(ctx.roundId, c1.packed, c1.salt, ethers.id("tasks"), p1.proof))
        .to.be.revertedWithCustomError(sys.settlement, "NotAssigned")
        .withArgs(ctx.roundId, e1.address, c1.scores.length);
    });
  });

  describe("commitSettlement", function () {
    it("records the commitment for the current attempt and emits SettlementCommitted", async function () {
      const { sys, ctx, built } = await loadFixture(settleFixture);
      const r = sys.acc.relayers[0];
      const { commitment } = await settlementCommit(sys, r.address, ctx.roundId, built.settlement);
      await expect(sys.settlement.connect(r).commitSettlement(ctx.roundId, commitment))
        .to.emit(sys.settlement, "SettlementCommitted")
        .withArgs(ctx.roundId, r.address, 1, commitment);
      expect((await sys.settlement.getRound(ctx.roundId)).settleCommits).to.equal(1n);
    });

    it("fails if the caller is not a relayer", async function () {
      const { sys, ctx } = await loadFixture(settleFixture);
      await expect(sys.settlement.connect(sys.acc.outsider).commitSettlement(ctx.roundId, ethers.id("c")))
        .to.be.revertedWithCustomError(sys.settlement, "NotRelayer")
        .withArgs(sys.acc.outsider.address);
    });

    it("fails for an unknown round and before the reveal deadline", async function () {
      const { sys, ctx } = await loadFixture(revealFixture);
      const r = sys.acc.relayers[0];
      await expect(sys.settlement.connect(r).commitSettlement(2, ethers.id("c")))
        .to.be.revertedWithCustomError(sys.settlement, "UnknownRound")
        .withArgs(2);
      await expect(sys.settlement.connect(r).commitSettlement(ctx.roundId, ethers.id("c")))
        .to.be.revertedWithCustomError(sys.settlement, "WrongPhase")
        .withArgs(ctx.roundId, Phase.Settle, Phase.Reveal);
    });

    it("fails while the previous round is open", async function () {
      const { sys, ctx } = await loadFixture(commitFixture);
      const ctx2 = await openRound(sys, 4, { salt: "second" });
      await toSettle(sys, ctx2.roundId);
      expect(await sys.settlement.phaseOf(ctx.roundId)).to.equal(Phase.Settle);
      await expect(sys.settlement.connect(sys.acc.relayers[0]).commitSettlement(ctx2.roundId, ethers.id("c")))
        .to.be.revertedWithCustomError(sys.settlement, "PreviousRoundOpen")
        .withArgs(ctx2.roundId, ctx.roundId);
    });

    it("fails for a zero commitment", async function () {
      const { sys, ctx } = await loadFixture(settleFixture);
      await expect(sys.settlement.connect(sys.acc.relayers[0]).commitSettlement(ctx.roundId, ethers.ZeroHash))
        .to.be.revertedWithCustomError(sys.settlement, "ZeroValue")
        .withArgs("commitment");
    });

    it("fails on a second commitment in the same attempt", async function () {
      const { sys, ctx } = await loadFixture(settleFixture);
      const r = sys.acc.relayers[0];
      await sys.settlement.connect(r).commitSettlement(ctx.roundId, ethers.id("a"));
      await expect(sys.settlement.connect(r).commitSettlement(ctx.roundId, ethers.id("b")))
        .to.be.revertedWithCustomError(sys.settlement, "SettlementAlreadyCommitted")
        .withArgs(ctx.roundId, r.address);
    });

    it("fails once a settlement was revealed in the attempt", async function () {
      const { sys, ctx, built } = await loadFixture(settleFixture);
      const [r1, r2] = sys.acc.relayers;
      const c1 = await settlementCommit(sys, r1.address, ctx.roundId, built.settlement);
      const c2 = await settlementCommit(sys, r2.address, ctx.roundId, built.settlement);
      await sys.settlement.connect(r1).commitSettlement(ctx.roundId, c1.commitment);
      await sys.settlement.connect(r2).commitSettlement(ctx.roundId, c2.commitment);
      await sys.settlement.connect(r1).revealSettlement(ctx.roundId, built.settlement, c1.salt);
      const r3 = await withThirdRelayer(sys);
      await expect(sys.settlement.connect(r3).commitSettlement(ctx.roundId, ethers.id("late")))
        .to.be.revertedWithCustomError(sys.settlement, "SettlementCommitsClosed")
        .withArgs(ctx.roundId);
    });
  });

  describe("revealSettlement", function () {
    async function committedFixture() {
      const r = await settleFixture();
      const commits = [];
      for (const rel of r.sys.acc.relayers) {
        const c = await settlementCommit(r.sys, rel.address, r.ctx.roundId, r.built.settlement);
        await r.sys.settlement.connect(rel).commitSettlement(r.ctx.roundId, c.commitment);
        commits.push(c);
      }
      return { ...r, commits };
    }

    /** Commits `s` for relayer 0 (after the standard commit of relayer 1) and tries to reveal it. */
    async function revealOwn(r: Awaited<ReturnType<typeof settleFixture>>, s: typeof r.built.settlement) {
      const [r1, r2] = r.sys.acc.relayers;
      const c1 = await settlementCommit(r.sys, r1.address, r.ctx.roundId, s);
      await r.sys.settlement.connect(r1).commitSettlement(r.ctx.roundId, c1.commitment);
      await r.sys.settlement.connect(r2).commitSettlement(r.ctx.roundId, ethers.id("r2"));
      return r.sys.settlement.connect(r1).revealSettlement(r.ctx.roundId, s, c1.salt);
    }

    it("counts matching reveals and accepts at quorum, opening the challenge window", async function () {
      const { sys, ctx, built, commits } = await loadFixture(committedFixture);
      const [r1, r2] = sys.acc.relayers;
      await expect(sys.settlement.connect(r1).revealSettlement(ctx.roundId, built.settlement, commits[0].salt))
        .to.emit(sys.settlement, "SettlementRevealed")
        .withArgs(ctx.roundId, r1.address, 1, built.hash, anyValue)
        .and.not.to.emit(sys.settlement, "SettlementAccepted");
      const tx = await sys.settlement.connect(r2).revealSettlement(ctx.roundId, built.settlement, commits[1].salt);
      const challengeEnd = BigInt(await time.latest()) + BigInt(DEFAULT_PARAMS.challengeDuration);
      await expect(tx)
        .to.emit(sys.settlement, "SettlementAccepted")
        .withArgs(ctx.roundId, r2.address, built.hash, challengeEnd);
      const r = await sys.settlement.getRound(ctx.roundId);
      expect(r.status).to.equal(Status.Accepted);
      expect(r.settlementHash).to.equal(built.hash);
      expect(r.challengeEnd).to.equal(challengeEnd);
      expect(r.settleReveals).to.equal(2n);
      expect(await sys.settlement.phaseOf(ctx.roundId)).to.equal(Phase.Challenge);
    });

    it("does not accept divergent settlements", async function () {
      const { sys, ctx, built } = await loadFixture(settleFixture);
      const [r1, r2] = sys.acc.relayers;
      const other = standardSettlement(sys, "other");
      const c1 = await settlementCommit(sys, r1.address, ctx.roundId, built.settlement);
      const c2 = await settlementCommit(sys, r2.address, ctx.roundId, other.settlement);
      await sys.settlement.connect(r1).commitSettlement(ctx.roundId, c1.commitment);
      await sys.settlement.connect(r2).commitSettlement(ctx.roundId, c2.commitment);
      await sys.settlement.connect(r1).revealSettlement(ctx.roundId, built.settlement, c1.salt);
      await expect(sys.settlement.connect(r2).revealSettlement(ctx.roundId, other.settlement, c2.salt)).not.to.emit(
        sys.settlement,
        "SettlementAccepted",
      );
      expect(await sys.settlement.phaseOf(ctx.roundId)).to.equal(Phase.Settle);
    });

    it("accepts on the next matching reveal after the owner lowers the quorum mid-attempt", async function () {
      const { sys, ctx, built } = await loadFixture(settleFixture);
      const [r1, r2] = sys.acc.relayers;
      const r3 = await withThirdRelayer(sys);
      await sys.settlement.connect(sys.acc.owner).setParams(paramsWith({ quorum: 3 }));
      const other = standardSettlement(sys, "other");
      const cs = [];
      for (const [rel, s] of [
        [r1, built.settlement],
        [r2, built.settlement],
        [r3, other.settlement],
      ] as const) {
        const c = await settlementCommit(sys, rel.address, ctx.roundId, s);
        await sys.settlement.connect(rel).commitSettlement(ctx.roundId, c.commitment);
        cs.push(c);
      }
      await sys.settlement.connect(r1).revealSettlement(ctx.roundId, built.settlement, cs[0].salt);
      await sys.settlement.connect(r3).revealSettlement(ctx.roundId, other.settlement, cs[2].salt);
      await sys.settlement.connect(sys.acc.owner).setParams(paramsWith({ quorum: 1 }));
      await expect(sys.settlement.connect(r2).revealSettlement(ctx.roundId, built.settlement, cs[1].salt))
        .to.emit(sys.settlement, "SettlementAccepted")
        .withArgs(ctx.roundId, r2.address, built.hash, anyValue);
    });

    it("fails if the caller is not a relayer", async function () {
      const { sys, ctx, built, commits } = await loadFixture(committedFixture);
      await expect(sys.settlement.connect(sys.acc.outsider).revealSettlement(ctx.roundId, built.settlement, commits[0].salt))
        .to.be.revertedWithCustomError(sys.settlement, "NotRelayer")
        .withArgs(sys.acc.outsider.address);
    });

    it("fails for an unknown round and outside phase Settle", async function () {
      const { sys, ctx, built, commits } = await loadFixture(challengeFixture);
      const r1 = sys.acc.relayers[0];
      await expect(sys.settlement.connect(r1).revealSettlement(3, built.settlement, ethers.ZeroHash))
        .to.be.revertedWithCustomError(sys.settlement, "UnknownRound")
        .withArgs(3);
      await expect(sys.settlement.connect(r1).revealSettlement(ctx.roundId, built.settlement, ethers.ZeroHash))
        .to.be.revertedWithCustomError(sys.settlement, "WrongPhase")
        .withArgs(ctx.roundId, Phase.Settle, Phase.Challenge);
      expect(commits.size).to.be.greaterThan(0);
    });

    it("fails before quorum relayers have committed", async function () {
      const { sys, ctx, built } = await loadFixture(settleFixture);
      const r1 = sys.acc.relayers[0];
      const c = await settlementCommit(sys, r1.address, ctx.roundId, built.settlement);
      await sys.settlement.connect(r1).commitSettlement(ctx.roundId, c.commitment);
      await expect(sys.settlement.connect(r1).revealSettlement(ctx.roundId, built.settlement, c.salt))
        .to.be.revertedWithCustomError(sys.settlement, "SettlementRevealsNotOpen")
        .withArgs(ctx.roundId, 1, 2);
    });

    it("fails for a relayer that did not commit in this attempt", async function () {
      const { sys, ctx, built, commits } = await loadFixture(committedFixture);
      const r3 = await withThirdRelayer(sys);
      await expect(sys.settlement.connect(r3).revealSettlement(ctx.roundId, built.settlement, commits[0].salt))
        .to.be.revertedWithCustomError(sys.settlement, "SettlementNotCommitted")
        .withArgs(ctx.roundId, r3.address);
    });

    it("fails on a second reveal by the same relayer", async function () {
      const { sys, ctx, built, commits } = await loadFixture(committedFixture);
      const r1 = sys.acc.relayers[0];
      await sys.settlement.connect(r1).revealSettlement(ctx.roundId, built.settlement, commits[0].salt);
      await expect(sys.settlement.connect(r1).revealSettlement(ctx.roundId, built.settlement, commits[0].salt))
        .to.be.revertedWithCustomError(sys.settlement, "SettlementAlreadyRevealed")
        .withArgs(ctx.roundId, r1.address);
    });

    it("fails if the settlement or salt differ from the commitment (no copying another relayer)", async function () {
      const { sys, ctx, built, commits } = await loadFixture(committedFixture);
      const [r1, r2] = sys.acc.relayers;
      const other = standardSettlement(sys, "other");
      await expect(sys.settlement.connect(r1).revealSettlement(ctx.roundId, other.settlement, commits[0].salt))
        .to.be.revertedWithCustomError(sys.settlement, "SettlementRevealMismatch")
        .withArgs(ctx.roundId, r1.address);
      // Relayer 2 replaying relayer 1's salt: its commitment binds its own address.
      await expect(sys.settlement.connect(r2).revealSettlement(ctx.roundId, built.settlement, commits[0].salt))
        .to.be.revertedWithCustomError(sys.settlement, "SettlementRevealMismatch")
        .withArgs(ctx.roundId, r2.address);
    });

    it("fails for a settlement under another parameter version", async function () {
      const r = await loadFixture(settleFixture);
      const s = { ...r.built.settlement, paramsVersion: 2 };
      await expect(revealOwn(r, s)).to.be.revertedWithCustomError(r.sys.settlement, "ParamsVersionMismatch").withArgs(1, 2);
    });

    it("fails for a round registered before a parameter change, settled with the new version", async function () {
      const r = await loadFixture(settleFixture);
      await r.sys.settlement.connect(r.sys.acc.owner).setParams(paramsWith({ maxVetoes: 1 }));
      expect(await r.sys.settlement.paramsVersion()).to.equal(2n);
      const s = { ...r.built.settlement, paramsVersion: 2 };
      await expect(revealOwn(r, s)).to.be.revertedWithCustomError(r.sys.settlement, "ParamsVersionMismatch").withArgs(1, 2);
    });

    it("fails for a slash list longer than maxSlashes", async function () {
      const r = await loadFixture(settleFixture);
      await r.sys.settlement.connect(r.sys.acc.owner).setParams(paramsWith({ maxSlashes: 1 }));
      const slashes = r.sys.acc.evaluators.slice(3).map((e) => ({ evaluator: addr(e.address), reason: Reason.NonReveal }));
      const s = { ...r.built.settlement, slashes: slashes.sort((a, b) => (BigInt(a.evaluator) < BigInt(b.evaluator) ? -1 : 1)) };
      await expect(revealOwn(r, s)).to.be.revertedWithCustomError(r.sys.settlement, "TooManySlashes").withArgs(2, 1);
    });

    it("fails for a slash list not strictly ascending", async function () {
      const r = await loadFixture(settleFixture);
      const [a, b] = [r.sys.acc.evaluators[3].address, r.sys.acc.evaluators[4].address]
        .map((x) => addr(x))
        .sort((x, y) => (BigInt(x) < BigInt(y) ? -1 : 1));
      const desc = { ...r.built.settlement, slashes: [{ evaluator: b, reason: 1 }, { evaluator: a, reason: 2 }] };
      await expect(revealOwn(r, desc as never)).to.be.revertedWithCustomError(r.sys.settlement, "SlashesNotSorted").withArgs(1);
    });

    it("fails for a duplicate slash entry", async function () {
      const r = await loadFixture(settleFixture);
      const e = addr(r.sys.acc.evaluators[4].address);
      const dup = { ...r.built.settlement, slashes: [{ evaluator: e, reason: 1 }, { evaluator: e, reason: 2 }] };
      await expect(revealOwn(r, dup as never)).to.be.revertedWithCustomError(r.sys.settlement, "SlashesNotSorted").withArgs(1);
    });

    it("fails for an unknown slash reason", async function () {
      for (const reason of [0, 3]) {
        const r = await loadFixture(settleFixture);
        const e = addr(r.sys.acc.evaluators[4].address);
        const s = { ...r.built.settlement, slashes: [{ evaluator: e, reason }] };
        await expect(revealOwn(r, s as never))
          .to.be.revertedWithCustomError(r.sys.settlement, "InvalidSlashReason")
          .withArgs(0, reason);
      }
    });

    it("fails if a pool pays more than was funded", async function () {
      const r = await loadFixture(settleFixture);
      const tooMuchInference = { ...r.built.settlement, inferencePaid: INFERENCE_POOL + 1n };
      await expect(revealOwn(r, tooMuchInference))
        .to.be.revertedWithCustomError(r.sys.settlement, "SettlementExceedsFunding")
        .withArgs(r.ctx.roundId, INFERENCE_POOL + 1n, INFERENCE_POOL);
      const r2 = await loadFixture(settleFixture);
      const tooMuchEvaluator = { ...r2.built.settlement, evaluatorPaid: EVALUATOR_POOL + 1n };
      await expect(revealOwn(r2, tooMuchEvaluator))
        .to.be.revertedWithCustomError(r2.sys.settlement, "SettlementExceedsFunding")
        .withArgs(r2.ctx.roundId, EVALUATOR_POOL + 1n, EVALUATOR_POOL);
    });

    it("fails if the cumulative total is not the allocation plus this round's payments", async function () {
      const r = await loadFixture(settleFixture);
      const expected = 1_300n * TOKEN;
      const s = { ...r.built.settlement, cumulativeTotal: expected + 1n };
      await expect(revealOwn(r, s))
        .to.be.revertedWithCustomError(r.sys.settlement, "CumulativeTotalMismatch")
        .withArgs(expected, expected + 1n);
    });
  });

  describe("vetoSettlement", function () {
    it("vetoes an accepted settlement in the challenge window and reopens settlement", async function () {
      const { sys, ctx, built } = await loadFixture(challengeFixture);
      await expect(sys.settlement.connect(sys.acc.guardian).vetoSettlement(ctx.roundId))
        .to.emit(sys.settlement, "SettlementVetoed")
        .withArgs(ctx.roundId, sys.acc.guardian.address, built.hash, 2);
      const r = await sys.settlement.getRound(ctx.roundId);
      expect(r.status).to.equal(Status.Active);
      expect(r.vetoes).to.equal(1n);
      expect(r.attempt).to.equal(2n);
      expect(r.settlementHash).to.equal(ethers.ZeroHash);
      expect(r.challengeEnd).to.equal(0n);
      expect(r.settleCommits).to.equal(0n);
      expect(r.settleReveals).to.equal(0n);
      expect(r.settleStart).to.equal(BigInt(await time.latest()));
      expect(await sys.settlement.phaseOf(ctx.roundId)).to.equal(Phase.Settle);
    });

    it("resets an attempt without quorum once settleDuration has passed, without counting a veto", async function () {
      const { sys, ctx, built } = await loadFixture(settleFixture);
      const [r1, r2] = sys.acc.relayers;
      const other = standardSettlement(sys, "other");
      const c1 = await settlementCommit(sys, r1.address, ctx.roundId, built.settlement);
      const c2 = await settlementCommit(sys, r2.address, ctx.roundId, other.settlement);
      await sys.settlement.connect(r1).commitSettlement(ctx.roundId, c1.commitment);
      await sys.settlement.connect(r2).commitSettlement(ctx.roundId, c2.commitment);
      await sys.settlement.connect(r1).revealSettlement(ctx.roundId, built.settlement, c1.salt);
      await sys.settlement.connect(r2).revealSettlement(ctx.roundId, other.settlement, c2.salt);
      const settleStart = (await sys.settlement.getRound(ctx.roundId)).settleStart;
      await time.setNextBlockTimestamp(settleStart + BigInt(DEFAULT_PARAMS.settleDuration) - 1n);
      await expect(sys.settlement.connect(sys.acc.guardian).vetoSettlement(ctx.roundId))
        .to.be.revertedWithCustomError(sys.settlement, "VetoNotAllowed")
        .withArgs(ctx.roundId, Phase.Settle);
      await expect(sys.settlement.connect(sys.acc.guardian).vetoSettlement(ctx.roundId))
        .to.emit(sys.settlement, "SettlementVetoed")
        .withArgs(ctx.roundId, sys.acc.guardian.address, ethers.ZeroHash, 2);
      const r = await sys.settlement.getRound(ctx.roundId);
      expect([r.vetoes, r.attempt, r.settleCommits, r.settleReveals]).to.deep.equal([0n, 2n, 0n, 0n]);
      // Commitments of attempt 1 are void.
      await expect(sys.settlement.connect(r1).revealSettlement(ctx.roundId, built.settlement, c1.salt))
        .to.be.revertedWithCustomError(sys.settlement, "SettlementRevealsNotOpen")
        .withArgs(ctx.roundId, 0, 2);
      // Attempt 2 settles normally.
      await settle(sys, ctx.roundId, built.settlement);
      expect(await sys.settlement.phaseOf(ctx.roundId)).to.equal(Phase.Challenge);
    });

    it("fails if the caller is not the guardian", async function () {
      const { sys, ctx } = await loadFixture(challengeFixture);
      await expect(sys.settlement.connect(sys.acc.owner).vetoSettlement(ctx.roundId))
        .to.be.revertedWithCustomError(sys.settlement, "NotGuardian")
        .withArgs(sys.acc.owner.address);
    });

    it("fails for an unknown round", async function () {
      const { sys } = await loadFixture(challengeFixture);
      await expect(sys.settlement.connect(sys.acc.guardian).vetoSettlement(5))
        .to.be.revertedWithCustomError(sys.settlement, "UnknownRound")
        .withArgs(5);
    });

    it("fails outside the challenge window and the stuck-settlement reset", async function () {
      const { sys, ctx } = await loadFixture(commitFixture);
      await expect(sys.settlement.connect(sys.acc.guardian).vetoSettlement(ctx.roundId))
        .to.be.revertedWithCustomError(sys.settlement, "VetoNotAllowed")
        .withArgs(ctx.roundId, Phase.Commit);
      const c = await loadFixture(challengeFixture);
      await toFinalizable(c.sys, c.ctx.roundId);
      await expect(c.sys.settlement.connect(c.sys.acc.guardian).vetoSettlement(c.ctx.roundId))
        .to.be.revertedWithCustomError(c.sys.settlement, "VetoNotAllowed")
        .withArgs(c.ctx.roundId, Phase.Finalizable);
    });

    it("fails after maxVetoes vetoes", async function () {
      const { sys, ctx, built } = await loadFixture(challengeFixture);
      const g = sys.acc.guardian;
      await sys.settlement.connect(g).vetoSettlement(ctx.roundId);
      await settle(sys, ctx.roundId, built.settlement);
      await sys.settlement.connect(g).vetoSettlement(ctx.roundId);
      await settle(sys, ctx.roundId, built.settlement);
      await expect(sys.settlement.connect(g).vetoSettlement(ctx.roundId))
        .to.be.revertedWithCustomError(sys.settlement, "VetoLimitReached")
        .withArgs(ctx.roundId, DEFAULT_PARAMS.maxVetoes);
    });
  });

  describe("cancelRound", function () {
    for (const [phase, fixture] of [
      ["Assigning", assigningFixture],
      ["Commit", commitFixture],
      ["Reveal", revealFixture],
      ["Settle", settleFixture],
    ] as const) {
      it(`cancels a round in phase ${phase}, settling it in the distributor with nothing paid`, async function () {
        const { sys } = await loadFixture(fixture as () => Promise<{ sys: System }>);
        const before = await sys.distributor.root();
        const funds = await sys.distributor.roundFunds(1);
        await expect(sys.settlement.connect(sys.acc.guardian).cancelRound(1))
          .to.emit(sys.settlement, "RoundCancelled")
          .withArgs(1, sys.acc.guardian.address);
        expect(await sys.settlement.phaseOf(1)).to.equal(Phase.Cancelled);
        expect(await sys.settlement.lastClosedRound()).to.equal(1n);
        const f = await sys.distributor.roundFunds(1);
        expect([f.settled, f.allocated]).to.deep.equal([true, 0n]);
        expect(await sys.distributor.root()).to.equal(before);
        expect(await sys.distributor.sweepable()).to.equal(f.inferencePool + f.evaluatorPool);
        expect(f.inferencePool).to.equal(funds.inferencePool);
      });
    }

    it("fails if the caller is not the guardian", async function () {
      const { sys } = await loadFixture(commitFixture);
      await expect(sys.settlement.connect(sys.acc.relayers[0]).cancelRound(1))
        .to.be.revertedWithCustomError(sys.settlement, "NotGuardian")
        .withArgs(sys.acc.relayers[0].address);
    });

    it("fails for an unknown round", async function () {
      const { sys } = await loadFixture(commitFixture);
      await expect(sys.settlement.connect(sys.acc.guardian).cancelRound(2))
        .to.be.revertedWithCustomError(sys.settlement, "UnknownRound")
        .withArgs(2);
    });

    it("fails once a settlement is accepted, finalized or the round cancelled", async function () {
      const { sys, ctx, built } = await loadFixture(challengeFixture);
      const g = sys.acc.guardian;
      await expect(sys.settlement.connect(g).cancelRound(ctx.roundId))
        .to.be.revertedWithCustomError(sys.settlement, "VetoNotAllowed")
        .withArgs(ctx.roundId, Phase.Challenge);
      await toFinalizable(sys, ctx.roundId);
      await expect(sys.settlement.connect(g).cancelRound(ctx.roundId))
        .to.be.revertedWithCustomError(sys.settlement, "VetoNotAllowed")
        .withArgs(ctx.roundId, Phase.Finalizable);
      await sys.settlement.finalize(ctx.roundId, built.settlement);
      await expect(sys.settlement.connect(g).cancelRound(ctx.roundId))
        .to.be.revertedWithCustomError(sys.settlement, "VetoNotAllowed")
        .withArgs(ctx.roundId, Phase.Finalized);
      const ctx2 = await openRound(sys, 2, { salt: "2" });
      await sys.settlement.connect(g).cancelRound(ctx2.roundId);
      await expect(sys.settlement.connect(g).cancelRound(ctx2.roundId))
        .to.be.revertedWithCustomError(sys.settlement, "VetoNotAllowed")
        .withArgs(ctx2.roundId, Phase.Cancelled);
    });

    it("lets the next round settle and finalize; rounds close in order", async function () {
      const { sys, ctx } = await loadFixture(commitFixture);
      const ctx2 = await openRound(sys, 4, { salt: "second" });
      const ctx3 = await openRound(sys, 4, { salt: "third" });
      await fund(sys, ctx2.roundId, 100n * TOKEN, 0n);
      await toSettle(sys, ctx3.roundId);
      // Cancelling round 3 first closes it, but the pointer waits for rounds 1 and 2.
      await sys.settlement.connect(sys.acc.guardian).cancelRound(ctx3.roundId);
      expect(await sys.settlement.lastClosedRound()).to.equal(0n);
      const s2 = buildSettlement({
        cumulative: new Map([[sys.acc.nodes[0].address, 100n * TOKEN]]),
        inferencePaid: 100n * TOKEN,
        evaluatorPaid: 0n,
      }).settlement;
      await expect(settle(sys, ctx2.roundId, s2))
        .to.be.revertedWithCustomError(sys.settlement, "PreviousRoundOpen")
        .withArgs(ctx2.roundId, ctx.roundId);
      await sys.settlement.connect(sys.acc.guardian).cancelRound(ctx.roundId);
      expect(await sys.settlement.lastClosedRound()).to.equal(1n);
      await settleAndFinalize(sys, ctx2.roundId, s2);
      expect(await sys.settlement.lastClosedRound()).to.equal(3n);
      expect(await allocated(sys)).to.equal(100n * TOKEN);
    });
  });

  describe("finalize", function () {
    it("installs the root, executes the slashes and emits RoundFinalized", async function () {
      const { sys, ctx, built } = await loadFixture(challengeFixture);
      await toFinalizable(sys, ctx.roundId);
      const e4 = sys.acc.evaluators[4];
      const stake = (await sys.vault.stakeOf(e4.address, Role.Evaluator)).active;
      const slashed = (stake * BigInt(DEFAULT_PARAMS.nonRevealSlashBps) + 9_999n) / 10_000n;
      const tx = await sys.settlement.connect(sys.acc.outsider).finalize(ctx.roundId, built.settlement);
      await expect(tx)
        .to.emit(sys.settlement, "RoundFinalized")
        .withArgs(ctx.roundId, sys.acc.outsider.address, built.hash, slashed);
      await expect(tx)
        .to.emit(sys.distributor, "RootUpdated")
        .withArgs(ctx.roundId, await sys.settlement.getAddress(), built.settlement.rewardsRoot, 1_300n * TOKEN, 900n * TOKEN, 400n * TOKEN);
      await expect(tx)
        .to.emit(sys.vault, "Slashed")
        .withArgs(ctx.roundId, e4.address, Role.Evaluator, Reason.NonReveal, slashed, sys.acc.treasury.address);
      await expect(tx).to.changeTokenBalances(sys.token, [sys.vault, sys.acc.treasury], [-slashed, slashed]);
      expect(await sys.settlement.phaseOf(ctx.roundId)).to.equal(Phase.Finalized);
      expect((await sys.settlement.getRound(ctx.roundId)).status).to.equal(Status.Finalized);
      expect(await sys.settlement.lastClosedRound()).to.equal(1n);
      expect(await sys.distributor.root()).to.equal(built.settlement.rewardsRoot);
      expect((await sys.vault.stakeOf(e4.address, Role.Evaluator)).active).to.equal(stake - slashed);
    });

    it("skips a NonReveal slash of an evaluator that revealed, and executes LowTrust slashes", async function () {
      const { sys, ctx } = await loadFixture(settleFixture);
      const [e0, e1] = sys.acc.evaluators;
      const s = standardSettlement(sys, "slashes").settlement;
      s.slashes = [
        { evaluator: addr(e0.address), reason: Reason.NonReveal },
        { evaluator: addr(e1.address), reason: Reason.LowTrust },
      ].sort((a, b) => (BigInt(a.evaluator) < BigInt(b.evaluator) ? -1 : 1)) as typeof s.slashes;
      await settle(sys, ctx.roundId, s);
      await toFinalizable(sys, ctx.roundId);
      const stake1 = (await sys.vault.stakeOf(e1.address, Role.Evaluator)).active;
      const lowTrust = (stake1 * BigInt(DEFAULT_PARAMS.lowTrustSlashBps) + 9_999n) / 10_000n;
      const tx = await sys.settlement.finalize(ctx.roundId, s);
      await expect(tx).to.emit(sys.settlement, "SlashSkipped").withArgs(ctx.roundId, e0.address, Reason.NonReveal);
      await expect(tx)
        .to.emit(sys.vault, "Slashed")
        .withArgs(ctx.roundId, e1.address, Role.Evaluator, Reason.LowTrust, lowTrust, sys.acc.treasury.address);
      await expect(tx).to.emit(sys.settlement, "RoundFinalized").withArgs(ctx.roundId, anyValue, hashSettlement(s), lowTrust);
      expect((await sys.vault.stakeOf(e0.address, Role.Evaluator)).lastSlashedRound).to.equal(0n);
    });

    it("caps each slash at the vault's current cap; slashes nothing from an account without stake", async function () {
      const { sys, ctx } = await loadFixture(settleFixture);
      await sys.settlement.connect(sys.acc.owner).setParams(paramsWith({ lowTrustSlashBps: 5_000 }));
      await sys.vault.connect(sys.acc.owner).setMaxSlashBps(300);
      const e2 = sys.acc.evaluators[2];
      const s = standardSettlement(sys, "cap").settlement;
      s.slashes = [
        { evaluator: addr(e2.address), reason: Reason.LowTrust },
        { evaluator: addr(sys.acc.outsider.address), reason: Reason.LowTrust },
      ].sort((a, b) => (BigInt(a.evaluator) < BigInt(b.evaluator) ? -1 : 1)) as typeof s.slashes;
      await settle(sys, ctx.roundId, s);
      await toFinalizable(sys, ctx.roundId);
      const stake = (await sys.vault.stakeOf(e2.address, Role.Evaluator)).active;
      const capped = (stake * 300n + 9_999n) / 10_000n;
      const tx = await sys.settlement.finalize(ctx.roundId, s);
      await expect(tx)
        .to.emit(sys.vault, "Slashed")
        .withArgs(ctx.roundId, e2.address, Role.Evaluator, Reason.LowTrust, capped, sys.acc.treasury.address);
      await expect(tx).to.emit(sys.settlement, "RoundFinalized").withArgs(ctx.roundId, anyValue, anyValue, capped);
    });

    it("slashes the queued stake of an evaluator that unstaked after committing", async function () {
      const { sys, ctx, built } = await loadFixture(settleFixture);
      const e4 = sys.acc.evaluators[4];
      const active = (await sys.vault.stakeOf(e4.address, Role.Evaluator)).active;
      await sys.vault.connect(e4).requestUnstake(Role.Evaluator, active);
      await settle(sys, ctx.roundId, built.settlement);
      await toFinalizable(sys, ctx.roundId);
      const slashed = (active * BigInt(DEFAULT_PARAMS.nonRevealSlashBps) + 9_999n) / 10_000n;
      await expect(sys.settlement.finalize(ctx.roundId, built.settlement))
        .to.emit(sys.vault, "Slashed")
        .withArgs(ctx.roundId, e4.address, Role.Evaluator, Reason.NonReveal, slashed, sys.acc.treasury.address);
      const st = await sys.vault.stakeOf(e4.address, Role.Evaluator);
      expect([st.active, st.queued]).to.deep.equal([0n, active - slashed]);
    });

    it("fails for an unknown round", async function () {
      const { sys, built } = await loadFixture(challengeFixture);
      await expect(sys.settlement.finalize(4, built.settlement))
        .to.be.revertedWithCustomError(sys.settlement, "UnknownRound")
        .withArgs(4);
    });

    it("fails during the challenge window and once finalized", async function () {
      const { sys, ctx, built } = await loadFixture(challengeFixture);
      const r = await sys.settlement.getRound(ctx.roundId);
      await time.setNextBlockTimestamp(r.challengeEnd - 1n);
      await expect(sys.settlement.finalize(ctx.roundId, built.settlement))
        .to.be.revertedWithCustomError(sys.settlement, "WrongPhase")
        .withArgs(ctx.roundId, Phase.Finalizable, Phase.Challenge);
      await sys.settlement.finalize(ctx.roundId, built.settlement);
      await expect(sys.settlement.finalize(ctx.roundId, built.settlement))
        .to.be.revertedWithCustomError(sys.settlement, "WrongPhase")
        .withArgs(ctx.roundId, Phase.Finalizable, Phase.Finalized);
    });

    it("fails for a settlement other than the accepted one", async function () {
      const { sys, ctx, built } = await loadFixture(challengeFixture);
      await toFinalizable(sys, ctx.roundId);
      const other = standardSettlement(sys, "other");
      await expect(sys.settlement.finalize(ctx.roundId, other.settlement))
        .to.be.revertedWithCustomError(sys.settlement, "SettlementMismatch")
        .withArgs(ctx.roundId, built.hash, other.hash);
    });
  });

  describe("setParams", function () {
    it("sets all parameters, bumps the version and emits ParamsSet", async function () {
      const { settlement, acc } = await loadFixture(stakedFixture);
      const p = paramsWith({ k: 5, commitDuration: 60, policyHash: ethers.id("policy-v2") });
      await expect(settlement.connect(acc.owner).setParams(p))
        .to.emit(settlement, "ParamsSet")
        .withArgs(2, acc.owner.address, anyValue);
      expect(paramsOf(await settlement.params())).to.deep.equal(p);
      expect(await settlement.paramsVersion()).to.equal(2n);
      expect(await settlement.roundTail()).to.equal(60n + 600n * 3n);
    });

    it("keeps the version a round was registered under", async function () {
      const { sys, ctx } = await loadFixture(commitFixture);
      await sys.settlement.connect(sys.acc.owner).setParams(paramsWith({ k: 4 }));
      const r = await sys.settlement.getRound(ctx.roundId);
      expect([r.paramsVersion, r.k]).to.deep.equal([1n, 3n]);
      const reg2 = await registerRound(sys, 3, "v2");
      const r2 = await sys.settlement.getRound(reg2.roundId);
      expect([r2.paramsVersion, r2.k]).to.deep.equal([2n, 4n]);
    });

    it("fails for the parameters in force and for a non-owner", async function () {
      const { settlement, acc } = await loadFixture(stakedFixture);
      await expect(settlement.connect(acc.owner).setParams(DEFAULT_PARAMS)).to.be.revertedWithCustomError(
        settlement,
        "ParamsUnchanged",
      );
      await expect(settlement.connect(acc.outsider).setParams(paramsWith({ k: 4 })))
        .to.be.revertedWithCustomError(settlement, "OwnableUnauthorizedAccount")
        .withArgs(acc.outsider.address);
    });

    it("fails for each field outside its hard bounds", async function () {
      const { settlement, acc } = await loadFixture(stakedFixture);
      const D = 30 * 24 * 3600;
      const cases: [keyof Params, number, number, number][] = [
        ["commitDuration", 0, 1, D],
        ["commitDuration", D + 1, 1, D],
        ["revealDuration", 0, 1, D],
        ["revealDuration", D + 1, 1, D],
        ["settleDuration", 0, 1, D],
        ["settleDuration", D + 1, 1, D],
        ["challengeDuration", 0, 1, D],
        ["challengeDuration", D + 1, 1, D],
        ["maxTasks", 0, 1, 100_000],
        ["maxTasks", 100_001, 1, 100_000],
        ["maxSlashes", 257, 0, 256],
        ["nonRevealSlashBps", 5_001, 0, 5_000],
        ["lowTrustSlashBps", 5_001, 0, 5_000],
        ["k", 0, 1, 32],
        ["k", 33, 1, 32],
        ["quorum", 0, 1, 32],
        ["quorum", 33, 1, 32],
        ["maxVetoes", 6, 0, 5],
      ];
      for (const [name, value, min, max] of cases) {
        await expect(settlement.connect(acc.owner).setParams(paramsWith({ [name]: value })))
          .to.be.revertedWithCustomError(settlement, "ParamOutOfBounds")
          .withArgs(name, value, min, max);
      }
    });

    it("fails for a quorum above the relayers or a round tail not shorter than unbonding", async function () {
      const { settlement, acc } = await loadFixture(stakedFixture);
      await expect(settlement.connect(acc.owner).setParams(paramsWith({ quorum: 3 })))
        .to.be.revertedWithCustomError(settlement, "QuorumAboveRelayers")
        .withArgs(3, 2);
      const quarter = UNBONDING / 4;
      await expect(
        settlement.connect(acc.owner).setParams(
          paramsWith({ commitDuration: quarter, revealDuration: quarter, settleDuration: quarter, challengeDuration: quarter }),
        ),
      )
        .to.be.revertedWithCustomError(settlement, "UnbondingTooShort")
        .withArgs(UNBONDING, UNBONDING);
    });
  });

  describe("setRelayer", function () {
    it("adds and removes relayers and emits RelayerSet", async function () {
      const { settlement, acc } = await loadFixture(stakedFixture);
      const r3 = acc.spare[0];
      await expect(settlement.connect(acc.owner).setRelayer(r3.address, true))
        .to.emit(settlement, "RelayerSet")
        .withArgs(r3.address, true);
      expect(await settlement.isRelayer(r3.address)).to.equal(true);
      expect(await settlement.relayerCount()).to.equal(3n);
      await expect(settlement.connect(acc.owner).setRelayer(acc.relayers[0].address, false))
        .to.emit(settlement, "RelayerSet")
        .withArgs(acc.relayers[0].address, false);
      expect(await settlement.relayerCount()).to.equal(2n);
      await expect(settlement.connect(acc.relayers[0]).registerTasks(ethers.id("t"), 1))
        .to.be.revertedWithCustomError(settlement, "NotRelayer")
        .withArgs(acc.relayers[0].address);
    });

    it("fails for the zero address, an unchanged state, a removal below quorum, and a non-owner", async function () {
      const { settlement, acc } = await loadFixture(stakedFixture);
      await expect(settlement.connect(acc.owner).setRelayer(ethers.ZeroAddress, true)).to.be.revertedWithCustomError(
        settlement,
        "ZeroAddress",
      );
      await expect(settlement.connect(acc.owner).setRelayer(acc.relayers[0].address, true))
        .to.be.revertedWithCustomError(settlement, "RelayerUnchanged")
        .withArgs(acc.relayers[0].address, true);
      await expect(settlement.connect(acc.owner).setRelayer(acc.outsider.address, false))
        .to.be.revertedWithCustomError(settlement, "RelayerUnchanged")
        .withArgs(acc.outsider.address, false);
      await expect(settlement.connect(acc.owner).setRelayer(acc.relayers[0].address, false))
        .to.be.revertedWithCustomError(settlement, "QuorumAboveRelayers")
        .withArgs(2, 1);
      await expect(settlement.connect(acc.outsider).setRelayer(acc.outsider.address, true))
        .to.be.revertedWithCustomError(settlement, "OwnableUnauthorizedAccount")
        .withArgs(acc.outsider.address);
    });

    it("fails beyond 128 relayers", async function () {
      const { settlement, acc } = await loadFixture(stakedFixture);
      for (let i = 0; i < 126; i++) {
        await settlement.connect(acc.owner).setRelayer(ethers.toBeHex(0x1000 + i, 20), true);
      }
      expect(await settlement.relayerCount()).to.equal(128n);
      await expect(settlement.connect(acc.owner).setRelayer(ethers.toBeHex(0x9999, 20), true))
        .to.be.revertedWithCustomError(settlement, "ParamOutOfBounds")
        .withArgs("relayers", 129, 1, 128);
    });
  });

  describe("setGuardian", function () {
    it("sets the guardian and emits GuardianSet", async function () {
      const { settlement, acc } = await loadFixture(stakedFixture);
      await expect(settlement.connect(acc.owner).setGuardian(acc.outsider.address))
        .to.emit(settlement, "GuardianSet")
        .withArgs(acc.outsider.address);
      expect(await settlement.guardian()).to.equal(acc.outsider.address);
    });

    it("fails for the zero address, the guardian in force, and a non-owner", async function () {
      const { settlement, acc } = await loadFixture(stakedFixture);
      await expect(settlement.connect(acc.owner).setGuardian(ethers.ZeroAddress)).to.be.revertedWithCustomError(
        settlement,
        "ZeroAddress",
      );
      await expect(settlement.connect(acc.owner).setGuardian(acc.guardian.address)).to.be.revertedWithCustomError(
        settlement,
        "ParamsUnchanged",
      );
      await expect(settlement.connect(acc.guardian).setGuardian(acc.outsider.address))
        .to.be.revertedWithCustomError(settlement, "OwnableUnauthorizedAccount")
        .withArgs(acc.guardian.address);
    });
  });

  describe("views", function () {
    it("phaseOf walks through every phase of a round", async function () {
      const sys = await loadFixture(stakedFixture);
      const phase = () => sys.settlement.phaseOf(1);
      expect(await phase()).to.equal(Phase.None);
      const reg = await registerRound(sys, 3);
      expect(await phase()).to.equal(Phase.Assigning);
      const tree = buildAssignmentTree(new Map([[addr(sys.acc.evaluators[0].address), [0, 1, 2]]]));
      await acceptAssignment(sys, reg.roundId, tree.root);
      expect(await phase()).to.equal(Phase.Commit);
      await toReveal(sys, reg.roundId);
      expect(await phase()).to.equal(Phase.Reveal);
      await toSettle(sys, reg.roundId);
      expect(await phase()).to.equal(Phase.Settle);
      const b = buildSettlement({ cumulative: new Map(), inferencePaid: 0n, evaluatorPaid: 0n });
      await settle(sys, reg.roundId, b.settlement);
      expect(await phase()).to.equal(Phase.Challenge);
      await toFinalizable(sys, reg.roundId);
      expect(await phase()).to.equal(Phase.Finalizable);
      await sys.settlement.finalize(reg.roundId, b.settlement);
      expect(await phase()).to.equal(Phase.Finalized);
    });

    it("scoreRecord is empty for an evaluator without a commitment", async function () {
      const { sys, ctx } = await loadFixture(commitFixture);
      expect(await sys.settlement.scoreRecord(ctx.roundId, sys.acc.outsider.address)).to.deep.equal([
        ethers.ZeroHash,
        false,
      ]);
    });

    it("scoreCommitment binds chain, contract, round, evaluator, scores and salt", async function () {
      const { sys, ctx } = await loadFixture(commitFixture);
      const scores = packScores([1, 2, 3]);
      const salt = ethers.id("s") as Hex;
      const c = await sys.settlement.scoreCommitment(ctx.roundId, sys.acc.evaluators[0].address, scores, salt);
      expect(c).to.equal(
        scoreCommitment({
          chainId: sys.chainId,
          contract: addr(await sys.settlement.getAddress()),
          roundId: ctx.roundId,
          evaluator: addr(sys.acc.evaluators[0].address),
          scores,
          salt,
        }),
      );
    });

    it("getRound exposes the accepted assignment root", async function () {
      const { sys, ctx } = (await loadFixture(commitFixture)) as { sys: System; ctx: RoundCtx };
      expect(ctx.tree.root).to.equal((await sys.settlement.getRound(ctx.roundId)).assignmentRoot);
    });
  });
});
