// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {Hashes} from "@openzeppelin/contracts/utils/cryptography/Hashes.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Bonds} from "./Bonds.sol";

/**
 * @title Semilattice adjudicator (DESIGN §5)
 * @notice Holds the funds of many multi-party channels and pays them out against certified
 *         checkpoints. One invariant per concern, Uniswap-V2-core style:
 *  - Solvency (contracts/Custody.sol): for every (channel, token) the contract pays out at most what
 *    the channel holds of that token (`holdings`: deposits + receipts moved in − payouts), whatever
 *    any set of signatures says, and before any payout it asserts its own balance of the token covers
 *    everything it holds of it. Every payout path goes through Custody's one `_payOut`. Bonds are a
 *    separate pot (contracts/Bonds.sol).
 *  - Certificates: a checkpoint counts only with >= quorum signatures of distinct participants over
 *    its EIP-712 digest (domain {name "Semilattice", version "1", chainId, this}); the signers must be
 *    strictly ascending, which rules out duplicates in O(1) per signature.
 *  - Exit leaves: keccak256(keccak256(abi.encode(account, token, amount, withdrawn))) in an
 *    OpenZeppelin sorted-pair Merkle tree (StandardMerkleTree convention). `amount` is what the
 *    account holds in the channel, `withdrawn` the cumulative amount the channel has let it withdraw
 *    so far. The contract records what it has paid per (channel, account, token): a mid-channel
 *    `withdraw` pays `withdrawn - paid`, a final `claim` pays `amount + withdrawn - paid`, so every
 *    unit is paid once whichever path and however often it is called.
 *  - Settlement: proposeSettlement → challengeSettlement (strictly higher height, window restarts) →
 *    finalizeSettlement after the window; cooperativeClose with all n signatures over a distinct
 *    `Close` type skips the window (an ordinary n-of-n checkpoint can never be replayed as a close).
 *  - Receipts: value a channel sent to another by certified receipt (an outbox leaf of its exit tree,
 *    the cumulative `sent[toChannel, account, token]`) moves from the source's holdings to the
 *    destination's with `moveReceipt`, `cumulativeSent − moved` at a time, so each unit moves once;
 *    a move is one more payout of the source (capped at its holdings like any other), so solvency
 *    per (channel, token) and the total the contract holds are both unchanged.
 *  - Equivocation and bonds (contracts/Bonds.sol): two batch headers signed by one participant with
 *    the same (channel, seq) and different contents, or two votes for one (height, round, type) with
 *    different values, move its bond to the reporter; bonds only move between a channel's participants.
 * Units: times named `…Seconds` are chain time (block.timestamp, seconds); `…Ms` are the channel's
 * clock (ms since the Unix epoch); `…Wei` is ETH in wei; token amounts are the token's base units.
 * Every external function that moves funds is nonReentrant and updates state before transferring
 * (checks-effects-interactions), so a malicious token cannot re-enter.
 * Sources: OpenZeppelin Contracts 5.4 (ECDSA.recover rejects malleable high-s and malformed
 * signatures; EIP712._hashTypedDataV4; MerkleProof.verifyCalldata; SafeERC20;
 * ReentrancyGuardTransient, the EIP-1153 transient-storage guard: needs a Cancun chain);
 * EIP-712 (typed structured data hashing); Nitro's adjudicator (statechannels) for the
 * propose/challenge/finalize shape.
 */
contract Adjudicator is Bonds {
    using SafeERC20 for IERC20;

    /// @dev EIP-712 type strings. Checkpoint must equal src/channel's definition; its `time` is ms
    ///      since the Unix epoch (the struct field `timeMs`).
    bytes32 public constant CHECKPOINT_TYPEHASH =
        keccak256("Checkpoint(bytes32 channelId,uint64 height,bytes32 stateRoot,bytes32 exitRoot,uint64 time)");
    bytes32 public constant CLOSE_TYPEHASH =
        keccak256("Close(bytes32 channelId,uint64 height,bytes32 stateRoot,bytes32 exitRoot,uint64 time)");

    /// @notice First word of every outbox leaf: keccak256("semilattice.outbox.v1") (src/core/receipts.ts).
    bytes32 public constant OUTBOX_LEAF_TAG = keccak256("semilattice.outbox.v1");

    uint256 public constant MAX_PARTICIPANTS = 64;
    uint256 public constant MAX_TOKENS = 32;
    uint256 public constant MAX_DISPUTE_WINDOW_SECONDS = 30 days;
    /// @notice Most leaves `cooperativeCloseAndPay` pays in one transaction.
    uint256 public constant MAX_PAYOUT_LEAVES = 256;

    enum Status {
        None,
        Open,
        Disputed,
        Finalized,
        /// @dev Closed and paid out in one transaction (cooperativeCloseAndPay): no claims follow.
        Concluded
    }

    struct Checkpoint {
        bytes32 channelId;
        uint64 height;
        bytes32 stateRoot;
        bytes32 exitRoot;
        uint64 timeMs;
    }

    struct ExitLeaf {
        address account;
        address token;
        uint256 amount;
        uint256 withdrawn;
    }

    /// @dev Outbox leaf (src/core/receipts.ts): what `account` has sent of `token` to `toChannel`, cumulative.
    struct OutboxLeaf {
        bytes32 toChannel;
        address account;
        address token;
        uint256 cumulativeSent;
    }

    struct Channel {
        Status status;
        uint16 quorum;
        uint16 participantCount;
        uint64 disputeWindowSeconds;
        /// @dev Chain time (s). While Disputed: end of the dispute window. Once Finalized or Concluded:
        ///      end of the bond lock (one more window, so an equivocation seen late can still be
        ///      reported before bonds leave).
        uint64 deadlineSeconds;
        /// @dev Height of the latest certified checkpoint used (withdraw, proposal, close).
        uint64 height;
        /// @dev Deposit records so far (packed into the first slot: no extra SSTORE per deposit).
        uint24 depositCount;
        bytes32 exitRoot;
        /// @dev EIP-712 digest of that checkpoint: re-submitting it costs no signature checks.
        bytes32 checkpointDigest;
        /// @dev ETH bond each participant posts (0: none), ≤ MAX_BOND_WEI.
        uint256 bondWei;
    }

    uint256 public channelCount;
    mapping(bytes32 => Channel) internal channels;
    mapping(bytes32 => address[]) internal participantList;
    mapping(bytes32 => uint32[]) internal roleList;
    mapping(bytes32 => address[]) internal tokenList;
    mapping(bytes32 => mapping(address => bool)) public isParticipant;
    mapping(bytes32 => mapping(address => bool)) public isToken;
    /// @notice Funds of a channel per token still in the contract (deposits + moved in − payouts):
    ///         the channel's pot of that token (Custody).
    mapping(bytes32 => mapping(address => uint256)) public holdings;
    /// @notice Paid out so far per channel, account and token (withdraw + claim).
    mapping(bytes32 => mapping(address => mapping(address => uint256))) public paid;
    /// @notice Moved so far from a channel to another per account and token (moveReceipt): the part of
    ///         the source's outbox counter `cumulativeSent` whose holdings are already in the destination.
    mapping(bytes32 => mapping(bytes32 => mapping(address => mapping(address => uint256)))) public moved;
    /// @notice keccak256(abi.encode(beneficiary, token, amount)) per channel and record id.
    mapping(bytes32 => mapping(uint256 => bytes32)) internal depositRecords;

    event ChannelOpened(
        bytes32 indexed channelId,
        address[] participants,
        uint32[] roles,
        uint16 quorum,
        uint64 disputeWindowSeconds,
        uint256 bondWei,
        address[] tokens
    );
    event Deposited(
        bytes32 indexed channelId, uint256 indexed recordId, address indexed beneficiary, address token, uint256 amount
    );
    event CheckpointAccepted(bytes32 indexed channelId, uint64 height, bytes32 exitRoot);
    event Withdrawn(bytes32 indexed channelId, address indexed account, address indexed token, uint256 amount);
    event SettlementProposed(bytes32 indexed channelId, uint64 height, bytes32 exitRoot, uint64 deadlineSeconds);
    event SettlementChallenged(bytes32 indexed channelId, uint64 height, bytes32 exitRoot, uint64 deadlineSeconds);
    event SettlementFinalized(bytes32 indexed channelId, uint64 height, bytes32 exitRoot);
    event Claimed(bytes32 indexed channelId, address indexed account, address indexed token, uint256 amount);
    event ReceiptMoved(
        bytes32 indexed fromChannel,
        bytes32 indexed toChannel,
        address indexed account,
        address token,
        uint256 cumulativeSent,
        uint256 amount
    );

    /// @dev `open` refused the channel's configuration; `field` names the parameter at fault.
    error InvalidConfig(string field);
    error WrongStatus(Status actual);
    error UnknownToken(address token);
    /// @dev A deposit of 0, or an ERC-20 transfer that delivered nothing.
    error ZeroAmount();
    /// @dev msg.value differs from what the call needs (the ETH amount, the bond, or 0 for an ERC-20).
    error WrongValue(uint256 sentWei, uint256 expectedWei);
    error BondNotRequired();
    /// @dev The channel has used all its deposit record ids (2^24 − 1).
    error DepositRecordsFull();
    /// @dev A checkpoint, close or receipt names another channel than the one it is used for.
    error WrongChannel(bytes32 channelId);
    /// @dev A receipt cannot move value to the channel it comes from.
    error MoveToSameChannel(bytes32 channelId);
    error UnderQuorum(uint256 signatures, uint256 needed);
    error SignersNotAscending(address signer);
    error StaleCheckpoint(uint64 height, uint64 current);
    error ConflictingCheckpoint(uint64 height);
    error InvalidProof();
    /// @dev `cooperativeCloseAndPay`'s leaves do not rebuild the signed exit root (not the whole tree,
    ///      or not in tree order).
    error LeavesNotExitTree(bytes32 rebuilt, bytes32 exitRoot);
    /// @dev `cooperativeCloseAndPay` takes 1..MAX_PAYOUT_LEAVES leaves.
    error TooManyLeaves(uint256 count, uint256 max);
    /// @dev `moved` already covers the leaf's cumulativeSent (a replayed or older receipt), or the
    ///      source holds none of the token.
    error NothingToMove(uint256 cumulativeSent, uint256 moved);
    error DisputeWindowOpen(uint64 deadlineSeconds);
    error DisputeWindowClosed(uint64 deadlineSeconds);
    error BondLocked(uint64 untilSeconds);

    constructor() EIP712("Semilattice", "1") {}

    /* ───────────────────────────── open, bond, deposit ───────────────────────────── */

    /**
     * @notice Opens a channel. `participants` strictly ascending (no duplicates, no zero), `roles` one
     *         bit mask per participant, `quorum` with 3·quorum > 2·n (BFT, DESIGN §3) and ≤ n,
     *         `disputeWindowSeconds` in 1..MAX_DISPUTE_WINDOW_SECONDS, `bondWei` ≤ MAX_BOND_WEI (0: no
     *         bonds), `tokens` strictly ascending (address(0) = ETH).
     * @return channelId keccak256(chainid, this, nonce, config): binds the chain and this contract.
     */
    function open(
        address[] calldata participants,
        uint32[] calldata roles,
        uint16 quorum,
        uint64 disputeWindowSeconds,
        uint256 bondWei,
        address[] calldata tokens
    ) external returns (bytes32 channelId) {
        uint256 n = participants.length;
        if (n == 0 || n > MAX_PARTICIPANTS) revert InvalidConfig("participants");
        if (roles.length != n) revert InvalidConfig("roles");
        if (quorum > n || 3 * uint256(quorum) <= 2 * n) revert InvalidConfig("quorum");
        if (disputeWindowSeconds == 0 || disputeWindowSeconds > MAX_DISPUTE_WINDOW_SECONDS) {
            revert InvalidConfig("disputeWindowSeconds");
        }
        if (bondWei > MAX_BOND_WEI) revert InvalidConfig("bondWei");
        if (tokens.length == 0 || tokens.length > MAX_TOKENS) revert InvalidConfig("tokens");
        channelId = keccak256(
            abi.encode(
                block.chainid, address(this), channelCount++, participants, roles, quorum, disputeWindowSeconds, bondWei, tokens
            )
        );
        for (uint256 i = 0; i < n; i++) {
            if (participants[i] == address(0) || (i > 0 && participants[i] <= participants[i - 1])) {
                revert InvalidConfig("participants order");
            }
            isParticipant[channelId][participants[i]] = true;
        }
        for (uint256 i = 0; i < tokens.length; i++) {
            if (i > 0 && tokens[i] <= tokens[i - 1]) revert InvalidConfig("tokens order");
            isToken[channelId][tokens[i]] = true;
        }
        channels[channelId] = Channel({
            status: Status.Open,
            quorum: quorum,
            participantCount: uint16(n),
            disputeWindowSeconds: disputeWindowSeconds,
            deadlineSeconds: 0,
            height: 0,
            depositCount: 0,
            exitRoot: bytes32(0),
            checkpointDigest: bytes32(0),
            bondWei: bondWei
        });
        participantList[channelId] = participants;
        roleList[channelId] = roles;
        tokenList[channelId] = tokens;
        emit ChannelOpened(channelId, participants, roles, quorum, disputeWindowSeconds, bondWei, tokens);
    }

    /// @notice Posts the caller's ETH bond (exactly the channel's `bondWei`, once) while the channel is open.
    function postBond(bytes32 channelId) external payable nonReentrant {
        Channel storage c = _channel(channelId, Status.Open);
        if (!isParticipant[channelId][msg.sender]) revert NotParticipant(msg.sender);
        if (c.bondWei == 0) revert BondNotRequired();
        if (msg.value != c.bondWei) revert WrongValue(msg.value, c.bondWei);
        _postBond(channelId, msg.sender, msg.value);
    }

    /**
     * @notice Deposits `amount` of `token` (ETH: token = address(0), msg.value = amount) for
     *         `beneficiary`, a participant, into a new numbered deposit record. The channel credits it
     *         with an op naming (channelId, recordId); ERC-20 amounts are measured as the balance change
     *         (a fee-on-transfer token records what actually arrived).
     * @return recordId index of the record in `depositRecord`.
     */
    function deposit(bytes32 channelId, address token, uint256 amount, address beneficiary)
        external
        payable
        nonReentrant
        returns (uint256 recordId)
    {
        _channel(channelId, Status.Open);
        if (!isParticipant[channelId][beneficiary]) revert NotParticipant(beneficiary);
        if (!isToken[channelId][token]) revert UnknownToken(token);
        if (amount == 0) revert ZeroAmount();
        uint256 received;
        if (token == ETH) {
            if (msg.value != amount) revert WrongValue(msg.value, amount);
            received = amount;
        } else {
            if (msg.value != 0) revert WrongValue(msg.value, 0);
            uint256 before = IERC20(token).balanceOf(address(this));
            IERC20(token).safeTransferFrom(msg.sender, address(this), amount);
            received = IERC20(token).balanceOf(address(this)) - before;
            if (received == 0) revert ZeroAmount();
        }
        _credit(holdings[channelId], token, received);
        Channel storage c = channels[channelId];
        recordId = c.depositCount;
        if (recordId == type(uint24).max) revert DepositRecordsFull();
        c.depositCount = uint24(recordId + 1);
        depositRecords[channelId][recordId] = keccak256(abi.encode(beneficiary, token, received));
        emit Deposited(channelId, recordId, beneficiary, token, received);
    }

    /* ───────────────────────────── mid-channel withdrawal ───────────────────────────── */

    /**
     * @notice Pays `leaf.withdrawn − paid` to `leaf.account` against a certified checkpoint of an open
     *         channel. A checkpoint higher than the stored one is verified (quorum) and stored; the stored
     *         one may be passed again without signatures; a lower one is stale. Anyone may call it:
     *         the money only ever goes to `leaf.account`.
     */
    function withdraw(
        bytes32 channelId,
        Checkpoint calldata cp,
        bytes[] calldata signatures,
        ExitLeaf calldata leaf,
        bytes32[] calldata proof
    ) external nonReentrant returns (uint256 amount) {
        Channel storage c = _channel(channelId, Status.Open);
        _acceptCheckpoint(c, channelId, cp, signatures);
        amount = _payLeaf(channelId, c.exitRoot, leaf, proof, leaf.withdrawn);
        emit Withdrawn(channelId, leaf.account, leaf.token, amount);
    }

    /* ───────────────────────────── dispute path ───────────────────────────── */

    /// @notice A participant proposes a certified checkpoint (height ≥ the last one used) as final.
    function proposeSettlement(bytes32 channelId, Checkpoint calldata cp, bytes[] calldata signatures) external {
        Channel storage c = _channel(channelId, Status.Open);
        if (!isParticipant[channelId][msg.sender]) revert NotParticipant(msg.sender);
        _acceptCheckpoint(c, channelId, cp, signatures);
        c.status = Status.Disputed;
        c.deadlineSeconds = uint64(block.timestamp) + c.disputeWindowSeconds;
        emit SettlementProposed(channelId, cp.height, cp.exitRoot, c.deadlineSeconds);
    }

    /// @notice During the window, anyone holding a certificate of a strictly higher height replaces
    ///         the proposal; the window restarts so the others can answer it in turn.
    function challengeSettlement(bytes32 channelId, Checkpoint calldata cp, bytes[] calldata signatures) external {
        Channel storage c = _channel(channelId, Status.Disputed);
        if (block.timestamp >= c.deadlineSeconds) revert DisputeWindowClosed(c.deadlineSeconds);
        if (cp.height <= c.height) revert StaleCheckpoint(cp.height, c.height);
        _acceptCheckpoint(c, channelId, cp, signatures);
        c.deadlineSeconds = uint64(block.timestamp) + c.disputeWindowSeconds;
        emit SettlementChallenged(channelId, cp.height, cp.exitRoot, c.deadlineSeconds);
    }

    /// @notice After the window, anyone fixes the proposed checkpoint as the channel's final state.
    function finalizeSettlement(bytes32 channelId) external {
        Channel storage c = _channel(channelId, Status.Disputed);
        if (block.timestamp < c.deadlineSeconds) revert DisputeWindowOpen(c.deadlineSeconds);
        c.status = Status.Finalized;
        c.deadlineSeconds = uint64(block.timestamp) + c.disputeWindowSeconds;
        emit SettlementFinalized(channelId, c.height, c.exitRoot);
    }

    /// @notice All n participants sign `Close` over a checkpoint: final at once, no window.
    function cooperativeClose(bytes32 channelId, Checkpoint calldata cp, bytes[] calldata signatures) external {
        _cooperativeClose(channelId, cp, signatures, Status.Finalized);
    }

    /**
     * @notice Cooperative close that pays every exit leaf in the same transaction (Nitro's
     *         concludeAndTransferAllAssets shape): `leaves` must be the whole exit tree, in tree
     *         order — the contract rebuilds the root (OpenZeppelin sorted-pair hashing, an odd last
     *         node promoted, as src/core/merkle.ts) and requires it to equal the signed exit root.
     *         Each leaf gets `amount + withdrawn − paid`, capped at the holdings; the channel ends
     *         Concluded, so no claim can follow. One recipient that refuses ETH makes it revert:
     *         then use `cooperativeClose` and per-leaf claims.
     */
    function cooperativeCloseAndPay(
        bytes32 channelId,
        Checkpoint calldata cp,
        bytes[] calldata signatures,
        ExitLeaf[] calldata leaves
    ) external nonReentrant {
        uint256 count = leaves.length;
        if (count == 0 || count > MAX_PAYOUT_LEAVES) revert TooManyLeaves(count, MAX_PAYOUT_LEAVES);
        _cooperativeClose(channelId, cp, signatures, Status.Concluded);
        bytes32 rebuilt = _rootOfLeaves(leaves);
        if (rebuilt != cp.exitRoot) revert LeavesNotExitTree(rebuilt, cp.exitRoot);
        // Effects for every leaf first, then the transfers (checks-effects-interactions).
        uint256[] memory amounts = new uint256[](count);
        for (uint256 i = 0; i < count; i++) {
            amounts[i] = _payOutLeaf(channelId, leaves[i]);
        }
        for (uint256 i = 0; i < count; i++) {
            if (amounts[i] == 0) continue;
            _transfer(leaves[i].token, leaves[i].account, amounts[i]);
            emit Claimed(channelId, leaves[i].account, leaves[i].token, amounts[i]);
        }
    }

    /// @dev `cooperativeCloseAndPay`'s payout of one leaf: `amount + withdrawn − paid`, at most the holdings.
    function _payOutLeaf(bytes32 channelId, ExitLeaf calldata leaf) internal returns (uint256) {
        uint256 entitled = leaf.amount + leaf.withdrawn;
        return _payOut(holdings[channelId], leaf.token, _unpaid(entitled, paid[channelId][leaf.account][leaf.token]));
    }

    function _cooperativeClose(bytes32 channelId, Checkpoint calldata cp, bytes[] calldata signatures, Status next)
        internal
    {
        Channel storage c = channels[channelId];
        if (c.status != Status.Open && c.status != Status.Disputed) revert WrongStatus(c.status);
        if (cp.channelId != channelId) revert WrongChannel(cp.channelId);
        if (cp.height < c.height) revert StaleCheckpoint(cp.height, c.height);
        bytes32 digest = _hashTypedDataV4(_structHash(CLOSE_TYPEHASH, cp));
        _verifySigners(channelId, digest, signatures, c.participantCount);
        c.height = cp.height;
        c.exitRoot = cp.exitRoot;
        c.checkpointDigest = bytes32(0);
        c.status = next;
        c.deadlineSeconds = uint64(block.timestamp) + c.disputeWindowSeconds;
        emit SettlementFinalized(channelId, cp.height, cp.exitRoot);
    }

    /// @dev Merkle root of the leaves (in tree order), pairs hashed sorted, an odd last node promoted.
    function _rootOfLeaves(ExitLeaf[] calldata leaves) internal pure returns (bytes32) {
        uint256 n = leaves.length;
        bytes32[] memory level = new bytes32[](n);
        for (uint256 i = 0; i < n; i++) {
            level[i] = leafHash(leaves[i]);
        }
        while (n > 1) {
            uint256 half = 0;
            for (uint256 i = 0; i + 1 < n; i += 2) {
                level[half++] = Hashes.commutativeKeccak256(level[i], level[i + 1]);
            }
            if (n % 2 == 1) level[half++] = level[n - 1];
            n = half;
        }
        return level[0];
    }

    /// @notice After finalization, pays `leaf.amount + leaf.withdrawn − paid` to `leaf.account`.
    function claim(bytes32 channelId, ExitLeaf calldata leaf, bytes32[] calldata proof)
        external
        nonReentrant
        returns (uint256 amount)
    {
        Channel storage c = _channel(channelId, Status.Finalized);
        amount = _payLeaf(channelId, c.exitRoot, leaf, proof, leaf.amount + leaf.withdrawn);
        emit Claimed(channelId, leaf.account, leaf.token, amount);
    }

    /* ───────────────────────────── cross-channel receipts ───────────────────────────── */

    /**
     * @notice Moves a certified receipt's value from `fromChannel`'s holdings to `toChannel`'s: the
     *         source's outbox leaf `(toChannel, account, token, cumulativeSent)` is proved under the
     *         exit root of `cp`, a checkpoint of the open source accepted exactly as `withdraw`
     *         accepts it (higher than the stored one: quorum-verified and stored; the stored one: no
     *         signatures; lower: StaleCheckpoint). Moves `cumulativeSent − moved`, capped at the
     *         source's holdings of the token, and records what actually moved: each unit moves once,
     *         in any order and however often it is called; nothing left to move reverts NothingToMove.
     *         Anyone may call it: the value only ever goes to `leaf.toChannel`.
     * @dev Why the checkpoint is stored (not merely verified): the source can then never settle below
     *      it (proposals must be at least the stored height), and in every certified checkpoint at or
     *      above it the sender's exit leaf no longer holds the sent amount (sendReceipt debits it and
     *      counters only grow). Verifying a certificate without storing it would let the source settle
     *      on an older checkpoint whose exit leaf still holds what was already moved: paid twice.
     */
    function moveReceipt(
        bytes32 fromChannel,
        bytes32 toChannel,
        Checkpoint calldata cp,
        bytes[] calldata signatures,
        OutboxLeaf calldata leaf,
        bytes32[] calldata proof
    ) external nonReentrant returns (uint256 amount) {
        Channel storage c = _channel(fromChannel, Status.Open);
        _acceptCheckpoint(c, fromChannel, cp, signatures);
        amount = _move(fromChannel, toChannel, c.exitRoot, leaf, proof);
    }

    /**
     * @notice The same move against the source's stored exit root once it is settling or settled
     *         (Disputed: the proposal, which can only be replaced by a higher checkpoint, whose
     *         counters are at least as high; Finalized: the final root). No certificate is taken:
     *         while Disputed a new one enters only by `challengeSettlement`, which restarts the window.
     */
    function moveSettledReceipt(bytes32 fromChannel, bytes32 toChannel, OutboxLeaf calldata leaf, bytes32[] calldata proof)
        external
        nonReentrant
        returns (uint256 amount)
    {
        Channel storage c = channels[fromChannel];
        if (c.status != Status.Disputed && c.status != Status.Finalized) revert WrongStatus(c.status);
        amount = _move(fromChannel, toChannel, c.exitRoot, leaf, proof);
    }

    /**
     * @dev The destination must exist, not be Concluded (no claim follows there, the value would be
     *      stranded), differ from the source and accept the token. The outbox leaf's 5-word encoding
     *      never equals a 4-word exit leaf (see `outboxLeafHash`), so no exit leaf passes as a receipt.
     *      Solvency: a payout of the source (capped at its holdings like any other) credited to the
     *      destination, so the contract's total holdings do not change.
     */
    function _move(bytes32 fromChannel, bytes32 toChannel, bytes32 root, OutboxLeaf calldata leaf, bytes32[] calldata proof)
        internal
        returns (uint256 amount)
    {
        if (leaf.toChannel != toChannel) revert WrongChannel(leaf.toChannel);
        if (toChannel == fromChannel) revert MoveToSameChannel(toChannel);
        Status destination = channels[toChannel].status;
        if (destination == Status.None || destination == Status.Concluded) revert WrongStatus(destination);
        if (!isToken[toChannel][leaf.token] || !isToken[fromChannel][leaf.token]) revert UnknownToken(leaf.token);
        if (!MerkleProof.verifyCalldata(proof, root, outboxLeafHash(leaf))) revert InvalidProof();
        uint256 already = moved[fromChannel][toChannel][leaf.account][leaf.token];
        amount = _payOut(holdings[fromChannel], leaf.token, _unpaid(leaf.cumulativeSent, already));
        if (amount == 0) revert NothingToMove(leaf.cumulativeSent, already);
        moved[fromChannel][toChannel][leaf.account][leaf.token] = already + amount;
        _credit(holdings[toChannel], leaf.token, amount);
        emit ReceiptMoved(fromChannel, toChannel, leaf.account, leaf.token, leaf.cumulativeSent, amount);
    }

    /* ───────────────────────────── bonds ───────────────────────────── */

    /// @notice One dispute window after finalization, returns the caller's bond (its own plus any
    ///         slashed to it); until then equivocations can still be reported.
    function reclaimBond(bytes32 channelId) external nonReentrant returns (uint256 amountWei) {
        Channel storage c = channels[channelId];
        if (c.status != Status.Finalized && c.status != Status.Concluded) revert WrongStatus(c.status);
        if (block.timestamp < c.deadlineSeconds) revert BondLocked(c.deadlineSeconds);
        amountWei = _reclaimBond(channelId, msg.sender);
    }

    /* ───────────────────────────── views ───────────────────────────── */

    function channel(bytes32 channelId) external view returns (Channel memory) {
        return channels[channelId];
    }

    function participants(bytes32 channelId) external view returns (address[] memory, uint32[] memory) {
        return (participantList[channelId], roleList[channelId]);
    }

    function tokens(bytes32 channelId) external view returns (address[] memory) {
        return tokenList[channelId];
    }

    function depositCount(bytes32 channelId) external view returns (uint256) {
        return channels[channelId].depositCount;
    }

    /// @notice Whether record `recordId` of the channel exists and holds exactly these fields.
    function isDepositRecord(bytes32 channelId, uint256 recordId, address beneficiary, address token, uint256 amount)
        external
        view
        returns (bool)
    {
        return recordId < channels[channelId].depositCount
            && depositRecords[channelId][recordId] == keccak256(abi.encode(beneficiary, token, amount));
    }

    function checkpointDigest(Checkpoint calldata cp) external view returns (bytes32) {
        return _hashTypedDataV4(_structHash(CHECKPOINT_TYPEHASH, cp));
    }

    function closeDigest(Checkpoint calldata cp) external view returns (bytes32) {
        return _hashTypedDataV4(_structHash(CLOSE_TYPEHASH, cp));
    }

    function leafHash(ExitLeaf calldata leaf) public pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(leaf.account, leaf.token, leaf.amount, leaf.withdrawn))));
    }

    /// @notice keccak256(keccak256(abi.encode(OUTBOX_LEAF_TAG, toChannel, account, token, cumulativeSent))):
    ///         160 bytes hashed where `leafHash` hashes 128, so the two never coincide.
    function outboxLeafHash(OutboxLeaf calldata leaf) public pure returns (bytes32) {
        return keccak256(
            bytes.concat(keccak256(abi.encode(OUTBOX_LEAF_TAG, leaf.toChannel, leaf.account, leaf.token, leaf.cumulativeSent)))
        );
    }

    /* ───────────────────────────── internals ───────────────────────────── */

    function _channelExists(bytes32 channelId) internal view override returns (bool) {
        return channels[channelId].status != Status.None;
    }

    function _isParticipant(bytes32 channelId, address account) internal view override returns (bool) {
        return isParticipant[channelId][account];
    }

    function _channel(bytes32 channelId, Status expected) internal view returns (Channel storage c) {
        c = channels[channelId];
        if (c.status != expected) revert WrongStatus(c.status);
    }

    /**
     * @dev Makes `cp` the channel's current checkpoint. Higher than the stored one: needs a quorum
     *      certificate. Equal height: must be the very checkpoint stored (no signatures needed; two
     *      different certified checkpoints at one height would be a consensus safety failure and are
     *      refused). Lower: stale.
     */
    function _acceptCheckpoint(Channel storage c, bytes32 channelId, Checkpoint calldata cp, bytes[] calldata signatures)
        internal
    {
        if (cp.channelId != channelId) revert WrongChannel(cp.channelId);
        bytes32 digest = _hashTypedDataV4(_structHash(CHECKPOINT_TYPEHASH, cp));
        if (cp.height < c.height) revert StaleCheckpoint(cp.height, c.height);
        if (cp.height == c.height && c.checkpointDigest != bytes32(0)) {
            if (digest != c.checkpointDigest) revert ConflictingCheckpoint(cp.height);
            return;
        }
        _verifySigners(channelId, digest, signatures, c.quorum);
        c.height = cp.height;
        c.exitRoot = cp.exitRoot;
        c.checkpointDigest = digest;
        emit CheckpointAccepted(channelId, cp.height, cp.exitRoot);
    }

    /// @dev ≥ `needed` signatures over `digest`, signers strictly ascending participants of the channel.
    function _verifySigners(bytes32 channelId, bytes32 digest, bytes[] calldata signatures, uint256 needed)
        internal
        view
    {
        if (signatures.length < needed) revert UnderQuorum(signatures.length, needed);
        address previous = address(0);
        for (uint256 i = 0; i < signatures.length; i++) {
            address signer = ECDSA.recover(digest, signatures[i]);
            if (signer <= previous) revert SignersNotAscending(signer);
            if (!isParticipant[channelId][signer]) revert NotParticipant(signer);
            previous = signer;
        }
    }

    /**
     * @dev Verifies `leaf` under `root` and pays `entitled − paid` of it (at most the channel's
     *      holdings of the token: `_payOut`); records what was actually paid, then transfers it.
     */
    function _payLeaf(bytes32 channelId, bytes32 root, ExitLeaf calldata leaf, bytes32[] calldata proof, uint256 entitled)
        internal
        returns (uint256 amount)
    {
        if (!MerkleProof.verifyCalldata(proof, root, leafHash(leaf))) revert InvalidProof();
        uint256 already = paid[channelId][leaf.account][leaf.token];
        amount = _payOut(holdings[channelId], leaf.token, _unpaid(entitled, already));
        if (amount == 0) revert NothingToPay();
        paid[channelId][leaf.account][leaf.token] = already + amount;
        _transfer(leaf.token, leaf.account, amount);
    }

    /// @dev What is still owed of a cumulative entitlement: `entitled − already`, or 0.
    function _unpaid(uint256 entitled, uint256 already) internal pure returns (uint256) {
        return entitled > already ? entitled - already : 0;
    }

    function _structHash(bytes32 typeHash, Checkpoint calldata cp) internal pure returns (bytes32) {
        return keccak256(abi.encode(typeHash, cp.channelId, cp.height, cp.stateRoot, cp.exitRoot, cp.timeMs));
    }
}
