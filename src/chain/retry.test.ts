import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createPublicClient, createWalletClient, custom, http, parseEther, type Address } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { chainWithTestToken, closedPort, fakeRpc, withFakeRpc } from "../../test/helpers/inProcessChain";
import { devKey } from "../agents/accounts";
import { PoqError } from "../errors";
import { testTokenAbi } from "./abis";
import type { Clients } from "./client";
import { asRevert, RevertError } from "./errors";
import { isRetryable, withRetry } from "./retry";

/** The error a call throws (the test fails if it does not throw). */
async function errorOf(call: () => Promise<unknown>): Promise<unknown> {
  try {
    await call();
  } catch (e) {
    return e;
  }
  throw new Error("expected the call to fail");
}

/** A client on `url` whose transport does not retry by itself, so each failure reaches the code under test. */
const clientOn = (url: string, timeout = 2_000) => createPublicClient({ transport: http(url, { retryCount: 0, timeout }) });

const ok = (id: number, result: unknown) => ({ status: 200, body: { jsonrpc: "2.0", id, result } });

describe("isRetryable, on errors viem really throws", () => {
  let chain: Clients;
  let token: Address;
  beforeAll(async () => void ({ clients: chain, token } = await chainWithTestToken()), 120_000);

  test("behavior: a node that cannot be reached is retryable", async () => {
    const url = await closedPort();
    const e = await errorOf(() => clientOn(url).getBlockNumber());
    expect((e as Error).name).toBe("HttpRequestError");
    expect(isRetryable(e)).toBe(true);
  });

  test("behavior: an overloaded node (HTTP 503, JSON-RPC -32005 limit) is retryable", async () => {
    await withFakeRpc(
      (n, b) => (n === 0 ? { status: 503, body: "busy" } : { status: 200, body: { jsonrpc: "2.0", id: b.id, error: { code: -32005, message: "limit exceeded" } } }),
      async (rpc) => {
        const busy = await errorOf(() => clientOn(rpc.url).getBlockNumber());
        expect((busy as Error).name).toBe("HttpRequestError");
        expect(isRetryable(busy)).toBe(true);
        const limited = await errorOf(() => clientOn(rpc.url).getChainId());
        expect((limited as Error).name).toBe("LimitExceededRpcError");
        expect(isRetryable(limited)).toBe(true);
      },
    );
  });

  test("behavior: a node that does not answer in time is retryable", async () => {
    const e = await withFakeRpc(() => "hang", (rpc) => errorOf(() => clientOn(rpc.url, 100).getBlockNumber()));
    expect((e as Error).name).toBe("TimeoutError");
    expect(isRetryable(e)).toBe(true);
  });

  test("behavior: a request the node refuses as invalid is not retried", async () => {
    const e = await withFakeRpc((_n, b) => ({ status: 200, body: { jsonrpc: "2.0", id: b.id, error: { code: -32602, message: "invalid params" } } }), (rpc) => errorOf(() => clientOn(rpc.url).getBlockNumber()));
    expect((e as Error).name).toBe("InvalidParamsRpcError");
    expect(isRetryable(e)).toBe(false);
  });

  test("behavior: a contract revert is never retryable, and is named with its custom error", async () => {
    const stranger = privateKeyToAccount(devKey(5));
    const e = await errorOf(() => chain.publicClient.simulateContract({ account: stranger, address: token, abi: testTokenAbi, functionName: "mint", args: [stranger.address, 1n] }));
    expect((e as Error).name).toBe("ContractFunctionExecutionError");
    expect(isRetryable(e)).toBe(false);
    const named = asRevert("mint", e, testTokenAbi);
    expect(named).toBeInstanceOf(RevertError);
    expect((named as RevertError).errorName).toBe("OwnableUnauthorizedAccount");
    expect((named as RevertError).args).toEqual([stranger.address]);
  });

  test("behavior: a stale nonce is retryable; a send the account cannot pay for is not", async () => {
    const key = devKey(6);
    const wallet = createWalletClient({ chain: chain.chain, transport: chain.transport, account: privateKeyToAccount(key) });
    const to = privateKeyToAccount(devKey(7)).address;
    await chain.publicClient.waitForTransactionReceipt({ hash: await wallet.sendTransaction({ to, value: 1n }) });
    const stale = await errorOf(() => wallet.sendTransaction({ to, value: 1n, nonce: 0 }));
    expect((stale as Error).name).toBe("TransactionExecutionError");
    expect(isRetryable(stale)).toBe(true);
    const poor = createWalletClient({ chain: chain.chain, transport: chain.transport, account: privateKeyToAccount(`0x${"11".repeat(32)}`) });
    const broke = await errorOf(() => poor.sendTransaction({ to, value: parseEther("1") }));
    expect(isRetryable(broke)).toBe(false);
  });

  test("behavior: a PoqError says itself; a plain bug is never retried", () => {
    expect(isRetryable(new PoqError("x", { retryable: true }))).toBe(true);
    expect(isRetryable(new PoqError("x"))).toBe(false);
    expect(isRetryable(new TypeError("cannot read properties of undefined"))).toBe(false);
  });
});

describe("withRetry", () => {
  let rpc: Awaited<ReturnType<typeof fakeRpc>>;
  afterAll(() => rpc?.close());

  test("behavior: retries a real connection failure with back-off, then succeeds", async () => {
    rpc = await fakeRpc((n, b) => (n < 2 ? { status: 502, body: "bad gateway" } : ok(b.id, "0x2a")));
    const delays: number[] = [];
    const client = clientOn(rpc.url);
    const out = await withRetry(() => client.getBlockNumber(), { baseDelayMs: 1, onRetry: (_e, _a, d) => delays.push(d) });
    expect(out).toBe(42n);
    expect(rpc.requests()).toBe(3);
    expect(delays).toEqual([1, 2]);
  });

  test("behavior: never retries a revert", async () => {
    const { clients, token } = await chainWithTestToken();
    const stranger = privateKeyToAccount(devKey(8));
    let calls = 0;
    const e = await errorOf(() =>
      withRetry(
        async () => {
          calls++;
          return clients.publicClient.simulateContract({ account: stranger, address: token, abi: testTokenAbi, functionName: "mint", args: [stranger.address, 1n] });
        },
        { baseDelayMs: 1 },
      ),
    );
    expect((e as Error).name).toBe("ContractFunctionExecutionError");
    expect(calls).toBe(1);
  }, 60_000);

  test("behavior: gives up after the attempts and rethrows the last error", async () => {
    const client = clientOn(await closedPort());
    let calls = 0;
    const e = await errorOf(() => withRetry(() => (calls++, client.getBlockNumber()), { attempts: 3, baseDelayMs: 1 }));
    expect((e as Error).name).toBe("HttpRequestError");
    expect(calls).toBe(3);
  });

  test("behavior: an abort stops the waiting", async () => {
    const client = clientOn(await closedPort());
    const ac = new AbortController();
    const p = withRetry(() => client.getBlockNumber(), { baseDelayMs: 10_000, signal: ac.signal });
    setTimeout(() => ac.abort(), 50);
    await expect(p).rejects.toThrow(/aborted/);
  });

  test("behavior: the transport's own retries absorb a short outage of one request", async () => {
    await withFakeRpc(
      (n, b) => (n < 2 ? { status: 503, body: "busy" } : ok(b.id, "0x7")),
      async (flaky) => {
        const client = createPublicClient({ transport: http(flaky.url, { retryCount: 3, retryDelay: 1 }) });
        expect(await client.getBlockNumber()).toBe(7n);
        expect(flaky.requests()).toBe(3);
      },
    );
  });

  test("behavior: an in-process provider error passes through unchanged", async () => {
    const client = createPublicClient({ transport: custom({ request: async () => Promise.reject(new Error("provider exploded")) }, { retryCount: 0 }) });
    const e = await errorOf(() => client.getBlockNumber());
    expect(isRetryable(e)).toBe(false);
  });
});
