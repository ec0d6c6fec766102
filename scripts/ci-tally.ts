// Adds up the results of every test runner in a log of `npm test` (Hardhat's mocha and vitest) and prints one
// closing line, `tests: N passed, M failed`, so that the log of a CI run states the number of tests it executed.
// Exits 1 when a runner reported a failure or when no test ran at all.
import { readFileSync } from "node:fs";

export interface Tally {
  passed: number;
  failed: number;
  skipped: number;
  runs: number;
}

export function tally(log: string): Tally {
  // eslint-disable-next-line no-control-regex
  const text = log.replace(/\x1b\[[0-9;]*m/g, "");
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  let runs = 0;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    // mocha: "271 passing (2m)", "3 failing", "1 pending"
    let m = /^(\d+) passing\b/.exec(line);
    if (m) { passed += Number(m[1]); runs += 1; continue; }
    m = /^(\d+) failing\b/.exec(line);
    if (m) { failed += Number(m[1]); continue; }
    m = /^(\d+) pending\b/.exec(line);
    if (m) { skipped += Number(m[1]); continue; }
    // vitest: "Tests  485 passed | 2 failed | 1 skipped (488)"
    m = /^Tests\s+(.*)\(\d+\)$/.exec(line);
    if (m) {
      runs += 1;
      for (const part of m[1].split("|")) {
        const p = /(\d+)\s+(passed|failed|skipped|todo)/.exec(part.trim());
        if (!p) continue;
        const n = Number(p[1]);
        if (p[2] === "passed") passed += n;
        else if (p[2] === "failed") failed += n;
        else skipped += n;
      }
    }
  }
  return { passed, failed, skipped, runs };
}

/**
 * The closing line: `tests: N passed, M failed` (`, K skipped` when any), in the plain form that CI log readers take
 * in any language. CI prints it after `npm test`.
 */
export function closingLine({ passed, failed, skipped }: Tally): string {
  return `tests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`;
}

if (require.main === module) {
  const file = process.argv[2];
  if (!file) {
    console.error("usage: ci-tally <log file>");
    process.exit(2);
  }
  const counts = tally(readFileSync(file, "utf8"));
  console.log(`test runners: ${counts.runs}`);
  console.log(closingLine(counts));
  process.exit(counts.failed > 0 || counts.passed === 0 ? 1 : 0);
}
