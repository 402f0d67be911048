/*
 * notary/store/store_pg.c — the PostgreSQL engine of notary/store/store.h (libpq), for
 * several notary instances on one database: the statements of each store_*
 * call. The connection, transactions, advisory locks and schema migrations
 * are in notary/store/pg_conn.c (private header notary/store/pg_impl.h);
 * pg_conn.c also says how concurrent instances stay correct.
 *
 * Schema: the same tables, columns and migration numbering as
 * notary/store/sqlite_schema.c (BYTEA for BLOB, BIGINT for 64-bit integers, a
 * plpgsql trigger function for the append-only revocation log).
 */
#include "notary/store/pg_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- store_ops for store.c's transactions ------------------------------------ */

static const char *pg_where(struct store *s) { return PG(s)->label; }

static err_code pg_tx_begin(struct store *s, bool membership, struct err *e)
{
    return pg_begin(PG(s), membership, e);
}

static err_code pg_tx_commit(struct store *s, struct err *e) { return pg_commit(PG(s), e); }

static void pg_tx_rollback(struct store *s) { pg_rollback(PG(s)); }

/* ---- meta ------------------------------------------------------------------ */

static err_code pg_meta_get(struct store *s, const char *key, char **value, struct err *e)
{
    *value = NULL;
    struct params p = {0};
    pg_p_text(&p, key);
    PGresult *r;
    err_code rc = pg_q(PG(s), "SELECT value FROM meta WHERE key = $1", &p, &r, "read setting", e);
    if (rc)
        return rc;
    if (PQntuples(r) == 1) {
        *value = strdup(PQgetvalue(r, 0, 0));
        rc = *value ? E_OK : err_set(e, E_NOMEM, "out of memory");
    } else {
        rc = err_set(e, E_NOT_FOUND, "postgresql %s: setting '%s' is not configured",
                     PG(s)->where, key);
    }
    PQclear(r);
    return rc;
}

static err_code pg_meta_set(struct store *s, const char *key, const char *value, struct err *e)
{
    struct params p = {0};
    pg_p_text(&p, key);
    pg_p_text(&p, value);
    return pg_q(PG(s), "INSERT INTO meta(key, value) VALUES($1, $2) "
                       "ON CONFLICT(key) DO UPDATE SET value = excluded.value", &p, NULL,
                "write setting", e);
}

/* ---- batches ----------------------------------------------------------------- */

#define BATCH_COLS                                                                                 \
    "kind, seq, state, size, root, opened_at, closed_at, tx_hash, nonce, sent_at, block_number, "  \
    "block_hash, block_time, anchored_at, last_error, first_id"

/* One element of `size` bytes per row of `r`, zeroed, then filled by `fill`,
 * in an array that is the caller's to free on E_OK (*out; NULL if no rows;
 * *n elements). Clears `r` in every case. */
static err_code collect(PGresult *r, size_t size,
                        void (*fill)(const PGresult *r, int i, void *elem), void **out, size_t *n,
                        struct err *e)
{
    *out = NULL;
    *n = 0;
    int rows = PQntuples(r);
    char *arr = NULL;
    if (rows > 0 && !(arr = calloc((size_t)rows, size))) {
        PQclear(r);
        return err_set(e, E_NOMEM, "out of memory");
    }
    for (int i = 0; i < rows; i++)
        fill(r, i, arr + (size_t)i * size);
    PQclear(r);
    *out = arr;
    *n = (size_t)rows;
    return E_OK;
}

static void row_to_batch(const PGresult *r, int i, void *elem)
{
    struct store_batch *b = elem;
    memset(b, 0, sizeof *b);
    b->kind = (enum batch_kind)pg_gi(r, i, 0);
    b->seq = (uint64_t)pg_gi(r, i, 1);
    b->state = (enum batch_state)pg_gi(r, i, 2);
    b->size = (uint64_t)pg_gi(r, i, 3);
    pg_gblob32(r, i, 4, &b->root, &b->has_root);
    b->opened_at = pg_gi(r, i, 5);
    b->closed_at = pg_gi(r, i, 6);
    pg_gblob32(r, i, 7, &b->tx_hash, &b->has_tx);
    b->nonce = (uint64_t)pg_gi(r, i, 8);
    b->sent_at = pg_gi(r, i, 9);
    b->block_number = (uint64_t)pg_gi(r, i, 10);
    pg_gblob32(r, i, 11, &b->block_hash, NULL);
    b->block_time = pg_gi(r, i, 12);
    b->anchored_at = pg_gi(r, i, 13);
    if (!PQgetisnull(r, i, 14))
        snprintf(b->last_error, sizeof b->last_error, "%s", PQgetvalue(r, i, 14));
    b->first_id = pg_gi(r, i, 15);
}

static err_code batch_query_one(struct pg *g, const char *where, const struct params *p,
                                struct store_batch *out, const char *what, struct err *e)
{
    char sql[512];
    snprintf(sql, sizeof sql, "SELECT " BATCH_COLS " FROM batches WHERE %s", where);
    PGresult *r;
    err_code rc = pg_q(g, sql, p, &r, "read batch", e);
    if (rc)
        return rc;
    if (PQntuples(r) >= 1)
        row_to_batch(r, 0, out);
    else
        rc = err_set(e, E_NOT_FOUND, "%s", what);
    PQclear(r);
    return rc;
}

static err_code pg_batch_open_get(struct store *s, enum batch_kind kind, struct store_batch *out,
                                  struct err *e)
{
    struct params p = {0};
    pg_p_i64(&p, kind);
    return batch_query_one(PG(s), "kind = $1 AND state = 0", &p, out, "no open batch", e);
}

static err_code pg_batch_get(struct store *s, enum batch_kind kind, uint64_t seq,
                             struct store_batch *out, struct err *e)
{
    struct params p = {0};
    pg_p_i64(&p, kind);
    pg_p_i64(&p, (int64_t)seq);
    return batch_query_one(PG(s), "kind = $1 AND seq = $2", &p, out, "no such batch", e);
}

static err_code pg_batch_list(struct store *s, enum batch_kind kind, struct store_batch **out,
                              size_t *n, struct err *e)
{
    *out = NULL;
    *n = 0;
    struct params p = {0};
    pg_p_i64(&p, kind);
    PGresult *r;
    void *rows;
    err_code rc = pg_q(PG(s), "SELECT " BATCH_COLS " FROM batches WHERE kind = $1 ORDER BY seq", &p,
                       &r, "list batches", e);
    if (rc || (rc = collect(r, sizeof **out, row_to_batch, &rows, n, e)))
        return rc;
    *out = rows;
    return E_OK;
}

/* The next seq of `kind` (call under LOCK_MEMBERSHIP). */
static err_code next_seq(struct pg *g, enum batch_kind kind, uint64_t *seq, struct err *e)
{
    struct params p = {0};
    pg_p_i64(&p, kind);
    PGresult *r;
    err_code rc = pg_q(g, "SELECT coalesce(max(seq) + 1, 0) FROM batches WHERE kind = $1", &p, &r,
                       "next sequence number", e);
    if (rc)
        return rc;
    *seq = (uint64_t)pg_gi(r, 0, 0);
    PQclear(r);
    return E_OK;
}

/* ---- submissions ------------------------------------------------------------- */

static err_code pg_submit(struct store *s, const struct hash32 *hashes,
                          const enum credential_hashing *hashing, size_t n,
                          struct store_submitted *out,
                          void (*progress)(uint64_t done, uint64_t total, void *arg), void *arg,
                          struct err *e)
{
    struct pg *g = PG(s);
    int64_t now = (int64_t)time(NULL);
    err_code rc = pg_begin(g, true, e);
    if (rc)
        return rc;
    struct store_batch open;
    rc = pg_batch_open_get(s, BATCH_ISSUANCE, &open, e);
    if (rc == E_NOT_FOUND) {
        err_clear(e);
        uint64_t seq;
        struct params p = {0};
        if ((rc = next_seq(g, BATCH_ISSUANCE, &seq, e)))
            goto fail;
        pg_p_i64(&p, (int64_t)seq);
        pg_p_i64(&p, now);
        if ((rc = pg_q(g, "INSERT INTO batches(kind, seq, state, size, first_id, opened_at) "
                          "VALUES(0, $1, 0, 0, (SELECT coalesce(max(id) + 1, 0) FROM credentials), "
                          "$2)", &p, NULL, "open batch", e)) ||
            (rc = pg_batch_open_get(s, BATCH_ISSUANCE, &open, e)))
            goto fail;
    } else if (rc) {
        goto fail;
    }
    uint64_t added;
    if ((rc = pg_submit_rows(g, &open, hashes, hashing, n, now, out, &added, e)))
        goto fail;
    struct params u = {0};
    pg_p_i64(&u, (int64_t)(open.size + added));
    pg_p_i64(&u, (int64_t)open.seq);
    if ((rc = pg_q(g, "UPDATE batches SET size = $1 WHERE kind = 0 AND seq = $2", &u, NULL,
                   "update batch size", e)) ||
        (rc = pg_commit(g, e)))
        goto fail;
    if (progress)
        progress(n, n, arg);
    return E_OK;
fail:
    pg_rollback(g);
    return rc;
}

static err_code pg_credential_get(struct store *s, const struct hash32 *hash,
                                  struct store_credential *out, struct err *e)
{
    struct params p = {0};
    pg_p_blob(&p, hash->b, 32);
    PGresult *r;
    err_code rc = pg_q(PG(s), "SELECT c.hashing, c.batch_seq, c.id - b.first_id, c.submitted_at "
                              "FROM credentials c JOIN batches b ON b.kind = 0 AND "
                              "b.seq = c.batch_seq WHERE c.hash = $1", &p, &r,
                       "read credential", e);
    if (rc)
        return rc;
    if (PQntuples(r) == 1) {
        out->hash = *hash;
        out->hashing = (enum credential_hashing)pg_gi(r, 0, 0);
        out->batch_seq = (uint64_t)pg_gi(r, 0, 1);
        out->leaf_index = (uint64_t)pg_gi(r, 0, 2);
        out->submitted_at = pg_gi(r, 0, 3);
    } else {
        rc = err_set(e, E_NOT_FOUND, "credential never submitted");
    }
    PQclear(r);
    return rc;
}

static err_code pg_batch_leaves_range(struct store *s, const struct store_batch *b,
                                      uint64_t from, uint64_t count, struct hash32 *h,
                                      uint8_t *how, struct err *e)
{
    struct pg *g = PG(s);
    struct params p = {0};
    pg_p_i64(&p, b->first_id + (int64_t)from);
    pg_p_i64(&p, b->first_id + (int64_t)(from + count));
    PGresult *r;
    err_code rc = pg_q(g, "SELECT id - $1, hash, hashing FROM credentials WHERE id >= $1 AND "
                          "id < $2 ORDER BY id", &p, &r, "read batch leaves", e);
    if (rc)
        return rc;
    uint64_t rows = (uint64_t)PQntuples(r);
    for (uint64_t i = 0; i < rows && !rc; i++) {
        /* Leaves must be exactly 0..size-1: anything else is a corrupt store. */
        if (i >= count || (uint64_t)pg_gi(r, (int)i, 0) != i || PQgetlength(r, (int)i, 1) != 32) {
            rc = err_set(e, E_STATE, "postgresql %s: batch %llu is inconsistent at leaf %llu",
                         g->where, (unsigned long long)b->seq, (unsigned long long)(from + i));
            break;
        }
        memcpy(h[i].b, PQgetvalue(r, (int)i, 1), 32);
        if (how)
            how[i] = (uint8_t)pg_gi(r, (int)i, 2);
    }
    PQclear(r);
    if (!rc && rows != count)
        rc = err_set(e, E_STATE, "postgresql %s: batch %llu has %llu leaves from %llu, expected "
                                 "%llu",
                     g->where, (unsigned long long)b->seq, (unsigned long long)rows,
                     (unsigned long long)from, (unsigned long long)count);
    return rc;
}

/* store_batch_scan: the rows in the batch's id range that say they are
 * its, in id order, whatever their number. */
static err_code pg_batch_scan(struct store *s, const struct store_batch *b, struct hash32 **out,
                              uint64_t *n, struct err *e)
{
    struct pg *g = PG(s);
    struct params p = {0};
    pg_p_i64(&p, b->first_id);
    pg_p_i64(&p, b->first_id + (int64_t)b->size);
    pg_p_i64(&p, (int64_t)b->seq);
    PGresult *r;
    err_code rc = pg_q(g, "SELECT hash FROM credentials WHERE id >= $1 AND id < $2 AND "
                          "batch_seq = $3 ORDER BY id", &p, &r, "read batch leaves", e);
    if (rc)
        return rc;
    uint64_t rows = (uint64_t)PQntuples(r), k = 0;
    struct hash32 *h = rows ? malloc(rows * sizeof *h) : NULL;
    if (rows && !h)
        rc = err_set(e, E_NOMEM, "out of memory for %llu leaves", (unsigned long long)rows);
    for (uint64_t i = 0; i < rows && !rc; i++) {
        bool ok;
        pg_gblob32(r, (int)i, 0, &h[k], &ok);
        k += ok; /* a value that is not 32 bytes is not a leaf */
    }
    PQclear(r);
    if (rc || !k) {
        free(h);
        h = NULL;
    }
    *out = h;
    *n = rc ? 0 : k;
    return rc;
}

static err_code pg_batch_leaves(struct store *s, const struct store_batch *b, struct hash32 *h,
                                uint8_t *how, struct err *e)
{
    return pg_batch_leaves_range(s, b, 0, b->size, h, how, e);
}

static err_code pg_batch_mark_closed(struct store *s, uint64_t seq, int64_t closed_at,
                                     struct err *e)
{
    struct params p = {0};
    pg_p_i64(&p, closed_at);
    pg_p_i64(&p, (int64_t)seq);
    return pg_run(PG(s), "UPDATE batches SET state = 1, closed_at = $1 WHERE kind = 0 AND seq = $2",
                  &p, NULL, "freeze batch", e);
}

static err_code pg_batch_set_root(struct store *s, enum batch_kind kind, uint64_t seq,
                                  const struct hash32 *root, const struct store_subroots *sub,
                                  struct err *e)
{
    struct params p = {0};
    pg_p_blob(&p, root->b, 32);
    pg_p_i64(&p, kind);
    pg_p_i64(&p, (int64_t)seq);
    if (sub) {
        pg_p_i64(&p, sub->shift);
        pg_p_blob(&p, sub->roots, 32 * sub->count);
    }
    long n = 0;
    err_code rc = pg_run(PG(s),
                         sub ? "UPDATE batches SET root = $1, sub_shift = $4, subroots = $5 WHERE "
                               "kind = $2 AND seq = $3 AND state = 1 AND root IS NULL"
                             : "UPDATE batches SET root = $1 WHERE kind = $2 AND seq = $3 AND "
                               "state = 1 AND root IS NULL",
                         &p, &n, "set root", e);
    if (!rc && n != 1)
        return err_set(e, E_STATE, "batch %llu is not closed without a root",
                       (unsigned long long)seq);
    return rc;
}

static err_code pg_batch_subroots_get(struct store *s, uint64_t seq, unsigned *shift,
                                      uint8_t **blob, size_t *len, struct err *e)
{
    *blob = NULL;
    *len = 0;
    struct params p = {0};
    pg_p_i64(&p, (int64_t)seq);
    PGresult *r;
    err_code rc = pg_q(PG(s), "SELECT sub_shift, subroots FROM batches WHERE kind = 0 AND "
                              "seq = $1 AND subroots IS NOT NULL", &p, &r, "read subtree roots", e);
    if (rc)
        return rc;
    if (PQntuples(r) < 1) {
        rc = err_set(e, E_NOT_FOUND, "no subroots");
    } else {
        int64_t sh = pg_gi(r, 0, 0);
        int n = PQgetlength(r, 0, 1);
        *shift = sh < 0 || sh > 64 ? 64 : (unsigned)sh; /* out of range: store.c says so */
        if (!(*blob = malloc(n > 0 ? (size_t)n : 1)))
            rc = err_set(e, E_NOMEM, "out of memory");
        else if (n > 0)
            memcpy(*blob, PQgetvalue(r, 0, 1), (size_t)n);
        *len = (size_t)(n > 0 ? n : 0);
    }
    PQclear(r);
    return rc;
}

static err_code pg_batch_subroots_set(struct store *s, uint64_t seq,
                                      const struct store_subroots *sub, struct err *e)
{
    struct params p = {0};
    pg_p_i64(&p, sub->shift);
    pg_p_blob(&p, sub->roots, 32 * sub->count);
    pg_p_i64(&p, (int64_t)seq);
    return pg_run(PG(s), "UPDATE batches SET sub_shift = $1, subroots = $2 WHERE kind = 0 AND "
                         "seq = $3 AND root IS NOT NULL AND subroots IS NULL",
                  &p, NULL, "store subtree roots", e);
}

static err_code pg_checkpoint_insert(struct store *s, uint64_t size, const struct hash32 *root,
                                     int64_t closed_at, uint64_t *seq, struct err *e)
{
    struct pg *g = PG(s);
    err_code rc = next_seq(g, BATCH_REVOCATION, seq, e);
    if (rc)
        return rc;
    struct params p = {0};
    pg_p_i64(&p, (int64_t)*seq);
    pg_p_i64(&p, (int64_t)size);
    pg_p_blob(&p, root->b, 32);
    pg_p_i64(&p, closed_at);
    return pg_run(g, "INSERT INTO batches(kind, seq, state, size, root, opened_at, closed_at) "
                     "VALUES(1, $1, 1, $2, $3, $4, $4)", &p, NULL, "create checkpoint", e);
}

/* ---- anchoring state ---------------------------------------------------------- */

static err_code pg_tx_insert(struct store *s, enum batch_kind kind, uint64_t seq, uint64_t nonce,
                             const struct hash32 *tx_hash, const uint8_t *raw, size_t raw_len,
                             int64_t now, bool *recorded, struct err *e)
{
    struct pg *g = PG(s);
    struct params t = {0}, b = {0};
    pg_p_blob(&t, tx_hash->b, 32);
    pg_p_i64(&t, kind);
    pg_p_i64(&t, (int64_t)seq);
    pg_p_i64(&t, (int64_t)nonce);
    pg_p_blob(&t, raw, raw_len);
    pg_p_i64(&t, now);
    pg_p_blob(&b, tx_hash->b, 32);
    pg_p_i64(&b, (int64_t)nonce);
    pg_p_i64(&b, now);
    pg_p_i64(&b, kind);
    pg_p_i64(&b, (int64_t)seq);
    long n = 0;
    err_code rc;
    if ((rc = pg_run(g, "INSERT INTO txs(tx_hash, kind, seq, nonce, raw, created_at) "
                        "VALUES($1, $2, $3, $4, $5, $6) ON CONFLICT (tx_hash) DO UPDATE SET "
                        /* adopted earlier (no bytes), signed here now: the same
                         * deterministic signature gives the same hash */
                        "raw = EXCLUDED.raw, nonce = EXCLUDED.nonce WHERE length(txs.raw) = 0 "
                        "AND length(EXCLUDED.raw) > 0", &t, NULL,
                     "record transaction", e)) ||
        (rc = pg_run(g, "UPDATE batches SET state = 2, tx_hash = $1, nonce = $2, sent_at = $3, "
                        "last_error = NULL WHERE kind = $4 AND seq = $5 AND state IN (1, 2)",
                     &b, &n, "record transaction", e)))
        return rc;
    *recorded = n == 1;
    return E_OK;
}

static void row_to_tx(const PGresult *r, int i, void *elem)
{
    struct store_tx *t = elem;
    pg_gblob32(r, i, 0, &t->hash, NULL);
    t->nonce = (uint64_t)pg_gi(r, i, 1);
    t->has_raw = pg_gi(r, i, 2) > 0;
    t->has_sent_block = !PQgetisnull(r, i, 3);
    t->sent_block = (uint64_t)pg_gi(r, i, 3);
}

static err_code pg_tx_list(struct store *s, enum batch_kind kind, uint64_t seq,
                           struct store_tx **out, size_t *n, struct err *e)
{
    *out = NULL;
    *n = 0;
    struct params p = {0};
    pg_p_i64(&p, kind);
    pg_p_i64(&p, (int64_t)seq);
    PGresult *r;
    void *rows;
    err_code rc = pg_q(PG(s), "SELECT tx_hash, nonce, length(raw)::bigint, sent_block FROM txs "
                              "WHERE kind = $1 AND seq = $2 ORDER BY created_at, nonce", &p, &r,
                       "list transactions", e);
    if (rc || (rc = collect(r, sizeof **out, row_to_tx, &rows, n, e)))
        return rc;
    *out = rows;
    return E_OK;
}

static err_code pg_tx_set_sent_block(struct store *s, const struct hash32 *tx_hash,
                                     const uint64_t *block, struct err *e)
{
    struct params p = {0};
    if (block)
        pg_p_i64(&p, (int64_t)*block);
    else
        pg_p_text(&p, NULL), p.type[0] = OID_INT8;
    pg_p_blob(&p, tx_hash->b, 32);
    long n = 0;
    err_code rc = pg_run(PG(s), "UPDATE txs SET sent_block = $1 WHERE tx_hash = $2", &p, &n,
                         "note the send block", e);
    if (!rc && n != 1)
        return err_set(e, E_NOT_FOUND, "transaction not recorded in the store");
    return rc;
}

static err_code pg_tx_raw(struct store *s, const struct hash32 *tx_hash, uint8_t **raw,
                          size_t *len, struct err *e)
{
    *raw = NULL;
    *len = 0;
    struct params p = {0};
    pg_p_blob(&p, tx_hash->b, 32);
    PGresult *r;
    err_code rc = pg_q(PG(s), "SELECT raw FROM txs WHERE tx_hash = $1", &p, &r, "read transaction",
                       e);
    if (rc)
        return rc;
    if (PQntuples(r) == 1) {
        int n = PQgetlength(r, 0, 0);
        if (!(*raw = malloc(n > 0 ? (size_t)n : 1))) {
            rc = err_set(e, E_NOMEM, "out of memory");
        } else {
            memcpy(*raw, PQgetvalue(r, 0, 0), (size_t)n);
            *len = (size_t)n;
        }
    } else {
        rc = err_set(e, E_NOT_FOUND, "transaction not recorded in the store");
    }
    PQclear(r);
    return rc;
}

static err_code pg_batch_anchored(struct store *s, enum batch_kind kind, uint64_t seq,
                                  const struct hash32 *tx_hash, uint64_t block_number,
                                  const struct hash32 *block_hash, int64_t block_time,
                                  struct err *e)
{
    struct params p = {0};
    pg_p_blob(&p, tx_hash->b, 32);
    pg_p_i64(&p, (int64_t)block_number);
    pg_p_blob(&p, block_hash->b, 32);
    pg_p_i64(&p, block_time);
    pg_p_i64(&p, (int64_t)time(NULL));
    pg_p_i64(&p, kind);
    pg_p_i64(&p, (int64_t)seq);
    long n = 0;
    err_code rc = pg_run(PG(s), "UPDATE batches SET state = 3, tx_hash = $1, block_number = $2, "
                                "block_hash = $3, block_time = $4, anchored_at = $5, "
                                "last_error = NULL WHERE kind = $6 AND seq = $7 AND "
                                "state IN (1, 2)",
                         &p, &n, "mark anchored", e);
    if (!rc && n != 1)
        return err_set(e, E_STATE, "batch %llu is not waiting to be anchored",
                       (unsigned long long)seq);
    return rc;
}

static err_code pg_batch_set_state(struct store *s, enum batch_kind kind, uint64_t seq,
                                   enum batch_state state, const char *why, struct err *e)
{
    struct params p = {0};
    pg_p_i64(&p, state);
    pg_p_text(&p, why);
    pg_p_i64(&p, kind);
    pg_p_i64(&p, (int64_t)seq);
    return pg_run(PG(s), "UPDATE batches SET state = $1, last_error = $2 WHERE kind = $3 AND "
                         "seq = $4", &p, NULL, "set batch state", e);
}

static err_code pg_batch_note(struct store *s, enum batch_kind kind, uint64_t seq, const char *why,
                              struct err *e)
{
    struct params p = {0};
    pg_p_text(&p, why);
    pg_p_i64(&p, kind);
    pg_p_i64(&p, (int64_t)seq);
    return pg_run(PG(s), "UPDATE batches SET last_error = $1 WHERE kind = $2 AND seq = $3", &p,
                  NULL, "note batch", e);
}

static err_code pg_counts(struct store *s, struct store_counts *out, struct err *e)
{
    memset(out, 0, sizeof *out);
    PGresult *r;
    err_code rc = pg_q(PG(s), "SELECT count(*) FROM credentials", NULL, &r, "count", e);
    if (rc)
        return rc;
    out->credentials = (uint64_t)pg_gi(r, 0, 0);
    PQclear(r);
    if ((rc = pg_q(PG(s), "SELECT state, count(*), coalesce(sum(size), 0)::bigint FROM batches "
                          "WHERE kind = 0 GROUP BY state", NULL, &r, "count", e)))
        return rc;
    for (int i = 0; i < PQntuples(r); i++) {
        int64_t state = pg_gi(r, i, 0);
        if (state >= 0 && state <= BATCH_LOST)
            out->batches[state] = (uint64_t)pg_gi(r, i, 1);
        if (state == BATCH_OPEN)
            out->open_size = (uint64_t)pg_gi(r, i, 2);
    }
    PQclear(r);
    return E_OK;
}

/* ---- revocation log --------------------------------------------------------------- */

static void row_to_revocation(const PGresult *r, int i, struct store_revocation *out)
{
    memset(out, 0, sizeof *out);
    out->index = (uint64_t)pg_gi(r, i, 0);
    pg_gblob32(r, i, 1, &out->hash, NULL);
    out->reason = (uint8_t)pg_gi(r, i, 2);
    snprintf(out->note, sizeof out->note, "%s", PQgetvalue(r, i, 3));
    out->revoked_at = pg_gi(r, i, 4);
}

static err_code pg_revocation_get(struct store *s, const struct hash32 *hash,
                                  struct store_revocation *out, struct err *e)
{
    struct params p = {0};
    pg_p_blob(&p, hash->b, 32);
    PGresult *r;
    err_code rc = pg_q(PG(s), "SELECT idx, hash, reason, note, revoked_at FROM revocations "
                              "WHERE hash = $1", &p, &r, "read revocation", e);
    if (rc)
        return rc;
    if (PQntuples(r) == 1)
        row_to_revocation(r, 0, out);
    else
        rc = err_set(e, E_NOT_FOUND, "credential not revoked");
    PQclear(r);
    return rc;
}

static err_code pg_revocation_append(struct store *s, const struct hash32 *hash,
                                     uint8_t reason, const char *note, int64_t revoked_at,
                                     struct err *e)
{
    struct params p = {0};
    pg_p_blob(&p, hash->b, 32);
    pg_p_i64(&p, reason);
    pg_p_text(&p, note);
    pg_p_i64(&p, revoked_at);
    return pg_run(PG(s), "INSERT INTO revocations(idx, hash, reason, note, revoked_at) VALUES("
                         "(SELECT coalesce(max(idx) + 1, 0) FROM revocations), $1, $2, $3, $4)",
                  &p, NULL, "append revocation", e);
}

static err_code pg_revocation_each(struct store *s,
                                   err_code (*each)(void *arg, struct store_revocation *r,
                                                    struct err *e),
                                   void *arg, struct err *e)
{
    PGresult *r;
    err_code rc = pg_q(PG(s), "SELECT idx, hash, reason, note, revoked_at FROM revocations "
                              "ORDER BY idx", NULL, &r, "read the revocation log", e);
    if (rc)
        return rc;
    for (int i = 0; i < PQntuples(r) && !rc; i++) {
        struct store_revocation sr;
        row_to_revocation(r, i, &sr);
        rc = each(arg, &sr, e);
    }
    PQclear(r);
    return rc;
}

static err_code pg_revocation_count(struct store *s, uint64_t *n, struct err *e)
{
    PGresult *r;
    err_code rc = pg_q(PG(s), "SELECT count(*) FROM revocations", NULL, &r, "count revocations", e);
    if (rc)
        return rc;
    *n = (uint64_t)pg_gi(r, 0, 0);
    PQclear(r);
    return E_OK;
}

/* ---- API tokens ------------------------------------------------------------------- */

static err_code pg_token_add(struct store *s, const char *name, const struct hash32 *token_hash,
                             struct err *e)
{
    struct params p = {0};
    pg_p_text(&p, name);
    pg_p_blob(&p, token_hash->b, 32);
    pg_p_i64(&p, (int64_t)time(NULL));
    long n = 0;
    err_code rc = pg_run(PG(s), "INSERT INTO api_tokens(name, token_hash, created_at) "
                                "VALUES($1, $2, $3) ON CONFLICT DO NOTHING", &p, &n, "add token",
                         e);
    if (!rc && n != 1)
        return err_set(e, E_STATE, "a token named '%s' exists already; remove it first or "
                                   "choose another name", name);
    return rc;
}

static err_code pg_token_remove(struct store *s, const char *name, struct err *e)
{
    struct params p = {0};
    pg_p_text(&p, name);
    long n = 0;
    err_code rc = pg_run(PG(s), "DELETE FROM api_tokens WHERE name = $1", &p, &n, "remove token",
                         e);
    if (!rc && n != 1)
        return err_set(e, E_NOT_FOUND, "no token named '%s'", name);
    return rc;
}

static void row_to_token(const PGresult *r, int i, void *elem)
{
    struct store_token *t = elem;
    snprintf(t->name, sizeof t->name, "%s", PQgetvalue(r, i, 0));
    pg_gblob32(r, i, 1, &t->hash, NULL);
    t->created_at = pg_gi(r, i, 2);
}

static err_code pg_token_list(struct store *s, struct store_token **out, size_t *n,
                              struct err *e)
{
    *out = NULL;
    *n = 0;
    PGresult *r;
    void *rows;
    err_code rc = pg_q(PG(s), "SELECT name, token_hash, created_at FROM api_tokens ORDER BY name "
                              "COLLATE \"C\"", NULL, &r, "list tokens", e);
    if (rc || (rc = collect(r, sizeof **out, row_to_token, &rows, n, e)))
        return rc;
    *out = rows;
    return E_OK;
}

static const struct store_ops pg_ops = {
    .name = "postgresql",
    .shared = true,
    .close = pg_close,
    .where = pg_where,
    .begin = pg_tx_begin,
    .commit = pg_tx_commit,
    .rollback = pg_tx_rollback,
    .lock_writer = pg_lock_writer,
    .meta_get = pg_meta_get,
    .meta_set = pg_meta_set,
    .submit = pg_submit,
    .credential_get = pg_credential_get,
    .batch_open_get = pg_batch_open_get,
    .batch_get = pg_batch_get,
    .batch_list = pg_batch_list,
    .batch_leaves = pg_batch_leaves,
    .batch_scan = pg_batch_scan,
    .batch_mark_closed = pg_batch_mark_closed,
    .batch_set_root = pg_batch_set_root,
    .batch_subroots_get = pg_batch_subroots_get,
    .batch_subroots_set = pg_batch_subroots_set,
    .batch_leaves_range = pg_batch_leaves_range,
    .checkpoint_insert = pg_checkpoint_insert,
    .tx_insert = pg_tx_insert,
    .tx_list = pg_tx_list,
    .tx_set_sent_block = pg_tx_set_sent_block,
    .tx_raw = pg_tx_raw,
    .batch_anchored = pg_batch_anchored,
    .batch_set_state = pg_batch_set_state,
    .batch_note = pg_batch_note,
    .counts = pg_counts,
    .revocation_append = pg_revocation_append,
    .revocation_get = pg_revocation_get,
    .revocation_each = pg_revocation_each,
    .revocation_count = pg_revocation_count,
    .token_add = pg_token_add,
    .token_remove = pg_token_remove,
    .token_list = pg_token_list,
};

err_code store_pg_open(const char *url, bool create, struct store **out, struct err *e)
{
    return pg_open(url, create, &pg_ops, out, e);
}
