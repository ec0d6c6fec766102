// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title FeeToken
/// @notice Test ERC-20 that burns 1% (rounded down) of every transfer between two accounts, like a fee-on-transfer
/// token. Minting and burning are not charged. Anyone may mint: tests only.
contract FeeToken is ERC20 {
    uint256 public constant FEE_BPS = 100;

    constructor() ERC20("PoQ Fee Token", "POQF") {}

    /// @notice Mints `amount` to `to`.
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function _update(address from, address to, uint256 value) internal override {
        if (from != address(0) && to != address(0)) {
            uint256 fee = (value * FEE_BPS) / 10_000;
            if (fee > 0) super._update(from, address(0), fee);
            value -= fee;
        }
        super._update(from, to, value);
    }
}
