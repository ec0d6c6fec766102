// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";

/// @title PoQTimelock
/// @notice OpenZeppelin's {TimelockController}, unchanged: it owns the stake vault and the settlement contract, so
/// every governance call is scheduled in public and executes only after `getMinDelay()` seconds.
contract PoQTimelock is TimelockController {
    /// @param minDelay Seconds between scheduling and execution.
    /// @param proposers Who may schedule (and cancel) operations.
    /// @param executors Who may execute ready operations (the zero address: anyone).
    /// @param admin Optional admin that may grant roles (the zero address: the timelock administers itself).
    constructor(uint256 minDelay, address[] memory proposers, address[] memory executors, address admin)
        TimelockController(minDelay, proposers, executors, admin)
    {}
}
