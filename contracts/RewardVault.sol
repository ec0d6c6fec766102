// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

/// @title RewardVault
/// @notice Holds the reward funds that no claim may touch: the pools of unsettled rounds and what settled rounds left
/// unallocated until it is swept. Only the {RewardDistributor} that created it can move them, and only to itself (an
/// allocation) or to a sweep target. Claims are paid from the distributor's own balance, which therefore holds only
/// allocated, unclaimed rewards: however wrong a rewards tree, claims cannot reach these funds.
contract RewardVault {
    using SafeERC20 for IERC20;

    /// @notice The caller is not the distributor that created this vault.
    error RewardVaultNotDistributor(address caller);

    IERC20 private immutable _token;
    address private immutable _distributor;

    constructor(IERC20 token_) {
        _token = token_;
        _distributor = msg.sender;
    }

    /// @notice Sends `amount` to `to`. Only the distributor.
    function release(address to, uint256 amount) external {
        require(msg.sender == _distributor, RewardVaultNotDistributor(msg.sender));
        _token.safeTransfer(to, amount);
    }

    /// @notice The distributor this vault serves.
    function distributor() external view returns (address) {
        return _distributor;
    }

    /// @notice The reward token.
    function token() external view returns (address) {
        return address(_token);
    }
}
