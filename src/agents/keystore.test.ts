import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { encryptKeystoreJsonSync, Wallet } from "ethers";
import { describe, expect, test } from "vitest";
import { InputError } from "../errors";
import { devKey } from "./accounts";
import { resolveConfig } from "./config";
import { decryptKeystore } from "./keystore";

const KEY = devKey(7);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "poq-keystore-"));
const write = (name: string, text: string) => (fs.writeFileSync(path.join(dir, name), text), path.join(dir, name));

/** Keystores written by another implementation (ethers), with cheap KDF parameters. */
const wallet = new Wallet(KEY);
const scryptFile = write("scrypt.json", encryptKeystoreJsonSync({ address: wallet.address, privateKey: KEY }, "correct horse", { scrypt: { N: 1 << 10 } }));
const passwordFile = write("password.txt", "correct horse\n");
const wrongFile = write("wrong.txt", "battery staple\n");

describe("encrypted JSON keystores (--keystore)", () => {
  test("behavior: decrypts a v3 scrypt keystore written by ethers; a wrong password is named, the key never echoed", () => {
    expect(decryptKeystore(scryptFile, "correct horse")).toBe(KEY);
    const e = (() => {
      try {
        decryptKeystore(scryptFile, "battery staple");
      } catch (x) {
        return x as InputError;
      }
    })();
    expect(e).toBeInstanceOf(InputError);
    expect(e?.shortMessage).toBe(`keystore ${scryptFile}: wrong password`);
    expect(() => decryptKeystore(passwordFile, "x")).toThrow(/not a JSON keystore/);
  });

  test("behavior: every daemon resolves its key from --keystore with --password-file, or POQ_KEYSTORE with POQ_KEYSTORE_PASSWORD", () => {
    for (const single of ["relayer", "evaluator", "funder"] as const) {
      expect(resolveConfig({ env: {}, flags: { keystore: scryptFile, passwordFile }, single }).agents[0].key).toBe(KEY);
    }
    expect(resolveConfig({ env: { POQ_KEYSTORE: scryptFile, POQ_KEYSTORE_PASSWORD: "correct horse" }, single: "relayer" }).agents[0].key).toBe(KEY);
    expect(() => resolveConfig({ env: {}, flags: { keystore: scryptFile }, single: "relayer" })).toThrow(/--password-file FILE or the environment variable POQ_KEYSTORE_PASSWORD/);
    expect(() => resolveConfig({ env: {}, flags: { keystore: scryptFile, passwordFile: wrongFile }, single: "relayer" })).toThrow(/wrong password/);
  });

  test("behavior: the CLI takes --keystore in claim (wrong password: exit 2, one line) and lists it in every daemon's help", () => {
    const poq = (args: string[]) => spawnSync(process.execPath, [path.join(__dirname, "..", "..", "bin", "poq.js"), ...args], { encoding: "utf8", env: { ...process.env, POQ_LOG_LEVEL: "silent" } });
    const wrong = poq(["claim", "--keystore", scryptFile, "--password-file", wrongFile, "--rpc", "http://127.0.0.1:9"]);
    expect(wrong.status).toBe(2);
    expect(wrong.stderr.trim()).toBe(`error: keystore ${scryptFile}: wrong password`);
    // The right password gets past the key to the (unreachable) node.
    const right = poq(["claim", "--keystore", scryptFile, "--password-file", passwordFile, "--rpc", "http://127.0.0.1:9"]);
    expect(right.status).toBe(2);
    expect(right.stderr).toMatch(/^error: cannot reach the JSON-RPC endpoint/);
    for (const c of ["relayer", "evaluator", "inference", "agents", "fund"]) expect(poq([c, "--help"]).stdout).toContain("--keystore <file>");
  });
});
