import { fork } from "node:child_process";
import path from "node:path";
import { loadPolicy } from "../../agents/policy";
import { DEFAULT_RULE } from "../../consensus/rules";
import { readLoggedOutputs } from "../../data/read";
import type { AttackName } from "../../adversary/attacks";
import type { HonestMode } from "../honestScore";
import { ATTACKS_30, ATTACKS_50, cfgOf, honestSettings, signalQuality, SYBIL_ATTACKS, SYBIL_SHARES, type AcceptanceCell, type AcceptanceReport, type CellResult, type KFinding, type RunRow } from "../acceptance";
import { DEFAULT_SCENARIO, buildScenario, prepareData, type SimData } from "../scenario";
import { simulateRule } from "../simulate";

/** The acceptance grid's runner: reads the data files and the local policy, runs cells in worker processes. */

export const LOCAL_POLICY_FILE = path.join(__dirname, "..", "..", "..", "config", "local", "policy.json");

const dataCache = new Map<string, SimData>();
function dataOf(file: string, mode: HonestMode): SimData {
  const key = `${file}|${mode}`;
  let d = dataCache.get(key);
  if (!d) {
    d = prepareData(readLoggedOutputs(file), mode, path.basename(file).replace(/\.jsonl$/, ""));
    dataCache.set(key, d);
  }
  return d;
}

/** Every run of one cell (file x honest model x gold x seed). Deterministic. */
export function runCell(cell: AcceptanceCell): CellResult {
  const started = Date.now();
  const data = dataOf(cell.file, cell.mode);
  const rows: RunRow[] = [];
  const base = { file: cell.file, data: data.name, honest: cell.honest.label, gold: cell.gold, seed: cell.seed };
  const run = (kind: RunRow["kind"], attack: AttackName, ratio: number, sybil: number, policy = false): void => {
    const scenario = buildScenario(data, cfgOf(cell, { attack, maliciousRatio: ratio, sybil }));
    const m = simulateRule(data, scenario, DEFAULT_RULE, policy ? loadPolicy(LOCAL_POLICY_FILE) : {});
    rows.push({ ...base, kind, attack, ratio, sybil, m });
  };
  run("clean", "none", 0, 0);
  run("policy", "none", 0, 0, true);
  for (const a of ATTACKS_30) run("attack30", a, 0.3, 0);
  for (const a of SYBIL_ATTACKS) for (const s of SYBIL_SHARES) run("sybil", a, 0.3, s);
  for (const a of ATTACKS_50) run("attack50", a, 0.5, 0);
  return { cell, rows, ms: Date.now() - started };
}

/** The paper's k-finding for the default rule, no attackers, k = 3..11. */
export function runKFinding(file: string, mode: HonestMode, seed: string): KFinding {
  const data = dataOf(file, mode);
  const rows = [3, 5, 7, 9, 11].map((k) => {
    const m = simulateRule(data, buildScenario(data, { ...DEFAULT_SCENARIO, k, seed, maliciousRatio: 0, attack: "none" }), DEFAULT_RULE);
    return { k, evaluatorRewardMean: m.evaluatorRewardMean, evaluatorRewardVar: m.evaluatorRewardVar, trustMean: m.trustMean, inferenceRewardCv: m.inferenceRewardCv };
  });
  const cvs = rows.map((r) => r.inferenceRewardCv);
  return { data: data.name, seed, rows, cvChange: Math.round(((Math.max(...cvs) - Math.min(...cvs)) / Math.min(...cvs)) * 1e4) / 1e4 };
}

export type GridOptions = {
  files: string[];
  honest: HonestMode;
  seeds: string[];
  /** Null: the acceptance grid (offsets up to +-1.0, noise sd 0.3-1.5, plus the shared scorer); b: offsets up to +-b. */
  sensitivity: number | null;
  workers: number;
  onProgress?: (done: number, total: number) => void;
};

/** Runs the grid's cells, in `workers` child processes (1: in this process). */
export async function runAcceptanceGrid(o: GridOptions): Promise<AcceptanceReport> {
  const honest = honestSettings(o.sensitivity);
  const cells: AcceptanceCell[] = [];
  for (const file of o.files) for (const h of honest) for (const gold of [0, 0.05]) for (const seed of o.seeds) cells.push({ file, honest: h, gold, seed, mode: o.honest });
  const results: CellResult[] = new Array(cells.length);
  let done = 0;
  if (o.workers <= 1) {
    cells.forEach((c, i) => {
      results[i] = runCell(c);
      o.onProgress?.(++done, cells.length);
    });
  } else {
    let next = 0;
    const worker = (): Promise<void> =>
      new Promise((resolve, reject) => {
        // The built package runs JavaScript (dist/); a checkout may run the TypeScript through tsx.
        const ts = __filename.endsWith(".ts");
        const child = fork(path.join(__dirname, ts ? "acceptanceWorker.ts" : "acceptanceWorker.js"), [], { execArgv: ts ? ["--require", "tsx/cjs"] : [], stdio: ["ignore", "inherit", "inherit", "ipc"] });
        const send = (): void => {
          if (next >= cells.length) {
            child.send({ type: "done" });
            return;
          }
          const i = next++;
          child.send({ type: "cell", i, cell: cells[i] });
        };
        child.on("message", (msg: { i: number; result: CellResult }) => {
          results[msg.i] = msg.result;
          o.onProgress?.(++done, cells.length);
          send();
        });
        child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`acceptance worker exited with ${code}`))));
        send();
      });
    await Promise.all(Array.from({ length: Math.min(o.workers, cells.length) }, worker));
  }
  const kFinding = o.sensitivity === null ? o.files.flatMap((f) => ["1", "2", "3"].map((s) => runKFinding(f, o.honest, s))) : [];
  return {
    seeds: o.seeds,
    files: o.files,
    honest,
    sensitivity: o.sensitivity,
    signal: o.files.map((f) => signalQuality(dataOf(f, o.honest))),
    cells: results.map((r) => ({ data: path.basename(r.cell.file).replace(/\.jsonl$/, ""), honest: r.cell.honest.label, gold: r.cell.gold, seed: r.cell.seed, ms: r.ms })),
    rows: results.flatMap((r) => r.rows),
    kFinding,
  };
}

