import { erc20Abi } from "viem";
import { poQSettlementAbi, rewardDistributorAbi, testTokenAbi } from "../chain/abis";
import type { Clients } from "../chain/client";
import type { Deployment } from "../chain/deployment";
import type { TxSender } from "../chain/tx";
import type { Common } from "./daemon";
import { ensureAllowance, haveFunds } from "./funds";

export type FunderConfig = {
  inferencePool: bigint;
  evaluatorPool: bigint;
  /** Mint what is missing (local test token only: the funder must own it). */
  mint: boolean;
};

/**
 * The treasury: funds every registered round that has no funds yet, once, with fixed pools, while the round takes
 * funding (until its reveal deadline; relayers then settle the frozen pools).
 */
export function createFunder(p: { common: Common; clients: Clients; deployment: Deployment; sender: TxSender; config: FunderConfig }) {
  const { clients, deployment: d, sender, config, common } = p;
  const client = clients.publicClient;
  let checkedUpTo = 0n;

  async function tick() {
    const count = await client.readContract({ address: d.settlement, abi: poQSettlementAbi, functionName: "roundCount" });
    for (let id = checkedUpTo + 1n; id <= count; id++) {
      const [f, [open]] = await Promise.all([
        client.readContract({ address: d.distributor, abi: rewardDistributorAbi, functionName: "roundFunds", args: [id] }),
        client.readContract({ address: d.settlement, abi: poQSettlementAbi, functionName: "fundingWindow", args: [id] }),
      ]);
      // Pools freeze at the round's reveal deadline: a round found later stays as it is.
      if (open && f.inferencePool + f.evaluatorPool === 0n) {
        const total = config.inferencePool + config.evaluatorPool;
        const balance = await client.readContract({ address: d.token, abi: erc20Abi, functionName: "balanceOf", args: [sender.account] });
        if (balance < total && config.mint) {
          await sender.write({ address: d.token, abi: testTokenAbi, functionName: "mint", args: [sender.account, total - balance] });
        }
        // Without the tokens (and no mint), back off and say what is missing; send nothing that would revert.
        if (!(await haveFunds({ client, token: d.token, owner: sender.account, need: total, health: common.health, what: `funding of round ${id}` }))) return;
        await ensureAllowance({ client, sender, token: d.token, spender: d.distributor, amount: total });
        const r = await sender.write({ address: d.distributor, abi: rewardDistributorAbi, functionName: "fundRound", args: [id, config.inferencePool, config.evaluatorPool] });
        common.logger.info({ round_id: Number(id), tx_hash: r.transactionHash }, "round funded");
        common.metrics.funder.roundsFunded.inc();
      }
      checkedUpTo = id;
    }
  }

  return { tick };
}
