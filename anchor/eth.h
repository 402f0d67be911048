/*
 * anchor/eth.h — the typed Ethereum JSON-RPC calls (eth_chainId,
 * eth_getTransactionReceipt, eth_getLogs, eth_call, eth_sendRawTransaction,
 * ...) and the strict parsers of their values, built on the transport of
 * anchor/rpc.h (retries, limits, deadline and error codes are its; this file
 * adds only what a call's answer must look like).
 *
 * Every answer is checked field by field, after the Ethereum execution-apis
 * conventions: QUANTITY is "0x" + hex without leading zeros ("0x0" for
 * zero), DATA is "0x" + an even number of hex digits, hashes and addresses
 * have exact lengths, and an answer must be about what was asked (the same
 * hash, block number, filter). Anything else is E_PROTOCOL naming the call
 * and the field (rpc_last_error()->failure RPC_FAIL_RESULT); lists longer
 * than their limit are E_LIMIT. A null answer for an object that does not
 * exist is E_NOT_FOUND. Transport failures come back as rpc.h describes.
 *
 * Ownership: structs filled here are caller-owned; those with pointers have
 * a *_free function. Byte outputs (uint8_t **out) are malloc'd, freed with
 * free(); empty gives NULL and length 0.
 */
#ifndef ANCHOR_ETH_H
#define ANCHOR_ETH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "anchor/rpc.h"
#include "core/bytes.h"
#include "core/error.h"

#define RPC_MAX_LOGS   10000u     /* per eth_getLogs answer and per receipt */
#define RPC_MAX_RAW_TX (1u << 20) /* eth_sendRawTransaction input */
#define RPC_QTY_BUF    19u        /* "0x" + 16 hex digits + NUL */

/* --- strict value parsing (Ethereum JSON-RPC "QUANTITY" and "DATA") ------------ */

/* Parse a QUANTITY: "0x" then 1-16 hex digits, no leading zeros ("0x0" is
 * zero). E_INVALID otherwise, saying what is wrong. */
err_code rpc_parse_quantity(const char *s, uint64_t *out, struct err *e) MUST_CHECK;
/* Format a QUANTITY into `out` (RPC_QTY_BUF bytes). Returns out. */
char *rpc_format_quantity(uint64_t v, char out[RPC_QTY_BUF]);

/* A block parameter is a tag "latest", "earliest", "pending", "safe",
 * "finalized", or a QUANTITY (use rpc_format_quantity). Helpers taking
 * `const char *block` return E_INVALID for anything else. */

/* --- typed helpers ------------------------------------------------------------ */

/* eth_chainId */
err_code rpc_chain_id(struct rpc_client *c, uint64_t *out, struct err *e) MUST_CHECK;
/* eth_blockNumber */
err_code rpc_block_number(struct rpc_client *c, uint64_t *out, struct err *e) MUST_CHECK;
/* eth_getTransactionCount(addr, block): the next nonce ("pending" counts the
 * node's pool, "latest" only mined transactions). */
err_code rpc_get_transaction_count(struct rpc_client *c, const struct addr20 *addr,
                                   const char *block, uint64_t *out, struct err *e) MUST_CHECK;
/* eth_gasPrice, in wei. A price beyond 64 bits → E_PROTOCOL. */
err_code rpc_gas_price(struct rpc_client *c, uint64_t *wei, struct err *e) MUST_CHECK;
/* eth_maxPriorityFeePerGas, in wei; E_UNSUPPORTED when the node does not
 * implement it (pre-London chains, some Besu configurations). */
err_code rpc_max_priority_fee(struct rpc_client *c, uint64_t *wei, struct err *e) MUST_CHECK;

/* The block header fields we use. */
struct rpc_block {
    uint64_t number;
    struct hash32 hash;
    struct hash32 parent_hash;
    uint64_t timestamp; /* seconds since the epoch */
    uint64_t gas_limit;
    bool has_base_fee;  /* London and later */
    uint64_t base_fee_per_gas;
};
/* eth_getBlockByNumber(block, false). `block` as above but not "pending"
 * (a pending block has no hash). null → E_NOT_FOUND. When `block` is a
 * number the answer must carry that number. */
err_code rpc_get_block_by_number(struct rpc_client *c, const char *block, struct rpc_block *out,
                                 struct err *e) MUST_CHECK;
/* eth_getBlockByHash(hash, false). null → E_NOT_FOUND; the answer's hash must match. */
err_code rpc_get_block_by_hash(struct rpc_client *c, const struct hash32 *hash,
                               struct rpc_block *out, struct err *e) MUST_CHECK;

/*
 * eth_sendRawTransaction(raw). `*txhash` is set to keccak256(raw) whatever
 * happens (the hash is ours to compute; a caller needs it to look the
 * transaction up after E_NETWORK); the node's answer must equal it
 * (E_PROTOCOL otherwise). `retry` is the caller's explicit choice: re-sending
 * the same bytes is safe, the node then says "already known" (E_PROTOCOL,
 * reason RPC_REASON_ALREADY_KNOWN — which callers treat as success).
 * Outcome unknown — look the hash up before anything else — after E_NETWORK,
 * and after E_PROTOCOL with rpc_last_error()->failure RPC_FAIL_MALFORMED (the
 * node may have taken the transaction and then garbled its answer).
 * Empty → E_INVALID; more than RPC_MAX_RAW_TX bytes → E_LIMIT.
 */
err_code rpc_send_raw_transaction(struct rpc_client *c, const uint8_t *raw, size_t len, bool retry,
                                  struct hash32 *txhash, struct err *e) MUST_CHECK;

/* A transaction as the node reports it. Free with rpc_tx_free(). */
struct rpc_tx {
    struct hash32 hash;
    uint8_t type; /* 0 legacy, 1 EIP-2930, 2 EIP-1559 (0 if the node omits it) */
    struct addr20 from;
    bool has_to; /* false for a contract creation */
    struct addr20 to;
    uint64_t nonce;
    uint64_t gas;
    uint8_t value[32]; /* wei, big-endian */
    bool has_gas_price;
    uint64_t gas_price;
    bool has_fee_caps; /* EIP-1559 */
    uint64_t max_fee_per_gas, max_priority_fee_per_gas;
    bool has_chain_id;
    uint64_t chain_id;
    bool mined; /* block_* and tx_index valid only when mined */
    uint64_t block_number;
    struct hash32 block_hash;
    uint64_t tx_index;
    uint8_t *input; /* calldata, malloc'd (NULL if empty) */
    size_t input_len;
};
/* eth_getTransactionByHash. null → E_NOT_FOUND; the answer's hash must match. */
err_code rpc_get_transaction(struct rpc_client *c, const struct hash32 *hash, struct rpc_tx *out,
                             struct err *e) MUST_CHECK;
void rpc_tx_free(struct rpc_tx *tx);

/* An event log. */
struct rpc_log {
    struct addr20 address;
    struct hash32 topics[4];
    unsigned ntopics;
    uint8_t *data; /* malloc'd (NULL if empty) */
    size_t data_len;
    uint64_t block_number;
    struct hash32 block_hash;
    struct hash32 tx_hash;
    uint64_t tx_index;
    uint64_t log_index;
    bool removed; /* true: dropped by a reorg (eth_getLogs over a filter) */
};
/* Free `n` logs and the array. NULL is fine. */
void rpc_logs_free(struct rpc_log *logs, size_t n);

/* A receipt. Free with rpc_receipt_free(). */
struct rpc_receipt {
    struct hash32 tx_hash;
    bool has_status; /* false for pre-Byzantium receipts ("root" instead) */
    bool status_ok;  /* status 0x1 */
    uint64_t block_number;
    struct hash32 block_hash;
    uint64_t tx_index;
    uint64_t gas_used;
    bool has_contract_address;
    struct addr20 contract_address;
    struct rpc_log *logs; /* every log's block and tx hash match the receipt's */
    size_t nlogs;
};
/* eth_getTransactionReceipt. null (pending or unknown) → E_NOT_FOUND; the
 * answer's transactionHash must match. */
err_code rpc_get_receipt(struct rpc_client *c, const struct hash32 *txhash,
                         struct rpc_receipt *out, struct err *e) MUST_CHECK;
void rpc_receipt_free(struct rpc_receipt *r);

/* A message for eth_call / eth_estimateGas. NULL pointers are omitted. */
struct rpc_callmsg {
    const struct addr20 *from;
    const struct addr20 *to; /* NULL: contract creation (estimateGas) */
    const uint8_t *data;
    size_t data_len;
    uint64_t gas; /* 0 = omit */
};
/* eth_call(msg, block) → return data in *out, *outlen (caller frees). A revert
 * is E_PROTOCOL with reason RPC_REASON_REVERT and the revert bytes in
 * rpc_last_error()->data. */
err_code rpc_eth_call(struct rpc_client *c, const struct rpc_callmsg *msg, const char *block,
                      uint8_t **out, size_t *outlen, struct err *e) MUST_CHECK;
/* eth_estimateGas(msg). */
err_code rpc_estimate_gas(struct rpc_client *c, const struct rpc_callmsg *msg, uint64_t *gas,
                          struct err *e) MUST_CHECK;
/* eth_getCode(addr, block) → code in *out, *outlen (caller frees; empty = no contract). */
err_code rpc_get_code(struct rpc_client *c, const struct addr20 *addr, const char *block,
                      uint8_t **out, size_t *outlen, struct err *e) MUST_CHECK;

/* Does `addr` carry exactly the runtime code `runtime_hex` (hex digits, no
 * "0x", at most 1 MiB of code) at "latest"? *match is false for any other
 * code, for no code at all and for an empty runtime_hex. The node is asked
 * first; runtime_hex is decoded only when its length fits the code found
 * (then one that is not hex is that error, prefixed with `what`, which
 * names the embedded code); otherwise errors as rpc_get_code(). */
err_code rpc_code_matches(struct rpc_client *c, const struct addr20 *addr, const char *runtime_hex,
                          const char *what, bool *match, struct err *e) MUST_CHECK;

/* Is there a contract at `addr` at "latest"? E_OK when it has code; E_STATE
 * "there is no contract at 0x… on this ledger" (then ": " and `hint`, when
 * not NULL) when it has none; otherwise errors as rpc_get_code(). */
err_code rpc_require_code(struct rpc_client *c, const struct addr20 *addr, const char *hint,
                          struct err *e) MUST_CHECK;

/* An eth_getLogs filter. Topic positions with a NULL pointer match anything;
 * OR-lists of topics are not supported. */
struct rpc_log_filter {
    const struct addr20 *address; /* NULL = any contract */
    const struct hash32 *topics[4];
    unsigned ntopics;
    const char *from_block; /* block parameter; NULL = "earliest" */
    const char *to_block;   /* NULL = "latest" */
};
/* eth_getLogs(filter) → *logs, *n (free with rpc_logs_free). More than
 * RPC_MAX_LOGS → E_LIMIT (narrow the block range). Every log must match the
 * filter's address and topics and lie inside a numeric range (E_PROTOCOL). */
err_code rpc_get_logs(struct rpc_client *c, const struct rpc_log_filter *f, struct rpc_log **logs,
                      size_t *n, struct err *e) MUST_CHECK;

#endif
