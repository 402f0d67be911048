/* notary/service/metrics.c — see metrics.h. Counters are C11 atomics (relaxed: a
 * scrape may see one counter a request ahead of another, which Prometheus
 * tolerates); histogram sums are kept in microseconds to stay integral. */
#include "notary/service/metrics.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* HTTP statuses counted one by one; anything else counts as "other". */
static const unsigned STATUSES[] = {200, 201, 202, 400, 401, 404, 405, 409, 411,
                                    413, 415, 422, 429, 431, 500, 503};
#define NSTATUS (sizeof STATUSES / sizeof STATUSES[0] + 1)

#define MAX_BUCKETS 16

struct hist {
    const double *bounds; /* upper bounds, increasing; +Inf implied */
    size_t nb;
    atomic_uint_fast64_t count[MAX_BUCKETS + 1]; /* per bucket (not cumulative) */
    atomic_uint_fast64_t sum_micro;               /* sum × 1e6 */
};

static const double HTTP_BOUNDS[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                     0.05,   0.1,   0.25,   0.5,   1,    2.5};
static const double SIZE_BOUNDS[] = {1,     10,     100,    1000,    10000,
                                     100000, 250000, 500000, 1000000, 4000000};
static const double ANCHOR_BOUNDS[] = {1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 21600, 86400};

struct metrics {
    const char *const *routes;
    size_t nroutes;
    atomic_uint_fast64_t *http; /* [(nroutes + 1) * NSTATUS] */
    struct hist http_latency;
    atomic_uint_fast64_t submitted, submitted_new, submit_requests;
    atomic_uint_fast64_t batches_closed, open_size;
    struct hist batch_size;
    struct hist anchor_latency;
    atomic_uint_fast64_t anchor_runs, anchored;
    atomic_uint_fast64_t anchor_fail[METRICS_ANCHOR__COUNT];
    atomic_uint_fast64_t conn_drop[METRICS_CONN__COUNT];
    atomic_uint_fast64_t check_findings, check_incomplete, check_at; /* check_at 0: never */
};

static void hist_init(struct hist *h, const double *bounds, size_t nb)
{
    h->bounds = bounds;
    h->nb = nb;
}

static void hist_observe(struct hist *h, double v)
{
    size_t i = 0;
    while (i < h->nb && v > h->bounds[i])
        i++;
    atomic_fetch_add_explicit(&h->count[i], 1, memory_order_relaxed);
    if (v > 0)
        atomic_fetch_add_explicit(&h->sum_micro, (uint64_t)(v * 1e6), memory_order_relaxed);
}

struct metrics *metrics_new(const char *const *routes, size_t nroutes)
{
    struct metrics *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->routes = routes;
    m->nroutes = nroutes;
    m->http = calloc((nroutes + 1) * NSTATUS, sizeof *m->http);
    if (!m->http) {
        free(m);
        return NULL;
    }
    hist_init(&m->http_latency, HTTP_BOUNDS, sizeof HTTP_BOUNDS / sizeof HTTP_BOUNDS[0]);
    hist_init(&m->batch_size, SIZE_BOUNDS, sizeof SIZE_BOUNDS / sizeof SIZE_BOUNDS[0]);
    hist_init(&m->anchor_latency, ANCHOR_BOUNDS, sizeof ANCHOR_BOUNDS / sizeof ANCHOR_BOUNDS[0]);
    return m;
}

void metrics_free(struct metrics *m)
{
    if (!m)
        return;
    free(m->http);
    free(m);
}

#define ADD(field, v) atomic_fetch_add_explicit(&(field), (v), memory_order_relaxed)

void metrics_http(struct metrics *m, size_t route, unsigned status, double seconds)
{
    if (!m)
        return;
    if (route > m->nroutes)
        route = m->nroutes;
    size_t s = NSTATUS - 1;
    for (size_t i = 0; i + 1 < NSTATUS; i++)
        if (STATUSES[i] == status) {
            s = i;
            break;
        }
    ADD(m->http[route * NSTATUS + s], 1);
    hist_observe(&m->http_latency, seconds);
}

void metrics_submitted(struct metrics *m, uint64_t total, uint64_t fresh)
{
    if (!m)
        return;
    ADD(m->submitted, total);
    ADD(m->submitted_new, fresh);
    ADD(m->submit_requests, 1);
}

void metrics_batch_closed(struct metrics *m, uint64_t size)
{
    if (!m)
        return;
    ADD(m->batches_closed, 1);
    hist_observe(&m->batch_size, (double)size);
}

void metrics_open_batch(struct metrics *m, uint64_t size)
{
    if (m)
        atomic_store_explicit(&m->open_size, size, memory_order_relaxed);
}

void metrics_anchored(struct metrics *m, double seconds)
{
    if (!m)
        return;
    ADD(m->anchored, 1);
    hist_observe(&m->anchor_latency, seconds);
}

void metrics_anchor_failure(struct metrics *m, enum metrics_anchor_failure why)
{
    if (!m || why >= METRICS_ANCHOR__COUNT)
        return;
    ADD(m->anchor_runs, 1);
    ADD(m->anchor_fail[why], 1);
}

void metrics_anchor_run_ok(struct metrics *m)
{
    if (m)
        ADD(m->anchor_runs, 1);
}

void metrics_check(struct metrics *m, uint64_t findings, bool incomplete, int64_t at)
{
    if (!m)
        return;
    atomic_store_explicit(&m->check_findings, findings, memory_order_relaxed);
    atomic_store_explicit(&m->check_incomplete, incomplete, memory_order_relaxed);
    atomic_store_explicit(&m->check_at, (uint64_t)(at > 0 ? at : 1), memory_order_relaxed);
}

void metrics_conn_dropped(struct metrics *m, enum metrics_conn_drop why, uint64_t n)
{
    if (m && why < METRICS_CONN__COUNT && n)
        ADD(m->conn_drop[why], n);
}

#define LOAD(field) ((unsigned long long)atomic_load_explicit(&(field), memory_order_relaxed))

static err_code counter(struct buf *out, const char *name, const char *help, unsigned long long v)
{
    return buf_printf(out, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n", name, help, name, name,
                      v);
}

static err_code gauge(struct buf *out, const char *name, const char *help, unsigned long long v)
{
    return buf_printf(out, "# HELP %s %s\n# TYPE %s gauge\n%s %llu\n", name, help, name, name, v);
}

static err_code hist_render(struct buf *out, const char *name, const char *help, struct hist *h)
{
    err_code rc = buf_printf(out, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
    unsigned long long cum = 0;
    for (size_t i = 0; i <= h->nb && !rc; i++) {
        cum += LOAD(h->count[i]);
        if (i < h->nb)
            rc = buf_printf(out, "%s_bucket{le=\"%g\"} %llu\n", name, h->bounds[i], cum);
        else
            rc = buf_printf(out, "%s_bucket{le=\"+Inf\"} %llu\n", name, cum);
    }
    if (!rc)
        rc = buf_printf(out, "%s_sum %.6f\n%s_count %llu\n", name,
                        (double)LOAD(h->sum_micro) / 1e6, name, cum);
    return rc;
}

/* Route names contain no '"' or '\\' (they are ours), so they need no escaping. */
err_code metrics_render(struct metrics *m, struct buf *out, struct err *e)
{
    static const char *const fail_names[] = {"network", "failed", "other"};
    err_code rc = counter(out, "notary_submitted_hashes_total",
                          "Credential hashes acknowledged (durably stored or already notarized).",
                          LOAD(m->submitted));
    if (!rc)
        rc = counter(out, "notary_submitted_new_hashes_total",
                     "Credential hashes newly added to a batch.", LOAD(m->submitted_new));
    if (!rc)
        rc = counter(out, "notary_submit_requests_total", "Durable submissions (HTTP requests).",
                     LOAD(m->submit_requests));
    if (!rc)
        rc = gauge(out, "notary_open_batch_size", "Credentials in the open batch.",
                   LOAD(m->open_size));
    if (!rc)
        rc = counter(out, "notary_batches_closed_total", "Batches closed by this process.",
                     LOAD(m->batches_closed));
    if (!rc)
        rc = hist_render(out, "notary_batch_size", "Credentials per closed batch.", &m->batch_size);
    if (!rc)
        rc = counter(out, "notary_batches_anchored_total",
                     "Batches confirmed on the ledger by this process.", LOAD(m->anchored));
    if (!rc)
        rc = hist_render(out, "notary_anchor_latency_seconds",
                         "Seconds from closing a batch to its confirmed anchor.",
                         &m->anchor_latency);
    if (!rc)
        rc = counter(out, "notary_anchor_runs_total", "Anchoring runs of the scheduler.",
                     LOAD(m->anchor_runs));
    if (!rc)
        rc = buf_printf(out, "# HELP notary_anchor_failures_total Anchoring runs that ended "
                             "in an error, by reason.\n# TYPE notary_anchor_failures_total "
                             "counter\n");
    for (size_t i = 0; i < METRICS_ANCHOR__COUNT && !rc; i++)
        rc = buf_printf(out, "notary_anchor_failures_total{reason=\"%s\"} %llu\n", fail_names[i],
                        LOAD(m->anchor_fail[i]));
    static const char *const drop_names[METRICS_CONN__COUNT] = {"per_address", "server_full",
                                                                 "head_timeout"};
    if (!rc)
        rc = buf_printf(out, "# HELP notary_http_connections_dropped_total Connections refused "
                             "or cut before a request, by reason.\n# TYPE "
                             "notary_http_connections_dropped_total counter\n");
    for (size_t i = 0; i < METRICS_CONN__COUNT && !rc; i++)
        rc = buf_printf(out, "notary_http_connections_dropped_total{reason=\"%s\"} %llu\n",
                        drop_names[i], LOAD(m->conn_drop[i]));
    unsigned long long at = LOAD(m->check_at), t = (unsigned long long)time(NULL);
    if (at && !rc)
        rc = gauge(out, "notary_check_findings",
                   "Findings of the last `notary check` run by the scheduler.",
                   LOAD(m->check_findings));
    if (at && !rc)
        rc = gauge(out, "notary_check_incomplete",
                   "1 if the last check could not ask the ledger about every anchored batch.",
                   LOAD(m->check_incomplete));
    if (at && !rc)
        rc = gauge(out, "notary_check_last_run_timestamp_seconds",
                   "When the last check finished (unix seconds).", at);
    if (at && !rc)
        rc = gauge(out, "notary_check_age_seconds", "Seconds since the last check finished.",
                   t > at ? t - at : 0);
    if (!rc)
        rc = buf_printf(out, "# HELP notary_http_requests_total HTTP requests by route and "
                             "status.\n# TYPE notary_http_requests_total counter\n");
    for (size_t r = 0; r <= m->nroutes && !rc; r++)
        for (size_t s = 0; s < NSTATUS && !rc; s++) {
            unsigned long long v = LOAD(m->http[r * NSTATUS + s]);
            if (!v)
                continue;
            char st[8];
            if (s + 1 < NSTATUS)
                snprintf(st, sizeof st, "%u", STATUSES[s]);
            else
                snprintf(st, sizeof st, "other");
            rc = buf_printf(out, "notary_http_requests_total{route=\"%s\",status=\"%s\"} %llu\n",
                            r < m->nroutes ? m->routes[r] : "unmatched", st, v);
        }
    if (!rc)
        rc = hist_render(out, "notary_http_request_duration_seconds",
                         "HTTP request handling time.", &m->http_latency);
    return rc ? err_set(e, E_NOMEM, "out of memory rendering metrics") : E_OK;
}
