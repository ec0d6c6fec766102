// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IRewardDistributor} from "../interfaces/IRewardDistributor.sol";

/// @title SettlementStub
/// @notice Tests only: stands in for the settlement contract in front of a {RewardDistributor}, so the distributor's
/// funding windows, settlements, cancellations, claims and refunds can be tested (and measured) on their own.
contract SettlementStub {
    IRewardDistributor public immutable distributor;
    uint256 public roundCount;
    mapping(uint256 roundId => bool) private _open;
    mapping(uint256 roundId => uint256) private _cap;

    constructor(IRewardDistributor distributor_) {
        distributor = distributor_;
    }

    function setRoundCount(uint256 count) external {
        roundCount = count;
    }

    function setWindow(uint256 roundId, bool open, uint256 cap) external {
        _open[roundId] = open;
        _cap[roundId] = cap;
    }

    /// @notice What the distributor asks before it takes funding.
    function fundingWindow(uint256 roundId) external view returns (bool open, uint256 cap) {
        return (_open[roundId], _cap[roundId]);
    }

    function applySettlement(uint256 roundId, bytes32 root, uint256 total, uint256 inferencePaid, uint256 evaluatorPaid)
        external
    {
        distributor.applySettlement(roundId, root, total, inferencePaid, evaluatorPaid);
    }

    function cancelRound(uint256 roundId) external {
        distributor.cancelRound(roundId);
    }
}
