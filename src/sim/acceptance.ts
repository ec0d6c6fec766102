import { DEFAULT_RULE } from "../consensus/rules";
import { ATTACKS, type AttackName } from "../adversary/attacks";
import type { HonestMode } from "./honestScore";
import { meanAbsoluteError, spearman } from "../math/stats";
import { DEFAULT_SCENARIO, type HonestModel, type ScenarioConfig, type SimData } from "./scenario";
import type { RuleMetrics } from "./simulate";

/** The issue's grid: every attack at 30%, sybil splits, the 50% breaker runs, no-attack runs (shipped policy too). */
export const ATTACKS_30: readonly AttackName[] = [
  "boosting", "sabotage", "collusion", "intermittent", "noise", "camouflage", "pump", "copy-bloc", "sleeper", "pulse", "gold-aware", "lazy", "copycat", "node-copier", "abstain", "camp-shield",
];
/** Attacks whose shift (b = 3) exceeds the honest band on every attacking score: recall >= 0.9 within 10 rounds. */
export const DETECTION_ATTACKS: readonly AttackName[] = ["boosting", "sabotage", "collusion", "pump", "gold-aware", "sleeper", "camp-shield"];
export const ATTACKS_50: readonly AttackName[] = ["boosting", "sabotage", "collusion", "pump", "gold-aware", "copy-bloc", "lazy", "camp-shield"];
export const SYBIL_SHARES: readonly number[] = [0.39, 0.56];
export const SYBIL_ATTACKS: readonly AttackName[] = ["copy-bloc", "boosting"];

/** One honest model of the grid. */
export type HonestSetting = { label: string; model: HonestModel; bias: number; sigmaMin: number; sigmaMax: number };

export type AcceptanceCell = {
  file: string;
  honest: HonestSetting;
  gold: number;
  seed: string;
  mode: HonestMode;
  /** Rounds and tasks per round; the grid uses 20 and the default (0 = the whole file over the rounds). */
  rounds?: number;
  tasksPerRound?: number;
};

export type RunRow = {
  file: string;
  data: string;
  honest: string;
  gold: number;
  seed: string;
  /** "none", an attack at 30%, "50%:<attack>", "sybil<share>:<attack>" or "policy:none". */
  kind: "clean" | "policy" | "attack30" | "attack50" | "sybil";
  attack: AttackName | "none";
  ratio: number;
  sybil: number;
  m: RuleMetrics;
};

export type CellResult = { cell: AcceptanceCell; rows: RunRow[]; ms: number };

export const cfgOf = (cell: AcceptanceCell, over: Partial<ScenarioConfig>): ScenarioConfig => ({
  ...DEFAULT_SCENARIO,
  rounds: cell.rounds ?? 20,
  tasksPerRound: cell.tasksPerRound ?? 0,
  evaluators: 50,
  k: 7,
  seed: cell.seed,
  goldFraction: cell.gold,
  honestModel: cell.honest.model,
  honestBias: cell.honest.bias,
  honestSigmaMin: cell.honest.sigmaMin,
  honestSigmaMax: cell.honest.sigmaMax,
  ...over,
});

export type KFindingRow = { k: number } & Pick<RuleMetrics, "evaluatorRewardMean" | "evaluatorRewardVar" | "trustMean" | "inferenceRewardCv">;
export type KFinding = { data: string; seed: string; rows: KFindingRow[]; cvChange: number };

export type SignalQuality = { data: string; source: string; mae: number; spearman: number | null };

export type AcceptanceReport = {
  seeds: string[];
  files: string[];
  honest: HonestSetting[];
  sensitivity: number | null;
  signal: SignalQuality[];
  cells: { data: string; honest: string; gold: number; seed: string; ms: number }[];
  rows: RunRow[];
  kFinding: KFinding[];
  wallSeconds?: number;
};

export function signalQuality(data: SimData): SignalQuality {
  const sp = spearman(data.base, data.truth);
  return { data: data.name, source: data.source, mae: Math.round(meanAbsoluteError(data.base, data.truth) * 1000) / 1000, spearman: Number.isFinite(sp) ? Math.round(sp * 1000) / 1000 : null };
}

export function honestSettings(sensitivity: number | null): HonestSetting[] {
  if (sensitivity !== null) return [{ label: `independent +-${sensitivity}`, model: "independent", bias: sensitivity, sigmaMin: 0.3, sigmaMax: 1.5 }];
  return [
    { label: "independent +-1.0", model: "independent", bias: 1.0, sigmaMin: 0.3, sigmaMax: 1.5 },
    { label: "shared scorer", model: "shared", bias: 0, sigmaMin: 0, sigmaMax: 0 },
  ];
}

// ---------------------------------------------------------------------------------------------------------------
// Checks and the report.

export type Check = { target: string; pass: boolean; value: string; where: string };

const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
const where = (r: RunRow): string => `${r.data} ${r.honest} gold ${r.gold} seed ${r.seed}${r.sybil ? ` sybil ${r.sybil}` : ""} ${r.kind === "attack50" ? "50%" : r.ratio ? "30%" : ""} ${r.attack}`.replace(/\s+/g, " ").trim();

/** Every check of the issue's "What to show", one per run and target. */
export function checksOf(report: AcceptanceReport): Check[] {
  const out: Check[] = [];
  const key = (r: RunRow): string => `${r.file}|${r.honest}|${r.gold}|${r.seed}`;
  const clean = new Map<string, RunRow>();
  for (const r of report.rows) if (r.kind === "clean") clean.set(key(r), r);
  const whole = new Map<string, RunRow>();
  for (const r of report.rows) if (r.kind === "attack30") whole.set(`${key(r)}|${r.attack}`, r);
  for (const r of report.rows) {
    out.push({ target: "no honest evaluator slashed", pass: r.m.honestSlashed === 0, value: String(r.m.honestSlashed), where: where(r) + (r.kind === "policy" ? " (local policy)" : "") });
    if (r.kind === "attack50") out.push({ target: "50%: breaker holds", pass: r.m.honestSlashed === 0, value: `${r.m.breakerRounds} rounds frozen`, where: where(r) });
    if (r.kind !== "attack30" && r.kind !== "sybil") continue;
    const c = clean.get(key(r))!;
    const ratio = r.m.mae / c.m.mae;
    out.push({ target: "MAE <= 1.10 x attack-free", pass: ratio <= 1.1, value: ratio.toFixed(3), where: where(r) });
    out.push({
      target: "MAE <= mean's and median's",
      pass: r.m.mae <= r.m.maeMeanSameReports && r.m.mae <= r.m.maeMedianSameReports,
      value: `${r.m.mae.toFixed(3)} vs ${r.m.maeMeanSameReports.toFixed(3)} / ${r.m.maeMedianSameReports.toFixed(3)}`,
      where: where(r),
    });
    out.push({ target: "pool share <= fair + 2 points", pass: r.m.maliciousPoolShare <= r.m.fairShare + 0.02, value: `${pct(r.m.maliciousPoolShare)} vs ${pct(r.m.fairShare)}`, where: where(r) });
    if (r.kind === "sybil") {
      const w = whole.get(`${key(r)}|${r.attack}`);
      if (w) out.push({ target: "sybil split gains <= 2 points", pass: r.m.maliciousPoolShare - w.m.maliciousPoolShare <= 0.02, value: `${pct(r.m.maliciousPoolShare)} vs ${pct(w.m.maliciousPoolShare)} whole`, where: where(r) });
    }
    if (r.kind === "attack30" && ATTACKS[r.attack].uninformative) {
      out.push({ target: "uninformative earn <= 25% of fair share", pass: r.m.maliciousPoolShare <= 0.25 * r.m.fairShare, value: `${pct(r.m.maliciousPoolShare)} (${((r.m.maliciousPoolShare / r.m.fairShare) * 100).toFixed(0)}% of fair)`, where: where(r) });
    }
    if (r.kind === "attack30" && DETECTION_ATTACKS.includes(r.attack as AttackName)) {
      out.push({ target: "detection recall >= 0.9 within 10 rounds", pass: (r.m.slashRecallAt10 ?? 0) >= 0.9, value: (r.m.slashRecallAt10 ?? 0).toFixed(2), where: where(r) });
    }
  }
  return out;
}

const f3 = (v: number | null): string => (v === null ? "–" : v.toFixed(3));

export function acceptanceMarkdown(r: AcceptanceReport): string {
  const checks = checksOf(r);
  const out: string[] = [];
  out.push(`# Acceptance grid${r.sensitivity !== null ? ` (sensitivity: honest offsets up to +-${r.sensitivity})` : ""}`, "");
  out.push(`Files: ${r.files.map((f) => f.slice(f.lastIndexOf("/") + 1)).join(", ")}; seeds ${r.seeds.join(", ")}; 50 evaluators, 20 rounds, k = 7; gold 0 and 5%; honest: ${r.honest.map((h) => h.label).join("; ")}.`);
  out.push(`Rule \`${DEFAULT_RULE}\` through buildSettlement; baselines = plain mean and median of the same reports. ${r.cells.length} cells, ${r.rows.length} runs${r.wallSeconds !== undefined ? `, wall time ${r.wallSeconds} s` : ""}.`, "");
  out.push("Honest signal quality (before each evaluator's own offset and noise):", "");
  for (const s of r.signal) out.push(`- ${s.data}: ${s.source}, MAE ${s.mae}, Spearman ${s.spearman}`);
  out.push("", "## Targets", "", "| target | checks | misses | worst |", "|---|---|---|---|");
  const targets = [...new Set(checks.map((c) => c.target))];
  for (const t of targets) {
    const cs = checks.filter((c) => c.target === t);
    const miss = cs.filter((c) => !c.pass);
    out.push(`| ${t} | ${cs.length} | ${miss.length} | ${miss.length ? `${miss[0].value} (${miss[0].where})` : "–"} |`);
  }
  const misses = checks.filter((c) => !c.pass);
  out.push("", misses.length ? `## Misses (${misses.length})` : "## Misses: none", "");
  if (misses.length) {
    out.push("| target | value | run |", "|---|---|---|");
    for (const m of misses) out.push(`| ${m.target} | ${m.value} | ${m.where} |`);
    out.push("");
  }
  out.push("## Runs at 30% (means over seeds)", "");
  out.push("| data | honest | gold | attack | MAE | MAE clean | MAE mean | MAE median | pool share | fair | recall@10 | honest slashed | malicious slashed | breaker rounds |");
  out.push("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
  const groups = new Map<string, RunRow[]>();
  for (const row of r.rows) {
    const g = `${row.data}|${row.honest}|${row.gold}|${row.kind}|${row.attack}|${row.sybil}`;
    const l = groups.get(g);
    if (l) l.push(row);
    else groups.set(g, [row]);
  }
  const avg = (rows: RunRow[], f: (x: RunRow) => number | null): number | null => {
    const xs = rows.map(f).filter((x): x is number => x !== null);
    return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null;
  };
  const cleanOf = new Map<string, number>();
  for (const row of r.rows) if (row.kind === "clean") cleanOf.set(`${row.data}|${row.honest}|${row.gold}|${row.seed}`, row.m.mae);
  for (const [, rows] of groups) {
    const x = rows[0];
    const label = x.kind === "attack50" ? `50% ${x.attack}` : x.kind === "sybil" ? `sybil ${x.sybil} ${x.attack}` : x.kind === "policy" ? "none (local policy)" : x.attack;
    const sum = (f: (row: RunRow) => number): number => rows.reduce((s, row) => s + f(row), 0);
    out.push(
      `| ${x.data} | ${x.honest} | ${x.gold} | ${label} | ${f3(avg(rows, (y) => y.m.mae))} | ${f3(avg(rows, (y) => cleanOf.get(`${y.data}|${y.honest}|${y.gold}|${y.seed}`) ?? null))} | ${f3(avg(rows, (y) => y.m.maeMeanSameReports))} | ${f3(avg(rows, (y) => y.m.maeMedianSameReports))} | ${f3(avg(rows, (y) => y.m.maliciousPoolShare))} | ${f3(avg(rows, (y) => y.m.fairShare))} | ${f3(avg(rows, (y) => y.m.slashRecallAt10))} | ${sum((y) => y.m.honestSlashed)} | ${sum((y) => y.m.maliciousSlashed)} | ${sum((y) => y.m.breakerRounds)} |`,
    );
  }
  out.push("");
  for (const k of r.kFinding) {
    const means = k.rows.map((x) => x.evaluatorRewardMean);
    const vars = k.rows.map((x) => x.evaluatorRewardVar);
    const falls = means.every((x, i) => i === 0 || x <= means[i - 1]);
    out.push(
      `k finding on ${k.data}, seed ${k.seed}: per-evaluation reward ${falls ? "falls" : "does not fall monotonically"} (${means.map((x) => x.toFixed(3)).join(", ")}), its variance ${vars.map((x) => x.toFixed(4)).join(", ")}; inference reward CV changes by ${(k.cvChange * 100).toFixed(1)}% across k = 3..11`,
      "",
    );
  }
  return out.join("\n");
}
