import fs from "node:fs";
import path from "node:path";
import type { PublicClient } from "viem";
import { connect, type Clients } from "../chain/client";
import { DEFAULT_DEPLOYMENTS_DIR, loadDeployment, verifyDeployment, type Deployment } from "../chain/deployment";
import { InputError, PoqError } from "../errors";
import { ContentStore } from "../agents/store";
import type { ExplorerContext } from "./api";
import { ExplorerDb } from "./db";
import { createIndexer, type Indexer, type IndexerLogger } from "./indexer";

/** The explorer's one typed configuration: flags, then environment (POQ_*), then defaults. */
export type ExplorerConfig = {
  rpcUrl: string;
  deploymentFile?: string;
  /** Content store folder; undefined: none (the pages say what they cannot show). */
  storeDir?: string;
  /** SQLite file; undefined: .poq/data/explorer-<chainId>.sqlite. */
  dbFile?: string;
  confirmations: number;
  /** First block to index; undefined: the deployment block from the Ignition journal, else 0. */
  fromBlock?: bigint;
  port: number;
  host: string;
  pollMs: number;
  logLevel: string;
};

export type ExplorerFlags = Partial<Record<"rpc" | "deployment" | "store" | "db" | "confirmations" | "fromBlock" | "port" | "host" | "pollMs" | "logLevel", string>>;

function intIn(v: string, name: string, min: number, max: number): number {
  if (!/^\d+$/.test(v.trim()) || Number(v) < min || Number(v) > max) throw new InputError(`${name} must be an integer from ${min} to ${max}, got "${v}"`);
  return Number(v);
}

export const DEFAULT_STORE = ".poq/store";

export function resolveExplorerConfig(flags: ExplorerFlags, env: NodeJS.ProcessEnv = process.env): ExplorerConfig {
  const pick = (flag: keyof ExplorerFlags, envName?: string) => flags[flag] ?? (envName ? env[envName] : undefined);
  let storeDir = pick("store", "POQ_STORE");
  if (storeDir !== undefined) {
    if (!fs.existsSync(storeDir) || !fs.statSync(storeDir).isDirectory()) throw new InputError(`content store folder "${storeDir}" does not exist`);
  } else if (fs.existsSync(DEFAULT_STORE)) storeDir = DEFAULT_STORE;
  const fromBlock = pick("fromBlock");
  return {
    rpcUrl: pick("rpc", "POQ_RPC_URL") ?? "http://127.0.0.1:8545",
    deploymentFile: pick("deployment", "POQ_DEPLOYMENT"),
    storeDir,
    dbFile: pick("db", "POQ_EXPLORER_DB"),
    confirmations: intIn(pick("confirmations", "POQ_CONFIRMATIONS") ?? "1", "--confirmations", 0, 10_000),
    fromBlock: fromBlock === undefined ? undefined : BigInt(intIn(fromBlock, "--from-block", 0, Number.MAX_SAFE_INTEGER)),
    port: intIn(pick("port", "POQ_EXPLORER_PORT") ?? "8080", "--port", 0, 65_535),
    host: pick("host") ?? "127.0.0.1",
    pollMs: intIn(pick("pollMs", "POQ_POLL_MS") ?? "1000", "--poll-ms", 50, 3_600_000),
    logLevel: pick("logLevel", "POQ_LOG_LEVEL") ?? "info",
  };
}

/**
 * The block the deployment starts at, from the Ignition journal beside the addresses file (the earliest receipt),
 * checked against the chain: the vault must not have code before it. Falls back to 0.
 */
export async function deploymentStartBlock(client: PublicClient, d: Deployment, addressesFile: string): Promise<bigint> {
  let min: number | undefined;
  try {
    for (const line of fs.readFileSync(path.join(path.dirname(addressesFile), "journal.jsonl"), "utf8").split("\n")) {
      if (!line.includes('"TRANSACTION_CONFIRM"')) continue;
      const n = Number((JSON.parse(line) as { receipt?: { blockNumber?: number } }).receipt?.blockNumber);
      if (Number.isInteger(n) && (min === undefined || n < min)) min = n;
    }
  } catch {
    return 0n;
  }
  if (min === undefined || min === 0) return 0n;
  try {
    if (BigInt(min) > (await client.getBlockNumber())) return 0n;
    // A journal of an earlier chain (a restarted node) would skip events: the vault must not exist before it.
    const code = await client.getCode({ address: d.vault, blockNumber: BigInt(min - 1) });
    return code && code !== "0x" ? 0n : BigInt(min);
  } catch {
    return BigInt(min); // no archive state: trust the journal
  }
}

export type OpenedExplorer = { clients: Clients; indexer: Indexer; ctx: ExplorerContext; db: ExplorerDb; close(): void };

/** Connects, checks the deployment, opens the index and the store: what `poq explorer` and `poq inspect` share. */
export async function openExplorer(
  cfg: Pick<ExplorerConfig, "rpcUrl" | "deploymentFile" | "storeDir" | "dbFile" | "confirmations" | "fromBlock">,
  o: { clients?: Clients; deployment?: Deployment; logger?: IndexerLogger } = {},
): Promise<OpenedExplorer> {
  let clients = o.clients;
  if (!clients) {
    try {
      clients = await connect({ rpcUrl: cfg.rpcUrl });
    } catch (e) {
      if (e instanceof PoqError) throw e;
      throw new PoqError(`cannot reach the JSON-RPC endpoint ${cfg.rpcUrl} (is the node running? set --rpc or POQ_RPC_URL)`, {
        retryable: true,
        details: String((e as { shortMessage?: string })?.shortMessage ?? (e as Error)?.message ?? e).split("\n")[0],
        cause: e,
      });
    }
  }
  const client = clients.publicClient;
  const deploymentFile = cfg.deploymentFile ?? path.join(DEFAULT_DEPLOYMENTS_DIR, `chain-${clients.chain.id}`, "deployed_addresses.json");
  const deployment = o.deployment ?? loadDeployment({ chainId: clients.chain.id, file: deploymentFile });
  await verifyDeployment(client, deployment);
  const fromBlock = cfg.fromBlock ?? deployment.fromBlock ?? (o.deployment ? 0n : await deploymentStartBlock(client, deployment, deploymentFile));
  const db = new ExplorerDb(cfg.dbFile ?? path.join(".poq", "data", `explorer-${clients.chain.id}.sqlite`));
  const store = cfg.storeDir ? new ContentStore(cfg.storeDir) : undefined;
  try {
    const indexer = await createIndexer({ client, deployment, db, store, confirmations: cfg.confirmations, fromBlock, logger: o.logger });
    const ctx: ExplorerContext = { db, deployment: indexer.deployment, token: indexer.token(), storeConfigured: !!store, confirmations: cfg.confirmations, client };
    return { clients, indexer, ctx, db, close: () => db.close() };
  } catch (e) {
    db.close();
    throw e;
  }
}
