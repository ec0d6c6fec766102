import { describe, expect, test } from "vitest";
import { alignmentScores, isRefusal } from "./alignment";
import { prepareBatch } from "./batch";
import { item } from "./testing";

const align = (output: string, query = "Who wrote Hamlet?") => alignmentScores(prepareBatch([item({ output, query })]))[0];

describe("alignment", () => {
  test("behaviour: a direct answer scores 1", () => {
    expect(align("William Shakespeare.")).toBe(1);
  });

  test("behaviour: refusals score low", () => {
    expect(isRefusal("I'm sorry, but I couldn't find any information about that.")).toBe(true);
    expect(isRefusal("I don't know.")).toBe(true);
    expect(isRefusal("As an AI language model, I cannot answer.")).toBe(true);
    expect(isRefusal("Shakespeare wrote it in 1600.")).toBe(false);
    expect(align("I'm sorry, I cannot answer that question.")).toBeLessThan(0.2);
  });

  test("behaviour: restating the question scores low", () => {
    expect(align("Who wrote Hamlet?")).toBeLessThan(0.3);
  });

  test("behaviour: a number question answered without a number scores lower", () => {
    const q = "How many moons does Mars have?";
    expect(align("Mars has two moons.", q)).toBe(1);
    expect(align("Mars has 2 moons.", q)).toBe(1);
    expect(align("Phobos and Deimos orbit Mars.", q)).toBeLessThan(1);
  });

  test("behaviour: an empty output scores 0", () => {
    expect(align("")).toBe(0);
  });

  test("behaviour: a summary covering the source's main content aligns better than an off-topic one", () => {
    const context =
      "Volcano erupts on the island of Iceland. The volcano sent ash over Europe and flights were cancelled. " +
      "Airlines said the volcano ash cancelled thousands of flights across Europe.";
    const base = { task: "summarization" as const, query: "Summarize.", context, queryId: "a" };
    const s = alignmentScores(
      prepareBatch([
        item({ ...base, output: "An Iceland volcano erupted and its ash cancelled flights across Europe." }),
        item({ ...base, output: "The football team won the league on Sunday." }),
      ]),
    );
    expect(s[0]).toBeGreaterThan(s[1]);
  });
});
