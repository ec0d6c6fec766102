import { defineConfig } from "vitest/config";

/**
 * Three projects, run one after the other (`sequence.groupOrder`) so that real-time end-to-end windows never share
 * the 2 cores with CPU-heavy unit tests:
 * - unit: everything beside the code (src/) and test/offchain, on cores - 1 workers (one on 2 cores: the shared demo
 *   runs on the other);
 * - e2e: real `hardhat node` networks and the demo, one file at a time;
 * - browser: the explorer in headless Chromium, one file at a time.
 * The e2e and browser projects share one demo run (test/setup/demo.ts), started at the beginning of the run while
 * the unit tests go on.
 */
export default defineConfig({
  test: {
    pool: "forks",
    setupFiles: ["test/helpers/fastcheck.ts"],
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: ["src/**/*.test.ts", "test/offchain/**/*.test.ts"],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          globalSetup: ["test/setup/demo.ts"],
          testTimeout: 300_000,
          hookTimeout: 900_000,
          maxWorkers: 1,
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
