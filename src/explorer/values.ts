import { formatUnits, getAddress, type AbiParameter, type Address } from "viem";
import type { Json } from "./contracts";
import { durationText, timeText } from "./format";

/**
 * Typed values: what a decoded argument *means*, so that pages, the API and `poq inspect` show it the same way.
 * A token amount carries its base units and token units, an enum its name, a time its ISO form, an address its
 * name tag. The API serves these objects as they are (see docs/explorer.md, "Units").
 */
export type Value =
  | { kind: "address"; address: Address; tag: string | null }
  | { kind: "token"; wei: string; tokens: string; symbol: string }
  | { kind: "eth"; wei: string; ether: string }
  | { kind: "enum"; type: string; value: number; name: string }
  | { kind: "time"; unix: number; iso: string }
  | { kind: "round"; id: number }
  | { kind: "block"; number: number }
  | { kind: "duration"; seconds: number; text: string }
  | { kind: "cid"; hex: string; text: string | null }
  | { kind: "bps"; value: number; percent: string }
  | { kind: "hex"; hex: string }
  | { kind: "number"; value: string }
  | { kind: "bool"; value: boolean }
  | { kind: "text"; text: string }
  | { kind: "list"; items: Value[] }
  | { kind: "struct"; fields: Field[] };

export type Field = { name: string; value: Value };

/** A sentence about an event for lists: plain text and typed values, in order. */
export type Part = string | Value;

/** What an argument means beyond its ABI type (protocol knowledge, see protocol.ts). */
export type Hint = "token" | "time" | "round" | "bps" | "duration" | "block" | { enum: string };

/** Presentation context: the token (for amounts), the name tags, and the protocol's hints and enum names. */
export type Presenter = {
  token: { symbol: string; decimals: number };
  tagOf: (a: Address) => string | null;
  hint: (scope: string, name: string, param: AbiParameter) => Hint | undefined;
  enumName: (type: string, value: number) => string;
};

export const addressValue = (p: Presenter, a: string): Value => {
  const address = getAddress(a);
  return { kind: "address", address, tag: p.tagOf(address) };
};

export const tokenValue = (p: Presenter, wei: bigint | string): Value => ({ kind: "token", ...tokenAmount(wei, p.token.decimals), symbol: p.token.symbol });

export const timeValue = (unix: number): Value => ({ kind: "time", unix, iso: timeText(unix) });

/** An amount of the reward token: exact base units and the same value in token units (never rounded). */
export type Amount = { wei: string; tokens: string };

export function tokenAmount(wei: bigint | string, decimals: number): Amount {
  const v = BigInt(wei);
  return { wei: v.toString(), tokens: formatUnits(v, decimals) };
}

/** Ether: wei and ether, exact. */
export type Eth = { wei: string; ether: string };
export const eth = (wei: bigint | string): Eth => ({ wei: BigInt(wei).toString(), ether: formatUnits(BigInt(wei), 18) });
/** A gas price or fee in gwei, exact. */
export const gwei = (wei: bigint | string): string => formatUnits(BigInt(wei), 9);

/** Presents one decoded argument: by its hint, else by its ABI type (tuples and arrays recursively). */
export function present(p: Presenter, scope: string, param: AbiParameter, v: Json): Value {
  if (v === null) return { kind: "text", text: "" };
  const type = param.type;
  if (type.endsWith("]") && Array.isArray(v)) {
    const inner = { ...param, type: type.slice(0, type.lastIndexOf("[")) } as AbiParameter;
    return { kind: "list", items: v.map((x) => present(p, scope, inner, x)) };
  }
  if (type === "tuple" && v && typeof v === "object" && !Array.isArray(v)) {
    const comps = (param as { components?: readonly AbiParameter[] }).components ?? [];
    return { kind: "struct", fields: comps.map((c) => ({ name: c.name ?? "", value: present(p, scope, c, (v as Record<string, Json>)[c.name ?? ""] ?? null) })) };
  }
  const hint = p.hint(scope, param.name ?? "", param);
  const s = String(v);
  if (hint && /^\d+$/.test(s)) {
    if (hint === "token") return tokenValue(p, s);
    if (hint === "time") return timeValue(Number(s));
    if (hint === "round") return { kind: "round", id: Number(s) };
    if (hint === "block") return { kind: "block", number: Number(s) };
    if (hint === "duration") return { kind: "duration", seconds: Number(s), text: durationText(Number(s)) };
    if (hint === "bps") return { kind: "bps", value: Number(s), percent: `${(Number(s) / 100).toString()}%` };
    return { kind: "enum", type: hint.enum, value: Number(s), name: p.enumName(hint.enum, Number(s)) };
  }
  if (type === "address" && typeof v === "string") return addressValue(p, v);
  if (type === "bool") return { kind: "bool", value: v === true };
  if (type === "string") return { kind: "text", text: s };
  if (/^u?int/.test(type)) return { kind: "number", value: s };
  if (type.startsWith("bytes")) return { kind: "hex", hex: s };
  return { kind: "text", text: typeof v === "object" ? JSON.stringify(v) : s };
}

/** Presents decoded arguments by their ABI inputs (arguments the ABI does not name are shown as text). */
export function presentArgs(p: Presenter, scope: string, inputs: readonly AbiParameter[], args: Record<string, Json>): Field[] {
  const known = new Set(inputs.map((i) => i.name));
  const out = inputs.map((param, i) => ({ name: param.name || `arg${i}`, value: present(p, scope, param, args[param.name || `arg${i}`] ?? null) }));
  for (const [k, v] of Object.entries(args)) if (!known.has(k)) out.push({ name: k, value: { kind: "text", text: typeof v === "object" ? JSON.stringify(v) : String(v) } });
  return out;
}

/** A value as plain text (terminal, titles): token amounts with their symbol, enums by name, tags beside addresses. */
export function valueText(v: Value, full = true): string {
  switch (v.kind) {
    case "address":
      return v.tag ? `${v.tag} (${full ? v.address : `${v.address.slice(0, 8)}…${v.address.slice(-6)}`})` : v.address;
    case "token":
      return `${groupTokens(v.tokens)} ${v.symbol}`;
    case "eth":
      return `${groupTokens(v.ether)} ETH`;
    case "enum":
      return v.name;
    case "time":
      return v.iso;
    case "round":
      return `round ${v.id}`;
    case "block":
      return `block ${v.number}`;
    case "duration":
      return `${v.text} (${v.seconds} s)`;
    case "cid":
      return v.text === null ? v.hex : `${JSON.stringify(v.text)} (${v.hex})`;
    case "bps":
      return v.percent;
    case "hex":
      return v.hex;
    case "number":
      return v.value;
    case "bool":
      return v.value ? "yes" : "no";
    case "text":
      return v.text;
    case "list":
      return `[${v.items.map((x) => valueText(x, full)).join(", ")}]`;
    case "struct":
      return `{${v.fields.map((f) => `${f.name}: ${valueText(f.value, full)}`).join(", ")}}`;
  }
}

export const partsText = (parts: Part[]): string => parts.map((x) => (typeof x === "string" ? x : valueText(x, false))).join("");

/** Token units with thousands separators, every significant decimal kept: 1234.5 -> "1,234.5". */
export function groupTokens(tokens: string): string {
  const neg = tokens.startsWith("-");
  const [i, f] = (neg ? tokens.slice(1) : tokens).split(".");
  const grouped = i.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return `${neg ? "-" : ""}${grouped}${f ? `.${f}` : ""}`;
}
