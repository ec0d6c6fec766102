// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";
import {IPoQSettlement} from "./interfaces/IPoQSettlement.sol";
import {IWithdrawalGate} from "./interfaces/IWithdrawalGate.sol";
import {IStakeVault} from "./interfaces/IStakeVault.sol";
import {IRewardDistributor} from "./interfaces/IRewardDistributor.sol";
import {ISettlementChallenges} from "./interfaces/ISettlementChallenges.sol";
import {ISettlementConfig} from "./interfaces/ISettlementConfig.sol";
import {ScoresLib} from "./libraries/ScoresLib.sol";

/// @title PoQSettlement
/// @notice Task batches, a seed no registrar can grind, evaluator commit-reveal with permissionless non-reveal
/// slashing, bonded relayer settlement in timed attempts with quorum, challenges and bounded vetoes, and
/// finalization. Every round reaches Finalized or Cancelled within {maxRoundLifetime} of its registration.
contract PoQSettlement is IPoQSettlement {
    /* CONSTANTS */

    uint256 public constant MAX_CID_LENGTH = 128;
    /// @notice Closed rounds the pointer passes in one finalize or cancel.
    uint256 public constant ADVANCE_STEPS = 32;
    uint256 private constant _BLOCKHASH_WINDOW = 256;
    uint32 private constant _FLAG_BREAKER = 1;

    /// @dev The two low bits of an evaluator's stored word: revealed, and slashed for not revealing. A commitment is
    /// stored with both cleared (254 bits of a keccak hash stay binding); after a reveal the word is the scores hash
    /// with the revealed bit set.
    bytes32 private constant _REVEALED = bytes32(uint256(1));
    bytes32 private constant _SLASHED = bytes32(uint256(2));
    bytes32 private constant _FLAGS = bytes32(uint256(3));

    /// @dev EIP-712 type of a signed reveal (see {IPoQSettlement.SignedReveal}). `bytes` is hashed as EIP-712 says.
    bytes32 private constant _REVEAL_TYPEHASH = keccak256("Reveal(uint256 roundId,bytes scores,bytes32 salt)");
    /// @dev The EIP-712 domain: name "PoQSettlement", version "2", chain id, this contract.
    bytes32 private constant _DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    bytes32 private constant _NAME_HASH = keccak256("PoQSettlement");
    bytes32 private constant _VERSION_HASH = keccak256("2");

    /* STORAGE */

    ISettlementConfig private immutable _config;
    IStakeVault private immutable _vault;
    IRewardDistributor private immutable _distributor;
    address private immutable _deployer;
    ISettlementChallenges private _challenges;
    uint64 private _roundCount;
    uint64 private _lastClosedRound;

    mapping(uint256 roundId => Round) private _rounds;
    mapping(uint256 roundId => mapping(address evaluator => bytes32)) private _scoreWords;
    mapping(address account => Book) private _books;
    mapping(uint256 roundId => uint256) private _assignmentVoters;
    mapping(uint256 roundId => mapping(bytes32 root => uint256)) private _assignmentTally;
    mapping(uint256 roundId => mapping(address relayer => Vote)) private _votes;
    mapping(uint256 roundId => mapping(bytes32 key => uint256)) private _settlementTally;

    /// @dev What holds an account's stake: the latest round it committed scores or a settlement in, and how many of
    /// its score commitments are neither revealed nor slashed.
    struct Book {
        uint64 lastRound;
        uint32 unrevealed;
    }

    /// @dev One relayer's settlement vote in a round; only valid for `attempt`.
    struct Vote {
        bytes32 commitment;
        uint16 attempt;
        bool revealed;
    }

    /* CONSTRUCTOR */

    /// @param config_ The configuration (parameter versions, relayers, guardian), owned by governance.
    /// @param vault_ The stake vault.
    /// @param distributor_ The reward distributor.
    constructor(ISettlementConfig config_, IStakeVault vault_, IRewardDistributor distributor_) {
        require(
            address(config_) != address(0) && address(vault_) != address(0) && address(distributor_) != address(0),
            SettlementZeroAddress()
        );
        _config = config_;
        _vault = vault_;
        _distributor = distributor_;
        _deployer = msg.sender;
    }

    /* ROUND OPENING */

    /// @inheritdoc IPoQSettlement
    function registerTasks(Registration calldata reg) external returns (uint256 roundId) {
        uint32 version = uint32(_config.paramsVersion());
        ISettlementConfig.Params memory p = _config.paramsAt(version);
        _requireBonded(msg.sender, p.minRelayerBond);
        require(reg.taskRoot != bytes32(0), SettlementZeroValue("taskRoot"));
        require(reg.taskCount > 0 && reg.taskCount <= p.maxTasks, SettlementInvalidTaskCount(reg.taskCount, p.maxTasks));
        require(reg.manifestCid.length <= MAX_CID_LENGTH, SettlementCidTooLong(reg.manifestCid.length));
        _advanceClosed(ADVANCE_STEPS);
        uint256 open = _roundCount - _lastClosedRound;
        require(open < p.maxOpenRounds, SettlementTooManyOpenRounds(open, p.maxOpenRounds));

        roundId = ++_roundCount;
        uint256 assignDeadline = block.timestamp + p.assignDuration;
        uint256 seedBlock = block.number + p.seedDelay;
        Round storage r = _rounds[roundId];
        r.status = Status.Registered;
        r.taskCount = reg.taskCount;
        r.paramsVersion = version;
        r.registeredAt = uint40(block.timestamp);
        r.assignDeadline = uint40(assignDeadline);
        r.expiresAt = uint40(assignDeadline + p.commitDuration + p.revealDuration + p.settleWindow);
        r.seedBlock = uint64(seedBlock);
        r.registrar = msg.sender;
        r.taskRoot = reg.taskRoot;
        r.goldCommitment = reg.goldCommitment;
        emit TasksRegistered(
            roundId, msg.sender, reg.taskRoot, reg.taskCount, reg.goldCommitment, seedBlock, version, reg.manifestCid
        );
    }

    /// @inheritdoc IPoQSettlement
    function drawSeed(uint256 roundId) external returns (bytes32 seed) {
        Round storage r = _knownRound(roundId);
        seed = r.seed;
        if (seed == bytes32(0)) seed = _drawSeed(roundId, r);
    }

    /// @inheritdoc IPoQSettlement
    function proposeAssignment(uint256 roundId, bytes32 assignmentRoot) external {
        Round storage r = _knownRound(roundId);
        // Racing relayers: a vote after acceptance changes nothing.
        if (r.assignmentRoot != bytes32(0)) return;
        ISettlementConfig.Params memory p = _config.paramsAt(r.paramsVersion);
        uint256 bit = _requireBonded(msg.sender, p.minRelayerBond);
        require(assignmentRoot != bytes32(0), SettlementZeroValue("assignmentRoot"));
        if (r.seed == bytes32(0)) _drawSeed(roundId, r);
        Phase phase = _phase(roundId, r);
        require(phase == Phase.Assigning, SettlementWrongPhase(roundId, Phase.Assigning, phase));
        uint256 voters = _assignmentVoters[roundId];
        if (voters & bit != 0) return;

        _assignmentVoters[roundId] = voters | bit;
        uint256 tally = _assignmentTally[roundId][assignmentRoot] | bit;
        _assignmentTally[roundId][assignmentRoot] = tally;
        uint256 votes = _config.countCurrent(tally);
        emit AssignmentProposed(roundId, msg.sender, assignmentRoot, votes);
        if (votes >= p.quorum) {
            uint256 commitDeadline = block.timestamp + p.commitDuration;
            uint256 revealDeadline = commitDeadline + p.revealDuration;
            r.status = Status.Active;
            r.assignmentRoot = assignmentRoot;
            r.commitDeadline = uint40(commitDeadline);
            r.revealDeadline = uint40(revealDeadline);
            emit AssignmentAccepted(roundId, assignmentRoot, commitDeadline, revealDeadline);
        }
    }

    /* EVALUATOR COMMIT-REVEAL */

    /// @inheritdoc IPoQSettlement
    function commitScores(uint256 roundId, bytes32 commitment) external {
        _roundIn(roundId, Phase.Commit);
        bytes32 word = commitment & ~_FLAGS;
        require(word != bytes32(0), SettlementZeroValue("commitment"));
        mapping(address => bytes32) storage words = _scoreWords[roundId];
        require(words[msg.sender] == bytes32(0), SettlementAlreadyCommitted(roundId, msg.sender));

        words[msg.sender] = word;
        Book storage b = _books[msg.sender];
        b.unrevealed += 1;
        if (b.lastRound < roundId) b.lastRound = uint64(roundId);
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
        require(word != bytes32(0), SettlementNotCommitted(roundId, msg.sender));
        require(word & _FLAGS == 0, SettlementAlreadyRevealed(roundId, msg.sender));
        uint256 count = ScoresLib.validate(scores);

        bytes32 scoresHash = keccak256(scores);
        require(
            _scoreCommitment(roundId, msg.sender, scoresHash, salt) & ~_FLAGS == word,
            SettlementRevealMismatch(roundId, msg.sender)
        );
        bytes32 leaf = keccak256(bytes.concat(keccak256(abi.encode(msg.sender, count, tasksHash))));
        require(
            MerkleProof.verifyCalldata(assignmentProof, r.assignmentRoot, leaf),
            SettlementNotAssigned(roundId, msg.sender, count)
        );

        _scoreWords[roundId][msg.sender] = (scoresHash & ~_FLAGS) | _REVEALED;
        _books[msg.sender].unrevealed -= 1;
        emit ScoresRevealed(roundId, msg.sender, scores);
    }

    /// @inheritdoc IPoQSettlement
    function revealScoresBatch(uint256 roundId, SignedReveal[] calldata reveals) external returns (uint256 revealed) {
        Round storage r = _roundIn(roundId, Phase.Reveal);
        require(reveals.length != 0, SettlementZeroValue("reveals"));
        bytes32 assignmentRoot = r.assignmentRoot;
        bytes32 domainSeparator = _domainSeparator();
        for (uint256 i = 0; i < reveals.length; ++i) {
            if (_revealSigned(roundId, assignmentRoot, domainSeparator, reveals[i], i)) ++revealed;
        }
    }

    /// @inheritdoc IPoQSettlement
    function slashNonRevealer(uint256 roundId, address evaluator) external returns (uint256 amount) {
        Round storage r = _knownRound(roundId);
        uint256 deadline = r.revealDeadline;
        require(deadline != 0 && block.timestamp >= deadline, SettlementRevealOpen(roundId, deadline));
        bytes32 word = _scoreWords[roundId][evaluator];
        require(word != bytes32(0), SettlementNotCommitted(roundId, evaluator));
        require(word & _REVEALED == 0, SettlementAlreadyRevealed(roundId, evaluator));
        // Racing callers: the second slash of the same non-reveal changes nothing.
        if (word & _SLASHED != 0) return 0;

        _scoreWords[roundId][evaluator] = word | _SLASHED;
        _books[evaluator].unrevealed -= 1;
        uint256 bps = _capped(_config.paramsAt(r.paramsVersion).nonRevealSlashBps);
        amount = _vault.slash(evaluator, IStakeVault.Role.Evaluator, roundId, bps, uint8(SlashReason.NonReveal));
    }

    /* RELAYER SETTLEMENT */

    /// @inheritdoc IPoQSettlement
    function commitSettlement(uint256 roundId, bytes32 commitment) external {
        Round storage r = _roundIn(roundId, Phase.Settle);
        ISettlementConfig.Params memory p = _config.paramsAt(r.paramsVersion);
        _requireBonded(msg.sender, p.minRelayerBond);
        require(commitment != bytes32(0), SettlementZeroValue("commitment"));
        if (_lastClosedRound + 1 < roundId) _advanceClosed(ADVANCE_STEPS);
        require(_lastClosedRound + 1 >= roundId, SettlementPreviousRoundOpen(roundId, _lastClosedRound));

        uint256 start = r.attemptStart;
        uint256 attempt = r.attempt;
        uint256 span = uint256(p.settleCommitDuration) + p.settleRevealDuration;
        // The first commit after the previous attempt's windows starts the next attempt; its windows are fixed
        // from here, so a first committer cannot close them early for anyone else.
        if (start == 0 || block.timestamp >= start + span) {
            start = block.timestamp;
            attempt += 1;
            r.attemptStart = uint40(start);
            r.attempt = uint16(attempt);
        }
        uint256 commitsClose = start + p.settleCommitDuration;
        require(block.timestamp < commitsClose, SettlementCommitsClosed(roundId, attempt));
        Vote storage v = _votes[roundId][msg.sender];
        require(v.attempt != attempt, SettlementAlreadyVoted(roundId, msg.sender, attempt));

        _votes[roundId][msg.sender] = Vote({commitment: commitment, attempt: uint16(attempt), revealed: false});
        Book storage b = _books[msg.sender];
        if (b.lastRound < roundId) b.lastRound = uint64(roundId);
        emit SettlementCommitted(roundId, msg.sender, attempt, commitment, commitsClose, start + span);
    }

    /// @inheritdoc IPoQSettlement
    function revealSettlement(uint256 roundId, Settlement calldata s, bytes32 salt, bytes calldata payloadCid) external {
        Round storage r = _knownRound(roundId);
        // Racing relayers: a reveal of the accepted settlement after the quorum's changes nothing.
        if (r.status == Status.Accepted && keccak256(abi.encode(s)) == r.settlementHash) return;
        _roundIn(roundId, Phase.Settle);
        ISettlementConfig.Params memory p = _config.paramsAt(r.paramsVersion);
        require(payloadCid.length <= MAX_CID_LENGTH, SettlementCidTooLong(payloadCid.length));
        (uint256 attempt, bytes32 settlementHash, uint256 bit) = _spendVote(roundId, r, p, s, salt);
        _checkSettlement(roundId, r, p, s);

        bytes32 key = keccak256(abi.encode(attempt, settlementHash));
        uint256 tally = _settlementTally[roundId][key] | bit;
        _settlementTally[roundId][key] = tally;
        emit SettlementRevealed(roundId, msg.sender, attempt, settlementHash, s, payloadCid);
        if (_config.countCurrent(tally) >= p.quorum) {
            uint256 challengeEnd = block.timestamp + p.challengeDuration;
            r.status = Status.Accepted;
            r.settlementHash = settlementHash;
            r.challengeEnd = uint40(challengeEnd);
            r.acceptedVoters = tally;
            emit SettlementAccepted(roundId, attempt, settlementHash, challengeEnd);
        }
    }

    /// @inheritdoc IPoQSettlement
    function announce(uint256 roundId, ContentKind kind, bytes calldata cid) external {
        _requireRelayer(msg.sender);
        _knownRound(roundId);
        require(cid.length <= MAX_CID_LENGTH, SettlementCidTooLong(cid.length));
        emit ContentAnnounced(roundId, msg.sender, kind, cid);
    }

    /* CHALLENGE, VETO, CANCELLATION */

    /// @inheritdoc IPoQSettlement
    function vetoSettlement(uint256 roundId) external {
        require(msg.sender == _config.guardian(), SettlementNotGuardian(msg.sender));
        Round storage r = _knownRound(roundId);
        Phase phase = _phase(roundId, r);
        require(
            phase == Phase.Challenge && block.timestamp < r.challengeEnd,
            SettlementWrongPhase(roundId, Phase.Challenge, phase)
        );
        ISettlementConfig.Params memory p = _config.paramsAt(r.paramsVersion);
        require(r.vetoes < p.maxVetoes, SettlementVetoLimitReached(roundId, r.vetoes));
        bytes32 vetoed = r.settlementHash;
        r.vetoes += 1;
        _reopen(r, p);
        emit SettlementVetoed(roundId, msg.sender, vetoed, r.expiresAt);
    }

    /// @inheritdoc IPoQSettlement
    function rejectSettlement(uint256 roundId, bytes32 settlementHash, address challenger) external {
        require(msg.sender == address(_challenges), SettlementNotChallenges(msg.sender));
        Round storage r = _knownRound(roundId);
        require(
            r.status == Status.Accepted && r.settlementHash == settlementHash,
            SettlementMismatch(roundId, r.settlementHash, settlementHash)
        );
        ISettlementConfig.Params memory p = _config.paramsAt(r.paramsVersion);
        uint256 voters = r.acceptedVoters;
        _reopen(r, p);
        uint256 seized;
        uint256 reward;
        // Every relayer that revealed the rejected settlement loses its bond, removed since or not.
        for (uint256 id = 1; voters >> id != 0; ++id) {
            if ((voters >> id) & 1 == 0) continue;
            (uint256 s, uint256 w) = _vault.seizeBond(_config.relayerById(id), roundId, challenger, p.challengeRewardBps);
            seized += s;
            reward += w;
        }
        emit SettlementRejected(roundId, challenger, settlementHash, seized, reward, r.expiresAt);
    }

    /// @inheritdoc IPoQSettlement
    function cancelRound(uint256 roundId) external {
        Round storage r = _knownRound(roundId);
        if (r.status == Status.Cancelled) return;
        Phase phase = _phase(roundId, r);
        if (phase != Phase.Expired) {
            require(msg.sender == _config.guardian(), SettlementNotGuardian(msg.sender));
            require(phase == Phase.Seeding, SettlementWrongPhase(roundId, Phase.Expired, phase));
            // Once the seed block is mined the seed is fixed (if not yet drawn): a cancellation then would let the
            // guardian re-roll an assignment it dislikes by having the batch registered again.
            require(block.number <= r.seedBlock, SettlementSeedFixed(roundId, r.seedBlock));
        }
        r.status = Status.Cancelled;
        emit RoundCancelled(roundId, msg.sender, phase);
        _distributor.cancelRound(roundId);
        _advanceClosed(ADVANCE_STEPS);
    }

    /* FINALIZATION */

    /// @inheritdoc IPoQSettlement
    function finalize(uint256 roundId, Settlement calldata s) external {
        Round storage r = _knownRound(roundId);
        bytes32 settlementHash = keccak256(abi.encode(s));
        require(
            settlementHash == r.settlementHash, SettlementMismatch(roundId, r.settlementHash, settlementHash)
        );
        // Racing finalizers: the second call changes nothing.
        if (r.status == Status.Finalized) return;
        Phase phase = _phase(roundId, r);
        require(phase == Phase.Finalizable, SettlementWrongPhase(roundId, Phase.Finalizable, phase));

        r.status = Status.Finalized;
        _distributor.applySettlement(roundId, s.rewardsRoot, s.cumulativeTotal, s.inferencePaid, s.evaluatorPaid);
        uint256 slashed = _executeLowTrustSlashes(roundId, _config.paramsAt(r.paramsVersion), s.lowTrustSlashes);
        _advanceClosed(ADVANCE_STEPS);
        emit RoundFinalized(roundId, msg.sender, settlementHash, slashed);
    }

    /// @inheritdoc IPoQSettlement
    function advanceClosed(uint256 maxSteps) external returns (uint256) {
        _advanceClosed(maxSteps);
        return _lastClosedRound;
    }

    /* WIRING */

    /// @inheritdoc IPoQSettlement
    function setChallenges(address challenges_) external {
        require(msg.sender == _deployer, SettlementNotDeployer(msg.sender));
        require(address(_challenges) == address(0), SettlementAlreadyWired());
        require(challenges_ != address(0), SettlementZeroAddress());
        _challenges = ISettlementChallenges(challenges_);
        emit ChallengesSet(challenges_);
    }

    /* VIEWS */

    /// @inheritdoc IPoQSettlement
    function getRound(uint256 roundId) external view returns (Round memory) {
        return _rounds[roundId];
    }

    /// @inheritdoc IPoQSettlement
    function phaseOf(uint256 roundId) external view returns (Phase) {
        return _phase(roundId, _rounds[roundId]);
    }

    /// @inheritdoc IPoQSettlement
    function settlementAttempt(uint256 roundId)
        external
        view
        returns (uint256 attempt, uint256 commitsClose, uint256 revealsClose)
    {
        Round storage r = _rounds[roundId];
        attempt = r.attempt;
        if (r.attemptStart == 0) return (attempt, 0, 0);
        ISettlementConfig.Params memory p = _config.paramsAt(r.paramsVersion);
        commitsClose = uint256(r.attemptStart) + p.settleCommitDuration;
        revealsClose = commitsClose + p.settleRevealDuration;
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
    function scoreRecord(uint256 roundId, address evaluator)
        external
        view
        returns (bytes32 digest, bool revealed, bool slashed)
    {
        bytes32 word = _scoreWords[roundId][evaluator];
        return (word & ~_FLAGS, word & _REVEALED != 0, word & _SLASHED != 0);
    }

    /// @inheritdoc IWithdrawalGate
    function withdrawalLocked(address account) external view returns (bool) {
        Book memory b = _books[account];
        return b.unrevealed > 0 || b.lastRound > _lastClosedRound;
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
    function challenges() external view returns (address) {
        return address(_challenges);
    }

    /// @inheritdoc IPoQSettlement
    function config() external view returns (address) {
        return address(_config);
    }

    /// @inheritdoc IPoQSettlement
    function fundingWindow(uint256 roundId) external view returns (bool open, uint256 cap) {
        uint256 count = _roundCount;
        if (roundId == count + 1) return (true, _config.params().maxRoundPools);
        if (roundId == 0 || roundId > count) return (false, 0);
        Round storage r = _rounds[roundId];
        Status status = r.status;
        open = (status == Status.Registered && _phase(roundId, r) != Phase.Expired)
            || (status == Status.Active && block.timestamp < r.revealDeadline);
        cap = _config.paramsAt(r.paramsVersion).maxRoundPools;
    }

    /// @inheritdoc IWithdrawalGate
    function maxRoundLifetime() external view returns (uint256) {
        return _config.maxRoundLifetime();
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
    function settlementCommitment(
        uint256 roundId,
        uint256 attempt,
        address relayer,
        bytes32 settlementHash,
        bytes32 salt
    ) external view returns (bytes32) {
        return _settlementCommitment(roundId, attempt, relayer, settlementHash, salt);
    }

    /// @inheritdoc IPoQSettlement
    function revealDigest(uint256 roundId, bytes calldata scores, bytes32 salt) external view returns (bytes32) {
        return _revealDigest(_domainSeparator(), roundId, keccak256(scores), salt);
    }

    /// @inheritdoc IPoQSettlement
    function hashSettlement(Settlement calldata settlement) external pure returns (bytes32) {
        return keccak256(abi.encode(settlement));
    }

    /* PRIVATE: ROUNDS */

    function _knownRound(uint256 roundId) private view returns (Round storage r) {
        r = _rounds[roundId];
        require(r.status != Status.None, SettlementUnknownRound(roundId));
    }

    function _roundIn(uint256 roundId, Phase expected) private view returns (Round storage r) {
        r = _knownRound(roundId);
        Phase actual = _phase(roundId, r);
        require(actual == expected, SettlementWrongPhase(roundId, expected, actual));
    }

    function _phase(uint256 roundId, Round storage r) private view returns (Phase) {
        Status s = r.status;
        if (s == Status.Active) {
            if (block.timestamp < r.commitDeadline) return Phase.Commit;
            if (block.timestamp < r.revealDeadline) return Phase.Reveal;
            return block.timestamp < r.expiresAt ? Phase.Settle : Phase.Expired;
        }
        if (s == Status.Accepted) {
            if (block.timestamp < r.challengeEnd) return Phase.Challenge;
            ISettlementChallenges c = _challenges;
            bool waiting = address(c) != address(0) && c.openCount(roundId, r.attempt) > 0;
            return waiting ? Phase.Challenge : Phase.Finalizable;
        }
        if (s == Status.Registered) {
            if (block.timestamp >= r.assignDeadline) return Phase.Expired;
            if (r.seed == bytes32(0)) {
                return block.number > uint256(r.seedBlock) + _BLOCKHASH_WINDOW ? Phase.Expired : Phase.Seeding;
            }
            return Phase.Assigning;
        }
        if (s == Status.Finalized) return Phase.Finalized;
        if (s == Status.Cancelled) return Phase.Cancelled;
        return Phase.None;
    }

    /// @dev The seed is fixed once the seed block is mined: whoever draws it, whenever, gets the same value.
    function _drawSeed(uint256 roundId, Round storage r) private returns (bytes32 seed) {
        Phase phase = _phase(roundId, r);
        require(phase == Phase.Seeding, SettlementWrongPhase(roundId, Phase.Seeding, phase));
        uint256 seedBlock = r.seedBlock;
        require(block.number > seedBlock, SettlementSeedNotReady(roundId, seedBlock));
        seed = keccak256(abi.encode(blockhash(seedBlock), roundId, r.taskRoot));
        r.seed = seed;
        emit SeedDrawn(roundId, msg.sender, seed);
    }

    /// @dev Back to settlement after a veto or a rejection; each reopening extends the expiry by one attempt, its
    /// challenge window and an answer window, up to `maxExtensions` times.
    function _reopen(Round storage r, ISettlementConfig.Params memory p) private {
        r.status = Status.Active;
        r.settlementHash = bytes32(0);
        r.challengeEnd = 0;
        r.acceptedVoters = 0;
        r.attemptStart = 0;
        if (r.extensions < p.maxExtensions) {
            r.extensions += 1;
            r.expiresAt += uint40(
                uint256(p.settleCommitDuration) + p.settleRevealDuration + p.challengeDuration + p.responseDuration
            );
        }
    }

    function _isClosed(uint256 roundId) private view returns (bool) {
        Status s = _rounds[roundId].status;
        return s == Status.Finalized || s == Status.Cancelled;
    }

    /// @dev Moves the closed-round pointer over at most `maxSteps` consecutive closed rounds (cancellations may close
    /// rounds out of order).
    function _advanceClosed(uint256 maxSteps) private {
        uint256 next = _lastClosedRound;
        uint256 count = _roundCount;
        uint256 end = count - next > maxSteps ? next + maxSteps : count;
        while (next < end && _isClosed(next + 1)) ++next;
        _lastClosedRound = uint64(next);
    }

    /// @dev Checks the reveal window and the caller's commitment for `s`, and marks the vote revealed. Returns the
    /// attempt, the settlement's hash and the caller's vote bit.
    function _spendVote(
        uint256 roundId,
        Round storage r,
        ISettlementConfig.Params memory p, Settlement calldata s, bytes32 salt)
        private
        returns (uint256 attempt, bytes32 settlementHash, uint256 bit)
    {
        bit = _requireRelayer(msg.sender);
        attempt = r.attempt;
        uint256 revealsOpen = uint256(r.attemptStart) + p.settleCommitDuration;
        require(
            r.attemptStart != 0 && block.timestamp >= revealsOpen
                && block.timestamp < revealsOpen + p.settleRevealDuration,
            SettlementRevealsClosed(roundId, attempt)
        );
        Vote storage v = _votes[roundId][msg.sender];
        require(v.attempt == attempt && !v.revealed, SettlementNoVote(roundId, msg.sender, attempt));
        settlementHash = keccak256(abi.encode(s));
        require(
            _settlementCommitment(roundId, attempt, msg.sender, settlementHash, salt) == v.commitment,
            SettlementVoteMismatch(roundId, msg.sender)
        );
        v.revealed = true;
    }

    function _checkSettlement(
        uint256 roundId,
        Round storage r,
        ISettlementConfig.Params memory p,
        Settlement calldata s
    )
        private
        view
    {
        require(
            s.paramsVersion == r.paramsVersion, SettlementParamsVersionMismatch(r.paramsVersion, s.paramsVersion)
        );
        uint256 n = s.lowTrustSlashes.length;
        require(
            s.flags & ~_FLAG_BREAKER == 0 && (s.flags & _FLAG_BREAKER == 0 || n == 0), SettlementBadFlags(s.flags, n)
        );
        require(n <= p.maxLowTrustSlashes, SettlementTooManySlashes(n, p.maxLowTrustSlashes));
        for (uint256 i = 1; i < n; ++i) {
            require(s.lowTrustSlashes[i - 1] < s.lowTrustSlashes[i], SettlementSlashesNotSorted(i));
        }
        bytes32 gold = r.goldCommitment;
        require(
            gold == bytes32(0)
                ? s.goldRoot == bytes32(0) && s.goldSalt == bytes32(0) && s.goldCount == 0
                : keccak256(abi.encode(s.goldRoot, s.goldCount, s.goldSalt)) == gold,
            SettlementGoldMismatch(roundId)
        );
        IRewardDistributor.RoundFunds memory f = _distributor.roundFunds(roundId);
        require(s.inferencePaid <= f.inferencePool, SettlementExceedsFunding(roundId, s.inferencePaid, f.inferencePool));
        require(s.evaluatorPaid <= f.evaluatorPool, SettlementExceedsFunding(roundId, s.evaluatorPaid, f.evaluatorPool));
        // Earlier rounds are closed (checked at commit) and later ones cannot finalize before this one, so the
        // distributor's allocation cannot change between this check and finalization.
        (, uint256 allocated,) = _distributor.totals();
        uint256 expected = allocated + s.inferencePaid + s.evaluatorPaid;
        require(s.cumulativeTotal == expected, SettlementCumulativeTotalMismatch(expected, s.cumulativeTotal));
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
        require(err == ECDSA.RecoverError.NoError, SettlementInvalidRevealSignature(roundId, index));
        mapping(address => bytes32) storage words = _scoreWords[roundId];
        bytes32 word = words[evaluator];
        require(word != bytes32(0), SettlementNotCommitted(roundId, evaluator));
        // Already revealed, by the evaluator itself or in an earlier batch: the first reveal stands and this entry
        // is a no-op, so a relayer racing a direct reveal never loses the rest of its batch.
        if (word & _FLAGS != 0) return false;
        require(
            _scoreCommitment(roundId, evaluator, scoresHash, s.salt) & ~_FLAGS == word,
            SettlementRevealMismatch(roundId, evaluator)
        );
        bytes32 leaf = keccak256(bytes.concat(keccak256(abi.encode(evaluator, count, s.tasksHash))));
        require(
            MerkleProof.verifyCalldata(s.assignmentProof, assignmentRoot, leaf),
            SettlementNotAssigned(roundId, evaluator, count)
        );

        words[evaluator] = (scoresHash & ~_FLAGS) | _REVEALED;
        _books[evaluator].unrevealed -= 1;
        emit ScoresRevealed(roundId, evaluator, s.scores);
        return true;
    }

    /// @dev Low-trust slashes rest on the relayer quorum, so they are bounded: at most `maxLowTrustSlashes` per round
    /// (checked at reveal), each `lowTrustSlashBps` of the evaluator's stake (never above the vault's cap), and only
    /// for evaluators the chain shows revealed in the round.
    function _executeLowTrustSlashes(uint256 roundId, ISettlementConfig.Params memory p, address[] calldata list)
        private
        returns (uint256 total)
    {
        if (list.length == 0) return 0;
        uint256 bps = _capped(p.lowTrustSlashBps);
        for (uint256 i = 0; i < list.length; ++i) {
            address evaluator = list[i];
            if (_scoreWords[roundId][evaluator] & _REVEALED == 0) {
                emit SlashSkipped(roundId, evaluator, uint8(SlashReason.LowTrust));
                continue;
            }
            total += _vault.slash(evaluator, IStakeVault.Role.Evaluator, roundId, bps, uint8(SlashReason.LowTrust));
        }
    }

    function _capped(uint256 bps) private view returns (uint256) {
        uint256 cap = _vault.maxSlashBps();
        return bps > cap ? cap : bps;
    }

    /* PRIVATE: RELAYERS */

    /// @dev The caller's vote bit, if it is a current relayer.
    function _requireRelayer(address account) private view returns (uint256) {
        (uint256 id, bool current) = _config.relayerId(account);
        require(current, SettlementNotRelayer(account));
        return 1 << id;
    }

    /// @dev The caller's vote bit, if it is a current relayer holding at least `minBond` of relayer stake.
    function _requireBonded(address account, uint256 minBond) private view returns (uint256 bit) {
        bit = _requireRelayer(account);
        uint256 bond = _vault.stakeOf(account, IStakeVault.Role.Relayer).active;
        require(bond >= minBond, SettlementBondTooLow(account, bond, minBond));
    }

    /* PRIVATE: HASHES */

    function _scoreCommitment(uint256 roundId, address evaluator, bytes32 scoresHash, bytes32 salt)
        private
        view
        returns (bytes32)
    {
        return keccak256(abi.encode(block.chainid, address(this), roundId, evaluator, scoresHash, salt));
    }

    function _settlementCommitment(
        uint256 roundId,
        uint256 attempt,
        address relayer,
        bytes32 settlementHash,
        bytes32 salt
    ) private view returns (bytes32) {
        return keccak256(abi.encode(block.chainid, address(this), roundId, attempt, relayer, settlementHash, salt));
    }

    function _revealDigest(bytes32 domainSeparator, uint256 roundId, bytes32 scoresHash, bytes32 salt)
        private
        pure
        returns (bytes32)
    {
        bytes32 structHash = keccak256(abi.encode(_REVEAL_TYPEHASH, roundId, scoresHash, salt));
        return MessageHashUtils.toTypedDataHash(domainSeparator, structHash);
    }

    /// @dev Built at each use from the current chain id, so a signature never replays on a fork.
    function _domainSeparator() private view returns (bytes32) {
        return keccak256(abi.encode(_DOMAIN_TYPEHASH, _NAME_HASH, _VERSION_HASH, block.chainid, address(this)));
    }
}
