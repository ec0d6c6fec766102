/**
 * The domain-shift table of docs/quality.md: every calibration method on every shift split of the dev files.
 *
 *   npx tsx src/scoring/cli/shift-report.ts --data-dir ../shared/data [--bootstrap 200] [--write docs/quality.md]
 *
 * Prints Markdown; with --write, replaces the text between `<!-- shift:begin -->` and `<!-- shift:end -->`.
 */
import path from "node:path";
import { type LoggedOutput } from "../../data/logged";
import { readLoggedOutputs } from "../../data/read";
import { computeDimensions, computeDimensionsAndFeatures } from "../score";
import { shiftSplits } from "../shift";
import { calibrators, runShiftSplits, type ShiftResult } from "../shiftAudit";
import { runScript } from "../../runtime";
import { int, option } from "../../schema";
import { DEV_FILES, docTableCommand, emit } from "./docSection";

/** Model families of the dev files: SummEval's pretrained transformers against its earlier systems; EVOUNA's retrieval-based systems against the GPT family. */
export const DEV_FAMILIES = {
  summarization: { transformers: ["M17", "M20", "M22", "M23"], "pre-transformer": ["M8", "M9", "M10", "M11", "M12", "M13", "M14", "M15"] },
  qa: { "retrieval (fid, newbing)": ["fid", "newbing"], "gpt family": ["gpt35", "chatgpt", "gpt4"] },
};

function f3(v: number): string {
  return Number.isFinite(v) ? v.toFixed(3) : "n/a";
}

export function renderShift(results: readonly ShiftResult[], names: readonly string[]): string {
  const out: string[] = [];
  out.push(`| split | refs | n | metric | best single | ${names.join(" | ")} | ${names.map((n) => `${n} - best (95% CI)`).join(" | ")} |`);
  out.push(`|---|---|---|---|---|${names.map(() => "---").join("|")}|${names.map(() => "---").join("|")}|`);
  for (const r of results) {
    const vals = names.map((n) => f3(r.calibrated[n].value));
    const diffs = names.map((n) => {
      const c = r.calibrated[n];
      return `${c.value - r.bestSingle.value >= 0 ? "+" : ""}${f3(c.value - r.bestSingle.value)} [${f3(c.diffCi[0])}, ${f3(c.diffCi[1])}]`;
    });
    const refs = r.split.kind === "references" ? "yes -> no" : r.references ? "yes" : "no";
    out.push(`| ${r.split.name} | ${refs} | ${r.n} | ${r.metric} | ${f3(r.bestSingle.value)} (${r.bestSingle.name}) | ${vals.join(" | ")} | ${diffs.join(" | ")} |`);
  }
  const shifted = results.filter((r) => r.split.kind !== "in-domain");
  out.push("");
  for (const n of names) {
    const gaps = shifted.map((r) => r.calibrated[n].value - r.bestSingle.value);
    const mean = gaps.reduce((s, g) => s + g, 0) / gaps.length;
    const below = shifted.filter((r) => r.calibrated[n].diffCi[1] < 0).map((r) => `${r.split.name} (refs ${r.references ? "yes" : "no"})`);
    const worst = Math.min(...gaps);
    out.push(
      `- **${n}**: mean gain over the best single dimension across ${shifted.length} shifted runs ${mean >= 0 ? "+" : ""}${f3(mean)}; ` +
        `worst ${f3(worst)}; significantly below it (interval of the difference below zero) on ${below.length === 0 ? "none" : below.join(", ")}.`,
    );
  }
  return `${out.join("\n")}\n`;
}

/** `npx tsx src/scoring/cli/shift-report.ts`: the domain-shift table of docs/quality.md. */
export const program = docTableCommand("shift-report", "every calibration method on every shift split of the dev files", "shift")
  .option("--only <text>", "only the splits whose name contains this")
  .option("--bootstrap <n>", "bootstrap replicates of the intervals", option(int(1), "--bootstrap"), 200)
  .option("--cal-bootstrap <n>", "bootstrap replicates inside each calibration", option(int(1), "--cal-bootstrap"), 200)
  .action((o: { dataDir: string; only?: string; bootstrap: number; calBootstrap: number; write?: string }) => {
    const files = DEV_FILES.map((f) => path.join(o.dataDir, f));
    const items: LoggedOutput[] = files.flatMap((f) => readLoggedOutputs(f));
    const t0 = performance.now();
    const none = computeDimensionsAndFeatures({ items, modelPriors: {}, useReferences: false, withFeatures: true });
    const tables = { references: computeDimensions({ items, modelPriors: {}, useReferences: true }), none: none.table, features: none.features };
    const { splits } = shiftSplits(items, { families: DEV_FAMILIES });
    const chosen = o.only ? splits.filter((s) => s.name.includes(o.only!)) : splits;
    const cals = calibrators({ bootstrap: o.calBootstrap });
    const results = runShiftSplits(items, tables, chosen, cals, { bootstrap: o.bootstrap, onProgress: (m) => process.stderr.write(`${m}\n`) });
    process.stderr.write(`${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
    emit(renderShift(results, cals.map((c) => c.name)), "shift", o.write);
  });

if (require.main === module) runScript(program);
