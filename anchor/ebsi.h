/*
 * anchor/ebsi.h — the "ebsi" ledger driver: EBSI's Timestamp API flow.
 *
 * On EBSI a client does not build its own transactions. It asks the
 * Timestamp API (JSON-RPC, bearer token with the `timestamp_write` scope):
 *
 *   timestampHashes [{"from": ADDR, "hashAlgorithmIds": [ID],
 *                     "hashValues": ["0x<root>"], "timestampData": ["0x<hex>"]}]
 *     → an UNSIGNED legacy EIP-155 transaction {from, to, data, nonce,
 *       chainId, gasLimit, gasPrice, value} (hex quantities)
 *   sendSignedTransaction [{"protocol": "eth", "unsignedTransaction": {…},
 *                           "r", "s", "v", "signedRawTransaction"}]
 *     → the transaction hash
 *
 * and reads go through a separate ledger JSON-RPC endpoint (receipts, logs,
 * eth_call, blocks: anchor/rpc.h, anchor/evm.h).
 *
 * The gateway builds what we sign, so it is not trusted to build the right
 * thing: before signing, the unsigned transaction is parsed strictly and
 * checked field by field against what we asked for (ebsi_unsigned_check):
 * the chain id, `from` = our address, `to` = the configured Timestamp
 * contract, value 0, the call data byte for byte equal to our own encoding
 * of timestampHashes([ID], [root], [data]), a bounded gas limit and price.
 * A gateway can refuse us; it cannot make us sign something else.
 *
 * The record data ("timestampData") binds kind, sequence number and size to
 * the root (docs/design.md "Hashing and proofs"). It is the RFC 8785 canonical
 * JSON text (docs/proof-format.md §5)
 *     {"kind":"issuance","seq":17,"size":1000,"v":1}
 * ("kind" is "issuance" or "revocation"); its parser accepts exactly the
 * bytes the encoder produces for the values it finds, nothing else.
 *
 * The contract is EBSI's Timestamp contract (timestamp-v4); contracts/Timestamp.sol
 * is our own stand-in with the same interface (docs/ebsi.md):
 *   timestampHashes(uint256[] hashAlgorithmIds, bytes[] hashValues, bytes[] timestampData)
 *   event TimestampedHashes(bytes32[] timestampIds, uint256[] hashAlgorithmIds,
 *                           bytes[] hashValues, bytes[] timestampData)   (nothing indexed)
 *   getTimestamp(bytes hashValue) returns ((uint256 algorithm, bytes value) hash,
 *                           address timestampedBy, uint256 blockNumber, bytes data)
 *     and reverts "timestamp unknown" for a hash never written
 * timestampId = sha256(hashValue). First write wins, but the event is emitted
 * by every call and lists every hash of it, repeats too: an event says that
 * its transaction's sender (not named in the event) asked for the hash; who
 * wrote it first is getTimestamp's timestampedBy. There is no block time in
 * the record: it is the block's.
 *
 * Secrets: the access token is read from a file (mode 0600, like a key) or
 * an environment variable by the caller, handed to the JSON-RPC client
 * (which sends it only in the Authorization header and wipes it), and never
 * appears in a message.
 *
 * Ownership: structs with pointers have a *_free function; byte outputs
 * are appended to a caller-owned struct buf.
 */
#ifndef ANCHOR_EBSI_H
#define ANCHOR_EBSI_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "anchor/eth.h"
#include "anchor/signer.h"
#include "anchor/tx.h"
#include "core/bytes.h"
#include "core/error.h"

#define EBSI_TIMESTAMP_SIG "timestampHashes(uint256[],bytes[],bytes[])"
#define EBSI_EVENT_SIG "TimestampedHashes(bytes32[],uint256[],bytes[],bytes[])"
#define EBSI_GET_SIG "getTimestamp(bytes)"
/* The revert reason of getTimestamp for a hash never timestamped. */
#define EBSI_UNKNOWN_REASON "timestamp unknown"

/* Default hash algorithm id sent with our roots. The ids are the Timestamp
 * API's own registry (GET /timestamp/v4/hash-algorithms); `notary init`
 * confirms that the id (--hash-algorithm-id, setting "hash_algorithm_id")
 * is sha2-256 and active there (anchor/ebsi_alg.h). The
 * verifier takes the id from the transaction; the root is an RFC 9162
 * SHA-256 tree head whatever the id says. */
#define EBSI_DEFAULT_HASH_ALG 0
/* Largest gas limit we sign for by default (one timestampHashes of one
 * 32-byte hash costs about 100,000). */
#define EBSI_DEFAULT_MAX_GAS 2000000u
/* The gas limit EBSI's Timestamp API puts in a transaction when its gas
 * estimation failed (jsonrpc.service.ts buildTransaction). */
#define EBSI_GAS_FALLBACK 0x1000000u
/* Longest token file we read. */
#define EBSI_MAX_TOKEN_FILE (RPC_MAX_TOKEN + 64)

/* The committed Timestamp contract (contracts/build/Timestamp.{bin,json}),
 * embedded at build time: creation code and runtime code, hex without 0x. */
extern const char ebsi_timestamp_creation_hex[];
extern const char ebsi_timestamp_runtime_hex[];

enum ebsi_kind { EBSI_KIND_ISSUANCE = 0, EBSI_KIND_REVOCATION = 1 };

/* What the timestampData of one of our roots says. */
struct ebsi_data {
    enum ebsi_kind kind;
    uint64_t seq;
    uint64_t size;
};

/* "issuance" / "revocation"; "?" for anything else. */
const char *ebsi_kind_name(enum ebsi_kind k);

/* Append the canonical JSON text of `d` (no NUL) to `out`. E_INVALID for an
 * unknown kind or a number above 2^53 (JSON interoperability, RFC 7493). */
err_code ebsi_data_encode(const struct ebsi_data *d, struct buf *out, struct err *e) MUST_CHECK;

/* Parse timestampData bytes: strict JSON with exactly the members kind,
 * seq, size and v (= 1), and then the bytes must be exactly what
 * ebsi_data_encode() writes for those values. E_INVALID (why) otherwise. */
err_code ebsi_data_parse(const uint8_t *p, size_t n, struct ebsi_data *out,
                         struct err *e) MUST_CHECK;

/* Append the call data of timestampHashes([alg], [root], [data(d)]). */
err_code ebsi_calldata(uint64_t alg, const struct hash32 *root, const struct ebsi_data *d,
                       struct buf *out, struct err *e) MUST_CHECK;

/* Parse call data that must be exactly one of ours: a timestampHashes call
 * with one hash of 32 bytes and record data ebsi_data_parse() accepts, in
 * the canonical ABI encoding (re-encoded and compared byte for byte, so
 * extra bytes, other offsets or a root merely *contained* somewhere fail). */
err_code ebsi_parse_calldata(const uint8_t *p, size_t n, uint64_t *alg, struct hash32 *root,
                             struct ebsi_data *d, struct err *e) MUST_CHECK;

/* topic0 of TimestampedHashes(bytes32[],uint256[],bytes[],bytes[]). */
void ebsi_event_topic(struct hash32 *out);

/* timestampId of a hash value: sha256(value). */
void ebsi_timestamp_id(const uint8_t *value, size_t len, struct hash32 *out);

/* A decoded TimestampedHashes event of one of our roots. The event does not
 * name its sender: that is the transaction's `from` (rpc_get_transaction). */
struct ebsi_event {
    struct addr20 contract;     /* the log's emitter */
    struct hash32 timestamp_id; /* = sha256(root), checked */
    struct hash32 root;         /* hashValue: exactly 32 bytes */
    uint64_t alg;
    struct ebsi_data data;
    struct hash32 tx_hash;
    struct hash32 block_hash;
    uint64_t log_block;         /* the log's block number */
    uint64_t log_index;
};

/* Decode `log` as a TimestampedHashes event of exactly one hash, of 32
 * bytes, with our record data, canonically encoded (re-encoded and
 * compared), its timestampId sha256 of the hash. E_INVALID (why)
 * otherwise; the caller still checks log->address and the sender. */
err_code ebsi_parse_event(const struct rpc_log *log, struct ebsi_event *out,
                          struct err *e) MUST_CHECK;

/* getTimestamp(root) from the contract. exists false: the contract reverted
 * "timestamp unknown" (never timestamped). has_data is false when the
 * stored data is not our record format (e.g. somebody else's timestamp of
 * the same bytes). No time: read the block's. */
struct ebsi_record {
    bool exists;
    struct addr20 from;     /* timestampedBy: the first writer */
    uint64_t block_number;
    uint64_t alg;
    bool has_data;
    struct ebsi_data data;
};
bool ebsi_record_exists(const struct ebsi_record *r);
/* eth_call getTimestamp(root) at `block` ("latest" if NULL) through the
 * ledger endpoint. A revert with the reason "timestamp unknown" is E_OK
 * with !exists; any other revert, or an answer that is not the canonical
 * ABI encoding of the return tuple with hash.value = root, E_PROTOCOL;
 * transport errors as rpc_eth_call. */
err_code ebsi_get_timestamp(struct rpc_client *ledger, const struct addr20 *contract,
                            const struct hash32 *root, const char *block, struct ebsi_record *out,
                            struct err *e) MUST_CHECK;

/* Decode the return data of getTimestamp / getTimestampById (exposed for
 * the unit tests and the fuzz target): the canonical encoding only, at most
 * 8 KiB; `root` must be the stored hash value. E_INVALID (why) otherwise. */
err_code ebsi_decode_record(const uint8_t *p, size_t n, const struct hash32 *root,
                            struct ebsi_record *out, struct err *e) MUST_CHECK;

/* Is `revert` (the revert bytes of an eth_call) exactly Error("timestamp unknown")? */
bool ebsi_revert_is_unknown(const uint8_t *revert, size_t n);

/* Is the code at `contract` exactly the committed Timestamp runtime code? */
err_code ebsi_code_matches(struct rpc_client *ledger, const struct addr20 *contract, bool *match,
                           struct err *e) MUST_CHECK;

/* ---- the unsigned transaction ----------------------------------------- */

/* What we are willing to sign. */
struct ebsi_expect {
    uint64_t chain_id;
    struct addr20 from;
    struct addr20 contract;
    const uint8_t *calldata; /* exactly this, byte for byte */
    size_t calldata_len;
    uint64_t max_gas;        /* 0 = EBSI_DEFAULT_MAX_GAS */
    uint64_t max_gas_price;  /* wei; EBSI is gas-free: 0 */
};

/* Parse the unsignedTransaction object a gateway returned: exactly the
 * members from, to, data, nonce, chainId, gasLimit, gasPrice, value, each a
 * string (addresses 0x + 40 hex, EIP-55 checked when mixed-case; data 0x +
 * even hex; the rest hex quantities as EBSI writes them: ethers' BigNumber
 * toHexString pads to an even number of digits ("0x00", "0x05", "0x0222e0"),
 * so leading zeros are accepted here — and only here — up to 16 digits
 * (nonce, chainId, gasLimit) or 64 (gasPrice, value), lower-case). `out` is
 * initialised here (legacy); the caller tx_clear()s it. E_PROTOCOL naming
 * the offending member. */
err_code ebsi_unsigned_parse(const json_t *obj, struct tx *out, struct addr20 *from,
                             struct err *e) MUST_CHECK;

/* Check a parsed unsigned transaction against `x`. E_VERIFY naming the
 * field and both values (a gas limit above the cap says whether it is EBSI's
 * fallback 0x1000000, sent when its gas estimation failed, and what to do) ("the Timestamp API returned a transaction to
 * 0x…, not the configured Timestamp contract 0x…; refusing to sign"). */
err_code ebsi_unsigned_check(const struct tx *t, const struct addr20 *from,
                             const struct ebsi_expect *x, struct err *e) MUST_CHECK;

/* The unsignedTransaction JSON object for `t` from `from`, in the form this
 * driver writes it (lower-case hex, strict QUANTITYs). New reference. */
json_t *ebsi_unsigned_json(const struct tx *t, const struct addr20 *from);

/* ---- the Timestamp API -------------------------------------------------- */

struct ebsi_api;

/* A client of the Timestamp API at opt->url with opt->bearer_token. Nothing
 * is sent yet. Errors as rpc_client_new(). */
err_code ebsi_api_new(const struct rpc_options *opt, struct ebsi_api **out,
                      struct err *e) MUST_CHECK;
void ebsi_api_free(struct ebsi_api *a);
/* Details of the last call's failure (see anchor/rpc.h). */
const struct rpc_error *ebsi_api_last_error(const struct ebsi_api *a);

/* A checked, not yet signed transaction. */
struct ebsi_prepared {
    struct tx tx;             /* what we sign */
    char *unsigned_json;      /* the unsignedTransaction as returned (compact JSON), malloc'd */
};
void ebsi_prepared_free(struct ebsi_prepared *p);

/*
 * Ask the API for the transaction that timestamps `root` with record `d`
 * (timestampHashes, not retried: the API may count calls), parse it and
 * check it against `x` (whose calldata must be ebsi_calldata(alg, root, d)).
 * Errors: E_STATE when the API refuses the token (HTTP 401/403: missing,
 * expired or without the timestamp_write scope — the message says so);
 * E_NETWORK unreachable; E_PROTOCOL a JSON-RPC error or malformed answer;
 * E_VERIFY the transaction is not what we asked for (nothing to sign).
 */
err_code ebsi_request_tx(struct ebsi_api *a, const struct ebsi_expect *x, uint64_t alg,
                         const struct hash32 *root, const struct ebsi_data *d,
                         struct ebsi_prepared *out, struct err *e) MUST_CHECK;

/*
 * Submit a signed transaction: `unsigned_json` is the unsignedTransaction
 * exactly as stored with it, `raw` the signed raw transaction. The two are
 * checked against each other first (same fields; E_STATE if not — a
 * corrupted store). r, s, v are taken from `raw`. Re-sending the same bytes
 * is safe, so transport failures are retried. *txhash = keccak256(raw)
 * whatever happens; the API's answer must equal it (E_PROTOCOL otherwise).
 * Errors as ebsi_request_tx; a JSON-RPC error keeps its reason in
 * ebsi_api_last_error() (already known, nonce too low, ...).
 */
err_code ebsi_send(struct ebsi_api *a, const char *unsigned_json, const uint8_t *raw, size_t len,
                   struct hash32 *txhash, struct err *e) MUST_CHECK;

/* Read an access token from `path`: the file must not be readable by group
 * or others (E_STATE, like a key); surrounding whitespace is trimmed; empty
 * or with control characters → E_INVALID. *token is malloc'd: release it
 * with ebsi_token_free(), which wipes it. */
err_code ebsi_token_read(const char *path, char **token, struct err *e) MUST_CHECK;
void ebsi_token_free(char *token);

#endif
