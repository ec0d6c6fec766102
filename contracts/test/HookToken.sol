// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title HookToken
/// @notice Tests only: an ERC-20 with two hostile behaviours. With a hook set, every transfer between accounts calls
/// `hookTarget` with `hookData` and bubbles up its revert (a token with callbacks, to check reentrancy guards). With
/// `swallow` on, a transfer delivers nothing: the whole amount is burned (a 100% fee). Anyone may mint or configure.
contract HookToken is ERC20 {
    address public hookTarget;
    bytes public hookData;
    bool public swallow;
    bool private _inHook;

    constructor() ERC20("PoQ Hook Token", "POQH") {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function setHook(address target, bytes calldata data) external {
        hookTarget = target;
        hookData = data;
    }

    function setSwallow(bool on) external {
        swallow = on;
    }

    /// @notice Calls `target` with `data` from this token's address (for a token that owns a contract), bubbling up
    /// its revert.
    function callAs(address target, bytes calldata data) external {
        // solhint-disable-next-line avoid-low-level-calls
        (bool ok, bytes memory ret) = target.call(data);
        if (!ok) {
            // solhint-disable-next-line no-inline-assembly
            assembly {
                revert(add(ret, 32), mload(ret))
            }
        }
    }

    function _update(address from, address to, uint256 value) internal override {
        bool isTransfer = from != address(0) && to != address(0);
        super._update(from, swallow && isTransfer ? address(0) : to, value);
        if (isTransfer && hookTarget != address(0) && !_inHook) {
            _inHook = true;
            // A test token that re-enters on purpose: the low-level call and the bubbling revert are its job.
            // solhint-disable-next-line avoid-low-level-calls
            (bool ok, bytes memory ret) = hookTarget.call(hookData);
            _inHook = false;
            if (!ok) {
                // solhint-disable-next-line no-inline-assembly
                assembly {
                    revert(add(ret, 32), mload(ret))
                }
            }
        }
    }
}
