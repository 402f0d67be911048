/*
 * notary/store/sqlite_schema.c — the SQLite engine's file (notary/store/sqlite_impl.h):
 * opening it, recognising a file that is not a notary database before
 * anything writes to it, the schema migrations (keyed by PRAGMA
 * user_version, each in one transaction; migration N here is migration N in
 * notary/store/pg_conn.c), and closing.
 */
#include "notary/store/sqlite_impl.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
     * fee at the same nonce (docs/design.md "Anchoring faults", "stuck / underpriced"). */
    "ALTER TABLE txs ADD COLUMN sent_block INTEGER;",
    /* 5: submissions as append-only chunks (see the top of sqlite_index.c): a
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
    /* 6: the roots of each issuance batch's subtrees of 2^sub_shift leaves,
     * written with the root in one UPDATE (store_batch_set_root), so one
     * proof reads one subtree's leaves instead of rebuilding the tree
     * (notary/issuance/levels.h). NULL for a batch closed before: they are
     * computed once from its leaves when a proof first needs them. */
    ("ALTER TABLE batches ADD COLUMN sub_shift INTEGER;"
     "ALTER TABLE batches ADD COLUMN subroots BLOB;"),
    /* 7: sorted runs (see the top of sqlite_index.c): a frozen batch's
     * hashes in hash order, written in one sequential transaction at its
     * close, in blocks of up to RUN_BLOCK keys (32-byte hash, 4-byte
     * big-endian leaf index) that start at `lo`; merged into
     * credential_index later and then deleted. */
    ("CREATE TABLE runs("
     "  batch_seq INTEGER NOT NULL, lo BLOB NOT NULL CHECK(length(lo) = 32),"
     "  n INTEGER NOT NULL CHECK(n > 0), keys BLOB NOT NULL CHECK(length(keys) = 36 * n),"
     "  PRIMARY KEY(batch_seq, lo));"
     "CREATE INDEX batches_unindexed ON batches(seq) WHERE kind = 0 AND state <> 0 AND "
     "indexed < size;"),
};

static_assert(sizeof MIGRATIONS / sizeof MIGRATIONS[0] == STORE_SCHEMA_VERSION,
              "a migration added to one engine must be added to the other (store_pg.c)");

static err_code migrate(struct store *s, struct err *e)
{
    sqlite3_stmt *st;
    err_code rc = sq_prepare(s, "PRAGMA user_version", &st, e);
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
        if ((rc = sq_begin(s, e)))
            return rc;
        if ((rc = sq_exec(s, MIGRATIONS[v], e)) || (rc = sq_exec(s, pragma, e))) {
            sq_rollback(s);
            return err_wrap(e, rc, "schema migration %d", v + 1);
        }
        if ((rc = sq_commit(s, e)))
            return rc;
    }
    return E_OK;
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
        sq_escaped((const char *)sqlite3_column_text(st, 2), tables, sizeof tables);
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
        return sq_dberr(s, e, "read the schema");
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

err_code sq_open(const char *path, bool create, const struct store_ops *ops, struct store **out,
                 struct err *e)
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
    q->base.ops = ops;
    struct store *s = &q->base;
    SQ(s)->lock_fd = -1;
    int flags = SQLITE_OPEN_READWRITE | (create && !existed ? SQLITE_OPEN_CREATE : 0) |
                SQLITE_OPEN_FULLMUTEX;
    if (sqlite3_open_v2(path, &SQ(s)->db, flags, NULL) != SQLITE_OK) {
        sq_open_error(s, e, "cannot open database", NULL);
        sq_close(s);
        return E_IO;
    }
    sqlite3_busy_timeout(SQ(s)->db, 10000);
    err_code rc;
    if ((existed && (rc = recognise(s, e))) || (rc = sq_exec(s, "PRAGMA journal_mode=WAL", e)) ||
        (rc = sq_exec(s, "PRAGMA synchronous=FULL", e)) ||
        (rc = sq_exec(s, "PRAGMA foreign_keys=ON", e)) ||
        (rc = sq_exec(s, "PRAGMA cache_size=-65536", e)) || (rc = migrate(s, e)) ||
        (rc = sq_shared_attach(s, e))) {
        sq_close(s);
        return rc;
    }
    *out = s;
    return E_OK;
}

void sq_close(struct store *s)
{
    if (!s)
        return;
    if (SQ(s)->db && !sqlite3_get_autocommit(SQ(s)->db))
        sqlite3_exec(SQ(s)->db, "ROLLBACK", NULL, NULL, NULL);
    sq_wal_stop(s);
    sq_turn_give(s);
    sq_shared_detach(SQ(s)->sh);
    if (SQ(s)->db)
        sqlite3_close(SQ(s)->db);
    if (SQ(s)->lock_fd >= 0)
        close(SQ(s)->lock_fd);
    free(SQ(s)->path);
    free(SQ(s));
}
