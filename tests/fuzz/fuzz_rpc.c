/*
 * tests/fuzz/fuzz_rpc.c — libFuzzer target: JSON-RPC response handling
 * (anchor/rpc.c), everything a ledger node we do not control can send back.
 *
 * The first input byte picks a call (eth_chainId, eth_getBlockByNumber,
 * eth_getTransactionByHash, eth_getTransactionReceipt, eth_getLogs, eth_call,
 * eth_sendRawTransaction, ...); the rest is the HTTP 200 body the "node"
 * answers with, fed to a fresh client through rpc_set_response_for_test(),
 * so it passes the same size limit, strict JSON parse, envelope checks
 * (request id 1) and the helper's field checks as a real answer.
 *
 * Properties checked on every input (violations abort):
 *   - a failure carries a message, and the out-structs are left empty;
 *   - the bearer token and the URL's path (where API keys live: here the
 *     whole path is the key) never appear in an error message or in
 *     rpc_last_error()'s text, even when the node echoes them (the seeds
 *     contain both);
 *   - a receipt's logs all name the receipt's block and transaction.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anchor/eth.h"
#include "anchor/rpc.h"

#include "fuzz_common.h"

#define TOKEN "fuzz-bearer-T0KEN"
#define URL_SECRET "apikey-S3CR3T"

/* The hash and address every seed uses, so matching answers are reachable. */
static const struct hash32 H = {{0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
                                 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
                                 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11}};
static const struct addr20 A = {{0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22,
                                 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22}};

static void no_sleep(void *ctx, uint64_t ms)
{
    (void)ctx;
    (void)ms;
}

static void no_secret(const char *s)
{
    REQUIRE(!strstr(s, TOKEN));
    REQUIRE(!strstr(s, URL_SECRET));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t which = data[0];
    struct rpc_options o = {
        .url = "http://127.0.0.1:9/" URL_SECRET,
        .bearer_token = TOKEN,
        .max_attempts = 1,
        .max_response_bytes = 64 * 1024,
        .sleep_ms = no_sleep,
    };
    struct rpc_client *c;
    struct err e = {0};
    REQUIRE(rpc_client_new(&o, &c, &e) == E_OK);
    REQUIRE(rpc_set_response_for_test(c, data + 1, size - 1, &e) == E_OK);

    err_code rc;
    uint64_t q;
    switch (which % 14) {
    case 0: rc = rpc_chain_id(c, &q, &e); break;
    case 1: rc = rpc_block_number(c, &q, &e); break;
    case 2: rc = rpc_gas_price(c, &q, &e); break;
    case 3: rc = rpc_max_priority_fee(c, &q, &e); break;
    case 4: rc = rpc_get_transaction_count(c, &A, "pending", &q, &e); break;
    case 5:
    case 6: {
        struct rpc_block b;
        rc = which % 14 == 5 ? rpc_get_block_by_number(c, "0x2a", &b, &e)
                             : rpc_get_block_by_hash(c, &H, &b, &e);
        if (rc == E_OK)
            REQUIRE(which % 14 == 5 ? b.number == 42 : hash32_eq(&b.hash, &H));
        break;
    }
    case 7: {
        struct rpc_tx t;
        rc = rpc_get_transaction(c, &H, &t, &e);
        if (rc == E_OK)
            REQUIRE(hash32_eq(&t.hash, &H) && (t.input_len == 0) == (t.input == NULL));
        else
            REQUIRE(t.input == NULL && t.input_len == 0);
        rpc_tx_free(&t);
        break;
    }
    case 8: {
        struct rpc_receipt r;
        rc = rpc_get_receipt(c, &H, &r, &e);
        if (rc == E_OK) {
            REQUIRE(hash32_eq(&r.tx_hash, &H));
            for (size_t i = 0; i < r.nlogs; i++)
                REQUIRE(hash32_eq(&r.logs[i].tx_hash, &H) &&
                        hash32_eq(&r.logs[i].block_hash, &r.block_hash) &&
                        r.logs[i].block_number == r.block_number);
        } else
            REQUIRE(r.logs == NULL && r.nlogs == 0);
        rpc_receipt_free(&r);
        break;
    }
    case 9:
    case 10: {
        struct rpc_log_filter f = {.address = &A, .topics = {&H}, .ntopics = 1};
        if (which % 14 == 10) {
            f.from_block = "0x1";
            f.to_block = "0x64";
        }
        struct rpc_log *logs = NULL;
        size_t n = 0;
        rc = rpc_get_logs(c, &f, &logs, &n, &e);
        if (rc == E_OK)
            for (size_t i = 0; i < n; i++)
                REQUIRE(addr20_eq(&logs[i].address, &A) && logs[i].ntopics >= 1 &&
                        hash32_eq(&logs[i].topics[0], &H));
        else
            REQUIRE(logs == NULL && n == 0);
        rpc_logs_free(logs, n);
        break;
    }
    case 11:
    case 12: {
        uint8_t in[4] = {0xde, 0xad, 0xbe, 0xef}, *out = NULL;
        size_t outlen = 0;
        struct rpc_callmsg m = {.from = &A, .to = &A, .data = in, .data_len = sizeof in};
        rc = which % 14 == 11 ? rpc_eth_call(c, &m, "latest", &out, &outlen, &e)
                              : rpc_get_code(c, &A, "latest", &out, &outlen, &e);
        if (rc != E_OK)
            REQUIRE(out == NULL && outlen == 0);
        free(out);
        break;
    }
    default: {
        uint8_t raw[3] = {0xc2, 0x01, 0x02};
        struct hash32 th;
        rc = rpc_send_raw_transaction(c, raw, sizeof raw, false, &th, &e);
        break;
    }
    }
    if (rc != E_OK) {
        REQUIRE(e.msg[0] != '\0');
        no_secret(e.msg);
        const struct rpc_error *le = rpc_last_error(c);
        no_secret(le->message);
        REQUIRE(le->has_data || le->data == NULL);
    }
    rpc_client_free(c);
    return 0;
}
