import type { Abi, Account, Address, Chain, ContractFunctionArgs, ContractFunctionName, Hex, PublicClient, TransactionReceipt, Transport, WalletClient } from "viem";
import { asRevert, RevertError } from "./errors";
import { errorLine } from "../errors";
import { isRetryable, withRetry, type WithRetryParameters } from "./retry";

export type TxLogger = { info: (o: object, msg?: string) => void; warn: (o: object, msg?: string) => void };

export type TxSenderParameters = {
  publicClient: PublicClient;
  walletClient: WalletClient<Transport, Chain | undefined, Account>;
  /** Blocks to wait after inclusion before a receipt counts. */
  confirmations?: number;
  retry?: WithRetryParameters;
  logger?: TxLogger;
  /** How long to wait for a receipt per attempt. */
  receiptTimeoutMs?: number;
};

export type WriteRequest<abi extends Abi, fn extends ContractFunctionName<abi, "nonpayable" | "payable">> = {
  address: Address;
  abi: abi;
  functionName: fn;
  args: ContractFunctionArgs<abi, "nonpayable" | "payable", fn>;
  gas?: bigint;
};

export type TxSender = {
  account: Address;
  /** Simulates (a revert throws RevertError at once), sends with a managed nonce, waits for confirmations and
   * checks the receipt. Network failures are retried with back-off; reverts never are. */
  write<abi extends Abi, fn extends ContractFunctionName<abi, "nonpayable" | "payable">>(
    req: WriteRequest<abi, fn>,
  ): Promise<TransactionReceipt>;
};

/**
 * Creates a transaction sender for one account. Nonces come from the account's viem `nonceManager` (see
 * `walletFor`): taken at send time, released when a send fails, resynced from the node's pending count. Sends are
 * serialized, so a failed send never leaves a gap that a later one would have to wait behind.
 */
/** The gas limit sent for an estimate: half again, plus 30 000. */
export function padGas(estimate: bigint): bigint {
  return (estimate * 3n) / 2n + 30_000n;
}

export function createTxSender(p: TxSenderParameters): TxSender {
  const { publicClient, walletClient } = p;
  const account = walletClient.account;
  const confirmations = p.confirmations ?? 1;
  let queue: Promise<unknown> = Promise.resolve();

  async function sendOnce(req: WriteRequest<Abi, string>): Promise<TransactionReceipt> {
    let request;
    try {
      ({ request } = await publicClient.simulateContract({
        account,
        address: req.address,
        abi: req.abi,
        functionName: req.functionName,
        args: req.args as readonly unknown[],
        gas: req.gas,
      }));
    } catch (e) {
      throw asRevert(req.functionName, e, req.abi);
    }
    let hash: Hex;
    try {
      // Headroom over the estimate: a step may take a longer path once mined than when estimated (the reveal
      // that reaches the quorum accepts the settlement), and an out-of-gas revert costs the whole limit. Unused
      // gas is not charged.
      const gas = req.gas ?? padGas(await publicClient.estimateContractGas({ account, address: req.address, abi: req.abi, functionName: req.functionName, args: req.args as readonly unknown[] }));
      hash = await walletClient.writeContract({ ...request, gas, chain: walletClient.chain } as never);
    } catch (e) {
      throw asRevert(req.functionName, e, req.abi);
    }
    const receipt = await publicClient.waitForTransactionReceipt({
      hash,
      confirmations,
      timeout: p.receiptTimeoutMs ?? 60_000,
      pollingInterval: 200,
    });
    if (receipt.status !== "success") {
      // Mined but reverted (the state changed between simulation and inclusion): replay the call to name the error.
      try {
        await publicClient.simulateContract({ account, address: req.address, abi: req.abi, functionName: req.functionName, args: req.args as readonly unknown[], blockNumber: receipt.blockNumber });
      } catch (e) {
        const named = asRevert(req.functionName, e, req.abi);
        if (named instanceof RevertError) throw named;
      }
      throw new RevertError(req.functionName, undefined, undefined, new Error(`transaction ${hash} reverted`));
    }
    p.logger?.info({ fn: req.functionName, tx_hash: hash, block: Number(receipt.blockNumber), gas_used: Number(receipt.gasUsed) }, "tx confirmed");
    return receipt;
  }

  function write(req: WriteRequest<Abi, string>): Promise<TransactionReceipt> {
    const run = () =>
      withRetry(() => sendOnce(req), {
        ...p.retry,
        shouldRetry: (e) => !(e instanceof RevertError) && isRetryable(e),
        onRetry: (e, attempt, delay) => {
          // The node may or may not have taken the last nonce: count again from its pending transactions.
          account.nonceManager?.reset({ address: account.address, chainId: walletClient.chain?.id ?? publicClient.chain!.id });
          p.logger?.warn({ fn: req.functionName, attempt, delay_ms: delay, err: errorLine(e) }, "tx retry");
        },
      });
    const result = queue.then(run, run);
    queue = result.catch(() => undefined);
    return result;
  }

  return { account: account.address, write: write as TxSender["write"] };
}
