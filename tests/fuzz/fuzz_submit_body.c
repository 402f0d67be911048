/*
 * tests/fuzz/fuzz_submit_body.c — libFuzzer target: POST /v1/hashes bodies
 * (notary/service/submit_body.h).
 *
 * The fast scanner may only ever say "accepted, these hashes" or "not
 * mine"; jansson decides everything else. So the oracle is differential:
 * each input, as a JSON body, is parsed with the scanner and without it
 * (SUBMIT_BODY_NO_FAST), and the two answers must be identical — the same
 * hashes, or the same return code, HTTP status, error code and message.
 * The body limit is the input's own length, one byte less, or 1 MiB, chosen
 * by the length, so the 413 boundary is crossed both ways. The same bytes
 * are also parsed as a text/plain body and compared with text_reference()
 * below: the line loop as it was in serve.c, every line through
 * hex_decode_exact (the module decodes 64-digit lines directly).
 *
 * Properties (violations abort): the two JSON answers agree; the text
 * answer agrees with the reference; a success has n >= 1 hashes, a failure
 * none and a status and error code.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"

#include "notary/service/submit_body.h"

/* Invariants of any answer. */
static void check_shape(err_code rc, const struct submit_body *sb)
{
    if (rc == E_OK) {
        REQUIRE(sb->n >= 1 && sb->h != NULL);
    } else {
        REQUIRE(sb->n == 0 && sb->h == NULL && sb->error != NULL);
        REQUIRE(sb->status == 400 || sb->status == 413 || sb->status == 503);
    }
}

/* text/plain the slow, obvious way, by index and written apart from
 * notary/service/submit_body.c: same skipping rules (trailing CR, spaces and
 * tabs, leading spaces and tabs, blank lines, '#' comments),
 * hex_decode_exact for every line. Returns the hash count, or 0 with *msg
 * set on the first bad line (or no hash at all). *h has room for one hash
 * per line. */
static size_t text_reference(const char *p, size_t len, struct hash32 *h, char *msg, size_t msz)
{
    size_t n = 0, line = 0, start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && p[i] != '\n')
            continue;
        size_t a = start, b = i; /* this line is p[a, b) */
        start = i + 1;
        line++;
        while (b > a && memchr("\r \t", p[b - 1], 3))
            b--;
        while (a < b && memchr(" \t", p[a], 2))
            a++;
        if (a == b || p[a] == '#')
            continue;
        struct err e = {0};
        if (hex_decode_exact(p + a, b - a, true, h[n].b, 32, &e)) {
            snprintf(msg, msz, "line %zu: %s", line, e.msg);
            return 0;
        }
        n++;
    }
    if (n == 0)
        snprintf(msg, msz, "no hashes in the body");
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *body = (const char *)data;
    size_t max = size % 3 == 0 ? size : size % 3 == 1 && size ? size - 1 : 1u << 20;

    struct submit_body a, b;
    struct err ea = {0}, eb = {0};
    err_code ra = submit_body_parse_ex(body, size, SUBMIT_BODY_JSON, max, 0, &a, &ea);
    err_code rb = submit_body_parse_ex(body, size, SUBMIT_BODY_JSON, max, SUBMIT_BODY_NO_FAST, &b,
                                       &eb);
    check_shape(ra, &a);
    check_shape(rb, &b);
    if (ra != rb || (ra == E_OK && (a.n != b.n || memcmp(a.h, b.h, a.n * sizeof *a.h) != 0)) ||
        (ra != E_OK && (a.status != b.status || strcmp(a.error, b.error) != 0 ||
                        strcmp(ea.msg, eb.msg) != 0))) {
        fprintf(stderr,
                "fuzz_submit_body: scanner and jansson disagree (max %zu):\n"
                "  with scanner: %s %d %s n=%zu \"%s\"\n  jansson only: %s %d %s n=%zu \"%s\"\n",
                max, err_name(ra), a.status, a.error ? a.error : "-", a.n, ea.msg, err_name(rb),
                b.status, b.error ? b.error : "-", b.n, eb.msg);
        abort();
    }
    /* Whatever the scanner takes, it takes exactly as the full parse does. */
    struct submit_body f;
    if (submit_body_fast_json(body, size, max, &f)) {
        REQUIRE(rb == E_OK && f.n == b.n && memcmp(f.h, b.h, f.n * sizeof *f.h) == 0);
        submit_body_free(&f);
    }
    submit_body_free(&a);
    submit_body_free(&b);

    struct submit_body t;
    struct err et = {0};
    err_code rt = submit_body_parse(body, size, SUBMIT_BODY_TEXT, max, &t, &et);
    check_shape(rt, &t);
    size_t lines = 1;
    for (size_t i = 0; i < size; i++)
        lines += body[i] == '\n';
    struct hash32 *ref = malloc(lines * sizeof *ref);
    REQUIRE(ref != NULL);
    char msg[600];
    size_t rn = text_reference(body, size, ref, msg, sizeof msg);
    if (rn ? rt != E_OK || t.n != rn || memcmp(t.h, ref, rn * sizeof *ref) != 0
           : rt != E_INVALID || strcmp(et.msg, msg) != 0) {
        fprintf(stderr, "fuzz_submit_body: text answer \"%s\" (n=%zu), reference \"%s\" (n=%zu)\n",
                et.msg, t.n, rn ? "" : msg, rn);
        abort();
    }
    free(ref);
    submit_body_free(&t);
    return 0;
}
