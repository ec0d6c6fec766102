import { BaseError, ContractFunctionRevertedError, decodeErrorResult, isHex, type Abi, type Hex } from "viem";
import { PoqError } from "../errors";

/** A transaction or call the contract rejected. Never retried. */
export class RevertError extends PoqError {
  override name = "RevertError";
  readonly errorName?: string;
  readonly args?: readonly unknown[];
  constructor(functionName: string, errorName: string | undefined, args: readonly unknown[] | undefined, cause?: unknown) {
    super(
      `${functionName} reverted${errorName ? `: ${errorName}(${(args ?? []).map(String).join(", ")})` : ""}`,
      { cause, retryable: false },
    );
    this.errorName = errorName;
    this.args = args;
  }
}

/** The node could not be reached or did not answer in time; the caller may retry. */
export class RpcError extends PoqError {
  override name = "RpcError";
}

/**
 * Turns a viem error into a RevertError when the contract reverted, else returns it unchanged. viem decodes the
 * revert of a JSON-RPC node itself; an in-process node (the embedded Hardhat network) answers with an error viem does
 * not recognise, whose revert data `abi` decodes.
 */
export function asRevert(functionName: string, error: unknown, abi?: Abi): unknown {
  if (!(error instanceof BaseError)) return error;
  const revert = error.walk((e) => e instanceof ContractFunctionRevertedError);
  if (revert instanceof ContractFunctionRevertedError) {
    return new RevertError(functionName, revert.data?.errorName ?? revert.reason, revert.data?.args, error);
  }
  const raw = abi && error.walk((e) => typeof (e as { data?: unknown }).data === "string" && isHex((e as { data: string }).data) && (e as { data: string }).data.length >= 10);
  if (raw) {
    try {
      const decoded = decodeErrorResult({ abi, data: (raw as unknown as { data: Hex }).data });
      return new RevertError(functionName, decoded.errorName, decoded.args, error);
    } catch {
      // not one of the contract's errors: leave it as it is
    }
  }
  return error;
}
