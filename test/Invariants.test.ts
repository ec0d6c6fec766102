import { expect } from "chai";
import hre, { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import type { BaseContract } from "ethers";
import fc from "fast-check";
import { FUZZ_SEED } from "./helpers/fastcheck";
import type { Address, Hex } from "viem";
import { buildAssignmentTree, packScores, rewardProof, scoreCommitment, type SlashEntry } from "../src/chain/encoding";
import type { InvariantProbe } from "../typechain-types";
import { Phase, Reason, Role, TOKEN, deploySystem, type System } from "./helpers/fixtures";
import {
  addr,
  assignmentProof,
  buildSettlement,
  sampleAssignment,
  scoresSalt,
  settlementCommit,
  sortSlashes,
  type Built,
  type RoundCtx,
} from "./helpers/round";

/**
 * Random sequences of stake, unstake, withdraw, fund, open, commit, reveal, settle (commit + reveal by both
 * relayers), veto, cancel, finalize (with slashes), claim, sweep and time jumps, run against the contracts and a
 * model of them. Every action's outcome is predicted by the model (success, or the exact custom error), and after
 * every step the invariants are checked against one read of all balances and stakes (InvariantProbe).
 *
 * POQ_INVARIANT_RUNS sets the number of sequences (default 200, 10 under `hardhat coverage`); POQ_INVARIANT_SEED
 * (or POQ_FUZZ_SEED, which pins every property test) replays a seed that fast-check printed.
 */

const UNDER_COVERAGE = (hre as unknown as { __SOLIDITY_COVERAGE_RUNNING?: boolean }).__SOLIDITY_COVERAGE_RUNNING === true;
const RUNS = Number(process.env.POQ_INVARIANT_RUNS ?? (UNDER_COVERAGE ? 10 : 200));
const SEED = process.env.POQ_INVARIANT_SEED === undefined ? FUZZ_SEED : Number(process.env.POQ_INVARIANT_SEED);

const DURATION = 100n;
const UNBONDING = 401n; // just above the round tail (4 × 100 s)
const MIN_STAKE = 10n * TOKEN;
const MAX_VETOES = 2;
const NON_REVEAL_BPS = 1_000n;
const LOW_TRUST_BPS = 500n;
const VAULT_CAP_BPS = 2_000n;
const ROUND1_INF = 100n * TOKEN;
const ROUND1_EV = 50n * TOKEN;
const INITIAL_QUEUED = 50n * TOKEN;

/* FIXTURE */

async function invariantFixture() {
  const d = Number(DURATION);
  const sys = await deploySystem({
    params: { commitDuration: d, revealDuration: d, settleDuration: d, challengeDuration: d, maxVetoes: MAX_VETOES },
    unbonding: Number(UNBONDING),
    vaultMaxSlashBps: Number(VAULT_CAP_BPS),
    minInferenceStake: MIN_STAKE,
    minEvaluatorStake: MIN_STAKE,
  });
  for (const [i, e] of sys.acc.evaluators.entries()) {
    await sys.vault.connect(e).stake(Role.Evaluator, BigInt(100 + 50 * i) * TOKEN);
  }
  // Round 1 is open (commit window) and funded when every sequence starts, so short sequences reach settlement.
  const root1 = ethers.id("tasks/1");
  await sys.settlement.connect(sys.acc.relayers[0]).registerTasks(root1, 6);
  const seed1 = (await sys.settlement.getRound(1)).seed as Hex;
  const pool1 = sys.acc.evaluators.map((e, i) => ({ address: e.address, stake: BigInt(100 + 50 * i) * TOKEN }));
  const assignment1 = sampleAssignment(seed1, pool1, 6, 3);
  const tree1 = buildAssignmentTree(assignment1);
  for (const r of sys.acc.relayers) await sys.settlement.connect(r).proposeAssignment(1, tree1.root);
  await sys.distributor.connect(sys.acc.funder).fundRound(1, ROUND1_INF, ROUND1_EV);
  // Evaluator 4 already has stake unbonding, so withdrawals (and slashes of queued stake) come up early.
  const e4 = sys.acc.evaluators[4];
  await sys.vault.connect(e4).requestUnstake(Role.Evaluator, INITIAL_QUEUED);
  const e4Unlock = (await sys.vault.stakeOf(e4.address, Role.Evaluator)).unlockTime;
  const round1 = await sys.settlement.getRound(1);
  const initialRound = {
    seed: seed1,
    assignment: assignment1,
    tree: tree1,
    commitDeadline: round1.commitDeadline,
    revealDeadline: round1.revealDeadline,
    e4Unlock,
  };
  const probe = await ethers.deployContract("InvariantProbe");
  const accounts = [...sys.acc.nodes, ...sys.acc.evaluators];
  const vaultAddress = await sys.vault.getAddress();
  const distributorAddress = await sys.distributor.getAddress();
  const rewardVaultAddress = await sys.distributor.vault();
  // Every address that can receive tokens in these sequences. If a token ever went anywhere else, their sum would
  // fall short of the total supply: the check covers all holders without reading every account.
  const holders = [
    sys.acc.funder.address,
    sys.acc.treasury.address, // the slash recipient (and sweep destination)
    ...accounts.map((a) => a.address),
    sys.acc.outsider.address,
    vaultAddress,
    distributorAddress,
    rewardVaultAddress,
  ];
  const args = [vaultAddress, distributorAddress, await sys.settlement.getAddress(), await sys.token.getAddress()] as const;
  const snap = await probe.snapshot(...args, 0, accounts.map((a) => a.address), holders);
  const initialBalances = new Map(holders.map((h, i) => [h, snap.holderBalances[i]]));
  return {
    sys,
    probe,
    args,
    accounts,
    holders,
    vaultAddress,
    distributorAddress,
    rewardVaultAddress,
    initialBalances,
    initialRound,
    totalSupply: snap.totalSupply,
  };
}

type Ctx = Awaited<ReturnType<typeof invariantFixture>>;

/* MODEL */

type StakeM = { active: bigint; queued: bigint; unlock: bigint; lastSlashed: bigint };
type Status = "Registered" | "Active" | "Accepted" | "Finalized" | "Cancelled";
type Accepted = { built: Built; ledger: Map<Address, bigint> };
type RoundM = {
  id: bigint;
  status: Status;
  commitDeadline: bigint;
  revealDeadline: bigint;
  settleStart: bigint;
  challengeEnd: bigint;
  vetoes: number;
  attempt: number;
  ctx: RoundCtx;
  commits: Map<Address, { packed: Hex; salt: Hex }>;
  revealed: Set<Address>;
  accepted?: Accepted;
};
type Pools = { inf: bigint; ev: bigint; settled: boolean };

class Model {
  now = 0n;
  wallets = new Map<string, bigint>();
  stakes = new Map<string, StakeM>();
  pools = new Map<bigint, Pools>();
  funded = 0n;
  allocated = 0n;
  claimedTotal = 0n;
  released = 0n;
  swept = 0n;
  ledger = new Map<Address, bigint>();
  claimed = new Map<Address, bigint>();
  tree?: StandardMerkleTree<[Address, bigint]>;
  roundCount = 0n;
  current?: RoundM;
  lastClosed?: bigint;

  stake(account: string, role: number): StakeM {
    const k = `${account}/${role}`;
    if (!this.stakes.has(k)) this.stakes.set(k, { active: 0n, queued: 0n, unlock: 0n, lastSlashed: 0n });
    return this.stakes.get(k)!;
  }
  pool(id: bigint): Pools {
    if (!this.pools.has(id)) this.pools.set(id, { inf: 0n, ev: 0n, settled: false });
    return this.pools.get(id)!;
  }
  move(from: string | undefined, to: string | undefined, amount: bigint) {
    if (from) this.wallets.set(from, this.wallets.get(from)! - amount);
    if (to) this.wallets.set(to, this.wallets.get(to)! + amount);
  }
  /** The phase of the current round for a transaction at time `t`. */
  phase(r: RoundM, t: bigint): number {
    switch (r.status) {
      case "Registered":
        return Phase.Assigning;
      case "Active":
        return t < r.commitDeadline ? Phase.Commit : t < r.revealDeadline ? Phase.Reveal : Phase.Settle;
      case "Accepted":
        return t < r.challengeEnd ? Phase.Challenge : Phase.Finalizable;
      case "Finalized":
        return Phase.Finalized;
      case "Cancelled":
        return Phase.Cancelled;
    }
  }
  open(): RoundM | undefined {
    const r = this.current;
    return r && r.status !== "Finalized" && r.status !== "Cancelled" ? r : undefined;
  }
}

/* ACTIONS */

const who = fc.integer({ min: 0, max: 7 });
const settleArb = fc.record({
  kind: fc.constant("settle" as const),
  pInf: fc.integer({ min: 0, max: 100 }),
  pEv: fc.integer({ min: 0, max: 100 }),
  weights: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 8, maxLength: 8 }),
  lowTrust: fc.integer({ min: -1, max: 4 }),
  falseNonReveal: fc.boolean(),
});
const evaluatorIdx = fc.integer({ min: 0, max: 4 });
const actionArb = fc.oneof(
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("stake" as const), who, role: fc.constantFrom(1, 2), quarters: fc.integer({ min: 1, max: 800 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("unstake" as const), who, role: fc.constantFrom(1, 2), pct: fc.integer({ min: 0, max: 100 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("withdraw" as const), who, role: fc.constantFrom(1, 2) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("fund" as const), inf: fc.integer({ min: 0, max: 300 }), ev: fc.integer({ min: 0, max: 200 }), toClosed: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("open" as const), tasks: fc.integer({ min: 1, max: 8 }) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("commit" as const), e: evaluatorIdx, base: fc.integer({ min: 0, max: 10_000 }) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("reveal" as const), e: evaluatorIdx }) },
  { weight: 5, arbitrary: settleArb },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("veto" as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("cancel" as const), go: fc.integer({ min: 0, max: 3 }) }) },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant("finalize" as const) }) },
  { weight: 6, arbitrary: fc.record({ kind: fc.constant("claim" as const), who }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("sweep" as const), pct: fc.integer({ min: 1, max: 100 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("jump" as const), seconds: fc.constantFrom(1, 30, 101, 250, 450) }) },
  // Jumps to one second before the round's next deadline, so the next action runs exactly at the boundary.
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("jump" as const), seconds: fc.constant(0) }) },
  // The round's natural next step: open, a jump to the next deadline, settle or finalize, as the phase requires.
  { weight: 8, arbitrary: fc.record({ kind: fc.constant("advance" as const), tasks: fc.integer({ min: 1, max: 8 }), settle: settleArb }) },
);
type Action = typeof actionArb extends fc.Arbitrary<infer T> ? T : never;

const stats = { steps: 0, finalized: 0, claims: 0, doubleClaims: 0, slashes: 0, vetoes: 0, withdrawals: 0, cancels: 0, reverts: 0 };

/* RUNNER */

class Runner {
  readonly c: Ctx;
  readonly m: Model;
  readonly accountAddresses: Address[];
  lastClaimant?: HardhatEthersSigner;

  constructor(c: Ctx, m: Model) {
    this.c = c;
    this.m = m;
    this.accountAddresses = c.accounts.map((a) => addr(a.address));
  }

  get sys(): System {
    return this.c.sys;
  }

  /** Sends a transaction at exactly `now + 1`, expecting success. */
  async ok<T>(send: () => Promise<T>): Promise<T> {
    await time.setNextBlockTimestamp(this.m.now + 1n);
    const r = await send();
    this.m.now += 1n;
    return r;
  }

  /** Expects the transaction (at `now + 1`) to revert with `error(args)`. Hardhat mines reverted transactions. */
  async fails(send: () => Promise<unknown>, contract: BaseContract, error: string, ...args: unknown[]) {
    await time.setNextBlockTimestamp(this.m.now + 1n);
    await expect(send()).to.be.revertedWithCustomError(contract, error).withArgs(...args);
    this.m.now = BigInt(await time.latest());
    stats.reverts++;
  }

  signer(i: number): HardhatEthersSigner {
    return this.c.accounts[i];
  }

  accountOf(address: string): HardhatEthersSigner {
    return this.c.accounts.find((x) => x.address === address)!;
  }

  /**
   * The `i`-th (account, role) among those matching `want`, or the given account and role when none matches or for
   * one draw in eight (so the failing cases are still exercised).
   */
  pick(i: number, role: number, want: (s: StakeM) => boolean): [HardhatEthersSigner, number] {
    const matches: [HardhatEthersSigner, number][] = [];
    for (const acct of this.c.accounts) {
      for (const r of [Role.Inference, Role.Evaluator]) if (want(this.m.stake(acct.address, r))) matches.push([acct, r]);
    }
    if (matches.length === 0 || (i + role) % 8 === 0) return [this.signer(i), role];
    return matches[(i * 2 + role) % matches.length];
  }

  async run(a: Action): Promise<void> {
    const { m, sys } = this;
    const t = m.now + 1n;
    switch (a.kind) {
      case "stake": {
        const s = this.signer(a.who);
        const amount = (BigInt(a.quarters) * TOKEN) / 4n;
        const st = m.stake(s.address, a.role);
        if (st.active + amount < MIN_STAKE) {
          return this.fails(() => sys.vault.connect(s).stake(a.role, amount), sys.vault, "VaultBelowMinimum", a.role, st.active + amount, MIN_STAKE);
        }
        await this.ok(() => sys.vault.connect(s).stake(a.role, amount));
        st.active += amount;
        m.move(s.address, this.c.vaultAddress, amount);
        return;
      }
      case "unstake": {
        // Mostly an account and role that has active stake, so unstaking is meaningful; sometimes any.
        const [s, role] = this.pick(a.who, a.role, (st) => st.active > 0n);
        const st = m.stake(s.address, role);
        const amount = (st.active * BigInt(a.pct)) / 100n;
        if (amount === 0n) return this.fails(() => sys.vault.connect(s).requestUnstake(role, 0), sys.vault, "VaultZeroAmount");
        const remaining = st.active - amount;
        if (remaining > 0n && remaining < MIN_STAKE) {
          return this.fails(() => sys.vault.connect(s).requestUnstake(role, amount), sys.vault, "VaultBelowMinimum", role, remaining, MIN_STAKE);
        }
        await this.ok(() => sys.vault.connect(s).requestUnstake(role, amount));
        st.active = remaining;
        st.queued += amount;
        st.unlock = t + UNBONDING;
        return;
      }
      case "withdraw": {
        const [s, role] = this.pick(a.who, a.role, (st) => st.queued > 0n);
        const st = m.stake(s.address, role);
        if (st.queued === 0n) return this.fails(() => sys.vault.connect(s).withdraw(role), sys.vault, "VaultNothingQueued", s.address, role);
        if (t < st.unlock) {
          return this.fails(() => sys.vault.connect(s).withdraw(role), sys.vault, "VaultStillUnbonding", s.address, role, st.unlock);
        }
        await this.ok(() => sys.vault.connect(s).withdraw(role));
        m.move(this.c.vaultAddress, s.address, st.queued);
        st.queued = 0n;
        stats.withdrawals++;
        return;
      }
      case "fund": {
        const inf = BigInt(a.inf) * TOKEN;
        const ev = BigInt(a.ev) * TOKEN;
        const target = a.toClosed && m.lastClosed !== undefined ? m.lastClosed : (m.open()?.id ?? m.roundCount + 1n);
        const f = sys.distributor.connect(sys.acc.funder);
        if (m.pool(target).settled) return this.fails(() => f.fundRound(target, inf + 1n, ev), sys.distributor, "DistributorRoundSettled", target);
        if (inf + ev === 0n) return this.fails(() => f.fundRound(target, 0, 0), sys.distributor, "DistributorZeroAmount");
        await this.ok(() => f.fundRound(target, inf, ev));
        const p = m.pool(target);
        p.inf += inf;
        p.ev += ev;
        m.funded += inf + ev;
        m.move(sys.acc.funder.address, this.c.rewardVaultAddress, inf + ev);
        return;
      }
      case "open": {
        if (m.open()) return;
        const root = ethers.keccak256(ethers.toUtf8Bytes(`tasks/${m.roundCount + 1n}/${a.tasks}`));
        await this.ok(() => sys.settlement.connect(sys.acc.relayers[0]).registerTasks(root, a.tasks));
        m.roundCount += 1n;
        const id = m.roundCount;
        const seed = (await sys.settlement.getRound(id)).seed as Hex;
        const pool = sys.acc.evaluators
          .map((e) => ({ address: e.address, stake: m.stake(e.address, Role.Evaluator).active }))
          .filter((p) => p.stake >= MIN_STAKE);
        const assignment = sampleAssignment(seed, pool, a.tasks, 3);
        const tree =
          pool.length > 0
            ? buildAssignmentTree(assignment)
            : buildAssignmentTree(new Map([[addr(sys.acc.outsider.address), [0]]])); // nobody real is assigned
        const r: RoundM = {
          id,
          status: "Registered",
          commitDeadline: 0n,
          revealDeadline: 0n,
          settleStart: 0n,
          challengeEnd: 0n,
          vetoes: 0,
          attempt: 1,
          ctx: { roundId: id, seed, tasks: [], taskTree: undefined as never, assignment, tree },
          commits: new Map(),
          revealed: new Set(),
        };
        m.current = r;
        await this.ok(() => sys.settlement.connect(sys.acc.relayers[0]).proposeAssignment(id, tree.root));
        await this.ok(() => sys.settlement.connect(sys.acc.relayers[1]).proposeAssignment(id, tree.root));
        r.status = "Active";
        r.commitDeadline = m.now + DURATION;
        r.revealDeadline = r.commitDeadline + DURATION;
        r.settleStart = r.revealDeadline;
        return;
      }
      case "commit": {
        const r = m.open();
        if (!r) return;
        const e = sys.acc.evaluators[a.e];
        const ea = addr(e.address);
        const tasks = r.ctx.assignment.get(ea) ?? [];
        if (tasks.length === 0) return;
        const packed = packScores(tasks.map((x, i) => (a.base + 997 * (x + i)) % 10_001));
        const salt = await scoresSalt(sys, e.address, r.id);
        const commitment = scoreCommitment({
          chainId: sys.chainId,
          contract: addr(await sys.settlement.getAddress()),
          roundId: r.id,
          evaluator: ea,
          scores: packed,
          salt,
        });
        const phase = m.phase(r, t);
        if (phase !== Phase.Commit) {
          return this.fails(() => sys.settlement.connect(e).commitScores(r.id, commitment), sys.settlement, "WrongPhase", r.id, Phase.Commit, phase);
        }
        if (r.commits.has(ea)) {
          return this.fails(() => sys.settlement.connect(e).commitScores(r.id, commitment), sys.settlement, "AlreadyCommitted", r.id, ea);
        }
        await this.ok(() => sys.settlement.connect(e).commitScores(r.id, commitment));
        r.commits.set(ea, { packed, salt });
        return;
      }
      case "reveal": {
        const r = m.open();
        if (!r) return;
        const e = sys.acc.evaluators[a.e];
        const ea = addr(e.address);
        const c = r.commits.get(ea);
        const packed = c?.packed ?? packScores([1]);
        const salt = c?.salt ?? ethers.ZeroHash;
        const p = (r.ctx.assignment.get(ea)?.length ?? 0) > 0 ? assignmentProof(r.ctx, ea) : { tasksHash: ethers.ZeroHash, proof: [] };
        const send = () => sys.settlement.connect(e).revealScores(r.id, packed, salt, p.tasksHash, p.proof);
        const phase = m.phase(r, t);
        if (phase !== Phase.Reveal) return this.fails(send, sys.settlement, "WrongPhase", r.id, Phase.Reveal, phase);
        if (!c) return this.fails(send, sys.settlement, "NotCommitted", r.id, ea);
        if (r.revealed.has(ea)) return this.fails(send, sys.settlement, "AlreadyRevealed", r.id, ea);
        await this.ok(send);
        r.revealed.add(ea);
        return;
      }
      case "settle": {
        const r = m.open();
        if (!r) return;
        const phase = m.phase(r, t);
        const [r1, r2] = sys.acc.relayers;
        if (phase !== Phase.Settle) {
          return this.fails(() => sys.settlement.connect(r1).commitSettlement(r.id, ethers.id("x")), sys.settlement, "WrongPhase", r.id, Phase.Settle, phase);
        }
        const pools = m.pool(r.id);
        let inferencePaid = (pools.inf * BigInt(a.pInf)) / 100n;
        let evaluatorPaid = (pools.ev * BigInt(a.pEv)) / 100n;
        const weightSum = a.weights.reduce((s, w) => s + w, 0);
        if (weightSum === 0) [inferencePaid, evaluatorPaid] = [0n, 0n];
        const paid = inferencePaid + evaluatorPaid;
        const ledger = new Map(m.ledger);
        let left = paid;
        a.weights.forEach((w, i) => {
          if (w === 0) return;
          const share = (paid * BigInt(w)) / BigInt(weightSum);
          const acct = addr(this.signer(i).address);
          ledger.set(acct, (ledger.get(acct) ?? 0n) + share);
          left -= share;
        });
        if (left > 0n) {
          const first = addr(this.signer(a.weights.findIndex((w) => w > 0)).address);
          ledger.set(first, ledger.get(first)! + left);
        }
        const slashes: SlashEntry[] = [];
        for (const ea of r.commits.keys()) if (!r.revealed.has(ea)) slashes.push({ evaluator: ea, reason: Reason.NonReveal });
        if (a.falseNonReveal) {
          const liar = [...r.revealed][0];
          if (liar) slashes.push({ evaluator: liar, reason: Reason.NonReveal });
        }
        if (a.lowTrust >= 0) {
          const lt = addr(sys.acc.evaluators[a.lowTrust].address);
          if (!slashes.some((s) => s.evaluator === lt)) slashes.push({ evaluator: lt, reason: Reason.LowTrust });
        }
        const built = buildSettlement({
          cumulative: ledger,
          inferencePaid,
          evaluatorPaid,
          slashes: sortSlashes(slashes),
          cumulativeTotal: m.allocated + paid,
          tag: `${r.id}/${r.attempt}`,
        });
        const k1 = await settlementCommit(sys, r1.address, r.id, built.settlement);
        const k2 = await settlementCommit(sys, r2.address, r.id, built.settlement);
        await this.ok(() => sys.settlement.connect(r1).commitSettlement(r.id, k1.commitment));
        await this.ok(() => sys.settlement.connect(r2).commitSettlement(r.id, k2.commitment));
        await this.ok(() => sys.settlement.connect(r1).revealSettlement(r.id, built.settlement, k1.salt));
        await this.ok(() => sys.settlement.connect(r2).revealSettlement(r.id, built.settlement, k2.salt));
        r.status = "Accepted";
        r.challengeEnd = m.now + DURATION;
        r.accepted = { built, ledger };
        return;
      }
      case "veto": {
        const r = m.open();
        if (!r) return;
        const g = sys.settlement.connect(sys.acc.guardian);
        const phase = m.phase(r, t);
        if (phase === Phase.Challenge) {
          if (r.vetoes >= MAX_VETOES) return this.fails(() => g.vetoSettlement(r.id), sys.settlement, "VetoLimitReached", r.id, r.vetoes);
          await this.ok(() => g.vetoSettlement(r.id));
          r.vetoes += 1;
          r.status = "Active";
          r.accepted = undefined;
        } else if (phase === Phase.Settle && t >= r.settleStart + DURATION) {
          await this.ok(() => g.vetoSettlement(r.id));
        } else {
          return this.fails(() => g.vetoSettlement(r.id), sys.settlement, "VetoNotAllowed", r.id, phase);
        }
        r.attempt += 1;
        r.settleStart = t;
        stats.vetoes++;
        return;
      }
      case "cancel": {
        const r = m.open();
        if (!r || a.go !== 0) return; // rare: most rounds should run to the end
        const g = sys.settlement.connect(sys.acc.guardian);
        const phase = m.phase(r, t);
        if (phase === Phase.Challenge || phase === Phase.Finalizable) {
          return this.fails(() => g.cancelRound(r.id), sys.settlement, "VetoNotAllowed", r.id, phase);
        }
        await this.ok(() => g.cancelRound(r.id));
        r.status = "Cancelled";
        const p = m.pool(r.id);
        p.settled = true;
        m.released += p.inf + p.ev;
        m.lastClosed = r.id;
        stats.cancels++;
        return;
      }
      case "finalize": {
        const r = m.open();
        if (!r) return;
        const phase = m.phase(r, t);
        const s = r.accepted?.built.settlement;
        if (phase !== Phase.Finalizable) {
          const any = s ?? buildSettlement({ cumulative: new Map(), inferencePaid: 0n, evaluatorPaid: 0n }).settlement;
          return this.fails(() => sys.settlement.finalize(r.id, any), sys.settlement, "WrongPhase", r.id, Phase.Finalizable, phase);
        }
        await this.ok(() => sys.settlement.connect(sys.acc.outsider).finalize(r.id, s!));
        r.status = "Finalized";
        const p = m.pool(r.id);
        p.settled = true;
        const paid = s!.inferencePaid + s!.evaluatorPaid;
        m.released += p.inf + p.ev - paid;
        m.allocated += paid;
        m.move(this.c.rewardVaultAddress, this.c.distributorAddress, paid);
        m.ledger = r.accepted!.ledger;
        m.tree = r.accepted!.built.tree;
        m.lastClosed = r.id;
        for (const e of s!.slashes) {
          if (e.reason === Reason.NonReveal && r.revealed.has(e.evaluator)) continue;
          let bps = e.reason === Reason.NonReveal ? NON_REVEAL_BPS : LOW_TRUST_BPS;
          if (bps > VAULT_CAP_BPS) bps = VAULT_CAP_BPS;
          const st = m.stake(e.evaluator, Role.Evaluator);
          const total = st.active + st.queued;
          if (total === 0n) continue;
          const amount = (total * bps + 9_999n) / 10_000n;
          const fromActive = amount <= st.active ? amount : st.active;
          st.active -= fromActive;
          st.queued -= amount - fromActive;
          st.lastSlashed = r.id;
          m.move(this.c.vaultAddress, sys.acc.treasury.address, amount);
          stats.slashes++;
        }
        stats.finalized++;
        return;
      }
      case "claim": {
        if (!m.tree) return;
        // Mostly an account of the current tree (so repeat claims happen), sometimes any.
        // One draw in eight repeats the last claimant (a double claim unless a new root owes it more).
        const inTree = [...m.ledger.keys()];
        const s =
          a.who === 0 && this.lastClaimant
            ? this.lastClaimant
            : inTree.length > 0 && a.who !== 7
              ? this.accountOf(inTree[a.who % inTree.length])
              : this.signer(a.who);
        this.lastClaimant = s;
        const p = rewardProof(m.tree, addr(s.address));
        if (!p) return;
        const already = m.claimed.get(addr(s.address)) ?? 0n;
        if (p.cumulativeAmount <= already) {
          const before = await sys.token.balanceOf(s.address);
          await this.fails(
            () => sys.distributor.claim(s.address, p.cumulativeAmount, p.proof),
            sys.distributor,
            "DistributorNothingToClaim",
            s.address,
            p.cumulativeAmount,
            already,
          );
          expect(await sys.token.balanceOf(s.address)).to.equal(before);
          stats.doubleClaims++;
          return;
        }
        await this.ok(() => sys.distributor.connect(sys.acc.outsider).claim(s.address, p.cumulativeAmount, p.proof));
        const owed = p.cumulativeAmount - already;
        m.claimed.set(addr(s.address), p.cumulativeAmount);
        m.claimedTotal += owed;
        m.move(this.c.distributorAddress, s.address, owed);
        stats.claims++;
        return;
      }
      case "sweep": {
        const available = m.released - m.swept;
        const amount = (available * BigInt(a.pct)) / 100n;
        const o = sys.distributor.connect(sys.acc.owner);
        if (amount === 0n) return;
        await this.fails(() => o.sweep(sys.acc.treasury.address, available + 1n), sys.distributor, "DistributorSweepTooLarge", available + 1n, available);
        await this.ok(() => o.sweep(sys.acc.treasury.address, amount));
        m.swept += amount;
        m.move(this.c.rewardVaultAddress, sys.acc.treasury.address, amount);
        return;
      }
      case "advance": {
        const r = m.open();
        if (!r) return this.run({ kind: "open", tasks: a.tasks });
        const phase = m.phase(r, t);
        if (phase === Phase.Settle) return this.run(a.settle);
        if (phase === Phase.Finalizable) return this.run({ kind: "finalize" });
        return this.run({ kind: "jump", seconds: 0 });
      }
      case "jump": {
        let to = m.now + BigInt(a.seconds);
        if (a.seconds === 0) {
          const r = m.open();
          const next = !r
            ? m.now + 30n
            : r.status === "Active"
              ? [r.commitDeadline, r.revealDeadline].find((d) => d > m.now + 1n)
              : r.challengeEnd;
          to = next === undefined || next - 1n <= m.now ? m.now + 1n : next - 1n;
        }
        m.now = to;
        await time.increaseTo(m.now);
        return;
      }
    }
  }

  /** Every invariant, from one probe read. */
  async check() {
    const { c, m } = this;
    const r = m.current;
    const s = await (c.probe as InvariantProbe).snapshot(...c.args, r?.id ?? 0n, this.accountAddresses, c.holders);
    // Vault: balance == active + queued == the sum over known accounts, each stake as modelled.
    let sumActive = 0n;
    let sumQueued = 0n;
    for (const [i, a] of this.accountAddresses.entries()) {
      const inf = m.stake(a, Role.Inference);
      const ev = m.stake(a, Role.Evaluator);
      eq(s.inferenceActive[i], inf.active, `inference active of ${a}`);
      eq(s.inferenceQueued[i], inf.queued, `inference queued of ${a}`);
      eq(s.evaluatorActive[i], ev.active, `evaluator active of ${a}`);
      eq(s.evaluatorQueued[i], ev.queued, `evaluator queued of ${a}`);
      sumActive += s.inferenceActive[i] + s.evaluatorActive[i];
      sumQueued += s.inferenceQueued[i] + s.evaluatorQueued[i];
    }
    eq(s.vaultBalance, s.totalActive + s.totalQueued, "vault balance == active + queued");
    eq(s.totalActive, sumActive, "total active == sum over accounts");
    eq(s.totalQueued, sumQueued, "total queued == sum over accounts");
    // Rewards: the vault holds funded − allocated − swept, the distributor allocated − claimed; totals as modelled.
    eq(s.rewardVaultBalance, s.funded - s.allocated - s.swept, "reward vault balance == funded - allocated - swept");
    eq(s.distributorBalance, s.allocated - m.claimedTotal, "distributor balance == allocated - claimed");
    eq(s.funded, m.funded, "funded");
    eq(s.allocated, m.allocated, "allocated");
    eq(s.swept, m.swept, "swept");
    eq(s.sweepable, m.released - m.swept, "sweepable");
    // Nothing paid twice: claimed ≤ cumulative per account, total claimed ≤ allocated.
    for (const [i, a] of this.accountAddresses.entries()) {
      eq(s.claimed[i], m.claimed.get(a) ?? 0n, `claimed of ${a}`);
      ok(s.claimed[i] <= (m.ledger.get(a) ?? 0n), `claimed <= cumulative for ${a}`);
    }
    ok(m.claimedTotal <= s.allocated, "claimed total <= allocated");
    // Supply conserved: all holders, the slash recipient included, hold the whole supply, each as modelled.
    let sum = 0n;
    for (const [i, h] of c.holders.entries()) {
      eq(s.holderBalances[i], m.wallets.get(h)!, `balance of ${h}`);
      sum += s.holderBalances[i];
    }
    eq(sum, s.totalSupply, "supply conserved");
    eq(s.totalSupply, c.totalSupply, "total supply unchanged");
    // The round's phase as modelled.
    if (r) eq(BigInt(s.phase), BigInt(m.phase(r, m.now)), "phase");
  }
}

/** Cheap assertions: the message is only used on failure. */
function eq(actual: bigint, expected: bigint, what: string) {
  if (actual !== expected) expect.fail(`${what}: expected ${expected}, got ${actual}`);
}
function ok(cond: boolean, what: string) {
  if (!cond) expect.fail(what);
}

describe("Invariants (fast-check)", function () {
  this.timeout(0);

  it(`hold after every step of ${RUNS} random sequences of 10-25 actions`, async function () {
    await fc.assert(
      fc.asyncProperty(fc.array(actionArb, { minLength: 10, maxLength: 25 }), async (actions) => {
        const c = await loadFixture(invariantFixture);
        const m = new Model();
        m.now = BigInt(await time.latest());
        for (const [h, b] of c.initialBalances) m.wallets.set(h, b);
        for (const [i, e] of c.sys.acc.evaluators.entries()) m.stake(e.address, Role.Evaluator).active = BigInt(100 + 50 * i) * TOKEN;
        const ir = c.initialRound;
        Object.assign(m.stake(c.sys.acc.evaluators[4].address, Role.Evaluator), {
          active: 300n * TOKEN - INITIAL_QUEUED,
          queued: INITIAL_QUEUED,
          unlock: ir.e4Unlock,
        });
        m.roundCount = 1n;
        m.funded = ROUND1_INF + ROUND1_EV;
        Object.assign(m.pool(1n), { inf: ROUND1_INF, ev: ROUND1_EV });
        m.current = {
          id: 1n,
          status: "Active",
          commitDeadline: ir.commitDeadline,
          revealDeadline: ir.revealDeadline,
          settleStart: ir.revealDeadline,
          challengeEnd: 0n,
          vetoes: 0,
          attempt: 1,
          ctx: { roundId: 1n, seed: ir.seed, tasks: [], taskTree: undefined as never, assignment: ir.assignment, tree: ir.tree },
          commits: new Map(),
          revealed: new Set(),
        };
        const runner = new Runner(c, m);
        for (const a of actions) {
          await runner.run(a);
          await runner.check();
          stats.steps++;
        }
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: true },
    );
    console.log(`      ${JSON.stringify(stats)}`);
    if (RUNS >= 100) {
      // The sequences reach every part of the protocol, not just the cheap actions.
      for (const k of ["finalized", "claims", "doubleClaims", "slashes", "vetoes", "withdrawals", "cancels"] as const) {
        expect(stats[k], k).to.be.greaterThan(0);
      }
    }
  });
});
