/*
 * tests/fuzz/fuzz_http.c — libFuzzer target: HTTP request handling of the
 * notary's API server (notary/service/http.c over libmicrohttpd).
 *
 * One server is started on 127.0.0.1 (a free port) with a route table shaped
 * like `notary serve`'s: path parameters, a query argument, bearer-token
 * authentication, a bounded JSON body that the handler parses strictly.
 * Each input is sent as the raw bytes of a client connection (request line,
 * headers, body: whatever the fuzzer makes of them), the write side is shut,
 * and the answer read until the server closes. libmicrohttpd itself is not
 * instrumented; what is exercised under ASan/UBSan is our side: routing,
 * parameter and query extraction, the token check, body size limits, the
 * JSON error answers and the handlers' parsing.
 *
 * FUZZ_HTTP_SHOW=1 prints each answer (for replaying an input by hand).
 *
 * Properties (violations abort): any answer is an HTTP/1.x status line; the
 * token's secret never appears in an answer; no request stays in flight
 * once its connection is closed (checked every 256 inputs).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "fuzz_common.h"

#include "core/bytes.h"
#include "core/json.h"
#include "notary/service/http.h"

#define TOKEN "ntk_fuzz0123456789abcdef"

static bool auth(void *app, const char *tok, size_t len, char *name)
{
    (void)app;
    if (len != strlen(TOKEN) || memcmp(tok, TOKEN, len) != 0)
        return false;
    strcpy(name, "fuzzer");
    return true;
}

/* GET /v1/proofs/{hash}: a 64-hex-digit hash, else 400. */
static void h_proof(struct http_req *r, void *app)
{
    (void)app;
    struct hash32 h;
    struct err e = {0};
    const char *p = http_req_param(r, "hash");
    if (!p || hash32_from_hex(p, &h, &e) != E_OK) {
        http_reply_error(r, 400, "bad_hash", "%s", e.msg[0] ? e.msg : "no hash");
        return;
    }
    char hex[65];
    hash32_to_hex(&h, hex);
    http_reply_json(r, 404, json_pack("{s:s,s:s}", "error", "not_found", "hash", hex));
}

/* GET /v1/batches/{seq}?kind=...: echo what was understood. */
static void h_batch(struct http_req *r, void *app)
{
    (void)app;
    const char *seq = http_req_param(r, "seq"), *kind = http_req_query(r, "kind");
    const char *ua = http_req_header(r, "User-Agent");
    char *end = NULL;
    unsigned long long v = seq ? strtoull(seq, &end, 10) : 0;
    if (!seq || !*seq || *end) {
        http_reply_error(r, 400, "bad_seq", "seq must be a number");
        return;
    }
    http_reply_json(r, 200, json_pack("{s:I,s:s?,s:b}", "seq", (json_int_t)(v & 0x7fffffff),
                                      "kind", kind, "ua", ua != NULL));
}

/* POST /v1/hashes (token): {"hashes": ["<hex>", ...]} parsed strictly. */
static void h_hashes(struct http_req *r, void *app)
{
    (void)app;
    size_t len;
    const uint8_t *body = http_req_body(r, &len);
    json_t *v = NULL;
    struct err e = {0};
    if (jstrict_parse((const char *)body, len, 64 * 1024, 0, &v, &e) != E_OK) {
        http_reply_error(r, 400, "bad_json", "%s", e.msg);
        return;
    }
    json_t *arr = json_object_get(v, "hashes");
    size_t n = json_array_size(arr), good = 0;
    for (size_t i = 0; i < n; i++) {
        struct hash32 h;
        const char *s = json_string_value(json_array_get(arr, i));
        if (s && hash32_from_hex(s, &h, NULL) == E_OK)
            good++;
    }
    json_decref(v);
    http_reply_json(r, 202, json_pack("{s:I,s:s}", "accepted", (json_int_t)good, "client",
                                      http_req_client(r)));
}

static void h_health(struct http_req *r, void *app)
{
    (void)app;
    http_reply_json(r, 200, json_pack("{s:s}", "status", "ok"));
}

static const struct http_route ROUTES[] = {
    {"GET", "/v1/proofs/{hash}", h_proof, false, 0, "a proof"},
    {"GET", "/v1/batches/{seq}", h_batch, false, 0, "a batch"},
    {"POST", "/v1/hashes", h_hashes, true, 4096, "submit hashes"},
    {"GET", "/v1/health", h_health, false, 0, "health"},
};

static struct http_server *g_srv;
static uint16_t g_port;

static void stop_server(void)
{
    http_stop(g_srv);
}

static void start_server(void)
{
    struct http_config cfg = {.listen = "127.0.0.1:0", .routes = ROUTES,
                              .nroutes = sizeof ROUTES / sizeof ROUTES[0], .threads = 2,
                              .timeout_s = 1, .auth = auth};
    struct err e = {0};
    if (http_start(&cfg, &g_srv, &e) != E_OK) {
        fprintf(stderr, "fuzz_http: cannot start the server: %s\n", e.msg);
        abort();
    }
    g_port = http_port(g_srv);
    atexit(stop_server);
}

/* Has one whole answer (head and Content-Length bytes of body) arrived? */
static bool answer_complete(const char *resp, size_t got)
{
    const char *end = memmem(resp, got, "\r\n\r\n", 4);
    if (!end)
        return false;
    size_t head = (size_t)(end - resp) + 4;
    const char *cl = strcasestr(resp, "\r\nContent-Length:");
    if (!cl || cl > end)
        return true; /* no body announced */
    return got >= head + strtoul(cl + 17, NULL, 10);
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!g_srv)
        start_server();
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(g_port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0);
    for (size_t off = 0; off < size;) { /* the server may close early: stop then */
        ssize_t w = send(fd, data + off, size - off, MSG_NOSIGNAL);
        if (w <= 0)
            break;
        off += (size_t)w;
    }
    shutdown(fd, SHUT_WR);
    static char resp[1 << 16];
    size_t got = 0;
    /* Read one answer. A complete request is answered within a millisecond
     * or two; one that is cut short (a body shorter than its Content-Length)
     * is never answered, so do not wait long: the reset below ends it. */
    uint64_t deadline = now_ms() + 40;
    for (;;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        uint64_t t = now_ms();
        if (t >= deadline || poll(&p, 1, (int)(deadline - t)) <= 0)
            break;
        ssize_t n = recv(fd, resp + got, sizeof resp - 1 - got, 0);
        if (n <= 0)
            break;
        got += (size_t)n;
        resp[got] = '\0';
        if (got == sizeof resp - 1 || answer_complete(resp, got))
            break;
    }
    struct linger lg = {.l_onoff = 1, .l_linger = 0}; /* close with RST: the server drops it now */
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close(fd);
    resp[got] = '\0';
    if (getenv("FUZZ_HTTP_SHOW")) /* replaying an input: show the answer */
        fprintf(stderr, "--- answer (%zu bytes) ---\n%s\n", got, resp);
    if (got >= 7)
        REQUIRE(strncmp(resp, "HTTP/1.", 7) == 0);
    REQUIRE(!memmem(resp, got, TOKEN, strlen(TOKEN)) ||
            memmem(data, size, TOKEN, strlen(TOKEN)) != NULL);
    /* Every request of a closed connection ends (answered or dropped):
     * checked every 256 inputs, allowing the 1 s idle timeout to pass many
     * times over (a loaded machine can starve the server's threads; stay
     * under run.sh's 10 s per-input timeout). */
    static unsigned count;
    if (++count % 256 == 0) {
        for (int i = 0; i < 8000 && http_in_flight(g_srv) != 0; i++)
            usleep(1000);
        if (http_in_flight(g_srv) != 0)
            fprintf(stderr, "fuzz_http: %u requests still in flight 8 s after their connections "
                            "closed\n", http_in_flight(g_srv));
        REQUIRE(http_in_flight(g_srv) == 0);
    }
    return 0;
}
