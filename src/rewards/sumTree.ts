import { type Address, type Hex, bytesToHex, getAddress, hexToBytes, keccak256 } from "viem";
import { InputError } from "../errors";

/**
 * The cumulative rewards sum tree, as `contracts/libraries/SumTreeLib.sol` verifies it (the contract tests check this
 * builder against it):
 *
 * - leaves `(address account, uint256 cumulativeAmount)`, sorted by account (ascending lowercase hex), at positions
 *   0..n-1 of a complete binary tree of depth ceil(log2 n) (depth 0 for one leaf);
 * - a leaf's hash is `keccak256(bytes.concat(keccak256(abi.encode(account, amount))))` and its sum its amount; the
 *   positions n..2^depth-1 hold the empty node (hash 0, sum 0);
 * - an inner node is `(keccak256(abi.encode(leftHash, leftSum, rightHash, rightSum)), leftSum + rightSum)`;
 * - a proof lists, from the leaf up, the sibling's hash then its sum (as a bytes32) at each level.
 *
 * The root binds its sum: all leaves provable under a root add up to at most that sum. An empty tree has root hash
 * zero and sum zero.
 */
export type SumTree = {
  /** Root hash (zero for an empty tree). */
  root: Hex;
  /** Root sum: every amount added up. */
  total: bigint;
  depth: number;
  /** Leaves in tree order. */
  leaves: { account: Address; amount: bigint }[];
  /** levels[0] are the (padded) leaves, levels[depth] the root; hashes as bytes, sums as bigints. */
  levels: { hash: Uint8Array; sum: bigint }[][];
};

export const ZERO_HASH: Hex = `0x${"00".repeat(32)}`;
const EMPTY = { hash: new Uint8Array(32), sum: 0n };
const UINT256_MAX = (1n << 256n) - 1n;

/** Writes `v` (< 2^256) big-endian into the 32 bytes at `offset` (left as zeros above its highest byte). */
function writeUint(buf: Uint8Array, offset: number, v: bigint): void {
  if (v === 0n) return;
  const hex = v.toString(16);
  let j = offset + 31;
  for (let k = hex.length; k > 0; k -= 2, j--) buf[j] = parseInt(hex.slice(Math.max(0, k - 2), k), 16);
}

/** The leaf hash `keccak256(bytes.concat(keccak256(abi.encode(account, amount))))`. */
export function sumTreeLeafHash(account: Address, amount: bigint): Uint8Array {
  const enc = new Uint8Array(64);
  enc.set(hexToBytes(account), 12);
  writeUint(enc, 32, amount);
  return keccak256(keccak256(enc, "bytes"), "bytes");
}

function innerNode(l: { hash: Uint8Array; sum: bigint }, r: { hash: Uint8Array; sum: bigint }): { hash: Uint8Array; sum: bigint } {
  const enc = new Uint8Array(128);
  enc.set(l.hash, 0);
  writeUint(enc, 32, l.sum);
  enc.set(r.hash, 64);
  writeUint(enc, 96, r.sum);
  const sum = l.sum + r.sum;
  if (sum > UINT256_MAX) throw new InputError("sum tree total overflows uint256");
  return { hash: keccak256(enc, "bytes"), sum };
}

/** Builds the tree over `(account, amount)` entries (any order; accounts distinct, amounts non-negative). */
export function buildSumTree(entries: readonly { account: Address | string; amount: bigint }[]): SumTree {
  const keyed = entries
    .map((e) => {
      let account: Address;
      try {
        account = getAddress(e.account);
      } catch {
        throw new InputError(`sum tree: invalid account address ${String(e.account)}`);
      }
      if (typeof e.amount !== "bigint" || e.amount < 0n || e.amount > UINT256_MAX) {
        throw new InputError(`sum tree: amount of ${account} must be a uint256 bigint`);
      }
      return { account, amount: e.amount, key: account.toLowerCase() };
    })
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const leaves = keyed.map(({ account, amount }) => ({ account, amount }));
  for (let i = 1; i < leaves.length; i++) {
    if (leaves[i].account === leaves[i - 1].account) throw new InputError(`sum tree: account ${leaves[i].account} listed twice`);
  }
  if (leaves.length === 0) return { root: ZERO_HASH, total: 0n, depth: 0, leaves, levels: [] };
  let depth = 0;
  while (1 << depth < leaves.length) depth++;
  const width = 1 << depth;
  const base = new Array<{ hash: Uint8Array; sum: bigint }>(width);
  for (let i = 0; i < width; i++) base[i] = i < leaves.length ? { hash: sumTreeLeafHash(leaves[i].account, leaves[i].amount), sum: leaves[i].amount } : EMPTY;
  const levels = [base];
  // The padding is a run of empty subtrees: one node per level stands for all of them.
  let empty: { hash: Uint8Array; sum: bigint } = EMPTY;
  for (let d = 0; d < depth; d++) {
    const below = levels[d];
    const above = new Array<{ hash: Uint8Array; sum: bigint }>(below.length / 2);
    const emptyAbove = innerNode(empty, empty);
    for (let i = 0; i < above.length; i++) above[i] = below[2 * i] === empty && below[2 * i + 1] === empty ? emptyAbove : innerNode(below[2 * i], below[2 * i + 1]);
    levels.push(above);
    empty = emptyAbove;
  }
  const top = levels[depth][0];
  return { root: bytesToHex(top.hash), total: top.sum, depth, leaves, levels };
}

/** The proof of the leaf at `index`: sibling hash, sibling sum (as bytes32), from the leaf up. */
export function sumTreeProof(tree: SumTree, index: number): Hex[] {
  if (!Number.isInteger(index) || index < 0 || index >= tree.leaves.length) throw new InputError(`sum tree: no leaf at index ${index}`);
  const proof: Hex[] = [];
  let i = index;
  for (let d = 0; d < tree.depth; d++) {
    const sibling = tree.levels[d][i ^ 1];
    proof.push(bytesToHex(sibling.hash), `0x${sibling.sum.toString(16).padStart(64, "0")}`);
    i >>= 1;
  }
  return proof;
}

/** The position of `account`'s leaf, or -1. */
export function sumTreeIndexOf(tree: SumTree, account: Address | string): number {
  const want = account.toLowerCase();
  let lo = 0;
  let hi = tree.leaves.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const got = tree.leaves[mid].account.toLowerCase();
    if (got === want) return mid;
    if (got < want) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/** The root hash and sum a leaf and its proof compute, as `SumTreeLib.computeRoot` does. */
export function sumTreeComputeRoot(account: Address, amount: bigint, index: number, proof: readonly Hex[]): { root: Hex; total: bigint } {
  if (proof.length % 2 !== 0) throw new InputError(`sum tree proof of odd length ${proof.length}`);
  if (index < 0 || index >= 2 ** (proof.length / 2)) throw new InputError(`sum tree index ${index} does not fit the proof's depth`);
  let node = { hash: sumTreeLeafHash(getAddress(account), amount), sum: amount };
  let i = index;
  for (let k = 0; k < proof.length; k += 2) {
    const sibling = { hash: hexToBytes(proof[k]), sum: BigInt(proof[k + 1]) };
    node = i % 2 === 0 ? innerNode(node, sibling) : innerNode(sibling, node);
    i = Math.floor(i / 2);
  }
  return { root: bytesToHex(node.hash), total: node.sum };
}

/**
 * Every leaf with its index and proof, in tree order: what a settlement payload publishes. The same as
 * `sumTreeProof` for each leaf, with each node's hex computed once (a node is in the proofs of all leaves below its
 * sibling).
 */
export function sumTreeClaims(tree: SumTree): { account: Address; cumulativeAmount: bigint; index: number; proof: Hex[] }[] {
  const hex = tree.levels.map((level) => new Array<[Hex, Hex] | undefined>(level.length));
  const nodeHex = (d: number, i: number): [Hex, Hex] => {
    let h = hex[d][i];
    if (!h) {
      const n = tree.levels[d][i];
      h = hex[d][i] = [bytesToHex(n.hash), `0x${n.sum.toString(16).padStart(64, "0")}`];
    }
    return h;
  };
  return tree.leaves.map((l, index) => {
    const proof: Hex[] = [];
    for (let d = 0, i = index; d < tree.depth; d++, i >>= 1) proof.push(...nodeHex(d, i ^ 1));
    return { account: l.account, cumulativeAmount: l.amount, index, proof };
  });
}
