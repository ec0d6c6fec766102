/**
 * Base error of the project. Every error a user can cause carries a short message that names the problem,
 * optional details, and whether retrying can help. The CLI prints `shortMessage` (and `details`) and exits
 * non-zero; it never prints a stack trace for a PoqError.
 */
export type PoqErrorOptions = {
  details?: string;
  cause?: unknown;
  /** True when the same call may succeed later (network, RPC outage). Reverts and bad input are never retryable. */
  retryable?: boolean;
};

export class PoqError extends Error {
  override name = "PoqError";
  readonly shortMessage: string;
  readonly details?: string;
  readonly retryable: boolean;

  constructor(shortMessage: string, options: PoqErrorOptions = {}) {
    super(options.details ? `${shortMessage}\n\nDetails: ${options.details}` : shortMessage, {
      cause: options.cause,
    });
    this.shortMessage = shortMessage;
    this.details = options.details;
    this.retryable = options.retryable ?? false;
  }
}

/** Bad user input: a file, a flag, a config value. */
export class InputError extends PoqError {
  override name = "InputError";
}

/** A file that cannot be read or parsed; names the file and, where known, the line. */
export class FileFormatError extends InputError {
  override name = "FileFormatError";
  readonly file: string;
  readonly line?: number;
  constructor(file: string, problem: string, line?: number, options: PoqErrorOptions = {}) {
    super(line === undefined ? `${file}: ${problem}` : `${file}:${line}: ${problem}`, options);
    this.file = file;
    this.line = line;
  }
}

/**
 * A value as an error message shows it: JSON where possible, cut to `max` characters. Never throws, whatever the
 * value (parsed JSON may hold keys such as `toString` that break string conversion).
 */
export function shown(v: unknown, max = 80): string {
  let s: string;
  try {
    s = typeof v === "bigint" ? `${v}n` : (JSON.stringify(v) ?? Object.prototype.toString.call(v));
  } catch {
    s = Object.prototype.toString.call(v);
  }
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/**
 * Refuses the keys of a parsed JSON object that are not in `known`, naming them (a misspelt key would otherwise be
 * ignored silently). `where` names the object in the message, which lists the known keys in its details.
 */
export function refuseUnknownKeys(obj: object, known: Iterable<string>, where: string, what = "key"): void {
  const allowed = new Set(known);
  const bad = Object.keys(obj).filter((k) => !allowed.has(k));
  if (bad.length) throw new InputError(`${where}: unknown ${what} ${bad.map((k) => shown(k)).join(", ")}`, { details: `known: ${[...allowed].join(", ")}` });
}

/** First line of an error's message: viem's `shortMessage` where there is one (its full message is long). */
export function errorLine(e: unknown): string {
  const err = e as { shortMessage?: string; message?: string } | null | undefined;
  return (err?.shortMessage ?? err?.message ?? String(e)).split("\n")[0];
}
