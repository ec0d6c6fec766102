import type { Command } from "commander";
import { readLoggedOutputs, type LoggedOutput } from "../../data/logged";
import { InputError } from "../../errors";
import { auditCrossValidated, auditTrainEval, auditWithProfile, type AuditOptions, type TaskAuditResult } from "../audit";
import { calibrate } from "../calibrate";
import { renderJson, renderTable } from "../format";
import { judgeOutputs, resolveJudgeConfig } from "./llmJudge";
import { loadProfile, saveProfile } from "./files";

/** Options of `poq audit` as commander parses them. */
export type AuditCommandOptions = {
  eval: string;
  train?: string;
  cv?: string;
  profile?: string;
  saveProfile?: string;
  references: boolean;
  json?: boolean;
  seed?: string;
  bootstrap?: string;
  quiet?: boolean;
  judgeUrl?: string;
  judgeModel?: string;
  judgeTimeout?: string;
  judgeRetries?: string;
  judgeConcurrency?: string;
};

export type AuditIo = { stdout: (s: string) => void; stderr: (s: string) => void };

/** Outputs from which on progress is printed (stderr). */
export const PROGRESS_THRESHOLD = 1000;

function intOption(name: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new InputError(`${name} must be an integer >= ${min} (got "${value}")`);
  return n;
}

/** Runs `poq audit`; returns the results it printed. */
export async function runAuditCommand(opts: AuditCommandOptions, io: AuditIo): Promise<TaskAuditResult[]> {
  const folds = intOption("--cv", opts.cv, 2);
  const modes = [folds !== undefined, opts.train !== undefined, opts.profile !== undefined].filter(Boolean).length;
  if (modes === 0) throw new InputError("give --train FILE (calibrate, then evaluate), --cv K (cross-validate --eval) or --profile FILE");
  if (modes > 1) throw new InputError("--train, --cv and --profile are alternatives: give only one");
  const useReferences = opts.references;
  const evalItems = readLoggedOutputs(opts.eval);
  const train: LoggedOutput[] | undefined = opts.train !== undefined ? readLoggedOutputs(opts.train) : undefined;
  const total = evalItems.length + (train?.length ?? 0);
  const progress = !opts.quiet && total >= PROGRESS_THRESHOLD;
  const onProgress = progress ? (m: string) => io.stderr(`poq audit: ${m}\n`) : undefined;
  const options: AuditOptions = {
    useReferences,
    seed: intOption("--seed", opts.seed, 0),
    bootstrap: intOption("--bootstrap", opts.bootstrap, 1),
    onProgress,
  };

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

  let results: TaskAuditResult[];
  if (folds !== undefined) results = auditCrossValidated(evalItems, folds, options);
  else if (train) results = auditTrainEval(train, evalItems, options);
  else results = auditWithProfile(evalItems, loadProfile(opts.profile!), options);

  if (opts.saveProfile !== undefined) {
    if (opts.profile !== undefined) throw new InputError("--save-profile needs --train or --cv (there is nothing to calibrate)");
    saveProfile(opts.saveProfile, calibrate(train ?? evalItems, options));
    onProgress?.(`profile written to ${opts.saveProfile}`);
  }

  if (opts.json) io.stdout(renderJson(results));
  else {
    const source = train ? `calibrated on ${opts.train}, evaluated on ${opts.eval}` : `profile ${opts.profile}`;
    io.stdout(renderTable(results, { useReferences, source }));
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
    .option("--cv <k>", "k-fold cross-validation on --eval, split by queryId")
    .option("--profile <file>", "evaluate a saved calibration profile instead of calibrating")
    .option("--save-profile <file>", "write the calibration profile (JSON) fitted on --train, or on all of --eval with --cv")
    .option("--no-references", "ignore the references field (reference-free scoring)")
    .option("--json", "print one JSON object per task (an array for several tasks)")
    .option("--seed <n>", "seed of folds and bootstrap")
    .option("--bootstrap <n>", "bootstrap replicates of the reliability intervals (default 200)")
    .option("--quiet", "no progress on stderr")
    .option("--judge-url <url>", "enable the LLM judge: OpenAI-compatible base URL (or POQ_JUDGE_URL)")
    .option("--judge-model <name>", "LLM judge model (or POQ_JUDGE_MODEL)")
    .option("--judge-timeout <ms>", "LLM judge request timeout")
    .option("--judge-retries <n>", "LLM judge retries per output")
    .option("--judge-concurrency <n>", "LLM judge requests in flight")
    .action(async (opts: AuditCommandOptions) => {
      await runAuditCommand(opts, {
        stdout: (s) => process.stdout.write(s),
        stderr: (s) => process.stderr.write(s),
      });
    });
}
