/* tests/unit/test_rpc_memo.c — the run's memo (anchor/rpc_memo.h): a key
 * holds every part of the question (URL, response limit, method, each
 * parameter; object members in any order are one question), an answer is
 * shared read-only, a failure is never remembered, and the value API keeps
 * what its owner hands over. */
#include <stdlib.h>
#include <string.h>

#include "anchor/rpc_memo.h"
#include "tests/harness.h"

static char *key(const char *url, size_t limit, const char *method, const char *params)
{
    json_t *p = json_loads(params, 0, NULL);
    char *k = p ? rpc_memo_key(url, limit, method, p) : NULL;
    json_decref(p);
    return k;
}

TEST(memo_key_holds_every_part_of_the_question)
{
    const char *base = "[\"0xabc\",{\"a\":1,\"b\":\"latest\"}]";
    char *k0 = key("http://127.0.0.1:8545", 100, "eth_call", base);
    char *same = key("http://127.0.0.1:8545", 100, "eth_call", "[\"0xabc\",{\"b\":\"latest\",\"a\":1}]");
    char *other[] = {
        key("http://127.0.0.1:8546", 100, "eth_call", base),      /* another node */
        key("http://127.0.0.1:8545", 101, "eth_call", base),      /* another limit */
        key("http://127.0.0.1:8545", 100, "eth_getCode", base),   /* another method */
        key("http://127.0.0.1:8545", 100, "eth_call", "[\"0xabd\",{\"a\":1,\"b\":\"latest\"}]"),
        key("http://127.0.0.1:8545", 100, "eth_call", "[\"0xabc\",{\"a\":2,\"b\":\"latest\"}]"),
        key("http://127.0.0.1:8545", 100, "eth_call", "[\"0xabc\",{\"a\":1,\"b\":\"0x1\"}]"),
        key("http://127.0.0.1:8545", 100, "eth_call", "[\"0xabc\",{\"a\":1}]"),
        key("http://127.0.0.1:8545", 100, "eth_call", "[{\"a\":1,\"b\":\"latest\"},\"0xabc\"]"),
    };
    CHECK(k0 && same);
    CHECK_STREQ(k0, same);
    for (size_t i = 0; i < sizeof other / sizeof other[0]; i++) {
        CHECKF(other[i] && strcmp(k0, other[i]) != 0, "variant %zu shares the key", i);
        free(other[i]);
    }
    free(k0);
    free(same);
}

TEST(memo_answers_shared_and_failures_forgotten)
{
    struct err e = {0};
    struct rpc_memo *m;
    CHECK_OK(rpc_memo_new(&m, &e), &e);
    json_t *r = NULL;
    CHECK(!rpc_memo_begin(m, "k1", &r)); /* owned: fetch */
    rpc_memo_end(m, "k1", NULL);         /* failed: not remembered */
    CHECK(!rpc_memo_begin(m, "k1", &r)); /* asked again */
    json_t *answer = json_string("0x1234");
    rpc_memo_end(m, "k1", answer);
    json_t *a = NULL, *b = NULL;
    CHECK(rpc_memo_begin(m, "k1", &a) && rpc_memo_begin(m, "k1", &b));
    CHECK(a == answer && b == answer); /* one parsed value, no copy per hit */
    CHECK(!rpc_memo_begin(m, "k2", &r)); /* another key is another question */
    rpc_memo_end(m, "k2", NULL);
    json_decref(a);
    json_decref(b);
    json_decref(answer); /* the memo holds its own reference */
    uint64_t hits, misses;
    rpc_memo_stats(m, &hits, &misses);
    CHECK(hits == 2 && misses == 3);

    CHECK(rpc_memo_value_begin(m, "did\nx") == NULL);
    CHECK(!rpc_memo_value_end(m, "did\nx", NULL, free)); /* failed: asked again */
    CHECK(rpc_memo_value_begin(m, "did\nx") == NULL);
    char *v = strdup("document");
    CHECK(v && rpc_memo_value_end(m, "did\nx", v, free));
    CHECK(rpc_memo_value_begin(m, "did\nx") == v);
    CHECK(rpc_memo_value_begin(m, "did\ny") == NULL);
    CHECK(!rpc_memo_value_end(m, "did\nz", v, free)); /* not an owned question: not taken */
    rpc_memo_value_end(m, "did\ny", NULL, free);
    rpc_memo_free(m); /* frees v and the JSON answer (ASan: no leak) */
}
