// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IRewardDistributor} from "./interfaces/IRewardDistributor.sol";
import {IPoQSettlement} from "./interfaces/IPoQSettlement.sol";
import {SumTreeLib} from "./libraries/SumTreeLib.sol";
import {RewardVault} from "./RewardVault.sol";

/// @title RewardDistributor
/// @notice Round funding, refunds of what rounds leave unallocated, and cumulative sum-tree claims. Funds sit in two
/// places: the {RewardVault} this contract creates holds every round's pools until its settlement moves the payments
/// here; the distributor itself holds only what settlements allocated and accounts have not claimed yet. At all
/// times: vault balance = funded − allocated − refunded, distributor balance = allocated − claimed (tokens sent to
/// either contract directly are outside these books). There is no owner: after the deployer wires in the settlement
/// contract, no one can move these funds except by a claim proven under a finalized root or a funder's refund.
contract RewardDistributor is IRewardDistributor, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;
    using SafeCast for uint256;

    /* STORAGE */

    IERC20 private immutable _token;
    RewardVault private immutable _vault;
    address private immutable _deployer;
    IPoQSettlement private _settlement;
    /// @dev `keccak256(abi.encode(root, total))`: the one word a claim reads to check its proof.
    bytes32 private _rootCommitment;
    bytes32 private _root;
    /// @dev One slot, written once per settlement: the cumulative allocation and the round of the current root.
    Allocation private _alloc;
    uint256 private _totalFunded;
    uint256 private _refunded;
    mapping(uint256 roundId => RoundFunds) private _rounds;
    mapping(uint256 roundId => mapping(address funder => Contribution)) private _contributions;
    mapping(address account => uint256) private _claimed;

    /// @dev 192 bits hold 6.3e57 base units, far beyond any token supply; round ids are sequential.
    struct Allocation {
        uint192 total;
        uint64 rootRound;
    }

    /* CONSTRUCTOR */

    /// @param token_ The reward token (a standard ERC-20: fee-on-transfer and rebasing tokens are refused at funding).
    constructor(IERC20 token_) {
        require(address(token_) != address(0), DistributorZeroAddress());
        _token = token_;
        _deployer = msg.sender;
        _vault = new RewardVault(token_);
        _rootCommitment = SumTreeLib.commit(bytes32(0), 0);
    }

    /* FUNDING */

    /// @inheritdoc IRewardDistributor
    function fundRound(uint256 roundId, uint256 inferenceAmount, uint256 evaluatorAmount) external nonReentrant {
        (bool open, uint256 cap) = _settlement.fundingWindow(roundId);
        require(open, DistributorFundingClosed(roundId));
        uint256 asked = inferenceAmount + evaluatorAmount;
        require(asked > 0, DistributorZeroAmount());
        RoundFunds storage r = _rounds[roundId];
        uint256 pools = uint256(r.inferencePool) + r.evaluatorPool + asked;
        require(pools <= cap, DistributorAboveCap(roundId, pools, cap));

        Contribution storage c = _contributions[roundId][msg.sender];
        // The cap is below 2^128 (a uint128 parameter), so none of these casts can truncate.
        r.inferencePool += uint128(inferenceAmount);
        r.evaluatorPool += uint128(evaluatorAmount);
        c.inference += uint128(inferenceAmount);
        c.evaluator += uint128(evaluatorAmount);
        _totalFunded += asked;
        emit RoundFunded(roundId, msg.sender, inferenceAmount, evaluatorAmount);

        // The funds go straight to the vault. A token that delivers less than it was asked to move (a
        // fee-on-transfer or rebasing token) is refused: the vault and the distributor must hold exact amounts.
        address vault_ = address(_vault);
        uint256 before = _token.balanceOf(vault_);
        _token.safeTransferFrom(msg.sender, vault_, asked);
        uint256 received = _token.balanceOf(vault_) - before;
        require(received == asked, DistributorTransferShortfall(asked, received));
    }

    /// @inheritdoc IRewardDistributor
    function refund(uint256 roundId, address funder) external nonReentrant returns (uint256 amount) {
        amount = _refundable(roundId, funder);
        require(amount > 0, DistributorNothingToRefund(roundId, funder));
        Contribution storage c = _contributions[roundId][funder];
        if (roundId > _settlement.roundCount()) {
            // Not registered yet: the contribution leaves the pools entirely and may be made again.
            RoundFunds storage r = _rounds[roundId];
            r.inferencePool -= c.inference;
            r.evaluatorPool -= c.evaluator;
            delete _contributions[roundId][funder];
        } else {
            c.refunded = true;
        }
        _refunded += amount;
        emit Refunded(roundId, funder, amount);
        _vault.release(funder, amount);
    }

    /* SETTLEMENT */

    /// @inheritdoc IRewardDistributor
    function applySettlement(
        uint256 roundId,
        bytes32 root_,
        uint256 cumulativeTotal,
        uint256 inferencePaid,
        uint256 evaluatorPaid
    ) external nonReentrant {
        RoundFunds storage r = _openRound(roundId);
        require(inferencePaid <= r.inferencePool, DistributorExceedsPool(roundId, inferencePaid, r.inferencePool));
        require(evaluatorPaid <= r.evaluatorPool, DistributorExceedsPool(roundId, evaluatorPaid, r.evaluatorPool));
        uint256 paid = inferencePaid + evaluatorPaid;
        uint256 expected = uint256(_alloc.total) + paid;
        require(cumulativeTotal == expected, DistributorBadCumulativeTotal(expected, cumulativeTotal));

        r.state = RoundState.Settled;
        r.inferencePaid = uint128(inferencePaid);
        r.evaluatorPaid = uint128(evaluatorPaid);
        _alloc = Allocation({total: cumulativeTotal.toUint192(), rootRound: roundId.toUint64()});
        _root = root_;
        _rootCommitment = SumTreeLib.commit(root_, cumulativeTotal);
        emit RootUpdated(roundId, msg.sender, root_, cumulativeTotal, inferencePaid, evaluatorPaid);
        // The allocation leaves the vault for the distributor's own balance, the only one claims draw on.
        if (paid > 0) _vault.release(address(this), paid);
    }

    /// @inheritdoc IRewardDistributor
    function cancelRound(uint256 roundId) external {
        _openRound(roundId).state = RoundState.Cancelled;
        emit RoundCancelled(roundId);
    }

    /* CLAIMS */

    /// @inheritdoc IRewardDistributor
    /// @dev No reentrancy lock is needed: the claim's state is written before its one external call, and that call
    /// moves the distributor's own balance, which nothing else in this contract reads. The sum tree bounds what all
    /// provable leaves promise by the root's sum, which is exactly the allocation.
    function claim(address account, uint256 cumulativeAmount, uint256 index, bytes32[] calldata proof)
        external
        returns (uint256 paid)
    {
        (bytes32 hash, uint256 sum) = SumTreeLib.computeRoot(account, cumulativeAmount, index, proof);
        require(
            SumTreeLib.commit(hash, sum) == _rootCommitment, DistributorInvalidProof(account, cumulativeAmount)
        );
        uint256 already = _claimed[account];
        require(cumulativeAmount > already, DistributorNothingToClaim(account, cumulativeAmount, already));

        paid = cumulativeAmount - already;
        _claimed[account] = cumulativeAmount;
        emit Claimed(account, msg.sender, paid, cumulativeAmount);
        _token.safeTransfer(account, paid);
    }

    /// @inheritdoc IRewardDistributor
    function setSettlement(address settlement_) external {
        require(msg.sender == _deployer, DistributorNotDeployer(msg.sender));
        require(address(_settlement) == address(0), DistributorSettlementAlreadySet(address(_settlement)));
        require(settlement_ != address(0), DistributorZeroAddress());
        _settlement = IPoQSettlement(settlement_);
        emit SettlementSet(settlement_);
    }

    /* VIEWS */

    /// @inheritdoc IRewardDistributor
    function root() external view returns (bytes32) {
        return _root;
    }

    /// @inheritdoc IRewardDistributor
    function rootCommitment() external view returns (bytes32) {
        return _rootCommitment;
    }

    /// @inheritdoc IRewardDistributor
    function rootRound() external view returns (uint256) {
        return _alloc.rootRound;
    }

    /// @inheritdoc IRewardDistributor
    function verifyLeaf(address account, uint256 cumulativeAmount, uint256 index, bytes32[] calldata proof)
        external
        view
        returns (bool)
    {
        (bytes32 hash, uint256 sum) = SumTreeLib.computeRoot(account, cumulativeAmount, index, proof);
        return SumTreeLib.commit(hash, sum) == _rootCommitment;
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
    function contribution(uint256 roundId, address funder) external view returns (Contribution memory) {
        return _contributions[roundId][funder];
    }

    /// @inheritdoc IRewardDistributor
    function refundable(uint256 roundId, address funder) external view returns (uint256) {
        return _refundable(roundId, funder);
    }

    /// @inheritdoc IRewardDistributor
    function totals() external view returns (uint256 funded, uint256 allocated, uint256 refunded) {
        return (_totalFunded, _alloc.total, _refunded);
    }

    /// @inheritdoc IRewardDistributor
    function token() external view returns (address) {
        return address(_token);
    }

    /// @inheritdoc IRewardDistributor
    function vault() external view returns (address) {
        return address(_vault);
    }

    /// @inheritdoc IRewardDistributor
    function settlement() external view returns (address) {
        return address(_settlement);
    }

    /* PRIVATE */

    function _openRound(uint256 roundId) private view returns (RoundFunds storage r) {
        require(msg.sender == address(_settlement), DistributorNotSettlement(msg.sender));
        r = _rounds[roundId];
        require(r.state == RoundState.Open, DistributorRoundClosed(roundId));
    }

    /// @dev Rounds down per pool, in favour of the books: the dust stays in the vault.
    function _refundable(uint256 roundId, address funder) private view returns (uint256) {
        Contribution memory c = _contributions[roundId][funder];
        if (c.refunded) return 0;
        RoundFunds memory r = _rounds[roundId];
        if (r.state == RoundState.Cancelled || roundId > _settlement.roundCount()) {
            return uint256(c.inference) + c.evaluator;
        }
        if (r.state != RoundState.Settled) return 0;
        uint256 amount;
        if (c.inference > 0) amount += uint256(c.inference) * (r.inferencePool - r.inferencePaid) / r.inferencePool;
        if (c.evaluator > 0) amount += uint256(c.evaluator) * (r.evaluatorPool - r.evaluatorPaid) / r.evaluatorPool;
        return amount;
    }
}
