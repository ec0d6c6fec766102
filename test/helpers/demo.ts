import fs from "node:fs";
import path from "node:path";
import { inject } from "vitest";
import type { DemoSummary } from "../../src/agents/demo";
import { connect, type Clients } from "../../src/chain/client";
import { loadDeployment, type Deployment } from "../../src/chain/deployment";

export type SharedDemo = {
  /** The demo's `--json` summary, as `poq demo --json` printed it. */
  summary: DemoSummary;
  /** Its progress lines (stderr). */
  progress: string;
  rpcUrl: string;
  deploymentFile: string;
  deployment: Deployment;
  clients: Clients;
};

/**
 * The demo that the e2e and browser projects share (test/setup/demo.ts): waits until it has settled its rounds and
 * serves its chain, then connects to it. Fails with the demo's own output if it stopped early.
 */
export async function sharedDemo(timeoutMs = 600_000): Promise<SharedDemo> {
  const dir = inject("demoDir");
  const file = (name: string) => path.join(dir, name);
  const deadline = Date.now() + timeoutMs;
  while (!fs.existsSync(file("rpc.json"))) {
    if (fs.existsSync(file("exit.json"))) {
      throw new Error(`the shared demo stopped early (${fs.readFileSync(file("exit.json"), "utf8")}):\n${fs.readFileSync(file("progress.log"), "utf8")}`);
    }
    if (Date.now() > deadline) throw new Error(`the shared demo did not finish in ${timeoutMs / 1000} s; its progress is in ${file("progress.log")}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  const { url, deploymentFile } = JSON.parse(fs.readFileSync(file("rpc.json"), "utf8")) as { url: string; deploymentFile: string };
  const clients = await connect({ rpcUrl: url }, 100);
  return {
    summary: JSON.parse(fs.readFileSync(file("summary.json"), "utf8")) as DemoSummary,
    progress: fs.readFileSync(file("progress.log"), "utf8"),
    rpcUrl: url,
    deploymentFile,
    deployment: loadDeployment({ chainId: clients.chain.id, file: deploymentFile }),
    clients,
  };
}
