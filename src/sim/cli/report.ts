import fs from "node:fs";
import path from "node:path";
import { DEFAULT_RULE, type RuleName } from "../../consensus/rules";
import { ATTACKS, type AttackName } from "../../adversary/attacks";
import type { SweepPoint } from "../sweep";
import { type LineChart, renderLineChart, svgToPng } from "../svgPlot";

export type ReportContext = {
  title: string;
  command: string;
  settings: Record<string, string | number>;
  points: SweepPoint[];
};

const f3 = (v: number | null | undefined): string => (v === null || v === undefined || !Number.isFinite(v) ? "–" : v.toFixed(3));
const pct = (v: number | null | undefined): string => (v === null || v === undefined ? "–" : `${Math.round(v * 100)}%`);

function uniq<T>(xs: T[]): T[] {
  return [...new Set(xs)];
}

/** Writes a chart as SVG and, when possible, PNG; returns the markdown image line. */
function writeChart(dir: string, name: string, chart: LineChart): string {
  const svg = renderLineChart(chart);
  fs.writeFileSync(path.join(dir, `${name}.svg`), svg);
  const png = svgToPng(svg);
  if (png) fs.writeFileSync(path.join(dir, `${name}.png`), png);
  return `![${chart.title}](${name}.${png ? "png" : "svg"}) ([SVG](${name}.svg))`;
}

function table(header: string[], rows: string[][]): string {
  return [`| ${header.join(" | ")} |`, `|${header.map(() => "---").join("|")}|`, ...rows.map((r) => `| ${r.join(" | ")} |`)].join("\n");
}

/** Builds the markdown report and its plots from sweep points, into `dir` (created). Returns the markdown. */
export function writeSweepReport(dir: string, ctx: ReportContext): string {
  fs.mkdirSync(dir, { recursive: true });
  const { points } = ctx;
  const ratios = uniq(points.map((p) => p.ratio)).sort((a, b) => a - b);
  const ks = uniq(points.map((p) => p.k)).sort((a, b) => a - b);
  const attacks = uniq(points.map((p) => p.attack));
  const rules = uniq(points.flatMap((p) => Object.keys(p.rules) as RuleName[]));
  const kRef = ks.includes(7) ? 7 : ks[Math.floor(ks.length / 2)];
  const at = (ratio: number, k: number, attack: AttackName) => points.find((p) => p.ratio === ratio && p.k === k && p.attack === attack);
  const out: string[] = [];
  out.push(`# ${ctx.title}`, "");
  out.push("Reproduce with:", "", "```", ctx.command, "```", "");
  out.push(table(["setting", "value"], Object.entries(ctx.settings).map(([k, v]) => [k, String(v)])), "");
  out.push(`Default rule: \`${DEFAULT_RULE}\`. MAE and Spearman compare the consensus with the ground truth (human label on 0..10) over the`);
  out.push("ordinary (non-gold) tasks of all rounds. Slashing counts evaluators slashed for low trust at least once.", "");

  out.push(`## MAE against the malicious ratio (k = ${kRef})`, "");
  for (const attack of attacks) {
    out.push(`### ${attack}: ${ATTACKS[attack].description}`, "");
    const rows = ratios.map((r) => [r.toFixed(1), ...rules.map((rule) => f3(at(r, kRef, attack)?.rules[rule]?.mae))]);
    out.push(table(["malicious", ...rules], rows), "");
    out.push(
      writeChart(dir, `mae-${attack}`, {
        title: `MAE vs malicious ratio: ${attack} (k = ${kRef})`,
        xLabel: "malicious ratio",
        yLabel: "MAE (0..10 scale)",
        xTicks: ratios,
        series: rules.map((rule) => ({ name: rule, points: ratios.map((r) => [r, at(r, kRef, attack)?.rules[rule]?.mae ?? Number.NaN]) })),
      }),
      "",
    );
  }

  out.push(`## Slashing by the default rule (k = ${kRef})`, "");
  out.push("precision / recall over the run, and the first round by which 90% of the attackers were slashed.", "");
  const slashRows = attacks.map((attack) => [
    attack,
    ...ratios.filter((r) => r > 0).map((r) => {
      const m = at(r, kRef, attack)?.rules[DEFAULT_RULE];
      return m ? `${pct(m.slashPrecision)} / ${pct(m.slashRecall)} / ${m.roundsToSlash ?? "–"}` : "–";
    }),
  ]);
  out.push(table(["attack", ...ratios.filter((r) => r > 0).map((r) => `${r.toFixed(1)}`)], slashRows), "");

  for (const ratio of uniq([0, 0.3].filter((r) => ratios.includes(r)))) {
    const attack: AttackName = ratio === 0 ? attacks[0] : attacks.includes("boosting") ? "boosting" : attacks[0];
    const label = ratio === 0 ? "no attackers" : `${ratio * 100}% ${attack}`;
    out.push(`## Rewards against k (${label})`, "");
    out.push("Evaluator reward: the per-evaluation payoff trust x agreement in [0, 1], mean and variance over all evaluations.");
    out.push("Inference reward CV: coefficient of variation of the per-task cost-aware reward max(0, alpha q - beta c).", "");
    const rows = ks.map((k) => [String(k), ...rules.flatMap((rule) => {
      const m = at(ratio, k, attack)?.rules[rule];
      return [f3(m?.evaluatorRewardMean), m ? m.evaluatorRewardVar.toFixed(4) : "–", f3(m?.inferenceRewardCv)];
    })]);
    out.push(table(["k", ...rules.flatMap((r) => [`${r} mean`, `${r} var`, `${r} inf. CV`])], rows), "");
    const suffix = ratio === 0 ? "clean" : `${Math.round(ratio * 100)}`;
    const charts = [
      { name: "reward-var-vs-k", title: "Evaluator reward variance", yLabel: "variance of per-evaluation payoff", metric: "evaluatorRewardVar" },
      { name: "reward-mean-vs-k", title: "Evaluator reward mean", yLabel: "mean per-evaluation payoff", metric: "evaluatorRewardMean" },
      { name: "inference-cv-vs-k", title: "Inference reward CV", yLabel: "CV of per-task inference reward", metric: "inferenceRewardCv" },
    ] as const;
    for (const c of charts) {
      out.push(
        writeChart(dir, `${c.name}-${suffix}`, {
          title: `${c.title} vs k (${label})`,
          xLabel: "k (evaluators per task)",
          yLabel: c.yLabel,
          xTicks: ks,
          series: rules.map((rule) => ({ name: rule, points: ks.map((k) => [k, at(ratio, k, attack)?.rules[rule]?.[c.metric] ?? Number.NaN]) })),
        }),
        "",
      );
    }
  }
  const md = `${out.join("\n")}\n`;
  fs.writeFileSync(path.join(dir, "report.md"), md);
  fs.writeFileSync(path.join(dir, "results.json"), `${JSON.stringify({ settings: ctx.settings, points }, null, 1)}\n`);
  return md;
}

/**
 * Plots of an acceptance report into `dir`: per data file, the MAE of the default rule, the plain mean and the plain
 * median at 30% for each attack (x = the attack's position in `attacks`), with the default's attack-free MAE; the
 * coalition's pool share per attack against its fair share; and the k-finding. Means over the grid's seeds, gold
 * settings and honest models. Returns the markdown image lines.
 */
export function writeAcceptancePlots(
  dir: string,
  rows: { data: string; kind: string; attack: string; m: { mae: number; maeMeanSameReports: number; maeMedianSameReports: number; maliciousPoolShare: number; fairShare: number } }[],
  attacks: readonly string[],
  kFinding: { data: string; rows: { k: number; evaluatorRewardMean: number; evaluatorRewardVar: number; inferenceRewardCv: number }[] }[],
): string[] {
  fs.mkdirSync(dir, { recursive: true });
  const lines: string[] = [`Attacks by number: ${attacks.map((a, i) => `${i + 1} ${a}`).join(", ")}.`];
  const mean = (xs: number[]): number => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : Number.NaN);
  const xs = attacks.map((_, i) => i + 1);
  for (const data of uniq(rows.map((r) => r.data))) {
    const of = (attack: string) => rows.filter((r) => r.data === data && r.kind === "attack30" && r.attack === attack);
    const clean = mean(rows.filter((r) => r.data === data && r.kind === "clean").map((r) => r.m.mae));
    lines.push(
      writeChart(dir, `${data}-mae-by-attack`, {
        title: `${data}: MAE at 30% by attack (numbered as listed)`,
        xLabel: "attack",
        yLabel: "MAE (0..10 scale)",
        xTicks: xs,
        series: [
          { name: "robust-trust", points: attacks.map((a, i) => [i + 1, mean(of(a).map((r) => r.m.mae))]) },
          { name: "mean", points: attacks.map((a, i) => [i + 1, mean(of(a).map((r) => r.m.maeMeanSameReports))]) },
          { name: "median", points: attacks.map((a, i) => [i + 1, mean(of(a).map((r) => r.m.maeMedianSameReports))]) },
          { name: "robust-trust, no attack x 1.10", points: attacks.map((_, i) => [i + 1, clean * 1.1]), dashed: true },
        ],
      }),
      writeChart(dir, `${data}-pool-share-by-attack`, {
        title: `${data}: coalition pool share at 30% by attack`,
        xLabel: "attack",
        yLabel: "share of the evaluator pool",
        xTicks: xs,
        series: [
          { name: "coalition pool share", points: attacks.map((a, i) => [i + 1, mean(of(a).map((r) => r.m.maliciousPoolShare))]) },
          { name: "fair share + 2 points", points: attacks.map((_, i) => [i + 1, 0.32]), dashed: true },
          { name: "25% of fair share", points: attacks.map((_, i) => [i + 1, 0.075]), dashed: true },
        ],
      }),
    );
    const kr = kFinding.filter((k) => k.data === data);
    if (kr.length) {
      const ks = kr[0].rows.map((r) => r.k);
      const at = (k: number, f: (r: (typeof kr)[0]["rows"][0]) => number) => mean(kr.map((x) => f(x.rows.find((r) => r.k === k)!)));
      lines.push(
        writeChart(dir, `${data}-k-finding`, {
          title: `${data}: evaluator reward vs k, no attackers`,
          xLabel: "k (draws per task)",
          yLabel: "share of the per-task budget",
          xTicks: ks,
          series: [
            { name: "reward mean", points: ks.map((k) => [k, at(k, (r) => r.evaluatorRewardMean)]) },
            { name: "reward variance x 100", points: ks.map((k) => [k, 100 * at(k, (r) => r.evaluatorRewardVar)]) },
            { name: "inference reward CV", points: ks.map((k) => [k, at(k, (r) => r.inferenceRewardCv)]) },
          ],
        }),
      );
    }
  }
  return lines;
}
