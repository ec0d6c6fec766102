/**
 * Turns the measurements into the machine-readable result (`--json`) and docs/performance.md. Every number in the
 * report comes from the run; the prose around them is chosen by comparing the numbers, never typed in.
 */
import { renderIpfsTable, type IpfsBenchResult } from "./ipfs";
import type { NodeRunResult } from "./node";
import type { OffchainResult } from "./offchain";
import type { NaiveGas, OnchainResult, RoundGas } from "./onchain";
import type { LineChart as Plot } from "../src/sim/svgPlot";

export type Meta = {
  smoke: boolean;
  date: string;
  durationS: number;
  cpus: number;
  cpuModel: string;
  loadAverage: number;
  node: string;
  dataDir: string;
};

export type Target = { name: string; target: string; value: string; met: boolean };

export type BenchResult = {
  gas: Record<string, number>;
  gasPerScoredPair: Record<string, number>;
  naiveGasPerScoredPair: Record<string, number>;
  offchain: Record<string, number>;
  /** Gas per scored pair by reveal path (batched signed reveals, per-evaluator reveals). */
  gasPerScoredPairByPath: { batch: Record<string, number>; direct: Record<string, number> };
  /** The default path plus every rewarded account claiming once per round (steady state: repeat claims). */
  gasPerScoredPairWithClaims: Record<string, number>;
  /** Naive gas per scored pair over PoQ's (default path, claims excluded). */
  naiveRatio: Record<string, number>;
  /** The relayers' own transactions per round (register, propose, settle, finalize; not relayed reveals). */
  relayerGasPerRound: Record<string, number>;
  /** Total on-chain gas of a round (default path, claims excluded). */
  roundGas: Record<string, number>;
  defaultRevealPath: "batch" | "direct" | null;
  targets: Target[];
  meta: Meta & {
    evaluators?: number;
    nodes?: number;
    hardfork?: string;
    /** The node round with the shared folder store, and the same round with a store folder and an IPFS node per agent. */
    relayerWallTime?: NodeRunResult;
    relayerWallTimeHelia?: NodeRunResult;
  };
  plots: Record<string, Plot>;
  /** Raw rows for the report (not printed with --json). */
  detail?: { onchain?: OnchainResult; offchain?: OffchainResult; ipfs?: IpfsBenchResult };
};

const n = (x: bigint | number): number => Number(x);
const fmt = (x: bigint | number, digits = 0): string => n(x).toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
const key = (r: { tasks: number; k: number }) => `${r.tasks}x${r.k}`;
const perPair = (gas: bigint, pairs: number) => Math.round(n(gas) / pairs);
const median = (xs: bigint[]): bigint => {
  const s = [...xs].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return s.length ? s[s.length >> 1] : 0n;
};
const max = (xs: bigint[]): bigint => xs.reduce((a, b) => (b > a ? b : a), 0n);
const secs = (ms: number) => `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
const ratio2 = (a: number, b: number) => Math.round((a / b) * 100) / 100;

/** The IPFS round's times over the folder round's: registration to finalization, and the whole demo call. */
function heliaRatio(folder: NodeRunResult, helia: NodeRunResult): { round: number; demo: number } {
  return { round: ratio2(helia.roundMs, folder.roundMs), demo: ratio2(helia.demoMs, folder.demoMs) };
}

/** The base configuration of the sweeps: the task count and k present in both. */
function baseOf(rounds: RoundGas[]): { tasks: number; k: number } {
  const tasks = new Map<number, number>();
  for (const r of rounds) tasks.set(r.tasks, (tasks.get(r.tasks) ?? 0) + 1);
  const t = [...tasks.entries()].sort((a, b) => b[1] - a[1])[0][0];
  const ks = new Map<number, number>();
  for (const r of rounds) ks.set(r.k, (ks.get(r.k) ?? 0) + 1);
  const k = [...ks.entries()].sort((a, b) => b[1] - a[1])[0][0];
  return { tasks: t, k };
}

/** The goal for a round with an IPFS node per agent, as a multiple of the same round on the shared folder store. */
export const HELIA_ROUND_GOAL = 2;

export function buildResult(input: { onchain?: OnchainResult; offchain?: OffchainResult; node?: NodeRunResult; nodeHelia?: NodeRunResult; ipfs?: IpfsBenchResult; meta: Meta }): BenchResult {
  const { onchain, offchain, node, nodeHelia, ipfs, meta } = input;
  const res: BenchResult = {
    gas: {},
    gasPerScoredPair: {},
    naiveGasPerScoredPair: {},
    offchain: {},
    gasPerScoredPairByPath: { batch: {}, direct: {} },
    gasPerScoredPairWithClaims: {},
    naiveRatio: {},
    relayerGasPerRound: {},
    roundGas: {},
    defaultRevealPath: null,
    targets: [],
    meta: { ...meta },
    plots: {},
    detail: { onchain, offchain, ipfs },
  };

  if (onchain) {
    const base = baseOf(onchain.rounds);
    const at = (mode: "batch" | "direct", c = base) => onchain.rounds.find((r) => r.mode === mode && r.tasks === c.tasks && r.k === c.k)!;
    const batchBase = at("batch");
    const directBase = at("direct");
    res.defaultRevealPath = batchBase.total <= directBase.total ? "batch" : "direct";
    const def = res.defaultRevealPath;
    for (const r of onchain.rounds) {
      res.gasPerScoredPairByPath[r.mode][key(r)] = perPair(r.total, r.pairs);
      if (r.mode !== def) continue;
      res.gasPerScoredPair[key(r)] = perPair(r.total, r.pairs);
      res.gasPerScoredPairWithClaims[key(r)] = perPair(r.total + r.claims, r.pairs);
      res.relayerGasPerRound[key(r)] = n(r.relayer);
      res.roundGas[key(r)] = n(r.total);
    }
    for (const nv of onchain.naive) {
      res.naiveGasPerScoredPair[key(nv)] = perPair(nv.total, nv.pairs);
      const ours = res.gasPerScoredPair[key(nv)];
      if (ours) res.naiveRatio[key(nv)] = Math.round((n(nv.total) / nv.pairs / ours) * 10) / 10;
    }
    const g = res.gas;
    const b = def === "batch" ? batchBase : directBase;
    const tx = (r: RoundGas, name: string) => (r.txs[name] ?? []).map((t) => t.gasUsed);
    g[`registerTasks (${base.tasks} tasks)`] = n(median(tx(b, "registerTasks")));
    g["proposeAssignment (first vote)"] = n(median(tx(b, "proposeAssignment")));
    g["proposeAssignment (quorum vote)"] = n(median(tx(b, "proposeAssignmentQuorum")));
    g["commitScores"] = n(median(tx(b, "commitScores")));
    const perEval = Math.round((base.tasks * base.k) / directBase.evaluators);
    g[`revealScores (about ${perEval} scores)`] = n(median(tx(directBase, "revealScores")));
    g[`revealScoresBatch (${batchBase.evaluators} reveals)`] = n(batchBase.reveals);
    g["revealScoresBatch, per reveal (net of the 21,000 transaction base)"] = Math.round((n(batchBase.reveals) - 21_000 * batchBase.revealTxs) / batchBase.evaluators);
    g["commitSettlement"] = n(median(tx(b, "commitSettlement")));
    g["revealSettlement (first reveal)"] = n(median(tx(b, "revealSettlement")));
    g["revealSettlement (quorum reveal)"] = n(median(tx(b, "revealSettlementQuorum")));
    g["finalize (no slashes)"] = n(median(tx(b, "finalize")));
    const first = tx(onchain.warmup, "claimFirst");
    g["claim, first (median)"] = n(median(first));
    g["claim, first (max)"] = n(max(first));
    const repeat = onchain.rounds.flatMap((r) => tx(r, "claimRepeat"));
    g["claim, repeat (median)"] = n(median(repeat));
    g["claim, repeat (max)"] = n(max(repeat));
    const nb = onchain.naive.find((x) => x.tasks === base.tasks && x.k === base.k)!;
    g["naive registerTasks"] = n(nb.registerTasks);
    g["naive submitScore (median)"] = n(nb.scoreTx.median);
    g[`naive pushRewards (${nb.accounts} accounts)`] = n(nb.pushRewards);
    res.meta.evaluators = onchain.evaluators;
    res.meta.nodes = onchain.nodes;
    res.meta.hardfork = onchain.hardfork;

    const taskRounds = (mode: string) => onchain.rounds.filter((r) => r.mode === mode && r.k === base.k).sort((a, c) => a.tasks - c.tasks);
    const kRounds = (mode: string) => onchain.rounds.filter((r) => r.mode === mode && r.tasks === base.tasks).sort((a, c) => a.k - c.k);
    const naiveT = onchain.naive.filter((x) => x.k === base.k).sort((a, c) => a.tasks - c.tasks);
    const naiveK = onchain.naive.filter((x) => x.tasks === base.tasks).sort((a, c) => a.k - c.k);
    const pts = (rs: RoundGas[], x: (r: RoundGas) => number, y: (r: RoundGas) => number): [number, number][] => rs.map((r) => [x(r), y(r)]);
    const nPts = (rs: NaiveGas[], x: (r: NaiveGas) => number): [number, number][] => rs.map((r) => [x(r), n(r.total) / r.pairs]);
    const pairY = (r: RoundGas) => n(r.total) / r.pairs;
    const claimY = (r: RoundGas) => n(r.total + r.claims) / r.pairs;
    /** Gas per scored pair along one axis: both reveal modes, the default with every claim, and the naive baseline. */
    const pairSeries = (rounds: (mode: string) => RoundGas[], naive: NaiveGas[], x: (r: { tasks: number; k: number }) => number) => [
      { name: "PoQ, batched signed reveals", points: pts(rounds("batch"), x, pairY) },
      { name: "PoQ, per-evaluator reveals", points: pts(rounds("direct"), x, pairY) },
      { name: "PoQ default + all claims", points: pts(rounds(def), x, claimY), dashed: true },
      { name: "naive baseline", points: nPts(naive, x) },
    ];
    res.plots["gas-per-pair-vs-tasks"] = {
      title: `Gas per scored pair vs tasks (k = ${base.k}, ${onchain.evaluators} evaluators)`,
      xLabel: "tasks per round",
      yLabel: "gas per scored (task, evaluator) pair",
      xLog: true,
      yLog: true,
      series: pairSeries(taskRounds, naiveT, (r) => r.tasks),
    };
    res.plots["gas-per-pair-vs-k"] = {
      title: `Gas per scored pair vs k (${base.tasks} tasks, ${onchain.evaluators} evaluators)`,
      xLabel: "evaluators per task (k)",
      yLabel: "gas per scored (task, evaluator) pair",
      yLog: true,
      series: pairSeries(kRounds, naiveK, (r) => r.k),
    };
    res.plots["gas-per-round-vs-tasks"] = {
      title: `Gas per round vs tasks (k = ${base.k}, ${onchain.evaluators} evaluators)`,
      xLabel: "tasks per round",
      yLabel: "gas per round",
      xLog: true,
      yLog: true,
      series: [
        { name: "PoQ round, default path", points: pts(taskRounds(def), (r) => r.tasks, (r) => n(r.total)) },
        { name: "relayers' own transactions", points: pts(taskRounds(def), (r) => r.tasks, (r) => n(r.relayer)) },
        { name: "evaluator commits", points: pts(taskRounds(def), (r) => r.tasks, (r) => n(r.commits)) },
        { name: "reveals", points: pts(taskRounds(def), (r) => r.tasks, (r) => n(r.reveals)) },
        { name: "naive baseline round", points: naiveT.map((r) => [r.tasks, n(r.total)] as [number, number]) },
      ],
    };

    if (!meta.smoke) {
      const pair = res.gasPerScoredPair[key(base)];
      const ratio = res.naiveRatio[key(base)];
      res.targets.push({ name: `gas per scored pair, ${fmt(base.tasks)} tasks x k = ${base.k}`, target: "≤ 1,500", value: fmt(pair), met: pair <= 1_500 });
      res.targets.push({ name: `naive baseline / PoQ, same run, ${fmt(base.tasks)} tasks x k = ${base.k}`, target: "≥ 30x", value: `${ratio}x`, met: ratio >= 30 });
      const relayer = taskRounds(def).map((r) => n(r.relayer));
      const spread = Math.max(...relayer) / Math.min(...relayer) - 1;
      res.targets.push({
        name: `relayer gas per round, ${fmt(taskRounds(def)[0].tasks)} to ${fmt(taskRounds(def).at(-1)!.tasks)} tasks`,
        target: "flat within 10%",
        value: `${fmt(Math.min(...relayer))} to ${fmt(Math.max(...relayer))} (${(spread * 100).toFixed(2)}%)`,
        met: spread <= 0.1,
      });
      res.targets.push({ name: "claim, repeat (an account that claimed before)", target: "≤ 75,000", value: `${fmt(g["claim, repeat (median)"])} (max ${fmt(g["claim, repeat (max)"])})`, met: g["claim, repeat (max)"] <= 75_000 });
      res.targets.push({
        name: `claim, first (new account, ${onchain.accounts}-account tree)`,
        target: "≤ 75,000",
        value: `${fmt(g["claim, first (median)"])} (max ${fmt(g["claim, first (max)"])})`,
        met: g["claim, first (max)"] <= 75_000,
      });
    }
  }

  if (offchain) {
    res.offchain = { ...offchain.measures };
    if (!meta.smoke) {
      const m = offchain.measures;
      const s = offchain.consensusSizes;
      const time = (cpu: number, wall: number, limit: number) => ({ value: `${secs(cpu)} CPU (${secs(wall)} wall)`, met: cpu <= limit });
      const audit = time(m["audit.cpuMs"], m["audit.ms"], 10_000);
      res.targets.push({ name: `audit of ${fmt(m["audit.outputs"])} outputs`, target: "≤ 10 s", ...audit });
      const size = `${s.tasks}x${s.k}`;
      const core = time(m[`consensus.consensusTrustRewards.${size}.cpuMs`], m[`consensus.consensusTrustRewards.${size}.ms`], 1_000);
      res.targets.push({ name: `consensus, trust and rewards, ${fmt(s.tasks)} tasks x k = ${s.k}`, target: "≤ 1 s", ...core });
      const mk = time(m[`consensus.merkleTreeAndAllProofs.${s.accounts}accounts.cpuMs`], m[`consensus.merkleTreeAndAllProofs.${s.accounts}accounts.ms`], 2_000);
      res.targets.push({ name: `rewards sum tree and every proof, ${fmt(s.accounts)} accounts`, target: "≤ 2 s", ...mk });
    }
  }

  if (ipfs) {
    const at = `ipfs.${ipfs.outputs}outputs`;
    for (const [store, f] of [["helia", ipfs.helia], ["folder", ipfs.folder]] as const) {
      res.offchain[`${at}.${store}.publish.ms`] = f.publishMs;
      res.offchain[`${at}.${store}.fetch.ms`] = f.fetchMs;
      res.offchain[`${at}.${store}.cpuMs`] = f.cpuMs;
      res.offchain[`${at}.${store}.fetchedPerS`] = f.fetchPerS;
    }
    res.offchain[`${at}.ratioToFolder`] = ipfs.ratio.total;
    res.offchain["ipfs.payload1MB.fetch.ms"] = ipfs.payload.fetchMs;
  }

  if (node) {
    res.offchain[`relayer.round${node.tasks}.ms`] = Math.round(node.roundMs);
    res.meta.relayerWallTime = node;
    if (!meta.smoke) {
      res.targets.push({ name: `relayer wall time, ${fmt(node.tasks)}-task round on a local node`, target: "< 60 s", value: secs(node.roundMs), met: node.roundMs < 60_000 });
    }
  }
  if (nodeHelia) {
    res.offchain[`relayer.round${nodeHelia.tasks}.helia.ms`] = Math.round(nodeHelia.roundMs);
    res.meta.relayerWallTimeHelia = nodeHelia;
    if (node && node.tasks === nodeHelia.tasks) {
      const ratio = heliaRatio(node, nodeHelia);
      res.offchain[`relayer.round${node.tasks}.heliaRatio`] = ratio.round;
      res.offchain[`relayer.round${node.tasks}.heliaDemoRatio`] = ratio.demo;
      if (!meta.smoke) {
        res.targets.push({
          name: `${fmt(node.tasks)}-task round with an IPFS node per agent, against the shared folder`,
          target: `<= ${HELIA_ROUND_GOAL}x`,
          value: `${ratio.round.toFixed(2)}x (${secs(nodeHelia.roundMs)})`,
          met: ratio.round <= HELIA_ROUND_GOAL && nodeHelia.commits > 0,
        });
      }
    }
  }
  return res;
}

/* REPORT */

function table(head: string[], align: string[], rows: (string | number)[][]): string {
  return [`| ${head.join(" | ")} |`, `|${align.join("|")}|`, ...rows.map((r) => `| ${r.join(" | ")} |`)].join("\n");
}

export function renderReport(res: BenchResult, plotDir: string): string {
  const { meta } = res;
  const on = res.detail?.onchain;
  const off = res.detail?.offchain;
  const out: string[] = [];
  out.push(
    "# Performance",
    "",
    "Generated by `npm run bench` (`bench/run.ts`); do not edit by hand. Every number below comes from one run on one",
    "machine: gas from transaction receipts on an in-process Hardhat chain, time from this process's clocks.",
    "",
    `Run: ${meta.date.slice(0, 16).replace("T", " ")} UTC, ${meta.durationS} s; Node.js ${meta.node}; ${meta.cpus} CPU cores (${meta.cpuModel}), shared: load`,
    `average ${meta.loadAverage} during the run${on ? `; EVM hardfork ${on.hardfork} (solc 0.8.28, optimizer 10,000 runs, EVM target cancun)` : ""}.`,
    "",
  );

  if (res.targets.length) {
    out.push("## Targets", "", table(["target", "required", "measured", "met"], ["---", "---:", "---:", ":---:"], res.targets.map((t) => [t.name, t.target, t.value, t.met ? "yes" : "**no**"])), "");
    const missed = res.targets.filter((t) => !t.met);
    out.push(missed.length ? `Missed: ${missed.map((t) => t.name).join("; ")}. See the sections below.` : "Every target is met.", "");
    out.push(
      "Times are judged on CPU time: the machine is shared, and with a load average near",
      `${meta.loadAverage} on ${meta.cpus} cores a wall clock measures the other jobs as much as the code; CPU time is what the work costs`,
      "(on an idle core the two agree for this single-threaded code). Wall times are reported beside them.",
      "",
    );
  }

  if (on) {
    const base = baseOf(on.rounds);
    const bk = `${base.tasks}x${base.k}`;
    const def = res.defaultRevealPath!;
    const at = (mode: string, t: number, k: number) => on.rounds.find((r) => r.mode === mode && r.tasks === t && r.k === k)!;
    const b = at(def, base.tasks, base.k);
    const batch = at("batch", base.tasks, base.k);
    const direct = at("direct", base.tasks, base.k);
    const nb = on.naive.find((x) => x.tasks === base.tasks && x.k === base.k)!;

    out.push(
      "## Setup",
      "",
      `${on.evaluators} evaluators (stakes 1,000 to ${fmt(1_000 + 20 * (on.evaluators - 1))} tokens), ${on.nodes} inference nodes, 2 relayers with quorum 2. Each`,
      "round: the registrar registers the task batch, both relayers propose the stake-weighted assignment",
      "(`src/consensus/assignment.ts`, from the round's seed), every assigned evaluator commits, then reveals (below: two",
      "paths), both relayers commit and reveal the settlement (a rewards tree over every account, no slashes), and the",
      "round is finalized; then every rewarded account claims. Scores are spread over 2,000 to 10,000 (two nonzero bytes",
      "each, as real qualities). Every account already holds tokens, as in production. A warm-up round pays every",
      "account's first claim, so the measured rounds see repeat claims. Each configuration runs twice, once per reveal path:",
      "",
      "- **batched signed reveals** (`revealScoresBatch`): each evaluator signs its reveal (EIP-712) and a relayer submits",
      "  all of them in one transaction (split at 120 KB of calldata);",
      "- **per-evaluator reveals** (`revealScores`): each evaluator sends its own reveal transaction.",
      "",
      `Gas per scored pair = round gas / (tasks x k), where round gas = registerTasks + 2 proposeAssignment + every commit +`,
      "every reveal + 2 commitSettlement + 2 revealSettlement + finalize. **Claims are not included** unless a column says",
      "so; the claims column adds one claim by every rewarded account in every round (an upper bound: cumulative claims let",
      "an account claim every tenth round, say, for a tenth of that). Funding a round (`fundRound`) is not included.",
      "",
      `Default reveal path: **${def === "batch" ? "batched signed reveals" : "per-evaluator reveals"}**, the cheaper one at ${fmt(base.tasks)} tasks x k = ${base.k}`,
      `(${fmt(res.gasPerScoredPairByPath.batch[bk])} against ${fmt(res.gasPerScoredPairByPath.direct[bk])} gas per pair); the agents use it (evaluators publish signed`,
      "reveals, the registrar relayer batches them; an evaluator whose reveal is not relayed in time reveals by itself).",
      "",
      "## Gas per operation",
      "",
      `From the ${fmt(base.tasks)}-task, k = ${base.k} rounds (medians over the round's transactions; \`receipt.gasUsed\`, which includes the`,
      "21,000 base cost and calldata).",
      "",
      table(["operation", "gas"], ["---", "---:"], Object.entries(res.gas).map(([k, v]) => [k, fmt(v)])),
      "",
      "## Scaling",
      "",
      `### With the number of tasks (k = ${base.k})`,
      "",
    );
    const rowsFor = (rs: { tasks: number; k: number }[]) =>
      rs.map((c) => {
        const k = `${c.tasks}x${c.k}`;
        const r = at(def, c.tasks, c.k);
        const nv = on.naive.find((x) => x.tasks === c.tasks && x.k === c.k);
        return [
          fmt(c.tasks),
          c.k,
          fmt(c.tasks * c.k),
          fmt(r.total),
          `**${fmt(res.gasPerScoredPairByPath.batch[k])}**`,
          fmt(res.gasPerScoredPairByPath.direct[k]),
          fmt(res.gasPerScoredPairWithClaims[k]),
          nv ? `${fmt(res.naiveGasPerScoredPair[k])}${nv.sampled ? "*" : ""}` : "",
          nv ? `${res.naiveRatio[k]}x` : "",
          fmt(r.relayer),
        ];
      });
    const head = ["tasks", "k", "scored pairs", "round gas", "per pair, batched", "per pair, per-evaluator reveals", "per pair + claims", "naive per pair", "naive / PoQ", "relayer gas"];
    const align = ["---:", "---:", "---:", "---:", "---:", "---:", "---:", "---:", "---:", "---:"];
    const taskCfg = [...new Set(on.rounds.filter((r) => r.k === base.k).map((r) => r.tasks))].sort((x, y) => x - y).map((tasks) => ({ tasks, k: base.k }));
    const kCfg = [...new Set(on.rounds.filter((r) => r.tasks === base.tasks).map((r) => r.k))].sort((x, y) => x - y).map((k) => ({ tasks: base.tasks, k }));
    out.push(table(head, align, rowsFor(taskCfg)), "", `### With k (${fmt(base.tasks)} tasks)`, "", table(head, align, rowsFor(kCfg)), "");
    const sampled = on.naive.filter((x) => x.sampled);
    out.push(
      `Round gas and "relayer gas" are for the default path. "Relayer gas" is the relayers' own protocol transactions`,
      "(register, 2 proposals, 2 settlement commits, 2 settlement reveals, finalize); relayed reveal batches are in the round",
      "gas. It does not grow with the batch: the chain sees a task root, an assignment root and a settlement, never tasks.",
      sampled.length
        ? `\n\\* Naive rounds above ${fmt(on.naive.filter((x) => !x.sampled).reduce((m, x) => Math.max(m, x.pairs), 0))} score transactions sent an evenly spread sample of real transactions (${sampled.map((x) => `${fmt(x.scoreTxsSent)} of ${fmt(x.pairs)} at ${fmt(x.tasks)} x ${x.k}`).join(", ")}) and scale the sample's gas to every pair; a naive score transaction costs ${fmt(Math.min(...on.naive.map((x) => n(x.scoreTx.min))))} to ${fmt(Math.max(...on.naive.map((x) => n(x.scoreTx.max))))} gas whatever the task, so the sample is exact to a few gas. \`--naive-full\` sends them all.`
        : "",
      "",
    );
    for (const name of Object.keys(res.plots)) out.push(`![${name}](${plotDir}/${name}.svg) ([PNG](${plotDir}/${name}.png))`, "");

    // Where the gas goes.
    const P = b.pairs;
    const E = b.evaluators;
    const commitMed = median((b.txs.commitScores ?? []).map((t) => t.gasUsed));
    const parts: [string, bigint][] = [
      [`evaluator commits (${E} transactions)`, b.commits],
      [def === "batch" ? `reveals (${b.revealTxs} batch transaction${b.revealTxs > 1 ? "s" : ""}, ${E} reveals)` : `reveals (${E} transactions)`, b.reveals],
      ["registerTasks", b.registerTasks],
      ["proposeAssignment x 2", b.proposeAssignment],
      ["commitSettlement x 2", b.commitSettlement],
      ["revealSettlement x 2", b.revealSettlement],
      ["finalize", b.finalize],
    ];
    out.push(
      `## Where the gas goes (${fmt(base.tasks)} tasks x k = ${base.k}, ${fmt(P)} scored pairs)`,
      "",
      table(
        ["part", "gas", "share", "per scored pair"],
        ["---", "---:", "---:", "---:"],
        [...parts.map(([k, v]) => [k, fmt(v), `${((n(v) / n(b.total)) * 100).toFixed(1)}%`, fmt(n(v) / P, 1)]), ["**round**", `**${fmt(b.total)}**`, "100%", `**${fmt(n(b.total) / P, 1)}**`], [`claims (${b.claimCount}, not in the round)`, fmt(b.claims), "", fmt(n(b.claims) / P, 1)]],
      ),
      "",
    );
    const batchTx = batch.txs.revealScoresBatch ?? [];
    const perReveal = (n(batch.reveals) - 21_000 * batchTx.length) / batch.evaluators;
    const directPer = n(direct.reveals) / direct.evaluators;
    const floorBound = batchTx.filter((t) => t.gasUsed <= t.floor).length;
    const bytesPerReveal = batchTx.reduce((s, t) => s + t.bytes, 0) / batch.evaluators;
    const commitBase = 21_000;
    const commitStore = 22_100;
    out.push(
      "### Toward the floor",
      "",
      `A transaction per evaluator and phase costs at least 21,000 gas, whatever it carries. With ${E} evaluators and about`,
      `${fmt(P / E)} scores each, one such transaction per evaluator is ${fmt((21_000 * E) / P, 0)} gas per scored pair; the issue's floor of about 500`,
      "counts two (a commit and a reveal) plus the scores' calldata. The batched signed reveal removes the second one:",
      "",
      `- a reveal in a batch costs ${fmt(perReveal)} gas (${fmt(bytesPerReveal)} bytes of calldata: ${fmt(P / E)} scores, salt, tasks hash, the`,
      "  assignment proof and a 64-byte signature; one signature check of about 3,700 gas; the commitment read and overwritten; the",
      `  \`ScoresRevealed\` event), against ${fmt(directPer)} for the evaluator's own \`revealScores\` transaction: ${fmt(directPer - perReveal)} gas saved per evaluator,`,
      `  ${fmt(n(direct.total - batch.total) / P, 0)} per scored pair (${(((n(direct.total) - n(batch.total)) / n(direct.total)) * 100).toFixed(0)}% of the round);`,
      `- ${floorBound === 0 ? "no batch transaction is bound by the EIP-7623 calldata floor (10 gas per calldata token): execution (signature checks, storage, the event) costs more than the floor" : `${floorBound} of ${batchTx.length} batch transactions pay the EIP-7623 calldata floor`};`,
      `- what remains per evaluator is the commit: ${fmt(commitMed)} gas, of which ${fmt(commitBase)} is the transaction and ${fmt(commitStore)} the new`,
      `  storage slot for the commitment (zero to nonzero); commits are now ${((n(b.commits) / n(b.total)) * 100).toFixed(0)}% of the round, ${fmt(n(b.commits) / P, 0)} gas per scored pair.`,
      "",
      "Further levers, estimated from the same measurements (not built):",
      "",
      `- batched signed commits (an evaluator signs its commitment, a relayer submits many): saves about the transaction`,
      `  base net of a signature check and its calldata, about 16,000 gas per evaluator, ${fmt((16_000 * E) / P, 0)} per scored pair here; it adds a`,
      "  censorship point at commit time (an evaluator can still commit by itself) and contract size (the settlement",
      `  contract's code is ${fmt(on.settlementBytes)} of the 24,576 bytes allowed);`,
      "- one assignment multiproof per batch instead of a proof per reveal: saves most of the proof calldata and hashing,",
      `  about 3,500 gas per evaluator, ${fmt((3_500 * E) / P, 0)} per scored pair here.`,
      "",
      "The per-score part is small: a score is 2 bytes of calldata (32 gas, or 80 at the calldata floor) plus 16 gas of event",
      "data, so the round's cost per pair falls with the scores per evaluator (tasks x k / evaluators) toward those 48 to 96",
      "gas per pair; the tables above show it.",
      "",
    );

    // Claims.
    const g = res.gas;
    out.push(
      "## Claims",
      "",
      table(
        ["claim", "median", "max"],
        ["---", "---:", "---:"],
        [
          [`first claim of an account (warm-up round, ${on.accounts}-account tree, proofs of ${Math.floor(Math.log2(on.accounts))} or ${Math.ceil(Math.log2(on.accounts))} hashes)`, fmt(g["claim, first (median)"]), fmt(g["claim, first (max)"])],
          ["repeat claim (every later round)", fmt(g["claim, repeat (median)"]), fmt(g["claim, repeat (max)"])],
        ],
      ),
      "",
      `A first claim costs about ${fmt(g["claim, first (median)"] - g["claim, repeat (median)"])} gas more than a repeat one: the account's \`claimed\` slot goes from zero to`,
      "nonzero (22,100 instead of 5,000). Its fixed parts are the EVM's (Cancun/Prague prices): 21,000 transaction,",
      "22,100 new `claimed` slot, 2,100 cold root, about 16,500 for the token `transfer` (cold call, two balances, its event),",
      "2,000 for the `Claimed` event, and about 760 per proof level (32 bytes of calldata and a hash). Nothing else: the",
      "bound \"total claims ≤ total allocations\" costs a claim nothing, because unsettled and unallocated funds sit in a",
      "separate `RewardVault` and a settlement moves exactly its allocation to the distributor (in `finalize`, once per",
      "round); claims pay from the distributor's balance alone (docs/gas.md).",
      "",
      g["claim, first (max)"] <= 75_000
        ? "Every first claim is within 75,000 here."
        : `A first claim at this tree size is up to ${fmt(g["claim, first (max)"] - 75_000)} gas over 75,000: each proof level adds about 760 (docs/gas.md has the curve).`,
      "",
      "## The naive baseline",
      "",
      "`bench/contracts/NaiveSettlement.sol` (compiled with the project, deployed only on the benchmark chain): a",
      "transaction per score that stores the score, and at settlement one transaction that pushes each participant's",
      `reward with a token transfer. It is a lower bound of that design: no commit-reveal, no assignment check, no quorum or`,
      `challenge. Its ${fmt(base.tasks)} x ${base.k} round: ${fmt(nb.registerTasks)} to register, ${fmt(nb.scoreTx.median)} per score transaction (21,000 transaction, 22,100`,
      `new score slot, calldata, the event), ${fmt(nb.pushRewards)} to push ${nb.accounts} rewards; ${fmt(res.naiveGasPerScoredPair[bk])} gas per scored pair, ${res.naiveRatio[bk]}x PoQ's`,
      `${fmt(res.gasPerScoredPair[bk])}. With PoQ's claims counted too (every account claiming every round, like the naive push),`,
      `the ratio is ${(res.naiveGasPerScoredPair[bk] / res.gasPerScoredPairWithClaims[bk]).toFixed(1)}x.`,
      "",
    );
  }

  if (res.detail?.ipfs) {
    out.push(
      "## Content on IPFS",
      "",
      "Outputs published on one embedded Helia node and fetched by another over loopback (TCP, noise, yamux, bitswap; each",
      "node with its own blockstore folder, every block checked against its keccak-256 CID), against today's folder store",
      "measured in the same run (one agent writes, another reads the same folder). `bench/ipfs.ts` runs it alone.",
      "",
      renderIpfsTable(res.detail.ipfs),
      "",
      meta.relayerWallTimeHelia
        ? "A whole round end to end with an IPFS node per agent, against the folder store, is in the relayer wall time below."
        : "A whole round end to end with an IPFS node per agent was not run this time (see the relayer wall time).",
      "",
    );
  }

  if (meta.relayerWallTime) {
    const w = meta.relayerWallTime;
    out.push(
      "## Relayer wall time on a local node",
      "",
      `\`hardhat node\` in its own process (a block per transaction and one per second), deployed with Ignition; the demo`,
      `engine (\`runDemo\` with \`rpcUrl\`) runs 4 inference nodes, 12 evaluators and 2 relayers against it over HTTP for one`,
      `round of ${fmt(w.tasks)} tasks (EVOUNA TriviaQA answers). Phase deadlines are skipped with the node's time controls, as the`,
      "demo does, so the time is the agents' and the node's work. From the agents' log:",
      "",
      table(["step (first time in the round)", "seconds after registerTasks"], ["---", "---:"], w.steps.map((s) => [s.step, (s.ms / 1000).toFixed(2)])),
      "",
      `Registration to finalization: **${(w.roundMs / 1000).toFixed(1)} s**; the whole demo call (staking, serving ${fmt(w.tasks)} outputs, the round,`,
      `claims, checks) took ${(w.demoMs / 1000).toFixed(1)} s with ${w.transactions} transactions; tokens conserved: ${w.conserved ? "yes" : "**no**"}.`,
      "",
    );
  }
  if (meta.relayerWallTimeHelia) {
    const h = meta.relayerWallTimeHelia;
    const f = meta.relayerWallTime && meta.relayerWallTime.tasks === h.tasks ? meta.relayerWallTime : undefined;
    const r = f ? heliaRatio(f, h) : undefined;
    const row = (what: string, x: NodeRunResult) => [what, (x.roundMs / 1000).toFixed(1), (x.demoMs / 1000).toFixed(1), fmt(x.transactions), `${x.commits} of 12`, fmt(x.unavailable), x.conserved ? "yes" : "**no**"];
    out.push(
      "### With an IPFS node per agent",
      "",
      `The same round (\`runDemo\` with \`content: "helia"\`) with no shared folder: each of the 18 agents has a store folder of its own`,
      "and an embedded Helia node on 127.0.0.1 (no bootstrap, discovery or delegated routing), every node peered with the two",
      "relayers' nodes. Inference nodes announce their signed outputs to the relayers' HTTP API (a served window in batch",
      "requests); the manifest, the outputs and the payloads reach everyone else over bitswap, found by the CIDs on chain;",
      "each evaluator fetches the batch into its own store, checks it and scores it. All 18 agents share one process and its",
      "one thread, so the work each operator does on its own machine (checking every receipt, writing and pinning every",
      "output in its own store, each evaluator checking and scoring the whole batch) adds up here; the shared folder does",
      "that work once.",
      "",
      table(
        ["content", "registerTasks to finalize (s)", "whole demo call (s)", "transactions", "evaluators committed", "outputs reported unavailable", "tokens conserved"],
        ["---", "---:", "---:", "---:", "---:", "---:", "---"],
        [...(f ? [row("shared folder store", f)] : []), row("a store folder and an IPFS node per agent", h)],
      ),
      "",
      h.commits === 0 ? "**No evaluator committed in the IPFS round**: the commit window closed before any had fetched and scored the batch, so the round settled without scores and its time is not comparable.\n" : "",
      r
        ? `Ratio to the shared folder: **${r.round.toFixed(2)}x** for the round (goal: at most ${HELIA_ROUND_GOAL}x, ${r.round <= HELIA_ROUND_GOAL ? "met" : "**missed**"}), ${r.demo.toFixed(2)}x for the whole demo call (serving and announcing ${fmt(h.tasks)} outputs included).`
        : "The shared-folder round was not run alongside, so there is no ratio this time.",
      "",
    );
  }

  if (off) {
    const m = off.measures;
    const s = off.consensusSizes;
    const size = `${s.tasks}x${s.k}`;
    const row = (what: string, name: string, per?: string) => [what, fmt(m[`${name}.ms`], 1), fmt(m[`${name}.cpuMs`], 1), per ?? ""];
    out.push(
      "## Off-chain throughput",
      "",
      table(
        ["measure", "wall ms", "CPU ms", "throughput (wall)"],
        ["---", "---:", "---:", "---:"],
        [
          [`quality audit: both dev files, 5-fold cross-validated, with references (${fmt(m["audit.outputs"])} outputs)`, fmt(m["audit.ms"], 1), fmt(m["audit.cpuMs"], 1), `${fmt(m["audit.outputsPerSecond"])} outputs/s`],
          [`scoring only: every dimension and the composite (${fmt(off.scoring.outputs)} outputs)`, fmt(m["scoring.ms"], 1), fmt(m["scoring.cpuMs"], 1), `${fmt(m["scoring.outputsPerSecond"])} outputs/s`],
          row(`consensus, trust, rewards and slashing (${fmt(s.tasks)} tasks x k = ${s.k}, ${fmt(s.evaluators)} evaluators)`, `consensus.consensusTrustRewards.${size}`),
          row("full settlement payload: + addresses, rewards and trust trees, inputs hash", `consensus.fullSettlement.${size}`),
          row(`Rewards sum tree of ${fmt(s.accounts)} accounts`, `consensus.merkleTree.${s.accounts}accounts`),
          row(`Rewards sum tree of ${fmt(s.accounts)} accounts and every proof`, `consensus.merkleTreeAndAllProofs.${s.accounts}accounts`),
          row(`stake-weighted assignment (${fmt(s.tasks * s.k)} draws; relayers and evaluators, not settlement)`, `consensus.assignment.${size}`),
        ],
      ),
      "",
      "### Hot paths",
      "",
      table(
        ["primitive", "wall ms", "CPU ms", "throughput (CPU)", "share of scoring (CPU)"],
        ["---", "---:", "---:", "---:", "---:"],
        off.hotPaths.map((h) => [
          h.what,
          fmt(h.timing.wallMs, 1),
          fmt(h.timing.cpuMs, 1),
          `${fmt(h.units / (h.timing.cpuMs / 1000))} ${h.unit}/s`,
          h.name === "median" ? "(consensus)" : `${((h.timing.cpuMs / off.scoring.cpuMs) * 100).toFixed(0)}%`,
        ]),
      ),
      "",
    );
    const scoreShare = off.scoring.cpuMs / off.audit.cpuMs;
    const biggest = off.hotPaths.filter((h) => h.name !== "median").sort((a, b) => b.timing.cpuMs - a.timing.cpuMs)[0];
    const biggestShare = biggest.timing.cpuMs / off.scoring.cpuMs;
    const timeTargets = res.targets.filter((t) => / s$/.test(t.target));
    const allTimesMet = timeTargets.length > 0 && timeTargets.every((t) => t.met);
    out.push(
      `Scoring is ${(scoreShare * 100).toFixed(0)}% of the audit's CPU time; the rest is calibration (logistic fits, AUROC with`,
      `bootstrap intervals, per fold). Of scoring, the largest text primitive is ${biggest.name} at ${(biggestShare * 100).toFixed(0)}%`,
      "(the ROUGE and LCS rows compare every output with every reference and source, more pairs than scoring compares, so",
      "they are upper bounds). These primitives were already optimized (token ids interned once per distinct text, integer",
      "n-gram keys, a two-row LCS over the shorter text, typed-array sorts).",
      biggestShare < 0.5 && allTimesMet
        ? "None of them dominates and every time target is met on CPU time, so this change leaves them as they are."
        : biggestShare >= 0.5
          ? `${biggest.name} dominates scoring: it is the first place to optimize.`
          : "None of them dominates scoring; a missed time target is not theirs to fix.",
      `The median of consensus is a sort of k values per task: ${fmt(m["median.cpuMs"], 1)} ms for ${fmt(s.tasks)} tasks.`,
      "",
    );
  }

  out.push(
    "## Reproduce",
    "",
    "```bash",
    "npm run bench                 # this report (a few minutes)",
    "npm run bench -- --json       # also the machine-readable result on stdout",
    "npm run bench -- --smoke      # small sizes in under a minute, writes nothing (test/offchain/bench-smoke.test.ts)",
    "npm run bench -- --naive-full # every naive score transaction, no sampling",
    "```",
    "",
  );
  return out.join("\n");
}
