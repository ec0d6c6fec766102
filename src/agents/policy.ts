import fs from "node:fs";
import { z } from "zod";
import { DEFAULT_CONSENSUS_PARAMS } from "../consensus/params";
import { RULE_NAMES } from "../consensus/rules";
import { InputError } from "../errors";
import { DEFAULT_SETTLEMENT_PARAMS, settlementParams, type SettlementParams } from "../rewards/params";
import { oneOf, optional, parseInput, strict, uint } from "../schema";

/** A parameter's schema from the kind of its default: integers, the rule's name, a bigint amount of wei. */
function parameter(name: string, value: unknown): z.ZodType {
  if (name === "rule") return oneOf(RULE_NAMES as [string, ...string[]], "rule");
  if (typeof value === "bigint") return uint("a whole number of wei, best written as a decimal string");
  return z.number({ error: "must be an integer" }).int({ error: "must be an integer" });
}

const shapeOf = (defaults: object) => Object.fromEntries(Object.entries(defaults).map(([k, v]) => [k, parameter(k, v).optional()]));

/**
 * A relayer policy file: overrides of the default settlement parameters, consensus ones under `consensus`. The
 * schema fixes the names and kinds; the ranges are the settlement parameters' own (`settlementParams`).
 */
export const policySchema = strict(
  {
    ...shapeOf(Object.fromEntries(Object.entries(DEFAULT_SETTLEMENT_PARAMS).filter(([k]) => k !== "consensus"))),
    consensus: optional(strict(shapeOf(DEFAULT_CONSENSUS_PARAMS), "consensus parameter")),
  },
  "parameter",
);

/** Loads a relayer policy (no file: the defaults). Every problem names the file and the parameter. */
export function loadPolicy(file?: string): SettlementParams {
  if (!file) return settlementParams();
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(code === "ENOENT" ? `policy file ${file} not found` : `malformed policy file ${file}: ${(e as Error).message}`);
  }
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) throw new InputError(`policy file ${file} must hold a JSON object`);
  const overrides = parseInput(policySchema, raw, `policy file ${file}:`);
  return settlementParams(overrides as Parameters<typeof settlementParams>[0]);
}
