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

/** Connection-level failures: the same call may succeed once the node is back. Reverts are never retryable. */
export function isRetryable(error: unknown): boolean {
  if (error instanceof PoqError) return error.retryable;
  const e = error as { name?: string; message?: string; shortMessage?: string; details?: string; cause?: unknown };
  const text = `${e?.name ?? ""} ${e?.shortMessage ?? ""} ${e?.message ?? ""} ${e?.details ?? ""}`;
  if (/revert|execution reverted|ContractFunctionRevertedError|insufficient funds/i.test(text)) return false;
  if (
    /HttpRequestError|HTTP request failed|TimeoutError|fetch failed|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|socket hang up|other side closed|network|took too long|UND_ERR|nonce too low|lower than the current nonce|nonce has already been used|already known|replacement transaction underpriced/i.test(
      text,
    )
  ) {
    return true;
  }
  return e?.cause !== undefined && e.cause !== error ? isRetryable(e.cause) : false;
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

/** Runs `fn` with exponential back-off on retryable errors. Cancellable through `signal`. */
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
