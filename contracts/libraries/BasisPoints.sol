// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @dev The basis-point denominator (10,000 bps = 100%): every `*Bps` parameter, bound and share is out of this.
uint256 constant BPS = 10_000;
