import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { InputError } from "../errors";
import { devKey } from "./accounts";
import { resolveConfig } from "./config";

function file(obj: unknown): string {
  const f = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "poq-cfg-")), "c.json");
  fs.writeFileSync(f, typeof obj === "string" ? obj : JSON.stringify(obj));
  return f;
}

describe("resolveConfig", () => {
  test("behavior: config file, then environment, then flags", () => {
    const f = file({ rpcUrl: "http://file:1", pollMs: 700, storeDir: "s", agents: [{ type: "evaluator", devAccount: 7 }] });
    const fromFile = resolveConfig({ file: f, env: {} });
    expect(fromFile.rpcUrl).toBe("http://file:1");
    expect(fromFile.pollMs).toBe(700);
    expect(fromFile.storeDir).toBe(path.join(path.dirname(f), "s"));
    const fromEnv = resolveConfig({ file: f, env: { POQ_RPC_URL: "http://env:2" } });
    expect(fromEnv.rpcUrl).toBe("http://env:2");
    const fromFlag = resolveConfig({ file: f, env: { POQ_RPC_URL: "http://env:2" }, flags: { rpcUrl: "http://flag:3", pollMs: "50" } });
    expect(fromFlag.rpcUrl).toBe("http://flag:3");
    expect(fromFlag.pollMs).toBe(50);
    expect(fromFlag.agents[0]).toMatchObject({ type: "evaluator", key: devKey(7), behavior: "honest" });
  });

  test("behavior: a single agent takes its key from the flags or POQ_PRIVATE_KEY", () => {
    const key = devKey(1);
    expect(resolveConfig({ env: { POQ_PRIVATE_KEY: key }, single: "relayer" }).agents[0]).toEqual({ type: "relayer", key, registrar: false });
    expect(resolveConfig({ env: {}, flags: { devAccount: "2", registrar: true }, single: "relayer" }).agents[0]).toMatchObject({ registrar: true, key: devKey(2) });
  });

  test("behavior: a missing or malformed key is a clear error that never echoes the key", () => {
    expect(() => resolveConfig({ env: {}, single: "relayer" })).toThrow(/missing private key/);
    expect(() => resolveConfig({ env: { POQ_PRIVATE_KEY: "0xdeadbeef" }, single: "relayer" })).toThrow(/environment POQ_PRIVATE_KEY must be 32 bytes of hex/);
    try {
      resolveConfig({ env: { POQ_PRIVATE_KEY: "0xsecretsecret" }, single: "relayer" });
    } catch (e) {
      expect((e as Error).message).not.toContain("secretsecret");
    }
  });

  test("behavior: malformed config files and values are named", () => {
    expect(() => resolveConfig({ file: "/nonexistent/poq.json" })).toThrow(/config file \/nonexistent\/poq.json not found/);
    expect(() => resolveConfig({ file: file("{not json") })).toThrow(/malformed config/);
    expect(() => resolveConfig({ file: file([1, 2]) })).toThrow(/malformed config/);
    expect(() => resolveConfig({ file: file({ agents: [] }) })).toThrow(/lists no agents/);
    expect(() => resolveConfig({ file: file({ agents: [{ type: "oracle", devAccount: 1 }] }) })).toThrow(/agents\[0\]\.type must be relayer, evaluator, inference or funder, got "oracle"/);
    expect(() => resolveConfig({ file: file({ agents: [{ type: "evaluator", devAccount: 1, behavior: "evil" }] }) })).toThrow(/agents\[0\]\.behavior must be a known evaluator behavior: honest, never-reveal, .*got "evil"/);
    expect(() => resolveConfig({ file: file({ pollMs: -1, agents: [{ type: "relayer", devAccount: 1 }] }) })).toThrow(/pollMs must be an integer/);
    expect(() => resolveConfig({ file: file({ stake: "lots", agents: [{ type: "relayer", devAccount: 1 }] }) })).toThrow(/stake must be a token amount/);
    expect(() => resolveConfig({ file: file({ agents: [{ type: "inference", devAccount: 3, models: ["gpt4"] }] }) })).toThrow(/needs replay files/);
    expect(() => resolveConfig({ file: file({ agents: [{ type: "inference", devAccount: 3 }] }) })).toThrow(/models must list/);
    const served = { agents: [{ type: "inference", devAccount: 3, models: ["llama"] }] };
    expect(resolveConfig({ file: file({ ...served, backendUrl: "http://127.0.0.1:8000/v1", servePort: 0, fanout: ["http://127.0.0.1:9001"] }) })).toMatchObject({ backendUrl: "http://127.0.0.1:8000/v1", servePort: 0, fanout: ["http://127.0.0.1:9001"] });
    expect(() => resolveConfig({ file: file({ ...served, backendUrl: "localhost:8000" }) })).toThrow(/--backend must be an http\(s\) URL or "replay"/);
    expect(() => resolveConfig({ file: file({ ...served, backendUrl: "replay" }) })).toThrow(/the replay backend needs replay files/);
    expect(() => resolveConfig({ file: file({ agents: [{ type: "relayer", devAccount: 1 }] }) })).not.toThrow(InputError);
  });

  test("behavior: unknown keys and values of the wrong kind are refused by name, whatever they hold", () => {
    const relayer = [{ type: "relayer", devAccount: 1 }];
    const fails = (cfg: unknown, message: RegExp) => {
      let err: unknown;
      try {
        resolveConfig({ file: file(cfg), env: {} });
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(cfg)).toBeInstanceOf(InputError);
      expect((err as Error).message).toMatch(message);
    };
    fails({ pollMS: 10, agents: relayer }, /unknown key "pollMS"/);
    fails({ agents: [{ type: "relayer", devAccount: 1, registar: true }] }, /agents\[0\]: unknown key "registar"/);
    fails({ agents: [{ type: "evaluator", key: {} }] }, /agents\[0\]\.key must be a hex string$/);
    expect(() => resolveConfig({ file: file({ key: {} }), env: {}, single: "evaluator" })).toThrow(/key must be a hex string/);
    fails({ rpcUrl: { toString: "" }, agents: relayer }, /rpcUrl must be a non-empty string, got \{"toString":""\}/);
    fails({ storeDir: 7, agents: relayer }, /storeDir must be a non-empty string, got 7/);
    fails({ replay: [1], agents: relayer }, /replay must be a list of strings/);
    fails({ useReferences: "yes", agents: relayer }, /useReferences must be true or false, got "yes"/);
    fails({ logLevel: "loud", agents: relayer }, /logLevel must be one of fatal, error, warn, info, debug, trace, silent/);
    fails({ pollMs: "", agents: relayer }, /pollMs must be an integer/);
    fails({ stake: { valueOf: 1 }, agents: relayer }, /stake must be a token amount .* got \{"valueOf":1\}/);
    fails({ agents: [{ type: "relayer", devAccount: 1, registrar: "no" }] }, /agents\[0\].registrar must be true or false/);
    fails({ agents: [{ type: "evaluator", devAccount: 1, behavior: ["honest"] }] }, /agents\[0\].behavior must be a known evaluator behavior: .*, got \["honest"\]/);
    fails({ agents: [{ type: "inference", devAccount: 3, models: [1] }], replay: ["a.jsonl"] }, /models must be a list of strings/);
    fails({ agents: [["relayer"]] }, /agents\[0\] must be an object/);
    const ok = resolveConfig({ file: file({ replay: "a.jsonl, b.jsonl", logLevel: "debug", agents: [{ type: "inference", devAccount: 3, models: "gpt4,M8" }] }), env: {} });
    expect(ok.replay.map((f) => path.basename(f))).toEqual(["a.jsonl", "b.jsonl"]);
    expect(ok.agents[0]).toMatchObject({ type: "inference", models: ["gpt4", "M8"] });
    expect(ok.logLevel).toBe("debug");
  });

  test("behavior: paths in the file are relative to the file, paths from flags or the environment to the working directory", () => {
    const f = file({ profileFile: "p.json", replay: ["r.jsonl"], policyFile: null, deploymentFile: "", port: null, agents: [{ type: "inference", devAccount: 3, models: ["m"] }] });
    const dir = path.dirname(f);
    const fromFile = resolveConfig({ file: f, env: {} });
    expect(fromFile.profileFile).toBe(path.join(dir, "p.json"));
    expect(fromFile.replay).toEqual([path.join(dir, "r.jsonl")]);
    expect([fromFile.policyFile, fromFile.deploymentFile, fromFile.port]).toEqual([undefined, undefined, undefined]); // null and "" leave them unset
    const fromFlags = resolveConfig({ file: f, env: { POQ_STORE: "env-store" }, flags: { profileFile: "config/x.json", replay: "a.jsonl,b.jsonl" } });
    expect(fromFlags.profileFile).toBe(path.resolve("config/x.json"));
    expect(fromFlags.replay).toEqual([path.resolve("a.jsonl"), path.resolve("b.jsonl")]);
    expect(fromFlags.storeDir).toBe(path.resolve("env-store"));
  });

  test("behavior: the example configuration resolves", () => {
    const c = resolveConfig({ file: path.join(__dirname, "..", "..", "config", "local", "agents.json"), env: {} });
    expect(c.agents.map((a) => a.type)).toContain("funder");
    expect(c.replay.length).toBeGreaterThan(0);
  });

  test("behavior: a bad value is named as its source spells it: the file's key, the environment variable or the flag", () => {
    const f = file({ pollMs: 5, agents: [{ type: "relayer", devAccount: 1 }] });
    expect(() => resolveConfig({ file: f, env: {} })).toThrow(new RegExp(`^config ${f}: pollMs must be an integer in \\[10, 600000\\], got 5$`));
    expect(() => resolveConfig({ env: { POQ_PORT: "http" }, flags: { devAccount: "1" }, single: "relayer" })).toThrow(/^environment POQ_PORT must be an integer in \[0, 65535\], got "http"$/);
    expect(() => resolveConfig({ env: {}, flags: { devAccount: "1", maxOpenRounds: "99" }, single: "relayer" })).toThrow(/^--max-open-rounds must be an integer in \[1, 16\], got 99$/);
    expect(() => resolveConfig({ env: {}, flags: { devAccount: "1", behavior: "evil" }, single: "evaluator" })).toThrow(/^--behavior must be a known evaluator behavior: honest, never-reveal, /);
    expect(() => resolveConfig({ env: {}, flags: { devAccount: "1", stake: "1.0000000000000000001" }, single: "evaluator" })).toThrow(/^--stake must be a token amount .*at most 18 decimals/);
  });

  test("behavior: token amounts parse exactly", () => {
    const c = resolveConfig({ env: {}, flags: { devAccount: "1", stake: "2.5" }, single: "evaluator" });
    expect(c.stake).toBe(2_500_000_000_000_000_000n);
  });
});
