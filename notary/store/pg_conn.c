/*
 * notary/store/pg_conn.c — the PostgreSQL engine's connection (notary/store/pg_impl.h):
 * statements and their parameters, transactions, the advisory locks, schema
 * migrations, open and close. The statements of each store_* call are in
 * notary/store/store_pg.c.
 *
 * Durability: every connection sets synchronous_commit = on, and every write
 * path runs in one explicit transaction that reports E_OK only after COMMIT
 * returned, i.e. after the commit record is flushed to the server's WAL.
 *
 * Concurrency between processes (several `notary serve` on one database):
 *  - Leaf assignment. A batch's leaves are the credential ids first_id ..
 *    first_id+size-1, contiguous and in submission order, and "the open
 *    batch" must be one row. Two transactions that both read the open batch
 *    and its size under READ COMMITTED would hand out the same ids, and a
 *    freeze that commits between a submitter's read and its insert would let
 *    hashes land in an already frozen batch. So every transaction that reads
 *    and then changes batch membership (submit, freeze, checkpoint,
 *    revocation append) first takes one transaction-scoped advisory lock,
 *    pg_advisory_xact_lock(LOCK_MEMBERSHIP): they run one after another,
 *    and because READ COMMITTED takes a new snapshot per statement, every
 *    statement after the lock sees everything the previous holder committed.
 *    The lock is released by COMMIT/ROLLBACK (or when the session dies), so
 *    a killed process cannot leave it held. Plain reads take no lock. The
 *    hash UNIQUE constraint stays the last line of defence: a hash can never
 *    be in two batches.
 *  - One closer/anchorer. store_lock_writer takes the session advisory lock
 *    LOCK_WRITER on a dedicated connection; it is held until that session
 *    ends, so when the holding process dies the server drops the lock and
 *    another instance's next pg_try_advisory_lock succeeds.
 * Advisory locks are per database, so two notaries in two databases of one
 * server do not contend.
 *
 * Schema: the same tables, columns and migration numbering as
 * notary/store/sqlite_schema.c; the schema version is the one row of
 * `schema_version`. Both lists have STORE_SCHEMA_VERSION entries (checked at
 * compile time).
 */
#include "notary/store/pg_impl.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Advisory lock keys ("notary" in ASCII, then a number). */
#define LOCK_MEMBERSHIP 0x6e6f7461727901LL
#define LOCK_WRITER 0x6e6f7461727902LL
#define LOCK_SCHEMA 0x6e6f7461727903LL

static bool session_setup(PGconn *c);

static const char *const MIGRATIONS[] = {
    /* 1: the initial schema (sqlite_schema.c migration 1) */
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE credentials("
    "  id BIGINT PRIMARY KEY,"
    "  hash BYTEA NOT NULL UNIQUE CHECK(length(hash) = 32),"
    "  hashing INTEGER NOT NULL,"
    "  batch_seq BIGINT NOT NULL,"
    "  submitted_at BIGINT NOT NULL);"
    "CREATE TABLE batches("
    "  kind INTEGER NOT NULL, seq BIGINT NOT NULL, state INTEGER NOT NULL,"
    "  size BIGINT NOT NULL DEFAULT 0, first_id BIGINT NOT NULL DEFAULT 0,"
    "  root BYTEA, opened_at BIGINT NOT NULL, closed_at BIGINT,"
    "  tx_hash BYTEA, nonce BIGINT, sent_at BIGINT,"
    "  block_number BIGINT, block_hash BYTEA, block_time BIGINT, anchored_at BIGINT,"
    "  last_error TEXT,"
    "  PRIMARY KEY(kind, seq));"
    "CREATE TABLE txs("
    "  tx_hash BYTEA PRIMARY KEY, kind INTEGER NOT NULL, seq BIGINT NOT NULL,"
    "  nonce BIGINT NOT NULL, raw BYTEA NOT NULL, created_at BIGINT NOT NULL);",
    /* 2: the revocation log, append-only (sqlite_schema.c migration 2) */
    "CREATE TABLE revocations("
    "  idx BIGINT PRIMARY KEY,"
    "  hash BYTEA NOT NULL UNIQUE CHECK(length(hash) = 32),"
    "  reason INTEGER NOT NULL CHECK(reason BETWEEN 0 AND 255),"
    "  note TEXT NOT NULL DEFAULT '',"
    "  revoked_at BIGINT NOT NULL CHECK(revoked_at >= 0));"
    "CREATE FUNCTION revocations_append_only() RETURNS trigger LANGUAGE plpgsql AS "
    "  $$BEGIN RAISE EXCEPTION 'the revocation log is append-only'; END$$;"
    "CREATE TRIGGER revocations_no_update BEFORE UPDATE ON revocations"
    "  FOR EACH ROW EXECUTE FUNCTION revocations_append_only();"
    "CREATE TRIGGER revocations_no_delete BEFORE DELETE ON revocations"
    "  FOR EACH ROW EXECUTE FUNCTION revocations_append_only();"
    "CREATE TRIGGER revocations_no_truncate BEFORE TRUNCATE ON revocations"
    "  FOR EACH STATEMENT EXECUTE FUNCTION revocations_append_only();",
    /* 3: API bearer token hashes (sqlite_schema.c migration 3) */
    "CREATE TABLE api_tokens("
    "  name TEXT PRIMARY KEY,"
    "  token_hash BYTEA NOT NULL UNIQUE CHECK(length(token_hash) = 32),"
    "  created_at BIGINT NOT NULL);",
    /* 4: the block a transaction was (re)sent at (sqlite_schema.c migration 4) */
    "ALTER TABLE txs ADD COLUMN sent_block BIGINT;",
    /* 5: SQLite moved to append-only chunks (sqlite_schema.c migration 5);
     * here the rows stay one per hash: PostgreSQL's B-tree + WAL already
     * take a bulk submit at the rate its commits allow. Only a note. */
    "COMMENT ON TABLE credentials IS 'one row per hash; id = batch first_id + leaf index';",
    /* 6: each issuance batch's subtree roots, written with its root
     * (sqlite_schema.c migration 6) */
    "ALTER TABLE batches ADD COLUMN sub_shift INTEGER, ADD COLUMN subroots BYTEA;",
    /* 7: SQLite's sorted runs (sqlite_schema.c migration 7); PostgreSQL
     * indexes each row as it is stored. Only a note. */
    "COMMENT ON TABLE batches IS 'issuance (kind 0) and revocation (kind 1) batches';",
};
static_assert(sizeof MIGRATIONS / sizeof MIGRATIONS[0] == STORE_SCHEMA_VERSION,
              "a migration added to one engine must be added to the other");

void pg_p_i64(struct params *p, int64_t x)
{
    snprintf(p->num[p->n], sizeof p->num[0], "%lld", (long long)x);
    p->type[p->n] = OID_INT8;
    p->v[p->n] = p->num[p->n];
    p->len[p->n] = 0;
    p->fmt[p->n++] = 0;
}

void pg_p_blob(struct params *p, const void *b, size_t n)
{
    p->type[p->n] = OID_BYTEA;
    p->v[p->n] = n ? b : "";
    p->len[p->n] = (int)n;
    p->fmt[p->n++] = 1;
}

void pg_p_text(struct params *p, const char *t)
{
    p->type[p->n] = OID_TEXT;
    p->v[p->n] = t; /* NULL = SQL NULL */
    p->len[p->n] = 0;
    p->fmt[p->n++] = 0;
}

static err_code pgerr(struct pg *g, struct err *e, const char *what, const PGresult *r)
{
    const char *m = r ? PQresultErrorMessage(r) : "";
    if (!m || !*m)
        m = PQerrorMessage(g->c);
    size_t n = strlen(m);
    while (n && (m[n - 1] == '\n' || m[n - 1] == ' '))
        n--;
    return err_set(e, E_IO, "postgresql %s: %s: %.*s", g->where, what, (int)n, m);
}

/* Run one statement; binary results. *res (if given) is the caller's to PQclear. */
err_code pg_q(struct pg *g, const char *sql, const struct params *p, PGresult **res,
              const char *what, struct err *e)
{
    if (res)
        *res = NULL;
    /* A lost connection (server restart, network cut) is reopened before a
     * statement that starts no transaction of its own, never in the middle
     * of one: there the statement fails and the whole call with it. */
    if (PQstatus(g->c) == CONNECTION_BAD && !g->in_tx) {
        PQreset(g->c);
        if (PQstatus(g->c) == CONNECTION_OK && !session_setup(g->c))
            return pgerr(g, e, what, NULL);
    }
    PGresult *r = PQexecParams(g->c, sql, p ? p->n : 0, p ? p->type : NULL, p ? p->v : NULL,
                               p ? p->len : NULL, p ? p->fmt : NULL, 1);
    ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        err_code rc = pgerr(g, e, what, r);
        PQclear(r);
        return rc;
    }
    if (res)
        *res = r;
    else
        PQclear(r);
    return E_OK;
}

err_code pg_copy_in(struct pg *g, const char *sql, const void *data, size_t len,
                    const char *what, struct err *e)
{
    PGresult *r = PQexec(g->c, sql);
    if (PQresultStatus(r) != PGRES_COPY_IN) {
        err_code rc = pgerr(g, e, what, r);
        PQclear(r);
        return rc;
    }
    PQclear(r);
    const char *p = data;
    bool ok = true;
    for (size_t at = 0; at < len && ok;) {
        size_t k = len - at < ((size_t)1 << 20) ? len - at : ((size_t)1 << 20);
        ok = PQputCopyData(g->c, p + at, (int)k) == 1;
        at += k;
    }
    /* On a failed send, end the COPY with an error so the server drops it. */
    if (PQputCopyEnd(g->c, ok ? NULL : "notary: the data could not be sent") != 1)
        ok = false;
    err_code rc = E_OK;
    while ((r = PQgetResult(g->c)) != NULL) {
        if (PQresultStatus(r) != PGRES_COMMAND_OK && !rc)
            rc = pgerr(g, e, what, r);
        PQclear(r);
    }
    return rc ? rc : ok ? E_OK : pgerr(g, e, what, NULL);
}

/* Rows changed by a command result. */
long pg_changed(PGresult *r) { return strtol(PQcmdTuples(r), NULL, 10); }

int64_t pg_gi(const PGresult *r, int row, int col)
{
    if (PQgetisnull(r, row, col))
        return 0;
    const unsigned char *v = (const unsigned char *)PQgetvalue(r, row, col);
    int n = PQgetlength(r, row, col);
    uint64_t x = 0;
    for (int i = 0; i < n && i < 8; i++)
        x = x << 8 | v[i];
    switch (n) { /* binary: network byte order, two's complement */
    case 8: return (int64_t)x;
    case 4: return (int32_t)(uint32_t)x;
    case 2: return (int16_t)(uint16_t)x;
    case 1: return v[0];
    }
    return 0;
}

void pg_gblob32(const PGresult *r, int row, int col, struct hash32 *out, bool *present)
{
    bool ok = !PQgetisnull(r, row, col) && PQgetlength(r, row, col) == 32;
    if (ok)
        memcpy(out->b, PQgetvalue(r, row, col), 32);
    else
        memset(out->b, 0, 32);
    if (present)
        *present = ok;
}

void pg_rollback(struct pg *g)
{
    PQclear(PQexec(g->c, "ROLLBACK"));
    g->in_tx = false;
}

err_code pg_begin(struct pg *g, bool membership, struct err *e)
{
    err_code rc = pg_q(g, "BEGIN", NULL, NULL, "begin", e);
    if (rc)
        return rc;
    g->in_tx = true;
    if (!membership)
        return E_OK;
    struct params p = {0};
    pg_p_i64(&p, LOCK_MEMBERSHIP);
    if ((rc = pg_q(g, "SELECT pg_advisory_xact_lock($1)", &p, NULL, "lock batch membership", e)))
        pg_rollback(g);
    return rc;
}

/* E_OK only once the server has answered COMMIT (the commit record is
 * flushed: synchronous_commit = on). */
err_code pg_commit(struct pg *g, struct err *e)
{
    err_code rc = pg_q(g, "COMMIT", NULL, NULL, "commit", e);
    g->in_tx = false;
    return rc;
}

/* One UPDATE/INSERT/DELETE (in the open transaction, else in its own); *n rows changed. */
err_code pg_run(struct pg *g, const char *sql, const struct params *p, long *n,
                const char *what, struct err *e)
{
    PGresult *r;
    err_code rc = pg_q(g, sql, p, &r, what, e);
    if (rc)
        return rc;
    if (n)
        *n = pg_changed(r);
    PQclear(r);
    return E_OK;
}

/* ---- open, migrations, writer lock ------------------------------------------ */

void pg_close(struct store *s)
{
    struct pg *g = PG(s);
    if (g->c)
        PQfinish(g->c);
    if (g->lock) {
        /* Release the writer lock before hanging up: the server frees a
         * session's locks only when its backend has finished exiting, so a
         * successor trying right after PQfinish could still find it held. */
        char sql[96];
        snprintf(sql, sizeof sql, "SELECT pg_advisory_unlock(%lld)", (long long)LOCK_WRITER);
        PQclear(PQexec(g->lock, sql));
        PQfinish(g->lock);
    }
    if (g->url) {
        memset(g->url, 0, strlen(g->url)); /* may hold a password */
        free(g->url);
    }
    free(g);
}

/* Durability is the server's commit flush; never let a session relax it. */
static bool session_setup(PGconn *c)
{
    PGresult *r = PQexec(c, "SET synchronous_commit = on; SET client_min_messages = warning");
    bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    return ok;
}

static PGconn *connect_pg(const char *url, char *errbuf, size_t errlen)
{
    PGconn *c = PQconnectdb(url);
    if (!c) {
        snprintf(errbuf, errlen, "out of memory");
        return NULL;
    }
    if (PQstatus(c) != CONNECTION_OK) {
        const char *m = PQerrorMessage(c);
        size_t n = strlen(m);
        while (n && (m[n - 1] == '\n' || m[n - 1] == ' '))
            n--;
        snprintf(errbuf, errlen, "%.*s", (int)n, m);
        PQfinish(c);
        return NULL;
    }
    if (!session_setup(c)) {
        snprintf(errbuf, errlen, "cannot set synchronous_commit: %s", PQerrorMessage(c));
        PQfinish(c);
        return NULL;
    }
    return c;
}

static err_code migrate(struct pg *g, bool create, struct err *e)
{
    err_code rc;
    PGresult *r;
    if ((rc = pg_q(g, "SELECT to_regclass('schema_version') IS NOT NULL", NULL, &r, "schema", e)))
        return rc;
    bool have = pg_gi(r, 0, 0) != 0;
    PQclear(r);
    if (!have && !create)
        return err_set(e, E_NOT_FOUND, "postgresql %s: no notary database here (run `notary "
                                       "init` first)", g->where);
    /* Instances starting together: one migrates, the others wait and then
     * see the new version. */
    struct params p = {0};
    pg_p_i64(&p, LOCK_SCHEMA);
    if ((rc = pg_q(g, "BEGIN", NULL, NULL, "begin", e)))
        return rc;
    g->in_tx = true;
    if ((rc = pg_q(g, "SELECT pg_advisory_xact_lock($1)", &p, NULL, "lock schema", e)) ||
        (rc = pg_q(g, "CREATE TABLE IF NOT EXISTS schema_version(version INTEGER NOT NULL)", NULL,
                   NULL, "schema", e)) ||
        (rc = pg_q(g, "SELECT coalesce(max(version), 0) FROM schema_version", NULL, &r, "schema",
                   e)))
        goto fail;
    int version = (int)pg_gi(r, 0, 0);
    PQclear(r);
    int latest = STORE_SCHEMA_VERSION;
    if (version > latest) {
        rc = err_set(e, E_UNSUPPORTED,
                     "postgresql %s: database schema version %d is newer than this notary (%d); "
                     "upgrade the notary", g->where, version, latest);
        goto fail;
    }
    for (int v = version; v < latest; v++) {
        r = PQexec(g->c, MIGRATIONS[v]);
        bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
        if (!ok) {
            rc = pgerr(g, e, "migration", r);
            PQclear(r);
            err_prefix(e, "schema migration %d", v + 1);
            goto fail;
        }
        PQclear(r);
    }
    struct params pv = {0};
    pg_p_i64(&pv, latest);
    if (version < latest &&
        ((rc = pg_q(g, "DELETE FROM schema_version", NULL, NULL, "schema", e)) ||
         (rc = pg_q(g, "INSERT INTO schema_version(version) VALUES($1::bigint)", &pv, NULL,
                    "schema", e))))
        goto fail;
    return pg_commit(g, e);
fail:
    pg_rollback(g);
    return rc;
}

err_code pg_open(const char *url, bool create, const struct store_ops *ops, struct store **out,
                 struct err *e)
{
    *out = NULL;
    struct pg *g = calloc(1, sizeof *g);
    if (!g || !(g->url = strdup(url))) {
        free(g);
        return err_set(e, E_NOMEM, "out of memory");
    }
    g->base.ops = ops;
    char why[512];
    if (!(g->c = connect_pg(url, why, sizeof why))) {
        pg_close(&g->base);
        return err_set(e, E_IO, "cannot connect to the PostgreSQL store: %s", why);
    }
    snprintf(g->where, sizeof g->where, "%s@%s:%s/%s", PQuser(g->c), PQhost(g->c), PQport(g->c),
             PQdb(g->c));
    snprintf(g->label, sizeof g->label, "postgresql %s", g->where);
    err_code rc = migrate(g, create, e);
    if (rc) {
        pg_close(&g->base);
        return rc;
    }
    *out = &g->base;
    return E_OK;
}

err_code pg_lock_writer(struct store *s, struct err *e)
{
    struct pg *g = PG(s);
    if (g->lock) {
        /* Still ours only while the session lives (a server restart or a
         * network cut ends it, and then another instance may hold it). */
        PGresult *r = PQexec(g->lock, "SELECT 1");
        bool alive = PQresultStatus(r) == PGRES_TUPLES_OK;
        PQclear(r);
        if (alive)
            return E_OK;
        PQfinish(g->lock);
        g->lock = NULL;
        return err_set(e, E_STATE, "postgresql %s: the writer lock's session ended; another "
                                   "instance may be the writer now", g->where);
    }
    char why[512];
    PGconn *c = connect_pg(g->url, why, sizeof why);
    if (!c)
        return err_set(e, E_IO, "cannot connect to the PostgreSQL store: %s", why);
    char sql[96];
    snprintf(sql, sizeof sql, "SELECT pg_try_advisory_lock(%lld)", (long long)LOCK_WRITER);
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        err_set(e, E_IO, "postgresql %s: writer lock: %s", g->where, PQresultErrorMessage(r));
        PQclear(r);
        PQfinish(c);
        return E_IO;
    }
    bool got = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
    PQclear(r);
    if (!got) {
        PQfinish(c);
        return err_set(e, E_STATE, "postgresql %s: another notary process is anchoring with this "
                                   "key (one writer per key)", g->where);
    }
    g->lock = c;
    return E_OK;
}
