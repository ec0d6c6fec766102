/**
 * Builds the quality profile that the local network's evaluators use (config/local/profile.json): calibrated,
 * without references (evaluators score outputs as served), on labelled history from --data-dir, leaving out
 * every query of the bundled samples that the local network replays, so that the demo never scores an output
 * whose query was seen in calibration.
 *
 *   npx tsx scripts/local-profile.ts --data-dir ../shared/data [--out config/local/profile.json]
 */
import fs from "node:fs";
import path from "node:path";
import { Command } from "commander";
import { readLoggedOutputs } from "../src/data/read";
import { InputError } from "../src/errors";
import { runScript } from "../src/runtime";
import { calibrate } from "../src/scoring";
import { saveProfile } from "../src/data/scoringFiles";

const ROOT = path.join(__dirname, "..");
const SAMPLES = path.join(ROOT, "data", "samples");

const program = new Command("local-profile")
  .description("calibrate config/local/profile.json on labelled history, leaving out the queries the samples replay")
  .requiredOption("--data-dir <dir>", "labelled logged outputs (.jsonl), e.g. ../shared/data")
  .option("--out <file>", "profile to write", path.join(ROOT, "config", "local", "profile.json"))
  .action((o: { dataDir: string; out: string }) => {
    if (!fs.existsSync(o.dataDir)) throw new InputError(`--data-dir ${o.dataDir} does not exist`);
    const files = fs.readdirSync(o.dataDir).filter((f) => f.endsWith(".jsonl")).sort();
    if (files.length === 0) throw new InputError(`${o.dataDir}: no .jsonl files`);
    const replayed = new Set(
      fs
        .readdirSync(SAMPLES)
        .filter((f) => f.endsWith(".jsonl"))
        .flatMap((f) => readLoggedOutputs(path.join(SAMPLES, f), { requireLabel: false }).map((it) => `${it.task}:${it.queryId}`)),
    );
    const all = files.flatMap((f) => readLoggedOutputs(path.join(o.dataDir, f)));
    const train = all.filter((it) => !replayed.has(`${it.task}:${it.queryId}`));
    process.stderr.write(`calibrating on ${train.length} of ${all.length} outputs (${all.length - train.length} share a query with the samples)\n`);
    saveProfile(o.out, calibrate(train, { useReferences: false, onProgress: (m) => process.stderr.write(`${m}\n`) }));
    process.stderr.write(`profile written to ${path.relative(process.cwd(), o.out)}\n`);
  });

runScript(program);
