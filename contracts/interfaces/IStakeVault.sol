// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title IStakeVault
/// @notice Holds the stakes of inference and evaluator nodes. Stake leaves through an unbonding queue that stays
/// slashable until it is withdrawn; only the settlement contract may slash, at most once per account and round,
/// and never more than the per-round cap.
interface IStakeVault {
    /* TYPES */

    /// @notice The role a stake is held for. An address may stake for both roles; each role has its own balance.
    enum Role {
        None,
        Inference,
        Evaluator
    }

    /// @notice One account's stake for one role.
    /// @param active Stake that counts for eligibility and stake-weighted assignment.
    /// @param queued Stake waiting for its unbonding period to end; still slashable.
    /// @param unlockTime Timestamp from which `queued` can be withdrawn.
    /// @param lastSlashedRound The last round in which this stake was slashed (0: never).
    struct Stake {
        uint128 active;
        uint128 queued;
        uint64 unlockTime;
        uint64 lastSlashedRound;
    }

    /* ERRORS */

    /// @notice A zero amount was given where a positive one is required.
    error VaultZeroAmount();
    /// @notice The role is not Inference or Evaluator.
    error VaultInvalidRole(uint8 role);
    /// @notice The stake that would remain active is positive but below the role's minimum.
    error VaultBelowMinimum(uint8 role, uint256 remaining, uint256 minimum);
    /// @notice More stake was requested for unbonding than is active.
    error VaultInsufficientStake(address account, uint8 role, uint256 active, uint256 requested);
    /// @notice Nothing is queued for withdrawal.
    error VaultNothingQueued(address account, uint8 role);
    /// @notice The queued stake is still unbonding.
    error VaultStillUnbonding(address account, uint8 role, uint256 unlockTime);
    /// @notice The caller is not the settlement contract.
    error VaultNotSettlement(address caller);
    /// @notice The settlement contract was already set; it is set exactly once.
    error VaultSettlementAlreadySet(address settlement);
    /// @notice The account was already slashed for this role in this round.
    error VaultAlreadySlashed(address account, uint8 role, uint256 roundId);
    /// @notice A slash in basis points above the per-round cap.
    error VaultSlashAboveCap(uint256 bps, uint256 cap);
    /// @notice A parameter outside its hard bounds.
    error VaultParamOutOfBounds(string name, uint256 value, uint256 min, uint256 max);
    /// @notice A setter was called with the value already in force.
    error VaultParamUnchanged(string name);
    /// @notice The unbonding period must exceed the settlement contract's longest round tail.
    error VaultUnbondingTooShort(uint256 unbondingPeriod, uint256 roundTail);
    /// @notice The zero address was given.
    error VaultZeroAddress();
    /// @notice The stake would exceed the 128-bit accounting range.
    error VaultStakeOverflow(uint256 total);

    /* EVENTS */

    /// @notice Emitted when `account` adds `amount` to its active stake for `role`.
    event Staked(address indexed account, IStakeVault.Role indexed role, uint256 amount, uint256 active);
    /// @notice Emitted when `account` moves `amount` from active stake into the unbonding queue.
    event UnstakeRequested(
        address indexed account, IStakeVault.Role indexed role, uint256 amount, uint256 queued, uint256 unlockTime
    );
    /// @notice Emitted when `account` withdraws its unbonded stake.
    event Withdrawn(address indexed account, IStakeVault.Role indexed role, uint256 amount);
    /// @notice Emitted when `account` is slashed in `roundId`; `reason` is the settlement's reason code.
    event Slashed(
        uint256 indexed roundId, address indexed account, IStakeVault.Role role, uint8 reason, uint256 amount, address recipient
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
    /// Requirements: `amount` > 0; `role` is Inference or Evaluator; the resulting active stake meets the minimum.
    /// Emits a {Staked} event.
    function stake(Role role, uint256 amount) external;

    /// @notice Moves `amount` of the caller's active stake into the unbonding queue. The whole queue unlocks
    /// `unbondingPeriod` after this call. Queued stake no longer counts as active but can still be slashed.
    /// Requirements: `amount` > 0 and ≤ active; the active stake left is 0 or at least the minimum.
    /// Emits an {UnstakeRequested} event.
    function requestUnstake(Role role, uint256 amount) external;

    /// @notice Pays the caller its whole queued stake for `role` once it has unbonded.
    /// Requirements: something is queued and `block.timestamp` ≥ unlock time.
    /// Emits a {Withdrawn} event.
    function withdraw(Role role) external;

    /* SLASHING */

    /// @notice Slashes `bps` basis points of `account`'s total stake (active + queued) for `role` in `roundId`,
    /// taken from active stake first. Rounds up, so a positive stake never yields a zero slash. At most once per
    /// account, role and round. Returns the amount slashed (0 when the account holds no stake).
    /// Requirements: caller is the settlement contract; `bps` ≤ the per-round cap.
    /// Emits a {Slashed} event when the amount is positive.
    function slash(address account, Role role, uint256 roundId, uint256 bps, uint8 reason) external returns (uint256);

    /* VIEWS */

    /// @notice The stake record of `account` for `role`.
    function stakeOf(address account, Role role) external view returns (Stake memory);

    /// @notice True when `account`'s active stake for `role` is positive and at least the role's minimum.
    function isEligible(address account, Role role) external view returns (bool);

    /// @notice The staking token.
    function token() external view returns (address);

    /// @notice The settlement contract, the only slasher.
    function settlement() external view returns (address);

    /// @notice Minimum active stake for `role`.
    function minStake(Role role) external view returns (uint256);

    /// @notice Seconds between an unstake request and withdrawal.
    function unbondingPeriod() external view returns (uint256);

    /// @notice Cap on a single round's slash, in basis points of the stake.
    function maxSlashBps() external view returns (uint256);

    /// @notice Where slashed stake goes.
    function slashRecipient() external view returns (address);

    /// @notice Sum of all active and all queued stake (equals the vault's token balance).
    function totalStaked() external view returns (uint256 active, uint256 queued);
}
