/*
 * notary/service/readpool.h — the store connections `notary serve` reads
 * with: a fixed number opened at start, lent to one thread at a time.
 * SQLite in WAL mode (and PostgreSQL) gives each a consistent snapshot
 * while the writer (notary/service/writer.h) commits on its own connection.
 *
 * Threads: readpool_get/readpool_put from any thread; open and close from
 * one thread while no other uses the pool. Ownership: the pool lives in
 * caller-owned memory; readpool_close closes every connection it opened.
 */
#ifndef NOTARY_READPOOL_H
#define NOTARY_READPOOL_H

#include <pthread.h>
#include <stddef.h>

#include "notary/store/store.h"

struct readpool {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct store **free_list;
    size_t nfree, n;
    struct store **all;
};

/* Open n read connections to the store at db. On an error (E_NOMEM, or
 * store_open's) the connections opened so far stay in the pool: call
 * readpool_close either way. */
err_code readpool_open(struct readpool *p, const char *db, size_t n, struct err *e) MUST_CHECK;

/* Borrow a connection, waiting while all are lent; give it back with
 * readpool_put, from the same or another thread. */
struct store *readpool_get(struct readpool *p);
void readpool_put(struct readpool *p, struct store *s);

/* Close every connection (none may be lent) and free the pool's memory;
 * also fine on a pool whose readpool_open failed. */
void readpool_close(struct readpool *p);

#endif
