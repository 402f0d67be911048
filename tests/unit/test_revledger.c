/*
 * tests/unit/test_revledger.c — the ebsi variants of verifier/revocation.h's
 * vrev_ledger_* functions against a fake JSON-RPC node (tests/rpc_stub.h)
 * that speaks EBSI's Timestamp contract (anchor/ebsi.h, docs/ebsi.md):
 * TimestampedHashes(bytes32[],uint256[],bytes[],bytes[]) with nothing
 * indexed, so the issuer's records are the events whose transaction's
 * sender (eth_getTransactionByHash) is the issuer; getTimestamp(bytes)
 * returning ((uint256,bytes),address,uint256,bytes) or reverting
 * "timestamp unknown". Events and answers are encoded by tests/ebsi_stub.h
 * (anchor/abi.h's encoders, in the layout Solidity's ABI gives them: the
 * layout anchor/ebsi.c decodes and re-encodes canonically).
 *   history: eth_getLogs in bounded windows walking back from the head,
 *     stopping at the window that holds the issuer's checkpoint 0; only the
 *     issuer's events that carry exactly our record count (a 33-byte hash,
 *     other data, another sender are not ours);
 *   anchors: both kinds mapped; another sender's event or one that is not
 *     EBSI's shape left out; a log of another contract or topic, or whose
 *     transaction is elsewhere or unknown, refused;
 *   record: getTimestamp answers "ours", "another address's", "the
 *     issuer's key but not our record", or "never" (exactly the revert
 *     "timestamp unknown"; another revert is the ledger's error).
 * End to end on the EBSI-style gateway: tests/cli/revocation_ebsi.sh.
 */
#include <jansson.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anchor/ebsi.h"
#include "tests/ebsi_stub.h"
#include "tests/harness.h"
#include "tests/rpc_stub.h"
#include "verifier/revocation.h"

#define CONTRACT "0x07a457d878bf363e0bb5aa0b096092f941e19962"
#define ISSUER "0x90f8bf6a479f320ead074411a4b0e7944ea8c9c1"
#define OTHER "0xffcf8fdee72ac11b5c542428b35eef5769c409f0"
#define DEAD "0x000000000000000000000000000000000000dead"
#define HEAD_BLOCK 12000
static const char CP0[] = "{\"kind\":\"revocation\",\"seq\":0,\"size\":1,\"v\":1}",
                  CP1[] = "{\"kind\":\"revocation\",\"seq\":1,\"size\":3,\"v\":1}",
                  BATCH0[] = "{\"kind\":\"issuance\",\"seq\":0,\"size\":8,\"v\":1}";

/* The time of block n on the fake ledger. */
static uint64_t time_of(uint64_t n) { return 1700000000u + n; }

/* One TimestampedHashes event on the fake ledger. */
struct ev {
    const char *emitter, *from; /* the log's address, its transaction's sender */
    uint64_t block;
    uint8_t fill;               /* the hash value: root_len bytes of fill */
    size_t root_len;
    const char *text;           /* timestampData */
    uint64_t tx;                /* transaction id (its hash is 0x%064x of it) */
    uint64_t log_index;
    uint64_t tx_block;          /* the block the transaction says it is in (0: block) */
    bool tx_unknown;            /* eth_getTransactionByHash answers null */
    int topics;                 /* 0: EBSI's [topic0]; 1: another topic0; 2: [topic0, sender] */
    bool corrupt;               /* the data's first offset points past the end */
};

struct fake {
    const struct ev *evs;
    size_t n;
    const char *record;        /* the eth_call answer (a template) */
    unsigned logs, txs, blocks, calls;
    uint64_t lowest_from;      /* the lowest fromBlock asked for */
    char call_block[32];       /* the block eth_call was asked at */
    char out[32768];
};

/* The log of `x` as a node returns it, appended to f->out at *at. The data is
 * the ABI encoding of ([sha256(hash)], [0], [hash], [text]). */
static bool put_log(struct fake *f, size_t *at, const struct ev *x, bool first)
{
    uint8_t root[40];
    memset(root, x->fill, sizeof root);
    struct hash32 topic;
    struct buf data = {0};
    char *dh = NULL, t0[67], t1[80] = "";
    ebsi_event_topic(&topic);
    if (x->topics == 1)
        topic.b[0] ^= 1;
    hash32_to_hex0x(&topic, t0);
    if (x->topics == 2)
        snprintf(t1, sizeof t1, ",\"0x000000000000000000000000%s\"", x->from + 2);
    bool ok = ebsi_stub_event_data(root, x->root_len, 0, x->text, &data);
    if (ok && x->corrupt)
        data.p[31] = 0xff; /* the offset of timestampIds: 0x80 → 0xff */
    ok = ok && (dh = ebsi_stub_hex0x(data.p, data.len));
    if (ok) {
        int w = snprintf(f->out + *at, sizeof f->out - *at,
                         "%s{\"address\":\"%s\",\"topics\":[\"%s\"%s],\"data\":\"%s\","
                         "\"blockNumber\":\"0x%llx\",\"blockHash\":\"0x%064llx\","
                         "\"transactionHash\":\"0x%064llx\",\"transactionIndex\":\"0x0\","
                         "\"logIndex\":\"0x%llx\",\"removed\":false}",
                         first ? "" : ",", x->emitter, t0, t1, dh, (unsigned long long)x->block,
                         (unsigned long long)x->block, (unsigned long long)x->tx,
                         (unsigned long long)x->log_index);
        ok = w > 0 && (size_t)w < sizeof f->out - *at;
        if (ok)
            *at += (size_t)w;
    }
    free(dh);
    buf_free(&data);
    return ok;
}

static struct rpc_stub_reply result(struct fake *f, const char *json)
{
    snprintf(f->out, sizeof f->out, "{\"jsonrpc\":\"2.0\",\"id\":{{id}},\"result\":%s}", json);
    return (struct rpc_stub_reply){.status = 200, .body = f->out};
}

static uint64_t qty(const json_t *v)
{
    const char *s = json_string_value(v);
    return s ? strtoull(s, NULL, 16) : UINT64_MAX;
}

/* The fake node: chain 1337 at block HEAD_BLOCK, the events of f->evs. */
static struct rpc_stub_reply fake_ledger(void *arg, const char *body)
{
    struct fake *f = arg;
    json_t *req = json_loads(body, 0, NULL);
    const char *m = json_string_value(json_object_get(req, "method"));
    json_t *params = json_object_get(req, "params");
    struct rpc_stub_reply r = {.status = 200, .body = RPC_STUB_METHOD_NOT_FOUND};
    if (!m) {
    } else if (!strcmp(m, "eth_chainId")) {
        r = result(f, "\"0x539\"");
    } else if (!strcmp(m, "eth_blockNumber")) {
        r = result(f, "\"0x2ee0\"");
    } else if (!strcmp(m, "eth_getLogs")) {
        json_t *flt = json_array_get(params, 0);
        uint64_t lo = qty(json_object_get(flt, "fromBlock")),
                 hi = qty(json_object_get(flt, "toBlock"));
        f->logs++;
        if (lo < f->lowest_from)
            f->lowest_from = lo;
        size_t at = (size_t)snprintf(f->out, sizeof f->out,
                                     "{\"jsonrpc\":\"2.0\",\"id\":{{id}},\"result\":[");
        bool first = true, ok = true;
        for (size_t i = 0; i < f->n && ok; i++)
            if (f->evs[i].block >= lo && f->evs[i].block <= hi) {
                ok = put_log(f, &at, &f->evs[i], first);
                first = false;
            }
        if (ok && at + 3 < sizeof f->out)
            memcpy(f->out + at, "]}", 3);
        r.body = f->out;
    } else if (!strcmp(m, "eth_getTransactionByHash")) {
        uint64_t id = qty(json_array_get(params, 0));
        const struct ev *x = NULL;
        f->txs++;
        for (size_t i = 0; i < f->n && !x; i++)
            if (f->evs[i].tx == id && !f->evs[i].tx_unknown)
                x = &f->evs[i];
        char json[600];
        uint64_t b = x && x->tx_block ? x->tx_block : x ? x->block : 0;
        if (x)
            snprintf(json, sizeof json,
                     "{\"hash\":\"0x%064llx\",\"from\":\"%s\",\"to\":\"%s\",\"nonce\":\"0x1\","
                     "\"gas\":\"0x30000\",\"value\":\"0x0\",\"input\":\"0x\",\"gasPrice\":\"0x0\","
                     "\"blockHash\":\"0x%064llx\",\"blockNumber\":\"0x%llx\","
                     "\"transactionIndex\":\"0x0\"}",
                     (unsigned long long)id, x->from, CONTRACT, (unsigned long long)b,
                     (unsigned long long)b);
        r = result(f, x ? json : "null");
    } else if (!strcmp(m, "eth_getBlockByNumber")) {
        uint64_t b = qty(json_array_get(params, 0));
        char json[400];
        f->blocks++;
        snprintf(json, sizeof json,
                 "{\"number\":\"0x%llx\",\"hash\":\"0x%064llx\",\"parentHash\":\"0x%064x\","
                 "\"timestamp\":\"0x%llx\",\"gasLimit\":\"0x1c9c380\"}",
                 (unsigned long long)b, (unsigned long long)b, 0,
                 (unsigned long long)time_of(b));
        r = result(f, b <= HEAD_BLOCK ? json : "null");
    } else if (!strcmp(m, "eth_call") && f->record) {
        const char *at = json_string_value(json_array_get(params, 1));
        f->calls++;
        snprintf(f->call_block, sizeof f->call_block, "%s", at ? at : "");
        r.body = f->record;
    }
    json_decref(req);
    return r;
}

/* A fake node with `evs` (and getTimestamp answering `record`) and the
 * issuer's EBSI ledger on it (windows of 5000 blocks) in *l. Returns the
 * stub (the caller closes *l, then stops and frees it), or NULL with e
 * saying why (nothing left). */
static struct rpc_stub *ledger_on(struct fake *f, const struct ev *evs, size_t n,
                                  const char *record, struct vrev_ledger *l, struct err *e)
{
    memset(f, 0, offsetof(struct fake, out));
    f->evs = evs;
    f->n = n;
    f->record = record;
    f->lowest_from = UINT64_MAX;
    struct rpc_stub *stub = rpc_stub_start_fn(fake_ledger, f);
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

static struct fake F;

TEST(history_walks_back_in_bounded_windows)
{
    /* No checkpoint at all: three windows of 5000 back to block 0, no more,
     * each asking for every TimestampedHashes of the contract (topic0 only:
     * EBSI's event indexes nothing). */
    struct err e = {0};
    struct vrev_ledger l;
    struct rpc_stub *stub = ledger_on(&F, NULL, 0, NULL, &l, &e);
    CHECKF(stub, "%s", e.msg);
    CHECK(l.head == HEAD_BLOCK && l.ledger == BUNDLE_LEDGER_EBSI);
    struct vrev_anchor *v;
    size_t n = 99;
    CHECK_OK(vrev_ledger_history(&l, REGISTRY_KIND_CHECKPOINT, &v, &n, &e), &e);
    uint64_t count = 99;
    CHECK_OK(vrev_ledger_count(&l, REGISTRY_KIND_CHECKPOINT, &count, &e), &e);
    vrev_ledger_close(&l);
    rpc_stub_stop(stub);
    CHECK(n == 0 && v == NULL && count == 0);
    CHECKF(rpc_stub_requests(stub) == 2 + 3 + 3 && F.logs == 6, "%u requests, %u eth_getLogs",
           rpc_stub_requests(stub), F.logs);
    struct hash32 topic;
    char t0[67], want[100];
    ebsi_event_topic(&topic);
    hash32_to_hex0x(&topic, t0);
    snprintf(want, sizeof want, "\"topics\":[\"%s\"]", t0);
    const char *last = rpc_stub_last_body(stub);
    CHECKF(strstr(last, "\"eth_getLogs\"") && strstr(last, "\"fromBlock\":\"0x0\"") &&
               strstr(last, "\"toBlock\":\"0x7d0\"") && strstr(last, CONTRACT) &&
               strstr(last, want),
           "%s", last);
    rpc_stub_free(stub);
}

TEST(history_stops_at_checkpoint_zero_and_keeps_only_ours)
{
    /* Window 7001..12000: checkpoint 1 (block 9000), the issuer's batch 0,
     * a 33-byte hash with a checkpoint record, and checkpoint 1's record
     * sent by another address (neither ours). Window 2001..7000: checkpoint
     * 0 (block 3000), and two records whose data is not ours. A checkpoint
     * 0 in block 1000 is never asked for: the walk stops at 2001. */
    const struct ev evs[] = {
        {CONTRACT, ISSUER, 9000, 0x11, 32, CP1, .tx = 1, .log_index = 0},
        {CONTRACT, ISSUER, 9000, 0x22, 32, BATCH0, .tx = 2, .log_index = 1},
        {CONTRACT, ISSUER, 9500, 0x33, 33, CP1, .tx = 3},
        {CONTRACT, OTHER, 9600, 0x34, 32, CP1, .tx = 4},
        {CONTRACT, ISSUER, 3000, 0x44, 32, CP0, .tx = 5, .log_index = 2},
        {CONTRACT, ISSUER, 3000, 0x55, 32, "hello", .tx = 6, .log_index = 3},
        {CONTRACT, ISSUER, 3100, 0x66, 32, "{}", .tx = 7},
        {CONTRACT, ISSUER, 1000, 0x77, 32, CP0, .tx = 8},
    };
    struct err e = {0};
    struct vrev_ledger l;
    struct rpc_stub *stub = ledger_on(&F, evs, sizeof evs / sizeof evs[0], NULL, &l, &e);
    CHECKF(stub, "%s", e.msg);
    struct vrev_anchor *v = NULL;
    size_t n = 0;
    err_code rc = vrev_ledger_history(&l, REGISTRY_KIND_CHECKPOINT, &v, &n, &e);
    vrev_ledger_close(&l);
    rpc_stub_stop(stub);
    rpc_stub_free(stub);
    CHECKF(rc == E_OK, "%s", e.msg);
    CHECKF(F.logs == 2 && F.lowest_from == 2001,
           "%u eth_getLogs down to block %llu: the walk did not stop at checkpoint 0", F.logs,
           (unsigned long long)F.lowest_from);
    /* the senders of the events in our record format, and only those */
    CHECKF(F.txs == 4, "%u transactions read", F.txs);
    CHECKF(n == 2, "%zu checkpoints", n);
    CHECK(v[0].ev.seq == 0 && v[0].ev.size == 1 && v[0].ev.block_number == 3000 &&
          v[0].block_time == time_of(3000) && v[0].ev.root.b[0] == 0x44 &&
          v[0].ev.kind == REGISTRY_KIND_CHECKPOINT && v[0].counts);
    CHECK(v[1].ev.seq == 1 && v[1].ev.size == 3 && v[1].ev.block_number == 9000 &&
          v[1].block_time == time_of(9000) && v[1].ev.root.b[31] == 0x11 &&
          v[1].ev.kind == REGISTRY_KIND_CHECKPOINT);
    free(v);
}

TEST(anchors_map_both_kinds_and_refuse_what_is_not_the_contracts)
{
    const struct ev evs[] = {
        /* the issuer's batch 0 and checkpoint 0 */
        {CONTRACT, ISSUER, 100, 0x22, 32, BATCH0, .tx = 1, .log_index = 0},
        {CONTRACT, ISSUER, 100, 0x23, 32, CP0, .tx = 2, .log_index = 1},
        /* another sender's records: not the issuer's */
        {CONTRACT, OTHER, 150, 0x24, 32, BATCH0, .tx = 3},
        /* a log whose transaction the node puts in another block */
        {CONTRACT, ISSUER, 200, 0x25, 32, CP0, .tx = 4, .tx_block = 199},
        /* a log of a transaction the node does not know */
        {CONTRACT, ISSUER, 250, 0x26, 32, CP0, .tx = 5, .tx_unknown = true},
        /* a node that answers with a log of another event */
        {CONTRACT, ISSUER, 300, 0x27, 32, CP0, .tx = 6, .topics = 1},
        /* ... or of another contract */
        {DEAD, ISSUER, 400, 0x28, 32, CP0, .tx = 7},
        /* malformed ABI data: not one of ours */
        {CONTRACT, ISSUER, 500, 0x29, 32, CP0, .tx = 8, .corrupt = true},
        /* the event with an indexed sender: not EBSI's shape, not ours */
        {CONTRACT, ISSUER, 600, 0x2a, 32, CP0, .tx = 9, .topics = 2},
    };
    struct err e = {0};
    struct vrev_ledger l;
    struct rpc_stub *stub = ledger_on(&F, evs, sizeof evs / sizeof evs[0], NULL, &l, &e);
    CHECKF(stub, "%s", e.msg);
    struct vrev_anchor *v = NULL;
    size_t n = 0;
    CHECK_OK(vrev_ledger_anchors(&l, 100, 100, &v, &n, &e), &e);
    CHECKF(n == 2 && v[0].ev.kind == REGISTRY_KIND_BATCH && v[0].ev.size == 8 &&
               v[0].ev.seq == 0 && v[0].ev.root.b[0] == 0x22 && v[0].block_time == time_of(100) &&
               v[1].ev.kind == REGISTRY_KIND_CHECKPOINT && v[1].ev.size == 1 &&
               v[1].ev.root.b[0] == 0x23 && addr20_eq(&v[1].ev.issuer, &l.issuer),
           "%zu anchors", n);
    free(v);
    CHECK_OK(vrev_ledger_anchors(&l, 150, 150, &v, &n, &e), &e);
    CHECKF(v == NULL && n == 0, "another sender's record taken as the issuer's (%zu)", n);
    CHECK_ERR(vrev_ledger_anchors(&l, 200, 200, &v, &n, &e), &e, E_NETWORK, "reorg");
    CHECK(v == NULL && n == 0);
    CHECK_ERR(vrev_ledger_anchors(&l, 250, 250, &v, &n, &e), &e, E_NETWORK, "does not know");
    CHECK_ERR(vrev_ledger_anchors(&l, 300, 300, &v, &n, &e), &e, E_PROTOCOL, "topics");
    CHECK_ERR(vrev_ledger_anchors(&l, 400, 400, &v, &n, &e), &e, E_PROTOCOL, "another contract");
    CHECK_OK(vrev_ledger_anchors(&l, 500, 500, &v, &n, &e), &e);
    CHECK(v == NULL && n == 0);
    CHECK_OK(vrev_ledger_anchors(&l, 600, 600, &v, &n, &e), &e);
    CHECK(v == NULL && n == 0);
    vrev_ledger_close(&l);
    rpc_stub_stop(stub);
    rpc_stub_free(stub);
}

/* getTimestamp's answer naming `from` (hex), block `block`, record `text`. */
static char *record_reply(const char *from, uint64_t block, const struct hash32 *root,
                          const char *text)
{
    struct addr20 a;
    if (addr20_from_hex(from, &a, NULL))
        return NULL;
    return ebsi_stub_record_reply(&a, block, root->b, 32, text);
}

TEST(record_says_whose_root_it_is)
{
    /* the contract's require reverts Error("timestamp unknown"); a reason
     * one letter off is another revert */
    char *NEVER = ebsi_stub_revert_reply(EBSI_UNKNOWN_REASON),
         *ANOTHER_REVERT = ebsi_stub_revert_reply("timestamp unknowm");
    CHECK(NEVER && ANOTHER_REVERT);
    struct {
        const char *name, *from, *text, *reply;
        err_code rc;
        bool ours, other;
        uint64_t seq;
    } cases[] = {
        {"the issuer's checkpoint", ISSUER, CP1, NULL, E_OK, true, false, 1},
        {"another address wrote it first", OTHER, CP1, NULL, E_OK, false, true, 0},
        {"the issuer's key, not our record", ISSUER, "hello", NULL, E_OK, false, false, 0},
        {"never timestamped: reverts \"timestamp unknown\"", NULL, NULL, NEVER, E_OK, false,
         false, 0},
        {"another revert is not \"never\"", NULL, NULL, ANOTHER_REVERT, E_PROTOCOL, false, false,
         0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct hash32 root = {{0x11}};
        char *rec = cases[i].reply ? NULL : record_reply(cases[i].from, 42, &root, cases[i].text);
        CHECK(rec || cases[i].reply);
        struct err e = {0};
        struct vrev_ledger l;
        struct vrev_record r = {0};
        struct rpc_stub *stub = ledger_on(&F, NULL, 0, rec ? rec : cases[i].reply, &l, &e);
        CHECKF(stub, "%s", e.msg);
        err_code rc = vrev_ledger_record(&l, &root, &r, &e);
        vrev_ledger_close(&l);
        rpc_stub_stop(stub);
        rpc_stub_free(stub);
        free(rec);
        t_case(rc == cases[i].rc && r.ours == cases[i].ours && r.other == cases[i].other &&
                   (!r.ours || (r.seq == cases[i].seq && r.size == 3 && r.block_number == 42 &&
                                r.block_time == time_of(42) &&
                                r.kind == REGISTRY_KIND_CHECKPOINT)) &&
                   F.calls == 1 && strcmp(F.call_block, "0x2ee0") == 0,
               cases[i].name, "rc %s ours %d other %d, %u calls at %s: %s", err_name(rc), r.ours,
               r.other, F.calls, F.call_block, e.msg);
    }
    free(NEVER);
    free(ANOTHER_REVERT);
}
