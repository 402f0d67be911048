/*
 * notary/service/serve_impl.h — private to notary/service/: what serve.c
 * (lifecycle) and routes.c (the HTTP handlers) share. Not for other rooms:
 * the service's contract is serve.h.
 *
 * struct serve is the app pointer every handler gets. serve.c fills it
 * before http_start and tears it down after the server has stopped, so a
 * handler may use every field without a lock (the fields are themselves
 * thread-safe: read pool, proof cache, tokens, metrics, scheduler, writer);
 * wstore is the writer's connection, and handlers only ask it
 * store_shared().
 */
#ifndef NOTARY_SERVE_IMPL_H
#define NOTARY_SERVE_IMPL_H

#include <stdbool.h>
#include <stddef.h>

#include "notary/issuance/proof.h"
#include "notary/service/http.h"
#include "notary/service/metrics.h"
#include "notary/service/proofcache.h"
#include "notary/service/readpool.h"
#include "notary/service/scheduler.h"
#include "notary/service/serve.h"
#include "notary/service/tokens.h"
#include "notary/service/writer.h"

/* Largest submission body when --max-body is not given. */
#define SERVE_DEFAULT_MAX_BODY (16u * 1024 * 1024)

struct serve {
    struct serve_config cfg;     /* max_body filled in (never 0) */
    struct readpool pool;
    struct pcache cache;
    struct tokens *tokens;
    struct metrics *metrics;
    struct scheduler *sched;     /* NULL with --no-scheduler */
    struct http_server *http;
    struct proof_ledger ledger;  /* valid when have_ledger */
    bool have_ledger;
    struct store *wstore;        /* the writer's connection */
    struct writer *writer;
};

/* routes.c: the route table of docs/openapi.yaml, with the body limit of
 * the submission routes set to max_body, and in *names the "METHOD PATH"
 * of each route (for metrics_new). The table and names are static: valid
 * for the life of the process; one service per process (a later call
 * changes the limits under the earlier one). */
const struct http_route *serve_routes(size_t max_body, const char *const **names, size_t *n);

#endif
