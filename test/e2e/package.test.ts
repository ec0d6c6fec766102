import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { closedPort, deployLocal, inProcessChain } from "../helpers/inProcessChain";
import { rewardDistributorAbi, testTokenAbi } from "../../src/chain/abis";
import { walletFor, type Clients } from "../../src/chain/client";
import type { Deployment } from "../../src/chain/deployment";
import { serveRpc } from "../../src/chain/devnet";
import { devKey } from "../../src/agents/accounts";
import { freePort, Proc, ROOT, tmpDir } from "./harness";

/** Whether something listens on 127.0.0.1:<port> (a server can bind it again once the daemon let it go). */
const portFree = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = net.createServer();
    s.once("error", () => resolve(false));
    s.listen(port, "127.0.0.1", () => s.close(() => resolve(true)));
  });

/**
 * `poq` as a user gets it: `npm pack` (which builds dist/ with tsc first), then an install of the tarball into an
 * empty folder (from npm's cache where it can), then the installed `poq` run with node alone: no tsx, no Hardhat,
 * no checkout.
 */
describe("package: npm pack, install into an empty folder, run", () => {
  let app: string;
  let bin: string;
  const version = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).version as string;

  beforeAll(() => {
    const dir = tmpDir("poq-package-");
    const pack = spawnSync("npm", ["pack", "--pack-destination", dir], { cwd: ROOT, encoding: "utf8" });
    expect(pack.status, pack.stderr).toBe(0);
    const tarball = path.join(dir, `poq-settle-${version}.tgz`);
    expect(fs.existsSync(tarball)).toBe(true);
    app = path.join(dir, "app");
    fs.mkdirSync(app);
    fs.writeFileSync(path.join(app, "package.json"), JSON.stringify({ name: "app", version: "1.0.0", private: true }));
    const install = spawnSync("npm", ["install", tarball, "--prefer-offline", "--no-audit", "--no-fund"], { cwd: app, encoding: "utf8" });
    expect(install.status, install.stderr).toBe(0);
    bin = path.join(app, "node_modules", ".bin", "poq");
    // npm 11 runs no install script it was not told to allow, so better-sqlite3's native module (the daemons'
    // checkpoints, the explorer's index) is not built by this install: a user approves it (docs/operations.md) and
    // installs again, which compiles SQLite when no prebuilt binary can be fetched. Rather than compile it on every
    // run, the test puts the checkout's build of the very same version where that build would go.
    const [mine, theirs] = [ROOT, app].map((dir) => path.join(dir, "node_modules", "better-sqlite3"));
    const versionOf = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")).version as string;
    expect(versionOf(theirs)).toBe(versionOf(mine));
    const addon = path.join("build", "Release", "better_sqlite3.node");
    fs.mkdirSync(path.dirname(path.join(theirs, addon)), { recursive: true });
    if (!fs.existsSync(path.join(theirs, addon))) fs.copyFileSync(path.join(mine, addon), path.join(theirs, addon));
  }, 600_000);

  const run = (args: string[]) => spawnSync(bin, args, { cwd: app, encoding: "utf8", env: { ...process.env, POQ_LOG_LEVEL: "silent" } });
  const sample = () => path.join(app, "node_modules", "poq-settle", "data", "samples", "qa-sample.jsonl");

  test("behavior: the installed package ships built JavaScript and no TypeScript sources, and needs no tsx", () => {
    const pkg = path.join(app, "node_modules", "poq-settle");
    expect(fs.existsSync(path.join(pkg, "dist", "cli.js"))).toBe(true);
    // The explorer's stylesheet and script, which tsc does not emit, sit next to the compiled server.
    for (const f of ["style.css", "explorer.js"]) expect(fs.readFileSync(path.join(pkg, "dist", "explorer", "static", f), "utf8")).toBe(fs.readFileSync(path.join(ROOT, "src", "explorer", "static", f), "utf8"));
    expect(fs.existsSync(path.join(pkg, "src"))).toBe(false);
    expect(fs.existsSync(path.join(app, "node_modules", "tsx"))).toBe(false);
  });

  test("behavior: --help and --version", () => {
    const help = run(["--help"]);
    expect(help.status).toBe(0);
    for (const c of ["relayer", "evaluator", "inference", "claim", "fund", "audit", "simulate", "explorer", "inspect", "demo"]) expect(help.stdout).toContain(c);
    const v = run(["--version"]);
    expect(v.status).toBe(0);
    expect(v.stdout.trim()).toBe(version);
    const inspect = run(["inspect", "--help"]);
    expect(inspect.status).toBe(0);
    expect(inspect.stdout).toMatch(/^Usage: poq inspect/);
  });

  test("behavior: audit and simulate run on the bundled samples", () => {
    const audit = run(["audit", "--eval", sample(), "--cv", "3"]);
    expect(audit.status, audit.stderr).toBe(0);
    expect(audit.stdout).toMatch(/consensus \(mean of dims\)\s+0\.\d+/);
    const sim = run(["simulate", "--data", sample()]);
    expect(sim.status, sim.stderr).toBe(0);
    expect(sim.stdout).toMatch(/robust-trust/);
  });

  test("behavior: claim with an unreachable RPC and demo without a checkout fail cleanly with exit 2", async () => {
    const url = await closedPort();
    const claim = run(["claim", "--rpc", url, "--dev-account", "3"]);
    expect(claim.status).toBe(2);
    expect(claim.stderr).toMatch(/^error: cannot reach the JSON-RPC endpoint/);
    expect(claim.stderr).not.toMatch(/viem@|^\s+at /m);
    const demo = run(["demo"]);
    expect(demo.status).toBe(2);
    expect(demo.stderr).toMatch(/^error: poq demo needs a checkout of the repository: its embedded chain is Hardhat/);
  });
  /**
   * The installed `poq` against a chain: the in-process Hardhat network with the local system deployed, served over
   * HTTP JSON-RPC by this process (so the children run asynchronously, and this process keeps answering).
   */
  describe("against a local chain", () => {
    let clients: Clients;
    let d: Deployment;
    let rpc: { url: string; close: () => Promise<void> };
    let file: string;
    let work: string;
    const daemons: Proc[] = [];

    const runAsync = (args: string[]) =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        const child = spawn(bin, args, { cwd: work, env: { ...process.env, POQ_LOG_LEVEL: "silent" }, stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (c) => (stdout += c));
        child.stderr.on("data", (c) => (stderr += c));
        child.on("exit", (code) => resolve({ code, stdout, stderr }));
      });
    const chainArgs = () => ["--rpc", rpc.url, "--deployment", file];

    beforeAll(async () => {
      const chain = await inProcessChain();
      clients = chain.clients;
      d = await deployLocal();
      rpc = await serveRpc(chain.provider, 0);
      work = tmpDir("poq-package-chain-");
      file = path.join(work, "deployment.json");
      fs.writeFileSync(file, JSON.stringify(d));
      const owner = walletFor(clients, devKey(0));
      const hash = await owner.writeContract({ address: d.token, abi: testTokenAbi, functionName: "mint", args: [privateKeyToAccount(devKey(6)).address, 10n ** 21n] });
      await clients.publicClient.waitForTransactionReceipt({ hash });
    }, 300_000);
    afterAll(async () => {
      for (const p of daemons) p.kill("SIGKILL");
      await rpc?.close();
      if (work) fs.rmSync(work, { recursive: true, force: true });
    });

    test("behavior: fund funds the next round, and inspect shows governance and the funder", async () => {
      const fund = await runAsync(["fund", ...chainArgs(), "--dev-account", "6", "--round", "1", "--inference", "3", "--evaluator", "1"]);
      expect(fund.stderr).toBe("");
      expect(fund.code).toBe(0);
      expect(fund.stdout).toMatch(/^funded round 1: tx 0x[0-9a-f]{64}/);
      const f = await clients.publicClient.readContract({ address: d.distributor, abi: rewardDistributorAbi, functionName: "roundFunds", args: [1n] });
      expect([f.inferencePool, f.evaluatorPool]).toEqual([3n * 10n ** 18n, 10n ** 18n]);

      const db = ["--db", path.join(work, "inspect.sqlite")];
      const gov = await runAsync(["inspect", "governance", ...chainArgs(), ...db, "--json"]);
      expect(gov.code, gov.stderr).toBe(0);
      const relayer1 = privateKeyToAccount(devKey(1)).address.toLowerCase();
      expect(gov.stdout.toLowerCase()).toContain(relayer1);
      const funder = privateKeyToAccount(devKey(6)).address;
      const addr = await runAsync(["inspect", "address", funder, ...chainArgs(), ...db]);
      expect(addr.code, addr.stderr).toBe(0);
      expect(addr.stdout.toLowerCase()).toContain(funder.toLowerCase());
    });

    test("behavior: the relayer, evaluator and inference daemons run from the installed package: /healthz and /metrics answer, SIGTERM stops each with code 0", async () => {
      const runs: [string, string[]][] = [
        ["relayer", ["--dev-account", "1"]],
        ["evaluator", ["--dev-account", "7"]],
        ["inference", ["--dev-account", "3", "--replay", sample(), "--models", "fid,gpt35"]],
      ];
      await Promise.all(
        runs.map(async ([type, extra]) => {
          const port = await freePort();
          const args = [type, ...chainArgs(), "--store", path.join(work, "store"), "--data-dir", path.join(work, `data-${type}`), "--port", String(port), "--poll-ms", "200", ...extra];
          const child = spawn(bin, args, { cwd: work, stdio: ["ignore", "pipe", "pipe"] });
          const p = new Proc(type, child, path.join(work, `${type}.log`));
          daemons.push(p);
          const started = p.waitFor((l) => l.includes("http listening"), 60_000, `${type}: started`);
          const early = p.exited.then((c) => `exited with ${c} before listening`);
          const first = await Promise.race([started, early]);
          expect(first, `${type}: ${p.lines.slice(-10).join("\n")}`).toContain("http listening");
          // Healthy or degraded with a named reason (an evaluator without tokens says so): either way it answers.
          const health = await fetch(`http://127.0.0.1:${port}/healthz`);
          expect([200, 503], `${type} /healthz`).toContain(health.status);
          expect(((await health.json()) as { status: string }).status, type).toMatch(/^(ok|degraded)$/);
          const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
          expect(metrics, type).toContain("poq_ticks_total");
          child.kill("SIGTERM");
          const code = await Promise.race([p.exited, new Promise<"timeout">((r) => setTimeout(() => r("timeout"), 12_000))]);
          expect(code, `${type}: ${p.lines.slice(-10).join("\n")}`).toBe(0);
          expect(await portFree(port), type).toBe(true);
        }),
      );
    });

    test("behavior: the explorer daemon serves HTTP, and on SIGTERM exits promptly with code 0 and frees its port", async () => {
      const port = await freePort();
      const child = spawn(bin, ["explorer", ...chainArgs(), "--db", path.join(work, "explorer.sqlite"), "--port", String(port), "--poll-ms", "200"], { cwd: work, stdio: ["ignore", "pipe", "pipe"] });
      const p = new Proc("explorer", child, path.join(work, "explorer.log"));
      daemons.push(p);
      await p.waitFor((l) => l.includes('"msg":"synced"'), 60_000, "the explorer's first sync");
      const health = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(health.status).toBe(200);
      expect(((await health.json()) as { ok: boolean }).ok).toBe(true);
      const home = await fetch(`http://127.0.0.1:${port}/`);
      expect(home.status).toBe(200);
      expect(await home.text()).toMatch(/<html/i);
      expect(await portFree(port)).toBe(false);

      const t0 = Date.now();
      child.kill("SIGTERM");
      const code = await Promise.race([p.exited, new Promise<"timeout">((r) => setTimeout(() => r("timeout"), 5_000))]);
      expect(code, p.lines.slice(-10).join("\n")).toBe(0);
      expect(child.signalCode).toBeNull();
      expect(Date.now() - t0).toBeLessThan(5_000);
      expect(await portFree(port)).toBe(true);
      expect(p.lines.some((l) => l.includes('"msg":"stopped"'))).toBe(true);
    });
  });
});
