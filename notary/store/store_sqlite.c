/*
 * notary/store/store_sqlite.c — the SQLite engine of notary/store/store.h (the embedded
 * default; notary/store/store_pg.c is the PostgreSQL one, with the same
 * schema): the writer lock, settings, batches, anchoring state, the
 * revocation log, API tokens, and the method table. Its other parts, behind
 * the private notary/store/sqlite_impl.h, are sqlite_db.c (statements, write
 * turns, transactions), sqlite_index.c (submissions and the hash index), sqlite_runs.c (sorted runs) and
 * sqlite_schema.c (open, recognition, migrations).
 *
 * Durability: WAL with synchronous=FULL, so a COMMIT has been fsynced when
 * sqlite3_step returns; every write path runs inside one explicit
 * transaction and reports success only after COMMIT.
 */
#include "notary/store/sqlite_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

static const char *sq_where(struct store *s) { return SQ(s)->path; }

/* The begin of store_ops: BEGIN IMMEDIATE already orders every writer of the
 * file, so `membership` needs nothing more here. */
static err_code sq_tx_begin(struct store *s, bool membership, struct err *e)
{
    return sq_begin(s, e);
}

static err_code sq_lock_writer(struct store *s, struct err *e)
{
    if (SQ(s)->lock_fd >= 0)
        return E_OK;
    char lock[4200];
    snprintf(lock, sizeof lock, "%s.lock", SQ(s)->path);
    int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return err_set(e, E_IO, "%s: cannot open lock file: %s", lock, strerror(errno));
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        close(fd);
        return err_set(e, E_STATE,
                       "%s: another notary process is anchoring with this key (one writer per key)",
                       SQ(s)->path);
    }
    SQ(s)->lock_fd = fd;
    return E_OK;
}

/* ---- meta ----------------------------------------------------------------- */

static err_code sq_meta_get(struct store *s, const char *key, char **value, struct err *e)
{
    sqlite3_stmt *st;
    *value = NULL;
    err_code rc = sq_prepare(s, "SELECT value FROM meta WHERE key = ?", &st, e);
    if (rc)
        return rc;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    int r = sqlite3_step(st);
    if (r == SQLITE_ROW) {
        *value = strdup((const char *)sqlite3_column_text(st, 0));
        rc = *value ? E_OK : err_set(e, E_NOMEM, "out of memory");
    } else if (r == SQLITE_DONE) {
        rc = err_set(e, E_NOT_FOUND, "%s: setting '%s' is not configured", SQ(s)->path, key);
    } else {
        rc = sq_dberr(s, e, "read setting");
    }
    sqlite3_finalize(st);
    return rc;
}

static err_code sq_meta_set(struct store *s, const char *key, const char *value, struct err *e)
{
    sqlite3_stmt *st;
    err_code rc = sq_prepare(s, "INSERT INTO meta(key, value) VALUES(?, ?) "
                                "ON CONFLICT(key) DO UPDATE SET value = excluded.value", &st, e);
    if (rc)
        return rc;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
    sq_turn_take(s);
    rc = sqlite3_step(st) == SQLITE_DONE ? E_OK : sq_dberr(s, e, "write setting");
    sq_turn_give(s);
    sqlite3_finalize(st);
    return rc;
}

/* Step `st` (prepared and bound) to its end, then finalize it: one element
 * of `size` bytes per row, zeroed, then filled by `fill`, in an array that is
 * the caller's to free on E_OK (*out; NULL if no rows; *n elements). `what`
 * names the read in an error. */
static err_code collect(struct store *s, sqlite3_stmt *st, size_t size,
                        void (*fill)(sqlite3_stmt *st, void *elem), void **out, size_t *n,
                        const char *what, struct err *e)
{
    *out = NULL;
    *n = 0;
    char *arr = NULL;
    size_t cap = 0, k = 0;
    err_code rc = E_OK;
    int r;
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        if (k == cap) {
            cap = cap ? cap * 2 : 16;
            char *p = realloc(arr, cap * size);
            if (!p) {
                rc = err_set(e, E_NOMEM, "out of memory");
                break;
            }
            arr = p;
        }
        memset(arr + k * size, 0, size);
        fill(st, arr + k * size);
        k++;
    }
    if (!rc && r != SQLITE_DONE)
        rc = sq_dberr(s, e, what);
    sqlite3_finalize(st);
    if (rc) {
        free(arr);
        return rc;
    }
    *out = arr;
    *n = k;
    return E_OK;
}

static err_code sq_batch_list(struct store *s, enum batch_kind kind, struct store_batch **out,
                              size_t *n, struct err *e)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st;
    void *rows;
    err_code rc = sq_prepare(s, "SELECT " BATCH_COLS " FROM batches WHERE kind = ? ORDER BY seq",
                             &st, e);
    if (rc)
        return rc;
    sqlite3_bind_int(st, 1, kind);
    if ((rc = collect(s, st, sizeof **out, sq_row_to_batch, &rows, n, "list batches", e)))
        return rc;
    *out = rows;
    return E_OK;
}

static err_code sq_batch_mark_closed(struct store *s, uint64_t seq, int64_t closed_at,
                                     struct err *e)
{
    struct bindv v[] = {BI(closed_at), BI(seq)};
    return sq_run(s, "UPDATE batches SET state = 1, closed_at = ? WHERE kind = 0 AND seq = ?", v,
                  2, NULL, e);
}

static err_code sq_batch_set_root(struct store *s, enum batch_kind kind, uint64_t seq,
                                  const struct hash32 *root, const struct store_subroots *sub,
                                  struct err *e)
{
    int changes = 0;
    struct bindv none = {.t = B_NONE};
    struct bindv v[] = {BH(root), sub ? BI(sub->shift) : none,
                        sub ? BB(sub->roots, 32 * sub->count) : none, BI(kind), BI(seq)};
    err_code rc = sq_run(s, "UPDATE batches SET root = ?, sub_shift = ?, subroots = ? WHERE "
                            "kind = ? AND seq = ? AND state = 1 AND root IS NULL", v, 5, &changes,
                         e);
    if (!rc && changes != 1)
        return err_set(e, E_STATE, "batch %llu is not closed without a root",
                       (unsigned long long)seq);
    return rc;
}

static err_code sq_batch_subroots_get(struct store *s, uint64_t seq, unsigned *shift,
                                      uint8_t **blob, size_t *len, struct err *e)
{
    *blob = NULL;
    *len = 0;
    sqlite3_stmt *st;
    err_code rc = sq_prepare(s, "SELECT sub_shift, subroots FROM batches WHERE kind = 0 AND "
                                "seq = ? AND subroots IS NOT NULL", &st, e);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, (int64_t)seq);
    int r = sqlite3_step(st);
    if (r == SQLITE_ROW) {
        int64_t sh = sqlite3_column_int64(st, 0);
        int n = sqlite3_column_bytes(st, 1);
        const void *p = sqlite3_column_blob(st, 1);
        *shift = sh < 0 || sh > 64 ? 64 : (unsigned)sh; /* out of range: store.c says so */
        if (!(*blob = malloc(n > 0 ? (size_t)n : 1)))
            rc = err_set(e, E_NOMEM, "out of memory");
        else if (n > 0)
            memcpy(*blob, p, (size_t)n);
        *len = (size_t)(n > 0 ? n : 0);
    } else if (r == SQLITE_DONE) {
        rc = err_set(e, E_NOT_FOUND, "no subroots");
    } else {
        rc = sq_dberr(s, e, "read subtree roots");
    }
    sqlite3_finalize(st);
    return rc;
}

static err_code sq_batch_subroots_set(struct store *s, uint64_t seq,
                                      const struct store_subroots *sub, struct err *e)
{
    struct bindv v[] = {BI(sub->shift), BB(sub->roots, 32 * sub->count), BI(seq)};
    return sq_run(s, "UPDATE batches SET sub_shift = ?, subroots = ? WHERE kind = 0 AND seq = ? "
                     "AND root IS NOT NULL AND subroots IS NULL", v, 3, NULL, e);
}

static err_code sq_checkpoint_insert(struct store *s, uint64_t size, const struct hash32 *root,
                                     int64_t closed_at, uint64_t *seq, struct err *e)
{
    err_code rc = sq_next_seq(s, BATCH_REVOCATION, seq, e);
    if (rc)
        return rc;
    struct bindv v[] = {BI(*seq), BI(size), BH(root), BI(closed_at), BI(closed_at)};
    return sq_run(s, "INSERT INTO batches(kind, seq, state, size, root, opened_at, closed_at) "
                     "VALUES(1, ?, 1, ?, ?, ?, ?)", v, 5, NULL, e);
}

static err_code sq_tx_insert(struct store *s, enum batch_kind kind, uint64_t seq, uint64_t nonce,
                             const struct hash32 *tx_hash, const uint8_t *raw, size_t raw_len,
                             int64_t now, bool *recorded, struct err *e)
{
    int changes = 0;
    /* An adopted transaction (raw NULL) is stored with an empty blob: NULL
     * would meet the NOT NULL of raw, which INSERT OR IGNORE skips silently. */
    struct bindv t[] = {BH(tx_hash), BI(kind), BI(seq), BI(nonce),
                        raw ? BB(raw, raw_len) : BB("", 0), BI(now)};
    struct bindv b[] = {BH(tx_hash), BI(nonce), BI(now), BI(kind), BI(seq)};
    /* A transaction adopted earlier (no bytes) and signed here now gets its
     * bytes: the same deterministic signature gives the same hash. */
    err_code rc;
    if ((rc = sq_run(s, "INSERT INTO txs(tx_hash, kind, seq, nonce, raw, created_at) "
                        "VALUES(?, ?, ?, ?, ?, ?) ON CONFLICT(tx_hash) DO UPDATE SET "
                        "raw = excluded.raw, nonce = excluded.nonce WHERE length(txs.raw) = 0 "
                        "AND length(excluded.raw) > 0", t, 6, NULL, e)) ||
        (rc = sq_run(s, "UPDATE batches SET state = 2, tx_hash = ?, nonce = ?, sent_at = ?, "
                        "last_error = NULL WHERE kind = ? AND seq = ? AND state IN (1, 2)",
                     b, 5, &changes, e)))
        return rc;
    *recorded = changes == 1;
    return E_OK;
}

static void row_to_tx(sqlite3_stmt *st, void *elem)
{
    struct store_tx *t = elem;
    sq_blob32(st, 0, &t->hash, NULL);
    t->nonce = (uint64_t)sqlite3_column_int64(st, 1);
    t->has_raw = sqlite3_column_int64(st, 2) > 0;
    t->has_sent_block = sqlite3_column_type(st, 3) != SQLITE_NULL;
    t->sent_block = (uint64_t)sqlite3_column_int64(st, 3);
}

static err_code sq_tx_list(struct store *s, enum batch_kind kind, uint64_t seq,
                           struct store_tx **out, size_t *n, struct err *e)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st;
    void *rows;
    err_code rc = sq_prepare(s, "SELECT tx_hash, nonce, length(raw), sent_block FROM txs "
                                "WHERE kind = ? AND seq = ? ORDER BY created_at, nonce", &st, e);
    if (rc)
        return rc;
    sqlite3_bind_int(st, 1, kind);
    sqlite3_bind_int64(st, 2, (int64_t)seq);
    if ((rc = collect(s, st, sizeof **out, row_to_tx, &rows, n, "list transactions", e)))
        return rc;
    *out = rows;
    return E_OK;
}

static err_code sq_tx_set_sent_block(struct store *s, const struct hash32 *tx_hash,
                                     const uint64_t *block, struct err *e)
{
    int changes = 0;
    struct bindv v[] = {block ? BI(*block) : (struct bindv){.t = B_NONE}, BH(tx_hash)};
    err_code rc = sq_run(s, "UPDATE txs SET sent_block = ? WHERE tx_hash = ?", v, 2, &changes, e);
    if (!rc && changes != 1)
        return err_set(e, E_NOT_FOUND, "transaction not recorded in the store");
    return rc;
}

static err_code sq_tx_raw(struct store *s, const struct hash32 *tx_hash, uint8_t **raw, size_t *len,
                          struct err *e)
{
    *raw = NULL;
    *len = 0;
    sqlite3_stmt *st;
    err_code rc = sq_prepare(s, "SELECT raw FROM txs WHERE tx_hash = ?", &st, e);
    if (rc)
        return rc;
    sqlite3_bind_blob(st, 1, tx_hash->b, 32, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) {
        int n = sqlite3_column_bytes(st, 0);
        *raw = malloc(n > 0 ? (size_t)n : 1);
        if (!*raw) {
            rc = err_set(e, E_NOMEM, "out of memory");
        } else {
            if (n > 0) /* an adopted transaction has no bytes (and a NULL blob pointer) */
                memcpy(*raw, sqlite3_column_blob(st, 0), (size_t)n);
            *len = (size_t)n;
        }
    } else {
        rc = err_set(e, E_NOT_FOUND, "transaction not recorded in the store");
    }
    sqlite3_finalize(st);
    return rc;
}

static err_code sq_batch_anchored(struct store *s, enum batch_kind kind, uint64_t seq,
                                  const struct hash32 *tx_hash, uint64_t block_number,
                                  const struct hash32 *block_hash, int64_t block_time,
                                  struct err *e)
{
    int changes = 0;
    struct bindv v[] = {BH(tx_hash), BI(block_number), BH(block_hash), BI(block_time),
                        BI(time(NULL)), BI(kind), BI(seq)};
    err_code rc = sq_run(s, "UPDATE batches SET state = 3, tx_hash = ?, block_number = ?, "
                            "block_hash = ?, block_time = ?, anchored_at = ?, last_error = NULL "
                            "WHERE kind = ? AND seq = ? AND state IN (1, 2)",
                         v, 7, &changes, e);
    if (!rc && changes != 1)
        return err_set(e, E_STATE, "batch %llu is not waiting to be anchored",
                       (unsigned long long)seq);
    return rc;
}

static err_code sq_batch_set_state(struct store *s, enum batch_kind kind, uint64_t seq,
                                   enum batch_state state, const char *why, struct err *e)
{
    struct bindv v[] = {BI(state), why ? BT(why) : (struct bindv){.t = B_NONE}, BI(kind), BI(seq)};
    return sq_run(s, "UPDATE batches SET state = ?, last_error = ? WHERE kind = ? AND seq = ?", v,
                  4, NULL, e);
}

static err_code sq_batch_note(struct store *s, enum batch_kind kind, uint64_t seq, const char *why,
                              struct err *e)
{
    struct bindv v[] = {why ? BT(why) : (struct bindv){.t = B_NONE}, BI(kind), BI(seq)};
    return sq_run(s, "UPDATE batches SET last_error = ? WHERE kind = ? AND seq = ?", v, 3, NULL, e);
}

static err_code sq_counts(struct store *s, struct store_counts *out, struct err *e)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st;
    err_code rc = sq_prepare(s, "SELECT coalesce(sum(n), 0) FROM chunks", &st, e);
    if (rc)
        return rc;
    if (sqlite3_step(st) == SQLITE_ROW)
        out->credentials = (uint64_t)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    if ((rc = sq_prepare(s, "SELECT state, count(*), sum(size) FROM batches WHERE kind = 0 "
                            "GROUP BY state", &st, e)))
        return rc;
    while (sqlite3_step(st) == SQLITE_ROW) {
        int state = sqlite3_column_int(st, 0);
        if (state >= 0 && state <= BATCH_LOST)
            out->batches[state] = (uint64_t)sqlite3_column_int64(st, 1);
        if (state == BATCH_OPEN)
            out->open_size = (uint64_t)sqlite3_column_int64(st, 2);
    }
    sqlite3_finalize(st);
    return E_OK;
}

/* ---- revocation log --------------------------------------------------------- */

static void row_to_revocation(sqlite3_stmt *st, struct store_revocation *out)
{
    memset(out, 0, sizeof *out);
    out->index = (uint64_t)sqlite3_column_int64(st, 0);
    sq_blob32(st, 1, &out->hash, NULL);
    out->reason = (uint8_t)sqlite3_column_int(st, 2);
    const unsigned char *note = sqlite3_column_text(st, 3);
    snprintf(out->note, sizeof out->note, "%s", note ? (const char *)note : "");
    out->revoked_at = sqlite3_column_int64(st, 4);
}

static err_code sq_revocation_get(struct store *s, const struct hash32 *hash,
                                  struct store_revocation *out, struct err *e)
{
    sqlite3_stmt *st;
    err_code rc = sq_prepare(s, "SELECT idx, hash, reason, note, revoked_at FROM revocations "
                                "WHERE hash = ?", &st, e);
    if (rc)
        return rc;
    sqlite3_bind_blob(st, 1, hash->b, 32, SQLITE_STATIC);
    int r = sqlite3_step(st);
    if (r == SQLITE_ROW)
        row_to_revocation(st, out);
    else
        rc = r == SQLITE_DONE ? err_set(e, E_NOT_FOUND, "credential not revoked")
                              : sq_dberr(s, e, "read revocation");
    sqlite3_finalize(st);
    return rc;
}

static err_code sq_revocation_append(struct store *s, const struct hash32 *hash,
                                     uint8_t reason, const char *note, int64_t revoked_at,
                                     struct err *e)
{
    struct bindv v[] = {BH(hash), BI(reason), BT(note), BI(revoked_at)};
    return sq_run(s, "INSERT INTO revocations(idx, hash, reason, note, revoked_at) VALUES("
                     "(SELECT coalesce(max(idx) + 1, 0) FROM revocations), ?, ?, ?, ?)",
                  v, 4, NULL, e);
}

static err_code sq_revocation_each(struct store *s,
                                   err_code (*each)(void *arg, struct store_revocation *r,
                                                    struct err *e),
                                   void *arg, struct err *e)
{
    sqlite3_stmt *st;
    err_code rc = sq_prepare(s, "SELECT idx, hash, reason, note, revoked_at FROM revocations "
                                "ORDER BY idx", &st, e);
    if (rc)
        return rc;
    int r;
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_revocation sr;
        row_to_revocation(st, &sr);
        if ((rc = each(arg, &sr, e)))
            break;
    }
    if (!rc && r != SQLITE_DONE)
        rc = sq_dberr(s, e, "read the revocation log");
    sqlite3_finalize(st);
    return rc;
}

static err_code sq_revocation_count(struct store *s, uint64_t *n, struct err *e)
{
    sqlite3_stmt *st;
    err_code rc = sq_prepare(s, "SELECT count(*) FROM revocations", &st, e);
    if (rc)
        return rc;
    if (sqlite3_step(st) == SQLITE_ROW)
        *n = (uint64_t)sqlite3_column_int64(st, 0);
    else
        rc = sq_dberr(s, e, "count revocations");
    sqlite3_finalize(st);
    return rc;
}

/* ---- API tokens (notary serve) -------------------------------------------- */

static err_code sq_token_add(struct store *s, const char *name, const struct hash32 *token_hash,
                             struct err *e)
{
    int changes = 0;
    struct bindv v[] = {BT(name), BH(token_hash), BI(time(NULL))};
    err_code rc = sq_run(s, "INSERT OR IGNORE INTO api_tokens(name, token_hash, created_at) "
                            "VALUES(?, ?, ?)", v, 3, &changes, e);
    if (!rc && changes != 1)
        return err_set(e, E_STATE, "a token named '%s' exists already; remove it first or "
                                   "choose another name", name);
    return rc;
}

static err_code sq_token_remove(struct store *s, const char *name, struct err *e)
{
    int changes = 0;
    struct bindv v[] = {BT(name)};
    err_code rc = sq_run(s, "DELETE FROM api_tokens WHERE name = ?", v, 1, &changes, e);
    if (!rc && changes != 1)
        return err_set(e, E_NOT_FOUND, "no token named '%s'", name);
    return rc;
}

static void row_to_token(sqlite3_stmt *st, void *elem)
{
    struct store_token *t = elem;
    snprintf(t->name, sizeof t->name, "%s", (const char *)sqlite3_column_text(st, 0));
    sq_blob32(st, 1, &t->hash, NULL);
    t->created_at = sqlite3_column_int64(st, 2);
}

static err_code sq_token_list(struct store *s, struct store_token **out, size_t *n, struct err *e)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st;
    void *rows;
    err_code rc = sq_prepare(s, "SELECT name, token_hash, created_at FROM api_tokens ORDER BY name",
                             &st, e);
    if (rc || (rc = collect(s, st, sizeof **out, row_to_token, &rows, n, "list tokens", e)))
        return rc;
    *out = rows;
    return E_OK;
}

static const struct store_ops sq_ops = {
    .name = "sqlite",
    .shared = false,
    .close = sq_close,
    .where = sq_where,
    .begin = sq_tx_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .lock_writer = sq_lock_writer,
    .meta_get = sq_meta_get,
    .meta_set = sq_meta_set,
    .submit = sq_submit,
    .credential_get = sq_credential_get,
    .index_all = sq_index_all,
    .index_frozen = sq_index_frozen,
    .wal_background = sq_wal_background,
    .batch_open_get = sq_batch_open_get,
    .batch_get = sq_batch_get,
    .batch_list = sq_batch_list,
    .batch_leaves = sq_batch_leaves,
    .batch_scan = sq_batch_scan,
    .batch_mark_closed = sq_batch_mark_closed,
    .batch_set_root = sq_batch_set_root,
    .batch_subroots_get = sq_batch_subroots_get,
    .batch_subroots_set = sq_batch_subroots_set,
    .batch_leaves_range = sq_batch_leaves_range,
    .checkpoint_insert = sq_checkpoint_insert,
    .tx_insert = sq_tx_insert,
    .tx_list = sq_tx_list,
    .tx_set_sent_block = sq_tx_set_sent_block,
    .tx_raw = sq_tx_raw,
    .batch_anchored = sq_batch_anchored,
    .batch_set_state = sq_batch_set_state,
    .batch_note = sq_batch_note,
    .counts = sq_counts,
    .revocation_append = sq_revocation_append,
    .revocation_get = sq_revocation_get,
    .revocation_each = sq_revocation_each,
    .revocation_count = sq_revocation_count,
    .token_add = sq_token_add,
    .token_remove = sq_token_remove,
    .token_list = sq_token_list,
    .backup = sq_backup,
    .integrity = sq_integrity,
    .batches_lost = sq_batches_lost,
};

err_code store_sqlite_open(const char *path, bool create, struct store **out, struct err *e)
{
    return sq_open(path, create, &sq_ops, out, e);
}
