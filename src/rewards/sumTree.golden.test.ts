import path from "node:path";
import { getAddress, keccak256, stringToBytes, type Address } from "viem";
import { describe, test } from "vitest";
import { expectGolden } from "../../test/helpers/golden";
import { buildSumTree, sumTreeClaims, sumTreeComputeRoot } from "./sumTree";

/**
 * Golden vectors of the rewards sum tree (the builder the contracts test and the relayers publish): root, total and
 * every claim's proof for fixed cumulative amounts, one of them zero and one above 2^128. Committed expected bytes:
 * golden/sum-tree.json.
 */
const addr = (label: string): Address => getAddress(`0x${keccak256(stringToBytes(`golden/sum-tree/${label}`)).slice(26)}`);

describe("golden vectors: rewards sum tree", () => {
  test("behavior: root, total and proofs are the committed bytes", () => {
    const entries = [
      { account: addr("a"), amount: 1n },
      { account: addr("b"), amount: 10n ** 18n },
      { account: addr("c"), amount: 0n },
      { account: addr("d"), amount: (1n << 130n) + 12_345n },
      { account: addr("e"), amount: 999_999_999_999_999_999n },
    ];
    const tree = buildSumTree(entries);
    const claims = sumTreeClaims(tree);
    for (const c of claims) {
      const back = sumTreeComputeRoot(c.account, c.cumulativeAmount, c.index, c.proof);
      if (back.root !== tree.root || back.total !== tree.total) throw new Error(`proof of ${c.account} does not rebuild the root`);
    }
    expectGolden(path.join(__dirname, "golden", "sum-tree.json"), { root: tree.root, total: tree.total, depth: tree.depth, claims });
  });
});
