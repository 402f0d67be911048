/*
 * tests/fuzz/fuzz_ebsi_alg.c — libFuzzer target: the Timestamp API's
 * hash-algorithm answer (anchor/ebsi_alg.c), what `notary init --ledger
 * ebsi` reads from GET /timestamp/v4/hash-algorithms/{id}.
 *
 * The input goes through:
 *   - ebsi_alg_parse(): an accepted answer has output_bits 0..65536, a
 *     status of 1..64 lower-case letters, a multihash of 1..64 of [a-z0-9-],
 *     ianaName and oid of at most 64 printable characters, all
 *     NUL-terminated; a refused one leaves *out zeroed and says why;
 *   - ebsi_alg_check() on what was accepted: E_OK exactly when it is
 *     sha2-256, 256 bits, "active";
 *   - ebsi_alg_url() on the input as a C string: an accepted URL is the
 *     input without its "/jsonrpc" tail plus "/hash-algorithms/5".
 * Violations abort.
 */
#define _GNU_SOURCE
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"

#include "anchor/ebsi_alg.h"

static int all_of(const char *s, const char *set)
{
    return s[strspn(s, set)] == '\0';
}

static void check_answer(const char *s, size_t n)
{
    struct ebsi_alg a, zero;
    struct err e = {0};
    memset(&zero, 0, sizeof zero);
    if (ebsi_alg_parse(s, n, &a, &e) != E_OK) {
        REQUIRE(e.msg[0] != '\0' && memcmp(&a, &zero, sizeof a) == 0);
        return;
    }
    REQUIRE(a.output_bits <= 65536);
    REQUIRE(strlen(a.status) >= 1 && strlen(a.status) <= EBSI_ALG_MAX_TEXT);
    REQUIRE(all_of(a.status, "abcdefghijklmnopqrstuvwxyz"));
    REQUIRE(strlen(a.multihash) >= 1 && strlen(a.multihash) <= EBSI_ALG_MAX_TEXT);
    REQUIRE(all_of(a.multihash, "abcdefghijklmnopqrstuvwxyz0123456789-"));
    REQUIRE(strlen(a.iana_name) <= EBSI_ALG_MAX_TEXT && strlen(a.oid) <= EBSI_ALG_MAX_TEXT);
    for (const char *p = a.iana_name; *p; p++)
        REQUIRE(*p >= 0x20 && *p < 0x7f);
    for (const char *p = a.oid; *p; p++)
        REQUIRE(*p >= 0x20 && *p < 0x7f);
    bool good = strcmp(a.multihash, EBSI_ALG_SHA256) == 0 && a.output_bits == 256 &&
                strcmp(a.status, "active") == 0;
    err_code rc = ebsi_alg_check(&a, 0, &e);
    REQUIRE((rc == E_OK) == good);
    REQUIRE(rc == E_OK || e.msg[0] != '\0');
}

static void check_url(const char *s, size_t n)
{
    char *in = strndup(s, n), *u = NULL;
    if (!in)
        return;
    struct err e = {0};
    if (ebsi_alg_url(in, 5, &u, &e) == E_OK) {
        size_t k = strlen(in) - strlen("/jsonrpc");
        REQUIRE(u && strncmp(u, in, k) == 0 && strcmp(u + k, "/hash-algorithms/5") == 0);
        REQUIRE(strcmp(in + k, "/jsonrpc") == 0 && !strpbrk(in, "?# "));
    } else {
        REQUIRE(!u && e.msg[0] != '\0');
    }
    free(u);
    free(in);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    check_answer(s, size);
    check_url(s, size);
    return 0;
}
