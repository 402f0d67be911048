/* notary/anchoring/ledger_root.c — see ledger_root.h. */
#include "notary/anchoring/ledger_root.h"

#include "anchor/ebsi.h"
#include "anchor/eth.h"
#include "anchor/registry.h"
#include "anchor/registry2.h"

/* The root our event in the receipt names for (kind, seq), if any. */
static bool event_root(const struct anchoring_root_ctx *c, const struct store_batch *b,
                       const struct rpc_receipt *rc, struct hash32 *root)
{
    for (size_t i = 0; i < rc->nlogs; i++) {
        const struct rpc_log *log = &rc->logs[i];
        if (log->removed || !addr20_eq(&log->address, &c->contract))
            continue;
        if (c->ebsi) {
            /* TimestampedHashes names no sender: the receipt is of the
             * transaction the issuer signed, and step 2 checks that the
             * first writer (timestampedBy) is the issuer. */
            struct ebsi_event ev;
            if (ebsi_parse_event(log, &ev, NULL) == E_OK &&
                (int)ev.data.kind == (int)b->kind && ev.data.seq == b->seq) {
                *root = ev.root;
                return true;
            }
        } else if (c->registry2) {
            struct registry2_anchored ev;
            if (registry2_parse_anchored(log, &ev, NULL) == E_OK &&
                addr20_eq(&ev.identity, &c->issuer) && (int)ev.kind == (int)b->kind &&
                ev.seq == b->seq) {
                *root = ev.root;
                return true;
            }
        } else {
            struct registry_event ev;
            if (registry_parse_event(log, &ev, NULL) == E_OK && addr20_eq(&ev.issuer, &c->issuer) &&
                (int)ev.kind == (int)b->kind && ev.seq == b->seq) {
                *root = ev.root;
                return true;
            }
        }
    }
    return false;
}

/* Does the contract's record of `root` say the issuer anchored it as (kind, seq)? */
static err_code record_ok(const struct anchoring_root_ctx *c, const struct store_batch *b,
                          const struct hash32 *root, bool *ok, struct err *e)
{
    *ok = false;
    err_code rc;
    if (c->ebsi) {
        struct ebsi_record r;
        if ((rc = ebsi_get_timestamp(c->ledger->rpc, &c->contract, root, NULL, &r, e)))
            return rc;
        *ok = ebsi_record_exists(&r) && addr20_eq(&r.from, &c->issuer) && r.has_data &&
              (int)r.data.kind == (int)b->kind && r.data.seq == b->seq;
    } else if (c->registry2) {
        struct registry2_record r;
        if ((rc = registry2_anchored_at(c->ledger->rpc, &c->contract, &c->issuer, root, NULL, &r,
                                        e)))
            return rc;
        *ok = r.block_number != 0 && (int)r.kind == (int)b->kind && r.seq == b->seq;
    } else {
        struct registry_record r;
        if ((rc = registry_anchored_at(c->ledger->rpc, &c->contract, &c->issuer, root, NULL, &r,
                                       e)))
            return rc;
        *ok = r.block_number != 0 && (int)r.kind == (int)b->kind && r.seq == b->seq;
    }
    return E_OK;
}

err_code anchoring_root_of(void *arg, const struct store_batch *b, bool *found,
                           struct hash32 *root, struct err *e)
{
    const struct anchoring_root_ctx *c = arg;
    *found = false;
    struct hash32 cand = b->root;
    if (b->has_tx) {
        struct rpc_receipt rc;
        err_code r = rpc_get_receipt(c->ledger->rpc, &b->tx_hash, &rc, e);
        if (r == E_OK) {
            event_root(c, b, &rc, &cand);
            rpc_receipt_free(&rc);
        } else if (r == E_NOT_FOUND) {
            err_clear(e);
        } else {
            return r;
        }
    }
    bool ok;
    err_code r = record_ok(c, b, &cand, &ok, e);
    if (r)
        return r;
    if (ok) {
        *found = true;
        *root = cand;
    }
    return E_OK;
}
