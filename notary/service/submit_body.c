/*
 * notary/service/submit_body.c — POST /v1/hashes bodies into hashes; see
 * submit_body.h for the contract.
 *
 * The fast path (json_fast) is a recogniser, not a parser: it walks one
 * fixed grammar,
 *
 *   ws '{' ws '"hashes"' ws ':' ws '[' ws STR (ws ',' ws STR)* ws ']' ws '}' ws
 *   ws '{' ws '"hash"' ws ':' ws STR ws '}' ws
 *   STR = '"' 64 x [0-9a-fA-F] '"',   ws = [ \t\n\r]*   (RFC 8259 §2)
 *
 * and gives up at the first byte outside it. Every sentence of this grammar
 * is valid JSON with no duplicate key, depth 2, ASCII only, so jstrict_parse
 * accepts it, and the shape checks of json_jansson accept it with the same
 * hashes (hex_decode_exact takes both cases of digit, as the table here
 * does). Anything else is left to json_jansson, which makes every decision
 * to reject — so error codes and messages cannot depend on which path ran.
 */
#include "notary/service/submit_body.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"

#define HEX_BAD 0xF0 /* any of the high bits set: not a hex digit */

/* Hex digit values; HEX_BAD for every other byte. */
#define X HEX_BAD
static const uint8_t HEXV[256] = {
     X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X, /* 0x00 */
     X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X, /* 0x10 */
     X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X, /* 0x20 */
     0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  X,  X,  X,  X,  X,  X, /* 0x30 */
     X, 10, 11, 12, 13, 14, 15,  X,  X,  X,  X,  X,  X,  X,  X,  X, /* 0x40 */
     X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X, /* 0x50 */
     X, 10, 11, 12, 13, 14, 15,  X,  X,  X,  X,  X,  X,  X,  X,  X, /* 0x60 */
     X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X, /* 0x70 */
     X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X, /* 0x80 */
     X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X, /* 0x90 */
     X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X, /* 0xa0 */
     X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X, /* 0xb0 */
     X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X, /* 0xc0 */
     X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X, /* 0xd0 */
     X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X, /* 0xe0 */
     X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X, /* 0xf0 */
};
#undef X

static err_code fail(struct submit_body *out, err_code rc, int status, const char *error)
{
    free(out->h);
    out->h = NULL;
    out->n = 0;
    out->status = status;
    out->error = error;
    return rc;
}

void submit_body_json_refusal(const char *body, size_t len, err_code rc, const char *invalid_code,
                              unsigned *status, const char **code, struct err *e)
{
    struct err de = {0};
    if (rc == E_LIMIT && body && jstrict_check_depth(body, len, &de) != E_OK) {
        *status = 400;
        *code = "json_too_deep";
        if (e)
            err_set(e, E_LIMIT, "%s", de.msg);
    } else if (rc == E_LIMIT) {
        *status = 413;
        *code = "body_too_large";
    } else {
        *status = 400;
        *code = invalid_code;
    }
}

static err_code fail_nomem(struct submit_body *out, struct err *e)
{
    err_set(e, E_NOMEM, "out of memory");
    return fail(out, E_NOMEM, 503, "unavailable");
}

/* ---- the fast path ------------------------------------------------------------ */

static const char *skip_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

/* Exactly 64 hex digits (either case) at p into *h; false if any is not
 * one (then *h is garbage). Branch-free over the digits: one table load
 * each, validity checked once at the end. */
static bool hex64(const char *s, struct hash32 *h)
{
    const unsigned char *p = (const unsigned char *)s;
    uint8_t bad = 0;
    for (int i = 0; i < 32; i++) {
        uint8_t hi = HEXV[p[2 * i]], lo = HEXV[p[2 * i + 1]];
        bad |= hi | lo;
        h->b[i] = (uint8_t)(hi << 4 | lo);
    }
    return (bad & HEX_BAD) == 0;
}

/* STR at *pp: a quote, 64 hex digits, a quote, decoded into *h. */
static bool fast_hash(const char **pp, const char *end, struct hash32 *h)
{
    const char *p = *pp;
    if (end - p < 66 || p[0] != '"' || p[65] != '"' || !hex64(p + 1, h))
        return false;
    *pp += 66;
    return true;
}

static bool lit(const char **pp, const char *end, const char *s, size_t n)
{
    if ((size_t)(end - *pp) < n || memcmp(*pp, s, n) != 0)
        return false;
    *pp += n;
    return true;
}

bool submit_body_fast_json(const char *body, size_t len, size_t max_body,
                           struct submit_body *out)
{
    memset(out, 0, sizeof *out);
    /* Bodies over the limit are the jansson path's to refuse (413). */
    if (!body || len == 0 || len > max_body)
        return false;
    const char *p = body, *end = body + len;
    p = skip_ws(p, end);
    if (!lit(&p, end, "{", 1))
        return false;
    p = skip_ws(p, end);
    bool many;
    if (lit(&p, end, "\"hashes\"", 8))
        many = true;
    else if (lit(&p, end, "\"hash\"", 6))
        many = false;
    else
        return false;
    p = skip_ws(p, end);
    if (!lit(&p, end, ":", 1))
        return false;
    p = skip_ws(p, end);
    if (many && !lit(&p, end, "[", 1))
        return false;
    /* n elements take at least 66 n + (n - 1) bytes (quotes, digits,
     * commas): an upper bound on the count without a first pass. */
    size_t cap = many ? ((size_t)(end - p) + 1) / 67 : 1;
    if (cap == 0) /* too short for even one: e.g. [] */
        return false;
    struct hash32 *h = malloc(cap * sizeof *h);
    if (!h)
        return false;
    size_t n = 0;
    for (;;) {
        p = skip_ws(p, end);
        if (n == cap || !fast_hash(&p, end, &h[n]))
            goto decline;
        n++;
        if (!many)
            break;
        p = skip_ws(p, end);
        if (lit(&p, end, ",", 1))
            continue;
        if (lit(&p, end, "]", 1))
            break;
        goto decline;
    }
    p = skip_ws(p, end);
    if (!lit(&p, end, "}", 1))
        goto decline;
    if (skip_ws(p, end) != end)
        goto decline;
    out->h = h;
    out->n = n;
    return true;
decline:
    free(h);
    return false;
}

/* ---- the jansson path ------------------------------------------------------------ */

/* {"hashes": ["<hex>", ...]} or {"hash": "<hex>"}: jansson decides. */
static err_code json_jansson(const char *body, size_t len, size_t max_body,
                             struct submit_body *out, struct err *e)
{
    json_t *root;
    err_code rc = jstrict_parse(body, len, max_body, 0, &root, e);
    if (rc) { /* only the size limit is a 413, anything else (even E_NOMEM) a 400 */
        unsigned status;
        const char *code;
        submit_body_json_refusal(body, len, rc, "invalid_json", &status, &code, e);
        return fail(out, rc, (int)status, code);
    }
    const char *key;
    json_t *v, *list = NULL, *one = NULL;
    bool ok = json_is_object(root);
    json_object_foreach(root, key, v) {
        if (strcmp(key, "hashes") == 0 && json_is_array(v))
            list = v;
        else if (strcmp(key, "hash") == 0 && json_is_string(v))
            one = v;
        else
            ok = false;
    }
    if (!ok || (list != NULL) == (one != NULL)) {
        json_decref(root);
        err_set(e, E_INVALID,
                "the body must be {\"hashes\": [\"<64 hex digits>\", ...]} or "
                "{\"hash\": \"<64 hex digits>\"} and nothing else");
        return fail(out, E_INVALID, 400, "invalid_request");
    }
    size_t n = list ? json_array_size(list) : 1;
    if (n == 0) {
        json_decref(root);
        err_set(e, E_INVALID, "\"hashes\" is empty: nothing to submit");
        return fail(out, E_INVALID, 400, "invalid_request");
    }
    out->h = malloc(n * sizeof *out->h);
    if (!out->h) {
        json_decref(root);
        return fail_nomem(out, e);
    }
    for (size_t i = 0; i < n; i++) {
        json_t *s = list ? json_array_get(list, i) : one;
        struct err he = {0};
        if (!json_is_string(s) || hash32_from_hex(json_string_value(s), &out->h[i], &he) != E_OK) {
            err_set(e, E_INVALID, "hashes[%zu]: %s", i, json_is_string(s) ? he.msg : "not a string");
            json_decref(root);
            return fail(out, E_INVALID, 400, "invalid_hash");
        }
    }
    json_decref(root);
    out->n = n;
    return E_OK;
}

/* ---- text/plain ----------------------------------------------------------------- */

/* One hex hash per line; blank lines and '#' comments skipped. */
static err_code text_lines(const char *p, size_t len, struct submit_body *out, struct err *e)
{
    size_t lines = 1;
    for (size_t i = 0; i < len; i++)
        lines += p[i] == '\n';
    out->h = malloc(lines * sizeof *out->h);
    if (!out->h)
        return fail_nomem(out, e);
    const char *end = p + len;
    size_t n = 0, line = 0;
    while (p < end) {
        line++;
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end, *q = le;
        while (q > p && (q[-1] == '\r' || q[-1] == ' ' || q[-1] == '\t'))
            q--;
        while (p < q && (*p == ' ' || *p == '\t'))
            p++;
        if (q > p && *p != '#') {
            struct err he = {0};
            /* The common line, 64 digits, decoded directly; hex_decode_exact
             * (0x prefix, the error message) for everything else. */
            if ((q - p != 64 || !hex64(p, &out->h[n])) &&
                hex_decode_exact(p, (size_t)(q - p), true, out->h[n].b, 32, &he)) {
                err_set(e, E_INVALID, "line %zu: %s", line, he.msg);
                return fail(out, E_INVALID, 400, "invalid_hash");
            }
            n++;
        }
        p = le + 1;
    }
    if (n == 0) {
        err_set(e, E_INVALID, "no hashes in the body");
        return fail(out, E_INVALID, 400, "invalid_request");
    }
    out->n = n;
    return E_OK;
}

/* ---- entry points ----------------------------------------------------------------- */

err_code submit_body_parse_ex(const char *body, size_t len, enum submit_body_type type,
                              size_t max_body, unsigned flags, struct submit_body *out,
                              struct err *e)
{
    memset(out, 0, sizeof *out);
    if (flags & ~(unsigned)SUBMIT_BODY_NO_FAST) {
        err_set(e, E_INVALID, "submit_body_parse_ex: unknown flags 0x%x", flags);
        return fail(out, E_INVALID, 400, "invalid_request");
    }
    if (type == SUBMIT_BODY_TEXT)
        return text_lines(body ? body : "", body ? len : 0, out, e);
    if (type != SUBMIT_BODY_JSON) {
        err_set(e, E_INVALID, "submit_body_parse: unknown body type %d", (int)type);
        return fail(out, E_INVALID, 400, "invalid_request");
    }
    if (!(flags & SUBMIT_BODY_NO_FAST) && submit_body_fast_json(body, len, max_body, out))
        return E_OK;
    return json_jansson(body, len, max_body, out, e);
}

err_code submit_body_parse(const char *body, size_t len, enum submit_body_type type,
                           size_t max_body, struct submit_body *out, struct err *e)
{
    return submit_body_parse_ex(body, len, type, max_body, 0, out, e);
}

void submit_body_free(struct submit_body *out)
{
    if (!out)
        return;
    free(out->h);
    memset(out, 0, sizeof *out);
}
