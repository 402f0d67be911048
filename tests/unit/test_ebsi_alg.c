/*
 * tests/unit/test_ebsi_alg.c — anchor/ebsi_alg.h: the Timestamp API's
 * hash-algorithm answer (GET /timestamp/v4/hash-algorithms/{id}) parsed
 * strictly (both published spellings of the multihash member, exactly one),
 * the decision "sha2-256 and active", the URL derived from the JSON-RPC
 * endpoint, and ebsi_alg_confirm against a scripted HTTP server: 200, 404
 * (unknown id), 500 and a closed connection (unreachable), an oversized
 * answer. End to end through the gateway: tests/cli/ebsi_e2e.sh.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anchor/ebsi_alg.h"
#include "tests/harness.h"
#include "tests/rpc_stub.h"

/* The published page's example (hub.ebsi.eu, pilot, timestamp v4). */
static const char PAGE[] = "{\"outputLengthBits\": 256, \"ianaName\": \"sha-256\", "
                           "\"oid\": \"2.16.840.1.101.3.4.2.1\", \"status\": \"active\", "
                           "\"multiHash\": \"sha2-256\"}";
/* What the API's source writes (hash-algorithms.service.ts). */
static const char SOURCE[] = "{\"ianaName\":\"sha-256\",\"multihash\":\"sha2-256\","
                             "\"oid\":\"2.16.840.1.101.3.4.2.1\",\"outputLengthBits\":256,"
                             "\"status\":\"active\"}";

TEST(parse_both_published_spellings)
{
    struct err e = {0};
    struct ebsi_alg a;
    CHECK_OK(ebsi_alg_parse(PAGE, strlen(PAGE), &a, &e), &e);
    CHECK(a.output_bits == 256);
    CHECK_STREQ(a.multihash, "sha2-256");
    CHECK_STREQ(a.status, "active");
    CHECK_STREQ(a.iana_name, "sha-256");
    CHECK_STREQ(a.oid, "2.16.840.1.101.3.4.2.1");
    CHECK_OK(ebsi_alg_check(&a, 0, &e), &e);
    CHECK_OK(ebsi_alg_parse(SOURCE, strlen(SOURCE), &a, &e), &e);
    CHECK_STREQ(a.multihash, "sha2-256");
    CHECK_OK(ebsi_alg_check(&a, 0, &e), &e);
    /* a member the API may add later is ignored */
    const char more[] = "{\"outputLengthBits\":256,\"ianaName\":\"sha-256\",\"oid\":\"x\","
                        "\"status\":\"active\",\"multihash\":\"sha2-256\",\"links\":{}}";
    CHECK_OK(ebsi_alg_parse(more, strlen(more), &a, &e), &e);
}

TEST(parse_is_strict)
{
    static const struct {
        const char *json, *why;
    } bad[] = {
        {"[]", "not a JSON object"},
        {"{\"outputLengthBits\":256}x", "hash algorithm answer"},
        {"{\"outputLengthBits\":\"256\",\"ianaName\":\"a\",\"oid\":\"b\",\"status\":\"active\","
         "\"multihash\":\"sha2-256\"}",
         "outputLengthBits"},
        {"{\"outputLengthBits\":-1,\"ianaName\":\"a\",\"oid\":\"b\",\"status\":\"active\","
         "\"multihash\":\"sha2-256\"}",
         "outputLengthBits"},
        {"{\"outputLengthBits\":256.0,\"ianaName\":\"a\",\"oid\":\"b\",\"status\":\"active\","
         "\"multihash\":\"sha2-256\"}",
         "outputLengthBits"},
        {"{\"outputLengthBits\":256,\"oid\":\"b\",\"status\":\"active\",\"multihash\":\"sha2-256\"}",
         "ianaName"},
        {"{\"outputLengthBits\":256,\"ianaName\":\"a\\u0001\",\"oid\":\"b\",\"status\":\"active\","
         "\"multihash\":\"sha2-256\"}",
         "ianaName"},
        {"{\"outputLengthBits\":256,\"ianaName\":\"a\",\"oid\":null,\"status\":\"active\","
         "\"multihash\":\"sha2-256\"}",
         "oid"},
        {"{\"outputLengthBits\":256,\"ianaName\":\"a\",\"oid\":\"b\",\"status\":1,"
         "\"multihash\":\"sha2-256\"}",
         "status"},
        {"{\"outputLengthBits\":256,\"ianaName\":\"a\",\"oid\":\"b\",\"status\":\"Active\","
         "\"multihash\":\"sha2-256\"}",
         "status"},
        {"{\"outputLengthBits\":256,\"ianaName\":\"a\",\"oid\":\"b\",\"status\":\"active\"}",
         "exactly one of multihash and multiHash"},
        {"{\"outputLengthBits\":256,\"ianaName\":\"a\",\"oid\":\"b\",\"status\":\"active\","
         "\"multihash\":\"sha2-256\",\"multiHash\":\"sha2-256\"}",
         "exactly one of multihash and multiHash"},
        {"{\"outputLengthBits\":256,\"ianaName\":\"a\",\"oid\":\"b\",\"status\":\"active\","
         "\"multihash\":\"SHA2-256\"}",
         "multihash must be"},
        {"{\"outputLengthBits\":256,\"ianaName\":\"a\",\"oid\":\"b\",\"status\":\"active\","
         "\"multihash\":\"sha2-256\",\"status\":\"revoked\"}",
         "duplicate"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct err e = {0};
        struct ebsi_alg a;
        err_code rc = ebsi_alg_parse(bad[i].json, strlen(bad[i].json), &a, &e);
        t_case(rc == E_PROTOCOL && strstr(e.msg, bad[i].why) && a.multihash[0] == '\0',
               bad[i].json, "rc %s, msg \"%s\"", err_name(rc), e.msg);
    }
    /* over the size limit, before parsing */
    char *big = malloc(EBSI_ALG_MAX_ANSWER + 64);
    CHECK(big);
    int n = snprintf(big, EBSI_ALG_MAX_ANSWER + 64, "{\"x\":\"%0*d\"}", (int)EBSI_ALG_MAX_ANSWER, 0);
    struct err e = {0};
    struct ebsi_alg a;
    err_code rc = ebsi_alg_parse(big, (size_t)n, &a, &e);
    free(big);
    CHECKF(rc == E_PROTOCOL, "oversized: %s %s", err_name(rc), e.msg);
    /* a text of 65 characters is one too many */
    char long_name[256];
    snprintf(long_name, sizeof long_name,
             "{\"outputLengthBits\":256,\"ianaName\":\"%065d\",\"oid\":\"b\",\"status\":\"active\","
             "\"multihash\":\"sha2-256\"}",
             0);
    CHECK_ERR(ebsi_alg_parse(long_name, strlen(long_name), &a, &e), &e, E_PROTOCOL, "ianaName");
}

TEST(check_refuses_what_is_not_active_sha256)
{
    static const struct {
        const char *multihash, *status;
        uint64_t bits, id;
        err_code want;
        const char *says;
    } cases[] = {
        {"sha2-256", "active", 256, 0, E_OK, ""},
        {"sha2-256", "revoked", 256, 0, E_STATE, "status \"revoked\", not \"active\""},
        {"sha2-256", "undefined", 256, 0, E_STATE, "\"undefined\""},
        {"sha3-256", "active", 256, 1, E_INVALID, "hash algorithm 1 is sha3-256"},
        {"sha2-256", "active", 512, 0, E_PROTOCOL, "512 output bits"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct err e = {0};
        struct ebsi_alg a = {.output_bits = cases[i].bits};
        strcpy(a.multihash, cases[i].multihash);
        strcpy(a.status, cases[i].status);
        strcpy(a.iana_name, "sha-256");
        err_code rc = ebsi_alg_check(&a, cases[i].id, &e);
        t_case(rc == cases[i].want && strstr(e.msg, cases[i].says) &&
                   (rc == E_OK || rc == E_PROTOCOL || strstr(e.msg, "--hash-algorithm-id")),
               cases[i].says[0] ? cases[i].says : "sha2-256 active", "rc %s, \"%s\"", err_name(rc),
               e.msg);
    }
}

TEST(url_from_the_jsonrpc_endpoint)
{
    struct err e = {0};
    char *u = NULL;
    CHECK_OK(ebsi_alg_url("https://api-pilot.ebsi.eu/timestamp/v4/jsonrpc", 0, &u, &e), &e);
    CHECK_STREQ(u, "https://api-pilot.ebsi.eu/timestamp/v4/hash-algorithms/0");
    free(u);
    CHECK_OK(ebsi_alg_url("http://127.0.0.1:8/timestamp/v4/jsonrpc", 4294967295u, &u, &e), &e);
    CHECK_STREQ(u, "http://127.0.0.1:8/timestamp/v4/hash-algorithms/4294967295");
    free(u);
    static const char *const bad[] = {
        "https://api-pilot.ebsi.eu/timestamp/v4",  "ftp://x/timestamp/v4/jsonrpc",
        "https://x/timestamp/v4/jsonrpc?a=b",      "https://x/jsonrpc#f/jsonrpc",
        "/jsonrpc",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        u = NULL;
        err_code rc = ebsi_alg_url(bad[i], 0, &u, &e);
        t_case(rc == E_INVALID && !u && strstr(e.msg, "ending in /jsonrpc"), bad[i], "rc %s",
               err_name(rc));
        free(u);
    }
}

/* ebsi_alg_confirm against a stub answering `reply`. */
static err_code confirm_from(const struct rpc_stub_reply *reply, uint64_t id, struct ebsi_alg *a,
                             struct err *e)
{
    struct rpc_stub *stub = rpc_stub_start(reply, 1);
    if (!stub)
        return err_set(e, E_IO, "no stub");
    char api[256];
    snprintf(api, sizeof api, "%stimestamp/v4/jsonrpc", rpc_stub_url(stub));
    err_code rc = ebsi_alg_confirm(api, id, 5000, a, e);
    rpc_stub_stop(stub);
    rpc_stub_free(stub);
    return rc;
}

TEST(confirm_through_http)
{
    struct err e = {0};
    struct ebsi_alg a;
    struct rpc_stub_reply good = {.status = 200, .body = PAGE};
    CHECK_OK(confirm_from(&good, 0, &a, &e), &e);
    CHECK_STREQ(a.multihash, "sha2-256");
    struct rpc_stub_reply revoked = {
        .status = 200,
        .body = "{\"outputLengthBits\":256,\"ianaName\":\"sha-256\",\"oid\":\"o\","
                "\"status\":\"revoked\",\"multihash\":\"sha2-256\"}"};
    CHECK_ERR(confirm_from(&revoked, 0, &a, &e), &e, E_STATE, "\"revoked\"");
    CHECK_STREQ(a.status, "revoked");
    struct rpc_stub_reply missing = {
        .status = 404,
        .headers = "Content-Type: application/problem+json\r\n",
        .body = "{\"title\":\"Hash algorithm Not Found\",\"status\":404}"};
    CHECK_ERR(confirm_from(&missing, 7, &a, &e), &e, E_NOT_FOUND,
              "knows no hash algorithm 7");
    struct rpc_stub_reply broken = {.status = 500, .body = "{}"};
    CHECK_ERR(confirm_from(&broken, 0, &a, &e), &e, E_NETWORK, "try again");
    CHECK(strstr(e.msg, "HTTP 500"));
    struct rpc_stub_reply closed = {.status = 0};
    CHECK_ERR(confirm_from(&closed, 0, &a, &e), &e, E_NETWORK, "is the Timestamp API reachable");
    struct rpc_stub_reply big = {.status = 200, .body = "{\"x\":\"", .filler = 5000, .tail = "\"}"};
    CHECK_ERR(confirm_from(&big, 0, &a, &e), &e, E_PROTOCOL, "larger than");
    struct rpc_stub_reply garbage = {.status = 200, .body = "<html>"};
    CHECK_ERR(confirm_from(&garbage, 0, &a, &e), &e, E_PROTOCOL, "hash-algorithms/0");
}
