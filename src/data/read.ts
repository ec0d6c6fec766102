import fs from "node:fs";
import { InputError } from "../errors";
import { parseLoggedOutputs, type LoggedOutput, type ParseOptions } from "./logged";

/** Reads a logged-outputs JSONL file with clear errors for a missing file, a malformed line or an empty set. */
export function readLoggedOutputs(file: string, options: ParseOptions = {}): LoggedOutput[] {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new InputError(`${file}: file not found`);
    if (code === "EISDIR") throw new InputError(`${file}: is a directory, expected a JSONL file`);
    throw new InputError(`${file}: cannot read (${code ?? (e as Error).message})`);
  }
  return parseLoggedOutputs(text, file, options);
}
