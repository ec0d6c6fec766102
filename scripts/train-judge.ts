/**
 * Trains the learned reference-free judge on labelled history and writes its weights file:
 *
 *   npx tsx scripts/train-judge.ts --data-dir ../shared/data [--out config/judge/weights.json]
 *
 * Per task type it first measures the judge's held-out quality (5-fold cross-validation split by queryId: every
 * fold scored by a judge trained on the other folds) beside every reference-free dimension on the same outputs
 * (the model prior out of fold), with a paired cluster-bootstrap interval of the difference; and on the task's
 * shift splits (src/scoring/shift.ts), the calibrated composite with the judge (retrained inside each split)
 * against the calibrated composite without it. The judge is enabled as a default dimension of a task only if it
 * beats the best reference-free dimension in cross-validation and does not lower the composite on the shift
 * splits on average. Then it trains on all outputs and writes the integer weights. Deterministic: the same data
 * give a byte-identical file.
 */
import fs from "node:fs";
import path from "node:path";
import { Command } from "commander";
import { type LoggedOutput, type TaskType } from "../src/data/logged";
import { readLoggedOutputs } from "../src/data/read";
import { InputError } from "../src/errors";
import { outOfFoldModelPrior } from "../src/scoring/calibrate";
import { presentDimensions } from "../src/scoring/dimensions";
import { groupFolds } from "../src/scoring/folds";
import { judgeWeightsHash, outOfFoldJudge, serializeJudgeWeights, trainJudge } from "../src/scoring/learnedJudge";
import { metricFor, metricValue } from "../src/scoring/metrics";
import { computeDimensionsAndFeatures } from "../src/scoring/score";
import { pairedBootstrap, shiftSplits } from "../src/scoring/shift";
import { calibrators, runShiftSplits } from "../src/scoring/shiftAudit";
import { computeDimensions } from "../src/scoring/score";
import { runScript } from "../src/runtime";

const ROOT = path.join(__dirname, "..");

function main({ dataDir, out }: { dataDir: string; out: string }): void {
  const t0 = process.cpuUsage();
  const w0 = performance.now();
  if (!fs.existsSync(dataDir)) throw new InputError(`--data-dir ${dataDir} does not exist`);
  const files = fs.readdirSync(dataDir).filter((f) => f.endsWith(".jsonl")).sort();
  if (files.length === 0) throw new InputError(`${dataDir}: no .jsonl files`);
  const items: LoggedOutput[] = files.flatMap((f) => readLoggedOutputs(path.join(dataDir, f)));
  const { table, features } = computeDimensionsAndFeatures({ items, modelPriors: {}, useReferences: false, withFeatures: true });
  const heldOut: Partial<Record<TaskType, { metric: string; judge: number; bestSingle: { name: string; value: number }; diffCi: [number, number]; shiftGain: number }>> = {};
  const withRefs = computeDimensions({ items, modelPriors: {}, useReferences: true });
  const tasks = [...new Set(items.map((it) => it.task))].sort();
  for (const task of tasks) {
    const rows = items.flatMap((it, i) => (it.task === task ? [i] : []));
    const tItems = rows.map((r) => items[r]);
    const tFeatures = rows.map((r) => features![r]);
    const fold = groupFolds(
      tItems.map((it) => it.queryId),
      5,
      20260602,
    );
    const judge = outOfFoldJudge(tItems, tFeatures, fold, 5);
    const y = Float64Array.from(tItems, (it) => it.label!);
    const metric = metricFor(y);
    const dims: Record<string, Float64Array> = {};
    for (const d of presentDimensions(table)) dims[d] = Float64Array.from(rows, (r) => table[d]![r]);
    dims.modelPrior = outOfFoldModelPrior(tItems, 5, 20260603);
    let best = "";
    let bestValue = -Infinity;
    for (const [d, col] of Object.entries(dims)) {
      const v = metricValue(metric, col, y);
      process.stderr.write(`${task}: ${d} ${v.toFixed(4)}\n`);
      if (Number.isFinite(v) && v > bestValue) [best, bestValue] = [d, v];
    }
    const cmp = pairedBootstrap(
      tItems.map((it) => it.queryId),
      y,
      judge,
      dims[best],
      200,
      5,
    );
    process.stderr.write(`${task}: learned judge ${cmp.value.toFixed(4)} (held out), best single ${best} ${bestValue.toFixed(4)}, difference 95% CI [${cmp.diffCi[0].toFixed(4)}, ${cmp.diffCi[1].toFixed(4)}]\n`);
    // Shift splits of this task: the default calibration with and without the judge retrained inside.
    const { splits } = shiftSplits(tItems, {});
    const [, , plain, judged] = calibrators({ bootstrap: 100 });
    const sub = (t: typeof table) => Object.fromEntries(Object.entries(t).map(([d, col]) => [d, Float64Array.from(rows, (r) => col![r])]));
    const runs = runShiftSplits(tItems, { references: sub(withRefs), none: sub(table), features: tFeatures }, splits.filter((s) => s.kind !== "in-domain"), [plain, judged], { bootstrap: 20 });
    const gains = runs.map((r) => r.calibrated[judged.name].value - r.calibrated[plain.name].value);
    const shiftGain = gains.reduce((a, g) => a + g, 0) / gains.length;
    process.stderr.write(`${task}: on ${runs.length} shifted runs the judge changes the calibrated composite by ${shiftGain >= 0 ? "+" : ""}${shiftGain.toFixed(4)} on average (worst ${Math.min(...gains).toFixed(4)})\n`);
    heldOut[task] = { metric, judge: cmp.value, bestSingle: { name: best, value: bestValue }, diffCi: cmp.diffCi, shiftGain };
  }
  const weights = trainJudge(items, features!);
  for (const task of tasks) {
    const h = heldOut[task]!;
    const tw = weights.tasks[task]!;
    tw.enabled = h.judge > h.bestSingle.value && h.shiftGain >= 0;
    tw.heldOut = {
      metric: h.metric,
      judge: Math.round(h.judge * 1e4) / 1e4,
      bestSingle: { name: h.bestSingle.name, value: Math.round(h.bestSingle.value * 1e4) / 1e4 },
      shiftGain: Math.round(h.shiftGain * 1e4) / 1e4,
    };
  }
  fs.mkdirSync(path.dirname(out), { recursive: true });
  const text = serializeJudgeWeights(weights);
  fs.writeFileSync(out, text);
  const cpu = process.cpuUsage(t0);
  process.stderr.write(
    `wrote ${path.relative(process.cwd(), out)} (${(text.length / 1e6).toFixed(2)} MB), judgeWeightsHash ${judgeWeightsHash(weights)}; ` +
      `enabled: ${tasks.map((t) => `${t} ${weights.tasks[t]!.enabled}`).join(", ")}; ` +
      `${((performance.now() - w0) / 1000).toFixed(1)} s wall, ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s CPU\n`,
  );
}

runScript(
  new Command("train-judge")
    .description("train the learned reference-free judge and write its weights file")
    .requiredOption("--data-dir <dir>", "labelled logged outputs (.jsonl), e.g. ../shared/data")
    .option("--out <file>", "weights file to write", path.join(ROOT, "config", "judge", "weights.json"))
    .action(main),
);
