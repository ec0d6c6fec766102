import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { getAddress, keccak256, stringToBytes, type Address } from "viem";
import { runs } from "../../test/helpers/fastcheck";
import { buildSumTree, sumTreeClaims, sumTreeComputeRoot, sumTreeIndexOf, sumTreeProof, ZERO_HASH } from "./sumTree";

const addr = (i: number): Address => getAddress(`0x${keccak256(stringToBytes(`acct${i}`)).slice(26)}`);

describe("buildSumTree", () => {
  test("property: every leaf's proof computes the root and its sum, which is the sum of all amounts", () => {
    fc.assert(
      fc.property(fc.array(fc.bigInt({ min: 0n, max: 2n ** 200n }), { minLength: 1, maxLength: 40 }), (amounts) => {
        const tree = buildSumTree(amounts.map((amount, i) => ({ account: addr(i), amount })));
        expect(tree.total).toBe(amounts.reduce((s, a) => s + a, 0n));
        expect(tree.depth).toBe(amounts.length === 1 ? 0 : Math.ceil(Math.log2(amounts.length)));
        for (const c of sumTreeClaims(tree)) {
          expect(c.proof).toHaveLength(2 * tree.depth);
          expect(sumTreeComputeRoot(c.account, c.cumulativeAmount, c.index, c.proof)).toEqual({ root: tree.root, total: tree.total });
        }
      }),
      { numRuns: runs(30) },
    );
  });

  test("behavior: leaves are sorted by address and found by address; the order of entries does not matter", () => {
    const entries = [5, 1, 9, 3].map((i) => ({ account: addr(i), amount: BigInt(i) }));
    const a = buildSumTree(entries);
    const b = buildSumTree([...entries].reverse());
    expect(a.root).toBe(b.root);
    const sorted = a.leaves.map((l) => l.account.toLowerCase());
    expect(sorted).toEqual([...sorted].sort());
    expect(sumTreeIndexOf(a, addr(9))).toBe(a.leaves.findIndex((l) => l.account === addr(9)));
    expect(sumTreeIndexOf(a, addr(7))).toBe(-1);
  });

  test("behavior: a claim for more than the leaf, or at another index, computes another root", () => {
    const tree = buildSumTree([1, 2, 3].map((i) => ({ account: addr(i), amount: BigInt(i * 10) })));
    const i = sumTreeIndexOf(tree, addr(2));
    const proof = sumTreeProof(tree, i);
    expect(sumTreeComputeRoot(addr(2), 21n, i, proof).root).not.toBe(tree.root);
    expect(sumTreeComputeRoot(addr(2), 20n, i ^ 1, proof).root).not.toBe(tree.root);
  });

  test("behavior: an empty tree has the zero root and sum; bad entries are refused", () => {
    expect(buildSumTree([])).toMatchObject({ root: ZERO_HASH, total: 0n });
    expect(() => buildSumTree([{ account: addr(1), amount: 1n }, { account: addr(1), amount: 2n }])).toThrow(/listed twice/);
    expect(() => buildSumTree([{ account: addr(1), amount: -1n }])).toThrow(/uint256/);
    expect(() => buildSumTree([{ account: "0x12", amount: 1n }])).toThrow(/invalid account/);
    expect(() => sumTreeProof(buildSumTree([{ account: addr(1), amount: 1n }]), 1)).toThrow(/no leaf/);
  });
});
