import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { closedPort } from "../helpers/inProcessChain";
import { ROOT, tmpDir } from "./harness";

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
});
