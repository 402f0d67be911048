// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @title Timestamp — a stand-in for EBSI's Timestamp contract (timestamp-v4)
/// for the local gateway, written for this project.
/// @notice Its external interface is EBSI's: the same function signatures
/// (hence selectors), the same return shapes, the same event and the same
/// revert strings where the notary depends on them (docs/ebsi.md lists what
/// was checked against EBSI's published sources). Records, versions and the
/// policy registry of EBSI's contract are left out: the notary does not use
/// them. Hash algorithms are administered by the deployer instead of EBSI's
/// Trusted Policies Registry.
/// @dev Semantics the notary relies on:
///  - timestampId = sha256(hashValue); the first write of a hash wins, a later
///    write of the same hash (same algorithm) changes nothing but is not an
///    error; with another algorithm it reverts;
///  - TimestampedHashes is emitted once per call and lists every hash of the
///    call, the already known ones too: an event alone does not say who wrote
///    a hash first — getTimestamp does;
///  - getTimestamp / getTimestampById revert "timestamp unknown" for a hash
///    never written; they carry no block time (read it from the block).
contract Timestamp {
    enum Status {
        undefined,
        active,
        revoked
    }

    struct Hash {
        uint256 algorithm;
        bytes value;
    }

    struct Entry {
        Hash hash;
        address timestampedBy;
        uint256 blockNumber;
        bytes data;
    }

    struct Algorithm {
        uint256 outputLength; // bits; 0 = no such algorithm
        string ianaName;
        string oid;
        Status status;
        string multiHash;
    }

    event TimestampedHashes(bytes32[] timestampIds, uint256[] hashAlgorithmIds, bytes[] hashValues, bytes[] timestampData);
    event AddNewHashAlgo(
        uint256 indexed hashId, string indexed ianaNameHash, uint256 outputLength, string oid, Status status, string multiHash
    );
    event UpdateHashAlgo(
        uint256 indexed hashId,
        string indexed ianaNameHash,
        string ianaName,
        uint256 outputLength,
        string oid,
        Status status,
        string multiHash
    );

    address private _admin; // not immutable: the runtime code must equal the committed artifact
    mapping(bytes32 => Entry) private _entries;
    bytes32[] private _ids;
    mapping(uint256 => Algorithm) private _algorithms;
    uint256 private _algorithmCount;

    /// Algorithm 0 is SHA-256, active, as on EBSI's deployments.
    constructor() {
        _admin = msg.sender;
        _addAlgorithm(256, "sha-256", "2.16.840.1.101.3.4.2.1", Status.active, "sha2-256");
    }

    function version() external pure returns (uint256) {
        return 1;
    }

    /// Timestamp up to three hashes; element i of each array describes hash
    /// i (timestampData may be shorter: missing items are empty).
    function timestampHashes(uint256[] calldata hashAlgorithmIds, bytes[] calldata hashValues, bytes[] calldata timestampData)
        external
        returns (bytes32[] memory timestampIds)
    {
        uint256 n = hashAlgorithmIds.length;
        require(n <= 3, "hashAlgorithmIds>3");
        require(hashValues.length <= 3, "hashValues>3");
        require(timestampData.length <= 3, "timestampData>3");
        require(hashValues.length == n, "hashvalue/algo count mismatch");
        timestampIds = new bytes32[](n);
        for (uint256 i = 0; i < n; i++) {
            bytes calldata value = hashValues[i];
            require(value.length > 0, "hashValue empty");
            Algorithm storage alg = _algorithms[hashAlgorithmIds[i]];
            require(alg.outputLength > 0, "hashAlgo unknown");
            require(alg.status == Status.active, "hashAlgo not active");
            bytes32 id = sha256(value);
            timestampIds[i] = id;
            Entry storage en = _entries[id];
            if (en.hash.value.length == 0) {
                en.hash = Hash(hashAlgorithmIds[i], value);
                en.timestampedBy = msg.sender;
                en.blockNumber = block.number;
                if (i < timestampData.length) en.data = timestampData[i];
                _ids.push(id);
            } else {
                require(en.hash.algorithm == hashAlgorithmIds[i], "timestamp with different hashAlgo");
            }
        }
        emit TimestampedHashes(timestampIds, hashAlgorithmIds, hashValues, timestampData);
    }

    function getTimestamp(bytes calldata hashValue)
        external
        view
        returns (Hash memory hash, address timestampedBy, uint256 blockNumber, bytes memory data)
    {
        require(hashValue.length > 0, "hash empty");
        return _get(sha256(hashValue));
    }

    function getTimestampById(bytes32 timestampId)
        external
        view
        returns (Hash memory hash, address timestampedBy, uint256 blockNumber, bytes memory data)
    {
        require(timestampId != bytes32(0), "tsId empty");
        return _get(timestampId);
    }

    /// Page `page` (from 1) of at most `pageSize` (1..50) timestamp ids, in
    /// the order they were first written.
    function getTimestamps(uint256 page, uint256 pageSize)
        external
        view
        returns (bytes32[] memory items, uint256 total, uint256 howMany, uint256 prev, uint256 next)
    {
        (uint256 first, uint256 count) = _page(_ids.length, page, pageSize);
        items = new bytes32[](count);
        for (uint256 i = 0; i < count; i++) {
            items[i] = _ids[first + i];
        }
        return (items, _ids.length, count, page > 1 ? page - 1 : 1, first + count < _ids.length ? page + 1 : page);
    }

    function insertHashAlgorithm(
        uint256 outputLength,
        string memory ianaName,
        string memory oid,
        Status status,
        string memory multiHash
    ) external {
        require(msg.sender == _admin, "Policy error: sender doesn't have the attribute TS:insertHashAlgorithm");
        _addAlgorithm(outputLength, ianaName, oid, status, multiHash);
    }

    function updateHashAlgorithm(
        uint256 hashAlgorithmId,
        uint256 outputLength,
        string memory ianaName,
        string memory oid,
        Status status,
        string memory multiHash
    ) external {
        require(msg.sender == _admin, "Policy error: sender doesn't have the attribute TS:updateHashAlgorithm");
        require(outputLength > 0, "outputLength==0");
        require(status != Status.undefined, "status==0");
        require(hashAlgorithmId < _algorithmCount, "hashAlgorithmId unknown");
        require(bytes(ianaName).length > 0, "ianaName unknown");
        _algorithms[hashAlgorithmId] = Algorithm(outputLength, ianaName, oid, status, multiHash);
        emit UpdateHashAlgo(hashAlgorithmId, ianaName, ianaName, outputLength, oid, status, multiHash);
    }

    function getHashAlgorithmById(uint256 hashAlgorithmId)
        external
        view
        returns (uint256 outputLength, string memory ianaName, string memory oid, Status status, string memory multiHash)
    {
        Algorithm storage a = _algorithms[hashAlgorithmId];
        require(a.outputLength > 0, "hashAlgo unknown");
        return (a.outputLength, a.ianaName, a.oid, a.status, a.multiHash);
    }

    function getHashAlgorithms(uint256 page, uint256 pageSize)
        external
        view
        returns (uint256[] memory items, uint256 total, uint256 howMany, uint256 prev, uint256 next)
    {
        (uint256 first, uint256 count) = _page(_algorithmCount, page, pageSize);
        items = new uint256[](count);
        for (uint256 i = 0; i < count; i++) {
            items[i] = first + i;
        }
        return (items, _algorithmCount, count, page > 1 ? page - 1 : 1, first + count < _algorithmCount ? page + 1 : page);
    }

    function _get(bytes32 id)
        private
        view
        returns (Hash memory hash, address timestampedBy, uint256 blockNumber, bytes memory data)
    {
        Entry storage en = _entries[id];
        require(en.hash.value.length > 0, "timestamp unknown");
        return (en.hash, en.timestampedBy, en.blockNumber, en.data);
    }

    function _page(uint256 total, uint256 page, uint256 pageSize) private pure returns (uint256 first, uint256 count) {
        require(pageSize <= 50, "PSize not <= 50");
        require(pageSize > 0, "PSize not >0");
        require(page > 0, "Page not >0");
        first = (page - 1) * pageSize;
        if (first >= total) return (first, 0);
        count = total - first < pageSize ? total - first : pageSize;
    }

    function _addAlgorithm(uint256 outputLength, string memory ianaName, string memory oid, Status status, string memory multiHash)
        private
    {
        require(outputLength > 0, "outputLength==0");
        require(status != Status.undefined, "status==0");
        require(bytes(ianaName).length > 0, "ianaName unknown");
        uint256 id = _algorithmCount++;
        _algorithms[id] = Algorithm(outputLength, ianaName, oid, status, multiHash);
        emit AddNewHashAlgo(id, ianaName, outputLength, oid, status, multiHash);
    }
}
