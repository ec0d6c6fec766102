import { spawnSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, test, vi } from "vitest";
import { main } from "../../cli";
import { expectGolden } from "../../../test/helpers/golden";
import { QA_SAMPLE, SUMMARIZATION_SAMPLE } from "../testing";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "poq-audit-cli-"));
const write = (name: string, text: string) => {
  const p = path.join(dir, name);
  fs.writeFileSync(p, text);
  return p;
};
const qaLines = fs.readFileSync(QA_SAMPLE, "utf8").trim().split("\n");

async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  vi.spyOn(process.stdout, "write").mockImplementation((s) => ((out += String(s)), true));
  vi.spyOn(process.stderr, "write").mockImplementation((s) => ((err += String(s)), true));
  try {
    const code = await main(["node", "poq", "audit", ...args]);
    return { code, out, err };
  } finally {
    vi.restoreAllMocks();
  }
}

afterEach(() => vi.restoreAllMocks());

describe("poq audit", () => {
  test("behaviour: --json prints exactly one JSON object, the committed one for fixed inputs (golden/audit-qa-sample.json)", async () => {
    const a = await run("--train", QA_SAMPLE, "--eval", QA_SAMPLE, "--json", "--bootstrap", "30");
    expect(a.code).toBe(0);
    const obj = JSON.parse(a.out);
    expectGolden(path.join(__dirname, "..", "golden", "audit-qa-sample.json"), obj);
    expect(obj).toMatchObject({ task: "qa", metric: "auroc", n: 200 });
    expect(Object.keys(obj)).toEqual(["task", "metric", "n", "dimensions", "composite", "bestSingle", "consensus"]);
    expect(Object.keys(obj.composite)).toEqual(["default", "calibrated"]);
  });

  test("behaviour: a file mixing tasks gives a JSON array, one object per task", async () => {
    const mixed = write("mixed.jsonl", fs.readFileSync(QA_SAMPLE, "utf8") + fs.readFileSync(SUMMARIZATION_SAMPLE, "utf8"));
    const r = await run("--train", mixed, "--eval", mixed, "--json", "--bootstrap", "20");
    expect(r.code).toBe(0);
    const arr = JSON.parse(r.out);
    expect(arr.map((o: { task: string }) => o.task)).toEqual(["qa", "summarization"]);
    expect(arr[1].metric).toBe("spearman");
  });

  test("behaviour: cross-validation and the human table", async () => {
    const r = await run("--cv", "4", "--eval", QA_SAMPLE, "--no-references", "--bootstrap", "20");
    expect(r.code).toBe(0);
    for (const row of ["modelPrior", "agreement", "composite (default)", "composite (calibrated)", "best single", "consensus"]) {
      expect(r.out).toContain(row);
    }
    expect(r.out).toContain("4-fold cross-validation");
    expect(r.out).toContain("references ignored");
  });

  test("behaviour: --save-profile writes a profile that --profile evaluates", async () => {
    const file = path.join(dir, "profile.json");
    const a = await run("--train", QA_SAMPLE, "--eval", QA_SAMPLE, "--save-profile", file, "--json", "--bootstrap", "20");
    expect(a.code).toBe(0);
    const b = await run("--profile", file, "--eval", QA_SAMPLE, "--json");
    expect(b.code).toBe(0);
    expect(JSON.parse(b.out).composite.calibrated).toBeCloseTo(JSON.parse(a.out).composite.calibrated, 3);
  });

  const errors: [string, () => string[], RegExp][] = [
    ["a missing file", () => ["--cv", "5", "--eval", path.join(dir, "missing.jsonl")], /missing\.jsonl: file not found/],
    ["a malformed line, with its number", () => ["--cv", "5", "--eval", write("bad.jsonl", `${qaLines[0]}\n${qaLines[1]}\n{"id": oops\n`)], /bad\.jsonl:3: malformed JSON/],
    ["an unknown task", () => ["--cv", "5", "--eval", write("task.jsonl", qaLines[0].replace('"task": "qa"', '"task": "poetry"'))], /unknown task "poetry"/],
    ["a label out of range", () => ["--cv", "5", "--eval", write("label.jsonl", qaLines[0].replace('"label": 1', '"label": 7'))], /label 7 out of range \[0, 1\]/],
    ["an empty set", () => ["--cv", "5", "--eval", write("empty.jsonl", "\n\n")], /no outputs/],
    ["no calibration source", () => ["--eval", QA_SAMPLE], /give --train FILE/],
    ["a bad fold count", () => ["--cv", "x", "--eval", QA_SAMPLE], /--cv must be an integer >= 2/],
    ["too few queries for the folds", () => ["--cv", "5", "--eval", SUMMARIZATION_SAMPLE], /only 3 distinct queries/],
    ["a cascade without a training set", () => ["--cv", "4", "--eval", QA_SAMPLE, "--cascade"], /--cascade needs --train/],
    ["a negative CPU price", () => ["--train", QA_SAMPLE, "--eval", QA_SAMPLE, "--cascade", "--cpu-price", "-1"], /--cpu-price must be a number >= 0, got -1/],
    ["malformed judge weights", () => ["--train", QA_SAMPLE, "--eval", QA_SAMPLE, "--judge-weights", write("w.json", "{ no")], /w\.json: malformed JSON/],
  ];
  for (const [what, args, message] of errors) {
    test(`behaviour: ${what} is a clear error with a non-zero exit`, async () => {
      const r = await run(...args());
      expect(r.code).toBe(2);
      expect(r.err).toMatch(message);
      expect(r.err).not.toMatch(/\n\s+at /);
      expect(r.out).toBe("");
    });
  }

  test("behaviour: the spawned command exits 2 without a stack trace", () => {
    const tsx = require.resolve("tsx/cli");
    const cli = path.join(__dirname, "..", "..", "cli.ts");
    const r = spawnSync(process.execPath, [tsx, cli, "audit", "--cv", "5", "--eval", path.join(dir, "nope.jsonl")], { encoding: "utf8" });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/error: .*nope\.jsonl: file not found/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  test("behaviour: --cascade adds each stage's accuracy and cost (JSON: a cascade key) and keeps the other keys", async () => {
    const r = await run("--train", QA_SAMPLE, "--eval", QA_SAMPLE, "--json", "--bootstrap", "20", "--cascade", "--cpu-price", "1");
    expect(r.code).toBe(0);
    const obj = JSON.parse(r.out);
    expect(Object.keys(obj)).toEqual(["task", "metric", "n", "dimensions", "composite", "bestSingle", "consensus", "cascade"]);
    expect(obj.cascade.stages.map((s: { name: string }) => s.name)).toEqual(["priors+structure", "source+references", "agreement"]);
    expect(obj.cascade.all.costPerOutput).toBeGreaterThan(0);
    expect(obj.cascade.cascade.costPerOutput).toBeLessThanOrEqual(obj.cascade.all.costPerOutput);
    const t = await run("--train", QA_SAMPLE, "--eval", QA_SAMPLE, "--bootstrap", "20", "--cascade");
    expect(t.out).toMatch(/all stages: .* cascade: .*% of the cost/);
  });

  test("behaviour: --learned-judge trains the judge inside; a saved profile pins its weights and --profile checks them", async () => {
    // Synthetic history in which a word of the answer, and nothing the built-in dimensions read, tells right from
    // wrong: the judge learns it and passes its gate.
    const lines: string[] = [];
    for (let q = 0; q < 80; q++) {
      for (let k = 0; k < 3; k++) {
        const right = (q + k) % 2 === 0;
        const output = `${right ? "zebra" : "walrus"} number ${(q * 7 + k) % 13} of the ${["red", "blue", "green"][k]} kind`;
        lines.push(JSON.stringify({ id: `s${q}:${k}`, task: "qa", queryId: `s${q}`, query: `Which animal is case ${q}?`, output, model: `m${k}`, label: right ? 1 : 0 }));
      }
    }
    const data = write("synthetic.jsonl", `${lines.join("\n")}\n`);
    const file = path.join(dir, "pj.json");
    const judgeFile = path.join(dir, "pj.judge.json");
    const a = await run("--train", data, "--eval", data, "--json", "--bootstrap", "20", "--learned-judge", "--save-profile", file);
    expect(a.code).toBe(0);
    expect(JSON.parse(a.out).dimensions.learnedJudge).toBeGreaterThan(0.9);
    const profile = JSON.parse(fs.readFileSync(file, "utf8"));
    expect(profile.judgeWeightsHash).toMatch(/^0x[0-9a-f]{64}$/);
    expect(fs.existsSync(judgeFile)).toBe(true);
    const missing = await run("--profile", file, "--eval", data, "--json");
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/uses the learned judge/);
    const ok = await run("--profile", file, "--eval", data, "--json", "--judge-weights", judgeFile);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.out).dimensions.learnedJudge).toBeGreaterThan(0.9);
    const without = await run("--train", data, "--eval", data, "--json", "--bootstrap", "20");
    expect(JSON.parse(without.out).dimensions.learnedJudge).toBeUndefined();
  });

  test("behaviour: --judge-url adds the LLM-judge dimension", async () => {
    const server = http.createServer((req, res) => {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        const correct = /Candidate output:\n(.*)/s.exec(JSON.parse(body).messages[1].content)![1].length % 2;
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ choices: [{ message: { content: String(correct ? 8 : 3) } }] }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
      const small = write("small.jsonl", `${qaLines.slice(0, 50).join("\n")}\n`);
      const r = await run("--train", small, "--eval", small, "--json", "--bootstrap", "20", "--judge-url", url, "--judge-model", "m");
      expect(r.code).toBe(0);
      expect(JSON.parse(r.out).dimensions.judge).toBeTypeOf("number");
    } finally {
      server.close();
    }
  });
});
