import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import type { TestProject } from "vitest/node";

/**
 * Global setup of the e2e and browser projects: one `poq demo --json --serve 0` for both (3 rounds on the embedded
 * chain, then the chain served over JSON-RPC), started once per vitest run whichever project asks first. It does not
 * wait for the demo: the unit project runs meanwhile, and a test that needs the demo waits for it with
 * `sharedDemo()` (test/helpers/demo.ts). The folder it provides receives `summary.json` (the demo's stdout),
 * `progress.log` (its stderr), `rpc.json` ({url, deploymentFile}) once the chain is served, and `exit.json` if the
 * process ends early.
 */

type Shared = { dir: string; child: ChildProcess; users: number };
const KEY = Symbol.for("poq.sharedDemo");
const registry = globalThis as unknown as { [KEY]?: Shared };

function start(): Shared {
  const root = path.join(__dirname, "..", "..");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "poq-shared-demo-"));
  const child = spawn(process.execPath, [path.join(root, "bin", "poq.js"), "demo", "--json", "--store", path.join(dir, "store"), "--serve", "0"], {
    cwd: root,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  const progress = fs.createWriteStream(path.join(dir, "progress.log"));
  readline.createInterface({ input: child.stderr! }).on("line", (l) => {
    progress.write(`${l}\n`);
    const served = /^serving the chain on (\S+) \(deployment: (.+)\);/.exec(l);
    if (served) {
      fs.writeFileSync(path.join(dir, "summary.json"), out);
      fs.writeFileSync(path.join(dir, "rpc.json"), JSON.stringify({ url: served[1], deploymentFile: served[2] }));
    }
  });
  child.on("exit", (code, signal) => {
    if (!fs.existsSync(path.join(dir, "summary.json"))) fs.writeFileSync(path.join(dir, "summary.json"), out);
    fs.writeFileSync(path.join(dir, "exit.json"), JSON.stringify({ code, signal }));
  });
  return { dir, child, users: 0 };
}

export default function setup(project: TestProject) {
  const shared = (registry[KEY] ??= start());
  shared.users++;
  project.provide("demoDir", shared.dir);
  return () => {
    if (--shared.users > 0) return;
    shared.child.kill("SIGTERM");
    delete registry[KEY];
  };
}

declare module "vitest" {
  export interface ProvidedContext {
    demoDir: string;
  }
}
