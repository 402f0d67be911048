/* notary/issuance/batch_json.c — see batch_json.h. */
#include "notary/issuance/batch_json.h"

#include "core/bundle.h"

/* Set key to the RFC 3339 form of t, unless t is unset or not showable. */
static void set_time(json_t *o, const char *key, int64_t t)
{
    char s[21];
    struct err ignore;
    if (t && bundle_time_format(t, s, &ignore) == E_OK)
        json_object_set_new(o, key, json_string(s));
}

void batch_info_json_fill(json_t *o, const struct store_batch *b, enum batch_json_view view)
{
    if (!o)
        return;
    bool api = view == BATCH_JSON_API;
    char hex[67];
    if (api)
        json_object_set_new(o, "kind", json_string(b->kind == BATCH_ISSUANCE ? "issuance"
                                                                              : "revocation"));
    json_object_set_new(o, "seq", json_integer((json_int_t)b->seq));
    json_object_set_new(o, "state", json_string(batch_state_name(b->state)));
    json_object_set_new(o, "size", json_integer((json_int_t)b->size));
    if (b->has_root) {
        hash32_to_hex(&b->root, hex);
        json_object_set_new(o, "root", json_string(hex));
    }
    if (api)
        set_time(o, "openedAt", b->opened_at);
    set_time(o, "closedAt", b->closed_at);
    if (api)
        json_object_set_new(o, "anchored", json_boolean(b->state == BATCH_ANCHORED));
    if (b->has_tx) {
        hash32_to_hex0x(&b->tx_hash, hex);
        json_object_set_new(o, "txHash", json_string(hex));
        if (!api)
            json_object_set_new(o, "nonce", json_integer((json_int_t)b->nonce));
    }
    if (b->state == BATCH_ANCHORED) {
        json_object_set_new(o, "blockNumber", json_integer((json_int_t)b->block_number));
        hash32_to_hex0x(&b->block_hash, hex);
        json_object_set_new(o, "blockHash", json_string(hex));
        json_object_set_new(o, "blockTime", json_integer((json_int_t)b->block_time));
        if (api)
            set_time(o, "anchoredAt", b->anchored_at);
    }
    if (b->last_error[0])
        json_object_set_new(o, "reason", json_string(b->last_error));
}

json_t *batch_info_json(const struct store_batch *b, enum batch_json_view view)
{
    json_t *o = json_object();
    batch_info_json_fill(o, b, view);
    return o;
}
