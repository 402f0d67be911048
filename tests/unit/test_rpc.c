/*
 * tests/unit/test_rpc.c — the JSON-RPC client (anchor/rpc.h).
 *
 * Two halves:
 *  - failure paths against a scripted HTTP responder (tests/rpc_stub.h): retries,
 *    backoff and Retry-After (sleeps recorded through the injected hooks, no
 *    waiting), auth failures, malformed/truncated/oversized/slow answers,
 *    hostile result shapes, the token kept out of every message;
 *  - the happy path and real node errors against a real local ganache: chain
 *    id, nonces, blocks, a signed transfer and a contract deployment (anchor/tx.h),
 *    receipts, logs, eth_call, reverts.
 */
#define _GNU_SOURCE
#include <stdlib.h>

#include <openssl/crypto.h>

#include "anchor/eth.h"
#include "anchor/rlp.h"
#include "anchor/rpc.h"
#include "anchor/signer.h"
#include "anchor/tx.h"
#include "core/hash.h"
#include "tests/harness.h"
#include "tests/ledger.h"
#include "tests/rpc_stub.h"

/* ------------------------------------------------------------------------- */
/* fixtures                                                                    */

#define A8 "aaaaaaaa"
#define B8 "bbbbbbbb"
#define C8 "cccccccc"
#define E8 "eeeeeeee"
#define HASH_A "0x" A8 A8 A8 A8 A8 A8 A8 A8
#define HASH_B "0x" B8 B8 B8 B8 B8 B8 B8 B8
#define HASH_C "0x" C8 C8 C8 C8 C8 C8 C8 C8
#define HASH_E "0x" E8 E8 E8 E8 E8 E8 E8 E8
#define ADDR_D "0xdddddddddddddddddddddddddddddddddddddddd"
#define ADDR_F "0xffffffffffffffffffffffffffffffffffffffff"

#define OK(res) "{\"jsonrpc\":\"2.0\",\"id\":{{id}},\"result\":" res "}"
#define RPCERR(code, msg) "{\"jsonrpc\":\"2.0\",\"id\":{{id}},\"error\":{\"code\":" code ",\"message\":" msg "}}"

#define SCRIPT(...)                                                                                \
    (const struct rpc_stub_reply[]){__VA_ARGS__},                                                  \
        sizeof((const struct rpc_stub_reply[]){__VA_ARGS__}) / sizeof(struct rpc_stub_reply)

static const char *const TOKEN = "tok-Zq81xV0pL3mN7bC5dF2gH4jK6";

/* Injected hooks: record every backoff sleep and every jitter cap. */
struct hooks {
    uint64_t sleeps[64];
    unsigned nsleeps;
    uint64_t caps[64];
    unsigned ncaps;
};
static void h_sleep(void *ctx, uint64_t ms)
{
    struct hooks *h = ctx;
    if (h->nsleeps < 64)
        h->sleeps[h->nsleeps++] = ms;
}
static uint64_t h_jitter_max(void *ctx, uint64_t cap)
{
    struct hooks *h = ctx;
    if (h->ncaps < 64)
        h->caps[h->ncaps++] = cap;
    return cap; /* deterministic: the top of the full-jitter range */
}

struct fx {
    struct rpc_stub *stub;
    struct rpc_client *c;
    struct hooks h;
    struct err e;
};

/* A stub answering `script` and a client for it: base delay 100 ms, cap
 * 250 ms, `attempts` attempts, optional token. */
static bool fx_start_opts(struct fx *f, const struct rpc_stub_reply *script, size_t n,
                          struct rpc_options o)
{
    memset(f, 0, sizeof *f);
    f->stub = rpc_stub_start(script, n);
    if (!f->stub)
        return false;
    o.url = rpc_stub_url(f->stub);
    if (!o.base_delay_ms)
        o.base_delay_ms = 100;
    if (!o.max_delay_ms)
        o.max_delay_ms = 250;
    if (!o.timeout_ms)
        o.timeout_ms = 5000;
    o.sleep_ms = h_sleep;
    if (!o.jitter)
        o.jitter = h_jitter_max;
    if (o.jitter == (void *)1)
        o.jitter = NULL; /* the real, random one */
    o.hook_ctx = &f->h;
    if (rpc_client_new(&o, &f->c, &f->e) != E_OK) {
        rpc_stub_free(f->stub);
        return false;
    }
    return true;
}
static bool fx_start(struct fx *f, const struct rpc_stub_reply *script, size_t n,
                     unsigned attempts, const char *token)
{
    return fx_start_opts(f, script, n,
                         (struct rpc_options){.max_attempts = attempts, .bearer_token = token});
}
static void fx_end(struct fx *f)
{
    rpc_client_free(f->c);
    rpc_stub_free(f->stub);
    f->c = NULL;
    f->stub = NULL;
}
/* Stop the stub so its request count is final. */
static unsigned fx_requests(struct fx *f)
{
    rpc_stub_stop(f->stub);
    return rpc_stub_requests(f->stub);
}

/* ------------------------------------------------------------------------- */
/* values and options                                                          */

TEST(rpc_quantity_strict)
{
    static const struct { const char *in; uint64_t want; const char *err; } v[] = {
        {"0x0", 0, NULL},
        {"0x1", 1, NULL},
        {"0x539", 1337, NULL},
        {"0xABCdef", 0xabcdef, NULL},
        {"0xffffffffffffffff", UINT64_MAX, NULL},
        {"0x", 0, "no digits"},
        {"0x00", 0, "leading zeros"},
        {"0x0539", 0, "leading zeros"},
        {"539", 0, "0x prefix"},
        {"0X539", 0, "0x prefix"},
        {" 0x1", 0, "0x prefix"},
        {"", 0, "0x prefix"},
        {"0x1g", 0, "non-hex"},
        {"0x-1", 0, "non-hex"},
        {"0x1 ", 0, "non-hex"},
        {"0x10000000000000000", 0, "64 bits"},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        struct err e = {0};
        uint64_t got = 7;
        err_code rc = rpc_parse_quantity(v[i].in, &got, &e);
        bool ok = v[i].err ? (rc == E_INVALID && strstr(e.msg, v[i].err) && got == 0)
                           : (rc == E_OK && got == v[i].want);
        t_case(ok, v[i].in, "rc=%s got=%llu msg=%s", err_name(rc), (unsigned long long)got, e.msg);
    }
    char q[RPC_QTY_BUF];
    CHECK_STREQ(rpc_format_quantity(0, q), "0x0");
    CHECK_STREQ(rpc_format_quantity(1337, q), "0x539");
    CHECK_STREQ(rpc_format_quantity(UINT64_MAX, q), "0xffffffffffffffff");
}

TEST(rpc_client_options_checked)
{
    struct err e = {0};
    struct rpc_client *c = NULL;
    static const struct { const char *url; const char *err; } bad[] = {
        {"", "empty"},
        {"ftp://127.0.0.1/", "http or https"},
        {"file:///etc/passwd", "http or https"},
        {"127.0.0.1:8545", "http"},
        {"http://user:pw@127.0.0.1:8545/", "user:password"},
        {"http://127.0.0.1:8545/a b", "space"},
        {"http://127.0.0.1:8545/\n", "control"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err_code rc = rpc_client_new(&(struct rpc_options){.url = bad[i].url}, &c, &e);
        t_case(rc == E_INVALID && c == NULL && strstr(e.msg, bad[i].err), bad[i].url,
               "rc=%s msg=%s", err_name(rc), e.msg);
    }
    CHECK_ERR(rpc_client_new(&(struct rpc_options){0}, &c, &e), &e, E_INVALID, "no ledger URL");
    char longurl[RPC_MAX_URL + 32];
    memset(longurl, 'a', sizeof longurl - 1);
    memcpy(longurl, "http://", 7);
    longurl[sizeof longurl - 1] = 0;
    CHECK_ERR(rpc_client_new(&(struct rpc_options){.url = longurl}, &c, &e), &e, E_INVALID,
              "longer than");
    /* A token with a newline (a token file read with its trailing newline)
     * is refused, and the message does not show the token. */
    CHECK_ERR(rpc_client_new(&(struct rpc_options){.url = "http://127.0.0.1:1/",
                                                   .bearer_token = "secret-token-value\n"},
                             &c, &e),
              &e, E_INVALID, "control character");
    CHECK(!strstr(e.msg, "secret-token-value"));
    char *longtok = malloc(RPC_MAX_TOKEN + 2);
    CHECK(longtok);
    memset(longtok, 't', RPC_MAX_TOKEN + 1);
    longtok[RPC_MAX_TOKEN + 1] = 0;
    err_code rc = rpc_client_new(
        &(struct rpc_options){.url = "http://127.0.0.1:1/", .bearer_token = longtok}, &c, &e);
    free(longtok);
    CHECK(rc == E_LIMIT || rc == E_INVALID);

    /* The origin hides the path (API keys live there). */
    CHECK_OK(rpc_client_new(&(struct rpc_options){.url = "https://node.example:8443/v3/KEY123456"},
                            &c, &e),
             &e);
    CHECK_STREQ(rpc_client_origin(c), "https://node.example:8443");
    rpc_client_free(c);
    CHECK_OK(rpc_client_new(&(struct rpc_options){.url = "https://node.example/rpc"}, &c, &e), &e);
    CHECK_STREQ(rpc_client_origin(c), "https://node.example:443");
    rpc_client_free(c);
    rpc_client_free(NULL);
}

TEST(rpc_bad_call_arguments)
{
    struct fx f;
    CHECK(fx_start(&f, SCRIPT({.status = 200, .body = OK("\"0x1\"")}), 1, NULL));
    json_t *r = NULL;
    CHECK_ERR(rpc_call(f.c, "eth_chainId", NULL, &r, &f.e), &f.e, E_NOMEM, "parameters");
    CHECK_ERR(rpc_call(f.c, "eth chainId", json_array(), &r, &f.e), &f.e, E_INVALID, "method");
    CHECK_ERR(rpc_call(f.c, "", json_array(), &r, &f.e), &f.e, E_INVALID, "method");
    CHECK_ERR(rpc_call(f.c, "eth_x", json_string("p"), &r, &f.e), &f.e, E_INVALID,
              "array or an object");
    struct rpc_block b;
    CHECK_ERR(rpc_get_block_by_number(f.c, "pending", &b, &f.e), &f.e, E_INVALID, "pending");
    CHECK_ERR(rpc_get_block_by_number(f.c, "0x05", &b, &f.e), &f.e, E_INVALID, "neither a tag");
    CHECK_ERR(rpc_get_block_by_number(f.c, NULL, &b, &f.e), &f.e, E_INVALID, "neither a tag");
    struct addr20 a = {{0}};
    uint64_t n;
    CHECK_ERR(rpc_get_transaction_count(f.c, &a, "newest", &n, &f.e), &f.e, E_INVALID, "newest");
    struct rpc_log *logs;
    size_t nl;
    CHECK_ERR(rpc_get_logs(f.c, &(struct rpc_log_filter){.from_block = "0x9", .to_block = "0x1"},
                           &logs, &nl, &f.e),
              &f.e, E_INVALID, "after toBlock");
    CHECK_ERR(rpc_get_logs(f.c, &(struct rpc_log_filter){.ntopics = 5}, &logs, &nl, &f.e), &f.e,
              E_INVALID, "topic");
    struct hash32 h;
    CHECK_ERR(rpc_send_raw_transaction(f.c, (const uint8_t *)"", 0, true, &h, &f.e), &f.e,
              E_INVALID, "empty");
    uint8_t *big = calloc(1, RPC_MAX_RAW_TX + 1);
    CHECK(big);
    err_code brc = rpc_send_raw_transaction(f.c, big, RPC_MAX_RAW_TX + 1, true, &h, &f.e);
    free(big);
    CHECK(brc == E_LIMIT && strstr(f.e.msg, "exceeds the limit"));
    CHECK(fx_requests(&f) == 0); /* nothing was sent */
    struct rpc_stats st;
    rpc_get_stats(f.c, &st);
    CHECK(st.calls == 0 && st.attempts == 0);
    fx_end(&f);
}

/* ------------------------------------------------------------------------- */
/* retries and backoff                                                         */

TEST(rpc_retry_500_then_200)
{
    struct fx f;
    CHECK(fx_start(&f, SCRIPT({.status = 500, .body = "oops"}, {.status = 200, .body = OK("\"0x539\"")}), 5, NULL));
    uint64_t id = 0;
    CHECK_OK(rpc_chain_id(f.c, &id, &f.e), &f.e);
    CHECK(id == 1337);
    CHECK(f.h.nsleeps == 1 && f.h.sleeps[0] == 100);
    CHECK(f.h.ncaps == 1 && f.h.caps[0] == 100);
    CHECK(rpc_last_error(f.c)->attempts == 2);
    struct rpc_stats st;
    rpc_get_stats(f.c, &st);
    CHECK(st.calls == 1 && st.attempts == 2 && st.retries == 1 && st.http_errors == 1);
    CHECK(st.failures == 0 && st.transport_errors == 0 && st.malformed == 0);
    CHECK(fx_requests(&f) == 2);
    /* The request was a JSON-RPC 2.0 call with id 1 and empty params. */
    CHECK(strstr(rpc_stub_last_body(f.stub), "\"jsonrpc\":\"2.0\""));
    CHECK(strstr(rpc_stub_last_body(f.stub), "\"method\":\"eth_chainId\""));
    CHECK(strstr(rpc_stub_last_body(f.stub), "\"params\":[]"));
    CHECK(strstr(rpc_stub_last_body(f.stub), "\"id\":1"));
    fx_end(&f);
}

TEST(rpc_backoff_exponential_and_capped)
{
    struct fx f;
    CHECK(fx_start(&f, SCRIPT({.status = 503}, {.status = 502}, {.status = 504}, {.status = 500}, {.status = 500}), 5, NULL));
    uint64_t v;
    CHECK_ERR(rpc_block_number(f.c, &v, &f.e), &f.e, E_NETWORK, "unreachable after 5 attempts");
    CHECK(strstr(f.e.msg, "HTTP 500") && strstr(f.e.msg, "eth_blockNumber"));
    CHECK(strstr(f.e.msg, "http://127.0.0.1:"));
    static const uint64_t want[] = {100, 200, 250, 250};
    CHECK(f.h.nsleeps == 4 && f.h.ncaps == 4);
    for (unsigned i = 0; i < 4; i++)
        CHECKF(f.h.caps[i] == want[i] && f.h.sleeps[i] == want[i], "sleep %u: cap %llu sleep %llu",
               i, (unsigned long long)f.h.caps[i], (unsigned long long)f.h.sleeps[i]);
    CHECK(fx_requests(&f) == 5);
    const struct rpc_error *le = rpc_last_error(f.c);
    CHECK(le->failure == RPC_FAIL_HTTP && le->http_status == 500 && le->attempts == 5);
    struct rpc_stats st;
    rpc_get_stats(f.c, &st);
    CHECK(st.failures == 1 && st.attempts == 5 && st.retries == 4);
    fx_end(&f);
}

TEST(rpc_backoff_full_jitter)
{
    struct fx f;
    CHECK(fx_start_opts(&f, SCRIPT({.status = 500}), (struct rpc_options){.max_attempts = 8,
                                                               .jitter = (void *)1}));
    uint64_t v;
    CHECK_ERR(rpc_chain_id(f.c, &v, &f.e), &f.e, E_NETWORK, "after 8 attempts");
    static const uint64_t cap[] = {100, 200, 250, 250, 250, 250, 250};
    CHECK(f.h.nsleeps == 7);
    bool below = false;
    for (unsigned i = 0; i < 7; i++) {
        CHECKF(f.h.sleeps[i] <= cap[i], "sleep %u = %llu beyond cap %llu", i,
               (unsigned long long)f.h.sleeps[i], (unsigned long long)cap[i]);
        below |= f.h.sleeps[i] < cap[i];
    }
    CHECK(below); /* random in [0, cap]: all seven at the cap would mean no jitter */
    fx_end(&f);
}

TEST(rpc_retry_after_honoured)
{
    static const struct {
        const char *name;
        int status;
        const char *headers;
        uint64_t sleep_ms; /* the one wait before the answer */
    } cases[] = {
        {"429 Retry-After 3: not the 100 ms backoff", 429, "Retry-After: 3\r\n", 3000},
        {"503 Retry-After 2 (spaces)", 503, "Retry-After:  2 \r\n", 2000},
        /* smaller than the backoff: the backoff stands */
        {"Retry-After 0: the backoff", 429, "Retry-After: 0\r\n", 100},
        /* the HTTP-date form is not honoured: plain backoff */
        {"HTTP-date: the backoff", 503, "Retry-After: Wed, 21 Oct 2015 07:28:00 GMT\r\n", 100},
        /* a 500 is not a 429/503: ignored */
        {"500 Retry-After 9: ignored", 500, "Retry-After: 9\r\n", 100},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct fx f;
        CHECK(fx_start(&f,
                       SCRIPT({.status = cases[i].status, .headers = cases[i].headers},
                              {.status = 200, .body = OK("\"0x1\"")}),
                       5, NULL));
        uint64_t v;
        err_code rc = rpc_chain_id(f.c, &v, &f.e);
        t_case(rc == E_OK && f.h.nsleeps == 1 && f.h.sleeps[0] == cases[i].sleep_ms,
               cases[i].name, "rc %s (%s), %u sleeps, first %llu ms", err_name(rc), f.e.msg,
               f.h.nsleeps, (unsigned long long)f.h.sleeps[0]);
        fx_end(&f);
    }
}

TEST(rpc_retry_after_beyond_limit_stops)
{
    struct fx f;
    CHECK(fx_start(&f, SCRIPT({.status = 429, .headers = "Retry-After: 3600\r\n"}), 5, NULL));
    uint64_t v;
    CHECK_ERR(rpc_chain_id(f.c, &v, &f.e), &f.e, E_NETWORK, "retry after 3600 s");
    CHECK(strstr(f.e.msg, "after 1 attempt") && strstr(f.e.msg, "HTTP 429"));
    CHECK(f.h.nsleeps == 0);
    CHECK(fx_requests(&f) == 1);
    fx_end(&f);
    CHECK(fx_start(&f, SCRIPT({.status = 503, .headers = "Retry-After: 99999999999999\r\n"}), 5, NULL));
    CHECK_ERR(rpc_chain_id(f.c, &v, &f.e), &f.e, E_NETWORK, "more than the limit");
    CHECK(f.h.nsleeps == 0);
    fx_end(&f);
}

TEST(rpc_connection_refused)
{
    int port = rpc_stub_dead_port();
    CHECK(port > 0);
    char url[96];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/v3/PathSecret0123456789", port);
    struct hooks h = {0};
    struct rpc_client *c;
    struct err e = {0};
    CHECK_OK(rpc_client_new(&(struct rpc_options){.url = url, .max_attempts = 4,
                                                  .base_delay_ms = 10, .max_delay_ms = 1000,
                                                  .sleep_ms = h_sleep, .jitter = h_jitter_max,
                                                  .hook_ctx = &h, .bearer_token = TOKEN},
                            &c, &e),
             &e);
    uint64_t v;
    CHECK_ERR(rpc_chain_id(c, &v, &e), &e, E_NETWORK, "unreachable after 4 attempts");
    CHECK(strstr(e.msg, "http://127.0.0.1:") && strstr(e.msg, "onnect"));
    CHECK(!strstr(e.msg, "PathSecret0123456789") && !strstr(e.msg, TOKEN));
    CHECK(h.nsleeps == 3 && h.sleeps[0] == 10 && h.sleeps[1] == 20 && h.sleeps[2] == 40);
    struct rpc_stats st;
    rpc_get_stats(c, &st);
    CHECK(st.transport_errors == 4 && st.attempts == 4 && st.failures == 1);
    CHECK(rpc_last_error(c)->failure == RPC_FAIL_TRANSPORT);
    rpc_client_free(c);
}

TEST(rpc_no_retry_when_caller_says_so)
{
    struct fx f;
    CHECK(fx_start(&f, SCRIPT({.status = 500}, {.status = 200, .body = OK(HASH_A)}), 5, NULL));
    const uint8_t raw[] = {0x02, 0xc0};
    struct hash32 h, want;
    keccak256(raw, sizeof raw, &want);
    CHECK_ERR(rpc_send_raw_transaction(f.c, raw, sizeof raw, false, &h, &f.e), &f.e, E_NETWORK,
              "not retried");
    CHECK(strstr(f.e.msg, "after 1 attempt"));
    CHECK(hash32_eq(&h, &want)); /* the hash to look the transaction up by */
    CHECK(f.h.nsleeps == 0);
    CHECK(fx_requests(&f) == 1);
    CHECK(strstr(rpc_stub_last_body(f.stub), "\"params\":[\"0x02c0\"]"));
    fx_end(&f);
    /* rpc_call_ex with retry=false on a timeout-like failure: one attempt. */
    CHECK(fx_start(&f, SCRIPT({.status = 0}, {.status = 200, .body = OK("\"0x1\"")}), 5, NULL));
    json_t *r;
    CHECK_ERR(rpc_call_ex(f.c, "eth_chainId", json_array(), &(struct rpc_call_opts){.retry = false},
                          &r, &f.e),
              &f.e, E_NETWORK, "not retried");
    CHECK(r == NULL);
    fx_end(&f);
}

TEST(rpc_send_checks_the_answered_hash)
{
    struct fx f;
    const uint8_t raw[] = {0x02, 0xc0};
    struct hash32 h;
    CHECK(fx_start(&f, SCRIPT({.status = 200, .body = OK("\"" HASH_A "\"")}), 1, NULL));
    CHECK_ERR(rpc_send_raw_transaction(f.c, raw, sizeof raw, true, &h, &f.e), &f.e, E_PROTOCOL,
              "not keccak256 of the bytes sent");
    fx_end(&f);
    /* The right hash is accepted. */
    char body[200];
    struct hash32 want;
    keccak256(raw, sizeof raw, &want);
    char hx[67];
    hash32_to_hex0x(&want, hx);
    snprintf(body, sizeof body, "{\"jsonrpc\":\"2.0\",\"id\":{{id}},\"result\":\"%s\"}", hx);
    CHECK(fx_start(&f, SCRIPT({.status = 200, .body = body}), 1, NULL));
    CHECK_OK(rpc_send_raw_transaction(f.c, raw, sizeof raw, true, &h, &f.e), &f.e);
    CHECK(hash32_eq(&h, &want));
    fx_end(&f);
}

/* ------------------------------------------------------------------------- */
/* auth and secrets                                                            */

TEST(rpc_auth_failures_not_retried)
{
    struct fx f;
    CHECK(fx_start(&f, SCRIPT({.status = 401, .body = "{\"error\":\"invalid token {{auth}}\"}"}), 5, TOKEN));
    uint64_t v;
    CHECK_ERR(rpc_chain_id(f.c, &v, &f.e), &f.e, E_STATE, "HTTP 401");
    CHECK(strstr(f.e.msg, "token") && strstr(f.e.msg, "expired"));
    CHECK(!strstr(f.e.msg, TOKEN));
    CHECK(f.h.nsleeps == 0);
    CHECK(fx_requests(&f) == 1);
    char want[128];
    snprintf(want, sizeof want, "Bearer %s", TOKEN);
    CHECK_STREQ(rpc_stub_last_auth(f.stub), want);
    CHECK(rpc_last_error(f.c)->failure == RPC_FAIL_AUTH);
    fx_end(&f);

    CHECK(fx_start(&f, SCRIPT({.status = 403}), 5, TOKEN));
    CHECK_ERR(rpc_chain_id(f.c, &v, &f.e), &f.e, E_STATE, "HTTP 403");
    CHECK(f.h.nsleeps == 0 && !strstr(f.e.msg, TOKEN));
    fx_end(&f);

    CHECK(fx_start(&f, SCRIPT({.status = 401}), 5, NULL));
    CHECK_ERR(rpc_chain_id(f.c, &v, &f.e), &f.e, E_STATE, "missing");
    CHECK_STREQ(rpc_stub_last_auth(f.stub), ""); /* no header without a token */
    fx_end(&f);
}

TEST(rpc_token_never_in_messages)
{
    /* A hostile node echoes our Authorization header back in every place a
     * message could pick it up. */
    static const struct {
        const char *name;
        struct rpc_stub_reply r;
    } v[] = {
        {"jsonrpc error message", {.status = 200, .body = RPCERR("-32000", "\"bad {{auth}}\"")}},
        {"error in 404 body", {.status = 404, .body = RPCERR("-32000", "\"bad {{auth}}\"")}},
        {"garbage body", {.status = 200, .body = "{{auth}}"}},
        {"garbage in array", {.status = 200, .body = "[{{auth}}]"}},
        {"truncated string", {.status = 200, .body = "{\"jsonrpc\":\"2.0\",\"error\":\"{{auth}}"}},
        {"result string", {.status = 200, .body = OK("\"{{auth}}\"")}},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        struct fx f;
        CHECK(fx_start(&f, &v[i].r, 1, 2, TOKEN));
        uint64_t x;
        err_code rc = rpc_chain_id(f.c, &x, &f.e);
        const char *tok_rest = TOKEN + 4; /* no fragment either */
        bool ok = rc != E_OK && !strstr(f.e.msg, TOKEN) && !strstr(f.e.msg, tok_rest) &&
                  !strstr(rpc_last_error(f.c)->message, TOKEN) && f.e.msg[0];
        t_case(ok, v[i].name, "rc=%s msg=%s last=%s", err_name(rc), f.e.msg,
               rpc_last_error(f.c)->message);
        fx_end(&f);
    }
}

/* True if any 12-character piece of `tok` occurs in `msg`. */
static bool has_fragment(const char *msg, const char *tok)
{
    size_t n = strlen(tok);
    for (size_t i = 0; i + 12 <= n; i++) {
        char piece[13];
        memcpy(piece, tok + i, 12);
        piece[12] = 0;
        if (strstr(msg, piece))
            return true;
    }
    return false;
}

TEST(rpc_long_token_not_leaked_by_truncation)
{
    /* A 300-character token echoed where the 256-byte message buffer cuts
     * it: no fragment may survive (scrub first, then truncate). */
    static const char alpha[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    char tok[301];
    for (int i = 0; i < 300; i++)
        tok[i] = alpha[(i * 7 + i / 62) % 62];
    tok[300] = 0;
    char pad[241];
    memset(pad, 'x', 240);
    pad[240] = 0;
    char b1[600], b2[600];
    snprintf(b1, sizeof b1, RPCERR("-32000", "\"%s {{auth}}\""), pad);
    snprintf(b2, sizeof b2, OK("\"%s{{auth}}\""), pad + 200);
    const char *bodies[] = {b1, b2, "{{auth}}", RPCERR("-32000", "\"{{auth}}\"")};
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        struct fx f;
        CHECK(fx_start(&f, SCRIPT({.status = 200, .body = bodies[i]}), 1, tok));
        uint64_t x;
        err_code rc = rpc_chain_id(f.c, &x, &f.e);
        bool ok = rc == E_PROTOCOL && !has_fragment(f.e.msg, tok) &&
                  !has_fragment(rpc_last_error(f.c)->message, tok);
        char name[32];
        snprintf(name, sizeof name, "body %zu", i);
        t_case(ok, name, "rc=%s msg=%s last=%s", err_name(rc), f.e.msg,
               rpc_last_error(f.c)->message);
        fx_end(&f);
    }
}

/* ------------------------------------------------------------------------- */
/* malformed answers                                                           */

TEST(rpc_malformed_bodies)
{
    static const struct {
        const char *name;
        struct rpc_stub_reply r;
        err_code code;
        const char *msg;
        unsigned attempts; /* with max_attempts 3 */
    } v[] = {
        /* unparseable: retried (a proxy may have cut it), then E_PROTOCOL */
        {"html error page", {.status = 200, .body = "<html>502 Bad Gateway</html>"}, E_PROTOCOL,
         "not valid JSON", 3},
        {"truncated json", {.status = 200, .body = "{\"jsonrpc\":\"2.0\",\"id\":{{id}},\"res"}, E_PROTOCOL,
         "truncated", 3},
        {"empty body", {.status = 200, .body = ""}, E_PROTOCOL, "not valid JSON", 3},
        {"duplicate keys",
         {.status = 200, .body = "{\"jsonrpc\":\"2.0\",\"id\":{{id}},\"result\":\"0x1\",\"result\":\"0x2\"}"},
         E_PROTOCOL, "duplicate", 3},
        {"duplicate id",
         {.status = 200, .body = "{\"jsonrpc\":\"2.0\",\"id\":{{id}},\"id\":{{id}},\"result\":\"0x1\"}"},
         E_PROTOCOL, "duplicate", 3},
        {"body shorter than content-length", {.status = 200, .body = OK("\"0x1\""), .claim_extra = 10},
         E_NETWORK, "unreachable after 3", 3},
        {"connection closed, no answer", {.status = 0}, E_NETWORK, "unreachable after 3", 3},
        /* well-formed but wrong: not retried */
        {"wrong id", {.status = 200, .body = "{\"jsonrpc\":\"2.0\",\"id\":99,\"result\":\"0x1\"}"}, E_PROTOCOL,
         "wrong id", 1},
        {"string id", {.status = 200, .body = "{\"jsonrpc\":\"2.0\",\"id\":\"{{id}}\",\"result\":\"0x1\"}"},
         E_PROTOCOL, "wrong id", 1},
        {"null id", {.status = 200, .body = "{\"jsonrpc\":\"2.0\",\"id\":null,\"result\":\"0x1\"}"},
         E_PROTOCOL, "wrong id", 1},
        {"no jsonrpc", {.status = 200, .body = "{\"id\":{{id}},\"result\":\"0x1\"}"}, E_PROTOCOL,
         "jsonrpc", 1},
        {"jsonrpc 1.0", {.status = 200, .body = "{\"jsonrpc\":\"1.0\",\"id\":{{id}},\"result\":\"0x1\"}"},
         E_PROTOCOL, "jsonrpc", 1},
        {"result and error",
         {.status = 200, .body = "{\"jsonrpc\":\"2.0\",\"id\":{{id}},\"result\":\"0x1\",\"error\":{\"code\":1,"
                       "\"message\":\"x\"}}"},
         E_PROTOCOL, "exactly one", 1},
        {"neither result nor error", {.status = 200, .body = "{\"jsonrpc\":\"2.0\",\"id\":{{id}}}"},
         E_PROTOCOL, "exactly one", 1},
        {"batch answer", {.status = 200, .body = "[" OK("\"0x1\"") "]"}, E_PROTOCOL, "not a JSON object", 1},
        {"error without code",
         {.status = 200, .body = "{\"jsonrpc\":\"2.0\",\"id\":{{id}},\"error\":{\"message\":\"x\"}}"},
         E_PROTOCOL, "integer \"code\"", 1},
        {"error code a string", {.status = 200, .body = RPCERR("\"-32000\"", "\"x\"")}, E_PROTOCOL,
         "integer \"code\"", 1},
        {"error message a number", {.status = 200, .body = RPCERR("-32000", "5")}, E_PROTOCOL,
         "string \"message\"", 1},
        {"error is a string",
         {.status = 200, .body = "{\"jsonrpc\":\"2.0\",\"id\":{{id}},\"error\":\"boom\"}"}, E_PROTOCOL,
         "integer \"code\"", 1},
        {"http 404", {.status = 404, .body = "not found"}, E_PROTOCOL, "HTTP 404", 1},
        {"http 301", {.status = 301, .headers = "Location: http://elsewhere/\r\n"}, E_PROTOCOL, "redirect", 1},
        {"http 204", {.status = 204}, E_PROTOCOL, "HTTP 204", 1},
        {"http 400 with rpc error", {.status = 400, .body = RPCERR("-32602", "\"invalid params\"")},
         E_PROTOCOL, "invalid params", 1},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        struct fx f;
        CHECK(fx_start(&f, &v[i].r, 1, 3, NULL));
        uint64_t x = 5;
        err_code rc = rpc_chain_id(f.c, &x, &f.e);
        unsigned att = rpc_last_error(f.c)->attempts;
        bool ok = rc == v[i].code && strstr(f.e.msg, v[i].msg) && att == v[i].attempts &&
                  f.h.nsleeps == att - 1 && x == 0;
        t_case(ok, v[i].name, "rc=%s attempts=%u sleeps=%u msg=%s", err_name(rc), att, f.h.nsleeps,
               f.e.msg);
        fx_end(&f);
    }
}

TEST(rpc_truncated_then_good_recovers)
{
    struct fx f;
    CHECK(fx_start(&f, SCRIPT({.status = 200, .body = "{\"jsonrpc\":\"2.0\",\"id\":{{id}},\"resu"},
                              {.status = 200, .body = OK("\"0x2a\"")}),
                   3, NULL));
    uint64_t v;
    CHECK_OK(rpc_chain_id(f.c, &v, &f.e), &f.e);
    CHECK(v == 42 && f.h.nsleeps == 1);
    struct rpc_stats st;
    rpc_get_stats(f.c, &st);
    CHECK(st.malformed == 1 && st.attempts == 2 && st.failures == 0);
    fx_end(&f);
}

TEST(rpc_response_size_limit)
{
    struct fx f;
    /* With a Content-Length: refused before reading. */
    CHECK(fx_start_opts(&f,
                        SCRIPT({.status = 200, .body = "{\"jsonrpc\":\"2.0\",\"id\":{{id}},\"result\":\"0x",
                                .filler = 4096, .tail = "\"}"}),
                        (struct rpc_options){.max_attempts = 3, .max_response_bytes = 1024}));
    json_t *r;
    CHECK_ERR(rpc_call(f.c, "eth_getCode", json_array(), &r, &f.e), &f.e, E_LIMIT,
              "limit of 1024 bytes");
    CHECK(rpc_last_error(f.c)->attempts == 1 && f.h.nsleeps == 0);
    CHECK(rpc_last_error(f.c)->failure == RPC_FAIL_LIMIT);
    fx_end(&f);
    /* Chunked, no length: the write callback aborts the transfer. */
    CHECK(fx_start_opts(&f,
                        SCRIPT({.status = 200, .body = "{\"jsonrpc\":\"2.0\",\"id\":{{id}},\"result\":\"0x",
                                .filler = 1 << 20, .tail = "\"}", .chunked = true}),
                        (struct rpc_options){.max_attempts = 3, .max_response_bytes = 1024}));
    CHECK_ERR(rpc_call(f.c, "eth_getCode", json_array(), &r, &f.e), &f.e, E_LIMIT,
              "limit of 1024 bytes");
    CHECK(rpc_last_error(f.c)->attempts == 1 && f.h.nsleeps == 0);
    struct rpc_stats st;
    rpc_get_stats(f.c, &st);
    CHECK(st.bytes_received <= 1024);
    fx_end(&f);
    /* Just under the limit is fine, chunked or not. */
    CHECK(fx_start_opts(&f,
                        SCRIPT({.status = 200, .body = "{\"jsonrpc\":\"2.0\",\"id\":{{id}},\"result\":\"0x",
                                .filler = 900, .tail = "\"}", .chunked = true}),
                        (struct rpc_options){.max_attempts = 1, .max_response_bytes = 1024}));
    uint8_t *code;
    size_t n;
    struct addr20 a = {{1}};
    CHECK_OK(rpc_get_code(f.c, &a, "latest", &code, &n, &f.e), &f.e);
    CHECK(n == 450 && code[0] == 0 && code[449] == 0);
    free(code);
    fx_end(&f);
}

/* rpc_require_code: an address without code is E_STATE naming it (and the
 * caller's hint); with code, E_OK. */
TEST(rpc_require_code_says_there_is_no_contract)
{
    struct fx f;
    CHECK(fx_start(&f, SCRIPT({.status = 200, .body = OK("\"0x\"")},
                              {.status = 200, .body = OK("\"0x6080\"")}),
                   1, NULL));
    struct addr20 a = {{0xab}};
    CHECK_ERR(rpc_require_code(f.c, &a, "give the contract's address", &f.e), &f.e, E_STATE,
              "there is no contract at 0xab00000000000000000000000000000000000000 on this "
              "ledger: give the contract's address");
    memset(&f.e, 0, sizeof f.e);
    CHECK_OK(rpc_require_code(f.c, &a, NULL, &f.e), &f.e);
    fx_end(&f);
}

TEST(rpc_slow_answer_times_out)
{
    struct fx f;
    CHECK(fx_start_opts(&f, SCRIPT({.status = 200, .body = OK("\"0x1\""), .delay_ms = 5000}),
                        (struct rpc_options){.max_attempts = 2, .timeout_ms = 200}));
    uint64_t v;
    CHECK_ERR(rpc_chain_id(f.c, &v, &f.e), &f.e, E_NETWORK, "unreachable after 2 attempts");
    CHECK(strstr(f.e.msg, "imeout") || strstr(f.e.msg, "timed out"));
    CHECK(f.h.nsleeps == 1);
    CHECK(rpc_last_error(f.c)->failure == RPC_FAIL_TRANSPORT);
    fx_end(&f);
}

TEST(rpc_nesting_bomb_rejected)
{
    char *body = malloc(4096);
    CHECK(body);
    char *p = stpcpy(body, "{\"jsonrpc\":\"2.0\",\"id\":{{id}},\"result\":");
    for (int i = 0; i < 200; i++)
        *p++ = '[';
    for (int i = 0; i < 200; i++)
        *p++ = ']';
    strcpy(p, "}");
    struct fx f;
    bool started = fx_start(&f, SCRIPT({.status = 200, .body = body}), 3, NULL);
    if (!started)
        free(body);
    CHECK(started);
    json_t *r;
    err_code rc = rpc_call(f.c, "eth_x", json_array(), &r, &f.e);
    unsigned att = rpc_last_error(f.c)->attempts;
    fx_end(&f);
    free(body);
    CHECKF(rc == E_PROTOCOL && strstr(f.e.msg, "nested") && att == 1, "rc=%s att=%u msg=%s",
           err_name(rc), att, f.e.msg);
}

/* ------------------------------------------------------------------------- */
/* JSON-RPC error objects                                                      */

TEST(rpc_jsonrpc_errors_not_retried_and_classified)
{
    static const struct {
        const char *code, *msg;
        enum rpc_reason reason;
    } v[] = {
        {"-32000", "\"nonce too low\"", RPC_REASON_NONCE_TOO_LOW},                      /* geth */
        {"-32001", "\"Nonce too low\"", RPC_REASON_NONCE_TOO_LOW},                      /* Besu */
        {"-32000", "\"the tx doesn't have the correct nonce. account has nonce of: 2 tx has "
                   "nonce of: 1\"", RPC_REASON_NONCE_TOO_LOW},                          /* ganache */
        {"-32000", "\"the tx doesn't have the correct nonce. account has nonce of: 1 tx has "
                   "nonce of: 5\"", RPC_REASON_OTHER},                                  /* too high */
        {"-32000", "\"already known\"", RPC_REASON_ALREADY_KNOWN},                      /* geth */
        {"-32000", "\"Known transaction\"", RPC_REASON_ALREADY_KNOWN},                  /* Besu */
        {"-32010", "\"Transaction with the same hash was already imported.\"",
         RPC_REASON_ALREADY_KNOWN},                                                     /* OpenEthereum */
        {"-32000", "\"replacement transaction underpriced\"", RPC_REASON_UNDERPRICED},  /* geth */
        {"-32000", "\"Replacement transaction underpriced\"", RPC_REASON_UNDERPRICED},  /* Besu */
        {"-32000", "\"transaction underpriced\"", RPC_REASON_UNDERPRICED},
        {"-32000", "\"insufficient funds for gas * price + value\"",
         RPC_REASON_INSUFFICIENT_FUNDS},
        {"-32004", "\"Upfront cost exceeds account balance\"", RPC_REASON_INSUFFICIENT_FUNDS},
        {"3", "\"execution reverted\"", RPC_REASON_REVERT},
        {"-32000", "\"VM Exception while processing transaction: revert\"", RPC_REASON_REVERT},
        {"-32601", "\"the method eth_x does not exist/is not available\"",
         RPC_REASON_METHOD_NOT_FOUND},
        {"-32700", "\"The method eth_foo does not exist/is not available\"",
         RPC_REASON_METHOD_NOT_FOUND},                                                  /* ganache */
        {"-32604", "\"Method not enabled\"", RPC_REASON_METHOD_NOT_FOUND},              /* Besu */
        {"-32602", "\"invalid argument 0\"", RPC_REASON_OTHER},
        {"-32000", "\"transaction type not supported\"", RPC_REASON_OTHER},          /* geth */
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        char body[512];
        snprintf(body, sizeof body,
                 "{\"jsonrpc\":\"2.0\",\"id\":{{id}},\"error\":{\"code\":%s,\"message\":%s}}",
                 v[i].code, v[i].msg);
        struct fx f;
        CHECK(fx_start(&f, SCRIPT({.status = 200, .body = body}), 5, NULL));
        json_t *r;
        err_code rc = rpc_call(f.c, "eth_sendRawTransaction", json_pack("[s]", "0x00"), &r, &f.e);
        const struct rpc_error *le = rpc_last_error(f.c);
        bool ok = rc == E_PROTOCOL && le->failure == RPC_FAIL_JSONRPC && le->has_code &&
                  le->code == strtoll(v[i].code, NULL, 10) && le->reason == v[i].reason &&
                  le->attempts == 1 && f.h.nsleeps == 0 && r == NULL &&
                  strstr(f.e.msg, "JSON-RPC error") && !le->has_data;
        t_case(ok, v[i].msg, "rc=%s reason=%s attempts=%u msg=%s", err_name(rc),
               rpc_reason_name(le->reason), le->attempts, f.e.msg);
        fx_end(&f);
    }
}

TEST(rpc_error_data_revert_bytes)
{
    struct fx f;
    CHECK(fx_start(&f, SCRIPT({.status = 200, .body = "{\"jsonrpc\":\"2.0\",\"id\":{{id}},\"error\":{\"code\":3,"
                                            "\"message\":\"execution reverted\",\"data\":"
                                            "\"0x08c379a0\"}}"}),
                   5, NULL));
    uint8_t *out;
    size_t n;
    struct addr20 to = {{1}};
    CHECK_ERR(rpc_eth_call(f.c, &(struct rpc_callmsg){.to = &to}, "latest", &out, &n, &f.e), &f.e,
              E_PROTOCOL, "execution reverted");
    const struct rpc_error *le = rpc_last_error(f.c);
    CHECK(le->reason == RPC_REASON_REVERT && le->has_data && le->data_len == 4);
    CHECK(memcmp(le->data, "\x08\xc3\x79\xa0", 4) == 0);
    CHECK(out == NULL && n == 0);
    fx_end(&f);
    /* ganache's object form */
    CHECK(fx_start(&f, SCRIPT({.status = 200, .body = "{\"jsonrpc\":\"2.0\",\"id\":{{id}},\"error\":{\"code\":"
                                            "-32000,\"message\":\"VM Exception while processing "
                                            "transaction: revert\",\"data\":{\"hash\":null,"
                                            "\"result\":\"0xdeadbeef\"}}}"}),
                   5, NULL));
    uint64_t gas;
    CHECK_ERR(rpc_estimate_gas(f.c, &(struct rpc_callmsg){.to = &to}, &gas, &f.e), &f.e,
              E_PROTOCOL, "revert");
    le = rpc_last_error(f.c);
    CHECK(le->has_data && le->data_len == 4 && memcmp(le->data, "\xde\xad\xbe\xef", 4) == 0);
    fx_end(&f);
    /* data that is not hex is ignored, the error stands */
    CHECK(fx_start(&f, SCRIPT({.status = 200, .body = RPCERR("3", "\"execution reverted\"") }), 5, NULL));
    CHECK_ERR(rpc_estimate_gas(f.c, &(struct rpc_callmsg){.to = &to}, &gas, &f.e), &f.e,
              E_PROTOCOL, "reverted");
    CHECK(!rpc_last_error(f.c)->has_data);
    fx_end(&f);
    CHECK(fx_start(&f, SCRIPT({.status = 200, .body = "{\"jsonrpc\":\"2.0\",\"id\":{{id}},\"error\":{\"code\":"
                                            "3,\"message\":\"x\",\"data\":\"0xzz\"}}"}),
                   5, NULL));
    CHECK_ERR(rpc_estimate_gas(f.c, &(struct rpc_callmsg){.to = &to}, &gas, &f.e), &f.e,
              E_PROTOCOL, "JSON-RPC error 3");
    CHECK(!rpc_last_error(f.c)->has_data);
    fx_end(&f);
}

TEST(rpc_max_priority_fee_unsupported)
{
    struct fx f;
    CHECK(fx_start(&f, SCRIPT({.status = 200, .body = RPCERR("-32601", "\"Method not found\"")}), 5, NULL));
    uint64_t tip;
    CHECK_ERR(rpc_max_priority_fee(f.c, &tip, &f.e), &f.e, E_UNSUPPORTED,
              "eth_maxPriorityFeePerGas");
    CHECK(f.h.nsleeps == 0);
    fx_end(&f);
    /* Any other error stays what it is. */
    CHECK(fx_start(&f, SCRIPT({.status = 200, .body = RPCERR("-32000", "\"internal\"")}), 5, NULL));
    CHECK_ERR(rpc_max_priority_fee(f.c, &tip, &f.e), &f.e, E_PROTOCOL, "internal");
    fx_end(&f);
}

/* ------------------------------------------------------------------------- */
/* hostile result shapes                                                       */

#define BLOCK_OK(num, hash)                                                                        \
    "{\"number\":\"" num "\",\"hash\":\"" hash "\",\"parentHash\":\"" HASH_B "\","                 \
    "\"timestamp\":\"0x6b035aa2\",\"gasLimit\":\"0x1c9c380\",\"baseFeePerGas\":\"0x3b9aca00\"}"
#define LOG_OK_F(addr, topic, bn, bh)                                                              \
    "{\"address\":\"" addr "\",\"topics\":[\"" topic "\"],\"data\":\"0xdeadbeef\","                \
    "\"blockNumber\":\"" bn "\",\"blockHash\":\"" bh "\",\"transactionHash\":\"" HASH_C "\","      \
    "\"transactionIndex\":\"0x0\",\"logIndex\":\"0x0\",\"removed\":false}"
#define LOG_OK LOG_OK_F(ADDR_D, HASH_E, "0x5", HASH_A)
#define RECEIPT_F(status, logs)                                                                    \
    "{\"transactionHash\":\"" HASH_C "\",\"blockNumber\":\"0x5\",\"blockHash\":\"" HASH_A "\","    \
    "\"transactionIndex\":\"0x0\",\"gasUsed\":\"0x5208\",\"status\":\"" status "\","               \
    "\"contractAddress\":null,\"logs\":" logs "}"
#define TX_F(extra)                                                                                \
    "{\"hash\":\"" HASH_C "\",\"from\":\"" ADDR_D "\",\"to\":\"" ADDR_F "\",\"nonce\":\"0x7\","     \
    "\"gas\":\"0x5208\",\"value\":\"0xde0b6b3a7640000\",\"input\":\"0x\",\"type\":\"0x2\","        \
    "\"chainId\":\"0x539\",\"maxFeePerGas\":\"0x2\",\"maxPriorityFeePerGas\":\"0x1\"" extra "}"
#define TX_MINED ",\"blockHash\":\"" HASH_A "\",\"blockNumber\":\"0x5\",\"transactionIndex\":\"0x0\""

enum helper { H_CHAIN, H_BLOCK, H_BLOCK5, H_BLOCKHASH, H_RECEIPT, H_TX, H_LOGS, H_CALL, H_SEND };

static err_code run_helper(struct rpc_client *c, enum helper h, struct err *e)
{
    struct hash32 ha, hc, he;
    struct addr20 ad;
    if (hash32_from_hex(HASH_A, &ha, e) || hash32_from_hex(HASH_C, &hc, e) ||
        hash32_from_hex(HASH_E, &he, e) || addr20_from_hex(ADDR_D, &ad, e))
        return E_INVALID;
    uint64_t v;
    struct rpc_block b;
    err_code rc = E_INVALID;
    switch (h) {
    case H_CHAIN:
        return rpc_chain_id(c, &v, e);
    case H_BLOCK:
        return rpc_get_block_by_number(c, "latest", &b, e);
    case H_BLOCK5:
        return rpc_get_block_by_number(c, "0x5", &b, e);
    case H_BLOCKHASH:
        return rpc_get_block_by_hash(c, &ha, &b, e);
    case H_RECEIPT: {
        struct rpc_receipt r;
        rc = rpc_get_receipt(c, &hc, &r, e);
        if (rc == E_OK && (r.nlogs != 1 || !r.status_ok || r.gas_used != 21000 ||
                           r.logs[0].data_len != 4 || r.logs[0].ntopics != 1))
            rc = E_VERIFY;
        rpc_receipt_free(&r);
        return rc;
    }
    case H_TX: {
        struct rpc_tx t;
        rc = rpc_get_transaction(c, &hc, &t, e);
        if (rc == E_OK && (t.nonce != 7 || t.value[31] != 0 || t.value[24] != 0x0d ||
                           t.value[25] != 0xe0 || !t.has_fee_caps || t.type != 2))
            rc = E_VERIFY; /* 0xde0b6b3a7640000 = 1 ether, big-endian */
        rpc_tx_free(&t);
        return rc;
    }
    case H_LOGS: {
        struct rpc_log *logs;
        size_t n;
        rc = rpc_get_logs(c,
                          &(struct rpc_log_filter){.address = &ad, .topics = {&he}, .ntopics = 1,
                                                   .from_block = "0x1", .to_block = "0x9"},
                          &logs, &n, e);
        rpc_logs_free(logs, n);
        return rc;
    }
    case H_CALL: {
        uint8_t *out;
        size_t n;
        rc = rpc_eth_call(c, &(struct rpc_callmsg){.to = &ad}, "latest", &out, &n, e);
        free(out);
        return rc;
    }
    case H_SEND: {
        struct hash32 th;
        return rpc_send_raw_transaction(c, (const uint8_t *)"\x01", 1, true, &th, e);
    }
    }
    return rc;
}

TEST(rpc_hostile_result_shapes)
{
    static const struct {
        const char *name;
        enum helper h;
        const char *result;
        err_code code;
        const char *msg;
    } v[] = {
        {"qty leading zeros", H_CHAIN, "\"0x01\"", E_PROTOCOL, "leading zeros"},
        {"qty empty", H_CHAIN, "\"0x\"", E_PROTOCOL, "no digits"},
        {"qty number", H_CHAIN, "1337", E_PROTOCOL, "not a string"},
        {"qty no prefix", H_CHAIN, "\"539\"", E_PROTOCOL, "0x prefix"},
        {"qty 65 bits", H_CHAIN, "\"0x10000000000000000\"", E_PROTOCOL, "64 bits"},
        {"qty null", H_CHAIN, "null", E_PROTOCOL, "result: missing"},
        {"qty non-hex", H_CHAIN, "\"0xzz\"", E_PROTOCOL, "non-hex"},
        {"qty array", H_CHAIN, "[\"0x1\"]", E_PROTOCOL, "not a string"},
        {"qty bool", H_CHAIN, "true", E_PROTOCOL, "not a string"},
        {"block ok", H_BLOCK, BLOCK_OK("0x5", HASH_A), E_OK, ""},
        {"block null", H_BLOCK, "null", E_NOT_FOUND, "no such block"},
        {"block array", H_BLOCK, "[]", E_PROTOCOL, "not a block object"},
        {"block no hash", H_BLOCK,
         "{\"number\":\"0x5\",\"parentHash\":\"" HASH_B "\",\"timestamp\":\"0x1\",\"gasLimit\":\"0x1\"}",
         E_PROTOCOL, "result.hash: missing"},
        {"block hash 31 bytes", H_BLOCK, BLOCK_OK("0x5", "0x" A8 A8 A8 A8 A8 A8 A8 "aaaaaa"),
         E_PROTOCOL, "expected 32 bytes"},
        {"block hash 33 bytes", H_BLOCK, BLOCK_OK("0x5", HASH_A "aa"), E_PROTOCOL,
         "expected 32 bytes"},
        {"block hash no 0x", H_BLOCK, BLOCK_OK("0x5", A8 A8 A8 A8 A8 A8 A8 A8 "aa"), E_PROTOCOL,
         "0x prefix"},
        {"block hash non-hex", H_BLOCK,
         BLOCK_OK("0x5", "0x" A8 A8 A8 A8 A8 A8 A8 "aaaaaaag"), E_PROTOCOL, "result.hash"},
        {"block number leading zero", H_BLOCK, BLOCK_OK("0x05", HASH_A), E_PROTOCOL,
         "result.number"},
        {"block wrong number", H_BLOCK5, BLOCK_OK("0x6", HASH_A), E_PROTOCOL, "asked for"},
        {"block right number", H_BLOCK5, BLOCK_OK("0x5", HASH_A), E_OK, ""},
        {"block wrong hash", H_BLOCKHASH, BLOCK_OK("0x5", HASH_B), E_PROTOCOL,
         "not the hash asked for"},
        {"block by hash ok", H_BLOCKHASH, BLOCK_OK("0x5", HASH_A), E_OK, ""},
        {"receipt ok", H_RECEIPT, RECEIPT_F("0x1", "[" LOG_OK "]"), E_OK, ""},
        {"receipt null", H_RECEIPT, "null", E_NOT_FOUND, "no receipt"},
        {"receipt status 2", H_RECEIPT, RECEIPT_F("0x2", "[]"), E_PROTOCOL, "neither 0x0 nor 0x1"},
        {"receipt other tx", H_RECEIPT,
         "{\"transactionHash\":\"" HASH_A "\",\"blockNumber\":\"0x5\",\"blockHash\":\"" HASH_A
         "\",\"transactionIndex\":\"0x0\",\"gasUsed\":\"0x5208\",\"status\":\"0x1\",\"logs\":[]}",
         E_PROTOCOL, "transactionHash: not the hash"},
        {"receipt no logs", H_RECEIPT,
         "{\"transactionHash\":\"" HASH_C "\",\"blockNumber\":\"0x5\",\"blockHash\":\"" HASH_A
         "\",\"transactionIndex\":\"0x0\",\"gasUsed\":\"0x5208\",\"status\":\"0x1\"}",
         E_PROTOCOL, "result.logs"},
        {"receipt logs object", H_RECEIPT, RECEIPT_F("0x1", "{}"), E_PROTOCOL, "not an array"},
        {"receipt log other block", H_RECEIPT,
         RECEIPT_F("0x1", "[" LOG_OK_F(ADDR_D, HASH_E, "0x5", HASH_B) "]"), E_PROTOCOL,
         "result.logs[0]"},
        {"receipt log five topics", H_RECEIPT,
         RECEIPT_F("0x1", "[{\"address\":\"" ADDR_D "\",\"topics\":[\"" HASH_E "\",\"" HASH_E
                          "\",\"" HASH_E "\",\"" HASH_E "\",\"" HASH_E "\"],\"data\":\"0x\","
                          "\"blockNumber\":\"0x5\",\"blockHash\":\"" HASH_A "\","
                          "\"transactionHash\":\"" HASH_C "\",\"transactionIndex\":\"0x0\","
                          "\"logIndex\":\"0x0\"}]"),
         E_PROTOCOL, "at most 4"},
        {"receipt log short topic", H_RECEIPT,
         RECEIPT_F("0x1", "[" LOG_OK_F(ADDR_D, "0x1234", "0x5", HASH_A) "]"), E_PROTOCOL,
         "result.logs[0].topics[0]"},
        {"receipt log short address", H_RECEIPT,
         RECEIPT_F("0x1", "[" LOG_OK_F("0xdddd", HASH_E, "0x5", HASH_A) "]"), E_PROTOCOL,
         "expected 20 bytes"},
        {"receipt log odd data", H_RECEIPT,
         RECEIPT_F("0x1", "[{\"address\":\"" ADDR_D "\",\"topics\":[],\"data\":\"0xabc\","
                          "\"blockNumber\":\"0x5\",\"blockHash\":\"" HASH_A "\","
                          "\"transactionHash\":\"" HASH_C "\",\"transactionIndex\":\"0x0\","
                          "\"logIndex\":\"0x0\"}]"),
         E_PROTOCOL, "odd"},
        {"receipt log removed not bool", H_RECEIPT,
         RECEIPT_F("0x1", "[{\"address\":\"" ADDR_D "\",\"topics\":[],\"data\":\"0x\","
                          "\"blockNumber\":\"0x5\",\"blockHash\":\"" HASH_A "\","
                          "\"transactionHash\":\"" HASH_C "\",\"transactionIndex\":\"0x0\","
                          "\"logIndex\":\"0x0\",\"removed\":\"no\"}]"),
         E_PROTOCOL, "not a boolean"},
        {"receipt contract address 19 bytes", H_RECEIPT,
         "{\"transactionHash\":\"" HASH_C "\",\"blockNumber\":\"0x5\",\"blockHash\":\"" HASH_A
         "\",\"transactionIndex\":\"0x0\",\"gasUsed\":\"0x5208\",\"status\":\"0x1\","
         "\"contractAddress\":\"0xdddddddddddddddddddddddddddddddddddddd\",\"logs\":[]}",
         E_PROTOCOL, "contractAddress"},
        {"tx ok pending", H_TX, TX_F(""), E_OK, ""},
        {"tx ok mined", H_TX, TX_F(TX_MINED), E_OK, ""},
        {"tx null", H_TX, "null", E_NOT_FOUND, "does not know"},
        {"tx half mined", H_TX, TX_F(",\"blockHash\":\"" HASH_A "\",\"blockNumber\":null"),
         E_PROTOCOL, "all set"},
        {"tx value 257 bits", H_TX,
         "{\"hash\":\"" HASH_C "\",\"from\":\"" ADDR_D "\",\"to\":null,\"nonce\":\"0x7\",\"gas\":"
         "\"0x1\",\"value\":\"0x1" A8 A8 A8 A8 A8 A8 A8 A8 "\",\"input\":\"0x\"}",
         E_PROTOCOL, "256 bits"},
        {"tx type 256", H_TX,
         "{\"hash\":\"" HASH_C "\",\"from\":\"" ADDR_D "\",\"to\":null,\"nonce\":\"0x7\",\"gas\":"
         "\"0x1\",\"value\":\"0x0\",\"input\":\"0x\",\"type\":\"0x100\"}",
         E_PROTOCOL, "not a transaction type"},
        {"tx no input", H_TX,
         "{\"hash\":\"" HASH_C "\",\"from\":\"" ADDR_D "\",\"to\":null,\"nonce\":\"0x7\",\"gas\":"
         "\"0x1\",\"value\":\"0x0\"}",
         E_PROTOCOL, "result.input: missing"},
        {"tx other hash", H_TX,
         "{\"hash\":\"" HASH_A "\",\"from\":\"" ADDR_D "\",\"to\":null,\"nonce\":\"0x7\",\"gas\":"
         "\"0x1\",\"value\":\"0x0\",\"input\":\"0x\"}",
         E_PROTOCOL, "not the hash asked for"},
        {"logs ok", H_LOGS, "[" LOG_OK "]", E_OK, ""},
        {"logs empty", H_LOGS, "[]", E_OK, ""},
        {"logs object", H_LOGS, "{}", E_PROTOCOL, "not an array"},
        {"logs other contract", H_LOGS, "[" LOG_OK_F(ADDR_F, HASH_E, "0x5", HASH_A) "]",
         E_PROTOCOL, "another contract"},
        {"logs other topic", H_LOGS, "[" LOG_OK_F(ADDR_D, HASH_A, "0x5", HASH_A) "]", E_PROTOCOL,
         "topics"},
        {"logs outside range", H_LOGS, "[" LOG_OK_F(ADDR_D, HASH_E, "0xa", HASH_A) "]", E_PROTOCOL,
         "outside"},
        {"logs entry not object", H_LOGS, "[1]", E_PROTOCOL, "result[0]"},
        {"call odd data", H_CALL, "\"0xabc\"", E_PROTOCOL, "odd"},
        {"call no prefix", H_CALL, "\"deadbeef\"", E_PROTOCOL, "0x prefix"},
        {"call ok", H_CALL, "\"0x\"", E_OK, ""},
        {"send not a hash", H_SEND, "\"0x1234\"", E_PROTOCOL, "expected 32 bytes"},
        {"send null", H_SEND, "null", E_PROTOCOL, "missing"},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        char *body = NULL;
        if (asprintf(&body, "{\"jsonrpc\":\"2.0\",\"id\":{{id}},\"result\":%s}", v[i].result) < 0)
            body = NULL;
        CHECK(body);
        struct fx f;
        bool started = fx_start(&f, SCRIPT({.status = 200, .body = body}), 1, NULL);
        if (!started)
            free(body);
        CHECK(started);
        err_code rc = run_helper(f.c, v[i].h, &f.e);
        bool ok = rc == v[i].code && (rc == E_OK || strstr(f.e.msg, v[i].msg));
        if (rc == E_PROTOCOL && v[i].code == E_PROTOCOL)
            ok = ok && rpc_last_error(f.c)->failure == RPC_FAIL_RESULT;
        t_case(ok, v[i].name, "rc=%s msg=%s", err_name(rc), f.e.msg);
        fx_end(&f);
        free(body);
    }
}

/* More logs than RPC_MAX_LOGS: E_LIMIT, before any is parsed. */
TEST(rpc_log_count_limit)
{
    struct buf b = {0};
    CHECK(buf_append_str(&b, "{\"jsonrpc\":\"2.0\",\"id\":{{id}},\"result\":[") == E_OK);
    for (unsigned i = 0; i <= RPC_MAX_LOGS; i++)
        CHECK(buf_append_str(&b, i ? "," LOG_OK : LOG_OK) == E_OK);
    CHECK(buf_append_str(&b, "]}") == E_OK);
    struct fx f;
    bool started = fx_start(&f, SCRIPT({.status = 200, .body = (char *)b.p}), 1, NULL);
    if (!started)
        buf_free(&b);
    CHECK(started);
    err_code rc = run_helper(f.c, H_LOGS, &f.e);
    fx_end(&f);
    buf_free(&b);
    CHECKF(rc == E_LIMIT && strstr(f.e.msg, "10001 logs"), "rc=%s msg=%s", err_name(rc), f.e.msg);
}

/* ------------------------------------------------------------------------- */
/* a real ledger                                                               */

/* The third deterministic account (public development key; only receives). */
#define DEV_ADDR_2 "0x22d491Bde2303f2f43325b2108D26f1eAbA1e32b"

/* Init code: emit LOG1(topic 42, data 0xdeadbeef), then deploy the runtime
 * 602a60005260206000f3 (return uint256(42) to any call). */
static const char INIT_HEX[] = "63deadbeef600052602a6004601ca1600a601b600039600a6000f3"
                               "602a60005260206000f3";
static const uint8_t RUNTIME[] = {0x60, 0x2a, 0x60, 0x00, 0x52, 0x60, 0x20, 0x60, 0x00, 0xf3};
/* Init code that reverts with the 4 bytes 0xdeadbeef. */
static const uint8_t REVERTER[] = {0x63, 0xde, 0xad, 0xbe, 0xef, 0x60, 0x00, 0x52, 0x60,
                                   0x04, 0x60, 0x1c, 0xfd};

static err_code sign_1559(const char *keyhex, uint64_t nonce, uint64_t max_fee, uint64_t tip,
                          uint64_t gas, const struct addr20 *to, uint64_t value,
                          const uint8_t *data, size_t dlen, struct buf *raw, struct hash32 *h,
                          struct err *e)
{
    uint8_t key[32];
    struct signer *s = NULL;
    err_code rc = hex_decode_exact(keyhex, 64, false, key, 32, e);
    if (!rc)
        rc = signer_from_privkey(key, &s, e);
    OPENSSL_cleanse(key, sizeof key);
    if (rc)
        return rc;
    struct tx t;
    tx_init(&t);
    t.type = TX_EIP1559;
    t.chain_id = 1337;
    t.nonce = nonce;
    u256_from_u64(tip, &t.max_priority_fee);
    u256_from_u64(max_fee, &t.max_fee);
    t.gas_limit = gas;
    if (to) {
        t.has_to = true;
        t.to = *to;
    }
    u256_from_u64(value, &t.value);
    rc = dlen ? tx_set_data(&t, data, dlen, e) : E_OK;
    if (!rc)
        rc = tx_sign(&t, s, raw, h, NULL, e);
    tx_clear(&t);
    signer_free(s);
    return rc;
}

/* The ledger of the running test, stopped at exit if a CHECK returned early. */
static struct t_ledger *g_ledger;
static void stop_ledger_at_exit(void)
{
    if (g_ledger)
        t_ledger_stop(g_ledger);
}

TEST(rpc_ganache_end_to_end)
{
    atexit(stop_ledger_at_exit);
    const char *skip = t_ledger_skip_reason();
    if (skip) {
        printf("SKIP rpc_ganache_end_to_end: %s\n", skip);
        return;
    }
    struct t_ledger l;
    CHECKF(t_ledger_start("default", &l) == 0, "%s", l.err);
    g_ledger = &l;
    struct rpc_client *c;
    struct err e = {0};
    CHECK_OK(rpc_client_new(&(struct rpc_options){.url = l.url}, &c, &e), &e);

    uint64_t chain, b0, n;
    CHECK_OK(rpc_chain_id(c, &chain, &e), &e);
    CHECK(chain == 1337);
    CHECK_OK(rpc_block_number(c, &b0, &e), &e);
    struct addr20 acct0, acct2;
    CHECK_OK(addr20_from_hex(T_DEV_ADDR_0, &acct0, &e), &e);
    CHECK_OK(addr20_from_hex(DEV_ADDR_2, &acct2, &e), &e);
    CHECK_OK(rpc_get_transaction_count(c, &acct0, "latest", &n, &e), &e);
    CHECK(n == 0);
    CHECK_OK(rpc_get_transaction_count(c, &acct0, "pending", &n, &e), &e);
    CHECK(n == 0);

    uint64_t price, tip;
    CHECK_OK(rpc_gas_price(c, &price, &e), &e);
    CHECK(price > 0);
    CHECK_OK(rpc_max_priority_fee(c, &tip, &e), &e);
    CHECK(tip > 0);

    struct rpc_block latest, byhash, fin;
    CHECK_OK(rpc_get_block_by_number(c, "latest", &latest, &e), &e);
    CHECK(latest.number == b0 && latest.has_base_fee && latest.timestamp > 1600000000);
    CHECK_OK(rpc_get_block_by_hash(c, &latest.hash, &byhash, &e), &e);
    CHECK(byhash.number == latest.number && hash32_eq(&byhash.parent_hash, &latest.parent_hash));
    CHECK_OK(rpc_get_block_by_number(c, "finalized", &fin, &e), &e);
    char q[RPC_QTY_BUF];
    CHECK_ERR(rpc_get_block_by_number(c, rpc_format_quantity(b0 + 1000, q), &fin, &e), &e,
              E_NOT_FOUND, "no such block");

    /* A signed EIP-1559 transfer. */
    uint64_t max_fee = 2 * latest.base_fee_per_gas + tip;
    struct buf raw = {0};
    struct hash32 h_signed, h_sent;
    CHECK_OK(sign_1559(T_DEV_KEY_0, 0, max_fee, tip, 21000, &acct2, 1, NULL, 0, &raw, &h_signed, &e),
             &e);
    CHECK_OK(rpc_send_raw_transaction(c, raw.p, raw.len, true, &h_sent, &e), &e);
    buf_free(&raw);
    CHECK(hash32_eq(&h_signed, &h_sent));
    struct rpc_receipt rc1;
    CHECK_OK(rpc_get_receipt(c, &h_sent, &rc1, &e), &e); /* ganache mines at once */
    CHECK(rc1.has_status && rc1.status_ok && rc1.gas_used == 21000 && rc1.nlogs == 0);
    CHECK(rc1.block_number == b0 + 1 && !rc1.has_contract_address);
    struct rpc_block mined;
    CHECK_OK(rpc_get_block_by_hash(c, &rc1.block_hash, &mined, &e), &e);
    CHECK(mined.number == rc1.block_number && hash32_eq(&mined.parent_hash, &latest.hash));
    rpc_receipt_free(&rc1);
    struct rpc_tx tx;
    CHECK_OK(rpc_get_transaction(c, &h_sent, &tx, &e), &e);
    CHECK(tx.mined && tx.block_number == b0 + 1 && tx.nonce == 0 && tx.type == 2);
    CHECK(addr20_eq(&tx.from, &acct0) && tx.has_to && addr20_eq(&tx.to, &acct2));
    CHECK(tx.value[31] == 1 && tx.gas == 21000 && tx.input_len == 0 && tx.has_chain_id &&
          tx.chain_id == 1337 && tx.has_fee_caps && tx.max_fee_per_gas == max_fee);
    rpc_tx_free(&tx);
    CHECK_OK(rpc_get_transaction_count(c, &acct0, "latest", &n, &e), &e);
    CHECK(n == 1);

    /* A contract creation whose constructor logs; then code, calls, logs. */
    uint8_t init[64];
    size_t init_len = strlen(INIT_HEX) / 2;
    CHECK_OK(hex_decode_exact(INIT_HEX, strlen(INIT_HEX), false, init, init_len, &e), &e);
    struct buf raw2 = {0};
    CHECK_OK(sign_1559(T_DEV_KEY_0, 1, max_fee, tip, 200000, NULL, 0, init, init_len, &raw2,
                       &h_signed, &e),
             &e);
    CHECK_OK(rpc_send_raw_transaction(c, raw2.p, raw2.len, false, &h_sent, &e), &e);
    struct rpc_receipt rc2;
    CHECK_OK(rpc_get_receipt(c, &h_sent, &rc2, &e), &e);
    CHECK(rc2.status_ok && rc2.has_contract_address && rc2.nlogs == 1);
    struct addr20 contract = rc2.contract_address;
    const struct rpc_log *lg = &rc2.logs[0];
    CHECK(addr20_eq(&lg->address, &contract) && lg->ntopics == 1 && lg->topics[0].b[31] == 42);
    CHECK(lg->data_len == 4 && memcmp(lg->data, "\xde\xad\xbe\xef", 4) == 0 && !lg->removed);
    CHECK(hash32_eq(&lg->tx_hash, &h_sent) && lg->block_number == rc2.block_number);

    uint8_t *code;
    size_t code_len;
    CHECK_OK(rpc_get_code(c, &contract, "latest", &code, &code_len, &e), &e);
    CHECK(code_len == sizeof RUNTIME && memcmp(code, RUNTIME, sizeof RUNTIME) == 0);
    free(code);
    CHECK_OK(rpc_get_code(c, &acct2, "latest", &code, &code_len, &e), &e);
    CHECK(code == NULL && code_len == 0);
    uint8_t *ret;
    size_t ret_len;
    CHECK_OK(rpc_eth_call(c, &(struct rpc_callmsg){.from = &acct0, .to = &contract}, "latest",
                          &ret, &ret_len, &e),
             &e);
    CHECK(ret_len == 32 && ret[31] == 42 && ret[0] == 0);
    free(ret);
    uint64_t gas;
    CHECK_OK(rpc_estimate_gas(c, &(struct rpc_callmsg){.from = &acct0, .to = &contract}, &gas, &e),
             &e);
    CHECK(gas >= 21000 && gas < 100000);

    struct rpc_log *logs;
    size_t nlogs;
    const struct hash32 *t42 = &lg->topics[0];
    CHECK_OK(rpc_get_logs(c,
                          &(struct rpc_log_filter){.address = &contract, .topics = {t42},
                                                   .ntopics = 1,
                                                   .from_block = rpc_format_quantity(b0, q)},
                          &logs, &nlogs, &e),
             &e);
    CHECK(nlogs == 1 && hash32_eq(&logs[0].block_hash, &rc2.block_hash) &&
          logs[0].log_index == lg->log_index && logs[0].data_len == 4);
    rpc_logs_free(logs, nlogs);
    struct hash32 other = *t42;
    other.b[31] = 43;
    CHECK_OK(rpc_get_logs(c,
                          &(struct rpc_log_filter){.address = &contract, .topics = {&other},
                                                   .ntopics = 1},
                          &logs, &nlogs, &e),
             &e);
    CHECK(nlogs == 0 && logs == NULL);
    rpc_receipt_free(&rc2);

    /* The same bytes again after mining: ganache answers with its own
     * wording for "nonce too low" (it never says "already known"). */
    struct hash32 h_again;
    CHECK_ERR(rpc_send_raw_transaction(c, raw2.p, raw2.len, true, &h_again, &e), &e, E_PROTOCOL,
              "nonce");
    buf_free(&raw2);
    CHECK(hash32_eq(&h_again, &h_sent));
    CHECKF(rpc_last_error(c)->reason == RPC_REASON_NONCE_TOO_LOW, "reason %s: %s",
           rpc_reason_name(rpc_last_error(c)->reason), rpc_last_error(c)->message);
    CHECK(rpc_last_error(c)->attempts == 1);

    /* Reverts carry their bytes. */
    CHECK_ERR(rpc_eth_call(c, &(struct rpc_callmsg){.data = REVERTER, .data_len = sizeof REVERTER},
                           "latest", &ret, &ret_len, &e),
              &e, E_PROTOCOL, "revert");
    const struct rpc_error *le = rpc_last_error(c);
    CHECK(le->reason == RPC_REASON_REVERT && le->has_data && le->data_len == 4 &&
          memcmp(le->data, "\xde\xad\xbe\xef", 4) == 0);
    CHECK_ERR(rpc_estimate_gas(c, &(struct rpc_callmsg){.data = REVERTER,
                                                        .data_len = sizeof REVERTER},
                               &gas, &e),
              &e, E_PROTOCOL, "revert");
    CHECK(le->reason == RPC_REASON_REVERT && le->has_data && le->data_len == 4);

    /* An account with no funds. */
    struct buf raw3 = {0};
    CHECK_OK(sign_1559("0000000000000000000000000000000000000000000000000000000000000001", 0,
                       max_fee, tip, 21000, &acct2, 1, NULL, 0, &raw3, &h_signed, &e),
             &e);
    CHECK_ERR(rpc_send_raw_transaction(c, raw3.p, raw3.len, true, &h_sent, &e), &e, E_PROTOCOL,
              "insufficient funds");
    buf_free(&raw3);
    CHECK(rpc_last_error(c)->reason == RPC_REASON_INSUFFICIENT_FUNDS);

    /* Garbage bytes: a JSON-RPC error, not retried. */
    CHECK_ERR(rpc_send_raw_transaction(c, (const uint8_t *)"\x12\x34", 2, true, &h_sent, &e), &e,
              E_PROTOCOL, "JSON-RPC error");
    CHECK(rpc_last_error(c)->attempts == 1);

    /* Unknown things. */
    struct hash32 unknown;
    memset(unknown.b, 0x77, 32);
    struct rpc_receipt rr;
    CHECK_ERR(rpc_get_receipt(c, &unknown, &rr, &e), &e, E_NOT_FOUND, "no receipt");
    CHECK_ERR(rpc_get_transaction(c, &unknown, &tx, &e), &e, E_NOT_FOUND, "does not know");
    CHECK_ERR(rpc_get_block_by_hash(c, &unknown, &byhash, &e), &e, E_NOT_FOUND, "no such block");
    json_t *r;
    CHECK_ERR(rpc_call(c, "eth_noSuchMethod", json_array(), &r, &e), &e, E_PROTOCOL,
              "does not exist");
    CHECK(rpc_last_error(c)->reason == RPC_REASON_METHOD_NOT_FOUND);

    struct rpc_stats st;
    rpc_get_stats(c, &st);
    CHECK(st.retries == 0 && st.transport_errors == 0 && st.attempts == st.calls);
    CHECK(st.rpc_errors == 6 && st.bytes_received > 0);
    rpc_client_free(c);
    t_ledger_stop(&l);
    g_ledger = NULL;
}
