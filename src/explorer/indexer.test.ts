import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { encodeFunctionData, erc20Abi, keccak256, parseEventLogs, toHex, type Abi, type Address, type Hex } from "viem";
import { poQSettlementAbi, poQTimelockAbi, rewardDistributorAbi, settlementConfigAbi, stakeVaultAbi } from "../chain/abis";
import { walletFor } from "../chain/client";
import type { Deployment } from "../chain/deployment";
import { readRound } from "../chain/reader";
import { addressPage, listRounds, roundPage, status } from "./api";
import { blocksFeed, tokenPage, txPage } from "./chainApi";
import { makeContext, tags, type ExplorerContext } from "./context";
import { ExplorerDb } from "./db";
import { governancePage } from "./governance";
import { createIndexer, type Indexer } from "./indexer";
import { deployLocal, keyOf, LocalChain } from "./testing";

const OWNER = 0;
const RELAYERS = [1, 2];
const EVALUATORS = [7, 8, 9];
const GUARDIAN = 19;
const tokens = (n: number) => BigInt(n) * 10n ** 18n;

let chain: LocalChain;
let d: Deployment;
const addrOf = (i: number): Address => chain.address(i);
const registerRound = async (n: number, salt: string) => (await chain.register(RELAYERS[0], n, { salt })).root;
const stake = (who: number, amount: bigint) => chain.stake(who, 2, amount);

const newIndexer = (db: ExplorerDb, confirmations = 0) => createIndexer({ client: chain.client, deployment: d, db, confirmations, fromBlock: 0n });
/** An indexer over a new in-memory index, synced once. */
const syncedIndexer = async (confirmations = 0) => {
  const db = new ExplorerDb(":memory:");
  const ix = await newIndexer(db, confirmations);
  await ix.sync();
  return { db, ix };
};
/** `db` equals an index built from scratch on the chain as it is now. */
const expectSameAsFreshIndex = async (db: ExplorerDb) => expect(db.dump()).toBe((await syncedIndexer()).db.dump());
const ctxOf = (ix: Indexer): ExplorerContext =>
  makeContext({ db: ix.db, deployment: ix.deployment, contracts: ix.contracts, token: ix.token(), storeConfigured: false, confirmations: ix.confirmations, client: chain.client });

describe("indexer on the in-process Hardhat chain", () => {
  const hashes: { veto?: Hex; final?: Hex; finalizeTx?: Hex; silent?: Address; slashTx?: Hex; newGuardian?: Address; opId?: Hex; refundTx?: Hex } = {};

  beforeAll(async () => {
    const { clients, deployment } = await deployLocal({ assignDuration: 60, commitDuration: 10, revealDuration: 10, settleWindow: 300, settleCommitDuration: 10, settleRevealDuration: 10, challengeDuration: 5, k: 2, quorum: 2 });
    chain = new LocalChain(clients, deployment);
    d = deployment;
    for (const r of RELAYERS) await chain.stake(r, 3, tokens(5_000));
    for (const e of EVALUATORS) await stake(e, tokens(1_000));

    // Round 1 by hand: assignment, reveals with one silent evaluator, a settlement, a veto, a second settlement in a
    // new attempt, finalization, and the silent evaluator slashed by anyone afterwards.
    const { id } = await chain.register(RELAYERS[0], 4, { salt: "round-1" });
    const byEvaluator = await chain.assign(id, RELAYERS);
    const assigned = EVALUATORS.filter((e) => byEvaluator.get(addrOf(e))?.length);
    const silent = assigned[assigned.length - 1];
    await chain.vote(id, byEvaluator, EVALUATORS, { silent: [silent] });
    const first = await chain.emptySettlement(id, "inputs-1");
    hashes.veto = await chain.settle(id, first, RELAYERS);
    await chain.send(GUARDIAN, d.settlement, poQSettlementAbi as Abi, "vetoSettlement", [id]);
    const second = await chain.emptySettlement(id, "inputs-2");
    hashes.final = await chain.settle(id, second, RELAYERS);
    await chain.passTime(6);
    hashes.finalizeTx = await chain.send(RELAYERS[1], d.settlement, poQSettlementAbi as Abi, "finalize", [id, second]);
    hashes.slashTx = await chain.send(5, d.settlement, poQSettlementAbi as Abi, "slashNonRevealer", [id, addrOf(silent)]);
    hashes.silent = addrOf(silent);

    // Round 2: funded, never assigned; it expires at its assignment deadline, anyone cancels it, the funder is refunded.
    const r2 = await chain.register(RELAYERS[0], 2, { salt: "round-2" });
    await chain.fund(OWNER, tokens(30), d.distributor);
    await chain.send(OWNER, d.distributor, rewardDistributorAbi as Abi, "fundRound", [r2.id, tokens(20), tokens(10)]);
    await chain.passUntil((await readRound(chain.client, d, r2.id)).assignDeadline);
    await chain.send(6, d.settlement, poQSettlementAbi as Abi, "cancelRound", [r2.id]);
    hashes.refundTx = await chain.send(6, d.distributor, rewardDistributorAbi as Abi, "refund", [r2.id, addrOf(OWNER)]);

    // Governance: a new guardian scheduled through the timelock and executed after its delay.
    hashes.newGuardian = addrOf(18);
    const op = await chain.schedule(d.config, encodeFunctionData({ abi: settlementConfigAbi, functionName: "setGuardian", args: [hashes.newGuardian] }), "guardian");
    hashes.opId = op.id;
    const delay = await chain.client.readContract({ address: d.timelock, abi: poQTimelockAbi, functionName: "getMinDelay" });
    await chain.passTime(Number(delay));
    await chain.send(OWNER, d.timelock, poQTimelockAbi as Abi, "execute", op.args);
  }, 240_000);

  test("behavior: a round with a veto shows both attempts, the veto, the slash and per-task scores", async () => {
    const { ix } = await syncedIndexer();
    const ctx = ctxOf(ix);
    const p = await roundPage(ctx, "1");
    const onChain = await readRound(chain.client, d, 1n);
    expect(p.round.status).toBe("finalized");
    expect(p.round.phase).toBe("finalized");
    expect([p.round.attempt, p.round.vetoes, p.round.extensions]).toEqual([onChain.attempt, onChain.vetoes, onChain.extensions]);
    expect(p.round.expiresAt).toBe(Number(onChain.expiresAt));
    expect([p.round.seedBlock, p.round.seed, p.round.assignDeadline]).toEqual([Number(onChain.seedBlock), onChain.seed, Number(onChain.assignDeadline)]);
    expect(p.round.settlementHash).toBe(hashes.final);
    expect(p.round.assignment).toBe("verified");
    expect(p.vetoes).toEqual([expect.objectContaining({ settlementHash: hashes.veto, guardian: addrOf(GUARDIAN) })]);
    expect(p.attempts.map((a) => [a.attempt, a.outcome, a.acceptedHash, a.commits.length, a.reveals.length])).toEqual([
      [1, "vetoed", hashes.veto, 2, 2],
      [2, "finalized", hashes.final, 2, 2],
    ]);
    expect(p.timeline.map((t) => `${t.phase}/${t.attempt}`)).toEqual(["seeding/0", "assigning/0", "commit/0", "reveal/0", "settle/1", "challenge/1", "settle/2", "challenge/2", "finalizable/2", "finalized/2"]);
    // Every revealed score sits under its task, as quality 0..10 (on chain ×1000).
    const scored = p.tasks.flatMap((t) => t.scores);
    expect(scored.length).toBeGreaterThan(0);
    for (const s of scored) expect(Math.round(s.score! * 1000) % 100).toBe(EVALUATORS.find((e) => addrOf(e) === s.evaluator));
    // The non-reveal slash, made by anyone after finalization, is the round's.
    const slashLog = parseEventLogs({ abi: stakeVaultAbi, logs: (await chain.client.getTransactionReceipt({ hash: hashes.slashTx! })).logs, eventName: "Slashed" })[0];
    expect(p.slashes).toEqual([expect.objectContaining({ account: hashes.silent, reason: 1, reasonText: "non-reveal", amount: { wei: slashLog.args.amount.toString(), tokens: "50" }, tx: hashes.slashTx })]);
    expect(p.round.slashedTotal.wei).toBe(slashLog.args.amount.toString());
    expect(p.content.payload).toBe("no-store");
    expect(p.deadlines).toEqual([]);

    // The silent evaluator's page: the stake the vault holds, the slash and its reason, the withdrawal lock.
    const a = await addressPage(ctx, hashes.silent!.toLowerCase());
    const st = await chain.client.readContract({ address: d.vault, abi: stakeVaultAbi, functionName: "stakeOf", args: [hashes.silent!, 2] });
    expect(a.stakes).toEqual([expect.objectContaining({ role: "evaluator", active: expect.objectContaining({ wei: st.active.toString() }), queued: expect.objectContaining({ wei: st.queued.toString() }) })]);
    expect(a.slashes.map((s) => [s.round, s.reasonText, s.amount.tokens])).toEqual([[1, "non-reveal", "50"]]);
    expect(a.roles).toContain("evaluator");
    expect(a.claimable.note).toMatch(/no content store/);
    expect(a.withdrawalLocked).toBe(await chain.client.readContract({ address: d.settlement, abi: poQSettlementAbi, functionName: "withdrawalLocked", args: [hashes.silent!] }));
    const relayer = await addressPage(ctx, addrOf(RELAYERS[1]));
    expect(relayer.relayer).toEqual({ id: 2, current: true, bond: { wei: tokens(5_000).toString(), tokens: "5000" }, minimum: { wei: tokens(5_000).toString(), tokens: "5000" }, bonded: true });

    // The reward vault, created by the distributor, is known by its address without being deployed separately.
    const rewardVault = await chain.client.readContract({ address: d.distributor, abi: rewardDistributorAbi, functionName: "vault" });
    expect(status(ctx).contracts).toContainEqual({ name: "rewardVault", label: "RewardVault", address: rewardVault });

    // The finalize transaction, decoded: status, gas and fee as the receipt has them, every event of the receipt.
    const t = await txPage(ctx, hashes.finalizeTx!);
    const rc = await chain.client.getTransactionReceipt({ hash: hashes.finalizeTx! });
    expect(t.call?.function).toBe("finalize");
    expect(t.events.map((e) => e.event)).toEqual(parseEventLogs({ abi: [...poQSettlementAbi, ...rewardDistributorAbi, ...stakeVaultAbi, ...erc20Abi], logs: rc.logs }).map((l) => l.eventName));
    expect([t.status, t.gasUsed, t.fee.wei]).toEqual(["success", rc.gasUsed.toString(), (rc.gasUsed * rc.effectiveGasPrice).toString()]);
    const slash = await txPage(ctx, hashes.slashTx!);
    const slashed = slash.events.find((e) => e.event === "Slashed")!;
    expect(slashed.args.find((x) => x.name === "reason")!.value).toEqual({ kind: "enum", type: "SlashReason", value: 1, name: "non-reveal" });
    expect(slashed.args.find((x) => x.name === "role")!.value).toMatchObject({ kind: "enum", type: "Role", name: "evaluator" });
    expect(slash.tokenTransfers.map((x) => x.amount)).toEqual([expect.objectContaining({ kind: "token", tokens: "50" })]);
    // A transaction without PoQ events (a token approval) is read from the chain.
    const approvals = await chain.client.getContractEvents({ address: d.token, abi: erc20Abi, eventName: "Approval", fromBlock: 0n });
    const approve = await txPage(ctx, approvals[0].transactionHash);
    expect(approve.indexed).toBe(false);
    expect(approve.call?.function).toBe("approve");
    expect(approve.events.map((e) => e.event)).toEqual(["Approval"]);

    // Name tags from the deployment and the role events; the guardian moved with the executed operation.
    const tg = tags(ctx);
    expect(tg.tagOf(addrOf(RELAYERS[0]))).toBe("Relayer 1");
    expect(tg.tagOf(addrOf(RELAYERS[1]))).toBe("Relayer 2");
    expect(tg.tagOf(hashes.newGuardian!)).toBe("Guardian");
    expect(tg.rolesOf(addrOf(GUARDIAN))).not.toContain("Guardian");
    expect(tg.tagOf(d.settlement)).toBe("PoQSettlement");
    expect([tg.tagOf(d.config), tg.tagOf(d.challenges), tg.tagOf(d.timelock)]).toEqual(["SettlementConfig", "SettlementChallenges", "Timelock"]);
    // Holders from the Transfer events equal the token's balances.
    const token = await tokenPage(ctx, { limit: "200" });
    expect(token.holdersCount).toBeGreaterThan(0);
    for (const h of token.holders) {
      const a = (h.address as { address: Address }).address;
      expect([a, h.balance.wei]).toEqual([a, (await chain.client.readContract({ address: d.token, abi: erc20Abi, functionName: "balanceOf", args: [a] })).toString()]);
    }
    expect(token.totalSupply?.wei).toBe(token.supplyFromTransfers.wei);
    expect(blocksFeed(ctx).total).toBe(Number(await chain.client.getBlockNumber()) + 1);
  });

  test("behavior: an expired round cancelled by anyone shows the phase it was cancelled in and its refund", async () => {
    const { ix } = await syncedIndexer();
    const ctx = ctxOf(ix);
    const p = await roundPage(ctx, "2");
    expect([p.round.phase, p.round.cancelled?.phase, p.round.cancelled?.by]).toEqual(["cancelled", "expired", addrOf(6)]);
    expect(p.timeline.map((t) => t.phase)).toEqual(["seeding", "expired", "cancelled"]);
    const refund = parseEventLogs({ abi: rewardDistributorAbi, logs: (await chain.client.getTransactionReceipt({ hash: hashes.refundTx! })).logs, eventName: "Refunded" })[0];
    expect(refund.args.amount).toBe(tokens(30));
    expect(p.refunds).toEqual([expect.objectContaining({ funder: addrOf(OWNER), amount: { wei: tokens(30).toString(), tokens: "30" }, tx: hashes.refundTx })]);
    expect(p.funders).toEqual([{ funder: addrOf(OWNER), contributed: expect.objectContaining({ tokens: "30" }), refunded: expect.objectContaining({ tokens: "30" }), refundable: expect.objectContaining({ tokens: "0" }) }]);
    expect(p.round.refunded.tokens).toBe("30");
    const owner = await addressPage(ctx, addrOf(OWNER));
    expect(owner.funding).toEqual([{ round: 2, contributed: expect.objectContaining({ tokens: "30" }), refunded: expect.objectContaining({ tokens: "30" }), refundable: expect.objectContaining({ tokens: "0" }) }]);
  });

  test("behavior: the governance view decodes the executed operation and compares the delays", async () => {
    const { ix } = await syncedIndexer();
    const g = await governancePage(ctxOf(ix));
    const [delay, required] = await Promise.all([
      chain.client.readContract({ address: d.timelock, abi: poQTimelockAbi, functionName: "getMinDelay" }),
      chain.client.readContract({ address: d.config, abi: settlementConfigAbi, functionName: "requiredGovernanceDelay" }),
    ]);
    expect([g.minDelay, g.requiredDelay.config, g.delayCovers]).toEqual([expect.objectContaining({ seconds: Number(delay) }), expect.objectContaining({ seconds: Number(required) }), delay >= required]);
    expect(g.operations).toHaveLength(1);
    const op = g.operations[0];
    const ts = await chain.client.readContract({ address: d.timelock, abi: poQTimelockAbi, functionName: "getTimestamp", args: [hashes.opId!] });
    expect([op.id, op.state, op.calls[0].call?.function, op.executed !== null]).toEqual([hashes.opId, "done", "setGuardian", true]);
    expect(op.calls[0].call?.args).toEqual([{ name: "guardian_", value: { kind: "address", address: hashes.newGuardian, tag: "Guardian" } }]);
    // A done operation's timestamp is 1 on chain; its ready time was the schedule's block time plus its delay.
    expect(ts).toBe(1n);
    expect(op.readyAt).toBe(op.scheduled.time + Number(delay));
    expect(g.guardian).toBe(hashes.newGuardian);
    expect(g.relayers.map((r) => [r.id, r.address, r.bond?.tokens])).toEqual([
      [1, addrOf(RELAYERS[0]), "5000"],
      [2, addrOf(RELAYERS[1]), "5000"],
    ]);
    expect(g.params?.version).toBe(1);
    expect(g.params?.fields.find((f) => f.name === "challengeDuration")?.value).toEqual({ kind: "duration", seconds: 5, text: "5 s" });
  });

  test("behavior: a failed transaction to a project contract is indexed, shown failed, with its decoded reason", async () => {
    // An evaluator commits to round 1, which is finalized: the call reverts with SettlementWrongPhase(1, Commit, Finalized).
    const clients = chain.clients;
    const w = walletFor(clients, keyOf(EVALUATORS[0]));
    const data = encodeFunctionData({ abi: poQSettlementAbi, functionName: "commitScores", args: [1n, keccak256(toHex("late"))] });
    const fees = await chain.client.estimateFeesPerGas();
    const nonce = await chain.client.getTransactionCount({ address: w.account.address });
    const signed = await w.signTransaction({ to: d.settlement, data, gas: 200_000n, nonce, type: "eip1559", maxFeePerGas: fees.maxFeePerGas, maxPriorityFeePerGas: fees.maxPriorityFeePerGas } as never);
    const hash = keccak256(signed);
    await chain.client.sendRawTransaction({ serializedTransaction: signed }).catch(() => undefined); // the node reports the revert; the transaction is mined
    const rc = await chain.client.waitForTransactionReceipt({ hash });
    expect(rc.status).toBe("reverted");
    const { ix } = await syncedIndexer();
    const t = await txPage(ctxOf(ix), hash);
    expect(t.indexed).toBe(true);
    expect(t.status).toBe("failed");
    expect(t.revert?.text).toBe("SettlementWrongPhase(roundId: 1, expected: commit, actual: finalized)");
    expect([t.gasLimit, t.gasUsed, t.fee.wei]).toEqual(["200000", rc.gasUsed.toString(), (rc.gasUsed * rc.effectiveGasPrice).toString()]);
  });

  test("behavior: a reverted snapshot drops the reverted events and re-indexes the new branch", async () => {
    const { db, ix } = await syncedIndexer();
    const snap = await chain.test.snapshot();
    const rootA = await registerRound(3, "branch-a");
    const stakeA = await stake(10, tokens(500));
    await ix.sync();
    expect((await roundPage(ctxOf(ix), "3")).round.taskRoot).toBe(rootA);
    expect(db.db.prepare("SELECT COUNT(*) AS n FROM txs WHERE hash = ?").get(stakeA)).toEqual({ n: 1 });

    await chain.test.revert({ id: snap });
    const rootB = await registerRound(5, "branch-b");
    await chain.test.mine({ blocks: 4 });
    const r = await ix.sync();
    expect(r.reorg).toBeDefined();
    expect(r.reorg!.forkBlock).toBeLessThan(r.indexedBlock!);
    const round = (await roundPage(ctxOf(ix), "3")).round;
    expect(round.taskRoot).toBe(rootB);
    expect(round.tasks).toBe(5);
    expect(db.db.prepare("SELECT COUNT(*) AS n FROM txs WHERE hash = ?").get(stakeA)).toEqual({ n: 0 });
    expect(db.db.prepare("SELECT COUNT(*) AS n FROM logs l JOIN log_accounts x USING (block_number, log_index) WHERE x.address = ?").get(addrOf(10))).toEqual({ n: 0 });
    // The index now equals one built from scratch on the surviving chain.
    await expectSameAsFreshIndex(db);
  });

  test("behavior: a chain reverted below the checkpoint (no new blocks) drops the reverted rounds", async () => {
    const { db, ix } = await syncedIndexer();
    const snap = await chain.test.snapshot();
    await registerRound(2, "doomed");
    for (let i = 0; i < 10; i++) await stake(12, tokens(100)); // more dropped blocks than the linear check covers
    await ix.sync();
    const before = listRounds(ctxOf(ix)).total;
    await chain.test.revert({ id: snap });
    const r = await ix.sync();
    expect(r.reorg).toBeDefined();
    expect(listRounds(ctxOf(ix)).total).toBe(before - 1);
    expect(db.db.prepare("SELECT COUNT(*) AS n FROM log_accounts WHERE address = ?").get(addrOf(12))).toEqual({ n: 0 });
    await expectSameAsFreshIndex(db);
  });

  test("behavior: confirmations hold back the newest blocks until they are final", async () => {
    const { ix } = await syncedIndexer(3);
    const rounds = listRounds(ctxOf(ix)).total;
    const snap = await chain.test.snapshot();
    await registerRound(2, "pending");
    let r = await ix.sync();
    expect(r.indexedBlock).toBe(r.headBlock - 3);
    expect(listRounds(ctxOf(ix)).total).toBe(rounds);
    await chain.test.mine({ blocks: 3 });
    r = await ix.sync();
    expect(listRounds(ctxOf(ix)).total).toBe(rounds + 1);
    await chain.test.revert({ id: snap });
  });

  test("behavior: catches up from its checkpoint after a restart, and an index of another deployment is rebuilt", async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "poq-explorer-")), "index.sqlite");
    let db = new ExplorerDb(file);
    await (await newIndexer(db)).sync();
    const checkpoint = db.getSync()!.blockNumber;
    db.close();
    const snap = await chain.test.snapshot();
    await stake(11, tokens(200));
    db = new ExplorerDb(file);
    const r = await (await newIndexer(db)).sync();
    expect(r.newLogs).toBe(1); // only the new Staked event: nothing before the checkpoint is read again
    expect(db.db.prepare("SELECT MIN(block_number) AS b FROM logs WHERE event = 'Staked' AND block_number > ?").get(checkpoint)).toEqual({ b: checkpoint + 3 });
    // Same file, another start block: the index is rebuilt, not mixed.
    const other = await createIndexer({ client: chain.client, deployment: d, db, confirmations: 0, fromBlock: BigInt(checkpoint + 1) });
    await other.sync();
    expect(db.db.prepare("SELECT MIN(block_number) AS b FROM logs").get()).toEqual({ b: checkpoint + 3 });
    db.close();
    await chain.test.revert({ id: snap });
  });
});
