import { beforeAll, describe, expect, test } from "vitest";
import type { Address } from "viem";
import { chainWithTestToken } from "../../test/helpers/inProcessChain";
import { devKey } from "../agents/accounts";
import { testTokenAbi } from "./abis";
import { walletFor, type Clients } from "./client";
import { RevertError } from "./errors";
import { createTxSender } from "./tx";

describe("createTxSender (in-process Hardhat network)", () => {
  let clients: Clients;
  let token: Address;
  beforeAll(async () => void ({ clients, token } = await chainWithTestToken()), 120_000);

  const sender = (index: number) => createTxSender({ publicClient: clients.publicClient, walletClient: walletFor(clients, devKey(index)), retry: { baseDelayMs: 5, attempts: 6 } });

  test("behavior: a revert throws a named RevertError at once and sends nothing", async () => {
    const stranger = sender(9);
    const before = await clients.publicClient.getTransactionCount({ address: stranger.account });
    const e = await stranger.write({ address: token, abi: testTokenAbi, functionName: "mint", args: [stranger.account, 1n] }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(RevertError);
    expect((e as RevertError).shortMessage).toBe(`mint reverted: OwnableUnauthorizedAccount(${stranger.account})`);
    expect(await clients.publicClient.getTransactionCount({ address: stranger.account })).toBe(before);
  });

  test("behavior: two senders of one key in one process share the nonce sequence: concurrent writes all confirm", async () => {
    const a = sender(0);
    const b = sender(0);
    const start = await clients.publicClient.getTransactionCount({ address: a.account });
    const to = walletFor(clients, devKey(10)).account.address;
    const receipts = await Promise.all(
      Array.from({ length: 6 }, (_, i) => (i % 2 ? a : b).write({ address: token, abi: testTokenAbi, functionName: "mint", args: [to, BigInt(i + 1)] })),
    );
    expect(receipts.every((r) => r.status === "success")).toBe(true);
    const nonces = await Promise.all(receipts.map(async (r) => (await clients.publicClient.getTransaction({ hash: r.transactionHash })).nonce));
    expect([...nonces].sort((x, y) => x - y)).toEqual(Array.from({ length: 6 }, (_, i) => start + i));
    expect(await clients.publicClient.readContract({ address: token, abi: testTokenAbi, functionName: "balanceOf", args: [to] })).toBe(21n);
  });

  test("behavior: a transaction sent around the sender (same key, its own nonce) does not break the next write", async () => {
    const a = sender(0);
    const outside = walletFor(clients, devKey(0));
    await a.write({ address: token, abi: testTokenAbi, functionName: "mint", args: [a.account, 1n] });
    const pending = await clients.publicClient.getTransactionCount({ address: a.account, blockTag: "pending" });
    const hash = await outside.writeContract({ address: token, abi: testTokenAbi, functionName: "mint", args: [a.account, 1n], nonce: pending });
    await clients.publicClient.waitForTransactionReceipt({ hash });
    const r = await a.write({ address: token, abi: testTokenAbi, functionName: "mint", args: [a.account, 1n] });
    expect(r.status).toBe("success");
    expect((await clients.publicClient.getTransaction({ hash: r.transactionHash })).nonce).toBe(pending + 1);
  });
});
