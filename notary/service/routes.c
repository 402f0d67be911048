/*
 * notary/service/routes.c — the HTTP handlers of `notary serve` (the routes
 * of docs/openapi.yaml, listed in serve.h) and their table; serve.c runs
 * them (serve_impl.h).
 *
 * Handlers run on libmicrohttpd's workers and never block on a disk write:
 * reads borrow a connection from the read pool (or find the proof in the
 * proof cache), submissions and revocations go to the writer
 * (notary/service/writer.h) and are answered when it resumes them.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/bundle.h"
#include "core/credential.h"
#include "core/embed.h"
#include "core/json.h"
#include "core/merkle.h"
#include "notary/issuance/batch_json.h"
#include "notary/issuance/proof.h"
#include "notary/issuance/revocation.h"
#include "notary/service/serve_impl.h"
#include "notary/service/slog.h"
#include "notary/service/submit_body.h"
#include "notary/service/webpage.h"

/* Submissions of up to this many hashes get one result item per hash. */
#define ITEMS_MAX 1000
/* Revocation requests are small. */
#define REVOKE_MAX_BODY 4096

/* ---- helpers for handlers ------------------------------------------------------ */

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
    struct store *s = readpool_get(&sv->pool);
    struct store_batch open;
    struct err e = {0};
    err_code rc = store_batch_open_get(s, BATCH_ISSUANCE, &open, &e);
    readpool_put(&sv->pool, s);
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

static bool is_type(const char *ct, const char *want)
{
    size_t n = strlen(want);
    return ct && strncasecmp(ct, want, n) == 0 && (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

/* The answer to a finished submission (on the worker thread). */
static void submit_answer(struct http_req *r, struct writer_job *j)
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

/* The start of both submission handlers: a resumed request is answered
 * from its job, an empty body refused ("empty body: " what_to_send).
 * True with the body when the handler goes on; false once answered. */
static bool submit_start(struct http_req *r, const char *what_to_send, const uint8_t **body,
                         size_t *len)
{
    if (http_req_resumed(r)) {
        submit_answer(r, http_req_data(r));
        return false;
    }
    *body = http_req_body(r, len);
    if (*len == 0) {
        http_reply_error(r, 400, "invalid_request", "empty body: %s", what_to_send);
        return false;
    }
    return true;
}

static void h_submit_hashes(struct http_req *r, void *app)
{
    size_t len;
    const uint8_t *body;
    if (!submit_start(r, "send {\"hashes\": [...]}", &body, &len))
        return;
    struct serve *sv = app;
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
    if (submit_body_parse((const char *)body, len, type, sv->cfg.max_body, &sb, &e)) {
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
    struct writer_job *j = writer_job_submit(r, sb.n);
    if (!j) {
        submit_body_free(&sb);
        http_reply_error(r, 503, "unavailable", "out of memory");
        return;
    }
    memcpy(j->h, sb.h, sb.n * sizeof *j->h);
    for (size_t i = 0; i < sb.n; i++)
        j->how[i] = CRED_HASH_GIVEN;
    submit_body_free(&sb);
    writer_enqueue(sv->writer, j);
}

static void h_submit_credential(struct http_req *r, void *app)
{
    struct serve *sv = app;
    size_t len;
    const uint8_t *body;
    if (!submit_start(r, "send the credential document", &body, &len))
        return;
    struct writer_job *j = writer_job_submit(r, 1);
    if (!j) {
        http_reply_error(r, 503, "unavailable", "out of memory");
        return;
    }
    struct err e = {0};
    bool embedded;
    err_code rc = embed_notarize_hash(body, len, &j->how[0], &j->h[0], &embedded, &e);
    if (rc) {
        writer_job_free(j);
        unsigned status;
        const char *code;
        submit_body_json_refusal((const char *)body, len, rc,
                                 embedded ? "embedded_proof" : "invalid_credential", &status,
                                 &code, &e);
        http_reply_error(r, status, code, "%s", e.msg);
        return;
    }
    writer_enqueue(sv->writer, j);
}

/* ---- GET /v1/proofs/{hash} ---------------------------------------------------- */

/* The bundle of a cached proof `f` for credential `h` (the anchor from the
 * serve's ledger settings); false, with the reply sent, if it cannot be. */
static bool bundle_from_cache(struct http_req *r, struct serve *sv, const struct hash32 *h,
                              const struct pcache_found *f, struct bundle *bun)
{
    memset(bun, 0, sizeof *bun);
    bun->credential.hash = *h;
    bun->credential.hashing = (enum credential_hashing)f->how;
    bun->batch.kind = BUNDLE_KIND_ISSUANCE;
    bun->batch.seq = f->rec.seq;
    bun->batch.size = f->rec.size;
    bun->batch.root = f->rec.root;
    bun->batch.closed_at = f->rec.closed_at;
    bun->inclusion.leaf_index = f->index;
    bun->inclusion.path_len = f->path_len;
    memcpy(bun->inclusion.path, f->path, f->path_len * sizeof f->path[0]);
    bun->anchored = f->rec.state == BATCH_ANCHORED;
    if (!bun->anchored)
        return true;
    if (!sv->have_ledger) {
        http_reply_error(r, 500, "internal", "the ledger settings are missing from the store");
        return false;
    }
    bun->anchor = (struct bundle_anchor){.ledger = sv->ledger.ledger,
                                         .chain_id = sv->ledger.chain_id,
                                         .contract = sv->ledger.contract,
                                         .issuer = sv->ledger.issuer,
                                         .tx_hash = f->rec.tx_hash,
                                         .block_number = f->rec.block_number,
                                         .block_hash = f->rec.block_hash,
                                         .block_time = (uint64_t)f->rec.block_time};
    return true;
}

/* A cache miss. A batch is loaded into the cache (its whole tree) only once
 * the proofs asked of it would have cost as much (pcache_should_load); until
 * then each is answered as `notary proof` answers it, from the batch's
 * stored subtree roots and one subtree (proof_for_credential,
 * notary/issuance/levels.h). True with *bun set, or true with *cached set
 * when the batch is now cached (look again); false when the reply is sent. */
static bool proof_miss(struct http_req *r, struct serve *sv, const struct hash32 *h,
                       struct bundle *bun, bool *cached)
{
    struct err e = {0};
    struct store *s = readpool_get(&sv->pool);
    struct store_credential c;
    struct store_batch b;
    *cached = false;
    err_code rc = store_credential_get(s, h, &c, &e);
    if (!rc)
        rc = store_batch_get(s, BATCH_ISSUANCE, c.batch_seq, &b, &e);
    bool ready = !rc && b.state != BATCH_OPEN && b.has_root;
    if (ready && pcache_should_load(&sv->cache, &b)) {
        rc = pcache_load(&sv->cache, s, &b, &e);
        *cached = true;
    } else if (ready) {
        rc = proof_for_credential(s, h, bun, &e);
    }
    readpool_put(&sv->pool, s);
    if (rc) {
        if (rc == E_NOT_FOUND)
            http_reply_error(r, 404, "not_found", "%s", e.msg);
        else
            reply_store_error(r, rc, &e);
        return false;
    }
    if (!ready) {
        char hex[65];
        hash32_to_hex(h, hex);
        http_add_header(r, "Retry-After", "60");
        http_reply_json(r, 202,
                        json_pack("{s:s, s:s, s:I, s:I, s:s}", "status", "pending", "hash", hex,
                                  "batch", (json_int_t)c.batch_seq, "leafIndex",
                                  (json_int_t)c.leaf_index, "message",
                                  b.state == BATCH_OPEN
                                      ? "submitted; waiting for its batch to close"
                                      : "its batch is closing; the proof is ready shortly"));
        return false;
    }
    return true;
}

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
    struct bundle bun;
    bool hit = pcache_lookup(&sv->cache, &leaf, &f), cached = false;
    if (!hit) {
        if (!proof_miss(r, sv, &h, &bun, &cached))
            return;
        if (cached && !(hit = pcache_lookup(&sv->cache, &leaf, &f))) {
            http_reply_error(r, 500, "internal", "the batch of %s is loaded but lacks it",
                             http_req_param(r, "hash"));
            return;
        }
    }
    if (hit && f.rec.state != BATCH_ANCHORED) { /* it may have been anchored since it was cached */
        struct store *s = readpool_get(&sv->pool);
        struct store_batch b;
        err_code rc = store_batch_get(s, BATCH_ISSUANCE, f.rec.seq, &b, &e);
        readpool_put(&sv->pool, s);
        if (rc) {
            reply_store_error(r, rc, &e);
            return;
        }
        if (b.state != f.rec.state) {
            f.rec = b;
            pcache_update_rec(&sv->cache, &b);
        }
    }
    if (hit && !bundle_from_cache(r, sv, &h, &f, &bun))
        return;
    struct buf out = {0};
    if (bundle_write(&bun, &out, &e)) {
        buf_free(&out);
        http_reply_error(r, 500, "internal", "%s", e.msg);
        return;
    }
    char seq[24];
    snprintf(seq, sizeof seq, "%llu", (unsigned long long)bun.batch.seq);
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
    struct store *s = readpool_get(&sv->pool);
    struct store_batch *list;
    size_t n;
    struct err e = {0};
    err_code rc = store_batch_list(s, kind, &list, &n, &e);
    readpool_put(&sv->pool, s);
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
        json_array_append_new(arr, batch_info_json(&list[i], BATCH_JSON_API));
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
    struct store *s = readpool_get(&sv->pool);
    struct store_batch b;
    struct err e = {0};
    err_code rc = store_batch_get(s, BATCH_ISSUANCE, seq, &b, &e);
    readpool_put(&sv->pool, s);
    if (rc) {
        reply_store_error(r, rc, &e);
        return;
    }
    http_reply_json(r, 200, batch_info_json(&b, BATCH_JSON_API));
}

/* ---- revocations ------------------------------------------------------------------- */

static void h_revocations(struct http_req *r, void *app)
{
    struct serve *sv = app;
    struct store *s = readpool_get(&sv->pool);
    struct buf out = {0};
    struct err e = {0};
    err_code rc = revocation_export(s, (int64_t)time(NULL), &out, NULL, NULL, &e);
    readpool_put(&sv->pool, s);
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
    struct writer_job *j = http_req_data(r);
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
    j = writer_job_revoke(r);
    if (!j) {
        json_decref(root);
        http_reply_error(r, 503, "unavailable", "out of memory");
        return;
    }
    enum revlog_reason reason = REVLOG_UNSPECIFIED;
    if (hash32_from_hex(json_string_value(jh), &j->rhash, &e)) {
        json_decref(root);
        writer_job_free(j);
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
            writer_job_free(j);
            http_reply_error(r, 400, "invalid_request", "reason: %s", e.msg);
            return;
        }
    }
    j->reason = reason;
    if (jn) {
        if (strlen(json_string_value(jn)) > REVLOG_MAX_NOTE) {
            json_decref(root);
            writer_job_free(j);
            http_reply_error(r, 400, "invalid_request", "note: at most %u bytes",
                             REVLOG_MAX_NOTE);
            return;
        }
        snprintf(j->note, sizeof j->note, "%s", json_string_value(jn));
    }
    json_decref(root);
    slog("info", "revoke_requested", "{s:s, s:s}", "client", http_req_client(r), "address",
         http_req_address(r));
    writer_enqueue(sv->writer, j);
}

/* ---- the route table ---------------------------------------------------------------- */

static struct http_route ROUTES[] = {
    {"POST", "/v1/hashes", h_submit_hashes, true, SERVE_DEFAULT_MAX_BODY,
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
    {"GET", "/verify", webpage_h_redirect, false, 0, "308 to /verify/ (the browser verifier)"},
    {"GET", "/verify/", webpage_h_index, false, 0, "the browser verifier page (web/, embedded)"},
    {"GET", "/verify/{file}", webpage_h_file, false, 0, "one file of the browser verifier page"},
};
#define NROUTES (sizeof ROUTES / sizeof ROUTES[0])

const struct http_route *serve_routes(size_t max_body, const char *const **names, size_t *n)
{
    static char buf[NROUTES][64];
    static const char *name[NROUTES];
    for (size_t i = 0; i < NROUTES; i++) {
        /* Body limits of the submission routes follow --max-body. */
        if (ROUTES[i].fn == h_submit_hashes || ROUTES[i].fn == h_submit_credential)
            ROUTES[i].max_body = max_body;
        snprintf(buf[i], sizeof buf[i], "%s %s", ROUTES[i].method, ROUTES[i].path);
        name[i] = buf[i];
    }
    *names = name;
    *n = NROUTES;
    return ROUTES;
}

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
