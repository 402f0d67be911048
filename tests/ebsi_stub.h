/*
 * tests/ebsi_stub.h — what a node answers for EBSI's Timestamp contract
 * (anchor/ebsi.h, docs/ebsi.md, contracts/Timestamp.sol), encoded with
 * anchor/abi.h's encoders in the layout Solidity's ABI gives it, for the
 * fake ledgers of the unit tests (tests/rpc_stub.h's per-request responder):
 *   getTimestamp(bytes) returning ((uint256,bytes),address,uint256,bytes),
 *   or reverting Error("timestamp unknown") for a hash never written;
 *   TimestampedHashes(bytes32[],uint256[],bytes[],bytes[]) event data.
 * Replies are JSON-RPC templates with "{{id}}" (rpc_stub.h expands it).
 */
#ifndef TESTS_EBSI_STUB_H
#define TESTS_EBSI_STUB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/bytes.h"

/* "0x" + the lower-case hex of p[0..n); malloc'd, NULL out of memory. */
char *ebsi_stub_hex0x(const uint8_t *p, size_t n);

/* The eth_call reply of getTimestamp(value): the record (algorithm 0, the
 * hash value, `by` the first writer, `block`, data = `text`) as Solidity
 * encodes it: a head of 4 words (offset of the hash tuple = 0x80, the
 * address, the block, offset of data = 0x80 + the tuple's 4 words), the
 * tuple (algorithm, offset 0x40, the value), then data. A malloc'd
 * template; NULL on failure. */
char *ebsi_stub_record_reply(const struct addr20 *by, uint64_t block, const uint8_t *value,
                             size_t len, const char *text);

/* The JSON-RPC error a node answers for an eth_call that reverts with
 * Error(reason): code 3, "execution reverted: <reason>", the revert bytes
 * as data (geth's form). getTimestamp of a hash never written reverts
 * EBSI_UNKNOWN_REASON. A malloc'd template; NULL on failure. */
char *ebsi_stub_revert_reply(const char *reason);

/* The ABI data of a TimestampedHashes event for one hash value:
 * ([sha256(value)], [alg], [value], [text]); nothing is indexed, so the
 * log's only topic is ebsi_event_topic(). Appended to `out`; false on
 * failure. */
bool ebsi_stub_event_data(const uint8_t *value, size_t len, uint64_t alg, const char *text,
                          struct buf *out);

#endif
