/**
 * Content on IPFS: publishing and fetching outputs (~1 KB each, raw keccak-256 blocks) between two embedded Helia
 * nodes on loopback, each with its own blockstore folder, against the folder store measured in the same run (two
 * agents of one machine sharing a folder: one writes, the other reads). Also a chunked 1 MB payload between the nodes.
 * Wall time and this process's CPU time (both nodes run in this process); medians over the repeats, each repeat with
 * fresh outputs so that nothing is fetched from a local copy.
 *
 *   npx tsx bench/ipfs.ts                                   # 1,000 outputs of ~1 KB, 3 repeats
 *   npx tsx bench/ipfs.ts --outputs 200 --repeats 1 --json  # smaller, machine-readable
 *
 * The measure itself (`measureOutputExchange`, `openLoopbackNodes` in src/protocol/loopback.ts) is what a whole
 * 1,000-task round with IPFS against the folder store will reuse once the agents are on the content interface.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { toBytes } from "viem";
import { FolderContent } from "../src/protocol/folderStore";
import { loadHeliaModules } from "../src/protocol/esm";
import { measureOutputExchange, openLoopbackNodes, type ExchangeResult } from "../src/protocol/loopback";
import { round1 } from "./timing";

export type ExchangeFigures = {
  publishMs: number;
  fetchMs: number;
  /** CPU time of this process over publish + fetch (ms). */
  cpuMs: number;
  publishPerS: number;
  fetchPerS: number;
  fetchMBps: number;
};

export type IpfsBenchResult = {
  outputs: number;
  outputBytes: number;
  concurrency: number;
  repeats: number;
  /** First import of Helia and libp2p in this process, and starting two connected nodes (ms). */
  importMs: number;
  startMs: number;
  helia: ExchangeFigures;
  folder: ExchangeFigures;
  /** Helia over folder, wall time: publish, fetch, and both together. */
  ratio: { publish: number; fetch: number; total: number };
  /** A chunked 1 MB payload put on one node and fetched by the other (ms). */
  payload: { bytes: number; putMs: number; fetchMs: number };
  runs: { helia: ExchangeFigures[]; folder: ExchangeFigures[] };
};

/** Output records of about `size` bytes, distinct per repeat (`salt`). */
export function sampleOutputs(count: number, size: number, salt: string): Uint8Array[] {
  const words = ["the", "answer", "is", "Paris", "because", "capital", "of", "France", "model", "token", "river", "Seine", "history", "city"];
  return Array.from({ length: count }, (_, i) => {
    const base = { node: `0x${(i % 16).toString(16).padStart(40, "0")}`, task: `${salt}-${i}`, model: "replay", query: `question ${i}`, output: "" };
    let text = "";
    for (let w = i; JSON.stringify({ ...base, output: text }).length < size; w += 7) text += `${words[w % words.length]} `;
    return toBytes(JSON.stringify({ ...base, output: text.trim() }));
  });
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function figures(r: ExchangeResult, cpuMs: number): ExchangeFigures {
  return { publishMs: round1(r.publishMs), fetchMs: round1(r.fetchMs), cpuMs: round1(cpuMs), publishPerS: Math.round(r.publishPerS), fetchPerS: Math.round(r.fetchPerS), fetchMBps: round1(r.fetchMBps) };
}

function medianFigures(rs: ExchangeFigures[]): ExchangeFigures {
  const m = (k: keyof ExchangeFigures) => median(rs.map((r) => r[k]));
  return { publishMs: m("publishMs"), fetchMs: m("fetchMs"), cpuMs: m("cpuMs"), publishPerS: m("publishPerS"), fetchPerS: m("fetchPerS"), fetchMBps: m("fetchMBps") };
}

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; cpuMs: number }> {
  const c0 = process.cpuUsage();
  const value = await fn();
  const c = process.cpuUsage(c0);
  return { value, cpuMs: (c.user + c.system) / 1000 };
}

export async function runIpfsBench(o: { outputs?: number; size?: number; concurrency?: number; repeats?: number; progress?: (line: string) => void } = {}): Promise<IpfsBenchResult> {
  const count = o.outputs ?? 1_000;
  const size = o.size ?? 1_024;
  const concurrency = o.concurrency ?? 64;
  const repeats = o.repeats ?? 3;
  const progress = o.progress ?? (() => undefined);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "poq-bench-ipfs-"));
  const t0 = performance.now();
  await loadHeliaModules();
  const importMs = performance.now() - t0;
  const t1 = performance.now();
  const [a, b] = await openLoopbackNodes(2, path.join(dir, "helia"));
  const startMs = performance.now() - t1;
  const folderWriter = new FolderContent(path.join(dir, "folder"));
  const folderReader = new FolderContent(path.join(dir, "folder"));
  const runs: IpfsBenchResult["runs"] = { helia: [], folder: [] };
  try {
    progress(`ipfs: ${count} outputs of ~${size} bytes, two embedded nodes on loopback vs the folder store, ${repeats} repeats`);
    // warm-up: the first exchange pays for JIT and connection set-up
    await measureOutputExchange(a, b, sampleOutputs(50, size, "warm-up"), { concurrency });
    await measureOutputExchange(folderWriter, folderReader, sampleOutputs(50, size, "warm-up"), { concurrency });
    for (let r = 0; r < repeats; r++) {
      const forHelia = sampleOutputs(count, size, `helia-${r}`);
      const forFolder = sampleOutputs(count, size, `folder-${r}`);
      const h = await timed(() => measureOutputExchange(a, b, forHelia, { concurrency }));
      runs.helia.push(figures(h.value, h.cpuMs));
      const f = await timed(() => measureOutputExchange(folderWriter, folderReader, forFolder, { concurrency }));
      runs.folder.push(figures(f.value, f.cpuMs));
      progress(`  repeat ${r + 1}: helia publish ${Math.round(h.value.publishMs)} ms, fetch ${Math.round(h.value.fetchMs)} ms; folder publish ${Math.round(f.value.publishMs)} ms, read ${Math.round(f.value.fetchMs)} ms`);
    }
    const payloadBytes = 1_000_000;
    const payload = toBytes(JSON.stringify({ tasks: sampleOutputs(Math.ceil(payloadBytes / size), size, "payload").map((x) => Buffer.from(x).toString("utf8")) }).slice(0, payloadBytes));
    const tp = performance.now();
    const cid = await a.put(payload);
    const putMs = performance.now() - tp;
    const tf = performance.now();
    const got = await b.get(cid, { timeoutMs: 60_000 });
    const fetchMs = performance.now() - tf;
    if (got.length !== payload.length) throw new Error("the payload came back different");

    const helia = medianFigures(runs.helia);
    const folder = medianFigures(runs.folder);
    const ratio = (x: number, y: number) => Math.round((x / Math.max(y, 0.1)) * 10) / 10;
    return {
      outputs: count,
      outputBytes: Math.round(sampleOutputs(count, size, "size").reduce((s, x) => s + x.length, 0) / count),
      concurrency,
      repeats,
      importMs: Math.round(importMs),
      startMs: Math.round(startMs),
      helia,
      folder,
      ratio: { publish: ratio(helia.publishMs, folder.publishMs), fetch: ratio(helia.fetchMs, folder.fetchMs), total: ratio(helia.publishMs + helia.fetchMs, folder.publishMs + folder.fetchMs) },
      payload: { bytes: payload.length, putMs: Math.round(putMs), fetchMs: Math.round(fetchMs) },
      runs,
    };
  } finally {
    await Promise.all([a.close(), b.close()]);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The table printed by `npx tsx bench/ipfs.ts` and added to docs/performance.md by `npm run bench`. */
export function renderIpfsTable(r: IpfsBenchResult): string {
  const row = (name: string, f: ExchangeFigures) => `| ${name} | ${f.publishMs} | ${f.fetchMs} | ${f.cpuMs} | ${f.publishPerS.toLocaleString("en-US")} | ${f.fetchPerS.toLocaleString("en-US")} | ${f.fetchMBps} |`;
  return [
    `${r.outputs.toLocaleString("en-US")} outputs of ${r.outputBytes} bytes on average, ${r.concurrency} reads or writes in flight, median of ${r.repeats} repeats:`,
    "",
    "| store | publish (ms) | fetch (ms) | CPU (ms) | published/s | fetched/s | fetched MB/s |",
    "|---|---:|---:|---:|---:|---:|---:|",
    row("two embedded Helia nodes on loopback (bitswap)", r.helia),
    row("folder store (one machine, shared folder)", r.folder),
    "",
    `IPFS over folder, wall time: publish ${r.ratio.publish}x, fetch ${r.ratio.fetch}x, both ${r.ratio.total}x. A chunked ${(r.payload.bytes / 1e6).toFixed(1)} MB payload: put ${r.payload.putMs} ms, fetched by the other node in ${r.payload.fetchMs} ms. First import of Helia and libp2p in the process: ${r.importMs} ms; starting two connected nodes: ${r.startMs} ms.`,
  ].join("\n");
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  const num = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? Number(argv[i + 1]) : undefined;
  };
  runIpfsBench({ outputs: num("--outputs"), size: num("--size"), concurrency: num("--concurrency"), repeats: num("--repeats"), progress: (l) => process.stderr.write(`${l}\n`) }).then(
    (r) => {
      if (argv.includes("--json")) process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
      else process.stdout.write(`${renderIpfsTable(r)}\n`);
      process.exit(0);
    },
    (e) => {
      process.stderr.write(`${(e as Error).stack ?? e}\n`);
      process.exit(1);
    },
  );
}
