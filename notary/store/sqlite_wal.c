/*
 * notary/store/sqlite_wal.c — WAL checkpoints off the committing thread
 * (store_wal_background, sqlite_impl.h).
 *
 * By default the connection that commits copies the log into the database
 * file itself (SQLite's auto-checkpoint, every 1,000 pages ≈ 4 MB), inside
 * the commit that crossed the mark: that copy and the database file's fsync
 * were the tail of bulk submission latency (40k-hash commits: p99 40–50 ms
 * with them, 18 ms without). Here the handle's connection gets a WAL hook
 * instead, which only tells a checkpointer thread (its own connection) that
 * WAL_BG_PAGES are waiting; the thread runs PASSIVE checkpoints, which
 * never block a commit. Each PASSIVE checkpoint copies only frames every
 * reader is done with, so under a steady stream of commits the log might
 * never be fully copied (the log restarts from its beginning only then):
 * past WAL_SYNC_PAGES the committing connection checkpoints itself, as
 * SQLite would, by then mostly a remainder.
 *
 * Durability is unchanged: every commit is fsynced to the log
 * (synchronous=FULL) before it returns, with or without checkpoints; a
 * checkpoint is SQLite's own crash-safe copy (log fsynced, pages copied,
 * database fsynced, only then the log reused).
 */
#include "notary/store/sqlite_impl.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* The checkpointer is told once this many frames wait (SQLite's default
 * auto-checkpoint mark). */
#define WAL_BG_PAGES 1000
/* Past this many frames in the log the committing connection checkpoints
 * itself (≈ 64 MB of log with 4 KB pages). */
#define WAL_SYNC_PAGES 16000

struct sq_wal {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool pending, stop;
    sqlite3 *db; /* the checkpointer's own connection */
};

/* SQLite's WAL hook on the committing connection: called after a commit,
 * its write lock released, with the frames now in the log. */
static int wal_hook(void *arg, sqlite3 *db, const char *name, int frames)
{
    struct sq_wal *w = arg;
    if (frames >= WAL_SYNC_PAGES) {
        /* A failure here costs a larger log, never a commit: the commit
         * is durable already; the next commit tries again. */
        (void)sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    } else if (frames >= WAL_BG_PAGES) {
        pthread_mutex_lock(&w->mu);
        w->pending = true;
        pthread_cond_signal(&w->cv);
        pthread_mutex_unlock(&w->mu);
    }
    return SQLITE_OK;
}

static void *checkpointer(void *arg)
{
    struct sq_wal *w = arg;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (!w->pending && !w->stop)
            pthread_cond_wait(&w->cv, &w->mu);
        if (w->stop)
            break;
        w->pending = false;
        pthread_mutex_unlock(&w->mu);
        /* SQLITE_BUSY (another checkpoint runs) and errors: the frames
         * stay in the log, the next mark or WAL_SYNC_PAGES copies them. */
        (void)sqlite3_wal_checkpoint_v2(w->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
        pthread_mutex_lock(&w->mu);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

err_code sq_wal_background(struct store *s, struct err *e)
{
    struct sq *q = SQ(s);
    if (q->wal)
        return E_OK;
    sqlite3_stmt *st;
    err_code rc = sq_prepare(s, "PRAGMA journal_mode", &st, e);
    if (rc)
        return rc;
    bool wal = sqlite3_step(st) == SQLITE_ROW &&
               strcmp((const char *)sqlite3_column_text(st, 0), "wal") == 0;
    sqlite3_finalize(st);
    if (!wal) /* ":memory:" has no log to copy */
        return E_OK;
    struct sq_wal *w = calloc(1, sizeof *w);
    if (!w)
        return err_set(e, E_NOMEM, "out of memory");
    if (sqlite3_open_v2(q->path, &w->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX, NULL) !=
            SQLITE_OK ||
        sqlite3_exec(w->db, "PRAGMA synchronous=FULL", NULL, NULL, NULL) != SQLITE_OK) {
        rc = err_set(e, E_IO, "%s: cannot open a checkpoint connection: %s", q->path,
                     w->db ? sqlite3_errmsg(w->db) : "out of memory");
        sqlite3_close(w->db);
        free(w);
        return rc;
    }
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    if (pthread_create(&w->thread, NULL, checkpointer, w) != 0) {
        pthread_mutex_destroy(&w->mu);
        pthread_cond_destroy(&w->cv);
        sqlite3_close(w->db);
        free(w);
        return err_set(e, E_NOMEM, "%s: cannot start the checkpoint thread", q->path);
    }
    sqlite3_wal_hook(q->db, wal_hook, w); /* replaces the auto-checkpoint */
    q->wal = w;
    return E_OK;
}

void sq_wal_stop(struct store *s)
{
    struct sq_wal *w = SQ(s)->wal;
    if (!w)
        return;
    sqlite3_wal_hook(SQ(s)->db, NULL, NULL);
    pthread_mutex_lock(&w->mu);
    w->stop = true;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
    sqlite3_close(w->db);
    free(w);
    SQ(s)->wal = NULL;
}
