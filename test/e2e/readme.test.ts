import { execFileSync, spawn } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { decodeEventLog, erc20Abi, getAddress, parseUnits, type Address, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { poQSettlementAbi, rewardDistributorAbi } from "../../src/chain/abis";
import { connect, type Clients } from "../../src/chain/client";
import { loadDeployment, TOKEN_DECIMALS, type Deployment } from "../../src/chain/deployment";
import { readRound } from "../../src/chain/reader";
import { devKey } from "../../src/agents/accounts";
import { roundPayload } from "../../src/protocol/roundContent";
import { ContentStore } from "../../src/protocol/store";
import { anvilBinary, Proc, revertedTransactions, ROOT, type NodeKind } from "./harness";

/**
 * The README's "Four terminals" section, run as written: its commands are read from README.md (so an edit there
 * changes what runs here), each through `bash -c` in a copy of the checkout (the developer's
 * deploy/deployments/chain-31337/ and .poq/ are never touched), on `npx hardhat node` and then on the anvil command
 * the README gives as the alternative.
 */

const README = path.join(ROOT, "README.md");
const SECTION = "## Four terminals: a local network of daemons";
/** The chain's port: both nodes' default, and the default RPC URL of the daemons and of Hardhat's `localhost`. */
const CHAIN_PORT = 8545;
const ROUND_DEADLINE_MS = 240_000;
const STOP_GRACE_MS = 20_000;

type ReadmeCommands = {
  /** `npx hardhat node`. */
  chain: string;
  /** The anvil alternative, from the comment `or anvil, ...: npx anvil ...`. */
  anvil: string;
  /** Commands run to completion before the daemons start (deploy, stake and fund). */
  setup: string[];
  /** Long-running `npx poq <daemon>` commands, one terminal each. */
  daemons: string[];
  claim: string;
};

/** The commands of the section's bash blocks: comment and blank lines skipped, the anvil command taken from its comment. */
function readmeCommands(text: string): ReadmeCommands {
  const fail = (what: string): never => {
    throw new Error(`README.md, section "${SECTION}": ${what}`);
  };
  const lines = text.split("\n");
  const start = lines.findIndex((l) => l.trim() === SECTION);
  if (start < 0) throw new Error(`README.md has no section "${SECTION}"`);
  // The bash blocks up to the next heading of the same or a higher level (a "# ..." line in a block is a comment).
  const blocks: string[][] = [];
  let open: string[] | undefined;
  let fenced = false;
  for (const l of lines.slice(start + 1)) {
    if (!fenced && /^#{1,2} /.test(l)) break;
    if (l.trim().startsWith("```")) fenced = !fenced;
    if (open === undefined) {
      if (/^```bash\s*$/.test(l.trim())) open = [];
    } else if (l.trim() === "```") {
      blocks.push(open);
      open = undefined;
    } else open.push(l);
  }
  if (open !== undefined) fail("a ```bash block is not closed");
  if (blocks.length === 0) fail("no ```bash block");
  const commands = (block: string[]) => block.map((l) => l.trim()).filter((l) => l !== "" && !l.startsWith("#"));

  // Comments that run over several lines, joined: the anvil alternative is one of them.
  const comments: string[] = [];
  let comment: string[] = [];
  for (const l of blocks[0]) {
    const t = l.trim();
    if (t.startsWith("#")) comment.push(t.replace(/^#+\s*/, ""));
    else if (comment.length > 0) comments.push(comment.join(" ")), (comment = []);
  }
  if (comment.length > 0) comments.push(comment.join(" "));
  const anvilComment = comments.find((c) => /^or anvil\b/.test(c)) ?? fail('no comment "# or anvil, ...: npx anvil ..." in the first bash block');
  const anvil = /(npx anvil\b.*)$/.exec(anvilComment)?.[1].trim() ?? fail(`no "npx anvil ..." command in the comment "${anvilComment}"`);

  const network = commands(blocks[0]);
  const chain = network[0] ?? fail("the first bash block has no command");
  if (!/^npx hardhat node\b/.test(chain)) fail(`the first command is "${chain}", not "npx hardhat node"`);
  const daemon = /^npx poq (relayer|agents|evaluator|inference)\b/;
  const first = network.findIndex((c) => daemon.test(c));
  if (first < 0) fail("no daemon command (npx poq relayer|agents|evaluator|inference) in the first bash block");
  const setup = network.slice(1, first);
  if (setup.length === 0) fail("no deploy command between the chain and the daemons");
  const daemons = network.slice(first);
  for (const d of daemons) if (!daemon.test(d)) fail(`"${d}" comes after the daemons but is not one`);
  const claims = blocks.slice(1).flatMap(commands).filter((c) => /^npx poq claim\b/.test(c));
  if (claims.length !== 1) fail(`expected one "npx poq claim" command in the bash blocks after the first, found ${claims.length}`);
  return { chain, anvil, setup, daemons, claim: claims[0] };
}

const ADDRESSES = new Map<number, Address>();
/** Development account `i`'s address (derived once: a derivation from the mnemonic takes milliseconds). */
const addr = (i: number): Address => {
  if (!ADDRESSES.has(i)) ADDRESSES.set(i, getAddress(privateKeyToAccount(devKey(i)).address));
  return ADDRESSES.get(i)!;
};
const flag = (cmd: string, name: string) => new RegExp(`(?:^|\\s)${name}[\\s=](\\S+)`).exec(cmd)?.[1];

/** The development accounts a command signs with: its `--dev-account`, or those of the agents config it names. */
function keysOf(cmd: string, repo: string): number[] {
  const dev = flag(cmd, "--dev-account");
  if (dev !== undefined) return [Number(dev)];
  const config = flag(cmd, "--config");
  if (config === undefined) throw new Error(`cannot tell which keys "${cmd}" signs with (no --dev-account, no --config)`);
  const cfg = JSON.parse(fs.readFileSync(path.resolve(repo, config), "utf8")) as { agents: { devAccount?: number }[] };
  const keys = cfg.agents.map((a) => a.devAccount);
  if (keys.some((k) => k === undefined)) throw new Error(`${config}: an agent has no devAccount, so its key is not a development account`);
  return keys as number[];
}

/** A log name for a command: its words before the first option (paths by file name), then its --dev-account. */
function commandName(cmd: string): string {
  const words = cmd.split(/\s+/).slice(cmd.startsWith("npm run ") ? 2 : cmd.startsWith("npx ") ? 1 : 0);
  const end = words.findIndex((w) => w.startsWith("-"));
  const name = (end < 0 ? words : words.slice(0, end)).map((w) => path.basename(w).replace(/\.[jt]s$/, ""));
  const dev = flag(cmd, "--dev-account");
  return [...name, ...(dev === undefined ? [] : [dev])].join("-").replace(/[^\w.-]/g, "_");
}

/** Whether a server can listen on 127.0.0.1:<port> now. */
const portFree = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = net.createServer();
    s.once("error", () => resolve(false));
    s.listen(port, "127.0.0.1", () => s.close(() => resolve(true)));
  });

/** A copy of the checkout's tracked files (as they are in the working tree) with the build outputs and node_modules. */
function copyCheckout(repo: string, build: string | undefined) {
  const files = execFileSync("git", ["ls-files", "-z"], { cwd: ROOT, encoding: "utf8" }).split("\0").filter(Boolean);
  for (const f of files) {
    const from = path.join(ROOT, f);
    if (!fs.existsSync(from)) continue; // deleted in the working tree
    const to = path.join(repo, f);
    fs.mkdirSync(path.dirname(to), { recursive: true });
    if (fs.lstatSync(from).isSymbolicLink()) fs.symlinkSync(fs.readlinkSync(from), to);
    else fs.copyFileSync(from, to);
  }
  fs.symlinkSync(fs.realpathSync(path.join(ROOT, "node_modules")), path.join(repo, "node_modules"), "dir");
  if (build === undefined) return; // the deploy compiles
  for (const d of ["artifacts", "cache", "typechain-types"]) {
    if (fs.existsSync(path.join(build, d))) fs.cpSync(path.join(build, d), path.join(repo, d), { recursive: true });
  }
  // Hardhat's compile cache is keyed by absolute source paths: pointed at the copy, the copied artifacts are reused
  // instead of compiling everything again.
  const cache = path.join(repo, "cache", "solidity-files-cache.json");
  if (fs.existsSync(cache)) fs.writeFileSync(cache, fs.readFileSync(cache, "utf8").split(`${build}${path.sep}`).join(`${repo}${path.sep}`));
}

/**
 * The environment of a fresh terminal: none of this run's POQ_* settings (POQ_RPC_URL would point the commands
 * elsewhere), nor the npm_* variables and NODE_ENV=test that npx and vitest set for themselves.
 */
function terminalEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(POQ_|npm_|VITEST)/i.test(k) || k === "INIT_CWD" || (k === "NODE_ENV" && v === "test") || (k === "TEST" && v === "true")) continue;
    env[k] = v;
  }
  return env;
}

/** Live members of process group `pgid` (zombies left out), as "pid command"; undefined where /proc is missing. */
function groupMembers(pgid: number): string[] | undefined {
  if (!fs.existsSync("/proc/self/stat")) return undefined;
  const out: string[] = [];
  for (const pid of fs.readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    } catch {
      continue; // gone meanwhile
    }
    const close = stat.lastIndexOf(")");
    const [state, , pgrp] = stat.slice(close + 2).split(" ");
    if (Number(pgrp) === pgid && state !== "Z") out.push(`${pid} ${stat.slice(stat.indexOf("(") + 1, close)}`);
  }
  return out;
}

function groupAlive(pgid: number): boolean {
  const members = groupMembers(pgid);
  if (members !== undefined) return members.length > 0;
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

function signalGroup(pgid: number, signal: NodeJS.Signals) {
  try {
    process.kill(-pgid, signal);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ESRCH") throw e;
  }
}

/** One README command in its own process group (as a terminal runs it), logging to `<logs>/<name>.log`. */
class Command extends Proc {
  readonly pgid: number;
  constructor(
    name: string,
    readonly cmd: string,
    repo: string,
    readonly logFile: string,
  ) {
    fs.writeFileSync(logFile, `$ ${cmd}\n`);
    super(name, spawn("bash", ["-c", cmd], { cwd: repo, env: terminalEnv(), detached: true, stdio: ["ignore", "pipe", "pipe"] }), logFile);
    this.pgid = this.child.pid!;
  }
  tail(n = 15): string {
    return this.lines.slice(-n).join("\n");
  }
  /**
   * SIGTERM to the whole group (a terminal's Ctrl-C also reaches every process of the foreground group: npx, the
   * shell it starts and the program). Returns whether every process of the group was gone within `graceMs`; if not,
   * the survivors are killed and named.
   */
  async stop(graceMs = STOP_GRACE_MS): Promise<{ members: string[]; gone: boolean; survivors: string[]; ms: number; code: number | null; signal: string | null }> {
    const members = groupMembers(this.pgid) ?? [];
    const t0 = Date.now();
    signalGroup(this.pgid, "SIGTERM");
    while (groupAlive(this.pgid) && Date.now() < t0 + graceMs) await sleep(100);
    const ms = Date.now() - t0;
    const survivors = groupMembers(this.pgid) ?? [];
    const gone = !groupAlive(this.pgid);
    if (!gone) signalGroup(this.pgid, "SIGKILL");
    await Promise.race([this.exited, timeout(5_000)]);
    return { members, gone, survivors, ms, code: this.child.exitCode, signal: this.child.signalCode };
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
/** Resolves to "timeout" after `ms` (for races; the timer does not keep the worker alive). */
const timeout = (ms: number) => new Promise<"timeout">((r) => setTimeout(() => r("timeout"), ms).unref());

type ChainTx = { hash: Hex; from: Address; block: bigint };

/** Every transaction in blocks `from`..`to` of the chain. */
async function transactions(clients: Clients, from: bigint, to: bigint): Promise<ChainTx[]> {
  const out: ChainTx[] = [];
  for (let start = from; start <= to; start += 50n) {
    const numbers = Array.from({ length: Number(start + 50n > to + 1n ? to + 1n - start : 50n) }, (_, i) => start + BigInt(i));
    const blocks = await Promise.all(numbers.map((n) => clients.publicClient.getBlock({ blockNumber: n, includeTransactions: true })));
    for (const b of blocks) for (const t of b.transactions) out.push({ hash: t.hash, from: getAddress(t.from), block: b.number! });
  }
  return out;
}

/** The hashes of the transactions a daemon confirmed (its "tx confirmed" log lines). */
function confirmedTxs(p: Proc): Set<string> {
  const out = new Set<string>();
  for (const l of p.lines) {
    if (!l.includes('"msg":"tx confirmed"')) continue;
    try {
      const hash = (JSON.parse(l) as { tx_hash?: string }).tx_hash;
      if (hash) out.add(hash.toLowerCase());
    } catch {
      // not a log line of the daemon's
    }
  }
  return out;
}

const CLAIM_LINE = /^(0x[0-9a-fA-F]{40})\s+(?:claimed ([\d.]+)|nothing to claim)\s+\(cumulative ([\d.]+)\)(?:\s+tx (0x[0-9a-fA-F]{64}))?$/;
type ClaimLine = { account: Address; paid: bigint; cumulative: bigint; tx?: Hex };

/** A process the README starts, the keys it may sign with, and the transactions it says it sent. */
type Signer = { name: string; keys: number[]; txs: Set<string> };

type Run = {
  kind: NodeKind;
  dir: string;
  logs: string;
  repo: string;
  timeline: string[];
  setup: { cmd: string; code: number | null; log: string }[];
  finalized: bigint[];
  claim: { code: number | null; lines: ClaimLine[]; log: string; rootBefore: bigint; rootAfter: bigint };
  /** The root's payload claims (the round the claim paid from), and on chain after the claim: claimed per account. */
  owed: Map<Address, bigint>;
  claimedOnChain: Map<Address, bigint>;
  /** Token transfers out of the distributor in each claim transaction, and each claim transaction's sender. */
  claimTxs: { hash: Hex; from: Address; status: string; transfers: { to: Address; value: bigint }[] }[];
  setupSenders: Set<Address>;
  /** Each transaction between the daemons' start and the claim's end, with the processes that logged it. */
  attributed: { tx: ChainTx; owners: string[] }[];
  signers: Signer[];
  claimKey: number;
  reverted: Awaited<ReturnType<typeof revertedTransactions>>;
  /** Each daemon's and the claim's `--store` (or the config's `storeDir`), and the folders under .poq/ after the run. */
  stores: { cmd: string; store: string | undefined }[];
  poqFolders: string[];
  /** The daemons' stops (SIGTERM to each one's process group), then the chain's. */
  stops: { name: string; members: string[]; gone: boolean; survivors: string[]; ms: number; code: number | null; signal: string | null; logged: boolean }[];
  chainStop: { gone: boolean; survivors: string[]; ms: number };
  ports: number[];
  portsFreeAfter: number[];
};

const started: Command[] = [];
const dirs: string[] = [];
/** Runs that got to the end (a run that threw keeps its logs), and whether a test failed (then all logs are kept). */
let complete = 0;
let failed = false;
/** Where copies take their build outputs from: the checkout's, or else the first copy's once it has compiled. */
let buildFrom: string | undefined = fs.existsSync(path.join(ROOT, "artifacts")) ? ROOT : undefined;

process.once("exit", () => {
  for (const c of started) signalGroup(c.pgid, "SIGKILL");
});

async function runReadme(kind: NodeKind): Promise<Run> {
  const t0 = Date.now();
  const timeline: string[] = [];
  const mark = (what: string) => timeline.push(`${what} at ${Math.round((Date.now() - t0) / 1000)} s`);
  const readme = readmeCommands(fs.readFileSync(README, "utf8"));
  const ports = [Number(flag(kind === "anvil" ? readme.anvil : readme.chain, "--port") ?? CHAIN_PORT), ...readme.daemons.map((d) => flag(d, "--port")).filter((p) => p !== undefined).map(Number)];
  for (const port of ports) {
    if (!(await portFree(port))) throw new Error(`port ${port} on 127.0.0.1 is in use: the README's commands need ports ${ports.join(", ")}; stop whatever listens on ${port} (a node or daemon left running?)`);
  }

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `poq-readme-${kind}-`));
  dirs.push(dir);
  const repo = path.join(dir, "repo");
  const logs = path.join(dir, "logs");
  fs.mkdirSync(logs);
  copyCheckout(repo, buildFrom);
  const where = `logs in ${logs}`;
  const names = new Map<string, number>();
  const start = (cmd: string) => {
    const base = commandName(cmd);
    const n = (names.get(base) ?? 0) + 1;
    names.set(base, n);
    const name = n > 1 ? `${base}-${n}` : base;
    const c = new Command(name, cmd, repo, path.join(logs, `${name}.log`));
    started.push(c);
    return c;
  };

  // 1. the chain
  const chainCmd = kind === "anvil" ? readme.anvil : readme.chain;
  if (kind === "anvil") {
    // `npx anvil` runs node_modules/.bin/anvil, @foundry-rs/anvil's wrapper, which starts the binary of its platform
    // package: the copy's node_modules is the checkout's, so both resolve there (npx looks in node_modules/.bin and
    // npm's global bin folder only, and would otherwise install a package named "anvil" from the registry).
    anvilBinary(repo);
    if (!fs.existsSync(path.join(repo, "node_modules", ".bin", "anvil"))) throw new Error(`node_modules/.bin/anvil is missing: install the devDependencies (@foundry-rs/anvil)`);
  }
  const chain = start(chainCmd);
  const rpcUrl = `http://127.0.0.1:${ports[0]}`;
  let clients: Clients | undefined;
  for (const until = Date.now() + 90_000; clients === undefined; ) {
    if (chain.child.exitCode !== null) throw new Error(`"${chainCmd}" exited with code ${chain.child.exitCode}; ${where}:\n${chain.tail()}`);
    if (Date.now() > until) throw new Error(`"${chainCmd}" did not answer on ${rpcUrl} within 90 s; ${where}`);
    clients = await connect({ rpcUrl }, 250).catch(() => undefined);
    if (clients === undefined) await sleep(500);
  }
  mark(chainCmd);

  // 2. deploy, stake and fund: each runs to completion before the next
  const setup: Run["setup"] = [];
  for (const cmd of readme.setup) {
    const p = start(cmd);
    const code = await Promise.race([p.exited, timeout(600_000)]);
    if (code === "timeout") {
      await p.stop();
      throw new Error(`"${cmd}" did not finish within 10 minutes; ${where}`);
    }
    setup.push({ cmd, code, log: p.logFile });
    mark(cmd);
    if (code !== 0) throw new Error(`"${cmd}" exited with code ${code}; ${where}:\n${p.tail()}`);
  }
  if (buildFrom === undefined) buildFrom = repo;
  const setupEnd = await clients.publicClient.getBlockNumber();
  const deployment: Deployment = loadDeployment({ chainId: 31337, file: path.join(repo, "deploy", "deployments", "chain-31337", "deployed_addresses.json") });

  // 3-4. the daemons, until a round is finalized
  const daemons = readme.daemons.map((cmd) => ({ cmd, keys: keysOf(cmd, repo), proc: start(cmd) }));
  const client = clients.publicClient;
  for (const until = Date.now() + ROUND_DEADLINE_MS; ; ) {
    const closed = await client.readContract({ address: deployment.settlement, abi: poQSettlementAbi, functionName: "lastClosedRound" });
    if (closed >= 1n) break;
    const dead = daemons.find((d) => d.proc.child.exitCode !== null);
    if (dead) throw new Error(`"${dead.cmd}" exited with code ${dead.proc.child.exitCode} before a round closed; ${where}:\n${dead.proc.tail()}`);
    if (Date.now() > until) throw new Error(`no round closed within ${ROUND_DEADLINE_MS / 1000} s of the daemons' start; ${where}`);
    await sleep(1_000);
  }
  mark("a round closed");
  const finalized = (await client.getContractEvents({ address: deployment.settlement, abi: poQSettlementAbi, eventName: "RoundFinalized", fromBlock: 0n, strict: true })).map((l) => l.args.roundId);

  // The claim, while the daemons keep running (as in the README's fifth terminal)
  const rootBefore = await client.readContract({ address: deployment.distributor, abi: rewardDistributorAbi, functionName: "rootRound" });
  const claimProc = start(readme.claim);
  const claimCode = await Promise.race([claimProc.exited, timeout(180_000)]);
  if (claimCode === "timeout") {
    await claimProc.stop();
    throw new Error(`"${readme.claim}" did not finish within 180 s; ${where}`);
  }
  mark(readme.claim);
  const claimEnd = await client.getBlockNumber();
  const rootAfter = await client.readContract({ address: deployment.distributor, abi: rewardDistributorAbi, functionName: "rootRound" });
  const lines: ClaimLine[] = claimProc.lines.flatMap((l) => {
    const m = CLAIM_LINE.exec(l.trim());
    if (!m) return [];
    return [{ account: getAddress(m[1]), paid: m[2] === undefined ? 0n : parseUnits(m[2], TOKEN_DECIMALS), cumulative: parseUnits(m[3], TOKEN_DECIMALS), tx: m[4] as Hex | undefined }];
  });

  // What the claim paid from: the root's payload, for the root it read (a round may finalize while it runs)
  // The claimant's own store: the payload it claimed with reached it over IPFS, from the pointers on chain.
  const claimStore = flag(readme.claim, "--store");
  if (!claimStore) throw new Error(`"${readme.claim}" names no --store of its own`);
  // Read from that store alone (no content backend): found through the payload pointers revealed on chain.
  const store = new ContentStore(path.join(repo, claimStore));
  let owed = new Map<Address, bigint>();
  const fetched: bigint[] = [];
  for (let r = rootBefore; r <= rootAfter && r > 0n; r++) {
    const payload = await roundPayload({ store, client, deployment }, await readRound(client, deployment, r));
    if (!payload) continue; // the claim reads the root of the moment, so it may have fetched only one of these
    fetched.push(r);
    owed = new Map(payload.claims.map((c) => [getAddress(c.account), BigInt(c.cumulativeAmount)]));
    if (lines.every((l) => owed.get(l.account) === l.cumulative)) break;
  }
  if (fetched.length === 0) throw new Error(`the claimant's store ${repo}/${claimStore} holds no payload of rounds ${rootBefore}..${rootAfter}; ${where}`);
  const claimedOnChain = new Map<Address, bigint>();
  for (const a of owed.keys()) claimedOnChain.set(a, await client.readContract({ address: deployment.distributor, abi: rewardDistributorAbi, functionName: "claimed", args: [a] }));
  const claimTxs: Run["claimTxs"] = [];
  for (const l of lines) {
    if (!l.tx) continue;
    const receipt = await client.getTransactionReceipt({ hash: l.tx });
    const transfers = receipt.logs.flatMap((log) => {
      if (getAddress(log.address) !== deployment.token) return [];
      try {
        const e = decodeEventLog({ abi: erc20Abi, data: log.data, topics: log.topics, eventName: "Transfer" });
        return getAddress(e.args.from) === deployment.distributor ? [{ to: getAddress(e.args.to), value: e.args.value }] : [];
      } catch {
        return [];
      }
    });
    claimTxs.push({ hash: l.tx, from: getAddress(receipt.from), status: receipt.status, transfers });
  }

  // Who signed what: before the daemons, the setup commands; after, each transaction must be one that exactly one
  // process says it sent (its "tx confirmed" lines; the claim's "tx" column), with one of that process's keys.
  const setupSenders = new Set((await transactions(clients, 0n, setupEnd)).map((t) => t.from));
  const claimKey = keysOf(readme.claim, repo)[0];
  const signersNow = (): Signer[] => [
    ...daemons.map((d) => ({ name: d.proc.name, keys: d.keys, txs: confirmedTxs(d.proc) })),
    { name: claimProc.name, keys: [claimKey], txs: new Set(lines.flatMap((l) => (l.tx ? [l.tx.toLowerCase()] : []))) },
  ];
  const after = await transactions(clients, setupEnd + 1n, claimEnd);
  const attribute = (signers: Signer[]) => after.map((tx) => ({ tx, owners: signers.filter((s) => s.txs.has(tx.hash.toLowerCase())).map((s) => s.name) }));
  // A daemon logs a transaction once its receipt is in: give the last ones mined before the claim's end time to.
  for (const until = Date.now() + 20_000; attribute(signersNow()).some((a) => a.owners.length === 0) && Date.now() < until; ) await sleep(500);
  const signers = signersNow();
  const attributed = attribute(signers);
  const reverted = await revertedTransactions(clients, Array.from({ length: 20 }, (_, i) => addr(i)));

  // Stop everything: the daemons first (SIGTERM to each terminal's process group), then the chain
  const stopped = await Promise.all(daemons.map((d) => d.proc.stop()));
  const stops = daemons.map((d, i) => ({ name: d.proc.name, ...stopped[i], logged: d.proc.lines.some((l) => l.includes('"msg":"stopped"')) }));
  const chainStop = await chain.stop();
  mark("stopped");
  const portsFreeAfter: number[] = [];
  // A port is released when the kernel has closed the dead process's socket, which may lag its exit a little: each
  // gets up to 5 s.
  for (const port of ports) {
    for (const until = Date.now() + 5_000; !(await portFree(port)) && Date.now() < until; ) await sleep(100);
    if (await portFree(port)) portsFreeAfter.push(port);
  }
  console.log(`README on ${kind}: ${timeline.join(", ")}; ${where}`);
  for (const s of stops) console.log(`  ${s.name} (${s.members.join(", ")}): gone ${s.ms} ms after SIGTERM, exit code ${s.code}, signal ${s.signal}`);
  complete++;
  return {
    kind,
    dir,
    logs,
    repo,
    timeline,
    setup,
    finalized,
    claim: { code: claimCode, lines, log: claimProc.logFile, rootBefore, rootAfter },
    owed,
    claimedOnChain,
    claimTxs,
    setupSenders,
    attributed,
    signers,
    claimKey,
    reverted,
    stops,
    chainStop,
    ports,
    portsFreeAfter,
    stores: [...readme.daemons, readme.claim].map((cmd) => {
      const config = flag(cmd, "--config");
      const fromConfig = config ? (JSON.parse(fs.readFileSync(path.join(repo, config), "utf8")) as { storeDir?: string }).storeDir : undefined;
      return { cmd, store: flag(cmd, "--store") ?? (config && fromConfig ? path.relative(repo, path.resolve(path.dirname(path.join(repo, config)), fromConfig)) : undefined) };
    }),
    poqFolders: fs.existsSync(path.join(repo, ".poq")) ? fs.readdirSync(path.join(repo, ".poq")).sort() : [],
  };
}

afterEach(({ task }) => {
  if (task.result?.state === "fail") failed = true;
});

afterAll(() => {
  for (const c of started) signalGroup(c.pgid, "SIGKILL");
  if (failed || complete < dirs.length) {
    console.log(`README e2e failed: logs kept in ${dirs.map((d) => path.join(d, "logs")).join(", ")}`);
    return;
  }
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  // `npx poq` in a copy links the copy into npx's cache (one folder per project path): remove those links too.
  const npxCache = path.join(process.env.npm_config_cache ?? path.join(os.homedir(), ".npm"), "_npx");
  for (const d of dirs) {
    const repo = path.join(d, "repo");
    const entry = path.join(npxCache, crypto.createHash("sha512").update(repo).digest("hex").slice(0, 16));
    const pkg = path.join(entry, "package.json");
    if (fs.existsSync(pkg) && JSON.stringify(JSON.parse(fs.readFileSync(pkg, "utf8"))._npx?.packages ?? []).includes(repo)) fs.rmSync(entry, { recursive: true, force: true });
  }
});

describe.each(["hardhat", "anvil"] as const)("README, four terminals, on %s: the commands as written", (kind) => {
  let run: Run;
  let from = 0;
  beforeAll(async () => {
    from = started.length;
    run = await runReadme(kind);
  }, 720_000);
  // Whatever a failed run left running goes before the next run needs the ports.
  afterAll(async () => {
    const left = started.slice(from);
    for (const c of left) signalGroup(c.pgid, "SIGKILL");
    for (const until = Date.now() + 10_000; left.some((c) => groupAlive(c.pgid)) && Date.now() < until; ) await sleep(200);
  });

  test("behavior: the deploy and the staking and funding commands exit 0", () => {
    expect(run.setup.length).toBeGreaterThan(0);
    for (const s of run.setup) expect(s.code, `"${s.cmd}"; log ${s.log}`).toBe(0);
  });

  test("behavior: with the chain, both relayers and the agents running, a round is finalized", () => {
    expect(run.finalized.length, `logs in ${run.logs}`).toBeGreaterThan(0);
    expect(run.finalized[0]).toBe(1n);
  });

  test("behavior: the claim exits 0 and pays every rewarded account its cumulative reward, to the account itself", () => {
    const where = `log ${run.claim.log}`;
    expect(run.claim.code, where).toBe(0);
    const rewarded = [...run.owed].filter(([, amount]) => amount > 0n);
    expect(rewarded.length, where).toBeGreaterThan(0);
    for (const [account, amount] of rewarded) {
      expect(run.claimedOnChain.get(account), `claimed on chain by ${account}; ${where}`).toBe(amount);
      const line = run.claim.lines.find((l) => l.account === account);
      expect(line, `the claim's line for ${account}; ${where}`).toBeDefined();
      expect([line!.paid, line!.cumulative]).toEqual([amount, amount]);
      const tx = run.claimTxs.find((t) => t.hash === line!.tx);
      expect(tx?.status, `claim transaction for ${account}`).toBe("success");
      expect(tx!.transfers).toEqual([{ to: account, value: amount }]);
    }
    // Nothing else was claimed: every line is an account of the root's payload.
    for (const l of run.claim.lines) expect(run.owed.get(l.account)).toBe(l.cumulative);
  });

  test("behavior: no folder is shared: each daemon and the claimant have a store folder of their own, the agents one per agent", () => {
    const stores = run.stores.map((x) => x.store);
    for (const x of run.stores) expect(x.store, `"${x.cmd}" names its own store folder`).toBeDefined();
    expect(new Set(stores).size).toBe(stores.length);
    expect(run.poqFolders).not.toContain("store"); // the folder backend's default, .poq/store, was never used
    for (const st of stores) expect(fs.existsSync(path.join(run.repo, st!)), st).toBe(true);
    // the agents process: a store folder per agent (4 inference nodes and 12 evaluators), each with its own IPFS node
    const agents = run.stores.find((x) => / agents /.test(x.cmd))!.store!;
    const perAgent = fs.readdirSync(path.join(run.repo, agents)).filter((f) => /^0x[0-9a-f]{40}$/.test(f));
    expect(perAgent.length).toBe(16);
    for (const a of perAgent) expect(fs.existsSync(path.join(run.repo, agents, "ipfs", a, "blocks")), a).toBe(true);
  });

  test("behavior: every process signs with keys of its own, as the README assigns them", () => {
    const where = `logs in ${run.logs}`;
    // The README's assignment itself: no key shared by two of the processes that run at once.
    const keys = run.signers.flatMap((s) => s.keys);
    expect(new Set(keys).size, `keys of ${run.signers.map((s) => `${s.name}: ${s.keys.join(",")}`).join("; ")}`).toBe(keys.length);

    // Before the daemons: account 0 and the stakers' own keys, never the claim's.
    const stakers = run.signers.flatMap((s) => s.keys).filter((k) => k !== 0 && k !== run.claimKey);
    expect(run.setupSenders.has(addr(0))).toBe(true);
    for (const a of run.setupSenders) expect([0, ...stakers].map(addr), `setup transaction from ${a}`).toContain(a);

    // After: each transaction was sent by exactly one process, with one of its own keys.
    const wrong = run.attributed.flatMap(({ tx, owners }) => {
      if (owners.length !== 1) return [`${tx.hash} from ${tx.from} (block ${tx.block}) logged by ${owners.length === 0 ? "no process" : owners.join(" and ")}`];
      const signer = run.signers.find((s) => s.name === owners[0])!;
      return signer.keys.map(addr).includes(tx.from) ? [] : [`${tx.hash} from ${tx.from} sent by ${signer.name}, whose keys are accounts ${signer.keys.join(", ")}`];
    });
    expect(wrong, where).toEqual([]);
    // The check saw each process at work: every one of them sent transactions.
    for (const s of run.signers) expect(run.attributed.some((a) => a.owners[0] === s.name), `${s.name} sent transactions; ${where}`).toBe(true);
    expect(run.claimTxs.length).toBeGreaterThan(0);
    for (const t of run.claimTxs) expect(t.from).toBe(addr(run.claimKey));
  });

  test("behavior: no transaction of the run reverted", () => {
    expect(run.reverted, `logs in ${run.logs}`).toEqual([]);
  });

  test("behavior: on SIGTERM to their process groups the daemons stop gracefully and every process exits, freeing the ports", () => {
    const where = `logs in ${run.logs}`;
    expect(run.stops.length).toBeGreaterThan(0);
    for (const s of run.stops) {
      expect(s.gone, `${s.name}: still running ${STOP_GRACE_MS / 1000} s after SIGTERM: ${s.survivors.join("; ")}; ${where}`).toBe(true);
      expect(s.logged, `${s.name} logged "stopped" (a graceful stop); ${where}`).toBe(true);
      // Within the daemons' grace period (10 s, after which they exit with code 1 whatever they were doing).
      expect(s.ms, `${s.name}: ms from SIGTERM until its process group was gone; ${where}`).toBeLessThan(10_000);
      // The command itself ends as a terminal's command does on SIGTERM: killed by it (npx, or the shell it runs the
      // daemon in, has no handler and dies of it at once), or with code 0.
      expect(s.signal === "SIGTERM" || s.code === 0, `${s.name} ended with code ${s.code}, signal ${s.signal}; ${where}`).toBe(true);
    }
    expect(run.chainStop.gone, `the chain still running: ${run.chainStop.survivors.join("; ")}`).toBe(true);
    expect(run.portsFreeAfter).toEqual(run.ports);
  });
});
