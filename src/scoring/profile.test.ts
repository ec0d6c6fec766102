import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { readLoggedOutputs } from "../data/read";
import { FileFormatError, InputError } from "../errors";
import { calibrate } from "./calibrate";
import { loadProfile, saveProfile } from "../data/scoringFiles";
import { defaultProfile, validateProfile } from "./profile";
import { scoreOutputs } from "./score";
import { QA_SAMPLE } from "./testing";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "poq-profile-"));

describe("quality profile", () => {
  test("behaviour: a saved profile loads back and scores like the original", () => {
    const qa = readLoggedOutputs(QA_SAMPLE);
    const profile = calibrate(qa, { bootstrap: 20 });
    const file = path.join(dir, "p.json");
    saveProfile(file, profile);
    const loaded = loadProfile(file);
    const a = scoreOutputs(qa, profile);
    const b = scoreOutputs(qa, loaded);
    a.forEach((s, i) => expect(b[i].composite).toBeCloseTo(s.composite, 4));
  });

  test("behaviour: the default profile validates, and a broken copy of it does not", () => {
    const copy = JSON.parse(JSON.stringify(defaultProfile()));
    expect(() => validateProfile(copy)).not.toThrow();
    expect(validateProfile(copy).tasks.qa?.weights).toEqual(defaultProfile().tasks.qa?.weights);
    const broken = JSON.parse(JSON.stringify(defaultProfile()));
    broken.tasks.qa.weights.structure = "heavy";
    expect(() => validateProfile(broken)).toThrow(FileFormatError);
  });

  test("behaviour: invalid profiles are refused with a clear message", () => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- free-form mutation of a JSON document
    const bad = (mutate: (p: any) => void) => {
      const p = JSON.parse(JSON.stringify(defaultProfile()));
      mutate(p);
      return () => validateProfile(p, "p.json");
    };
    expect(bad((p) => (p.version = 2))).toThrow(/unsupported version/);
    expect(bad((p) => (p.tasks.qa.weights.bogus = 1))).toThrow(/unknown dimension "bogus"/);
    expect(bad((p) => (p.tasks.qa.weights.semantic = -1))).toThrow(/non-negative/);
    expect(bad((p) => (p.tasks.poetry = p.tasks.qa))).toThrow(/unknown task "poetry"/);
    expect(bad((p) => (p.tasks.qa.normalizers.semantic = [3, 1]))).toThrow(/ascending/);
    expect(bad((p) => (p.tasks.qa.rankShare.semantic = 2))).toThrow(/\[0, 1\]/);
    expect(bad((p) => (p.tasks.qa.weights.semantic = 0))).not.toThrow();
  });

  test("behaviour: loading a missing or malformed file raises an input error", () => {
    expect(() => loadProfile(path.join(dir, "none.json"))).toThrow(InputError);
    const f = path.join(dir, "bad.json");
    fs.writeFileSync(f, "{nope");
    expect(() => loadProfile(f)).toThrow(FileFormatError);
  });

  test("behaviour: a profile that pins a learned judge refuses to score without those weights", () => {
    const qa = readLoggedOutputs(QA_SAMPLE);
    const profile = { ...defaultProfile(), judgeWeightsHash: `0x${"ab".repeat(32)}` };
    expect(() => validateProfile(profile)).not.toThrow();
    expect(() => validateProfile({ ...profile, judgeWeightsHash: "abc" })).toThrow(/judgeWeightsHash/);
    expect(() => scoreOutputs(qa, profile)).toThrow(/pass its weights/);
    const weights = { kind: "poq-judge-weights" as const, version: 1 as const, buckets: 0, scale: 0, bins: 0, tasks: {} };
    expect(() => scoreOutputs(qa, profile, { learnedJudge: weights })).toThrow(/differ from the profile's/);
  });
});
