// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Ownable, Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {IRewardDistributor} from "./interfaces/IRewardDistributor.sol";

/// @title RewardDistributor
/// @notice Round funding and cumulative Merkle claims. Token balance = funded − claimed − swept at all times.
contract RewardDistributor is IRewardDistributor, Ownable2Step, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /* STORAGE */

    IERC20 private immutable _token;
    address private _settlement;
    bytes32 private _root;
    /// @dev Packed so that a claim touches one accounting slot: allocation, claims and the root's round.
    Accounting private _acc;
    uint256 private _totalFunded;
    uint256 private _released;
    uint256 private _swept;
    mapping(uint256 roundId => RoundFunds) private _rounds;
    mapping(address account => uint256) private _claimed;

    /// @dev 112-bit totals hold 5.19e33 base units, far above any token supply used for rewards.
    struct Accounting {
        uint112 allocated;
        uint112 claimed;
        uint32 rootRound;
    }

    /* CONSTRUCTOR */

    constructor(address owner_, IERC20 token_) Ownable(owner_) {
        require(address(token_) != address(0), DistributorZeroAddress());
        _token = token_;
    }

    /* FUNDING */

    /// @inheritdoc IRewardDistributor
    function fundRound(uint256 roundId, uint256 inferenceAmount, uint256 evaluatorAmount) external nonReentrant {
        require(roundId > 0, DistributorInvalidRound(roundId));
        RoundFunds storage r = _rounds[roundId];
        require(!r.settled, DistributorRoundSettled(roundId));
        uint256 asked = inferenceAmount + evaluatorAmount;
        require(asked > 0, DistributorZeroAmount());

        uint256 before = _token.balanceOf(address(this));
        _token.safeTransferFrom(msg.sender, address(this), asked);
        uint256 received = _token.balanceOf(address(this)) - before;
        require(received > 0, DistributorZeroAmount());
        /// @dev With a fee-on-transfer token the shortfall is split pro rata; the evaluator share rounds down and
        /// the inference share takes the rest, so the two always add up to what arrived.
        uint256 evaluatorIn = received == asked ? evaluatorAmount : (evaluatorAmount * received) / asked;
        uint256 inferenceIn = received - evaluatorIn;

        uint256 newInference = uint256(r.inferencePool) + inferenceIn;
        uint256 newEvaluator = uint256(r.evaluatorPool) + evaluatorIn;
        require(newInference <= type(uint128).max, DistributorAmountOverflow(newInference));
        require(newEvaluator <= type(uint128).max, DistributorAmountOverflow(newEvaluator));
        r.inferencePool = uint128(newInference);
        r.evaluatorPool = uint128(newEvaluator);
        _totalFunded += received;
        emit RoundFunded(roundId, msg.sender, inferenceIn, evaluatorIn);
    }

    /* SETTLEMENT */

    /// @inheritdoc IRewardDistributor
    function applySettlement(
        uint256 roundId,
        bytes32 root_,
        uint256 cumulativeTotal,
        uint256 inferencePaid,
        uint256 evaluatorPaid
    ) external {
        require(msg.sender == _settlement, DistributorNotSettlement(msg.sender));
        RoundFunds storage r = _rounds[roundId];
        require(!r.settled, DistributorRoundSettled(roundId));
        require(inferencePaid <= r.inferencePool, DistributorExceedsPool(roundId, inferencePaid, r.inferencePool));
        require(evaluatorPaid <= r.evaluatorPool, DistributorExceedsPool(roundId, evaluatorPaid, r.evaluatorPool));
        uint256 paid = inferencePaid + evaluatorPaid;
        Accounting memory acc = _acc;
        uint256 expected = uint256(acc.allocated) + paid;
        require(cumulativeTotal == expected, DistributorBadCumulativeTotal(expected, cumulativeTotal));
        require(cumulativeTotal <= type(uint112).max, DistributorAmountOverflow(cumulativeTotal));
        require(roundId <= type(uint32).max, DistributorInvalidRound(roundId));

        r.settled = true;
        r.allocated = uint128(paid);
        _released += uint256(r.inferencePool) + r.evaluatorPool - paid;
        _acc = Accounting({allocated: uint112(cumulativeTotal), claimed: acc.claimed, rootRound: uint32(roundId)});
        _root = root_;
        emit RootUpdated(roundId, msg.sender, root_, cumulativeTotal, inferencePaid, evaluatorPaid);
    }

    /* CLAIMS */

    /// @inheritdoc IRewardDistributor
    function claim(address account, uint256 cumulativeAmount, bytes32[] calldata proof)
        external
        nonReentrant
        returns (uint256 paid)
    {
        bytes32 leaf = keccak256(bytes.concat(keccak256(abi.encode(account, cumulativeAmount))));
        require(MerkleProof.verifyCalldata(proof, _root, leaf), DistributorInvalidProof(account, cumulativeAmount));
        uint256 already = _claimed[account];
        require(cumulativeAmount > already, DistributorNothingToClaim(account, cumulativeAmount, already));

        paid = cumulativeAmount - already;
        Accounting memory acc = _acc;
        uint256 totalClaimed = uint256(acc.claimed) + paid;
        /// @dev The root is trusted only up to the allocation it was installed with: even a faulty tree whose
        /// leaves sum to more than `cumulativeTotal` cannot pay out other rounds' unsettled funds.
        require(totalClaimed <= acc.allocated, DistributorClaimsExceedAllocation(totalClaimed, acc.allocated));
        _claimed[account] = cumulativeAmount;
        _acc.claimed = uint112(totalClaimed);
        emit Claimed(acc.rootRound, account, msg.sender, paid, cumulativeAmount);
        _token.safeTransfer(account, paid);
    }

    /* ADMIN */

    /// @notice Wires in the settlement contract. Callable once.
    /// Emits a {SettlementSet} event.
    function setSettlement(address settlement_) external onlyOwner {
        require(_settlement == address(0), DistributorSettlementAlreadySet(_settlement));
        require(settlement_ != address(0), DistributorZeroAddress());
        _settlement = settlement_;
        emit SettlementSet(settlement_);
    }

    /// @notice Sends `amount` of what settled rounds left unallocated to `to` (for example back to the treasury).
    /// Funds of unsettled rounds and allocated rewards can never be swept.
    /// Emits a {Swept} event.
    function sweep(address to, uint256 amount) external onlyOwner nonReentrant {
        require(to != address(0), DistributorZeroAddress());
        require(amount > 0, DistributorZeroAmount());
        uint256 available = _released - _swept;
        require(amount <= available, DistributorSweepTooLarge(amount, available));
        _swept += amount;
        emit Swept(to, amount);
        _token.safeTransfer(to, amount);
    }

    /* VIEWS */

    /// @inheritdoc IRewardDistributor
    function root() external view returns (bytes32) {
        return _root;
    }

    /// @inheritdoc IRewardDistributor
    function rootRound() external view returns (uint256) {
        return _acc.rootRound;
    }

    /// @inheritdoc IRewardDistributor
    function claimed(address account) external view returns (uint256) {
        return _claimed[account];
    }

    /// @inheritdoc IRewardDistributor
    function roundFunds(uint256 roundId) external view returns (RoundFunds memory) {
        return _rounds[roundId];
    }

    /// @inheritdoc IRewardDistributor
    function totals() external view returns (uint256 funded, uint256 allocated, uint256 claimedTotal, uint256 swept) {
        return (_totalFunded, _acc.allocated, _acc.claimed, _swept);
    }

    /// @inheritdoc IRewardDistributor
    function sweepable() external view returns (uint256) {
        return _released - _swept;
    }

    /// @inheritdoc IRewardDistributor
    function token() external view returns (address) {
        return address(_token);
    }

    /// @inheritdoc IRewardDistributor
    function settlement() external view returns (address) {
        return _settlement;
    }
}
