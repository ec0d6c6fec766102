/**
 * fast-check settings shared by every property test: the vitest setup file, and imported by the Hardhat property
 * tests.
 *
 * - POQ_FUZZ_SEED pins the seed. CI pins one so that a run can be reproduced exactly. Unset, each run draws a new
 *   seed, and fast-check prints the seed and the shrunk counterexample of any failure; set POQ_FUZZ_SEED to replay it.
 * - POQ_FUZZ_SCALE multiplies the number of runs of every property that takes its budget from `runs()` or the default (`npm run fuzz:offchain` uses 25);
 *   the contract sequences of test/Invariants.test.ts take POQ_INVARIANT_RUNS instead.
 */
import fc from "fast-check";
import { int, number, optional, parseInput } from "../../src/schema";

const scale = parseInput(optional(number(1e-9)), process.env.POQ_FUZZ_SCALE, "POQ_FUZZ_SCALE", () => "") ?? 1;
export const FUZZ_SEED: number | undefined = parseInput(optional(int(Number.MIN_SAFE_INTEGER)), process.env.POQ_FUZZ_SEED, "POQ_FUZZ_SEED", () => "");

/** The number of runs for a property whose base budget is `n`, scaled by POQ_FUZZ_SCALE. */
export const runs = (n: number): number => Math.max(1, Math.round(n * scale));

fc.configureGlobal({ ...fc.readConfigureGlobal(), numRuns: runs(100), ...(FUZZ_SEED === undefined ? {} : { seed: FUZZ_SEED }) });
