import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { runs } from "../../test/helpers/fastcheck";
import { isRegistered, REGISTERED, registerRows, releaseRows, type Output, type Row } from "./registered";

const NODE = "0x90F79bf6EB2c4f870365E785982E1f101E93b906";
const out = (i: number): Output => ({ node: NODE, contentHash: `0x${i.toString(16).padStart(64, "0")}` });

/** A checkpoint stand-in: the module only reads keys; the rows it returns are written as the relayer writes them. */
function store() {
  const kv = new Map<string, string>();
  return { get: (k: string) => kv.get(k), write: (rows: readonly Row[]) => rows.forEach(([k, v]) => kv.set(k, v)), kv };
}

describe("registered outputs: an output re-enters the queue only once every round listing it was cancelled", () => {
  test("behavior: an output in two rounds stays registered when one is cancelled, and is freed when the other is too", () => {
    const ck = store();
    ck.write(registerRows(ck, 1n, [out(1), out(2)]));
    ck.write(registerRows(ck, 2n, [out(2), out(3)]));
    expect([1, 2, 3, 4].map((i) => isRegistered(ck, NODE, out(i).contentHash))).toEqual([true, true, true, false]);
    expect(ck.get(`${REGISTERED}${NODE.toLowerCase()}:${out(2).contentHash}`)).toBe('["1","2"]');

    const r1 = releaseRows(ck, 1n, [out(1), out(2)]);
    ck.write(r1.rows);
    expect(r1.free).toEqual([out(1)]); // out(2) is still listed by round 2, which may pay it
    expect(isRegistered(ck, NODE, out(2).contentHash)).toBe(true);
    expect(isRegistered(ck, NODE, out(1).contentHash)).toBe(false);

    const r2 = releaseRows(ck, 2n, [out(2), out(3)]);
    ck.write(r2.rows);
    expect(r2.free).toEqual([out(2), out(3)]);
    expect([1, 2, 3].map((i) => isRegistered(ck, NODE, out(i).contentHash))).toEqual([false, false, false]);
  });

  test("behavior: a release done again (a crash between its rows and the queue) frees the same outputs; once batched again they are not freed", () => {
    const ck = store();
    ck.write(registerRows(ck, 5n, [out(1), out(1), out(2)]));
    const first = releaseRows(ck, 5n, [out(1), out(2)]);
    ck.write(first.rows);
    expect(releaseRows(ck, 5n, [out(1), out(2)]).free).toEqual(first.free);
    ck.write(registerRows(ck, 9n, [out(1)])); // out(1) in a new round
    expect(releaseRows(ck, 5n, [out(1), out(2)]).free).toEqual([out(2)]);
    expect(isRegistered(ck, NODE, out(1).contentHash)).toBe(true);
  });

  test("behavior: an earlier version's record (\"1\", no round named) and an output never recorded are never freed", () => {
    const ck = store();
    ck.kv.set(`${REGISTERED}${NODE.toLowerCase()}:${out(1).contentHash}`, "1");
    ck.write(registerRows(ck, 3n, [out(1)]));
    expect(ck.get(`${REGISTERED}${NODE.toLowerCase()}:${out(1).contentHash}`)).toBe("1");
    expect(releaseRows(ck, 3n, [out(1), out(7)]).free).toEqual([]);
    expect(isRegistered(ck, NODE, out(1).contentHash)).toBe(true);
  });

  test("property: a release frees an output exactly when every round that listed it was released, and it stays registered until then", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 1, max: 6 }), fc.uniqueArray(fc.integer({ min: 0, max: 5 }), { maxLength: 4 })), { maxLength: 8 }),
        fc.uniqueArray(fc.integer({ min: 1, max: 6 })),
        (registrations, cancelled) => {
          const ck = store();
          const listed = new Map<number, Set<number>>();
          for (const [round, outputs] of registrations) {
            ck.write(registerRows(ck, BigInt(round), outputs.map(out)));
            for (const o of outputs) listed.set(o, (listed.get(o) ?? new Set()).add(round));
          }
          const released = new Set<number>();
          for (const round of cancelled) {
            const outputs = [...new Set(registrations.filter(([r]) => r === round).flatMap(([, o]) => o))];
            const { rows, free } = releaseRows(ck, BigInt(round), outputs.map(out));
            ck.write(rows);
            released.add(round);
            // freed now exactly when every round that listed it has been released
            expect(free).toEqual(outputs.filter((o) => [...listed.get(o)!].every((r) => released.has(r))).map(out));
          }
          for (const [o, rounds] of listed) {
            const stillListed = [...rounds].some((r) => !cancelled.includes(r));
            expect(isRegistered(ck, NODE, out(o).contentHash)).toBe(stillListed);
          }
        },
      ),
      { numRuns: runs(200) },
    );
  });
});
