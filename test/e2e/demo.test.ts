import { describe, expect, test } from "vitest";
import { poQSettlementAbi } from "../../src/chain/abis";
import { readRound } from "../../src/chain/reader";
import path from "node:path";
import { sharedDemo } from "../helpers/demo";
import { expectGolden } from "../helpers/golden";

/** `poq demo --json`, as `npm run demo` runs it (embedded chain, 3 rounds, claims, conservation): the run the e2e and browser projects share. */
describe("demo", () => {
  test("behavior: three rounds finalize, the adversaries are slashed, every token is accounted for", async () => {
    const demo = await sharedDemo();
    const err = demo.progress;
    const s = demo.summary as unknown as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(s.conserved).toBe(true);
    // The chain agrees: rounds 1-3 finalized there, with the settlement hashes the summary reports.
    const finalized = await demo.clients.publicClient.getContractEvents({ address: demo.deployment.settlement, abi: poQSettlementAbi, eventName: "RoundFinalized", fromBlock: 0n, strict: true });
    expect(finalized.map((l) => Number(l.args.roundId)).filter((id) => id <= 3)).toEqual([1, 2, 3]);
    for (const r of s.rounds as { id: number; settlementHash: string }[]) expect((await readRound(demo.clients.publicClient, demo.deployment, BigInt(r.id))).settlementHash).toBe(r.settlementHash);
    expect(s.rounds.map((r: { id: number; finalized: boolean }) => [r.id, r.finalized])).toEqual([
      [1, true],
      [2, true],
      [3, true],
    ]);
    const byBehavior = new Map<string, { address: string; rewards: string; slashed: string }>(
      s.accounts.filter((a: { behavior?: string }) => a.behavior && a.behavior !== "honest").map((a: { behavior: string }) => [a.behavior, a]),
    );
    const slashed = new Set(s.rounds.flatMap((r: { slashed: string[] }) => r.slashed));
    for (const b of ["boosting", "sabotage", "never-reveal"]) expect(slashed.has(byBehavior.get(b)!.address)).toBe(true);
    expect(byBehavior.get("never-reveal")!.rewards).toBe("0");
    const paid = s.rounds.reduce((t: bigint, r: { inferencePaid: string; evaluatorPaid: string }) => t + BigInt(r.inferencePaid) + BigInt(r.evaluatorPaid), 0n);
    expect(BigInt(s.claimsPaid)).toBe(paid);
    expect(err).toMatch(/rounds closed 3\/3/);
    // Both task types run from the first rounds, and the consensus tracks the human labels well above chance.
    const agreement = new Map<string, { metric: string; value: number; n: number }>(s.labelAgreement.map((a: { task: string }) => [a.task, a]));
    expect(agreement.get("qa")).toMatchObject({ metric: "auroc" });
    expect(agreement.get("summarization")).toMatchObject({ metric: "spearman" });
    // Every round carried hidden gold tasks; every replayed (non-gold, non-excluded) output is scored against its label.
    for (const r of s.rounds) expect(r.gold).toBeGreaterThan(0);
    const replayed = s.rounds.reduce((t: number, r: { tasks: number; gold: number; excluded: number }) => t + r.tasks - r.gold - r.excluded, 0);
    expect(agreement.get("qa")!.n + agreement.get("summarization")!.n).toBe(replayed);
    expect(agreement.get("qa")!.value).toBeGreaterThan(0.85);
    expect(agreement.get("summarization")!.value).toBeGreaterThan(0.5);
  }, 600_000);

  test("behavior: the demo's settlements are the committed ones (golden/demo-settlements.json): the same in every run, on any machine", async () => {
    // The README's promise: the embedded chain's block times are pinned and the agents act in a fixed order (over
    // IPFS the evaluators fetch side by side, then send in turn), so the block hashes, the assignment seeds and with
    // them every settlement are the same bytes in every run, however loaded the machine.
    const demo = await sharedDemo();
    expect(demo.summary.content).toBe("helia"); // the default: an embedded IPFS node per agent
    const rounds = demo.summary.rounds.map((r) => ({ id: r.id, settlementHash: r.settlementHash, tasks: r.tasks, gold: r.gold, excluded: r.excluded, slashed: r.slashed, inferencePaid: r.inferencePaid, evaluatorPaid: r.evaluatorPaid }));
    expectGolden(path.join(__dirname, "golden", "demo-settlements.json"), { content: demo.summary.content, rounds });
  }, 600_000);
});
