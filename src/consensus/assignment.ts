import { type Address, type Hex, getAddress, hexToBytes, isHex, keccak256 } from "viem";
import { InputError, shown } from "../errors";

export type AssignEvaluatorsParameters = {
  /** Round seed (bytes32), recorded on chain at round open. */
  seed: Hex;
  taskCount: number;
  /** Evaluators per task. */
  k: number;
  evaluators: { address: Address; stake: bigint }[];
};

export type AssignEvaluatorsReturnType = {
  /**
   * k checksummed addresses per task, in draw order. Draws are with replacement: an address may appear more than
   * once; it scores the task once and its score weighs as many seats as it was drawn.
   */
  byTask: Address[][];
  /** Distinct task indexes per assigned evaluator, ascending (the order of its reveal). Evaluators with no task are absent. */
  byEvaluator: Map<Address, number[]>;
};

/** Seats per distinct evaluator of one task's draws (in first-draw order). */
export function seatsOfDraws(draws: readonly Address[]): Map<Address, number> {
  const m = new Map<Address, number>();
  for (const a of draws) m.set(a, (m.get(a) ?? 0) + 1);
  return m;
}

/** Fenwick tree over bigint stakes: prefix sums, point updates and "first index whose prefix exceeds r". */
class StakeTree {
  private readonly tree: bigint[];
  private readonly top: number;
  constructor(private readonly n: number) {
    this.tree = new Array<bigint>(n + 1).fill(0n);
    let top = 1;
    while (top * 2 <= n) top *= 2;
    this.top = top;
  }
  add(i: number, delta: bigint): void {
    for (let x = i + 1; x <= this.n; x += x & -x) this.tree[x] += delta;
  }
  /** Smallest 0-based index i with stake[0] + ... + stake[i] > r (0 <= r < total). */
  find(r: bigint): number {
    let pos = 0;
    let rem = r;
    for (let step = this.top; step > 0; step >>= 1) {
      const next = pos + step;
      if (next <= this.n && this.tree[next] <= rem) {
        pos = next;
        rem -= this.tree[next];
      }
    }
    return pos;
  }
}

function uint256Bytes(v: number, out: Uint8Array, offset: number): void {
  let x = v;
  for (let i = 31; i >= 24 && x > 0; i--) {
    out[offset + i] = x % 256;
    x = Math.floor(x / 256);
  }
}

/**
 * Stake-weighted draws WITH replacement, k per task, from the round seed alone, in integer arithmetic so anyone can
 * recompute it (a Solidity port is line for line). For task t and draw j = 0..k-1:
 *
 *     r = uint256(keccak256(abi.encode(bytes32 seed, uint256 t, uint256 j))) % totalStake
 *
 * then walk all evaluators in ascending lowercase-address order accumulating stake and pick the first whose
 * cumulative stake exceeds r. An evaluator drawn s times for a task holds s seats there: it scores the task once and
 * its score weighs s. Every draw is independent and proportional to stake, so an identity's expected seats are
 * k x its stake share and splitting a stake across identities changes neither the expected seats nor their
 * distribution in total (see docs/consensus.md).
 *
 * Throws InputError for k < 1, no evaluator with positive stake, duplicate or invalid addresses, negative stakes,
 * or a seed that is not 32 bytes.
 */
export function assignEvaluators(params: AssignEvaluatorsParameters): AssignEvaluatorsReturnType {
  const { seed, taskCount, k, evaluators } = params;
  if (!isHex(seed) || seed.length !== 66) throw new InputError(`seed must be a bytes32 hex string, got ${shown(seed)}`);
  if (!Number.isSafeInteger(taskCount) || taskCount < 0) throw new InputError(`taskCount must be a non-negative integer, got ${shown(taskCount)}`);
  if (!Number.isInteger(k) || k < 1 || k > 65_535) throw new InputError(`k must be an integer in 1..65535, got ${shown(k)}`);
  const list = evaluators.map((e) => {
    let address: Address;
    try {
      address = getAddress(e.address);
    } catch {
      throw new InputError(`invalid evaluator address ${shown(e.address)}`);
    }
    if (typeof e.stake !== "bigint" || e.stake < 0n) throw new InputError(`stake of ${address} must be a non-negative bigint`);
    return { address, lower: address.toLowerCase(), stake: e.stake };
  });
  list.sort((a, b) => (a.lower < b.lower ? -1 : a.lower > b.lower ? 1 : 0));
  for (let i = 1; i < list.length; i++) {
    if (list[i].lower === list[i - 1].lower) throw new InputError(`evaluator ${list[i].address} listed twice`);
  }
  const n = list.length;
  const tree = new StakeTree(n);
  let totalStake = 0n;
  for (let i = 0; i < n; i++) {
    tree.add(i, list[i].stake);
    totalStake += list[i].stake;
  }
  if (totalStake === 0n) throw new InputError("no evaluator has stake");
  const buf = new Uint8Array(96);
  buf.set(hexToBytes(seed), 0);
  const byTask: Address[][] = new Array(taskCount);
  const tasksOf: number[][] = list.map(() => []);
  const lastTask = new Int32Array(n).fill(-1);
  for (let t = 0; t < taskCount; t++) {
    buf.fill(0, 32);
    uint256Bytes(t, buf, 32);
    const row: Address[] = new Array(k);
    for (let j = 0; j < k; j++) {
      buf.fill(0, 64);
      uint256Bytes(j, buf, 64);
      const r = BigInt(keccak256(buf, "hex")) % totalStake;
      const i = tree.find(r);
      row[j] = list[i].address;
      if (lastTask[i] !== t) {
        lastTask[i] = t;
        tasksOf[i].push(t);
      }
    }
    byTask[t] = row;
  }
  const byEvaluator = new Map<Address, number[]>();
  for (let i = 0; i < n; i++) if (tasksOf[i].length > 0) byEvaluator.set(list[i].address, tasksOf[i]);
  return { byTask, byEvaluator };
}
