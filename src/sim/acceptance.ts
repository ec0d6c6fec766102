import { DEFAULT_RULE, type RuleName } from "../consensus/rules";
import type { AttackName } from "./attacks";
import { buildScenario, type ScenarioConfig, type SimData } from "./scenario";
import { type RuleMetrics, simulateRules } from "./simulate";

/** The acceptance points: 30% malicious, k = 7, 50 evaluators, 20 rounds. */
export const ACCEPTANCE_ATTACKS: readonly AttackName[] = ["boosting", "sabotage", "collusion", "intermittent"];
export const PERSISTENT_ATTACKS: readonly AttackName[] = ["boosting", "sabotage", "collusion"];

export type AcceptanceRow = {
  data: string;
  attack: AttackName;
  maeDefault: number;
  maeNoAttack: number;
  ratio: number;
  maeMean: number;
  maePublished: number;
  slashPrecision: number | null;
  slashRecallAt10: number | null;
  roundsToSlash: number | null;
  pass: { maeRatio: boolean; beatsMean: boolean; beatsPublished: boolean; slashing: boolean | null };
};

export type KFindingRow = { k: number; evaluatorRewardMean: number; evaluatorRewardVar: number; inferenceRewardCv: number };

export type AcceptanceReport = { rows: AcceptanceRow[]; kFinding: { data: string; rule: string; rows: KFindingRow[]; cvChange: number }[] };

export function runAcceptance(datasets: SimData[], base: ScenarioConfig): AcceptanceReport {
  const cfg: ScenarioConfig = { ...base, rounds: 20, evaluators: 50, k: 7, maliciousRatio: 0.3, attackParams: { ...base.attackParams, boost: 3, p: 0.5 } };
  const rows: AcceptanceRow[] = [];
  const kFinding: AcceptanceReport["kFinding"] = [];
  for (const data of datasets) {
    const none = simulateRules(data, buildScenario(data, { ...cfg, maliciousRatio: 0, attack: "none" }), [DEFAULT_RULE])[DEFAULT_RULE]!;
    for (const attack of ACCEPTANCE_ATTACKS) {
      const res = simulateRules(data, buildScenario(data, { ...cfg, attack }), ["mean", "trust-published", DEFAULT_RULE]);
      const d = res[DEFAULT_RULE] as RuleMetrics;
      const persistent = PERSISTENT_ATTACKS.includes(attack);
      rows.push({
        data: data.name,
        attack,
        maeDefault: d.mae,
        maeNoAttack: none.mae,
        ratio: Math.round((d.mae / none.mae) * 1000) / 1000,
        maeMean: res.mean!.mae,
        maePublished: res["trust-published"]!.mae,
        slashPrecision: d.slashPrecision,
        slashRecallAt10: d.slashRecallAt10,
        roundsToSlash: d.roundsToSlash,
        pass: {
          maeRatio: d.mae <= 1.25 * none.mae,
          beatsMean: d.mae < res.mean!.mae,
          beatsPublished: d.mae < res["trust-published"]!.mae,
          slashing: persistent ? (d.slashRecallAt10 ?? 0) >= 0.9 && (d.slashPrecision ?? 0) >= 0.95 : null,
        },
      });
    }
    const ks = [3, 5, 7, 9, 11];
    const kRules: RuleName[] = ["mean", "trust-published", DEFAULT_RULE];
    const byK = ks.map((k) => simulateRules(data, buildScenario(data, { ...cfg, k, maliciousRatio: 0, attack: "none" }), kRules));
    for (const rule of kRules) {
      const kr: KFindingRow[] = ks.map((k, i) => {
        const m = byK[i][rule]!;
        return { k, evaluatorRewardMean: m.evaluatorRewardMean, evaluatorRewardVar: m.evaluatorRewardVar, inferenceRewardCv: m.inferenceRewardCv };
      });
      const cvs = kr.map((r) => r.inferenceRewardCv);
      kFinding.push({ data: data.name, rule, rows: kr, cvChange: Math.round(((Math.max(...cvs) - Math.min(...cvs)) / Math.min(...cvs)) * 1e4) / 1e4 });
    }
  }
  return { rows, kFinding };
}

const f3 = (v: number | null): string => (v === null ? "–" : v.toFixed(3));
const ok = (b: boolean | null): string => (b === null ? "n/a" : b ? "yes" : "NO");

export function acceptanceMarkdown(r: AcceptanceReport): string {
  const out: string[] = [];
  out.push("| data | attack | MAE default | MAE no attack | ratio (<= 1.25) | MAE mean | MAE published | beats both | slash precision | slash recall @10 | rounds to 90% | slashing ok |");
  out.push("|---|---|---|---|---|---|---|---|---|---|---|---|");
  for (const x of r.rows) {
    out.push(
      `| ${x.data} | ${x.attack} | ${f3(x.maeDefault)} | ${f3(x.maeNoAttack)} | ${x.ratio.toFixed(3)} ${ok(x.pass.maeRatio)} | ${f3(x.maeMean)} | ${f3(x.maePublished)} | ${ok(x.pass.beatsMean && x.pass.beatsPublished)} | ${f3(x.slashPrecision)} | ${f3(x.slashRecallAt10)} | ${x.roundsToSlash ?? "–"} | ${ok(x.pass.slashing)} |`,
    );
  }
  out.push("");
  for (const k of r.kFinding) {
    const means = k.rows.map((r) => r.evaluatorRewardMean);
    const vars = k.rows.map((r) => r.evaluatorRewardVar);
    const falls = means.every((m, i) => i === 0 || m <= means[i - 1]);
    const rises = vars.every((v, i) => i === 0 || v >= vars[i - 1]);
    out.push(
      `k finding on ${k.data} (${k.rule}, no attackers): evaluator reward ${falls ? "falls" : "does not fall monotonically"} (${means[0].toFixed(3)} -> ${means[means.length - 1].toFixed(3)}), its variance ${rises ? "rises" : "does not rise monotonically"} (${vars[0].toFixed(4)} -> ${vars[vars.length - 1].toFixed(4)}), inference reward CV changes by ${(k.cvChange * 100).toFixed(1)}% across k`,
      "",
    );
    out.push("| k | evaluator reward mean | evaluator reward variance | inference reward CV |", "|---|---|---|---|");
    for (const row of k.rows) out.push(`| ${row.k} | ${row.evaluatorRewardMean.toFixed(4)} | ${row.evaluatorRewardVar.toFixed(5)} | ${row.inferenceRewardCv.toFixed(4)} |`);
    out.push("");
  }
  return out.join("\n");
}
