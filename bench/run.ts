/**
 * `npm run bench`: gas and throughput, side by side in one run on one machine, written to docs/performance.md (tables,
 * and plots as SVG and PNG in docs/performance/).
 *
 *   npm run bench                  # everything (a few minutes); writes docs/performance.md
 *   npm run bench -- --json        # also prints the machine-readable result on stdout
 *   npm run bench -- --smoke       # small sizes, under a minute, writes nothing (CI checks it still works)
 *
 * Options: --out FILE (report path; with --smoke nothing is written unless given), --data DIR (default
 * ../shared/data, else data/samples), --naive-full (send every naive score transaction instead of a sample above
 * 6,000 per round), --skip-node, --skip-offchain, --skip-onchain, --skip-ipfs, --node-tasks N (tasks of the node round,
 * default 1,000). The node round runs twice in the same run, with the shared folder store and with a store folder and
 * an IPFS node per agent, and the report gives the ratio.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Command } from "commander";
import { InputError } from "../src/errors";
import { int, option } from "../src/schema";
import { runScript } from "../src/runtime";
import { renderLineChart, svgToPng } from "../src/sim/svgPlot";
import { runNodeRound, type NodeRunResult } from "./node";
import { runOffchain, type OffchainResult } from "./offchain";
import { runIpfsBench, type IpfsBenchResult } from "./ipfs";
import { runOnchain, type OnchainOptions, type OnchainResult } from "./onchain";
import { buildResult, renderReport, type BenchResult } from "./report";

const ROOT = path.join(__dirname, "..");

type Args = {
  json: boolean;
  smoke: boolean;
  out?: string;
  data: string;
  naiveFull: boolean;
  skipNode: boolean;
  skipOffchain: boolean;
  skipOnchain: boolean;
  skipIpfs: boolean;
  nodeTasks: number;
};

type Flags = { json?: boolean; smoke?: boolean; out?: string; data?: string; naiveFull?: boolean; skipNode?: boolean; skipOffchain?: boolean; skipOnchain?: boolean; skipIpfs?: boolean; nodeTasks?: number };

/** Defaults that depend on other flags: the data folder, the report path, the node run (never in smoke mode). */
function argsOf(o: Flags): Args {
  const smoke = o.smoke ?? false;
  const shared = path.join(ROOT, "..", "shared", "data");
  const data = o.data ?? (fs.existsSync(path.join(shared, "evouna-tq-dev.jsonl")) ? shared : path.join(ROOT, "data", "samples"));
  if (!fs.existsSync(data)) throw new InputError(`--data ${data} does not exist`);
  return {
    json: o.json ?? false,
    smoke,
    out: o.out ?? (smoke ? undefined : path.join(ROOT, "docs", "performance.md")),
    data,
    naiveFull: o.naiveFull ?? false,
    skipNode: (o.skipNode ?? false) || smoke,
    skipOffchain: o.skipOffchain ?? false,
    skipOnchain: o.skipOnchain ?? false,
    skipIpfs: o.skipIpfs ?? false,
    nodeTasks: o.nodeTasks ?? 1_000,
  };
}

/** Sizes: the issue's in full mode; a few seconds' worth in smoke mode. */
function onchainOptions(a: Args, progress: (l: string) => void): OnchainOptions {
  if (a.smoke) {
    return { evaluators: 8, nodes: 3, tasks: [20, 60], ks: [3], baseTasks: 20, baseK: 3, naiveMaxTxs: 60, naiveSample: 30, progress };
  }
  return {
    evaluators: 50,
    nodes: 10,
    tasks: [100, 1_000, 10_000],
    ks: [3, 5, 7, 9, 11],
    baseTasks: 1_000,
    baseK: 5,
    naiveMaxTxs: a.naiveFull ? Number.MAX_SAFE_INTEGER : 6_000,
    naiveSample: 2_000,
    progress,
  };
}

/** Data files for the node run (the demo replays them). */
function demoData(dataDir: string): string[] {
  const evouna = path.join(dataDir, "evouna-tq-dev.jsonl");
  if (fs.existsSync(evouna)) return [evouna];
  return fs
    .readdirSync(dataDir)
    .filter((f) => f.endsWith(".jsonl"))
    .map((f) => path.join(dataDir, f));
}

function writePlots(result: BenchResult, dir: string): string[] {
  fs.mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  for (const [name, plot] of Object.entries(result.plots)) {
    const svg = renderLineChart(plot);
    fs.writeFileSync(path.join(dir, `${name}.svg`), svg);
    files.push(`${name}.svg`);
    const png = svgToPng(svg);
    if (png) {
      fs.writeFileSync(path.join(dir, `${name}.png`), png);
      files.push(`${name}.png`);
    }
  }
  return files;
}

async function main(flags: Flags) {
  const args = argsOf(flags);
  const progress = (l: string) => process.stderr.write(`${l}\n`);
  const started = Date.now();
  const load: number[] = [];
  const sampleLoad = () => load.push(os.loadavg()[0]);
  sampleLoad();
  const timer = setInterval(sampleLoad, 5_000);
  timer.unref();

  let onchain: OnchainResult | undefined;
  if (!args.skipOnchain) {
    progress("on-chain: in-process Hardhat chain");
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const hre = require("hardhat");
    await hre.run("compile", { quiet: true });
    onchain = await runOnchain(hre, onchainOptions(args, progress));
  }
  let offchain: OffchainResult | undefined;
  if (!args.skipOffchain) {
    offchain = await runOffchain({
      dataDir: args.data,
      limit: args.smoke ? 120 : undefined,
      consensus: args.smoke ? { tasks: 500, k: 3, evaluators: 50, nodes: 10, accounts: 500 } : undefined,
      progress,
    });
  }
  let ipfs: IpfsBenchResult | undefined;
  if (!args.skipIpfs) ipfs = await runIpfsBench({ outputs: args.smoke ? 200 : 1_000, repeats: args.smoke ? 1 : 3, progress });
  let node: NodeRunResult | undefined;
  let nodeHelia: NodeRunResult | undefined;
  if (!args.skipNode) {
    // The same round on the shared folder store and with an IPFS node per agent, one after the other.
    node = await runNodeRound({ tasks: args.nodeTasks, dataFiles: demoData(args.data), content: "folder", progress });
    try {
      nodeHelia = await runNodeRound({ tasks: args.nodeTasks, dataFiles: demoData(args.data), content: "helia", progress });
      progress(`  node round: ${(node.roundMs / 1000).toFixed(1)} s on the shared folder, ${(nodeHelia.roundMs / 1000).toFixed(1)} s with an IPFS node per agent (${(nodeHelia.roundMs / node.roundMs).toFixed(2)}x; ${nodeHelia.commits} evaluators committed, ${nodeHelia.unavailable} outputs reported unavailable)`);
    } catch (e) {
      // The folder round still goes into the report; the failure is said here and leaves the IPFS row out.
      progress(`  node round with an IPFS node per agent FAILED: ${(e as Error).message.split("\n")[0]}`);
    }
  }
  clearInterval(timer);
  sampleLoad();

  const result = buildResult({
    onchain,
    offchain,
    node,
    nodeHelia,
    ipfs,
    meta: {
      smoke: args.smoke,
      date: new Date().toISOString(),
      durationS: Math.round((Date.now() - started) / 1000),
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? "unknown",
      loadAverage: Math.round((load.reduce((s, x) => s + x, 0) / load.length) * 10) / 10,
      node: process.version,
      dataDir: path.relative(ROOT, args.data),
    },
  });
  if (args.out) {
    const plotDir = path.join(path.dirname(args.out), "performance");
    writePlots(result, plotDir);
    fs.writeFileSync(args.out, renderReport(result, path.relative(path.dirname(args.out), plotDir)));
    progress(`wrote ${path.relative(process.cwd(), args.out)} and ${path.relative(process.cwd(), plotDir)}/`);
  }
  for (const t of result.targets) progress(`${t.met ? "met   " : "MISSED"}  ${t.name}: ${t.value}`);
  if (args.json) {
    const { plots: _plots, detail: _detail, ...json } = result;
    process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
  }
}

runScript(
  new Command("bench")
    .description("gas and throughput benchmarks, written to docs/performance.md")
    .option("--json", "also print the machine-readable result on stdout")
    .option("--smoke", "small sizes, under a minute, writes nothing unless --out is given")
    .option("--out <file>", "report path (default docs/performance.md; none with --smoke)")
    .option("--data <dir>", "logged outputs (default ../shared/data, else data/samples)")
    .option("--naive-full", "send every naive score transaction instead of a sample above 6,000 per round")
    .option("--skip-node", "skip the node round (both content kinds)")
    .option("--node-tasks <n>", "tasks of the node round (default 1,000)", option(int(1), "--node-tasks"))
    .option("--skip-offchain", "skip the off-chain measures")
    .option("--skip-onchain", "skip the on-chain gas runs")
    .option("--skip-ipfs", "skip the IPFS publish-and-fetch run")
    .action(main),
);
