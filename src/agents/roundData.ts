import { getAddress, type Address, type Hex, type PublicClient } from "viem";
import type { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { assignEvaluators } from "../consensus/assignment";
import { buildAssignmentTree } from "../chain/encoding";
import { evaluatorStakesBefore, type RoundView } from "../chain/reader";
import type { Deployment } from "../chain/deployment";
import { PoqError } from "../errors";

export type RoundAssignment = {
  /** Per task, the k stake-weighted draws (an evaluator drawn twice appears twice: its seats). */
  byTask: Address[][];
  byEvaluator: Map<Address, number[]>;
  tree: StandardMerkleTree<[Address, bigint, Hex]>;
  stakes: Map<Address, bigint>;
};

/**
 * The round's assignment, recomputed from public data: evaluator stakes from the vault's events before the
 * registration block, the seed and the round's k. Anyone gets the same tree. Throws (retryably) while the round has
 * no seed, and when no evaluator is eligible (the round then expires at its assignment deadline).
 */
export async function computeAssignment(client: PublicClient, d: Deployment, r: RoundView, seed: Hex = r.seed): Promise<RoundAssignment> {
  // A pure function of the chain before the registration block: agents hosted together share one computation.
  const key = `${d.settlement}:${r.id}:${seed}:${r.registeredBlock}:${r.taskCount}:${r.params.k}`;
  const hit = assignmentCache.get(key);
  if (hit) return hit;
  const pending = computeAssignmentUncached(client, d, r, seed);
  assignmentCache.set(key, pending);
  if (assignmentCache.size > 8) assignmentCache.delete(assignmentCache.keys().next().value!);
  pending.catch(() => assignmentCache.delete(key));
  return pending;
}

const assignmentCache = new Map<string, Promise<RoundAssignment>>();

async function computeAssignmentUncached(client: PublicClient, d: Deployment, r: RoundView, seed: Hex): Promise<RoundAssignment> {
  if (/^0x0+$/.test(seed)) throw new PoqError(`round ${r.id} has no seed yet`, { retryable: true });
  const stakes = await evaluatorStakesBefore(client, d, r.registeredBlock);
  if (stakes.size === 0) throw new PoqError(`round ${r.id}: no evaluator was eligible at registration`);
  const evaluators = [...stakes.entries()].map(([address, stake]) => ({ address, stake }));
  const { byTask, byEvaluator } = assignEvaluators({ seed, taskCount: r.taskCount, k: r.params.k, evaluators });
  return { byTask, byEvaluator, tree: buildAssignmentTree(byEvaluator), stakes };
}

/** An evaluator's leaf and proof in the assignment tree, or undefined when it has no task. */
export function assignmentProof(a: RoundAssignment, evaluator: Address): { tasks: number[]; tasksHash: Hex; proof: Hex[] } | undefined {
  const me = getAddress(evaluator);
  for (const [i, v] of a.tree.entries()) {
    if (v[0] === me) return { tasks: a.byEvaluator.get(me) ?? [], tasksHash: v[2], proof: a.tree.getProof(i) as Hex[] };
  }
  return undefined;
}
