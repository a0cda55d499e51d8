// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {Custody} from "./Custody.sol";

/**
 * @title Bonds and equivocation reports of the Semilattice adjudicator
 * @notice One invariant: a channel's bonds only move between its participants. Posting adds the
 *         channel's bond to the poster, a proven equivocation moves the author's whole bond to the
 *         reporting participant (once per author), reclaiming pays a participant's bond out. So for
 *         every channel Σ bondOf(channel, ·) = `bondHoldings[channel][ETH]`, the channel's bond pot
 *         (Custody): slashing neither creates nor destroys value, and bonds never mix with the
 *         channel's funds (`holdings`).
 *         Equivocation (DESIGN §3): two batch headers of one channel signed by one participant with
 *         the same seq and different contents (same seq ⇒ neither is the other's ancestor); or two
 *         Tendermint votes of one channel signed by one participant for the same height, round and
 *         type with different values (Buchman–Kwon–Milosevic 2018: a correct process sends one
 *         prevote and one precommit per round).
 * Sources: OpenZeppelin Contracts 5.4 (ECDSA.recover, EIP712._hashTypedDataV4); EIP-712.
 */
abstract contract Bonds is Custody, EIP712, ReentrancyGuardTransient {
    /// @dev EIP-712 type strings; they must equal src/channel's (batch.ts, checkpointTypes.ts).
    ///      `timestamp` is ms since the Unix epoch (the struct field `timestampMs`).
    bytes32 public constant BATCH_TYPEHASH = keccak256(
        "Batch(bytes32 channelId,address author,uint64 seq,bytes32[] parents,bytes32 payloadDigest,uint64 timestamp)"
    );
    /// @dev Tendermint vote (src/channel/checkpointTypes.ts): voteType 1 = prevote, 2 = precommit.
    bytes32 public constant VOTE_TYPEHASH =
        keccak256("Vote(bytes32 channelId,uint64 height,uint32 round,uint8 voteType,bytes32 valueId)");

    /// @notice Largest channel bond (wei): 64 participants' bonds summed still fit a Bond's uint128.
    uint256 public constant MAX_BOND_WEI = type(uint96).max;

    struct BatchHeader {
        bytes32 channelId;
        address author;
        uint64 seq;
        bytes32[] parents;
        bytes32 payloadDigest;
        uint64 timestampMs;
    }

    struct Vote {
        bytes32 channelId;
        uint64 height;
        uint32 round;
        uint8 voteType;
        bytes32 valueId;
    }

    /// @dev One slot per (channel, participant).
    struct Bond {
        /// @dev Its own bond plus any slashed to it, not yet reclaimed.
        uint128 amountWei;
        bool posted;
        bool equivocated;
    }

    mapping(bytes32 => mapping(address => Bond)) internal bonds;
    /// @notice Each channel's bond pot per token (ETH only): the sum of its participants' bonds.
    mapping(bytes32 => mapping(address => uint256)) public bondHoldings;

    event BondPosted(bytes32 indexed channelId, address indexed participant, uint256 amountWei);
    event Equivocation(bytes32 indexed channelId, address indexed author, address indexed reporter, uint256 slashedWei);
    event BondReclaimed(bytes32 indexed channelId, address indexed participant, uint256 amountWei);

    error UnknownChannel(bytes32 channelId);
    error NotParticipant(address account);
    /// @dev The two messages are not for one slot: other channel, author or seq (batches); other
    ///      channel, height, round or type (votes).
    error NotSameSlot();
    /// @dev The two messages are the same message (equal digests or equal values): no equivocation.
    error IdenticalMessages();
    /// @dev A batch header's signature does not recover to its `author`.
    error SignatureNotByAuthor(address author, address recovered);
    /// @dev The two votes recover to different signers.
    error DifferentSigners(address first, address second);
    error ReporterIsAuthor(address author);
    error AlreadyReported(address author);
    error BondAlreadyPosted(address participant);

    /// @dev Whether the channel was opened (any status after None).
    function _channelExists(bytes32 channelId) internal view virtual returns (bool);

    function _isParticipant(bytes32 channelId, address account) internal view virtual returns (bool);

    /* ───────────────────────────── reports ───────────────────────────── */

    /// @notice Slashes a batch equivocation: `a` and `b` same channel, author and seq, different
    ///         digests, both signed by the author; the caller, another participant, gets the bond.
    function reportEquivocation(BatchHeader calldata a, bytes calldata sigA, BatchHeader calldata b, bytes calldata sigB)
        external
        nonReentrant
    {
        bytes32 channelId = a.channelId;
        if (!_channelExists(channelId)) revert UnknownChannel(channelId);
        if (b.channelId != channelId || a.author != b.author || a.seq != b.seq) revert NotSameSlot();
        if (!_isParticipant(channelId, a.author)) revert NotParticipant(a.author);
        bytes32 da = _batchDigest(a);
        bytes32 db = _batchDigest(b);
        if (da == db) revert IdenticalMessages();
        address ra = ECDSA.recover(da, sigA);
        if (ra != a.author) revert SignatureNotByAuthor(a.author, ra);
        address rb = ECDSA.recover(db, sigB);
        if (rb != a.author) revert SignatureNotByAuthor(a.author, rb);
        _slash(channelId, a.author);
    }

    /// @notice Slashes a vote equivocation: `a` and `b` same channel, height, round and type,
    ///         different values, one participant's signatures; the caller, another participant, gets the bond.
    function reportVoteEquivocation(Vote calldata a, bytes calldata sigA, Vote calldata b, bytes calldata sigB)
        external
        nonReentrant
    {
        bytes32 channelId = a.channelId;
        if (!_channelExists(channelId)) revert UnknownChannel(channelId);
        if (b.channelId != channelId || a.height != b.height || a.round != b.round || a.voteType != b.voteType) {
            revert NotSameSlot();
        }
        if (a.valueId == b.valueId) revert IdenticalMessages();
        address author = ECDSA.recover(_voteDigest(a), sigA);
        address other = ECDSA.recover(_voteDigest(b), sigB);
        if (other != author) revert DifferentSigners(author, other);
        if (!_isParticipant(channelId, author)) revert NotParticipant(author);
        _slash(channelId, author);
    }

    /* ───────────────────────────── views ───────────────────────────── */

    /// @notice `participant`'s bond in the channel (its own plus any slashed to it), wei.
    function bondOf(bytes32 channelId, address participant) external view returns (uint256) {
        return bonds[channelId][participant].amountWei;
    }

    function bondPosted(bytes32 channelId, address participant) external view returns (bool) {
        return bonds[channelId][participant].posted;
    }

    function equivocated(bytes32 channelId, address participant) external view returns (bool) {
        return bonds[channelId][participant].equivocated;
    }

    function batchDigest(BatchHeader calldata h) external view returns (bytes32) {
        return _batchDigest(h);
    }

    /* ───────────────────────────── internals ───────────────────────────── */

    /// @dev Records `participant`'s bond (`amountWei` ≤ MAX_BOND_WEI, already received), once.
    function _postBond(bytes32 channelId, address participant, uint256 amountWei) internal {
        Bond storage bond = bonds[channelId][participant];
        if (bond.posted) revert BondAlreadyPosted(participant);
        bond.posted = true;
        bond.amountWei += uint128(amountWei);
        _credit(bondHoldings[channelId], ETH, amountWei);
        emit BondPosted(channelId, participant, amountWei);
    }

    /// @dev Moves `author`'s whole bond to the reporter (msg.sender, a participant ≠ author), once per author.
    function _slash(bytes32 channelId, address author) internal {
        if (msg.sender == author) revert ReporterIsAuthor(author);
        if (!_isParticipant(channelId, msg.sender)) revert NotParticipant(msg.sender);
        Bond storage bond = bonds[channelId][author];
        if (bond.equivocated) revert AlreadyReported(author);
        bond.equivocated = true;
        uint128 slashedWei = bond.amountWei;
        bond.amountWei = 0;
        bonds[channelId][msg.sender].amountWei += slashedWei;
        emit Equivocation(channelId, author, msg.sender, slashedWei);
    }

    /// @dev Pays `participant` its whole bond out of the channel's bond pot.
    function _reclaimBond(bytes32 channelId, address participant) internal returns (uint256 amountWei) {
        Bond storage bond = bonds[channelId][participant];
        uint256 owedWei = bond.amountWei;
        if (owedWei == 0) revert NothingToPay();
        bond.amountWei = 0;
        amountWei = _payOut(bondHoldings[channelId], ETH, owedWei);
        assert(amountWei == owedWei); // the bonds invariant: the pot holds every bond of the channel
        _transfer(ETH, participant, amountWei);
        emit BondReclaimed(channelId, participant, amountWei);
    }

    function _voteDigest(Vote calldata v) internal view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(VOTE_TYPEHASH, v.channelId, v.height, v.round, v.voteType, v.valueId)));
    }

    function _batchDigest(BatchHeader calldata h) internal view returns (bytes32) {
        return _hashTypedDataV4(
            keccak256(
                abi.encode(
                    BATCH_TYPEHASH,
                    h.channelId,
                    h.author,
                    h.seq,
                    keccak256(abi.encodePacked(h.parents)),
                    h.payloadDigest,
                    h.timestampMs
                )
            )
        );
    }
}
