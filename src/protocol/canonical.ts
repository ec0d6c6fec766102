import { PoqError } from "../errors";

/** An object whose bytes do not hash to the name it is stored under, or that is missing. */
export class ContentError extends PoqError {
  override name = "ContentError";
}

/** JSON with sorted object keys and bigints as decimal strings: the same value always gives the same bytes. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(v: unknown): unknown {
  if (typeof v === "bigint") return v.toString();
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v instanceof Map) return sortKeys(Object.fromEntries(v));
  if (v && typeof v === "object") {
    const o = v as Record<string, unknown>;
    return Object.fromEntries(
      Object.keys(o)
        .sort()
        .filter((k) => o[k] !== undefined)
        .map((k) => [k, sortKeys(o[k])]),
    );
  }
  return v;
}
