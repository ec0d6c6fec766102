// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title ScoresLib
/// @notice Validation of packed evaluator scores: one big-endian uint16 per assigned task, each a quality in
/// [0, {MAX_SCORE}] or the reserved value {UNAVAILABLE} ("the output could not be fetched").
library ScoresLib {
    /// @notice The packed scores are empty or of odd length.
    error ScoresMalformed(uint256 length);
    /// @notice A score above {MAX_SCORE} that is not {UNAVAILABLE}.
    error ScoresOutOfRange(uint256 index, uint256 value);

    /// @notice Highest score: quality 10 scaled by 1000.
    uint256 internal constant MAX_SCORE = 10_000;
    /// @notice The reserved score of an output the evaluator could not fetch from any peer.
    uint256 internal constant UNAVAILABLE = 0xFFFF;

    /// @dev The 16-bit lanes 0, 2, 4, ... of a word, each in the low half of a 32-bit slot.
    uint256 private constant _EVEN_LANES = 0x0000FFFF0000FFFF0000FFFF0000FFFF0000FFFF0000FFFF0000FFFF0000FFFF;
    /// @dev 65535 - MAX_SCORE in every 32-bit slot: a lane value plus this reaches bit 16 exactly when it is above
    /// MAX_SCORE, and the sum (at most 65535 + 55535 < 2^17) never carries into the next slot.
    uint256 private constant _BIAS = 0x0000D8EF0000D8EF0000D8EF0000D8EF0000D8EF0000D8EF0000D8EF0000D8EF;
    /// @dev 1 in every 32-bit slot: a lane value plus this reaches bit 16 exactly when it is UNAVAILABLE (0xFFFF).
    uint256 private constant _ONES = 0x0000000100000001000000010000000100000001000000010000000100000001;
    /// @dev Bit 16 of every 32-bit slot.
    uint256 private constant _CARRY = 0x0001000000010000000100000001000000010000000100000001000000010000;

    /// @notice Checks the packing and range of `scores` and returns how many scores it holds.
    /// @dev Checks 32 bytes (16 scores) at a time without a loop over lanes: the word is split into its even and odd
    /// lanes, each lane biased so that a value above MAX_SCORE sets a carry bit, unless the lane is UNAVAILABLE, whose
    /// increment sets the same bit (see the constants). A calldata slice shorter than 32 bytes converts to bytes32
    /// padded with zeros, and zero lanes always pass. Only when a word fails is it scanned lane by lane, to name the
    /// first bad score in the error.
    /// @param scores The packed scores.
    /// @return count The number of scores.
    function validate(bytes calldata scores) internal pure returns (uint256 count) {
        uint256 len = scores.length;
        require(len != 0 && len % 2 == 0, ScoresMalformed(len));
        count = len / 2;
        for (uint256 offset = 0; offset < len; offset += 32) {
            uint256 word = uint256(bytes32(scores[offset:]));
            uint256 even = word & _EVEN_LANES;
            uint256 odd = (word >> 16) & _EVEN_LANES;
            uint256 bad = (((even + _BIAS) & ~(even + _ONES)) | ((odd + _BIAS) & ~(odd + _ONES))) & _CARRY;
            if (bad != 0) _revertAtFirstBadLane(word, offset / 2);
        }
    }

    /// @dev Reverts with {ScoresOutOfRange} for the first lane of `word` that is neither a score nor UNAVAILABLE;
    /// `first` is the index of the word's first score. Only called for a word known to hold one.
    function _revertAtFirstBadLane(uint256 word, uint256 first) private pure {
        for (uint256 j = 0; j < 16; ++j) {
            uint256 value = uint16(word >> (240 - 16 * j));
            if (value > MAX_SCORE && value != UNAVAILABLE) revert ScoresOutOfRange(first + j, value);
        }
    }
}
