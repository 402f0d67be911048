/*
 * notary/anchoring/finality.c — anchored batches after a reorg (anchoring.h:
 * anchoring_recheck, anchoring_unsettled, anchoring_retry_failed), shared by
 * the evm and ebsi ledger flows: both write one transaction per batch on an
 * EVM ledger, so where that transaction now stands is asked the same way.
 *
 * A batch is ANCHORED once its transaction is mined with the configured
 * confirmations; a reorg deeper than that can still take the block away.
 * Until the block is final_depth deep, every run looks again:
 *
 *   mined in the stored block (same number and hash)   nothing to do
 *   mined in another canonical block, confirmed, with
 *     our event                                        adopted: the new block,
 *                                                      hash and time are stored
 *   anything else (pending again, gone, re-mined but
 *     under-confirmed, reverted, no event)             back to SENT: the state
 *                                                      machine re-sends the same
 *                                                      bytes, follows, or re-signs
 *
 * Each change is one store transaction (a move is SENT, then ANCHORED in the
 * new block: a crash between the two leaves SENT, which the next run settles
 * from the ledger), so the store never holds a block the ledger lost without
 * the batch being re-checked.
 *
 * Also here, below the driver so that calls only go one way (anchoring.c ->
 * finality.c -> the flows -> flow.c): anchoring_receipt_ok and
 * anchoring_is_ebsi, which both the driver and the re-check use.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anchor/eth.h"
#include "notary/anchoring/anchoring.h"

static uint64_t final_depth(uint64_t d) { return d ? d : ANCHORING_FINAL_DEPTH; }

/* Is an anchored batch at `block` still to be re-checked with `latest`? */
static bool unsettled(uint64_t block, uint64_t latest, uint64_t depth)
{
    return block > latest || latest - block + 1 < depth;
}

/* One anchored batch that is not final yet. */
static err_code recheck_one(struct store *s, const struct anchoring_cfg *cfg, bool ebsi,
                            const struct addr20 *issuer, const struct store_batch *b,
                            struct anchoring_report *rep, struct err *e)
{
    /* One request while nothing happened: is the stored block still the
     * canonical one at its height? (A block is immutable by its hash, so
     * the transaction is still in it.) */
    char q[RPC_QTY_BUF];
    struct rpc_block blk;
    err_code rc = rpc_get_block_by_number(cfg->ledger->rpc,
                                          rpc_format_quantity(b->block_number, q), &blk, e);
    if (rc == E_OK && hash32_eq(&blk.hash, &b->block_hash))
        return E_OK;
    if (rc == E_NOT_FOUND) /* the chain is shorter now */
        err_clear(e);
    else if (rc)
        return rc;
    struct evm_tx_state st;
    if ((rc = evm_tx_state(cfg->ledger, &b->tx_hash, &st, e)))
        return rc;
    const char *kind = anchoring_kind_name(b->kind);
    unsigned long long seq = (unsigned long long)b->seq, old = (unsigned long long)b->block_number;
    if (st.status == EVM_TX_MINED && st.block_number == b->block_number &&
        hash32_eq(&st.block_hash, &b->block_hash)) {
        evm_tx_state_free(&st);
        return E_OK; /* still where we stored it */
    }
    char hex[67], why[256];
    hash32_to_hex0x(&b->tx_hash, hex);
    struct err ev = {0};
    if (st.status == EVM_TX_MINED && st.confirmations >= cfg->confirmations &&
        anchoring_receipt_ok(cfg, ebsi, issuer, b, &st.receipt, &ev)) {
        snprintf(why, sizeof why, "a reorg moved transaction %s from block %llu to block %llu",
                 hex, old, (unsigned long long)st.block_number);
        if (!(rc = store_batch_set_state(s, b->kind, b->seq, BATCH_SENT, why, e)))
            rc = store_batch_anchored(s, b->kind, b->seq, &b->tx_hash, st.block_number,
                                      &st.block_hash, (int64_t)st.block_time, e);
        if (!rc) {
            rep->moved++;
            anchoring_say(cfg, "%s %llu: %s; adopted (its bundles now carry block %llu)", kind,
                          seq, why, (unsigned long long)st.block_number);
        }
        evm_tx_state_free(&st);
        return rc;
    }
    switch (st.status) {
    case EVM_TX_MINED:
        if (ev.msg[0])
            snprintf(why, sizeof why, "block %llu was reorganised away; transaction %s is now in "
                                      "block %llu but %.120s", old, hex,
                     (unsigned long long)st.block_number, ev.msg);
        else
            snprintf(why, sizeof why, "block %llu was reorganised away; transaction %s is now in "
                                      "block %llu, %llu of %llu confirmations", old, hex,
                     (unsigned long long)st.block_number, (unsigned long long)st.confirmations,
                     (unsigned long long)cfg->confirmations);
        break;
    case EVM_TX_PENDING:
        snprintf(why, sizeof why, "block %llu was reorganised away; transaction %s is pending "
                                  "again", old, hex);
        break;
    case EVM_TX_REVERTED:
        snprintf(why, sizeof why, "block %llu was reorganised away; transaction %s now reverted "
                                  "in block %llu", old, hex, (unsigned long long)st.block_number);
        break;
    case EVM_TX_UNKNOWN:
    default:
        snprintf(why, sizeof why, "block %llu was reorganised away and the ledger no longer has "
                                  "transaction %s: sending it again", old, hex);
        break;
    }
    evm_tx_state_free(&st);
    if ((rc = store_batch_set_state(s, b->kind, b->seq, BATCH_SENT, why, e)))
        return rc;
    /* the K-block count before a fee replacement starts again */
    struct err ignore;
    if (store_tx_set_sent_block(s, &b->tx_hash, NULL, &ignore) != E_OK)
        err_clear(&ignore); /* adopted, none of ours: nothing to reset */
    rep->reopened++;
    anchoring_say(cfg, "%s %llu: %s", kind, seq, why);
    return E_OK;
}

err_code anchoring_recheck(struct store *s, const struct anchoring_cfg *cfg, enum batch_kind kind,
                           const struct addr20 *issuer, struct anchoring_report *rep,
                           struct err *e)
{
    struct store_batch *list;
    size_t n;
    err_code rc = store_batch_list(s, kind, &list, &n, e);
    if (rc)
        return rc;
    uint64_t depth = final_depth(cfg->final_depth), latest = 0;
    bool any = false;
    for (size_t i = 0; i < n && !any; i++)
        any = list[i].state == BATCH_ANCHORED && list[i].has_tx;
    if (any)
        rc = rpc_block_number(cfg->ledger->rpc, &latest, e);
    bool ebsi = any && anchoring_is_ebsi(s);
    for (size_t i = 0; i < n && any && !rc; i++) {
        const struct store_batch *b = &list[i];
        if (b->state == BATCH_ANCHORED && b->has_tx && unsettled(b->block_number, latest, depth))
            rc = recheck_one(s, cfg, ebsi, issuer, b, rep, e);
    }
    free(list);
    return rc;
}

err_code anchoring_unsettled(struct store *s, struct evm_ledger *l, uint64_t depth, bool *any,
                             struct err *e)
{
    *any = false;
    uint64_t latest = 0;
    bool asked = false;
    err_code rc = E_OK;
    for (int k = 0; k < 2 && !*any && !rc; k++) {
        struct store_batch *list;
        size_t n;
        if ((rc = store_batch_list(s, (enum batch_kind)k, &list, &n, e)))
            break;
        for (size_t i = 0; i < n && !*any && !rc; i++) {
            if (list[i].state != BATCH_ANCHORED || !list[i].has_tx)
                continue;
            if (!asked && (rc = rpc_block_number(l->rpc, &latest, e)))
                break;
            asked = true;
            *any = unsettled(list[i].block_number, latest, final_depth(depth));
        }
        free(list);
    }
    return rc;
}

err_code anchoring_retry_failed(struct store *s, enum batch_kind kind, unsigned *count,
                                struct err *e)
{
    *count = 0;
    struct store_batch *list;
    size_t n;
    err_code rc = store_batch_list(s, kind, &list, &n, e);
    for (size_t i = 0; i < n && !rc; i++) {
        if (list[i].state != BATCH_FAILED)
            continue;
        char why[sizeof list[i].last_error + 64];
        snprintf(why, sizeof why, "retried (it had failed: %.200s)", list[i].last_error);
        if (!(rc = store_batch_set_state(s, kind, list[i].seq, BATCH_CLOSED, why, e)))
            (*count)++;
    }
    free(list);
    return rc;
}

/* ---- the receipt check and the flow in use (anchoring.h) ---------------- */

bool anchoring_receipt_ok(const struct anchoring_cfg *cfg, bool ebsi, const struct addr20 *issuer,
                          const struct store_batch *b, const struct rpc_receipt *rc,
                          struct err *e)
{
    return anchoring_flow_receipt_ok(ebsi ? &anchoring_ebsi_flow : &anchoring_evm_flow, cfg, issuer, b,
                                     rc, e);
}

bool anchoring_is_ebsi(struct store *s)
{
    char *ledger = NULL;
    bool ebsi = store_meta_get(s, "ledger", &ledger, NULL) == E_OK && strcmp(ledger, "ebsi") == 0;
    free(ledger);
    return ebsi;
}
