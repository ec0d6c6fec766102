/**
 * Security regressions: one test per scenario of issue 12's "Why" list (items 1 to 8, every smaller item of 8), each
 * named after the property it proves, replaying the original attack and asserting the balances and states that show
 * it fails safely; then one test per "cannot" of the security table, and the weaknesses this review found (each with
 * the test that failed before its fix, or, for a residual, the bound that holds).
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, mine, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { Hex } from "viem";
import { buildGoldPoolTree, type GoldPoolItem } from "../src/chain/encoding";
import {
  DEFAULT_PARAMS,
  EVALUATOR_STAKES,
  GOLD_POOL,
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
  type Params,
  type System,
} from "./helpers/fixtures";
import { call, govern, schedule } from "./helpers/governance";
import { signerFor } from "./helpers/impersonate";
import { extraEvaluators, inOneBlock } from "./helpers/accounts";
import {
  PAYLOAD_CID,
  ROUND_POOLS,
  addr,
  advanceTo,
  allocated,
  assign,
  assignedSigners,
  buildSettlement,
  claimProof,
  commit,
  commitAll,
  commitSettlement,
  drawSeed,
  expectWrongPhase,
  evaluatedRound,
  fullRound,
  fund,
  goldAnswer,
  goldProof,
  honestPayout,
  honestSettlement,
  makeCommit,
  makeGold,
  mineToSeed,
  now,
  openRound,
  registerRound,
  reveal,
  roundAtSettle,
  settle,
  settleAndFinalize,
  toAssignDeadline,
  toAttemptEnd,
  toChallengeEnd,
  toExpiry,
  toReveal,
  toSettle,
  toSettleReveals,
} from "./helpers/round";

const REWARD_PER_BOND = (RELAYER_BOND * BigInt(DEFAULT_PARAMS.challengeRewardBps)) / 10_000n;

async function balance(sys: System, who: string) {
  return sys.token.balanceOf(who);
}

/** Token balances of the contracts match their books. */
async function expectBooksBalanced(sys: System) {
  const [active, queued] = await sys.vault.totalStaked();
  expect(await balance(sys, await sys.vault.getAddress())).to.equal(active + queued);
  const [funded, alloc, refunded] = await sys.distributor.totals();
  expect(await balance(sys, sys.rewardVault)).to.equal(funded - alloc - refunded);
}

describe("Security", function () {
  describe("issue 12, item 1: stale allocation and a bricked round", function () {
    it("a later round never settles on a stale allocation: it waits for every earlier round, the guardian cannot cancel a round with commits, and every round finalizes in order", async function () {
      const sys = await loadFixture(stakedFixture);
      // The original sequence: round N-2 accepted but not finalized, round N-1 cancelled by the guardian, round N
      // settled on the allocation before N-2.
      const a = await evaluatedRound(sys); // N-2
      const b = await evaluatedRound(sys); // N-1
      const c = await evaluatedRound(sys); // N
      await toSettle(sys, c.ctx.roundId);
      const sa = await honestSettlement(sys, a.ctx, a.revealers, new Map());
      await settle(sys, a.ctx.roundId, sa.settlement);
      expect(await sys.settlement.phaseOf(a.ctx.roundId)).to.equal(Phase.Challenge);
      // The guardian cannot cancel N-1: evaluators committed in it.
      await expectWrongPhase(sys, sys.settlement.connect(sys.acc.guardian).cancelRound(b.ctx.roundId), b.ctx.roundId, Phase.Expired, Phase.Settle);
      // Round N cannot start settling while N-2 and N-1 are open.
      await expect(sys.settlement.connect(sys.relayers[0]).commitSettlement(c.ctx.roundId, ethers.id("stale")))
        .to.be.revertedWithCustomError(sys.settlement, "SettlementPreviousRoundOpen")
        .withArgs(c.ctx.roundId, 0);
      // Every round finalizes, each on top of the previous allocation; none reverts.
      await toChallengeEnd(sys, a.ctx.roundId);
      await sys.settlement.finalize(a.ctx.roundId, sa.settlement);
      const sb = await honestSettlement(sys, b.ctx, b.revealers, sa.ledger);
      await settleAndFinalize(sys, b.ctx.roundId, sb.settlement);
      const sc = await honestSettlement(sys, c.ctx, c.revealers, sb.ledger);
      await settleAndFinalize(sys, c.ctx.roundId, sc.settlement);
      expect(await sys.settlement.lastClosedRound()).to.equal(3);
      expect(await allocated(sys)).to.equal(sc.settlement.cumulativeTotal);
      expect(sc.settlement.cumulativeTotal).to.equal(sa.settlement.inferencePaid + sa.settlement.evaluatorPaid + sb.settlement.inferencePaid + sb.settlement.evaluatorPaid + sc.settlement.inferencePaid + sc.settlement.evaluatorPaid);
      expect(await balance(sys, await sys.distributor.getAddress())).to.equal(sc.settlement.cumulativeTotal);
      await expectBooksBalanced(sys);
    });

    it("a round cancelled between two others (before its seed) leaves the later one settling on the earlier one's allocation", async function () {
      const sys = await loadFixture(stakedFixture);
      const a = await evaluatedRound(sys);
      const b = await registerRound(sys, { n: 2 });
      await sys.settlement.connect(sys.acc.guardian).cancelRound(b.roundId);
      const c = await evaluatedRound(sys);
      await toSettle(sys, c.ctx.roundId);
      const sa = await honestSettlement(sys, a.ctx, a.revealers, new Map());
      await settle(sys, a.ctx.roundId, sa.settlement);
      await expect(sys.settlement.connect(sys.relayers[0]).commitSettlement(c.ctx.roundId, ethers.id("x")))
        .to.be.revertedWithCustomError(sys.settlement, "SettlementPreviousRoundOpen")
        .withArgs(c.ctx.roundId, 0);
      await toChallengeEnd(sys, a.ctx.roundId);
      await sys.settlement.finalize(a.ctx.roundId, sa.settlement);
      expect(await sys.settlement.lastClosedRound()).to.equal(2);
      // A settlement of round N built on the stale (pre-N-2) allocation is refused at reveal.
      const stale = await honestSettlement(sys, c.ctx, c.revealers, new Map(), { tag: "stale" });
      const k = await commitSettlement(sys, sys.relayers[0], c.ctx.roundId, stale.settlement);
      await toSettleReveals(sys, c.ctx.roundId);
      const expected = sa.settlement.cumulativeTotal + stale.settlement.inferencePaid + stale.settlement.evaluatorPaid;
      await expect(sys.settlement.connect(sys.relayers[0]).revealSettlement(c.ctx.roundId, stale.settlement, k.salt, PAYLOAD_CID))
        .to.be.revertedWithCustomError(sys.settlement, "SettlementCumulativeTotalMismatch")
        .withArgs(expected, stale.settlement.cumulativeTotal);
      await toAttemptEnd(sys, c.ctx.roundId);
      const sc = await honestSettlement(sys, c.ctx, c.revealers, sa.ledger);
      await settleAndFinalize(sys, c.ctx.roundId, sc.settlement);
      expect(await sys.settlement.lastClosedRound()).to.equal(3);
      expect(await allocated(sys)).to.equal(sc.settlement.cumulativeTotal);
    });
  });

  describe("issue 12, item 2: a colluding quorum and earlier rewards", function () {
    it("a colluding quorum cannot lower an earlier allotment: the challenge holds, its bonds pay the challenger, and the account claims in full", async function () {
      const sys = await loadFixture(stakedFixture);
      const r1 = await fullRound(sys, new Map());
      const victim = sys.acc.nodes[0];
      const [thief, accomplice, honestRelayer] = sys.relayers;
      const owed1 = r1.built.ledger.get(addr(victim.address))!;
      // Round 2: the quorum moves the victim's whole unclaimed allotment to itself.
      const { honest: fair, ...r2 } = await roundAtSettle(sys, r1.built.ledger);
      // (Taking only up to this round's payment to the victim would stay within this round's pools, which a quorum
      // can misdirect by design; taking more lowers what earlier rounds allotted.)
      const stolen = new Map(fair.ledger);
      const all = fair.ledger.get(addr(victim.address))!;
      expect(all).to.be.greaterThan(owed1);
      stolen.set(addr(victim.address), 0n);
      stolen.set(addr(thief.address), (stolen.get(addr(thief.address)) ?? 0n) + all);
      const bad = buildSettlement({ ledger: stolen, inferencePaid: fair.settlement.inferencePaid, evaluatorPaid: fair.settlement.evaluatorPaid, tag: "theft" });
      expect(bad.settlement.cumulativeTotal).to.equal(fair.settlement.cumulativeTotal);
      await settle(sys, r2.ctx.roundId, bad.settlement, [thief, accomplice]);
      // While the bad root is only accepted, the victim can still claim what finalized roots allot.
      const p1 = claimProof(r1.built, victim.address);
      // (It does not, to keep the whole amount at stake for the test.)
      expect(await sys.distributor.verifyLeaf(victim.address, p1.cumulativeAmount, p1.index, p1.proof)).to.equal(true);
      // A challenger proves the earlier leaf; nobody can show the victim's leaf at that amount under the bad root.
      const challenger = sys.acc.challenger;
      const before = await balance(sys, challenger.address);
      await sys.challenges.connect(challenger).challengeAccount(r2.ctx.roundId, bad.settlement, victim.address, p1.cumulativeAmount, p1.index, p1.proof);
      const q = claimProof(bad, victim.address);
      await expect(sys.challenges.connect(thief).answerAccount(1, q.cumulativeAmount, q.index, q.proof)).to.be.revertedWithCustomError(sys.challenges, "ChallengeBadAnswer").withArgs(1);
      await toChallengeEnd(sys, r2.ctx.roundId);
      await expectWrongPhase(sys, sys.settlement.finalize(r2.ctx.roundId, bad.settlement), r2.ctx.roundId, Phase.Finalizable, Phase.Challenge);
      await advanceTo((await sys.challenges.getChallenge(1)).deadline);
      await expect(sys.challenges.resolve(1)).to.emit(sys.settlement, "SettlementRejected");
      // Both colluders lost their whole bonds; the challenger got its bond back and half of theirs.
      for (const r of [thief, accomplice]) expect(await sys.vault.stakeOf(r.address, Role.Relayer)).to.deep.equal([0n, 0n]);
      expect((await balance(sys, challenger.address)) - before).to.equal(2n * REWARD_PER_BOND);
      expect(await balance(sys, sys.acc.treasury.address)).to.equal(2n * RELAYER_BOND - 2n * REWARD_PER_BOND);
      // The honest settlement follows (one colluder re-bonds and settles honestly with the honest relayer).
      await sys.vault.connect(accomplice).stake(Role.Relayer, RELAYER_BOND);
      await settleAndFinalize(sys, r2.ctx.roundId, fair.settlement, [accomplice, honestRelayer]);
      const p2 = claimProof(fair, victim.address);
      const vb = await balance(sys, victim.address);
      await sys.distributor.claim(victim.address, p2.cumulativeAmount, p2.index, p2.proof);
      expect((await balance(sys, victim.address)) - vb).to.equal(p2.cumulativeAmount);
      expect(p2.cumulativeAmount).to.equal(fair.ledger.get(addr(victim.address)));
      // The thief has no leaf at all under the finalized root.
      expect(fair.ledger.has(addr(thief.address))).to.equal(false);
      await expectBooksBalanced(sys);
    });

    it("an account claims what finalized roots allot even while a later root is accepted and challenged", async function () {
      const sys = await loadFixture(stakedFixture);
      const r1 = await fullRound(sys, new Map());
      const { honest: s2, ...r2 } = await roundAtSettle(sys, r1.built.ledger);
      await settle(sys, r2.ctx.roundId, s2.settlement);
      const n1 = sys.acc.nodes[1];
      const p = claimProof(r1.built, n1.address);
      await sys.challenges.connect(sys.acc.challenger).challengeAccount(r2.ctx.roundId, s2.settlement, n1.address, p.cumulativeAmount, p.index, p.proof);
      await expect(sys.distributor.claim(n1.address, p.cumulativeAmount, p.index, p.proof)).to.emit(sys.distributor, "Claimed").withArgs(n1.address, sys.acc.deployer.address, p.cumulativeAmount, p.cumulativeAmount);
    });

    it("a colluding quorum cannot over-pay: a tree whose leaves add up to more than its stated total proves nothing, and its accounts' challenges hold", async function () {
      const sys = await loadFixture(stakedFixture);
      const r1 = await fullRound(sys, new Map());
      const { honest: fair, ...r2 } = await roundAtSettle(sys, r1.built.ledger);
      const inflated = new Map(fair.ledger);
      inflated.set(addr(sys.relayers[0].address), 1_000_000n * TOKEN);
      // The stated total must be allocation + payments, so the tree's real sum cannot match it.
      const bad = buildSettlement({ ledger: inflated, inferencePaid: fair.settlement.inferencePaid, evaluatorPaid: fair.settlement.evaluatorPaid, cumulativeTotal: fair.settlement.cumulativeTotal, tag: "inflated" });
      await settle(sys, r2.ctx.roundId, bad.settlement);
      const n0 = sys.acc.nodes[0].address;
      const p1 = claimProof(r1.built, n0);
      await sys.challenges.connect(sys.acc.challenger).challengeAccount(r2.ctx.roundId, bad.settlement, n0, p1.cumulativeAmount, p1.index, p1.proof);
      const q = claimProof(bad, n0);
      await expect(sys.challenges.answerAccount(1, q.cumulativeAmount, q.index, q.proof)).to.be.revertedWithCustomError(sys.challenges, "ChallengeBadAnswer").withArgs(1);
      await time.increaseTo((await sys.challenges.getChallenge(1)).deadline);
      await sys.challenges.resolve(1);
      expect((await sys.settlement.getRound(r2.ctx.roundId)).status).to.equal(Status.Active);
      // Even had it finalized, the inflated leaf could not have been claimed: its proof computes the real sum.
      const t = claimProof(bad, sys.relayers[0].address);
      const [rootHash, rootSum] = await (await ethers.deployContract("EncodingHarness")).sumTreeRoot(sys.relayers[0].address, t.cumulativeAmount, t.index, t.proof);
      expect(rootHash).to.equal(bad.settlement.rewardsRoot);
      expect(rootSum).to.be.greaterThan(bad.settlement.cumulativeTotal);
    });
  });

  describe("issue 12, item 3: the owner and the guardian", function () {
    it("the owner alone cannot take open rounds' pools: making itself guardian waits out the delay, the guardian cannot cancel a round with work, there is no sweep, and cancelled pools go back to their funders", async function () {
      const sys = await loadFixture(stakedFixture);
      const owner = sys.acc.proposer;
      await expect(sys.config.connect(owner).setGuardian(owner.address)).to.be.revertedWithCustomError(sys.config, "OwnableUnauthorizedAccount").withArgs(owner.address);
      const op = await schedule(sys, await call(sys.config, "setGuardian", [owner.address]));
      await time.increaseTo(op.readyAt);
      await op.execute();
      const r = await evaluatedRound(sys);
      const funded = ROUND_POOLS.inference + ROUND_POOLS.evaluator;
      await expectWrongPhase(sys, sys.settlement.connect(owner).cancelRound(r.ctx.roundId), r.ctx.roundId, Phase.Expired, Phase.Reveal);
      // A round the owner-guardian can cancel (before its seed block) refunds its funder, not the guardian.
      const q = await registerRound(sys, { n: 2 });
      await fund(sys, q.roundId, 7n * TOKEN, 0n);
      const ob = await balance(sys, owner.address);
      await sys.settlement.connect(owner).cancelRound(q.roundId);
      const fb = await balance(sys, sys.acc.funder.address);
      await sys.distributor.connect(owner).refund(q.roundId, sys.acc.funder.address);
      expect((await balance(sys, sys.acc.funder.address)) - fb).to.equal(7n * TOKEN);
      expect(await balance(sys, owner.address)).to.equal(ob);
      expect(await balance(sys, sys.rewardVault)).to.equal(funded);
      await expectBooksBalanced(sys);
    });

    it("the owner cannot confiscate stakes: a hostile relayer set, quorum 1, one-second windows and itself as slash recipient wait out the delay, every evaluator leaves in time, and the hostile quorum slashes only who takes part, within the bound", async function () {
      const sys = await loadFixture(stakedFixture);
      const attacker = sys.acc.spare[0];
      const hostile: Params = paramsWith({
        assignDuration: 60,
        commitDuration: 10,
        revealDuration: 10,
        settleCommitDuration: 5,
        settleRevealDuration: 5,
        settleWindow: 10,
        challengeDuration: 5,
        responseDuration: 5,
        quorum: 1,
        nonRevealSlashBps: 5_000,
        lowTrustSlashBps: 5_000,
        maxLowTrustSlashes: 256,
        maxRoundPools: RELAYER_BOND,
      });
      const op = await schedule(sys, [
        await call(sys.config, "setRelayer", [attacker.address, true]),
        await call(sys.config, "setParams", [hostile]),
        await call(sys.vault, "setMaxSlashBps", [5_000]),
        await call(sys.vault, "setSlashRecipient", [attacker.address]),
      ]);
      // Four evaluators see the queued operation and leave; one (e4) stays but never takes part.
      const leavers = sys.acc.evaluators.slice(0, 4);
      for (const [i, e] of leavers.entries()) await sys.vault.connect(e).requestUnstake(Role.Evaluator, EVALUATOR_STAKES[i]);
      await time.increase(sys.unbonding);
      expect(await now()).to.be.lessThan(op.readyAt);
      for (const [i, e] of leavers.entries()) {
        const b = await balance(sys, e.address);
        await sys.vault.connect(e).withdraw(Role.Evaluator);
        expect((await balance(sys, e.address)) - b).to.equal(EVALUATOR_STAKES[i]);
      }
      await time.increaseTo(op.readyAt);
      await op.execute();
      // The attacker runs its own round alone and lists everyone for a low-trust slash.
      await sys.vault.connect(attacker).stake(Role.Relayer, RELAYER_BOND);
      const stayer = sys.acc.evaluators[4];
      const ctx = await registerRound(sys, { n: 2, relayer: attacker });
      await drawSeed(sys, ctx);
      await assign(sys, ctx, { relayers: [attacker], assignment: new Map([[addr(stayer.address), [0, 1]]]) });
      await toSettle(sys, ctx.roundId);
      await expect(sys.settlement.slashNonRevealer(ctx.roundId, stayer.address))
        .to.be.revertedWithCustomError(sys.settlement, "SettlementNotCommitted")
        .withArgs(ctx.roundId, stayer.address);
      const everyone = sys.acc.evaluators.map((e) => e.address);
      const s = buildSettlement({ ledger: new Map(), inferencePaid: 0n, evaluatorPaid: 0n, lowTrustSlashes: everyone, paramsVersion: 2 });
      await settleAndFinalize(sys, ctx.roundId, s.settlement, [attacker]);
      expect((await sys.vault.stakeOf(stayer.address, Role.Evaluator)).active).to.equal(EVALUATOR_STAKES[4]);
      expect(await balance(sys, attacker.address)).to.equal(1_000_000n * TOKEN - RELAYER_BOND);
      // An evaluator that does take part and reveals loses at most lowTrustSlashBps (capped by the vault) per round.
      const joiner = sys.acc.evaluators[0];
      await sys.vault.connect(joiner).stake(Role.Evaluator, 1_000n * TOKEN);
      const c2 = await registerRound(sys, { n: 1, relayer: attacker });
      await assign(sys, c2, { relayers: [attacker], assignment: new Map([[addr(joiner.address), [0]]]) });
      const k = await commit(sys, c2, joiner, [5_000]);
      await toReveal(sys, c2.roundId);
      await reveal(sys, c2, joiner, k);
      await toSettle(sys, c2.roundId);
      const s2 = buildSettlement({ ledger: new Map(), inferencePaid: 0n, evaluatorPaid: 0n, lowTrustSlashes: [joiner.address], paramsVersion: 2 });
      await settleAndFinalize(sys, c2.roundId, s2.settlement, [attacker]);
      expect((await sys.vault.stakeOf(joiner.address, Role.Evaluator)).active).to.equal(500n * TOKEN);
    });

    it("the guardian can veto at most maxVetoes times and never cancel a round with commits; the honest settlement then finalizes", async function () {
      const sys = await loadFixture(stakedFixture);
      const { honest: s, ...r } = await roundAtSettle(sys, new Map());
      for (let i = 0; i < DEFAULT_PARAMS.maxVetoes; i++) {
        await settle(sys, r.ctx.roundId, s.settlement);
        await sys.settlement.connect(sys.acc.guardian).vetoSettlement(r.ctx.roundId);
        await expectWrongPhase(sys, sys.settlement.connect(sys.acc.guardian).cancelRound(r.ctx.roundId), r.ctx.roundId, Phase.Expired, Phase.Settle);
      }
      await settle(sys, r.ctx.roundId, s.settlement);
      await expect(sys.settlement.connect(sys.acc.guardian).vetoSettlement(r.ctx.roundId))
        .to.be.revertedWithCustomError(sys.settlement, "SettlementVetoLimitReached")
        .withArgs(r.ctx.roundId, DEFAULT_PARAMS.maxVetoes);
      await toChallengeEnd(sys, r.ctx.roundId);
      await expect(sys.settlement.finalize(r.ctx.roundId, s.settlement)).to.emit(sys.settlement, "RoundFinalized");
    });
  });

  describe("issue 12, item 4: withdrawing before a slash", function () {
    it("a non-revealer cannot withdraw before its slash, however long its round lasts", async function () {
      const sys = await deploySystem({ unbonding: 60 });
      await stakeAll(sys);
      const r = await openRound(sys, { n: 4 });
      await fund(sys, r.roundId, ROUND_POOLS.inference, ROUND_POOLS.evaluator);
      const commits = await commitAll(sys, r);
      const [cheat, ...rest] = assignedSigners(sys, r);
      const stake = (await sys.vault.stakeOf(cheat.address, Role.Evaluator)).active;
      await sys.vault.connect(cheat).requestUnstake(Role.Evaluator, stake);
      await time.increase(61);
      await expect(sys.vault.connect(cheat).withdraw(Role.Evaluator)).to.be.revertedWithCustomError(sys.vault, "StakeVaultWithdrawalLocked").withArgs(cheat.address);
      await toReveal(sys, r.roundId);
      for (const e of rest) await reveal(sys, r, e, commits.get(addr(e.address))!);
      await toSettle(sys, r.roundId);
      // The round lasts: two vetoes.
      const revealers = rest.map((e) => addr(e.address));
      const s = await honestSettlement(sys, r, revealers, new Map());
      for (let i = 0; i < 2; i++) {
        await settle(sys, r.roundId, s.settlement);
        await sys.settlement.connect(sys.acc.guardian).vetoSettlement(r.roundId);
        await expect(sys.vault.connect(cheat).withdraw(Role.Evaluator)).to.be.revertedWithCustomError(sys.vault, "StakeVaultWithdrawalLocked").withArgs(cheat.address);
      }
      await settleAndFinalize(sys, r.roundId, s.settlement);
      // Closed, but its commitment is neither revealed nor slashed: still held.
      await expect(sys.vault.connect(cheat).withdraw(Role.Evaluator)).to.be.revertedWithCustomError(sys.vault, "StakeVaultWithdrawalLocked").withArgs(cheat.address);
      const slashed = (stake * BigInt(DEFAULT_PARAMS.nonRevealSlashBps) + 9_999n) / 10_000n;
      await expect(sys.settlement.connect(sys.acc.outsider).slashNonRevealer(r.roundId, cheat.address))
        .to.emit(sys.vault, "Slashed")
        .withArgs(r.roundId, cheat.address, Role.Evaluator, Reason.NonReveal, slashed, sys.acc.treasury.address);
      const b = await balance(sys, cheat.address);
      await sys.vault.connect(cheat).withdraw(Role.Evaluator);
      expect((await balance(sys, cheat.address)) - b).to.equal(stake - slashed);
    });
  });

  describe("issue 12, item 5: stalling", function () {
    it("one relayer below quorum cannot stall settlement: commits close at a fixed time, not at its early reveal", async function () {
      const sys = await loadFixture(stakedFixture);
      const { honest: s, ...r } = await roundAtSettle(sys, new Map());
      const junk = buildSettlement({ ledger: new Map([[sys.relayers[0].address, 1n]]), inferencePaid: 1n, evaluatorPaid: 0n, tag: "junk" });
      const [staller, h1, h2] = sys.relayers;
      const k0 = await commitSettlement(sys, staller, r.ctx.roundId, junk.settlement);
      const [, commitsClose] = await sys.settlement.settlementAttempt(r.ctx.roundId);
      const k1 = await commitSettlement(sys, h1, r.ctx.roundId, s.settlement);
      await time.setNextBlockTimestamp(commitsClose - 1n);
      const k2 = await commitSettlement(sys, h2, r.ctx.roundId, s.settlement); // the last second of the window
      await time.setNextBlockTimestamp(commitsClose);
      await sys.settlement.connect(staller).revealSettlement(r.ctx.roundId, junk.settlement, k0.salt, PAYLOAD_CID); // the first second of reveals
      await sys.settlement.connect(h1).revealSettlement(r.ctx.roundId, s.settlement, k1.salt, PAYLOAD_CID);
      await expect(sys.settlement.connect(h2).revealSettlement(r.ctx.roundId, s.settlement, k2.salt, PAYLOAD_CID)).to.emit(sys.settlement, "SettlementAccepted");
      await toChallengeEnd(sys, r.ctx.roundId);
      await sys.settlement.finalize(r.ctx.roundId, s.settlement);
      expect(await sys.settlement.lastClosedRound()).to.equal(1);
    });

    it("a junk round delays later rounds by at most its assignment window, and anyone can clear it", async function () {
      const sys = await deploySystem({ params: { assignDuration: 3_000 } });
      await stakeAll(sys);
      const junk = await registerRound(sys, { n: 1, relayer: sys.relayers[2], salt: "junk" });
      const h = await evaluatedRound(sys);
      await toSettle(sys, h.ctx.roundId);
      await expect(sys.settlement.connect(sys.relayers[0]).commitSettlement(h.ctx.roundId, ethers.id("x")))
        .to.be.revertedWithCustomError(sys.settlement, "SettlementPreviousRoundOpen")
        .withArgs(h.ctx.roundId, 0);
      const j = await sys.settlement.getRound(junk.roundId);
      const hr = await sys.settlement.getRound(h.ctx.roundId);
      await time.increaseTo(j.assignDeadline);
      await sys.settlement.connect(sys.acc.outsider).cancelRound(junk.roundId);
      const start = await now();
      // The delay: from the honest round's reveal deadline to the junk round's assignment deadline.
      expect(j.assignDeadline - hr.revealDeadline).to.be.lessThanOrEqual(BigInt(3_000));
      // The honest round keeps at least its whole settlement window after the junk round is gone.
      expect(hr.expiresAt - start).to.be.greaterThanOrEqual(BigInt(sys.params.settleWindow));
      const s = await honestSettlement(sys, h.ctx, h.revealers, new Map());
      await settleAndFinalize(sys, h.ctx.roundId, s.settlement);
      expect(await sys.settlement.lastClosedRound()).to.equal(2);
    });
  });

  describe("issue 12, item 6: slashing without evidence", function () {
    it("the quorum cannot slash a staker that was never assigned or never committed", async function () {
      const sys = await loadFixture(stakedFixture);
      const [e0, e1, , , e4] = sys.acc.evaluators;
      // e0 assigned and reveals; e1 assigned but never commits; e4 never assigned.
      const ctx = await openRound(sys, { n: 2, assignment: new Map([[addr(e0.address), [0, 1]], [addr(e1.address), [0, 1]]]) });
      const c0 = await commit(sys, ctx, e0, [4_000, 6_000]);
      await toReveal(sys, ctx.roundId);
      await reveal(sys, ctx, e0, c0);
      await toSettle(sys, ctx.roundId);
      for (const e of [e1, e4]) {
        await expect(sys.settlement.slashNonRevealer(ctx.roundId, e.address)).to.be.revertedWithCustomError(sys.settlement, "SettlementNotCommitted").withArgs(ctx.roundId, e.address);
      }
      // The settlement has no non-reveal list at all; a low-trust list naming them is skipped for them.
      const s = buildSettlement({ ledger: new Map(), inferencePaid: 0n, evaluatorPaid: 0n, lowTrustSlashes: [e1.address, e4.address, sys.acc.nodes[0].address] });
      const tx = await settleAndFinalize(sys, ctx.roundId, s.settlement);
      for (const a of [e1.address, e4.address, sys.acc.nodes[0].address]) await expect(tx).to.emit(sys.settlement, "SlashSkipped").withArgs(ctx.roundId, a, Reason.LowTrust);
      await expect(tx).not.to.emit(sys.vault, "Slashed");
      expect((await sys.vault.stakeOf(e1.address, Role.Evaluator)).active).to.equal(EVALUATOR_STAKES[1]);
      expect((await sys.vault.stakeOf(e4.address, Role.Evaluator)).active).to.equal(EVALUATOR_STAKES[4]);
    });
  });

  describe("issue 12, item 7: grinding the assignment", function () {
    it("the registrar cannot grind the assignment: the seed comes from a block mined after the task root is fixed, and nobody can re-roll it", async function () {
      const sys = await loadFixture(stakedFixture);
      const registrar = sys.relayers[0];
      // v1's seed was keccak(prevrandao, roundId, taskRoot) with prevrandao known before registering: the registrar
      // tried task roots until one gave it the seats it wanted. Here it can compute that value, but it is not the seed.
      const ctx = await registerRound(sys, { n: 4, relayer: registrar });
      const regBlock = (await ethers.provider.getBlock("latest"))!;
      const v1Seed = ethers.keccak256(ethers.AbiCoder.defaultAbiCoder().encode(["bytes32", "uint256", "bytes32"], [regBlock.prevRandao ?? ethers.ZeroHash, ctx.roundId, ctx.taskTree.root]));
      expect((await sys.settlement.getRound(ctx.roundId)).seed).to.equal(ethers.ZeroHash);
      await expect(sys.settlement.drawSeed(ctx.roundId)).to.be.revertedWithCustomError(sys.settlement, "SettlementSeedNotReady").withArgs(ctx.roundId, ctx.seedBlock);
      expect(ctx.seedBlock).to.equal(BigInt(regBlock.number + DEFAULT_PARAMS.seedDelay));
      await mineToSeed(sys, ctx);
      await mine(3);
      const seedBlockHash = (await ethers.provider.getBlock(Number(ctx.seedBlock)))!.hash!;
      const expected = ethers.keccak256(ethers.AbiCoder.defaultAbiCoder().encode(["bytes32", "uint256", "bytes32"], [seedBlockHash, ctx.roundId, ctx.taskTree.root]));
      // Nobody who wants another seed can get one: not the registrar, not the guardian.
      await expect(sys.settlement.connect(registrar).cancelRound(ctx.roundId)).to.be.revertedWithCustomError(sys.settlement, "SettlementNotGuardian").withArgs(registrar.address);
      await expect(sys.settlement.connect(sys.acc.guardian).cancelRound(ctx.roundId))
        .to.be.revertedWithCustomError(sys.settlement, "SettlementSeedFixed")
        .withArgs(ctx.roundId, ctx.seedBlock);
      await sys.settlement.connect(sys.acc.outsider).drawSeed(ctx.roundId);
      const seed = (await sys.settlement.getRound(ctx.roundId)).seed;
      expect(seed).to.equal(expected);
      expect(seed).not.to.equal(v1Seed);
      await mine(50);
      expect(await sys.settlement.drawSeed.staticCall(ctx.roundId)).to.equal(seed);
    });
  });

  describe("issue 12, item 8: smaller items", function () {
    it("parameters are pinned per round: slash bps, challenge duration, quorum and maxVetoes changed mid-round do not apply to it", async function () {
      const sys = await loadFixture(stakedFixture);
      const next = paramsWith({ nonRevealSlashBps: 3_000, lowTrustSlashBps: 2_000, challengeDuration: 900, quorum: 3, maxVetoes: 0, maxExtensions: 0 });
      const op = await schedule(sys, await call(sys.config, "setParams", [next]));
      await time.increaseTo(op.readyAt - 200n);
      const ctx = await openRound(sys, { n: 4 });
      await time.increaseTo(op.readyAt);
      await op.execute(); // mid-round (commit window)
      expect(await sys.settlement.phaseOf(ctx.roundId)).to.equal(Phase.Commit);
      expect(await sys.config.paramsVersion()).to.equal(2);
      expect((await sys.settlement.getRound(ctx.roundId)).paramsVersion).to.equal(1);
      const commits = await commitAll(sys, ctx);
      const [late, ...rest] = assignedSigners(sys, ctx);
      await toReveal(sys, ctx.roundId);
      for (const e of rest) await reveal(sys, ctx, e, commits.get(addr(e.address))!);
      await toSettle(sys, ctx.roundId);
      const stake = (await sys.vault.stakeOf(late.address, Role.Evaluator)).active;
      await expect(sys.settlement.slashNonRevealer(ctx.roundId, late.address))
        .to.emit(sys.vault, "Slashed")
        .withArgs(ctx.roundId, late.address, Role.Evaluator, Reason.NonReveal, (stake * 1_000n + 9_999n) / 10_000n, sys.acc.treasury.address);
      const s = buildSettlement({ ledger: new Map(), inferencePaid: 0n, evaluatorPaid: 0n, lowTrustSlashes: [rest[0].address], paramsVersion: 1 });
      await settle(sys, ctx.roundId, s.settlement, sys.relayers.slice(0, 2)); // quorum 2, as registered
      const r = await sys.settlement.getRound(ctx.roundId);
      expect(r.status).to.equal(Status.Accepted);
      expect(r.challengeEnd - (await now())).to.equal(BigInt(DEFAULT_PARAMS.challengeDuration));
      await sys.settlement.connect(sys.acc.guardian).vetoSettlement(ctx.roundId); // maxVetoes 2, as registered
      const stake0 = (await sys.vault.stakeOf(rest[0].address, Role.Evaluator)).active;
      await settleAndFinalize(sys, ctx.roundId, s.settlement, sys.relayers.slice(0, 2));
      expect((await sys.vault.stakeOf(rest[0].address, Role.Evaluator)).active).to.equal(stake0 - (stake0 * 500n + 9_999n) / 10_000n);
      // A round registered now runs under version 2: two relayers no longer make a quorum.
      const ctx2 = await registerRound(sys, { n: 2 });
      await drawSeed(sys, ctx2);
      for (const x of sys.relayers.slice(0, 2)) await sys.settlement.connect(x).proposeAssignment(ctx2.roundId, ethers.id("a"));
      expect(await sys.settlement.phaseOf(ctx2.roundId)).to.equal(Phase.Assigning);
    });

    it("a commitment 0x…01 cannot bypass the one-commit rule", async function () {
      const sys = await loadFixture(stakedFixture);
      const e = sys.acc.evaluators[0];
      const ctx = await openRound(sys, { n: 2, assignment: new Map([[addr(e.address), [0, 1]]]) });
      for (const v of [1n, 2n, 3n]) {
        await expect(sys.settlement.connect(e).commitScores(ctx.roundId, ethers.toBeHex(v, 32))).to.be.revertedWithCustomError(sys.settlement, "SettlementZeroValue").withArgs("commitment");
      }
      const first = await makeCommit(sys, ctx.roundId, e.address, [1, 2]);
      await sys.settlement.connect(e).commitScores(ctx.roundId, first.commitment);
      const second = await makeCommit(sys, ctx.roundId, e.address, [9_000, 9_000]);
      for (const c of [second.commitment, ethers.toBeHex(BigInt(first.commitment) ^ 1n, 32), ethers.toBeHex(BigInt(first.commitment) ^ 3n, 32)]) {
        await expect(sys.settlement.connect(e).commitScores(ctx.roundId, c)).to.be.revertedWithCustomError(sys.settlement, "SettlementAlreadyCommitted").withArgs(ctx.roundId, e.address);
      }
      await toReveal(sys, ctx.roundId);
      await expect(reveal(sys, ctx, e, second)).to.be.revertedWithCustomError(sys.settlement, "SettlementRevealMismatch").withArgs(ctx.roundId, e.address);
      await expect(reveal(sys, ctx, e, first)).to.emit(sys.settlement, "ScoresRevealed");
    });

    it("funding only reaches a round that can pay it out: ids beyond the next or above 2^64, and rounds whose pools froze, are refused; what a round leaves unpaid goes back to its funders", async function () {
      const sys = await loadFixture(stakedFixture);
      const d = sys.distributor.connect(sys.acc.funder);
      for (const id of [2n, 2n ** 64n, 2n ** 64n + 1n, 2n ** 255n]) {
        await expect(d.fundRound(id, TOKEN, 0)).to.be.revertedWithCustomError(sys.distributor, "DistributorFundingClosed").withArgs(id);
      }
      const r = await evaluatedRound(sys);
      await toSettle(sys, r.ctx.roundId);
      // Half the evaluator pool goes unpaid.
      const { pay, inferencePaid } = honestPayout(r.ctx, ROUND_POOLS.inference, 0n, []);
      const s = buildSettlement({ ledger: pay, inferencePaid, evaluatorPaid: 0n });
      await settle(sys, r.ctx.roundId, s.settlement);
      await expect(d.fundRound(r.ctx.roundId, TOKEN, 0)).to.be.revertedWithCustomError(sys.distributor, "DistributorFundingClosed").withArgs(r.ctx.roundId);
      await toChallengeEnd(sys, r.ctx.roundId);
      await sys.settlement.finalize(r.ctx.roundId, s.settlement);
      const fb = await balance(sys, sys.acc.funder.address);
      await sys.distributor.refund(r.ctx.roundId, sys.acc.funder.address);
      expect((await balance(sys, sys.acc.funder.address)) - fb).to.equal(ROUND_POOLS.inference - inferencePaid + ROUND_POOLS.evaluator);
      expect(await balance(sys, sys.rewardVault)).to.equal(0n);
      await expectBooksBalanced(sys);
    });

    it("a round with too few eligible evaluators never stalls: it expires at its assignment deadline and its funders are refunded", async function () {
      const sys = await deploySystem();
      for (const r of sys.relayers) await sys.vault.connect(r).stake(Role.Relayer, RELAYER_BOND);
      await sys.vault.connect(sys.acc.evaluators[0]).stake(Role.Evaluator, 500n * TOKEN); // one evaluator for k = 3
      const ctx = await registerRound(sys, { n: 3 });
      await fund(sys, ctx.roundId, 100n * TOKEN, 10n * TOKEN);
      await drawSeed(sys, ctx);
      expect(await sys.settlement.phaseOf(ctx.roundId)).to.equal(Phase.Assigning);
      await toAssignDeadline(sys, ctx.roundId);
      expect(await sys.settlement.phaseOf(ctx.roundId)).to.equal(Phase.Expired);
      await sys.settlement.connect(sys.acc.outsider).cancelRound(ctx.roundId);
      const fb = await balance(sys, sys.acc.funder.address);
      await sys.distributor.refund(ctx.roundId, sys.acc.funder.address);
      expect((await balance(sys, sys.acc.funder.address)) - fb).to.equal(110n * TOKEN);
      expect(await sys.settlement.lastClosedRound()).to.equal(1);
    });

    it("moving the closed-round pointer is bounded per transaction (ADVANCE_STEPS); the rest moves on demand", async function () {
      const sys = await deploySystem({ params: { maxOpenRounds: 64 } });
      await stakeAll(sys);
      await registerRound(sys, { n: 1 });
      for (let i = 0; i < 40; i++) {
        const c = await registerRound(sys, { n: 1 });
        await sys.settlement.connect(sys.acc.guardian).cancelRound(c.roundId);
      }
      await toAssignDeadline(sys, 1n);
      const receipt = await (await sys.settlement.cancelRound(1)).wait();
      expect(await sys.settlement.lastClosedRound()).to.equal(32);
      // 32 steps at a few thousand gas each: bounded whatever the backlog.
      expect(receipt!.gasUsed).to.be.lessThan(250_000n);
      await sys.settlement.advanceClosed(100);
      expect(await sys.settlement.lastClosedRound()).to.equal(41);
    });

    it("a settlement commitment binds its attempt: a commitment from an earlier attempt, or another relayer's, cannot be revealed", async function () {
      const sys = await loadFixture(stakedFixture);
      const { honest: s, ...r } = await roundAtSettle(sys, new Map());
      const [r0, r1] = sys.relayers;
      // Attempt 1: r0 commits and reveals; no quorum.
      const k0 = await commitSettlement(sys, r0, r.ctx.roundId, s.settlement);
      await toSettleReveals(sys, r.ctx.roundId);
      await sys.settlement.connect(r0).revealSettlement(r.ctx.roundId, s.settlement, k0.salt, PAYLOAD_CID);
      await toAttemptEnd(sys, r.ctx.roundId);
      // Attempt 2: a lazy r1 posts r0's attempt-1 commitment and reveals with r0's salt.
      await sys.settlement.connect(r1).commitSettlement(r.ctx.roundId, k0.commitment);
      await toSettleReveals(sys, r.ctx.roundId);
      await expect(sys.settlement.connect(r1).revealSettlement(r.ctx.roundId, s.settlement, k0.salt, PAYLOAD_CID))
        .to.be.revertedWithCustomError(sys.settlement, "SettlementVoteMismatch")
        .withArgs(r.ctx.roundId, r1.address);
      // r0's attempt-1 reveal does not count in attempt 2.
      expect((await sys.settlement.getRound(r.ctx.roundId)).status).to.equal(Status.Active);
    });

    it("a relayer removed mid-attempt no longer counts toward the quorum", async function () {
      const sys = await deploySystem({ params: { settleRevealDuration: 5_000, settleWindow: 6_000 } });
      await stakeAll(sys);
      const [r0, r1, r2] = sys.relayers;
      const op = await schedule(sys, await call(sys.config, "setRelayer", [r0.address, false]));
      await time.increaseTo(op.readyAt - 1_000n);
      const { honest: s, ...r } = await roundAtSettle(sys, new Map());
      const ks = [];
      for (const x of [r0, r1, r2]) ks.push(await commitSettlement(sys, x, r.ctx.roundId, s.settlement));
      await toSettleReveals(sys, r.ctx.roundId);
      await sys.settlement.connect(r0).revealSettlement(r.ctx.roundId, s.settlement, ks[0].salt, PAYLOAD_CID);
      const [, , revealsClose] = await sys.settlement.settlementAttempt(r.ctx.roundId);
      expect(op.readyAt).to.be.lessThan(revealsClose);
      await time.increaseTo(op.readyAt);
      await op.execute();
      await expect(sys.settlement.connect(r1).revealSettlement(r.ctx.roundId, s.settlement, ks[1].salt, PAYLOAD_CID)).not.to.emit(sys.settlement, "SettlementAccepted");
      await expect(sys.settlement.connect(r2).revealSettlement(r.ctx.roundId, s.settlement, ks[2].salt, PAYLOAD_CID)).to.emit(sys.settlement, "SettlementAccepted");
      // The removed relayer revealed the accepted settlement: its bond still answers for it.
      expect((await sys.settlement.getRound(r.ctx.roundId)).acceptedVoters).to.equal(0b1110n);
    });

    it("requestUnstake never restarts the queue: an earlier request unlocks on time whatever comes after", async function () {
      const sys = await loadFixture(stakedFixture);
      const e = sys.acc.evaluators[2];
      await sys.vault.connect(e).requestUnstake(Role.Evaluator, 100n * TOKEN);
      const [first] = await sys.vault.unbondingQueue(e.address, Role.Evaluator);
      for (let i = 0; i < 5; i++) {
        await time.increase(sys.unbonding / 6);
        await sys.vault.connect(e).requestUnstake(Role.Evaluator, TOKEN);
      }
      await time.increaseTo(first.unlockTime);
      await expect(sys.vault.connect(e).withdraw(Role.Evaluator)).to.emit(sys.vault, "Withdrawn").withArgs(e.address, Role.Evaluator, 100n * TOKEN);
    });

    it("no non-revealer escapes, however many: forty are slashed one by one by anyone", async function () {
      const sys = await loadFixture(stakedFixture);
      const many = await extraEvaluators(sys, 40, 200n * TOKEN);
      const ctx = await openRound(sys, { n: 2, assignment: new Map(many.map((w) => [addr(w.address), [0, 1]])) });
      for (const w of many) await sys.settlement.connect(w).commitScores(ctx.roundId, ethers.id(`c/${w.address}`));
      await toSettle(sys, ctx.roundId);
      for (const w of many) await sys.settlement.connect(sys.acc.outsider).slashNonRevealer(ctx.roundId, w.address);
      for (const w of many) {
        expect((await sys.vault.stakeOf(w.address, Role.Evaluator)).active).to.equal(180n * TOKEN);
        expect((await sys.settlement.scoreRecord(ctx.roundId, w.address))[2]).to.equal(true);
      }
      expect(await balance(sys, sys.acc.treasury.address)).to.equal(40n * 20n * TOKEN);
    });
  });

  describe("bounds (the security table's cannots)", function () {
    it("low-trust slashes are bounded per round: at most maxLowTrustSlashes revealers, each lowTrustSlashBps of its stake", async function () {
      const sys = await loadFixture(stakedFixture);
      const many = await extraEvaluators(sys, DEFAULT_PARAMS.maxLowTrustSlashes + 1, 1_000n * TOKEN);
      const ctx = await openRound(sys, { n: 1, assignment: new Map(many.map((w) => [addr(w.address), [0]])) });
      const commits = [];
      for (const w of many) commits.push(await commit(sys, ctx, w as unknown as HardhatEthersSigner, [5_000]));
      await toReveal(sys, ctx.roundId);
      for (const [i, w] of many.entries()) await reveal(sys, ctx, w as unknown as HardhatEthersSigner, commits[i]);
      await toSettle(sys, ctx.roundId);
      const tooMany = buildSettlement({ ledger: new Map(), inferencePaid: 0n, evaluatorPaid: 0n, lowTrustSlashes: many.map((w) => w.address) });
      const k = await commitSettlement(sys, sys.relayers[0], ctx.roundId, tooMany.settlement);
      await toSettleReveals(sys, ctx.roundId);
      await expect(sys.settlement.connect(sys.relayers[0]).revealSettlement(ctx.roundId, tooMany.settlement, k.salt, PAYLOAD_CID))
        .to.be.revertedWithCustomError(sys.settlement, "SettlementTooManySlashes")
        .withArgs(many.length, DEFAULT_PARAMS.maxLowTrustSlashes);
      await toAttemptEnd(sys, ctx.roundId);
      const max = buildSettlement({ ledger: new Map(), inferencePaid: 0n, evaluatorPaid: 0n, lowTrustSlashes: many.slice(0, DEFAULT_PARAMS.maxLowTrustSlashes).map((w) => w.address) });
      const treasury = await balance(sys, sys.acc.treasury.address);
      await settleAndFinalize(sys, ctx.roundId, max.settlement);
      const each = (1_000n * TOKEN * BigInt(DEFAULT_PARAMS.lowTrustSlashBps)) / 10_000n;
      expect((await balance(sys, sys.acc.treasury.address)) - treasury).to.equal(BigInt(DEFAULT_PARAMS.maxLowTrustSlashes) * each);
      expect((await sys.vault.stakeOf(many[DEFAULT_PARAMS.maxLowTrustSlashes].address, Role.Evaluator)).active).to.equal(1_000n * TOKEN);
    });

    it("racing finalizes, seed draws, cancellations, non-reveal slashes and assignment votes in one block mine no revert", async function () {
      const sys = await loadFixture(stakedFixture);
      const gas = { gasLimit: 3_000_000 };
      const a = await registerRound(sys, { n: 2 });
      await mineToSeed(sys, a);
      let rs = await inOneBlock([() => sys.settlement.connect(sys.relayers[0]).drawSeed(a.roundId, gas), () => sys.settlement.connect(sys.acc.outsider).drawSeed(a.roundId, gas)]);
      expect(rs.map((r) => r.status)).to.deep.equal([1, 1]);
      const e = sys.acc.evaluators[0];
      await assign(sys, a, { assignment: new Map([[addr(e.address), [0, 1]]]), relayers: [] });
      rs = await inOneBlock(sys.relayers.map((x) => () => sys.settlement.connect(x).proposeAssignment(a.roundId, a.tree!.root, gas)));
      expect(rs.map((r) => r.status)).to.deep.equal([1, 1, 1]);
      await commit(sys, a, e, [1, 2]);
      await toSettle(sys, a.roundId);
      rs = await inOneBlock([() => sys.settlement.connect(sys.relayers[0]).slashNonRevealer(a.roundId, e.address, gas), () => sys.settlement.connect(sys.acc.outsider).slashNonRevealer(a.roundId, e.address, gas)]);
      expect(rs.map((r) => r.status)).to.deep.equal([1, 1]);
      const s = buildSettlement({ ledger: new Map(), inferencePaid: 0n, evaluatorPaid: 0n });
      const ks: { salt: Hex }[] = [];
      for (const x of sys.relayers) ks.push(await commitSettlement(sys, x, a.roundId, s.settlement));
      await toSettleReveals(sys, a.roundId);
      rs = await inOneBlock(sys.relayers.map((x, i) => () => sys.settlement.connect(x).revealSettlement(a.roundId, s.settlement, ks[i].salt, PAYLOAD_CID, gas)));
      expect(rs.map((r) => r.status)).to.deep.equal([1, 1, 1]);
      await toChallengeEnd(sys, a.roundId);
      rs = await inOneBlock([() => sys.settlement.connect(sys.relayers[0]).finalize(a.roundId, s.settlement, gas), () => sys.settlement.connect(sys.relayers[1]).finalize(a.roundId, s.settlement, gas)]);
      expect(rs.map((r) => r.status)).to.deep.equal([1, 1]);
      const b = await registerRound(sys, { n: 1 });
      await toAssignDeadline(sys, b.roundId);
      rs = await inOneBlock([() => sys.settlement.connect(sys.relayers[0]).cancelRound(b.roundId, gas), () => sys.settlement.connect(sys.acc.outsider).cancelRound(b.roundId, gas)]);
      expect(rs.map((r) => r.status)).to.deep.equal([1, 1]);
      expect(await sys.settlement.lastClosedRound()).to.equal(2);
    });

    it("every round reaches Finalized or Cancelled within maxRoundLifetime of registration with no trusted action, even when everything is late and challenged", async function () {
      const sys = await loadFixture(stakedFixture);
      const p = DEFAULT_PARAMS;
      const ctx = await registerRound(sys, { n: 2 });
      const registeredAt = (await sys.settlement.getRound(ctx.roundId)).registeredAt;
      const bound = registeredAt + BigInt(lifetimeOf(p));
      // Assignment at the last second.
      await drawSeed(sys, ctx);
      await time.setNextBlockTimestamp((await sys.settlement.getRound(ctx.roundId)).assignDeadline - 2n);
      await assign(sys, ctx, { assignment: new Map([[addr(sys.acc.evaluators[0].address), [0, 1]]]), relayers: [sys.relayers[0]] });
      await time.setNextBlockTimestamp((await sys.settlement.getRound(ctx.roundId)).assignDeadline - 1n);
      await sys.settlement.connect(sys.relayers[1]).proposeAssignment(ctx.roundId, ctx.tree!.root);
      await toSettle(sys, ctx.roundId);
      // A settlement that loses every challenge: each acceptance comes at the last moment, each challenge at the end
      // of its window, answered by nobody, until the extensions run out.
      const bad = buildSettlement({ ledger: new Map([[sys.relayers[0].address, 0n]]), inferencePaid: 0n, evaluatorPaid: 0n, tag: "bad" });
      let rounds = 0;
      while (true) {
        const r = await sys.settlement.getRound(ctx.roundId);
        const span = BigInt(p.settleCommitDuration + p.settleRevealDuration);
        if ((await now()) + span + 2n > r.expiresAt) break;
        await time.setNextBlockTimestamp(r.expiresAt - span - 1n);
        for (const x of sys.relayers.slice(0, 2)) {
          if ((await sys.vault.stakeOf(x.address, Role.Relayer)).active < RELAYER_BOND) await sys.vault.connect(x).stake(Role.Relayer, RELAYER_BOND);
        }
        await settle(sys, ctx.roundId, bad.settlement);
        // Rejected by the guardian while vetoes last, then by an "upheld challenge" (the challenge contract's call).
        const acc = await sys.settlement.getRound(ctx.roundId);
        await time.setNextBlockTimestamp(acc.challengeEnd - 1n);
        if (acc.vetoes < p.maxVetoes) await sys.settlement.connect(sys.acc.guardian).vetoSettlement(ctx.roundId);
        else {
          const asChallenges = await signerFor(await sys.challenges.getAddress());
          await time.setNextBlockTimestamp(acc.challengeEnd + BigInt(p.responseDuration) - 1n);
          await sys.settlement.connect(asChallenges).rejectSettlement(ctx.roundId, bad.hash, sys.acc.challenger.address);
        }
        rounds += 1;
        if (rounds > 20) throw new Error("no end");
      }
      const last = await sys.settlement.getRound(ctx.roundId);
      expect(last.extensions).to.equal(p.maxExtensions);
      expect(last.expiresAt).to.be.lessThanOrEqual(bound);
      if ((await now()) < last.expiresAt) await time.increaseTo(last.expiresAt);
      expect(await sys.settlement.phaseOf(ctx.roundId)).to.equal(Phase.Expired);
      await sys.settlement.connect(sys.acc.outsider).cancelRound(ctx.roundId);
      expect(await now()).to.be.lessThanOrEqual(bound);
    });

    it("a round accepted at its last second, challenged at the end of its window, still closes by maxRoundLifetime", async function () {
      const sys = await loadFixture(stakedFixture);
      const p = DEFAULT_PARAMS;
      const r1 = await fullRound(sys, new Map());
      const ctx = await openRound(sys, { n: 2, assignment: new Map([[addr(sys.acc.evaluators[0].address), [0, 1]]]) });
      const round = await sys.settlement.getRound(ctx.roundId);
      const bound = round.registeredAt + BigInt(lifetimeOf(p));
      await toSettle(sys, ctx.roundId);
      const s = buildSettlement({ ledger: r1.built.ledger, inferencePaid: 0n, evaluatorPaid: 0n });
      const span = BigInt(p.settleCommitDuration + p.settleRevealDuration);
      await time.setNextBlockTimestamp(round.expiresAt - span - 1n);
      await settle(sys, ctx.roundId, s.settlement);
      const acc = await sys.settlement.getRound(ctx.roundId);
      await time.setNextBlockTimestamp(acc.challengeEnd - 1n);
      const n0 = sys.acc.nodes[0].address;
      const pr = claimProof(r1.built, n0);
      await sys.challenges.connect(sys.acc.challenger).challengeAccount(ctx.roundId, s.settlement, n0, pr.cumulativeAmount, pr.index, pr.proof);
      const deadline = (await sys.challenges.getChallenge(1)).deadline;
      // Nobody answers in time (the challenge is wrong, but the relayers are offline): it holds at its deadline.
      await time.increaseTo(deadline);
      await sys.challenges.resolve(1);
      // Reopened with an extension; one more attempt fits, with its challenge window, before the bound.
      const re = await sys.settlement.getRound(ctx.roundId);
      for (const x of sys.relayers.slice(0, 2)) await sys.vault.connect(x).stake(Role.Relayer, RELAYER_BOND);
      await settle(sys, ctx.roundId, s.settlement);
      await toChallengeEnd(sys, ctx.roundId);
      await sys.settlement.finalize(ctx.roundId, s.settlement);
      expect(await now()).to.be.lessThanOrEqual(bound);
      expect(re.expiresAt).to.be.lessThanOrEqual(bound);
    });

    it("a frivolous challenger cannot make honest relayers lose anything: every bonded challenge is answerable, and the challenger pays failedChallengeBps", async function () {
      const sys = await loadFixture(stakedFixture);
      const gold1 = makeGold([{ taskIndex: 0, poolIndex: 1 }], GOLD_POOL, "h1");
      const r1 = await fullRound(sys, new Map(), { gold: gold1 });
      const gold2 = makeGold([{ taskIndex: 1, poolIndex: 2 }], GOLD_POOL, "h2");
      const r2 = await openRound(sys, { n: 4, gold: gold2 });
      await toSettle(sys, r2.roundId);
      const s = buildSettlement({ ledger: r1.built.ledger, inferencePaid: 0n, evaluatorPaid: 0n, gold: gold2 });
      await settle(sys, r2.roundId, s.settlement);
      const c = sys.acc.challenger;
      const cb = await balance(sys, c.address);
      const accounts = [...r1.built.ledger.keys()].filter((a) => r1.built.ledger.get(a)! > 0n);
      for (const a of accounts) {
        const p = claimProof(r1.built, a);
        await sys.challenges.connect(c).challengeAccount(r2.roundId, s.settlement, a, p.cumulativeAmount, p.index, p.proof);
      }
      await sys.challenges.connect(c).challengeGoldItem(r2.roundId, s.settlement, gold2.items[0], goldProof(gold2, 0));
      const n = BigInt(accounts.length + 1);
      // The honest relayers answer them all.
      for (let id = 1n; id <= n - 1n; id++) {
        const ch = await sys.challenges.getChallenge(id);
        const q = claimProof(s, ch.account);
        await sys.challenges.connect(sys.relayers[2]).answerAccount(id, q.cumulativeAmount, q.index, q.proof);
      }
      const it0 = gold2.items[0];
      const a0 = goldAnswer(r2, it0);
      await sys.challenges.connect(sys.relayers[2]).answerGoldItem(n, it0, a0.poolProof, a0.task, a0.taskProof);
      await toChallengeEnd(sys, r2.roundId);
      await sys.settlement.finalize(r2.roundId, s.settlement);
      for (const x of sys.relayers) expect((await sys.vault.stakeOf(x.address, Role.Relayer)).active).to.equal(RELAYER_BOND);
      const lost = (DEFAULT_PARAMS.minChallengeBond * BigInt(DEFAULT_PARAMS.failedChallengeBps)) / 10_000n;
      expect(cb - (await balance(sys, c.address))).to.equal(n * lost);
      expect(await balance(sys, await sys.challenges.getAddress())).to.equal(0n);
    });
  });

  describe("weaknesses found in this review", function () {
    it("fixed: a moot challenge could revive when the same settlement was accepted again, and seize honest relayers' bonds (guardian plus griefer)", async function () {
      const sys = await loadFixture(stakedFixture);
      const r1 = await fullRound(sys, new Map());
      const { honest: s, ...r } = await roundAtSettle(sys, r1.built.ledger);
      await settle(sys, r.ctx.roundId, s.settlement);
      const n0 = sys.acc.nodes[0].address;
      const p = claimProof(r1.built, n0);
      // A frivolous challenge, then a veto: the challenge is moot, so nobody answers it.
      await sys.challenges.connect(sys.acc.challenger).challengeAccount(r.ctx.roundId, s.settlement, n0, p.cumulativeAmount, p.index, p.proof);
      await sys.settlement.connect(sys.acc.guardian).vetoSettlement(r.ctx.roundId);
      // The honest relayers recompute the same settlement: same hash, accepted again.
      await settle(sys, r.ctx.roundId, s.settlement);
      await time.increaseTo((await sys.challenges.getChallenge(1)).deadline);
      await expect(sys.challenges.connect(sys.acc.challenger).resolve(1)).to.emit(sys.challenges, "ChallengeMoot").withArgs(1);
      for (const x of sys.relayers.slice(0, 2)) expect((await sys.vault.stakeOf(x.address, Role.Relayer)).active).to.equal(RELAYER_BOND);
      await toChallengeEnd(sys, r.ctx.roundId);
      await expect(sys.settlement.finalize(r.ctx.roundId, s.settlement)).to.emit(sys.settlement, "RoundFinalized");
    });

    it("fixed: after a gold-pool refresh, reusing a pool index of the old pool was 'proven' reuse and cost honest relayers their bonds", async function () {
      const sys = await loadFixture(stakedFixture);
      const g1 = makeGold([{ taskIndex: 1, poolIndex: 0 }], GOLD_POOL, "old");
      const r1 = await fullRound(sys, new Map(), { gold: g1 });
      const pool2: GoldPoolItem[] = GOLD_POOL.map((it) => ({ ...it, contentHash: ethers.id(`refreshed/${it.poolIndex}`) as Hex }));
      await govern(sys, await call(sys.config, "setParams", [paramsWith({ goldPoolRoot: buildGoldPoolTree(pool2).root as Hex })]));
      const g2 = makeGold([{ taskIndex: 2, poolIndex: 0 }], pool2, "new");
      const ctx = await openRound(sys, { n: 4, gold: g2 });
      await toSettle(sys, ctx.roundId);
      const s = buildSettlement({ ledger: r1.built.ledger, inferencePaid: 0n, evaluatorPaid: 0n, gold: g2, paramsVersion: 2 });
      await settle(sys, ctx.roundId, s.settlement);
      await expect(
        sys.challenges.connect(sys.acc.challenger).proveGoldReuse(ctx.roundId, s.settlement, g2.items[0], goldProof(g2, 0), r1.ctx.roundId, r1.built.settlement, g1.items[0], goldProof(g1, 0)),
      ).to.be.revertedWithCustomError(sys.challenges, "ChallengeNoViolation");
      for (const x of sys.relayers.slice(0, 2)) expect((await sys.vault.stakeOf(x.address, Role.Relayer)).active).to.equal(RELAYER_BOND);
    });

    it("fixed: the guardian could re-roll an assignment by cancelling once the seed was known", async function () {
      const sys = await loadFixture(stakedFixture);
      const ctx = await registerRound(sys, { n: 4 });
      await mineToSeed(sys, ctx);
      await mine(1); // the seed block is mined: anyone can compute the seed
      await expect(sys.settlement.connect(sys.acc.guardian).cancelRound(ctx.roundId))
        .to.be.revertedWithCustomError(sys.settlement, "SettlementSeedFixed")
        .withArgs(ctx.roundId, ctx.seedBlock);
      expect((await sys.settlement.getRound(ctx.roundId)).status).to.equal(Status.Registered);
    });

    it("fixed: a third relayer's reveal racing the quorum reverted (normal operation mined a failed transaction)", async function () {
      const sys = await loadFixture(stakedFixture);
      const { honest: s, ...r } = await roundAtSettle(sys, new Map());
      await settle(sys, r.ctx.roundId, s.settlement, sys.relayers); // throws if any reveal reverts
      expect((await sys.settlement.getRound(r.ctx.roundId)).status).to.equal(Status.Accepted);
    });

    it("residual: one bonded relayer can fill every open-round slot with junk rounds; honest registrations wait until they expire (one assignment window per wave)", async function () {
      const sys = await loadFixture(stakedFixture);
      const junk = sys.relayers[2];
      for (let i = 0; i < DEFAULT_PARAMS.maxOpenRounds; i++) await registerRound(sys, { n: 1, relayer: junk, salt: `junk-${i}` });
      const reg = { taskRoot: ethers.id("honest"), taskCount: 4, goldCommitment: ethers.ZeroHash, manifestCid: "0x" };
      await expect(sys.settlement.connect(sys.relayers[0]).registerTasks(reg))
        .to.be.revertedWithCustomError(sys.settlement, "SettlementTooManyOpenRounds")
        .withArgs(DEFAULT_PARAMS.maxOpenRounds, DEFAULT_PARAMS.maxOpenRounds);
      // The wave expires at its assignment deadline; anyone clears it and the honest batch goes in. Nothing was paid,
      // slashed or locked, and the junk relayer could start another wave: only governance (timelocked) removes it.
      await toAssignDeadline(sys, BigInt(DEFAULT_PARAMS.maxOpenRounds));
      for (let id = 1n; id <= BigInt(DEFAULT_PARAMS.maxOpenRounds); id++) await sys.settlement.connect(sys.acc.outsider).cancelRound(id);
      await expect(sys.settlement.connect(sys.relayers[0]).registerTasks(reg)).to.emit(sys.settlement, "TasksRegistered");
      expect((await sys.vault.stakeOf(junk.address, Role.Relayer)).active).to.equal(RELAYER_BOND);
    });

    it("residual: a round waiting on a vetoed predecessor can expire; it is cancelled with full refunds and nobody is slashed", async function () {
      // A round's expiry counts from its own registration, not from its predecessor's close: the guardian's vetoes
      // of round a (four here) delay round b, honest and evaluated, past its own expiry.
      const sys = await deploySystem({ params: { maxVetoes: 4, maxExtensions: 4 } });
      await stakeAll(sys);
      const a = await evaluatedRound(sys);
      const b = await evaluatedRound(sys);
      await toSettle(sys, b.ctx.roundId);
      const sa = await honestSettlement(sys, a.ctx, a.revealers, new Map());
      for (let i = 0; i < 4; i++) {
        await settle(sys, a.ctx.roundId, sa.settlement);
        await time.setNextBlockTimestamp((await sys.settlement.getRound(a.ctx.roundId)).challengeEnd - 1n);
        await sys.settlement.connect(sys.acc.guardian).vetoSettlement(a.ctx.roundId);
      }
      await settle(sys, a.ctx.roundId, sa.settlement);
      await toChallengeEnd(sys, a.ctx.roundId);
      await sys.settlement.finalize(a.ctx.roundId, sa.settlement);
      const bRound = await sys.settlement.getRound(b.ctx.roundId);
      const span = BigInt(DEFAULT_PARAMS.settleCommitDuration + DEFAULT_PARAMS.settleRevealDuration);
      expect((await now()) + span).to.be.greaterThan(bRound.expiresAt);
      await toExpiry(sys, b.ctx.roundId);
      await sys.settlement.connect(sys.acc.outsider).cancelRound(b.ctx.roundId);
      const fb = await balance(sys, sys.acc.funder.address);
      await sys.distributor.refund(b.ctx.roundId, sys.acc.funder.address);
      expect((await balance(sys, sys.acc.funder.address)) - fb).to.equal(ROUND_POOLS.inference + ROUND_POOLS.evaluator);
      for (const e of b.revealers) {
        const i = sys.acc.evaluators.findIndex((x) => addr(x.address) === e);
        expect((await sys.vault.stakeOf(e, Role.Evaluator)).active).to.equal(EVALUATOR_STAKES[i]);
        expect(await sys.settlement.withdrawalLocked(e)).to.equal(false);
      }
    });
  });
});
