/*
 * tests/unit/test_json.c — strict JSON parsing (core/json.h): what must be
 * rejected, with which code and message, and the limits (size, depth).
 * Several cases pin jansson behaviour we rely on (lone surrogates, overlong
 * UTF-8, "\u0000"), so a library change that relaxes one fails here.
 */
#include <stdlib.h>

#include "core/json.h"
#include "tests/harness.h"

#define MB (1024u * 1024u)

/* Parse a C string with the given flags. */
static err_code parse(const char *s, unsigned flags, json_t **v, struct err *e)
{
    return jstrict_parse(s, strlen(s), MB, flags, v, e);
}

/* Each input must be rejected with `code` and a message containing `want`. */
static const struct {
    const char *name, *text;
    size_t len; /* 0 = strlen(text) */
    err_code code;
    const char *want;
} g_reject[] = {
    {"empty", "", 0, E_INVALID, "empty"},
    {"whitespace only", "  \n", 0, E_INVALID, "line"},
    {"truncated object", "{\"a\":1", 0, E_INVALID, "truncated"},
    {"trailing comma", "[1,]", 0, E_INVALID, "line 1, column 4"},
    {"trailing data", "{\"a\":1}\n\n  x", 0, E_INVALID, "line 3"},
    {"second value", "[1][2]", 0, E_INVALID, "trailing data"},
    {"single quotes", "['a']", 0, E_INVALID, "invalid JSON"},
    {"comment", "[1]//c", 0, E_INVALID, "trailing"},
    {"leading zero", "[01]", 0, E_INVALID, "invalid JSON"},
    {"plus sign", "[+1]", 0, E_INVALID, "invalid JSON"},
    {"bare dot", "[1.]", 0, E_INVALID, "invalid JSON"},
    {"NaN", "[NaN]", 0, E_INVALID, "invalid JSON"},
    {"Infinity", "[Infinity]", 0, E_INVALID, "invalid JSON"},
    {"hex number", "[0x10]", 0, E_INVALID, "invalid JSON"},
    {"unquoted key", "{a:1}", 0, E_INVALID, "invalid JSON"},
    {"scalar at top", "1", 0, E_INVALID, "'[' or '{' expected"},
    {"string at top", "\"x\"", 0, E_INVALID, "'[' or '{' expected"},
    {"BOM", "\xef\xbb\xbf[1]", 0, E_INVALID, "\\xef\\xbb\\xbf"},
    {"duplicate key", "{\"a\":1,\"a\":2}", 0, E_INVALID, "duplicate object key"},
    {"duplicate key nested", "{\"x\":[{\"b\":1,\"c\":2,\"b\":3}]}", 0, E_INVALID,
     "duplicate object key at line 1, column 22"},
    {"duplicate key after escape", "{\"a\":1,\"\\u0061\":2}", 0, E_INVALID, "duplicate"},
    {"duplicate empty key", "{\"\":1,\"\":1}", 0, E_INVALID, "duplicate"},
    {"lone high surrogate value", "[\"\\ud800\"]", 0, E_INVALID, "invalid Unicode '\\uD800'"},
    {"lone low surrogate value", "[\"\\udc00\"]", 0, E_INVALID, "invalid Unicode '\\uDC00'"},
    {"lone high surrogate key", "{\"\\udbff\":1}", 0, E_INVALID, "\\uDBFF"},
    {"lone low surrogate key", "{\"\\udfff\":1}", 0, E_INVALID, "\\uDFFF"},
    {"high surrogate then BMP", "[\"\\ud83d\\u0041\"]", 0, E_INVALID, "invalid Unicode"},
    {"swapped surrogates", "[\"\\ude02\\ud83d\"]", 0, E_INVALID, "invalid Unicode"},
    {"high surrogate then text", "[\"\\ud800x\"]", 0, E_INVALID, "invalid Unicode"},
    {"overflow 1e400", "[1e400]", 0, E_INVALID, "number out of range"},
    {"overflow -1e400", "{\"n\":-1E400}", 0, E_INVALID, "number out of range"},
    {"integer overflow", "[12345678901234567890]", 0, E_INVALID, "number out of range"},
    {"escaped NUL", "[\"a\\u0000b\"]", 0, E_INVALID, "NUL character not allowed"},
    {"escaped NUL in key", "{\"\\u0000\":1}", 0, E_INVALID, "NUL"},
    {"raw NUL in string", "[\"a\0b\"]", 7, E_INVALID, "control character 0x0"},
    {"NUL after value", "[1]\0", 4, E_INVALID, "trailing data"},
    {"raw tab in string", "[\"\t\"]", 0, E_INVALID, "control character"},
    {"raw newline in string", "[\"a\nb\"]", 0, E_INVALID, "unexpected newline"},
    {"invalid UTF-8 0xff", "[\"\xff\"]", 0, E_INVALID, "invalid UTF-8"},
    {"invalid UTF-8 after text", "[\"\xc3\xa9\xff\"]", 0, E_INVALID, "invalid UTF-8"},
    {"overlong slash", "[\"\xc0\xaf\"]", 0, E_INVALID, "invalid UTF-8"},
    {"overlong 3-byte", "[\"\xe0\x80\xaf\"]", 0, E_INVALID, "invalid UTF-8"},
    {"UTF-8 surrogate", "[\"\xed\xa0\x80\"]", 0, E_INVALID, "invalid UTF-8"},
    {"above U+10FFFF", "[\"\xf4\x90\x80\x80\"]", 0, E_INVALID, "invalid UTF-8"},
    {"truncated sequence", "[\"\xe2\x82\"]", 0, E_INVALID, "invalid UTF-8"},
    {"invalid UTF-8 in key", "{\"\x80\":1}", 0, E_INVALID, "invalid UTF-8"},
    {"bad escape", "[\"\\x41\"]", 0, E_INVALID, "invalid JSON"},
    {"short unicode escape", "[\"\\u12\"]", 0, E_INVALID, "invalid JSON"},
};

TEST(json_rejects)
{
    for (size_t i = 0; i < sizeof g_reject / sizeof g_reject[0]; i++) {
        struct err e = {0};
        json_t *v = (json_t *)1;
        size_t len = g_reject[i].len ? g_reject[i].len : strlen(g_reject[i].text);
        err_code rc = jstrict_parse(g_reject[i].text, len, MB, 0, &v, &e);
        bool ok = rc == g_reject[i].code && strstr(e.msg, g_reject[i].want) && v == NULL;
        t_case(ok, g_reject[i].name, "got %s \"%s\", want %s containing \"%s\"", err_name(rc),
               e.msg, err_name(g_reject[i].code), g_reject[i].want);
        if (rc == E_OK)
            json_decref(v);
    }
}

TEST(json_error_text_is_sanitized)
{
    struct err e = {0};
    json_t *v;
    /* The terminal escape from the input must not reach the message raw. */
    CHECK_ERR(parse("[\x1b[31m]", 0, &v, &e), &e, E_INVALID, "\\x1b");
    CHECK(!strchr(e.msg, 0x1b));
}

TEST(json_accepts_and_flags)
{
    struct err e = {0};
    json_t *v;
    CHECK_OK(parse(" {\"a\":[1,2.5,\"\\ud83d\\ude02\"],\"b\":null}\n", 0, &v, &e), &e);
    CHECK(json_is_integer(json_array_get(json_object_get(v, "a"), 0)));
    CHECK(strcmp(json_string_value(json_array_get(json_object_get(v, "a"), 2)),
                 "\xf0\x9f\x98\x82") == 0);
    json_decref(v);
    /* JSTRICT_INTS_AS_REALS: every number a double, even past int64. */
    CHECK_OK(parse("[1,-0,123456789012345678901234567890]", JSTRICT_INTS_AS_REALS, &v, &e), &e);
    CHECK(json_is_real(json_array_get(v, 0)) && json_real_value(json_array_get(v, 0)) == 1.0);
    CHECK(json_is_real(json_array_get(v, 1)));
    CHECK(json_is_real(json_array_get(v, 2)) && json_real_value(json_array_get(v, 2)) > 1.2e29);
    json_decref(v);
    /* Same-valued keys in different objects are not duplicates. */
    CHECK_OK(parse("[{\"a\":1},{\"a\":1}]", 0, &v, &e), &e);
    json_decref(v);
    /* Underflow is not overflow: 1e-400 is 0, as JSON.parse gives. */
    CHECK_OK(parse("[1e-400]", 0, &v, &e), &e);
    CHECK(json_real_value(json_array_get(v, 0)) == 0.0);
    json_decref(v);
    /* JSTRICT_ANY_TOP: scalars at top level. */
    CHECK_OK(parse("\"x\"", JSTRICT_ANY_TOP, &v, &e), &e);
    CHECK(json_is_string(v));
    json_decref(v);
    CHECK_OK(parse(" 42 ", JSTRICT_ANY_TOP, &v, &e), &e);
    CHECK(json_integer_value(v) == 42);
    json_decref(v);
    /* Not NUL-terminated: only `len` bytes are read. */
    CHECK_OK(jstrict_parse("[1]garbage", 3, MB, 0, &v, &e), &e);
    json_decref(v);
    CHECK_ERR(jstrict_parse("[1]", 3, MB, 0x80, &v, &e), &e, E_INVALID, "unknown flags");
}

/* "[[[...1...]]]" nested `d` deep, or `d` opening brackets only if !close. */
static char *nested(int d, bool close, char open_c, size_t *len)
{
    char *s = malloc((size_t)d * 6 + 8);
    size_t n = 0;
    for (int i = 0; i < d; i++) {
        if (open_c == '{') {
            memcpy(s + n, "{\"k\":", 5);
            n += 5;
        } else {
            s[n++] = '[';
        }
    }
    s[n++] = '1';
    if (close)
        for (int i = 0; i < d; i++)
            s[n++] = open_c == '{' ? '}' : ']';
    s[n] = '\0';
    *len = n;
    return s;
}

TEST(json_depth_limit)
{
    struct err e = {0};
    json_t *v;
    size_t n;
    for (int k = 0; k < 2; k++) {
        char c = k ? '{' : '[';
        char *s = nested(JSTRICT_MAX_DEPTH, true, c, &n);
        err_code rc = jstrict_parse(s, n, MB, 0, &v, &e);
        free(s);
        CHECK_OK(rc, &e);
        CHECK(jstrict_depth(v) == JSTRICT_MAX_DEPTH);
        json_decref(v);
        s = nested(JSTRICT_MAX_DEPTH + 1, true, c, &n);
        rc = jstrict_parse(s, n, MB, 0, &v, &e);
        free(s);
        CHECK_ERR(rc, &e, E_LIMIT, "limit of 64 levels");
        CHECK(v == NULL);
    }
    /* Brackets inside strings (and escaped quotes) do not count. */
    char buf[256] = "[\"";
    for (int i = 0; i < 100; i++)
        strcat(buf, "[");
    strcat(buf, "\\\"{\"]");
    CHECK_OK(parse(buf, 0, &v, &e), &e);
    CHECK(jstrict_depth(v) == 1);
    json_decref(v);
    /* The error says where: line 2, column 65 is the 65th '['. */
    char *s = nested(70, false, '[', &n);
    char *s2 = malloc(n + 2);
    s2[0] = '\n';
    memcpy(s2 + 1, s, n + 1);
    CHECK_ERR(jstrict_parse(s2, n + 1, MB, 0, &v, &e), &e, E_LIMIT, "line 2, column 65");
    free(s);
    free(s2);
}

TEST(json_depth_bounded_before_parsing)
{
    /* A megabyte of '[' is refused by the prescan at byte 65; jansson (limit
     * 2048) would otherwise see it. Shown by the message: the prescan names a
     * column, a syntax error would come from jansson with a byte offset. */
    size_t n = MB;
    char *s = malloc(n);
    memset(s, '[', n);
    struct err e = {0};
    json_t *v;
    CHECK_ERR(jstrict_parse(s, n, MB, 0, &v, &e), &e, E_LIMIT, "line 1, column 65");
    free(s);
}

TEST(json_size_limit)
{
    struct err e = {0};
    json_t *v;
    const char *doc = "{\"a\":\"0123456789\"}";
    size_t n = strlen(doc);
    CHECK_OK(jstrict_parse(doc, n, n, 0, &v, &e), &e);
    json_decref(v);
    CHECK_ERR(jstrict_parse(doc, n, n - 1, 0, &v, &e), &e, E_LIMIT,
              "18 bytes exceeds the limit of 17 bytes");
    CHECK(v == NULL);
}

TEST(json_depth_of_values)
{
    json_t *v = json_pack("{s:[i,{s:[]}],s:i}", "a", 1, "b", "c", 2);
    CHECK(jstrict_depth(v) == 4);
    json_decref(v);
    v = json_integer(1);
    CHECK(jstrict_depth(v) == 0);
    json_decref(v);
    v = json_object();
    CHECK(jstrict_depth(v) == 1);
    json_decref(v);
}
