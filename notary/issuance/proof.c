/* notary/issuance/proof.c — see proof.h. */
#include "notary/issuance/proof.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/fileio.h"
#include "notary/issuance/batch.h"
#include "notary/issuance/levels.h"

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
    /* One subtree's leaves and the stored subroots: no tree rebuild. */
    struct store_subroots sub;
    if ((rc = levels_load(s, &b, &sub, e)))
        return rc;
    struct hash32 stored;
    rc = levels_inclusion_proof(s, &b, &sub, c.leaf_index, out->inclusion.path,
                                &out->inclusion.path_len, &stored, NULL, e);
    free(sub.roots);
    if (rc)
        return rc;
    if (!hash32_eq(&stored, hash))
        return err_set(e, E_STATE, "store is inconsistent: leaf %llu of batch %llu is not the "
                                   "credential the index points to",
                       (unsigned long long)c.leaf_index, (unsigned long long)b.seq);
    out->credential.hash = *hash;
    out->credential.hashing = c.hashing;
    out->inclusion.leaf_index = c.leaf_index;
    return fill_batch(s, &b, out, e);
}

/* Where the bundles go: one file each in a directory, or one line each in a
 * stream (JSON Lines). */
struct sink {
    const char *dir;
    char *path;
    size_t dlen;
    FILE *f;
};

static err_code sink_put(struct sink *k, const struct bundle *bun, struct buf *out,
                         struct err *e)
{
    out->len = 0;
    if (k->f) {
        err_code rc = bundle_write_line(bun, out, e);
        if (rc)
            return rc;
        return fwrite(out->p, 1, out->len, k->f) != out->len
                   ? err_set(e, E_IO, "writing the bundles: %s", strerror(errno))
                   : E_OK;
    }
    err_code rc = bundle_write(bun, out, e);
    if (rc)
        return rc;
    char hex[65];
    hash32_to_hex(&bun->credential.hash, hex);
    snprintf(k->path, k->dlen + 80, "%s/%s.json", k->dir, hex);
    return file_write_atomic_nosync(k->path, out->p, out->len, 0644, e);
}

/* Every bundle of batch `b` (closed_batch) into `k`, from one tree pass: the
 * leaves and their hashing modes are read once, every path taken from the
 * tree. */
static err_code export_batch(struct store *s, const struct store_batch *bp, struct sink *k,
                             uint64_t *written,
                             void (*progress)(uint64_t done, uint64_t total, void *arg), void *arg,
                             struct err *e)
{
    const struct store_batch b = *bp;
    const uint64_t seq = b.seq;
    err_code rc;
    struct hash32 *leaves;
    uint8_t *how;
    uint64_t n;
    if ((rc = store_batch_leaves_hashing(s, seq, &leaves, &how, &n, e)))
        return rc;
    struct merkle_tree *t = NULL;
    struct buf out = {0};
    if ((rc = merkle_tree_build(leaves, n, NULL, &t, e)))
        goto out;
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
    for (uint64_t i = 0; i < n && !rc; i++) {
        bun.credential.hash = leaves[i];
        bun.credential.hashing = (enum credential_hashing)how[i];
        bun.inclusion.leaf_index = i;
        if ((rc = merkle_tree_inclusion_proof(t, i, n, bun.inclusion.path,
                                              &bun.inclusion.path_len, e)))
            break;
        if ((rc = sink_put(k, &bun, &out, e)))
            break;
        (*written)++;
        if (progress && ((i & 1023) == 1023 || i + 1 == n))
            progress(i + 1, n, arg);
    }
out:
    buf_free(&out);
    merkle_tree_free(t);
    free(leaves);
    free(how);
    return rc;
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
    struct sink k = {.dir = dir, .dlen = strlen(dir)};
    if (!(k.path = malloc(k.dlen + 80)))
        return err_set(e, E_NOMEM, "out of memory");
    rc = export_batch(s, &b, &k, written, progress, arg, e);
    free(k.path);
    if (!rc) /* one flush for the whole directory instead of an fsync per file */
        rc = file_sync_fs(dir, e);
    return rc;
}

err_code proof_export_jsonl(struct store *s, uint64_t seq, FILE *f, uint64_t *written,
                            void (*progress)(uint64_t done, uint64_t total, void *arg), void *arg,
                            struct err *e)
{
    *written = 0;
    struct sink k = {.f = f};
    struct store_batch b;
    err_code rc = closed_batch(s, seq, &b, e);
    if (!rc)
        rc = export_batch(s, &b, &k, written, progress, arg, e);
    if (!rc && fflush(f) != 0)
        rc = err_set(e, E_IO, "writing the bundles: %s", strerror(errno));
    return rc;
}
