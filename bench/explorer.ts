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
 * evaluators, k = 5), the explorer indexes it (with the content store: consensus, trust, rewards, proofs), and every
 * page and its JSON twin is timed over loopback: rounds, the round, a task, an evaluator's and a relayer's address
 * pages (live balances, cached per block), the finalize transaction, its block, the blocks and transactions feeds,
 * the token page, the governance page and the challenges page. The target is a median of at most 50 ms per page.
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
  /** Per page (its path with the ids replaced by their kind): the HTML page and its JSON twin. */
  pages: Record<string, { html: LatencyStats; api: LatencyStats }>;
  /** The slowest median over every page and API answer, against the 50 ms target. */
  worstP50Ms: number;
};

export const PAGE_P50_TARGET_MS = 50;

const ROOT = path.join(__dirname, "..");
/** The shared EVOUNA answers: beside the repository, or beside the folder of a git worktree. */
const SHARED = [path.join(ROOT, "..", "shared"), path.join(ROOT, "..", "..", "shared")].map((d) => path.join(d, "data", "evouna-tq-dev.jsonl")).find((f) => fs.existsSync(f));
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
  const dataFiles = o.dataFiles ?? (SHARED ? [SHARED] : SAMPLES);
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
    type Round = { round: { tasks: number; registrar: string }; evaluators: { address: string }[]; tasks: { scores: unknown[] }[]; events: { event: string; tx: string; block: number }[] };
    const round = (await (await fetch(`${url}/api/round/1`)).json()) as Round;
    const finalize = round.events.find((e) => e.event === "RoundFinalized")!;
    const targets: [string, string][] = [
      ["/", "/api/rounds"],
      ["/round/1", "/api/round/1"],
      [`/round/1?tasks=${Math.ceil(round.round.tasks / 100)}`, "/api/round/1"],
      ["/round/1/task/0", "/api/round/1/task/0"],
      [`/address/${round.evaluators[0].address}`, `/api/address/${round.evaluators[0].address}`],
      [`/address/${round.round.registrar}`, `/api/address/${round.round.registrar}`],
      [`/tx/${finalize.tx}`, `/api/tx/${finalize.tx}`],
      [`/block/${finalize.block}`, `/api/block/${finalize.block}`],
      ["/blocks", "/api/blocks"],
      ["/txs", "/api/txs"],
      ["/token", "/api/token"],
      ["/governance", "/api/governance"],
      ["/challenges", "/api/challenges"],
    ];
    const n = o.requests ?? 30;
    const pages: BenchExplorerResult["pages"] = {};
    for (const [page, api] of targets) {
      const key = page.replace(/0x[0-9a-fA-F]{64}/, "TX").replace(round.evaluators[0].address, "EVALUATOR").replace(round.round.registrar, "RELAYER").replace(/\/block\/\d+/, "/block/N").replace(/tasks=\d+/, "tasks=LAST");
      pages[key] = { html: await time(`${url}${page}`, n), api: await time(`${url}${api}`, n) };
    }
    return {
      tasks: round.round.tasks,
      evaluators: round.evaluators.length,
      scoredTasks: round.tasks.filter((t) => t.scores.length > 0).length,
      demoMs: Math.round(demoMs),
      indexMs: Math.round(indexMs),
      pages,
      worstP50Ms: Math.max(...Object.values(pages).flatMap((x) => [x.html.p50Ms, x.api.p50Ms])),
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
