import { spawn } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { anvilBinary, freePort, Proc, ROOT } from "../e2e/harness";

/**
 * scripts/stake-and-fund.ts on a node with too few funded accounts (anvil started with `--accounts 3`, against the
 * 20 the local setup uses): it must stop before sending anything, with a non-zero exit and a message naming how many
 * accounts are needed, rather than stake only some of the evaluators.
 */
describe("stake-and-fund: too few funded accounts on the node", () => {
  let anvil: Proc;
  let url: string;
  beforeAll(async () => {
    const port = await freePort();
    // A chain id of its own, so no deployment folder of a local run (deploy/deployments/chain-31337) is involved.
    const child = spawn(anvilBinary(), ["--port", String(port), "--host", "127.0.0.1", "--accounts", "3", "--chain-id", "31977"], { stdio: ["ignore", "pipe", "pipe"] });
    anvil = new Proc("anvil", child);
    await anvil.waitFor((l) => l.includes("Listening on"), 60_000, "anvil to start");
    url = `http://127.0.0.1:${port}`;
  }, 90_000);
  afterAll(async () => {
    anvil?.kill("SIGKILL");
    await anvil?.exited;
  });

  test("behavior: it exits non-zero, says the setup needs 20 funded accounts and the node has 3, and sends nothing", async () => {
    const r = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn(path.join(ROOT, "node_modules", ".bin", "hardhat"), ["run", "scripts/stake-and-fund.ts", "--network", "localhost"], {
        cwd: ROOT,
        env: { ...process.env, POQ_LOCALHOST_URL: url, HARDHAT_DISABLE_TELEMETRY_PROMPT: "true" },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let out = "";
      child.stdout.on("data", (d) => (out += d));
      child.stderr.on("data", (d) => (out += d));
      child.on("exit", (code) => resolve({ code, out }));
    });
    expect(r.code, r.out).not.toBe(0);
    expect(r.out).toMatch(/the node has 3 accounts, 3 of the first 20 funded; the local setup needs 20 funded accounts/);
    expect(r.out).toContain("--accounts 20");
    expect(r.out).not.toMatch(/^staked /m);
    // Nothing was sent: the node's accounts have no transaction.
    const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_blockNumber", params: [] }) });
    expect(((await res.json()) as { result: string }).result).toBe("0x0");
  }, 120_000);
});
