/*
 * tests/unit/test_ebsi.c — the "ebsi" driver (anchor/ebsi.h) against hostile
 * input: the record data and call data accept exactly one spelling; the
 * unsigned transaction a gateway returns is refused unless it is exactly
 * what we asked for (every field mutated in turn); the Timestamp API client
 * on a scripted HTTP stub (token refusals, a hash that is not ours, the
 * request and submission shapes); events; token files.
 * (The end-to-end flow, with the gateway encoding through ethers and the
 * notary comparing byte for byte, is tests/cli/notary_ebsi.sh.)
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "anchor/abi.h"
#include "anchor/ebsi.h"
#include "anchor/eth.h"
#include "core/hash.h"
#include "tests/harness.h"
#include "tests/ledger.h"
#include "tests/rpc_stub.h"

static const struct ebsi_data D17 = {.kind = EBSI_KIND_ISSUANCE, .seq = 17, .size = 1000};

static struct hash32 root_of(uint8_t fill)
{
    struct hash32 h;
    memset(h.b, fill, 32);
    return h;
}

/* ---- record data ---------------------------------------------------------- */

TEST(data_is_canonical_jcs_and_round_trips)
{
    struct err e = {0};
    struct buf b = {0};
    CHECK_OK(ebsi_data_encode(&D17, &b, &e), &e);
    CHECK(b.len == strlen("{\"kind\":\"issuance\",\"seq\":17,\"size\":1000,\"v\":1}"));
    CHECK(memcmp(b.p, "{\"kind\":\"issuance\",\"seq\":17,\"size\":1000,\"v\":1}", b.len) == 0);
    struct ebsi_data d;
    CHECK_OK(ebsi_data_parse(b.p, b.len, &d, &e), &e);
    CHECK(d.kind == EBSI_KIND_ISSUANCE && d.seq == 17 && d.size == 1000);
    buf_free(&b);
    struct ebsi_data rv = {.kind = EBSI_KIND_REVOCATION, .seq = 0, .size = 1};
    CHECK_OK(ebsi_data_encode(&rv, &b, &e), &e);
    CHECK(strcmp((char *)b.p, "{\"kind\":\"revocation\",\"seq\":0,\"size\":1,\"v\":1}") == 0);
    buf_free(&b);
    struct ebsi_data big = {.kind = EBSI_KIND_ISSUANCE, .seq = 9007199254740993ull, .size = 1};
    CHECK_ERR(ebsi_data_encode(&big, &b, &e), &e, E_INVALID, "2^53");
    buf_free(&b);
}

TEST(data_parse_refuses_every_other_spelling)
{
    static const char *const bad[] = {
        "{\"kind\": \"issuance\",\"seq\":17,\"size\":1000,\"v\":1}",  /* whitespace */
        "{\"seq\":17,\"kind\":\"issuance\",\"size\":1000,\"v\":1}",   /* member order */
        "{\"kind\":\"issuance\",\"seq\":17,\"size\":1000,\"v\":2}",   /* version */
        "{\"kind\":\"issuance\",\"seq\":17,\"size\":1000}",           /* missing v */
        "{\"kind\":\"issuance\",\"seq\":17,\"size\":1000,\"v\":1,\"x\":0}",
        "{\"kind\":\"checkpoint\",\"seq\":17,\"size\":1000,\"v\":1}", /* unknown kind */
        "{\"kind\":\"issuance\",\"seq\":-1,\"size\":1000,\"v\":1}",
        "{\"kind\":\"issuance\",\"seq\":\"17\",\"size\":1000,\"v\":1}",
        "{\"kind\":\"issuance\",\"seq\":17.0,\"size\":1000,\"v\":1}",
        "{\"kind\":\"issuance\",\"seq\":017,\"size\":1000,\"v\":1}",
        "{\"kind\":\"issuance\",\"seq\":17,\"seq\":18,\"size\":1000,\"v\":1}", /* duplicate */
        "{\"kind\":\"issuance\",\"seq\":17,\"size\":1000,\"v\":1} ",  /* trailing space */
        "[\"issuance\",17,1000,1]",
        "",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct err e = {0};
        struct ebsi_data d;
        t_case(ebsi_data_parse((const uint8_t *)bad[i], strlen(bad[i]), &d, &e) == E_INVALID,
               bad[i], "accepted");
    }
}

/* ---- call data ----------------------------------------------------------------- */

TEST(calldata_has_the_selector_and_parses_only_when_canonical)
{
    struct err e = {0};
    struct hash32 root = root_of(0x5a), r2;
    struct buf b = {0};
    CHECK_OK(ebsi_calldata(0, &root, &D17, &b, &e), &e);
    CHECK(b.p[0] == 0x04 && b.p[1] == 0xbb && b.p[2] == 0x47 && b.p[3] == 0x22);
    uint64_t alg = 9;
    struct ebsi_data d;
    CHECK_OK(ebsi_parse_calldata(b.p, b.len, &alg, &r2, &d, &e), &e);
    CHECK(alg == 0 && hash32_eq(&root, &r2) && d.seq == 17 && d.size == 1000);

    /* one byte more, one byte less, a flipped selector */
    uint8_t *p = malloc(b.len + 32);
    CHECK(p);
    memcpy(p, b.p, b.len);
    p[b.len] = 0;
    CHECK_ERR(ebsi_parse_calldata(p, b.len + 1, &alg, &r2, &d, &e), &e, E_INVALID, "");
    CHECK_ERR(ebsi_parse_calldata(p, b.len - 1, &alg, &r2, &d, &e), &e, E_INVALID, "");
    /* the root merely contained: our call with 32 extra bytes appended */
    memcpy(p + b.len, root.b, 32);
    CHECK_ERR(ebsi_parse_calldata(p, b.len + 32, &alg, &r2, &d, &e), &e, E_INVALID, "canonical");
    p[0] ^= 1;
    CHECK_ERR(ebsi_parse_calldata(p, b.len, &alg, &r2, &d, &e), &e, E_INVALID, "not a");
    free(p);
    buf_free(&b);

    /* two hashes, a 33-byte hash, foreign timestamp data */
    struct u256 ids[2];
    u256_from_u64(0, &ids[0]);
    u256_from_u64(0, &ids[1]);
    uint8_t h33[33] = {0};
    const char *json = "{\"kind\":\"issuance\",\"seq\":17,\"size\":1000,\"v\":1}";
    struct abi_bytes hs2[2] = {{root.b, 32}, {root.b, 32}},
                     ds2[2] = {{(const uint8_t *)json, strlen(json)},
                               {(const uint8_t *)json, strlen(json)}};
    struct abi_arg two[3] = {abi_arg_uint_array(ids, 2), abi_arg_bytes_array(hs2, 2),
                             abi_arg_bytes_array(ds2, 2)};
    CHECK_OK(abi_encode_call(EBSI_TIMESTAMP_SIG, two, 3, &b, &e), &e);
    CHECK_ERR(ebsi_parse_calldata(b.p, b.len, &alg, &r2, &d, &e), &e, E_INVALID, "exactly one");
    buf_free(&b);
    struct abi_bytes hs1[1] = {{h33, 33}}, ds1[1] = {{(const uint8_t *)json, strlen(json)}};
    struct abi_arg one[3] = {abi_arg_uint_array(ids, 1), abi_arg_bytes_array(hs1, 1),
                             abi_arg_bytes_array(ds1, 1)};
    CHECK_OK(abi_encode_call(EBSI_TIMESTAMP_SIG, one, 3, &b, &e), &e);
    CHECK_ERR(ebsi_parse_calldata(b.p, b.len, &alg, &r2, &d, &e), &e, E_INVALID, "33 bytes");
    buf_free(&b);
    const char *other = "{\"batch\":17}";
    struct abi_bytes hs[1] = {{root.b, 32}}, dso[1] = {{(const uint8_t *)other, strlen(other)}};
    struct abi_arg foreign[3] = {abi_arg_uint_array(ids, 1), abi_arg_bytes_array(hs, 1),
                                 abi_arg_bytes_array(dso, 1)};
    CHECK_OK(abi_encode_call(EBSI_TIMESTAMP_SIG, foreign, 3, &b, &e), &e);
    CHECK_ERR(ebsi_parse_calldata(b.p, b.len, &alg, &r2, &d, &e), &e, E_INVALID, "record");
    buf_free(&b);
}

TEST(event_topic_is_the_compiled_one)
{
    struct hash32 t;
    ebsi_event_topic(&t);
    /* keccak256 of EBSI's event signature, as ethers computes it
     * (tests/lib/notary.sh HASHTIMESTAMPED_TOPIC) */
    char hex[67];
    hash32_to_hex0x(&t, hex);
    CHECK(strcmp(hex, "0x306c2544c45d1ccf2ebbd744e9396906704a33212d781f5ba3f92dd7cc8b4d5b") == 0);
    CHECK(strlen(ebsi_timestamp_runtime_hex) > 1000);
    /* the runtime code carries the timestampHashes selector */
    CHECK(strstr(ebsi_timestamp_runtime_hex, "04bb4722") != NULL);
}

/* A TimestampedHashes log (EBSI's shape: nothing indexed) for `root` with
 * record `json`: timestampId sha256(root) (or `bad_id`), then `extra` zero
 * bytes appended. */
static void make_log(struct rpc_log *l, const struct hash32 *root, size_t root_len,
                     const char *json, size_t extra, bool bad_id, struct buf *store)
{
    memset(l, 0, sizeof *l);
    ebsi_event_topic(&l->topics[0]);
    l->ntopics = 1;
    struct hash32 id;
    ebsi_timestamp_id(root->b, root_len, &id);
    if (bad_id)
        id.b[0] ^= 1;
    struct u256 ids[1], algs[1];
    memcpy(ids[0].b, id.b, 32);
    u256_from_u64(0, &algs[0]);
    struct abi_bytes hv[1] = {{root->b, root_len}},
                     dv[1] = {{(const uint8_t *)json, strlen(json)}};
    struct abi_arg args[4] = {abi_arg_uint_array(ids, 1), abi_arg_uint_array(algs, 1),
                              abi_arg_bytes_array(hv, 1), abi_arg_bytes_array(dv, 1)};
    struct err e;
    if (abi_encode_args(args, 4, store, &e) != E_OK)
        return;
    for (size_t i = 0; i < extra; i++)
        if (buf_append_byte(store, 0))
            return;
    l->data = store->p;
    l->data_len = store->len;
    l->block_number = 42;
}

TEST(event_parse_is_strict)
{
    struct err e = {0};
    struct hash32 root = root_of(0x77), id;
    const char *json = "{\"kind\":\"issuance\",\"seq\":17,\"size\":1000,\"v\":1}";
    struct rpc_log l;
    struct buf s = {0};
    struct ebsi_event ev;
    make_log(&l, &root, 32, json, 0, false, &s);
    CHECK_OK(ebsi_parse_event(&l, &ev, &e), &e);
    CHECK_OK(sha256(root.b, 32, &id), &e);
    CHECK(hash32_eq(&ev.root, &root) && hash32_eq(&ev.timestamp_id, &id) && ev.data.seq == 17 &&
          ev.log_block == 42);
    l.ntopics = 2; /* an indexed member: not EBSI's event */
    CHECK_ERR(ebsi_parse_event(&l, &ev, &e), &e, E_INVALID, "topics");
    buf_free(&s);
    make_log(&l, &root, 32, json, 32, false, &s);
    CHECK_ERR(ebsi_parse_event(&l, &ev, &e), &e, E_INVALID, "canonical");
    buf_free(&s);
    make_log(&l, &root, 31, json, 0, false, &s);
    CHECK_ERR(ebsi_parse_event(&l, &ev, &e), &e, E_INVALID, "31 bytes");
    buf_free(&s);
    make_log(&l, &root, 32, "{\"kind\":\"issuance\",\"seq\":17,\"size\":1000}", 0, false, &s);
    CHECK_ERR(ebsi_parse_event(&l, &ev, &e), &e, E_INVALID, "");
    buf_free(&s);
    make_log(&l, &root, 32, json, 0, true, &s);
    CHECK_ERR(ebsi_parse_event(&l, &ev, &e), &e, E_INVALID, "sha256");
    buf_free(&s);
}

/* getTimestamp's answer: ((alg, value), timestampedBy, blockNumber, data). */
static void make_record(struct buf *b, const struct hash32 *root, const char *json)
{
    size_t dl = strlen(json), pad = (32 - dl % 32) % 32;
    uint8_t w[32];
#define WORD(v)                                                                                    \
    do {                                                                                           \
        memset(w, 0, 32);                                                                          \
        uint64_t x_ = (v);                                                                         \
        for (int i_ = 0; i_ < 8; i_++)                                                             \
            w[31 - i_] = (uint8_t)(x_ >> (8 * i_));                                                \
        if (buf_append(b, w, 32))                                                                  \
            return;                                                                                \
    } while (0)
    WORD(128);
    memset(w, 0, 32);
    memset(w + 12, 0xab, 20);
    if (buf_append(b, w, 32))
        return;
    WORD(42);
    WORD(128 + 128);
    WORD(0);
    WORD(64);
    WORD(32);
    if (buf_append(b, root->b, 32))
        return;
    WORD(dl);
    if (buf_append(b, json, dl))
        return;
    memset(w, 0, 32);
    if (pad && buf_append(b, w, pad))
        return;
#undef WORD
}

TEST(record_decode_is_strict)
{
    struct err e = {0};
    struct hash32 root = root_of(0x55), other = root_of(0x56);
    const char *json = "{\"kind\":\"revocation\",\"seq\":3,\"size\":9,\"v\":1}";
    struct buf b = {0};
    make_record(&b, &root, json);
    struct ebsi_record r;
    CHECK_OK(ebsi_decode_record(b.p, b.len, &root, &r, &e), &e);
    CHECK(r.exists && r.from.b[0] == 0xab && r.block_number == 42 && r.alg == 0 && r.has_data &&
          r.data.kind == EBSI_KIND_REVOCATION && r.data.seq == 3);
    CHECK_ERR(ebsi_decode_record(b.p, b.len, &other, &r, &e), &e, E_INVALID, "another hash");
    CHECK(!r.exists);
    CHECK_OK(buf_append_byte(&b, 0), &e);
    CHECK_ERR(ebsi_decode_record(b.p, b.len, &root, &r, &e), &e, E_INVALID, "canonical");
    CHECK_ERR(ebsi_decode_record(b.p, 100, &root, &r, &e), &e, E_INVALID, "");
    buf_free(&b);
}

TEST(revert_timestamp_unknown_is_recognised_exactly)
{
    /* Error("timestamp unknown") as Solidity encodes a require message */
    uint8_t r[4 + 96] = {0x08, 0xc3, 0x79, 0xa0};
    r[4 + 31] = 32;
    r[4 + 63] = 17;
    memcpy(r + 4 + 64, "timestamp unknown", 17);
    CHECK(ebsi_revert_is_unknown(r, sizeof r));
    r[4 + 64] = 'T';
    CHECK(!ebsi_revert_is_unknown(r, sizeof r)); /* another reason: not "not timestamped" */
    r[4 + 64] = 't';
    CHECK(!ebsi_revert_is_unknown(r, sizeof r - 1));
    r[0] = 0;
    CHECK(!ebsi_revert_is_unknown(r, sizeof r));
    CHECK(!ebsi_revert_is_unknown(NULL, 0));
}

/* ---- the unsigned transaction ---------------------------------------------------- */

struct fixture {
    struct hash32 root;
    struct buf call;
    struct ebsi_expect x;
    json_t *good; /* a correct unsignedTransaction */
};

static bool fixture_init(struct fixture *f)
{
    memset(f, 0, sizeof *f);
    f->root = root_of(0x42);
    struct err e;
    if (ebsi_calldata(0, &f->root, &D17, &f->call, &e) ||
        addr20_from_hex(T_DEV_ADDR_0, &f->x.from, &e) ||
        addr20_from_hex("0x07a457d878bf363e0bb5aa0b096092f941e19962", &f->x.contract, &e))
        return false;
    f->x.chain_id = 1337;
    f->x.calldata = f->call.p;
    f->x.calldata_len = f->call.len;
    struct tx t;
    tx_init(&t);
    t.chain_id = 1337;
    t.nonce = 5;
    t.gas_limit = 120000;
    t.has_to = true;
    t.to = f->x.contract;
    if (tx_set_data(&t, f->call.p, f->call.len, &e))
        return false;
    f->good = ebsi_unsigned_json(&t, &f->x.from);
    tx_clear(&t);
    return f->good != NULL;
}

static void fixture_free(struct fixture *f)
{
    json_decref(f->good);
    buf_free(&f->call);
}

/* Parse + check a copy of the good object with `member` set to `value`
 * (NULL value: removed). */
static err_code try_mutation(const struct fixture *f, const char *member, json_t *value,
                             struct err *e)
{
    json_t *o = json_deep_copy(f->good);
    if (value)
        json_object_set_new(o, member, value);
    else
        json_object_del(o, member);
    struct tx t;
    struct addr20 from;
    err_code rc = ebsi_unsigned_parse(o, &t, &from, e);
    if (!rc) {
        rc = ebsi_unsigned_check(&t, &from, &f->x, e);
        tx_clear(&t);
    }
    json_decref(o);
    return rc;
}

TEST(unsigned_tx_good_one_is_accepted)
{
    struct fixture f;
    CHECK(fixture_init(&f));
    struct err e = {0};
    struct tx t;
    struct addr20 from;
    CHECK_OK(ebsi_unsigned_parse(f.good, &t, &from, &e), &e);
    CHECK_OK(ebsi_unsigned_check(&t, &from, &f.x, &e), &e);
    CHECK(t.nonce == 5 && t.gas_limit == 120000 && t.chain_id == 1337);
    /* an EIP-55 checksummed `from`, as EBSI writes it, is fine */
    CHECK_OK(try_mutation(&f, "from", json_string(T_DEV_ADDR_0), &e), &e);
    tx_clear(&t);
    fixture_free(&f);
}

/* EBSI writes quantities with ethers' BigNumber.toHexString(): an even
 * number of digits, so leading zeros ("0x05", "0x0539", "0x01d4c0"). */
TEST(unsigned_tx_ebsi_even_digit_quantities_are_accepted)
{
    struct fixture f;
    CHECK(fixture_init(&f));
    struct err e = {0};
    json_t *o = json_deep_copy(f.good);
    json_object_set_new(o, "nonce", json_string("0x05"));
    json_object_set_new(o, "chainId", json_string("0x0539"));
    json_object_set_new(o, "gasLimit", json_string("0x01d4c0"));
    json_object_set_new(o, "gasPrice", json_string("0x00"));
    json_object_set_new(o, "value", json_string("0x0"));
    struct tx t;
    struct addr20 from;
    CHECK_OK(ebsi_unsigned_parse(o, &t, &from, &e), &e);
    CHECK_OK(ebsi_unsigned_check(&t, &from, &f.x, &e), &e);
    CHECK(t.nonce == 5 && t.chain_id == 1337 && t.gas_limit == 120000);
    tx_clear(&t);
    json_object_set_new(o, "nonce", json_string("0x00"));
    CHECK_OK(ebsi_unsigned_parse(o, &t, &from, &e), &e);
    CHECK(t.nonce == 0);
    tx_clear(&t);
    json_decref(o);
    /* the strict JSON-RPC parser is unchanged: standard answers still refuse them */
    uint64_t v;
    CHECK_ERR(rpc_parse_quantity("0x05", &v, &e), &e, E_INVALID, "");
    fixture_free(&f);
}

TEST(unsigned_tx_hostile_gateway_cannot_make_us_sign_anything_else)
{
    struct fixture f;
    CHECK(fixture_init(&f));
    /* our call data for another root, and ours with a byte appended */
    struct hash32 other = root_of(0x43);
    struct buf oc = {0};
    struct err e = {0};
    CHECK_OK(ebsi_calldata(0, &other, &D17, &oc, &e), &e);
    char *other_hex = malloc(2 * oc.len + 3), *longer_hex = malloc(2 * f.call.len + 5);
    CHECK(other_hex && longer_hex);
    strcpy(other_hex, "0x");
    hex_encode(oc.p, oc.len, other_hex + 2);
    strcpy(longer_hex, "0x");
    hex_encode(f.call.p, f.call.len, longer_hex + 2);
    strcat(longer_hex, "00");
    struct ebsi_data d18 = D17;
    d18.seq = 18;
    struct buf c18 = {0};
    CHECK_OK(ebsi_calldata(0, &f.root, &d18, &c18, &e), &e);
    char *seq_hex = malloc(2 * c18.len + 3);
    CHECK(seq_hex);
    strcpy(seq_hex, "0x");
    hex_encode(c18.p, c18.len, seq_hex + 2);
    struct {
        const char *name, *member;
        json_t *value;
        err_code want;
        const char *msg;
    } cases[] = {
        {"to another contract", "to", json_string("0x000000000000000000000000000000000000dead"),
         E_VERIFY, "not the configured Timestamp contract"},
        {"from another account", "from", json_string(T_DEV_ADDR_1), E_VERIFY, "not from the issuer"},
        {"another chain", "chainId", json_string("0x1"), E_VERIFY, "chain 1"},
        {"value sent", "value", json_string("0x1"), E_VERIFY, "value"},
        {"value 2^255", "value",
         json_string("0x8000000000000000000000000000000000000000000000000000000000000000"), E_VERIFY,
         "value"},
        {"another root", "data", json_string(other_hex), E_VERIFY, "call data"},
        {"another seq", "data", json_string(seq_hex), E_VERIFY, "call data"},
        {"our data plus a byte", "data", json_string(longer_hex), E_VERIFY, "call data"},
        {"empty data", "data", json_string("0x"), E_VERIFY, "call data"},
        {"gas limit below 21000", "gasLimit", json_string("0x5207"), E_VERIFY, "gas limit"},
        {"gas limit too high", "gasLimit", json_string("0x1e8481"), E_VERIFY, "gas limit"},
        {"a gas price", "gasPrice", json_string("0x1"), E_VERIFY, "gas price"},
        {"EBSI's gas fallback", "gasLimit", json_string("0x1000000"), E_VERIFY,
         "fallback gas limit 0x1000000"},
        {"nonce of 17 digits", "nonce", json_string("0x00000000000000005"), E_PROTOCOL, "nonce"},
        {"nonce as a number", "nonce", json_integer(5), E_PROTOCOL, "nonce"},
        {"chain id without 0x", "chainId", json_string("539"), E_PROTOCOL, "chainId"},
        {"upper-case quantity", "gasPrice", json_string("0xA"), E_PROTOCOL, "gasPrice"},
        {"upper-case padded quantity", "nonce", json_string("0x0A"), E_PROTOCOL, "nonce"},
        {"value of 65 digits", "value",
         json_string("0x10000000000000000000000000000000000000000000000000000000000000000"),
         E_PROTOCOL, "value"},
        {"bad EIP-55 checksum", "from", json_string("0x90f8bf6A479f320ead074411a4B0e7944Ea8c9C1"),
         E_PROTOCOL, "from"},
        {"contract creation", "to", json_string("0x"), E_PROTOCOL, "to"},
        {"odd-length data", "data", json_string("0x04bb472"), E_PROTOCOL, "data"},
        {"data without 0x", "data", json_string("04bb4722"), E_PROTOCOL, "data"},
        {"an extra member", "type", json_string("0x2"), E_PROTOCOL, "unexpected member"},
        {"an access list", "accessList", json_array(), E_PROTOCOL, "unexpected member"},
        {"missing value", "value", NULL, E_PROTOCOL, "\"value\""},
        {"missing to", "to", NULL, E_PROTOCOL, "\"to\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        err_clear(&e);
        err_code rc = try_mutation(&f, cases[i].member, cases[i].value, &e);
        t_case(rc == cases[i].want && strstr(e.msg, cases[i].msg) != NULL, cases[i].name,
               "got %s: %s", err_name(rc), e.msg);
    }
    struct tx t;
    struct addr20 from;
    json_t *arr = json_array();
    CHECK_ERR(ebsi_unsigned_parse(arr, &t, &from, &e), &e, E_PROTOCOL, "not a JSON object");
    json_decref(arr);
    free(other_hex);
    free(longer_hex);
    free(seq_hex);
    buf_free(&oc);
    buf_free(&c18);
    fixture_free(&f);
}

/* ---- the API on a scripted stub ---------------------------------------------------- */

static char *reply_with(const char *result_json)
{
    size_t n = strlen(result_json) + 64;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "{\"jsonrpc\":\"2.0\",\"id\":{{id}},\"result\":%s}", result_json);
    return s;
}

static bool api_for(struct rpc_stub *stub, const char *token, struct ebsi_api **a)
{
    struct rpc_options o = {.url = rpc_stub_url(stub), .bearer_token = token, .max_attempts = 1,
                            .timeout_ms = 5000};
    struct err e;
    return ebsi_api_new(&o, a, &e) == E_OK;
}

TEST(request_tx_sends_the_documented_params_and_checks_the_answer)
{
    struct fixture f;
    CHECK(fixture_init(&f));
    char *good = json_dumps(f.good, JSON_COMPACT | JSON_PRESERVE_ORDER);
    char *body = reply_with(good);
    CHECK(good && body);
    struct rpc_stub_reply script[] = {{.status = 200, .body = body}};
    struct rpc_stub *stub = rpc_stub_start(script, 1);
    CHECK(stub);
    struct ebsi_api *a;
    CHECK(api_for(stub, "tok-123", &a));
    struct ebsi_prepared p;
    struct err e = {0};
    err_code rc = ebsi_request_tx(a, &f.x, 0, &f.root, &D17, &p, &e);
    rpc_stub_stop(stub);
    CHECKF(rc == E_OK, "%s", e.msg);
    CHECK(strcmp(p.unsigned_json, good) == 0);
    CHECK(strcmp(rpc_stub_last_auth(stub), "Bearer tok-123") == 0);
    const char *req = rpc_stub_last_body(stub);
    CHECKF(strstr(req, "\"method\":\"timestampHashes\"") && strstr(req, "\"hashAlgorithmIds\":[0]") &&
               strstr(req, "\"hashValues\":[\"0x4242424242424242") &&
               strstr(req, "\"from\":\"0x90f8bf6a479f320ead074411a4b0e7944ea8c9c1\""),
           "request %s", req);
    /* timestampData: hex of the canonical record */
    struct buf d = {0};
    CHECK_OK(ebsi_data_encode(&D17, &d, &e), &e);
    char hex[256];
    hex_encode(d.p, d.len, hex);
    CHECKF(strstr(req, hex) != NULL, "timestampData missing in %s", req);
    buf_free(&d);
    ebsi_prepared_free(&p);
    ebsi_api_free(a);
    rpc_stub_free(stub);
    free(body);
    free(good);
    fixture_free(&f);
}

TEST(request_tx_refused_token_and_hostile_answers)
{
    struct fixture f;
    CHECK(fixture_init(&f));
    json_t *bad = json_deep_copy(f.good);
    json_object_set_new(bad, "to", json_string("0x000000000000000000000000000000000000dead"));
    char *bad_s = json_dumps(bad, JSON_COMPACT);
    json_decref(bad);
    char *bad_body = reply_with(bad_s);
    struct {
        const char *name;
        struct rpc_stub_reply reply;
        err_code want;
        const char *msg;
    } cases[] = {
        {"401", {.status = 401, .body = "{\"title\":\"Unauthorized\",\"detail\":\"{{auth}}\"}"},
         E_STATE, "missing, expired or lacks the timestamp_write scope"},
        {"403", {.status = 403, .body = "{\"title\":\"Forbidden\"}"}, E_STATE, "timestamp_write"},
        {"a transaction to another contract", {.status = 200, .body = bad_body}, E_VERIFY,
         "refusing to sign"},
        {"a JSON-RPC error",
         {.status = 200,
          .body = "{\"jsonrpc\":\"2.0\",\"id\":{{id}},\"error\":{\"code\":-32602,\"message\":\"bad\"}}"},
         E_PROTOCOL, "timestampHashes"},
        {"a string result", {.status = 200, .body = "{\"jsonrpc\":\"2.0\",\"id\":{{id}},\"result\":\"0x\"}"},
         E_PROTOCOL, "not a JSON object"},
        {"a 500", {.status = 500, .body = "oops"}, E_NETWORK, ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct rpc_stub *stub = rpc_stub_start(&cases[i].reply, 1);
        CHECK(stub);
        struct ebsi_api *a;
        CHECK(api_for(stub, "secret-token-xyz", &a));
        struct ebsi_prepared p;
        struct err e = {0};
        err_code rc = ebsi_request_tx(a, &f.x, 0, &f.root, &D17, &p, &e);
        t_case(rc == cases[i].want && strstr(e.msg, cases[i].msg) &&
                   !strstr(e.msg, "secret-token-xyz"),
               cases[i].name, "got %s: %s", err_name(rc), e.msg);
        if (rc == E_OK)
            ebsi_prepared_free(&p);
        ebsi_api_free(a);
        rpc_stub_free(stub);
    }
    free(bad_body);
    free(bad_s);
    fixture_free(&f);
}

TEST(send_submits_r_s_v_and_checks_the_hash)
{
    struct fixture f;
    CHECK(fixture_init(&f));
    struct err e = {0};
    uint8_t key[32];
    CHECK_OK(hex_decode_exact(T_DEV_KEY_0, 64, false, key, 32, &e), &e);
    struct signer *sg;
    CHECK_OK(signer_from_privkey(key, &sg, &e), &e);
    struct tx t;
    struct addr20 from;
    CHECK_OK(ebsi_unsigned_parse(f.good, &t, &from, &e), &e);
    struct buf raw = {0};
    struct hash32 txh;
    CHECK_OK(tx_sign(&t, sg, &raw, &txh, NULL, &e), &e);
    char *uj = json_dumps(f.good, JSON_COMPACT | JSON_PRESERVE_ORDER);
    char h[67], res[80];
    hash32_to_hex0x(&txh, h);
    snprintf(res, sizeof res, "\"%s\"", h);
    char *ok_body = reply_with(res);
    char *wrong_body = reply_with("\"0x1111111111111111111111111111111111111111111111111111111111111111\"");
    struct rpc_stub_reply okr = {.status = 200, .body = ok_body},
                          wrong = {.status = 200, .body = wrong_body},
                          known = {.status = 200,
                                   .body = "{\"jsonrpc\":\"2.0\",\"id\":{{id}},\"error\":{\"code\":-32000,"
                                           "\"message\":\"already known\"}}"};

    struct rpc_stub *stub = rpc_stub_start(&okr, 1);
    struct ebsi_api *a;
    CHECK(stub && api_for(stub, "t", &a));
    struct hash32 got;
    CHECK_OK(ebsi_send(a, uj, raw.p, raw.len, &got, &e), &e);
    CHECK(hash32_eq(&got, &txh));
    rpc_stub_stop(stub);
    const char *req = rpc_stub_last_body(stub);
    char rawhex[40];
    hex_encode(raw.p, 16, rawhex);
    CHECKF(strstr(req, "\"method\":\"sendSignedTransaction\"") &&
               strstr(req, "\"protocol\":\"eth\"") && strstr(req, "\"unsignedTransaction\":{") &&
               strstr(req, "\"r\":\"0x") && strstr(req, "\"s\":\"0x") &&
               (strstr(req, "\"v\":\"0xa95\"") || strstr(req, "\"v\":\"0xa96\"")) &&
               strstr(req, rawhex),
           "request %s", req);
    ebsi_api_free(a);
    rpc_stub_free(stub);

    stub = rpc_stub_start(&wrong, 1);
    CHECK(stub && api_for(stub, "t", &a));
    CHECK_ERR(ebsi_send(a, uj, raw.p, raw.len, &got, &e), &e, E_PROTOCOL, "but we sent");
    CHECK(hash32_eq(&got, &txh)); /* ours, whatever the answer */
    ebsi_api_free(a);
    rpc_stub_free(stub);

    stub = rpc_stub_start(&known, 1);
    CHECK(stub && api_for(stub, "t", &a));
    CHECK_ERR(ebsi_send(a, uj, raw.p, raw.len, &got, &e), &e, E_PROTOCOL, "");
    CHECK(ebsi_api_last_error(a)->reason == RPC_REASON_ALREADY_KNOWN);
    /* a stored unsigned transaction that does not match the signed bytes */
    json_t *o = json_deep_copy(f.good);
    json_object_set_new(o, "nonce", json_string("0x6"));
    char *other = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    CHECK_ERR(ebsi_send(a, other, raw.p, raw.len, &got, &e), &e, E_STATE, "does not match");
    CHECK_ERR(ebsi_send(a, "{", raw.p, raw.len, &got, &e), &e, E_STATE, "");
    free(other);
    ebsi_api_free(a);
    rpc_stub_free(stub);

    free(ok_body);
    free(wrong_body);
    free(uj);
    buf_free(&raw);
    tx_clear(&t);
    signer_free(sg);
    fixture_free(&f);
}

/* ---- token files ------------------------------------------------------------------ */

static const char *write_file(const char *name, const char *text, mode_t mode)
{
    static char path[600];
    snprintf(path, sizeof path, "%s/%s", t_tmpdir(), name);
    FILE *fp = fopen(path, "w");
    if (!fp)
        return NULL;
    fputs(text, fp);
    fclose(fp);
    chmod(path, mode);
    return path;
}

TEST(token_file_rules)
{
    struct err e = {0};
    char *tok;
    const char *p = write_file("tok-ok", "  eyJhbGciOi.x-y_z \n", 0600);
    CHECK(p);
    CHECK_OK(ebsi_token_read(p, &tok, &e), &e);
    CHECK(strcmp(tok, "eyJhbGciOi.x-y_z") == 0);
    ebsi_token_free(tok);
    p = write_file("tok-open", "abc\n", 0644);
    CHECK_ERR(ebsi_token_read(p, &tok, &e), &e, E_STATE, "chmod 600");
    CHECK(strstr(e.msg, "abc") == NULL);
    p = write_file("tok-empty", " \n", 0600);
    CHECK_ERR(ebsi_token_read(p, &tok, &e), &e, E_INVALID, "empty");
    p = write_file("tok-two", "abc def\n", 0600);
    CHECK_ERR(ebsi_token_read(p, &tok, &e), &e, E_INVALID, "control");
    CHECK(strstr(e.msg, "abc") == NULL);
    char missing[600];
    snprintf(missing, sizeof missing, "%s/none", t_tmpdir());
    CHECK_ERR(ebsi_token_read(missing, &tok, &e), &e, E_NOT_FOUND, "none");
}
