import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, mine, time } from "@nomicfoundation/hardhat-network-helpers";
import { anyValue } from "@nomicfoundation/hardhat-chai-matchers/withArgs";
import type { Address, Hex } from "viem";
import { UNAVAILABLE, buildAssignmentTree, hashSettlement, packScores, revealDigest, tasksHash } from "../src/chain/encoding";
import {
  ContentKind,
  DEFAULT_PARAMS,
  EVALUATOR_STAKES,
  Phase,
  RELAYER_BOND,
  Reason,
  Role,
  Status,
  TOKEN,
  deploySystem,
  lifetimeOf,
  paramsWith,
  stakeAll,
  stakedFixture,
  type System,
} from "./helpers/fixtures";
import { call, govern, schedule } from "./helpers/governance";
import { signerFor } from "./helpers/impersonate";
import { expectWiredOnce } from "./helpers/setters";
import {
  PAYLOAD_CID,
  ZERO32,
  addr,
  assign,
  assignmentProof,
  buildSettlement,
  commit,
  commitSettlement,
  drawSeed,
  expectWrongPhase,
  fund,
  honestPayout,
  makeCommit,
  makeGold,
  makeSettlementCommit,
  mineToSeed,
  now,
  openRound,
  pinNextTimestamp,
  registerRound,
  reveal,
  scoresFor,
  settle,
  settleAndFinalize,
  signedReveal,
  toAssignDeadline,
  toAttemptEnd,
  toChallengeEnd,
  toExpiry,
  toReveal,
  toSettle,
  toSettleReveals,
  type Built,
  type Commit,
  type RoundCtx,
} from "./helpers/round";

/* FIXTURES: one round driven to each phase, with a fixed assignment (evaluator 4 is never assigned) */

const N = 6;
const INFERENCE_POOL = 600n * TOKEN;
const EVALUATOR_POOL = 300n * TOKEN;
const score = (t: number) => 3_000 + 500 * t;

function fixedAssignment(sys: System): Map<Address, number[]> {
  const [e0, e1, e2, e3] = sys.acc.evaluators;
  return new Map([
    [addr(e0.address), [0, 1, 2]],
    [addr(e1.address), [0, 1, 2, 3, 4, 5]],
    [addr(e2.address), [3, 4, 5]],
    [addr(e3.address), [0, 1, 2, 3, 4, 5]],
  ]);
}

async function seedingFixture() {
  const sys = await stakedFixture();
  const ctx = await registerRound(sys, { n: N });
  return { sys, ctx };
}

async function commitFixture() {
  const sys = await stakedFixture();
  const ctx = await openRound(sys, { n: N, assignment: fixedAssignment(sys) });
  return { sys, ctx };
}

/** Evaluators 0..3 committed; the round is funded; phase Reveal. */
async function revealFixture() {
  const { sys, ctx } = await commitFixture();
  const commits = new Map<string, Commit>();
  for (const e of sys.acc.evaluators.slice(0, 4)) commits.set(e.address, await commit(sys, ctx, e, scoresFor(ctx, e.address, score)));
  await fund(sys, ctx.roundId, INFERENCE_POOL, EVALUATOR_POOL);
  await toReveal(sys, ctx.roundId);
  return { sys, ctx, commits };
}

/** Evaluators 0..2 revealed, 3 did not; phase Settle; `built` is the honest settlement (low-trust list: 2 and 3). */
async function settleFixture() {
  const r = await revealFixture();
  const { sys, ctx, commits } = r;
  for (const e of sys.acc.evaluators.slice(0, 3)) await reveal(sys, ctx, e, commits.get(e.address)!);
  await toSettle(sys, ctx.roundId);
  return { ...r, built: standardSettlement(sys, ctx) };
}

function standardSettlement(sys: System, ctx: RoundCtx, tag = "standard"): Built {
  const [e0, e1, e2, e3] = sys.acc.evaluators;
  const { pay, inferencePaid, evaluatorPaid } = honestPayout(ctx, INFERENCE_POOL, EVALUATOR_POOL, [e0.address, e1.address, e2.address]);
  return buildSettlement({ ledger: pay, inferencePaid, evaluatorPaid, lowTrustSlashes: [e2.address, e3.address], tag });
}

/** As {settleFixture}, with a settlement window long enough for a dozen attempts. */
async function longSettleFixture() {
  const sys = await deploySystem({ params: { settleWindow: 20_000 } });
  await stakeAll(sys);
  const ctx = await openRound(sys, { n: N, assignment: fixedAssignment(sys) });
  const commits = new Map<string, Commit>();
  for (const e of sys.acc.evaluators.slice(0, 4)) commits.set(e.address, await commit(sys, ctx, e, scoresFor(ctx, e.address, score)));
  await fund(sys, ctx.roundId, INFERENCE_POOL, EVALUATOR_POOL);
  await toReveal(sys, ctx.roundId);
  for (const e of sys.acc.evaluators.slice(0, 3)) await reveal(sys, ctx, e, commits.get(e.address)!);
  await toSettle(sys, ctx.roundId);
  return { sys, ctx, commits, built: standardSettlement(sys, ctx) };
}

/** The standard settlement accepted by relayers 0 and 1; phase Challenge. */
async function challengeFixture() {
  const r = await settleFixture();
  await settle(r.sys, r.ctx.roundId, r.built.settlement);
  return r;
}

const hexScores = (values: number[]) => ("0x" + values.map((v) => v.toString(16).padStart(4, "0")).join("")) as Hex;
const commitWord = (c: string) => ethers.toBeHex(BigInt(c) & ~3n, 32);

describe("PoQSettlement", function () {
  describe("constructor", function () {
    it("stores config, vault and distributor; no round yet", async function () {
      const sys = await loadFixture(stakedFixture);
      expect(await sys.settlement.config()).to.equal(await sys.config.getAddress());
      expect(await sys.settlement.vault()).to.equal(await sys.vault.getAddress());
      expect(await sys.settlement.distributor()).to.equal(await sys.distributor.getAddress());
      expect(await sys.settlement.challenges()).to.equal(await sys.challenges.getAddress());
      expect(await sys.settlement.roundCount()).to.equal(0);
      expect(await sys.settlement.lastClosedRound()).to.equal(0);
      expect(await sys.settlement.phaseOf(1)).to.equal(Phase.None);
      expect(await sys.settlement.maxRoundLifetime()).to.equal(lifetimeOf(DEFAULT_PARAMS));
    });

    it("rejects a zero config, vault or distributor", async function () {
      const sys = await loadFixture(stakedFixture);
      const F = await ethers.getContractFactory("PoQSettlement");
      const [c, v, d] = [await sys.config.getAddress(), await sys.vault.getAddress(), await sys.distributor.getAddress()];
      for (const args of [
        [ethers.ZeroAddress, v, d],
        [c, ethers.ZeroAddress, d],
        [c, v, ethers.ZeroAddress],
      ]) {
        await expect(F.deploy(args[0], args[1], args[2])).to.be.revertedWithCustomError(F, "SettlementZeroAddress");
      }
    });
  });

  describe("setChallenges", function () {
    it("wires the challenge contract once, by the deployer, and emits ChallengesSet", async function () {
      const sys = await deploySystem({ noWiring: true });
      await expectWiredOnce({
        contract: sys.settlement,
        fn: "setChallenges",
        value: await sys.challenges.getAddress(),
        event: "ChallengesSet",
        outsider: sys.acc.outsider,
        errors: { notDeployer: "SettlementNotDeployer", zeroAddress: "SettlementZeroAddress", alreadySet: "SettlementAlreadyWired" },
      });
    });
  });

  describe("registerTasks", function () {
    it("opens a round with its deadlines, seed block and parameter version, and emits TasksRegistered", async function () {
      const sys = await loadFixture(stakedFixture);
      const r0 = sys.relayers[0];
      const root = ethers.id("tasks") as Hex;
      const gold = ethers.id("gold-commitment") as Hex;
      const cid = ethers.toUtf8Bytes("bafy-manifest-1");
      const block = (await ethers.provider.getBlockNumber()) + 1;
      await expect(sys.settlement.connect(r0).registerTasks({ taskRoot: root, taskCount: 12, goldCommitment: gold, manifestCid: cid }))
        .to.emit(sys.settlement, "TasksRegistered")
        .withArgs(1, r0.address, root, 12, gold, block + DEFAULT_PARAMS.seedDelay, 1, ethers.hexlify(cid));
      const r = await sys.settlement.getRound(1);
      const t = await now();
      expect(r.status).to.equal(Status.Registered);
      expect(r.taskCount).to.equal(12);
      expect(r.paramsVersion).to.equal(1);
      expect(r.registeredAt).to.equal(t);
      expect(r.assignDeadline).to.equal(t + BigInt(DEFAULT_PARAMS.assignDuration));
      const p = DEFAULT_PARAMS;
      expect(r.expiresAt).to.equal(r.assignDeadline + BigInt(p.commitDuration + p.revealDuration + p.settleWindow));
      expect(r.seedBlock).to.equal(block + p.seedDelay);
      expect(r.registrar).to.equal(r0.address);
      expect(r.taskRoot).to.equal(root);
      expect(r.goldCommitment).to.equal(gold);
      expect(r.seed).to.equal(ZERO32);
      expect(await sys.settlement.roundCount()).to.equal(1);
      expect(await sys.settlement.phaseOf(1)).to.equal(Phase.Seeding);
    });

    it("is only for a current relayer holding the minimum bond", async function () {
      const sys = await deploySystem();
      const reg = { taskRoot: ethers.id("t"), taskCount: 1, goldCommitment: ZERO32, manifestCid: "0x" };
      await expect(sys.settlement.connect(sys.acc.outsider).registerTasks(reg))
        .to.be.revertedWithCustomError(sys.settlement, "SettlementNotRelayer")
        .withArgs(sys.acc.outsider.address);
      const r0 = sys.relayers[0];
      await expect(sys.settlement.connect(r0).registerTasks(reg))
        .to.be.revertedWithCustomError(sys.settlement, "SettlementBondTooLow")
        .withArgs(r0.address, 0, RELAYER_BOND);
      await sys.vault.connect(r0).stake(Role.Relayer, RELAYER_BOND - 1n);
      await expect(sys.settlement.connect(r0).registerTasks(reg))
        .to.be.revertedWithCustomError(sys.settlement, "SettlementBondTooLow")
        .withArgs(r0.address, RELAYER_BOND - 1n, RELAYER_BOND);
      await sys.vault.connect(r0).stake(Role.Relayer, 1n);
      await expect(sys.settlement.connect(r0).registerTasks(reg)).to.emit(sys.settlement, "TasksRegistered");
      // Queued bond does not count.
      await sys.vault.connect(r0).requestUnstake(Role.Relayer, 1n);
      await expect(sys.settlement.connect(r0).registerTasks(reg))
        .to.be.revertedWithCustomError(sys.settlement, "SettlementBondTooLow")
        .withArgs(r0.address, RELAYER_BOND - 1n, RELAYER_BOND);
    });

    it("rejects a zero task root, a task count of 0 or above the limit, and a manifest CID above 128 bytes", async function () {
      const sys = await loadFixture(stakedFixture);
      const r0 = sys.settlement.connect(sys.relayers[0]);
      const reg = { taskRoot: ethers.id("t"), taskCount: 1, goldCommitment: ZERO32, manifestCid: "0x" };
      await expect(r0.registerTasks({ ...reg, taskRoot: ZERO32 })).to.be.revertedWithCustomError(sys.settlement, "SettlementZeroValue").withArgs("taskRoot");
      await expect(r0.registerTasks({ ...reg, taskCount: 0 }))
        .to.be.revertedWithCustomError(sys.settlement, "SettlementInvalidTaskCount")
        .withArgs(0, DEFAULT_PARAMS.maxTasks);
      await expect(r0.registerTasks({ ...reg, taskCount: DEFAULT_PARAMS.maxTasks + 1 }))
        .to.be.revertedWithCustomError(sys.settlement, "SettlementInvalidTaskCount")
        .withArgs(DEFAULT_PARAMS.maxTasks + 1, DEFAULT_PARAMS.maxTasks);
      await expect(r0.registerTasks({ ...reg, manifestCid: new Uint8Array(129) }))
        .to.be.revertedWithCustomError(sys.settlement, "SettlementCidTooLong")
        .withArgs(129);
      await expect(r0.registerTasks({ ...reg, manifestCid: new Uint8Array(128) })).to.emit(sys.settlement, "TasksRegistered");
    });

    it("holds at most maxOpenRounds open rounds; a closed round frees its place", async function () {
      const sys = await loadFixture(stakedFixture);
      for (let i = 0; i < DEFAULT_PARAMS.maxOpenRounds; i++) await registerRound(sys, { n: 2 });
      const reg = { taskRoot: ethers.id("t"), taskCount: 1, goldCommitment: ZERO32, manifestCid: "0x" };
      const r0 = sys.settlement.connect(sys.relayers[0]);
      await expect(r0.registerTasks(reg))
        .to.be.revertedWithCustomError(sys.settlement, "SettlementTooManyOpenRounds")
        .withArgs(DEFAULT_PARAMS.maxOpenRounds, DEFAULT_PARAMS.maxOpenRounds);
      await sys.settlement.connect(sys.acc.guardian).cancelRound(4); // still before its seed block
      // Round 4 is closed but round 1 is not: the pointer counts from the first open round.
      await expect(r0.registerTasks(reg)).to.be.revertedWithCustomError(sys.settlement, "SettlementTooManyOpenRounds").withArgs(4, 4);
      await toAssignDeadline(sys, 1n);
      await sys.settlement.cancelRound(1);
      expect(await sys.settlement.lastClosedRound()).to.equal(1);
      await expect(r0.registerTasks(reg)).to.emit(sys.settlement, "TasksRegistered");
    });

    it("pins the parameter version in force at registration", async function () {
      const sys = await loadFixture(stakedFixture);
      await govern(sys, await call(sys.config, "setParams", [paramsWith({ challengeDuration: 400 })]));
      const ctx = await registerRound(sys, { n: 2 });
      expect((await sys.settlement.getRound(ctx.roundId)).paramsVersion).to.equal(2);
    });
  });

  describe("drawSeed", function () {
    it("records keccak256(blockhash(seedBlock), roundId, taskRoot) once the seed block is mined, and emits SeedDrawn", async function () {
      const { sys, ctx } = await loadFixture(seedingFixture);
      await expect(sys.settlement.drawSeed(ctx.roundId))
        .to.be.revertedWithCustomError(sys.settlement, "SettlementSeedNotReady")
        .withArgs(ctx.roundId, ctx.seedBlock);
      await mineToSeed(sys, ctx);
      // The transaction runs in the block after the seed block.
      const hash = (await ethers.provider.getBlock(Number(ctx.seedBlock)))!.hash!;
      const expected = ethers.keccak256(ethers.AbiCoder.defaultAbiCoder().encode(["bytes32", "uint256", "bytes32"], [hash, ctx.roundId, ctx.taskTree.root]));
      await expect(sys.settlement.connect(sys.acc.outsider).drawSeed(ctx.roundId))
        .to.emit(sys.settlement, "SeedDrawn")
        .withArgs(ctx.roundId, sys.acc.outsider.address, expected);
      expect((await sys.settlement.getRound(ctx.roundId)).seed).to.equal(expected);
      expect(await sys.settlement.phaseOf(ctx.roundId)).to.equal(Phase.Assigning);
    });

    it("is the same value whoever draws it and whenever: a second call is a no-op", async function () {
      const { sys, ctx } = await loadFixture(seedingFixture);
      await mineToSeed(sys, ctx);
      await mine(100);
      const seed = await sys.settlement.drawSeed.staticCall(ctx.roundId);
      await sys.settlement.connect(sys.relayers[1]).drawSeed(ctx.roundId);
      await mine(10);
      await expect(sys.settlement.connect(sys.acc.guardian).drawSeed(ctx.roundId)).not.to.emit(sys.settlement, "SeedDrawn");
      expect(await sys.settlement.drawSeed.staticCall(ctx.roundId)).to.equal(seed);
      expect((await sys.settlement.getRound(ctx.roundId)).seed).to.equal(seed);
    });

    it("works up to 256 blocks after the seed block; after that the round has expired", async function () {
      const { sys, ctx } = await loadFixture(seedingFixture);
      await mineToSeed(sys, ctx);
      await mine(255); // the next transaction runs at seedBlock + 256
      await expect(sys.settlement.drawSeed(ctx.roundId)).to.emit(sys.settlement, "SeedDrawn");
      const ctx2 = await registerRound(sys, { n: 2 });
      await mineToSeed(sys, ctx2);
      await mine(256);
      // Calls run on the latest block: seedBlock + 256 is still drawable, one more block is not.
      expect(await sys.settlement.phaseOf(ctx2.roundId)).to.equal(Phase.Seeding);
      await mine(1);
      expect(await sys.settlement.phaseOf(ctx2.roundId)).to.equal(Phase.Expired);
      await expectWrongPhase(sys, sys.settlement.drawSeed(ctx2.roundId), ctx2.roundId, Phase.Seeding, Phase.Expired);
    });

    it("rejects an unknown or cancelled round", async function () {
      const { sys, ctx } = await loadFixture(seedingFixture);
      await expect(sys.settlement.drawSeed(9)).to.be.revertedWithCustomError(sys.settlement, "SettlementUnknownRound").withArgs(9);
      await sys.settlement.connect(sys.acc.guardian).cancelRound(ctx.roundId);
      await mineToSeed(sys, ctx);
      await expectWrongPhase(sys, sys.settlement.drawSeed(ctx.roundId), ctx.roundId, Phase.Seeding, Phase.Cancelled);
    });
  });

  describe("proposeAssignment", function () {
    it("counts votes of current relayers per root; at quorum opens the commit window and emits AssignmentAccepted", async function () {
      const { sys, ctx } = await loadFixture(seedingFixture);
      await drawSeed(sys, ctx);
      const tree = buildAssignmentTree(fixedAssignment(sys));
      const [r0, r1] = sys.relayers;
      await expect(sys.settlement.connect(r0).proposeAssignment(ctx.roundId, tree.root))
        .to.emit(sys.settlement, "AssignmentProposed")
        .withArgs(ctx.roundId, r0.address, tree.root, 1)
        .and.not.to.emit(sys.settlement, "AssignmentAccepted");
      const t = await pinNextTimestamp();
      const tx = sys.settlement.connect(r1).proposeAssignment(ctx.roundId, tree.root);
      const commitDeadline = t + BigInt(DEFAULT_PARAMS.commitDuration);
      const revealDeadline = commitDeadline + BigInt(DEFAULT_PARAMS.revealDuration);
      await expect(tx)
        .to.emit(sys.settlement, "AssignmentAccepted")
        .withArgs(ctx.roundId, tree.root, commitDeadline, revealDeadline);
      const r = await sys.settlement.getRound(ctx.roundId);
      expect([r.status, r.assignmentRoot, r.commitDeadline, r.revealDeadline]).to.deep.equal([BigInt(Status.Active), tree.root, commitDeadline, revealDeadline]);
      expect(await sys.settlement.phaseOf(ctx.roundId)).to.equal(Phase.Commit);
    });

    it("draws the seed itself when needed, and refuses before the seed block is mined", async function () {
      const { sys, ctx } = await loadFixture(seedingFixture);
      const root = ethers.id("assignment");
      await expect(sys.settlement.connect(sys.relayers[0]).proposeAssignment(ctx.roundId, root))
        .to.be.revertedWithCustomError(sys.settlement, "SettlementSeedNotReady")
        .withArgs(ctx.roundId, ctx.seedBlock);
      await mineToSeed(sys, ctx);
      await expect(sys.settlement.connect(sys.relayers[0]).proposeAssignment(ctx.roundId, root))
        .to.emit(sys.settlement, "SeedDrawn")
        .withArgs(ctx.roundId, sys.relayers[0].address, anyValue)
        .and.to.emit(sys.settlement, "AssignmentProposed");
    });

    it("does not add up votes for different roots; a relayer's second vote is a no-op", async function () {
      const { sys, ctx } = await loadFixture(seedingFixture);
      await drawSeed(sys, ctx);
      const [r0, r1, r2] = sys.relayers;
      const [a, b] = [ethers.id("a"), ethers.id("b")];
      await sys.settlement.connect(r0).proposeAssignment(ctx.roundId, a);
      await expect(sys.settlement.connect(r1).proposeAssignment(ctx.roundId, b)).to.emit(sys.settlement, "AssignmentProposed").withArgs(ctx.roundId, r1.address, b, 1);
      await expect(sys.settlement.connect(r0).proposeAssignment(ctx.roundId, b)).not.to.emit(sys.settlement, "AssignmentProposed");
      expect(await sys.settlement.phaseOf(ctx.roundId)).to.equal(Phase.Assigning);
      await expect(sys.settlement.connect(r2).proposeAssignment(ctx.roundId, b)).to.emit(sys.settlement, "AssignmentAccepted");
      expect((await sys.settlement.getRound(ctx.roundId)).assignmentRoot).to.equal(b);
    });

    it("is a no-op after acceptance, for anyone (racing relayers mine no revert)", async function () {
      const { sys, ctx } = await loadFixture(commitFixture);
      await expect(sys.settlement.connect(sys.relayers[2]).proposeAssignment(ctx.roundId, ethers.id("late"))).not.to.emit(sys.settlement, "AssignmentProposed");
      await expect(sys.settlement.connect(sys.acc.outsider).proposeAssignment(ctx.roundId, ZERO32)).not.to.be.reverted;
      expect((await sys.settlement.getRound(ctx.roundId)).assignmentRoot).to.equal(ctx.tree!.root);
    });

    it("counts only current relayers: a removed relayer's earlier vote stops counting", async function () {
      const { sys, ctx } = await loadFixture(seedingFixture);
      const [r0, r1, r2] = sys.relayers;
      const op = await schedule(sys, await call(sys.config, "setRelayer", [r0.address, false]));
      await time.increaseTo(op.readyAt - 300n);
      // A fresh round (the fixture's expired while the removal waited).
      const fresh = await registerRound(sys, { n: 2 });
      await drawSeed(sys, fresh);
      const root = ethers.id("x");
      await sys.settlement.connect(r0).proposeAssignment(fresh.roundId, root);
      await time.increaseTo(op.readyAt);
      await op.execute();
      await expect(sys.settlement.connect(r1).proposeAssignment(fresh.roundId, root))
        .to.emit(sys.settlement, "AssignmentProposed")
        .withArgs(fresh.roundId, r1.address, root, 1)
        .and.not.to.emit(sys.settlement, "AssignmentAccepted");
      await expect(sys.settlement.connect(r0).proposeAssignment(fresh.roundId, root))
        .to.be.revertedWithCustomError(sys.settlement, "SettlementNotRelayer")
        .withArgs(r0.address);
      await expect(sys.settlement.connect(r2).proposeAssignment(fresh.roundId, root)).to.emit(sys.settlement, "AssignmentAccepted");
      void ctx;
    });

    it("rejects a non-relayer, an unbonded relayer, a zero root, an unknown round and an expired round", async function () {
      const { sys, ctx } = await loadFixture(seedingFixture);
      await drawSeed(sys, ctx);
      const root = ethers.id("r");
      await expect(sys.settlement.connect(sys.acc.outsider).proposeAssignment(ctx.roundId, root))
        .to.be.revertedWithCustomError(sys.settlement, "SettlementNotRelayer")
        .withArgs(sys.acc.outsider.address);
      const r2 = sys.relayers[2];
      await sys.vault.connect(r2).requestUnstake(Role.Relayer, 1n);
      await expect(sys.settlement.connect(r2).proposeAssignment(ctx.roundId, root))
        .to.be.revertedWithCustomError(sys.settlement, "SettlementBondTooLow")
        .withArgs(r2.address, RELAYER_BOND - 1n, RELAYER_BOND);
      await expect(sys.settlement.connect(sys.relayers[0]).proposeAssignment(ctx.roundId, ZERO32))
        .to.be.revertedWithCustomError(sys.settlement, "SettlementZeroValue")
        .withArgs("assignmentRoot");
      await expect(sys.settlement.connect(sys.relayers[0]).proposeAssignment(7, root)).to.be.revertedWithCustomError(sys.settlement, "SettlementUnknownRound").withArgs(7);
      await toAssignDeadline(sys, ctx.roundId);
      await expectWrongPhase(sys, sys.settlement.connect(sys.relayers[0]).proposeAssignment(ctx.roundId, root), ctx.roundId, Phase.Assigning, Phase.Expired);
    });
  });

  describe("commitScores", function () {
    it("stores the commitment with its two low bits cleared and emits ScoresCommitted", async function () {
      const { sys, ctx } = await loadFixture(commitFixture);
      const e = sys.acc.evaluators[0];
      const c = await makeCommit(sys, ctx.roundId, e.address, scoresFor(ctx, e.address, score));
      await expect(sys.settlement.connect(e).commitScores(ctx.roundId, c.commitment)).to.emit(sys.settlement, "ScoresCommitted").withArgs(ctx.roundId, e.address, c.commitment);
      expect(await sys.settlement.scoreRecord(ctx.roundId, e.address)).to.deep.equal([commitWord(c.commitment), false, false]);
      expect(await sys.settlement.withdrawalLocked(e.address)).to.equal(true);
    });

    it("refuses 0x…00 to 0x…03 (zero once the flag bits are cleared) and a second commitment, whatever its low bits", async function () {
      const { sys, ctx } = await loadFixture(commitFixture);
      const e = sys.acc.evaluators[0];
      for (const v of [0n, 1n, 2n, 3n]) {
        await expect(sys.settlement.connect(e).commitScores(ctx.roundId, ethers.toBeHex(v, 32)))
          .to.be.revertedWithCustomError(sys.settlement, "SettlementZeroValue")
          .withArgs("commitment");
      }
      const c = await makeCommit(sys, ctx.roundId, e.address, scoresFor(ctx, e.address, score));
      await sys.settlement.connect(e).commitScores(ctx.roundId, c.commitment);
      for (const bits of [1n, 2n, 3n]) {
        await expect(sys.settlement.connect(e).commitScores(ctx.roundId, ethers.toBeHex(BigInt(c.commitment) ^ bits, 32)))
          .to.be.revertedWithCustomError(sys.settlement, "SettlementAlreadyCommitted")
          .withArgs(ctx.roundId, e.address);
      }
    });

    it("binds 254 bits: a commitment posted with its low bits set still reveals", async function () {
      const { sys, ctx } = await loadFixture(commitFixture);
      const e = sys.acc.evaluators[0];
      const c = await makeCommit(sys, ctx.roundId, e.address, scoresFor(ctx, e.address, score));
      await sys.settlement.connect(e).commitScores(ctx.roundId, ethers.toBeHex(BigInt(c.commitment) | 3n, 32));
      await toReveal(sys, ctx.roundId);
      await expect(reveal(sys, ctx, e, c)).to.emit(sys.settlement, "ScoresRevealed");
    });

    it("a commitment in an earlier round keeps the later round as the withdrawal horizon", async function () {
      const sys = await loadFixture(stakedFixture);
      const e = sys.acc.evaluators[0];
      const a = await openRound(sys, { n: 1, assignment: new Map([[addr(e.address), [0]]]) });
      const b = await openRound(sys, { n: 1, assignment: new Map([[addr(e.address), [0]]]) });
      const cb = await commit(sys, b, e, [1]);
      const ca = await commit(sys, a, e, [2]);
      await toReveal(sys, b.roundId);
      await reveal(sys, a, e, ca);
      await reveal(sys, b, e, cb);
      await toSettle(sys, b.roundId);
      const s = buildSettlement({ ledger: new Map(), inferencePaid: 0n, evaluatorPaid: 0n });
      await settleAndFinalize(sys, a.roundId, s.settlement);
      // Round a is closed, round b is not: the account is still held by b.
      expect(await sys.settlement.withdrawalLocked(e.address)).to.equal(true);
      await settleAndFinalize(sys, b.roundId, s.settlement);
      expect(await sys.settlement.withdrawalLocked(e.address)).to.equal(false);
    });

    it("is open only in the commit window", async function () {
      const { sys, ctx } = await loadFixture(seedingFixture);
      const e = sys.acc.evaluators[0];
      const c = ethers.id("c");
      await expectWrongPhase(sys, sys.settlement.connect(e).commitScores(ctx.roundId, c), ctx.roundId, Phase.Commit, Phase.Seeding);
      await expect(sys.settlement.connect(e).commitScores(5, c)).to.be.revertedWithCustomError(sys.settlement, "SettlementUnknownRound").withArgs(5);
      await assign(sys, ctx, { assignment: fixedAssignment(sys) });
      await toReveal(sys, ctx.roundId);
      await expectWrongPhase(sys, sys.settlement.connect(e).commitScores(ctx.roundId, c), ctx.roundId, Phase.Commit, Phase.Reveal);
    });
  });

  describe("revealScores", function () {
    it("stores the scores' hash with the revealed flag and emits the scores", async function () {
      const { sys, ctx, commits } = await loadFixture(revealFixture);
      const e = sys.acc.evaluators[0];
      const c = commits.get(e.address)!;
      await expect(reveal(sys, ctx, e, c)).to.emit(sys.settlement, "ScoresRevealed").withArgs(ctx.roundId, e.address, c.packed);
      const word = ethers.toBeHex((BigInt(ethers.keccak256(c.packed)) & ~3n) | 1n, 32);
      const rec = await sys.settlement.scoreRecord(ctx.roundId, e.address);
      expect(rec).to.deep.equal([commitWord(word), true, false]);
      await expect(reveal(sys, ctx, e, c)).to.be.revertedWithCustomError(sys.settlement, "SettlementAlreadyRevealed").withArgs(ctx.roundId, e.address);
    });

    it("accepts 0, 10000 and UNAVAILABLE (0xFFFF), and names the first score above 10000", async function () {
      const { sys, ctx } = await loadFixture(commitFixture);
      const e = sys.acc.evaluators[0]; // three tasks
      const good = await commit(sys, ctx, e, [0, 10_000, UNAVAILABLE]);
      await toReveal(sys, ctx.roundId);
      const p = assignmentProof(ctx, e.address);
      for (const [bad, index, value] of [
        [hexScores([0, 10_000, 10_001]), 2, 10_001],
        [hexScores([0xfffe, 0, 0]), 0, 0xfffe],
      ] as const) {
        await expect(sys.settlement.connect(e).revealScores(ctx.roundId, bad, good.salt, p.tasksHash, p.proof))
          .to.be.revertedWithCustomError(sys.settlement, "ScoresOutOfRange")
          .withArgs(index, value);
      }
      for (const bad of ["0x", "0x0001ff"]) {
        await expect(sys.settlement.connect(e).revealScores(ctx.roundId, bad, good.salt, p.tasksHash, p.proof))
          .to.be.revertedWithCustomError(sys.settlement, "ScoresMalformed")
          .withArgs((bad.length - 2) / 2);
      }
      await expect(reveal(sys, ctx, e, good)).to.emit(sys.settlement, "ScoresRevealed").withArgs(ctx.roundId, e.address, packScores([0, 10_000, UNAVAILABLE]));
    });

    it("refuses scores or salt that do not open the commitment", async function () {
      const { sys, ctx, commits } = await loadFixture(revealFixture);
      const e = sys.acc.evaluators[0];
      const c = commits.get(e.address)!;
      const p = assignmentProof(ctx, e.address);
      await expect(sys.settlement.connect(e).revealScores(ctx.roundId, packScores([1, 2, 3]), c.salt, p.tasksHash, p.proof))
        .to.be.revertedWithCustomError(sys.settlement, "SettlementRevealMismatch")
        .withArgs(ctx.roundId, e.address);
      await expect(sys.settlement.connect(e).revealScores(ctx.roundId, c.packed, ethers.id("other salt"), p.tasksHash, p.proof))
        .to.be.revertedWithCustomError(sys.settlement, "SettlementRevealMismatch")
        .withArgs(ctx.roundId, e.address);
    });

    it("refuses a reveal whose (evaluator, score count, tasks) leaf is not in the assignment", async function () {
      const { sys, ctx } = await loadFixture(commitFixture);
      const [e0, e1] = sys.acc.evaluators;
      const e4 = sys.acc.evaluators[4]; // not assigned
      // e0 has three tasks: four scores do not fit its leaf.
      const four = await commit(sys, ctx, e0, [1, 2, 3, 4]);
      const c4 = await commit(sys, ctx, e4, [5, 5, 5]);
      await toReveal(sys, ctx.roundId);
      const p0 = assignmentProof(ctx, e0.address);
      await expect(sys.settlement.connect(e0).revealScores(ctx.roundId, four.packed, four.salt, p0.tasksHash, p0.proof))
        .to.be.revertedWithCustomError(sys.settlement, "SettlementNotAssigned")
        .withArgs(ctx.roundId, e0.address, 4);
      // e4 borrows e0's leaf data: the leaf binds the evaluator.
      await expect(sys.settlement.connect(e4).revealScores(ctx.roundId, c4.packed, c4.salt, p0.tasksHash, p0.proof))
        .to.be.revertedWithCustomError(sys.settlement, "SettlementNotAssigned")
        .withArgs(ctx.roundId, e4.address, 3);
      // A wrong tasks hash fails too.
      const p1 = assignmentProof(ctx, e1.address);
      await expect(sys.settlement.connect(e0).revealScores(ctx.roundId, four.packed, four.salt, tasksHash([0, 1, 2, 3]), p1.proof))
        .to.be.revertedWithCustomError(sys.settlement, "SettlementNotAssigned")
        .withArgs(ctx.roundId, e0.address, 4);
    });

    it("needs a commitment and the reveal window", async function () {
      const { sys, ctx, commits } = await loadFixture(revealFixture);
      const e4 = sys.acc.evaluators[4];
      await expect(sys.settlement.connect(e4).revealScores(ctx.roundId, packScores([1]), ZERO32, ZERO32, []))
        .to.be.revertedWithCustomError(sys.settlement, "SettlementNotCommitted")
        .withArgs(ctx.roundId, e4.address);
      await toSettle(sys, ctx.roundId);
      const e = sys.acc.evaluators[0];
      await expectWrongPhase(sys, reveal(sys, ctx, e, commits.get(e.address)!), ctx.roundId, Phase.Reveal, Phase.Settle);
    });
  });

  describe("revealScoresBatch", function () {
    it("stores every signed reveal, whoever submits, and returns how many it stored", async function () {
      const { sys, ctx, commits } = await loadFixture(revealFixture);
      const es = sys.acc.evaluators.slice(0, 3);
      const batch = await Promise.all(es.map((e) => signedReveal(sys, ctx, e, commits.get(e.address)!)));
      expect(await sys.settlement.connect(sys.relayers[2]).revealScoresBatch.staticCall(ctx.roundId, batch)).to.equal(3);
      const tx = sys.settlement.connect(sys.relayers[2]).revealScoresBatch(ctx.roundId, batch);
      for (const e of es) await expect(tx).to.emit(sys.settlement, "ScoresRevealed").withArgs(ctx.roundId, e.address, commits.get(e.address)!.packed);
      for (const e of es) expect((await sys.settlement.scoreRecord(ctx.roundId, e.address))[1]).to.equal(true);
    });

    it("skips an evaluator that already revealed (racing a direct reveal or an earlier batch)", async function () {
      const { sys, ctx, commits } = await loadFixture(revealFixture);
      const [e0, e1] = sys.acc.evaluators;
      await reveal(sys, ctx, e0, commits.get(e0.address)!);
      const batch = [await signedReveal(sys, ctx, e0, commits.get(e0.address)!), await signedReveal(sys, ctx, e1, commits.get(e1.address)!)];
      expect(await sys.settlement.connect(sys.acc.outsider).revealScoresBatch.staticCall(ctx.roundId, batch)).to.equal(1);
      await expect(sys.settlement.connect(sys.acc.outsider).revealScoresBatch(ctx.roundId, batch))
        .to.emit(sys.settlement, "ScoresRevealed")
        .withArgs(ctx.roundId, e1.address, commits.get(e1.address)!.packed);
      expect(await sys.settlement.connect(sys.acc.outsider).revealScoresBatch.staticCall(ctx.roundId, batch)).to.equal(0);
    });

    it("binds each entry to its signer: a malformed signature, another signer or altered scores fail", async function () {
      const { sys, ctx, commits } = await loadFixture(revealFixture);
      const [e0, e1] = sys.acc.evaluators;
      const c0 = commits.get(e0.address)!;
      const good = await signedReveal(sys, ctx, e0, c0);
      await expect(sys.settlement.revealScoresBatch(ctx.roundId, [good, { ...good, r: ZERO32 }]))
        .to.be.revertedWithCustomError(sys.settlement, "SettlementInvalidRevealSignature")
        .withArgs(ctx.roundId, 1);
      // Signed by the outsider: the entry is the outsider's, which never committed.
      const forged = await signedReveal(sys, ctx, e0, c0, sys.acc.outsider);
      await expect(sys.settlement.revealScoresBatch(ctx.roundId, [forged]))
        .to.be.revertedWithCustomError(sys.settlement, "SettlementNotCommitted")
        .withArgs(ctx.roundId, sys.acc.outsider.address);
      // Signed by e1 for e0's scores: e1's commitment does not open.
      const crossed = await signedReveal(sys, ctx, e0, c0, e1);
      await expect(sys.settlement.revealScoresBatch(ctx.roundId, [crossed]))
        .to.be.revertedWithCustomError(sys.settlement, "SettlementRevealMismatch")
        .withArgs(ctx.roundId, e1.address);
      // Altered scores recover some other address.
      const altered = { ...good, scores: packScores([9, 9, 9]) };
      const digest = revealDigest({ chainId: sys.chainId, contract: addr(await sys.settlement.getAddress()), roundId: ctx.roundId, scores: altered.scores, salt: good.salt });
      const recovered = ethers.recoverAddress(digest, ethers.Signature.from({ r: good.r, yParityAndS: good.vs }));
      await expect(sys.settlement.revealScoresBatch(ctx.roundId, [altered]))
        .to.be.revertedWithCustomError(sys.settlement, "SettlementNotCommitted")
        .withArgs(ctx.roundId, recovered);
      // A wrong assignment proof fails as in a direct reveal.
      const p1 = assignmentProof(ctx, e1.address);
      await expect(sys.settlement.revealScoresBatch(ctx.roundId, [{ ...good, assignmentProof: p1.proof }]))
        .to.be.revertedWithCustomError(sys.settlement, "SettlementNotAssigned")
        .withArgs(ctx.roundId, e0.address, 3);
    });

    it("rejects an empty batch, out-of-range scores and the wrong phase", async function () {
      const { sys, ctx, commits } = await loadFixture(revealFixture);
      await expect(sys.settlement.revealScoresBatch(ctx.roundId, [])).to.be.revertedWithCustomError(sys.settlement, "SettlementZeroValue").withArgs("reveals");
      const e0 = sys.acc.evaluators[0];
      const good = await signedReveal(sys, ctx, e0, commits.get(e0.address)!);
      await expect(sys.settlement.revealScoresBatch(ctx.roundId, [{ ...good, scores: hexScores([1, 20_000, 3]) }]))
        .to.be.revertedWithCustomError(sys.settlement, "ScoresOutOfRange")
        .withArgs(1, 20_000);
      await toSettle(sys, ctx.roundId);
      await expectWrongPhase(sys, sys.settlement.revealScoresBatch(ctx.roundId, [good]), ctx.roundId, Phase.Reveal, Phase.Settle);
    });
  });

  describe("slashNonRevealer", function () {
    it("after the reveal deadline, anyone slashes a committed non-revealer nonRevealSlashBps of its stake", async function () {
      const { sys, ctx } = await loadFixture(settleFixture);
      const e3 = sys.acc.evaluators[3];
      const amount = (EVALUATOR_STAKES[3] * BigInt(DEFAULT_PARAMS.nonRevealSlashBps) + 9_999n) / 10_000n;
      expect(await sys.settlement.connect(sys.acc.outsider).slashNonRevealer.staticCall(ctx.roundId, e3.address)).to.equal(amount);
      await expect(sys.settlement.connect(sys.acc.outsider).slashNonRevealer(ctx.roundId, e3.address))
        .to.emit(sys.vault, "Slashed")
        .withArgs(ctx.roundId, e3.address, Role.Evaluator, Reason.NonReveal, amount, sys.acc.treasury.address);
      expect((await sys.vault.stakeOf(e3.address, Role.Evaluator)).active).to.equal(EVALUATOR_STAKES[3] - amount);
      expect((await sys.settlement.scoreRecord(ctx.roundId, e3.address))[2]).to.equal(true);
    });

    it("a second slash of the same non-reveal is a no-op", async function () {
      const { sys, ctx } = await loadFixture(settleFixture);
      const e3 = sys.acc.evaluators[3];
      await sys.settlement.slashNonRevealer(ctx.roundId, e3.address);
      const stake = await sys.vault.stakeOf(e3.address, Role.Evaluator);
      expect(await sys.settlement.slashNonRevealer.staticCall(ctx.roundId, e3.address)).to.equal(0);
      await expect(sys.settlement.slashNonRevealer(ctx.roundId, e3.address)).not.to.emit(sys.vault, "Slashed");
      expect(await sys.vault.stakeOf(e3.address, Role.Evaluator)).to.deep.equal(stake);
    });

    it("needs the reveal deadline passed, a commitment and no reveal", async function () {
      const { sys, ctx } = await loadFixture(revealFixture);
      const [e0, , , e3, e4] = sys.acc.evaluators;
      const r = await sys.settlement.getRound(ctx.roundId);
      await expect(sys.settlement.slashNonRevealer(ctx.roundId, e3.address))
        .to.be.revertedWithCustomError(sys.settlement, "SettlementRevealOpen")
        .withArgs(ctx.roundId, r.revealDeadline);
      await reveal(sys, ctx, e0, (await loadFixture(revealFixture)).commits.get(e0.address)!);
      await toSettle(sys, ctx.roundId);
      await expect(sys.settlement.slashNonRevealer(ctx.roundId, e4.address))
        .to.be.revertedWithCustomError(sys.settlement, "SettlementNotCommitted")
        .withArgs(ctx.roundId, e4.address);
      await expect(sys.settlement.slashNonRevealer(ctx.roundId, e0.address))
        .to.be.revertedWithCustomError(sys.settlement, "SettlementAlreadyRevealed")
        .withArgs(ctx.roundId, e0.address);
      await expect(sys.settlement.slashNonRevealer(99, e3.address)).to.be.revertedWithCustomError(sys.settlement, "SettlementUnknownRound").withArgs(99);
      const ctx2 = await registerRound(sys, { n: 2 });
      await expect(sys.settlement.slashNonRevealer(ctx2.roundId, e3.address))
        .to.be.revertedWithCustomError(sys.settlement, "SettlementRevealOpen")
        .withArgs(ctx2.roundId, 0);
    });

    it("is capped by the vault's per-round cap", async function () {
      const sys = await deploySystem({ vaultMaxSlashBps: 300 });
      await stakeAll(sys);
      const ctx = await openRound(sys, { n: N, assignment: fixedAssignment(sys) });
      const e = sys.acc.evaluators[0];
      await commit(sys, ctx, e, scoresFor(ctx, e.address, score));
      await toSettle(sys, ctx.roundId);
      await expect(sys.settlement.slashNonRevealer(ctx.roundId, e.address))
        .to.emit(sys.vault, "Slashed")
        .withArgs(ctx.roundId, e.address, Role.Evaluator, Reason.NonReveal, (EVALUATOR_STAKES[0] * 300n) / 10_000n, sys.acc.treasury.address);
    });

    it("releases the withdrawal lock of the commitment (once the round closes)", async function () {
      const { sys, ctx } = await loadFixture(settleFixture);
      const e3 = sys.acc.evaluators[3];
      expect(await sys.settlement.withdrawalLocked(e3.address)).to.equal(true);
      await sys.settlement.slashNonRevealer(ctx.roundId, e3.address);
      expect(await sys.settlement.withdrawalLocked(e3.address)).to.equal(true); // the round is still open
      await toExpiry(sys, ctx.roundId);
      await sys.settlement.cancelRound(ctx.roundId);
      expect(await sys.settlement.withdrawalLocked(e3.address)).to.equal(false);
    });
  });

  describe("commitSettlement", function () {
    it("the first commit starts attempt 1 with fixed windows; later commits join it; emits SettlementCommitted", async function () {
      const { sys, ctx, built } = await loadFixture(settleFixture);
      const [r0, r1] = sys.relayers;
      const c0 = await makeSettlementCommit(sys, r0.address, ctx.roundId, built.settlement);
      expect(c0.attempt).to.equal(1n);
      const start = await pinNextTimestamp();
      const c = BigInt(DEFAULT_PARAMS.settleCommitDuration);
      const r = BigInt(DEFAULT_PARAMS.settleRevealDuration);
      await expect(sys.settlement.connect(r0).commitSettlement(ctx.roundId, c0.commitment))
        .to.emit(sys.settlement, "SettlementCommitted")
        .withArgs(ctx.roundId, r0.address, 1, c0.commitment, start + c, start + c + r);
      expect(await sys.settlement.settlementAttempt(ctx.roundId)).to.deep.equal([1n, start + c, start + c + r]);
      await time.increase(50);
      const c1 = await makeSettlementCommit(sys, r1.address, ctx.roundId, built.settlement);
      await expect(sys.settlement.connect(r1).commitSettlement(ctx.roundId, c1.commitment))
        .to.emit(sys.settlement, "SettlementCommitted")
        .withArgs(ctx.roundId, r1.address, 1, c1.commitment, start + c, start + c + r);
      expect(await sys.settlement.withdrawalLocked(r1.address)).to.equal(true);
    });

    it("closes commits at a fixed time, not at the first reveal; after the attempt's windows the next commit starts a new attempt", async function () {
      const { sys, ctx, built } = await loadFixture(settleFixture);
      const [r0, r1, r2] = sys.relayers;
      const c0 = await commitSettlement(sys, r0, ctx.roundId, built.settlement);
      await toSettleReveals(sys, ctx.roundId);
      await sys.settlement.connect(r0).revealSettlement(ctx.roundId, built.settlement, c0.salt, PAYLOAD_CID);
      const late = await makeSettlementCommit(sys, r1.address, ctx.roundId, built.settlement, 1n);
      await expect(sys.settlement.connect(r1).commitSettlement(ctx.roundId, late.commitment))
        .to.be.revertedWithCustomError(sys.settlement, "SettlementCommitsClosed")
        .withArgs(ctx.roundId, 1);
      await toAttemptEnd(sys, ctx.roundId);
      const c2 = await makeSettlementCommit(sys, r2.address, ctx.roundId, built.settlement);
      expect(c2.attempt).to.equal(2n);
      await expect(sys.settlement.connect(r2).commitSettlement(ctx.roundId, c2.commitment)).to.emit(sys.settlement, "SettlementCommitted").withArgs(ctx.roundId, r2.address, 2, c2.commitment, anyValue, anyValue);
      expect((await sys.settlement.getRound(ctx.roundId)).attempt).to.equal(2);
    });

    it("one commitment per relayer and attempt", async function () {
      const { sys, ctx, built } = await loadFixture(settleFixture);
      const r0 = sys.relayers[0];
      await commitSettlement(sys, r0, ctx.roundId, built.settlement);
      await expect(sys.settlement.connect(r0).commitSettlement(ctx.roundId, ethers.id("again")))
        .to.be.revertedWithCustomError(sys.settlement, "SettlementAlreadyVoted")
        .withArgs(ctx.roundId, r0.address, 1);
    });

    it("rejects a non-relayer, an unbonded relayer, a zero commitment and the wrong phase", async function () {
      const { sys, ctx } = await loadFixture(revealFixture);
      const commitment = ethers.id("c");
      await expectWrongPhase(sys, sys.settlement.connect(sys.relayers[0]).commitSettlement(ctx.roundId, commitment), ctx.roundId, Phase.Settle, Phase.Reveal);
      await toSettle(sys, ctx.roundId);
      await expect(sys.settlement.connect(sys.acc.outsider).commitSettlement(ctx.roundId, commitment))
        .to.be.revertedWithCustomError(sys.settlement, "SettlementNotRelayer")
        .withArgs(sys.acc.outsider.address);
      const r2 = sys.relayers[2];
      await sys.vault.connect(r2).requestUnstake(Role.Relayer, RELAYER_BOND);
      await expect(sys.settlement.connect(r2).commitSettlement(ctx.roundId, commitment))
        .to.be.revertedWithCustomError(sys.settlement, "SettlementBondTooLow")
        .withArgs(r2.address, 0, RELAYER_BOND);
      await expect(sys.settlement.connect(sys.relayers[0]).commitSettlement(ctx.roundId, ZERO32))
        .to.be.revertedWithCustomError(sys.settlement, "SettlementZeroValue")
        .withArgs("commitment");
    });

    it("waits for every earlier round to close", async function () {
      const sys = await loadFixture(stakedFixture);
      const a = await openRound(sys, { n: 2, assignment: new Map([[addr(sys.acc.evaluators[0].address), [0, 1]]]) });
      const b = await openRound(sys, { n: 2, assignment: new Map([[addr(sys.acc.evaluators[1].address), [0, 1]]]) });
      await toSettle(sys, b.roundId);
      const s = buildSettlement({ ledger: new Map(), inferencePaid: 0n, evaluatorPaid: 0n });
      await expect(sys.settlement.connect(sys.relayers[0]).commitSettlement(b.roundId, ethers.id("x")))
        .to.be.revertedWithCustomError(sys.settlement, "SettlementPreviousRoundOpen")
        .withArgs(b.roundId, 0);
      await settleAndFinalize(sys, a.roundId, s.settlement);
      const c = await makeSettlementCommit(sys, sys.relayers[0].address, b.roundId, s.settlement);
      await expect(sys.settlement.connect(sys.relayers[0]).commitSettlement(b.roundId, c.commitment)).to.emit(sys.settlement, "SettlementCommitted");
    });
  });

  describe("revealSettlement", function () {
    it("counts identical reveals of current relayers; at quorum accepts and opens the challenge window", async function () {
      const { sys, ctx, built } = await loadFixture(settleFixture);
      const [r0, r1] = sys.relayers;
      const c0 = await commitSettlement(sys, r0, ctx.roundId, built.settlement);
      const c1 = await commitSettlement(sys, r1, ctx.roundId, built.settlement);
      await toSettleReveals(sys, ctx.roundId);
      await expect(sys.settlement.connect(r0).revealSettlement(ctx.roundId, built.settlement, c0.salt, PAYLOAD_CID))
        .to.emit(sys.settlement, "SettlementRevealed")
        .withArgs(ctx.roundId, r0.address, 1, built.hash, anyValue, ethers.hexlify(PAYLOAD_CID))
        .and.not.to.emit(sys.settlement, "SettlementAccepted");
      const challengeEnd = (await pinNextTimestamp()) + BigInt(DEFAULT_PARAMS.challengeDuration);
      const tx = sys.settlement.connect(r1).revealSettlement(ctx.roundId, built.settlement, c1.salt, PAYLOAD_CID);
      await expect(tx).to.emit(sys.settlement, "SettlementAccepted").withArgs(ctx.roundId, 1, built.hash, challengeEnd);
      const r = await sys.settlement.getRound(ctx.roundId);
      expect([r.status, r.settlementHash, r.challengeEnd, r.acceptedVoters]).to.deep.equal([BigInt(Status.Accepted), built.hash, challengeEnd, 0b110n]);
      expect(await sys.settlement.phaseOf(ctx.roundId)).to.equal(Phase.Challenge);
    });

    it("a reveal of the accepted settlement after acceptance is a no-op (a third relayer racing the quorum mines no revert)", async function () {
      const { sys, ctx, built } = await loadFixture(settleFixture);
      const cs = [];
      for (const r of sys.relayers) cs.push(await commitSettlement(sys, r, ctx.roundId, built.settlement));
      await toSettleReveals(sys, ctx.roundId);
      for (const i of [0, 1]) await sys.settlement.connect(sys.relayers[i]).revealSettlement(ctx.roundId, built.settlement, cs[i].salt, PAYLOAD_CID);
      await expect(sys.settlement.connect(sys.relayers[2]).revealSettlement(ctx.roundId, built.settlement, cs[2].salt, PAYLOAD_CID)).not.to.emit(
        sys.settlement,
        "SettlementRevealed",
      );
      expect((await sys.settlement.getRound(ctx.roundId)).acceptedVoters).to.equal(0b110n);
      // Anything else in the challenge window is refused as before.
      const other = standardSettlement(sys, ctx, "other").settlement;
      await expectWrongPhase(sys, sys.settlement.connect(sys.relayers[2]).revealSettlement(ctx.roundId, other, cs[2].salt, PAYLOAD_CID), ctx.roundId, Phase.Settle, Phase.Challenge);
    });

    it("is open only in the current attempt's reveal window", async function () {
      const { sys, ctx, built } = await loadFixture(settleFixture);
      const r0 = sys.relayers[0];
      await expect(sys.settlement.connect(r0).revealSettlement(ctx.roundId, built.settlement, ZERO32, "0x"))
        .to.be.revertedWithCustomError(sys.settlement, "SettlementRevealsClosed")
        .withArgs(ctx.roundId, 0);
      const c0 = await commitSettlement(sys, r0, ctx.roundId, built.settlement);
      await expect(sys.settlement.connect(r0).revealSettlement(ctx.roundId, built.settlement, c0.salt, "0x"))
        .to.be.revertedWithCustomError(sys.settlement, "SettlementRevealsClosed")
        .withArgs(ctx.roundId, 1);
      await toAttemptEnd(sys, ctx.roundId);
      await expect(sys.settlement.connect(r0).revealSettlement(ctx.roundId, built.settlement, c0.salt, "0x"))
        .to.be.revertedWithCustomError(sys.settlement, "SettlementRevealsClosed")
        .withArgs(ctx.roundId, 1);
    });

    it("needs the caller's commitment in this attempt, once, opened by the same settlement and salt", async function () {
      const { sys, ctx, built } = await loadFixture(settleFixture);
      const [r0, r1, r2] = sys.relayers;
      const c0 = await commitSettlement(sys, r0, ctx.roundId, built.settlement);
      const c1 = await commitSettlement(sys, r1, ctx.roundId, built.settlement);
      await toSettleReveals(sys, ctx.roundId);
      await expect(sys.settlement.connect(r2).revealSettlement(ctx.roundId, built.settlement, c0.salt, "0x"))
        .to.be.revertedWithCustomError(sys.settlement, "SettlementNoVote")
        .withArgs(ctx.roundId, r2.address, 1);
      await expect(sys.settlement.connect(r1).revealSettlement(ctx.roundId, built.settlement, c0.salt, "0x"))
        .to.be.revertedWithCustomError(sys.settlement, "SettlementVoteMismatch")
        .withArgs(ctx.roundId, r1.address);
      const other = standardSettlement(sys, ctx, "other").settlement;
      await expect(sys.settlement.connect(r0).revealSettlement(ctx.roundId, other, c0.salt, "0x"))
        .to.be.revertedWithCustomError(sys.settlement, "SettlementVoteMismatch")
        .withArgs(ctx.roundId, r0.address);
      await sys.settlement.connect(r0).revealSettlement(ctx.roundId, built.settlement, c0.salt, "0x");
      await expect(sys.settlement.connect(r0).revealSettlement(ctx.roundId, built.settlement, c0.salt, "0x"))
        .to.be.revertedWithCustomError(sys.settlement, "SettlementNoVote")
        .withArgs(ctx.roundId, r0.address, 1);
      await expect(sys.settlement.connect(sys.acc.outsider).revealSettlement(ctx.roundId, built.settlement, c0.salt, "0x"))
        .to.be.revertedWithCustomError(sys.settlement, "SettlementNotRelayer")
        .withArgs(sys.acc.outsider.address);
      await expect(sys.settlement.connect(r1).revealSettlement(ctx.roundId, built.settlement, c1.salt, new Uint8Array(129)))
        .to.be.revertedWithCustomError(sys.settlement, "SettlementCidTooLong")
        .withArgs(129);
    });

    it("a commitment made in one attempt does not open in the next", async function () {
      const { sys, ctx, built } = await loadFixture(settleFixture);
      const [r0, r1] = sys.relayers;
      const first = await commitSettlement(sys, r0, ctx.roundId, built.settlement);
      await toAttemptEnd(sys, ctx.roundId);
      // Attempt 2: r0 posts its attempt-1 commitment again; it binds attempt 1, so it cannot open now.
      await sys.settlement.connect(r0).commitSettlement(ctx.roundId, first.commitment);
      await commitSettlement(sys, r1, ctx.roundId, built.settlement);
      await toSettleReveals(sys, ctx.roundId);
      await expect(sys.settlement.connect(r0).revealSettlement(ctx.roundId, built.settlement, first.salt, "0x"))
        .to.be.revertedWithCustomError(sys.settlement, "SettlementVoteMismatch")
        .withArgs(ctx.roundId, r0.address);
    });

    it("checks the settlement: parameter version, flags, low-trust list, gold opening, funding and cumulative total", async function () {
      const { sys, ctx, built } = await loadFixture(longSettleFixture);
      const [r0] = sys.relayers;
      const s = built.settlement;
      const [e0, e1, e2] = sys.acc.evaluators;
      const many = Array.from({ length: DEFAULT_PARAMS.maxLowTrustSlashes + 1 }, (_, i) => addr(ethers.toBeHex(i + 1, 20)));
      const unsorted = [e0.address, e1.address, e2.address].map(addr).sort((a, b) => (BigInt(a) > BigInt(b) ? -1 : 1));
      const gold = makeGold([{ taskIndex: 0, poolIndex: 0 }]);
      const cases: [typeof s, string, unknown[]][] = [
        [{ ...s, paramsVersion: 2 }, "SettlementParamsVersionMismatch", [1, 2]],
        [{ ...s, flags: 2 }, "SettlementBadFlags", [2, 2]],
        [{ ...s, flags: 1 }, "SettlementBadFlags", [1, 2]],
        [{ ...s, lowTrustSlashes: many }, "SettlementTooManySlashes", [many.length, DEFAULT_PARAMS.maxLowTrustSlashes]],
        [{ ...s, lowTrustSlashes: unsorted }, "SettlementSlashesNotSorted", [1]],
        [{ ...s, lowTrustSlashes: [unsorted[2], unsorted[2]] }, "SettlementSlashesNotSorted", [1]],
        [{ ...s, goldRoot: gold.root, goldSalt: gold.salt, goldCount: 1 }, "SettlementGoldMismatch", [ctx.roundId]],
        [{ ...s, goldCount: 1 }, "SettlementGoldMismatch", [ctx.roundId]],
        [{ ...s, inferencePaid: INFERENCE_POOL + 1n }, "SettlementExceedsFunding", [ctx.roundId, INFERENCE_POOL + 1n, INFERENCE_POOL]],
        [{ ...s, evaluatorPaid: EVALUATOR_POOL + 1n }, "SettlementExceedsFunding", [ctx.roundId, EVALUATOR_POOL + 1n, EVALUATOR_POOL]],
        [{ ...s, cumulativeTotal: s.cumulativeTotal - 1n }, "SettlementCumulativeTotalMismatch", [s.cumulativeTotal, s.cumulativeTotal - 1n]],
      ];
      for (const [bad, error, args] of cases) {
        const c = await commitSettlement(sys, r0, ctx.roundId, bad);
        await toSettleReveals(sys, ctx.roundId);
        await expect(sys.settlement.connect(r0).revealSettlement(ctx.roundId, bad, c.salt, "0x"))
          .to.be.revertedWithCustomError(sys.settlement, error)
          .withArgs(...args);
        await toAttemptEnd(sys, ctx.roundId);
      }
      // The breaker flag with an empty list is fine.
      const breaker = { ...s, flags: 1, lowTrustSlashes: [] };
      const c = await commitSettlement(sys, r0, ctx.roundId, breaker);
      await toSettleReveals(sys, ctx.roundId);
      await expect(sys.settlement.connect(r0).revealSettlement(ctx.roundId, breaker, c.salt, "0x")).to.emit(sys.settlement, "SettlementRevealed");
    });

    it("with a gold commitment, needs the settlement to open it", async function () {
      const sys = await loadFixture(stakedFixture);
      const gold = makeGold([{ taskIndex: 1, poolIndex: 3 }], undefined, "open-me");
      const ctx = await openRound(sys, { n: 4, gold, assignment: new Map([[addr(sys.acc.evaluators[0].address), [0, 1, 2, 3]]]) });
      await toSettle(sys, ctx.roundId);
      const right = buildSettlement({ ledger: new Map(), inferencePaid: 0n, evaluatorPaid: 0n, gold });
      const wrongSalt = { ...right.settlement, goldSalt: ethers.id("guess") as Hex };
      const noGold = buildSettlement({ ledger: new Map(), inferencePaid: 0n, evaluatorPaid: 0n }).settlement;
      for (const bad of [wrongSalt, noGold, { ...right.settlement, goldCount: 2 }]) {
        const c = await commitSettlement(sys, sys.relayers[0], ctx.roundId, bad);
        await toSettleReveals(sys, ctx.roundId);
        await expect(sys.settlement.connect(sys.relayers[0]).revealSettlement(ctx.roundId, bad, c.salt, "0x"))
          .to.be.revertedWithCustomError(sys.settlement, "SettlementGoldMismatch")
          .withArgs(ctx.roundId);
        await toAttemptEnd(sys, ctx.roundId);
      }
      await settle(sys, ctx.roundId, right.settlement);
      expect(await sys.settlement.phaseOf(ctx.roundId)).to.equal(Phase.Challenge);
    });

    it("split reveals accept nothing; a later attempt can", async function () {
      const { sys, ctx, built } = await loadFixture(settleFixture);
      const [r0, r1] = sys.relayers;
      const other = standardSettlement(sys, ctx, "other").settlement;
      const c0 = await commitSettlement(sys, r0, ctx.roundId, built.settlement);
      const c1 = await commitSettlement(sys, r1, ctx.roundId, other);
      await toSettleReveals(sys, ctx.roundId);
      await sys.settlement.connect(r0).revealSettlement(ctx.roundId, built.settlement, c0.salt, "0x");
      await expect(sys.settlement.connect(r1).revealSettlement(ctx.roundId, other, c1.salt, "0x")).not.to.emit(sys.settlement, "SettlementAccepted");
      await toAttemptEnd(sys, ctx.roundId);
      expect(await sys.settlement.phaseOf(ctx.roundId)).to.equal(Phase.Settle);
      await settle(sys, ctx.roundId, built.settlement);
      const r = await sys.settlement.getRound(ctx.roundId);
      expect([r.status, r.attempt]).to.deep.equal([BigInt(Status.Accepted), 2n]);
    });
  });

  describe("announce", function () {
    it("lets a relayer point to a round's content and emits ContentAnnounced", async function () {
      const { sys, ctx } = await loadFixture(seedingFixture);
      const cid = ethers.toUtf8Bytes("bafy-gold-opening");
      await expect(sys.settlement.connect(sys.relayers[1]).announce(ctx.roundId, ContentKind.GoldOpening, cid))
        .to.emit(sys.settlement, "ContentAnnounced")
        .withArgs(ctx.roundId, sys.relayers[1].address, ContentKind.GoldOpening, ethers.hexlify(cid));
      await expect(sys.settlement.connect(sys.acc.outsider).announce(ctx.roundId, ContentKind.Payload, cid))
        .to.be.revertedWithCustomError(sys.settlement, "SettlementNotRelayer")
        .withArgs(sys.acc.outsider.address);
      await expect(sys.settlement.connect(sys.relayers[1]).announce(42, ContentKind.Payload, cid)).to.be.revertedWithCustomError(sys.settlement, "SettlementUnknownRound").withArgs(42);
      await expect(sys.settlement.connect(sys.relayers[1]).announce(ctx.roundId, ContentKind.Payload, new Uint8Array(129)))
        .to.be.revertedWithCustomError(sys.settlement, "SettlementCidTooLong")
        .withArgs(129);
    });
  });

  describe("vetoSettlement", function () {
    it("reopens settlement inside the challenge window, extends the expiry by one attempt, challenge and answer window, and emits SettlementVetoed", async function () {
      const { sys, ctx, built } = await loadFixture(challengeFixture);
      const before = await sys.settlement.getRound(ctx.roundId);
      const p = DEFAULT_PARAMS;
      const expiresAt = before.expiresAt + BigInt(p.settleCommitDuration + p.settleRevealDuration + p.challengeDuration + p.responseDuration);
      await expect(sys.settlement.connect(sys.acc.guardian).vetoSettlement(ctx.roundId))
        .to.emit(sys.settlement, "SettlementVetoed")
        .withArgs(ctx.roundId, sys.acc.guardian.address, built.hash, expiresAt);
      const r = await sys.settlement.getRound(ctx.roundId);
      expect([r.status, r.vetoes, r.extensions, r.settlementHash, r.challengeEnd, r.acceptedVoters, r.attemptStart]).to.deep.equal([
        BigInt(Status.Active),
        1n,
        1n,
        ZERO32,
        0n,
        0n,
        0n,
      ]);
      expect(r.expiresAt).to.equal(expiresAt);
      expect(await sys.settlement.phaseOf(ctx.roundId)).to.equal(Phase.Settle);
      expect(await sys.settlement.settlementAttempt(ctx.roundId)).to.deep.equal([1n, 0n, 0n]);
    });

    it("at most maxVetoes times per round", async function () {
      const { sys, ctx, built } = await loadFixture(challengeFixture);
      for (let i = 0; i < DEFAULT_PARAMS.maxVetoes; i++) {
        if (i > 0) await settle(sys, ctx.roundId, built.settlement);
        await sys.settlement.connect(sys.acc.guardian).vetoSettlement(ctx.roundId);
      }
      await settle(sys, ctx.roundId, built.settlement);
      await expect(sys.settlement.connect(sys.acc.guardian).vetoSettlement(ctx.roundId))
        .to.be.revertedWithCustomError(sys.settlement, "SettlementVetoLimitReached")
        .withArgs(ctx.roundId, DEFAULT_PARAMS.maxVetoes);
    });

    it("is only for the guardian, only inside the challenge window", async function () {
      const { sys, ctx } = await loadFixture(challengeFixture);
      await expect(sys.settlement.connect(sys.acc.outsider).vetoSettlement(ctx.roundId))
        .to.be.revertedWithCustomError(sys.settlement, "SettlementNotGuardian")
        .withArgs(sys.acc.outsider.address);
      await toChallengeEnd(sys, ctx.roundId);
      await expectWrongPhase(sys, sys.settlement.connect(sys.acc.guardian).vetoSettlement(ctx.roundId), ctx.roundId, Phase.Challenge, Phase.Finalizable);
      const { sys: s2, ctx: c2 } = await loadFixture(settleFixture);
      await expectWrongPhase(s2, s2.settlement.connect(s2.acc.guardian).vetoSettlement(c2.roundId), c2.roundId, Phase.Challenge, Phase.Settle);
      await expect(s2.settlement.connect(s2.acc.guardian).vetoSettlement(77)).to.be.revertedWithCustomError(s2.settlement, "SettlementUnknownRound").withArgs(77);
    });
  });

  describe("rejectSettlement", function () {
    it("is only for the challenge contract, against the accepted settlement", async function () {
      const { sys, ctx, built } = await loadFixture(challengeFixture);
      await expect(sys.settlement.connect(sys.acc.outsider).rejectSettlement(ctx.roundId, built.hash, sys.acc.outsider.address))
        .to.be.revertedWithCustomError(sys.settlement, "SettlementNotChallenges")
        .withArgs(sys.acc.outsider.address);
      const asChallenges = await signerFor(await sys.challenges.getAddress());
      await expect(sys.settlement.connect(asChallenges).rejectSettlement(ctx.roundId, ZERO32, sys.acc.outsider.address))
        .to.be.revertedWithCustomError(sys.settlement, "SettlementMismatch")
        .withArgs(ctx.roundId, built.hash, ZERO32);
      await expect(sys.settlement.connect(asChallenges).rejectSettlement(55, ZERO32, sys.acc.outsider.address))
        .to.be.revertedWithCustomError(sys.settlement, "SettlementUnknownRound")
        .withArgs(55);
    });

    it("seizes the whole bond of every relayer that revealed it, pays the challenger its share, reopens and emits SettlementRejected", async function () {
      const { sys, ctx, built } = await loadFixture(challengeFixture);
      const asChallenges = await signerFor(await sys.challenges.getAddress());
      const c = sys.acc.challenger;
      const before = await sys.token.balanceOf(c.address);
      const seized = 2n * RELAYER_BOND;
      const reward = 2n * ((RELAYER_BOND * BigInt(DEFAULT_PARAMS.challengeRewardBps)) / 10_000n);
      const p = DEFAULT_PARAMS;
      const expiresAt = (await sys.settlement.getRound(ctx.roundId)).expiresAt + BigInt(p.settleCommitDuration + p.settleRevealDuration + p.challengeDuration + p.responseDuration);
      const tx = sys.settlement.connect(asChallenges).rejectSettlement(ctx.roundId, built.hash, c.address);
      await expect(tx).to.emit(sys.settlement, "SettlementRejected").withArgs(ctx.roundId, c.address, built.hash, seized, reward, expiresAt);
      for (const r of sys.relayers.slice(0, 2)) {
        await expect(tx).to.emit(sys.vault, "Slashed").withArgs(ctx.roundId, r.address, Role.Relayer, Reason.Bond, RELAYER_BOND, sys.acc.treasury.address);
        expect(await sys.vault.stakeOf(r.address, Role.Relayer)).to.deep.equal([0n, 0n]);
      }
      expect((await sys.vault.stakeOf(sys.relayers[2].address, Role.Relayer)).active).to.equal(RELAYER_BOND);
      expect((await sys.token.balanceOf(c.address)) - before).to.equal(reward);
      const r = await sys.settlement.getRound(ctx.roundId);
      expect([r.status, r.vetoes, r.extensions]).to.deep.equal([BigInt(Status.Active), 0n, 1n]);
    });

    it("stops extending the expiry after maxExtensions reopenings", async function () {
      const { sys, ctx, built } = await loadFixture(challengeFixture);
      const asChallenges = await signerFor(await sys.challenges.getAddress());
      for (let i = 0; i < DEFAULT_PARAMS.maxExtensions; i++) {
        if (i > 0) {
          // Re-bond the relayers (their bonds were seized) and settle again.
          for (const r of sys.relayers.slice(0, 2)) await sys.vault.connect(r).stake(Role.Relayer, RELAYER_BOND);
          await settle(sys, ctx.roundId, built.settlement);
        }
        await sys.settlement.connect(asChallenges).rejectSettlement(ctx.roundId, built.hash, sys.acc.challenger.address);
      }
      const r = await sys.settlement.getRound(ctx.roundId);
      expect(r.extensions).to.equal(DEFAULT_PARAMS.maxExtensions);
      for (const x of sys.relayers.slice(0, 2)) await sys.vault.connect(x).stake(Role.Relayer, RELAYER_BOND);
      await settle(sys, ctx.roundId, built.settlement);
      await sys.settlement.connect(asChallenges).rejectSettlement(ctx.roundId, built.hash, sys.acc.challenger.address);
      const after = await sys.settlement.getRound(ctx.roundId);
      expect([after.extensions, after.expiresAt]).to.deep.equal([r.extensions, r.expiresAt]);
    });
  });

  describe("cancelRound", function () {
    it("lets the guardian cancel a round before its seed block is mined; its funders can take their funds back", async function () {
      const { sys, ctx } = await loadFixture(seedingFixture);
      await fund(sys, ctx.roundId, 10n, 5n);
      const tx = sys.settlement.connect(sys.acc.guardian).cancelRound(ctx.roundId);
      await expect(tx).to.emit(sys.settlement, "RoundCancelled").withArgs(ctx.roundId, sys.acc.guardian.address, Phase.Seeding);
      await expect(tx).to.emit(sys.distributor, "RoundCancelled").withArgs(ctx.roundId);
      expect((await sys.settlement.getRound(ctx.roundId)).status).to.equal(Status.Cancelled);
      expect(await sys.settlement.phaseOf(ctx.roundId)).to.equal(Phase.Cancelled);
      expect(await sys.settlement.lastClosedRound()).to.equal(1);
      await expect(sys.distributor.refund(ctx.roundId, sys.acc.funder.address)).to.emit(sys.distributor, "Refunded").withArgs(ctx.roundId, sys.acc.funder.address, 15n);
    });

    it("refuses the guardian once the seed is fixed, and in any later phase", async function () {
      const { sys, ctx } = await loadFixture(seedingFixture);
      await mineToSeed(sys, ctx); // the next block is past the seed block
      await expect(sys.settlement.connect(sys.acc.guardian).cancelRound(ctx.roundId))
        .to.be.revertedWithCustomError(sys.settlement, "SettlementSeedFixed")
        .withArgs(ctx.roundId, ctx.seedBlock);
      await drawSeed(sys, ctx);
      await expectWrongPhase(sys, sys.settlement.connect(sys.acc.guardian).cancelRound(ctx.roundId), ctx.roundId, Phase.Expired, Phase.Assigning);
      await assign(sys, ctx, { assignment: fixedAssignment(sys) });
      await expectWrongPhase(sys, sys.settlement.connect(sys.acc.guardian).cancelRound(ctx.roundId), ctx.roundId, Phase.Expired, Phase.Commit);
    });

    it("refuses anyone else before the round expires", async function () {
      const { sys, ctx } = await loadFixture(seedingFixture);
      await expect(sys.settlement.connect(sys.acc.outsider).cancelRound(ctx.roundId))
        .to.be.revertedWithCustomError(sys.settlement, "SettlementNotGuardian")
        .withArgs(sys.acc.outsider.address);
      await expect(sys.settlement.cancelRound(3)).to.be.revertedWithCustomError(sys.settlement, "SettlementUnknownRound").withArgs(3);
    });

    it("lets anyone cancel once the round expired: assignment deadline, undrawable seed, settlement expiry", async function () {
      const sys = await loadFixture(stakedFixture);
      const a = await registerRound(sys, { n: 2 });
      await drawSeed(sys, a);
      await toAssignDeadline(sys, a.roundId);
      await expect(sys.settlement.connect(sys.acc.outsider).cancelRound(a.roundId)).to.emit(sys.settlement, "RoundCancelled").withArgs(a.roundId, sys.acc.outsider.address, Phase.Expired);
      const b = await registerRound(sys, { n: 2 });
      await mineToSeed(sys, b);
      await mine(257);
      await expect(sys.settlement.connect(sys.acc.outsider).cancelRound(b.roundId)).to.emit(sys.settlement, "RoundCancelled");
      const c = await openRound(sys, { n: 2, assignment: new Map([[addr(sys.acc.evaluators[0].address), [0, 1]]]) });
      await toExpiry(sys, c.roundId);
      expect(await sys.settlement.phaseOf(c.roundId)).to.equal(Phase.Expired);
      await expect(sys.settlement.connect(sys.acc.outsider).cancelRound(c.roundId)).to.emit(sys.settlement, "RoundCancelled");
      expect(await sys.settlement.lastClosedRound()).to.equal(3);
    });

    it("a second cancellation is a no-op, whoever calls", async function () {
      const { sys, ctx } = await loadFixture(seedingFixture);
      await sys.settlement.connect(sys.acc.guardian).cancelRound(ctx.roundId);
      await expect(sys.settlement.connect(sys.acc.outsider).cancelRound(ctx.roundId)).not.to.emit(sys.settlement, "RoundCancelled");
    });
  });

  describe("finalize", function () {
    it("installs the root, slashes the low-trust revealers (skipping non-revealers), closes the round and emits RoundFinalized", async function () {
      const { sys, ctx, built } = await loadFixture(challengeFixture);
      await toChallengeEnd(sys, ctx.roundId);
      const [, , e2, e3] = sys.acc.evaluators;
      const slashed = (EVALUATOR_STAKES[2] * BigInt(DEFAULT_PARAMS.lowTrustSlashBps) + 9_999n) / 10_000n;
      const tx = sys.settlement.connect(sys.acc.outsider).finalize(ctx.roundId, built.settlement);
      await expect(tx).to.emit(sys.settlement, "RoundFinalized").withArgs(ctx.roundId, sys.acc.outsider.address, built.hash, slashed);
      await expect(tx)
        .to.emit(sys.distributor, "RootUpdated")
        .withArgs(ctx.roundId, await sys.settlement.getAddress(), built.settlement.rewardsRoot, built.settlement.cumulativeTotal, built.settlement.inferencePaid, built.settlement.evaluatorPaid);
      await expect(tx).to.emit(sys.vault, "Slashed").withArgs(ctx.roundId, e2.address, Role.Evaluator, Reason.LowTrust, slashed, sys.acc.treasury.address);
      await expect(tx).to.emit(sys.settlement, "SlashSkipped").withArgs(ctx.roundId, e3.address, Reason.LowTrust);
      expect((await sys.vault.stakeOf(e3.address, Role.Evaluator)).active).to.equal(EVALUATOR_STAKES[3]);
      expect((await sys.settlement.getRound(ctx.roundId)).status).to.equal(Status.Finalized);
      expect(await sys.settlement.phaseOf(ctx.roundId)).to.equal(Phase.Finalized);
      expect(await sys.settlement.lastClosedRound()).to.equal(ctx.roundId);
      expect(await sys.distributor.rootRound()).to.equal(ctx.roundId);
    });

    it("a second finalize with the settlement is a no-op (racing finalizers)", async function () {
      const { sys, ctx, built } = await loadFixture(challengeFixture);
      await toChallengeEnd(sys, ctx.roundId);
      await sys.settlement.finalize(ctx.roundId, built.settlement);
      await expect(sys.settlement.connect(sys.relayers[1]).finalize(ctx.roundId, built.settlement)).not.to.emit(sys.settlement, "RoundFinalized");
    });

    it("needs the accepted settlement and the end of the challenge window", async function () {
      const { sys, ctx, built } = await loadFixture(challengeFixture);
      const other = standardSettlement(sys, ctx, "other");
      await expect(sys.settlement.finalize(ctx.roundId, other.settlement))
        .to.be.revertedWithCustomError(sys.settlement, "SettlementMismatch")
        .withArgs(ctx.roundId, built.hash, other.hash);
      await expectWrongPhase(sys, sys.settlement.finalize(ctx.roundId, built.settlement), ctx.roundId, Phase.Finalizable, Phase.Challenge);
      await expect(sys.settlement.finalize(11, built.settlement)).to.be.revertedWithCustomError(sys.settlement, "SettlementUnknownRound").withArgs(11);
      const { sys: s2, ctx: c2, built: b2 } = await loadFixture(settleFixture);
      await expect(s2.settlement.finalize(c2.roundId, b2.settlement)).to.be.revertedWithCustomError(s2.settlement, "SettlementMismatch").withArgs(c2.roundId, ZERO32, b2.hash);
    });

    it("caps each low-trust slash at the vault's cap", async function () {
      const sys = await deploySystem({ vaultMaxSlashBps: 100 });
      await stakeAll(sys);
      const e0 = sys.acc.evaluators[0];
      const ctx = await openRound(sys, { n: 2, assignment: new Map([[addr(e0.address), [0, 1]]]) });
      const c = await commit(sys, ctx, e0, [1, 2]);
      await toReveal(sys, ctx.roundId);
      await reveal(sys, ctx, e0, c);
      await toSettle(sys, ctx.roundId);
      const b = buildSettlement({ ledger: new Map(), inferencePaid: 0n, evaluatorPaid: 0n, lowTrustSlashes: [e0.address] });
      await expect(settleAndFinalize(sys, ctx.roundId, b.settlement))
        .to.emit(sys.vault, "Slashed")
        .withArgs(ctx.roundId, e0.address, Role.Evaluator, Reason.LowTrust, EVALUATOR_STAKES[0] / 100n, sys.acc.treasury.address);
    });
  });

  describe("advanceClosed", function () {
    it("moves the closed pointer over consecutive closed rounds, at most maxSteps at a time", async function () {
      const sys = await loadFixture(stakedFixture);
      // Round 1 stays open; rounds 2..5 are cancelled by the guardian before their seed blocks.
      await registerRound(sys, { n: 1 });
      for (let i = 0; i < 3; i++) {
        const c = await registerRound(sys, { n: 1 });
        await sys.settlement.connect(sys.acc.guardian).cancelRound(c.roundId);
      }
      expect(await sys.settlement.lastClosedRound()).to.equal(0);
      await toAssignDeadline(sys, 1n);
      await sys.settlement.cancelRound(1);
      expect(await sys.settlement.lastClosedRound()).to.equal(4);
      expect(await sys.settlement.advanceClosed.staticCall(10)).to.equal(4);
    });

    it("passes at most ADVANCE_STEPS rounds per finalize or cancel; advanceClosed takes the rest", async function () {
      const sys = await deploySystem({ params: { maxOpenRounds: 64 } });
      await stakeAll(sys);
      const steps = Number(await sys.settlement.ADVANCE_STEPS());
      await registerRound(sys, { n: 1 });
      for (let i = 0; i < steps + 5; i++) {
        const c = await registerRound(sys, { n: 1 });
        await sys.settlement.connect(sys.acc.guardian).cancelRound(c.roundId);
      }
      await toAssignDeadline(sys, 1n);
      await sys.settlement.cancelRound(1);
      expect(await sys.settlement.lastClosedRound()).to.equal(steps);
      expect(await sys.settlement.advanceClosed.staticCall(2)).to.equal(steps + 2);
      await sys.settlement.advanceClosed(100);
      expect(await sys.settlement.lastClosedRound()).to.equal(steps + 6);
    });
  });

  describe("views", function () {
    it("fundingWindow, settlementAttempt, scoreRecord and the commitment helpers", async function () {
      const { sys, ctx, built } = await loadFixture(settleFixture);
      expect(await sys.settlement.settlementAttempt(ctx.roundId)).to.deep.equal([0n, 0n, 0n]);
      expect(await sys.settlement.scoreRecord(ctx.roundId, sys.acc.evaluators[4].address)).to.deep.equal([ZERO32, false, false]);
      expect(await sys.settlement.hashSettlement(built.settlement)).to.equal(hashSettlement(built.settlement));
      expect(await sys.settlement.fundingWindow(ctx.roundId + 1n)).to.deep.equal([true, DEFAULT_PARAMS.maxRoundPools]);
      const salt = ethers.id("s");
      expect(await sys.settlement.scoreCommitment(ctx.roundId, sys.acc.evaluators[0].address, "0x0001", salt)).to.equal(
        ethers.keccak256(
          ethers.AbiCoder.defaultAbiCoder().encode(
            ["uint256", "address", "uint256", "address", "bytes32", "bytes32"],
            [sys.chainId, await sys.settlement.getAddress(), ctx.roundId, sys.acc.evaluators[0].address, ethers.keccak256("0x0001"), salt],
          ),
        ),
      );
    });
  });
});
