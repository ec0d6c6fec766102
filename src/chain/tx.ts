import type { Abi, Account, Address, Chain, ContractFunctionArgs, ContractFunctionName, Hex, PublicClient, TransactionReceipt, Transport, WalletClient } from "viem";
import { asRevert, RevertError } from "./errors";
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

/** Creates a transaction sender for one account. Sends are serialized so nonces never collide. */
export function createTxSender(p: TxSenderParameters): TxSender {
  const { publicClient, walletClient } = p;
  const account = walletClient.account;
  const confirmations = p.confirmations ?? 1;
  let nextNonce: number | undefined;
  let queue: Promise<unknown> = Promise.resolve();

  async function syncNonce(): Promise<number> {
    nextNonce = await publicClient.getTransactionCount({ address: account.address, blockTag: "pending" });
    return nextNonce;
  }

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
      throw asRevert(req.functionName, e);
    }
    const nonce = nextNonce ?? (await syncNonce());
    let hash: Hex;
    try {
      hash = await walletClient.writeContract({ ...request, nonce, chain: walletClient.chain } as never);
    } catch (e) {
      nextNonce = undefined; // resync on the next attempt: the node may or may not have taken the nonce
      throw asRevert(req.functionName, e);
    }
    nextNonce = nonce + 1;
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
        const named = asRevert(req.functionName, e);
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
          nextNonce = undefined;
          p.logger?.warn({ fn: req.functionName, attempt, delay_ms: delay, err: (e as Error).message?.split("\n")[0] }, "tx retry");
        },
      });
    const result = queue.then(run, run);
    queue = result.catch(() => undefined);
    return result;
  }

  return { account: account.address, write: write as TxSender["write"] };
}
