/*
 * notary/service/writer.h — the group-commit writer of `notary serve`: one
 * thread, one store connection, every submission and revocation.
 *
 * A handler builds a job (writer_job_submit / writer_job_revoke), hands it
 * to writer_enqueue, and its request is suspended (http_defer). The writer
 * takes everything queued (up to 2^20 hashes), commits the submissions in
 * as few transactions as the size cap allows, applies the revocations one
 * by one, and only then resumes each request (http_resume): the handler
 * runs again, finds the job as its request data with rc/msg and the
 * results filled in, and answers. So every 2xx follows the fsync that
 * holds it, and throughput grows with concurrency.
 *
 * Size cap (size_cap, --batch-cap): a bound the writer keeps, not a
 * trigger. Consecutive submissions are committed together while they fit
 * in what the open batch has left; the batch is frozen (its root then
 * computed by the scheduler, told with scheduler_frozen) as soon as it
 * holds the cap, or before a job that would not fit. Each request is stored
 * whole, in one batch and one transaction; a job larger than the cap fails
 * (handlers refuse those with 413 before they get here).
 *
 * Threads: writer_enqueue from any thread; start, stop and free from one.
 * Ownership: a job belongs to its request from writer_enqueue on (it
 * becomes the request's data); the writer does not own the store,
 * scheduler or metrics it is given.
 */
#ifndef NOTARY_WRITER_H
#define NOTARY_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/credential.h"
#include "core/revlog.h"
#include "notary/service/http.h"
#include "notary/service/metrics.h"
#include "notary/service/scheduler.h"
#include "notary/store/store.h"

struct writer_job {
    enum { JOB_SUBMIT, JOB_REVOKE } kind;
    struct http_req *req;
    /* submit: in h, how (n each); out: out (n) */
    struct hash32 *h;
    enum credential_hashing *how;
    size_t n;
    struct store_submitted *out;
    /* revoke: in rhash, reason, note; out: rev, existed */
    struct hash32 rhash;
    unsigned reason;
    char note[REVLOG_MAX_NOTE + 1];
    struct store_revocation rev;
    bool existed;
    /* result: E_OK, or the error and its message (nothing was stored) */
    err_code rc;
    char msg[512];
    struct writer_job *next; /* the writer's queue */
};

struct writer_config {
    struct store *store;       /* the writer's connection (not owned; not used by others meanwhile) */
    struct scheduler *sched;   /* NULL: no scheduler (nothing is poked or told) */
    uint64_t size_cap;         /* 0: no cap (also what to pass without a scheduler) */
    struct metrics *metrics;   /* counts submitted and new hashes; may be NULL */
};

struct writer;

/* Start the writer thread. E_NOMEM if it cannot start; *out is then NULL. */
err_code writer_start(const struct writer_config *cfg, struct writer **out,
                      struct err *e) MUST_CHECK;

/* Make the job its request's data (freed with the request, by
 * writer_job_free), queue it and suspend the request (http_defer). false,
 * with the request answered 503 "shutting_down", once the writer has
 * stopped: the job was not queued (and is freed with the request). */
bool writer_enqueue(struct writer *w, struct writer_job *j);

/* Commit and answer everything queued, then end the thread; new jobs are
 * refused from here on. Idempotent; NULL is fine. */
void writer_stop(struct writer *w);

/* writer_stop, then free the writer. NULL is fine. */
void writer_free(struct writer *w);

/* A submission job for n hashes (h, how and out allocated, n each; the
 * caller fills h and how), or a revocation job (the caller fills rhash,
 * reason, note). NULL when out of memory. */
struct writer_job *writer_job_submit(struct http_req *r, size_t n);
struct writer_job *writer_job_revoke(struct http_req *r);

/* Free a job that was never enqueued (a void *: it is also the request
 * data's free function); NULL is fine. */
void writer_job_free(void *job);

#endif
