import { describe, expect, test } from "vitest";
import { prepareBatch } from "./batch";
import { bandFit, repeatedBigramFraction, structureFactors, structureScores } from "./structure";
import { expectScore, item, type Expected } from "./testing";
import { Vocabulary } from "./text";

const score = (output: string, extra: Parameters<typeof item>[0] = { output }) => structureScores(prepareBatch([item({ ...extra, output })]))[0];

const LOOP = "the cat sat on the mat and the cat sat on the mat and the cat sat on the mat and the cat sat on the mat.";

describe("structure", () => {
  test.each<[string, [output: string, expected: Expected][]]>([
    ["an empty output scores 0", [["", { is: 0 }], ["   ...  ", { is: 0 }]]],
    ["a clean answer scores 1", [["William Shakespeare wrote Hamlet around 1600.", { is: 1 }]]],
    ["degenerate repetition scores low", [[LOOP, { below: 0.3 }], ["no no no no no no no no no no no no.", { below: 0.2 }]]],
    ["garbage characters count as degeneration", [["@@@ ### $$$ %%% ^^^ &&& *** ((( ))) a", { below: 0.5 }]]],
  ])("behaviour: %s", (_behaviour, cases) => {
    for (const [output, expected] of cases) expectScore(score(output), expected, output);
  });

  test("behaviour: a long output cut mid-sentence is penalised", () => {
    const f = structureFactors(prepareBatch([item({ output: "The treaty was signed in Paris by the delegates of the seven" })]), 0);
    expect(f.truncation).toBeLessThan(1);
    const g = structureFactors(prepareBatch([item({ output: "Paris" })]), 0);
    expect(g.truncation).toBe(1);
  });

  test("behaviour: leftover model markup lowers formatting", () => {
    const f = structureFactors(prepareBatch([item({ output: "The answer is <unk> <pad> Paris." })]), 0);
    expect(f.formatting).toBeLessThan(1);
  });

  test("behaviour: a summary far shorter than its source and its peers misses the length band", () => {
    const context = "word ".repeat(800);
    const base = { task: "summarization" as const, queryId: "s", query: "Summarize.", context };
    const long =
      "The council approved a budget on Monday that raises school spending, and the mayor is expected to sign it this week " +
      "after members said the increase would pay for new teachers across the city.";
    const batch = prepareBatch([item({ ...base, output: "Short." }), item({ ...base, output: long }), item({ ...base, output: long })]);
    const s = structureScores(batch);
    expect(s[0]).toBeLessThan(s[1]);
  });

  test("repeatedBigramFraction and bandFit", () => {
    const v = new Vocabulary();
    expect(repeatedBigramFraction(v.text("a b a b a b").ids)).toBeCloseTo(3 / 5);
    expect(bandFit(10, 5, 20)).toBe(1);
    expect(bandFit(2, 5, 20)).toBeLessThan(1);
    expect(bandFit(0, 5, 20)).toBe(0);
  });
});
