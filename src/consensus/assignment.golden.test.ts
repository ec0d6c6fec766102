import path from "node:path";
import { getAddress, keccak256, stringToBytes, type Address } from "viem";
import { describe, test } from "vitest";
import { expectGolden } from "../../test/helpers/golden";
import { assignEvaluators } from "./assignment";

/**
 * Golden vectors of the assignment anyone recomputes from the round seed: the draws per task for fixed seeds,
 * stakes (equal, skewed, one dust stake) and k. Committed expected bytes: golden/assignment.json.
 */
const h = (label: string) => keccak256(stringToBytes(`golden/assignment/${label}`));
const addr = (label: string): Address => getAddress(`0x${h(label).slice(26)}`);

describe("golden vectors: assignment", () => {
  test("behavior: the draws for fixed seeds and stakes are the committed ones", () => {
    const equal = Array.from({ length: 6 }, (_, i) => ({ address: addr(`eq-${i}`), stake: 10n ** 18n }));
    const skewed = [
      { address: addr("whale"), stake: 50n * 10n ** 18n },
      ...Array.from({ length: 5 }, (_, i) => ({ address: addr(`fish-${i}`), stake: BigInt(i + 1) * 10n ** 18n })),
      { address: addr("dust"), stake: 1n },
    ];
    const cases = [
      { name: "equal stakes, k 3", seed: h("seed-1"), taskCount: 8, k: 3, evaluators: equal },
      { name: "skewed stakes, k 5", seed: h("seed-2"), taskCount: 6, k: 5, evaluators: skewed },
      { name: "one task, k 1", seed: h("seed-3"), taskCount: 1, k: 1, evaluators: skewed },
    ];
    expectGolden(
      path.join(__dirname, "golden", "assignment.json"),
      cases.map((c) => {
        const a = assignEvaluators(c);
        return { name: c.name, byTask: a.byTask, byEvaluator: [...a.byEvaluator.entries()] };
      }),
    );
  });
});
