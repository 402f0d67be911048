/*
 * tests/unit/test_fetch.c — anchor/fetch.h, the bounded HTTP(S) GET the
 * verifier uses for a copy of a revocation log, against a scripted HTTP
 * server on loopback (tests/rpc_stub.h): a 200 answer is the document; any
 * other status, a body over the limit (announced or streamed chunked), a
 * scheme other than http/https and a deadline already past are errors; and
 * no message names the URL's user:password, query or fragment.
 * End to end (REVOKED from a copy by URL, refused schemes, a 64 MiB copy):
 * tests/cli/revocation.sh.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anchor/fetch.h"
#include "anchor/rpc.h"
#include "tests/harness.h"
#include "tests/rpc_stub.h"

TEST(url_for_msg_hides_secrets)
{
    char out[256];
    struct {
        const char *url, *want;
    } cases[] = {
        {"https://mirror.example/log.json", "https://mirror.example/log.json"},
        {"https://mirror.example/log.json?key=s3cret#frag", "https://mirror.example/log.json"},
        {"https://alice:s3cret@mirror.example/log.json", "https://mirror.example/log.json"},
        {"http://tok@127.0.0.1:8080/x?y", "http://127.0.0.1:8080/x"},
        {"http://host/path@not-userinfo", "http://host/path@not-userinfo"},
        {"http://a:b@c@host/", "http://host/"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fetch_url_for_msg(cases[i].url, out, sizeof out);
        t_case(strcmp(out, cases[i].want) == 0, cases[i].url, "got \"%s\"", out);
    }
    /* long URLs are cut at 200 characters, user info or not */
    char longurl[400];
    snprintf(longurl, sizeof longurl, "https://u:p@h/%0300d", 0);
    fetch_url_for_msg(longurl, out, sizeof out);
    CHECKF(strlen(out) == 200 && !strstr(out, "u:p"), "long: %zu \"%.40s\"", strlen(out), out);
    /* a small output buffer is filled, not overrun */
    char small[8];
    fetch_url_for_msg("https://mirror.example/", small, sizeof small);
    CHECK_STREQ(small, "https:/");
}

/* GET from a stub answering `reply`, with `max` bytes allowed. */
static err_code get_from(const struct rpc_stub_reply *reply, const char *userinfo, size_t max,
                         uint64_t deadline_ms, struct buf *out, struct err *e)
{
    struct rpc_stub *stub = rpc_stub_start(reply, 1);
    if (!stub)
        return err_set(e, E_IO, "no stub");
    char url[256];
    const char *base = rpc_stub_url(stub); /* http://127.0.0.1:PORT/ */
    snprintf(url, sizeof url, "http://%s%slog.json?token=qu3ry", userinfo ? userinfo : "",
             base + strlen("http://"));
    struct fetch_opts o = {.url = url, .max_bytes = max, .what = "test document",
                           .timeout_ms = 5000, .deadline_ms = deadline_ms};
    err_code rc = fetch_get(&o, out, e);
    rpc_stub_stop(stub);
    rpc_stub_free(stub);
    return rc;
}

TEST(fetch_answers_and_limits)
{
    struct err e = {0};
    struct buf b = {0};
    struct rpc_stub_reply ok = {.status = 200, .body = "{\"log\":1}"};
    CHECK_OK(get_from(&ok, NULL, 64, 0, &b, &e), &e);
    CHECK(b.len == 9 && memcmp(b.p, "{\"log\":1}", 9) == 0);
    buf_free(&b);

    struct rpc_stub_reply missing = {.status = 404, .body = "no"};
    CHECK_ERR(get_from(&missing, NULL, 64, 0, &b, &e), &e, E_NETWORK, "answered HTTP 404");
    CHECK(b.len == 0 && !b.p);

    struct rpc_stub_reply big = {.status = 200, .body = "[", .filler = 100, .tail = "]"};
    CHECK_ERR(get_from(&big, NULL, 64, 0, &b, &e), &e, E_LIMIT,
              "larger than the test document limit of 64 bytes");
    struct rpc_stub_reply big_chunked = {.status = 200, .body = "[", .filler = 100, .tail = "]",
                                         .chunked = true};
    CHECK_ERR(get_from(&big_chunked, NULL, 64, 0, &b, &e), &e, E_LIMIT, "larger than");
    /* exactly the limit is fine */
    struct rpc_stub_reply exact = {.status = 200, .body = "[", .filler = 62, .tail = "]"};
    CHECK_OK(get_from(&exact, NULL, 64, 0, &b, &e), &e);
    CHECK(b.len == 64);
    buf_free(&b);

    /* a deadline already past: a timeout, not a wait */
    struct rpc_stub_reply slow = {.status = 200, .body = "x", .delay_ms = 3000};
    uint64_t t0 = rpc_now_ms();
    CHECK_ERR(get_from(&slow, NULL, 64, t0 > 1 ? t0 - 1 : 1, &b, &e), &e, E_NETWORK,
              "cannot fetch");
    CHECKF(rpc_now_ms() - t0 < 2500, "took %llu ms", (unsigned long long)(rpc_now_ms() - t0));
}

TEST(fetch_messages_keep_secrets)
{
    struct err e = {0};
    struct buf b = {0};
    struct rpc_stub_reply missing = {.status = 403, .body = "no"};
    CHECK_ERR(get_from(&missing, "alice:s3cret@", 64, 0, &b, &e), &e, E_NETWORK,
              "HTTP 403");
    CHECKF(!strstr(e.msg, "s3cret") && !strstr(e.msg, "alice") && !strstr(e.msg, "qu3ry"),
           "message leaks: %s", e.msg);
    CHECK(strstr(e.msg, "log.json"));
}

TEST(fetch_refuses_other_schemes)
{
    struct err e = {0};
    struct buf b = {0};
    struct fetch_opts o = {.url = "ftp://127.0.0.1:9/log.json", .max_bytes = 64};
    CHECK_ERR(fetch_get(&o, &b, &e), &e, E_INVALID, "only http:// and https://");
    o.url = "file:///etc/passwd";
    CHECK_ERR(fetch_get(&o, &b, &e), &e, E_INVALID, "only http:// and https://");
    CHECK(b.len == 0);
}

/* did:web's mode (anchor/did.h): https only, and a redirect is refused with
 * E_PROTOCOL naming where it pointed, instead of being followed. Without
 * no_redirects the same answer is followed (to a closed port here). */
TEST(fetch_https_only_and_no_redirects)
{
    struct err e = {0};
    struct buf b = {0};
    struct fetch_opts o = {.url = "http://127.0.0.1:9/did.json", .max_bytes = 64,
                           .https_only = true};
    CHECK_ERR(fetch_get(&o, &b, &e), &e, E_INVALID, "only https:// URLs");
    const struct rpc_stub_reply moved = {
        .status = 302, .headers = "Location: http://127.0.0.1:9/elsewhere?k=s3cret\r\n", .body = ""};
    const struct rpc_stub_reply twice[2] = {moved, moved};
    struct rpc_stub *stub = rpc_stub_start(twice, 2);
    CHECK(stub);
    char url[256];
    snprintf(url, sizeof url, "%sdid.json", rpc_stub_url(stub));
    struct fetch_opts r = {.url = url, .max_bytes = 64, .no_redirects = true};
    err_code rc = fetch_get(&r, &b, &e);
    struct fetch_opts f = {.url = url, .max_bytes = 64, .timeout_ms = 3000};
    struct err e2 = {0};
    err_code rc2 = fetch_get(&f, &b, &e2);
    rpc_stub_stop(stub);
    rpc_stub_free(stub);
    CHECKF(rc == E_PROTOCOL && strstr(e.msg, "HTTP 302, a redirect to http://127.0.0.1:9/elsewhere;") &&
               !strstr(e.msg, "s3cret"),
           "no_redirects: %d %s", rc, e.msg);
    CHECKF(rc2 == E_NETWORK && strstr(e2.msg, "cannot fetch"), "followed: %d %s", rc2, e2.msg);
    CHECK(b.len == 0);
}
