import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { runDemo } from "../src/agents/demo";
import type { Clients } from "../src/chain/client";
import type { Deployment } from "../src/chain/deployment";
import { openExplorer } from "../src/explorer/run";
import { createExplorerServer } from "../src/explorer/server";

/**
 * Explorer latency on a large round: the embedded demo settles one round of `tasks` tasks (1,000 by default, 12
 * evaluators, k = 5), the explorer indexes it (with the content store: consensus, trust, rewards, proofs), and the
 * HTTP API is timed on the round page (`GET /api/round/1`) and the HTML page (`GET /round/1`) over loopback.
 *
 *     npx tsx bench/explorer.ts [tasks]
 */

export type LatencyStats = { requests: number; p50Ms: number; p95Ms: number; maxMs: number; bytes: number };

export type BenchExplorerResult = {
  tasks: number;
  evaluators: number;
  scoredTasks: number;
  demoMs: number;
  indexMs: number;
  api: LatencyStats;
  html: LatencyStats;
};

const ROOT = path.join(__dirname, "..");
const SHARED = path.join(ROOT, "..", "shared", "data", "evouna-tq-dev.jsonl");
const SAMPLES = ["qa-sample.jsonl", "summarization-sample.jsonl"].map((f) => path.join(ROOT, "data", "samples", f));

async function time(url: string, n: number): Promise<LatencyStats> {
  const ms: number[] = [];
  let bytes = 0;
  for (let i = 0; i < n + 3; i++) {
    const t0 = performance.now();
    const r = await fetch(url);
    const body = await r.arrayBuffer();
    const dt = performance.now() - t0;
    if (r.status !== 200) throw new Error(`${url}: HTTP ${r.status}`);
    bytes = body.byteLength;
    if (i >= 3) ms.push(dt); // three warm-up requests
  }
  ms.sort((a, b) => a - b);
  const q = (p: number) => Math.round(ms[Math.min(ms.length - 1, Math.floor(p * ms.length))] * 10) / 10;
  return { requests: n, p50Ms: q(0.5), p95Ms: q(0.95), maxMs: Math.round(ms[ms.length - 1] * 10) / 10, bytes };
}

export async function benchExplorer(o: { tasks?: number; dataFiles?: string[]; requests?: number } = {}): Promise<BenchExplorerResult> {
  const tasks = o.tasks ?? 1_000;
  const dataFiles = o.dataFiles ?? (fs.existsSync(SHARED) ? [SHARED] : SAMPLES);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "poq-bench-explorer-"));
  let chain!: { clients: Clients; deployment: Deployment };
  const t0 = performance.now();
  const summary = await runDemo({ rounds: 1, tasksPerRound: tasks, dataFiles, progress: null, storeDir: path.join(dir, "store"), onChain: (c) => void (chain = c) });
  const demoMs = performance.now() - t0;
  const opened = await openExplorer({ rpcUrl: "", storeDir: summary.storeDir, dbFile: path.join(dir, "explorer.sqlite"), confirmations: 0 }, chain);
  const t1 = performance.now();
  await opened.indexer.sync();
  const indexMs = performance.now() - t1;
  const server = createExplorerServer({ ctx: opened.ctx });
  const { url } = await server.listen(0);
  try {
    const round = (await (await fetch(`${url}/api/round/1`)).json()) as { round: { tasks: number }; evaluators: unknown[]; tasks: { scores: unknown[] }[] };
    const n = o.requests ?? 30;
    const api = await time(`${url}/api/round/1`, n);
    const html = await time(`${url}/round/1`, n);
    return {
      tasks: round.round.tasks,
      evaluators: round.evaluators.length,
      scoredTasks: round.tasks.filter((t) => t.scores.length > 0).length,
      demoMs: Math.round(demoMs),
      indexMs: Math.round(indexMs),
      api,
      html,
    };
  } finally {
    await server.close();
    opened.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  const tasks = process.argv[2] ? Number(process.argv[2]) : undefined;
  benchExplorer({ tasks }).then(
    (r) => {
      process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
      process.exit(0);
    },
    (e) => {
      process.stderr.write(`${(e as Error).stack ?? e}\n`);
      process.exit(1);
    },
  );
}
