import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, test, vi } from "vitest";
import { InputError } from "../errors";
import { main } from "../cli";
import { loadLabels, resolveExplorerConfig } from "./run";

describe("explorer configuration", () => {
  test("behavior: flags win over the environment, which wins over defaults", () => {
    const store = fs.mkdtempSync(path.join(os.tmpdir(), "poq-store-"));
    const env = { POQ_RPC_URL: "http://env:8545", POQ_CONFIRMATIONS: "3", POQ_STORE: store };
    expect(resolveExplorerConfig({}, env)).toMatchObject({ rpcUrl: "http://env:8545", confirmations: 3, storeDir: store, port: 8080, host: "127.0.0.1", pollMs: 1000 });
    expect(resolveExplorerConfig({ rpc: "http://flag:1", confirmations: "0", port: "0", fromBlock: "12" }, env)).toMatchObject({ rpcUrl: "http://flag:1", confirmations: 0, port: 0, fromBlock: 12n });
  });

  test("behavior: an empty flag or environment variable counts as unset, so the next source or the default applies", () => {
    const cwd = process.cwd();
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), "poq-cwd-"));
    process.chdir(empty); // no .poq/store here
    try {
      const cfg = resolveExplorerConfig({ rpc: "", store: "", port: "" }, { POQ_RPC_URL: "", POQ_STORE: "", POQ_CONFIRMATIONS: "", POQ_EXPLORER_PORT: "9090", POQ_EXPLORER_LABELS: "" });
      expect(cfg).toMatchObject({ rpcUrl: "http://127.0.0.1:8545", storeDir: undefined, confirmations: 1, port: 9090, labelsFile: undefined });
    } finally {
      process.chdir(cwd);
    }
  });

  test("behavior: the content options read as the daemons read them: a flag wins over its variable; a backend gets the explorer a store of its own", () => {
    const cwd = process.cwd();
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), "poq-cwd-"));
    process.chdir(empty);
    try {
      // without content options nothing changes: no store folder, no backend
      const plain = resolveExplorerConfig({}, {});
      expect([plain.storeDir, plain.content, plain.archive]).toEqual([undefined, undefined, false]);
      const peer = "/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN";
      const env = { POQ_CONTENT: "helia", POQ_IPFS_PEERS: peer, POQ_EXPLORER_ARCHIVE: "true" };
      const fromEnv = resolveExplorerConfig({}, env);
      expect(fromEnv).toMatchObject({ storeDir: ".poq/store", archive: true, content: { kind: "helia", dir: path.join(fs.realpathSync(empty), ".poq", "store", "ipfs"), peers: [peer], dial: "loopback" } });
      const other = peer.replace("/tcp/4001/", "/tcp/4002/");
      expect(resolveExplorerConfig({ ipfsPeers: other }, env).content).toMatchObject({ peers: [other] }); // the flag wins
      // a store folder that does not exist yet is the explorer's own, to fill
      const own = resolveExplorerConfig({ store: "mine", contentDir: "node", ipfsListen: "/ip4/127.0.0.1/tcp/4555" }, env);
      expect(own).toMatchObject({ storeDir: "mine", content: { kind: "helia", dir: path.join(fs.realpathSync(empty), "node"), listen: ["/ip4/127.0.0.1/tcp/4555"], peers: [peer] } });
      expect(resolveExplorerConfig({ content: "folder" }, {}).content).toMatchObject({ kind: "folder", dir: path.join(fs.realpathSync(empty), ".poq", "store") });
    } finally {
      process.chdir(cwd);
    }
  });

  test("behavior: POQ_EXPLORER_ARCHIVE other than true or false is refused naming the variable", () => {
    expect(() => resolveExplorerConfig({ content: "helia" }, { POQ_EXPLORER_ARCHIVE: "yes" })).toThrow(/POQ_EXPLORER_ARCHIVE must be true or false, got "yes"/);
  });

  test("behavior: a labels file is read into name tags, and a malformed one is refused naming the entry", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "poq-labels-"));
    const file = (name: string, body: string) => (fs.writeFileSync(path.join(dir, name), body), path.join(dir, name));
    const a = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8";
    expect([...loadLabels(file("ok.json", JSON.stringify({ [a]: "Treasury" })))]).toEqual([["0x70997970C51812dc3A010C7d01b50e0d17dc79C8", "Treasury"]]);
    expect(() => loadLabels(file("bad-address.json", JSON.stringify({ "0x12": "x" })))).toThrow(/"0x12" is not an address/);
    expect(() => loadLabels(file("empty.json", JSON.stringify({ [a]: "" })))).toThrow(/is empty/);
    expect(() => loadLabels(file("not-json.json", "{"))).toThrow(/not valid JSON/);
    expect(() => loadLabels(path.join(dir, "missing.json"))).toThrow(/not found/);
  });

  test.each([
    [{ confirmations: "-1" }, /--confirmations must be an integer/],
    [{ port: "http" }, /--port must be an integer/],
    [{ port: "70000" }, /--port must be an integer/],
    [{ pollMs: "1.5" }, /--poll-ms must be an integer/],
    [{ fromBlock: "latest" }, /--from-block must be an integer/],
    [{ store: "/nonexistent/poq-store" }, /content store folder .* does not exist/],
    [{ archive: "true" }, /--archive pins content in an IPFS node: it needs --content helia .* or kubo/],
    [{ content: "helia", archive: "true", store: os.tmpdir(), kuboUrl: "http://127.0.0.1:5001" }, /--kubo-url does not apply to content kind "helia"/],
    [{ content: "ipfs" }, /--content must be one of folder, helia, kubo/],
    [{ content: "helia", store: os.tmpdir(), ipfsPeers: "/ip4/127.0.0.1/tcp/4001" }, /--ipfs-peers must end with \/p2p\/<peer id>/],
    [{ content: "helia", store: os.tmpdir(), ipfsPeers: "/ip4/10.0.0.1/tcp/4001/p2p/12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN" }, /not a loopback address/],
  ])("behavior: bad input %j is refused with a clear message", (flags, message) => {
    expect(() => resolveExplorerConfig(flags, {})).toThrow(InputError);
    expect(() => resolveExplorerConfig(flags, {})).toThrow(message);
  });

  test("behavior: malformed invocations and an unreachable node exit 2 with a clear message, never a stack trace", async () => {
    const err = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    const out = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
    try {
      for (const [args, message] of [
        [["explorer", "--rpc", "::::"], /malformed RPC URL/],
        [["explorer", "--store", "/nonexistent/store"], /does not exist/],
        [["explorer", "--archive", "--rpc", "http://127.0.0.1:1"], /--archive pins content in an IPFS node/],
        [["explorer", "--content", "helia", "--ipfs-peers", "nonsense", "--rpc", "http://127.0.0.1:1"], /--ipfs-peers/],
        [["inspect", "round", "1", "--rpc", "http://127.0.0.1:1"], /cannot reach the JSON-RPC endpoint http:\/\/127.0.0.1:1/],
        [["inspect", "round"], /missing required argument/],
        [["inspect", "round", "1", "--confirmations", "many"], /--confirmations must be an integer/],
        [["inspect", "address", "zz"], /malformed address/],
      ] as [string[], RegExp][]) {
        err.mockClear();
        const code = await main(["node", "poq", ...args]);
        const text = err.mock.calls.map((c) => String(c[0])).join("");
        expect([args.join(" "), code]).toEqual([args.join(" "), 2]);
        expect(text).toMatch(message);
        expect(text).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
      }
    } finally {
      err.mockRestore();
      out.mockRestore();
    }
  });

  test("behavior: poq inspect refuses malformed input before connecting (exit code 2)", async () => {
    const errors: string[] = [];
    const write = process.stderr.write;
    process.stderr.write = ((s: string) => (errors.push(String(s)), true)) as typeof process.stderr.write;
    try {
      expect(await main(["node", "poq", "inspect", "address", "0x12", "--rpc", "http://127.0.0.1:1"])).toBe(2);
      expect(await main(["node", "poq", "inspect", "tx", "nope", "--rpc", "http://127.0.0.1:1"])).toBe(2);
      expect(await main(["node", "poq", "explorer", "--port", "x", "--rpc", "http://127.0.0.1:1"])).toBe(2);
    } finally {
      process.stderr.write = write;
    }
    expect(errors.join("")).toMatch(/malformed address "0x12"[\s\S]*malformed transaction hash "nope"[\s\S]*--port must be an integer/);
  });
});
