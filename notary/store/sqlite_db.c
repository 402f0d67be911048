/*
 * notary/store/sqlite_db.c — the SQLite engine's statement layer
 * (notary/store/sqlite_impl.h): the words for a failed open or write,
 * running and preparing statements, this process's write turns,
 * transactions, and reading batch rows — what the engine's other files
 * (store_sqlite.c, sqlite_schema.c, sqlite_index.c) all build on.
 */
#include "notary/store/sqlite_impl.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

/* Copy SQLite's text `in` into `out` for a message: printable ASCII as is,
 * any other byte as \xNN. SQLite's messages quote schema text and names from
 * the file itself, which a damaged or foreign file fills with anything. */
const char *sq_escaped(const char *in, char *out, size_t max)
{
    size_t j = 0;
    for (; in && *in && j + 5 < max; in++) {
        unsigned char ch = (unsigned char)*in;
        if (ch >= 0x20 && ch < 0x7f)
            out[j++] = (char)ch;
        else
            j += (size_t)snprintf(out + j, max - j, "\\x%02x", ch);
    }
    out[j] = '\0';
    return out;
}

/* The directory part of `path` ("." if none) into `out`. */
static void dir_of(const char *path, char *out, size_t max)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(out, max, ".");
    else if (slash == path)
        snprintf(out, max, "/");
    else
        snprintf(out, max, "%.*s", (int)(slash - path), path);
}

/* A failure to open or write the database file: when the reason is that the
 * file, its directory or the file system is read-only, say that and where
 * (SQLite itself only says "unable to open database file" or "attempt to
 * write a readonly database"); otherwise E_IO with SQLite's words. */
err_code sq_open_error(struct store *s, struct err *e, const char *what, const char *msg)
{
    char text[300], dir[PATH_MAX];
    int code = SQ(s)->db ? sqlite3_errcode(SQ(s)->db) : SQLITE_NOMEM;
    if (code == SQLITE_CANTOPEN || code == SQLITE_READONLY || code == SQLITE_PERM ||
        code == SQLITE_AUTH) {
        dir_of(SQ(s)->path, dir, sizeof dir);
        struct statvfs fs;
        if (statvfs(dir, &fs) == 0 && (fs.f_flag & ST_RDONLY))
            return err_set(e, E_IO, "%s: the file system holding %s is mounted read-only; the "
                                    "notary must write its database and the -wal and -shm files "
                                    "beside it (remount it read-write, or use another --data)",
                           SQ(s)->path, dir);
        if (access(dir, W_OK) != 0)
            return err_set(e, E_IO, "%s: the directory %s is read-only for this user; the notary "
                                    "must create the -wal and -shm files beside its database "
                                    "(make %s writable, or run as its owner)",
                           SQ(s)->path, dir, dir);
        if (access(SQ(s)->path, W_OK) != 0 && errno != ENOENT)
            return err_set(e, E_IO, "%s: the database file is read-only for this user (make it "
                                    "writable, or run as its owner)", SQ(s)->path);
    }
    return err_set(e, E_IO, "%s: %s%s%s", SQ(s)->path, what, *what ? ": " : "",
                   sq_escaped(msg ? msg : SQ(s)->db ? sqlite3_errmsg(SQ(s)->db) : "out of memory",
                           text, sizeof text));
}

err_code sq_dberr(struct store *s, struct err *e, const char *what)
{
    return sq_open_error(s, e, what, NULL);
}

err_code sq_exec(struct store *s, const char *sql, struct err *e)
{
    char *msg = NULL;
    if (sqlite3_exec(SQ(s)->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        sq_open_error(s, e, "", msg);
        sqlite3_free(msg);
        return E_IO;
    }
    return E_OK;
}

err_code sq_prepare(struct store *s, const char *sql, sqlite3_stmt **st, struct err *e)
{
    if (sqlite3_prepare_v2(SQ(s)->db, sql, -1, st, NULL) != SQLITE_OK)
        return sq_dberr(s, e, "prepare");
    return E_OK;
}

void sq_turn_take(struct store *s)
{
    struct sq_shared *sh = SQ(s)->sh;
    if (!sh || SQ(s)->turn)
        return;
    pthread_mutex_lock(&sh->tmu);
    uint64_t t = sh->tnext++;
    while (t != sh->tserve)
        pthread_cond_wait(&sh->tcv, &sh->tmu);
    pthread_mutex_unlock(&sh->tmu);
    SQ(s)->turn = true;
}

void sq_turn_give(struct store *s)
{
    struct sq_shared *sh = SQ(s)->sh;
    if (!SQ(s)->turn)
        return;
    SQ(s)->turn = false;
    pthread_mutex_lock(&sh->tmu);
    sh->tserve++;
    pthread_cond_broadcast(&sh->tcv);
    pthread_mutex_unlock(&sh->tmu);
}

err_code sq_begin(struct store *s, struct err *e)
{
    sq_turn_take(s);
    err_code rc = sq_exec(s, "BEGIN IMMEDIATE", e);
    if (rc)
        sq_turn_give(s);
    return rc;
}

err_code sq_commit(struct store *s, struct err *e)
{
    err_code rc = sq_exec(s, "COMMIT", e);
    if (!rc)
        sq_turn_give(s);
    return rc;
}

void sq_rollback(struct store *s)
{
    sqlite3_exec(SQ(s)->db, "ROLLBACK", NULL, NULL, NULL);
    sq_turn_give(s);
}

err_code sq_run(struct store *s, const char *sql, const struct bindv *v, int nv, int *changes,
                struct err *e)
{
    sqlite3_stmt *st;
    err_code rc = sq_prepare(s, sql, &st, e);
    if (rc)
        return rc;
    for (int i = 0; i < nv; i++) {
        switch (v[i].t) {
        case B_I64: sqlite3_bind_int64(st, i + 1, v[i].i); break;
        case B_BLOB32: sqlite3_bind_blob(st, i + 1, v[i].p, 32, SQLITE_STATIC); break;
        case B_TEXT: sqlite3_bind_text(st, i + 1, v[i].p, -1, SQLITE_STATIC); break;
        case B_BLOB: sqlite3_bind_blob(st, i + 1, v[i].p, (int)v[i].len, SQLITE_STATIC); break;
        case B_NONE: sqlite3_bind_null(st, i + 1); break;
        }
    }
    /* A write outside a transaction queues like the transactions do, or
     * it could starve in SQLite's busy-wait behind back-to-back ones. */
    bool own = sqlite3_get_autocommit(SQ(s)->db);
    if (own)
        sq_turn_take(s);
    rc = sqlite3_step(st) == SQLITE_DONE ? E_OK : sq_dberr(s, e, "write");
    if (changes)
        *changes = sqlite3_changes(SQ(s)->db);
    if (own)
        sq_turn_give(s);
    sqlite3_finalize(st);
    return rc;
}

/* ---- batches -------------------------------------------------------------- */

void sq_blob32(sqlite3_stmt *st, int col, struct hash32 *out, bool *present)
{
    const void *p = sqlite3_column_blob(st, col);
    bool ok = p && sqlite3_column_bytes(st, col) == 32;
    if (ok)
        memcpy(out->b, p, 32);
    else
        memset(out->b, 0, 32);
    if (present)
        *present = ok;
}


void sq_row_to_batch(sqlite3_stmt *st, void *elem)
{
    struct store_batch *b = elem;
    memset(b, 0, sizeof *b);
    b->kind = (enum batch_kind)sqlite3_column_int(st, 0);
    b->seq = (uint64_t)sqlite3_column_int64(st, 1);
    b->state = (enum batch_state)sqlite3_column_int(st, 2);
    b->size = (uint64_t)sqlite3_column_int64(st, 3);
    sq_blob32(st, 4, &b->root, &b->has_root);
    b->opened_at = sqlite3_column_int64(st, 5);
    b->closed_at = sqlite3_column_int64(st, 6);
    sq_blob32(st, 7, &b->tx_hash, &b->has_tx);
    b->nonce = (uint64_t)sqlite3_column_int64(st, 8);
    b->sent_at = sqlite3_column_int64(st, 9);
    b->block_number = (uint64_t)sqlite3_column_int64(st, 10);
    sq_blob32(st, 11, &b->block_hash, NULL);
    b->block_time = sqlite3_column_int64(st, 12);
    b->anchored_at = sqlite3_column_int64(st, 13);
    const unsigned char *le = sqlite3_column_text(st, 14);
    if (le)
        snprintf(b->last_error, sizeof b->last_error, "%s", (const char *)le);
    b->first_id = sqlite3_column_int64(st, 15);
}

static err_code batch_query_one(struct store *s, const char *where, enum batch_kind kind,
                                int64_t arg, bool use_arg, struct store_batch *out,
                                const char *what, struct err *e)
{
    char sql[512];
    snprintf(sql, sizeof sql, "SELECT " BATCH_COLS " FROM batches WHERE %s", where);
    sqlite3_stmt *st;
    err_code rc = sq_prepare(s, sql, &st, e);
    if (rc)
        return rc;
    sqlite3_bind_int(st, 1, kind);
    if (use_arg)
        sqlite3_bind_int64(st, 2, arg);
    int r = sqlite3_step(st);
    if (r == SQLITE_ROW) {
        sq_row_to_batch(st, out);
        rc = E_OK;
    } else if (r == SQLITE_DONE) {
        rc = err_set(e, E_NOT_FOUND, "%s", what);
    } else {
        rc = sq_dberr(s, e, "read batch");
    }
    sqlite3_finalize(st);
    return rc;
}

err_code sq_batch_open_get(struct store *s, enum batch_kind kind, struct store_batch *out,
                           struct err *e)
{
    return batch_query_one(s, "kind = ?1 AND state = 0", kind, 0, false, out,
                           "no open batch", e);
}

err_code sq_batch_get(struct store *s, enum batch_kind kind, uint64_t seq,
                             struct store_batch *out, struct err *e)
{
    return batch_query_one(s, "kind = ?1 AND seq = ?2", kind, (int64_t)seq, true, out,
                           "no such batch", e);
}

/* The next seq of `kind`: one past the highest. */
err_code sq_next_seq(struct store *s, enum batch_kind kind, uint64_t *seq, struct err *e)
{
    sqlite3_stmt *st;
    err_code rc = sq_prepare(s, "SELECT coalesce(max(seq) + 1, 0) FROM batches WHERE kind = ?",
                             &st, e);
    if (rc)
        return rc;
    sqlite3_bind_int(st, 1, kind);
    if (sqlite3_step(st) == SQLITE_ROW)
        *seq = (uint64_t)sqlite3_column_int64(st, 0);
    else
        rc = sq_dberr(s, e, "next sequence number");
    sqlite3_finalize(st);
    return rc;
}
