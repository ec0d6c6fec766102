import fs from "node:fs";
import { InputError } from "../errors";
import { parseJudgeWeights, serializeJudgeWeights, type JudgeWeights } from "../scoring/learnedJudge";
import { parseProfile, serializeProfile, validateProfile, type QualityProfile } from "../scoring/profile";

/**
 * The scoring's files: quality profiles and learned-judge weights, read and written here so that `src/scoring/`
 * stays pure (no file I/O, no clock): it parses and serializes, this module touches the disk.
 */

/** Reads a text file with a clear error for a missing file, a directory or an unreadable one. */
export function readText(path: string, what = "file"): string {
  try {
    return fs.readFileSync(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new InputError(`${path}: ${what} not found`);
    if (code === "EISDIR") throw new InputError(`${path}: is a directory, expected a ${what}`);
    throw new InputError(`${path}: cannot read (${code ?? String(e)})`);
  }
}

/** Reads and validates a profile file. */
export function loadProfile(path: string): QualityProfile {
  return parseProfile(readText(path, "file"), path);
}

/** Validates and writes a profile as deterministic JSON. */
export function saveProfile(path: string, profile: QualityProfile): void {
  validateProfile(profile, path);
  fs.writeFileSync(path, serializeProfile(profile));
}

/** Reads and validates a learned judge's weights file. */
export function loadJudgeWeights(path: string): JudgeWeights {
  return parseJudgeWeights(readText(path, "file"), path);
}

/** Writes a learned judge's weights as deterministic JSON. */
export function saveJudgeWeights(path: string, weights: JudgeWeights): void {
  fs.writeFileSync(path, serializeJudgeWeights(weights));
}
