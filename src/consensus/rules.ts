import { InputError, shown } from "../errors";
import { meanRule, medianRule, trimmedRule } from "./statelessRules";
import { robustTrustRule } from "./robustTrust";
import type { ConsensusRule } from "./rule";
import { trustPublishedRule } from "./trustPublished";

/** Every aggregation rule by name. The published rules are baselines; DEFAULT_RULE is what settlements use. */
export const RULES = {
  mean: meanRule,
  median: medianRule,
  trimmed: trimmedRule,
  "trust-published": trustPublishedRule,
  "robust-trust": robustTrustRule,
} as const satisfies Record<string, ConsensusRule>;

export type RuleName = keyof typeof RULES;
export const RULE_NAMES = Object.keys(RULES) as RuleName[];
export const DEFAULT_RULE: RuleName = "robust-trust";

/** Looks a rule up by name; an unknown name is an InputError that lists the known ones. */
export function getRule(name: string): ConsensusRule {
  if (typeof name !== "string" || !Object.prototype.hasOwnProperty.call(RULES, name)) {
    throw new InputError(`unknown rule ${shown(name)}`, { details: `known rules: ${RULE_NAMES.join(", ")}` });
  }
  return RULES[name as RuleName];
}
