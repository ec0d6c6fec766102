import { BaseError, ContractFunctionRevertedError } from "viem";
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

/** Turns a viem error into a RevertError when the contract reverted, else returns it unchanged. */
export function asRevert(functionName: string, error: unknown): unknown {
  if (error instanceof BaseError) {
    const revert = error.walk((e) => e instanceof ContractFunctionRevertedError);
    if (revert instanceof ContractFunctionRevertedError) {
      return new RevertError(functionName, revert.data?.errorName ?? revert.reason, revert.data?.args, error);
    }
  }
  return error;
}
