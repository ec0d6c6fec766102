import fs from "node:fs";
import { InputError, refuseUnknownKeys, shown } from "../errors";
import { DEFAULT_CONSENSUS_PARAMS } from "../consensus/params";
import { DEFAULT_SETTLEMENT_PARAMS, settlementParams, type SettlementParams } from "../rewards/params";

/**
 * Loads a relayer policy: a JSON file of overrides on the default settlement parameters (consensus overrides merge
 * into the consensus defaults; `stakeUnitWei` may be a decimal string). No file: the defaults.
 */
export function loadPolicy(file?: string): SettlementParams {
  if (!file) return settlementParams();
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(code === "ENOENT" ? `policy file ${file} not found` : `malformed policy file ${file}: ${(e as Error).message}`);
  }
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) throw new InputError(`policy file ${file} must hold a JSON object`);
  refuseUnknownKeys(raw, Object.keys(DEFAULT_SETTLEMENT_PARAMS), `policy file ${file}`, "parameter");
  const given = raw.consensus ?? {};
  if (!given || typeof given !== "object" || Array.isArray(given)) throw new InputError(`policy file ${file}: consensus must be an object of consensus parameters, got ${shown(given)}`);
  refuseUnknownKeys(given, Object.keys(DEFAULT_CONSENSUS_PARAMS), `policy file ${file}`, "consensus parameter");
  const consensus: Record<string, unknown> = { ...given };
  const unit = consensus.stakeUnitWei;
  if (unit !== undefined) {
    // A JSON number above 2^53 has already lost its exact value; it is taken only when it prints as plain digits.
    const digits = typeof unit === "string" ? unit : typeof unit === "number" && Number.isInteger(unit) ? String(unit) : "";
    if (!/^\d{1,78}$/.test(digits)) throw new InputError(`policy file ${file}: consensus.stakeUnitWei must be a whole number of wei, best written as a decimal string, got ${shown(unit)}`);
    consensus.stakeUnitWei = BigInt(digits);
  }
  return settlementParams({ ...(raw as object), consensus } as Parameters<typeof settlementParams>[0]);
}
