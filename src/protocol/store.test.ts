import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { keccak256, toBytes } from "viem";
import { canonicalJson, ContentError, ContentStore } from "./store";

const fresh = () => new ContentStore(fs.mkdtempSync(path.join(os.tmpdir(), "poq-store-")));

describe("ContentStore", () => {
  test("behavior: objects are named by the keccak256 of their bytes and read back verified", () => {
    const s = fresh();
    const h = s.put("hello");
    expect(h).toBe(keccak256(toBytes("hello")));
    expect(s.getText(h)).toBe("hello");
    expect(s.put("hello")).toBe(h);
  });

  test("behavior: remove deletes one object (a lost disk), says whether it was there, and leaves the others", () => {
    const s = fresh();
    const [a, b] = [s.put("lost"), s.put("kept")];
    expect(s.remove(a)).toBe(true);
    expect(s.has(a)).toBe(false);
    expect(() => s.get(a)).toThrow(/not in the store/);
    expect(s.remove(a)).toBe(false);
    expect(s.getText(b)).toBe("kept");
  });

  test("behavior: a tampered object is refused with a clear error", () => {
    const s = fresh();
    const h = s.put("original");
    fs.writeFileSync(path.join(s.dir, "objects", h), "tampered");
    expect(() => s.get(h)).toThrow(ContentError);
    expect(() => s.get(h)).toThrow(/does not match its hash/);
  });

  test("behavior: a missing object or malformed hash names the problem", () => {
    const s = fresh();
    expect(() => s.get(`0x${"ab".repeat(32)}`)).toThrow(/not in the store/);
    expect(() => s.get("0x1234")).toThrow(/malformed content hash/);
    expect(() => s.setIndex("batch", "../escape", "x")).toThrow(/invalid store key/);
  });

  test("behavior: canonical JSON is independent of key order and encodes bigints", () => {
    expect(canonicalJson({ b: 1n, a: [{ y: 2, x: 1 }] })).toBe('{"a":[{"x":1,"y":2}],"b":"1"}');
    const s = fresh();
    expect(s.putJson({ a: 1, b: 2 })).toBe(s.putJson({ b: 2, a: 1 }));
  });

  test("behavior: pending outputs are listed per node, sorted, and removable", () => {
    const s = fresh();
    const h1 = s.put("1");
    const h2 = s.put("2");
    s.addPending("0xABC", h2);
    s.addPending("0xabc", h1);
    expect(s.listPending().get("0xabc")).toEqual([h1, h2].sort());
    s.removePending("0xAbC", h1);
    expect(s.listPending().get("0xabc")).toEqual([h2]);
  });

  test("behavior: index pointers round-trip", () => {
    const s = fresh();
    expect(s.getIndex("settlement", "0x01")).toBeUndefined();
    s.setIndex("settlement", "0x01", "0x02");
    expect(s.getIndex("settlement", "0x01")).toBe("0x02");
  });
});
