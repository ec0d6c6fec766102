import { describe, expect, test } from "vitest";
import { prepareBatch } from "./batch";
import { semanticScores } from "./semantic";
import { item } from "./testing";

const qa = (output: string, references = ["William Shakespeare", "Shakespeare"], useReferences = true) =>
  semanticScores(prepareBatch([item({ output, references })], { useReferences }))[0];

const SOURCE =
  "The city council approved a new budget on Monday. The budget raises spending on schools by ten percent. " +
  "Council members said the increase would pay for new teachers. The mayor is expected to sign the budget this week.";

const summ = (output: string, references?: string[]) =>
  semanticScores(prepareBatch([item({ task: "summarization", query: "Summarize the article.", context: SOURCE, references, output })]))[0];

describe("semantic", () => {
  test("behaviour: an exact reference match scores 1", () => {
    expect(qa("William Shakespeare")).toBe(1);
    expect(qa("Hamlet was written by William Shakespeare around 1600.")).toBe(1);
  });

  test("behaviour: a wrong answer scores low", () => {
    expect(qa("Christopher Marlowe")).toBeLessThan(0.2);
  });

  test("behaviour: an empty output scores 0", () => {
    expect(qa("")).toBe(0);
    expect(summ("")).toBe(0);
  });

  test("behaviour: spelling variants and compounds get partial credit", () => {
    const s = semanticScores(prepareBatch([item({ output: "It was composed by Shostakovich.", references: ["Shostakovitch"] })]))[0];
    expect(s).toBeGreaterThan(0.5);
    const c = semanticScores(prepareBatch([item({ output: "He was a beekeeper.", references: ["Bee keeper"] })]))[0];
    expect(c).toBeGreaterThan(0.5);
  });

  test("behaviour: without references a QA output gets the uninformative 0.5", () => {
    expect(qa("Christopher Marlowe", undefined, false)).toBe(0.5);
    expect(qa("William Shakespeare", ["William Shakespeare"], false)).toBe(0.5);
  });

  test("behaviour: a summary copied from its source is more faithful than an invented one", () => {
    const faithful = summ("The city council approved a new budget that raises spending on schools by ten percent.");
    const invented = summ("Aliens landed in the harbour and the president declared a national holiday for dancing.");
    expect(faithful).toBeGreaterThan(0.8);
    expect(invented).toBeLessThan(0.3);
  });

  test("behaviour: a summary matching its reference beats one that does not", () => {
    const ref = ["The council approved a budget raising school spending by ten percent."];
    const good = summ("The council approved a budget raising school spending by ten percent.", ref);
    const other = summ("The mayor is expected to sign the budget this week.", ref);
    expect(good).toBeGreaterThan(other);
    expect(good).toBeGreaterThan(0.75);
  });
});
