// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Ownable, Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";

/// @title Governed
/// @notice Owner functions that only a timelock with a long enough delay may call. The owner must be a
/// {TimelockController} (an account without code cannot pass the check), and after each governance call its minimum
/// delay must still cover what the inheriting contract requires (the unbonding period plus the longest a round can
/// last), so that every staker can see a change queued and leave before it applies.
abstract contract Governed is Ownable2Step {
    /// @notice The owner's timelock delay is shorter than the contracts require.
    error GovernanceDelayTooShort(uint256 delay, uint256 required);

    /// @param timelock The owner: a {TimelockController}.
    constructor(address timelock) Ownable(timelock) {}

    /// @dev The body runs first, so a change that would raise the requirement above the delay reverts.
    modifier onlyGovernance() {
        _checkOwner();
        _;
        _checkGovernanceDelay();
    }

    /// @notice The delay the owner's timelock must have at least (seconds).
    /// @return Seconds.
    function requiredGovernanceDelay() public view returns (uint256) {
        return _requiredGovernanceDelay();
    }

    /// @dev What the inheriting contract requires of the owner's delay.
    function _requiredGovernanceDelay() internal view virtual returns (uint256);

    function _checkGovernanceDelay() private view {
        uint256 delay = TimelockController(payable(owner())).getMinDelay();
        uint256 required = _requiredGovernanceDelay();
        require(delay >= required, GovernanceDelayTooShort(delay, required));
    }
}
