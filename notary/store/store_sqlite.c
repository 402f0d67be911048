/*
 * notary/store/store_sqlite.c — the SQLite engine of notary/store/store.h (the embedded
 * default; notary/store/store_pg.c is the PostgreSQL one, with the same schema
 * numbering: migration N here is migration N there).
 *
 * Durability: WAL with synchronous=FULL, so a COMMIT has been fsynced when
 * sqlite3_step returns; every write path runs inside one explicit
 * transaction and reports success only after COMMIT. Migrations are keyed
 * by PRAGMA user_version and run inside a transaction.
 *
 * Submissions (migration 5) are appended as *chunks*: one row per run of up
 * to CHUNK_MAX hashes of one commit, the hashes packed in a blob, so a
 * commit writes about 33 bytes per hash, sequentially. Random inserts into a
 * B-tree keyed by hash (the UNIQUE column this replaced) dirtied about one
 * 4 KB page per hash once the index outgrew a commit, which capped bulk
 * submission at ~90k hashes/s. The hash → row index now has two parts:
 *   - credential_index, on disk, for frozen batches: a batch's rows are
 *     inserted in hash order after it is frozen, in slices of INDEX_SLICE
 *     rows per transaction (store_index_frozen, which batch_close calls
 *     once the root is stored; batches.indexed = progress);
 *   - an in-memory index (notary/store/hashidx.h) of the rows not in it yet —
 *     the open batch and any frozen batch not fully indexed — or of every
 *     row once store_index_all was called;
 *     built from the chunks when a process first needs it, shared by
 *     all handles of one process on one file, caught up from the chunks
 *     table (ids are contiguous and only grow) before every use, and only
 *     a hint: each candidate is confirmed against the stored hash.
 * The cost moved to the close: merging a batch into credential_index in
 * hash order dirties every index page that receives a key, so once the
 * index is much larger than the batch, indexing writes about one page per
 * hash to the WAL (as submissions did before) — once per batch, in slices,
 * off the submission path. A log-structured index (sorted runs merged in
 * the background) would remove that; not needed at daily batch sizes.
 * The in-memory index keeps 32-bit ids relative to its first row: past 2^32
 * rows in all, store_index_all falls back to the rows not yet on disk.
 */
#include "notary/store/store_impl.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "notary/store/hashidx.h"

/* Hashes per chunk row: a commit of more writes several rows. Small enough
 * that reading one hash back (a duplicate's check) walks few overflow pages. */
#define CHUNK_MAX 8192

/* The in-memory part of the hash index, one per database file and process
 * (see the top of this file). */
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

struct sq {
    struct store base; /* first: ops */
    sqlite3 *db;
    char *path;
    int lock_fd;
    struct sq_shared *sh;
    bool turn; /* holds its process's write turn (sh->tserve) */
};

#define SQ(s) ((struct sq *)(s))

static const struct store_ops SQLITE_OPS;
static void sq_close(struct store *s);

static const char *const MIGRATIONS[] = {
    /* 1: the initial schema */
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;"
    /* id = batch first_id + leaf index: a batch's leaves are one rowid range,
     * read back in order by a sequential scan (an index scan was 30x slower). */
    "CREATE TABLE credentials("
    "  id INTEGER PRIMARY KEY,"
    "  hash BLOB NOT NULL UNIQUE CHECK(length(hash) = 32),"
    "  hashing INTEGER NOT NULL,"
    "  batch_seq INTEGER NOT NULL,"
    "  submitted_at INTEGER NOT NULL);"
    "CREATE TABLE batches("
    "  kind INTEGER NOT NULL, seq INTEGER NOT NULL, state INTEGER NOT NULL,"
    "  size INTEGER NOT NULL DEFAULT 0, first_id INTEGER NOT NULL DEFAULT 0,"
    "  root BLOB, opened_at INTEGER NOT NULL, closed_at INTEGER,"
    "  tx_hash BLOB, nonce INTEGER, sent_at INTEGER,"
    "  block_number INTEGER, block_hash BLOB, block_time INTEGER, anchored_at INTEGER,"
    "  last_error TEXT,"
    "  PRIMARY KEY(kind, seq)) WITHOUT ROWID;"
    "CREATE TABLE txs("
    "  tx_hash BLOB PRIMARY KEY, kind INTEGER NOT NULL, seq INTEGER NOT NULL,"
    "  nonce INTEGER NOT NULL, raw BLOB NOT NULL, created_at INTEGER NOT NULL) WITHOUT ROWID;",
    /* 2: the revocation log (core/revlog.h): idx is the entry's position in
     * the RFC 9162 log; the triggers make the table append-only, so even a
     * bug cannot rewrite history that checkpoints have anchored. */
    "CREATE TABLE revocations("
    "  idx INTEGER PRIMARY KEY,"
    "  hash BLOB NOT NULL UNIQUE CHECK(length(hash) = 32),"
    "  reason INTEGER NOT NULL CHECK(reason BETWEEN 0 AND 255),"
    "  note TEXT NOT NULL DEFAULT '',"
    "  revoked_at INTEGER NOT NULL CHECK(revoked_at >= 0));"
    "CREATE TRIGGER revocations_no_update BEFORE UPDATE ON revocations BEGIN"
    "  SELECT RAISE(ABORT, 'the revocation log is append-only'); END;"
    "CREATE TRIGGER revocations_no_delete BEFORE DELETE ON revocations BEGIN"
    "  SELECT RAISE(ABORT, 'the revocation log is append-only'); END;",
    /* 3: API bearer tokens for `notary serve`: only the SHA-256 of each
     * token is kept, so a copy of the database grants no access. */
    "CREATE TABLE api_tokens("
    "  name TEXT PRIMARY KEY,"
    "  token_hash BLOB NOT NULL UNIQUE CHECK(length(token_hash) = 32),"
    "  created_at INTEGER NOT NULL) WITHOUT ROWID;",
    /* 4: the block number the ledger was at when a transaction was (re)sent,
     * so a transaction pending for K blocks can be replaced with a higher
     * fee at the same nonce (DESIGN.md fault table, "stuck / underpriced"). */
    "ALTER TABLE txs ADD COLUMN sent_block INTEGER;",
    /* 5: submissions as append-only chunks (see the top of this file): a
     * chunk's id is the row id of its first hash (batch first_id + leaf
     * index), so ids stay contiguous; `hashing` holds one byte per hash.
     * credential_index holds the frozen batches' hashes, filled in hash
     * order after the freeze, in slices (batches.indexed counts the rows of
     * a batch already in it); its PRIMARY KEY keeps a hash stored once. The view
     * `credentials` shows one row per hash as before, for people with the
     * sqlite3 shell; it is slow (each row reads its chunk's blob, and no
     * index helps a WHERE on it): the notary never uses it. */
    "CREATE TABLE chunks("
    "  id INTEGER PRIMARY KEY,"
    "  batch_seq INTEGER NOT NULL,"
    "  n INTEGER NOT NULL CHECK(n > 0),"
    "  hashes BLOB NOT NULL CHECK(length(hashes) = 32 * n),"
    "  hashing BLOB NOT NULL CHECK(length(hashing) = n),"
    "  submitted_at INTEGER NOT NULL);"
    "CREATE TABLE credential_index("
    "  hash BLOB PRIMARY KEY CHECK(length(hash) = 32),"
    "  id INTEGER NOT NULL, batch_seq INTEGER NOT NULL, hashing INTEGER NOT NULL,"
    "  submitted_at INTEGER NOT NULL) WITHOUT ROWID;"
    "INSERT INTO chunks(id, batch_seq, n, hashes, hashing, submitted_at)"
    "  SELECT id, batch_seq, 1, hash,"
    "         CASE hashing WHEN 0 THEN x'00' WHEN 1 THEN x'01' WHEN 2 THEN x'02' END,"
    "         submitted_at FROM credentials ORDER BY id;"
    "INSERT INTO credential_index(hash, id, batch_seq, hashing, submitted_at)"
    "  SELECT c.hash, c.id, c.batch_seq, c.hashing, c.submitted_at FROM credentials c"
    "  JOIN batches b ON b.kind = 0 AND b.seq = c.batch_seq WHERE b.state <> 0 ORDER BY c.hash;"
    "ALTER TABLE batches ADD COLUMN indexed INTEGER NOT NULL DEFAULT 0;"
    "UPDATE batches SET indexed = size WHERE kind = 0 AND state <> 0;"
    "DROP TABLE credentials;"
    "CREATE VIEW credentials(id, hash, hashing, batch_seq, submitted_at) AS"
    "  WITH RECURSIVE leaf(cid, i, n) AS ("
    "    SELECT id, 0, n FROM chunks"
    "    UNION ALL SELECT cid, i + 1, n FROM leaf WHERE i + 1 < n)"
    "  SELECT c.id + leaf.i, substr(c.hashes, 32 * leaf.i + 1, 32),"
    "         instr(x'000102', substr(c.hashing, leaf.i + 1, 1)) - 1, c.batch_seq, c.submitted_at"
    "  FROM leaf JOIN chunks c ON c.id = leaf.cid;",
};

static_assert(sizeof MIGRATIONS / sizeof MIGRATIONS[0] == STORE_SCHEMA_VERSION,
              "a migration added to one engine must be added to the other (store_pg.c)");

/* Copy SQLite's text `in` into `out` for a message: printable ASCII as is,
 * any other byte as \xNN. SQLite's messages quote schema text and names from
 * the file itself, which a damaged or foreign file fills with anything. */
static const char *escaped(const char *in, char *out, size_t max)
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
static err_code open_error(struct store *s, struct err *e, const char *what, const char *msg)
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
                   escaped(msg ? msg : SQ(s)->db ? sqlite3_errmsg(SQ(s)->db) : "out of memory",
                           text, sizeof text));
}

static err_code dberr(struct store *s, struct err *e, const char *what)
{
    return open_error(s, e, what, NULL);
}

static err_code exec(struct store *s, const char *sql, struct err *e)
{
    char *msg = NULL;
    if (sqlite3_exec(SQ(s)->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        open_error(s, e, "", msg);
        sqlite3_free(msg);
        return E_IO;
    }
    return E_OK;
}

static err_code prepare(struct store *s, const char *sql, sqlite3_stmt **st, struct err *e)
{
    if (sqlite3_prepare_v2(SQ(s)->db, sql, -1, st, NULL) != SQLITE_OK)
        return dberr(s, e, "prepare");
    return E_OK;
}

static void turn_take(struct store *s)
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

static void turn_give(struct store *s)
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

static err_code begin(struct store *s, struct err *e)
{
    turn_take(s);
    err_code rc = exec(s, "BEGIN IMMEDIATE", e);
    if (rc)
        turn_give(s);
    return rc;
}

static err_code commit(struct store *s, struct err *e)
{
    err_code rc = exec(s, "COMMIT", e);
    if (!rc)
        turn_give(s);
    return rc;
}

static void rollback(struct store *s)
{
    sqlite3_exec(SQ(s)->db, "ROLLBACK", NULL, NULL, NULL);
    turn_give(s);
}

static err_code migrate(struct store *s, struct err *e)
{
    sqlite3_stmt *st;
    err_code rc = prepare(s, "PRAGMA user_version", &st, e);
    if (rc)
        return rc;
    int version = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
    sqlite3_finalize(st);
    int latest = (int)(sizeof MIGRATIONS / sizeof MIGRATIONS[0]);
    if (version > latest)
        return err_set(e, E_UNSUPPORTED,
                       "%s: database schema version %d is newer than this notary (%d); upgrade "
                       "the notary",
                       SQ(s)->path, version, latest);
    for (int v = version; v < latest; v++) {
        char pragma[64];
        snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", v + 1);
        if ((rc = begin(s, e)))
            return rc;
        if ((rc = exec(s, MIGRATIONS[v], e)) || (rc = exec(s, pragma, e))) {
            rollback(s);
            return err_wrap(e, rc, "schema migration %d", v + 1);
        }
        if ((rc = commit(s, e)))
            return rc;
    }
    return E_OK;
}


/* ---- the per-process registry of in-memory hash indexes ------------------- */

static pthread_mutex_t g_shared_lock = PTHREAD_MUTEX_INITIALIZER;
static struct sq_shared *g_shared;

/* Find or create the shared index record of this handle's file. */
static err_code shared_attach(struct store *s, struct err *e)
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

static void shared_detach(struct sq_shared *sh)
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

/* An existing file is only ever opened as a notary's database if it is one:
 * a notary database always has the schema (migration 1 sets user_version and
 * creates `meta` in one transaction, and WAL mode writes the header first).
 * An emptied file, random bytes, a text file or another program's SQLite
 * database would otherwise be silently migrated into a brand-new, empty
 * notary. Checked with reads only, before any pragma writes to the file. */
static err_code recognise(struct store *s, struct err *e)
{
    const char *path = SQ(s)->path;
    sqlite3_stmt *st = NULL;
    int version = 0, objects = 0, meta = 0;
    char tables[200] = "";
    int r = sqlite3_prepare_v2(SQ(s)->db, "PRAGMA user_version", -1, &st, NULL);
    if (r == SQLITE_OK && (r = sqlite3_step(st)) == SQLITE_ROW)
        version = sqlite3_column_int(st, 0), r = SQLITE_OK;
    sqlite3_finalize(st);
    st = NULL;
    if (r == SQLITE_OK)
        r = sqlite3_prepare_v2(SQ(s)->db,
                               "SELECT count(*), coalesce(sum(type = 'table' AND name = 'meta'), 0),"
                               " (SELECT group_concat(name, ', ') FROM (SELECT name FROM "
                               "  sqlite_master WHERE type = 'table' ORDER BY name LIMIT 6))"
                               " FROM sqlite_master",
                               -1, &st, NULL);
    if (r == SQLITE_OK && (r = sqlite3_step(st)) == SQLITE_ROW) {
        objects = sqlite3_column_int(st, 0);
        meta = sqlite3_column_int(st, 1);
        escaped((const char *)sqlite3_column_text(st, 2), tables, sizeof tables);
        r = SQLITE_OK;
    }
    sqlite3_finalize(st);
    const char *what = NULL;
    char why[300];
    struct stat sb;
    if (r == SQLITE_NOTADB) {
        what = "it is not a SQLite database (no SQLite header)";
        if (stat(path, &sb) == 0 && sb.st_size == 0)
            what = "it is empty (0 bytes)";
    } else if (r != SQLITE_OK) {
        return dberr(s, e, "read the schema");
    } else if (objects == 0) {
        what = stat(path, &sb) == 0 && sb.st_size == 0 ? "it is empty (0 bytes)"
                                                        : "it is an empty SQLite database";
    } else if (!meta || version == 0) {
        snprintf(why, sizeof why, "it is a SQLite database without the notary's schema (tables: "
                                  "%s)", tables[0] ? tables : "none");
        what = why;
    }
    if (!what)
        return E_OK;
    return err_set(e, E_NOT_FOUND,
                   "%s is not a notary database: %s. Nothing was changed. If it held this "
                   "notary's data, restore it from a backup; to start a new notary here, run "
                   "`notary init --replace-unrecognised-store` (it sets the file aside, "
                   "deleting nothing)",
                   path, what);
}

err_code store_sqlite_open(const char *path, bool create, struct store **out, struct err *e)
{
    *out = NULL;
    bool existed = access(path, F_OK) == 0;
    if (!create && !existed)
        return err_set(e, E_NOT_FOUND, "%s: no notary database here (run `notary init` first)",
                       path);
    struct sq *q = calloc(1, sizeof *q);
    if (!q || !(q->path = strdup(path))) {
        free(q);
        return err_set(e, E_NOMEM, "out of memory");
    }
    q->base.ops = &SQLITE_OPS;
    struct store *s = &q->base;
    SQ(s)->lock_fd = -1;
    int flags = SQLITE_OPEN_READWRITE | (create && !existed ? SQLITE_OPEN_CREATE : 0) |
                SQLITE_OPEN_FULLMUTEX;
    if (sqlite3_open_v2(path, &SQ(s)->db, flags, NULL) != SQLITE_OK) {
        open_error(s, e, "cannot open database", NULL);
        sq_close(s);
        return E_IO;
    }
    sqlite3_busy_timeout(SQ(s)->db, 10000);
    err_code rc;
    if ((existed && (rc = recognise(s, e))) || (rc = exec(s, "PRAGMA journal_mode=WAL", e)) ||
        (rc = exec(s, "PRAGMA synchronous=FULL", e)) ||
        (rc = exec(s, "PRAGMA foreign_keys=ON", e)) ||
        (rc = exec(s, "PRAGMA cache_size=-65536", e)) || (rc = migrate(s, e)) ||
        (rc = shared_attach(s, e))) {
        sq_close(s);
        return rc;
    }
    *out = s;
    return E_OK;
}

static void sq_close(struct store *s)
{
    if (!s)
        return;
    if (SQ(s)->db && !sqlite3_get_autocommit(SQ(s)->db))
        sqlite3_exec(SQ(s)->db, "ROLLBACK", NULL, NULL, NULL);
    turn_give(s);
    shared_detach(SQ(s)->sh);
    if (SQ(s)->db)
        sqlite3_close(SQ(s)->db);
    if (SQ(s)->lock_fd >= 0)
        close(SQ(s)->lock_fd);
    free(SQ(s)->path);
    free(SQ(s));
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
    err_code rc = prepare(s, "SELECT value FROM meta WHERE key = ?", &st, e);
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
        rc = dberr(s, e, "read setting");
    }
    sqlite3_finalize(st);
    return rc;
}

static err_code sq_meta_set(struct store *s, const char *key, const char *value, struct err *e)
{
    sqlite3_stmt *st;
    err_code rc = prepare(s, "INSERT INTO meta(key, value) VALUES(?, ?) "
                             "ON CONFLICT(key) DO UPDATE SET value = excluded.value", &st, e);
    if (rc)
        return rc;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
    turn_take(s);
    rc = sqlite3_step(st) == SQLITE_DONE ? E_OK : dberr(s, e, "write setting");
    turn_give(s);
    sqlite3_finalize(st);
    return rc;
}

/* ---- batches -------------------------------------------------------------- */

#define BATCH_COLS                                                                                 \
    "kind, seq, state, size, root, opened_at, closed_at, tx_hash, nonce, sent_at, block_number, "  \
    "block_hash, block_time, anchored_at, last_error, first_id"

static void blob32(sqlite3_stmt *st, int col, struct hash32 *out, bool *present)
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

static void row_to_batch(sqlite3_stmt *st, struct store_batch *b)
{
    memset(b, 0, sizeof *b);
    b->kind = (enum batch_kind)sqlite3_column_int(st, 0);
    b->seq = (uint64_t)sqlite3_column_int64(st, 1);
    b->state = (enum batch_state)sqlite3_column_int(st, 2);
    b->size = (uint64_t)sqlite3_column_int64(st, 3);
    blob32(st, 4, &b->root, &b->has_root);
    b->opened_at = sqlite3_column_int64(st, 5);
    b->closed_at = sqlite3_column_int64(st, 6);
    blob32(st, 7, &b->tx_hash, &b->has_tx);
    b->nonce = (uint64_t)sqlite3_column_int64(st, 8);
    b->sent_at = sqlite3_column_int64(st, 9);
    b->block_number = (uint64_t)sqlite3_column_int64(st, 10);
    blob32(st, 11, &b->block_hash, NULL);
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
    err_code rc = prepare(s, sql, &st, e);
    if (rc)
        return rc;
    sqlite3_bind_int(st, 1, kind);
    if (use_arg)
        sqlite3_bind_int64(st, 2, arg);
    int r = sqlite3_step(st);
    if (r == SQLITE_ROW) {
        row_to_batch(st, out);
        rc = E_OK;
    } else if (r == SQLITE_DONE) {
        rc = err_set(e, E_NOT_FOUND, "%s", what);
    } else {
        rc = dberr(s, e, "read batch");
    }
    sqlite3_finalize(st);
    return rc;
}

static err_code sq_batch_open_get(struct store *s, enum batch_kind kind, struct store_batch *out,
                              struct err *e)
{
    return batch_query_one(s, "kind = ?1 AND state = 0", kind, 0, false, out,
                           "no open batch", e);
}

static err_code sq_batch_get(struct store *s, enum batch_kind kind, uint64_t seq,
                         struct store_batch *out, struct err *e)
{
    err_code rc = batch_query_one(s, "kind = ?1 AND seq = ?2", kind, (int64_t)seq, true, out,
                                  "no such batch", e);
    if (rc == E_NOT_FOUND)
        err_set(e, E_NOT_FOUND, "no %s %llu", kind == BATCH_ISSUANCE ? "batch" : "checkpoint",
                (unsigned long long)seq);
    return rc;
}

static err_code sq_batch_list(struct store *s, enum batch_kind kind, struct store_batch **out,
                          size_t *n, struct err *e)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st;
    err_code rc = prepare(s, "SELECT " BATCH_COLS " FROM batches WHERE kind = ? ORDER BY seq", &st, e);
    if (rc)
        return rc;
    sqlite3_bind_int(st, 1, kind);
    size_t cap = 0;
    int r;
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            struct store_batch *p = realloc(*out, cap * sizeof *p);
            if (!p) {
                rc = err_set(e, E_NOMEM, "out of memory");
                break;
            }
            *out = p;
        }
        row_to_batch(st, &(*out)[(*n)++]);
    }
    if (!rc && r != SQLITE_DONE)
        rc = dberr(s, e, "list batches");
    sqlite3_finalize(st);
    if (rc) {
        free(*out);
        *out = NULL;
        *n = 0;
    }
    return rc;
}

/* The next seq of `kind`: one past the highest. */
static err_code next_seq(struct store *s, enum batch_kind kind, uint64_t *seq, struct err *e)
{
    sqlite3_stmt *st;
    err_code rc = prepare(s, "SELECT coalesce(max(seq) + 1, 0) FROM batches WHERE kind = ?", &st, e);
    if (rc)
        return rc;
    sqlite3_bind_int(st, 1, kind);
    if (sqlite3_step(st) == SQLITE_ROW)
        *seq = (uint64_t)sqlite3_column_int64(st, 0);
    else
        rc = dberr(s, e, "next sequence number");
    sqlite3_finalize(st);
    return rc;
}

/* ---- submissions ---------------------------------------------------------- */

/* The row id the next submitted hash gets: one past the last chunk. */
static err_code next_id(struct store *s, int64_t *id, struct err *e)
{
    sqlite3_stmt *st;
    err_code rc = prepare(s, "SELECT id + n FROM chunks ORDER BY id DESC LIMIT 1", &st, e);
    if (rc)
        return rc;
    int r = sqlite3_step(st);
    if (r == SQLITE_ROW)
        *id = sqlite3_column_int64(st, 0);
    else if (r == SQLITE_DONE)
        *id = 0;
    else
        rc = dberr(s, e, "read the last submission");
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
    return r == SQLITE_OK ? E_OK : dberr(s, e, "read a stored hash");
}

/* The hash stored at row `id`; *found = false if there is none. */
static err_code row_at(struct store *s, int64_t id, struct row *out, bool *found, struct err *e)
{
    *found = false;
    sqlite3_stmt *st;
    err_code rc = prepare(s, "SELECT c.id, c.n, c.batch_seq, c.submitted_at, b.first_id FROM chunks "
                             "c JOIN batches b ON b.kind = 0 AND b.seq = c.batch_seq WHERE c.id <= ? "
                             "ORDER BY c.id DESC LIMIT 1", &st, e);
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
        rc = dberr(s, e, "read a stored hash");
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
        if ((rc = prepare(s, "SELECT coalesce((SELECT min(first_id) FROM batches WHERE kind = 0 "
                             "AND (state = 0 OR indexed < size)), (SELECT id + n FROM chunks "
                             "ORDER BY id DESC LIMIT 1), 0)", &q, e)))
            return rc;
        if (sqlite3_step(q) == SQLITE_ROW)
            from = sqlite3_column_int64(q, 0);
        else
            rc = dberr(s, e, "read batches");
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
    if ((rc = prepare(s, "SELECT id, n, hashes FROM chunks WHERE id >= ? ORDER BY id", &st, e))) {
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
        rc = dberr(s, e, "read the stored submissions");
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
        rc = dberr(s, e, "read credential");
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

static err_code sq_submit(struct store *s, const struct hash32 *hashes,
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
    sqlite3_stmt *ins = NULL, *get = NULL, *upd = NULL;
    err_code rc = begin(s, e);
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
        if ((rc = next_seq(s, BATCH_ISSUANCE, &seq, e)) || (rc = next_id(s, &first, e)) ||
            (rc = prepare(s, "INSERT INTO batches(kind, seq, state, size, first_id, opened_at) "
                             "VALUES(0, ?, 0, 0, ?, ?)", &mk, e)))
            goto fail;
        sqlite3_bind_int64(mk, 1, (int64_t)seq);
        sqlite3_bind_int64(mk, 2, first);
        sqlite3_bind_int64(mk, 3, now);
        rc = sqlite3_step(mk) == SQLITE_DONE ? E_OK : dberr(s, e, "open batch");
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
    if (sh->from > 0 && (rc = prepare(s, INDEX_GET_SQL, &get, e)))
        goto fail;
    int64_t npend = 0;
    for (size_t i = 0; i < n; i++) {
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
            if ((rc = index_get(s, get, &hashes[i], &c, &found, e)))
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
    if ((rc = prepare(s, "INSERT INTO chunks(id, batch_seq, n, hashes, hashing, submitted_at) "
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
            rc = dberr(s, e, "store credentials");
            goto fail;
        }
        sqlite3_reset(ins);
    }
    if ((rc = prepare(s, "UPDATE batches SET size = ? WHERE kind = 0 AND seq = ?", &upd, e)))
        goto fail;
    sqlite3_bind_int64(upd, 1, (int64_t)open.size + npend);
    sqlite3_bind_int64(upd, 2, (int64_t)open.seq);
    if (sqlite3_step(upd) != SQLITE_DONE) {
        rc = dberr(s, e, "update batch size");
        goto fail;
    }
    if ((rc = commit(s, e)))
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
    rollback(s);
out:
    sqlite3_finalize(ins);
    sqlite3_finalize(get);
    sqlite3_finalize(upd);
    free(pend);
    free(pend_how);
    return rc;
}

static err_code sq_credential_get(struct store *s, const struct hash32 *hash,
                              struct store_credential *out, struct err *e)
{
    sqlite3_stmt *st;
    bool found = false;
    err_code rc = prepare(s, INDEX_GET_SQL, &st, e);
    if (rc)
        return rc;
    rc = index_get(s, st, hash, out, &found, e);
    if (!rc && !found) { /* not in a frozen batch: maybe in the open one */
        struct sq_shared *sh = SQ(s)->sh;
        int64_t id;
        struct row row;
        pthread_rwlock_wrlock(&sh->lock);
        if (!(rc = idx_fit(s, 0, e)))
            rc = idx_lookup(s, hash, NULL, 0, 0, &id, &row, &found, e);
        pthread_rwlock_unlock(&sh->lock);
        /* Rows only move from the in-memory part to the disk index: one that
         * was indexed between the two looks is on disk now. */
        if (!rc && !found)
            rc = index_get(s, st, hash, out, &found, e);
        else if (!rc && found)
            *out = (struct store_credential){.hash = *hash,
                                             .hashing = (enum credential_hashing)row.hashing,
                                             .batch_seq = row.batch_seq,
                                             .leaf_index = (uint64_t)(id - row.batch_first_id),
                                             .submitted_at = row.submitted_at};
    }
    sqlite3_finalize(st);
    if (!rc && !found) {
        char hex[65];
        hash32_to_hex(hash, hex);
        rc = err_set(e, E_NOT_FOUND, "credential %s was never submitted to this notary", hex);
    }
    return rc;
}

static err_code sq_index_all(struct store *s, struct err *e)
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

/* One leaf of a batch, as freezing it needs it. */
struct leafrow {
    struct hash32 hash;
    int64_t id, submitted_at;
    uint8_t hashing;
};

/* Call `each` for every chunk of rows [first, first + size), in order,
 * checking they are exactly those rows. */
static err_code chunks_walk(struct store *s, uint64_t seq, int64_t first, uint64_t size,
                            void (*each)(void *arg, uint64_t at, const uint8_t *hashes,
                                         const uint8_t *hashing, uint64_t n, int64_t submitted_at),
                            void *arg, struct err *e)
{
    sqlite3_stmt *st;
    err_code rc = prepare(s, "SELECT id, n, hashes, hashing, submitted_at FROM chunks WHERE id >= ?1 "
                             "AND id < ?2 ORDER BY id", &st, e);
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
        rc = dberr(s, e, "read batch leaves");
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

static err_code sq_batch_leaves(struct store *s, uint64_t seq, struct hash32 **hashes,
                             uint8_t **hashing, uint64_t *n, struct err *e)
{
    *hashes = NULL;
    if (hashing)
        *hashing = NULL;
    *n = 0;
    struct store_batch b;
    err_code rc = sq_batch_get(s, BATCH_ISSUANCE, seq, &b, e);
    if (rc)
        return rc;
    if (b.size == 0)
        return E_OK;
    struct leaves_out o = {malloc(b.size * sizeof *o.h), hashing ? malloc(b.size) : NULL};
    if (!o.h || (hashing && !o.how)) {
        free(o.h);
        free(o.how);
        return err_set(e, E_NOMEM, "out of memory for %llu leaves", (unsigned long long)b.size);
    }
    if ((rc = chunks_walk(s, seq, b.first_id, b.size, leaves_each, &o, e))) {
        free(o.h);
        free(o.how);
        return rc;
    }
    *hashes = o.h;
    if (hashing)
        *hashing = o.how;
    *n = b.size;
    return E_OK;
}

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

/* Run one UPDATE/INSERT with up to 8 bound values given as a small tagged list. */
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

static err_code run(struct store *s, const char *sql, const struct bindv *v, int nv, int *changes,
                    struct err *e)
{
    sqlite3_stmt *st;
    err_code rc = prepare(s, sql, &st, e);
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
        turn_take(s);
    rc = sqlite3_step(st) == SQLITE_DONE ? E_OK : dberr(s, e, "write");
    if (changes)
        *changes = sqlite3_changes(SQ(s)->db);
    if (own)
        turn_give(s);
    sqlite3_finalize(st);
    return rc;
}

/* Rows of a frozen batch added to credential_index per transaction. */
#define INDEX_SLICE 32768

/* store_index_frozen: add every frozen batch's rows to credential_index, in
 * hash order (a sorted insert touches each B-tree page once), INDEX_SLICE
 * rows per transaction: a 1M batch would otherwise hold the write lock for
 * over a second, and notary serve's submissions wait for it.
 * batches.indexed records the progress, so a crash resumes where it
 * stopped; until a batch is fully indexed its rows stay in the in-memory
 * index (idx_sync). */
static err_code index_pending(struct store *s, struct err *e)
{
    for (;;) {
        sqlite3_stmt *st;
        struct store_batch b = {0};
        err_code rc = prepare(s, "SELECT seq, size, first_id FROM batches WHERE kind = 0 AND "
                                 "state <> 0 AND indexed < size ORDER BY seq LIMIT 1", &st, e);
        if (rc)
            return rc;
        int r = sqlite3_step(st);
        if (r == SQLITE_ROW) {
            b.seq = (uint64_t)sqlite3_column_int64(st, 0);
            b.size = (uint64_t)sqlite3_column_int64(st, 1);
            b.first_id = sqlite3_column_int64(st, 2);
        }
        sqlite3_finalize(st);
        if (r == SQLITE_DONE)
            return E_OK;
        if (r != SQLITE_ROW)
            return dberr(s, e, "read batches");
        /* Frozen rows never change: read and sort them once, outside any
         * transaction. */
        struct leafrow *rows = malloc(b.size * sizeof *rows);
        if (!rows)
            return err_set(e, E_NOMEM, "out of memory for %llu leaves", (unsigned long long)b.size);
        if ((rc = chunks_walk(s, b.seq, b.first_id, b.size, rows_each, rows, e))) {
            free(rows);
            return rc;
        }
        qsort(rows, b.size, sizeof *rows, leafrow_cmp);
        sqlite3_stmt *ins = NULL, *get = NULL;
        for (uint64_t done = 0; !rc;) {
            if ((rc = begin(s, e)))
                break;
            if ((rc = prepare(s, "SELECT indexed FROM batches WHERE kind = 0 AND seq = ?", &get,
                              e)))
                goto fail;
            sqlite3_bind_int64(get, 1, (int64_t)b.seq);
            if (sqlite3_step(get) != SQLITE_ROW) {
                rc = dberr(s, e, "read batches");
                goto fail;
            }
            done = (uint64_t)sqlite3_column_int64(get, 0); /* another process may be ahead */
            sqlite3_finalize(get);
            get = NULL;
            if (done >= b.size) {
                if ((rc = commit(s, e)))
                    rollback(s);
                break;
            }
            uint64_t k = b.size - done < INDEX_SLICE ? b.size - done : INDEX_SLICE;
            if ((rc = prepare(s, "INSERT INTO credential_index(hash, id, batch_seq, hashing, "
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
                    rc = dberr(s, e, "index the batch's credentials");
                    goto fail;
                }
            }
            sqlite3_finalize(ins);
            ins = NULL;
            struct bindv v[] = {BI(done + k), BI(b.seq)};
            if ((rc = run(s, "UPDATE batches SET indexed = ? WHERE kind = 0 AND seq = ?", v, 2,
                          NULL, e)) ||
                (rc = commit(s, e)))
                goto fail;
            continue;
        fail:
            sqlite3_finalize(ins);
            sqlite3_finalize(get);
            ins = get = NULL;
            rollback(s);
        }
        free(rows);
        if (rc)
            return rc;
    }
}

static err_code sq_batch_freeze(struct store *s, int64_t closed_at, struct store_batch *out,
                            struct err *e)
{
    err_code rc = begin(s, e);
    if (rc)
        return rc;
    if ((rc = sq_batch_open_get(s, BATCH_ISSUANCE, out, e))) {
        rollback(s);
        return rc == E_NOT_FOUND ? err_set(e, E_NOT_FOUND, "nothing to close: no credentials "
                                                          "were submitted since the last batch")
                                 : rc;
    }
    if (out->size == 0) {
        rollback(s);
        return err_set(e, E_NOT_FOUND, "nothing to close: the open batch %llu is empty",
                       (unsigned long long)out->seq);
    }
    struct bindv v[] = {BI(closed_at), BI(out->seq)};
    if ((rc = run(s, "UPDATE batches SET state = 1, closed_at = ? WHERE kind = 0 AND seq = ?", v,
                  2, NULL, e)) ||
        (rc = commit(s, e))) {
        rollback(s);
        return rc;
    }
    out->state = BATCH_CLOSED;
    out->closed_at = closed_at;
    return E_OK;
}

static err_code sq_batch_set_root(struct store *s, enum batch_kind kind, uint64_t seq,
                              const struct hash32 *root, struct err *e)
{
    int changes = 0;
    struct bindv v[] = {BH(root), BI(kind), BI(seq)};
    err_code rc = run(s, "UPDATE batches SET root = ? WHERE kind = ? AND seq = ? AND state = 1 "
                         "AND root IS NULL", v, 3, &changes, e);
    if (!rc && changes != 1)
        return err_set(e, E_STATE, "batch %llu is not closed without a root",
                       (unsigned long long)seq);
    return rc;
}

static err_code sq_checkpoint_create(struct store *s, uint64_t size, const struct hash32 *root,
                                 int64_t closed_at, uint64_t *seq, struct err *e)
{
    err_code rc = begin(s, e);
    if (rc)
        return rc;
    if ((rc = next_seq(s, BATCH_REVOCATION, seq, e))) {
        rollback(s);
        return rc;
    }
    struct bindv v[] = {BI(*seq), BI(size), BH(root), BI(closed_at), BI(closed_at)};
    if ((rc = run(s, "INSERT INTO batches(kind, seq, state, size, root, opened_at, closed_at) "
                     "VALUES(1, ?, 1, ?, ?, ?, ?)", v, 5, NULL, e)) ||
        (rc = commit(s, e))) {
        rollback(s);
        return rc;
    }
    return E_OK;
}

static err_code sq_tx_record(struct store *s, enum batch_kind kind, uint64_t seq, uint64_t nonce,
                         const struct hash32 *tx_hash, const uint8_t *raw, size_t raw_len,
                         struct err *e)
{
    int64_t now = (int64_t)time(NULL);
    err_code rc = begin(s, e);
    if (rc)
        return rc;
    int changes = 0;
    /* An adopted transaction (raw NULL) is stored with an empty blob: NULL
     * would meet the NOT NULL of raw, which INSERT OR IGNORE skips silently. */
    struct bindv t[] = {BH(tx_hash), BI(kind), BI(seq), BI(nonce),
                        raw ? BB(raw, raw_len) : BB("", 0), BI(now)};
    struct bindv b[] = {BH(tx_hash), BI(nonce), BI(now), BI(kind), BI(seq)};
    /* A transaction adopted earlier (no bytes) and signed here now gets its
     * bytes: the same deterministic signature gives the same hash. */
    if ((rc = run(s, "INSERT INTO txs(tx_hash, kind, seq, nonce, raw, created_at) "
                     "VALUES(?, ?, ?, ?, ?, ?) ON CONFLICT(tx_hash) DO UPDATE SET "
                     "raw = excluded.raw, nonce = excluded.nonce WHERE length(txs.raw) = 0 "
                     "AND length(excluded.raw) > 0", t, 6, NULL, e)) ||
        (rc = run(s, "UPDATE batches SET state = 2, tx_hash = ?, nonce = ?, sent_at = ?, "
                     "last_error = NULL WHERE kind = ? AND seq = ? AND state IN (1, 2)",
                  b, 5, &changes, e))) {
        rollback(s);
        return rc;
    }
    if (changes != 1) {
        rollback(s);
        return err_set(e, E_STATE, "batch %llu is not closed or sent; cannot record a transaction",
                       (unsigned long long)seq);
    }
    return commit(s, e) ? (rollback(s), E_IO) : E_OK;
}

static err_code sq_tx_list(struct store *s, enum batch_kind kind, uint64_t seq,
                           struct store_tx **out, size_t *n, struct err *e)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st;
    err_code rc = prepare(s, "SELECT tx_hash, nonce, length(raw), sent_block FROM txs "
                             "WHERE kind = ? AND seq = ? ORDER BY created_at, nonce", &st, e);
    if (rc)
        return rc;
    sqlite3_bind_int(st, 1, kind);
    sqlite3_bind_int64(st, 2, (int64_t)seq);
    size_t cap = 0;
    int r;
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 8;
            struct store_tx *p = realloc(*out, cap * sizeof *p);
            if (!p) {
                rc = err_set(e, E_NOMEM, "out of memory");
                break;
            }
            *out = p;
        }
        struct store_tx *t = &(*out)[(*n)++];
        memset(t, 0, sizeof *t);
        blob32(st, 0, &t->hash, NULL);
        t->nonce = (uint64_t)sqlite3_column_int64(st, 1);
        t->has_raw = sqlite3_column_int64(st, 2) > 0;
        t->has_sent_block = sqlite3_column_type(st, 3) != SQLITE_NULL;
        t->sent_block = (uint64_t)sqlite3_column_int64(st, 3);
    }
    if (!rc && r != SQLITE_DONE)
        rc = dberr(s, e, "list transactions");
    sqlite3_finalize(st);
    if (rc) {
        free(*out);
        *out = NULL;
        *n = 0;
    }
    return rc;
}

static err_code sq_tx_set_sent_block(struct store *s, const struct hash32 *tx_hash,
                                     const uint64_t *block, struct err *e)
{
    int changes = 0;
    struct bindv v[] = {block ? BI(*block) : (struct bindv){.t = B_NONE}, BH(tx_hash)};
    err_code rc = run(s, "UPDATE txs SET sent_block = ? WHERE tx_hash = ?", v, 2, &changes, e);
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
    err_code rc = prepare(s, "SELECT raw FROM txs WHERE tx_hash = ?", &st, e);
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
                              const struct hash32 *block_hash, int64_t block_time, struct err *e)
{
    int changes = 0;
    struct bindv v[] = {BH(tx_hash), BI(block_number), BH(block_hash), BI(block_time),
                        BI(time(NULL)), BI(kind), BI(seq)};
    err_code rc = run(s, "UPDATE batches SET state = 3, tx_hash = ?, block_number = ?, "
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
    return run(s, "UPDATE batches SET state = ?, last_error = ? WHERE kind = ? AND seq = ?", v, 4,
               NULL, e);
}

static err_code sq_batch_note(struct store *s, enum batch_kind kind, uint64_t seq, const char *why,
                          struct err *e)
{
    struct bindv v[] = {why ? BT(why) : (struct bindv){.t = B_NONE}, BI(kind), BI(seq)};
    return run(s, "UPDATE batches SET last_error = ? WHERE kind = ? AND seq = ?", v, 3, NULL, e);
}

static err_code sq_counts(struct store *s, struct store_counts *out, struct err *e)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st;
    err_code rc = prepare(s, "SELECT coalesce(sum(n), 0) FROM chunks", &st, e);
    if (rc)
        return rc;
    if (sqlite3_step(st) == SQLITE_ROW)
        out->credentials = (uint64_t)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    if ((rc = prepare(s, "SELECT state, count(*), sum(size) FROM batches WHERE kind = 0 "
                         "GROUP BY state", &st, e)))
        return rc;
    while (sqlite3_step(st) == SQLITE_ROW) {
        int state = sqlite3_column_int(st, 0);
        if (state >= 0 && state <= BATCH_FAILED)
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
    blob32(st, 1, &out->hash, NULL);
    out->reason = (uint8_t)sqlite3_column_int(st, 2);
    const unsigned char *note = sqlite3_column_text(st, 3);
    snprintf(out->note, sizeof out->note, "%s", note ? (const char *)note : "");
    out->revoked_at = sqlite3_column_int64(st, 4);
}

static err_code sq_revocation_get(struct store *s, const struct hash32 *hash,
                              struct store_revocation *out, struct err *e)
{
    sqlite3_stmt *st;
    err_code rc = prepare(s, "SELECT idx, hash, reason, note, revoked_at FROM revocations "
                             "WHERE hash = ?", &st, e);
    if (rc)
        return rc;
    sqlite3_bind_blob(st, 1, hash->b, 32, SQLITE_STATIC);
    int r = sqlite3_step(st);
    if (r == SQLITE_ROW)
        row_to_revocation(st, out);
    else
        rc = r == SQLITE_DONE ? err_set(e, E_NOT_FOUND, "credential not revoked")
                              : dberr(s, e, "read revocation");
    sqlite3_finalize(st);
    return rc;
}

static err_code sq_revocation_add(struct store *s, const struct hash32 *hash, uint8_t reason,
                              const char *note, int64_t revoked_at, struct store_revocation *out,
                              bool *existed, struct err *e)
{
    *existed = false;
    err_code rc = begin(s, e);
    if (rc)
        return rc;
    struct store_credential cred;
    if ((rc = sq_credential_get(s, hash, &cred, e))) {
        rollback(s);
        return rc;
    }
    rc = sq_revocation_get(s, hash, out, e);
    if (rc == E_OK) {
        *existed = true;
        rollback(s);
        return E_OK;
    }
    if (rc != E_NOT_FOUND) {
        rollback(s);
        return rc;
    }
    err_clear(e);
    struct bindv v[] = {BH(hash), BI(reason), BT(note ? note : ""), BI(revoked_at)};
    if ((rc = run(s, "INSERT INTO revocations(idx, hash, reason, note, revoked_at) VALUES("
                     "(SELECT coalesce(max(idx) + 1, 0) FROM revocations), ?, ?, ?, ?)",
                  v, 4, NULL, e)) ||
        (rc = sq_revocation_get(s, hash, out, e)) || (rc = commit(s, e))) {
        rollback(s);
        return rc;
    }
    return E_OK;
}

static err_code sq_revocation_load(struct store *s, struct revlog *log, struct err *e)
{
    sqlite3_stmt *st;
    err_code rc = prepare(s, "SELECT idx, hash, reason, note, revoked_at FROM revocations "
                             "ORDER BY idx", &st, e);
    if (rc)
        return rc;
    uint64_t next = 0;
    int r;
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_revocation sr;
        row_to_revocation(st, &sr);
        /* Positions must be exactly 0..n-1: anything else is a corrupt store. */
        if (sr.index != next++) {
            rc = err_set(e, E_STATE, "%s: the revocation log has no entry %llu", SQ(s)->path,
                         (unsigned long long)(next - 1));
            break;
        }
        struct revlog_entry en = {.credential = sr.hash, .reason = sr.reason,
                                  .time = sr.revoked_at, .note = sr.note[0] ? sr.note : NULL};
        if ((rc = revlog_add_entry(log, &en, e)))
            break;
    }
    if (!rc && r != SQLITE_DONE)
        rc = dberr(s, e, "read the revocation log");
    sqlite3_finalize(st);
    return rc;
}

static err_code sq_revocation_count(struct store *s, uint64_t *n, struct err *e)
{
    sqlite3_stmt *st;
    err_code rc = prepare(s, "SELECT count(*) FROM revocations", &st, e);
    if (rc)
        return rc;
    if (sqlite3_step(st) == SQLITE_ROW)
        *n = (uint64_t)sqlite3_column_int64(st, 0);
    else
        rc = dberr(s, e, "count revocations");
    sqlite3_finalize(st);
    return rc;
}

/* ---- API tokens (notary serve) -------------------------------------------- */

static err_code sq_token_add(struct store *s, const char *name, const struct hash32 *token_hash,
                         struct err *e)
{
    int changes = 0;
    struct bindv v[] = {BT(name), BH(token_hash), BI(time(NULL))};
    err_code rc = run(s, "INSERT OR IGNORE INTO api_tokens(name, token_hash, created_at) "
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
    err_code rc = run(s, "DELETE FROM api_tokens WHERE name = ?", v, 1, &changes, e);
    if (!rc && changes != 1)
        return err_set(e, E_NOT_FOUND, "no token named '%s'", name);
    return rc;
}

static err_code sq_token_list(struct store *s, struct store_token **out, size_t *n, struct err *e)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st;
    err_code rc = prepare(s, "SELECT name, token_hash, created_at FROM api_tokens ORDER BY name",
                          &st, e);
    if (rc)
        return rc;
    size_t cap = 0;
    int r;
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 8;
            struct store_token *p = realloc(*out, cap * sizeof *p);
            if (!p) {
                rc = err_set(e, E_NOMEM, "out of memory");
                break;
            }
            *out = p;
        }
        struct store_token *t = &(*out)[(*n)++];
        snprintf(t->name, sizeof t->name, "%s", (const char *)sqlite3_column_text(st, 0));
        blob32(st, 1, &t->hash, NULL);
        t->created_at = sqlite3_column_int64(st, 2);
    }
    if (!rc && r != SQLITE_DONE)
        rc = dberr(s, e, "list tokens");
    sqlite3_finalize(st);
    if (rc) {
        free(*out);
        *out = NULL;
        *n = 0;
    }
    return rc;
}

static const struct store_ops SQLITE_OPS = {
    .name = "sqlite",
    .shared = false,
    .close = sq_close,
    .lock_writer = sq_lock_writer,
    .meta_get = sq_meta_get,
    .meta_set = sq_meta_set,
    .submit = sq_submit,
    .credential_get = sq_credential_get,
    .index_all = sq_index_all,
    .index_frozen = index_pending,
    .batch_open_get = sq_batch_open_get,
    .batch_get = sq_batch_get,
    .batch_list = sq_batch_list,
    .batch_leaves = sq_batch_leaves,
    .batch_freeze = sq_batch_freeze,
    .batch_set_root = sq_batch_set_root,
    .checkpoint_create = sq_checkpoint_create,
    .tx_record = sq_tx_record,
    .tx_list = sq_tx_list,
    .tx_set_sent_block = sq_tx_set_sent_block,
    .tx_raw = sq_tx_raw,
    .batch_anchored = sq_batch_anchored,
    .batch_set_state = sq_batch_set_state,
    .batch_note = sq_batch_note,
    .counts = sq_counts,
    .revocation_add = sq_revocation_add,
    .revocation_get = sq_revocation_get,
    .revocation_load = sq_revocation_load,
    .revocation_count = sq_revocation_count,
    .token_add = sq_token_add,
    .token_remove = sq_token_remove,
    .token_list = sq_token_list,
};
