import { loadPolicy } from "../agents/policy";
import type { SettlementParams } from "../rewards/params";

/** The relayer's policy reader (src/agents/policy.ts), so a simulated policy is read exactly as the relayer reads it. */
export function loadPolicyFile(file: string): SettlementParams {
  return loadPolicy(file);
}
