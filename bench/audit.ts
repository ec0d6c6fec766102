/**
 * Benchmark hook of the quality audit: the 5-fold cross-validated audit (with references) of both dev files of
 * `dataDir` (summeval-dev.jsonl and evouna-tq-dev.jsonl), with the learned judge trained inside every calibration
 * (out of fold) and scored as a dimension, timed end to end including file parsing. `limit` keeps the first
 * outputs of each file (the smoke mode); `learnedJudge: false` times the audit without the judge.
 */
import fs from "node:fs";
import path from "node:path";
import { Command } from "commander";
import { runScript } from "../src/runtime";
import { readLoggedOutputs } from "../src/data/read";
import { auditCrossValidated } from "../src/scoring/audit";
import { measure, type Timing } from "./timing";

export const BENCH_FILES = ["summeval-dev.jsonl", "evouna-tq-dev.jsonl"];

/** The two dev files when `dataDir` has them, else every `.jsonl` file in it (e.g. data/samples). */
export function benchFiles(dataDir: string): string[] {
  if (BENCH_FILES.every((f) => fs.existsSync(path.join(dataDir, f)))) return BENCH_FILES.map((f) => path.join(dataDir, f));
  return fs
    .readdirSync(dataDir)
    .filter((f) => f.endsWith(".jsonl"))
    .sort()
    .map((f) => path.join(dataDir, f));
}

export function benchAudit(
  dataDir: string,
  options: { limit?: number; learnedJudge?: boolean } = {},
): Timing & { outputs: number; outputsPerSecond: number; ms: number } {
  let outputs = 0;
  const t = measure(() => {
    outputs = 0;
    for (const file of benchFiles(dataDir)) {
      const all = readLoggedOutputs(file);
      const items = options.limit === undefined ? all : all.slice(0, options.limit);
      // Five folds split by query; fewer where a small sample has fewer queries of a task type.
      const queries = new Map<string, Set<string>>();
      for (const it of items) (queries.get(it.task) ?? queries.set(it.task, new Set()).get(it.task)!).add(it.queryId);
      const folds = Math.min(5, ...[...queries.values()].map((q) => q.size));
      auditCrossValidated(items, folds, { useReferences: true, learnedJudge: options.learnedJudge ?? true });
      outputs += items.length;
    }
  });
  return { ...t, outputs, ms: t.wallMs, outputsPerSecond: outputs / (t.wallMs / 1000) };
}

if (require.main === module) {
  runScript(
    new Command("bench-audit")
      .description("time the cross-validated audit of both dev files, with and without the learned judge")
      .argument("[dir]", "folder of summeval-dev.jsonl and evouna-tq-dev.jsonl", path.join(__dirname, "..", "..", "shared", "data"))
      .action((dir: string) => {
        process.stdout.write(`${JSON.stringify({ name: "audit (learned judge)", ...benchAudit(dir) })}\n`);
        process.stdout.write(`${JSON.stringify({ name: "audit (no learned judge)", ...benchAudit(dir, { learnedJudge: false }) })}\n`);
      }),
  );
}
