import { getAddress, isAddress, type Address, type Hex } from "viem";
import { z } from "zod";
import { InputError } from "../errors";

/**
 * Every input a URL, a search box or `poq inspect` gives the explorer, as one zod schema each: the schema is the
 * type, the validation and the message (a malformed value is an InputError: HTTP 400, exit code 2).
 */

function clip(s: string): string {
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/** Parses `text` with `schema`; a failure names the value and what was expected. */
function parseWith<T>(schema: z.ZodType<T>, text: string, what: string, expected: string): T {
  const r = schema.safeParse(text);
  if (!r.success) throw new InputError(`malformed ${what} "${clip(text)}": expected ${expected}`);
  return r.data;
}

const roundId = z
  .string()
  .trim()
  .transform((t) => t.replace(/^#/, ""))
  .pipe(z.string().regex(/^\d{1,15}$/))
  .transform(Number);
const blockNumber = z.string().trim().regex(/^\d{1,15}$/).transform(Number);
const taskIndex = z.string().trim().regex(/^\d{1,9}$/).transform(Number);
const address = z
  .string()
  .trim()
  .refine((t) => /^0x[0-9a-fA-F]{40}$/.test(t) && isAddress(t, { strict: false }))
  .transform((t) => getAddress(t));
const txHash = z
  .string()
  .trim()
  .regex(/^0x[0-9a-fA-F]{64}$/)
  .transform((t) => t.toLowerCase() as Hex);

export const parseRoundId = (text: string): number => parseWith(roundId, text, "round number", "a positive integer");
export const parseBlockNumber = (text: string): number => parseWith(blockNumber, text, "block number", "a non-negative integer");
export const parseTaskIndex = (text: string): number => parseWith(taskIndex, text, "task index", "a non-negative integer");
export const parseAddress = (text: string): Address => parseWith(address, text, "address", "0x and 40 hex digits");
export const parseTxHash = (text: string): Hex => parseWith(txHash, text, "transaction hash", "0x and 64 hex digits");

/** A page number and size from a query string (absent: the defaults). */
export function parsePaging(p: { page?: string | number; limit?: string | number }, defaultLimit = 50, maxLimit = 500): { page: number; limit: number; offset: number } {
  const int = (name: string, min: number, max: number) =>
    z
      .string()
      .regex(/^\d{1,10}$/)
      .transform(Number)
      .refine((n) => n >= min && n <= max, { message: `expected an integer from ${min} to ${max}` });
  const one = (v: string | number | undefined, name: string, def: number, max: number) => {
    if (v === undefined) return def;
    const r = int(name, 1, max).safeParse(String(v));
    if (!r.success) throw new InputError(`malformed ${name} "${clip(String(v))}": expected an integer from 1 to ${max}`);
    return r.data;
  };
  const page = one(p.page, "page", 1, 1e9);
  const limit = one(p.limit, "limit", defaultLimit, maxLimit);
  return { page, limit, offset: (page - 1) * limit };
}
