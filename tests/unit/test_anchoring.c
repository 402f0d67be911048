/*
 * tests/unit/test_anchoring.c — the anchoring driver (notary/anchoring/anchoring.c
 * with the "evm" flow) run in process against a fake ledger, one table row per
 * way a ledger can answer: mined at once, pending then mined, dropped and sent
 * again with the same bytes, nonce used by another transaction (or by our own
 * anchor), reverted, receipt in a reorged block, refused for gas, no funds,
 * underpriced and replaced, stuck and replaced, node errors and timeouts
 * (pending, not failed). Each row runs on a fresh SQLite store with one closed
 * batch and checks the batch's state, the run's error code, the recorded
 * reason, and what was sent. The "ebsi" rows run the same driver with the
 * Timestamp flow: getTimestamp answered as EBSI's contract does
 * (tests/ebsi_stub.h), refusals before anything is signed, and adoption of
 * the issuer's own timestamp only when its transaction's sender is the issuer.
 *
 * The fake ledger (tests/rpc_stub.h, answering per request) reads the JSON-RPC
 * method and answers from the row's script for it: one comma-separated token
 * per call of that method, the last one repeating.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anchor/ebsi.h"
#include "anchor/registry.h"
#include "anchor/signer.h"
#include "core/hash.h"
#include "notary/anchoring/anchoring.h"
#include "notary/issuance/batch.h"
#include "notary/store/store.h"
#include "tests/ebsi_stub.h"
#include "tests/harness.h"
#include "tests/rpc_stub.h"
#include "tests/store_url.h"

struct row {
    const char *name;
    /* The ledger's answers, per call of the method (NULL = the first token). */
    const char *anchored; /* anchoredAt: none | ours */
    const char *next;     /* nextSeq: a number */
    const char *estimate; /* eth_estimateGas: ok | funds */
    const char *send;     /* eth_sendRawTransaction: ok | known | nonce | under | funds | gas |
                           * drop (connection closed) | slow (past the timeout) | wronghash */
    const char *receipt;  /* none | mined | reverted | reorged | noevent | drop */
    const char *tx;       /* eth_getTransactionByHash: none | pending | mined (the issuer's,
                           * in block MINED_AT) | stranger (another sender's, mined) */
    const char *count;    /* eth_getTransactionCount: a number */
    bool advance;         /* eth_blockNumber counts up by one per call */
    uint64_t confirmations;
    /* Before the run the batch is ANCHORED in block MINED_AT under the
     * canonical hash (1) or a hash the ledger no longer has (2), by a
     * transaction with no stored bytes (adopted); 0: it is CLOSED. */
    int anchored_before;
    /* The "ebsi" flow: getTimestamp answers (none: reverts "timestamp unknown" |
     * ours: the issuer's record of the batch | other: another address's | drop), the
     * Timestamp API (NULL: none configured; "dead": nothing listens), and
     * whether $NOTARY_EBSI_TOKEN is set. */
    bool ebsi;
    const char *timestamp;
    const char *api;
    bool token;
    /* What must come of it. */
    enum batch_state state;
    err_code rc;
    const char *says; /* in the batch's recorded reason (NULL: not checked) */
    int sends;        /* eth_sendRawTransaction calls (-1: not checked) */
    int same_bytes;   /* 1 every send had the same bytes, 0 not, -1 not checked */
    int txs;          /* transactions recorded for the batch (-1: not checked) */
    bool adopted;     /* the batch's transaction is the one found on the ledger */
    unsigned moved, reopened; /* the report's reorg counts */
};

#define ANY -1
static const struct row ROWS[] = {
    {"mined first try", .receipt = "none,mined", .state = BATCH_ANCHORED, .sends = 1,
     .txs = 1, .same_bytes = ANY},
    {"pending, then mined", .receipt = "none,none,mined", .tx = "none,pending",
     .state = BATCH_ANCHORED, .sends = 1, .txs = 1, .same_bytes = ANY},
    {"dropped from the pool, re-sent with the same bytes", .receipt = "none,none,mined",
     .state = BATCH_ANCHORED, .sends = 2, .same_bytes = 1, .txs = 1},
    {"already known on the re-send", .receipt = "none,none,mined", .send = "ok,known",
     .state = BATCH_ANCHORED, .sends = 2, .same_bytes = 1, .txs = 1},
    {"receipt in a reorged block: sent again", .receipt = "none,reorged,mined",
     .state = BATCH_ANCHORED, .sends = 2, .same_bytes = 1, .txs = 1},
    {"nonce used by another transaction: re-signed at the next nonce",
     .receipt = "none,none,mined", .send = "nonce,ok", .count = "7,8", .state = BATCH_ANCHORED,
     .sends = 2, .same_bytes = 0, .txs = 2},
    {"nonce used by our own anchor: adopted", .anchored = "none,ours", .receipt = "none,mined",
     .send = "nonce", .state = BATCH_ANCHORED, .sends = 1, .same_bytes = ANY, .adopted = true,
     .txs = 2},
    {"already anchored before signing: adopted, nothing sent", .anchored = "ours",
     .receipt = "mined", .state = BATCH_ANCHORED, .sends = 0, .same_bytes = ANY, .txs = 1,
     .adopted = true},
    {"reverted: FAILED", .receipt = "none,reverted", .state = BATCH_FAILED, .rc = E_STATE,
     .says = "reverted", .sends = 1, .same_bytes = ANY, .txs = 1},
    {"mined without our event: FAILED", .receipt = "none,noevent", .state = BATCH_FAILED,
     .rc = E_STATE, .says = "no Anchored event", .sends = 1, .same_bytes = ANY, .txs = 1},
    {"registry expects another sequence: FAILED", .next = "5", .state = BATCH_FAILED,
     .rc = E_STATE, .says = "expects batch 5 next", .sends = 0, .same_bytes = ANY, .txs = 0},
    {"gas too low: refused, stays SENT", .receipt = "none", .send = "gas", .state = BATCH_SENT,
     .rc = E_PROTOCOL, .says = "intrinsic gas too low", .sends = 1, .same_bytes = ANY, .txs = 1},
    {"insufficient funds to estimate: CLOSED", .estimate = "funds", .state = BATCH_CLOSED,
     .rc = E_STATE, .says = "cannot pay", .sends = 0, .same_bytes = ANY, .txs = 0},
    {"insufficient funds to send: SENT, nothing lost", .receipt = "none", .send = "funds",
     .state = BATCH_SENT, .rc = E_STATE, .says = "cannot pay", .sends = 1, .same_bytes = ANY,
     .txs = 1},
    {"node closes the connection on the receipt: pending", .receipt = "drop",
     .state = BATCH_SENT, .rc = E_NETWORK, .says = "", .sends = 0, .same_bytes = ANY, .txs = 1},
    {"send times out: pending, looked up next time", .receipt = "none", .send = "slow",
     .state = BATCH_SENT, .rc = E_NETWORK, .says = "", .sends = 1, .same_bytes = ANY, .txs = 1},
    {"send answered with another hash: pending", .receipt = "none", .send = "wronghash",
     .state = BATCH_SENT, .rc = E_NETWORK, .says = "keccak256", .sends = 1, .same_bytes = ANY,
     .txs = 1},
    {"underpriced: replaced with a higher fee", .receipt = "none,none,mined",
     .send = "under,ok", .state = BATCH_ANCHORED, .sends = 2, .same_bytes = 0, .txs = 2},
    {"stuck for K blocks: replaced, and the earlier fee level mined is followed", .receipt = "none,none,none,none,mined",
     .tx = "none,pending,pending,pending,none", .advance = true, .state = BATCH_ANCHORED,
     .sends = ANY, .same_bytes = 0, .txs = 2},
    {"node closes the connection when asked for the anchor: CLOSED, pending",
     .anchored = "drop", .state = BATCH_CLOSED, .rc = E_NETWORK, .sends = 0, .same_bytes = ANY,
     .txs = 0},
    {"re-check: the anchored block is still canonical", .anchored_before = 1,
     .state = BATCH_ANCHORED, .sends = 0, .same_bytes = ANY, .txs = 1, .adopted = true},
    {"re-check: a reorg moved the transaction to another block: adopted", .anchored_before = 2,
     .receipt = "mined", .state = BATCH_ANCHORED, .sends = 0, .same_bytes = ANY, .txs = 1,
     .adopted = true, .moved = 1},
    {"re-check: a reorg took the adopted transaction away: re-signed", .anchored_before = 2,
     .receipt = "none,none,none,mined", .state = BATCH_ANCHORED, .sends = 1, .same_bytes = ANY,
     .txs = 2, .reopened = 1},
    {"ebsi: no access token: CLOSED, saying what to do", .ebsi = true, .api = "dead",
     .state = BATCH_CLOSED, .rc = E_STATE, .says = "no EBSI access token", .sends = 0,
     .same_bytes = ANY, .txs = 0},
    {"ebsi: no Timestamp API configured: CLOSED", .ebsi = true, .token = true,
     .state = BATCH_CLOSED, .rc = E_STATE, .says = "no Timestamp API URL", .sends = 0,
     .same_bytes = ANY, .txs = 0},
    {"ebsi: Timestamp API unreachable: CLOSED, pending", .ebsi = true, .api = "dead",
     .token = true, .state = BATCH_CLOSED, .rc = E_NETWORK, .sends = 0, .same_bytes = ANY,
     .txs = 0},
    {"ebsi: root timestamped by another address: FAILED", .ebsi = true, .timestamp = "other",
     .api = "dead", .token = true, .state = BATCH_FAILED, .rc = E_STATE,
     .says = "first write wins", .sends = 0, .same_bytes = ANY, .txs = 0},
    {"ebsi: already timestamped by this issuer: adopted, nothing sent", .ebsi = true,
     .timestamp = "ours", .tx = "mined", .receipt = "mined", .api = "dead", .token = true,
     .state = BATCH_ANCHORED, .sends = 0, .same_bytes = ANY, .txs = 1, .adopted = true},
    {"ebsi: the root's event was sent by another address: not adopted", .ebsi = true,
     .timestamp = "ours", .tx = "stranger", .receipt = "mined", .api = "dead", .token = true,
     .state = BATCH_CLOSED, .rc = E_STATE, .says = "no matching event", .sends = 0,
     .same_bytes = ANY, .txs = 0},
    {"ebsi: ledger unreachable: CLOSED, pending", .ebsi = true, .timestamp = "drop",
     .api = "dead", .token = true, .state = BATCH_CLOSED, .rc = E_NETWORK, .sends = 0,
     .same_bytes = ANY, .txs = 0},
    {"too few confirmations by the deadline: SENT", .receipt = "none,mined",
     .confirmations = 9, .state = BATCH_SENT, .says = "3 of 9 confirmations", .sends = 1,
     .same_bytes = ANY, .txs = 1},
};

enum method { M_BLOCKNUM, M_BLOCK, M_CALL_ANCHORED, M_CALL_NEXT, M_COUNT, M_ESTIMATE, M_SEND,
              M_RECEIPT, M_TX, M_LOGS, M_N };

#define MINED_AT 8 /* the block the fake ledger mines in */
/* The client's time limit per request: generous, for a loaded machine (a
 * sanitizer build among other jobs on 2 cores missed 500 ms on plain
 * answers). A "slow" answer waits far longer; rpc_stub_stop cuts it short. */
#define REQUEST_TIMEOUT_MS 3000
#define SLOW_MS (10 * REQUEST_TIMEOUT_MS)

struct fake {
    const struct row *row;
    unsigned calls[M_N];
    uint64_t latest;
    struct store_batch b;
    struct addr20 issuer, contract;
    char sel_anchored[11], sel_next[11], sel_ts[11];
    char *first_send;
    bool same;
    char text[128]; /* the batch's EBSI record data (timestampData) */
    char *reply;    /* the last computed getTimestamp answer */
    char out[16384];
};

/* The n-th token of `script` (the last repeats), or `dflt`. */
static void token(const char *script, unsigned n, const char *dflt, char *out, size_t size)
{
    snprintf(out, size, "%s", dflt);
    if (!script)
        return;
    const char *p = script;
    for (unsigned i = 0;; i++) {
        size_t k = strcspn(p, ",");
        snprintf(out, size, "%.*s", (int)k, p);
        if (i == n || p[k] == '\0')
            return;
        p += k + 1;
    }
}

static void word_u64(char *out, uint64_t v) /* 64 hex digits */
{
    snprintf(out, 65, "%064llx", (unsigned long long)v);
}

static void block_hash(uint64_t n, bool canonical, char out[67])
{
    snprintf(out, 67, "0x%s%062llx", canonical ? "bb" : "dd", (unsigned long long)n);
}

static const char ADOPTED[] = "0xadadadadadadadadadadadadadadadadadadadadadadadadadadadadadadadad";

static struct rpc_stub_reply result(struct fake *f, const char *json)
{
    char *tmp = strdup(json);
    snprintf(f->out, sizeof f->out, "{\"jsonrpc\":\"2.0\",\"id\":{{id}},\"result\":%s}", tmp);
    free(tmp);
    return (struct rpc_stub_reply){.status = 200, .body = f->out};
}

static struct rpc_stub_reply rpc_error(struct fake *f, const char *msg)
{
    snprintf(f->out, sizeof f->out,
             "{\"jsonrpc\":\"2.0\",\"id\":{{id}},\"error\":{\"code\":-32000,\"message\":\"%s\"}}",
             msg);
    return (struct rpc_stub_reply){.status = 200, .body = f->out};
}

/* Our Anchored event for the batch in transaction `txh`, as a log object. */
static void anchored_log(const struct fake *f, const char *txh, const char *bh, char *out,
                         size_t size)
{
    struct hash32 topic;
    registry_anchored_topic(&topic);
    char t0[67], ad[43], root[67], w1[65], w2[65], w3[65];
    hash32_to_hex0x(&topic, t0);
    addr20_to_hex(&f->contract, ad);
    hash32_to_hex0x(&f->b.root, root);
    char issuer[41];
    hex_encode(f->issuer.b, 20, issuer);
    word_u64(w1, f->b.size);
    word_u64(w2, f->b.seq);
    word_u64(w3, (uint64_t)f->b.kind);
    snprintf(out, size,
             "{\"address\":\"%s\",\"topics\":[\"%s\",\"0x000000000000000000000000%s\",\"%s\"],"
             "\"data\":\"0x%s%s%s\",\"blockNumber\":\"0x%x\",\"blockHash\":\"%s\","
             "\"transactionHash\":\"%s\",\"transactionIndex\":\"0x0\",\"logIndex\":\"0x0\","
             "\"removed\":false}",
             ad, t0, issuer, root, w1, w2, w3, MINED_AT, bh, txh);
}

/* The ledger's log in transaction `txh`: on "ebsi" the TimestampedHashes
 * event of the batch's root and record (nothing indexed: the sender is the
 * transaction's), else our Anchored event. */
static void ledger_log(const struct fake *f, const char *txh, const char *bh, char *out,
                       size_t size)
{
    if (!f->row->ebsi) {
        anchored_log(f, txh, bh, out, size);
        return;
    }
    struct hash32 topic;
    struct buf data = {0};
    char t0[67], ad[43], *dh = NULL;
    ebsi_event_topic(&topic);
    hash32_to_hex0x(&topic, t0);
    addr20_to_hex(&f->contract, ad);
    if (ebsi_stub_event_data(f->b.root.b, 32, 0, f->text, &data))
        dh = ebsi_stub_hex0x(data.p, data.len);
    snprintf(out, size,
             "{\"address\":\"%s\",\"topics\":[\"%s\"],\"data\":\"%s\",\"blockNumber\":\"0x%x\","
             "\"blockHash\":\"%s\",\"transactionHash\":\"%s\",\"transactionIndex\":\"0x0\","
             "\"logIndex\":\"0x0\",\"removed\":false}",
             ad, t0, dh ? dh : "0x", MINED_AT, bh, txh);
    free(dh);
    buf_free(&data);
}

static struct rpc_stub_reply answer_call(struct fake *f, const char *data)
{
    char tok[32], w[7][65], json[640];
    if (strncmp(data, f->sel_ts, 10) == 0) {
        /* getTimestamp(root), EBSI's Timestamp contract (tests/ebsi_stub.h):
         * the record of the first writer, or the revert of a hash never
         * written. */
        token(f->row->timestamp, f->calls[M_CALL_ANCHORED]++, "none", tok, sizeof tok);
        if (!strcmp(tok, "drop"))
            return (struct rpc_stub_reply){.status = 0};
        struct addr20 other;
        memset(other.b, 0xee, 20);
        free(f->reply);
        f->reply = !strcmp(tok, "none")
                       ? ebsi_stub_revert_reply(EBSI_UNKNOWN_REASON)
                       : ebsi_stub_record_reply(!strcmp(tok, "ours") ? &f->issuer : &other,
                                                MINED_AT, f->b.root.b, 32, f->text);
        return f->reply ? (struct rpc_stub_reply){.status = 200, .body = f->reply}
                        : rpc_error(f, "test: out of memory");
    }
    if (strncmp(data, f->sel_next, 10) == 0) {
        token(f->row->next, f->calls[M_CALL_NEXT]++, "0", tok, sizeof tok);
        word_u64(w[0], strtoull(tok, NULL, 10));
        snprintf(json, sizeof json, "\"0x%s\"", w[0]);
        return result(f, json);
    }
    token(f->row->anchored, f->calls[M_CALL_ANCHORED]++, "none", tok, sizeof tok);
    if (!strcmp(tok, "drop"))
        return (struct rpc_stub_reply){.status = 0};
    bool ours = strcmp(tok, "ours") == 0;
    word_u64(w[0], ours ? MINED_AT : 0);
    word_u64(w[1], ours ? 1700000000 : 0);
    word_u64(w[2], ours ? f->b.size : 0);
    word_u64(w[3], ours ? f->b.seq : 0);
    word_u64(w[4], ours ? (uint64_t)f->b.kind : 0);
    snprintf(json, sizeof json, "\"0x%s%s%s%s%s\"", w[0], w[1], w[2], w[3], w[4]);
    return result(f, json);
}

static struct rpc_stub_reply answer_send(struct fake *f, const char *hex)
{
    char tok[32];
    token(f->row->send, f->calls[M_SEND]++, "ok", tok, sizeof tok);
    if (!f->first_send) {
        f->first_send = strdup(hex);
        f->same = true;
    } else if (strcmp(f->first_send, hex) != 0) {
        f->same = false;
    }
    uint8_t *raw = NULL;
    size_t len = 0;
    struct err e;
    struct hash32 h = {{0x11}};
    if (hex_decode_alloc(hex, strlen(hex), true, 1 << 20, &raw, &len, &e) == E_OK && len)
        keccak256(raw, len, &h);
    free(raw);
    char hh[67], json[80];
    hash32_to_hex0x(&h, hh);
    snprintf(json, sizeof json, "\"%s\"", hh);
    if (!strcmp(tok, "known"))
        return rpc_error(f, "already known");
    if (!strcmp(tok, "nonce"))
        return rpc_error(f, "nonce too low");
    if (!strcmp(tok, "under"))
        return rpc_error(f, "replacement transaction underpriced");
    if (!strcmp(tok, "funds"))
        return rpc_error(f, "insufficient funds for gas * price + value");
    if (!strcmp(tok, "gas"))
        return rpc_error(f, "intrinsic gas too low");
    if (!strcmp(tok, "drop"))
        return (struct rpc_stub_reply){.status = 0};
    if (!strcmp(tok, "wronghash"))
        return result(f, "\"0x1111111111111111111111111111111111111111111111111111111111111111\"");
    struct rpc_stub_reply r = result(f, json);
    if (!strcmp(tok, "slow"))
        r.delay_ms = SLOW_MS;
    return r;
}

static struct rpc_stub_reply answer_receipt(struct fake *f, const char *txh)
{
    char tok[32], bh[67], log[2048], json[4096];
    token(f->row->receipt, f->calls[M_RECEIPT]++, "none", tok, sizeof tok);
    if (!strcmp(tok, "drop"))
        return (struct rpc_stub_reply){.status = 0};
    if (!strcmp(tok, "none"))
        return result(f, "null");
    block_hash(MINED_AT, strcmp(tok, "reorged") != 0, bh);
    bool event = !strcmp(tok, "mined") || !strcmp(tok, "reorged");
    if (event)
        ledger_log(f, txh, bh, log, sizeof log);
    snprintf(json, sizeof json,
             "{\"transactionHash\":\"%s\",\"blockNumber\":\"0x%x\",\"blockHash\":\"%s\","
             "\"transactionIndex\":\"0x0\",\"gasUsed\":\"0x5208\",\"status\":\"%s\","
             "\"logs\":[%s]}",
             txh, MINED_AT, bh, strcmp(tok, "reverted") ? "0x1" : "0x0", event ? log : "");
    return result(f, json);
}

static struct rpc_stub_reply answer_tx(struct fake *f, const char *txh)
{
    char tok[32], from[43], to[43], at[160], json[1024];
    token(f->row->tx, f->calls[M_TX]++, "none", tok, sizeof tok);
    bool pending = !strcmp(tok, "pending"), stranger = !strcmp(tok, "stranger");
    if (!pending && strcmp(tok, "mined") && !stranger)
        return result(f, "null");
    struct addr20 sender = f->issuer;
    if (stranger)
        memset(sender.b, 0xee, 20);
    addr20_to_hex(&sender, from);
    addr20_to_hex(&f->contract, to);
    char bh[67];
    block_hash(MINED_AT, true, bh);
    if (pending)
        snprintf(at, sizeof at, "\"blockHash\":null,\"blockNumber\":null,\"transactionIndex\":null");
    else
        snprintf(at, sizeof at, "\"blockHash\":\"%s\",\"blockNumber\":\"0x%x\",\"transactionIndex\":\"0x0\"",
                 bh, MINED_AT);
    snprintf(json, sizeof json,
             "{\"hash\":\"%s\",\"from\":\"%s\",\"to\":\"%s\",\"nonce\":\"0x7\",\"gas\":\"0x30000\","
             "\"value\":\"0x0\",\"input\":\"0x\",\"gasPrice\":\"0x3b9aca00\",%s}",
             txh, from, to, at);
    return result(f, json);
}

static struct rpc_stub_reply answer_block(struct fake *f, const char *which)
{
    uint64_t n = f->latest;
    if (strcmp(which, "latest") != 0)
        n = strtoull(which, NULL, 16);
    if (n > f->latest)
        return result(f, "null");
    char bh[67], parent[67], json[512];
    block_hash(n, true, bh);
    block_hash(n ? n - 1 : 0, true, parent);
    snprintf(json, sizeof json,
             "{\"number\":\"0x%llx\",\"hash\":\"%s\",\"parentHash\":\"%s\",\"timestamp\":"
             "\"0x6553f100\",\"gasLimit\":\"0x1c9c380\"}",
             (unsigned long long)n, bh, parent);
    return result(f, json);
}

static struct rpc_stub_reply fake_ledger(void *arg, const char *body)
{
    struct fake *f = arg;
    json_t *req = json_loads(body, 0, NULL);
    const char *m = json_string_value(json_object_get(req, "method"));
    json_t *params = json_object_get(req, "params");
    const char *p0 = json_string_value(json_array_get(params, 0));
    char tok[32], json[128];
    struct rpc_stub_reply r;
    if (!m) {
        r = rpc_error(f, "not a request");
    } else if (!strcmp(m, "eth_blockNumber")) {
        f->calls[M_BLOCKNUM]++;
        snprintf(json, sizeof json, "\"0x%llx\"", (unsigned long long)f->latest);
        r = result(f, json);
        if (f->row->advance)
            f->latest++;
    } else if (!strcmp(m, "eth_getBlockByNumber") && p0) {
        f->calls[M_BLOCK]++;
        r = answer_block(f, p0);
    } else if (!strcmp(m, "eth_gasPrice")) {
        r = result(f, "\"0x3b9aca00\"");
    } else if (!strcmp(m, "eth_getTransactionCount")) {
        token(f->row->count, f->calls[M_COUNT]++, "7", tok, sizeof tok);
        snprintf(json, sizeof json, "\"0x%llx\"", strtoull(tok, NULL, 10));
        r = result(f, json);
    } else if (!strcmp(m, "eth_estimateGas")) {
        token(f->row->estimate, f->calls[M_ESTIMATE]++, "ok", tok, sizeof tok);
        r = strcmp(tok, "funds") ? result(f, "\"0x20000\"")
                                 : rpc_error(f, "insufficient funds for gas * price + value");
    } else if (!strcmp(m, "eth_call")) {
        const char *d = json_string_value(json_object_get(json_array_get(params, 0), "data"));
        if (!d)
            d = json_string_value(json_object_get(json_array_get(params, 0), "input"));
        r = d ? answer_call(f, d) : rpc_error(f, "eth_call without data");
    } else if (!strcmp(m, "eth_sendRawTransaction") && p0) {
        r = answer_send(f, p0);
    } else if (!strcmp(m, "eth_getTransactionReceipt") && p0) {
        r = answer_receipt(f, p0);
    } else if (!strcmp(m, "eth_getTransactionByHash") && p0) {
        r = answer_tx(f, p0);
    } else if (!strcmp(m, "eth_getLogs")) {
        f->calls[M_LOGS]++;
        char log[2048], arr[2100], bh[67];
        block_hash(MINED_AT, true, bh);
        ledger_log(f, ADOPTED, bh, log, sizeof log);
        snprintf(arr, sizeof arr, "[%s]", log);
        r = result(f, arr);
    } else {
        snprintf(f->out, sizeof f->out,
                 "{\"jsonrpc\":\"2.0\",\"id\":{{id}},\"error\":{\"code\":-32601,\"message\":"
                 "\"the method %.60s does not exist/is not available\"}}",
                 m);
        r = (struct rpc_stub_reply){.status = 200, .body = f->out};
    }
    json_decref(req);
    return r;
}

static void selector(const char *sig, char out[11])
{
    struct hash32 h;
    keccak256(sig, strlen(sig), &h);
    char hex[65];
    hex_encode(h.b, 32, hex);
    snprintf(out, 11, "0x%.8s", hex);
}

static const uint8_t KEY[32] = {0x4c, 0x08, 0x83, 0xa6, 0x91, 0x02, 0x93, 0x7d, 0x62, 0x31, 0x47,
                                0x1b, 0x5d, 0xbb, 0x62, 0x04, 0xfe, 0x51, 0x29, 0x61, 0x70, 0x82,
                                0x79, 0x2a, 0xe4, 0x68, 0xd0, 0x1a, 0x3f, 0x36, 0x23, 0x18};

static void log_stderr(void *arg, const char *fmt, va_list ap)
{
    (void)arg;
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

/* Run one row; false with the reason in why. */
static bool run_row(size_t i, char *why, size_t wn)
{
    const struct row *w = &ROWS[i];
    char url[512], name[32];
    snprintf(name, sizeof name, "anch%zu", i);
    struct store *s = NULL;
    struct signer *sg = NULL;
    struct rpc_stub *stub = NULL;
    struct rpc_client *rpc = NULL;
    struct err e = {0};
    struct fake f = {.row = w, .latest = 10};
    struct hash32 leaf = {{0x42, (uint8_t)i}};
    bool ok = false;
    if (!t_store_url(name, url, sizeof url) || store_open(url, true, &s, &e) ||
        store_submit(s, &leaf, NULL, 1, NULL, NULL, NULL, &e) ||
        batch_close(s, &f.b, NULL, NULL, &e) ||
        store_batch_get(s, BATCH_ISSUANCE, 0, &f.b, &e) || signer_from_privkey(KEY, &sg, &e)) {
        snprintf(why, wn, "setup: %s", e.msg);
        goto out;
    }
    signer_address(sg, &f.issuer);
    struct ebsi_data rec = {.kind = (enum ebsi_kind)f.b.kind, .seq = f.b.seq, .size = f.b.size};
    struct buf text = {0};
    if (ebsi_data_encode(&rec, &text, &e) || text.len >= sizeof f.text) {
        buf_free(&text);
        snprintf(why, wn, "setup: record data: %s", e.msg);
        goto out;
    }
    memcpy(f.text, text.p, text.len);
    buf_free(&text);
    memset(f.contract.b, 0xc0, 20);
    selector("anchoredAt(address,bytes32)", f.sel_anchored);
    selector("nextSeq(address,uint8)", f.sel_next);
    selector("getTimestamp(bytes)", f.sel_ts);
    if (w->anchored_before) {
        struct hash32 adopted, bh = {{0}};
        char hex[67];
        block_hash(MINED_AT, w->anchored_before == 1, hex);
        if (hash32_from_hex(ADOPTED, &adopted, &e) || hash32_from_hex(hex, &bh, &e) ||
            store_tx_record(s, BATCH_ISSUANCE, 0, 0, &adopted, NULL, 0, &e) ||
            store_batch_anchored(s, BATCH_ISSUANCE, 0, &adopted, MINED_AT, &bh, 1700000000, &e)) {
            snprintf(why, wn, "setup: %s", e.msg);
            goto out;
        }
    }
    if (w->token)
        setenv("NOTARY_EBSI_TOKEN", "test-token", 1);
    else
        unsetenv("NOTARY_EBSI_TOKEN");
    if (w->ebsi) {
        char api[64];
        snprintf(api, sizeof api, "http://127.0.0.1:%d/", rpc_stub_dead_port());
        if (store_meta_set(s, "ledger", "ebsi", &e) ||
            (w->api && store_meta_set(s, "timestamp_api", api, &e))) {
            snprintf(why, wn, "setup: %s", e.msg);
            goto out;
        }
    }
    if (!(stub = rpc_stub_start_fn(fake_ledger, &f))) {
        snprintf(why, wn, "stub did not start");
        goto out;
    }
    struct rpc_options o = {.url = rpc_stub_url(stub), .timeout_ms = REQUEST_TIMEOUT_MS,
                            .max_attempts = 1};
    if (rpc_client_new(&o, &rpc, &e)) {
        snprintf(why, wn, "rpc: %s", e.msg);
        goto out;
    }
    struct evm_ledger l = {.rpc = rpc, .chain_id = 1337};
    struct anchoring_cfg cfg = {.ledger = &l,
                                .signer = sg,
                                .contract = f.contract,
                                .confirmations = w->confirmations ? w->confirmations : 1,
                                .poll_ms = 5,
                                .timeout_s = 2, /* ≥ 1 s whatever the clock's second */
                                .replace_after_blocks = 2,
                                .log = getenv("T_ANCHORING_LOG") ? log_stderr : NULL};
    struct anchoring_report rep;
    err_code rc = anchoring_run(s, &cfg, BATCH_ISSUANCE, &rep, &e);
    rpc_stub_stop(stub);
    struct store_batch b;
    struct err ge = {0};
    struct store_tx *txs = NULL;
    size_t ntx = 0;
    if (store_batch_get(s, BATCH_ISSUANCE, 0, &b, &ge) ||
        store_tx_list(s, BATCH_ISSUANCE, 0, &txs, &ntx, &ge)) {
        snprintf(why, wn, "reading the batch back: %s", ge.msg);
        goto out;
    }
    free(txs);
    char adopted[67] = "";
    if (b.has_tx)
        hash32_to_hex0x(&b.tx_hash, adopted);
    if (rc != w->rc)
        snprintf(why, wn, "returned %s, want %s (%s)", err_name(rc), err_name(w->rc), e.msg);
    else if (b.state != w->state)
        snprintf(why, wn, "state %d, want %d (%s)", (int)b.state, (int)w->state, b.last_error);
    else if (w->says && !strstr(b.last_error, w->says))
        snprintf(why, wn, "reason \"%s\" lacks \"%s\"", b.last_error, w->says);
    else if (w->sends != ANY && f.calls[M_SEND] != (unsigned)w->sends)
        snprintf(why, wn, "%u sends, want %d", f.calls[M_SEND], w->sends);
    else if (w->same_bytes != ANY && f.same != (w->same_bytes == 1))
        snprintf(why, wn, "sent bytes %s, want %s", f.same ? "all the same" : "differ",
                 w->same_bytes ? "the same" : "new bytes");
    else if (w->txs != ANY && ntx != (size_t)w->txs)
        snprintf(why, wn, "%zu transactions recorded, want %d", ntx, w->txs);
    else if (w->adopted != !strcmp(adopted, ADOPTED))
        snprintf(why, wn, "current transaction %s, adopted wanted: %d", adopted, w->adopted);
    else if (w->state == BATCH_ANCHORED && b.block_number != MINED_AT)
        snprintf(why, wn, "anchored in block %llu", (unsigned long long)b.block_number);
    else if (w->state == BATCH_ANCHORED && rep.anchored != (w->anchored_before && !w->reopened
                                                              ? 0u : 1u))
        snprintf(why, wn, "report counts %u anchored", rep.anchored);
    else if (rep.moved != w->moved || rep.reopened != w->reopened)
        snprintf(why, wn, "report: %u moved, %u reopened", rep.moved, rep.reopened);
    else if (w->state != BATCH_ANCHORED && rep.anchored != 0)
        snprintf(why, wn, "report counts %u anchored", rep.anchored);
    else
        ok = true;
out:
    rpc_stub_free(stub);
    rpc_client_free(rpc);
    signer_free(sg);
    if (s)
        store_close(s);
    free(f.first_send);
    free(f.reply);
    return ok;
}

TEST(anchoring_driver_against_table_of_ledger_answers)
{
    for (size_t i = 0; i < sizeof ROWS / sizeof ROWS[0]; i++) {
        char why[600] = "";
        bool ok = run_row(i, why, sizeof why);
        t_case(ok, ROWS[i].name, "%s", why);
    }
}
