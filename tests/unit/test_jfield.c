/*
 * tests/unit/test_jfield.c — the strict JSON field reader (core/jfield.h):
 * every rule in both wordings, message by message, whole. Proof bundles
 * (full wording) and revocation logs (terse) read through these functions,
 * and users, scripts and docs see these texts: a changed word fails here.
 */
#include <stdlib.h>

#include "core/jfield.h"
#include "core/json.h"
#include "tests/harness.h"

enum op { GET_OBJ, GET_ARR, STR, UINT0, UINT1, HEX2, HEX2_0X, NOTE, KNOWN, IS_STR, NO_SIGN };

/* Apply `op` to the member `key` of the object `doc` at path `where`
 * (hex reads 2 bytes; a note is 1..5 bytes; known members are "a", "b"). */
static const struct {
    const char *name;
    bool terse;
    const char *doc;
    enum op op;
    const char *where, *key;
    const char *want; /* the whole message, or NULL for E_OK */
} g_cases[] = {
    /* required members and their type */
    {"missing", false, "{}", STR, "batch", "kind", "t.json: batch.kind is missing"},
    {"missing top", false, "{}", GET_OBJ, "", "credential", "t.json: credential is missing"},
    {"missing terse", true, "{}", GET_ARR, "log", "entries", "t.json: log.entries is missing"},
    {"type", false, "{\"k\":17}", STR, "b", "k", "t.json: b.k must be a string, got an integer"},
    {"type terse", true, "{\"k\":17}", STR, "b", "k", "t.json: b.k must be a string"},
    {"type top", false, "{\"k\":[]}", GET_OBJ, "", "k",
     "t.json: k must be an object, got an array"},
    {"type null", false, "{\"k\":null}", GET_ARR, "b", "k",
     "t.json: b.k must be an array, got null"},
    {"string ok", false, "{\"k\":\"x\"}", STR, "b", "k", NULL},
    {"element type", false, "{\"k\":true}", IS_STR, "", "k",
     "t.json: p[3] must be a string, got a boolean"},
    {"element type terse", true, "{\"k\":true}", IS_STR, "", "k", "t.json: p[3] must be a string"},
    /* unsigned integers */
    {"uint ok", false, "{\"n\":9007199254740992}", UINT0, "b", "n", NULL},
    {"uint ok terse", true, "{\"n\":0}", UINT0, "b", "n", NULL},
    {"uint fraction", false, "{\"n\":42.5}", UINT0, "b", "n",
     "t.json: b.n must be a JSON integer (no fraction or exponent), got 42.5"},
    {"uint exponent", false, "{\"n\":1e2}", UINT0, "b", "n",
     "t.json: b.n must be a JSON integer (no fraction or exponent), got 100"},
    {"uint fraction terse", true, "{\"n\":1.0}", UINT0, "b", "n",
     "t.json: b.n must be a JSON integer"},
    {"uint string", false, "{\"n\":\"17\"}", UINT0, "b", "n",
     "t.json: b.n must be a JSON integer, got a string"},
    {"uint negative", false, "{\"n\":-1}", UINT0, "b", "n",
     "t.json: b.n must not be negative, got -1"},
    {"uint negative terse", true, "{\"n\":-1}", UINT0, "b", "n",
     "t.json: b.n must be in 0..2^53, got -1"},
    {"uint below min", false, "{\"n\":0}", UINT1, "b", "n",
     "t.json: b.n must be in 1..2^53, got 0"},
    {"uint below min terse", true, "{\"n\":0}", UINT1, "b", "n",
     "t.json: b.n must be in 1..2^53, got 0"},
    {"uint above 2^53", true, "{\"n\":9007199254740993}", UINT0, "b", "n",
     "t.json: b.n must be in 0..2^53, got 9007199254740993"},
    /* hex of an exact length */
    {"hex ok", false, "{\"h\":\"ab0f\"}", HEX2, "b", "h", NULL},
    {"hex 0x ok terse", true, "{\"h\":\"0xab0f\"}", HEX2_0X, "b", "h", NULL},
    {"hex upper", false, "{\"h\":\"aBcd\"}", HEX2, "b", "h",
     "t.json: b.h must be lowercase hex (uppercase digit at position 1)"},
    {"hex upper 0x", false, "{\"h\":\"0xabCd\"}", HEX2_0X, "b", "h",
     "t.json: b.h must be lowercase hex (uppercase digit at position 4)"},
    {"hex upper terse", true, "{\"h\":\"aBcd\"}", HEX2, "b", "h",
     "t.json: b.h must be lowercase hex"},
    /* the full wording names a length error before case, the terse one after */
    {"hex upper odd", false, "{\"h\":\"ABC\"}", HEX2, "b", "h",
     "t.json: b.h: hex string has odd length 3"},
    {"hex upper odd terse", true, "{\"h\":\"ABC\"}", HEX2, "b", "h",
     "t.json: b.h must be lowercase hex"},
    {"hex long", true, "{\"h\":\"abcdef\"}", HEX2, "b", "h",
     "t.json: b.h: expected 2 bytes (4 hex digits), got 3 bytes"},
    {"hex not hex", false, "{\"h\":\"abgd\"}", HEX2, "b", "h",
     "t.json: b.h: non-hex character at position 2 of hex string"},
    {"hex has 0x", false, "{\"h\":\"0xabcd\"}", HEX2, "b", "h",
     "t.json: b.h must be 4 hex digits without a \"0x\" prefix"},
    {"hex has 0X", false, "{\"h\":\"0Xabcd\"}", HEX2, "b", "h",
     "t.json: b.h must be 4 hex digits without a \"0x\" prefix"},
    {"hex has 0x terse", true, "{\"h\":\"0xabcd\"}", HEX2, "b", "h",
     "t.json: b.h must be 4 lowercase hex digits"},
    {"hex has 0X terse", true, "{\"h\":\"0Xabcd\"}", HEX2, "b", "h",
     "t.json: b.h: non-hex character at position 1 of hex string"},
    {"hex lacks 0x", false, "{\"h\":\"abcd\"}", HEX2_0X, "b", "h",
     "t.json: b.h must be \"0x\" followed by 4 hex digits"},
    {"hex 0X for 0x", false, "{\"h\":\"0Xabcd\"}", HEX2_0X, "b", "h",
     "t.json: b.h must be \"0x\" followed by 4 hex digits"},
    {"hex lacks 0x terse", true, "{\"h\":\"abcd\"}", HEX2_0X, "b", "h",
     "t.json: b.h must be \"0x\" and 4 lowercase hex digits"},
    {"hex not a string", false, "{\"h\":12}", HEX2, "b", "h",
     "t.json: b.h must be a string, got an integer"},
    /* optional bounded strings */
    {"note absent", true, "{}", NOTE, "e[0]", "note", NULL},
    {"note ok", true, "{\"note\":\"12345\"}", NOTE, "e[0]", "note", NULL},
    {"note empty", true, "{\"note\":\"\"}", NOTE, "e[0]", "note",
     "t.json: e[0].note must be 1..5 bytes (omit it for none), got 0"},
    {"note long", true, "{\"note\":\"123456\"}", NOTE, "e[0]", "note",
     "t.json: e[0].note must be 1..5 bytes (omit it for none), got 6"},
    {"note type", true, "{\"note\":7}", NOTE, "e[0]", "note", "t.json: e[0].note must be a string"},
    /* closed objects */
    {"known", false, "{\"a\":1,\"b\":2}", KNOWN, "", "", NULL},
    {"unknown top", false, "{\"a\":1,\"zz\":2}", KNOWN, "", "",
     "t.json: unknown field \"zz\" at the top level (version 1 is closed; it allows only a, b)"},
    {"unknown in", false, "{\"B\":1}", KNOWN, "batch", "",
     "t.json: unknown field \"B\" in batch (version 1 is closed; it allows only a, b)"},
    {"unknown terse", true, "{\"x\\u001b[2J\":1}", KNOWN, "the top level", "",
     "t.json: unknown field \"x?[2J\" in the top level (version 1 is closed)"},
    /* one spelling of zero */
    {"minus zero", false, "{\"a\":{\"b\":[1,-0]}}", NO_SIGN, "", "",
     "t.json: a.b[1] must be an unsigned integer written without a sign, got -0"},
    {"minus zero real", true, "{\"a\":-0.0e0}", NO_SIGN, "", "",
     "t.json: a must be an unsigned integer written without a sign, got -0.0e0"},
    {"minus one", false, "{\"a\":-1,\"b\":-0.5}", NO_SIGN, "", "", NULL},
};

static err_code apply(size_t i, const char *text, json_t *doc, struct err *e)
{
    struct jfield c = {"t.json", "version 1 is closed", g_cases[i].terse, e};
    static const char *const known[] = {"a", "b", NULL};
    const char *w = g_cases[i].where, *k = g_cases[i].key, *s;
    json_t *v;
    uint64_t u;
    uint8_t h[2];
    size_t n;
    switch (g_cases[i].op) {
    case GET_OBJ:
        return jfield_get(&c, doc, w, k, JSON_OBJECT, &v);
    case GET_ARR:
        return jfield_get(&c, doc, w, k, JSON_ARRAY, &v);
    case STR:
        return jfield_string(&c, doc, w, k, &s);
    case UINT0:
        return jfield_uint(&c, doc, w, k, 0, &u);
    case UINT1:
        return jfield_uint(&c, doc, w, k, 1, &u);
    case HEX2:
        return jfield_hex(&c, doc, w, k, false, h, sizeof h);
    case HEX2_0X:
        return jfield_hex(&c, doc, w, k, true, h, sizeof h);
    case NOTE:
        return jfield_opt_string(&c, doc, w, k, 1, 5, &s, &n);
    case KNOWN:
        return jfield_only_known(&c, doc, w, known);
    case IS_STR:
        return jfield_is(&c, json_object_get(doc, k), "p[3]", JSON_STRING);
    case NO_SIGN:
        return jfield_no_signed_zero(&c, text, strlen(text));
    }
    return E_INVALID;
}

TEST(messages_whole)
{
    for (size_t i = 0; i < sizeof g_cases / sizeof g_cases[0]; i++) {
        struct err e = {0};
        json_t *doc = NULL;
        const char *text = g_cases[i].doc;
        if (jstrict_parse(text, strlen(text), 4096, 0, &doc, &e)) {
            t_case(false, g_cases[i].name, "test document: %s", e.msg);
            continue;
        }
        err_code rc = apply(i, text, doc, &e);
        json_decref(doc);
        const char *want = g_cases[i].want;
        if (!want)
            t_case(rc == E_OK, g_cases[i].name, "want E_OK, got %s: %s", err_name(rc), e.msg);
        else
            t_case(rc == E_INVALID && strcmp(e.msg, want) == 0, g_cases[i].name,
                   "want E_INVALID \"%s\", got %s \"%s\"", want, err_name(rc), e.msg);
    }
}

TEST(values_read)
{
    struct err e = {0};
    struct jfield c = {"t.json", "closed", false, &e};
    const char *text = "{\"n\":9007199254740992,\"h\":\"0x0aff\",\"s\":\"hi\",\"note\":\"abc\"}";
    json_t *doc = NULL;
    CHECK_OK(jstrict_parse(text, strlen(text), 4096, 0, &doc, &e), &e);
    uint64_t u = 0;
    uint8_t h[2] = {0};
    const char *s = NULL, *note = NULL;
    size_t n = 0;
    err_code rc = jfield_uint(&c, doc, "", "n", 1, &u);
    if (!rc)
        rc = jfield_hex(&c, doc, "", "h", true, h, 2);
    if (!rc)
        rc = jfield_string(&c, doc, "", "s", &s);
    if (!rc)
        rc = jfield_opt_string(&c, doc, "", "note", 1, 3, &note, &n);
    bool ok = !rc && u == JFIELD_MAX_UINT && h[0] == 0x0a && h[1] == 0xff && s &&
              strcmp(s, "hi") == 0 && note && n == 3 && strcmp(note, "abc") == 0;
    json_decref(doc);
    CHECKF(ok, "values not read back: %s", e.msg);
}

TEST(printable_cuts)
{
    char out[12];
    CHECK_STREQ(jfield_printable("ab\x01" "c", out, sizeof out), "ab?c");
    CHECK_STREQ(jfield_printable("0123456789abcdef", out, sizeof out), "01234567...");
}

/* jfield_load: strict parsing with the document's name, then no "-0". */
TEST(load_names_the_document)
{
    struct err e = {0};
    struct jfield c = {"t.json", "closed", true, &e};
    json_t *top = (json_t *)1;
    const char *dup = "{\"a\":1,\"a\":2}";
    CHECK_ERR(jfield_load(&c, dup, strlen(dup), 100, &top), &e, E_INVALID,
              "t.json: duplicate object key at line 1");
    CHECK(top == NULL);
    CHECK_ERR(jfield_load(&c, dup, strlen(dup), 5, &top), &e, E_LIMIT, "t.json: JSON document of");
    CHECK_ERR(jfield_load(&c, NULL, 3, 100, &top), &e, E_INVALID, "t.json: invalid JSON: empty");
    const char *neg = "{\"a\":[-0]}";
    top = (json_t *)1;
    CHECK_ERR(jfield_load(&c, neg, strlen(neg), 100, &top), &e, E_INVALID,
              "t.json: a[0] must be an unsigned integer written without a sign, got -0");
    CHECK(top == NULL);
    const char *ok = "{\"a\":[0,-1]}";
    CHECK_OK(jfield_load(&c, ok, strlen(ok), 100, &top), &e);
    CHECK(top && json_array_size(json_object_get(top, "a")) == 2);
    json_decref(top);
}
