import { expect } from "chai";
import { ethers, network } from "hardhat";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { ContractTransactionResponse, BaseContract } from "ethers";
import type { Address, Hex } from "viem";
import { buildAssignmentTree, tasksHash } from "../../src/chain/encoding";
import type { SumTree } from "../../src/rewards/sumTree";
import type { InvariantProbe } from "../../typechain-types";
import { Role, Status, TOKEN, deploySystem, lifetimeOf, paramsWith, type Params } from "./fixtures";
import { call } from "./governance";
import { PAYLOAD_CID, addr, buildSettlement, claimProof, fullRound, makeCommit, makeSettlementCommit, sortAddresses, type Built, type Commit } from "./round";

/**
 * A stateful model of the whole system (rounds, stakes, pools, claims, challenges, governance) that predicts the
 * outcome of every action the invariant campaign takes (success, a no-op, or the exact custom error), and the
 * invariants checked after every step. Time is driven explicitly: every transaction is mined one second after the
 * previous block, so the model knows each transaction's block timestamp and number.
 */

/* PARAMETERS OF THE CAMPAIGN */

export const CAMPAIGN_PARAMS: Params = paramsWith({
  assignDuration: 100,
  commitDuration: 50,
  revealDuration: 50,
  settleWindow: 200,
  settleCommitDuration: 20,
  settleRevealDuration: 20,
  challengeDuration: 40,
  responseDuration: 30,
  maxTasks: 10,
  seedDelay: 1,
  k: 1,
  quorum: 2,
  maxVetoes: 1,
  maxExtensions: 2,
  maxOpenRounds: 3,
  nonRevealSlashBps: 1_000,
  lowTrustSlashBps: 500,
  maxLowTrustSlashes: 4,
  challengeRewardBps: 5_000,
  failedChallengeBps: 1_000,
  maxRoundPools: 1_000n * TOKEN,
  minRelayerBond: 500n * TOKEN,
  minChallengeBond: 10n * TOKEN,
  goldPoolRoot: ethers.ZeroHash as Hex,
  goldPoolSize: 0,
});
export const CAMPAIGN_UNBONDING = 60;
export const CAMPAIGN_DELAY = CAMPAIGN_UNBONDING + lifetimeOf(CAMPAIGN_PARAMS) + 60;
const MIN_STAKE = 10n * TOKEN;
const VAULT_CAP = 2_000n;
const TASKS = 2;
const BPS = 10_000n;

/** Hostile governance operations the owner may queue (each through the timelock). */
export const HOSTILE_OPS = ["slashRecipient", "maxSlash", "harsherParams", "guardian", "longerParams"] as const;
export type HostileOp = (typeof HOSTILE_OPS)[number];
const HARSHER: Params = { ...CAMPAIGN_PARAMS, nonRevealSlashBps: 3_000, lowTrustSlashBps: 3_000, challengeDuration: 60 };
/** Parameters whose longest round the timelock's delay does not cover: refused when executed. */
const LONGER: Params = { ...CAMPAIGN_PARAMS, settleWindow: CAMPAIGN_PARAMS.settleWindow + 200 };

/* MODEL TYPES */

type Queue = { amount: bigint; unlock: bigint }[];
type StakeM = { active: bigint; queue: Queue };
type StatusM = "Registered" | "Active" | "Accepted" | "Finalized" | "Cancelled";
type SettleKind = "honest" | "misdirect" | "lowTrust" | "lowering";
type Accepted = { built: Built; kind: SettleKind; voters: HardhatEthersSigner[] };
type RoundM = {
  id: bigint;
  version: number;
  status: StatusM;
  registeredAt: bigint;
  assignDeadline: bigint;
  expiresAt: bigint;
  seedBlock: bigint;
  seedDrawn: boolean;
  commitDeadline: bigint;
  revealDeadline: bigint;
  attempt: number;
  attemptStart: bigint;
  votes: Map<string, number>; // relayer → attempt it committed in
  vetoes: number;
  extensions: number;
  challengeEnd: bigint;
  accepted?: Accepted;
  finalBuilt?: Built;
  assignment?: Map<Address, number[]>;
  tree?: ReturnType<typeof buildAssignmentTree>;
  commits: Map<Address, Commit>;
  revealed: Set<Address>;
  slashed: Set<Address>;
  taskRoot: string;
  nodes: Address[];
};
type PoolM = { inf: bigint; ev: bigint; paidInf: bigint; paidEv: bigint; state: "Open" | "Settled" | "Cancelled"; contributions: Map<string, { inf: bigint; ev: bigint; refunded: boolean }> };
type ChallengeM = { id: bigint; round: bigint; attempt: number; deadline: bigint; bond: bigint; open: boolean; hash: string };
type OpM = { kind: HostileOp; id: string; target: unknown; readyAt: bigint; execute: () => Promise<ContractTransactionResponse>; done: boolean };

type Expected = { ok: true } | { noop: true } | { error: string; args?: unknown[]; on?: BaseContract };

export type World = Awaited<ReturnType<typeof buildWorld>>;

/* FIXTURE */

export async function campaignFixture() {
  const sys = await deploySystem({ params: CAMPAIGN_PARAMS, unbonding: CAMPAIGN_UNBONDING, delay: CAMPAIGN_DELAY, vaultMaxSlashBps: Number(VAULT_CAP), minimums: [MIN_STAKE, MIN_STAKE, CAMPAIGN_PARAMS.minRelayerBond] });
  // A fourth relayer: the two honest ones (H1, H2) and two adversarial ones (A1, A2) each make a quorum of two.
  const a2 = sys.acc.spare[0];
  const tl = sys.timelock.connect(sys.acc.proposer);
  const c = await call(sys.config, "setRelayer", [a2.address, true]);
  await tl.schedule(c.target, 0, c.data, ethers.ZeroHash, ethers.id("a2"), CAMPAIGN_DELAY);
  await ethers.provider.send("evm_increaseTime", [CAMPAIGN_DELAY]);
  await tl.execute(c.target, 0, c.data, ethers.ZeroHash, ethers.id("a2"));
  const relayers = [...sys.relayers, a2];
  for (const r of relayers) await sys.vault.connect(r).stake(Role.Relayer, CAMPAIGN_PARAMS.minRelayerBond);
  const evaluators = sys.acc.evaluators.slice(0, 4);
  for (const [i, e] of evaluators.entries()) await sys.vault.connect(e).stake(Role.Evaluator, BigInt(100 + 50 * i) * TOKEN);
  const nodes = sys.acc.nodes.slice(0, 2);
  for (const n of nodes) await sys.vault.connect(n).stake(Role.Inference, 20n * TOKEN);
  const probe = (await ethers.deployContract("InvariantProbe")) as InvariantProbe;
  // Round 1 runs honestly to the end, so every sequence starts with earlier allotments to claim, challenge or lower.
  const full = { ...sys, relayers };
  const r1 = await fullRound(full, new Map(), { n: TASKS, inference: R1_POOLS.inf, evaluator: R1_POOLS.ev, tag: "campaign-round-1" });
  return { sys: full, probe, r1 };
}

const R1_POOLS = { inf: 400n * TOKEN, ev: 200n * TOKEN };

export async function buildWorld(fx: Awaited<ReturnType<typeof campaignFixture>>) {
  const { sys, probe } = fx;
  const [H1, H2, A1, A2] = sys.relayers;
  const evaluators = sys.acc.evaluators.slice(0, 4);
  const nodes = sys.acc.nodes.slice(0, 2);
  const funders = [sys.acc.funder, sys.acc.outsider];
  const challenger = sys.acc.challenger;
  const owner = sys.acc.proposer;
  const accounts = [...nodes, ...evaluators, H1, H2, A1, A2];
  const vaultAddress = await sys.vault.getAddress();
  const distributorAddress = await sys.distributor.getAddress();
  const challengesAddress = await sys.challenges.getAddress();
  const holders = [
    ...new Set([
      ...(await ethers.getSigners()).map((a) => a.address),
      ...accounts.map((a) => a.address),
      ...funders.map((f) => f.address),
      challenger.address,
      owner.address,
      sys.acc.treasury.address,
      sys.acc.guardian.address,
      sys.acc.deployer.address,
      vaultAddress,
      distributorAddress,
      sys.rewardVault,
      challengesAddress,
    ]),
  ];
  const probeArgs = [vaultAddress, distributorAddress, await sys.settlement.getAddress(), await sys.token.getAddress()] as const;
  const first = await probe.snapshot(...probeArgs, 0, accounts.map((a) => a.address), holders);
  const latest = (await ethers.provider.getBlock("latest"))!;

  const stakes = new Map<string, StakeM>();
  const stakeKey = (a: string, role: number) => `${addr(a)}/${role}`;
  for (const [i, a] of accounts.entries()) {
    const rows: [number, bigint, bigint][] = [
      [Role.Inference, first.inferenceActive[i], first.inferenceQueued[i]],
      [Role.Evaluator, first.evaluatorActive[i], first.evaluatorQueued[i]],
      [Role.Relayer, first.relayerActive[i], first.relayerQueued[i]],
    ];
    for (const [role, active, queued] of rows) {
      if (queued !== 0n) throw new Error("campaign fixture has queued stake");
      stakes.set(stakeKey(a.address, role), { active, queue: [] });
    }
  }

  const m = {
    now: BigInt(latest.timestamp),
    block: BigInt(latest.number),
    versions: [CAMPAIGN_PARAMS, CAMPAIGN_PARAMS] as Params[], // index = version (1-based)
    version: 1,
    vaultCap: VAULT_CAP,
    slashRecipient: sys.acc.treasury.address,
    guardian: sys.acc.guardian as HardhatEthersSigner,
    rounds: new Map<bigint, RoundM>(),
    count: 0n,
    lastClosed: 0n,
    pools: new Map<bigint, PoolM>(),
    funded: 0n,
    allocated: 0n,
    refunded: 0n,
    claimedTotal: 0n,
    ledger: new Map<Address, bigint>(),
    tree: undefined as SumTree | undefined,
    rootBuilt: undefined as Built | undefined,
    claimed: new Map<Address, bigint>(),
    books: new Map<Address, { lastRound: bigint; unrevealed: number }>(),
    challenges: [] as ChallengeM[],
    challengeCount: 0n,
    ops: [] as OpM[],
    stakes,
    totalSupply: first.totalSupply,
    lastClosedSeen: 0n,
    /** Token balances of every holder, as the model moves them. */
    wallets: new Map<Address, bigint>(holders.map((h, i) => [addr(h), first.holderBalances[i]])),
    challengeBonds: 0n,
    /** What happened, for the campaign's report. */
    stats: {} as Record<string, number>,
  };
  const stat = (k: string) => (m.stats[k] = (m.stats[k] ?? 0) + 1);
  // Round 1 (run by the fixture) as the model would have it.
  {
    const r1 = fx.r1;
    const round = await sys.settlement.getRound(1);
    const s1 = r1.built.settlement;
    m.rounds.set(1n, {
      id: 1n,
      version: 1,
      status: "Finalized",
      registeredAt: round.registeredAt,
      assignDeadline: round.assignDeadline,
      expiresAt: round.expiresAt,
      seedBlock: round.seedBlock,
      seedDrawn: true,
      commitDeadline: round.commitDeadline,
      revealDeadline: round.revealDeadline,
      attempt: Number(round.attempt),
      attemptStart: round.attemptStart,
      votes: new Map(),
      vetoes: 0,
      extensions: 0,
      challengeEnd: round.challengeEnd,
      finalBuilt: r1.built,
      assignment: r1.ctx.assignment,
      tree: r1.ctx.tree,
      commits: r1.commits,
      revealed: new Set(r1.revealers),
      slashed: new Set(),
      taskRoot: round.taskRoot,
      nodes: r1.ctx.tasks.map((t) => t.node),
    });
    m.count = 1n;
    m.lastClosed = 1n;
    m.lastClosedSeen = 1n;
    m.pools.set(1n, { inf: R1_POOLS.inf, ev: R1_POOLS.ev, paidInf: s1.inferencePaid, paidEv: s1.evaluatorPaid, state: "Settled", contributions: new Map([[sys.acc.funder.address, { inf: R1_POOLS.inf, ev: R1_POOLS.ev, refunded: false }]]) });
    m.funded = R1_POOLS.inf + R1_POOLS.ev;
    m.allocated = s1.cumulativeTotal;
    m.ledger = new Map(r1.built.ledger);
    m.rootBuilt = r1.built;
    for (const a of [...r1.commits.keys(), addr(H1.address), addr(H2.address)]) m.books.set(addr(a), { lastRound: 1n, unrevealed: 0 });
  }
  function pay(to: string, amount: bigint) {
    const k = addr(to);
    m.wallets.set(k, (m.wallets.get(k) ?? 0n) + amount);
  }

  /* TIME */

  /** The next transaction runs at (now + 1, block + 1). */
  async function send(fn: () => Promise<ContractTransactionResponse>) {
    await network.provider.send("evm_setNextBlockTimestamp", [Number(m.now + 1n)]);
    m.now += 1n;
    m.block += 1n;
    return fn();
  }
  async function advance(seconds: bigint) {
    if (seconds <= 0n) return;
    m.now += seconds;
    await network.provider.send("evm_setNextBlockTimestamp", [Number(m.now)]);
    await network.provider.send("evm_mine", []);
    m.block += 1n;
  }
  /** Moves so that the next transaction runs at timestamp `t` (no-op if it is already at or past it). */
  async function nextAt(t: bigint) {
    if (t - 1n > m.now) await advance(t - 1n - m.now);
  }
  async function mineBlocks(n: bigint) {
    for (let i = 0n; i < n; i++) await advance(1n);
  }

  /* STAKES */

  const stakeOf = (a: string, role: number) => stakes.get(stakeKey(a, role))!;
  const total = (s: StakeM) => s.active + s.queue.reduce((x, q) => x + q.amount, 0n);
  function take(s: StakeM, amount: bigint) {
    const fromActive = amount <= s.active ? amount : s.active;
    s.active -= fromActive;
    let rest = amount - fromActive;
    for (let i = s.queue.length - 1; i >= 0 && rest > 0n; i--) {
      const part = s.queue[i].amount <= rest ? s.queue[i].amount : rest;
      s.queue[i].amount -= part;
      rest -= part;
    }
  }
  /** Vault.slash: ceil(total × bps / 10000) from active first, to the slash recipient. */
  function slash(a: string, bps: bigint) {
    const s = stakeOf(a, Role.Evaluator);
    const t = total(s);
    if (t === 0n || bps === 0n) return 0n;
    const amount = (t * bps + BPS - 1n) / BPS;
    take(s, amount);
    return amount;
  }
  const capped = (bps: number) => (BigInt(bps) > m.vaultCap ? m.vaultCap : BigInt(bps));
  const eligible = (a: string) => stakeOf(a, Role.Evaluator).active >= MIN_STAKE;
  const book = (a: string) => {
    const k = addr(a);
    if (!m.books.has(k)) m.books.set(k, { lastRound: 0n, unrevealed: 0 });
    return m.books.get(k)!;
  };
  const locked = (a: string) => book(a).unrevealed > 0 || book(a).lastRound > m.lastClosed;

  /* ROUNDS */

  const P = (r: RoundM) => m.versions[r.version];
  function openCount(id: bigint, attempt: number) {
    return m.challenges.filter((c) => c.open && c.round === id && c.attempt === attempt).length;
  }
  /** `_phase` at a transaction with block timestamp `t` and number `b`. */
  function phase(r: RoundM, t = m.now + 1n, b = m.block + 1n): string {
    switch (r.status) {
      case "Active":
        if (t < r.commitDeadline) return "Commit";
        if (t < r.revealDeadline) return "Reveal";
        return t < r.expiresAt ? "Settle" : "Expired";
      case "Accepted":
        if (t < r.challengeEnd) return "Challenge";
        return openCount(r.id, r.attempt) > 0 ? "Challenge" : "Finalizable";
      case "Registered":
        if (t >= r.assignDeadline) return "Expired";
        if (!r.seedDrawn) return b > r.seedBlock + 256n ? "Expired" : "Seeding";
        return "Assigning";
      default:
        return r.status;
    }
  }
  const PhaseNum: Record<string, number> = { None: 0, Seeding: 1, Assigning: 2, Commit: 3, Reveal: 4, Settle: 5, Challenge: 6, Finalizable: 7, Finalized: 8, Cancelled: 9, Expired: 10 };
  const isClosed = (id: bigint) => {
    const s = m.rounds.get(id)?.status;
    return s === "Finalized" || s === "Cancelled";
  };
  function advanceClosed() {
    let next = m.lastClosed;
    const end = m.count - next > 32n ? next + 32n : m.count;
    while (next < end && isClosed(next + 1n)) next++;
    m.lastClosed = next;
  }
  function reopen(r: RoundM) {
    const p = P(r);
    r.status = "Active";
    r.challengeEnd = 0n;
    r.accepted = undefined;
    r.attemptStart = 0n;
    if (r.extensions < p.maxExtensions) {
      r.extensions += 1;
      r.expiresAt += BigInt(p.settleCommitDuration + p.settleRevealDuration + p.challengeDuration + p.responseDuration);
    }
  }
  const pool = (id: bigint) => {
    if (!m.pools.has(id)) m.pools.set(id, { inf: 0n, ev: 0n, paidInf: 0n, paidEv: 0n, state: "Open", contributions: new Map() });
    return m.pools.get(id)!;
  };

  /* OUTCOMES */

  async function outcome(tx: () => Promise<ContractTransactionResponse>, e: Expected) {
    stat("error" in e ? `revert:${e.error}` : "noop" in e ? "noop" : "ok");
    if ("error" in e) {
      await expect(send(tx)).to.be.revertedWithCustomError(e.on ?? sys.settlement, e.error).withArgs(...(e.args ?? []));
    } else {
      await (await send(tx)).wait();
    }
  }

  const world = {
    sys,
    m,
    actors: { H1, H2, A1, A2, evaluators, nodes, funders, challenger, owner, accounts },
    phase,
    send,
    advance,
    nextAt,
    stakeOf,
    total,
    locked,

    /* ACTIONS */

    async register(relayer: HardhatEthersSigner, n = TASKS) {
      const p = m.versions[m.version];
      const bond = stakeOf(relayer.address, Role.Relayer).active;
      const taskRoot = ethers.id(`campaign/${m.count + 1n}/${m.now}`);
      const reg = { taskRoot, taskCount: n, goldCommitment: ethers.ZeroHash, manifestCid: "0x" };
      const tx = () => sys.settlement.connect(relayer).registerTasks(reg);
      if (bond < p.minRelayerBond) return outcome(tx, { error: "SettlementBondTooLow", args: [relayer.address, bond, p.minRelayerBond] });
      const before = m.lastClosed;
      advanceClosed();
      const open = m.count - m.lastClosed;
      if (open >= BigInt(p.maxOpenRounds)) {
        m.lastClosed = before; // the revert undoes the pointer move
        return outcome(tx, { error: "SettlementTooManyOpenRounds", args: [open, p.maxOpenRounds] });
      }
      await outcome(tx, { ok: true });
      const id = ++m.count;
      stat("registered");
      const t = m.now;
      m.rounds.set(id, {
        id,
        version: m.version,
        status: "Registered",
        registeredAt: t,
        assignDeadline: t + BigInt(p.assignDuration),
        expiresAt: t + BigInt(p.assignDuration + p.commitDuration + p.revealDuration + p.settleWindow),
        seedBlock: m.block + BigInt(p.seedDelay),
        seedDrawn: false,
        commitDeadline: 0n,
        revealDeadline: 0n,
        attempt: 0,
        attemptStart: 0n,
        votes: new Map(),
        vetoes: 0,
        extensions: 0,
        challengeEnd: 0n,
        commits: new Map(),
        revealed: new Set(),
        slashed: new Set(),
        taskRoot,
        nodes: Array.from({ length: n }, (_, i) => addr(nodes[i % nodes.length].address)),
      });
    },

    /** The honest relayers draw the seed and vote for the assignment (every eligible evaluator, every task). */
    async assign(r: RoundM) {
      if (r.status !== "Registered") {
        // A vote after acceptance is a no-op; on a cancelled round without a root the seed draw refuses.
        if (r.status === "Cancelled" && !r.tree) {
          const ph = phase(r);
          return outcome(() => sys.settlement.connect(H1).proposeAssignment(r.id, ethers.id("x")), r.seedDrawn ? { error: "SettlementWrongPhase", args: [r.id, PhaseNum.Assigning, PhaseNum[ph]] } : { error: "SettlementWrongPhase", args: [r.id, PhaseNum.Seeding, PhaseNum[ph]] });
        }
        return outcome(() => sys.settlement.connect(H1).proposeAssignment(r.id, ethers.id("late")), { noop: true });
      }
      const who = evaluators.filter((e) => eligible(e.address));
      if (who.length === 0) return;
      if (!r.seedDrawn && m.block + 1n <= r.seedBlock) await mineBlocks(r.seedBlock - m.block);
      const assignment = new Map<Address, number[]>(who.map((e) => [addr(e.address), Array.from({ length: r.nodes.length }, (_, i) => i)]));
      const tree = buildAssignmentTree(assignment);
      const ph = phase(r);
      if (ph === "Expired") {
        return outcome(() => sys.settlement.connect(H1).proposeAssignment(r.id, tree.root), { error: "SettlementWrongPhase", args: [r.id, r.seedDrawn ? PhaseNum.Assigning : PhaseNum.Seeding, PhaseNum.Expired] });
      }
      await outcome(() => sys.settlement.connect(H1).proposeAssignment(r.id, tree.root), { ok: true });
      r.seedDrawn = true;
      if (m.now + 1n >= r.assignDeadline) {
        return outcome(() => sys.settlement.connect(H2).proposeAssignment(r.id, tree.root), { error: "SettlementWrongPhase", args: [r.id, PhaseNum.Assigning, PhaseNum.Expired] });
      }
      await outcome(() => sys.settlement.connect(H2).proposeAssignment(r.id, tree.root), { ok: true });
      const p = P(r);
      stat("assigned");
      r.status = "Active";
      r.assignment = assignment;
      r.tree = tree;
      r.commitDeadline = m.now + BigInt(p.commitDuration);
      r.revealDeadline = r.commitDeadline + BigInt(p.revealDuration);
    },

    async commit(r: RoundM, e: HardhatEthersSigner) {
      if (!r.assignment?.has(addr(e.address))) return;
      const c = await makeCommit(sys, r.id, e.address, Array.from({ length: r.nodes.length }, (_, i) => 4_000 + 1_000 * i));
      const ph = phase(r);
      const tx = () => sys.settlement.connect(e).commitScores(r.id, c.commitment);
      if (ph !== "Commit") return outcome(tx, { error: "SettlementWrongPhase", args: [r.id, PhaseNum.Commit, PhaseNum[ph]] });
      if (r.commits.has(addr(e.address))) return outcome(tx, { error: "SettlementAlreadyCommitted", args: [r.id, e.address] });
      await outcome(tx, { ok: true });
      stat("committed");
      r.commits.set(addr(e.address), c);
      const b = book(e.address);
      b.unrevealed += 1;
      if (b.lastRound < r.id) b.lastRound = r.id;
    },

    async reveal(r: RoundM, e: HardhatEthersSigner) {
      const c = r.commits.get(addr(e.address));
      if (!c || !r.tree) return;
      let proof: Hex[] = [];
      for (const [i, v] of r.tree.entries()) if (v[0] === addr(e.address)) proof = r.tree.getProof(i) as Hex[];
      const th = tasksHash(r.assignment!.get(addr(e.address))!);
      const tx = () => sys.settlement.connect(e).revealScores(r.id, c.packed, c.salt, th, proof);
      const ph = phase(r);
      if (ph !== "Reveal") return outcome(tx, { error: "SettlementWrongPhase", args: [r.id, PhaseNum.Reveal, PhaseNum[ph]] });
      if (r.revealed.has(addr(e.address))) return outcome(tx, { error: "SettlementAlreadyRevealed", args: [r.id, e.address] });
      await outcome(tx, { ok: true });
      stat("revealed");
      r.revealed.add(addr(e.address));
      book(e.address).unrevealed -= 1;
    },

    async slashNonRevealer(r: RoundM, e: HardhatEthersSigner) {
      const a = addr(e.address);
      const tx = () => sys.settlement.connect(challenger).slashNonRevealer(r.id, a);
      if (r.revealDeadline === 0n || m.now + 1n < r.revealDeadline) return outcome(tx, { error: "SettlementRevealOpen", args: [r.id, r.revealDeadline] });
      if (!r.commits.has(a)) return outcome(tx, { error: "SettlementNotCommitted", args: [r.id, a] });
      if (r.revealed.has(a)) return outcome(tx, { error: "SettlementAlreadyRevealed", args: [r.id, a] });
      if (r.slashed.has(a)) return outcome(tx, { noop: true });
      await outcome(tx, { ok: true });
      stat("nonRevealSlashed");
      r.slashed.add(a);
      book(a).unrevealed -= 1;
      const amount = slash(a, capped(P(r).nonRevealSlashBps));
      pay(vaultAddress, -amount);
      pay(m.slashRecipient, amount);
    },

    /** The adversarial minority (A1 alone) commits a junk settlement: it starts an attempt or joins the open one. */
    async minorityCommit(r: RoundM) {
      const p = P(r);
      const commitment = ethers.id(`junk/${r.id}/${m.now}`);
      const tx = () => sys.settlement.connect(A1).commitSettlement(r.id, commitment);
      const ph = phase(r);
      if (ph !== "Settle") return outcome(tx, { error: "SettlementWrongPhase", args: [r.id, PhaseNum.Settle, PhaseNum[ph]] });
      const bond = stakeOf(A1.address, Role.Relayer).active;
      if (bond < p.minRelayerBond) return outcome(tx, { error: "SettlementBondTooLow", args: [A1.address, bond, p.minRelayerBond] });
      const before = m.lastClosed;
      if (m.lastClosed + 1n < r.id) advanceClosed();
      if (m.lastClosed + 1n < r.id) {
        m.lastClosed = before;
        return outcome(tx, { error: "SettlementPreviousRoundOpen", args: [r.id, before] });
      }
      const t = m.now + 1n;
      const span = BigInt(p.settleCommitDuration + p.settleRevealDuration);
      let attempt = r.attempt;
      let start = r.attemptStart;
      if (start === 0n || t >= start + span) {
        start = t;
        attempt += 1;
      }
      if (t >= start + BigInt(p.settleCommitDuration)) {
        m.lastClosed = before;
        return outcome(tx, { error: "SettlementCommitsClosed", args: [r.id, attempt] });
      }
      if (r.votes.get(A1.address) === attempt) {
        m.lastClosed = before;
        return outcome(tx, { error: "SettlementAlreadyVoted", args: [r.id, A1.address, attempt] });
      }
      await outcome(tx, { ok: true });
      r.attempt = attempt;
      r.attemptStart = start;
      stat("minorityCommitted");
      r.votes.set(A1.address, attempt);
      const b = book(A1.address);
      if (b.lastRound < r.id) b.lastRound = r.id;
    },

    /** A quorum settles: the honest pair, or the adversarial pair misdirecting the pools, slashing every revealer for low trust or lowering an earlier allotment (then the watcher challenges at once). */
    async settle(r: RoundM, kind: SettleKind) {
      const pair = kind === "honest" ? [H1, H2] : [A1, A2];
      const p = P(r);
      const built = buildFor(r, kind);
      if (!built) return;
      const firstTx = async () => sys.settlement.connect(pair[0]).commitSettlement(r.id, (await makeSettlementCommit(sys, pair[0].address, r.id, built.settlement, BigInt(planAttempt(r).attempt))).commitment);
      const ph = phase(r);
      if (ph !== "Settle") return outcome(firstTx, { error: "SettlementWrongPhase", args: [r.id, PhaseNum.Settle, PhaseNum[ph]] });
      for (const x of pair) {
        const bond = stakeOf(x.address, Role.Relayer).active;
        if (bond < p.minRelayerBond) {
          if (x === pair[0]) return outcome(firstTx, { error: "SettlementBondTooLow", args: [x.address, bond, p.minRelayerBond] });
          return; // the second relayer would refuse: nothing happens
        }
      }
      const before = m.lastClosed;
      if (m.lastClosed + 1n < r.id) advanceClosed();
      if (m.lastClosed + 1n < r.id) {
        m.lastClosed = before;
        return outcome(firstTx, { error: "SettlementPreviousRoundOpen", args: [r.id, before] });
      }
      m.lastClosed = before;
      // Wait for a usable attempt: one whose commit window is open for both and in which neither voted.
      const span = BigInt(p.settleCommitDuration + p.settleRevealDuration);
      let plan = planAttempt(r);
      if (!plan.fresh && (m.now + 2n >= r.attemptStart + BigInt(p.settleCommitDuration) || pair.some((x) => r.votes.get(x.address) === plan.attempt))) {
        await nextAt(r.attemptStart + span);
        plan = planAttempt(r);
      }
      if (phase(r) !== "Settle") return; // ran out of time while waiting: the round expired
      const commits: { salt: Hex }[] = [];
      for (const x of pair) {
        const k = await makeSettlementCommit(sys, x.address, r.id, built.settlement, BigInt(plan.attempt));
        if (m.lastClosed + 1n < r.id) advanceClosed();
        await outcome(() => sys.settlement.connect(x).commitSettlement(r.id, k.commitment), { ok: true });
        if (plan.fresh && x === pair[0]) {
          r.attempt = plan.attempt;
          r.attemptStart = m.now;
        }
        r.votes.set(x.address, plan.attempt);
        const b = book(x.address);
        if (b.lastRound < r.id) b.lastRound = r.id;
        commits.push(k);
      }
      await nextAt(r.attemptStart + BigInt(p.settleCommitDuration));
      for (const [i, x] of pair.entries()) {
        const tx = () => sys.settlement.connect(x).revealSettlement(r.id, built.settlement, commits[i].salt, PAYLOAD_CID);
        const ph2 = phase(r);
        if (ph2 !== "Settle") return outcome(tx, { error: "SettlementWrongPhase", args: [r.id, PhaseNum.Settle, PhaseNum[ph2]] });
        await outcome(tx, { ok: true });
      }
      r.status = "Accepted";
      r.challengeEnd = m.now + BigInt(p.challengeDuration);
      stat(`accepted:${kind}`);
      r.accepted = { built, kind, voters: pair };
      if (kind === "lowering") await world.watcherChallenges(r);
    },

    /** The permissionless watcher: challenges a settlement that lowers an earlier allotment (it never finalizes). */
    async watcherChallenges(r: RoundM) {
      const acc = r.accepted!;
      const victim = lowered(acc.built);
      if (!victim || !m.rootBuilt) return;
      const pr = claimProof(m.rootBuilt, victim);
      await outcome(() => sys.challenges.connect(challenger).challengeAccount(r.id, acc.built.settlement, victim, pr.cumulativeAmount, pr.index, pr.proof), { ok: true });
      const p = P(r);
      stat("watcherChallenged");
      m.challenges.push({ id: ++m.challengeCount, round: r.id, attempt: r.attempt, deadline: m.now + BigInt(p.responseDuration), bond: p.minChallengeBond, open: true, hash: acc.built.hash });
      pay(challenger.address, -p.minChallengeBond);
      pay(challengesAddress, p.minChallengeBond);
      m.challengeBonds += p.minChallengeBond;
    },

    /** A griefer challenges an accepted settlement for an allotment it keeps; an honest relayer answers at once. */
    async frivolousChallenge(r: RoundM) {
      const acc = r.accepted;
      if (r.status !== "Accepted" || !acc || !m.rootBuilt || m.now + 1n >= r.challengeEnd || acc.kind === "lowering") return;
      const victim = [...m.ledger.keys()].find((a) => m.ledger.get(a)! > 0n);
      if (!victim) return;
      const p = P(r);
      const pr = claimProof(m.rootBuilt, victim);
      await outcome(() => sys.challenges.connect(challenger).challengeAccount(r.id, acc.built.settlement, victim, pr.cumulativeAmount, pr.index, pr.proof), { ok: true });
      const id = ++m.challengeCount;
      const q = claimProof(acc.built, victim);
      await outcome(() => sys.challenges.connect(H1).answerAccount(id, q.cumulativeAmount, q.index, q.proof), { ok: true });
      const toResponder = (p.minChallengeBond * BigInt(p.failedChallengeBps)) / BPS;
      pay(challenger.address, -toResponder);
      pay(H1.address, toResponder);
      stat("frivolousAnswered");
      m.challenges.push({ id, round: r.id, attempt: r.attempt, deadline: 0n, bond: 0n, open: false, hash: acc.built.hash });
    },

    async resolve(c: ChallengeM) {
      const tx = () => sys.challenges.connect(sys.acc.outsider).resolve(c.id);
      if (!c.open) return outcome(tx, { error: "ChallengeNotOpen", args: [c.id], on: sys.challenges });
      const r = m.rounds.get(c.round)!;
      const current = r.status === "Accepted" && r.accepted?.built.hash === c.hash && r.attempt === c.attempt;
      if (current && m.now + 1n < c.deadline) return outcome(tx, { error: "ChallengeWindow", args: [c.id, c.deadline], on: sys.challenges });
      await outcome(tx, { ok: true });
      c.open = false;
      m.challengeBonds -= c.bond;
      pay(challengesAddress, -c.bond);
      pay(challenger.address, c.bond);
      stat(current ? "upheld" : "moot");
      if (!current) return;
      const p = P(r);
      for (const v of [...r.accepted!.voters].sort((a, b) => relayerIndex(a) - relayerIndex(b))) {
        const s = stakeOf(v.address, Role.Relayer);
        const seized = total(s);
        if (seized === 0n) continue;
        take(s, seized);
        pay(vaultAddress, -seized);
        const reward = (seized * BigInt(p.challengeRewardBps)) / BPS;
        pay(challenger.address, reward);
        pay(m.slashRecipient, seized - reward);
      }
      reopen(r);
    },

    async veto(r: RoundM) {
      const g = m.guardian;
      const tx = () => sys.settlement.connect(g).vetoSettlement(r.id);
      const ph = phase(r);
      const t = m.now + 1n;
      if (!(ph === "Challenge" && t < r.challengeEnd)) return outcome(tx, { error: "SettlementWrongPhase", args: [r.id, PhaseNum.Challenge, PhaseNum[ph]] });
      if (r.vetoes >= P(r).maxVetoes) return outcome(tx, { error: "SettlementVetoLimitReached", args: [r.id, r.vetoes] });
      await outcome(tx, { ok: true });
      stat("vetoed");
      r.vetoes += 1;
      reopen(r);
    },

    async cancel(r: RoundM, byGuardian: boolean) {
      const who = byGuardian ? m.guardian : sys.acc.outsider;
      const tx = () => sys.settlement.connect(who).cancelRound(r.id);
      if (r.status === "Cancelled") return outcome(tx, { noop: true });
      const ph = phase(r);
      if (ph !== "Expired") {
        if (!byGuardian) return outcome(tx, { error: "SettlementNotGuardian", args: [who.address] });
        if (ph !== "Seeding") return outcome(tx, { error: "SettlementWrongPhase", args: [r.id, PhaseNum.Expired, PhaseNum[ph]] });
        if (m.block + 1n > r.seedBlock) return outcome(tx, { error: "SettlementSeedFixed", args: [r.id, r.seedBlock] });
      }
      await outcome(tx, { ok: true });
      stat(byGuardian && phase(r, m.now, m.block) !== "Expired" ? "guardianCancelled" : "cancelled");
      r.status = "Cancelled";
      pool(r.id).state = "Cancelled";
      advanceClosed();
    },

    async finalize(r: RoundM) {
      const built = r.accepted?.built ?? r.finalBuilt;
      if (!built) return;
      const tx = () => sys.settlement.connect(sys.acc.outsider).finalize(r.id, built.settlement);
      if (r.status === "Finalized") return outcome(tx, { noop: true });
      if (r.status !== "Accepted") return;
      const ph = phase(r);
      if (ph !== "Finalizable") return outcome(tx, { error: "SettlementWrongPhase", args: [r.id, PhaseNum.Finalizable, PhaseNum[ph]] });
      await outcome(tx, { ok: true });
      const s = built.settlement;
      // No finalized root ever lowers an account (the watcher rejected every one that tried).
      for (const [a, v] of m.ledger) expect(built.ledger.get(a) ?? 0n, `root of round ${r.id} lowers ${a}`).to.be.greaterThanOrEqual(v);
      const pl = pool(r.id);
      pl.state = "Settled";
      pl.paidInf = s.inferencePaid;
      pl.paidEv = s.evaluatorPaid;
      m.allocated = s.cumulativeTotal;
      m.ledger = new Map(built.ledger);
      m.rootBuilt = built;
      const paid = s.inferencePaid + s.evaluatorPaid;
      pay(sys.rewardVault, -paid);
      pay(distributorAddress, paid);
      for (const a of s.lowTrustSlashes) {
        if (!r.revealed.has(addr(a))) continue;
        const amount = slash(a, capped(P(r).lowTrustSlashBps));
        pay(vaultAddress, -amount);
        pay(m.slashRecipient, amount);
      }
      stat(`finalized:${r.accepted!.kind}`);
      r.status = "Finalized";
      r.finalBuilt = built;
      advanceClosed();
    },

    async fund(target: bigint, funder: HardhatEthersSigner, inf: bigint, ev: bigint) {
      const tx = () => sys.distributor.connect(funder).fundRound(target, inf, ev);
      let open = false;
      let cap = 0n;
      if (target === m.count + 1n) {
        open = true;
        cap = m.versions[m.version].maxRoundPools;
      } else if (target >= 1n && target <= m.count) {
        const r = m.rounds.get(target)!;
        open = (r.status === "Registered" && phase(r) !== "Expired") || (r.status === "Active" && m.now + 1n < r.revealDeadline);
        cap = P(r).maxRoundPools;
      }
      if (!open) return outcome(tx, { error: "DistributorFundingClosed", args: [target], on: sys.distributor });
      if (inf + ev === 0n) return outcome(tx, { error: "DistributorZeroAmount", on: sys.distributor });
      const pl = pool(target);
      const pools = pl.inf + pl.ev + inf + ev;
      if (pools > cap) return outcome(tx, { error: "DistributorAboveCap", args: [target, pools, cap], on: sys.distributor });
      await outcome(tx, { ok: true });
      pl.inf += inf;
      pl.ev += ev;
      const c = pl.contributions.get(funder.address) ?? { inf: 0n, ev: 0n, refunded: false };
      c.inf += inf;
      c.ev += ev;
      pl.contributions.set(funder.address, c);
      m.funded += inf + ev;
      pay(funder.address, -(inf + ev));
      pay(sys.rewardVault, inf + ev);
    },

    refundable(id: bigint, funder: string): bigint {
      const pl = m.pools.get(id);
      const c = pl?.contributions.get(funder);
      if (!pl || !c || c.refunded) return 0n;
      if (pl.state === "Cancelled" || id > m.count) return c.inf + c.ev;
      if (pl.state !== "Settled") return 0n;
      let amount = 0n;
      if (c.inf > 0n) amount += (c.inf * (pl.inf - pl.paidInf)) / pl.inf;
      if (c.ev > 0n) amount += (c.ev * (pl.ev - pl.paidEv)) / pl.ev;
      return amount;
    },

    async refund(id: bigint, funder: HardhatEthersSigner) {
      const amount = world.refundable(id, funder.address);
      const tx = () => sys.distributor.connect(challenger).refund(id, funder.address);
      if (amount === 0n) return outcome(tx, { error: "DistributorNothingToRefund", args: [id, funder.address], on: sys.distributor });
      await outcome(tx, { ok: true });
      const pl = m.pools.get(id)!;
      const c = pl.contributions.get(funder.address)!;
      if (id > m.count) {
        pl.inf -= c.inf;
        pl.ev -= c.ev;
        pl.contributions.delete(funder.address);
      } else c.refunded = true;
      stat("refunded");
      m.refunded += amount;
      pay(sys.rewardVault, -amount);
      pay(funder.address, amount);
    },

    async claim(account: Address) {
      const owed = m.ledger.get(account) ?? 0n;
      const done = m.claimed.get(account) ?? 0n;
      if (!m.rootBuilt || owed === 0n) return;
      const pr = claimProof(m.rootBuilt, account);
      const tx = () => sys.distributor.connect(challenger).claim(account, pr.cumulativeAmount, pr.index, pr.proof);
      if (owed <= done) return outcome(tx, { error: "DistributorNothingToClaim", args: [account, owed, done], on: sys.distributor });
      await outcome(tx, { ok: true });
      stat("claimed");
      m.claimed.set(account, owed);
      m.claimedTotal += owed - done;
      pay(distributorAddress, -(owed - done));
      pay(account, owed - done);
    },

    async stake(who: HardhatEthersSigner, role: number, amount: bigint) {
      const s = stakeOf(who.address, role);
      const min = role === Role.Relayer ? CAMPAIGN_PARAMS.minRelayerBond : MIN_STAKE;
      const tx = () => sys.vault.connect(who).stake(role, amount);
      if (s.active + amount < min) return outcome(tx, { error: "StakeVaultBelowMinimum", args: [role, s.active + amount, min], on: sys.vault });
      await outcome(tx, { ok: true });
      s.active += amount;
      pay(who.address, -amount);
      pay(vaultAddress, amount);
    },

    async unstake(who: HardhatEthersSigner, role: number, amount: bigint) {
      const s = stakeOf(who.address, role);
      const min = role === Role.Relayer ? CAMPAIGN_PARAMS.minRelayerBond : MIN_STAKE;
      const tx = () => sys.vault.connect(who).requestUnstake(role, amount);
      if (amount === 0n) return outcome(tx, { error: "StakeVaultZeroAmount", on: sys.vault });
      if (amount > s.active) return outcome(tx, { error: "StakeVaultInsufficientStake", args: [who.address, role, s.active, amount], on: sys.vault });
      const rest = s.active - amount;
      if (rest !== 0n && rest < min) return outcome(tx, { error: "StakeVaultBelowMinimum", args: [role, rest, min], on: sys.vault });
      if (s.queue.length >= 16) return outcome(tx, { error: "StakeVaultQueueFull", args: [who.address, role], on: sys.vault });
      await outcome(tx, { ok: true });
      s.active = rest;
      s.queue.push({ amount, unlock: m.now + BigInt(CAMPAIGN_UNBONDING) });
    },

    async withdraw(who: HardhatEthersSigner, role: number) {
      const s = stakeOf(who.address, role);
      const tx = () => sys.vault.connect(who).withdraw(role);
      if (role !== Role.Inference && locked(who.address)) return outcome(tx, { error: "StakeVaultWithdrawalLocked", args: [who.address], on: sys.vault });
      const t = m.now + 1n;
      let n = 0;
      let amount = 0n;
      while (n < s.queue.length && s.queue[n].unlock <= t) amount += s.queue[n++].amount;
      if (n === 0) return outcome(tx, { error: "StakeVaultNothingUnlocked", args: [who.address, role], on: sys.vault });
      await outcome(tx, { ok: true });
      stat("withdrawn");
      s.queue.splice(0, n);
      pay(vaultAddress, -amount);
      pay(who.address, amount);
    },

    /* HOSTILE GOVERNANCE (through the timelock only) */

    async schedule(kind: HostileOp) {
      let target: unknown;
      let c;
      if (kind === "slashRecipient") {
        target = m.slashRecipient === owner.address ? sys.acc.treasury.address : owner.address;
        c = await call(sys.vault, "setSlashRecipient", [target]);
      } else if (kind === "maxSlash") {
        target = m.vaultCap === 5_000n ? 1_000n : 5_000n;
        c = await call(sys.vault, "setMaxSlashBps", [target]);
      } else if (kind === "harsherParams") {
        target = m.versions[m.version] === HARSHER ? CAMPAIGN_PARAMS : HARSHER;
        c = await call(sys.config, "setParams", [target]);
      } else if (kind === "guardian") {
        target = m.guardian.address === owner.address ? sys.acc.guardian : owner;
        c = await call(sys.config, "setGuardian", [(target as HardhatEthersSigner).address]);
      } else {
        target = LONGER;
        c = await call(sys.config, "setParams", [LONGER]);
      }
      const salt = ethers.id(`hostile/${m.ops.length}`);
      await outcome(() => sys.timelock.connect(owner).schedule(c.target, 0, c.data, ethers.ZeroHash, salt, CAMPAIGN_DELAY), { ok: true });
      const id = await sys.timelock.hashOperation(c.target, 0, c.data, ethers.ZeroHash, salt);
      m.ops.push({ kind, id, target, readyAt: m.now + BigInt(CAMPAIGN_DELAY), done: false, execute: () => sys.timelock.connect(sys.acc.outsider).execute(c.target, 0, c.data, ethers.ZeroHash, salt) });
    },

    /** Executes a queued operation: refused before its delay, applied after (unless the value is already in force). */
    async execute(op: OpM) {
      const ready = ethers.zeroPadValue(ethers.toBeHex(1n << 2n), 32);
      if (op.done || m.now + 1n < op.readyAt) {
        return outcome(op.execute, { error: "TimelockUnexpectedOperationState", args: [op.id, ready], on: sys.timelock });
      }
      if (op.kind === "longerParams") {
        return outcome(op.execute, { error: "GovernanceDelayTooShort", args: [CAMPAIGN_DELAY, CAMPAIGN_UNBONDING + lifetimeOf(LONGER)], on: sys.config });
      }
      if (op.kind === "slashRecipient" && op.target === m.slashRecipient) return outcome(op.execute, { error: "StakeVaultParamUnchanged", args: ["slashRecipient"], on: sys.vault });
      if (op.kind === "maxSlash" && op.target === m.vaultCap) return outcome(op.execute, { error: "StakeVaultParamUnchanged", args: ["maxSlashBps"], on: sys.vault });
      if (op.kind === "harsherParams" && op.target === m.versions[m.version]) return outcome(op.execute, { error: "ConfigUnchanged", on: sys.config });
      if (op.kind === "guardian" && op.target === m.guardian) return outcome(op.execute, { error: "ConfigUnchanged", on: sys.config });
      await outcome(op.execute, { ok: true });
      op.done = true;
      stat(`executed:${op.kind}`);
      if (op.kind === "slashRecipient") m.slashRecipient = op.target as string;
      if (op.kind === "maxSlash") m.vaultCap = op.target as bigint;
      if (op.kind === "harsherParams") {
        m.versions.push(op.target as Params);
        m.version += 1;
      }
      if (op.kind === "guardian") m.guardian = op.target as HardhatEthersSigner;
    },

    /* INVARIANTS */

    async check() {
      const snap = await probe.snapshot(...probeArgs, 0, accounts.map((a) => a.address), holders);
      // Tokens: each contract holds exactly its books.
      expect(snap.vaultBalance, "vault = active + queued").to.equal(snap.totalActive + snap.totalQueued);
      expect(snap.rewardVaultBalance, "reward vault = funded - allocated - refunded").to.equal(snap.funded - snap.allocated - snap.refunded);
      expect(snap.distributorBalance, "distributor = allocated - claimed").to.equal(snap.allocated - m.claimedTotal);
      expect(snap.challengesBalance, "challenges = open bonds").to.equal(m.challengeBonds);
      expect([snap.funded, snap.allocated, snap.refunded]).to.deep.equal([m.funded, m.allocated, m.refunded]);
      // Supply conserved across the holders: no token went anywhere else.
      expect(snap.holderBalances.reduce((a, b) => a + b, 0n), "supply conserved").to.equal(m.totalSupply);
      for (const [i, h] of holders.entries()) expect(snap.holderBalances[i], `balance of ${h}`).to.equal(m.wallets.get(addr(h)) ?? 0n);
      // Stakes and claims, account by account, as the model has them.
      for (const [i, a] of accounts.entries()) {
        for (const [role, active, queued] of [
          [Role.Inference, snap.inferenceActive[i], snap.inferenceQueued[i]],
          [Role.Evaluator, snap.evaluatorActive[i], snap.evaluatorQueued[i]],
          [Role.Relayer, snap.relayerActive[i], snap.relayerQueued[i]],
        ] as [number, bigint, bigint][]) {
          const s = stakeOf(a.address, role);
          expect([active, queued], `stake of ${a.address} as ${role}`).to.deep.equal([s.active, total(s) - s.active]);
        }
        // Nobody claimed more than the finalized root allots it.
        expect(snap.claimed[i]).to.equal(m.claimed.get(addr(a.address)) ?? 0n);
        expect(snap.claimed[i]).to.be.lessThanOrEqual(m.ledger.get(addr(a.address)) ?? 0n);
      }
      // The closed-round pointer only moves forward and matches the model.
      const [statuses, lastClosed] = await probe.statuses(probeArgs[2]);
      expect(lastClosed).to.equal(m.lastClosed);
      expect(lastClosed).to.be.greaterThanOrEqual(m.lastClosedSeen);
      m.lastClosedSeen = lastClosed;
      expect(BigInt(statuses.length)).to.equal(m.count);
      // Round by round: the stored status as the model has it, and no round outlives its bound (past registration plus
      // its longest lifetime, every round is closed, expired, or finalizable by anyone).
      for (const r of m.rounds.values()) {
        expect(Number(statuses[Number(r.id) - 1]), `status of round ${r.id}`).to.equal(Status[r.status]);
        if (m.now >= r.registeredAt + BigInt(lifetimeOf(P(r)))) {
          // Closable by anyone: closed, expired, finalizable, or held only by challenges whose answer window is over
          // (anyone resolves them; a reopened round is then past its expiry).
          let ph = phase(r, m.now, m.block);
          const overdue = m.challenges.filter((c) => c.open && c.round === r.id && c.attempt === r.attempt).every((c) => c.deadline <= m.now);
          if (ph === "Challenge" && m.now >= r.challengeEnd && overdue) ph = "Resolvable";
          expect(["Finalized", "Cancelled", "Expired", "Finalizable", "Resolvable"], `round ${r.id} outlived its bound`).to.include(ph);
        }
      }
    },
  };

  /* HELPERS THAT NEED THE WORLD */

  const relayerIndex = (s: HardhatEthersSigner) => [H1, H2, A1, A2].indexOf(s);

  /** The attempt a commit in the next block would join or start. */
  function planAttempt(r: RoundM) {
    const p = P(r);
    const span = BigInt(p.settleCommitDuration + p.settleRevealDuration);
    const t = m.now + 1n;
    if (r.attemptStart === 0n || t >= r.attemptStart + span) return { attempt: r.attempt + 1, fresh: true };
    return { attempt: r.attempt, fresh: false };
  }

  /** The honest payout of a round, the settlement a quorum of `kind` reveals, on top of the current ledger. */
  function buildFor(r: RoundM, kind: SettleKind): Built | undefined {
    const pl = pool(r.id);
    const revealers = [...r.revealed];
    const pay = new Map<Address, bigint>();
    let inferencePaid = 0n;
    let evaluatorPaid = 0n;
    if (kind === "misdirect") {
      pay.set(addr(A1.address), pl.inf + pl.ev);
      inferencePaid = pl.inf;
      evaluatorPaid = pl.ev;
    } else {
      const perTask = pl.inf / BigInt(r.nodes.length);
      for (const n of r.nodes) {
        if (perTask === 0n) break;
        pay.set(n, (pay.get(n) ?? 0n) + perTask);
        inferencePaid += perTask;
      }
      if (revealers.length > 0) {
        const per = pl.ev / BigInt(revealers.length);
        for (const e of revealers) {
          if (per === 0n) break;
          pay.set(e, (pay.get(e) ?? 0n) + per);
          evaluatorPaid += per;
        }
      }
    }
    const ledger = new Map(m.ledger);
    for (const [a, v] of pay) ledger.set(a, (ledger.get(a) ?? 0n) + v);
    if (kind === "lowering") {
      const victim = [...m.ledger.keys()].find((a) => m.ledger.get(a)! > 0n && a !== addr(A1.address));
      if (!victim) return undefined;
      const all = ledger.get(victim)!;
      ledger.set(victim, 0n);
      ledger.set(addr(A1.address), (ledger.get(addr(A1.address)) ?? 0n) + all);
    }
    const lowTrust = kind === "lowTrust" ? sortAddresses(revealers).slice(0, P(r).maxLowTrustSlashes) : [];
    return buildSettlement({ ledger, inferencePaid, evaluatorPaid, lowTrustSlashes: lowTrust, paramsVersion: r.version, tag: `${kind}/${r.id}/${m.now}` });
  }

  /** The account a settlement lowers below the current root (if any). */
  function lowered(b: Built): Address | undefined {
    for (const [a, v] of m.ledger) if ((b.ledger.get(a) ?? 0n) < v) return a;
    return undefined;
  }

  return world;
}
