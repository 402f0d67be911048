/*
 * notary/store/sqlite_index.c — submissions and the hash index of the SQLite
 * engine (notary/store/sqlite_impl.h).
 *
 * Submissions (migration 5) are appended as *chunks*: one row per run of up
 * to CHUNK_MAX hashes of one commit, the hashes packed in a blob, so a
 * commit writes about 33 bytes per hash, sequentially. Random inserts into a
 * B-tree keyed by hash (the UNIQUE column this replaced) dirtied about one
 * 4 KB page per hash once the index outgrew a commit, which capped bulk
 * submission at ~90k hashes/s. The hash → row index has three parts, and
 * a row only ever moves forward through them:
 *   - an in-memory index (notary/store/hashidx.h) of the rows in no on-disk
 *     part yet — the open batch and any frozen batch without a run that is
 *     not fully in credential_index — or of every row once store_index_all
 *     was called; built from the chunks when a process first needs it,
 *     shared by all handles of one process on one file, caught up from the
 *     chunks table (ids are contiguous and only grow) before every use, and
 *     only a hint: each candidate is confirmed against the stored hash;
 *   - sorted runs (table `runs`, sqlite_runs.c): at close, after the root
 *     is stored, a batch's hashes and leaf indexes sorted, in blocks, in
 *     one sequential transaction (1M hashes: ~36 MB, a fraction of a
 *     second); a lookup seeks one block per run;
 *   - credential_index, a B-tree keyed by hash: small batches go straight
 *     into it; runs are merged into it, oldest first, in slices of
 *     INDEX_SLICE rows (batches.indexed = progress), only while more than
 *     SQ_RUNS_KEEP runs wait, and a run is deleted in the commit that
 *     completes its merge. Merging dirties about one index page per hash
 *     once the index is much larger than the batch: that cost is what the
 *     runs keep out of the close.
 * The in-memory index keeps 32-bit ids relative to its first row: past 2^32
 * rows in all, store_index_all falls back to the rows not yet on disk.
 */
#include "notary/store/sqlite_impl.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "notary/store/hashidx.h"

/* Hashes per chunk row: a commit of more writes several rows. Small enough
 * that reading one hash back (a duplicate's check) walks few overflow pages. */
#define CHUNK_MAX 8192
/* How many hashes ahead a submission asks for the in-memory index's slots
 * (hashidx_prefetch): enough misses in flight to cover a memory latency
 * (a 40k-hash commit's lookups: 12.1 → 9.8 ms here, hashidx_next from 34%
 * to 9% of the writer's CPU). */
#define PREFETCH_AHEAD 16

/* ---- the per-process registry of in-memory hash indexes ------------------- */

static pthread_mutex_t g_shared_lock = PTHREAD_MUTEX_INITIALIZER;
static struct sq_shared *g_shared;

/* Find or create the shared index record of this handle's file. */
err_code sq_shared_attach(struct store *s, struct err *e)
{
    char real[PATH_MAX];
    if (!realpath(SQ(s)->path, real)) /* no file (":memory:"): the name is the key */
        snprintf(real, sizeof real, "%s", SQ(s)->path);
    pthread_mutex_lock(&g_shared_lock);
    struct sq_shared *sh = g_shared;
    while (sh && strcmp(sh->key, real) != 0)
        sh = sh->next;
    if (!sh) {
        sh = calloc(1, sizeof *sh);
        if (!sh || !(sh->key = strdup(real))) {
            free(sh);
            pthread_mutex_unlock(&g_shared_lock);
            return err_set(e, E_NOMEM, "out of memory");
        }
        pthread_rwlock_init(&sh->lock, NULL);
        pthread_mutex_init(&sh->tmu, NULL);
        pthread_cond_init(&sh->tcv, NULL);
        sh->next = g_shared;
        g_shared = sh;
    }
    sh->refs++;
    SQ(s)->sh = sh;
    pthread_mutex_unlock(&g_shared_lock);
    return E_OK;
}

void sq_shared_detach(struct sq_shared *sh)
{
    if (!sh)
        return;
    pthread_mutex_lock(&g_shared_lock);
    if (--sh->refs == 0) {
        struct sq_shared **pp = &g_shared;
        while (*pp != sh)
            pp = &(*pp)->next;
        *pp = sh->next;
        hashidx_free(sh->idx);
        pthread_rwlock_destroy(&sh->lock);
        pthread_mutex_destroy(&sh->tmu);
        pthread_cond_destroy(&sh->tcv);
        free(sh->key);
        free(sh);
    }
    pthread_mutex_unlock(&g_shared_lock);
}

/* ---- submissions ---------------------------------------------------------- */

/* The row id the next submitted hash gets: one past the last chunk. */
static err_code next_id(struct store *s, int64_t *id, struct err *e)
{
    sqlite3_stmt *st;
    err_code rc = sq_prepare(s, "SELECT id + n FROM chunks ORDER BY id DESC LIMIT 1", &st, e);
    if (rc)
        return rc;
    int r = sqlite3_step(st);
    if (r == SQLITE_ROW)
        *id = sqlite3_column_int64(st, 0);
    else if (r == SQLITE_DONE)
        *id = 0;
    else
        rc = sq_dberr(s, e, "read the last submission");
    sqlite3_finalize(st);
    return rc;
}

/* One stored hash, read back by row id. */
struct row {
    struct hash32 hash;
    uint8_t hashing;
    uint64_t batch_seq;
    int64_t submitted_at;
    int64_t batch_first_id;
};

static err_code blob_read(struct store *s, const char *column, int64_t rowid, void *out, int len,
                          int offset, struct err *e)
{
    sqlite3_blob *b = NULL;
    int r = sqlite3_blob_open(SQ(s)->db, "main", "chunks", column, rowid, 0, &b);
    if (r == SQLITE_OK)
        r = sqlite3_blob_read(b, out, len, offset);
    if (b && sqlite3_blob_close(b) != SQLITE_OK && r == SQLITE_OK)
        r = SQLITE_ERROR;
    return r == SQLITE_OK ? E_OK : sq_dberr(s, e, "read a stored hash");
}

/* The hash stored at row `id`; *found = false if there is none. */
static err_code row_at(struct store *s, int64_t id, struct row *out, bool *found, struct err *e)
{
    *found = false;
    sqlite3_stmt *st;
    err_code rc = sq_prepare(s, "SELECT c.id, c.n, c.batch_seq, c.submitted_at, b.first_id "
                                "FROM chunks c JOIN batches b ON b.kind = 0 AND "
                                "b.seq = c.batch_seq WHERE c.id <= ? ORDER BY c.id DESC LIMIT 1",
                             &st, e);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, id);
    int r = sqlite3_step(st);
    if (r == SQLITE_ROW) {
        int64_t cid = sqlite3_column_int64(st, 0), n = sqlite3_column_int64(st, 1);
        if (id < cid + n) {
            out->batch_seq = (uint64_t)sqlite3_column_int64(st, 2);
            out->submitted_at = sqlite3_column_int64(st, 3);
            out->batch_first_id = sqlite3_column_int64(st, 4);
            if (!(rc = blob_read(s, "hashes", cid, out->hash.b, 32, (int)(id - cid) * 32, e)) &&
                !(rc = blob_read(s, "hashing", cid, &out->hashing, 1, (int)(id - cid), e)))
                *found = true;
        }
    } else if (r != SQLITE_DONE) {
        rc = sq_dberr(s, e, "read a stored hash");
    }
    sqlite3_finalize(st);
    return rc;
}

/* Ids the in-memory index can hold (lowered by tests). */
static uint64_t g_idx_max = HASHIDX_MAX_ID;

void store_sqlite_set_index_limit(uint64_t max_id)
{
    g_idx_max = max_id ? max_id : HASHIDX_MAX_ID;
}

/* Under sh->lock held for writing: make the in-memory index cover the rows
 * from sh->from (0 if it covers everything, else the open batch's first
 * row) to the last chunk this connection sees. */
static err_code idx_sync(struct store *s, struct err *e)
{
    struct sq_shared *sh = SQ(s)->sh;
    err_code rc;
    int64_t from = 0;
    if (!sh->all) {
        /* The first row not in credential_index, else the next row to come;
         * one statement, so both come from one snapshot. */
        sqlite3_stmt *q;
        if ((rc = sq_prepare(s, "SELECT coalesce((SELECT min(first_id) FROM batches WHERE kind = 0 "
                                "AND (state = 0 OR (indexed < size AND NOT EXISTS (SELECT 1 FROM runs WHERE "
                                "runs.batch_seq = batches.seq)))), (SELECT id + n FROM chunks "
                                "ORDER BY id DESC LIMIT 1), 0)", &q, e)))
            return rc;
        if (sqlite3_step(q) == SQLITE_ROW)
            from = sqlite3_column_int64(q, 0);
        else
            rc = sq_dberr(s, e, "read batches");
        sqlite3_finalize(q);
        if (rc)
            return rc;
    }
    if (!sh->idx && (rc = hashidx_new(&sh->idx, e)))
        return rc;
    if (!sh->valid || from != sh->from) {
        hashidx_clear(sh->idx);
        sh->from = sh->upto = from;
        sh->valid = true;
    }
    sqlite3_stmt *st;
    if ((rc = sq_prepare(s, "SELECT id, n, hashes FROM chunks WHERE id >= ? ORDER BY id", &st,
                         e))) {
        sh->valid = false;
        return rc;
    }
    sqlite3_bind_int64(st, 1, sh->upto);
    int r;
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(st, 0), n = sqlite3_column_int64(st, 1);
        const uint8_t *p = sqlite3_column_blob(st, 2);
        if (id != sh->upto || n <= 0 || !p || sqlite3_column_bytes(st, 2) != 32 * n) {
            rc = err_set(e, E_STATE, "%s: the stored submissions are not contiguous at row %lld",
                         SQ(s)->path, (long long)sh->upto);
            break;
        }
        if ((uint64_t)(id + n - sh->from) > g_idx_max + 1) {
            rc = E_LIMIT; /* idx_fit decides what to do */
            break;
        }
        if ((rc = hashidx_reserve(sh->idx, (uint64_t)n, e)))
            break;
        for (int64_t i = 0; i < n && !rc; i++)
            rc = hashidx_add(sh->idx, (const struct hash32 *)(p + 32 * i), id + i - sh->from, e);
        if (rc)
            break;
        sh->upto = id + n;
    }
    if (!rc && r != SQLITE_DONE)
        rc = sq_dberr(s, e, "read the stored submissions");
    sqlite3_finalize(st);
    if (rc)
        sh->valid = false;
    return rc;
}

/* Under sh->lock: idx_sync, with room for `more` rows after the last. The
 * index keeps 32-bit ids relative to sh->from: when every row no longer
 * fits, it falls back to covering only the rows not on disk. */
static err_code idx_fit(struct store *s, uint64_t more, struct err *e)
{
    struct sq_shared *sh = SQ(s)->sh;
    err_code rc = idx_sync(s, e);
    if ((rc == E_LIMIT || (!rc && (uint64_t)(sh->upto - sh->from) + more > g_idx_max)) &&
        sh->all) {
        sh->all = false;
        sh->valid = false;
        rc = idx_sync(s, e);
    }
    if (rc == E_LIMIT || (!rc && (uint64_t)(sh->upto - sh->from) + more > g_idx_max))
        return err_set(e, E_LIMIT, "%s: more than %llu hashes are not yet in the on-disk index "
                                   "(close the batch)", SQ(s)->path,
                       (unsigned long long)g_idx_max);
    return rc;
}

/* Under sh->lock, after idx_sync: the row holding `h` among those the
 * in-memory index covers. Rows [pend_from, pend_from + npend) are being
 * added by the caller and not written yet: they are compared with pend[]. */
static err_code idx_lookup(struct store *s, const struct hash32 *h, const struct hash32 *pend,
                           int64_t pend_from, int64_t npend, int64_t *id, struct row *row,
                           bool *found, struct err *e)
{
    struct sq_shared *sh = SQ(s)->sh;
    struct hashidx_iter it;
    int64_t cand;
    *found = false;
    hashidx_find(sh->idx, h, &it);
    while (hashidx_next(sh->idx, &it, &cand)) {
        cand += sh->from;
        if (cand >= pend_from && cand < pend_from + npend) {
            if (memcmp(pend[cand - pend_from].b, h->b, 32) == 0) {
                *id = cand;
                *found = true;
                return E_OK;
            }
            continue;
        }
        bool there;
        err_code rc = row_at(s, cand, row, &there, e);
        if (rc)
            return rc;
        if (there && hash32_eq(&row->hash, h)) {
            *id = cand;
            *found = true;
            return E_OK;
        }
    }
    return E_OK;
}

#define INDEX_GET_SQL                                                                              \
    "SELECT c.hashing, c.batch_seq, c.id - b.first_id, c.submitted_at FROM credential_index c "    \
    "JOIN batches b ON b.kind = 0 AND b.seq = c.batch_seq WHERE c.hash = ?"

/* Step a prepared INDEX_GET_SQL for `h` (then reset it). */
static err_code index_get(struct store *s, sqlite3_stmt *st, const struct hash32 *h,
                          struct store_credential *out, bool *found, struct err *e)
{
    sqlite3_bind_blob(st, 1, h->b, 32, SQLITE_STATIC);
    int r = sqlite3_step(st);
    err_code rc = E_OK;
    *found = r == SQLITE_ROW;
    if (r == SQLITE_ROW) {
        out->hash = *h;
        out->hashing = (enum credential_hashing)sqlite3_column_int(st, 0);
        out->batch_seq = (uint64_t)sqlite3_column_int64(st, 1);
        out->leaf_index = (uint64_t)sqlite3_column_int64(st, 2);
        out->submitted_at = sqlite3_column_int64(st, 3);
    } else if (r != SQLITE_DONE) {
        rc = sq_dberr(s, e, "read credential");
    }
    sqlite3_reset(st);
    return rc;
}

static void idx_invalidate(struct store *s)
{
    pthread_rwlock_wrlock(&SQ(s)->sh->lock);
    SQ(s)->sh->valid = false;
    pthread_rwlock_unlock(&SQ(s)->sh->lock);
}

/* ---- sorted runs ---------------------------------------------------------- */

/* The frozen batches not (fully) in credential_index: each has a sorted run
 * (its rows are not in the in-memory index) unless it is older than the
 * in-memory index's first row. *out is the caller's to free. */
static err_code runs_load(struct store *s, struct sq_runs *out, struct err *e)
{
    free(out->v);
    *out = (struct sq_runs){0};
    sqlite3_stmt *st;
    err_code rc = sq_prepare(s, "SELECT seq, first_id FROM batches WHERE kind = 0 AND state <> 0 "
                                "AND indexed < size ORDER BY seq", &st, e);
    if (rc)
        return rc;
    int r;
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        if (out->n % 16 == 0) {
            struct sq_run *v = realloc(out->v, (out->n + 16) * sizeof *v);
            if (!v) {
                rc = err_set(e, E_NOMEM, "out of memory");
                break;
            }
            out->v = v;
        }
        out->v[out->n++] = (struct sq_run){sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1)};
    }
    if (!rc && r != SQLITE_DONE)
        rc = sq_dberr(s, e, "read batches");
    sqlite3_finalize(st);
    return rc;
}

/* The row holding `h` in one of the runs `rl` lists (*found = false if
 * none): one seek per run to the block that would hold it, a binary search
 * in that block, and the row it names confirmed against the stored hash.
 * *stp is a statement kept between calls (the caller finalizes it). */
static err_code runs_get(struct store *s, sqlite3_stmt **stp, const struct sq_runs *rl,
                         const struct hash32 *h, struct store_credential *out, bool *found,
                         struct err *e)
{
    err_code rc;
    *found = false;
    if (!rl->n)
        return E_OK;
    if (!*stp && (rc = sq_prepare(s, "SELECT keys FROM runs WHERE batch_seq = ?1 AND lo <= ?2 "
                                     "ORDER BY lo DESC LIMIT 1", stp, e)))
        return rc;
    sqlite3_stmt *st = *stp;
    for (size_t k = 0; k < rl->n && !*found; k++) {
        sqlite3_bind_int64(st, 1, rl->v[k].seq);
        sqlite3_bind_blob(st, 2, h->b, 32, SQLITE_STATIC);
        int r = sqlite3_step(st);
        int64_t leaf = -1;
        if (r == SQLITE_ROW) {
            const uint8_t *keys = sqlite3_column_blob(st, 0);
            uint64_t n = (uint64_t)sqlite3_column_bytes(st, 0) / RUN_KEY, lo = 0, hi = n;
            while (lo < hi) {
                uint64_t mid = lo + (hi - lo) / 2;
                if (memcmp(keys + RUN_KEY * mid, h->b, 32) < 0)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            if (lo < n && memcmp(keys + RUN_KEY * lo, h->b, 32) == 0) {
                const uint8_t *p = keys + RUN_KEY * lo + 32;
                leaf = (int64_t)((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
                                 (uint32_t)p[2] << 8 | p[3]);
            }
        } else if (r != SQLITE_DONE) {
            rc = sq_dberr(s, e, "read the hash index");
            sqlite3_reset(st);
            return rc;
        }
        sqlite3_reset(st);
        if (leaf < 0)
            continue;
        struct row row;
        bool there;
        if ((rc = row_at(s, rl->v[k].first + leaf, &row, &there, e)))
            return rc;
        if (there && hash32_eq(&row.hash, h) && row.batch_seq == (uint64_t)rl->v[k].seq) {
            *out = (struct store_credential){.hash = *h,
                                             .hashing = (enum credential_hashing)row.hashing,
                                             .batch_seq = row.batch_seq,
                                             .leaf_index = (uint64_t)leaf,
                                             .submitted_at = row.submitted_at};
            *found = true;
        }
    }
    return E_OK;
}

err_code sq_submit(struct store *s, const struct hash32 *hashes,
                   const enum credential_hashing *hashing, size_t n,
                   struct store_submitted *out,
                   void (*progress)(uint64_t done, uint64_t total, void *arg), void *arg,
                   struct err *e)
{
    struct sq_shared *sh = SQ(s)->sh;
    struct hash32 *pend = malloc((n ? n : 1) * sizeof *pend);
    uint8_t *pend_how = malloc(n ? n : 1);
    if (!pend || !pend_how) {
        free(pend);
        free(pend_how);
        return err_set(e, E_NOMEM, "out of memory for %zu hashes", n);
    }
    bool locked = false, touched = false;
    sqlite3_stmt *ins = NULL, *get = NULL, *upd = NULL, *rget = NULL;
    struct sq_runs runs = {0};
    err_code rc = sq_begin(s, e);
    if (rc)
        goto out;
    struct store_batch open;
    int64_t now = (int64_t)time(NULL);
    rc = sq_batch_open_get(s, BATCH_ISSUANCE, &open, e);
    if (rc == E_NOT_FOUND) {
        err_clear(e);
        uint64_t seq = 0;
        int64_t first = 0;
        sqlite3_stmt *mk;
        if ((rc = sq_next_seq(s, BATCH_ISSUANCE, &seq, e)) || (rc = next_id(s, &first, e)) ||
            (rc = sq_prepare(s, "INSERT INTO batches(kind, seq, state, size, first_id, opened_at) "
                                "VALUES(0, ?, 0, 0, ?, ?)", &mk, e)))
            goto fail;
        sqlite3_bind_int64(mk, 1, (int64_t)seq);
        sqlite3_bind_int64(mk, 2, first);
        sqlite3_bind_int64(mk, 3, now);
        rc = sqlite3_step(mk) == SQLITE_DONE ? E_OK : sq_dberr(s, e, "open batch");
        sqlite3_finalize(mk);
        if (rc || (rc = sq_batch_open_get(s, BATCH_ISSUANCE, &open, e)))
            goto fail;
    } else if (rc) {
        goto fail;
    }
    const int64_t group_from = open.first_id + (int64_t)open.size;
    pthread_rwlock_wrlock(&sh->lock);
    locked = true;
    if ((rc = idx_fit(s, n, e)))
        goto fail;
    if ((rc = hashidx_reserve(sh->idx, n, e))) { /* the index is unchanged: keep it */
        pthread_rwlock_unlock(&sh->lock);
        locked = false;
        goto fail;
    }
    if (sh->upto != group_from) {
        rc = err_set(e, E_STATE, "%s: the open batch %llu ends at row %lld but the stored "
                                 "submissions at row %lld", SQ(s)->path,
                     (unsigned long long)open.seq, (long long)group_from, (long long)sh->upto);
        goto fail;
    }
    /* Rows before sh->from (frozen batches) are looked up on disk unless the
     * in-memory index covers everything. */
    if (sh->from > 0 && ((rc = sq_prepare(s, INDEX_GET_SQL, &get, e)) ||
                         (rc = runs_load(s, &runs, e))))
        goto fail;
    int64_t npend = 0;
    for (size_t i = 0; i < n && i < PREFETCH_AHEAD; i++)
        hashidx_prefetch(sh->idx, &hashes[i]);
    for (size_t i = 0; i < n; i++) {
        if (i + PREFETCH_AHEAD < n) /* overlap the next lookups' cache misses with this one */
            hashidx_prefetch(sh->idx, &hashes[i + PREFETCH_AHEAD]);
        int64_t id;
        struct row row;
        bool found;
        if ((rc = idx_lookup(s, &hashes[i], pend, group_from, npend, &id, &row, &found, e)))
            goto fail;
        struct store_submitted r = {.existed = true};
        if (found && id >= group_from) {
            r.batch_seq = open.seq;
            r.leaf_index = (uint64_t)(id - open.first_id);
        } else if (found) {
            r.batch_seq = row.batch_seq;
            r.leaf_index = (uint64_t)(id - row.batch_first_id);
        } else if (get) {
            struct store_credential c;
            if ((rc = index_get(s, get, &hashes[i], &c, &found, e)) ||
                (!found && (rc = runs_get(s, &rget, &runs, &hashes[i], &c, &found, e))))
                goto fail;
            r.batch_seq = c.batch_seq;
            r.leaf_index = c.leaf_index;
        }
        if (!found) {
            touched = true;
            if ((rc = hashidx_add(sh->idx, &hashes[i], group_from + npend - sh->from, e)))
                goto fail;
            pend[npend] = hashes[i];
            pend_how[npend] = (uint8_t)(hashing ? hashing[i] : CRED_HASH_GIVEN);
            r = (struct store_submitted){.batch_seq = open.seq,
                                         .leaf_index = open.size + (uint64_t)npend};
            npend++;
        }
        if (out)
            out[i] = r;
        if (progress && (i & 0xffff) == 0xffff)
            progress(i + 1, n, arg);
    }
    sh->upto = group_from + npend;
    pthread_rwlock_unlock(&sh->lock);
    locked = false;
    /* Readers may meet the new rows' index entries before the commit: they
     * confirm each against the table, where the rows are not visible yet. */
    if ((rc = sq_prepare(s, "INSERT INTO chunks(id, batch_seq, n, hashes, hashing, submitted_at) "
                            "VALUES(?, ?, ?, ?, ?, ?)", &ins, e)))
        goto fail;
    for (int64_t at = 0; at < npend; at += CHUNK_MAX) {
        int64_t k = npend - at < CHUNK_MAX ? npend - at : CHUNK_MAX;
        sqlite3_bind_int64(ins, 1, group_from + at);
        sqlite3_bind_int64(ins, 2, (int64_t)open.seq);
        sqlite3_bind_int64(ins, 3, k);
        sqlite3_bind_blob(ins, 4, pend + at, (int)(32 * k), SQLITE_STATIC);
        sqlite3_bind_blob(ins, 5, pend_how + at, (int)k, SQLITE_STATIC);
        sqlite3_bind_int64(ins, 6, now);
        if (sqlite3_step(ins) != SQLITE_DONE) {
            rc = sq_dberr(s, e, "store credentials");
            goto fail;
        }
        sqlite3_reset(ins);
    }
    if ((rc = sq_prepare(s, "UPDATE batches SET size = ? WHERE kind = 0 AND seq = ?", &upd, e)))
        goto fail;
    sqlite3_bind_int64(upd, 1, (int64_t)open.size + npend);
    sqlite3_bind_int64(upd, 2, (int64_t)open.seq);
    if (sqlite3_step(upd) != SQLITE_DONE) {
        rc = sq_dberr(s, e, "update batch size");
        goto fail;
    }
    if ((rc = sq_commit(s, e)))
        goto fail;
    if (progress)
        progress(n, n, arg);
    goto out;
fail:
    if (locked) {
        sh->valid = false;
        pthread_rwlock_unlock(&sh->lock);
    } else if (touched) {
        idx_invalidate(s); /* its entries name rows that were never committed */
    }
    sq_rollback(s);
out:
    sqlite3_finalize(ins);
    sqlite3_finalize(get);
    sqlite3_finalize(upd);
    sqlite3_finalize(rget);
    free(runs.v);
    free(pend);
    free(pend_how);
    return rc;
}

err_code sq_credential_get(struct store *s, const struct hash32 *hash,
                           struct store_credential *out, struct err *e)
{
    sqlite3_stmt *st, *rget = NULL;
    struct sq_runs runs = {0};
    bool found = false;
    err_code rc = sq_prepare(s, INDEX_GET_SQL, &st, e);
    if (rc)
        return rc;
    rc = index_get(s, st, hash, out, &found, e);
    if (!rc && !found && !(rc = runs_load(s, &runs, e)))
        rc = runs_get(s, &rget, &runs, hash, out, &found, e);
    if (!rc && !found) { /* not in a frozen batch: maybe in the open one */
        struct sq_shared *sh = SQ(s)->sh;
        int64_t id;
        struct row row;
        pthread_rwlock_wrlock(&sh->lock);
        if (!(rc = idx_fit(s, 0, e)))
            rc = idx_lookup(s, hash, NULL, 0, 0, &id, &row, &found, e);
        pthread_rwlock_unlock(&sh->lock);
        /* Rows only move forward: from the in-memory part to a sorted run,
         * from a run to credential_index (the run is deleted in the same
         * commit as its last rows reach the index). One that moved since
         * the looks above is found by looking again in that order. */
        if (!rc && !found) {
            if (!(rc = runs_load(s, &runs, e)) &&
                !(rc = runs_get(s, &rget, &runs, hash, out, &found, e)) && !found)
                rc = index_get(s, st, hash, out, &found, e);
        } else if (!rc && found) {
            *out = (struct store_credential){.hash = *hash,
                                             .hashing = (enum credential_hashing)row.hashing,
                                             .batch_seq = row.batch_seq,
                                             .leaf_index = (uint64_t)(id - row.batch_first_id),
                                             .submitted_at = row.submitted_at};
        }
    }
    sqlite3_finalize(st);
    sqlite3_finalize(rget);
    free(runs.v);
    if (!rc && !found)
        rc = err_set(e, E_NOT_FOUND, "credential never submitted");
    return rc;
}

err_code sq_index_all(struct store *s, struct err *e)
{
    struct sq_shared *sh = SQ(s)->sh;
    pthread_rwlock_wrlock(&sh->lock);
    if (!sh->all) {
        sh->all = true;
        sh->valid = false;
    }
    err_code rc = idx_fit(s, 0, e);
    pthread_rwlock_unlock(&sh->lock);
    return rc;
}

/* Call `each` for every chunk of rows [first, first + size), in order,
 * checking they are exactly those rows. */
err_code sq_chunks_walk(struct store *s, uint64_t seq, int64_t first, uint64_t size,
                            void (*each)(void *arg, uint64_t at, const uint8_t *hashes,
                                         const uint8_t *hashing, uint64_t n, int64_t submitted_at),
                            void *arg, struct err *e)
{
    sqlite3_stmt *st;
    err_code rc = sq_prepare(s, "SELECT id, n, hashes, hashing, submitted_at FROM chunks "
                                "WHERE id >= ?1 AND id < ?2 ORDER BY id", &st, e);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, first);
    sqlite3_bind_int64(st, 2, first + (int64_t)size);
    uint64_t at = 0;
    int r;
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(st, 0), n = sqlite3_column_int64(st, 1);
        const uint8_t *h = sqlite3_column_blob(st, 2);
        int hbytes = sqlite3_column_bytes(st, 2);
        const uint8_t *how = sqlite3_column_blob(st, 3);
        /* Leaves must be exactly 0..size-1: anything else is a corrupt store. */
        if (id != first + (int64_t)at || n <= 0 || at + (uint64_t)n > size || !h ||
            hbytes != 32 * n || !how || sqlite3_column_bytes(st, 3) != n) {
            rc = err_set(e, E_STATE, "%s: batch %llu is inconsistent at leaf %llu", SQ(s)->path,
                         (unsigned long long)seq, (unsigned long long)at);
            break;
        }
        each(arg, at, h, how, (uint64_t)n, sqlite3_column_int64(st, 4));
        at += (uint64_t)n;
    }
    if (!rc && r != SQLITE_DONE)
        rc = sq_dberr(s, e, "read batch leaves");
    if (!rc && at != size)
        rc = err_set(e, E_STATE, "%s: batch %llu has %llu leaves, expected %llu", SQ(s)->path,
                     (unsigned long long)seq, (unsigned long long)at, (unsigned long long)size);
    sqlite3_finalize(st);
    return rc;
}

struct leaves_out {
    struct hash32 *h;
    uint8_t *how;
};

static void leaves_each(void *arg, uint64_t at, const uint8_t *hashes, const uint8_t *hashing,
                        uint64_t n, int64_t submitted_at)
{
    struct leaves_out *o = arg;
    (void)submitted_at;
    memcpy(o->h + at, hashes, 32 * n);
    if (o->how)
        memcpy(o->how + at, hashing, n);
}

err_code sq_batch_leaves(struct store *s, const struct store_batch *b, struct hash32 *hashes,
                         uint8_t *hashing, struct err *e)
{
    struct leaves_out o = {hashes, hashing};
    return sq_chunks_walk(s, b->seq, b->first_id, b->size, leaves_each, &o, e);
}

err_code sq_batch_scan(struct store *s, const struct store_batch *b, struct hash32 **out,
                       uint64_t *n, struct err *e)
{
    sqlite3_stmt *st;
    err_code rc = sq_prepare(s, "SELECT hashes FROM chunks WHERE id >= ?1 AND id < ?2 AND "
                                "batch_seq = ?3 ORDER BY id", &st, e);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, b->first_id);
    sqlite3_bind_int64(st, 2, b->first_id + (int64_t)b->size);
    sqlite3_bind_int64(st, 3, (int64_t)b->seq);
    struct hash32 *h = NULL;
    uint64_t k = 0, cap = 0;
    int r;
    while (!rc && (r = sqlite3_step(st)) == SQLITE_ROW) {
        const uint8_t *p = sqlite3_column_blob(st, 0);
        uint64_t m = (uint64_t)sqlite3_column_bytes(st, 0) / 32; /* whole hashes only */
        if (k + m > cap) {
            uint64_t ncap = cap ? cap : (b->size ? b->size : 1);
            while (ncap < k + m)
                ncap *= 2;
            struct hash32 *nh = realloc(h, ncap * sizeof *nh);
            if (!nh) {
                rc = err_set(e, E_NOMEM, "out of memory for %llu leaves", (unsigned long long)ncap);
                break;
            }
            h = nh;
            cap = ncap;
        }
        if (m)
            memcpy(h + k, p, 32 * m);
        k += m;
    }
    if (!rc && r != SQLITE_DONE)
        rc = sq_dberr(s, e, "read batch leaves");
    sqlite3_finalize(st);
    if (rc || !k) {
        free(h);
        h = NULL;
        k = 0;
    }
    *out = h;
    *n = k;
    return rc;
}

err_code sq_batch_leaves_range(struct store *s, const struct store_batch *b, uint64_t from,
                               uint64_t count, struct hash32 *hashes, uint8_t *hashing,
                               struct err *e)
{
    int64_t lo = b->first_id + (int64_t)from, hi = lo + (int64_t)count;
    sqlite3_stmt *st;
    /* From the chunk holding row `lo` (the last that starts at or before it). */
    err_code rc = sq_prepare(s, "SELECT id, n, hashes, hashing, batch_seq FROM chunks WHERE id >= "
                                "coalesce((SELECT id FROM chunks WHERE id <= ?1 ORDER BY id DESC "
                                "LIMIT 1), ?1) AND id < ?2 ORDER BY id", &st, e);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, lo);
    sqlite3_bind_int64(st, 2, hi);
    int64_t at = lo; /* the next row we need */
    int r = SQLITE_ROW;
    while (at < hi && (r = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(st, 0), n = sqlite3_column_int64(st, 1);
        const uint8_t *h = sqlite3_column_blob(st, 2);
        const uint8_t *how = sqlite3_column_blob(st, 3);
        /* The rows must be exactly the batch's, without a gap. */
        if (id > at || n <= 0 || id + n <= at || !h || sqlite3_column_bytes(st, 2) != 32 * n ||
            !how || sqlite3_column_bytes(st, 3) != n ||
            (uint64_t)sqlite3_column_int64(st, 4) != b->seq)
            break;
        int64_t end = id + n < hi ? id + n : hi;
        memcpy(hashes + (at - lo), h + 32 * (at - id), (size_t)(32 * (end - at)));
        if (hashing)
            memcpy(hashing + (at - lo), how + (at - id), (size_t)(end - at));
        at = end;
    }
    if (at < hi && r != SQLITE_ROW && r != SQLITE_DONE)
        rc = sq_dberr(s, e, "read batch leaves");
    else if (at < hi)
        rc = err_set(e, E_STATE, "%s: batch %llu is inconsistent at leaf %llu", SQ(s)->path,
                     (unsigned long long)b->seq, (unsigned long long)(at - b->first_id));
    sqlite3_finalize(st);
    return rc;
}

