import path from "node:path";
import { getAddress, keccak256, stringToBytes, type Address, type Hex } from "viem";
import { describe, test } from "vitest";
import { expectGolden } from "../../test/helpers/golden";
import {
  buildAssignmentTree,
  buildGoldPoolTree,
  buildGoldTree,
  buildTaskTree,
  deriveSalt,
  goldCommitment,
  goldItemLeaf,
  hashSettlement,
  packScores,
  revealDigest,
  scoreCommitment,
  settlementCommitment,
  tasksHash,
  toOnchainScore,
  UNAVAILABLE,
  type Settlement,
} from "./encoding";

/**
 * Golden vectors of the encodings shared with the contracts: packed scores, commitments, the settlement hash, the
 * EIP-712 reveal digest, derived salts, task, assignment and gold trees. Fixed inputs, committed expected bytes
 * (golden/encoding.json); the contract tests check the same encodings on chain (test/Encoding.test.ts).
 */
const h = (label: string): Hex => keccak256(stringToBytes(`golden/encoding/${label}`));
const addr = (label: string): Address => getAddress(`0x${h(label).slice(26)}`);
const domain = { chainId: 31337n, contract: addr("settlement"), roundId: 7n };

describe("golden vectors: encodings", () => {
  test("behavior: the encodings give the committed bytes for fixed inputs", () => {
    const scores = packScores([0, 1, 4999, 5000, 10_000, UNAVAILABLE, toOnchainScore(7.2345), toOnchainScore(0.0004)]);
    const settlement: Settlement = {
      rewardsRoot: h("rewards"),
      cumulativeTotal: 123_456_789_000_000_000_000n,
      inferencePaid: 10n ** 21n,
      evaluatorPaid: 4n * 10n ** 20n + 3n,
      trustRoot: h("trust"),
      inputsHash: h("inputs"),
      goldRoot: h("gold"),
      goldSalt: h("gold-salt"),
      goldCount: 3,
      paramsVersion: 2,
      flags: 1,
      lowTrustSlashes: [addr("slashed-a"), addr("slashed-b")],
    };
    const settlementHash = hashSettlement(settlement);
    const tasks = Array.from({ length: 5 }, (_, i) => ({ index: i, node: addr(`node-${i % 2}`), modelId: h(`model-${i % 3}`), contentHash: h(`output-${i}`), costUnits: BigInt(100 + 37 * i) }));
    const byEvaluator = new Map<Address, number[]>([
      [addr("ev-a"), [0, 2, 4]],
      [addr("ev-b"), [1, 2]],
      [addr("ev-c"), [3]],
    ]);
    const gold = [
      { taskIndex: 1, poolIndex: 4, contentHash: h("gold-0"), quality: 8_500 },
      { taskIndex: 3, poolIndex: 9, contentHash: h("gold-1"), quality: 1_200 },
    ];
    const pool = Array.from({ length: 4 }, (_, i) => ({ poolIndex: i, contentHash: h(`pool-${i}`), quality: 1_000 * (i + 2) }));
    expectGolden(path.join(__dirname, "golden", "encoding.json"), {
      packScores: scores,
      scoreCommitment: scoreCommitment({ ...domain, evaluator: addr("ev-a"), scores, salt: h("salt") }),
      settlementHash,
      settlementCommitment: settlementCommitment({ ...domain, attempt: 2, relayer: addr("relayer"), settlementHash, salt: h("salt") }),
      revealDigest: revealDigest({ ...domain, scores, salt: h("salt") }),
      deriveSalt: {
        scores: deriveSalt(h("secret"), { ...domain, purpose: "scores" }),
        settlementAttempt1: deriveSalt(h("secret"), { ...domain, purpose: "settlement", attempt: 1 }),
      },
      tasksHash: tasksHash([0, 2, 4]),
      taskTreeRoot: buildTaskTree(tasks).root,
      assignmentTreeRoot: buildAssignmentTree(byEvaluator).root,
      goldItemLeaf: goldItemLeaf(gold[0]),
      goldTreeRoot: buildGoldTree(gold).root,
      goldCommitment: goldCommitment(buildGoldTree(gold).root as Hex, gold.length, h("gold-salt")),
      goldPoolRoot: buildGoldPoolTree(pool).root,
    });
  });
});
