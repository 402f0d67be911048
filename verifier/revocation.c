/*
 * verifier/revocation.c — revocation status and log-copy analysis; see
 * revocation.h and docs/revocation-format.md.
 *
 * Three layers: reading the ledger (rev_ledger_*: the registry's Anchored
 * events and views over JSON-RPC), judging a log copy against anchored
 * checkpoints (revocation_analyse: pure computation, shared with the
 * auditor), and the "revocation" check of `verifier verify`.
 */
#define _GNU_SOURCE
#include "verifier/revocation.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "anchor/ebsi.h"
#include "anchor/eth.h"
#include "anchor/net.h"
#include "core/fileio.h"
#include "core/merkle.h"

/* ---- ledger reading ----------------------------------------------------------- */

err_code rev_ledger_open(struct rev_ledger *l, enum bundle_ledger ledger,
                         const struct rpc_options *ro, const struct addr20 *contract,
                         const struct addr20 *issuer, uint64_t confirmations, uint64_t window,
                         struct err *e)
{
    memset(l, 0, sizeof *l);
    l->ledger = ledger;
    l->contract = *contract;
    l->issuer = *issuer;
    l->window = window ? window : REV_DEFAULT_WINDOW;
    uint64_t latest;
    err_code rc = rpc_client_new(ro, &l->rpc, e);
    if (!rc && !(rc = rpc_chain_id(l->rpc, &l->chain_id, e)))
        rc = rpc_block_number(l->rpc, &latest, e);
    if (rc) {
        rev_ledger_close(l);
        return rc;
    }
    if (confirmations < 1)
        confirmations = 1;
    l->head = latest + 1 >= confirmations ? latest + 1 - confirmations : 0;
    return E_OK;
}

void rev_ledger_close(struct rev_ledger *l)
{
    rpc_client_free(l->rpc);
    l->rpc = NULL;
}

err_code rev_ledger_count(struct rev_ledger *l, enum registry_kind kind, uint64_t *n,
                          struct err *e)
{
    char q[RPC_QTY_BUF];
    *n = 0;
    if (l->ledger == BUNDLE_LEDGER_EVM)
        return registry_next_seq(l->rpc, &l->contract, &l->issuer, kind,
                                 rpc_format_quantity(l->head, q), n, e);
    /* ebsi: no counter on the contract; the events are the history. */
    struct rev_anchor *v;
    size_t nv;
    err_code rc = rev_ledger_history(l, kind, &v, &nv, e);
    for (size_t i = 0; !rc && i < nv; i++)
        if (v[i].ev.seq + 1 > *n)
            *n = v[i].ev.seq + 1;
    free(v);
    return rc;
}

/* Decode one log of the contract as a record of the issuer. *mine false:
 * not one of ours (ebsi: the issuer's key timestamped something else). */
static err_code parse_record(const struct rev_ledger *l, const struct rpc_log *log,
                             struct registry_event *ev, bool *mine, struct err *e)
{
    *mine = false;
    if (l->ledger == BUNDLE_LEDGER_EVM) {
        if (registry_parse_event(log, ev, e))
            return err_set(e, E_PROTOCOL, "block %" PRIu64 ": a log of the registry is not a "
                                          "well-formed Anchored event",
                           log->block_number);
        *mine = addr20_eq(&ev->issuer, &l->issuer); /* the filter should ensure it */
        return E_OK;
    }
    struct ebsi_event x;
    if (ebsi_parse_event(log, &x, NULL) != E_OK || !addr20_eq(&x.from, &l->issuer))
        return E_OK;
    /* The contract writes block.number into the event: a log that states
     * another block is not the Timestamp contract's. */
    if (x.block_number != log->block_number)
        return err_set(e, E_PROTOCOL, "block %" PRIu64 ": a HashTimestamped event of the "
                                      "contract states block %" PRIu64 ": not EBSI's Timestamp "
                                      "contract",
                       log->block_number, x.block_number);
    memset(ev, 0, sizeof *ev);
    ev->contract = log->address;
    ev->issuer = x.from;
    ev->root = x.root;
    ev->size = x.data.size;
    ev->seq = x.data.seq;
    ev->kind = x.data.kind == EBSI_KIND_REVOCATION ? REGISTRY_KIND_CHECKPOINT : REGISTRY_KIND_BATCH;
    ev->block_number = log->block_number;
    ev->block_hash = log->block_hash;
    ev->tx_hash = log->tx_hash;
    ev->log_index = log->log_index;
    *mine = true;
    return E_OK;
}

/* Records of the issuer in [from, to] (one eth_getLogs), appended. */
static err_code anchors_window(struct rev_ledger *l, uint64_t from, uint64_t to,
                               struct rev_anchor **out, size_t *n, size_t *cap, struct err *e)
{
    struct hash32 topic, who = {{0}};
    if (l->ledger == BUNDLE_LEDGER_EVM)
        registry_anchored_topic(&topic);
    else
        ebsi_event_topic(&topic);
    memcpy(who.b + 12, l->issuer.b, 20); /* an indexed address is a left-padded word */
    char qf[RPC_QTY_BUF], qt[RPC_QTY_BUF];
    struct rpc_log_filter flt = {.address = &l->contract,
                                 .topics = {&topic, &who},
                                 .ntopics = 2,
                                 .from_block = rpc_format_quantity(from, qf),
                                 .to_block = rpc_format_quantity(to, qt)};
    struct rpc_log *logs;
    size_t nl;
    err_code rc = rpc_get_logs(l->rpc, &flt, &logs, &nl, e);
    if (rc == E_LIMIT)
        return err_set(e, E_LIMIT,
                       "more than %u %s events in blocks %" PRIu64 "..%" PRIu64
                       ": use a smaller window",
                       RPC_MAX_LOGS,
                       l->ledger == BUNDLE_LEDGER_EVM ? "Anchored" : "HashTimestamped", from, to);
    if (rc)
        return rc;
    uint64_t cached_block = UINT64_MAX, cached_time = 0;
    struct hash32 cached_hash;
    for (size_t i = 0; i < nl && !rc; i++) {
        struct rev_anchor a = {0};
        bool mine;
        if (logs[i].removed)
            continue; /* reorged away */
        if (!addr20_eq(&logs[i].address, &l->contract))
            continue; /* the filter should have excluded it */
        if ((rc = parse_record(l, &logs[i], &a.ev, &mine, e)))
            break;
        if (!mine)
            continue;
        if (a.ev.block_number != cached_block) {
            struct rpc_block blk;
            char q[RPC_QTY_BUF];
            if ((rc = rpc_get_block_by_number(l->rpc, rpc_format_quantity(a.ev.block_number, q),
                                              &blk, e)))
                break;
            cached_block = a.ev.block_number;
            cached_time = blk.timestamp;
            cached_hash = blk.hash;
        }
        if (!hash32_eq(&cached_hash, &a.ev.block_hash)) {
            rc = err_set(e, E_NETWORK, "block %" PRIu64 " changed while it was read (a reorg): "
                                       "try again",
                         a.ev.block_number);
            break;
        }
        a.block_time = cached_time;
        if (*n == *cap) {
            size_t c2 = *cap ? *cap * 2 : 16;
            struct rev_anchor *p = realloc(*out, c2 * sizeof *p);
            if (!p) {
                rc = err_set(e, E_NOMEM, "out of memory for Anchored events");
                break;
            }
            *out = p;
            *cap = c2;
        }
        (*out)[(*n)++] = a;
    }
    rpc_logs_free(logs, nl);
    return rc;
}

err_code rev_ledger_anchors(struct rev_ledger *l, uint64_t from, uint64_t to,
                            struct rev_anchor **out, size_t *n, struct err *e)
{
    *out = NULL;
    *n = 0;
    size_t cap = 0;
    if (to > l->head)
        to = l->head;
    err_code rc = E_OK;
    for (uint64_t lo = from; lo <= to && !rc;) {
        uint64_t hi = to - lo >= l->window - 1 ? lo + l->window - 1 : to;
        rc = anchors_window(l, lo, hi, out, n, &cap, e);
        if (hi == UINT64_MAX)
            break;
        lo = hi + 1;
    }
    if (rc) {
        free(*out);
        *out = NULL;
        *n = 0;
    }
    return rc;
}

/* Look for (kind, seq) among the anchors of [from, to]. */
static err_code find_in(struct rev_ledger *l, enum registry_kind kind, uint64_t seq,
                        uint64_t from, uint64_t to, struct rev_anchor *out, bool *found,
                        struct err *e)
{
    struct rev_anchor *v = NULL;
    size_t n = 0, cap = 0;
    *found = false;
    err_code rc = anchors_window(l, from, to, &v, &n, &cap, e);
    for (size_t i = 0; !rc && i < n && !*found; i++)
        if (v[i].ev.kind == kind && v[i].ev.seq == seq) {
            *out = v[i];
            *found = true;
        }
    free(v);
    return rc;
}

err_code rev_ledger_find(struct rev_ledger *l, enum registry_kind kind, uint64_t seq,
                         uint64_t hint, struct rev_anchor *out, struct err *e)
{
    bool found = false;
    err_code rc;
    if (hint && hint <= l->head && (rc = find_in(l, kind, seq, hint, hint, out, &found, e)))
        return rc;
    for (uint64_t hi = l->head; !found;) {
        uint64_t lo = hi >= l->window - 1 ? hi - (l->window - 1) : 0;
        if ((rc = find_in(l, kind, seq, lo, hi, out, &found, e)))
            return rc;
        if (found || lo == 0)
            break;
        hi = lo - 1;
    }
    if (!found)
        return err_set(e, E_NOT_FOUND, "no %s %" PRIu64 " of this issuer up to block %" PRIu64,
                       kind == REGISTRY_KIND_CHECKPOINT ? "checkpoint" : "batch", seq, l->head);
    return E_OK;
}

static int cmp_chain_order(const void *x, const void *y)
{
    const struct rev_anchor *a = x, *b = y;
    if (a->ev.block_number != b->ev.block_number)
        return a->ev.block_number < b->ev.block_number ? -1 : 1;
    return a->ev.log_index < b->ev.log_index ? -1 : a->ev.log_index > b->ev.log_index;
}

err_code rev_ledger_history(struct rev_ledger *l, enum registry_kind kind,
                            struct rev_anchor **out, size_t *n, struct err *e)
{
    *out = NULL;
    *n = 0;
    size_t cap = 0;
    err_code rc = E_OK;
    for (uint64_t hi = l->head; !rc;) {
        uint64_t lo = hi >= l->window - 1 ? hi - (l->window - 1) : 0;
        size_t before = *n;
        if ((rc = anchors_window(l, lo, hi, out, n, &cap, e)))
            break;
        /* keep only `kind`, and stop once its seq 0 is in this window */
        bool first_seen = false;
        size_t k = before;
        for (size_t i = before; i < *n; i++) {
            if ((*out)[i].ev.kind != kind)
                continue;
            first_seen = first_seen || (*out)[i].ev.seq == 0;
            (*out)[k++] = (*out)[i];
        }
        *n = k;
        if (first_seen || lo == 0)
            break;
        hi = lo - 1;
    }
    if (rc) {
        free(*out);
        *out = NULL;
        *n = 0;
        return rc;
    }
    if (*n > 1)
        qsort(*out, *n, sizeof **out, cmp_chain_order);
    return E_OK;
}

err_code rev_ledger_record(struct rev_ledger *l, const struct hash32 *root, struct rev_record *out,
                           struct err *e)
{
    memset(out, 0, sizeof *out);
    char q[RPC_QTY_BUF];
    rpc_format_quantity(l->head, q);
    err_code rc;
    if (l->ledger == BUNDLE_LEDGER_EVM) {
        struct registry_record rec;
        if ((rc = registry_anchored_at(l->rpc, &l->contract, &l->issuer, root, q, &rec, e)))
            return rc;
        if (rec.block_number != 0)
            *out = (struct rev_record){.ours = true, .by = l->issuer, .kind = rec.kind,
                                       .seq = rec.seq, .size = rec.size,
                                       .block_number = rec.block_number,
                                       .block_time = rec.timestamp};
        return E_OK;
    }
    struct ebsi_record rec;
    if ((rc = ebsi_get_timestamp(l->rpc, &l->contract, root, q, &rec, e)))
        return rc;
    if (!ebsi_record_exists(&rec))
        return E_OK;
    out->by = rec.from;
    out->ours = addr20_eq(&rec.from, &l->issuer) && rec.has_data;
    out->other = !addr20_eq(&rec.from, &l->issuer);
    if (out->ours) {
        out->kind = rec.data.kind == EBSI_KIND_REVOCATION ? REGISTRY_KIND_CHECKPOINT
                                                          : REGISTRY_KIND_BATCH;
        out->seq = rec.data.seq;
        out->size = rec.data.size;
        out->block_number = rec.block_number;
        out->block_time = rec.timestamp;
    }
    return E_OK;
}

/* ---- log copies ----------------------------------------------------------------- */

struct fetch {
    struct buf b;
    bool too_big;
};

static size_t on_data(char *p, size_t size, size_t nmemb, void *arg)
{
    struct fetch *f = arg;
    size_t n = size * nmemb;
    if (f->b.len + n > REVLOG_MAX_BYTES) {
        f->too_big = true;
        return 0; /* aborts the transfer */
    }
    return buf_append(&f->b, p, n) == E_OK ? n : 0;
}

/* The URL without query or fragment, for messages (a query may hold a key). */
static void url_for_msg(const char *url, char *out, size_t n)
{
    size_t k = strcspn(url, "?#");
    snprintf(out, n, "%.*s", (int)(k < 200 ? k : 200), url);
}

static err_code fetch_url(const char *url, unsigned timeout_ms, struct buf *out, struct err *e)
{
    char shown[256];
    url_for_msg(url, shown, sizeof shown);
    if (net_global_init(e))
        return E_NETWORK;
    CURL *h = curl_easy_init();
    if (!h)
        return err_set(e, E_NOMEM, "out of memory for a transfer");
    struct fetch f = {.too_big = false};
    char cerr[CURL_ERROR_SIZE] = "";
    /* Loopback is never proxied: a local mirror or test server. */
    char *noproxy = NULL;
    const char *np = getenv("no_proxy");
    if (asprintf(&noproxy, "%s%slocalhost,127.0.0.1,::1", np && *np ? np : "",
                 np && *np ? "," : "") < 0)
        noproxy = NULL;
    long code = 0;
    CURLcode cr = CURLE_OK;
    if ((cr = curl_easy_setopt(h, CURLOPT_URL, url)) ||
        (cr = curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https")) ||
        (cr = curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https")) ||
        (cr = curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L)) ||
        (cr = curl_easy_setopt(h, CURLOPT_MAXREDIRS, 3L)) ||
        (cr = curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L)) ||
        (cr = curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 5000L)) ||
        (cr = curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)(timeout_ms ? timeout_ms : 60000))) ||
        (cr = curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)REVLOG_MAX_BYTES)) ||
        (cr = curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data)) ||
        (cr = curl_easy_setopt(h, CURLOPT_WRITEDATA, &f)) ||
        (cr = curl_easy_setopt(h, CURLOPT_ERRORBUFFER, cerr)) ||
        (noproxy && (cr = curl_easy_setopt(h, CURLOPT_NOPROXY, noproxy))) ||
        (cr = curl_easy_setopt(h, CURLOPT_USERAGENT, "credential-notary-verifier")) ||
        (cr = curl_easy_perform(h)) ||
        (cr = curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code))) {
    }
    curl_easy_cleanup(h);
    free(noproxy);
    err_code rc = E_OK;
    if (f.too_big || cr == CURLE_FILESIZE_EXCEEDED)
        rc = err_set(e, E_LIMIT, "%s: larger than the revocation log limit of %u bytes", shown,
                     REVLOG_MAX_BYTES);
    else if (cr == CURLE_UNSUPPORTED_PROTOCOL)
        rc = err_set(e, E_INVALID, "%s: only http:// and https:// are fetched", shown);
    else if (cr != CURLE_OK)
        rc = err_set(e, E_NETWORK, "%s: cannot fetch: %s", shown,
                     cerr[0] ? cerr : curl_easy_strerror(cr));
    else if (code != 200)
        rc = err_set(e, E_NETWORK, "%s: the server answered HTTP %ld", shown, code);
    if (rc)
        buf_free(&f.b);
    else
        *out = f.b;
    return rc;
}

err_code revocation_load(const char *source, unsigned timeout_ms, struct revlog *out,
                         struct err *e)
{
    memset(out, 0, sizeof *out);
    struct buf text = {0};
    err_code rc;
    char shown[256];
    if (strncmp(source, "http://", 7) == 0 || strncmp(source, "https://", 8) == 0) {
        rc = fetch_url(source, timeout_ms, &text, e);
        url_for_msg(source, shown, sizeof shown);
    } else if (strstr(source, "://")) {
        return err_set(e, E_INVALID, "%.80s: only files and http(s):// URLs are read", source);
    } else {
        rc = file_read_all(source, REVLOG_MAX_BYTES, &text, e);
        snprintf(shown, sizeof shown, "%s", source);
    }
    if (rc)
        return rc;
    rc = revlog_parse(text.p ? (const char *)text.p : "", text.len, shown, out, e);
    buf_free(&text);
    return rc;
}

/* ---- findings ------------------------------------------------------------------- */

void rev_findings_free(struct rev_findings *f)
{
    free(f->v);
    memset(f, 0, sizeof *f);
}

err_code rev_finding_add(struct rev_findings *f, const char *name, bool anomaly, const char *fmt,
                         ...)
{
    if (f->n == f->cap) {
        size_t c = f->cap ? f->cap * 2 : 8;
        struct rev_finding *p = realloc(f->v, c * sizeof *p);
        if (!p)
            return E_NOMEM;
        f->v = p;
        f->cap = c;
    }
    struct rev_finding *x = &f->v[f->n++];
    snprintf(x->name, sizeof x->name, "%s", name);
    x->anomaly = anomaly;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(x->detail, sizeof x->detail, fmt, ap);
    va_end(ap);
    return E_OK;
}

const struct rev_finding *rev_finding_get(const struct rev_findings *f, const char *name)
{
    for (size_t i = 0; i < f->n; i++)
        if (strcmp(f->v[i].name, name) == 0)
            return &f->v[i];
    return NULL;
}

/* ---- analysis ------------------------------------------------------------------- */

/* The copy's consistency proof between ledger checkpoints a and b (when it
 * lists both, consecutively, with the ledger's sizes and roots) verifies. */
static bool copy_proof_ok(const struct revlog *copy, const struct rev_checkpoint *a,
                          const struct rev_checkpoint *b)
{
    for (size_t j = 1; j < copy->n_checkpoints; j++) {
        const struct revlog_checkpoint *p = &copy->checkpoints[j - 1], *q = &copy->checkpoints[j];
        if (p->seq != a->seq || q->seq != b->seq)
            continue;
        if (p->size != a->size || q->size != b->size || !hash32_eq(&p->root, &a->root) ||
            !hash32_eq(&q->root, &b->root))
            return false;
        if (a->size == b->size)
            return q->proof_len == 0 && hash32_eq(&a->root, &b->root);
        return merkle_verify_consistency(a->size, b->size, &a->root, &b->root,
                                         &copy->proofs[q->proof_off], q->proof_len,
                                         NULL) == E_OK;
    }
    return false;
}

static int cmp_u64(const void *x, const void *y)
{
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return a < b ? -1 : a > b;
}

/* Root of digests d[order[0..n-1]]. */
static err_code root_of(const struct hash32 *d, const uint64_t *order, uint64_t n,
                        struct hash32 *root, struct err *e)
{
    struct hash32 *v = malloc(n * sizeof *v);
    if (!v)
        return err_set(e, E_NOMEM, "out of memory");
    for (uint64_t i = 0; i < n; i++)
        v[i] = d[order[i]];
    struct merkle_tree *t;
    err_code rc = merkle_tree_build(v, n, NULL, &t, e);
    free(v);
    if (rc)
        return rc;
    merkle_tree_root(t, root);
    merkle_tree_free(t);
    return E_OK;
}

/* Time order of entries lo..hi-1 by (time, position): insertion sort is
 * fine for a checkpoint's range; a larger range falls back to qsort of
 * (time << 20 | offset) keys when times fit. */
static int cmp_entry_time(const void *x, const void *y, void *arg)
{
    const struct revlog *l = arg;
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    int64_t ta = l->entries[a].time, tb = l->entries[b].time;
    return ta < tb ? -1 : ta > tb ? 1 : a < b ? -1 : a > b;
}

/* Why does the copy not reproduce checkpoint `cp` (entries lo..cp->size-1
 * are where it differs)? One named diagnosis. */
static err_code diagnose(const struct revlog *copy, const struct rev_checkpoint *cp, uint64_t lo,
                         struct rev_findings *f, struct err *e)
{
    uint64_t hi = cp->size;
    uint64_t first_descent = UINT64_MAX, ndesc = 0;
    for (uint64_t i = lo ? lo : 1; i < hi; i++)
        if (copy->entries[i].time < copy->entries[i - 1].time) {
            ndesc++;
            if (first_descent == UINT64_MAX)
                first_descent = i;
        }
    if (ndesc) {
        /* Does putting lo..hi-1 back in time order give the anchored root?
         * Then entries were moved, not changed. */
        struct hash32 *d = malloc(hi * sizeof *d);
        uint64_t *order = malloc(hi * sizeof *order);
        err_code rc = (!d || !order) ? err_set(e, E_NOMEM, "out of memory") : E_OK;
        for (uint64_t i = 0; !rc && i < hi; i++) {
            order[i] = i;
            rc = revlog_entry_digest(&copy->entries[i], &d[i], e);
        }
        struct hash32 root;
        if (!rc) {
            qsort_r(order + lo, hi - lo, sizeof *order, cmp_entry_time, (void *)copy);
            rc = root_of(d, order, hi, &root, e);
        }
        uint64_t moved[2], nmoved = 0;
        for (uint64_t i = lo; !rc && i < hi; i++)
            if (order[i] != i && nmoved++ < 2)
                moved[nmoved - 1] = i;
        free(d);
        free(order);
        if (rc)
            return rc;
        if (hash32_eq(&root, &cp->root)) {
            if (nmoved == 2)
                return rev_finding_add(f, "entries-reordered", true,
                                       "entries %" PRIu64 " and %" PRIu64 " of the copy are "
                                       "swapped: in time order the first %" PRIu64 " entries "
                                       "give checkpoint %" PRIu64 "'s anchored root",
                                       moved[0], moved[1], hi, cp->seq);
            return rev_finding_add(f, "entries-reordered", true,
                                   "%" PRIu64 " entries of the copy are out of order: in time "
                                   "order the first %" PRIu64 " entries give checkpoint %" PRIu64
                                   "'s anchored root",
                                   nmoved, hi, cp->seq);
        }
        char t0[21], t1[21];
        bundle_time_format(copy->entries[first_descent].time, t0, NULL);
        bundle_time_format(copy->entries[first_descent - 1].time, t1, NULL);
        return rev_finding_add(f, "entry-time-changed", true,
                               "entry %" PRIu64 " is dated %s, before entry %" PRIu64 " (%s): "
                               "the log is written in time order, so a time was changed "
                               "(backdated)",
                               first_descent, t0, first_descent - 1, t1);
    }
    for (uint64_t i = lo; i < hi; i++)
        if (copy->entries[i].time > (int64_t)cp->block_time + REV_CLOCK_SKEW) {
            char t0[21], t1[21];
            bundle_time_format(copy->entries[i].time, t0, NULL);
            bundle_time_format((int64_t)cp->block_time, t1, NULL);
            return rev_finding_add(f, "entry-time-changed", true,
                                   "entry %" PRIu64 " is dated %s, after checkpoint %" PRIu64
                                   " anchored it at %s: its time was changed",
                                   i, t0, cp->seq, t1);
        }
    return rev_finding_add(f, "entry-altered", true,
                           "an entry among %" PRIu64 "..%" PRIu64 " of the copy differs from "
                           "what checkpoint %" PRIu64 " anchored (credential, reason, note or "
                           "time), or an entry was inserted or removed there",
                           lo, hi - 1, cp->seq);
}

err_code revocation_analyse(const struct revlog *copy, const struct rev_checkpoint *cps, size_t n,
                            struct rev_findings *f, bool *newest_ok, struct err *e)
{
    *newest_ok = false;
    if (n == 0)
        return E_OK;
    struct merkle_tree *t = NULL;
    bool *pok = calloc(n, sizeof *pok);
    err_code rc = pok ? E_OK : err_set(e, E_NOMEM, "out of memory");
    if (!rc && copy->n_entries)
        rc = revlog_tree(copy, copy->n_entries, &t, e);
    /* Which checkpoints does the copy reproduce? */
    for (size_t k = 0; !rc && k < n; k++) {
        struct hash32 root;
        if (cps[k].size > copy->n_entries || cps[k].size == 0)
            continue;
        if ((rc = merkle_tree_root_at(t, cps[k].size, &root, e)))
            break;
        pok[k] = hash32_eq(&root, &cps[k].root);
    }
    size_t first_bad = SIZE_MAX;
    uint64_t lo = 0; /* size of the last checkpoint the copy reproduces before first_bad */
    char r0[65], r1[65];
    for (size_t k = 0; !rc && k < n; k++) {
        bool consistent = true;
        if (k > 0 && cps[k - 1].seq + 1 == cps[k].seq) {
            const struct rev_checkpoint *a = &cps[k - 1], *b = &cps[k];
            consistent = b->size >= a->size &&
                         ((pok[k - 1] && pok[k]) || copy_proof_ok(copy, a, b));
            if (!consistent) {
                hash32_to_hex(&a->root, r0);
                hash32_to_hex(&b->root, r1);
                rc = rev_finding_add(
                    f, "checkpoint-inconsistent", true,
                    "checkpoints %" PRIu64 " (size %" PRIu64 ", root %.16s…) and %" PRIu64
                    " (size %" PRIu64 ", root %.16s…) are not consistent: %s",
                    a->seq, a->size, r0, b->seq, b->size, r1,
                    b->size < a->size ? "the log shrank"
                                      : "no valid RFC 9162 consistency proof, and the log copy "
                                        "does not contain both — the later one is not an "
                                        "extension of the earlier log");
            }
        }
        if (!rc && pok[k] && first_bad == SIZE_MAX)
            lo = cps[k].size;
        if (!rc && !pok[k] && cps[k].size <= copy->n_entries && consistent &&
            first_bad == SIZE_MAX) {
            first_bad = k;
            struct hash32 got;
            if ((rc = merkle_tree_root_at(t, cps[k].size, &got, e)))
                break;
            hash32_to_hex(&got, r0);
            hash32_to_hex(&cps[k].root, r1);
            rc = rev_finding_add(f, "log-mismatch", true,
                                 "the first %" PRIu64 " entries of the copy give root %.16s…, "
                                 "but checkpoint %" PRIu64 " anchored %.16s…: the copy is not "
                                 "the issuer's log",
                                 cps[k].size, r0, cps[k].seq, r1);
        }
    }
    const struct rev_checkpoint *newest = &cps[n - 1];
    if (!rc)
        *newest_ok = pok[n - 1];
    if (!rc && copy->n_entries < newest->size) {
        if (first_bad == SIZE_MAX)
            rc = rev_finding_add(f, "log-truncated", true,
                                 "the copy has %" PRIu64 " entries but checkpoint %" PRIu64
                                 " anchored %" PRIu64 ": the last %" PRIu64 " are missing (it "
                                 "matches every checkpoint it covers)",
                                 copy->n_entries, newest->seq, newest->size,
                                 newest->size - copy->n_entries);
        else
            rc = rev_finding_add(f, "entry-removed", true,
                                 "the copy has %" PRIu64 " entries but checkpoint %" PRIu64
                                 " anchored %" PRIu64 ", and it stops matching at checkpoint %"
                                 PRIu64 " (entries %" PRIu64 "..%" PRIu64 "): entries were "
                                 "removed",
                                 copy->n_entries, newest->seq, newest->size, cps[first_bad].seq,
                                 lo, cps[first_bad].size - 1);
    } else if (!rc && first_bad != SIZE_MAX) {
        rc = diagnose(copy, &cps[first_bad], lo, f, e);
    }
    /* Entries dated after the checkpoint that first anchored them. */
    for (size_t k = 0, prev = 0; !rc && k < n && first_bad == SIZE_MAX; k++) {
        if (!pok[k])
            continue;
        for (uint64_t i = prev; i < cps[k].size; i++)
            if (copy->entries[i].time > (int64_t)cps[k].block_time + REV_CLOCK_SKEW) {
                rc = rev_finding_add(f, "entry-time-changed", true,
                                     "entry %" PRIu64 " is dated after the block time of "
                                     "checkpoint %" PRIu64 " that anchored it",
                                     i, cps[k].seq);
                break;
            }
        prev = cps[k].size;
    }
    /* The notary never appends a credential twice. */
    if (!rc && copy->n_entries > 1) {
        uint64_t *keys = malloc(copy->n_entries * sizeof *keys);
        if (!keys) {
            rc = err_set(e, E_NOMEM, "out of memory");
        } else {
            for (uint64_t i = 0; i < copy->n_entries; i++)
                memcpy(&keys[i], copy->entries[i].credential.b, 8);
            qsort(keys, copy->n_entries, sizeof *keys, cmp_u64);
            bool maybe = false;
            for (uint64_t i = 1; i < copy->n_entries && !maybe; i++)
                maybe = keys[i] == keys[i - 1];
            free(keys);
            for (uint64_t i = 0; maybe && !rc && i < copy->n_entries; i++) {
                int64_t j = revlog_find(copy, &copy->entries[i].credential);
                if (j >= 0 && (uint64_t)j < i) {
                    char h[65];
                    hash32_to_hex(&copy->entries[i].credential, h);
                    rc = rev_finding_add(f, "duplicate-entry", true,
                                         "credential %s is revoked twice (entries %" PRId64
                                         " and %" PRIu64 ")",
                                         h, j, i);
                    break;
                }
            }
        }
    }
    if (!rc && *newest_ok && copy->n_entries > newest->size)
        rc = rev_finding_add(f, "unanchored-entries", false,
                             "%" PRIu64 " entries after checkpoint %" PRIu64 " are not anchored "
                             "yet: they prove nothing until a checkpoint covers them",
                             copy->n_entries - newest->size, newest->seq);
    free(pok);
    merkle_tree_free(t);
    if (rc == E_NOMEM && e && e->code != E_NOMEM)
        err_set(e, E_NOMEM, "out of memory");
    return rc;
}

/* ---- the "revocation" check ---------------------------------------------------- */

static void fmt_time(uint64_t t, char out[21])
{
    bundle_time_format(t <= BUNDLE_MAX_UINT ? (int64_t)t : -1, out, NULL);
}

/* Order an ebsi history by (seq, chain order). */
static int cmp_seq_order(const void *x, const void *y)
{
    const struct rev_anchor *a = x, *b = y;
    if (a->ev.seq != b->ev.seq)
        return a->ev.seq < b->ev.seq ? -1 : 1;
    return cmp_chain_order(x, y);
}

/* The issuer's checkpoints v[0..n-1] (sorted by seq) must be numbered
 * exactly 0..n-1 (the Timestamp contract does not enforce it). NULL if so,
 * else the finding's name, with the detail in `why`. */
static const char *history_anomaly(const struct rev_anchor *v, size_t n, char *why, size_t wn)
{
    for (size_t i = 1; i < n; i++)
        if (v[i].ev.seq == v[i - 1].ev.seq) {
            snprintf(why, wn,
                     "checkpoint %" PRIu64 " was timestamped twice by the issuer (blocks %" PRIu64
                     " and %" PRIu64 ", roots %02x%02x%02x%02x… and %02x%02x%02x%02x…): two "
                     "histories claim the same number",
                     v[i].ev.seq, v[i - 1].ev.block_number, v[i].ev.block_number,
                     v[i - 1].ev.root.b[0], v[i - 1].ev.root.b[1], v[i - 1].ev.root.b[2],
                     v[i - 1].ev.root.b[3], v[i].ev.root.b[0], v[i].ev.root.b[1],
                     v[i].ev.root.b[2], v[i].ev.root.b[3]);
            return "seq-repeat";
        }
    for (size_t i = 0; i < n; i++)
        if (v[i].ev.seq != i) {
            snprintf(why, wn,
                     "the issuer's checkpoints up to %" PRIu64 " lack checkpoint %zu: the issuer "
                     "skipped a number or the node withholds events",
                     v[n - 1].ev.seq, i);
            return "seq-gap";
        }
    return NULL;
}

void verify_revocation(const struct bundle *b, const struct revocation_opts *o,
                       struct verify_result *r)
{
    const char *name = "revocation";
    if (!b->anchored || r->status == VERIFY_INVALID || r->status == VERIFY_ERROR) {
        verify_add_check(r, name, VCHECK_SKIPPED,
                         "not checked: the credential's issuance did not verify");
        return;
    }
    const struct bundle_anchor *a = &b->anchor;
    const bool ebsi = a->ledger == BUNDLE_LEDGER_EBSI;
    struct err e = {0};
    struct revlog copy = {0};
    bool have_copy = false;
    if (o->source) {
        unsigned t = o->timeout_ms ? o->timeout_ms : 60000;
        if (o->deadline_ms) { /* the fetch of a URL copy fits in the run's time limit too */
            uint64_t now = rpc_now_ms();
            uint64_t left = now < o->deadline_ms ? o->deadline_ms - now : 1;
            t = left < t ? (unsigned)left : t;
        }
        if (revocation_load(o->source, t, &copy, &e)) {
            verify_add_check(r, name, VCHECK_UNKNOWN,
                             "the revocation log copy is unusable (%s): status UNKNOWN", e.msg);
            return;
        }
        have_copy = true;
    }
    char ad[43], root[65], t[21], et[21];
    addr20_to_hex(&a->issuer, ad);
    if (have_copy && (!addr20_eq(&copy.issuer, &a->issuer) ||
                      !addr20_eq(&copy.contract, &a->contract) || copy.chain_id != a->chain_id ||
                      copy.ledger != a->ledger)) {
        char ci[43];
        addr20_to_hex(&copy.issuer, ci);
        verify_add_check(r, name, VCHECK_UNKNOWN,
                         "the log copy is of issuer %s on chain %" PRIu64 " (%s; contract differs "
                         "or not), not of %s as anchored for this credential: status UNKNOWN",
                         ci, copy.chain_id, bundle_ledger_name(copy.ledger), ad);
        revlog_free(&copy);
        return;
    }
    struct rpc_options ro = {.url = o->rpc_url, .bearer_token = o->bearer_token,
                             .timeout_ms = o->timeout_ms, .max_attempts = o->max_attempts,
                             .deadline_ms = o->deadline_ms};
    struct rev_ledger l;
    struct rev_anchor *hist = NULL; /* ebsi: the issuer's checkpoints, by seq */
    size_t nh = 0;
    struct rev_checkpoint *cps = NULL;
    uint64_t count = 0;
    err_code rc = rev_ledger_open(&l, a->ledger, &ro, &a->contract, &a->issuer, o->confirmations,
                                  o->window, &e);
    if (!rc)
        rc = ebsi ? rev_ledger_history(&l, REGISTRY_KIND_CHECKPOINT, &hist, &nh, &e)
                  : rev_ledger_count(&l, REGISTRY_KIND_CHECKPOINT, &count, &e);
    if (rc) {
        verify_add_check(r, name, VCHECK_UNKNOWN,
                         "could not read the issuer's revocation checkpoints from the ledger "
                         "(%s): status UNKNOWN, not revoked and not valid",
                         e.msg);
        goto out;
    }
    if (ebsi && nh) {
        /* No counter on the Timestamp contract: the events must number
         * themselves 0..n-1, once each, or "the newest" is not decidable. */
        char why[400];
        qsort(hist, nh, sizeof *hist, cmp_seq_order);
        const char *bad = history_anomaly(hist, nh, why, sizeof why);
        if (bad) {
            verify_add_check(r, name, VCHECK_UNKNOWN,
                             "%s: %s — which checkpoint is the issuer's newest cannot be "
                             "decided: status UNKNOWN",
                             bad, why);
            goto out;
        }
        count = nh;
    }
    if (count == 0) {
        int64_t idx = have_copy ? revlog_find(&copy, &b->credential.hash) : -1;
        if (idx >= 0)
            verify_add_check(r, name, VCHECK_UNKNOWN,
                             "PENDING REVOCATION: the log copy lists this credential as revoked "
                             "(entry %" PRId64 ", %s) but %s has never anchored a revocation "
                             "checkpoint, so it cannot be proven: status UNKNOWN",
                             idx, revlog_reason_name(copy.entries[idx].reason), ad);
        else
            verify_add_check(r, name, VCHECK_PASS,
                             "%s has never anchored a revocation checkpoint (as of block %" PRIu64
                             "): it has revoked nothing on the ledger",
                             ad, l.head);
        goto out;
    }
    /* The newest checkpoint: the copy may say where it is; the ledger decides. */
    uint64_t seq = count - 1, hint = 0;
    struct rev_anchor newest;
    if (ebsi) {
        /* The contract's own record of the root must agree with its event. */
        struct rev_record rec;
        newest = hist[nh - 1];
        if ((rc = rev_ledger_record(&l, &newest.ev.root, &rec, &e))) {
            verify_add_check(r, name, VCHECK_UNKNOWN,
                             "could not read getTimestamp of checkpoint %" PRIu64 " (%s): status "
                             "UNKNOWN",
                             seq, e.msg);
            goto out;
        }
        if (!rec.ours || rec.kind != REGISTRY_KIND_CHECKPOINT || rec.seq != seq ||
            rec.size != newest.ev.size || rec.block_number != newest.ev.block_number ||
            rec.block_time != newest.block_time) {
            verify_add_check(r, name, VCHECK_UNKNOWN,
                             "the Timestamp contract's record of checkpoint %" PRIu64 " (block %"
                             PRIu64 ") does not confirm its event (getTimestamp names block %"
                             PRIu64 "): status UNKNOWN",
                             seq, newest.ev.block_number, rec.block_number);
            goto out;
        }
    } else {
        for (size_t i = 0; have_copy && i < copy.n_checkpoints; i++)
            if (copy.checkpoints[i].seq == seq)
                hint = copy.checkpoints[i].block_number;
        if ((rc = rev_ledger_find(&l, REGISTRY_KIND_CHECKPOINT, seq, hint, &newest, &e))) {
            verify_add_check(r, name, VCHECK_UNKNOWN,
                             "the registry counts %" PRIu64 " checkpoints of %s but checkpoint %"
                             PRIu64 " could not be read (%s): status UNKNOWN",
                             count, ad, seq, e.msg);
            goto out;
        }
    }
    fmt_time(newest.block_time, t);
    hash32_to_hex(&newest.ev.root, root);
    if (!have_copy) {
        verify_add_check(r, name, VCHECK_UNKNOWN,
                         "%s anchored revocation checkpoint %" PRIu64 " (%" PRIu64
                         " revocations, block %" PRIu64 " at %s); without a copy of its log "
                         "(--revocations FILE|URL, from anywhere: it is checked against that "
                         "root) the status is UNKNOWN",
                         ad, seq, newest.ev.size, newest.ev.block_number, t);
        goto out;
    }
    /* The checkpoints to judge the copy by. evm: the newest, and (to say
     * where a bad copy goes wrong) up to REV_VERIFY_EARLIER earlier ones the
     * copy lists, each confirmed by the registry's own record (anchoredAt).
     * ebsi: the issuer's whole numbered history, already read. */
    enum { REV_VERIFY_EARLIER = 64 };
    size_t ncp = 0;
    cps = malloc((ebsi ? nh : REV_VERIFY_EARLIER + 1) * sizeof *cps);
    if (!cps) {
        verify_add_check(r, name, VCHECK_UNKNOWN, "out of memory: status UNKNOWN");
        goto out;
    }
    for (size_t i = 0; ebsi && i + 1 < nh; i++)
        cps[ncp++] = (struct rev_checkpoint){.seq = hist[i].ev.seq, .size = hist[i].ev.size,
                                             .root = hist[i].ev.root,
                                             .block_number = hist[i].ev.block_number,
                                             .block_time = hist[i].block_time,
                                             .tx_hash = hist[i].ev.tx_hash};
    size_t first = 0;
    while (!ebsi && copy.n_checkpoints - first > REV_VERIFY_EARLIER + 1)
        first++;
    for (size_t i = first; !ebsi && i < copy.n_checkpoints; i++) {
        const struct revlog_checkpoint *c = &copy.checkpoints[i];
        struct rev_record rec;
        if (c->seq >= seq || ncp == REV_VERIFY_EARLIER)
            continue;
        if ((rc = rev_ledger_record(&l, &c->root, &rec, &e))) {
            verify_add_check(r, name, VCHECK_UNKNOWN,
                             "could not read the registry's record of checkpoint %" PRIu64
                             " (%s): status UNKNOWN",
                             c->seq, e.msg);
            goto out;
        }
        if (rec.ours && rec.kind == REGISTRY_KIND_CHECKPOINT && rec.seq == c->seq &&
            rec.size == c->size)
            cps[ncp++] = (struct rev_checkpoint){.seq = c->seq, .size = c->size, .root = c->root,
                                                 .block_number = rec.block_number,
                                                 .block_time = rec.block_time};
    }
    cps[ncp++] = (struct rev_checkpoint){.seq = seq, .size = newest.ev.size,
                                         .root = newest.ev.root,
                                         .block_number = newest.ev.block_number,
                                         .block_time = newest.block_time,
                                         .tx_hash = newest.ev.tx_hash};
    struct rev_findings f = {0};
    bool ok;
    if ((rc = revocation_analyse(&copy, cps, ncp, &f, &ok, &e))) {
        verify_add_check(r, name, VCHECK_UNKNOWN, "cannot check the log copy: %s", e.msg);
        rev_findings_free(&f);
        goto out;
    }
    if (!ok) {
        /* The last anomaly is the most specific (the diagnosis follows the
         * generic log-mismatch). */
        const struct rev_finding *why = NULL;
        for (size_t i = 0; i < f.n; i++)
            if (f.v[i].anomaly)
                why = &f.v[i];
        verify_add_check(r, name, VCHECK_UNKNOWN,
                         "the revocation log copy is INVALID against checkpoint %" PRIu64
                         " (root %.16s…, block %" PRIu64 "): %s: %s — status UNKNOWN",
                         seq, root, newest.ev.block_number, why ? why->name : "log-mismatch",
                         why ? why->detail : "the copy does not give the anchored root");
        rev_findings_free(&f);
        goto out;
    }
    rev_findings_free(&f);
    int64_t idx = revlog_find(&copy, &b->credential.hash);
    uint64_t later = copy.n_entries - newest.ev.size;
    if (idx < 0) {
        verify_add_check(r, name, VCHECK_PASS,
                         "not revoked as of checkpoint %" PRIu64 " (%" PRIu64 " revocations, "
                         "block %" PRIu64 ") at %s%s",
                         seq, newest.ev.size, newest.ev.block_number, t,
                         later ? "; the copy has later entries, not yet anchored, that do not "
                                 "name it"
                               : "");
        goto out;
    }
    const struct revlog_entry *en = &copy.entries[idx];
    fmt_time((uint64_t)en->time, et);
    if ((uint64_t)idx >= newest.ev.size) {
        verify_add_check(r, name, VCHECK_UNKNOWN,
                         "PENDING REVOCATION: the log copy lists this credential as revoked "
                         "(entry %" PRId64 ", reason %s, dated %s) after the newest anchored "
                         "checkpoint %" PRIu64 " (%s); it cannot be proven until a checkpoint "
                         "covers it: status UNKNOWN (it was not revoked as of checkpoint %"
                         PRIu64 ")",
                         idx, revlog_reason_name(en->reason), et, seq, t, seq);
        goto out;
    }
    /* The tightest bound. evm: the first checkpoint the copy lists that
     * covers the entry, confirmed by the registry's own record of it. ebsi:
     * the first of the issuer's checkpoints that covers it and whose root
     * the copy reproduces. */
    uint64_t bseq = seq, bblock = newest.ev.block_number, btime = newest.block_time;
    for (size_t i = 0; ebsi && i + 1 < ncp; i++) {
        struct hash32 pr;
        if (cps[i].size <= (uint64_t)idx)
            continue;
        if (revlog_root(&copy, cps[i].size, &pr, NULL) == E_OK && hash32_eq(&pr, &cps[i].root)) {
            bseq = cps[i].seq;
            bblock = cps[i].block_number;
            btime = cps[i].block_time;
        }
        break;
    }
    for (size_t i = 0; !ebsi && i < copy.n_checkpoints; i++) {
        const struct revlog_checkpoint *c = &copy.checkpoints[i];
        if (c->size <= (uint64_t)idx || c->seq >= seq)
            continue;
        struct rev_record rec;
        struct hash32 pr;
        if (revlog_root(&copy, c->size, &pr, NULL) == E_OK && hash32_eq(&pr, &c->root) &&
            rev_ledger_record(&l, &c->root, &rec, NULL) == E_OK && rec.ours &&
            rec.kind == REGISTRY_KIND_CHECKPOINT && rec.seq == c->seq && rec.size == c->size) {
            bseq = c->seq;
            bblock = rec.block_number;
            btime = rec.block_time;
        }
        break;
    }
    fmt_time(btime, t);
    verify_add_check(r, name, VCHECK_REVOKED,
                     "REVOKED by %s: entry %" PRId64 " of its revocation log, reason %s (%u)%s%s%s, "
                     "dated %s by the issuer; revoked no later than checkpoint %" PRIu64
                     " at block time %s (block %" PRIu64 ")",
                     ad, idx, revlog_reason_name(en->reason), en->reason,
                     en->note ? ", note \"" : "", en->note ? en->note : "", en->note ? "\"" : "",
                     et, bseq, t, bblock);
out:
    free(cps);
    free(hist);
    rev_ledger_close(&l);
    revlog_free(&copy);
}
