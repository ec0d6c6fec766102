import { DEFAULT_RULE, type RuleName } from "../consensus/rules";
import type { AttackName } from "./attacks";
import { buildScenario, type ScenarioConfig, type SimData } from "./scenario";
import { maeOf, spearmanOf } from "./metrics";
import { type RuleMetrics, simulateRules } from "./simulate";

/** The acceptance points: 30% malicious, k = 7, 50 evaluators, 20 rounds. */
export const ACCEPTANCE_ATTACKS: readonly AttackName[] = ["boosting", "sabotage", "collusion", "intermittent"];
export const PERSISTENT_ATTACKS: readonly AttackName[] = ["boosting", "sabotage", "collusion"];

export type AcceptanceRow = {
  seed: string;
  data: string;
  attack: AttackName;
  maeDefault: number;
  maeNoAttack: number;
  ratio: number;
  maeMean: number;
  /** The mean's MAE without attackers: an attack that lowers it is one the truth's noise rewards. */
  maeMeanNoAttack: number;
  maePublished: number;
  slashPrecision: number | null;
  slashRecallAt10: number | null;
  roundsToSlash: number | null;
  pass: { maeRatio: boolean; beatsMean: boolean; beatsPublished: boolean; slashing: boolean | null };
};

export type KFindingRow = { k: number } & Pick<
  RuleMetrics,
  "evaluatorRewardMean" | "evaluatorRewardVar" | "agreementMean" | "agreementVar" | "trustMean" | "inferenceRewardCv"
>;

/** How good the honest evaluators' shared signal is on its own (before their own offsets and noise). */
export type SignalQuality = { data: string; source: string; mae: number; spearman: number | null };

/** The no-attack run of the default rule: its MAE, and whether anybody (necessarily honest) was slashed. */
export type NoAttackRow = { seed: string; data: string; maeDefault: number; maeMean: number; honestSlashed: boolean };

export type AcceptanceReport = {
  signal: SignalQuality[];
  noAttack: NoAttackRow[];
  rows: AcceptanceRow[];
  kFinding: { seed: string; data: string; rule: string; rows: KFindingRow[]; cvChange: number }[];
};

export function signalQuality(data: SimData): SignalQuality {
  const sp = spearmanOf(data.base, data.truth);
  return { data: data.name, source: data.source, mae: Math.round(maeOf(data.base, data.truth) * 1000) / 1000, spearman: Number.isFinite(sp) ? Math.round(sp * 1000) / 1000 : null };
}

export function runAcceptance(datasets: SimData[], base: ScenarioConfig): AcceptanceReport {
  const cfg: ScenarioConfig = { ...base, rounds: 20, evaluators: 50, k: 7, maliciousRatio: 0.3, attackParams: { ...base.attackParams, boost: 3, p: 0.5 } };
  const rows: AcceptanceRow[] = [];
  const noAttack: NoAttackRow[] = [];
  const kFinding: AcceptanceReport["kFinding"] = [];
  for (const data of datasets) {
    const clean = simulateRules(data, buildScenario(data, { ...cfg, maliciousRatio: 0, attack: "none" }), ["mean", DEFAULT_RULE]);
    const none = clean[DEFAULT_RULE]!;
    noAttack.push({ seed: cfg.seed, data: data.name, maeDefault: none.mae, maeMean: clean.mean!.mae, honestSlashed: none.slashPrecision !== null });
    for (const attack of ACCEPTANCE_ATTACKS) {
      const res = simulateRules(data, buildScenario(data, { ...cfg, attack }), ["mean", "trust-published", DEFAULT_RULE]);
      const d = res[DEFAULT_RULE] as RuleMetrics;
      const persistent = PERSISTENT_ATTACKS.includes(attack);
      rows.push({
        seed: cfg.seed,
        data: data.name,
        attack,
        maeDefault: d.mae,
        maeNoAttack: none.mae,
        ratio: Math.round((d.mae / none.mae) * 1000) / 1000,
        maeMean: res.mean!.mae,
        maeMeanNoAttack: clean.mean!.mae,
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
        return {
          k,
          evaluatorRewardMean: m.evaluatorRewardMean,
          evaluatorRewardVar: m.evaluatorRewardVar,
          agreementMean: m.agreementMean,
          agreementVar: m.agreementVar,
          trustMean: m.trustMean,
          inferenceRewardCv: m.inferenceRewardCv,
        };
      });
      const cvs = kr.map((r) => r.inferenceRewardCv);
      kFinding.push({ seed: cfg.seed, data: data.name, rule, rows: kr, cvChange: Math.round(((Math.max(...cvs) - Math.min(...cvs)) / Math.min(...cvs)) * 1e4) / 1e4 });
    }
  }
  return { signal: datasets.map(signalQuality), noAttack, rows, kFinding };
}

/** The acceptance points for each seed, in one report. */
export function runAcceptanceSeeds(datasets: SimData[], base: ScenarioConfig, seeds: readonly string[]): AcceptanceReport {
  const out: AcceptanceReport = { signal: datasets.map(signalQuality), noAttack: [], rows: [], kFinding: [] };
  for (const seed of seeds) {
    const r = runAcceptance(datasets, { ...base, seed });
    out.rows.push(...r.rows);
    out.noAttack.push(...r.noAttack);
    out.kFinding.push(...r.kFinding);
  }
  return out;
}

/** True when every criterion of the row holds (slashing only for persistent attacks). */
export function rowPasses(x: AcceptanceRow): boolean {
  return x.pass.maeRatio && x.pass.beatsMean && x.pass.beatsPublished && x.pass.slashing !== false;
}

const f3 = (v: number | null): string => (v === null ? "–" : v.toFixed(3));
const ok = (b: boolean | null): string => (b === null ? "n/a" : b ? "yes" : "NO");

export function acceptanceMarkdown(r: AcceptanceReport): string {
  const out: string[] = [];
  for (const q of r.signal) out.push(`Honest signal on ${q.data} (${q.source}): MAE ${q.mae.toFixed(3)}, Spearman ${f3(q.spearman)} against the truth, before each evaluator's own offset and noise.`, "");
  out.push(
    "| seed | data | attack | MAE default | MAE no attack | ratio (<= 1.25) | MAE mean | MAE mean, no attack | MAE published | beats both | slash precision | slash recall @10 | rounds to 90% | slashing ok |",
  );
  out.push("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
  for (const x of r.rows) {
    out.push(
      `| ${x.seed} | ${x.data} | ${x.attack} | ${f3(x.maeDefault)} | ${f3(x.maeNoAttack)} | ${x.ratio.toFixed(3)} ${ok(x.pass.maeRatio)} | ${f3(x.maeMean)} | ${f3(x.maeMeanNoAttack)} | ${f3(x.maePublished)} | ${ok(x.pass.beatsMean && x.pass.beatsPublished)} | ${f3(x.slashPrecision)} | ${f3(x.slashRecallAt10)} | ${x.roundsToSlash ?? "–"} | ${ok(x.pass.slashing)} |`,
    );
  }
  const failing = r.rows.filter((x) => !rowPasses(x)).length;
  out.push("", failing === 0 ? `All ${r.rows.length} acceptance points pass.` : `${failing} of ${r.rows.length} acceptance points fail.`, "");
  out.push("Without attackers (the same draws): MAE of the default and the mean, and whether the default slashed anybody (every evaluator is honest).", "");
  out.push("| seed | data | MAE default | MAE mean | honest evaluators slashed |", "|---|---|---|---|---|");
  for (const x of r.noAttack) out.push(`| ${x.seed} | ${x.data} | ${f3(x.maeDefault)} | ${f3(x.maeMean)} | ${x.honestSlashed ? "YES" : "none"} |`);
  out.push("");
  for (const k of r.kFinding) {
    const trend = (xs: number[], dir: 1 | -1): boolean => xs.every((x, i) => i === 0 || dir * (x - xs[i - 1]) >= 0);
    const span = (xs: number[], digits: number): string => `${xs[0].toFixed(digits)} -> ${xs[xs.length - 1].toFixed(digits)}`;
    const means = k.rows.map((r) => r.evaluatorRewardMean);
    const vars = k.rows.map((r) => r.evaluatorRewardVar);
    const ag = k.rows.map((r) => r.agreementMean);
    const agv = k.rows.map((r) => r.agreementVar);
    out.push(
      `k finding on ${k.data}, seed ${k.seed} (${k.rule}, no attackers): evaluator reward ${trend(means, -1) ? "falls" : "does not fall monotonically"} (${span(means, 3)}), its variance ${trend(vars, 1) ? "rises" : "does not rise monotonically"} (${span(vars, 4)}); agreement alone ${trend(ag, -1) ? "falls" : "does not fall monotonically"} (${span(ag, 3)}), its variance ${trend(agv, 1) ? "rises" : "does not rise monotonically"} (${span(agv, 4)}); inference reward CV changes by ${(k.cvChange * 100).toFixed(1)}% across k`,
      "",
    );
    out.push(
      "| k | evaluator reward mean | evaluator reward variance | agreement mean | agreement variance | trust mean | inference reward CV |",
      "|---|---|---|---|---|---|---|",
    );
    for (const row of k.rows) {
      out.push(
        `| ${row.k} | ${row.evaluatorRewardMean.toFixed(4)} | ${row.evaluatorRewardVar.toFixed(5)} | ${row.agreementMean.toFixed(4)} | ${row.agreementVar.toFixed(5)} | ${row.trustMean.toFixed(4)} | ${row.inferenceRewardCv.toFixed(4)} |`,
      );
    }
    out.push("");
  }
  return out.join("\n");
}
