// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @title NotaryRegistry2 — an issuer identity's append-only history of
/// Merkle roots, anchored by keys the identity authorizes, retires and
/// declares compromised.
/// @notice An issuer has one long-lived *identity* address (its key kept
/// offline) and short-lived *anchoring keys* (the notary's online key). The
/// identity authorizes a key from the block of the authorization on, retires
/// it (what it anchored before stays valid), or declares it compromised since
/// a block (what it anchored from that block on is void, earlier anchors stay
/// valid). Changes are made by the identity itself or, more usually, by anyone
/// who submits an EIP-712 signature of the identity, so the offline identity
/// needs no funds. An issuer that never rotates works as with NotaryRegistry:
/// its identity is its own anchoring key from block 0 on.
///
/// The rule a verifier applies (docs/registry-v2.md): an anchor at block B by
/// key K counts for identity I iff, with keyStatus(I, K) =
/// (authorizedFrom, retiredAt, compromisedSince, identityCompromisedSince),
///     authorizedFrom <= B < min(retiredAt, compromisedSince, identityCompromisedSince).
/// keyCountsAt(I, K, B) evaluates exactly this. Status changes only ever
/// shrink the set of counting anchors, so the latest state is the one to ask.
///
/// Sequence rules are NotaryRegistry's, per identity and kind: kind 0 (issuance
/// batch) and kind 1 (revocation checkpoint) each count 0, 1, 2, ... with no
/// gap and no repeat, and an identity anchors a root at most once.
/// @dev Block numbers and sequence numbers are kept in 56 bits, timestamps in
/// 48 bits, key indexes in 24 bits: far beyond any reachable value.
contract NotaryRegistry2 {
    /// Kind of an anchored root: a closed issuance batch.
    uint8 private constant KIND_BATCH = 0;
    /// Kind of an anchored root: a revocation-log checkpoint.
    uint8 private constant KIND_CHECKPOINT = 1;
    /// keyStatus' value for "never" (not retired, not compromised) and, as
    /// authorizedFrom, for "never authorized".
    uint64 private constant NEVER = type(uint64).max;

    uint256 private constant MASK56 = (uint256(1) << 56) - 1;
    uint256 private constant MASK48 = (uint256(1) << 48) - 1;
    uint256 private constant MASK24 = (uint256(1) << 24) - 1;

    // _identity[I]: bits 0..55 next seq of kind 0, 56..111 next seq of kind 1,
    // 112..167 the identity's own key's retiredAt (0 = not retired),
    // 168..223 identity compromisedSince + 1 (0 = not compromised),
    // 224..247 number of keys the identity has authorized so far.
    uint256 private constant SELF_RETIRED_SHIFT = 112;
    uint256 private constant ID_COMPROMISED_SHIFT = 168;
    uint256 private constant KEY_COUNT_SHIFT = 224;

    // _keys[I][K] (K != I; 0 = never authorized): bits 0..55 authorizedFrom,
    // 56..111 retiredAt (0 = not retired), 112..167 compromisedSince + 1
    // (0 = not compromised), 168..191 the key's index (1, 2, ...).
    uint256 private constant K_RETIRED_SHIFT = 56;
    uint256 private constant K_COMPROMISED_SHIFT = 112;
    uint256 private constant K_INDEX_SHIFT = 168;

    // _records[I][root] (0 = never anchored): bits 0..7 kind, 8..31 index of
    // the anchoring key (0 = the identity itself), 32..87 seq, 88..151 size,
    // 152..199 block timestamp, 200..255 block number (>= 1, so a record is
    // never zero).
    uint256 private constant R_KEY_SHIFT = 8;
    uint256 private constant R_SEQ_SHIFT = 32;
    uint256 private constant R_SIZE_SHIFT = 88;
    uint256 private constant R_TIME_SHIFT = 152;
    uint256 private constant R_BLOCK_SHIFT = 200;

    /// Half the order of secp256k1: a larger s is the malleable twin of a
    /// valid signature (EIP-2).
    uint256 private constant SECP256K1N_HALF = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0;

    bytes32 private constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    bytes32 private constant NAME_HASH = keccak256("NotaryRegistry");
    bytes32 private constant VERSION_HASH = keccak256("2");
    bytes32 private constant AUTHORIZE_TYPEHASH = keccak256("AuthorizeKey(address identity,address key,uint256 nonce)");
    bytes32 private constant RETIRE_TYPEHASH = keccak256("RetireKey(address identity,address key,uint256 nonce)");
    bytes32 private constant COMPROMISED_TYPEHASH =
        keccak256("DeclareCompromised(address identity,address key,uint64 since,uint256 nonce)");

    // --- errors: anchoring (the first five as in NotaryRegistry) -------------

    /// `seq` is not the identity's next sequence number for this kind
    /// (a repeat if smaller, a gap if larger).
    error BadSequence(uint64 expected, uint64 given);
    /// This identity already anchored this root (of either kind).
    error AlreadyAnchored(bytes32 root);
    /// Only kinds 0 (issuance batch) and 1 (revocation checkpoint) exist.
    error BadKind(uint8 kind);
    /// A tree of zero leaves is never anchored.
    error ZeroSize();
    /// The all-zero root is reserved: RFC 9162 roots are SHA-256 outputs.
    error ZeroRoot();
    /// `key` is neither `identity` nor a key `identity` has authorized.
    error NotAuthorized(address identity, address key);
    /// `key` was retired for `identity`; its anchors stop counting at block `retiredAt`.
    error KeyIsRetired(address identity, address key, uint64 retiredAt);
    /// `identity` declared `key` compromised since block `since`.
    error KeyIsCompromised(address identity, address key, uint64 since);
    /// `identity` declared itself compromised since block `since`: nothing
    /// more is anchored for it, and only an earlier `since` can be declared.
    error IdentityIsCompromised(address identity, uint64 since);

    // --- errors: key changes -------------------------------------------------

    /// The zero address is no key.
    error ZeroKey();
    /// `key` is `identity` itself (authorized implicitly) or was authorized
    /// before: a key is authorized at most once per identity, so it is never
    /// authorized again after retirement or compromise.
    error KeyAlreadyAuthorized(address identity, address key);
    /// `identity` has authorized 2^24 - 1 keys.
    error TooManyKeys(address identity);
    /// A compromise cannot be declared for a block after the current one.
    error SinceInFuture(uint64 since, uint64 currentBlock);
    /// A compromise cannot be declared for a block before the key's authorization.
    error SinceBeforeAuthorization(uint64 since, uint64 authorizedFrom);
    /// `key` is already declared compromised since `since`; a new declaration
    /// must name an earlier block.
    error AlreadyCompromised(address identity, address key, uint64 since);

    // --- errors: signatures --------------------------------------------------

    /// The signed nonce is not `identity`'s current nonce (a replay, or a
    /// message signed before another change).
    error BadNonce(address identity, uint256 expected, uint256 given);
    /// v must be 27 or 28.
    error BadSignatureV(uint8 v);
    /// s must be at most secp256k1n / 2 (EIP-2).
    error MalleableSignature(bytes32 s);
    /// The signature recovers to `recovered` (0 if it recovers to nothing),
    /// not to `identity`: wrong key, wrong chain, wrong contract or wrong fields.
    error WrongSigner(address identity, address recovered);

    // --- events --------------------------------------------------------------

    /// One anchor of `root` for `identity`, sent by anchoring key `key`.
    event Anchored(address indexed identity, bytes32 indexed root, uint64 size, uint64 seq, uint8 kind, address key);
    /// `identity` authorized `key` (its `index`-th key) from block `authorizedFrom` on.
    event KeyAuthorized(address indexed identity, address indexed key, uint64 authorizedFrom, uint32 index);
    /// `identity` retired `key`: its anchors at blocks >= `retiredAt` (the
    /// block after the retiring transaction's) do not count.
    event KeyRetired(address indexed identity, address indexed key, uint64 retiredAt);
    /// `identity` declared `key` compromised: its anchors at blocks >= `since`
    /// do not count. With key == identity, nothing anchored for the identity
    /// at blocks >= `since` counts.
    event KeyCompromised(address indexed identity, address indexed key, uint64 since);

    mapping(address => uint256) private _identity;
    mapping(address => mapping(address => uint256)) private _keys;
    mapping(address => mapping(uint256 => address)) private _keyAt;
    mapping(address => mapping(bytes32 => uint256)) private _records;
    mapping(address => uint256) private _nonces;

    // --- anchoring -----------------------------------------------------------

    /// Anchor `root` of a tree of `size` leaves as `identity`'s `seq`-th root
    /// of `kind`; the sender is the anchoring key. Reverts with BadKind,
    /// ZeroSize, ZeroRoot, IdentityIsCompromised, NotAuthorized,
    /// KeyIsCompromised, KeyIsRetired, BadSequence or AlreadyAnchored (checked
    /// in this order); on success emits Anchored.
    function anchor(address identity, bytes32 root, uint64 size, uint64 seq, uint8 kind) external {
        if (kind > KIND_CHECKPOINT) revert BadKind(kind);
        if (size == 0) revert ZeroSize();
        if (root == bytes32(0)) revert ZeroRoot();

        uint256 id = _identity[identity];
        uint256 c = (id >> ID_COMPROMISED_SHIFT) & MASK56;
        if (c != 0) revert IdentityIsCompromised(identity, uint64(c - 1));
        uint256 keyIndex;
        if (msg.sender == identity) {
            uint256 r = (id >> SELF_RETIRED_SHIFT) & MASK56;
            if (r != 0) revert KeyIsRetired(identity, msg.sender, uint64(r));
        } else {
            uint256 k = _keys[identity][msg.sender];
            if (k == 0) revert NotAuthorized(identity, msg.sender);
            uint256 kc = (k >> K_COMPROMISED_SHIFT) & MASK56;
            if (kc != 0) revert KeyIsCompromised(identity, msg.sender, uint64(kc - 1));
            uint256 kr = (k >> K_RETIRED_SHIFT) & MASK56;
            if (kr != 0) revert KeyIsRetired(identity, msg.sender, uint64(kr));
            keyIndex = (k >> K_INDEX_SHIFT) & MASK24;
        }

        uint256 shift;
        unchecked {
            shift = uint256(kind) * 56; // kind <= 1
        }
        uint64 expected = uint64((id >> shift) & MASK56);
        if (seq != expected) revert BadSequence(expected, seq);

        mapping(bytes32 => uint256) storage records = _records[identity];
        // Reading the slot first makes the write below warm (as in NotaryRegistry).
        if (records[root] != 0) revert AlreadyAnchored(root);
        records[root] = ((block.number & MASK56) << R_BLOCK_SHIFT) | ((block.timestamp & MASK48) << R_TIME_SHIFT)
            | (uint256(size) << R_SIZE_SHIFT) | (uint256(seq) << R_SEQ_SHIFT) | (keyIndex << R_KEY_SHIFT)
            | uint256(kind);
        unchecked {
            // expected < 2^56 - 1 in any reachable state: no carry into the next field.
            _identity[identity] = id + (uint256(1) << shift);
        }
        emit Anchored(identity, root, size, seq, kind, msg.sender);
    }

    // --- key changes by the identity itself (it pays the gas) ----------------

    /// The sender (an identity) authorizes `key` from this block on. Reverts
    /// with ZeroKey, IdentityIsCompromised, KeyAlreadyAuthorized or TooManyKeys;
    /// emits KeyAuthorized and advances the sender's nonce.
    function authorizeKey(address key) external {
        _authorize(msg.sender, key);
    }

    /// The sender (an identity) retires `key` (which may be the sender itself):
    /// it cannot anchor from now on and its anchors at blocks >= the next block
    /// do not count. Reverts with IdentityIsCompromised, NotAuthorized,
    /// KeyIsCompromised or KeyIsRetired; emits KeyRetired and advances the nonce.
    function retireKey(address key) external {
        _retire(msg.sender, key);
    }

    /// The sender (an identity) declares `key` (which may be the sender itself)
    /// compromised since block `since` (<= the current block, >= the key's
    /// authorizedFrom; 0 is allowed for the identity itself). A repeated
    /// declaration must name an earlier block. Reverts with SinceInFuture,
    /// IdentityIsCompromised, NotAuthorized, SinceBeforeAuthorization or
    /// AlreadyCompromised; emits KeyCompromised and advances the nonce.
    function declareCompromised(address key, uint64 since) external {
        _declareCompromised(msg.sender, key, since);
    }

    // --- the same changes, authorized by the identity's EIP-712 signature ----
    // Anyone may submit them. Each first checks `nonce` against nonces(identity)
    // (BadNonce), then v (BadSignatureV), s (MalleableSignature) and the
    // recovered signer (WrongSigner), then does what the direct call does.

    /// authorizeKey for `identity`, signed as AuthorizeKey(identity, key, nonce).
    function authorizeKeyBySig(address identity, address key, uint256 nonce, uint8 v, bytes32 r, bytes32 s)
        external
    {
        _checkSignature(identity, nonce, authorizeKeyDigest(identity, key, nonce), v, r, s);
        _authorize(identity, key);
    }

    /// retireKey for `identity`, signed as RetireKey(identity, key, nonce).
    function retireKeyBySig(address identity, address key, uint256 nonce, uint8 v, bytes32 r, bytes32 s) external {
        _checkSignature(identity, nonce, retireKeyDigest(identity, key, nonce), v, r, s);
        _retire(identity, key);
    }

    /// declareCompromised for `identity`, signed as
    /// DeclareCompromised(identity, key, since, nonce).
    function declareCompromisedBySig(
        address identity,
        address key,
        uint64 since,
        uint256 nonce,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external {
        _checkSignature(identity, nonce, declareCompromisedDigest(identity, key, since, nonce), v, r, s);
        _declareCompromised(identity, key, since);
    }

    // --- views ---------------------------------------------------------------

    /// The sequence number that `identity`'s next anchor of `kind` must carry
    /// (0 before the first). Kinds above 1 answer 0.
    function nextSeq(address identity, uint8 kind) external view returns (uint64) {
        if (kind > KIND_CHECKPOINT) return 0;
        unchecked {
            return uint64((_identity[identity] >> (uint256(kind) * 56)) & MASK56);
        }
    }

    /// When and by which key was `root` anchored for `identity`: the block
    /// number and timestamp of the anchoring transaction, the record it bound
    /// and the anchoring key. All zeros if never (blockNumber == 0 means "not
    /// anchored").
    function anchoredAt(address identity, bytes32 root)
        external
        view
        returns (uint64 blockNumber, uint64 timestamp, uint64 size, uint64 seq, uint8 kind, address key)
    {
        uint256 r = _records[identity][root];
        if (r == 0) return (0, 0, 0, 0, 0, address(0));
        blockNumber = uint64(r >> R_BLOCK_SHIFT);
        timestamp = uint64((r >> R_TIME_SHIFT) & MASK48);
        size = uint64(r >> R_SIZE_SHIFT);
        seq = uint64((r >> R_SEQ_SHIFT) & MASK56);
        kind = uint8(r);
        key = keyAt(identity, (r >> R_KEY_SHIFT) & MASK24);
    }

    /// The history of `key` for `identity`, as block numbers; NEVER
    /// (2^64 - 1) where the event did not happen:
    ///   authorizedFrom            first block the key may anchor at (0 for
    ///                             the identity itself; NEVER if never authorized)
    ///   retiredAt                 first block its anchors no longer count at
    ///                             (the block after the retiring transaction's)
    ///   compromisedSince          first block its anchors no longer count at,
    ///                             by a declaration of compromise
    ///   identityCompromisedSince  first block nothing anchored for the identity
    ///                             counts at (the identity declared itself compromised)
    function keyStatus(address identity, address key)
        public
        view
        returns (uint64 authorizedFrom, uint64 retiredAt, uint64 compromisedSince, uint64 identityCompromisedSince)
    {
        uint256 id = _identity[identity];
        uint256 ic = (id >> ID_COMPROMISED_SHIFT) & MASK56;
        identityCompromisedSince = ic == 0 ? NEVER : uint64(ic - 1);
        if (key == identity) {
            uint256 r = (id >> SELF_RETIRED_SHIFT) & MASK56;
            return (0, r == 0 ? NEVER : uint64(r), identityCompromisedSince, identityCompromisedSince);
        }
        uint256 k = _keys[identity][key];
        if (k == 0) return (NEVER, NEVER, NEVER, identityCompromisedSince);
        uint256 kr = (k >> K_RETIRED_SHIFT) & MASK56;
        uint256 kc = (k >> K_COMPROMISED_SHIFT) & MASK56;
        authorizedFrom = uint64(k & MASK56);
        retiredAt = kr == 0 ? NEVER : uint64(kr);
        compromisedSince = kc == 0 ? NEVER : uint64(kc - 1);
    }

    /// Does an anchor at block `blockNumber` by `key` count for `identity`?
    /// authorizedFrom <= blockNumber < min(retiredAt, compromisedSince,
    /// identityCompromisedSince), with keyStatus(identity, key).
    function keyCountsAt(address identity, address key, uint64 blockNumber) external view returns (bool) {
        (uint64 from, uint64 retired, uint64 compromised, uint64 idCompromised) = keyStatus(identity, key);
        return from <= blockNumber && blockNumber < retired && blockNumber < compromised
            && blockNumber < idCompromised;
    }

    /// How many keys `identity` has authorized (ever; the identity itself not counted).
    function keyCount(address identity) external view returns (uint32) {
        return uint32((_identity[identity] >> KEY_COUNT_SHIFT) & MASK24);
    }

    /// `identity`'s `index`-th authorized key (1 = the first); index 0 is the
    /// identity itself; the zero address for an index above keyCount.
    function keyAt(address identity, uint256 index) public view returns (address) {
        return index == 0 ? identity : _keyAt[identity][index];
    }

    /// The nonce the identity's next signed change must carry: the number of
    /// key changes it has made so far, signed or direct.
    function nonces(address identity) external view returns (uint256) {
        return _nonces[identity];
    }

    /// The EIP-712 domain separator: name "NotaryRegistry", version "2", this
    /// chain's id and this contract's address.
    function domainSeparator() public view returns (bytes32) {
        return keccak256(abi.encode(DOMAIN_TYPEHASH, NAME_HASH, VERSION_HASH, block.chainid, address(this)));
    }

    /// The EIP-712 digest an identity signs to authorize `key`.
    function authorizeKeyDigest(address identity, address key, uint256 nonce) public view returns (bytes32) {
        return _digest(keccak256(abi.encode(AUTHORIZE_TYPEHASH, identity, key, nonce)));
    }

    /// The EIP-712 digest an identity signs to retire `key`.
    function retireKeyDigest(address identity, address key, uint256 nonce) public view returns (bytes32) {
        return _digest(keccak256(abi.encode(RETIRE_TYPEHASH, identity, key, nonce)));
    }

    /// The EIP-712 digest an identity signs to declare `key` compromised since `since`.
    function declareCompromisedDigest(address identity, address key, uint64 since, uint256 nonce)
        public
        view
        returns (bytes32)
    {
        return _digest(keccak256(abi.encode(COMPROMISED_TYPEHASH, identity, key, since, nonce)));
    }

    // --- internals -----------------------------------------------------------

    function _digest(bytes32 structHash) private view returns (bytes32) {
        return keccak256(abi.encodePacked("\x19\x01", domainSeparator(), structHash));
    }

    function _checkSignature(address identity, uint256 nonce, bytes32 digest, uint8 v, bytes32 r, bytes32 s)
        private
        view
    {
        uint256 expected = _nonces[identity];
        if (nonce != expected) revert BadNonce(identity, expected, nonce);
        if (v != 27 && v != 28) revert BadSignatureV(v);
        if (uint256(s) > SECP256K1N_HALF) revert MalleableSignature(s);
        address signer = ecrecover(digest, v, r, s);
        if (signer == address(0) || signer != identity) revert WrongSigner(identity, signer);
    }

    function _requireIdentityUsable(address identity, uint256 id) private pure {
        uint256 c = (id >> ID_COMPROMISED_SHIFT) & MASK56;
        if (c != 0) revert IdentityIsCompromised(identity, uint64(c - 1));
    }

    function _changed(address identity) private {
        unchecked {
            _nonces[identity]++; // one per transaction: never wraps
        }
    }

    function _authorize(address identity, address key) private {
        if (key == address(0)) revert ZeroKey();
        uint256 id = _identity[identity];
        _requireIdentityUsable(identity, id);
        if (key == identity || _keys[identity][key] != 0) revert KeyAlreadyAuthorized(identity, key);
        uint256 index = ((id >> KEY_COUNT_SHIFT) & MASK24) + 1;
        if (index > MASK24) revert TooManyKeys(identity);
        _identity[identity] = (id & ~(MASK24 << KEY_COUNT_SHIFT)) | (index << KEY_COUNT_SHIFT);
        _keys[identity][key] = (block.number & MASK56) | (index << K_INDEX_SHIFT);
        _keyAt[identity][index] = key;
        _changed(identity);
        emit KeyAuthorized(identity, key, uint64(block.number), uint32(index));
    }

    function _retire(address identity, address key) private {
        uint256 id = _identity[identity];
        _requireIdentityUsable(identity, id);
        uint256 at = (block.number + 1) & MASK56;
        if (key == identity) {
            uint256 r = (id >> SELF_RETIRED_SHIFT) & MASK56;
            if (r != 0) revert KeyIsRetired(identity, key, uint64(r));
            _identity[identity] = id | (at << SELF_RETIRED_SHIFT);
        } else {
            uint256 k = _keys[identity][key];
            if (k == 0) revert NotAuthorized(identity, key);
            uint256 kc = (k >> K_COMPROMISED_SHIFT) & MASK56;
            if (kc != 0) revert KeyIsCompromised(identity, key, uint64(kc - 1));
            uint256 kr = (k >> K_RETIRED_SHIFT) & MASK56;
            if (kr != 0) revert KeyIsRetired(identity, key, uint64(kr));
            _keys[identity][key] = k | (at << K_RETIRED_SHIFT);
        }
        _changed(identity);
        emit KeyRetired(identity, key, uint64(at));
    }

    function _declareCompromised(address identity, address key, uint64 since) private {
        if (since > block.number) revert SinceInFuture(since, uint64(block.number));
        uint256 id = _identity[identity];
        uint256 encoded = uint256(since) + 1;
        if (key == identity) {
            uint256 c = (id >> ID_COMPROMISED_SHIFT) & MASK56;
            if (c != 0 && encoded >= c) revert AlreadyCompromised(identity, key, uint64(c - 1));
            _identity[identity] = (id & ~(MASK56 << ID_COMPROMISED_SHIFT)) | (encoded << ID_COMPROMISED_SHIFT);
        } else {
            _requireIdentityUsable(identity, id);
            uint256 k = _keys[identity][key];
            if (k == 0) revert NotAuthorized(identity, key);
            uint64 from = uint64(k & MASK56);
            if (since < from) revert SinceBeforeAuthorization(since, from);
            uint256 kc = (k >> K_COMPROMISED_SHIFT) & MASK56;
            if (kc != 0 && encoded >= kc) revert AlreadyCompromised(identity, key, uint64(kc - 1));
            _keys[identity][key] = (k & ~(MASK56 << K_COMPROMISED_SHIFT)) | (encoded << K_COMPROMISED_SHIFT);
        }
        _changed(identity);
        emit KeyCompromised(identity, key, since);
    }
}
