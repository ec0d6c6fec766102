/**
 * The domain-shift table of docs/quality.md: every calibration method on every shift split of the dev files.
 *
 *   npx tsx src/scoring/cli/shift-report.ts --data-dir ../shared/data [--bootstrap 200] [--write docs/quality.md]
 *
 * Prints Markdown; with --write, replaces the text between `<!-- shift:begin -->` and `<!-- shift:end -->`.
 */
import fs from "node:fs";
import path from "node:path";
import { readLoggedOutputs, type LoggedOutput } from "../../data/logged";
import { InputError } from "../../errors";
import { computeDimensions, computeDimensionsAndFeatures } from "../score";
import { shiftSplits } from "../shift";
import { calibrators, runShiftSplits, type ShiftResult } from "../shiftAudit";

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

function arg(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

export function main(argv: string[]): number {
  try {
    const dataDir = arg(argv, "--data-dir") ?? "../shared/data";
    const files = ["summeval-dev.jsonl", "evouna-tq-dev.jsonl"].map((f) => path.join(dataDir, f));
    const items: LoggedOutput[] = files.flatMap((f) => readLoggedOutputs(f));
    const only = arg(argv, "--only");
    const t0 = performance.now();
    const none = computeDimensionsAndFeatures({ items, modelPriors: {}, useReferences: false, withFeatures: true });
    const tables = {
      references: computeDimensions({ items, modelPriors: {}, useReferences: true }),
      none: none.table,
      features: none.features,
    };
    const { splits } = shiftSplits(items, { families: DEV_FAMILIES });
    const chosen = only ? splits.filter((s) => s.name.includes(only)) : splits;
    const cals = calibrators({ bootstrap: Number(arg(argv, "--cal-bootstrap") ?? 200) });
    const results = runShiftSplits(items, tables, chosen, cals, {
      bootstrap: Number(arg(argv, "--bootstrap") ?? 200),
      onProgress: (m) => process.stderr.write(`${m}\n`),
    });
    process.stderr.write(`${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
    const body = renderShift(results, cals.map((c) => c.name));
    const target = arg(argv, "--write");
    if (target) {
      const text = fs.readFileSync(target, "utf8");
      const [begin, end] = ["<!-- shift:begin -->", "<!-- shift:end -->"];
      const a = text.indexOf(begin);
      const b = text.indexOf(end);
      if (a < 0 || b < a) throw new InputError(`${target}: no ${begin} ... ${end} section to replace`);
      fs.writeFileSync(target, `${text.slice(0, a + begin.length)}\n${body}${text.slice(b)}`);
    } else process.stdout.write(body);
    return 0;
  } catch (e) {
    if (e instanceof InputError) {
      process.stderr.write(`error: ${e.shortMessage}\n`);
      return 2;
    }
    throw e;
  }
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
