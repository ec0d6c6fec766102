import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import { erc20Abi, type Address, type Hex } from "viem";
import { testTokenAbi } from "../../src/chain/abis";
import { connect, walletFor, type Clients } from "../../src/chain/client";
import { loadDeployment, type Deployment } from "../../src/chain/deployment";
import { devKey, DEV_ROLES } from "../../src/agents/accounts";
import { LOCAL_GOLD_POOL, LOCAL_POLICY } from "../../src/agents/demo";

export const ROOT = path.join(__dirname, "..", "..");
const POQ_BIN = path.join(ROOT, "bin", "poq.js");
const HARDHAT = path.join(ROOT, "node_modules", ".bin", "hardhat");

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

/** A child process whose stdout lines are kept and can be waited on. */
export class Proc {
  readonly lines: string[] = [];
  private waiters: { pred: (l: string) => boolean; resolve: (l: string) => void }[] = [];
  exited: Promise<number | null>;
  constructor(
    readonly name: string,
    readonly child: ChildProcess,
    logFile?: string,
  ) {
    const out = logFile ? fs.createWriteStream(logFile, { flags: "a" }) : undefined;
    for (const stream of [child.stdout, child.stderr]) {
      if (!stream) continue;
      readline.createInterface({ input: stream }).on("line", (l) => {
        out?.write(`${l}\n`);
        this.lines.push(l);
        this.waiters = this.waiters.filter((w) => (w.pred(l) ? (w.resolve(l), false) : true));
      });
    }
    this.exited = new Promise((r) => child.on("exit", (code) => r(code)));
  }
  waitFor(pred: (l: string) => boolean, timeoutMs: number, what = "a log line"): Promise<string> {
    const hit = this.lines.find(pred);
    if (hit) return Promise.resolve(hit);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`${this.name}: timed out waiting for ${what}`)), timeoutMs);
      this.waiters.push({ pred, resolve: (l) => (clearTimeout(t), resolve(l)) });
    });
  }
  kill(signal: NodeJS.Signals = "SIGTERM") {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
  }
}

export async function startNode(port: number, logDir: string): Promise<Proc & { url: string }> {
  const child = spawn(HARDHAT, ["node", "--port", String(port), "--hostname", "127.0.0.1"], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  const p = new Proc("hardhat-node", child, path.join(logDir, "node.log")) as Proc & { url: string };
  p.url = `http://127.0.0.1:${port}`;
  await p.waitFor((l) => l.includes("Started HTTP"), 60_000, "the node to start");
  return p;
}

/** Round parameters of the end-to-end networks (seconds), with the local gold pool of deploy/parameters/localhost.json. */
export const E2E_PARAMS: Record<string, unknown> = {
  ...JSON.parse(fs.readFileSync(path.join(ROOT, "deploy", "parameters", "localhost.json"), "utf8")).PoQLocal,
  assignDuration: 60,
  commitDuration: 10,
  revealDuration: 10,
  settleWindow: 120,
  settleCommitDuration: 6,
  settleRevealDuration: 6,
  challengeDuration: 3,
  responseDuration: 5,
  k: 5,
  quorum: 2,
};

/** Deploys with the Ignition module into deploy/deployments/<id>/ and returns the deployment. */
export function deploy(url: string, id: string, logDir: string, params = E2E_PARAMS): { deployment: Deployment; file: string } {
  const dir = path.join(ROOT, "deploy", "deployments", id);
  fs.rmSync(dir, { recursive: true, force: true });
  const paramsFile = path.join(logDir, "params.json");
  fs.writeFileSync(paramsFile, JSON.stringify({ PoQLocal: params }));
  const r = spawnSync(HARDHAT, ["ignition", "deploy", "deploy/modules/PoQLocal.ts", "--network", "localhost", "--deployment-id", id, "--parameters", paramsFile], {
    cwd: ROOT,
    env: { ...process.env, POQ_LOCALHOST_URL: url, HARDHAT_IGNITION_CONFIRM_DEPLOYMENT: "false" },
    encoding: "utf8",
  });
  fs.writeFileSync(path.join(logDir, "deploy.log"), `${r.stdout}\n${r.stderr}`);
  if (r.status !== 0) throw new Error(`deployment failed: ${r.stderr || r.stdout}`);
  const file = path.join(dir, "deployed_addresses.json");
  return { deployment: loadDeployment({ chainId: 31337, file }), file };
}

/** Mints test tokens to every development account that stakes (relayers for their bonds, inference nodes, evaluators). */
export async function mintForStakers(clients: Clients, d: Deployment, amount: bigint) {
  const owner = walletFor(clients, devKey(DEV_ROLES.owner));
  for (const i of DEV_ROLES.relayers) {
    const to = walletFor(clients, devKey(i)).account.address;
    const hash = await owner.writeContract({ address: d.token, abi: testTokenAbi, functionName: "mint", args: [to, 6_000n * 10n ** 18n] });
    await clients.publicClient.waitForTransactionReceipt({ hash });
  }
  for (const i of [...DEV_ROLES.inference, ...DEV_ROLES.evaluators]) {
    const to = walletFor(clients, devKey(i)).account.address;
    const hash = await owner.writeContract({ address: d.token, abi: testTokenAbi, functionName: "mint", args: [to, amount] });
    await clients.publicClient.waitForTransactionReceipt({ hash });
  }
}

export function tmpDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Starts `poq <args>` as one child process (bin/poq.js loads the TypeScript in-process, so SIGKILL hits the daemon). */
export function poq(name: string, args: string[], logDir: string, env: NodeJS.ProcessEnv = {}): Proc {
  const child = spawn(process.execPath, [POQ_BIN, ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  return new Proc(name, child, path.join(logDir, `${name}.log`));
}

export async function balanceOf(clients: Clients, d: Deployment, a: Address): Promise<bigint> {
  return clients.publicClient.readContract({ address: d.token, abi: erc20Abi, functionName: "balanceOf", args: [a] });
}

export type NetworkSetup = { node: Proc & { url: string }; clients: Clients; deployment: Deployment; deploymentFile: string; dir: string; storeDir: string };

export async function setupNetwork(id: string, params = E2E_PARAMS): Promise<NetworkSetup> {
  const dir = tmpDir(`poq-${id}-`);
  const port = await freePort();
  const node = await startNode(port, dir);
  const { deployment, file } = deploy(node.url, `${id}-${port}`, dir, params);
  const clients = await connect({ rpcUrl: node.url }, 200);
  await mintForStakers(clients, deployment, 2_000n * 10n ** 18n);
  return { node, clients, deployment, deploymentFile: file, dir, storeDir: path.join(dir, "store") };
}

/** The agents config of the local setup, pointed at this network's store. */
export function agentsConfig(s: NetworkSetup, extra: Record<string, unknown> = {}): string {
  const cfg = JSON.parse(fs.readFileSync(path.join(ROOT, "config", "local", "agents.json"), "utf8"));
  const file = path.join(s.dir, "agents.json");
  const local = (r: string) => path.resolve(ROOT, "config", "local", r);
  const paths = { replay: cfg.replay.map(local), profileFile: local(cfg.profileFile), policyFile: local(cfg.policyFile), goldPoolFile: local(cfg.goldPoolFile) };
  fs.writeFileSync(file, JSON.stringify({ ...cfg, ...paths, rpcUrl: s.node.url, deploymentFile: s.deploymentFile, storeDir: s.storeDir, dataDir: path.join(s.dir, "data"), pollMs: 300, ...extra }));
  return file;
}

export function relayerArgs(s: NetworkSetup, devAccount: number, extra: string[] = []): string[] {
  return ["relayer", "--rpc", s.node.url, "--deployment", s.deploymentFile, "--store", s.storeDir, "--data-dir", path.join(s.dir, "data"), "--dev-account", String(devAccount), "--poll-ms", "300", "--policy", LOCAL_POLICY, "--gold-pool", LOCAL_GOLD_POOL, ...extra];
}

export function cleanup(s: NetworkSetup, id: string) {
  fs.rmSync(path.dirname(s.deploymentFile), { recursive: true, force: true });
  void id;
}

export type { Hex };

/**
 * Every mined transaction from `accounts` whose receipt says reverted, over all of the chain's blocks: gas paid
 * for nothing. Normal operation sends none (each step simulates and re-reads the phase first).
 */
export async function revertedTransactions(clients: Clients, accounts: Address[]): Promise<{ hash: Hex; from: Address; block: bigint }[]> {
  const client = clients.publicClient;
  const mine = new Set(accounts.map((a) => a.toLowerCase()));
  const latest = await client.getBlockNumber();
  const out: { hash: Hex; from: Address; block: bigint }[] = [];
  for (let start = 0n; start <= latest; start += 50n) {
    const numbers = Array.from({ length: Number(start + 50n > latest + 1n ? latest + 1n - start : 50n) }, (_, i) => start + BigInt(i));
    const blocks = await Promise.all(numbers.map((n) => client.getBlock({ blockNumber: n, includeTransactions: true })));
    const txs = blocks.flatMap((b) => b.transactions).filter((t) => mine.has(t.from.toLowerCase()));
    const receipts = await Promise.all(txs.map((t) => client.getTransactionReceipt({ hash: t.hash })));
    for (const r of receipts) if (r.status !== "success") out.push({ hash: r.transactionHash, from: r.from, block: r.blockNumber });
  }
  return out;
}
