/**
 * Stateful fuzz campaign: random sequences of actions by every role, run against the contracts and a reference model
 * of them (test/helpers/invariantWorld.ts) that predicts each action's outcome (success, a no-op, or the exact custom
 * error) and, after every step, checks the invariants:
 *
 * - the vault holds exactly active + queued stake; the reward vault funded − allocated − refunded; the distributor
 *   allocated − claimed; the challenge contract the open bonds; every holder the balance the model gives it, so the
 *   token supply is conserved across the holders;
 * - stakes, claims and round statuses are what the model says; nobody claimed more than the finalized root allots it;
 *   no finalized root lowers an earlier allotment;
 * - the closed-round pointer only moves forward; no round outlives its bound (past registration plus its longest
 *   lifetime, every round is closed, expired or finalizable by anyone).
 *
 * The actors: two honest relayers (a quorum), two adversarial relayers (a quorum that misdirects pools, slashes every
 * revealer for low trust or lowers an earlier allotment, and a minority that starts settlement attempts alone and
 * registers rounds nobody assigns), evaluators that commit, reveal or do not, funders, stakers, a permissionless
 * watcher that challenges every lowering settlement and a griefer whose challenges the honest relayers answer, a guardian
 * that vetoes and cancels, and a hostile owner that can only act through the timelock. Rounds run concurrently and are
 * cancelled in any order.
 *
 * POQ_INVARIANT_RUNS sets the number of sequences (default 50 in `npm test`, which keeps it within its time budget; CI
 * runs a 200-sequence campaign as a step of its own (`npm run test:invariants`); 10 under `hardhat coverage`; `npm run
 * fuzz` runs 1,000); POQ_INVARIANT_SEED (or POQ_FUZZ_SEED, which pins every property test) replays a seed fast-check printed.
 */
import hre from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import fc from "fast-check";
import { FUZZ_SEED } from "./helpers/fastcheck";
import { Role, TOKEN } from "./helpers/fixtures";
import { CAMPAIGN_UNBONDING, HOSTILE_OPS, buildWorld, campaignFixture, type World } from "./helpers/invariantWorld";
import { addr } from "./helpers/round";

const UNDER_COVERAGE = (hre as unknown as { __SOLIDITY_COVERAGE_RUNNING?: boolean }).__SOLIDITY_COVERAGE_RUNNING === true;
const RUNS = Number(process.env.POQ_INVARIANT_RUNS ?? (UNDER_COVERAGE ? 10 : 50));
const SEED = process.env.POQ_INVARIANT_SEED === undefined ? FUZZ_SEED : Number(process.env.POQ_INVARIANT_SEED);

/* ACTIONS */

const idx = fc.nat({ max: 63 });
const kinds = ["honest", "honest", "misdirect", "lowTrust", "lowering", "lowering"] as const;
/**
 * What else happens when a round is driven: a minority starts the attempt first, the guardian vetoes, a griefer
 * challenges, an evaluator never reveals.
 */
const twists = ["none", "none", "minority", "veto", "frivolous", "nonReveal"] as const;
const action = fc.oneof(
  {
    arbitrary: fc.record({ t: fc.constant("progress" as const), n: fc.integer({ min: 1, max: 8 }), kind: fc.constantFrom(...kinds), twist: fc.constantFrom(...twists), r: idx }),
    weight: 16,
  },
  { arbitrary: fc.record({ t: fc.constant("register" as const), minority: fc.boolean() }), weight: 4 },
  { arbitrary: fc.record({ t: fc.constant("assign" as const), r: idx }), weight: 3 },
  { arbitrary: fc.record({ t: fc.constant("commit" as const), r: idx, e: idx }), weight: 3 },
  { arbitrary: fc.record({ t: fc.constant("reveal" as const), r: idx, e: idx }), weight: 3 },
  { arbitrary: fc.record({ t: fc.constant("slashNonRevealer" as const), r: idx, e: idx }), weight: 2 },
  { arbitrary: fc.record({ t: fc.constant("settle" as const), r: idx, kind: fc.constantFrom(...kinds) }), weight: 5 },
  { arbitrary: fc.record({ t: fc.constant("minority" as const), r: idx }), weight: 2 },
  { arbitrary: fc.record({ t: fc.constant("frivolous" as const), r: idx }), weight: 2 },
  { arbitrary: fc.record({ t: fc.constant("resolve" as const), c: idx }), weight: 2 },
  { arbitrary: fc.record({ t: fc.constant("veto" as const), r: idx }), weight: 2 },
  { arbitrary: fc.record({ t: fc.constant("cancel" as const), r: idx, guardian: fc.boolean() }), weight: 3 },
  { arbitrary: fc.record({ t: fc.constant("finalize" as const), r: idx }), weight: 4 },
  {
    arbitrary: fc.record({
      t: fc.constant("fund" as const),
      target: fc.integer({ min: -1, max: 63 }),
      f: fc.nat({ max: 1 }),
      inf: fc.constantFrom(0n, 1n, 50n * TOKEN, 400n * TOKEN, 900n * TOKEN),
      ev: fc.constantFrom(0n, 7n, 20n * TOKEN, 300n * TOKEN),
    }),
    weight: 4,
  },
  { arbitrary: fc.record({ t: fc.constant("refund" as const), r: fc.integer({ min: -1, max: 63 }), f: fc.nat({ max: 1 }) }), weight: 2 },
  { arbitrary: fc.record({ t: fc.constant("claim" as const), a: idx }), weight: 3 },
  { arbitrary: fc.record({ t: fc.constant("stake" as const), a: idx, amount: fc.constantFrom(1n, 5n * TOKEN, 30n * TOKEN, 500n * TOKEN) }), weight: 2 },
  { arbitrary: fc.record({ t: fc.constant("unstake" as const), a: idx, amount: fc.constantFrom(0n, 1n, 5n * TOKEN, 20n * TOKEN, 150n * TOKEN, 500n * TOKEN) }), weight: 2 },
  { arbitrary: fc.record({ t: fc.constant("withdraw" as const), a: idx, wait: fc.boolean() }), weight: 3 },
  { arbitrary: fc.record({ t: fc.constant("exit" as const), a: idx }), weight: 2 },
  { arbitrary: fc.record({ t: fc.constant("hostileSchedule" as const), op: fc.constantFrom(...HOSTILE_OPS) }), weight: 2 },
  { arbitrary: fc.record({ t: fc.constant("hostileExecute" as const), o: idx, wait: fc.boolean() }), weight: 2 },
  {
    arbitrary: fc.record({
      t: fc.constant("time" as const),
      d: fc.oneof({ arbitrary: fc.integer({ min: 1, max: 30 }), weight: 4 }, { arbitrary: fc.integer({ min: 30, max: 200 }), weight: 3 }, { arbitrary: fc.integer({ min: 200, max: 1_000 }), weight: 1 }),
    }),
    weight: 4,
  },
);
type Action = typeof action extends fc.Arbitrary<infer A> ? A : never;

/* RUNNER */

function pick<T>(xs: T[], i: number): T | undefined {
  return xs.length === 0 ? undefined : xs[i % xs.length];
}

/** Mostly a target the action fits (so sequences go deep), sometimes any target (so refusals are exercised too). */
function choose<T>(all: T[], fit: (x: T) => boolean, i: number): T | undefined {
  const good = all.filter(fit);
  return good.length > 0 && i % 4 !== 0 ? good[i % good.length] : pick(all, i);
}

/** The staker at index `a` and the role it stakes for. */
function staker(w: World, a: number) {
  const { evaluators, nodes, A1, A2 } = w.actors;
  const all = [...evaluators.map((s) => [s, Role.Evaluator] as const), ...nodes.map((s) => [s, Role.Inference] as const), [A1, Role.Relayer] as const, [A2, Role.Relayer] as const];
  return all[a % all.length];
}

/**
 * One natural step of an open round (the oldest unless `which` says otherwise), as its actors would take it; in the
 * Settle phase a quorum of `kind` settles.
 */
async function progress(w: World, kind: (typeof kinds)[number] = "honest", which = 0, twist: (typeof twists)[number] = "none") {
  const open = [...w.m.rounds.values()].filter((r) => r.status !== "Finalized" && r.status !== "Cancelled");
  const r = open[which % Math.max(open.length, 1)];
  if (!r) return w.register(w.actors.H1);
  const ph = w.phase(r);
  switch (ph) {
    case "Seeding":
    case "Assigning": {
      const pl = w.m.pools.get(r.id);
      if (!pl || pl.inf + pl.ev === 0n) return w.fund(r.id, w.actors.funders[0], 400n * TOKEN, 200n * TOKEN);
      return w.assign(r);
    }
    case "Commit":
      for (const e of w.actors.evaluators) if (r.assignment?.has(addr(e.address)) && !r.commits.has(addr(e.address))) return w.commit(r, e);
      return w.nextAt(r.commitDeadline);
    case "Reveal": {
      const pending = w.actors.evaluators.filter((e) => r.commits.has(addr(e.address)) && !r.revealed.has(addr(e.address)));
      // With the nonReveal twist the last committed evaluator never reveals (and is slashable once the window ends).
      if (pending.length > (twist === "nonReveal" ? 1 : 0)) return w.reveal(r, pending[0]);
      return w.nextAt(r.revealDeadline);
    }
    case "Settle": {
      if (twist === "minority" && r.votes.get(w.actors.A1.address) !== r.attempt + 1) await w.minorityCommit(r);
      if (twist === "nonReveal") {
        const e = w.actors.evaluators.find((x) => r.commits.has(addr(x.address)) && !r.revealed.has(addr(x.address)) && !r.slashed.has(addr(x.address)));
        if (e) await w.slashNonRevealer(r, e);
      }
      // An adversarial quorum whose bonds were seized posts new ones to try again.
      if (kind !== "honest") {
        for (const x of [w.actors.A1, w.actors.A2]) {
          const short = w.m.versions[r.version].minRelayerBond - w.stakeOf(x.address, Role.Relayer).active;
          if (short > 0n) await w.stake(x, Role.Relayer, short);
        }
      }
      return w.settle(r, kind);
    }
    case "Challenge": {
      if (twist === "veto" && r.vetoes < w.m.versions[r.version].maxVetoes && w.m.now + 1n < r.challengeEnd) return w.veto(r);
      if (twist === "frivolous" && w.m.now + 1n < r.challengeEnd && !w.m.challenges.some((x) => x.round === r.id && x.attempt === r.attempt)) {
        return w.frivolousChallenge(r);
      }
      const c = w.m.challenges.find((x) => x.open && x.round === r.id);
      if (c) return w.nextAt(c.deadline).then(() => w.resolve(c));
      return w.nextAt(r.challengeEnd);
    }
    case "Finalizable":
      return w.finalize(r);
    case "Expired":
      return w.cancel(r, false);
  }
}

async function run(w: World, a: Action) {
  w.m.stats[`action:${a.t}`] = (w.m.stats[`action:${a.t}`] ?? 0) + 1;
  const rounds = [...w.m.rounds.values()];
  const { evaluators, funders, A1, H1 } = w.actors;
  switch (a.t) {
    case "progress":
      // Mostly the oldest open round (the one the others wait for), sometimes another.
      for (let i = 0; i < a.n; i++) await progress(w, a.kind, a.r % 3 === 0 ? a.r : 0, a.twist);
      return;
    case "register":
      return w.register(a.minority ? A1 : H1);
    case "assign": {
      const r = choose(rounds, (x) => ["Seeding", "Assigning"].includes(w.phase(x)), a.r);
      return r && w.assign(r);
    }
    case "commit": {
      const r = choose(rounds, (x) => w.phase(x) === "Commit", a.r);
      return r && w.commit(r, evaluators[a.e % evaluators.length]);
    }
    case "reveal": {
      const r = choose(rounds, (x) => w.phase(x) === "Reveal", a.r);
      return r && w.reveal(r, evaluators[a.e % evaluators.length]);
    }
    case "slashNonRevealer": {
      const r = choose(rounds, (x) => x.revealDeadline > 0n && [...x.commits.keys()].some((e) => !x.revealed.has(e) && !x.slashed.has(e)), a.r);
      return r && w.slashNonRevealer(r, evaluators[a.e % evaluators.length]);
    }
    case "settle": {
      const r = choose(rounds, (x) => w.phase(x) === "Settle", a.r);
      return r && w.settle(r, a.kind);
    }
    case "minority": {
      const r = choose(rounds, (x) => w.phase(x) === "Settle", a.r);
      return r && w.minorityCommit(r);
    }
    case "frivolous": {
      const r = choose(rounds, (x) => w.phase(x) === "Challenge", a.r);
      return r && w.frivolousChallenge(r);
    }
    case "resolve": {
      const c = choose(w.m.challenges, (x) => x.open, a.c);
      return c && w.resolve(c);
    }
    case "veto": {
      const r = choose(rounds, (x) => w.phase(x) === "Challenge", a.r);
      return r && w.veto(r);
    }
    case "cancel": {
      const r = choose(rounds, (x) => w.phase(x) === "Expired" || (a.guardian && w.phase(x) === "Seeding"), a.r);
      return r && w.cancel(r, a.guardian);
    }
    case "finalize": {
      const r = choose(rounds, (x) => w.phase(x) === "Finalizable", a.r);
      return r && w.finalize(r);
    }
    case "fund": {
      // -1: the next round id; beyond the rounds: an id nobody can fund.
      const target = a.target === -1 ? w.m.count + 1n : a.target < rounds.length ? rounds[a.target].id : w.m.count + 2n;
      return w.fund(target, funders[a.f], a.inf, a.ev);
    }
    case "refund": {
      const id = a.r === -1 ? w.m.count + 1n : (pick(rounds, a.r)?.id ?? 1n);
      return w.refund(id, funders[a.f]);
    }
    case "claim": {
      const accounts = [...w.m.ledger.keys()];
      const acct = choose(accounts, (x) => (w.m.ledger.get(x) ?? 0n) > (w.m.claimed.get(x) ?? 0n), a.a);
      return acct && w.claim(acct);
    }
    case "stake": {
      const [s, role] = staker(w, a.a);
      return w.stake(s, role, a.amount);
    }
    case "unstake": {
      const [s, role] = staker(w, a.a);
      return w.unstake(s, role, a.amount);
    }
    case "withdraw": {
      const [s, role] = staker(w, a.a);
      const head = w.stakeOf(s.address, role).queue[0];
      if (a.wait && head) await w.nextAt(head.unlock);
      return w.withdraw(s, role);
    }
    case "exit": {
      // A staker leaves: queues all its active stake, waits out the unbonding period and withdraws (refused while a
      // round it committed in is open or a commitment of its is unrevealed).
      const [s, role] = staker(w, a.a);
      const active = w.stakeOf(s.address, role).active;
      if (active > 0n) await w.unstake(s, role, active);
      await w.advance(BigInt(CAMPAIGN_UNBONDING));
      return w.withdraw(s, role);
    }
    case "hostileSchedule":
      return w.schedule(a.op);
    case "hostileExecute": {
      const op = choose(w.m.ops, (x) => !x.done && (a.wait || w.m.now + 1n >= x.readyAt), a.o);
      if (op && a.wait) await w.nextAt(op.readyAt);
      return op && w.execute(op);
    }
    case "time":
      return w.advance(BigInt(a.d));
  }
}

describe("Invariants", function () {
  this.timeout(0);

  it(`hold after every step of ${RUNS} random sequences (concurrent rounds, adversarial quorum and minority, hostile owner and guardian, permissionless challengers)`, async function () {
    const started = Date.now();
    let steps = 0;
    const stats: Record<string, number> = {};
    await fc.assert(
      fc.asyncProperty(fc.array(action, { minLength: 10, maxLength: 60 }), async (actions) => {
        const w = await buildWorld(await loadFixture(campaignFixture));
        await w.check();
        for (const a of actions) {
          await run(w, a);
          await w.check();
          steps += 1;
        }
        // Drain: with no trusted action, every round reaches Finalized or Cancelled.
        for (let i = 0; i < 80 && [...w.m.rounds.values()].some((r) => r.status !== "Finalized" && r.status !== "Cancelled"); i++) {
          await progress(w);
          await w.check();
        }
        for (const r of w.m.rounds.values()) if (r.status !== "Finalized" && r.status !== "Cancelled") throw new Error(`round ${r.id} did not close`);
        for (const [k, v] of Object.entries(w.m.stats)) stats[k] = (stats[k] ?? 0) + v;
      }),
      { numRuns: RUNS, ...(SEED === undefined ? {} : { seed: SEED }), endOnFailure: true },
    );
    console.log(`      ${RUNS} sequences, ${steps} steps in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    console.log(`      ${Object.entries(stats).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k} ${v}`).join(", ")}`);
  });
});
