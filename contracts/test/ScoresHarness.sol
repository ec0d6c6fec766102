// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ScoresLib} from "../libraries/ScoresLib.sol";

/// @title ScoresHarness
/// @notice Tests only: exposes {ScoresLib.validate} so property tests can compare it with the TypeScript packing.
contract ScoresHarness {
    function validate(bytes calldata scores) external pure returns (uint256) {
        return ScoresLib.validate(scores);
    }
}
