import fs from "node:fs";
import { Command } from "commander";
import { InputError } from "../../errors";

/**
 * Replaces the text between `<!-- name:begin -->` and `<!-- name:end -->` of a Markdown file with `body`, so the
 * measured tables of docs/quality.md are written by the scripts that measure them.
 */
export function writeDocSection(file: string, name: string, body: string): void {
  if (!fs.existsSync(file)) throw new InputError(`--write ${file} does not exist`);
  const text = fs.readFileSync(file, "utf8");
  const [begin, end] = [`<!-- ${name}:begin -->`, `<!-- ${name}:end -->`];
  const a = text.indexOf(begin);
  const b = text.indexOf(end);
  if (a < 0 || b < a) throw new InputError(`${file}: no ${begin} ... ${end} section to replace`);
  fs.writeFileSync(file, `${text.slice(0, a + begin.length)}\n${body}${text.slice(b)}`);
}

/** Prints `body`, or writes it into the named section of `target`. */
export function emit(body: string, name: string, target?: string): void {
  if (target) writeDocSection(target, name, body);
  else process.stdout.write(body);
}

/** The dev files the measured tables of docs/quality.md are computed on (in `--data-dir`). */
export const DEV_FILES = ["summeval-dev.jsonl", "evouna-tq-dev.jsonl"] as const;

/**
 * The command of a script that measures a table of docs/quality.md, with the options every such script takes:
 * `--data-dir <dir>` (the folder of the dev files, default ../shared/data) and `--write <file>` (replace the `section`
 * section of that Markdown file instead of printing: pass `o.write` to `emit`). The script adds its own options.
 */
export function docTableCommand(name: string, description: string, section: string): Command {
  return new Command(name)
    .description(description)
    .option("--data-dir <dir>", "folder of the dev files", "../shared/data")
    .option("--write <file>", `replace the ${section} section of this Markdown file instead of printing`);
}
