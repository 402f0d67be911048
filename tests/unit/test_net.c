/*
 * tests/unit/test_net.c — anchor/net.h: net_url_may_carry_secret, the rule
 * for URLs that carry a bearer token or a signed presentation (EBSI's
 * Timestamp and Authorisation APIs): https:// anywhere, plain http:// only
 * to this machine. The callers (anchor/ebsi.c ebsi_api_new, anchor/
 * ebsi_auth.c) are exercised end to end through the gateway on 127.0.0.1
 * (tests/cli/ebsi_token.sh); here every edge of the host test.
 */
#include <string.h>

#include "anchor/ebsi.h"
#include "anchor/net.h"
#include "tests/harness.h"

TEST(https_anywhere_http_only_to_loopback)
{
    struct err e = {0};
    static const char *ok[] = {
        "https://api-pilot.ebsi.eu/timestamp/v4/jsonrpc", "HTTPS://API.EXAMPLE/",
        "http://127.0.0.1:8545/timestamp/v4/jsonrpc",     "http://127.1.2.3/x",
        "http://localhost/authorisation/v4",              "http://LOCALHOST:9000",
        "http://[::1]:8080/a",                            "http://[::1]",
        "http://127.0.0.1",
    };
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++)
        CHECK_OK(net_url_may_carry_secret(ok[i], "the token", &e), &e);
    static const char *bad[] = {
        "http://api-pilot.ebsi.eu/timestamp/v4/jsonrpc", /* plain http to another host */
        "http://127.0.0.1.evil.example/",                /* looks like loopback, is not */
        "http://localhost.evil.example/",
        "http://127.0.0.1@evil.example/",                /* userinfo: the host is evil.example */
        "http://[::1].evil/",
        "http://1270.0.0.1/",
        "ftp://127.0.0.1/",
        "127.0.0.1:8545",
        "",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        CHECK_ERR(net_url_may_carry_secret(bad[i], "the token", &e), &e, E_INVALID, "https://");
    /* the message names the secret and never repeats the URL (it may hold userinfo) */
    CHECK_ERR(net_url_may_carry_secret("http://user:pw@example.org/", "the Timestamp API token",
                                       &e),
              &e, E_INVALID, "the Timestamp API token");
    CHECK(strstr(e.msg, "pw@") == NULL);
}

TEST(timestamp_api_with_a_token_refuses_plain_http_to_another_host)
{
    struct err e = {0};
    struct ebsi_api *a = NULL;
    struct rpc_options o = {.url = "http://api.example.org/timestamp/v4/jsonrpc",
                            .bearer_token = "secret-token"};
    CHECK_ERR(ebsi_api_new(&o, &a, &e), &e, E_INVALID, "in clear");
    CHECK(a == NULL);
    CHECK(strstr(e.msg, "secret-token") == NULL);
    /* without a token (read-only use) the rule does not apply */
    o.bearer_token = NULL;
    CHECK_OK(ebsi_api_new(&o, &a, &e), &e);
    ebsi_api_free(a);
    /* with a token, to this machine */
    o.url = "http://127.0.0.1:1/timestamp/v4/jsonrpc";
    o.bearer_token = "secret-token";
    CHECK_OK(ebsi_api_new(&o, &a, &e), &e);
    ebsi_api_free(a);
}
