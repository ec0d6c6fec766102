/**
 * A registrar's gold choice rebuilt without its checkpoint: from the batch, the registrar's pool and its key-derived
 * salt, kept only when it opens the registration's commitment.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { keccak256, toHex, type Hex } from "viem";
import { checkGoldOpening, checkGoldPool, goldChoiceCommitment, goldRootOf, poolProofs, recoverGoldChoice, selectGold, wellFormedOpening, type GoldPoolFile } from "./gold";
import type { BatchManifest } from "./manifest";

const POOL = checkGoldPool(JSON.parse(fs.readFileSync(path.join(__dirname, "..", "..", "data", "gold", "local-pool.json"), "utf8")) as GoldPoolFile);
const h = (s: string): Hex => keccak256(toHex(s));
const task = (index: number, contentHash: Hex) => ({ index, node: `0x${"11".repeat(20)}` as Hex, model: "m", modelId: h("m"), contentHash, costUnits: "1" });

/** A batch of 12 outputs with the chosen gold items mixed in at fixed places, and the registrar's choice. */
function registration(salt: Hex) {
  const chosen = selectGold(POOL, new Set([0, 1, 2]), 4, (i) => h(`rank ${i}`));
  const contents: Hex[] = Array.from({ length: 12 }, (_, i) => h(`output ${i}`));
  const at = [1, 4, 7, 10, 11, 3].slice(0, chosen.length);
  chosen.forEach((g, n) => contents.splice(at[n], 0, g.contentHash));
  const manifest: BatchManifest = { version: 2, tasks: contents.map((c, i) => task(i, c)) };
  const proofs = poolProofs(POOL, chosen);
  const items = manifest.tasks.flatMap((t) => {
    const n = chosen.findIndex((g) => g.contentHash === t.contentHash);
    return n < 0 ? [] : [{ taskIndex: t.index, poolIndex: chosen[n].poolIndex, contentHash: chosen[n].contentHash, quality: chosen[n].quality, poolProof: proofs[n] }];
  });
  return { manifest, items, commitment: goldChoiceCommitment(items, salt) };
}

describe("gold: the registrar's choice rebuilt without its checkpoint", () => {
  test("behavior: the batch, the pool and the derived salt give back the same choice, which passes every relayer's check", () => {
    const salt = h("derived salt");
    const { manifest, items, commitment } = registration(salt);
    expect(items.length).toBeGreaterThan(0);
    const got = recoverGoldChoice(POOL, manifest, salt, commitment);
    expect(got).toEqual({ salt, items });
    const opening = { version: 1 as const, roundId: "7", taskRoot: h("root"), goldRoot: goldRootOf(got!.items), goldCount: got!.items.length, salt, items: got!.items };
    const gold = checkGoldOpening(opening, { id: 7n, taskRoot: h("root"), goldCommitment: commitment, poolRoot: POOL.root, poolSize: POOL.items.length }, manifest);
    expect([...gold.keys()]).toEqual(items.map((i) => i.taskIndex));
  });

  test("behavior: another salt, a batch without one of the gold tasks, or a pool without gold in the batch give nothing", () => {
    const salt = h("derived salt");
    const { manifest, commitment } = registration(salt);
    expect(recoverGoldChoice(POOL, manifest, h("another salt"), commitment)).toBeUndefined();
    const goldTask = manifest.tasks.find((t) => POOL.items.some((g) => g.contentHash === t.contentHash))!;
    const without: BatchManifest = { version: 2, tasks: manifest.tasks.filter((t) => t !== goldTask).map((t, i) => ({ ...t, index: i })) };
    expect(recoverGoldChoice(POOL, without, salt, commitment)).toBeUndefined();
    const plain: BatchManifest = { version: 2, tasks: Array.from({ length: 5 }, (_, i) => task(i, h(`plain ${i}`))) };
    expect(recoverGoldChoice(POOL, plain, salt, commitment)).toBeUndefined();
  });

  test("behavior: a pool index written as a string opens the same commitment but is refused, so reuse cannot hide behind it", () => {
    const salt = h("derived salt");
    const { manifest, items, commitment } = registration(salt);
    const round = { id: 7n, taskRoot: h("root"), poolRoot: POOL.root, poolSize: POOL.items.length };
    const openingOf = (its: typeof items, c: Hex) => ({ opening: { version: 1 as const, roundId: "7", taskRoot: h("root"), goldRoot: goldRootOf(its as never), goldCount: its.length, salt, items: its }, c });
    // across rounds: "0x07" for item 7 — the Merkle encoding reads it as 7, so the commitment is the one registered
    const disguised = items.map((it, n) => (n === 0 ? { ...it, poolIndex: `0x${it.poolIndex.toString(16)}` as unknown as number } : it));
    expect(goldChoiceCommitment(disguised as never, salt)).toBe(commitment);
    expect(wellFormedOpening(openingOf(disguised, commitment).opening)).toBe(false);
    expect(() => checkGoldOpening(openingOf(disguised, commitment).opening, { ...round, goldCommitment: commitment }, manifest)).toThrow(/malformed/);
    // within one round: the same item twice, once as a number and once as a string
    const twice = [...items, { ...items[0], poolIndex: String(items[0].poolIndex) as unknown as number }];
    const c2 = goldChoiceCommitment(twice as never, salt);
    expect(() => checkGoldOpening(openingOf(twice, c2).opening, { ...round, goldCommitment: c2 }, manifest)).toThrow(/malformed/);
    // the honest opening still passes
    expect(() => checkGoldOpening(openingOf(items, commitment).opening, { ...round, goldCommitment: commitment }, manifest)).not.toThrow();
  });
});
