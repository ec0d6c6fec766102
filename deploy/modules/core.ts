import type { ArgumentType, ContractFuture, IgnitionModuleBuilder } from "@nomicfoundation/ignition-core";

type Builder = IgnitionModuleBuilder;
type TokenFuture = ContractFuture<string>;

const DAY = 24 * 60 * 60;
const TOKEN = 10n ** 18n;
const ZERO_ADDRESS = "0x0000000000000000000000000000000000000000";
const ZERO_HASH = `0x${"00".repeat(32)}`;

/** Default round parameters: a local chain, where time is in seconds. Each can be overridden by name. */
export const LOCAL_PARAMS = {
  assignDuration: 60,
  commitDuration: 20,
  revealDuration: 20,
  settleWindow: 120,
  settleCommitDuration: 10,
  settleRevealDuration: 10,
  challengeDuration: 5,
  responseDuration: 10,
  maxTasks: 10_000,
  seedDelay: 1,
  k: 5,
  quorum: 2,
  maxVetoes: 2,
  maxExtensions: 3,
  maxOpenRounds: 4,
  nonRevealSlashBps: 500,
  lowTrustSlashBps: 1_000,
  maxLowTrustSlashes: 16,
  challengeRewardBps: 5_000,
  failedChallengeBps: 5_000,
  maxRoundPools: 10_000n * TOKEN,
  minRelayerBond: 5_000n * TOKEN,
  minChallengeBond: 100n * TOKEN,
  policyHash: ZERO_HASH,
  goldPoolRoot: ZERO_HASH,
  goldPoolSize: 0,
} as const;

/**
 * Deploys the governance timelock and the core contracts around an existing token future, wires them, and hands
 * nothing to the deployer: the timelock owns the configuration and the stake vault from construction, and the
 * distributor has no owner. Parameters (all optional):
 * - governance: `timelockDelay` (seconds; must cover `unbondingPeriod` plus the longest round, checked at every
 *   governance call), the timelock's `proposer` and `executor` (default: the deployer; a multisig in production), `guardian` (default: local
 *   account 19), `slashRecipient` (default: the deployer, the local treasury);
 * - staking: `unbondingPeriod`, `maxSlashBps`, `minInferenceStake`, `minEvaluatorStake` (the relayer minimum is
 *   `minRelayerBond`);
 * - every round parameter of {@link LOCAL_PARAMS} by name.
 */
export function buildCore(m: Builder, token: TokenFuture, relayers: ArgumentType) {
  const deployer = m.getAccount(0);
  const param = (name: keyof typeof LOCAL_PARAMS) => m.getParameter(name, LOCAL_PARAMS[name]);

  const timelock = m.contract("PoQTimelock", [
    m.getParameter("timelockDelay", 8 * DAY),
    [m.getParameter("proposer", deployer)],
    [m.getParameter("executor", deployer)],
    ZERO_ADDRESS,
  ]);
  const params = Object.fromEntries(Object.keys(LOCAL_PARAMS).map((k) => [k, param(k as keyof typeof LOCAL_PARAMS)]));
  const config = m.contract("SettlementConfig", [timelock, m.getParameter("guardian", m.getAccount(19)), relayers, params]);
  const vault = m.contract("StakeVault", [
    timelock,
    token,
    m.getParameter("slashRecipient", deployer),
    m.getParameter("unbondingPeriod", 7 * DAY),
    m.getParameter("maxSlashBps", 2_000),
    [m.getParameter("minInferenceStake", 100n * TOKEN), m.getParameter("minEvaluatorStake", 100n * TOKEN), param("minRelayerBond")],
  ]);
  const distributor = m.contract("RewardDistributor", [token]);
  const settlement = m.contract("PoQSettlement", [config, vault, distributor]);
  const challenges = m.contract("SettlementChallenges", [settlement, distributor, token]);

  m.call(vault, "setSettlement", [settlement], { id: "wireVault" });
  m.call(distributor, "setSettlement", [settlement], { id: "wireDistributor" });
  m.call(settlement, "setChallenges", [challenges], { id: "wireChallenges" });
  m.call(config, "setVault", [vault], { id: "wireConfig" });

  return { timelock, config, vault, distributor, settlement, challenges };
}
