import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import { createWalletClient, erc20Abi, type Address, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { testTokenAbi } from "../../src/chain/abis";
import { connect, type Clients } from "../../src/chain/client";
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

/** True when nothing listens on 127.0.0.1:`port` now. */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once("error", () => resolve(false));
    s.listen(port, "127.0.0.1", () => s.close(() => resolve(true)));
  });
}

/**
 * The first of `count` consecutive ports that are free on 127.0.0.1 now: for a process whose agents each get a node
 * listening on the configured port counted up (agents config `content.listen`), fixed so that a restart comes back on
 * the same addresses. Drawn below Linux's ephemeral range (32768 and up), so that no outgoing connection holds one
 * of them when a killed process comes back.
 */
export async function freePortRange(count: number, rng: () => number = Math.random): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const first = 20_000 + Math.floor(rng() * (12_000 - count));
    let ok = true;
    for (let p = first; ok && p < first + count; p++) ok = await portFree(p);
    if (ok) return first;
  }
  throw new Error(`no ${count} consecutive free ports on 127.0.0.1`);
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

/** The EVM nodes the end-to-end networks run on: Hardhat's `hardhat node` and Foundry's anvil (`@foundry-rs/anvil`). */
export type NodeKind = "hardhat" | "anvil";
/**
 * anvil's own binary, from its platform package (an optional dependency of `@foundry-rs/anvil`, such as
 * `@foundry-rs/anvil-linux-amd64`): `node_modules/.bin/anvil` is a node wrapper that runs it as a child, so killing
 * the wrapper (SIGKILL) would leave the node running. The wrapper's postinstall script, which would download the
 * binary when the platform package is missing, is not allowed to run (package.json `allowScripts`), so a missing
 * platform package is an error here, naming the package.
 */
export function anvilBinary(root = ROOT, platform: string = process.platform, cpu: string = process.arch): string {
  const arch = cpu === "x64" ? "amd64" : cpu;
  const pkg = `@foundry-rs/anvil-${platform}-${arch}`;
  const file = path.join(root, "node_modules", ...pkg.split("/"), "bin", platform === "win32" ? "anvil.exe" : "anvil");
  if (!fs.existsSync(file)) {
    throw new Error(
      `anvil binary not found at ${file}: the package ${pkg} (an optional dependency of @foundry-rs/anvil) is not installed; ` +
        `run npm ci without --omit=optional, or npm install --no-save ${pkg}`,
    );
  }
  return file;
}

/**
 * Starts a node on 127.0.0.1:<port>. Both serve chain id 31337 with 20 development accounts of 10,000 ETH from the
 * same mnemonic, with wall-clock timestamps; Hardhat mines a block per transaction, anvil a block a second.
 */
export async function startNode(port: number, logDir: string, kind: NodeKind = "hardhat"): Promise<Proc & { url: string }> {
  const [cmd, args, ready] =
    kind === "anvil"
      ? // A block a second, as a live chain has: anvil's default mines only on a transaction, so that a view call never
        // sees time pass and every phase deadline waits for somebody's transaction.
        [anvilBinary(), ["--port", String(port), "--host", "127.0.0.1", "--accounts", "20", "--chain-id", "31337", "--block-time", "1"], "Listening on"]
      : [HARDHAT, ["node", "--port", String(port), "--hostname", "127.0.0.1"], "Started HTTP"];
  const child = spawn(cmd, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  const p = new Proc(kind === "anvil" ? "anvil" : "hardhat-node", child, path.join(logDir, "node.log")) as Proc & { url: string };
  p.url = `http://127.0.0.1:${port}`;
  await p.waitFor((l) => l.includes(ready), 60_000, `${kind} to start`);
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
export async function deploy(url: string, id: string, logDir: string, params = E2E_PARAMS): Promise<{ deployment: Deployment; file: string }> {
  const dir = path.join(ROOT, "deploy", "deployments", id);
  fs.rmSync(dir, { recursive: true, force: true });
  const paramsFile = path.join(logDir, "params.json");
  fs.writeFileSync(paramsFile, JSON.stringify({ PoQLocal: params }));
  // Awaited asynchronously, so that this process's other children keep their logs flowing meanwhile.
  const log = path.join(logDir, "deploy.log");
  const child = spawn(HARDHAT, ["ignition", "deploy", "deploy/modules/PoQLocal.ts", "--network", "localhost", "--deployment-id", id, "--parameters", paramsFile], {
    cwd: ROOT,
    env: { ...process.env, POQ_LOCALHOST_URL: url, HARDHAT_IGNITION_CONFIRM_DEPLOYMENT: "false" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const p = new Proc("deploy", child, log);
  const status = await p.exited;
  if (status !== 0) throw new Error(`deployment failed (exit ${status}; log in ${log}): ${p.lines.slice(-20).join("\n")}`);
  const file = path.join(dir, "deployed_addresses.json");
  return { deployment: loadDeployment({ chainId: 31337, file }), file };
}

/** Mints test tokens to every development account that stakes (relayers for their bonds, inference nodes, evaluators). */
export async function mintForStakers(clients: Clients, d: Deployment, amount: bigint) {
  // No nonce manager: each mint awaits its receipt, and this process may set up two chains that share id 31337 (the
  // manager, keyed by account and chain id, would carry one chain's nonces over to the other).
  const owner = createWalletClient({ chain: clients.chain, transport: clients.transport, account: privateKeyToAccount(devKey(DEV_ROLES.owner)) });
  for (const i of DEV_ROLES.relayers) {
    const to = privateKeyToAccount(devKey(i)).address;
    const hash = await owner.writeContract({ address: d.token, abi: testTokenAbi, functionName: "mint", args: [to, 6_000n * 10n ** 18n] });
    await clients.publicClient.waitForTransactionReceipt({ hash });
  }
  for (const i of [...DEV_ROLES.inference, ...DEV_ROLES.evaluators]) {
    const to = privateKeyToAccount(devKey(i)).address;
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

export async function setupNetwork(id: string, params = E2E_PARAMS, kind: NodeKind = "hardhat"): Promise<NetworkSetup> {
  const dir = tmpDir(`poq-${id}-`);
  const port = await freePort();
  const node = await startNode(port, dir, kind);
  const { deployment, file } = await deploy(node.url, `${id}-${port}`, dir, params);
  const clients = await connect({ rpcUrl: node.url }, 200);
  await mintForStakers(clients, deployment, 2_000n * 10n ** 18n);
  return { node, clients, deployment, deploymentFile: file, dir, storeDir: path.join(dir, "store") };
}

/** The agents config of the local setup, pointed at this network's store (written to `<dir>/<name>`). */
export function agentsConfig(s: NetworkSetup, extra: Record<string, unknown> = {}, name = "agents.json"): string {
  // The README's example peers with relayers on fixed ports over IPFS; a test network runs on the setup's store
  // folder unless `extra` gives a content backend (and announcement targets) of its own.
  const { content: _content, announceTo: _announceTo, ...cfg } = JSON.parse(fs.readFileSync(path.join(ROOT, "config", "local", "agents.json"), "utf8"));
  const file = path.join(s.dir, name);
  const local = (r: string) => path.resolve(ROOT, "config", "local", r);
  const paths = { replay: cfg.replay.map(local), profileFile: local(cfg.profileFile), policyFile: local(cfg.policyFile), goldPoolFile: local(cfg.goldPoolFile) };
  fs.writeFileSync(file, JSON.stringify({ ...cfg, ...paths, rpcUrl: s.node.url, deploymentFile: s.deploymentFile, storeDir: s.storeDir, dataDir: path.join(s.dir, "data"), pollMs: 300, ...extra }));
  return file;
}

/**
 * Waits for `count` "content backend ready" log lines of a daemon (one per backend it opened: one per agent when
 * each has its own IPFS node); returns each one's content kind, account (per-agent backends) and dialable addresses.
 */
export async function contentReady(p: Proc, count = 1, timeoutMs = 180_000): Promise<{ content: string; account?: string; addresses: string[] }[]> {
  const ready = (l: string) => l.includes('"msg":"content backend ready"');
  const until = Date.now() + timeoutMs;
  while (p.lines.filter(ready).length < count) {
    if (Date.now() > until) throw new Error(`${p.name}: timed out waiting for ${count} content backends`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return p.lines.filter(ready).map((l) => {
    const o = JSON.parse(l) as { content: string; account?: string; addresses: string[] };
    return { content: o.content, account: o.account, addresses: o.addresses };
  });
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
