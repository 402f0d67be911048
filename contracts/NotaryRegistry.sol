// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @title NotaryRegistry — an issuer's append-only history of Merkle roots.
/// @notice Each issuer (the sending address) anchors the RFC 9162 root of a
/// closed issuance batch (kind 0) or of a revocation-log checkpoint (kind 1).
/// Per issuer and kind the contract keeps the next sequence number and rejects
/// a gap or a repeat, so the chain itself shows a contiguous history that an
/// auditor can list without trusting the issuer. The anchored record binds
/// root, size, sequence number and kind to the issuer's address and to the
/// block that included it (see DESIGN.md, "Registry contract").
/// @dev Gas: one anchor writes exactly two slots — the root's packed record
/// (always a fresh slot: 22.1k) and the issuer's packed counters (5k once the
/// issuer has anchored anything of either kind, 22.1k on its very first
/// anchor). Both kinds share one counter slot so that the first checkpoint
/// after the first batch does not pay for a fresh slot again.
contract NotaryRegistry {
    /// Kind of an anchored root: a closed issuance batch.
    uint8 private constant KIND_BATCH = 0;
    /// Kind of an anchored root: a revocation-log checkpoint.
    uint8 private constant KIND_CHECKPOINT = 1;
    /// The 56 bits of a record that hold its sequence number.
    uint64 private constant SEQ_MASK = (uint64(1) << 56) - 1;

    /// `seq` is not the issuer's next sequence number for this kind
    /// (a repeat if smaller, a gap if larger).
    error BadSequence(uint64 expected, uint64 given);
    /// This issuer already anchored this root (of either kind).
    error AlreadyAnchored(bytes32 root);
    /// Only kinds 0 (issuance batch) and 1 (revocation checkpoint) exist.
    error BadKind(uint8 kind);
    /// A tree of zero leaves is never anchored.
    error ZeroSize();
    /// The all-zero root is reserved: RFC 9162 roots are SHA-256 outputs.
    error ZeroRoot();

    /// One anchor. `issuer` and `root` are indexed so that a verifier can ask
    /// eth_getLogs for exactly this pair, and an auditor for all of an issuer.
    event Anchored(address indexed issuer, bytes32 indexed root, uint64 size, uint64 seq, uint8 kind);

    /// issuer => next sequence numbers: bits 0..63 kind 0, bits 64..127 kind 1.
    mapping(address => uint256) private _next;

    /// issuer => root => packed record (0 = never anchored):
    /// bits 192..255 block number, 128..191 block timestamp, 64..127 size,
    /// 8..63 seq (56 bits: the counter advances by one per transaction, so
    /// 2^56 is out of reach), 0..7 kind. A record is never zero because the
    /// block number of a transaction is at least 1.
    mapping(address => mapping(bytes32 => uint256)) private _records;

    /// Anchor `root` of a tree of `size` leaves as the sender's `seq`-th root
    /// of `kind`. Reverts with BadKind, ZeroSize, ZeroRoot, BadSequence or
    /// AlreadyAnchored; on success emits Anchored.
    function anchor(bytes32 root, uint64 size, uint64 seq, uint8 kind) external {
        if (kind > KIND_CHECKPOINT) revert BadKind(kind);
        if (size == 0) revert ZeroSize();
        if (root == bytes32(0)) revert ZeroRoot();

        uint256 counters = _next[msg.sender];
        uint256 shift;
        unchecked {
            shift = uint256(kind) * 64; // kind <= 1
        }
        uint64 expected = uint64(counters >> shift);
        if (seq != expected) revert BadSequence(expected, seq);

        mapping(bytes32 => uint256) storage records = _records[msg.sender];
        // Reading the slot first makes the write below warm: the check is
        // almost free (EIP-2929: 2.1k cold read + 20k write = the same 22.1k).
        if (records[root] != 0) revert AlreadyAnchored(root);

        records[root] = (uint256(uint64(block.number)) << 192) | (uint256(uint64(block.timestamp)) << 128)
            | (uint256(size) << 64) | (uint256(seq) << 8) | uint256(kind);
        unchecked {
            // expected < 2^64 - 1 in any reachable state, so no carry into
            // the other kind's counter.
            _next[msg.sender] = counters + (uint256(1) << shift);
        }
        emit Anchored(msg.sender, root, size, seq, kind);
    }

    /// The sequence number that `issuer`'s next anchor of `kind` must carry
    /// (0 before the first). Kinds above 1 answer 0.
    function nextSeq(address issuer, uint8 kind) external view returns (uint64) {
        if (kind > KIND_CHECKPOINT) return 0;
        unchecked {
            return uint64(_next[issuer] >> (uint256(kind) * 64));
        }
    }

    /// When did `issuer` anchor `root`: the block number and timestamp of the
    /// anchoring transaction and the record it bound. All zeros if `issuer`
    /// never anchored `root` (blockNumber == 0 means "not anchored").
    function anchoredAt(address issuer, bytes32 root)
        external
        view
        returns (uint64 blockNumber, uint64 timestamp, uint64 size, uint64 seq, uint8 kind)
    {
        uint256 r = _records[issuer][root];
        blockNumber = uint64(r >> 192);
        timestamp = uint64(r >> 128);
        size = uint64(r >> 64);
        seq = uint64(r >> 8) & SEQ_MASK;
        kind = uint8(r);
    }
}
