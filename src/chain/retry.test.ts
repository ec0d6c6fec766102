import { describe, expect, test } from "vitest";
import { PoqError } from "../errors";
import { RevertError } from "./errors";
import { isRetryable, withRetry } from "./retry";

describe("withRetry", () => {
  test("behavior: retries connection failures with back-off, then succeeds", async () => {
    let calls = 0;
    const delays: number[] = [];
    const out = await withRetry(
      async () => {
        calls++;
        if (calls < 3) throw new Error("fetch failed: ECONNREFUSED");
        return "ok";
      },
      { baseDelayMs: 1, onRetry: (_e, _a, d) => delays.push(d) },
    );
    expect(out).toBe("ok");
    expect(calls).toBe(3);
    expect(delays).toEqual([1, 2]);
  });

  test("behavior: never retries a revert", async () => {
    let calls = 0;
    await expect(
      withRetry(async () => {
        calls++;
        throw new RevertError("commitScores", "WrongPhase", [1n, 2, 3]);
      }, { baseDelayMs: 1 }),
    ).rejects.toThrow("commitScores reverted: WrongPhase(1, 2, 3)");
    expect(calls).toBe(1);
  });

  test("behavior: gives up after the attempts and rethrows the last error", async () => {
    let calls = 0;
    await expect(withRetry(async () => (calls++, Promise.reject(new Error("socket hang up"))), { attempts: 3, baseDelayMs: 1 })).rejects.toThrow("socket hang up");
    expect(calls).toBe(3);
  });

  test("behavior: an abort stops the waiting", async () => {
    const ac = new AbortController();
    const p = withRetry(async () => Promise.reject(new Error("ETIMEDOUT")), { baseDelayMs: 10_000, signal: ac.signal });
    setTimeout(() => ac.abort(), 10);
    await expect(p).rejects.toThrow(/aborted/);
  });

  test("behavior: classification", () => {
    expect(isRetryable(new Error("execution reverted: custom error"))).toBe(false);
    expect(isRetryable(new Error("HTTP request failed."))).toBe(true);
    expect(isRetryable(new Error("Nonce provided for the transaction (4) is lower than the current nonce"))).toBe(true);
    expect(isRetryable(new Error("nonce too low"))).toBe(true);
    expect(isRetryable(new PoqError("x", { retryable: true }))).toBe(true);
    expect(isRetryable(new PoqError("x"))).toBe(false);
    expect(isRetryable(Object.assign(new Error("outer"), { cause: new Error("ECONNRESET") }))).toBe(true);
  });
});
