import fs from "node:fs";
import path from "node:path";
import type { Hex } from "viem";
import { parsePrivateKey } from "../chain/client";
import { InputError, refuseUnknownKeys, shown } from "../errors";
import { devKey } from "./accounts";
import { parseBehavior, type Behavior } from "./behavior";

/** One agent hosted by a daemon process. */
export type AgentSpec =
  | { type: "relayer"; key: Hex; registrar: boolean }
  | { type: "evaluator"; key: Hex; behavior: Behavior }
  | { type: "inference"; key: Hex; models: string[] }
  | { type: "funder"; key: Hex; inferencePool: bigint; evaluatorPool: bigint; mint: boolean };

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
  logLevel: string;
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
  agents: AgentSpec[];
};

const DEFAULTS = {
  rpcUrl: "http://127.0.0.1:8545",
  storeDir: ".poq/store",
  dataDir: ".poq/data",
  confirmations: 1,
  pollMs: 1_000,
  logLevel: "info",
  stake: "1000",
  useReferences: false,
  replay: [] as string[],
  window: 10,
  maxTasksPerRound: 1_000,
  minTasks: 1,
  maxRounds: 0,
  maxOpenRounds: 2,
};

type Raw = Record<string, unknown>;

function readConfigFile(file: string): Raw {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    throw new InputError(`config file ${file} not found`);
  }
  try {
    const v = JSON.parse(text);
    if (!v || typeof v !== "object" || Array.isArray(v)) throw new Error("not an object");
    return v as Raw;
  } catch (e) {
    throw new InputError(`malformed config ${file}: ${(e as Error).message}`);
  }
}

/** Environment variables the daemons read (flags win over them, they win over the config file). */
export const ENV_KEYS: Record<string, string> = {
  rpcUrl: "POQ_RPC_URL",
  deploymentFile: "POQ_DEPLOYMENT",
  storeDir: "POQ_STORE",
  dataDir: "POQ_DATA",
  confirmations: "POQ_CONFIRMATIONS",
  pollMs: "POQ_POLL_MS",
  port: "POQ_PORT",
  logLevel: "POQ_LOG_LEVEL",
  key: "POQ_PRIVATE_KEY",
};

/** Keys a config file may hold at the top level, and in each entry of `agents`. */
const FILE_KEYS = [...Object.keys(DEFAULTS), ...Object.keys(ENV_KEYS), "devAccount", "port", "profileFile", "policyFile", "goldPoolFile", "behavior", "models", "registrar", "agents"];
const AGENT_KEYS = ["type", "key", "devAccount", "behavior", "models", "registrar", "inferencePool", "evaluatorPool", "mint"];

function num(name: string, v: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = typeof v === "string" && v.trim() !== "" ? Number(v) : v;
  if (typeof n !== "number" || !Number.isInteger(n) || n < min || n > max) throw new InputError(`config ${name} must be an integer in [${min}, ${max}], got ${shown(v)}`);
  return n;
}

/** A non-empty string (a URL, a path, a level). */
function text(name: string, v: unknown): string {
  if (typeof v !== "string" || v === "") throw new InputError(`config ${name} must be a non-empty string, got ${shown(v)}`);
  return v;
}

/** true or false (the environment and flags may give "true" or "false"). */
function bool(name: string, v: unknown): boolean {
  if (v === true || v === "true") return true;
  if (v === false || v === "false" || v === undefined) return false;
  throw new InputError(`config ${name} must be true or false, got ${shown(v)}`);
}

/** A list of strings: a JSON array, or a comma-separated string. */
function list(name: string, v: unknown): string[] {
  if (v === undefined) return [];
  const items = typeof v === "string" ? v.split(",") : v;
  if (!Array.isArray(items) || items.some((x) => typeof x !== "string")) throw new InputError(`config ${name} must be a list of strings, got ${shown(v)}`);
  return (items as string[]).map((x) => x.trim()).filter((x) => x !== "");
}

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

/** Parses a token amount in whole tokens ("1000", "0.5") to base units (18 decimals); `name` names the field. */
export function tokenAmount(name: string, v: unknown): bigint {
  const s = typeof v === "string" ? v : typeof v === "number" && Number.isFinite(v) ? String(v) : "";
  if (!/^\d+(\.\d{1,18})?$/.test(s)) throw new InputError(`${name} must be a token amount like "1000" or "0.5", got ${shown(v)}`);
  const [i, f = ""] = s.split(".");
  return BigInt(i) * 10n ** 18n + BigInt((f + "0".repeat(18)).slice(0, 18));
}

function keyOf(raw: Raw, where: string): Hex {
  if (raw.devAccount !== undefined) return devKey(num(`${where}.devAccount`, raw.devAccount, 0, 1_000));
  if (raw.key !== undefined && typeof raw.key !== "string") throw new InputError(`config ${where} private key must be a hex string`);
  return parsePrivateKey(raw.key, `${where} private key`);
}

function agentSpec(raw: unknown, i: number, fromFile = true): AgentSpec {
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) throw new InputError(`config agents[${i}] must be an object`);
  const a = raw as Raw;
  const where = `agents[${i}]`;
  if (fromFile) refuseUnknownKeys(a, AGENT_KEYS, `config ${where}`);
  switch (a.type) {
    case "relayer":
      return { type: "relayer", key: keyOf(a, where), registrar: bool(`${where}.registrar`, a.registrar) };
    case "evaluator":
      return { type: "evaluator", key: keyOf(a, where), behavior: parseBehavior(text(`${where}.behavior`, a.behavior ?? "honest")) };
    case "inference": {
      const models = list(`${where}.models`, a.models);
      if (models.length === 0) throw new InputError(`config ${where}.models must list the models this node serves`);
      return { type: "inference", key: keyOf(a, where), models };
    }
    case "funder":
      return {
        type: "funder",
        key: keyOf(a, where),
        inferencePool: tokenAmount(`config ${where}.inferencePool`, a.inferencePool ?? "1000"),
        evaluatorPool: tokenAmount(`config ${where}.evaluatorPool`, a.evaluatorPool ?? "400"),
        mint: bool(`${where}.mint`, a.mint),
      };
    default:
      throw new InputError(`config ${where}.type must be relayer, evaluator, inference or funder, got ${shown(a.type)}`);
  }
}

/**
 * Resolves the configuration once: `file` (JSON), then the environment, then `flags`. `single` makes one agent of
 * that type from the key given by flag, environment or config (for `poq relayer`, `poq evaluator`,
 * `poq inference`); without it the config's `agents` list is used (`poq agents`).
 */
export function resolveConfig(p: { file?: string; env?: NodeJS.ProcessEnv; flags?: Raw; single?: AgentSpec["type"] }): DaemonConfig {
  const env = p.env ?? process.env;
  const fileRaw = p.file ? readConfigFile(p.file) : {};
  if (p.file) refuseUnknownKeys(fileRaw, FILE_KEYS, `config ${p.file}`);
  const envRaw: Raw = {};
  for (const [k, e] of Object.entries(ENV_KEYS)) if (env[e] !== undefined && env[e] !== "") envRaw[k] = env[e];
  const flags = Object.fromEntries(Object.entries(p.flags ?? {}).filter(([, v]) => v !== undefined));
  const m: Raw = { ...DEFAULTS, ...fileRaw, ...envRaw, ...flags };
  // Paths in the file are relative to the file; paths from flags or the environment to the working directory.
  const fileDir = p.file ? path.dirname(path.resolve(p.file)) : process.cwd();
  const rel = (name: string, v: unknown) => path.resolve(name in flags || name in envRaw ? process.cwd() : fileDir, text(name, v));
  /** An optional setting: absent, null or "" leaves it unset. */
  const given = (v: unknown) => v !== undefined && v !== null && v !== "";

  let agents: AgentSpec[];
  if (p.single) {
    const spec: Raw = { type: p.single, key: m.key, devAccount: m.devAccount, behavior: m.behavior, models: m.models, registrar: m.registrar };
    agents = [agentSpec(spec, 0, false)];
  } else {
    if (!Array.isArray(m.agents) || m.agents.length === 0) throw new InputError("config lists no agents (an \"agents\" array of {type, key | devAccount, ...})");
    agents = m.agents.map((a, i) => agentSpec(a, i));
  }
  const replay = list("replay", m.replay).map((f) => rel("replay", f));
  const logLevel = text("logLevel", m.logLevel);
  if (!LOG_LEVELS.includes(logLevel)) throw new InputError(`config logLevel must be one of ${LOG_LEVELS.join(", ")}, got ${shown(logLevel)}`);
  if (agents.some((a) => a.type === "inference") && replay.length === 0) throw new InputError("an inference node needs replay files (replay: [...] or --replay)");
  return {
    rpcUrl: text("rpcUrl", m.rpcUrl),
    deploymentFile: given(m.deploymentFile) ? rel("deploymentFile", m.deploymentFile) : undefined,
    storeDir: rel("storeDir", m.storeDir),
    dataDir: rel("dataDir", m.dataDir),
    confirmations: num("confirmations", m.confirmations, 0, 64),
    pollMs: num("pollMs", m.pollMs, 10, 600_000),
    port: given(m.port) ? num("port", m.port, 0, 65_535) : undefined,
    logLevel,
    stake: tokenAmount("config stake", m.stake),
    useReferences: bool("useReferences", m.useReferences),
    profileFile: given(m.profileFile) ? rel("profileFile", m.profileFile) : undefined,
    policyFile: given(m.policyFile) ? rel("policyFile", m.policyFile) : undefined,
    goldPoolFile: given(m.goldPoolFile) ? rel("goldPoolFile", m.goldPoolFile) : undefined,
    replay,
    window: num("window", m.window, 1),
    maxTasksPerRound: num("maxTasksPerRound", m.maxTasksPerRound, 1),
    minTasks: num("minTasks", m.minTasks, 1),
    maxRounds: num("maxRounds", m.maxRounds, 0),
    maxOpenRounds: num("maxOpenRounds", m.maxOpenRounds, 1, 16),
    agents,
  };
}
