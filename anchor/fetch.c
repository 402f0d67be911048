/* anchor/fetch.c — see fetch.h. */
#define _GNU_SOURCE
#include "anchor/fetch.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "anchor/net.h"
#include "anchor/rpc.h"

#define FETCH_DEFAULT_TIMEOUT_MS 60000u
#define FETCH_CONNECT_TIMEOUT_MS 5000L
#define FETCH_MAX_REDIRECTS 3L

struct sink {
    struct buf b;
    size_t max;
    bool too_big;
};

static size_t on_data(char *p, size_t size, size_t nmemb, void *arg)
{
    struct sink *f = arg;
    size_t n = size * nmemb;
    if (f->b.len + n > f->max) {
        f->too_big = true;
        return 0; /* aborts the transfer */
    }
    return buf_append(&f->b, p, n) == E_OK ? n : 0;
}

void fetch_url_for_msg(const char *url, char *out, size_t n)
{
    size_t k = strcspn(url, "?#"); /* a query or fragment may hold a key */
    /* user:password@ in the authority is a secret too: leave it out */
    size_t skip_from = 0, skip_to = 0;
    const char *sep = strstr(url, "://");
    if (sep && (size_t)(sep - url) < k) {
        size_t auth = (size_t)(sep - url) + 3;
        size_t auth_end = auth + strcspn(url + auth, "/?#");
        for (size_t i = auth; i < auth_end; i++)
            if (url[i] == '@') {
                skip_from = auth;
                skip_to = i + 1;
            }
    }
    int head = (int)skip_from;
    size_t rest = k - skip_to;
    if ((size_t)head + rest > 200)
        rest = 200 > (size_t)head ? 200 - (size_t)head : 0;
    snprintf(out, n, "%.*s%.*s", head, url, (int)rest, url + skip_to);
}

/* The transfer's time limit: o->timeout_ms (or the default), cut to what
 * is left of the deadline (1 ms when it has passed: the transfer then
 * fails as a timeout). */
static unsigned time_limit_ms(const struct fetch_opts *o)
{
    unsigned t = o->timeout_ms ? o->timeout_ms : FETCH_DEFAULT_TIMEOUT_MS;
    if (o->deadline_ms) {
        uint64_t now = rpc_now_ms();
        uint64_t left = now < o->deadline_ms ? o->deadline_ms - now : 1;
        t = left < t ? (unsigned)left : t;
    }
    return t;
}

err_code fetch_get(const struct fetch_opts *o, struct buf *out, struct err *e)
{
    char shown[256];
    memset(out, 0, sizeof *out);
    fetch_url_for_msg(o->url, shown, sizeof shown);
    if (net_global_init(e))
        return E_NETWORK;
    CURL *h = curl_easy_init();
    if (!h)
        return err_set(e, E_NOMEM, "out of memory for a transfer");
    struct sink f = {.max = o->max_bytes, .too_big = false};
    char cerr[CURL_ERROR_SIZE] = "";
    /* Loopback is never proxied: a local mirror or test server. */
    char *noproxy = NULL;
    const char *np = getenv("no_proxy");
    if (asprintf(&noproxy, "%s%slocalhost,127.0.0.1,::1", np && *np ? np : "",
                 np && *np ? "," : "") < 0)
        noproxy = NULL;
    long code = 0;
    CURLcode cr = CURLE_OK;
    const char *protos = o->https_only ? "https" : "http,https";
    struct curl_slist *resolve = NULL;
    for (size_t i = 0; i < o->n_resolve; i++) {
        struct curl_slist *t = curl_slist_append(resolve, o->resolve[i]);
        if (!t) {
            curl_slist_free_all(resolve);
            curl_easy_cleanup(h);
            free(noproxy);
            return err_set(e, E_NOMEM, "out of memory for a transfer");
        }
        resolve = t;
    }
    char *location = NULL;
    if ((cr = curl_easy_setopt(h, CURLOPT_URL, o->url)) ||
        (cr = curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, protos)) ||
        (cr = curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, protos)) ||
        (cr = curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, o->no_redirects ? 0L : 1L)) ||
        (o->ca_file && (cr = curl_easy_setopt(h, CURLOPT_CAINFO, o->ca_file))) ||
        (resolve && (cr = curl_easy_setopt(h, CURLOPT_RESOLVE, resolve))) ||
        (cr = curl_easy_setopt(h, CURLOPT_MAXREDIRS, FETCH_MAX_REDIRECTS)) ||
        (cr = curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L)) ||
        (cr = curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, FETCH_CONNECT_TIMEOUT_MS)) ||
        (cr = curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)time_limit_ms(o))) ||
        (cr = curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)o->max_bytes)) ||
        (cr = curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data)) ||
        (cr = curl_easy_setopt(h, CURLOPT_WRITEDATA, &f)) ||
        (cr = curl_easy_setopt(h, CURLOPT_ERRORBUFFER, cerr)) ||
        (noproxy && (cr = curl_easy_setopt(h, CURLOPT_NOPROXY, noproxy))) ||
        (cr = curl_easy_setopt(h, CURLOPT_USERAGENT, "credential-notary-verifier")) ||
        (cr = curl_easy_perform(h)) ||
        (cr = curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code))) {
    }
    char where[256] = "";
    if (o->status)
        *o->status = cr == CURLE_OK ? code : 0;
    if (cr == CURLE_OK && o->no_redirects && code >= 300 && code < 400 &&
        curl_easy_getinfo(h, CURLINFO_REDIRECT_URL, &location) == CURLE_OK && location)
        fetch_url_for_msg(location, where, sizeof where);
    curl_easy_cleanup(h);
    curl_slist_free_all(resolve);
    free(noproxy);
    err_code rc = E_OK;
    if (f.too_big || cr == CURLE_FILESIZE_EXCEEDED)
        rc = err_set(e, E_LIMIT, "%s: larger than the %s limit of %zu bytes", shown,
                     o->what ? o->what : "download", o->max_bytes);
    else if (cr == CURLE_UNSUPPORTED_PROTOCOL)
        rc = err_set(e, E_INVALID, "%s: only %s are fetched", shown,
                     o->https_only ? "https:// URLs" : "http:// and https://");
    else if (cr == CURLE_OK && o->no_redirects && code >= 300 && code < 400)
        rc = err_set(e, E_PROTOCOL, "%s: the server answered HTTP %ld, a redirect%s%s; it is not "
                     "followed", shown, code, where[0] ? " to " : "", where);
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
