import fs from "node:fs";
import path from "node:path";
import { expect } from "vitest";

/**
 * Golden vectors: `value` (fixed inputs' outputs) is compared with the committed expected bytes in `file`. The file
 * holds canonical JSON (bigints as decimal strings, doubles in their shortest exact form), so the comparison is of
 * bytes, on every machine and in CI; another process, another machine or another version of the code that computes
 * anything else fails. Regenerate with POQ_WRITE_GOLDEN=1 only after reviewing why the output changed.
 */
export function expectGolden(file: string, value: unknown): void {
  const text = `${JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? v.toString() : v), 1)}\n`;
  if (process.env.POQ_WRITE_GOLDEN === "1") {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
  }
  if (!fs.existsSync(file)) throw new Error(`golden file ${file} is missing: run once with POQ_WRITE_GOLDEN=1 and review it`);
  expect(text).toBe(fs.readFileSync(file, "utf8"));
}
