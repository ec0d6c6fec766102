import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/offchain/**/*.test.ts", "test/e2e/**/*.test.ts", "test/browser/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
    setupFiles: ["test/helpers/fastcheck.ts"],
  },
});
