import { erc20Abi, formatUnits, getAddress, type Address, type PublicClient } from "viem";
import { poQSettlementAbi, rewardDistributorAbi } from "../chain/abis";
import type { Clients } from "../chain/client";
import { TOKEN_DECIMALS, type Deployment } from "../chain/deployment";
import { readRound } from "../chain/reader";
import type { TxSender } from "../chain/tx";
import { InputError } from "../errors";
import type { Content } from "../protocol/content";
import type { ContentStore } from "../protocol/store";
import { roundPayload } from "../protocol/roundContent";
import { ensureAllowance } from "./funds";

export type ClaimResult = { account: Address; cumulativeAmount: bigint; paid: bigint; txHash?: string };

/**
 * Claims for `accounts` (or every account in the latest settlement) what the current root owes them, using the
 * proofs the relayers published: from the store, else fetched by the payload pointers the relayers revealed on chain
 * through `content` (checked by hash). Anyone may claim for anyone; tokens go to the account.
 */
export async function claimRewards(p: {
  clients: Clients;
  deployment: Deployment;
  store: ContentStore;
  /** The content backend the payload is fetched through when the store does not hold it. */
  content?: Content;
  sender: TxSender;
  accounts?: Address[];
}): Promise<ClaimResult[]> {
  const client = p.clients.publicClient;
  const d = p.deployment;
  const rootRound = await client.readContract({ address: d.distributor, abi: rewardDistributorAbi, functionName: "rootRound" });
  if (rootRound === 0n) throw new InputError("nothing to claim yet: no round has been finalized");
  const r = await readRound(client, d, rootRound);
  const payload = await roundPayload({ store: p.store, content: p.content, client, deployment: d }, r);
  if (!payload) {
    throw new InputError(`no payload for settlement ${r.settlementHash} of round ${rootRound}: the store has none${p.content ? " and none of the relayers' published payloads could be fetched" : " (give a content backend, e.g. --content helia with --ipfs-peers, to fetch the one the relayers published)"}`);
  }
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

/**
 * Funds a round's pools from the sender's tokens (approve if needed, then fundRound). Only a registered round or the
 * next one is accepted (tokens sent to a far-away round id would sit locked), and the sender must hold the tokens
 * and some gas: otherwise an InputError says what is wrong and nothing is sent.
 */
export async function fundRound(p: { client: PublicClient; deployment: Deployment; sender: TxSender; roundId: bigint; inference: bigint; evaluator: bigint }) {
  if (p.roundId < 1n) throw new InputError(`round ids start at 1, got ${p.roundId}`);
  if (p.inference + p.evaluator === 0n) throw new InputError("nothing to fund: both pools are zero");
  const d = p.deployment;
  const count = await p.client.readContract({ address: d.settlement, abi: poQSettlementAbi, functionName: "roundCount" });
  if (p.roundId > count + 1n) throw new InputError(`round ${p.roundId} is neither registered nor the next round: rounds 1..${count} exist, so fund one of them or round ${count + 1n}`);
  if (p.roundId <= count) {
    const [open] = await p.client.readContract({ address: d.settlement, abi: poQSettlementAbi, functionName: "fundingWindow", args: [p.roundId] });
    if (!open) throw new InputError(`round ${p.roundId} no longer takes funding (its pools froze at its reveal deadline)`);
  }
  const total = p.inference + p.evaluator;
  const [balance, gas] = await Promise.all([
    p.client.readContract({ address: d.token, abi: erc20Abi, functionName: "balanceOf", args: [p.sender.account] }),
    p.client.getBalance({ address: p.sender.account }),
  ]);
  if (balance < total) throw new InputError(`${p.sender.account} holds ${formatUnits(balance, TOKEN_DECIMALS)} tokens; funding needs ${formatUnits(total, TOKEN_DECIMALS)}`);
  if (gas === 0n) throw new InputError(`${p.sender.account} has no gas (native balance 0)`);
  await ensureAllowance({ client: p.client, sender: p.sender, token: d.token, spender: d.distributor, amount: total });
  return p.sender.write({ address: p.deployment.distributor, abi: rewardDistributorAbi, functionName: "fundRound", args: [p.roundId, p.inference, p.evaluator] });
}
