/**
 * Off-chain throughput: the quality audit, scoring and its hot paths (tokenisation, n-gram overlap, the LCS of
 * ROUGE-L), the median of consensus, and consensus + rewards + Merkle trees for a 10,000-task round.
 */
import { medianScore } from "../src/consensus/median";
import { type LoggedOutput } from "../src/data/logged";
import { readLoggedOutputs } from "../src/data/read";
import { ngramCounts, rougeL, rougeN } from "../src/scoring/overlap";
import { defaultProfile } from "../src/scoring/profile";
import { scoreOutputs } from "../src/scoring/score";
import { Vocabulary } from "../src/scoring/text";
import { Rng } from "../src/math/prng";
import { benchAudit, benchFiles } from "./audit";
import { benchConsensus, CONSENSUS_SIZES, type ConsensusSizes } from "./consensus";
import { measure, round1, type Timing } from "./timing";

export type OffchainOptions = { dataDir: string; limit?: number; consensus?: ConsensusSizes; progress: (line: string) => void };

export type HotPath = { name: string; what: string; units: number; unit: string; timing: Timing };

export type OffchainResult = {
  measures: Record<string, number>;
  hotPaths: HotPath[];
  scoring: Timing & { outputs: number };
  audit: Timing & { outputs: number };
  consensusSizes: ConsensusSizes;
};

function loadItems(dataDir: string, limit?: number): LoggedOutput[] {
  return benchFiles(dataDir).flatMap((f) => {
    const all = readLoggedOutputs(f);
    return limit === undefined ? all : all.slice(0, limit);
  });
}

/** The scoring primitives on the dev data: each over every output (and every reference where the item has them). */
export function benchHotPaths(items: readonly LoggedOutput[], consensusTasks: number, k: number): HotPath[] {
  const texts: string[] = [];
  for (const it of items) {
    texts.push(it.output, it.query);
    if (it.context) texts.push(it.context);
    for (const r of it.references ?? []) texts.push(r);
  }
  let tokens = 0;
  const tokenize = measure(() => {
    const v = new Vocabulary();
    tokens = 0;
    for (const t of texts) tokens += v.text(t).tokens.length;
  }, 3);

  // Pairs (output, reference) over interned ids, as the semantic dimension compares them.
  const vocab = new Vocabulary();
  const pairs: [Int32Array, Int32Array][] = [];
  for (const it of items) {
    const out = vocab.text(it.output).ids;
    for (const r of it.references ?? []) pairs.push([out, vocab.text(r).ids]);
    if (it.context) pairs.push([out, vocab.text(it.context).ids]);
  }
  const refs = pairs.map(([, ref]) => ({ counts: ngramCounts(ref, 2), total: Math.max(0, ref.length - 1) }));
  const ngram = measure(() => pairs.forEach(([c], i) => rougeN(c, refs[i].counts, refs[i].total, 2)), 3, 1);
  let cells = 0;
  for (const [a, b] of pairs) cells += a.length * b.length;
  const lcs = measure(() => pairs.forEach(([a, b]) => rougeL(a, b)), 3, 1);

  const rng = Rng.of("bench-median");
  const scores = Array.from({ length: consensusTasks }, () => Array.from({ length: k }, () => rng.int(10_001)));
  const median = measure(() => scores.forEach((s) => medianScore(s)), 5, 1);

  return [
    { name: "tokenize", what: `tokenisation of every output, query, source and reference (${texts.length.toLocaleString("en-US")} texts, ${tokens.toLocaleString("en-US")} tokens)`, units: tokens, unit: "tokens", timing: tokenize },
    { name: "rouge2", what: `ROUGE-2 (clipped bigram overlap) of every (output, reference or source) pair (${pairs.length.toLocaleString("en-US")} pairs)`, units: pairs.length, unit: "pairs", timing: ngram },
    { name: "lcs", what: `LCS of ROUGE-L for the same pairs (${(cells / 1e6).toFixed(0)} M table cells)`, units: pairs.length, unit: "pairs", timing: lcs },
    { name: "median", what: `median of ${k} scores for ${consensusTasks.toLocaleString("en-US")} tasks`, units: consensusTasks, unit: "tasks", timing: median },
  ];
}

export async function runOffchain(o: OffchainOptions): Promise<OffchainResult> {
  const sizes = o.consensus ?? CONSENSUS_SIZES;
  o.progress("off-chain: quality audit (cross-validated by query)");
  const audit = benchAudit(o.dataDir, { limit: o.limit });
  o.progress(`  ${audit.outputs} outputs in ${(audit.wallMs / 1000).toFixed(1)} s (CPU ${(audit.cpuMs / 1000).toFixed(1)} s)`);

  const items = loadItems(o.dataDir, o.limit);
  o.progress("off-chain: scoring and its hot paths");
  const profile = defaultProfile();
  const scoring = measure(() => scoreOutputs(items, profile, { useReferences: true }), 3, 1);
  const hotPaths = benchHotPaths(items, sizes.tasks, sizes.k);

  o.progress(`off-chain: consensus, rewards and Merkle trees (${sizes.tasks} tasks x k = ${sizes.k}, ${sizes.accounts} accounts)`);
  const consensus = await benchConsensus(sizes);

  const measures: Record<string, number> = {
    "audit.outputs": audit.outputs,
    "audit.outputsPerSecond": Math.round(audit.outputs / (audit.wallMs / 1000)),
    "audit.ms": round1(audit.wallMs),
    "audit.cpuMs": round1(audit.cpuMs),
    "scoring.outputsPerSecond": Math.round(items.length / (scoring.wallMs / 1000)),
    "scoring.ms": round1(scoring.wallMs),
    "scoring.cpuMs": round1(scoring.cpuMs),
  };
  for (const h of hotPaths) {
    measures[`${h.name}.${h.unit}PerSecond`] = Math.round(h.units / (h.timing.wallMs / 1000));
    measures[`${h.name}.ms`] = round1(h.timing.wallMs);
    measures[`${h.name}.cpuMs`] = round1(h.timing.cpuMs);
  }
  Object.assign(measures, consensus);
  return { measures, hotPaths, scoring: { ...scoring, outputs: items.length }, audit, consensusSizes: sizes };
}
