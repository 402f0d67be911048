/*
 * tests/fuzz/fuzz_bundle.c — libFuzzer target: proof bundle parsing and
 * offline verification (core/bundle.c, verifier/verify.c).
 *
 * A bundle is the one file a verifier receives from outside, so every byte
 * string must either be rejected with an error or parse into a struct that
 * obeys the documented rules. Beyond "no crash, no leak, no UB" the target
 * checks three properties on every accepted input:
 *   - bundle_validate() accepts what bundle_parse() accepted;
 *   - the writer round-trips it: bundle_write() then bundle_parse() gives
 *     back the identical struct (core/bundle.h promises this);
 *   - verify_offline() never reports VALID for a subject whose hash differs
 *     from the bundle's, and is VALID for the bundle's own hash exactly when
 *     the RFC 9162 path leads to the bundle's root.
 * Any violation aborts, which libFuzzer reports as a crash.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"

#include "core/bundle.h"
#include "core/merkle.h"
#include "verifier/verify.h"

static struct bundle g_b, g_b2;
static struct verify_result g_r;

/* The offline checks of `subject`, plus both report formats. */
static enum verify_status check(const struct bundle *b, const struct verify_subject *subject)
{
    verify_result_init(&g_r);
    verify_offline(b, subject, &g_r);
    struct buf out = {0};
    struct err e = {0};
    REQUIRE(verify_report_text(&g_r, b, true, &out, &e) == E_OK);
    out.len = 0;
    REQUIRE(verify_report_json(&g_r, &out, &e) == E_OK);
    buf_free(&out);
    return g_r.status;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct err e = {0};
    if (bundle_parse((const char *)data, size, "fuzz.json", &g_b, &e) != E_OK) {
        REQUIRE(e.msg[0] != '\0'); /* every rejection says why */
        return 0;
    }
    REQUIRE(bundle_validate(&g_b, &e) == E_OK);

    /* The writer's output parses back to the same struct. */
    struct buf w = {0};
    REQUIRE(bundle_write(&g_b, &w, &e) == E_OK);
    REQUIRE(bundle_parse((const char *)w.p, w.len, "rewritten", &g_b2, &e) == E_OK);
    REQUIRE(memcmp(&g_b, &g_b2, sizeof g_b) == 0);
    buf_free(&w);

    /* A fixed subject that is not the bundle's hash is never VALID. */
    struct verify_subject fixed = {.hashing = CRED_HASH_GIVEN};
    memset(fixed.hash.b, 0xa5, sizeof fixed.hash.b);
    enum verify_status st = check(&g_b, &fixed);
    if (!hash32_eq(&fixed.hash, &g_b.credential.hash))
        REQUIRE(st == VERIFY_INVALID);

    /* The bundle's own hash: VALID (offline, anchored) exactly when the
     * audit path leads to the root; never VALID when pending. */
    struct verify_subject own = {.hash = g_b.credential.hash, .hashing = CRED_HASH_GIVEN};
    st = check(&g_b, &own);
    struct hash32 leaf;
    merkle_leaf_hash(&g_b.credential.hash, &leaf);
    bool included = merkle_verify_inclusion(&leaf, g_b.inclusion.leaf_index, g_b.batch.size,
                                            g_b.inclusion.path, g_b.inclusion.path_len,
                                            &g_b.batch.root, &e) == E_OK;
    if (!included)
        REQUIRE(st == VERIFY_INVALID);
    else if (!g_b.anchored)
        REQUIRE(st == VERIFY_UNKNOWN);
    else
        REQUIRE(st == VERIFY_VALID);
    REQUIRE(!g_r.ledger_checked);
    return 0;
}
