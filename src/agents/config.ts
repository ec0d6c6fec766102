import fs from "node:fs";
import path from "node:path";
import type { Hex } from "viem";
import { z } from "zod";
import { TOKEN_DECIMALS } from "../chain/deployment";
import { InputError } from "../errors";
import { bool, int, issueText, list, oneOf, optional, SECRET, strict, text, tokenAmount } from "../schema";
import type { ParsedContentConfig } from "../protocol/contentConfig";
import { contentSettings, resolveContent } from "../protocol/contentSettings";
import { devKey } from "./accounts";
import { BEHAVIORS } from "./behavior";
import { decryptKeystore, keystorePassword } from "./keystore";

/** One agent hosted by a daemon process. */
export type AgentSpec =
  | { type: "relayer"; key: Hex; registrar: boolean }
  | { type: "evaluator"; key: Hex; behavior: (typeof BEHAVIORS)[number] }
  | { type: "inference"; key: Hex; models: string[] }
  | { type: "funder"; key: Hex; inferencePool: bigint; evaluatorPool: bigint; mint: boolean };

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

/** A 32-byte hex private key; a bad one is named, never echoed. */
const privateKey = z.unknown().transform((v, ctx) => {
  if (typeof v !== "string") {
    ctx.addIssue({ code: "custom", message: "must be a hex string", params: SECRET });
    return z.NEVER;
  }
  const k = v.startsWith("0x") ? v : `0x${v}`;
  if (!/^0x[0-9a-fA-F]{64}$/.test(k)) {
    ctx.addIssue({ code: "custom", message: "must be 32 bytes of hex", params: SECRET });
    return z.NEVER;
  }
  return k as Hex;
});

/** A path: relative to `base` (the config file's folder, or the working directory for flags and environment). */
const pathIn = (base: string) => text().transform((p) => path.resolve(base, p));

/**
 * Every setting a daemon reads, once: its schema (type, validation and message), its environment variable and its
 * flag. The same schema checks the config file, the environment and the flags, so a bad value is named as the user
 * wrote it (`config.json: pollMs …`, `POQ_POLL_MS …`, `--poll-ms …`).
 */
function settings(base: string) {
  return {
    rpcUrl: { schema: text(), env: "POQ_RPC_URL", flag: "--rpc" },
    deploymentFile: { schema: optional(pathIn(base)), env: "POQ_DEPLOYMENT", flag: "--deployment" },
    storeDir: { schema: pathIn(base), env: "POQ_STORE", flag: "--store" },
    dataDir: { schema: pathIn(base), env: "POQ_DATA", flag: "--data-dir" },
    key: { schema: privateKey, env: "POQ_PRIVATE_KEY", flag: "--key" },
    keystore: { schema: optional(pathIn(base)), env: "POQ_KEYSTORE", flag: "--keystore" },
    passwordFile: { schema: optional(pathIn(base)), env: "POQ_KEYSTORE_PASSWORD_FILE", flag: "--password-file" },
    devAccount: { schema: int(0, 1_000), flag: "--dev-account" },
    confirmations: { schema: int(0, 64), env: "POQ_CONFIRMATIONS", flag: "--confirmations" },
    pollMs: { schema: int(10, 600_000), env: "POQ_POLL_MS", flag: "--poll-ms" },
    port: { schema: optional(int(0, 65_535)), env: "POQ_PORT", flag: "--port" },
    logLevel: { schema: oneOf(LOG_LEVELS), env: "POQ_LOG_LEVEL", flag: "--log-level" },
    stake: { schema: tokenAmount(TOKEN_DECIMALS), flag: "--stake" },
    useReferences: { schema: bool(), flag: "--use-references" },
    profileFile: { schema: optional(pathIn(base)), flag: "--profile" },
    policyFile: { schema: optional(pathIn(base)), flag: "--policy" },
    goldPoolFile: { schema: optional(pathIn(base)), flag: "--gold-pool" },
    replay: { schema: list().transform((fs) => fs.map((f) => path.resolve(base, f))), flag: "--replay" },
    window: { schema: int(1), flag: "--window" },
    maxTasksPerRound: { schema: int(1), flag: "--max-tasks" },
    minTasks: { schema: int(1), flag: "--min-tasks" },
    maxRounds: { schema: int(0), flag: "--max-rounds" },
    maxOpenRounds: { schema: int(1, 16), flag: "--max-open-rounds" },
    turnGraceMs: { schema: int(0, 3_600_000), flag: "--turn-grace-ms" },
    pinHorizon: { schema: optional(int(1)), env: "POQ_PIN_HORIZON", flag: "--pin-horizon" },
    behavior: { schema: oneOf(BEHAVIORS, "evaluator behavior"), flag: "--behavior" },
    models: { schema: list(), flag: "--models" },
    registrar: { schema: bool(), flag: "--registrar" },
    backendUrl: { schema: optional(text()), env: "POQ_BACKEND_URL", flag: "--backend" },
    servePort: { schema: optional(int(0, 65_535)), env: "POQ_SERVE_PORT", flag: "--serve-port" },
    fanout: { schema: list(), flag: "--fanout" },
    fanoutCount: { schema: optional(int(0)), flag: "--fanout-count" },
    announceTo: { schema: list(), env: "POQ_ANNOUNCE", flag: "--announce" },
    announcePort: { schema: optional(int(0, 65_535)), env: "POQ_ANNOUNCE_PORT", flag: "--announce-port" },
    ...contentSettings(base),
  } satisfies Record<string, { schema: z.ZodType; env?: string; flag: string }>;
}

type Settings = ReturnType<typeof settings>;
type Values = { [K in keyof Settings]?: z.output<Settings[K]["schema"]> };

const DEFAULTS = {
  rpcUrl: "http://127.0.0.1:8545",
  storeDir: ".poq/store",
  dataDir: ".poq/data",
  confirmations: 1,
  pollMs: 1_000,
  logLevel: "info",
  stake: "1000",
  useReferences: false,
  replay: [],
  window: 10,
  maxTasksPerRound: 1_000,
  minTasks: 1,
  maxRounds: 0,
  maxOpenRounds: 2,
  turnGraceMs: 4_000,
  behavior: "honest",
  models: [],
  registrar: false,
  fanout: [],
  announceTo: [],
};

/** Environment variables the daemons read (flags win over them, they win over the config file). */
export const ENV_KEYS: Record<string, string> = Object.fromEntries(
  Object.entries(settings(".")).flatMap(([k, s]) => ("env" in s ? [[k, s.env]] : [])),
);

/** The flag of each setting, for commands that declare them (src/agents/cli.ts). */
export const FLAGS: Record<keyof Settings, string> = Object.fromEntries(Object.entries(settings(".")).map(([k, s]) => [k, s.flag])) as Record<keyof Settings, string>;

/** One entry of a config file's `agents` list. */
const keyFields = { key: optional(privateKey), devAccount: optional(int(0, 1_000)) };
const agentEntry = z.discriminatedUnion(
  "type",
  [
    strict({ type: z.literal("relayer"), ...keyFields, registrar: optional(bool()) }),
    strict({ type: z.literal("evaluator"), ...keyFields, behavior: optional(oneOf(BEHAVIORS, "evaluator behavior")) }),
    strict({ type: z.literal("inference"), ...keyFields, models: optional(list()) }),
    strict({
      type: z.literal("funder"),
      ...keyFields,
      inferencePool: optional(tokenAmount(TOKEN_DECIMALS)),
      evaluatorPool: optional(tokenAmount(TOKEN_DECIMALS)),
      mint: optional(bool()),
    }),
  ],
  { error: (iss) => (iss.code === "invalid_union" ? "must be relayer, evaluator, inference or funder" : "must be an object") },
);
type AgentEntry = z.output<typeof agentEntry>;

function fileSchema(base: string) {
  const shape = Object.fromEntries(Object.entries(settings(base)).map(([k, s]) => [k, (s.schema as z.ZodType).optional()]));
  return strict({ ...shape, agents: optional(z.array(agentEntry, { error: "must be a list of agents" })) });
}

/** The resolved configuration of a daemon process: config file, then environment, then flags. */
export type DaemonConfig = {
  rpcUrl: string;
  /** A deployment file; default: deploy/deployments/chain-<id>/deployed_addresses.json. */
  deploymentFile?: string;
  storeDir: string;
  /** Folder for SQLite checkpoints (one file per agent). */
  dataDir: string;
  confirmations: number;
  pollMs: number;
  /** Port for /healthz and /metrics; undefined for none. */
  port?: number;
  logLevel: (typeof LOG_LEVELS)[number];
  stake: bigint;
  useReferences: boolean;
  profileFile?: string;
  /** Relayer policy overrides (JSON); default: the built-in policy. */
  policyFile?: string;
  /** Registrar: the gold pool file it mixes hidden gold tasks from (scripts/gold-pool.ts). */
  goldPoolFile?: string;
  replay: string[];
  window: number;
  maxTasksPerRound: number;
  minTasks: number;
  maxRounds: number;
  maxOpenRounds: number;
  /** Relayer: wait this long before taking a shared step (finalize, cancel, non-reveal slash) of a round it does not lead. */
  turnGraceMs: number;
  /**
   * Relayer, inference: keep content pinned this long (seconds) after its round closed; at least the chain's horizon
   * (unbonding period + longest round), which is the default (./unpin).
   */
  pinHorizon?: number;
  /** Inference: the OpenAI-compatible backend its query API fronts ("replay": the built-in replay backend). */
  backendUrl?: string;
  /** Inference: port of the query API (POST /v1/chat/completions); undefined for none. */
  servePort?: number;
  /** Inference: peer nodes' query API URLs to fan each query out to, and how many of them per query (default all). */
  fanout: string[];
  fanoutCount?: number;
  /** Relayers' announcement API URLs: an inference node announces each filed output to them, an evaluator its signed reveals. */
  announceTo: string[];
  /** Relayer: port of the announcement API (POST /v1/announce); undefined for none. */
  announcePort?: number;
  /**
   * Where outputs, manifests and payloads are published and fetched: the folder store (`storeDir`, the default), an
   * embedded IPFS node with its own folder (default `<storeDir>/ipfs`), or a Kubo node's RPC API.
   */
  content: ParsedContentConfig;
  agents: AgentSpec[];
};

function readConfigFile(file: string): unknown {
  let textValue: string;
  try {
    textValue = fs.readFileSync(file, "utf8");
  } catch {
    throw new InputError(`config file ${file} not found`);
  }
  let v: unknown;
  try {
    v = JSON.parse(textValue);
  } catch (e) {
    throw new InputError(`malformed config ${file}: ${(e as Error).message}`);
  }
  if (!v || typeof v !== "object" || Array.isArray(v)) throw new InputError(`malformed config ${file}: not a JSON object`);
  return v;
}

/** Parses one source; a problem names the source and the field as that source spells it. */
function parseSource(schema: z.ZodType, raw: unknown, where: string, nameOf: (key: string) => string): Values & { agents?: AgentEntry[] } {
  const r = schema.safeParse(raw, { reportInput: true });
  if (r.success) return r.data as Values;
  const issue = r.error.issues[0];
  const [head, ...rest] = issue.path;
  const name = head === undefined ? "" : `${nameOf(String(head))}${rest.map((k) => (typeof k === "number" ? `[${k}]` : `.${String(k)}`)).join("")}`;
  throw new InputError(issueText(issue, where, name));
}

/** The key of one agent: a development account or a private key. */
function keyOf(a: { key?: Hex; devAccount?: number }, where: string): Hex {
  if (a.devAccount !== undefined) return devKey(a.devAccount);
  if (a.key === undefined) throw new InputError(`missing ${where}private key (set it in the config, the environment or a flag)`);
  return a.key;
}

function agentSpec(a: AgentEntry, where: string, defaults: Values): AgentSpec {
  const key = keyOf(a, where);
  switch (a.type) {
    case "relayer":
      return { type: "relayer", key, registrar: a.registrar ?? defaults.registrar ?? false };
    case "evaluator":
      return { type: "evaluator", key, behavior: a.behavior ?? defaults.behavior ?? "honest" };
    case "inference":
      if (!a.models?.length) throw new InputError(`config ${where.trim()}${where ? "." : ""}models must list the models this node serves`);
      return { type: "inference", key, models: a.models };
    case "funder":
      return { type: "funder", key, inferencePool: a.inferencePool ?? tokens("1000"), evaluatorPool: a.evaluatorPool ?? tokens("400"), mint: a.mint ?? false };
  }
}

const tokens = (s: string) => tokenAmount(TOKEN_DECIMALS).parse(s);

/**
 * Resolves the configuration once: `file` (JSON), then the environment, then `flags` (each checked by the same
 * schema). `single` makes one agent of that type from the key given by flag, environment or config (for
 * `poq relayer`, `poq evaluator`, `poq inference`); without it the config's `agents` list is used (`poq agents`).
 * Paths in the file are relative to the file; paths from flags or the environment to the working directory.
 */
export function resolveConfig(p: { file?: string; env?: NodeJS.ProcessEnv; flags?: Record<string, unknown>; single?: AgentSpec["type"] }): DaemonConfig {
  const env = p.env ?? process.env;
  const cwd = process.cwd();
  const table = settings(cwd);
  const fromFile = p.file ? parseSource(fileSchema(path.dirname(path.resolve(p.file))), readConfigFile(p.file), `config ${p.file}:`, (k) => k) : {};
  const envRaw = Object.fromEntries(Object.entries(ENV_KEYS).flatMap(([k, e]) => (env[e] !== undefined && env[e] !== "" ? [[k, env[e]]] : [])));
  const envToKey = Object.fromEntries(Object.entries(ENV_KEYS).map(([k, e]) => [k, e]));
  const fromEnv = parseSource(strict(Object.fromEntries(Object.keys(envRaw).map((k) => [k, table[k as keyof Settings].schema]))), envRaw, "environment", (k) => envToKey[k] ?? k);
  const flagRaw = Object.fromEntries(Object.entries(p.flags ?? {}).filter(([, v]) => v !== undefined));
  for (const k of Object.keys(flagRaw)) if (!(k in table)) throw new InputError(`unknown setting ${k}`);
  const fromFlags = parseSource(strict(Object.fromEntries(Object.keys(flagRaw).map((k) => [k, table[k as keyof Settings].schema]))), flagRaw, "", (k) => FLAGS[k as keyof Settings]);
  const defaults = parseSource(strict(Object.fromEntries(Object.keys(DEFAULTS).map((k) => [k, table[k as keyof Settings].schema]))), DEFAULTS, "default", (k) => k);
  const { agents: fileAgents, ...fileValues } = fromFile as Values & { agents?: AgentEntry[] };
  const m: Values = { ...defaults, ...fileValues, ...fromEnv, ...fromFlags };

  let agents: AgentSpec[];
  if (p.single) {
    // An encrypted keystore (with its password from a file or the environment) stands for the raw key.
    const key = m.keystore && m.devAccount === undefined && m.key === undefined ? decryptKeystore(m.keystore, keystorePassword(m.passwordFile, env)) : keyOf(m, "");
    agents = [
      p.single === "inference"
        ? agentSpec({ type: "inference", key, models: m.models ?? [] }, "", m)
        : agentSpec({ type: p.single, key } as AgentEntry, "", m),
    ];
  } else {
    if (!fileAgents || fileAgents.length === 0) throw new InputError('config lists no agents (an "agents" array of {type, key | devAccount, ...})');
    agents = fileAgents.map((a, i) => agentSpec(a, `agents[${i}] `, m));
  }
  const replay = m.replay ?? [];
  if (agents.some((a) => a.type === "inference") && replay.length === 0 && !m.backendUrl) throw new InputError("an inference node needs replay files (replay: [...] or --replay) or a backend (--backend)");
  if (m.backendUrl && m.backendUrl !== "replay" && !/^https?:\/\//.test(m.backendUrl)) throw new InputError(`--backend must be an http(s) URL or "replay", got ${m.backendUrl}`);
  if (m.backendUrl === "replay" && replay.length === 0) throw new InputError("the replay backend needs replay files (replay: [...] or --replay)");
  return {
    rpcUrl: m.rpcUrl!,
    deploymentFile: m.deploymentFile,
    storeDir: m.storeDir!,
    dataDir: m.dataDir!,
    confirmations: m.confirmations!,
    pollMs: m.pollMs!,
    port: m.port,
    logLevel: m.logLevel!,
    stake: m.stake!,
    useReferences: m.useReferences!,
    profileFile: m.profileFile,
    policyFile: m.policyFile,
    goldPoolFile: m.goldPoolFile,
    replay,
    window: m.window!,
    maxTasksPerRound: m.maxTasksPerRound!,
    minTasks: m.minTasks!,
    maxRounds: m.maxRounds!,
    maxOpenRounds: m.maxOpenRounds!,
    turnGraceMs: m.turnGraceMs!,
    pinHorizon: m.pinHorizon,
    backendUrl: m.backendUrl,
    servePort: m.servePort,
    fanout: m.fanout ?? [],
    fanoutCount: m.fanoutCount,
    announceTo: m.announceTo ?? [],
    announcePort: m.announcePort,
    content: resolveContent(m, m.storeDir!),
    agents,
  };
}

/** A token amount in whole tokens ("1000", "0.5") as base units; `name` names the field in the message. */
export function parseTokenAmount(name: string, v: unknown): bigint {
  const r = tokenAmount(TOKEN_DECIMALS).safeParse(v, { reportInput: true });
  if (!r.success) throw new InputError(issueText(r.error.issues[0], name, ""));
  return r.data;
}
