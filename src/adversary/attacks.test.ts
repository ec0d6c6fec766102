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

  test("behavior: camp-shield: the first shieldShare of the coalition boosts, the rest shifts by the camouflage; only the boosters are detection targets", () => {
    const a = ATTACKS["camp-shield"];
    // 10 members, shieldShare 0.2: ranks 0 and 1 boost (6 + 3), ranks 2..9 shift by 1.
    expect([0, 1, 2, 9].map((member) => a.score(ctx({ member, coalition: 10 })))).toEqual([9, 9, 7, 7]);
    expect([0, 1, 2, 9].map((m) => a.detectable!(m, 10, DEFAULT_ATTACK_PARAMS))).toEqual([true, true, false, false]);
    expect(a.score(ctx({ member: 2, coalition: 10, params: { ...DEFAULT_ATTACK_PARAMS, shieldShare: 0.5 } }))).toBe(9);
  });

  test("behavior: camouflage shifts every score a little; pump boosts one node only; gold-aware is honest on gold", () => {
    expect(ATTACKS.camouflage.score(ctx())).toBe(7);
    expect(ATTACKS.pump.score(ctx({ targetNode: true }))).toBe(9);
    expect(ATTACKS.pump.score(ctx({ targetNode: false }))).toBe(6);
    expect(ATTACKS["gold-aware"].score(ctx({ gold: true }))).toBe(6);
    expect(ATTACKS["gold-aware"].score(ctx({ gold: false }))).toBe(9);
  });

  test("behavior: sleeper attacks from round sleeperRounds, pulse every period-th round", () => {
    expect(ATTACKS.sleeper.score(ctx({ round: 4 }))).toBe(6);
    expect(ATTACKS.sleeper.score(ctx({ round: 5 }))).toBe(9);
    expect(ATTACKS.sleeper.firstAttackRound(DEFAULT_ATTACK_PARAMS)).toBe(5);
    expect(ATTACKS.pulse.score(ctx({ round: 0 }))).toBe(6);
    expect(ATTACKS.pulse.score(ctx({ round: 1 }))).toBe(9);
  });

  test("behavior: copy-bloc reports the bloc's mean, node-copier last round's node consensus, abstain UNAVAILABLE (NaN)", () => {
    expect(ATTACKS["copy-bloc"].score(ctx({ blocMean: 4.5 }))).toBe(4.5);
    expect(ATTACKS["node-copier"].score(ctx({ lastNodeConsensus: 8.25 }))).toBe(8.25);
    expect(ATTACKS["node-copier"].score(ctx({ lastNodeConsensus: null }))).toBe(7.5);
    expect(Number.isNaN(ATTACKS.abstain.score(ctx()))).toBe(true);
  });

  test("behavior: every attack is listed, and an unknown one is an InputError", () => {
    expect(ATTACK_NAMES).toEqual(["noise", "boosting", "sabotage", "intermittent", "collusion", "camouflage", "pump", "copy-bloc", "sleeper", "pulse", "gold-aware", "camp-shield", "abstain", "lazy", "copycat", "node-copier"]);
    expect(() => getAttack("bribery")).toThrow(InputError);
  });
});
