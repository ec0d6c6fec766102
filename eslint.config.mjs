import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["node_modules/", "artifacts/", "cache/", "typechain-types/", "coverage/", "dist/", "docs/", "test-artifacts/", "**/*.js"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/no-unused-expressions": "off",
    },
  },
  {
    // Scoring is pure: the same inputs give the same scores on every machine. Files, network and clocks belong to
    // its command layer (src/scoring/cli/) and to tests.
    files: ["src/scoring/**/*.ts"],
    ignores: ["src/scoring/cli/**", "src/scoring/**/*.test.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          paths: ["fs", "node:fs", "fs/promises", "node:fs/promises", "http", "node:http", "https", "node:https", "net", "node:net", "child_process", "node:child_process", "perf_hooks", "node:perf_hooks", "os", "node:os", "worker_threads", "node:worker_threads"].map(
            (name) => ({ name, message: "src/scoring is pure: do I/O in src/scoring/cli/" }),
          ),
        },
      ],
      "no-restricted-globals": [
        "error",
        ...["fetch", "performance", "setTimeout", "setInterval", "setImmediate"].map((name) => ({ name, message: "src/scoring is pure: no network, no clock" })),
      ],
      "no-restricted-properties": [
        "error",
        { object: "Date", property: "now", message: "src/scoring is pure: no clock" },
        { object: "Math", property: "random", message: "src/scoring is deterministic: use the seeded generator in prng.ts" },
        { object: "process", property: "hrtime", message: "src/scoring is pure: no clock" },
        { object: "process", property: "cpuUsage", message: "src/scoring is pure: no clock" },
        { object: "process", property: "env", message: "src/scoring is pure: configuration comes in as arguments" },
      ],
      "no-restricted-syntax": ["error", { selector: "NewExpression[callee.name='Date']", message: "src/scoring is pure: no clock" }],
    },
  },
);
