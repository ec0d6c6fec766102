import type { ArgumentType, ContractFuture, IgnitionModuleBuilder } from "@nomicfoundation/ignition-core";

type Builder = IgnitionModuleBuilder;
type TokenFuture = ContractFuture<string>;

const DAY = 24 * 60 * 60;

/**
 * Deploys and wires StakeVault, RewardDistributor and PoQSettlement around an existing token future.
 * Parameters (all optional; defaults suit a local chain where time is in seconds):
 * owner, guardian, slashRecipient (default: the deployer), quorum, k,
 * commitDuration, revealDuration, settleDuration, challengeDuration, unbondingPeriod, maxTasks, maxSlashes,
 * nonRevealSlashBps, lowTrustSlashBps, maxSlashBps, maxVetoes, minInferenceStake, minEvaluatorStake, policyHash.
 */
export function buildCore(m: Builder, token: TokenFuture, relayers: ArgumentType) {
  const deployer = m.getAccount(0);
  const owner = m.getParameter("owner", deployer);
  const guardian = m.getParameter("guardian", deployer);
  const slashRecipient = m.getParameter("slashRecipient", deployer);

  const vault = m.contract("StakeVault", [
    deployer,
    token,
    slashRecipient,
    m.getParameter("unbondingPeriod", 7 * DAY),
    m.getParameter("maxSlashBps", 2_000),
    m.getParameter("minInferenceStake", 100n * 10n ** 18n),
    m.getParameter("minEvaluatorStake", 100n * 10n ** 18n),
  ]);
  const distributor = m.contract("RewardDistributor", [deployer, token]);
  const settlement = m.contract("PoQSettlement", [
    deployer,
    vault,
    distributor,
    guardian,
    relayers,
    {
      commitDuration: m.getParameter("commitDuration", 20),
      revealDuration: m.getParameter("revealDuration", 20),
      settleDuration: m.getParameter("settleDuration", 120),
      challengeDuration: m.getParameter("challengeDuration", 5),
      maxTasks: m.getParameter("maxTasks", 10_000),
      maxSlashes: m.getParameter("maxSlashes", 64),
      nonRevealSlashBps: m.getParameter("nonRevealSlashBps", 500),
      lowTrustSlashBps: m.getParameter("lowTrustSlashBps", 1_000),
      k: m.getParameter("k", 5),
      quorum: m.getParameter("quorum", 2),
      maxVetoes: m.getParameter("maxVetoes", 3),
      policyHash: m.getParameter("policyHash", `0x${"00".repeat(32)}`),
    },
  ]);

  const wiredVault = m.call(vault, "setSettlement", [settlement], { id: "wireVault" });
  const wiredDistributor = m.call(distributor, "setSettlement", [settlement], { id: "wireDistributor" });
  // Hand ownership over only after wiring (two-step: the new owner accepts).
  m.call(vault, "transferOwnership", [owner], { id: "vaultOwner", after: [wiredVault] });
  m.call(distributor, "transferOwnership", [owner], { id: "distributorOwner", after: [wiredDistributor] });
  m.call(settlement, "transferOwnership", [owner], { id: "settlementOwner" });

  return { vault, distributor, settlement };
}
