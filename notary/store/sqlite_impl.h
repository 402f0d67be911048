/*
 * notary/store/sqlite_impl.h — the inside of the SQLite engine, shared by its
 * six files and private to notary/store/ (nothing outside this room
 * includes it; callers see notary/store/store.h). Each file only calls the
 * ones listed before it:
 *   - sqlite_db.c: statements — the words for a failed open or write,
 *     running statements, write turns, transactions, batch rows;
 *   - sqlite_index.c: the hash index — submissions as chunks, the
 *     lookups in credential_index and the sorted runs, the in-memory index
 *     (notary/store/hashidx.h) shared by the handles of one process, a
 *     batch's leaves;
 *   - sqlite_runs.c: store_index_frozen — writing sorted runs and merging
 *     them into credential_index;
 *   - sqlite_backup.c: the snapshot (VACUUM INTO), the integrity check,
 *     the rows of batches lost to an older backup;
 *   - sqlite_schema.c: the file — open, recognition of a foreign file,
 *     schema migrations, close;
 *   - store_sqlite.c: the engine — the writer lock, settings, batches,
 *     anchoring state, the revocation log, API tokens, the method table
 *     and store_sqlite_open.
 * Every function here takes a `struct store *` that is a `struct sq` (made
 * by store_sqlite_open) and reports failure through `e` (notary/store/store.h
 * error conventions); none of them takes ownership of its arguments.
 */
#ifndef NOTARY_STORE_SQLITE_IMPL_H
#define NOTARY_STORE_SQLITE_IMPL_H

#include <pthread.h>
#include <sqlite3.h>

#include "notary/store/store_impl.h"

/* The in-memory part of the hash index, one per database file and process
 * (see the top of notary/store/sqlite_index.c), and the write turns of that
 * process. */
struct sq_shared {
    char *key; /* realpath of the database */
    int refs;
    pthread_rwlock_t lock;
    struct hashidx *idx; /* NULL until first needed */
    bool valid;          /* false: rebuild before the next use */
    bool all;            /* covers every row, not only those after `from` */
    int64_t from, upto;  /* the rows with ids in [from, upto) are in idx */
    /* Write transactions of this process take turns in arrival order (a
     * ticket lock), so the slices that index a frozen batch and notary
     * serve's submissions alternate instead of one starving the other in
     * SQLite's busy-wait. */
    pthread_mutex_t tmu;
    pthread_cond_t tcv;
    uint64_t tnext, tserve;
    struct sq_shared *next;
};

/* A sorted run's key: the 32-byte hash, then the leaf index (4 bytes,
 * big-endian), RUN_BLOCK keys per row of `runs` at most. */
#define RUN_KEY 36
#define RUN_BLOCK 128
/* Batches of at most SQ_RUN_MIN rows go straight into credential_index;
 * at most SQ_RUNS_KEEP larger ones stay as runs (each costs every lookup
 * that misses credential_index one seek). */
#define SQ_RUN_MIN 32768
#define SQ_RUNS_KEEP 4

/* The frozen batches whose rows are not all in credential_index. */
struct sq_run {
    int64_t seq, first;
};
struct sq_runs {
    struct sq_run *v;
    size_t n;
};

struct sq {
    struct store base; /* first: ops */
    sqlite3 *db;
    char *path;
    int lock_fd;
    struct sq_shared *sh;
    bool turn; /* holds its process's write turn (sh->tserve) */
    struct sq_wal *wal; /* the checkpointer, after store_wal_background; or NULL */
};

#define SQ(s) ((struct sq *)(s))

/* ---- sqlite_wal.c: checkpoints off the committing thread ---------------- */

/* store_wal_background: a checkpointer thread with its own connection
 * copies the log into the database file; this handle's commits only tell
 * it (and copy themselves only past a bound). No-op without a WAL. E_IO if
 * the second connection cannot be opened, E_NOMEM. */
err_code sq_wal_background(struct store *s, struct err *e);
/* Stop and free the checkpointer, if any (sq_close calls it first). */
void sq_wal_stop(struct store *s);

/* ---- sqlite_db.c: statements, turns, transactions, batch rows ----------- */

/* Copy SQLite's text `in` (NULL: "") into `out` (`max` bytes) for a message:
 * printable ASCII as is, any other byte as \xNN (SQLite quotes names from
 * the file, which a damaged or foreign file fills with anything). */
const char *sq_escaped(const char *in, char *out, size_t max);

/* A failure to open or write the database file. When SQLite's reason is
 * that the file, its directory or the file system is read-only, the message
 * says that and where; otherwise "PATH: WHAT: MESSAGE" with `msg` (or, if
 * NULL, SQLite's last error) escaped. Returns E_IO. */
err_code sq_open_error(struct store *s, struct err *e, const char *what, const char *msg);
/* sq_open_error(s, e, what, NULL): SQLite's last error. Returns E_IO. */
err_code sq_dberr(struct store *s, struct err *e, const char *what);
/* Run SQL text without results. E_IO on failure. */
err_code sq_exec(struct store *s, const char *sql, struct err *e);
/* Prepare one statement; on E_OK *st is the caller's to sqlite3_finalize. */
err_code sq_prepare(struct store *s, const char *sql, sqlite3_stmt **st, struct err *e);

/* Wait for / give back this process's write turn (struct sq_shared); both
 * are no-ops when the handle already holds / does not hold it. */
void sq_turn_take(struct store *s);
void sq_turn_give(struct store *s);

/* BEGIN IMMEDIATE in the write turn; COMMIT (gives the turn back on E_OK
 * only: the caller then calls sq_rollback); ROLLBACK and give the turn back. */
err_code sq_begin(struct store *s, struct err *e);
err_code sq_commit(struct store *s, struct err *e);
void sq_rollback(struct store *s);

/* One bound value of sq_run: BI integer, BH 32-byte hash, BT text, BB blob,
 * {.t = B_NONE} SQL NULL. Pointers are borrowed for the call. */
struct bindv {
    enum { B_NONE, B_I64, B_BLOB32, B_TEXT, B_BLOB } t;
    int64_t i;
    const void *p;
    size_t len;
};
#define BI(v) ((struct bindv){.t = B_I64, .i = (int64_t)(v)})
#define BH(h) ((struct bindv){.t = B_BLOB32, .p = (h)->b})
#define BT(s) ((struct bindv){.t = B_TEXT, .p = (s)})
#define BB(p_, l_) ((struct bindv){.t = B_BLOB, .p = (p_), .len = (l_)})

/* Run one UPDATE/INSERT/DELETE with the `nv` values `v`; *changes (if not
 * NULL) gets the rows changed. Outside a transaction it waits for the write
 * turn. E_IO on failure. */
err_code sq_run(struct store *s, const char *sql, const struct bindv *v, int nv, int *changes,
                struct err *e);

/* Column `col` as a 32-byte value: zeros and *present (if not NULL) false
 * when NULL or of another length. */
void sq_blob32(sqlite3_stmt *st, int col, struct hash32 *out, bool *present);
/* The columns BATCH_COLS of the current row into the struct store_batch
 * `elem`. */
#define BATCH_COLS                                                                                 \
    "kind, seq, state, size, root, opened_at, closed_at, tx_hash, nonce, sent_at, block_number, "  \
    "block_hash, block_time, anchored_at, last_error, first_id"
void sq_row_to_batch(sqlite3_stmt *st, void *elem);
/* The open batch of `kind` (E_NOT_FOUND "no open batch" if none). */
err_code sq_batch_open_get(struct store *s, enum batch_kind kind, struct store_batch *out,
                           struct err *e);
/* Batch `seq` of `kind` (E_NOT_FOUND if none: the store_ops method). */
err_code sq_batch_get(struct store *s, enum batch_kind kind, uint64_t seq,
                      struct store_batch *out, struct err *e);
/* The next seq of `kind`: one past the highest (0 for the first). */
err_code sq_next_seq(struct store *s, enum batch_kind kind, uint64_t *seq, struct err *e);

/* ---- sqlite_index.c: submissions and the hash index ---------------------- */

/* Find or create the shared in-memory index record of the handle's file
 * (keyed by its realpath) and count the handle in; E_NOMEM. */
err_code sq_shared_attach(struct store *s, struct err *e);
/* Count a handle out; the last one frees the record. NULL is a no-op. */
void sq_shared_detach(struct sq_shared *sh);

/* The store_ops methods of the same names (notary/store/store_impl.h). */
err_code sq_submit(struct store *s, const struct hash32 *hashes,
                   const enum credential_hashing *hashing, size_t n, struct store_submitted *out,
                   void (*progress)(uint64_t done, uint64_t total, void *arg), void *arg,
                   struct err *e);
err_code sq_credential_get(struct store *s, const struct hash32 *hash,
                           struct store_credential *out, struct err *e);
err_code sq_index_all(struct store *s, struct err *e);
err_code sq_batch_leaves(struct store *s, const struct store_batch *b, struct hash32 *hashes,
                         uint8_t *hashing, struct err *e);
err_code sq_batch_scan(struct store *s, const struct store_batch *b, struct hash32 **hashes,
                       uint64_t *n, struct err *e);
/* Call `each` for every chunk of the rows [first, first + size) of batch
 * `seq`, in order (`at` = leaf index of the chunk's first row); E_STATE if
 * they are not exactly those rows. */
err_code sq_chunks_walk(struct store *s, uint64_t seq, int64_t first, uint64_t size,
                        void (*each)(void *arg, uint64_t at, const uint8_t *hashes,
                                     const uint8_t *hashing, uint64_t n, int64_t submitted_at),
                        void *arg, struct err *e);

/* ---- sqlite_runs.c: sorted runs and credential_index ---------------------- */

/* store_ops.index_frozen (see the top of sqlite_index.c): write the sorted
 * run of every frozen batch that has neither a run nor its rows in
 * credential_index, in one transaction each, then merge the oldest runs
 * into credential_index while more than SQ_RUNS_KEEP are left (and every
 * batch of at most SQ_RUN_MIN rows directly, without a run). */
err_code sq_index_frozen(struct store *s, struct err *e);

/* ---- sqlite_backup.c: backup and restore --------------------------------- */

/* The store_ops methods backup, integrity and batches_lost
 * (notary/store/store_impl.h). */
err_code sq_backup(struct store *s, const char *path, struct err *e);
err_code sq_integrity(struct store *s, struct err *e);
err_code sq_batches_lost(struct store *s, enum batch_kind kind, const struct store_lost *lost,
                         size_t n, uint64_t open_seq, uint64_t moved_to, struct err *e);
/* store_ops.batch_leaves_range: leaves [from, from + count) of batch `b`. */
err_code sq_batch_leaves_range(struct store *s, const struct store_batch *b, uint64_t from,
                               uint64_t count, struct hash32 *hashes, uint8_t *hashing,
                               struct err *e);

/* ---- sqlite_schema.c: the file ------------------------------------------- */

/* store_sqlite_open with the handle's method table `ops`: open (or, with
 * `create`, create) the file, refuse one that is not a notary database,
 * set WAL / synchronous=FULL, migrate the schema, attach the shared index. */
err_code sq_open(const char *path, bool create, const struct store_ops *ops, struct store **out,
                 struct err *e);
/* Close a handle made by sq_open (partly made ones too): rolls back an open
 * transaction, gives back the write turn, detaches from the shared index,
 * releases the writer lock file, frees `s`. NULL is a no-op. */
void sq_close(struct store *s);

#endif
