/*
 * tests/unit/test_serve.c — the parts of `notary serve` that can be tested
 * in-process: bearer tokens (stored as hashes, constant-time check, reload),
 * the scheduler's daily time arithmetic, the Prometheus rendering, and the
 * HTTP layer (notary/service/http.h) through real requests with libcurl against a
 * server on a free loopback port: routing, 404/405, path parameters, body
 * limits, authentication, deferred answers resumed from another thread,
 * quiesce and drain; the request-head deadline and the per-address
 * connection limit over raw sockets. The full service is tested by tests/cli/serve.sh.
 */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/bytes.h"
#include "notary/service/http.h"
#include "notary/service/metrics.h"
#include "notary/service/proofcache.h"
#include "notary/service/scheduler.h"
#include "notary/service/slog.h"
#include "notary/store/store.h"
#include "notary/service/tokens.h"
#include "tests/harness.h"

static struct store *fresh_store(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s.db", t_tmpdir(), name);
    struct store *s = NULL;
    struct err e = {0};
    if (store_open(path, true, &s, &e) != E_OK)
        fprintf(stderr, "store_open: %s\n", e.msg);
    return s;
}

TEST(tokens_generate_format)
{
    char a[TOKENS_LEN + 1], b[TOKENS_LEN + 1];
    struct err e = {0};
    CHECK_OK(tokens_generate(a, &e), &e);
    CHECK_OK(tokens_generate(b, &e), &e);
    CHECK(strlen(a) == TOKENS_LEN);
    CHECK(strncmp(a, TOKENS_PREFIX, 4) == 0);
    for (size_t i = 4; i < TOKENS_LEN; i++)
        CHECKF((a[i] >= '0' && a[i] <= '9') || (a[i] >= 'a' && a[i] <= 'f'), "char %zu", i);
    CHECK(strcmp(a, b) != 0);
}

TEST(tokens_names)
{
    CHECK(tokens_name_ok("registrar"));
    CHECK(tokens_name_ok("sis.prod-1_a"));
    CHECK(!tokens_name_ok(""));
    CHECK(!tokens_name_ok("has space"));
    CHECK(!tokens_name_ok("quote\""));
    CHECK(!tokens_name_ok("new\nline"));
    char longname[80];
    memset(longname, 'a', 65);
    longname[65] = '\0';
    CHECK(!tokens_name_ok(longname));
    longname[64] = '\0';
    CHECK(tokens_name_ok(longname));
}

TEST(tokens_check_and_reload)
{
    struct store *s = fresh_store("tokens");
    CHECK(s);
    struct err e = {0};
    char t1[TOKENS_LEN + 1], t2[TOKENS_LEN + 1], name[TOKENS_NAME_MAX + 1];
    CHECK_OK(tokens_add(s, "alice", t1, &e), &e);
    CHECK_ERR(tokens_add(s, "alice", t2, &e), &e, E_STATE, "exists already");
    CHECK_ERR(tokens_add(s, "bad name", t2, &e), &e, E_INVALID, "token name");
    CHECK_OK(tokens_add(s, "bob", t2, &e), &e);
    struct tokens *tk;
    CHECK_OK(tokens_load(s, &tk, &e), &e);
    CHECK(tokens_count(tk) == 2);
    CHECK(tokens_check(tk, t1, strlen(t1), name) && strcmp(name, "alice") == 0);
    CHECK(tokens_check(tk, t2, strlen(t2), name) && strcmp(name, "bob") == 0);
    /* Near misses: one character changed, a prefix, an extension, empty. */
    char near[TOKENS_LEN + 2];
    memcpy(near, t1, sizeof t1);
    near[10] = near[10] == 'a' ? 'b' : 'a';
    CHECK(!tokens_check(tk, near, strlen(near), NULL));
    CHECK(!tokens_check(tk, t1, TOKENS_LEN - 1, NULL));
    memcpy(near, t1, TOKENS_LEN);
    near[TOKENS_LEN] = '0';
    near[TOKENS_LEN + 1] = '\0';
    CHECK(!tokens_check(tk, near, TOKENS_LEN + 1, NULL));
    CHECK(!tokens_check(tk, "", 0, NULL));
    /* The stored value is the hash, not the token. */
    struct store_token *v;
    size_t n;
    CHECK_OK(store_token_list(s, &v, &n, &e), &e);
    struct hash32 h;
    tokens_hash(t1, strlen(t1), &h);
    bool found = false;
    for (size_t i = 0; i < n; i++)
        found |= hash32_eq(&v[i].hash, &h);
    free(v);
    CHECK(found);
    /* Removal takes effect on reload. */
    CHECK_OK(store_token_remove(s, "alice", &e), &e);
    CHECK_ERR(store_token_remove(s, "alice", &e), &e, E_NOT_FOUND, "no token named");
    CHECK(tokens_check(tk, t1, strlen(t1), NULL));
    CHECK_OK(tokens_reload(tk, s, &e), &e);
    CHECK(!tokens_check(tk, t1, strlen(t1), NULL));
    CHECK(tokens_check(tk, t2, strlen(t2), NULL));
    tokens_free(tk);
    store_close(s);
}

/* A cache miss loads a batch whole only once its misses would have cost as
 * much as loading it (each ~2^LEVELS_SHIFT leaves), never one larger than
 * the cache; other batches' misses are counted apart. */
TEST(proof_cache_loads_when_worth_it)
{
    struct pcache c;
    pcache_init(&c, 5000);
    struct store_batch small = {.seq = 1, .size = 1000}, mid = {.seq = 2, .size = 3000},
                       huge = {.seq = 3, .size = 5001};
    bool ok = pcache_should_load(&c, &small);          /* 1 miss costs a whole load */
    ok = ok && !pcache_should_load(&c, &mid) && !pcache_should_load(&c, &mid);
    ok = ok && pcache_should_load(&c, &small);          /* counted apart */
    ok = ok && pcache_should_load(&c, &mid);           /* 3 x 1024 >= 3000 */
    for (int i = 0; i < 20 && ok; i++)
        ok = !pcache_should_load(&c, &huge);           /* larger than the cache */
    pcache_free(&c);
    CHECK(ok);
}

TEST(scheduler_daily_time)
{
    /* 2026-11-22T10:30:00Z = 1795343400 */
    int64_t t = 1795343400;
    t_case(scheduler_next_daily(t, 0) == 1795392000, "midnight next day", "%lld",
           (long long)scheduler_next_daily(t, 0));
    t_case(scheduler_next_daily(t, 11 * 60) == 1795345200, "later today", "%lld",
           (long long)scheduler_next_daily(t, 11 * 60));
    t_case(scheduler_next_daily(t, 10 * 60 + 30) == t + 86400, "exactly now is tomorrow", "%lld",
           (long long)scheduler_next_daily(t, 10 * 60 + 30));
    t_case(scheduler_next_daily(t, 23 * 60 + 59) == 1795391940, "23:59 today", "%lld",
           (long long)scheduler_next_daily(t, 23 * 60 + 59));
    t_case(scheduler_next_daily(1795392000 - 1, 0) == 1795392000, "one second before midnight",
           "%lld", (long long)scheduler_next_daily(1795392000 - 1, 0));
}

TEST(scrub_endpoint_for_public_errors)
{
    char host[64], out[200];
    slog_url_host("https://user:pw@node.example:8545/v3/KEY?x=1", host, sizeof host);
    t_case(strcmp(host, "node.example") == 0, "host of a URL with user, port, path", "%s", host);
    slog_url_host("http://[::1]:8545", host, sizeof host);
    t_case(strcmp(host, "::1") == 0, "host of an IPv6 URL", "%s", host);
    slog_url_host("not a url", host, sizeof host);
    t_case(host[0] == '\0', "no host without a scheme", "%s", host);
    static const struct {
        const char *in, *host, *want;
    } cases[] = {
        {"ledger at http://127.0.0.1:8545: Couldn't connect to server: Failed to connect to "
         "127.0.0.1 port 8545 after 0 ms: Couldn't connect to server (after 2 attempts)",
         "127.0.0.1",
         "ledger at [endpoint]: Couldn't connect to server: Failed to connect to [endpoint] after "
         "0 ms: Couldn't connect to server (after 2 attempts)"},
        {"Could not resolve host: NODE.example", "node.example", "Could not resolve host: [endpoint]"},
        {"see https://a.example/x?k=1.", NULL, "see [endpoint]."},
        {"the contract expects batch 0 next, not 1", "node.example",
         "the contract expects batch 0 next, not 1"},
        {"node.example:8545 refused", "node.example", "[endpoint] refused"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        slog_scrub_endpoint(cases[i].in, cases[i].host, out, sizeof out);
        t_case(strcmp(out, cases[i].want) == 0, cases[i].in, "got '%s'", out);
    }
    slog_scrub_endpoint("0123456789", NULL, out, 5);
    t_case(strcmp(out, "0123") == 0, "cut to the buffer", "%s", out);
}

TEST(metrics_render_text)
{
    static const char *const routes[] = {"GET /a", "POST /b"};
    struct metrics *m = metrics_new(routes, 2);
    CHECK(m);
    metrics_http(m, 0, 200, 0.001);
    metrics_http(m, 1, 413, 0.002);
    metrics_http(m, 7, 404, 0.0001); /* unmatched */
    metrics_http(m, 0, 418, 0.0001); /* an unlisted status */
    metrics_submitted(m, 10, 7);
    metrics_batch_closed(m, 1000);
    metrics_anchored(m, 42);
    metrics_anchor_failure(m, METRICS_ANCHOR_NETWORK);
    metrics_conn_dropped(m, METRICS_CONN_PER_ADDRESS, 3);
    metrics_conn_dropped(m, METRICS_CONN_HEAD_TIMEOUT, 1);
    struct buf b = {0};
    struct err e = {0};
    CHECK_OK(metrics_render(m, &b, &e), &e);
    const char *t = (const char *)b.p;
    const char *want[] = {
        "notary_submitted_hashes_total 10\n",
        "notary_submitted_new_hashes_total 7\n",
        "notary_submit_requests_total 1\n",
        "notary_batch_size_bucket{le=\"1000\"} 1\n",
        "notary_batch_size_bucket{le=\"100\"} 0\n",
        "notary_anchor_latency_seconds_bucket{le=\"60\"} 1\n",
        "notary_anchor_latency_seconds_bucket{le=\"30\"} 0\n",
        "notary_anchor_runs_total 1\n",
        "notary_anchor_failures_total{reason=\"network\"} 1\n",
        "notary_http_connections_dropped_total{reason=\"per_address\"} 3\n",
        "notary_http_connections_dropped_total{reason=\"server_full\"} 0\n",
        "notary_http_connections_dropped_total{reason=\"head_timeout\"} 1\n",
        "notary_http_requests_total{route=\"GET /a\",status=\"200\"} 1\n",
        "notary_http_requests_total{route=\"POST /b\",status=\"413\"} 1\n",
        "notary_http_requests_total{route=\"unmatched\",status=\"404\"} 1\n",
        "notary_http_requests_total{route=\"GET /a\",status=\"other\"} 1\n",
        "notary_http_request_duration_seconds_count 4\n",
        "# TYPE notary_batch_size histogram\n",
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        t_case(strstr(t, want[i]) != NULL, want[i], "missing from:\n%s", t);
    buf_free(&b);
    metrics_free(m);
}

/* ---- the HTTP layer over real requests -------------------------------------- */

struct app {
    pthread_t thread;
    bool started;
};

static void r_echo(struct http_req *r, void *app)
{
    http_reply_json(r, 200, json_pack("{s:s}", "x", http_req_param(r, "x")));
}

static void r_body(struct http_req *r, void *app)
{
    size_t n;
    const uint8_t *b = http_req_body(r, &n);
    http_reply_json(r, 200, json_pack("{s:I, s:s}", "len", (json_int_t)n, "client",
                                      http_req_client(r)));
    (void)b;
}

static void *resumer(void *arg)
{
    usleep(50000);
    http_resume(arg);
    return NULL;
}

static void r_defer(struct http_req *r, void *app)
{
    struct app *a = app;
    if (http_req_resumed(r)) {
        http_reply_json(r, 200, json_pack("{s:b}", "resumed", 1));
        return;
    }
    http_defer(r);
    a->started = pthread_create(&a->thread, NULL, resumer, r) == 0;
}

static bool auth(void *app, const char *token, size_t len, char *name)
{
    if (len == 6 && memcmp(token, "secret", 6) == 0) {
        strcpy(name, "tester");
        return true;
    }
    return false;
}

static const struct http_route ROUTES[] = {
    {"GET", "/t/{x}", r_echo, false, 0, ""},
    {"POST", "/body", r_body, false, 100, ""},
    {"POST", "/auth", r_body, true, 100, ""},
    {"GET", "/defer", r_defer, false, 0, ""},
};

struct resp {
    long status;
    char body[2048];
    size_t len;
};

static size_t on_data(char *p, size_t sz, size_t n, void *arg)
{
    struct resp *r = arg;
    size_t k = sz * n;
    if (r->len + k < sizeof r->body) {
        memcpy(r->body + r->len, p, k);
        r->len += k;
        r->body[r->len] = '\0';
    }
    return k;
}

/* One request; returns the status (0 if the transfer failed). */
static long request(uint16_t port, const char *method, const char *path, const char *body,
                    long body_len, const char *header, struct resp *out)
{
    memset(out, 0, sizeof *out);
    CURL *c = curl_easy_init();
    char url[256];
    snprintf(url, sizeof url, "http://127.0.0.1:%u%s", (unsigned)port, path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 3L); /* after quiesce a connect waits in the backlog */
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
    struct curl_slist *h = NULL;
    if (header)
        h = curl_slist_append(h, header);
    h = curl_slist_append(h, "Expect:");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, body_len);
    }
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return out->status;
}

static bool has(const struct resp *r, const char *s) { return strstr(r->body, s) != NULL; }

TEST(http_routes_limits_auth_defer)
{
    struct app a = {0};
    struct http_config cfg = {.listen = "127.0.0.1:0", .routes = ROUTES,
                              .nroutes = sizeof ROUTES / sizeof ROUTES[0], .threads = 2,
                              .app = &a, .auth = auth};
    struct http_server *s;
    struct err e = {0};
    CHECK_OK(http_start(&cfg, &s, &e), &e);
    uint16_t port = http_port(s);
    CHECK(port != 0);
    struct resp r;
    char big[300];
    memset(big, 'x', sizeof big);

    t_case(request(port, "GET", "/t/abc", NULL, 0, NULL, &r) == 200 && has(&r, "\"x\":\"abc\""),
           "path parameter", "%ld %s", r.status, r.body);
    t_case(request(port, "GET", "/t/", NULL, 0, NULL, &r) == 404, "empty parameter: 404", "%ld",
           r.status);
    t_case(request(port, "GET", "/t/abc", NULL, 0, "Host:", &r) == 400 &&
               has(&r, "invalid_request") && has(&r, "Host"),
           "HTTP/1.1 without Host: 400", "%ld %s", r.status, r.body);
    t_case(request(port, "GET", "/t/abc%00", NULL, 0, NULL, &r) == 400 &&
               has(&r, "invalid_request"),
           "an escaped NUL in the path: 400", "%ld %s", r.status, r.body);
    t_case(request(port, "GET", "/t/abc?q=%00", NULL, 0, NULL, &r) == 400,
           "an escaped NUL in the query: 400", "%ld %s", r.status, r.body);
    t_case(request(port, "GET", "/t/a%2500", NULL, 0, NULL, &r) == 200 && has(&r, "a%00"),
           "an escaped percent sign followed by 00 is no NUL", "%ld %s", r.status, r.body);
    t_case(request(port, "GET", "/t/a/b", NULL, 0, NULL, &r) == 404, "extra segment: 404", "%ld",
           r.status);
    t_case(request(port, "GET", "/nothing", NULL, 0, NULL, &r) == 404 &&
               has(&r, "\"error\":\"not_found\""),
           "unknown route: 404 not_found", "%ld %s", r.status, r.body);
    t_case(request(port, "GET", "/body", NULL, 0, NULL, &r) == 405 &&
               has(&r, "method_not_allowed"),
           "wrong method: 405", "%ld %s", r.status, r.body);
    t_case(request(port, "POST", "/body", "hello", 5, NULL, &r) == 200 && has(&r, "\"len\":5"),
           "body read", "%ld %s", r.status, r.body);
    t_case(request(port, "POST", "/body", big, 100, NULL, &r) == 200 && has(&r, "\"len\":100"),
           "body at the limit", "%ld %s", r.status, r.body);
    t_case(request(port, "POST", "/body", big, 101, NULL, &r) == 413 &&
               has(&r, "body_too_large"),
           "body over the limit: 413", "%ld %s", r.status, r.body);
    t_case(request(port, "POST", "/body", big, 300, "Transfer-Encoding: chunked", &r) != 200,
           "chunked body over the limit refused", "%ld %s", r.status, r.body);
    t_case(request(port, "GET", "/t/x", "a", 1, NULL, &r) == 413,
           "a body where none is allowed: 413", "%ld %s", r.status, r.body);
    t_case(request(port, "POST", "/auth", "a", 1, NULL, &r) == 401 && has(&r, "unauthorized"),
           "no token: 401 unauthorized", "%ld %s", r.status, r.body);
    t_case(request(port, "POST", "/auth", "a", 1, "Authorization: Bearer secreT", &r) == 401 &&
               has(&r, "invalid_token"),
           "wrong token: 401 invalid_token", "%ld %s", r.status, r.body);
    t_case(request(port, "POST", "/auth", "a", 1, "Authorization: Basic c2VjcmV0", &r) == 401,
           "other scheme: 401", "%ld %s", r.status, r.body);
    t_case(request(port, "POST", "/auth", "a", 1, "Authorization: Bearer secret", &r) == 200 &&
               has(&r, "\"client\":\"tester\""),
           "right token: 200 with the client name", "%ld %s", r.status, r.body);
    t_case(request(port, "GET", "/defer", NULL, 0, NULL, &r) == 200 && has(&r, "resumed"),
           "deferred answer resumed from another thread", "%ld %s", r.status, r.body);
    if (a.started)
        pthread_join(a.thread, NULL);
    CHECK(http_drain(s, 1000));
    CHECK(http_in_flight(s) == 0);
    http_quiesce(s);
    t_case(request(port, "GET", "/t/abc", NULL, 0, NULL, &r) != 200,
           "after quiesce no new connection is served", "%ld", r.status);
    http_stop(s);
}

TEST(http_bad_listen)
{
    struct http_config cfg = {.routes = ROUTES, .nroutes = 1};
    struct http_server *s;
    struct err e = {0};
    const char *bad[] = {"127.0.0.1", "127.0.0.1:99999", "127.0.0.1:x", "[::1]8080",
                         "no.such.host.invalid:80"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cfg.listen = bad[i];
        err_code rc = http_start(&cfg, &s, &e);
        t_case(rc == E_INVALID, bad[i], "%s: %s", err_name(rc), e.msg);
        if (rc == E_OK)
            http_stop(s);
    }
}

/* ---- slow clients: head deadline and per-address limit -------------------- */

static int raw_connect(uint16_t port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Seconds until the server closes `fd` (reads until EOF or reset), sending
 * one more head byte every 200 ms; -1 if still open after `max_s`. */
static double dribble_until_closed(int fd, double max_s)
{
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        clock_gettime(CLOCK_MONOTONIC, &t);
        double dt = (double)(t.tv_sec - t0.tv_sec) + (double)(t.tv_nsec - t0.tv_nsec) / 1e9;
        if (dt > max_s)
            return -1;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 200) > 0) {
            char b[256];
            if (recv(fd, b, sizeof b, 0) <= 0)
                return dt;
        }
        if (send(fd, "a", 1, MSG_NOSIGNAL) < 0)
            return dt;
    }
}

TEST(http_head_deadline_and_per_address_limit)
{
    struct http_config cfg = {.listen = "127.0.0.1:0", .routes = ROUTES,
                              .nroutes = sizeof ROUTES / sizeof ROUTES[0], .threads = 2,
                              .timeout_s = 30, .head_timeout_s = 1, .per_ip_connections = 2,
                              .auth = auth};
    struct http_server *s;
    struct err e = {0};
    CHECK_OK(http_start(&cfg, &s, &e), &e);
    uint16_t port = http_port(s);
    int a = raw_connect(port), b = raw_connect(port);
    CHECK(a >= 0 && b >= 0);
    CHECK(send(a, "GET /t/x HTTP/1.1\r\nHost: x\r\nX-Slow: ", 36, MSG_NOSIGNAL) == 36);
    usleep(200000); /* both are accepted and counted before the third comes */
    int c = raw_connect(port);
    double dc = c >= 0 ? dribble_until_closed(c, 0.8) : 0;
    t_case(dc >= 0 && dc < 0.8, "a third connection from one address is closed at once",
           "closed after %.2f s", dc);
    /* The idle timeout (30 s) restarts with every byte; the head deadline
     * (1 s) does not. */
    double da = dribble_until_closed(a, 4);
    t_case(da >= 0.5 && da < 2.5, "a head trickling in is cut at the head deadline",
           "closed after %.2f s", da);
    /* A complete request is answered, and the kept-alive connection gets a
     * new deadline for its next head. */
    usleep(300000); /* a and b were cut: let the server finish closing them */
    int d = raw_connect(port);
    const char req[] = "GET /t/y HTTP/1.1\r\nHost: x\r\n\r\n";
    CHECK(d >= 0 && send(d, req, sizeof req - 1, MSG_NOSIGNAL) == (ssize_t)(sizeof req - 1));
    char buf[512] = "";
    ssize_t n = recv(d, buf, sizeof buf - 1, 0);
    t_case(n > 12 && strncmp(buf, "HTTP/1.1 200", 12) == 0, "a complete head is served",
           "%s", buf);
    double dd = dribble_until_closed(d, 4);
    t_case(dd >= 0.5 && dd < 2.5, "a kept-alive connection's next head has its own deadline",
           "closed after %.2f s", dd);
    close(a);
    close(b);
    if (c >= 0)
        close(c);
    close(d);
    http_stop(s);
}
