import fs from "node:fs";
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
