import fc from "fast-check";
import { runs } from "../../test/helpers/fastcheck";
import { describe, expect, test } from "vitest";
import { InputError } from "../errors";
import { DEFAULT_RULE, RULES, RULE_NAMES, getRule } from "./rules";
import { arbRound, ruleInput } from "./testing";

describe("RULES", () => {
  test("behavior: registers the baselines and the default by name", () => {
    expect(RULE_NAMES).toEqual(["mean", "median", "trimmed", "trust-published", "robust-trust"]);
    expect(DEFAULT_RULE).toBe("robust-trust");
    expect(getRule("median")).toBe(RULES.median);
  });

  test("behavior: an unknown rule is an InputError listing the known ones", () => {
    expect(() => getRule("majority")).toThrow(InputError);
    expect(() => getRule("majority")).toThrow(/unknown rule "majority"/);
    expect(() => getRule("toString")).toThrow(InputError);
  });

  for (const name of RULE_NAMES) {
    test(`property: ${name} is invariant to the order of evaluators`, () => {
      fc.assert(
        fc.property(arbRound, fc.integer(), ({ M, tasks, trust, gold }, seed) => {
          const base = ruleInput(M, tasks, { trust: Int32Array.from(trust), gold: Int32Array.from(gold) });
          const out = RULES[name].run(base);
          // Relabel evaluators with a permutation and shuffle each task's entries.
          const perm = Array.from({ length: M }, (_, i) => i);
          let s = seed >>> 0;
          for (let i = M - 1; i > 0; i--) {
            s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
            const j = s % (i + 1);
            [perm[i], perm[j]] = [perm[j], perm[i]];
          }
          const shuffled = tasks.map((t) => [...t].reverse().map(([e, sc]) => [perm[e], sc] as [number, number]));
          const trust2 = new Int32Array(M);
          trust.forEach((v, e) => (trust2[perm[e]] = v));
          const out2 = RULES[name].run(ruleInput(M, shuffled, { trust: trust2, gold: Int32Array.from(gold) }));
          expect(Array.from(out2.consensus)).toEqual(Array.from(out.consensus));
          for (let e = 0; e < M; e++) expect(out2.trust[perm[e]]).toBe(out.trust[e]);
        }),
        { numRuns: runs(60) },
      );
    });

    test(`property: ${name} keeps consensus and trust in range`, () => {
      fc.assert(
        fc.property(arbRound, ({ M, tasks, trust, gold }) => {
          const out = RULES[name].run(ruleInput(M, tasks, { trust: Int32Array.from(trust), gold: Int32Array.from(gold) }));
          for (const c of out.consensus) expect(c >= 0 && c <= 10_000).toBe(true);
          for (const t of out.trust) expect(t >= 0 && t <= 1_000_000).toBe(true);
        }),
        { numRuns: runs(60) },
      );
    });
  }

  test("behavior: stateless rules leave trust unchanged", () => {
    const input = ruleInput(3, [[[0, 1000], [1, 2000], [2, 9000]]]);
    for (const name of ["mean", "median", "trimmed"] as const) {
      expect(RULES[name].usesTrust).toBe(false);
      expect(Array.from(RULES[name].run(input).trust)).toEqual(Array.from(input.trust));
    }
  });
});
