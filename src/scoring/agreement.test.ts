import { describe, expect, test } from "vitest";
import { agreementScores, isHedged, spreadFactor } from "./agreement";
import { prepareBatch } from "./batch";
import { item } from "./testing";

const query = "What star sign is Jamie Lee Curtis?";
const group = (outputs: string[], queryId = "q") => outputs.map((output, i) => item({ id: `${queryId}-${i}`, queryId, query, output }));

describe("agreement", () => {
  test("behaviour: the odd answer out agrees least", () => {
    const s = agreementScores(prepareBatch(group(["Scorpio", "She is a Scorpio.", "Jamie Lee Curtis is a Scorpio, born in November.", "Libra"])));
    expect(s[3]).toBe(0);
    expect(Math.min(s[0], s[1], s[2])).toBeGreaterThan(0.5);
  });

  test("behaviour: sharing only the question's words is not agreement", () => {
    const s = agreementScores(prepareBatch(group(["Jamie Lee Curtis is a Libra.", "Jamie Lee Curtis is a Scorpio."])));
    expect(s[0]).toBe(0);
  });

  test("behaviour: an output without peers gets 0.5, an empty one 0", () => {
    expect(agreementScores(prepareBatch(group(["Scorpio"])))[0]).toBe(0.5);
    expect(agreementScores(prepareBatch(group(["", "Scorpio"])))[0]).toBe(0);
  });

  test("behaviour: only outputs of the same queryId are compared", () => {
    const batch = [...group(["Scorpio", "Scorpio"], "a"), ...group(["Libra"], "b")];
    const s = agreementScores(prepareBatch(batch));
    expect(s[0]).toBe(1);
    expect(s[2]).toBe(0.5);
  });

  test("behaviour: hedging and evaluator spread lower the score", () => {
    expect(isHedged("I think it is probably Scorpio")).toBe(true);
    expect(isHedged("Scorpio")).toBe(false);
    const s = agreementScores(prepareBatch(group(["I think it might be Scorpio", "Scorpio"])));
    expect(s[0]).toBeLessThan(s[1]);
    expect(spreadFactor([5, 5, 5])).toBe(1);
    expect(spreadFactor([0, 10])).toBe(0.5);
    const items = group(["Scorpio", "Scorpio"]);
    const spread = agreementScores(prepareBatch(items), { evaluatorScores: new Map([[items[0].id, [0, 10]]]) });
    expect(spread[0]).toBe(0.5);
    expect(spread[1]).toBe(1);
  });
});
