import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { beforeAll, afterAll, describe, expect, test } from "vitest";
import { privateKeyToAccount } from "viem/accounts";
import { closedPort, deployLocal, inProcessChain } from "../../test/helpers/inProcessChain";
import { rewardDistributorAbi, testTokenAbi } from "../chain/abis";
import { walletFor, type Clients } from "../chain/client";
import type { Deployment } from "../chain/deployment";
import { serveRpc } from "../chain/devnet";
import { devKey } from "./accounts";
import { LOG_LEVELS } from "./config";

const ROOT = path.join(__dirname, "..", "..");
const POQ = path.join(ROOT, "bin", "poq.js");

/** Runs `poq <args>` as a child process (asynchronously, so this process keeps serving its chain). */
function poq(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [POQ, ...args], { cwd: os.tmpdir(), env: { ...process.env, POQ_LOG_LEVEL: "silent" }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c) => (stdout += c));
    child.stderr.on("data", (c) => (stderr += c));
    child.on("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

/** One clean error line: `error: …`, exit code 2, no viem banner, no stack trace. */
function expectCleanError(r: { code: number | null; stderr: string }, pattern: RegExp) {
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(pattern);
  expect(r.stderr.split("\n").filter((l) => l.startsWith("error: "))).toHaveLength(1);
  expect(r.stderr).not.toMatch(/Version: viem|viem@|^\s+at /m);
}

describe("poq CLI: one error style, help, version", () => {
  test("behavior: --version prints the package version", async () => {
    const r = await poq(["--version"]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).version);
  });

  test("behavior: claim and fund list only the flags they use; daemons list every log level", async () => {
    for (const cmd of ["claim", "fund"]) {
      const help = (await poq([cmd, "--help"])).stdout;
      expect(help).toContain("--rpc");
      for (const unused of ["--port", "--poll-ms", "--data-dir", "--log-level"]) expect(help, `${cmd} ${unused}`).not.toContain(unused);
    }
    // claim reads the published proofs from the store; fund reads nothing from it.
    expect((await poq(["claim", "--help"])).stdout).toContain("--store");
    expect((await poq(["fund", "--help"])).stdout).not.toContain("--store");
    // claim fetches the published payload through a content backend when its store lacks it; fund needs none.
    expect((await poq(["claim", "--help"])).stdout).toContain("--ipfs-peers");
    expect((await poq(["fund", "--help"])).stdout).not.toContain("--content");
    const relayer = (await poq(["relayer", "--help"])).stdout.replace(/\s+/g, " ");
    expect(relayer).toContain(`--log-level <level> log level: ${LOG_LEVELS.join(", ")}`);
    expect(relayer).toContain("--port");
  });

  test("behavior: a wrong RPC URL gives one clean line and exit 2 in every command that connects", async () => {
    const url = await closedPort();
    const runs = await Promise.all([
      poq(["claim", "--rpc", url, "--dev-account", "3"]),
      poq(["fund", "--rpc", url, "--dev-account", "3", "--round", "1", "--inference", "1", "--evaluator", "1"]),
      poq(["relayer", "--rpc", url, "--dev-account", "1"]),
      poq(["demo", "--rpc", url]),
    ]);
    for (const r of runs) expectCleanError(r, /cannot reach the JSON-RPC endpoint/);
    expectCleanError(await poq(["claim", "--rpc", "not a url", "--dev-account", "3"]), /malformed RPC URL/);
    expectCleanError(await poq(["relayer", "--rpc", url, "--dev-account", "1", "--log-level", "loud"]), /--log-level/);
  });

  test("behavior: poq demo runs an IPFS node per agent by default, offers the shared folder store, and names both when given another content kind", async () => {
    expect((await poq(["demo", "--help"])).stdout.replace(/\s+/g, " ")).toMatch(/--content <kind> helia \(default\).*folder.*\(default: "helia"\)/);
    expectCleanError(await poq(["demo", "--content", "kubo"]), /--content.*helia, folder/);
  });
});

describe("poq fund validates the round (in-process Hardhat network served over HTTP)", () => {
  let clients: Clients;
  let d: Deployment;
  let rpc: { url: string; close: () => Promise<void> };
  let file: string;
  beforeAll(async () => {
    const chain = await inProcessChain();
    clients = chain.clients;
    d = await deployLocal();
    rpc = await serveRpc(chain.provider, 0);
    file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "poq-fund-")), "deployment.json");
    fs.writeFileSync(file, JSON.stringify(d));
    const owner = walletFor(clients, devKey(0));
    await clients.publicClient.waitForTransactionReceipt({ hash: await owner.writeContract({ address: d.token, abi: testTokenAbi, functionName: "mint", args: [privateKeyToAccount(devKey(6)).address, 10n ** 21n] }) });
  }, 180_000);
  afterAll(() => rpc?.close());

  const fund = (round: string, key = 6) => poq(["fund", "--rpc", rpc.url, "--deployment", file, "--dev-account", String(key), "--round", round, "--inference", "3", "--evaluator", "1"]);

  test("behavior: a round that is neither registered nor next is refused before anything is sent", async () => {
    const me = privateKeyToAccount(devKey(6)).address;
    const before = await clients.publicClient.getTransactionCount({ address: me });
    expectCleanError(await fund("999999"), /round 999999 is neither registered nor the next round: rounds 1\.\.0 exist/);
    expect(await clients.publicClient.getTransactionCount({ address: me })).toBe(before);
    // Without the tokens: says what is missing, sends nothing.
    expectCleanError(await fund("1", 9), /holds 0 tokens; funding needs 4/);
  });

  test("behavior: the next round is accepted and funded", async () => {
    const r = await fund("1");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^funded round 1: tx 0x/);
    const f = await clients.publicClient.readContract({ address: d.distributor, abi: rewardDistributorAbi, functionName: "roundFunds", args: [1n] });
    expect([f.inferencePool, f.evaluatorPool]).toEqual([3n * 10n ** 18n, 10n ** 18n]);
  });
});
