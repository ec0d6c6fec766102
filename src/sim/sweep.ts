import { RULE_NAMES, type RuleName } from "../consensus/rules";
import { ATTACK_NAMES, type AttackName } from "../adversary/attacks";
import { buildScenario, type ScenarioConfig, type SimData } from "./scenario";
import { type RuleMetrics, simulateRules } from "./simulate";

export const SWEEP_RATIOS = [0, 0.1, 0.2, 0.3, 0.4, 0.5] as const;
export const SWEEP_KS = [3, 5, 7, 9, 11] as const;

export type SweepPoint = { ratio: number; k: number; attack: AttackName; rules: Partial<Record<RuleName, RuleMetrics>> };

export type SweepOptions = {
  ratios?: readonly number[];
  ks?: readonly number[];
  attacks?: readonly AttackName[];
  rules?: readonly RuleName[];
  onProgress?: (done: number, total: number, label: string) => void;
};

/**
 * The grid malicious ratio x k x attack x rule on one data set. A ratio of 0 has no attacker, so it is simulated
 * once per k and shared by every attack (the scenario's draws do not depend on the attack).
 */
export function runSweep(data: SimData, base: ScenarioConfig, options: SweepOptions = {}): SweepPoint[] {
  const ratios = options.ratios ?? SWEEP_RATIOS;
  const ks = options.ks ?? SWEEP_KS;
  const attacks = options.attacks ?? ATTACK_NAMES;
  const rules = options.rules ?? RULE_NAMES;
  const total = ratios.length * ks.length * attacks.length;
  const points: SweepPoint[] = [];
  let done = 0;
  for (const k of ks) {
    let clean: SweepPoint["rules"] | null = null;
    for (const ratio of ratios) {
      for (const attack of attacks) {
        let res: SweepPoint["rules"];
        if (ratio === 0 && clean) res = clean;
        else {
          res = simulateRules(data, buildScenario(data, { ...base, k, maliciousRatio: ratio, attack }), rules);
          if (ratio === 0) clean = res;
        }
        points.push({ ratio, k, attack, rules: res });
        done++;
        options.onProgress?.(done, total, `k=${k} ratio=${ratio} ${attack}`);
      }
    }
  }
  return points;
}
