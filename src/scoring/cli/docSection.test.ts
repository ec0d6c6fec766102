import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, test, vi } from "vitest";
import { InputError } from "../../errors";
import { docTableCommand, emit, writeDocSection } from "./docSection";
import { program as cascadeReport } from "./cascade-report";
import { program as qualityReport } from "./report";
import { program as shiftReport } from "./shift-report";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "poq-doc-section-"));
const doc = (name: string, text: string) => {
  const p = path.join(dir, name);
  fs.writeFileSync(p, text);
  return p;
};

/** A doc-table command whose action records its options and emits a one-line table into the "audit" section. */
function tableCommand(seen: { dataDir?: string; write?: string }[]) {
  return docTableCommand("t", "a table", "audit").action((o: { dataDir: string; write?: string }) => {
    seen.push(o);
    emit("| a | b |\n", "audit", o.write);
  });
}

describe("docTableCommand", () => {
  test("--write replaces the named section of the file; --data-dir defaults to ../shared/data", () => {
    const f = doc("quality.md", "# Q\n<!-- audit:begin -->\nold table\n<!-- audit:end -->\ntail\n");
    const seen: { dataDir?: string; write?: string }[] = [];
    tableCommand(seen).parse(["--write", f], { from: "user" });
    expect(seen).toEqual([{ dataDir: "../shared/data", write: f }]);
    expect(fs.readFileSync(f, "utf8")).toBe("# Q\n<!-- audit:begin -->\n| a | b |\n<!-- audit:end -->\ntail\n");
  });

  test("without --write the table is printed and --data-dir is taken as given", () => {
    const seen: { dataDir?: string; write?: string }[] = [];
    let out = "";
    vi.spyOn(process.stdout, "write").mockImplementation((s) => ((out += String(s)), true));
    try {
      tableCommand(seen).parse(["--data-dir", "/data"], { from: "user" });
    } finally {
      vi.restoreAllMocks();
    }
    expect(seen).toEqual([{ dataDir: "/data" }]);
    expect(out).toBe("| a | b |\n");
  });

  test("a file without the section, or no file, is an InputError naming it", () => {
    const f = doc("other.md", "# no markers\n");
    expect(() => writeDocSection(f, "audit", "x\n")).toThrow(InputError);
    expect(() => writeDocSection(f, "audit", "x\n")).toThrow(`${f}: no <!-- audit:begin --> ... <!-- audit:end --> section to replace`);
    expect(() => writeDocSection(path.join(dir, "missing.md"), "audit", "x\n")).toThrow("does not exist");
  });

  test("each report script takes --data-dir and a --write naming its own section, besides its own options", () => {
    const options = (c: typeof qualityReport) => Object.fromEntries(c.options.map((o) => [o.long, { description: o.description, default: o.defaultValue as unknown }]));
    for (const [c, section, own] of [
      [qualityReport, "audit", ["--folds"]],
      [cascadeReport, "cascade", ["--cpu-price"]],
      [shiftReport, "shift", ["--only", "--bootstrap", "--cal-bootstrap"]],
    ] as const) {
      const o = options(c);
      expect(o["--data-dir"]?.default, c.name()).toBe("../shared/data");
      expect(o["--write"]?.description, c.name()).toBe(`replace the ${section} section of this Markdown file instead of printing`);
      for (const name of own) expect(Object.keys(o), c.name()).toContain(name);
    }
  });
});
