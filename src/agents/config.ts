import fs from "node:fs";
import path from "node:path";
import type { Hex } from "viem";
import { parsePrivateKey } from "../chain/client";
import { InputError } from "../errors";
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

function num(name: string, v: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = typeof v === "string" ? Number(v) : v;
  if (typeof n !== "number" || !Number.isInteger(n) || n < min || n > max) throw new InputError(`config ${name} must be an integer in [${min}, ${max}], got ${JSON.stringify(v)}`);
  return n;
}

/** Parses a token amount in whole tokens ("1000", "0.5") to base units (18 decimals); `name` names the field. */
export function tokenAmount(name: string, v: unknown): bigint {
  const s = String(v);
  if (!/^\d+(\.\d{1,18})?$/.test(s)) throw new InputError(`${name} must be a token amount like "1000" or "0.5", got ${JSON.stringify(v)}`);
  const [i, f = ""] = s.split(".");
  return BigInt(i) * 10n ** 18n + BigInt((f + "0".repeat(18)).slice(0, 18));
}

function keyOf(raw: Raw, where: string): Hex {
  if (raw.devAccount !== undefined) return devKey(num(`${where}.devAccount`, raw.devAccount, 0, 1_000));
  return parsePrivateKey(raw.key as string | undefined, `${where} private key`);
}

function agentSpec(raw: unknown, i: number): AgentSpec {
  if (!raw || typeof raw !== "object") throw new InputError(`config agents[${i}] must be an object`);
  const a = raw as Raw;
  const where = `agents[${i}]`;
  switch (a.type) {
    case "relayer":
      return { type: "relayer", key: keyOf(a, where), registrar: a.registrar === true };
    case "evaluator":
      return { type: "evaluator", key: keyOf(a, where), behavior: parseBehavior(String(a.behavior ?? "honest")) };
    case "inference": {
      const models = a.models;
      if (!Array.isArray(models) || models.length === 0 || models.some((m) => typeof m !== "string")) throw new InputError(`config ${where}.models must list the models this node serves`);
      return { type: "inference", key: keyOf(a, where), models: models as string[] };
    }
    case "funder":
      return {
        type: "funder",
        key: keyOf(a, where),
        inferencePool: tokenAmount(`config ${where}.inferencePool`, a.inferencePool ?? "1000"),
        evaluatorPool: tokenAmount(`config ${where}.evaluatorPool`, a.evaluatorPool ?? "400"),
        mint: a.mint === true,
      };
    default:
      throw new InputError(`config ${where}.type must be relayer, evaluator, inference or funder, got ${JSON.stringify(a.type)}`);
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
  const envRaw: Raw = {};
  for (const [k, e] of Object.entries(ENV_KEYS)) if (env[e] !== undefined && env[e] !== "") envRaw[k] = env[e];
  const flags = Object.fromEntries(Object.entries(p.flags ?? {}).filter(([, v]) => v !== undefined));
  const m: Raw = { ...DEFAULTS, ...fileRaw, ...envRaw, ...flags };
  const baseDir = p.file ? path.dirname(path.resolve(p.file)) : process.cwd();
  const rel = (v: unknown) => path.resolve(baseDir, String(v));

  let agents: AgentSpec[];
  if (p.single) {
    const spec: Raw = { ...m, type: p.single, behavior: m.behavior, models: typeof m.models === "string" ? String(m.models).split(",") : m.models, registrar: m.registrar === true || m.registrar === "true" };
    agents = [agentSpec(spec, 0)];
  } else {
    if (!Array.isArray(m.agents) || m.agents.length === 0) throw new InputError("config lists no agents (an \"agents\" array of {type, key | devAccount, ...})");
    agents = m.agents.map(agentSpec);
  }
  const replay = (Array.isArray(m.replay) ? m.replay : String(m.replay).split(",")).filter((x) => x !== "").map(rel);
  if (agents.some((a) => a.type === "inference") && replay.length === 0) throw new InputError("an inference node needs replay files (replay: [...] or --replay)");
  return {
    rpcUrl: String(m.rpcUrl),
    deploymentFile: m.deploymentFile ? rel(m.deploymentFile) : undefined,
    storeDir: rel(m.storeDir),
    dataDir: rel(m.dataDir),
    confirmations: num("confirmations", m.confirmations, 0, 64),
    pollMs: num("pollMs", m.pollMs, 10, 600_000),
    port: m.port === undefined ? undefined : num("port", m.port, 0, 65_535),
    logLevel: String(m.logLevel),
    stake: tokenAmount("config stake", m.stake),
    useReferences: m.useReferences === true || m.useReferences === "true",
    profileFile: m.profileFile ? rel(m.profileFile) : undefined,
    policyFile: m.policyFile ? rel(m.policyFile) : undefined,
    replay,
    window: num("window", m.window, 1),
    maxTasksPerRound: num("maxTasksPerRound", m.maxTasksPerRound, 1),
    minTasks: num("minTasks", m.minTasks, 1),
    maxRounds: num("maxRounds", m.maxRounds, 0),
    maxOpenRounds: num("maxOpenRounds", m.maxOpenRounds, 1, 16),
    agents,
  };
}
