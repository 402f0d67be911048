/*
 * anchor/tx.h — Ethereum transactions: legacy with EIP-155 replay protection
 * (type 0) and EIP-1559 fee-market transactions (type 2).
 *
 * A `struct tx` holds the fields; the functions here turn it into the bytes
 * a ledger accepts (unsigned serialization, signing hash, signed raw
 * transaction, transaction hash) and parse such bytes back — strictly, since
 * the EBSI flow hands us a transaction built by a gateway and the ledger
 * reports what was mined: we decode, re-derive and compare rather than trust.
 *
 *   legacy, EIP-155:  signing hash = keccak256(rlp([nonce, gasPrice, gas, to,
 *                     value, data, chainId, 0, 0])); signed = rlp([nonce,
 *                     gasPrice, gas, to, value, data, v, r, s]) with
 *                     v = 35 + 2·chainId + yParity
 *   EIP-1559:         signing hash = keccak256(0x02 ‖ rlp([chainId, nonce,
 *                     maxPriorityFeePerGas, maxFeePerGas, gas, to, value,
 *                     data, accessList])); signed = 0x02 ‖ rlp([... ,
 *                     yParity, r, s])
 *   tx hash:          keccak256 of the signed bytes (EIP-2718 envelope included)
 *
 * Access lists are always empty: we never build one, and decoding a
 * transaction that has one fails with E_UNSUPPORTED. Pre-EIP-155 legacy
 * transactions (v = 27/28, no chain id) are refused as well.
 *
 * Ownership: a `struct tx` owns its `data` (malloc'd). Start with tx_init(),
 * end with tx_clear(); decoders fill a tx the caller then clears. Every
 * encoder appends to a `struct buf` the caller owns.
 */
#ifndef ANCHOR_TX_H
#define ANCHOR_TX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "anchor/rlp.h"
#include "anchor/signer.h"
#include "core/bytes.h"
#include "core/error.h"

/* Largest raw transaction we build or parse (geth's txpool limit, 128 KiB). */
#define TX_MAX_RAW (128 * 1024)

/* Pass as `expect_chain_id` to accept any chain (only for inspection). */
#define TX_CHAIN_ANY 0

enum tx_type {
    TX_LEGACY = 0,  /* EIP-155 legacy transaction */
    TX_EIP1559 = 2, /* EIP-2718 type 2 */
};

struct tx {
    enum tx_type type;
    uint64_t chain_id;            /* ≥ 1 */
    uint64_t nonce;
    struct u256 gas_price;        /* TX_LEGACY only */
    struct u256 max_priority_fee; /* TX_EIP1559 only: maxPriorityFeePerGas */
    struct u256 max_fee;          /* TX_EIP1559 only: maxFeePerGas */
    uint64_t gas_limit;
    bool has_to;                  /* false: contract creation (empty `to`) */
    struct addr20 to;
    struct u256 value;            /* wei */
    uint8_t *data;                /* owned; NULL when data_len is 0 */
    size_t data_len;
};

/* Zero every field (a legacy tx with no data). */
void tx_init(struct tx *t);

/* Free `data` and zero every field. NULL is fine. */
void tx_clear(struct tx *t);

/* Replace the call data with a copy of `n` bytes at `p`. E_LIMIT beyond
 * TX_MAX_RAW, E_NOMEM if the copy cannot be made (t is unchanged then). */
err_code tx_set_data(struct tx *t, const uint8_t *p, size_t n, struct err *e) MUST_CHECK;

/* Append the unsigned serialization (what is hashed for signing) to `out`.
 * E_INVALID for an unknown type, chain id 0, or a chain id too large for an
 * EIP-155 v; E_LIMIT for oversized data; E_NOMEM. */
err_code tx_encode_unsigned(const struct tx *t, struct buf *out, struct err *e) MUST_CHECK;

/* The hash a signer signs: keccak256 of the unsigned serialization. */
err_code tx_signing_hash(const struct tx *t, struct hash32 *out, struct err *e) MUST_CHECK;

/* Append the signed raw transaction (as sent to eth_sendRawTransaction) to
 * `out`. The signature is checked for form (eth_sig_check), not against the
 * fields. Same errors as tx_encode_unsigned, E_VERIFY for a bad signature. */
err_code tx_encode_signed(const struct tx *t, const struct eth_sig *sig, struct buf *out,
                          struct err *e) MUST_CHECK;

/* Sign `t` with `s`: appends the signed raw transaction to `raw`, and stores
 * its hash in *txhash and the signature in *sig (each may be NULL). */
err_code tx_sign(const struct tx *t, const struct signer *s, struct buf *raw,
                 struct hash32 *txhash, struct eth_sig *sig, struct err *e) MUST_CHECK;

/* Transaction hash of a signed raw transaction: keccak256 of its bytes. */
void tx_hash(const uint8_t *raw, size_t n, struct hash32 *out);

/* Parse a signed raw transaction (legacy or type 2) into *out and *sig.
 * `out` need not be initialised; on success the caller tx_clear()s it, on
 * failure it is left cleared. Strict: canonical RLP, exactly the expected
 * fields, canonical integers, `to` empty or 20 bytes, empty access list,
 * low-s signature (EIP-2), at most TX_MAX_RAW bytes. When `expect_chain_id`
 * is not TX_CHAIN_ANY, a transaction for another chain fails with E_VERIFY.
 * Errors: E_INVALID (malformed), E_LIMIT (too large), E_UNSUPPORTED (other
 * types, pre-EIP-155, access lists), E_VERIFY (chain id, signature form). */
err_code tx_decode_signed(const uint8_t *raw, size_t n, uint64_t expect_chain_id, struct tx *out,
                          struct eth_sig *sig, struct err *e) MUST_CHECK;

/* Parse an unsigned serialization (as produced by tx_encode_unsigned: for
 * legacy the EIP-155 form with chainId, 0, 0) into *out. Same rules and
 * ownership as tx_decode_signed. */
err_code tx_decode_unsigned(const uint8_t *raw, size_t n, uint64_t expect_chain_id,
                            struct tx *out, struct err *e) MUST_CHECK;

/* The address that signed `t` with `sig` (recomputes the signing hash).
 * E_VERIFY if the signature does not recover. */
err_code tx_recover_sender(const struct tx *t, const struct eth_sig *sig, struct addr20 *out,
                           struct err *e) MUST_CHECK;

/* The `v` a transaction carries for `sig` (as JSON-RPC reports it):
 * 35 + 2·chainId + yParity for legacy, yParity for type 2. */
uint64_t tx_v(const struct tx *t, const struct eth_sig *sig);

/* Do two transactions have identical fields (type, chain, nonce, fees, gas,
 * to, value, data)? Fields not used by the type are ignored. */
bool tx_same(const struct tx *a, const struct tx *b);

#endif
