/*
 * notary/store/sqlite_runs.c — the on-disk hash index of the SQLite engine
 * (notary/store/sqlite_impl.h; the design is at the top of sqlite_index.c):
 * store_index_frozen writes each frozen batch's *sorted run* — its hashes
 * with their leaf indexes, sorted, in blocks of RUN_BLOCK keys — in one
 * sequential transaction, which makes the batch findable on disk (a 1M
 * batch: ~36 MB, a fraction of a second), and merges runs into
 * credential_index (a B-tree keyed by hash: about one dirtied page per
 * hash once it is large) only when more than SQ_RUNS_KEEP are waiting,
 * oldest first, in slices; small batches go straight into credential_index.
 * A run is deleted in the same commit as its batch's last rows reach
 * credential_index, so every hash is always in one of them.
 */
#include "notary/store/sqlite_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct key {
    uint8_t b[RUN_KEY];
};

static void keys_each(void *arg, uint64_t at, const uint8_t *hashes, const uint8_t *hashing,
                      uint64_t n, int64_t submitted_at)
{
    struct key *k = arg;
    (void)hashing;
    (void)submitted_at;
    for (uint64_t i = 0; i < n; i++) {
        uint64_t leaf = at + i;
        memcpy(k[leaf].b, hashes + 32 * i, 32);
        k[leaf].b[32] = (uint8_t)(leaf >> 24);
        k[leaf].b[33] = (uint8_t)(leaf >> 16);
        k[leaf].b[34] = (uint8_t)(leaf >> 8);
        k[leaf].b[35] = (uint8_t)leaf;
    }
}

static int key_cmp(const void *a, const void *b) { return memcmp(a, b, 32); }

/* Bytes 2..9 of a key as a big-endian number: orders keys of one bucket
 * as memcmp does, up to a tie. */
static inline uint64_t key_mid(const struct key *k)
{
    uint64_t v = 0;
    for (int i = 2; i < 10; i++)
        v = v << 8 | k->b[i];
    return v;
}

/* Sort one bucket: insertion sort for the few keys random hashes put in
 * one, qsort for a large one (chosen hashes that share their first bytes). */
static void bucket_sort(struct key *k, uint64_t n)
{
    if (n > 64) {
        qsort(k, n, sizeof *k, key_cmp);
        return;
    }
    for (uint64_t i = 1; i < n; i++) {
        struct key x = k[i];
        uint64_t mx = key_mid(&x), j = i;
        while (j > 0) {
            uint64_t mj = key_mid(&k[j - 1]);
            if (mj < mx || (mj == mx && memcmp(k[j - 1].b, x.b, 32) <= 0))
                break;
            k[j] = k[j - 1];
            j--;
        }
        k[j] = x;
    }
}

/* Sort n keys by hash: one counting pass on the first two bytes into `tmp`,
 * then each bucket (a few keys for hashes that look random) sorted alone. */
static err_code keys_sort(struct key *k, uint64_t n, struct err *e)
{
    struct key *tmp = malloc((n ? n : 1) * sizeof *tmp);
    uint64_t *at = calloc(65537, sizeof *at);
    if (!tmp || !at) {
        free(tmp);
        free(at);
        return err_set(e, E_NOMEM, "out of memory to sort %llu hashes", (unsigned long long)n);
    }
    for (uint64_t i = 0; i < n; i++)
        at[((unsigned)k[i].b[0] << 8 | k[i].b[1]) + 1]++;
    for (unsigned b = 0; b < 65536; b++)
        at[b + 1] += at[b];
    for (uint64_t i = 0; i < n; i++)
        tmp[at[(unsigned)k[i].b[0] << 8 | k[i].b[1]]++] = k[i];
    /* at[b] is now the end of bucket b (the start of b + 1). */
    for (unsigned b = 0; b < 65536; b++) {
        uint64_t lo = b ? at[b - 1] : 0;
        bucket_sort(tmp + lo, at[b] - lo);
    }
    memcpy(k, tmp, n * sizeof *k);
    free(tmp);
    free(at);
    return E_OK;
}

/* Write the sorted run of batch b, in one transaction, unless it has one
 * or is already indexed (another process may have been first). */
static err_code run_write(struct store *s, const struct store_batch *b, struct err *e)
{
    struct key *k = malloc((b->size ? b->size : 1) * sizeof *k);
    if (!k)
        return err_set(e, E_NOMEM, "out of memory for %llu leaves", (unsigned long long)b->size);
    err_code rc;
    if (b->size > UINT32_MAX)
        rc = err_set(e, E_LIMIT, "%s: batch %llu has more than 2^32 leaves", SQ(s)->path,
                     (unsigned long long)b->seq);
    else if (!(rc = sq_chunks_walk(s, b->seq, b->first_id, b->size, keys_each, k, e)))
        rc = keys_sort(k, b->size, e);
    sqlite3_stmt *chk = NULL, *ins = NULL;
    if (rc || (rc = sq_begin(s, e))) {
        free(k);
        return rc;
    }
    if ((rc = sq_prepare(s, "SELECT (SELECT indexed FROM batches WHERE kind = 0 AND seq = ?1) = 0 "
                            "AND NOT EXISTS (SELECT 1 FROM runs WHERE batch_seq = ?1)", &chk, e)))
        goto fail;
    sqlite3_bind_int64(chk, 1, (int64_t)b->seq);
    if (sqlite3_step(chk) != SQLITE_ROW) {
        rc = sq_dberr(s, e, "read batches");
        goto fail;
    }
    if (sqlite3_column_int(chk, 0) &&
        !(rc = sq_prepare(s, "INSERT INTO runs(batch_seq, lo, n, keys) VALUES(?, ?, ?, ?)", &ins,
                          e))) {
        for (uint64_t at = 0; at < b->size; at += RUN_BLOCK) {
            uint64_t n = b->size - at < RUN_BLOCK ? b->size - at : RUN_BLOCK;
            if (at && memcmp(k[at - 1].b, k[at].b, 32) == 0) {
                rc = err_set(e, E_STATE, "%s: a credential is stored twice (batch %llu)",
                             SQ(s)->path, (unsigned long long)b->seq);
                goto fail;
            }
            sqlite3_bind_int64(ins, 1, (int64_t)b->seq);
            sqlite3_bind_blob(ins, 2, k[at].b, 32, SQLITE_STATIC);
            sqlite3_bind_int64(ins, 3, (int64_t)n);
            sqlite3_bind_blob(ins, 4, k[at].b, (int)(RUN_KEY * n), SQLITE_STATIC);
            if (sqlite3_step(ins) != SQLITE_DONE) {
                rc = sq_dberr(s, e, "write the batch's sorted hashes");
                goto fail;
            }
            sqlite3_reset(ins);
        }
    }
    sqlite3_finalize(chk);
    sqlite3_finalize(ins);
    chk = ins = NULL;
    if (!rc && !(rc = sq_commit(s, e))) {
        free(k);
        return E_OK;
    }
fail:
    sqlite3_finalize(chk);
    sqlite3_finalize(ins);
    sq_rollback(s);
    free(k);
    return rc;
}

/* One leaf of a batch, as freezing it needs it. */
struct leafrow {
    struct hash32 hash;
    int64_t id, submitted_at;
    uint8_t hashing;
};

static void rows_each(void *arg, uint64_t at, const uint8_t *hashes, const uint8_t *hashing,
                      uint64_t n, int64_t submitted_at)
{
    struct leafrow *rows = arg;
    for (uint64_t i = 0; i < n; i++) {
        struct leafrow *r = &rows[at + i];
        memcpy(r->hash.b, hashes + 32 * i, 32);
        r->id = (int64_t)(at + i); /* leaf index; the caller adds first_id */
        r->submitted_at = submitted_at;
        r->hashing = hashing[i];
    }
}

static int leafrow_cmp(const void *a, const void *b)
{
    return memcmp(((const struct leafrow *)a)->hash.b, ((const struct leafrow *)b)->hash.b, 32);
}

/* Rows of a frozen batch added to credential_index per transaction. */
#define INDEX_SLICE 32768

/* Add batch b's rows to credential_index, in
 * hash order (a sorted insert touches each B-tree page once), INDEX_SLICE
 * rows per transaction: a 1M batch would otherwise hold the write lock for
 * over a second, and notary serve's submissions wait for it.
 * batches.indexed records the progress, so a crash resumes where it
 * stopped; until a batch is fully indexed its rows stay in the in-memory
 * index (idx_sync). */
static err_code merge(struct store *s, struct store_batch b, struct err *e)
{
    err_code rc;
    {
        /* Frozen rows never change: read and sort them once, outside any
         * transaction. */
        struct leafrow *rows = malloc(b.size * sizeof *rows);
        if (!rows)
            return err_set(e, E_NOMEM, "out of memory for %llu leaves", (unsigned long long)b.size);
        if ((rc = sq_chunks_walk(s, b.seq, b.first_id, b.size, rows_each, rows, e))) {
            free(rows);
            return rc;
        }
        qsort(rows, b.size, sizeof *rows, leafrow_cmp);
        sqlite3_stmt *ins = NULL, *get = NULL;
        for (uint64_t done = 0; !rc;) {
            if ((rc = sq_begin(s, e)))
                break;
            if ((rc = sq_prepare(s, "SELECT indexed FROM batches WHERE kind = 0 AND seq = ?", &get,
                                 e)))
                goto fail;
            sqlite3_bind_int64(get, 1, (int64_t)b.seq);
            if (sqlite3_step(get) != SQLITE_ROW) {
                rc = sq_dberr(s, e, "read batches");
                goto fail;
            }
            done = (uint64_t)sqlite3_column_int64(get, 0); /* another process may be ahead */
            sqlite3_finalize(get);
            get = NULL;
            if (done >= b.size) {
                if ((rc = sq_commit(s, e)))
                    sq_rollback(s);
                break;
            }
            uint64_t k = b.size - done < INDEX_SLICE ? b.size - done : INDEX_SLICE;
            if ((rc = sq_prepare(s, "INSERT INTO credential_index(hash, id, batch_seq, hashing, "
                                    "submitted_at) VALUES(?, ?, ?, ?, ?)", &ins, e)))
                goto fail;
            for (uint64_t i = done; i < done + k; i++) {
                sqlite3_bind_blob(ins, 1, rows[i].hash.b, 32, SQLITE_STATIC);
                sqlite3_bind_int64(ins, 2, b.first_id + rows[i].id);
                sqlite3_bind_int64(ins, 3, (int64_t)b.seq);
                sqlite3_bind_int(ins, 4, rows[i].hashing);
                sqlite3_bind_int64(ins, 5, rows[i].submitted_at);
                int ir = sqlite3_step(ins);
                sqlite3_reset(ins);
                if (ir == SQLITE_CONSTRAINT) {
                    char hex[65];
                    hash32_to_hex(&rows[i].hash, hex);
                    rc = err_set(e, E_STATE, "%s: credential %s is stored twice (batch %llu)",
                                 SQ(s)->path, hex, (unsigned long long)b.seq);
                    goto fail;
                }
                if (ir != SQLITE_DONE) {
                    rc = sq_dberr(s, e, "index the batch's credentials");
                    goto fail;
                }
            }
            sqlite3_finalize(ins);
            ins = NULL;
            struct bindv v[] = {BI(done + k), BI(b.seq)};
            struct bindv w[] = {BI(b.seq)};
            if ((rc = sq_run(s, "UPDATE batches SET indexed = ? WHERE kind = 0 AND seq = ?", v, 2,
                             NULL, e)) ||
                (done + k == b.size &&
                 (rc = sq_run(s, "DELETE FROM runs WHERE batch_seq = ?", w, 1, NULL, e))) ||
                (rc = sq_commit(s, e)))
                goto fail;
            continue;
        fail:
            sqlite3_finalize(ins);
            sqlite3_finalize(get);
            ins = get = NULL;
            sq_rollback(s);
        }
        free(rows);
        return rc;
    }
}

err_code sq_index_frozen(struct store *s, struct err *e)
{
    /* The frozen batches not all in credential_index, oldest first, and
     * whether each has its run. */
    sqlite3_stmt *st;
    struct pend {
        struct store_batch b;
        bool run, started; /* started: partly merged already (a crash stopped it) */
    } *v = NULL;
    size_t n = 0, runs = 0;
    err_code rc = sq_prepare(s, "SELECT seq, size, first_id, EXISTS (SELECT 1 FROM runs WHERE "
                                "batch_seq = seq), indexed FROM batches WHERE kind = 0 AND state <> 0 AND "
                                "indexed < size ORDER BY seq", &st, e);
    if (rc)
        return rc;
    int r;
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        if (n % 16 == 0) {
            struct pend *nv = realloc(v, (n + 16) * sizeof *nv);
            if (!nv) {
                rc = err_set(e, E_NOMEM, "out of memory");
                break;
            }
            v = nv;
        }
        v[n] = (struct pend){.b = {.seq = (uint64_t)sqlite3_column_int64(st, 0),
                                   .size = (uint64_t)sqlite3_column_int64(st, 1),
                                   .first_id = sqlite3_column_int64(st, 2)},
                             .run = sqlite3_column_int(st, 3) != 0,
                             .started = sqlite3_column_int64(st, 4) > 0};
        n++;
    }
    if (!rc && r != SQLITE_DONE)
        rc = sq_dberr(s, e, "read batches");
    sqlite3_finalize(st);
    /* First make every batch findable on disk: a run each (one sequential
     * write), or its rows in credential_index if it is small or its merge
     * was under way. (run_write writes nothing if another process was
     * first: then that one wrote the run or started the merge, and either
     * way the batch is findable; merge() below finishes it then.) */
    for (size_t i = 0; i < n && !rc; i++) {
        if (!v[i].run && !v[i].started && v[i].b.size > SQ_RUN_MIN &&
            !(rc = run_write(s, &v[i].b, e)))
            v[i].run = true;
        if (rc)
            break;
        if (!v[i].run || v[i].started) { /* small, or a merge to finish */
            if ((rc = merge(s, v[i].b, e)))
                break;
            v[i].run = false;
        }
        runs += v[i].run;
    }
    /* Then keep the runs a lookup has to visit few: merge the oldest. */
    for (size_t i = 0; i < n && !rc && runs > SQ_RUNS_KEEP; i++)
        if (v[i].run && !(rc = merge(s, v[i].b, e)))
            runs--;
    free(v);
    return rc;
}
