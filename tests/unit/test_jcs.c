/*
 * tests/unit/test_jcs.c — RFC 8785 canonicalization (core/jcs.h) and the
 * credential hash (core/credential.h).
 *
 * Against shared vectors: every jcs/input/X.json must give exactly the bytes
 * of jcs/output/X.json, and every line of eth/es6-numbers.txt (10,000 doubles
 * serialized by Node's Number.prototype.toString) must be reproduced by
 * jcs_number. Then the rules one at a time: UTF-16 member order, string
 * escapes, integers beyond 2^53, and everything that must be refused.
 */
#include <dirent.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>

#include "core/credential.h"
#include "core/fileio.h"
#include "core/jcs.h"
#include "core/json.h"
#include "tests/harness.h"

#define MB (1024u * 1024u)

/* Canonicalize a C string into a NUL-terminated malloc'd string (NULL on error). */
static char *canon(const char *s, struct err *e)
{
    struct buf b = {0};
    if (jcs_canonicalize(s, strlen(s), MB, &b, e)) {
        buf_free(&b);
        return NULL;
    }
    return (char *)b.p;
}

TEST(jcs_shared_vectors)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", t_vector_path("jcs/input"));
    DIR *d = opendir(dir);
    CHECKF(d, "cannot open %s", dir);
    int files = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t nl = strlen(de->d_name);
        if (nl < 6 || strcmp(de->d_name + nl - 5, ".json") != 0)
            continue;
        files++;
        char in_path[8192], out_path[8192];
        if (snprintf(in_path, sizeof in_path, "%s/%s", dir, de->d_name) >= (int)sizeof in_path ||
            snprintf(out_path, sizeof out_path, "%s/../output/%s", dir, de->d_name) >=
                (int)sizeof out_path) {
            t_case(false, de->d_name, "path too long");
            continue;
        }
        struct err e = {0};
        struct buf in = {0}, want = {0}, got = {0};
        if (file_read_all(in_path, MB, &in, &e) || file_read_all(out_path, MB, &want, &e)) {
            t_case(false, de->d_name, "%s", e.msg);
        } else if (jcs_canonicalize((char *)in.p, in.len, MB, &got, &e)) {
            t_case(false, de->d_name, "canonicalize: %s", e.msg);
        } else {
            t_case(got.len == want.len && memcmp(got.p, want.p, got.len) == 0, de->d_name,
                   "got\n  %s\nwant\n  %s", (char *)got.p, (char *)want.p);
        }
        buf_free(&in);
        buf_free(&want);
        buf_free(&got);
    }
    closedir(d);
    CHECKF(files >= 6, "only %d vector files in %s", files, dir);
}

TEST(jcs_es6_numbers_all_lines)
{
    const char *path = t_vector_path("eth/es6-numbers.txt");
    FILE *f = fopen(path, "r");
    CHECKF(f, "cannot open %s", path);
    char line[256];
    int n = 0, bad = 0;
    while (fgets(line, sizeof line, f)) {
        n++;
        char *comma = strchr(line, ',');
        char name[64];
        snprintf(name, sizeof name, "es6-numbers line %d", n);
        if (!comma) {
            t_case(false, name, "malformed line: %s", line);
            bad++;
            continue;
        }
        *comma = '\0';
        char *want = comma + 1;
        want[strcspn(want, "\r\n")] = '\0';
        uint64_t bits = strtoull(line, NULL, 16);
        double dv;
        memcpy(&dv, &bits, sizeof dv);
        char got[32];
        struct err e = {0};
        err_code rc = jcs_number(dv, got, &e);
        bool ok = rc == E_OK && strcmp(got, want) == 0;
        if (!ok)
            bad++;
        /* One counted case per line; only failures print. */
        t_case(ok, name, "bits %s: got \"%s\" (%s) want \"%s\"", line, got, e.msg, want);
    }
    fclose(f);
    CHECKF(n == 10000, "expected 10000 lines, read %d", n);
    CHECKF(bad == 0, "%d of %d numbers differ", bad, n);
}

TEST(jcs_number_rules)
{
    static const struct { double d; const char *want; } cases[] = {
        {0.0, "0"}, {-0.0, "0"}, {1.0, "1"}, {-1.5, "-1.5"}, {100, "100"},
        {1e21, "1e+21"}, {1e20, "100000000000000000000"}, {123e18, "123000000000000000000"},
        {0.000001, "0.000001"}, {0.0000001, "1e-7"}, {1.5e-7, "1.5e-7"},
        {333333333.33333329, "333333333.3333333"}, {5e-324, "5e-324"},
        {1.7976931348623157e308, "1.7976931348623157e+308"}, {9007199254740993.0, "9007199254740992"},
        {0.1 + 0.2, "0.30000000000000004"}, {-1e-7, "-1e-7"}, {123.456, "123.456"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char got[32], name[48];
        struct err e = {0};
        snprintf(name, sizeof name, "%.17g", cases[i].d);
        err_code rc = jcs_number(cases[i].d, got, &e);
        t_case(rc == E_OK && strcmp(got, cases[i].want) == 0, name, "got \"%s\" want \"%s\"",
               got, cases[i].want);
    }
    char got[32];
    struct err e = {0};
    CHECK_ERR(jcs_number(NAN, got, &e), &e, E_INVALID, "no JSON form");
    CHECK_ERR(jcs_number(INFINITY, got, &e), &e, E_INVALID, "no JSON form");
    CHECK_ERR(jcs_number(-INFINITY, got, &e), &e, E_INVALID, "no JSON form");
}

TEST(jcs_utf16_member_order)
{
    struct err e = {0};
    /* U+1F602 is D83D DE02 in UTF-16, U+FB33 is FB33: the emoji sorts first,
     * though its UTF-8 (F0 ...) and its code point are larger. */
    char *got = canon("{\"\\ufb33\":2,\"\\ud83d\\ude02\":1}", &e);
    CHECKF(got, "%s", e.msg);
    CHECK_STREQ(got, "{\"\xf0\x9f\x98\x82\":1,\"\xef\xac\xb3\":2}");
    free(got);
    /* U+E000 (private use) vs U+10000: surrogate D800 < E000. */
    got = canon("{\"\\ue000\":1,\"\\ud800\\udc00\":2,\"\\u00ff\":3}", &e);
    CHECKF(got, "%s", e.msg);
    CHECK_STREQ(got, "{\"\xc3\xbf\":3,\"\xf0\x90\x80\x80\":2,\"\xee\x80\x80\":1}");
    free(got);
    /* Prefixes first; plain code-unit order, no locale. */
    got = canon("{\"ab\":1,\"a\":2,\"B\":3,\"\":4,\"a\\u0000\":5}", &e);
    CHECK(got == NULL); /* \u0000 is refused by the strict parser */
    got = canon("{\"ab\":1,\"a\":2,\"B\":3,\"\":4,\"a\\u0001\":5}", &e);
    CHECKF(got, "%s", e.msg);
    CHECK_STREQ(got, "{\"\":4,\"B\":3,\"a\":2,\"a\\u0001\":5,\"ab\":1}");
    free(got);
}

TEST(jcs_string_escapes)
{
    struct err e = {0};
    char *got = canon("[\"\\u0000\"]", &e);
    CHECK(got == NULL);
    got = canon("[\"\\/\\b\\f\\n\\r\\t\\u0001\\u001F\\u007f\\u0080\\\"\\\\\\u00e9\\u2028<>&'\"]",
                &e);
    CHECKF(got, "%s", e.msg);
    /* '/' and U+007F literal, C0 controls lowercase \u00xx, U+2028 literal. */
    CHECK_STREQ(got, "[\"/\\b\\f\\n\\r\\t\\u0001\\u001f\x7f\xc2\x80\\\"\\\\\xc3\xa9\xe2\x80\xa8<>&'\"]");
    free(got);
}

TEST(jcs_values_and_whitespace)
{
    struct err e = {0};
    char *got = canon(" \t\r\n[ 1.0 , -0 , 1E2 , 0.5e-6 , true , false , null , { } , [ ] ] ", &e);
    CHECKF(got, "%s", e.msg);
    CHECK_STREQ(got, "[1,0,100,5e-7,true,false,null,{},[]]");
    free(got);
    got = canon("  \"top\"  ", &e); /* a scalar is a JSON text too */
    CHECKF(got, "%s", e.msg);
    CHECK_STREQ(got, "\"top\"");
    free(got);
    /* Integers past int64 are read as doubles, as ECMAScript would. */
    got = canon("[123456789012345678901234567890, 9007199254740993]", &e);
    CHECKF(got, "%s", e.msg);
    CHECK_STREQ(got, "[1.2345678901234568e+29,9007199254740992]");
    free(got);
}

TEST(jcs_rejects)
{
    static const struct { const char *text; err_code code; const char *want; } cases[] = {
        {"{\"a\":1,\"a\":1}", E_INVALID, "duplicate"},
        {"{\"a\":{\"b\":1,\"b\":2}}", E_INVALID, "duplicate"},
        {"[{\"x\":[{\"k\":1,\"k\":1}]}]", E_INVALID, "duplicate"},
        {"[\"\\ud83d\"]", E_INVALID, "invalid Unicode"},
        {"[\"\\ude02\"]", E_INVALID, "invalid Unicode"},
        {"{\"\\ud83d\":1}", E_INVALID, "invalid Unicode"},
        {"{\"\\ude02\":1}", E_INVALID, "invalid Unicode"},
        {"[1e400]", E_INVALID, "out of range"},
        {"[-1e400]", E_INVALID, "out of range"},
        {"[\"\xff\"]", E_INVALID, "UTF-8"},
        {"{\"\xc0\x80\":1}", E_INVALID, "UTF-8"},
        {"[1,]", E_INVALID, "line 1"},
        {"", E_INVALID, "empty"},
        {"[NaN]", E_INVALID, "invalid"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct err e = {0};
        struct buf b = {0};
        err_code rc = jcs_canonicalize(cases[i].text, strlen(cases[i].text), MB, &b, &e);
        t_case(rc == cases[i].code && strstr(e.msg, cases[i].want) && b.len == 0, cases[i].text,
               "got %s \"%s\"", err_name(rc), e.msg);
        buf_free(&b);
    }
}

TEST(jcs_depth_and_size_limits)
{
    struct err e = {0};
    char doc[200] = "";
    for (int i = 0; i < 64; i++)
        strcat(doc, "[");
    for (int i = 0; i < 64; i++)
        strcat(doc, "]");
    struct buf b = {0};
    CHECK_OK(jcs_canonicalize(doc, strlen(doc), MB, &b, &e), &e);
    CHECK(b.len == 128);
    buf_free(&b);
    char deeper[200] = "[";
    strcat(deeper, doc);
    strcat(deeper, "]");
    CHECK_ERR(jcs_canonicalize(deeper, strlen(deeper), MB, &b, &e), &e, E_LIMIT, "64");
    CHECK_ERR(jcs_canonicalize(doc, strlen(doc), 127, &b, &e), &e, E_LIMIT, "limit of 127 bytes");
    buf_free(&b);
}

TEST(jcs_serialize_built_values)
{
    struct err e = {0};
    struct buf b = {0};
    CHECK(buf_append_str(&b, "keep") == E_OK);
    /* A jansson integer is exact up to 2^53, refused beyond. */
    json_t *v = json_pack("[I,I]", (json_int_t)9007199254740992LL, (json_int_t)-9007199254740992LL);
    CHECK_OK(jcs_serialize(v, &b, &e), &e);
    CHECK_STREQ((char *)b.p, "keep[9007199254740992,-9007199254740992]");
    json_decref(v);
    b.len = 4;
    v = json_pack("{s:[I]}", "n", (json_int_t)9007199254740993LL);
    CHECK_ERR(jcs_serialize(v, &b, &e), &e, E_INVALID, "9007199254740993 is beyond");
    CHECK(b.len == 4 && strcmp((char *)b.p, "keep") == 0); /* output left as it was */
    json_decref(v);
    v = json_pack("[I]", (json_int_t)-9007199254740993LL);
    CHECK_ERR(jcs_serialize(v, &b, &e), &e, E_INVALID, "beyond");
    json_decref(v);
    /* Non-finite reals (jansson refuses to make them, so patch one in). */
    v = json_array();
    json_t *r = json_real(1.0);
    CHECK(v && r);
    CHECK(json_array_append_new(v, r) == 0);
    CHECK(json_real_set(r, INFINITY) == -1); /* jansson itself refuses */
    json_decref(v);
    /* Invalid UTF-8 smuggled in with the _nocheck builders. */
    v = json_object();
    CHECK(json_object_set_new_nocheck(v, "\xff", json_true()) == 0);
    CHECK_ERR(jcs_serialize(v, &b, &e), &e, E_INVALID, "member name is not valid UTF-8");
    json_decref(v);
    v = json_stringn_nocheck("\xed\xa0\x80", 3);
    CHECK_ERR(jcs_serialize(v, &b, &e), &e, E_INVALID, "string value is not valid UTF-8");
    json_decref(v);
    /* Embedded NUL from a built value is escaped, not truncated. */
    v = json_stringn("a\0b", 3);
    b.len = 0;
    CHECK_OK(jcs_serialize(v, &b, &e), &e);
    CHECK_STREQ((char *)b.p, "\"a\\u0000b\"");
    json_decref(v);
    /* Deeper than the parse limit is refused here too. */
    v = json_array();
    json_t *inner = v;
    for (int i = 0; i < JSTRICT_MAX_DEPTH; i++) {
        json_t *a = json_array();
        CHECK(json_array_append_new(inner, a) == 0);
        inner = a;
    }
    CHECK_ERR(jcs_serialize(v, &b, &e), &e, E_LIMIT, "64");
    json_decref(v);
    buf_free(&b);
}

/* ---- credential hashing ------------------------------------------------- */

static err_code hash_str(const char *s, enum credential_hashing *how, char hex[65], struct err *e)
{
    struct hash32 h;
    err_code rc = credential_hash((const uint8_t *)s, strlen(s), how, &h, e);
    hex[0] = 0;
    if (!rc)
        hash32_to_hex(&h, hex);
    return rc;
}

TEST(credential_known_hashes)
{
    struct err e = {0};
    enum credential_hashing how;
    char a[65], b[65];
    /* sha256sum of the canonical text {"a":1,"b":[true,null],"c":"x"}. */
    CHECK_OK(hash_str("{\"c\":\"x\",\"b\":[true,null],\"a\":1}", &how, a, &e), &e);
    CHECK(how == CRED_HASH_JCS_SHA256);
    CHECK_STREQ(a, "b4d9bb599eed5aa88d49671502b834be9d301293f1054c252deae8d0b5b54c57");
    /* Whitespace, key order and number spelling do not change the hash. */
    CHECK_OK(hash_str("\n  {\n \"b\" : [ true , null ],\r\n\t\"a\": 1.0e0, \"c\":\"\\u0078\" }\n",
                      &how, b, &e), &e);
    CHECK(how == CRED_HASH_JCS_SHA256);
    CHECK_STREQ(a, b);
    /* A value change does. */
    CHECK_OK(hash_str("{\"a\":2,\"b\":[true,null],\"c\":\"x\"}", &how, b, &e), &e);
    CHECK(strcmp(a, b) != 0);
    /* Raw bytes: sha256sum of "hello\n". */
    CHECK_OK(hash_str("hello\n", &how, a, &e), &e);
    CHECK(how == CRED_HASH_SHA256);
    CHECK_STREQ(a, "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03");
    /* An empty document is refused (issue 19: the API refused an empty
     * body, the CLI hashed an empty file); scalar JSON is raw. */
    CHECK_ERR(hash_str("", &how, a, &e), &e, E_INVALID, "empty credential (0 bytes)");
    CHECK_OK(hash_str("\"abc\"", &how, a, &e), &e);
    CHECK(how == CRED_HASH_SHA256);
}

TEST(credential_vector_file_matches_sha256sum)
{
    /* jcs/input/structures.json → SHA-256 of jcs/output/structures.json. */
    struct err e = {0};
    enum credential_hashing how;
    struct hash32 h;
    char hex[65];
    CHECK_OK(credential_hash_file(t_vector_path("jcs/input/structures.json"), &how, &h, &e), &e);
    hash32_to_hex(&h, hex);
    CHECK(how == CRED_HASH_JCS_SHA256);
    CHECK_STREQ(hex, "605f65004ec2db7692522a0852c22f1c989e036d547e88963d1a3143cf3195d5");
    /* A raw file through the file path. */
    char path[512];
    snprintf(path, sizeof path, "%s/diploma.pdf", t_tmpdir());
    CHECK_OK(file_write_atomic(path, "hello\n", 6, 0644, &e), &e);
    CHECK_OK(credential_hash_file(path, &how, &h, &e), &e);
    hash32_to_hex(&h, hex);
    CHECK(how == CRED_HASH_SHA256);
    CHECK_STREQ(hex, "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03");
    CHECK_ERR(credential_hash_file("/nonexistent/cred.json", &how, &h, &e), &e, E_NOT_FOUND,
              "/nonexistent/cred.json");
    /* Broken JSON in a file: error names the file and the parse error. */
    snprintf(path, sizeof path, "%s/bad.json", t_tmpdir());
    CHECK_OK(file_write_atomic(path, "{\"a\":1,\n\"a\":2}", 14, 0644, &e), &e);
    CHECK_ERR(credential_hash_file(path, &how, &h, &e), &e, E_INVALID, "bad.json: credential");
    CHECK(strstr(e.msg, "duplicate object key at line 2"));
}

TEST(credential_rejects_broken_json)
{
    static const struct { const char *name, *text, *want; err_code code; } cases[] = {
        {"truncated", "{\"a\":1", "truncated", E_INVALID},
        {"duplicate key", "{\"a\":1,\"a\":2}", "duplicate object key", E_INVALID},
        {"nested duplicate", "  [{\"a\":{\"b\":1,\"b\":1}}]", "duplicate", E_INVALID},
        {"lone surrogate", "{\"a\":\"\\ud800\"}", "invalid Unicode", E_INVALID},
        {"overflow", "[1e400]", "out of range", E_INVALID},
        {"invalid UTF-8", "[\"\xfe\"]", "invalid UTF-8", E_INVALID},
        {"trailing garbage", "{} trailing", "trailing", E_INVALID},
        {"BOM before JSON", "\xef\xbb\xbf{\"a\":1}", "byte order mark", E_INVALID},
        {"BOM and space before JSON", "\xef\xbb\xbf \n[1]", "byte order mark", E_INVALID},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct err e = {0};
        enum credential_hashing how;
        char hex[65];
        err_code rc = hash_str(cases[i].text, &how, hex, &e);
        t_case(rc == cases[i].code && strstr(e.msg, cases[i].want) &&
                   (strstr(e.msg, "not strict JSON") || strstr(e.msg, "byte order mark")),
               cases[i].name, "got %s \"%s\"", err_name(rc), e.msg);
    }
    /* Deeper than 64 is a limit error, still with the credential context. */
    char deep[200] = "";
    for (int i = 0; i < 65; i++)
        strcat(deep, "[");
    struct err e = {0};
    enum credential_hashing how;
    char hex[65];
    CHECK_ERR(hash_str(deep, &how, hex, &e), &e, E_LIMIT, "not strict JSON");
    /* A NULL err still gets the error code. */
    struct hash32 h;
    CHECK(credential_hash((const uint8_t *)"{", 1, &how, &h, NULL) == E_INVALID);
    /* A BOM before non-JSON is just bytes. */
    CHECK_OK(hash_str("\xef\xbb\xbfhello", &how, hex, &e), &e);
    CHECK(how == CRED_HASH_SHA256);
}

/* The issuer a credential names (W3C VC "issuer"), read, never trusted. */
static enum credential_issuer_kind issuer_of(const char *doc, struct credential_issuer *ci)
{
    credential_issuer_read((const uint8_t *)doc, strlen(doc), ci);
    return ci->kind;
}

TEST(credential_issuer_read_vc)
{
    struct credential_issuer ci;
    CHECK(issuer_of("{\"issuer\":\"did:web:uni.example\"}", &ci) == CRED_ISSUER_ID);
    CHECK_STREQ(ci.id, "did:web:uni.example");
    CHECK(issuer_of(" {\"issuer\":{\"id\":\"did:web:uni.example:x\",\"name\":\"U\"}}", &ci) ==
          CRED_ISSUER_ID);
    CHECK_STREQ(ci.id, "did:web:uni.example:x");
    CHECK(issuer_of("{\"name\":\"no issuer\"}", &ci) == CRED_ISSUER_NONE);
    CHECK(issuer_of("[{\"issuer\":\"did:web:uni.example\"}]", &ci) == CRED_ISSUER_NONE);
    CHECK(issuer_of("raw bytes", &ci) == CRED_ISSUER_NONE);
    CHECK(issuer_of("{\"issuer\":\"a\",\"issuer\":\"b\"}", &ci) == CRED_ISSUER_NONE); /* not strict */
    CHECK(issuer_of("{\"issuer\":7}", &ci) == CRED_ISSUER_UNUSABLE);
    CHECK(strstr(ci.why, "neither a string"));
    CHECK(issuer_of("{\"issuer\":{\"name\":\"U\"}}", &ci) == CRED_ISSUER_UNUSABLE);
    CHECK(issuer_of("{\"issuer\":\"\"}", &ci) == CRED_ISSUER_UNUSABLE);
    CHECK(issuer_of("{\"issuer\":\"did:web:a\\u0000b\"}", &ci) != CRED_ISSUER_ID);
    CHECK(issuer_of("{\"issuer\":\"did:web:a\\nb\"}", &ci) == CRED_ISSUER_UNUSABLE);
    char big[400] = "{\"issuer\":\"did:web:";
    memset(big + strlen(big), 'a', 300);
    strcat(big, "\"}");
    CHECK(issuer_of(big, &ci) == CRED_ISSUER_UNUSABLE && strstr(ci.why, "longer than 255"));
}

TEST(credential_size_limit)
{
    size_t n = CREDENTIAL_MAX_BYTES + 1;
    uint8_t *big = calloc(1, n);
    CHECK(big);
    struct err e = {0};
    enum credential_hashing how;
    struct hash32 h;
    err_code rc = credential_hash(big, n, &how, &h, &e);
    free(big);
    CHECK_ERR(rc, &e, E_LIMIT, "limit of 16777216 bytes");
}

TEST(credential_hashing_names)
{
    struct err e = {0};
    enum credential_hashing h;
    const char *names[] = {"jcs-sha256", "sha256", "given"};
    for (int i = 0; i < 3; i++) {
        CHECK_OK(credential_hashing_parse(names[i], &h, &e), &e);
        CHECK_STREQ(credential_hashing_name(h), names[i]);
    }
    CHECK(credential_hashing_name(CRED_HASH_JCS_SHA256)[0] == 'j');
    CHECK_ERR(credential_hashing_parse("SHA256", &h, &e), &e, E_INVALID,
              "expected jcs-sha256, sha256 or given");
    CHECK_ERR(credential_hashing_parse("", &h, &e), &e, E_INVALID, "unknown");
    CHECK_ERR(credential_hashing_parse(NULL, &h, &e), &e, E_INVALID, "(none)");
    CHECK_STREQ(credential_hashing_name((enum credential_hashing)7), "unknown");
}

/* ---- numbers beyond double precision (issue 19) -------------------------- */

TEST(credential_refuses_numbers_a_double_cannot_hold)
{
    struct err e = {0};
    enum credential_hashing how;
    char a[65], b[65];
    /* Lossless spellings hash like the canonical one. */
    static const char *const same[][2] = {
        {"{\"ects\":30}", "{\"ects\":30.0}"},       {"{\"ects\":30}", "{\"ects\":3e1}"},
        {"{\"ects\":30}", "{\"ects\":300E-1}"},     {"{\"g\":1.7}", "{\"g\":1.70}"},
        {"{\"g\":0}", "{\"g\":-0}"},                {"{\"g\":0}", "{\"g\":-0.0e5}"},
        {"{\"g\":100}", "{\"g\":1E2}"},             {"{\"g\":1e21}", "{\"g\":1000000000000000000000}"},
        {"{\"g\":1}", "{\"g\":100e-2}"},            {"{\"g\":0.000001}", "{\"g\":1e-6}"},
        {"{\"g\":1.5e-7}", "{\"g\":0.00000015}"},   {"{\"g\":5e-324}", "{\"g\":0.5e-323}"},
        {"{\"g\":9007199254740992}", "{\"g\":9.007199254740992e15}"},
        {"{\"g\":123456789012345680000}", "{\"g\":1.2345678901234568e20}"},
        {"{\"g\":1.0000000000000002}", "{\"g\":10000000000000002e-16}"},
        {"{\"g\":0.1}", "{\"g\":0.1000000000000000000000000000000000000000}"},
        {"{\"g\":1.7976931348623157e308}", "{\"g\":17976931348623157e292}"},
    };
    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
        CHECK_OK(hash_str(same[i][0], &how, a, &e), &e);
        CHECK_OK(hash_str(same[i][1], &how, b, &e), &e);
        CHECKF(strcmp(a, b) == 0, "%s and %s hash differently", same[i][0], same[i][1]);
    }
    /* Literals RFC 8785 would round: refused, naming the member and the
     * value the hash would have meant. */
    static const char *const refused[][2] = {
        {"{\"studentId\":12345678901234567,\"grade\":1.7,\"ects\":30}",
         "member \"studentId\": 12345678901234567 cannot be represented exactly as an IEEE-754 "
         "double (RFC 8785 hashes it as 12345678901234568): put such identifiers in strings"},
        {"{\"grade\":1.70000000000000001}", "member \"grade\": 1.70000000000000001 cannot"},
        {"{\"x\":[1,2,{\"tiny\":1e-400}]}",
         "member \"tiny\" (at /x/2/tiny): 1e-400 cannot be represented exactly as an IEEE-754 "
         "double (RFC 8785 hashes it as 0)"},
        {"{\"ids\":[0,9007199254740993]}", "array element /ids/1: 9007199254740993"},
        {"[0.1,0.10000000000000001]", "array element /1: 0.10000000000000001"},
        {"{\"a\":{\"b\\\"/\\u00e9\":12345678901234567890}}",
         "member \"b\\\"/\\u00e9\" (at /a/b\\\"/\\u00e9)"},
        {"{\"g\":4.9e-324}", "4.9e-324 cannot be represented exactly as an IEEE-754 double (RFC 8785 hashes it as 5e-324)"},
        {"{\"g\":1.00000000000000000000000000000000000000000000001}", "hashes it as 1)"},
        {"{\"g\":1e-0000000000000000000000000000400}", "hashes it as 0)"},
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        e = (struct err){0};
        err_code rc = hash_str(refused[i][0], &how, a, &e);
        CHECKF(rc == E_INVALID, "%s: %s (%s)", refused[i][0], err_name(rc), e.msg);
        CHECKF(strstr(e.msg, refused[i][1]) != NULL, "%s: message \"%s\" lacks \"%s\"",
               refused[i][0], e.msg, refused[i][1]);
    }
    /* Beyond the double range: refused (by the parser already). */
    CHECK_ERR(hash_str("{\"g\":1e400}", &how, a, &e), &e, E_INVALID, "1e400");
    /* A number inside a string is not a number. */
    CHECK_OK(hash_str("{\"id\":\"12345678901234567\",\"k\\\"\":\"1e-400\"}", &how, a, &e), &e);
}

TEST(credential_short_numbers_always_round_trip)
{
    /* The checker's fast path trusts that a decimal of at most 15
     * significant digits (DBL_DIG) in the normal range is exactly its
     * RFC 8785 form; check the premise on random ones. */
    srand(19);
    for (int i = 0; i < 20000; i++) {
        char lit[64], canon[32];
        int nd = 1 + rand() % 15, ex = rand() % 560 - 280;
        long long m = 1 + rand() % 9;
        for (int k = 1; k < nd; k++)
            m = m * 10 + rand() % 10;
        snprintf(lit, sizeof lit, "%llde%d", m, ex);
        struct err e = {0};
        CHECK_OK(jcs_number(strtod(lit, NULL), canon, &e), &e);
        /* canon's significant digits are m's without trailing zeros (and
         * both read back as the same double): the same decimal value */
        while (m % 10 == 0)
            m /= 10;
        char want[24], got[32];
        snprintf(want, sizeof want, "%lld", m);
        size_t g = 0;
        for (const char *p = canon; *p && *p != 'e'; p++)
            if (*p >= '0' && *p <= '9' && (g || *p != '0'))
                got[g++] = *p;
        while (g && got[g - 1] == '0')
            g--;
        got[g] = '\0';
        CHECKF(strcmp(want, got) == 0, "%s is %s in RFC 8785 form", lit, canon);
        char doc[160];
        snprintf(doc, sizeof doc, "[%s,%s]", lit, canon);
        CHECKF(jcs_check_numbers(doc, strlen(doc), &e) == E_OK, "%s: %s", lit, e.msg);
    }
}
