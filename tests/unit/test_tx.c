/*
 * tests/unit/test_tx.c — transactions, signer and ABI against the shared ethers
 * vectors; strict decoding of what a gateway or ledger could hand us.
 *
 * With TX_EMIT_FILE set, tx_emit_for_ethers also writes signed transactions
 * and ABI calldata as JSON there, for tests/cli/tx_ethers.sh to check with
 * ethers (an independent implementation).
 */
#include <jansson.h>
#include <stdlib.h>
#include <sys/prctl.h>

#include "anchor/abi.h"
#include "anchor/rlp.h"
#include "anchor/signer.h"
#include "anchor/tx.h"
#include "core/hash.h"
#include "tests/harness.h"

/* ---- helpers ------------------------------------------------------------- */

static const char *jstr(const json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

static uint8_t *unhex(const char *s, size_t *n)
{
    uint8_t *p = NULL;
    if (hex_decode_alloc(s, strlen(s), true, 1 << 20, &p, n, NULL) != E_OK)
        return NULL;
    return p ? p : malloc(1);
}

static char *hex0x(const uint8_t *p, size_t n)
{
    char *s = malloc(2 * n + 3);
    s[0] = '0', s[1] = 'x';
    hex_encode(p ? p : (const uint8_t *)"", n, s + 2);
    return s;
}

static bool buf_is_hex(const struct buf *b, const char *want)
{
    char *got = hex0x(b->p, b->len);
    bool same = strcmp(got, want) == 0;
    free(got);
    return same;
}

/* Build a tx from a vector entry. */
static err_code tx_from_vector(const json_t *v, struct tx *t, struct err *e)
{
    tx_init(t);
    err_code rc;
    t->type = json_integer_value(json_object_get(v, "type")) == 2 ? TX_EIP1559 : TX_LEGACY;
    struct u256 u;
    if ((rc = u256_from_dec(jstr(v, "chainId"), &u, e)) || (rc = u256_to_u64(&u, &t->chain_id, e)))
        return rc;
    t->nonce = (uint64_t)json_integer_value(json_object_get(v, "nonce"));
    if ((rc = u256_from_dec(jstr(v, "gasLimit"), &u, e)) || (rc = u256_to_u64(&u, &t->gas_limit, e)))
        return rc;
    if (t->type == TX_LEGACY)
        rc = u256_from_dec(jstr(v, "gasPrice"), &t->gas_price, e);
    else
        (void)((rc = u256_from_dec(jstr(v, "maxPriorityFeePerGas"), &t->max_priority_fee, e)) ||
               (rc = u256_from_dec(jstr(v, "maxFeePerGas"), &t->max_fee, e)));
    if (rc || (rc = u256_from_dec(jstr(v, "value"), &t->value, e)))
        return rc;
    const char *to = jstr(v, "to");
    t->has_to = *to != '\0';
    if (t->has_to && (rc = eth_address_parse(to, &t->to, e)))
        return rc;
    size_t n;
    uint8_t *data = unhex(jstr(v, "data"), &n);
    if (!data)
        return err_set(e, E_INVALID, "bad data hex");
    rc = tx_set_data(t, data, n, e);
    free(data);
    return rc;
}

static err_code signer_from_hex(const char *hex, struct signer **s, struct err *e)
{
    uint8_t key[32];
    err_code rc = hex_decode_exact(hex, strlen(hex), true, key, 32, e);
    if (rc == E_OK)
        rc = signer_from_privkey(key, s, e);
    memset(key, 0, sizeof key);
    return rc;
}

static json_t *load(const char *rel)
{
    json_error_t je;
    json_t *root = json_load_file(t_vector_path(rel), 0, &je);
    if (!root)
        printf("# cannot load %s: %s\n", rel, je.text);
    return root;
}

/* ---- the shared vectors ---------------------------------------------------- */

TEST(tx_vectors)
{
    json_t *root = load("eth/transactions.json");
    CHECK(root && json_array_size(root) >= 100);
    size_t i;
    json_t *v;
    json_array_foreach(root, i, v) {
        char name[64];
        struct err e = {0};
        struct tx t;
        struct buf b = {0};
        struct hash32 h, want_h;
        err_code rc = tx_from_vector(v, &t, &e);
        snprintf(name, sizeof name, "#%zu fields", i);
        t_case(rc == E_OK, name, "%s", e.msg);
        if (rc) {
            tx_clear(&t);
            continue;
        }
        /* unsigned serialization and signing hash */
        rc = tx_encode_unsigned(&t, &b, &e);
        snprintf(name, sizeof name, "#%zu unsignedSerialized", i);
        t_case(rc == E_OK && buf_is_hex(&b, jstr(v, "unsignedSerialized")), name, "%s", e.msg);
        rc = tx_signing_hash(&t, &h, &e);
        snprintf(name, sizeof name, "#%zu signingHash", i);
        t_case(rc == E_OK && hash32_from_hex(jstr(v, "signingHash"), &want_h, NULL) == E_OK &&
                   hash32_eq(&h, &want_h),
               name, "%s", e.msg);
        /* address from the private key */
        struct signer *s = NULL;
        char addr[43] = "";
        rc = signer_from_hex(jstr(v, "privateKey"), &s, &e);
        if (rc == E_OK) {
            struct addr20 a;
            signer_address(s, &a);
            eth_address_checksum(&a, addr);
        }
        snprintf(name, sizeof name, "#%zu address", i);
        t_case(rc == E_OK && strcmp(addr, jstr(v, "address")) == 0, name, "%s %s", addr, e.msg);
        if (rc) {
            tx_clear(&t);
            buf_free(&b);
            continue;
        }
        /* signature r, s, yParity, v */
        struct eth_sig sig;
        struct hash32 txh;
        b.len = 0;
        rc = tx_sign(&t, s, &b, &txh, &sig, &e);
        char *r = hex0x(sig.r, 32), *ss = hex0x(sig.s, 32), vdec[24];
        snprintf(vdec, sizeof vdec, "%llu", (unsigned long long)tx_v(&t, &sig));
        snprintf(name, sizeof name, "#%zu r,s,yParity,v", i);
        t_case(rc == E_OK && strcmp(r, jstr(v, "r")) == 0 && strcmp(ss, jstr(v, "s")) == 0 &&
                   sig.y_parity == json_integer_value(json_object_get(v, "yParity")) &&
                   strcmp(vdec, jstr(v, "v")) == 0,
               name, "r %s s %s v %s: %s", r, ss, vdec, e.msg);
        free(r);
        free(ss);
        snprintf(name, sizeof name, "#%zu signedSerialized", i);
        t_case(rc == E_OK && buf_is_hex(&b, jstr(v, "signedSerialized")), name, "%s", e.msg);
        snprintf(name, sizeof name, "#%zu txHash", i);
        t_case(rc == E_OK && hash32_from_hex(jstr(v, "txHash"), &want_h, NULL) == E_OK &&
                   hash32_eq(&txh, &want_h),
               name, "%s", e.msg);
        signer_free(s);
        buf_free(&b);

        /* decode the vector's signed bytes (not ours) and recover the sender */
        size_t n;
        uint8_t *raw = unhex(jstr(v, "signedSerialized"), &n);
        struct tx d;
        struct eth_sig dsig;
        struct addr20 from;
        rc = raw ? tx_decode_signed(raw, n, t.chain_id, &d, &dsig, &e) : E_INVALID;
        if (rc == E_OK)
            rc = tx_recover_sender(&d, &dsig, &from, &e);
        char got[43] = "";
        if (rc == E_OK)
            eth_address_checksum(&from, got);
        snprintf(name, sizeof name, "#%zu decode+recover", i);
        t_case(rc == E_OK && tx_same(&d, &t) && strcmp(got, jstr(v, "address")) == 0 &&
                   tx_v(&d, &dsig) == tx_v(&t, &sig),
               name, "%s %s", got, e.msg);
        tx_clear(&d);
        free(raw);

        /* and the unsigned serialization */
        raw = unhex(jstr(v, "unsignedSerialized"), &n);
        rc = raw ? tx_decode_unsigned(raw, n, t.chain_id, &d, &e) : E_INVALID;
        snprintf(name, sizeof name, "#%zu decode unsigned", i);
        t_case(rc == E_OK && tx_same(&d, &t), name, "%s", e.msg);
        tx_clear(&d);
        free(raw);
        tx_clear(&t);
    }
    json_decref(root);
}

/* ---- decoding what we must not accept -------------------------------------- */

/* The first vector of the given type, decoded (the caller frees *raw, clears *t). */
static bool vector_raw(int type, uint8_t **raw, size_t *n, struct tx *t, struct eth_sig *sig,
                       char addr[43])
{
    json_t *root = load("eth/transactions.json");
    size_t i;
    json_t *v;
    bool found = false;
    json_array_foreach(root, i, v) {
        if (json_integer_value(json_object_get(v, "type")) != type)
            continue;
        *raw = unhex(jstr(v, "signedSerialized"), n);
        snprintf(addr, 43, "%s", jstr(v, "address"));
        found = *raw && tx_decode_signed(*raw, *n, TX_CHAIN_ANY, t, sig, NULL) == E_OK;
        break;
    }
    json_decref(root);
    return found;
}

/* Re-assemble a signed tx with field k replaced by `enc` (NULL: dropped;
 * k == count: `enc` appended). */
static void rebuild(const uint8_t *raw, size_t n, size_t k, const char *enc_hex, struct buf *out)
{
    bool typed = raw[0] < 0x80;
    struct rlp_item top, f[16];
    size_t count = 0;
    out->len = 0;
    if (rlp_decode(raw + typed, n - typed, &top, NULL) != E_OK ||
        rlp_list_items(&top, f, 16, &count, NULL) != E_OK)
        return;
    if (typed && buf_append_byte(out, raw[0]) != E_OK)
        return;
    size_t mark;
    rlp_list_begin(out, &mark);
    for (size_t i = 0; i <= count; i++) {
        err_code rc = E_OK;
        if (i == k && enc_hex) {
            size_t m;
            uint8_t *p = unhex(enc_hex, &m);
            rc = rlp_put_raw(out, p, m);
            free(p);
        } else if (i < count && i != k) {
            rc = rlp_put_raw(out, f[i].raw, f[i].raw_len);
        }
        if (rc)
            return;
    }
    if (rlp_list_end(out, mark) != E_OK)
        out->len = 0;
}

/* n − s for a 32-byte s (the high-s twin of a low-s signature). */
static void negate_s(const uint8_t s[32], uint8_t out[32])
{
    static const uint8_t N[32] = {
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
        0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41,
    };
    int borrow = 0;
    for (int i = 31; i >= 0; i--) {
        int d = N[i] - s[i] - borrow;
        borrow = d < 0;
        out[i] = (uint8_t)(d + (borrow ? 256 : 0));
    }
}

struct bad_case {
    const char *name;
    size_t field;      /* index to replace/drop/append */
    const char *enc;   /* replacement encoding (hex), NULL to drop */
    err_code code;
    const char *why;
};

static void run_bad(int type, const struct bad_case *cases, size_t ncases)
{
    uint8_t *raw = NULL;
    size_t n;
    struct tx t;
    struct eth_sig sig;
    char addr[43];
    if (!vector_raw(type, &raw, &n, &t, &sig, addr)) {
        t_case(false, "vector", "no type %d vector decodes", type);
        free(raw);
        return;
    }
    for (size_t i = 0; i < ncases; i++) {
        struct buf b = {0};
        rebuild(raw, n, cases[i].field, cases[i].enc, &b);
        struct tx d;
        struct eth_sig ds;
        struct err e = {0};
        err_code rc = b.len ? tx_decode_signed(b.p, b.len, TX_CHAIN_ANY, &d, &ds, &e) : E__COUNT;
        t_case(rc == cases[i].code && strstr(e.msg, cases[i].why), cases[i].name,
               "got %s \"%s\", want %s \"%s\"", err_name(rc), e.msg, err_name(cases[i].code),
               cases[i].why);
        if (rc == E_OK)
            tx_clear(&d);
        buf_free(&b);
    }
    tx_clear(&t);
    free(raw);
}

TEST(tx_decode_rejects_bad_legacy_fields)
{
    static const struct bad_case cases[] = {
        {"legacy nonce with leading zero", 0, "0x820001", E_INVALID, "nonce: integer not canonical"},
        {"legacy nonce of 9 bytes", 0, "0x89010000000000000000", E_INVALID, "nonce: integer of 9"},
        {"legacy gasPrice is a list", 1, "0xc0", E_INVALID, "gasPrice: integer expected"},
        {"legacy to of 19 bytes", 3, "0x93" "11111111111111111111111111111111111111", E_INVALID, "to: 19 bytes"},
        {"legacy to is a list", 3, "0xc0", E_INVALID, "to: byte string expected"},
        {"legacy data is a list", 5, "0xc0", E_INVALID, "data: byte string expected"},
        {"legacy value of 33 bytes", 4, "0xa1010000000000000000000000000000000000000000000000000000000000000000", E_INVALID, "value: integer of 33"},
        {"legacy v = 27 (no chain id)", 6, "0x1b", E_UNSUPPORTED, "without EIP-155"},
        {"legacy v = 28 (no chain id)", 6, "0x1c", E_UNSUPPORTED, "without EIP-155"},
        {"legacy v = 36", 6, "0x24", E_INVALID, "not an EIP-155"},
        {"legacy v = 0", 6, "0x80", E_INVALID, "not an EIP-155"},
        {"legacy r = 0", 7, "0x80", E_VERIFY, "zero"},
        {"legacy s = 0", 8, "0x80", E_VERIFY, "zero"},
        {"legacy s = n-1 (high)", 8, "0xa0fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364140", E_VERIFY, "high s"},
        {"legacy r with leading zero", 7, "0xa1000000000000000000000000000000000000000000000000000000000000000001", E_INVALID, "r: integer"},
        {"legacy field missing", 8, NULL, E_INVALID, "has 8 fields, expected 9"},
        {"legacy extra field", 9, "0x01", E_INVALID, "has 10 fields, expected 9"},
    };
    run_bad(0, cases, sizeof cases / sizeof cases[0]);
}

TEST(tx_decode_rejects_bad_1559_fields)
{
    static const struct bad_case cases[] = {
        {"1559 chainId 0", 0, "0x80", E_INVALID, "chain id 0"},
        {"1559 chainId leading zero", 0, "0x820001", E_INVALID, "chainId: integer not canonical"},
        {"1559 access list non-empty", 8, "0xd7d694" "1111111111111111111111111111111111111111" "c0", E_UNSUPPORTED, "access list"},
        {"1559 access list is a string", 8, "0x80", E_INVALID, "accessList: list expected"},
        {"1559 yParity 2", 9, "0x02", E_INVALID, "yParity is 2"},
        {"1559 yParity leading zero", 9, "0x00", E_INVALID, "yParity: integer not canonical"},
        {"1559 s = n-1 (high)", 11, "0xa0fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364140", E_VERIFY, "high s"},
        {"1559 field missing", 11, NULL, E_INVALID, "has 11 fields, expected 12"},
        {"1559 extra field", 12, "0x01", E_INVALID, "has more than 12 fields"},
    };
    run_bad(2, cases, sizeof cases / sizeof cases[0]);
}

TEST(tx_decode_rejects_bad_envelopes)
{
    uint8_t *raw = NULL;
    size_t n;
    struct tx t, d;
    struct eth_sig sig, ds;
    char addr[43];
    struct err e = {0};
    CHECK(vector_raw(2, &raw, &n, &t, &sig, addr));
    uint64_t chain = t.chain_id;
    tx_clear(&t);
    /* the right chain decodes; another chain is refused */
    CHECK_OK(tx_decode_signed(raw, n, chain, &d, &ds, &e), &e);
    tx_clear(&d);
    err_code rc = tx_decode_signed(raw, n, chain + 1, &d, &ds, &e);
    CHECKF(rc == E_VERIFY && strstr(e.msg, "expected chain"), "chain mismatch: %s %s", err_name(rc), e.msg);
    /* truncated at every length, and one trailing byte */
    for (size_t cut = 0; cut < n; cut++) {
        rc = tx_decode_signed(raw, cut, TX_CHAIN_ANY, &d, &ds, &e);
        CHECKF(rc == E_INVALID, "truncated to %zu bytes: %s", cut, err_name(rc));
        CHECK(d.data == NULL);
    }
    uint8_t *longer = malloc(n + 1);
    memcpy(longer, raw, n);
    longer[n] = 0;
    rc = tx_decode_signed(longer, n + 1, TX_CHAIN_ANY, &d, &ds, &e);
    free(longer);
    CHECKF(rc == E_INVALID && strstr(e.msg, "trailing"), "trailing: %s %s", err_name(rc), e.msg);
    /* other envelope types */
    uint8_t save = raw[0];
    raw[0] = 0x01;
    CHECK_ERR(tx_decode_signed(raw, n, TX_CHAIN_ANY, &d, &ds, &e), &e, E_UNSUPPORTED, "type 1");
    raw[0] = 0x03;
    CHECK_ERR(tx_decode_signed(raw, n, TX_CHAIN_ANY, &d, &ds, &e), &e, E_UNSUPPORTED, "type 3");
    raw[0] = 0x80;
    CHECK_ERR(tx_decode_signed(raw, n, TX_CHAIN_ANY, &d, &ds, &e), &e, E_INVALID, "not a transaction");
    raw[0] = save;
    free(raw);
    /* nothing, too much, and lengths that point far past the end */
    CHECK_ERR(tx_decode_signed((const uint8_t *)"", 0, 1, &d, &ds, &e), &e, E_INVALID, "empty");
    uint8_t *big = calloc(TX_MAX_RAW + 1, 1);
    big[0] = 0xc0;
    CHECK_ERR(tx_decode_signed(big, TX_MAX_RAW + 1, 1, &d, &ds, &e), &e, E_LIMIT, "exceeds");
    free(big);
    static const uint8_t huge1[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x80};
    CHECK_ERR(tx_decode_signed(huge1, sizeof huge1, 1, &d, &ds, &e), &e, E_INVALID, "declares");
    static const uint8_t huge2[] = {0x02, 0xfb, 0x7f, 0xff, 0xff, 0xff, 0x80};
    CHECK_ERR(tx_decode_signed(huge2, sizeof huge2, 1, &d, &ds, &e), &e, E_INVALID, "declares");
    static const uint8_t notlist[] = {0x02, 0x83, 0x01, 0x02, 0x03};
    CHECK_ERR(tx_decode_signed(notlist, sizeof notlist, 1, &d, &ds, &e), &e, E_INVALID,
              "list expected");
    /* an unsigned legacy serialization whose trailer is not chainId, 0, 0 */
    static const uint8_t badtrailer[] = {0xc9, 0x01, 0x80, 0x01, 0x80, 0x80, 0x80, 0x01, 0x01, 0x80};
    CHECK_ERR(tx_decode_unsigned(badtrailer, sizeof badtrailer, 1, &d, &e), &e, E_INVALID,
              "chainId, 0, 0");
}

TEST(tx_high_s_and_tampering)
{
    uint8_t *raw = NULL;
    size_t n;
    struct tx t;
    struct eth_sig sig;
    char addr[43];
    struct err e = {0};
    CHECK(vector_raw(0, &raw, &n, &t, &sig, addr));
    free(raw);
    /* The malleable twin (n − s, flipped parity) recovers the same key but is
     * forbidden by EIP-2, in recovery, in encoding and in decoding. */
    struct eth_sig high = sig;
    negate_s(sig.s, high.s);
    high.y_parity ^= 1;
    struct hash32 digest;
    struct addr20 a;
    CHECK_OK(tx_signing_hash(&t, &digest, &e), &e);
    CHECK_ERR(eth_recover_address(&digest, &high, &a, &e), &e, E_VERIFY, "high s");
    struct buf b = {0};
    CHECK_ERR(tx_encode_signed(&t, &high, &b, &e), &e, E_VERIFY, "high s");
    CHECK(b.len == 0);
    /* hand-build the high-s legacy transaction */
    size_t mark;
    rlp_list_begin(&b, &mark);
    CHECK(rlp_put_uint(&b, t.nonce) == E_OK && rlp_put_u256(&b, &t.gas_price) == E_OK &&
          rlp_put_uint(&b, t.gas_limit) == E_OK && rlp_put_bytes(&b, t.to.b, 20) == E_OK &&
          rlp_put_u256(&b, &t.value) == E_OK && rlp_put_bytes(&b, t.data, t.data_len) == E_OK &&
          rlp_put_uint(&b, tx_v(&t, &high)) == E_OK && rlp_put_uint_be(&b, high.r, 32) == E_OK &&
          rlp_put_uint_be(&b, high.s, 32) == E_OK && rlp_list_end(&b, mark) == E_OK);
    struct tx d;
    struct eth_sig ds;
    CHECK_ERR(tx_decode_signed(b.p, b.len, t.chain_id, &d, &ds, &e), &e, E_VERIFY, "high s");
    buf_free(&b);
    /* A changed field changes the sender (or recovery fails). */
    struct addr20 want, got;
    CHECK_OK(eth_address_parse(addr, &want, &e), &e);
    CHECK_OK(tx_recover_sender(&t, &sig, &got, &e), &e);
    CHECK(addr20_eq(&got, &want));
    t.nonce++;
    err_code rc = tx_recover_sender(&t, &sig, &got, &e);
    CHECK(rc == E_VERIFY || (rc == E_OK && !addr20_eq(&got, &want)));
    t.nonce--;
    sig.r[31] ^= 1;
    rc = tx_recover_sender(&t, &sig, &got, &e);
    CHECK(rc == E_VERIFY || (rc == E_OK && !addr20_eq(&got, &want)));
    /* r ≥ n does not parse */
    memset(sig.r, 0xff, 32);
    CHECK_ERR(tx_recover_sender(&t, &sig, &got, &e), &e, E_VERIFY, "curve order");
    sig.y_parity = 2;
    CHECK_ERR(tx_recover_sender(&t, &sig, &got, &e), &e, E_VERIFY, "y-parity");
    tx_clear(&t);
}

TEST(tx_encode_refuses_bad_fields)
{
    struct tx t;
    struct buf b = {0};
    struct err e = {0};
    tx_init(&t);
    CHECK_ERR(tx_encode_unsigned(&t, &b, &e), &e, E_INVALID, "chain id 0");
    t.chain_id = UINT64_MAX / 2;
    CHECK_ERR(tx_encode_unsigned(&t, &b, &e), &e, E_INVALID, "too large");
    t.chain_id = 1;
    t.type = 1;
    CHECK_ERR(tx_encode_unsigned(&t, &b, &e), &e, E_INVALID, "type 1");
    t.type = TX_LEGACY;
    uint8_t *big = calloc(TX_MAX_RAW + 1, 1);
    CHECK_ERR(tx_set_data(&t, big, TX_MAX_RAW + 1, &e), &e, E_LIMIT, "exceeds");
    free(big);
    CHECK(b.len == 0);
    /* minimal legacy tx: all zero, contract creation, chain 1 */
    CHECK_OK(tx_encode_unsigned(&t, &b, &e), &e);
    CHECK(buf_is_hex(&b, "0xc9808080808080018080"));
    buf_free(&b);
    tx_clear(&t);
}

/* ---- signer and addresses --------------------------------------------------- */

TEST(signer_rejects_invalid_keys)
{
    struct err e = {0};
    struct signer *s = (struct signer *)1;
    uint8_t key[32] = {0};
    CHECK_ERR(signer_from_privkey(key, &s, &e), &e, E_INVALID, "zero or not below");
    CHECK(s == NULL);
    static const char *bad[] = {
        "0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141", /* n */
        "0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364142", /* n + 1 */
        "0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
    };
    for (size_t i = 0; i < 3; i++)
        CHECK_ERR(signer_from_hex(bad[i], &s, &e), &e, E_INVALID, "curve order");
    /* n − 1 and 1 are valid; key 1's address is well known */
    CHECK_OK(signer_from_hex("0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364140",
                             &s, &e), &e);
    signer_free(s);
    CHECK_OK(signer_from_hex("0x0000000000000000000000000000000000000000000000000000000000000001",
                             &s, &e), &e);
    struct addr20 a;
    char cs[43];
    signer_address(s, &a);
    eth_address_checksum(&a, cs);
    CHECK_STREQ(cs, "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf");
    uint8_t pub[64];
    signer_pubkey64(s, pub);
    struct addr20 a2;
    eth_address_from_pubkey64(pub, &a2);
    CHECK(addr20_eq(&a, &a2));
    signer_free(s);
    signer_free(NULL);
}

TEST(signer_generate_signs_and_wipes)
{
    struct err e = {0};
    struct signer *s1, *s2;
    int dumpable_before = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
    CHECK_OK(signer_generate(&s1, &e), &e);
    CHECK_OK(signer_generate(&s2, &e), &e);
    CHECK(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == 0);
    uint8_t k1[32], k2[32];
    signer_export_privkey(s1, k1);
    signer_export_privkey(s2, k2);
    CHECK(memcmp(k1, k2, 32) != 0);
    struct hash32 d;
    keccak256("hello", 5, &d);
    struct eth_sig sig, sig2;
    CHECK_OK(signer_sign_digest(s1, &d, &sig, &e), &e);
    CHECK_OK(signer_sign_digest(s1, &d, &sig2, &e), &e);
    CHECK(memcmp(&sig, &sig2, sizeof sig) == 0); /* RFC 6979: deterministic */
    CHECK_OK(eth_sig_check(&sig, &e), &e);
    struct addr20 a, back;
    signer_address(s1, &a);
    CHECK_OK(eth_recover_address(&d, &sig, &back, &e), &e);
    CHECK(addr20_eq(&a, &back));
    /* the exported key rebuilds the same signer */
    struct signer *s3;
    CHECK_OK(signer_from_privkey(k1, &s3, &e), &e);
    signer_address(s3, &back);
    CHECK(addr20_eq(&a, &back));
    memset(k1, 0, 32);
    memset(k2, 0, 32);
    signer_free(s1);
    signer_free(s2);
    CHECK(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == 0); /* s3 still alive */
    signer_free(s3);
    CHECK(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == dumpable_before);
}

TEST(eip55_vectors_and_rejections)
{
    json_t *root = load("eth/transactions.json");
    CHECK(root);
    size_t i;
    json_t *v;
    json_array_foreach(root, i, v) {
        const char *want = jstr(v, "address");
        struct err e = {0};
        struct addr20 a, lower_a;
        char cs[43], lower[43], name[48];
        err_code rc = eth_address_parse(want, &a, &e);
        if (rc == E_OK)
            eth_address_checksum(&a, cs);
        addr20_to_hex(&a, lower);
        /* lowercase parses to the same bytes and checksums back */
        bool ok = rc == E_OK && strcmp(cs, want) == 0 &&
                  eth_address_parse(lower, &lower_a, &e) == E_OK && addr20_eq(&a, &lower_a);
        /* one letter with the wrong case is a checksum error */
        char wrong[43];
        snprintf(wrong, sizeof wrong, "%s", want);
        for (int k = 2; k < 42; k++)
            if ((wrong[k] >= 'a' && wrong[k] <= 'f') || (wrong[k] >= 'A' && wrong[k] <= 'F')) {
                wrong[k] ^= 0x20;
                break;
            }
        struct err e2 = {0};
        ok = ok && (strcmp(wrong, want) == 0 ||
                    (eth_address_parse(wrong, &lower_a, &e2) == E_INVALID &&
                     strstr(e2.msg, "bad EIP-55 checksum") && strstr(e2.msg, want)));
        snprintf(name, sizeof name, "eip55 #%zu", i);
        t_case(ok, name, "%s: %s / %s", want, e.msg, e2.msg);
        for (int k = 2; k < 42; k++)
            wrong[k] = (char)(wrong[k] >= 'a' ? wrong[k] - 32 : wrong[k]);
        t_case(eth_address_parse(wrong, &lower_a, &e) == E_OK && addr20_eq(&a, &lower_a),
               "all-uppercase accepted", "%s: %s", wrong, e.msg);
    }
    json_decref(root);
    struct err e = {0};
    struct addr20 a;
    CHECK_ERR(eth_address_parse("94EA43e99F3f62D44fe9f8cd338A372F77cB5b2D", &a, &e), &e, E_INVALID, "0x");
    CHECK_ERR(eth_address_parse("0x94EA43e99F3f62D44fe9f8cd338A372F77cB5b", &a, &e), &e, E_INVALID, "40 hex");
    CHECK_ERR(eth_address_parse("0x94EA43e99F3f62D44fe9f8cd338A372F77cB5b2D00", &a, &e), &e, E_INVALID, "40 hex");
    CHECK_ERR(eth_address_parse("0x94EA43e99F3f62D44fe9f8cd338A372F77cB5b2G", &a, &e), &e, E_INVALID, "non-hex");
    CHECK_ERR(eth_address_parse("0X94EA43e99F3f62D44fe9f8cd338A372F77cB5b2D", &a, &e), &e, E_INVALID, "0x");
    CHECK_ERR(eth_address_parse(NULL, &a, &e), &e, E_INVALID, "missing");
}

/* ---- ABI ----------------------------------------------------------------- */

static bool buf_tail_is_hex(const struct buf *b, const char *want_no0x)
{
    char *got = hex0x(b->p, b->len);
    bool same = strcmp(got + 2, want_no0x) == 0;
    if (!same)
        printf("# got  %s\n# want %s\n", got + 2, want_no0x);
    free(got);
    return same;
}

TEST(abi_selectors_vectors)
{
    json_t *root = load("eth/selectors.json");
    CHECK(root && json_array_size(root) >= 5);
    size_t i;
    json_t *v;
    json_array_foreach(root, i, v) {
        const char *sig = jstr(v, "signature");
        uint8_t sel[4];
        struct hash32 topic, want;
        char hex[11] = "0x";
        abi_selector(sig, sel);
        hex_encode(sel, 4, hex + 2);
        abi_event_topic(sig, &topic);
        bool ok = hash32_from_hex(jstr(v, "keccak256"), &want, NULL) == E_OK &&
                  hash32_eq(&topic, &want) && strcmp(hex, jstr(v, "selector")) == 0;
        t_case(ok, sig, "selector %s", hex);
    }
    json_decref(root);
}

TEST(abi_encode_static_call)
{
    struct err e = {0};
    struct buf b = {0};
    struct hash32 root;
    memset(root.b, 0xab, 32);
    struct abi_arg args[] = {abi_arg_bytes32(&root), abi_arg_uint(1000000), abi_arg_uint(17)};
    CHECK_OK(abi_encode_call("anchor(bytes32,uint64,uint64)", args, 3, &b, &e), &e);
    CHECK(buf_tail_is_hex(&b, "755c698a"
                              "abababababababababababababababababababababababababababababababab"
                              "00000000000000000000000000000000000000000000000000000000000f4240"
                              "0000000000000000000000000000000000000000000000000000000000000011"));
    b.len = 0;
    struct addr20 a;
    CHECK_OK(eth_address_parse("0x94EA43e99F3f62D44fe9f8cd338A372F77cB5b2D", &a, &e), &e);
    struct u256 big;
    memset(big.b, 0xff, 32);
    struct abi_arg targs[] = {abi_arg_address(&a), abi_arg_u256(&big)};
    CHECK_OK(abi_encode_call("transfer(address,uint256)", targs, 2, &b, &e), &e);
    CHECK(buf_tail_is_hex(&b, "a9059cbb"
                              "00000000000000000000000094ea43e99f3f62d44fe9f8cd338a372f77cb5b2d"
                              "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"));
    buf_free(&b);
}

/* The Solidity documentation's worked example for dynamic types. */
TEST(abi_encode_dynamic_solidity_docs_example)
{
    struct err e = {0};
    struct buf b = {0};
    struct u256 items[3];
    for (int i = 0; i < 3; i++)
        u256_from_u64((uint64_t)i + 1, &items[i]);
    struct abi_arg args[] = {abi_arg_bytes((const uint8_t *)"dave", 4), abi_arg_bool(true),
                             abi_arg_uint_array(items, 3)};
    CHECK_OK(abi_encode_call("sam(bytes,bool,uint256[])", args, 3, &b, &e), &e);
    CHECK(buf_tail_is_hex(&b, "a5643bf2"
                              "0000000000000000000000000000000000000000000000000000000000000060"
                              "0000000000000000000000000000000000000000000000000000000000000001"
                              "00000000000000000000000000000000000000000000000000000000000000a0"
                              "0000000000000000000000000000000000000000000000000000000000000004"
                              "6461766500000000000000000000000000000000000000000000000000000000"
                              "0000000000000000000000000000000000000000000000000000000000000003"
                              "0000000000000000000000000000000000000000000000000000000000000001"
                              "0000000000000000000000000000000000000000000000000000000000000002"
                              "0000000000000000000000000000000000000000000000000000000000000003"));
    /* the encoded bytes read back */
    const uint8_t *p;
    size_t n;
    bool flag;
    CHECK_OK(abi_get_bytes(b.p + 4, b.len - 4, 0, &p, &n, &e), &e);
    CHECK(n == 4 && memcmp(p, "dave", 4) == 0);
    CHECK_OK(abi_get_bool(b.p + 4, b.len - 4, 1, &flag, &e), &e);
    CHECK(flag);
    buf_free(&b);
}

TEST(abi_encode_refuses_mismatches)
{
    struct err e = {0};
    struct buf b = {0};
    struct hash32 h = {{0}};
    struct abi_arg one[] = {abi_arg_bytes32(&h)};
    struct abi_arg u[] = {abi_arg_uint(256)};
    struct u256 big;
    CHECK(u256_from_dec("18446744073709551616", &big, NULL) == E_OK);
    struct abi_arg u65[] = {abi_arg_u256(&big)};
    CHECK_ERR(abi_encode_call("anchor(bytes32,uint64,uint64)", one, 1, &b, &e), &e, E_INVALID,
              "takes 3 arguments, 1 given");
    CHECK_ERR(abi_encode_call("issue(uint256)", one, 1, &b, &e), &e, E_INVALID,
              "argument 1 is bytes32, the signature says uint");
    CHECK_ERR(abi_encode_call("f(uint8)", u, 1, &b, &e), &e, E_INVALID, "does not fit uint8");
    CHECK_ERR(abi_encode_call("f(uint64)", u65, 1, &b, &e), &e, E_INVALID, "does not fit uint64");
    CHECK_ERR(abi_encode_call("f(uint)", u, 1, &b, &e), &e, E_INVALID, "uint256");
    CHECK_ERR(abi_encode_call("f(uint7)", u, 1, &b, &e), &e, E_INVALID, "steps of 8");
    CHECK_ERR(abi_encode_call("f(uint264)", u, 1, &b, &e), &e, E_INVALID, "steps of 8");
    CHECK_ERR(abi_encode_call("f(uint008)", u, 1, &b, &e), &e, E_INVALID, "steps of 8");
    CHECK_ERR(abi_encode_call("f((uint256,bool))", u, 1, &b, &e), &e, E_UNSUPPORTED, "tuples");
    CHECK_ERR(abi_encode_call("f(string)", u, 1, &b, &e), &e, E_UNSUPPORTED, "string");
    CHECK_ERR(abi_encode_call("f(int256)", u, 1, &b, &e), &e, E_UNSUPPORTED, "int256");
    CHECK_ERR(abi_encode_call("f(uint256,)", u, 1, &b, &e), &e, E_INVALID, "empty type");
    CHECK_ERR(abi_encode_call("f(uint256", u, 1, &b, &e), &e, E_INVALID, "name(types)");
    CHECK_ERR(abi_encode_call("(uint256)", u, 1, &b, &e), &e, E_INVALID, "name(types)");
    CHECK_ERR(abi_encode_call("f g(uint256)", u, 1, &b, &e), &e, E_INVALID, "bad character");
    struct u256 items[2];
    u256_from_u64(1, &items[0]);
    items[1] = big;
    struct abi_arg arr[] = {abi_arg_uint_array(items, 2)};
    CHECK_ERR(abi_encode_call("f(uint64[])", arr, 1, &b, &e), &e, E_INVALID, "item 1 does not fit");
    struct abi_bytes huge = {(const uint8_t *)"", (size_t)ABI_MAX_BYTES + 1};
    struct abi_arg hb[] = {abi_arg_bytes(huge.p, huge.len)};
    CHECK_ERR(abi_encode_call("f(bytes)", hb, 1, &b, &e), &e, E_LIMIT, "exceeds");
    CHECK(b.len == 0);
    /* no arguments: the selector alone */
    CHECK_OK(abi_encode_call("f()", NULL, 0, &b, &e), &e);
    CHECK(b.len == 4);
    buf_free(&b);
}

TEST(abi_decode_bounds)
{
    struct err e = {0};
    uint8_t d[96] = {0};
    uint64_t v;
    bool flag;
    struct addr20 a;
    struct hash32 h;
    struct u256 u;
    const uint8_t *p;
    size_t n;
    d[31] = 7;
    CHECK_OK(abi_get_uint(d, 96, 0, 8, &v, &e), &e);
    CHECK(v == 7);
    CHECK_ERR(abi_get_uint(d, 95, 2, 64, &v, &e), &e, E_INVALID, "has no word 2");
    CHECK_ERR(abi_get_uint(d, 96, 3, 64, &v, &e), &e, E_INVALID, "has no word 3");
    CHECK_ERR(abi_get_uint(d, 96, SIZE_MAX / 16, 64, &v, &e), &e, E_INVALID, "has no word");
    CHECK_ERR(abi_get_u256(d, 31, 0, &u, &e), &e, E_INVALID, "no word 0");
    CHECK_ERR(abi_get_bytes32(d, 0, 0, &h, &e), &e, E_INVALID, "no word 0");
    d[30] = 1; /* 0x107 does not fit uint8 */
    CHECK_ERR(abi_get_uint(d, 96, 0, 8, &v, &e), &e, E_INVALID, "does not fit uint8");
    CHECK_OK(abi_get_uint(d, 96, 0, 16, &v, &e), &e);
    CHECK(v == 0x107);
    CHECK_ERR(abi_get_bool(d, 96, 0, &flag, &e), &e, E_INVALID, "not a bool");
    d[0] = 1;
    CHECK_ERR(abi_get_address(d, 96, 0, &a, &e), &e, E_INVALID, "not an address");
    CHECK_ERR(abi_get_uint(d, 96, 0, 64, &v, &e), &e, E_INVALID, "does not fit uint64");
    /* dynamic bytes: offset or length past the end */
    memset(d, 0, sizeof d);
    d[31] = 32;  /* offset 32 */
    d[63] = 32;  /* length 32: exactly fits */
    CHECK_OK(abi_get_bytes(d, 96, 0, &p, &n, &e), &e);
    CHECK(n == 32 && p == d + 64);
    d[63] = 33;
    CHECK_ERR(abi_get_bytes(d, 96, 0, &p, &n, &e), &e, E_INVALID, "runs past");
    d[63] = 0xff, d[56] = 0xff;
    CHECK_ERR(abi_get_bytes(d, 96, 0, &p, &n, &e), &e, E_INVALID, "runs past");
    d[31] = 96;
    CHECK_ERR(abi_get_bytes(d, 96, 0, &p, &n, &e), &e, E_INVALID, "past the 96-byte");
    d[31] = 65;
    CHECK_ERR(abi_get_bytes(d, 96, 0, &p, &n, &e), &e, E_INVALID, "past the 96-byte");
    memset(d, 0xff, 32);
    CHECK_ERR(abi_get_bytes(d, 96, 0, &p, &n, &e), &e, E_INVALID, "does not fit");
    CHECK_ERR(abi_get_uint(d, 96, 0, 7, &v, &e), &e, E_INVALID, "bits");
}

/* ---- cross-check material for ethers (tests/cli/tx_ethers.sh) ------------- */

static json_t *jhex(const uint8_t *p, size_t n)
{
    char *s = hex0x(p, n);
    json_t *j = json_string(s);
    free(s);
    return j;
}

static json_t *ju256(const struct u256 *u)
{
    char dec[79];
    u256_to_dec(u, dec);
    return json_string(dec);
}

static json_t *ju64(uint64_t v)
{
    char dec[24];
    snprintf(dec, sizeof dec, "%llu", (unsigned long long)v);
    return json_string(dec);
}

/* An argument as ethers takes it. */
static json_t *jarg(const struct abi_arg *a)
{
    char cs[43];
    json_t *arr;
    switch (a->kind) {
    case ABI_UINT: return ju256(&a->v.uint);
    case ABI_BOOL: return json_boolean(a->v.boolean);
    case ABI_ADDRESS: eth_address_checksum(&a->v.address, cs); return json_string(cs);
    case ABI_BYTES32: return jhex(a->v.bytes32.b, 32);
    case ABI_BYTES: return jhex(a->v.bytes.p, a->v.bytes.len);
    case ABI_UINT_ARRAY:
        arr = json_array();
        for (size_t i = 0; i < a->v.uints.count; i++)
            json_array_append_new(arr, ju256(&a->v.uints.items[i]));
        return arr;
    case ABI_BYTES_ARRAY:
        arr = json_array();
        for (size_t i = 0; i < a->v.byteses.count; i++)
            json_array_append_new(arr, jhex(a->v.byteses.items[i].p, a->v.byteses.items[i].len));
        return arr;
    }
    return json_null();
}

static json_t *jtx(const struct tx *t, const struct buf *raw, const struct hash32 *h,
                   const struct hash32 *signing, const struct addr20 *from)
{
    char cs[43];
    json_t *o = json_object();
    json_object_set_new(o, "raw", jhex(raw->p, raw->len));
    json_object_set_new(o, "hash", jhex(h->b, 32));
    json_object_set_new(o, "signingHash", jhex(signing->b, 32));
    eth_address_checksum(from, cs);
    json_object_set_new(o, "from", json_string(cs));
    json_object_set_new(o, "type", json_integer(t->type));
    json_object_set_new(o, "chainId", ju64(t->chain_id));
    json_object_set_new(o, "nonce", ju64(t->nonce));
    json_object_set_new(o, "gasLimit", ju64(t->gas_limit));
    if (t->type == TX_LEGACY) {
        json_object_set_new(o, "gasPrice", ju256(&t->gas_price));
    } else {
        json_object_set_new(o, "maxPriorityFeePerGas", ju256(&t->max_priority_fee));
        json_object_set_new(o, "maxFeePerGas", ju256(&t->max_fee));
    }
    if (t->has_to) {
        eth_address_checksum(&t->to, cs);
        json_object_set_new(o, "to", json_string(cs));
    } else {
        json_object_set_new(o, "to", json_null());
    }
    json_object_set_new(o, "value", ju256(&t->value));
    json_object_set_new(o, "data", jhex(t->data, t->data_len));
    return o;
}

/* Sign a spread of transactions (both types, several chains, contract
 * creation, empty and long data, 256-bit value, extreme nonce and fees) and
 * encode a spread of ABI calls. Each is checked against our own decoder here;
 * with TX_EMIT_FILE set they are also written out for ethers to check. */
TEST(tx_emit_for_ethers)
{
    struct err e = {0};
    struct signer *fixed, *fresh;
    CHECK_OK(signer_from_hex("0x4f3edf983ac636a65a842ce7c78d9aa706d3b113bce9c46f30d7d21715b23b1d",
                             &fixed, &e), &e);
    CHECK_OK(signer_generate(&fresh, &e), &e);
    struct addr20 to;
    CHECK_OK(eth_address_parse("0x5FbDB2315678afecb367f032d93F642f64180aa3", &to, &e), &e);
    static const struct { enum tx_type type; uint64_t chain, nonce, gas; bool to; size_t data;
                          const char *value, *fee1, *fee2; int key; } sc[] = {
        {TX_LEGACY, 1, 0, 21000, true, 0, "0", "0", NULL, 0},
        {TX_LEGACY, 1337, 1, 3000000, false, 300, "0", "20000000000", NULL, 0},
        {TX_LEGACY, 6179, 9007199254740991ull, 100000, true, 68, "1", "0", NULL, 1},
        {TX_LEGACY, 4294967295ull, 7, 60000, true, 1, "1000000000000000000", "1", NULL, 0},
        {TX_LEGACY, 1099511627775ull, 42, 60000, true, 32, "0", "7", NULL, 1},
        {TX_EIP1559, 1, 0, 21000, true, 0,
         "115792089237316195423570985008687907853269984665640564039457584007913129639935",
         "1500000000", "30000000000", 0},
        {TX_EIP1559, 1337, 5, 5000000, false, 1000, "0", "0", "0", 1},
        {TX_EIP1559, 31337, 123456, 80000, true, 36, "12345678901234567890123456789", "1",
         "115792089237316195423570985008687907853269984665640564039457584007913129639935", 0},
        {TX_EIP1559, 2018, 1, 21000, false, 0, "0", "1", "2", 1},
    };
    json_t *txs = json_array();
    for (size_t i = 0; i < sizeof sc / sizeof sc[0]; i++) {
        struct tx t;
        tx_init(&t);
        t.type = sc[i].type;
        t.chain_id = sc[i].chain;
        t.nonce = sc[i].nonce;
        t.gas_limit = sc[i].gas;
        t.has_to = sc[i].to;
        t.to = to;
        CHECK_OK(u256_from_dec(sc[i].value, &t.value, &e), &e);
        CHECK_OK(u256_from_dec(sc[i].fee1, t.type == TX_LEGACY ? &t.gas_price : &t.max_priority_fee, &e), &e);
        if (sc[i].fee2)
            CHECK_OK(u256_from_dec(sc[i].fee2, &t.max_fee, &e), &e);
        uint8_t data[1000];
        for (size_t k = 0; k < sc[i].data; k++)
            data[k] = (uint8_t)(k * 7 + i);
        CHECK_OK(tx_set_data(&t, data, sc[i].data, &e), &e);
        struct signer *s = sc[i].key ? fresh : fixed;
        struct buf raw = {0};
        struct hash32 h, signing;
        struct addr20 from, back;
        signer_address(s, &from);
        CHECK_OK(tx_signing_hash(&t, &signing, &e), &e);
        CHECK_OK(tx_sign(&t, s, &raw, &h, NULL, &e), &e);
        /* our decoder agrees with our encoder */
        struct tx d;
        struct eth_sig ds;
        CHECK_OK(tx_decode_signed(raw.p, raw.len, t.chain_id, &d, &ds, &e), &e);
        CHECK_OK(tx_recover_sender(&d, &ds, &back, &e), &e);
        CHECKF(tx_same(&d, &t) && addr20_eq(&back, &from), "scenario %zu does not round-trip", i);
        tx_clear(&d);
        json_array_append_new(txs, jtx(&t, &raw, &h, &signing, &from));
        buf_free(&raw);
        tx_clear(&t);
    }
    signer_free(fixed);
    signer_free(fresh);

    /* ABI calls */
    struct hash32 root;
    keccak256("root", 4, &root);
    struct u256 max, items[3];
    memset(max.b, 0xff, 32);
    u256_from_u64(1, &items[0]);
    items[1] = max;
    u256_from_u64(0, &items[2]);
    uint8_t b33[33], b64[64];
    memset(b33, 0x33, sizeof b33);
    memset(b64, 0x64, sizeof b64);
    struct abi_bytes bl[] = {{NULL, 0}, {b33, 33}, {b64, 64}, {(const uint8_t *)"x", 1}};
    struct abi_bytes one[] = {{root.b, 32}};
    struct { const char *sig; struct abi_arg args[7]; size_t n; } calls[] = {
        {"anchor(bytes32,uint64,uint64)", {abi_arg_bytes32(&root), abi_arg_uint(UINT64_MAX), abi_arg_uint(0)}, 3},
        {"transfer(address,uint256)", {abi_arg_address(&to), abi_arg_u256(&max)}, 2},
        {"timestampHashes(uint256[],bytes[],bytes[])",
         {abi_arg_uint_array(items, 3), abi_arg_bytes_array(bl, 4), abi_arg_bytes_array(NULL, 0)}, 3},
        {"timestampHashes(uint256[],bytes[],bytes[])",
         {abi_arg_uint_array(items, 1), abi_arg_bytes_array(one, 1), abi_arg_bytes_array(one, 1)}, 3},
        {"mixed(uint8,bool,address,bytes32,bytes,uint256[],bytes[])",
         {abi_arg_uint(255), abi_arg_bool(false), abi_arg_address(&to), abi_arg_bytes32(&root),
          abi_arg_bytes(b33, 33), abi_arg_uint_array(NULL, 0), abi_arg_bytes_array(bl + 1, 2)}, 7},
        {"sam(bytes,bool,uint256[])",
         {abi_arg_bytes((const uint8_t *)"dave", 4), abi_arg_bool(true), abi_arg_uint_array(items, 2)}, 3},
    };
    json_t *jcalls = json_array();
    for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++) {
        struct buf b = {0};
        CHECK_OK(abi_encode_call(calls[i].sig, calls[i].args, calls[i].n, &b, &e), &e);
        json_t *o = json_object(), *args = json_array();
        for (size_t k = 0; k < calls[i].n; k++)
            json_array_append_new(args, jarg(&calls[i].args[k]));
        json_object_set_new(o, "signature", json_string(calls[i].sig));
        json_object_set_new(o, "args", args);
        json_object_set_new(o, "calldata", jhex(b.p, b.len));
        json_array_append_new(jcalls, o);
        buf_free(&b);
    }
    json_t *out = json_pack("{s:o, s:o}", "txs", txs, "calls", jcalls);
    const char *path = getenv("TX_EMIT_FILE");
    int rc = path ? json_dump_file(out, path, JSON_INDENT(1)) : 0;
    json_decref(out);
    CHECKF(rc == 0, "cannot write %s", path);
}

/* With TX_ETHERS_FILE set (by tests/cli/tx_ethers.sh): transactions that
 * ethers signed must decode, with the same fields and sender. */
TEST(tx_decode_ethers_signed)
{
    const char *path = getenv("TX_ETHERS_FILE");
    if (!path)
        return;
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    CHECKF(root && json_array_size(root) > 0, "cannot load %s: %s", path, je.text);
    size_t i;
    json_t *v;
    json_array_foreach(root, i, v) {
        struct err e = {0};
        struct tx want, d;
        struct eth_sig sig;
        struct addr20 from;
        struct hash32 h, want_h;
        char name[48], got[43] = "";
        size_t n;
        err_code rc = tx_from_vector(v, &want, &e);
        uint8_t *raw = unhex(jstr(v, "signedSerialized"), &n);
        if (rc == E_OK)
            rc = raw ? tx_decode_signed(raw, n, want.chain_id, &d, &sig, &e) : E_INVALID;
        if (rc == E_OK) {
            rc = tx_recover_sender(&d, &sig, &from, &e);
            tx_hash(raw, n, &h);
        }
        if (rc == E_OK)
            eth_address_checksum(&from, got);
        snprintf(name, sizeof name, "ethers-signed #%zu", i);
        t_case(rc == E_OK && tx_same(&d, &want) && strcmp(got, jstr(v, "address")) == 0 &&
                   hash32_from_hex(jstr(v, "txHash"), &want_h, NULL) == E_OK &&
                   hash32_eq(&h, &want_h),
               name, "%s from %s: %s", err_name(rc), got, e.msg);
        if (rc == E_OK)
            tx_clear(&d);
        tx_clear(&want);
        free(raw);
    }
    json_decref(root);
}
