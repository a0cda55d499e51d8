// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/**
 * @notice An ERC-20 that, when armed, re-enters `target` with `payload` from inside its own balance
 *         update (i.e. during the adjudicator's transfer or transferFrom), swallows the outcome and
 *         records it, so a test can assert that the re-entry was attempted and failed while the outer
 *         call went through exactly once; `seize` shrinks any holder's balance. Test-only.
 */
contract MaliciousToken is ERC20 {
    address public target;
    bytes public payload;
    bool public armed;
    uint256 public attempts;
    uint256 public successes;
    bytes public lastRevert;

    constructor() ERC20("Malicious", "EVIL") {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @notice Takes `amount` away from `from`, as an issuer's burn or a negative rebase would: the
    ///         adjudicator's balance then falls below what it holds of the token.
    function seize(address from, uint256 amount) external {
        _burn(from, amount);
    }

    function arm(address target_, bytes calldata payload_) external {
        target = target_;
        payload = payload_;
        armed = true;
    }

    function _update(address from, address to, uint256 value) internal override {
        super._update(from, to, value);
        if (armed && (from == target || to == target)) {
            armed = false; // one attempt per arming, so the re-entered call cannot loop
            attempts += 1;
            (bool ok, bytes memory ret) = target.call(payload);
            if (ok) successes += 1;
            else lastRevert = ret;
        }
    }
}
