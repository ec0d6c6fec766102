import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { anyValue } from "@nomicfoundation/hardhat-chai-matchers/withArgs";
import type { Hex } from "viem";
import { packScores, revealDigest, revealTypedData, type SignedReveal } from "../src/chain/encoding";
import { Phase, Reason, Role, TOKEN, deploySystem, stakeAll, stakedFixture } from "./helpers/fixtures";
import {
  addr,
  buildSettlement,
  commit,
  fund,
  openRound,
  reveal,
  scoresFor,
  settle,
  signedReveal,
  toFinalizable,
  toReveal,
  toSettle,
  type Commit,
} from "./helpers/round";

/**
 * `revealScoresBatch`: evaluators sign their reveal (EIP-712) and anyone, normally a relayer, submits many in one
 * transaction. Each entry gets exactly the checks of `revealScores`, with the signer in place of the caller.
 */

const score = (t: number) => 4_000 + 150 * t;

/** Every evaluator committed; phase Reveal; each evaluator's signed reveal is prepared. */
async function batchFixture() {
  const sys = await stakedFixture();
  const ctx = await openRound(sys, 12);
  const commits = new Map<string, Commit>();
  for (const e of sys.acc.evaluators) {
    commits.set(e.address, await commit(sys, ctx.roundId, e, scoresFor(ctx, e.address, score)));
  }
  await toReveal(sys, ctx.roundId);
  const signed = new Map<string, SignedReveal>();
  for (const e of sys.acc.evaluators) signed.set(e.address, await signedReveal(sys, ctx, e, commits.get(e.address)!));
  const batch = sys.acc.evaluators.map((e) => signed.get(e.address)!);
  return { sys, ctx, commits, signed, batch };
}

describe("PoQSettlement: batched signed reveals", function () {
  // Leave the shared chain as this file found it: later files' fixtures (and their rounds' seeds, which depend on the
  // chain's history) stay exactly what they were without this file.
  let snapshot: string;
  before(async function () {
    snapshot = await ethers.provider.send("evm_snapshot", []);
  });
  after(async function () {
    await ethers.provider.send("evm_revert", [snapshot]);
  });

  describe("revealScoresBatch", function () {
    it("reveals every entry in one transaction, stores what revealScores stores and emits ScoresRevealed each", async function () {
      const { sys, ctx, commits, batch } = await loadFixture(batchFixture);
      const relayer = sys.acc.relayers[0];
      expect(await sys.settlement.connect(relayer).revealScoresBatch.staticCall(ctx.roundId, batch)).to.equal(5n);
      const tx = sys.settlement.connect(relayer).revealScoresBatch(ctx.roundId, batch);
      for (const e of sys.acc.evaluators) {
        await expect(tx)
          .to.emit(sys.settlement, "ScoresRevealed")
          .withArgs(ctx.roundId, e.address, commits.get(e.address)!.packed);
      }
      for (const e of sys.acc.evaluators) {
        const [digest, revealed] = await sys.settlement.scoreRecord(ctx.roundId, e.address);
        expect(digest).to.equal(ethers.toBeHex(BigInt(ethers.keccak256(commits.get(e.address)!.packed)) & ~1n, 32));
        expect(revealed).to.equal(true);
      }
    });

    it("can be submitted by anyone: the signatures, not the caller, say whose reveals they are", async function () {
      const { sys, ctx, signed } = await loadFixture(batchFixture);
      const e = sys.acc.evaluators[3];
      await expect(sys.settlement.connect(sys.acc.outsider).revealScoresBatch(ctx.roundId, [signed.get(e.address)!]))
        .to.emit(sys.settlement, "ScoresRevealed")
        .withArgs(ctx.roundId, e.address, anyValue);
    });

    it("costs less gas than the same reveals sent one by one", async function () {
      const { sys, ctx, commits, batch } = await loadFixture(batchFixture);
      const batchGas = (await (await sys.settlement.connect(sys.acc.relayers[0]).revealScoresBatch(ctx.roundId, batch)).wait())!.gasUsed;
      const { sys: s2, ctx: c2 } = await loadFixture(batchFixture);
      let single = 0n;
      for (const e of s2.acc.evaluators) single += (await (await reveal(s2, c2, e, commits.get(e.address)!)).wait())!.gasUsed;
      expect(batchGas).to.be.below(single);
      // Five evaluators save four transaction base costs at least, net of signature checks.
      expect(single - batchGas).to.be.above(4n * 15_000n);
    });

    it("skips an evaluator that already revealed by itself, and a repeated batch is a no-op", async function () {
      const { sys, ctx, commits, batch } = await loadFixture(batchFixture);
      const e0 = sys.acc.evaluators[0];
      await reveal(sys, ctx, e0, commits.get(e0.address)!);
      const relayer = sys.acc.relayers[0];
      expect(await sys.settlement.connect(relayer).revealScoresBatch.staticCall(ctx.roundId, batch)).to.equal(4n);
      const tx = await sys.settlement.connect(relayer).revealScoresBatch(ctx.roundId, batch);
      const events = await sys.settlement.queryFilter(sys.settlement.filters.ScoresRevealed(ctx.roundId), tx.blockNumber!, tx.blockNumber!);
      expect(events.map((l) => l.args.evaluator)).to.deep.equal(sys.acc.evaluators.slice(1).map((e) => e.address));
      expect(await sys.settlement.connect(relayer).revealScoresBatch.staticCall(ctx.roundId, batch)).to.equal(0n);
      await expect(sys.settlement.connect(relayer).revealScoresBatch(ctx.roundId, batch)).not.to.emit(sys.settlement, "ScoresRevealed");
    });

    it("leaves a batch-revealed evaluator unable to reveal again by itself", async function () {
      const { sys, ctx, commits, signed } = await loadFixture(batchFixture);
      const e = sys.acc.evaluators[1];
      await sys.settlement.connect(sys.acc.relayers[1]).revealScoresBatch(ctx.roundId, [signed.get(e.address)!]);
      await expect(reveal(sys, ctx, e, commits.get(e.address)!))
        .to.be.revertedWithCustomError(sys.settlement, "AlreadyRevealed")
        .withArgs(ctx.roundId, e.address);
    });

    it("fails for an unknown round, outside phase Reveal and for an empty batch", async function () {
      const { sys, ctx, batch } = await loadFixture(batchFixture);
      const relayer = sys.settlement.connect(sys.acc.relayers[0]);
      await expect(relayer.revealScoresBatch(9, batch)).to.be.revertedWithCustomError(sys.settlement, "UnknownRound").withArgs(9);
      await expect(relayer.revealScoresBatch(ctx.roundId, []))
        .to.be.revertedWithCustomError(sys.settlement, "ZeroValue")
        .withArgs("reveals");
      await toSettle(sys, ctx.roundId);
      await expect(relayer.revealScoresBatch(ctx.roundId, batch))
        .to.be.revertedWithCustomError(sys.settlement, "WrongPhase")
        .withArgs(ctx.roundId, Phase.Reveal, Phase.Settle);

      const sys2 = await loadFixture(stakedFixture);
      const ctx2 = await openRound(sys2, 4);
      await expect(sys2.settlement.connect(sys2.acc.relayers[0]).revealScoresBatch(ctx2.roundId, batch))
        .to.be.revertedWithCustomError(sys2.settlement, "WrongPhase")
        .withArgs(ctx2.roundId, Phase.Reveal, Phase.Commit);
    });

    it("fails for a malformed signature, naming the entry", async function () {
      const { sys, ctx, batch } = await loadFixture(batchFixture);
      const bad = [...batch];
      bad[2] = { ...bad[2], r: ethers.ZeroHash as Hex };
      await expect(sys.settlement.revealScoresBatch(ctx.roundId, bad))
        .to.be.revertedWithCustomError(sys.settlement, "InvalidRevealSignature")
        .withArgs(ctx.roundId, 2);
      // s in the upper half of the curve order (a malleable twin) is refused as well.
      const highS = [{ ...batch[0], vs: ethers.toBeHex((1n << 255n) - 1n, 32) as Hex }];
      await expect(sys.settlement.revealScoresBatch(ctx.roundId, highS))
        .to.be.revertedWithCustomError(sys.settlement, "InvalidRevealSignature")
        .withArgs(ctx.roundId, 0);
    });

    it("fails if the signer did not commit (a signature by an outsider)", async function () {
      const { sys, ctx, commits } = await loadFixture(batchFixture);
      const e = sys.acc.evaluators[0];
      const forged = await signedReveal(sys, ctx, e, commits.get(e.address)!, sys.acc.outsider);
      await expect(sys.settlement.revealScoresBatch(ctx.roundId, [forged]))
        .to.be.revertedWithCustomError(sys.settlement, "NotCommitted")
        .withArgs(ctx.roundId, sys.acc.outsider.address);
    });

    describe("a submitter cannot alter a reveal", function () {
      it("fails for changed scores or salt: the signature then names nobody who committed", async function () {
        const { sys, ctx, signed } = await loadFixture(batchFixture);
        const e = sys.acc.evaluators[0];
        const s = signed.get(e.address)!;
        const flipped = ("0x" + (s.scores.slice(2, 6) === "0000" ? "0001" : "0000") + s.scores.slice(6)) as Hex;
        await expect(sys.settlement.revealScoresBatch(ctx.roundId, [{ ...s, scores: flipped }])).to.be.revertedWithCustomError(
          sys.settlement,
          "NotCommitted",
        );
        await expect(sys.settlement.revealScoresBatch(ctx.roundId, [{ ...s, salt: ethers.id("other") as Hex }])).to.be.revertedWithCustomError(
          sys.settlement,
          "NotCommitted",
        );
      });

      it("fails for scores an evaluator signed that are not what it committed", async function () {
        const { sys, ctx, commits } = await loadFixture(batchFixture);
        const e = sys.acc.evaluators[0];
        const c = commits.get(e.address)!;
        const other = packScores(c.scores.map((x) => 10_000 - x));
        const s = await signedReveal(sys, ctx, e, { packed: other, salt: c.salt });
        await expect(sys.settlement.revealScoresBatch(ctx.roundId, [s]))
          .to.be.revertedWithCustomError(sys.settlement, "RevealMismatch")
          .withArgs(ctx.roundId, e.address);
      });

      it("fails for a wrong assignment proof or task list", async function () {
        const { sys, ctx, signed } = await loadFixture(batchFixture);
        const e = sys.acc.evaluators[0];
        const s = signed.get(e.address)!;
        const count = ctx.assignment.get(addr(e.address))!.length;
        await expect(sys.settlement.revealScoresBatch(ctx.roundId, [{ ...s, tasksHash: ethers.id("tasks") as Hex }]))
          .to.be.revertedWithCustomError(sys.settlement, "NotAssigned")
          .withArgs(ctx.roundId, e.address, count);
        await expect(sys.settlement.revealScoresBatch(ctx.roundId, [{ ...s, assignmentProof: [] }]))
          .to.be.revertedWithCustomError(sys.settlement, "NotAssigned")
          .withArgs(ctx.roundId, e.address, count);
      });

      it("fails for malformed or out-of-range scores before any signature check", async function () {
        const { sys, ctx, signed } = await loadFixture(batchFixture);
        const s = signed.get(sys.acc.evaluators[0].address)!;
        await expect(sys.settlement.revealScoresBatch(ctx.roundId, [{ ...s, scores: "0x" }]))
          .to.be.revertedWithCustomError(sys.settlement, "MalformedScores")
          .withArgs(0);
        await expect(sys.settlement.revealScoresBatch(ctx.roundId, [{ ...s, scores: "0x0001ff" }]))
          .to.be.revertedWithCustomError(sys.settlement, "MalformedScores")
          .withArgs(3);
        await expect(sys.settlement.revealScoresBatch(ctx.roundId, [{ ...s, scores: "0x00012711" }]))
          .to.be.revertedWithCustomError(sys.settlement, "ScoreOutOfRange")
          .withArgs(1, 10_001);
      });
    });

    describe("replay", function () {
      it("fails for a signature made for another round", async function () {
        const { sys, ctx, commits } = await loadFixture(batchFixture);
        const e = sys.acc.evaluators[0];
        const c = commits.get(e.address)!;
        const wrongRound = await signedReveal(sys, { ...ctx, roundId: ctx.roundId + 1n }, e, c);
        await expect(sys.settlement.revealScoresBatch(ctx.roundId, [wrongRound])).to.be.revertedWithCustomError(
          sys.settlement,
          "NotCommitted",
        );
      });

      it("fails for a signature made for another deployment", async function () {
        const { sys, ctx, commits } = await loadFixture(batchFixture);
        const other = await deploySystem();
        const e = sys.acc.evaluators[0];
        const forOther = await signedReveal({ ...sys, settlement: other.settlement }, ctx, e, commits.get(e.address)!);
        await expect(sys.settlement.revealScoresBatch(ctx.roundId, [forOther])).to.be.revertedWithCustomError(
          sys.settlement,
          "NotCommitted",
        );
      });
    });
  });

  describe("revealDigest", function () {
    it("is the EIP-712 digest of Reveal(roundId, scores, salt) that src/chain/encoding.ts and ethers compute", async function () {
      const { sys, ctx, commits } = await loadFixture(batchFixture);
      const c = commits.get(sys.acc.evaluators[0].address)!;
      const d = { chainId: sys.chainId, contract: addr(await sys.settlement.getAddress()), roundId: ctx.roundId, scores: c.packed, salt: c.salt };
      const onchain = await sys.settlement.revealDigest(ctx.roundId, c.packed, c.salt);
      expect(onchain).to.equal(revealDigest(d));
      const typed = revealTypedData(d);
      expect(onchain).to.equal(ethers.TypedDataEncoder.hash(typed.domain, { Reveal: [...typed.types.Reveal] }, typed.message));
    });
  });

  describe("in a full round", function () {
    it("a batch-revealed evaluator is never slashed for not revealing; one left out is", async function () {
      const sys = await deploySystem();
      await stakeAll(sys);
      const ctx = await openRound(sys, 12);
      const commits = new Map<string, Commit>();
      for (const e of sys.acc.evaluators) commits.set(e.address, await commit(sys, ctx.roundId, e, scoresFor(ctx, e.address, score)));
      await fund(sys, ctx.roundId, 100n * TOKEN, 50n * TOKEN);
      await toReveal(sys, ctx.roundId);
      const [e0, e1, e2, e3, e4] = sys.acc.evaluators;
      const batch = [];
      for (const e of [e0, e1, e2, e3]) batch.push(await signedReveal(sys, ctx, e, commits.get(e.address)!));
      await sys.settlement.connect(sys.acc.relayers[0]).revealScoresBatch(ctx.roundId, batch);
      await toSettle(sys, ctx.roundId);

      const cumulative = new Map<string, bigint>([[sys.acc.nodes[0].address, 100n * TOKEN]]);
      for (const e of [e0, e1, e2, e3]) cumulative.set(e.address, 10n * TOKEN);
      const slashes = [e0, e4].map((e) => ({ evaluator: addr(e.address), reason: Reason.NonReveal as 1 }));
      const b = buildSettlement({ cumulative, inferencePaid: 100n * TOKEN, evaluatorPaid: 40n * TOKEN, slashes, tag: "batch" });
      await settle(sys, ctx.roundId, b.settlement);
      await toFinalizable(sys, ctx.roundId);
      const tx = await sys.settlement.finalize(ctx.roundId, b.settlement);
      await expect(tx).to.emit(sys.settlement, "SlashSkipped").withArgs(ctx.roundId, e0.address, Reason.NonReveal);
      await expect(tx).to.emit(sys.vault, "Slashed").withArgs(ctx.roundId, e4.address, Role.Evaluator, Reason.NonReveal, anyValue, anyValue);
      expect((await sys.vault.stakeOf(e0.address, Role.Evaluator)).lastSlashedRound).to.equal(0n);
    });
  });
});
