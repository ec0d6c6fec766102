import { getAddress, isAddress, parseUnits, type Address } from "viem";
import { z } from "zod";
import { InputError, shown } from "./errors";

/**
 * The building blocks of every input schema (daemon config, relayer policy, command-line options): one zod schema
 * gives the type, the validation and the message. A value from a file, the environment or a flag may arrive as
 * text, so numbers and booleans also accept their decimal or `true`/`false` spelling. Messages read as
 * "<field> must be …, got <value>"; {@link parseInput} puts the field's name in front. Pure: no I/O.
 */

const SAFE = Number.MAX_SAFE_INTEGER;

/** Digits (with an optional sign) become a number; anything else stays as it is, for the schema to refuse. */
const integerText = (v: unknown) => (typeof v === "string" && /^\s*-?\d{1,16}\s*$/.test(v) ? Number(v) : v);
const numberText = (v: unknown) => (typeof v === "string" && /^\s*-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/.test(v) ? Number(v) : v);

/** An integer in [min, max]. */
export function int(min: number, max = SAFE) {
  const error = max === SAFE ? `must be an integer >= ${min}` : `must be an integer in [${min}, ${max}]`;
  return z.preprocess(integerText, z.number({ error }).int({ error }).min(min, { error }).max(max, { error }));
}

/** A finite number in [min, max]. */
export function number(min = -Infinity, max = Infinity) {
  const range = min === -Infinity && max === Infinity ? "" : max === Infinity ? ` >= ${min}` : min === -Infinity ? ` <= ${max}` : ` in [${min}, ${max}]`;
  const error = `must be a number${range}`;
  return z.preprocess(numberText, z.number({ error }).min(min, { error }).max(max, { error }).refine(Number.isFinite, { error }));
}

/** A non-empty string (a URL, a path, a name). */
export const text = () => z.string({ error: "must be a non-empty string" }).min(1, { error: "must be a non-empty string" });

/** true or false (the environment and flags give "true" or "false"). */
export const bool = () => z.preprocess((v) => (v === "true" ? true : v === "false" ? false : v), z.boolean({ error: "must be true or false" }));

/** A list of non-empty strings: a JSON array, or a comma-separated string. */
export const list = () =>
  z.unknown().transform((v, ctx) => {
    const items = typeof v === "string" ? v.split(",") : v;
    if (!Array.isArray(items) || items.some((x) => typeof x !== "string")) {
      ctx.addIssue({ code: "custom", message: "must be a list of strings" });
      return z.NEVER;
    }
    return (items as string[]).map((x) => x.trim()).filter((x) => x !== "");
  });

/** One of `values`. */
export const oneOf = <const T extends readonly [string, ...string[]]>(values: T, what = "") =>
  z.enum(values, { error: `${what ? `must be a known ${what}: ` : "must be one of "}${values.join(", ")}` });

/** Absent, `null` or `""`: unset (the next source or the default applies). */
export const optional = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (v === null || v === "" ? undefined : v), schema.optional());

/** Whole decimal digits as a bigint (wei, base units); a JSON number is taken only when it prints as plain digits. */
export const uint = (what = "a whole number") =>
  z.unknown().transform((v, ctx) => {
    const digits = typeof v === "string" ? v : typeof v === "number" && Number.isSafeInteger(v) ? String(v) : typeof v === "number" && Number.isInteger(v) && /^\d+$/.test(String(v)) ? String(v) : "";
    if (!/^\d{1,78}$/.test(digits)) {
      ctx.addIssue({ code: "custom", message: `must be ${what}` });
      return z.NEVER;
    }
    return BigInt(digits);
  });

/** A token amount in whole tokens ("1000", "0.5") as base units of a token with `decimals` decimals. */
export const tokenAmount = (decimals: number) =>
  z.unknown().transform((v, ctx) => {
    const s = typeof v === "string" ? v.trim() : typeof v === "number" && Number.isFinite(v) && v >= 0 ? String(v) : "";
    if (!new RegExp(`^\\d+(\\.\\d{1,${decimals}})?$`).test(s)) {
      ctx.addIssue({ code: "custom", message: `must be a token amount like "1000" or "0.5" (at most ${decimals} decimals)` });
      return z.NEVER;
    }
    return parseUnits(s, decimals);
  });

/** An account address (0x and 40 hex digits, any case; a mixed-case one must carry a valid checksum), checksummed. */
export const address = () =>
  z
    .string({ error: "must be an address (0x and 40 hex digits)" })
    .refine((v) => /^0x[0-9a-fA-F]{40}$/.test(v) && isAddress(v), { error: "must be an address (0x and 40 hex digits)" })
    .transform((v) => getAddress(v) as Address);

/** An object that refuses unknown keys, naming them and listing the known ones. */
export function strict<T extends z.ZodRawShape>(shape: T, what = "key") {
  const known = Object.keys(shape);
  return z.strictObject(shape, {
    error: (iss) =>
      iss.code === "unrecognized_keys" ? `unknown ${what}${iss.keys.length > 1 ? "s" : ""} ${iss.keys.map((k) => shown(k)).join(", ")} (known: ${known.join(", ")})` : iss.code === "invalid_type" ? "must be an object" : undefined,
  });
}

/** Marks an issue whose input must never be echoed (a private key). */
export const SECRET = { secret: true } as const;

/** `agents[0].registrar` from a zod path. */
export function pathText(p: readonly PropertyKey[]): string {
  return p.map((k, i) => (typeof k === "number" ? `[${k}]` : i === 0 ? String(k) : `.${String(k)}`)).join("");
}

/** One line naming the field, the problem and (unless secret) the value. `where` names the source. */
export function issueText(issue: z.core.$ZodIssue, where: string, name = pathText(issue.path)): string {
  const field = [where, name].filter(Boolean).join(" ");
  const secret = issue.code === "custom" && (issue.params as { secret?: boolean } | undefined)?.secret;
  // A union told apart by a discriminator reports the whole object; show the discriminator's value.
  const discriminator = issue.code === "invalid_union" ? (issue as { discriminator?: string }).discriminator : undefined;
  const input = discriminator && issue.input && typeof issue.input === "object" ? (issue.input as Record<string, unknown>)[discriminator] : issue.input;
  const got = issue.code === "unrecognized_keys" || secret || !("input" in issue) ? "" : `, got ${shown(input)}`;
  if (issue.code === "unrecognized_keys") return `${field}${field ? ": " : ""}${issue.message}`;
  return `${field} ${issue.message}${got}`;
}

/** Parses `value`; the first problem becomes an InputError that names `where` and the field. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, where: string, name?: (issue: z.core.$ZodIssue) => string): z.output<S> {
  const r = schema.safeParse(value, { reportInput: true });
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  throw new InputError(issueText(issue, where, name?.(issue)));
}

/**
 * A commander argument parser from a schema: `--tasks <n>` with `option(int(1), "--tasks")`. A bad value is an
 * InputError naming the flag (the CLI prints it and exits with code 2).
 */
export function option<S extends z.ZodType>(schema: S, flag: string): (value: string) => z.output<S> {
  return (value) => parseInput(schema, value, flag, () => "");
}
