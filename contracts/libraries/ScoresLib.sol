// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IPoQSettlement} from "../interfaces/IPoQSettlement.sol";

/// @title ScoresLib
/// @notice Validation of packed evaluator scores: one big-endian uint16 per assigned task, each in [0, 10000].
library ScoresLib {
    /// @notice Highest score: quality 10 scaled by 1000.
    uint256 internal constant MAX_SCORE = 10_000;

    /// @notice Checks the packing and range of `scores` and returns how many scores it holds.
    /// @dev Reads 32 bytes (16 scores) at a time; a calldata slice shorter than 32 bytes converts to bytes32 padded
    /// with zeros, and only its real lanes are checked.
    function validate(bytes calldata scores) internal pure returns (uint256 count) {
        uint256 len = scores.length;
        require(len != 0 && len % 2 == 0, IPoQSettlement.MalformedScores(len));
        count = len / 2;
        for (uint256 offset = 0; offset < len; offset += 32) {
            uint256 word = uint256(bytes32(scores[offset:]));
            uint256 lanes = len - offset >= 32 ? 16 : (len - offset) / 2;
            for (uint256 j = 0; j < lanes; ++j) {
                uint256 value = uint16(word >> (240 - 16 * j));
                require(value <= MAX_SCORE, IPoQSettlement.ScoreOutOfRange(offset / 2 + j, value));
            }
        }
    }
}
