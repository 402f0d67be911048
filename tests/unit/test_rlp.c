/* tests/unit/test_rlp.c — RLP against the shared ethers vectors, strict decoding, u256. */
#include <jansson.h>
#include <stdlib.h>

#include "anchor/rlp.h"
#include "tests/harness.h"

/* Hex (with 0x) → malloc'd bytes; NULL-safe for empty. */
static uint8_t *unhex(const char *s, size_t *n)
{
    uint8_t *p = NULL;
    struct err e = {0};
    if (hex_decode_alloc(s, strlen(s), true, 1 << 20, &p, n, &e) != E_OK)
        return NULL;
    return p ? p : malloc(1);
}

/* Encode a vector value (hex string or nested array) with the encoder. */
static err_code encode_json(const json_t *v, struct buf *b)
{
    if (json_is_string(v)) {
        size_t n;
        uint8_t *p = unhex(json_string_value(v), &n);
        if (!p)
            return E_INVALID;
        err_code rc = rlp_put_bytes(b, p, n);
        free(p);
        return rc;
    }
    if (!json_is_array(v))
        return E_INVALID;
    size_t mark, i;
    json_t *x;
    rlp_list_begin(b, &mark);
    json_array_foreach(v, i, x) {
        err_code rc = encode_json(x, b);
        if (rc)
            return rc;
    }
    return rlp_list_end(b, mark);
}

/* Does a decoded item equal the vector value? */
static bool same_as_json(const struct rlp_item *it, const json_t *v)
{
    if (json_is_string(v)) {
        size_t n;
        uint8_t *p = unhex(json_string_value(v), &n);
        bool ok = p && !it->is_list && it->len == n && memcmp(it->p, p, n) == 0;
        free(p);
        return ok;
    }
    if (!json_is_array(v) || !it->is_list)
        return false;
    struct rlp_iter iter;
    struct rlp_item child;
    size_t i = 0;
    rlp_iter_init(&iter, it);
    while (rlp_iter_next(&iter, &child)) {
        if (i >= json_array_size(v) || !same_as_json(&child, json_array_get(v, i)))
            return false;
        i++;
    }
    return i == json_array_size(v);
}

/* Re-encode a decoded tree (used to show that whatever decodes is canonical). */
static err_code reencode(const struct rlp_item *it, struct buf *b)
{
    if (!it->is_list)
        return rlp_put_bytes(b, it->p, it->len);
    size_t mark;
    rlp_list_begin(b, &mark);
    struct rlp_iter iter;
    struct rlp_item child;
    rlp_iter_init(&iter, it);
    while (rlp_iter_next(&iter, &child)) {
        err_code rc = reencode(&child, b);
        if (rc)
            return rc;
    }
    return rlp_list_end(b, mark);
}

static json_t *load_vectors(void)
{
    json_error_t je;
    json_t *root = json_load_file(t_vector_path("eth/rlp.json"), 0, &je);
    if (!root)
        printf("# cannot load rlp vectors: %s\n", je.text);
    return root;
}

TEST(rlp_vectors_encode)
{
    json_t *root = load_vectors();
    CHECK(root && json_array_size(root) >= 100);
    size_t i;
    json_t *v;
    json_array_foreach(root, i, v) {
        struct buf b = {0};
        const char *want = json_string_value(json_object_get(v, "encoded"));
        char name[32];
        snprintf(name, sizeof name, "encode #%zu", i);
        err_code rc = encode_json(json_object_get(v, "value"), &b);
        char *hex = malloc(2 * b.len + 3);
        hex[0] = '0', hex[1] = 'x';
        hex_encode(b.p ? b.p : (const uint8_t *)"", b.len, hex + 2);
        t_case(rc == E_OK && want && strcmp(hex, want) == 0, name, "got %.80s want %.80s", hex,
               want ? want : "?");
        free(hex);
        buf_free(&b);
    }
    json_decref(root);
}

TEST(rlp_vectors_decode)
{
    json_t *root = load_vectors();
    CHECK(root);
    size_t i;
    json_t *v;
    json_array_foreach(root, i, v) {
        size_t n;
        uint8_t *enc = unhex(json_string_value(json_object_get(v, "encoded")), &n);
        char name[32];
        snprintf(name, sizeof name, "decode #%zu", i);
        struct err e = {0};
        struct rlp_item it;
        err_code rc = enc ? rlp_decode(enc, n, &it, &e) : E_INVALID;
        bool same = rc == E_OK && same_as_json(&it, json_object_get(v, "value"));
        t_case(same, name, "%s: %s", err_name(rc), e.msg);
        free(enc);
    }
    json_decref(root);
}

static err_code decode_hex(const char *hex, struct rlp_item *it, uint8_t **keep, struct err *e)
{
    size_t n;
    *keep = unhex(hex, &n);
    return rlp_decode(*keep, n, it, e);
}

/* Each must be rejected with the given code and message fragment. */
TEST(rlp_rejects_non_canonical_and_malformed)
{
    static const struct { const char *hex, *why; err_code code; } bad[] = {
        {"0x", "truncated", E_INVALID},
        {"0x8100", "single byte", E_INVALID},
        {"0x817f", "single byte", E_INVALID},
        {"0xb80161", "long form", E_INVALID},
        {"0xb837" "6161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161", "long form", E_INVALID},
        {"0xf80100", "long form", E_INVALID},
        {"0xb9003861", "leading zero", E_INVALID},
        {"0xf9003800", "leading zero", E_INVALID},
        {"0x836162", "only 2 follow", E_INVALID},
        {"0xc30102", "only 2 follow", E_INVALID},
        {"0xb9", "truncated", E_INVALID},
        {"0xb901", "truncated", E_INVALID},
        {"0xbf", "truncated", E_INVALID},
        {"0xbfffffffffffffffff00", "declares", E_INVALID},
        {"0xbbffffffff00", "declares", E_INVALID},
        {"0xffffffffffffffffff", "declares", E_INVALID},
        {"0xf8ff00", "declares", E_INVALID},
        {"0x0102", "trailing", E_INVALID},
        {"0xc000", "trailing", E_INVALID},
        {"0x8180ff", "trailing", E_INVALID},
        {"0xc28100", "single byte", E_INVALID},
        {"0xc3836162", "only 2 follow", E_INVALID},
        {"0xc4c2b80161", "long form", E_INVALID},
        {"0xc4c3c28100", "single byte", E_INVALID},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct err e = {0};
        struct rlp_item it;
        uint8_t *p;
        err_code rc = decode_hex(bad[i].hex, &it, &p, &e);
        free(p);
        char name[64];
        snprintf(name, sizeof name, "reject %.40s", bad[i].hex);
        t_case(rc == bad[i].code && strstr(e.msg, bad[i].why), name,
               "returned %s \"%s\", want %s \"%s\"", err_name(rc), e.msg, err_name(bad[i].code),
               bad[i].why);
    }
}

TEST(rlp_accepts_boundaries)
{
    struct err e = {0};
    struct rlp_item it;
    uint8_t *p;
    CHECK_OK(decode_hex("0x8180", &it, &p, &e), &e);
    CHECK(!it.is_list && it.len == 1 && it.p[0] == 0x80);
    free(p);
    CHECK_OK(decode_hex("0x7f", &it, &p, &e), &e);
    CHECK(it.len == 1 && it.p[0] == 0x7f && it.raw_len == 1);
    free(p);
    CHECK_OK(decode_hex("0x80", &it, &p, &e), &e);
    CHECK(!it.is_list && it.len == 0);
    free(p);
    CHECK_OK(decode_hex("0xc0", &it, &p, &e), &e);
    CHECK(it.is_list && it.len == 0);
    free(p);
    /* 55 bytes: short form; 56 bytes: long form. */
    struct buf b = {0};
    uint8_t s56[56];
    memset(s56, 'a', sizeof s56);
    CHECK(rlp_put_bytes(&b, s56, 55) == E_OK);
    CHECK(b.len == 56 && b.p[0] == 0xb7);
    CHECK_OK(rlp_decode(b.p, b.len, &it, &e), &e);
    b.len = 0;
    CHECK(rlp_put_bytes(&b, s56, 56) == E_OK);
    CHECK(b.len == 58 && b.p[0] == 0xb8 && b.p[1] == 56);
    CHECK_OK(rlp_decode(b.p, b.len, &it, &e), &e);
    CHECK(it.len == 56 && it.p == b.p + 2);
    buf_free(&b);
}

TEST(rlp_depth_limit)
{
    /* RLP_MAX_DEPTH nested lists are accepted, one more is not. */
    uint8_t in[RLP_MAX_DEPTH + 1];
    for (int depth = RLP_MAX_DEPTH; depth <= RLP_MAX_DEPTH + 1; depth++) {
        for (int i = 0; i < depth; i++)
            in[i] = (uint8_t)(0xc0 + depth - 1 - i);
        struct err e = {0};
        struct rlp_item it;
        err_code rc = rlp_decode(in, (size_t)depth, &it, &e);
        if (depth == RLP_MAX_DEPTH)
            CHECK_OK(rc, &e);
        else
            CHECKF(rc == E_LIMIT && strstr(e.msg, "deeper"), "depth %d: %s %s", depth,
                   err_name(rc), e.msg);
    }
}

TEST(rlp_integers)
{
    static const struct { uint64_t v; const char *hex; } ints[] = {
        {0, "80"}, {1, "01"}, {0x7f, "7f"}, {0x80, "8180"}, {0xff, "81ff"}, {0x100, "820100"},
        {1024, "820400"}, {0xffffffff, "84ffffffff"},
        {UINT64_MAX, "88ffffffffffffffff"},
    };
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
        struct buf b = {0};
        CHECK(rlp_put_uint(&b, ints[i].v) == E_OK);
        char hex[64];
        hex_encode(b.p, b.len, hex);
        CHECK_STREQ(hex, ints[i].hex);
        struct rlp_item it;
        struct err e = {0};
        uint64_t back;
        CHECK_OK(rlp_decode(b.p, b.len, &it, &e), &e);
        CHECK_OK(rlp_item_uint(&it, "n", &back, &e), &e);
        CHECK(back == ints[i].v);
        struct u256 u;
        u256_from_u64(ints[i].v, &u);
        b.len = 0;
        CHECK(rlp_put_u256(&b, &u) == E_OK);
        hex_encode(b.p, b.len, hex);
        CHECK_STREQ(hex, ints[i].hex);
        buf_free(&b);
    }
    /* Leading zeros, 9 bytes, and lists are not integers. */
    static const struct { const char *hex, *why; bool u256_ok; } bad[] = {
        {"0x820001", "nonce: integer not canonical", false},
        {"0x00", "leading zero", false},
        {"0x89010000000000000000", "9 bytes exceeds 8", true},
        {"0xc0", "found a list", false},
        {"0xa1010000000000000000000000000000000000000000000000000000000000000000", "exceeds", false},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct err e = {0};
        struct rlp_item it;
        uint8_t *p;
        uint64_t v;
        struct u256 u;
        err_code rc = decode_hex(bad[i].hex, &it, &p, &e);
        err_code rc64 = rc ? rc : rlp_item_uint(&it, "nonce", &v, &e);
        bool ok64 = rc == E_OK && rc64 == E_INVALID && strstr(e.msg, bad[i].why);
        err_code rc256 = rc ? rc : rlp_item_u256(&it, "value", &u, &e);
        free(p);
        t_case(ok64, bad[i].hex, "uint64: %s %s", err_name(rc64), e.msg);
        t_case(bad[i].u256_ok ? rc256 == E_OK && u.b[23] == 1 : rc256 == E_INVALID, bad[i].hex,
               "u256: %s %s", err_name(rc256), e.msg);
    }
}

TEST(rlp_list_items_bounds)
{
    struct err e = {0};
    struct rlp_item it, items[3];
    size_t n;
    uint8_t *p;
    CHECK_OK(decode_hex("0xc401020304", &it, &p, &e), &e);
    err_code rc = rlp_list_items(&it, items, 3, &n, &e);
    free(p);
    CHECK_ERR(rc, &e, E_LIMIT, "more than 3");
    CHECK_OK(decode_hex("0xc3010203", &it, &p, &e), &e);
    CHECK_OK(rlp_list_items(&it, items, 3, &n, &e), &e);
    CHECK(n == 3 && items[2].p[0] == 3);
    free(p);
    n = 99;
    CHECK_OK(decode_hex("0x83616263", &it, &p, &e), &e);
    rc = rlp_list_items(&it, items, 3, &n, &e);
    free(p);
    CHECK_ERR(rc, &e, E_INVALID, "list expected");
}

/* Mutate every vector at random: the decoder must never read out of bounds
 * (ASan checks), and whatever it accepts must be canonical, i.e. re-encode
 * to exactly the input. */
TEST(rlp_mutations_accepted_only_if_canonical)
{
    json_t *root = load_vectors();
    CHECK(root);
    uint64_t seed = 0x9e3779b97f4a7c15u;
    size_t accepted = 0, tried = 0, i;
    json_t *v;
    json_array_foreach(root, i, v) {
        size_t n;
        uint8_t *enc = unhex(json_string_value(json_object_get(v, "encoded")), &n);
        CHECK(enc);
        for (int round = 0; round < 50 && n; round++) {
            uint8_t *m = malloc(n);
            memcpy(m, enc, n);
            seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
            size_t pos = (size_t)(seed % (n < 8 ? n : 8)); /* headers live at the front */
            if (round & 1)
                pos = (size_t)((seed >> 20) % n);
            m[pos] = (uint8_t)(seed >> 40);
            size_t len = round % 5 == 4 ? n - 1 - (size_t)((seed >> 8) % n) : n;
            struct rlp_item it;
            tried++;
            if (rlp_decode(m, len, &it, NULL) == E_OK) {
                accepted++;
                struct buf b = {0};
                CHECK(reencode(&it, &b) == E_OK);
                bool same = b.len == len && memcmp(b.p, m, len) == 0;
                buf_free(&b);
                free(m);
                CHECKF(same, "vector %zu round %d: accepted a non-canonical mutation", i, round);
                continue;
            }
            free(m);
        }
        free(enc);
    }
    json_decref(root);
    CHECKF(accepted > 0 && accepted < tried, "accepted %zu of %zu", accepted, tried);
}

TEST(u256_decimal)
{
    struct err e = {0};
    struct u256 u;
    char dec[79];
    const char *max = "115792089237316195423570985008687907853269984665640564039457584007913129639935";
    CHECK_OK(u256_from_dec(max, &u, &e), &e);
    for (int i = 0; i < 32; i++)
        CHECK(u.b[i] == 0xff);
    u256_to_dec(&u, dec);
    CHECK_STREQ(dec, max);
    CHECK_ERR(u256_from_dec("115792089237316195423570985008687907853269984665640564039457584007913129639936",
                            &u, &e), &e, E_LIMIT, "256 bits");
    CHECK_OK(u256_from_dec("0", &u, &e), &e);
    CHECK(u256_is_zero(&u));
    u256_to_dec(&u, dec);
    CHECK_STREQ(dec, "0");
    CHECK_OK(u256_from_dec("1000000000000000000", &u, &e), &e);
    uint64_t v;
    CHECK_OK(u256_to_u64(&u, &v, &e), &e);
    CHECK(v == 1000000000000000000ull);
    CHECK_ERR(u256_from_dec("", &u, &e), &e, E_INVALID, "empty");
    CHECK_ERR(u256_from_dec("012", &u, &e), &e, E_INVALID, "leading zero");
    CHECK_ERR(u256_from_dec("12a", &u, &e), &e, E_INVALID, "position 2");
    CHECK_ERR(u256_from_dec("-1", &u, &e), &e, E_INVALID, "position 0");
    CHECK_OK(u256_from_dec("18446744073709551616", &u, &e), &e);
    CHECK_ERR(u256_to_u64(&u, &v, &e), &e, E_LIMIT, "64 bits");
}
