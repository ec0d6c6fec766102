// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IWithdrawalGate} from "./IWithdrawalGate.sol";
import {ISettlementConfig} from "./ISettlementConfig.sol";

/// @title IPoQSettlement
/// @notice The round state machine of Proof-of-Quality settlement.
///
/// A round: a bonded relayer registers a task batch (a Merkle root over the tasks, their count, a commitment to the
/// round's hidden gold tasks and a pointer to the batch manifest). The seed is the hash of a block mined after the
/// registration (`seedBlock`), so nobody who fixes the batch knows it. Anyone records the seed; the relayers compute
/// the stake-weighted evaluator assignment from it and agree on its root by quorum before the assignment deadline.
/// Each assigned evaluator commits to its scores, then reveals them (one uint16 per assigned task: quality 0..10
/// scaled by 1000, or {UNAVAILABLE}). Anyone may slash a committed evaluator that did not reveal. Once every earlier
/// round is closed, the relayers commit to a settlement inside a fixed commit window and reveal it in the window
/// after; it is accepted once `quorum` bonded relayers revealed the same settlement. During the challenge window
/// anyone may challenge it through the challenge contract (the settlement is rejected and the relayers that revealed
/// it lose their bonds if the challenge holds), and the guardian may veto it a bounded number of times; both reopen
/// settlement. After the window anyone finalizes: the rewards root is installed in the distributor, which moves the
/// round's payments out of the reward vault, and the low-trust slashes execute. A round that misses its assignment
/// deadline or its settlement expiry can be cancelled by anyone; its funders take their contributions back.
///
/// Every duration and bound is pinned per round: a round runs under the parameter version (see {ISettlementConfig})
/// it was registered with.
interface IPoQSettlement is IWithdrawalGate {
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

    /// @notice Phase of a round at the current block (derived from status, deadlines and block number).
    /// Seeding: registered, seed not recorded yet. Assigning: seed recorded, assignment root not yet at quorum.
    /// Commit, Reveal: the evaluators' windows. Settle: relayers commit and reveal settlements in timed attempts.
    /// Challenge: a settlement is accepted and may be challenged or vetoed (also while challenges await answers).
    /// Finalizable: the window passed with no open challenge. Expired: the round missed a deadline and can be
    /// cancelled by anyone.
    enum Phase {
        None,
        Seeding,
        Assigning,
        Commit,
        Reveal,
        Settle,
        Challenge,
        Finalizable,
        Finalized,
        Cancelled,
        Expired
    }

    /// @notice Why an evaluator is slashed. NonReveal rests on the chain alone (a commitment without a reveal);
    /// LowTrust on the relayer quorum, and is bounded per round and per evaluator.
    enum SlashReason {
        None,
        NonReveal,
        LowTrust
    }

    /// @notice Kinds of content a relayer points to with {announce}.
    enum ContentKind {
        None,
        Manifest,
        GoldOpening,
        Payload,
        Assignment
    }

    /// @notice A round. The first slot holds everything evaluator commits and reveals read.
    struct Round {
        Status status;
        uint16 attempt;
        uint8 vetoes;
        uint8 extensions;
        uint32 taskCount;
        uint32 paramsVersion;
        uint40 commitDeadline;
        uint40 revealDeadline;
        uint40 attemptStart;
        uint40 registeredAt;
        uint40 assignDeadline;
        uint40 expiresAt;
        uint40 challengeEnd;
        uint64 seedBlock;
        address registrar;
        bytes32 taskRoot;
        bytes32 goldCommitment;
        bytes32 seed;
        bytes32 assignmentRoot;
        bytes32 settlementHash;
        uint256 acceptedVoters;
    }

    /// @notice What `registerTasks` takes.
    /// @param taskRoot OpenZeppelin standard Merkle root over the tasks `(uint256 index, address node, bytes32 modelId,
    /// bytes32 contentHash, uint256 costUnits)`, gold tasks included.
    /// @param taskCount Number of tasks.
    /// @param goldCommitment `keccak256(abi.encode(goldRoot, goldCount, goldSalt))` of the round's gold tasks (see
    /// {Settlement}), or zero for a round without gold tasks.
    /// @param manifestCid Content identifier of the batch manifest (the task list), for anyone to fetch.
    struct Registration {
        bytes32 taskRoot;
        uint32 taskCount;
        bytes32 goldCommitment;
        bytes manifestCid;
    }

    /// @notice What relayers settle a round with.
    /// @param rewardsRoot Root hash of the cumulative rewards sum tree over all finalized rounds (see
    /// {SumTreeLib}): leaves `(address account, uint256 cumulativeAmount)` sorted by account, each node binding its
    /// children's hashes and sums.
    /// @param cumulativeTotal The tree's root sum: every account's cumulative amount added up.
    /// @param inferencePaid This round's payment from its inference pool.
    /// @param evaluatorPaid This round's payment from its evaluator pool.
    /// @param trustRoot Root over `(address evaluator, uint256 trustPpm)` after this round.
    /// @param inputsHash Hash of every input the settlement was computed from.
    /// @param goldRoot OpenZeppelin standard Merkle root over the round's gold tasks `(uint256 taskIndex, uint256
    /// poolIndex, bytes32 contentHash, uint256 quality)`; zero without gold.
    /// @param goldSalt The salt that opens the round's gold commitment.
    /// @param goldCount Number of gold tasks.
    /// @param paramsVersion The parameter version the round was registered under.
    /// @param flags Bit 0: low-trust slashing frozen this round (the circuit breaker held). Other bits are zero.
    /// @param lowTrustSlashes Evaluators to slash for low trust, strictly ascending by address.
    struct Settlement {
        bytes32 rewardsRoot;
        uint256 cumulativeTotal;
        uint256 inferencePaid;
        uint256 evaluatorPaid;
        bytes32 trustRoot;
        bytes32 inputsHash;
        bytes32 goldRoot;
        bytes32 goldSalt;
        uint32 goldCount;
        uint32 paramsVersion;
        uint32 flags;
        address[] lowTrustSlashes;
    }

    /// @notice One evaluator's reveal, signed by the evaluator, that anyone (normally a relayer) may submit together
    /// with other evaluators' reveals in one {revealScoresBatch} transaction.
    /// @param scores Packed scores, as for {revealScores}.
    /// @param salt The salt of the evaluator's commitment.
    /// @param tasksHash The `tasksHash` of the evaluator's assignment leaf.
    /// @param assignmentProof The evaluator's assignment proof.
    /// @param r First half of the evaluator's EIP-2098 compact signature over the EIP-712 struct
    /// `Reveal(uint256 roundId,bytes scores,bytes32 salt)` (domain: name "PoQSettlement", version "2", the chain id
    /// and this contract); see {revealDigest}.
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
    error SettlementNotRelayer(address caller);
    /// @notice The relayer's bond is below the round's minimum.
    error SettlementBondTooLow(address relayer, uint256 bond, uint256 minimum);
    /// @notice The caller is not the guardian.
    error SettlementNotGuardian(address caller);
    /// @notice The caller is not the challenge contract.
    error SettlementNotChallenges(address caller);
    /// @notice No such round.
    error SettlementUnknownRound(uint256 roundId);
    /// @notice The round is not in the phase this call needs.
    error SettlementWrongPhase(uint256 roundId, Phase expected, Phase actual);
    /// @notice The task count is 0 or above the batch limit.
    error SettlementInvalidTaskCount(uint256 taskCount, uint256 maxTasks);
    /// @notice Too many rounds are open.
    error SettlementTooManyOpenRounds(uint256 open, uint256 max);
    /// @notice A zero root or commitment was given.
    error SettlementZeroValue(string name);
    /// @notice A content identifier longer than {MAX_CID_LENGTH} bytes.
    error SettlementCidTooLong(uint256 length);
    /// @notice The seed block is not mined yet.
    error SettlementSeedNotReady(uint256 roundId, uint256 seedBlock);
    /// @notice The seed block is mined: the round's seed is fixed, and the guardian can no longer cancel it.
    error SettlementSeedFixed(uint256 roundId, uint256 seedBlock);
    /// @notice This evaluator already committed in this round.
    error SettlementAlreadyCommitted(uint256 roundId, address evaluator);
    /// @notice This evaluator has no open commitment in this round.
    error SettlementNotCommitted(uint256 roundId, address evaluator);
    /// @notice This evaluator already revealed (or was slashed) in this round.
    error SettlementAlreadyRevealed(uint256 roundId, address evaluator);
    /// @notice The revealed scores and salt do not hash to the commitment.
    error SettlementRevealMismatch(uint256 roundId, address evaluator);
    /// @notice The evaluator is not assigned this number of tasks in this round.
    error SettlementNotAssigned(uint256 roundId, address evaluator, uint256 scoreCount);
    /// @notice The signature of the reveal at `index` of a batch is malformed (it recovers no signer).
    error SettlementInvalidRevealSignature(uint256 roundId, uint256 index);
    /// @notice The round's reveal deadline has not passed: a missing reveal is not yet evidence.
    error SettlementRevealOpen(uint256 roundId, uint256 revealDeadline);
    /// @notice An earlier round is not closed yet; each cumulative root builds on the previous one.
    error SettlementPreviousRoundOpen(uint256 roundId, uint256 lastClosedRound);
    /// @notice The settlement commit window of the current attempt is closed.
    error SettlementCommitsClosed(uint256 roundId, uint256 attempt);
    /// @notice The settlement reveal window of the current attempt is not open.
    error SettlementRevealsClosed(uint256 roundId, uint256 attempt);
    /// @notice This relayer already committed a settlement in the current attempt.
    error SettlementAlreadyVoted(uint256 roundId, address relayer, uint256 attempt);
    /// @notice This relayer has no settlement commitment in the current attempt.
    error SettlementNoVote(uint256 roundId, address relayer, uint256 attempt);
    /// @notice The revealed settlement and salt do not hash to the relayer's commitment.
    error SettlementVoteMismatch(uint256 roundId, address relayer);
    /// @notice The settlement's parameter version is not the round's.
    error SettlementParamsVersionMismatch(uint256 expected, uint256 given);
    /// @notice The low-trust slash list is longer than allowed.
    error SettlementTooManySlashes(uint256 count, uint256 max);
    /// @notice The low-trust slash list is not strictly ascending by address at `index`.
    error SettlementSlashesNotSorted(uint256 index);
    /// @notice The settlement sets unknown flag bits, or slashes for low trust while the breaker holds.
    error SettlementBadFlags(uint256 flags, uint256 slashes);
    /// @notice The settlement pays a pool more than was funded for the round.
    error SettlementExceedsFunding(uint256 roundId, uint256 paid, uint256 funded);
    /// @notice The settlement's cumulative total is not the distributor's allocation plus this round's payments.
    error SettlementCumulativeTotalMismatch(uint256 expected, uint256 given);
    /// @notice The settlement's gold fields do not open the commitment made at registration.
    error SettlementGoldMismatch(uint256 roundId);
    /// @notice The settlement given is not the accepted one.
    error SettlementMismatch(uint256 roundId, bytes32 accepted, bytes32 given);
    /// @notice The round used up its vetoes.
    error SettlementVetoLimitReached(uint256 roundId, uint256 vetoes);
    /// @notice The zero address was given.
    error SettlementZeroAddress();
    /// @notice The contracts were already wired together.
    error SettlementAlreadyWired();
    /// @notice The caller may not wire the contracts (only the deployer, once).
    error SettlementNotDeployer(address caller);

    /* EVENTS */

    /// @notice Emitted when `registrar` opens round `roundId` with a task batch.
    event TasksRegistered(
        uint256 indexed roundId,
        address indexed registrar,
        bytes32 taskRoot,
        uint256 taskCount,
        bytes32 goldCommitment,
        uint256 seedBlock,
        uint256 paramsVersion,
        bytes manifestCid
    );
    /// @notice Emitted when `caller` records the round's seed from the seed block's hash.
    event SeedDrawn(uint256 indexed roundId, address indexed caller, bytes32 seed);
    /// @notice Emitted when `relayer` votes for the round's assignment root; `votes` counts current relayers.
    event AssignmentProposed(uint256 indexed roundId, address indexed relayer, bytes32 assignmentRoot, uint256 votes);
    /// @notice Emitted when an assignment root reaches quorum; the commit window opens.
    event AssignmentAccepted(
        uint256 indexed roundId, bytes32 assignmentRoot, uint256 commitDeadline, uint256 revealDeadline
    );
    /// @notice Emitted when `evaluator` commits to its scores.
    event ScoresCommitted(uint256 indexed roundId, address indexed evaluator, bytes32 commitment);
    /// @notice Emitted when `evaluator` reveals its packed scores (one big-endian uint16 per assigned task).
    event ScoresRevealed(uint256 indexed roundId, address indexed evaluator, bytes scores);
    /// @notice Emitted when `relayer` commits to a settlement in `attempt`; the attempt's commit window closes at
    /// `commitsClose` and its reveal window at `revealsClose`.
    event SettlementCommitted(
        uint256 indexed roundId,
        address indexed relayer,
        uint256 attempt,
        bytes32 commitment,
        uint256 commitsClose,
        uint256 revealsClose
    );
    /// @notice Emitted when `relayer` reveals its settlement; the full settlement is in the event for anyone to
    /// recompute and to finalize with, and `payloadCid` points to the relayer's published payload (every leaf).
    event SettlementRevealed(
        uint256 indexed roundId,
        address indexed relayer,
        uint256 attempt,
        bytes32 settlementHash,
        IPoQSettlement.Settlement settlement,
        bytes payloadCid
    );
    /// @notice Emitted when a settlement reaches quorum; the challenge window opens.
    event SettlementAccepted(uint256 indexed roundId, uint256 attempt, bytes32 settlementHash, uint256 challengeEnd);
    /// @notice Emitted when the guardian vetoes the accepted settlement; settlement reopens until `expiresAt`.
    event SettlementVetoed(uint256 indexed roundId, address indexed guardian, bytes32 settlementHash, uint256 expiresAt);
    /// @notice Emitted when a challenge against the accepted settlement holds; the relayers that revealed it lose
    /// `seized` of bond in all, `reward` of which goes to `challenger`. Settlement reopens until `expiresAt`.
    event SettlementRejected(
        uint256 indexed roundId,
        address indexed challenger,
        bytes32 settlementHash,
        uint256 seized,
        uint256 reward,
        uint256 expiresAt
    );
    /// @notice Emitted when a low-trust slash entry is skipped because the evaluator did not reveal in the round.
    event SlashSkipped(uint256 indexed roundId, address indexed evaluator, uint8 reason);
    /// @notice Emitted when `caller` finalizes the round.
    event RoundFinalized(uint256 indexed roundId, address indexed caller, bytes32 settlementHash, uint256 slashedTotal);
    /// @notice Emitted when `caller` cancels the round: expired (anyone) or before any work (the guardian). Its
    /// funders can take their contributions back.
    event RoundCancelled(uint256 indexed roundId, address indexed caller, Phase phase);
    /// @notice Emitted when `relayer` points to content of `kind` for `roundId`.
    event ContentAnnounced(uint256 indexed roundId, address indexed relayer, ContentKind indexed kind, bytes cid);
    /// @notice Emitted once, when the deployer wires in the challenge contract.
    event ChallengesSet(address indexed challenges);

    /* ROUND OPENING */

    /// @notice Opens a new round with a task batch. The seed is the hash of block `block.number + seedDelay`, unknown
    /// to whoever fixes the batch.
    /// Requirements: caller is a relayer with at least the minimum bond; `taskRoot` non-zero; 0 < `taskCount` ≤
    /// `maxTasks`; fewer than `maxOpenRounds` rounds open; the manifest CID at most {MAX_CID_LENGTH} bytes.
    /// Emits a {TasksRegistered} event.
    /// @param registration The batch: task root and count, gold commitment, manifest CID.
    /// @return roundId The new round's id (one more than the previous round's).
    function registerTasks(Registration calldata registration) external returns (uint256 roundId);

    /// @notice Records the round's seed: `keccak256(abi.encode(blockhash(seedBlock), roundId, taskRoot))`. The value
    /// is fixed once the seed block is mined, so whoever calls it and whenever (within 256 blocks) it is the same:
    /// there is no re-roll. A second call is a no-op.
    /// Requirements: the round is known; the seed block is mined; the round has not expired (its seed block is
    /// still among the last 256).
    /// Emits a {SeedDrawn} event the first time.
    /// @param roundId The round.
    /// @return seed The round's seed.
    function drawSeed(uint256 roundId) external returns (bytes32 seed);

    /// @notice Votes for the round's assignment root: OpenZeppelin standard leaves of
    /// `(address evaluator, uint256 scoreCount, bytes32 tasksHash)` where `tasksHash` is
    /// `keccak256(abi.encodePacked(uint32[] taskIndexes))` in ascending order. Records the seed first if needed.
    /// At quorum (current relayers only) the commit window opens. A vote after acceptance, or a second vote, is a
    /// no-op.
    /// Requirements: caller is a relayer with the round's minimum bond; phase Seeding (with a mined seed block) or
    /// Assigning; non-zero root.
    /// Emits an {AssignmentProposed} event, and an {AssignmentAccepted} event at quorum.
    /// @param roundId The round.
    /// @param assignmentRoot The assignment root the caller computed.
    function proposeAssignment(uint256 roundId, bytes32 assignmentRoot) external;

    /* EVALUATOR COMMIT-REVEAL */

    /// @notice Commits the caller's scores: `keccak256(abi.encode(chainId, this, roundId, evaluator,
    /// keccak256(scores), salt))`. Binding chain, contract, round and evaluator makes a commitment useless anywhere
    /// else. Eligibility is checked at reveal, against the assignment. A commitment obliges a reveal: until the
    /// caller reveals (or is slashed for not revealing), it cannot withdraw stake.
    /// Requirements: phase Commit; a commitment that is not 0 or 1; one commitment per evaluator and round.
    /// Emits a {ScoresCommitted} event.
    /// @param roundId The round.
    /// @param commitment The commitment.
    function commitScores(uint256 roundId, bytes32 commitment) external;

    /// @notice Reveals the caller's packed scores with its salt and its assignment proof. Only the hash of the
    /// scores is stored; the scores are in the event.
    /// Requirements: phase Reveal; committed and not yet revealed; scores non-empty, of even length, each ≤ 10000 or
    /// equal to {UNAVAILABLE}; the hash matches the commitment; the assignment leaf `(caller, scores.length / 2,
    /// tasksHash)` is proven.
    /// Emits a {ScoresRevealed} event.
    /// @param roundId The round.
    /// @param scores One big-endian uint16 per assigned task, in ascending task order.
    /// @param salt The commitment's salt.
    /// @param tasksHash The caller's assignment leaf's `tasksHash`.
    /// @param assignmentProof The caller's assignment proof.
    function revealScores(
        uint256 roundId,
        bytes calldata scores,
        bytes32 salt,
        bytes32 tasksHash,
        bytes32[] calldata assignmentProof
    ) external;

    /// @notice Reveals the scores of many evaluators in one transaction, each authorized by the evaluator's EIP-712
    /// signature: the signer of entry i is the evaluator it reveals for. Each entry is checked exactly as
    /// {revealScores} checks a reveal by the evaluator itself. Anyone may submit; the signature and the commitment
    /// bind every entry to its evaluator, round, contract and chain, so a submitter can only include or leave out a
    /// reveal, never alter it. An entry whose evaluator has already revealed is skipped.
    /// Requirements: phase Reveal; at least one entry; each entry valid as for {revealScores}.
    /// Emits a {ScoresRevealed} event per stored reveal.
    /// @param roundId The round.
    /// @param reveals The signed reveals.
    /// @return revealed The number of reveals stored.
    function revealScoresBatch(uint256 roundId, SignedReveal[] calldata reveals) external returns (uint256 revealed);

    /// @notice Slashes an evaluator that committed in `roundId` and did not reveal by the reveal deadline
    /// (`nonRevealSlashBps` of its evaluator stake). Anyone may call it, for any number of evaluators, at any time
    /// after the deadline; a second call for the same evaluator and round is a no-op.
    /// Requirements: the reveal deadline passed; the evaluator committed and did not reveal.
    /// Emits the vault's {IStakeVault.Slashed} event.
    /// @param roundId The round.
    /// @param evaluator The evaluator.
    /// @return amount The amount slashed.
    function slashNonRevealer(uint256 roundId, address evaluator) external returns (uint256 amount);

    /* RELAYER SETTLEMENT */

    /// @notice Commits the caller's settlement: `keccak256(abi.encode(chainId, this, roundId, attempt, relayer,
    /// settlementHash, salt))` with `settlementHash = keccak256(abi.encode(settlement))`. The first commit after the
    /// previous attempt's windows (or the first of the round) starts a new attempt: its commit window lasts
    /// `settleCommitDuration`, its reveal window `settleRevealDuration` after that.
    /// Requirements: caller is a relayer with the round's minimum bond; phase Settle; every earlier round closed;
    /// the current attempt's commit window open; one commitment per relayer and attempt.
    /// Emits a {SettlementCommitted} event.
    /// @param roundId The round.
    /// @param commitment The commitment.
    function commitSettlement(uint256 roundId, bytes32 commitment) external;

    /// @notice Reveals the caller's settlement. At `quorum` identical reveals by current relayers the settlement is
    /// accepted and the challenge window opens. A reveal of the accepted settlement after acceptance (a relayer racing
    /// the quorum) is a no-op.
    /// Requirements: phase Settle; the current attempt's reveal window open; the caller committed in this attempt
    /// and has not revealed; the settlement matches the commitment, carries the round's parameter version, opens the
    /// round's gold commitment, has known flags, a sorted low-trust list no longer than `maxLowTrustSlashes` (empty
    /// when the breaker flag is set), pays no pool more than was funded, and its cumulative total is the
    /// distributor's allocation plus this round's payments.
    /// Emits a {SettlementRevealed} event, and a {SettlementAccepted} event at quorum.
    /// @param roundId The round.
    /// @param settlement The settlement.
    /// @param salt The commitment's salt.
    /// @param payloadCid Content identifier of the caller's published payload.
    function revealSettlement(uint256 roundId, Settlement calldata settlement, bytes32 salt, bytes calldata payloadCid)
        external;

    /// @notice Points to content for `roundId` (for example the gold opening the other relayers need to settle).
    /// Requirements: caller is a relayer; the round is known; the CID at most {MAX_CID_LENGTH} bytes.
    /// Emits a {ContentAnnounced} event.
    /// @param roundId The round.
    /// @param kind What the content is.
    /// @param cid Its content identifier.
    function announce(uint256 roundId, ContentKind kind, bytes calldata cid) external;

    /* CHALLENGE, VETO, CANCELLATION */

    /// @notice Vetoes the accepted settlement inside the challenge window, at most `maxVetoes` times per round.
    /// Settlement reopens, and the round's expiry moves by one attempt and challenge window (at most
    /// `maxExtensions` times). The guardian can only delay: it never cancels a round with work in it.
    /// Requirements: caller is the guardian; phase Challenge; vetoes left.
    /// Emits a {SettlementVetoed} event.
    /// @param roundId The round.
    function vetoSettlement(uint256 roundId) external;

    /// @notice Called by the challenge contract when a challenge against the accepted settlement holds: the relayers
    /// that revealed it lose their whole relayer bond (`challengeRewardBps` of it to the challenger, the rest to the
    /// slash recipient), and settlement reopens as after a veto.
    /// Requirements: caller is the challenge contract; the round's accepted settlement is `settlementHash`.
    /// Emits a {SettlementRejected} event.
    /// @param roundId The round.
    /// @param settlementHash The settlement the challenge held against.
    /// @param challenger Who receives the reward.
    function rejectSettlement(uint256 roundId, bytes32 settlementHash, address challenger) external;

    /// @notice Cancels a round: anyone once it expired (assignment deadline or settlement expiry missed, or its
    /// seed can no longer be drawn), the guardian only before its seed block is mined (phase Seeding, while nobody
    /// can know the seed: a cancellation after it would let the guardian re-roll the assignment).
    /// Nothing is paid or slashed for it (a committed non-revealer stays slashable); its funders can take their
    /// contributions back from the distributor. A second call is a no-op.
    /// Emits a {RoundCancelled} event.
    /// @param roundId The round.
    function cancelRound(uint256 roundId) external;

    /// @notice Finalizes a round after its challenge window with no open challenge: installs the rewards root in the
    /// distributor (which takes the round's payments from its reward vault) and executes the low-trust slashes of
    /// evaluators that revealed in the round. Anyone may call it with the accepted settlement (from the
    /// {SettlementRevealed} event). A call on a finalized round with its settlement is a no-op.
    /// Requirements: phase Finalizable; the settlement is the accepted one.
    /// Emits a {RoundFinalized} event (and the vault's and distributor's events).
    /// @param roundId The round.
    /// @param settlement The accepted settlement.
    function finalize(uint256 roundId, Settlement calldata settlement) external;

    /// @notice Moves the closed-round pointer over up to `maxSteps` consecutive closed rounds (finalize and cancel do
    /// it for up to {ADVANCE_STEPS}).
    /// @param maxSteps The most rounds to pass.
    /// @return lastClosed The new pointer.
    function advanceClosed(uint256 maxSteps) external returns (uint256 lastClosed);

    /* WIRING */

    /// @notice Wires in the challenge contract. Callable once, by the deployer.
    /// Emits a {ChallengesSet} event.
    /// @param challenges The challenge contract.
    function setChallenges(address challenges) external;

    /* VIEWS */

    /// @notice Round `roundId` as stored.
    /// @param roundId The round.
    /// @return The round.
    function getRound(uint256 roundId) external view returns (Round memory);
    /// @notice The phase of `roundId` at the current block.
    /// @param roundId The round.
    /// @return The phase.
    function phaseOf(uint256 roundId) external view returns (Phase);
    /// @notice The current settlement attempt of `roundId` and its windows (0s when no attempt runs).
    /// @param roundId The round.
    /// @return attempt The attempt number.
    /// @return commitsClose When its commit window closes.
    /// @return revealsClose When its reveal window closes.
    function settlementAttempt(uint256 roundId)
        external
        view
        returns (uint256 attempt, uint256 commitsClose, uint256 revealsClose);
    /// @notice The number of rounds opened so far (the latest round id).
    /// @return The count.
    function roundCount() external view returns (uint256);
    /// @notice The latest round up to which every round is finalized or cancelled.
    /// @return The round id.
    function lastClosedRound() external view returns (uint256);
    /// @notice `evaluator`'s record in `roundId`: its commitment, or after a reveal the hash of its scores.
    /// @param roundId The round.
    /// @param evaluator The evaluator.
    /// @return digest The commitment or scores hash (zero: never committed).
    /// @return revealed Whether it revealed.
    /// @return slashed Whether it was slashed for not revealing.
    function scoreRecord(uint256 roundId, address evaluator)
        external
        view
        returns (bytes32 digest, bool revealed, bool slashed);
    /// @notice The stake vault.
    /// @return Its address.
    function vault() external view returns (address);
    /// @notice The reward distributor.
    /// @return Its address.
    function distributor() external view returns (address);
    /// @notice The challenge contract.
    /// @return Its address.
    function challenges() external view returns (address);
    /// @notice The configuration: parameter versions, relayers and guardian, set by governance.
    /// @return Its address.
    function config() external view returns (address);
    /// @notice Whether `roundId` can take funding now, and the most its pools may hold together. A round is fundable
    /// from before its registration (the next id) until its reveal deadline: pools then freeze, so every relayer
    /// settles the same totals.
    /// @param roundId The round.
    /// @return open Whether funding is open.
    /// @return cap The most its two pools may hold together.
    function fundingWindow(uint256 roundId) external view returns (bool open, uint256 cap);
    /// @notice The commitment an evaluator must post for `scores` and `salt`.
    /// @param roundId The round.
    /// @param evaluator The evaluator.
    /// @param scores Packed scores.
    /// @param salt The salt.
    /// @return The commitment.
    function scoreCommitment(uint256 roundId, address evaluator, bytes calldata scores, bytes32 salt)
        external
        view
        returns (bytes32);
    /// @notice The commitment a relayer must post for `settlementHash` and `salt` in `attempt`.
    /// @param roundId The round.
    /// @param attempt The settlement attempt.
    /// @param relayer The relayer.
    /// @param settlementHash `keccak256(abi.encode(settlement))`.
    /// @param salt The salt.
    /// @return The commitment.
    function settlementCommitment(
        uint256 roundId,
        uint256 attempt,
        address relayer,
        bytes32 settlementHash,
        bytes32 salt
    ) external view returns (bytes32);
    /// @notice The EIP-712 digest an evaluator signs to authorize the batched reveal of `scores` with `salt` in
    /// `roundId`: the struct `Reveal(uint256 roundId,bytes scores,bytes32 salt)` under the domain (name
    /// "PoQSettlement", version "2", chain id, this contract).
    /// @param roundId The round.
    /// @param scores Packed scores.
    /// @param salt The salt.
    /// @return The digest.
    function revealDigest(uint256 roundId, bytes calldata scores, bytes32 salt) external view returns (bytes32);
    /// @notice `keccak256(abi.encode(settlement))`.
    /// @param settlement The settlement.
    /// @return The hash.
    function hashSettlement(Settlement calldata settlement) external pure returns (bytes32);
}
