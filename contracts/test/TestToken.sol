// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

/// @title TestToken
/// @notice ERC-20 for local networks and tests: the owner mints. Production uses any standard ERC-20 (not
/// fee-on-transfer or rebasing: reward funding refuses those).
contract TestToken is ERC20, Ownable {
    constructor(address owner_) ERC20("PoQ Test Token", "POQT") Ownable(owner_) {}

    /// @notice Mints `amount` to `to`. Only the owner.
    function mint(address to, uint256 amount) external onlyOwner {
        _mint(to, amount);
    }
}
