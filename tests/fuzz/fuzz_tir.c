/*
 * tests/fuzz/fuzz_tir.c — libFuzzer target: EBSI Trusted Issuers Registry
 * answers and the JWT payloads of their attributes (anchor/did_ebsi.c).
 * Whatever answers at --ebsi-api is hostile input to the verifier.
 *
 * Input: the first byte chooses: 'J' → the rest is a compact JWS for
 * did_ebsi_jwt_payload(); anything else → the whole input is a TIR answer
 * for a fixed DID, read at a fixed time. Properties:
 *   - did_ebsi_jwt_payload(): accepted → a non-empty payload no longer than
 *     the input, freed without a leak; refused → an empty buffer and why;
 *   - did_ebsi_tir_parse(): accepted → issuerType RootTAO, TAO or TI, a
 *     validity window that contains the time, NUL-terminated printable
 *     strings; refused → a zeroed result and why.
 * Violations abort.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"

#include "anchor/did_ebsi.h"

static void printable(const char *s, size_t n)
{
    REQUIRE(memchr(s, '\0', n));
    for (; *s; s++)
        REQUIRE((unsigned char)*s >= 0x20 && *s != 0x7f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct err e = {0};
    if (size >= 1 && data[0] == 'J') {
        struct buf b;
        if (did_ebsi_jwt_payload((const char *)data + 1, size - 1, &b, &e) != E_OK) {
            REQUIRE(e.msg[0] != '\0' && b.p == NULL && b.len == 0);
            return 0;
        }
        REQUIRE(b.len > 0 && b.len < size);
        buf_free(&b);
        return 0;
    }
    const int64_t now = 1750000000;
    struct did_ebsi_accr a;
    if (did_ebsi_tir_parse((const char *)data, size, "did:ebsi:zbM8cCuoBMFNLeQyLiVFyxw", now, &a,
                           &e) != E_OK) {
        REQUIRE(e.msg[0] != '\0' && a.issuer_type[0] == '\0');
        return 0;
    }
    REQUIRE(!strcmp(a.issuer_type, "RootTAO") || !strcmp(a.issuer_type, "TAO") ||
            !strcmp(a.issuer_type, "TI"));
    REQUIRE(a.valid_until == 0 || a.valid_until > now);
    REQUIRE(a.valid_from == 0 || a.valid_from <= now);
    printable(a.vc_type, sizeof a.vc_type);
    printable(a.accredited_for, sizeof a.accredited_for);
    printable(a.by, sizeof a.by);
    printable(a.tao, sizeof a.tao);
    printable(a.legal_name, sizeof a.legal_name);
    return 0;
}
