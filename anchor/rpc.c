/*
 * anchor/rpc.c — the JSON-RPC 2.0 transport; see rpc.h for the contract.
 *
 * Layout: client set-up (URL checks; one curl easy handle, made at the first
 * request that goes to the node and kept for connection reuse), one HTTP attempt (attempt_once: transport, status,
 * envelope checks), the retry loop (rpc_call_ex), then the few helpers the
 * typed layer (anchor/eth.c) uses to report a rejected result.
 *
 * The JSON-RPC envelope rules are JSON-RPC 2.0 §5: a response has
 * "jsonrpc":"2.0", the request's id, and exactly one of "result"/"error";
 * an error has an integer "code", a string "message" and optional "data".
 */
#define _GNU_SOURCE
#include "anchor/rpc.h"

#include "anchor/net.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/bytes.h"
#include "core/json.h"
#include "anchor/rpc_memo.h"

struct rpc_client {
    CURL *h;
    struct curl_slist *headers; /* one node holds "Authorization: Bearer …": wiped on free */
    char *token;                /* kept only to scrub it from messages; wiped on free */
    char *url_secret;           /* URL path+query (may hold an API key): scrubbed too */
    char *no_proxy;             /* CURLOPT_NOPROXY list */
    char url[RPC_MAX_URL + 1];
    char origin[320];
    unsigned connect_timeout_ms, timeout_ms;
    size_t max_response;
    unsigned max_attempts, base_delay_ms, max_delay_ms, max_retry_after_ms;
    uint64_t deadline_ms; /* CLOCK_MONOTONIC ms; 0 = none */
    void (*sleep_ms)(void *ctx, uint64_t ms);
    uint64_t (*jitter)(void *ctx, uint64_t cap_ms);
    void *hook_ctx;

    uint64_t next_id;
    struct rpc_stats stats;
    struct rpc_error last;
    struct buf resp;
    bool over_limit;
    struct buf canned; /* rpc_set_response_for_test(): answer from here, not the network */
    bool use_canned;
    struct rpc_memo *memo; /* rpc_options.memo: read-only answers shared for a run */
    char curl_err[CURL_ERROR_SIZE];
};

/* ------------------------------------------------------------------------- */
/* small utilities                                                             */

uint64_t rpc_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* With a deadline: cut this attempt's timeouts to what is left of it.
 * Returns false when nothing is left. */
static bool fit_deadline(struct rpc_client *c)
{
    if (!c->deadline_ms)
        return true;
    uint64_t now = rpc_now_ms();
    if (now >= c->deadline_ms)
        return false;
    uint64_t left = c->deadline_ms - now;
    long t = (long)(left < c->timeout_ms ? left : c->timeout_ms);
    long ct = (long)(left < c->connect_timeout_ms ? left : c->connect_timeout_ms);
    return curl_easy_setopt(c->h, CURLOPT_TIMEOUT_MS, t) == CURLE_OK &&
           curl_easy_setopt(c->h, CURLOPT_CONNECTTIMEOUT_MS, ct) == CURLE_OK;
}

static void real_sleep_ms(void *ctx, uint64_t ms)
{
    (void)ctx;
    struct timespec ts = {.tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {
    }
}

/* Full jitter (AWS architecture blog, "Exponential Backoff And Jitter"):
 * uniform in [0, cap], so many clients that failed together spread out. */
static uint64_t real_jitter(void *ctx, uint64_t cap_ms)
{
    (void)ctx;
    uint64_t r;
    if (RAND_bytes((unsigned char *)&r, sizeof r) != 1)
        return cap_ms / 2;
    return cap_ms == UINT64_MAX ? r : r % (cap_ms + 1);
}

/* Replace every occurrence of `secret` in `s` with "***" (in place). */
static void scrub_one(char *s, const char *secret)
{
    size_t n = secret ? strlen(secret) : 0;
    if (n < 4)
        return; /* too short to scrub without mangling ordinary words */
    char *p;
    while ((p = strstr(s, secret)) != NULL) {
        memcpy(p, "***", 3);
        memmove(p + 3, p + n, strlen(p + n) + 1);
    }
}

/* Copy text the node sent into `out` for a message: the secrets are scrubbed
 * from the whole text *before* it is cut to size, so a token straddling the
 * cut cannot leave a fragment behind. */
static void node_text(const struct rpc_client *c, const char *in, char *out, size_t max)
{
    char *copy = strdup(in);
    if (!copy) {
        snprintf(out, max, "(message withheld: out of memory)");
        return;
    }
    scrub_one(copy, c->token);
    scrub_one(copy, c->url_secret);
    rpc_sanitize(copy, strlen(copy), out, max);
    free(copy);
}

/* Last line of defence: no message leaves this file with the token or the
 * URL's secret part in it. */
static err_code finish(struct rpc_client *c, err_code rc, struct err *e)
{
    if (rc != E_OK && e && c) {
        scrub_one(e->msg, c->token);
        scrub_one(e->msg, c->url_secret);
        scrub_one(c->last.message, c->token);
    }
    return rc;
}

static void last_reset(struct rpc_client *c)
{
    free(c->last.data);
    memset(&c->last, 0, sizeof c->last);
}

static void wipe_free_str(char *s)
{
    if (s) {
        OPENSSL_cleanse(s, strlen(s));
        free(s);
    }
}

/* ------------------------------------------------------------------------- */
/* client                                                                      */

static size_t on_write(char *ptr, size_t size, size_t nmemb, void *ud)
{
    struct rpc_client *c = ud;
    size_t n = size * nmemb;
    /* Bound first: abort the transfer (curl sees a short write) rather than
     * buffer a hostile node's endless body. */
    if (n > c->max_response || c->resp.len > c->max_response - n) {
        c->over_limit = true;
        return 0;
    }
    if (buf_append(&c->resp, ptr, n) != E_OK)
        return 0;
    return n;
}

static bool valid_token(const char *t, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)t[i];
        if (ch < 0x21 || ch > 0x7e) /* RFC 6750 §2.1 b64token is printable, no spaces */
            return false;
    }
    return true;
}

static err_code parse_url(struct rpc_client *c, const char *url, struct err *e)
{
    size_t n = strnlen(url, RPC_MAX_URL + 1);
    if (n == 0)
        return err_set(e, E_INVALID, "ledger URL is empty");
    if (n > RPC_MAX_URL)
        return err_set(e, E_INVALID, "ledger URL is longer than %u bytes", RPC_MAX_URL);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)url[i] <= 0x20 || (unsigned char)url[i] >= 0x7f)
            return err_set(e, E_INVALID, "ledger URL contains a space or control character at byte %zu",
                           i);
    memcpy(c->url, url, n + 1);

    CURLU *u = curl_url();
    if (!u)
        return err_set(e, E_NOMEM, "out of memory");
    err_code rc = E_OK;
    char *scheme = NULL, *host = NULL, *port = NULL, *user = NULL, *path = NULL, *query = NULL;
    if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK) {
        rc = err_set(e, E_INVALID, "ledger URL is not a valid absolute http(s) URL");
        goto out;
    }
    if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0)) {
        rc = err_set(e, E_INVALID, "ledger URL scheme must be http or https");
        goto out;
    }
    if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK) {
        rc = err_set(e, E_INVALID,
                     "ledger URL must not carry user:password; pass a bearer token instead");
        goto out;
    }
    if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK) {
        rc = err_set(e, E_INVALID, "ledger URL has no host");
        goto out;
    }
    snprintf(c->origin, sizeof c->origin, "%s://%s:%s", scheme, host, port);
    if (curl_url_get(u, CURLUPART_PATH, &path, 0) == CURLUE_OK && strlen(path) > 1) {
        c->url_secret = strdup(path + 1); /* without the leading '/' */
        if (!c->url_secret)
            rc = err_set(e, E_NOMEM, "out of memory");
    }
    if (!rc && curl_url_get(u, CURLUPART_QUERY, &query, 0) == CURLUE_OK && strlen(query) >= 4) {
        /* The query (?apikey=...) is scrubbed on its own; the path already
         * covers the common /v3/KEY form. */
        free(c->url_secret);
        c->url_secret = NULL;
        if (path && strlen(path) > 1) {
            size_t pl = strlen(path + 1), ql = strlen(query);
            c->url_secret = malloc(pl + 1 + ql + 1);
            if (c->url_secret)
                snprintf(c->url_secret, pl + ql + 2, "%s?%s", path + 1, query);
        } else {
            c->url_secret = strdup(query);
        }
        if (!c->url_secret)
            rc = err_set(e, E_NOMEM, "out of memory");
    }
out:
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_free(user);
    curl_free(path);
    curl_free(query);
    curl_url_cleanup(u);
    return rc;
}

/* The transfer handle, made at the first question that goes to the node:
 * a client whose every answer comes from the run's memo makes none. */
static err_code need_handle(struct rpc_client *c, struct err *e)
{
    if (c->h)
        return E_OK;
    CURL *h = curl_easy_init();
    if (!h)
        return err_set(e, E_NOMEM, "curl_easy_init failed");
    if (curl_easy_setopt(h, CURLOPT_URL, c->url) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)c->connect_timeout_ms) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)c->timeout_ms) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)c->max_response) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_WRITEDATA, c) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->curl_err) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, c->headers) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_POST, 1L) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_NOPROXY, c->no_proxy) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_USERAGENT, "credential-notary") != CURLE_OK) {
        curl_easy_cleanup(h);
        return err_set(e, E_UNSUPPORTED, "libcurl rejected an option (too old a libcurl?)");
    }
    c->h = h;
    return E_OK;
}

err_code rpc_client_new(const struct rpc_options *opt, struct rpc_client **out, struct err *e)
{
    *out = NULL;
    if (!opt || !opt->url)
        return err_set(e, E_INVALID, "rpc_client_new: no ledger URL given");
    if (net_global_init(e))
        return E_NETWORK;

    struct rpc_client *c = calloc(1, sizeof *c);
    if (!c)
        return err_set(e, E_NOMEM, "out of memory");
    c->connect_timeout_ms = opt->connect_timeout_ms ? opt->connect_timeout_ms
                                                    : RPC_DEFAULT_CONNECT_TIMEOUT_MS;
    c->timeout_ms = opt->timeout_ms ? opt->timeout_ms : RPC_DEFAULT_TIMEOUT_MS;
    c->max_response = opt->max_response_bytes ? opt->max_response_bytes : RPC_DEFAULT_MAX_RESPONSE;
    c->max_attempts = opt->max_attempts ? opt->max_attempts : RPC_DEFAULT_MAX_ATTEMPTS;
    c->base_delay_ms = opt->base_delay_ms ? opt->base_delay_ms : RPC_DEFAULT_BASE_DELAY_MS;
    c->max_delay_ms = opt->max_delay_ms ? opt->max_delay_ms : RPC_DEFAULT_MAX_DELAY_MS;
    c->max_retry_after_ms = opt->max_retry_after_ms ? opt->max_retry_after_ms
                                                    : RPC_DEFAULT_MAX_RETRY_AFTER_MS;
    c->sleep_ms = opt->sleep_ms ? opt->sleep_ms : real_sleep_ms;
    c->jitter = opt->jitter ? opt->jitter : real_jitter;
    c->hook_ctx = opt->hook_ctx;
    c->deadline_ms = opt->deadline_ms;
    c->memo = opt->memo;
    c->next_id = 1;

    err_code rc = parse_url(c, opt->url, e);
    if (rc)
        goto fail;

    const char *tok = opt->bearer_token;
    if (tok && *tok) {
        size_t tl = strnlen(tok, RPC_MAX_TOKEN + 1);
        if (tl > RPC_MAX_TOKEN) {
            rc = err_set(e, E_INVALID, "bearer token is longer than %u bytes", RPC_MAX_TOKEN);
            goto fail;
        }
        if (!valid_token(tok, tl)) {
            /* Say nothing about the token's content, only what is wrong. */
            rc = err_set(e, E_INVALID,
                         "bearer token contains a space or control character (a stray newline "
                         "from the token file?)");
            goto fail;
        }
        c->token = strndup(tok, tl);
        char *hdr = malloc(tl + sizeof "Authorization: Bearer ");
        if (!c->token || !hdr) {
            free(hdr);
            rc = err_set(e, E_NOMEM, "out of memory");
            goto fail;
        }
        snprintf(hdr, tl + sizeof "Authorization: Bearer ", "Authorization: Bearer %s", c->token);
        struct curl_slist *l = curl_slist_append(NULL, hdr);
        wipe_free_str(hdr);
        if (!l) {
            rc = err_set(e, E_NOMEM, "out of memory");
            goto fail;
        }
        c->headers = l;
    }
    static const char *const fixed[] = {
        "Content-Type: application/json", "Accept: application/json",
        "Expect:", /* no 100-continue round trip for larger bodies */
    };
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
        struct curl_slist *l = curl_slist_append(c->headers, fixed[i]);
        if (!l) {
            rc = err_set(e, E_NOMEM, "out of memory");
            goto fail;
        }
        c->headers = l;
    }

    /* A proxy from the environment never applies to a loopback ledger (a
     * local node or test ledger); the user's own no_proxy list is kept. */
    const char *np = getenv("no_proxy");
    if (!np || !*np)
        np = getenv("NO_PROXY");
    if (asprintf(&c->no_proxy, "%s%slocalhost,127.0.0.1,::1", np && *np ? np : "",
                 np && *np ? "," : "") < 0) {
        c->no_proxy = NULL;
        rc = err_set(e, E_NOMEM, "out of memory");
        goto fail;
    }

    *out = c;
    return E_OK;
fail:
    rpc_client_free(c);
    return rc;
}

void rpc_client_free(struct rpc_client *c)
{
    if (!c)
        return;
    if (c->h)
        curl_easy_cleanup(c->h);
    for (struct curl_slist *l = c->headers; l; l = l->next)
        OPENSSL_cleanse(l->data, strlen(l->data));
    curl_slist_free_all(c->headers);
    wipe_free_str(c->token);
    wipe_free_str(c->url_secret);
    free(c->no_proxy);
    OPENSSL_cleanse(c->url, sizeof c->url);
    buf_free(&c->resp);
    buf_free(&c->canned);
    free(c->last.data);
    free(c);
}

err_code rpc_set_response_for_test(struct rpc_client *c, const void *body, size_t len,
                                   struct err *e)
{
    c->canned.len = 0;
    c->use_canned = body != NULL;
    if (body && len && buf_append(&c->canned, body, len) != E_OK) {
        c->use_canned = false;
        return err_set(e, E_NOMEM, "out of memory for a canned response of %zu bytes", len);
    }
    return E_OK;
}

const char *rpc_client_origin(const struct rpc_client *c)
{
    return c->origin;
}

void rpc_get_stats(const struct rpc_client *c, struct rpc_stats *out)
{
    *out = c->stats;
}

const struct rpc_error *rpc_last_error(const struct rpc_client *c)
{
    return &c->last;
}

const char *rpc_reason_name(enum rpc_reason r)
{
    switch (r) {
    case RPC_REASON_OTHER: return "other";
    case RPC_REASON_ALREADY_KNOWN: return "already-known";
    case RPC_REASON_NONCE_TOO_LOW: return "nonce-too-low";
    case RPC_REASON_UNDERPRICED: return "underpriced";
    case RPC_REASON_INSUFFICIENT_FUNDS: return "insufficient-funds";
    case RPC_REASON_REVERT: return "revert";
    case RPC_REASON_METHOD_NOT_FOUND: return "method-not-found";
    }
    return "other";
}

/* ------------------------------------------------------------------------- */
/* JSON-RPC error objects                                                      */

static enum rpc_reason classify(int64_t code, const char *msg)
{
    /* ganache: "the tx doesn't have the correct nonce. account has nonce of:
     * 2 tx has nonce of: 1" — lower than the account's means too low. */
    const char *g = strcasestr(msg, "account has nonce of:");
    if (g) {
        unsigned long long have, tx;
        if (sscanf(g, "account has nonce of: %llu tx has nonce of: %llu", &have, &tx) == 2 &&
            tx < have)
            return RPC_REASON_NONCE_TOO_LOW;
    }
    if (strcasestr(msg, "nonce too low") || strcasestr(msg, "nonce is too low"))
        return RPC_REASON_NONCE_TOO_LOW;
    if (strcasestr(msg, "already known") || strcasestr(msg, "known transaction") ||
        strcasestr(msg, "already imported"))
        return RPC_REASON_ALREADY_KNOWN;
    if (strcasestr(msg, "underpriced") || strcasestr(msg, "minimum gas price"))
        return RPC_REASON_UNDERPRICED;
    if (strcasestr(msg, "insufficient funds") || strcasestr(msg, "exceeds account balance"))
        return RPC_REASON_INSUFFICIENT_FUNDS;
    if (code == 3 || strcasestr(msg, "execution reverted") || strcasestr(msg, "VM Exception") ||
        strcasestr(msg, "revert"))
        return RPC_REASON_REVERT;
    if (code == -32601 || code == -32604 || strcasestr(msg, "method not found") ||
        strcasestr(msg, "does not exist/is not available") || strcasestr(msg, "method not enabled"))
        return RPC_REASON_METHOD_NOT_FOUND;
    return RPC_REASON_OTHER;
}

/* Revert bytes from "data": a hex string (geth, Besu, ganache eth_call) or
 * an object with a hex "data" or "result" (ganache eth_estimateGas). Data
 * that is neither is ignored; it is optional in JSON-RPC 2.0 §5.1. */
static void take_error_data(struct rpc_client *c, json_t *data)
{
    const char *s = json_string_value(data);
    if (!s && json_is_object(data)) {
        s = json_string_value(json_object_get(data, "data"));
        if (!s)
            s = json_string_value(json_object_get(data, "result"));
    }
    if (!s || strncmp(s, "0x", 2) != 0)
        return;
    uint8_t *p;
    size_t n;
    if (hex_decode_alloc(s + 2, strlen(s + 2), false, c->max_response, &p, &n, NULL) == E_OK) {
        c->last.has_data = true;
        c->last.data = p;
        c->last.data_len = n;
    }
}

/* ------------------------------------------------------------------------- */
/* one HTTP attempt                                                            */

/* Why an attempt failed, for the retry loop. */
enum att_kind {
    ATT_TRANSPORT, /* retriable, E_NETWORK when exhausted */
    ATT_HTTP_RETRY,/* retriable status, E_NETWORK when exhausted */
    ATT_MALFORMED, /* unparseable body: retriable, E_PROTOCOL when exhausted */
    ATT_FINAL,     /* not retriable: the code in e stands */
};

static uint64_t retry_after_ms(struct rpc_client *c)
{
    struct curl_header *hh;
    if (curl_easy_header(c->h, "Retry-After", 0, CURLH_HEADER, -1, &hh) != CURLHE_OK)
        return 0;
    /* RFC 9110 §10.2.3: delay-seconds is 1*DIGIT. The HTTP-date form is not
     * honoured (we fall back to our own backoff). */
    const char *v = hh->value;
    while (*v == ' ' || *v == '\t')
        v++;
    uint64_t s = 0;
    int digits = 0;
    for (; *v >= '0' && *v <= '9'; v++) {
        if (++digits > 9)
            return UINT64_MAX; /* absurdly long: more than any limit */
        s = s * 10 + (uint64_t)(*v - '0');
    }
    while (*v == ' ' || *v == '\t')
        v++;
    if (digits == 0 || *v)
        return 0;
    return s * 1000;
}

/* Check the JSON-RPC envelope. On E_OK *result is a new reference. */
static err_code check_envelope(struct rpc_client *c, const char *method, uint64_t id,
                               enum att_kind *kind, json_t **result, struct err *e)
{
    json_t *v = NULL;
    struct err pe = {0};
    err_code rc = jstrict_parse((const char *)c->resp.p, c->resp.len, c->max_response, 0, &v, &pe);
    if (rc) {
        /* A body cut short or replaced by a proxy's error page is worth
         * another try; a node that answers garbage every time is not. */
        c->stats.malformed++;
        c->last.failure = RPC_FAIL_MALFORMED;
        *kind = rc == E_LIMIT ? ATT_FINAL : ATT_MALFORMED;
        /* jansson quotes the offending text ("near '...'"): it is the node's
         * text and could echo a secret, so only the position is kept. */
        char *near = strstr(pe.msg, " near ");
        if (near)
            *near = '\0';
        return err_set(e, E_PROTOCOL, "response to %s is not valid JSON: %s", method, pe.msg);
    }
    *kind = ATT_FINAL;
    c->last.failure = RPC_FAIL_MALFORMED;
    rc = E_PROTOCOL;
    if (!json_is_object(v)) {
        err_set(e, rc, "response to %s is not a JSON object (a batch answer to a single call?)",
                method);
        goto out;
    }
    const char *ver = json_string_value(json_object_get(v, "jsonrpc"));
    if (!ver || strcmp(ver, "2.0") != 0) {
        err_set(e, rc, "response to %s lacks \"jsonrpc\":\"2.0\"", method);
        goto out;
    }
    json_t *jid = json_object_get(v, "id");
    if (!json_is_integer(jid) || json_integer_value(jid) < 0 ||
        (uint64_t)json_integer_value(jid) != id) {
        err_set(e, rc, "response to %s has the wrong id (want %" PRIu64 ")", method, id);
        goto out;
    }
    json_t *res = json_object_get(v, "result"), *er = json_object_get(v, "error");
    if ((res != NULL) == (er != NULL)) {
        err_set(e, rc, "response to %s must have exactly one of \"result\" and \"error\"", method);
        goto out;
    }
    if (er) {
        json_t *code = json_object_get(er, "code");
        const char *msg = json_string_value(json_object_get(er, "message"));
        if (!json_is_object(er) || !json_is_integer(code) || !msg) {
            err_set(e, rc,
                    "response to %s has an \"error\" without an integer \"code\" and a string "
                    "\"message\"",
                    method);
            goto out;
        }
        c->stats.rpc_errors++;
        c->last.failure = RPC_FAIL_JSONRPC;
        c->last.has_code = true;
        c->last.code = json_integer_value(code);
        node_text(c, msg, c->last.message, sizeof c->last.message);
        c->last.reason = classify(c->last.code, c->last.message);
        take_error_data(c, json_object_get(er, "data"));
        err_set(e, rc, "%s failed: JSON-RPC error %" PRId64 ": %s", method, c->last.code,
                c->last.message);
        goto out;
    }
    c->last.failure = RPC_FAIL_NONE;
    *result = json_incref(res);
    rc = E_OK;
out:
    json_decref(v);
    return rc;
}

static err_code attempt_once(struct rpc_client *c, const char *method, uint64_t id,
                             enum att_kind *kind, uint64_t *wait_ms, json_t **result,
                             struct err *e)
{
    *kind = ATT_FINAL;
    *wait_ms = 0;
    c->resp.len = 0;
    c->over_limit = false;
    c->curl_err[0] = '\0';
    c->stats.attempts++;
    c->last.attempts++;

    /* A canned answer (tests, fuzzing) goes through the same write callback,
     * so its size limit and every check below apply unchanged. */
    CURLcode cr = CURLE_OK;
    if (!c->use_canned)
        cr = curl_easy_perform(c->h);
    else if (c->canned.len && on_write((char *)c->canned.p, 1, c->canned.len, c) != c->canned.len)
        cr = CURLE_WRITE_ERROR;
    c->stats.bytes_received += c->resp.len;
    if (cr != CURLE_OK) {
        if (c->over_limit || cr == CURLE_FILESIZE_EXCEEDED) {
            c->last.failure = RPC_FAIL_LIMIT;
            return err_set(e, E_LIMIT, "response to %s exceeds the limit of %zu bytes", method,
                           c->max_response);
        }
        c->stats.transport_errors++;
        c->last.failure = RPC_FAIL_TRANSPORT;
        char detail[CURL_ERROR_SIZE];
        rpc_sanitize(c->curl_err, strlen(c->curl_err), detail, sizeof detail);
        const char *what = curl_easy_strerror(cr);
        switch (cr) {
        case CURLE_PEER_FAILED_VERIFICATION:
        case CURLE_SSL_CACERT_BADFILE:
        case CURLE_SSL_CERTPROBLEM:
        case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
            /* Retrying cannot fix a certificate; do not hide it behind retries. */
            return err_set(e, E_NETWORK, "TLS check of the ledger failed: %s%s%s", what,
                           detail[0] ? ": " : "", detail);
        case CURLE_OUT_OF_MEMORY:
            return err_set(e, E_NOMEM, "out of memory in libcurl");
        default:
            *kind = ATT_TRANSPORT;
            return err_set(e, E_NETWORK, "%s%s%s", what, detail[0] ? ": " : "", detail);
        }
    }
    long status = 200;
    if (!c->use_canned)
        curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &status);
    c->last.http_status = status;
    if (status != 200) {
        c->stats.http_errors++;
        c->last.failure = RPC_FAIL_HTTP;
        if (status == 401 || status == 403) {
            c->last.failure = RPC_FAIL_AUTH;
            return err_set(e, E_STATE,
                           "HTTP %ld for %s: the bearer token is %s; get a fresh token with the "
                           "scope this call needs",
                           status, method,
                           c->token ? "expired, revoked or lacks the scope"
                                    : "missing (none configured)");
        }
        if (status == 429 || status == 503 || status == 408 || (status >= 500 && status <= 599)) {
            *kind = ATT_HTTP_RETRY;
            if (status == 429 || status == 503)
                *wait_ms = retry_after_ms(c);
            return err_set(e, E_NETWORK, "HTTP %ld", status);
        }
        if (status >= 300 && status <= 399)
            return err_set(e, E_PROTOCOL,
                           "HTTP %ld for %s: redirects are not followed; configure the final URL",
                           status, method);
        /* Some nodes (Besu) answer a bad request with 400 and a JSON-RPC
         * error body: keep its code and message when it is one. */
        if (status >= 400 && status <= 499 && c->resp.len) {
            enum att_kind k2;
            json_t *r2 = NULL;
            struct err e2 = {0};
            if (check_envelope(c, method, id, &k2, &r2, &e2) == E_PROTOCOL &&
                c->last.failure == RPC_FAIL_JSONRPC)
                return err_set(e, E_PROTOCOL, "HTTP %ld: %s", status, e2.msg);
            json_decref(r2);
            c->last.failure = RPC_FAIL_HTTP;
        }
        return err_set(e, E_PROTOCOL, "HTTP %ld for %s", status, method);
    }
    return check_envelope(c, method, id, kind, result, e);
}

/* ------------------------------------------------------------------------- */
/* the call with retries                                                       */

static bool valid_method(const char *m)
{
    size_t n = 0;
    for (; m[n]; n++)
        if (n >= 64 || !(isalnum((unsigned char)m[n]) || m[n] == '_'))
            return false;
    return n > 0;
}

static uint64_t backoff_cap(const struct rpc_client *c, unsigned retry_index)
{
    uint64_t cap = c->base_delay_ms;
    for (unsigned i = 0; i < retry_index && cap < c->max_delay_ms; i++)
        cap *= 2;
    return cap < c->max_delay_ms ? cap : c->max_delay_ms;
}

static err_code call_node(struct rpc_client *c, const char *method, json_t *params,
                          const struct rpc_call_opts *opts, json_t **result, struct err *e)
{
    *result = NULL;
    last_reset(c);
    if (!params)
        return err_set(e, E_NOMEM, "%s: could not build the parameters (out of memory)",
                       method ? method : "rpc call");
    if (!method || !valid_method(method)) {
        json_decref(params);
        return err_set(e, E_INVALID, "invalid JSON-RPC method name");
    }
    if (!json_is_array(params) && !json_is_object(params)) {
        json_decref(params);
        return err_set(e, E_INVALID, "%s: params must be an array or an object", method);
    }
    bool retry = opts ? opts->retry : true;
    uint64_t id = c->next_id++;
    json_t *req = json_pack("{s:s,s:I,s:s,s:o}", "jsonrpc", "2.0", "id", (json_int_t)id, "method",
                            method, "params", params); /* steals params, even on error */
    char *body = req ? json_dumps(req, JSON_COMPACT) : NULL;
    json_decref(req);
    if (!body)
        return err_set(e, E_NOMEM, "%s: out of memory building the request", method);
    c->stats.calls++;
    err_code rc = need_handle(c, e);
    if (rc) {
        free(body);
        c->stats.failures++;
        return rc;
    }
    if (curl_easy_setopt(c->h, CURLOPT_POSTFIELDS, body) != CURLE_OK ||
        curl_easy_setopt(c->h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body)) != CURLE_OK) {
        free(body);
        c->stats.failures++;
        return err_set(e, E_NETWORK, "%s: libcurl refused the request body", method);
    }

    rc = E_NETWORK;
    enum att_kind kind = ATT_TRANSPORT;
    struct err ae = {0};
    const char *stop_note = "";
    char note[128];
    for (unsigned attempt = 1;; attempt++) {
        uint64_t wait_ms;
        if (!fit_deadline(c)) {
            if (attempt == 1) {
                free(body);
                c->stats.failures++;
                return err_set(e, E_NETWORK,
                               "ledger at %s not asked (%s): the time limit for the whole run "
                               "had run out",
                               c->origin, method);
            }
            stop_note = " (the time limit for the whole run ran out)";
            break;
        }
        err_clear(&ae);
        rc = attempt_once(c, method, id, &kind, &wait_ms, result, &ae);
        if (rc == E_OK || kind == ATT_FINAL)
            break;
        if (!retry) {
            stop_note = " (not retried, as the caller asked)";
            break;
        }
        if (attempt >= c->max_attempts)
            break;
        uint64_t delay = c->jitter(c->hook_ctx, backoff_cap(c, attempt - 1));
        if (wait_ms > delay) {
            /* RFC 9110 §10.2.3 / RFC 6585 §4: the server says when to come back. */
            if (wait_ms > c->max_retry_after_ms) {
                snprintf(note, sizeof note,
                         " (the ledger asked to retry after %" PRIu64 " s, more than the limit of "
                         "%u s)",
                         wait_ms == UINT64_MAX ? UINT64_MAX / 1000 : wait_ms / 1000,
                         c->max_retry_after_ms / 1000);
                stop_note = note;
                break;
            }
            delay = wait_ms;
        }
        if (c->deadline_ms && rpc_now_ms() + delay >= c->deadline_ms) {
            stop_note = " (the time limit for the whole run ran out)";
            break;
        }
        c->stats.retries++;
        c->sleep_ms(c->hook_ctx, delay);
    }
    free(body);
    if (rc == E_OK)
        return E_OK;

    c->stats.failures++;
    unsigned n = c->last.attempts;
    switch (kind) {
    case ATT_TRANSPORT:
    case ATT_HTTP_RETRY:
        rc = err_set(e, E_NETWORK, "ledger at %s unreachable after %u attempt%s%s (%s): %s",
                     c->origin, n, n == 1 ? "" : "s", stop_note, method, ae.msg);
        break;
    case ATT_MALFORMED:
        rc = err_set(e, E_PROTOCOL, "ledger at %s: %s (after %u attempt%s%s)", c->origin, ae.msg, n,
                     n == 1 ? "" : "s", stop_note);
        break;
    case ATT_FINAL:
        rc = err_set(e, ae.code, "ledger at %s: %s", c->origin, ae.msg);
        break;
    }
    return finish(c, rc, e);
}

/* With a memo, a read-only question is asked once per run (rpc_memo.h). */
err_code rpc_call_ex(struct rpc_client *c, const char *method, json_t *params,
                     const struct rpc_call_opts *opts, json_t **result, struct err *e)
{
    char *key = c->memo && !c->use_canned && params && method && rpc_memo_cacheable(method)
                    ? rpc_memo_key(c->url, c->max_response, method, params) : NULL;
    if (!key)
        return call_node(c, method, params, opts, result, e);
    if (rpc_memo_begin(c->memo, key, result)) {
        last_reset(c);
        json_decref(params);
        free(key);
        return E_OK;
    }
    err_code rc = call_node(c, method, params, opts, result, e);
    rpc_memo_end(c->memo, key, rc ? NULL : *result);
    free(key);
    return rc;
}

err_code rpc_call(struct rpc_client *c, const char *method, json_t *params, json_t **result,
                  struct err *e)
{
    return rpc_call_ex(c, method, params, NULL, result, e);
}

/* ------------------------------------------------------------------------- */
/* for the typed layer                                                         */

err_code rpc_reject_result(struct rpc_client *c, err_code code, struct err *e, const char *fmt, ...)
{
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    c->last.failure = RPC_FAIL_RESULT;
    c->stats.failures++;
    err_set(e, code, "ledger at %s %s", c->origin, what);
    return finish(c, code, e);
}

err_code rpc_scrub_error(struct rpc_client *c, err_code rc, struct err *e)
{
    return finish(c, rc, e);
}

size_t rpc_client_max_response(const struct rpc_client *c)
{
    return c->max_response;
}
