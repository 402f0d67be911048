/*
 * anchor/tx.c — see tx.h.
 *
 * Encoding and decoding share one field order per type so the two cannot
 * drift apart. The decoder is exact: a transaction it accepts re-encodes to
 * the same bytes (RLP is canonical, integers have no leading zeros, nothing
 * optional is dropped), so its hash and signing hash can be recomputed from
 * the parsed fields.
 */
#include "anchor/tx.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "core/hash.h"

/* Largest chain id whose EIP-155 v = 35 + 2·chainId + 1 fits 64 bits. */
#define TX_MAX_CHAIN_ID ((UINT64_MAX - 36) / 2)

void tx_init(struct tx *t) { memset(t, 0, sizeof *t); }

void tx_clear(struct tx *t)
{
    if (!t)
        return;
    free(t->data);
    tx_init(t);
}

err_code tx_set_data(struct tx *t, const uint8_t *p, size_t n, struct err *e)
{
    if (n > TX_MAX_RAW)
        return err_set(e, E_LIMIT, "call data of %zu bytes exceeds the %d-byte transaction limit", n,
                       TX_MAX_RAW);
    uint8_t *copy = NULL;
    if (n) {
        copy = malloc(n);
        if (!copy)
            return err_set(e, E_NOMEM, "out of memory for %zu bytes of call data", n);
        memcpy(copy, p, n);
    }
    free(t->data);
    t->data = copy;
    t->data_len = n;
    return E_OK;
}

static err_code check_fields(const struct tx *t, struct err *e)
{
    if (t->type != TX_LEGACY && t->type != TX_EIP1559)
        return err_set(e, E_INVALID, "transaction type %d is not supported (0 or 2)", (int)t->type);
    if (t->chain_id == 0)
        return err_set(e, E_INVALID, "chain id 0: EIP-155 replay protection needs a chain id");
    if (t->chain_id > TX_MAX_CHAIN_ID)
        return err_set(e, E_INVALID, "chain id %llu is too large for an EIP-155 v",
                       (unsigned long long)t->chain_id);
    if (t->data_len > TX_MAX_RAW)
        return err_set(e, E_LIMIT, "call data of %zu bytes exceeds the %d-byte transaction limit",
                       t->data_len, TX_MAX_RAW);
    if (t->data_len && !t->data)
        return err_set(e, E_INVALID, "transaction data is missing");
    return E_OK;
}

/* Append the fields common to both types, from nonce (legacy) or chainId
 * (1559) up to data. */
static err_code put_body(const struct tx *t, struct buf *b)
{
    err_code rc = E_OK;
    if (t->type == TX_EIP1559) {
        (void)((rc = rlp_put_uint(b, t->chain_id)) || (rc = rlp_put_uint(b, t->nonce)) ||
               (rc = rlp_put_u256(b, &t->max_priority_fee)) ||
               (rc = rlp_put_u256(b, &t->max_fee)));
    } else {
        (void)((rc = rlp_put_uint(b, t->nonce)) || (rc = rlp_put_u256(b, &t->gas_price)));
    }
    if (rc)
        return rc;
    (void)((rc = rlp_put_uint(b, t->gas_limit)) ||
           (rc = rlp_put_bytes(b, t->to.b, t->has_to ? 20 : 0)) ||
           (rc = rlp_put_u256(b, &t->value)) || (rc = rlp_put_bytes(b, t->data, t->data_len)));
    if (rc == E_OK && t->type == TX_EIP1559) {
        size_t mark; /* the access list: always empty */
        rlp_list_begin(b, &mark);
        rc = rlp_list_end(b, mark);
    }
    return rc;
}

/* Unsigned (sig NULL) or signed serialization appended to `out`. */
static err_code encode(const struct tx *t, const struct eth_sig *sig, struct buf *out,
                       struct err *e)
{
    err_code rc = check_fields(t, e);
    if (rc)
        return rc;
    if (sig && (rc = eth_sig_check(sig, e)))
        return rc;
    size_t start = out->len;
    if (t->type == TX_EIP1559 && (rc = buf_append_byte(out, 0x02))) /* EIP-2718 type byte */
        goto nomem;
    size_t mark;
    rlp_list_begin(out, &mark);
    if ((rc = put_body(t, out)))
        goto nomem;
    if (t->type == TX_LEGACY) {
        if (sig) {
            /* EIP-155: v = chainId·2 + 35 + yParity */
            uint64_t v = t->chain_id * 2 + 35 + sig->y_parity;
            (void)((rc = rlp_put_uint(out, v)) || (rc = rlp_put_uint_be(out, sig->r, 32)) ||
                   (rc = rlp_put_uint_be(out, sig->s, 32)));
        } else {
            /* EIP-155: the signing payload ends with chainId, 0, 0 */
            (void)((rc = rlp_put_uint(out, t->chain_id)) || (rc = rlp_put_uint(out, 0)) ||
                   (rc = rlp_put_uint(out, 0)));
        }
    } else if (sig) {
        (void)((rc = rlp_put_uint(out, sig->y_parity)) ||
               (rc = rlp_put_uint_be(out, sig->r, 32)) || (rc = rlp_put_uint_be(out, sig->s, 32)));
    }
    if (rc || (rc = rlp_list_end(out, mark)))
        goto nomem;
    return E_OK;
nomem:
    out->len = start;
    if (out->p)
        out->p[start] = 0;
    return err_set(e, rc, "out of memory while encoding a transaction");
}

err_code tx_encode_unsigned(const struct tx *t, struct buf *out, struct err *e)
{
    return encode(t, NULL, out, e);
}

err_code tx_encode_signed(const struct tx *t, const struct eth_sig *sig, struct buf *out,
                          struct err *e)
{
    return encode(t, sig, out, e);
}

err_code tx_signing_hash(const struct tx *t, struct hash32 *out, struct err *e)
{
    struct buf b = {0};
    err_code rc = encode(t, NULL, &b, e);
    if (rc == E_OK)
        keccak256(b.p, b.len, out);
    buf_free(&b);
    return rc;
}

void tx_hash(const uint8_t *raw, size_t n, struct hash32 *out) { keccak256(raw, n, out); }

err_code tx_sign(const struct tx *t, const struct signer *s, struct buf *raw,
                 struct hash32 *txhash, struct eth_sig *sig, struct err *e)
{
    struct hash32 digest;
    struct eth_sig local;
    err_code rc = tx_signing_hash(t, &digest, e);
    if (rc || (rc = signer_sign_digest(s, &digest, &local, e)))
        return rc;
    size_t start = raw->len;
    if ((rc = encode(t, &local, raw, e)))
        return rc;
    if (txhash)
        tx_hash(raw->p + start, raw->len - start, txhash);
    if (sig)
        *sig = local;
    return E_OK;
}

err_code tx_recover_sender(const struct tx *t, const struct eth_sig *sig, struct addr20 *out,
                           struct err *e)
{
    struct hash32 digest;
    err_code rc = tx_signing_hash(t, &digest, e);
    if (rc)
        return rc;
    return eth_recover_address(&digest, sig, out, e);
}

uint64_t tx_v(const struct tx *t, const struct eth_sig *sig)
{
    return t->type == TX_LEGACY ? t->chain_id * 2 + 35 + sig->y_parity : sig->y_parity;
}

bool tx_same(const struct tx *a, const struct tx *b)
{
    if (a->type != b->type || a->chain_id != b->chain_id || a->nonce != b->nonce ||
        a->gas_limit != b->gas_limit || a->has_to != b->has_to ||
        !u256_eq(&a->value, &b->value) || a->data_len != b->data_len)
        return false;
    if (a->has_to && !addr20_eq(&a->to, &b->to))
        return false;
    if (a->data_len && memcmp(a->data, b->data, a->data_len) != 0)
        return false;
    if (a->type == TX_LEGACY)
        return u256_eq(&a->gas_price, &b->gas_price);
    return u256_eq(&a->max_priority_fee, &b->max_priority_fee) && u256_eq(&a->max_fee, &b->max_fee);
}

/* ---- decoding ---------------------------------------------------------- */

static err_code get_bytes(const struct rlp_item *it, const char *what, struct err *e)
{
    if (it->is_list)
        return err_set(e, E_INVALID, "%s: byte string expected, found a list", what);
    return E_OK;
}

/* Fill the fields shared by both types; `f` points at nonce (legacy) or
 * chainId (1559). Returns the number of items consumed via *used. */
static err_code get_body(const struct rlp_item *f, struct tx *t, size_t *used, struct err *e)
{
    err_code rc;
    size_t i = 0;
    if (t->type == TX_EIP1559) {
        if ((rc = rlp_item_uint(&f[i++], "chainId", &t->chain_id, e)) ||
            (rc = rlp_item_uint(&f[i++], "nonce", &t->nonce, e)) ||
            (rc = rlp_item_u256(&f[i++], "maxPriorityFeePerGas", &t->max_priority_fee, e)) ||
            (rc = rlp_item_u256(&f[i++], "maxFeePerGas", &t->max_fee, e)))
            return rc;
    } else {
        if ((rc = rlp_item_uint(&f[i++], "nonce", &t->nonce, e)) ||
            (rc = rlp_item_u256(&f[i++], "gasPrice", &t->gas_price, e)))
            return rc;
    }
    if ((rc = rlp_item_uint(&f[i++], "gasLimit", &t->gas_limit, e)))
        return rc;
    const struct rlp_item *to = &f[i++];
    if ((rc = get_bytes(to, "to", e)))
        return rc;
    if (to->len == 20) {
        t->has_to = true;
        memcpy(t->to.b, to->p, 20);
    } else if (to->len != 0) {
        return err_set(e, E_INVALID, "to: %zu bytes, expected 20 (or empty for a contract creation)",
                       to->len);
    }
    if ((rc = rlp_item_u256(&f[i++], "value", &t->value, e)))
        return rc;
    const struct rlp_item *data = &f[i++];
    if ((rc = get_bytes(data, "data", e)) || (rc = tx_set_data(t, data->p, data->len, e)))
        return rc;
    if (t->type == TX_EIP1559) {
        const struct rlp_item *al = &f[i++];
        if (!al->is_list)
            return err_set(e, E_INVALID, "accessList: list expected, found a byte string");
        if (al->len)
            return err_set(e, E_UNSUPPORTED, "transactions with an access list are not supported");
    }
    *used = i;
    return E_OK;
}

static err_code get_sig_rs(const struct rlp_item *r, const struct rlp_item *s, struct eth_sig *sig,
                           struct err *e)
{
    struct u256 ur, us;
    err_code rc;
    if ((rc = rlp_item_u256(r, "r", &ur, e)) || (rc = rlp_item_u256(s, "s", &us, e)))
        return rc;
    memcpy(sig->r, ur.b, 32);
    memcpy(sig->s, us.b, 32);
    return E_OK;
}

/* The shared decoder: `sig` NULL for the unsigned form. */
static err_code decode(const uint8_t *raw, size_t n, uint64_t expect_chain_id, struct tx *t,
                       struct eth_sig *sig, struct err *e)
{
    if (n == 0)
        return err_set(e, E_INVALID, "empty transaction");
    if (n > TX_MAX_RAW)
        return err_set(e, E_LIMIT, "transaction of %zu bytes exceeds the %d-byte limit", n,
                       TX_MAX_RAW);
    /* EIP-2718: a first byte ≥ 0xc0 is a legacy RLP list, < 0x80 a type. */
    if (raw[0] >= 0xc0) {
        t->type = TX_LEGACY;
    } else if (raw[0] == 0x02) {
        t->type = TX_EIP1559;
        raw++;
        n--;
    } else if (raw[0] < 0x80) {
        return err_set(e, E_UNSUPPORTED, "transaction type %u is not supported (only 0 and 2)",
                       raw[0]);
    } else {
        return err_set(e, E_INVALID, "not a transaction: starts with byte 0x%02x", raw[0]);
    }
    struct rlp_item top, f[12];
    size_t count = 0, used = 0;
    err_code rc = rlp_decode(raw, n, &top, e);
    if (rc)
        return err_wrap(e, rc, "transaction");
    if (!top.is_list)
        return err_set(e, E_INVALID, "transaction: RLP list expected");
    size_t want = t->type == TX_EIP1559 ? (sig ? 12 : 9) : 9;
    rc = rlp_list_items(&top, f, 12, &count, e);
    if (rc == E_LIMIT || (rc == E_OK && count != want))
        return err_set(e, E_INVALID, "type %d %s transaction has %s%zu fields, expected %zu",
                       (int)t->type, sig ? "signed" : "unsigned", rc ? "more than " : "",
                       rc ? (size_t)12 : count, want);
    if (rc)
        return rc;
    if ((rc = get_body(f, t, &used, e)))
        return err_wrap(e, rc, "transaction");
    const struct rlp_item *tail = &f[used];
    if (t->type == TX_LEGACY) {
        uint64_t v;
        if ((rc = rlp_item_uint(&tail[0], "v", &v, e)))
            return err_wrap(e, rc, "transaction");
        if (!sig) {
            /* EIP-155 signing payload: [..., chainId, 0, 0] */
            if (tail[1].is_list || tail[1].len || tail[2].is_list || tail[2].len)
                return err_set(e, E_INVALID,
                               "unsigned legacy transaction must end with chainId, 0, 0");
            t->chain_id = v;
        } else if (v == 27 || v == 28) {
            return err_set(e, E_UNSUPPORTED,
                           "legacy transaction without EIP-155 chain id (v = %llu) is refused",
                           (unsigned long long)v);
        } else if (v < 37) {
            return err_set(e, E_INVALID, "transaction v = %llu is not an EIP-155 value",
                           (unsigned long long)v);
        } else {
            t->chain_id = (v - 35) / 2;
            sig->y_parity = (uint8_t)((v - 35) & 1);
        }
    } else if (sig) {
        uint64_t parity;
        if ((rc = rlp_item_uint(&tail[0], "yParity", &parity, e)))
            return err_wrap(e, rc, "transaction");
        if (parity > 1)
            return err_set(e, E_INVALID, "transaction yParity is %llu, not 0 or 1",
                           (unsigned long long)parity);
        sig->y_parity = (uint8_t)parity;
    }
    if (sig) {
        if ((rc = get_sig_rs(&tail[1], &tail[2], sig, e)))
            return err_wrap(e, rc, "transaction");
        if ((rc = eth_sig_check(sig, e)))
            return err_wrap(e, rc, "transaction");
    }
    if (t->chain_id == 0 || t->chain_id > TX_MAX_CHAIN_ID)
        return err_set(e, E_INVALID, "transaction has chain id %llu, outside 1..%llu",
                       (unsigned long long)t->chain_id, (unsigned long long)TX_MAX_CHAIN_ID);
    if (expect_chain_id != TX_CHAIN_ANY && t->chain_id != expect_chain_id)
        return err_set(e, E_VERIFY, "transaction is for chain %llu, expected chain %llu",
                       (unsigned long long)t->chain_id, (unsigned long long)expect_chain_id);
    return E_OK;
}

err_code tx_decode_signed(const uint8_t *raw, size_t n, uint64_t expect_chain_id, struct tx *out,
                          struct eth_sig *sig, struct err *e)
{
    tx_init(out);
    memset(sig, 0, sizeof *sig);
    err_code rc = decode(raw, n, expect_chain_id, out, sig, e);
    if (rc)
        tx_clear(out);
    return rc;
}

err_code tx_decode_unsigned(const uint8_t *raw, size_t n, uint64_t expect_chain_id,
                            struct tx *out, struct err *e)
{
    tx_init(out);
    err_code rc = decode(raw, n, expect_chain_id, out, NULL, e);
    if (rc)
        tx_clear(out);
    return rc;
}
