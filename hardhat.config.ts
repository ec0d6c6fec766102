import fs from "node:fs";
import path from "node:path";
import { subtask } from "hardhat/config";
import { TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD, TASK_TEST_GET_TEST_FILES } from "hardhat/builtin-tasks/task-names";
import type { HardhatUserConfig } from "hardhat/config";
import "@nomicfoundation/hardhat-toolbox";

/** Exact compiler version; must equal the pinned `solc` npm package and every pragma. */
export const SOLC_VERSION = "0.8.28";

// Never download a compiler: use the pinned solc-js from node_modules.
subtask(TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD, async (args: { solcVersion: string }, _hre, runSuper) => {
  if (args.solcVersion === SOLC_VERSION) {
    const compilerPath = path.join(__dirname, "node_modules", "solc", "soljson.js");
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const longVersion: string = require("solc/package.json").version;
    return { compilerPath, isSolcJs: true, version: args.solcVersion, longVersion };
  }
  return runSuper();
});

// `hardhat test` (and `hardhat coverage`) run only the contract suites directly in `test/` (`test/*.test.ts`); the
// vitest suites in subfolders (test/offchain, test/e2e, test/browser) and the helpers in test/helpers are not mocha
// files. Explicit file arguments still work: `npx hardhat test test/StakeVault.test.ts`.
subtask(TASK_TEST_GET_TEST_FILES, async (args: { testFiles: string[] }, hre, runSuper) => {
  if (args.testFiles.length > 0) return runSuper(args);
  const dir = hre.config.paths.tests;
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".test.ts"))
    .sort()
    .map((f) => path.join(dir, f));
});

const deployerKey = process.env.POQ_DEPLOYER_KEY;

/**
 * `npx hardhat node` mines a block every second besides one per transaction, as a real chain does: round phases
 * follow block time, so an idle local chain must still move forward. Tests keep pure automine and move time
 * explicitly.
 */
const runningNode = process.argv.slice(2).includes("node");

const config: HardhatUserConfig = {
  solidity: {
    version: SOLC_VERSION,
    settings: {
      optimizer: { enabled: true, runs: 10_000 },
      evmVersion: "cancun",
    },
  },
  paths: {
    sources: "contracts",
    tests: "test",
    ignition: "deploy",
  },
  networks: {
    hardhat: {
      // Large settlement batches in tests and benchmarks.
      blockGasLimit: 60_000_000,
      ...(runningNode ? { mining: { auto: true, interval: 1_000 }, allowBlocksWithSameTimestamp: true } : {}),
    },
    // POQ_LOCALHOST_URL lets tests deploy to a node on another port with the node's own accounts.
    localhost: { url: process.env.POQ_LOCALHOST_URL ?? "http://127.0.0.1:8545" },
    ...(process.env.POQ_RPC_URL
      ? { custom: { url: process.env.POQ_RPC_URL, accounts: deployerKey ? [deployerKey] : [] } }
      : {}),
  },
  gasReporter: {
    enabled: process.env.REPORT_GAS === "1",
    outputFile: process.env.REPORT_GAS_FILE,
    noColors: !!process.env.REPORT_GAS_FILE,
    offline: true,
  },
  etherscan: {
    apiKey: process.env.ETHERSCAN_API_KEY ?? "",
  },
  sourcify: { enabled: false },
  typechain: { outDir: "typechain-types", target: "ethers-v6" },
  mocha: { timeout: 120_000 },
};

export default config;
