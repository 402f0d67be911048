/*
 * notary/service/serve.c — see serve.h: the notary's endpoints over notary/service/http.h,
 * the group-commit writer, and the service's lifecycle (the proof cache is
 * notary/service/proofcache.c).
 *
 * Threads: libmicrohttpd's workers run the handlers (never blocking on a
 * disk write); one writer thread owns a store connection for submissions
 * and revocations; the scheduler has its own connection; reads take a
 * connection from a small pool. SQLite in WAL mode gives readers a
 * consistent snapshot while the single writer commits.
 */
#include "notary/service/serve.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/bundle.h"
#include "core/credential.h"
#include "core/fileio.h"
#include "core/json.h"
#include "core/merkle.h"
#include "notary/issuance/batch.h"
#include "notary/service/http.h"
#include "notary/issuance/proof.h"
#include "notary/service/proofcache.h"
#include "notary/issuance/revocation.h"
#include "notary/service/slog.h"
#include "notary/store/store.h"
#include "notary/service/submit_body.h"
#include "notary/service/tokens.h"

#define DEFAULT_MAX_BODY (16u * 1024 * 1024)
#define DEFAULT_CACHE_LEAVES (4u * 1024 * 1024)
/* Submissions of up to this many hashes get one result item per hash. */
#define ITEMS_MAX 1000
/* The writer commits at most this many hashes in one transaction. */
#define GROUP_MAX_HASHES (1u << 20)
/* Revocation requests are small. */
#define REVOKE_MAX_BODY 4096
/* Tokens are reloaded from the store this often (and on SIGHUP). */
#define TOKEN_RELOAD_S 5

/* ---- the read pool ------------------------------------------------------- */

struct pool {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct store **free_list;
    size_t nfree, n;
    struct store **all;
};

static err_code pool_open(struct pool *p, const char *db, size_t n, struct err *e)
{
    memset(p, 0, sizeof *p);
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->cond, NULL);
    p->all = calloc(n, sizeof *p->all);
    p->free_list = calloc(n, sizeof *p->free_list);
    if (!p->all || !p->free_list)
        return err_set(e, E_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        err_code rc = store_open(db, false, &p->all[i], e);
        if (rc)
            return rc;
        p->free_list[p->nfree++] = p->all[i];
        p->n++;
    }
    return E_OK;
}

static struct store *pool_get(struct pool *p)
{
    pthread_mutex_lock(&p->lock);
    while (p->nfree == 0)
        pthread_cond_wait(&p->cond, &p->lock);
    struct store *s = p->free_list[--p->nfree];
    pthread_mutex_unlock(&p->lock);
    return s;
}

static void pool_put(struct pool *p, struct store *s)
{
    pthread_mutex_lock(&p->lock);
    p->free_list[p->nfree++] = s;
    pthread_cond_signal(&p->cond);
    pthread_mutex_unlock(&p->lock);
}

static void pool_close(struct pool *p)
{
    for (size_t i = 0; i < p->n; i++)
        store_close(p->all[i]);
    free(p->all);
    free(p->free_list);
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->cond);
}

/* ---- the service ------------------------------------------------------------ */

struct job {
    enum { JOB_SUBMIT, JOB_REVOKE } kind;
    struct http_req *req;
    /* submit */
    struct hash32 *h;
    enum credential_hashing *how;
    size_t n;
    struct store_submitted *out;
    /* revoke */
    struct hash32 rhash;
    unsigned reason;
    char note[REVLOG_MAX_NOTE + 1];
    struct store_revocation rev;
    bool existed;
    /* result */
    err_code rc;
    char msg[512];
    struct job *next;
};

struct serve {
    struct serve_config cfg;
    struct pool pool;
    struct pcache cache;
    struct tokens *tokens;
    struct metrics *metrics;
    struct scheduler *sched;
    struct http_server *http;
    struct proof_ledger ledger;
    bool have_ledger;
    /* writer */
    struct store *wstore;
    pthread_t writer;
    bool writer_started;
    pthread_mutex_t wlock;
    pthread_cond_t wcond;
    struct job *head, *tail;
    bool wstop;
    struct hash32 *gh;
    enum credential_hashing *ghow;
    struct store_submitted *gout;
    size_t gcap;
};

static void job_free(void *p)
{
    struct job *j = p;
    if (!j)
        return;
    free(j->h);
    free(j->how);
    free(j->out);
    free(j);
}

/* Queue a job for the writer and suspend the request; false (and a 503
 * answer) if the writer has stopped. */
static bool writer_enqueue(struct serve *sv, struct job *j)
{
    pthread_mutex_lock(&sv->wlock);
    if (sv->wstop) {
        pthread_mutex_unlock(&sv->wlock);
        http_reply_error(j->req, 503, "shutting_down", "the notary is shutting down; retry later");
        return false;
    }
    http_defer(j->req);
    j->next = NULL;
    if (sv->tail)
        sv->tail->next = j;
    else
        sv->head = j;
    sv->tail = j;
    pthread_cond_signal(&sv->wcond);
    pthread_mutex_unlock(&sv->wlock);
    return true;
}

static err_code group_reserve(struct serve *sv, size_t n, struct err *e)
{
    if (n <= sv->gcap)
        return E_OK;
    size_t cap = sv->gcap ? sv->gcap : 1024;
    while (cap < n)
        cap *= 2;
    struct hash32 *h = realloc(sv->gh, cap * sizeof *h);
    if (h)
        sv->gh = h;
    enum credential_hashing *how = realloc(sv->ghow, cap * sizeof *how);
    if (how)
        sv->ghow = how;
    struct store_submitted *out = realloc(sv->gout, cap * sizeof *out);
    if (out)
        sv->gout = out;
    if (!h || !how || !out)
        return err_set(e, E_NOMEM, "out of memory for %zu hashes", n);
    sv->gcap = cap;
    return E_OK;
}

/* Commit the submit jobs from `from` up to (not including) `to` in one
 * transaction; each job gets the result. False if it failed. */
static bool commit_jobs(struct serve *sv, struct job *from, struct job *to)
{
    size_t total = 0;
    for (struct job *j = from; j != to; j = j->next)
        if (j->kind == JOB_SUBMIT)
            total += j->n;
    if (total == 0)
        return true;
    struct err e = {0};
    err_code rc = group_reserve(sv, total, &e);
    if (!rc) {
        size_t at = 0;
        for (struct job *j = from; j != to; j = j->next) {
            if (j->kind != JOB_SUBMIT)
                continue;
            memcpy(sv->gh + at, j->h, j->n * sizeof *j->h);
            memcpy(sv->ghow + at, j->how, j->n * sizeof *j->how);
            at += j->n;
        }
        rc = store_submit(sv->wstore, sv->gh, sv->ghow, total, sv->gout, NULL, NULL, &e);
    }
    size_t at = 0;
    for (struct job *j = from; j != to; j = j->next) {
        if (j->kind != JOB_SUBMIT)
            continue;
        j->rc = rc;
        if (rc) {
            snprintf(j->msg, sizeof j->msg, "%s", e.msg);
        } else {
            memcpy(j->out, sv->gout + at, j->n * sizeof *j->out);
            uint64_t fresh = 0;
            for (size_t i = 0; i < j->n; i++)
                fresh += !j->out[i].existed;
            metrics_submitted(sv->metrics, j->n, fresh);
        }
        at += j->n;
    }
    if (rc)
        slog("error", "submit_failed", "{s:s, s:I}", "error", e.msg, "hashes", (json_int_t)total);
    return rc == E_OK;
}

static void fail_jobs(struct job *from, struct job *to, const char *msg)
{
    for (struct job *j = from; j != to; j = j->next)
        if (j->kind == JOB_SUBMIT) {
            j->rc = E_IO;
            snprintf(j->msg, sizeof j->msg, "%s", msg);
        }
}

/* The size of the open batch now (0 if none); false if the store failed. */
static bool open_size(struct serve *sv, uint64_t *size, struct err *e)
{
    struct store_batch b;
    err_code rc = store_batch_open_get(sv->wstore, BATCH_ISSUANCE, &b, e);
    *size = rc == E_OK ? b.size : 0;
    return rc == E_OK || rc == E_NOT_FOUND;
}

/* Freeze the open batch (its root comes from the scheduler, told at once). */
static bool freeze(struct serve *sv, struct err *e)
{
    struct store_batch b;
    err_code rc = store_batch_freeze(sv->wstore, (int64_t)time(NULL), &b, e);
    if (rc == E_NOT_FOUND)
        return true;
    if (rc) {
        slog("error", "batch_close_failed", "{s:s, s:s}", "reason", "size_cap", "error", e->msg);
        return false;
    }
    metrics_open_batch(sv->metrics, 0);
    scheduler_frozen(sv->sched);
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
static void commit_group(struct serve *sv, struct job *list)
{
    uint64_t cap = sv->sched ? sv->cfg.sched.size_cap : 0;
    if (!cap) {
        if (commit_jobs(sv, list, NULL))
            scheduler_poke(sv->sched);
        return;
    }
    struct job *from = list;
    while (from && from->kind != JOB_SUBMIT)
        from = from->next;
    while (from) {
        struct err e = {0};
        uint64_t size;
        if (!open_size(sv, &size, &e) || (size >= cap && !freeze(sv, &e))) {
            fail_jobs(from, NULL, e.msg);
            return;
        }
        if (size >= cap)
            size = 0;
        uint64_t fit = 0;
        struct job *to = from;
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
            if (!freeze(sv, &e)) {
                fail_jobs(from, NULL, e.msg);
                return;
            }
            continue;
        }
        if (commit_jobs(sv, from, to)) {
            if (open_size(sv, &size, &e) && size >= cap)
                freeze(sv, &e); /* if it fails, the next round tries again */
            scheduler_poke(sv->sched);
        }
        from = to;
    }
}

static void *writer_main(void *arg)
{
    struct serve *sv = arg;
    for (;;) {
        pthread_mutex_lock(&sv->wlock);
        while (!sv->head && !sv->wstop)
            pthread_cond_wait(&sv->wcond, &sv->wlock);
        if (!sv->head) {
            pthread_mutex_unlock(&sv->wlock);
            break;
        }
        /* Take what is queued, up to GROUP_MAX_HASHES (at least one job):
         * everything that arrived while the previous commit ran is
         * committed together. */
        struct job *list = sv->head, *last = list;
        size_t hashes = list->kind == JOB_SUBMIT ? list->n : 0;
        while (last->next && hashes + (last->next->kind == JOB_SUBMIT ? last->next->n : 0) <=
                                 GROUP_MAX_HASHES) {
            last = last->next;
            hashes += last->kind == JOB_SUBMIT ? last->n : 0;
        }
        sv->head = last->next;
        if (!sv->head)
            sv->tail = NULL;
        last->next = NULL;
        pthread_mutex_unlock(&sv->wlock);

        commit_group(sv, list);
        for (struct job *j = list; j; j = j->next) {
            if (j->kind != JOB_REVOKE)
                continue;
            struct err e = {0};
            j->rc = revocation_revoke(sv->wstore, &j->rhash, j->reason, j->note,
                                      (int64_t)time(NULL), &j->rev, &j->existed, &e);
            if (j->rc)
                snprintf(j->msg, sizeof j->msg, "%s", e.msg);
        }
        /* Each request is answered only now, after its commit. */
        for (struct job *j = list, *next; j; j = next) {
            next = j->next;
            http_resume(j->req); /* j belongs to the request from here on */
        }
    }
    return NULL;
}

static void writer_stop(struct serve *sv)
{
    if (!sv->writer_started)
        return;
    pthread_mutex_lock(&sv->wlock);
    sv->wstop = true;
    pthread_cond_signal(&sv->wcond);
    pthread_mutex_unlock(&sv->wlock);
    pthread_join(sv->writer, NULL);
    sv->writer_started = false;
}

/* ---- helpers for handlers ------------------------------------------------------ */

static json_t *batch_json(const struct store_batch *b)
{
    char hex[67], t[21];
    struct err ignore;
    json_t *o = json_object();
    json_object_set_new(o, "kind", json_string(b->kind == BATCH_ISSUANCE ? "issuance"
                                                                          : "revocation"));
    json_object_set_new(o, "seq", json_integer((json_int_t)b->seq));
    json_object_set_new(o, "state", json_string(batch_state_name(b->state)));
    json_object_set_new(o, "size", json_integer((json_int_t)b->size));
    if (b->has_root) {
        hash32_to_hex(&b->root, hex);
        json_object_set_new(o, "root", json_string(hex));
    }
    if (b->opened_at && bundle_time_format(b->opened_at, t, &ignore) == E_OK)
        json_object_set_new(o, "openedAt", json_string(t));
    if (b->closed_at && bundle_time_format(b->closed_at, t, &ignore) == E_OK)
        json_object_set_new(o, "closedAt", json_string(t));
    json_object_set_new(o, "anchored", json_boolean(b->state == BATCH_ANCHORED));
    if (b->has_tx) {
        hash32_to_hex0x(&b->tx_hash, hex);
        json_object_set_new(o, "txHash", json_string(hex));
    }
    if (b->state == BATCH_ANCHORED) {
        json_object_set_new(o, "blockNumber", json_integer((json_int_t)b->block_number));
        hash32_to_hex0x(&b->block_hash, hex);
        json_object_set_new(o, "blockHash", json_string(hex));
        json_object_set_new(o, "blockTime", json_integer((json_int_t)b->block_time));
        if (b->anchored_at && bundle_time_format(b->anchored_at, t, &ignore) == E_OK)
            json_object_set_new(o, "anchoredAt", json_string(t));
    }
    if (b->last_error[0])
        json_object_set_new(o, "reason", json_string(b->last_error));
    return o;
}

static void reply_store_error(struct http_req *r, err_code rc, const struct err *e)
{
    if (rc == E_NOT_FOUND)
        http_reply_error(r, 404, "not_found", "%s", e->msg);
    else if (rc == E_NOMEM)
        http_reply_error(r, 503, "unavailable", "%s", e->msg);
    else
        http_reply_error(r, 500, "internal", "%s", e->msg);
}

/* A decimal path or query number in its one spelling: digits, no sign, no
 * leading zero ("0" itself is fine), so /v1/batches/00 is not batch 0. */
static bool parse_u64(const char *s, uint64_t *out)
{
    if (!s || !*s || strlen(s) > 19 || (s[0] == '0' && s[1]))
        return false;
    for (const char *p = s; *p; p++)
        if (*p < '0' || *p > '9')
            return false;
    *out = strtoull(s, NULL, 10);
    return true;
}

/* ---- GET /v1/health, GET /metrics ------------------------------------------------- */

static void h_health(struct http_req *r, void *app)
{
    struct serve *sv = app;
    json_t *o = json_pack("{s:s}", "status", "ok");
    struct store *s = pool_get(&sv->pool);
    struct store_batch open;
    struct err e = {0};
    err_code rc = store_batch_open_get(s, BATCH_ISSUANCE, &open, &e);
    pool_put(&sv->pool, s);
    if (rc == E_OK)
        json_object_set_new(o, "openBatch", json_pack("{s:I, s:I}", "seq", (json_int_t)open.seq,
                                                      "size", (json_int_t)open.size));
    else if (rc != E_NOT_FOUND) {
        json_decref(o);
        http_reply_error(r, 503, "store_unavailable", "%s", e.msg);
        return;
    }
    json_object_set_new(o, "tokens", json_integer((json_int_t)tokens_count(sv->tokens)));
    if (sv->sched) {
        struct scheduler_status st;
        scheduler_status(sv->sched, &st);
        char t[21] = "";
        struct err ignore;
        /* The open batch's size as the store says now (read above), not the
         * scheduler's last look: a `notary close` from another process, or
         * a scheduler busy anchoring, would leave that behind. */
        json_t *so = json_pack("{s:b, s:I, s:i}", "anchoring", st.anchoring, "openBatchSize",
                               (json_int_t)(rc == E_OK ? open.size : 0), "consecutiveFailures",
                               (int)st.failures);
        if (st.next_close && bundle_time_format(st.next_close, t, &ignore) == E_OK)
            json_object_set_new(so, "nextClose", json_string(t));
        if (st.next_retry && bundle_time_format(st.next_retry, t, &ignore) == E_OK)
            json_object_set_new(so, "nextAnchorAttempt", json_string(t));
        if (st.last_error[0])
            json_object_set_new(so, "lastError", json_string(st.last_error));
        if (store_shared(sv->wstore)) /* several instances: is this one closing batches? */
            json_object_set_new(so, "leader", json_boolean(st.leader));
        json_object_set_new(o, "scheduler", so);
    }
    http_reply_json(r, 200, o);
}

static void h_metrics(struct http_req *r, void *app)
{
    struct serve *sv = app;
    struct buf b = {0};
    struct err e = {0};
    if (metrics_render(sv->metrics, &b, &e)) {
        buf_free(&b);
        http_reply_error(r, 503, "unavailable", "%s", e.msg);
        return;
    }
    http_reply(r, 200, "text/plain; version=0.0.4; charset=utf-8", b.p, b.len);
}

/* ---- POST /v1/hashes, POST /v1/credentials -------------------------------------- */

static struct job *job_new_submit(struct http_req *r, size_t n)
{
    struct job *j = calloc(1, sizeof *j);
    if (!j)
        return NULL;
    j->kind = JOB_SUBMIT;
    j->req = r;
    j->n = n;
    j->h = malloc((n ? n : 1) * sizeof *j->h);
    j->how = malloc((n ? n : 1) * sizeof *j->how);
    j->out = malloc((n ? n : 1) * sizeof *j->out);
    if (!j->h || !j->how || !j->out) {
        job_free(j);
        return NULL;
    }
    return j;
}

static bool is_type(const char *ct, const char *want)
{
    size_t n = strlen(want);
    return ct && strncasecmp(ct, want, n) == 0 && (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

/* The answer to a finished submission (on the worker thread). */
static void submit_answer(struct http_req *r, struct job *j)
{
    if (j->rc) {
        http_reply_error(r, 503, "store_unavailable",
                         "nothing was stored (%s); submit again", j->msg);
        return;
    }
    size_t fresh = 0;
    for (size_t i = 0; i < j->n; i++)
        fresh += !j->out[i].existed;
    json_t *o = json_pack("{s:I, s:I, s:I, s:b}", "submitted", (json_int_t)j->n, "new",
                          (json_int_t)fresh, "existing", (json_int_t)(j->n - fresh), "durable",
                          1);
    if (j->n <= ITEMS_MAX) {
        json_t *items = json_array();
        for (size_t i = 0; i < j->n; i++) {
            char hex[65];
            hash32_to_hex(&j->h[i], hex);
            json_array_append_new(items,
                                  json_pack("{s:s, s:s, s:I, s:I, s:b}", "hash", hex, "hashing",
                                            credential_hashing_name(j->how[i]), "batch",
                                            (json_int_t)j->out[i].batch_seq, "leafIndex",
                                            (json_int_t)j->out[i].leaf_index, "existed",
                                            j->out[i].existed));
        }
        json_object_set_new(o, "items", items);
    } else {
        json_object_set_new(o, "itemsOmitted", json_true());
    }
    http_reply_json(r, 200, o);
}

static void h_submit_hashes(struct http_req *r, void *app)
{
    struct serve *sv = app;
    if (http_req_resumed(r)) {
        submit_answer(r, http_req_data(r));
        return;
    }
    size_t len;
    const char *body = (const char *)http_req_body(r, &len);
    if (len == 0) {
        http_reply_error(r, 400, "invalid_request", "empty body: send {\"hashes\": [...]}");
        return;
    }
    const char *ct = http_req_header(r, "Content-Type");
    enum submit_body_type type;
    if (is_type(ct, "application/json")) {
        type = SUBMIT_BODY_JSON;
    } else if (is_type(ct, "text/plain")) {
        type = SUBMIT_BODY_TEXT;
    } else {
        http_reply_error(r, 415, "unsupported_media_type",
                         "send the hashes as application/json ({\"hashes\": [...]}) or as "
                         "text/plain (one hex hash per line)");
        return;
    }
    struct submit_body sb;
    struct err e = {0};
    if (submit_body_parse(body, len, type, sv->cfg.max_body, &sb, &e)) {
        http_reply_error(r, sb.status, sb.error, "%s", e.msg);
        return;
    }
    uint64_t cap = sv->sched ? sv->cfg.sched.size_cap : 0;
    if (cap && sb.n > cap) { /* a request is stored whole, in one batch */
        submit_body_free(&sb);
        http_reply_error(r, 413, "body_too_large",
                         "%zu hashes in one request, but batches hold at most %llu (--batch-cap): "
                         "send at most %llu per request",
                         sb.n, (unsigned long long)cap, (unsigned long long)cap);
        return;
    }
    struct job *j = job_new_submit(r, sb.n);
    if (!j) {
        submit_body_free(&sb);
        http_reply_error(r, 503, "unavailable", "out of memory");
        return;
    }
    memcpy(j->h, sb.h, sb.n * sizeof *j->h);
    for (size_t i = 0; i < sb.n; i++)
        j->how[i] = CRED_HASH_GIVEN;
    submit_body_free(&sb);
    http_req_set_data(r, j, job_free);
    writer_enqueue(sv, j);
}

static void h_submit_credential(struct http_req *r, void *app)
{
    struct serve *sv = app;
    if (http_req_resumed(r)) {
        submit_answer(r, http_req_data(r));
        return;
    }
    size_t len;
    const uint8_t *body = http_req_body(r, &len);
    if (len == 0) {
        http_reply_error(r, 400, "invalid_request", "empty body: send the credential document");
        return;
    }
    struct job *j = job_new_submit(r, 1);
    if (!j) {
        http_reply_error(r, 503, "unavailable", "out of memory");
        return;
    }
    struct err e = {0};
    err_code rc = credential_hash(body, len, &j->how[0], &j->h[0], &e);
    if (rc) {
        job_free(j);
        unsigned status;
        const char *code;
        submit_body_json_refusal((const char *)body, len, rc, "invalid_credential", &status, &code,
                                 &e);
        http_reply_error(r, status, code, "%s", e.msg);
        return;
    }
    http_req_set_data(r, j, job_free);
    writer_enqueue(sv, j);
}

/* ---- GET /v1/proofs/{hash} ---------------------------------------------------- */

static void h_proof(struct http_req *r, void *app)
{
    struct serve *sv = app;
    struct hash32 h, leaf;
    struct err e = {0};
    if (hash32_from_hex(http_req_param(r, "hash"), &h, &e)) {
        http_reply_error(r, 400, "invalid_hash", "%s", e.msg);
        return;
    }
    merkle_leaf_hash(&h, &leaf);
    struct pcache_found f;
    bool hit = pcache_lookup(&sv->cache, &leaf, &f);
    if (!hit) {
        struct store *s = pool_get(&sv->pool);
        struct store_credential c;
        struct store_batch b;
        err_code rc = store_credential_get(s, &h, &c, &e);
        if (!rc)
            rc = store_batch_get(s, BATCH_ISSUANCE, c.batch_seq, &b, &e);
        if (!rc && b.state != BATCH_OPEN && b.has_root)
            rc = pcache_load(&sv->cache, s, &b, &e);
        pool_put(&sv->pool, s);
        if (rc) {
            if (rc == E_NOT_FOUND)
                http_reply_error(r, 404, "not_found", "%s", e.msg);
            else
                reply_store_error(r, rc, &e);
            return;
        }
        if (b.state == BATCH_OPEN || !b.has_root) {
            char hex[65];
            hash32_to_hex(&h, hex);
            http_add_header(r, "Retry-After", "60");
            http_reply_json(r, 202,
                            json_pack("{s:s, s:s, s:I, s:I, s:s}", "status", "pending", "hash",
                                      hex, "batch", (json_int_t)c.batch_seq, "leafIndex",
                                      (json_int_t)c.leaf_index, "message",
                                      b.state == BATCH_OPEN
                                          ? "submitted; waiting for its batch to close"
                                          : "its batch is closing; the proof is ready shortly"));
            return;
        }
        if (!pcache_lookup(&sv->cache, &leaf, &f)) {
            http_reply_error(r, 500, "internal", "batch %llu is loaded but lacks the credential",
                             (unsigned long long)b.seq);
            return;
        }
    }
    if (f.rec.state != BATCH_ANCHORED) { /* it may have been anchored since it was cached */
        struct store *s = pool_get(&sv->pool);
        struct store_batch b;
        err_code rc = store_batch_get(s, BATCH_ISSUANCE, f.rec.seq, &b, &e);
        pool_put(&sv->pool, s);
        if (rc) {
            reply_store_error(r, rc, &e);
            return;
        }
        if (b.state != f.rec.state) {
            f.rec = b;
            pcache_update_rec(&sv->cache, &b);
        }
    }
    struct bundle bun;
    memset(&bun, 0, sizeof bun);
    bun.credential.hash = h;
    bun.credential.hashing = (enum credential_hashing)f.how;
    bun.batch.kind = BUNDLE_KIND_ISSUANCE;
    bun.batch.seq = f.rec.seq;
    bun.batch.size = f.rec.size;
    bun.batch.root = f.rec.root;
    bun.batch.closed_at = f.rec.closed_at;
    bun.inclusion.leaf_index = f.index;
    bun.inclusion.path_len = f.path_len;
    memcpy(bun.inclusion.path, f.path, f.path_len * sizeof f.path[0]);
    bun.anchored = f.rec.state == BATCH_ANCHORED;
    if (bun.anchored) {
        if (!sv->have_ledger) {
            http_reply_error(r, 500, "internal", "the ledger settings are missing from the store");
            return;
        }
        bun.anchor = (struct bundle_anchor){.ledger = sv->ledger.ledger,
                                            .chain_id = sv->ledger.chain_id,
                                            .contract = sv->ledger.contract,
                                            .issuer = sv->ledger.issuer,
                                            .tx_hash = f.rec.tx_hash,
                                            .block_number = f.rec.block_number,
                                            .block_hash = f.rec.block_hash,
                                            .block_time = (uint64_t)f.rec.block_time};
    }
    struct buf out = {0};
    if (bundle_write(&bun, &out, &e)) {
        buf_free(&out);
        http_reply_error(r, 500, "internal", "%s", e.msg);
        return;
    }
    char seq[24];
    snprintf(seq, sizeof seq, "%llu", (unsigned long long)f.rec.seq);
    http_add_header(r, "Notary-Anchored", bun.anchored ? "true" : "false");
    http_add_header(r, "Notary-Batch", seq);
    http_reply(r, 200, "application/json", out.p, out.len);
}

/* ---- GET /v1/batches, /v1/batches/{seq}, /v1/checkpoints ----------------------- */

static void list_batches(struct http_req *r, struct serve *sv, enum batch_kind kind)
{
    uint64_t from = 0, limit = 100;
    const char *qf = http_req_query(r, "from"), *ql = http_req_query(r, "limit");
    if ((qf && !parse_u64(qf, &from)) || (ql && (!parse_u64(ql, &limit) || limit == 0 ||
                                                 limit > 1000))) {
        http_reply_error(r, 400, "invalid_request",
                         "from must be a batch number and limit 1..1000 (decimal digits "
                         "without leading zeros)");
        return;
    }
    struct store *s = pool_get(&sv->pool);
    struct store_batch *list;
    size_t n;
    struct err e = {0};
    err_code rc = store_batch_list(s, kind, &list, &n, &e);
    pool_put(&sv->pool, s);
    if (rc) {
        reply_store_error(r, rc, &e);
        return;
    }
    json_t *arr = json_array();
    uint64_t shown = 0;
    bool more = false;
    for (size_t i = 0; i < n; i++) {
        if (list[i].seq < from)
            continue;
        if (shown == limit) {
            more = true;
            break;
        }
        json_array_append_new(arr, batch_json(&list[i]));
        shown++;
    }
    free(list);
    json_t *o = json_pack("{s:o}", kind == BATCH_ISSUANCE ? "batches" : "checkpoints", arr);
    if (more)
        json_object_set_new(o, "next", json_integer((json_int_t)(from + shown)));
    http_reply_json(r, 200, o);
}

static void h_batches(struct http_req *r, void *app) { list_batches(r, app, BATCH_ISSUANCE); }

static void h_checkpoints(struct http_req *r, void *app)
{
    list_batches(r, app, BATCH_REVOCATION);
}

static void h_batch(struct http_req *r, void *app)
{
    struct serve *sv = app;
    uint64_t seq;
    if (!parse_u64(http_req_param(r, "seq"), &seq)) {
        http_reply_error(r, 400, "invalid_request", "the batch number must be decimal digits without leading zeros");
        return;
    }
    struct store *s = pool_get(&sv->pool);
    struct store_batch b;
    struct err e = {0};
    err_code rc = store_batch_get(s, BATCH_ISSUANCE, seq, &b, &e);
    pool_put(&sv->pool, s);
    if (rc) {
        reply_store_error(r, rc, &e);
        return;
    }
    http_reply_json(r, 200, batch_json(&b));
}

/* ---- revocations ------------------------------------------------------------------- */

static void h_revocations(struct http_req *r, void *app)
{
    struct serve *sv = app;
    struct store *s = pool_get(&sv->pool);
    struct buf out = {0};
    struct err e = {0};
    err_code rc = revocation_export(s, (int64_t)time(NULL), &out, NULL, NULL, &e);
    pool_put(&sv->pool, s);
    if (rc) {
        buf_free(&out);
        reply_store_error(r, rc, &e);
        return;
    }
    http_reply(r, 200, "application/json", out.p, out.len);
}

static void h_revoke(struct http_req *r, void *app)
{
    struct serve *sv = app;
    struct job *j = http_req_data(r);
    if (http_req_resumed(r)) {
        if (j->rc) {
            if (j->rc == E_NOT_FOUND)
                http_reply_error(r, 404, "not_found", "%s", j->msg);
            else if (j->rc == E_INVALID)
                http_reply_error(r, 400, "invalid_request", "%s", j->msg);
            else
                http_reply_error(r, 503, "store_unavailable", "nothing was stored (%s)", j->msg);
            return;
        }
        char hex[65], t[21] = "";
        struct err ignore;
        hash32_to_hex(&j->rev.hash, hex);
        if (bundle_time_format(j->rev.revoked_at, t, &ignore) != E_OK)
            t[0] = '\0';
        http_reply_json(r, j->existed ? 200 : 201,
                        json_pack("{s:s, s:I, s:s, s:s, s:s, s:b}", "hash", hex, "index",
                                  (json_int_t)j->rev.index, "reason",
                                  revlog_reason_name(j->rev.reason), "note", j->rev.note,
                                  "revokedAt", t, "existed", j->existed));
        return;
    }
    size_t len;
    const char *body = (const char *)http_req_body(r, &len);
    json_t *root;
    struct err e = {0};
    err_code rc = jstrict_parse(body ? body : "", len, REVOKE_MAX_BODY, 0, &root, &e);
    if (rc) {
        unsigned status;
        const char *code;
        submit_body_json_refusal(body, len, rc, "invalid_json", &status, &code, &e);
        http_reply_error(r, status, code, "%s", e.msg);
        return;
    }
    const char *key;
    json_t *v, *jh = NULL, *jr = NULL, *jn = NULL;
    bool ok = json_is_object(root);
    json_object_foreach(root, key, v) {
        if (!strcmp(key, "hash"))
            jh = v;
        else if (!strcmp(key, "reason"))
            jr = v;
        else if (!strcmp(key, "note"))
            jn = v;
        else
            ok = false;
    }
    if (!ok || !json_is_string(jh) || (jr && !json_is_string(jr) && !json_is_integer(jr)) ||
        (jn && !json_is_string(jn))) {
        json_decref(root);
        http_reply_error(r, 400, "invalid_request",
                         "the body must be {\"hash\": \"<hex>\", \"reason\": \"<name or code>\", "
                         "\"note\": \"<text>\"} (reason and note optional)");
        return;
    }
    j = calloc(1, sizeof *j);
    if (!j) {
        json_decref(root);
        http_reply_error(r, 503, "unavailable", "out of memory");
        return;
    }
    j->kind = JOB_REVOKE;
    j->req = r;
    enum revlog_reason reason = REVLOG_UNSPECIFIED;
    if (hash32_from_hex(json_string_value(jh), &j->rhash, &e)) {
        json_decref(root);
        free(j);
        http_reply_error(r, 400, "invalid_hash", "hash: %s", e.msg);
        return;
    }
    if (jr) {
        char code[24];
        const char *rs = json_is_string(jr) ? json_string_value(jr) : code;
        if (json_is_integer(jr))
            snprintf(code, sizeof code, "%lld", (long long)json_integer_value(jr));
        if (revlog_reason_parse(rs, &reason, &e)) {
            json_decref(root);
            free(j);
            http_reply_error(r, 400, "invalid_request", "reason: %s", e.msg);
            return;
        }
    }
    j->reason = reason;
    if (jn) {
        if (strlen(json_string_value(jn)) > REVLOG_MAX_NOTE) {
            json_decref(root);
            free(j);
            http_reply_error(r, 400, "invalid_request", "note: at most %u bytes",
                             REVLOG_MAX_NOTE);
            return;
        }
        snprintf(j->note, sizeof j->note, "%s", json_string_value(jn));
    }
    json_decref(root);
    slog("info", "revoke_requested", "{s:s, s:s}", "client", http_req_client(r), "address",
         http_req_address(r));
    http_req_set_data(r, j, job_free);
    writer_enqueue(sv, j);
}

/* ---- the route table ---------------------------------------------------------------- */

#define MB(x) ((size_t)(x) * 1024 * 1024)

static struct http_route ROUTES[] = {
    {"POST", "/v1/hashes", h_submit_hashes, true, DEFAULT_MAX_BODY,
     "submit one or many credential hashes (issuer token)"},
    {"POST", "/v1/credentials", h_submit_credential, true, CREDENTIAL_MAX_BYTES,
     "submit a credential document, hashed as the CLI does (issuer token)"},
    {"POST", "/v1/revocations", h_revoke, true, REVOKE_MAX_BODY,
     "revoke a credential (issuer token)"},
    {"GET", "/v1/proofs/{hash}", h_proof, false, 0, "the proof bundle of a credential hash"},
    {"GET", "/v1/batches", h_batches, false, 0, "issuance batches"},
    {"GET", "/v1/batches/{seq}", h_batch, false, 0, "one issuance batch"},
    {"GET", "/v1/revocations", h_revocations, false, 0,
     "the revocation log with anchored checkpoints and consistency proofs"},
    {"GET", "/v1/checkpoints", h_checkpoints, false, 0, "revocation log checkpoints"},
    {"GET", "/v1/health", h_health, false, 0, "liveness and scheduler state"},
    {"GET", "/metrics", h_metrics, false, 0, "Prometheus metrics"},
};
#define NROUTES (sizeof ROUTES / sizeof ROUTES[0])

void serve_print_routes(FILE *f, bool verbose)
{
    for (size_t i = 0; i < NROUTES; i++) {
        if (verbose)
            fprintf(f, "%-5s %-22s %-6s %s\n", ROUTES[i].method, ROUTES[i].path,
                    ROUTES[i].auth ? "token" : "public", ROUTES[i].summary);
        else
            fprintf(f, "%s %s\n", ROUTES[i].method, ROUTES[i].path);
    }
}

/* ---- lifecycle ------------------------------------------------------------------------ */

static bool auth_cb(void *app, const char *token, size_t len, char *name)
{
    struct serve *sv = app;
    return tokens_check(sv->tokens, token, len, name);
}

static void serve_free(struct serve *sv)
{
    writer_stop(sv);
    http_stop(sv->http);
    scheduler_stop(sv->sched);
    pool_close(&sv->pool);
    pcache_free(&sv->cache);
    tokens_free(sv->tokens);
    store_close(sv->wstore);
    metrics_free(sv->metrics);
    pthread_mutex_destroy(&sv->wlock);
    pthread_cond_destroy(&sv->wcond);
    free(sv->gh);
    free(sv->ghow);
    free(sv->gout);
    free(sv);
}

static const char *g_route_names[NROUTES];

err_code serve_run(const struct serve_config *cfg, struct err *e)
{
    /* Signals are taken by sigwait() below: block them before any thread
     * starts, so every thread inherits the mask. */
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
    sv->cfg = *cfg;
    if (!sv->cfg.max_body)
        sv->cfg.max_body = DEFAULT_MAX_BODY;
    pthread_mutex_init(&sv->wlock, NULL);
    pthread_cond_init(&sv->wcond, NULL);
    pcache_init(&sv->cache, cfg->cache_leaves ? cfg->cache_leaves : DEFAULT_CACHE_LEAVES);
    for (size_t i = 0; i < NROUTES; i++) {
        /* Body limits of the submission routes follow --max-body. */
        if (ROUTES[i].fn == h_submit_hashes || ROUTES[i].fn == h_submit_credential)
            ROUTES[i].max_body = sv->cfg.max_body;
        static char names[NROUTES][64];
        snprintf(names[i], sizeof names[i], "%s %s", ROUTES[i].method, ROUTES[i].path);
        g_route_names[i] = names[i];
    }
    unsigned threads = cfg->threads ? cfg->threads : 4;
    err_code rc;
    if ((rc = store_open(cfg->db_path, false, &sv->wstore, e)) ||
        (rc = batch_finish_pending(sv->wstore, e)) ||
        /* every stored hash in memory: a new hash is known new without a disk lookup */
        (rc = store_index_all(sv->wstore, e)) || (rc = tokens_load(sv->wstore, &sv->tokens, e)) ||
        (rc = pool_open(&sv->pool, cfg->db_path, threads + 2, e))) {
        serve_free(sv);
        return rc;
    }
    struct err le = {0};
    sv->have_ledger = proof_ledger_load(sv->wstore, &sv->ledger, &le) == E_OK;
    if (!sv->have_ledger)
        slog("warn", "ledger_settings_missing", "{s:s}", "error", le.msg);
    if (!(sv->metrics = metrics_new(g_route_names, NROUTES))) {
        serve_free(sv);
        return err_set(e, E_NOMEM, "out of memory");
    }
    if (pthread_create(&sv->writer, NULL, writer_main, sv) != 0) {
        serve_free(sv);
        return err_set(e, E_NOMEM, "cannot start the writer thread");
    }
    sv->writer_started = true;
    if (!cfg->no_scheduler) {
        struct scheduler_config sc = cfg->sched;
        sc.db_path = cfg->db_path;
        sc.metrics = sv->metrics;
        if ((rc = scheduler_start(&sc, &sv->sched, e))) {
            serve_free(sv);
            return rc;
        }
    }
    struct http_config hc = {.listen = cfg->listen,
                             .routes = ROUTES,
                             .nroutes = NROUTES,
                             .threads = threads,
                             .timeout_s = cfg->timeout_s,
                             .max_connections = cfg->max_connections,
                             .per_ip_connections = cfg->per_ip_connections,
                             .head_timeout_s = cfg->head_timeout_s,
                             .app = sv,
                             .auth = auth_cb,
                             .metrics = sv->metrics,
                             .access_log = cfg->access_log};
    if ((rc = http_start(&hc, &sv->http, e))) {
        serve_free(sv);
        return rc;
    }
    if (cfg->port_file) {
        char port[16];
        int n = snprintf(port, sizeof port, "%u\n", (unsigned)http_port(sv->http));
        if ((rc = file_write_atomic(cfg->port_file, port, (size_t)n, 0644, e))) {
            serve_free(sv);
            return rc;
        }
    }
    slog("info", "listening", "{s:s, s:i, s:i, s:I, s:b, s:b}", "listen", cfg->listen, "port",
         (int)http_port(sv->http), "threads", (int)threads, "tokens",
         (json_int_t)tokens_count(sv->tokens), "scheduler", !cfg->no_scheduler, "anchoring",
         !cfg->no_scheduler && cfg->sched.signer != NULL);
    if (tokens_count(sv->tokens) == 0)
        slog("warn", "no_tokens", "{s:s}", "message",
             "no issuer token exists: submissions are refused until `notary token add NAME`");

    int sig = 0;
    for (;;) {
        struct timespec ts = {.tv_sec = TOKEN_RELOAD_S};
        sig = sigtimedwait(&sigs, NULL, &ts);
        if (sig == SIGTERM || sig == SIGINT)
            break;
        struct err te = {0};
        /* A pooled connection: the writer's may be inside a transaction. */
        struct store *rs = pool_get(&sv->pool);
        err_code trc = tokens_reload(sv->tokens, rs, &te);
        pool_put(&sv->pool, rs);
        if (trc != E_OK)
            slog("warn", "tokens_reload_failed", "{s:s}", "error", te.msg);
        else if (sig == SIGHUP)
            slog("info", "tokens_reloaded", "{s:I}", "tokens",
                 (json_int_t)tokens_count(sv->tokens));
    }
    slog("info", "stopping", "{s:s, s:i}", "signal", sig == SIGINT ? "SIGINT" : "SIGTERM",
         "in_flight", (int)http_in_flight(sv->http));
    http_quiesce(sv->http);
    unsigned drain = cfg->drain_timeout_s ? cfg->drain_timeout_s : 30;
    if (!http_drain(sv->http, drain * 1000))
        slog("warn", "drain_timeout", "{s:i, s:i}", "in_flight", (int)http_in_flight(sv->http),
             "seconds", (int)drain);
    /* Whatever was queued is committed and answered before the server stops. */
    writer_stop(sv);
    http_drain(sv->http, 2000);
    serve_free(sv);
    slog("info", "stopped", NULL);
    pthread_sigmask(SIG_UNBLOCK, &sigs, NULL);
    return E_OK;
}
