// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Ownable, Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IRewardDistributor} from "./interfaces/IRewardDistributor.sol";
import {RewardVault} from "./RewardVault.sol";

/// @title RewardDistributor
/// @notice Round funding and cumulative Merkle claims. Funds sit in two places: the {RewardVault} this contract
/// creates holds the pools of unsettled rounds and the sweepable remainder of settled ones; the distributor itself
/// holds only what settlements allocated and accounts have not claimed yet. A settlement moves its allocation from
/// the vault to the distributor, so claims, which pay from the distributor's balance, can never reach other funds.
/// At all times: vault balance = funded − allocated − swept, and distributor balance = allocated − claimed, as long
/// as nobody transfers tokens to either contract directly (such tokens are not part of any round: sent to the vault
/// they are stuck, sent to the distributor they are claimable only by a faulty tree).
contract RewardDistributor is IRewardDistributor, Ownable2Step, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;
    using SafeCast for uint256;

    /* STORAGE */

    IERC20 private immutable _token;
    RewardVault private immutable _vault;
    address private _settlement;
    bytes32 private _root;
    /// @dev One slot, written once per settlement: the cumulative allocation and the round of the current root.
    Allocation private _alloc;
    uint256 private _totalFunded;
    uint256 private _released;
    uint256 private _swept;
    mapping(uint256 roundId => RoundFunds) private _rounds;
    mapping(address account => uint256) private _claimed;

    /// @dev 192 bits hold 6.3e57 base units, far beyond any token supply; round ids are sequential.
    struct Allocation {
        uint192 total;
        uint64 rootRound;
    }

    /* CONSTRUCTOR */

    constructor(address owner_, IERC20 token_) Ownable(owner_) {
        require(address(token_) != address(0), DistributorZeroAddress());
        _token = token_;
        _vault = new RewardVault(token_);
    }

    /* FUNDING */

    /// @inheritdoc IRewardDistributor
    function fundRound(uint256 roundId, uint256 inferenceAmount, uint256 evaluatorAmount) external nonReentrant {
        require(roundId > 0, DistributorInvalidRound(roundId));
        RoundFunds storage r = _rounds[roundId];
        require(!r.settled, DistributorRoundSettled(roundId));
        uint256 asked = inferenceAmount + evaluatorAmount;
        require(asked > 0, DistributorZeroAmount());

        uint256 newInference = uint256(r.inferencePool) + inferenceAmount;
        uint256 newEvaluator = uint256(r.evaluatorPool) + evaluatorAmount;
        require(newInference <= type(uint128).max, DistributorAmountOverflow(newInference));
        require(newEvaluator <= type(uint128).max, DistributorAmountOverflow(newEvaluator));
        r.inferencePool = uint128(newInference);
        r.evaluatorPool = uint128(newEvaluator);
        _totalFunded += asked;
        emit RoundFunded(roundId, msg.sender, inferenceAmount, evaluatorAmount);

        /// @dev The funds go straight to the vault. A token that delivers less than it was asked to move (a
        /// fee-on-transfer or rebasing token) is refused: the vault and the distributor must hold exact amounts.
        address vault_ = address(_vault);
        uint256 before = _token.balanceOf(vault_);
        _token.safeTransferFrom(msg.sender, vault_, asked);
        uint256 received = _token.balanceOf(vault_) - before;
        require(received == asked, DistributorTransferShortfall(asked, received));
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
        require(msg.sender == _settlement, DistributorNotSettlement(msg.sender));
        RoundFunds storage r = _rounds[roundId];
        require(!r.settled, DistributorRoundSettled(roundId));
        require(inferencePaid <= r.inferencePool, DistributorExceedsPool(roundId, inferencePaid, r.inferencePool));
        require(evaluatorPaid <= r.evaluatorPool, DistributorExceedsPool(roundId, evaluatorPaid, r.evaluatorPool));
        uint256 paid = inferencePaid + evaluatorPaid;
        uint256 expected = uint256(_alloc.total) + paid;
        require(cumulativeTotal == expected, DistributorBadCumulativeTotal(expected, cumulativeTotal));

        r.settled = true;
        r.allocated = paid.toUint128();
        _alloc = Allocation({total: cumulativeTotal.toUint192(), rootRound: roundId.toUint64()});
        _released += uint256(r.inferencePool) + r.evaluatorPool - paid;
        _root = root_;
        emit RootUpdated(roundId, msg.sender, root_, cumulativeTotal, inferencePaid, evaluatorPaid);
        /// @dev The allocation leaves the vault for the distributor's own balance, the only one claims draw on.
        if (paid > 0) _vault.release(address(this), paid);
    }

    /* CLAIMS */

    /// @inheritdoc IRewardDistributor
    /// @dev No reentrancy lock is needed: the claim's state is written before its one external call, and that call
    /// moves the distributor's own balance, which nothing else in this contract reads. The root is trusted only up
    /// to the allocation it was installed with: a faulty tree whose leaves sum to more than `cumulativeTotal` runs
    /// out of the distributor's balance (the token reverts) and cannot reach the vault's funds.
    function claim(address account, uint256 cumulativeAmount, bytes32[] calldata proof) external returns (uint256 paid) {
        bytes32 leaf = keccak256(bytes.concat(keccak256(abi.encode(account, cumulativeAmount))));
        require(MerkleProof.verifyCalldata(proof, _root, leaf), DistributorInvalidProof(account, cumulativeAmount));
        uint256 already = _claimed[account];
        require(cumulativeAmount > already, DistributorNothingToClaim(account, cumulativeAmount, already));

        paid = cumulativeAmount - already;
        _claimed[account] = cumulativeAmount;
        emit Claimed(account, msg.sender, paid, cumulativeAmount);
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
        /// @dev Swept into the distributor, funds would become claimable by a faulty tree; into the vault, stuck.
        require(to != address(this) && to != address(_vault), DistributorBadRecipient(to));
        require(amount > 0, DistributorZeroAmount());
        uint256 available = _released - _swept;
        require(amount <= available, DistributorSweepTooLarge(amount, available));
        _swept += amount;
        emit Swept(to, amount);
        _vault.release(to, amount);
    }

    /* VIEWS */

    /// @inheritdoc IRewardDistributor
    function root() external view returns (bytes32) {
        return _root;
    }

    /// @inheritdoc IRewardDistributor
    function rootRound() external view returns (uint256) {
        return _alloc.rootRound;
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
    function totals() external view returns (uint256 funded, uint256 allocated, uint256 swept) {
        return (_totalFunded, _alloc.total, _swept);
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
    function vault() external view returns (address) {
        return address(_vault);
    }

    /// @inheritdoc IRewardDistributor
    function settlement() external view returns (address) {
        return _settlement;
    }
}
