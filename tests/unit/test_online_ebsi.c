/*
 * tests/unit/test_online_ebsi.c — the verifier's "ebsi" record check
 * (verifier/online_ebsi.c, online_flow_ebsi.record) on a scripted ledger:
 * getTimestamp(root) reverting "timestamp unknown" at the head, after the
 * issuer's receipt and event were found, is INVALID only when the contract
 * says the same at the block of that receipt; a node that cannot answer
 * for that block, or knows the root there, leaves the question open (the
 * ledger's error: UNKNOWN), never INVALID.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anchor/ebsi.h"
#include "anchor/rpc.h"
#include "core/bytes.h"
#include "tests/ebsi_stub.h"
#include "tests/harness.h"
#include "tests/rpc_stub.h"
#include "verifier/online_flow.h"

#define BLOCK 42

enum at_block { AT_BLOCK_UNKNOWN, AT_BLOCK_NO_STATE, AT_BLOCK_RECORD };

struct fake {
    enum at_block mode;
    char *record;  /* the getTimestamp answer at BLOCK (AT_BLOCK_RECORD) */
    char *unknown; /* its revert "timestamp unknown" */
    unsigned at_head, at_block;
};

static struct rpc_stub_reply fake_ledger(void *arg, const char *body)
{
    struct fake *f = arg;
    static const char *const no_state = RPC_STUB_HEADER_NOT_FOUND;
    struct rpc_stub_reply r = {.status = 200, .body = RPC_STUB_METHOD_NOT_FOUND};
    if (!strstr(body, "\"eth_call\""))
        return r;
    if (strstr(body, "\"latest\"")) {
        f->at_head++;
        r.body = f->unknown;
    } else if (strstr(body, "\"0x2a\"")) {
        f->at_block++;
        r.body = f->mode == AT_BLOCK_UNKNOWN ? f->unknown
                 : f->mode == AT_BLOCK_NO_STATE ? no_state
                                                : f->record;
    }
    return r;
}

/* The getTimestamp answer naming `issuer`, block BLOCK and our record, and
 * the revert for a hash never written. */
static bool make_record(struct fake *f, const struct bundle *b)
{
    struct ebsi_data d = {.kind = EBSI_KIND_ISSUANCE, .seq = b->batch.seq, .size = b->batch.size};
    struct buf jd = {0};
    struct err e = {0};
    if (ebsi_data_encode(&d, &jd, &e) || buf_append(&jd, "", 1))
        return false;
    f->record = ebsi_stub_record_reply(&b->anchor.issuer, BLOCK, b->batch.root.b, 32,
                                       (const char *)jd.p);
    f->unknown = ebsi_stub_revert_reply(EBSI_UNKNOWN_REASON);
    buf_free(&jd);
    return f->record && f->unknown;
}

/* Run the record check with the ledger answering at BLOCK per `mode`. */
static err_code run(enum at_block mode, struct online_verdict *v, struct fake *f, struct err *e)
{
    struct bundle b;
    memset(&b, 0, sizeof b);
    b.batch.seq = 7;
    b.batch.size = 3;
    memset(b.batch.root.b, 0x5a, 32);
    memset(b.anchor.issuer.b, 0x11, 20);
    memset(b.anchor.contract.b, 0x22, 20);
    memset(f, 0, sizeof *f);
    f->mode = mode;
    struct rpc_stub *stub = NULL;
    if (!make_record(f, &b) || !(stub = rpc_stub_start_fn(fake_ledger, f))) {
        free(f->record);
        free(f->unknown);
        return err_set(e, E_IO, "test: the record or the stub");
    }
    struct rpc_options o = {.url = rpc_stub_url(stub), .max_attempts = 1, .timeout_ms = 5000};
    struct rpc_client *c = NULL;
    err_code rc = rpc_client_new(&o, &c, e);
    struct online_tx_facts facts = {0};
    bool has_time = true;
    uint64_t t = 1;
    memset(v, 0, sizeof *v);
    v->outcome = VCHECK_SKIPPED;
    if (!rc)
        rc = online_flow_ebsi.record(c, &b, BLOCK, &facts, v, &has_time, &t, e);
    rpc_client_free(c);
    rpc_stub_stop(stub);
    rpc_stub_free(stub);
    free(f->record);
    free(f->unknown);
    f->record = f->unknown = NULL;
    return rc;
}

TEST(unknown_at_head_and_at_the_receipts_block_is_invalid)
{
    struct fake f;
    struct online_verdict v;
    struct err e = {0};
    CHECK_OK(run(AT_BLOCK_UNKNOWN, &v, &f, &e), &e);
    CHECK(v.outcome == VCHECK_FAIL);
    CHECK(strstr(v.detail, "timestamp unknown") != NULL);
    CHECK(f.at_head == 1 && f.at_block == 1);
}

TEST(unknown_at_head_but_no_state_at_the_receipts_block_is_the_ledgers_error)
{
    struct fake f;
    struct online_verdict v;
    struct err e = {0};
    err_code rc = run(AT_BLOCK_NO_STATE, &v, &f, &e);
    CHECK(rc != E_OK); /* the driver reports it as UNKNOWN ("could not consult") */
    CHECK(v.outcome != VCHECK_FAIL);
    CHECK(strstr(e.msg, "header not found") != NULL);
}

TEST(unknown_at_head_but_recorded_at_the_receipts_block_is_not_invalid)
{
    struct fake f;
    struct online_verdict v;
    struct err e = {0};
    err_code rc = run(AT_BLOCK_RECORD, &v, &f, &e);
    CHECK(rc == E_NETWORK);
    CHECK(v.outcome != VCHECK_FAIL);
    CHECK(strstr(e.msg, "behind") != NULL);
}

