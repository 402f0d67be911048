/*
 * notary/service/writer.c — see writer.h: the group-commit writer (moved
 * out of serve.c).
 */
#include "notary/service/writer.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "notary/issuance/revocation.h"
#include "notary/service/slog.h"

/* The writer commits at most this many hashes in one transaction. */
#define GROUP_MAX_HASHES (1u << 20)

struct writer {
    struct writer_config cfg;
    pthread_t thread;
    bool started;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct writer_job *head, *tail;
    bool stop;
    /* one group's hashes, modes and results, kept between groups */
    struct hash32 *gh;
    enum credential_hashing *ghow;
    struct store_submitted *gout;
    size_t gcap;
};

void writer_job_free(void *p)
{
    struct writer_job *j = p;
    if (!j)
        return;
    free(j->h);
    free(j->how);
    free(j->out);
    free(j);
}

bool writer_enqueue(struct writer *w, struct writer_job *j)
{
    http_req_set_data(j->req, j, writer_job_free);
    pthread_mutex_lock(&w->lock);
    if (w->stop) {
        pthread_mutex_unlock(&w->lock);
        http_reply_error(j->req, 503, "shutting_down", "the notary is shutting down; retry later");
        return false;
    }
    http_defer(j->req);
    j->next = NULL;
    if (w->tail)
        w->tail->next = j;
    else
        w->head = j;
    w->tail = j;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
    return true;
}

static err_code group_reserve(struct writer *w, size_t n, struct err *e)
{
    if (n <= w->gcap)
        return E_OK;
    size_t cap = w->gcap ? w->gcap : 1024;
    while (cap < n)
        cap *= 2;
    struct hash32 *h = realloc(w->gh, cap * sizeof *h);
    if (h)
        w->gh = h;
    enum credential_hashing *how = realloc(w->ghow, cap * sizeof *how);
    if (how)
        w->ghow = how;
    struct store_submitted *out = realloc(w->gout, cap * sizeof *out);
    if (out)
        w->gout = out;
    if (!h || !how || !out)
        return err_set(e, E_NOMEM, "out of memory for %zu hashes", n);
    w->gcap = cap;
    return E_OK;
}

/* Commit the submit jobs from `from` up to (not including) `to` in one
 * transaction; each job gets the result. False if it failed. */
static bool commit_jobs(struct writer *w, struct writer_job *from, struct writer_job *to)
{
    size_t total = 0;
    for (struct writer_job *j = from; j != to; j = j->next)
        if (j->kind == JOB_SUBMIT)
            total += j->n;
    if (total == 0)
        return true;
    struct err e = {0};
    err_code rc = group_reserve(w, total, &e);
    if (!rc) {
        size_t at = 0;
        for (struct writer_job *j = from; j != to; j = j->next) {
            if (j->kind != JOB_SUBMIT)
                continue;
            memcpy(w->gh + at, j->h, j->n * sizeof *j->h);
            memcpy(w->ghow + at, j->how, j->n * sizeof *j->how);
            at += j->n;
        }
        rc = store_submit(w->cfg.store, w->gh, w->ghow, total, w->gout, NULL, NULL, &e);
    }
    size_t at = 0;
    for (struct writer_job *j = from; j != to; j = j->next) {
        if (j->kind != JOB_SUBMIT)
            continue;
        j->rc = rc;
        if (rc) {
            snprintf(j->msg, sizeof j->msg, "%s", e.msg);
        } else {
            memcpy(j->out, w->gout + at, j->n * sizeof *j->out);
            uint64_t fresh = 0;
            for (size_t i = 0; i < j->n; i++)
                fresh += !j->out[i].existed;
            metrics_submitted(w->cfg.metrics, j->n, fresh);
        }
        at += j->n;
    }
    if (rc)
        slog("error", "submit_failed", "{s:s, s:I}", "error", e.msg, "hashes", (json_int_t)total);
    return rc == E_OK;
}

static void fail_jobs(struct writer_job *from, struct writer_job *to, const char *msg)
{
    for (struct writer_job *j = from; j != to; j = j->next)
        if (j->kind == JOB_SUBMIT) {
            j->rc = E_IO;
            snprintf(j->msg, sizeof j->msg, "%s", msg);
        }
}

/* The size of the open batch now (0 if none); false if the store failed. */
static bool open_size(struct writer *w, uint64_t *size, struct err *e)
{
    struct store_batch b;
    err_code rc = store_batch_open_get(w->cfg.store, BATCH_ISSUANCE, &b, e);
    *size = rc == E_OK ? b.size : 0;
    return rc == E_OK || rc == E_NOT_FOUND;
}

/* Freeze the open batch (its root comes from the scheduler, told at once). */
static bool freeze(struct writer *w, struct err *e)
{
    struct store_batch b;
    err_code rc = store_batch_freeze(w->cfg.store, (int64_t)time(NULL), &b, e);
    if (rc == E_NOT_FOUND)
        return true;
    if (rc) {
        slog("error", "batch_close_failed", "{s:s, s:s}", "reason", "size_cap", "error", e->msg);
        return false;
    }
    metrics_open_batch(w->cfg.metrics, 0);
    scheduler_frozen(w->cfg.sched);
    return true;
}

/* Commit every submit job of `list`. Without a size cap: one transaction.
 * With one (--batch-cap, a bound, not a trigger): consecutive jobs are
 * committed together while their hashes fit in what the open batch has
 * left, and the batch is frozen as soon as it holds the cap, or before a
 * job that would not fit; so no batch ever exceeds the cap and each request
 * is still stored whole or not at all (handlers refuse requests larger than
 * the cap). A batch may close below the cap when the next request would not
 * fit, or when some hashes were already notarized. */
static void commit_group(struct writer *w, struct writer_job *list)
{
    uint64_t cap = w->cfg.size_cap;
    if (!cap) {
        if (commit_jobs(w, list, NULL))
            scheduler_poke(w->cfg.sched);
        return;
    }
    struct writer_job *from = list;
    while (from && from->kind != JOB_SUBMIT)
        from = from->next;
    while (from) {
        struct err e = {0};
        uint64_t size;
        if (!open_size(w, &size, &e) || (size >= cap && !freeze(w, &e))) {
            fail_jobs(from, NULL, e.msg);
            return;
        }
        if (size >= cap)
            size = 0;
        uint64_t fit = 0;
        struct writer_job *to = from;
        while (to && (to->kind != JOB_SUBMIT || fit + to->n <= cap - size)) {
            fit += to->kind == JOB_SUBMIT ? to->n : 0;
            to = to->next;
        }
        if (to == from && size == 0) { /* larger than the cap: handlers refuse these */
            to = from->next;
            fail_jobs(from, to, "more hashes than --batch-cap in one request");
            from = to;
            continue;
        }
        if (to == from) { /* the first job does not fit: a new batch for it */
            if (!freeze(w, &e)) {
                fail_jobs(from, NULL, e.msg);
                return;
            }
            continue;
        }
        if (commit_jobs(w, from, to)) {
            if (open_size(w, &size, &e) && size >= cap)
                freeze(w, &e); /* if it fails, the next round tries again */
            scheduler_poke(w->cfg.sched);
        }
        from = to;
    }
}

static void *writer_main(void *arg)
{
    struct writer *w = arg;
    for (;;) {
        pthread_mutex_lock(&w->lock);
        while (!w->head && !w->stop)
            pthread_cond_wait(&w->cond, &w->lock);
        if (!w->head) {
            pthread_mutex_unlock(&w->lock);
            break;
        }
        /* Take what is queued, up to GROUP_MAX_HASHES (at least one job):
         * everything that arrived while the previous commit ran is
         * committed together. */
        struct writer_job *list = w->head, *last = list;
        size_t hashes = list->kind == JOB_SUBMIT ? list->n : 0;
        while (last->next && hashes + (last->next->kind == JOB_SUBMIT ? last->next->n : 0) <=
                                 GROUP_MAX_HASHES) {
            last = last->next;
            hashes += last->kind == JOB_SUBMIT ? last->n : 0;
        }
        w->head = last->next;
        if (!w->head)
            w->tail = NULL;
        last->next = NULL;
        pthread_mutex_unlock(&w->lock);

        commit_group(w, list);
        for (struct writer_job *j = list; j; j = j->next) {
            if (j->kind != JOB_REVOKE)
                continue;
            struct err e = {0};
            j->rc = revocation_revoke(w->cfg.store, &j->rhash, j->reason, j->note,
                                      (int64_t)time(NULL), &j->rev, &j->existed, &e);
            if (j->rc)
                snprintf(j->msg, sizeof j->msg, "%s", e.msg);
        }
        /* Each request is answered only now, after its commit. */
        for (struct writer_job *j = list, *next; j; j = next) {
            next = j->next;
            http_resume(j->req); /* j belongs to the request from here on */
        }
    }
    return NULL;
}

void writer_stop(struct writer *w)
{
    if (!w || !w->started)
        return;
    pthread_mutex_lock(&w->lock);
    w->stop = true;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
    w->started = false;
}

err_code writer_start(const struct writer_config *cfg, struct writer **out, struct err *e)
{
    *out = NULL;
    struct writer *w = calloc(1, sizeof *w);
    if (!w)
        return err_set(e, E_NOMEM, "out of memory");
    w->cfg = *cfg;
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->cond, NULL);
    if (pthread_create(&w->thread, NULL, writer_main, w) != 0) {
        writer_free(w);
        return err_set(e, E_NOMEM, "cannot start the writer thread");
    }
    w->started = true;
    *out = w;
    return E_OK;
}

void writer_free(struct writer *w)
{
    if (!w)
        return;
    writer_stop(w);
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->cond);
    free(w->gh);
    free(w->ghow);
    free(w->gout);
    free(w);
}

struct writer_job *writer_job_submit(struct http_req *r, size_t n)
{
    struct writer_job *j = calloc(1, sizeof *j);
    if (!j)
        return NULL;
    j->kind = JOB_SUBMIT;
    j->req = r;
    j->n = n;
    j->h = malloc((n ? n : 1) * sizeof *j->h);
    j->how = malloc((n ? n : 1) * sizeof *j->how);
    j->out = malloc((n ? n : 1) * sizeof *j->out);
    if (!j->h || !j->how || !j->out) {
        writer_job_free(j);
        return NULL;
    }
    return j;
}

struct writer_job *writer_job_revoke(struct http_req *r)
{
    struct writer_job *j = calloc(1, sizeof *j);
    if (!j)
        return NULL;
    j->kind = JOB_REVOKE;
    j->req = r;
    return j;
}
