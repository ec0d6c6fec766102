/**
 * Regenerates the audit tables of docs/quality.md:
 *
 *   npx tsx src/scoring/cli/report.ts --data-dir ../shared/data [--folds 5] [--write docs/quality.md]
 *
 * Runs the k-fold cross-validated audit (split by queryId) of every logged-output file of the directory that the
 * report knows, with and without references, and prints Markdown. With --write, the text between the
 * `<!-- audit:begin -->` and `<!-- audit:end -->` markers of the given file is replaced.
 */
import fs from "node:fs";
import path from "node:path";
import { readLoggedOutputs } from "../../data/read";
import { InputError } from "../../errors";
import { auditCrossValidated, type TaskAuditResult } from "../audit";
import { ALL_DIMENSIONS } from "../dimensions";
import { runScript } from "../../runtime";
import { int, option } from "../../schema";
import { docTableCommand, emit } from "./docSection";

/** The files the report audits, with the target of each configuration (from the issue). */
export const REPORT_FILES = [
  { file: "summeval-dev.jsonl", targets: { references: 0.42, none: 0.42 } },
  { file: "evouna-tq-dev.jsonl", targets: { references: 0.95, none: 0.8 } },
] as const;

export type ReportRow = { file: string; references: boolean; result: TaskAuditResult; ms: number; target: number };

function f4(v: number | undefined): string {
  return v === undefined || !Number.isFinite(v) ? "n/a" : v.toFixed(4);
}

/** Runs every audit of the report. */
export function runReport(dataDir: string, folds = 5): ReportRow[] {
  const rows: ReportRow[] = [];
  for (const { file, targets } of REPORT_FILES) {
    const p = path.join(dataDir, file);
    if (!fs.existsSync(p)) throw new InputError(`${p}: file not found (pass --data-dir with the shared data folder)`);
    const items = readLoggedOutputs(p);
    for (const references of [true, false]) {
      const t0 = performance.now();
      const results = auditCrossValidated(items, folds, { useReferences: references });
      const ms = performance.now() - t0;
      for (const result of results) rows.push({ file, references, result, ms, target: references ? targets.references : targets.none });
    }
  }
  return rows;
}

/** Markdown: a summary table, then one table per file and reference mode. */
export function renderReport(rows: readonly ReportRow[], folds: number): string {
  const out: string[] = [];
  out.push(`Cross-validated (${folds} folds split by \`queryId\`), means over folds. Reproduce with`);
  out.push("`npx tsx src/scoring/cli/report.ts --data-dir ../shared/data` (or `npx poq audit --cv 5 --eval FILE [--no-references]`).", "");
  out.push("| file | references | metric | calibrated | default | best single | consensus | target |");
  out.push("|---|---|---|---|---|---|---|---|");
  for (const r of rows) {
    const x = r.result;
    out.push(
      `| ${r.file} | ${r.references ? "yes" : "no"} | ${x.metric} | **${f4(x.composite.calibrated)}** | ${f4(x.composite.default)} | ` +
        `${f4(x.bestSingle.value)} (${x.bestSingle.name}) | ${f4(x.consensus)} | >= ${r.target} |`,
    );
  }
  for (const r of rows) {
    const x = r.result;
    const metric = x.metric === "auroc" ? "AUROC" : "Spearman";
    out.push("", `#### ${r.file}, ${r.references ? "with" : "without"} references (${x.n} outputs, ${x.task})`, "");
    const methods = Object.entries(x.detail.methods)
      .map(([m, c]) => `${m} in ${c}/${x.detail.calibrations} folds`)
      .join(", ");
    out.push(`Calibrated weighting chosen by inner cross-validation: ${methods}.`, "");
    out.push(`| signal | ${metric} | sd over folds | kept in folds | mean calibrated weight |`);
    out.push("|---|---|---|---|---|");
    for (const d of ALL_DIMENSIONS) {
      if (!(d in x.dimensions)) continue;
      const w = x.detail.weights[d];
      out.push(`| ${d} | ${f4(x.dimensions[d])} | ${f4(x.detail.sd?.[d])} | ${x.detail.kept[d] ?? 0}/${x.detail.calibrations} | ${w ? w.toFixed(3) : "-"} |`);
    }
    out.push(`| composite (default) | ${f4(x.composite.default)} | ${f4(x.detail.sd?.["composite.default"])} | | |`);
    out.push(`| **composite (calibrated)** | **${f4(x.composite.calibrated)}** | ${f4(x.detail.sd?.["composite.calibrated"])} | | |`);
    out.push(`| best single (${x.bestSingle.name}) | ${f4(x.bestSingle.value)} | | | |`);
    out.push(`| consensus (mean of dimensions) | ${f4(x.consensus)} | ${f4(x.detail.sd?.consensus)} | | |`);
  }
  return `${out.join("\n")}\n`;
}

/** `npx tsx src/scoring/cli/report.ts`: the audit tables of docs/quality.md. */
export const program = docTableCommand("quality-report", "the cross-validated audit tables of docs/quality.md", "audit")
  .option("--folds <k>", "cross-validation folds", option(int(2), "--folds"), 5)
  .action((o: { dataDir: string; folds: number; write?: string }) => {
    const rows = runReport(o.dataDir, o.folds);
    for (const r of rows) process.stderr.write(`${r.file} (references ${r.references ? "used" : "ignored"}): ${(r.ms / 1000).toFixed(1)} s\n`);
    emit(renderReport(rows, o.folds), "audit", o.write);
  });

if (require.main === module) runScript(program);
