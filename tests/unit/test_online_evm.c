/*
 * tests/unit/test_online_evm.c — the verifier's "evm" record check
 * (verifier/online_evm.c, online_flow_evm.record, through the rule both
 * flows share: online_record_read in verifier/online_flow.h) on a scripted
 * ledger, for NotaryRegistry and NotaryRegistry2: anchoredAt(issuer, root)
 * empty at the head (blockNumber 0), after the issuer's receipt and event
 * were found, is INVALID only when the registry is empty at the block of
 * that receipt too; a node that cannot answer for that block, or has the
 * record there, leaves the question open (the ledger's error: UNKNOWN),
 * never INVALID. A record at the head is judged as before.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anchor/abi.h"
#include "anchor/registry.h"
#include "anchor/rpc.h"
#include "core/bytes.h"
#include "tests/harness.h"
#include "tests/rpc_stub.h"
#include "verifier/online_flow.h"

#define BLOCK 42
#define BLOCK_TIME 1700000042

enum at { EMPTY, NO_STATE, RECORD };

struct fake {
    enum at head, at_block; /* what anchoredAt answers at "latest" and at BLOCK */
    bool v2;
    char empty[1024], record[1024], out[1200];
    char selector[11];
    unsigned at_head_calls, at_block_calls, other;
};

/* The anchoredAt answer as the registry's ABI encodes it: (uint64
 * blockNumber, uint64 timestamp, uint64 size, uint64 seq, uint8 kind) and
 * on NotaryRegistry2 (..., address key). */
static bool encode(char *out, size_t n, bool v2, uint64_t block, uint64_t time, uint64_t size,
                   uint64_t seq, const struct addr20 *key)
{
    struct abi_arg args[6] = {abi_arg_uint(block), abi_arg_uint(time), abi_arg_uint(size),
                              abi_arg_uint(seq), abi_arg_uint(REGISTRY_KIND_BATCH),
                              abi_arg_address(key)};
    struct buf b = {0};
    bool ok = abi_encode_args(args, v2 ? 6 : 5, &b, NULL) == E_OK && 2 * b.len + 80 < n;
    if (ok) {
        int w = snprintf(out, n, "{\"jsonrpc\":\"2.0\",\"id\":{{id}},\"result\":\"0x");
        hex_encode(b.p, b.len, out + w);
        strcpy(out + w + 2 * b.len, "\"}");
    }
    buf_free(&b);
    return ok;
}

static struct rpc_stub_reply fake_ledger(void *arg, const char *body)
{
    struct fake *f = arg;
    static const char *const no_state = RPC_STUB_HEADER_NOT_FOUND;
    struct rpc_stub_reply r = {.status = 200, .body = RPC_STUB_METHOD_NOT_FOUND};
    json_t *req = json_loads(body, 0, NULL);
    const char *m = json_string_value(json_object_get(req, "method"));
    json_t *params = json_object_get(req, "params");
    const char *data = json_string_value(json_object_get(json_array_get(params, 0), "data"));
    const char *at = json_string_value(json_array_get(params, 1));
    if (!m || strcmp(m, "eth_call") || !data || !at || strncmp(data, f->selector, 10)) {
        f->other++;
    } else {
        enum at mode = !strcmp(at, "latest") ? f->head : !strcmp(at, "0x2a") ? f->at_block : NO_STATE;
        f->at_head_calls += !strcmp(at, "latest");
        f->at_block_calls += !strcmp(at, "0x2a");
        r.body = mode == EMPTY ? f->empty : mode == RECORD ? f->record : no_state;
    }
    json_decref(req);
    return r;
}

/* Run the record check of a batch (seq 7, size 3) anchored in BLOCK by
 * key 0x33.. of identity 0x11.. (v2) or by the issuer 0x11.. (v1), with the
 * ledger answering per f->head and f->at_block. */
static err_code run(struct fake *f, struct online_verdict *v, bool *has_time, struct err *e)
{
    struct bundle b;
    memset(&b, 0, sizeof b);
    b.batch.seq = 7;
    b.batch.size = 3;
    memset(b.batch.root.b, 0x5a, 32);
    memset(b.anchor.issuer.b, 0x11, 20);
    memset(b.anchor.contract.b, 0x22, 20);
    struct online_tx_facts facts = {.registry = f->v2 ? 2 : 1, .sent_by_key = f->v2};
    memset(facts.key.b, f->v2 ? 0x33 : 0x11, 20);
    uint8_t sel[4];
    abi_selector("anchoredAt(address,bytes32)", sel);
    snprintf(f->selector, sizeof f->selector, "0x%02x%02x%02x%02x", sel[0], sel[1], sel[2],
             sel[3]);
    struct addr20 zero = {{0}};
    if (!encode(f->empty, sizeof f->empty, f->v2, 0, 0, 0, 0, &zero) ||
        !encode(f->record, sizeof f->record, f->v2, BLOCK, BLOCK_TIME, 3, 7, &facts.key))
        return err_set(e, E_NOMEM, "test: encoding");
    struct rpc_stub *stub = rpc_stub_start_fn(fake_ledger, f);
    if (!stub)
        return err_set(e, E_IO, "test: stub");
    struct rpc_options o = {.url = rpc_stub_url(stub), .max_attempts = 1, .timeout_ms = 5000};
    struct rpc_client *c = NULL;
    err_code rc = rpc_client_new(&o, &c, e);
    uint64_t t = 0;
    *has_time = false;
    memset(v, 0, sizeof *v);
    v->outcome = VCHECK_SKIPPED;
    if (!rc)
        rc = online_flow_evm.record(c, &b, BLOCK, &facts, v, has_time, &t, e);
    rpc_client_free(c);
    rpc_stub_stop(stub);
    rpc_stub_free(stub);
    if (!rc && *has_time && t != BLOCK_TIME)
        return err_set(e, E_INVALID, "test: record time %llu", (unsigned long long)t);
    return rc;
}

TEST(empty_record_at_head_is_asked_again_at_the_receipts_block)
{
    static const struct {
        const char *name;
        bool v2;
        enum at head, at_block;
        err_code rc;             /* E_OK: a verdict; else the ledger's error (UNKNOWN) */
        enum verify_outcome out; /* when rc is E_OK */
        const char *says;        /* in the detail (E_OK) or the error */
        unsigned block_calls;
    } cases[] = {
        {"v1: empty at the head and at the receipt's block: INVALID", false, EMPTY, EMPTY, E_OK,
         VCHECK_FAIL, "even at the block of the transaction's event", 1},
        {"v1: empty at the head, no state at the receipt's block: the ledger's error", false,
         EMPTY, NO_STATE, E_PROTOCOL, 0, "header not found", 1},
        {"v1: empty at the head, recorded at the receipt's block: the node is behind", false,
         EMPTY, RECORD, E_NETWORK, 0, "behind", 1},
        {"v1: recorded at the head: PASS, not asked again", false, RECORD, EMPTY, E_OK,
         VCHECK_PASS, "records this root for the issuer", 0},
        {"v2: empty at the head and at the receipt's block: INVALID", true, EMPTY, EMPTY, E_OK,
         VCHECK_FAIL, "anchoredAt(identity, root) is empty, even at the block", 1},
        {"v2: empty at the head, no state at the receipt's block: the ledger's error", true,
         EMPTY, NO_STATE, E_PROTOCOL, 0, "header not found", 1},
        {"v2: empty at the head, recorded at the receipt's block: the node is behind", true,
         EMPTY, RECORD, E_NETWORK, 0, "behind", 1},
        {"v2: recorded at the head: PASS with the record's time, not asked again", true, RECORD,
         EMPTY, E_OK, VCHECK_PASS, "for the identity: key 0x3333", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct fake f;
        memset(&f, 0, sizeof f);
        f.v2 = cases[i].v2;
        f.head = cases[i].head;
        f.at_block = cases[i].at_block;
        struct online_verdict v;
        struct err e = {0};
        bool has_time = false;
        err_code rc = run(&f, &v, &has_time, &e);
        const char *text = rc ? e.msg : v.detail;
        t_case(rc == cases[i].rc && (rc || v.outcome == cases[i].out) &&
                   (rc || v.outcome != VCHECK_PASS || has_time == cases[i].v2) &&
                   strstr(text, cases[i].says) && f.at_head_calls == 1 &&
                   f.at_block_calls == cases[i].block_calls && f.other == 0,
               cases[i].name, "rc %s outcome %d, %u/%u calls (%u other): %s", err_name(rc),
               v.outcome, f.at_head_calls, f.at_block_calls, f.other, text);
    }
}
