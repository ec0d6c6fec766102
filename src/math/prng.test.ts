import { describe, expect, test } from "vitest";
import { Rng } from "./prng";

describe("Rng", () => {
  test("behavior: the same seed and labels give the same stream; different labels differ", () => {
    const a = Rng.of("s", 1, "x");
    const b = Rng.of("s", 1, "x");
    const c = Rng.of("s", 2, "x");
    const xs = Array.from({ length: 5 }, () => a.nextUint32());
    expect(Array.from({ length: 5 }, () => b.nextUint32())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c.nextUint32())).not.toEqual(xs);
  });

  test("behavior: uniform in [0, 1) and standard normal have the right moments", () => {
    const r = Rng.of(42);
    const u = Array.from({ length: 20_000 }, () => r.next());
    const z = Array.from({ length: 20_000 }, () => r.normal());
    const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(Math.min(...u)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...u)).toBeLessThan(1);
    expect(mean(u)).toBeCloseTo(0.5, 1);
    expect(mean(z)).toBeCloseTo(0, 1);
    expect(mean(z.map((x) => x * x))).toBeCloseTo(1, 1);
  });

  test("behavior: sample draws k distinct values; permutation is a permutation", () => {
    const r = Rng.of(1);
    const s = Array.from(r.sample(10, 7));
    expect(new Set(s).size).toBe(7);
    expect(s.every((x) => x >= 0 && x < 10)).toBe(true);
    expect(Array.from(r.permutation(6)).sort()).toEqual([0, 1, 2, 3, 4, 5]);
  });
});
