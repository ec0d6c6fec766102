#!/usr/bin/env node
// Runs the TypeScript CLI in this process (tsx's require hook), so signals reach the daemon directly.
require("tsx/cjs");
const { main } = require("../src/cli.ts");
main(process.argv).then((code) => {
  process.exitCode = code;
});
