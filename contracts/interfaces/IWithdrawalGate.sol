// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title IWithdrawalGate
/// @notice What the stake vault asks the settlement contract before it lets stake leave.
interface IWithdrawalGate {
    /// @notice Whether `account` may not withdraw stake yet: it has a commitment it neither revealed nor was slashed
    /// for, or it committed scores or a settlement in a round that is not closed yet.
    /// @param account The staker.
    /// @return locked True while withdrawals must wait.
    function withdrawalLocked(address account) external view returns (bool locked);

    /// @notice The longest a round can last under the current parameters (seconds).
    /// @return Seconds.
    function maxRoundLifetime() external view returns (uint256);
}
