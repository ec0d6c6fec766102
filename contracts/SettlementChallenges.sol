// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {ISettlementChallenges} from "./interfaces/ISettlementChallenges.sol";
import {IPoQSettlement} from "./interfaces/IPoQSettlement.sol";
import {ISettlementConfig} from "./interfaces/ISettlementConfig.sol";
import {IRewardDistributor} from "./interfaces/IRewardDistributor.sol";
import {SumTreeLib} from "./libraries/SumTreeLib.sol";
import {ScoresLib} from "./libraries/ScoresLib.sol";
import {BPS} from "./libraries/BasisPoints.sol";

/// @title SettlementChallenges
/// @notice Permissionless challenges against accepted settlements (see {ISettlementChallenges}). It holds only
/// challengers' bonds; relayer bonds are seized by the stake vault on the settlement contract's order.
contract SettlementChallenges is ISettlementChallenges, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    IPoQSettlement private immutable _settlement;
    ISettlementConfig private immutable _config;
    IRewardDistributor private immutable _distributor;
    IERC20 private immutable _token;

    uint256 private _count;
    mapping(uint256 challengeId => Challenge) private _challenges;
    /// @dev Open challenges per acceptance. A round's accepted settlement is identified by the attempt that accepted it
    /// (a vetoed or rejected settlement accepted again comes with a new attempt), so a moot challenge never counts, or
    /// holds, against a later acceptance of the same settlement.
    mapping(uint256 roundId => mapping(uint256 attempt => uint256)) private _openCounts;
    /// @dev The open challenge with the same acceptance, kind and subject, so none is asked twice.
    mapping(bytes32 key => uint256 challengeId) private _openByKey;

    /// @param settlement_ The settlement contract.
    /// @param distributor_ The reward distributor (whose current root holds the earlier allotments).
    /// @param token_ The bond token (the staking token).
    constructor(IPoQSettlement settlement_, IRewardDistributor distributor_, IERC20 token_) {
        _settlement = settlement_;
        _config = ISettlementConfig(settlement_.config());
        _distributor = distributor_;
        _token = token_;
    }

    /* BONDED CHALLENGES */

    /// @inheritdoc ISettlementChallenges
    function challengeAccount(
        uint256 roundId,
        IPoQSettlement.Settlement calldata s,
        address account,
        uint256 amount,
        uint256 index,
        bytes32[] calldata proof
    ) external nonReentrant returns (uint256 challengeId) {
        (bytes32 settlementHash, ISettlementConfig.Params memory p, uint256 attempt) = _challengeable(roundId, s);
        require(amount > 0 && _distributor.verifyLeaf(account, amount, index, proof), ChallengeBadEarlierLeaf(account, amount));
        bytes32 anchor = SumTreeLib.commit(s.rewardsRoot, s.cumulativeTotal);
        challengeId = _open(roundId, settlementHash, attempt, Kind.Account, anchor, account, amount, p);
    }

    /// @inheritdoc ISettlementChallenges
    function answerAccount(uint256 challengeId, uint256 amount, uint256 index, bytes32[] calldata proof)
        external
        nonReentrant
    {
        Challenge storage c = _answerable(challengeId, Kind.Account);
        (bytes32 hash, uint256 sum) = SumTreeLib.computeRoot(c.account, amount, index, proof);
        require(SumTreeLib.commit(hash, sum) == c.anchor && amount >= c.minAmount, ChallengeBadAnswer(challengeId));
        _dismiss(challengeId, c);
    }

    /// @inheritdoc ISettlementChallenges
    function challengeGoldItem(
        uint256 roundId,
        IPoQSettlement.Settlement calldata s,
        GoldItem calldata item,
        bytes32[] calldata itemProof
    ) external nonReentrant returns (uint256 challengeId) {
        (bytes32 settlementHash, ISettlementConfig.Params memory p, uint256 attempt) = _challengeable(roundId, s);
        bytes32 leaf = _goldLeaf(item);
        require(
            MerkleProof.verifyCalldata(itemProof, s.goldRoot, leaf), ChallengeBadGoldItem(item.taskIndex, item.poolIndex)
        );
        challengeId = _open(roundId, settlementHash, attempt, Kind.GoldItem, leaf, address(0), 0, p);
    }

    /// @inheritdoc ISettlementChallenges
    function answerGoldItem(
        uint256 challengeId,
        GoldItem calldata item,
        bytes32[] calldata poolProof,
        TaskLeaf calldata task,
        bytes32[] calldata taskProof
    ) external nonReentrant {
        Challenge storage c = _answerable(challengeId, Kind.GoldItem);
        require(_goldLeaf(item) == c.anchor, ChallengeBadAnswer(challengeId));
        IPoQSettlement.Round memory r = _settlement.getRound(c.roundId);
        ISettlementConfig.Params memory p = _config.paramsAt(r.paramsVersion);
        bytes32 poolLeaf =
            keccak256(bytes.concat(keccak256(abi.encode(item.poolIndex, item.contentHash, item.quality))));
        bytes32 taskLeaf = keccak256(
            bytes.concat(
                keccak256(abi.encode(task.index, task.node, task.modelId, task.contentHash, task.costUnits))
            )
        );
        require(
            MerkleProof.verifyCalldata(poolProof, p.goldPoolRoot, poolLeaf)
                && MerkleProof.verifyCalldata(taskProof, r.taskRoot, taskLeaf) && task.index == item.taskIndex
                && task.contentHash == item.contentHash,
            ChallengeBadAnswer(challengeId)
        );
        _dismiss(challengeId, c);
    }

    /// @inheritdoc ISettlementChallenges
    function resolve(uint256 challengeId) external nonReentrant {
        Challenge storage c = _challenges[challengeId];
        require(c.status == Status.Open, ChallengeNotOpen(challengeId));
        uint256 roundId = c.roundId;
        bytes32 settlementHash = c.settlementHash;
        IPoQSettlement.Round memory r = _settlement.getRound(roundId);
        // Current only for the acceptance it was opened against: after a veto or a rejection the same settlement may be
        // accepted again in a later attempt, and a challenge nobody had to answer meanwhile must not hold against it.
        bool current = r.status == IPoQSettlement.Status.Accepted && r.settlementHash == settlementHash
            && r.attempt == c.attempt;
        if (current) require(block.timestamp >= c.deadline, ChallengeWindow(challengeId, c.deadline));

        _close(c, current ? Status.Upheld : Status.Moot);
        if (current) emit ChallengeUpheld(challengeId, roundId, c.challenger);
        else emit ChallengeMoot(challengeId);
        _token.safeTransfer(c.challenger, c.bond);
        if (current) _settlement.rejectSettlement(roundId, settlementHash, c.challenger);
    }

    /* PROOFS AT ONCE */

    /// @inheritdoc ISettlementChallenges
    function proveGoldReuse(
        uint256 roundId,
        IPoQSettlement.Settlement calldata s,
        GoldItem calldata first,
        bytes32[] calldata firstProof,
        uint256 earlierRound,
        IPoQSettlement.Settlement calldata earlier,
        GoldItem calldata second,
        bytes32[] calldata secondProof
    ) external nonReentrant {
        (bytes32 settlementHash, ISettlementConfig.Params memory p,) = _challengeable(roundId, s);
        bytes32 otherRoot = _otherGoldRoot(roundId, s.goldRoot, p.goldPoolRoot, earlierRound, earlier);
        bytes32 firstLeaf = _goldLeaf(first);
        if (earlierRound == 0) require(firstLeaf != _goldLeaf(second), ChallengeNoViolation());
        require(
            first.poolIndex == second.poolIndex && MerkleProof.verifyCalldata(firstProof, s.goldRoot, firstLeaf)
                && MerkleProof.verifyCalldata(secondProof, otherRoot, _goldLeaf(second)),
            ChallengeNoViolation()
        );
        emit ViolationProven(roundId, msg.sender, settlementHash, "gold item reused");
        _settlement.rejectSettlement(roundId, settlementHash, msg.sender);
    }

    /// @inheritdoc ISettlementChallenges
    function proveGoldOutOfRange(
        uint256 roundId,
        IPoQSettlement.Settlement calldata s,
        GoldItem calldata item,
        bytes32[] calldata itemProof
    ) external nonReentrant {
        (bytes32 settlementHash, ISettlementConfig.Params memory p,) = _challengeable(roundId, s);
        uint256 taskCount = _settlement.getRound(roundId).taskCount;
        require(
            MerkleProof.verifyCalldata(itemProof, s.goldRoot, _goldLeaf(item))
                && (item.poolIndex >= p.goldPoolSize || item.taskIndex >= taskCount || item.quality > ScoresLib.MAX_SCORE),
            ChallengeNoViolation()
        );
        emit ViolationProven(roundId, msg.sender, settlementHash, "gold item out of range");
        _settlement.rejectSettlement(roundId, settlementHash, msg.sender);
    }

    /* VIEWS */

    /// @inheritdoc ISettlementChallenges
    function openCount(uint256 roundId, uint256 attempt) external view returns (uint256) {
        return _openCounts[roundId][attempt];
    }

    /// @inheritdoc ISettlementChallenges
    function getChallenge(uint256 challengeId) external view returns (Challenge memory) {
        return _challenges[challengeId];
    }

    /// @inheritdoc ISettlementChallenges
    function challengeCount() external view returns (uint256) {
        return _count;
    }

    /// @inheritdoc ISettlementChallenges
    function goldItemLeaf(GoldItem calldata item) external pure returns (bytes32) {
        return _goldLeaf(item);
    }

    /// @inheritdoc ISettlementChallenges
    function settlement() external view returns (address) {
        return address(_settlement);
    }

    /* PRIVATE */

    /// @dev The settlement's hash and the round's parameters, if `s` is the accepted settlement of `roundId` and its
    /// challenge window is open.
    function _challengeable(uint256 roundId, IPoQSettlement.Settlement calldata s)
        private
        view
        returns (bytes32 settlementHash, ISettlementConfig.Params memory p, uint256 attempt)
    {
        IPoQSettlement.Round memory r = _settlement.getRound(roundId);
        settlementHash = keccak256(abi.encode(s));
        require(
            r.status == IPoQSettlement.Status.Accepted && block.timestamp < r.challengeEnd
                && r.settlementHash == settlementHash,
            ChallengeNotChallengeable(roundId)
        );
        p = _config.paramsAt(r.paramsVersion);
        attempt = r.attempt;
    }

    function _open(
        uint256 roundId,
        bytes32 settlementHash,
        uint256 attempt,
        Kind kind,
        bytes32 anchor,
        address account,
        uint256 minAmount,
        ISettlementConfig.Params memory p
    ) private returns (uint256 challengeId) {
        bytes32 key = keccak256(abi.encode(roundId, attempt, kind, anchor, account));
        uint256 existing = _openByKey[key];
        require(existing == 0 || _challenges[existing].status != Status.Open, ChallengeDuplicate(existing));

        challengeId = ++_count;
        uint256 deadline = block.timestamp + p.responseDuration;
        _challenges[challengeId] = Challenge({
            roundId: uint64(roundId),
            kind: kind,
            status: Status.Open,
            deadline: uint40(deadline),
            attempt: uint16(attempt),
            challenger: msg.sender,
            bond: p.minChallengeBond,
            settlementHash: settlementHash,
            anchor: anchor,
            account: account,
            minAmount: minAmount
        });
        _openByKey[key] = challengeId;
        _openCounts[roundId][attempt] += 1;
        emit ChallengeOpened(
            challengeId, roundId, msg.sender, kind, settlementHash, account, minAmount, p.minChallengeBond, deadline
        );
        uint256 before = _token.balanceOf(address(this));
        _token.safeTransferFrom(msg.sender, address(this), p.minChallengeBond);
        uint256 received = _token.balanceOf(address(this)) - before;
        require(received == p.minChallengeBond, ChallengeTransferShortfall(p.minChallengeBond, received));
    }

    function _answerable(uint256 challengeId, Kind kind) private view returns (Challenge storage c) {
        c = _challenges[challengeId];
        require(c.status == Status.Open && c.kind == kind, ChallengeNotOpen(challengeId));
        require(block.timestamp < c.deadline, ChallengeWindow(challengeId, c.deadline));
    }

    /// @dev A refuted challenge: the responder is paid `failedChallengeBps` of the bond (rounded down), the
    /// challenger gets the rest back.
    function _dismiss(uint256 challengeId, Challenge storage c) private {
        _close(c, Status.Answered);
        uint256 bps = _config.paramsAt(_settlement.getRound(c.roundId).paramsVersion).failedChallengeBps;
        uint256 toResponder = uint256(c.bond) * bps / BPS;
        uint256 toChallenger = c.bond - toResponder;
        emit ChallengeAnswered(challengeId, msg.sender, toResponder, toChallenger);
        if (toResponder > 0) _token.safeTransfer(msg.sender, toResponder);
        if (toChallenger > 0) _token.safeTransfer(c.challenger, toChallenger);
    }

    function _close(Challenge storage c, Status status) private {
        c.status = status;
        _openCounts[c.roundId][c.attempt] -= 1;
    }

    /// @dev The gold root `second` of {proveGoldReuse} is proven under: the round's own, or that of the finalized
    /// settlement `earlier` of an earlier round drawn from the same pool. A pool index names an item only within one
    /// pool: after a pool refresh (a new pool root), index i is another item and reusing the number is no violation.
    function _otherGoldRoot(
        uint256 roundId,
        bytes32 goldRoot,
        bytes32 poolRoot,
        uint256 earlierRound,
        IPoQSettlement.Settlement calldata earlier
    ) private view returns (bytes32) {
        if (earlierRound == 0) return goldRoot;
        IPoQSettlement.Round memory e = _settlement.getRound(earlierRound);
        require(
            earlierRound < roundId && e.status == IPoQSettlement.Status.Finalized
                && keccak256(abi.encode(earlier)) == e.settlementHash
                && _config.paramsAt(e.paramsVersion).goldPoolRoot == poolRoot,
            ChallengeNoViolation()
        );
        return earlier.goldRoot;
    }

    function _goldLeaf(GoldItem calldata item) private pure returns (bytes32) {
        return keccak256(
            bytes.concat(keccak256(abi.encode(item.taskIndex, item.poolIndex, item.contentHash, item.quality)))
        );
    }
}
