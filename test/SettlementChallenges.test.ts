import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { Hex } from "viem";
import type { HookToken } from "../typechain-types";
import { buildGoldPoolTree, type GoldItem, type GoldPoolItem, type TaskLeaf } from "../src/chain/encoding";
import {
  ChallengeKind,
  ChallengeStatus,
  DEFAULT_PARAMS,
  GOLD_POOL,
  GOLD_POOL_TREE,
  Phase,
  RELAYER_BOND,
  Reason,
  Role,
  Status,
  TOKEN,
  deploySystem,
  paramsWith,
  stakedFixture,
  type System,
} from "./helpers/fixtures";
import { call, govern } from "./helpers/governance";
import {
  acceptedRound,
  addr,
  expectWrongPhase,
  buildSettlement,
  claimProof,
  fullRound,
  goldAnswer,
  goldProof,
  makeGold,
  openRound,
  pinNextTimestamp,
  settle,
  toChallengeEnd,
  toSettle,
  type Built,
  type GoldCtx,
  type RoundCtx,
} from "./helpers/round";

/* FIXTURES */

const BOND = DEFAULT_PARAMS.minChallengeBond;
const REWARD = (RELAYER_BOND * BigInt(DEFAULT_PARAMS.challengeRewardBps)) / 10_000n;

/** Round 1 finalized (gold: task 1 ← pool 0, task 3 ← pool 1); round 2 accepted honestly (gold: task 0 ← pool 2). */
async function challengeFixture() {
  const sys = await stakedFixture();
  const gold1 = makeGold([{ taskIndex: 1, poolIndex: 0 }, { taskIndex: 3, poolIndex: 1 }], GOLD_POOL, "g1");
  const r1 = await fullRound(sys, new Map(), { gold: gold1 });
  const gold2 = makeGold([{ taskIndex: 0, poolIndex: 2 }], GOLD_POOL, "g2");
  const r2 = await acceptedRound(sys, r1.built.ledger, { gold: gold2 });
  return { sys, r1, gold1, gold2, ...r2 };
}

/** As {challengeFixture}, but round 2's settlement lowers node 0's earlier allotment by 100 and gives it to relayer 0. */
async function loweredFixture() {
  const sys = await stakedFixture();
  const r1 = await fullRound(sys, new Map());
  const n0 = addr(sys.acc.nodes[0].address);
  const thief = addr(sys.relayers[0].address);
  const r2 = await acceptedRound(sys, r1.built.ledger, {
    make: (honest) => {
      const ledger = new Map(honest.ledger);
      ledger.set(n0, ledger.get(n0)! - 100n * TOKEN);
      ledger.set(thief, (ledger.get(thief) ?? 0n) + 100n * TOKEN);
      return buildSettlement({ ledger, inferencePaid: honest.settlement.inferencePaid, evaluatorPaid: honest.settlement.evaluatorPaid, tag: "lowered" });
    },
  });
  return { sys, r1, ...r2 };
}

/** An accepted settlement of round 1 whose gold set is `placements` (committed by the registrar). */
async function badGoldFixture(placements: { taskIndex: number; poolIndex: number; quality?: number; contentHash?: Hex }[], pool: readonly GoldPoolItem[] = GOLD_POOL) {
  const sys = await stakedFixture();
  const gold = makeGold(placements, pool, "bad");
  const r = await acceptedRound(sys, new Map(), { gold, n: 4 });
  return { sys, gold, ...r };
}
const reusedInRoundFixture = () => badGoldFixture([{ taskIndex: 0, poolIndex: 5 }, { taskIndex: 2, poolIndex: 5 }]);
const outOfPoolFixture = () => badGoldFixture([{ taskIndex: 0, poolIndex: GOLD_POOL.length }]);
const outOfBatchFixture = () => badGoldFixture([{ taskIndex: 4, poolIndex: 1 }]);
const badQualityFixture = () => badGoldFixture([{ taskIndex: 1, poolIndex: 1, quality: 10_001 }]);
/** The gold item claims pool item 3's index but carries other content. */
const inventedGoldFixture = () => badGoldFixture([{ taskIndex: 1, poolIndex: 3, contentHash: ethers.id("invented") as Hex, quality: 9_000 }]);

async function openAccountChallenge(sys: System, ctx: RoundCtx, built: Built, earlier: Built, who: string) {
  const p = claimProof(earlier, who);
  await sys.challenges.connect(sys.acc.challenger).challengeAccount(ctx.roundId, built.settlement, who, p.cumulativeAmount, p.index, p.proof);
  return { id: await sys.challenges.challengeCount(), earlier: p };
}

/** The challenger opens a challenge of gold item 0 of `gold` in `built`; returns the item and what answers it. */
async function openGoldChallenge(sys: System, ctx: RoundCtx, built: Built, gold: GoldCtx) {
  const item = gold.items[0];
  await sys.challenges.connect(sys.acc.challenger).challengeGoldItem(ctx.roundId, built.settlement, item, goldProof(gold, 0));
  return { item, ...goldAnswer(ctx, item) };
}

describe("SettlementChallenges", function () {
  describe("constructor", function () {
    it("reads the config from the settlement and starts with no challenge", async function () {
      const sys = await loadFixture(stakedFixture);
      expect(await sys.challenges.settlement()).to.equal(await sys.settlement.getAddress());
      expect(await sys.challenges.challengeCount()).to.equal(0);
      expect(await sys.challenges.openCount(1, 1)).to.equal(0);
    });
  });

  describe("challengeAccount", function () {
    it("opens a bonded challenge for an earlier allotment, holds the bond, blocks finalization and emits ChallengeOpened", async function () {
      const { sys, ctx, built, r1 } = await loadFixture(challengeFixture);
      const n0 = sys.acc.nodes[0].address;
      const p = claimProof(r1.built, n0);
      const c = sys.acc.challenger;
      const before = await sys.token.balanceOf(c.address);
      const deadline = (await pinNextTimestamp()) + BigInt(DEFAULT_PARAMS.responseDuration);
      const tx = sys.challenges.connect(c).challengeAccount(ctx.roundId, built.settlement, n0, p.cumulativeAmount, p.index, p.proof);
      await expect(tx)
        .to.emit(sys.challenges, "ChallengeOpened")
        .withArgs(1, ctx.roundId, c.address, ChallengeKind.Account, built.hash, n0, p.cumulativeAmount, BOND, deadline);
      expect(before - (await sys.token.balanceOf(c.address))).to.equal(BOND);
      expect(await sys.token.balanceOf(await sys.challenges.getAddress())).to.equal(BOND);
      const ch = await sys.challenges.getChallenge(1);
      expect([ch.roundId, ch.kind, ch.status, ch.deadline, ch.attempt, ch.challenger, ch.bond, ch.settlementHash, ch.account, ch.minAmount]).to.deep.equal([
        ctx.roundId,
        BigInt(ChallengeKind.Account),
        BigInt(ChallengeStatus.Open),
        deadline,
        1n,
        c.address,
        BOND,
        built.hash,
        n0,
        p.cumulativeAmount,
      ]);
      expect(ch.anchor).to.equal(ethers.keccak256(ethers.AbiCoder.defaultAbiCoder().encode(["bytes32", "uint256"], [built.settlement.rewardsRoot, built.settlement.cumulativeTotal])));
      expect(await sys.challenges.openCount(ctx.roundId, 1)).to.equal(1);
      await toChallengeEnd(sys, ctx.roundId);
      expect(await sys.settlement.phaseOf(ctx.roundId)).to.equal(Phase.Challenge);
      await expectWrongPhase(sys, sys.settlement.finalize(ctx.roundId, built.settlement), ctx.roundId, Phase.Finalizable, Phase.Challenge);
    });

    it("needs the accepted settlement inside its challenge window", async function () {
      const { sys, ctx, built, r1 } = await loadFixture(challengeFixture);
      const n0 = sys.acc.nodes[0].address;
      const p = claimProof(r1.built, n0);
      const ch = sys.challenges.connect(sys.acc.challenger);
      await expect(ch.challengeAccount(ctx.roundId, r1.built.settlement, n0, p.cumulativeAmount, p.index, p.proof))
        .to.be.revertedWithCustomError(sys.challenges, "ChallengeNotChallengeable")
        .withArgs(ctx.roundId);
      await expect(ch.challengeAccount(r1.ctx.roundId, r1.built.settlement, n0, p.cumulativeAmount, p.index, p.proof))
        .to.be.revertedWithCustomError(sys.challenges, "ChallengeNotChallengeable")
        .withArgs(r1.ctx.roundId);
      await toChallengeEnd(sys, ctx.roundId);
      await expect(ch.challengeAccount(ctx.roundId, built.settlement, n0, p.cumulativeAmount, p.index, p.proof))
        .to.be.revertedWithCustomError(sys.challenges, "ChallengeNotChallengeable")
        .withArgs(ctx.roundId);
    });

    it("needs a positive leaf proven under the distributor's current root", async function () {
      const { sys, ctx, built, r1 } = await loadFixture(challengeFixture);
      const n0 = sys.acc.nodes[0].address;
      const p = claimProof(r1.built, n0);
      const ch = sys.challenges.connect(sys.acc.challenger);
      await expect(ch.challengeAccount(ctx.roundId, built.settlement, n0, p.cumulativeAmount + 1n, p.index, p.proof))
        .to.be.revertedWithCustomError(sys.challenges, "ChallengeBadEarlierLeaf")
        .withArgs(n0, p.cumulativeAmount + 1n);
      // A leaf of the new (challenged) tree is not an earlier allotment.
      const q = claimProof(built, n0);
      await expect(ch.challengeAccount(ctx.roundId, built.settlement, n0, q.cumulativeAmount, q.index, q.proof))
        .to.be.revertedWithCustomError(sys.challenges, "ChallengeBadEarlierLeaf")
        .withArgs(n0, q.cumulativeAmount);
      await expect(ch.challengeAccount(ctx.roundId, built.settlement, n0, 0, p.index, p.proof))
        .to.be.revertedWithCustomError(sys.challenges, "ChallengeBadEarlierLeaf")
        .withArgs(n0, 0);
    });

    it("refuses the same challenge twice while it is open", async function () {
      const { sys, ctx, built, r1 } = await loadFixture(challengeFixture);
      const n0 = sys.acc.nodes[0].address;
      const { id } = await openAccountChallenge(sys, ctx, built, r1.built, n0);
      const p = claimProof(r1.built, n0);
      await expect(sys.challenges.connect(sys.acc.outsider).challengeAccount(ctx.roundId, built.settlement, n0, p.cumulativeAmount, p.index, p.proof))
        .to.be.revertedWithCustomError(sys.challenges, "ChallengeDuplicate")
        .withArgs(id);
      // Once answered, it can be asked again (and answered again).
      const a = claimProof(built, n0);
      await sys.challenges.connect(sys.relayers[2]).answerAccount(id, a.cumulativeAmount, a.index, a.proof);
      await expect(sys.challenges.connect(sys.acc.outsider).challengeAccount(ctx.roundId, built.settlement, n0, p.cumulativeAmount, p.index, p.proof)).to.emit(
        sys.challenges,
        "ChallengeOpened",
      );
    });
  });

  describe("answerAccount", function () {
    it("refutes with the account's leaf under the challenged root: the responder gets failedChallengeBps of the bond, the challenger the rest", async function () {
      const { sys, ctx, built, r1 } = await loadFixture(challengeFixture);
      const n0 = sys.acc.nodes[0].address;
      const { id } = await openAccountChallenge(sys, ctx, built, r1.built, n0);
      const a = claimProof(built, n0);
      const responder = sys.relayers[2];
      const toResponder = (BOND * BigInt(DEFAULT_PARAMS.failedChallengeBps)) / 10_000n;
      const [rb, cb] = [await sys.token.balanceOf(responder.address), await sys.token.balanceOf(sys.acc.challenger.address)];
      await expect(sys.challenges.connect(responder).answerAccount(id, a.cumulativeAmount, a.index, a.proof))
        .to.emit(sys.challenges, "ChallengeAnswered")
        .withArgs(id, responder.address, toResponder, BOND - toResponder);
      expect((await sys.token.balanceOf(responder.address)) - rb).to.equal(toResponder);
      expect((await sys.token.balanceOf(sys.acc.challenger.address)) - cb).to.equal(BOND - toResponder);
      expect((await sys.challenges.getChallenge(id)).status).to.equal(ChallengeStatus.Answered);
      expect(await sys.challenges.openCount(ctx.roundId, 1)).to.equal(0);
      await toChallengeEnd(sys, ctx.roundId);
      await expect(sys.settlement.finalize(ctx.roundId, built.settlement)).to.emit(sys.settlement, "RoundFinalized");
    });

    it("refuses a leaf below the earlier amount, a proof under another root, and a late or closed challenge", async function () {
      const { sys, ctx, built, r1 } = await loadFixture(challengeFixture);
      const n0 = sys.acc.nodes[0].address;
      const { id, earlier } = await openAccountChallenge(sys, ctx, built, r1.built, n0);
      const a = claimProof(built, n0);
      const r = sys.challenges.connect(sys.relayers[2]);
      await expect(r.answerAccount(id, earlier.cumulativeAmount, earlier.index, earlier.proof)).to.be.revertedWithCustomError(sys.challenges, "ChallengeBadAnswer").withArgs(id);
      await expect(r.answerAccount(id, a.cumulativeAmount - 1n, a.index, a.proof)).to.be.revertedWithCustomError(sys.challenges, "ChallengeBadAnswer").withArgs(id);
      await expect(r.answerAccount(id + 1n, a.cumulativeAmount, a.index, a.proof)).to.be.revertedWithCustomError(sys.challenges, "ChallengeNotOpen").withArgs(id + 1n);
      const deadline = (await sys.challenges.getChallenge(id)).deadline;
      await time.increaseTo(deadline);
      await expect(r.answerAccount(id, a.cumulativeAmount, a.index, a.proof)).to.be.revertedWithCustomError(sys.challenges, "ChallengeWindow").withArgs(id, deadline);
    });

    it("cannot answer a gold-item challenge", async function () {
      const { sys, ctx, built, gold2 } = await loadFixture(challengeFixture);
      await openGoldChallenge(sys, ctx, built, gold2);
      const a = claimProof(built, sys.acc.nodes[0].address);
      await expect(sys.challenges.answerAccount(1, a.cumulativeAmount, a.index, a.proof)).to.be.revertedWithCustomError(sys.challenges, "ChallengeNotOpen").withArgs(1);
    });
  });

  describe("challengeGoldItem", function () {
    it("opens a bonded challenge on a gold item of the settlement and emits ChallengeOpened", async function () {
      const { sys, ctx, built, gold2 } = await loadFixture(challengeFixture);
      const item = gold2.items[0];
      const deadline = (await pinNextTimestamp()) + BigInt(DEFAULT_PARAMS.responseDuration);
      const tx = sys.challenges.connect(sys.acc.challenger).challengeGoldItem(ctx.roundId, built.settlement, item, goldProof(gold2, 0));
      await expect(tx)
        .to.emit(sys.challenges, "ChallengeOpened")
        .withArgs(1, ctx.roundId, sys.acc.challenger.address, ChallengeKind.GoldItem, built.hash, ethers.ZeroAddress, 0, BOND, deadline);
      expect((await sys.challenges.getChallenge(1)).anchor).to.equal(await sys.challenges.goldItemLeaf(item));
    });

    it("needs the item under the settlement's gold root", async function () {
      const { sys, ctx, built, gold1 } = await loadFixture(challengeFixture);
      const item = gold1.items[0];
      await expect(sys.challenges.connect(sys.acc.challenger).challengeGoldItem(ctx.roundId, built.settlement, item, goldProof(gold1, 0)))
        .to.be.revertedWithCustomError(sys.challenges, "ChallengeBadGoldItem")
        .withArgs(item.taskIndex, item.poolIndex);
    });
  });

  describe("answerGoldItem", function () {
    it("refutes with the pool leaf and the batch's task leaf of the same content", async function () {
      const { sys, ctx, built, gold2 } = await loadFixture(challengeFixture);
      const { item, poolProof, task, taskProof } = await openGoldChallenge(sys, ctx, built, gold2);
      await expect(sys.challenges.connect(sys.relayers[1]).answerGoldItem(1, item, poolProof, task, taskProof))
        .to.emit(sys.challenges, "ChallengeAnswered")
        .withArgs(1, sys.relayers[1].address, (BOND * 1_000n) / 10_000n, BOND - (BOND * 1_000n) / 10_000n);
    });

    it("refuses another item, a bad pool or task proof, another task, and other content", async function () {
      const { sys, ctx, built, gold2 } = await loadFixture(challengeFixture);
      const { item, poolProof, task, taskProof } = await openGoldChallenge(sys, ctx, built, gold2);
      const r = sys.challenges.connect(sys.relayers[1]);
      const other: GoldItem = { ...item, quality: item.quality + 1 };
      const wrong: [GoldItem, Hex[], TaskLeaf, Hex[]][] = [
        [other, poolProof, task, taskProof],
        [item, GOLD_POOL_TREE.getProof(0) as Hex[], task, taskProof],
        [item, poolProof, task, ctx.taskTree.getProof(1) as Hex[]],
        [item, poolProof, ctx.tasks[1], ctx.taskTree.getProof(1) as Hex[]],
        [item, poolProof, { ...task, contentHash: ethers.id("x") as Hex }, taskProof],
      ];
      for (const args of wrong) await expect(r.answerGoldItem(1, ...args)).to.be.revertedWithCustomError(sys.challenges, "ChallengeBadAnswer").withArgs(1);
      const deadline = (await sys.challenges.getChallenge(1)).deadline;
      await time.increaseTo(deadline);
      await expect(r.answerGoldItem(1, item, poolProof, task, taskProof)).to.be.revertedWithCustomError(sys.challenges, "ChallengeWindow").withArgs(1, deadline);
    });

    it("an invented gold item (not the pool's content) cannot be answered: the challenge holds", async function () {
      const { sys, ctx, built, gold } = await loadFixture(inventedGoldFixture);
      const { item, poolProof, task, taskProof } = await openGoldChallenge(sys, ctx, built, gold);
      await expect(sys.challenges.answerGoldItem(1, item, poolProof, task, taskProof))
        .to.be.revertedWithCustomError(sys.challenges, "ChallengeBadAnswer")
        .withArgs(1);
      await time.increaseTo((await sys.challenges.getChallenge(1)).deadline);
      await expect(sys.challenges.resolve(1)).to.emit(sys.challenges, "ChallengeUpheld").withArgs(1, ctx.roundId, sys.acc.challenger.address);
    });
  });

  describe("resolve", function () {
    it("upholds an unanswered challenge after its window: bond back, settlement rejected, revealers' bonds seized, challenger paid", async function () {
      const { sys, ctx, built, r1 } = await loadFixture(loweredFixture);
      const n0 = sys.acc.nodes[0].address;
      const { id } = await openAccountChallenge(sys, ctx, built, r1.built, n0);
      const deadline = (await sys.challenges.getChallenge(id)).deadline;
      await expect(sys.challenges.resolve(id)).to.be.revertedWithCustomError(sys.challenges, "ChallengeWindow").withArgs(id, deadline);
      await time.increaseTo(deadline);
      const c = sys.acc.challenger.address;
      const before = await sys.token.balanceOf(c);
      const expiresAt = await reopenedExpiry(sys, ctx.roundId);
      const tx = sys.challenges.connect(sys.acc.outsider).resolve(id);
      await expect(tx).to.emit(sys.challenges, "ChallengeUpheld").withArgs(id, ctx.roundId, c);
      await expect(tx).to.emit(sys.settlement, "SettlementRejected").withArgs(ctx.roundId, c, built.hash, 2n * RELAYER_BOND, 2n * REWARD, expiresAt);
      expect((await sys.token.balanceOf(c)) - before).to.equal(BOND + 2n * REWARD);
      for (const r of sys.relayers.slice(0, 2)) expect(await sys.vault.stakeOf(r.address, Role.Relayer)).to.deep.equal([0n, 0n]);
      expect((await sys.challenges.getChallenge(id)).status).to.equal(ChallengeStatus.Upheld);
      expect((await sys.settlement.getRound(ctx.roundId)).status).to.equal(Status.Active);
      await expect(sys.challenges.resolve(id)).to.be.revertedWithCustomError(sys.challenges, "ChallengeNotOpen").withArgs(id);
    });

    it("a challenge whose settlement was vetoed is moot: its bond comes back whole at once", async function () {
      const { sys, ctx, built, r1 } = await loadFixture(challengeFixture);
      const { id } = await openAccountChallenge(sys, ctx, built, r1.built, sys.acc.nodes[0].address);
      await sys.settlement.connect(sys.acc.guardian).vetoSettlement(ctx.roundId);
      const before = await sys.token.balanceOf(sys.acc.challenger.address);
      await expect(sys.challenges.resolve(id)).to.emit(sys.challenges, "ChallengeMoot").withArgs(id).and.not.to.emit(sys.settlement, "SettlementRejected");
      expect((await sys.token.balanceOf(sys.acc.challenger.address)) - before).to.equal(BOND);
      expect((await sys.challenges.getChallenge(id)).status).to.equal(ChallengeStatus.Moot);
    });

    it("a challenge of an earlier acceptance stays moot when the same settlement is accepted again", async function () {
      const { sys, ctx, built, r1 } = await loadFixture(challengeFixture);
      const { id } = await openAccountChallenge(sys, ctx, built, r1.built, sys.acc.nodes[0].address);
      await sys.settlement.connect(sys.acc.guardian).vetoSettlement(ctx.roundId);
      await settle(sys, ctx.roundId, built.settlement);
      expect((await sys.settlement.getRound(ctx.roundId)).attempt).to.equal(2);
      expect(await sys.challenges.openCount(ctx.roundId, 2)).to.equal(0);
      await time.increaseTo((await sys.challenges.getChallenge(id)).deadline);
      await expect(sys.challenges.resolve(id)).to.emit(sys.challenges, "ChallengeMoot").withArgs(id).and.not.to.emit(sys.settlement, "SettlementRejected");
      for (const r of sys.relayers.slice(0, 2)) expect((await sys.vault.stakeOf(r.address, Role.Relayer)).active).to.equal(RELAYER_BOND);
      // The same question can be asked of the new acceptance.
      await expect(openAccountChallenge(sys, ctx, built, r1.built, sys.acc.nodes[0].address)).to.not.be.reverted;
      expect(await sys.challenges.openCount(ctx.roundId, 2)).to.equal(1);
    });

    it("refuses an unknown challenge", async function () {
      const { sys } = await loadFixture(challengeFixture);
      await expect(sys.challenges.resolve(3)).to.be.revertedWithCustomError(sys.challenges, "ChallengeNotOpen").withArgs(3);
    });
  });

  describe("proveGoldReuse", function () {
    it("proves two gold tasks of one round drawn from the same pool item: the settlement is rejected at once", async function () {
      const { sys, ctx, built, gold } = await loadFixture(reusedInRoundFixture);
      const c = sys.acc.challenger.address;
      const before = await sys.token.balanceOf(c);
      const expiresAt = await reopenedExpiry(sys, ctx.roundId);
      const tx = sys.challenges.connect(sys.acc.challenger).proveGoldReuse(ctx.roundId, built.settlement, gold.items[0], goldProof(gold, 0), 0, built.settlement, gold.items[1], goldProof(gold, 1));
      await expect(tx).to.emit(sys.challenges, "ViolationProven").withArgs(ctx.roundId, c, built.hash, "gold item reused");
      await expect(tx).to.emit(sys.settlement, "SettlementRejected").withArgs(ctx.roundId, c, built.hash, 2n * RELAYER_BOND, 2n * REWARD, expiresAt);
      expect((await sys.token.balanceOf(c)) - before).to.equal(2n * REWARD);
    });

    it("proves a pool item an earlier finalized round of the same pool already used", async function () {
      const sys = await loadFixture(stakedFixture);
      const g1 = makeGold([{ taskIndex: 2, poolIndex: 7 }], GOLD_POOL, "first");
      const r1 = await fullRound(sys, new Map(), { gold: g1 });
      const g2 = makeGold([{ taskIndex: 0, poolIndex: 7 }], GOLD_POOL, "again");
      const r2 = await acceptedRound(sys, r1.built.ledger, { gold: g2 });
      await expect(
        sys.challenges.connect(sys.acc.challenger).proveGoldReuse(r2.ctx.roundId, r2.built.settlement, g2.items[0], goldProof(g2, 0), r1.ctx.roundId, r1.built.settlement, g1.items[0], goldProof(g1, 0)),
      )
        .to.emit(sys.challenges, "ViolationProven")
        .withArgs(r2.ctx.roundId, sys.acc.challenger.address, r2.built.hash, "gold item reused");
    });

    it("is no violation: one item twice, different pool items, an unproven item, an earlier round that is not finalized or later, a wrong earlier settlement", async function () {
      const { sys, ctx, built, gold1, gold2, r1 } = await loadFixture(challengeFixture);
      const ch = sys.challenges.connect(sys.acc.challenger);
      const s = built.settlement;
      const g = gold2.items[0];
      const gp = goldProof(gold2, 0);
      const cases: Parameters<typeof ch.proveGoldReuse>[] = [
        [ctx.roundId, s, g, gp, 0, s, g, gp],
        [ctx.roundId, s, g, gp, r1.ctx.roundId, r1.built.settlement, gold1.items[0], goldProof(gold1, 0)],
        [ctx.roundId, s, g, gp, 0, s, { ...g, taskIndex: 5 }, gp],
        [ctx.roundId, s, g, gp, ctx.roundId, s, g, gp],
        [ctx.roundId, s, g, gp, r1.ctx.roundId, s, { ...gold1.items[0], poolIndex: 2 }, goldProof(gold1, 0)],
      ];
      for (const args of cases) await expect(ch.proveGoldReuse(...args)).to.be.revertedWithCustomError(sys.challenges, "ChallengeNoViolation");
      await expect(ch.proveGoldReuse(r1.ctx.roundId, r1.built.settlement, g, gp, 0, s, g, gp))
        .to.be.revertedWithCustomError(sys.challenges, "ChallengeNotChallengeable")
        .withArgs(r1.ctx.roundId);
    });

    it("is no violation across a gold-pool refresh: a new pool numbers its items afresh", async function () {
      const sys = await loadFixture(stakedFixture);
      const g1 = makeGold([{ taskIndex: 1, poolIndex: 0 }], GOLD_POOL, "old-pool");
      const r1 = await fullRound(sys, new Map(), { gold: g1 });
      const pool2: GoldPoolItem[] = GOLD_POOL.map((it) => ({ ...it, contentHash: ethers.id(`gold-pool/v2/${it.poolIndex}`) as Hex }));
      await govern(sys, await call(sys.config, "setParams", [paramsWith({ goldPoolRoot: buildGoldPoolTree(pool2).root as Hex })]));
      const g2 = makeGold([{ taskIndex: 2, poolIndex: 0 }], pool2, "new-pool");
      const r2 = await acceptedRound(sys, r1.built.ledger, { gold: g2 });
      await expect(
        sys.challenges.connect(sys.acc.challenger).proveGoldReuse(r2.ctx.roundId, r2.built.settlement, g2.items[0], goldProof(g2, 0), r1.ctx.roundId, r1.built.settlement, g1.items[0], goldProof(g1, 0)),
      ).to.be.revertedWithCustomError(sys.challenges, "ChallengeNoViolation");
      expect((await sys.settlement.getRound(r2.ctx.roundId)).status).to.equal(Status.Accepted);
    });
  });

  describe("proveGoldOutOfRange", function () {
    for (const [name, fixture] of [
      ["a pool index at or beyond the pool size", outOfPoolFixture],
      ["a task index at or beyond the task count", outOfBatchFixture],
      ["a quality above 10000", badQualityFixture],
    ] as const) {
      it(`proves ${name}: the settlement is rejected at once`, async function () {
        const { sys, ctx, built, gold } = await loadFixture(fixture);
        const tx = sys.challenges.connect(sys.acc.challenger).proveGoldOutOfRange(ctx.roundId, built.settlement, gold.items[0], goldProof(gold, 0));
        await expect(tx).to.emit(sys.challenges, "ViolationProven").withArgs(ctx.roundId, sys.acc.challenger.address, built.hash, "gold item out of range");
        await expect(tx).to.emit(sys.vault, "Slashed").withArgs(ctx.roundId, sys.relayers[0].address, Role.Relayer, Reason.Bond, RELAYER_BOND, sys.acc.treasury.address);
        expect(await sys.settlement.phaseOf(ctx.roundId)).to.equal(Phase.Settle);
      });
    }

    it("is no violation for an item in range or an unproven item", async function () {
      const { sys, ctx, built, gold2 } = await loadFixture(challengeFixture);
      const ch = sys.challenges.connect(sys.acc.challenger);
      await expect(ch.proveGoldOutOfRange(ctx.roundId, built.settlement, gold2.items[0], goldProof(gold2, 0))).to.be.revertedWithCustomError(sys.challenges, "ChallengeNoViolation");
      await expect(ch.proveGoldOutOfRange(ctx.roundId, built.settlement, { ...gold2.items[0], quality: 10_001 }, goldProof(gold2, 0))).to.be.revertedWithCustomError(
        sys.challenges,
        "ChallengeNoViolation",
      );
    });
  });

  describe("bond split edge cases", function () {
    for (const [bps, who] of [
      [0, "the challenger gets its whole bond back"],
      [10_000, "the responder gets the whole bond"],
    ] as const) {
      it(`failedChallengeBps ${bps}: ${who}`, async function () {
        const sys = await deploySystem({ params: { failedChallengeBps: bps } });
        await stakeAllFor(sys);
        const r1 = await fullRound(sys, new Map());
        const { ctx, built } = await acceptedRound(sys, r1.built.ledger);
        const n0 = sys.acc.nodes[0].address;
        const { id } = await openAccountChallenge(sys, ctx, built, r1.built, n0);
        const a = claimProof(built, n0);
        const toResponder = (BOND * BigInt(bps)) / 10_000n;
        await expect(sys.challenges.connect(sys.relayers[2]).answerAccount(id, a.cumulativeAmount, a.index, a.proof))
          .to.emit(sys.challenges, "ChallengeAnswered")
          .withArgs(id, sys.relayers[2].address, toResponder, BOND - toResponder);
        expect(await sys.token.balanceOf(await sys.challenges.getAddress())).to.equal(0n);
      });
    }
  });

  describe("reentrancy", function () {
    it("no entry point can be re-entered from a token callback during a bond transfer", async function () {
      const sys = await deploySystem({ token: "hook" });
      await stakeAllFor(sys);
      const hook = sys.token as unknown as HookToken;
      const gold = makeGold([{ taskIndex: 0, poolIndex: 4 }], GOLD_POOL, "hook");
      const { ctx, built } = await acceptedRound(sys, new Map(), { gold, n: 2 });
      const s = built.settlement;
      const it0 = gold.items[0];
      const calls = [
        sys.challenges.interface.encodeFunctionData("challengeAccount", [ctx.roundId, s, sys.acc.nodes[0].address, 1, 0, []]),
        sys.challenges.interface.encodeFunctionData("answerAccount", [1, 1, 0, []]),
        sys.challenges.interface.encodeFunctionData("challengeGoldItem", [ctx.roundId, s, it0, []]),
        sys.challenges.interface.encodeFunctionData("answerGoldItem", [1, it0, [], ctx.tasks[0], []]),
        sys.challenges.interface.encodeFunctionData("resolve", [1]),
        sys.challenges.interface.encodeFunctionData("proveGoldReuse", [ctx.roundId, s, it0, [], 0, s, it0, []]),
        sys.challenges.interface.encodeFunctionData("proveGoldOutOfRange", [ctx.roundId, s, it0, []]),
      ];
      for (const data of calls) {
        await hook.setHook(await sys.challenges.getAddress(), data);
        await expect(sys.challenges.connect(sys.acc.challenger).challengeGoldItem(ctx.roundId, s, it0, goldProof(gold, 0))).to.be.revertedWithCustomError(
          sys.challenges,
          "ReentrancyGuardReentrantCall",
        );
      }
      await hook.setHook(ethers.ZeroAddress, "0x");
      await expect(sys.challenges.connect(sys.acc.challenger).challengeGoldItem(ctx.roundId, s, it0, goldProof(gold, 0))).to.emit(sys.challenges, "ChallengeOpened");
    });
  });

  describe("bond token", function () {
    it("refuses a bond token that delivers less than the bond", async function () {
      const sys = await deploySystem({ token: "fee" });
      // Fee-on-transfer stakes arrive 1% short: stake enough to clear the minimums.
      for (const r of sys.relayers) await sys.vault.connect(r).stake(Role.Relayer, (RELAYER_BOND * 101n) / 99n);
      await sys.vault.connect(sys.acc.evaluators[0]).stake(Role.Evaluator, 1_000n * TOKEN);
      const gold = makeGold([{ taskIndex: 0, poolIndex: 4 }], GOLD_POOL, "fee");
      const ctx = await openRound(sys, { n: 2, gold, assignment: new Map([[addr(sys.acc.evaluators[0].address), [0, 1]]]) });
      await toSettle(sys, ctx.roundId);
      const b = buildSettlement({ ledger: new Map(), inferencePaid: 0n, evaluatorPaid: 0n, gold });
      await settle(sys, ctx.roundId, b.settlement);
      await expect(sys.challenges.connect(sys.acc.challenger).challengeGoldItem(ctx.roundId, b.settlement, gold.items[0], goldProof(gold, 0)))
        .to.be.revertedWithCustomError(sys.challenges, "ChallengeTransferShortfall")
        .withArgs(BOND, BOND - BOND / 100n);
    });
  });
});

/** Stakes every role of a fresh deployment (the hook token has no owner-only mint: anyone mints). */
async function stakeAllFor(sys: System) {
  for (const r of sys.relayers) await sys.vault.connect(r).stake(Role.Relayer, RELAYER_BOND);
  for (const [i, n] of sys.acc.nodes.entries()) await sys.vault.connect(n).stake(Role.Inference, 100n * TOKEN + BigInt(i) * TOKEN);
  for (const [i, e] of sys.acc.evaluators.entries()) await sys.vault.connect(e).stake(Role.Evaluator, BigInt(1_000 + 200 * i) * TOKEN);
}

/** The expiry a reopening of `roundId` would leave (one more extension, if any is left). */
async function reopenedExpiry(sys: System, roundId: bigint): Promise<bigint> {
  const r = await sys.settlement.getRound(roundId);
  const p = DEFAULT_PARAMS;
  const ext = BigInt(p.settleCommitDuration + p.settleRevealDuration + p.challengeDuration + p.responseDuration);
  return r.extensions < p.maxExtensions ? r.expiresAt + ext : r.expiresAt;
}
