// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title IRewardDistributor
/// @notice Keeps each round's reward pools (the tokens sit in its RewardVault) and pays rewards through one cumulative
/// sum tree (see {SumTreeLib}): a leaf `(account, cumulativeAmount)` states everything `account` has earned over all
/// finalized rounds, and a claim pays the difference from what was already claimed. The root binds the sum of all
/// leaves, which must equal the total allocated by finalized rounds, so no tree can promise more than was allocated.
/// Funding goes to a vault that claims cannot reach; a settlement moves exactly its allocation to the distributor.
/// What a round did not allocate (all of it, for a cancelled round) goes back to its funders pro rata, on their
/// request. Nobody else can move any of these funds: the distributor has no owner.
interface IRewardDistributor {
    /* TYPES */

    /// @notice Where a round's pools stand.
    enum RoundState {
        Open,
        Settled,
        Cancelled
    }

    /// @notice One round's pools and what its settlement paid from them.
    struct RoundFunds {
        uint128 inferencePool;
        uint128 evaluatorPool;
        uint128 inferencePaid;
        uint128 evaluatorPaid;
        RoundState state;
    }

    /// @notice What one funder put into one round.
    struct Contribution {
        uint128 inference;
        uint128 evaluator;
        bool refunded;
    }

    /* ERRORS */

    /// @notice A zero amount was given where a positive one is required.
    error DistributorZeroAmount();
    /// @notice The round does not take funding now (unknown, or past its reveal deadline).
    error DistributorFundingClosed(uint256 roundId);
    /// @notice The round's pools would exceed the cap its parameters set.
    error DistributorAboveCap(uint256 roundId, uint256 pools, uint256 cap);
    /// @notice The round's settlement or cancellation has been applied already.
    error DistributorRoundClosed(uint256 roundId);
    /// @notice The caller is not the settlement contract.
    error DistributorNotSettlement(address caller);
    /// @notice The caller may not wire the contracts (only the deployer, once).
    error DistributorNotDeployer(address caller);
    /// @notice The settlement contract was already set; it is set exactly once.
    error DistributorSettlementAlreadySet(address settlement);
    /// @notice A settlement pays a pool more than was funded for it.
    error DistributorExceedsPool(uint256 roundId, uint256 paid, uint256 pool);
    /// @notice The new cumulative total is not the previous total plus this round's payment.
    error DistributorBadCumulativeTotal(uint256 expected, uint256 given);
    /// @notice The proof does not prove `(account, cumulativeAmount)` under the current root.
    error DistributorInvalidProof(address account, uint256 cumulativeAmount);
    /// @notice Nothing is owed: the account already claimed `cumulativeAmount` or more.
    error DistributorNothingToClaim(address account, uint256 cumulativeAmount, uint256 alreadyClaimed);
    /// @notice The token delivered less than the amount transferred (a fee-on-transfer or rebasing token).
    error DistributorTransferShortfall(uint256 sent, uint256 received);
    /// @notice Nothing to refund to this funder for this round (still open, never funded, or refunded already).
    error DistributorNothingToRefund(uint256 roundId, address funder);
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
    /// @notice Emitted when a cancelled round's pools become refundable.
    event RoundCancelled(uint256 indexed roundId);
    /// @notice Emitted when `amount` is paid to `account` (claimed by `caller`, possibly on its behalf), raising what
    /// it has claimed to `cumulativeAmount`. The root it was paid under is the one installed by the last
    /// {RootUpdated} before this event.
    event Claimed(address indexed account, address indexed caller, uint256 amount, uint256 cumulativeAmount);
    /// @notice Emitted when `funder` gets back `amount` that round `roundId` did not allocate.
    event Refunded(uint256 indexed roundId, address indexed funder, uint256 amount);
    /// @notice Emitted when the settlement contract is wired in (once).
    event SettlementSet(address indexed settlement);

    /* FUNDING */

    /// @notice Adds to the inference and evaluator pools of `roundId`. Anyone may fund; the tokens go to the vault.
    /// Requirements: the settlement contract says the round takes funding (registered and before its reveal
    /// deadline, or the next round to be registered); the total is positive; the pools stay within the round's cap;
    /// the vault receives exactly the total.
    /// Emits a {RoundFunded} event.
    /// @param roundId The round.
    /// @param inferenceAmount Added to the inference pool.
    /// @param evaluatorAmount Added to the evaluator pool.
    function fundRound(uint256 roundId, uint256 inferenceAmount, uint256 evaluatorAmount) external;

    /// @notice Pays `funder` what round `roundId` did not allocate of its contribution: everything for a cancelled
    /// round or one not registered yet, and for a settled round each pool's unpaid part pro rata (rounded down).
    /// Anyone may call it; the tokens go to `funder`. Once per round and funder (for a round not registered yet the
    /// contribution is withdrawn and may be made again).
    /// Emits a {Refunded} event.
    /// @param roundId The round.
    /// @param funder The funder.
    /// @return amount Tokens paid.
    function refund(uint256 roundId, address funder) external returns (uint256 amount);

    /* SETTLEMENT */

    /// @notice Installs the cumulative root of a finalized round and moves its payments from the vault.
    /// Requirements: caller is the settlement contract; the round is open; each pool pays at most what was funded for
    /// it; `cumulativeTotal` equals the previous total plus `inferencePaid + evaluatorPaid`.
    /// Emits a {RootUpdated} event.
    /// @param roundId The round.
    /// @param root The sum tree's root hash.
    /// @param cumulativeTotal Its root sum.
    /// @param inferencePaid Paid from the inference pool.
    /// @param evaluatorPaid Paid from the evaluator pool.
    function applySettlement(
        uint256 roundId,
        bytes32 root,
        uint256 cumulativeTotal,
        uint256 inferencePaid,
        uint256 evaluatorPaid
    ) external;

    /// @notice Marks a cancelled round: its funders may take their contributions back.
    /// Requirements: caller is the settlement contract; the round is open.
    /// Emits a {RoundCancelled} event.
    /// @param roundId The round.
    function cancelRound(uint256 roundId) external;

    /* CLAIMS */

    /// @notice Pays `account` what the current root owes it beyond what it has already claimed. Anyone may call it for
    /// any account; the tokens always go to `account`.
    /// Requirements: the sum-tree proof computes the current root hash and sum; something is owed.
    /// Emits a {Claimed} event.
    /// @param account The account.
    /// @param cumulativeAmount Its leaf's amount.
    /// @param index Its leaf's position.
    /// @param proof Sibling hash and sum pairs, from the leaf up.
    /// @return paid Tokens paid.
    function claim(address account, uint256 cumulativeAmount, uint256 index, bytes32[] calldata proof)
        external
        returns (uint256 paid);

    /// @notice Wires in the settlement contract. Callable once, by the deployer.
    /// Emits a {SettlementSet} event.
    /// @param settlement The settlement contract.
    function setSettlement(address settlement) external;

    /* VIEWS */

    /// @notice The current cumulative root hash (zero before the first allocation).
    /// @return The root hash.
    function root() external view returns (bytes32);

    /// @notice `keccak256(abi.encode(root, cumulativeTotal))` of the current root, the word claims are checked against.
    /// @return The commitment.
    function rootCommitment() external view returns (bytes32);

    /// @notice The round whose settlement installed the current root.
    /// @return The round id.
    function rootRound() external view returns (uint256);

    /// @notice Whether a leaf `(account, cumulativeAmount)` at `index` is proven under the current root.
    /// @param account The account.
    /// @param cumulativeAmount The amount.
    /// @param index The position.
    /// @param proof Sibling hash and sum pairs.
    /// @return True when proven.
    function verifyLeaf(address account, uint256 cumulativeAmount, uint256 index, bytes32[] calldata proof)
        external
        view
        returns (bool);

    /// @notice What `account` has claimed so far, cumulatively.
    /// @param account The account.
    /// @return The amount.
    function claimed(address account) external view returns (uint256);

    /// @notice The pools and payments of `roundId`.
    /// @param roundId The round.
    /// @return The record.
    function roundFunds(uint256 roundId) external view returns (RoundFunds memory);

    /// @notice What `funder` put into `roundId`.
    /// @param roundId The round.
    /// @param funder The funder.
    /// @return The contribution.
    function contribution(uint256 roundId, address funder) external view returns (Contribution memory);

    /// @notice What {refund} would pay `funder` for `roundId` now.
    /// @param roundId The round.
    /// @param funder The funder.
    /// @return The amount.
    function refundable(uint256 roundId, address funder) external view returns (uint256);

    /// @notice Totals: funded, allocated by settlements, and refunded. The vault holds funded − allocated − refunded;
    /// the distributor holds allocated − claimed (summing {Claimed} events gives the claims).
    /// @return funded Funded.
    /// @return allocated Allocated.
    /// @return refunded Refunded.
    function totals() external view returns (uint256 funded, uint256 allocated, uint256 refunded);

    /// @notice The reward token.
    /// @return Its address.
    function token() external view returns (address);

    /// @notice The vault holding the pools.
    /// @return Its address.
    function vault() external view returns (address);

    /// @notice The settlement contract.
    /// @return Its address.
    function settlement() external view returns (address);
}
