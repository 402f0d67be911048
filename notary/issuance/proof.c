/* notary/issuance/proof.c — see proof.h. */
#include "notary/issuance/proof.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/fileio.h"
#include "notary/issuance/batch.h"

static err_code meta_u64(struct store *s, const char *key, uint64_t *out, struct err *e)
{
    char *v;
    err_code rc = store_meta_get(s, key, &v, e);
    if (rc)
        return rc;
    char *end;
    errno = 0;
    unsigned long long x = strtoull(v, &end, 10);
    rc = (errno || *end || end == v) ? err_set(e, E_STATE, "setting %s is not a number: %s", key, v)
                                     : E_OK;
    *out = x;
    free(v);
    return rc;
}

static err_code meta_addr(struct store *s, const char *key, struct addr20 *out, struct err *e)
{
    char *v;
    err_code rc = store_meta_get(s, key, &v, e);
    if (rc)
        return rc;
    rc = addr20_from_hex(v, out, e);
    free(v);
    return rc ? err_wrap(e, rc, "setting %s", key) : E_OK;
}

err_code proof_ledger_load(struct store *s, struct proof_ledger *out, struct err *e)
{
    char *ledger;
    err_code rc = store_meta_get(s, "ledger", &ledger, e);
    if (rc)
        return rc;
    out->ledger = strcmp(ledger, "ebsi") == 0 ? BUNDLE_LEDGER_EBSI : BUNDLE_LEDGER_EVM;
    free(ledger);
    if ((rc = meta_u64(s, "chain_id", &out->chain_id, e)) ||
        (rc = meta_addr(s, "contract", &out->contract, e)) ||
        (rc = meta_addr(s, "issuer", &out->issuer, e)))
        return rc;
    return E_OK;
}

/* Fill everything but the credential and inclusion from the batch record. */
static err_code fill_batch(struct store *s, const struct store_batch *b, struct bundle *out,
                           struct err *e)
{
    out->batch.kind = BUNDLE_KIND_ISSUANCE;
    out->batch.seq = b->seq;
    out->batch.size = b->size;
    out->batch.root = b->root;
    out->batch.closed_at = b->closed_at;
    out->anchored = b->state == BATCH_ANCHORED;
    if (!out->anchored)
        return E_OK;
    struct proof_ledger l;
    err_code rc = proof_ledger_load(s, &l, e);
    if (rc)
        return rc;
    out->anchor = (struct bundle_anchor){
        .ledger = l.ledger,
        .chain_id = l.chain_id,
        .contract = l.contract,
        .issuer = l.issuer,
        .tx_hash = b->tx_hash,
        .block_number = b->block_number,
        .block_hash = b->block_hash,
        .block_time = (uint64_t)b->block_time,
    };
    return E_OK;
}

static err_code closed_batch(struct store *s, uint64_t seq, struct store_batch *b, struct err *e)
{
    err_code rc = store_batch_get(s, BATCH_ISSUANCE, seq, b, e);
    if (rc)
        return rc;
    if (b->state == BATCH_OPEN)
        return err_set(e, E_STATE,
                       "batch %llu is still open: run `notary close` (or wait for the scheduled "
                       "close) before asking for proofs",
                       (unsigned long long)seq);
    if (!b->has_root) {
        if ((rc = batch_finish_pending(s, e)) || (rc = store_batch_get(s, BATCH_ISSUANCE, seq, b, e)))
            return rc;
    }
    return E_OK;
}

err_code proof_for_credential(struct store *s, const struct hash32 *hash, struct bundle *out,
                              struct err *e)
{
    memset(out, 0, sizeof *out);
    struct store_credential c;
    struct store_batch b;
    err_code rc = store_credential_get(s, hash, &c, e);
    if (rc)
        return rc;
    if ((rc = closed_batch(s, c.batch_seq, &b, e)))
        return rc;
    struct merkle_tree *t;
    if ((rc = batch_tree(s, b.seq, NULL, &t, e)))
        return rc;
    struct hash32 leaf, root;
    merkle_leaf_hash(hash, &leaf);
    struct hash32 tl;
    merkle_tree_leaf(t, c.leaf_index, &tl);
    merkle_tree_root(t, &root);
    rc = merkle_tree_inclusion_proof(t, c.leaf_index, b.size, out->inclusion.path,
                                     &out->inclusion.path_len, e);
    merkle_tree_free(t);
    if (rc)
        return rc;
    if (!hash32_eq(&tl, &leaf) || !hash32_eq(&root, &b.root))
        return err_set(e, E_STATE, "store is inconsistent: batch %llu no longer yields its root",
                       (unsigned long long)b.seq);
    out->credential.hash = *hash;
    out->credential.hashing = c.hashing;
    out->inclusion.leaf_index = c.leaf_index;
    return fill_batch(s, &b, out, e);
}

err_code proof_export_batch(struct store *s, uint64_t seq, const char *dir, uint64_t *written,
                            void (*progress)(uint64_t done, uint64_t total, void *arg), void *arg,
                            struct err *e)
{
    *written = 0;
    struct store_batch b;
    err_code rc = closed_batch(s, seq, &b, e);
    if (rc)
        return rc;
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return err_set(e, E_IO, "%s: cannot create directory: %s", dir, strerror(errno));
    struct hash32 *leaves;
    uint64_t n;
    if ((rc = store_batch_leaves(s, seq, &leaves, &n, e)))
        return rc;
    struct merkle_tree *t = NULL;
    if ((rc = merkle_tree_build(leaves, n, NULL, &t, e))) {
        free(leaves);
        return rc;
    }
    struct hash32 root;
    merkle_tree_root(t, &root);
    if (!hash32_eq(&root, &b.root)) {
        rc = err_set(e, E_STATE, "store is inconsistent: batch %llu no longer yields its root",
                     (unsigned long long)seq);
        goto out;
    }
    struct bundle bun;
    memset(&bun, 0, sizeof bun);
    if ((rc = fill_batch(s, &b, &bun, e)))
        goto out;
    size_t dlen = strlen(dir);
    char *path = malloc(dlen + 80);
    if (!path) {
        rc = err_set(e, E_NOMEM, "out of memory");
        goto out;
    }
    struct buf out = {0};
    for (uint64_t i = 0; i < n && !rc; i++) {
        struct store_credential c;
        if ((rc = store_credential_get(s, &leaves[i], &c, e)))
            break;
        bun.credential.hash = leaves[i];
        bun.credential.hashing = c.hashing;
        bun.inclusion.leaf_index = i;
        if ((rc = merkle_tree_inclusion_proof(t, i, n, bun.inclusion.path,
                                              &bun.inclusion.path_len, e)))
            break;
        char hex[65];
        hash32_to_hex(&leaves[i], hex);
        snprintf(path, dlen + 80, "%s/%s.json", dir, hex);
        out.len = 0;
        if ((rc = bundle_write(&bun, &out, e)) ||
            (rc = file_write_atomic_nosync(path, out.p, out.len, 0644, e)))
            break;
        (*written)++;
        if (progress && ((i & 1023) == 1023 || i + 1 == n))
            progress(i + 1, n, arg);
    }
    free(path);
    buf_free(&out);
    if (!rc) /* one flush for the whole directory instead of an fsync per file */
        rc = file_sync_fs(dir, e);
out:
    merkle_tree_free(t);
    free(leaves);
    return rc;
}
