// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ISettlementConfig} from "./interfaces/ISettlementConfig.sol";
import {IStakeVault} from "./interfaces/IStakeVault.sol";
import {Governed} from "./governance/Governed.sol";
import {BPS} from "./libraries/BasisPoints.sol";

/// @title SettlementConfig
/// @notice Versioned parameters, the relayer set and the guardian of the settlement contract, under governance.
contract SettlementConfig is ISettlementConfig, Governed {
    /* CONSTANTS (hard bounds on governance-set parameters) */

    uint256 public constant MIN_DURATION = 1;
    uint256 public constant MAX_DURATION = 30 days;
    uint256 public constant MAX_TASKS_BOUND = 100_000;
    uint256 public constant MAX_LOW_TRUST_SLASHES_BOUND = 256;
    uint256 public constant MAX_K = 32;
    uint256 public constant MAX_QUORUM = 32;
    /// @notice Most current relayers at once.
    uint256 public constant MAX_RELAYERS = MAX_QUORUM * 4;
    /// @notice Relayer ids are vote bits 1..255 and are never reused, so a vote can never be counted for another
    /// relayer: at most this many relayers over the contract's life.
    uint256 public constant MAX_RELAYER_IDS = 255;
    uint256 public constant MAX_VETOES_BOUND = 5;
    uint256 public constant MAX_EXTENSIONS_BOUND = 10;
    uint256 public constant MAX_OPEN_ROUNDS_BOUND = 64;
    uint256 public constant MAX_SLASH_BPS = 5_000;
    /// @notice The seed block's hash must still be readable when the seed is drawn (the EVM keeps 256).
    uint256 public constant MAX_SEED_DELAY = 128;

    /* STORAGE */

    address private immutable _deployer;
    IStakeVault private _vault;
    address private _guardian;
    uint32 private _paramsVersion;
    uint8 private _relayerIdCount;
    /// @dev Bit i set: the relayer with id i is current. Votes are bitmaps of ids, counted against this one.
    uint256 private _activeRelayers;
    mapping(uint256 version => Params) private _paramsAt;
    mapping(address relayer => uint8) private _relayerIds;
    mapping(uint256 id => address) private _relayerById;

    /* CONSTRUCTOR */

    /// @param timelock The owner, a {TimelockController} whose delay covers unbonding plus the longest round.
    /// @param guardian_ The guardian.
    /// @param relayers_ The initial relayers.
    /// @param params_ The initial parameters (version 1).
    constructor(address timelock, address guardian_, address[] memory relayers_, Params memory params_)
        Governed(timelock)
    {
        require(guardian_ != address(0), ConfigZeroAddress());
        _deployer = msg.sender;
        _guardian = guardian_;
        emit GuardianSet(guardian_);
        for (uint256 i = 0; i < relayers_.length; ++i) {
            _setRelayer(relayers_[i], true);
        }
        _setParams(params_);
    }

    /* GOVERNANCE */

    /// @inheritdoc ISettlementConfig
    function setParams(Params calldata params_) external onlyGovernance {
        require(keccak256(abi.encode(params_)) != keccak256(abi.encode(_paramsAt[_paramsVersion])), ConfigUnchanged());
        _setParams(params_);
    }

    /// @inheritdoc ISettlementConfig
    function setRelayer(address relayer, bool enabled) external onlyGovernance {
        _setRelayer(relayer, enabled);
        uint256 quorum = _paramsAt[_paramsVersion].quorum;
        uint256 count = _count(_activeRelayers);
        require(quorum <= count, ConfigQuorumAboveRelayers(quorum, count));
    }

    /// @inheritdoc ISettlementConfig
    function setGuardian(address guardian_) external onlyGovernance {
        require(guardian_ != address(0), ConfigZeroAddress());
        require(guardian_ != _guardian, ConfigUnchanged());
        _guardian = guardian_;
        emit GuardianSet(guardian_);
    }

    /// @inheritdoc ISettlementConfig
    function setVault(address vault_) external {
        require(msg.sender == _deployer && address(_vault) == address(0), ConfigNotDeployer(msg.sender));
        require(vault_ != address(0), ConfigZeroAddress());
        _vault = IStakeVault(vault_);
    }

    /* VIEWS */

    /// @inheritdoc ISettlementConfig
    function paramsVersion() external view returns (uint256) {
        return _paramsVersion;
    }

    /// @inheritdoc ISettlementConfig
    function params() external view returns (Params memory) {
        return _paramsAt[_paramsVersion];
    }

    /// @inheritdoc ISettlementConfig
    function paramsAt(uint256 version) external view returns (Params memory) {
        return _paramsAt[version];
    }

    /// @inheritdoc ISettlementConfig
    function maxRoundLifetime() public view returns (uint256) {
        Params storage p = _paramsAt[_paramsVersion];
        uint256 extension =
            uint256(p.settleCommitDuration) + p.settleRevealDuration + p.challengeDuration + p.responseDuration;
        // Registration to expiry (assignment, evaluators' windows, settlement window), every extension, then the
        // last challenge window and the answer window of a challenge opened at its end.
        return uint256(p.assignDuration) + p.commitDuration + p.revealDuration + p.settleWindow
            + uint256(p.maxExtensions) * extension + p.challengeDuration + p.responseDuration;
    }

    /// @inheritdoc ISettlementConfig
    function isRelayer(address account) external view returns (bool) {
        return _isCurrent(_relayerIds[account]);
    }

    /// @inheritdoc ISettlementConfig
    function relayerId(address relayer) external view returns (uint256 id, bool current) {
        id = _relayerIds[relayer];
        current = _isCurrent(id);
    }

    /// @inheritdoc ISettlementConfig
    function relayerById(uint256 id) external view returns (address) {
        return _relayerById[id];
    }

    /// @inheritdoc ISettlementConfig
    function countCurrent(uint256 voters) external view returns (uint256) {
        return _count(voters & _activeRelayers);
    }

    /// @inheritdoc ISettlementConfig
    function relayerCount() external view returns (uint256) {
        return _count(_activeRelayers);
    }

    /// @inheritdoc ISettlementConfig
    function guardian() external view returns (address) {
        return _guardian;
    }

    /// @inheritdoc ISettlementConfig
    function vault() external view returns (address) {
        return address(_vault);
    }

    /* PRIVATE */

    /// @dev Governance's delay must cover the unbonding period plus the longest round (before the vault is wired:
    /// the longest round alone).
    function _requiredGovernanceDelay() internal view override returns (uint256) {
        IStakeVault vault_ = _vault;
        uint256 unbonding = address(vault_) == address(0) ? 0 : vault_.unbondingPeriod();
        return unbonding + maxRoundLifetime();
    }

    function _isCurrent(uint256 id) private view returns (bool) {
        return id != 0 && (_activeRelayers >> id) & 1 != 0;
    }

    function _count(uint256 x) private pure returns (uint256 n) {
        while (x != 0) {
            x &= x - 1;
            ++n;
        }
    }

    function _setRelayer(address relayer, bool enabled) private {
        require(relayer != address(0), ConfigZeroAddress());
        uint256 id = _relayerIds[relayer];
        require(_isCurrent(id) != enabled, ConfigRelayerUnchanged(relayer, enabled));
        if (enabled) {
            if (id == 0) {
                require(_relayerIdCount < MAX_RELAYER_IDS, ConfigRelayerIdsExhausted());
                id = ++_relayerIdCount;
                _relayerIds[relayer] = uint8(id);
                _relayerById[id] = relayer;
            }
            uint256 count = _count(_activeRelayers);
            require(count < MAX_RELAYERS, ConfigParamOutOfBounds("relayers", count + 1, 1, MAX_RELAYERS));
            _activeRelayers |= 1 << id;
        } else {
            _activeRelayers &= ~(1 << id);
        }
        emit RelayerSet(relayer, id, enabled);
    }

    function _setParams(Params memory p) private {
        _checkBounds("assignDuration", p.assignDuration, MIN_DURATION, MAX_DURATION);
        _checkBounds("commitDuration", p.commitDuration, MIN_DURATION, MAX_DURATION);
        _checkBounds("revealDuration", p.revealDuration, MIN_DURATION, MAX_DURATION);
        _checkBounds("settleCommitDuration", p.settleCommitDuration, MIN_DURATION, MAX_DURATION);
        _checkBounds("settleRevealDuration", p.settleRevealDuration, MIN_DURATION, MAX_DURATION);
        // At least one whole attempt fits in the settlement window.
        _checkBounds(
            "settleWindow", p.settleWindow, uint256(p.settleCommitDuration) + p.settleRevealDuration, MAX_DURATION
        );
        _checkBounds("challengeDuration", p.challengeDuration, MIN_DURATION, MAX_DURATION);
        _checkBounds("responseDuration", p.responseDuration, MIN_DURATION, MAX_DURATION);
        _checkBounds("maxTasks", p.maxTasks, 1, MAX_TASKS_BOUND);
        _checkBounds("seedDelay", p.seedDelay, 1, MAX_SEED_DELAY);
        _checkBounds("k", p.k, 1, MAX_K);
        _checkBounds("quorum", p.quorum, 1, MAX_QUORUM);
        _checkBounds("maxVetoes", p.maxVetoes, 0, MAX_VETOES_BOUND);
        _checkBounds("maxExtensions", p.maxExtensions, p.maxVetoes, MAX_EXTENSIONS_BOUND);
        _checkBounds("maxOpenRounds", p.maxOpenRounds, 1, MAX_OPEN_ROUNDS_BOUND);
        _checkBounds("nonRevealSlashBps", p.nonRevealSlashBps, 0, MAX_SLASH_BPS);
        _checkBounds("lowTrustSlashBps", p.lowTrustSlashBps, 0, MAX_SLASH_BPS);
        _checkBounds("maxLowTrustSlashes", p.maxLowTrustSlashes, 0, MAX_LOW_TRUST_SLASHES_BOUND);
        _checkBounds("challengeRewardBps", p.challengeRewardBps, 0, BPS);
        _checkBounds("failedChallengeBps", p.failedChallengeBps, 0, BPS);
        _checkBounds("minChallengeBond", p.minChallengeBond, 1, type(uint128).max);
        // The relayers that must agree on a settlement together hold more bond than a round's pools.
        _checkBounds("quorumBond", uint256(p.minRelayerBond) * p.quorum, p.maxRoundPools, type(uint256).max);
        uint256 relayers = _count(_activeRelayers);
        require(p.quorum <= relayers, ConfigQuorumAboveRelayers(p.quorum, relayers));

        uint32 version = ++_paramsVersion;
        _paramsAt[version] = p;
        emit ParamsSet(version, p);
    }

    function _checkBounds(string memory name, uint256 value, uint256 min, uint256 max) private pure {
        require(value >= min && value <= max, ConfigParamOutOfBounds(name, value, min, max));
    }
}
