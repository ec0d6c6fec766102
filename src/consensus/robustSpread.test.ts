import { describe, expect, test } from "vitest";
import { robustSpread } from "./robustSpread";

describe("robustSpread", () => {
  test("behavior: 1.4826 * MAD, rounded", () => {
    // median 0, |x| = 1000,1000,0,1000,1000 -> MAD 1000 -> 1483
    expect(robustSpread([-1000, 1000, 0, -1000, 1000], 1)).toBe(1483);
  });

  test("behavior: a minority of wild residuals barely moves it", () => {
    const clean = [-500, -300, -100, 0, 100, 300, 500];
    expect(robustSpread([...clean, 9000, 9000, 9000], 1)).toBeLessThan(2 * robustSpread(clean, 1));
  });

  test("behavior: never below the floor, and the floor for no residuals", () => {
    expect(robustSpread([7, 7, 7], 500)).toBe(500);
    expect(robustSpread([], 500)).toBe(500);
  });
});
