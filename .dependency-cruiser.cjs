/**
 * The layer rules of src/, checked by `npm run lint` (dependency-cruiser; its test: test/offchain/boundaries.test.ts).
 *
 * - Pure modules (scoring, consensus, rewards, sim, math, adversary, the protocol formats, the shared error and
 *   schema helpers) import no I/O: no Node built-in, no I/O package, and no local module that does I/O. Their
 *   command layers (`cli.ts`, `cli/`) and tests may.
 * - src/chain never imports src/agents; the explorer never imports src/agents; the agents never import the simulator
 *   (their adversarial behaviours use src/adversary).
 * - Libraries never import a command layer (src/cli.ts, any cli.ts or cli/ folder).
 */

/** Pure modules, as path regexes (tests and test helpers excluded). */
const PURE = [
  "^src/(scoring|consensus|rewards|sim|math|adversary)/",
  "^src/protocol/(pricing|gold|manifest|payload|canonical|receipt)\\.ts$",
  "^src/chain/(encoding|abis)\\.ts$",
  "^src/data/logged\\.ts$",
  "^src/(errors|schema)\\.ts$",
];
const TESTS = "\\.test\\.tsx?$|(^|/)testing\\.ts$";
const NOT_PURE = ["(^|/)cli(\\.ts$|/)", TESTS];
const CLI = "^src/cli\\.ts$|^src/[^/]+/cli\\.ts$|^src/[^/]+/cli/";

/** Packages that open files, sockets or processes, serve HTTP, log, or drive a browser. */
const IO_PACKAGES = "node_modules/(@types/)?(better-sqlite3|pino|hono|@hono/node-server|prom-client|playwright-core|commander|@resvg/resvg-js|tsx|hardhat)(/|$)";

/** A rule on what pure modules (tests and command layers excluded) may not import. */
function pure(name, what, to) {
  return { name, comment: `A pure module (scoring, consensus, rewards, sim, math, adversary, protocol formats) ${what}.`, severity: "error", from: { path: PURE, pathNot: NOT_PURE }, to };
}

/** A rule: modules under `from` (tests, test helpers and `fromNot` excluded) never import modules under `to`. */
function rule(name, comment, from, to, fromNot) {
  return { name, comment, severity: "error", from: { path: from, pathNot: [TESTS, ...(fromNot ? [fromNot] : [])] }, to: { path: to } };
}

module.exports = {
  forbidden: [
    pure("pure-no-node-io", "imports no Node built-in: files, network, processes and clocks belong to the command layer (cli/) or the agents", {
      // node:crypto's hashes and HMACs are deterministic computation, not I/O
      dependencyTypes: ["core"],
      pathNot: "^crypto$",
    }),
    pure("pure-no-io-package", "imports no I/O package (SQLite, logging, HTTP servers, metrics, browsers, command-line parsing)", { path: IO_PACKAGES }),
    pure("pure-imports-pure", "imports only pure modules of src/ (not chain clients, agents, the explorer, the content store, file readers or the runtime)", {
      // a type-only import (a parameter's type) brings in no code
      path: "^src/",
      pathNot: PURE,
      dependencyTypesNot: ["type-only"],
    }),
    pure("pure-not-cli", "never imports a command layer", { path: CLI }),
    rule("chain-not-agents", "src/chain (clients, encodings, transactions) is below the agents: it never imports them.", "^src/chain/", "^src/agents/"),
    rule("explorer-not-agents", "The explorer reads the chain and the protocol formats (src/protocol), never the agents.", "^src/explorer/", "^src/agents/"),
    rule("agents-not-sim", "The agents (and their adversarial behaviours) never reach into the simulator: attack models live in src/adversary.", "^src/agents/", "^src/sim/"),
    rule("library-not-cli", "Libraries never import a command layer (src/cli.ts, */cli.ts, */cli/): the CLI imports libraries, not the reverse.", "^src/", CLI, CLI),
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^(artifacts|cache|typechain-types|coverage|dist)/" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { exportsFields: ["exports"], conditionNames: ["import", "require", "node", "default", "types"] },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
