/*
 * notary/store/pg_impl.h — the inside of the PostgreSQL engine, shared by its
 * two files and private to notary/store/ (callers see notary/store/store.h):
 *   - pg_conn.c: the connection — statements and parameters, transactions
 *     and the batch-membership lock, the writer lock, schema migrations,
 *     open and close;
 *   - store_pg.c: the statements of each store_* call, the method table and
 *     store_pg_open (it calls pg_conn.c, never the other way).
 * Failures are reported through `e` as "postgresql USER@HOST:PORT/DB: WHAT:
 * SERVER MESSAGE" (E_IO), never with the password. Nothing here takes
 * ownership of its arguments.
 */
#ifndef NOTARY_STORE_PG_IMPL_H
#define NOTARY_STORE_PG_IMPL_H

#include <postgresql/libpq-fe.h>

#include "notary/store/store_impl.h"

/* PostgreSQL type OIDs (src/include/catalog/pg_type.dat) for parameters. */
#define OID_BYTEA 17
#define OID_INT8 20
#define OID_TEXT 25

struct pg {
    struct store base; /* first: ops */
    PGconn *c;
    PGconn *lock; /* the session holding LOCK_WRITER, or NULL */
    char *url;    /* with the password: needed to open the lock session */
    char where[300]; /* user@host:port/db for messages (no password) */
    char label[320]; /* "postgresql " where */
    bool in_tx;      /* between pg_begin() and pg_commit()/pg_rollback() */
};

#define PG(s) ((struct pg *)(s))

/* Up to 10 parameters of one statement, $1 first; start with `= {0}`. */
struct params {
    int n;
    Oid type[10];
    const char *v[10];
    int len[10];
    int fmt[10];
    char num[10][24];
};

/* Append an integer; a blob (borrowed until the statement ran); a text
 * (borrowed; NULL is SQL NULL). */
void pg_p_i64(struct params *p, int64_t x);
void pg_p_blob(struct params *p, const void *b, size_t n);
void pg_p_text(struct params *p, const char *t);

/* Run one statement with binary results; `what` names it in a failure
 * (E_IO). On E_OK *res (if not NULL) is the caller's to PQclear. A lost
 * connection is reopened first, unless a transaction is open. */
err_code pg_q(struct pg *g, const char *sql, const struct params *p, PGresult **res,
              const char *what, struct err *e);
/* pg_q for an UPDATE/INSERT/DELETE; *n (if not NULL) gets the rows changed. */
err_code pg_run(struct pg *g, const char *sql, const struct params *p, long *n, const char *what,
                struct err *e);
/* Rows changed by a command result. */
long pg_changed(PGresult *r);
/* Run `sql`, a COPY … FROM STDIN, and send it the `len` bytes at `data`
 * (already in the COPY's format) in pieces of 1 MiB; the error of the
 * statement or of the connection as `what` (in the current transaction:
 * a failure leaves it to be rolled back). */
err_code pg_copy_in(struct pg *g, const char *sql, const void *data, size_t len,
                    const char *what, struct err *e);

/* Column `col` of row `row` of a binary result: an integer (0 if NULL); a
 * 32-byte value (zeros and *present = false if NULL or of another length). */
int64_t pg_gi(const PGresult *r, int row, int col);
void pg_gblob32(const PGresult *r, int row, int col, struct hash32 *out, bool *present);

/* BEGIN; with `membership`, also the transaction's batch-membership lock
 * (pg_conn.c: every transaction that reads and then changes which hashes
 * are in which batch takes it). COMMIT: E_OK only once the server answered
 * (the commit record is flushed). ROLLBACK (ignores failure). */
err_code pg_begin(struct pg *g, bool membership, struct err *e);
err_code pg_commit(struct pg *g, struct err *e);
void pg_rollback(struct pg *g);

/* store_pg_open with the handle's method table `ops`: connect, set
 * synchronous_commit = on, and (with `create`, or if the schema exists)
 * migrate the schema under an advisory lock so that instances starting
 * together migrate once. */
/* ---- pg_submit.c ---- */

/* The rows of store_submit in the open transaction (which holds the
 * membership lock), for the open issuance batch `open`: each new hash
 * stored with id open->first_id + open->size + k in input order, k from 0;
 * *added = how many. out (if not NULL) gets n records as store_submit
 * describes them. E_LIMIT past INT32_MAX hashes, E_NOMEM, or the server's
 * error: the caller rolls back. */
err_code pg_submit_rows(struct pg *g, const struct store_batch *open, const struct hash32 *hashes,
                        const enum credential_hashing *hashing, size_t n, int64_t now,
                        struct store_submitted *out, uint64_t *added, struct err *e);

err_code pg_open(const char *url, bool create, const struct store_ops *ops, struct store **out,
                 struct err *e);

/* The store_ops methods of the same names (notary/store/store_impl.h). */
void pg_close(struct store *s);
err_code pg_lock_writer(struct store *s, struct err *e);

#endif
