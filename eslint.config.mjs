import js from "@eslint/js";
import tseslint from "typescript-eslint";

/** The pure modules (see .dependency-cruiser.cjs). */
const PURE = [
  "src/scoring/**/*.ts",
  "src/consensus/**/*.ts",
  "src/rewards/**/*.ts",
  "src/sim/**/*.ts",
  "src/math/**/*.ts",
  "src/adversary/**/*.ts",
  "src/protocol/{pricing,gold,manifest,payload,canonical}.ts",
  "src/chain/encoding.ts",
  "src/data/logged.ts",
  "src/errors.ts",
  "src/schema.ts",
];

export default tseslint.config(
  { ignores: ["node_modules/", "artifacts/", "cache/", "typechain-types/", "coverage/", "dist/", "docs/", "test-artifacts/", "**/*.js"] },
  js.configs.recommended,
  { files: ["**/*.cjs"], languageOptions: { sourceType: "commonjs", globals: { module: "writable", require: "readonly", __dirname: "readonly" } } },
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/no-unused-expressions": "off",
    },
  },
  {
    // Pure modules (the layer rules of .dependency-cruiser.cjs keep I/O modules out of them): the same inputs give
    // the same outputs on every machine, so they read no clock, no environment and no unseeded randomness, and they
    // build no chain client (viem's hashing and encoding are fine).
    files: PURE,
    ignores: ["src/**/cli/**", "src/**/cli.ts", "src/**/*.test.ts", "src/**/testing.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          paths: [
            {
              name: "viem",
              importNames: ["createPublicClient", "createWalletClient", "createTestClient", "createClient", "http", "webSocket", "custom", "fallback"],
              message: "pure modules build no chain client: take data as arguments",
            },
          ],
        },
      ],
      "no-restricted-globals": [
        "error",
        ...["fetch", "performance", "setTimeout", "setInterval", "setImmediate"].map((name) => ({ name, message: "pure modules: no network, no clock" })),
      ],
      "no-restricted-properties": [
        "error",
        { object: "Date", property: "now", message: "pure modules: no clock" },
        { object: "Math", property: "random", message: "pure modules are deterministic: use the seeded generator of src/math/prng.ts" },
        { object: "process", property: "hrtime", message: "pure modules: no clock" },
        { object: "process", property: "cpuUsage", message: "pure modules: no clock" },
        { object: "process", property: "env", message: "pure modules: configuration comes in as arguments" },
      ],
      "no-restricted-syntax": ["error", { selector: "NewExpression[callee.name='Date']", message: "pure modules: no clock" }],
    },
  },
);
