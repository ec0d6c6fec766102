/**
 * Bad-input fuzzing of every file reader and CLI command: whatever the input, the outcome is a result or a clear,
 * typed error (PoqError: the CLI prints its message and exits 2), never an unhandled exception.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import fc from "fast-check";
import { runs } from "../helpers/fastcheck";
import { describe, expect, test, vi } from "vitest";
import { PoqError } from "../../src/errors";
import { parseLoggedOutputs } from "../../src/data/logged";
import { resolveConfig } from "../../src/agents/config";
import { loadPolicy } from "../../src/agents/policy";
import { ContentStore } from "../../src/protocol/store";
import { loadBatch } from "../../src/protocol/manifest";
import { loadPayload } from "../../src/protocol/payload";
import { packScores, unpackScores } from "../../src/chain/encoding";
import { validateProfile } from "../../src/scoring/profile";
import { main } from "../../src/cli";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "poq-fuzz-"));
let n = 0;
const write = (content: string | Uint8Array) => {
  const f = path.join(dir, `f${n++}`);
  fs.writeFileSync(f, content);
  return f;
};

/** Runs `f`; a thrown error must be a PoqError (clear and typed). */
function clearOrOk(f: () => unknown): void {
  try {
    f();
  } catch (e) {
    if (!(e instanceof PoqError)) throw new Error(`unclear error: ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`);
    expect(e.shortMessage.length).toBeGreaterThan(0);
  }
}

const jsonish = fc.oneof(
  fc.string(),
  fc.json(),
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc.record({ id: fc.anything(), task: fc.constantFrom("qa", "summarization", "x", 1), queryId: fc.anything(), query: fc.anything(), output: fc.anything(), model: fc.anything(), label: fc.anything(), references: fc.anything(), context: fc.anything(), tokens: fc.anything() }).map((o) => JSON.stringify(o)),
);

/** Policy-shaped JSON: known keys, each with a plausible or an arbitrary value. */
const policyish = fc
  .record(
    {
      slashAfterRounds: fc.oneof(fc.integer(), fc.anything()),
      rule: fc.oneof(fc.constantFrom("median", "trimmed", "weightedMedian"), fc.anything()),
      consensus: fc.oneof(
        fc.anything(),
        fc.record(
          { stakeUnitWei: fc.oneof(fc.bigInt({ min: -1n, max: 10n ** 20n }).map(String), fc.anything()), etaDownPpm: fc.anything(), trimFractionPpm: fc.integer() },
          { requiredKeys: [] },
        ),
      ),
      alphaPpm: fc.oneof(fc.integer(), fc.anything()),
    },
    { requiredKeys: [] },
  )
  .map((o) => JSON.stringify(o));

describe("file readers under random input", () => {
  test("property: logged-outputs JSONL gives outputs or a FileFormatError naming the line", () => {
    fc.assert(
      fc.property(fc.array(jsonish, { maxLength: 6 }), (lines) => {
        clearOrOk(() => parseLoggedOutputs(lines.join("\n"), "fuzz.jsonl"));
      }),
      { numRuns: runs(400) },
    );
  });

  test("property: daemon config files give a config or an InputError", () => {
    fc.assert(
      fc.property(jsonish, fc.dictionary(fc.constantFrom("POQ_RPC_URL", "POQ_POLL_MS", "POQ_PORT", "POQ_PRIVATE_KEY", "POQ_CONFIRMATIONS"), fc.string()), (text, env) => {
        const f = write(text);
        clearOrOk(() => resolveConfig({ file: f, env }));
        clearOrOk(() => resolveConfig({ file: f, env, single: "evaluator" }));
      }),
      { numRuns: runs(200) },
    );
  });

  test("property: policy files give a policy or an InputError", () => {
    fc.assert(
      fc.property(fc.oneof(jsonish, policyish), (text) => {
        clearOrOk(() => loadPolicy(write(text)));
      }),
      { numRuns: runs(200) },
    );
  });

  test("property: calibration profiles give a profile or an InputError", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        clearOrOk(() => validateProfile(v, "fuzz-profile"));
      }),
      { numRuns: runs(300) },
    );
  });

  test("property: settlement payloads and batch manifests from the store give data or a ContentError", () => {
    const store = new ContentStore(path.join(dir, "store"));
    fc.assert(
      fc.property(fc.oneof(jsonish, fc.uint8Array().map((b) => Buffer.from(b).toString("latin1"))), (text) => {
        const h = store.put(text);
        store.setIndex("settlement", h, h);
        store.setIndex("batch", h, h);
        clearOrOk(() => loadPayload(store, h));
        clearOrOk(() => loadBatch(store, h, 3));
      }),
      { numRuns: runs(200) },
    );
  });

  test("property: packed scores round-trip or give an InputError", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -5, max: 70_000 }), { maxLength: 40 }), fc.stringMatching(/^[0-9a-f]{0,90}$/), (scores, hex) => {
        clearOrOk(() => expect(unpackScores(packScores(scores))).toEqual(scores));
        clearOrOk(() => unpackScores(`0x${hex}`));
      }),
      { numRuns: runs(300) },
    );
  });
});

describe("CLI commands under bad input", () => {
  const bad = write("{ not json\n");
  const empty = write("");
  const wrongTask = write(JSON.stringify({ id: "a", task: "poetry", queryId: "q", query: "q", output: "o", model: "m", label: 1 }) + "\n");
  const outOfRange = write(JSON.stringify({ id: "a", task: "qa", queryId: "q", query: "q", output: "o", model: "m", label: 7 }) + "\n");
  const cases: string[][] = [
    ["audit", "--eval", "/nonexistent.jsonl"],
    ["audit", "--eval", bad],
    ["audit", "--eval", empty],
    ["audit", "--eval", wrongTask],
    ["audit", "--eval", outOfRange],
    ["audit", "--train", bad, "--eval", bad],
    ["audit", "--cv", "zero", "--eval", outOfRange],
    ["simulate", "--data", bad, "--json"],
    ["simulate", "--data", "/nonexistent.jsonl"],
    ["simulate", "--data", outOfRange, "--k", "0"],
    ["simulate", "--data", outOfRange, "--malicious", "1.5"],
    ["simulate", "--data", outOfRange, "--attack", "meteor"],
    ["simulate", "--data", outOfRange, "--rule", "dictator"],
    ["demo", "--rounds", "-1"],
    ["demo", "--tasks", "many"],
    ["demo", "--data", bad],
    ["relayer", "--config", bad],
    ["evaluator", "--behavior", "evil", "--dev-account", "7"],
    ["inference", "--dev-account", "3", "--models", "gpt4"],
    ["agents", "--config", "/nonexistent.json"],
    ["claim", "--account", "0xnot-an-address"],
    ["claim", "--dev-account", "abc"],
    ["claim", "--rpc", "::::"],
    ["fund", "--round", "x", "--inference", "1", "--evaluator", "1"],
    ["fund", "--round", "1", "--inference", "-3", "--evaluator", "1"],
  ];

  test("behavior: each malformed invocation exits non-zero with a clear message, never a stack trace", async () => {
    const err = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    const out = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
    try {
      for (const args of cases) {
        err.mockClear();
        const code = await main(["node", "poq", ...args]);
        const text = err.mock.calls.map((c) => String(c[0])).join("");
        expect(code, `poq ${args.join(" ")}`).toBeGreaterThan(0);
        expect(text, `poq ${args.join(" ")}`).toMatch(/error/i);
        expect(text, `poq ${args.join(" ")}`).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
        expect(text, `poq ${args.join(" ")}`).not.toMatch(/unexpected failure/);
      }
    } finally {
      err.mockRestore();
      out.mockRestore();
    }
  }, 60_000);

  test("property: random flags and values never crash the parser", async () => {
    const err = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    const out = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom("audit", "simulate", "claim", "fund", "relayer"),
          fc.array(fc.oneof(fc.constantFrom("--k", "--rounds", "--malicious", "--eval", "--data", "--round", "--seed", "--json", "--cv", "--rpc"), fc.string({ maxLength: 8 })), { maxLength: 5 }),
          async (cmd, rest) => {
            const args = cmd === "relayer" ? [cmd, "--config", bad, ...rest] : cmd === "claim" || cmd === "fund" ? [cmd, "--rpc", "bad url", ...rest] : [cmd, "--data", bad, "--eval", bad, ...rest];
            const code = await main(["node", "poq", ...args]);
            expect(code).toBeGreaterThan(0);
            const text = err.mock.calls.map((c) => String(c[0])).join("");
            expect(text).not.toMatch(/unexpected failure/);
          },
        ),
        { numRuns: runs(60) },
      );
    } finally {
      err.mockRestore();
      out.mockRestore();
    }
  }, 60_000);
});
