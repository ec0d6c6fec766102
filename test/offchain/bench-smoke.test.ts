import { spawn } from "node:child_process";
import path from "node:path";
import { describe, expect, test } from "vitest";

const ROOT = path.join(__dirname, "..", "..");

/**
 * `npm run bench -- --smoke --json`: the whole benchmark at small sizes (a few PoQ and naive rounds on the
 * in-process chain, the off-chain measures on a slice of the data; no node, nothing written). It checks that the
 * benchmark still runs and prints the documented JSON shape, not the numbers' targets.
 */
describe("bench smoke", () => {
  test("behavior: runs at small sizes and prints gas, gas per scored pair (PoQ and naive) and off-chain measures", async () => {
    const child = spawn(path.join(ROOT, "node_modules", ".bin", "tsx"), ["bench/run.ts", "--smoke", "--json"], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    const code = await new Promise((r) => child.on("exit", r));
    expect(code, err).toBe(0);
    const r = JSON.parse(out);
    const positive = (o: Record<string, unknown>) => {
      expect(Object.keys(o).length).toBeGreaterThan(0);
      for (const [k, v] of Object.entries(o)) {
        expect(typeof v, k).toBe("number");
        expect(v as number, k).toBeGreaterThan(0);
      }
    };
    positive(r.gas);
    positive(r.gasPerScoredPair);
    positive(r.naiveGasPerScoredPair);
    expect(Object.keys(r.naiveGasPerScoredPair).sort()).toEqual(Object.keys(r.gasPerScoredPair).sort());
    for (const k of Object.keys(r.gasPerScoredPair)) expect(k).toMatch(/^\d+x\d+$/);
    expect(Object.keys(r.offchain).length).toBeGreaterThan(0);
    for (const [k, v] of Object.entries(r.offchain)) expect(Number.isFinite(v), k).toBe(true);
    expect(r.offchain["audit.outputs"]).toBeGreaterThan(0);
    expect(["batch", "direct"]).toContain(r.defaultRevealPath);
  }, 180_000);
});
