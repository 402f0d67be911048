/*
 * notary/issuance/revocation.c — revoke, checkpoint and export; see revocation.h.
 *
 * The log is small next to the issuance batches (a revocation is rare), so
 * every operation simply loads it whole from the store and rebuilds its
 * tree: a checkpoint or an export of 100,000 entries costs a few tens of
 * milliseconds, and nothing derived from the log is stored that could drift
 * from it.
 */
#include "notary/issuance/revocation.h"

#include <stdlib.h>
#include <string.h>

#include "core/merkle.h"

err_code revocation_revoke(struct store *s, const struct hash32 *hash, unsigned reason,
                           const char *note, int64_t now, struct store_revocation *out,
                           bool *existed, struct err *e)
{
    /* Validate exactly as the log file will (encoding and text rules), so
     * the store never holds an entry that cannot be exported. */
    struct revlog probe = {0};
    struct revlog_entry en = {.reason = (uint8_t)reason, .time = now,
                              .note = (char *)(note && *note ? note : NULL)};
    if (reason > REVLOG_REASON_MAX)
        return err_set(e, E_INVALID, "reason code %u is not one of 0..%d", reason,
                       REVLOG_REASON_MAX);
    en.credential = *hash;
    err_code rc = revlog_add_entry(&probe, &en, e);
    revlog_free(&probe);
    if (rc)
        return rc;
    rc = store_revocation_add(s, hash, (uint8_t)reason, en.note, now, out, existed, e);
    if (rc == E_NOT_FOUND) {
        char hex[65];
        hash32_to_hex(hash, hex);
        return err_set(e, E_NOT_FOUND,
                       "credential %s was never notarized by this notary: nothing to revoke", hex);
    }
    return rc;
}

/* The newest checkpoint of any state (size 0 if there is none). */
static err_code newest_checkpoint(struct store *s, struct store_batch *out, struct err *e)
{
    struct store_batch *list;
    size_t n;
    err_code rc = store_batch_list(s, BATCH_REVOCATION, &list, &n, e);
    if (rc)
        return rc;
    memset(out, 0, sizeof *out);
    if (n)
        *out = list[n - 1];
    free(list);
    return E_OK;
}

err_code revocation_checkpoint(struct store *s, int64_t now, bool *created,
                               struct store_batch *out, struct err *e)
{
    *created = false;
    struct revlog log = {0};
    struct merkle_tree *t = NULL;
    err_code rc;
    if ((rc = newest_checkpoint(s, out, e)) || (rc = store_revocation_load(s, &log, e)))
        goto out;
    if (log.n_entries == 0 || log.n_entries == out->size)
        goto out;
    if (log.n_entries < out->size) {
        rc = err_set(e, E_STATE,
                     "the revocation log has %llu entries but checkpoint %llu covers %llu: "
                     "the store was altered",
                     (unsigned long long)log.n_entries, (unsigned long long)out->seq,
                     (unsigned long long)out->size);
        goto out;
    }
    if ((rc = revlog_tree(&log, log.n_entries, &t, e)))
        goto out;
    if (out->size) {
        struct hash32 prev;
        if ((rc = merkle_tree_root_at(t, out->size, &prev, e)))
            goto out;
        if (!out->has_root || !hash32_eq(&prev, &out->root)) {
            rc = err_set(e, E_STATE,
                         "the first %llu entries of the revocation log no longer give the root "
                         "of checkpoint %llu: the store was altered; do not checkpoint",
                         (unsigned long long)out->size, (unsigned long long)out->seq);
            goto out;
        }
    }
    struct hash32 root;
    uint64_t seq;
    merkle_tree_root(t, &root);
    if ((rc = store_checkpoint_create(s, log.n_entries, &root, now, &seq, e)) ||
        (rc = store_batch_get(s, BATCH_REVOCATION, seq, out, e)))
        goto out;
    *created = true;
out:
    merkle_tree_free(t);
    revlog_free(&log);
    return rc;
}

static err_code meta_fill(struct store *s, struct revlog *log, struct err *e)
{
    char *issuer = NULL, *chain = NULL, *contract = NULL, *ledger = NULL;
    err_code rc;
    if ((rc = store_meta_get(s, "issuer", &issuer, e)) ||
        (rc = store_meta_get(s, "chain_id", &chain, e)) ||
        (rc = store_meta_get(s, "contract", &contract, e)))
        goto out;
    if (store_meta_get(s, "ledger", &ledger, NULL) == E_OK && strcmp(ledger, "ebsi") == 0)
        log->ledger = BUNDLE_LEDGER_EBSI;
    else
        log->ledger = BUNDLE_LEDGER_EVM;
    log->chain_id = strtoull(chain, NULL, 10);
    if ((rc = addr20_from_hex(issuer, &log->issuer, e)) ||
        (rc = addr20_from_hex(contract, &log->contract, e)))
        err_prefix(e, "notary configuration");
out:
    free(issuer);
    free(chain);
    free(contract);
    free(ledger);
    return rc;
}

err_code revocation_export(struct store *s, int64_t now, struct buf *out, uint64_t *n_entries,
                           size_t *n_checkpoints, struct err *e)
{
    struct revlog log = {0};
    struct merkle_tree *t = NULL;
    struct store_batch *list = NULL;
    size_t n = 0;
    err_code rc;
    if ((rc = meta_fill(s, &log, e)) || (rc = store_revocation_load(s, &log, e)) ||
        (rc = store_batch_list(s, BATCH_REVOCATION, &list, &n, e)))
        goto out;
    log.exported_at = now;
    if (log.n_entries && (rc = revlog_tree(&log, log.n_entries, &t, e)))
        goto out;
    const struct store_batch *prev = NULL;
    for (size_t i = 0; i < n; i++) {
        const struct store_batch *b = &list[i];
        if (b->state != BATCH_ANCHORED)
            continue; /* only what a verifier can find on the ledger */
        struct hash32 root, proof[MERKLE_MAX_PATH];
        size_t plen = 0;
        if (!t || b->size > log.n_entries || (rc = merkle_tree_root_at(t, b->size, &root, e)) ||
            !hash32_eq(&root, &b->root)) {
            rc = err_set(e, E_STATE,
                         "checkpoint %llu (size %llu) is not a prefix of the stored revocation "
                         "log: the store was altered",
                         (unsigned long long)b->seq, (unsigned long long)b->size);
            goto out;
        }
        /* RFC 9162 §2.1.4.1: proof that the previous anchored checkpoint's
         * tree is a prefix of this one's. */
        if (prev && prev->size < b->size &&
            (rc = merkle_tree_consistency_proof(t, prev->size, b->size, proof, &plen, e)))
            goto out;
        struct revlog_checkpoint cp = {.seq = b->seq, .size = b->size, .root = b->root,
                                       .tx_hash = b->tx_hash, .block_number = b->block_number,
                                       .block_hash = b->block_hash,
                                       .block_time = (uint64_t)b->block_time};
        if ((rc = revlog_add_checkpoint(&log, &cp, proof, prev ? plen : 0, e)))
            goto out;
        prev = b;
    }
    rc = revlog_write(&log, out, e);
    if (!rc && n_entries)
        *n_entries = log.n_entries;
    if (!rc && n_checkpoints)
        *n_checkpoints = log.n_checkpoints;
out:
    free(list);
    merkle_tree_free(t);
    revlog_free(&log);
    return rc;
}
