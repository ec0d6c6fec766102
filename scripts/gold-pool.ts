/**
 * Builds the local network's gold pool (data/gold/local-pool.json): labelled outputs of queries that the bundled
 * samples never replay, whole query groups of `--per-query` outputs, taken deterministically (queries ranked by the
 * keccak256 of their id) from --data-dir. The pool's root and size go into the deployment parameters
 * (`goldPoolRoot`, `goldPoolSize`; deploy/parameters/localhost.json is rewritten to match), so the registrar can mix
 * these items into batches as hidden gold tasks and nobody can invent others.
 *
 *   npx tsx scripts/gold-pool.ts --data-dir ../shared/data [--qa 25] [--summaries 5] [--per-query 4]
 *
 * A production pool must never come from public data (docs/consensus.md): these public sets serve the local
 * network and the demo only.
 */
import fs from "node:fs";
import path from "node:path";
import { Command } from "commander";
import { keccak256, toBytes } from "viem";
import { type LoggedOutput } from "../src/data/logged";
import { readLoggedOutputs } from "../src/data/read";
import { buildGoldPool } from "../src/protocol/gold";
import { runScript } from "../src/runtime";
import { int, option } from "../src/schema";

const ROOT = path.join(__dirname, "..");
const SAMPLES = path.join(ROOT, "data", "samples");
export const LOCAL_POOL = path.join(ROOT, "data", "gold", "local-pool.json");

const program = new Command("gold-pool")
  .description("build the local network's gold pool and pin its root in deploy/parameters/localhost.json")
  .requiredOption("--data-dir <dir>", "labelled logged outputs (.jsonl)")
  .option("--qa <n>", "QA query groups", option(int(0), "--qa"), 25)
  .option("--summaries <n>", "summary query groups", option(int(0), "--summaries"), 5)
  .option("--per-query <n>", "outputs per query group", option(int(1), "--per-query"), 4)
  .option("--out <file>", "pool file", LOCAL_POOL)
  .action(build);

function build(o: { dataDir: string; qa: number; summaries: number; perQuery: number; out: string }): void {
  const replayed = new Set(
    fs
      .readdirSync(SAMPLES)
      .filter((f) => f.endsWith(".jsonl"))
      .flatMap((f) => readLoggedOutputs(path.join(SAMPLES, f), { requireLabel: false }).map((it) => `${it.task}:${it.queryId}`)),
  );
  const all = fs
    .readdirSync(o.dataDir)
    .filter((f) => f.endsWith(".jsonl"))
    .sort()
    .flatMap((f) => readLoggedOutputs(path.join(o.dataDir, f)))
    .filter((it) => !replayed.has(`${it.task}:${it.queryId}`));
  const groups = new Map<string, LoggedOutput[]>();
  for (const it of all) groups.set(`${it.task}:${it.queryId}`, [...(groups.get(`${it.task}:${it.queryId}`) ?? []), it]);
  const rank = (k: string) => keccak256(toBytes(`poq-settle/local-gold/${k}`));
  const pick = (task: string, n: number) =>
    [...groups.entries()]
      .filter(([k]) => k.startsWith(`${task}:`))
      .sort((a, b) => (rank(a[0]) < rank(b[0]) ? -1 : 1))
      .slice(0, n)
      .flatMap(([, g]) => g.slice(0, o.perQuery));
  const pool = buildGoldPool([...pick("qa", o.qa), ...pick("summarization", o.summaries)]);
  fs.mkdirSync(path.dirname(o.out), { recursive: true });
  fs.writeFileSync(o.out, `${JSON.stringify(pool, null, 1)}\n`);
  const paramsFile = path.join(ROOT, "deploy", "parameters", "localhost.json");
  const params = JSON.parse(fs.readFileSync(paramsFile, "utf8"));
  params.PoQLocal = { ...params.PoQLocal, goldPoolRoot: pool.root, goldPoolSize: pool.items.length };
  fs.writeFileSync(paramsFile, `${JSON.stringify(params, null, 2)}\n`);
  process.stderr.write(`gold pool of ${pool.items.length} items, root ${pool.root}, written to ${path.relative(process.cwd(), o.out)}; ${path.relative(process.cwd(), paramsFile)} updated\n`);
}

if (require.main === module) runScript(program);
