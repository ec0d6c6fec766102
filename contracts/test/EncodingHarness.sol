// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {SumTreeLib} from "../libraries/SumTreeLib.sol";

/// @title EncodingHarness
/// @notice Tests only: the Solidity side of encodings that the contracts take as opaque inputs (task indexes hash,
/// Merkle leaves of the task, assignment, rewards and trust trees), to check the TypeScript helpers against.
contract EncodingHarness {
    function tasksHash(uint32[] calldata taskIndexes) external pure returns (bytes32) {
        return keccak256(abi.encodePacked(taskIndexes));
    }

    function taskLeaf(uint256 index, address node, bytes32 modelId, bytes32 contentHash, uint256 costUnits)
        external
        pure
        returns (bytes32)
    {
        return keccak256(bytes.concat(keccak256(abi.encode(index, node, modelId, contentHash, costUnits))));
    }

    function assignmentLeaf(address evaluator, uint256 scoreCount, bytes32 tasksHash_) external pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(evaluator, scoreCount, tasksHash_))));
    }

    function accountLeaf(address account, uint256 amount) external pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(account, amount))));
    }

    function goldItemLeaf(uint256 taskIndex, uint256 poolIndex, bytes32 contentHash, uint256 quality)
        external
        pure
        returns (bytes32)
    {
        return keccak256(bytes.concat(keccak256(abi.encode(taskIndex, poolIndex, contentHash, quality))));
    }

    function goldPoolLeaf(uint256 poolIndex, bytes32 contentHash, uint256 quality) external pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(poolIndex, contentHash, quality))));
    }

    function goldCommitment(bytes32 goldRoot, uint32 goldCount, bytes32 goldSalt) external pure returns (bytes32) {
        return keccak256(abi.encode(goldRoot, goldCount, goldSalt));
    }

    function sumTreeRoot(address account, uint256 amount, uint256 index, bytes32[] calldata proof)
        external
        pure
        returns (bytes32 hash, uint256 sum)
    {
        return SumTreeLib.computeRoot(account, amount, index, proof);
    }

    function verify(bytes32[] calldata proof, bytes32 root, bytes32 leaf) external pure returns (bool) {
        return MerkleProof.verifyCalldata(proof, root, leaf);
    }
}
