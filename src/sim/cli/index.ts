import fs from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { DEFAULT_RULE, RULE_NAMES, type RuleName, getRule } from "../../consensus/rules";
import { readLoggedOutputs } from "../../data/read";
import { InputError } from "../../errors";
import { ATTACKS_30, acceptanceMarkdown } from "../acceptance";
import { runAcceptanceGrid } from "./acceptanceGrid";
import { ATTACK_NAMES, type AttackName, getAttack } from "../../adversary/attacks";
import { HONEST_MODES, type HonestMode } from "../honestScore";
import { ProgressBar } from "./progress";
import { writeAcceptancePlots, writeSweepReport } from "./report";
import { DEFAULT_SCENARIO, HONEST_MODELS, type HonestModel, buildScenario, prepareData, tasksPerRound, validateScenario, type ScenarioConfig, type SimData } from "../scenario";
import { loadPolicy } from "../../agents/policy";
import { int, list, number, oneOf, option } from "../../schema";
import { z } from "zod";
import { simulateRules } from "../simulate";
import { runSweep } from "../sweep";

type SimulateOptions = {
  data?: string[];
  rounds: number;
  evaluators: number;
  k: number;
  malicious: number;
  attack: string;
  rule?: string;
  seed: string;
  seeds?: string[];
  tasks: number;
  gold: number;
  honest: HonestMode;
  boost: number;
  sigma: number;
  p: number;
  lazyValue: number;
  honestBias: number;
  honestSigma: [number, number];
  honestModel: HonestModel;
  sybil: number;
  camouflage: number;
  sleeperRounds: number;
  period: number;
  shieldShare: number;
  policy?: string;
  sensitivity?: number;
  workers: number;
  ks?: number[];
  ratios?: number[];
  attacks?: string[];
  json?: boolean;
  sweep?: boolean;
  acceptance?: boolean;
  out?: string;
};

/** Resolves the command-line options into a validated scenario (throws InputError on any bad value). */
export function scenarioFromOptions(o: SimulateOptions): ScenarioConfig {
  const attack = getAttack(o.attack).name as AttackName;
  const cfg: ScenarioConfig = {
    ...DEFAULT_SCENARIO,
    rounds: o.rounds,
    evaluators: o.evaluators,
    k: o.k,
    maliciousRatio: o.malicious,
    attack,
    seed: o.seed,
    tasksPerRound: o.tasks,
    goldFraction: o.gold,
    attackParams: { boost: o.boost, sigma: o.sigma, p: o.p, lazyValue: o.lazyValue, camouflage: o.camouflage, sleeperRounds: o.sleeperRounds, period: o.period, shieldShare: o.shieldShare },
    honestBias: o.honestBias,
    honestSigmaMin: o.honestSigma[0],
    honestSigmaMax: o.honestSigma[1],
    honestModel: o.honestModel,
    sybil: o.sybil,
  };
  validateScenario(cfg);
  return cfg;
}

/** Option parsers (zod schemas): each names its flag in the message. */
const integer = (flag: string, min = Number.MIN_SAFE_INTEGER) => option(int(min), flag);
const real = (flag: string) => option(number(), flag);
const split = (v: unknown) => (typeof v === "string" ? v.split(",") : v);
const numbers = (flag: string) => option(z.preprocess(split, z.array(number())), flag);
const pair = option(z.preprocess(split, z.tuple([number(), number()], { error: 'must be "min,max"' })), "--honest-sigma");

function loadData(files: string[] | undefined, mode: HonestMode): SimData[] {
  if (!files || files.length === 0) throw new InputError("--data FILE is required (a logged-outputs JSONL file with labels)");
  return files.map((f) => prepareData(readLoggedOutputs(f), mode, path.basename(f).replace(/\.jsonl$/, "")));
}

function rulesFrom(o: SimulateOptions): RuleName[] {
  if (!o.rule) return [...RULE_NAMES];
  getRule(o.rule);
  return [o.rule as RuleName];
}

const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

/** The two dev files in the shared folder beside the repository (../shared/data, or ../../shared/data from a worktree). */
function defaultDevFiles(): string[] {
  for (const dir of ["../shared/data", "../../shared/data"]) {
    const files = ["evouna-tq-dev.jsonl", "summeval-dev.jsonl"].map((f) => path.join(dir, f));
    if (files.every((f) => fs.existsSync(f))) return files;
  }
  throw new InputError("--acceptance: give the dev files with --data (../shared/data not found)");
}

export function registerSimulate(program: Command): void {
  program
    .command("simulate")
    .description("simulate PoQ rounds with honest and malicious evaluators on a logged-outputs file and compare aggregation rules")
    .option("--data <file>", "logged-outputs JSONL with human labels (repeatable for --acceptance)", collect)
    .option("--rounds <n>", "rounds", integer("--rounds"), 20)
    .option("--evaluators <m>", "evaluators in the network", integer("--evaluators"), 50)
    .option("--k <k>", "evaluators per task", integer("--k"), 7)
    .option("--malicious <ratio>", "share of malicious evaluators, in [0, 1]", real("--malicious"), 0.3)
    .option("--attack <name>", `attack of the malicious evaluators: ${["none", ...ATTACK_NAMES].join(", ")}`, "boosting")
    .option("--rule <name>", `only this rule (default: all of ${RULE_NAMES.join(", ")})`)
    .option("--seed <s>", "seed of every random draw", "1")
    .option("--seeds <list>", "comma-separated seeds for --acceptance (default: 1,2,3,4,5)", option(list().pipe(z.array(z.string()).min(1, { error: "must be a comma-separated list of seeds" })), "--seeds"))
    .option("--tasks <n>", "tasks per round (0 = max(200, items / rounds))", integer("--tasks"), 0)
    .option("--gold <fraction>", "share of each round's tasks that are gold tasks of known quality", real("--gold"), 0.05)
    .option("--honest <mode>", `honest evaluators' signal: ${HONEST_MODES.join(", ")}`, option(oneOf(HONEST_MODES as readonly HonestMode[] as [HonestMode, ...HonestMode[]]), "--honest"), "auto")
    .option("--boost <b>", "boosting / sabotage / collusion / intermittent shift (points)", real("--boost"), 3)
    .option("--sigma <s>", "noise attack standard deviation (points)", real("--sigma"), 3)
    .option("--p <p>", "intermittent attack probability per score", real("--p"), 0.5)
    .option("--lazy-value <v>", "lazy attack's constant score", real("--lazy-value"), 5)
    .option("--honest-bias <b>", "honest evaluators' systematic offset ~ U(-b, b) (points)", real("--honest-bias"), DEFAULT_SCENARIO.honestBias)
    .option("--honest-sigma <min,max>", "honest evaluators' noise sd ~ U(min, max) (points)", pair, [DEFAULT_SCENARIO.honestSigmaMin, DEFAULT_SCENARIO.honestSigmaMax])
    .option("--honest-model <m>", `honest evaluators: ${HONEST_MODELS.join(" (own offset and noise), ")} (one deterministic scorer, identical scores)`, option(oneOf(HONEST_MODELS as readonly HonestModel[] as [HonestModel, ...HonestModel[]]), "--honest-model"), DEFAULT_SCENARIO.honestModel)
    .option("--sybil <share>", "split the coalition's stake across identities making up this share of all identities (0: held whole)", real("--sybil"), 0)
    .option("--camouflage <c>", "camouflage attack's shift on every score (points)", real("--camouflage"), DEFAULT_SCENARIO.attackParams.camouflage)
    .option("--sleeper-rounds <n>", "sleeper attack: honest rounds before boosting", integer("--sleeper-rounds"), DEFAULT_SCENARIO.attackParams.sleeperRounds)
    .option("--period <n>", "pulse attack: boosts in every n-th round", integer("--period"), DEFAULT_SCENARIO.attackParams.period)
    .option("--shield-share <s>", "camp-shield attack: share of the coalition that boosts (the rest forms the camp)", real("--shield-share"), DEFAULT_SCENARIO.attackParams.shieldShare)
    .option("--policy <file>", "settle with this policy file's overrides (e.g. config/local/policy.json)")
    .option("--sensitivity <b>", "with --acceptance: run the grid with honest offsets up to +-b instead (a sensitivity run)", real("--sensitivity"))
    .option("--workers <n>", "with --acceptance: worker processes", option(int(1, 64), "--workers"), 2)
    .option("--ks <list>", "with --sweep: comma-separated k values (default 3,5,7,9,11)", numbers("--ks"))
    .option("--ratios <list>", "with --sweep: comma-separated malicious ratios (default 0,0.1,...,0.5)", numbers("--ratios"))
    .option("--attacks <list>", "with --sweep: comma-separated attacks (default: all)", option(list(), "--attacks"))
    .option("--json", "print one JSON object")
    .option("--sweep", "run the grid malicious ratio x k x attack x rule and write a report to --out")
    .option("--acceptance", "run the acceptance grid (issue 13) on every --data (default: both dev files), seeds --seeds (default 1-5)")
    .option("--out <dir>", "output folder of --sweep (or of --acceptance: report.md, results.json and plots)")
    .action(async (o: SimulateOptions) => {
      const mode = o.honest;
      const cfg = scenarioFromOptions(o);
      if (o.sweep && o.acceptance) throw new InputError("--sweep and --acceptance are separate runs; pick one");
      if (o.acceptance) {
        const seeds = o.seeds ?? ["1", "2", "3", "4", "5"];
        const files = o.data && o.data.length ? o.data : defaultDevFiles();
        const sensitivity = o.sensitivity ?? null;
        const started = Date.now();
        const report = await runAcceptanceGrid({ files, honest: mode, seeds, sensitivity, workers: o.workers, onProgress: (done, total) => process.stderr.write(`\r${done}/${total} cells`) });
        process.stderr.write(`\n`);
        report.wallSeconds = Math.round((Date.now() - started) / 100) / 10;
        if (o.out) {
          fs.mkdirSync(o.out, { recursive: true });
          const plots = writeAcceptancePlots(o.out, report.rows, ATTACKS_30, report.kFinding);
          fs.writeFileSync(path.join(o.out, "results.json"), `${JSON.stringify(report)}\n`);
          fs.writeFileSync(path.join(o.out, "report.md"), `${acceptanceMarkdown(report)}\n${plots.join("\n\n")}\n`);
          process.stderr.write(`wrote ${path.join(o.out, "report.md")}\n`);
        }
        process.stdout.write(o.json ? `${JSON.stringify(report)}\n` : `${acceptanceMarkdown(report)}\n`);
        return;
      }
      const [data, ...rest] = loadData(o.data, mode);
      if (rest.length) throw new InputError("give one --data file (several only with --acceptance)");
      if (o.sweep) {
        if (!o.out) throw new InputError("--sweep needs --out DIR");
        let bar: ProgressBar | null = null;
        const points = runSweep(data, cfg, {
          rules: rulesFrom(o),
          ks: o.ks,
          ratios: o.ratios,
          attacks: o.attacks?.map((a) => getAttack(a).name as AttackName),
          onProgress: (done, total, label) => {
            bar ??= new ProgressBar(total);
            bar.update(done, label);
          },
        });
        const command = `npx poq simulate --sweep --data ${o.data![0]} --out ${o.out} --rounds ${cfg.rounds} --evaluators ${cfg.evaluators} --seed ${cfg.seed} --honest ${o.honest} --honest-bias ${cfg.honestBias} --honest-sigma ${cfg.honestSigmaMin},${cfg.honestSigmaMax} --gold ${cfg.goldFraction}${o.rule ? ` --rule ${o.rule}` : ""}${o.ks ? ` --ks ${o.ks.join(",")}` : ""}${o.ratios ? ` --ratios ${o.ratios.join(",")}` : ""}${o.attacks ? ` --attacks ${o.attacks.join(",")}` : ""}`;
        writeSweepReport(o.out, {
          title: `PoQ simulator sweep: ${data.name}`,
          command,
          settings: {
            data: o.data![0],
            "honest signal": data.source,
            rounds: cfg.rounds,
            evaluators: cfg.evaluators,
            "tasks per round": tasksPerRound(data, cfg),
            "gold fraction": cfg.goldFraction,
            seed: cfg.seed,
            "boost b": cfg.attackParams.boost,
            "noise sigma": cfg.attackParams.sigma,
            "intermittent p": cfg.attackParams.p,
            "lazy value": cfg.attackParams.lazyValue,
            "honest offset": `U(-${cfg.honestBias}, ${cfg.honestBias})`,
            "honest noise sd": `U(${cfg.honestSigmaMin}, ${cfg.honestSigmaMax})`,
          },
          points,
        });
        process.stderr.write(`wrote ${path.join(o.out, "report.md")}\n`);
        return;
      }
      const overrides = o.policy ? loadPolicy(o.policy) : {};
      const rules = simulateRules(data, buildScenario(data, cfg), rulesFrom(o), overrides);
      if (o.json) {
        process.stdout.write(`${JSON.stringify({ default: DEFAULT_RULE, rules })}\n`);
        return;
      }
      const keys = ["mae", "spearman", "honestSlashed", "maliciousSlashed", "maliciousPoolShare", "fairShare", "slashRecallAt10", "roundsToSlash", "breakerRounds"] as const;
      const lines = [`${data.name}: ${cfg.rounds} rounds, ${cfg.evaluators} evaluators, k = ${cfg.k}, ${cfg.maliciousRatio * 100}% ${cfg.attack}, honest signal ${data.source}`];
      lines.push(["rule".padEnd(16), ...keys.map((k) => k.padStart(19))].join(""));
      for (const [name, m] of Object.entries(rules)) {
        lines.push([`${name}${name === DEFAULT_RULE ? "*" : ""}`.padEnd(16), ...keys.map((k) => String(m![k] === null ? "–" : Number(m![k]).toFixed(4)).padStart(19))].join(""));
      }
      process.stdout.write(`${lines.join("\n")}\n`);
    });
}
