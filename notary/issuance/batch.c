/* notary/issuance/batch.c — see batch.h. */
#include "notary/issuance/batch.h"

#include <stdlib.h>
#include <time.h>

#include "notary/issuance/levels.h"

err_code batch_tree(struct store *s, uint64_t seq, struct merkle_tree *reuse,
                    struct merkle_tree **out, struct err *e)
{
    struct hash32 *leaves;
    uint64_t n;
    *out = NULL;
    err_code rc = store_batch_leaves(s, seq, &leaves, &n, e);
    if (rc) {
        merkle_tree_free(reuse);
        return rc;
    }
    rc = merkle_tree_build(leaves, n, reuse, out, e);
    free(leaves);
    return rc;
}

static err_code root_batch(struct store *s, struct store_batch *b, batch_progress_fn progress,
                           void *arg, struct err *e)
{
    struct merkle_tree *t;
    if (progress)
        progress("building tree", 0, b->size, arg);
    err_code rc = batch_tree(s, b->seq, NULL, &t, e);
    if (rc)
        return err_wrap(e, rc, "batch %llu", (unsigned long long)b->seq);
    merkle_tree_root(t, &b->root);
    /* The subtree roots go with the root, in one write: one proof then reads
     * one subtree (notary/issuance/levels.h). */
    struct store_subroots sub;
    rc = levels_from_tree(t, &sub, e);
    merkle_tree_free(t);
    if (rc)
        return rc;
    rc = store_batch_set_root(s, BATCH_ISSUANCE, b->seq, &b->root, &sub, e);
    free(sub.roots);
    if (rc) {
        /* Another notary instance on a shared store finished this batch
         * first: fine if it found the same root (the tree is a function of
         * the frozen leaves). */
        struct store_batch now;
        if (rc != E_STATE || store_batch_get(s, BATCH_ISSUANCE, b->seq, &now, NULL) != E_OK ||
            !now.has_root || !hash32_eq(&now.root, &b->root))
            return rc;
        err_clear(e);
    }
    b->has_root = true;
    if (progress)
        progress("building tree", b->size, b->size, arg);
    return E_OK;
}

err_code batch_finish_pending(struct store *s, struct err *e)
{
    struct store_batch *list;
    size_t n;
    err_code rc = store_batch_list(s, BATCH_ISSUANCE, &list, &n, e);
    if (rc)
        return rc;
    for (size_t i = 0; i < n && !rc; i++)
        if (list[i].state == BATCH_CLOSED && !list[i].has_root)
            rc = root_batch(s, &list[i], NULL, NULL, e);
    free(list);
    return rc ? rc : store_index_frozen(s, e);
}

err_code batch_close(struct store *s, struct store_batch *out, batch_progress_fn progress,
                     void *arg, struct err *e)
{
    err_code rc = batch_finish_pending(s, e);
    if (rc)
        return rc;
    if ((rc = store_batch_freeze(s, (int64_t)time(NULL), out, e)) ||
        (rc = root_batch(s, out, progress, arg, e)))
        return rc;
    /* The root is stored: the batch can be anchored whatever happens here. */
    if (progress)
        progress("indexing", 0, out->size, arg);
    if ((rc = store_index_frozen(s, e)))
        return err_wrap(e, rc, "batch %llu is closed with its root, but indexing its hashes",
                        (unsigned long long)out->seq);
    if (progress)
        progress("indexing", out->size, out->size, arg);
    return E_OK;
}
