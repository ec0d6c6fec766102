import { ethers } from "hardhat";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { Address, Hex } from "viem";
import { buildGoldPoolTree, type GoldPoolItem } from "../../src/chain/encoding";
import { Phase, Status, type RoundParams } from "../../src/chain/reader";
import type {
  FeeToken,
  HookToken,
  PoQSettlement,
  PoQTimelock,
  RewardDistributor,
  SettlementChallenges,
  SettlementConfig,
  StakeVault,
  TestToken,
} from "../../typechain-types";

/* ENUMS (mirrors of the Solidity enums; the contract tests read them back from the chain) */

/** `IStakeVault.Role`. */
export const Role = { None: 0, Inference: 1, Evaluator: 2, Relayer: 3 } as const;
/** `IPoQSettlement.Status` and `.Phase`: the off-chain reader's constants, checked against the chain here. */
export { Phase, Status };
/** Reason codes of the vault's `Slashed` event: the settlement's `SlashReason` and 3 for a seized relayer bond. */
export const Reason = { None: 0, NonReveal: 1, LowTrust: 2, Bond: 3 } as const;
/** `IPoQSettlement.ContentKind`. */
export const ContentKind = { None: 0, Manifest: 1, GoldOpening: 2, Payload: 3, Assignment: 4 } as const;
/** `ISettlementChallenges.Kind` and `.Status`. */
export const ChallengeKind = { None: 0, Account: 1, GoldItem: 2 } as const;
export const ChallengeStatus = { None: 0, Open: 1, Answered: 2, Upheld: 3, Moot: 4 } as const;
/** `IRewardDistributor.RoundState`. */
export const FundsState = { Open: 0, Settled: 1, Cancelled: 2 } as const;

/* DEFAULTS */

export const TOKEN = 10n ** 18n;
export const DAY = 24 * 3600;
export const MIN_INFERENCE_STAKE = 100n * TOKEN;
export const MIN_EVALUATOR_STAKE = 100n * TOKEN;
export const MIN_RELAYER_STAKE = 1_000n * TOKEN;
export const RELAYER_BOND = 5_000n * TOKEN;
export const UNBONDING = 7 * DAY;
export const VAULT_MAX_SLASH_BPS = 2_000;
export const INITIAL_BALANCE = 1_000_000n * TOKEN;

/** `ISettlementConfig.Params`, field for field: the type the off-chain reader returns. */
export type Params = RoundParams;

export const PARAM_KEYS: (keyof Params)[] = [
  "assignDuration",
  "commitDuration",
  "revealDuration",
  "settleWindow",
  "settleCommitDuration",
  "settleRevealDuration",
  "challengeDuration",
  "responseDuration",
  "maxTasks",
  "seedDelay",
  "k",
  "quorum",
  "maxVetoes",
  "maxExtensions",
  "maxOpenRounds",
  "nonRevealSlashBps",
  "lowTrustSlashBps",
  "maxLowTrustSlashes",
  "challengeRewardBps",
  "failedChallengeBps",
  "maxRoundPools",
  "minRelayerBond",
  "minChallengeBond",
  "policyHash",
  "goldPoolRoot",
  "goldPoolSize",
];

/** The committed gold pool of the test deployments: 16 items of known quality. */
export const GOLD_POOL: GoldPoolItem[] = Array.from({ length: 16 }, (_, i) => ({
  poolIndex: i,
  contentHash: ethers.id(`gold-pool/v1/${i}`) as Hex,
  quality: 500 + 600 * i,
}));
export const GOLD_POOL_TREE = buildGoldPoolTree(GOLD_POOL);

export const DEFAULT_PARAMS: Params = {
  assignDuration: 600,
  commitDuration: 300,
  revealDuration: 300,
  settleWindow: 1_200,
  settleCommitDuration: 120,
  settleRevealDuration: 120,
  challengeDuration: 300,
  responseDuration: 200,
  maxTasks: 1_000,
  seedDelay: 2,
  k: 3,
  quorum: 2,
  maxVetoes: 2,
  maxExtensions: 3,
  maxOpenRounds: 4,
  nonRevealSlashBps: 1_000,
  lowTrustSlashBps: 500,
  maxLowTrustSlashes: 8,
  challengeRewardBps: 5_000,
  failedChallengeBps: 1_000,
  maxRoundPools: 10_000n * TOKEN,
  minRelayerBond: RELAYER_BOND,
  minChallengeBond: 100n * TOKEN,
  policyHash: ethers.id("poq-policy-v2") as Hex,
  goldPoolRoot: GOLD_POOL_TREE.root as Hex,
  goldPoolSize: GOLD_POOL.length,
};

/** `SettlementConfig.maxRoundLifetime` of `p`. */
export function lifetimeOf(p: Params): number {
  const extension = p.settleCommitDuration + p.settleRevealDuration + p.challengeDuration + p.responseDuration;
  return (
    p.assignDuration +
    p.commitDuration +
    p.revealDuration +
    p.settleWindow +
    p.maxExtensions * extension +
    p.challengeDuration +
    p.responseDuration
  );
}

/** Params as the contract returns them, as a plain object for deep equality. */
export function paramsOf(p: Record<keyof Params, unknown>): Params {
  const out: Record<string, unknown> = {};
  for (const k of PARAM_KEYS) {
    const v = p[k];
    out[k] = typeof v === "bigint" && !["maxRoundPools", "minRelayerBond", "minChallengeBond"].includes(k) ? Number(v) : v;
  }
  return out as Params;
}

/** The default parameters with some fields changed. */
export function paramsWith(p: Partial<Params>): Params {
  return { ...DEFAULT_PARAMS, ...p };
}

/* ACCOUNTS */

export type Accounts = {
  deployer: HardhatEthersSigner;
  /** Holds the timelock's proposer role: the key that governance acts through (with the delay). */
  proposer: HardhatEthersSigner;
  guardian: HardhatEthersSigner;
  funder: HardhatEthersSigner;
  /** The stake vault's slash recipient. */
  treasury: HardhatEthersSigner;
  relayers: HardhatEthersSigner[];
  nodes: HardhatEthersSigner[];
  evaluators: HardhatEthersSigner[];
  challenger: HardhatEthersSigner;
  outsider: HardhatEthersSigner;
  spare: HardhatEthersSigner[];
};

export async function getAccounts(): Promise<Accounts> {
  const s = await ethers.getSigners();
  return {
    deployer: s[0],
    proposer: s[1],
    guardian: s[2],
    funder: s[3],
    treasury: s[4],
    relayers: [s[5], s[6], s[7]],
    nodes: [s[8], s[9], s[10]],
    evaluators: [s[11], s[12], s[13], s[14], s[15]],
    challenger: s[16],
    outsider: s[17],
    spare: s.slice(18),
  };
}

/* SYSTEM */

export type AnyToken = TestToken | FeeToken | HookToken;

export type System = {
  token: AnyToken;
  timelock: PoQTimelock;
  config: SettlementConfig;
  vault: StakeVault;
  distributor: RewardDistributor;
  /** The distributor's reward vault (holds the pools). */
  rewardVault: Address;
  settlement: PoQSettlement;
  challenges: SettlementChallenges;
  params: Params;
  /** The timelock's minimum delay. */
  delay: number;
  unbonding: number;
  chainId: bigint;
  acc: Accounts;
  /** Current relayers, in id order (the fixture's three, then any added). */
  relayers: HardhatEthersSigner[];
};

export type DeployOptions = {
  token?: "test" | "fee" | "hook";
  params?: Partial<Params>;
  unbonding?: number;
  vaultMaxSlashBps?: number;
  minimums?: [bigint, bigint, bigint];
  /** Timelock delay; default: exactly what the contracts require plus one hour. */
  delay?: number;
  /** How many of the three fixture relayers start in the relayer set (default 3). */
  relayerCount?: number;
  /** Skip wiring (for wiring tests). */
  noWiring?: boolean;
};

/**
 * Deploys the v2 system in the documented order: timelock, config(timelock, guardian, relayers, params),
 * vault(timelock, token, slash recipient, unbonding, cap, minimums), distributor(token), settlement(config, vault,
 * distributor), challenges(settlement, distributor, token); the deployer then wires vault, distributor, settlement and
 * config. Every holder gets tokens and allowances to the vault, the distributor and the challenge contract. Nobody is
 * staked yet.
 */
export async function deploySystem(opts: DeployOptions = {}): Promise<System> {
  const acc = await getAccounts();
  const params = { ...DEFAULT_PARAMS, ...opts.params };
  const unbonding = opts.unbonding ?? UNBONDING;
  const delay = opts.delay ?? unbonding + lifetimeOf(params) + 3600;
  let token: AnyToken;
  if (opts.token === "fee") token = await ethers.deployContract("FeeToken");
  else if (opts.token === "hook") token = await ethers.deployContract("HookToken");
  else token = await ethers.deployContract("TestToken", [acc.deployer.address]);

  const timelock = await ethers.deployContract("PoQTimelock", [delay, [acc.proposer.address], [ethers.ZeroAddress], ethers.ZeroAddress]);
  const relayers = acc.relayers.slice(0, opts.relayerCount ?? 3);
  const config = await ethers.deployContract("SettlementConfig", [
    await timelock.getAddress(),
    acc.guardian.address,
    relayers.map((r) => r.address),
    params,
  ]);
  const vault = await ethers.deployContract("StakeVault", [
    await timelock.getAddress(),
    await token.getAddress(),
    acc.treasury.address,
    unbonding,
    opts.vaultMaxSlashBps ?? VAULT_MAX_SLASH_BPS,
    opts.minimums ?? [MIN_INFERENCE_STAKE, MIN_EVALUATOR_STAKE, MIN_RELAYER_STAKE],
  ]);
  const distributor = await ethers.deployContract("RewardDistributor", [await token.getAddress()]);
  const settlement = await ethers.deployContract("PoQSettlement", [
    await config.getAddress(),
    await vault.getAddress(),
    await distributor.getAddress(),
  ]);
  const challenges = await ethers.deployContract("SettlementChallenges", [
    await settlement.getAddress(),
    await distributor.getAddress(),
    await token.getAddress(),
  ]);
  if (!opts.noWiring) {
    await vault.setSettlement(await settlement.getAddress());
    await distributor.setSettlement(await settlement.getAddress());
    await settlement.setChallenges(await challenges.getAddress());
    await config.setVault(await vault.getAddress());
  }

  const holders = [acc.funder, ...acc.relayers, ...acc.nodes, ...acc.evaluators, acc.challenger, acc.outsider, ...acc.spare];
  for (const h of holders) {
    await mint(token, acc.deployer, h.address, INITIAL_BALANCE);
    for (const spender of [vault, distributor, challenges]) {
      await token.connect(h).approve(await spender.getAddress(), ethers.MaxUint256);
    }
  }
  const chainId = (await ethers.provider.getNetwork()).chainId;
  return {
    token,
    timelock,
    config,
    vault,
    distributor,
    rewardVault: (await distributor.vault()) as Address,
    settlement,
    challenges,
    params,
    delay,
    unbonding,
    chainId,
    acc,
    relayers: [...relayers],
  };
}

export async function mint(token: AnyToken, minter: HardhatEthersSigner, to: string, amount: bigint) {
  await (token as TestToken).connect(minter).mint(to, amount);
}

/** Evaluator stakes of the staked fixture: 1000, 1200, ..., 1800 tokens. */
export const EVALUATOR_STAKES = [1_000n, 1_200n, 1_400n, 1_600n, 1_800n].map((x) => x * TOKEN);

/** Relayers post their bonds; nodes stake the inference minimum plus `i`; evaluators stake {@link EVALUATOR_STAKES}. */
export async function stakeAll(sys: System, evaluatorStakes: bigint[] = EVALUATOR_STAKES) {
  const { vault, acc } = sys;
  for (const r of sys.relayers) await vault.connect(r).stake(Role.Relayer, RELAYER_BOND);
  for (const [i, n] of acc.nodes.entries()) await vault.connect(n).stake(Role.Inference, MIN_INFERENCE_STAKE + BigInt(i) * TOKEN);
  for (const [i, e] of acc.evaluators.entries()) await vault.connect(e).stake(Role.Evaluator, evaluatorStakes[i]);
}

/* FIXTURES (named functions: loadFixture snapshots by identity) */

export async function deployFixture(): Promise<System> {
  return deploySystem();
}

export async function stakedFixture(): Promise<System> {
  const sys = await deploySystem();
  await stakeAll(sys);
  return sys;
}
