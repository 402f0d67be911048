/*
 * bench/submit_body.c — parsing POST /v1/hashes bodies (notary/service/submit_body.h):
 * the strict fast scanner against the jansson path it falls back to, on the
 * same body of N hashes ({"hashes": ["<64 hex>", ...]}, compact), and the
 * text/plain form for comparison. Issue 6 wants >= 500,000 hashes/s through
 * bulk submission on 2 cores; at ~1 us a hash the jansson path alone would
 * take half a core.
 *
 *   $(BUILD)/bench/submit_body [N] [ROUNDS]     (default 10000 hashes, 200 rounds)
 *
 * Prints ns per hash and MB/s per path (best of ROUNDS; no targets checked).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "notary/service/submit_body.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Best time of `rounds` parses; exits if a parse fails or miscounts. */
static double best(const char *body, size_t len, enum submit_body_type type, unsigned flags,
                   size_t n, int rounds)
{
    double b = 1e9;
    for (int r = 0; r < rounds; r++) {
        struct submit_body sb;
        struct err e = {0};
        double t0 = now();
        err_code rc = submit_body_parse_ex(body, len, type, len, flags, &sb, &e);
        double t = now() - t0;
        if (rc || sb.n != n) {
            fprintf(stderr, "submit_body: parse failed: %s\n", e.msg);
            exit(1);
        }
        submit_body_free(&sb);
        if (t < b)
            b = t;
    }
    return b;
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 10000;
    int rounds = argc > 2 ? atoi(argv[2]) : 200;
    if (n == 0 || rounds <= 0) {
        fprintf(stderr, "usage: submit_body [N >= 1] [ROUNDS >= 1]\n");
        return 2;
    }
    char *json = malloc(16 + n * 67), *text = malloc(n * 65);
    if (!json || !text)
        return 1;
    size_t jl = (size_t)sprintf(json, "{\"hashes\":["), tl = 0;
    for (size_t i = 0; i < n; i++) {
        struct hash32 h;
        for (int k = 0; k < 32; k++)
            h.b[k] = (uint8_t)(i * 2654435761u >> (k % 4 * 8)) ^ (uint8_t)k;
        char hex[65];
        hash32_to_hex(&h, hex);
        jl += (size_t)sprintf(json + jl, "%s\"%s\"", i ? "," : "", hex);
        tl += (size_t)sprintf(text + tl, "%s\n", hex);
    }
    jl += (size_t)sprintf(json + jl, "]}");

    struct {
        const char *name;
        const char *body;
        size_t len;
        enum submit_body_type type;
        unsigned flags;
    } runs[] = {
        {"JSON, fast scanner", json, jl, SUBMIT_BODY_JSON, 0},
        {"JSON, jansson only", json, jl, SUBMIT_BODY_JSON, SUBMIT_BODY_NO_FAST},
        {"text/plain", text, tl, SUBMIT_BODY_TEXT, 0},
    };
    printf("POST /v1/hashes body of %zu hashes (JSON %zu bytes), best of %d:\n", n, jl, rounds);
    double t[3];
    for (int i = 0; i < 3; i++) {
        t[i] = best(runs[i].body, runs[i].len, runs[i].type, runs[i].flags, n, rounds);
        printf("  %-20s %8.1f ns/hash  %7.0f MB/s  %6.2f M hashes/s\n", runs[i].name,
               t[i] * 1e9 / (double)n, (double)runs[i].len / t[i] / 1e6, (double)n / t[i] / 1e6);
    }
    printf("  fast scanner vs jansson: %.1fx\n", t[1] / t[0]);
    free(json);
    free(text);
    return 0;
}
