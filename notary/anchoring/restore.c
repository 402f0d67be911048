/*
 * notary/anchoring/restore.c — the batches anchored after a restored
 * store's backup, found on the ledger, recovered when their leaves are in
 * it, else recorded as lost (contract in restore.h). Only the registry
 * (evm flow) numbers anchors; calls go down to anchor/, issuance (closing
 * the open batch) and the store.
 */
#include "notary/anchoring/restore.h"

#include <stdlib.h>
#include <string.h>

#include "anchor/registry.h"
#include "anchor/registry2.h"
#include "core/merkle.h"
#include "notary/anchoring/flow.h"
#include "notary/issuance/batch.h"

/* From the store's batches of `kind`: *first, the seq after the last with
 * a root; *lo, the lowest seq of a CLOSED or SENT batch with a root (the
 * backup may have sent it, the ledger may have it), else *first; the block
 * to search the ledger's events from (the last anchored batch's). */
static void frontier(const struct store_batch *list, size_t n, uint64_t *first, uint64_t *lo,
                     uint64_t *from_block)
{
    *first = 0;
    *from_block = 0;
    for (size_t i = 0; i < n; i++) {
        if (list[i].state != BATCH_OPEN && list[i].seq + 1 > *first)
            *first = list[i].seq + 1;
        if (list[i].state == BATCH_ANCHORED && list[i].block_number > *from_block)
            *from_block = list[i].block_number;
    }
    *lo = *first;
    for (size_t i = 0; i < n; i++)
        if ((list[i].state == BATCH_CLOSED || list[i].state == BATCH_SENT) && list[i].has_root &&
            list[i].seq < *lo)
            *lo = list[i].seq;
}

/* Fill ev[seq - first] for seq in [first, first + n) from the issuer's
 * Anchored events. */
static err_code read_events(struct evm_ledger *l, const struct addr20 *contract,
                            const struct addr20 *issuer, enum batch_kind kind, uint64_t first,
                            uint64_t from_block, bool v2, struct store_lost *ev_out, size_t n,
                            struct err *e)
{
    struct hash32 topic, issuer_topic = {{0}};
    if (v2)
        registry2_anchored_topic(&topic);
    else
        registry_anchored_topic(&topic);
    memcpy(issuer_topic.b + 12, issuer->b, 20);
    char q[RPC_QTY_BUF];
    rpc_format_quantity(from_block, q);
    struct rpc_log_filter f = {
        .address = contract, .topics = {&topic, &issuer_topic}, .ntopics = 2, .from_block = q};
    struct rpc_log *logs;
    size_t nl;
    err_code rc = rpc_get_logs(l->rpc, &f, &logs, &nl, e);
    if (rc)
        return err_wrap(e, rc, "reading the issuer's Anchored events");
    bool *seen = calloc(n, sizeof *seen);
    if (!seen) {
        rpc_logs_free(logs, nl);
        return err_set(e, E_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < nl; i++) {
        struct registry_event ev;
        struct registry2_anchored ev2;
        bool parsed = false;
        if (v2 && registry2_parse_anchored(&logs[i], &ev2, NULL) == E_OK) {
            parsed = true; /* on NotaryRegistry2 the issuer is the identity */
            ev = (struct registry_event){.issuer = ev2.identity, .root = ev2.root,
                                         .size = ev2.size, .seq = ev2.seq, .kind = ev2.kind};
        } else if (!v2 && registry_parse_event(&logs[i], &ev, NULL) == E_OK) {
            parsed = true;
        }
        if (logs[i].removed || !addr20_eq(&logs[i].address, contract) || !parsed ||
            !addr20_eq(&ev.issuer, issuer) ||
            (int)ev.kind != (int)kind || ev.seq < first || ev.seq >= first + n)
            continue;
        struct store_lost *x = &ev_out[ev.seq - first];
        seen[ev.seq - first] = true;
        *x = (struct store_lost){.seq = ev.seq,
                                 .size = ev.size,
                                 .root = ev.root,
                                 .tx_hash = logs[i].tx_hash,
                                 .block_number = logs[i].block_number,
                                 .block_hash = logs[i].block_hash};
    }
    rpc_logs_free(logs, nl);
    for (size_t i = 0; i < n && !rc; i++)
        if (!seen[i])
            rc = err_set(e, E_STATE,
                         "the registry counts %s %llu of this issuer as anchored, but its Anchored "
                         "event is not on the ledger (from block %llu): nothing was changed",
                         anchoring_kind_name(kind), (unsigned long long)(first + i),
                         (unsigned long long)from_block);
    free(seen);
    /* The block's time, as the registry recorded it. */
    for (size_t i = 0; i < n && !rc; i++) {
        struct registry_record rec;
        struct registry2_record rec2;
        if (v2 && !(rc = registry2_anchored_at(l->rpc, contract, issuer, &ev_out[i].root, NULL,
                                               &rec2, e)))
            ev_out[i].block_time = (int64_t)rec2.timestamp;
        else if (!v2 && !(rc = registry_anchored_at(l->rpc, contract, issuer, &ev_out[i].root,
                                                    NULL, &rec, e)))
            ev_out[i].block_time = (int64_t)rec.timestamp;
    }
    return rc;
}

/* Batch (kind, b) of the store, CLOSED or SENT with the ledger's root,
 * takes the ledger's anchor `ev`: its transaction (adopted, as the driver
 * adopts one it did not record sending) and its block. */
static err_code take_anchor(struct store *s, enum batch_kind kind, const struct store_batch *b,
                            const struct store_lost *ev, struct err *e)
{
    err_code rc = E_OK;
    if (!(b->state == BATCH_SENT && b->has_tx && hash32_eq(&b->tx_hash, &ev->tx_hash)))
        rc = store_tx_record(s, kind, ev->seq, 0, &ev->tx_hash, NULL, 0, e);
    if (!rc)
        rc = store_batch_anchored(s, kind, ev->seq, &ev->tx_hash, ev->block_number,
                                  &ev->block_hash, ev->block_time, e);
    return rc;
}

/* The open issuance batch `open` sits at the seq of the ledger's batch
 * `ev`, anchored after the backup. *taken: its leaves are exactly that
 * batch's (the RFC 9162 root of its first ev->size leaves is ev->root and
 * it holds no more): it is closed and takes that anchor. *superset: it
 * holds that batch's leaves and more. Otherwise it holds fewer (the
 * ledger's batch got more submissions after the backup) or others. */
static err_code open_batch(struct store *s, const struct store_batch *open,
                           const struct store_lost *ev, bool *taken, bool *superset,
                           struct err *e)
{
    *taken = *superset = false;
    if (ev->size == 0 || open->size < ev->size)
        return E_OK;
    struct hash32 *leaves, root;
    uint64_t m;
    struct merkle_tree *t = NULL;
    err_code rc = store_batch_leaves(s, open->seq, &leaves, &m, e);
    if (rc)
        return rc;
    if (m >= ev->size && !(rc = merkle_tree_build(leaves, ev->size, NULL, &t, e)))
        merkle_tree_root(t, &root);
    merkle_tree_free(t);
    free(leaves);
    if (rc || m < ev->size || !hash32_eq(&root, &ev->root))
        return rc;
    if (m > ev->size) {
        *superset = true;
        return E_OK;
    }
    struct store_batch b;
    if ((rc = batch_close(s, &b, NULL, NULL, e)))
        return rc;
    if (b.seq != ev->seq || !hash32_eq(&b.root, &ev->root))
        return err_set(e, E_STATE, "closing the open batch %llu gave batch %llu with another "
                                   "root than the ledger's: nothing was restored",
                       (unsigned long long)ev->seq, (unsigned long long)b.seq);
    *taken = true;
    return take_anchor(s, BATCH_ISSUANCE, &b, ev, e);
}

void anchoring_lost_free(struct anchoring_lost *l)
{
    free(l->lost);
    free(l->recovered);
    l->lost = l->recovered = NULL;
    l->n = l->nrec = 0;
}

/* Recover or mark lost every seq of ev[0..n) (seqs lo..lo+n-1), as
 * anchoring_find_lost says. */
static err_code reconcile(struct store *s, enum batch_kind kind, const struct store_batch *list,
                          size_t nlist, uint64_t lo, uint64_t first, const struct store_lost *ev,
                          size_t n, struct anchoring_lost *out, struct err *e)
{
    err_code rc = E_OK;
    uint64_t end = lo + n; /* the registry's next seq */
    for (size_t i = 0; i < nlist && !rc; i++) {
        const struct store_batch *b = &list[i];
        if (b->seq < lo || b->seq >= end || b->seq >= first ||
            !(b->state == BATCH_CLOSED || b->state == BATCH_SENT) || !b->has_root)
            continue;
        const struct store_lost *x = &ev[b->seq - lo];
        if (!hash32_eq(&x->root, &b->root) || x->size != b->size)
            return err_set(e, E_STATE,
                           "the ledger holds %s %llu of this issuer with another root (or size) "
                           "than this backup's %s %llu: they are not one history; nothing was "
                           "restored",
                           anchoring_kind_name(kind), (unsigned long long)b->seq,
                           anchoring_kind_name(kind), (unsigned long long)b->seq);
        if (!(rc = take_anchor(s, kind, b, x, e)))
            out->recovered[out->nrec++] = *x;
    }
    if (rc || first >= end)
        return rc;
    struct store_batch open;
    if (kind == BATCH_ISSUANCE && (rc = store_batch_open_get(s, kind, &open, e)) == E_NOT_FOUND)
        err_clear(e), rc = E_OK;
    else if (!rc && kind == BATCH_ISSUANCE && open.seq == first) {
        bool taken, superset;
        if ((rc = open_batch(s, &open, &ev[first - lo], &taken, &superset, e)))
            return rc;
        if (taken)
            out->recovered[out->nrec++] = ev[first++ - lo];
        else if (superset)
            out->superset_of = first;
    }
    for (uint64_t q = first; q < end && !rc; q++)
        out->lost[out->n++] = ev[q - lo];
    if (!rc && out->n)
        rc = store_batches_lost(s, kind, out->lost, out->n, &out->moved_to, e);
    return rc;
}

err_code anchoring_find_lost(struct store *s, struct evm_ledger *ledger,
                             const struct addr20 *contract, const struct addr20 *issuer,
                             enum batch_kind kind, struct anchoring_lost *out, struct err *e)
{
    *out = (struct anchoring_lost){.moved_to = UINT64_MAX, .superset_of = UINT64_MAX};
    uint64_t first, lo, from_block;
    struct store_batch *list = NULL;
    size_t nlist = 0;
    struct store_lost *ev = NULL;
    err_code rc = kind == BATCH_ISSUANCE ? batch_finish_pending(s, e) : E_OK;
    if (rc || (rc = store_batch_list(s, kind, &list, &nlist, e)))
        return rc;
    frontier(list, nlist, &first, &lo, &from_block);
    if ((rc = registry_next_seq(ledger->rpc, contract, issuer, (enum registry_kind)kind, NULL,
                                &out->next_seq, e)) ||
        out->next_seq <= lo)
        goto out;
    size_t n = out->next_seq - lo;
    if (n > 10000000 || !(ev = calloc(n, sizeof *ev)) ||
        !(out->lost = calloc(n, sizeof *out->lost)) ||
        !(out->recovered = calloc(n, sizeof *out->recovered))) {
        rc = err_set(e, E_NOMEM, "out of memory");
        goto out;
    }
    if (!(rc = read_events(ledger, contract, issuer, kind, lo, from_block,
                           anchoring_is_registry2(s), ev, n, e)))
        rc = reconcile(s, kind, list, nlist, lo, first, ev, n, out, e);
out:
    free(list);
    free(ev);
    if (rc || !out->n) {
        free(out->lost);
        out->lost = NULL;
        out->n = 0;
    }
    if (rc || !out->nrec) {
        free(out->recovered);
        out->recovered = NULL;
        out->nrec = 0;
    }
    if (rc)
        out->superset_of = UINT64_MAX;
    return rc;
}
