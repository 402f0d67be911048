/*
 * anchor/rpc.c — Ethereum JSON-RPC 2.0 client; see rpc.h for the contract.
 *
 * Layout: client set-up (URL checks, one curl easy handle kept for
 * connection reuse), one HTTP attempt (attempt_once: transport, status,
 * envelope checks), the retry loop (rpc_call_ex), then strict field parsers
 * and the typed helpers built on them.
 *
 * The JSON-RPC envelope rules are JSON-RPC 2.0 §5: a response has
 * "jsonrpc":"2.0", the request's id, and exactly one of "result"/"error";
 * an error has an integer "code", a string "message" and optional "data".
 * Value encodings are the Ethereum execution-apis conventions: QUANTITY is
 * "0x" + hex without leading zeros ("0x0" for zero), DATA is "0x" + an even
 * number of hex digits.
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

#include "core/hash.h"
#include "core/json.h"

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

/* Copy untrusted text for a message: printable ASCII only, at most `max`-1 chars. */
static void sanitize(const char *in, size_t inlen, char *out, size_t max)
{
    size_t j = 0;
    for (size_t i = 0; i < inlen && j + 1 < max; i++) {
        unsigned char ch = (unsigned char)in[i];
        out[j++] = (ch >= 0x20 && ch < 0x7f) ? (char)ch : '?';
    }
    if (inlen > 0 && j + 1 >= max && j >= 3)
        memcpy(out + j - 3, "...", 3);
    out[j] = '\0';
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
    sanitize(copy, strlen(copy), out, max);
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

const char *rpc_url_redact(const char *url, char *out, size_t max)
{
    if (!max)
        return out;
    snprintf(out, max, "(not a valid http(s) URL)");
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL, *port = NULL, *path = NULL, *query = NULL;
    if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK) {
        bool secret = (curl_url_get(u, CURLUPART_PATH, &path, 0) == CURLUE_OK && strlen(path) > 1) ||
                      curl_url_get(u, CURLUPART_QUERY, &query, 0) == CURLUE_OK;
        snprintf(out, max, "%s://%s:%s%s", scheme, host, port, secret ? "/***" : "");
    }
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_free(path);
    curl_free(query);
    curl_url_cleanup(u);
    return out;
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

    c->h = curl_easy_init();
    if (!c->h) {
        rc = err_set(e, E_NOMEM, "curl_easy_init failed");
        goto fail;
    }
    CURL *h = c->h;
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
        rc = err_set(e, E_UNSUPPORTED, "libcurl rejected an option (too old a libcurl?)");
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
        sanitize(c->curl_err, strlen(c->curl_err), detail, sizeof detail);
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

err_code rpc_call_ex(struct rpc_client *c, const char *method, json_t *params,
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
    if (curl_easy_setopt(c->h, CURLOPT_POSTFIELDS, body) != CURLE_OK ||
        curl_easy_setopt(c->h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body)) != CURLE_OK) {
        free(body);
        c->stats.failures++;
        return err_set(e, E_NETWORK, "%s: libcurl refused the request body", method);
    }

    err_code rc = E_NETWORK;
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

err_code rpc_call(struct rpc_client *c, const char *method, json_t *params, json_t **result,
                  struct err *e)
{
    return rpc_call_ex(c, method, params, NULL, result, e);
}

/* ------------------------------------------------------------------------- */
/* strict value parsing                                                        */

static int hexval(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/* QUANTITY of at most `maxdigits` hex digits → big-endian into out[outlen]
 * (outlen*2 >= maxdigits). Returns a static description of the problem or NULL. */
static const char *qty_check(const char *s, size_t maxdigits)
{
    if (!s)
        return "is not a string";
    if (s[0] != '0' || s[1] != 'x')
        return "lacks the 0x prefix";
    const char *d = s + 2;
    size_t n = strlen(d);
    if (n == 0)
        return "has no digits (\"0x\" is not a quantity; zero is \"0x0\")";
    for (size_t i = 0; i < n; i++)
        if (hexval(d[i]) < 0)
            return "has a non-hex character";
    if (n > 1 && d[0] == '0')
        return "has leading zeros";
    if (n > maxdigits)
        return maxdigits == 16 ? "exceeds 64 bits" : "exceeds 256 bits";
    return NULL;
}

err_code rpc_parse_quantity(const char *s, uint64_t *out, struct err *e)
{
    *out = 0;
    const char *bad = qty_check(s, 16);
    if (bad) {
        char shown[40];
        sanitize(s ? s : "", s ? strlen(s) : 0, shown, sizeof shown);
        return err_set(e, E_INVALID, "quantity \"%s\" %s", shown, bad);
    }
    uint64_t v = 0;
    for (const char *d = s + 2; *d; d++)
        v = (v << 4) | (uint64_t)hexval(*d);
    *out = v;
    return E_OK;
}

char *rpc_format_quantity(uint64_t v, char out[RPC_QTY_BUF])
{
    snprintf(out, RPC_QTY_BUF, "0x%" PRIx64, v);
    return out;
}

static bool valid_block_param(const char *b, bool allow_pending)
{
    if (!b)
        return false;
    static const char *const tags[] = {"latest", "earliest", "safe", "finalized"};
    for (size_t i = 0; i < sizeof tags / sizeof tags[0]; i++)
        if (strcmp(b, tags[i]) == 0)
            return true;
    if (strcmp(b, "pending") == 0)
        return allow_pending;
    return qty_check(b, 16) == NULL;
}

/* Context for checking a result: names the call and the field in messages. */
struct pctx {
    struct rpc_client *c;
    struct err *e;
    const char *method;
};

static err_code bad(struct pctx *p, const char *where, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static err_code bad(struct pctx *p, const char *where, const char *key, const char *fmt, ...)
{
    char what[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    p->c->last.failure = RPC_FAIL_RESULT;
    p->c->stats.failures++;
    err_set(p->e, E_PROTOCOL, "ledger at %s answered %s with an invalid %s%s%s: %s", p->c->origin,
            p->method, where, key ? "." : "", key ? key : "", what);
    return finish(p->c, E_PROTOCOL, p->e);
}

/* Field `key` of `obj` (or `obj` itself when key is NULL). JSON null and a
 * missing key are both "absent". */
static json_t *field(const json_t *obj, const char *key)
{
    json_t *v = key ? json_object_get(obj, key) : (json_t *)obj;
    return json_is_null(v) ? NULL : v;
}

/* present == NULL: the field is required. */
static err_code f_qty(struct pctx *p, const char *where, const json_t *obj, const char *key,
                      uint64_t *out, bool *present)
{
    *out = 0;
    json_t *v = field(obj, key);
    if (present)
        *present = v != NULL;
    if (!v)
        return present ? E_OK : bad(p, where, key, "missing");
    const char *s = json_string_value(v);
    const char *why = s ? qty_check(s, 16) : "is not a string";
    if (why) {
        /* Echo short values only: a real quantity has at most 18 characters,
         * and a long one is the node's text, not worth showing (or leaking). */
        if (!s || strlen(s) > 24)
            return bad(p, where, key, "quantity %s", why);
        char shown[32];
        sanitize(s, strlen(s), shown, sizeof shown);
        return bad(p, where, key, "quantity \"%s\" %s", shown, why);
    }
    return rpc_parse_quantity(s, out, NULL);
}

static err_code f_u256(struct pctx *p, const char *where, const json_t *obj, const char *key,
                       uint8_t out[32])
{
    memset(out, 0, 32);
    json_t *v = field(obj, key);
    if (!v)
        return bad(p, where, key, "missing");
    const char *s = json_string_value(v);
    const char *why = qty_check(s, 64);
    if (why)
        return bad(p, where, key, "quantity %s", why);
    const char *d = s + 2;
    size_t n = strlen(d);
    for (size_t i = 0; i < n; i++) {
        size_t pos = n - 1 - i; /* nibble index from the right */
        out[31 - pos / 2] |= (uint8_t)(hexval(d[i]) << (pos % 2 ? 4 : 0));
    }
    return E_OK;
}

static err_code f_fixed(struct pctx *p, const char *where, const json_t *obj, const char *key,
                        uint8_t *out, size_t want, bool *present)
{
    json_t *v = field(obj, key);
    if (present)
        *present = v != NULL;
    if (!v)
        return present ? E_OK : bad(p, where, key, "missing");
    const char *s = json_string_value(v);
    if (!s)
        return bad(p, where, key, "not a string");
    if (strncmp(s, "0x", 2) != 0)
        return bad(p, where, key, "lacks the 0x prefix");
    if (strlen(s + 2) != want * 2)
        return bad(p, where, key, "expected %zu bytes (%zu hex digits), got %zu hex digits", want,
                   want * 2, strlen(s + 2));
    struct err he = {0};
    if (hex_decode_exact(s + 2, want * 2, false, out, want, &he))
        return bad(p, where, key, "%s", he.msg);
    return E_OK;
}

static err_code f_hash(struct pctx *p, const char *where, const json_t *obj, const char *key,
                       struct hash32 *out, bool *present)
{
    memset(out, 0, sizeof *out);
    return f_fixed(p, where, obj, key, out->b, 32, present);
}

static err_code f_addr(struct pctx *p, const char *where, const json_t *obj, const char *key,
                       struct addr20 *out, bool *present)
{
    memset(out, 0, sizeof *out);
    return f_fixed(p, where, obj, key, out->b, 20, present);
}

static err_code f_data(struct pctx *p, const char *where, const json_t *obj, const char *key,
                       uint8_t **out, size_t *outlen)
{
    *out = NULL;
    *outlen = 0;
    json_t *v = field(obj, key);
    if (!v)
        return bad(p, where, key, "missing");
    const char *s = json_string_value(v);
    if (!s)
        return bad(p, where, key, "not a string");
    if (strncmp(s, "0x", 2) != 0)
        return bad(p, where, key, "lacks the 0x prefix");
    struct err he = {0};
    err_code rc = hex_decode_alloc(s + 2, strlen(s + 2), false, p->c->max_response, out, outlen, &he);
    if (rc == E_NOMEM)
        return err_set(p->e, E_NOMEM, "out of memory");
    if (rc)
        return bad(p, where, key, "%s", he.msg);
    return E_OK;
}

/* ------------------------------------------------------------------------- */
/* typed helpers                                                               */

static err_code call_qty(struct rpc_client *c, const char *method, json_t *params, uint64_t *out,
                         struct err *e)
{
    *out = 0;
    json_t *r;
    err_code rc = rpc_call(c, method, params, &r, e);
    if (rc)
        return rc;
    struct pctx p = {c, e, method};
    rc = f_qty(&p, "result", r, NULL, out, NULL);
    json_decref(r);
    return rc;
}

err_code rpc_chain_id(struct rpc_client *c, uint64_t *out, struct err *e)
{
    return call_qty(c, "eth_chainId", json_array(), out, e);
}

err_code rpc_block_number(struct rpc_client *c, uint64_t *out, struct err *e)
{
    return call_qty(c, "eth_blockNumber", json_array(), out, e);
}

err_code rpc_gas_price(struct rpc_client *c, uint64_t *wei, struct err *e)
{
    return call_qty(c, "eth_gasPrice", json_array(), wei, e);
}

err_code rpc_max_priority_fee(struct rpc_client *c, uint64_t *wei, struct err *e)
{
    err_code rc = call_qty(c, "eth_maxPriorityFeePerGas", json_array(), wei, e);
    if (rc == E_PROTOCOL && c->last.failure == RPC_FAIL_JSONRPC &&
        c->last.reason == RPC_REASON_METHOD_NOT_FOUND)
        return finish(c,
                      err_set(e, E_UNSUPPORTED,
                              "ledger at %s does not support eth_maxPriorityFeePerGas (%s); use "
                              "eth_gasPrice or a configured tip",
                              c->origin, c->last.message),
                      e);
    return rc;
}

static err_code bad_block_param(struct err *e, const char *method, const char *block)
{
    char shown[40];
    sanitize(block ? block : "(null)", block ? strlen(block) : 6, shown, sizeof shown);
    return err_set(e, E_INVALID,
                   "%s: block \"%s\" is neither a tag (latest, earliest, safe, finalized%s) nor a "
                   "quantity",
                   method, shown, strcmp(method, "eth_getBlockByNumber") ? ", pending" : "");
}

err_code rpc_get_transaction_count(struct rpc_client *c, const struct addr20 *addr,
                                   const char *block, uint64_t *out, struct err *e)
{
    *out = 0;
    if (!valid_block_param(block, true))
        return bad_block_param(e, "eth_getTransactionCount", block);
    char a[43];
    addr20_to_hex(addr, a);
    return call_qty(c, "eth_getTransactionCount", json_pack("[s,s]", a, block), out, e);
}

static err_code parse_block(struct pctx *p, const json_t *r, struct rpc_block *out)
{
    memset(out, 0, sizeof *out);
    if (!json_is_object(r))
        return bad(p, "result", NULL, "not a block object");
    err_code rc;
    if ((rc = f_qty(p, "result", r, "number", &out->number, NULL)) ||
        (rc = f_hash(p, "result", r, "hash", &out->hash, NULL)) ||
        (rc = f_hash(p, "result", r, "parentHash", &out->parent_hash, NULL)) ||
        (rc = f_qty(p, "result", r, "timestamp", &out->timestamp, NULL)) ||
        (rc = f_qty(p, "result", r, "gasLimit", &out->gas_limit, NULL)) ||
        (rc = f_qty(p, "result", r, "baseFeePerGas", &out->base_fee_per_gas, &out->has_base_fee)))
        return rc;
    return E_OK;
}

static err_code get_block(struct rpc_client *c, const char *method, json_t *params,
                          struct rpc_block *out, struct err *e)
{
    json_t *r;
    err_code rc = rpc_call(c, method, params, &r, e);
    if (rc)
        return rc;
    struct pctx p = {c, e, method};
    if (json_is_null(r))
        rc = err_set(e, E_NOT_FOUND, "ledger at %s has no such block", c->origin);
    else
        rc = parse_block(&p, r, out);
    json_decref(r);
    return rc;
}

err_code rpc_get_block_by_number(struct rpc_client *c, const char *block, struct rpc_block *out,
                                 struct err *e)
{
    memset(out, 0, sizeof *out);
    if (!valid_block_param(block, false))
        return bad_block_param(e, "eth_getBlockByNumber", block);
    err_code rc = get_block(c, "eth_getBlockByNumber", json_pack("[s,b]", block, 0), out, e);
    if (rc)
        return rc;
    uint64_t want;
    if (rpc_parse_quantity(block, &want, NULL) == E_OK && out->number != want) {
        struct pctx p = {c, e, "eth_getBlockByNumber"};
        uint64_t got = out->number;
        memset(out, 0, sizeof *out);
        return bad(&p, "result", "number", "block %" PRIu64 " asked for, %" PRIu64 " answered",
                   want, got);
    }
    return E_OK;
}

err_code rpc_get_block_by_hash(struct rpc_client *c, const struct hash32 *hash,
                               struct rpc_block *out, struct err *e)
{
    memset(out, 0, sizeof *out);
    char h[67];
    hash32_to_hex0x(hash, h);
    err_code rc = get_block(c, "eth_getBlockByHash", json_pack("[s,b]", h, 0), out, e);
    if (rc == E_OK && !hash32_eq(&out->hash, hash)) {
        struct pctx p = {c, e, "eth_getBlockByHash"};
        memset(out, 0, sizeof *out);
        return bad(&p, "result", "hash", "not the hash asked for");
    }
    return rc;
}

err_code rpc_send_raw_transaction(struct rpc_client *c, const uint8_t *raw, size_t len, bool retry,
                                  struct hash32 *txhash, struct err *e)
{
    keccak256(raw, len, txhash);
    if (len == 0)
        return err_set(e, E_INVALID, "eth_sendRawTransaction: empty transaction");
    if (len > RPC_MAX_RAW_TX)
        return err_set(e, E_LIMIT,
                       "eth_sendRawTransaction: transaction of %zu bytes exceeds the limit of %u",
                       len, RPC_MAX_RAW_TX);
    char *hex = malloc(2 * len + 3);
    if (!hex)
        return err_set(e, E_NOMEM, "out of memory");
    memcpy(hex, "0x", 2);
    hex_encode(raw, len, hex + 2);
    json_t *params = json_pack("[s]", hex);
    free(hex);
    struct rpc_call_opts o = {.retry = retry};
    json_t *r;
    err_code rc = rpc_call_ex(c, "eth_sendRawTransaction", params, &o, &r, e);
    if (rc)
        return rc;
    struct pctx p = {c, e, "eth_sendRawTransaction"};
    struct hash32 got;
    rc = f_hash(&p, "result", r, NULL, &got, NULL);
    json_decref(r);
    if (rc == E_OK && !hash32_eq(&got, txhash))
        rc = bad(&p, "result", NULL, "transaction hash is not keccak256 of the bytes sent");
    return rc;
}

void rpc_tx_free(struct rpc_tx *tx)
{
    if (tx) {
        free(tx->input);
        memset(tx, 0, sizeof *tx);
    }
}

err_code rpc_get_transaction(struct rpc_client *c, const struct hash32 *hash, struct rpc_tx *out,
                             struct err *e)
{
    memset(out, 0, sizeof *out);
    char h[67];
    hash32_to_hex0x(hash, h);
    const char *m = "eth_getTransactionByHash";
    json_t *r;
    err_code rc = rpc_call(c, m, json_pack("[s]", h), &r, e);
    if (rc)
        return rc;
    struct pctx p = {c, e, m};
    const char *w = "result";
    uint64_t type = 0;
    bool has_type, has_bh, has_bn, has_ti, has_mf, has_mp;
    if (json_is_null(r)) {
        rc = err_set(e, E_NOT_FOUND, "ledger at %s does not know transaction %s", c->origin, h);
        goto out;
    }
    if (!json_is_object(r)) {
        rc = bad(&p, w, NULL, "not a transaction object");
        goto out;
    }
    if ((rc = f_hash(&p, w, r, "hash", &out->hash, NULL)) ||
        (rc = f_addr(&p, w, r, "from", &out->from, NULL)) ||
        (rc = f_addr(&p, w, r, "to", &out->to, &out->has_to)) ||
        (rc = f_qty(&p, w, r, "nonce", &out->nonce, NULL)) ||
        (rc = f_qty(&p, w, r, "gas", &out->gas, NULL)) ||
        (rc = f_u256(&p, w, r, "value", out->value)) ||
        (rc = f_data(&p, w, r, "input", &out->input, &out->input_len)) ||
        (rc = f_qty(&p, w, r, "type", &type, &has_type)) ||
        (rc = f_qty(&p, w, r, "gasPrice", &out->gas_price, &out->has_gas_price)) ||
        (rc = f_qty(&p, w, r, "maxFeePerGas", &out->max_fee_per_gas, &has_mf)) ||
        (rc = f_qty(&p, w, r, "maxPriorityFeePerGas", &out->max_priority_fee_per_gas, &has_mp)) ||
        (rc = f_qty(&p, w, r, "chainId", &out->chain_id, &out->has_chain_id)) ||
        (rc = f_hash(&p, w, r, "blockHash", &out->block_hash, &has_bh)) ||
        (rc = f_qty(&p, w, r, "blockNumber", &out->block_number, &has_bn)) ||
        (rc = f_qty(&p, w, r, "transactionIndex", &out->tx_index, &has_ti)))
        goto out;
    if (type > 0xff) {
        rc = bad(&p, w, "type", "%" PRIu64 " is not a transaction type (EIP-2718: 0..0x7f)", type);
        goto out;
    }
    out->type = (uint8_t)type;
    out->has_fee_caps = has_mf && has_mp;
    if (has_bh != has_bn || has_bh != has_ti) {
        rc = bad(&p, w, "blockHash", "blockHash, blockNumber and transactionIndex must be all set "
                                     "(mined) or all null (pending)");
        goto out;
    }
    out->mined = has_bh;
    if (!hash32_eq(&out->hash, hash))
        rc = bad(&p, w, "hash", "not the hash asked for");
out:
    json_decref(r);
    if (rc)
        rpc_tx_free(out);
    return rc;
}

void rpc_logs_free(struct rpc_log *logs, size_t n)
{
    if (!logs)
        return;
    for (size_t i = 0; i < n; i++)
        free(logs[i].data);
    free(logs);
}

static err_code parse_log(struct pctx *p, const char *where, const json_t *v, struct rpc_log *l)
{
    memset(l, 0, sizeof *l);
    if (!json_is_object(v))
        return bad(p, where, NULL, "not a log object");
    err_code rc;
    if ((rc = f_addr(p, where, v, "address", &l->address, NULL)) ||
        (rc = f_data(p, where, v, "data", &l->data, &l->data_len)) ||
        (rc = f_qty(p, where, v, "blockNumber", &l->block_number, NULL)) ||
        (rc = f_hash(p, where, v, "blockHash", &l->block_hash, NULL)) ||
        (rc = f_hash(p, where, v, "transactionHash", &l->tx_hash, NULL)) ||
        (rc = f_qty(p, where, v, "transactionIndex", &l->tx_index, NULL)) ||
        (rc = f_qty(p, where, v, "logIndex", &l->log_index, NULL)))
        return rc;
    json_t *rm = json_object_get(v, "removed");
    if (rm && !json_is_boolean(rm))
        return bad(p, where, "removed", "not a boolean");
    l->removed = json_is_true(rm);
    json_t *t = json_object_get(v, "topics");
    if (!json_is_array(t))
        return bad(p, where, "topics", "not an array");
    if (json_array_size(t) > 4) /* LOG0..LOG4 */
        return bad(p, where, "topics", "%zu topics, at most 4 exist", json_array_size(t));
    for (size_t i = 0; i < json_array_size(t); i++) {
        char w[96];
        snprintf(w, sizeof w, "%s.topics[%zu]", where, i);
        if ((rc = f_hash(p, w, json_array_get(t, i), NULL, &l->topics[i], NULL)))
            return rc;
    }
    l->ntopics = (unsigned)json_array_size(t);
    return E_OK;
}

/* Parse a JSON array of logs (count limit first). */
static err_code parse_logs(struct pctx *p, const char *where, const json_t *arr,
                           struct rpc_log **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (!json_is_array(arr))
        return bad(p, where, NULL, "not an array");
    size_t cnt = json_array_size(arr);
    if (cnt > RPC_MAX_LOGS) {
        p->c->last.failure = RPC_FAIL_RESULT;
        p->c->stats.failures++;
        return finish(p->c,
                      err_set(p->e, E_LIMIT,
                              "ledger at %s answered %s with %zu logs, more than the limit of %u; "
                              "query a smaller block range",
                              p->c->origin, p->method, cnt, RPC_MAX_LOGS),
                      p->e);
    }
    if (cnt == 0)
        return E_OK;
    struct rpc_log *logs = calloc(cnt, sizeof *logs);
    if (!logs)
        return err_set(p->e, E_NOMEM, "out of memory for %zu logs", cnt);
    for (size_t i = 0; i < cnt; i++) {
        char w[64];
        snprintf(w, sizeof w, "%s[%zu]", where, i);
        err_code rc = parse_log(p, w, json_array_get(arr, i), &logs[i]);
        if (rc) {
            rpc_logs_free(logs, i + 1);
            return rc;
        }
    }
    *out = logs;
    *n = cnt;
    return E_OK;
}

void rpc_receipt_free(struct rpc_receipt *r)
{
    if (r) {
        rpc_logs_free(r->logs, r->nlogs);
        memset(r, 0, sizeof *r);
    }
}

err_code rpc_get_receipt(struct rpc_client *c, const struct hash32 *txhash,
                         struct rpc_receipt *out, struct err *e)
{
    memset(out, 0, sizeof *out);
    char h[67];
    hash32_to_hex0x(txhash, h);
    const char *m = "eth_getTransactionReceipt";
    json_t *r;
    err_code rc = rpc_call(c, m, json_pack("[s]", h), &r, e);
    if (rc)
        return rc;
    struct pctx p = {c, e, m};
    const char *w = "result";
    uint64_t status = 0;
    if (json_is_null(r)) {
        rc = err_set(e, E_NOT_FOUND,
                     "ledger at %s has no receipt for %s (not mined yet, dropped, or unknown)",
                     c->origin, h);
        goto out;
    }
    if (!json_is_object(r)) {
        rc = bad(&p, w, NULL, "not a receipt object");
        goto out;
    }
    if ((rc = f_hash(&p, w, r, "transactionHash", &out->tx_hash, NULL)) ||
        (rc = f_qty(&p, w, r, "blockNumber", &out->block_number, NULL)) ||
        (rc = f_hash(&p, w, r, "blockHash", &out->block_hash, NULL)) ||
        (rc = f_qty(&p, w, r, "transactionIndex", &out->tx_index, NULL)) ||
        (rc = f_qty(&p, w, r, "gasUsed", &out->gas_used, NULL)) ||
        (rc = f_qty(&p, w, r, "status", &status, &out->has_status)) ||
        (rc = f_addr(&p, w, r, "contractAddress", &out->contract_address,
                     &out->has_contract_address)))
        goto out;
    /* EIP-658: status is 1 (success) or 0 (failure), nothing else. */
    if (out->has_status && status > 1) {
        rc = bad(&p, w, "status", "%" PRIu64 " is neither 0x0 nor 0x1", status);
        goto out;
    }
    out->status_ok = out->has_status && status == 1;
    if (!hash32_eq(&out->tx_hash, txhash)) {
        rc = bad(&p, w, "transactionHash", "not the hash asked for");
        goto out;
    }
    if ((rc = parse_logs(&p, "result.logs", json_object_get(r, "logs"), &out->logs, &out->nlogs)))
        goto out;
    for (size_t i = 0; i < out->nlogs; i++) {
        const struct rpc_log *l = &out->logs[i];
        if (!hash32_eq(&l->block_hash, &out->block_hash) || !hash32_eq(&l->tx_hash, txhash) ||
            l->block_number != out->block_number) {
            char wi[48];
            snprintf(wi, sizeof wi, "result.logs[%zu]", i);
            rc = bad(&p, wi, NULL, "names another block or transaction than its receipt");
            goto out;
        }
    }
out:
    json_decref(r);
    if (rc)
        rpc_receipt_free(out);
    return rc;
}

static json_t *callmsg_json(const struct rpc_callmsg *msg)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    char a[43], q[RPC_QTY_BUF];
    int bad_set = 0;
    if (msg->from) {
        addr20_to_hex(msg->from, a);
        bad_set |= json_object_set_new(o, "from", json_string(a));
    }
    if (msg->to) {
        addr20_to_hex(msg->to, a);
        bad_set |= json_object_set_new(o, "to", json_string(a));
    }
    if (msg->gas)
        bad_set |= json_object_set_new(o, "gas", json_string(rpc_format_quantity(msg->gas, q)));
    if (msg->data_len) {
        char *hex = malloc(2 * msg->data_len + 3);
        if (!hex) {
            json_decref(o);
            return NULL;
        }
        memcpy(hex, "0x", 2);
        hex_encode(msg->data, msg->data_len, hex + 2);
        bad_set |= json_object_set_new(o, "data", json_string(hex));
        free(hex);
    }
    if (bad_set) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static err_code call_data(struct rpc_client *c, const char *method, json_t *params, uint8_t **out,
                          size_t *outlen, struct err *e)
{
    *out = NULL;
    *outlen = 0;
    json_t *r;
    err_code rc = rpc_call(c, method, params, &r, e);
    if (rc)
        return rc;
    struct pctx p = {c, e, method};
    rc = f_data(&p, "result", r, NULL, out, outlen);
    json_decref(r);
    return rc;
}

err_code rpc_eth_call(struct rpc_client *c, const struct rpc_callmsg *msg, const char *block,
                      uint8_t **out, size_t *outlen, struct err *e)
{
    *out = NULL;
    *outlen = 0;
    if (!valid_block_param(block, true))
        return bad_block_param(e, "eth_call", block);
    json_t *m = callmsg_json(msg);
    return call_data(c, "eth_call", m ? json_pack("[o,s]", m, block) : NULL, out, outlen, e);
}

err_code rpc_estimate_gas(struct rpc_client *c, const struct rpc_callmsg *msg, uint64_t *gas,
                          struct err *e)
{
    json_t *m = callmsg_json(msg);
    return call_qty(c, "eth_estimateGas", m ? json_pack("[o]", m) : NULL, gas, e);
}

err_code rpc_get_code(struct rpc_client *c, const struct addr20 *addr, const char *block,
                      uint8_t **out, size_t *outlen, struct err *e)
{
    *out = NULL;
    *outlen = 0;
    if (!valid_block_param(block, true))
        return bad_block_param(e, "eth_getCode", block);
    char a[43];
    addr20_to_hex(addr, a);
    return call_data(c, "eth_getCode", json_pack("[s,s]", a, block), out, outlen, e);
}

err_code rpc_get_logs(struct rpc_client *c, const struct rpc_log_filter *f, struct rpc_log **logs,
                      size_t *n, struct err *e)
{
    *logs = NULL;
    *n = 0;
    const char *m = "eth_getLogs";
    const char *from = f->from_block ? f->from_block : "earliest";
    const char *to = f->to_block ? f->to_block : "latest";
    if (!valid_block_param(from, true))
        return bad_block_param(e, m, from);
    if (!valid_block_param(to, true))
        return bad_block_param(e, m, to);
    if (f->ntopics > 4)
        return err_set(e, E_INVALID, "eth_getLogs: %u topic positions, at most 4 exist",
                       f->ntopics);
    uint64_t from_n = 0, to_n = UINT64_MAX;
    bool from_num = rpc_parse_quantity(from, &from_n, NULL) == E_OK;
    bool to_num = rpc_parse_quantity(to, &to_n, NULL) == E_OK;
    if (!from_num)
        from_n = 0;
    if (!to_num)
        to_n = UINT64_MAX;
    if (from_n > to_n)
        return err_set(e, E_INVALID, "eth_getLogs: fromBlock %" PRIu64 " is after toBlock %" PRIu64,
                       from_n, to_n);

    json_t *flt = json_pack("{s:s,s:s}", "fromBlock", from, "toBlock", to);
    json_t *topics = json_array();
    int fail = !flt || !topics;
    char hx[67];
    if (!fail && f->address) {
        char a[43];
        addr20_to_hex(f->address, a);
        fail |= json_object_set_new(flt, "address", json_string(a));
    }
    for (unsigned i = 0; !fail && i < f->ntopics; i++) {
        if (f->topics[i]) {
            hash32_to_hex0x(f->topics[i], hx);
            fail |= json_array_append_new(topics, json_string(hx));
        } else {
            fail |= json_array_append_new(topics, json_null());
        }
    }
    if (!fail && f->ntopics) {
        fail |= json_object_set_new(flt, "topics", topics);
        topics = NULL;
    }
    json_decref(topics);
    if (fail) {
        json_decref(flt);
        flt = NULL;
    }
    json_t *r;
    err_code rc = rpc_call(c, m, flt ? json_pack("[o]", flt) : NULL, &r, e);
    if (rc)
        return rc;
    struct pctx p = {c, e, m};
    struct rpc_log *out = NULL;
    size_t cnt = 0;
    rc = parse_logs(&p, "result", r, &out, &cnt);
    json_decref(r);
    if (rc)
        return rc;
    /* A node must not slip in logs the filter excludes (the verifier trusts
     * what it gets here only as far as the filter says). */
    for (size_t i = 0; i < cnt; i++) {
        const struct rpc_log *l = &out[i];
        const char *why = NULL;
        if (f->address && !addr20_eq(&l->address, f->address))
            why = "is from another contract than the filter's";
        for (unsigned t = 0; !why && t < f->ntopics; t++)
            if (f->topics[t] && (t >= l->ntopics || !hash32_eq(&l->topics[t], f->topics[t])))
                why = "does not match the filter's topics";
        if (!why && (l->block_number < from_n || l->block_number > to_n))
            why = "lies outside the filter's block range";
        if (why) {
            char wi[48];
            snprintf(wi, sizeof wi, "result[%zu]", i);
            rpc_logs_free(out, cnt);
            return bad(&p, wi, NULL, "log %s", why);
        }
    }
    *logs = out;
    *n = cnt;
    return E_OK;
}
