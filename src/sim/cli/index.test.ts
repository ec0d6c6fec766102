import { afterEach, describe, expect, test, vi } from "vitest";
import { main } from "../../cli";

function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const o = vi.spyOn(process.stdout, "write").mockImplementation((s: string | Uint8Array) => ((out += String(s)), true));
  const e = vi.spyOn(process.stderr, "write").mockImplementation((s: string | Uint8Array) => ((err += String(s)), true));
  return main(["node", "poq", "simulate", ...args]).then((code) => {
    o.mockRestore();
    e.mockRestore();
    return { code, out, err };
  });
}

const base = ["--data", "data/samples/qa-sample.jsonl", "--rounds", "3", "--tasks", "60", "--honest", "label", "--seed", "5"];

describe("poq simulate", () => {
  afterEach(() => vi.restoreAllMocks());

  test("behavior: --json prints one object with the default rule and every rule's metrics", async () => {
    const { code, out } = await run([...base, "--k", "7", "--malicious", "0.3", "--attack", "sabotage", "--json"]);
    expect(code).toBe(0);
    const j = JSON.parse(out);
    expect(j.default).toBe("robust-trust");
    expect(Object.keys(j.rules)).toEqual(["mean", "median", "trimmed", "trust-published", "robust-trust"]);
    for (const key of ["mae", "spearman", "honestSlashed", "maliciousSlashed", "maliciousPoolShare", "fairShare", "slashPrecision", "slashRecall"]) {
      expect(j.rules["robust-trust"]).toHaveProperty(key);
    }
  });

  test("behavior: the new attacks, --sybil, the shared-scorer model and the shipped policy run from the command line", async () => {
    for (const extra of [["--attack", "pump"], ["--attack", "node-copier", "--sybil", "0.5"], ["--attack", "none", "--honest-model", "shared", "--policy", "config/local/policy.json"]]) {
      const r = await run([...base, "--rule", "robust-trust", "--json", ...extra]);
      expect(r.code).toBe(0);
      expect(JSON.parse(r.out).rules["robust-trust"]).toHaveProperty("fairShare");
    }
  });

  test("behavior: --rule limits the output to one rule, whose metrics are those of the full run", async () => {
    const one = await run([...base, "--rule", "median", "--json"]);
    const all = await run([...base, "--json"]);
    expect(Object.keys(JSON.parse(one.out).rules)).toEqual(["median"]);
    expect(JSON.parse(one.out).rules.median).toEqual(JSON.parse(all.out).rules.median);
  });

  test("behavior: bad input exits non-zero with a clear message", async () => {
    for (const [args, msg] of [
      [["--k", "0"], /--k must be an integer/],
      [["--sybil", "1"], /--sybil must be a share/],
      [["--honest-model", "x"], /--honest-model must be one of/],
      [["--malicious", "1.5"], /ratio in \[0, 1\]/],
      [["--attack", "bribe"], /unknown attack "bribe"/],
      [["--rule", "vote"], /unknown rule "vote"/],
      [["--rounds", "x"], /--rounds must be an integer/],
    ] as [string[], RegExp][]) {
      const r = await run([...base, ...args]);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(msg);
    }
  });
});
