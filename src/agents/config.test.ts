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
    expect(() => resolveConfig({ env: {}, flags: { devAccount: "1", turnGraceMs: "-1" }, single: "relayer" })).toThrow(/^--turn-grace-ms must be an integer in \[0, 3600000\], got -1$/);
    expect(resolveConfig({ env: {}, flags: { devAccount: "1", turnGraceMs: "250" }, single: "relayer" }).turnGraceMs).toBe(250);
    expect(resolveConfig({ env: {}, flags: { devAccount: "1" }, single: "relayer" }).turnGraceMs).toBe(4_000);
    expect(() => resolveConfig({ env: {}, flags: { devAccount: "1", behavior: "evil" }, single: "evaluator" })).toThrow(/^--behavior must be a known evaluator behavior: honest, never-reveal, /);
    expect(() => resolveConfig({ env: {}, flags: { devAccount: "1", stake: "1.0000000000000000001" }, single: "evaluator" })).toThrow(/^--stake must be a token amount .*at most 18 decimals/);
  });

  test("behavior: token amounts parse exactly", () => {
    const c = resolveConfig({ env: {}, flags: { devAccount: "1", stake: "2.5" }, single: "evaluator" });
    expect(c.stake).toBe(2_500_000_000_000_000_000n);
  });

  describe("content", () => {
    const PEER = "/ip4/127.0.0.1/tcp/4002/p2p/12D3KooWFSjiz1EcnG4jeMrRoYCGib58MiJJgUYbrWY3QkTmqKyS";
    const relayer = [{ type: "relayer", devAccount: 1 }];
    const resolve = (extra: Record<string, unknown>, flags: Record<string, unknown> = {}, env: NodeJS.ProcessEnv = {}) => resolveConfig({ file: file({ storeDir: "s", agents: relayer, ...extra }), env, flags });
    const fails = (extra: Record<string, unknown>, message: RegExp, flags: Record<string, unknown> = {}, env: NodeJS.ProcessEnv = {}) => {
      let err: unknown;
      try {
        resolve(extra, flags, env);
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify({ extra, flags, env })).toBeInstanceOf(InputError);
      expect((err as Error).message).toMatch(message);
    };

    test("behavior: the folder store is the default backend; helia gets its own folder inside the store, loopback and no peers by default", () => {
      const c = resolve({});
      expect(c.content).toEqual({ kind: "folder", dir: c.storeDir });
      const h = resolve({ content: "helia" });
      expect(h.content).toEqual({ kind: "helia", dir: path.join(h.storeDir, "ipfs"), listen: ["/ip4/127.0.0.1/tcp/0"], announce: [], peers: [], peerUrls: [], dial: "loopback", redialMs: 2000 });
      const k = resolve({ content: { kind: "kubo", kuboUrl: "http://127.0.0.1:5001" } });
      expect(k.content).toEqual({ kind: "kubo", kuboUrl: "http://127.0.0.1:5001" });
    });

    test("behavior: a config file object, the environment and the flags combine; a relative dir is relative to the file", () => {
      const f = file({ storeDir: "s", agents: relayer, content: { kind: "helia", dir: "node-a", listen: ["/ip4/127.0.0.1/tcp/4001"], peers: [PEER] } });
      const fromFile = resolveConfig({ file: f, env: {} });
      expect(fromFile.content).toMatchObject({ kind: "helia", dir: path.join(path.dirname(f), "node-a"), listen: ["/ip4/127.0.0.1/tcp/4001"], peers: [PEER] });
      const other = PEER.replace("4002", "4003");
      const fromEnv = resolveConfig({ file: f, env: { POQ_IPFS_PEERS: `${PEER},${other}` }, flags: { ipfsListen: "/ip4/127.0.0.1/tcp/4009", contentDir: "flag-dir" } });
      expect(fromEnv.content).toMatchObject({ kind: "helia", dir: path.resolve("flag-dir"), listen: ["/ip4/127.0.0.1/tcp/4009"], peers: [PEER, other] });
      const urls = resolveConfig({ file: f, env: { POQ_IPFS_PEER_URLS: "http://127.0.0.1:9101, http://127.0.0.1:9102" } });
      expect(urls.content).toMatchObject({ kind: "helia", peers: [PEER], peerUrls: ["http://127.0.0.1:9101", "http://127.0.0.1:9102"] });
      expect(() => resolveConfig({ file: f, env: {}, flags: { ipfsPeerUrls: "http://198.51.100.7:9101" } })).toThrow(/content.peerUrls.0: http:\/\/198.51.100.7:9101 is not on the loopback interface/);
      expect(() => resolveConfig({ env: {}, flags: { devAccount: "1", ipfsPeerUrls: "http://127.0.0.1:9101" }, single: "relayer" })).toThrow(/--ipfs-peer-urls does not apply to content kind "folder"/);
      const json = resolveConfig({ env: { POQ_CONTENT: JSON.stringify({ kind: "kubo", kuboUrl: "http://127.0.0.1:5001" }) }, flags: { devAccount: "1" }, single: "relayer" });
      expect(json.content).toEqual({ kind: "kubo", kuboUrl: "http://127.0.0.1:5001" });
      expect(resolveConfig({ env: {}, flags: { devAccount: "1", content: "kubo", kuboUrl: "http://127.0.0.1:5001" }, single: "relayer" }).content.kind).toBe("kubo");
    });

    test("behavior: a bad multiaddr, a peer without its id, a non-loopback address or a setting of another kind is named", () => {
      fails({ content: "ipfs" }, /content\.kind must be one of folder, helia, kubo, got "ipfs"/);
      fails({ content: 7 }, /content must be folder, helia, kubo or an object/);
      fails({ content: { kind: "helia", peers: ["127.0.0.1:4001"] } }, /content\.peers\.0: is not a usable multiaddr \(it must start with \/\)/);
      fails({ content: { kind: "helia", peers: ["/ip4/127.0.0.1/tcp/4001"] } }, /content\.peers\.0: must end with \/p2p\/<peer id>/);
      fails({ content: { kind: "helia", peers: ["/ip4/127.0.0.999/tcp/4001/p2p/12D3KooWFSjiz1EcnG4jeMrRoYCGib58MiJJgUYbrWY3QkTmqKyS"] } }, /"127\.0\.0\.999" is not an IPv4 address/);
      fails({ content: { kind: "helia", listen: ["/ip4/127.0.0.1/udp/4001/quic-v1"] } }, /content\.listen\.0: .*only TCP is supported/);
      fails({ content: { kind: "helia", peers: [PEER.replace("p2p/12D3", "p2p/0OIl")] } }, /is not a peer id/);
      // tests and the demo dial loopback only: a public peer or listen address is refused before anything starts
      fails({ content: { kind: "helia", peers: [PEER.replace("127.0.0.1", "203.0.113.7")] } }, /content\.peers\.0: \/ip4\/203\.0\.113\.7\/tcp\/4002\/p2p\/.* is not a loopback address, .*dial: "any"/);
      fails({ content: { kind: "helia", listen: ["/ip4/0.0.0.0/tcp/4001"] } }, /content\.listen\.0: \/ip4\/0\.0\.0\.0\/tcp\/4001 is not a loopback address/);
      expect(resolve({ content: { kind: "helia", dial: "any", listen: ["/ip4/0.0.0.0/tcp/4001"], peers: [PEER.replace("127.0.0.1", "203.0.113.7")] } }).content).toMatchObject({ dial: "any" });
      fails({ content: { kind: "helia", bootstrap: ["/dnsaddr/bootstrap.libp2p.io"] } }, /bootstrap/);
      fails({ content: { kind: "kubo", kuboUrl: "ftp://host" } }, /content\.kuboUrl/);
      fails({ content: "kubo" }, /content\.kuboUrl/);
      fails({ content: { kind: "helia", dir: "s" } }, /must not be the store folder itself/);
      // flags and the environment are named as spelled
      fails({}, /^--ipfs-peers\[1\] must end with \/p2p\/<peer id>/, { ipfsPeers: `${PEER},/ip4/127.0.0.1/tcp/4001` });
      fails({}, /^environment POQ_IPFS_LISTEN\[0\] is not a usable multiaddr/, {}, { POQ_IPFS_LISTEN: "localhost:4001" });
      fails({}, /--ipfs-peers does not apply to content kind "folder"/, { ipfsPeers: PEER });
      fails({ content: "helia" }, /--kubo-url does not apply to content kind "helia"/, { kuboUrl: "http://127.0.0.1:5001" });
      fails({ content: "helia" }, /content\.peers\.0: .*not a loopback address/, {}, { POQ_IPFS_PEERS: PEER.replace("127.0.0.1", "10.0.0.5") });
    });
  });
});
