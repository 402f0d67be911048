/*
 * notary/service/serve.c — see serve.h: the service's lifecycle (start,
 * signals, drain, stop). The handlers are notary/service/routes.c, the
 * group-commit writer notary/service/writer.c, the read pool readpool.c
 * and the proof cache proofcache.c; serve_impl.h is what they share.
 *
 * Threads: libmicrohttpd's workers run the handlers (never blocking on a
 * disk write); one writer thread owns a store connection for submissions
 * and revocations; the scheduler has its own connection; reads take a
 * connection from a small pool. SQLite in WAL mode gives readers a
 * consistent snapshot while the single writer commits. This thread waits
 * for signals.
 */
#include "notary/service/serve.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>

#include "core/fileio.h"
#include "notary/issuance/batch.h"
#include "notary/service/serve_impl.h"
#include "notary/service/slog.h"

/* Proof cache size when --cache-leaves is not given. */
#define DEFAULT_CACHE_LEAVES (4u * 1024 * 1024)
/* Tokens are reloaded from the store this often (and on SIGHUP). */
#define TOKEN_RELOAD_S 5

static bool auth_cb(void *app, const char *token, size_t len, char *name)
{
    struct serve *sv = app;
    return tokens_check(sv->tokens, token, len, name);
}

/* Stop and free whatever serve_start got to; the writer first, so that
 * what it holds is committed and answered while the server still runs. */
static void serve_free(struct serve *sv)
{
    writer_stop(sv->writer);
    http_stop(sv->http);
    scheduler_stop(sv->sched);
    readpool_close(&sv->pool);
    pcache_free(&sv->cache);
    tokens_free(sv->tokens);
    writer_free(sv->writer);
    store_close(sv->wstore);
    metrics_free(sv->metrics);
    free(sv);
}

/* Open the store, the pool, the writer, the scheduler and the server, in
 * that order; on an error the caller frees what was started (serve_free). */
static err_code serve_start(struct serve *sv, const struct serve_config *cfg, struct err *e)
{
    sv->cfg = *cfg;
    if (!sv->cfg.max_body)
        sv->cfg.max_body = SERVE_DEFAULT_MAX_BODY;
    pcache_init(&sv->cache, cfg->cache_leaves ? cfg->cache_leaves : DEFAULT_CACHE_LEAVES);
    const char *const *route_names;
    size_t nroutes;
    const struct http_route *routes = serve_routes(sv->cfg.max_body, &route_names, &nroutes);
    unsigned threads = cfg->threads ? cfg->threads : 4;
    err_code rc;
    if ((rc = store_open(cfg->db_path, false, &sv->wstore, e)) ||
        (rc = batch_finish_pending(sv->wstore, e)) ||
        /* every stored hash in memory: a new hash is known new without a disk lookup */
        (rc = store_index_all(sv->wstore, e)) || (rc = tokens_load(sv->wstore, &sv->tokens, e)) ||
        (rc = readpool_open(&sv->pool, cfg->db_path, threads + 2, e)))
        return rc;
    /* The writer's commits do not copy the log into the file themselves: a
     * checkpointer thread does, so no submission waits for that copy. */
    struct err we = {0};
    if (store_wal_background(sv->wstore, &we) != E_OK)
        slog("warn", "checkpointer_not_started", "{s:s}", "error", we.msg);
    struct err le = {0};
    sv->have_ledger = proof_ledger_load(sv->wstore, &sv->ledger, &le) == E_OK;
    if (!sv->have_ledger)
        slog("warn", "ledger_settings_missing", "{s:s}", "error", le.msg);
    if (!(sv->metrics = metrics_new(route_names, nroutes)))
        return err_set(e, E_NOMEM, "out of memory");
    if (!cfg->no_scheduler) {
        struct scheduler_config sc = cfg->sched;
        sc.db_path = cfg->db_path;
        sc.metrics = sv->metrics;
        if ((rc = scheduler_start(&sc, &sv->sched, e)))
            return rc;
    }
    struct writer_config wc = {.store = sv->wstore,
                               .sched = sv->sched,
                               .size_cap = sv->sched ? cfg->sched.size_cap : 0,
                               .metrics = sv->metrics};
    if ((rc = writer_start(&wc, &sv->writer, e)))
        return rc;
    struct http_config hc = {.listen = cfg->listen,
                             .routes = routes,
                             .nroutes = nroutes,
                             .threads = threads,
                             .timeout_s = cfg->timeout_s,
                             .max_connections = cfg->max_connections,
                             .per_ip_connections = cfg->per_ip_connections,
                             .head_timeout_s = cfg->head_timeout_s,
                             .app = sv,
                             .auth = auth_cb,
                             .metrics = sv->metrics,
                             .access_log = cfg->access_log};
    if ((rc = http_start(&hc, &sv->http, e)))
        return rc;
    if (cfg->port_file) {
        char port[16];
        int n = snprintf(port, sizeof port, "%u\n", (unsigned)http_port(sv->http));
        if ((rc = file_write_atomic(cfg->port_file, port, (size_t)n, 0644, e)))
            return rc;
    }
    slog("info", "listening", "{s:s, s:i, s:i, s:I, s:b, s:b}", "listen", cfg->listen, "port",
         (int)http_port(sv->http), "threads", (int)threads, "tokens",
         (json_int_t)tokens_count(sv->tokens), "scheduler", !cfg->no_scheduler, "anchoring",
         !cfg->no_scheduler && cfg->sched.signer != NULL);
    if (tokens_count(sv->tokens) == 0)
        slog("warn", "no_tokens", "{s:s}", "message",
             "no issuer token exists: submissions are refused until `notary token add NAME`");
    return E_OK;
}

/* Wait for SIGTERM or SIGINT (returned), reloading the tokens on SIGHUP
 * and every TOKEN_RELOAD_S seconds meanwhile. */
static int wait_for_stop(struct serve *sv, const sigset_t *sigs)
{
    for (;;) {
        struct timespec ts = {.tv_sec = TOKEN_RELOAD_S};
        int sig = sigtimedwait(sigs, NULL, &ts);
        if (sig == SIGTERM || sig == SIGINT)
            return sig;
        struct err te = {0};
        /* A pooled connection: the writer's may be inside a transaction. */
        struct store *rs = readpool_get(&sv->pool);
        err_code trc = tokens_reload(sv->tokens, rs, &te);
        readpool_put(&sv->pool, rs);
        if (trc != E_OK)
            slog("warn", "tokens_reload_failed", "{s:s}", "error", te.msg);
        else if (sig == SIGHUP)
            slog("info", "tokens_reloaded", "{s:I}", "tokens",
                 (json_int_t)tokens_count(sv->tokens));
    }
}

/* Stop accepting, answer what was received (up to drain_timeout_s), and
 * commit and answer whatever the writer still holds. */
static void drain(struct serve *sv)
{
    http_quiesce(sv->http);
    unsigned secs = sv->cfg.drain_timeout_s ? sv->cfg.drain_timeout_s : 30;
    if (!http_drain(sv->http, secs * 1000))
        slog("warn", "drain_timeout", "{s:i, s:i}", "in_flight", (int)http_in_flight(sv->http),
             "seconds", (int)secs);
    /* Whatever was queued is committed and answered before the server stops. */
    writer_stop(sv->writer);
    http_drain(sv->http, 2000);
}

err_code serve_run(const struct serve_config *cfg, struct err *e)
{
    /* Signals are taken by sigtimedwait() (wait_for_stop): block them
     * before any thread starts, so every thread inherits the mask. */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    struct serve *sv = calloc(1, sizeof *sv);
    if (!sv)
        return err_set(e, E_NOMEM, "out of memory");
    err_code rc = serve_start(sv, cfg, e);
    if (rc) {
        serve_free(sv);
        return rc;
    }
    int sig = wait_for_stop(sv, &sigs);
    slog("info", "stopping", "{s:s, s:i}", "signal", sig == SIGINT ? "SIGINT" : "SIGTERM",
         "in_flight", (int)http_in_flight(sv->http));
    drain(sv);
    serve_free(sv);
    slog("info", "stopped", NULL);
    pthread_sigmask(SIG_UNBLOCK, &sigs, NULL);
    return E_OK;
}
