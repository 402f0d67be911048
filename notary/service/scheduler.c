/* notary/service/scheduler.c — see scheduler.h. */
#include "notary/service/scheduler.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include "anchor/evm.h"
#include "notary/anchoring/anchoring.h"
#include "notary/anchoring/anchoring_ebsi.h"
#include "notary/anchoring/ledger_root.h"
#include "notary/issuance/batch.h"
#include "notary/issuance/revocation.h"
#include "notary/issuance/scrub.h"
#include "notary/service/slog.h"
#include "notary/store/store.h"

/* How long one anchoring run may wait for confirmations before the thread
 * looks at its stop flag and the clock again; the batch stays SENT in the
 * store and the next slice continues where this one stopped. */
#define ANCHOR_SLICE_S 5
/* The open batch's size is looked at least this often (and when poked). */
#define TICK_MS 1000
/* How often the store is asked whether batches wait for anchoring. */
#define PENDING_CHECK_S 10

struct scheduler {
    struct scheduler_config cfg;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool stop, poked, frozen;
    struct scheduler_status st; /* under lock */
    /* thread-only state */
    struct store *store;
    struct evm_ledger ledger;
    bool connected, ebsi;
    char ledger_host[256]; /* scrubbed from the error /v1/health shows */
    bool leader; /* shared store: we hold its writer lock */
    struct addr20 contract;
    uint64_t confirmations;
    int64_t last_anchored_seq[2]; /* per kind: batches up to here were seen anchored (-1 none) */
    bool have_last[2];            /* per kind: the store was looked at once */
};

int64_t scheduler_next_daily(int64_t now, int minute)
{
    time_t t = (time_t)now;
    struct tm tm;
    gmtime_r(&t, &tm);
    tm.tm_hour = minute / 60;
    tm.tm_min = minute % 60;
    tm.tm_sec = 0;
    int64_t at = (int64_t)timegm(&tm);
    while (at <= now)
        at += 86400;
    return at;
}

/* The error /v1/health shows publicly: the ledger's URL and host (and
 * port) scrubbed; the log keeps the whole message. */
static void set_error(struct scheduler *s, const char *msg)
{
    pthread_mutex_lock(&s->lock);
    slog_scrub_endpoint(msg, s->ledger_host, s->st.last_error, sizeof s->st.last_error);
    pthread_mutex_unlock(&s->lock);
}

static void anchoring_log(void *arg, const char *fmt, va_list ap)
{
    char msg[600];
    vsnprintf(msg, sizeof msg, fmt, ap);
    slog("info", "anchoring", "{s:s}", "message", msg);
}

/* Read the ledger settings and connect (chain id checked). */
static err_code connect(struct scheduler *s, struct err *e)
{
    if (s->connected)
        return E_OK;
    char *url = NULL, *chain = NULL, *conf = NULL, *addr = NULL, *ledger = NULL;
    err_code rc;
    if ((rc = store_meta_get(s->store, "rpc_url", &url, e)) ||
        (rc = store_meta_get(s->store, "chain_id", &chain, e)) ||
        (rc = store_meta_get(s->store, "confirmations", &conf, e)) ||
        (rc = store_meta_get(s->store, "contract", &addr, e)))
        goto out;
    slog_url_host(url, s->ledger_host, sizeof s->ledger_host);
    if (store_meta_get(s->store, "ledger", &ledger, NULL) == E_OK)
        s->ebsi = strcmp(ledger, "ebsi") == 0;
    s->confirmations = strtoull(conf, NULL, 10);
    if ((rc = addr20_from_hex(addr, &s->contract, e)))
        goto out;
    struct rpc_options opt = {.url = url,
                              .timeout_ms = s->cfg.rpc_timeout_ms ? s->cfg.rpc_timeout_ms : 10000,
                              .max_attempts = 2};
    if (!(rc = evm_connect(&opt, strtoull(chain, NULL, 10), &s->ledger, e)))
        s->connected = true;
out:
    free(url);
    free(chain);
    free(conf);
    free(addr);
    free(ledger);
    return rc;
}

/* The periodic `notary check` (scheduler.h): read-only, so every instance
 * of a shared store runs it. A stop request ends it between batches. */
static bool check_go_on(uint64_t done, uint64_t total, void *arg)
{
    struct scheduler *s = arg;
    (void)done, (void)total;
    pthread_mutex_lock(&s->lock);
    bool stop = s->stop;
    pthread_mutex_unlock(&s->lock);
    return !stop;
}

static void run_check(struct scheduler *s)
{
    struct err e = {0}, se = {0};
    char *issuer = NULL;
    struct anchoring_root_ctx rctx = {.ledger = &s->ledger};
    struct scrub_ledger ledger = {anchoring_root_of, &rctx};
    bool online = store_meta_get(s->store, "issuer", &issuer, &e) == E_OK &&
                  addr20_from_hex(issuer, &rctx.issuer, &e) == E_OK && connect(s, &e) == E_OK;
    free(issuer);
    rctx.contract = s->contract;
    rctx.ebsi = s->ebsi;
    struct scrub_result r;
    if (scrub_run(s->store, online ? &ledger : NULL, check_go_on, s, &r, &se)) {
        slog("error", "check_failed", "{s:s}", "error", se.msg);
        return;
    }
    if (!online) {
        r.incomplete = true;
        snprintf(r.incomplete_why, sizeof r.incomplete_why, "the ledger: %.200s", e.msg);
    }
    if (r.incomplete && s->connected) { /* reconnect next time */
        evm_close(&s->ledger);
        s->connected = false;
    }
    metrics_check(s->cfg.metrics, r.n, r.incomplete, r.finished_at);
    slog(r.n ? "error" : r.incomplete ? "warn" : "info", "check", "{s:o*}", "result",
         scrub_result_json(&r));
    scrub_result_free(&r);
}

/* Report batches of `kind` that became anchored since we last looked. */
static void observe_anchored(struct scheduler *s, enum batch_kind kind)
{
    struct store_batch *list;
    size_t n;
    struct err e;
    if (store_batch_list(s->store, kind, &list, &n, &e) != E_OK)
        return;
    for (size_t i = 0; i < n; i++) {
        const struct store_batch *b = &list[i];
        if (b->state != BATCH_ANCHORED)
            continue;
        if ((int64_t)b->seq <= s->last_anchored_seq[kind])
            continue;
        if (s->have_last[kind]) { /* anchored during this process's life */
            char tx[67];
            hash32_to_hex0x(&b->tx_hash, tx);
            metrics_anchored(s->cfg.metrics, (double)(b->anchored_at - b->closed_at));
            slog("info", "batch_anchored", "{s:s, s:I, s:I, s:s, s:I, s:I}", "kind",
                 kind == BATCH_ISSUANCE ? "issuance" : "revocation", "seq", (json_int_t)b->seq,
                 "size", (json_int_t)b->size, "tx", tx, "block", (json_int_t)b->block_number,
                 "latency_s", (json_int_t)(b->anchored_at - b->closed_at));
        }
        s->last_anchored_seq[kind] = (int64_t)b->seq;
    }
    s->have_last[kind] = true;
    free(list);
}

/* Anything of either kind waiting to be anchored? */
static bool work_pending(struct scheduler *s)
{
    for (int k = 0; k < 2; k++) {
        struct store_batch *list;
        size_t n;
        if (store_batch_list(s->store, (enum batch_kind)k, &list, &n, NULL) != E_OK)
            return true; /* cannot tell: try */
        bool any = false;
        for (size_t i = 0; i < n && !any; i++)
            any = list[i].state == BATCH_CLOSED || list[i].state == BATCH_SENT;
        free(list);
        if (any)
            return true;
    }
    /* Anchored batches not yet final are re-checked for reorgs by the next
     * anchoring run. */
    bool unsettled = false;
    struct err ignore;
    return connect(s, &ignore) == E_OK &&
           anchoring_unsettled(s->store, &s->ledger, s->cfg.final_depth, &unsettled, &ignore) ==
               E_OK &&
           unsettled;
}

/* One anchoring slice over both kinds. E_OK with *more when batches are
 * still waiting for confirmations. */
static err_code anchor_slice(struct scheduler *s, bool *more, struct err *e)
{
    *more = false;
    err_code rc = connect(s, e);
    if (rc)
        return rc;
    struct anchoring_cfg cfg = {.ledger = &s->ledger,
                                .signer = s->cfg.signer,
                                .contract = s->contract,
                                .confirmations = s->confirmations ? s->confirmations : 1,
                                .poll_ms = s->cfg.poll_ms ? s->cfg.poll_ms : 1000,
                                .timeout_s = ANCHOR_SLICE_S,
                                .final_depth = s->cfg.final_depth,
                                .log = anchoring_log};
    static const enum batch_kind kinds[] = {BATCH_ISSUANCE, BATCH_REVOCATION};
    for (size_t k = 0; k < 2 && !rc; k++) {
        struct anchoring_report rep;
        rc = s->ebsi ? anchoring_ebsi_run(s->store, &cfg, kinds[k], &rep, e)
                     : anchoring_run(s->store, &cfg, kinds[k], &rep, e);
        if (rep.pending)
            *more = true;
        observe_anchored(s, kinds[k]);
    }
    return rc;
}

/* Full jitter (AWS architecture blog, "Exponential Backoff And Jitter"):
 * a uniform wait in [min, min(max, min·2^failures)]. */
static int64_t backoff_s(const struct scheduler *s, unsigned failures)
{
    uint64_t lo = s->cfg.backoff_min_s ? s->cfg.backoff_min_s : 2;
    uint64_t hi = s->cfg.backoff_max_s ? s->cfg.backoff_max_s : 300;
    uint64_t cap = lo;
    for (unsigned i = 1; i < failures && cap < hi; i++)
        cap *= 2;
    if (cap > hi)
        cap = hi;
    uint32_t r = 0;
    if (RAND_bytes((unsigned char *)&r, sizeof r) != 1)
        r = (uint32_t)time(NULL);
    return (int64_t)(lo + (cap > lo ? r % (cap - lo + 1) : 0));
}

static void close_batch(struct scheduler *s, const char *why, bool *want_anchor)
{
    struct store_batch b;
    struct err e = {0};
    err_code rc = batch_close(s->store, &b, NULL, NULL, &e);
    if (rc == E_NOT_FOUND)
        return; /* nothing submitted since the last close */
    if (rc) {
        slog("error", "batch_close_failed", "{s:s, s:s}", "reason", why, "error", e.msg);
        set_error(s, e.msg);
        return;
    }
    char root[65];
    hash32_to_hex(&b.root, root);
    metrics_batch_closed(s->cfg.metrics, b.size);
    metrics_open_batch(s->cfg.metrics, 0);
    slog("info", "batch_closed", "{s:I, s:I, s:s, s:s}", "seq", (json_int_t)b.seq, "size",
         (json_int_t)b.size, "root", root, "reason", why);
    *want_anchor = true;
}

/* Batches frozen at the size cap by the API's writer (scheduler_frozen) or
 * by another instance, or left without a root by a crash: compute their
 * roots (and index them), as a close would. */
static void finish_frozen(struct scheduler *s, bool *want_anchor)
{
    struct store_batch *list;
    size_t n;
    struct err e = {0};
    if (store_batch_list(s->store, BATCH_ISSUANCE, &list, &n, &e) != E_OK)
        return;
    bool any = false;
    for (size_t i = 0; i < n && !any; i++)
        any = list[i].state == BATCH_CLOSED && !list[i].has_root;
    if (any && batch_finish_pending(s->store, &e) != E_OK) {
        slog("error", "batch_close_failed", "{s:s, s:s}", "reason", "size_cap", "error", e.msg);
        set_error(s, e.msg);
        any = false;
    }
    for (size_t i = 0; i < n && any; i++) {
        struct store_batch b;
        if (list[i].state != BATCH_CLOSED || list[i].has_root ||
            store_batch_get(s->store, BATCH_ISSUANCE, list[i].seq, &b, NULL) != E_OK)
            continue;
        char root[65];
        hash32_to_hex(&b.root, root);
        metrics_batch_closed(s->cfg.metrics, b.size);
        slog("info", "batch_closed", "{s:I, s:I, s:s, s:s}", "seq", (json_int_t)b.seq, "size",
             (json_int_t)b.size, "root", root, "reason", "size_cap");
        *want_anchor = true;
    }
    free(list);
}

static void checkpoint(struct scheduler *s, bool *want_anchor)
{
    bool created = false;
    struct store_batch b;
    struct err e = {0};
    if (revocation_checkpoint(s->store, (int64_t)time(NULL), &created, &b, &e) != E_OK) {
        slog("error", "checkpoint_failed", "{s:s}", "error", e.msg);
        set_error(s, e.msg);
        return;
    }
    if (created) {
        slog("info", "checkpoint_cut", "{s:I, s:I}", "seq", (json_int_t)b.seq, "size",
             (json_int_t)b.size);
        *want_anchor = true;
    }
}

/* Several instances on one shared (PostgreSQL) store: only the holder of
 * the store's writer lock (a session advisory lock) closes, checkpoints and
 * anchors. Every tick the others try to take it, so when the holder dies
 * (its database session ends with it) another instance takes over within
 * about TICK_MS; the new leader first finishes a batch the old one froze
 * without a root and anchors whatever waits (a recorded, maybe unsent
 * transaction is rebroadcast as it would be after a crash). */
static bool lead(struct scheduler *s, bool *want_anchor)
{
    struct err e = {0};
    bool now = store_lock_writer(s->store, &e) == E_OK;
    if (now == s->leader)
        return now;
    s->leader = now;
    pthread_mutex_lock(&s->lock);
    s->st.leader = now;
    pthread_mutex_unlock(&s->lock);
    if (!now) {
        slog("info", "leader_standby", "{s:s}", "message", e.msg);
        return false;
    }
    slog("info", "leader_acquired", "{s:s}", "message",
         "this instance closes and anchors batches");
    if (batch_finish_pending(s->store, &e) != E_OK) {
        slog("error", "batch_finish_failed", "{s:s}", "error", e.msg);
        set_error(s, e.msg);
    }
    *want_anchor = s->cfg.signer && work_pending(s);
    return true;
}

static void *run(void *arg)
{
    struct scheduler *s = arg;
    struct err e = {0};
    bool shared = store_shared(s->store);
    if (!shared && batch_finish_pending(s->store, &e) != E_OK) {
        slog("error", "batch_finish_failed", "{s:s}", "error", e.msg);
        set_error(s, e.msg);
    }
    observe_anchored(s, BATCH_ISSUANCE);
    observe_anchored(s, BATCH_REVOCATION);
    bool want_anchor = s->cfg.signer && work_pending(s);
    if (want_anchor)
        slog("info", "anchoring_resumed", "{s:s}", "message",
             "batches to anchor (or recent anchors to re-check for reorgs) found "
             "at start");
    int64_t now = (int64_t)time(NULL);
    int64_t next_daily = s->cfg.close_at_minute >= 0
                             ? scheduler_next_daily(now, s->cfg.close_at_minute) : 0;
    int64_t next_every = s->cfg.close_every_s ? now + s->cfg.close_every_s : 0;
    int64_t next_try = 0, last_check = now, last_frozen_check = now;
    int64_t next_scrub = s->cfg.check_every_s ? now + (int64_t)s->cfg.check_every_s : 0;
    unsigned failures = 0;
    for (;;) {
        int64_t next_close = next_daily && (!next_every || next_daily < next_every) ? next_daily
                                                                                   : next_every;
        pthread_mutex_lock(&s->lock);
        s->st.next_close = next_close;
        s->st.failures = failures;
        s->st.next_retry = want_anchor ? next_try : 0;
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        long ms = TICK_MS;
        now = (int64_t)time(NULL);
        if (next_close && (next_close - now) * 1000 < ms)
            ms = (long)((next_close - now) * 1000);
        if (want_anchor && (next_try - now) * 1000 < ms)
            ms = (long)((next_try - now) * 1000);
        if (ms < 0)
            ms = 0;
        until.tv_sec += ms / 1000;
        until.tv_nsec += (ms % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        while (!s->stop && !s->poked && !s->frozen && ms > 0 &&
               pthread_cond_timedwait(&s->cond, &s->lock, &until) == 0)
            ;
        bool stop = s->stop, frozen = s->frozen;
        s->poked = false;
        s->frozen = false;
        pthread_mutex_unlock(&s->lock);
        if (stop)
            break;

        now = (int64_t)time(NULL);
        struct store_batch open;
        uint64_t open_size = 0;
        if (store_batch_open_get(s->store, BATCH_ISSUANCE, &open, NULL) == E_OK)
            open_size = open.size;
        metrics_open_batch(s->cfg.metrics, open_size);
        pthread_mutex_lock(&s->lock);
        s->st.open_size = open_size;
        pthread_mutex_unlock(&s->lock);
        if (next_scrub && now >= next_scrub) {
            run_check(s);
            now = (int64_t)time(NULL);
            next_scrub = now + (int64_t)s->cfg.check_every_s;
        }
        if (shared && !lead(s, &want_anchor))
            continue; /* another instance closes and anchors */

        /* The API's writer freezes the open batch when it holds size_cap
         * (writer.c): never more, since it is frozen inside the writer before
         * a submission could overflow it. Here: the roots of such batches
         * (at once when told, else every PENDING_CHECK_S for another
         * instance's), and a batch that others (`notary submit`) filled
         * past the cap. */
        if (frozen || now - last_frozen_check >= PENDING_CHECK_S) {
            last_frozen_check = now;
            finish_frozen(s, &want_anchor);
        }
        if (s->cfg.size_cap && open_size > s->cfg.size_cap)
            close_batch(s, "size_cap", &want_anchor);
        if (next_every && now >= next_every) {
            close_batch(s, "interval", &want_anchor);
            checkpoint(s, &want_anchor);
            next_every = now + s->cfg.close_every_s;
        }
        if (next_daily && now >= next_daily) {
            close_batch(s, "daily", &want_anchor);
            checkpoint(s, &want_anchor);
            next_daily = scheduler_next_daily(now, s->cfg.close_at_minute);
        }
        /* Batches closed by someone else (`notary close` while serving) are
         * noticed within PENDING_CHECK_S. */
        if (s->cfg.signer && !want_anchor && now - last_check >= PENDING_CHECK_S) {
            last_check = now;
            want_anchor = work_pending(s);
        }
        if (!s->cfg.signer || !want_anchor || now < next_try)
            continue;

        bool more = false;
        err_clear(&e);
        err_code rc = anchor_slice(s, &more, &e);
        now = (int64_t)time(NULL);
        if (rc == E_OK) {
            metrics_anchor_run_ok(s->cfg.metrics);
            failures = 0;
            want_anchor = more;
            next_try = more ? now + 1 : 0;
            if (!more)
                set_error(s, "");
            continue;
        }
        failures++;
        enum metrics_anchor_failure why = rc == E_NETWORK ? METRICS_ANCHOR_NETWORK
                                          : rc == E_STATE ? METRICS_ANCHOR_FAILED
                                                          : METRICS_ANCHOR_OTHER;
        metrics_anchor_failure(s->cfg.metrics, why);
        int64_t wait = backoff_s(s, failures);
        next_try = now + wait;
        if (rc == E_NETWORK && s->connected) { /* reconnect next time: the node may have moved */
            evm_close(&s->ledger);
            s->connected = false;
        }
        slog(rc == E_NETWORK ? "warn" : "error", "anchoring_failed", "{s:s, s:s, s:i, s:I}",
             "code", err_name(rc), "error", e.msg, "failures", (int)failures, "retry_in_s",
             (json_int_t)wait);
        set_error(s, e.msg);
    }
    return NULL;
}

err_code scheduler_start(const struct scheduler_config *cfg, struct scheduler **out, struct err *e)
{
    *out = NULL;
    if (cfg->close_at_minute >= 24 * 60)
        return err_set(e, E_INVALID, "the daily close time must be 00:00..23:59");
    struct scheduler *s = calloc(1, sizeof *s);
    if (!s)
        return err_set(e, E_NOMEM, "out of memory");
    s->cfg = *cfg;
    s->st.anchoring = cfg->signer != NULL;
    s->last_anchored_seq[0] = s->last_anchored_seq[1] = -1;
    err_code rc = store_open(cfg->db_path, false, &s->store, e);
    if (rc) {
        free(s);
        return rc;
    }
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->cond, NULL);
    if (pthread_create(&s->thread, NULL, run, s) != 0) {
        store_close(s->store);
        pthread_mutex_destroy(&s->lock);
        pthread_cond_destroy(&s->cond);
        free(s);
        return err_set(e, E_NOMEM, "cannot start the scheduler thread");
    }
    *out = s;
    return E_OK;
}

/* Raise one of the thread's flags (poked, frozen, stop) and wake it. */
static void wake(struct scheduler *s, bool *flag)
{
    pthread_mutex_lock(&s->lock);
    *flag = true;
    pthread_cond_signal(&s->cond);
    pthread_mutex_unlock(&s->lock);
}

void scheduler_poke(struct scheduler *s)
{
    if (s && s->cfg.size_cap)
        wake(s, &s->poked);
}

void scheduler_frozen(struct scheduler *s)
{
    if (s)
        wake(s, &s->frozen);
}

void scheduler_status(struct scheduler *s, struct scheduler_status *out)
{
    pthread_mutex_lock(&s->lock);
    *out = s->st;
    pthread_mutex_unlock(&s->lock);
}

void scheduler_stop(struct scheduler *s)
{
    if (!s)
        return;
    wake(s, &s->stop);
    pthread_join(s->thread, NULL);
    if (s->connected)
        evm_close(&s->ledger);
    store_close(s->store);
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->cond);
    free(s);
}
