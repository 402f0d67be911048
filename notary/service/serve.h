/*
 * notary/service/serve.h — `notary serve`: the notary as a long-running HTTP service
 * (docs/architecture.md "notary/service"), with the routes of
 * docs/openapi.yaml:
 *
 *   issuers (bearer token):  POST /v1/hashes, POST /v1/credentials,
 *                            POST /v1/revocations
 *   everyone:                GET /v1/proofs/{hash}, GET /v1/batches,
 *                            GET /v1/batches/{seq}, GET /v1/revocations,
 *                            GET /v1/checkpoints, GET /v1/health, GET /metrics
 *
 * Durability: a 2xx answer to a submission means the hashes are committed
 * to the store (SQLite WAL, synchronous=FULL). Submissions arriving together
 * are committed together by one writer thread (group commit): each request
 * waits, suspended, for the commit that contains it, so throughput grows
 * with concurrency while every acknowledgement still follows its fsync.
 * The size cap (sched.size_cap) is a bound the writer keeps: it freezes the
 * open batch in the commit that fills it, or before a request that would
 * not fit (each request is stored whole, in one batch and one transaction;
 * a request of more hashes than the cap is refused with 413), and the
 * scheduler computes the frozen batch's root.
 *
 * Proofs: a closed batch never changes, so its tree is built once and kept
 * (up to cache_leaves leaves in all, least recently used dropped first)
 * with a hash index over its leaves; a proof fetch is then a lookup, an
 * audit path copy and a bundle write, with no database access for
 * anchored batches.
 *
 * Lifecycle: SIGTERM or SIGINT stops accepting connections, answers every
 * request already received (up to drain_timeout_s), commits what was
 * queued, stops the scheduler and closes the store; SIGHUP reloads the
 * tokens (they are also reloaded every few seconds). Logs are JSON lines on
 * standard error (notary/service/slog.h).
 */
#ifndef NOTARY_SERVE_H
#define NOTARY_SERVE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "notary/service/scheduler.h"

struct serve_config {
    const char *db_path;
    const char *listen;          /* "127.0.0.1:8080" */
    const char *port_file;       /* NULL, or a file that gets the bound port once listening */
    unsigned threads;            /* HTTP worker threads (0 = 4) */
    unsigned timeout_s;          /* idle connection timeout (0 = 15) */
    unsigned max_connections;    /* 0 = 1024 */
    unsigned per_ip_connections; /* 0 = unlimited (`notary serve` defaults to 64) */
    unsigned head_timeout_s;     /* the whole request head within this (0 = 10) */
    size_t max_body;             /* largest submission body in bytes (0 = 16 MiB) */
    uint64_t cache_leaves;       /* proof cache, leaves over all batches (0 = 4M) */
    unsigned drain_timeout_s;    /* on SIGTERM, wait this long for requests in flight (0 = 30) */
    bool access_log;             /* a log line per request (errors are always logged) */
    bool no_scheduler;           /* serve only: no closing, no anchoring */
    struct scheduler_config sched; /* db_path is filled in by serve_run */
};

/* Run until SIGTERM/SIGINT. E_OK after a clean stop; otherwise the reason
 * it could not start (E_IO: cannot listen; E_NOT_FOUND: no notary here). */
err_code serve_run(const struct serve_config *cfg, struct err *e) MUST_CHECK;

/* Print the route table, one "METHOD PATH" line per route (sorted as
 * declared), for `notary serve --print-routes` and the OpenAPI check. */
void serve_print_routes(FILE *f, bool verbose);

#endif
