#!/usr/bin/env node
// Runs the CLI in this process, so signals (SIGINT, SIGTERM) reach the daemon directly.
// Installed package: the JavaScript built by `npm run build` (dist/). In a checkout, the TypeScript sources through
// tsx's require hook when dist/ is missing or older than src/ (so an edit is never hidden by a stale build).
const fs = require("node:fs");
const path = require("node:path");

const root = path.join(__dirname, "..");
const built = path.join(root, "dist", "cli.js");
const sources = path.join(root, "src");

function newestSource(dir) {
  let newest = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestSource(p));
    else if (e.name.endsWith(".ts")) newest = Math.max(newest, fs.statSync(p).mtimeMs);
  }
  return newest;
}

function entry() {
  const hasBuild = fs.existsSync(built);
  if (!fs.existsSync(sources)) return built;
  // The demo deploys with Hardhat, whose TypeScript config needs the tsx hook: in a checkout it runs the sources.
  const demo = process.argv[2] === "demo";
  if (!demo && hasBuild && fs.statSync(built).mtimeMs >= newestSource(sources)) return built;
  try {
    require.resolve("tsx/cjs");
  } catch {
    if (hasBuild) return built;
    process.stderr.write("error: poq is not built: run `npm run build` (or install the devDependencies for tsx)\n");
    process.exit(2);
  }
  require("tsx/cjs");
  return path.join(sources, "cli.ts");
}

require(entry())
  .main(process.argv)
  .then((code) => {
    process.exitCode = code;
  });
