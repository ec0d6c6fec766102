import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { type Address, type Hex, bytesToHex, hexToBytes, keccak256 } from "viem";

export const ZERO_ROOT: Hex = `0x${"00".repeat(32)}`;
const LEAF_ENCODING = ["address", "uint256"];

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < 32; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}

/** OpenZeppelin standard leaf: keccak256(keccak256(abi.encode(address, uint256))). */
export function addressAmountLeaf(account: Address, amount: bigint): Uint8Array {
  if (amount < 0n || amount >= 1n << 256n) throw new RangeError(`amount ${amount} does not fit in uint256`);
  const enc = new Uint8Array(64);
  enc.set(hexToBytes(account), 12);
  let v = amount;
  for (let i = 63; i >= 32 && v > 0n; i--) {
    enc[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return keccak256(keccak256(enc, "bytes"), "bytes");
}

/**
 * Builds the same tree as `StandardMerkleTree.of(values, ["address", "uint256"])` (sorted leaves, sorted-pair
 * node hashing, identical layout, root and proofs) with a direct ABI encoding of the leaves, which is several times
 * faster for 10,000 accounts. A test checks the equality against the library.
 */
export function standardAddressAmountTree(values: readonly [Address, bigint][]): StandardMerkleTree<[string, bigint]> {
  if (values.length === 0) throw new RangeError("a Merkle tree needs at least one leaf");
  const hashed = values.map((v, valueIndex) => ({ valueIndex, hash: addressAmountLeaf(v[0], v[1]) }));
  hashed.sort((a, b) => compareBytes(a.hash, b.hash));
  const n = hashed.length;
  const nodes: Uint8Array[] = new Array(2 * n - 1);
  for (let i = 0; i < n; i++) nodes[nodes.length - 1 - i] = hashed[i].hash;
  const pair = new Uint8Array(64);
  for (let i = nodes.length - 1 - n; i >= 0; i--) {
    const a = nodes[2 * i + 1];
    const b = nodes[2 * i + 2];
    const [x, y] = compareBytes(a, b) <= 0 ? [a, b] : [b, a];
    pair.set(x, 0);
    pair.set(y, 32);
    nodes[i] = keccak256(pair, "bytes");
  }
  const tree = nodes.map((b) => bytesToHex(b));
  const indexed = values.map((value) => ({ value: [value[0], value[1]] as [string, bigint], treeIndex: 0 }));
  hashed.forEach((h, leafIndex) => {
    indexed[h.valueIndex].treeIndex = tree.length - leafIndex - 1;
  });
  // The library's constructor is protected; it only stores the arrays and indexes the leaf hashes.
  const Ctor = StandardMerkleTree as unknown as new (
    tree: string[],
    values: { value: [string, bigint]; treeIndex: number }[],
    leafEncoding: string[],
  ) => StandardMerkleTree<[string, bigint]>;
  return new Ctor(tree, indexed, LEAF_ENCODING);
}

/**
 * Proofs of every leaf, by value index, read straight from the tree layout (StandardMerkleTree.getProof re-hashes
 * and re-verifies each leaf, which is slow for thousands of claims).
 */
export function allProofs(tree: StandardMerkleTree<[string, bigint]>): Hex[][] {
  const { tree: nodes, values } = tree.dump();
  return values.map(({ treeIndex }) => {
    const proof: Hex[] = [];
    let i = treeIndex;
    while (i > 0) {
      proof.push(nodes[i % 2 === 1 ? i + 1 : i - 1] as Hex);
      i = Math.floor((i - 1) / 2);
    }
    return proof;
  });
}

/** Trust tree: leaves [evaluator, trustPpm] with encoding ["address", "uint256"]. Null for no evaluators. */
export function trustTree(trust: readonly { evaluator: Address; trustPpm: number }[]): StandardMerkleTree<[string, bigint]> | null {
  if (trust.length === 0) return null;
  return standardAddressAmountTree(trust.map((t) => [t.evaluator, BigInt(t.trustPpm)]));
}
