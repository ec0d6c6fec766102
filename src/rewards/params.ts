import { DEFAULT_CONSENSUS_PARAMS, validateConsensusParams, type ConsensusParams } from "../consensus/params";
import { PPM, SCORE_MAX } from "../consensus/fixedPoint";
import { getRule, type RuleName, DEFAULT_RULE } from "../consensus/rules";
import { InputError, shown } from "../errors";

/** Everything a settlement depends on besides the round's data. Versioned: the version goes on chain. */
export type SettlementParams = {
  paramsVersion: number;
  /** Aggregation rule (see RULES); settlements use DEFAULT_RULE. */
  rule: RuleName;
  consensus: ConsensusParams;
  /** Inference reward R = alpha * quality - beta * cost, quality and cost normalized to [0, 1] (ppm). */
  alphaPpm: number;
  betaPpm: number;
  /**
   * Width (score units) of the agreement kernel of the peer-prediction payment: f(s, r) = max(0, 1 - |s - r| / tolerance).
   */
  agreementTolerance: number;
  /**
   * Cap of an evaluator's peer-prediction score per seat, as a fraction (ppm) of the seat-weighted median evaluator's:
   * informative reports earn their share, more agreement than the typical evaluator's earns nothing more.
   */
  payCapPpm: number;
  /** Standard errors (milli) subtracted from an evaluator's mean peer-prediction score before it is paid. */
  payZMilli: number;
  /** Trust (ppm) below which a round counts toward the low-trust streak. */
  slashThresholdPpm: number;
  /** K: consecutive low-trust rounds before a LowTrust slash. */
  slashAfterRounds: number;
  /** At most this many LowTrust slashes per round (lowest trust first); the contract's maxLowTrustSlashes. */
  maxSlashes: number;
  /**
   * Circuit breaker (ppm of the round's revealed evaluator stake): when the evaluators whose evidence lowered their
   * round score hold more than this, no LowTrust slash is emitted that round and low-trust streaks stand still.
   */
  breakerPpm: number;
};

export const DEFAULT_SETTLEMENT_PARAMS: Readonly<SettlementParams> = Object.freeze({
  paramsVersion: 2,
  rule: DEFAULT_RULE,
  consensus: DEFAULT_CONSENSUS_PARAMS,
  alphaPpm: 1_000_000,
  betaPpm: 300_000,
  agreementTolerance: 3_000,
  payCapPpm: 600_000,
  payZMilli: 1_000,
  slashThresholdPpm: 200_000,
  slashAfterRounds: 3,
  maxSlashes: 32,
  breakerPpm: 350_000,
});

/** Default parameters with overrides (consensus overrides merge into the defaults). */
export function settlementParams(overrides: Partial<Omit<SettlementParams, "consensus">> & { consensus?: Partial<ConsensusParams> } = {}): SettlementParams {
  return validateSettlementParams({
    ...DEFAULT_SETTLEMENT_PARAMS,
    ...overrides,
    consensus: { ...DEFAULT_CONSENSUS_PARAMS, ...(overrides.consensus ?? {}) },
  });
}

function intIn(name: string, v: number, lo: number, hi: number): void {
  if (!Number.isInteger(v) || v < lo || v > hi) throw new InputError(`settlement parameter ${name} must be an integer in [${lo}, ${hi}], got ${shown(v)}`);
}

export function validateSettlementParams(p: SettlementParams): SettlementParams {
  intIn("paramsVersion", p.paramsVersion, 0, 2 ** 32 - 1);
  getRule(p.rule);
  validateConsensusParams(p.consensus);
  intIn("alphaPpm", p.alphaPpm, 0, PPM);
  intIn("betaPpm", p.betaPpm, 0, PPM);
  intIn("agreementTolerance", p.agreementTolerance, 1, SCORE_MAX);
  intIn("payCapPpm", p.payCapPpm, 0, 100 * PPM);
  intIn("payZMilli", p.payZMilli, 0, 100_000);
  intIn("slashThresholdPpm", p.slashThresholdPpm, 0, PPM);
  intIn("slashAfterRounds", p.slashAfterRounds, 1, 1_000_000);
  intIn("maxSlashes", p.maxSlashes, 0, 1_000_000);
  intIn("breakerPpm", p.breakerPpm, 0, PPM);
  return p;
}
