import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import fc from "fast-check";
import { runs } from "../../test/helpers/fastcheck";
import { type Address, getAddress, keccak256, stringToBytes } from "viem";
import { describe, expect, test } from "vitest";
import { allProofs, standardAddressAmountTree, standardStaticTree, trustTree, type StaticLeafType } from "./merkle";

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

describe("standardStaticTree", () => {
  const word = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => `0x${Buffer.from(b).toString("hex")}`);
  const address = fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => getAddress(`0x${Buffer.from(b).toString("hex")}`));
  const big = fc.bigInt({ min: 0n, max: 2n ** 256n - 1n });
  // Numbers, bigints, and decimal or 0x-hex strings: the library's encoder reads all of them (and so must this one).
  const uint = fc.oneof(fc.nat(), big, big.map((n) => n.toString()), big.map((n) => `0x${n.toString(16)}`));
  // The leaf shapes the protocol uses: tasks, assignments, gold pool items and gold items.
  const shapes: StaticLeafType[][] = [
    ["uint256", "address", "bytes32", "bytes32", "uint256"],
    ["address", "uint256", "bytes32"],
    ["uint256", "bytes32", "uint256"],
    ["uint256", "uint256", "bytes32", "uint256"],
  ];
  const arb = { uint256: uint, address, bytes32: word } as const;

  test("property: same tree, root, leaf lookup and proofs as StandardMerkleTree.of for every leaf shape", () => {
    for (const types of shapes) {
      fc.assert(
        fc.property(fc.array(fc.tuple(...types.map((t) => arb[t] as fc.Arbitrary<number | bigint | string>)), { minLength: 1, maxLength: 20 }), (values) => {
          const fast = standardStaticTree(values, types);
          const lib = StandardMerkleTree.of(values, types);
          expect(fast.root).toBe(lib.root);
          expect(fast.dump()).toEqual(lib.dump());
          values.forEach((v, i) => {
            expect(fast.getProof(i)).toEqual(lib.getProof(i)); // getProof re-hashes the leaf with the library's encoder
            expect(fast.leafLookup(v)).toBe(lib.leafLookup(v));
          });
        }),
        { numRuns: runs(15) },
      );
    }
  });

  test("error: refuses what the library's encoder refuses", () => {
    const types: StaticLeafType[] = ["uint256", "address", "bytes32"];
    const ok = [1, addr(1), `0x${"ab".repeat(32)}`];
    expect(() => standardStaticTree([ok], types)).not.toThrow();
    expect(() => standardStaticTree([[-1, ok[1], ok[2]]], types)).toThrow(/does not fit in uint256/);
    expect(() => standardStaticTree([[2n ** 256n, ok[1], ok[2]]], types)).toThrow(/does not fit in uint256/);
    expect(() => standardStaticTree([[1.5, ok[1], ok[2]]], types)).toThrow(/not an integer/);
    expect(() => standardStaticTree([["7 ", ok[1], ok[2]]], types)).toThrow(/uint256 expected/);
    expect(() => standardStaticTree([["-1", ok[1], ok[2]]], types)).toThrow(/uint256 expected/);
    expect(standardStaticTree([["0x07", ok[1], ok[2]]], types).root).toBe(standardStaticTree([[7, ok[1], ok[2]]], types).root);
    expect(() => standardStaticTree([[1, "0x1234", ok[2]]], types)).toThrow(/an address expected/);
    expect(() => standardStaticTree([[1, ok[1], "0xab"]], types)).toThrow(/a bytes32 expected/);
    expect(() => standardStaticTree([[1, ok[1]]], types)).toThrow(/3 values expected/);
    expect(() => standardStaticTree([], types)).toThrow(/at least one leaf/);
  });
});
