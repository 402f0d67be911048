/* anchor/registry.c — see registry.h. */
#include "anchor/registry.h"

#include <stdlib.h>
#include <string.h>

#include "core/hash.h"

static void selector(const char *sig, uint8_t out[4])
{
    struct hash32 h;
    keccak256(sig, strlen(sig), &h);
    memcpy(out, h.b, 4);
}

static void word_u64(uint8_t w[32], uint64_t v)
{
    memset(w, 0, 32);
    for (int i = 0; i < 8; i++)
        w[31 - i] = (uint8_t)(v >> (8 * i));
}

static void word_addr(uint8_t w[32], const struct addr20 *a)
{
    memset(w, 0, 12);
    memcpy(w + 12, a->b, 20);
}

/* A word that must hold an unsigned value of `bytes` bytes (upper bytes zero). */
static err_code get_uint(const uint8_t w[32], int bytes, const char *what, uint64_t *out,
                         struct err *e)
{
    for (int i = 0; i < 32 - bytes; i++)
        if (w[i])
            return err_set(e, E_INVALID, "%s does not fit in %d bits", what, bytes * 8);
    uint64_t v = 0;
    for (int i = 32 - bytes; i < 32; i++)
        v = (v << 8) | w[i];
    *out = v;
    return E_OK;
}

void registry_anchor_calldata(const struct hash32 *root, uint64_t size, uint64_t seq,
                              enum registry_kind kind, uint8_t out[REGISTRY_ANCHOR_CALLDATA_LEN])
{
    selector("anchor(bytes32,uint64,uint64,uint8)", out);
    memcpy(out + 4, root->b, 32);
    word_u64(out + 36, size);
    word_u64(out + 68, seq);
    word_u64(out + 100, (uint64_t)kind);
}

err_code registry_parse_anchor_calldata(const uint8_t *data, size_t len, struct hash32 *root,
                                        uint64_t *size, uint64_t *seq, enum registry_kind *kind,
                                        struct err *e)
{
    uint8_t sel[4];
    selector("anchor(bytes32,uint64,uint64,uint8)", sel);
    if (len != REGISTRY_ANCHOR_CALLDATA_LEN || memcmp(data, sel, 4) != 0)
        return err_set(e, E_INVALID, "transaction input is not an anchor(bytes32,uint64,uint64,"
                                     "uint8) call");
    uint64_t k = 0;
    err_code rc;
    if ((rc = get_uint(data + 36, 8, "size", size, e)) ||
        (rc = get_uint(data + 68, 8, "seq", seq, e)) ||
        (rc = get_uint(data + 100, 1, "kind", &k, e)))
        return rc;
    memcpy(root->b, data + 4, 32);
    *kind = (enum registry_kind)k;
    return E_OK;
}

void registry_anchored_topic(struct hash32 *out)
{
    static const char sig[] = "Anchored(address,bytes32,uint64,uint64,uint8)";
    keccak256(sig, sizeof sig - 1, out);
}

err_code registry_parse_event(const struct rpc_log *log, struct registry_event *out,
                              struct err *e)
{
    struct hash32 topic;
    registry_anchored_topic(&topic);
    if (log->ntopics != 3 || !hash32_eq(&log->topics[0], &topic))
        return err_set(e, E_INVALID, "log is not an Anchored event (topics differ)");
    if (log->data_len != 96)
        return err_set(e, E_INVALID, "Anchored event data has %zu bytes, expected 96",
                       log->data_len);
    uint64_t issuer_hi, k = 0;
    err_code rc;
    /* topic 1 is the address, left-padded with 12 zero bytes */
    if ((rc = get_uint(log->topics[1].b, 20, "issuer topic", &issuer_hi, e)))
        return rc;
    memset(out, 0, sizeof *out);
    if ((rc = get_uint(log->data, 8, "size", &out->size, e)) ||
        (rc = get_uint(log->data + 32, 8, "seq", &out->seq, e)) ||
        (rc = get_uint(log->data + 64, 1, "kind", &k, e)))
        return rc;
    out->contract = log->address;
    memcpy(out->issuer.b, log->topics[1].b + 12, 20);
    out->root = log->topics[2];
    out->kind = (enum registry_kind)k;
    out->block_number = log->block_number;
    out->block_hash = log->block_hash;
    out->tx_hash = log->tx_hash;
    out->log_index = log->log_index;
    return E_OK;
}

static err_code call_view(struct rpc_client *c, const struct addr20 *contract, const uint8_t *data,
                          size_t len, const char *block, size_t want, uint8_t **ret,
                          struct err *e)
{
    struct rpc_callmsg msg = {.to = contract, .data = data, .data_len = len};
    size_t n;
    err_code rc = rpc_eth_call(c, &msg, block ? block : "latest", ret, &n, e);
    if (rc)
        return rc;
    if (n != want) {
        free(*ret);
        *ret = NULL;
        return err_set(e, E_PROTOCOL,
                       "contract answered %zu bytes where %zu were expected: is it a "
                       "NotaryRegistry?",
                       n, want);
    }
    return E_OK;
}

err_code registry_next_seq(struct rpc_client *c, const struct addr20 *contract,
                           const struct addr20 *issuer, enum registry_kind kind, const char *block,
                           uint64_t *out, struct err *e)
{
    uint8_t data[68], *ret;
    selector("nextSeq(address,uint8)", data);
    word_addr(data + 4, issuer);
    word_u64(data + 36, (uint64_t)kind);
    err_code rc = call_view(c, contract, data, sizeof data, block, 32, &ret, e);
    if (rc)
        return rc;
    rc = get_uint(ret, 8, "nextSeq", out, e);
    free(ret);
    return rc ? err_set(e, E_PROTOCOL, "nextSeq answer out of range") : E_OK;
}

err_code registry_anchored_at(struct rpc_client *c, const struct addr20 *contract,
                              const struct addr20 *issuer, const struct hash32 *root,
                              const char *block, struct registry_record *out, struct err *e)
{
    uint8_t data[68], *ret;
    selector("anchoredAt(address,bytes32)", data);
    word_addr(data + 4, issuer);
    memcpy(data + 36, root->b, 32);
    err_code rc = call_view(c, contract, data, sizeof data, block, 160, &ret, e);
    if (rc)
        return rc;
    uint64_t k = 0;
    if ((rc = get_uint(ret, 8, "blockNumber", &out->block_number, e)) ||
        (rc = get_uint(ret + 32, 8, "timestamp", &out->timestamp, e)) ||
        (rc = get_uint(ret + 64, 8, "size", &out->size, e)) ||
        (rc = get_uint(ret + 96, 8, "seq", &out->seq, e)) ||
        (rc = get_uint(ret + 128, 1, "kind", &k, e)))
    {
        rc = E_PROTOCOL;
        if (e)
            e->code = E_PROTOCOL;
        err_prefix(e, "anchoredAt answer out of range");
    }
    out->kind = (enum registry_kind)k;
    free(ret);
    return rc;
}

err_code registry_code_matches(struct rpc_client *c, const struct addr20 *contract, bool *match,
                               struct err *e)
{
    *match = false;
    uint8_t *code, *want;
    size_t len, wlen;
    err_code rc = hex_decode_alloc(registry_runtime_hex, strlen(registry_runtime_hex), false,
                                   1 << 20, &want, &wlen, e);
    if (rc)
        return err_prefix(e, "embedded registry runtime code");
    if ((rc = rpc_get_code(c, contract, "latest", &code, &len, e))) {
        free(want);
        return rc;
    }
    *match = wlen > 0 && len == wlen && memcmp(code, want, len) == 0;
    free(code);
    free(want);
    return E_OK;
}
