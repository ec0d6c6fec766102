import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { type Address, type Hex, bytesToHex, hexToBytes, keccak256 } from "viem";

export const ZERO_ROOT: Hex = `0x${"00".repeat(32)}`;
const LEAF_ENCODING: StaticLeafType[] = ["address", "uint256"];

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < 32; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}

/** A value of a static ABI type: `uint256` (a number, bigint or numeric string), `address` or `bytes32` (hex). */
export type StaticLeafValue = number | bigint | string;
export type StaticLeafType = "uint256" | "address" | "bytes32";

/**
 * `abi.encode` of one leaf whose types are all static (`uint256`, `address`, `bytes32`): one 32-byte word each. Refuses
 * what the library's encoder refuses (a negative or oversized integer, a malformed address or word).
 */
export function encodeStaticLeaf(types: readonly StaticLeafType[], value: readonly StaticLeafValue[]): Uint8Array {
  if (value.length !== types.length) throw new RangeError(`a leaf of ${types.length} values expected, got ${value.length}`);
  const enc = new Uint8Array(32 * types.length);
  types.forEach((type, k) => {
    const v = value[k];
    const at = 32 * k;
    if (type === "uint256") {
      // As the library's encoder reads them: a safe integer, a bigint, or a decimal or 0x-hex string ("7" and "0x07"
      // encode alike, as on chain: callers that need one canonical form check it themselves).
      if (typeof v === "number" && !Number.isSafeInteger(v)) throw new RangeError(`${v} is not an integer`);
      if (typeof v === "string" && !/^(0x[0-9a-fA-F]+|[0-9]+)$/.test(v)) throw new RangeError(`uint256 expected, got ${JSON.stringify(v.slice(0, 80))}`);
      if (typeof v !== "number" && typeof v !== "bigint" && typeof v !== "string") throw new RangeError(`uint256 expected, got ${typeof v}`);
      let n = BigInt(v);
      if (n < 0n || n >= 1n << 256n) throw new RangeError(`${n} does not fit in uint256`);
      for (let i = at + 31; i >= at && n > 0n; i--) {
        enc[i] = Number(n & 0xffn);
        n >>= 8n;
      }
    } else if (type === "address") {
      if (typeof v !== "string" || !/^0x[0-9a-fA-F]{40}$/.test(v)) throw new RangeError(`an address expected, got ${String(v)}`);
      enc.set(hexToBytes(v as Hex), at + 12);
    } else {
      if (typeof v !== "string" || !/^0x[0-9a-fA-F]{64}$/.test(v)) throw new RangeError(`a bytes32 expected, got ${String(v)}`);
      enc.set(hexToBytes(v as Hex), at);
    }
  });
  return enc;
}

/** OpenZeppelin standard leaf: keccak256(keccak256(abi.encode(...))). */
export function standardLeafBytes(types: readonly StaticLeafType[], value: readonly StaticLeafValue[]): Uint8Array {
  return keccak256(keccak256(encodeStaticLeaf(types, value), "bytes"), "bytes");
}

/** OpenZeppelin standard leaf: keccak256(keccak256(abi.encode(address, uint256))). */
export function addressAmountLeaf(account: Address, amount: bigint): Uint8Array {
  return standardLeafBytes(LEAF_ENCODING, [account, amount]);
}

/**
 * Builds the same tree as `StandardMerkleTree.of(values, types)` (sorted leaves, sorted-pair node hashing, identical
 * layout, root and proofs) for leaves of static types, with a direct ABI encoding: the library's encoder spends
 * milliseconds a leaf (it builds and discards parser errors while it matches each type), which made every relayer and
 * evaluator spend seconds on each 1,000-task batch. Tests check the equality against the library.
 */
export function standardStaticTree<T extends StaticLeafValue[]>(values: readonly T[], types: readonly StaticLeafType[]): StandardMerkleTree<T> {
  if (values.length === 0) throw new RangeError("a Merkle tree needs at least one leaf");
  const hashed = values.map((v, valueIndex) => ({ valueIndex, hash: standardLeafBytes(types, v) }));
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
  const indexed = values.map((value) => ({ value: [...value] as T, treeIndex: 0 }));
  hashed.forEach((h, leafIndex) => {
    indexed[h.valueIndex].treeIndex = tree.length - leafIndex - 1;
  });
  // The library's constructor is protected; it only stores the arrays and indexes the leaf hashes.
  const Ctor = StandardMerkleTree as unknown as new (tree: string[], values: { value: T; treeIndex: number }[], leafEncoding: string[]) => StandardMerkleTree<T>;
  return new Ctor(tree, indexed, [...types]);
}

/** `StandardMerkleTree.of(values, ["address", "uint256"])`, built as `standardStaticTree` builds it. */
export function standardAddressAmountTree(values: readonly [Address, bigint][]): StandardMerkleTree<[string, bigint]> {
  return standardStaticTree<[string, bigint]>(
    values.map((v) => [v[0], v[1]]),
    LEAF_ENCODING,
  );
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
