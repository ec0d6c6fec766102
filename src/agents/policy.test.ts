import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { InputError } from "../errors";
import { DEFAULT_SETTLEMENT_PARAMS } from "../rewards/params";
import { LOCAL_POLICY } from "./demo";
import { loadPolicy } from "./policy";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "poq-policy-"));
let n = 0;
const file = (v: unknown) => {
  const f = path.join(dir, `p${n++}.json`);
  fs.writeFileSync(f, typeof v === "string" ? v : JSON.stringify(v));
  return f;
};
const fails = (v: unknown, message: RegExp) => {
  let err: unknown;
  try {
    loadPolicy(file(v));
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(InputError);
  expect((err as InputError).shortMessage).toMatch(message);
};

describe("loadPolicy", () => {
  test("behavior: no file gives the defaults; overrides merge into them, consensus ones into the consensus defaults", () => {
    expect(loadPolicy()).toEqual(DEFAULT_SETTLEMENT_PARAMS);
    const p = loadPolicy(file({ slashAfterRounds: 5, consensus: { etaDownPpm: 400_000, stakeUnitWei: "1000000000" } }));
    expect(p.slashAfterRounds).toBe(5);
    expect(p.alphaPpm).toBe(DEFAULT_SETTLEMENT_PARAMS.alphaPpm);
    expect(p.consensus.etaDownPpm).toBe(400_000);
    expect(p.consensus.stakeUnitWei).toBe(1_000_000_000n);
    expect(loadPolicy(file({ consensus: { stakeUnitWei: 1e18 } })).consensus.stakeUnitWei).toBe(10n ** 18n); // a JSON number that prints as digits
    expect(p.consensus.etaUpPpm).toBe(DEFAULT_SETTLEMENT_PARAMS.consensus.etaUpPpm);
    const local = loadPolicy(LOCAL_POLICY);
    expect(local.slashAfterRounds).toBe(2);
  });

  test("behavior: a misspelt or unknown parameter is refused by name, not ignored", () => {
    fails({ slashAfterRound: 2 }, /unknown parameter "slashAfterRound" \(known: paramsVersion, rule, /);
    fails({ consensus: { etaDown: 1 } }, /unknown consensus parameter "etaDown"/);
  });

  test("behavior: values of the wrong kind get an error that shows them, whatever they hold", () => {
    fails({ alphaPpm: { toString: "" } }, /: alphaPpm must be an integer, got \{"toString":""\}/);
    fails({ betaPpm: 2_000_000 }, /betaPpm must be an integer in \[0, 1000000\], got 2000000/);
    fails({ rule: { valueOf: 1 } }, /: rule must be a known rule: .*robust-trust.*, got \{"valueOf":1\}/);
    fails({ consensus: [] }, /consensus must be an object, got \[\]/);
    fails({ consensus: "x" }, /consensus must be an object/);
    fails({ consensus: { stakeUnitWei: "1e18" } }, /stakeUnitWei must be a whole number of wei.*got "1e18"/);
    fails({ consensus: { stakeUnitWei: -1 } }, /stakeUnitWei must be a whole number of wei/);
    fails({ consensus: { stakeUnitWei: 1e21 } }, /stakeUnitWei must be a whole number of wei, best written as a decimal string, got 1e\+21/);
    fails({ consensus: { stakeUnitWei: "0" } }, /stakeUnitWei must be a positive bigint/);
    fails("[1]", /must hold a JSON object/);
    fails("{", /malformed policy file/);
    expect(() => loadPolicy(path.join(dir, "missing.json"))).toThrow(/not found/);
  });
});
