import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { DEFAULT_PARAMS, PARAM_KEYS, UNBONDING, deploySystem, lifetimeOf, paramsOf, paramsWith, type Params, type System } from "./helpers/fixtures";
import { call, govern, type Call } from "./helpers/governance";
import { expectGovernedAddress } from "./helpers/setters";

async function configFixture() {
  return deploySystem();
}

const MAX_DURATION = 30 * 24 * 3600;
const U128_MAX = 2n ** 128n - 1n;

const DURATION = { min: 1n, max: BigInt(MAX_DURATION) };
const BPS = { min: 0n, max: 10_000n };
const SLASH_BPS = { min: 0n, max: 5_000n };
const COUNT_32 = { min: 1n, max: 32n };

/** Each bounded parameter: its bounds (as the error reports them), values just outside them, and what else must change. */
const BOUNDED: { key: keyof Params; min: bigint; max: bigint; outside: (number | bigint)[]; base?: Partial<Params> }[] = [
  { key: "assignDuration", ...DURATION, outside: [0, MAX_DURATION + 1] },
  { key: "commitDuration", ...DURATION, outside: [0] },
  { key: "revealDuration", ...DURATION, outside: [MAX_DURATION + 1] },
  { key: "settleCommitDuration", ...DURATION, outside: [0] },
  { key: "settleRevealDuration", ...DURATION, outside: [0] },
  // At least one whole attempt fits in the settlement window.
  { key: "settleWindow", min: 240n, max: BigInt(MAX_DURATION), outside: [239, MAX_DURATION + 1] },
  { key: "challengeDuration", ...DURATION, outside: [0] },
  { key: "responseDuration", ...DURATION, outside: [0] },
  { key: "maxTasks", min: 1n, max: 100_000n, outside: [0, 100_001] },
  { key: "seedDelay", min: 1n, max: 128n, outside: [0, 129] },
  { key: "k", ...COUNT_32, outside: [0, 33] },
  { key: "quorum", ...COUNT_32, outside: [0, 33] },
  { key: "maxVetoes", min: 0n, max: 5n, outside: [6], base: { maxExtensions: 6 } },
  // Every veto extends the round: maxExtensions ≥ maxVetoes.
  { key: "maxExtensions", min: 2n, max: 10n, outside: [1, 11] },
  { key: "maxOpenRounds", min: 1n, max: 64n, outside: [0, 65] },
  { key: "nonRevealSlashBps", ...SLASH_BPS, outside: [5_001] },
  { key: "lowTrustSlashBps", ...SLASH_BPS, outside: [5_001] },
  { key: "maxLowTrustSlashes", min: 0n, max: 256n, outside: [257] },
  { key: "challengeRewardBps", ...BPS, outside: [10_001] },
  { key: "failedChallengeBps", ...BPS, outside: [10_001] },
  { key: "minChallengeBond", min: 1n, max: U128_MAX, outside: [0n] },
];

/** One case per value outside a parameter's bounds. */
const OUT_OF_BOUNDS = BOUNDED.flatMap(({ outside, ...b }) => outside.map((value) => ({ ...b, value })));

const paramsTuple = (p: Params) => PARAM_KEYS.map((k) => p[k]);

describe("SettlementConfig", function () {
  describe("constructor", function () {
    it("stores the guardian, the relayers with ids 1..n and the parameters as version 1; the timelock owns it", async function () {
      const sys = await loadFixture(configFixture);
      const { config, acc } = sys;
      expect(await config.owner()).to.equal(await sys.timelock.getAddress());
      expect(await config.guardian()).to.equal(acc.guardian.address);
      expect(await config.paramsVersion()).to.equal(1);
      expect(paramsOf(await config.params())).to.deep.equal(DEFAULT_PARAMS);
      expect(paramsOf(await config.paramsAt(1))).to.deep.equal(DEFAULT_PARAMS);
      expect(await config.relayerCount()).to.equal(3);
      for (const [i, r] of acc.relayers.entries()) {
        expect(await config.relayerId(r.address)).to.deep.equal([BigInt(i + 1), true]);
        expect(await config.relayerById(i + 1)).to.equal(r.address);
        expect(await config.isRelayer(r.address)).to.equal(true);
      }
      expect(await config.relayerId(acc.outsider.address)).to.deep.equal([0n, false]);
      expect(await config.vault()).to.equal(await sys.vault.getAddress());
    });

    it("emits GuardianSet, RelayerSet per relayer and ParamsSet", async function () {
      const { acc, timelock } = await loadFixture(configFixture);
      const F = await ethers.getContractFactory("SettlementConfig");
      const c = await F.deploy(await timelock.getAddress(), acc.guardian.address, [acc.relayers[0].address, acc.relayers[1].address], DEFAULT_PARAMS);
      const tx = c.deploymentTransaction()!;
      await expect(tx).to.emit(c, "GuardianSet").withArgs(acc.guardian.address);
      await expect(tx).to.emit(c, "RelayerSet").withArgs(acc.relayers[0].address, 1, true);
      await expect(tx).to.emit(c, "RelayerSet").withArgs(acc.relayers[1].address, 2, true);
      await expect(tx).to.emit(c, "ParamsSet").withArgs(1, paramsTuple(DEFAULT_PARAMS));
    });

    it("rejects a zero guardian or relayer, a duplicate relayer, a quorum above the relayers and out-of-bounds parameters", async function () {
      const { acc, timelock } = await loadFixture(configFixture);
      const F = await ethers.getContractFactory("SettlementConfig");
      const tl = await timelock.getAddress();
      const rs = acc.relayers.map((r) => r.address);
      await expect(F.deploy(tl, ethers.ZeroAddress, rs, DEFAULT_PARAMS)).to.be.revertedWithCustomError(F, "ConfigZeroAddress");
      await expect(F.deploy(tl, acc.guardian.address, [...rs, ethers.ZeroAddress], DEFAULT_PARAMS)).to.be.revertedWithCustomError(F, "ConfigZeroAddress");
      await expect(F.deploy(tl, acc.guardian.address, [rs[0], rs[0]], DEFAULT_PARAMS))
        .to.be.revertedWithCustomError(F, "ConfigRelayerUnchanged")
        .withArgs(rs[0], true);
      await expect(F.deploy(tl, acc.guardian.address, [rs[0]], DEFAULT_PARAMS)).to.be.revertedWithCustomError(F, "ConfigQuorumAboveRelayers").withArgs(2, 1);
      await expect(F.deploy(tl, acc.guardian.address, rs, paramsWith({ k: 0 })))
        .to.be.revertedWithCustomError(F, "ConfigParamOutOfBounds")
        .withArgs("k", 0, 1, 32);
      await expect(F.deploy(ethers.ZeroAddress, acc.guardian.address, rs, DEFAULT_PARAMS)).to.be.revertedWithCustomError(F, "OwnableInvalidOwner").withArgs(ethers.ZeroAddress);
    });
  });

  describe("setParams", function () {
    it("bumps the version through the timelock and emits ParamsSet; earlier versions stay readable", async function () {
      const sys = await loadFixture(configFixture);
      const next = paramsWith({ quorum: 3, lowTrustSlashBps: 700, challengeDuration: 400 });
      await expect(govern(sys, await call(sys.config, "setParams", [next]))).to.emit(sys.config, "ParamsSet").withArgs(2, paramsTuple(next));
      expect(await sys.config.paramsVersion()).to.equal(2);
      expect(paramsOf(await sys.config.params())).to.deep.equal(next);
      expect(paramsOf(await sys.config.paramsAt(1))).to.deep.equal(DEFAULT_PARAMS);
      expect(await sys.config.maxRoundLifetime()).to.equal(lifetimeOf(next));
    });

    it("refuses the parameters already in force", async function () {
      const sys = await loadFixture(configFixture);
      await expect(govern(sys, await call(sys.config, "setParams", [DEFAULT_PARAMS]))).to.be.revertedWithCustomError(sys.config, "ConfigUnchanged");
    });

    for (const c of OUT_OF_BOUNDS) {
      it(`refuses ${c.key} = ${c.value} (bounds ${c.min}..${c.max})`, async function () {
        const sys = await loadFixture(configFixture);
        const p = paramsWith({ ...c.base, [c.key]: c.value });
        await expect(govern(sys, await call(sys.config, "setParams", [p])))
          .to.be.revertedWithCustomError(sys.config, "ConfigParamOutOfBounds")
          .withArgs(c.key, c.value, c.min, c.max);
      });
    }

    it("sizes the relayer bond: quorum × minRelayerBond must cover maxRoundPools", async function () {
      const sys = await loadFixture(configFixture);
      const p = paramsWith({ maxRoundPools: 2n * DEFAULT_PARAMS.minRelayerBond + 1n });
      await expect(govern(sys, await call(sys.config, "setParams", [p])))
        .to.be.revertedWithCustomError(sys.config, "ConfigParamOutOfBounds")
        .withArgs("quorumBond", 2n * DEFAULT_PARAMS.minRelayerBond, p.maxRoundPools, 2n ** 256n - 1n);
      // Exactly covered is enough.
      await expect(govern(sys, await call(sys.config, "setParams", [paramsWith({ maxRoundPools: 2n * DEFAULT_PARAMS.minRelayerBond - 1n })]))).to.emit(
        sys.config,
        "ParamsSet",
      );
    });

    it("refuses a quorum above the current relayers", async function () {
      const sys = await loadFixture(configFixture);
      await expect(govern(sys, await call(sys.config, "setParams", [paramsWith({ quorum: 4 })])))
        .to.be.revertedWithCustomError(sys.config, "ConfigQuorumAboveRelayers")
        .withArgs(4, 3);
    });

    it("refuses parameters whose longest round the timelock's delay no longer covers (checked after the change)", async function () {
      const sys = await loadFixture(configFixture);
      const slack = sys.delay - UNBONDING - lifetimeOf(DEFAULT_PARAMS);
      const p = paramsWith({ settleWindow: DEFAULT_PARAMS.settleWindow + slack + 1 });
      await expect(govern(sys, await call(sys.config, "setParams", [p])))
        .to.be.revertedWithCustomError(sys.config, "GovernanceDelayTooShort")
        .withArgs(sys.delay, UNBONDING + lifetimeOf(p));
      const q = paramsWith({ settleWindow: DEFAULT_PARAMS.settleWindow + slack });
      await expect(govern(sys, await call(sys.config, "setParams", [q]))).to.emit(sys.config, "ParamsSet");
    });

    it("is only for the timelock", async function () {
      const sys = await loadFixture(configFixture);
      await expect(sys.config.connect(sys.acc.proposer).setParams(paramsWith({ k: 4 })))
        .to.be.revertedWithCustomError(sys.config, "OwnableUnauthorizedAccount")
        .withArgs(sys.acc.proposer.address);
    });
  });

  describe("setRelayer", function () {
    it("adds a relayer with the next permanent id and removes it keeping the id; a re-added relayer gets its old id", async function () {
      const sys = await loadFixture(configFixture);
      const r = sys.acc.spare[0];
      await expect(govern(sys, await call(sys.config, "setRelayer", [r.address, true]))).to.emit(sys.config, "RelayerSet").withArgs(r.address, 4, true);
      expect(await sys.config.relayerId(r.address)).to.deep.equal([4n, true]);
      expect(await sys.config.relayerCount()).to.equal(4);
      await expect(govern(sys, await call(sys.config, "setRelayer", [r.address, false]))).to.emit(sys.config, "RelayerSet").withArgs(r.address, 4, false);
      expect(await sys.config.relayerId(r.address)).to.deep.equal([4n, false]);
      expect(await sys.config.isRelayer(r.address)).to.equal(false);
      expect(await sys.config.relayerById(4)).to.equal(r.address);
      const r2 = sys.acc.spare[1];
      await expect(govern(sys, await call(sys.config, "setRelayer", [r2.address, true]))).to.emit(sys.config, "RelayerSet").withArgs(r2.address, 5, true);
      await expect(govern(sys, await call(sys.config, "setRelayer", [r.address, true]))).to.emit(sys.config, "RelayerSet").withArgs(r.address, 4, true);
    });

    it("rejects a zero address, an unchanged state, and a removal that leaves fewer relayers than the quorum", async function () {
      const sys = await loadFixture(configFixture);
      const [r1, r2] = sys.acc.relayers;
      await expect(govern(sys, await call(sys.config, "setRelayer", [ethers.ZeroAddress, true]))).to.be.revertedWithCustomError(sys.config, "ConfigZeroAddress");
      await expect(govern(sys, await call(sys.config, "setRelayer", [r1.address, true])))
        .to.be.revertedWithCustomError(sys.config, "ConfigRelayerUnchanged")
        .withArgs(r1.address, true);
      await expect(govern(sys, await call(sys.config, "setRelayer", [sys.acc.outsider.address, false])))
        .to.be.revertedWithCustomError(sys.config, "ConfigRelayerUnchanged")
        .withArgs(sys.acc.outsider.address, false);
      await govern(sys, await call(sys.config, "setRelayer", [r1.address, false]));
      await expect(govern(sys, await call(sys.config, "setRelayer", [r2.address, false])))
        .to.be.revertedWithCustomError(sys.config, "ConfigQuorumAboveRelayers")
        .withArgs(2, 1);
      await expect(sys.config.connect(sys.acc.proposer).setRelayer(sys.acc.outsider.address, true))
        .to.be.revertedWithCustomError(sys.config, "OwnableUnauthorizedAccount")
        .withArgs(sys.acc.proposer.address);
    });

    it("holds at most MAX_RELAYERS current relayers and MAX_RELAYER_IDS over its life", async function () {
      const sys = await loadFixture(configFixture);
      const fresh = (n: number) => Array.from({ length: n }, () => ethers.Wallet.createRandom().address);
      const batch = async (addrs: string[], enabled: boolean): Promise<Call[]> =>
        Promise.all(addrs.map((a) => call(sys.config, "setRelayer", [a, enabled])));
      const a = fresh(125); // ids 4..128: 128 current
      await govern(sys, await batch(a, true));
      expect(await sys.config.relayerCount()).to.equal(128);
      await expect(govern(sys, await batch(fresh(1), true)))
        .to.be.revertedWithCustomError(sys.config, "ConfigParamOutOfBounds")
        .withArgs("relayers", 129, 1, 128);
      await govern(sys, await batch(a, false));
      const b = fresh(125); // ids 129..253
      await govern(sys, await batch(b, true));
      await govern(sys, await batch(b, false));
      const c = fresh(3);
      await govern(sys, await batch(c.slice(0, 2), true)); // ids 254, 255
      expect(await sys.config.relayerId(c[1])).to.deep.equal([255n, true]);
      await expect(govern(sys, await batch(c.slice(2), true))).to.be.revertedWithCustomError(sys.config, "ConfigRelayerIdsExhausted");
      // A removed relayer can always come back under its own id.
      await govern(sys, await batch([a[0]], true));
      expect(await sys.config.relayerId(a[0])).to.deep.equal([4n, true]);
    });
  });

  describe("setGuardian", function () {
    it("sets a new non-zero guardian through the timelock and emits GuardianSet", async function () {
      const sys = await loadFixture(configFixture);
      const expected = { getter: "guardian", event: "GuardianSet", caller: sys.acc.guardian, zeroAddress: "ConfigZeroAddress", unchanged: "ConfigUnchanged" };
      await expectGovernedAddress(sys, sys.config, "setGuardian", sys.acc.spare[0].address, expected);
    });
  });

  describe("setVault", function () {
    it("wires the vault once, by the deployer; until then the delay must cover the longest round alone", async function () {
      const sys = await deploySystem({ noWiring: true });
      expect(await sys.config.requiredGovernanceDelay()).to.equal(lifetimeOf(sys.params));
      const v = await sys.vault.getAddress();
      await expect(sys.config.connect(sys.acc.outsider).setVault(v)).to.be.revertedWithCustomError(sys.config, "ConfigNotDeployer").withArgs(sys.acc.outsider.address);
      await expect(sys.config.setVault(ethers.ZeroAddress)).to.be.revertedWithCustomError(sys.config, "ConfigZeroAddress");
      await sys.config.setVault(v);
      expect(await sys.config.vault()).to.equal(v);
      expect(await sys.config.requiredGovernanceDelay()).to.equal(UNBONDING + lifetimeOf(sys.params));
      await expect(sys.config.setVault(sys.acc.outsider.address)).to.be.revertedWithCustomError(sys.config, "ConfigNotDeployer").withArgs(sys.acc.deployer.address);
    });
  });

  describe("views", function () {
    it("maxRoundLifetime is registration to the last answer window of the last extension", async function () {
      const sys = await loadFixture(configFixture);
      const p = DEFAULT_PARAMS;
      expect(await sys.config.maxRoundLifetime()).to.equal(
        p.assignDuration +
          p.commitDuration +
          p.revealDuration +
          p.settleWindow +
          p.maxExtensions * (p.settleCommitDuration + p.settleRevealDuration + p.challengeDuration + p.responseDuration) +
          p.challengeDuration +
          p.responseDuration,
      );
    });

    it("countCurrent counts only current relayers' bits", async function () {
      const sys: System = await loadFixture(configFixture);
      expect(await sys.config.countCurrent(0b1110)).to.equal(3);
      expect(await sys.config.countCurrent(0b1)).to.equal(0); // bit 0 is nobody's
      expect(await sys.config.countCurrent(1n << 200n)).to.equal(0);
      await govern(sys, await call(sys.config, "setRelayer", [sys.acc.relayers[2].address, false]));
      expect(await sys.config.countCurrent(0b1110)).to.equal(2);
      expect(await sys.config.countCurrent(ethers.MaxUint256)).to.equal(2);
    });
  });
});
