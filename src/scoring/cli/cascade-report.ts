/**
 * The cascade table of docs/quality.md: on each dev file, calibrate and fit the cascade on one half of the
 * queries, evaluate on the other half, with CPU costs measured on the evaluated outputs.
 *
 *   npx tsx src/scoring/cli/cascade-report.ts --data-dir ../shared/data [--cpu-price 0.05] [--write docs/quality.md]
 *
 * With --write, replaces the text between `<!-- cascade:begin -->` and `<!-- cascade:end -->`.
 */
import fs from "node:fs";
import path from "node:path";
import { readLoggedOutputs } from "../../data/logged";
import { InputError } from "../../errors";
import { auditTrainEval } from "../audit";
import { groupFolds } from "../folds";
import { measureStageCosts } from "./timing";

function arg(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

export function main(argv: string[]): number {
  try {
    const dataDir = arg(argv, "--data-dir") ?? "../shared/data";
    const cpuPrice = Number(arg(argv, "--cpu-price") ?? 0.05);
    const out: string[] = [];
    out.push("| file | references | learned judge | stages (alone: metric, cumulative CPU us per output) | all stages | cascade | cascade cost / all |");
    out.push("|---|---|---|---|---|---|---|");
    for (const file of ["summeval-dev.jsonl", "evouna-tq-dev.jsonl"]) {
      const items = readLoggedOutputs(path.join(dataDir, file));
      const fold = groupFolds(
        items.map((it) => it.queryId),
        2,
        20260604,
      );
      const train = items.filter((_, i) => fold[i] === 0);
      const evalItems = items.filter((_, i) => fold[i] === 1);
      for (const references of [true, false]) {
        const micros = measureStageCosts(evalItems, references);
        const costs: Record<string, number> = {};
        for (const [stage, us] of Object.entries(micros)) costs[stage] = (us * cpuPrice) / 3.6e9;
        for (const learnedJudge of [false, true]) {
          process.stderr.write(`${file} references ${references} judge ${learnedJudge}\n`);
          const [r] = auditTrainEval(train, evalItems, { useReferences: references, learnedJudge, cascadeCosts: costs });
          const c = r.cascade!;
          let cum = 0;
          const stages = c.stages
            .map((s) => {
              cum += micros[s.name];
              return `${s.name}: ${s.value.toFixed(4)}, ${cum.toFixed(1)}`;
            })
            .join("; ");
          const share = c.cascade.costShare;
          out.push(
            `| ${file} | ${references ? "yes" : "no"} | ${c.stages.some((s) => s.name === "learned judge") ? "yes" : learnedJudge ? "not kept" : "no"} | ${stages} | ` +
              `${c.all.value.toFixed(4)} | ${c.cascade.value.toFixed(4)} | ${(100 * share).toFixed(1)}% |`,
          );
        }
      }
    }
    const body = `${out.join("\n")}\n`;
    const target = arg(argv, "--write");
    if (target) {
      const text = fs.readFileSync(target, "utf8");
      const [begin, end] = ["<!-- cascade:begin -->", "<!-- cascade:end -->"];
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
