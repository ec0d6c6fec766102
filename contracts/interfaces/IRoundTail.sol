// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title IRoundTail
/// @notice What the stake vault needs to know of the settlement contract to keep unbonding longer than a round.
interface IRoundTail {
    /// @notice Seconds from the start of a round's commit phase to the end of its first challenge window, at the current
    /// parameters (commit + reveal + settle + challenge durations). Unbonding must be longer.
    function roundTail() external view returns (uint256);
}
