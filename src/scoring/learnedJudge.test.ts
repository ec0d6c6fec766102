import fs from "node:fs";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { expectGolden } from "../../test/helpers/golden";
import { readLoggedOutputs } from "../data/read";
import { loadJudgeWeights } from "../data/scoringFiles";
import {
  BINS,
  JUDGE_INPUTS,
  integerLogit,
  judgeScore,
  judgeWeightsHash,
  parseJudgeWeights,
  serializeJudgeWeights,
  trainJudge,
} from "./learnedJudge";
import { computeDimensionsAndFeatures } from "./score";
import { item, QA_SAMPLE, SUMMARIZATION_SAMPLE } from "./testing";

const WEIGHTS = path.join(__dirname, "..", "..", "config", "judge", "weights.json");
const qa = readLoggedOutputs(QA_SAMPLE);
const summaries = readLoggedOutputs(SUMMARIZATION_SAMPLE);

/** Fixed inputs of the golden vectors: three answers to one question, a refusal, and a lone answer. */
const golden = [
  item({ id: "g1", queryId: "gq", query: "Who wrote Hamlet?", output: "William Shakespeare wrote Hamlet around 1600." }),
  item({ id: "g2", queryId: "gq", query: "Who wrote Hamlet?", output: "Shakespeare" }),
  item({ id: "g3", queryId: "gq", query: "Who wrote Hamlet?", output: "I think it was Christopher Marlowe." }),
  item({ id: "g4", queryId: "gq", query: "Who wrote Hamlet?", output: "I'm sorry, I cannot answer that." }),
  item({ id: "g5", queryId: "gz", query: "How many moons does Mars have?", output: "Mars has two moons, Phobos and Deimos." }),
];

describe("learned judge", () => {
  test("behaviour: golden vectors: the shipped weights give these integer logits and scores on every machine", () => {
    const weights = loadJudgeWeights(WEIGHTS);
    const { features } = computeDimensionsAndFeatures({ items: golden, modelPriors: {}, useReferences: false, withFeatures: true });
    const logits = features!.map((f) => integerLogit(weights.tasks.qa!, f));
    const scores = features!.map((f) => judgeScore(weights.tasks.qa!, f));
    expect({ logits, scores }).toMatchInlineSnapshot(`
      {
        "logits": [
          -204527,
          -1466009,
          -7345152,
          -6580072,
          2972160,
        ],
        "scores": [
          0.47675211891522995,
          0.37050106593045296,
          0.1817375099831396,
          0.19464254820882432,
          0.7073658641137387,
        ],
      }
    `);
  });

  test("behaviour: the shipped weights file is what the training script writes (hash pinned here)", () => {
    const text = fs.readFileSync(WEIGHTS, "utf8");
    const weights = parseJudgeWeights(text, WEIGHTS);
    expect(serializeJudgeWeights(weights)).toBe(text);
    expect(judgeWeightsHash(weights)).toMatchInlineSnapshot(`"0x68028579e073ac75f6c085da3b8599f47badceb79f7ddcbb484e404e8e2d5dca"`);
    expect(text.length).toBeLessThan(3e6);
  });

  test("behaviour: training gives the committed weights for fixed data (golden/judge-qa-sample.json)", () => {
    const { features } = computeDimensionsAndFeatures({ items: qa, modelPriors: {}, useReferences: false, withFeatures: true });
    const weights = trainJudge(qa, features!);
    expect(weights.tasks.qa!.ngrams.some((w: number) => w !== 0)).toBe(true);
    expectGolden(path.join(__dirname, "golden", "judge-qa-sample.json"), { judgeWeightsHash: judgeWeightsHash(weights), bytes: serializeJudgeWeights(weights).length });
  });

  test("behaviour: the judge never reads references: its features are the same with or without them", () => {
    const stripped = [...qa, ...summaries].map(({ references: _r, ...rest }) => rest);
    const a = computeDimensionsAndFeatures({ items: [...qa, ...summaries], modelPriors: {}, useReferences: true, withFeatures: true }).features!;
    const b = computeDimensionsAndFeatures({ items: stripped, modelPriors: {}, useReferences: false, withFeatures: true }).features!;
    expect(b).toEqual(a);
  });

  test("behaviour: a trained judge ranks held-out answers better than chance", () => {
    const { features } = computeDimensionsAndFeatures({ items: qa, modelPriors: {}, useReferences: false, withFeatures: true });
    const half = qa.length / 2;
    const w = trainJudge(qa.slice(0, half), features!.slice(0, half));
    const test = qa.slice(half);
    const s = features!.slice(half).map((f) => judgeScore(w.tasks.qa!, f));
    let right = 0;
    let pairs = 0;
    test.forEach((a, i) =>
      test.forEach((b, j) => {
        if (a.label === 1 && b.label === 0) {
          pairs++;
          right += s[i] > s[j] ? 1 : s[i] === s[j] ? 0.5 : 0;
        }
      }),
    );
    expect(right / pairs).toBeGreaterThan(0.7);
    for (const v of s) expect(v > 0 && v < 1).toBe(true);
  });

  test("behaviour: malformed weights are refused with the field named", () => {
    const good = JSON.parse(fs.readFileSync(WEIGHTS, "utf8"));
    expect(() => parseJudgeWeights("{", "w.json")).toThrow(/w\.json: malformed JSON/);
    expect(() => parseJudgeWeights(JSON.stringify({ ...good, kind: "x" }), "w.json")).toThrow(/"kind"/);
    const bad = structuredClone(good);
    bad.tasks.qa.inputs[JUDGE_INPUTS[0]] = new Array(BINS).fill(0);
    expect(() => parseJudgeWeights(JSON.stringify(bad), "w.json")).toThrow(/tasks\.qa\.inputs\.costPrior must be 9 integers/);
    const frac = structuredClone(good);
    frac.tasks.qa.ngrams[3] = 0.5;
    expect(() => parseJudgeWeights(JSON.stringify(frac), "w.json")).toThrow(/ngrams must be/);
  });
});
