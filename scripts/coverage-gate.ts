/**
 * Gate: after `npx hardhat coverage`, contracts/ must have at least 95% of lines and 90% of branches covered.
 *
 *   npm run coverage:gate
 */
import fs from "node:fs";
import path from "node:path";

const MIN_LINES = 95;
const MIN_BRANCHES = 90;

const file = path.join(__dirname, "..", "coverage", "coverage-summary.json");
if (!fs.existsSync(file)) {
  console.error(`coverage gate: ${file} not found; run \`npx hardhat coverage\` first`);
  process.exit(1);
}
const summary: Record<string, { lines: { pct: number }; branches: { pct: number } }> = JSON.parse(fs.readFileSync(file, "utf8"));
const { lines, branches } = summary.total;
const rows = Object.entries(summary)
  .filter(([k]) => k !== "total")
  .map(([k, v]) => `  ${path.relative(path.join(__dirname, ".."), k).padEnd(44)} lines ${String(v.lines.pct).padStart(5)}%  branches ${String(v.branches.pct).padStart(5)}%`);
console.log(rows.join("\n"));
console.log(`coverage gate: lines ${lines.pct}% (min ${MIN_LINES}%), branches ${branches.pct}% (min ${MIN_BRANCHES}%)`);
if (lines.pct < MIN_LINES || branches.pct < MIN_BRANCHES) {
  console.error("coverage gate: FAILED");
  process.exit(1);
}
