import fs from "node:fs";
import { InputError } from "../errors";
import { settlementParams, type SettlementParams } from "../rewards/params";

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
  const consensus = { ...((raw.consensus as Record<string, unknown>) ?? {}) };
  if (consensus.stakeUnitWei !== undefined) consensus.stakeUnitWei = BigInt(String(consensus.stakeUnitWei));
  return settlementParams({ ...(raw as object), consensus } as Parameters<typeof settlementParams>[0]);
}
