import { ethers } from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import type { ContractTransactionResponse } from "ethers";
import type { Address } from "viem";
import { buildAssignmentTree, rewardProof } from "../../src/chain/encoding";
import { Reason, TOKEN, deploySystem, stakeAll, type System } from "./fixtures";
import {
  acceptAssignment,
  addr,
  buildSettlement,
  commit,
  fund,
  registerRound,
  reveal,
  settlementCommit,
  toFinalizable,
  toReveal,
  toSettle,
  type RoundCtx,
} from "./round";

/**
 * The gas scenario behind docs/gas.md: deploys a fresh system and performs exactly the measured operations, reading
 * `receipt.gasUsed` of each. Shared by the "gas budget" test and `scripts/gas-table.ts`.
 *
 * Sizes are chosen to be representative rather than minimal: the assignment tree has 64 leaves (proof depth 6), the
 * rewards tree 256 leaves (proof depth 8), a batch has 100 tasks.
 */

export const GAS_TARGETS: Record<string, number> = {
  commitScores: 50_000,
  revealScores100: 60_000,
  claimFirst: 75_000,
  claimRepeat: 75_000,
};

export type GasRow = { key: string; operation: string; gasUsed: bigint; target?: number };

/** First and repeat claim of one holder for a rewards tree of `leaves` accounts (proof depth `depth`). */
export type ClaimRow = { leaves: number; depth: number; first: bigint; repeat: bigint };

/** Rewards-tree sizes for the claim-by-tree-size table. */
export const CLAIM_TREE_SIZES = [8, 16, 64, 256, 1024, 4096, 16384];

const ASSIGNMENT_LEAVES = 64;
const REWARD_LEAVES = 256;

async function gasOf(tx: Promise<ContractTransactionResponse>): Promise<bigint> {
  const receipt = await (await tx).wait();
  return receipt!.gasUsed;
}

/** A filler address that is not any signer's. */
const filler = (i: number): Address => addr(ethers.toBeHex(0xf00000 + i, 20));

export async function measureGas(): Promise<GasRow[]> {
  const sys: System = await deploySystem();
  await stakeAll(sys);
  const { settlement, distributor, acc } = sys;
  const [e0, e1, e2, e3] = acc.evaluators;
  const rows: GasRow[] = [];
  const row = (key: string, operation: string, gasUsed: bigint) =>
    rows.push({ key, operation, gasUsed, target: GAS_TARGETS[key] });

  /* ROUND 1: everything without slashes. */
  const reg = await registerRound(sys, 100, "gas-1");
  const assignment = new Map<Address, number[]>([
    [addr(e0.address), Array.from({ length: 10 }, (_, i) => i)],
    [addr(e1.address), Array.from({ length: 100 }, (_, i) => i)],
    [addr(e2.address), Array.from({ length: 100 }, (_, i) => i)],
    [addr(e3.address), Array.from({ length: 90 }, (_, i) => i + 10)],
  ]);
  for (let i = assignment.size; i < ASSIGNMENT_LEAVES; i++) assignment.set(filler(i), [i % 100]);
  const tree = buildAssignmentTree(assignment);
  row(
    "proposeAssignment",
    "proposeAssignment (first vote)",
    await gasOf(settlement.connect(acc.relayers[0]).proposeAssignment(reg.roundId, tree.root)),
  );
  row(
    "proposeAssignmentQuorum",
    "proposeAssignment (quorum vote: opens the commit window)",
    await gasOf(settlement.connect(acc.relayers[1]).proposeAssignment(reg.roundId, tree.root)),
  );
  const ctx: RoundCtx = { ...reg, assignment, tree };
  await fund(sys, ctx.roundId, 10_000n * TOKEN, 5_000n * TOKEN);

  const c0 = await commit(sys, ctx.roundId, e0, Array.from({ length: 10 }, (_, i) => 9_000 + i));
  const c1 = await commit(sys, ctx.roundId, e1, Array.from({ length: 100 }, (_, i) => 5_000 + 37 * i));
  const c2 = await commit(sys, ctx.roundId, e2, Array.from({ length: 100 }, (_, i) => 4_000 + 41 * i));
  row("commitScores", "commitScores", c2.gasUsed);

  await toReveal(sys, ctx.roundId);
  row("revealScores10", "revealScores (10 scores)", await gasOf(reveal(sys, ctx, e0, c0)));
  row("revealScores100", "revealScores (100 scores)", await gasOf(reveal(sys, ctx, e1, c1)));
  await reveal(sys, ctx, e2, c2);
  await toSettle(sys, ctx.roundId);

  // Rewards: nodes, revealers, and fillers up to 256 leaves.
  const cumulative = new Map<string, bigint>();
  for (const [i, n] of acc.nodes.entries()) cumulative.set(n.address, BigInt(1_000 + 100 * i) * TOKEN);
  for (const e of [e0, e1, e2]) cumulative.set(e.address, 500n * TOKEN);
  for (let i = cumulative.size; i < REWARD_LEAVES; i++) cumulative.set(filler(1_000 + i), 1n);
  const fillerPaid = BigInt(REWARD_LEAVES - 6);
  const b1 = buildSettlement({
    cumulative,
    inferencePaid: 3_300n * TOKEN + fillerPaid,
    evaluatorPaid: 1_500n * TOKEN,
    tag: "gas-1",
  });
  const [r1, r2] = acc.relayers;
  const k1 = await settlementCommit(sys, r1.address, ctx.roundId, b1.settlement);
  const k2 = await settlementCommit(sys, r2.address, ctx.roundId, b1.settlement);
  row("commitSettlement", "commitSettlement", await gasOf(settlement.connect(r1).commitSettlement(ctx.roundId, k1.commitment)));
  await settlement.connect(r2).commitSettlement(ctx.roundId, k2.commitment);
  row(
    "revealSettlement",
    "revealSettlement (first reveal, 0 slashes)",
    await gasOf(settlement.connect(r1).revealSettlement(ctx.roundId, b1.settlement, k1.salt)),
  );
  row(
    "revealSettlementQuorum",
    "revealSettlement (quorum reveal: accepts, 0 slashes)",
    await gasOf(settlement.connect(r2).revealSettlement(ctx.roundId, b1.settlement, k2.salt)),
  );
  await toFinalizable(sys, ctx.roundId);
  row("finalize0", "finalize (0 slashes)", await gasOf(settlement.finalize(ctx.roundId, b1.settlement)));

  const n0 = acc.nodes[0];
  const p1 = rewardProof(b1.tree, addr(n0.address))!;
  row(
    "claimFirst",
    "claim (first claim; holder already has a token balance)",
    await gasOf(distributor.connect(n0).claim(n0.address, p1.cumulativeAmount, p1.proof)),
  );

  /* ROUND 2: nobody reveals; all five evaluators slashed for it. */
  const gReg = await settlement.connect(r1).registerTasks.populateTransaction(ethers.id("gas-2"), 100);
  const regTx = await r1.sendTransaction(gReg);
  const regGas = (await regTx.wait())!.gasUsed;
  rows.unshift({ key: "registerTasks", operation: "registerTasks (100 tasks)", gasUsed: regGas });
  const round2 = await settlement.roundCount();
  await acceptAssignment(sys, round2, tree.root);
  await fund(sys, round2, 1_000n * TOKEN, 0n);
  await toSettle(sys, round2);
  const cumulative2 = new Map(cumulative);
  cumulative2.set(n0.address, cumulative.get(n0.address)! + 100n * TOKEN);
  const slashes = acc.evaluators.map((e) => ({ evaluator: addr(e.address), reason: Reason.NonReveal as 1 }));
  const b2 = buildSettlement({
    cumulative: cumulative2,
    inferencePaid: 100n * TOKEN,
    evaluatorPaid: 0n,
    slashes,
    tag: "gas-2",
  });
  const m1 = await settlementCommit(sys, r1.address, round2, b2.settlement);
  const m2 = await settlementCommit(sys, r2.address, round2, b2.settlement);
  await settlement.connect(r1).commitSettlement(round2, m1.commitment);
  await settlement.connect(r2).commitSettlement(round2, m2.commitment);
  await settlement.connect(r1).revealSettlement(round2, b2.settlement, m1.salt);
  row(
    "revealSettlement5",
    "revealSettlement (quorum reveal: accepts, 5 slashes)",
    await gasOf(settlement.connect(r2).revealSettlement(round2, b2.settlement, m2.salt)),
  );
  await time.increase(sys.params.challengeDuration);
  row("finalize5", "finalize (5 slashes)", await gasOf(settlement.finalize(round2, b2.settlement)));

  const p2 = rewardProof(b2.tree, addr(n0.address))!;
  row(
    "claimRepeat",
    "claim (repeat claim of the same holder under a later root)",
    await gasOf(distributor.connect(n0).claim(n0.address, p2.cumulativeAmount, p2.proof)),
  );
  return rows;
}

/**
 * Claim gas against the size of the rewards tree: for each size, a fresh distributor (wired to a plain account as
 * its settlement, so roots can be installed directly), a first claim by a holder that already has tokens, then a
 * repeat claim under a second root.
 */
export async function measureClaimsByTreeSize(sizes = CLAIM_TREE_SIZES): Promise<ClaimRow[]> {
  const signers = await ethers.getSigners();
  const [owner, funder, settler, holder] = [signers[0], signers[2], signers[15], signers[6]];
  const token = await ethers.deployContract("TestToken", [owner.address]);
  await token.connect(owner).mint(funder.address, 1_000_000n * TOKEN);
  await token.connect(owner).mint(holder.address, TOKEN);
  const out: ClaimRow[] = [];
  for (const leaves of sizes) {
    const d = await ethers.deployContract("RewardDistributor", [owner.address, await token.getAddress()]);
    await d.connect(owner).setSettlement(settler.address);
    await token.connect(funder).approve(await d.getAddress(), ethers.MaxUint256);
    await d.connect(funder).fundRound(1, 1_000n * TOKEN, 0);
    await d.connect(funder).fundRound(2, 1_000n * TOKEN, 0);
    const ledger = (extra: bigint) => {
      const m = new Map<string, bigint>([[holder.address, 100n * TOKEN + extra]]);
      for (let i = 1; i < leaves; i++) m.set(filler(50_000 + i), 1n);
      return m;
    };
    const t1 = buildSettlement({ cumulative: ledger(0n), inferencePaid: 0n, evaluatorPaid: 0n });
    await d.connect(settler).applySettlement(1, t1.settlement.rewardsRoot, t1.settlement.cumulativeTotal, t1.settlement.cumulativeTotal, 0);
    const p1 = rewardProof(t1.tree, addr(holder.address))!;
    const first = await gasOf(d.connect(holder).claim(holder.address, p1.cumulativeAmount, p1.proof));
    const t2 = buildSettlement({ cumulative: ledger(5n * TOKEN), inferencePaid: 0n, evaluatorPaid: 0n });
    await d.connect(settler).applySettlement(2, t2.settlement.rewardsRoot, t2.settlement.cumulativeTotal, 5n * TOKEN, 0);
    const p2 = rewardProof(t2.tree, addr(holder.address))!;
    const repeat = await gasOf(d.connect(holder).claim(holder.address, p2.cumulativeAmount, p2.proof));
    out.push({ leaves, depth: p1.proof.length, first, repeat });
  }
  return out;
}

export function formatClaimTable(rows: ClaimRow[]): string {
  const fmt = (g: bigint) => `${Number(g).toLocaleString("en-US")}${g <= BigInt(GAS_TARGETS.claimFirst) ? "" : " (over)"}`;
  const lines = ["| accounts in the rewards tree | proof length | first claim | repeat claim |", "|---:|---:|---:|---:|"];
  for (const r of rows) lines.push(`| ${r.leaves} | ${r.depth} | ${fmt(r.first)} | ${fmt(r.repeat)} |`);
  return lines.join("\n");
}

/** A markdown table of the rows. */
export function formatGasTable(rows: GasRow[]): string {
  const lines = ["| operation | gas used | target | within target |", "|---|---:|---:|:---:|"];
  for (const r of rows) {
    const target = r.target === undefined ? "" : `≤ ${r.target.toLocaleString("en-US")}`;
    const ok = r.target === undefined ? "" : r.gasUsed <= BigInt(r.target) ? "yes" : "**no**";
    lines.push(`| ${r.operation} | ${Number(r.gasUsed).toLocaleString("en-US")} | ${target} | ${ok} |`);
  }
  return lines.join("\n");
}
