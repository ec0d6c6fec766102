import { describe, expect, test } from "vitest";
import { prepareBatch } from "./batch";
import { semanticScores } from "./semantic";
import { expectScore, item, type Expected } from "./testing";

const qa = (output: string, references = ["William Shakespeare", "Shakespeare"], useReferences = true) =>
  semanticScores(prepareBatch([item({ output, references })], { useReferences }))[0];

const SOURCE =
  "The city council approved a new budget on Monday. The budget raises spending on schools by ten percent. " +
  "Council members said the increase would pay for new teachers. The mayor is expected to sign the budget this week.";

const summ = (output: string, references?: string[]) =>
  semanticScores(prepareBatch([item({ task: "summarization", query: "Summarize the article.", context: SOURCE, references, output })]))[0];

/** `qa` against other references, or with references turned off. */
const qaWith = (references?: string[], useReferences = true) => (output: string) => qa(output, references, useReferences);

describe("semantic", () => {
  test.each<[string, [score: (output: string) => number, output: string, expected: Expected][]]>([
    [
      "an exact reference match scores 1",
      [
        [qa, "William Shakespeare", { is: 1 }],
        [qa, "Hamlet was written by William Shakespeare around 1600.", { is: 1 }],
      ],
    ],
    ["a wrong answer scores low", [[qa, "Christopher Marlowe", { below: 0.2 }]]],
    [
      "an empty output scores 0",
      [
        [qa, "", { is: 0 }],
        [summ, "", { is: 0 }],
      ],
    ],
    [
      "spelling variants and compounds get partial credit",
      [
        [qaWith(["Shostakovitch"]), "It was composed by Shostakovich.", { above: 0.5 }],
        [qaWith(["Bee keeper"]), "He was a beekeeper.", { above: 0.5 }],
      ],
    ],
    [
      "without references a QA output gets the uninformative 0.5",
      [
        [qaWith(undefined, false), "Christopher Marlowe", { is: 0.5 }],
        [qaWith(["William Shakespeare"], false), "William Shakespeare", { is: 0.5 }],
      ],
    ],
  ])("behaviour: %s", (_behaviour, cases) => {
    for (const [score, output, expected] of cases) expectScore(score(output), expected, output);
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
