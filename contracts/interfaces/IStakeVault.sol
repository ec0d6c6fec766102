// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title IStakeVault
/// @notice Holds the stakes of inference nodes, evaluators and relayers (whose stake is their bond). Stake leaves
/// through an unbonding queue of requests, each with its own unlock time, that stays slashable until withdrawn; an
/// evaluator or relayer withdraws only once the settlement contract says every round it committed in is closed and
/// every commitment it made was revealed or slashed. Only the settlement contract slashes: evaluators by a capped
/// share of their stake, relayers by their whole bond when a challenge against a settlement they revealed holds.
interface IStakeVault {
    /* TYPES */

    /// @notice The role a stake is held for. An address may stake for several roles; each has its own balance.
    enum Role {
        None,
        Inference,
        Evaluator,
        Relayer
    }

    /// @notice One account's stake for one role.
    /// @param active Stake that counts for eligibility, stake-weighted assignment and bonds.
    /// @param queued Stake in the unbonding queue; still slashable.
    struct Stake {
        uint128 active;
        uint128 queued;
    }

    /// @notice One unstake request.
    /// @param amount Tokens still queued under this request (slashes may have reduced it).
    /// @param unlockTime Timestamp from which the request can be withdrawn.
    struct Unbonding {
        uint128 amount;
        uint64 unlockTime;
    }

    /* ERRORS */

    /// @notice A zero amount was given where a positive one is required.
    error StakeVaultZeroAmount();
    /// @notice The role is not Inference, Evaluator or Relayer.
    error StakeVaultInvalidRole(uint8 role);
    /// @notice The stake that would remain active is positive but below the role's minimum.
    error StakeVaultBelowMinimum(uint8 role, uint256 remaining, uint256 minimum);
    /// @notice More stake was requested for unbonding than is active.
    error StakeVaultInsufficientStake(address account, uint8 role, uint256 active, uint256 requested);
    /// @notice The unbonding queue holds {MAX_QUEUE} requests already.
    error StakeVaultQueueFull(address account, uint8 role);
    /// @notice No queued request has unbonded yet.
    error StakeVaultNothingUnlocked(address account, uint8 role);
    /// @notice The settlement contract holds the account's stake: a round it committed in is open, or a commitment
    /// of its was neither revealed nor slashed.
    error StakeVaultWithdrawalLocked(address account);
    /// @notice The caller is not the settlement contract.
    error StakeVaultNotSettlement(address caller);
    /// @notice The caller may not wire the contracts (only the deployer, once).
    error StakeVaultNotDeployer(address caller);
    /// @notice The settlement contract was already set; it is set exactly once.
    error StakeVaultSettlementAlreadySet(address settlement);
    /// @notice A slash in basis points above the per-round cap.
    error StakeVaultSlashAboveCap(uint256 bps, uint256 cap);
    /// @notice A parameter outside its hard bounds.
    error StakeVaultParamOutOfBounds(string name, uint256 value, uint256 min, uint256 max);
    /// @notice A setter was called with the value already in force.
    error StakeVaultParamUnchanged(string name);
    /// @notice The zero address was given.
    error StakeVaultZeroAddress();
    /// @notice The stake would exceed the 128-bit accounting range.
    error StakeVaultStakeOverflow(uint256 total);

    /* EVENTS */

    /// @notice Emitted when `account` adds `amount` to its active stake for `role`.
    event Staked(address indexed account, IStakeVault.Role indexed role, uint256 amount, uint256 active);
    /// @notice Emitted when `account` moves `amount` from active stake into the unbonding queue.
    event UnstakeRequested(
        address indexed account, IStakeVault.Role indexed role, uint256 amount, uint256 queued, uint256 unlockTime
    );
    /// @notice Emitted when `account` withdraws unbonded stake.
    event Withdrawn(address indexed account, IStakeVault.Role indexed role, uint256 amount);
    /// @notice Emitted when `account` is slashed in `roundId`; `reason` is the settlement's reason code (1 NonReveal,
    /// 2 LowTrust, 3 a relayer bond seized after a challenge held).
    event Slashed(
        uint256 indexed roundId,
        address indexed account,
        IStakeVault.Role role,
        uint8 reason,
        uint256 amount,
        address recipient
    );
    /// @notice Emitted when the settlement contract is wired in (once).
    event SettlementSet(address indexed settlement);
    /// @notice Emitted when a role's minimum stake changes.
    event MinStakeSet(IStakeVault.Role indexed role, uint256 minimum);
    /// @notice Emitted when the unbonding period changes.
    event UnbondingPeriodSet(uint256 period);
    /// @notice Emitted when the per-round slash cap changes.
    event MaxSlashBpsSet(uint256 bps);
    /// @notice Emitted when the recipient of slashed stake changes.
    event SlashRecipientSet(address indexed recipient);

    /* STAKING */

    /// @notice Adds `amount` tokens to the caller's active stake for `role`. The amount credited is what the vault
    /// actually received, so fee-on-transfer tokens cannot inflate stake.
    /// Requirements: `amount` > 0; a valid role; the resulting active stake meets the role's minimum.
    /// Emits a {Staked} event.
    /// @param role The role.
    /// @param amount Tokens to move from the caller (after `approve`).
    function stake(Role role, uint256 amount) external;

    /// @notice Queues `amount` of the caller's active stake for withdrawal `unbondingPeriod` from now. Each request
    /// keeps its own unlock time: a new request never delays an earlier one. Queued stake no longer counts as active
    /// but can still be slashed.
    /// Requirements: `amount` > 0 and ≤ active; the active stake left is 0 or at least the minimum; fewer than
    /// {MAX_QUEUE} requests queued.
    /// Emits an {UnstakeRequested} event.
    /// @param role The role.
    /// @param amount Tokens to queue.
    function requestUnstake(Role role, uint256 amount) external;

    /// @notice Pays the caller every queued request for `role` that has unbonded.
    /// Requirements: at least one request unlocked; for Evaluator and Relayer stake, the settlement contract does not
    /// hold it (see {IWithdrawalGate.withdrawalLocked}).
    /// Emits a {Withdrawn} event.
    /// @param role The role.
    /// @return amount Tokens paid.
    function withdraw(Role role) external returns (uint256 amount);

    /* SLASHING */

    /// @notice Slashes `bps` basis points of `account`'s total stake (active + queued) for `role` in `roundId`, from
    /// active stake first, then from the newest queued request back. Rounds up, so a positive stake never yields a
    /// zero slash. The settlement contract calls it at most once per account and round. Returns the amount slashed
    /// (0 when the account holds no stake).
    /// Requirements: caller is the settlement contract; `bps` ≤ the per-round cap.
    /// Emits a {Slashed} event when the amount is positive.
    /// @param account The slashed staker.
    /// @param role Its role.
    /// @param roundId The round the slash is for.
    /// @param bps Basis points of its stake.
    /// @param reason The settlement's reason code.
    /// @return amount Tokens slashed.
    function slash(address account, Role role, uint256 roundId, uint256 bps, uint8 reason)
        external
        returns (uint256 amount);

    /// @notice Seizes `relayer`'s whole relayer bond (active and queued) after a challenge held against a settlement
    /// it revealed: `rewardBps` of it goes to `challenger`, the rest to the slash recipient.
    /// Requirements: caller is the settlement contract; `rewardBps` ≤ 10000.
    /// Emits a {Slashed} event (reason 3) when the bond is positive.
    /// @param relayer The relayer.
    /// @param roundId The round of the rejected settlement.
    /// @param challenger Who receives the reward.
    /// @param rewardBps The challenger's share in basis points.
    /// @return seized Tokens seized.
    /// @return reward Tokens paid to the challenger.
    function seizeBond(address relayer, uint256 roundId, address challenger, uint256 rewardBps)
        external
        returns (uint256 seized, uint256 reward);

    /* GOVERNANCE (owner: a TimelockController whose delay covers unbonding plus the longest round) */

    /// @notice Wires in the settlement contract, the only slasher and the withdrawal gate. Callable once, by the
    /// deployer.
    /// Emits a {SettlementSet} event.
    /// @param settlement The settlement contract.
    function setSettlement(address settlement) external;

    /// @notice Sets the minimum active stake for `role`.
    /// Emits a {MinStakeSet} event.
    /// @param role The role.
    /// @param minimum The minimum.
    function setMinStake(Role role, uint256 minimum) external;

    /// @notice Sets the unbonding period, within hard bounds; the timelock's delay must still cover it plus the
    /// longest round.
    /// Emits an {UnbondingPeriodSet} event.
    /// @param period Seconds.
    function setUnbondingPeriod(uint256 period) external;

    /// @notice Sets the per-round slash cap in basis points, within (0, MAX_SLASH_BPS_BOUND].
    /// Emits a {MaxSlashBpsSet} event.
    /// @param bps The cap.
    function setMaxSlashBps(uint256 bps) external;

    /// @notice Sets where slashed stake and seized bonds (beyond challenger rewards) go.
    /// Emits a {SlashRecipientSet} event.
    /// @param recipient The recipient.
    function setSlashRecipient(address recipient) external;

    /* VIEWS */

    /// @notice The stake record of `account` for `role`.
    /// @param account The staker.
    /// @param role The role.
    /// @return The record.
    function stakeOf(address account, Role role) external view returns (Stake memory);

    /// @notice The queued unstake requests of `account` for `role`, oldest first.
    /// @param account The staker.
    /// @param role The role.
    /// @return The requests.
    function unbondingQueue(address account, Role role) external view returns (Unbonding[] memory);

    /// @notice True when `account`'s active stake for `role` is positive and at least the role's minimum.
    /// @param account The staker.
    /// @param role The role.
    /// @return Eligibility.
    function isEligible(address account, Role role) external view returns (bool);

    /// @notice The staking token (also the reward and bond token).
    /// @return Its address.
    function token() external view returns (address);

    /// @notice The settlement contract.
    /// @return Its address.
    function settlement() external view returns (address);

    /// @notice Minimum active stake for `role`.
    /// @param role The role.
    /// @return The minimum.
    function minStake(Role role) external view returns (uint256);

    /// @notice Seconds between an unstake request and its withdrawal.
    /// @return Seconds.
    function unbondingPeriod() external view returns (uint256);

    /// @notice Cap on a single round's slash of one evaluator, in basis points of its stake.
    /// @return The cap.
    function maxSlashBps() external view returns (uint256);

    /// @notice Where slashed stake goes.
    /// @return The recipient.
    function slashRecipient() external view returns (address);

    /// @notice Sums of all active and all queued stake (equals the vault's token balance).
    /// @return active Active stake.
    /// @return queued Queued stake.
    function totalStaked() external view returns (uint256 active, uint256 queued);

    /// @notice Sums of active and queued stake held for `role`.
    /// @param role The role.
    /// @return active Active stake.
    /// @return queued Queued stake.
    function roleTotals(Role role) external view returns (uint256 active, uint256 queued);
}
