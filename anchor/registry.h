/*
 * anchor/registry.h — the NotaryRegistry contract (contracts/NotaryRegistry.sol)
 * as seen from C: call data for anchor(), the Anchored event, and the two
 * views. Shared by the notary (which writes) and the verifier (which reads
 * the ledger alone), so both agree on one encoding.
 *
 *   anchor(bytes32 root, uint64 size, uint64 seq, uint8 kind)
 *   event Anchored(address indexed issuer, bytes32 indexed root,
 *                  uint64 size, uint64 seq, uint8 kind)
 *   nextSeq(address issuer, uint8 kind) returns (uint64)
 *   anchoredAt(address issuer, bytes32 root) returns (uint64 blockNumber,
 *                  uint64 timestamp, uint64 size, uint64 seq, uint8 kind)
 *
 * Solidity ABI: a 4-byte selector (keccak256 of the signature), then one
 * 32-byte big-endian word per static argument. Decoding checks that each
 * word holds a value that fits its declared type (upper bytes zero), so a
 * log or return value that does not come from this contract is refused.
 */
#ifndef ANCHOR_REGISTRY_H
#define ANCHOR_REGISTRY_H

#include <stdbool.h>
#include <stdint.h>

#include "anchor/abi.h"
#include "anchor/eth.h"
#include "core/bytes.h"
#include "core/error.h"

enum registry_kind { REGISTRY_KIND_BATCH = 0, REGISTRY_KIND_CHECKPOINT = 1 };

/* The creation bytecode of the contract, as committed in
 * contracts/build/NotaryRegistry.bin (embedded at build time). */
extern const char registry_creation_hex[];
/* Its runtime (deployed) code, from contracts/build/NotaryRegistry.json. */
extern const char registry_runtime_hex[];

/* Is the code at `contract` exactly the NotaryRegistry's runtime code? A
 * contract that merely emits look-alike Anchored events is not. */
err_code registry_code_matches(struct rpc_client *c, const struct addr20 *contract, bool *match,
                               struct err *e) MUST_CHECK;

/* Append the call data of anchor(root, size, seq, kind) (4 + 4·32 bytes) to `out`. */
#define REGISTRY_ANCHOR_CALLDATA_LEN 132
err_code registry_anchor_calldata(const struct hash32 *root, uint64_t size, uint64_t seq,
                                  enum registry_kind kind, struct buf *out,
                                  struct err *e) MUST_CHECK;

/* Parse call data of anchor(...) (e.g. of a mined transaction). E_INVALID if
 * it is not exactly an anchor() call with in-range arguments. */
err_code registry_parse_anchor_calldata(const uint8_t *data, size_t len, struct hash32 *root,
                                        uint64_t *size, uint64_t *seq, enum registry_kind *kind,
                                        struct err *e) MUST_CHECK;

/* topic0 of Anchored(address,bytes32,uint64,uint64,uint8). */
void registry_anchored_topic(struct hash32 *out);

/* A decoded Anchored event. */
struct registry_event {
    struct addr20 contract; /* the log's emitter */
    struct addr20 issuer;
    struct hash32 root;
    uint64_t size;
    uint64_t seq;
    enum registry_kind kind;
    uint64_t block_number;
    struct hash32 block_hash;
    struct hash32 tx_hash;
    uint64_t log_index;
};

/* Decode `log` as an Anchored event. E_INVALID (with why) if its topics or
 * data are not exactly those of Anchored; the caller still checks that
 * log->address is the expected contract. */
err_code registry_parse_event(const struct rpc_log *log, struct registry_event *out,
                              struct err *e) MUST_CHECK;

/* The contract's record of (issuer, root). block_number == 0: not anchored. */
struct registry_record {
    uint64_t block_number;
    uint64_t timestamp;
    uint64_t size;
    uint64_t seq;
    enum registry_kind kind;
};

/* ---- shared with NotaryRegistry2 (anchor/registry2.c) -------------------- */

/* eth_call of the view `sig`(args) on `contract` at `block` ("latest" if
 * NULL). The answer must be exactly `want` bytes: otherwise E_PROTOCOL,
 * asking whether `contract` is a `contract_name` ("NotaryRegistry"). On
 * success *ret holds the answer (the caller frees it); NULL on error. */
err_code registry_call_view(struct rpc_client *c, const struct addr20 *contract,
                            const char *contract_name, const char *sig,
                            const struct abi_arg *args, size_t nargs, const char *block,
                            size_t want, uint8_t **ret, struct err *e) MUST_CHECK;

/* A decoding error `rc` of the answer to `sig` as E_PROTOCOL, the message
 * prefixed "<name> answer out of range" (name: `sig` up to its '('). E_OK
 * when rc is E_OK. */
err_code registry_answer_range(err_code rc, const char *sig, struct err *e) MUST_CHECK;

/* A view answering one unsigned word of at most `bits` bits into *out:
 * registry_call_view, then registry_answer_range. */
err_code registry_view_uint(struct rpc_client *c, const struct addr20 *contract,
                            const char *contract_name, const char *sig,
                            const struct abi_arg *args, size_t nargs, const char *block,
                            unsigned bits, uint64_t *out, struct err *e) MUST_CHECK;

/* anchoredAt(issuer, root) of either registry at `block` ("latest" if
 * NULL): the words both answers share (blockNumber, timestamp, size, seq,
 * kind as uint8: the caller judges its value) into *out and, when `key` is
 * not NULL, NotaryRegistry2's sixth word (the anchoring key) into *key. A
 * word out of range: E_PROTOCOL "anchoredAt answer out of range". */
err_code registry_view_anchored_at(struct rpc_client *c, const struct addr20 *contract,
                                   const char *contract_name, const struct addr20 *issuer,
                                   const struct hash32 *root, const char *block,
                                   struct registry_record *out, struct addr20 *key,
                                   struct err *e) MUST_CHECK;

/* What both Anchored events share: exactly 3 topics [topic0 of `event_sig`,
 * issuer/identity, root], exactly `data_len` bytes of data whose words 0..2
 * are size, seq, kind (uint8; the caller judges its value), and the log's
 * place. E_INVALID naming `what` ("an Anchored event") otherwise. The caller
 * reads any further word and checks log->address. */
err_code registry_decode_anchored(const struct rpc_log *log, const char *event_sig,
                                  size_t data_len, const char *what, struct registry_event *out,
                                  struct err *e) MUST_CHECK;

/* Check that `data` (`len` bytes) is a call of `sig` of exactly `want`
 * bytes: E_INVALID "transaction input is not an <sig> call" otherwise. */
err_code registry_check_call(const uint8_t *data, size_t len, size_t want, const char *sig,
                             struct err *e) MUST_CHECK;

/* ---- NotaryRegistry's views ---------------------------------------------- */

/* nextSeq(issuer, kind) via eth_call at `block` ("latest" if NULL). */
err_code registry_next_seq(struct rpc_client *c, const struct addr20 *contract,
                           const struct addr20 *issuer, enum registry_kind kind, const char *block,
                           uint64_t *out, struct err *e) MUST_CHECK;

/* anchoredAt(issuer, root) via eth_call at `block` ("latest" if NULL). */
err_code registry_anchored_at(struct rpc_client *c, const struct addr20 *contract,
                              const struct addr20 *issuer, const struct hash32 *root,
                              const char *block, struct registry_record *out,
                              struct err *e) MUST_CHECK;

#endif
