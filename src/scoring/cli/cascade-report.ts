/**
 * The cascade table of docs/quality.md: on each dev file, calibrate and fit the cascade on one half of the
 * queries, evaluate on the other half, with CPU costs measured on the evaluated outputs.
 *
 *   npx tsx src/scoring/cli/cascade-report.ts --data-dir ../shared/data [--cpu-price 0.05] [--write docs/quality.md]
 *
 * With --write, replaces the text between `<!-- cascade:begin -->` and `<!-- cascade:end -->`.
 */
import path from "node:path";
import { readLoggedOutputs } from "../../data/read";
import { auditTrainEval } from "../audit";
import { groupFolds } from "../folds";
import { measureStageCosts } from "./timing";
import { runScript } from "../../runtime";
import { number, option } from "../../schema";
import { DEV_FILES, docTableCommand, emit } from "./docSection";

/** `npx tsx src/scoring/cli/cascade-report.ts`: the cascade table of docs/quality.md. */
export const program = docTableCommand(
  "cascade-report",
  "the scoring cascade on each dev file: calibrate and fit on half of the queries, evaluate on the other half",
  "cascade",
)
  .option("--cpu-price <usd>", "cost of CPU time, USD per CPU-hour", option(number(0), "--cpu-price"), 0.05)
  .action((o: { dataDir: string; cpuPrice: number; write?: string }) => {
    const { dataDir, cpuPrice } = o;
    const out: string[] = [];
    out.push("| file | references | learned judge | stages (alone: metric, cumulative CPU us per output) | all stages | cascade | cascade cost / all |");
    out.push("|---|---|---|---|---|---|---|");
    for (const file of DEV_FILES) {
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
    emit(`${out.join("\n")}\n`, "cascade", o.write);
  });

if (require.main === module) runScript(program);
