/*
 * tests/fuzz/fuzz_jcs.c — libFuzzer target: RFC 8785 canonicalization of
 * untrusted JSON (core/jcs.c over core/json.c's strict parser).
 *
 * Credentials arrive as arbitrary JSON, and their hash is the SHA-256 of the
 * canonical form, so canonicalization must never crash and must be stable:
 * the canonical form of an accepted document is itself accepted and is a
 * fixed point (canonicalizing it again gives the same bytes, RFC 8785 §3.2).
 * It must also be what the credential hasher hashes. Violations abort.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"

#include "core/credential.h"
#include "core/hash.h"
#include "core/jcs.h"

/* Larger inputs only slow the fuzzer down; the parser's own limit is
 * exercised with this bound too. */
#define MAX_TEXT (64 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* The credential's issuer (core/credential.h): never crashes; an id is
     * non-empty, NUL-terminated and free of control characters. */
    struct credential_issuer ci;
    credential_issuer_read(data, size, &ci);
    if (ci.kind == CRED_ISSUER_ID) {
        size_t n = strnlen(ci.id, sizeof ci.id);
        REQUIRE(n > 0 && n < sizeof ci.id);
        for (size_t i = 0; i < n; i++)
            REQUIRE((unsigned char)ci.id[i] >= 0x20 && ci.id[i] != 0x7f);
    }
    struct buf c1 = {0}, c2 = {0};
    struct err e = {0};
    err_code rc = jcs_canonicalize((const char *)data, size, MAX_TEXT, &c1, &e);
    if (rc != E_OK) {
        REQUIRE(e.msg[0] != '\0');
        REQUIRE(c1.len == 0); /* the buffer is left as it was on error */
        buf_free(&c1);
        return 0;
    }
    /* The canonical form is accepted again and is a fixed point. It may be
     * longer than the input ("1e30" becomes "1e+30"), so no size limit. */
    rc = jcs_canonicalize((const char *)c1.p, c1.len, SIZE_MAX, &c2, &e);
    if (rc != E_OK)
        fprintf(stderr, "fuzz_jcs: canonical form rejected: %s\n", e.msg);
    REQUIRE(rc == E_OK);
    REQUIRE(c1.len == c2.len && memcmp(c1.p, c2.p, c1.len) == 0);

    /* A JSON credential's hash is SHA-256 of exactly this canonical form
     * (docs/design.md), when the document is an object or an array. */
    size_t i = 0;
    while (i < size && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r'))
        i++;
    if (i < size && (data[i] == '{' || data[i] == '[')) {
        enum credential_hashing how;
        struct hash32 h, want;
        if (credential_hash(data, size, &how, &h, &e) == E_OK) {
            REQUIRE(how == CRED_HASH_JCS_SHA256);
            REQUIRE(sha256(c1.p, c1.len, &want) == E_OK);
            REQUIRE(hash32_eq(&h, &want));
        }
    }
    buf_free(&c1);
    buf_free(&c2);
    return 0;
}
