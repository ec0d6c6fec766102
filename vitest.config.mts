import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

/**
 * Three projects, run one after the other (`sequence.groupOrder`) so that real-time end-to-end windows never share
 * the 2 cores with CPU-heavy unit tests:
 * - unit: everything beside the code (src/) and test/offchain, on cores - 1 workers (one on 2 cores: the shared demo
 *   runs on the other);
 * - e2e: real networks (`hardhat node` and anvil), faults, the package and the demo, two files at a time (their
 *   processes mostly wait on phase windows);
 * - browser: the explorer in headless Chromium, one file at a time.
 * The e2e and browser projects share one demo run (test/setup/demo.ts), started at the beginning of the run while
 * the unit tests go on.
 */
const CORES = availableParallelism();

export default defineConfig({
  test: {
    pool: "forks",
    // The pool's overall limit (the e2e project runs two files at once); each project sets its own below.
    maxWorkers: Math.max(2, CORES),
    setupFiles: ["test/helpers/fastcheck.ts"],
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          maxWorkers: Math.max(1, CORES - 1),
          include: ["src/**/*.test.ts", "test/offchain/**/*.test.ts"],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          sequence: { groupOrder: 0 },
        },
      },
      // Two end-to-end files at a time: their processes mostly wait on phase windows, and the longest ones (the two
      // networks, the faults) would otherwise run back to back.
      {
        extends: true,
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          globalSetup: ["test/setup/demo.ts"],
          testTimeout: 300_000,
          hookTimeout: 900_000,
          maxWorkers: 2,
          sequence: { groupOrder: 1 },
        },
      },
      {
        extends: true,
        test: {
          name: "browser",
          include: ["test/browser/**/*.test.ts"],
          globalSetup: ["test/setup/demo.ts"],
          testTimeout: 120_000,
          hookTimeout: 900_000,
          maxWorkers: 1,
          sequence: { groupOrder: 2 },
        },
      },
    ],
  },
});
