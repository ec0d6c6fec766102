// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Ownable, Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";
import {IPoQSettlement} from "./interfaces/IPoQSettlement.sol";
import {IRoundTail} from "./interfaces/IRoundTail.sol";
import {IStakeVault} from "./interfaces/IStakeVault.sol";
import {IRewardDistributor} from "./interfaces/IRewardDistributor.sol";
import {ScoresLib} from "./libraries/ScoresLib.sol";

/// @title PoQSettlement
/// @notice Task batches, evaluator commit-reveal, relayer settlement with quorum, guardian veto and finalization.
contract PoQSettlement is IPoQSettlement, Ownable2Step {
    /* CONSTANTS (hard bounds on owner-set parameters) */

    uint256 public constant MIN_DURATION = 1;
    uint256 public constant MAX_DURATION = 30 days;
    uint256 public constant MAX_TASKS_BOUND = 100_000;
    uint256 public constant MAX_SLASHES_BOUND = 256;
    uint256 public constant MAX_K = 32;
    uint256 public constant MAX_QUORUM = 32;
    uint256 public constant MAX_VETOES_BOUND = 5;
    uint256 public constant MAX_SLASH_BPS = 5_000;

    /// @dev The low bit of an evaluator's stored word says whether it revealed. A commitment is stored with the bit
    /// cleared (255 bits of a keccak hash stay binding); after reveal the word is the scores hash with the bit set.
    bytes32 private constant _REVEALED = bytes32(uint256(1));

    /// @dev EIP-712 type of a signed reveal (see {IPoQSettlement.SignedReveal}). `bytes` is hashed as EIP-712 says.
    bytes32 private constant _REVEAL_TYPEHASH = keccak256("Reveal(uint256 roundId,bytes scores,bytes32 salt)");
    /// @dev The EIP-712 domain: name "PoQSettlement", version "1", chain id, this contract. Built here rather than by
    /// inheriting OpenZeppelin's EIP712, whose string immutables and ERC-5267 getter would not fit the size limit.
    bytes32 private constant _DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    bytes32 private constant _NAME_HASH = keccak256("PoQSettlement");
    bytes32 private constant _VERSION_HASH = keccak256("1");

    /* STORAGE */

    IStakeVault private immutable _vault;
    IRewardDistributor private immutable _distributor;

    Params private _params;
    uint32 private _paramsVersion;
    uint64 private _roundCount;
    uint64 private _lastClosedRound;
    uint8 private _relayerCount;
    address private _guardian;

    mapping(address account => bool) private _relayers;
    mapping(uint256 roundId => Round) private _rounds;
    mapping(uint256 roundId => mapping(address evaluator => bytes32)) private _scoreWords;
    mapping(uint256 roundId => mapping(address relayer => bool)) private _assignmentVoted;
    mapping(uint256 roundId => mapping(bytes32 root => uint256)) private _assignmentTally;
    mapping(uint256 roundId => mapping(address relayer => RelayerVote)) private _settlementVotes;
    mapping(uint256 roundId => mapping(uint256 attempt => mapping(bytes32 settlementHash => uint256))) private
        _settlementTally;

    /// @dev One relayer's settlement vote in a round; only valid for `attempt`.
    struct RelayerVote {
        bytes32 commitment;
        uint16 attempt;
        bool revealed;
    }

    /* MODIFIERS */

    modifier onlyRelayer() {
        require(_relayers[msg.sender], NotRelayer(msg.sender));
        _;
    }

    modifier onlyGuardian() {
        require(msg.sender == _guardian, NotGuardian(msg.sender));
        _;
    }

    /* CONSTRUCTOR */

    constructor(
        address owner_,
        IStakeVault vault_,
        IRewardDistributor distributor_,
        address guardian_,
        address[] memory relayers_,
        Params memory params_
    ) Ownable(owner_) {
        require(
            address(vault_) != address(0) && address(distributor_) != address(0) && guardian_ != address(0),
            ZeroAddress()
        );
        _vault = vault_;
        _distributor = distributor_;
        _guardian = guardian_;
        emit GuardianSet(guardian_);
        for (uint256 i = 0; i < relayers_.length; ++i) {
            _setRelayer(relayers_[i], true);
        }
        _setParams(params_);
    }

    /* ROUND OPENING */

    /// @inheritdoc IPoQSettlement
    function registerTasks(bytes32 taskRoot, uint256 taskCount) external onlyRelayer returns (uint256 roundId) {
        require(taskRoot != bytes32(0), ZeroValue("taskRoot"));
        Params memory p = _params;
        require(taskCount > 0 && taskCount <= p.maxTasks, InvalidTaskCount(taskCount, p.maxTasks));

        roundId = ++_roundCount;
        bytes32 seed = keccak256(abi.encode(block.prevrandao, roundId, taskRoot));
        Round storage r = _rounds[roundId];
        r.status = Status.Registered;
        r.k = p.k;
        r.attempt = 1;
        r.taskCount = uint32(taskCount);
        r.paramsVersion = _paramsVersion;
        r.registeredBlock = uint64(block.number);
        r.taskRoot = taskRoot;
        r.seed = seed;
        emit TasksRegistered(roundId, msg.sender, taskRoot, taskCount, seed, p.k, _paramsVersion);
    }

    /// @inheritdoc IPoQSettlement
    function proposeAssignment(uint256 roundId, bytes32 assignmentRoot) external onlyRelayer {
        Round storage r = _roundIn(roundId, Phase.Assigning);
        require(assignmentRoot != bytes32(0), ZeroValue("assignmentRoot"));
        require(!_assignmentVoted[roundId][msg.sender], AssignmentAlreadyProposed(roundId, msg.sender));

        _assignmentVoted[roundId][msg.sender] = true;
        uint256 votes = ++_assignmentTally[roundId][assignmentRoot];
        emit AssignmentProposed(roundId, msg.sender, assignmentRoot, votes);
        // `>=`, not `==`: if the owner lowers the quorum mid-round, the next vote still accepts.
        if (votes >= _params.quorum) {
            uint256 commitDeadline = block.timestamp + _params.commitDuration;
            uint256 revealDeadline = commitDeadline + _params.revealDuration;
            r.status = Status.Active;
            r.assignmentRoot = assignmentRoot;
            r.commitDeadline = uint40(commitDeadline);
            r.revealDeadline = uint40(revealDeadline);
            r.settleStart = uint40(revealDeadline);
            emit AssignmentAccepted(roundId, msg.sender, assignmentRoot, commitDeadline, revealDeadline);
        }
    }

    /* EVALUATOR COMMIT-REVEAL */

    /// @inheritdoc IPoQSettlement
    function commitScores(uint256 roundId, bytes32 commitment) external {
        _roundIn(roundId, Phase.Commit);
        require(commitment != bytes32(0), ZeroValue("commitment"));
        mapping(address => bytes32) storage words = _scoreWords[roundId];
        require(words[msg.sender] == bytes32(0), AlreadyCommitted(roundId, msg.sender));

        words[msg.sender] = _withoutFlag(commitment);
        emit ScoresCommitted(roundId, msg.sender, commitment);
    }

    /// @inheritdoc IPoQSettlement
    function revealScores(
        uint256 roundId,
        bytes calldata scores,
        bytes32 salt,
        bytes32 tasksHash,
        bytes32[] calldata assignmentProof
    ) external {
        Round storage r = _roundIn(roundId, Phase.Reveal);
        bytes32 word = _scoreWords[roundId][msg.sender];
        require(word != bytes32(0), NotCommitted(roundId, msg.sender));
        require(word & _REVEALED == 0, AlreadyRevealed(roundId, msg.sender));
        uint256 count = ScoresLib.validate(scores);

        bytes32 scoresHash = keccak256(scores);
        require(
            _withoutFlag(_scoreCommitment(roundId, msg.sender, scoresHash, salt)) == word,
            RevealMismatch(roundId, msg.sender)
        );
        bytes32 leaf = keccak256(bytes.concat(keccak256(abi.encode(msg.sender, count, tasksHash))));
        require(
            MerkleProof.verifyCalldata(assignmentProof, r.assignmentRoot, leaf), NotAssigned(roundId, msg.sender, count)
        );

        _scoreWords[roundId][msg.sender] = _withoutFlag(scoresHash) | _REVEALED;
        emit ScoresRevealed(roundId, msg.sender, scores);
    }

    /// @inheritdoc IPoQSettlement
    function revealScoresBatch(uint256 roundId, SignedReveal[] calldata reveals) external returns (uint256 revealed) {
        Round storage r = _roundIn(roundId, Phase.Reveal);
        require(reveals.length != 0, ZeroValue("reveals"));
        bytes32 assignmentRoot = r.assignmentRoot;
        bytes32 domainSeparator = _domainSeparator();
        for (uint256 i = 0; i < reveals.length; ++i) {
            if (_revealSigned(roundId, assignmentRoot, domainSeparator, reveals[i], i)) ++revealed;
        }
    }

    /* RELAYER SETTLEMENT */

    /// @inheritdoc IPoQSettlement
    function commitSettlement(uint256 roundId, bytes32 commitment) external onlyRelayer {
        Round storage r = _roundIn(roundId, Phase.Settle);
        require(_isClosed(roundId - 1), PreviousRoundOpen(roundId, roundId - 1));
        require(commitment != bytes32(0), ZeroValue("commitment"));
        require(r.settleReveals == 0, SettlementCommitsClosed(roundId));
        RelayerVote storage v = _settlementVotes[roundId][msg.sender];
        require(v.attempt != r.attempt, SettlementAlreadyCommitted(roundId, msg.sender));

        _settlementVotes[roundId][msg.sender] = RelayerVote({commitment: commitment, attempt: r.attempt, revealed: false});
        r.settleCommits += 1;
        emit SettlementCommitted(roundId, msg.sender, r.attempt, commitment);
    }

    /// @inheritdoc IPoQSettlement
    function revealSettlement(uint256 roundId, Settlement calldata settlement, bytes32 salt) external onlyRelayer {
        Round storage r = _roundIn(roundId, Phase.Settle);
        uint256 quorum = _params.quorum;
        require(r.settleCommits >= quorum, SettlementRevealsNotOpen(roundId, r.settleCommits, quorum));
        RelayerVote storage v = _settlementVotes[roundId][msg.sender];
        require(v.attempt == r.attempt, SettlementNotCommitted(roundId, msg.sender));
        require(!v.revealed, SettlementAlreadyRevealed(roundId, msg.sender));
        bytes32 settlementHash = keccak256(abi.encode(settlement));
        require(
            _settlementCommitment(roundId, msg.sender, settlementHash, salt) == v.commitment,
            SettlementRevealMismatch(roundId, msg.sender)
        );
        _checkSettlement(roundId, r, settlement);

        v.revealed = true;
        r.settleReveals += 1;
        uint256 votes = ++_settlementTally[roundId][r.attempt][settlementHash];
        emit SettlementRevealed(roundId, msg.sender, r.attempt, settlementHash, settlement);
        // `>=`, not `==`: if the owner lowers the quorum mid-round, the next matching reveal still accepts.
        if (votes >= quorum) {
            uint256 challengeEnd = block.timestamp + _params.challengeDuration;
            r.status = Status.Accepted;
            r.settlementHash = settlementHash;
            r.challengeEnd = uint40(challengeEnd);
            emit SettlementAccepted(roundId, msg.sender, settlementHash, challengeEnd);
        }
    }

    /* CHALLENGE */

    /// @inheritdoc IPoQSettlement
    function vetoSettlement(uint256 roundId) external onlyGuardian {
        Round storage r = _knownRound(roundId);
        Phase phase = _phase(r);
        bytes32 vetoed = r.settlementHash;
        if (phase == Phase.Challenge) {
            require(r.vetoes < _params.maxVetoes, VetoLimitReached(roundId, r.vetoes));
            r.vetoes += 1;
            r.status = Status.Active;
            r.settlementHash = bytes32(0);
            r.challengeEnd = 0;
        } else {
            /// @dev A reset of an attempt that found no quorum does not count as a veto: nothing was accepted.
            require(
                phase == Phase.Settle && block.timestamp >= uint256(r.settleStart) + _params.settleDuration,
                VetoNotAllowed(roundId, phase)
            );
        }
        r.attempt += 1;
        r.settleStart = uint40(block.timestamp);
        r.settleCommits = 0;
        r.settleReveals = 0;
        emit SettlementVetoed(roundId, msg.sender, vetoed, r.attempt);
    }

    /// @inheritdoc IPoQSettlement
    function cancelRound(uint256 roundId) external onlyGuardian {
        Round storage r = _knownRound(roundId);
        Phase phase = _phase(r);
        require(
            phase == Phase.Assigning || phase == Phase.Commit || phase == Phase.Reveal || phase == Phase.Settle,
            VetoNotAllowed(roundId, phase)
        );
        r.status = Status.Cancelled;
        _advanceClosed();
        emit RoundCancelled(roundId, msg.sender);
        // Nothing is paid: the round's pools become sweepable and the cumulative root stays as it is.
        (, uint256 allocated,) = _distributor.totals();
        _distributor.applySettlement(roundId, _distributor.root(), allocated, 0, 0);
    }

    /* FINALIZATION */

    /// @inheritdoc IPoQSettlement
    function finalize(uint256 roundId, Settlement calldata settlement) external {
        Round storage r = _roundIn(roundId, Phase.Finalizable);
        /// @dev No check that the previous round is closed: a settlement can only be committed once it is (see
        /// {commitSettlement}), and a closed round never reopens, so every Finalizable round has a closed predecessor.
        bytes32 settlementHash = keccak256(abi.encode(settlement));
        require(settlementHash == r.settlementHash, SettlementMismatch(roundId, r.settlementHash, settlementHash));

        r.status = Status.Finalized;
        _advanceClosed();
        _distributor.applySettlement(
            roundId,
            settlement.rewardsRoot,
            settlement.cumulativeTotal,
            settlement.inferencePaid,
            settlement.evaluatorPaid
        );
        uint256 slashed = _executeSlashes(roundId, settlement.slashes);
        emit RoundFinalized(roundId, msg.sender, settlementHash, slashed);
    }

    /* ADMIN */

    /// @notice Sets all parameters at once, each within its hard bounds, and bumps the parameter version. Rounds
    /// keep the version they were registered under.
    /// Requirements: caller is the owner; the values differ from the current ones; quorum ≤ relayers; the round
    /// tail stays shorter than the vault's unbonding period.
    /// Emits a {ParamsSet} event.
    function setParams(Params calldata params_) external onlyOwner {
        require(keccak256(abi.encode(params_)) != keccak256(abi.encode(_params)), ParamsUnchanged());
        _setParams(params_);
    }

    /// @notice Adds or removes a relayer. Removal keeps at least `quorum` relayers.
    /// Emits a {RelayerSet} event.
    function setRelayer(address relayer, bool enabled) external onlyOwner {
        _setRelayer(relayer, enabled);
        require(_params.quorum <= _relayerCount, QuorumAboveRelayers(_params.quorum, _relayerCount));
    }

    /// @notice Sets the guardian.
    /// Emits a {GuardianSet} event.
    function setGuardian(address guardian_) external onlyOwner {
        require(guardian_ != address(0), ZeroAddress());
        require(guardian_ != _guardian, ParamsUnchanged());
        _guardian = guardian_;
        emit GuardianSet(guardian_);
    }

    /* VIEWS */

    /// @inheritdoc IPoQSettlement
    function params() external view returns (Params memory) {
        return _params;
    }

    /// @inheritdoc IPoQSettlement
    function paramsVersion() external view returns (uint256) {
        return _paramsVersion;
    }

    /// @inheritdoc IPoQSettlement
    function getRound(uint256 roundId) external view returns (Round memory) {
        return _rounds[roundId];
    }

    /// @inheritdoc IPoQSettlement
    function phaseOf(uint256 roundId) external view returns (Phase) {
        return _phase(_rounds[roundId]);
    }

    /// @inheritdoc IPoQSettlement
    function roundCount() external view returns (uint256) {
        return _roundCount;
    }

    /// @inheritdoc IPoQSettlement
    function lastClosedRound() external view returns (uint256) {
        return _lastClosedRound;
    }

    /// @inheritdoc IPoQSettlement
    function scoreRecord(uint256 roundId, address evaluator) external view returns (bytes32 digest, bool revealed) {
        bytes32 word = _scoreWords[roundId][evaluator];
        return (_withoutFlag(word), word & _REVEALED != 0);
    }

    /// @inheritdoc IPoQSettlement
    function isRelayer(address account) external view returns (bool) {
        return _relayers[account];
    }

    /// @inheritdoc IPoQSettlement
    function relayerCount() external view returns (uint256) {
        return _relayerCount;
    }

    /// @inheritdoc IPoQSettlement
    function guardian() external view returns (address) {
        return _guardian;
    }

    /// @inheritdoc IPoQSettlement
    function vault() external view returns (address) {
        return address(_vault);
    }

    /// @inheritdoc IPoQSettlement
    function distributor() external view returns (address) {
        return address(_distributor);
    }

    /// @inheritdoc IPoQSettlement
    function scoreCommitment(uint256 roundId, address evaluator, bytes calldata scores, bytes32 salt)
        external
        view
        returns (bytes32)
    {
        return _scoreCommitment(roundId, evaluator, keccak256(scores), salt);
    }

    /// @inheritdoc IPoQSettlement
    function settlementCommitment(uint256 roundId, address relayer, bytes32 settlementHash, bytes32 salt)
        external
        view
        returns (bytes32)
    {
        return _settlementCommitment(roundId, relayer, settlementHash, salt);
    }

    /// @inheritdoc IPoQSettlement
    function revealDigest(uint256 roundId, bytes calldata scores, bytes32 salt) external view returns (bytes32) {
        return _revealDigest(_domainSeparator(), roundId, keccak256(scores), salt);
    }

    /// @inheritdoc IPoQSettlement
    function hashSettlement(Settlement calldata settlement) external pure returns (bytes32) {
        return keccak256(abi.encode(settlement));
    }

    /// @inheritdoc IRoundTail
    function roundTail() external view returns (uint256) {
        return _tail(_params);
    }

    /* PRIVATE: ROUNDS */

    function _knownRound(uint256 roundId) private view returns (Round storage r) {
        r = _rounds[roundId];
        require(r.status != Status.None, UnknownRound(roundId));
    }

    function _roundIn(uint256 roundId, Phase expected) private view returns (Round storage r) {
        r = _knownRound(roundId);
        Phase actual = _phase(r);
        require(actual == expected, WrongPhase(roundId, expected, actual));
    }

    function _phase(Round storage r) private view returns (Phase) {
        Status s = r.status;
        if (s == Status.Active) {
            if (block.timestamp < r.commitDeadline) return Phase.Commit;
            if (block.timestamp < r.revealDeadline) return Phase.Reveal;
            return Phase.Settle;
        }
        if (s == Status.Accepted) return block.timestamp < r.challengeEnd ? Phase.Challenge : Phase.Finalizable;
        if (s == Status.Registered) return Phase.Assigning;
        if (s == Status.Finalized) return Phase.Finalized;
        if (s == Status.Cancelled) return Phase.Cancelled;
        return Phase.None;
    }

    function _isClosed(uint256 roundId) private view returns (bool) {
        if (roundId == 0) return true;
        Status s = _rounds[roundId].status;
        return s == Status.Finalized || s == Status.Cancelled;
    }

    /// @dev Moves the closed-round pointer over every consecutive closed round (cancellations may close rounds out
    /// of order). Each round is passed once over the contract's life.
    function _advanceClosed() private {
        uint256 next = _lastClosedRound;
        while (_isClosed(next + 1) && next < _roundCount) ++next;
        _lastClosedRound = uint64(next);
    }

    function _checkSettlement(uint256 roundId, Round storage r, Settlement calldata s) private view {
        require(s.paramsVersion == r.paramsVersion, ParamsVersionMismatch(r.paramsVersion, s.paramsVersion));
        uint256 n = s.slashes.length;
        require(n <= _params.maxSlashes, TooManySlashes(n, _params.maxSlashes));
        for (uint256 i = 0; i < n; ++i) {
            uint8 reason = s.slashes[i].reason;
            require(
                reason == uint8(SlashReason.NonReveal) || reason == uint8(SlashReason.LowTrust),
                InvalidSlashReason(i, reason)
            );
            require(i == 0 || s.slashes[i - 1].evaluator < s.slashes[i].evaluator, SlashesNotSorted(i));
        }
        IRewardDistributor.RoundFunds memory f = _distributor.roundFunds(roundId);
        require(s.inferencePaid <= f.inferencePool, SettlementExceedsFunding(roundId, s.inferencePaid, f.inferencePool));
        require(s.evaluatorPaid <= f.evaluatorPool, SettlementExceedsFunding(roundId, s.evaluatorPaid, f.evaluatorPool));
        /// @dev Earlier rounds are closed (checked at commit) and later ones cannot finalize before this one, so the
        /// distributor's allocation cannot change between this check and finalization.
        (, uint256 allocated,) = _distributor.totals();
        uint256 expected = allocated + s.inferencePaid + s.evaluatorPaid;
        require(s.cumulativeTotal == expected, CumulativeTotalMismatch(expected, s.cumulativeTotal));
    }

    /// @dev One entry of {revealScoresBatch}: the checks of {revealScores} with the signer in place of the caller.
    /// Returns false, changing nothing, if the signer has already revealed.
    function _revealSigned(
        uint256 roundId,
        bytes32 assignmentRoot,
        bytes32 domainSeparator,
        SignedReveal calldata s,
        uint256 index
    ) private returns (bool) {
        uint256 count = ScoresLib.validate(s.scores);
        bytes32 scoresHash = keccak256(s.scores);
        bytes32 digest = _revealDigest(domainSeparator, roundId, scoresHash, s.salt);
        (address evaluator, ECDSA.RecoverError err,) = ECDSA.tryRecover(digest, s.r, s.vs);
        require(err == ECDSA.RecoverError.NoError, InvalidRevealSignature(roundId, index));
        mapping(address => bytes32) storage words = _scoreWords[roundId];
        bytes32 word = words[evaluator];
        require(word != bytes32(0), NotCommitted(roundId, evaluator));
        /// @dev Already revealed, by the evaluator itself or in an earlier batch: the first reveal stands and this
        /// entry is a no-op, so a relayer racing a direct reveal never loses the rest of its batch.
        if (word & _REVEALED != 0) return false;
        require(
            _withoutFlag(_scoreCommitment(roundId, evaluator, scoresHash, s.salt)) == word,
            RevealMismatch(roundId, evaluator)
        );
        bytes32 leaf = keccak256(bytes.concat(keccak256(abi.encode(evaluator, count, s.tasksHash))));
        require(
            MerkleProof.verifyCalldata(s.assignmentProof, assignmentRoot, leaf), NotAssigned(roundId, evaluator, count)
        );

        words[evaluator] = _withoutFlag(scoresHash) | _REVEALED;
        emit ScoresRevealed(roundId, evaluator, s.scores);
        return true;
    }

    function _executeSlashes(uint256 roundId, SlashEntry[] calldata slashes) private returns (uint256 total) {
        uint256 cap = _vault.maxSlashBps();
        Params memory p = _params;
        for (uint256 i = 0; i < slashes.length; ++i) {
            address evaluator = slashes[i].evaluator;
            uint8 reason = slashes[i].reason;
            if (reason == uint8(SlashReason.NonReveal) && _scoreWords[roundId][evaluator] & _REVEALED != 0) {
                // The chain shows a reveal: never slash an evaluator for not revealing when it did.
                emit SlashSkipped(roundId, evaluator, reason);
                continue;
            }
            uint256 bps = reason == uint8(SlashReason.NonReveal) ? p.nonRevealSlashBps : p.lowTrustSlashBps;
            // The vault's cap may have been lowered since the parameters were set; never exceed it.
            if (bps > cap) bps = cap;
            total += _vault.slash(evaluator, IStakeVault.Role.Evaluator, roundId, bps, reason);
        }
    }

    /* PRIVATE: HASHES */

    function _scoreCommitment(uint256 roundId, address evaluator, bytes32 scoresHash, bytes32 salt)
        private
        view
        returns (bytes32)
    {
        return keccak256(abi.encode(block.chainid, address(this), roundId, evaluator, scoresHash, salt));
    }

    function _settlementCommitment(uint256 roundId, address relayer, bytes32 settlementHash, bytes32 salt)
        private
        view
        returns (bytes32)
    {
        return keccak256(abi.encode(block.chainid, address(this), roundId, relayer, settlementHash, salt));
    }

    function _revealDigest(bytes32 domainSeparator, uint256 roundId, bytes32 scoresHash, bytes32 salt)
        private
        pure
        returns (bytes32)
    {
        bytes32 structHash = keccak256(abi.encode(_REVEAL_TYPEHASH, roundId, scoresHash, salt));
        return MessageHashUtils.toTypedDataHash(domainSeparator, structHash);
    }

    /// @dev Built at each use from the current chain id, so a signature never replays on a fork (one hash per batch).
    function _domainSeparator() private view returns (bytes32) {
        return keccak256(abi.encode(_DOMAIN_TYPEHASH, _NAME_HASH, _VERSION_HASH, block.chainid, address(this)));
    }

    function _withoutFlag(bytes32 word) private pure returns (bytes32) {
        return word & ~_REVEALED;
    }

    /* PRIVATE: PARAMETERS */

    function _setParams(Params memory p) private {
        _checkBounds("commitDuration", p.commitDuration, MIN_DURATION, MAX_DURATION);
        _checkBounds("revealDuration", p.revealDuration, MIN_DURATION, MAX_DURATION);
        _checkBounds("settleDuration", p.settleDuration, MIN_DURATION, MAX_DURATION);
        _checkBounds("challengeDuration", p.challengeDuration, MIN_DURATION, MAX_DURATION);
        _checkBounds("maxTasks", p.maxTasks, 1, MAX_TASKS_BOUND);
        _checkBounds("maxSlashes", p.maxSlashes, 0, MAX_SLASHES_BOUND);
        _checkBounds("nonRevealSlashBps", p.nonRevealSlashBps, 0, MAX_SLASH_BPS);
        _checkBounds("lowTrustSlashBps", p.lowTrustSlashBps, 0, MAX_SLASH_BPS);
        _checkBounds("k", p.k, 1, MAX_K);
        _checkBounds("quorum", p.quorum, 1, MAX_QUORUM);
        _checkBounds("maxVetoes", p.maxVetoes, 0, MAX_VETOES_BOUND);
        require(p.quorum <= _relayerCount, QuorumAboveRelayers(p.quorum, _relayerCount));
        uint256 tail = _tail(p);
        uint256 unbonding = _vault.unbondingPeriod();
        require(tail < unbonding, UnbondingTooShort(unbonding, tail));

        _params = p;
        uint256 version = ++_paramsVersion;
        emit ParamsSet(version, msg.sender, p);
    }

    function _setRelayer(address relayer, bool enabled) private {
        require(relayer != address(0), ZeroAddress());
        require(_relayers[relayer] != enabled, RelayerUnchanged(relayer, enabled));
        _relayers[relayer] = enabled;
        if (enabled) {
            require(_relayerCount < MAX_QUORUM * 4, ParamOutOfBounds("relayers", _relayerCount + 1, 1, MAX_QUORUM * 4));
            _relayerCount += 1;
        } else {
            _relayerCount -= 1;
        }
        emit RelayerSet(relayer, enabled);
    }

    function _tail(Params memory p) private pure returns (uint256) {
        return uint256(p.commitDuration) + p.revealDuration + p.settleDuration + p.challengeDuration;
    }

    function _checkBounds(string memory name, uint256 value, uint256 min, uint256 max) private pure {
        require(value >= min && value <= max, ParamOutOfBounds(name, value, min, max));
    }
}
