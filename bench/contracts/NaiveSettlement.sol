// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

/// @title NaiveSettlement
/// @notice Benchmark baseline only (bench/, never deployed): the straightforward design PoQ settlement is measured
/// against. Every score is its own transaction and is stored on chain; at settlement the relayer pushes each
/// participant's reward with a token transfer. It is deliberately a lower bound of that design: no commit-reveal
/// (one transaction per score instead of two), no assignment proof, no quorum, no challenge window, so every gas
/// ratio against it understates what the Merkle-and-batch design saves.
contract NaiveSettlement {
    using SafeERC20 for IERC20;

    /// @notice Highest score: quality 10 scaled by 1000.
    uint256 public constant MAX_SCORE = 10_000;

    /// @notice A round: its task batch and whether its rewards were pushed.
    struct Round {
        bytes32 taskRoot;
        uint32 taskCount;
        bool settled;
    }

    IERC20 private immutable _token;
    address private immutable _relayer;
    uint256 private _roundCount;
    mapping(uint256 roundId => Round) private _rounds;
    /// @dev Score + 1 per (round, task, evaluator), so 0 means "not scored".
    mapping(uint256 roundId => mapping(uint256 task => mapping(address evaluator => uint256))) private _scores;

    /// @notice The caller is not the relayer.
    error NaiveNotRelayer(address caller);
    /// @notice The round is unknown or already settled.
    error NaiveRoundClosed(uint256 roundId);
    /// @notice The task index is outside the round's batch.
    error NaiveBadTask(uint256 roundId, uint256 task);
    /// @notice A score above 10000.
    error NaiveScoreOutOfRange(uint256 score);
    /// @notice The evaluator already scored this task.
    error NaiveAlreadyScored(uint256 roundId, uint256 task, address evaluator);
    /// @notice The account and amount lists differ in length.
    error NaiveLengthMismatch(uint256 accounts, uint256 amounts);

    /// @notice Emitted when a round is opened.
    event NaiveRoundOpened(uint256 indexed roundId, bytes32 taskRoot, uint256 taskCount);
    /// @notice Emitted for every score.
    event NaiveScored(uint256 indexed roundId, uint256 indexed task, address indexed evaluator, uint256 score);
    /// @notice Emitted for every pushed reward.
    event NaivePaid(uint256 indexed roundId, address indexed account, uint256 amount);

    constructor(IERC20 token_, address relayer_) {
        _token = token_;
        _relayer = relayer_;
    }

    /// @notice Opens a round with a task batch.
    function registerTasks(bytes32 taskRoot, uint256 taskCount) external returns (uint256 roundId) {
        require(msg.sender == _relayer, NaiveNotRelayer(msg.sender));
        roundId = ++_roundCount;
        _rounds[roundId] = Round({taskRoot: taskRoot, taskCount: uint32(taskCount), settled: false});
        emit NaiveRoundOpened(roundId, taskRoot, taskCount);
    }

    /// @notice One evaluator's score for one task: one transaction per score.
    function submitScore(uint256 roundId, uint256 task, uint256 score) external {
        Round storage r = _rounds[roundId];
        require(r.taskCount != 0 && !r.settled, NaiveRoundClosed(roundId));
        require(task < r.taskCount, NaiveBadTask(roundId, task));
        require(score <= MAX_SCORE, NaiveScoreOutOfRange(score));
        mapping(address => uint256) storage slot = _scores[roundId][task];
        require(slot[msg.sender] == 0, NaiveAlreadyScored(roundId, task, msg.sender));
        slot[msg.sender] = score + 1;
        emit NaiveScored(roundId, task, msg.sender, score);
    }

    /// @notice Pushes each participant's reward from the contract's balance and closes the round.
    function pushRewards(uint256 roundId, address[] calldata accounts, uint256[] calldata amounts) external {
        require(msg.sender == _relayer, NaiveNotRelayer(msg.sender));
        require(accounts.length == amounts.length, NaiveLengthMismatch(accounts.length, amounts.length));
        Round storage r = _rounds[roundId];
        require(r.taskCount != 0 && !r.settled, NaiveRoundClosed(roundId));
        r.settled = true;
        for (uint256 i = 0; i < accounts.length; ++i) {
            emit NaivePaid(roundId, accounts[i], amounts[i]);
            _token.safeTransfer(accounts[i], amounts[i]);
        }
    }

    /// @notice A stored score (or `type(uint256).max` when the evaluator did not score the task).
    function scoreOf(uint256 roundId, uint256 task, address evaluator) external view returns (uint256) {
        uint256 v = _scores[roundId][task][evaluator];
        return v == 0 ? type(uint256).max : v - 1;
    }
}
