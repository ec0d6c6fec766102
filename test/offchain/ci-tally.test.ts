import { describe, expect, test } from "vitest";
import { closingLine, tally } from "../../scripts/ci-tally";

const ESC = "\u001b";

describe("CI closing line", () => {
  test("behavior: adds mocha's and vitest's counts, colours stripped, failures and skips kept apart", () => {
    const log = [
      "  271 passing (2m)",
      "  2 pending",
      "  1 failing",
      ` ${ESC}[2m      Tests ${ESC}[22m ${ESC}[1m${ESC}[32m485 passed${ESC}[39m${ESC}[22m | ${ESC}[31m2 failed${ESC}[39m | 1 skipped${ESC}[90m (488)${ESC}[39m`,
      "some line that mentions 3 passed in passing",
    ].join("\n");
    expect(tally(log)).toEqual({ passed: 756, failed: 3, skipped: 3, runs: 2 });
  });

  test("behavior: a log with no runner's summary counts no test", () => {
    expect(tally("npm ERR! missing script: test\n")).toEqual({ passed: 0, failed: 0, skipped: 0, runs: 0 });
  });

  test("behavior: the closing line is the plain `tests: N passed, M failed`, skips after", () => {
    expect(closingLine({ passed: 792, failed: 0, skipped: 0, runs: 2 })).toBe("tests: 792 passed, 0 failed");
    expect(closingLine({ passed: 790, failed: 2, skipped: 1, runs: 2 })).toBe("tests: 790 passed, 2 failed, 1 skipped");
    expect(closingLine({ passed: 790, failed: 2, skipped: 1, runs: 2 })).toMatch(/^\w+: \d+ passed, \d+ failed(, \d+ skipped)?$/);
  });
});
