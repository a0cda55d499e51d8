// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

/**
 * @title Custody: what the adjudicator holds, and the one way it leaves
 * @notice One invariant, Uniswap-V2-core style. Every unit the contract holds sits in exactly one
 *         pot — a channel's holdings of a token, or a channel's bonds (ETH) — and for every token
 *
 *             Σ pots[token] = totalHeld[token] ≤ the contract's own balance of the token.
 *
 *         Value enters a pot only by `_credit` (deposits, posted bonds, receipts moved in) and leaves
 *         only by `_payOut`, which never takes more than the pot holds of that token (per-pot,
 *         per-token solvency: whatever any set of signatures promises) and, before anything can leave,
 *         asserts that the contract's balance of the token covers everything it holds of it. The
 *         caller transfers what `_payOut` returned with `_transfer` after recording its own counters
 *         (checks-effects-interactions), or credits it to another pot (a move inside the contract).
 *         ETH is token address(0); amounts are the token's base units (wei for ETH).
 *         A token whose balance can shrink by itself (negative rebasing, an admin burn) breaks the
 *         right-hand side: its payouts then revert `BalanceBelowHoldings` instead of paying one
 *         channel with another channel's funds. Such tokens are not supported.
 */
abstract contract Custody {
    using SafeERC20 for IERC20;

    /// @notice The native token (ETH) in deposits, bonds and exit leaves.
    address public constant ETH = address(0);

    /// @notice Everything the contract holds of a token, over all pots (base units).
    mapping(address => uint256) public totalHeld;

    /// @dev The contract's balance of `token` is below what it holds of it: a payout now would pay
    ///      one pot with another's funds, so nothing is paid.
    error BalanceBelowHoldings(address token, uint256 balance, uint256 held);
    /// @dev The pot, or the caller's entitlement in it, has nothing left to pay.
    error NothingToPay();
    /// @dev The recipient refused the ETH (reverted or ran out of gas).
    error EthTransferFailed(address to);

    /// @dev Adds `amount` of `token` to `pot`; the contract must already have received it.
    function _credit(mapping(address => uint256) storage pot, address token, uint256 amount) internal {
        pot[token] += amount;
        totalHeld[token] += amount;
    }

    /**
     * @dev The one payout: takes min(`wanted`, `pot[token]`) of `token` out of `pot` and returns it
     *      (0 when either is 0, and then nothing changes). Reverts BalanceBelowHoldings if the
     *      contract's balance of the token is below `totalHeld[token]`. The caller then `_transfer`s
     *      the amount out or `_credit`s it to another pot; nothing else may do either.
     */
    function _payOut(mapping(address => uint256) storage pot, address token, uint256 wanted)
        internal
        returns (uint256 amount)
    {
        uint256 held = pot[token];
        amount = wanted < held ? wanted : held;
        if (amount == 0) return 0;
        uint256 total = totalHeld[token];
        uint256 balance = token == ETH ? address(this).balance : IERC20(token).balanceOf(address(this));
        if (balance < total) revert BalanceBelowHoldings(token, balance, total);
        pot[token] = held - amount;
        totalHeld[token] = total - amount;
    }

    /// @dev Sends `amount` of `token` to `to`; only for an amount `_payOut` just returned.
    function _transfer(address token, address to, uint256 amount) internal {
        if (token == ETH) {
            (bool ok,) = to.call{value: amount}("");
            if (!ok) revert EthTransferFailed(to);
        } else {
            IERC20(token).safeTransfer(to, amount);
        }
    }
}
