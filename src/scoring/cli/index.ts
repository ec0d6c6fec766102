import type { Command } from "commander";
import { type LoggedOutput } from "../../data/logged";
import { readLoggedOutputs } from "../../data/read";
import { InputError } from "../../errors";
import { int, number, option } from "../../schema";
import { auditCrossValidated, auditTrainEval, auditWithProfile, type AuditOptions, type TaskAuditResult } from "../audit";
import { calibrate } from "../calibrate";
import { renderCascade, renderJson, renderTable } from "../format";
import { measureStageCosts } from "./timing";
import { judgeOutputs, resolveJudgeConfig } from "./llmJudge";
import { loadJudgeWeights, loadProfile, saveJudgeWeights, saveProfile } from "../../data/scoringFiles";

/** Options of `poq audit` as commander parses them. */
export type AuditCommandOptions = {
  eval: string;
  train?: string;
  cv?: number;
  profile?: string;
  saveProfile?: string;
  references: boolean;
  json?: boolean;
  seed?: number;
  bootstrap?: number;
  quiet?: boolean;
  learnedJudge?: boolean;
  cascade?: boolean;
  cpuPrice?: number;
  judgePrice?: number;
  judgeWeights?: string;
  judgeUrl?: string;
  judgeModel?: string;
  judgeTimeout?: number;
  judgeRetries?: number;
  judgeConcurrency?: number;
};

export type AuditIo = { stdout: (s: string) => void; stderr: (s: string) => void };

/** Outputs from which on progress is printed (stderr). */
export const PROGRESS_THRESHOLD = 1000;

/** Default price of CPU time in the cascade's cost, USD per CPU-hour. */
export const DEFAULT_CPU_PRICE = 0.05;

/** Runs `poq audit`; returns the results it printed. */
export async function runAuditCommand(opts: AuditCommandOptions, io: AuditIo): Promise<TaskAuditResult[]> {
  const folds = opts.cv;
  const modes = [folds !== undefined, opts.train !== undefined, opts.profile !== undefined].filter(Boolean).length;
  if (modes === 0) throw new InputError("give --train FILE (calibrate, then evaluate), --cv K (cross-validate --eval) or --profile FILE");
  if (modes > 1) throw new InputError("--train, --cv and --profile are alternatives: give only one");
  const useReferences = opts.references;
  let cpuMicros: Record<string, number> = {};
  const evalItems = readLoggedOutputs(opts.eval);
  const train: LoggedOutput[] | undefined = opts.train !== undefined ? readLoggedOutputs(opts.train) : undefined;
  const total = evalItems.length + (train?.length ?? 0);
  const progress = !opts.quiet && total >= PROGRESS_THRESHOLD;
  const onProgress = progress ? (m: string) => io.stderr(`poq audit: ${m}\n`) : undefined;
  const options: AuditOptions = {
    useReferences,
    seed: opts.seed,
    bootstrap: opts.bootstrap,
    learnedJudge: opts.learnedJudge,
    onProgress,
  };
  if (opts.judgeWeights !== undefined) options.learnedJudgeWeights = loadJudgeWeights(opts.judgeWeights);

  const judge = resolveJudgeConfig({
    url: opts.judgeUrl,
    model: opts.judgeModel,
    timeoutMs: opts.judgeTimeout,
    retries: opts.judgeRetries,
    concurrency: opts.judgeConcurrency,
  });
  if (judge) {
    const all = [...(train ?? []), ...evalItems];
    const step = Math.max(1, Math.floor(all.length / 20));
    options.judge = await judgeOutputs(all, judge, {
      useReferences,
      onProgress: onProgress ? (done, n) => (done % step === 0 || done === n) && onProgress(`judged ${done}/${n}`) : undefined,
    });
  }

  if (opts.cascade) {
    if (folds !== undefined || opts.profile !== undefined) throw new InputError("--cascade needs --train (the cascade is fitted on the training set)");
    const cpuPrice = opts.cpuPrice ?? DEFAULT_CPU_PRICE;
    const judgePrice = opts.judgePrice ?? 0;
    onProgress?.("measuring the CPU time of each stage");
    const micros = measureStageCosts(evalItems, useReferences);
    const costs: Record<string, number> = {};
    for (const [stage, us] of Object.entries(micros)) costs[stage] = (us * cpuPrice) / 3.6e9;
    costs["LLM judge"] = judgePrice;
    options.cascadeCosts = costs;
    cpuMicros = micros;
  }

  let results: TaskAuditResult[];
  if (folds !== undefined) results = auditCrossValidated(evalItems, folds, options);
  else if (train) results = auditTrainEval(train, evalItems, options);
  else results = auditWithProfile(evalItems, loadProfile(opts.profile!), options);

  if (opts.saveProfile !== undefined) {
    if (opts.profile !== undefined) throw new InputError("--save-profile needs --train or --cv (there is nothing to calibrate)");
    const judgeFile = opts.judgeWeights ?? opts.saveProfile.replace(/(\.json)?$/, ".judge.json");
    const profile = calibrate(train ?? evalItems, { ...options, onLearnedJudge: (w) => saveJudgeWeights(judgeFile, w) });
    saveProfile(opts.saveProfile, profile);
    onProgress?.(`profile written to ${opts.saveProfile}${profile.judgeWeightsHash ? `, its learned judge to ${judgeFile}` : ""}`);
  }

  if (opts.json) io.stdout(renderJson(results, { cascade: !!opts.cascade }));
  else {
    const source = train ? `calibrated on ${opts.train}, evaluated on ${opts.eval}` : `profile ${opts.profile}`;
    io.stdout(renderTable(results, { useReferences, source }));
    if (opts.cascade) io.stdout(renderCascade(results, cpuMicros));
  }
  return results;
}

/** Registers `poq audit` on the program. */
export function registerAudit(program: Command): void {
  program
    .command("audit")
    .description(
      "Audit the quality dimensions against human labels: calibrate on --train (or by --cv folds of --eval) " +
        "and report every dimension, the default and calibrated composites, the best single dimension and a consensus baseline",
    )
    .requiredOption("--eval <file>", "labelled outputs to report on (JSONL)")
    .option("--train <file>", "labelled outputs to calibrate on (JSONL)")
    .option("--cv <k>", "k-fold cross-validation on --eval, split by queryId", option(int(2), "--cv"))
    .option("--profile <file>", "evaluate a saved calibration profile instead of calibrating")
    .option("--save-profile <file>", "write the calibration profile (JSON) fitted on --train, or on all of --eval with --cv")
    .option("--no-references", "ignore the references field (reference-free scoring)")
    .option("--json", "print one JSON object per task (an array for several tasks)")
    .option("--seed <n>", "seed of folds and bootstrap", option(int(0), "--seed"))
    .option("--bootstrap <n>", "bootstrap replicates of the reliability intervals (default 200)", option(int(1), "--bootstrap"))
    .option("--quiet", "no progress on stderr")
    .option("--cascade", "also fit the scoring cascade on --train and report each stage's accuracy and cost (JSON: a \"cascade\" key)")
    .option("--cpu-price <usd>", `cascade cost of CPU time, USD per CPU-hour (default ${DEFAULT_CPU_PRICE})`, option(number(0), "--cpu-price"))
    .option("--judge-price <usd>", "cascade cost of one LLM-judge call, USD (default 0)", option(number(0), "--judge-price"))
    .option("--learned-judge", "train the learned reference-free judge inside the calibration and use it as a dimension where it beats the reference-free dimensions")
    .option("--judge-weights <file>", "learned judge weights: read with --profile, written with --save-profile (default: beside the profile)")
    .option("--judge-url <url>", "enable the LLM judge: OpenAI-compatible base URL (or POQ_JUDGE_URL)")
    .option("--judge-model <name>", "LLM judge model (or POQ_JUDGE_MODEL)")
    .option("--judge-timeout <ms>", "LLM judge request timeout", option(int(1), "--judge-timeout"))
    .option("--judge-retries <n>", "LLM judge retries per output", option(int(0), "--judge-retries"))
    .option("--judge-concurrency <n>", "LLM judge requests in flight", option(int(1), "--judge-concurrency"))
    .action(async (opts: AuditCommandOptions) => {
      await runAuditCommand(opts, {
        stdout: (s) => process.stdout.write(s),
        stderr: (s) => process.stderr.write(s),
      });
    });
}
