// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IPoQSettlement} from "../interfaces/IPoQSettlement.sol";

/// @title ScoresLib
/// @notice Validation of packed evaluator scores: one big-endian uint16 per assigned task, each in [0, 10000].
library ScoresLib {
    /// @notice Highest score: quality 10 scaled by 1000.
    uint256 internal constant MAX_SCORE = 10_000;

    /// @dev The 16-bit lanes 0, 2, 4, ... of a word, each in the low half of a 32-bit slot.
    uint256 private constant _EVEN_LANES = 0x0000FFFF0000FFFF0000FFFF0000FFFF0000FFFF0000FFFF0000FFFF0000FFFF;
    /// @dev 65535 - MAX_SCORE in every 32-bit slot: a lane value plus this reaches bit 16 exactly when it is above
    /// MAX_SCORE, and the sum (at most 65535 + 55535 < 2^17) never carries into the next slot.
    uint256 private constant _BIAS = 0x0000D8EF0000D8EF0000D8EF0000D8EF0000D8EF0000D8EF0000D8EF0000D8EF;
    /// @dev Bit 16 of every 32-bit slot.
    uint256 private constant _CARRY = 0x0001000000010000000100000001000000010000000100000001000000010000;

    /// @notice Checks the packing and range of `scores` and returns how many scores it holds.
    /// @dev Checks 32 bytes (16 scores) at a time without a loop over lanes: the word is split into its even and odd
    /// lanes, each lane biased so that a value above MAX_SCORE sets a carry bit (see the constants). A calldata slice
    /// shorter than 32 bytes converts to bytes32 padded with zeros, and zero lanes always pass. Only when a word fails
    /// is it scanned lane by lane, to name the first bad score in the error. A reveal of 100 scores spends about
    /// 4k gas here instead of about 45k for a checked per-lane loop.
    function validate(bytes calldata scores) internal pure returns (uint256 count) {
        uint256 len = scores.length;
        require(len != 0 && len % 2 == 0, IPoQSettlement.MalformedScores(len));
        count = len / 2;
        for (uint256 offset = 0; offset < len; offset += 32) {
            uint256 word = uint256(bytes32(scores[offset:]));
            uint256 carries = ((word & _EVEN_LANES) + _BIAS) | (((word >> 16) & _EVEN_LANES) + _BIAS);
            if (carries & _CARRY != 0) _revertAtFirstBadLane(word, offset / 2);
        }
    }

    /// @dev Reverts with {IPoQSettlement.ScoreOutOfRange} for the first lane of `word` above MAX_SCORE; `first` is the
    /// index of the word's first score. Only called for a word known to hold one.
    function _revertAtFirstBadLane(uint256 word, uint256 first) private pure {
        for (uint256 j = 0; j < 16; ++j) {
            uint256 value = uint16(word >> (240 - 16 * j));
            if (value > MAX_SCORE) revert IPoQSettlement.ScoreOutOfRange(first + j, value);
        }
    }
}
