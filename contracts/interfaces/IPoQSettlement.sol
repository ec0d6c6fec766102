// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IRoundTail} from "./IRoundTail.sol";

/// @title IPoQSettlement
/// @notice The round state machine of Proof-of-Quality settlement.
///
/// A round: a relayer registers a task batch (a Merkle root over the tasks and their count) and the block's
/// randomness becomes the round's seed. The relayers compute the stake-weighted evaluator assignment from the seed
/// and agree on its root by quorum; that opens the commit window. Each assigned evaluator commits to its scores,
/// then reveals them (one uint16 per assigned task, quality 0..10 scaled by 1000). The relayers then commit and
/// reveal the settlement (cumulative rewards root, totals, trust root, inputs hash, slash list); it stands once
/// `quorum` relayers revealed the same settlement. Inside the challenge window the guardian may veto it, which
/// reopens settlement. After the window anyone finalizes: the rewards root is installed in the distributor, the
/// round's payments move from the reward vault to the distributor, and the slashes execute. Rounds finalize in
/// order, because each cumulative root builds on the previous one.
interface IPoQSettlement is IRoundTail {
    /* TYPES */

    /// @notice Stored round status.
    enum Status {
        None,
        Registered,
        Active,
        Accepted,
        Finalized,
        Cancelled
    }

    /// @notice Phase of a round at the current block time (derived from status and deadlines).
    enum Phase {
        None,
        Assigning,
        Commit,
        Reveal,
        Settle,
        Challenge,
        Finalizable,
        Finalized,
        Cancelled
    }

    /// @notice Why an evaluator is slashed. NonReveal is checked on chain (the evaluator did not reveal); LowTrust
    /// rests on the relayer quorum.
    enum SlashReason {
        None,
        NonReveal,
        LowTrust
    }

    /// @notice Owner-set parameters; each field is checked against hard bounds.
    /// @param commitDuration Seconds of the evaluator commit window, from assignment acceptance.
    /// @param revealDuration Seconds of the reveal window, after the commit window.
    /// @param settleDuration Seconds after which a settlement attempt without quorum may be reset by the guardian.
    /// @param challengeDuration Seconds of the guardian's veto window after a settlement is accepted.
    /// @param maxTasks Largest task batch.
    /// @param maxSlashes Longest slash list in one settlement.
    /// @param nonRevealSlashBps Slash for a non-revealing evaluator, in basis points of its stake.
    /// @param lowTrustSlashBps Slash for an evaluator whose trust stayed low, in basis points of its stake.
    /// @param k Evaluators per task.
    /// @param quorum Relayers that must agree on an assignment and on a settlement.
    /// @param maxVetoes Vetoes of accepted settlements allowed per round.
    /// @param policyHash Hash of the off-chain policy (scoring profile, consensus and reward parameters) that
    /// relayers must use; relayers refuse to settle under a different policy.
    struct Params {
        uint32 commitDuration;
        uint32 revealDuration;
        uint32 settleDuration;
        uint32 challengeDuration;
        uint32 maxTasks;
        uint16 maxSlashes;
        uint16 nonRevealSlashBps;
        uint16 lowTrustSlashBps;
        uint8 k;
        uint8 quorum;
        uint8 maxVetoes;
        bytes32 policyHash;
    }

    /// @notice A round. The first slot holds everything commits and reveals read.
    struct Round {
        Status status;
        uint8 k;
        uint8 vetoes;
        uint8 settleCommits;
        uint8 settleReveals;
        uint16 attempt;
        uint32 taskCount;
        uint40 commitDeadline;
        uint40 revealDeadline;
        uint40 settleStart;
        uint40 challengeEnd;
        uint32 paramsVersion;
        uint64 registeredBlock;
        bytes32 taskRoot;
        bytes32 seed;
        bytes32 assignmentRoot;
        bytes32 settlementHash;
    }

    /// @notice One slash: an evaluator and why.
    struct SlashEntry {
        address evaluator;
        uint8 reason;
    }

    /// @notice What relayers settle a round with.
    /// @param rewardsRoot Cumulative rewards root over all finalized rounds (OpenZeppelin standard leaves of
    /// `(address account, uint256 cumulativeAmount)`).
    /// @param cumulativeTotal Sum of all cumulative amounts in the tree.
    /// @param inferencePaid This round's payment from its inference pool.
    /// @param evaluatorPaid This round's payment from its evaluator pool.
    /// @param trustRoot Root over `(address evaluator, uint256 trustPpm)` after this round.
    /// @param inputsHash Hash of every input the settlement was computed from.
    /// @param paramsVersion The parameter version the round was registered under.
    /// @param slashes Evaluators to slash, strictly ascending by address.
    struct Settlement {
        bytes32 rewardsRoot;
        uint256 cumulativeTotal;
        uint256 inferencePaid;
        uint256 evaluatorPaid;
        bytes32 trustRoot;
        bytes32 inputsHash;
        uint32 paramsVersion;
        SlashEntry[] slashes;
    }

    /// @notice One evaluator's reveal, signed by the evaluator, that anyone (normally a relayer) may submit together with
    /// other evaluators' reveals in one {revealScoresBatch} transaction.
    /// @param scores Packed scores, as for {revealScores}.
    /// @param salt The salt of the evaluator's commitment.
    /// @param tasksHash The `tasksHash` of the evaluator's assignment leaf.
    /// @param assignmentProof The evaluator's assignment proof.
    /// @param r First half of the evaluator's EIP-2098 compact signature over the EIP-712 struct
    /// `Reveal(uint256 roundId,bytes scores,bytes32 salt)` (domain: name "PoQSettlement", version "1", the chain id and
    /// this contract); see {revealDigest}.
    /// @param vs Second half of the compact signature (`s` with the parity of `v` in its top bit).
    struct SignedReveal {
        bytes scores;
        bytes32 salt;
        bytes32 tasksHash;
        bytes32[] assignmentProof;
        bytes32 r;
        bytes32 vs;
    }

    /* ERRORS */

    /// @notice The caller is not a relayer.
    error NotRelayer(address caller);
    /// @notice The caller is not the guardian.
    error NotGuardian(address caller);
    /// @notice No such round.
    error UnknownRound(uint256 roundId);
    /// @notice The round is not in the phase this call needs.
    error WrongPhase(uint256 roundId, Phase expected, Phase actual);
    /// @notice The task count is 0 or above the batch limit.
    error InvalidTaskCount(uint256 taskCount, uint256 maxTasks);
    /// @notice A zero root or commitment was given.
    error ZeroValue(string name);
    /// @notice This relayer already proposed an assignment for this round.
    error AssignmentAlreadyProposed(uint256 roundId, address relayer);
    /// @notice This evaluator already committed in this round.
    error AlreadyCommitted(uint256 roundId, address evaluator);
    /// @notice This evaluator has no commitment in this round.
    error NotCommitted(uint256 roundId, address evaluator);
    /// @notice This evaluator already revealed in this round.
    error AlreadyRevealed(uint256 roundId, address evaluator);
    /// @notice The packed scores are empty or of odd length.
    error MalformedScores(uint256 length);
    /// @notice A score above 10000 (quality 10 scaled by 1000).
    error ScoreOutOfRange(uint256 index, uint256 value);
    /// @notice The revealed scores and salt do not hash to the commitment.
    error RevealMismatch(uint256 roundId, address evaluator);
    /// @notice The evaluator is not assigned this number of tasks in this round.
    error NotAssigned(uint256 roundId, address evaluator, uint256 scoreCount);
    /// @notice The signature of the reveal at `index` of a batch is malformed (it recovers no signer).
    error InvalidRevealSignature(uint256 roundId, uint256 index);
    /// @notice This relayer already committed a settlement in the current attempt.
    error SettlementAlreadyCommitted(uint256 roundId, address relayer);
    /// @notice Settlement commits are closed: a settlement reveal already happened in this attempt.
    error SettlementCommitsClosed(uint256 roundId);
    /// @notice Settlement reveals open once `quorum` relayers have committed.
    error SettlementRevealsNotOpen(uint256 roundId, uint256 commits, uint256 quorum);
    /// @notice This relayer has no settlement commitment in the current attempt.
    error SettlementNotCommitted(uint256 roundId, address relayer);
    /// @notice This relayer already revealed in the current attempt.
    error SettlementAlreadyRevealed(uint256 roundId, address relayer);
    /// @notice The revealed settlement and salt do not hash to the relayer's commitment.
    error SettlementRevealMismatch(uint256 roundId, address relayer);
    /// @notice The settlement's parameter version is not the round's.
    error ParamsVersionMismatch(uint256 expected, uint256 given);
    /// @notice The slash list is longer than allowed.
    error TooManySlashes(uint256 count, uint256 max);
    /// @notice The slash list is not strictly ascending by address at `index`.
    error SlashesNotSorted(uint256 index);
    /// @notice A slash entry with an unknown reason.
    error InvalidSlashReason(uint256 index, uint8 reason);
    /// @notice The settlement pays a pool more than was funded for the round.
    error SettlementExceedsFunding(uint256 roundId, uint256 paid, uint256 funded);
    /// @notice The settlement's cumulative total is not the distributor's allocation plus this round's payments.
    error CumulativeTotalMismatch(uint256 expected, uint256 given);
    /// @notice The settlement given to finalize is not the accepted one.
    error SettlementMismatch(uint256 roundId, bytes32 accepted, bytes32 given);
    /// @notice The previous round has not been finalized or cancelled yet.
    error PreviousRoundOpen(uint256 roundId, uint256 previousRoundId);
    /// @notice A veto is not allowed in this phase (or a stuck attempt is not yet old enough to reset).
    error VetoNotAllowed(uint256 roundId, Phase phase);
    /// @notice The round used up its vetoes.
    error VetoLimitReached(uint256 roundId, uint256 vetoes);
    /// @notice A parameter outside its hard bounds.
    error ParamOutOfBounds(string name, uint256 value, uint256 min, uint256 max);
    /// @notice The setter was called with the values already in force.
    error ParamsUnchanged();
    /// @notice The quorum would exceed the number of relayers.
    error QuorumAboveRelayers(uint256 quorum, uint256 relayers);
    /// @notice The relayer is already in the requested state.
    error RelayerUnchanged(address relayer, bool enabled);
    /// @notice The zero address was given.
    error ZeroAddress();
    /// @notice The round tail would not be shorter than the vault's unbonding period.
    error UnbondingTooShort(uint256 unbondingPeriod, uint256 roundTail);

    /* EVENTS */

    /// @notice Emitted when `relayer` opens round `roundId` with a task batch.
    event TasksRegistered(
        uint256 indexed roundId,
        address indexed relayer,
        bytes32 taskRoot,
        uint256 taskCount,
        bytes32 seed,
        uint256 k,
        uint256 paramsVersion
    );
    /// @notice Emitted when `relayer` proposes the round's assignment root; `votes` is the tally for that root.
    event AssignmentProposed(uint256 indexed roundId, address indexed relayer, bytes32 assignmentRoot, uint256 votes);
    /// @notice Emitted when an assignment root reaches quorum; the commit window opens.
    event AssignmentAccepted(
        uint256 indexed roundId,
        address indexed relayer,
        bytes32 assignmentRoot,
        uint256 commitDeadline,
        uint256 revealDeadline
    );
    /// @notice Emitted when `evaluator` commits to its scores.
    event ScoresCommitted(uint256 indexed roundId, address indexed evaluator, bytes32 commitment);
    /// @notice Emitted when `evaluator` reveals its packed scores (one big-endian uint16 per assigned task).
    event ScoresRevealed(uint256 indexed roundId, address indexed evaluator, bytes scores);
    /// @notice Emitted when `relayer` commits to a settlement in `attempt`.
    event SettlementCommitted(uint256 indexed roundId, address indexed relayer, uint256 attempt, bytes32 commitment);
    /// @notice Emitted when `relayer` reveals its settlement; the full settlement is in the event for anyone to
    /// recompute and to finalize with.
    event SettlementRevealed(
        uint256 indexed roundId,
        address indexed relayer,
        uint256 attempt,
        bytes32 settlementHash,
        IPoQSettlement.Settlement settlement
    );
    /// @notice Emitted when a settlement reaches quorum; the challenge window opens.
    event SettlementAccepted(
        uint256 indexed roundId, address indexed relayer, bytes32 settlementHash, uint256 challengeEnd
    );
    /// @notice Emitted when the guardian vetoes an accepted settlement or resets a stuck attempt.
    event SettlementVetoed(uint256 indexed roundId, address indexed guardian, bytes32 settlementHash, uint256 newAttempt);
    /// @notice Emitted when a slash entry is skipped because the chain contradicts it (a NonReveal entry for an
    /// evaluator that revealed).
    event SlashSkipped(uint256 indexed roundId, address indexed evaluator, uint8 reason);
    /// @notice Emitted when `caller` finalizes the round.
    event RoundFinalized(uint256 indexed roundId, address indexed caller, bytes32 settlementHash, uint256 slashedTotal);
    /// @notice Emitted when the guardian cancels a round that cannot settle; its pools become sweepable.
    event RoundCancelled(uint256 indexed roundId, address indexed guardian);
    /// @notice Emitted when the owner sets new parameters.
    event ParamsSet(uint256 indexed version, address indexed owner, IPoQSettlement.Params params);
    /// @notice Emitted when a relayer is added or removed.
    event RelayerSet(address indexed relayer, bool enabled);
    /// @notice Emitted when the guardian changes.
    event GuardianSet(address indexed guardian);

    /* ROUND LIFECYCLE */

    /// @notice Opens a new round with a task batch. The seed is derived from `block.prevrandao`, the round id and
    /// the task root, so no relayer knows it before the transaction is included.
    /// Requirements: caller is a relayer; `taskRoot` non-zero; 0 < `taskCount` ≤ `maxTasks`.
    /// Emits a {TasksRegistered} event.
    function registerTasks(bytes32 taskRoot, uint256 taskCount) external returns (uint256 roundId);

    /// @notice Votes for the round's assignment root: OpenZeppelin standard leaves of
    /// `(address evaluator, uint256 scoreCount, bytes32 tasksHash)` where `tasksHash` is
    /// `keccak256(abi.encodePacked(uint32[] taskIndexes))` in ascending order. At quorum the commit window opens.
    /// Requirements: caller is a relayer that has not voted in this round; phase Assigning; non-zero root.
    /// Emits an {AssignmentProposed} event, and an {AssignmentAccepted} event at quorum.
    function proposeAssignment(uint256 roundId, bytes32 assignmentRoot) external;

    /// @notice Commits the caller's scores: `keccak256(abi.encode(chainId, this, roundId, evaluator,
    /// keccak256(scores), salt))`. Binding chain, contract, round and evaluator makes a commitment useless anywhere
    /// else. Eligibility is checked at reveal, against the assignment, to keep commits cheap.
    /// Requirements: phase Commit; non-zero commitment; one commitment per evaluator and round.
    /// Emits a {ScoresCommitted} event.
    function commitScores(uint256 roundId, bytes32 commitment) external;

    /// @notice Reveals the caller's packed scores with its salt and its assignment proof. Only the hash of the
    /// scores is stored; the scores are in the event.
    /// Requirements: phase Reveal; committed and not yet revealed; scores non-empty, of even length, each ≤ 10000;
    /// the hash matches the commitment; the assignment leaf `(caller, scores.length / 2, tasksHash)` is proven.
    /// Emits a {ScoresRevealed} event.
    function revealScores(
        uint256 roundId,
        bytes calldata scores,
        bytes32 salt,
        bytes32 tasksHash,
        bytes32[] calldata assignmentProof
    ) external;

    /// @notice Reveals the scores of many evaluators in one transaction, each authorized by the evaluator's EIP-712
    /// signature: the signer of entry i is the evaluator it reveals for. Each entry is checked exactly as
    /// {revealScores} checks a reveal by the evaluator itself (packing and range, commitment, assignment), and stores
    /// and emits the same. Anyone may submit (normally a relayer); the signature and the commitment bind every entry
    /// to its evaluator, round, contract and chain, so a submitter can only include or leave out a reveal, never
    /// alter it. An entry whose evaluator has already revealed (by itself or in an earlier batch) is skipped, so a
    /// race with a direct reveal never fails the batch. Returns the number of reveals stored.
    /// Requirements: phase Reveal; at least one entry; for each entry: a well-formed signature whose signer has
    /// committed; scores non-empty, of even length, each ≤ 10000; the hash matches the signer's commitment; the
    /// assignment leaf `(signer, scores.length / 2, tasksHash)` is proven.
    /// Emits a {ScoresRevealed} event per stored reveal.
    function revealScoresBatch(uint256 roundId, SignedReveal[] calldata reveals) external returns (uint256 revealed);

    /// @notice Commits the caller's settlement: `keccak256(abi.encode(chainId, this, roundId, relayer,
    /// settlementHash, salt))` with `settlementHash = keccak256(abi.encode(settlement))`.
    /// Requirements: caller is a relayer; phase Settle; the previous round is closed (each cumulative root builds on
    /// the previous one); no settlement revealed yet in this attempt; one commitment per relayer and attempt.
    /// Emits a {SettlementCommitted} event.
    function commitSettlement(uint256 roundId, bytes32 commitment) external;

    /// @notice Reveals the caller's settlement. At `quorum` identical reveals the settlement is accepted.
    /// Requirements: caller is a relayer that committed in this attempt and has not revealed; phase Settle;
    /// at least `quorum` commitments; the settlement matches the commitment, carries the round's parameter version,
    /// a sorted slash list no longer than `maxSlashes` with known reasons, pays no pool more than was funded, and its
    /// cumulative total is the distributor's allocation plus this round's payments.
    /// Emits a {SettlementRevealed} event, and a {SettlementAccepted} event at quorum.
    function revealSettlement(uint256 roundId, Settlement calldata settlement, bytes32 salt) external;

    /// @notice Vetoes the accepted settlement inside the challenge window (at most `maxVetoes` times per round), or
    /// resets a settlement attempt that found no quorum within `settleDuration`. Settlement reopens.
    /// Requirements: caller is the guardian; phase Challenge with vetoes left, or phase Settle with the attempt
    /// older than `settleDuration`.
    /// Emits a {SettlementVetoed} event.
    function vetoSettlement(uint256 roundId) external;

    /// @notice Finalizes a round after its challenge window: installs the rewards root in the distributor (which
    /// takes the round's payments from its reward vault) and executes the slashes. Anyone may call it with the
    /// accepted settlement (from the {SettlementRevealed} event).
    /// Requirements: phase Finalizable; the previous round finalized or cancelled; the settlement is the accepted
    /// one.
    /// Emits a {RoundFinalized} event (and the vault's and distributor's events).
    function finalize(uint256 roundId, Settlement calldata settlement) external;

    /// @notice Cancels a round that has no accepted settlement, so later rounds can finalize. Its pools stay in the
    /// reward vault and become sweepable; nothing is paid or slashed for it.
    /// Requirements: caller is the guardian; phase Assigning, Commit, Reveal or Settle.
    /// Emits a {RoundCancelled} event.
    function cancelRound(uint256 roundId) external;

    /* VIEWS */

    /// @notice The current parameters.
    function params() external view returns (Params memory);
    /// @notice The current parameter version (incremented by every {ParamsSet}).
    function paramsVersion() external view returns (uint256);
    /// @notice Round `roundId` as stored.
    function getRound(uint256 roundId) external view returns (Round memory);
    /// @notice The phase of `roundId` at the current block time.
    function phaseOf(uint256 roundId) external view returns (Phase);
    /// @notice The number of rounds opened so far (the latest round id).
    function roundCount() external view returns (uint256);
    /// @notice The latest round that is finalized or cancelled, in order (rounds close in sequence).
    function lastClosedRound() external view returns (uint256);
    /// @notice `evaluator`'s stored word in `roundId`: its commitment, or after reveal the hash of its scores
    /// (low bit cleared), and whether it revealed.
    function scoreRecord(uint256 roundId, address evaluator) external view returns (bytes32 digest, bool revealed);
    /// @notice Whether `account` is a relayer.
    function isRelayer(address account) external view returns (bool);
    /// @notice The number of relayers.
    function relayerCount() external view returns (uint256);
    /// @notice The guardian.
    function guardian() external view returns (address);
    /// @notice The stake vault.
    function vault() external view returns (address);
    /// @notice The reward distributor.
    function distributor() external view returns (address);
    /// @notice The commitment an evaluator must post for `scores` and `salt`.
    function scoreCommitment(uint256 roundId, address evaluator, bytes calldata scores, bytes32 salt)
        external
        view
        returns (bytes32);
    /// @notice The commitment a relayer must post for `settlementHash` and `salt`.
    function settlementCommitment(uint256 roundId, address relayer, bytes32 settlementHash, bytes32 salt)
        external
        view
        returns (bytes32);
    /// @notice The EIP-712 digest an evaluator signs to authorize the batched reveal of `scores` with `salt` in
    /// `roundId`: the struct `Reveal(uint256 roundId,bytes scores,bytes32 salt)` under the domain (name
    /// "PoQSettlement", version "1", chain id, this contract).
    function revealDigest(uint256 roundId, bytes calldata scores, bytes32 salt) external view returns (bytes32);
    /// @notice `keccak256(abi.encode(settlement))`.
    function hashSettlement(Settlement calldata settlement) external pure returns (bytes32);
}
