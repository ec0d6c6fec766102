/**
 * Which pool items a round may no longer use: the relayer's check mirrors the chain's `proveGoldReuse`, which only
 * compares rounds registered under the same gold pool root. A chain stand-in answers the three reads involved
 * (getRound, phaseOf, paramsAt); the openings come from a real content store.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { keccak256, toHex, type Address, type Hex, type PublicClient } from "viem";
import { readRound, Status } from "../chain/reader";
import type { Deployment } from "../chain/deployment";
import { GOLD_INDEX, goldChoiceCommitment, goldRootOf, type GoldOpening } from "../protocol/gold";
import { roundGoldOpening } from "../protocol/roundContent";
import { ContentStore } from "../protocol/store";
import { loadPolicy } from "./policy";
import { goldUsedBefore, type SettleContext } from "./settle";

const h = (s: string): Hex => keccak256(toHex(s));
const ZERO: Hex = `0x${"00".repeat(32)}`;
const POOL_A = h("pool A");
const POOL_B = h("pool B");
const REGISTRAR = "0x00000000000000000000000000000000000000B2" as Address;

type FakeRound = { status: number; poolRoot: Hex; gold: number[] | undefined };

/** A well-formed opening of `taskRoot` drawing `poolIndexes`, and the commitment it opens. */
function openingOf(taskRoot: Hex, poolIndexes: number[], salt: Hex): { opening: GoldOpening; commitment: Hex } {
  const items = poolIndexes.map((poolIndex, taskIndex) => ({ taskIndex, poolIndex, contentHash: h(`gold ${poolIndex}`), quality: 700, poolProof: [] as Hex[] }));
  const opening: GoldOpening = { version: 1, roundId: "0", taskRoot, goldRoot: goldRootOf(items), goldCount: items.length, salt, items };
  return { opening, commitment: goldChoiceCommitment(items, salt) };
}

/** A chain of rounds 1..n (params version i+1 for round i+1, with that round's pool root) and a store of openings. */
function setting(rounds: FakeRound[], announced: (id: bigint) => Hex[] = () => []): SettleContext {
  const salt = `${Math.random()}`; // settlement hashes unique to this setting (the module caches by them)
  // addresses unique to this setting: the module keeps closed rounds per settlement contract
  const d = { settlement: `0x${h(`${salt} settlement`).slice(2, 42)}` as Address, config: `0x${h(salt).slice(2, 42)}` as Address } as Deployment;
  const store = new ContentStore(fs.mkdtempSync(path.join(os.tmpdir(), "poq-gold-reuse-")));
  const taskRoot = (i: number) => h(`${salt} root ${i}`);
  const commitments = rounds.map((r, i) => {
    if (!r.gold) return ZERO;
    const { opening, commitment } = openingOf(taskRoot(i + 1), r.gold, h(`${salt} salt ${i}`));
    store.setIndex(GOLD_INDEX, taskRoot(i + 1), store.putJson(opening));
    return commitment;
  });
  const client = {
    getBlockNumber: async () => 100n,
    anchorHash: h(`${salt} block 100`),
    getBlock: async () => ({ hash: (client as unknown as { anchorHash: Hex }).anchorHash }),
    // the registrar's ContentAnnounced pointers (bare keccak256 pointers: read from the store)
    getContractEvents: async ({ args }: { args: { roundId: bigint } }) => announced(args.roundId).map((cid) => ({ args: { roundId: args.roundId, relayer: REGISTRAR, kind: 2, cid } })),
    reads: 0,
    readContract: async ({ functionName, args }: { functionName: string; args: [bigint] }) => {
      const i = Number(args[0]) - 1;
      if (functionName === "getRound") (client as unknown as { reads: number }).reads++;
      if (functionName === "phaseOf") return 0;
      if (functionName === "paramsAt") return { goldPoolRoot: rounds[i].poolRoot, seedDelay: 0n };
      if (functionName === "getRound") {
        const r = rounds[i];
        const zeros = Object.fromEntries(["attempt", "vetoes", "extensions", "taskCount", "commitDeadline", "revealDeadline", "attemptStart", "registeredAt", "assignDeadline", "expiresAt", "challengeEnd", "acceptedVoters"].map((k) => [k, 0n]));
        return {
          ...zeros,
          seed: ZERO,
          assignmentRoot: ZERO,
          status: r.status,
          paramsVersion: BigInt(i + 1),
          taskRoot: taskRoot(i + 1),
          goldCommitment: commitments[i],
          settlementHash: h(`${salt} settlement ${i}`),
          registrar: REGISTRAR,
          seedBlock: 10n,
        };
      }
      throw new Error(`unexpected read ${functionName}`);
    },
  } as unknown as PublicClient;
  return { client, deployment: d, store, policy: loadPolicy() };
}

describe("gold reuse: the items a round may no longer use", () => {
  test("behavior: only finalized rounds of the same pool count; a replaced pool's items are new", async () => {
    const ctx = setting([
      { status: Status.Finalized, poolRoot: POOL_A, gold: [0, 1] },
      { status: Status.Finalized, poolRoot: POOL_A, gold: [2] },
      { status: Status.Cancelled, poolRoot: POOL_A, gold: [3] }, // never finalized: its items were never revealed in a settlement
      { status: Status.Finalized, poolRoot: POOL_A, gold: undefined }, // no gold
      { status: Status.Finalized, poolRoot: POOL_B, gold: [0] }, // governance replaced the pool
    ]);
    expect([...(await goldUsedBefore(ctx, { id: 5n, params: { goldPoolRoot: POOL_A } }))].sort()).toEqual([0, 1, 2]);
    expect([...(await goldUsedBefore(ctx, { id: 6n, params: { goldPoolRoot: POOL_B } }))]).toEqual([0]);
    expect([...(await goldUsedBefore(ctx, { id: 6n, params: { goldPoolRoot: POOL_A } }))].sort()).toEqual([0, 1, 2]);
    // closed rounds are read once: a second check reads none of them again
    const counter = ctx.client as unknown as { reads: number };
    const before = counter.reads;
    expect([...(await goldUsedBefore(ctx, { id: 6n, params: { goldPoolRoot: POOL_A } }))].sort()).toEqual([0, 1, 2]);
    expect(counter.reads).toBe(before);
    // the same chain id and addresses on a chain that was reset (another block hash): read afresh
    (ctx.client as unknown as { anchorHash: Hex }).anchorHash = h("another chain");
    expect([...(await goldUsedBefore(ctx, { id: 6n, params: { goldPoolRoot: POOL_A } }))].sort()).toEqual([0, 1, 2]);
    expect(counter.reads).toBe(before + 5);
    // the root compares by value, whatever its case
    expect([...(await goldUsedBefore(ctx, { id: 6n, params: { goldPoolRoot: POOL_B.toUpperCase().replace("0X", "0x") as Hex } }))]).toEqual([0]);
  });

  test("behavior: a round still open is read again at every check (it may finalize with gold later)", async () => {
    const rounds: FakeRound[] = [{ status: Status.Active, poolRoot: POOL_A, gold: [7] }];
    const ctx = setting(rounds);
    expect([...(await goldUsedBefore(ctx, { id: 2n, params: { goldPoolRoot: POOL_A } }))]).toEqual([]);
    rounds[0].status = Status.Finalized;
    expect([...(await goldUsedBefore(ctx, { id: 2n, params: { goldPoolRoot: POOL_A } }))]).toEqual([7]);
  });

  test("behavior: for settling, every earlier round must be closed: a round accepted but not finalized stops the check (retryable)", async () => {
    const ctx = setting([{ status: Status.Accepted, poolRoot: POOL_A, gold: [3] }]);
    const r = { id: 2n, params: { goldPoolRoot: POOL_A } };
    await expect(goldUsedBefore(ctx, r, { requireClosed: true })).rejects.toThrow(/round 2: waiting for round 1 to close before checking gold reuse/);
    expect([...(await goldUsedBefore(ctx, r))]).toEqual([]); // a registrar only skips it (its own checkpoint holds its items)
  });

  test("behavior: a finalized gold round whose opening nobody can give stops the check (retryable), never skipped", async () => {
    const ctx = setting([{ status: Status.Finalized, poolRoot: POOL_A, gold: undefined }]);
    // round 1 claims gold (a commitment) but the store has no opening, and none was announced
    const client = ctx.client as unknown as { readContract: (a: { functionName: string; args: [bigint] }) => Promise<unknown> };
    const read = client.readContract;
    client.readContract = async (a) => (a.functionName === "getRound" ? { ...((await read(a)) as object), goldCommitment: h("claims gold") } : read(a));
    await expect(goldUsedBefore(ctx, { id: 2n, params: { goldPoolRoot: POOL_A } })).rejects.toThrow(/cannot check gold reuse, round 1's gold opening is neither in the store nor fetchable/);
  });

  test("behavior: a decoy opening the registrar announced first (not opening the round's commitment) is skipped for the real one", async () => {
    let pointers: Hex[] = [];
    const ctx = setting([{ status: Status.Finalized, poolRoot: POOL_A, gold: undefined }], () => pointers);
    const round = () => readRound(ctx.client, ctx.deployment, 1n);
    const r0 = await round();
    const real = openingOf(r0.taskRoot, [5, 6], h("real salt"));
    const decoy = openingOf(r0.taskRoot, [], h("decoy salt")); // "no item used": would let a later round reuse 5 and 6
    pointers = [ctx.store.putJson(decoy.opening), ctx.store.putJson(real.opening)];
    const client = ctx.client as unknown as { readContract: (a: { functionName: string; args: [bigint] }) => Promise<unknown> };
    const read = client.readContract;
    client.readContract = async (a) => (a.functionName === "getRound" ? { ...((await read(a)) as object), goldCommitment: real.commitment } : read(a));
    const r = await round();
    expect((await roundGoldOpening(ctx, r))?.items.map((i) => i.poolIndex)).toEqual([5, 6]);
    expect([...(await goldUsedBefore(ctx, { id: 2n, params: { goldPoolRoot: POOL_A } }))].sort()).toEqual([5, 6]);
    // only the decoy announced: no opening, so the check waits rather than believe it
    pointers = [pointers[0]];
    expect(await roundGoldOpening(ctx, r)).toBeUndefined();
  });
});
