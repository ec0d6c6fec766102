import { ethers } from "hardhat";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type {
  FeeToken,
  HookToken,
  PoQSettlement,
  RewardDistributor,
  StakeVault,
  TestToken,
} from "../../typechain-types";
import type { IPoQSettlement } from "../../typechain-types/contracts/PoQSettlement";

/* ENUMS (the off-chain mirrors of the Solidity enums; the contract tests check them against the chain) */

export { Phase } from "../../src/chain/reader";
export { Status } from "../../src/agents/status";
export const Role = { None: 0, Inference: 1, Evaluator: 2 } as const;
export const Reason = { None: 0, NonReveal: 1, LowTrust: 2 } as const;

/* DEFAULTS */

export const TOKEN = 10n ** 18n;
export const MIN_INFERENCE_STAKE = 100n * TOKEN;
export const MIN_EVALUATOR_STAKE = 100n * TOKEN;
export const UNBONDING = 7 * 24 * 3600;
export const VAULT_MAX_SLASH_BPS = 2_000;
export const INITIAL_BALANCE = 1_000_000n * TOKEN;

export type Params = {
  commitDuration: number;
  revealDuration: number;
  settleDuration: number;
  challengeDuration: number;
  maxTasks: number;
  maxSlashes: number;
  nonRevealSlashBps: number;
  lowTrustSlashBps: number;
  k: number;
  quorum: number;
  maxVetoes: number;
  policyHash: string;
};

export const DEFAULT_PARAMS: Params = {
  commitDuration: 600,
  revealDuration: 600,
  settleDuration: 600,
  challengeDuration: 600,
  maxTasks: 1_000,
  maxSlashes: 16,
  nonRevealSlashBps: 1_000,
  lowTrustSlashBps: 500,
  k: 3,
  quorum: 2,
  maxVetoes: 2,
  policyHash: ethers.id("poq-policy-v1"),
};

/** Params as the contract returns them, as a plain object for deep equality. */
export function paramsOf(p: IPoQSettlement.ParamsStructOutput): Params {
  return {
    commitDuration: Number(p.commitDuration),
    revealDuration: Number(p.revealDuration),
    settleDuration: Number(p.settleDuration),
    challengeDuration: Number(p.challengeDuration),
    maxTasks: Number(p.maxTasks),
    maxSlashes: Number(p.maxSlashes),
    nonRevealSlashBps: Number(p.nonRevealSlashBps),
    lowTrustSlashBps: Number(p.lowTrustSlashBps),
    k: Number(p.k),
    quorum: Number(p.quorum),
    maxVetoes: Number(p.maxVetoes),
    policyHash: p.policyHash,
  };
}

export type Accounts = {
  owner: HardhatEthersSigner;
  guardian: HardhatEthersSigner;
  funder: HardhatEthersSigner;
  treasury: HardhatEthersSigner;
  relayers: HardhatEthersSigner[];
  nodes: HardhatEthersSigner[];
  evaluators: HardhatEthersSigner[];
  outsider: HardhatEthersSigner;
  spare: HardhatEthersSigner[];
};

export type System = {
  token: TestToken | FeeToken | HookToken;
  vault: StakeVault;
  distributor: RewardDistributor;
  settlement: PoQSettlement;
  params: Params;
  chainId: bigint;
  acc: Accounts;
};

export type DeployOptions = {
  feeToken?: boolean;
  /** A token with a reentrancy hook and a swallow-everything mode (contracts/test/HookToken.sol). */
  hookToken?: boolean;
  params?: Partial<Params>;
  unbonding?: number;
  vaultMaxSlashBps?: number;
  minInferenceStake?: bigint;
  minEvaluatorStake?: bigint;
};

export async function getAccounts(): Promise<Accounts> {
  const s = await ethers.getSigners();
  return {
    owner: s[0],
    guardian: s[1],
    funder: s[2],
    treasury: s[3],
    relayers: [s[4], s[5]],
    nodes: [s[6], s[7], s[8]],
    evaluators: [s[9], s[10], s[11], s[12], s[13]],
    outsider: s[14],
    spare: s.slice(15),
  };
}

/**
 * Deploys token, vault, distributor and settlement and wires them: 2 relayers (quorum 2), 3 inference nodes and 5
 * evaluators funded with tokens and with allowances to the vault; the funder funded with an allowance to the
 * distributor. Nobody is staked yet.
 */
export async function deploySystem(opts: DeployOptions = {}): Promise<System> {
  const acc = await getAccounts();
  const params = { ...DEFAULT_PARAMS, ...opts.params };
  let token: TestToken | FeeToken | HookToken;
  if (opts.feeToken) {
    token = await ethers.deployContract("FeeToken");
  } else if (opts.hookToken) {
    token = await ethers.deployContract("HookToken");
  } else {
    token = await ethers.deployContract("TestToken", [acc.owner.address]);
  }
  const vault = await ethers.deployContract("StakeVault", [
    acc.owner.address,
    await token.getAddress(),
    acc.treasury.address,
    opts.unbonding ?? UNBONDING,
    opts.vaultMaxSlashBps ?? VAULT_MAX_SLASH_BPS,
    opts.minInferenceStake ?? MIN_INFERENCE_STAKE,
    opts.minEvaluatorStake ?? MIN_EVALUATOR_STAKE,
  ]);
  const distributor = await ethers.deployContract("RewardDistributor", [acc.owner.address, await token.getAddress()]);
  const settlement = await ethers.deployContract("PoQSettlement", [
    acc.owner.address,
    await vault.getAddress(),
    await distributor.getAddress(),
    acc.guardian.address,
    acc.relayers.map((r) => r.address),
    params,
  ]);
  await vault.connect(acc.owner).setSettlement(await settlement.getAddress());
  await distributor.connect(acc.owner).setSettlement(await settlement.getAddress());

  const holders = [acc.funder, ...acc.nodes, ...acc.evaluators, acc.outsider];
  for (const h of holders) {
    await mint(token, acc.owner, h.address, INITIAL_BALANCE);
    await token.connect(h).approve(await vault.getAddress(), ethers.MaxUint256);
    await token.connect(h).approve(await distributor.getAddress(), ethers.MaxUint256);
  }
  const chainId = (await ethers.provider.getNetwork()).chainId;
  return { token, vault, distributor, settlement, params, chainId, acc };
}

export async function mint(token: TestToken | FeeToken | HookToken, owner: HardhatEthersSigner, to: string, amount: bigint) {
  await (token as TestToken).connect(owner).mint(to, amount);
}

/** Stakes for roles: nodes at the inference minimum plus `i` tokens, evaluators with distinct evaluator stakes. */
export async function stakeAll(sys: System, evaluatorStakes?: bigint[]) {
  const { vault, acc } = sys;
  for (const [i, n] of acc.nodes.entries()) {
    await vault.connect(n).stake(Role.Inference, MIN_INFERENCE_STAKE + BigInt(i) * TOKEN);
  }
  const stakes = evaluatorStakes ?? acc.evaluators.map((_, i) => (1_000n + 200n * BigInt(i)) * TOKEN);
  for (const [i, e] of acc.evaluators.entries()) {
    await vault.connect(e).stake(Role.Evaluator, stakes[i]);
  }
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

export async function feeTokenFixture(): Promise<System> {
  return deploySystem({ feeToken: true });
}

export async function hookTokenFixture(): Promise<System & { hook: HookToken }> {
  const sys = await deploySystem({ hookToken: true });
  return { ...sys, hook: sys.token as HookToken };
}

/** The default parameters with some fields changed. */
export function paramsWith(p: Partial<Params>): Params {
  return { ...DEFAULT_PARAMS, ...p };
}
