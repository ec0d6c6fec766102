// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title SumTreeLib
/// @notice Verification in the cumulative rewards sum tree. Leaves are `(address account, uint256 cumulativeAmount)`
/// sorted by account and placed at positions 0..n-1 of a complete binary tree of depth ceil(log2 n); the empty
/// positions beyond n are the node `(0, 0)`. A leaf's hash is OpenZeppelin's standard double hash
/// `keccak256(bytes.concat(keccak256(abi.encode(account, amount))))` and its sum is its amount; an inner node is
/// `(keccak256(abi.encode(leftHash, leftSum, rightHash, rightSum)), leftSum + rightSum)`. Because every inner node
/// binds both children's sums, the amounts of all leaves that can be proven under a root add up to at most the root's
/// sum: a tree cannot promise more than its total, however it was built.
library SumTreeLib {
    /// @notice A proof of odd length (it holds sibling hash and sibling sum pairs).
    error SumTreeMalformedProof(uint256 length);
    /// @notice The leaf index does not fit the proof's depth.
    error SumTreeIndexOutOfRange(uint256 index, uint256 depth);

    /// @notice The hash of a leaf.
    /// @param account The account.
    /// @param amount Its cumulative amount.
    /// @return The leaf hash.
    function leafHash(address account, uint256 amount) internal pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(account, amount))));
    }

    /// @notice The root hash and sum that a leaf and its proof compute. `proof` lists, from the leaf up, the
    /// sibling's hash then the sibling's sum at each level; bit i of `index` says whether the path is the right
    /// child at level i. Overflowing sums revert.
    /// @param account The account.
    /// @param amount Its cumulative amount.
    /// @param index The leaf's position.
    /// @param proof Sibling hash and sum pairs.
    /// @return hash The root hash.
    /// @return sum The root sum.
    function computeRoot(address account, uint256 amount, uint256 index, bytes32[] calldata proof)
        internal
        pure
        returns (bytes32 hash, uint256 sum)
    {
        uint256 len = proof.length;
        require(len % 2 == 0, SumTreeMalformedProof(len));
        require(index >> (len / 2) == 0, SumTreeIndexOutOfRange(index, len / 2));
        hash = leafHash(account, amount);
        sum = amount;
        for (uint256 i = 0; i < len; i += 2) {
            bytes32 siblingHash = proof[i];
            uint256 siblingSum = uint256(proof[i + 1]);
            hash = index & 1 == 0
                ? keccak256(abi.encode(hash, sum, siblingHash, siblingSum))
                : keccak256(abi.encode(siblingHash, siblingSum, hash, sum));
            sum += siblingSum;
            index >>= 1;
        }
    }

    /// @notice The word a distributor stores for a root: `keccak256(abi.encode(hash, sum))`.
    /// @param hash The root hash.
    /// @param sum The root sum.
    /// @return The commitment.
    function commit(bytes32 hash, uint256 sum) internal pure returns (bytes32) {
        return keccak256(abi.encode(hash, sum));
    }
}
