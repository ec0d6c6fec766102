/**
 * The TypeScript mirrors of the contracts' encodings (src/chain/encoding.ts, src/rewards/sumTree.ts) against the
 * contracts themselves, property-tested: whatever the off-chain agents hash, sign or prove, the chain computes the same.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import fc from "fast-check";
import type { Address, Hex } from "viem";
import {
  MAX_SCORE,
  SETTLEMENT_FLAG_BREAKER,
  SlashReason,
  UNAVAILABLE,
  buildAssignmentTree,
  buildGoldPoolTree,
  buildGoldTree,
  buildTaskTree,
  deriveSalt,
  goldCommitment,
  hashSettlement,
  packScores,
  revealDigest,
  rewardProof,
  scoreCommitment,
  settlementCommitment,
  tasksHash,
  toOnchainScore,
  unpackScores,
  type Settlement,
} from "../src/chain/encoding";
import { buildSumTree, sumTreeClaims, sumTreeComputeRoot, sumTreeIndexOf, sumTreeLeafHash, sumTreeProof } from "../src/rewards/sumTree";
import { InputError } from "../src/errors";
import { runs } from "./helpers/fastcheck";
import { Reason, stakedFixture } from "./helpers/fixtures";
import { addr } from "./helpers/round";

async function encodingFixture() {
  const sys = await stakedFixture();
  const harness = await ethers.deployContract("EncodingHarness");
  const scores = await ethers.deployContract("ScoresHarness");
  return { sys, harness, scores, contract: addr(await sys.settlement.getAddress()) };
}

/* ARBITRARIES */

const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => ethers.hexlify(b) as Hex);
const address = fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => addr(ethers.hexlify(b)));
const uint = (bits: number) => fc.bigInt({ min: 0n, max: (1n << BigInt(bits)) - 1n });
const score = fc.oneof(fc.integer({ min: 0, max: MAX_SCORE }), fc.constant(UNAVAILABLE), fc.constantFrom(0, MAX_SCORE));
const validScores = fc.array(score, { minLength: 1, maxLength: 70 });
const badScore = fc.integer({ min: MAX_SCORE + 1, max: UNAVAILABLE - 1 });
const ascending = fc.uniqueArray(fc.integer({ min: 0, max: 2 ** 32 - 1 }), { minLength: 1, maxLength: 40 }).map((xs) => [...xs].sort((a, b) => a - b));
const settlementArb: fc.Arbitrary<Settlement> = fc.record({
  rewardsRoot: bytes32,
  cumulativeTotal: uint(256),
  inferencePaid: uint(256),
  evaluatorPaid: uint(256),
  trustRoot: bytes32,
  inputsHash: bytes32,
  goldRoot: bytes32,
  goldSalt: bytes32,
  goldCount: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
  paramsVersion: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
  flags: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
  lowTrustSlashes: fc.array(address, { maxLength: 6 }),
});
/** Sum-tree sizes: 1, 2, 3, powers of two and their neighbours, and random sizes. */
const treeSize = fc.oneof(fc.constantFrom(1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 64), fc.integer({ min: 1, max: 70 }));
const amount = fc.oneof(uint(64), uint(128), fc.constant(0n), fc.constant(1n));

const RUNS = { numRuns: runs(30) };

describe("Encoding (TypeScript mirrors vs the contracts)", function () {
  describe("packScores and ScoresLib.validate", function () {
    it("any valid scores (UNAVAILABLE included) pack to what the contract accepts, with their count, and unpack back", async function () {
      const { scores } = await loadFixture(encodingFixture);
      await fc.assert(
        fc.asyncProperty(validScores, async (xs) => {
          const packed = packScores(xs);
          expect(await scores.validate(packed)).to.equal(BigInt(xs.length));
          expect(unpackScores(packed)).to.deep.equal(xs);
        }),
        RUNS,
      );
    });

    it("a score between 10001 and 65534 is refused on both sides, the contract naming the first one", async function () {
      const { scores } = await loadFixture(encodingFixture);
      await fc.assert(
        fc.asyncProperty(validScores, fc.nat(), badScore, badScore, async (xs, at, bad, bad2) => {
          const i = at % (xs.length + 1);
          const ys = [...xs.slice(0, i), bad, ...xs.slice(i), bad2];
          const raw = ("0x" + ys.map((v) => v.toString(16).padStart(4, "0")).join("")) as Hex;
          await expect(scores.validate(raw)).to.be.revertedWithCustomError(scores, "ScoresOutOfRange").withArgs(i, bad);
          expect(() => packScores(ys)).to.throw(InputError);
          expect(() => unpackScores(raw)).to.throw(InputError);
        }),
        RUNS,
      );
    });

    it("odd or empty packings are malformed on both sides", async function () {
      const { scores } = await loadFixture(encodingFixture);
      for (const raw of ["0x", "0x00", "0x000100"]) {
        await expect(scores.validate(raw)).to.be.revertedWithCustomError(scores, "ScoresMalformed").withArgs((raw.length - 2) / 2);
        expect(() => unpackScores(raw as Hex)).to.throw(InputError);
      }
      expect(() => packScores([])).to.throw(InputError);
      expect(() => packScores([1.5])).to.throw(InputError);
      expect(toOnchainScore(7.2345)).to.equal(7_235);
      expect(toOnchainScore(11)).to.equal(MAX_SCORE);
    });
  });

  describe("commitments, digests and hashes", function () {
    it("scoreCommitment equals PoQSettlement.scoreCommitment", async function () {
      const { sys, contract } = await loadFixture(encodingFixture);
      await fc.assert(
        fc.asyncProperty(uint(64), address, validScores, bytes32, async (roundId, evaluator, xs, salt) => {
          const scores = packScores(xs);
          const ts = scoreCommitment({ chainId: sys.chainId, contract, roundId, evaluator, scores, salt });
          expect(await sys.settlement.scoreCommitment(roundId, evaluator, scores, salt)).to.equal(ts);
        }),
        RUNS,
      );
    });

    it("settlementCommitment (with its attempt) equals PoQSettlement.settlementCommitment", async function () {
      const { sys, contract } = await loadFixture(encodingFixture);
      await fc.assert(
        fc.asyncProperty(uint(64), uint(16), address, bytes32, bytes32, async (roundId, attempt, relayer, settlementHash, salt) => {
          const ts = settlementCommitment({ chainId: sys.chainId, contract, roundId, attempt, relayer, settlementHash, salt });
          expect(await sys.settlement.settlementCommitment(roundId, attempt, relayer, settlementHash, salt)).to.equal(ts);
          // A different attempt never gives the same commitment.
          expect(settlementCommitment({ chainId: sys.chainId, contract, roundId, attempt: attempt + 1n, relayer, settlementHash, salt })).not.to.equal(ts);
        }),
        RUNS,
      );
    });

    it("hashSettlement equals PoQSettlement.hashSettlement for any settlement", async function () {
      const { sys } = await loadFixture(encodingFixture);
      await fc.assert(
        fc.asyncProperty(settlementArb, async (s) => {
          expect(await sys.settlement.hashSettlement(s)).to.equal(hashSettlement(s));
        }),
        RUNS,
      );
    });

    it("revealDigest equals PoQSettlement.revealDigest (EIP-712, domain version 2)", async function () {
      const { sys, contract } = await loadFixture(encodingFixture);
      await fc.assert(
        fc.asyncProperty(uint(64), validScores, bytes32, async (roundId, xs, salt) => {
          const scores = packScores(xs);
          expect(await sys.settlement.revealDigest(roundId, scores, salt)).to.equal(revealDigest({ chainId: sys.chainId, contract, roundId, scores, salt }));
        }),
        RUNS,
      );
    });

    it("deriveSalt is deterministic and separates chain, contract, round, purpose and attempt", function () {
      const secret = ethers.id("k") as Hex;
      const base = { chainId: 1n, contract: addr(ethers.ZeroAddress), roundId: 7n, purpose: "settlement" as const, attempt: 1 };
      const s = deriveSalt(secret, base);
      expect(deriveSalt(secret, base)).to.equal(s);
      for (const other of [{ ...base, chainId: 2n }, { ...base, roundId: 8n }, { ...base, attempt: 2 }, { ...base, purpose: "scores" as const }]) {
        expect(deriveSalt(secret, other)).not.to.equal(s);
      }
    });

    it("the reason codes and the breaker flag match the contracts'", function () {
      expect(SlashReason).to.deep.equal({ NonReveal: Reason.NonReveal, LowTrust: Reason.LowTrust, Bond: Reason.Bond });
      expect(SETTLEMENT_FLAG_BREAKER).to.equal(1);
    });
  });

  describe("Merkle leaves (task, assignment, gold item, gold pool) and the gold commitment", function () {
    it("tasksHash equals abi.encodePacked(uint32[]) hashing, and refuses unsorted indexes", async function () {
      const { harness } = await loadFixture(encodingFixture);
      await fc.assert(
        fc.asyncProperty(ascending, async (xs) => {
          expect(await harness.tasksHash(xs)).to.equal(tasksHash(xs));
        }),
        RUNS,
      );
      expect(() => tasksHash([2, 1])).to.throw(InputError);
      expect(() => tasksHash([1, 1])).to.throw(InputError);
    });

    it("task, assignment, gold-item and gold-pool trees prove their leaves to the contracts", async function () {
      const { harness, sys } = await loadFixture(encodingFixture);
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.record({ node: address, modelId: bytes32, contentHash: bytes32, costUnits: uint(64) }), { minLength: 1, maxLength: 9 }),
          fc.array(fc.record({ evaluator: address, tasks: ascending }), { minLength: 1, maxLength: 6 }),
          async (taskRows, assignRows) => {
            const tasks = taskRows.map((t, index) => ({ index, ...t }));
            const tt = buildTaskTree(tasks);
            for (const [i, v] of tt.entries()) {
              const leaf = await harness.taskLeaf(v[0], v[1], v[2], v[3], v[4]);
              expect(leaf).to.equal(tt.leafHash(v));
              expect(await harness.verify(tt.getProof(i), tt.root, leaf)).to.equal(true);
            }
            const byEvaluator = new Map<Address, number[]>();
            for (const r of assignRows) byEvaluator.set(r.evaluator, r.tasks);
            const at = buildAssignmentTree(byEvaluator);
            for (const [i, v] of at.entries()) {
              const leaf = await harness.assignmentLeaf(v[0], v[1], v[2]);
              expect(leaf).to.equal(at.leafHash(v));
              expect(v[2]).to.equal(tasksHash(byEvaluator.get(v[0])!));
              expect(await harness.verify(at.getProof(i), at.root, leaf)).to.equal(true);
            }
            const pool = tasks.map((t, poolIndex) => ({ poolIndex, contentHash: t.contentHash, quality: Number(t.costUnits % 10_001n) }));
            const pt = buildGoldPoolTree(pool);
            const items = pool.map((p, i) => ({ taskIndex: i, poolIndex: p.poolIndex, contentHash: p.contentHash, quality: p.quality }));
            const gt = buildGoldTree(items);
            for (const [i, v] of pt.entries()) {
              const leaf = await harness.goldPoolLeaf(v[0], v[1], v[2]);
              expect(leaf).to.equal(pt.leafHash(v));
              expect(await harness.verify(pt.getProof(i), pt.root, leaf)).to.equal(true);
            }
            for (const [i, v] of gt.entries()) {
              const leaf = await harness.goldItemLeaf(v[0], v[1], v[2], v[3]);
              expect(leaf).to.equal(gt.leafHash(v));
              expect(await sys.challenges.goldItemLeaf({ taskIndex: v[0], poolIndex: v[1], contentHash: v[2], quality: v[3] })).to.equal(leaf);
              expect(await harness.verify(gt.getProof(i), gt.root, leaf)).to.equal(true);
            }
          },
        ),
        { numRuns: runs(10) },
      );
    });

    it("goldCommitment equals keccak256(abi.encode(goldRoot, goldCount, goldSalt))", async function () {
      const { harness } = await loadFixture(encodingFixture);
      await fc.assert(
        fc.asyncProperty(bytes32, fc.integer({ min: 0, max: 2 ** 32 - 1 }), bytes32, async (root, count, salt) => {
          expect(await harness.goldCommitment(root, count, salt)).to.equal(goldCommitment(root, count, salt));
        }),
        RUNS,
      );
    });

    it("the gold pool tree refuses items out of index order", function () {
      expect(() => buildGoldPoolTree([{ poolIndex: 1, contentHash: ethers.ZeroHash as Hex, quality: 1 }])).to.throw(InputError);
      expect(() => buildGoldPoolTree([])).to.throw(InputError);
      expect(() => buildGoldTree([])).to.throw(InputError);
      expect(() => buildTaskTree([])).to.throw(InputError);
      expect(() => buildAssignmentTree(new Map())).to.throw(InputError);
    });
  });

  describe("buildSumTree and SumTreeLib", function () {
    it("every leaf's proof computes the root hash and total on chain, for trees of 1, 2, 3, powers of two and other sizes", async function () {
      const { harness } = await loadFixture(encodingFixture);
      await fc.assert(
        fc.asyncProperty(
          treeSize.chain((n) => fc.tuple(fc.uniqueArray(address, { minLength: n, maxLength: n, selector: (a) => a.toLowerCase() }), fc.array(amount, { minLength: n, maxLength: n }))),
          async ([accounts, amounts]) => {
            const t = buildSumTree(accounts.map((account, i) => ({ account, amount: amounts[i] })));
            expect(t.total).to.equal(amounts.reduce((a, b) => a + b, 0n));
            expect(t.depth).to.equal(Math.ceil(Math.log2(accounts.length)));
            for (const c of sumTreeClaims(t)) {
              const [hash, sum] = await harness.sumTreeRoot(c.account, c.cumulativeAmount, c.index, c.proof);
              expect([hash, sum]).to.deep.equal([t.root, t.total]);
              expect(sumTreeComputeRoot(c.account, c.cumulativeAmount, c.index, c.proof)).to.deep.equal({ root: t.root, total: t.total });
              expect(await harness.accountLeaf(c.account, c.cumulativeAmount)).to.equal(ethers.hexlify(sumTreeLeafHash(c.account, c.cumulativeAmount)));
              expect(sumTreeIndexOf(t, c.account.toLowerCase())).to.equal(c.index);
              expect(rewardProof(t, c.account)).to.deep.equal({ cumulativeAmount: c.cumulativeAmount, index: c.index, proof: c.proof });
            }
          },
        ),
        { numRuns: runs(25) },
      );
    });

    it("a proof with a wrong amount, index or sibling sum computes another root on both sides", async function () {
      const { harness } = await loadFixture(encodingFixture);
      const accounts = Array.from({ length: 5 }, (_, i) => addr(ethers.toBeHex(i + 1, 20)));
      const t = buildSumTree(accounts.map((account, i) => ({ account, amount: BigInt(10 * (i + 1)) })));
      const i = sumTreeIndexOf(t, accounts[2]);
      const proof = sumTreeProof(t, i);
      const bumped = [...proof];
      bumped[1] = ethers.toBeHex(BigInt(bumped[1]) + 1n, 32) as Hex;
      for (const [amt, idx, pr] of [
        [31n, i, proof],
        [30n, i ^ 1, proof],
        [30n, i, bumped],
      ] as const) {
        const [hash] = await harness.sumTreeRoot(accounts[2], amt, idx, pr);
        expect(hash).not.to.equal(t.root);
        expect(sumTreeComputeRoot(accounts[2], amt, idx, pr).root).to.equal(hash);
      }
      await expect(harness.sumTreeRoot(accounts[2], 30n, i, proof.slice(1))).to.be.revertedWithCustomError(harness, "SumTreeMalformedProof").withArgs(proof.length - 1);
      await expect(harness.sumTreeRoot(accounts[2], 30n, 8, proof)).to.be.revertedWithCustomError(harness, "SumTreeIndexOutOfRange").withArgs(8, 3);
      expect(() => sumTreeComputeRoot(accounts[2], 30n, 8, proof)).to.throw(InputError);
      expect(() => sumTreeComputeRoot(accounts[2], 30n, i, proof.slice(1))).to.throw(InputError);
    });

    it("refuses duplicate accounts, bad addresses, negative amounts and a total beyond uint256; the empty tree is (0, 0)", async function () {
      const a = addr(ethers.toBeHex(1, 20));
      expect(() => buildSumTree([{ account: a, amount: 1n }, { account: a.toLowerCase(), amount: 2n }])).to.throw(InputError);
      expect(() => buildSumTree([{ account: "0x12", amount: 1n }])).to.throw(InputError);
      expect(() => buildSumTree([{ account: a, amount: -1n }])).to.throw(InputError);
      const max = (1n << 256n) - 1n;
      expect(() => buildSumTree([{ account: a, amount: max }, { account: addr(ethers.toBeHex(2, 20)), amount: 1n }])).to.throw(InputError);
      const empty = buildSumTree([]);
      expect([empty.root, empty.total, empty.depth]).to.deep.equal([ethers.ZeroHash, 0n, 0]);
      expect(() => sumTreeProof(empty, 0)).to.throw(InputError);
    });
  });
});
