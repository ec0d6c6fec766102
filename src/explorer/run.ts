import fs from "node:fs";
import path from "node:path";
import { getAddress, isAddress, type Address, type PublicClient } from "viem";
import { z } from "zod";
import { connect, type Clients } from "../chain/client";
import { DEFAULT_DEPLOYMENTS_DIR, loadDeployment, verifyDeployment, type Deployment } from "../chain/deployment";
import { InputError, PoqError, shown } from "../errors";
import { ContentStore } from "../protocol/store";
import type { Content } from "../protocol/content";
import type { ParsedContentConfig } from "../protocol/contentConfig";
import { contentSettings, resolveContent, type ContentSettingName, type ContentValues } from "../protocol/contentSettings";
import { openStoreContent } from "../protocol/openContent";
import { bool, parseInput } from "../schema";
import { ContentFetcher, type ContentFetcherOptions } from "./fetch";
import { makeContext, type ExplorerContext } from "./context";
import { ExplorerDb } from "./db";
import { createIndexer, type Indexer, type IndexerLogger } from "./indexer";

/** An optional setting: absent or empty ("") leaves it unset, so the default applies. */
const optional = <T extends z.ZodTypeAny>(schema: T) => z.preprocess((v) => (v === "" || v === null ? undefined : v), schema.optional());
/** An integer setting given as text, within bounds; the message names the flag. */
const intIn = (flag: string, min: number, max: number) =>
  z
    .string()
    .trim()
    .refine((v) => /^\d+$/.test(v) && Number(v) >= min && Number(v) <= max, { error: (iss) => `${flag} must be an integer from ${min} to ${max}, got "${String(iss.input)}"` })
    .transform(Number);

/** The explorer's one typed configuration, as a zod schema: flags, then environment (POQ_*), then defaults. */
const explorerConfig = z.object({
  rpcUrl: optional(z.string()).transform((v) => v ?? "http://127.0.0.1:8545"),
  deploymentFile: optional(z.string()),
  /** Content store folder; unset: .poq/store when it exists, else none (the pages say what they cannot show). */
  storeDir: optional(z.string()),
  /** SQLite file; unset: .poq/data/explorer-<chainId>.sqlite. */
  dbFile: optional(z.string()),
  /** Name tags for addresses: a JSON object of address → label. */
  labelsFile: optional(z.string()),
  confirmations: optional(intIn("--confirmations", 0, 10_000)).transform((v) => v ?? 1),
  /** First block to index; unset: the deployment block from the Ignition journal, else 0. */
  fromBlock: optional(intIn("--from-block", 0, Number.MAX_SAFE_INTEGER)).transform((v) => (v === undefined ? undefined : BigInt(v))),
  port: optional(intIn("--port", 0, 65_535)).transform((v) => v ?? 8080),
  host: optional(z.string()).transform((v) => v ?? "127.0.0.1"),
  pollMs: optional(intIn("--poll-ms", 50, 3_600_000)).transform((v) => v ?? 1000),
  logLevel: optional(z.string()).transform((v) => v ?? "info"),
  /** Archive: pin every CID the rounds point to on chain, and every output their manifests list, and keep them. */
  archive: optional(bool()).transform((v) => v ?? false),
});

export type ExplorerConfig = z.infer<typeof explorerConfig> & {
  /** Where round content is fetched from, beside the store (unset: the store folder alone, nothing fetched). */
  content?: ParsedContentConfig;
};

export type ExplorerFlags = Partial<Record<"rpc" | "deployment" | "store" | "db" | "labels" | "confirmations" | "fromBlock" | "port" | "host" | "pollMs" | "logLevel" | "archive" | ContentSettingName, string>>;

export const DEFAULT_STORE = ".poq/store";

/**
 * Resolves the configuration. A flag wins over its environment variable; an empty flag or variable counts as unset
 * (the next source or the default applies), so `POQ_STORE= poq explorer` runs without a content store only when
 * .poq/store does not exist.
 */
export function resolveExplorerConfig(flags: ExplorerFlags, env: NodeJS.ProcessEnv = process.env): ExplorerConfig {
  const pick = (flag: keyof ExplorerFlags, envName?: string) => {
    const f = flags[flag];
    if (f !== undefined && f !== "") return f;
    const e = envName ? env[envName] : undefined;
    return e === "" ? undefined : e;
  };
  const r = explorerConfig.safeParse({
    rpcUrl: pick("rpc", "POQ_RPC_URL"),
    deploymentFile: pick("deployment", "POQ_DEPLOYMENT"),
    storeDir: pick("store", "POQ_STORE"),
    dbFile: pick("db", "POQ_EXPLORER_DB"),
    labelsFile: pick("labels", "POQ_EXPLORER_LABELS"),
    confirmations: pick("confirmations", "POQ_CONFIRMATIONS"),
    fromBlock: pick("fromBlock"),
    port: pick("port", "POQ_EXPLORER_PORT"),
    host: pick("host"),
    pollMs: pick("pollMs", "POQ_POLL_MS"),
    logLevel: pick("logLevel", "POQ_LOG_LEVEL"),
    archive: pick("archive", "POQ_EXPLORER_ARCHIVE"),
  });
  if (!r.success) {
    const issue = r.error.issues[0];
    if (issue.path[0] === "archive") throw new InputError(`POQ_EXPLORER_ARCHIVE ${issue.message}, got ${shown(env.POQ_EXPLORER_ARCHIVE)}`);
    throw new InputError(issue.message.startsWith("--") ? issue.message : `${String(issue.path[0])}: ${issue.message}`);
  }
  const cfg: ExplorerConfig = r.data;
  // The content options, read as the daemons read them (src/protocol/contentSettings.ts): a flag, else its variable.
  const values: ContentValues = {};
  for (const [k, setting] of Object.entries(contentSettings(process.cwd())) as [ContentSettingName, ReturnType<typeof contentSettings>[ContentSettingName]][]) {
    const flag = flags[k];
    const fromFlag = flag !== undefined && flag !== "";
    const raw = fromFlag ? flag : env[setting.env] === "" ? undefined : env[setting.env];
    if (raw !== undefined) Object.assign(values, { [k]: parseInput(setting.schema, raw, fromFlag ? "" : "environment", () => (fromFlag ? setting.flag : setting.env)) });
  }
  const fetches = Object.values(values).some((v) => v !== undefined);
  if (cfg.storeDir !== undefined) {
    if (fs.existsSync(cfg.storeDir) && !fs.statSync(cfg.storeDir).isDirectory()) throw new InputError(`content store "${cfg.storeDir}" is not a folder`);
    // with a content backend the explorer fills a store of its own; without one it only reads an existing store
    if (!fs.existsSync(cfg.storeDir) && !fetches) throw new InputError(`content store folder "${cfg.storeDir}" does not exist`);
  } else if (fetches || fs.existsSync(DEFAULT_STORE)) cfg.storeDir = DEFAULT_STORE;
  if (fetches) cfg.content = resolveContent(values, path.resolve(cfg.storeDir!));
  if (cfg.archive && cfg.content?.kind !== "helia" && cfg.content?.kind !== "kubo") {
    throw new InputError("--archive pins content in an IPFS node: it needs --content helia (an embedded node) or kubo (POQ_EXPLORER_ARCHIVE)");
  }
  return cfg;
}

/** The labels file: a JSON object of address → name tag (1 to 64 characters). */
const labelsFile = z.record(z.string(), z.string().min(1, "is empty").max(64, "is longer than 64 characters")).superRefine((labels, ctx) => {
  for (const key of Object.keys(labels)) if (!isAddress(key, { strict: false })) ctx.addIssue({ code: "custom", path: [key], message: "is not an address" });
});

export function loadLabels(file: string): Map<Address, string> {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (e) {
    throw new InputError(`labels file ${file}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "not found" : "not valid JSON"}`);
  }
  const r = labelsFile.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new InputError(`labels file ${file}: ${issue.path.length ? `${shown(issue.path[0])} ` : ""}${issue.message}`, { details: 'expected {"0x…address": "label", …}' });
  }
  return new Map(Object.entries(r.data).map(([a, l]) => [getAddress(a), l]));
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

export type OpenedExplorer = { clients: Clients; indexer: Indexer; ctx: ExplorerContext; db: ExplorerDb; content?: Content; fetcher?: ContentFetcher; close(): Promise<void> };

/**
 * Connects, checks the deployment, opens the index, the store and (with `content`) the content backend and its
 * fetcher: what `poq explorer` and `poq inspect` share.
 */
export async function openExplorer(
  cfg: { rpcUrl: string; deploymentFile?: string; storeDir?: string; dbFile?: string; labelsFile?: string; confirmations: number; fromBlock?: bigint; content?: ParsedContentConfig; archive?: boolean },
  o: { clients?: Clients; deployment?: Deployment; logger?: IndexerLogger; fetch?: Pick<ContentFetcherOptions, "timeoutMs" | "waitMs" | "retryMs"> } = {},
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
  const labels = cfg.labelsFile ? loadLabels(cfg.labelsFile) : undefined;
  let content: Content | undefined;
  let fetcher: ContentFetcher | undefined;
  const close = async () => {
    await fetcher?.close();
    await content?.close();
    db.close();
  };
  try {
    if (cfg.content && store) {
      content = await openStoreContent(cfg.content, store);
      fetcher = new ContentFetcher({ db, store, content, archive: !!cfg.archive, logger: o.logger, ...o.fetch });
      const info = await content.info();
      o.logger?.info({ content: info.kind, peer_id: info.peerId, addresses: info.addresses, archive: !!cfg.archive }, "content backend ready");
    }
    const indexer = await createIndexer({ client, deployment, db, store, fetcher, confirmations: cfg.confirmations, fromBlock, logger: o.logger });
    const ctx: ExplorerContext = makeContext({
      db,
      deployment: indexer.deployment,
      contracts: indexer.contracts,
      token: indexer.token(),
      storeConfigured: !!store,
      store,
      confirmations: cfg.confirmations,
      client,
      labels,
      contentStatus: fetcher ? fetcher.status.bind(fetcher) : undefined,
    });
    return { clients, indexer, ctx, db, content, fetcher, close };
  } catch (e) {
    await close();
    throw e;
  }
}
