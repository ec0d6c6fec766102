// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title IRewardDistributor
/// @notice Keeps each round's reward pools (the tokens sit in its RewardVault) and pays rewards through one
/// cumulative Merkle root: a leaf `(account, cumulativeAmount)` states everything `account` has earned over all
/// finalized rounds, and a claim pays the difference from what was already claimed. Leaves are OpenZeppelin standard
/// leaves,
/// `keccak256(bytes.concat(keccak256(abi.encode(account, cumulativeAmount))))`, so an inner node (64 bytes) can
/// never pass as a leaf. Funding goes to a vault that claims cannot reach; a settlement moves exactly its allocation
/// to the distributor, whose balance is all that claims can pay out. Tokens that deliver less than the amount
/// transferred (fee-on-transfer, rebasing) are refused at funding.
interface IRewardDistributor {
    /* TYPES */

    /// @notice One round's pools and what its settlement allocated.
    struct RoundFunds {
        uint128 inferencePool;
        uint128 evaluatorPool;
        uint128 allocated;
        bool settled;
    }

    /* ERRORS */

    /// @notice A zero amount was given where a positive one is required.
    error DistributorZeroAmount();
    /// @notice Round id 0 is never a round.
    error DistributorInvalidRound(uint256 roundId);
    /// @notice The round's settlement has been applied; its pools can no longer change.
    error DistributorRoundSettled(uint256 roundId);
    /// @notice The caller is not the settlement contract.
    error DistributorNotSettlement(address caller);
    /// @notice The settlement contract was already set; it is set exactly once.
    error DistributorSettlementAlreadySet(address settlement);
    /// @notice A settlement pays a pool more than was funded for it.
    error DistributorExceedsPool(uint256 roundId, uint256 paid, uint256 pool);
    /// @notice The new cumulative total is not the previous total plus this round's payment.
    error DistributorBadCumulativeTotal(uint256 expected, uint256 given);
    /// @notice The Merkle proof does not prove `(account, cumulativeAmount)` under the current root.
    error DistributorInvalidProof(address account, uint256 cumulativeAmount);
    /// @notice Nothing is owed: the account already claimed `cumulativeAmount` or more.
    error DistributorNothingToClaim(address account, uint256 cumulativeAmount, uint256 alreadyClaimed);
    /// @notice The token delivered less than the amount transferred (a fee-on-transfer or rebasing token).
    error DistributorTransferShortfall(uint256 sent, uint256 received);
    /// @notice A sweep larger than what settled rounds left unallocated.
    error DistributorSweepTooLarge(uint256 requested, uint256 available);
    /// @notice A sweep to the distributor or its vault, where the funds would leave the books.
    error DistributorBadRecipient(address to);
    /// @notice The zero address was given.
    error DistributorZeroAddress();
    /// @notice A round's pool would leave the 128-bit accounting range.
    error DistributorAmountOverflow(uint256 amount);

    /* EVENTS */

    /// @notice Emitted when `funder` adds to `roundId`'s pools.
    event RoundFunded(uint256 indexed roundId, address indexed funder, uint256 inferenceAmount, uint256 evaluatorAmount);
    /// @notice Emitted when a finalized settlement installs a new cumulative root.
    event RootUpdated(
        uint256 indexed roundId,
        address indexed settlement,
        bytes32 root,
        uint256 cumulativeTotal,
        uint256 inferencePaid,
        uint256 evaluatorPaid
    );
    /// @notice Emitted when `amount` is paid to `account` (claimed by `caller`, possibly on its behalf), raising what
    /// it has claimed to `cumulativeAmount`. The root it was paid under is the one installed by the last
    /// {RootUpdated} before this event.
    event Claimed(address indexed account, address indexed caller, uint256 amount, uint256 cumulativeAmount);
    /// @notice Emitted when the owner sweeps unallocated funds of settled rounds.
    event Swept(address indexed to, uint256 amount);
    /// @notice Emitted when the settlement contract is wired in (once).
    event SettlementSet(address indexed settlement);

    /* FUNDING */

    /// @notice Adds to the inference and evaluator pools of `roundId`. Anyone may fund; the tokens go to the vault.
    /// Requirements: `roundId` > 0; the round is not settled; the total is positive; each pool stays within 128 bits;
    /// the vault receives exactly the total.
    /// Emits a {RoundFunded} event.
    function fundRound(uint256 roundId, uint256 inferenceAmount, uint256 evaluatorAmount) external;

    /* SETTLEMENT */

    /// @notice Installs the cumulative root of a finalized round.
    /// Requirements: caller is the settlement contract; the round is not settled; each pool pays at most what was
    /// funded for it; `cumulativeTotal` equals the previous total plus `inferencePaid + evaluatorPaid`.
    /// Moves `inferencePaid + evaluatorPaid` from the vault to the distributor.
    /// Emits a {RootUpdated} event.
    function applySettlement(
        uint256 roundId,
        bytes32 root,
        uint256 cumulativeTotal,
        uint256 inferencePaid,
        uint256 evaluatorPaid
    ) external;

    /* CLAIMS */

    /// @notice Pays `account` what the current root owes it beyond what it has already claimed. Anyone may call it
    /// for any account; the tokens always go to `account`.
    /// Requirements: the proof is valid; something is owed. Claims are paid from the distributor's balance, which holds
    /// only allocated and unclaimed rewards, so total claims cannot exceed total allocation.
    /// Emits a {Claimed} event.
    function claim(address account, uint256 cumulativeAmount, bytes32[] calldata proof) external returns (uint256 paid);

    /* VIEWS */

    /// @notice The current cumulative rewards root.
    function root() external view returns (bytes32);

    /// @notice The round whose settlement installed the current root, or whose cancellation last re-applied it
    /// unchanged.
    function rootRound() external view returns (uint256);

    /// @notice What `account` has claimed so far, cumulatively.
    function claimed(address account) external view returns (uint256);

    /// @notice The pools and allocation of `roundId`.
    function roundFunds(uint256 roundId) external view returns (RoundFunds memory);

    /// @notice Totals: funded, allocated by settlements, and swept. Unless tokens were sent to the contracts directly,
    /// what was claimed is `allocated` minus the distributor's token balance, and what unsettled rounds hold is the
    /// vault's balance minus {sweepable}; summing {Claimed} events gives the claims independently.
    function totals() external view returns (uint256 funded, uint256 allocated, uint256 swept);

    /// @notice Funds of settled rounds that their settlements left unallocated, minus what was swept.
    function sweepable() external view returns (uint256);

    /// @notice The reward token.
    function token() external view returns (address);

    /// @notice The vault holding the funds of unsettled rounds and the sweepable remainder of settled ones.
    function vault() external view returns (address);

    /// @notice The settlement contract.
    function settlement() external view returns (address);
}
