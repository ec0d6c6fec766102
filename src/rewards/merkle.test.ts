import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import fc from "fast-check";
import { runs } from "../../test/helpers/fastcheck";
import { type Address, getAddress, keccak256, stringToBytes } from "viem";
import { describe, expect, test } from "vitest";
import { allProofs, standardAddressAmountTree, trustTree } from "./merkle";

const addr = (i: number): Address => getAddress(`0x${keccak256(stringToBytes(`acct${i}`)).slice(26)}`);

describe("standardAddressAmountTree", () => {
  test("property: same tree, root and proofs as StandardMerkleTree.of", () => {
    fc.assert(
      fc.property(fc.array(fc.bigInt({ min: 0n, max: 2n ** 256n - 1n }), { minLength: 1, maxLength: 25 }), (amounts) => {
        const values = amounts.map((a, i) => [addr(i), a] as [Address, bigint]);
        const fast = standardAddressAmountTree(values);
        const lib = StandardMerkleTree.of(values, ["address", "uint256"]);
        expect(fast.root).toBe(lib.root);
        expect(fast.dump()).toEqual(lib.dump());
        const proofs = allProofs(fast);
        values.forEach((_, i) => expect(proofs[i]).toEqual(lib.getProof(i)));
      }),
      { numRuns: runs(25) },
    );
  });

  test("behavior: proofs verify against the root with the library's verifier", () => {
    const values = [0, 1, 2, 3, 4].map((i) => [addr(i), BigInt(i * 1000)] as [Address, bigint]);
    const tree = standardAddressAmountTree(values);
    const proofs = allProofs(tree);
    values.forEach((v, i) => expect(StandardMerkleTree.verify(tree.root, ["address", "uint256"], v, proofs[i])).toBe(true));
  });

  test("behavior: an empty trust list has no tree", () => {
    expect(trustTree([])).toBeNull();
  });
});
