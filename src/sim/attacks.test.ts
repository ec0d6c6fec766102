import { describe, expect, test } from "vitest";
import { InputError } from "../errors";
import { ATTACKS, ATTACK_NAMES, DEFAULT_ATTACK_PARAMS, type AttackContext, getAttack } from "./attacks";

const ctx = (over: Partial<AttackContext> = {}): AttackContext => ({
  honest: 6,
  z: 0.5,
  u: 0.2,
  targetNode: false,
  lastConsensus: 7.5,
  params: DEFAULT_ATTACK_PARAMS,
  ...over,
});

describe("attacks", () => {
  test("behavior: boosting min(10, s + b) and sabotage max(0, s - b)", () => {
    expect(ATTACKS.boosting.score(ctx())).toBe(9);
    expect(ATTACKS.boosting.score(ctx({ honest: 8.5 }))).toBe(10);
    expect(ATTACKS.sabotage.score(ctx())).toBe(3);
    expect(ATTACKS.sabotage.score(ctx({ honest: 1 }))).toBe(0);
  });

  test("behavior: noise adds sigma * z, clamped", () => {
    expect(ATTACKS.noise.score(ctx())).toBe(7.5);
    expect(ATTACKS.noise.score(ctx({ z: 5 }))).toBe(10);
  });

  test("behavior: intermittent boosts with probability p", () => {
    expect(ATTACKS.intermittent.score(ctx({ u: 0.2 }))).toBe(9);
    expect(ATTACKS.intermittent.score(ctx({ u: 0.7 }))).toBe(6);
  });

  test("behavior: collusion boosts the target node and sabotages the rest", () => {
    expect(ATTACKS.collusion.score(ctx({ targetNode: true }))).toBe(9);
    expect(ATTACKS.collusion.score(ctx({ targetNode: false }))).toBe(3);
  });

  test("behavior: lazy reports a constant, copycat last round's consensus", () => {
    expect(ATTACKS.lazy.score(ctx({ honest: 1 }))).toBe(5);
    expect(ATTACKS.copycat.score(ctx())).toBe(7.5);
    expect(ATTACKS.copycat.score(ctx({ lastConsensus: null }))).toBe(5);
  });

  test("behavior: every attack is listed, and an unknown one is an InputError", () => {
    expect(ATTACK_NAMES).toEqual(["noise", "boosting", "sabotage", "intermittent", "collusion", "lazy", "copycat"]);
    expect(() => getAttack("bribery")).toThrow(InputError);
  });
});
