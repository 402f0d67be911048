/*
 * tests/fuzz/fuzz_batch_line.c — libFuzzer target: one entry line of
 * `verifier verify --batch` (verifier/batch.c vbatch_parse_line). A list
 * file or standard input is untrusted input.
 *
 * Checks: an accepted entry has exactly one of credential and hash, a hash
 * has a proof, and no accepted string is empty or holds a control
 * character; a refusal says why. Violations abort.
 */
#include <stdint.h>
#include <string.h>

#include "fuzz_common.h"

#include "verifier/batch.h"

static void clean(const char *s)
{
    if (!s)
        return;
    REQUIRE(*s);
    for (; *s; s++)
        REQUIRE((unsigned char)*s >= 0x20 && *s != 0x7f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vbatch_entry x;
    struct err e = {0};
    err_code rc = vbatch_parse_line((const char *)data, size, &x, &e);
    if (rc == E_NOT_FOUND)
        return 0;
    if (rc) {
        REQUIRE(e.msg[0] != '\0');
        REQUIRE(!x.credential && !x.hash && !x.proof);
        return 0;
    }
    REQUIRE(!x.credential != !x.hash);
    REQUIRE(!x.hash || x.proof);
    clean(x.credential);
    clean(x.hash);
    clean(x.proof);
    vbatch_entry_free(&x);
    return 0;
}
