/*
 * notary/service/metrics.h — the service's counters in the Prometheus text
 * exposition format (version 0.0.4), served at GET /metrics.
 *
 * What is counted: hashes submitted (new and already notarized), submit
 * requests, closed batch sizes (histogram), the open batch's size,
 * anchoring latency from close to confirmed anchor (histogram), anchoring
 * runs and failures by reason, the last `notary check` run by the scheduler
 * (findings, whether it was complete, when it ran), and HTTP requests by route and status with a
 * latency histogram. Every update is a lock-free atomic add, so the hot
 * paths (proof fetches, submissions) pay a few nanoseconds.
 *
 * Ownership: metrics_new() returns a block the caller frees with
 * metrics_free(); the route names passed to it must outlive it.
 */
#ifndef NOTARY_METRICS_H
#define NOTARY_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/bytes.h"
#include "core/error.h"

struct metrics;

/* Anchoring outcomes counted separately. */
enum metrics_anchor_failure {
    METRICS_ANCHOR_NETWORK = 0, /* ledger unreachable: retried with backoff */
    METRICS_ANCHOR_FAILED,      /* a batch FAILED (revert, funds, sequence): needs an operator */
    METRICS_ANCHOR_OTHER,       /* store or protocol error */
    METRICS_ANCHOR__COUNT
};

/* Connections the HTTP layer ended before a request (notary/service/http.h). */
enum metrics_conn_drop {
    METRICS_CONN_PER_ADDRESS = 0, /* refused: the client address holds its limit */
    METRICS_CONN_SERVER_FULL,     /* refused: the server holds max_connections */
    METRICS_CONN_HEAD_TIMEOUT,    /* cut: the request head was late */
    METRICS_CONN__COUNT
};

/* A metrics block for `nroutes` routes named `routes[i]` (e.g. "GET
 * /v1/proofs/{hash}"); requests that match no route count as "unmatched".
 * NULL when out of memory. */
struct metrics *metrics_new(const char *const *routes, size_t nroutes);
void metrics_free(struct metrics *m);

/* One HTTP request finished: route index (nroutes = unmatched), status, duration. */
void metrics_http(struct metrics *m, size_t route, unsigned status, double seconds);
/* A durable submission of `total` hashes, `fresh` of them new. */
void metrics_submitted(struct metrics *m, uint64_t total, uint64_t fresh);
/* A batch was closed with `size` credentials. */
void metrics_batch_closed(struct metrics *m, uint64_t size);
/* The open batch now holds `size` credentials. */
void metrics_open_batch(struct metrics *m, uint64_t size);
/* A batch was confirmed on the ledger `seconds` after it was closed. */
void metrics_anchored(struct metrics *m, double seconds);
/* One anchoring run ended with `why` (also counts the run). */
void metrics_anchor_failure(struct metrics *m, enum metrics_anchor_failure why);
/* One anchoring run ended without error. */
void metrics_anchor_run_ok(struct metrics *m);

/* The scheduler's `notary check` (notary/issuance/scrub.h) finished at unix
 * time `at` with `findings` findings; `incomplete` when the ledger could not
 * be asked about every anchored batch. Exported as notary_check_findings,
 * notary_check_incomplete, notary_check_last_run_timestamp_seconds and
 * notary_check_age_seconds (now - at; all absent until the first run). */
void metrics_check(struct metrics *m, uint64_t findings, bool incomplete, int64_t at);

/* `n` connections were dropped for `why`. */
void metrics_conn_dropped(struct metrics *m, enum metrics_conn_drop why, uint64_t n);

/* Append the exposition text to `out` (E_NOMEM if it cannot grow). */
err_code metrics_render(struct metrics *m, struct buf *out, struct err *e) MUST_CHECK;

#endif
