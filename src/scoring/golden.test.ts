import path from "node:path";
import { keccak256, stringToBytes } from "viem";
import { describe, test } from "vitest";
import { expectGolden } from "../../test/helpers/golden";
import { toOnchainScore } from "../chain/encoding";
import { readLoggedOutputs } from "../data/read";
import { calibrate } from "./calibrate";
import { defaultProfile, serializeProfile } from "./profile";
import { scoreOutputs } from "./score";
import { QA_SAMPLE, SUMMARIZATION_SAMPLE } from "./testing";

/**
 * Golden vectors of the scores: fixed inputs (the first outputs of the bundled samples), scored with the default
 * profile and with a profile calibrated on those samples (reliability bootstrap, folds and weights included), every
 * dimension, the composite and the uint16 an evaluator commits. Committed expected bytes: golden/scores.json.
 */
describe("golden vectors: scores", () => {
  test("behavior: dimensions, composites and on-chain scores are the committed ones", () => {
    const items = [...readLoggedOutputs(QA_SAMPLE).slice(0, 40), ...readLoggedOutputs(SUMMARIZATION_SAMPLE).slice(0, 24)];
    const calibrated = calibrate(items, { bootstrap: 40, useReferences: false });
    const scored = (profile: Parameters<typeof scoreOutputs>[1]) =>
      scoreOutputs(items, profile).map((s, i) => ({ id: items[i].id, dims: s.dims, composite: s.composite, onchain: toOnchainScore(s.composite * 10) }));
    expectGolden(path.join(__dirname, "golden", "scores.json"), {
      // the whole calibrated profile (knots, intervals, model priors), as saveProfile writes it
      calibratedProfileHash: keccak256(stringToBytes(serializeProfile(calibrated))),
      calibratedWeights: Object.fromEntries(Object.entries(calibrated.tasks).map(([t, tp]) => [t, tp!.weights])),
      default: scored(defaultProfile()),
      calibrated: scored(calibrated),
    });
  });
});
