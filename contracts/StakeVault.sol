// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Ownable, Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {IStakeVault} from "./interfaces/IStakeVault.sol";
import {IRoundTail} from "./interfaces/IRoundTail.sol";

/// @title StakeVault
/// @notice Stakes by role with per-role minimums, an unbonding queue that stays slashable, and capped slashing by
/// the settlement contract only.
contract StakeVault is IStakeVault, Ownable2Step, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /* CONSTANTS */

    /// @notice Hard upper bound on the per-round slash cap (50%).
    uint256 public constant MAX_SLASH_BPS_BOUND = 5_000;
    /// @notice Hard bounds on the unbonding period.
    uint256 public constant MIN_UNBONDING = 60;
    uint256 public constant MAX_UNBONDING = 90 days;
    uint256 private constant _BPS = 10_000;

    /* STORAGE */

    IERC20 private immutable _token;
    address private _settlement;
    address private _slashRecipient;
    uint256 private _unbondingPeriod;
    uint256 private _maxSlashBps;
    uint128 private _totalActive;
    uint128 private _totalQueued;
    mapping(Role role => uint256) private _minStake;
    mapping(address account => mapping(Role role => Stake)) private _stakes;

    /* CONSTRUCTOR */

    constructor(
        address owner_,
        IERC20 token_,
        address slashRecipient_,
        uint256 unbondingPeriod_,
        uint256 maxSlashBps_,
        uint256 minInferenceStake,
        uint256 minEvaluatorStake
    ) Ownable(owner_) {
        require(address(token_) != address(0) && slashRecipient_ != address(0), VaultZeroAddress());
        _checkBounds("unbondingPeriod", unbondingPeriod_, MIN_UNBONDING, MAX_UNBONDING);
        _checkBounds("maxSlashBps", maxSlashBps_, 1, MAX_SLASH_BPS_BOUND);
        _token = token_;
        _slashRecipient = slashRecipient_;
        _unbondingPeriod = unbondingPeriod_;
        _maxSlashBps = maxSlashBps_;
        _minStake[Role.Inference] = minInferenceStake;
        _minStake[Role.Evaluator] = minEvaluatorStake;
    }

    /* STAKING */

    /// @inheritdoc IStakeVault
    function stake(Role role, uint256 amount) external nonReentrant {
        _checkRole(role);
        require(amount > 0, VaultZeroAmount());
        // Credit what arrived, not what was asked: fee-on-transfer tokens cannot inflate stake.
        uint256 before = _token.balanceOf(address(this));
        _token.safeTransferFrom(msg.sender, address(this), amount);
        uint256 received = _token.balanceOf(address(this)) - before;
        require(received > 0, VaultZeroAmount());

        Stake storage s = _stakes[msg.sender][role];
        uint256 active = uint256(s.active) + received;
        require(active <= type(uint128).max && uint256(_totalActive) + received <= type(uint128).max, VaultStakeOverflow(active));
        require(active >= _minStake[role], VaultBelowMinimum(uint8(role), active, _minStake[role]));
        s.active = uint128(active);
        _totalActive += uint128(received);
        emit Staked(msg.sender, role, received, active);
    }

    /// @inheritdoc IStakeVault
    function requestUnstake(Role role, uint256 amount) external {
        _checkRole(role);
        require(amount > 0, VaultZeroAmount());
        Stake storage s = _stakes[msg.sender][role];
        uint256 active = s.active;
        require(amount <= active, VaultInsufficientStake(msg.sender, uint8(role), active, amount));
        uint256 remaining = active - amount;
        require(remaining == 0 || remaining >= _minStake[role], VaultBelowMinimum(uint8(role), remaining, _minStake[role]));

        s.active = uint128(remaining);
        s.queued += uint128(amount);
        uint256 unlock = block.timestamp + _unbondingPeriod;
        s.unlockTime = uint64(unlock);
        _totalActive -= uint128(amount);
        _totalQueued += uint128(amount);
        emit UnstakeRequested(msg.sender, role, amount, s.queued, unlock);
    }

    /// @inheritdoc IStakeVault
    function withdraw(Role role) external nonReentrant {
        _checkRole(role);
        Stake storage s = _stakes[msg.sender][role];
        uint256 queued = s.queued;
        require(queued > 0, VaultNothingQueued(msg.sender, uint8(role)));
        require(block.timestamp >= s.unlockTime, VaultStillUnbonding(msg.sender, uint8(role), s.unlockTime));

        s.queued = 0;
        _totalQueued -= uint128(queued);
        emit Withdrawn(msg.sender, role, queued);
        _token.safeTransfer(msg.sender, queued);
    }

    /* SLASHING */

    /// @inheritdoc IStakeVault
    function slash(address account, Role role, uint256 roundId, uint256 bps, uint8 reason)
        external
        nonReentrant
        returns (uint256 amount)
    {
        require(msg.sender == _settlement, VaultNotSettlement(msg.sender));
        _checkRole(role);
        require(bps <= _maxSlashBps, VaultSlashAboveCap(bps, _maxSlashBps));
        Stake storage s = _stakes[account][role];
        require(s.lastSlashedRound != roundId, VaultAlreadySlashed(account, uint8(role), roundId));

        uint256 active = s.active;
        uint256 queued = s.queued;
        uint256 total = active + queued;
        if (total == 0 || bps == 0) return 0;
        /// @dev Rounds up (in favour of the protocol): a positive stake never yields a zero slash, and the result
        /// never exceeds the stake because bps ≤ 10000.
        amount = (total * bps + _BPS - 1) / _BPS;

        // Active stake first, then the unbonding queue.
        uint256 fromActive = amount <= active ? amount : active;
        uint256 fromQueued = amount - fromActive;
        s.active = uint128(active - fromActive);
        s.queued = uint128(queued - fromQueued);
        s.lastSlashedRound = uint64(roundId);
        _totalActive -= uint128(fromActive);
        _totalQueued -= uint128(fromQueued);
        address recipient = _slashRecipient;
        emit Slashed(roundId, account, role, reason, amount, recipient);
        _token.safeTransfer(recipient, amount);
    }

    /* ADMIN */

    /// @notice Wires in the settlement contract, the only slasher. Callable once.
    /// Requirements: caller is the owner; not set before; non-zero address.
    /// Emits a {SettlementSet} event.
    function setSettlement(address settlement_) external onlyOwner {
        require(_settlement == address(0), VaultSettlementAlreadySet(_settlement));
        require(settlement_ != address(0), VaultZeroAddress());
        _checkUnbondingCoversRound(_unbondingPeriod, settlement_);
        _settlement = settlement_;
        emit SettlementSet(settlement_);
    }

    /// @notice Sets the minimum active stake for `role`.
    /// Emits a {MinStakeSet} event.
    function setMinStake(Role role, uint256 minimum) external onlyOwner {
        _checkRole(role);
        require(_minStake[role] != minimum, VaultParamUnchanged("minStake"));
        _minStake[role] = minimum;
        emit MinStakeSet(role, minimum);
    }

    /// @notice Sets the unbonding period, within hard bounds and longer than a round's reveal, settle and
    /// challenge phases together, so that queued stake stays slashable for any round it took part in.
    /// Emits an {UnbondingPeriodSet} event.
    function setUnbondingPeriod(uint256 period) external onlyOwner {
        _checkBounds("unbondingPeriod", period, MIN_UNBONDING, MAX_UNBONDING);
        require(period != _unbondingPeriod, VaultParamUnchanged("unbondingPeriod"));
        if (_settlement != address(0)) _checkUnbondingCoversRound(period, _settlement);
        _unbondingPeriod = period;
        emit UnbondingPeriodSet(period);
    }

    /// @notice Sets the per-round slash cap in basis points, within (0, MAX_SLASH_BPS_BOUND].
    /// Emits a {MaxSlashBpsSet} event.
    function setMaxSlashBps(uint256 bps) external onlyOwner {
        _checkBounds("maxSlashBps", bps, 1, MAX_SLASH_BPS_BOUND);
        require(bps != _maxSlashBps, VaultParamUnchanged("maxSlashBps"));
        _maxSlashBps = bps;
        emit MaxSlashBpsSet(bps);
    }

    /// @notice Sets where slashed stake goes.
    /// Emits a {SlashRecipientSet} event.
    function setSlashRecipient(address recipient) external onlyOwner {
        require(recipient != address(0), VaultZeroAddress());
        require(recipient != _slashRecipient, VaultParamUnchanged("slashRecipient"));
        _slashRecipient = recipient;
        emit SlashRecipientSet(recipient);
    }

    /* VIEWS */

    /// @inheritdoc IStakeVault
    function stakeOf(address account, Role role) external view returns (Stake memory) {
        return _stakes[account][role];
    }

    /// @inheritdoc IStakeVault
    function isEligible(address account, Role role) external view returns (bool) {
        uint256 active = _stakes[account][role].active;
        return active > 0 && active >= _minStake[role];
    }

    /// @inheritdoc IStakeVault
    function token() external view returns (address) {
        return address(_token);
    }

    /// @inheritdoc IStakeVault
    function settlement() external view returns (address) {
        return _settlement;
    }

    /// @inheritdoc IStakeVault
    function minStake(Role role) external view returns (uint256) {
        return _minStake[role];
    }

    /// @inheritdoc IStakeVault
    function unbondingPeriod() external view returns (uint256) {
        return _unbondingPeriod;
    }

    /// @inheritdoc IStakeVault
    function maxSlashBps() external view returns (uint256) {
        return _maxSlashBps;
    }

    /// @inheritdoc IStakeVault
    function slashRecipient() external view returns (address) {
        return _slashRecipient;
    }

    /// @inheritdoc IStakeVault
    function totalStaked() external view returns (uint256 active, uint256 queued) {
        return (_totalActive, _totalQueued);
    }

    /* PRIVATE */

    function _checkRole(Role role) private pure {
        require(role == Role.Inference || role == Role.Evaluator, VaultInvalidRole(uint8(role)));
    }

    function _checkBounds(string memory name, uint256 value, uint256 min, uint256 max) private pure {
        require(value >= min && value <= max, VaultParamOutOfBounds(name, value, min, max));
    }

    function _checkUnbondingCoversRound(uint256 period, address settlement_) private view {
        uint256 tail = IRoundTail(settlement_).roundTail();
        require(period > tail, VaultUnbondingTooShort(period, tail));
    }
}
