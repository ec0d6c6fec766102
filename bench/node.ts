/**
 * Relayer wall time on a real local node: starts `hardhat node` (a separate process, mining a block per
 * transaction and one per second), deploys with Ignition, and runs the demo engine against it over HTTP: 4 inference
 * nodes, 12 evaluators (signed reveals relayed in batches) and 2 relayers settle one round. The time is taken from
 * the agents' log, from the registrar's `registerTasks` to the `finalize` of the round; phase deadlines are skipped
 * with the node's time controls, as the demo does, so the time is the agents' and the chain's work, not waiting.
 * `content` picks where the agents keep content: the shared folder store, or a store folder and an embedded IPFS node
 * per agent on 127.0.0.1 (`runDemo`'s `content: "helia"`).
 */
import fs from "node:fs";
import path from "node:path";
import { runDemo } from "../src/agents/demo";
import type { DemoContentKind } from "../src/agents/demoContent";
import { deploy, freePort, startNode, tmpDir, type Proc } from "../test/e2e/harness";

export type NodeRunResult = {
  tasks: number;
  content: DemoContentKind;
  /** registerTasks to finalize, from the agents' log timestamps. */
  roundMs: number;
  /** Each step's offset from registerTasks (ms). */
  steps: { step: string; ms: number }[];
  /** The whole demo call: setup (staking, serving outputs), the round, claims and checks. */
  demoMs: number;
  transactions: number;
  /** Evaluators that committed scores in the round, and the assigned outputs they reported unavailable (not fetched in time). */
  commits: number;
  unavailable: number;
  conserved: boolean;
};

type LogLine = { time?: string; msg?: string; round_id?: number; step?: string; tasks?: unknown };

export async function runNodeRound(o: { tasks: number; dataFiles: string[]; content?: DemoContentKind; progress: (line: string) => void }): Promise<NodeRunResult> {
  const content = o.content ?? "folder";
  const dir = tmpDir("poq-bench-node-");
  const port = await freePort();
  o.progress(`relayer wall time (${content === "helia" ? "an IPFS node per agent" : "shared folder"}): starting hardhat node on port ${port}`);
  let node: (Proc & { url: string }) | undefined;
  let deploymentFile: string | undefined;
  try {
    node = await startNode(port, dir);
    const id = `bench-${port}`;
    o.progress("  deploying with Ignition");
    const params = { commitDuration: 30, revealDuration: 30, settleDuration: 120, challengeDuration: 5, k: 5, quorum: 2, maxSlashes: 64 };
    deploymentFile = (await deploy(node.url, id, dir, params)).file;
    const logFile = path.join(dir, "agents.log.jsonl");
    o.progress(`  running the demo engine: 1 round of ${o.tasks} tasks`);
    const t0 = performance.now();
    const summary = await runDemo({
      rpcUrl: node.url,
      deploymentFile,
      rounds: 1,
      tasksPerRound: o.tasks,
      dataFiles: o.dataFiles,
      storeDir: path.join(dir, "store"),
      logFile,
      progress: null,
      content,
    });
    const demoMs = performance.now() - t0;
    const lines = fs
      .readFileSync(logFile, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as LogLine);
    const at = (pred: (l: LogLine) => boolean) => {
      const l = lines.find(pred);
      return l?.time ? Date.parse(l.time) : undefined;
    };
    const start = at((l) => l.step === "registerTasks" && l.round_id === 1);
    const end = at((l) => l.step === "finalize" && l.round_id === 1);
    if (start === undefined || end === undefined) throw new Error(`relayer wall time: no registerTasks/finalize in ${logFile}`);
    const steps: { step: string; ms: number }[] = [];
    for (const l of lines) {
      if (l.round_id !== 1 || !l.step || !l.time) continue;
      if (!steps.some((s) => s.step === l.step)) steps.push({ step: l.step, ms: Date.parse(l.time) - start });
    }
    return {
      tasks: o.tasks,
      content,
      roundMs: end - start,
      steps,
      demoMs,
      transactions: lines.filter((l) => l.msg === "tx confirmed").length,
      commits: lines.filter((l) => l.msg === "committed" && l.round_id === 1).length,
      unavailable: lines.filter((l) => l.msg === "outputs unavailable: reported as such" && l.round_id === 1).reduce((t, l) => t + (Array.isArray(l.tasks) ? l.tasks.length : 0), 0),
      conserved: summary.conserved,
    };
  } finally {
    node?.kill();
    if (deploymentFile) fs.rmSync(path.dirname(deploymentFile), { recursive: true, force: true });
  }
}
