// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @title Timestamp — an EBSI-style timestamp contract for the local gateway.
/// @notice Mirrors the shape of EBSI's Timestamp contract closely enough that
/// the notary's `ebsi` ledger driver can be tested end to end against a local
/// ledger: `timestampHashes(uint256[],bytes[],bytes[])` records up to three
/// hashes per transaction, `getTimestamp(bytes)` answers who timestamped a
/// hash and when.
/// @dev First write wins: a hash that is already timestamped keeps its first
/// record, and timestamping it again is skipped without reverting the whole
/// call (the other hashes of that call are still recorded), so a resent
/// transaction or an overlapping batch never loses or rewrites history. Only
/// newly recorded hashes emit HashTimestamped; `getTimestamp` is the way to
/// learn the record of a skipped one.
contract Timestamp {
    /// At most this many hashes per call, as on EBSI.
    uint256 private constant MAX_HASHES = 3;
    /// A hash value is 1..64 bytes (SHA-256 and SHA3-256: 32, SHA-512: 64).
    uint256 private constant MAX_HASH_BYTES = 64;
    /// Bound on the opaque per-hash data.
    uint256 private constant MAX_DATA_BYTES = 4096;

    /// No hashes, more than three, or arrays of different lengths.
    error BadHashCount(uint256 hashAlgorithmIds, uint256 hashValues, uint256 timestampData);
    /// A hash value that is empty or longer than 64 bytes (its index given).
    error BadHashValue(uint256 index, uint256 length);
    /// Timestamp data longer than 4096 bytes (its index given).
    error DataTooLong(uint256 index, uint256 length);

    /// A hash recorded for the first time. `from` is indexed so that an
    /// auditor can list one sender's timestamps with eth_getLogs.
    event HashTimestamped(bytes hashValue, uint256 hashAlgorithmId, address indexed from, uint256 blockNumber, bytes data);

    struct Record {
        address from; // 160 bits; with the two below, one slot
        uint48 blockNumber;
        uint48 timestamp;
        uint256 hashAlgorithmId;
        bytes data;
    }

    /// keccak256(hashValue) => first record (from == 0: never timestamped).
    mapping(bytes32 => Record) private _records;

    /// Timestamp up to three hashes: element i of each array describes hash i.
    /// Reverts (BadHashCount, BadHashValue, DataTooLong) before recording
    /// anything if any element is out of bounds.
    function timestampHashes(uint256[] calldata hashAlgorithmIds, bytes[] calldata hashValues, bytes[] calldata timestampData)
        external
    {
        uint256 n = hashValues.length;
        if (n == 0 || n > MAX_HASHES || hashAlgorithmIds.length != n || timestampData.length != n) {
            revert BadHashCount(hashAlgorithmIds.length, n, timestampData.length);
        }
        for (uint256 i = 0; i < n; i++) {
            uint256 len = hashValues[i].length;
            if (len == 0 || len > MAX_HASH_BYTES) revert BadHashValue(i, len);
            if (timestampData[i].length > MAX_DATA_BYTES) revert DataTooLong(i, timestampData[i].length);
        }
        for (uint256 i = 0; i < n; i++) {
            Record storage r = _records[keccak256(hashValues[i])];
            if (r.from != address(0)) continue; // first write wins
            r.from = msg.sender;
            r.blockNumber = uint48(block.number);
            r.timestamp = uint48(block.timestamp);
            r.hashAlgorithmId = hashAlgorithmIds[i];
            if (timestampData[i].length != 0) r.data = timestampData[i];
            emit HashTimestamped(hashValues[i], hashAlgorithmIds[i], msg.sender, block.number, timestampData[i]);
        }
    }

    /// The first record of `hashValue`: who sent it, in which block, at what
    /// block time, with which algorithm id and data. All zeros and empty data
    /// if it was never timestamped (from == address(0)).
    function getTimestamp(bytes calldata hashValue)
        external
        view
        returns (address from, uint256 blockNumber, uint256 timestamp, uint256 hashAlgorithmId, bytes memory data)
    {
        Record storage r = _records[keccak256(hashValue)];
        return (r.from, r.blockNumber, r.timestamp, r.hashAlgorithmId, r.data);
    }
}
