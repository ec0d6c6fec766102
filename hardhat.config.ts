import fs from "node:fs";
import path from "node:path";
import { subtask } from "hardhat/config";
import {
  TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD,
  TASK_COMPILE_SOLIDITY_LOG_COMPILATION_ERRORS,
  TASK_COMPILE_SOLIDITY_GET_SOURCE_PATHS,
  TASK_TEST_GET_TEST_FILES,
} from "hardhat/builtin-tasks/task-names";
import type { HardhatUserConfig } from "hardhat/config";
import "@nomicfoundation/hardhat-toolbox";
import { withoutSilencedWarnings, type SolcMessage } from "./scripts/compile-warnings";

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

// Every compile would print solc's transient-storage warning on OpenZeppelin's TransientSlot.sol (used by its
// ReentrancyGuardTransient): only that warning is left out of what is printed (scripts/compile-warnings.ts). The
// check that fails the compile on errors runs on the compiler's whole output, and the build info keeps it.
subtask(TASK_COMPILE_SOLIDITY_LOG_COMPILATION_ERRORS, async (args: { output: { errors?: SolcMessage[] }; quiet: boolean }, _hre, runSuper) =>
  runSuper({ ...args, output: withoutSilencedWarnings(args.output) }),
);

// The benchmark's naive baseline (bench/contracts/, see bench/README) compiles with the project so `npm run bench` can
// deploy it on its in-process chain; it is never deployed anywhere else, and coverage only measures contracts/.
subtask(TASK_COMPILE_SOLIDITY_GET_SOURCE_PATHS, async (args: { sourcePath?: string }, hre, runSuper) => {
  const paths: string[] = await runSuper(args);
  if (args.sourcePath !== undefined && path.resolve(args.sourcePath) !== path.resolve(hre.config.paths.sources)) return paths;
  const bench = path.join(hre.config.paths.root, "bench", "contracts");
  if (!fs.existsSync(bench)) return paths;
  const extra = fs.readdirSync(bench).filter((f) => f.endsWith(".sol")).sort().map((f) => path.join(bench, f));
  return [...paths, ...extra];
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

/**
 * Ignition waits for 5 confirmations per batch of transactions unless the chain mines on every transaction; anvil
 * with `--block-time 1` does not, so a deployment there took a minute. The `localhost` network (given as
 * `--network localhost`, its URL on the loopback interface) is a development node on this machine, with no
 * reorganisation to wait out: 1 confirmation. Every other network keeps Ignition's 5.
 */
const argv = process.argv.slice(2);
const localhostUrl = process.env.POQ_LOCALHOST_URL ?? "http://127.0.0.1:8545";
const toLocalhost =
  argv.filter((a) => a === "--network").length === 1 &&
  argv[argv.indexOf("--network") + 1] === "localhost" &&
  /^https?:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?\/?$/.test(localhostUrl);

const config: HardhatUserConfig = {
  solidity: {
    compilers: [{ version: SOLC_VERSION, settings: { optimizer: { enabled: true, runs: 10_000 }, evmVersion: "cancun" } }],
    // The round state machine is the one contract near the 24 KB limit: it is optimized for size (200 runs) rather
    // than for runtime gas; docs/gas.md measures what that costs per call.
    overrides: {
      "contracts/PoQSettlement.sol": {
        version: SOLC_VERSION,
        settings: { optimizer: { enabled: true, runs: 200 }, evmVersion: "cancun" },
      },
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
      // `poq demo` pins its embedded chain's genesis (and then every block time), so that a demo run is reproducible.
      ...(process.env.POQ_DEMO_GENESIS ? { initialDate: process.env.POQ_DEMO_GENESIS } : {}),
    },
    // POQ_LOCALHOST_URL lets tests deploy to a node on another port with the node's own accounts.
    localhost: { url: localhostUrl },
    ...(process.env.POQ_RPC_URL
      ? // Any EVM node, no edit here: POQ_RPC_URL=<url> npx hardhat ... --network custom. It signs with
        // POQ_DEPLOYER_KEY, or else with the node's own unlocked accounts (hardhat node, anvil).
        { custom: { url: process.env.POQ_RPC_URL, accounts: deployerKey ? [deployerKey] : "remote" } }
      : {}),
  },
  gasReporter: {
    enabled: process.env.REPORT_GAS === "1",
    outputFile: process.env.REPORT_GAS_FILE,
    noColors: !!process.env.REPORT_GAS_FILE,
    offline: true,
  },
  // Contract verification (hardhat-verify): Etherscan's own chains with ETHERSCAN_API_KEY; any other
  // Etherscan-compatible explorer through POQ_VERIFY_API_URL / POQ_VERIFY_CHAIN_ID (see docs/operations.md).
  etherscan: {
    apiKey: process.env.ETHERSCAN_API_KEY ?? "",
    customChains: process.env.POQ_VERIFY_API_URL
      ? [
          {
            network: "custom",
            chainId: Number(process.env.POQ_VERIFY_CHAIN_ID),
            urls: { apiURL: process.env.POQ_VERIFY_API_URL, browserURL: process.env.POQ_VERIFY_BROWSER_URL ?? "" },
          },
        ]
      : [],
  },
  sourcify: { enabled: false },
  ignition: toLocalhost ? { requiredConfirmations: 1 } : {},
  typechain: { outDir: "typechain-types", target: "ethers-v6" },
  mocha: { timeout: 120_000 },
};

export default config;
