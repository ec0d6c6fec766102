import { erc20Abi, formatEther, formatUnits, type Address, type PublicClient } from "viem";
import { TOKEN_DECIMALS } from "../chain/deployment";
import type { TxSender } from "../chain/tx";
import { HEALTH_REASONS, type Health } from "./health";

/**
 * Checks, before a stake or a funding, that `owner` holds `need` tokens and some gas. When something is missing it
 * sends nothing, sets the "no tokens or gas" idle reason with what is missing (logged once) and returns false; the
 * caller backs off and tries again on a later tick. Clears the reason once the funds are there.
 */
export async function haveFunds(p: { client: PublicClient; token: Address; owner: Address; need: bigint; health: Health; what: string }): Promise<boolean> {
  const [gas, balance] = await Promise.all([
    p.client.getBalance({ address: p.owner }),
    p.client.readContract({ address: p.token, abi: erc20Abi, functionName: "balanceOf", args: [p.owner] }),
  ]);
  const missing: string[] = [];
  if (balance < p.need) missing.push(`${formatUnits(p.need - balance, TOKEN_DECIMALS)} more tokens (has ${formatUnits(balance, TOKEN_DECIMALS)}, needs ${formatUnits(p.need, TOKEN_DECIMALS)})`);
  if (gas === 0n) missing.push(`gas (native balance ${formatEther(gas)})`);
  if (missing.length) {
    p.health.set(HEALTH_REASONS.noTokensOrGas, `${p.what} of ${p.owner}: missing ${missing.join(" and ")}`);
    return false;
  }
  p.health.clear(HEALTH_REASONS.noTokensOrGas);
  return true;
}

/** Approves `spender` for `amount` unless the allowance already covers it (no transaction then). */
export async function ensureAllowance(p: { client: PublicClient; sender: TxSender; token: Address; spender: Address; amount: bigint }): Promise<void> {
  const allowance = await p.client.readContract({ address: p.token, abi: erc20Abi, functionName: "allowance", args: [p.sender.account, p.spender] });
  if (allowance >= p.amount) return;
  await p.sender.write({ address: p.token, abi: erc20Abi, functionName: "approve", args: [p.spender, p.amount] });
}
