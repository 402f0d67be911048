/* anchor/registry.c — see registry.h. The view call, the anchoredAt record
 * and the Anchored event decoding are shared with registry2.c. */
#include "anchor/registry.h"

#include <stdlib.h>
#include <string.h>

#include "anchor/abi.h"

#define SIG_ANCHOR "anchor(bytes32,uint64,uint64,uint8)"
#define SIG_EVENT "Anchored(address,bytes32,uint64,uint64,uint8)"

err_code registry_check_call(const uint8_t *data, size_t len, size_t want, const char *sig,
                             struct err *e)
{
    uint8_t sel[4];
    abi_selector(sig, sel);
    if (len != want || memcmp(data, sel, 4) != 0)
        return err_set(e, E_INVALID, "transaction input is not an %s call", sig);
    return E_OK;
}

err_code registry_anchor_calldata(const struct hash32 *root, uint64_t size, uint64_t seq,
                                  enum registry_kind kind, struct buf *out, struct err *e)
{
    struct abi_arg args[] = {abi_arg_bytes32(root), abi_arg_uint(size), abi_arg_uint(seq),
                             abi_arg_uint((uint64_t)kind)};
    return abi_encode_call(SIG_ANCHOR, args, 4, out, e);
}

err_code registry_parse_anchor_calldata(const uint8_t *data, size_t len, struct hash32 *root,
                                        uint64_t *size, uint64_t *seq, enum registry_kind *kind,
                                        struct err *e)
{
    err_code rc = registry_check_call(data, len, REGISTRY_ANCHOR_CALLDATA_LEN, SIG_ANCHOR, e);
    if (rc)
        return rc;
    uint64_t k = 0;
    if ((rc = abi_get_bytes32(data + 4, len - 4, 0, root, e)) ||
        (rc = abi_get_uint(data + 4, len - 4, 1, 64, size, e)) ||
        (rc = abi_get_uint(data + 4, len - 4, 2, 64, seq, e)) ||
        (rc = abi_get_uint(data + 4, len - 4, 3, 8, &k, e)))
        return rc;
    *kind = (enum registry_kind)k;
    return E_OK;
}

void registry_anchored_topic(struct hash32 *out) { abi_event_topic(SIG_EVENT, out); }

err_code registry_decode_anchored(const struct rpc_log *log, const char *event_sig,
                                  size_t data_len, const char *what, struct registry_event *out,
                                  struct err *e)
{
    struct hash32 topic;
    abi_event_topic(event_sig, &topic);
    if (log->ntopics != 3 || !hash32_eq(&log->topics[0], &topic))
        return err_set(e, E_INVALID, "log is not %s (topics differ)", what);
    if (log->data_len != data_len)
        return err_set(e, E_INVALID, "Anchored event data has %zu bytes, expected %zu",
                       log->data_len, data_len);
    memset(out, 0, sizeof *out);
    uint64_t k = 0;
    err_code rc;
    /* topic 1 is the indexed address, encoded as an ABI word */
    if ((rc = abi_get_address(log->topics[1].b, 32, 0, &out->issuer, e)) ||
        (rc = abi_get_uint(log->data, data_len, 0, 64, &out->size, e)) ||
        (rc = abi_get_uint(log->data, data_len, 1, 64, &out->seq, e)) ||
        (rc = abi_get_uint(log->data, data_len, 2, 8, &k, e)))
        return rc;
    out->contract = log->address;
    out->root = log->topics[2];
    out->kind = (enum registry_kind)k;
    out->block_number = log->block_number;
    out->block_hash = log->block_hash;
    out->tx_hash = log->tx_hash;
    out->log_index = log->log_index;
    return E_OK;
}

err_code registry_parse_event(const struct rpc_log *log, struct registry_event *out,
                              struct err *e)
{
    return registry_decode_anchored(log, SIG_EVENT, 96, "an Anchored event", out, e);
}

err_code registry_call_view(struct rpc_client *c, const struct addr20 *contract,
                            const char *contract_name, const char *sig,
                            const struct abi_arg *args, size_t nargs, const char *block,
                            size_t want, uint8_t **ret, struct err *e)
{
    *ret = NULL;
    struct buf data = {0};
    err_code rc = abi_encode_call(sig, args, nargs, &data, e);
    if (rc) {
        buf_free(&data);
        return rc;
    }
    struct rpc_callmsg msg = {.to = contract, .data = data.p, .data_len = data.len};
    size_t n;
    rc = rpc_eth_call(c, &msg, block ? block : "latest", ret, &n, e);
    buf_free(&data);
    if (rc)
        return rc;
    if (n != want) {
        free(*ret);
        *ret = NULL;
        return err_set(e, E_PROTOCOL,
                       "contract answered %zu bytes to %s where %zu were expected: is it a %s?", n,
                       sig, want, contract_name);
    }
    return E_OK;
}

err_code registry_answer_range(err_code rc, const char *sig, struct err *e)
{
    if (!rc)
        return E_OK;
    if (e)
        e->code = E_PROTOCOL;
    err_prefix(e, "%.*s answer out of range", (int)strcspn(sig, "("), sig);
    return E_PROTOCOL;
}

err_code registry_view_uint(struct rpc_client *c, const struct addr20 *contract,
                            const char *contract_name, const char *sig,
                            const struct abi_arg *args, size_t nargs, const char *block,
                            unsigned bits, uint64_t *out, struct err *e)
{
    uint8_t *ret;
    err_code rc =
        registry_call_view(c, contract, contract_name, sig, args, nargs, block, 32, &ret, e);
    if (rc)
        return rc;
    rc = abi_get_uint(ret, 32, 0, bits, out, e);
    free(ret);
    return registry_answer_range(rc, sig, e);
}

err_code registry_view_anchored_at(struct rpc_client *c, const struct addr20 *contract,
                                   const char *contract_name, const struct addr20 *issuer,
                                   const struct hash32 *root, const char *block,
                                   struct registry_record *out, struct addr20 *key, struct err *e)
{
    static const char SIG[] = "anchoredAt(address,bytes32)";
    struct abi_arg args[] = {abi_arg_address(issuer), abi_arg_bytes32(root)};
    size_t n = key ? 192 : 160;
    uint8_t *ret;
    err_code rc = registry_call_view(c, contract, contract_name, SIG, args, 2, block, n, &ret, e);
    if (rc)
        return rc;
    uint64_t k = 0;
    if (!(rc = abi_get_uint(ret, n, 0, 64, &out->block_number, e)) &&
        !(rc = abi_get_uint(ret, n, 1, 64, &out->timestamp, e)) &&
        !(rc = abi_get_uint(ret, n, 2, 64, &out->size, e)) &&
        !(rc = abi_get_uint(ret, n, 3, 64, &out->seq, e)) &&
        !(rc = abi_get_uint(ret, n, 4, 8, &k, e)) && key)
        rc = abi_get_address(ret, n, 5, key, e);
    out->kind = (enum registry_kind)k;
    free(ret);
    return registry_answer_range(rc, SIG, e);
}

err_code registry_next_seq(struct rpc_client *c, const struct addr20 *contract,
                           const struct addr20 *issuer, enum registry_kind kind, const char *block,
                           uint64_t *out, struct err *e)
{
    struct abi_arg args[] = {abi_arg_address(issuer), abi_arg_uint((uint64_t)kind)};
    return registry_view_uint(c, contract, "NotaryRegistry", "nextSeq(address,uint8)", args, 2,
                              block, 64, out, e);
}

err_code registry_anchored_at(struct rpc_client *c, const struct addr20 *contract,
                              const struct addr20 *issuer, const struct hash32 *root,
                              const char *block, struct registry_record *out, struct err *e)
{
    return registry_view_anchored_at(c, contract, "NotaryRegistry", issuer, root, block, out, NULL,
                                     e);
}

err_code registry_code_matches(struct rpc_client *c, const struct addr20 *contract, bool *match,
                               struct err *e)
{
    return rpc_code_matches(c, contract, registry_runtime_hex, "embedded registry runtime code",
                            match, e);
}
