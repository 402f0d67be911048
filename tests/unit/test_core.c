/* tests/unit/test_core.c — hex, buffers, SHA-256, Keccak-256 (shared vectors), files. */
#include <jansson.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "core/bytes.h"
#include "core/fileio.h"
#include "core/hash.h"
#include "tests/harness.h"

TEST(hex_roundtrip_and_strictness)
{
    struct err e = {0};
    uint8_t out[4];
    CHECK_OK(hex_decode_exact("0xDEADbeef", 10, true, out, 4, &e), &e);
    CHECK(out[0] == 0xde && out[3] == 0xef);
    char s[9];
    hex_encode(out, 4, s);
    CHECK_STREQ(s, "deadbeef");
    CHECK_ERR(hex_decode_exact("abc", 3, false, out, 4, &e), &e, E_INVALID, "odd length");
    CHECK_ERR(hex_decode_exact("abcg", 4, false, out, 2, &e), &e, E_INVALID, "position 3");
    CHECK_ERR(hex_decode_exact("0xabcd", 6, false, out, 2, &e), &e, E_INVALID, "non-hex");
    CHECK_ERR(hex_decode_exact("abcdef", 6, false, out, 2, &e), &e, E_INVALID, "expected 2 bytes");
    struct hash32 h;
    char hex33[67];
    memset(hex33, 'a', 66);
    hex33[66] = 0;
    CHECK_ERR(hash32_from_hex(hex33, &h, &e), &e, E_INVALID, "expected 32 bytes");
    uint8_t *p;
    size_t n;
    CHECK_ERR(hex_decode_alloc("aabbcc", 6, false, 2, &p, &n, &e), &e, E_LIMIT, "limit");
    CHECK_OK(hex_decode_alloc("0x", 2, true, 2, &p, &n, &e), &e);
    CHECK(p == NULL && n == 0);
}

/* Every byte value, in both places of a pair: a hex digit decodes to its
 * value, anything else (a NUL, '/', ':', '@', 'G', 'g', 0x80..0xff) is
 * refused — the decoder's lookup table holds exactly the 22 digits. */
TEST(hex_every_byte_value)
{
    struct err e = {0};
    unsigned digits = 0;
    for (int c = 0; c < 256; c++) {
        int want = c >= '0' && c <= '9'   ? c - '0'
                   : c >= 'a' && c <= 'f' ? c - 'a' + 10
                   : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                          : -1;
        char hi[2] = {(char)c, '7'}, lo[2] = {'7', (char)c};
        uint8_t b1 = 0, b2 = 0;
        err_code r1 = hex_decode_exact(hi, 2, false, &b1, 1, &e);
        err_code r2 = hex_decode_exact(lo, 2, false, &b2, 1, &e);
        if (want < 0) {
            CHECK(r1 == E_INVALID && r2 == E_INVALID);
        } else {
            digits++;
            CHECK(r1 == E_OK && b1 == (uint8_t)(want << 4 | 7));
            CHECK(r2 == E_OK && b2 == (uint8_t)(0x70 | want));
        }
    }
    CHECK(digits == 22);
}

TEST(errors_keep_their_code_with_or_without_a_struct)
{
    struct err e = {0};
    err_set(&e, E_VERIFY, "root differs");
    CHECK(err_wrap(&e, E_VERIFY, "bundle %s", "b.json") == E_VERIFY);
    CHECK_STREQ(e.msg, "bundle b.json: root differs");
    CHECK(e.code == E_VERIFY);
    /* A caller that passes no struct err still gets the failure back. */
    CHECK(err_wrap(NULL, E_INVALID, "x") == E_INVALID);
    err_prefix(NULL, "nothing to prefix");
    char big[600];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = 0;
    err_set(&e, E_IO, "%s", big);
    err_prefix(&e, "ctx");
    CHECK(strlen(e.msg) == sizeof e.msg - 1 && strncmp(e.msg, "ctx: aaa", 8) == 0);
    CHECK_STREQ(err_name(E_NOT_FOUND), "not-found");
}

TEST(addresses)
{
    struct err e = {0};
    struct addr20 a;
    CHECK_OK(addr20_from_hex("0x94EA43e99F3f62D44fe9f8cd338A372F77cB5b2D", &a, &e), &e);
    char s[43];
    addr20_to_hex(&a, s);
    CHECK_STREQ(s, "0x94ea43e99f3f62d44fe9f8cd338a372f77cb5b2d");
    CHECK_ERR(addr20_from_hex("94EA43e99F3f62D44fe9f8cd338A372F77cB5b2D", &a, &e), &e, E_INVALID,
              "0x");
}

TEST(buf_grows_and_prints)
{
    struct buf b = {0};
    for (int i = 0; i < 1000; i++)
        CHECK(buf_printf(&b, "%d,", i) == E_OK);
    CHECK(b.len == strlen((char *)b.p));
    CHECK(strncmp((char *)b.p, "0,1,2,", 6) == 0);
    buf_free(&b);
    CHECK(b.p == NULL && b.len == 0);
}

/* buf_printf_rc appends while *rc is E_OK and does nothing after a failure. */
TEST(buf_printf_rc_stops_after_a_failure)
{
    struct buf b = {0};
    err_code rc = E_OK;
    buf_printf_rc(&rc, &b, "%s-%d", "a", 1);
    buf_printf_rc(&rc, &b, "%s", ",b");
    CHECK(rc == E_OK && b.len == 5 && strcmp((char *)b.p, "a-1,b") == 0);
    rc = E_NOMEM;
    buf_printf_rc(&rc, &b, "%s", "lost");
    CHECK(rc == E_NOMEM && b.len == 5 && strcmp((char *)b.p, "a-1,b") == 0);
    buf_free(&b);
}

TEST(sha256_known_answers)
{
    struct hash32 h;
    char hex[65];
    CHECK(sha256("", 0, &h) == E_OK);
    hash32_to_hex(&h, hex);
    CHECK_STREQ(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(sha256("abc", 3, &h) == E_OK);
    hash32_to_hex(&h, hex);
    CHECK_STREQ(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(keccak256_shared_vectors)
{
    json_error_t je;
    json_t *root = json_load_file(t_vector_path("eth/keccak256.json"), 0, &je);
    CHECKF(root && json_is_array(root), "cannot load keccak vectors: %s", je.text);
    size_t i;
    json_t *v;
    json_array_foreach(root, i, v) {
        const char *in = json_string_value(json_object_get(v, "input"));
        const char *want = json_string_value(json_object_get(v, "keccak256"));
        uint8_t *data;
        size_t n;
        struct err e = {0};
        char name[48];
        snprintf(name, sizeof name, "keccak vector %zu", i);
        if (hex_decode_alloc(in, strlen(in), true, 1 << 20, &data, &n, &e)) {
            t_case(false, name, "bad input hex: %s", e.msg);
            continue;
        }
        struct hash32 h;
        keccak256(data, n, &h);
        free(data);
        char got[67];
        hash32_to_hex0x(&h, got);
        t_case(strcmp(got, want) == 0, name, "len %zu: got %s want %s", n, got, want);
    }
    json_decref(root);
}

TEST(file_read_limit_and_atomic_write)
{
    struct err e = {0};
    char path[512];
    snprintf(path, sizeof path, "%s/f.bin", t_tmpdir());
    CHECK_OK(file_write_atomic(path, "hello", 5, 0600, &e), &e);
    struct stat st;
    CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
    struct buf b;
    CHECK_OK(file_read_all(path, 5, &b, &e), &e);
    CHECK(b.len == 5 && memcmp(b.p, "hello", 5) == 0);
    buf_free(&b);
    CHECK_ERR(file_read_all(path, 4, &b, &e), &e, E_LIMIT, "limit of 4 bytes");
    CHECK(b.p == NULL);
    CHECK_OK(file_write_atomic(path, "bye", 3, 0644, &e), &e);
    CHECK_OK(file_read_all(path, 100, &b, &e), &e);
    CHECK(b.len == 3);
    buf_free(&b);
    CHECK_ERR(file_read_all("/nonexistent/x", 4, &b, &e), &e, E_NOT_FOUND, "/nonexistent/x");
    char bad[600];
    snprintf(bad, sizeof bad, "%s/no-such-dir/f", t_tmpdir());
    CHECK_ERR(file_write_atomic(bad, "x", 1, 0600, &e), &e, E_IO, "no-such-dir");
}
