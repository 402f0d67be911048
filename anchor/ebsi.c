/* anchor/ebsi.c — see ebsi.h. */
#include "anchor/ebsi.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "anchor/abi.h"
#include "anchor/net.h"
#include "core/hash.h"
#include "core/fileio.h"
#include "core/json.h"

/* Largest timestampData we produce or accept (ours is < 80 bytes). */
#define EBSI_MAX_DATA 256
/* JSON numbers beyond 2^53 lose precision in most parsers (RFC 7493 §2.2). */
#define EBSI_MAX_JSON_INT 9007199254740992ull
/* Largest answer of timestampHashes / sendSignedTransaction we read. */
#define EBSI_MAX_RESPONSE (256u * 1024)

const char *ebsi_kind_name(enum ebsi_kind k)
{
    switch (k) {
    case EBSI_KIND_ISSUANCE: return "issuance";
    case EBSI_KIND_REVOCATION: return "revocation";
    }
    return "?";
}

/* ---- record data ------------------------------------------------------- */

err_code ebsi_data_encode(const struct ebsi_data *d, struct buf *out, struct err *e)
{
    if (d->kind != EBSI_KIND_ISSUANCE && d->kind != EBSI_KIND_REVOCATION)
        return err_set(e, E_INVALID, "unknown record kind %d", (int)d->kind);
    if (d->seq > EBSI_MAX_JSON_INT || d->size > EBSI_MAX_JSON_INT)
        return err_set(e, E_INVALID, "seq or size above 2^53 cannot be written as JSON");
    /* RFC 8785: members sorted by code units (kind < seq < size < v);
     * integers in ECMAScript form, i.e. plain decimal below 2^53. */
    if (buf_printf(out, "{\"kind\":\"%s\",\"seq\":%" PRIu64 ",\"size\":%" PRIu64 ",\"v\":1}",
                   ebsi_kind_name(d->kind), d->seq, d->size))
        return err_set(e, E_NOMEM, "out of memory");
    return E_OK;
}

/* One spelling only: `c` holds the canonical encoding (made with result
 * `enc_rc`) of what p[0..n) was read as, and must be those very bytes;
 * otherwise E_INVALID with `msg`. Frees c. */
static err_code same_as_canonical(err_code enc_rc, struct buf *c, const uint8_t *p, size_t n,
                                  const char *msg, struct err *e)
{
    bool same = enc_rc == E_OK && c->len == n && memcmp(c->p, p, n) == 0;
    buf_free(c);
    if (enc_rc)
        return enc_rc;
    return same ? E_OK : err_set(e, E_INVALID, "%s", msg);
}

err_code ebsi_data_parse(const uint8_t *p, size_t n, struct ebsi_data *out, struct err *e)
{
    memset(out, 0, sizeof *out);
    if (n == 0 || n > EBSI_MAX_DATA)
        return err_set(e, E_INVALID, "timestamp data has %zu bytes (1..%d expected)", n,
                       EBSI_MAX_DATA);
    json_t *j;
    err_code rc = jstrict_parse((const char *)p, n, EBSI_MAX_DATA, 0, &j, e);
    if (rc)
        return err_wrap(e, rc, "timestamp data");
    json_t *kind = json_object_get(j, "kind"), *seq = json_object_get(j, "seq"),
           *size = json_object_get(j, "size"), *v = json_object_get(j, "v");
    if (!json_is_object(j) || json_object_size(j) != 4 || !json_is_string(kind) ||
        !json_is_integer(seq) || !json_is_integer(size) || !json_is_integer(v) ||
        json_integer_value(v) != 1 || json_integer_value(seq) < 0 ||
        json_integer_value(size) < 0) {
        json_decref(j);
        return err_set(e, E_INVALID, "timestamp data is not a notary record "
                                     "{\"kind\",\"seq\",\"size\",\"v\":1}");
    }
    const char *k = json_string_value(kind);
    if (strcmp(k, "issuance") == 0)
        out->kind = EBSI_KIND_ISSUANCE;
    else if (strcmp(k, "revocation") == 0)
        out->kind = EBSI_KIND_REVOCATION;
    else
        rc = err_set(e, E_INVALID, "timestamp data: unknown kind");
    out->seq = (uint64_t)json_integer_value(seq);
    out->size = (uint64_t)json_integer_value(size);
    json_decref(j);
    if (rc)
        return rc;
    /* One spelling only: the bytes must be the canonical form. */
    struct buf c = {0};
    return same_as_canonical(ebsi_data_encode(out, &c, e), &c, p, n,
                             "timestamp data is not in canonical (RFC 8785) form", e);
}

/* ---- call data, event, view -------------------------------------------- */

err_code ebsi_calldata(uint64_t alg, const struct hash32 *root, const struct ebsi_data *d,
                       struct buf *out, struct err *e)
{
    struct buf data = {0};
    err_code rc = ebsi_data_encode(d, &data, e);
    if (rc)
        return rc;
    struct u256 ids[1];
    u256_from_u64(alg, &ids[0]);
    struct abi_bytes hashes[1] = {{root->b, 32}}, datas[1] = {{data.p, data.len}};
    struct abi_arg args[3] = {abi_arg_uint_array(ids, 1), abi_arg_bytes_array(hashes, 1),
                              abi_arg_bytes_array(datas, 1)};
    rc = abi_encode_call(EBSI_TIMESTAMP_SIG, args, 3, out, e);
    buf_free(&data);
    return rc;
}

/* Follow the head word `index` (an offset) of an ABI tuple in `p` to a
 * dynamic array and return the word index of its length word. */
static err_code array_at(const uint8_t *p, size_t n, size_t index, size_t *len_word,
                         struct err *e)
{
    uint64_t off;
    err_code rc = abi_get_uint(p, n, index, 32, &off, e);
    if (rc)
        return rc;
    if (off % 32)
        return err_set(e, E_INVALID, "array offset %" PRIu64 " is not word-aligned", off);
    *len_word = (size_t)(off / 32);
    return E_OK;
}

err_code ebsi_parse_calldata(const uint8_t *p, size_t n, uint64_t *alg, struct hash32 *root,
                             struct ebsi_data *d, struct err *e)
{
    uint8_t sel[4];
    abi_selector(EBSI_TIMESTAMP_SIG, sel);
    if (n < 4 + 3 * 32 || n > 4096 || memcmp(p, sel, 4) != 0)
        return err_set(e, E_INVALID, "transaction input is not a " EBSI_TIMESTAMP_SIG " call");
    const uint8_t *a = p + 4;
    size_t an = n - 4;
    size_t w0, w1, w2;
    uint64_t c0, c1, c2;
    err_code rc;
    /* Read what the canonical encoding would place where; then re-encode
     * and compare, so only the canonical encoding of one hash passes. */
    if ((rc = array_at(a, an, 0, &w0, e)) || (rc = array_at(a, an, 1, &w1, e)) ||
        (rc = array_at(a, an, 2, &w2, e)) || (rc = abi_get_uint(a, an, w0, 32, &c0, e)) ||
        (rc = abi_get_uint(a, an, w1, 32, &c1, e)) || (rc = abi_get_uint(a, an, w2, 32, &c2, e)))
        return err_wrap(e, rc, "timestampHashes call data");
    if (c0 != 1 || c1 != 1 || c2 != 1)
        return err_set(e, E_INVALID, "timestampHashes call carries %" PRIu64 " hashes, not "
                                     "exactly one",
                       c1);
    const uint8_t *hv, *dv;
    size_t hl, dl;
    /* an item of bytes[]: its offset is relative to the array's first item */
    if ((rc = abi_get_uint(a, an, w0 + 1, 64, alg, e)) ||
        (rc = abi_get_bytes(a + (w1 + 1) * 32, an - (w1 + 1) * 32, 0, &hv, &hl, e)) ||
        (rc = abi_get_bytes(a + (w2 + 1) * 32, an - (w2 + 1) * 32, 0, &dv, &dl, e)))
        return err_wrap(e, rc, "timestampHashes call data");
    if (hl != 32)
        return err_set(e, E_INVALID, "the timestamped hash has %zu bytes, not 32", hl);
    memcpy(root->b, hv, 32);
    if ((rc = ebsi_data_parse(dv, dl, d, e)))
        return rc;
    struct buf c = {0};
    return same_as_canonical(ebsi_calldata(*alg, root, d, &c, e), &c, p, n,
                             "timestampHashes call data is not in canonical ABI form", e);
}

void ebsi_event_topic(struct hash32 *out) { abi_event_topic(EBSI_EVENT_SIG, out); }

void ebsi_timestamp_id(const uint8_t *value, size_t len, struct hash32 *out)
{
    if (sha256(value, len, out) != E_OK)
        memset(out->b, 0, 32); /* OpenSSL failure: an id no real hash has */
}

/* The canonical ABI encoding of TimestampedHashes data for one hash. */
static err_code event_encode(const struct hash32 *id, uint64_t alg, const struct hash32 *root,
                             const struct ebsi_data *d, struct buf *out, struct err *e)
{
    struct buf jd = {0};
    err_code rc = ebsi_data_encode(d, &jd, e);
    if (rc)
        return rc;
    struct u256 ids[1], algs[1];
    memcpy(ids[0].b, id->b, 32); /* a bytes32 item is one word, as a uint256 */
    u256_from_u64(alg, &algs[0]);
    struct abi_bytes hv[1] = {{root->b, 32}}, dv[1] = {{jd.p, jd.len}};
    struct abi_arg args[4] = {abi_arg_uint_array(ids, 1), abi_arg_uint_array(algs, 1),
                              abi_arg_bytes_array(hv, 1), abi_arg_bytes_array(dv, 1)};
    rc = abi_encode_args(args, 4, out, e);
    buf_free(&jd);
    return rc;
}

err_code ebsi_parse_event(const struct rpc_log *log, struct ebsi_event *out, struct err *e)
{
    memset(out, 0, sizeof *out);
    struct hash32 topic;
    ebsi_event_topic(&topic);
    if (log->ntopics != 1 || !hash32_eq(&log->topics[0], &topic))
        return err_set(e, E_INVALID, "log is not a TimestampedHashes event (topics differ)");
    const uint8_t *p = log->data;
    size_t n = log->data_len;
    if (n > 4096)
        return err_set(e, E_INVALID, "TimestampedHashes data too long");
    size_t w[4];
    uint64_t c[4];
    err_code rc = E_OK;
    for (size_t i = 0; i < 4 && !rc; i++)
        if (!(rc = array_at(p, n, i, &w[i], e)))
            rc = abi_get_uint(p, n, w[i], 32, &c[i], e);
    if (rc)
        return err_wrap(e, rc, "TimestampedHashes event");
    if (c[0] != 1 || c[1] != 1 || c[2] != 1 || c[3] != 1)
        return err_set(e, E_INVALID, "TimestampedHashes event of %" PRIu64 " hashes, not exactly "
                                     "one",
                       c[2]);
    const uint8_t *hv, *dv;
    size_t hl, dl;
    struct hash32 id, want_id;
    if ((rc = abi_get_bytes32(p, n, w[0] + 1, &id, e)) ||
        (rc = abi_get_uint(p, n, w[1] + 1, 64, &out->alg, e)) ||
        (rc = abi_get_bytes(p + (w[2] + 1) * 32, n - (w[2] + 1) * 32, 0, &hv, &hl, e)) ||
        (rc = abi_get_bytes(p + (w[3] + 1) * 32, n - (w[3] + 1) * 32, 0, &dv, &dl, e)))
        return err_wrap(e, rc, "TimestampedHashes event");
    if (hl != 32)
        return err_set(e, E_INVALID, "TimestampedHashes hash value has %zu bytes, not 32", hl);
    memcpy(out->root.b, hv, 32);
    ebsi_timestamp_id(out->root.b, 32, &want_id);
    if (!hash32_eq(&id, &want_id))
        return err_set(e, E_INVALID, "TimestampedHashes timestampId is not sha256 of the hash "
                                     "value");
    if ((rc = ebsi_data_parse(dv, dl, &out->data, e)))
        return rc;
    struct buf c2 = {0};
    if ((rc = same_as_canonical(event_encode(&id, out->alg, &out->root, &out->data, &c2, e), &c2,
                                p, n, "TimestampedHashes data is not in canonical ABI form", e)))
        return rc;
    out->timestamp_id = id;
    out->contract = log->address;
    out->tx_hash = log->tx_hash;
    out->block_hash = log->block_hash;
    out->log_block = log->block_number;
    out->log_index = log->log_index;
    return E_OK;
}

bool ebsi_record_exists(const struct ebsi_record *r) { return r->exists; }

static err_code put_word(struct buf *b, uint64_t v)
{
    uint8_t w[32] = {0};
    for (int i = 0; i < 8; i++)
        w[31 - i] = (uint8_t)(v >> (8 * i));
    return buf_append(b, w, 32);
}

/* length word, bytes, zero padding to a word */
static err_code put_bytes(struct buf *b, const uint8_t *p, size_t n)
{
    static const uint8_t zero[32];
    err_code rc = put_word(b, n);
    if (!rc && n)
        rc = buf_append(b, p, n);
    if (!rc && n % 32)
        rc = buf_append(b, zero, 32 - n % 32);
    return rc;
}

err_code ebsi_decode_record(const uint8_t *p, size_t n, const struct hash32 *root,
                            struct ebsi_record *out, struct err *e)
{
    memset(out, 0, sizeof *out);
    if (n > 8192)
        return err_set(e, E_INVALID, "answer too long");
    /* ((uint256 algorithm, bytes value) hash, address timestampedBy,
     *  uint256 blockNumber, bytes data): head of 4 words, then the tuple
     *  (algorithm, offset of value, value), then data. */
    uint64_t toff, doff, voff;
    const uint8_t *hv, *dv;
    size_t hl, dl;
    err_code rc;
    if ((rc = abi_get_uint(p, n, 0, 32, &toff, e)) ||
        (rc = abi_get_address(p, n, 1, &out->from, e)) ||
        (rc = abi_get_uint(p, n, 2, 64, &out->block_number, e)) ||
        (rc = abi_get_uint(p, n, 3, 32, &doff, e)) || toff > n ||
        (rc = abi_get_uint(p + toff, n - toff, 0, 64, &out->alg, e)) ||
        (rc = abi_get_uint(p + toff, n - toff, 1, 32, &voff, e)) ||
        (rc = abi_get_bytes(p + toff, n - toff, 1, &hv, &hl, e)) ||
        (rc = abi_get_bytes(p, n, 3, &dv, &dl, e)))
        return rc ? err_wrap(e, rc, "getTimestamp answer")
                  : err_set(e, E_INVALID, "getTimestamp answer: bad tuple offset");
    if (hl != 32 || memcmp(hv, root->b, 32) != 0)
        return err_set(e, E_INVALID, "getTimestamp answer is about another hash value");
    /* The one canonical encoding of those values, byte for byte. */
    struct buf c = {0};
    size_t tuple = 64 + 32 + 32;
    struct hash32 by = {{0}};
    memcpy(by.b + 12, out->from.b, 20);
    rc = put_word(&c, 128);
    if (!rc)
        rc = buf_append(&c, by.b, 32);
    if (!rc)
        rc = put_word(&c, out->block_number);
    if (!rc)
        rc = put_word(&c, 128 + tuple);
    if (!rc)
        rc = put_word(&c, out->alg);
    if (!rc)
        rc = put_word(&c, 64);
    if (!rc)
        rc = put_bytes(&c, root->b, 32);
    if (!rc)
        rc = put_bytes(&c, dv, dl);
    if (rc) {
        buf_free(&c);
        return err_set(e, E_NOMEM, "out of memory");
    }
    if ((rc = same_as_canonical(E_OK, &c, p, n, "getTimestamp answer is not in canonical ABI "
                                                "form",
                                e)))
        return rc;
    out->exists = true;
    out->has_data = dl > 0 && ebsi_data_parse(dv, dl, &out->data, NULL) == E_OK;
    return E_OK;
}

bool ebsi_revert_is_unknown(const uint8_t *revert, size_t n)
{
    /* Error(string): selector 08c379a0, offset 0x20, length, the text. */
    static const uint8_t sel[4] = {0x08, 0xc3, 0x79, 0xa0};
    const size_t rl = sizeof EBSI_UNKNOWN_REASON - 1;
    const uint8_t *s;
    size_t sl;
    uint64_t off;
    return revert && n == 4 + 32 * 3 && memcmp(revert, sel, 4) == 0 &&
           abi_get_uint(revert + 4, n - 4, 0, 32, &off, NULL) == E_OK && off == 32 &&
           abi_get_bytes(revert + 4, n - 4, 0, &s, &sl, NULL) == E_OK && sl == rl &&
           memcmp(s, EBSI_UNKNOWN_REASON, rl) == 0;
}

err_code ebsi_get_timestamp(struct rpc_client *ledger, const struct addr20 *contract,
                            const struct hash32 *root, const char *block, struct ebsi_record *out,
                            struct err *e)
{
    memset(out, 0, sizeof *out);
    struct buf call = {0};
    struct abi_arg arg = abi_arg_bytes(root->b, 32);
    err_code rc = abi_encode_call(EBSI_GET_SIG, &arg, 1, &call, e);
    if (rc)
        return rc;
    struct rpc_callmsg msg = {.to = contract, .data = call.p, .data_len = call.len};
    uint8_t *ret = NULL;
    size_t n = 0;
    rc = rpc_eth_call(ledger, &msg, block ? block : "latest", &ret, &n, e);
    buf_free(&call);
    char ad[43];
    addr20_to_hex(contract, ad);
    if (rc == E_PROTOCOL) {
        const struct rpc_error *re = rpc_last_error(ledger);
        if (re->failure == RPC_FAIL_JSONRPC && re->reason == RPC_REASON_REVERT) {
            if (re->has_data && ebsi_revert_is_unknown(re->data, re->data_len)) {
                err_clear(e);
                return E_OK; /* never timestamped */
            }
            return err_set(e, E_PROTOCOL, "getTimestamp at %s reverted, but not with \""
                                          EBSI_UNKNOWN_REASON "\" (%.120s): is it EBSI's "
                                          "Timestamp contract?",
                           ad, re->message);
        }
    }
    if (rc)
        return rc;
    struct err de = {0};
    rc = ebsi_decode_record(ret, n, root, out, &de);
    free(ret);
    if (rc)
        return err_set(e, E_PROTOCOL, "getTimestamp at %s did not answer as the Timestamp "
                                      "contract does (%.190s)",
                       ad, de.msg);
    return E_OK;
}

err_code ebsi_code_matches(struct rpc_client *ledger, const struct addr20 *contract, bool *match,
                           struct err *e)
{
    return rpc_code_matches(ledger, contract, ebsi_timestamp_runtime_hex,
                            "embedded Timestamp runtime code", match, e);
}

/* ---- the unsigned transaction ------------------------------------------ */

/* A hex quantity as EBSI's Timestamp API writes it (ethers' BigNumber
 * toHexString: "0x" and an even number of lower-case digits, "0x00",
 * "0x0222e0"; or literal strings such as "0x0" and the gas fallback
 * "0x1000000"): "0x" then 1..maxdigits lower-case hex digits, leading zeros
 * allowed. Only the unsigned transaction EBSI returns is read with this;
 * standard JSON-RPC answers keep the strict rpc_parse_quantity. */
static err_code ebsi_qty(const char *s, size_t maxdigits, struct u256 *out, struct err *e)
{
    size_t n = strlen(s);
    if (n < 3 || n > 2 + maxdigits || s[0] != '0' || s[1] != 'x')
        return err_set(e, E_INVALID, "not a hex quantity (0x + 1..%zu digits)", maxdigits);
    char pad[65];
    size_t d = n - 2;
    memset(pad, '0', 64 - d);
    memcpy(pad + 64 - d, s + 2, d);
    pad[64] = '\0';
    for (size_t i = 0; i < 64; i++)
        if (!((pad[i] >= '0' && pad[i] <= '9') || (pad[i] >= 'a' && pad[i] <= 'f')))
            return err_set(e, E_INVALID, "a quantity has a character other than 0-9 a-f");
    return hex_decode_exact(pad, 64, false, out->b, 32, e);
}

static err_code ebsi_qty64(const char *s, uint64_t *out, struct err *e)
{
    struct u256 v;
    err_code rc = ebsi_qty(s, 16, &v, e);
    return rc ? rc : u256_to_u64(&v, out, e);
}

static const char *const UNSIGNED_KEYS[] = {"from",    "to",       "data",     "nonce",
                                            "chainId", "gasLimit", "gasPrice", "value"};

err_code ebsi_unsigned_parse(const json_t *obj, struct tx *out, struct addr20 *from,
                             struct err *e)
{
    tx_init(out);
    if (!json_is_object(obj))
        return err_set(e, E_PROTOCOL, "the unsigned transaction is not a JSON object");
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v) {
        bool known = false;
        for (size_t i = 0; i < 8 && !known; i++)
            known = strcmp(key, UNSIGNED_KEYS[i]) == 0;
        if (!known)
            return err_set(e, E_PROTOCOL, "the unsigned transaction has an unexpected member "
                                          "\"%.40s\"",
                           key);
    }
    const char *s[8];
    for (size_t i = 0; i < 8; i++) {
        s[i] = json_string_value(json_object_get(obj, UNSIGNED_KEYS[i]));
        if (!s[i])
            return err_set(e, E_PROTOCOL, "the unsigned transaction lacks the string member "
                                          "\"%s\"",
                           UNSIGNED_KEYS[i]);
    }
    err_code rc;
    struct err fe = {0};
    const char *bad = NULL;
    uint8_t *data = NULL;
    size_t dlen = 0;
    if (eth_address_parse(s[0], from, &fe))
        bad = "from";
    else if (eth_address_parse(s[1], &out->to, &fe))
        bad = "to";
    else if (strncmp(s[2], "0x", 2) != 0 ||
             hex_decode_alloc(s[2] + 2, strlen(s[2]) - 2, false, TX_MAX_RAW, &data, &dlen, &fe))
        bad = "data";
    else if (ebsi_qty64(s[3], &out->nonce, &fe))
        bad = "nonce";
    else if (ebsi_qty64(s[4], &out->chain_id, &fe))
        bad = "chainId";
    else if (ebsi_qty64(s[5], &out->gas_limit, &fe))
        bad = "gasLimit";
    else if (ebsi_qty(s[6], 64, &out->gas_price, &fe))
        bad = "gasPrice";
    else if (ebsi_qty(s[7], 64, &out->value, &fe))
        bad = "value";
    if (bad) {
        free(data);
        tx_clear(out);
        if (!fe.msg[0])
            snprintf(fe.msg, sizeof fe.msg, "missing 0x");
        return err_set(e, E_PROTOCOL, "the unsigned transaction's \"%s\" is malformed: %s", bad,
                       fe.msg);
    }
    out->type = TX_LEGACY;
    out->has_to = true;
    rc = tx_set_data(out, data, dlen, e);
    free(data);
    if (rc)
        tx_clear(out);
    return rc;
}

err_code ebsi_unsigned_check(const struct tx *t, const struct addr20 *from,
                             const struct ebsi_expect *x, struct err *e)
{
    char a[43], b[43];
    if (t->type != TX_LEGACY)
        return err_set(e, E_VERIFY, "the Timestamp API returned a non-legacy transaction; "
                                    "refusing to sign");
    if (t->chain_id != x->chain_id)
        return err_set(e, E_VERIFY, "the Timestamp API returned a transaction for chain %" PRIu64
                                    ", not the configured chain %" PRIu64 "; refusing to sign",
                       t->chain_id, x->chain_id);
    if (!addr20_eq(from, &x->from)) {
        addr20_to_hex(from, a);
        addr20_to_hex(&x->from, b);
        return err_set(e, E_VERIFY, "the Timestamp API returned a transaction from %s, not from "
                                    "the issuer %s; refusing to sign",
                       a, b);
    }
    if (!t->has_to || !addr20_eq(&t->to, &x->contract)) {
        addr20_to_hex(&t->to, a);
        addr20_to_hex(&x->contract, b);
        return err_set(e, E_VERIFY, "the Timestamp API returned a transaction to %s, not the "
                                    "configured Timestamp contract %s; refusing to sign",
                       t->has_to ? a : "(contract creation)", b);
    }
    if (!u256_is_zero(&t->value))
        return err_set(e, E_VERIFY, "the Timestamp API returned a transaction that sends value; "
                                    "refusing to sign");
    if (t->data_len != x->calldata_len || (t->data_len && memcmp(t->data, x->calldata,
                                                                 t->data_len) != 0))
        return err_set(e, E_VERIFY, "the Timestamp API returned a transaction whose call data "
                                    "(%zu bytes) is not the timestampHashes call we asked for "
                                    "(%zu bytes: our root, kind, seq and size); refusing to sign",
                       t->data_len, x->calldata_len);
    uint64_t max_gas = x->max_gas ? x->max_gas : EBSI_DEFAULT_MAX_GAS;
    if (t->gas_limit == EBSI_GAS_FALLBACK && t->gas_limit > max_gas)
        return err_set(e, E_VERIFY, "the Timestamp API returned its fallback gas limit 0x1000000 "
                                    "(%" PRIu64 "), which it sends when its gas estimation "
                                    "failed: the call would most likely revert (hash algorithm "
                                    "revoked or unknown, contract paused?); refusing to sign "
                                    "above the cap %" PRIu64 ". Check GET "
                                    "/timestamp/v4/hash-algorithms/ID and run again; the batch "
                                    "stays CLOSED",
                       t->gas_limit, max_gas);
    if (t->gas_limit < 21000 || t->gas_limit > max_gas)
        return err_set(e, E_VERIFY, "the Timestamp API returned a gas limit of %" PRIu64
                                    " (accepted: 21000..%" PRIu64 "); refusing to sign",
                       t->gas_limit, max_gas);
    uint64_t price;
    if (u256_to_u64(&t->gas_price, &price, NULL) != E_OK || price > x->max_gas_price)
        return err_set(e, E_VERIFY, "the Timestamp API asks for a gas price above the accepted "
                                    "%" PRIu64 " wei; refusing to sign",
                       x->max_gas_price);
    return E_OK;
}

/* A u256 as a strict QUANTITY ("0x0", "0x1f", ...). */
static void u256_qty(const struct u256 *v, char out[67])
{
    char hex[65];
    hex_encode(v->b, 32, hex);
    size_t i = 0;
    while (i < 63 && hex[i] == '0')
        i++;
    snprintf(out, 67, "0x%s", hex + i);
}

json_t *ebsi_unsigned_json(const struct tx *t, const struct addr20 *from)
{
    char f[43], to[43], n[RPC_QTY_BUF], c[RPC_QTY_BUF], g[RPC_QTY_BUF], gp[67], v[67];
    addr20_to_hex(from, f);
    addr20_to_hex(&t->to, to);
    u256_qty(&t->gas_price, gp);
    u256_qty(&t->value, v);
    char *data = malloc(2 * t->data_len + 3);
    if (!data)
        return NULL;
    data[0] = '0';
    data[1] = 'x';
    hex_encode(t->data, t->data_len, data + 2);
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "from", f, "to", to, "data",
                          data, "nonce", rpc_format_quantity(t->nonce, n), "chainId",
                          rpc_format_quantity(t->chain_id, c), "gasLimit",
                          rpc_format_quantity(t->gas_limit, g), "gasPrice", gp, "value", v);
    free(data);
    return o;
}

/* ---- the API --------------------------------------------------------------- */

struct ebsi_api {
    struct rpc_client *rpc;
};

err_code ebsi_api_new(const struct rpc_options *opt, struct ebsi_api **out, struct err *e)
{
    *out = NULL;
    if (opt->bearer_token && net_url_may_carry_secret(opt->url, "the Timestamp API token", e))
        return E_INVALID;
    struct ebsi_api *a = calloc(1, sizeof *a);
    if (!a)
        return err_set(e, E_NOMEM, "out of memory");
    struct rpc_options o = *opt;
    if (!o.max_response_bytes)
        o.max_response_bytes = EBSI_MAX_RESPONSE;
    err_code rc = rpc_client_new(&o, &a->rpc, e);
    if (rc) {
        free(a);
        return err_wrap(e, rc, "Timestamp API");
    }
    *out = a;
    return E_OK;
}

void ebsi_api_free(struct ebsi_api *a)
{
    if (!a)
        return;
    rpc_client_free(a->rpc);
    free(a);
}

const struct rpc_error *ebsi_api_last_error(const struct ebsi_api *a)
{
    return rpc_last_error(a->rpc);
}

void ebsi_prepared_free(struct ebsi_prepared *p)
{
    if (!p)
        return;
    tx_clear(&p->tx);
    free(p->unsigned_json);
    p->unsigned_json = NULL;
}

/* Replace a failed call's message by one a person can act on. */
static err_code api_failed(struct ebsi_api *a, const char *method, err_code rc, struct err *e)
{
    const struct rpc_error *re = rpc_last_error(a->rpc);
    if (rc == E_STATE || re->failure == RPC_FAIL_AUTH)
        return err_set(e, E_STATE,
                       "the Timestamp API at %s refused %s (HTTP %ld): the access token is "
                       "missing, expired or lacks the timestamp_write scope; put a fresh token "
                       "in the token file or NOTARY_EBSI_TOKEN and run again",
                       rpc_client_origin(a->rpc), method, re->http_status);
    return err_wrap(e, rc, "Timestamp API %s", method);
}

err_code ebsi_request_tx(struct ebsi_api *a, const struct ebsi_expect *x, uint64_t alg,
                         const struct hash32 *root, const struct ebsi_data *d,
                         struct ebsi_prepared *out, struct err *e)
{
    memset(out, 0, sizeof *out);
    tx_init(&out->tx);
    struct buf data = {0};
    err_code rc = ebsi_data_encode(d, &data, e);
    if (rc)
        return rc;
    char from[43], rhex[67];
    addr20_to_hex(&x->from, from);
    hash32_to_hex0x(root, rhex);
    char *dhex = malloc(2 * data.len + 3);
    if (!dhex) {
        buf_free(&data);
        return err_set(e, E_NOMEM, "out of memory");
    }
    memcpy(dhex, "0x", 2);
    hex_encode(data.p, data.len, dhex + 2);
    buf_free(&data);
    /* hashAlgorithmIds are JSON numbers, as in EBSI's API description. */
    json_t *params = json_pack("[{s:s, s:[I], s:[s], s:[s]}]", "from", from, "hashAlgorithmIds",
                               (json_int_t)alg, "hashValues", rhex, "timestampData", dhex);
    free(dhex);
    json_t *res = NULL;
    struct rpc_call_opts once = {.retry = false};
    if ((rc = rpc_call_ex(a->rpc, "timestampHashes", params, &once, &res, e)))
        return api_failed(a, "timestampHashes", rc, e);
    struct addr20 tx_from;
    if ((rc = ebsi_unsigned_parse(res, &out->tx, &tx_from, e)) ||
        (rc = ebsi_unsigned_check(&out->tx, &tx_from, x, e))) {
        json_decref(res);
        ebsi_prepared_free(out);
        return rc;
    }
    /* Kept exactly as returned (member order too), to be sent back with the
     * signature: compact JSON of the checked object. */
    out->unsigned_json = json_dumps(res, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(res);
    if (!out->unsigned_json) {
        ebsi_prepared_free(out);
        return err_set(e, E_NOMEM, "out of memory");
    }
    return E_OK;
}

err_code ebsi_send(struct ebsi_api *a, const char *unsigned_json, const uint8_t *raw, size_t len,
                   struct hash32 *txhash, struct err *e)
{
    tx_hash(raw, len, txhash);
    json_t *u;
    err_code rc = jstrict_parse(unsigned_json, strlen(unsigned_json), EBSI_MAX_RESPONSE, 0, &u, e);
    if (rc)
        return err_set(e, E_STATE, "the stored unsigned transaction is not valid JSON");
    struct tx ut, st;
    struct addr20 from;
    struct eth_sig sig;
    if ((rc = ebsi_unsigned_parse(u, &ut, &from, e))) {
        json_decref(u);
        return err_set(e, E_STATE, "the stored unsigned transaction is unreadable: %s", e->msg);
    }
    if ((rc = tx_decode_signed(raw, len, ut.chain_id, &st, &sig, e))) {
        tx_clear(&ut);
        json_decref(u);
        return err_set(e, E_STATE, "the stored signed transaction is unreadable: %s", e->msg);
    }
    bool same = tx_same(&ut, &st);
    uint64_t v = tx_v(&st, &sig);
    tx_clear(&ut);
    tx_clear(&st);
    if (!same) {
        json_decref(u);
        return err_set(e, E_STATE, "the stored signed transaction does not match the stored "
                                   "unsigned one; the store is corrupted");
    }
    char r[67], s[67], vq[RPC_QTY_BUF];
    struct hash32 hr, hs;
    memcpy(hr.b, sig.r, 32);
    memcpy(hs.b, sig.s, 32);
    hash32_to_hex0x(&hr, r);
    hash32_to_hex0x(&hs, s);
    char *rawhex = malloc(2 * len + 3);
    if (!rawhex) {
        json_decref(u);
        return err_set(e, E_NOMEM, "out of memory");
    }
    memcpy(rawhex, "0x", 2);
    hex_encode(raw, len, rawhex + 2);
    json_t *params = json_pack("[{s:s, s:o, s:s, s:s, s:s, s:s}]", "protocol", "eth",
                               "unsignedTransaction", u, "r", r, "s", s, "v",
                               rpc_format_quantity(v, vq), "signedRawTransaction", rawhex);
    free(rawhex);
    json_t *res = NULL;
    struct rpc_call_opts again = {.retry = true}; /* same bytes, same hash: safe */
    if ((rc = rpc_call_ex(a->rpc, "sendSignedTransaction", params, &again, &res, e)))
        return api_failed(a, "sendSignedTransaction", rc, e);
    struct hash32 got;
    const char *hs_ = json_string_value(res);
    rc = hs_ && strncmp(hs_, "0x", 2) == 0 ? hash32_from_hex(hs_, &got, NULL) : E_INVALID;
    json_decref(res);
    if (rc)
        return err_set(e, E_PROTOCOL, "the Timestamp API answered sendSignedTransaction with "
                                      "something other than a transaction hash");
    if (!hash32_eq(&got, txhash)) {
        char w[67], g[67];
        hash32_to_hex0x(txhash, w);
        hash32_to_hex0x(&got, g);
        return err_set(e, E_PROTOCOL, "the Timestamp API reports transaction %s, but we sent %s",
                       g, w);
    }
    return E_OK;
}

/* ---- token ------------------------------------------------------------------- */

err_code ebsi_token_read(const char *path, char **token, struct err *e)
{
    *token = NULL;
    struct stat st;
    if (stat(path, &st) != 0)
        return err_set(e, E_NOT_FOUND, "token file %s: %s", path, strerror(errno));
    if (st.st_mode & 077)
        return err_set(e, E_STATE, "token file %s: mode %04o lets others read the access token; "
                                   "run chmod 600 %s",
                       path, (unsigned)(st.st_mode & 0777), path);
    struct buf b;
    err_code rc = file_read_all(path, EBSI_MAX_TOKEN_FILE, &b, e);
    if (rc)
        return err_wrap(e, rc, "token file");
    size_t i = 0, end = b.len;
    while (i < end && (b.p[i] == ' ' || b.p[i] == '\t' || b.p[i] == '\n' || b.p[i] == '\r'))
        i++;
    while (end > i && (b.p[end - 1] == ' ' || b.p[end - 1] == '\t' || b.p[end - 1] == '\n' ||
                       b.p[end - 1] == '\r'))
        end--;
    if (end == i) {
        buf_free_wipe(&b);
        return err_set(e, E_INVALID, "token file %s is empty", path);
    }
    for (size_t k = i; k < end; k++)
        if (b.p[k] < 0x21 || b.p[k] > 0x7e) {
            buf_free_wipe(&b);
            return err_set(e, E_INVALID, "token file %s: the token contains a space or a "
                                         "control character",
                           path);
        }
    char *t = malloc(end - i + 1);
    if (!t) {
        buf_free_wipe(&b);
        return err_set(e, E_NOMEM, "out of memory");
    }
    memcpy(t, b.p + i, end - i);
    t[end - i] = '\0';
    buf_free_wipe(&b);
    *token = t;
    return E_OK;
}

void ebsi_token_free(char *token)
{
    if (!token)
        return;
    OPENSSL_cleanse(token, strlen(token));
    free(token);
}
