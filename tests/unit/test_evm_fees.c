/*
 * tests/unit/test_evm_fees.c — evm_bump_fees, the price of a replacement for
 * a stuck transaction (docs/design.md "Anchoring faults" "stuck / underpriced"), against
 * a scripted JSON-RPC node (tests/rpc_stub.h): every fee ≥ 10% up (geth's
 * and Besu's price bump, both EIP-1559 fees), at least the network's
 * current price, never above the cap, and never for a gas-free network.
 * tests/cli/stuck.sh runs the same path on a real hardhat node.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anchor/evm.h"
#include "tests/harness.h"
#include "tests/rpc_stub.h"

#define GWEI 1000000000ull

/* A latest block with base fee `base` (wei), as eth_getBlockByNumber answers. */
static void block_reply(uint64_t base, char *out, size_t n)
{
    snprintf(out, n,
             "{\"jsonrpc\":\"2.0\",\"id\":{{id}},\"result\":{\"number\":\"0x10\","
             "\"hash\":\"0x%064x\",\"parentHash\":\"0x%064x\",\"timestamp\":\"0x5\","
             "\"gasLimit\":\"0x1c9c380\",\"baseFeePerGas\":\"0x%llx\"}}",
             1, 2, (unsigned long long)base);
}

static void qty_reply(uint64_t v, char *out, size_t n)
{
    snprintf(out, n, "{\"jsonrpc\":\"2.0\",\"id\":{{id}},\"result\":\"0x%llx\"}",
             (unsigned long long)v);
}

/* A stuck transaction of ours: nonce 7, 90000 gas, to the registry, data. */
static void stuck_tx(struct tx *t, enum tx_type type, uint64_t fee, uint64_t tip)
{
    tx_init(t);
    t->type = type;
    t->chain_id = 1337;
    t->nonce = 7;
    t->gas_limit = 90000;
    t->has_to = true;
    memset(t->to.b, 0xab, 20);
    if (type == TX_LEGACY) {
        u256_from_u64(fee, &t->gas_price);
    } else {
        u256_from_u64(fee, &t->max_fee);
        u256_from_u64(tip, &t->max_priority_fee);
    }
    static const uint8_t data[] = {0xde, 0xad, 0xbe, 0xef, 1, 2, 3};
    if (tx_set_data(t, data, sizeof data, NULL) != E_OK)
        abort();
}

struct run {
    err_code rc;
    struct tx t;
    unsigned requests;
    char msg[512];
};

/* evm_bump_fees on `old` against a node that answers the latest block with
 * base fee `base` and the suggested tip `tip` (for EIP-1559), or
 * eth_gasPrice `price` (legacy). */
static void bump(const struct tx *old, uint64_t base, uint64_t tip_or_price, uint64_t cap,
                 struct run *out)
{
    char b[512], q[128];
    block_reply(base, b, sizeof b);
    qty_reply(tip_or_price, q, sizeof q);
    struct rpc_stub_reply s1559[] = {{.status = 200, .body = b}, {.status = 200, .body = q}};
    struct rpc_stub_reply slegacy[] = {{.status = 200, .body = q}};
    bool legacy = old->type == TX_LEGACY;
    struct rpc_stub *stub = rpc_stub_start(legacy ? slegacy : s1559, legacy ? 1 : 2);
    if (!stub)
        abort();
    struct rpc_options o = {.url = rpc_stub_url(stub), .max_attempts = 1, .timeout_ms = 5000};
    struct evm_ledger l = {.chain_id = 1337};
    struct err e = {0};
    memset(out, 0, sizeof *out);
    out->rc = rpc_client_new(&o, &l.rpc, &e);
    struct evm_fee_policy pol = {.max_fee_cap_wei = cap};
    if (out->rc == E_OK)
        out->rc = evm_bump_fees(&l, &pol, old, &out->t, &e);
    evm_close(&l);
    rpc_stub_stop(stub);
    out->requests = rpc_stub_requests(stub);
    rpc_stub_free(stub);
    snprintf(out->msg, sizeof out->msg, "%s", e.msg);
}

static uint64_t u64(const struct u256 *v)
{
    uint64_t x = 0;
    if (u256_to_u64(v, &x, NULL) != E_OK)
        return UINT64_MAX;
    return x;
}

/* Everything but the fees is the stuck transaction's. */
static bool same_but_fees(const struct tx *a, const struct tx *b)
{
    struct tx x = *a;
    x.gas_price = b->gas_price;
    x.max_fee = b->max_fee;
    x.max_priority_fee = b->max_priority_fee;
    return tx_same(&x, b);
}

TEST(bump_1559_cases)
{
    static const struct {
        const char *name;
        uint64_t fee, tip, base, suggested, cap;
        uint64_t want_fee, want_tip; /* 0, 0: E_LIMIT */
    } cases[] = {
        /* 10% on both fees when the network asks less */
        {"10% on both", 3 * GWEI, GWEI, GWEI, GWEI, 0, 3300000000ull, 1100000000ull},
        /* the network's price when it is higher: 2·10 gwei + 1.1 gwei */
        {"network price", 3 * GWEI, GWEI, 10 * GWEI, GWEI, 0, 21100000000ull, 1100000000ull},
        /* the node suggests a higher tip: taken, and maxFee covers it */
        {"suggested tip", 3 * GWEI, GWEI, GWEI, 2 * GWEI, 0, 4 * GWEI, 2 * GWEI},
        /* rounding up: ⌈1.1·x⌉ */
        {"ceil 1 wei", 1, 1, 0, 0, 0, 2, 2},
        {"ceil 11 wei", 11, 11, 0, 0, 0, 13, 13},
        {"ceil 10 wei", 10, 10, 0, 0, 0, 11, 11},
        /* the cap lowers the network price while that is still a 10% bump */
        {"clamped to the cap", 3 * GWEI, GWEI, 10 * GWEI, GWEI, 5 * GWEI, 5 * GWEI, 1100000000ull},
        /* a suggested tip above the cap gives way to our own 10% bump */
        {"tip above the cap", 3 * GWEI, GWEI, GWEI, 6 * GWEI, 5 * GWEI, 5 * GWEI, 1100000000ull},
        /* at the cap: no 10% bump fits */
        {"at the cap", 5 * GWEI, GWEI, 10 * GWEI, GWEI, 5 * GWEI, 0, 0},
        {"just under the cap", 4600000000ull, GWEI, GWEI, GWEI, 5 * GWEI, 0, 0},
        /* a transaction paying all of its fee as tip */
        {"tip equals fee at the cap", 5 * GWEI, 5 * GWEI, 0, 0, 5400000000ull, 0, 0},
        /* default cap 500 gwei */
        {"default cap", 3 * GWEI, GWEI, 400 * GWEI, GWEI, 0, 500 * GWEI, 1100000000ull},
        {"at the default cap", 500 * GWEI, GWEI, 400 * GWEI, GWEI, 0, 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct tx old;
        stuck_tx(&old, TX_EIP1559, cases[i].fee, cases[i].tip);
        struct run r;
        bump(&old, cases[i].base, cases[i].suggested, cases[i].cap, &r);
        bool good;
        if (cases[i].want_fee == 0)
            good = r.rc == E_LIMIT && strstr(r.msg, "fee cap") && strstr(r.msg, "--max-fee-gwei");
        else
            good = r.rc == E_OK && r.t.type == TX_EIP1559 && u64(&r.t.max_fee) == cases[i].want_fee &&
                   u64(&r.t.max_priority_fee) == cases[i].want_tip && same_but_fees(&old, &r.t) &&
                   10 * u64(&r.t.max_fee) >= 11 * cases[i].fee &&
                   10 * u64(&r.t.max_priority_fee) >= 11 * cases[i].tip;
        t_case(good, cases[i].name, "%s: fee %llu tip %llu (%s)", err_name(r.rc),
               (unsigned long long)u64(&r.t.max_fee),
               (unsigned long long)u64(&r.t.max_priority_fee), r.msg);
        tx_clear(&r.t);
        tx_clear(&old);
    }
}

TEST(bump_legacy)
{
    struct tx old;
    struct run r;
    stuck_tx(&old, TX_LEGACY, GWEI, 0);
    bump(&old, 0, GWEI / 2, 0, &r); /* the network asks less: 10% */
    CHECKF(r.rc == E_OK && u64(&r.t.gas_price) == 1100000000ull && same_but_fees(&old, &r.t),
           "%s %s", err_name(r.rc), r.msg);
    tx_clear(&r.t);
    bump(&old, 0, 3 * GWEI, 0, &r); /* the network asks more: its price */
    CHECKF(r.rc == E_OK && u64(&r.t.gas_price) == 3 * GWEI, "%s %s", err_name(r.rc), r.msg);
    tx_clear(&r.t);
    bump(&old, 0, 3 * GWEI, 2 * GWEI, &r); /* ... up to the cap */
    CHECKF(r.rc == E_OK && u64(&r.t.gas_price) == 2 * GWEI, "%s %s", err_name(r.rc), r.msg);
    tx_clear(&r.t);
    bump(&old, 0, GWEI, 1050000000ull, &r); /* a 10% bump does not fit under the cap */
    CHECKF(r.rc == E_LIMIT && strstr(r.msg, "fee cap"), "%s %s", err_name(r.rc), r.msg);
    tx_clear(&r.t);
    tx_clear(&old);
}

TEST(bump_refuses_gas_free_networks)
{
    /* gasPrice 0 (Besu/EBSI free gas, the berlin profile): no fee helps,
     * and the node is not even asked. */
    struct tx old;
    struct run r;
    stuck_tx(&old, TX_LEGACY, 0, 0);
    bump(&old, 0, GWEI, 0, &r);
    CHECKF(r.rc == E_UNSUPPORTED && strstr(r.msg, "gas-free"), "%s %s", err_name(r.rc), r.msg);
    CHECKF(r.requests == 0, "%u requests", r.requests);
    tx_clear(&r.t);
    tx_clear(&old);
}

TEST(bump_refuses_out_of_range_fees)
{
    struct tx old;
    struct run r;
    stuck_tx(&old, TX_EIP1559, GWEI, GWEI);
    memset(old.max_fee.b, 0xff, 32); /* 2^256 − 1 wei per gas */
    bump(&old, GWEI, GWEI, 0, &r);
    CHECKF(r.rc == E_LIMIT && strstr(r.msg, "out of range"), "%s %s", err_name(r.rc), r.msg);
    tx_clear(&r.t);
    tx_clear(&old);
    stuck_tx(&old, TX_EIP1559, 3 * GWEI, GWEI);
    bump(&old, UINT64_MAX / 2, GWEI, 0, &r); /* a base fee no 64-bit fee can cover */
    CHECKF(r.rc == E_LIMIT && strstr(r.msg, "out of range"), "%s %s", err_name(r.rc), r.msg);
    tx_clear(&r.t);
    tx_clear(&old);
}

TEST(bump_reports_a_broken_node)
{
    struct tx old;
    stuck_tx(&old, TX_EIP1559, 3 * GWEI, GWEI);
    struct rpc_stub_reply garbled = {.status = 200, .body = "{\"jsonrpc\":\"2.0\",\"id\":{{id}},"};
    struct rpc_stub *stub = rpc_stub_start(&garbled, 1);
    CHECK(stub);
    struct rpc_options o = {.url = rpc_stub_url(stub), .max_attempts = 1, .timeout_ms = 5000};
    struct evm_ledger l = {.chain_id = 1337};
    struct err e = {0};
    CHECK_OK(rpc_client_new(&o, &l.rpc, &e), &e);
    struct tx t;
    err_code rc = evm_bump_fees(&l, NULL, &old, &t, &e);
    evm_close(&l);
    rpc_stub_stop(stub);
    rpc_stub_free(stub);
    CHECKF(rc == E_PROTOCOL, "%s %s", err_name(rc), e.msg);
    tx_clear(&t);
    tx_clear(&old);
}
