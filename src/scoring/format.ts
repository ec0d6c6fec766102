import type { TaskAuditResult } from "./audit";
import { ALL_DIMENSIONS } from "./dimensions";

/** Rounds to 4 decimals; NaN and infinities become null (JSON has no NaN). */
function r4(v: number | undefined): number | null {
  return v === undefined || !Number.isFinite(v) ? null : Math.round(v * 1e4) / 1e4;
}

/** The `--json` object of one task, with exactly the documented keys (and `cascade` when asked for). */
export function auditJson(r: TaskAuditResult, options: { cascade?: boolean } = {}): Record<string, unknown> {
  const dimensions: Record<string, number | null> = {};
  for (const d of ALL_DIMENSIONS) if (d in r.dimensions) dimensions[d] = r4(r.dimensions[d]);
  return {
    task: r.task,
    metric: r.metric,
    n: r.n,
    dimensions,
    composite: { default: r4(r.composite.default), calibrated: r4(r.composite.calibrated) },
    bestSingle: { name: r.bestSingle.name, value: r4(r.bestSingle.value) },
    consensus: r4(r.consensus),
    ...(options.cascade && r.cascade
      ? {
          cascade: {
            stages: r.cascade.stages.map((s) => ({ name: s.name, value: r4(s.value), costPerOutput: s.costPerOutput, reached: s.reached })),
            all: { value: r4(r.cascade.all.value), costPerOutput: r.cascade.all.costPerOutput },
            cascade: { value: r4(r.cascade.cascade.value), costPerOutput: r.cascade.cascade.costPerOutput, costShare: r4(r.cascade.cascade.costShare) },
          },
        }
      : {}),
  };
}

/** `--json` output: one object for one task, an array for several. */
export function renderJson(results: readonly TaskAuditResult[], options: { cascade?: boolean } = {}): string {
  const objs = results.map((r) => auditJson(r, options));
  return `${JSON.stringify(objs.length === 1 ? objs[0] : objs)}\n`;
}

function fmt(v: number | undefined, digits = 4): string {
  return v === undefined || !Number.isFinite(v) ? "n/a" : v.toFixed(digits);
}

export type TableOptions = { useReferences: boolean; source: string };

/** Human-readable audit tables, one per task. */
export function renderTable(results: readonly TaskAuditResult[], options: TableOptions): string {
  const lines: string[] = [];
  for (const r of results) {
    const metric = r.metric === "auroc" ? "AUROC" : "Spearman";
    const cv = r.detail.folds > 0;
    const how = cv ? `${r.detail.folds}-fold cross-validation by queryId, mean over folds` : options.source;
    lines.push(`${r.task}: ${r.n} outputs, ${metric}, ${how}, references ${options.useReferences ? "used" : "ignored"}`);
    const methods = Object.entries(r.detail.methods)
      .map(([m, c]) => (cv ? `${m} (${c}/${r.detail.calibrations})` : m))
      .join(", ");
    lines.push(`calibrated weights: ${methods}`);
    lines.push("");
    const head = `  ${"signal".padEnd(26)}${metric.padStart(9)}${cv ? "±sd".padStart(8) : ""}${"kept".padStart(7)}${"weight".padStart(9)}`;
    lines.push(head, `  ${"-".repeat(head.length - 2)}`);
    const sd = (key: string) => (cv ? fmt(r.detail.sd?.[key], 3).padStart(8) : "");
    for (const d of ALL_DIMENSIONS) {
      if (!(d in r.dimensions)) continue;
      const kept = `${r.detail.kept[d] ?? 0}/${r.detail.calibrations}`;
      const w = r.detail.weights[d];
      lines.push(`  ${d.padEnd(26)}${fmt(r.dimensions[d]).padStart(9)}${sd(d)}${kept.padStart(7)}${(w ? w.toFixed(3) : "-").padStart(9)}`);
    }
    lines.push(`  ${"composite (default)".padEnd(26)}${fmt(r.composite.default).padStart(9)}${sd("composite.default")}`);
    lines.push(`  ${"composite (calibrated)".padEnd(26)}${fmt(r.composite.calibrated).padStart(9)}${sd("composite.calibrated")}`);
    lines.push(`  ${`best single (${r.bestSingle.name})`.padEnd(26)}${fmt(r.bestSingle.value).padStart(9)}${sd(r.bestSingle.name)}`);
    lines.push(`  ${"consensus (mean of dims)".padEnd(26)}${fmt(r.consensus).padStart(9)}${sd("consensus")}`);
    const gainBest = r.composite.calibrated - r.bestSingle.value;
    const gainDef = r.composite.calibrated - r.composite.default;
    lines.push("");
    lines.push(`  calibrated - best single: ${gainBest >= 0 ? "+" : ""}${fmt(gainBest)}; calibrated - default: ${gainDef >= 0 ? "+" : ""}${fmt(gainDef)}`);
    lines.push("");
  }
  return lines.join("\n");
}

/** The cascade's table: each stage's accuracy alone and cumulative cost, all stages, the cascade. */
export function renderCascade(results: readonly TaskAuditResult[], micros: Record<string, number>): string {
  const lines: string[] = [];
  for (const r of results) {
    const c = r.cascade;
    if (!c) continue;
    const usd = (v: number) => `${(v * 1e6).toFixed(4)} USD/1M`;
    lines.push(`${r.task}: cascade (costs: CPU time per output as measured, LLM judge as configured)`);
    lines.push(`  ${"stage".padEnd(20)}${"alone".padStart(9)}${"CPU us".padStart(10)}${"reached".padStart(9)}${"cost so far".padStart(20)}`);
    for (const s of c.stages) {
      lines.push(`  ${s.name.padEnd(20)}${fmt(s.value).padStart(9)}${fmt(micros[s.name], 1).padStart(10)}${String(s.reached).padStart(9)}${usd(s.costPerOutput).padStart(20)}`);
    }
    lines.push(`  all stages: ${fmt(c.all.value)} at ${usd(c.all.costPerOutput)}; cascade: ${fmt(c.cascade.value)} at ${usd(c.cascade.costPerOutput)} (${fmt(100 * c.cascade.costShare, 1)}% of the cost)`);
    lines.push("");
  }
  return lines.join("\n");
}
