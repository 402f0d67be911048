/*
 * anchor/eth.c — the typed Ethereum JSON-RPC calls; see eth.h for the contract.
 *
 * Layout: strict value parsing (QUANTITY, DATA, fixed-length hashes and
 * addresses: the f_* field readers, each naming the call and the field in
 * its message), then the typed helpers, each one rpc_call() and the checks of
 * its answer. Value encodings are the Ethereum execution-apis conventions.
 */
#include "anchor/eth.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/hash.h"

/* ------------------------------------------------------------------------- */
/* strict value parsing                                                        */

static int hexval(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/* QUANTITY of at most `maxdigits` hex digits → big-endian into out[outlen]
 * (outlen*2 >= maxdigits). Returns a static description of the problem or NULL. */
static const char *qty_check(const char *s, size_t maxdigits)
{
    if (!s)
        return "is not a string";
    if (s[0] != '0' || s[1] != 'x')
        return "lacks the 0x prefix";
    const char *d = s + 2;
    size_t n = strlen(d);
    if (n == 0)
        return "has no digits (\"0x\" is not a quantity; zero is \"0x0\")";
    for (size_t i = 0; i < n; i++)
        if (hexval(d[i]) < 0)
            return "has a non-hex character";
    if (n > 1 && d[0] == '0')
        return "has leading zeros";
    if (n > maxdigits)
        return maxdigits == 16 ? "exceeds 64 bits" : "exceeds 256 bits";
    return NULL;
}

err_code rpc_parse_quantity(const char *s, uint64_t *out, struct err *e)
{
    *out = 0;
    const char *bad = qty_check(s, 16);
    if (bad) {
        char shown[40];
        rpc_sanitize(s ? s : "", s ? strlen(s) : 0, shown, sizeof shown);
        return err_set(e, E_INVALID, "quantity \"%s\" %s", shown, bad);
    }
    uint64_t v = 0;
    for (const char *d = s + 2; *d; d++)
        v = (v << 4) | (uint64_t)hexval(*d);
    *out = v;
    return E_OK;
}

char *rpc_format_quantity(uint64_t v, char out[RPC_QTY_BUF])
{
    snprintf(out, RPC_QTY_BUF, "0x%" PRIx64, v);
    return out;
}

static bool valid_block_param(const char *b, bool allow_pending)
{
    if (!b)
        return false;
    static const char *const tags[] = {"latest", "earliest", "safe", "finalized"};
    for (size_t i = 0; i < sizeof tags / sizeof tags[0]; i++)
        if (strcmp(b, tags[i]) == 0)
            return true;
    if (strcmp(b, "pending") == 0)
        return allow_pending;
    return qty_check(b, 16) == NULL;
}

/* Context for checking a result: names the call and the field in messages. */
struct pctx {
    struct rpc_client *c;
    struct err *e;
    const char *method;
};

static err_code bad(struct pctx *p, const char *where, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static err_code bad(struct pctx *p, const char *where, const char *key, const char *fmt, ...)
{
    char what[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return rpc_reject_result(p->c, E_PROTOCOL, p->e, "answered %s with an invalid %s%s%s: %s",
                             p->method, where, key ? "." : "", key ? key : "", what);
}

/* Field `key` of `obj` (or `obj` itself when key is NULL). JSON null and a
 * missing key are both "absent". */
static json_t *field(const json_t *obj, const char *key)
{
    json_t *v = key ? json_object_get(obj, key) : (json_t *)obj;
    return json_is_null(v) ? NULL : v;
}

/* present == NULL: the field is required. */
static err_code f_qty(struct pctx *p, const char *where, const json_t *obj, const char *key,
                      uint64_t *out, bool *present)
{
    *out = 0;
    json_t *v = field(obj, key);
    if (present)
        *present = v != NULL;
    if (!v)
        return present ? E_OK : bad(p, where, key, "missing");
    const char *s = json_string_value(v);
    const char *why = s ? qty_check(s, 16) : "is not a string";
    if (why) {
        /* Echo short values only: a real quantity has at most 18 characters,
         * and a long one is the node's text, not worth showing (or leaking). */
        if (!s || strlen(s) > 24)
            return bad(p, where, key, "quantity %s", why);
        char shown[32];
        rpc_sanitize(s, strlen(s), shown, sizeof shown);
        return bad(p, where, key, "quantity \"%s\" %s", shown, why);
    }
    return rpc_parse_quantity(s, out, NULL);
}

static err_code f_u256(struct pctx *p, const char *where, const json_t *obj, const char *key,
                       uint8_t out[32])
{
    memset(out, 0, 32);
    json_t *v = field(obj, key);
    if (!v)
        return bad(p, where, key, "missing");
    const char *s = json_string_value(v);
    const char *why = qty_check(s, 64);
    if (why)
        return bad(p, where, key, "quantity %s", why);
    const char *d = s + 2;
    size_t n = strlen(d);
    for (size_t i = 0; i < n; i++) {
        size_t pos = n - 1 - i; /* nibble index from the right */
        out[31 - pos / 2] |= (uint8_t)(hexval(d[i]) << (pos % 2 ? 4 : 0));
    }
    return E_OK;
}

static err_code f_fixed(struct pctx *p, const char *where, const json_t *obj, const char *key,
                        uint8_t *out, size_t want, bool *present)
{
    json_t *v = field(obj, key);
    if (present)
        *present = v != NULL;
    if (!v)
        return present ? E_OK : bad(p, where, key, "missing");
    const char *s = json_string_value(v);
    if (!s)
        return bad(p, where, key, "not a string");
    if (strncmp(s, "0x", 2) != 0)
        return bad(p, where, key, "lacks the 0x prefix");
    if (strlen(s + 2) != want * 2)
        return bad(p, where, key, "expected %zu bytes (%zu hex digits), got %zu hex digits", want,
                   want * 2, strlen(s + 2));
    struct err he = {0};
    if (hex_decode_exact(s + 2, want * 2, false, out, want, &he))
        return bad(p, where, key, "%s", he.msg);
    return E_OK;
}

static err_code f_hash(struct pctx *p, const char *where, const json_t *obj, const char *key,
                       struct hash32 *out, bool *present)
{
    memset(out, 0, sizeof *out);
    return f_fixed(p, where, obj, key, out->b, 32, present);
}

static err_code f_addr(struct pctx *p, const char *where, const json_t *obj, const char *key,
                       struct addr20 *out, bool *present)
{
    memset(out, 0, sizeof *out);
    return f_fixed(p, where, obj, key, out->b, 20, present);
}

static err_code f_data(struct pctx *p, const char *where, const json_t *obj, const char *key,
                       uint8_t **out, size_t *outlen)
{
    *out = NULL;
    *outlen = 0;
    json_t *v = field(obj, key);
    if (!v)
        return bad(p, where, key, "missing");
    const char *s = json_string_value(v);
    if (!s)
        return bad(p, where, key, "not a string");
    if (strncmp(s, "0x", 2) != 0)
        return bad(p, where, key, "lacks the 0x prefix");
    struct err he = {0};
    err_code rc = hex_decode_alloc(s + 2, strlen(s + 2), false, rpc_client_max_response(p->c), out, outlen, &he);
    if (rc == E_NOMEM)
        return err_set(p->e, E_NOMEM, "out of memory");
    if (rc)
        return bad(p, where, key, "%s", he.msg);
    return E_OK;
}

/* ------------------------------------------------------------------------- */
/* typed helpers                                                               */

/* rpc_call(method, params) whose result is one value: a QUANTITY into *qty
 * (data NULL), or DATA into *data, *datalen (qty NULL). */
static err_code call_value(struct rpc_client *c, const char *method, json_t *params,
                           uint64_t *qty, uint8_t **data, size_t *datalen, struct err *e)
{
    if (qty) {
        *qty = 0;
    } else {
        *data = NULL;
        *datalen = 0;
    }
    json_t *r;
    err_code rc = rpc_call(c, method, params, &r, e);
    if (rc)
        return rc;
    struct pctx p = {c, e, method};
    rc = qty ? f_qty(&p, "result", r, NULL, qty, NULL)
             : f_data(&p, "result", r, NULL, data, datalen);
    json_decref(r);
    return rc;
}

static err_code call_qty(struct rpc_client *c, const char *method, json_t *params, uint64_t *out,
                         struct err *e)
{
    return call_value(c, method, params, out, NULL, NULL, e);
}

static err_code call_data(struct rpc_client *c, const char *method, json_t *params, uint8_t **out,
                          size_t *outlen, struct err *e)
{
    return call_value(c, method, params, NULL, out, outlen, e);
}

/* rpc_call(method, params) whose result is an object (`what`: "block",
 * "transaction", ...). A null result is E_NOT_FOUND, "ledger at <origin> "
 * then `absent`; anything else but an object is E_PROTOCOL. On E_OK *out
 * is a new reference (the caller json_decref()s); NULL otherwise. */
static err_code call_object(struct rpc_client *c, const char *method, json_t *params,
                            const char *what, const char *absent, json_t **out, struct err *e)
{
    *out = NULL;
    json_t *r;
    err_code rc = rpc_call(c, method, params, &r, e);
    if (rc)
        return rc;
    struct pctx p = {c, e, method};
    if (json_is_null(r))
        rc = err_set(e, E_NOT_FOUND, "ledger at %s %s", rpc_client_origin(c), absent);
    else if (!json_is_object(r))
        rc = bad(&p, "result", NULL, "not a %s object", what);
    if (rc)
        json_decref(r);
    else
        *out = r;
    return rc;
}

/* call_object() of method([hash]); `absent` reads "<pre> <hash><post>". */
static err_code call_object_by_hash(struct rpc_client *c, const char *method,
                                    const struct hash32 *hash, const char *what, const char *pre,
                                    const char *post, json_t **out, struct err *e)
{
    char h[67], absent[192];
    hash32_to_hex0x(hash, h);
    snprintf(absent, sizeof absent, "%s %s%s", pre, h, post);
    return call_object(c, method, json_pack("[s]", h), what, absent, out, e);
}

err_code rpc_chain_id(struct rpc_client *c, uint64_t *out, struct err *e)
{
    return call_qty(c, "eth_chainId", json_array(), out, e);
}

err_code rpc_block_number(struct rpc_client *c, uint64_t *out, struct err *e)
{
    return call_qty(c, "eth_blockNumber", json_array(), out, e);
}

err_code rpc_gas_price(struct rpc_client *c, uint64_t *wei, struct err *e)
{
    return call_qty(c, "eth_gasPrice", json_array(), wei, e);
}

err_code rpc_max_priority_fee(struct rpc_client *c, uint64_t *wei, struct err *e)
{
    err_code rc = call_qty(c, "eth_maxPriorityFeePerGas", json_array(), wei, e);
    const struct rpc_error *le = rpc_last_error(c);
    if (rc == E_PROTOCOL && le->failure == RPC_FAIL_JSONRPC &&
        le->reason == RPC_REASON_METHOD_NOT_FOUND)
        return rpc_scrub_error(c,
                               err_set(e, E_UNSUPPORTED,
                                       "ledger at %s does not support eth_maxPriorityFeePerGas "
                                       "(%s); use eth_gasPrice or a configured tip",
                                       rpc_client_origin(c), le->message),
                               e);
    return rc;
}

static err_code bad_block_param(struct err *e, const char *method, const char *block)
{
    char shown[40];
    rpc_sanitize(block ? block : "(null)", block ? strlen(block) : 6, shown, sizeof shown);
    return err_set(e, E_INVALID,
                   "%s: block \"%s\" is neither a tag (latest, earliest, safe, finalized%s) nor a "
                   "quantity",
                   method, shown, strcmp(method, "eth_getBlockByNumber") ? ", pending" : "");
}

err_code rpc_get_transaction_count(struct rpc_client *c, const struct addr20 *addr,
                                   const char *block, uint64_t *out, struct err *e)
{
    *out = 0;
    if (!valid_block_param(block, true))
        return bad_block_param(e, "eth_getTransactionCount", block);
    char a[43];
    addr20_to_hex(addr, a);
    return call_qty(c, "eth_getTransactionCount", json_pack("[s,s]", a, block), out, e);
}

static err_code get_block(struct rpc_client *c, const char *method, json_t *params,
                          struct rpc_block *out, struct err *e)
{
    json_t *r;
    err_code rc = call_object(c, method, params, "block", "has no such block", &r, e);
    if (rc)
        return rc;
    struct pctx p = {c, e, method};
    const char *w = "result";
    memset(out, 0, sizeof *out);
    if ((rc = f_qty(&p, w, r, "number", &out->number, NULL)) ||
        (rc = f_hash(&p, w, r, "hash", &out->hash, NULL)) ||
        (rc = f_hash(&p, w, r, "parentHash", &out->parent_hash, NULL)) ||
        (rc = f_qty(&p, w, r, "timestamp", &out->timestamp, NULL)) ||
        (rc = f_qty(&p, w, r, "gasLimit", &out->gas_limit, NULL)) ||
        (rc = f_qty(&p, w, r, "baseFeePerGas", &out->base_fee_per_gas, &out->has_base_fee)))
        memset(out, 0, sizeof *out);
    json_decref(r);
    return rc;
}

err_code rpc_get_block_by_number(struct rpc_client *c, const char *block, struct rpc_block *out,
                                 struct err *e)
{
    memset(out, 0, sizeof *out);
    if (!valid_block_param(block, false))
        return bad_block_param(e, "eth_getBlockByNumber", block);
    err_code rc = get_block(c, "eth_getBlockByNumber", json_pack("[s,b]", block, 0), out, e);
    if (rc)
        return rc;
    uint64_t want;
    if (rpc_parse_quantity(block, &want, NULL) == E_OK && out->number != want) {
        struct pctx p = {c, e, "eth_getBlockByNumber"};
        uint64_t got = out->number;
        memset(out, 0, sizeof *out);
        return bad(&p, "result", "number", "block %" PRIu64 " asked for, %" PRIu64 " answered",
                   want, got);
    }
    return E_OK;
}

err_code rpc_get_block_by_hash(struct rpc_client *c, const struct hash32 *hash,
                               struct rpc_block *out, struct err *e)
{
    memset(out, 0, sizeof *out);
    char h[67];
    hash32_to_hex0x(hash, h);
    err_code rc = get_block(c, "eth_getBlockByHash", json_pack("[s,b]", h, 0), out, e);
    if (rc == E_OK && !hash32_eq(&out->hash, hash)) {
        struct pctx p = {c, e, "eth_getBlockByHash"};
        memset(out, 0, sizeof *out);
        return bad(&p, "result", "hash", "not the hash asked for");
    }
    return rc;
}

err_code rpc_send_raw_transaction(struct rpc_client *c, const uint8_t *raw, size_t len, bool retry,
                                  struct hash32 *txhash, struct err *e)
{
    keccak256(raw, len, txhash);
    if (len == 0)
        return err_set(e, E_INVALID, "eth_sendRawTransaction: empty transaction");
    if (len > RPC_MAX_RAW_TX)
        return err_set(e, E_LIMIT,
                       "eth_sendRawTransaction: transaction of %zu bytes exceeds the limit of %u",
                       len, RPC_MAX_RAW_TX);
    char *hex = malloc(2 * len + 3);
    if (!hex)
        return err_set(e, E_NOMEM, "out of memory");
    memcpy(hex, "0x", 2);
    hex_encode(raw, len, hex + 2);
    json_t *params = json_pack("[s]", hex);
    free(hex);
    struct rpc_call_opts o = {.retry = retry};
    json_t *r;
    err_code rc = rpc_call_ex(c, "eth_sendRawTransaction", params, &o, &r, e);
    if (rc)
        return rc;
    struct pctx p = {c, e, "eth_sendRawTransaction"};
    struct hash32 got;
    rc = f_hash(&p, "result", r, NULL, &got, NULL);
    json_decref(r);
    if (rc == E_OK && !hash32_eq(&got, txhash))
        rc = bad(&p, "result", NULL, "transaction hash is not keccak256 of the bytes sent");
    return rc;
}

void rpc_tx_free(struct rpc_tx *tx)
{
    if (tx) {
        free(tx->input);
        memset(tx, 0, sizeof *tx);
    }
}

err_code rpc_get_transaction(struct rpc_client *c, const struct hash32 *hash, struct rpc_tx *out,
                             struct err *e)
{
    memset(out, 0, sizeof *out);
    const char *m = "eth_getTransactionByHash";
    json_t *r;
    err_code rc = call_object_by_hash(c, m, hash, "transaction", "does not know transaction", "",
                                      &r, e);
    if (rc)
        return rc;
    struct pctx p = {c, e, m};
    const char *w = "result";
    uint64_t type = 0;
    bool has_type, has_bh, has_bn, has_ti, has_mf, has_mp;
    if ((rc = f_hash(&p, w, r, "hash", &out->hash, NULL)) ||
        (rc = f_addr(&p, w, r, "from", &out->from, NULL)) ||
        (rc = f_addr(&p, w, r, "to", &out->to, &out->has_to)) ||
        (rc = f_qty(&p, w, r, "nonce", &out->nonce, NULL)) ||
        (rc = f_qty(&p, w, r, "gas", &out->gas, NULL)) ||
        (rc = f_u256(&p, w, r, "value", out->value)) ||
        (rc = f_data(&p, w, r, "input", &out->input, &out->input_len)) ||
        (rc = f_qty(&p, w, r, "type", &type, &has_type)) ||
        (rc = f_qty(&p, w, r, "gasPrice", &out->gas_price, &out->has_gas_price)) ||
        (rc = f_qty(&p, w, r, "maxFeePerGas", &out->max_fee_per_gas, &has_mf)) ||
        (rc = f_qty(&p, w, r, "maxPriorityFeePerGas", &out->max_priority_fee_per_gas, &has_mp)) ||
        (rc = f_qty(&p, w, r, "chainId", &out->chain_id, &out->has_chain_id)) ||
        (rc = f_hash(&p, w, r, "blockHash", &out->block_hash, &has_bh)) ||
        (rc = f_qty(&p, w, r, "blockNumber", &out->block_number, &has_bn)) ||
        (rc = f_qty(&p, w, r, "transactionIndex", &out->tx_index, &has_ti)))
        goto out;
    if (type > 0xff) {
        rc = bad(&p, w, "type", "%" PRIu64 " is not a transaction type (EIP-2718: 0..0x7f)", type);
        goto out;
    }
    out->type = (uint8_t)type;
    out->has_fee_caps = has_mf && has_mp;
    if (has_bh != has_bn || has_bh != has_ti) {
        rc = bad(&p, w, "blockHash", "blockHash, blockNumber and transactionIndex must be all set "
                                     "(mined) or all null (pending)");
        goto out;
    }
    out->mined = has_bh;
    if (!hash32_eq(&out->hash, hash))
        rc = bad(&p, w, "hash", "not the hash asked for");
out:
    json_decref(r);
    if (rc)
        rpc_tx_free(out);
    return rc;
}

void rpc_logs_free(struct rpc_log *logs, size_t n)
{
    if (!logs)
        return;
    for (size_t i = 0; i < n; i++)
        free(logs[i].data);
    free(logs);
}

static err_code parse_log(struct pctx *p, const char *where, const json_t *v, struct rpc_log *l)
{
    memset(l, 0, sizeof *l);
    if (!json_is_object(v))
        return bad(p, where, NULL, "not a log object");
    err_code rc;
    if ((rc = f_addr(p, where, v, "address", &l->address, NULL)) ||
        (rc = f_data(p, where, v, "data", &l->data, &l->data_len)) ||
        (rc = f_qty(p, where, v, "blockNumber", &l->block_number, NULL)) ||
        (rc = f_hash(p, where, v, "blockHash", &l->block_hash, NULL)) ||
        (rc = f_hash(p, where, v, "transactionHash", &l->tx_hash, NULL)) ||
        (rc = f_qty(p, where, v, "transactionIndex", &l->tx_index, NULL)) ||
        (rc = f_qty(p, where, v, "logIndex", &l->log_index, NULL)))
        return rc;
    json_t *rm = json_object_get(v, "removed");
    if (rm && !json_is_boolean(rm))
        return bad(p, where, "removed", "not a boolean");
    l->removed = json_is_true(rm);
    json_t *t = json_object_get(v, "topics");
    if (!json_is_array(t))
        return bad(p, where, "topics", "not an array");
    if (json_array_size(t) > 4) /* LOG0..LOG4 */
        return bad(p, where, "topics", "%zu topics, at most 4 exist", json_array_size(t));
    for (size_t i = 0; i < json_array_size(t); i++) {
        char w[96];
        snprintf(w, sizeof w, "%s.topics[%zu]", where, i);
        if ((rc = f_hash(p, w, json_array_get(t, i), NULL, &l->topics[i], NULL)))
            return rc;
    }
    l->ntopics = (unsigned)json_array_size(t);
    return E_OK;
}

/* Parse a JSON array of logs (count limit first). */
static err_code parse_logs(struct pctx *p, const char *where, const json_t *arr,
                           struct rpc_log **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (!json_is_array(arr))
        return bad(p, where, NULL, "not an array");
    size_t cnt = json_array_size(arr);
    if (cnt > RPC_MAX_LOGS) {
        return rpc_reject_result(p->c, E_LIMIT, p->e,
                                 "answered %s with %zu logs, more than the limit of %u; query a "
                                 "smaller block range",
                                 p->method, cnt, RPC_MAX_LOGS);
    }
    if (cnt == 0)
        return E_OK;
    struct rpc_log *logs = calloc(cnt, sizeof *logs);
    if (!logs)
        return err_set(p->e, E_NOMEM, "out of memory for %zu logs", cnt);
    for (size_t i = 0; i < cnt; i++) {
        char w[64];
        snprintf(w, sizeof w, "%s[%zu]", where, i);
        err_code rc = parse_log(p, w, json_array_get(arr, i), &logs[i]);
        if (rc) {
            rpc_logs_free(logs, i + 1);
            return rc;
        }
    }
    *out = logs;
    *n = cnt;
    return E_OK;
}

void rpc_receipt_free(struct rpc_receipt *r)
{
    if (r) {
        rpc_logs_free(r->logs, r->nlogs);
        memset(r, 0, sizeof *r);
    }
}

err_code rpc_get_receipt(struct rpc_client *c, const struct hash32 *txhash,
                         struct rpc_receipt *out, struct err *e)
{
    memset(out, 0, sizeof *out);
    const char *m = "eth_getTransactionReceipt";
    json_t *r;
    err_code rc = call_object_by_hash(c, m, txhash, "receipt", "has no receipt for",
                                      " (not mined yet, dropped, or unknown)", &r, e);
    if (rc)
        return rc;
    struct pctx p = {c, e, m};
    const char *w = "result";
    uint64_t status = 0;
    if ((rc = f_hash(&p, w, r, "transactionHash", &out->tx_hash, NULL)) ||
        (rc = f_qty(&p, w, r, "blockNumber", &out->block_number, NULL)) ||
        (rc = f_hash(&p, w, r, "blockHash", &out->block_hash, NULL)) ||
        (rc = f_qty(&p, w, r, "transactionIndex", &out->tx_index, NULL)) ||
        (rc = f_qty(&p, w, r, "gasUsed", &out->gas_used, NULL)) ||
        (rc = f_qty(&p, w, r, "status", &status, &out->has_status)) ||
        (rc = f_addr(&p, w, r, "contractAddress", &out->contract_address,
                     &out->has_contract_address)))
        goto out;
    /* EIP-658: status is 1 (success) or 0 (failure), nothing else. */
    if (out->has_status && status > 1) {
        rc = bad(&p, w, "status", "%" PRIu64 " is neither 0x0 nor 0x1", status);
        goto out;
    }
    out->status_ok = out->has_status && status == 1;
    if (!hash32_eq(&out->tx_hash, txhash)) {
        rc = bad(&p, w, "transactionHash", "not the hash asked for");
        goto out;
    }
    if ((rc = parse_logs(&p, "result.logs", json_object_get(r, "logs"), &out->logs, &out->nlogs)))
        goto out;
    for (size_t i = 0; i < out->nlogs; i++) {
        const struct rpc_log *l = &out->logs[i];
        if (!hash32_eq(&l->block_hash, &out->block_hash) || !hash32_eq(&l->tx_hash, txhash) ||
            l->block_number != out->block_number) {
            char wi[48];
            snprintf(wi, sizeof wi, "result.logs[%zu]", i);
            rc = bad(&p, wi, NULL, "names another block or transaction than its receipt");
            goto out;
        }
    }
out:
    json_decref(r);
    if (rc)
        rpc_receipt_free(out);
    return rc;
}

static json_t *callmsg_json(const struct rpc_callmsg *msg)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    char a[43], q[RPC_QTY_BUF];
    int bad_set = 0;
    if (msg->from) {
        addr20_to_hex(msg->from, a);
        bad_set |= json_object_set_new(o, "from", json_string(a));
    }
    if (msg->to) {
        addr20_to_hex(msg->to, a);
        bad_set |= json_object_set_new(o, "to", json_string(a));
    }
    if (msg->gas)
        bad_set |= json_object_set_new(o, "gas", json_string(rpc_format_quantity(msg->gas, q)));
    if (msg->data_len) {
        char *hex = malloc(2 * msg->data_len + 3);
        if (!hex) {
            json_decref(o);
            return NULL;
        }
        memcpy(hex, "0x", 2);
        hex_encode(msg->data, msg->data_len, hex + 2);
        bad_set |= json_object_set_new(o, "data", json_string(hex));
        free(hex);
    }
    if (bad_set) {
        json_decref(o);
        return NULL;
    }
    return o;
}

err_code rpc_eth_call(struct rpc_client *c, const struct rpc_callmsg *msg, const char *block,
                      uint8_t **out, size_t *outlen, struct err *e)
{
    *out = NULL;
    *outlen = 0;
    if (!valid_block_param(block, true))
        return bad_block_param(e, "eth_call", block);
    json_t *m = callmsg_json(msg);
    return call_data(c, "eth_call", m ? json_pack("[o,s]", m, block) : NULL, out, outlen, e);
}

err_code rpc_estimate_gas(struct rpc_client *c, const struct rpc_callmsg *msg, uint64_t *gas,
                          struct err *e)
{
    json_t *m = callmsg_json(msg);
    return call_qty(c, "eth_estimateGas", m ? json_pack("[o]", m) : NULL, gas, e);
}

err_code rpc_get_code(struct rpc_client *c, const struct addr20 *addr, const char *block,
                      uint8_t **out, size_t *outlen, struct err *e)
{
    *out = NULL;
    *outlen = 0;
    if (!valid_block_param(block, true))
        return bad_block_param(e, "eth_getCode", block);
    char a[43];
    addr20_to_hex(addr, a);
    return call_data(c, "eth_getCode", json_pack("[s,s]", a, block), out, outlen, e);
}

err_code rpc_code_matches(struct rpc_client *c, const struct addr20 *addr, const char *runtime_hex,
                          const char *what, bool *match, struct err *e)
{
    *match = false;
    uint8_t *code, *want = NULL;
    size_t len, wlen = 0;
    err_code rc = rpc_get_code(c, addr, "latest", &code, &len, e);
    if (rc)
        return rc;
    /* Code of another length is not this code: the expected code is decoded
     * only when it could match (a batch asks this per bundle, of codes of a
     * few KB). */
    size_t hl = strlen(runtime_hex);
    if (len > 0 && hl == 2 * len) {
        rc = hex_decode_alloc(runtime_hex, hl, false, 1 << 20, &want, &wlen, e);
        if (rc) {
            free(code);
            return err_wrap(e, rc, "%s", what);
        }
        *match = wlen == len && memcmp(code, want, len) == 0;
    }
    free(code);
    free(want);
    return E_OK;
}

err_code rpc_require_code(struct rpc_client *c, const struct addr20 *addr, const char *hint,
                          struct err *e)
{
    uint8_t *code;
    size_t len;
    char hex[43];
    addr20_to_hex(addr, hex);
    err_code rc = rpc_get_code(c, addr, "latest", &code, &len, e);
    if (rc)
        return rc;
    free(code);
    if (len == 0)
        return err_set(e, E_STATE, "there is no contract at %s on this ledger%s%s", hex,
                       hint ? ": " : "", hint ? hint : "");
    return E_OK;
}

err_code rpc_get_logs(struct rpc_client *c, const struct rpc_log_filter *f, struct rpc_log **logs,
                      size_t *n, struct err *e)
{
    *logs = NULL;
    *n = 0;
    const char *m = "eth_getLogs";
    const char *from = f->from_block ? f->from_block : "earliest";
    const char *to = f->to_block ? f->to_block : "latest";
    if (!valid_block_param(from, true))
        return bad_block_param(e, m, from);
    if (!valid_block_param(to, true))
        return bad_block_param(e, m, to);
    if (f->ntopics > 4)
        return err_set(e, E_INVALID, "eth_getLogs: %u topic positions, at most 4 exist",
                       f->ntopics);
    uint64_t from_n = 0, to_n = UINT64_MAX;
    bool from_num = rpc_parse_quantity(from, &from_n, NULL) == E_OK;
    bool to_num = rpc_parse_quantity(to, &to_n, NULL) == E_OK;
    if (!from_num)
        from_n = 0;
    if (!to_num)
        to_n = UINT64_MAX;
    if (from_n > to_n)
        return err_set(e, E_INVALID, "eth_getLogs: fromBlock %" PRIu64 " is after toBlock %" PRIu64,
                       from_n, to_n);

    json_t *flt = json_pack("{s:s,s:s}", "fromBlock", from, "toBlock", to);
    json_t *topics = json_array();
    int fail = !flt || !topics;
    char hx[67];
    if (!fail && f->address) {
        char a[43];
        addr20_to_hex(f->address, a);
        fail |= json_object_set_new(flt, "address", json_string(a));
    }
    for (unsigned i = 0; !fail && i < f->ntopics; i++) {
        if (f->topics[i]) {
            hash32_to_hex0x(f->topics[i], hx);
            fail |= json_array_append_new(topics, json_string(hx));
        } else {
            fail |= json_array_append_new(topics, json_null());
        }
    }
    if (!fail && f->ntopics) {
        fail |= json_object_set_new(flt, "topics", topics);
        topics = NULL;
    }
    json_decref(topics);
    if (fail) {
        json_decref(flt);
        flt = NULL;
    }
    json_t *r;
    err_code rc = rpc_call(c, m, flt ? json_pack("[o]", flt) : NULL, &r, e);
    if (rc)
        return rc;
    struct pctx p = {c, e, m};
    struct rpc_log *out = NULL;
    size_t cnt = 0;
    rc = parse_logs(&p, "result", r, &out, &cnt);
    json_decref(r);
    if (rc)
        return rc;
    /* A node must not slip in logs the filter excludes (the verifier trusts
     * what it gets here only as far as the filter says). */
    for (size_t i = 0; i < cnt; i++) {
        const struct rpc_log *l = &out[i];
        const char *why = NULL;
        if (f->address && !addr20_eq(&l->address, f->address))
            why = "is from another contract than the filter's";
        for (unsigned t = 0; !why && t < f->ntopics; t++)
            if (f->topics[t] && (t >= l->ntopics || !hash32_eq(&l->topics[t], f->topics[t])))
                why = "does not match the filter's topics";
        if (!why && (l->block_number < from_n || l->block_number > to_n))
            why = "lies outside the filter's block range";
        if (why) {
            char wi[48];
            snprintf(wi, sizeof wi, "result[%zu]", i);
            rpc_logs_free(out, cnt);
            return bad(&p, wi, NULL, "log %s", why);
        }
    }
    *logs = out;
    *n = cnt;
    return E_OK;
}
