/*
 * tests/unit/test_submit_body.c — POST /v1/hashes bodies (notary/service/submit_body.h).
 *
 * Three things are pinned here:
 *  - the answers the HTTP service gives (status, stable error code, message)
 *    for JSON and text bodies, as they were before the parser left serve.c;
 *  - which bodies the fast scanner takes for itself and which it leaves to
 *    jansson (a scanner that declined everything would pass every other
 *    test, so its acceptance is checked directly);
 *  - the differential property the fast path rests on: with and without
 *    the scanner (SUBMIT_BODY_NO_FAST) every body gets the same answer —
 *    same hashes, or same code, status and message — over generated bodies
 *    and every truncation, substitution, deletion and insertion of them,
 *    random token soups, and bodies of 100,000 hashes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "notary/service/submit_body.h"
#include "tests/harness.h"

#define MAXB (16u * 1024 * 1024) /* the service's default body limit */

#define HA "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define HB "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100"
#define HU "0123456789ABCDEFabcdefABCDEF0123456789abcdef0123456789ABCDEF9999"
#define HA63 "0112233445566778899aabbccddeeff00112233445566778899aabbccddeeff" /* HA less its first digit */
#define HA62 "112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define HB63 "feeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100"
#define DEEP "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[" /* 70 */

/* ---- helpers ---------------------------------------------------------------- */

static struct hash32 hx(const char *hex)
{
    struct hash32 h;
    if (hash32_from_hex(hex, &h, NULL) != E_OK)
        abort();
    return h;
}

/* Same answer with and without the scanner? If not, *why says how. */
static bool same_answer(const char *body, size_t len, size_t max, char *why, size_t whysz)
{
    struct submit_body a, b;
    struct err ea = {0}, eb = {0};
    err_code ra = submit_body_parse_ex(body, len, SUBMIT_BODY_JSON, max, 0, &a, &ea);
    err_code rb = submit_body_parse_ex(body, len, SUBMIT_BODY_JSON, max, SUBMIT_BODY_NO_FAST, &b,
                                       &eb);
    bool ok = true;
    if (ra != rb) {
        snprintf(why, whysz, "rc %s vs jansson-only %s (%s)", err_name(ra), err_name(rb), eb.msg);
        ok = false;
    } else if (ra == E_OK) {
        if (a.n != b.n || memcmp(a.h, b.h, a.n * sizeof *a.h) != 0) {
            snprintf(why, whysz, "accepted with %zu vs %zu hashes or different ones", a.n, b.n);
            ok = false;
        }
    } else if (a.status != b.status || strcmp(a.error, b.error) != 0 ||
               strcmp(ea.msg, eb.msg) != 0 || a.n || a.h) {
        snprintf(why, whysz, "%d %s \"%s\" vs jansson-only %d %s \"%s\"", a.status, a.error,
                 ea.msg, b.status, b.error, eb.msg);
        ok = false;
    }
    submit_body_free(&a);
    submit_body_free(&b);
    return ok;
}

/* A body for a failure message: printable, \xNN otherwise, cut at 160 bytes. */
static const char *show(const char *p, size_t len)
{
    static char out[700];
    size_t o = 0;
    for (size_t i = 0; i < len && i < 160; i++) {
        unsigned char c = (unsigned char)p[i];
        o += (size_t)snprintf(out + o, sizeof out - o, c >= 0x20 && c < 0x7f ? "%c" : "\\x%02x",
                              c);
    }
    snprintf(out + o, sizeof out - o, "%s (%zu bytes)", len > 160 ? "..." : "", len);
    return out;
}

struct tally {
    size_t bodies, fast; /* checked; of which the scanner took */
    size_t bad;          /* disagreements */
};

static void diff_one(struct tally *t, const char *body, size_t len, size_t max)
{
    char why[1400];
    t->bodies++;
    struct submit_body f;
    if (submit_body_fast_json(body, len, max, &f)) {
        t->fast++;
        submit_body_free(&f);
    }
    if (!same_answer(body, len, max, why, sizeof why)) {
        if (t->bad++ < 5)
            t_fail(__FILE__, __LINE__, "body %s: %s", show(body, len), why);
    }
}

/* The bodies the mutations start from: both shapes, 1-3 hashes, four
 * whitespace styles, lower / upper / mixed case digits. */
static size_t base_body(size_t k, char *out, size_t outsz)
{
    static const char *const WS[][2] = {{"", ""}, {" ", " "}, {"\n  ", "\r\n"}, {"\t", " \n\t\r"}};
    static const char *const HEX[] = {HA, HU, HB};
    size_t ws = k % 4, hexk = (k / 4) % 3, shape = (k / 12) % 4; /* shape 0: hash, 1-3: n hashes */
    const char *s = WS[ws][0], *s2 = WS[ws][1];
    size_t o = 0;
    o += (size_t)snprintf(out + o, outsz - o, "%s{%s\"%s\"%s:%s", s, s2, shape ? "hashes" : "hash",
                          s, s2);
    if (shape == 0) {
        o += (size_t)snprintf(out + o, outsz - o, "\"%s\"", HEX[hexk]);
    } else {
        o += (size_t)snprintf(out + o, outsz - o, "[%s", s);
        for (size_t i = 0; i < shape; i++)
            o += (size_t)snprintf(out + o, outsz - o, "%s\"%s\"%s", i ? "," : "",
                                  HEX[(hexk + i) % 3], s2);
        o += (size_t)snprintf(out + o, outsz - o, "]");
    }
    o += (size_t)snprintf(out + o, outsz - o, "%s}%s", s2, s);
    return o;
}
#define NBASE 48

/* ---- the answers ---------------------------------------------------------------- */

static const struct {
    const char *name, *body;
    size_t len;  /* 0 = strlen(body) */
    size_t max;  /* 0 = MAXB */
    int status;  /* 200 = accepted */
    const char *error, *want; /* error code, message substring */
    size_t n;    /* hashes when accepted */
} g_json[] = {
    /* accepted */
    {"list of two", "{\"hashes\":[\"" HA "\",\"" HB "\"]}", 0, 0, 200, NULL, NULL, 2},
    {"one hash", "{\"hash\":\"" HA "\"}", 0, 0, 200, NULL, NULL, 1},
    {"upper and mixed case", "{\"hashes\":[\"" HU "\"]}", 0, 0, 200, NULL, NULL, 1},
    {"0x prefix (jansson path)", "{\"hashes\":[\"0x" HA "\",\"0X" HB "\"]}", 0, 0, 200, NULL, NULL, 2},
    {"escaped digit (jansson path)", "{\"hash\":\"\\u0030" HA63 "\"}", 0, 0, 200, NULL, NULL, 1},
    {"escaped key (jansson path)", "{\"h\\u0061shes\":[\"" HA "\"]}", 0, 0, 200, NULL, NULL, 1},
    {"duplicates kept", "{\"hashes\":[\"" HA "\",\"" HA "\"]}", 0, 0, 200, NULL, NULL, 2},
    /* rejected */
    {"truncated", "{\"hashes\": [", 0, 0, 400, "invalid_json", "truncated JSON", 0},
    {"trailing comma", "{\"hashes\":[\"" HA "\",]}", 0, 0, 400, "invalid_json", "invalid JSON", 0},
    {"duplicate key", "{\"hash\":\"" HA "\",\"hash\":\"" HA "\"}", 0, 0, 400, "invalid_json",
     "duplicate object key", 0},
    {"duplicate hashes key", "{\"hashes\":[\"" HA "\"],\"hashes\":[\"" HA "\"]}", 0, 0, 400,
     "invalid_json", "duplicate object key", 0},
    {"trailing data", "{\"hash\":\"" HA "\"} x", 0, 0, 400, "invalid_json", "trailing data", 0},
    {"NUL after the body", "{\"hash\":\"" HA "\"}\0", sizeof "{\"hash\":\"" HA "\"}", 0, 400,
     "invalid_json", "", 0},
    {"escaped NUL", "{\"hash\":\"\\u0000\"}", 0, 0, 400, "invalid_json", "NUL character", 0},
    {"invalid UTF-8", "{\"hash\":\"\xff\"}", 0, 0, 400, "invalid_json", "invalid UTF-8", 0},
    {"byte order mark", "\xef\xbb\xbf{\"hash\":\"" HA "\"}", 0, 0, 400, "invalid_json", "", 0},
    {"empty list", "{\"hashes\":[]}", 0, 0, 400, "invalid_request", "\"hashes\" is empty", 0},
    {"unknown member", "{\"hash\":\"" HA "\",\"x\":1}", 0, 0, 400, "invalid_request",
     "and nothing else", 0},
    {"both keys", "{\"hash\":\"" HA "\",\"hashes\":[\"" HA "\"]}", 0, 0, 400, "invalid_request",
     "and nothing else", 0},
    {"no key", "{}", 0, 0, 400, "invalid_request", "and nothing else", 0},
    {"top-level array", "[\"" HA "\"]", 0, 0, 400, "invalid_request", "and nothing else", 0},
    {"hashes a string", "{\"hashes\":\"" HA "\"}", 0, 0, 400, "invalid_request", "nothing else", 0},
    {"hash a list", "{\"hash\":[\"" HA "\"]}", 0, 0, 400, "invalid_request", "nothing else", 0},
    {"key in capitals", "{\"HASHES\":[\"" HA "\"]}", 0, 0, 400, "invalid_request", "nothing else", 0},
    {"number element", "{\"hashes\":[12]}", 0, 0, 400, "invalid_hash", "hashes[0]: not a string", 0},
    {"nested list", "{\"hashes\":[[\"" HA "\"]]}", 0, 0, 400, "invalid_hash", "not a string", 0},
    {"null element", "{\"hashes\":[\"" HA "\",null]}", 0, 0, 400, "invalid_hash",
     "hashes[1]: not a string", 0},
    {"63 digits", "{\"hashes\":[\"" HA "\",\"" HB63 "\"]}", 0, 0, 400, "invalid_hash",
     "hashes[1]: hex string has odd length 63", 0},
    {"65 digits", "{\"hash\":\"0" HA "\"}", 0, 0, 400, "invalid_hash", "odd length 65", 0},
    {"66 digits", "{\"hash\":\"00" HA "\"}", 0, 0, 400, "invalid_hash", "expected 32 bytes", 0},
    {"non-hex digit", "{\"hash\":\"g" HA63 "\"}", 0, 0, 400, "invalid_hash",
     "non-hex character at position 0", 0},
    {"zz prefix", "{\"hashes\":[\"" HA "\",\"zz" HA "\"]}", 0, 0, 400, "invalid_hash", "hashes[1]", 0},
    {"empty string", "{\"hash\":\"\"}", 0, 0, 400, "invalid_hash", "expected 32 bytes", 0},
    {"escaped non-hex", "{\"hash\":\"\\u0067" HA63 "\"}", 0, 0, 400, "invalid_hash", "non-hex", 0},
    {"over the limit", "{\"hash\":\"" HA "\"}", 0, 10, 413, "body_too_large",
     "exceeds the limit of 10 bytes", 0},
    {"one byte over", "{\"hash\":\"" HA "\"} ", 0, 75, 413, "body_too_large",
     "JSON document of 76 bytes exceeds the limit of 75 bytes", 0},
    {"too deep", "{\"hashes\":" DEEP,
     0, 0, 400, "json_too_deep", "nested deeper", 0},
    {"whitespace only", " \n", 0, 0, 400, "invalid_json", "", 0},
    {"single quotes", "{'hash':'" HA "'}", 0, 0, 400, "invalid_json", "invalid JSON", 0},
};

TEST(json_answers)
{
    for (size_t i = 0; i < sizeof g_json / sizeof g_json[0]; i++) {
        char buf[512];
        size_t len = g_json[i].len ? g_json[i].len : strlen(g_json[i].body);
        memcpy(buf, g_json[i].body, len);
        for (unsigned fl = 0; fl <= SUBMIT_BODY_NO_FAST; fl++) {
            struct submit_body sb;
            struct err e = {0};
            err_code rc = submit_body_parse_ex(buf, len, SUBMIT_BODY_JSON,
                                               g_json[i].max ? g_json[i].max : MAXB, fl, &sb, &e);
            bool ok;
            if (g_json[i].status == 200)
                ok = rc == E_OK && sb.n == g_json[i].n && sb.h;
            else
                ok = rc != E_OK && sb.status == g_json[i].status && !sb.h && sb.n == 0 &&
                     strcmp(sb.error, g_json[i].error) == 0 && strstr(e.msg, g_json[i].want);
            t_case(ok, g_json[i].name, "%s: rc %s, %d %s \"%s\"", fl ? "jansson-only" : "fast",
                   err_name(rc), sb.status, sb.error ? sb.error : "-", e.msg);
            submit_body_free(&sb);
        }
    }
}

/* A NUL byte anywhere inside an otherwise plain body: jansson refuses it
 * (raw control character), and the scanner must not take it either. */
TEST(json_nul_inside)
{
    char body[] = "{\"hashes\":[\"" HA "\",\"" HB "\"]}";
    size_t len = sizeof body - 1;
    for (size_t i = 0; i < len; i++) {
        char c = body[i];
        body[i] = '\0';
        struct submit_body sb;
        struct err e = {0};
        CHECKF(!submit_body_fast_json(body, len, MAXB, &sb), "scanner took a NUL at %zu", i);
        CHECKF(submit_body_parse(body, len, SUBMIT_BODY_JSON, MAXB, &sb, &e) != E_OK &&
                   sb.status == 400 && !sb.h,
               "NUL at %zu accepted", i);
        body[i] = c;
    }
}

TEST(json_hashes_in_order)
{
    const char *body = "{\"hashes\":[\"" HA "\",\"" HU "\",\"0x" HB "\"]}";
    struct submit_body sb;
    struct err e = {0};
    CHECK_OK(submit_body_parse(body, strlen(body), SUBMIT_BODY_JSON, MAXB, &sb, &e), &e);
    struct hash32 a = hx(HA), u = hx(HU), b = hx(HB);
    CHECK(sb.n == 3 && hash32_eq(&sb.h[0], &a) && hash32_eq(&sb.h[1], &u) &&
          hash32_eq(&sb.h[2], &b));
    submit_body_free(&sb);
    CHECK(sb.h == NULL && sb.n == 0);
    submit_body_free(NULL);
}

/* ---- the scanner's own acceptance ------------------------------------------------ */

TEST(fast_takes_the_plain_shape)
{
    static const char *const take[] = {
        "{\"hashes\":[\"" HA "\"]}",
        "{\"hashes\":[\"" HA "\",\"" HB "\",\"" HU "\"]}",
        " \t\r\n{ \"hashes\" : [ \"" HA "\" , \"" HB "\" ] } \n",
        "{\"hash\":\"" HA "\"}",
        "\n{\n\"hash\"\n:\n\"" HU "\"\n}\n",
    };
    for (size_t i = 0; i < sizeof take / sizeof take[0]; i++) {
        struct submit_body f, s;
        struct err e = {0};
        size_t len = strlen(take[i]);
        bool took = submit_body_fast_json(take[i], len, len, &f); /* the limit met exactly */
        bool ok = took && submit_body_parse_ex(take[i], len, SUBMIT_BODY_JSON, len,
                                               SUBMIT_BODY_NO_FAST, &s, &e) == E_OK &&
                  s.n == f.n && memcmp(s.h, f.h, s.n * sizeof *s.h) == 0;
        t_case(ok, take[i], "scanner took it: %d; %s", took, e.msg);
        if (took)
            submit_body_free(&f);
        submit_body_free(&s);
    }
}

TEST(fast_leaves_everything_else)
{
    static const char *const leave[] = {
        "", " ", "{", "{}", "[]", "{\"hashes\":[]}", "{\"hashes\":[ ]}",
        "{\"hashes\":[\"" HA "\",]}",             /* trailing comma */
        "{\"hashes\":[\"" HA "\"],}",
        "{\"hashes\":[\"" HA "\"]",               /* truncated */
        "{\"hashes\":[\"" HA "\"]}x",
        "{\"hashes\":[\"" HA "\"]}{}",
        "{\"hashes\":[\"0x" HA "\"]}",            /* prefix: jansson's */
        "{\"hashes\":[\"\\u0030" HA63 "\"]}",   /* escape inside */
        "{\"h\\u0061shes\":[\"" HA "\"]}",        /* escape in key */
        "{\"hashes\":[\"" HA "\"],\"hashes\":[\"" HA "\"]}",
        "{\"hashes\":[\"" HA "\"],\"x\":1}",
        "{\"x\":1,\"hashes\":[\"" HA "\"]}",
        "{\"hash\":\"" HA "\",\"hashes\":[\"" HA "\"]}",
        "{\"hashes\":\"" HA "\"}",
        "{\"hash\":[\"" HA "\"]}",
        "{\"hashes\":[[\"" HA "\"]]}",
        "{\"hashes\":[1]}",
        "{\"hashes\":[\"" HA "\",null]}",
        "{\"hashes\":[\"" HB63 "\"]}",          /* 63 digits */
        "{\"hashes\":[\"0" HA "\"]}",             /* 65 */
        "{\"hashes\":[\"g" HA63 "\"]}",
        "{\"hashes\":[\"" HA "\"\"" HB "\"]}",    /* no comma */
        "\xef\xbb\xbf{\"hash\":\"" HA "\"}",
        "\f{\"hash\":\"" HA "\"}",                /* not JSON whitespace */
        "\v{\"hash\":\"" HA "\"}",
        "{\"hash\":\"" HA "\"}\xc2\xa0",           /* nor is NBSP */
        "{\"Hash\":\"" HA "\"}",
        "{'hash':'" HA "'}",
    };
    for (size_t i = 0; i < sizeof leave / sizeof leave[0]; i++) {
        struct submit_body f;
        bool took = submit_body_fast_json(leave[i], strlen(leave[i]), MAXB, &f);
        t_case(!took && !f.h && f.n == 0, leave[i], "the scanner took it");
        submit_body_free(&f);
    }
    /* Over the limit by one byte: the 413 is jansson's to give. */
    const char *b = "{\"hash\":\"" HA "\"}";
    struct submit_body f;
    CHECK(!submit_body_fast_json(b, strlen(b), strlen(b) - 1, &f));
    CHECK(!submit_body_fast_json(NULL, 0, MAXB, &f));
    CHECK(!submit_body_fast_json(b, strlen(b), 0, &f));
}

/* ---- text/plain ------------------------------------------------------------------ */

static const struct {
    const char *name, *body;
    int status;
    const char *error, *want;
    size_t n;
} g_text[] = {
    {"one per line", HA "\n" HB "\n", 200, NULL, NULL, 2},
    {"comments, blanks, CRLF, tabs, 0x", "# hdr\r\n\r\n\t" HA " \r\n  0x" HU "\t\n#x\n", 200, NULL,
     NULL, 2},
    {"no final newline", HA, 200, NULL, NULL, 1},
    {"bad line named", "\n" HA "\nnothex\n", 400, "invalid_hash", "line 3: ", 0},
    {"63 digits", HA63 "\n", 400, "invalid_hash", "line 1: hex string has odd length 63", 0},
    {"two on a line", HA " " HB "\n", 400, "invalid_hash", "line 1: ", 0},
    {"JSON as text", "{\"hash\":\"" HA "\"}", 400, "invalid_hash", "line 1: ", 0},
    {"comment after a hash", HA " # x\n", 400, "invalid_hash", "line 1", 0},
    {"NUL in a line", HA "\n" HB, 200, NULL, NULL, 2}, /* patched below */
    {"only comments", "# a\n# b\n", 400, "invalid_request", "no hashes in the body", 0},
    {"only blanks", "\n \r\n\t\n", 400, "invalid_request", "no hashes in the body", 0},
    {"empty", "", 400, "invalid_request", "no hashes in the body", 0},
};

TEST(text_answers)
{
    for (size_t i = 0; i < sizeof g_text / sizeof g_text[0]; i++) {
        char buf[512];
        size_t len = strlen(g_text[i].body);
        memcpy(buf, g_text[i].body, len);
        int status = g_text[i].status;
        const char *error = g_text[i].error, *want = g_text[i].want;
        if (strcmp(g_text[i].name, "NUL in a line") == 0) {
            buf[65 + 4] = '\0'; /* inside the second hash */
            status = 400, error = "invalid_hash", want = "line 2: non-hex character at position 4";
        }
        struct submit_body sb;
        struct err e = {0};
        err_code rc = submit_body_parse(buf, len, SUBMIT_BODY_TEXT, 10, &sb, &e); /* limit unused */
        bool ok = status == 200 ? rc == E_OK && sb.n == g_text[i].n
                                : rc != E_OK && sb.status == status && !sb.h &&
                                      strcmp(sb.error, error) == 0 && strstr(e.msg, want);
        t_case(ok, g_text[i].name, "rc %s, %d %s \"%s\"", err_name(rc), sb.status,
               sb.error ? sb.error : "-", e.msg);
        submit_body_free(&sb);
    }
}

TEST(bad_arguments)
{
    struct submit_body sb;
    struct err e = {0};
    const char *b = "{\"hash\":\"" HA "\"}";
    CHECK_ERR(submit_body_parse_ex(b, strlen(b), SUBMIT_BODY_JSON, MAXB, 0x80, &sb, &e), &e,
              E_INVALID, "unknown flags");
    CHECK(!sb.h && sb.status == 400);
    CHECK_ERR(submit_body_parse(b, strlen(b), (enum submit_body_type)7, MAXB, &sb, &e), &e,
              E_INVALID, "unknown body type");
    CHECK_ERR(submit_body_parse(NULL, 0, SUBMIT_BODY_JSON, MAXB, &sb, &e), &e, E_INVALID,
              "empty document");
    CHECK(sb.status == 400 && strcmp(sb.error, "invalid_json") == 0);
    CHECK_ERR(submit_body_parse(NULL, 0, SUBMIT_BODY_TEXT, MAXB, &sb, &e), &e, E_INVALID,
              "no hashes");
}

/* ---- the differential property ------------------------------------------------ */

TEST(differential_generated_and_mutated)
{
    static const char SUBST[] = {'"', '\\', ',', ']', '[', '}', '{', ':', ' ', '\n', '0',
                                 'A',  'g',  'x', '\0', '\x80', '\xff', 'u', '\f'};
    static const char *const INSERT[] = {" ", ",", "\"", "\\u0061", "\\", "0x", "[", "]", "{}",
                                         "\"x\":1,", "\"hashes\":", "\0", "aa", "\t\r"};
    struct tally t = {0};
    char base[1024], m[1200];
    for (size_t k = 0; k < NBASE; k++) {
        size_t len = base_body(k, base, sizeof base);
        diff_one(&t, base, len, MAXB);
        diff_one(&t, base, len, len);     /* limit met exactly */
        diff_one(&t, base, len, len - 1); /* one byte over */
        for (size_t cut = 0; cut < len; cut++) /* every truncation */
            diff_one(&t, base, cut, MAXB);
        if (k % 5) /* the full mutation set on a fifth of the bases keeps this quick under ASan */
            continue;
        for (size_t i = 0; i < len; i++) {
            for (size_t s = 0; s < sizeof SUBST; s++) { /* substitute one byte */
                memcpy(m, base, len);
                m[i] = SUBST[s];
                diff_one(&t, m, len, MAXB);
            }
            memcpy(m, base, i); /* delete one byte */
            memcpy(m + i, base + i + 1, len - i - 1);
            diff_one(&t, m, len - 1, MAXB);
            for (size_t s = 0; s < sizeof INSERT / sizeof INSERT[0]; s++) { /* insert */
                size_t il = INSERT[s][0] ? strlen(INSERT[s]) : 1;
                memcpy(m, base, i);
                memcpy(m + i, INSERT[s], il);
                memcpy(m + i + il, base + i, len - i);
                diff_one(&t, m, len + il, MAXB);
            }
        }
    }
    printf("  differential: %zu bodies, %zu taken by the scanner, %zu disagreements\n", t.bodies,
           t.fast, t.bad);
    CHECK(t.bad == 0);
    CHECK(t.fast >= NBASE * 2); /* every base at least twice: the scanner is exercised */
    CHECK(t.fast < t.bodies / 4);
}

static uint64_t g_rng = 0x9e3779b97f4a7c15u;
static uint64_t rnd(void)
{
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return g_rng;
}

/* Bodies assembled from JSON-ish tokens, most of them close to the shape. */
TEST(differential_token_soup)
{
    static const char *const TOK[] = {
        "{", "}", "[", "]", ",", ":", " ", "\n", "\"hashes\"", "\"hash\"", "\"x\"",
        "\"" HA "\"", "\"" HB "\"", "\"" HU "\"", "\"0x" HA "\"", "\"" HA63 "\"",
        "\"0" HA "\"", "\"\\u0041" HA63 "\"", "\"\\/" HA62 "\"", "1", "null", "true", "\"\"",
        "\"" HA, HA, "\\", "\t", "\r\n", "-0", "1e400", "\"\xc3\xa9\"",
    };
    static const char *const SHAPE[][2] = {{"{\"hashes\":[", "]}"}, {"{\"hash\":", "}"},
                                           {"", ""}};
    struct tally t = {0};
    char m[4096];
    for (int iter = 0; iter < 20000; iter++) {
        size_t sh = rnd() % 3, o = 0, ntok = 1 + rnd() % 12;
        o += (size_t)snprintf(m + o, sizeof m - o, "%s", SHAPE[sh][0]);
        for (size_t i = 0; i < ntok; i++) {
            /* mostly hashes and commas inside the list shape, anything otherwise */
            const char *tk = sh == 0 && rnd() % 3 ? (i % 2 ? "," : "\"" HA "\"")
                                                   : TOK[rnd() % (sizeof TOK / sizeof TOK[0])];
            o += (size_t)snprintf(m + o, sizeof m - o, "%s", tk);
        }
        o += (size_t)snprintf(m + o, sizeof m - o, "%s", SHAPE[sh][1]);
        diff_one(&t, m, o, rnd() % 8 ? MAXB : o - rnd() % 2);
    }
    printf("  token soup: %zu bodies, %zu taken by the scanner, %zu disagreements\n", t.bodies,
           t.fast, t.bad);
    CHECK(t.bad == 0);
    CHECK(t.fast > 100);
}

/* 100,000 hashes: the same hashes both ways; the limit and a bad last
 * element answered alike. */
TEST(differential_huge)
{
    size_t n = 100000, cap = 16 + n * 70;
    char *b = malloc(cap);
    CHECK(b);
    size_t o = (size_t)sprintf(b, "{\"hashes\": [");
    for (size_t i = 0; i < n; i++) {
        struct hash32 h = {{0}};
        memcpy(h.b, &i, sizeof i);
        h.b[31] = (uint8_t)(i * 7);
        char hex[65];
        hash32_to_hex(&h, hex);
        if (i % 3 == 0) /* some upper case */
            for (char *c = hex; *c; c++)
                *c = *c >= 'a' ? (char)(*c - 32) : *c;
        o += (size_t)sprintf(b + o, "%s\"%s\"", i ? (i % 2 ? ",\n" : ", ") : "", hex);
    }
    o += (size_t)sprintf(b + o, "]}\n");
    struct tally t = {0};
    diff_one(&t, b, o, MAXB);
    diff_one(&t, b, o, o - 1);
    CHECK(t.fast == 1 && t.bad == 0);

    struct submit_body sb;
    struct err e = {0};
    CHECK_OK(submit_body_parse(b, o, SUBMIT_BODY_JSON, MAXB, &sb, &e), &e);
    CHECK(sb.n == n);
    size_t last = n - 1;
    CHECK(memcmp(sb.h[last].b, &last, sizeof last) == 0 && sb.h[last].b[31] == (uint8_t)(last * 7));
    submit_body_free(&sb);

    b[o - 5] = 'g'; /* the last digit of the last hash */
    diff_one(&t, b, o, MAXB);
    CHECK(t.bad == 0 && t.fast == 1);
    CHECK_ERR(submit_body_parse(b, o, SUBMIT_BODY_JSON, MAXB, &sb, &e), &e, E_INVALID,
              "hashes[99999]: non-hex character at position 63");
    CHECK(strcmp(sb.error, "invalid_hash") == 0);
    free(b);
}

/* text/plain decodes the common 64-digit line directly: every single-byte
 * change of such a line (and of its 0x form) must get exactly the answer
 * hex_decode_exact gives, as before the direct decoding. */
TEST(text_line_matches_hex_decode_exact)
{
    size_t bad = 0, cases = 0;
    for (int form = 0; form < 2; form++) {
        char line[80];
        size_t len = (size_t)snprintf(line, sizeof line, "%s%s", form ? "0x" : "", HU);
        for (size_t i = 0; i < len; i++) {
            for (int c = 0; c < 256; c++) {
                if (c == '\n' || c == '\r' || c == ' ' || c == '\t' || c == '#')
                    continue; /* line structure, tested above */
                char m[80];
                memcpy(m, line, len);
                m[i] = (char)c;
                struct hash32 want;
                struct err ew = {0}, e = {0};
                err_code rw = hex_decode_exact(m, len, true, want.b, 32, &ew);
                struct submit_body sb;
                err_code rc = submit_body_parse(m, len, SUBMIT_BODY_TEXT, 0, &sb, &e);
                char expect[600];
                snprintf(expect, sizeof expect, "line 1: %s", ew.msg);
                bool ok = rw == E_OK ? rc == E_OK && sb.n == 1 && hash32_eq(&sb.h[0], &want)
                                     : rc == rw && strcmp(e.msg, expect) == 0 &&
                                           strcmp(sb.error, "invalid_hash") == 0;
                cases++;
                if (!ok && bad++ < 5)
                    t_fail(__FILE__, __LINE__, "line %s: rc %s \"%s\", hex_decode_exact %s \"%s\"",
                           show(m, len), err_name(rc), e.msg, err_name(rw), ew.msg);
                submit_body_free(&sb);
            }
        }
    }
    CHECK(bad == 0 && cases > 30000);
}
