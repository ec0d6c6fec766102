import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { createTestClient, encodeFunctionData, erc20Abi, keccak256, toHex, type Abi, type Address, type Hex } from "viem";
import { poQSettlementAbi, rewardDistributorAbi, stakeVaultAbi, testTokenAbi } from "../chain/abis";
import { walletFor, type Clients } from "../chain/client";
import type { Deployment } from "../chain/deployment";
import { buildTaskTree, hashSettlement, packScores, scoreCommitment, settlementCommitment, type Settlement } from "../chain/encoding";
import { readRound } from "../chain/reader";
import { devKey } from "../agents/accounts";
import { assignmentProof, computeAssignment } from "../agents/roundData";
import { toAbi } from "../agents/relayer";
import { addressPage, listRounds, roundPage, status } from "./api";
import { blocksFeed, tokenPage, txPage } from "./chainApi";
import { makeContext, tags, type ExplorerContext } from "./context";
import { ExplorerDb } from "./db";
import { createIndexer, type Indexer } from "./indexer";
import { deployLocal } from "./testing";

const OWNER = 0;
const RELAYERS = [1, 2];
const EVALUATORS = [7, 8, 9];
const ZERO: Hex = `0x${"00".repeat(32)}`;
const tokens = (n: number) => BigInt(n) * 10n ** 18n;

let clients: Clients;
let d: Deployment;
let testClient: ReturnType<typeof createTestClient>;
const addrOf = (i: number): Address => walletFor(clients, devKey(i)).account.address;

async function send(who: number, req: { address: Address; abi: Abi; functionName: string; args: readonly unknown[] }): Promise<Hex> {
  const w = walletFor(clients, devKey(who));
  const hash = await w.writeContract(req as never);
  const rc = await clients.publicClient.waitForTransactionReceipt({ hash });
  if (rc.status !== "success") throw new Error(`${req.functionName} reverted`);
  return hash;
}

async function stake(who: number, amount: bigint) {
  await send(OWNER, { address: d.token, abi: testTokenAbi as Abi, functionName: "mint", args: [addrOf(who), amount] });
  await send(who, { address: d.token, abi: erc20Abi as Abi, functionName: "approve", args: [d.vault, amount] });
  return send(who, { address: d.vault, abi: stakeVaultAbi as Abi, functionName: "stake", args: [2, amount] });
}

async function registerRound(taskCount: number, salt: string): Promise<Hex> {
  const tasks = Array.from({ length: taskCount }, (_, i) => ({
    index: i,
    node: addrOf(3 + (i % 2)),
    modelId: keccak256(toHex(`model-${i % 2}`)),
    contentHash: keccak256(toHex(`${salt}/${i}`)),
    costUnits: BigInt(100 + i),
  }));
  const root = buildTaskTree(tasks).root as Hex;
  await send(RELAYERS[0], { address: d.settlement, abi: poQSettlementAbi as Abi, functionName: "registerTasks", args: [root, BigInt(taskCount)] });
  return root;
}

async function passTime(seconds: number) {
  await testClient.increaseTime({ seconds });
  await testClient.mine({ blocks: 1 });
}

async function settle(roundId: bigint, s: Settlement) {
  const hash = hashSettlement(s);
  const salt = keccak256(toHex(`salt/${hash}`));
  for (const rel of RELAYERS) {
    const commitment = settlementCommitment({ chainId: d.chainId, contract: d.settlement, roundId, relayer: addrOf(rel), settlementHash: hash, salt });
    await send(rel, { address: d.settlement, abi: poQSettlementAbi as Abi, functionName: "commitSettlement", args: [roundId, commitment] });
  }
  for (const rel of RELAYERS) await send(rel, { address: d.settlement, abi: poQSettlementAbi as Abi, functionName: "revealSettlement", args: [roundId, toAbi(s), salt] });
  return hash;
}

const newIndexer = (db: ExplorerDb, confirmations = 0) => createIndexer({ client: clients.publicClient, deployment: d, db, confirmations, fromBlock: 0n });
const ctxOf = (ix: Indexer): ExplorerContext =>
  makeContext({ db: ix.db, deployment: ix.deployment, contracts: ix.contracts, token: ix.token(), storeConfigured: false, confirmations: ix.confirmations, client: clients.publicClient });

describe("indexer on the in-process Hardhat chain", () => {
  const hashes: { veto?: Hex; final?: Hex; finalizeTx?: Hex } = {};

  beforeAll(async () => {
    ({ clients, deployment: d } = await deployLocal({ commitDuration: 10, revealDuration: 10, settleDuration: 60, challengeDuration: 5, k: 2, quorum: 2 }));
    testClient = createTestClient({ mode: "hardhat", chain: clients.chain, transport: clients.transport });
    for (const e of EVALUATORS) await stake(e, tokens(1_000));

    // Round 1 by hand: assignment, two reveals and one silent evaluator, a settlement, a veto, a second settlement,
    // finalization with a non-reveal slash.
    await registerRound(4, "round-1");
    const r = await readRound(clients.publicClient, d, 1n);
    const a = await computeAssignment(clients.publicClient, { ...d, fromBlock: 0n }, r);
    for (const rel of RELAYERS) await send(rel, { address: d.settlement, abi: poQSettlementAbi as Abi, functionName: "proposeAssignment", args: [1n, a.tree.root] });
    const reveals: { who: number; scores: Hex; salt: Hex; tasksHash: Hex; proof: Hex[] }[] = [];
    for (const who of EVALUATORS) {
      const mine = assignmentProof(a, addrOf(who));
      if (!mine) continue;
      const scores = packScores(mine.tasks.map((t) => 5_000 + 100 * t + who));
      const salt = keccak256(toHex(`eval-salt/${who}`));
      const commitment = scoreCommitment({ chainId: d.chainId, contract: d.settlement, roundId: 1n, evaluator: addrOf(who), scores, salt });
      await send(who, { address: d.settlement, abi: poQSettlementAbi as Abi, functionName: "commitScores", args: [1n, commitment] });
      reveals.push({ who, scores, salt, tasksHash: mine.tasksHash, proof: mine.proof });
    }
    const silent = reveals.pop()!; // commits, never reveals
    await passTime(11);
    for (const x of reveals) await send(x.who, { address: d.settlement, abi: poQSettlementAbi as Abi, functionName: "revealScores", args: [1n, x.scores, x.salt, x.tasksHash, x.proof] });
    await passTime(11);
    const base: Settlement = { rewardsRoot: ZERO, cumulativeTotal: 0n, inferencePaid: 0n, evaluatorPaid: 0n, trustRoot: ZERO, inputsHash: keccak256(toHex("inputs-1")), paramsVersion: r.paramsVersion, slashes: [] };
    hashes.veto = await settle(1n, base);
    await send(OWNER, { address: d.settlement, abi: poQSettlementAbi as Abi, functionName: "vetoSettlement", args: [1n] });
    const second: Settlement = { ...base, inputsHash: keccak256(toHex("inputs-2")), slashes: [{ evaluator: addrOf(silent.who), reason: 1 }] };
    hashes.final = await settle(1n, second);
    await passTime(6);
    hashes.finalizeTx = await send(RELAYERS[1], { address: d.settlement, abi: poQSettlementAbi as Abi, functionName: "finalize", args: [1n, toAbi(second)] });
    (hashes as Record<string, unknown>).silent = addrOf(silent.who);
  }, 180_000);

  test("behavior: a round with a veto shows both attempts, the veto, the slash and per-task scores", async () => {
    const ix = await newIndexer(new ExplorerDb(":memory:"));
    await ix.sync();
    const ctx = ctxOf(ix);
    const p = roundPage(ctx, "1");
    expect(p.round.status).toBe("finalized");
    expect(p.round.phase).toBe("finalized");
    expect(p.round.attempt).toBe(2);
    expect(p.round.vetoes).toBe(1);
    expect(p.round.settlementHash).toBe(hashes.final);
    expect(p.round.assignment).toBe("verified");
    expect(p.vetoes).toEqual([expect.objectContaining({ settlementHash: hashes.veto, newAttempt: 2, reset: false, guardian: addrOf(OWNER) })]);
    expect(p.settlements.map((s) => [s.attempt, s.settlementHash, s.final])).toEqual([
      [1, hashes.veto, false],
      [1, hashes.veto, false],
      [2, hashes.final, true],
      [2, hashes.final, true],
    ]);
    expect(p.timeline.map((t) => `${t.phase}/${t.attempt}`)).toEqual(["assigning/1", "commit/1", "reveal/1", "settle/1", "challenge/1", "settle/2", "challenge/2", "finalizable/2", "finalized/2"]);
    // Every revealed score sits under its task: 4 tasks, k = 2, one of the assigned evaluators silent.
    const scored = p.tasks.flatMap((t) => t.scores);
    expect(scored.length).toBeGreaterThan(0);
    // Scores are served as quality 0..10 (on chain ×1000).
    for (const s of scored) expect(Math.round(s.score * 1000) % 100).toBe(EVALUATORS.find((e) => addrOf(e) === s.evaluator));
    const silent = (hashes as Record<string, unknown>).silent as Address;
    expect(p.slashes).toEqual([expect.objectContaining({ evaluator: silent, reason: 1, reasonText: "non-reveal", amount: { wei: tokens(50).toString(), tokens: "50" } })]);
    expect(p.proposedSlashes).toEqual([{ evaluator: silent, reason: 1, reasonText: "non-reveal", outcome: "executed" }]);
    expect(p.content.payload).toBe("no-store");

    // The silent evaluator's page: the stake the vault holds, the slash and its reason.
    const a = await addressPage(ctx, silent.toLowerCase());
    const onChain = await clients.publicClient.readContract({ address: d.vault, abi: stakeVaultAbi, functionName: "stakeOf", args: [silent, 2] });
    expect(a.stakes).toEqual([expect.objectContaining({ role: "evaluator", active: expect.objectContaining({ wei: onChain.active.toString() }), queued: expect.objectContaining({ wei: onChain.queued.toString() }) })]);
    expect(a.slashes.map((s) => [s.round, s.reasonText, s.amount.tokens])).toEqual([[1, "non-reveal", "50"]]);
    expect(a.roles).toContain("evaluator");
    expect(a.claimable.note).toMatch(/no content store/);

    // The reward vault, created by the distributor, is known by its address without being deployed separately.
    const rewardVault = await clients.publicClient.readContract({ address: d.distributor, abi: rewardDistributorAbi, functionName: "vault" });
    expect(status(ctx).contracts).toContainEqual({ name: "rewardVault", label: "RewardVault", address: rewardVault });

    // The finalize transaction, decoded: status, gas and fee as the receipt has them, enums by name.
    const t = await txPage(ctx, hashes.finalizeTx!);
    const rc = await clients.publicClient.getTransactionReceipt({ hash: hashes.finalizeTx! });
    expect(t.call?.function).toBe("finalize");
    expect(t.events.map((e) => e.event)).toEqual(["RootUpdated", "Slashed", "Transfer", "RoundFinalized"]);
    expect([t.status, t.gasUsed, t.fee.wei]).toEqual(["success", rc.gasUsed.toString(), (rc.gasUsed * rc.effectiveGasPrice).toString()]);
    const slashed = t.events.find((e) => e.event === "Slashed")!;
    expect(slashed.args.find((x) => x.name === "reason")!.value).toEqual({ kind: "enum", type: "SlashReason", value: 1, name: "non-reveal" });
    expect(slashed.args.find((x) => x.name === "role")!.value).toMatchObject({ kind: "enum", type: "Role", name: "evaluator" });
    expect(t.tokenTransfers.map((x) => x.amount)).toEqual([expect.objectContaining({ kind: "token", tokens: "50" })]);
    // A transaction without PoQ events (a token approval) is read from the chain.
    const approvals = await clients.publicClient.getContractEvents({ address: d.token, abi: erc20Abi, eventName: "Approval", fromBlock: 0n });
    const approve = await txPage(ctx, approvals[0].transactionHash);
    expect(approve.indexed).toBe(false);
    expect(approve.call?.function).toBe("approve");
    expect(approve.events.map((e) => e.event)).toEqual(["Approval"]);

    // Name tags from the deployment and the role events.
    const tg = tags(ctx);
    expect(tg.tagOf(addrOf(RELAYERS[0]))).toBe("Relayer 1");
    expect(tg.tagOf(addrOf(RELAYERS[1]))).toBe("Relayer 2");
    expect(tg.rolesOf(addrOf(OWNER))).toEqual(["Owner", "Guardian"]);
    expect(tg.tagOf(d.settlement)).toBe("PoQSettlement");
    // Holders from the Transfer events equal the token's balances.
    const token = await tokenPage(ctx, { limit: "200" });
    expect(token.holdersCount).toBeGreaterThan(0);
    for (const h of token.holders) {
      const a = (h.address as { address: Address }).address;
      expect([a, h.balance.wei]).toEqual([a, (await clients.publicClient.readContract({ address: d.token, abi: erc20Abi, functionName: "balanceOf", args: [a] })).toString()]);
    }
    expect(token.totalSupply?.wei).toBe(token.supplyFromTransfers.wei);
    expect(blocksFeed(ctx).total).toBe(Number(await clients.publicClient.getBlockNumber()) + 1);
  });

  test("behavior: a failed transaction to a project contract is indexed, shown failed, with its decoded reason", async () => {
    // An evaluator commits to round 1, which is finalized: the call reverts with WrongPhase(1, Commit, Finalized).
    const w = walletFor(clients, devKey(EVALUATORS[0]));
    const data = encodeFunctionData({ abi: poQSettlementAbi, functionName: "commitScores", args: [1n, keccak256(toHex("late"))] });
    const fees = await clients.publicClient.estimateFeesPerGas();
    const nonce = await clients.publicClient.getTransactionCount({ address: w.account.address });
    const signed = await w.signTransaction({ to: d.settlement, data, gas: 200_000n, nonce, type: "eip1559", maxFeePerGas: fees.maxFeePerGas, maxPriorityFeePerGas: fees.maxPriorityFeePerGas } as never);
    const hash = keccak256(signed);
    await clients.publicClient.sendRawTransaction({ serializedTransaction: signed }).catch(() => undefined); // the node reports the revert; the transaction is mined
    const rc = await clients.publicClient.waitForTransactionReceipt({ hash });
    expect(rc.status).toBe("reverted");
    const ix = await newIndexer(new ExplorerDb(":memory:"));
    await ix.sync();
    const t = await txPage(ctxOf(ix), hash);
    expect(t.indexed).toBe(true);
    expect(t.status).toBe("failed");
    expect(t.revert?.text).toBe("WrongPhase(roundId: 1, expected: commit, actual: finalized)");
    expect([t.gasLimit, t.gasUsed, t.fee.wei]).toEqual(["200000", rc.gasUsed.toString(), (rc.gasUsed * rc.effectiveGasPrice).toString()]);
  });

  test("behavior: a reverted snapshot drops the reverted events and re-indexes the new branch", async () => {
    const db = new ExplorerDb(":memory:");
    const ix = await newIndexer(db);
    await ix.sync();
    const snap = await testClient.snapshot();
    const rootA = await registerRound(3, "branch-a");
    const stakeA = await stake(10, tokens(500));
    await ix.sync();
    expect(roundPage(ctxOf(ix), "2").round.taskRoot).toBe(rootA);
    expect(db.db.prepare("SELECT COUNT(*) AS n FROM txs WHERE hash = ?").get(stakeA)).toEqual({ n: 1 });

    await testClient.revert({ id: snap });
    const rootB = await registerRound(5, "branch-b");
    await testClient.mine({ blocks: 4 });
    const r = await ix.sync();
    expect(r.reorg).toBeDefined();
    expect(r.reorg!.forkBlock).toBeLessThan(r.indexedBlock!);
    const round = roundPage(ctxOf(ix), "2").round;
    expect(round.taskRoot).toBe(rootB);
    expect(round.tasks).toBe(5);
    expect(db.db.prepare("SELECT COUNT(*) AS n FROM txs WHERE hash = ?").get(stakeA)).toEqual({ n: 0 });
    expect(db.db.prepare("SELECT COUNT(*) AS n FROM logs l JOIN log_accounts x USING (block_number, log_index) WHERE x.address = ?").get(addrOf(10))).toEqual({ n: 0 });
    // The index now equals one built from scratch on the surviving chain.
    const fresh = new ExplorerDb(":memory:");
    await (await newIndexer(fresh)).sync();
    expect(db.dump()).toBe(fresh.dump());
  });

  test("behavior: a chain reverted below the checkpoint (no new blocks) drops the reverted rounds", async () => {
    const db = new ExplorerDb(":memory:");
    const ix = await newIndexer(db);
    await ix.sync();
    const snap = await testClient.snapshot();
    await registerRound(2, "doomed");
    for (let i = 0; i < 10; i++) await stake(12, tokens(100)); // more dropped blocks than the linear check covers
    await ix.sync();
    const before = listRounds(ctxOf(ix)).total;
    await testClient.revert({ id: snap });
    const r = await ix.sync();
    expect(r.reorg).toBeDefined();
    expect(listRounds(ctxOf(ix)).total).toBe(before - 1);
    expect(db.db.prepare("SELECT COUNT(*) AS n FROM log_accounts WHERE address = ?").get(addrOf(12))).toEqual({ n: 0 });
    const fresh = new ExplorerDb(":memory:");
    await (await newIndexer(fresh)).sync();
    expect(db.dump()).toBe(fresh.dump());
  });

  test("behavior: confirmations hold back the newest blocks until they are final", async () => {
    const db = new ExplorerDb(":memory:");
    const ix = await newIndexer(db, 3);
    await ix.sync();
    const rounds = listRounds(ctxOf(ix)).total;
    const snap = await testClient.snapshot();
    await registerRound(2, "pending");
    let r = await ix.sync();
    expect(r.indexedBlock).toBe(r.headBlock - 3);
    expect(listRounds(ctxOf(ix)).total).toBe(rounds);
    await testClient.mine({ blocks: 3 });
    r = await ix.sync();
    expect(listRounds(ctxOf(ix)).total).toBe(rounds + 1);
    await testClient.revert({ id: snap });
  });

  test("behavior: catches up from its checkpoint after a restart, and an index of another deployment is rebuilt", async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "poq-explorer-")), "index.sqlite");
    let db = new ExplorerDb(file);
    await (await newIndexer(db)).sync();
    const checkpoint = db.getSync()!.blockNumber;
    db.close();
    const snap = await testClient.snapshot();
    await stake(11, tokens(200));
    db = new ExplorerDb(file);
    const r = await (await newIndexer(db)).sync();
    expect(r.newLogs).toBe(1); // only the new Staked event: nothing before the checkpoint is read again
    expect(db.db.prepare("SELECT MIN(block_number) AS b FROM logs WHERE event = 'Staked' AND block_number > ?").get(checkpoint)).toEqual({ b: checkpoint + 3 });
    // Same file, another start block: the index is rebuilt, not mixed.
    const other = await createIndexer({ client: clients.publicClient, deployment: d, db, confirmations: 0, fromBlock: BigInt(checkpoint + 1) });
    await other.sync();
    expect(db.db.prepare("SELECT MIN(block_number) AS b FROM logs").get()).toEqual({ b: checkpoint + 3 });
    db.close();
    await testClient.revert({ id: snap });
  });
});
