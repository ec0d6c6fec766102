import fs from "node:fs";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { renderAbis } from "../../scripts/export-abis";

const ROOT = path.join(__dirname, "..", "..");

describe("typed ABIs", () => {
  test("behavior: src/chain/abis.ts matches the compiled artifacts (run scripts/export-abis.ts after a contract change)", () => {
    expect(fs.readFileSync(path.join(ROOT, "src", "chain", "abis.ts"), "utf8")).toBe(renderAbis(ROOT));
  });
});
