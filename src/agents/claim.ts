import { erc20Abi, getAddress, type Address } from "viem";
import { rewardDistributorAbi } from "../chain/abis";
import type { Clients } from "../chain/client";
import type { Deployment } from "../chain/deployment";
import { readRound } from "../chain/reader";
import type { TxSender } from "../chain/tx";
import { InputError } from "../errors";
import { loadPayload } from "../protocol/payload";
import type { ContentStore } from "../protocol/store";

export type ClaimResult = { account: Address; cumulativeAmount: bigint; paid: bigint; txHash?: string };

/**
 * Claims for `accounts` (or every account in the latest settlement) what the current root owes them, using the
 * proofs the relayers published in the content store. Anyone may claim for anyone; tokens go to the account.
 */
export async function claimRewards(p: {
  clients: Clients;
  deployment: Deployment;
  store: ContentStore;
  sender: TxSender;
  accounts?: Address[];
}): Promise<ClaimResult[]> {
  const client = p.clients.publicClient;
  const d = p.deployment;
  const rootRound = await client.readContract({ address: d.distributor, abi: rewardDistributorAbi, functionName: "rootRound" });
  if (rootRound === 0n) throw new InputError("nothing to claim yet: no round has been finalized");
  const r = await readRound(client, d, rootRound);
  const payload = loadPayload(p.store, r.settlementHash);
  if (!payload) throw new InputError(`the store has no payload for settlement ${r.settlementHash} of round ${rootRound}`);
  const wanted = p.accounts?.map((a) => getAddress(a));
  const leaves = wanted
    ? wanted.map((a) => payload.claims.find((c) => getAddress(c.account) === a) ?? { account: a, cumulativeAmount: "0", index: 0, proof: [] })
    : payload.claims;
  const out: ClaimResult[] = [];
  for (const c of leaves) {
    const account = getAddress(c.account);
    const cumulative = BigInt(c.cumulativeAmount);
    const already = await client.readContract({ address: d.distributor, abi: rewardDistributorAbi, functionName: "claimed", args: [account] });
    if (cumulative <= already) {
      out.push({ account, cumulativeAmount: cumulative, paid: 0n });
      continue;
    }
    const receipt = await p.sender.write({ address: d.distributor, abi: rewardDistributorAbi, functionName: "claim", args: [account, cumulative, BigInt(c.index), c.proof] });
    out.push({ account, cumulativeAmount: cumulative, paid: cumulative - already, txHash: receipt.transactionHash });
  }
  return out;
}

/** Funds a round's pools from the sender's tokens (approve, then fundRound). */
export async function fundRound(p: { deployment: Deployment; sender: TxSender; roundId: bigint; inference: bigint; evaluator: bigint }) {
  if (p.roundId < 1n) throw new InputError(`round ids start at 1, got ${p.roundId}`);
  if (p.inference + p.evaluator === 0n) throw new InputError("nothing to fund: both pools are zero");
  await p.sender.write({ address: p.deployment.token, abi: erc20Abi, functionName: "approve", args: [p.deployment.distributor, p.inference + p.evaluator] });
  return p.sender.write({ address: p.deployment.distributor, abi: rewardDistributorAbi, functionName: "fundRound", args: [p.roundId, p.inference, p.evaluator] });
}
