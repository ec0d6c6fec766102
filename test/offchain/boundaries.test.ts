import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { ESLint } from "eslint";
import { afterAll, describe, expect, test } from "vitest";

const ROOT = path.join(__dirname, "..", "..");
const DEPCRUISE = path.join(ROOT, "node_modules", ".bin", "depcruise");

/** Deliberately wrong imports, each placed where a layer rule forbids it, with the rule that must catch it. */
const FIXTURES: { file: string; source: string; rule: string }[] = [
  { file: "src/consensus/__boundary_fixture_fs.ts", source: 'import fs from "node:fs";\nexport const x = fs.existsSync("x");\n', rule: "pure-no-node-io" },
  { file: "src/rewards/__boundary_fixture_sqlite.ts", source: 'import Database from "better-sqlite3";\nexport const x = Database;\n', rule: "pure-no-io-package" },
  { file: "src/scoring/__boundary_fixture_client.ts", source: 'import { connect } from "../chain/client";\nexport const x = connect;\n', rule: "pure-imports-pure" },
  { file: "src/chain/__boundary_fixture_agents.ts", source: 'import { createMetrics } from "../agents/metrics";\nexport const x = createMetrics;\n', rule: "chain-not-agents" },
  { file: "src/explorer/__boundary_fixture_agents.ts", source: 'import { DEV_ROLES } from "../agents/accounts";\nexport const x = DEV_ROLES;\n', rule: "explorer-not-agents" },
  { file: "src/agents/__boundary_fixture_sim.ts", source: 'import { simulateRule } from "../sim/simulate";\nexport const x = simulateRule;\n', rule: "agents-not-sim" },
  { file: "src/chain/__boundary_fixture_cli.ts", source: 'import { buildProgram } from "../cli";\nexport const x = buildProgram;\n', rule: "library-not-cli" },
];

type Violation = { from: string; to: string; rule: { name: string; severity: string } };

/** Runs the layer check with the rules `npm run lint` uses, on `targets`; returns its errors. */
function depcruise(targets: string[]): { status: number | null; violations: Violation[] } {
  const r = spawnSync(DEPCRUISE, [...targets, "--config", ".dependency-cruiser.cjs", "--ignore-known", "--output-type", "json"], { cwd: ROOT, encoding: "utf8" });
  const out = JSON.parse(r.stdout) as { summary: { violations: Violation[] } };
  // known violations (.dependency-cruiser-known-violations.json) are reported with severity "ignore"
  return { status: r.status, violations: out.summary.violations.filter((v) => v.rule.severity === "error") };
}

describe("layer rules (npm run lint)", () => {
  afterAll(() => {
    for (const f of FIXTURES) fs.rmSync(path.join(ROOT, f.file), { force: true });
  });

  test("behavior: each deliberately wrong import fails the check with its rule", () => {
    for (const f of FIXTURES) fs.writeFileSync(path.join(ROOT, f.file), f.source);
    let result: ReturnType<typeof depcruise>;
    try {
      result = depcruise(FIXTURES.map((f) => f.file));
    } finally {
      for (const f of FIXTURES) fs.rmSync(path.join(ROOT, f.file), { force: true });
    }
    for (const f of FIXTURES) {
      const hits = result.violations.filter((v) => v.from === f.file).map((v) => v.rule.name);
      expect(hits, f.file).toContain(f.rule);
    }
  }, 120_000);

  test("behavior: the tree as committed passes the check, and the lint command fails on a wrong import", () => {
    const r = depcruise(["src"]);
    expect(r.violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`)).toEqual([]);
    // `npm run lint:layers` itself: exit code 0 on the tree, non-zero with one wrong import in it
    const lint = () => spawnSync("npm", ["run", "--silent", "lint:layers"], { cwd: ROOT, encoding: "utf8" });
    expect(lint().status).toBe(0);
    const bad = path.join(ROOT, FIXTURES[0].file);
    fs.writeFileSync(bad, FIXTURES[0].source);
    try {
      const failed = lint();
      expect(failed.status).not.toBe(0);
      expect(failed.stdout).toContain(`pure-no-node-io: ${FIXTURES[0].file}`);
    } finally {
      fs.rmSync(bad, { force: true });
    }
  }, 120_000);

  test("behavior: a pure module that builds a chain client or reads the clock fails eslint", async () => {
    const eslint = new ESLint({ cwd: ROOT });
    const [client] = await eslint.lintText('import { createPublicClient, http } from "viem";\nexport const c = createPublicClient({ transport: http() });\n', { filePath: path.join(ROOT, "src/consensus/__fixture_client.ts") });
    expect(client.messages.map((m) => m.ruleId)).toContain("no-restricted-imports");
    const [clock] = await eslint.lintText("export const t = Date.now();\n", { filePath: path.join(ROOT, "src/rewards/__fixture_clock.ts") });
    expect(clock.messages.map((m) => m.ruleId)).toContain("no-restricted-properties");
    const [agent] = await eslint.lintText("export const t = Date.now();\n", { filePath: path.join(ROOT, "src/agents/__fixture_clock.ts") });
    expect(agent.messages).toEqual([]);
  }, 60_000);
});
