import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { readLoggedOutputs } from "../data/read";
import { writeSweepReport } from "./cli/report";
import { DEFAULT_SCENARIO, prepareData } from "./scenario";
import { renderLineChart } from "./svgPlot";
import { runSweep } from "./sweep";

const data = prepareData(readLoggedOutputs("data/samples/summarization-sample.jsonl"), "label", "summ-sample");

describe("sweep and report", () => {
  test("behavior: covers the grid, shares the no-attacker run across attacks, and writes tables and plots", () => {
    const progress: number[] = [];
    const points = runSweep(data, { ...DEFAULT_SCENARIO, rounds: 2, tasksPerRound: 30 }, {
      ratios: [0, 0.3],
      ks: [3, 5],
      attacks: ["boosting", "sabotage"],
      rules: ["mean", "robust-trust"],
      onProgress: (done) => progress.push(done),
    });
    expect(points).toHaveLength(2 * 2 * 2);
    expect(progress.at(-1)).toBe(8);
    const clean = points.filter((p) => p.ratio === 0 && p.k === 3);
    expect(clean[0].rules).toBe(clean[1].rules);

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "poq-sweep-"));
    const md = writeSweepReport(dir, { title: "t", command: "cmd", settings: { rounds: 2 }, points });
    expect(md).toContain("## MAE against the malicious ratio");
    expect(md).toContain("| malicious | mean | robust-trust |");
    for (const f of ["report.md", "results.json", "mae-boosting.svg", "reward-var-vs-k-clean.svg"]) expect(fs.existsSync(path.join(dir, f))).toBe(true);
    expect(fs.readFileSync(path.join(dir, "mae-boosting.svg"), "utf8")).toContain("<polyline");
  });

  test("behavior: a chart has one polyline per series and escapes text", () => {
    const svg = renderLineChart({ title: "a < b", xLabel: "x", yLabel: "y", series: [{ name: "s1", points: [[0, 1], [1, 2]] }, { name: "s2", points: [[0, 2], [1, 1]] }] });
    expect(svg.match(/<polyline/g)).toHaveLength(2);
    expect(svg).toContain("a &lt; b");
  });
});
