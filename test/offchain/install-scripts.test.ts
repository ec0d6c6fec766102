import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { anvilBinary } from "../e2e/harness";

const ROOT = path.join(__dirname, "..", "..");
const read = (f: string) => JSON.parse(fs.readFileSync(path.join(ROOT, f), "utf8"));

/** The package name of a package-lock.json `packages` key (`node_modules/a/node_modules/@s/b` is `@s/b`). */
function lockEntryName(key: string): string {
  return key.slice(key.lastIndexOf("node_modules/") + "node_modules/".length);
}

/**
 * npm 11 runs no install script it has not been told about, and warns at every `npm ci` ("install-scripts N package
 * has install scripts not yet covered by allowScripts"). Every package of the lock file with an install script is
 * decided explicitly in package.json's `allowScripts`: true to run it, false to skip it.
 */
describe("install scripts: package.json allowScripts covers the lock file", () => {
  test("behavior: every package-lock.json entry with hasInstallScript is listed in allowScripts, with a boolean", () => {
    const allow: Record<string, unknown> = read("package.json").allowScripts ?? {};
    const packages: Record<string, { hasInstallScript?: boolean; version?: string }> = read("package-lock.json").packages;
    const withScripts = Object.entries(packages)
      .filter(([key, p]) => key !== "" && p.hasInstallScript === true)
      .map(([key, p]) => `${lockEntryName(key)}@${p.version}`);
    expect(withScripts.length).toBeGreaterThan(0);
    const uncovered = withScripts.filter((n) => !(n.slice(0, n.lastIndexOf("@")) in allow));
    expect(uncovered, `not decided in package.json allowScripts: ${uncovered.join(", ")}`).toEqual([]);
    for (const [name, v] of Object.entries(allow)) expect(typeof v, `allowScripts["${name}"]`).toBe("boolean");
  });

  test("behavior: @foundry-rs/anvil's postinstall (a registry download of a fallback binary) is not run", () => {
    // The binary comes from the optional platform package; the postinstall only downloads it when that is missing.
    expect(read("package.json").allowScripts["@foundry-rs/anvil"]).toBe(false);
    expect(Object.keys(read("node_modules/@foundry-rs/anvil/package.json").optionalDependencies)).toContain(
      `@foundry-rs/anvil-${process.platform}-${process.arch === "x64" ? "amd64" : process.arch}`,
    );
  });
});

describe("anvilBinary: the e2e harness's anvil comes from its platform package", () => {
  test("behavior: it returns the platform package's binary when installed", () => {
    const file = anvilBinary();
    expect(fs.statSync(file).isFile()).toBe(true);
  });

  test("behavior: a missing platform package is a clear error naming the package", () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), "poq-no-anvil-"));
    try {
      expect(() => anvilBinary(empty, "linux", "x64")).toThrow(/@foundry-rs\/anvil-linux-amd64 .*is not installed/);
      expect(() => anvilBinary(empty, "darwin", "arm64")).toThrow(/@foundry-rs\/anvil-darwin-arm64/);
    } finally {
      fs.rmSync(empty, { recursive: true, force: true });
    }
  });
});
