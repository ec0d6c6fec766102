import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import fc from "fast-check";
import { runs } from "./helpers/fastcheck";
import type { Address, Hex } from "viem";
import {
  MAX_SCORE,
  buildAssignmentTree,
  buildRewardsTree,
  buildTaskTree,
  deriveSalt,
  hashSettlement,
  packScores,
  rewardProof,
  scoreCommitment,
  settlementCommitment,
  tasksHash,
  toOnchainScore,
  unpackScores,
  type Settlement,
} from "../src/chain/encoding";
import { InputError } from "../src/errors";
import { Reason, TOKEN, stakedFixture } from "./helpers/fixtures";
import {
  acceptAssignment,
  addr,
  buildSettlement,
  commit,
  fund,
  makeTasks,
  registerRound,
  reveal,
  settleAndFinalize,
  toReveal,
  toSettle,
  type RoundCtx,
} from "./helpers/round";

async function encodingFixture() {
  const sys = await stakedFixture();
  const harness = await ethers.deployContract("EncodingHarness");
  const scores = await ethers.deployContract("ScoresHarness");
  return { sys, harness, scores };
}

/* ARBITRARIES */

const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => ethers.hexlify(b) as Hex);
const address = fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => addr(ethers.hexlify(b)));
const uint = (bits: number) => fc.bigInt({ min: 0n, max: (1n << BigInt(bits)) - 1n });
const validScores = fc.array(fc.integer({ min: 0, max: MAX_SCORE }), { minLength: 1, maxLength: 80 });
const ascending = fc
  .uniqueArray(fc.integer({ min: 0, max: 2 ** 32 - 1 }), { maxLength: 40 })
  .map((xs) => [...xs].sort((a, b) => a - b));
const settlementArb: fc.Arbitrary<Settlement> = fc.record({
  rewardsRoot: bytes32,
  cumulativeTotal: uint(256),
  inferencePaid: uint(256),
  evaluatorPaid: uint(256),
  trustRoot: bytes32,
  inputsHash: bytes32,
  paramsVersion: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
  slashes: fc.array(
    fc.record({ evaluator: address, reason: fc.constantFrom(Reason.NonReveal, Reason.LowTrust) as fc.Arbitrary<1 | 2> }),
    { maxLength: 6 },
  ),
});

const RUNS = { numRuns: runs(40) };

describe("Encoding (TypeScript helpers vs Solidity)", function () {
  describe("scoreCommitment", function () {
    it("equals PoQSettlement.scoreCommitment for any round, evaluator, scores and salt", async function () {
      const { sys } = await loadFixture(encodingFixture);
      const contract = addr(await sys.settlement.getAddress());
      await fc.assert(
        fc.asyncProperty(uint(64), address, validScores, bytes32, async (roundId, evaluator, scores, salt) => {
          const packed = packScores(scores);
          const ts = scoreCommitment({ chainId: sys.chainId, contract, roundId, evaluator, scores: packed, salt });
          expect(ts).to.equal(await sys.settlement.scoreCommitment(roundId, evaluator, packed, salt));
        }),
        RUNS,
      );
    });

    it("changes with every field of the domain", async function () {
      const { sys } = await loadFixture(encodingFixture);
      const base = {
        chainId: sys.chainId,
        contract: addr(await sys.settlement.getAddress()),
        roundId: 1n,
        evaluator: addr(sys.acc.evaluators[0].address),
        scores: packScores([1, 2]),
        salt: ethers.id("salt") as Hex,
      };
      const c = scoreCommitment(base);
      for (const change of [
        { chainId: 1n },
        { contract: addr(sys.acc.outsider.address) },
        { roundId: 2n },
        { evaluator: addr(sys.acc.evaluators[1].address) },
        { scores: packScores([1, 3]) },
        { salt: ethers.id("other") as Hex },
      ]) {
        expect(scoreCommitment({ ...base, ...change })).to.not.equal(c);
      }
    });
  });

  describe("settlementCommitment and hashSettlement", function () {
    it("hashSettlement equals PoQSettlement.hashSettlement for any settlement", async function () {
      const { sys } = await loadFixture(encodingFixture);
      await fc.assert(
        fc.asyncProperty(settlementArb, async (s) => {
          expect(hashSettlement(s)).to.equal(await sys.settlement.hashSettlement(s));
        }),
        RUNS,
      );
    });

    it("settlementCommitment equals PoQSettlement.settlementCommitment", async function () {
      const { sys } = await loadFixture(encodingFixture);
      const contract = addr(await sys.settlement.getAddress());
      await fc.assert(
        fc.asyncProperty(uint(64), address, bytes32, bytes32, async (roundId, relayer, settlementHash, salt) => {
          const ts = settlementCommitment({ chainId: sys.chainId, contract, roundId, relayer, settlementHash, salt });
          expect(ts).to.equal(await sys.settlement.settlementCommitment(roundId, relayer, settlementHash, salt));
        }),
        RUNS,
      );
    });

    it("hashSettlement does not depend on address checksum casing", function () {
      const s = buildSettlement({
        cumulative: new Map([["0x00000000000000000000000000000000000000aa", 1n]]),
        inferencePaid: 1n,
        evaluatorPaid: 0n,
        slashes: [{ evaluator: "0x00000000000000000000000000000000000000bb" as Address, reason: 1 }],
      }).settlement;
      const lower = { ...s, slashes: s.slashes.map((x) => ({ ...x, evaluator: x.evaluator.toLowerCase() as Address })) };
      expect(hashSettlement(lower)).to.equal(hashSettlement(s));
    });
  });

  describe("Merkle trees", function () {
    it("rewards leaves and proofs match the Solidity leaf and OpenZeppelin's verifier", async function () {
      const { harness } = await loadFixture(encodingFixture);
      await fc.assert(
        fc.asyncProperty(
          fc.uniqueArray(fc.record({ account: address, cumulativeAmount: uint(128) }), {
            minLength: 1,
            maxLength: 12,
            selector: (e) => e.account,
          }),
          async (entries) => {
            const tree = buildRewardsTree(entries);
            const e = entries[0];
            const p = rewardProof(tree, e.account)!;
            expect(p.cumulativeAmount).to.equal(e.cumulativeAmount);
            const leaf = await harness.accountLeaf(e.account, e.cumulativeAmount);
            expect(leaf).to.equal(tree.leafHash([e.account, e.cumulativeAmount]));
            expect(await harness.verify(p.proof, tree.root, leaf)).to.equal(true);
          },
        ),
        { numRuns: runs(20) },
      );
    });

    it("the rewards root is canonical: the order of the entries does not matter", function () {
      fc.assert(
        fc.property(
          fc.uniqueArray(fc.record({ account: address, cumulativeAmount: uint(96) }), {
            minLength: 1,
            maxLength: 16,
            selector: (e) => e.account,
          }),
          (entries) => {
            expect(buildRewardsTree([...entries].reverse()).root).to.equal(buildRewardsTree(entries).root);
          },
        ),
      );
    });

    it("tasksHash equals keccak256(abi.encodePacked(uint32[])) and rejects unsorted indexes", async function () {
      const { harness } = await loadFixture(encodingFixture);
      await fc.assert(
        fc.asyncProperty(ascending, async (xs) => {
          expect(tasksHash(xs)).to.equal(await harness.tasksHash(xs));
        }),
        RUNS,
      );
      expect(() => tasksHash([2, 1])).to.throw(InputError, /ascending/);
      expect(() => tasksHash([1, 1])).to.throw(InputError, /ascending/);
    });

    it("assignment and task leaves match the Solidity leaves", async function () {
      const { sys, harness } = await loadFixture(encodingFixture);
      const a = new Map<Address, number[]>([
        [addr(sys.acc.evaluators[0].address), [0, 2, 5]],
        [addr(sys.acc.evaluators[1].address), [1]],
        [addr(sys.acc.evaluators[2].address), []],
      ]);
      const tree = buildAssignmentTree(a);
      expect([...tree.entries()]).to.have.length(2); // evaluators without tasks are left out
      for (const [i, v] of tree.entries()) {
        const leaf = await harness.assignmentLeaf(v[0], v[1], v[2]);
        expect(leaf).to.equal(tree.leafHash(v));
        expect(await harness.verify(tree.getProof(i), tree.root, leaf)).to.equal(true);
      }
      const tasks = makeTasks(sys, 5);
      const taskTree = buildTaskTree(tasks);
      for (const [i, v] of taskTree.entries()) {
        const leaf = await harness.taskLeaf(v[0], v[1], v[2], v[3], v[4]);
        expect(leaf).to.equal(taskTree.leafHash(v));
        expect(await harness.verify(taskTree.getProof(i), taskTree.root, leaf)).to.equal(true);
      }
      expect(() => buildAssignmentTree(new Map([[addr(sys.acc.evaluators[0].address), []]]))).to.throw(InputError);
      expect(() => buildRewardsTree([])).to.throw(InputError);
      expect(() => buildTaskTree([])).to.throw(InputError);
    });

    it("an assignment proof is accepted by revealScores and a rewards proof by claim", async function () {
      const { sys } = await loadFixture(encodingFixture);
      const [e0, e1] = sys.acc.evaluators;
      const reg = await registerRound(sys, 6);
      const assignment = new Map<Address, number[]>([
        [addr(e0.address), [0, 1, 2, 3]],
        [addr(e1.address), [2, 4, 5]],
      ]);
      const tree = buildAssignmentTree(assignment);
      await acceptAssignment(sys, reg.roundId, tree.root);
      const ctx: RoundCtx = { ...reg, assignment, tree };
      const c0 = await commit(sys, ctx.roundId, e0, [1_000, 2_000, 3_000, 4_000]);
      const c1 = await commit(sys, ctx.roundId, e1, [7_000, 8_000, 9_000]);
      await fund(sys, ctx.roundId, 60n * TOKEN, 40n * TOKEN);
      await toReveal(sys, ctx.roundId);
      await expect(reveal(sys, ctx, e0, c0)).to.emit(sys.settlement, "ScoresRevealed");
      await expect(reveal(sys, ctx, e1, c1)).to.emit(sys.settlement, "ScoresRevealed");
      await toSettle(sys, ctx.roundId);
      const b = buildSettlement({
        cumulative: new Map([
          [sys.acc.nodes[0].address, 60n * TOKEN],
          [e0.address, 25n * TOKEN],
          [e1.address, 15n * TOKEN],
        ]),
        inferencePaid: 60n * TOKEN,
        evaluatorPaid: 40n * TOKEN,
      });
      await settleAndFinalize(sys, ctx.roundId, b.settlement);
      for (const [a, amount] of [
        [sys.acc.nodes[0], 60n * TOKEN],
        [e0, 25n * TOKEN],
        [e1, 15n * TOKEN],
      ] as const) {
        const p = rewardProof(b.tree, addr(a.address))!;
        await expect(sys.distributor.claim(a.address, p.cumulativeAmount, p.proof)).to.changeTokenBalance(
          sys.token,
          a,
          amount,
        );
      }
    });
  });

  describe("packScores / unpackScores", function () {
    it("round-trips any list of scores in [0, 10000]", function () {
      fc.assert(
        fc.property(validScores, (xs) => {
          const packed = packScores(xs);
          expect(packed.length).to.equal(2 + 4 * xs.length);
          expect(unpackScores(packed)).to.deep.equal(xs);
        }),
        { numRuns: runs(200) },
      );
    });

    it("packs big-endian uint16s", function () {
      expect(packScores([0, 1, 256, 10_000])).to.equal("0x0000000101002710");
    });

    it("agrees with the contract on which packed bytes are valid, and on the first bad index", async function () {
      const { scores } = await loadFixture(encodingFixture);
      // Raw uint16s, mostly valid, sometimes above 10000, across several 32-byte words.
      const raw = fc.array(
        fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 0, max: MAX_SCORE }) }, fc.integer({ min: MAX_SCORE + 1, max: 65_535 })),
        { minLength: 1, maxLength: 70 },
      );
      await fc.assert(
        fc.asyncProperty(raw, async (xs) => {
          const hex = ("0x" + xs.map((v) => v.toString(16).padStart(4, "0")).join("")) as Hex;
          const bad = xs.findIndex((v) => v > MAX_SCORE);
          if (bad < 0) {
            expect(unpackScores(hex)).to.deep.equal(xs);
            expect(await scores.validate(hex)).to.equal(BigInt(xs.length));
          } else {
            expect(() => unpackScores(hex)).to.throw(InputError, new RegExp(`index ${bad}\\b`));
            await expect(scores.validate(hex)).to.be.revertedWithCustomError(scores, "ScoreOutOfRange").withArgs(bad, xs[bad]);
          }
        }),
        { numRuns: runs(60) },
      );
    });

    it("rejects empty input, odd lengths and out-of-range values, like the contract", async function () {
      const { scores } = await loadFixture(encodingFixture);
      expect(() => packScores([])).to.throw(InputError, /no scores/);
      for (const bad of [10_001, -1, 1.5, Number.NaN]) {
        expect(() => packScores([5, bad])).to.throw(InputError, /index 1/);
      }
      for (const [hex, len] of [
        ["0x", 0],
        ["0x00", 1],
        ["0x001388", 3],
      ] as const) {
        expect(() => unpackScores(hex)).to.throw(InputError, /malformed/);
        await expect(scores.validate(hex)).to.be.revertedWithCustomError(scores, "MalformedScores").withArgs(len);
      }
      expect(() => unpackScores("0x2711")).to.throw(InputError, /above 10000/);
      await expect(scores.validate("0x2711")).to.be.revertedWithCustomError(scores, "ScoreOutOfRange").withArgs(0, 10_001);
    });

    it("toOnchainScore scales quality by 1000, rounds half up and clamps", function () {
      expect(toOnchainScore(0)).to.equal(0);
      expect(toOnchainScore(7.2345)).to.equal(7_235);
      expect(toOnchainScore(7.2344)).to.equal(7_234);
      expect(toOnchainScore(10)).to.equal(10_000);
      expect(toOnchainScore(12)).to.equal(10_000);
      expect(toOnchainScore(-1)).to.equal(0);
      expect(() => toOnchainScore(Number.POSITIVE_INFINITY)).to.throw(InputError);
    });
  });

  describe("deriveSalt", function () {
    it("is deterministic, 32 bytes, and differs by key, contract, round, purpose and attempt", function () {
      const d = {
        chainId: 31337n,
        contract: addr("0x5FbDB2315678afecb367f032d93F642f64180aa3"),
        roundId: 1n,
        purpose: "scores" as const,
      };
      const key = ethers.id("key") as Hex;
      const s = deriveSalt(key, d);
      expect(s).to.match(/^0x[0-9a-f]{64}$/);
      expect(deriveSalt(key, d)).to.equal(s);
      expect(deriveSalt(key, { ...d, contract: d.contract.toLowerCase() as Address })).to.equal(s);
      const others = [
        deriveSalt(ethers.id("other") as Hex, d),
        deriveSalt(key, { ...d, chainId: 1n }),
        deriveSalt(key, { ...d, contract: addr("0x0000000000000000000000000000000000000001") }),
        deriveSalt(key, { ...d, roundId: 2n }),
        deriveSalt(key, { ...d, purpose: "settlement" }),
        deriveSalt(key, { ...d, attempt: 1 }),
      ];
      expect(new Set([s, ...others]).size).to.equal(others.length + 1);
    });
  });
});
