// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IStakeVault} from "../interfaces/IStakeVault.sol";
import {IRewardDistributor} from "../interfaces/IRewardDistributor.sol";
import {IPoQSettlement} from "../interfaces/IPoQSettlement.sol";

/// @title InvariantProbe
/// @notice Tests only: reads everything the invariant tests check in one call, so a property run can check after
/// every step without hundreds of round trips.
contract InvariantProbe {
    struct Snapshot {
        uint256 vaultBalance;
        uint256 totalActive;
        uint256 totalQueued;
        uint256 distributorBalance;
        uint256 funded;
        uint256 allocated;
        uint256 rewardVaultBalance;
        uint256 refunded;
        uint256 challengesBalance;
        uint8 phase;
        uint256 totalSupply;
        uint256[] holderBalances;
        uint256[] inferenceActive;
        uint256[] inferenceQueued;
        uint256[] evaluatorActive;
        uint256[] evaluatorQueued;
        uint256[] relayerActive;
        uint256[] relayerQueued;
        uint256[] claimed;
    }

    /// @param roundId The round whose phase to report (0: none).
    function snapshot(
        IStakeVault vault,
        IRewardDistributor distributor,
        IPoQSettlement settlement,
        IERC20 token,
        uint256 roundId,
        address[] calldata accounts,
        address[] calldata holders
    ) external view returns (Snapshot memory s) {
        s.vaultBalance = token.balanceOf(address(vault));
        (s.totalActive, s.totalQueued) = vault.totalStaked();
        s.distributorBalance = token.balanceOf(address(distributor));
        (s.funded, s.allocated, s.refunded) = distributor.totals();
        s.rewardVaultBalance = token.balanceOf(distributor.vault());
        s.challengesBalance = token.balanceOf(settlement.challenges());
        s.phase = uint8(settlement.phaseOf(roundId));
        s.totalSupply = token.totalSupply();
        s.holderBalances = new uint256[](holders.length);
        for (uint256 i = 0; i < holders.length; ++i) {
            s.holderBalances[i] = token.balanceOf(holders[i]);
        }
        uint256 n = accounts.length;
        s.inferenceActive = new uint256[](n);
        s.inferenceQueued = new uint256[](n);
        s.evaluatorActive = new uint256[](n);
        s.evaluatorQueued = new uint256[](n);
        s.relayerActive = new uint256[](n);
        s.relayerQueued = new uint256[](n);
        s.claimed = new uint256[](n);
        for (uint256 i = 0; i < n; ++i) {
            IStakeVault.Stake memory inf = vault.stakeOf(accounts[i], IStakeVault.Role.Inference);
            IStakeVault.Stake memory ev = vault.stakeOf(accounts[i], IStakeVault.Role.Evaluator);
            s.inferenceActive[i] = inf.active;
            s.inferenceQueued[i] = inf.queued;
            s.evaluatorActive[i] = ev.active;
            s.evaluatorQueued[i] = ev.queued;
            IStakeVault.Stake memory rel = vault.stakeOf(accounts[i], IStakeVault.Role.Relayer);
            s.relayerActive[i] = rel.active;
            s.relayerQueued[i] = rel.queued;
            s.claimed[i] = distributor.claimed(accounts[i]);
        }
    }

    /// @notice Every round's stored status (index i: round i + 1) and the closed-round pointer, in one call.
    function statuses(IPoQSettlement settlement) external view returns (uint8[] memory s, uint256 lastClosed) {
        uint256 n = settlement.roundCount();
        s = new uint8[](n);
        for (uint256 i = 0; i < n; ++i) {
            s[i] = uint8(settlement.getRound(i + 1).status);
        }
        lastClosed = settlement.lastClosedRound();
    }
}
