/*
 * tests/unit/test_revledger.c — the ebsi variants of verifier/revocation.h's
 * vrev_ledger_* functions against a scripted JSON-RPC node (tests/rpc_stub.h):
 * eth_getLogs is asked in bounded windows walking back from the head and
 * stops at the window that holds the issuer's checkpoint 0; only the
 * issuer's HashTimestamped events that carry exactly our record count (a
 * 33-byte hash, other data, another sender or another emitter are not
 * ours); an event stating another block than its log's is refused; and
 * getTimestamp answers "ours", "another address's" or "never".
 * End to end on the EBSI-style gateway: tests/cli/revocation_ebsi.sh.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anchor/abi.h"
#include "anchor/ebsi.h"
#include "tests/harness.h"
#include "tests/rpc_stub.h"
#include "verifier/revocation.h"

#define CONTRACT "0x07a457d878bf363e0bb5aa0b096092f941e19962"
#define ISSUER "0x90f8bf6a479f320ead074411a4b0e7944ea8c9c1"
#define OTHER "0xffcf8fdee72ac11b5c542428b35eef5769c409f0"
#define REPLY(result) "{\"jsonrpc\":\"2.0\",\"id\":{{id}},\"result\":" result "}"

static char *hexdup(const uint8_t *p, size_t n)
{
    char *s = malloc(2 * n + 3);
    if (!s)
        return NULL;
    s[0] = '0';
    s[1] = 'x';
    hex_encode(p, n, s + 2);
    return s;
}

/* One HashTimestamped log as a node returns it: from `from`, emitted by
 * `emitter`, in block `block` (the event states `stated`), hash of
 * `root_len` bytes of `fill`, data `text`. A malloc'd JSON object. */
static char *ts_log(const char *emitter, const char *from, uint64_t block, uint64_t stated,
                    uint8_t fill, size_t root_len, const char *text, uint64_t log_index)
{
    uint8_t root[40];
    memset(root, fill, sizeof root);
    struct buf data = {0};
    struct abi_arg args[4] = {abi_arg_bytes(root, root_len), abi_arg_uint(0),
                              abi_arg_uint(stated),
                              abi_arg_bytes((const uint8_t *)text, strlen(text))};
    struct hash32 topic;
    ebsi_event_topic(&topic);
    char t0[67], *dh = NULL, *out = NULL;
    hash32_to_hex0x(&topic, t0);
    if (abi_encode_args(args, 4, &data, NULL) == E_OK && (dh = hexdup(data.p, data.len)) &&
        asprintf(&out,
                 "{\"address\":\"%s\",\"topics\":[\"%s\",\"0x000000000000000000000000%s\"],"
                 "\"data\":\"%s\",\"blockNumber\":\"0x%llx\",\"blockHash\":\"0x%064llx\","
                 "\"transactionHash\":\"0x%064llx\",\"transactionIndex\":\"0x0\","
                 "\"logIndex\":\"0x%llx\",\"removed\":false}",
                 emitter, t0, from + 2, dh, (unsigned long long)block, (unsigned long long)block,
                 (unsigned long long)(block * 1000 + log_index), (unsigned long long)log_index) < 0)
        out = NULL;
    free(dh);
    buf_free(&data);
    return out;
}

static char *block_reply(uint64_t block, uint64_t time)
{
    char *out;
    if (asprintf(&out,
                 REPLY("{\"number\":\"0x%llx\",\"hash\":\"0x%064llx\",\"parentHash\":\"0x%064x\","
                       "\"timestamp\":\"0x%llx\",\"gasLimit\":\"0x1c9c380\"}"),
                 (unsigned long long)block, (unsigned long long)block, 0,
                 (unsigned long long)time) < 0)
        return NULL;
    return out;
}

static char *logs_reply(char *a, char *b, char *c)
{
    char *out;
    if (asprintf(&out, REPLY("[%s%s%s%s%s]"), a ? a : "", b ? "," : "", b ? b : "",
                 c ? "," : "", c ? c : "") < 0)
        out = NULL;
    free(a);
    free(b);
    free(c);
    return out;
}

/* A stub answering with `script` and the issuer's EBSI ledger on it
 * (windows of 5000 blocks) in *l. Returns the stub (the caller closes *l,
 * then stops and frees it), or NULL with e saying why (nothing left). */
static struct rpc_stub *ledger_on(const struct rpc_stub_reply *script, size_t n,
                                  struct vrev_ledger *l, struct err *e)
{
    struct rpc_stub *stub = rpc_stub_start(script, n);
    if (!stub) {
        err_set(e, E_IO, "the stub did not start");
        return NULL;
    }
    struct rpc_options ro = {.url = rpc_stub_url(stub), .timeout_ms = 5000, .max_attempts = 1};
    struct addr20 contract, issuer;
    if (addr20_from_hex(CONTRACT, &contract, e) || addr20_from_hex(ISSUER, &issuer, e) ||
        vrev_ledger_open(l, BUNDLE_LEDGER_EBSI, &ro, &contract, &issuer, 1, 5000, e) != E_OK) {
        rpc_stub_stop(stub);
        rpc_stub_free(stub);
        return NULL;
    }
    return stub;
}

static const char CHAIN[] = REPLY("\"0x539\""), HEAD[] = REPLY("\"0x2ee0\""), /* 12000 */
    NONE[] = REPLY("[]");
static const char CP0[] = "{\"kind\":\"revocation\",\"seq\":0,\"size\":1,\"v\":1}",
                  CP1[] = "{\"kind\":\"revocation\",\"seq\":1,\"size\":3,\"v\":1}",
                  BATCH0[] = "{\"kind\":\"issuance\",\"seq\":0,\"size\":8,\"v\":1}";

TEST(history_walks_back_in_bounded_windows)
{
    /* No checkpoint at all: three windows of 5000 back to block 0, no more. */
    struct rpc_stub_reply script[] = {{.status = 200, .body = CHAIN}, {.status = 200, .body = HEAD}, {.status = 200, .body = NONE}};
    struct err e = {0};
    struct vrev_ledger l;
    struct rpc_stub *stub = ledger_on(script, 3, &l, &e);
    CHECKF(stub, "%s", e.msg);
    CHECK(l.head == 12000 && l.ledger == BUNDLE_LEDGER_EBSI);
    struct vrev_anchor *v;
    size_t n = 99;
    CHECK_OK(vrev_ledger_history(&l, REGISTRY_KIND_CHECKPOINT, &v, &n, &e), &e);
    uint64_t count = 99;
    CHECK_OK(vrev_ledger_count(&l, REGISTRY_KIND_CHECKPOINT, &count, &e), &e);
    vrev_ledger_close(&l);
    rpc_stub_stop(stub);
    CHECK(n == 0 && v == NULL && count == 0);
    CHECKF(rpc_stub_requests(stub) == 2 + 3 + 3, "%u requests", rpc_stub_requests(stub));
    const char *last = rpc_stub_last_body(stub);
    CHECKF(strstr(last, "\"eth_getLogs\"") && strstr(last, "\"fromBlock\":\"0x0\"") &&
               strstr(last, "\"toBlock\":\"0x7d0\"") && strstr(last, CONTRACT),
           "%s", last);
    rpc_stub_free(stub);
}

TEST(history_stops_at_checkpoint_zero_and_keeps_only_ours)
{
    /* Window 7001..12000: checkpoint 1 (block 9000), the issuer's batch 0,
     * and a 33-byte hash with a checkpoint record (not ours). Window
     * 2001..7000: checkpoint 0 (block 3000), and two records whose data is
     * not ours. Nothing before is asked for. */
    char *w1 = logs_reply(ts_log(CONTRACT, ISSUER, 9000, 9000, 0x11, 32, CP1, 0),
                          ts_log(CONTRACT, ISSUER, 9000, 9000, 0x22, 32, BATCH0, 1),
                          ts_log(CONTRACT, ISSUER, 9500, 9500, 0x33, 33, CP1, 0));
    char *b9000 = block_reply(9000, 1763769600);
    char *w2 = logs_reply(ts_log(CONTRACT, ISSUER, 3000, 3000, 0x44, 32, CP0, 2),
                          ts_log(CONTRACT, ISSUER, 3000, 3000, 0x55, 32, "hello", 3),
                          ts_log(CONTRACT, ISSUER, 3100, 3100, 0x66, 32, "{}", 0));
    char *b3000 = block_reply(3000, 1763700000);
    CHECK(w1 && b9000 && w2 && b3000);
    struct rpc_stub_reply script[] = {{.status = 200, .body = CHAIN}, {.status = 200, .body = HEAD}, {.status = 200, .body = w1},
                                      {.status = 200, .body = b9000}, {.status = 200, .body = w2}, {.status = 200, .body = b3000},
                                      {.status = 200, .body = NONE}};
    struct err e = {0};
    struct vrev_ledger l;
    struct rpc_stub *stub = ledger_on(script, 7, &l, &e);
    CHECKF(stub, "%s", e.msg);
    struct vrev_anchor *v = NULL;
    size_t n = 0;
    err_code rc = vrev_ledger_history(&l, REGISTRY_KIND_CHECKPOINT, &v, &n, &e);
    vrev_ledger_close(&l);
    rpc_stub_stop(stub);
    CHECKF(rc == E_OK, "%s", e.msg);
    CHECKF(rpc_stub_requests(stub) == 6, "%u requests: the walk did not stop at checkpoint 0",
           rpc_stub_requests(stub));
    CHECKF(n == 2, "%zu checkpoints", n);
    if (n == 2) {
        CHECK(v[0].ev.seq == 0 && v[0].ev.size == 1 && v[0].ev.block_number == 3000 &&
              v[0].block_time == 1763700000 && v[0].ev.root.b[0] == 0x44 &&
              v[0].ev.kind == REGISTRY_KIND_CHECKPOINT);
        CHECK(v[1].ev.seq == 1 && v[1].ev.size == 3 && v[1].ev.block_number == 9000 &&
              v[1].block_time == 1763769600 && v[1].ev.root.b[31] == 0x11);
    }
    free(v);
    rpc_stub_free(stub);
    free(w1);
    free(b9000);
    free(w2);
    free(b3000);
}

TEST(anchors_map_both_kinds_and_refuse_what_is_not_the_contracts)
{
    char *w = logs_reply(ts_log(CONTRACT, ISSUER, 100, 100, 0x22, 32, BATCH0, 0), NULL, NULL);
    char *b100 = block_reply(100, 1700000000);
    /* an event that states another block than its log's */
    char *lie = logs_reply(ts_log(CONTRACT, ISSUER, 200, 199, 0x24, 32, CP0, 0), NULL, NULL);
    /* a node that answers with another sender's or another emitter's log */
    char *other = logs_reply(ts_log(CONTRACT, OTHER, 300, 300, 0x25, 32, CP0, 0), NULL, NULL);
    char *emitter = logs_reply(
        ts_log("0x000000000000000000000000000000000000dead", ISSUER, 400, 400, 0x26, 32, CP0, 0),
        NULL, NULL);
    /* malformed ABI data: a bytes offset pointing past the end */
    char *bad = logs_reply(ts_log(CONTRACT, ISSUER, 500, 500, 0x27, 32, CP0, 0), NULL, NULL);
    char *p = bad ? strstr(bad, "\"data\":\"0x") : NULL;
    if (p)
        memcpy(p + 10 + 62, "ff", 2); /* the first word (offset of hashValue): 0x80 → 0xff */
    CHECK(w && b100 && lie && other && emitter && bad && p);
    struct rpc_stub_reply script[] = {
        {.status = 200, .body = CHAIN}, {.status = 200, .body = HEAD},  {.status = 200, .body = w},
        {.status = 200, .body = b100},  {.status = 200, .body = lie},   {.status = 200, .body = other},
        {.status = 200, .body = emitter}, {.status = 200, .body = bad}, {.status = 200, .body = NONE}};
    struct err e = {0};
    struct vrev_ledger l;
    struct rpc_stub *stub = ledger_on(script, 9, &l, &e);
    CHECKF(stub, "%s", e.msg);
    struct vrev_anchor *v = NULL;
    size_t n = 0;
    CHECK_OK(vrev_ledger_anchors(&l, 100, 100, &v, &n, &e), &e);
    /* the other sender's record is not the issuer's */
    CHECKF(n == 1 && v[0].ev.kind == REGISTRY_KIND_BATCH && v[0].ev.size == 8 &&
               v[0].block_time == 1700000000,
           "%zu anchors", n);
    free(v);
    CHECK_ERR(vrev_ledger_anchors(&l, 200, 200, &v, &n, &e), &e, E_PROTOCOL,
              "not EBSI's Timestamp contract");
    CHECK(v == NULL && n == 0);
    CHECK_ERR(vrev_ledger_anchors(&l, 300, 300, &v, &n, &e), &e, E_PROTOCOL, "topics");
    CHECK_ERR(vrev_ledger_anchors(&l, 400, 400, &v, &n, &e), &e, E_PROTOCOL, "another contract");
    /* not decodable as HashTimestamped: not one of ours, left out */
    CHECK_OK(vrev_ledger_anchors(&l, 500, 500, &v, &n, &e), &e);
    CHECK(v == NULL && n == 0);
    vrev_ledger_close(&l);
    rpc_stub_stop(stub);
    CHECKF(rpc_stub_requests(stub) == 8, "%u requests", rpc_stub_requests(stub));
    rpc_stub_free(stub);
    free(w);
    free(b100);
    free(lie);
    free(other);
    free(emitter);
    free(bad);
}

/* The ABI answer of getTimestamp: (from, block, time, alg, data). */
static char *record_reply(const char *from, uint64_t block, uint64_t time, const char *text)
{
    struct addr20 a;
    struct buf out = {0};
    char *hx = NULL, *r = NULL;
    if (addr20_from_hex(from, &a, NULL))
        return NULL;
    struct abi_arg args[5] = {abi_arg_address(&a), abi_arg_uint(block), abi_arg_uint(time),
                              abi_arg_uint(0),
                              abi_arg_bytes((const uint8_t *)text, strlen(text))};
    if (abi_encode_args(args, 5, &out, NULL) == E_OK && (hx = hexdup(out.p, out.len)) &&
        asprintf(&r, REPLY("\"%s\""), hx) < 0)
        r = NULL;
    free(hx);
    buf_free(&out);
    return r;
}

TEST(record_says_whose_root_it_is)
{
    struct {
        const char *name, *from, *text;
        bool ours, other;
        uint64_t seq;
    } cases[] = {
        {"the issuer's checkpoint", ISSUER, CP1, true, false, 1},
        {"another address wrote it first", OTHER, CP1, false, true, 0},
        {"the issuer's key, not our record", ISSUER, "hello", false, false, 0},
        {"never timestamped", "0x0000000000000000000000000000000000000000", "", false, false, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *rec = record_reply(cases[i].from, 42, 1700000042, cases[i].text);
        CHECK(rec);
        struct rpc_stub_reply script[] = {{.status = 200, .body = CHAIN}, {.status = 200, .body = HEAD}, {.status = 200, .body = rec}};
        struct err e = {0};
        struct vrev_ledger l;
        struct vrev_record r = {0};
        struct hash32 root = {{0x11}};
        struct rpc_stub *stub = ledger_on(script, 3, &l, &e);
        CHECKF(stub, "%s", e.msg);
        err_code rc = vrev_ledger_record(&l, &root, &r, &e);
        vrev_ledger_close(&l);
        rpc_stub_stop(stub);
        t_case(rc == E_OK && r.ours == cases[i].ours && r.other == cases[i].other &&
                   (!r.ours || (r.seq == cases[i].seq && r.size == 3 && r.block_number == 42 &&
                                r.block_time == 1700000042 &&
                                r.kind == REGISTRY_KIND_CHECKPOINT)),
               cases[i].name, "rc %s ours %d other %d: %s", err_name(rc), r.ours, r.other, e.msg);
        CHECK(strstr(rpc_stub_last_body(stub), "\"eth_call\"") &&
              strstr(rpc_stub_last_body(stub), "\"0x2ee0\""));
        rpc_stub_free(stub);
        free(rec);
    }
}
