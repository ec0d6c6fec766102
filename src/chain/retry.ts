import {
  BaseError,
  ContractFunctionRevertedError,
  ExecutionRevertedError,
  HttpRequestError,
  InsufficientFundsError,
  InternalRpcError,
  LimitExceededRpcError,
  NonceTooHighError,
  NonceTooLowError,
  SocketClosedError,
  TimeoutError,
  TransactionNotFoundError,
  TransactionReceiptNotFoundError,
  WaitForTransactionReceiptTimeoutError,
  WebSocketRequestError,
} from "viem";
import { PoqError } from "../errors";

export type WithRetryParameters = {
  /** Attempts in total, the first included. */
  attempts?: number;
  /** First back-off delay in ms; doubles each time up to `maxDelayMs`. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Decides whether an error is worth another attempt. Default: `isRetryable`. */
  shouldRetry?: (error: unknown) => boolean;
  /** Called before each wait, for logging. */
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
  signal?: AbortSignal;
};

/** Never worth another attempt: the contract said no, or the account cannot pay (an operator must act). */
const FINAL = [ContractFunctionRevertedError, ExecutionRevertedError, InsufficientFundsError];

/**
 * Worth another attempt: the node could not be reached or did not answer in time, it is overloaded, a transaction
 * or receipt is not there yet, or the account's nonce moved (viem's nonce manager resyncs it on the next send).
 */
const TRANSIENT = [
  HttpRequestError,
  TimeoutError,
  SocketClosedError,
  WebSocketRequestError,
  InternalRpcError,
  LimitExceededRpcError,
  NonceTooLowError,
  NonceTooHighError,
  TransactionNotFoundError,
  TransactionReceiptNotFoundError,
  WaitForTransactionReceiptTimeoutError,
];

const isAny = (e: unknown, classes: readonly (abstract new (...args: never[]) => unknown)[]) => classes.some((c) => e instanceof c);

/**
 * Classifies an error by its kind, never by its text: a PoqError says itself; a viem error is walked down its cause
 * chain (`BaseError.walk`), a revert or missing funds anywhere in it is final, a connection, timeout, overload or
 * nonce error makes it retryable. Anything else (a bug, an unknown node error) is not retried.
 */
export function isRetryable(error: unknown): boolean {
  if (error instanceof PoqError) return error.retryable;
  if (!(error instanceof BaseError)) return false;
  if (error.walk((e) => isAny(e, FINAL))) return false;
  return error.walk((e) => isAny(e, TRANSIENT)) !== null;
}

/** Resolves after `ms`, or rejects as soon as `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new PoqError("aborted"));
    const t = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(new PoqError("aborted"));
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * Runs `fn` with exponential back-off on retryable errors; cancellable through `signal`. Single RPC requests are
 * already retried by the transport (`retryCount`); this retries a whole step (simulate, send, wait for the receipt).
 */
export async function withRetry<T>(fn: () => Promise<T>, p: WithRetryParameters = {}): Promise<T> {
  const attempts = p.attempts ?? 5;
  const base = p.baseDelayMs ?? 250;
  const max = p.maxDelayMs ?? 5_000;
  const shouldRetry = p.shouldRetry ?? isRetryable;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (attempt >= attempts || !shouldRetry(e) || p.signal?.aborted) throw e;
      const delay = Math.min(max, base * 2 ** (attempt - 1));
      p.onRetry?.(e, attempt, delay);
      await sleep(delay, p.signal);
    }
  }
}
