/**
 * Benchmark hook of the quality audit: the 5-fold cross-validated audit (with references) of both dev files of
 * `dataDir` (summeval-dev.jsonl and evouna-tq-dev.jsonl), timed end to end including file parsing.
 */
import path from "node:path";
import { readLoggedOutputs } from "../src/data/logged";
import { auditCrossValidated } from "../src/scoring/audit";

export const BENCH_FILES = ["summeval-dev.jsonl", "evouna-tq-dev.jsonl"];

export async function benchAudit(dataDir: string): Promise<{ outputsPerSecond: number; ms: number }> {
  const t0 = performance.now();
  let outputs = 0;
  for (const file of BENCH_FILES) {
    const items = readLoggedOutputs(path.join(dataDir, file));
    auditCrossValidated(items, 5, { useReferences: true });
    outputs += items.length;
  }
  const ms = performance.now() - t0;
  return { outputsPerSecond: outputs / (ms / 1000), ms };
}

if (require.main === module) {
  benchAudit(process.argv[2] ?? path.join(__dirname, "..", "..", "shared", "data")).then((r) => {
    process.stdout.write(`${JSON.stringify({ name: "audit", ...r })}\n`);
  });
}
