/*
 * notary/anchoring/restore.c — the batches a restored store lost, found
 * on the ledger (contract in restore.h). Only the registry (evm flow)
 * numbers anchors; calls go down to anchor/ and the store.
 */
#include "notary/anchoring/restore.h"

#include <stdlib.h>
#include <string.h>

#include "anchor/registry.h"
#include "anchor/registry2.h"
#include "notary/anchoring/flow.h"

/* The first seq of `kind` this store has no rooted batch for, and the
 * block to search the ledger's events from (the last anchored batch's). */
static err_code store_frontier(struct store *s, enum batch_kind kind, uint64_t *first,
                               uint64_t *from_block, struct err *e)
{
    struct store_batch *list;
    size_t n;
    err_code rc = store_batch_list(s, kind, &list, &n, e);
    if (rc)
        return rc;
    *first = 0;
    *from_block = 0;
    for (size_t i = 0; i < n; i++) {
        if (list[i].state != BATCH_OPEN && list[i].seq + 1 > *first)
            *first = list[i].seq + 1;
        if (list[i].state == BATCH_ANCHORED && list[i].block_number > *from_block)
            *from_block = list[i].block_number;
    }
    free(list);
    return E_OK;
}

/* Fill out->lost[seq - first] from the issuer's Anchored events. */
static err_code read_events(struct evm_ledger *l, const struct addr20 *contract,
                            const struct addr20 *issuer, enum batch_kind kind, uint64_t first,
                            uint64_t from_block, bool v2, struct anchoring_lost *out,
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
    bool *seen = calloc(out->n, sizeof *seen);
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
            (int)ev.kind != (int)kind || ev.seq < first || ev.seq >= first + out->n)
            continue;
        struct store_lost *x = &out->lost[ev.seq - first];
        seen[ev.seq - first] = true;
        *x = (struct store_lost){.seq = ev.seq,
                                 .size = ev.size,
                                 .root = ev.root,
                                 .tx_hash = logs[i].tx_hash,
                                 .block_number = logs[i].block_number,
                                 .block_hash = logs[i].block_hash};
    }
    rpc_logs_free(logs, nl);
    for (size_t i = 0; i < out->n && !rc; i++)
        if (!seen[i])
            rc = err_set(e, E_STATE,
                         "the registry counts %s %llu of this issuer as anchored, but its Anchored "
                         "event is not on the ledger (from block %llu): nothing was changed",
                         anchoring_kind_name(kind), (unsigned long long)(first + i),
                         (unsigned long long)from_block);
    free(seen);
    /* The block's time, as the registry recorded it. */
    for (size_t i = 0; i < out->n && !rc; i++) {
        struct registry_record rec;
        struct registry2_record rec2;
        if (v2 && !(rc = registry2_anchored_at(l->rpc, contract, issuer, &out->lost[i].root, NULL,
                                               &rec2, e)))
            out->lost[i].block_time = (int64_t)rec2.timestamp;
        else if (!v2 && !(rc = registry_anchored_at(l->rpc, contract, issuer, &out->lost[i].root,
                                                    NULL, &rec, e)))
            out->lost[i].block_time = (int64_t)rec.timestamp;
    }
    return rc;
}

err_code anchoring_find_lost(struct store *s, struct evm_ledger *ledger,
                             const struct addr20 *contract, const struct addr20 *issuer,
                             enum batch_kind kind, struct anchoring_lost *out, struct err *e)
{
    *out = (struct anchoring_lost){.moved_to = UINT64_MAX};
    uint64_t first, from_block;
    err_code rc = store_frontier(s, kind, &first, &from_block, e);
    if (rc || (rc = registry_next_seq(ledger->rpc, contract, issuer, (enum registry_kind)kind,
                                      NULL, &out->next_seq, e)))
        return rc;
    if (out->next_seq <= first)
        return E_OK;
    out->n = out->next_seq - first;
    if (out->n > 10000000 || !(out->lost = calloc(out->n, sizeof *out->lost))) {
        out->n = 0;
        return err_set(e, E_NOMEM, "out of memory");
    }
    if (!(rc = read_events(ledger, contract, issuer, kind, first, from_block,
                           anchoring_is_registry2(s), out, e)))
        rc = store_batches_lost(s, kind, out->lost, out->n, &out->moved_to, e);
    if (rc) {
        free(out->lost);
        out->lost = NULL;
        out->n = 0;
    }
    return rc;
}
