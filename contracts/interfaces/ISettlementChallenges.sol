// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IPoQSettlement} from "./IPoQSettlement.sol";

/// @title ISettlementChallenges
/// @notice Permissionless challenges against an accepted settlement, during its challenge window.
///
/// Two kinds of violation are checked on chain:
/// - Proven at once (no bond): the settlement's gold set uses a pool item twice (in the round, or in an earlier
///   finalized round), an item outside the committed pool, or a task index outside the batch.
/// - Asked for a proof (bonded): "this account's earlier allotment is missing or lower" and "this gold item is not in
///   the committed pool, or its task's content is not the pool item's". The challenger proves the earlier leaf (or
///   the gold item) and posts `minChallengeBond`; anyone (normally a relayer) may answer with the proof that refutes
///   it within `responseDuration`. An unanswered challenge holds: the settlement is rejected, the relayers that
///   revealed it lose their bonds (`challengeRewardBps` of them to the challenger) and the challenger's bond comes
///   back. An answered one fails: `failedChallengeBps` of its bond goes to whoever answered, the rest back to the
///   challenger. A challenge whose settlement was vetoed or rejected meanwhile is moot: its bond comes back whole,
///   and it stays moot if the same settlement is accepted again in a later attempt (a challenge is bound to one
///   acceptance, not to the settlement's hash).
/// A round cannot be finalized while a challenge against its accepted settlement is open.
interface ISettlementChallenges {
    /* TYPES */

    /// @notice What a bonded challenge asks the relayers to prove.
    enum Kind {
        None,
        Account,
        GoldItem
    }

    /// @notice Where a bonded challenge stands.
    enum Status {
        None,
        Open,
        Answered,
        Upheld,
        Moot
    }

    /// @notice A bonded challenge.
    /// @param roundId The round.
    /// @param kind What it asks to be proven.
    /// @param status Where it stands.
    /// @param deadline Until when it may be answered.
    /// @param attempt The settlement attempt whose acceptance it challenges.
    /// @param challenger Who opened it (and gets the bond back or the reward).
    /// @param bond The bond posted.
    /// @param settlementHash The settlement it is against.
    /// @param anchor For Account: `keccak256(abi.encode(rewardsRoot, cumulativeTotal))` of the challenged settlement;
    /// for GoldItem: the gold item's leaf hash.
    /// @param account For Account: the account whose allotment is missing or lower.
    /// @param minAmount For Account: its amount under the current root; the answer must show at least this much.
    struct Challenge {
        uint64 roundId;
        Kind kind;
        Status status;
        uint40 deadline;
        uint16 attempt;
        address challenger;
        uint128 bond;
        bytes32 settlementHash;
        bytes32 anchor;
        address account;
        uint256 minAmount;
    }

    /// @notice One gold task of a round: which task of the batch it is, which pool item it came from, and the
    /// item's content hash and known quality (0..10000).
    struct GoldItem {
        uint256 taskIndex;
        uint256 poolIndex;
        bytes32 contentHash;
        uint256 quality;
    }

    /// @notice One task leaf of a batch (see {IPoQSettlement.Registration}).
    struct TaskLeaf {
        uint256 index;
        address node;
        bytes32 modelId;
        bytes32 contentHash;
        uint256 costUnits;
    }

    /* ERRORS */

    /// @notice The settlement given is not the round's accepted one, or the round is not in its challenge window.
    error ChallengeNotChallengeable(uint256 roundId);
    /// @notice The earlier leaf is not proven under the distributor's current root, or its amount is zero.
    error ChallengeBadEarlierLeaf(address account, uint256 amount);
    /// @notice The gold item is not proven under the settlement's gold root.
    error ChallengeBadGoldItem(uint256 taskIndex, uint256 poolIndex);
    /// @notice The same challenge is already open.
    error ChallengeDuplicate(uint256 challengeId);
    /// @notice No such open challenge.
    error ChallengeNotOpen(uint256 challengeId);
    /// @notice The answer window of the challenge has closed (or, for {resolve}, is still open).
    error ChallengeWindow(uint256 challengeId, uint256 deadline);
    /// @notice The answer does not refute the challenge.
    error ChallengeBadAnswer(uint256 challengeId);
    /// @notice The proof shows no violation.
    error ChallengeNoViolation();
    /// @notice The token delivered less than the bond.
    error ChallengeTransferShortfall(uint256 sent, uint256 received);

    /* EVENTS */

    /// @notice Emitted when `challenger` opens a bonded challenge.
    event ChallengeOpened(
        uint256 indexed challengeId,
        uint256 indexed roundId,
        address indexed challenger,
        Kind kind,
        bytes32 settlementHash,
        address account,
        uint256 minAmount,
        uint256 bond,
        uint256 deadline
    );
    /// @notice Emitted when `responder` refutes a challenge and receives `toResponder` of its bond.
    event ChallengeAnswered(uint256 indexed challengeId, address indexed responder, uint256 toResponder, uint256 toChallenger);
    /// @notice Emitted when a bonded challenge holds (its bond goes back to the challenger).
    event ChallengeUpheld(uint256 indexed challengeId, uint256 indexed roundId, address indexed challenger);
    /// @notice Emitted when a bonded challenge's settlement is gone; its bond goes back to the challenger.
    event ChallengeMoot(uint256 indexed challengeId);
    /// @notice Emitted when `challenger` proves a gold violation at once; `violation` names it.
    event ViolationProven(uint256 indexed roundId, address indexed challenger, bytes32 settlementHash, string violation);

    /* BONDED CHALLENGES */

    /// @notice Challenges the accepted settlement of `roundId` for leaving out, or lowering, what `account` was
    /// allotted under the distributor's current root.
    /// Requirements: the round is in its challenge window with `settlement` accepted; the earlier leaf is proven
    /// with a positive amount; no identical challenge open; the caller approved `minChallengeBond`.
    /// Emits a {ChallengeOpened} event.
    /// @param roundId The round.
    /// @param settlement The accepted settlement.
    /// @param account The account.
    /// @param amount Its cumulative amount under the current root.
    /// @param index Its leaf's position there.
    /// @param proof Its sum-tree proof there.
    /// @return challengeId The challenge.
    function challengeAccount(
        uint256 roundId,
        IPoQSettlement.Settlement calldata settlement,
        address account,
        uint256 amount,
        uint256 index,
        bytes32[] calldata proof
    ) external returns (uint256 challengeId);

    /// @notice Answers an Account challenge with the account's leaf under the challenged settlement's root.
    /// Requirements: the challenge is open and its window not over; the leaf is proven and its amount is at least
    /// the earlier one.
    /// Emits a {ChallengeAnswered} event.
    /// @param challengeId The challenge.
    /// @param amount The account's new cumulative amount.
    /// @param index Its leaf's position.
    /// @param proof Its sum-tree proof.
    function answerAccount(uint256 challengeId, uint256 amount, uint256 index, bytes32[] calldata proof) external;

    /// @notice Challenges the accepted settlement of `roundId` for a gold item it cannot show in the committed pool,
    /// or whose task's content is not the pool item's.
    /// Requirements: as for {challengeAccount}; the item is proven under the settlement's gold root.
    /// Emits a {ChallengeOpened} event.
    /// @param roundId The round.
    /// @param settlement The accepted settlement.
    /// @param item The gold item.
    /// @param itemProof Its proof under the gold root.
    /// @return challengeId The challenge.
    function challengeGoldItem(
        uint256 roundId,
        IPoQSettlement.Settlement calldata settlement,
        GoldItem calldata item,
        bytes32[] calldata itemProof
    ) external returns (uint256 challengeId);

    /// @notice Answers a GoldItem challenge: the pool leaf `(poolIndex, contentHash, quality)` under the round's pool
    /// root, and the batch's task leaf at `taskIndex` with the same content hash.
    /// Requirements: the challenge is open and its window not over; both proofs hold.
    /// Emits a {ChallengeAnswered} event.
    /// @param challengeId The challenge.
    /// @param item The gold item (as challenged).
    /// @param poolProof Its pool proof.
    /// @param task The task leaf.
    /// @param taskProof Its proof under the round's task root.
    function answerGoldItem(
        uint256 challengeId,
        GoldItem calldata item,
        bytes32[] calldata poolProof,
        TaskLeaf calldata task,
        bytes32[] calldata taskProof
    ) external;

    /// @notice Settles a bonded challenge: moot if its settlement is no longer the accepted one, upheld once its
    /// answer window passed unanswered.
    /// Emits {ChallengeMoot} or {ChallengeUpheld} (and the settlement's {IPoQSettlement.SettlementRejected}).
    /// @param challengeId The challenge.
    function resolve(uint256 challengeId) external;

    /* PROOFS AT ONCE */

    /// @notice Proves that the accepted settlement of `roundId` uses one pool item for two gold tasks: `first` and
    /// `second` are distinct items with the same pool index under its gold root, or `second` is under the gold root
    /// of the finalized settlement `earlier` of round `earlierRound`, which drew from the same gold pool (the same
    /// pool root: a refreshed pool numbers its items afresh). The settlement is rejected at once.
    /// Requirements: the round is in its challenge window with `settlement` accepted; the proofs hold.
    /// Emits a {ViolationProven} event.
    /// @param roundId The round.
    /// @param settlement The accepted settlement.
    /// @param first A gold item of the round.
    /// @param firstProof Its proof.
    /// @param earlierRound 0 when `second` is in the same round, else the earlier finalized round.
    /// @param earlier That round's settlement (ignored when `earlierRound` is 0).
    /// @param second The other item.
    /// @param secondProof Its proof.
    function proveGoldReuse(
        uint256 roundId,
        IPoQSettlement.Settlement calldata settlement,
        GoldItem calldata first,
        bytes32[] calldata firstProof,
        uint256 earlierRound,
        IPoQSettlement.Settlement calldata earlier,
        GoldItem calldata second,
        bytes32[] calldata secondProof
    ) external;

    /// @notice Proves that a gold item of the accepted settlement of `roundId` points outside the pool (index ≥ pool
    /// size) or outside the batch (task index ≥ task count), or has a quality above 10000. The settlement is
    /// rejected at once.
    /// Emits a {ViolationProven} event.
    /// @param roundId The round.
    /// @param settlement The accepted settlement.
    /// @param item The gold item.
    /// @param itemProof Its proof.
    function proveGoldOutOfRange(
        uint256 roundId,
        IPoQSettlement.Settlement calldata settlement,
        GoldItem calldata item,
        bytes32[] calldata itemProof
    ) external;

    /* VIEWS */

    /// @notice Open bonded challenges against the settlement accepted in attempt `attempt` of `roundId`.
    /// @param roundId The round.
    /// @param attempt The settlement attempt that reached quorum.
    /// @return The count.
    function openCount(uint256 roundId, uint256 attempt) external view returns (uint256);

    /// @notice A challenge.
    /// @param challengeId The challenge.
    /// @return The record.
    function getChallenge(uint256 challengeId) external view returns (Challenge memory);

    /// @notice The number of bonded challenges opened so far (the latest id).
    /// @return The count.
    function challengeCount() external view returns (uint256);

    /// @notice The leaf hash of a gold item: `keccak256(bytes.concat(keccak256(abi.encode(taskIndex, poolIndex,
    /// contentHash, quality))))`.
    /// @param item The item.
    /// @return The leaf hash.
    function goldItemLeaf(GoldItem calldata item) external pure returns (bytes32);

    /// @notice The settlement contract.
    /// @return Its address.
    function settlement() external view returns (address);
}
