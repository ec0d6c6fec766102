// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title LyingTimelock
/// @notice Tests only: an owner contract that reports any minimum delay it likes and forwards calls at once. It shows
/// what a hostile owner can do by handing ownership to such a contract: nothing until the handover itself, which is a
/// public timelock operation that waits the full delay.
contract LyingTimelock {
    uint256 public reportedDelay;

    constructor(uint256 reportedDelay_) {
        reportedDelay = reportedDelay_;
    }

    /// @notice What {Governed} reads.
    function getMinDelay() external view returns (uint256) {
        return reportedDelay;
    }

    /// @notice Calls `target` with `data` at once, bubbling up a revert.
    function forward(address target, bytes calldata data) external returns (bytes memory ret) {
        bool ok;
        // solhint-disable-next-line avoid-low-level-calls
        (ok, ret) = target.call(data);
        if (!ok) {
            // solhint-disable-next-line no-inline-assembly
            assembly {
                revert(add(ret, 32), mload(ret))
            }
        }
    }
}
