import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { isSilencedWarning, withoutSilencedWarnings, type SolcMessage } from "../../scripts/compile-warnings";

const ROOT = path.join(__dirname, "..", "..");

const transient = (file: string): SolcMessage => ({
  severity: "warning",
  errorCode: "2394",
  message: "Transient storage as defined by EIP-1153 can break the composability of smart contracts: …",
  formattedMessage: `Warning: Transient storage as defined by EIP-1153 …\n --> ${file}:108:13:`,
  sourceLocation: { file },
});

describe("compile warnings: only OpenZeppelin's transient-storage warning is silenced", () => {
  test("behavior: the filter drops solc's 2394 warning on an OpenZeppelin file and keeps everything else", () => {
    const oz = transient("@openzeppelin/contracts/utils/TransientSlot.sol");
    const own = transient("contracts/Mine.sol");
    const unused: SolcMessage = { severity: "warning", errorCode: "5667", message: "Unused function parameter.", sourceLocation: { file: "contracts/A.sol" } };
    const error: SolcMessage = { severity: "error", errorCode: "2394", message: "Transient storage …", sourceLocation: { file: "@openzeppelin/contracts/utils/TransientSlot.sol" } };
    expect(isSilencedWarning(oz)).toBe(true);
    expect([own, unused, error].map(isSilencedWarning)).toEqual([false, false, false]);
    const output = { errors: [oz, unused, own, error], sources: { x: 1 } };
    expect(withoutSilencedWarnings(output)).toEqual({ errors: [unused, own, error], sources: { x: 1 } });
    expect(output.errors).toHaveLength(4); // not mutated
    expect(withoutSilencedWarnings({})).toEqual({});
  });

  /**
   * One real compile with this project's hardhat.config.ts, in a throw-away project (its own sources, cache and
   * artifacts): a contract using ReentrancyGuardTransient and with an unused local variable, then one with an error.
   */
  describe("a forced compile with the project's configuration", () => {
    let dir: string;
    const compile = () =>
      new Promise<{ code: number | null; out: string }>((resolve) => {
        const child = spawn(process.execPath, [path.join(ROOT, "node_modules", "hardhat", "internal", "cli", "cli.js"), "compile", "--force", "--config", path.join(dir, "hardhat.config.ts")], {
          cwd: dir,
          env: { ...process.env, HARDHAT_DISABLE_TELEMETRY_PROMPT: "true", FORCE_COLOR: "0", NO_COLOR: "1" },
          stdio: ["ignore", "pipe", "pipe"],
        });
        let out = "";
        child.stdout.on("data", (d) => (out += d));
        child.stderr.on("data", (d) => (out += d));
        child.on("exit", (code) => resolve({ code, out }));
      });

    beforeAll(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "poq-compile-"));
      fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"), "dir");
      fs.mkdirSync(path.join(dir, "contracts"));
      fs.writeFileSync(
        path.join(dir, "tsconfig.json"),
        JSON.stringify({ compilerOptions: { target: "ES2022", module: "commonjs", esModuleInterop: true, resolveJsonModule: true, strict: true, skipLibCheck: true } }),
      );
      fs.writeFileSync(
        path.join(dir, "hardhat.config.ts"),
        [
          `import base from ${JSON.stringify(path.join(ROOT, "hardhat.config"))};`,
          `export default { ...base, solidity: { compilers: (base.solidity as { compilers: unknown[] }).compilers }, paths: { sources: "contracts" }, typechain: { ...base.typechain, dontOverrideCompile: true } };`,
        ].join("\n"),
      );
      fs.writeFileSync(
        path.join(dir, "contracts", "Guarded.sol"),
        `// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
contract Guarded is ReentrancyGuardTransient {
    function f() external nonReentrant returns (uint256) {
        uint256 unusedLocal;
        return 1;
    }
}
`,
      );
    });
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

    test("behavior: the compile succeeds without the transient-storage warning and still prints other warnings", async () => {
      const { code, out } = await compile();
      expect(code, out).toBe(0);
      expect(out).toMatch(/Compiled \d+ Solidity files? successfully/);
      expect(out).not.toMatch(/Transient storage/i);
      expect(out).toContain("Warning: Unused local variable");
      // The compiler did emit the warning: the build info keeps the whole output.
      const infos = fs.readdirSync(path.join(dir, "artifacts", "build-info")).map((f) => fs.readFileSync(path.join(dir, "artifacts", "build-info", f), "utf8"));
      expect(infos.some((t) => t.includes('"errorCode":"2394"'))).toBe(true);
    }, 180_000);

    test("behavior: a real error still fails the compile and is printed", async () => {
      fs.writeFileSync(path.join(dir, "contracts", "Broken.sol"), "// SPDX-License-Identifier: MIT\npragma solidity 0.8.28;\ncontract Broken { function g() external { undefinedThing(); } }\n");
      const { code, out } = await compile();
      expect(code, out).not.toBe(0);
      expect(out).toContain("DeclarationError");
      expect(out).toContain("undefinedThing");
      expect(out).not.toMatch(/Transient storage/i);
    }, 180_000);
  });
});
