import { describe, expect, test } from "vitest";
import { toOnchainScore } from "../chain/encoding";
import { readLoggedOutputs } from "../data/read";
import { calibrate } from "./calibrate";
import { DIMENSIONS } from "./dimensions";
import { defaultProfile } from "./profile";
import { scoreOutputs } from "./score";
import { item, QA_SAMPLE, SUMMARIZATION_SAMPLE } from "./testing";

const qa = readLoggedOutputs(QA_SAMPLE);
const summaries = readLoggedOutputs(SUMMARIZATION_SAMPLE);

describe("scoreOutputs", () => {
  test("behaviour: every dimension and the composite lie in [0, 1]", () => {
    for (const profile of [defaultProfile(), calibrate([...qa, ...summaries], { bootstrap: 20 })]) {
      for (const s of scoreOutputs([...qa, ...summaries], profile)) {
        expect(Object.keys(s.dims)).toEqual([...DIMENSIONS]);
        for (const v of [...Object.values(s.dims), s.composite]) {
          expect(v).toBeGreaterThanOrEqual(0);
          expect(v).toBeLessThanOrEqual(1);
        }
      }
    }
  });

  test("behaviour: a score depends only on the outputs of the same query in the batch", () => {
    const profile = calibrate(qa, { bootstrap: 20 });
    const full = scoreOutputs(qa, profile);
    const q = qa[7].queryId;
    const part = scoreOutputs(
      qa.filter((it) => it.queryId === q),
      profile,
    );
    const byId = new Map(full.map((s) => [s.id, s]));
    for (const s of part) expect(s).toEqual(byId.get(s.id));
  });

  test("behaviour: the order of the batch does not change any output's scores beyond float rounding, nor its on-chain score", () => {
    const p = defaultProfile();
    const byId = new Map(scoreOutputs(qa, p).map((s) => [s.id, s]));
    for (const s of scoreOutputs([...qa].reverse(), p)) {
      const o = byId.get(s.id)!;
      for (const [d, v] of Object.entries(s.dims)) expect(Math.abs(v - o.dims[d as keyof typeof o.dims]!), `${s.id} ${d}`).toBeLessThan(1e-12);
      expect(toOnchainScore(s.composite * 10)).toBe(toOnchainScore(o.composite * 10));
    }
  });

  test("behaviour: a correct answer outscores a wrong one with the calibrated profile", () => {
    const profile = calibrate(qa, { bootstrap: 20 });
    const query = "Who wrote Hamlet?";
    const batch = [
      item({ queryId: "h", query, output: "William Shakespeare wrote Hamlet.", references: ["William Shakespeare"] }),
      item({ queryId: "h", query, output: "Shakespeare.", references: ["William Shakespeare"] }),
      item({ queryId: "h", query, output: "It was Christopher Marlowe.", references: ["William Shakespeare"] }),
    ];
    const s = scoreOutputs(batch, profile);
    expect(s[0].composite).toBeGreaterThan(s[2].composite);
    expect(s[1].composite).toBeGreaterThan(s[2].composite);
  });

  test("behaviour: judge scores add the judge dimension", () => {
    const batch = [item({ output: "Shakespeare" })];
    const s = scoreOutputs(batch, defaultProfile(), { judge: new Map([[batch[0].id, 0.9]]) });
    expect(s[0].dims.judge).toBe(0.9);
    expect(() => scoreOutputs(batch, defaultProfile(), { judge: new Map() })).toThrow(/no judge score/);
  });
});
