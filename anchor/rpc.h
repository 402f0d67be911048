/*
 * anchor/rpc.h — Ethereum JSON-RPC 2.0 client over HTTP(S) (libcurl + jansson).
 *
 * Everything the notary and the verifier learn from a ledger comes through
 * here, from a node we do not control. So: every response is bounded (size,
 * counts), parsed strictly (core/json.h: duplicate keys, depth) and checked
 * field by field (hex quantities with "0x" and no leading zeros, exact
 * lengths for hashes and addresses); a node that answers anything else gets
 * E_PROTOCOL with the name of the offending field — never a crash.
 *
 * Failures mean different things to the caller and get different codes:
 *   E_NETWORK   timeout, refused connection, HTTP 5xx/429/408 after the
 *               retries: the request may or may not have reached the node —
 *               "outcome unknown" (look the transaction up, never re-sign).
 *   E_STATE     HTTP 401/403: the bearer token is missing, expired or lacks
 *               the scope. Not retried.
 *   E_PROTOCOL  the node answered but not as the protocol allows (other 4xx,
 *               malformed body, wrong id) — or answered with a JSON-RPC error
 *               object, whose code, message and data are kept in
 *               rpc_last_error() with a reason (nonce too low, already known,
 *               revert, ...). A JSON-RPC error is an answer: never retried.
 *   E_LIMIT     the response exceeds max_response_bytes, or a list exceeds
 *               its count limit. Not retried.
 *   E_NOT_FOUND a typed helper's object does not exist (null result).
 *
 * Retries: transport failures, HTTP 5xx/429/408 and unparseable bodies (a
 * truncating proxy) are retried with exponential backoff and full jitter
 * (delay = random in [0, min(max_delay, base · 2^k)]), waiting at least the
 * Retry-After seconds a 429/503 asks for, up to max_attempts. Whether a call
 * may be re-sent at all is the caller's choice (struct rpc_call_opts): re-
 * sending eth_sendRawTransaction is safe (same bytes, same hash), but the
 * caller must decide it knowingly.
 *
 * Secrets: the bearer token is copied, sent only in the Authorization header,
 * wiped on rpc_client_free(), and never appears in an error message (messages
 * are scrubbed as a last line of defence). Error messages name the ledger by
 * its origin (scheme://host:port) only, because URL paths often carry API keys.
 *
 * Ownership: a client is used by one thread at a time. Structs filled by the
 * typed helpers are caller-owned; those with pointers have a *_free function.
 * Byte outputs (uint8_t **out) are malloc'd, freed with free(); empty gives
 * NULL and length 0.
 */
#ifndef ANCHOR_RPC_H
#define ANCHOR_RPC_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/bytes.h"
#include "core/error.h"

#define RPC_DEFAULT_CONNECT_TIMEOUT_MS 5000u
#define RPC_DEFAULT_TIMEOUT_MS         30000u
#define RPC_DEFAULT_MAX_RESPONSE       (16u << 20) /* 16 MiB */
#define RPC_DEFAULT_MAX_ATTEMPTS       5u
#define RPC_DEFAULT_BASE_DELAY_MS      250u
#define RPC_DEFAULT_MAX_DELAY_MS       8000u
#define RPC_DEFAULT_MAX_RETRY_AFTER_MS 60000u
#define RPC_MAX_URL                    2048u
#define RPC_MAX_TOKEN                  8192u
#define RPC_MAX_LOGS                   10000u /* per eth_getLogs answer and per receipt */
#define RPC_MAX_RAW_TX                 (1u << 20) /* eth_sendRawTransaction input */
#define RPC_QTY_BUF                    19u    /* "0x" + 16 hex digits + NUL */

struct rpc_client;

/*
 * Options for rpc_client_new(). Zero-initialise and set what you need; every
 * zero field takes the RPC_DEFAULT_* value.
 */
struct rpc_options {
    const char *url;          /* http:// or https:// only; no user:password@ */
    const char *bearer_token; /* NULL or "" = none. Copied; the caller wipes its own copy. */
    unsigned connect_timeout_ms;
    unsigned timeout_ms;       /* whole request, per attempt */
    size_t max_response_bytes; /* larger bodies abort the transfer → E_LIMIT */
    unsigned max_attempts;     /* 1 = never retry */
    unsigned base_delay_ms;    /* backoff: first retry waits up to this */
    unsigned max_delay_ms;     /* backoff cap */
    unsigned max_retry_after_ms; /* a Retry-After asking for longer ends the retries */
    /* A deadline shared by every call of this client, attempts and backoff
     * waits included: a CLOCK_MONOTONIC time in ms (rpc_now_ms() + budget;
     * several clients may share one). Each attempt's timeouts are cut to
     * what is left; a call started after it, or whose next retry would end
     * after it, fails E_NETWORK saying the time limit ran out. 0 = none. */
    uint64_t deadline_ms;
    /* Test hooks (NULL = real ones). sleep_ms is called for every backoff
     * wait; jitter returns a value in [0, cap_ms] (default: uniform random). */
    void (*sleep_ms)(void *ctx, uint64_t ms);
    uint64_t (*jitter)(void *ctx, uint64_t cap_ms);
    void *hook_ctx;
};

/* Now on CLOCK_MONOTONIC, in ms: the clock of rpc_options.deadline_ms. */
uint64_t rpc_now_ms(void);

/* Create a client. E_INVALID for a missing/overlong URL, a scheme other than
 * http/https, credentials in the URL, or a token with control characters or
 * longer than RPC_MAX_TOKEN. Nothing is sent until the first call. */
err_code rpc_client_new(const struct rpc_options *opt, struct rpc_client **out,
                        struct err *e) MUST_CHECK;

/* Close connections, wipe the token, free. NULL is fine. */
void rpc_client_free(struct rpc_client *c);

/*
 * For tests and fuzzing only: every later call on `c` gets, instead of a
 * network round trip, an HTTP 200 answer whose body is a copy of `len` bytes
 * of `body` (NULL: back to the network). The body passes every check a real
 * node's answer does — size limit, strict JSON, the JSON-RPC envelope with
 * the request's id (ids count up from 1 on a new client), the typed helper's
 * field checks. E_NOMEM if the copy cannot be made (the client then uses the
 * network again).
 */
err_code rpc_set_response_for_test(struct rpc_client *c, const void *body, size_t len,
                                   struct err *e) MUST_CHECK;

/* "scheme://host:port" of the ledger — what error messages show. Owned by the client. */
const char *rpc_client_origin(const struct rpc_client *c);

/* `url` fit for a message or an output: its origin (scheme://host:port),
 * then "/" and three stars if it has a path or a query — where API keys usually are
 * (https://node.example/v3/KEY, ?apikey=KEY) — never their text; user:password@
 * is dropped too. A string that is not an absolute URL gives "(not a valid
 * http(s) URL)". Writes at most `max` bytes (NUL included); returns out. */
const char *rpc_url_redact(const char *url, char *out, size_t max);

/* Counters since rpc_client_new(), for metrics. */
struct rpc_stats {
    uint64_t calls;            /* rpc_call*() invocations that sent something */
    uint64_t attempts;         /* HTTP requests made */
    uint64_t retries;          /* backoff waits taken */
    uint64_t failures;         /* calls that did not return E_OK */
    uint64_t transport_errors; /* attempts that failed below HTTP (timeout, refused, ...) */
    uint64_t http_errors;      /* attempts answered with a status other than 200 */
    uint64_t malformed;        /* attempts whose body was not a valid JSON-RPC response */
    uint64_t rpc_errors;       /* calls answered with a JSON-RPC error object */
    uint64_t bytes_received;   /* response bodies */
};
void rpc_get_stats(const struct rpc_client *c, struct rpc_stats *out);

/* What kind of failure the last call had (rpc_last_error()->failure). */
enum rpc_failure {
    RPC_FAIL_NONE = 0,
    RPC_FAIL_TRANSPORT, /* no HTTP answer: timeout, refused, reset, TLS */
    RPC_FAIL_HTTP,      /* HTTP status other than 200 (see http_status) */
    RPC_FAIL_AUTH,      /* HTTP 401/403 */
    RPC_FAIL_MALFORMED, /* body not a valid JSON-RPC 2.0 response for our request */
    RPC_FAIL_LIMIT,     /* body over max_response_bytes */
    RPC_FAIL_JSONRPC,   /* a well-formed JSON-RPC error object (code/message/data) */
    RPC_FAIL_RESULT,    /* a result that a typed helper rejected (shape, field) */
};

/*
 * Why a JSON-RPC error happened, recognised from the messages geth, Besu,
 * OpenEthereum and ganache use (the codes are not standardised across
 * clients; the messages are the de-facto interface):
 */
enum rpc_reason {
    RPC_REASON_OTHER = 0,
    RPC_REASON_ALREADY_KNOWN,      /* "already known", "Known transaction", "already imported" */
    RPC_REASON_NONCE_TOO_LOW,      /* "nonce too low"; ganache "doesn't have the correct nonce" (lower) */
    RPC_REASON_UNDERPRICED,        /* "(replacement) transaction underpriced", "below ... minimum gas price" */
    RPC_REASON_INSUFFICIENT_FUNDS, /* "insufficient funds", Besu "Upfront cost exceeds account balance" */
    RPC_REASON_REVERT,             /* code 3, "execution reverted", ganache "VM Exception ... revert" */
    RPC_REASON_METHOD_NOT_FOUND,   /* -32601, Besu -32604 "not enabled", ganache "does not exist" */
};

/* Details of the last call's failure. Valid until the next call on the same
 * client or rpc_client_free(). */
struct rpc_error {
    enum rpc_failure failure;
    enum rpc_reason reason;  /* for RPC_FAIL_JSONRPC */
    long http_status;        /* last HTTP status seen, 0 if none */
    unsigned attempts;       /* HTTP attempts the call made */
    bool has_code;
    int64_t code;            /* JSON-RPC error code */
    char message[256];       /* JSON-RPC error message: printable ASCII, truncated */
    bool has_data;           /* error data carried revert bytes: a hex string, or an */
    uint8_t *data;           /*   object with a hex "data"/"result" (ganache)       */
    size_t data_len;
};
const struct rpc_error *rpc_last_error(const struct rpc_client *c);
/* A short name for a reason ("nonce-too-low", ...). Never NULL. */
const char *rpc_reason_name(enum rpc_reason r);

/* Per-call options. `retry`: may this request be sent more than once? */
struct rpc_call_opts {
    bool retry;
};

/*
 * Make one JSON-RPC 2.0 call: {"jsonrpc":"2.0","id":<next>,"method":method,
 * "params":params}.
 *   method  ASCII letters, digits and '_' (E_INVALID otherwise)
 *   params  STOLEN in every case (success or error): a new array or object,
 *           e.g. json_pack("[s,b]", ...). NULL (a failed json_pack) → E_NOMEM.
 *   result  Out: on E_OK a new reference to "result" (may be JSON null);
 *           the caller json_decref()s. NULL on error.
 * rpc_call() retries (for reads and idempotent calls); rpc_call_ex() takes
 * the choice from opts (NULL = retry). Codes: see the top of this file.
 */
err_code rpc_call(struct rpc_client *c, const char *method, json_t *params, json_t **result,
                  struct err *e) MUST_CHECK;
err_code rpc_call_ex(struct rpc_client *c, const char *method, json_t *params,
                     const struct rpc_call_opts *opts, json_t **result, struct err *e) MUST_CHECK;

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
