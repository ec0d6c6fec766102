import { erc20Abi, getAddress, type Address, type Hex } from "viem";
import { poQSettlementAbi, rewardDistributorAbi, settlementChallengesAbi } from "../chain/abis";
import type { Clients } from "../chain/client";
import type { Deployment } from "../chain/deployment";
import { Phase, readRound, revealedSettlementsWithPayloads, roundCount, type RoundView } from "../chain/reader";
import type { TxSender } from "../chain/tx";
import type { Content } from "../protocol/content";
import type { SettlementPayloadFile } from "../protocol/payload";
import type { ContentStore } from "../protocol/store";
import type { Common } from "./daemon";
import { roundPayload } from "../protocol/roundContent";

/**
 * An account's own watch over its allotment. A settlement's quorum could lower or drop what earlier rounds allotted
 * to an account; such a settlement is rejected if anyone challenges it in its challenge window, and the account
 * itself is the one party sure to care. Each tick, for every accepted settlement in its challenge window, the
 * watcher compares the account's leaf under the distributor's current root with its leaf in the accepted payload; if
 * the new amount is lower, the leaf is missing, or no payload can be found at all, it posts the challenge (with its
 * bond), which the relayers must answer with a proof of at least the earlier amount, or lose their bonds.
 */
export function createAllotmentWatcher(p: { common: Common; clients: Clients; deployment: Deployment; store: ContentStore; content?: Content; sender: TxSender }) {
  const { common, clients, deployment: d, store, content, sender } = p;
  const client = clients.publicClient;
  const access = { store, content, client, deployment: d };
  const me = getAddress(sender.account);
  const checked = new Set<Hex>();

  /** The payload of the accepted settlement: by its hash in the store, or through a CID a revealer pointed to (fetched from peers). */
  async function acceptedPayload(r: RoundView): Promise<SettlementPayloadFile | undefined> {
    return roundPayload(access, r);
  }

  /** This account's leaf under the distributor's current root, if it has one. */
  async function currentLeaf(): Promise<{ amount: bigint; index: number; proof: Hex[] } | undefined> {
    const rootRound = await client.readContract({ address: d.distributor, abi: rewardDistributorAbi, functionName: "rootRound" });
    if (rootRound === 0n) return undefined;
    const prev = await roundPayload(access, await readRound(client, d, rootRound));
    const leaf = prev?.claims.find((c) => getAddress(c.account) === me);
    return leaf ? { amount: BigInt(leaf.cumulativeAmount), index: leaf.index, proof: leaf.proof } : undefined;
  }

  async function check(r: RoundView) {
    if (checked.has(r.settlementHash)) return;
    const before = await currentLeaf();
    if (!before || before.amount === 0n) return checked.add(r.settlementHash), undefined;
    const payload = await acceptedPayload(r);
    const after = payload?.claims.find((c) => getAddress(c.account) === me);
    if (payload && after && BigInt(after.cumulativeAmount) >= before.amount) return checked.add(r.settlementHash), undefined;
    common.logger.error(
      { round_id: Number(r.id), account: me, before: before.amount.toString(), after: after?.cumulativeAmount ?? (payload ? "missing" : "no payload") },
      "accepted settlement lowers or hides this account's allotment: challenging",
    );
    const settlement = (await revealedSettlementsWithPayloads(client, d, r)).get(r.settlementHash)?.settlement;
    if (!settlement) return;
    const bond = r.params.minChallengeBond;
    const [balance, allowance] = await Promise.all([
      client.readContract({ address: d.token, abi: erc20Abi, functionName: "balanceOf", args: [me] }),
      client.readContract({ address: d.token, abi: erc20Abi, functionName: "allowance", args: [me, d.challenges] }),
    ]);
    if (balance < bond) {
      common.logger.error({ account: me, bond: bond.toString() }, "cannot post the challenge bond");
      return;
    }
    if (allowance < bond) await sender.write({ address: d.token, abi: erc20Abi, functionName: "approve", args: [d.challenges, bond] });
    const receipt = await sender.write({
      address: d.challenges,
      abi: settlementChallengesAbi,
      functionName: "challengeAccount",
      args: [r.id, settlement, me, before.amount, BigInt(before.index), before.proof],
    });
    common.metrics.watcher.challenges.inc();
    common.logger.info({ round_id: Number(r.id), tx_hash: receipt.transactionHash }, "allotment challenge opened");
    checked.add(r.settlementHash);
  }

  /** Settles this account's challenges once their answer window passed (upheld, or moot). */
  async function resolveMine(fromBlock: bigint) {
    const opened = await client.getContractEvents({ address: d.challenges, abi: settlementChallengesAbi, strict: true, eventName: "ChallengeOpened", args: { challenger: me }, fromBlock, toBlock: "latest" });
    const now = (await client.getBlock({ blockTag: "latest" })).timestamp;
    for (const l of opened) {
      const c = await client.readContract({ address: d.challenges, abi: settlementChallengesAbi, functionName: "getChallenge", args: [l.args.challengeId] });
      if (Number(c.status) !== 1 || BigInt(c.deadline) > now) continue;
      await sender.write({ address: d.challenges, abi: settlementChallengesAbi, functionName: "resolve", args: [l.args.challengeId] });
    }
  }

  async function tick() {
    const [count, lastClosed] = await Promise.all([roundCount(client, d), client.readContract({ address: d.settlement, abi: poQSettlementAbi, functionName: "lastClosedRound" })]);
    let first: bigint | undefined;
    for (let id = lastClosed + 1n; id <= count; id++) {
      const r = await readRound(client, d, id);
      first ??= r.registeredBlock;
      if (r.phase === Phase.Challenge) await check(r);
    }
    if (first !== undefined) await resolveMine(first);
  }

  return { tick, account: me as Address };
}
