/*
 * tests/store_url.h — where store-level tests put a fresh store, so that the
 * same tests run against both engines: with NOTARY_TEST_PG unset, a SQLite
 * file in the test's temporary directory; with NOTARY_TEST_PG set to a
 * PostgreSQL server URL (tests/lib/pg.sh; tests/cli/store_pg.sh does this),
 * a new database on that server for each call.
 */
#ifndef TESTS_STORE_URL_H
#define TESTS_STORE_URL_H

#include <postgresql/libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "notary/store/store.h"
#include "tests/harness.h"

static inline bool t_store_pg(void)
{
    const char *pg = getenv("NOTARY_TEST_PG");
    return pg && *pg;
}

/* Write the URL of a new, empty store named `name` into buf; false (with a
 * message on stderr) if the PostgreSQL database cannot be created. */
static inline bool t_store_url(const char *name, char *buf, size_t size)
{
    if (!t_store_pg()) {
        snprintf(buf, size, "sqlite:%s/%s.db", t_tmpdir(), name);
        return true;
    }
    const char *server = getenv("NOTARY_TEST_PG");
    static unsigned counter;
    char db[64];
    snprintf(db, sizeof db, "t%d_%u_%s", (int)getpid(), counter++, name);
    PGconn *c = PQconnectdb(server);
    char sql[128];
    snprintf(sql, sizeof sql, "CREATE DATABASE \"%s\"", db);
    PGresult *r = PQstatus(c) == CONNECTION_OK ? PQexec(c, sql) : NULL;
    bool ok = r && PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok)
        fprintf(stderr, "t_store_url: %s\n", PQerrorMessage(c));
    PQclear(r);
    PQfinish(c);
    const char *slash = strrchr(server, '/');
    int keep = slash && slash > server + 12 ? (int)(slash - server) : (int)strlen(server);
    snprintf(buf, size, "%.*s/%s", keep, server, db);
    return ok;
}

/* A new, empty store named `name` (its URL from t_store_url, written into
 * path, of n bytes), opened with create. NULL, with the reason on stdout,
 * when it cannot be made. The caller closes it (store_close). */
static inline struct store *t_store_fresh(const char *name, char *path, size_t n)
{
    if (!t_store_url(name, path, n))
        return NULL;
    struct store *s = NULL;
    struct err e = {0};
    if (store_open(path, true, &s, &e) != E_OK)
        printf("store_open: %s\n", e.msg);
    return s;
}

#endif
