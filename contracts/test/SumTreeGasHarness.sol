// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {SumTreeLib} from "../libraries/SumTreeLib.sol";

/// @title SumTreeGasHarness
/// @notice Tests only: the library's sum-tree verification beside an alternative that hashes each level in scratch
/// memory, so docs/gas.md can state what the sum tree's per-level cost is and what a leaner loop would save (the claim
/// budget trade-off). Both must compute the same root for every proof (test/Gas.test.ts checks it).
contract SumTreeGasHarness {
    function viaLibrary(address account, uint256 amount, uint256 index, bytes32[] calldata proof)
        external
        pure
        returns (bytes32 hash, uint256 sum)
    {
        return SumTreeLib.computeRoot(account, amount, index, proof);
    }

    /// @notice Execution gas of each variant for one proof (`gasleft()` around the call; calldata excluded).
    function executionGas(address account, uint256 amount, uint256 index, bytes32[] calldata proof)
        external
        view
        returns (uint256 library_, uint256 scratch)
    {
        uint256 g = gasleft();
        this.viaLibrary(account, amount, index, proof);
        library_ = g - gasleft();
        g = gasleft();
        this.viaScratchMemory(account, amount, index, proof);
        scratch = g - gasleft();
    }

    /// @notice Same result as {SumTreeLib.computeRoot} (an overflowing sum reverts without data instead of a panic).
    function viaScratchMemory(address account, uint256 amount, uint256 index, bytes32[] calldata proof)
        external
        pure
        returns (bytes32 hash, uint256 sum)
    {
        uint256 len = proof.length;
        require(len % 2 == 0, SumTreeLib.SumTreeMalformedProof(len));
        require(index >> (len / 2) == 0, SumTreeLib.SumTreeIndexOutOfRange(index, len / 2));
        hash = SumTreeLib.leafHash(account, amount);
        sum = amount;
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            let end := add(proof.offset, shl(5, len))
            for { let p := proof.offset } lt(p, end) { p := add(p, 0x40) } {
                let siblingHash := calldataload(p)
                let siblingSum := calldataload(add(p, 0x20))
                switch and(index, 1)
                case 0 {
                    mstore(ptr, hash)
                    mstore(add(ptr, 0x20), sum)
                    mstore(add(ptr, 0x40), siblingHash)
                    mstore(add(ptr, 0x60), siblingSum)
                }
                default {
                    mstore(ptr, siblingHash)
                    mstore(add(ptr, 0x20), siblingSum)
                    mstore(add(ptr, 0x40), hash)
                    mstore(add(ptr, 0x60), sum)
                }
                hash := keccak256(ptr, 0x80)
                let s := add(sum, siblingSum)
                if lt(s, sum) { revert(0, 0) }
                sum := s
                index := shr(1, index)
            }
        }
    }
}
