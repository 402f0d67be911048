/* notary/issuance/levels.c — see levels.h. */
#include "notary/issuance/levels.h"

#include <stdlib.h>
#include <string.h>

err_code levels_from_tree(const struct merkle_tree *t, struct store_subroots *out, struct err *e)
{
    const struct hash32 *nodes;
    uint64_t n = merkle_tree_level(t, LEVELS_SHIFT, &nodes);
    out->shift = LEVELS_SHIFT;
    out->count = n;
    if (!(out->roots = malloc(n * sizeof *out->roots)))
        return err_set(e, E_NOMEM, "out of memory for %llu subtree roots", (unsigned long long)n);
    memcpy(out->roots, nodes, n * sizeof *out->roots);
    return E_OK;
}

err_code levels_load(struct store *s, const struct store_batch *b, struct store_subroots *out,
                     struct err *e)
{
    err_code rc = store_batch_subroots(s, b->seq, out, e);
    if (rc != E_NOT_FOUND)
        return rc;
    err_clear(e);
    struct hash32 *leaves;
    uint64_t n;
    struct merkle_tree *t;
    if ((rc = store_batch_leaves(s, b->seq, &leaves, &n, e)))
        return rc;
    rc = merkle_tree_build(leaves, n, NULL, &t, e);
    free(leaves);
    if (rc)
        return rc;
    struct hash32 root;
    merkle_tree_root(t, &root);
    if (!b->has_root || !hash32_eq(&root, &b->root))
        rc = err_set(e, E_STATE, "store is inconsistent: batch %llu no longer yields its root",
                     (unsigned long long)b->seq);
    else
        rc = levels_from_tree(t, out, e);
    merkle_tree_free(t);
    if (!rc && (rc = store_batch_set_subroots(s, b->seq, out, e))) {
        free(out->roots);
        out->roots = NULL;
    }
    return rc;
}

/* Largest power of two smaller than n (n ≥ 2). */
static uint64_t split(uint64_t n)
{
    uint64_t k = 1;
    while (k << 1 < n)
        k <<= 1;
    return k;
}

/* RFC 9162 MTH over nodes d[0..n-1] taken as leaf hashes already (n ≥ 1). */
static void mth(const struct hash32 *d, uint64_t n, struct hash32 *out)
{
    if (n == 1) {
        *out = d[0];
        return;
    }
    uint64_t k = split(n);
    struct hash32 l, r;
    mth(d, k, &l);
    mth(d + k, n - k, &r);
    merkle_node_hash(&l, &r, out);
}

/* RFC 9162 PATH(m, d[0..n-1]) over such nodes, appended at path[*len]. */
static void upper_path(uint64_t m, const struct hash32 *d, uint64_t n, struct hash32 *path,
                       size_t *len)
{
    if (n == 1)
        return;
    uint64_t k = split(n);
    if (m < k) {
        upper_path(m, d, k, path, len);
        mth(d + k, n - k, &path[(*len)++]);
    } else {
        upper_path(m - k, d + k, n - k, path, len);
        mth(d, k, &path[(*len)++]);
    }
}

err_code levels_inclusion_proof(struct store *s, const struct store_batch *b,
                                const struct store_subroots *sub, uint64_t index,
                                struct hash32 *path, size_t *path_len, struct hash32 *leaf,
                                uint8_t *how, struct err *e)
{
    *path_len = 0;
    if (index >= b->size || !b->has_root || sub->count != ((b->size - 1) >> sub->shift) + 1)
        return err_set(e, E_INVALID, "leaf %llu is not in batch %llu of %llu",
                       (unsigned long long)index, (unsigned long long)b->seq,
                       (unsigned long long)b->size);
    uint64_t j = index >> sub->shift, from = j << sub->shift;
    uint64_t cnt = b->size - from < ((uint64_t)1 << sub->shift) ? b->size - from
                                                                  : (uint64_t)1 << sub->shift;
    struct hash32 *leaves = malloc(cnt * sizeof *leaves);
    uint8_t *hw = malloc(cnt);
    struct merkle_tree *t = NULL;
    err_code rc = !leaves || !hw ? err_set(e, E_NOMEM, "out of memory") : E_OK;
    if (!rc)
        rc = store_batch_leaves_range(s, b->seq, from, cnt, leaves, hw, e);
    if (!rc)
        rc = merkle_tree_build(leaves, cnt, NULL, &t, e);
    struct hash32 sroot, lh, root;
    if (!rc) {
        merkle_tree_root(t, &sroot);
        if (!hash32_eq(&sroot, &sub->roots[j]))
            rc = err_set(e, E_STATE, "store is inconsistent: the leaves of subtree %llu of batch "
                                     "%llu no longer give its stored root",
                         (unsigned long long)j, (unsigned long long)b->seq);
    }
    if (!rc)
        rc = merkle_tree_inclusion_proof(t, index - from, cnt, path, path_len, e);
    if (!rc) {
        upper_path(j, sub->roots, sub->count, path, path_len);
        merkle_leaf_hash(&leaves[index - from], &lh);
        if (merkle_root_from_path(&lh, index, b->size, path, *path_len, &root, NULL) != E_OK ||
            !hash32_eq(&root, &b->root))
            rc = err_set(e, E_STATE, "store is inconsistent: batch %llu no longer yields its root",
                         (unsigned long long)b->seq);
    }
    if (!rc && leaf)
        *leaf = leaves[index - from];
    if (!rc && how)
        *how = hw[index - from];
    merkle_tree_free(t);
    free(leaves);
    free(hw);
    return rc;
}
