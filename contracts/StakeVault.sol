// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {IStakeVault} from "./interfaces/IStakeVault.sol";
import {IWithdrawalGate} from "./interfaces/IWithdrawalGate.sol";
import {Governed} from "./governance/Governed.sol";
import {BPS} from "./libraries/BasisPoints.sol";

/// @title StakeVault
/// @notice Stakes by role with per-role minimums, an unbonding queue of requests that stays slashable, withdrawals
/// held while the settlement contract still needs the stake, and capped slashing by the settlement contract only.
contract StakeVault is IStakeVault, Governed, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /* CONSTANTS */

    /// @notice Hard upper bound on the per-round slash cap (50%).
    uint256 public constant MAX_SLASH_BPS_BOUND = 5_000;
    /// @notice Hard bounds on the unbonding period.
    uint256 public constant MIN_UNBONDING = 60;
    uint256 public constant MAX_UNBONDING = 90 days;
    /// @notice Most unstake requests queued per account and role: bounds the loops over a queue.
    uint256 public constant MAX_QUEUE = 16;
    /// @dev Reason code of a seized relayer bond (1 and 2 are the settlement's slash reasons).
    uint8 private constant _REASON_BOND = 3;

    /* STORAGE */

    IERC20 private immutable _token;
    address private immutable _deployer;
    address private _settlement;
    address private _slashRecipient;
    uint256 private _unbondingPeriod;
    uint256 private _maxSlashBps;
    mapping(Role role => uint256) private _minStake;
    mapping(Role role => Stake) private _totals;
    mapping(address account => mapping(Role role => Stake)) private _stakes;
    mapping(address account => mapping(Role role => Queue)) private _queues;

    /// @dev An account's requests for one role: `items[head..]` are pending, oldest first.
    struct Queue {
        uint256 head;
        Unbonding[] items;
    }

    /* CONSTRUCTOR */

    /// @param timelock The owner, a {TimelockController}.
    /// @param token_ The staking token.
    /// @param slashRecipient_ Where slashed stake goes.
    /// @param unbondingPeriod_ Seconds between an unstake request and its withdrawal.
    /// @param maxSlashBps_ Per-round slash cap in basis points.
    /// @param minimums Minimum active stake for Inference, Evaluator and Relayer (a relayer's stake is its bond).
    constructor(
        address timelock,
        IERC20 token_,
        address slashRecipient_,
        uint256 unbondingPeriod_,
        uint256 maxSlashBps_,
        uint256[3] memory minimums
    ) Governed(timelock) {
        require(address(token_) != address(0) && slashRecipient_ != address(0), StakeVaultZeroAddress());
        _checkBounds("unbondingPeriod", unbondingPeriod_, MIN_UNBONDING, MAX_UNBONDING);
        _checkBounds("maxSlashBps", maxSlashBps_, 1, MAX_SLASH_BPS_BOUND);
        _token = token_;
        _deployer = msg.sender;
        _slashRecipient = slashRecipient_;
        _unbondingPeriod = unbondingPeriod_;
        _maxSlashBps = maxSlashBps_;
        _minStake[Role.Inference] = minimums[0];
        _minStake[Role.Evaluator] = minimums[1];
        _minStake[Role.Relayer] = minimums[2];
    }

    /* STAKING */

    /// @inheritdoc IStakeVault
    function stake(Role role, uint256 amount) external nonReentrant {
        _checkRole(role);
        require(amount > 0, StakeVaultZeroAmount());
        // Credit what arrived, not what was asked: fee-on-transfer tokens cannot inflate stake.
        uint256 before = _token.balanceOf(address(this));
        _token.safeTransferFrom(msg.sender, address(this), amount);
        uint256 received = _token.balanceOf(address(this)) - before;
        require(received > 0, StakeVaultZeroAmount());

        Stake storage s = _stakes[msg.sender][role];
        uint256 active = uint256(s.active) + received;
        uint256 roleActive = uint256(_totals[role].active) + received;
        require(active <= type(uint128).max && roleActive <= type(uint128).max, StakeVaultStakeOverflow(active));
        require(active >= _minStake[role], StakeVaultBelowMinimum(uint8(role), active, _minStake[role]));
        s.active = uint128(active);
        _totals[role].active = uint128(roleActive);
        emit Staked(msg.sender, role, received, active);
    }

    /// @inheritdoc IStakeVault
    function requestUnstake(Role role, uint256 amount) external {
        _checkRole(role);
        require(amount > 0, StakeVaultZeroAmount());
        Stake storage s = _stakes[msg.sender][role];
        uint256 active = s.active;
        require(amount <= active, StakeVaultInsufficientStake(msg.sender, uint8(role), active, amount));
        uint256 remaining = active - amount;
        uint256 minimum = _minStake[role];
        require(remaining == 0 || remaining >= minimum, StakeVaultBelowMinimum(uint8(role), remaining, minimum));
        Queue storage q = _queues[msg.sender][role];
        require(q.items.length - q.head < MAX_QUEUE, StakeVaultQueueFull(msg.sender, uint8(role)));

        uint256 unlock = block.timestamp + _unbondingPeriod;
        s.active = uint128(remaining);
        s.queued += uint128(amount);
        _totals[role].active -= uint128(amount);
        _totals[role].queued += uint128(amount);
        q.items.push(Unbonding({amount: uint128(amount), unlockTime: uint64(unlock)}));
        emit UnstakeRequested(msg.sender, role, amount, s.queued, unlock);
    }

    /// @inheritdoc IStakeVault
    function withdraw(Role role) external nonReentrant returns (uint256 amount) {
        _checkRole(role);
        if (role != Role.Inference) {
            require(!IWithdrawalGate(_settlement).withdrawalLocked(msg.sender), StakeVaultWithdrawalLocked(msg.sender));
        }
        Queue storage q = _queues[msg.sender][role];
        uint256 head = q.head;
        uint256 end = q.items.length;
        // Requests are paid oldest first; a request made after a governance shortening of the unbonding period may
        // mature before an older one, and then waits for it (never longer than the older request's own unlock).
        while (head < end && q.items[head].unlockTime <= block.timestamp) {
            amount += q.items[head].amount;
            delete q.items[head];
            ++head;
        }
        require(head != q.head, StakeVaultNothingUnlocked(msg.sender, uint8(role)));
        q.head = head;

        _stakes[msg.sender][role].queued -= uint128(amount);
        _totals[role].queued -= uint128(amount);
        emit Withdrawn(msg.sender, role, amount);
        if (amount > 0) _token.safeTransfer(msg.sender, amount);
    }

    /* SLASHING */

    /// @inheritdoc IStakeVault
    function slash(address account, Role role, uint256 roundId, uint256 bps, uint8 reason)
        external
        nonReentrant
        returns (uint256 amount)
    {
        require(msg.sender == _settlement, StakeVaultNotSettlement(msg.sender));
        _checkRole(role);
        require(bps <= _maxSlashBps, StakeVaultSlashAboveCap(bps, _maxSlashBps));
        Stake storage s = _stakes[account][role];
        uint256 total = uint256(s.active) + s.queued;
        if (total == 0 || bps == 0) return 0;
        // Rounds up (in favour of the protocol): a positive stake never yields a zero slash, and the result never
        // exceeds the stake because bps ≤ 10000.
        amount = (total * bps + BPS - 1) / BPS;
        _take(account, role, amount);
        address recipient = _slashRecipient;
        emit Slashed(roundId, account, role, reason, amount, recipient);
        _token.safeTransfer(recipient, amount);
    }

    /// @inheritdoc IStakeVault
    function seizeBond(address relayer, uint256 roundId, address challenger, uint256 rewardBps)
        external
        nonReentrant
        returns (uint256 seized, uint256 reward)
    {
        require(msg.sender == _settlement, StakeVaultNotSettlement(msg.sender));
        _checkBounds("rewardBps", rewardBps, 0, BPS);
        Stake storage s = _stakes[relayer][Role.Relayer];
        seized = uint256(s.active) + s.queued;
        if (seized == 0) return (0, 0);
        _take(relayer, Role.Relayer, seized);
        // Rounds down: the challenger never receives more than its share.
        reward = seized * rewardBps / BPS;
        address recipient = _slashRecipient;
        emit Slashed(roundId, relayer, Role.Relayer, _REASON_BOND, seized, recipient);
        if (reward > 0) _token.safeTransfer(challenger, reward);
        if (seized > reward) _token.safeTransfer(recipient, seized - reward);
    }

    /* GOVERNANCE */

    /// @inheritdoc IStakeVault
    function setSettlement(address settlement_) external {
        require(msg.sender == _deployer, StakeVaultNotDeployer(msg.sender));
        require(_settlement == address(0), StakeVaultSettlementAlreadySet(_settlement));
        require(settlement_ != address(0), StakeVaultZeroAddress());
        _settlement = settlement_;
        emit SettlementSet(settlement_);
    }

    /// @inheritdoc IStakeVault
    function setMinStake(Role role, uint256 minimum) external onlyGovernance {
        _checkRole(role);
        require(_minStake[role] != minimum, StakeVaultParamUnchanged("minStake"));
        _minStake[role] = minimum;
        emit MinStakeSet(role, minimum);
    }

    /// @inheritdoc IStakeVault
    function setUnbondingPeriod(uint256 period) external onlyGovernance {
        _checkBounds("unbondingPeriod", period, MIN_UNBONDING, MAX_UNBONDING);
        require(period != _unbondingPeriod, StakeVaultParamUnchanged("unbondingPeriod"));
        _unbondingPeriod = period;
        emit UnbondingPeriodSet(period);
    }

    /// @inheritdoc IStakeVault
    function setMaxSlashBps(uint256 bps) external onlyGovernance {
        _checkBounds("maxSlashBps", bps, 1, MAX_SLASH_BPS_BOUND);
        require(bps != _maxSlashBps, StakeVaultParamUnchanged("maxSlashBps"));
        _maxSlashBps = bps;
        emit MaxSlashBpsSet(bps);
    }

    /// @inheritdoc IStakeVault
    function setSlashRecipient(address recipient) external onlyGovernance {
        require(recipient != address(0), StakeVaultZeroAddress());
        require(recipient != _slashRecipient, StakeVaultParamUnchanged("slashRecipient"));
        _slashRecipient = recipient;
        emit SlashRecipientSet(recipient);
    }

    /* VIEWS */

    /// @inheritdoc IStakeVault
    function stakeOf(address account, Role role) external view returns (Stake memory) {
        return _stakes[account][role];
    }

    /// @inheritdoc IStakeVault
    function unbondingQueue(address account, Role role) external view returns (Unbonding[] memory pending) {
        Queue storage q = _queues[account][role];
        pending = new Unbonding[](q.items.length - q.head);
        for (uint256 i = 0; i < pending.length; ++i) {
            pending[i] = q.items[q.head + i];
        }
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
        for (uint8 r = uint8(Role.Inference); r <= uint8(Role.Relayer); ++r) {
            active += _totals[Role(r)].active;
            queued += _totals[Role(r)].queued;
        }
    }

    /// @inheritdoc IStakeVault
    function roleTotals(Role role) external view returns (uint256 active, uint256 queued) {
        return (_totals[role].active, _totals[role].queued);
    }

    /* PRIVATE */

    /// @dev Governance's delay must cover the unbonding period plus the longest round, so a staker who sees a change
    /// queued can always leave before it applies. Before the settlement is wired, unbonding alone.
    function _requiredGovernanceDelay() internal view override returns (uint256) {
        address settlement_ = _settlement;
        uint256 lifetime = settlement_ == address(0) ? 0 : IWithdrawalGate(settlement_).maxRoundLifetime();
        return _unbondingPeriod + lifetime;
    }

    /// @dev Takes `amount` (≤ active + queued) from active stake first, then from the newest queued requests back.
    function _take(address account, Role role, uint256 amount) private {
        Stake storage s = _stakes[account][role];
        uint256 active = s.active;
        uint256 fromActive = amount <= active ? amount : active;
        uint256 fromQueued = amount - fromActive;
        s.active = uint128(active - fromActive);
        s.queued -= uint128(fromQueued);
        _totals[role].active -= uint128(fromActive);
        _totals[role].queued -= uint128(fromQueued);
        if (fromQueued == 0) return;
        Queue storage q = _queues[account][role];
        for (uint256 i = q.items.length; i > q.head && fromQueued > 0; --i) {
            Unbonding storage u = q.items[i - 1];
            uint256 part = u.amount <= fromQueued ? u.amount : fromQueued;
            u.amount -= uint128(part);
            fromQueued -= part;
        }
    }

    function _checkRole(Role role) private pure {
        require(role != Role.None, StakeVaultInvalidRole(uint8(role)));
    }

    function _checkBounds(string memory name, uint256 value, uint256 min, uint256 max) private pure {
        require(value >= min && value <= max, StakeVaultParamOutOfBounds(name, value, min, max));
    }
}
